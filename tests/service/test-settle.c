/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Settlement end to end: a real SQLite file in a temp dir, the real KEPCO
 * simulator on 127.0.0.1 port 0 (in-process, or the built executables),
 * the real client, settler, dispatcher and drdeskctl. Expected results are
 * computed independently from the simulator's data oracle with core's
 * settlement function (no cache, no fetch planning, no store). */
#include "config.h"

#include <sqlite3.h>
#include <json-glib/json-glib.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

#include "core/drd-calendar.h"
#include "core/drd-settlement.h"
#include "kepco/drd-kepco-client.h"
#include "kepco/drd-kepco-sim.h"
#include "service/drd-config.h"
#include "service/drd-dispatcher.h"
#include "service/drd-settler.h"
#include "store/drd-store-settle.h"

#define SEED 42
#define N_CUSTOMERS 90

typedef struct {
  char        *dir;
  char        *db_path;
  DrdStore    *store;
  DrdKepcoSim *sim;
  DrdCalendar *calendar;
  gint64       other_event;   /* an earlier event targeting resource "east" */
  gint64       event;         /* the one we settle */
  gint64       start, end;
} Fixture;

static gint64
iso (const char *text)
{
  gint64 t = 0;

  g_assert_true (drd_time_parse_iso8601 (text, &t, NULL));
  return t;
}

static DrdCalendar *
load_calendar (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("DRD_SOURCE_DIR"), "data", "holidays-kr.csv", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  DrdCalendar *calendar;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  calendar = drd_calendar_new_from_data (text, -1, &error);
  g_assert_no_error (error);
  return calendar;
}

static void
load_holidays (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_holiday_free);
  DrdDate from = drd_date_from_ymd (2024, 1, 1), to = drd_date_from_ymd (2027, 12, 31);
  g_autofree DrdDate *days = NULL;
  guint n = 0;

  f->calendar = load_calendar ();
  days = drd_calendar_list (f->calendar, from, to, &n);
  for (guint i = 0; i < n; i++)
    {
      DrdHoliday *h = g_new0 (DrdHoliday, 1);

      drd_date_format_buf (days[i], h->day);
      h->name = g_strdup (drd_calendar_get_name (f->calendar, days[i]));
      g_ptr_array_add (rows, h);
    }
  g_assert_true (drd_store_replace_holidays (f->store, rows, &error));
  g_assert_no_error (error);
}

static char *
kepco_no_of (guint i)
{
  return g_strdup_printf ("%u", 3100000 + i * 7919);
}

static void
add_customers (Fixture *f,
               guint    n)
{
  g_autoptr(GPtrArray) customers = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_customer_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdStoreImportResult) res = NULL;

  for (guint i = 1; i <= n; i++)
    {
      DrdCustomer *c = drd_customer_new ();

      c->id = i;
      /* Names that need CSV quoting, and Korean. */
      c->name = i % 7 == 0 ? g_strdup_printf ("Kim, \"Big\" %u", i)
                : i % 5 == 0 ? g_strdup_printf ("한국상회 %u", i)
                : g_strdup_printf ("Customer %u", i);
      c->kepco_no = kepco_no_of (i);
      c->resource = g_strdup (i % 2 == 0 ? "east" : "west");
      c->registered_w = 10000 + i * 100;
      c->cbl_method = i % 3 == 0 ? DRD_CBL_MAX_4_5 : DRD_CBL_MID_6_10;
      c->is_factory = i % 4 == 0;
      g_ptr_array_add (customers, c);
    }
  res = drd_store_import_customers (f->store, customers, "test", 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (res->n_inserted, ==, n);
}

static gint64
start_event (Fixture    *f,
             const char *name,
             gint64      start,
             gint64      end,
             const char *resource)
{
  g_autoptr(DrdEvent) e = drd_event_new ();
  g_autoptr(GError) error = NULL;
  gint64 id = 0, n = 0;
  const char *res[] = { resource, NULL };

  e->name = g_strdup (name);
  e->kind = DRD_EVENT_KIND_RELIABILITY;
  e->start_at = start;
  e->end_at = end;
  e->target_w = 500000;
  e->resources = resource != NULL ? g_strdupv ((char **) res) : NULL;
  g_assert_true (drd_store_start_event (f->store, e, "operator:test", drd_store_now (), &id, &n, &error));
  g_assert_no_error (error);
  return id;
}

static DrdAnswer
answer_of (guint i)
{
  switch (i % 4)
    {
    case 0: case 1: return DRD_ANSWER_ACCEPT;
    case 2: return DRD_ANSWER_DENY;
    default: return DRD_ANSWER_NONE;
    }
}

/* Customers, holidays, an earlier event (east only, excluded from those
 * customers' CBL) and the event to settle, answered and ended. */
static void
fixture_setup_at (Fixture    *f,
                  guint       n,
                  const char *start,
                  const char *end)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("drd-settle-XXXXXX", &error);
  g_assert_no_error (error);
  f->db_path = g_build_filename (f->dir, "drdesk.db", NULL);
  f->store = drd_store_open (f->db_path, &error);
  g_assert_no_error (error);
  load_holidays (f);
  add_customers (f, n);

  f->start = iso (start);
  f->end = iso (end);
  /* Seven days before: a weekday in the look-back of every customer. */
  f->other_event = start_event (f, "earlier", f->start - 7 * 86400, f->end - 7 * 86400, "east");
  g_assert_true (drd_store_end_event (f->store, f->other_event, "operator:test", drd_store_now (), &error));
  f->event = start_event (f, "Evening peak, \"big\" one", f->start, f->end, NULL);
  for (guint i = 1; i <= n; i++)
    if (answer_of (i) != DRD_ANSWER_NONE)
      {
        g_assert_true (drd_store_record_answer (f->store, f->event, i, answer_of (i), DRD_CHANNEL_OPERATOR,
                                                "operator:test", drd_store_now (), NULL, &error));
        g_assert_no_error (error);
      }
  g_assert_true (drd_store_end_event (f->store, f->event, "operator:test", drd_store_now (), &error));
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  fixture_setup_at (f, N_CUSTOMERS, "2026-10-14T14:00:00+09:00", "2026-10-14T16:00:00+09:00");
}

static void
fixture_setup_later (Fixture       *f,
                     gconstpointer  data)
{
}

static void
rm_rf (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);

      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        rm_rf (p);
      else
        g_unlink (p);
    }
  g_rmdir (dir);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->sim);
  g_clear_object (&f->store);
  g_clear_object (&f->calendar);
  if (f->dir != NULL)
    rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->db_path);
}

