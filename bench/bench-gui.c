/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-gui: the window against a big database (1,000,000 customers).
 *
 *   bench-gui --db BIG.db [--drdesk PATH] [--runs N]
 *
 * Measures, printing one "BENCH name value" line each (medians of N runs):
 *   launch-first-frame-ms   the real drdesk, process start → first frame
 *   search-ms               a keystroke in the search field → grid updated
 *                           (ids in, first page of rows in, next frame drawn)
 *   sort-ms                 click on a column to sort → grid updated
 *   peak-rss-mb             VmHWM of this process after all of it
 *   stall-ms                longest frame-clock gap while an event for
 *                           ~100,000 customers is started and shown
 *   idle-stall-ms           the same with nothing happening (noise floor)
 * Needs a display (run it through bench/bench-gui.sh). The event it starts
 * is cancelled afterwards so the database can be reused. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

#include "core/drd-time.h"
#include "gui/drd-application.h"
#include "gui/drd-cell-factory.h"
#include "gui/drd-customer-model.h"
#include "gui/drd-window.h"

static gint64 last_frame_us, max_gap_us;
static gboolean measuring_gaps;

static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  gint64 now = g_get_monotonic_time ();

  if (measuring_gaps && last_frame_us != 0 && now - last_frame_us > max_gap_us)
    max_gap_us = now - last_frame_us;
  if (measuring_gaps && last_frame_us != 0 && now - last_frame_us > 50000
      && g_getenv ("DRD_BENCH_VERBOSE") != NULL)
    g_print ("BENCH gap %.0f ms at %.3f\n", (now - last_frame_us) / 1000.0, now / 1e6);
  last_frame_us = now;
  return G_SOURCE_CONTINUE;
}

/* The main loop itself, apart from painting: a 5 ms timer's longest gap. */
static gint64 last_loop_us, max_loop_gap_us;

static gboolean
on_loop_tick (gpointer data)
{
  gint64 now = g_get_monotonic_time ();

  if (measuring_gaps && last_loop_us != 0 && now - last_loop_us > max_loop_gap_us)
    max_loop_gap_us = now - last_loop_us;
  last_loop_us = now;
  return G_SOURCE_CONTINUE;
}

/* CPU time the main thread spends between two polls (one main-loop
 * iteration: every handler dispatched in it plus the frame if any). Its
 * maximum is the longest stall our own code causes, independent of how
 * busy the machine is; the wall-clock gaps above also include time spent
 * waiting for a CPU. */
static gint64 iter_cpu_start_ns, max_iter_cpu_ns;
static gint64 iter_wall_start_us, max_iter_wall_start_us, max_iter_wall_end_us;
static double main_cpu_start_ms;
static GPollFunc default_poll;

static gint64
thread_cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static gint
measuring_poll (GPollFD *fds, guint nfds, gint timeout)
{
  gint64 now = thread_cpu_ns ();
  gint ret;

  if (measuring_gaps && iter_cpu_start_ns != 0 && now - iter_cpu_start_ns > max_iter_cpu_ns)
    {
      max_iter_cpu_ns = now - iter_cpu_start_ns;
      max_iter_wall_start_us = iter_wall_start_us;
      max_iter_wall_end_us = g_get_monotonic_time ();
    }
  ret = default_poll (fds, nfds, timeout);
  iter_cpu_start_ns = thread_cpu_ns ();
  iter_wall_start_us = g_get_monotonic_time ();
  return ret;
}

/* Milliseconds this thread waited for a CPU while runnable (schedstat). */
static double
runqueue_wait_ms (void)
{
  g_autofree char *text = NULL;
  guint64 run = 0, wait = 0;

  if (!g_file_get_contents ("/proc/thread-self/schedstat", &text, NULL, NULL)
      || sscanf (text, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &run, &wait) != 2)
    return -1;
  return wait / 1e6;
}

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

typedef gboolean (*Cond) (gpointer);

static gboolean
wait_until (Cond cond, gpointer data, guint timeout_ms)
{
  gboolean fired = FALSE;
  guint id = g_timeout_add (timeout_ms, on_timeout, &fired);

  while (!cond (data) && !fired)
    g_main_context_iteration (NULL, TRUE);
  if (!fired)
    g_source_remove (id);
  return cond (data);
}

static gboolean never (gpointer d) { return FALSE; }

static void
spin (guint ms)
{
  wait_until (never, NULL, ms);
}

