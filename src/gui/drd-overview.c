/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gui/drd-answer-bar.h"
#include "gui/drd-gui-util.h"
#include "gui/drd-overview.h"

struct _DrdOverview
{
  GtkWidget          parent_instance;

  /* template */
  GtkWidget         *event_title;
  GtkWidget         *event_kind;
  GtkWidget         *event_window;
  GtkWidget         *event_left;
  GtkWidget         *accepted_count;
  GtkWidget         *denied_count;
  GtkWidget         *none_count;
  DrdAnswerBar      *answer_bar;
  GtkWidget         *capacity_label;
  GtkLevelBar       *capacity_bar;
  GtkWidget         *portal_label;
  GtkWidget         *kepco_label;

  /* owned */
  DrdEvent          *event;
  DrdResponseCounts  counts;
  guint              tick_id;
};

G_DEFINE_FINAL_TYPE (DrdOverview, drd_overview, GTK_TYPE_WIDGET)

static const char *
service_word (DrdServiceState state)
{
  switch (state)
    {
    case DRD_SERVICE_STARTING: return _("starting");
    case DRD_SERVICE_RUNNING: return _("running");
    case DRD_SERVICE_DEGRADED: return _("having trouble");
    case DRD_SERVICE_FAILED: return _("down");
    case DRD_SERVICE_NOT_RUNNING:
    default: return _("not running");
    }
}

static void
set_state_class (GtkWidget *label, DrdServiceState state)
{
  gtk_widget_remove_css_class (label, "success");
  gtk_widget_remove_css_class (label, "warning");
  gtk_widget_remove_css_class (label, "error");
  gtk_widget_remove_css_class (label, "dim-label");
  if (state == DRD_SERVICE_RUNNING)
    gtk_widget_add_css_class (label, "success");
  else if (state == DRD_SERVICE_DEGRADED || state == DRD_SERVICE_STARTING)
    gtk_widget_add_css_class (label, "warning");
  else if (state == DRD_SERVICE_FAILED)
    gtk_widget_add_css_class (label, "error");
  else
    gtk_widget_add_css_class (label, "dim-label");
}

void
drd_overview_set_portal_status (DrdOverview *self, DrdServiceState state, const char *address)
{
  g_autofree char *text = NULL;

  g_return_if_fail (DRD_IS_OVERVIEW (self));
  if (address != NULL && *address != '\0')
    /* TRANSLATORS: "Customer portal: running · http://…" */
    text = g_strdup_printf (_("Customer portal: %s · %s"), service_word (state), address);
  else
    text = g_strdup_printf (_("Customer portal: %s"), service_word (state));
  gtk_label_set_text (GTK_LABEL (self->portal_label), text);
  set_state_class (self->portal_label, state);
}

void
drd_overview_set_kepco_status (DrdOverview *self, DrdServiceState state, guint pending_jobs,
                               const char *detail)
{
  g_autofree char *jobs = NULL;
  g_autofree char *text = NULL;

  g_return_if_fail (DRD_IS_OVERVIEW (self));
  if (pending_jobs == 0)
    jobs = g_strdup (_("no settlement work waiting"));
  else
    jobs = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u settlement job waiting",
                                         "%u settlement jobs waiting", pending_jobs),
                            pending_jobs);
  if (detail != NULL && *detail != '\0')
    text = g_strdup_printf (_("KEPCO link: %s (%s) · %s"), service_word (state), detail, jobs);
  else
    text = g_strdup_printf (_("KEPCO link: %s · %s"), service_word (state), jobs);
  gtk_label_set_text (GTK_LABEL (self->kepco_label), text);
  set_state_class (self->kepco_label, state);
}

const char *
drd_overview_get_portal_text (DrdOverview *self)
{
  return gtk_label_get_text (GTK_LABEL (self->portal_label));
}

const char *
drd_overview_get_kepco_text (DrdOverview *self)
{
  return gtk_label_get_text (GTK_LABEL (self->kepco_label));
}

static void
update_time_left (DrdOverview *self, gint64 now)
{
  g_autofree char *text = NULL;

  if (self->event == NULL)
    {
      gtk_label_set_text (GTK_LABEL (self->event_left), "");
      return;
    }
  if (self->event->status == DRD_EVENT_ENDED || self->event->status == DRD_EVENT_SETTLING)
    {
      /* Kept in view after ending until it is settled (drd-window.c). */
      g_autofree char *end = drd_gui_format_clock (self->event->end_at);
      text = g_strdup_printf (_("ended at %s — settlement in progress (Settlement view)"), end);
    }
  else if (self->event->status == DRD_EVENT_SETTLED)
    text = g_strdup (_("settled"));
  else if (self->event->status == DRD_EVENT_SCHEDULED || now < self->event->start_at)
    {
      g_autofree char *d = drd_gui_format_duration (self->event->start_at - now);
      text = g_strdup_printf (_("starts in %s"), d);
    }
  else if (now < self->event->end_at)
    {
      g_autofree char *d = drd_gui_format_duration (self->event->end_at - now);
      text = g_strdup_printf (_("%s left"), d);
    }
  else
    text = g_strdup (_("window over — end the event to settle it"));
  gtk_label_set_text (GTK_LABEL (self->event_left), text);
}

static gboolean
on_tick (gpointer user_data)
{
  update_time_left (DRD_OVERVIEW (user_data), g_get_real_time () / G_USEC_PER_SEC);
  return G_SOURCE_CONTINUE;
}

