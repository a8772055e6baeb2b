/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One row of the customer grid: display strings as properties (the .ui
 * binds labels to them), raw values through getters. A row starts as a
 * placeholder (only the id known) and is filled in place. */
#pragma once

#include <glib-object.h>

#include "gui/drd-paged-model.h"
#include "store/drd-store-gui.h"

G_BEGIN_DECLS

#define DRD_TYPE_CUSTOMER_ROW (drd_customer_row_get_type ())
G_DECLARE_FINAL_TYPE (DrdCustomerRow, drd_customer_row, DRD, CUSTOMER_ROW, DrdPagedItem)

DrdCustomerRow *drd_customer_row_new (gint64 id);
gint64          drd_customer_row_get_id (DrdCustomerRow *self);
gboolean        drd_customer_row_get_loaded (DrdCustomerRow *self);
const char     *drd_customer_row_get_name (DrdCustomerRow *self);
const DrdGridRow *drd_customer_row_get_data (DrdCustomerRow *self);
/* Turns the row into a placeholder for another customer (list slots are
 * reused across queries so the list view keeps its widgets). */
void            drd_customer_row_reset (DrdCustomerRow *self, gint64 id);
/* Returns TRUE when something changed. */
gboolean        drd_customer_row_update (DrdCustomerRow *self, const DrdGridRow *row);

G_END_DECLS