/* ---- one grid update: query done, visible page in, a frame drawn ---- */

static guint n_query_done;
static gint64 frame_after;

static void
on_query_done (DrdCustomerModel *model, gpointer data)
{
  n_query_done++;
}

typedef struct {
  DrdCustomerModel *model;
  guint             want_done;
} GridWait;

static gboolean
grid_updated (gpointer data)
{
  GridWait *w = data;

  if (n_query_done < w->want_done)
    return FALSE;
  if (drd_paged_model_get_n_pending (DRD_PAGED_MODEL (w->model)) > 0)
    return FALSE;
  if (frame_after == 0)
    frame_after = last_frame_us + 1;   /* wait for one more frame */
  return last_frame_us >= frame_after;
}

static double
measure_grid (DrdCustomerModel *model, void (*action) (gpointer), gpointer arg)
{
  GridWait w = { model, n_query_done + 1 };
  gint64 t0;

  frame_after = 0;
  t0 = g_get_monotonic_time ();
  action (arg);
  if (!wait_until (grid_updated, &w, 30000))
    return -1;
  return (last_frame_us - t0) / 1000.0;
}

static gboolean
model_complete (gpointer data)
{
  return drd_customer_model_get_complete (data);
}

static GtkEditable *search_entry;

static void
type_text (gpointer text)
{
  gtk_editable_set_text (search_entry, text);
}

typedef struct {
  GtkColumnView       *view;
  GtkColumnViewColumn *column;
  GtkSortType          order;
} SortArg;

static void
sort_by (gpointer data)
{
  SortArg *a = data;

  gtk_column_view_sort_by_column (a->view, a->column, a->order);
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (GArray *v)
{
  if (v->len == 0)
    return -1;
  g_array_sort (v, cmp_double);
  return g_array_index (v, double, v->len / 2);
}

static double
peak_rss_mb (void)
{
  g_autofree char *status = NULL;
  const char *p;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  p = strstr (status, "VmHWM:");
  return p ? g_ascii_strtod (p + 6, NULL) / 1024.0 : -1;
}

/* ---- launch of the real program ---- */

static double
launch_once (const char *drdesk, const char *db)
{
  const char *argv[] = { drdesk, "--db", db, NULL };
  g_auto(GStrv) env = g_get_environ ();
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;
  const char *p;

  env = g_environ_setenv (env, "DRD_BENCH", "1", TRUE);
  env = g_environ_setenv (env, "DRD_BENCH_QUIT_AFTER_FRAME", "1", TRUE);
  if (!g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                     &status, &error))
    {
      g_printerr ("bench-gui: %s\n", error->message);
      return -1;
    }
  p = out ? strstr (out, "BENCH first-frame ms=") : NULL;
  return p ? g_ascii_strtod (p + strlen ("BENCH first-frame ms="), NULL) : -1;
}

/* ---- the event start ---- */

typedef struct {
  gboolean done;
  gint64   id;
  gint64   n;
  GError  *error;
} StartResult;

static void
on_started (GObject *source, GAsyncResult *result, gpointer data)
{
  StartResult *r = data;

  drd_store_start_event_finish (DRD_STORE (source), result, &r->id, &r->n, &r->error);
  r->done = TRUE;
}

static gboolean
start_done (gpointer data)
{
  return ((StartResult *) data)->done;
}

