/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the tables show, cell by cell, in the real window under Xvfb:
 * every cell of every row a GtkColumnView has realised shows exactly the
 * value of its row, read independently (the exported settlement CSV, the
 * store's rows), with nothing selected, for every filter, scrolled to the
 * top, the middle and the end, and after live refreshes. Each cell's
 * accessible label is its text. Numbers (kW, kWh, points) carry
 * thousands separators.
 *
 * One fixture: 600 customers, an event settled in-process against the
 * KEPCO simulator (127.0.0.1) on a temp SQLite file, as a person would
 * see it: the Settlement view is shown while the settler works, so its
 * model goes through live refreshes before it is checked. */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "core/drd-csv.h"
#include "core/drd-time.h"
#include "gui/drd-application.h"
#include "gui/drd-cell-factory.h"
#include "gui/drd-gui-util.h"
#include "gui/drd-settle-model.h"
#include "gui/drd-window.h"
#include "kepco/drd-kepco-sim.h"
#include "service/drd-config.h"
#include "service/drd-settle-export.h"
#include "store/drd-store-gui.h"
#include "store/drd-store-settle.h"

#include "drd-gui-test-util.h"

#define N_CUSTOMERS 600

/* ---- expected texts, written out independently of the item code ---- */

/* "1234567.125" → "1,234,567.125"; "-1234" → "-1,234" */
static char *
grouped (const char *plain)
{
  GString *s = g_string_new (NULL);
  const char *p = plain;
  const char *dot;
  gsize n;

  if (*p == '-')
    g_string_append_c (s, *p++);
  dot = strchr (p, '.');
  n = dot != NULL ? (gsize) (dot - p) : strlen (p);
  for (gsize i = 0; i < n; i++)
    {
      if (i > 0 && (n - i) % 3 == 0)
        g_string_append_c (s, ',');
      g_string_append_c (s, p[i]);
    }
  if (dot != NULL)
    g_string_append (s, dot);
  return g_string_free (s, FALSE);
}

static char *
grouped_int (gint64 v)
{
  g_autofree char *plain = g_strdup_printf ("%" G_GINT64_FORMAT, v);
  return grouped (plain);
}

static char *
grouped_kwh (gint64 wh)
{
  g_autofree char *plain = g_strdup_printf ("%s%" G_GINT64_FORMAT ".%03d", wh < 0 ? "-" : "",
                                            ABS (wh) / 1000, (int) (ABS (wh) % 1000));
  return grouped (plain);
}

static char *
grouped_kw (gint64 w)
{
  gint64 tenths = (w + (w >= 0 ? 50 : -50)) / 100;
  g_autofree char *plain = tenths % 10 != 0
    ? g_strdup_printf ("%s%" G_GINT64_FORMAT ".%d", tenths < 0 ? "-" : "", ABS (tenths) / 10,
                       (int) (ABS (tenths) % 10))
    : g_strdup_printf ("%" G_GINT64_FORMAT, tenths / 10);
  g_autofree char *number = grouped (plain);

  return g_strdup_printf ("%s kW", number);
}

static void
test_grouping_helpers (void)
{
  g_autofree char *a = grouped ("1234567.125");
  g_autofree char *b = grouped ("-1234");
  g_autofree char *c = grouped ("999");
  g_autofree char *d = grouped_kwh (-5);
  g_autofree char *e = grouped_kw (1234500);
  g_autofree char *f = grouped_int (1000);
  g_autofree char *g = drd_gui_format_kw (1234500);

  g_assert_cmpstr (a, ==, "1,234,567.125");
  g_assert_cmpstr (b, ==, "-1,234");
  g_assert_cmpstr (c, ==, "999");
  g_assert_cmpstr (d, ==, "-0.005");
  g_assert_cmpstr (e, ==, "1,234.5 kW");
  g_assert_cmpstr (f, ==, "1,000");
  g_assert_cmpstr (g, ==, e);
}

/* ---- the fixture ---- */

typedef struct {
  char *id, *name, *kepco_no, *answer, *answered_at, *baseline, *actual, *reduction, *outcome,
       *points;
} CsvRow;

static void
csv_row_free (CsvRow *r)
{
  g_free (r->id); g_free (r->name); g_free (r->kepco_no); g_free (r->answer);
  g_free (r->answered_at); g_free (r->baseline); g_free (r->actual); g_free (r->reduction);
  g_free (r->outcome); g_free (r->points);
  g_free (r);
}

typedef struct {
  char          *dir;
  char          *db_path;
  DrdStore      *store;
  DrdKepcoSim   *sim;
  DrdSettleLink *link;
  gint64         event;
  gint64         live_event;
  DrdWindow     *window;
} Fixture;

static Fixture *fixture;

static void
make_some_customers_large (DrdStore *store)
{
  g_autoptr(GPtrArray) customers = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_customer_free);
  g_autoptr(DrdStoreImportResult) result = NULL;
  g_autoptr(GError) error = NULL;

  /* 1,234.5 kW and more: the kW column needs separators */
  for (guint i = 50; i <= N_CUSTOMERS; i += 50)
    {
      DrdCustomer *c = drd_customer_new ();

      c->id = i;
      c->name = i % 7 == 0 ? g_strdup_printf ("Kim Store %05u", i) : g_strdup_printf ("고객 %05u", i);
      c->kepco_no = g_strdup_printf ("10%08u", i);
      c->resource = g_strdup_printf ("r%u", i % 3);
      c->registered_w = 1234500 + (gint64) i * 1000;
      c->phone = g_strdup ("010-0000-0000");
      g_ptr_array_add (customers, c);
    }
  result = drd_store_import_customers (store, customers, "test", drd_store_now (), &error);
  g_assert_no_error (error);
}

