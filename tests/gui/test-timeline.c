/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The timeline's geometry: time ↔ x at each zoom, zoom keeps the middle,
 * lanes for overlapping events, hit-testing, and a click selecting. */
#include "config.h"

#include "gui/drd-timeline.h"
#include "tests/gui/drd-gui-test-util.h"

/* 2026-07-01 00:00 Seoul = 2026-06-30T15:00Z */
#define DAY0 G_GINT64_CONSTANT (1782831600)

static GPtrArray *
sample_events (void)
{
  GPtrArray *evs = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_timeline_event_free);

  /* 1: 14:00–16:00; 2: 15:00–17:00 overlaps 1; 3: 17:00–18:00 after 1 ends */
  g_ptr_array_add (evs, drd_timeline_event_new (1, "A", DRD_EVENT_KIND_RELIABILITY,
                                                DRD_EVENT_ENDED, DAY0 + 14 * 3600, DAY0 + 16 * 3600));
  g_ptr_array_add (evs, drd_timeline_event_new (2, "B", DRD_EVENT_KIND_ECONOMIC,
                                                DRD_EVENT_ACTIVE, DAY0 + 15 * 3600, DAY0 + 17 * 3600));
  g_ptr_array_add (evs, drd_timeline_event_new (3, "C", DRD_EVENT_KIND_CITIZEN,
                                                DRD_EVENT_SCHEDULED, DAY0 + 16 * 3600, DAY0 + 18 * 3600));
  g_ptr_array_add (evs, drd_timeline_event_new (4, "tiny", DRD_EVENT_KIND_CITIZEN,
                                                DRD_EVENT_CANCELLED, DAY0 + 20 * 3600,
                                                DAY0 + 20 * 3600 + 900));
  return evs;
}

static void
test_zoom_math (void)
{
  g_autoptr(DrdTimeline) tl = NULL;

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  tl = g_object_ref_sink (DRD_TIMELINE (drd_timeline_new ()));
  drd_timeline_set_zoom (tl, DRD_TIMELINE_ZOOM_DAY);
  drd_timeline_set_view_start (tl, DAY0);
  g_assert_cmpint (drd_timeline_get_span (tl), ==, 86400);
  g_assert_cmpfloat_with_epsilon (drd_timeline_time_to_x (tl, DAY0, 960), 0, 1e-9);
  g_assert_cmpfloat_with_epsilon (drd_timeline_time_to_x (tl, DAY0 + 12 * 3600, 960), 480, 1e-9);
  g_assert_cmpint (drd_timeline_x_to_time (tl, 480, 960), ==, DAY0 + 12 * 3600);
  g_assert_cmpint (drd_timeline_x_to_time (tl, 40, 960), ==, DAY0 + 3600);
  /* round trip at every zoom */
  for (int z = 0; z < 3; z++)
    {
      drd_timeline_set_zoom (tl, z);
      for (double x = 0; x <= 1000; x += 125)
        g_assert_cmpfloat_with_epsilon (drd_timeline_time_to_x (tl, drd_timeline_x_to_time (tl, x, 1000), 1000),
                                        x, 1.0);
    }

  /* Zooming out and in keeps the middle of the view. */
  drd_timeline_set_zoom (tl, DRD_TIMELINE_ZOOM_DAY);
  drd_timeline_set_view_start (tl, DAY0);
  drd_timeline_set_zoom (tl, DRD_TIMELINE_ZOOM_WEEK);
  g_assert_cmpint (drd_timeline_get_view_start (tl) + drd_timeline_get_span (tl) / 2, ==,
                   DAY0 + 43200);
  drd_timeline_set_zoom (tl, DRD_TIMELINE_ZOOM_MONTH);
  g_assert_cmpint (drd_timeline_get_span (tl), ==, 30 * 86400);
  g_assert_cmpint (drd_timeline_get_view_start (tl) + drd_timeline_get_span (tl) / 2, ==,
                   DAY0 + 43200);
  drd_timeline_set_zoom (tl, DRD_TIMELINE_ZOOM_DAY);
  g_assert_cmpint (drd_timeline_get_view_start (tl), ==, DAY0);

  /* Scrolling moves by pages of the current span. */
  drd_timeline_scroll_pages (tl, 0.5);
  g_assert_cmpint (drd_timeline_get_view_start (tl), ==, DAY0 + 43200);
  drd_timeline_scroll_pages (tl, -1);
  g_assert_cmpint (drd_timeline_get_view_start (tl), ==, DAY0 - 43200);
}

