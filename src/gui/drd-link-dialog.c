/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gui/drd-application.h"
#include "gui/drd-gui-util.h"
#include "gui/drd-link-dialog.h"
#include "gui/drd-window.h"
#include "service/drd-answer-links.h"
#include "service/drd-config.h"

struct _DrdLinkDialog
{
  GtkWindow     parent_instance;

  GtkLabel     *title_label;
  GtkLabel     *link_label;
  GtkLabel     *status_label;
  GtkWidget    *copy_button;
  GtkWidget    *rotate_button;

  DrdStore     *store;
  GCancellable *cancellable;
  gint64        customer_id;
  char         *customer_name;
  char         *base;
  char         *link;
};

G_DEFINE_FINAL_TYPE (DrdLinkDialog, drd_link_dialog, GTK_TYPE_WINDOW)

char *
drd_link_base_url (GtkWidget *from)
{
  GApplication *app = g_application_get_default ();
  g_autoptr(DrdConfig) own = NULL;
  DrdConfig *config = NULL;

  (void) from;
  if (DRD_IS_APPLICATION (app))
    config = drd_application_get_config (DRD_APPLICATION (app));
  if (config == NULL)
    config = own = drd_config_new ();
  return drd_config_dup_portal_public_url (config);
}

static void
set_busy (DrdLinkDialog *self, gboolean busy)
{
  gtk_widget_set_sensitive (self->copy_button, !busy && self->link != NULL);
  gtk_widget_set_sensitive (self->rotate_button, !busy);
}

static void
on_link (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DrdLinkDialog *self = user_data;
  g_autoptr(GError) error = NULL;
  char *link = drd_answer_link_finish (DRD_STORE (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_object_unref (self);
      return;
    }
  if (link != NULL)
    {
      g_free (self->link);
      self->link = link;
      gtk_label_set_text (self->link_label, link);
    }
  else
    gtk_label_set_text (self->status_label, error->message);
  set_busy (self, FALSE);
  g_object_unref (self);
}

static void
load (DrdLinkDialog *self, gboolean rotate)
{
  g_autofree char *actor = drd_gui_operator_actor ();

  set_busy (self, TRUE);
  drd_answer_link_async (self->store, self->customer_id, self->base, rotate, actor,
                         self->cancellable, on_link, g_object_ref (self));
}

static void
on_copy (DrdLinkDialog *self)
{
  if (self->link == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->link);
  gtk_label_set_text (self->status_label, _("Link copied to the clipboard."));
}

static void
on_rotate_confirm (GtkDialog *dialog, int response, DrdLinkDialog *self)
{
  gtk_window_destroy (GTK_WINDOW (dialog));
  if (response == GTK_RESPONSE_ACCEPT)
    {
      gtk_label_set_text (self->status_label,
                          _("New link issued. Send it to the customer: the old one no longer works."));
      load (self, TRUE);
    }
}

static void
on_rotate (DrdLinkDialog *self)
{
  GtkWidget *dialog = gtk_message_dialog_new (GTK_WINDOW (self),
                                              GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                              GTK_MESSAGE_WARNING, GTK_BUTTONS_NONE,
                                              _("Issue a new answer link for %s?"),
                                              self->customer_name);
  GtkWidget *ok;

  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s",
      _("The current link stops working at once, also in messages already sent. "
        "Do this when a link reached the wrong person, then send the customer the new link."));
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  ok = gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Rotate Link"), GTK_RESPONSE_ACCEPT);
  gtk_widget_add_css_class (ok, "destructive-action");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_rotate_confirm), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

const char *
drd_link_dialog_get_link (DrdLinkDialog *self)
{
  g_return_val_if_fail (DRD_IS_LINK_DIALOG (self), NULL);
  return self->link;
}

static void
drd_link_dialog_dispose (GObject *object)
{
  DrdLinkDialog *self = DRD_LINK_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (drd_link_dialog_parent_class)->dispose (object);
}

static void
drd_link_dialog_finalize (GObject *object)
{
  DrdLinkDialog *self = DRD_LINK_DIALOG (object);

  g_free (self->customer_name);
  g_free (self->base);
  g_free (self->link);
  G_OBJECT_CLASS (drd_link_dialog_parent_class)->finalize (object);
}

