/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Settlement in the window: the load chart's axis and gap maths and a
 * drawing smoke test; the Settlement view following a real settlement
 * against the KEPCO simulator (in-process, 127.0.0.1) on a temp database;
 * Export Settlement… writing the same bytes as `drdeskctl export
 * settlement`. */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "core/drd-time.h"
#include "gui/drd-application.h"
#include "gui/drd-export-settlement.h"
#include "gui/drd-load-chart.h"
#include "gui/drd-window.h"
#include "kepco/drd-kepco-sim.h"
#include "service/drd-config.h"
#include "store/drd-store-settle.h"

#include "drd-gui-test-util.h"

#define N_CUSTOMERS 30

/* ---- chart maths ---- */

static void
test_chart_scale (void)
{
  DrdChartScale s;

  drd_chart_nice_scale (0, 5, &s);
  g_assert_cmpfloat (s.max, ==, 1);
  g_assert_cmpuint (s.n_ticks, >=, 2);

  drd_chart_nice_scale (7.3, 5, &s);
  g_assert_cmpfloat (s.step, ==, 2);
  g_assert_cmpfloat (s.max, ==, 8);
  g_assert_cmpuint (s.n_ticks, ==, 5);

  drd_chart_nice_scale (100, 5, &s);
  g_assert_cmpfloat (s.step, ==, 20);
  g_assert_cmpfloat (s.max, ==, 100);
  g_assert_cmpuint (s.n_ticks, ==, 6);

  drd_chart_nice_scale (101, 5, &s);
  g_assert_cmpfloat (s.step, ==, 50);
  g_assert_cmpfloat (s.max, ==, 150);
  g_assert_cmpuint (s.n_ticks, ==, 4);

  drd_chart_nice_scale (0.42, 4, &s);
  g_assert_cmpfloat_with_epsilon (s.step, 0.2, 1e-12);
  g_assert_cmpfloat_with_epsilon (s.max, 0.6, 1e-12);

  /* the axis always covers the data with at most max_ticks intervals */
  for (double v = 0.013; v < 1e7; v *= 1.37)
    {
      drd_chart_nice_scale (v, 5, &s);
      g_assert_cmpfloat (s.max, >=, v * (1 - 1e-9));
      g_assert_cmpuint (s.n_ticks - 1, <=, 5);
    }

  /* 250 Wh in 15 minutes is an average of 1 kW */
  g_assert_cmpfloat (drd_chart_wh_to_kw (250), ==, 1.0);
  g_assert_cmpfloat (drd_chart_wh_to_kw (0), ==, 0.0);
}

static void
test_chart_gaps_hours (void)
{
  const gint64 v[] = { -1, 10, 20, -1, -1, 30, -1, 40, 50 };
  const gint64 none[] = { -1, -1 };
  guint starts[4], lengths[4];
  gint64 midnight = drd_date_start (drd_date_from_ymd (2026, 10, 14));

  g_assert_cmpuint (drd_chart_runs (v, G_N_ELEMENTS (v), starts, lengths, 4), ==, 3);
  g_assert_cmpuint (starts[0], ==, 1);
  g_assert_cmpuint (lengths[0], ==, 2);
  g_assert_cmpuint (starts[1], ==, 5);
  g_assert_cmpuint (lengths[1], ==, 1);
  g_assert_cmpuint (starts[2], ==, 7);
  g_assert_cmpuint (lengths[2], ==, 2);
  g_assert_cmpuint (drd_chart_runs (none, 2, NULL, NULL, 0), ==, 0);
  g_assert_cmpuint (drd_chart_runs (v, G_N_ELEMENTS (v), NULL, NULL, 0), ==, 3);

  /* Seoul hours, whatever TZ says (tests run in America/New_York) */
  g_assert_cmpint (drd_chart_slot_hour (midnight, 0), ==, 0);
  g_assert_cmpint (drd_chart_slot_hour (midnight, 3), ==, 0);
  g_assert_cmpint (drd_chart_slot_hour (midnight, 4), ==, 1);
  g_assert_cmpint (drd_chart_slot_hour (midnight, 56), ==, 14);
  g_assert_cmpint (drd_chart_slot_hour (midnight, 95), ==, 23);
  g_assert_cmpint (drd_chart_slot_hour (midnight, 96), ==, 0);
}

static gboolean
chart_drawn (gpointer data)
{
  return drd_load_chart_get_n_segments_drawn (data) > 0;
}

