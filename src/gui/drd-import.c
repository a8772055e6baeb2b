/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "gui/drd-import.h"

/* ------------------------------------------------------------------ */
/* Running the import                                                 */

typedef struct {
  GFile                 *file;
  char                  *actor;
  DrdImportProgressFunc  progress;
  gpointer               progress_data;
  GMainContext          *context;
  guint64                total_bytes;
} ImportData;

static void
import_data_free (ImportData *data)
{
  g_clear_object (&data->file);
  g_free (data->actor);
  g_main_context_unref (data->context);
  g_free (data);
}

typedef struct {
  GTask           *task;
  DrdImportCounts  counts;
} Progress;

static gboolean
progress_idle (gpointer user_data)
{
  Progress *p = user_data;
  ImportData *data = g_task_get_task_data (p->task);

  /* Never after the callback: the caller may be gone by then. */
  if (!g_task_get_completed (p->task))
    data->progress (&p->counts, data->total_bytes, data->progress_data);
  return G_SOURCE_REMOVE;
}

static void
progress_free (gpointer user_data)
{
  Progress *p = user_data;

  g_object_unref (p->task);
  g_free (p);
}

/* In the worker thread, after each batch. */
static void
on_batch (const DrdImportCounts *counts, gpointer user_data)
{
  GTask *task = user_data;
  ImportData *data = g_task_get_task_data (task);
  Progress *p;

  if (data->progress == NULL)
    return;
  p = g_new0 (Progress, 1);
  p->task = g_object_ref (task);
  p->counts = *counts;
  g_main_context_invoke_full (data->context, G_PRIORITY_DEFAULT, progress_idle, p, progress_free);
}