static void
update_capacity (DrdOverview *self)
{
  g_autofree char *acc = drd_gui_format_kw (self->counts.accepted_w);
  g_autofree char *text = NULL;

  if (self->event != NULL)
    {
      g_autofree char *target = drd_gui_format_kw (self->event->target_w);
      /* TRANSLATORS: accepted registered capacity against the event's target */
      text = g_strdup_printf (_("Accepted %s of %s target"), acc, target);
      gtk_level_bar_set_value (self->capacity_bar,
                               CLAMP ((double) self->counts.accepted_w
                                      / (double) MAX (self->event->target_w, 1), 0.0, 1.0));
    }
  else
    {
      text = g_strdup (_("No target: no event running"));
      gtk_level_bar_set_value (self->capacity_bar, 0);
    }
  gtk_label_set_text (GTK_LABEL (self->capacity_label), text);
}

void
drd_overview_set_event (DrdOverview *self, const DrdEvent *event, gint64 now)
{
  g_return_if_fail (DRD_IS_OVERVIEW (self));

  g_clear_pointer (&self->event, drd_event_free);
  if (event != NULL)
    {
      g_autofree char *window = drd_gui_format_window (event->start_at, event->end_at);
      g_autofree char *kind = g_strdup_printf ("%s · %s", drd_gui_kind_label (event->kind),
                                               drd_gui_status_label (event->status));

      self->event = drd_event_copy (event);
      gtk_label_set_text (GTK_LABEL (self->event_title), event->name);
      gtk_label_set_text (GTK_LABEL (self->event_kind), kind);
      gtk_label_set_text (GTK_LABEL (self->event_window), window);
    }
  else
    {
      DrdResponseCounts zero = { 0 };

      gtk_label_set_text (GTK_LABEL (self->event_title), _("No event running"));
      gtk_label_set_text (GTK_LABEL (self->event_kind), "");
      gtk_label_set_text (GTK_LABEL (self->event_window),
                          _("Start an event with “Start Event…” (Ctrl+N)."));
      drd_overview_set_counts (self, &zero);
    }
  update_time_left (self, now);
  update_capacity (self);
}

gint64
drd_overview_get_event_id (DrdOverview *self)
{
  return self->event != NULL ? self->event->id : 0;
}

static void
set_count (GtkWidget *label, gint64 n)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, n);

  gtk_label_set_text (GTK_LABEL (label), text);
}

void
drd_overview_set_counts (DrdOverview *self, const DrdResponseCounts *counts)
{
  g_return_if_fail (DRD_IS_OVERVIEW (self));

  self->counts = *counts;
  set_count (self->accepted_count, counts->n_accept);
  set_count (self->denied_count, counts->n_deny);
  set_count (self->none_count, counts->n_none);
  drd_answer_bar_set_counts (self->answer_bar, counts->n_accept, counts->n_deny, counts->n_none);
  update_capacity (self);
}

void
drd_overview_get_counts (DrdOverview *self, DrdResponseCounts *out)
{
  *out = self->counts;
}

static void
drd_overview_dispose (GObject *object)
{
  DrdOverview *self = DRD_OVERVIEW (object);
  GtkWidget *child;

  g_clear_handle_id (&self->tick_id, g_source_remove);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (drd_overview_parent_class)->dispose (object);
}

static void
drd_overview_finalize (GObject *object)
{
  DrdOverview *self = DRD_OVERVIEW (object);

  g_clear_pointer (&self->event, drd_event_free);
  G_OBJECT_CLASS (drd_overview_parent_class)->finalize (object);
}

static void
drd_overview_class_init (DrdOverviewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = drd_overview_dispose;
  object_class->finalize = drd_overview_finalize;

  g_type_ensure (DRD_TYPE_ANSWER_BAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/kr/drdesk/DrDesk/drd-overview.ui");
  gtk_widget_class_bind_template_child (widget_class, DrdOverview, event_title);
  gtk_widget_class_bind_template_child (widget_class, DrdOverview, event_kind);
  gtk_widget_class_bind_template_child (widget_class, DrdOverview, event_window);
  gtk_widget_class_bind_template_child (widget_class, DrdOverview, event_left);
  gtk_widget_class_bind_template_child (widget_class, DrdOverview, accepted_count);
  gtk_widget_class_bind_template_child (widget_class, DrdOverview, denied_count);
  gtk_widget_class_bind_template_child (widget_class, DrdOverview, none_count);
  gtk_widget_class_bind_template_child (widget_class, DrdOverview, answer_bar);
  gtk_widget_class_bind_template_child (widget_class, DrdOverview, capacity_label);
  gtk_widget_class_bind_template_child (widget_class, DrdOverview, capacity_bar);
  gtk_widget_class_bind_template_child (widget_class, DrdOverview, portal_label);
  gtk_widget_class_bind_template_child (widget_class, DrdOverview, kepco_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "drdoverview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
drd_overview_init (DrdOverview *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  drd_overview_set_event (self, NULL, g_get_real_time () / G_USEC_PER_SEC);
  drd_overview_set_portal_status (self, DRD_SERVICE_NOT_RUNNING, NULL);
  drd_overview_set_kepco_status (self, DRD_SERVICE_NOT_RUNNING, 0, NULL);
  self->tick_id = g_timeout_add_seconds (1, on_tick, self);
}

GtkWidget *
drd_overview_new (void)
{
  return g_object_new (DRD_TYPE_OVERVIEW, NULL);
}
