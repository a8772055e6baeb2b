/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "core/drd-params.h"
#include "core/drd-time.h"
#include "gui/drd-gui-util.h"
#include "gui/drd-start-dialog.h"
#include "store/drd-store-gui.h"

struct _DrdStartDialog
{
  GtkWindow      parent_instance;

  /* template */
  GtkEntry      *name_entry;
  GtkDropDown   *kind_dropdown;
  GtkEntry      *start_date;
  GtkDropDown   *start_time;
  GtkEntry      *end_date;
  GtkDropDown   *end_time;
  GtkSpinButton *target_spin;
  GtkEntry      *deadline_date;
  GtkDropDown   *deadline_time;
  GtkFlowBox    *resources_box;
  GtkCheckButton *all_resources;
  GtkWidget     *warnings_box;
  GtkLabel      *warnings_label;
  GtkWidget     *errors_box;
  GtkLabel      *errors_label;
  GtkLabel      *summary_label;
  GtkButton     *start_button;
  GtkSpinner    *spinner;

  /* owned */
  DrdStore      *store;
  GCancellable  *cancellable;
  GCancellable  *summary_cancellable;
  GPtrArray     *resources;        /* DrdStoreResource* */
  GPtrArray     *resource_checks;  /* GtkCheckButton*, parallel (borrowed) */
  gint64         now;              /* 0: the real clock */
  gint64         used_this_year_s;
  gboolean       starting;
  gboolean       can_start;
};

enum {
  EVENT_STARTED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (DrdStartDialog, drd_start_dialog, GTK_TYPE_WINDOW)

static gint64
get_now (DrdStartDialog *self)
{
  return self->now != 0 ? self->now : drd_store_now ();
}

gboolean
drd_start_dialog_check (const DrdEvent *draft, gint64 now, gint64 used_this_year_s,
                        char ***out_warnings, GError **error)
{
  g_autoptr(GPtrArray) advice = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) kpx = NULL;
  g_autofree char *name = g_strstrip (g_strdup (draft->name ? draft->name : ""));
  glong name_len = g_utf8_strlen (name, -1);

  if (out_warnings != NULL)
    *out_warnings = NULL;
  if (name_len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Give the event a name."));
      return FALSE;
    }
  if (name_len > 200)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The name is too long: at most 200 characters."));
      return FALSE;
    }
  if (draft->start_at % DRD_SLOT_SECONDS != 0 || draft->end_at % DRD_SLOT_SECONDS != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Start and end must be on 15-minute steps."));
      return FALSE;
    }
  if (draft->end_at <= draft->start_at)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The end must be after the start."));
      return FALSE;
    }
  if (draft->target_w <= 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The target must be more than 0 kW."));
      return FALSE;
    }
  if (draft->answer_deadline > draft->end_at)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The answer deadline must not be after the end of the event."));
      return FALSE;
    }

  kpx = drd_params_dispatch_warnings (NULL, draft->start_at, draft->end_at, now, NULL,
                                      used_this_year_s);
  for (guint i = 0; kpx != NULL && kpx[i] != NULL; i++)
    g_ptr_array_add (advice, g_strdup (kpx[i]));
  if (draft->start_at < now)
    g_ptr_array_add (advice, g_strdup (_("The start is in the past: the event is recorded "
                                         "after the fact.")));
  if (draft->answer_deadline != 0 && draft->answer_deadline <= now)
    g_ptr_array_add (advice, g_strdup (_("The answer deadline has already passed: customers "
                                         "cannot answer through the portal.")));
  if (out_warnings != NULL)
    {
      g_ptr_array_add (advice, NULL);
      *out_warnings = (char **) g_ptr_array_steal (advice, NULL);
    }
  return TRUE;
}

static gboolean
read_instant (GtkEntry *date_entry, GtkDropDown *time_dropdown, gint64 *out, GError **error)
{
  DrdDate date;
  guint slot = gtk_drop_down_get_selected (time_dropdown);

  if (!drd_date_parse (gtk_editable_get_text (GTK_EDITABLE (date_entry)), &date, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Write dates as YYYY-MM-DD, e.g. 2026-07-01."));
      return FALSE;
    }
  if (slot == GTK_INVALID_LIST_POSITION)
    slot = 0;
  *out = drd_slot_start (date, (int) slot);
  return TRUE;
}

static GPtrArray *
selected_resource_names (DrdStartDialog *self)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  if (gtk_check_button_get_active (self->all_resources))
    return names;
  for (guint i = 0; i < self->resource_checks->len; i++)
    if (gtk_check_button_get_active (g_ptr_array_index (self->resource_checks, i)))
      g_ptr_array_add (names, g_strdup (((DrdStoreResource *)
                                         g_ptr_array_index (self->resources, i))->name));
  return names;
}

