/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The settlement view's list: one event's settlement rows (optionally one
 * outcome), as a DrdPagedModel. The id list is read in a worker thread
 * page by page; row objects exist only for the rows shown, their data
 * fetched a page at a time with drd_store_settle_list_async(). */
#pragma once

#include <gio/gio.h>

#include "gui/drd-paged-model.h"
#include "store/drd-store-settle.h"

G_BEGIN_DECLS

#define DRD_TYPE_SETTLE_ITEM (drd_settle_item_get_type ())
G_DECLARE_FINAL_TYPE (DrdSettleItem, drd_settle_item, DRD, SETTLE_ITEM, DrdPagedItem)

gint64              drd_settle_item_get_customer_id (DrdSettleItem *self);
gboolean            drd_settle_item_get_loaded (DrdSettleItem *self);
/* NULL until loaded. */
const DrdSettleRow *drd_settle_item_get_row (DrdSettleItem *self);

#define DRD_TYPE_SETTLE_MODEL (drd_settle_model_get_type ())
G_DECLARE_FINAL_TYPE (DrdSettleModel, drd_settle_model, DRD, SETTLE_MODEL, DrdPagedModel)

DrdSettleModel *drd_settle_model_new (DrdStore *store);
void            drd_settle_model_set_store (DrdSettleModel *self, DrdStore *store);
/* @outcome DRD_OUTCOME_PENDING = every outcome. Signal "loaded" when the
 * id list is in. */
void            drd_settle_model_set_event (DrdSettleModel *self, gint64 event_id,
                                            DrdOutcome outcome);
/* New rows settled meanwhile: keeps scroll position and selection. */
void            drd_settle_model_refresh (DrdSettleModel *self);
gint64          drd_settle_model_get_event (DrdSettleModel *self);

G_END_DECLS