int
main (int argc, char **argv)
{
  g_autofree char *db = NULL;
  g_autofree char *drdesk = NULL;
  int runs = 5;
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Big database", "PATH" },
    { "drdesk", 0, 0, G_OPTION_ARG_FILENAME, &drdesk, "drdesk executable", "PATH" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "Repetitions (median)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- DR Desk window benchmark");
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(GArray) launch = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) search = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) sort = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GPtrArray) resources = NULL;
  DrdWindow *window;
  DrdCustomersView *cv;
  DrdCustomerModel *model;
  GListModel *columns;
  const char *queries[] = { "김", "김민", "김민준", "박", "이서", "41086", "마트", NULL };
  StartResult sr = { 0 };
  g_autoptr(DrdEvent) ev = drd_event_new ();
  DrdStoreResource *pick = NULL;
  gint64 now;
  gint64 first_id = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || db == NULL)
    {
      g_printerr ("usage: bench-gui --db BIG.db [--drdesk PATH] [--runs N]\n");
      return 2;
    }
  if (!gtk_init_check ())
    {
      g_printerr ("bench-gui: no display\n");
      return 1;
    }
  drd_gui_init ();

  if (drdesk != NULL)
    for (int i = 0; i < runs; i++)
      {
        double ms = launch_once (drdesk, db);
        if (ms >= 0)
          g_array_append_val (launch, ms);
      }

  store = drd_store_open (db, &error);
  if (store == NULL)
    {
      g_printerr ("bench-gui: %s\n", error->message);
      return 1;
    }
  window = drd_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_widget_add_tick_callback (GTK_WIDGET (window), on_tick, NULL, NULL);
  g_timeout_add (5, on_loop_tick, NULL);
  cv = drd_window_get_customers_view (window);
  model = drd_customers_view_get_model (cv);
  g_signal_connect (model, "query-done", G_CALLBACK (on_query_done), NULL);
  search_entry = drd_customers_view_get_search (cv);
  gtk_window_present (GTK_WINDOW (window));
  {
    GridWait w = { model, 1 };
    drd_window_set_store (window, store);
    frame_after = 0;
    wait_until (grid_updated, &w, 60000);
  }
  g_print ("BENCH rows %u\n", g_list_model_get_n_items (G_LIST_MODEL (model)));
  g_print ("BENCH rss after first load: peak %.1f MB\n", peak_rss_mb ());
  spin (1000);

  default_poll = g_main_context_get_poll_func (NULL);
  g_main_context_set_poll_func (NULL, measuring_poll);

  /* Idle noise floor of the frame clock. */
  max_gap_us = 0;
  max_loop_gap_us = 0;
  max_iter_cpu_ns = 0;
  measuring_gaps = TRUE;
  spin (2000);
  measuring_gaps = FALSE;
  g_print ("BENCH idle-stall-ms %.1f (main loop %.1f; longest iteration CPU %.1f ms)\n",
           max_gap_us / 1000.0, max_loop_gap_us / 1000.0, max_iter_cpu_ns / 1e6);

  /* Search: type, then clear, per query. */
  if (g_getenv ("DRD_BENCH_ONLY_STALL") != NULL)
    runs = 0;
  for (int r = 0; r < runs; r++)
    for (int i = 0; queries[i] != NULL; i++)
      {
        gint64 t0 = g_get_monotonic_time ();
        double ms = measure_grid (model, type_text, (gpointer) queries[i]);
        guint shown = g_list_model_get_n_items (G_LIST_MODEL (model));

        /* The rest of a long result follows in the background. */
        wait_until (model_complete, model, 30000);
        g_print ("BENCH search \"%s\" rows=%u ms=%.1f (all %u rows in after %.0f ms)\n",
                 queries[i], shown, ms, g_list_model_get_n_items (G_LIST_MODEL (model)),
                 (g_get_monotonic_time () - t0) / 1000.0);
        if (ms >= 0)
          g_array_append_val (search, ms);
      }
  measure_grid (model, type_text, (gpointer) "");
  g_print ("BENCH rss after searches: peak %.1f MB\n", peak_rss_mb ());

  /* Sort by name (ascending, descending), points, registered. */
  columns = gtk_column_view_get_columns (drd_customers_view_get_column_view (cv));
  for (int r = 0; r < runs; r++)
    {
      static const guint cols[] = { 1, 1, 6, 4 };
      static const GtkSortType orders[] = { GTK_SORT_ASCENDING, GTK_SORT_DESCENDING,
                                            GTK_SORT_DESCENDING, GTK_SORT_ASCENDING };
      for (guint i = 0; i < G_N_ELEMENTS (cols); i++)
        {
          g_autoptr(GtkColumnViewColumn) col = g_list_model_get_item (columns, cols[i]);
          SortArg a = { drd_customers_view_get_column_view (cv), col, orders[i] };
          double ms = measure_grid (model, sort_by, &a);

          wait_until (model_complete, model, 30000);

          g_print ("BENCH sort column=%u order=%d ms=%.1f (cells made so far %u, bound %u)\n",
                   cols[i], orders[i], ms, drd_cell_factory_n_setup, drd_cell_factory_n_bind);
          if (cols[i] == 1 && ms >= 0)
            g_array_append_val (sort, ms);
        }
    }

  g_print ("BENCH rss after sorts: peak %.1f MB\n", peak_rss_mb ());
  /* Start an event for ~100,000 customers (the resource closest to that)
   * and watch the frame clock while the window shows it. */
  resources = drd_store_list_resources (store, &error);
  for (guint i = 0; resources != NULL && i < resources->len; i++)
    {
      DrdStoreResource *r = g_ptr_array_index (resources, i);
      if (pick == NULL || ABS (r->n_customers - 100000) < ABS (pick->n_customers - 100000))
        pick = r;
    }
  now = drd_store_now ();
  ev->name = g_strdup ("bench event");
  ev->kind = DRD_EVENT_KIND_ECONOMIC;
  ev->start_at = (now / DRD_SLOT_SECONDS + 4 * 96 * 30) * DRD_SLOT_SECONDS;  /* a month ahead */
  ev->end_at = ev->start_at + 3600;
  ev->target_w = 1000000;
  ev->resources = g_new0 (char *, 2);
  ev->resources[0] = g_strdup (pick ? pick->name : "");
  drd_window_set_view (window, "responses");
  spin (500);
  /* Twice: first with an empty responses table (GTK builds its ~200 row
   * widgets then: "cold"), then with the table already showing the
   * first event, as in a normal day ("warm"). */
  for (int round = 0; round < 2; round++)
    {
      g_autoptr(DrdEvent) e = drd_event_copy (ev);
      StartResult r = { 0 };
      double wait0;

      e->start_at = ev->start_at + round * 2 * 3600;
      e->end_at = e->start_at + 3600;
      max_gap_us = 0;
      max_loop_gap_us = 0;
      max_iter_cpu_ns = 0;
      last_frame_us = 0;
      main_cpu_start_ms = thread_cpu_ns () / 1e6;
      wait0 = runqueue_wait_ms ();
      measuring_gaps = TRUE;
      g_print ("BENCH starting event\n");
      drd_store_start_event_async (store, e, "bench", now, NULL, on_started, &r);
      wait_until (start_done, &r, 120000);
      g_print ("BENCH rss event committed: peak %.1f MB (SQLite heap now %.1f MB, high water %.1f MB)\n",
               peak_rss_mb (), sqlite3_memory_used () / 1048576.0,
               sqlite3_memory_highwater (FALSE) / 1048576.0);
      if (g_getenv ("DRD_BENCH_VERBOSE") != NULL)
        g_print ("BENCH event committed at %.3f\n", g_get_monotonic_time () / 1e6);
      drd_window_select_event (window, r.id);
      spin (3000);
      g_print ("BENCH rss event shown: peak %.1f MB\n", peak_rss_mb ());
      measuring_gaps = FALSE;
      if (r.error != NULL)
        g_print ("BENCH stall event start failed: %s\n", r.error->message);
      else
        g_print ("BENCH %s-stall-ms %.1f (main loop %.1f; event of %lld customers; "
                 "responses rows %u)\n"
                 "BENCH %s-iteration-cpu-ms %.1f (longest main-loop iteration, CPU time; "
                 "main thread CPU %.0f ms in all, %.0f ms waiting for a CPU)\n",
                 round == 0 ? "cold" : "warm", max_gap_us / 1000.0, max_loop_gap_us / 1000.0,
                 (long long) r.n,
                 drd_paged_model_get_n_rows (DRD_PAGED_MODEL (drd_responses_view_get_model (
                   drd_window_get_responses_view (window)))),
                 round == 0 ? "cold" : "warm", max_iter_cpu_ns / 1e6,
                 thread_cpu_ns () / 1e6 - main_cpu_start_ms, runqueue_wait_ms () - wait0);
      if (g_getenv ("DRD_BENCH_VERBOSE") != NULL)
        g_print ("BENCH longest iteration from %.6f to %.6f\n", max_iter_wall_start_us / 1e6,
                 max_iter_wall_end_us / 1e6);
      if (round == 1)
        sr.id = r.id;
      else if (r.id > 0)
        first_id = r.id;
      g_clear_error (&r.error);
    }
  if (first_id > 0)
    drd_store_cancel_event (store, first_id, "bench", drd_store_now (), NULL);
  if (sr.id > 0)
    drd_store_cancel_event (store, sr.id, "bench", drd_store_now (), NULL);

  g_print ("BENCH launch-first-frame-ms %.1f\n", median (launch));
  g_print ("BENCH search-ms %.1f\n", median (search));
  g_print ("BENCH sort-ms %.1f\n", median (sort));
  g_print ("BENCH peak-rss-mb %.1f\n", peak_rss_mb ());
  gtk_window_destroy (GTK_WINDOW (window));
  spin (200);
  return 0;
}
