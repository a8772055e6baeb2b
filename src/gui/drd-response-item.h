/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One targeted customer's answer to the selected event (a row of the
 * responses table). Display strings as properties. */
#pragma once

#include <glib-object.h>

#include "gui/drd-paged-model.h"
#include "store/drd-store-gui.h"

G_BEGIN_DECLS

#define DRD_TYPE_RESPONSE_ITEM (drd_response_item_get_type ())
G_DECLARE_FINAL_TYPE (DrdResponseItem, drd_response_item, DRD, RESPONSE_ITEM, DrdPagedItem)

DrdResponseItem      *drd_response_item_new (gint64 customer_id);
gint64                drd_response_item_get_customer_id (DrdResponseItem *self);
gboolean              drd_response_item_get_loaded (DrdResponseItem *self);
int                   drd_response_item_get_answer (DrdResponseItem *self);
const DrdResponseRow *drd_response_item_get_data (DrdResponseItem *self);
void                  drd_response_item_reset (DrdResponseItem *self, gint64 customer_id);
gboolean              drd_response_item_update (DrdResponseItem *self, const DrdResponseRow *row);

G_END_DECLS