DrdEvent *
drd_start_dialog_get_draft (DrdStartDialog *self, GError **error)
{
  g_autoptr(DrdEvent) ev = drd_event_new ();
  g_autoptr(GPtrArray) names = NULL;

  ev->name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_entry))));
  ev->kind = (DrdEventKind) MIN (gtk_drop_down_get_selected (self->kind_dropdown), 2);
  if (!read_instant (self->start_date, self->start_time, &ev->start_at, error)
      || !read_instant (self->end_date, self->end_time, &ev->end_at, error)
      || !read_instant (self->deadline_date, self->deadline_time, &ev->answer_deadline, error))
    return NULL;
  ev->target_w = (gint64) (gtk_spin_button_get_value (self->target_spin) * 1000.0 + 0.5);
  names = selected_resource_names (self);
  if (!gtk_check_button_get_active (self->all_resources) && names->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Choose at least one resource, or “All resources”."));
      return NULL;
    }
  g_ptr_array_add (names, NULL);
  ev->resources = (char **) g_ptr_array_steal (names, NULL);
  return g_steal_pointer (&ev);
}

static void
revalidate (DrdStartDialog *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdEvent) draft = drd_start_dialog_get_draft (self, &error);
  g_auto(GStrv) warnings = NULL;
  gboolean ok = draft != NULL
                && drd_start_dialog_check (draft, get_now (self), self->used_this_year_s,
                                           &warnings, &error);

  if (!ok)
    {
      gtk_label_set_text (self->errors_label, error->message);
      gtk_widget_set_visible (self->errors_box, TRUE);
    }
  else
    {
      gtk_label_set_text (self->errors_label, "");
      gtk_widget_set_visible (self->errors_box, FALSE);
    }
  if (warnings != NULL && warnings[0] != NULL)
    {
      GString *s = g_string_new (NULL);

      for (guint i = 0; warnings[i] != NULL; i++)
        g_string_append_printf (s, "%s• %s", i > 0 ? "\n" : "", warnings[i]);
      gtk_label_set_text (self->warnings_label, s->str);
      gtk_widget_set_visible (self->warnings_box, TRUE);
      g_string_free (s, TRUE);
    }
  else
    {
      gtk_label_set_text (self->warnings_label, "");
      gtk_widget_set_visible (self->warnings_box, FALSE);
    }
  self->can_start = ok && !self->starting;
  gtk_widget_set_sensitive (GTK_WIDGET (self->start_button), self->can_start);
}

/* ---- summary of who will be asked ---- */

static void
on_summary (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DrdStartDialog *self = user_data;
  g_autoptr(GError) error = NULL;
  DrdTargetSummary summary;

  if (!drd_store_gui_target_summary_finish (DRD_STORE (source), result, &summary, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        gtk_label_set_text (self->summary_label, error->message);
      g_object_unref (self);
      return;
    }
  {
    g_autofree char *kw = drd_gui_format_kw (summary.registered_w);
    g_autofree char *text =
      g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                    "%d customer will be asked (registered %s).",
                                    "%d customers will be asked (registered %s).",
                                    (gulong) summary.n_customers),
                       (int) summary.n_customers, kw);

    gtk_label_set_text (self->summary_label, text);
  }
  self->used_this_year_s = summary.used_this_year_s;
  revalidate (self);
  g_object_unref (self);
}

static void
update_summary (DrdStartDialog *self)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 start = 0;
  DrdDate day;
  int y, m, d;

  if (self->store == NULL)
    return;
  if (!gtk_check_button_get_active (self->all_resources))
    for (guint i = 0; i < self->resource_checks->len; i++)
      if (gtk_check_button_get_active (g_ptr_array_index (self->resource_checks, i)))
        g_array_append_val (ids, ((DrdStoreResource *) g_ptr_array_index (self->resources, i))->id);
  if (!read_instant (self->start_date, self->start_time, &start, NULL))
    start = get_now (self);
  day = drd_date_of_instant (start);
  drd_date_to_ymd (day, &y, &m, &d);

  if (self->summary_cancellable != NULL)
    g_cancellable_cancel (self->summary_cancellable);
  g_clear_object (&self->summary_cancellable);
  self->summary_cancellable = g_cancellable_new ();
  if (!gtk_check_button_get_active (self->all_resources) && ids->len == 0)
    {
      gtk_label_set_text (self->summary_label, _("No customer will be asked."));
      return;
    }
  drd_store_gui_target_summary_async (self->store, ids,
                                      drd_date_start (drd_date_from_ymd (y, 1, 1)),
                                      drd_date_start (drd_date_from_ymd (y + 1, 1, 1)),
                                      self->summary_cancellable, on_summary,
                                      g_object_ref (self));
}