static Fixture *
get_fixture (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdEvent) e = NULL;
  DrdKepcoSimConfig config;
  gint64 n = 0;
  Fixture *f;

  if (fixture != NULL)
    return fixture;
  f = fixture = g_new0 (Fixture, 1);
  f->store = drd_test_store_new (N_CUSTOMERS, &f->dir);
  make_some_customers_large (f->store);
  f->db_path = g_build_filename (f->dir, "drdesk.db", NULL);
  g_assert_true (drd_config_save_service_key (f->db_path, "test-key", &error));
  g_assert_no_error (error);

  e = drd_event_new ();
  e->name = g_strdup ("Evening peak");
  e->kind = DRD_EVENT_KIND_RELIABILITY;
  g_assert_true (drd_time_parse_iso8601 ("2026-10-14T14:00:00+09:00", &e->start_at, &error));
  g_assert_true (drd_time_parse_iso8601 ("2026-10-14T16:00:00+09:00", &e->end_at, &error));
  e->target_w = 15000000;
  g_assert_true (drd_store_start_event (f->store, e, "operator:test", drd_store_now (), &f->event,
                                        &n, &error));
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, N_CUSTOMERS);
  for (gint64 i = 1; i <= N_CUSTOMERS; i++)
    if (i % 3 != 0)
      {
        g_assert_true (drd_store_record_answer (f->store, f->event, i,
                                                i % 3 == 1 ? DRD_ANSWER_ACCEPT : DRD_ANSWER_DENY,
                                                DRD_CHANNEL_OPERATOR, "operator:test",
                                                drd_store_now (), NULL, &error));
        g_assert_no_error (error);
      }
  g_assert_true (drd_store_end_event (f->store, f->event, "operator:test", drd_store_now (), &error));
  g_assert_no_error (error);

  drd_kepco_sim_config_init (&config);
  config.seed = 11;
  f->sim = drd_kepco_sim_new (&config);
  g_assert_true (drd_kepco_sim_listen (f->sim, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  drd_kepco_sim_add_event (f->sim, e->start_at, e->end_at);
  f->link = drd_settle_link_new (f->store, NULL, f->db_path, drd_kepco_sim_get_url (f->sim), &error);
  g_assert_no_error (error);

  f->window = drd_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1024, 600);
  drd_window_set_store (f->window, f->store);
  drd_window_set_settle_link (f->window, f->link);
  gtk_window_present (GTK_WINDOW (f->window));
  drd_test_spin (100);
  return f;
}

static void
fixture_free (void)
{
  Fixture *f = fixture;

  if (f == NULL)
    return;
  if (f->window != NULL)
    gtk_window_destroy (GTK_WINDOW (f->window));
  drd_test_spin (50);
  g_clear_object (&f->link);
  g_clear_object (&f->sim);
  g_clear_object (&f->store);
  drd_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->db_path);
  g_free (f);
}

/* ---- walking a table ---- */

