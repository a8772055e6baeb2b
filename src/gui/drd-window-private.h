/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared between drd-window.c and drd-window-actions.c. */
#pragma once

#include "gui/drd-live-monitor.h"
#include "gui/drd-settlement-view.h"
#include "gui/drd-window.h"

G_BEGIN_DECLS

struct _DrdWindow
{
  GtkApplicationWindow  parent_instance;

  /* template */
  DrdOverview          *overview;
  GtkStack             *stack;
  DrdCustomersView     *customers_view;
  DrdResponsesView     *responses_view;
  DrdTimeline          *timeline;
  GtkDropDown          *zoom_dropdown;
  GtkLabel             *selected_label;
  GtkRevealer          *toast_revealer;
  GtkLabel             *toast_label;
  DrdSettlementView    *settlement_view;   /* gui-settle */
  DrdLoadChart         *responses_chart;   /* gui-settle */

  /* owned */
  DrdStore             *store;
  DrdLiveMonitor       *monitor;
  GCancellable         *cancellable;
  GPtrArray            *events;          /* DrdEvent*, from the last load */
  gint64                selected_event;  /* 0 = follow the current event */
  gboolean              user_selected;
  gboolean              loading_events;
  gboolean              reload_again;
  guint                 toast_timeout;
  gint64                busy_since;      /* benchmark: refresh timing */
  /* settlement (gui-settle) */
  DrdSettleLink        *settle_link;
  GCancellable         *export_cancellable;
};

void drd_window_actions_init (DrdWindowClass *klass);
void drd_window_update_actions (DrdWindow *self);
const DrdEvent *drd_window_lookup_event (DrdWindow *self, gint64 id);

G_END_DECLS
