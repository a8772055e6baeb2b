/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The operator's daily tasks in the window, on a real database: record a
 * phone answer from the Responses table and the customer pane, show, copy
 * and rotate a customer's answer link, export the event's links CSV, read
 * the audit trail per event and per customer, end/cancel from the
 * Responses view and the overview, find whom to call next (sort, search,
 * quick filter), and the overview's progress against the target.
 *
 * Everything is reached the way the window offers it (actions, widgets,
 * dialogs), not through private API, so each check fails on a window
 * that lacks the task. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "../drd-test-sql.h"
#include "gui/drd-paged-model.h"
#include "gui/drd-response-item.h"
#include "gui/drd-window.h"
#include "store/drd-store-portal.h"
#include "tests/gui/drd-gui-test-util.h"

#define N 60

/* ---- finding widgets ---- */

typedef gboolean (*Match) (GtkWidget *widget, gconstpointer data);

static GtkWidget *
find_widget (GtkWidget *root, Match match, gconstpointer data)
{
  if (match (root, data))
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_widget (c, match, data);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_toplevel (Match match, gconstpointer data)
{
  GListModel *tops = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
    {
      g_autoptr(GtkWidget) w = g_list_model_get_item (tops, i);

      if (gtk_widget_get_visible (w) && match (w, data))
        return w;
    }
  return NULL;
}

static gboolean
has_action (GtkWidget *w, gconstpointer name)
{
  return GTK_IS_ACTIONABLE (w) && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (w)),
                                             name) == 0;
}

static gboolean
is_type (GtkWidget *w, gconstpointer type_name)
{
  return g_str_equal (G_OBJECT_TYPE_NAME (w), type_name);
}

static gboolean
label_contains (GtkWidget *w, gconstpointer needle)
{
  return GTK_IS_LABEL (w) && strstr (gtk_label_get_text (GTK_LABEL (w)), needle) != NULL;
}

static gboolean
button_labelled (GtkWidget *w, gconstpointer label)
{
  return GTK_IS_BUTTON (w) && gtk_button_get_label (GTK_BUTTON (w)) != NULL
         && g_str_equal (gtk_button_get_label (GTK_BUTTON (w)), label);
}

/* A message dialog whose text or secondary text contains every needle
 * (NULL-terminated). */
static gboolean
message_dialog_says (GtkWidget *w, gconstpointer data)
{
  const char *const *needles = data;
  g_autofree char *text = NULL, *secondary = NULL, *all = NULL;

  if (!GTK_IS_MESSAGE_DIALOG (w))
    return FALSE;
  g_object_get (w, "text", &text, "secondary-text", &secondary, NULL);
  all = g_strconcat (text ? text : "", "\n", secondary ? secondary : "", NULL);
  for (guint i = 0; needles[i] != NULL; i++)
    if (strstr (all, needles[i]) == NULL)
      return FALSE;
  return TRUE;
}

typedef struct {
  Match         match;
  gconstpointer data;
  GtkWidget    *found;
} Seek;

static gboolean
seek_toplevel (gpointer data)
{
  Seek *s = data;

  s->found = find_toplevel (s->match, s->data);
  return s->found != NULL;
}

static GtkWidget *
wait_toplevel (Match match, gconstpointer data)
{
  Seek s = { match, data, NULL };

  drd_test_wait (seek_toplevel, &s, 5000);
  return s.found;
}

static GtkWidget *
wait_dialog (const char *a, const char *b, const char *c)
{
  const char *needles[] = { a, b, c, NULL };

  return wait_toplevel (message_dialog_says, needles);
}

/* ---- database ---- */

typedef struct {
  const char *path;
  const char *sql;
  const char *types;
  gint64      a, b;
  gint64      want;
} SqlWant;

static gboolean
sql_is (gpointer data)
{
  SqlWant *w = data;

  if (g_str_equal (w->types, "ii"))
    return drd_test_sql_int (w->path, w->sql, "ii", w->a, w->b) == w->want;
  return drd_test_sql_int (w->path, w->sql, "i", w->a) == w->want;
}

typedef struct {
  DrdWindow *window;
  char      *dir;
  char      *path;
  DrdStore  *store;
  gint64     event_id;
} Desk;

static gboolean
rows_are (gpointer data)
{
  gpointer *args = data;

  return drd_paged_model_get_n_rows (DRD_PAGED_MODEL (args[0])) == GPOINTER_TO_UINT (args[1]);
}