static DrdKepcoSim *
start_sim (Fixture *f)
{
  DrdKepcoSimConfig config;
  g_autoptr(GError) error = NULL;
  DrdKepcoSim *sim;

  drd_kepco_sim_config_init (&config);
  config.seed = SEED;
  sim = drd_kepco_sim_new (&config);
  g_assert_true (drd_kepco_sim_listen (sim, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  drd_kepco_sim_add_event (sim, f->start, f->end);
  return sim;
}

static DrdKepcoClient *
new_client (DrdKepcoSim *sim)
{
  DrdKepcoClient *client = drd_kepco_client_new (drd_kepco_sim_get_url (sim), "test-key");

  g_object_set (client, "max-in-flight", 8, "backoff-base-ms", 5, "backoff-cap-ms", 40,
                "breaker-cooldown-ms", 200, "timeout-ms", 2000, NULL);
  return client;
}

typedef struct {
  gboolean  done;
  gboolean  ok;
  GError   *error;
} Wait;

static void
settle_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  Wait *w = data;

  w->ok = drd_settler_settle_event_finish (DRD_SETTLER (source), result, &w->error);
  w->done = TRUE;
}

static gboolean
timeout_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
run_settle (Fixture        *f,
            DrdKepcoClient *client,
            guint           data_wait_s)
{
  g_autoptr(DrdSettler) settler = drd_settler_new (f->store, client, NULL);
  Wait w = { 0 };
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (60, timeout_flag, &timed_out);

  g_object_set (settler, "retry-base-s", 1, "retry-cap-s", 1, "data-wait-s", data_wait_s, NULL);
  drd_settler_settle_event_async (settler, f->event, NULL, settle_cb, &w);
  while (!w.done && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (id);
  g_assert_no_error (w.error);
  g_assert_true (w.ok);
  g_assert_cmpuint (drd_settler_get_n_done (settler), ==, drd_settler_get_n_total (settler));
}

/* ---- the independent computation ---- */

typedef struct {
  DrdOutcome outcome;
  gint64     points;
  gboolean   baseline_known, actual_known;
  gint64     baseline, actual, reduction;
} Expected;

static void
expected_for (Fixture         *f,
              DrdKepcoSim     *sim,
              guint            i,
              gboolean         excluded_other,
              Expected        *out)
{
  g_autofree char *no = kepco_no_of (i);
  g_autoptr(DrdReadings) readings = drd_readings_new ();
  g_autoptr(DrdCblResult) cbl = NULL;
  g_autoptr(GError) error = NULL;
  DrdDate e = drd_date_of_instant (f->start);
  DrdDate other = drd_date_of_instant (f->start - 7 * 86400);
  DrdCblRequest req = { i % 3 == 0 ? DRD_CBL_MAX_4_5 : DRD_CBL_MID_6_10, i % 4 == 0, f->start, f->end };
  DrdSettlementResult res;
  guint n_events = 0;
  const DrdKepcoSimEvent *events = drd_kepco_sim_get_events (sim, &n_events);

  for (DrdDate d = e - 180; d <= e; d++)
    {
      char date[9];
      g_autoptr(DrdKepcoDay) day = NULL;
      DrdDayReadings r;

      drd_date_format_compact_buf (d, date);
      day = drd_kepco_sim_day (SEED, no, date, events, n_events, 0.7, 0.3);
      drd_day_readings_init (&r, d);
      for (int k = 0; k < 96; k++)
        if (day->wh[k] >= 0)
          {
            r.wh[k] = day->wh[k];
            r.present[k] = 1;
          }
      drd_readings_add_day (readings, &r);
    }
  g_assert_true (drd_settlement_settle (&req, answer_of (i), DRD_EVENT_KIND_RELIABILITY,
                                        drd_readings_history_func, readings, f->calendar,
                                        &other, excluded_other ? 1 : 0, NULL, &cbl, &res, &error));
  g_assert_no_error (error);
  out->outcome = res.outcome;
  out->points = res.points;
  out->baseline_known = cbl->status == DRD_CBL_STATUS_OK;
  out->baseline = drd_cbl_result_total_wh (cbl);
  out->reduction = res.reduction_wh;
  out->actual_known = res.review_reason != DRD_REVIEW_ACTUAL_MISSING;
  out->actual = res.actual_wh;
}

static void
check_against_oracle (Fixture     *f,
                      DrdKepcoSim *sim,
                      guint        n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = drd_store_settle_list (f->store, f->event, DRD_OUTCOME_PENDING, 0, 100000, &error);
  guint by_outcome[5] = { 0 };
  gint64 points_total = 0, ledger_total = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, n);
  for (guint k = 0; k < rows->len; k++)
    {
      DrdSettleRow *row = &((DrdSettleRowCopy *) g_ptr_array_index (rows, k))->row;
      guint i = (guint) row->customer_id;
      Expected x;

      expected_for (f, sim, i, i % 2 == 0, &x);
      g_assert_cmpint (row->outcome, ==, x.outcome);
      g_assert_cmpint (row->points, ==, x.points);
      g_assert_cmpint (row->answer, ==, answer_of (i));
      g_assert_cmpint (row->baseline_known, ==, x.baseline_known);
      if (x.baseline_known)
        g_assert_cmpint (row->baseline_wh, ==, x.baseline);
      if (x.outcome != DRD_OUTCOME_NEEDS_REVIEW)
        {
          g_assert_true (row->reduction_known);
          g_assert_cmpint (row->actual_wh, ==, x.actual);
          g_assert_cmpint (row->reduction_wh, ==, x.reduction);
        }
      else
        g_assert_cmpint (row->points, ==, 0);
      /* Hand rules: points only for performed, 100 pt per kWh, floored. */
      if (row->outcome == DRD_OUTCOME_PERFORMED)
        g_assert_cmpint (row->points, ==, row->reduction_wh * 100 / 1000);
      else
        g_assert_cmpint (row->points, ==, 0);
      if (row->answer != DRD_ANSWER_ACCEPT && row->outcome != DRD_OUTCOME_NEEDS_REVIEW)
        g_assert_cmpint (row->outcome, ==, DRD_OUTCOME_NOT_PARTICIPATING);
      by_outcome[row->outcome]++;
      points_total += row->points;
    }
  /* A seeded population has every outcome but needs_review in it. */
  g_assert_cmpuint (by_outcome[DRD_OUTCOME_PERFORMED], >, 0);
  g_assert_cmpuint (by_outcome[DRD_OUTCOME_NOT_PERFORMED], >, 0);
  g_assert_cmpuint (by_outcome[DRD_OUTCOME_NOT_PARTICIPATING], >, 0);

  for (guint i = 1; i <= n; i++)
    {
      g_autoptr(GPtrArray) ledger = drd_store_get_ledger (f->store, i, &error);
      guint n_this = 0;

      g_assert_no_error (error);
      for (guint k = 0; k < ledger->len; k++)
        {
          DrdLedgerEntry *e = g_ptr_array_index (ledger, k);

          if (e->event_id != f->event)
            continue;
          g_assert_cmpstr (e->reason, ==, "dr_reward");
          g_assert_cmpint (e->points, >, 0);
          ledger_total += e->points;
          n_this++;
        }
      g_assert_cmpuint (n_this, <=, 1);
    }
  g_assert_cmpint (ledger_total, ==, points_total);
  g_assert_cmpint (points_total, >, 0);

  /* The summary (the window's and the CLI's) agrees with the rows. */
  {
    DrdEventSummary sum;

    g_assert_true (drd_store_settle_get_summary (f->store, f->event, &sum, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (sum.n_customers, ==, n);
    for (int o = 1; o <= 4; o++)
      g_assert_cmpuint (sum.n_by_outcome[o], ==, by_outcome[o]);
    g_assert_cmpint (sum.points_total, ==, points_total);
  }
}

static char *
ledger_dump (DrdStore *store,
             guint     n)
{
  GString *s = g_string_new (NULL);

  for (guint i = 1; i <= n; i++)
    {
      g_autoptr(GPtrArray) ledger = drd_store_get_ledger (store, i, NULL);

      for (guint k = 0; k < ledger->len; k++)
        {
          DrdLedgerEntry *e = g_ptr_array_index (ledger, k);

          g_string_append_printf (s, "%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%s,%" G_GINT64_FORMAT "\n",
                                  e->customer_id, e->event_id, e->reason, e->points);
        }
    }
  return g_string_free (s, FALSE);
}

static DrdEventStatus
event_status (Fixture *f,
              gint64   id)
{
  g_autoptr(DrdEvent) e = drd_store_get_event (f->store, id, drd_store_now (), NULL);

  return e->status;
}

static void
sql_exec (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

/* ---- tests ---- */

static void
test_outcomes_match_oracle (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(DrdKepcoClient) client = NULL;
  g_autofree char *ledger1 = NULL, *ledger2 = NULL;
  DrdKepcoSimStats stats;
  guint64 requests_first;

  f->sim = start_sim (f);
  client = new_client (f->sim);
  run_settle (f, client, 1);
  g_assert_cmpint (event_status (f, f->event), ==, DRD_EVENT_SETTLED);
  g_assert_cmpint (event_status (f, f->other_event), ==, DRD_EVENT_ENDED);
  check_against_oracle (f, f->sim, N_CUSTOMERS);
  ledger1 = ledger_dump (f->store, N_CUSTOMERS);
  drd_kepco_sim_get_stats (f->sim, &stats);
  requests_first = stats.n_requests;
  g_assert_cmpuint (requests_first, >=, N_CUSTOMERS * 11);

  /* Settle again: already settled, nothing changes. */
  run_settle (f, client, 1);
  /* Even when every job runs again (as after a crash between the commit
   * and the status change, or a racing settler): "already settled" is
   * success, nothing is credited twice, every day comes from the cache. */
  sql_exec (f->db_path, "UPDATE jobs SET state = 0; UPDATE events SET status = 3 WHERE id = 2");
  run_settle (f, client, 1);
  g_assert_cmpint (event_status (f, f->event), ==, DRD_EVENT_SETTLED);
  ledger2 = ledger_dump (f->store, N_CUSTOMERS);
  g_assert_cmpstr (ledger1, ==, ledger2);
  drd_kepco_sim_get_stats (f->sim, &stats);
  g_assert_cmpuint (stats.n_requests, ==, requests_first);
}

/* Jobs done → set back to pending by hand: the settler re-runs them, finds
 * the settlement rows and credits nothing again; all days from the cache. */
static void
test_rerun_jobs_no_double_credit (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(DrdKepcoClient) client = NULL;
  g_autofree char *ledger1 = NULL, *ledger2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdSettleBatch) batch = NULL;
  DrdKepcoSimStats stats;
  guint64 before;

  f->sim = start_sim (f);
  client = new_client (f->sim);
  run_settle (f, client, 1);
  ledger1 = ledger_dump (f->store, N_CUSTOMERS);

  /* A commit that repeats settled customers (a racing settler). */
  batch = drd_settle_batch_new (drd_store_now ());
  for (guint i = 1; i <= 10; i++)
    {
      DrdSettleResult r = { 0 };

      r.event_id = f->event;
      r.customer_id = i;
      r.outcome = DRD_OUTCOME_PERFORMED;
      r.points = 999999;
      r.baseline_known = r.actual_known = TRUE;
      g_array_append_val (batch->results, r);
    }
  g_assert_true (drd_store_settle_commit (f->store, batch, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (batch->n_settled, ==, 0);
  g_assert_cmpuint (batch->n_already, ==, 10);
  g_assert_cmpint (batch->points_credited, ==, 0);

  drd_kepco_sim_get_stats (f->sim, &stats);
  before = stats.n_requests;
  ledger2 = ledger_dump (f->store, N_CUSTOMERS);
  g_assert_cmpstr (ledger1, ==, ledger2);
  g_assert_cmpuint (before, >, 0);
}

static void
test_faults_give_same_results (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(DrdKepcoClient) client = NULL;
  DrdKepcoSimStats stats;

  f->sim = start_sim (f);
  drd_kepco_sim_set_faults (f->sim, 0.15, 0.03, 0.1);
  drd_kepco_sim_set_hold_ms (f->sim, 400);
  client = new_client (f->sim);
  g_object_set (client, "timeout-ms", 150, "max-attempts", 6, "breaker-threshold", 50, NULL);
  run_settle (f, client, 1);
  drd_kepco_sim_get_stats (f->sim, &stats);
  g_assert_cmpuint (stats.n_failed, >, 0);
  g_assert_cmpuint (stats.n_malformed, >, 0);
  g_assert_cmpuint (stats.n_held, >, 0);
  g_assert_cmpint (event_status (f, f->event), ==, DRD_EVENT_SETTLED);
  check_against_oracle (f, f->sim, N_CUSTOMERS);
}

/* Two settlers race on the same customers (the second one resets the
 * first one's running jobs, as a second process would after a crash it
 * wrongly assumed): both settle them, every customer is settled and
 * credited exactly once. */
static void
test_racing_settlers (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(DrdKepcoClient) client = NULL;
  g_autoptr(DrdSettler) a = NULL;
  g_autoptr(DrdSettler) b = NULL;
  Wait wa = { 0 }, wb = { 0 };
  gboolean timed_out = FALSE;
  guint tid;
  DrdSettleProgress p;
  g_autoptr(GError) error = NULL;

  f->sim = start_sim (f);
  client = new_client (f->sim);
  a = drd_settler_new (f->store, client, NULL);
  b = drd_settler_new (f->store, client, NULL);
  tid = g_timeout_add_seconds (60, timeout_flag, &timed_out);
  drd_settler_settle_event_async (a, f->event, NULL, settle_cb, &wa);
  while (!timed_out)
    {
      g_main_context_iteration (NULL, TRUE);
      g_assert_true (drd_store_settle_get_progress (f->store, f->event, drd_store_now (), &p, &error));
      if (p.n_settled >= 5 && p.n_running > 0)
        {
          drd_settle_progress_clear (&p);
          break;
        }
      drd_settle_progress_clear (&p);
    }
  drd_settler_settle_event_async (b, f->event, NULL, settle_cb, &wb);
  while (!(wa.done && wb.done) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (tid);
  g_assert_no_error (wa.error);
  g_assert_no_error (wb.error);
  g_assert_cmpint (event_status (f, f->event), ==, DRD_EVENT_SETTLED);
  check_against_oracle (f, f->sim, N_CUSTOMERS);
}

/* A breaker that opens makes jobs wait, not fail; they finish later. */
static void
test_outage_waits (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(DrdKepcoClient) client = NULL;

  f->sim = start_sim (f);
  drd_kepco_sim_force_status (f->sim, 503, 12);
  client = new_client (f->sim);
  g_object_set (client, "max-attempts", 1, "breaker-threshold", 3, "breaker-cooldown-ms", 300, NULL);
  run_settle (f, client, 1);
  g_assert_cmpint (event_status (f, f->event), ==, DRD_EVENT_SETTLED);
  check_against_oracle (f, f->sim, N_CUSTOMERS);
}

static gboolean
lift_lag (gpointer data)
{
  drd_kepco_sim_set_lag_days (data, 0);
  return G_SOURCE_REMOVE;
}

/* KEPCO has no data for the event day yet: jobs wait (no error counted),
 * then complete when the data appears. */
static void
test_lag_waits_then_completes (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(DrdKepcoClient) client = NULL;
  g_autoptr(GError) error = NULL;
  DrdDate today = drd_date_of_instant (drd_store_now ());
  DrdDate d = today - 1;
  g_autofree char *start = NULL, *end = NULL;
  g_autoptr(DrdSettler) settler = NULL;
  Wait w = { 0 };
  gboolean timed_out = FALSE, saw_wait = FALSE;
  guint tid;

  {
    g_autoptr(DrdCalendar) calendar = load_calendar ();

    while (!drd_date_is_weekday (d) || drd_calendar_is_holiday (calendar, d))
      d--;
  }
  start = drd_time_format_iso8601 (drd_slot_start (d, 40));
  end = drd_time_format_iso8601 (drd_slot_start (d, 44));
  fixture_setup_at (f, 30, start, end);
  f->sim = start_sim (f);
  drd_kepco_sim_set_lag_days (f->sim, (guint) (today - d) + 1);
  client = new_client (f->sim);
  settler = drd_settler_new (f->store, client, NULL);
  g_object_set (settler, "data-wait-s", 1, NULL);
  drd_settler_settle_event_async (settler, f->event, NULL, settle_cb, &w);
  tid = g_timeout_add_seconds (60, timeout_flag, &timed_out);
  while (!w.done && !timed_out)
    {
      g_main_context_iteration (NULL, TRUE);
      if (!saw_wait && drd_settler_get_n_waiting (settler) > 0)
        {
          DrdSettleProgress p;

          g_assert_true (drd_store_settle_get_progress (f->store, f->event, drd_store_now (), &p, &error));
          g_assert_cmpint (p.n_settled, ==, 0);
          g_assert_cmpint (p.n_failed, ==, 0);
          /* Waiting for data, not an error. */
          g_assert_null (p.last_error);
          if (p.n_waiting_data > 0)
            {
              saw_wait = TRUE;
              g_timeout_add (1500, lift_lag, f->sim);
            }
          drd_settle_progress_clear (&p);
        }
    }
  if (timed_out)
    g_test_message ("timed out: done %" G_GUINT64_FORMAT " total %" G_GUINT64_FORMAT " waiting %"
                    G_GUINT64_FORMAT " saw_wait %d last error %s", drd_settler_get_n_done (settler),
                    drd_settler_get_n_total (settler), drd_settler_get_n_waiting (settler), saw_wait,
                    drd_settler_get_last_error (settler));
  g_assert_false (timed_out);
  g_source_remove (tid);
  g_assert_true (saw_wait);
  g_assert_no_error (w.error);
  g_assert_cmpint (event_status (f, f->event), ==, DRD_EVENT_SETTLED);
  {
    /* Waiting never counted as an error attempt. */
    g_autoptr(GPtrArray) jobs = NULL;
    DrdSettleProgress p;

    g_assert_true (drd_store_settle_get_progress (f->store, f->event, drd_store_now (), &p, &error));
    g_assert_cmpint (p.n_settled, ==, 30);
    drd_settle_progress_clear (&p);
    for (gint64 id = 1; id <= 30; id++)
      {
        g_autoptr(DrdJob) job = NULL;
        GError *e = NULL;

        /* job ids of the second event follow those of none (first event
         * has no jobs: it was never settled). */
        job = drd_store_get_job (f->store, id, &e);
        g_assert_no_error (e);
        g_assert_cmpint (job->state, ==, DRD_JOB_DONE);
        g_assert_cmpint (job->attempts, ==, 0);
      }
  }
  check_against_oracle (f, f->sim, 30);
}

/* The newest weekday before today that is not a holiday. */
static DrdDate
last_workday (void)
{
  g_autoptr(DrdCalendar) calendar = load_calendar ();
  DrdDate d = drd_date_of_instant (drd_store_now ()) - 1;

  while (!drd_date_is_weekday (d) || drd_calendar_is_holiday (calendar, d))
    d--;
  return d;
}

static gint64
count_settlements (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  DrdSettleProgress p;
  gint64 n;

  g_assert_true (drd_store_settle_get_progress (f->store, f->event, drd_store_now (), &p, &error));
  g_assert_no_error (error);
  n = p.n_settled;
  drd_settle_progress_clear (&p);
  return n;
}

/* Issue 11: an event ended in the middle of a slot (its last slot has
 * not ended, so KEPCO cannot have its data) is shortened to that slot's
 * end, and settlement waits for the data instead of settling everyone as
 * "needs review" and calling the event settled. */
static void
test_ended_mid_slot_waits (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(DrdKepcoClient) client = NULL;
  g_autoptr(DrdSettler) settler = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdEvent) ev = NULL;
  gint64 now = drd_store_now ();
  gint64 slot = now / 900 * 900;
  g_autofree char *start = drd_time_format_iso8601 (slot - 900);
  g_autofree char *end = drd_time_format_iso8601 (slot + 3 * 900);
  DrdSettleProgress p;

  /* Started a slot ago, scheduled for 4 slots, ended now (mid-slot). */
  fixture_setup_at (f, 20, start, end);
  ev = drd_store_get_event (f->store, f->event, drd_store_now (), &error);
  g_assert_no_error (error);
  g_assert_cmpint (ev->status, ==, DRD_EVENT_ENDED);
  g_assert_cmpint (ev->end_at, ==, slot + 900);

  f->sim = start_sim (f);
  client = new_client (f->sim);
  settler = drd_settler_new (f->store, client, NULL);
  g_object_set (settler, "scan-interval-s", 1, "data-wait-s", 1, NULL);
  drd_settler_start (settler);
  {
    gboolean timed_out = FALSE;
    guint tid = g_timeout_add_seconds (4, timeout_flag, &timed_out);

    /* Old behaviour: everyone settled as needs review within a second or two. */
    while (!timed_out)
      g_main_context_iteration (NULL, TRUE);
    (void) tid;
  }
  g_assert_cmpint (count_settlements (f), ==, 0);
  g_assert_cmpint (event_status (f, f->event), ==, DRD_EVENT_SETTLING);
  g_assert_true (drd_store_settle_get_progress (f->store, f->event, drd_store_now (), &p, &error));
  g_assert_cmpint (p.n_targeted, ==, 20);
  g_assert_cmpint (p.n_waiting_data, ==, 20);
  g_assert_cmpint (p.n_failed, ==, 0);
  /* Next try: after the event's (shortened) last slot has ended. */
  g_assert_cmpint (p.next_data_attempt_at, >=, slot + 900);
  g_assert_null (p.last_error);
  drd_settle_progress_clear (&p);
  /* No points credited for a guess. */
  {
    g_autofree char *ledger = ledger_dump (f->store, 20);
    g_assert_cmpstr (ledger, ==, "");
  }
  drd_settler_stop (settler);
}

/* KEPCO has no data (lag) and the deadline passed: then, and only then,
 * customers are final as needs review (meter data missing) and the
 * event is settled. */
static void
test_lag_past_deadline_needs_review (Fixture       *f,
                                     gconstpointer  data)
{
  g_autoptr(DrdKepcoClient) client = NULL;
  g_autoptr(GError) error = NULL;
  DrdDate d = last_workday ();
  g_autofree char *start = drd_time_format_iso8601 (drd_slot_start (d, 40));
  g_autofree char *end = drd_time_format_iso8601 (drd_slot_start (d, 44));
  g_autoptr(DrdSettler) settler = NULL;
  Wait w = { 0 };
  gboolean timed_out = FALSE;
  guint tid;
  DrdDate today = drd_date_of_instant (drd_store_now ());

  fixture_setup_at (f, 12, start, end);
  f->sim = start_sim (f);
  drd_kepco_sim_set_lag_days (f->sim, (guint) (today - d) + 1);
  client = new_client (f->sim);
  settler = drd_settler_new (f->store, client, NULL);
  /* The event ended more than a minute ago: a one-minute deadline passed. */
  g_object_set (settler, "data-wait-s", 1, "data-deadline-s", 60, NULL);
  drd_settler_settle_event_async (settler, f->event, NULL, settle_cb, &w);
  tid = g_timeout_add_seconds (20, timeout_flag, &timed_out);
  while (!w.done && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (tid);
  g_assert_no_error (w.error);
  g_assert_cmpint (event_status (f, f->event), ==, DRD_EVENT_SETTLED);
  {
    g_autoptr(GPtrArray) rows = drd_store_settle_list (f->store, f->event, DRD_OUTCOME_PENDING, 0, 100, &error);

    g_assert_cmpuint (rows->len, ==, 12);
    for (guint i = 0; i < rows->len; i++)
      {
        DrdSettleRow *r = &((DrdSettleRowCopy *) g_ptr_array_index (rows, i))->row;

        g_assert_cmpint (r->outcome, ==, DRD_OUTCOME_NEEDS_REVIEW);
        g_assert_false (r->actual_known);
        g_assert_cmpint (r->points, ==, 0);
        g_assert_cmpstr (r->note, ==, "actual_missing");
      }
  }
}

/* drdeskctl's mode (wait-for-data FALSE): when everything left waits for
 * KEPCO's data, the run ends with WAITING_FOR_DATA naming how many and
 * the next try; the jobs wait in the store; a later run with the data
 * there settles the event. */
static void
test_cli_mode_waits_for_data (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(DrdKepcoClient) client = NULL;
  DrdDate d = last_workday ();
  g_autofree char *start = drd_time_format_iso8601 (drd_slot_start (d, 40));
  g_autofree char *end = drd_time_format_iso8601 (drd_slot_start (d, 44));
  DrdDate today = drd_date_of_instant (drd_store_now ());
  gboolean timed_out = FALSE;
  guint tid;

  fixture_setup_at (f, 15, start, end);
  f->sim = start_sim (f);
  drd_kepco_sim_set_lag_days (f->sim, (guint) (today - d) + 1);
  client = new_client (f->sim);
  {
    g_autoptr(DrdSettler) settler = drd_settler_new (f->store, client, NULL);
    Wait w = { 0 };
    DrdSettleProgress p;
    GError *error = NULL;

    g_object_set (settler, "wait-for-data", FALSE, NULL);
    drd_settler_settle_event_async (settler, f->event, NULL, settle_cb, &w);
    tid = g_timeout_add_seconds (20, timeout_flag, &timed_out);
    while (!w.done && !timed_out)
      g_main_context_iteration (NULL, TRUE);
    g_assert_false (timed_out);
    g_source_remove (tid);
    g_assert_false (w.ok);
    g_assert_error (w.error, DRD_SETTLER_ERROR, DRD_SETTLER_ERROR_WAITING_FOR_DATA);
    g_assert_nonnull (strstr (w.error->message, "15 customers wait for KEPCO meter data"));
    g_clear_error (&w.error);
    g_assert_cmpint (event_status (f, f->event), ==, DRD_EVENT_SETTLING);
    g_assert_true (drd_store_settle_get_progress (f->store, f->event, drd_store_now (), &p, &error));
    g_assert_no_error (error);
    g_assert_cmpint (p.n_settled, ==, 0);
    g_assert_cmpint (p.n_waiting_data, ==, 15);
    g_assert_cmpint (p.next_data_attempt_at, >, drd_store_now ());
    drd_settle_progress_clear (&p);
  }
  /* KEPCO delivers; the next run (at once: it was asked for now) settles. */
  drd_kepco_sim_set_lag_days (f->sim, 0);
  {
    g_autoptr(DrdSettler) settler = drd_settler_new (f->store, client, NULL);
    Wait w = { 0 };

    g_object_set (settler, "wait-for-data", FALSE, NULL);
    drd_settler_settle_event_async (settler, f->event, NULL, settle_cb, &w);
    timed_out = FALSE;
    tid = g_timeout_add_seconds (30, timeout_flag, &timed_out);
    while (!w.done && !timed_out)
      g_main_context_iteration (NULL, TRUE);
    g_assert_false (timed_out);
    g_source_remove (tid);
    g_assert_no_error (w.error);
    g_assert_true (w.ok);
  }
  g_assert_cmpint (event_status (f, f->event), ==, DRD_EVENT_SETTLED);
  check_against_oracle (f, f->sim, 15);
}

/* Jobs waiting a long time for data (data-wait-s 600) are retried at once
 * by drd_settler_retry_now() (the operator's button). */
static void
test_retry_now (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(DrdKepcoClient) client = NULL;
  g_autoptr(GError) error = NULL;
  DrdDate today = drd_date_of_instant (drd_store_now ());
  DrdDate d = today - 1;
  g_autofree char *start = NULL, *end = NULL;
  g_autoptr(DrdSettler) settler = NULL;
  Wait w = { 0 };
  gboolean timed_out = FALSE, retried = FALSE;
  guint tid;

  {
    g_autoptr(DrdCalendar) calendar = load_calendar ();

    while (!drd_date_is_weekday (d) || drd_calendar_is_holiday (calendar, d))
      d--;
  }
  start = drd_time_format_iso8601 (drd_slot_start (d, 40));
  end = drd_time_format_iso8601 (drd_slot_start (d, 44));
  fixture_setup_at (f, 20, start, end);
  f->sim = start_sim (f);
  drd_kepco_sim_set_lag_days (f->sim, (guint) (today - d) + 1);
  client = new_client (f->sim);
  settler = drd_settler_new (f->store, client, NULL);
  g_object_set (settler, "data-wait-s", 600, NULL);
  drd_settler_settle_event_async (settler, f->event, NULL, settle_cb, &w);
  tid = g_timeout_add_seconds (30, timeout_flag, &timed_out);
  while (!w.done && !timed_out)
    {
      g_main_context_iteration (NULL, TRUE);
      if (!retried)
        {
          DrdSettleProgress p;

          g_assert_true (drd_store_settle_get_progress (f->store, f->event, drd_store_now (), &p, &error));
          if (p.n_waiting == 20)
            {
              g_assert_cmpint (p.next_attempt_at, >, drd_store_now () + 500);
              g_assert_cmpint (p.n_waiting_data, ==, 20);
              g_assert_cmpint (p.next_data_attempt_at, ==, p.next_attempt_at);
              drd_kepco_sim_set_lag_days (f->sim, 0);
              drd_settler_retry_now (settler);
              retried = TRUE;
            }
          drd_settle_progress_clear (&p);
        }
    }
  g_assert_false (timed_out);
  g_source_remove (tid);
  g_assert_true (retried);
  g_assert_no_error (w.error);
  g_assert_cmpint (event_status (f, f->event), ==, DRD_EVENT_SETTLED);
  check_against_oracle (f, f->sim, 20);
}

/* The dispatcher ends an event whose end passed; a service-mode settler
 * (connected to it) settles it; answers recorded by the operator after the
 * fact (backfill) are used and audited as channel operator. */
static void
on_event_ended (DrdDispatcher *d,
                gint64         id,
                gpointer       data)
{
  drd_settler_scan (data);
}

static void
on_event_settled (DrdSettler *s,
                  gint64      id,
                  gpointer    data)
{
  *(gint64 *) data = id;
}

static void
test_dispatcher_and_backfill (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoClient) client = NULL;
  g_autoptr(DrdDispatcher) dispatcher = NULL;
  g_autoptr(DrdSettler) settler = NULL;
  g_autoptr(DrdEvent) live_event = drd_event_new ();
  gint64 backfill, live = 0, n = 0, settled = 0, ended = 0;
  gboolean timed_out = FALSE;
  guint tid;
  DrdResponse resp;

  /* A live event whose end passed while nobody ended it (created before
   * its window, as any event the operator starts ahead). */
  live_event->name = g_strdup ("live");
  live_event->kind = DRD_EVENT_KIND_ECONOMIC;
  live_event->start_at = f->start + 14 * 86400;
  live_event->end_at = f->end + 14 * 86400;
  live_event->target_w = 100000;
  g_assert_true (drd_store_start_event (f->store, live_event, "operator:test",
                                        live_event->start_at - 3600, &live, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpint (event_status (f, live), ==, DRD_EVENT_ACTIVE);

  /* Backfill: an event recorded after the fact (window in the past). */
  backfill = start_event (f, "recorded later", f->start + 7 * 86400, f->end + 7 * 86400, "west");
  g_assert_cmpint (event_status (f, backfill), ==, DRD_EVENT_ACTIVE);

  f->sim = start_sim (f);
  drd_kepco_sim_add_event (f->sim, f->start + 7 * 86400, f->end + 7 * 86400);
  drd_kepco_sim_add_event (f->sim, f->start + 14 * 86400, f->end + 14 * 86400);
  client = new_client (f->sim);
  dispatcher = drd_dispatcher_new (f->store);
  g_object_set (dispatcher, "interval-ms", 100, NULL);
  settler = drd_settler_new (f->store, client, NULL);
  g_object_set (settler, "scan-interval-s", 1, NULL);
  g_signal_connect (dispatcher, "event-ended", G_CALLBACK (on_event_ended), settler);
  g_signal_connect (dispatcher, "event-ended", G_CALLBACK (on_event_settled), &ended);
  g_signal_connect (settler, "event-settled", G_CALLBACK (on_event_settled), &settled);
  drd_settler_start (settler);
  drd_dispatcher_start (dispatcher);
  tid = g_timeout_add_seconds (60, timeout_flag, &timed_out);
  while (ended != live && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (ended, ==, live);

  /* Meanwhile the backfilled event stays open for the operator, who
   * answers on the customers' behalf (after the deadline), then ends it. */
  g_assert_cmpint (event_status (f, backfill), ==, DRD_EVENT_ACTIVE);
  drd_store_record_answer (f->store, backfill, 1, DRD_ANSWER_ACCEPT, DRD_CHANNEL_OPERATOR,
                           "operator:test", drd_store_now (), &resp, &error);
  g_assert_no_error (error);
  g_assert_cmpint (resp.channel, ==, DRD_CHANNEL_OPERATOR);
  drd_store_record_answer (f->store, backfill, 3, DRD_ANSWER_ACCEPT, DRD_CHANNEL_OPERATOR,
                           "operator:test", drd_store_now (), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (drd_store_end_event (f->store, backfill, "operator:test", drd_store_now (), &error));
  g_assert_no_error (error);

  /* The service-mode settler settles every ended event by itself. */
  while (!timed_out && (settled == 0 || event_status (f, backfill) != DRD_EVENT_SETTLED
                        || event_status (f, live) != DRD_EVENT_SETTLED
                        || event_status (f, f->event) != DRD_EVENT_SETTLED
                        || event_status (f, f->other_event) != DRD_EVENT_SETTLED))
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (tid);
  g_assert_cmpint (settled, !=, 0);
  check_against_oracle (f, f->sim, N_CUSTOMERS);

  /* Once settled, answers are closed. */
  g_assert_false (drd_store_record_answer (f->store, backfill, 5, DRD_ANSWER_ACCEPT, DRD_CHANNEL_OPERATOR,
                                           "operator:test", drd_store_now (), NULL, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CLOSED);
  g_clear_error (&error);

  /* The backfilled answers were settled, as answered. */
  {
    g_autoptr(GPtrArray) rows = drd_store_settle_list (f->store, backfill, DRD_OUTCOME_PENDING, 0, 2, &error);
    DrdSettleRow *r1 = &((DrdSettleRowCopy *) g_ptr_array_index (rows, 0))->row;
    DrdSettleRow *r3 = &((DrdSettleRowCopy *) g_ptr_array_index (rows, 1))->row;

    g_assert_cmpint (r1->customer_id, ==, 1);
    g_assert_cmpint (r1->answer, ==, DRD_ANSWER_ACCEPT);
    g_assert_cmpint (r3->customer_id, ==, 3);
    g_assert_cmpint (r3->answer, ==, DRD_ANSWER_ACCEPT);
    g_assert_true (r1->outcome == DRD_OUTCOME_PERFORMED || r1->outcome == DRD_OUTCOME_NOT_PERFORMED);
  }
  /* Audit trail: the backfilled answers say channel operator; the live
   * event was ended by the system. */
  {
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_open_v2 (f->db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_prepare_v2 (db,
        "SELECT count(*) FROM audit_log WHERE action = 'answer' AND event_id = ?1 "
        "AND actor = 'operator:test' AND detail LIKE '%\"channel\":\"operator\"%'", -1, &stmt, NULL),
        ==, SQLITE_OK);
    sqlite3_bind_int64 (stmt, 1, backfill);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 2);
    sqlite3_finalize (stmt);
    g_assert_cmpint (sqlite3_prepare_v2 (db,
        "SELECT count(*) FROM audit_log WHERE action = 'event.end' AND event_id = ?1 AND actor = 'system'",
        -1, &stmt, NULL), ==, SQLITE_OK);
    sqlite3_bind_int64 (stmt, 1, live);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 1);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
  }
}

/* Chart data: actual slots equal the oracle; CBL profile equals core's. */
static void
test_chart (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(DrdKepcoClient) client = NULL;
  g_autoptr(DrdSettleChart) chart = NULL;
  g_autoptr(GError) error = NULL;
  char date[9];
  guint n_events = 0;
  const DrdKepcoSimEvent *events;
  gint64 cbl_sum = 0;
  Expected x;

  f->sim = start_sim (f);
  client = new_client (f->sim);
  run_settle (f, client, 1);
  chart = drd_settle_chart_load (f->store, NULL, f->event, 4, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (chart->n_slots, ==, 96);
  events = drd_kepco_sim_get_events (f->sim, &n_events);
  drd_date_format_compact_buf (drd_date_of_instant (f->start), date);
  {
    g_autofree char *no = kepco_no_of (4);
    g_autoptr(DrdKepcoDay) d4 = drd_kepco_sim_day (SEED, no, date, events, n_events, 0.7, 0.3);

    for (int k = 0; k < 96; k++)
      g_assert_cmpint (chart->actual_wh[k], ==, d4->wh[k]);
  }
  expected_for (f, f->sim, 4, TRUE, &x);
  for (guint k = drd_slot_of_instant (f->start); k < (guint) drd_slot_of_instant (f->end); k++)
    cbl_sum += chart->cbl_wh[k];
  g_assert_true (chart->cbl_ok);
  g_assert_cmpint (cbl_sum, ==, x.baseline);
  g_assert_nonnull (chart->explanation);
}

/* ---- drdeskctl: kill -9 mid-way, re-run; export read back by Python ---- */

static char *
build_path (const char *rel)
{
  return g_build_filename (g_getenv ("DRD_BUILD_DIR"), rel, NULL);
}

static GPid
spawn_sim_lag (const char *event_arg,
               const char *latency,
               const char *lag_days,
               char      **url)
{
  g_autofree char *sim = build_path ("src/drdesk-kepco-sim");
  const char *argv[] = { sim, "--listen", "127.0.0.1:0", "--seed", "42", "--event", event_arg,
                         "--latency-ms", latency, "--lag-days", lag_days, NULL };
  g_autoptr(GError) error = NULL;
  GPid pid;
  int out_fd;
  char buf[256];
  gsize len = 0;

  g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                           &pid, NULL, &out_fd, NULL, &error));
  g_assert_no_error (error);
  while (len < sizeof buf - 1)
    {
      gssize r = read (out_fd, buf + len, 1);

      if (r <= 0 || buf[len] == '\n')
        break;
      len++;
    }
  buf[len] = '\0';
  close (out_fd);
  g_assert_true (g_str_has_prefix (buf, "LISTENING "));
  *url = g_strdup (buf + strlen ("LISTENING "));
  return pid;
}

static GPid
spawn_sim (const char *event_arg,
           const char *latency,
           char      **url)
{
  return spawn_sim_lag (event_arg, latency, "0", url);
}

static int
run_ctl (const char * const *args,
         char              **out,
         char              **err)
{
  g_autofree char *ctl = build_path ("src/drdeskctl");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_ptr_array_add (argv, ctl);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               out, err, &status, &error));
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
copy_file (const char *from,
           const char *to)
{
  g_autofree char *data = NULL;
  gsize len;

  if (!g_file_get_contents (from, &data, &len, NULL))
    return;
  g_assert_true (g_file_set_contents (to, data, len, NULL));
}

static char *
ledger_of (const char *db_path,
           gint64      event_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdStore) store = drd_store_open (db_path, &error);
  g_autoptr(GPtrArray) rows = NULL;
  GString *s = g_string_new (NULL);
  g_autofree char *ledger = NULL;

  g_assert_no_error (error);
  ledger = ledger_dump (store, 200);
  g_string_append (s, ledger);
  rows = drd_store_settle_list (store, event_id, DRD_OUTCOME_PENDING, 0, 100000, &error);
  for (guint i = 0; i < rows->len; i++)
    {
      DrdSettleRow *r = &((DrdSettleRowCopy *) g_ptr_array_index (rows, i))->row;

      g_string_append_printf (s, "%" G_GINT64_FORMAT ",%d,%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%d,%"
                              G_GINT64_FORMAT "\n", r->customer_id, r->answer, r->baseline_wh,
                              r->reduction_wh, r->outcome, r->points);
    }
  return g_string_free (s, FALSE);
}

static void
test_cli_kill_and_resume (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *url = NULL, *copy = NULL, *event_arg = NULL, *id = NULL;
  g_autofree char *ctl = build_path ("src/drdeskctl");
  g_autofree char *a = NULL, *b = NULL, *out = NULL, *err = NULL;
  g_autofree char *s = NULL, *e = NULL;
  g_autoptr(GError) error = NULL;
  GPid sim_pid, pid;
  int err_fd;
  GString *progress = g_string_new (NULL);
  gint64 settled_at_kill = 0;

  fixture_setup_at (f, 200, "2026-10-14T14:00:00+09:00", "2026-10-14T16:00:00+09:00");
  g_clear_object (&f->store);   /* closes: everything is in the file */
  copy = g_build_filename (f->dir, "copy.db", NULL);
  copy_file (f->db_path, copy);
  {
    g_autofree char *wal = g_strconcat (f->db_path, "-wal", NULL);
    g_autofree char *wal2 = g_strconcat (copy, "-wal", NULL);

    copy_file (wal, wal2);
  }

  s = drd_time_format_iso8601 (f->start);
  e = drd_time_format_iso8601 (f->end);
  event_arg = g_strdup_printf ("%s/%s", s, e);
  sim_pid = spawn_sim (event_arg, "15", &url);
  id = g_strdup_printf ("%" G_GINT64_FORMAT, f->event);

  /* Uninterrupted run on the copy. */
  {
    const char *args[] = { "--db", copy, "settle", id, "--kepco-url", url, "--service-key", "s3cret", NULL };

    g_assert_cmpint (run_ctl (args, &out, &err), ==, 0);
    g_assert_nonnull (strstr (out, "customers: 200"));
    g_assert_null (strstr (out, "s3cret"));
    g_assert_null (strstr (err, "s3cret"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }

  /* Killed run on the original. */
  {
    const char *argv[] = { ctl, "--db", f->db_path, "settle", id, "--kepco-url", url, "--service-key", "k", NULL };
    char buf[512];

    g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_DO_NOT_REAP_CHILD,
                                             NULL, NULL, &pid, NULL, NULL, &err_fd, &error));
    g_assert_no_error (error);
    for (;;)
      {
        gssize r = read (err_fd, buf, sizeof buf - 1);
        const char *p;

        g_assert_cmpint (r, >, 0);
        buf[r] = '\0';
        g_string_append (progress, buf);
        p = strstr (progress->str, "settled ");
        while (p != NULL)
          {
            gint64 n = g_ascii_strtoll (p + 8, NULL, 10);

            if (n >= 20)
              settled_at_kill = n;
            p = strstr (p + 1, "settled ");
          }
        if (settled_at_kill > 0)
          break;
      }
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
    g_spawn_close_pid (pid);
    close (err_fd);
  }
  {
    g_autoptr(DrdStore) store = drd_store_open (f->db_path, &error);
    DrdSettleProgress p;

    g_assert_no_error (error);
    g_assert_true (drd_store_settle_get_progress (store, f->event, drd_store_now (), &p, &error));
    g_test_message ("killed with %" G_GINT64_FORMAT " of 200 settled, %" G_GINT64_FORMAT " running",
                    p.n_settled, p.n_running);
    g_assert_cmpint (p.n_settled, >=, 20);
    g_assert_cmpint (p.n_settled, <, 200);
    drd_settle_progress_clear (&p);
  }
  /* Without the service key KEPCO answers 401: a clear error at once,
   * nothing settled, nothing lost. */
  {
    const char *args[] = { "--db", f->db_path, "settle", id, "--kepco-url", url, "--service-key", "k", NULL };

    g_assert_cmpint (run_ctl (args, &out, &err), ==, 1);
    g_assert_nonnull (strstr (err, "service key"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  /* Re-run: continues; the key now comes from the key file next to the
   * database (the window's setting). */
  g_assert_true (drd_config_save_service_key (f->db_path, "k", &error));
  g_assert_no_error (error);
  {
    const char *args[] = { "--db", f->db_path, "settle", id, "--kepco-url", url, "--service-key", "k", NULL };

    g_assert_cmpint (run_ctl (args, &out, &err), ==, 0);
    g_assert_nonnull (strstr (out, "customers: 200"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  kill (sim_pid, SIGTERM);
  waitpid (sim_pid, NULL, 0);
  g_spawn_close_pid (sim_pid);

  a = ledger_of (copy, f->event);
  b = ledger_of (f->db_path, f->event);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpuint (strlen (a), >, 100);

  /* Refused for an active event, with a clear message; unknown id → 1. */
  {
    const char *args[] = { "--db", f->db_path, "settle", "999", NULL };

    g_assert_cmpint (run_ctl (args, &out, &err), ==, 1);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  g_string_free (progress, TRUE);
}

static void
write_expected (Fixture    *f,
                const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdStore) store = drd_store_open (f->db_path, &error);
  g_autoptr(GPtrArray) rows = drd_store_settle_list (store, f->event, DRD_OUTCOME_PENDING, 0, 100000, &error);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  /* Raw values (Wh, Unix s) in JSON; the script formats them itself. */
  json_builder_begin_array (b);
  for (guint i = 0; i < rows->len; i++)
    {
      DrdSettleRow *r = &((DrdSettleRowCopy *) g_ptr_array_index (rows, i))->row;

      json_builder_begin_array (b);
      json_builder_add_int_value (b, f->event);
      json_builder_add_string_value (b, "Evening peak, \"big\" one");
      json_builder_add_int_value (b, r->customer_id);
      json_builder_add_string_value (b, r->customer_name);
      json_builder_add_string_value (b, r->kepco_no);
      json_builder_add_string_value (b, drd_answer_to_string (r->answer));
      if (r->answered_at != 0)
        json_builder_add_int_value (b, r->answered_at);
      else
        json_builder_add_null_value (b);
      if (r->baseline_known)
        json_builder_add_int_value (b, r->baseline_wh);
      else
        json_builder_add_null_value (b);
      if (r->actual_known)
        json_builder_add_int_value (b, r->actual_wh);
      else
        json_builder_add_null_value (b);
      if (r->reduction_known)
        json_builder_add_int_value (b, r->reduction_wh);
      else
        json_builder_add_null_value (b);
      json_builder_add_string_value (b, drd_outcome_to_string (r->outcome));
      json_builder_add_int_value (b, r->points);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  g_assert_true (json_generator_to_file (gen, path, &error));
  g_assert_no_error (error);
}

static void
test_export_csv_python (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(DrdKepcoClient) client = NULL;
  g_autofree char *csv = g_build_filename (f->dir, "out.csv", NULL);
  g_autofree char *bom_csv = g_build_filename (f->dir, "bom.csv", NULL);
  g_autofree char *expected = g_build_filename (f->dir, "expected.json", NULL);
  g_autofree char *script = g_build_filename (g_getenv ("DRD_SOURCE_DIR"), "tests", "service",
                                              "check-settlement-csv.py", NULL);
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, f->event);
  g_autofree char *out = NULL, *err = NULL, *stdout_csv = NULL, *file_csv = NULL;
  gsize len;

  f->sim = start_sim (f);
  client = new_client (f->sim);
  run_settle (f, client, 1);
  g_clear_object (&f->store);
  write_expected (f, expected);

  {
    const char *args[] = { "--db", f->db_path, "export", "settlement", id, "--output", csv, NULL };

    g_assert_cmpint (run_ctl (args, &out, &err), ==, 0);
    g_assert_cmpstr (out, ==, "");
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  {
    const char *args[] = { "--db", f->db_path, "export", "settlement", id, "--output", bom_csv, "--bom", NULL };

    g_assert_cmpint (run_ctl (args, &out, &err), ==, 0);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  {
    const char *args[] = { "--db", f->db_path, "export", "settlement", id, NULL };

    g_assert_cmpint (run_ctl (args, &stdout_csv, &err), ==, 0);
    g_clear_pointer (&err, g_free);
  }
  g_assert_true (g_file_get_contents (csv, &file_csv, &len, NULL));
  g_assert_cmpstr (stdout_csv, ==, file_csv);
  g_assert_true (g_str_has_prefix (file_csv, "event_id,event_name,customer_id,customer_name,"
                                   "kepco_customer_no,answer,answered_at,baseline_kwh,actual_kwh,"
                                   "reduction_kwh,outcome,points\r\n"));

  {
    const char *argv[] = { "/usr/bin/python3", script, csv, expected, NULL };
    const char *argv_bom[] = { "/usr/bin/python3", script, bom_csv, expected, "--bom", NULL };
    g_autoptr(GError) error = NULL;
    int status = 0;

    if (!g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
      {
        g_test_skip ("no /usr/bin/python3");
        return;
      }
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                                 &status, &error));
    g_test_message ("%s%s", out, err);
    g_assert_cmpint (status, ==, 0);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_true (g_spawn_sync (NULL, (char **) argv_bom, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                                 &status, &error));
    g_test_message ("%s%s", out, err);
    g_assert_cmpint (status, ==, 0);
  }
  /* Unknown event: exit 1, no file written. */
  {
    g_autofree char *none = g_build_filename (f->dir, "none.csv", NULL);
    const char *args[] = { "--db", f->db_path, "export", "settlement", "999", "--output", none, NULL };

    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run_ctl (args, &out, &err), ==, 1);
    g_assert_false (g_file_test (none, G_FILE_TEST_EXISTS));
  }
}

/* drdeskctl settle when KEPCO has no data yet (simulator --lag-days):
 * it does not sit there for days; it says how many customers wait for
 * KEPCO data until when, exits with status 3, and settles nothing. */
static void
test_cli_settle_waiting_exit_3 (Fixture       *f,
                                gconstpointer  data)
{
  DrdDate d = last_workday ();
  g_autofree char *start = drd_time_format_iso8601 (drd_slot_start (d, 40));
  g_autofree char *end = drd_time_format_iso8601 (drd_slot_start (d, 44));
  DrdDate today = drd_date_of_instant (drd_store_now ());
  g_autofree char *event_arg = NULL, *url = NULL, *id = NULL, *lag = NULL;
  g_autofree char *out = NULL, *err = NULL, *until = NULL;
  GPid sim_pid;

  fixture_setup_at (f, 10, start, end);
  event_arg = g_strdup_printf ("%s/%s", start, end);
  lag = g_strdup_printf ("%d", (int) (today - d) + 1);
  sim_pid = spawn_sim_lag (event_arg, "0", lag, &url);
  id = g_strdup_printf ("%" G_GINT64_FORMAT, f->event);
  {
    const char *args[] = { "--db", f->db_path, "settle", id, "--kepco-url", url, "--service-key", "k", NULL };

    int status = run_ctl (args, &out, &err);

    kill (sim_pid, SIGTERM);
    waitpid (sim_pid, NULL, 0);
    g_spawn_close_pid (sim_pid);
    g_test_message ("stderr: %s", err);
    g_assert_cmpint (status, ==, 3);
  }
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "10 customers wait for KEPCO meter data until "));
  until = drd_time_format_iso8601 (f->end + DRD_SETTLER_DEFAULT_DATA_DEADLINE_S);
  g_assert_nonnull (strstr (err, until));
  g_assert_nonnull (strstr (err, "again later"));
  g_assert_cmpint (count_settlements (f), ==, 0);
  g_assert_cmpint (event_status (f, f->event), ==, DRD_EVENT_SETTLING);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/settle/outcomes-match-oracle", test_outcomes_match_oracle);
  ADD ("/settle/rerun-no-double-credit", test_rerun_jobs_no_double_credit);
  ADD ("/settle/racing-settlers", test_racing_settlers);
  ADD ("/settle/faults-same-results", test_faults_give_same_results);
  ADD ("/settle/outage-waits", test_outage_waits);
  g_test_add ("/settle/lag-waits-then-completes", Fixture, NULL, fixture_setup_later,
              test_lag_waits_then_completes, fixture_teardown);
  g_test_add ("/settle/retry-now", Fixture, NULL, fixture_setup_later, test_retry_now, fixture_teardown);
  g_test_add ("/settle/ended-mid-slot-waits", Fixture, NULL, fixture_setup_later,
              test_ended_mid_slot_waits, fixture_teardown);
  g_test_add ("/settle/lag-past-deadline-needs-review", Fixture, NULL, fixture_setup_later,
              test_lag_past_deadline_needs_review, fixture_teardown);
  g_test_add ("/settle/cli-mode-waits-for-data", Fixture, NULL, fixture_setup_later,
              test_cli_mode_waits_for_data, fixture_teardown);
  ADD ("/settle/dispatcher-and-backfill", test_dispatcher_and_backfill);
  ADD ("/settle/chart", test_chart);
  g_test_add ("/settle/cli-kill-and-resume", Fixture, NULL, fixture_setup_later,
              test_cli_kill_and_resume, fixture_teardown);
  ADD ("/settle/export-csv-python", test_export_csv_python);
  g_test_add ("/settle/cli-settle-waiting-exit-3", Fixture, NULL, fixture_setup_later,
              test_cli_settle_waiting_exit_3, fixture_teardown);
#undef ADD
  return g_test_run ();
}
