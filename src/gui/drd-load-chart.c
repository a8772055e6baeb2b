/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <glib/gi18n-lib.h>

#include "gui/drd-gui-util.h"
#include "gui/drd-load-chart.h"

#define SLOT_S 900

struct _DrdLoadChart
{
  GtkWidget       parent_instance;

  DrdSettleChart *chart;
  char           *title;
  char           *message;
  DrdChartScale   scale;
  guint           n_segments;
  GCancellable   *cancellable;
};

G_DEFINE_FINAL_TYPE (DrdLoadChart, drd_load_chart, GTK_TYPE_WIDGET)

/* ---- maths ---- */

void
drd_chart_nice_scale (double data_max, guint max_ticks, DrdChartScale *out)
{
  static const double mult[] = { 1, 2, 5, 10 };
  double raw, mag, step = 1;

  if (max_ticks < 1)
    max_ticks = 1;
  if (!(data_max > 0) || !isfinite (data_max))
    data_max = 1;
  raw = data_max / max_ticks;
  mag = pow (10, floor (log10 (raw)));
  for (guint i = 0; i < G_N_ELEMENTS (mult); i++)
    {
      step = mult[i] * mag;
      /* a small tolerance so 10.000000001 does not need another tick */
      if (step * max_ticks >= data_max * (1 - 1e-9))
        break;
    }
  out->step = step;
  out->n_ticks = (guint) ceil (data_max / step - 1e-9) + 1;
  out->max = step * (out->n_ticks - 1);
}

double
drd_chart_wh_to_kw (gint64 wh_per_slot)
{
  return wh_per_slot * (3600.0 / SLOT_S) / 1000.0;
}

guint
drd_chart_runs (const gint64 *values, guint n, guint *starts, guint *lengths, guint max_runs)
{
  guint runs = 0;
  guint i = 0;

  while (i < n)
    {
      guint s;

      while (i < n && values[i] < 0)
        i++;
      if (i >= n)
        break;
      s = i;
      while (i < n && values[i] >= 0)
        i++;
      if (runs < max_runs)
        {
          if (starts != NULL)
            starts[runs] = s;
          if (lengths != NULL)
            lengths[runs] = i - s;
        }
      runs++;
    }
  return runs;
}

int
drd_chart_slot_hour (gint64 first_slot_start, guint slot)
{
  gint64 local = first_slot_start + (gint64) slot * SLOT_S + DRD_SEOUL_OFFSET_S;
  gint64 sec_of_day = ((local % 86400) + 86400) % 86400;

  return (int) (sec_of_day / 3600);
}

/* ---- drawing ---- */

static PangoLayout *
make_layout (DrdLoadChart *self, const char *text, gboolean small)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);

  if (small)
    {
      PangoAttrList *attrs = pango_attr_list_new ();
      pango_attr_list_insert (attrs, pango_attr_scale_new (0.85));
      pango_layout_set_attributes (layout, attrs);
      pango_attr_list_unref (attrs);
    }
  return layout;
}

static void
draw_text (DrdLoadChart *self, cairo_t *cr, const char *text, double x, double y,
           double xalign, double yalign, gboolean small)
{
  g_autoptr(PangoLayout) layout = make_layout (self, text, small);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - xalign * w, y - yalign * h);
  pango_cairo_show_layout (cr, layout);
}

static guint
draw_series (cairo_t *cr, const gint64 *values, guint n, double x0, double slot_w,
             double y0, double plot_h, double ymax)
{
  guint starts[256], lengths[256];
  guint runs = drd_chart_runs (values, n, starts, lengths, G_N_ELEMENTS (starts));

  for (guint r = 0; r < MIN (runs, G_N_ELEMENTS (starts)); r++)
    {
      for (guint k = 0; k < lengths[r]; k++)
        {
          guint i = starts[r] + k;
          /* each slot's value is drawn at the slot's middle */
          double x = x0 + (i + 0.5) * slot_w;
          double y = y0 + plot_h - drd_chart_wh_to_kw (values[i]) / ymax * plot_h;

          if (k == 0)
            cairo_move_to (cr, x, y);
          else
            cairo_line_to (cr, x, y);
        }
      if (lengths[r] == 1)
        {
          /* a lone slot: a short tick so it is visible */
          double x, y;
          cairo_get_current_point (cr, &x, &y);
          cairo_move_to (cr, x - slot_w / 3, y);
          cairo_line_to (cr, x + slot_w / 3, y);
        }
      cairo_stroke (cr);
    }
  return runs;
}

