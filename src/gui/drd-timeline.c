/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gui/drd-gui-util.h"
#include "gui/drd-timeline.h"

struct _DrdTimeline
{
  GtkWidget        parent_instance;

  GPtrArray       *events;      /* DrdTimelineEvent, sorted by start */
  GArray          *lanes;       /* int, parallel to events */
  int              n_lanes;
  DrdTimelineZoom  zoom;
  gint64           view_start;
  gint64           now;         /* 0: real clock */
  gint64           selected;
  guint            tick_id;
  double           drag_start_x;
  gint64           drag_view_start;
};

enum {
  PROP_0,
  PROP_ZOOM,
  PROP_SELECTED,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum {
  EVENT_ACTIVATED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (DrdTimeline, drd_timeline, GTK_TYPE_WIDGET)

DrdTimelineEvent *
drd_timeline_event_new (gint64 id, const char *name, DrdEventKind kind,
                        DrdEventStatus status, gint64 start_at, gint64 end_at)
{
  DrdTimelineEvent *ev = g_new0 (DrdTimelineEvent, 1);

  ev->id = id;
  ev->name = g_strdup (name);
  ev->kind = kind;
  ev->status = status;
  ev->start_at = start_at;
  ev->end_at = end_at;
  return ev;
}

void
drd_timeline_event_free (DrdTimelineEvent *ev)
{
  if (ev == NULL)
    return;
  g_free (ev->name);
  g_free (ev);
}

gint64
drd_timeline_zoom_span (DrdTimelineZoom zoom)
{
  switch (zoom)
    {
    case DRD_TIMELINE_ZOOM_DAY: return 86400;
    case DRD_TIMELINE_ZOOM_WEEK: return 7 * 86400;
    case DRD_TIMELINE_ZOOM_MONTH:
    default: return 30 * 86400;
    }
}

gint64
drd_timeline_get_now (DrdTimeline *self)
{
  g_return_val_if_fail (DRD_IS_TIMELINE (self), 0);
  return self->now != 0 ? self->now : g_get_real_time () / G_USEC_PER_SEC;
}

gint64
drd_timeline_get_span (DrdTimeline *self)
{
  return drd_timeline_zoom_span (self->zoom);
}

double
drd_timeline_time_to_x (DrdTimeline *self, gint64 t, double width)
{
  return (double) (t - self->view_start) * width / (double) drd_timeline_get_span (self);
}

gint64
drd_timeline_x_to_time (DrdTimeline *self, double x, double width)
{
  if (width <= 0)
    return self->view_start;
  return self->view_start + (gint64) (x * (double) drd_timeline_get_span (self) / width);
}

static void
update_accessible (DrdTimeline *self)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < self->events->len; i++)
    {
      DrdTimelineEvent *ev = g_ptr_array_index (self->events, i);
      g_autofree char *window = drd_gui_format_window (ev->start_at, ev->end_at);

      if (s->len > 0)
        g_string_append (s, "; ");
      /* TRANSLATORS: timeline summary entry: name, state, time window */
      g_string_append_printf (s, _("%s: %s, %s"), ev->name,
                              drd_gui_status_label (ev->status), window);
    }
  if (s->len == 0)
    g_string_append (s, _("No events"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, s->str, -1);
  g_string_free (s, TRUE);
}

static int
compare_by_start (gconstpointer a, gconstpointer b)
{
  const DrdTimelineEvent *x = *(DrdTimelineEvent * const *) a;
  const DrdTimelineEvent *y = *(DrdTimelineEvent * const *) b;

  if (x->start_at != y->start_at)
    return x->start_at < y->start_at ? -1 : 1;
  return x->id < y->id ? -1 : (x->id > y->id);
}

void
drd_timeline_set_events (DrdTimeline *self, GPtrArray *events)
{
  g_autoptr(GArray) lane_end = g_array_new (FALSE, FALSE, sizeof (gint64));

  g_return_if_fail (DRD_IS_TIMELINE (self));

  g_ptr_array_set_size (self->events, 0);
  for (guint i = 0; events != NULL && i < events->len; i++)
    {
      const DrdTimelineEvent *ev = g_ptr_array_index (events, i);

      g_ptr_array_add (self->events,
                       drd_timeline_event_new (ev->id, ev->name, ev->kind, ev->status,
                                               ev->start_at, ev->end_at));
    }
  g_ptr_array_sort (self->events, compare_by_start);

  /* Greedy lane packing: an event goes to the first lane that is free at its start. */
  g_array_set_size (self->lanes, self->events->len);
  for (guint i = 0; i < self->events->len; i++)
    {
      DrdTimelineEvent *ev = g_ptr_array_index (self->events, i);
      guint lane;

      for (lane = 0; lane < lane_end->len; lane++)
        if (g_array_index (lane_end, gint64, lane) <= ev->start_at)
          break;
      if (lane == lane_end->len)
        g_array_append_val (lane_end, ev->end_at);
      else
        g_array_index (lane_end, gint64, lane) = ev->end_at;
      g_array_index (self->lanes, int, i) = lane;
    }
  self->n_lanes = lane_end->len;
  update_accessible (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

const DrdTimelineEvent *
drd_timeline_lookup (DrdTimeline *self, gint64 event_id)
{
  for (guint i = 0; i < self->events->len; i++)
    {
      DrdTimelineEvent *ev = g_ptr_array_index (self->events, i);
      if (ev->id == event_id)
        return ev;
    }
  return NULL;
}

int
drd_timeline_lane_of (DrdTimeline *self, gint64 event_id)
{
  for (guint i = 0; i < self->events->len; i++)
    if (((DrdTimelineEvent *) g_ptr_array_index (self->events, i))->id == event_id)
      return g_array_index (self->lanes, int, i);
  return -1;
}

static double
lane_y (int lane)
{
  return DRD_TIMELINE_AXIS_HEIGHT + DRD_TIMELINE_LANE_GAP
         + lane * (DRD_TIMELINE_LANE_HEIGHT + DRD_TIMELINE_LANE_GAP);
}

gint64
drd_timeline_event_at (DrdTimeline *self, double x, double y, double width)
{
  /* Later events are drawn on top, so look from the end. Bars narrower
   * than 6 px are widened for hitting. */
  for (guint i = self->events->len; i > 0; i--)
    {
      DrdTimelineEvent *ev = g_ptr_array_index (self->events, i - 1);
      int lane = g_array_index (self->lanes, int, i - 1);
      double x0 = drd_timeline_time_to_x (self, ev->start_at, width);
      double x1 = drd_timeline_time_to_x (self, ev->end_at, width);
      double y0 = lane_y (lane);

      if (x1 - x0 < 6)
        {
          double mid = (x0 + x1) / 2;
          x0 = mid - 3;
          x1 = mid + 3;
        }
      if (x >= x0 && x < x1 && y >= y0 && y < y0 + DRD_TIMELINE_LANE_HEIGHT)
        return ev->id;
    }
  return 0;
}

void
drd_timeline_set_view_start (DrdTimeline *self, gint64 start)
{
  g_return_if_fail (DRD_IS_TIMELINE (self));
  self->view_start = start;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gint64
drd_timeline_get_view_start (DrdTimeline *self)
{
  return self->view_start;
}

void
drd_timeline_set_zoom (DrdTimeline *self, DrdTimelineZoom zoom)
{
  gint64 center;

  g_return_if_fail (DRD_IS_TIMELINE (self));
  if (zoom == self->zoom)
    return;
  /* Keep the middle of the view where it is. */
  center = self->view_start + drd_timeline_get_span (self) / 2;
  self->zoom = zoom;
  self->view_start = center - drd_timeline_get_span (self) / 2;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
}

DrdTimelineZoom
drd_timeline_get_zoom (DrdTimeline *self)
{
  return self->zoom;
}

void
drd_timeline_scroll_pages (DrdTimeline *self, double pages)
{
  drd_timeline_set_view_start (self, self->view_start
                                     + (gint64) (pages * (double) drd_timeline_get_span (self)));
}

void
drd_timeline_show_time (DrdTimeline *self, gint64 t)
{
  /* The time goes a quarter into the view: a little past, mostly future. */
  drd_timeline_set_view_start (self, t - drd_timeline_get_span (self) / 4);
}

void
drd_timeline_set_now (DrdTimeline *self, gint64 now)
{
  self->now = now;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
drd_timeline_set_selected (DrdTimeline *self, gint64 event_id)
{
  g_return_if_fail (DRD_IS_TIMELINE (self));
  if (self->selected == event_id)
    return;
  self->selected = event_id;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED]);
}

gint64
drd_timeline_get_selected (DrdTimeline *self)
{
  return self->selected;
}

/* @max_width > 0: ellipsized to fit */
static void
append_text_limited (GtkWidget *widget, GtkSnapshot *snapshot, const char *text,
                     double x, double y, const GdkRGBA *color, double max_width)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);

  if (max_width > 0)
    {
      pango_layout_set_width (layout, (int) (max_width * PANGO_SCALE));
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    }
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

static void
append_text (GtkWidget *widget, GtkSnapshot *snapshot, const char *text,
             double x, double y, const GdkRGBA *color)
{
  append_text_limited (widget, snapshot, text, x, y, color, -1);
}

/* Where the next bar in @lane starts after @x (or @width): a name drawn
 * beside its bar stops there instead of running over its neighbour. */
static double
next_bar_x (DrdTimeline *self, int lane, double x, double width)
{
  double limit = width;

  for (guint j = 0; j < self->events->len; j++)
    {
      DrdTimelineEvent *other = g_ptr_array_index (self->events, j);
      double ox = drd_timeline_time_to_x (self, other->start_at, width);

      if (g_array_index (self->lanes, int, j) == lane && ox >= x && ox < limit)
        limit = ox;
    }
  return limit;
}

static void
draw_axis (DrdTimeline *self, GtkSnapshot *snapshot, double width, double height,
           const GdkRGBA *fg)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gint64 span = drd_timeline_get_span (self);
  gint64 step, label_every;
  GdkRGBA grid = *fg;
  gint64 t;

  switch (self->zoom)
    {
    case DRD_TIMELINE_ZOOM_DAY: step = 3600; label_every = 3600 * 2; break;
    case DRD_TIMELINE_ZOOM_WEEK: step = 6 * 3600; label_every = 86400; break;
    case DRD_TIMELINE_ZOOM_MONTH:
    default: step = 86400; label_every = 86400 * 3; break;
    }
  grid.alpha = 0.12;
  t = drd_gui_local_midnight (self->view_start);
  for (; t <= self->view_start + span; t += step)
    {
      double x = drd_timeline_time_to_x (self, t, width);
      gboolean major = ((t + DRD_SEOUL_OFFSET_S) % label_every) == 0;

      if (x < 0)
        continue;
      grid.alpha = major ? 0.25 : 0.10;
      gtk_snapshot_append_color (snapshot, &grid,
                                 &GRAPHENE_RECT_INIT (x, major ? 0 : DRD_TIMELINE_AXIS_HEIGHT - 8,
                                                      1, height));
      if (major)
        {
          g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (t);
          g_autoptr(GDateTime) loc = g_date_time_to_timezone (utc, drd_gui_seoul ());
          g_autofree char *text = NULL;

          if (self->zoom == DRD_TIMELINE_ZOOM_DAY)
            text = g_date_time_format (loc, "%H:%M");
          else
            text = g_date_time_format (loc, "%m-%d");
          append_text (widget, snapshot, text, x + 3, 4, fg);
        }
    }
}

static void
drd_timeline_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  DrdTimeline *self = DRD_TIMELINE (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  gint64 now = drd_timeline_get_now (self);
  GdkRGBA fg;
  double now_x;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  draw_axis (self, snapshot, width, height, &fg);

  for (guint i = 0; i < self->events->len; i++)
    {
      DrdTimelineEvent *ev = g_ptr_array_index (self->events, i);
      int lane = g_array_index (self->lanes, int, i);
      double x0 = drd_timeline_time_to_x (self, ev->start_at, width);
      double x1 = drd_timeline_time_to_x (self, ev->end_at, width);
      double y0 = lane_y (lane);
      GskRoundedRect rr;
      GdkRGBA color, border, text_color = { 1, 1, 1, 1 };
      float bw = 1;
      g_autofree char *label = NULL;

      if (x1 < 0 || x0 > width)
        continue;
      if (x1 - x0 < 3)
        x1 = x0 + 3;
      drd_gui_kind_color (ev->kind, &color);
      border = color;
      switch (ev->status)
        {
        case DRD_EVENT_SCHEDULED:
          color.alpha = 0.35;
          text_color = fg;
          break;
        case DRD_EVENT_ACTIVE:
          break;
        case DRD_EVENT_ENDED:
        case DRD_EVENT_SETTLING:
          color.alpha = 0.70;
          break;
        case DRD_EVENT_SETTLED:
          color.red *= 0.6; color.green *= 0.6; color.blue *= 0.6;
          break;
        case DRD_EVENT_CANCELLED:
        default:
          gdk_rgba_parse (&color, "#9a9996");
          color.alpha = 0.5;
          text_color = fg;
          break;
        }
      if (ev->id == self->selected)
        {
          border = fg;
          bw = 3;
        }
      gsk_rounded_rect_init_from_rect (&rr, &GRAPHENE_RECT_INIT (x0, y0, x1 - x0,
                                                                   DRD_TIMELINE_LANE_HEIGHT), 4);
      label = g_strdup_printf ("%s · %s", ev->name, drd_gui_status_label (ev->status));
      {
        g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, label);
        int tw, th;

        pango_layout_get_pixel_size (layout, &tw, &th);
        gtk_snapshot_push_rounded_clip (snapshot, &rr);
        gtk_snapshot_append_color (snapshot, &color, &rr.bounds);
        if (tw + 12 <= x1 - MAX (x0, 0))
          append_text (widget, snapshot, label, MAX (x0, 0) + 6, y0 + 6, &text_color);
        gtk_snapshot_pop (snapshot);
        /* Too narrow for its name (a short event at week or month zoom):
         * the name goes right of the bar. */
        if (tw + 12 > x1 - MAX (x0, 0))
          {
            double room = next_bar_x (self, lane, x1 + 1, width) - x1 - 10;

            if (room >= 24)
              append_text_limited (widget, snapshot, label, x1 + 4, y0 + 6, &fg,
                                   tw + 1 <= room ? -1 : room);
          }
      }
      gtk_snapshot_append_border (snapshot, &rr, (float[4]) { bw, bw, bw, bw },
                                  (GdkRGBA[4]) { border, border, border, border });
    }