static void
wait_rows (gpointer model, guint n)
{
  gpointer args[2] = { model, GUINT_TO_POINTER (n) };

  g_assert_true (drd_test_wait (rows_are, args, 8000));
}

static gboolean
desk_open (Desk *d)
{
  if (!drd_test_gtk_init ())
    return FALSE;
  d->store = drd_test_store_new (N, &d->dir);
  d->path = g_build_filename (d->dir, "drdesk.db", NULL);
  d->event_id = drd_test_start_event (d->store, "Heat wave");
  d->window = drd_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (d->window), 1024, 600);
  drd_window_set_store (d->window, d->store);
  gtk_window_present (GTK_WINDOW (d->window));
  drd_window_select_event (d->window, d->event_id);
  wait_rows (drd_responses_view_get_model (drd_window_get_responses_view (d->window)), N);
  return TRUE;
}

static void
close_dialogs (void)
{
  GListModel *tops = gtk_window_get_toplevels ();

  for (guint i = g_list_model_get_n_items (tops); i > 0; i--)
    {
      g_autoptr(GtkWidget) w = g_list_model_get_item (tops, i - 1);

      if (!DRD_IS_WINDOW (w))
        gtk_window_destroy (GTK_WINDOW (w));
    }
}

static void
desk_close (Desk *d)
{
  close_dialogs ();
  gtk_window_destroy (GTK_WINDOW (d->window));
  drd_test_spin (100);
  g_clear_object (&d->store);
  drd_test_rmdir (d->dir);
  g_free (d->dir);
  g_free (d->path);
}

static GtkColumnView *
column_view_of (GtkWidget *view)
{
  GtkWidget *cv = find_widget (view, (Match) is_type, "GtkColumnView");

  g_assert_nonnull (cv);
  return GTK_COLUMN_VIEW (cv);
}

static gboolean
item_loaded (gpointer item)
{
  gboolean loaded = FALSE;

  g_object_get (item, "loaded", &loaded, NULL);
  return loaded;
}

/* Selects row @pos of the view's table; returns the selected item. */
static GObject *
select_row (GtkWidget *view, guint pos)
{
  GtkSelectionModel *sel = gtk_column_view_get_model (column_view_of (view));
  GObject *item;

  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (sel), pos);
  item = gtk_single_selection_get_selected_item (GTK_SINGLE_SELECTION (sel));
  g_assert_nonnull (item);
  g_assert_true (drd_test_wait (item_loaded, item, 5000));
  return item;
}

static char *
customer_name (Desk *d, gint64 id)
{
  return id % 7 == 0 ? g_strdup_printf ("Kim Store %05u", (guint) id)
                     : g_strdup_printf ("고객 %05u", (guint) id);
}

static char *
actor (void)
{
  return g_strdup_printf ("operator:%s@%s", g_get_user_name (), g_get_host_name ());
}

/* ---- record an answer on a customer's behalf ---- */

static void
test_record_from_responses (void)
{
  Desk d = { 0 };
  GtkWidget *rv, *dialog;
  g_autofree char *name = NULL, *who = actor ();
  gint64 cid;

  if (!desk_open (&d))
    {
      g_test_skip ("no display");
      return;
    }
  rv = GTK_WIDGET (drd_window_get_responses_view (d.window));
  cid = drd_response_item_get_customer_id (DRD_RESPONSE_ITEM (select_row (rv, 4)));
  name = customer_name (&d, cid);

  g_assert_true (gtk_widget_activate_action (rv, "responses.record-accept", NULL));
  /* The confirmation names the customer and the event. */
  dialog = wait_dialog (name, "Heat wave", NULL);
  g_assert_nonnull (dialog);
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT);
  {
    SqlWant w = { d.path, "SELECT answer * 10 + channel FROM responses WHERE event_id = ? "
                  "AND customer_id = ?", "ii", d.event_id, cid, DRD_ANSWER_ACCEPT * 10 + DRD_CHANNEL_OPERATOR };
    g_assert_true (drd_test_wait (sql_is, &w, 5000));
  }
  /* In the audit trail, by the window's operator (user@host). */
  g_assert_cmpint (drd_test_sql_int (d.path, "SELECT count(*) FROM audit_log WHERE action = 'answer' "
                                     "AND customer_id = ? AND actor = ?", "is", cid, who), ==, 1);

  /* Cancelling the confirmation changes nothing. */
  g_assert_true (gtk_widget_activate_action (rv, "responses.record-deny", NULL));
  dialog = wait_dialog (name, "Heat wave", NULL);
  g_assert_nonnull (dialog);
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  drd_test_spin (300);
  g_assert_cmpint (drd_test_sql_int (d.path, "SELECT answer FROM responses WHERE event_id = ? "
                                     "AND customer_id = ?", "ii", d.event_id, cid), ==, DRD_ANSWER_ACCEPT);
  desk_close (&d);
}