static void
import_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DrdStore *store = source;
  ImportData *data = task_data;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GFileInputStream) input = NULL;
  g_autoptr(DrdImportReport) report = NULL;
  g_autoptr(DrdImporter) importer = NULL;
  GError *error = NULL;

  input = g_file_read (data->file, cancellable, &error);
  if (input == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  info = g_file_input_stream_query_info (input, G_FILE_ATTRIBUTE_STANDARD_SIZE, cancellable, NULL);
  if (info != NULL)
    data->total_bytes = (guint64) g_file_info_get_size (info);

  report = drd_import_report_new (&error);
  if (report == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  importer = drd_importer_new (store, data->actor);
  drd_importer_set_refused_func (importer, drd_import_report_add, report);
  drd_importer_set_progress_func (importer, on_batch, task);
  if (!drd_importer_run (importer, G_INPUT_STREAM (input), cancellable, &error)
      || !drd_import_report_close (report, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  *drd_import_report_get_counts (report) = *drd_importer_get_counts (importer);
  g_task_return_pointer (task, g_steal_pointer (&report), (GDestroyNotify) drd_import_report_free);
}

void
drd_import_customers_async (DrdStore *store, GFile *file, const char *actor,
                            DrdImportProgressFunc progress, gpointer progress_data,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  ImportData *data;

  g_return_if_fail (DRD_IS_STORE (store));
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (store, cancellable, callback, user_data);
  data = g_new0 (ImportData, 1);
  data->file = g_object_ref (file);
  data->actor = actor != NULL ? g_strdup (actor)
                              : g_strdup_printf ("operator:%s", g_get_user_name ());
  data->progress = progress;
  data->progress_data = progress_data;
  data->context = g_main_context_ref_thread_default ();
  g_task_set_source_tag (task, drd_import_customers_async);
  g_task_set_task_data (task, data, (GDestroyNotify) import_data_free);
  g_task_run_in_thread (task, import_thread);
}

DrdImportReport *
drd_import_customers_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == drd_import_customers_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------ */
/* The refused rows as a list model                                   */

#define DRD_TYPE_IMPORT_REPORT_MODEL (drd_import_report_model_get_type ())
G_DECLARE_FINAL_TYPE (DrdImportReportModel, drd_import_report_model, DRD, IMPORT_REPORT_MODEL,
                      GObject)

struct _DrdImportReportModel
{
  GObject          parent_instance;
  DrdImportReport *report;       /* borrowed */
  guint            n_items;
};

static GType
model_get_item_type (GListModel *list)
{
  return GTK_TYPE_STRING_OBJECT;
}

static guint
model_get_n_items (GListModel *list)
{
  return DRD_IMPORT_REPORT_MODEL (list)->n_items;
}

static gpointer
model_get_item (GListModel *list, guint position)
{
  DrdImportReportModel *self = DRD_IMPORT_REPORT_MODEL (list);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  if (position >= self->n_items)
    return NULL;
  /* A pread of one ≤ 256-line block of a local temporary file the worker
   * just wrote (in the page cache): microseconds, once per 256 rows. */
  line = drd_import_report_get_line (self->report, position, &error);
  if (line == NULL)
    line = g_strdup (error->message);
  return gtk_string_object_new (line);
}

static void
model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = model_get_item_type;
  iface->get_n_items = model_get_n_items;
  iface->get_item = model_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (DrdImportReportModel, drd_import_report_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, model_iface_init))

static void
drd_import_report_model_class_init (DrdImportReportModelClass *klass)
{
}

static void
drd_import_report_model_init (DrdImportReportModel *self)
{
}

GListModel *
drd_import_report_model_new (DrdImportReport *report)
{
  DrdImportReportModel *self = g_object_new (DRD_TYPE_IMPORT_REPORT_MODEL, NULL);
  guint64 n = drd_import_report_get_n_lines (report);

  self->report = report;
  self->n_items = (guint) MIN (n, (guint64) G_MAXUINT);
  return G_LIST_MODEL (self);
}

/* ------------------------------------------------------------------ */
/* The dialog                                                         */

typedef struct {
  GtkWindow       *dialog;     /* borrowed */
  GtkLabel        *status;     /* owned: a save may end after the window closed */
  GtkWidget       *save;       /* owned */
  DrdImportReport *report;     /* owned */
  GCancellable    *cancellable;
} Dialog;

static void
dialog_free (Dialog *d)
{
  g_cancellable_cancel (d->cancellable);
  g_clear_object (&d->cancellable);
  g_clear_object (&d->status);
  g_clear_object (&d->save);
  drd_import_report_free (d->report);
  g_free (d);
}

static void
setup_row (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_set_margin_start (label, 6);
  gtk_widget_set_margin_end (label, 6);
  gtk_list_item_set_child (item, label);
}

static void
bind_row (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkStringObject *s = gtk_list_item_get_item (item);
  GtkWidget *label = gtk_list_item_get_child (item);
  const char *text = gtk_string_object_get_string (s);

  gtk_label_set_text (GTK_LABEL (label), text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
}

/* Saving runs in a thread: the report may be hundreds of MB. Holds a
 * ref on the dialog window, and the report lives as long as it. */
typedef struct {
  Dialog *d;
  char   *path;
} SaveReq;

static void
save_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  SaveReq *req = task_data;
  GError *error = NULL;

  if (drd_import_report_save (req->d->report, req->path, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
save_req_free (SaveReq *req)
{
  g_free (req->path);
  g_free (req);
}

static void
on_saved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  SaveReq *req = g_task_get_task_data (G_TASK (result));
  Dialog *d = req->d;
  g_autofree char *msg = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *name = g_filename_display_name (req->path);

      msg = g_strdup_printf (_("The report was saved to %s."), name);
    }
  else
    msg = g_strdup_printf (_("The report was not saved: %s"), error->message);
  gtk_label_set_text (d->status, msg);
  gtk_widget_set_sensitive (d->save, TRUE);
}

static void
on_save_chosen (GtkNativeDialog *native, int response, gpointer user_data)
{
  GtkWindow *dialog = user_data;
  Dialog *d = g_object_get_data (G_OBJECT (dialog), "drd-import-dialog");

  if (response == GTK_RESPONSE_ACCEPT && d != NULL)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        {
          /* The task holds the dialog window; the window holds d. */
          g_autoptr(GTask) task = g_task_new (dialog, d->cancellable, on_saved, NULL);
          SaveReq *req = g_new0 (SaveReq, 1);

          req->d = d;
          req->path = path;
          g_task_set_task_data (task, req, (GDestroyNotify) save_req_free);
          gtk_widget_set_sensitive (d->save, FALSE);
          gtk_label_set_text (d->status, _("Saving the report…"));
          g_task_run_in_thread (task, save_thread);
        }
    }
  gtk_native_dialog_destroy (native);
  g_object_unref (native);
  g_object_unref (dialog);
}

static void
on_save_clicked (GtkButton *button, gpointer user_data)
{
  GtkWindow *dialog = user_data;
  GtkFileChooserNative *native;

  native = gtk_file_chooser_native_new (_("Save Import Report"), dialog,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), _("import-report.txt"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (on_save_chosen), g_object_ref (dialog));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static char *
format_count (guint64 n)
{
  /* Thousands separators the way the rest of the window writes them. */
  g_autofree char *digits = g_strdup_printf ("%" G_GUINT64_FORMAT, n);
  GString *out = g_string_new (NULL);
  gsize len = strlen (digits);

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}

GtkWindow *
drd_import_report_dialog_new (GtkWindow *parent, DrdImportReport *report, const char *file_name)
{
  GtkWindow *dialog = GTK_WINDOW (gtk_window_new ());
  Dialog *d = g_new0 (Dialog, 1);
  const DrdImportCounts *n = drd_import_report_get_counts (report);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *summary, *scrolled, *list, *buttons, *close;
  GtkListItemFactory *factory;
  g_autofree char *rows = format_count (n->n_rows), *refused = format_count (n->n_refused);
  g_autofree char *inserted = format_count (n->n_inserted), *updated = format_count (n->n_updated);
  g_autofree char *unchanged = format_count (n->n_unchanged);
  g_autofree char *text = NULL;

  d->dialog = dialog;
  d->report = report;
  d->cancellable = g_cancellable_new ();
  g_object_set_data_full (G_OBJECT (dialog), "drd-import-dialog", d, (GDestroyNotify) dialog_free);

  gtk_window_set_title (dialog, _("Import Report"));
  gtk_window_set_modal (dialog, TRUE);
  gtk_window_set_transient_for (dialog, parent);
  gtk_window_set_destroy_with_parent (dialog, TRUE);
  gtk_window_set_default_size (dialog, 720, 480);

  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  /* TRANSLATORS: %s are the file name and counts with thousands separators */
  text = g_strdup_printf (_("%s: %s rows read; %s new, %s updated, %s unchanged customers; "
                            "%s rows refused. Every refused row is listed below with its line "
                            "in the file and the reason; fix them and import the file again."),
                          file_name, rows, inserted, updated, unchanged, refused);
  summary = gtk_label_new (text);
  gtk_label_set_wrap (GTK_LABEL (summary), TRUE);
  gtk_label_set_xalign (GTK_LABEL (summary), 0);
  gtk_box_append (GTK_BOX (box), summary);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  list = gtk_list_view_new (GTK_SELECTION_MODEL (gtk_no_selection_new (
                              drd_import_report_model_new (report))), factory);
  gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Refused rows"), -1);
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), list);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_widget_add_css_class (scrolled, "frame");
  gtk_box_append (GTK_BOX (box), scrolled);

  d->status = g_object_ref_sink (GTK_LABEL (gtk_label_new (NULL)));
  gtk_label_set_xalign (d->status, 0);
  gtk_label_set_wrap (d->status, TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (d->status));

  buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_halign (buttons, GTK_ALIGN_END);
  d->save = g_object_ref_sink (gtk_button_new_with_mnemonic (_("_Save Report…")));
  g_signal_connect (d->save, "clicked", G_CALLBACK (on_save_clicked), dialog);
  close = gtk_button_new_with_mnemonic (_("_Close"));
  g_signal_connect_swapped (close, "clicked", G_CALLBACK (gtk_window_destroy), dialog);
  gtk_box_append (GTK_BOX (buttons), d->save);
  gtk_box_append (GTK_BOX (buttons), close);
  gtk_box_append (GTK_BOX (box), buttons);

  gtk_window_set_child (dialog, box);
  gtk_window_set_default_widget (dialog, close);
  /* Not the first row: a focused selectable label selects all its text. */
  gtk_window_set_focus (dialog, close);
  return dialog;
}
