/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The window's actions (win.*): start / end / cancel an event, search,
 * import customers, export settlement, switch views. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gui/drd-export-settlement.h"
#include "gui/drd-gui-util.h"
#include "gui/drd-import.h"
#include "gui/drd-start-dialog.h"
#include "gui/drd-window-private.h"

static char *
operator_actor (void)
{
  return g_strdup_printf ("operator:%s", g_get_user_name ());
}

void
drd_window_update_actions (DrdWindow *self)
{
  const DrdEvent *sel = drd_window_lookup_event (self, self->selected_event);
  gboolean open = sel != NULL && (sel->status == DRD_EVENT_SCHEDULED
                                  || sel->status == DRD_EVENT_ACTIVE);
  gboolean running = sel != NULL && sel->status == DRD_EVENT_ACTIVE;
  gboolean have_store = self->store != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start-event", have_store);
  /* Only a running event can end; one that has not started can only be
   * cancelled (the store refuses the rest anyway). */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.end-event", have_store && running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel-event", have_store && open);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.import-customers", have_store);
  /* gui-settle: an event with settlement rows (or on its way to them) */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-settlement",
                                 have_store && sel != NULL
                                 && (sel->status == DRD_EVENT_ENDED
                                     || sel->status == DRD_EVENT_SETTLING
                                     || sel->status == DRD_EVENT_SETTLED)
                                 && self->export_cancellable == NULL);
}

/* ---- start ---- */

static void
on_event_started (DrdStartDialog *dialog, gint64 event_id, gint64 n_targeted, DrdWindow *self)
{
  g_autofree char *msg =
    g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                  "Event started: %d customer asked.",
                                  "Event started: %d customers asked.", (gulong) n_targeted),
                     (int) n_targeted);

  drd_window_show_toast (self, msg);
  self->user_selected = TRUE;
  self->selected_event = event_id;
  drd_window_refresh (self);
}

static void
start_event_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DrdWindow *self = DRD_WINDOW (widget);
  DrdStartDialog *dialog;

  if (self->store == NULL)
    return;
  dialog = drd_start_dialog_new (GTK_WINDOW (self), self->store);
  g_signal_connect_object (dialog, "event-started", G_CALLBACK (on_event_started), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- end / cancel with confirmation ---- */

typedef struct {
  DrdWindow *self;
  gint64     event_id;
  gboolean   cancel;
  gint64     end_at;      /* scheduled end, for the toast */
} Transition;

static void
on_transition_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Transition *t = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = t->cancel
                ? drd_store_cancel_event_finish (DRD_STORE (source), result, &error)
                : drd_store_end_event_finish (DRD_STORE (source), result, &error);

  if (ok && t->cancel)
    drd_window_show_toast (t->self, _("The event was cancelled."));
  else if (ok)
    {
      /* The store shortened it the same way (drd_store_end_for). */
      g_autofree char *end = drd_gui_format_clock (drd_store_end_for (t->end_at, drd_store_now ()));
      g_autofree char *msg = g_strdup_printf (_("The event ended at %s. Settlement waits for KEPCO’s "
                                                "meter data of every slot."), end);

      drd_window_show_toast (t->self, msg);
      /* Keep it selected (and the Settlement view on it) rather than
       * following the next scheduled event. */
      t->self->user_selected = TRUE;
      t->self->selected_event = t->event_id;
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *msg = g_strdup_printf (t->cancel ? _("The event could not be cancelled: %s")
                                                        : _("The event could not be ended: %s"),
                                              error->message);
      drd_window_show_toast (t->self, msg);
    }
  /* gui-settle: settle it now rather than at the settler's next scan */
  if (ok && !t->cancel && t->self->settle_link != NULL)
    drd_settler_scan (drd_settle_link_get_settler (t->self->settle_link));
  drd_window_refresh (t->self);
  g_object_unref (t->self);
  g_free (t);
}

static void
on_confirm_response (GtkDialog *dialog, int response, gpointer user_data)
{
  Transition *t = user_data;
  g_autofree char *actor = operator_actor ();

  gtk_window_destroy (GTK_WINDOW (dialog));
  if (response != GTK_RESPONSE_ACCEPT || t->self->store == NULL)
    {
      g_object_unref (t->self);
      g_free (t);
      return;
    }
  if (t->cancel)
    drd_store_cancel_event_async (t->self->store, t->event_id, actor, drd_store_now (),
                                  t->self->cancellable, on_transition_done, t);
  else
    drd_store_end_event_async (t->self->store, t->event_id, actor, drd_store_now (),
                               t->self->cancellable, on_transition_done, t);
}