static void
test_record_from_customer_pane (void)
{
  Desk d = { 0 };
  DrdCustomersView *cv;
  GtkWidget *dialog;
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;
  gint64 cid;

  if (!desk_open (&d))
    {
      g_test_skip ("no display");
      return;
    }
  drd_window_set_view (d.window, "customers");
  cv = drd_window_get_customers_view (d.window);
  wait_rows (drd_customers_view_get_model (cv), N);
  select_row (GTK_WIDGET (cv), 6);
  cid = drd_customers_view_get_selected_id (cv);
  g_assert_cmpint (cid, >, 0);
  name = customer_name (&d, cid);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (cv), "customer.record-deny", NULL));
  dialog = wait_dialog (name, "Heat wave", NULL);
  g_assert_nonnull (dialog);
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT);
  {
    SqlWant w = { d.path, "SELECT answer * 10 + channel FROM responses WHERE event_id = ? "
                  "AND customer_id = ?", "ii", d.event_id, cid, DRD_ANSWER_DENY * 10 + DRD_CHANNEL_OPERATOR };
    g_assert_true (drd_test_wait (sql_is, &w, 5000));
  }

  /* Same rule as the CLI: after the end, until the customer is settled;
   * a settled customer is refused with a message and nothing changes. */
  drd_store_end_event (d.store, d.event_id, "test", drd_store_now (), &error);
  g_assert_no_error (error);
  drd_test_sql_exec (d.path, "INSERT INTO settlements (event_id, customer_id, answer, outcome, "
                     "points, settled_at) VALUES (?, ?, 2, 3, 0, 1)", "ii", d.event_id, cid);
  drd_window_refresh (d.window);
  drd_test_spin (500);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (cv), "customer.record-accept", NULL));
  dialog = wait_dialog (name, "Heat wave", NULL);
  g_assert_nonnull (dialog);
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT);
  dialog = wait_dialog ("already settled", NULL, NULL);
  g_assert_nonnull (dialog);
  g_assert_cmpint (drd_test_sql_int (d.path, "SELECT answer FROM responses WHERE event_id = ? "
                                     "AND customer_id = ?", "ii", d.event_id, cid), ==, DRD_ANSWER_DENY);
  desk_close (&d);
}

/* ---- answer links ---- */

static gboolean
link_label (GtkWidget *w, gconstpointer data)
{
  return GTK_IS_LABEL (w) && g_str_has_prefix (gtk_label_get_text (GTK_LABEL (w)), "http://")
         && strstr (gtk_label_get_text (GTK_LABEL (w)), "/r/") != NULL;
}

static gboolean
window_titled (GtkWidget *w, gconstpointer needle)
{
  return GTK_IS_WINDOW (w) && !DRD_IS_WINDOW (w) && !GTK_IS_MESSAGE_DIALOG (w)
         && gtk_window_get_title (GTK_WINDOW (w)) != NULL
         && strstr (gtk_window_get_title (GTK_WINDOW (w)), needle) != NULL;
}

static char *
expected_link (Desk *d, gint64 cid, gint64 generation)
{
  g_autofree char *secret_path = drd_link_secret_path (d->store);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) secret = drd_link_secret_load_or_create (secret_path, &error);
  g_autofree char *token = NULL;

  g_assert_no_error (error);
  token = drd_link_token_derive (secret, cid, generation);
  return g_strdup_printf ("http://127.0.0.1:8088/r/%s", token);
}

typedef struct {
  GtkWidget *root;
  char      *text;
} LabelWant;

static gboolean
link_shown_is (gpointer data)
{
  LabelWant *w = data;
  GtkWidget *l = find_widget (w->root, link_label, NULL);

  return l != NULL && g_str_equal (gtk_label_get_text (GTK_LABEL (l)), w->text);
}