static void
on_resource_toggled (GtkCheckButton *button, DrdStartDialog *self)
{
  gboolean all = gtk_check_button_get_active (self->all_resources);

  for (guint i = 0; i < self->resource_checks->len; i++)
    gtk_widget_set_sensitive (g_ptr_array_index (self->resource_checks, i), !all);
  revalidate (self);
  update_summary (self);
}

static void
on_resources (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DrdStartDialog *self = user_data;
  g_autoptr(GError) error = NULL;
  GPtrArray *resources = drd_store_list_resources_finish (DRD_STORE (source), result, &error);

  if (resources == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        gtk_label_set_text (self->summary_label, error->message);
      g_object_unref (self);
      return;
    }
  g_clear_pointer (&self->resources, g_ptr_array_unref);
  self->resources = resources;
  for (guint i = 0; i < resources->len; i++)
    {
      DrdStoreResource *r = g_ptr_array_index (resources, i);
      g_autofree char *label = g_strdup_printf ("%s (%" G_GINT64_FORMAT ")", r->name,
                                                r->n_customers);
      GtkWidget *check = gtk_check_button_new_with_label (label);

      gtk_widget_set_sensitive (check, !gtk_check_button_get_active (self->all_resources));
      g_signal_connect (check, "toggled", G_CALLBACK (on_resource_toggled), self);
      gtk_flow_box_insert (self->resources_box, check, -1);
      g_ptr_array_add (self->resource_checks, check);
    }
  update_summary (self);
  g_object_unref (self);
}

/* ---- starting ---- */

static void
on_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DrdStartDialog *self = user_data;
  g_autoptr(GError) error = NULL;
  gint64 id = 0, n = 0;

  self->starting = FALSE;
  gtk_spinner_stop (self->spinner);
  if (!drd_store_start_event_finish (DRD_STORE (source), result, &id, &n, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *msg = g_strdup_printf (_("The event was not started: %s"),
                                                  error->message);
          revalidate (self);
          gtk_label_set_text (self->errors_label, msg);
          gtk_widget_set_visible (self->errors_box, TRUE);
        }
      g_object_unref (self);
      return;
    }
  g_signal_emit (self, signals[EVENT_STARTED], 0, id, n);
  gtk_window_destroy (GTK_WINDOW (self));
  g_object_unref (self);
}

static void
on_start_clicked (DrdStartDialog *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdEvent) draft = drd_start_dialog_get_draft (self, &error);
  g_autofree char *actor = NULL;

  if (draft == NULL || !drd_start_dialog_check (draft, get_now (self), self->used_this_year_s,
                                                NULL, &error))
    {
      revalidate (self);
      return;
    }
  if (self->store == NULL || self->starting)
    return;
  self->starting = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->start_button), FALSE);
  gtk_spinner_start (self->spinner);
  actor = g_strdup_printf ("operator:%s", g_get_user_name ());
  drd_store_start_event_async (self->store, draft, actor, get_now (self), self->cancellable,
                               on_started, g_object_ref (self));
}

static void
on_cancel_clicked (DrdStartDialog *self)
{
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_field_changed (DrdStartDialog *self)
{
  revalidate (self);
}

static void
on_start_date_changed (DrdStartDialog *self)
{
  revalidate (self);
  update_summary (self);
}

/* ---- setters ---- */

static void
set_date_time (GtkEntry *entry, GtkDropDown *dropdown, gint64 t)
{
  g_autofree char *date = drd_date_format (drd_date_of_instant (t));

  gtk_editable_set_text (GTK_EDITABLE (entry), date);
  gtk_drop_down_set_selected (dropdown, (guint) drd_slot_of_instant (t));
}

void
drd_start_dialog_set_window (DrdStartDialog *self, gint64 start, gint64 end, gint64 deadline)
{
  set_date_time (self->start_date, self->start_time, start);
  set_date_time (self->end_date, self->end_time, end);
  set_date_time (self->deadline_date, self->deadline_time, deadline);
  revalidate (self);
}

void
drd_start_dialog_set_now (DrdStartDialog *self, gint64 now)
{
  self->now = now;
  revalidate (self);
}

void
drd_start_dialog_set_name (DrdStartDialog *self, const char *name)
{
  gtk_editable_set_text (GTK_EDITABLE (self->name_entry), name);
}

void
drd_start_dialog_set_target_kw (DrdStartDialog *self, double kw)
{
  gtk_spin_button_set_value (self->target_spin, kw);
  revalidate (self);
}

const char *
drd_start_dialog_get_warnings_text (DrdStartDialog *self)
{
  return gtk_label_get_text (self->warnings_label);
}

const char *
drd_start_dialog_get_error_text (DrdStartDialog *self)
{
  return gtk_label_get_text (self->errors_label);
}

const char *
drd_start_dialog_get_summary_text (DrdStartDialog *self)
{
  return gtk_label_get_text (self->summary_label);
}

gboolean
drd_start_dialog_get_can_start (DrdStartDialog *self)
{
  return self->can_start;
}

static void
fill_time_dropdown (GtkDropDown *dropdown)
{
  g_autoptr(GtkStringList) list = gtk_string_list_new (NULL);

  for (int slot = 0; slot < DRD_SLOTS_PER_DAY; slot++)
    {
      char text[8];

      g_snprintf (text, sizeof text, "%02d:%02d", slot / 4, (slot % 4) * 15);
      gtk_string_list_append (list, text);
    }
  gtk_drop_down_set_model (dropdown, G_LIST_MODEL (list));
}

static void
drd_start_dialog_dispose (GObject *object)
{
  DrdStartDialog *self = DRD_START_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->summary_cancellable != NULL)
    g_cancellable_cancel (self->summary_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->summary_cancellable);
  g_clear_object (&self->store);
  g_clear_pointer (&self->resources, g_ptr_array_unref);
  g_clear_pointer (&self->resource_checks, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), DRD_TYPE_START_DIALOG);
  G_OBJECT_CLASS (drd_start_dialog_parent_class)->dispose (object);
}