static void
test_chart_draw (void)
{
  GtkWidget *window;
  DrdLoadChart *chart;
  DrdSettleChart *c;
  DrdChartScale scale;
  g_autoptr(GdkPaintable) paintable = NULL;

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  c = g_new0 (DrdSettleChart, 1);
  c->n_slots = 96;
  c->first_slot_start = drd_date_start (drd_date_from_ymd (2026, 10, 14));
  c->event_start = c->first_slot_start + 14 * 3600;
  c->event_end = c->first_slot_start + 16 * 3600;
  c->actual_wh = g_new (gint64, 96);
  c->cbl_wh = g_new (gint64, 96);
  c->cbl_ok = TRUE;
  c->explanation = g_strdup ("test");
  for (guint i = 0; i < 96; i++)
    {
      c->actual_wh[i] = (i >= 40 && i < 44) ? -1 : (gint64) (1000 + 10 * i);  /* one gap */
      c->cbl_wh[i] = 2000;
    }
  window = gtk_window_new ();
  chart = DRD_LOAD_CHART (drd_load_chart_new ());
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (chart));
  gtk_window_set_default_size (GTK_WINDOW (window), 700, 300);
  drd_load_chart_set_chart (chart, c, "고객 00001: load on the event day");
  drd_load_chart_get_scale (chart, &scale);
  /* max 2000 Wh / 15 min = 8 kW */
  g_assert_cmpfloat (scale.max, ==, 8);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (drd_test_wait (chart_drawn, chart, 5000));
  /* the actual line is broken in two by the gap, the CBL is one line */
  g_assert_cmpuint (drd_load_chart_get_n_segments_drawn (chart), ==, 3);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* ---- settlement against the simulator ---- */

typedef struct {
  char          *dir;
  char          *db_path;
  DrdStore      *store;
  DrdKepcoSim   *sim;
  DrdSettleLink *link;
  gint64         event;
} Fixture;

static Fixture *fixture;

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
  f->db_path = g_build_filename (f->dir, "drdesk.db", NULL);
  g_assert_true (drd_config_save_service_key (f->db_path, "test-key", &error));
  g_assert_no_error (error);

  e = drd_event_new ();
  e->name = g_strdup ("Evening peak");
  e->kind = DRD_EVENT_KIND_RELIABILITY;
  g_assert_true (drd_time_parse_iso8601 ("2026-10-14T14:00:00+09:00", &e->start_at, &error));
  g_assert_true (drd_time_parse_iso8601 ("2026-10-14T16:00:00+09:00", &e->end_at, &error));
  e->target_w = 1500000;
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
  config.seed = 7;
  f->sim = drd_kepco_sim_new (&config);
  g_assert_true (drd_kepco_sim_listen (f->sim, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  drd_kepco_sim_add_event (f->sim, e->start_at, e->end_at);
  f->link = drd_settle_link_new (f->store, NULL, f->db_path, drd_kepco_sim_get_url (f->sim), &error);
  g_assert_no_error (error);
  g_assert_null (drd_settle_link_get_warning (f->link));
  return f;
}

static gboolean
view_settled (gpointer data)
{
  DrdSettlementView *view = data;

  return drd_settlement_view_get_fraction (view) >= 1.0
         && g_list_model_get_n_items (G_LIST_MODEL (drd_settlement_view_get_model (view))) == N_CUSTOMERS
         && (g_getenv ("DRD_SCREENSHOT") != NULL
             || strstr (drd_settlement_view_get_summary_text (view), "points") != NULL);
}

static gboolean
chart_loaded (gpointer data)
{
  return drd_load_chart_get_chart (data) != NULL;
}

static gboolean
first_row_loaded (gpointer data)
{
  g_autoptr(DrdSettleItem) item = g_list_model_get_item (data, 0);

  return item != NULL && drd_settle_item_get_loaded (item);
}

static gboolean
n_items_is (gpointer data)
{
  GListModel *model = data;
  guint want = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (model), "want"));

  return g_list_model_get_n_items (model) == want;
}

