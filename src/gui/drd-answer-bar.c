/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gui/drd-answer-bar.h"

struct _DrdAnswerBar
{
  GtkWidget parent_instance;

  gint64    counts[3];   /* accepted, denied, none */
};

G_DEFINE_FINAL_TYPE (DrdAnswerBar, drd_answer_bar, GTK_TYPE_WIDGET)

static void
drd_answer_bar_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  DrdAnswerBar *self = DRD_ANSWER_BAR (widget);
  static const char *colors[] = { "#2ec27e", "#e01b24", "#9a9996" };
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  gint64 total = self->counts[0] + self->counts[1] + self->counts[2];
  GskRoundedRect outline;
  double x = 0;

  gsk_rounded_rect_init_from_rect (&outline, &GRAPHENE_RECT_INIT (0, 0, width, height), 4);
  gtk_snapshot_push_rounded_clip (snapshot, &outline);
  if (total == 0)
    {
      GdkRGBA empty;

      gdk_rgba_parse (&empty, "rgba(128,128,128,0.25)");
      gtk_snapshot_append_color (snapshot, &empty, &outline.bounds);
    }
  for (int i = 0; i < 3 && total > 0; i++)
    {
      double w = width * (double) self->counts[i] / (double) total;
      GdkRGBA c;

      gdk_rgba_parse (&c, colors[i]);
      gtk_snapshot_append_color (snapshot, &c, &GRAPHENE_RECT_INIT (x, 0, w, height));
      x += w;
    }
  gtk_snapshot_pop (snapshot);
}

static void
drd_answer_bar_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                        int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 60;
      *natural = 240;
    }
  else
    *minimum = *natural = 14;
}

static void
drd_answer_bar_class_init (DrdAnswerBarClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->snapshot = drd_answer_bar_snapshot;
  widget_class->measure = drd_answer_bar_measure;
  gtk_widget_class_set_css_name (widget_class, "drdanswerbar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
drd_answer_bar_init (DrdAnswerBar *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Answers so far"), -1);
}

GtkWidget *
drd_answer_bar_new (void)
{
  return g_object_new (DRD_TYPE_ANSWER_BAR, NULL);
}

void
drd_answer_bar_set_counts (DrdAnswerBar *self, gint64 accepted, gint64 denied, gint64 none)
{
  g_autofree char *desc = NULL;

  g_return_if_fail (DRD_IS_ANSWER_BAR (self));
  self->counts[0] = MAX (accepted, 0);
  self->counts[1] = MAX (denied, 0);
  self->counts[2] = MAX (none, 0);
  /* TRANSLATORS: counts of answers */
  desc = g_strdup_printf (_("%d accepted, %d denied, %d no response"),
                          (int) accepted, (int) denied, (int) none);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  desc, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