static void
on_clipboard_text (GObject *source, GAsyncResult *result, gpointer user_data)
{
  char **out = user_data;

  *out = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
  if (*out == NULL)
    *out = g_strdup ("");
}

static gboolean
not_null (gpointer data)
{
  return *(char **) data != NULL;
}

static gboolean
file_exists (gpointer path)
{
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static void
test_links (void)
{
  Desk d = { 0 };
  GtkWidget *rv, *dialog, *confirm, *button;
  g_autofree char *name = NULL, *link0 = NULL, *link1 = NULL, *pasted = NULL;
  g_autofree char *csv_path = NULL, *csv = NULL, *want_row = NULL, *who = actor ();
  g_autoptr(GError) error = NULL;
  gint64 cid;

  if (!desk_open (&d))
    {
      g_test_skip ("no display");
      return;
    }
  rv = GTK_WIDGET (drd_window_get_responses_view (d.window));
  cid = drd_response_item_get_customer_id (DRD_RESPONSE_ITEM (select_row (rv, 2)));
  name = customer_name (&d, cid);
  link0 = expected_link (&d, cid, 0);

  /* Show: the customer's link, as the portal accepts it. */
  g_assert_true (gtk_widget_activate_action (rv, "responses.show-link", NULL));
  dialog = wait_toplevel (window_titled, name);
  g_assert_nonnull (dialog);
  {
    LabelWant w = { dialog, link0 };
    g_assert_true (drd_test_wait (link_shown_is, &w, 5000));
  }

  /* Copy: on the clipboard. */
  button = find_widget (dialog, button_labelled, "_Copy Link");
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (dialog), NULL, on_clipboard_text, &pasted);
  g_assert_true (drd_test_wait (not_null, &pasted, 3000));
  g_assert_cmpstr (pasted, ==, link0);

  /* Rotate: a warning first; then a new link, the old one gone. */
  button = find_widget (dialog, button_labelled, "_Rotate Link…");
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  confirm = wait_dialog ("stops working", name, NULL);
  g_assert_nonnull (confirm);
  gtk_dialog_response (GTK_DIALOG (confirm), GTK_RESPONSE_ACCEPT);
  link1 = expected_link (&d, cid, 1);
  {
    LabelWant w = { dialog, link1 };
    g_assert_true (drd_test_wait (link_shown_is, &w, 5000));
  }
  g_assert_cmpint (drd_test_sql_int (d.path, "SELECT token_generation FROM customers WHERE id = ?",
                                     "i", cid), ==, 1);
  g_assert_cmpint (drd_test_sql_int (d.path, "SELECT count(*) FROM audit_log WHERE action = "
                                     "'token.rotate' AND customer_id = ? AND actor = ?", "is", cid, who), ==, 1);
  gtk_window_destroy (GTK_WINDOW (dialog));

  /* Export the event's links CSV (the drdeskctl links contract). */
  csv_path = g_build_filename (d.dir, "links.csv", NULL);
  g_assert_true (gtk_widget_activate_action (rv, "responses.export-links", "s", csv_path));
  g_assert_true (drd_test_wait (file_exists, csv_path, 5000));
  drd_test_spin (100);
  g_file_get_contents (csv_path, &csv, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (csv, "customer_id,name,phone,email,link\n"));
  {
    g_auto(GStrv) lines = g_strsplit (csv, "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, N + 2);
  }
  want_row = g_strdup_printf ("\n%" G_GINT64_FORMAT ",%s,010-0000-0000,,%s\n", cid, name, link1);
  g_assert_nonnull (strstr (csv, want_row));
  desk_close (&d);
}

/* ---- audit trail ---- */

typedef struct {
  GtkWidget *root;
  guint      min;
} ListWant;

static GListModel *
list_of (GtkWidget *root)
{
  GtkWidget *cv = find_widget (root, (Match) is_type, "GtkColumnView");

  return cv != NULL ? G_LIST_MODEL (gtk_column_view_get_model (GTK_COLUMN_VIEW (cv))) : NULL;
}

static gboolean
list_has (gpointer data)
{
  ListWant *w = data;
  GListModel *m = list_of (w->root);

  return m != NULL && g_list_model_get_n_items (m) >= w->min;
}

static char *
item_text (GListModel *m, guint pos, const char *prop)
{
  g_autoptr(GObject) item = g_list_model_get_item (m, pos);
  char *v = NULL;

  g_object_get (item, prop, &v, NULL);
  return v;
}

static void
test_audit (void)
{
  Desk d = { 0 };
  GtkWidget *rv, *dialog;
  GListModel *m;
  g_autofree char *name = NULL, *who = actor ();
  g_autoptr(GError) error = NULL;
  gint64 cid;

  if (!desk_open (&d))
    {
      g_test_skip ("no display");
      return;
    }
  rv = GTK_WIDGET (drd_window_get_responses_view (d.window));
  cid = drd_response_item_get_customer_id (DRD_RESPONSE_ITEM (select_row (rv, 1)));
  name = customer_name (&d, cid);
  drd_store_record_answer (d.store, d.event_id, cid, DRD_ANSWER_ACCEPT, DRD_CHANNEL_PORTAL,
                           "portal", drd_store_now (), NULL, &error);
  g_assert_no_error (error);
  drd_store_record_answer (d.store, d.event_id, cid, DRD_ANSWER_DENY, DRD_CHANNEL_OPERATOR,
                           who, drd_store_now (), NULL, &error);
  g_assert_no_error (error);

  /* Per event: the start and both answers, newest first. */
  g_assert_true (gtk_widget_activate_action (rv, "responses.event-audit", NULL));
  dialog = wait_toplevel (window_titled, "Heat wave");
  g_assert_nonnull (dialog);
  {
    ListWant w = { dialog, 3 };
    g_assert_true (drd_test_wait (list_has, &w, 5000));
  }
  m = list_of (dialog);
  g_assert_cmpuint (g_list_model_get_n_items (m), ==, 3);
  {
    g_autofree char *who0 = item_text (m, 0, "who");
    g_autofree char *change0 = item_text (m, 0, "change");
    g_autofree char *when0 = item_text (m, 0, "when");
    g_autofree char *what2 = item_text (m, 2, "what");
    g_autofree char *who1 = item_text (m, 1, "who");

    g_assert_nonnull (strstr (who0, g_get_user_name ()));
    g_assert_cmpstr (change0, ==, "Accepted → Denied");
    g_assert_true (g_ascii_isdigit (when0[0]));
    g_assert_nonnull (strstr (what2, "Started"));
    g_assert_nonnull (strstr (who1, "portal"));
  }
  gtk_window_destroy (GTK_WINDOW (dialog));

  /* Per customer, from the customer pane. */
  drd_window_set_view (d.window, "customers");
  {
    DrdCustomersView *cv = drd_window_get_customers_view (d.window);
    GtkSelectionModel *sel;
    guint pos = G_MAXUINT;

    wait_rows (drd_customers_view_get_model (cv), N);
    sel = gtk_column_view_get_model (drd_customers_view_get_column_view (cv));
    /* rows by id: customer cid is at cid - 1 */
    pos = (guint) cid - 1;
    select_row (GTK_WIDGET (cv), pos);
    g_assert_cmpint (drd_customers_view_get_selected_id (cv), ==, cid);
    (void) sel;
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (cv), "customer.audit", NULL));
  }
  dialog = wait_toplevel (window_titled, name);
  g_assert_nonnull (dialog);
  {
    ListWant w = { dialog, 2 };
    g_assert_true (drd_test_wait (list_has, &w, 5000));
  }
  m = list_of (dialog);
  g_assert_cmpuint (g_list_model_get_n_items (m), ==, 2);   /* two answers; import has no customer */
  {
    g_autofree char *change1 = item_text (m, 1, "change");
    g_assert_cmpstr (change1, ==, "No response → Accepted");
  }
  desk_close (&d);
}