  now_x = drd_timeline_time_to_x (self, now, width);
  if (now_x >= 0 && now_x <= width)
    {
      GdkRGBA red;

      gdk_rgba_parse (&red, "#e01b24");
      gtk_snapshot_append_color (snapshot, &red, &GRAPHENE_RECT_INIT (now_x - 1, 0, 2, height));
      append_text (widget, snapshot, _("now"), now_x + 4, DRD_TIMELINE_AXIS_HEIGHT - 14, &red);
    }
  gtk_snapshot_pop (snapshot);
}

static void
drd_timeline_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                      int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  DrdTimeline *self = DRD_TIMELINE (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 200;
      *natural = 800;
    }
  else
    {
      *minimum = (int) lane_y (MAX (self->n_lanes, 2)) + 4;
      *natural = *minimum;
    }
}

static void
on_click (GtkGestureClick *gesture, int n_press, double x, double y, DrdTimeline *self)
{
  double width = gtk_widget_get_width (GTK_WIDGET (self));
  gint64 id = drd_timeline_event_at (self, x, y, width);

  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (id != 0)
    {
      drd_timeline_set_selected (self, id);
      g_signal_emit (self, signals[EVENT_ACTIVATED], 0, id);
    }
}

static void
on_drag_begin (GtkGestureDrag *gesture, double x, double y, DrdTimeline *self)
{
  self->drag_view_start = self->view_start;
}

