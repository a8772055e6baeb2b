/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The responses table of one event: DrdPagedModel of DrdResponseItem,
 * targeted customers in id order, optionally only one answer. A live
 * refresh diffs the id list exactly (rows leaving or entering an answer
 * filter) and updates the rows whose answer changed in place. */
#pragma once

#include "gui/drd-paged-model.h"
#include "store/drd-store-gui.h"

G_BEGIN_DECLS

#define DRD_TYPE_RESPONSE_MODEL (drd_response_model_get_type ())
G_DECLARE_FINAL_TYPE (DrdResponseModel, drd_response_model, DRD, RESPONSE_MODEL, DrdPagedModel)

DrdResponseModel *drd_response_model_new (DrdStore *store);
void              drd_response_model_set_store (DrdResponseModel *self, DrdStore *store);
/* @event_id 0 = none; @answer_filter -1 = every answer. */
void              drd_response_model_set_event (DrdResponseModel *self, gint64 event_id,
                                                int answer_filter);
gint64            drd_response_model_get_event (DrdResponseModel *self);
int               drd_response_model_get_answer_filter (DrdResponseModel *self);
void              drd_response_model_refresh (DrdResponseModel *self);
/* daily: search and sort of the Responses table (see
 * drd_store_gui_responses_query_async); the event's answer filter is
 * @query->answer_filter. Sorted by anything but id ascending, a live
 * refresh diffs the ends of the list instead of merging. */
void              drd_response_model_set_query (DrdResponseModel *self, gint64 event_id,
                                                const DrdResponseQuery *query);

G_END_DECLS