/* ---- End / Cancel from the Responses view and the overview ---- */

static void
test_end_cancel_buttons (void)
{
  Desk d = { 0 };
  GtkWidget *views[2];

  if (!desk_open (&d))
    {
      g_test_skip ("no display");
      return;
    }
  views[0] = GTK_WIDGET (drd_window_get_responses_view (d.window));
  views[1] = GTK_WIDGET (drd_window_get_overview (d.window));
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      GtkWidget *end = find_widget (views[i], has_action, "win.end-event");
      GtkWidget *cancel = find_widget (views[i], has_action, "win.cancel-event");

      g_assert_nonnull (end);
      g_assert_nonnull (cancel);
      /* Their state follows the window's actions: the event is open. */
      g_assert_true (gtk_widget_get_sensitive (cancel));
    }
  /* Clicking Cancel in the Responses view asks, like the timeline's. */
  g_signal_emit_by_name (find_widget (views[0], has_action, "win.cancel-event"), "clicked");
  g_assert_nonnull (wait_dialog ("Heat wave", NULL, NULL));
  desk_close (&d);
}

/* ---- whom to call next ---- */

static GArray *
model_ids (DrdResponsesView *rv)
{
  const GArray *ids = drd_paged_model_get_ids (DRD_PAGED_MODEL (drd_responses_view_get_model (rv)));

  return g_array_copy ((GArray *) ids);
}