static void
on_drag_update (GtkGestureDrag *gesture, double dx, double dy, DrdTimeline *self)
{
  double width = gtk_widget_get_width (GTK_WIDGET (self));

  if (width <= 0)
    return;
  drd_timeline_set_view_start (self, self->drag_view_start
                               - (gint64) (dx * (double) drd_timeline_get_span (self) / width));
}

static gboolean
on_scroll (GtkEventControllerScroll *controller, double dx, double dy, DrdTimeline *self)
{
  GdkModifierType mods = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));

  if (mods & GDK_CONTROL_MASK)
    {
      int z = (int) self->zoom + (dy > 0 ? 1 : -1);
      drd_timeline_set_zoom (self, CLAMP (z, 0, 2));
    }
  else
    drd_timeline_scroll_pages (self, (dx != 0 ? dx : dy) * 0.05);
  return TRUE;
}

static gboolean
on_key (GtkEventControllerKey *controller, guint keyval, guint keycode,
        GdkModifierType state, DrdTimeline *self)
{
  switch (keyval)
    {
    case GDK_KEY_Left: drd_timeline_scroll_pages (self, -0.25); return TRUE;
    case GDK_KEY_Right: drd_timeline_scroll_pages (self, 0.25); return TRUE;
    case GDK_KEY_plus: case GDK_KEY_KP_Add: case GDK_KEY_equal:
      drd_timeline_set_zoom (self, MAX ((int) self->zoom - 1, 0)); return TRUE;
    case GDK_KEY_minus: case GDK_KEY_KP_Subtract:
      drd_timeline_set_zoom (self, MIN ((int) self->zoom + 1, 2)); return TRUE;
    default: return FALSE;
    }
}

