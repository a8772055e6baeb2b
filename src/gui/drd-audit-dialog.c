/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "gui/drd-audit-dialog.h"
#include "gui/drd-cell-factory.h"
#include "gui/drd-gui-util.h"

#define PAGE 200

/* ---- item ---- */

struct _DrdAuditItem
{
  GObject  parent_instance;
  char    *text[4];
};

enum { ITEM_PROP_0, ITEM_PROP_WHEN, ITEM_PROP_WHO, ITEM_PROP_WHAT, ITEM_PROP_CHANGE, ITEM_N_PROPS };
static GParamSpec *item_props[ITEM_N_PROPS];

G_DEFINE_FINAL_TYPE (DrdAuditItem, drd_audit_item, G_TYPE_OBJECT)

static void
drd_audit_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DrdAuditItem *self = DRD_AUDIT_ITEM (object);

  if (prop_id >= ITEM_PROP_WHEN && prop_id < ITEM_N_PROPS)
    g_value_set_string (value, self->text[prop_id - ITEM_PROP_WHEN]);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
drd_audit_item_finalize (GObject *object)
{
  DrdAuditItem *self = DRD_AUDIT_ITEM (object);

  for (guint i = 0; i < G_N_ELEMENTS (self->text); i++)
    g_free (self->text[i]);
  G_OBJECT_CLASS (drd_audit_item_parent_class)->finalize (object);
}

static void
drd_audit_item_class_init (DrdAuditItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  static const char *names[] = { "when", "who", "what", "change" };

  object_class->get_property = drd_audit_item_get_property;
  object_class->finalize = drd_audit_item_finalize;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    item_props[ITEM_PROP_WHEN + i] = g_param_spec_string (names[i], NULL, NULL, NULL,
                                                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, ITEM_N_PROPS, item_props);
}

static void
drd_audit_item_init (DrdAuditItem *self)
{
}

static char *
who_text (const char *actor)
{
  if (actor == NULL)
    return g_strdup ("");
  if (g_str_has_prefix (actor, "operator:"))
    /* TRANSLATORS: who did it; %s: login@host */
    return g_strdup_printf (_("%s (operator)"), actor + strlen ("operator:"));
  if (g_str_equal (actor, "portal"))
    return g_strdup (_("Customer, web portal"));
  if (g_str_equal (actor, "api"))
    return g_strdup (_("Customer, app"));
  if (g_str_equal (actor, "system"))
    return g_strdup (_("DR Desk (automatic)"));
  return g_strdup (actor);
}

static const char *
answer_word (const char *s)
{
  DrdAnswer a;

  return s != NULL && drd_answer_from_string (s, &a) ? drd_gui_answer_label (a) : (s ? s : "—");
}

static const char *
status_word (const char *s)
{
  DrdEventStatus st;

  return s != NULL && drd_event_status_from_string (s, &st) ? drd_gui_status_label (st)
                                                            : (s ? s : "—");
}

static gint64
detail_int (JsonObject *o, const char *member)
{
  return o != NULL && json_object_has_member (o, member)
         ? json_object_get_int_member_with_default (o, member, 0) : 0;
}

static const char *
detail_str (JsonObject *o, const char *member)
{
  return o != NULL && json_object_has_member (o, member)
         ? json_object_get_string_member_with_default (o, member, NULL) : NULL;
}

static char *
with_subject (const DrdAuditEntry *e, char *what, gboolean show_event, gboolean show_customer)
{
  GString *s = g_string_new (what);

  g_free (what);
  if (show_customer && e->customer_id > 0)
    g_string_append_printf (s, " · %s (%" G_GINT64_FORMAT ")",
                            e->customer_name ? e->customer_name : "", e->customer_id);
  if (show_event && e->event_id > 0)
    g_string_append_printf (s, " · “%s”", e->event_name ? e->event_name : "");
  return g_string_free (s, FALSE);
}

