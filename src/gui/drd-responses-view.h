/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every targeted customer's answer to the selected event, live.
 * Signal "customer-selected" (gint64 customer id; 0 = selection cleared). */
#pragma once

#include <gtk/gtk.h>

#include "gui/drd-response-model.h"
#include "store/drd-store.h"

G_BEGIN_DECLS

#define DRD_TYPE_RESPONSES_VIEW (drd_responses_view_get_type ())
G_DECLARE_FINAL_TYPE (DrdResponsesView, drd_responses_view, DRD, RESPONSES_VIEW, GtkWidget)

GtkWidget        *drd_responses_view_new (void);
void              drd_responses_view_set_store (DrdResponsesView *self, DrdStore *store);
/* @event NULL: none. */
void              drd_responses_view_set_event (DrdResponsesView *self, const DrdEvent *event);
void              drd_responses_view_set_counts (DrdResponsesView *self,
                                                 const DrdResponseCounts *counts);
void              drd_responses_view_refresh (DrdResponsesView *self);
DrdResponseModel *drd_responses_view_get_model (DrdResponsesView *self);
const char       *drd_responses_view_get_counts_text (DrdResponsesView *self);

G_END_DECLS