/* The confirmation's text for ending @ev at @now: when it ends early,
 * the time it will end at (the end of the current 15-minute slot). */
static char *
end_confirmation_text (const DrdEvent *ev, gint64 now)
{
  gint64 end = drd_store_end_for (ev->end_at, now);

  if (end < ev->end_at)
    {
      g_autofree char *at = drd_gui_format_clock (end);
      g_autofree char *was = drd_gui_format_clock (ev->end_at);

      return g_strdup_printf (_("The event will end at %s, the end of the current 15-minute slot, "
                                "instead of %s. Answers close, and settlement waits until KEPCO "
                                "has the meter data of every slot."), at, was);
    }
  return g_strdup (_("Answers close, and settlement starts as soon as KEPCO has the meter data "
                     "of every slot."));
}

static void
confirm_transition (DrdWindow *self, gboolean cancel)
{
  const DrdEvent *ev = drd_window_lookup_event (self, self->selected_event);
  gboolean scheduled;
  g_autofree char *text = NULL;
  GtkWidget *dialog;
  Transition *t;

  if (ev == NULL)
    return;
  scheduled = ev->status == DRD_EVENT_SCHEDULED;
  if (!cancel && ev->status != DRD_EVENT_ACTIVE)
    return;
  if (cancel && !scheduled && ev->status != DRD_EVENT_ACTIVE)
    return;
  if (!cancel)
    text = end_confirmation_text (ev, drd_store_now ());
  else if (scheduled)
    text = g_strdup (_("The event has not started. Customers are told it is off; nobody is "
                       "settled or credited."));
  else
    text = g_strdup (_("The event stops now. Customers are told it is off; nobody is settled "
                       "or credited, not even for the time it ran."));
  dialog = gtk_message_dialog_new (GTK_WINDOW (self), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                                   cancel ? _("Cancel “%s”?") : _("End “%s” now?"), ev->name);
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s", text);
  gtk_dialog_add_button (GTK_DIALOG (dialog), scheduled ? _("_Keep Event") : _("_Keep Running"),
                         GTK_RESPONSE_CANCEL);
  gtk_dialog_add_button (GTK_DIALOG (dialog), cancel ? _("_Cancel Event") : _("_End Event"),
                         GTK_RESPONSE_ACCEPT);
  gtk_widget_add_css_class (gtk_dialog_get_widget_for_response (GTK_DIALOG (dialog),
                                                                GTK_RESPONSE_ACCEPT),
                            cancel ? "destructive-action" : "suggested-action");
  t = g_new0 (Transition, 1);
  t->self = g_object_ref (self);
  t->event_id = ev->id;
  t->cancel = cancel;
  t->end_at = ev->end_at;
  g_signal_connect (dialog, "response", G_CALLBACK (on_confirm_response), t);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
end_event_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  confirm_transition (DRD_WINDOW (widget), FALSE);
}

static void
cancel_event_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  confirm_transition (DRD_WINDOW (widget), TRUE);
}

/* ---- search, views ---- */

static void
search_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DrdWindow *self = DRD_WINDOW (widget);

  gtk_stack_set_visible_child_name (self->stack, "customers");
  drd_customers_view_focus_search (self->customers_view);
}

static void
show_view_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  drd_window_set_view (DRD_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

/* ---- import ---- */

static void
on_imported (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DrdWindow *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdImportReport) report = drd_import_customers_finish (result, &error);

  if (report == NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("Nothing was imported: %s"), error->message);
      drd_window_show_toast (self, msg);
    }
  else
    {
      g_autofree char *msg = NULL;

      if (report->problems->len == 0)
        msg = g_strdup_printf (_("Imported customers: %u new, %u updated."),
                               report->n_inserted, report->n_updated);
      else
        msg = g_strdup_printf (_("Imported customers: %u new, %u updated; %u rows refused (first: %s)."),
                               report->n_inserted, report->n_updated, report->problems->len,
                               (char *) g_ptr_array_index (report->problems, 0));
      drd_window_show_toast (self, msg);
      drd_customers_view_reload_resources (self->customers_view);
      drd_window_refresh (self);
    }
  g_object_unref (self);
}

static void
on_import_chosen (GtkNativeDialog *native, int response, gpointer user_data)
{
  DrdWindow *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT && self->store != NULL)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      g_autofree char *name = g_file_get_basename (file);
      g_autofree char *msg = g_strdup_printf (_("Importing customers from %s…"), name);

      drd_window_show_toast (self, msg);
      drd_import_customers_async (self->store, file, self->cancellable, on_imported,
                                  g_object_ref (self));
    }
  gtk_native_dialog_destroy (native);
  g_object_unref (native);
  g_object_unref (self);
}