DrdAuditItem *
drd_audit_item_new (const DrdAuditEntry *e)
{
  DrdAuditItem *self = g_object_new (DRD_TYPE_AUDIT_ITEM, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o = NULL;
  const char *a = e->action != NULL ? e->action : "";
  char *what = NULL, *change = NULL;

  if (e->detail != NULL && json_parser_load_from_data (parser, e->detail, -1, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    o = json_node_get_object (json_parser_get_root (parser));

  if (g_str_equal (a, "answer"))
    {
      DrdChannel ch = DRD_CHANNEL_NONE;
      const char *c = detail_str (o, "channel");

      if (c != NULL)
        drd_channel_from_string (c, &ch);
      /* TRANSLATORS: audit "what"; %s: channel (Web form, App, Operator) */
      what = g_strdup_printf (_("Answer (%s)"), drd_gui_channel_label (ch));
      change = g_strdup_printf ("%s → %s", answer_word (e->old_value), answer_word (e->new_value));
    }
  else if (g_str_equal (a, "event.start"))
    {
      gint64 n = detail_int (o, "targeted");
      what = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Started the event (%lld customer asked)",
                                           "Started the event (%lld customers asked)", (gulong) n),
                              (long long) n);
    }
  else if (g_str_equal (a, "event.end") || g_str_equal (a, "event.cancel")
           || g_str_equal (a, "event.status"))
    {
      what = g_strdup (g_str_equal (a, "event.end") ? _("Ended the event")
                       : g_str_equal (a, "event.cancel") ? _("Cancelled the event")
                       : _("Event status changed"));
      change = g_strdup_printf ("%s → %s", status_word (e->old_value), status_word (e->new_value));
    }
  else if (g_str_equal (a, "token.rotate"))
    {
      what = g_strdup (_("Issued a new answer link (the old one stopped working)"));
      /* TRANSLATORS: link generations, e.g. "link 1 → link 2" */
      change = g_strdup_printf (_("link %s → link %s"), e->old_value ? e->old_value : "?",
                                e->new_value ? e->new_value : "?");
    }
  else if (g_str_equal (a, "customer.import"))
    what = g_strdup_printf (_("Imported customers: %lld new, %lld changed, %lld refused"),
                            (long long) detail_int (o, "inserted"),
                            (long long) detail_int (o, "updated"),
                            (long long) detail_int (o, "failed"));
  else if (g_str_equal (a, "points.credit"))
    {
      gint64 p = detail_int (o, "points");
      const char *reason = detail_str (o, "reason");

      what = g_str_equal (reason ? reason : "", "dr_reward")
             ? g_strdup_printf (_("Credited %lld points (settlement)"), (long long) p)
             : g_strdup_printf (_("Credited %lld points (%s)"), (long long) p, reason ? reason : "");
      /* TRANSLATORS: points balance before → after */
      change = g_strdup_printf (_("balance %s → %s"), e->old_value ? e->old_value : "?",
                                e->new_value ? e->new_value : "?");
    }
  else
    {
      what = g_strdup (a);
      if (e->old_value != NULL || e->new_value != NULL)
        change = g_strdup_printf ("%s → %s", e->old_value ? e->old_value : "—",
                                  e->new_value ? e->new_value : "—");
    }

  self->text[0] = drd_gui_format_time (e->at);
  self->text[1] = who_text (e->actor);
  self->text[2] = what;
  self->text[3] = change != NULL ? change : g_strdup ("");
  return self;
}

/* ---- dialog ---- */

struct _DrdAuditDialog
{
  GtkWindow     parent_instance;

  GtkLabel     *title_label;
  GtkLabel     *status_label;
  GtkWidget    *more_button;

  DrdStore     *store;
  GCancellable *cancellable;
  GListStore   *items;
  DrdAuditQuery query;
  gboolean      show_event;      /* a customer's trail: name the events */
  gboolean      show_customer;   /* an event's trail: name the customers */
};

G_DEFINE_FINAL_TYPE (DrdAuditDialog, drd_audit_dialog, GTK_TYPE_WINDOW)

static void load_page (DrdAuditDialog *self);

static void
update_status (DrdAuditDialog *self, gboolean more)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->items));
  g_autofree char *text = NULL;

  if (n == 0)
    text = g_strdup (_("Nothing recorded yet."));
  else if (more)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Newest %u entry shown.",
                                         "Newest %u entries shown.", n), n);
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u entry.", "%u entries.", n), n);
  gtk_label_set_text (self->status_label, text);
  gtk_widget_set_visible (self->more_button, more);
}

static void
on_page (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DrdAuditDialog *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = drd_store_list_audit_finish (DRD_STORE (source), result, &error);

  if (page == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        gtk_label_set_text (self->status_label, error->message);
      g_object_unref (self);
      return;
    }
  if (page->len > 0)
    {
      g_autoptr(GPtrArray) objs = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; i < page->len; i++)
        {
          DrdAuditEntry *e = page->pdata[i];
          DrdAuditItem *item = drd_audit_item_new (e);
          char *what = with_subject (e, item->text[2], self->show_event, self->show_customer);

          item->text[2] = what;
          g_ptr_array_add (objs, item);
        }
      g_list_store_splice (self->items, g_list_model_get_n_items (G_LIST_MODEL (self->items)), 0,
                           objs->pdata, objs->len);
      self->query.before_id = ((DrdAuditEntry *) page->pdata[page->len - 1])->id;
    }
  gtk_widget_set_sensitive (self->more_button, TRUE);
  update_status (self, page->len == PAGE);
  g_object_unref (self);
}

static void
load_page (DrdAuditDialog *self)
{
  gtk_widget_set_sensitive (self->more_button, FALSE);
  drd_store_list_audit_async (self->store, &self->query, self->cancellable, on_page,
                              g_object_ref (self));
}