static void
test_lanes_and_hits (void)
{
  g_autoptr(DrdTimeline) tl = NULL;
  g_autoptr(GPtrArray) evs = sample_events ();
  double lane0 = DRD_TIMELINE_AXIS_HEIGHT + DRD_TIMELINE_LANE_GAP + 5;
  double lane1 = lane0 + DRD_TIMELINE_LANE_HEIGHT + DRD_TIMELINE_LANE_GAP;
  double w = 2400;   /* 100 px per hour at day zoom */

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  tl = g_object_ref_sink (DRD_TIMELINE (drd_timeline_new ()));
  drd_timeline_set_zoom (tl, DRD_TIMELINE_ZOOM_DAY);
  drd_timeline_set_view_start (tl, DAY0);
  drd_timeline_set_events (tl, evs);

  g_assert_cmpint (drd_timeline_lane_of (tl, 1), ==, 0);
  g_assert_cmpint (drd_timeline_lane_of (tl, 2), ==, 1);   /* overlaps 1 */
  g_assert_cmpint (drd_timeline_lane_of (tl, 3), ==, 0);   /* starts when 1 ends */
  g_assert_cmpint (drd_timeline_lane_of (tl, 4), ==, 0);

  g_assert_cmpint (drd_timeline_event_at (tl, 1450, lane0, w), ==, 1);
  g_assert_cmpint (drd_timeline_event_at (tl, 1550, lane1, w), ==, 2);
  g_assert_cmpint (drd_timeline_event_at (tl, 1650, lane0, w), ==, 3);
  g_assert_cmpint (drd_timeline_event_at (tl, 1599, lane0, w), ==, 1);   /* last px of 1 */
  g_assert_cmpint (drd_timeline_event_at (tl, 1600, lane0, w), ==, 3);   /* end is exclusive */
  g_assert_cmpint (drd_timeline_event_at (tl, 1450, lane1, w), ==, 0);   /* empty lane spot */
  g_assert_cmpint (drd_timeline_event_at (tl, 1450, 10, w), ==, 0);      /* the axis */
  g_assert_cmpint (drd_timeline_event_at (tl, 1750, lane1, w), ==, 0);
  /* A 15-minute event at month zoom is ~1 px wide but still hittable. */
  drd_timeline_set_zoom (tl, DRD_TIMELINE_ZOOM_MONTH);
  drd_timeline_set_view_start (tl, DAY0);
  {
    double x = drd_timeline_time_to_x (tl, DAY0 + 20 * 3600, w);
    g_assert_cmpint (drd_timeline_event_at (tl, x + 2, lane0, w), ==, 4);
  }
  /* Scrolled away: nothing there. */
  drd_timeline_set_zoom (tl, DRD_TIMELINE_ZOOM_DAY);
  drd_timeline_set_view_start (tl, DAY0 + 86400);
  g_assert_cmpint (drd_timeline_event_at (tl, 1450, lane0, w), ==, 0);
}

static void
on_activated (DrdTimeline *tl, gint64 id, gint64 *out)
{
  *out = id;
}

static gboolean
is_mapped (gpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data)) && gtk_widget_get_width (GTK_WIDGET (data)) > 0;
}

static void
test_draw (void)
{
  GtkWidget *window;
  DrdTimeline *tl;
  g_autoptr(GPtrArray) evs = sample_events ();
  gint64 activated = 0;
  double w, x;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  window = gtk_window_new ();
  tl = DRD_TIMELINE (drd_timeline_new ());
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (tl));
  gtk_window_set_default_size (GTK_WINDOW (window), 960, 300);
  drd_timeline_set_zoom (tl, DRD_TIMELINE_ZOOM_DAY);
  drd_timeline_set_view_start (tl, DAY0);
  drd_timeline_set_now (tl, DAY0 + 15 * 3600 + 1800);
  drd_timeline_set_events (tl, evs);
  g_signal_connect (tl, "event-activated", G_CALLBACK (on_activated), &activated);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (drd_test_wait (is_mapped, tl, 5000));

  /* Drawing every state (with a now line) produces a render tree. */
  snapshot = gtk_snapshot_new ();
  GTK_WIDGET_GET_CLASS (tl)->snapshot (GTK_WIDGET (tl), snapshot);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);

  /* Hit-testing at the widget's real allocated width. */
  w = gtk_widget_get_width (GTK_WIDGET (tl));
  x = drd_timeline_time_to_x (tl, DAY0 + 14 * 3600 + 1800, w);
  g_assert_cmpint (drd_timeline_event_at (tl, x, DRD_TIMELINE_AXIS_HEIGHT + 10, w), ==, 1);
  drd_timeline_set_selected (tl, 2);
  g_assert_cmpint (drd_timeline_get_selected (tl), ==, 2);
  g_assert_cmpint (activated, ==, 0);   /* only a user's click activates */
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gui/timeline/zoom-math", test_zoom_math);
  g_test_add_func ("/gui/timeline/lanes-and-hits", test_lanes_and_hits);
  g_test_add_func ("/gui/timeline/draw", test_draw);
  return g_test_run ();
}