static gboolean
first_id_is (gpointer data)
{
  gpointer *args = data;
  const GArray *ids = drd_paged_model_get_ids (DRD_PAGED_MODEL (args[0]));
  gint64 want = *(gint64 *) args[1];

  return ids != NULL && ids->len > 0 && g_array_index (ids, gint64, 0) == want
         && (args[2] == NULL || ids->len == GPOINTER_TO_UINT (args[2]));
}

static void
test_call_next (void)
{
  Desk d = { 0 };
  DrdResponsesView *rv;
  GtkColumnView *cv;
  GListModel *cols;
  GtkWidget *search, *button;
  g_autoptr(GError) error = NULL;
  gboolean have_registered = FALSE, have_phone = FALSE;
  GtkColumnViewColumn *registered = NULL;

  if (!desk_open (&d))
    {
      g_test_skip ("no display");
      return;
    }
  rv = drd_window_get_responses_view (d.window);
  cv = column_view_of (GTK_WIDGET (rv));

  /* Registered kW and phone columns; every column sorts. */
  cols = gtk_column_view_get_columns (cv);
  for (guint i = 0; i < g_list_model_get_n_items (cols); i++)
    {
      g_autoptr(GtkColumnViewColumn) col = g_list_model_get_item (cols, i);
      const char *title = gtk_column_view_column_get_title (col);

      g_assert_nonnull (gtk_column_view_column_get_sorter (col));
      if (g_str_equal (title, "Registered"))
        {
          have_registered = TRUE;
          registered = col;
        }
      have_phone |= g_str_equal (title, "Phone");
    }
  g_assert_true (have_registered);
  g_assert_true (have_phone);

  /* Sorting by registered kW, largest first: customer 99's 100 kW would
   * lead, but N = 60: customer 60 (61 kW) leads. */
  gtk_column_view_sort_by_column (cv, registered, GTK_SORT_DESCENDING);
  {
    gint64 want = 60;
    gpointer args[3] = { drd_responses_view_get_model (rv), &want, NULL };
    g_assert_true (drd_test_wait (first_id_is, args, 5000));
  }
  {
    g_autoptr(GArray) ids = model_ids (rv);
    g_assert_cmpuint (ids->len, ==, N);
    for (guint i = 1; i < ids->len; i++)
      g_assert_cmpint (g_array_index (ids, gint64, i - 1) % 100, >=, g_array_index (ids, gint64, i) % 100);
  }

  /* Search by phone, then by KEPCO number, then by name. */
  drd_test_sql_exec (d.path, "UPDATE customers SET phone = '010-5555-1234' WHERE id = ?", "i", (gint64) 17);
  search = find_widget (GTK_WIDGET (rv), (Match) is_type, "GtkSearchEntry");
  g_assert_nonnull (search);
  gtk_editable_set_text (GTK_EDITABLE (search), "5555-1234");
  {
    gint64 want = 17;
    gpointer args[3] = { drd_responses_view_get_model (rv), &want, GUINT_TO_POINTER (1) };
    g_assert_true (drd_test_wait (first_id_is, args, 5000));
  }
  gtk_editable_set_text (GTK_EDITABLE (search), "1000000023");
  {
    gint64 want = 23;
    gpointer args[3] = { drd_responses_view_get_model (rv), &want, GUINT_TO_POINTER (1) };
    g_assert_true (drd_test_wait (first_id_is, args, 5000));
  }
  gtk_editable_set_text (GTK_EDITABLE (search), "Kim Store");
  {
    gint64 want = 56;   /* 7, 14, …, 56: 8 rows, largest kW first */
    gpointer args[3] = { drd_responses_view_get_model (rv), &want, GUINT_TO_POINTER (8) };
    g_assert_true (drd_test_wait (first_id_is, args, 5000));
  }
  gtk_editable_set_text (GTK_EDITABLE (search), "");

  /* Quick filter: no response, largest kW first. */
  drd_store_record_answer (d.store, d.event_id, 60, DRD_ANSWER_ACCEPT, DRD_CHANNEL_PORTAL,
                           "portal", drd_store_now (), NULL, &error);
  drd_store_record_answer (d.store, d.event_id, 59, DRD_ANSWER_DENY, DRD_CHANNEL_PORTAL,
                           "portal", drd_store_now (), NULL, &error);
  g_assert_no_error (error);
  gtk_column_view_sort_by_column (cv, NULL, GTK_SORT_ASCENDING);
  button = find_widget (GTK_WIDGET (rv), button_labelled, "Call _Next");
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  {
    gint64 want = 58;
    gpointer args[3] = { drd_responses_view_get_model (rv), &want, GUINT_TO_POINTER (N - 2) };
    g_assert_true (drd_test_wait (first_id_is, args, 5000));
  }
  desk_close (&d);
}