static void
drd_link_dialog_class_init (DrdLinkDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = drd_link_dialog_dispose;
  object_class->finalize = drd_link_dialog_finalize;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
drd_link_dialog_init (DrdLinkDialog *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *intro, *buttons, *close;

  self->cancellable = g_cancellable_new ();
  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);

  self->title_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->title_label, 0);
  gtk_label_set_wrap (self->title_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->title_label), "title-4");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->title_label));

  intro = gtk_label_new (_("The customer answers through this personal link (text message, "
                           "e-mail or webhook). It stays the same until you issue a new one."));
  gtk_label_set_wrap (GTK_LABEL (intro), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (intro), 60);
  gtk_label_set_xalign (GTK_LABEL (intro), 0);
  gtk_box_append (GTK_BOX (box), intro);

  self->link_label = GTK_LABEL (gtk_label_new (_("Loading…")));
  gtk_label_set_selectable (self->link_label, TRUE);
  gtk_label_set_wrap (self->link_label, TRUE);
  gtk_label_set_wrap_mode (self->link_label, PANGO_WRAP_CHAR);
  gtk_label_set_max_width_chars (self->link_label, 60);
  gtk_label_set_xalign (self->link_label, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->link_label), "monospace");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->link_label),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, _("Answer link"), -1);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->link_label));

  self->status_label = GTK_LABEL (gtk_label_new (""));
  gtk_label_set_wrap (self->status_label, TRUE);
  gtk_label_set_xalign (self->status_label, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "dim-label");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->status_label));

  buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_halign (buttons, GTK_ALIGN_END);
  self->rotate_button = gtk_button_new_with_mnemonic (_("_Rotate Link…"));
  gtk_widget_set_tooltip_text (self->rotate_button,
                               _("Issue a new link; the current one stops working"));
  g_signal_connect_swapped (self->rotate_button, "clicked", G_CALLBACK (on_rotate), self);
  self->copy_button = gtk_button_new_with_mnemonic (_("_Copy Link"));
  gtk_widget_add_css_class (self->copy_button, "suggested-action");
  g_signal_connect_swapped (self->copy_button, "clicked", G_CALLBACK (on_copy), self);
  close = gtk_button_new_with_mnemonic (_("_Close"));
  g_signal_connect_swapped (close, "clicked", G_CALLBACK (gtk_window_close), self);
  gtk_box_append (GTK_BOX (buttons), self->rotate_button);
  gtk_box_append (GTK_BOX (buttons), close);
  gtk_box_append (GTK_BOX (buttons), self->copy_button);
  gtk_box_append (GTK_BOX (box), buttons);

  gtk_window_set_child (GTK_WINDOW (self), box);
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (self), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (self), 520, -1);
}

GtkWidget *
drd_link_dialog_new (GtkWidget  *from,
                     DrdStore   *store,
                     gint64      customer_id,
                     const char *customer_name)
{
  DrdLinkDialog *self = g_object_new (DRD_TYPE_LINK_DIALOG, NULL);
  GtkRoot *root = from != NULL ? gtk_widget_get_root (from) : NULL;
  g_autofree char *title = NULL;

  self->store = g_object_ref (store);
  self->customer_id = customer_id;
  self->customer_name = customer_name != NULL && *customer_name != '\0'
                        ? g_strdup_printf ("%s (%" G_GINT64_FORMAT ")", customer_name, customer_id)
                        : g_strdup_printf ("%" G_GINT64_FORMAT, customer_id);
  self->base = drd_link_base_url (from);
  /* TRANSLATORS: window title; %s: customer "name (id)" */
  title = g_strdup_printf (_("Answer Link of %s"), self->customer_name);
  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_label_set_text (self->title_label, title);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (self), GTK_WINDOW (root));
  load (self, FALSE);
  gtk_window_present (GTK_WINDOW (self));
  return GTK_WIDGET (self);
}

/* ---- Export Links… ---- */

typedef struct {
  GtkWidget *from;     /* weak */
  char      *path;
} Export;

static void
export_free (Export *e)
{
  g_clear_weak_pointer (&e->from);
  g_free (e->path);
  g_free (e);
}

static void
toast (GtkWidget *from, const char *msg)
{
  GtkRoot *root = from != NULL ? gtk_widget_get_root (from) : NULL;

  if (DRD_IS_WINDOW (root))
    drd_window_show_toast (DRD_WINDOW (root), msg);
}

static void
on_exported (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Export *e = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *msg = NULL;
  guint n = 0;

  if (drd_answer_links_export_finish (DRD_STORE (source), result, &n, &error))
    msg = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u answer link written to %s.",
                                        "%u answer links written to %s.", n), n, e->path);
  else
    msg = g_strdup_printf (_("The links could not be exported: %s"), error->message);
  toast (e->from, msg);
  export_free (e);
}

static void
export_to (GtkWidget *from, DrdStore *store, gint64 event_id, const char *path)
{
  Export *e = g_new0 (Export, 1);
  g_autofree char *base = drd_link_base_url (from);

  g_set_weak_pointer (&e->from, from);
  e->path = g_strdup (path);
  drd_answer_links_export_async (store, event_id, base, path, NULL, on_exported, e);
}

typedef struct {
  GtkWidget *from;     /* weak */
  DrdStore  *store;
  gint64     event_id;
} Choose;

static void
on_chosen (GtkNativeDialog *chooser, int response, gpointer user_data)
{
  Choose *c = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        export_to (c->from, c->store, c->event_id, path);
    }
  g_clear_weak_pointer (&c->from);
  g_object_unref (c->store);
  g_free (c);
  g_object_unref (chooser);
}

void
drd_links_export (GtkWidget      *from,
                  DrdStore       *store,
                  const DrdEvent *event,
                  const char     *path)
{
  GtkRoot *root = from != NULL ? gtk_widget_get_root (from) : NULL;
  GtkFileChooserNative *chooser;
  g_autofree char *name = NULL;
  Choose *c;

  g_return_if_fail (DRD_IS_STORE (store));
  g_return_if_fail (event != NULL);
  if (path != NULL && *path != '\0')
    {
      export_to (from, store, event->id, path);
      return;
    }
  chooser = gtk_file_chooser_native_new (_("Export Answer Links"),
                                         GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  /* TRANSLATORS: default file name of the links CSV; %lld: event id */
  name = g_strdup_printf (_("links-event-%lld.csv"), (long long) event->id);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  c = g_new0 (Choose, 1);
  g_set_weak_pointer (&c->from, from);
  c->store = g_object_ref (store);
  c->event_id = event->id;
  g_signal_connect (chooser, "response", G_CALLBACK (on_chosen), c);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}