static void
test_view_settles (void)
{
  Fixture *f;
  DrdWindow *window;
  DrdSettlementView *view;
  DrdSettleModel *model;
  DrdEventSummary summary;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdSettleItem) item = NULL;
  DrdLoadChart *chart;
  guint n_performed;

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  f = get_fixture ();
  window = drd_window_new (NULL);
  drd_window_set_store (window, f->store);
  drd_window_set_settle_link (window, f->link);
  drd_settle_link_start (f->link);
  drd_window_set_view (window, "settlement");
  gtk_window_present (GTK_WINDOW (window));
  drd_test_spin (100);
  drd_window_select_event (window, f->event);
  view = drd_window_get_settlement_view (window);
  model = drd_settlement_view_get_model (view);

  /* the settler runs in-process; the view follows it */
  g_assert_true (drd_test_wait (view_settled, view, 20000));
  if (g_getenv ("DRD_SCREENSHOT") == NULL)   /* English texts */
    {
      g_assert_nonnull (strstr (drd_settlement_view_get_progress_text (view), "30 of 30"));
      g_assert_nonnull (strstr (drd_settlement_view_get_link_text (view), "KEPCO: connected"));
    }
  /* the overview's KEPCO indicator is filled in, in words an operator uses */
  g_assert_cmpstr (drd_overview_get_kepco_text (drd_window_get_overview (window)), !=, "");
  if (g_getenv ("DRD_SCREENSHOT") == NULL)
    g_assert_true (g_str_has_prefix (drd_overview_get_kepco_text (drd_window_get_overview (window)),
                                     "KEPCO: connected"));

  /* rows come in pages; the first one is filled */
  g_assert_true (drd_test_wait (first_row_loaded, model, 5000));
  item = g_list_model_get_item (G_LIST_MODEL (model), 0);
  g_assert_cmpint (drd_settle_item_get_row (item)->customer_id, ==, 1);
  g_assert_cmpint (drd_settle_item_get_row (item)->outcome, !=, DRD_OUTCOME_PENDING);

  /* the filter shows exactly the store's count of that outcome */
  g_assert_true (drd_store_settle_get_summary (f->store, f->event, &summary, &error));
  g_assert_no_error (error);
  n_performed = summary.n_by_outcome[DRD_OUTCOME_NOT_PARTICIPATING];
  g_assert_cmpuint (n_performed, >, 0);
  g_object_set_data (G_OBJECT (model), "want", GUINT_TO_POINTER (n_performed));
  drd_settlement_view_set_outcome_filter (view, DRD_OUTCOME_NOT_PARTICIPATING);
  g_assert_true (drd_test_wait (n_items_is, model, 5000));
  drd_settlement_view_set_outcome_filter (view, DRD_OUTCOME_PENDING);
  g_object_set_data (G_OBJECT (model), "want", GUINT_TO_POINTER (N_CUSTOMERS));
  g_assert_true (drd_test_wait (n_items_is, model, 5000));

  /* selecting a row shows the customer's load against the CBL */
  chart = drd_settlement_view_get_chart (view);
  drd_settlement_view_select (view, 0);
  g_assert_true (drd_test_wait (chart_loaded, chart, 5000));
  g_assert_cmpint (drd_load_chart_get_chart (chart)->customer_id, ==, 1);
  g_assert_cmpuint (drd_load_chart_get_chart (chart)->n_slots, >=, 96);
  g_assert_true (drd_test_wait (chart_drawn, chart, 5000));

  /* a response row selected: the same chart under the responses table */
  {
    DrdLoadChart *rchart = drd_window_get_responses_chart (window);

    g_assert_false (gtk_widget_get_visible (GTK_WIDGET (rchart)));
    g_signal_emit_by_name (drd_window_get_responses_view (window), "customer-selected",
                           (gint64) 2);
    g_assert_true (gtk_widget_get_visible (GTK_WIDGET (rchart)));
    g_assert_true (drd_test_wait (chart_loaded, rchart, 5000));
    g_assert_cmpint (drd_load_chart_get_chart (rchart)->customer_id, ==, 2);
    g_signal_emit_by_name (drd_window_get_responses_view (window), "customer-selected",
                           (gint64) 0);
    g_assert_false (gtk_widget_get_visible (GTK_WIDGET (rchart)));
  }

  if (g_getenv ("DRD_SCREENSHOT") != NULL)
    {
      /* tests/ui/screenshots.sh: write the window as PNG */
      g_autoptr(GdkPaintable) p = gtk_widget_paintable_new (GTK_WIDGET (window));
      GtkSnapshot *snap = gtk_snapshot_new ();
      g_autoptr(GskRenderNode) node = NULL;
      g_autoptr(GdkTexture) tex = NULL;
      GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (window));
      int w = gtk_widget_get_width (GTK_WIDGET (window));
      int h = gtk_widget_get_height (GTK_WIDGET (window));

      drd_test_spin (300);
      gdk_paintable_snapshot (p, snap, w, h);
      node = gtk_snapshot_free_to_node (snap);
      tex = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
      g_assert_true (gdk_texture_save_to_png (tex, g_getenv ("DRD_SCREENSHOT")));
    }
  gtk_window_destroy (GTK_WINDOW (window));
}

/* ---- export ---- */

static void
on_exported (GObject *source, GAsyncResult *result, gpointer data)
{
  guint64 *n = data;
  g_autoptr(GError) error = NULL;

  g_assert_true (drd_gui_export_settlement_finish (result, n, &error));
  g_assert_no_error (error);
}

static gboolean
nonzero (gpointer data)
{
  return *(guint64 *) data != 0;
}