static gboolean
on_tick (gpointer user_data)
{
  gtk_widget_queue_draw (GTK_WIDGET (user_data));
  return G_SOURCE_CONTINUE;
}

static void
drd_timeline_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DrdTimeline *self = DRD_TIMELINE (object);

  switch (prop_id)
    {
    case PROP_ZOOM: g_value_set_int (value, self->zoom); break;
    case PROP_SELECTED: g_value_set_int64 (value, self->selected); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
drd_timeline_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  DrdTimeline *self = DRD_TIMELINE (object);

  switch (prop_id)
    {
    case PROP_ZOOM: drd_timeline_set_zoom (self, g_value_get_int (value)); break;
    case PROP_SELECTED: drd_timeline_set_selected (self, g_value_get_int64 (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
drd_timeline_dispose (GObject *object)
{
  DrdTimeline *self = DRD_TIMELINE (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  G_OBJECT_CLASS (drd_timeline_parent_class)->dispose (object);
}

static void
drd_timeline_finalize (GObject *object)
{
  DrdTimeline *self = DRD_TIMELINE (object);

  g_ptr_array_unref (self->events);
  g_array_unref (self->lanes);
  G_OBJECT_CLASS (drd_timeline_parent_class)->finalize (object);
}

static void
drd_timeline_class_init (DrdTimelineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = drd_timeline_get_property;
  object_class->set_property = drd_timeline_set_property;
  object_class->dispose = drd_timeline_dispose;
  object_class->finalize = drd_timeline_finalize;
  widget_class->snapshot = drd_timeline_snapshot;
  widget_class->measure = drd_timeline_measure;

  properties[PROP_ZOOM] =
    g_param_spec_int ("zoom", NULL, NULL, 0, 2, 0,
                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SELECTED] =
    g_param_spec_int64 ("selected", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[EVENT_ACTIVATED] =
    g_signal_new ("event-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);

  gtk_widget_class_set_css_name (widget_class, "drdtimeline");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
drd_timeline_init (DrdTimeline *self)
{
  GtkGesture *click = gtk_gesture_click_new ();
  GtkGesture *drag = gtk_gesture_drag_new ();
  GtkEventController *scroll =
    gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  GtkEventController *key = gtk_event_controller_key_new ();

  self->events = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_timeline_event_free);
  self->lanes = g_array_new (FALSE, TRUE, sizeof (int));
  self->zoom = DRD_TIMELINE_ZOOM_WEEK;
  drd_timeline_show_time (self, g_get_real_time () / G_USEC_PER_SEC);

  g_signal_connect (click, "released", G_CALLBACK (on_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  g_signal_connect (drag, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (on_drag_update), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));
  g_signal_connect (scroll, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);
  g_signal_connect (key, "key-pressed", G_CALLBACK (on_key), self);
  gtk_widget_add_controller (GTK_WIDGET (self), key);
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  self->tick_id = g_timeout_add_seconds (30, on_tick, self);
  update_accessible (self);
}

GtkWidget *
drd_timeline_new (void)
{
  return g_object_new (DRD_TYPE_TIMELINE, NULL);
}