static GtkWidget *
find_type (GtkWidget *root, GType type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_type (c, type);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
collect_cells (GtkWidget *w, GPtrArray *out)
{
  if (DRD_IS_CELL (w))
    g_ptr_array_add (out, w);
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    collect_cells (c, out);
}

/* Expected text of @property at @pos; NULL when the test does not know
 * that column (then only the item and the accessible label are checked). */
typedef char *(*ExpectFunc) (gpointer ctx, guint pos, const char *property);

typedef struct {
  GtkColumnView *view;
  ExpectFunc     expect;
  gpointer       ctx;
  guint          n_rows;      /* rows the list should have */
  char          *mismatch;    /* first one found, or NULL */
  guint          n_bad;
  guint          n_cells;
  guint          n_rows_seen;
} Check;

static void
run_check (Check *c)
{
  g_autoptr(GPtrArray) cells = g_ptr_array_new ();
  g_autoptr(GHashTable) rows = g_hash_table_new (NULL, NULL);
  GListModel *model = G_LIST_MODEL (gtk_column_view_get_model (c->view));

  g_clear_pointer (&c->mismatch, g_free);
  c->n_bad = c->n_cells = 0;
  if (g_list_model_get_n_items (model) != c->n_rows)
    {
      c->mismatch = g_strdup_printf ("the list has %u rows, not %u",
                                     g_list_model_get_n_items (model), c->n_rows);
      c->n_bad = 1;
      return;
    }
  collect_cells (GTK_WIDGET (c->view), cells);
  for (guint i = 0; i < cells->len; i++)
    {
      DrdCell *cell = g_ptr_array_index (cells, i);
      GtkListItem *li = drd_cell_get_list_item (cell);
      const char *prop = drd_cell_get_property_name (cell);
      const char *shown = drd_cell_get_text (cell) ? drd_cell_get_text (cell) : "";
      g_autofree char *held = NULL;
      g_autofree char *want = NULL;
      g_autofree char *a11y = NULL;
      GObject *item;
      guint pos;

      if (li == NULL || (item = gtk_list_item_get_item (li)) == NULL
          || !gtk_widget_get_realized (GTK_WIDGET (cell)))
        continue;
      pos = gtk_list_item_get_position (li);
      if (pos == GTK_INVALID_LIST_POSITION)
        continue;
      c->n_cells++;
      g_hash_table_add (rows, GUINT_TO_POINTER (pos + 1));
      g_object_get (item, prop, &held, NULL);
      want = pos < c->n_rows ? c->expect (c->ctx, pos, prop) : g_strdup ("(no such row)");
      /* what a screen reader reads: the column view's cell (the table
       * cell on AT-SPI) and the text inside it; without a label of its
       * own GTK 4.8 names the table cell "GtkColumnViewCell" */
      a11y = gtk_test_accessible_check_property (GTK_ACCESSIBLE (cell),
                                                 GTK_ACCESSIBLE_PROPERTY_LABEL, shown);
      if (a11y == NULL)
        a11y = gtk_test_accessible_check_property (GTK_ACCESSIBLE (gtk_widget_get_parent (GTK_WIDGET (cell))),
                                                   GTK_ACCESSIBLE_PROPERTY_LABEL, shown);
      if ((want != NULL && strcmp (shown, want) != 0) || g_strcmp0 (shown, held ? held : "") != 0
          || a11y != NULL)
        {
          g_autofree char *m = g_strdup_printf ("row %u, column %s: shows “%s”, expected “%s” "
                                                "(its item says “%s”)%s%s", pos, prop, shown,
                                                want ? want : "(any)", held ? held : "",
                                                a11y ? "; accessible label: " : "",
                                                a11y ? a11y : "");

              if (c->n_bad++ < 4)
            {
              char *all = g_strconcat (c->mismatch ? c->mismatch : "", c->mismatch ? "; " : "",
                                       m, NULL);
              g_free (c->mismatch);
              c->mismatch = all;
            }
        }
    }
  c->n_rows_seen = g_hash_table_size (rows);
}

static gboolean
check_passes (gpointer data)
{
  Check *c = data;

  run_check (c);
  return c->n_bad == 0;
}

static void
scroll_to (GtkColumnView *view, double fraction)
{
  GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));
  double top = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);

  gtk_adjustment_set_value (adj, MAX (0, top) * fraction);
}

static const char *
where_name (double fraction)
{
  return fraction == 0 ? "top" : fraction == 1 ? "end" : "middle";
}

/* Waits (a few seconds at most: rows come from worker threads) until
 * every realised cell is right, and fails naming the first wrong one. */
static void
assert_table (GtkColumnView *view, ExpectFunc expect, gpointer ctx, guint n_rows,
              const char *what)
{
  Check c = { view, expect, ctx, n_rows, NULL, 0, 0, 0 };
  gboolean ok;

  drd_test_spin (50);
  ok = drd_test_wait (check_passes, &c, 8000);
  if (!ok)
    g_test_message ("%s: %u wrong cells of %u", what, c.n_bad, c.n_cells);
  g_assert_cmpstr (c.mismatch, ==, NULL);
  /* not vacuous: a screenful of rows was there to check */
  if (n_rows >= 10)
    g_assert_cmpuint (c.n_rows_seen, >=, 10);
  else
    g_assert_cmpuint (c.n_rows_seen, ==, n_rows);
  g_test_message ("%s: %u cells of %u rows right", what, c.n_cells, c.n_rows_seen);
}