static void
drd_load_chart_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  DrdLoadChart *self = DRD_LOAD_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  const DrdSettleChart *c = self->chart;
  GdkRGBA fg;
  cairo_t *cr;
  double left = 64, right = 16, top = 48, bottom = 40;
  double plot_w, plot_h, slot_w, data_max = 0;

  if (width <= 0 || height <= 0)
    return;
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  gdk_cairo_set_source_rgba (cr, &fg);
  self->n_segments = 0;

  if (c == NULL || c->n_slots == 0)
    {
      draw_text (self, cr, self->message ? self->message
                                         : _("Select a customer to see their load against the CBL."),
                 width / 2.0, height / 2.0, 0.5, 0.5, FALSE);
      cairo_destroy (cr);
      return;
    }

  for (guint i = 0; i < c->n_slots; i++)
    {
      if (c->actual_wh[i] >= 0)
        data_max = MAX (data_max, drd_chart_wh_to_kw (c->actual_wh[i]));
      if (c->cbl_wh[i] >= 0)
        data_max = MAX (data_max, drd_chart_wh_to_kw (c->cbl_wh[i]));
    }
  drd_chart_nice_scale (data_max, 5, &self->scale);

  plot_w = MAX (width - left - right, 10);
  plot_h = MAX (height - top - bottom, 10);
  slot_w = plot_w / c->n_slots;

  /* title */
  if (self->title != NULL)
    draw_text (self, cr, self->title, left, 4, 0, 0, FALSE);

  /* event window */
  {
    double xs = left + (double) (c->event_start - c->first_slot_start) / SLOT_S * slot_w;
    double xe = left + (double) (c->event_end - c->first_slot_start) / SLOT_S * slot_w;

    xs = CLAMP (xs, left, left + plot_w);
    xe = CLAMP (xe, left, left + plot_w);
    cairo_set_source_rgba (cr, 0.90, 0.25, 0.20, 0.15);
    cairo_rectangle (cr, xs, top, xe - xs, plot_h);
    cairo_fill (cr);
  }

  /* y axis: grid, ticks, unit */
  cairo_set_line_width (cr, 1);
  for (guint t = 0; t < self->scale.n_ticks; t++)
    {
      double v = t * self->scale.step;
      double y = round (top + plot_h - v / self->scale.max * plot_h) + 0.5;
      char buf[32];

      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, t == 0 ? 0.6 : 0.12);
      cairo_move_to (cr, left, y);
      cairo_line_to (cr, left + plot_w, y);
      cairo_stroke (cr);
      gdk_cairo_set_source_rgba (cr, &fg);
      if (self->scale.step < 1)
        g_snprintf (buf, sizeof buf, "%.1f", v);
      else
        g_snprintf (buf, sizeof buf, "%.0f", v);
      draw_text (self, cr, buf, left - 6, y, 1, 0.5, TRUE);
    }
  draw_text (self, cr, _("kW (15-min average)"), 4, top - 12, 0, 0.5, TRUE);

  /* x axis: Seoul hours every 3 h, day boundaries */
  for (guint i = 0; i <= c->n_slots; i += 4)
    {
      int hour = drd_chart_slot_hour (c->first_slot_start, i);
      double x = round (left + i * slot_w) + 0.5;

      if (hour % 3 != 0)
        continue;
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, hour == 0 ? 0.5 : 0.25);
      cairo_move_to (cr, x, top + plot_h);
      cairo_line_to (cr, x, top + plot_h + 4);
      cairo_stroke (cr);
      gdk_cairo_set_source_rgba (cr, &fg);
      {
        char buf[8];
        g_snprintf (buf, sizeof buf, "%02d", hour);
        draw_text (self, cr, buf, x, top + plot_h + 5, 0.5, 0, TRUE);
      }
    }
  draw_text (self, cr, _("Hour (Korea time)"), left + plot_w, height - 2, 1, 1, TRUE);

  /* lines: CBL dashed orange, actual solid blue; gaps where missing */
  cairo_save (cr);
  cairo_rectangle (cr, left, top - 2, plot_w, plot_h + 4);
  cairo_clip (cr);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_width (cr, 2);
  if (c->cbl_ok)
    {
      double dash[] = { 6, 4 };

      cairo_set_source_rgb (cr, 0.93, 0.51, 0.10);
      cairo_set_dash (cr, dash, 2, 0);
      self->n_segments += draw_series (cr, c->cbl_wh, c->n_slots, left, slot_w, top, plot_h,
                                       self->scale.max);
      cairo_set_dash (cr, NULL, 0, 0);
    }
  cairo_set_source_rgb (cr, 0.11, 0.44, 0.85);
  self->n_segments += draw_series (cr, c->actual_wh, c->n_slots, left, slot_w, top, plot_h,
                                   self->scale.max);
  cairo_restore (cr);

  /* legend (top right) */
  {
    const char *names[3] = { _("Actual load"), _("CBL (baseline)"), _("Event window") };
    double x = left + plot_w;
    double y = 12;

    /* the title's row: the legend goes on the unit's row when they meet */
    if (self->title != NULL)
      {
        g_autoptr(PangoLayout) tl = make_layout (self, self->title, FALSE);
        int tw, th;

        pango_layout_get_pixel_size (tl, &tw, &th);
        if (left + tw + 330 > left + plot_w)
          y = top - 12;
      }
    for (int k = 2; k >= 0; k--)
      {
        g_autoptr(PangoLayout) layout = make_layout (self, names[k], TRUE);
        int w, h;

        if (k == 1 && !c->cbl_ok)
          continue;
        pango_layout_get_pixel_size (layout, &w, &h);
        x -= w;
        gdk_cairo_set_source_rgba (cr, &fg);
        cairo_move_to (cr, x, y - h / 2.0);
        pango_cairo_show_layout (cr, layout);
        x -= 22;
        if (k == 2)
          {
            cairo_set_source_rgba (cr, 0.90, 0.25, 0.20, 0.25);
            cairo_rectangle (cr, x, y - 5, 16, 10);
            cairo_fill (cr);
          }
        else
          {
            double dash[] = { 4, 3 };
            if (k == 1)
              {
                cairo_set_source_rgb (cr, 0.93, 0.51, 0.10);
                cairo_set_dash (cr, dash, 2, 0);
              }
            else
              cairo_set_source_rgb (cr, 0.11, 0.44, 0.85);
            cairo_set_line_width (cr, 2);
            cairo_move_to (cr, x, y);
            cairo_line_to (cr, x + 16, y);
            cairo_stroke (cr);
            cairo_set_dash (cr, NULL, 0, 0);
          }
        x -= 14;
      }
  }
  if (!c->cbl_ok)
    {
      gdk_cairo_set_source_rgba (cr, &fg);
      draw_text (self, cr, _("No CBL: not enough usable days"), left + 8, top + 4, 0, 0, TRUE);
    }
  cairo_destroy (cr);
}

