/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The DR timeline: events as bars on a Korean-time axis, zoomable (day /
 * week / month) and scrollable. The geometry functions are public so the
 * hit-testing and zoom math can be tested without pixels. */
#pragma once

#include <gtk/gtk.h>

#include "core/drd-types.h"

G_BEGIN_DECLS

typedef enum {
  DRD_TIMELINE_ZOOM_DAY = 0,
  DRD_TIMELINE_ZOOM_WEEK = 1,
  DRD_TIMELINE_ZOOM_MONTH = 2,
} DrdTimelineZoom;

typedef struct {
  gint64          id;
  char           *name;
  DrdEventKind    kind;
  DrdEventStatus  status;
  gint64          start_at;
  gint64          end_at;
} DrdTimelineEvent;

DrdTimelineEvent *drd_timeline_event_new (gint64 id, const char *name, DrdEventKind kind,
                                          DrdEventStatus status, gint64 start_at, gint64 end_at);
void              drd_timeline_event_free (DrdTimelineEvent *ev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdTimelineEvent, drd_timeline_event_free)

#define DRD_TIMELINE_AXIS_HEIGHT 30.0
#define DRD_TIMELINE_LANE_HEIGHT 30.0
#define DRD_TIMELINE_LANE_GAP 6.0

#define DRD_TYPE_TIMELINE (drd_timeline_get_type ())
G_DECLARE_FINAL_TYPE (DrdTimeline, drd_timeline, DRD, TIMELINE, GtkWidget)

GtkWidget       *drd_timeline_new (void);
/* Takes a copy; events keep their lane across zoom and scroll. */
void             drd_timeline_set_events (DrdTimeline *self, GPtrArray *events);
const DrdTimelineEvent *drd_timeline_lookup (DrdTimeline *self, gint64 event_id);
void             drd_timeline_set_zoom (DrdTimeline *self, DrdTimelineZoom zoom);
DrdTimelineZoom  drd_timeline_get_zoom (DrdTimeline *self);
gint64           drd_timeline_get_view_start (DrdTimeline *self);
void             drd_timeline_set_view_start (DrdTimeline *self, gint64 start);
gint64           drd_timeline_get_span (DrdTimeline *self);
void             drd_timeline_scroll_pages (DrdTimeline *self, double pages);
void             drd_timeline_show_time (DrdTimeline *self, gint64 t);
void             drd_timeline_set_now (DrdTimeline *self, gint64 now);  /* 0 = the real clock */
gint64           drd_timeline_get_now (DrdTimeline *self);
void             drd_timeline_set_selected (DrdTimeline *self, gint64 event_id);
gint64           drd_timeline_get_selected (DrdTimeline *self);

/* Geometry for a given widget width (pixels). */
double           drd_timeline_time_to_x (DrdTimeline *self, gint64 t, double width);
gint64           drd_timeline_x_to_time (DrdTimeline *self, double x, double width);
int              drd_timeline_lane_of (DrdTimeline *self, gint64 event_id);
gint64           drd_timeline_event_at (DrdTimeline *self, double x, double y, double width);

gint64           drd_timeline_zoom_span (DrdTimelineZoom zoom);

G_END_DECLS