static void
assert_nothing_selected (GtkColumnView *view)
{
  g_autoptr(GtkBitset) sel = gtk_selection_model_get_selection (gtk_column_view_get_model (view));

  g_assert_true (gtk_bitset_is_empty (sel));
}

static void
assert_table_scrolled (GtkColumnView *view, ExpectFunc expect, gpointer ctx, guint n_rows,
                       const char *what)
{
  static const double where[] = { 0, 0.5, 1 };

  for (guint i = 0; i < G_N_ELEMENTS (where); i++)
    {
      g_autofree char *label = g_strdup_printf ("%s, %s", what, where_name (where[i]));

      scroll_to (view, where[i]);
      assert_table (view, expect, ctx, n_rows, label);
      assert_nothing_selected (view);
    }
}

/* DRD_SCREENSHOT_DIR set: the window as PNG, to look at like a user. */
static void
screenshot (Fixture *f, const char *name)
{
  const char *dir = g_getenv ("DRD_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) p = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) tex = NULL;
  g_autofree char *path = NULL;
  GtkSnapshot *snap;
  int w, h;

  if (dir == NULL)
    return;
  drd_test_spin (300);
  w = gtk_widget_get_width (GTK_WIDGET (f->window));
  h = gtk_widget_get_height (GTK_WIDGET (f->window));
  p = gtk_widget_paintable_new (GTK_WIDGET (f->window));
  snap = gtk_snapshot_new ();
  gdk_paintable_snapshot (p, snap, w, h);
  node = gtk_snapshot_free_to_node (snap);
  tex = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (f->window)), node,
                                     &GRAPHENE_RECT_INIT (0, 0, w, h));
  path = g_strdup_printf ("%s/%s-%s.png", dir, name,
                          g_getenv ("LANGUAGE") ? g_getenv ("LANGUAGE") : "en");
  g_assert_true (gdk_texture_save_to_png (tex, path));
}

/* ---- Settlement ---- */

typedef struct {
  GPtrArray *rows;      /* CsvRow of the current filter, by customer id */
} SettleTruth;

static GPtrArray *
read_csv (Fixture *f)
{
  g_autofree char *path = g_build_filename (f->dir, "settlement.csv", NULL);
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdCsvReader) reader = NULL;
  static const char *const cols[] = { "customer_id", "customer_name", "kepco_customer_no",
                                      "answer", "answered_at", "baseline_kwh", "actual_kwh",
                                      "reduction_kwh", "outcome", "points", NULL };
  int idx[G_N_ELEMENTS (cols)];
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) csv_row_free);
  guint64 n = 0;
  gsize len;

  g_assert_true (drd_settle_export_to_file (f->store, f->event, "Evening peak", path, FALSE,
                                            NULL, NULL, NULL, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, N_CUSTOMERS);
  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  reader = drd_csv_reader_new (data, len);
  g_assert_true (drd_csv_reader_read_header (reader, cols, cols, idx, &error));
  g_assert_no_error (error);
  while (drd_csv_reader_next (reader, &error))
    {
      CsvRow *r = g_new0 (CsvRow, 1);

      r->id = g_strdup (drd_csv_reader_get_column (reader, idx[0]));
      r->name = g_strdup (drd_csv_reader_get_column (reader, idx[1]));
      r->kepco_no = g_strdup (drd_csv_reader_get_column (reader, idx[2]));
      r->answer = g_strdup (drd_csv_reader_get_column (reader, idx[3]));
      r->answered_at = g_strdup (drd_csv_reader_get_column (reader, idx[4]));
      r->baseline = g_strdup (drd_csv_reader_get_column (reader, idx[5]));
      r->actual = g_strdup (drd_csv_reader_get_column (reader, idx[6]));
      r->reduction = g_strdup (drd_csv_reader_get_column (reader, idx[7]));
      r->outcome = g_strdup (drd_csv_reader_get_column (reader, idx[8]));
      r->points = g_strdup (drd_csv_reader_get_column (reader, idx[9]));
      g_ptr_array_add (rows, r);
    }
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, N_CUSTOMERS);
  return rows;
}

static char *
kwh_cell (const char *csv)
{
  return *csv == '\0' ? g_strdup ("—") : grouped (csv);
}

static char *
expect_settle (gpointer ctx, guint pos, const char *property)
{
  SettleTruth *t = ctx;
  CsvRow *r = g_ptr_array_index (t->rows, pos);
  DrdAnswer answer = DRD_ANSWER_NONE;
  DrdOutcome outcome = DRD_OUTCOME_PENDING;

  if (strcmp (property, "customer") == 0)
    return g_strdup_printf ("%s (%s)", r->name, r->id);
  if (strcmp (property, "answer") == 0)
    {
      g_assert_true (drd_answer_from_string (r->answer, &answer));
      return g_strdup (drd_gui_answer_label (answer));
    }
  if (strcmp (property, "baseline") == 0)
    return kwh_cell (r->baseline);
  if (strcmp (property, "actual") == 0)
    return kwh_cell (r->actual);
  if (strcmp (property, "reduction") == 0)
    return kwh_cell (r->reduction);
  if (strcmp (property, "outcome") == 0)
    {
      g_assert_true (drd_outcome_from_string (r->outcome, &outcome));
      return g_strdup (drd_gui_outcome_label (outcome));
    }
  if (strcmp (property, "points") == 0)
    return grouped (r->points);
  return NULL;
}