static void
drd_audit_dialog_dispose (GObject *object)
{
  DrdAuditDialog *self = DRD_AUDIT_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_object (&self->items);
  G_OBJECT_CLASS (drd_audit_dialog_parent_class)->dispose (object);
}

static void
drd_audit_dialog_class_init (DrdAuditDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = drd_audit_dialog_dispose;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
drd_audit_dialog_init (DrdAuditDialog *self)
{
  static const struct { const char *prop; const char *title; int width; gboolean expand; } cols[] = {
    { "when", N_("When"), 130, FALSE },
    { "who", N_("Who"), 170, FALSE },
    { "what", N_("What"), 300, TRUE },
    { "change", N_("Old → New"), 170, FALSE },
  };
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *bottom = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *close;
  GtkColumnView *cv;
  g_autoptr(GtkNoSelection) sel = NULL;

  self->cancellable = g_cancellable_new ();
  self->items = g_list_store_new (DRD_TYPE_AUDIT_ITEM);
  sel = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->items)));
  cv = GTK_COLUMN_VIEW (gtk_column_view_new (GTK_SELECTION_MODEL (g_steal_pointer (&sel))));
  gtk_column_view_set_show_column_separators (cv, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (cv), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Audit trail"), -1);
  for (guint i = 0; i < G_N_ELEMENTS (cols); i++)
    {
      g_autoptr(GtkListItemFactory) f = drd_cell_factory_new (cols[i].prop, 0);
      g_autoptr(GtkColumnViewColumn) col = gtk_column_view_column_new (_(cols[i].title),
                                                                       g_object_ref (f));

      gtk_column_view_column_set_resizable (col, TRUE);
      gtk_column_view_column_set_fixed_width (col, cols[i].width);
      gtk_column_view_column_set_expand (col, cols[i].expand);
      gtk_column_view_append_column (cv, col);
    }
  self->title_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->title_label, 0);
  gtk_label_set_ellipsize (self->title_label, PANGO_ELLIPSIZE_END);
  gtk_widget_set_margin_start (GTK_WIDGET (self->title_label), 12);
  gtk_widget_set_margin_top (GTK_WIDGET (self->title_label), 12);
  gtk_widget_add_css_class (GTK_WIDGET (self->title_label), "title-4");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->title_label));
  gtk_widget_set_vexpand (scroller, TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (cv));
  gtk_box_append (GTK_BOX (box), scroller);

  gtk_widget_set_margin_start (bottom, 12);
  gtk_widget_set_margin_end (bottom, 12);
  gtk_widget_set_margin_bottom (bottom, 12);
  self->status_label = GTK_LABEL (gtk_label_new (_("Loading…")));
  gtk_label_set_xalign (self->status_label, 0);
  gtk_widget_set_hexpand (GTK_WIDGET (self->status_label), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "dim-label");
  self->more_button = gtk_button_new_with_mnemonic (_("Show _Older"));
  gtk_widget_set_visible (self->more_button, FALSE);
  g_signal_connect_swapped (self->more_button, "clicked", G_CALLBACK (load_page), self);
  close = gtk_button_new_with_mnemonic (_("_Close"));
  g_signal_connect_swapped (close, "clicked", G_CALLBACK (gtk_window_close), self);
  gtk_box_append (GTK_BOX (bottom), GTK_WIDGET (self->status_label));
  gtk_box_append (GTK_BOX (bottom), self->more_button);
  gtk_box_append (GTK_BOX (bottom), close);
  gtk_box_append (GTK_BOX (box), bottom);

  gtk_window_set_child (GTK_WINDOW (self), box);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (self), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (self), 820, 460);
}

GtkWidget *
drd_audit_dialog_new (GtkWidget  *from,
                      DrdStore   *store,
                      gint64      event_id,
                      gint64      customer_id,
                      const char *subject)
{
  DrdAuditDialog *self = g_object_new (DRD_TYPE_AUDIT_DIALOG, NULL);
  GtkRoot *root = from != NULL ? gtk_widget_get_root (from) : NULL;
  g_autofree char *title = NULL;

  g_return_val_if_fail (DRD_IS_STORE (store), NULL);
  self->store = g_object_ref (store);
  self->query.event_id = event_id;
  self->query.customer_id = customer_id;
  self->query.limit = PAGE;
  self->show_event = event_id <= 0;
  self->show_customer = customer_id <= 0;
  /* TRANSLATORS: window title; %s: an event ("“Heat wave”") or a customer ("Kim (12)") */
  title = g_strdup_printf (_("History of %s"), subject != NULL ? subject : "");
  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_label_set_text (self->title_label, title);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (self), GTK_WINDOW (root));
  load_page (self);
  gtk_window_present (GTK_WINDOW (self));
  return GTK_WIDGET (self);
}
