/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The customer grid's model: DrdPagedModel of DrdCustomerRow whose id list
 * comes from one SQL query (sort and filter in SQL, on the store's reader
 * threads). A newer query cancels the older one. */
#pragma once

#include "gui/drd-paged-model.h"
#include "store/drd-store-gui.h"

G_BEGIN_DECLS

#define DRD_TYPE_CUSTOMER_MODEL (drd_customer_model_get_type ())
G_DECLARE_FINAL_TYPE (DrdCustomerModel, drd_customer_model, DRD, CUSTOMER_MODEL, DrdPagedModel)

DrdCustomerModel   *drd_customer_model_new (DrdStore *store);
void                drd_customer_model_set_store (DrdCustomerModel *self, DrdStore *store);
/* Runs @query (copied); "query-done" is emitted once its ids are in. */
void                drd_customer_model_set_query (DrdCustomerModel *self,
                                                  const DrdGridQuery *query);
const DrdGridQuery *drd_customer_model_get_query (DrdCustomerModel *self);
gboolean            drd_customer_model_get_busy (DrdCustomerModel *self);
/* "query-done" comes once the first chunk of ids is in (by default
 * 2048; 0 = all at once); the rest follows as one append. Complete: the
 * model holds every id of the query. */
gboolean            drd_customer_model_get_complete (DrdCustomerModel *self);
void                drd_customer_model_set_first_chunk (DrdCustomerModel *self, guint n_ids);
/* Live refresh after the database changed: keeps positions, scroll and
 * selection; emits exact changes only. */
void                drd_customer_model_refresh (DrdCustomerModel *self);

G_END_DECLS