static gboolean
view_settled (gpointer data)
{
  DrdSettlementView *view = data;

  return drd_settlement_view_get_fraction (view) >= 1.0
         && g_list_model_get_n_items (G_LIST_MODEL (drd_settlement_view_get_model (view)))
            == N_CUSTOMERS;
}

static void
test_settlement_table (void)
{
  static const DrdOutcome filters[] = {
    DRD_OUTCOME_PENDING, DRD_OUTCOME_PERFORMED, DRD_OUTCOME_NOT_PERFORMED,
    DRD_OUTCOME_NOT_PARTICIPATING, DRD_OUTCOME_NEEDS_REVIEW,
  };
  Fixture *f;
  DrdSettlementView *view;
  GtkColumnView *cv;
  g_autoptr(GPtrArray) csv = NULL;
  gboolean big_number = FALSE;

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  f = get_fixture ();
  drd_window_set_view (f->window, "settlement");
  drd_window_select_event (f->window, f->event);
  view = drd_window_get_settlement_view (f->window);
  cv = GTK_COLUMN_VIEW (find_type (GTK_WIDGET (view), GTK_TYPE_COLUMN_VIEW));
  g_assert_nonnull (cv);
  /* the settler runs in-process while the table is shown: the model is
   * refreshed live as rows come in */
  drd_settle_link_start (f->link);
  g_assert_true (drd_test_wait (view_settled, view, 180000));
  csv = read_csv (f);
  for (guint i = 0; i < csv->len; i++)
    {
      CsvRow *r = g_ptr_array_index (csv, i);
      big_number |= strlen (r->baseline) > 7;   /* ≥ 1000.000 kWh */
    }
  g_assert_true (big_number);

  for (guint k = 0; k < G_N_ELEMENTS (filters); k++)
    {
      g_autoptr(GPtrArray) rows = g_ptr_array_new ();
      SettleTruth truth = { rows };
      g_autofree char *what = g_strdup_printf ("settlement, filter %s",
                                               filters[k] == DRD_OUTCOME_PENDING
                                               ? "all" : drd_outcome_to_string (filters[k]));

      for (guint i = 0; i < csv->len; i++)
        {
          CsvRow *r = g_ptr_array_index (csv, i);
          DrdOutcome o;

          g_assert_true (drd_outcome_from_string (r->outcome, &o));
          if (filters[k] == DRD_OUTCOME_PENDING || o == filters[k])
            g_ptr_array_add (rows, r);
        }
      drd_settlement_view_set_outcome_filter (view, filters[k]);
      assert_table_scrolled (cv, expect_settle, &truth, rows->len, what);
      if (filters[k] == DRD_OUTCOME_PERFORMED)
        {
          scroll_to (cv, 0.5);
          assert_table (cv, expect_settle, &truth, rows->len, what);
          screenshot (f, "table-settlement-performed-middle");
        }
    }

  /* a live refresh with nothing new keeps every cell right */
  {
    SettleTruth truth = { csv };

    drd_settlement_view_set_outcome_filter (view, DRD_OUTCOME_PENDING);
    scroll_to (cv, 0.5);
    assert_table (cv, expect_settle, &truth, csv->len, "settlement before refresh");
    drd_settle_model_refresh (drd_settlement_view_get_model (view));
    drd_test_spin (300);
    assert_table (cv, expect_settle, &truth, csv->len, "settlement after a live refresh");
    assert_nothing_selected (cv);
  }
}

/* Rows settled after the id list was read: a page is read by the ids it
 * shows, not "the next 64 rows after the first id", or rows settled in
 * between push the page's last rows out and leave them placeholders. */