/* ---- the overview against the target ---- */

static void
test_overview_target (void)
{
  g_autoptr(DrdEvent) ev = drd_event_new ();
  DrdResponseCounts c = { 0 };
  GtkWidget *win, *ov, *bar;
  gint64 now = drd_store_now ();
  double max = 0, value = 0, mark = 0;

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  ev->id = 1;
  ev->name = g_strdup ("Heat wave");
  ev->start_at = now - 600;
  ev->end_at = now + 3600;
  ev->target_w = 100000;
  ev->status = DRD_EVENT_ACTIVE;
  win = gtk_window_new ();
  ov = drd_overview_new ();
  gtk_window_set_child (GTK_WINDOW (win), ov);
  gtk_window_present (GTK_WINDOW (win));
  drd_overview_set_event (DRD_OVERVIEW (ov), ev, now);

  c.n_targeted = 10;
  c.n_accept = 4;
  c.accepted_w = 80000;
  drd_overview_set_counts (DRD_OVERVIEW (ov), &c);
  g_assert_nonnull (find_widget (ov, label_contains, "80 %"));
  g_assert_nonnull (find_widget (ov, label_contains, "Still needed: 20 kW"));
  bar = find_widget (ov, (Match) is_type, "GtkLevelBar");
  g_assert_nonnull (bar);
  g_assert_cmpfloat_with_epsilon (gtk_level_bar_get_value (GTK_LEVEL_BAR (bar)), 0.8, 1e-9);

  c.accepted_w = 125000;
  drd_overview_set_counts (DRD_OVERVIEW (ov), &c);
  g_assert_nonnull (find_widget (ov, label_contains, "125 %"));
  g_assert_nonnull (find_widget (ov, label_contains, "Target met, +25 kW"));
  g_assert_null (find_widget (ov, label_contains, "Still needed"));
  /* The bar goes past the target: its scale grows, the target is a mark. */
  value = gtk_level_bar_get_value (GTK_LEVEL_BAR (bar));
  max = gtk_level_bar_get_max_value (GTK_LEVEL_BAR (bar));
  g_assert_cmpfloat_with_epsilon (value, 1.25, 1e-9);
  g_assert_cmpfloat (max, >=, 1.25);
  g_assert_true (gtk_level_bar_get_offset_value (GTK_LEVEL_BAR (bar), "target", &mark));
  g_assert_cmpfloat_with_epsilon (mark, 1.0, 1e-9);
  g_assert_true (gtk_widget_has_css_class (bar, "over-target"));

  c.accepted_w = 100000;
  drd_overview_set_counts (DRD_OVERVIEW (ov), &c);
  g_assert_nonnull (find_widget (ov, label_contains, "100 %"));
  g_assert_nonnull (find_widget (ov, label_contains, "Target met"));
  gtk_window_destroy (GTK_WINDOW (win));
}

int
main (int argc, char *argv[])
{
  gtk_disable_setlocale ();
  g_setenv ("LANGUAGE", "en", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gui/daily/record-from-responses", test_record_from_responses);
  g_test_add_func ("/gui/daily/record-from-customer-pane", test_record_from_customer_pane);
  g_test_add_func ("/gui/daily/links", test_links);
  g_test_add_func ("/gui/daily/audit", test_audit);
  g_test_add_func ("/gui/daily/end-cancel-buttons", test_end_cancel_buttons);
  g_test_add_func ("/gui/daily/call-next", test_call_next);
  g_test_add_func ("/gui/daily/overview-target", test_overview_target);
  return g_test_run ();
}
