/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The operator window: overview on top, then Customers / DR Timeline /
 * Responses. Everything it shows comes from the store asynchronously;
 * other processes' changes appear within a second (DrdLiveMonitor). */
#pragma once

#include <gtk/gtk.h>

#include "gui/drd-customers-view.h"
#include "gui/drd-overview.h"
#include "gui/drd-responses-view.h"
#include "gui/drd-settlement-view.h"
#include "gui/drd-timeline.h"
#include "store/drd-store.h"

G_BEGIN_DECLS

#define DRD_TYPE_WINDOW (drd_window_get_type ())
G_DECLARE_FINAL_TYPE (DrdWindow, drd_window, DRD, WINDOW, GtkApplicationWindow)

DrdWindow        *drd_window_new (GtkApplication *app);
void              drd_window_set_store (DrdWindow *self, DrdStore *store);
DrdStore         *drd_window_get_store (DrdWindow *self);
/* A plain sentence in the status area (errors, results). */
void              drd_window_show_toast (DrdWindow *self, const char *message);
const char       *drd_window_get_toast (DrdWindow *self);
void              drd_window_set_view (DrdWindow *self, const char *name);
/* Selects the event in every view (0 = the current event). */
void              drd_window_select_event (DrdWindow *self, gint64 event_id);
gint64            drd_window_get_selected_event (DrdWindow *self);
/* Refresh now instead of waiting for the next poll (tests). */
void              drd_window_refresh (DrdWindow *self);

DrdOverview      *drd_window_get_overview (DrdWindow *self);
DrdCustomersView *drd_window_get_customers_view (DrdWindow *self);
DrdResponsesView *drd_window_get_responses_view (DrdWindow *self);
DrdTimeline      *drd_window_get_timeline (DrdWindow *self);

/* Settlement (gui-settle): the running settler/KEPCO link for the
 * Settlement view and the overview's KEPCO indicator (NULL: none). */
void               drd_window_set_settle_link (DrdWindow *self, DrdSettleLink *link);
DrdSettlementView *drd_window_get_settlement_view (DrdWindow *self);
/* The chart under the responses table (a response row selected). */
DrdLoadChart      *drd_window_get_responses_chart (DrdWindow *self);

G_END_DECLS