static void
commit_settled (Fixture *f, gint64 event, gint64 first, gint64 last, gint64 step)
{
  g_autoptr(DrdSettleBatch) batch = drd_settle_batch_new (drd_store_now ());
  g_autoptr(GError) error = NULL;

  for (gint64 id = first; id <= last; id += step)
    {
      DrdSettleResult r = { 0 };

      r.event_id = event;
      r.customer_id = id;
      r.answer = DRD_ANSWER_NONE;
      r.baseline_known = r.actual_known = TRUE;
      r.baseline_wh = 1000000 + id;
      r.actual_wh = 1000000 + id;
      r.outcome = DRD_OUTCOME_NOT_PARTICIPATING;
      g_array_append_val (batch->results, r);
    }
  g_assert_true (drd_store_settle_commit (f->store, batch, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (batch->n_settled, ==, (last - first) / step + 1);
}

static void
on_settle_loaded (DrdSettleModel *model, guint *n)
{
  (*n)++;
}

static gboolean
uint_at_least (gpointer data)
{
  guint *n = data;
  return n[0] >= n[1];
}

static gboolean
paged_idle (gpointer data)
{
  return drd_paged_model_get_n_pending (DRD_PAGED_MODEL (data)) == 0;
}

static void
test_settle_pages_by_id (void)
{
  Fixture *f;
  g_autoptr(DrdSettleModel) model = NULL;
  g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdEvent) e = drd_event_new ();
  guint loads[2] = { 0, 1 };
  gint64 event = 0, n = 0;

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  f = get_fixture ();
  e->name = g_strdup ("Pages");
  e->target_w = 1000000;
  e->kind = DRD_EVENT_KIND_RELIABILITY;
  g_assert_true (drd_time_parse_iso8601 ("2026-10-15T14:00:00+09:00", &e->start_at, &error));
  g_assert_true (drd_time_parse_iso8601 ("2026-10-15T15:00:00+09:00", &e->end_at, &error));
  drd_store_start_event (f->store, e, "operator:test", drd_store_now (), &event, &n, &error);
  g_assert_no_error (error);

  /* even customers settled, the list read */
  commit_settled (f, event, 2, 200, 2);
  model = drd_settle_model_new (f->store);
  g_signal_connect (model, "loaded", G_CALLBACK (on_settle_loaded), &loads[0]);
  drd_settle_model_set_event (model, event, DRD_OUTCOME_PENDING);
  g_assert_true (drd_test_wait (uint_at_least, loads, 5000));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 100);

  /* the odd ones settle before the first page is asked for */
  commit_settled (f, event, 1, 199, 2);
  for (guint i = 0; i < DRD_PAGED_MODEL_PAGE_SIZE; i++)
    g_ptr_array_add (held, g_list_model_get_item (G_LIST_MODEL (model), i));
  g_assert_true (drd_test_wait (paged_idle, model, 5000));
  for (guint i = 0; i < held->len; i++)
    {
      DrdSettleItem *item = g_ptr_array_index (held, i);

      g_assert_cmpint (drd_settle_item_get_customer_id (item), ==, 2 * (i + 1));
      g_assert_true (drd_settle_item_get_loaded (item));
      g_assert_cmpint (drd_settle_item_get_row (item)->customer_id, ==, 2 * (i + 1));
    }

  /* a live refresh takes the odd ones in; every held row stays filled */
  loads[1] = loads[0] + 1;
  drd_settle_model_refresh (model);
  g_assert_true (drd_test_wait (uint_at_least, loads, 5000));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 200);
  g_assert_true (drd_test_wait (paged_idle, model, 5000));
  for (guint i = 0; i < held->len; i++)
    {
      DrdSettleItem *item = g_ptr_array_index (held, i);
      gint64 id = drd_settle_item_get_customer_id (item);

      g_assert_true (drd_settle_item_get_loaded (item));
      g_assert_cmpint (drd_settle_item_get_row (item)->customer_id, ==, id);
      g_assert_cmpint (drd_settle_item_get_row (item)->baseline_wh, ==, 1000000 + id);
    }
  g_signal_handlers_disconnect_by_data (model, &loads[0]);
}

/* ---- Responses ---- */

typedef struct {
  Fixture   *f;
  gint64     event;
  GPtrArray *rows;   /* DrdResponseRow of the current filter */
} ResponseTruth;

static void
response_truth_load (ResponseTruth *t, int answer_filter)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdResponseRefresh) r = drd_store_gui_responses (t->f->store, t->event, answer_filter,
                                                             -1, NULL, &error);

  g_assert_no_error (error);
  g_clear_pointer (&t->rows, g_ptr_array_unref);
  t->rows = drd_store_gui_response_rows (t->f->store, t->event,
                                         &g_array_index (r->ids, gint64, 0), r->ids->len, &error);
  g_assert_no_error (error);
  for (guint i = 1; i < t->rows->len; i++)
    g_assert_cmpint (((DrdResponseRow *) t->rows->pdata[i - 1])->customer_id, <,
                     ((DrdResponseRow *) t->rows->pdata[i])->customer_id);
}

