/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Operator answers until the customer is settled (issue: "the operator may
 * record answers on a customer's behalf until the event is settled, also
 * for an event recorded after the fact"): the store's rule per customer,
 * the settler's commit that never writes a result computed with a stale
 * answer, and races between the two. Real SQLite file, real simulator on
 * 127.0.0.1 port 0, real client and settler. */
#include "stress-util.h"

#include "service/drd-settler.h"
#include "service/drd-settler-private.h"

#define N_CUSTOMERS 60

typedef struct {
  char        *dir;
  char        *db_path;
  DrdStore    *store;
  DrdKepcoSim *sim;
  gint64       event;
  gint64       start, end;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("drd-late-XXXXXX", &error);
  g_assert_no_error (error);
  f->db_path = g_build_filename (f->dir, "drdesk.db", NULL);
  f->store = drd_store_open (f->db_path, &error);
  g_assert_no_error (error);
  stress_load_holidays (f->store);
  stress_add_customers (f->store, N_CUSTOMERS);
  /* A Wednesday afternoon in the past; recorded after the fact. */
  f->start = stress_iso ("2026-10-14T14:00:00+09:00");
  f->end = stress_iso ("2026-10-14T16:00:00+09:00");
  f->event = stress_start_event (f->store, "late answers", f->start, f->end, drd_store_now ());
  stress_answer_all (f->store, f->event, N_CUSTOMERS);
  g_assert_true (drd_store_end_event (f->store, f->event, "operator:test", drd_store_now (), &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->sim);
  g_clear_object (&f->store);
  if (f->dir != NULL)
    stress_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->db_path);
}

static gboolean
operator_answer (Fixture    *f,
                 gint64      customer,
                 DrdAnswer   answer,
                 DrdResponse *out,
                 GError    **error)
{
  return drd_store_record_answer (f->store, f->event, customer, answer, DRD_CHANNEL_OPERATOR,
                                  "operator:test", drd_store_now (), out, error);
}

static DrdSettleResult
result_for (Fixture *f,
            gint64   customer,
            gint64   job_id)
{
  DrdSettleResult r = { 0 };
  DrdResponse resp;
  g_autoptr(GError) error = NULL;

  g_assert_true (drd_store_get_response (f->store, f->event, customer, &resp, &error));
  g_assert_no_error (error);
  r.job_id = job_id;
  r.event_id = f->event;
  r.customer_id = customer;
  r.answer = resp.answer;
  r.answered_at = resp.answered_at;
  r.baseline_known = r.actual_known = TRUE;
  r.baseline_wh = 5000;
  r.actual_wh = 3000;
  r.reduction_wh = 2000;
  r.outcome = resp.answer == DRD_ANSWER_ACCEPT ? DRD_OUTCOME_PERFORMED : DRD_OUTCOME_NOT_PARTICIPATING;
  r.points = r.outcome == DRD_OUTCOME_PERFORMED ? 200 : 0;
  return r;
}

static gint64
job_of (Fixture *f,
        gint64   customer)
{
  return stress_sql_int (f->db_path,
                         "SELECT id FROM jobs WHERE kind = 'settle' AND event_id = ? AND customer_id = ?",
                         "ii", f->event, customer);
}

static gint64
n_credits (Fixture *f,
           gint64   customer)
{
  return stress_sql_int (f->db_path,
                         "SELECT count(*) FROM points_ledger WHERE event_id = ? AND customer_id = ?",
                         "ii", f->event, customer);
}

static gboolean
has_settlement (Fixture *f,
                gint64   customer)
{
  return stress_sql_int (f->db_path,
                         "SELECT count(*) FROM settlements WHERE event_id = ? AND customer_id = ?",
                         "ii", f->event, customer) == 1;
}

/* ---- store ---- */

/* Ended, settling: accepted per customer until that customer's row
 * exists; then CLOSED with the customer named. Settled and cancelled:
 * closed. The portal: never after the end. */
static void
test_store_rules (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdSettleBatch) batch = NULL;
  g_autofree char *expected = NULL;
  DrdSettleResult r;
  DrdResponse resp;
  gint64 other;

  /* Ended, nobody settled: the operator may answer. */
  g_assert_true (operator_answer (f, 3, DRD_ANSWER_ACCEPT, &resp, &error));
  g_assert_no_error (error);
  g_assert_cmpint (resp.answer, ==, DRD_ANSWER_ACCEPT);

  /* Settling (jobs created): still, customer by customer. */
  g_assert_true (drd_store_settle_schedule (f->store, f->event, drd_store_now (), NULL, &error));
  g_assert_no_error (error);
  {
    g_autoptr(DrdEvent) e = drd_store_get_event (f->store, f->event, drd_store_now (), &error);

    g_assert_cmpint (e->status, ==, DRD_EVENT_SETTLING);
  }
  g_assert_true (operator_answer (f, 5, DRD_ANSWER_DENY, &resp, &error));
  g_assert_no_error (error);
  g_assert_cmpint (resp.answer, ==, DRD_ANSWER_DENY);
  g_assert_cmpint (resp.channel, ==, DRD_CHANNEL_OPERATOR);
  g_assert_false (drd_store_record_answer (f->store, f->event, 5, DRD_ANSWER_ACCEPT, DRD_CHANNEL_PORTAL,
                                           "portal", drd_store_now (), NULL, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CLOSED);
  g_clear_error (&error);

  /* Customer 5 gets its settlement row: its answers close, 6's do not. */
  batch = drd_settle_batch_new (drd_store_now ());
  r = result_for (f, 5, job_of (f, 5));
  g_array_append_val (batch->results, r);
  g_assert_true (drd_store_settle_commit (f->store, batch, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (batch->n_settled, ==, 1);
  g_assert_cmpuint (batch->n_stale, ==, 0);

  expected = g_strdup_printf ("customer 5 of event %" G_GINT64_FORMAT " is already settled", f->event);
  g_assert_false (operator_answer (f, 5, DRD_ANSWER_ACCEPT, NULL, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CLOSED);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);
  /* Even repeating the stored answer is refused (nothing to record). */
  g_assert_false (operator_answer (f, 5, DRD_ANSWER_DENY, NULL, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_true (operator_answer (f, 6, DRD_ANSWER_DENY, NULL, &error));
  g_assert_no_error (error);

  /* Settled: closed for everyone, settled or not (forced here). */
  g_assert_true (drd_store_set_event_status (f->store, f->event, DRD_EVENT_SETTLED, "test",
                                             drd_store_now (), &error));
  g_assert_no_error (error);
  g_assert_false (operator_answer (f, 7, DRD_ANSWER_DENY, NULL, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CLOSED);
  g_clear_error (&error);

  /* Cancelled: never. */
  other = stress_start_event (f->store, "cancelled", f->start + 86400, f->end + 86400,
                              f->start);
  g_assert_true (drd_store_cancel_event (f->store, other, "operator:test", drd_store_now (), &error));
  g_assert_no_error (error);
  g_assert_false (drd_store_record_answer (f->store, other, 1, DRD_ANSWER_ACCEPT, DRD_CHANNEL_OPERATOR,
                                           "operator:test", drd_store_now (), NULL, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CLOSED);
  g_clear_error (&error);

  /* Refused answers left no trace: customer 5 has its two real changes
   * (accept at setup, deny while settling), customer 7 none. */
  {
    const char *sql = "SELECT count(*) FROM audit_log WHERE action = 'answer' "
                      "AND event_id = ? AND customer_id = ?";

    g_assert_cmpint (stress_sql_int (f->db_path, sql, "ii", f->event, (gint64) 5), ==, 2);
    g_assert_cmpint (stress_sql_int (f->db_path, sql, "ii", f->event, (gint64) 7), ==, 0);
  }
}

/* A result computed with an answer that changed before the commit is not
 * written; its job is due again; a result with the current answer is. */
static void
test_store_stale_commit (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdSettleBatch) batch = NULL;
  g_autoptr(DrdSettleBatch) again = NULL;
  g_autoptr(DrdJob) job = NULL;
  DrdSettleResult r;
  DrdResponse resp;

  g_assert_true (drd_store_settle_schedule (f->store, f->event, drd_store_now (), NULL, &error));
  g_assert_no_error (error);

  /* Computed from the answers as they are now ... */
  batch = drd_settle_batch_new (drd_store_now ());
  for (gint64 c = 1; c <= 4; c++)
    {
      r = result_for (f, c, job_of (f, c));
      g_array_append_val (batch->results, r);
    }
  /* ... then customer 1 (accept) is changed to deny, customer 4 repeats
   * its answer (no change), customer 3 (none) answers accept. */
  g_assert_true (operator_answer (f, 1, DRD_ANSWER_DENY, NULL, &error));
  g_assert_true (operator_answer (f, 4, DRD_ANSWER_ACCEPT, NULL, &error));
  g_assert_true (operator_answer (f, 3, DRD_ANSWER_ACCEPT, &resp, &error));
  g_assert_no_error (error);

  g_assert_true (drd_store_settle_commit (f->store, batch, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (batch->n_settled, ==, 2);   /* 2 and 4 */
  g_assert_cmpuint (batch->n_stale, ==, 2);     /* 1 and 3 */
  g_assert_cmpint (batch->points_credited, ==, 200);   /* 4 accepted */
  g_assert_false (has_settlement (f, 1));
  g_assert_false (has_settlement (f, 3));
  g_assert_true (has_settlement (f, 2));
  g_assert_true (has_settlement (f, 4));
  g_assert_cmpint (n_credits (f, 1), ==, 0);

  job = drd_store_get_job (f->store, job_of (f, 1), &error);
  g_assert_no_error (error);
  g_assert_cmpint (job->state, ==, DRD_JOB_PENDING);
  g_assert_cmpint (job->next_attempt_at, <=, drd_store_now ());
  g_assert_cmpint (job->attempts, ==, 0);
  g_assert_nonnull (strstr (job->last_error, "answer changed"));

  /* Still open for 1 and 3 (no row); a result with the current answers
   * settles them; then they close. */
  again = drd_settle_batch_new (drd_store_now ());
  r = result_for (f, 1, job_of (f, 1));
  g_assert_cmpint (r.answer, ==, DRD_ANSWER_DENY);
  g_array_append_val (again->results, r);
  r = result_for (f, 3, job_of (f, 3));
  g_assert_cmpint (r.answered_at, ==, resp.answered_at);
  g_array_append_val (again->results, r);
  g_assert_true (drd_store_settle_commit (f->store, again, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (again->n_settled, ==, 2);
  g_assert_cmpuint (again->n_stale, ==, 0);
  g_assert_cmpint (n_credits (f, 1), ==, 0);
  g_assert_cmpint (n_credits (f, 3), ==, 1);
  g_assert_false (operator_answer (f, 3, DRD_ANSWER_DENY, NULL, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CLOSED);
  g_clear_error (&error);

  /* A stale result for a customer whose row exists: "already", job done. */
  {
    g_autoptr(DrdSettleBatch) late = drd_settle_batch_new (drd_store_now ());
    g_autoptr(DrdJob) j2 = NULL;

    r = result_for (f, 2, job_of (f, 2));
    r.answer = DRD_ANSWER_ACCEPT;
    r.points = 999;
    g_array_append_val (late->results, r);
    g_assert_true (drd_store_settle_commit (f->store, late, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (late->n_already, ==, 1);
    g_assert_cmpuint (late->n_stale, ==, 0);
    g_assert_cmpint (n_credits (f, 2), ==, 0);
    j2 = drd_store_get_job (f->store, job_of (f, 2), &error);
    g_assert_cmpint (j2->state, ==, DRD_JOB_DONE);
  }
}

/* ---- service ---- */

typedef struct {
  gboolean done;
  gboolean ok;
  GError  *error;
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

static void
run_settler (Fixture   *f,
             DrdSettler *settler)
{
  Wait w = { 0 };
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (90, stress_timeout_flag, &timed_out);

  g_object_set (settler, "retry-base-s", 1, "retry-cap-s", 1, "data-wait-s", 1, NULL);
  drd_settler_settle_event_async (settler, f->event, NULL, settle_cb, &w);
  while (!w.done && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (id);
  g_assert_no_error (w.error);
  g_assert_true (w.ok);
}

/* Every customer: settlement answer = response answer (and answered_at);
 * at most one credit, equal to the settlement's points; credits only for
 * performed customers. */
static void
check_consistent (Fixture *f)
{
  const char *sql =
      "SELECT count(*) FROM responses r LEFT JOIN settlements s "
      "ON s.event_id = r.event_id AND s.customer_id = r.customer_id "
      "WHERE r.event_id = ?1 AND (s.customer_id IS NULL OR s.answer <> r.answer "
      "OR coalesce(s.answered_at, 0) <> coalesce(r.answered_at, 0))";
  const char *sql_credit =
      "SELECT count(*) FROM settlements s LEFT JOIN points_ledger l "
      "ON l.event_id = s.event_id AND l.customer_id = s.customer_id AND l.reason = 'dr_reward' "
      "WHERE s.event_id = ?1 AND ((s.points > 0) <> (l.id IS NOT NULL) "
      "OR (l.id IS NOT NULL AND (l.points <> s.points OR s.outcome <> 1)))";
  const char *sql_dup =
      "SELECT count(*) FROM (SELECT customer_id FROM points_ledger WHERE event_id = ?1"
      " GROUP BY customer_id HAVING count(*) > 1)";

  g_assert_cmpint (stress_sql_int (f->db_path, sql, "i", f->event), ==, 0);
  g_assert_cmpint (stress_sql_int (f->db_path, sql_credit, "i", f->event), ==, 0);
  g_assert_cmpint (stress_sql_int (f->db_path, sql_dup, "i", f->event), ==, 0);
}

/* Answers recorded while the event is settling (before the settler got to
 * those customers) are the ones settled. */
static void
test_service_settling_answer_used (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoClient) client = NULL;
  g_autoptr(DrdSettler) settler = NULL;
  DrdResponse r2, r3;

  g_assert_true (drd_store_settle_schedule (f->store, f->event, drd_store_now (), NULL, &error));
  g_assert_no_error (error);
  /* 2 denied, 3 did not answer: now both accept, recorded by the operator. */
  g_assert_true (operator_answer (f, 2, DRD_ANSWER_ACCEPT, &r2, &error));
  g_assert_true (operator_answer (f, 3, DRD_ANSWER_ACCEPT, &r3, &error));
  g_assert_no_error (error);

  f->sim = stress_start_sim (f->start, f->end);
  client = stress_new_client (drd_kepco_sim_get_url (f->sim));
  settler = drd_settler_new (f->store, client, NULL);
  run_settler (f, settler);

  g_assert_cmpint (stress_sql_int (f->db_path, "SELECT count(*) FROM settlements WHERE event_id = ? "
                                   "AND customer_id IN (2, 3) AND answer = 1 AND outcome IN (1, 2)",
                                   "i", f->event), ==, 2);
  check_consistent (f);
  g_assert_false (operator_answer (f, 2, DRD_ANSWER_DENY, NULL, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CLOSED);
}

/* The answer changes between compute and commit (the hook runs right
 * before a batch is submitted): the commit refuses the stale result, the
 * customer is computed again, and the settlement reflects the final
 * answer with exactly one credit. */
typedef struct {
  Fixture *f;
  gint64   to_accept;   /* denied, reduces: becomes accept */
  gint64   to_deny;     /* accepted, reduces: becomes deny */
  guint    n_changed;
  gboolean accept_done, deny_done;
  gint64   accept_at;
} Race;

static void
race_hook (DrdSettler     *settler,
           DrdSettleBatch *batch,
           gpointer        user_data)
{
  Race *race = user_data;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < batch->results->len; i++)
    {
      DrdSettleResult *r = &g_array_index (batch->results, DrdSettleResult, i);
      DrdResponse resp;

      if (r->customer_id == race->to_accept && !race->accept_done)
        {
          race->accept_done = TRUE;
          g_assert_cmpint (r->answer, ==, DRD_ANSWER_DENY);
          g_assert_true (operator_answer (race->f, race->to_accept, DRD_ANSWER_ACCEPT, &resp, &error));
          g_assert_no_error (error);
          race->accept_at = resp.answered_at;
          race->n_changed++;
        }
      else if (r->customer_id == race->to_deny && !race->deny_done)
        {
          race->deny_done = TRUE;
          g_assert_cmpint (r->answer, ==, DRD_ANSWER_ACCEPT);
          g_assert_cmpint (r->points, >, 0);
          g_assert_true (operator_answer (race->f, race->to_deny, DRD_ANSWER_DENY, NULL, &error));
          g_assert_no_error (error);
          race->n_changed++;
        }
    }
}

static void
test_service_race_hook (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoClient) client = NULL;
  g_autoptr(DrdSettler) settler = NULL;
  Race race = { f, 0, 0, 0, FALSE, FALSE, 0 };
  g_autofree char *row_accept = NULL, *row_deny = NULL;

  /* Reducers (the simulator's oracle) whose answers flip the outcome. */
  for (guint i = 1; i <= N_CUSTOMERS && (race.to_accept == 0 || race.to_deny == 0); i++)
    {
      g_autofree char *no = stress_kepco_no (i);

      if (!drd_kepco_sim_is_reducer (STRESS_SEED, no, 0.7) || i % 4 == 0)
        continue;   /* (factories may be judged abnormal: keep it simple) */
      if (stress_answer_of (i) == DRD_ANSWER_DENY && race.to_accept == 0)
        race.to_accept = i;
      else if (stress_answer_of (i) == DRD_ANSWER_ACCEPT && race.to_deny == 0)
        race.to_deny = i;
    }
  g_assert_cmpint (race.to_accept, >, 0);
  g_assert_cmpint (race.to_deny, >, 0);

  f->sim = stress_start_sim (f->start, f->end);
  client = stress_new_client (drd_kepco_sim_get_url (f->sim));
  settler = drd_settler_new (f->store, client, NULL);
  drd_settler_set_commit_hook (settler, race_hook, &race);
  run_settler (f, settler);
  g_assert_cmpuint (race.n_changed, ==, 2);

  row_accept = stress_sql_dump (f->db_path,
                                "SELECT answer || ',' || answered_at || ',' || outcome || ',' || (points > 0) "
                                "FROM settlements WHERE event_id = ? AND customer_id = ?",
                                "ii", f->event, race.to_accept);
  g_test_message ("flipped to accept: %s", row_accept);
  {
    g_autofree char *want = g_strdup_printf ("1,%" G_GINT64_FORMAT ",1,1\n", race.accept_at);

    g_assert_cmpstr (row_accept, ==, want);
  }
  row_deny = stress_sql_dump (f->db_path,
                              "SELECT answer || ',' || outcome || ',' || points FROM settlements "
                              "WHERE event_id = ? AND customer_id = ?", "ii", f->event, race.to_deny);
  g_assert_cmpstr (row_deny, ==, "2,3,0\n");
  g_assert_cmpint (n_credits (f, race.to_accept), ==, 1);
  g_assert_cmpint (n_credits (f, race.to_deny), ==, 0);
  check_consistent (f);
}

/* A thread keeps recording operator answers for random customers while
 * the settler runs: each answer is either accepted (and then it is the
 * one settled, unless a later one replaced it) or refused as "already
 * settled" — never accepted and then ignored. */
typedef struct {
  Fixture   *f;
  gint       stop;
  guint      n_accepted;
  guint      n_refused;
  DrdAnswer  last[N_CUSTOMERS + 1];     /* last accepted answer */
  gint64     last_at[N_CUSTOMERS + 1];
  gboolean   closed[N_CUSTOMERS + 1];   /* refused once */
  char      *failure;
} Hammer;

static gpointer
hammer_thread (gpointer data)
{
  Hammer *h = data;
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  while (!g_atomic_int_get (&h->stop))
    {
      gint64 c = g_rand_int_range (rand, 1, N_CUSTOMERS + 1);
      DrdAnswer a = g_rand_boolean (rand) ? DRD_ANSWER_ACCEPT : DRD_ANSWER_DENY;
      DrdResponse resp;
      GError *error = NULL;

      if (operator_answer (h->f, c, a, &resp, &error))
        {
          if (h->closed[c] && h->failure == NULL)
            h->failure = g_strdup_printf ("customer %" G_GINT64_FORMAT " accepted after refusal", c);
          h->last[c] = resp.answer;
          h->last_at[c] = resp.answered_at;
          h->n_accepted++;
        }
      else
        {
          /* The customer's row exists, or (after the end) the event is settled. */
          if (!g_error_matches (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CLOSED)
              || (strstr (error->message, "already settled") == NULL
                  && strstr (error->message, "the event is settled") == NULL))
            {
              if (h->failure == NULL)
                h->failure = g_strdup (error->message);
            }
          h->closed[c] = TRUE;
          h->n_refused++;
          g_error_free (error);
        }
      g_usleep (g_rand_int_range (rand, 0, 3000));
    }
  return NULL;
}

static void
test_service_race_random (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoClient) client = NULL;
  g_autoptr(DrdSettler) settler = NULL;
  Hammer *h = g_new0 (Hammer, 1);
  GThread *thread;

  for (guint i = 1; i <= N_CUSTOMERS; i++)
    {
      DrdResponse resp;

      g_assert_true (drd_store_get_response (f->store, f->event, i, &resp, &error));
      h->last[i] = resp.answer;
      h->last_at[i] = resp.answered_at;
    }
  h->f = f;
  f->sim = stress_start_sim (f->start, f->end);
  /* Slow enough that settlement and answers overlap for a while. */
  drd_kepco_sim_set_latency_ms (f->sim, 5);
  client = stress_new_client (drd_kepco_sim_get_url (f->sim));
  settler = drd_settler_new (f->store, client, NULL);
  thread = g_thread_new ("hammer", hammer_thread, h);
  run_settler (f, settler);
  /* Keep hammering a little after the end: everything is closed now. */
  g_usleep (100000);
  g_atomic_int_set (&h->stop, 1);
  g_thread_join (thread);

  g_test_message ("answers accepted %u, refused %u", h->n_accepted, h->n_refused);
  g_assert_null (h->failure);
  g_assert_cmpuint (h->n_accepted, >, 0);
  g_assert_cmpuint (h->n_refused, >, 0);
  check_consistent (f);
  /* The settled answer of each customer is its last accepted one. */
  for (guint i = 1; i <= N_CUSTOMERS; i++)
    {
      g_assert_cmpint (stress_sql_int (f->db_path,
                                       "SELECT answer * 10000000000 + coalesce(answered_at, 0) "
                                       "FROM settlements WHERE event_id = ? AND customer_id = ?",
                                       "ii", f->event, (gint64) i), ==,
                       (gint64) h->last[i] * G_GINT64_CONSTANT (10000000000) + h->last_at[i]);
    }
  g_free (h->failure);
  g_free (h);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/late-answers/store/rules", test_store_rules);
  ADD ("/late-answers/store/stale-commit", test_store_stale_commit);
  ADD ("/late-answers/service/settling-answer-used", test_service_settling_answer_used);
  ADD ("/late-answers/service/race-hook", test_service_race_hook);
  ADD ("/late-answers/service/race-random", test_service_race_random);
#undef ADD
  return g_test_run ();
}