static void
drd_start_dialog_class_init (DrdStartDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = drd_start_dialog_dispose;

  signals[EVENT_STARTED] =
    g_signal_new ("event-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_INT64);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/kr/drdesk/DrDesk/drd-start-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DrdStartDialog, name_entry);
  gtk_widget_class_bind_template_child (widget_class, DrdStartDialog, kind_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DrdStartDialog, start_date);
  gtk_widget_class_bind_template_child (widget_class, DrdStartDialog, start_time);
  gtk_widget_class_bind_template_child (widget_class, DrdStartDialog, end_date);
  gtk_widget_class_bind_template_child (widget_class, DrdStartDialog, end_time);
  gtk_widget_class_bind_template_child (widget_class, DrdStartDialog, target_spin);
  gtk_widget_class_bind_template_child (widget_class, DrdStartDialog, deadline_date);
  gtk_widget_class_bind_template_child (widget_class, DrdStartDialog, deadline_time);
  gtk_widget_class_bind_template_child (widget_class, DrdStartDialog, resources_box);
  gtk_widget_class_bind_template_child (widget_class, DrdStartDialog, all_resources);
  gtk_widget_class_bind_template_child (widget_class, DrdStartDialog, warnings_box);
  gtk_widget_class_bind_template_child (widget_class, DrdStartDialog, warnings_label);
  gtk_widget_class_bind_template_child (widget_class, DrdStartDialog, errors_box);
  gtk_widget_class_bind_template_child (widget_class, DrdStartDialog, errors_label);
  gtk_widget_class_bind_template_child (widget_class, DrdStartDialog, summary_label);
  gtk_widget_class_bind_template_child (widget_class, DrdStartDialog, start_button);
  gtk_widget_class_bind_template_child (widget_class, DrdStartDialog, spinner);
  gtk_widget_class_bind_template_callback (widget_class, on_start_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_field_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_start_date_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_resource_toggled);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
drd_start_dialog_init (DrdStartDialog *self)
{
  self->resource_checks = g_ptr_array_new ();
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  fill_time_dropdown (self->start_time);
  fill_time_dropdown (self->end_time);
  fill_time_dropdown (self->deadline_time);
}

DrdStartDialog *
drd_start_dialog_new (GtkWindow *parent, DrdStore *store)
{
  DrdStartDialog *self = g_object_new (DRD_TYPE_START_DIALOG, "transient-for", parent,
                                       "modal", TRUE, NULL);
  gint64 now = drd_store_now ();
  /* Default: the next quarter hour plus KPX's hour of notice, two hours long,
   * answers due at the start. */
  gint64 start = (now / DRD_SLOT_SECONDS + 1) * DRD_SLOT_SECONDS + 3600;
  g_autofree char *name = NULL;
  g_autofree char *when = drd_gui_format_time (start);

  name = g_strdup_printf (_("DR event %s"), when);
  gtk_editable_set_text (GTK_EDITABLE (self->name_entry), name);
  drd_start_dialog_set_window (self, start, start + 2 * 3600, start);
  if (store != NULL)
    {
      self->store = g_object_ref (store);
      drd_store_list_resources_async (store, self->cancellable, on_resources,
                                      g_object_ref (self));
    }
  revalidate (self);
  /* Typing replaces the suggested name at once. */
  gtk_widget_grab_focus (GTK_WIDGET (self->name_entry));
  gtk_editable_select_region (GTK_EDITABLE (self->name_entry), 0, -1);
  return self;
}