static char *
expect_response (gpointer ctx, guint pos, const char *property)
{
  ResponseTruth *t = ctx;
  const DrdResponseRow *r = g_ptr_array_index (t->rows, pos);

  if (strcmp (property, "customer-id-text") == 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT, r->customer_id);
  if (strcmp (property, "name") == 0)
    return g_strdup (r->name);
  if (strcmp (property, "kepco-no") == 0)
    return g_strdup (r->kepco_no);
  if (strcmp (property, "answer") == 0)
    return g_strdup (drd_gui_answer_label (r->answer));
  if (strcmp (property, "answered-at") == 0)
    return r->answered_at > 0 ? drd_gui_format_time (r->answered_at) : g_strdup ("—");
  if (strcmp (property, "channel") == 0)
    return g_strdup (drd_gui_channel_label (r->channel));
  if (strcmp (property, "outcome") == 0)
    return g_strdup (r->outcome > 0 ? drd_gui_outcome_label (r->outcome) : "—");
  if (strcmp (property, "reduction") == 0)
    {
      g_autofree char *n = NULL;

      if (!r->has_reduction)
        return g_strdup ("—");
      n = grouped_kwh (r->reduction_wh);
      return g_strdup_printf ("%s kWh", n);
    }
  if (strcmp (property, "points") == 0)
    return r->outcome > 0 ? grouped_int (r->points) : g_strdup ("—");
  if (strcmp (property, "registered") == 0 || strcmp (property, "registered-kw") == 0)
    return grouped_kw (r->registered_w);
  return NULL;
}

static gboolean
n_items_is (gpointer data)
{
  GListModel *model = data;
  guint want = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (model), "want"));

  return g_list_model_get_n_items (model) == want;
}

static void
wait_n_items (gpointer model, guint n)
{
  g_object_set_data (G_OBJECT (model), "want", GUINT_TO_POINTER (n));
  g_assert_true (drd_test_wait (n_items_is, model, 10000));
}

static void
test_responses_table (void)
{
  static const int filters[] = { -1, DRD_ANSWER_ACCEPT, DRD_ANSWER_DENY, DRD_ANSWER_NONE };
  Fixture *f;
  DrdResponsesView *view;
  DrdResponseModel *model;
  GtkColumnView *cv;
  ResponseTruth truth = { NULL };
  g_autoptr(GError) error = NULL;

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  f = get_fixture ();
  truth.f = f;
  view = drd_window_get_responses_view (f->window);
  model = drd_responses_view_get_model (view);
  cv = GTK_COLUMN_VIEW (find_type (GTK_WIDGET (view), GTK_TYPE_COLUMN_VIEW));
  g_assert_nonnull (cv);
  drd_window_set_view (f->window, "responses");

  /* the settled event: answers, outcomes, reductions and points */
  drd_window_select_event (f->window, f->event);
  truth.event = f->event;
  for (guint k = 0; k < G_N_ELEMENTS (filters); k++)
    {
      g_autofree char *what = g_strdup_printf ("responses, answer filter %d", filters[k]);

      response_truth_load (&truth, filters[k]);
      drd_response_model_set_event (model, f->event, filters[k]);
      wait_n_items (model, truth.rows->len);
      assert_table_scrolled (cv, expect_response, &truth, truth.rows->len, what);
      if (filters[k] == -1)
        screenshot (f, "table-responses-end");
    }
  drd_response_model_set_event (model, f->event, -1);

  /* a running event: answers come in while the table is shown */
  if (f->live_event == 0)
    f->live_event = drd_test_start_event (f->store, "Live");
  drd_window_select_event (f->window, f->live_event);
  truth.event = f->live_event;
  response_truth_load (&truth, -1);
  wait_n_items (model, truth.rows->len);
  scroll_to (cv, 0.5);
  assert_table (cv, expect_response, &truth, truth.rows->len, "responses, live, before");
  for (gint64 i = 1; i <= N_CUSTOMERS; i += 2)
    {
      g_assert_true (drd_store_record_answer (f->store, f->live_event, i,
                                              i % 4 == 1 ? DRD_ANSWER_ACCEPT : DRD_ANSWER_DENY,
                                              DRD_CHANNEL_OPERATOR, "operator:test",
                                              drd_store_now (), NULL, &error));
      g_assert_no_error (error);
    }
  response_truth_load (&truth, -1);
  drd_responses_view_refresh (view);
  assert_table_scrolled (cv, expect_response, &truth, truth.rows->len, "responses, live, after");
  /* the answers as a filter, then a second round of answers under it */
  response_truth_load (&truth, DRD_ANSWER_DENY);
  drd_response_model_set_event (model, f->live_event, DRD_ANSWER_DENY);
  wait_n_items (model, truth.rows->len);
  scroll_to (cv, 0.5);
  assert_table (cv, expect_response, &truth, truth.rows->len, "responses, live, declined");
  for (gint64 i = 3; i <= N_CUSTOMERS; i += 8)
    {
      g_assert_true (drd_store_record_answer (f->store, f->live_event, i, DRD_ANSWER_ACCEPT,
                                              DRD_CHANNEL_OPERATOR, "operator:test",
                                              drd_store_now (), NULL, &error));
      g_assert_no_error (error);
    }
  response_truth_load (&truth, DRD_ANSWER_DENY);
  drd_responses_view_refresh (view);
  wait_n_items (model, truth.rows->len);
  assert_table_scrolled (cv, expect_response, &truth, truth.rows->len,
                         "responses, live, declined after a change");
  drd_response_model_set_event (model, f->live_event, -1);
  g_clear_pointer (&truth.rows, g_ptr_array_unref);
}

