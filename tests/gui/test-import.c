/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The window's customer import (drd_import_customers_async) against the
 * real `drdeskctl customers import` on the same file: the same rows are
 * refused, on the same lines, and the same customers are stored. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <locale.h>

#include "gui/drd-application.h"

#include "gui/drd-import.h"
#include "tests/gui/drd-gui-test-util.h"

/* One row per rule; `refused` says whether the CLI refuses it. */
typedef struct {
  const char *row;
  gboolean    refused;
} Case;

static const Case cases[] = {
  { "1,Kim,1000000001,r1,1.5,mid-6-10,false,010-1,kim@example.com,https://example.com/h", FALSE },
  { " 2 , Lee , 1000000002 , r1 , 2 , max-4-5 , true , 010-2 , lee@example.com , http://example.com/h ", FALSE },
  { "3,Park,10-00-0003,r1,1,,,,,", TRUE },                 /* KEPCO number not digits */
  { "4,Choi,1000000004,r1,1,,,,not-an-email,", TRUE },     /* bad e-mail */
  { "5,Jung,1000000005,r1,1,,,,a b@example.com,", TRUE },  /* e-mail with a space */
  { "6,Kang,1000000006,r1,1,,,,,ftp://example.com/h", TRUE },
  { "7,Cho,1000000007,r1,1.2345,,,,,", TRUE },             /* 4 decimals */
  { "8,Yoon,1000000008,r1,1e3,,,,,", TRUE },               /* not a plain number */
  { "9,Jang,1000000009,r1,0x10,,,,,", TRUE },
  { "10,   ,1000000010,r1,1,,,,,", TRUE },                 /* name only spaces */
  { "11,Lim,1000000011,r1,-1,,,,,", TRUE },
  { "12,Han,1000000012,r1,1,fast,,,,", TRUE },
  { "13,Oh,1000000013,r1,1,, TRUE ,,,", FALSE },           /* trimmed, any case */
  { "14,Seo,1000000014,r1,1,,yes,,,", TRUE },
  { "1,Kim again,1000000015,r1,1,,,,,", TRUE },            /* customer_id already on line 2 */
  { "16,Kwon,1000000001,r1,1,,,,,", TRUE },                /* kepco number already on line 2 */
  { "17,Hwang,,r1,1,,,,,", TRUE },
  { "0,Zero,1000000018,r1,1,,,,,", TRUE },
  { "19,Ahn,1000000019,r1,,,,,,", TRUE },
  { "20,Song,1000000020,,1000000.001,,,,,https://example.com:8443/x", FALSE },
  { "21,Yu,1000000021,r1,1,,,,,http://", TRUE },           /* no host */
  { "22,\"Quote \"\"Q\"\"\",1000000022,r1,1,,,,,", FALSE },
};