static void
drd_load_chart_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                        int *minimum, int *natural, int *min_baseline, int *nat_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 320;
      *natural = 640;
    }
  else
    {
      *minimum = 180;
      *natural = 240;
    }
}

/* ---- public ---- */

void
drd_load_chart_set_chart (DrdLoadChart *self, DrdSettleChart *chart, const char *title)
{
  g_return_if_fail (DRD_IS_LOAD_CHART (self));

  g_clear_pointer (&self->chart, drd_settle_chart_free);
  self->chart = chart;
  g_free (self->title);
  self->title = g_strdup (title);
  memset (&self->scale, 0, sizeof self->scale);
  if (chart != NULL)
    {
      double data_max = 0;

      for (guint i = 0; i < chart->n_slots; i++)
        {
          if (chart->actual_wh[i] >= 0)
            data_max = MAX (data_max, drd_chart_wh_to_kw (chart->actual_wh[i]));
          if (chart->cbl_wh[i] >= 0)
            data_max = MAX (data_max, drd_chart_wh_to_kw (chart->cbl_wh[i]));
        }
      drd_chart_nice_scale (data_max, 5, &self->scale);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  title ? title : "", -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
drd_load_chart_set_message (DrdLoadChart *self, const char *message)
{
  g_return_if_fail (DRD_IS_LOAD_CHART (self));

  g_free (self->message);
  self->message = g_strdup (message);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

typedef struct {
  DrdLoadChart *self;
  char         *title;
} LoadReq;

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LoadReq *req = user_data;
  g_autoptr(GError) error = NULL;
  DrdSettleChart *chart = drd_settle_chart_load_finish (result, &error);

  if (chart != NULL)
    drd_load_chart_set_chart (req->self, chart, req->title);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      drd_load_chart_set_chart (req->self, NULL, NULL);
      drd_load_chart_set_message (req->self, error->message);
    }
  g_object_unref (req->self);
  g_free (req->title);
  g_free (req);
}

void
drd_load_chart_load (DrdLoadChart *self, DrdStore *store, const DrdParams *params,
                     gint64 event_id, gint64 customer_id, const char *title)
{
  DrdParams defaults;
  LoadReq *req;

  g_return_if_fail (DRD_IS_LOAD_CHART (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (store == NULL)
    return;
  if (params == NULL)
    {
      drd_params_init_defaults (&defaults);
      params = &defaults;
    }
  self->cancellable = g_cancellable_new ();
  req = g_new0 (LoadReq, 1);
  req->self = g_object_ref (self);
  req->title = g_strdup (title);
  drd_load_chart_set_message (self, _("Loading…"));
  drd_settle_chart_load_async (store, params, event_id, customer_id, self->cancellable,
                               on_loaded, req);
}

const DrdSettleChart *
drd_load_chart_get_chart (DrdLoadChart *self)
{
  return self->chart;
}

void
drd_load_chart_get_scale (DrdLoadChart *self, DrdChartScale *out)
{
  *out = self->scale;
}

guint
drd_load_chart_get_n_segments_drawn (DrdLoadChart *self)
{
  return self->n_segments;
}

static void
drd_load_chart_finalize (GObject *object)
{
  DrdLoadChart *self = DRD_LOAD_CHART (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->chart, drd_settle_chart_free);
  g_free (self->title);
  g_free (self->message);
  G_OBJECT_CLASS (drd_load_chart_parent_class)->finalize (object);
}

static void
drd_load_chart_class_init (DrdLoadChartClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = drd_load_chart_finalize;
  widget_class->snapshot = drd_load_chart_snapshot;
  widget_class->measure = drd_load_chart_measure;
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
  gtk_widget_class_set_css_name (widget_class, "loadchart");
}

static void
drd_load_chart_init (DrdLoadChart *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Load chart: actual load against the CBL"), -1);
}

GtkWidget *
drd_load_chart_new (void)
{
  return g_object_new (DRD_TYPE_LOAD_CHART, NULL);
}
