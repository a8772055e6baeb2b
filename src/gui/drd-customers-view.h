/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The customer grid with search, sort, filters and a detail pane. */
#pragma once

#include <gtk/gtk.h>

#include "gui/drd-customer-model.h"
#include "store/drd-store.h"

G_BEGIN_DECLS

#define DRD_TYPE_CUSTOMERS_VIEW (drd_customers_view_get_type ())
G_DECLARE_FINAL_TYPE (DrdCustomersView, drd_customers_view, DRD, CUSTOMERS_VIEW, GtkWidget)

GtkWidget        *drd_customers_view_new (void);
void              drd_customers_view_set_store (DrdCustomersView *self, DrdStore *store);
void              drd_customers_view_focus_search (DrdCustomersView *self);
void              drd_customers_view_refresh (DrdCustomersView *self);
/* Resources changed (import): reload the filter list. */
void              drd_customers_view_reload_resources (DrdCustomersView *self);
DrdCustomerModel *drd_customers_view_get_model (DrdCustomersView *self);
GtkColumnView    *drd_customers_view_get_column_view (DrdCustomersView *self);
GtkEditable      *drd_customers_view_get_search (DrdCustomersView *self);
gint64            drd_customers_view_get_selected_id (DrdCustomersView *self);
/* The event the pane's Record Accept/Deny… buttons answer for (the
 * window's selected event); NULL: none. */
void              drd_customers_view_set_event (DrdCustomersView *self, const DrdEvent *event);

G_END_DECLS