static char *
write_cases (const char *dir)
{
  g_autoptr(GString) csv = g_string_new ("customer_id,name,kepco_customer_no,resource,registered_kw,"
                                         "cbl_method,is_factory,phone,email,webhook_url\n");
  g_autofree char *path = g_build_filename (dir, "customers.csv", NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_string_append_printf (csv, "%s\n", cases[i].row);
  g_file_set_contents (path, csv->str, (gssize) csv->len, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

/* Every customer of @store, one line each, all fields. */
static gboolean
dump_one (const DrdCustomer *c, gpointer user_data)
{
  g_string_append_printf (user_data, "%" G_GINT64_FORMAT "|%s|%s|%s|%" G_GINT64_FORMAT "|%d|%d|%s|%s|%s\n",
                          c->id, c->name, c->kepco_no, c->resource, c->registered_w,
                          c->cbl_method, c->is_factory, c->phone ? c->phone : "(null)",
                          c->email ? c->email : "(null)",
                          c->webhook_url ? c->webhook_url : "(null)");
  return TRUE;
}

static char *
dump (DrdStore *store)
{
  GString *out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  drd_store_foreach_customer (store, dump_one, out, &error);
  g_assert_no_error (error);
  return g_string_free (out, FALSE);
}

/* The CLI's refused rows ("LINE: reason" on stderr), one per line. */
static char *
cli_import (const char *db, const char *csv, int *out_status)
{
  const char *build = g_getenv ("DRD_BUILD_DIR");
  g_autofree char *ctl = g_build_filename (build ? build : ".", "src", "drdeskctl", NULL);
  const char *init[] = { ctl, "--db", db, "init", NULL };
  const char *argv[] = { ctl, "--db", db, "customers", "import", csv, NULL };
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  GString *out = g_string_new (NULL);

  proc = g_subprocess_newv (init, G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                            &error);
  g_assert_no_error (error);
  g_subprocess_wait_check (proc, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&proc);
  proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  *out_status = g_subprocess_get_exit_status (proc);
  lines = g_strsplit (err, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_ascii_isdigit (lines[i][0]))
      g_string_append_printf (out, "%s\n", lines[i]);
  return g_string_free (out, FALSE);
}

/* "LINE: reason" lines → "LINE\n…" */
static char *
line_numbers (const char *report)
{
  g_auto(GStrv) lines = g_strsplit (report, "\n", -1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0')
      g_string_append_printf (out, "%u\n", (guint) g_ascii_strtoull (lines[i], NULL, 10));
  return g_string_free (out, FALSE);
}

typedef struct {
  DrdImportReport *report;
  GError          *error;
  gboolean         done;
} Wait;

static void
on_imported (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *w = user_data;

  w->report = drd_import_customers_finish (result, &w->error);
  w->done = TRUE;
}

static gboolean
is_done (gpointer data)
{
  return ((Wait *) data)->done;
}

/* The window's refused rows, read through the dialog's list model. */
static char *
window_lines (DrdImportReport *report)
{
  g_autoptr(GListModel) model = drd_import_report_model_new (report);
  GString *out = g_string_new (NULL);

  g_assert_cmpuint (g_list_model_get_n_items (model), ==, drd_import_report_get_n_lines (report));
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GtkStringObject) s = g_list_model_get_item (model, i);

      g_string_append_printf (out, "%s\n", gtk_string_object_get_string (s));
    }
  return g_string_free (out, FALSE);
}

static void
test_same_as_cli (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(DrdStore) store = drd_test_store_new (0, &dir);
  g_autofree char *csv = write_cases (dir);
  g_autofree char *cli_db = g_build_filename (dir, "cli.db", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (csv);
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autofree char *cli_lines = NULL, *win_lines = NULL, *win_dump = NULL, *cli_dump = NULL;
  g_autofree char *cli_numbers = NULL;
  g_autoptr(DrdStore) cli_store = NULL;
  g_autoptr(GError) error = NULL;
  Wait w = { 0 };
  int status = -1;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    if (cases[i].refused)
      g_string_append_printf (expected, "%u\n", i + 2);

  cli_lines = cli_import (cli_db, csv, &status);
  g_assert_cmpint (status, ==, 1);
  cli_numbers = line_numbers (cli_lines);
  g_assert_cmpstr (cli_numbers, ==, expected->str);

  drd_import_customers_async (store, file, NULL, NULL, NULL, NULL, on_imported, &w);
  g_assert_true (drd_test_wait (is_done, &w, 30000));
  g_assert_no_error (w.error);
  win_lines = window_lines (w.report);
  /* Every refused row, with the CLI's very words. */
  g_assert_cmpstr (win_lines, ==, cli_lines);
  g_assert_cmpuint (drd_import_report_get_counts (w.report)->n_refused, ==,
                    drd_import_report_get_n_lines (w.report));

  cli_store = drd_store_open (cli_db, &error);
  g_assert_no_error (error);
  cli_dump = dump (cli_store);
  win_dump = dump (store);
  g_assert_cmpstr (win_dump, ==, cli_dump);

  if (g_getenv ("DRD_SCREENSHOT") != NULL && drd_test_gtk_init ())
    {
      /* tests/ui/screenshots-import.sh: the report dialog as PNG */
      GtkWindow *dialog = drd_import_report_dialog_new (NULL, g_steal_pointer (&w.report),
                                                        "customers.csv");
      g_autoptr(GdkPaintable) p = NULL;
      GtkSnapshot *snap = gtk_snapshot_new ();
      g_autoptr(GskRenderNode) node = NULL;
      g_autoptr(GdkTexture) tex = NULL;
      int width, height;

      gtk_window_present (dialog);
      drd_test_spin (500);
      p = gtk_widget_paintable_new (GTK_WIDGET (dialog));
      width = gtk_widget_get_width (GTK_WIDGET (dialog));
      height = gtk_widget_get_height (GTK_WIDGET (dialog));
      gdk_paintable_snapshot (p, snap, width, height);
      node = gtk_snapshot_free_to_node (snap);
      tex = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (dialog)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
      g_assert_true (gdk_texture_save_to_png (tex, g_getenv ("DRD_SCREENSHOT")));
      gtk_window_destroy (dialog);
    }
  drd_import_report_free (w.report);
  g_clear_object (&store);
  g_clear_object (&cli_store);
  drd_test_rmdir (dir);
}

static GtkWidget *
find_type (GtkWidget *w, GType type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (w, type))
    return w;
  for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_type (c, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
find_button (GtkWidget *w, const char *label)
{
  if (GTK_IS_BUTTON (w) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (w)), label) == 0)
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL; c = gtk_widget_get_next_sibling (c))
    if (find_button (c, label))
      return TRUE;
  return FALSE;
}

/* The dialog lists every refused row (30,000 here), not a toast naming one. */
static void
test_dialog (void)
{
  g_autoptr(GError) error = NULL;
  DrdImportReport *report = drd_import_report_new (&error);
  GtkWindow *dialog;
  GtkListView *list;
  GListModel *model;

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      drd_import_report_free (report);
      return;
    }
  g_assert_no_error (error);
  for (guint i = 0; i < 30000; i++)
    drd_import_report_add (i + 2, "name is empty", report);
  g_assert_true (drd_import_report_close (report, &error));
  drd_import_report_get_counts (report)->n_refused = 30000;
  drd_import_report_get_counts (report)->n_rows = 30000;

  dialog = drd_import_report_dialog_new (NULL, report, "customers.csv");
  gtk_window_present (dialog);
  drd_test_spin (200);
  list = GTK_LIST_VIEW (find_type (GTK_WIDGET (dialog), GTK_TYPE_LIST_VIEW));
  g_assert_nonnull (list);
  model = G_LIST_MODEL (gtk_list_view_get_model (list));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 30000);
  {
    g_autoptr(GtkStringObject) last = g_list_model_get_item (model, 29999);

    g_assert_cmpstr (gtk_string_object_get_string (last), ==, "30001: name is empty");
  }
  g_assert_true (find_button (GTK_WIDGET (dialog), "_Save Report…"));
  gtk_window_destroy (dialog);
  drd_test_spin (50);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* screenshots: translated like the application */
  if (g_getenv ("DRD_SCREENSHOT") != NULL)
    {
      setlocale (LC_ALL, "");
      drd_gui_init ();
      textdomain (GETTEXT_PACKAGE);
    }
  g_test_add_func ("/import/same-as-cli", test_same_as_cli);
  g_test_add_func ("/import/dialog", test_dialog);
  return g_test_run ();
}
