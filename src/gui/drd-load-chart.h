/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdLoadChart: one customer's 15-minute load on the event day(s) against
 * the CBL, as lines in kW (15-minute average), the event window shaded,
 * Seoul hours on the x axis, gaps where slots are missing. Drawn with
 * GtkSnapshot (a cairo node for the lines). */
#pragma once

#include <gtk/gtk.h>

#include "service/drd-settler.h"

G_BEGIN_DECLS

/* Axis maths, public for the tests. */
typedef struct {
  double  max;      /* top of the axis (≥ the data), a multiple of step */
  double  step;     /* 1, 2 or 5 × 10^k */
  guint   n_ticks;  /* ticks at 0, step, …, max */
} DrdChartScale;

/* A "nice" axis from 0 to at least @data_max with at most @max_ticks
 * intervals. @data_max ≤ 0 gives 0..1. */
void     drd_chart_nice_scale (double data_max, guint max_ticks, DrdChartScale *out);
/* Watt-hours in a 15-minute slot → average kW. */
double   drd_chart_wh_to_kw (gint64 wh_per_slot);
/* Runs of present values (≥ 0) in @values: the line segments drawn (a
 * missing slot, -1, breaks the line). Writes up to @max_runs start/length
 * pairs into @starts/@lengths (may be NULL); returns the number of runs. */
guint    drd_chart_runs (const gint64 *values, guint n, guint *starts, guint *lengths,
                         guint max_runs);
/* Seoul hour (0–23) at the start of @slot of a chart whose slot 0 starts
 * at @first_slot_start. */
int      drd_chart_slot_hour (gint64 first_slot_start, guint slot);

#define DRD_TYPE_LOAD_CHART (drd_load_chart_get_type ())
G_DECLARE_FINAL_TYPE (DrdLoadChart, drd_load_chart, DRD, LOAD_CHART, GtkWidget)

GtkWidget            *drd_load_chart_new (void);
/* Takes @chart (NULL: empty, shows @message or a hint). */
void                  drd_load_chart_set_chart (DrdLoadChart *self, DrdSettleChart *chart,
                                                const char *title);
void                  drd_load_chart_set_message (DrdLoadChart *self, const char *message);
const DrdSettleChart *drd_load_chart_get_chart (DrdLoadChart *self);
/* Loads @customer_id's chart for @event_id (drd_settle_chart_load_async,
 * from the meter cache) and shows it with @title; a newer call or NULL
 * @store cancels the previous one. */
void                  drd_load_chart_load (DrdLoadChart *self, DrdStore *store,
                                           const DrdParams *params, gint64 event_id,
                                           gint64 customer_id, const char *title);
/* Scale of the y axis of the chart shown (tests). */
void                  drd_load_chart_get_scale (DrdLoadChart *self, DrdChartScale *out);
/* Segments drawn in the last snapshot (actual + CBL), for tests. */
guint                 drd_load_chart_get_n_segments_drawn (DrdLoadChart *self);

G_END_DECLS