static void
on_export_failed (GObject *source, GAsyncResult *result, gpointer data)
{
  GError **err = data;

  g_assert_false (drd_gui_export_settlement_finish (result, NULL, err));
  g_assert_nonnull (*err);
}

static gboolean
have_error (gpointer data)
{
  return *(GError **) data != NULL;
}

static void
test_export_same_bytes (void)
{
  Fixture *f;
  g_autoptr(GError) error = NULL;
  g_autofree char *gui_path = NULL;
  g_autofree char *cli_path = NULL;
  g_autofree char *gui_bytes = NULL;
  g_autofree char *cli_bytes = NULL;
  g_autofree char *ctl = NULL;
  g_autoptr(GFile) file = NULL;
  gsize gui_len, cli_len;
  guint64 n = 0;
  int status;

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  f = get_fixture ();
  if (g_getenv ("DRD_BUILD_DIR") == NULL)
    {
      g_test_skip ("DRD_BUILD_DIR not set");
      return;
    }
  for (int bom = 0; bom <= 1; bom++)
    {
      g_autofree char *event_text = g_strdup_printf ("%" G_GINT64_FORMAT, f->event);
      const char *argv[] = { NULL, "--db", f->db_path, "export", "settlement", event_text,
                             "--output", NULL, bom ? "--bom" : NULL, NULL };

      g_clear_pointer (&gui_path, g_free);
      g_clear_pointer (&cli_path, g_free);
      g_clear_pointer (&gui_bytes, g_free);
      g_clear_pointer (&cli_bytes, g_free);
      g_clear_pointer (&ctl, g_free);
      g_clear_object (&file);
      gui_path = g_build_filename (f->dir, bom ? "gui-bom.csv" : "gui.csv", NULL);
      cli_path = g_build_filename (f->dir, bom ? "cli-bom.csv" : "cli.csv", NULL);
      file = g_file_new_for_path (gui_path);
      n = 0;
      drd_gui_export_settlement_async (f->store, f->event, "Evening peak", file, bom, NULL, NULL,
                                       NULL, on_exported, &n);
      g_assert_true (drd_test_wait (nonzero, &n, 10000));
      g_assert_cmpuint (n, ==, N_CUSTOMERS);

      ctl = g_build_filename (g_getenv ("DRD_BUILD_DIR"), "src", "drdeskctl", NULL);
      argv[0] = ctl;
      argv[7] = cli_path;
      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL
                                   | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                                   &status, &error));
      g_assert_no_error (error);
      g_assert_true (g_spawn_check_wait_status (status, &error));
      g_assert_no_error (error);

      g_assert_true (g_file_get_contents (gui_path, &gui_bytes, &gui_len, &error));
      g_assert_true (g_file_get_contents (cli_path, &cli_bytes, &cli_len, &error));
      g_assert_cmpmem (gui_bytes, gui_len, cli_bytes, cli_len);
      g_assert_true (g_str_has_prefix (gui_bytes + (bom ? 3 : 0), "event_id,event_name,"));
      g_assert_cmpint (bom ? memcmp (gui_bytes, "\xEF\xBB\xBF", 3) : 0, ==, 0);
    }

  /* a failed export reports why and leaves nothing behind */
  {
    g_autoptr(GFile) bad = g_file_new_for_path ("/nonexistent-dir/x.csv");
    GError *err = NULL;

    drd_gui_export_settlement_async (f->store, f->event, "Evening peak", bad, FALSE, NULL, NULL,
                                     NULL, on_export_failed, &err);
    g_assert_true (drd_test_wait (have_error, &err, 10000));
    g_assert_nonnull (strstr (err->message, "/nonexistent-dir/x.csv"));
    g_error_free (err);
  }
}

static void
fixture_free (void)
{
  Fixture *f = fixture;

  if (f == NULL)
    return;
  g_clear_object (&f->link);
  g_clear_object (&f->sim);
  g_clear_object (&f->store);
  drd_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->db_path);
  g_free (f);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  /* screenshots: translated like the application (builder files too) */
  if (g_getenv ("DRD_SCREENSHOT") != NULL)
    {
      setlocale (LC_ALL, "");
      drd_gui_init ();
      textdomain (GETTEXT_PACKAGE);
    }
  g_test_add_func ("/settlement/chart/scale", test_chart_scale);
  g_test_add_func ("/settlement/chart/gaps-hours", test_chart_gaps_hours);
  g_test_add_func ("/settlement/chart/draw", test_chart_draw);
  g_test_add_func ("/settlement/view/settles", test_view_settles);
  g_test_add_func ("/settlement/export/same-bytes", test_export_same_bytes);
  ret = g_test_run ();
  fixture_free ();
  return ret;
}
