/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gui/drd-answer-record.h"
#include "gui/drd-gui-util.h"
#include "gui/drd-window.h"

typedef struct {
  GtkWidget *from;          /* weak: the view may go away */
  DrdStore  *store;
  gint64     event_id;
  char      *event_name;
  gint64     customer_id;
  char      *customer_name;
  DrdAnswer  answer;
} Record;

static void
record_free (Record *r)
{
  g_clear_weak_pointer (&r->from);
  g_clear_object (&r->store);
  g_free (r->event_name);
  g_free (r->customer_name);
  g_free (r);
}

gboolean
drd_answer_record_allowed (DrdEventStatus status)
{
  return status == DRD_EVENT_SCHEDULED || status == DRD_EVENT_ACTIVE
         || status == DRD_EVENT_ENDED || status == DRD_EVENT_SETTLING;
}

static GtkWindow *
window_of (GtkWidget *w)
{
  GtkRoot *root = w != NULL ? gtk_widget_get_root (w) : NULL;

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
on_recorded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Record *r = user_data;
  g_autoptr(GError) error = NULL;
  GtkWindow *win = window_of (r->from);

  if (drd_store_record_answer_finish (DRD_STORE (source), result, NULL, &error))
    {
      g_autofree char *msg = NULL;

      /* TRANSLATORS: toast; %s: customer name, answer, event name */
      msg = g_strdup_printf (_("Recorded “%s” for %s in “%s”."),
                             drd_gui_answer_label (r->answer), r->customer_name, r->event_name);
      if (DRD_IS_WINDOW (win))
        {
          drd_window_show_toast (DRD_WINDOW (win), msg);
          drd_window_refresh (DRD_WINDOW (win));
        }
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      GtkWidget *dialog = gtk_message_dialog_new (win, GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                                  GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE,
                                                  _("The answer was not recorded"));

      gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s", error->message);
      g_signal_connect (dialog, "response", G_CALLBACK (gtk_window_destroy), NULL);
      gtk_window_present (GTK_WINDOW (dialog));
    }
  record_free (r);
}

static void
on_confirm (GtkDialog *dialog, int response, gpointer user_data)
{
  Record *r = user_data;
  g_autofree char *actor = NULL;

  gtk_window_destroy (GTK_WINDOW (dialog));
  if (response != GTK_RESPONSE_ACCEPT)
    {
      record_free (r);
      return;
    }
  actor = drd_gui_operator_actor ();
  drd_store_record_answer_async (r->store, r->event_id, r->customer_id, r->answer,
                                 DRD_CHANNEL_OPERATOR, actor, drd_store_now (), NULL,
                                 on_recorded, r);
}

GtkWidget *
drd_answer_record_confirm (GtkWidget      *from,
                           DrdStore       *store,
                           const DrdEvent *event,
                           gint64          customer_id,
                           const char     *customer_name,
                           DrdAnswer       answer)
{
  GtkWidget *dialog;
  GtkWidget *ok;
  Record *r;

  g_return_val_if_fail (DRD_IS_STORE (store), NULL);
  g_return_val_if_fail (event != NULL, NULL);
  g_return_val_if_fail (answer == DRD_ANSWER_ACCEPT || answer == DRD_ANSWER_DENY, NULL);

  r = g_new0 (Record, 1);
  g_set_weak_pointer (&r->from, from);
  r->store = g_object_ref (store);
  r->event_id = event->id;
  r->event_name = g_strdup (event->name);
  r->customer_id = customer_id;
  r->customer_name = customer_name != NULL && *customer_name != '\0'
                     ? g_strdup_printf ("%s (%" G_GINT64_FORMAT ")", customer_name, customer_id)
                     : g_strdup_printf ("%" G_GINT64_FORMAT, customer_id);
  r->answer = answer;

  dialog = gtk_message_dialog_new (window_of (from), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                                   answer == DRD_ANSWER_ACCEPT
                                   /* TRANSLATORS: %s: customer "name (id)", then the event name */
                                   ? _("Record that %s takes part in “%s”?")
                                   : _("Record that %s does not take part in “%s”?"),
                                   r->customer_name, r->event_name);
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s",
      _("For an answer given by phone or in person. It is recorded with channel “operator” "
        "under your name in the audit trail, and replaces the customer's current answer. "
        "Possible until the customer is settled."));
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  ok = gtk_dialog_add_button (GTK_DIALOG (dialog),
                              answer == DRD_ANSWER_ACCEPT ? _("Record _Accept") : _("Record _Deny"),
                              GTK_RESPONSE_ACCEPT);
  gtk_widget_add_css_class (ok, "suggested-action");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  g_signal_connect (dialog, "response", G_CALLBACK (on_confirm), r);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}
