/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Settlement page: progress of the selected event's settlement, the
 * KEPCO link, the summary, per-customer results (filterable by outcome)
 * and the load chart of the selected customer. */
#pragma once

#include <gtk/gtk.h>

#include "gui/drd-load-chart.h"
#include "gui/drd-settle-link.h"
#include "gui/drd-settle-model.h"
#include "store/drd-store.h"

G_BEGIN_DECLS

#define DRD_TYPE_SETTLEMENT_VIEW (drd_settlement_view_get_type ())
G_DECLARE_FINAL_TYPE (DrdSettlementView, drd_settlement_view, DRD, SETTLEMENT_VIEW, GtkWidget)

GtkWidget      *drd_settlement_view_new (void);
void            drd_settlement_view_set_store (DrdSettlementView *self, DrdStore *store);
/* The running settler (progress, retry); NULL: none (results only). */
void            drd_settlement_view_set_link (DrdSettlementView *self, DrdSettleLink *link);
/* @event NULL: none. */
void            drd_settlement_view_set_event (DrdSettlementView *self, const DrdEvent *event);
/* Re-reads progress, summary and rows (the database changed). */
void            drd_settlement_view_refresh (DrdSettlementView *self);
/* Shows @customer_id's load chart for the current event. */
void            drd_settlement_view_show_customer (DrdSettlementView *self, gint64 customer_id);

/* For tests. */
DrdSettleModel *drd_settlement_view_get_model (DrdSettlementView *self);
DrdLoadChart   *drd_settlement_view_get_chart (DrdSettlementView *self);
const char     *drd_settlement_view_get_progress_text (DrdSettlementView *self);
double          drd_settlement_view_get_fraction (DrdSettlementView *self);
const char     *drd_settlement_view_get_summary_text (DrdSettlementView *self);
const char     *drd_settlement_view_get_link_text (DrdSettlementView *self);
void            drd_settlement_view_set_outcome_filter (DrdSettlementView *self, DrdOutcome outcome);
void            drd_settlement_view_select (DrdSettlementView *self, guint position);

G_END_DECLS