/* ---- Customers ---- */

typedef struct {
  Fixture   *f;
  GPtrArray *rows;   /* DrdGridRow, the grid's default order (id) */
} CustomerTruth;

static void
customer_truth_load (CustomerTruth *t)
{
  DrdGridQuery q = { NULL, 0, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_ID, FALSE };
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = drd_store_gui_grid_ids (t->f->store, &q, NULL, &error);

  g_assert_no_error (error);
  g_clear_pointer (&t->rows, g_ptr_array_unref);
  t->rows = drd_store_gui_grid_rows (t->f->store, &g_array_index (ids, gint64, 0), ids->len,
                                     &error);
  g_assert_no_error (error);
}

static char *
expect_customer (gpointer ctx, guint pos, const char *property)
{
  CustomerTruth *t = ctx;
  const DrdGridRow *r = g_ptr_array_index (t->rows, pos);

  if (strcmp (property, "id-text") == 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT, r->id);
  if (strcmp (property, "name") == 0)
    return g_strdup (r->name);
  if (strcmp (property, "kepco-no") == 0)
    return g_strdup (r->kepco_no);
  if (strcmp (property, "resource") == 0)
    return g_strdup (r->resource);
  if (strcmp (property, "registered") == 0)
    return grouped_kw (r->registered_w);
  if (strcmp (property, "cbl") == 0)
    return g_strdup (drd_gui_cbl_label (r->cbl_method));
  if (strcmp (property, "points") == 0)
    return grouped_int (r->points_balance);
  if (strcmp (property, "last-answer") == 0)
    return g_strdup (r->last_answer < 0 ? "—" : drd_gui_answer_label (r->last_answer));
  return NULL;
}

static void
test_customers_table (void)
{
  Fixture *f;
  DrdCustomersView *view;
  GtkColumnView *cv;
  CustomerTruth truth = { NULL };
  g_autoptr(GPtrArray) customers = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_customer_free);
  g_autoptr(DrdStoreImportResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  f = get_fixture ();
  truth.f = f;
  view = drd_window_get_customers_view (f->window);
  cv = drd_customers_view_get_column_view (view);
  drd_window_set_view (f->window, "customers");
  customer_truth_load (&truth);
  wait_n_items (drd_customers_view_get_model (view), truth.rows->len);
  assert_table_scrolled (cv, expect_customer, &truth, truth.rows->len, "customers");

  /* another process renames customers and changes their capacity */
  for (guint i = 280; i <= 330; i++)
    {
      DrdCustomer *c = drd_customer_new ();

      c->id = i;
      c->name = g_strdup_printf ("Renamed %05u", i);
      c->kepco_no = g_strdup_printf ("10%08u", i);
      c->resource = g_strdup_printf ("r%u", i % 3);
      c->registered_w = 2000000 + (gint64) i * 100;
      g_ptr_array_add (customers, c);
    }
  result = drd_store_import_customers (f->store, customers, "test", drd_store_now () + 1, &error);
  g_assert_no_error (error);
  customer_truth_load (&truth);
  scroll_to (cv, 0.5);
  drd_customers_view_refresh (view);
  assert_table (cv, expect_customer, &truth, truth.rows->len, "customers after a live change");
  screenshot (f, "table-customers-middle");
  assert_table_scrolled (cv, expect_customer, &truth, truth.rows->len, "customers, live");
  g_clear_pointer (&truth.rows, g_ptr_array_unref);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("DRD_SCREENSHOT_DIR") != NULL)
    {
      /* translated like the application */
      setlocale (LC_ALL, "");
      drd_gui_init ();
      textdomain (GETTEXT_PACKAGE);
    }
  g_test_add_func ("/tables/grouping-helpers", test_grouping_helpers);
  g_test_add_func ("/tables/settlement", test_settlement_table);
  g_test_add_func ("/tables/settle-pages-by-id", test_settle_pages_by_id);
  g_test_add_func ("/tables/responses", test_responses_table);
  g_test_add_func ("/tables/customers", test_customers_table);
  ret = g_test_run ();
  fixture_free ();
  return ret;
}