static void
import_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DrdWindow *self = DRD_WINDOW (widget);
  GtkFileChooserNative *native;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  native = gtk_file_chooser_native_new (_("Import Customers"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Import"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("CSV files"));
  gtk_file_filter_add_pattern (filter, "*.csv");
  gtk_file_filter_add_mime_type (filter, "text/csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (on_import_chosen), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* ---- export settlement (gui-settle) ---- */

static void
on_export_progress (guint64 n_rows, gpointer user_data)
{
  DrdWindow *self = user_data;
  g_autofree char *msg =
    g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Exporting settlement: %llu row written…",
                                  "Exporting settlement: %llu rows written…", (gulong) n_rows),
                     (unsigned long long) n_rows);

  drd_window_show_toast (self, msg);
}

typedef struct {
  DrdWindow *self;
  char      *name;
} ExportReq;

static void
on_exported (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ExportReq *req = user_data;
  DrdWindow *self = req->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *msg = NULL;
  guint64 n = 0;

  if (drd_gui_export_settlement_finish (result, &n, &error))
    msg = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Exported %llu row to %s.",
                                        "Exported %llu rows to %s.", (gulong) n),
                           (unsigned long long) n, req->name);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    msg = g_strdup_printf (_("The settlement was not exported: %s"), error->message);
  g_clear_object (&self->export_cancellable);
  if (msg != NULL && gtk_widget_get_realized (GTK_WIDGET (self)))
    drd_window_show_toast (self, msg);
  drd_window_update_actions (self);
  g_object_unref (self);
  g_free (req->name);
  g_free (req);
}

static void
on_export_chosen (GtkNativeDialog *native, int response, gpointer user_data)
{
  DrdWindow *self = user_data;
  gint64 event_id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (native), "drd-event"));
  const DrdEvent *event = drd_window_lookup_event (self, event_id);

  if (response == GTK_RESPONSE_ACCEPT && self->store != NULL && event != NULL
      && self->export_cancellable == NULL)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      const char *bom = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (native), "bom");
      ExportReq *req = g_new0 (ExportReq, 1);

      req->self = g_object_ref (self);
      req->name = g_file_get_basename (file);
      self->export_cancellable = g_cancellable_new ();
      drd_window_update_actions (self);
      on_export_progress (0, self);
      drd_gui_export_settlement_async (self->store, event->id, event->name, file,
                                       g_strcmp0 (bom, "true") == 0, on_export_progress, self,
                                       self->export_cancellable, on_exported, req);
    }
  gtk_native_dialog_destroy (native);
  g_object_unref (native);
  g_object_unref (self);
}

static void
export_activated (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DrdWindow *self = DRD_WINDOW (widget);
  const DrdEvent *event = drd_window_lookup_event (self, self->selected_event);
  GtkFileChooserNative *native;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  g_autofree char *name = NULL;

  if (self->store == NULL || event == NULL)
    return;
  native = gtk_file_chooser_native_new (_("Export Settlement"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  name = g_strdup_printf ("settlement-%" G_GINT64_FORMAT ".csv", event->id);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), name);
  gtk_file_filter_set_name (filter, _("CSV files"));
  gtk_file_filter_add_pattern (filter, "*.csv");
  gtk_file_filter_add_mime_type (filter, "text/csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (native), "bom",
                               _("Start with a byte order mark (for spreadsheet tools)"),
                               NULL, NULL);
  gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (native), "bom", "false");
  g_object_set_data (G_OBJECT (native), "drd-event", GSIZE_TO_POINTER ((gsize) event->id));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (on_export_chosen), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

void
drd_window_actions_init (DrdWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_install_action (widget_class, "win.start-event", NULL, start_event_activated);
  gtk_widget_class_install_action (widget_class, "win.end-event", NULL, end_event_activated);
  gtk_widget_class_install_action (widget_class, "win.cancel-event", NULL, cancel_event_activated);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_activated);
  gtk_widget_class_install_action (widget_class, "win.import-customers", NULL, import_activated);
  gtk_widget_class_install_action (widget_class, "win.export-settlement", NULL, export_activated);
  gtk_widget_class_install_action (widget_class, "win.show-view", "s", show_view_activated);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK,
                                       "win.start-event", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_i, GDK_CONTROL_MASK,
                                       "win.import-customers", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK,
                                       "win.export-settlement", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_4, GDK_ALT_MASK,
                                       "win.show-view", "s", "settlement");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK,
                                       "win.show-view", "s", "customers");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK,
                                       "win.show-view", "s", "timeline");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_3, GDK_ALT_MASK,
                                       "win.show-view", "s", "responses");
}
