/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdKepcoClient against the real simulator on 127.0.0.1, in process. */
#include "kepco-test-util.h"

#define SEED 31
#define KEY "s3cr3t/KEY+with=chars&more"

typedef struct {
  DrdKepcoSim *sim;
  DrdKepcoClient *client;
  gint64 fake_now;          /* µs, for the breaker's cooldown */
} Fixture;

static gint64
fake_clock (gpointer data)
{
  return ((Fixture *) data)->fake_now;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  DrdKepcoSimConfig config;
  g_autoptr(GError) error = NULL;

  drd_kepco_sim_config_init (&config);
  config.seed = SEED;
  f->sim = drd_kepco_sim_new (&config);
  g_assert_true (drd_kepco_sim_listen (f->sim, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  f->client = drd_kepco_client_new (drd_kepco_sim_get_url (f->sim), KEY);
  /* Small delays keep the suite fast; the logic is the same. */
  g_object_set (f->client,
                "timeout-ms", 2000,
                "backoff-base-ms", 5,
                "backoff-cap-ms", 20,
                "max-attempts", 4,
                "breaker-threshold", 1000,
                NULL);
  drd_kepco_client_set_jitter_seed (f->client, 1);
  f->fake_now = 1000000000;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_assert_finalize_object (f->client);
  g_assert_finalize_object (f->sim);
}

static char *
cust (guint i)
{
  return g_strdup_printf ("%010u", 2000000 + i * 104729);
}

static void
test_happy_path (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *c = cust (i);
      char date[9];
      g_autoptr(GError) error = NULL;
      g_autoptr(DrdKepcoDay) day = NULL;
      g_autoptr(DrdKepcoDay) want = NULL;

      past_date (i, date);
      day = fetch_sync (f->client, c, date, &error);
      g_assert_no_error (error);
      g_assert_cmpint (day->status, ==, DRD_KEPCO_DAY_OK);
      want = drd_kepco_sim_day_baseline (SEED, c, date);
      assert_same_day (day, want);
    }
  g_assert_cmpuint (drd_kepco_client_get_n_requests (f->client), ==, 12);
  g_assert_cmpuint (drd_kepco_client_get_n_failures (f->client), ==, 0);
  g_assert_cmpuint (drd_kepco_client_get_n_retries (f->client), ==, 0);
  g_assert_cmpint (drd_kepco_client_get_breaker_state (f->client), ==, DRD_KEPCO_BREAKER_CLOSED);
  g_assert_null (drd_kepco_client_dup_last_error (f->client));

  /* YYYY-MM-DD works too. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(DrdKepcoDay) day = NULL;
    char date[9], iso[11];

    past_date (3, date);
    g_snprintf (iso, sizeof iso, "%.4s-%.2s-%.2s", date, date + 4, date + 6);
    day = fetch_sync (f->client, "42", iso, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (day->date, ==, date);
  }
}

/* String and number values, missing slots: exactly what the oracle says. */
static void
test_forms_and_missing (Fixture *f, gconstpointer data)
{
  gboolean found = FALSE;

  for (guint i = 0; i < 200 && !found; i++)
    for (guint d = 0; d < 10 && !found; d++)
      {
        g_autofree char *c = cust (i);
        char date[9];
        g_autoptr(DrdKepcoDay) want = NULL;
        g_autoptr(DrdKepcoDay) got = NULL;
        g_autoptr(GError) error = NULL;
        guint n_num = 0;

        past_date (d, date);
        want = drd_kepco_sim_day_baseline (SEED, c, date);
        if (want->n_present == 96)
          continue;
        for (guint s = 0; s < 96; s++)
          n_num += want->wh[s] >= 0 && drd_kepco_sim_slot_is_number (SEED, c, date, s);
        g_assert_cmpuint (n_num, >, 0);
        got = fetch_sync (f->client, c, date, &error);
        g_assert_no_error (error);
        assert_same_day (got, want);
        g_assert_cmpuint (got->n_present, <, 96);
        found = TRUE;
      }
  g_assert_true (found);
}

static void
test_not_yet_available (Fixture *f, gconstpointer data)
{
  gint64 today = (g_get_real_time () / G_USEC_PER_SEC + 9 * 3600) / 86400 + 719163;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoDay) day = NULL;
  char date[9];
  GDate d;

  drd_kepco_sim_set_lag_days (f->sim, 2);
  g_date_clear (&d, 1);
  g_date_set_julian (&d, (guint32) (today - 1));
  g_snprintf (date, sizeof date, "%04u%02u%02u", g_date_get_year (&d), g_date_get_month (&d), g_date_get_day (&d));
  day = fetch_sync (f->client, "123", date, &error);
  g_assert_no_error (error);
  g_assert_cmpint (day->status, ==, DRD_KEPCO_DAY_NOT_YET_AVAILABLE);
  g_assert_cmpuint (day->n_present, ==, 0);
  g_assert_cmpuint (drd_kepco_client_get_n_retries (f->client), ==, 0);
}

typedef struct {
  GArray *delays;
  GArray *ceilings;
} RetryLog;

static void
on_retry (DrdKepcoClient *client, guint attempt, guint delay, guint ceiling, RetryLog *log)
{
  g_array_append_val (log->delays, delay);
  g_array_append_val (log->ceilings, ceiling);
}

static void
on_sim_request (DrdKepcoSim *sim, const char *cust_no, const char *date, GArray *times)
{
  gint64 now = g_get_monotonic_time ();
  g_array_append_val (times, now);
}

static void
test_retry_then_success (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoDay) day = NULL;
  g_autofree char *last = NULL;
  char date[9];

  past_date (1, date);
  drd_kepco_sim_force_status (f->sim, 503, 2);
  day = fetch_sync (f->client, "5001", date, &error);
  g_assert_no_error (error);
  {
    g_autoptr(DrdKepcoDay) want = drd_kepco_sim_day_baseline (SEED, "5001", date);
    assert_same_day (day, want);
  }
  g_assert_cmpuint (drd_kepco_client_get_n_requests (f->client), ==, 3);
  g_assert_cmpuint (drd_kepco_client_get_n_retries (f->client), ==, 2);
  g_assert_cmpuint (drd_kepco_client_get_n_failures (f->client), ==, 2);
  last = drd_kepco_client_dup_last_error (f->client);
  g_assert_nonnull (strstr (last, "HTTP 503"));
}

static void
test_gives_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoDay) day = NULL;
  DrdKepcoSimStats stats;
  char date[9];

  past_date (1, date);
  g_object_set (f->client, "max-attempts", 3, NULL);
  drd_kepco_sim_force_status (f->sim, 500, 100);
  day = fetch_sync (f->client, "5002", date, &error);
  g_assert_null (day);
  g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_HTTP_SERVER);
  g_assert_nonnull (strstr (error->message, "gave up after 3 attempts"));
  g_assert_nonnull (strstr (error->message, "5002"));
  drd_kepco_sim_get_stats (f->sim, &stats);
  g_assert_cmpuint (stats.n_requests, ==, 3);
}

static void
test_4xx_not_retried (Fixture *f, gconstpointer data)
{
  static const guint statuses[] = { 400, 401, 403, 404 };
  char date[9];

  past_date (1, date);
  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DrdKepcoDay) day = NULL;
      DrdKepcoSimStats stats;

      drd_kepco_sim_reset_stats (f->sim);
      drd_kepco_sim_force_status (f->sim, statuses[i], 1);
      day = fetch_sync (f->client, "5003", date, &error);
      g_assert_null (day);
      g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_HTTP_CLIENT);
      drd_kepco_sim_get_stats (f->sim, &stats);
      g_assert_cmpuint (stats.n_requests, ==, 1);
    }
  g_assert_cmpuint (drd_kepco_client_get_n_retries (f->client), ==, 0);
  g_assert_cmpint (drd_kepco_client_get_breaker_state (f->client), ==, DRD_KEPCO_BREAKER_CLOSED);

  /* 429 says "later", so it is retried. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(DrdKepcoDay) day = NULL;

    drd_kepco_sim_force_status (f->sim, 429, 1);
    day = fetch_sync (f->client, "5003", date, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (drd_kepco_client_get_n_retries (f->client), ==, 1);
  }
}

static void
test_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoDay) day = NULL;
  gint64 t0 = g_get_monotonic_time ();
  char date[9];

  past_date (1, date);
  drd_kepco_sim_set_faults (f->sim, 0, 1.0, 0);
  drd_kepco_sim_set_hold_ms (f->sim, 5000);
  g_object_set (f->client, "timeout-ms", 100, "max-attempts", 2, NULL);
  day = fetch_sync (f->client, "5004", date, &error);
  g_assert_null (day);
  g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (error->message, "within 100 ms"));
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 1500000);
  g_assert_cmpuint (drd_kepco_client_get_n_requests (f->client), ==, 2);

  /* The held requests do not block the server for anybody else. */
  drd_kepco_sim_set_faults (f->sim, 0, 0, 0);
  g_clear_pointer (&day, drd_kepco_day_free);
  g_clear_error (&error);
  t0 = g_get_monotonic_time ();
  day = fetch_sync (f->client, "5004", date, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 1000000);
}

static void
test_malformed (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoDay) day = NULL;
  char date[9];

  past_date (1, date);
  drd_kepco_sim_set_faults (f->sim, 0, 0, 1.0);
  g_object_set (f->client, "max-attempts", 3, NULL);
  day = fetch_sync (f->client, "5005", date, &error);
  g_assert_null (day);
  g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED);
  g_assert_cmpuint (drd_kepco_client_get_n_requests (f->client), ==, 3);
}

static void
test_network_error (void)
{
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GSocketAddress) addr = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoDay) day = NULL;
  g_autofree char *url = NULL;
  DrdKepcoClient *client;

  /* A port that was free a moment ago: nobody listens there. */
  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  addr = g_inet_socket_address_new (lo, 0);
  g_assert_true (g_socket_bind (sock, addr, TRUE, &error));
  bound = g_socket_get_local_address (sock, &error);
  url = g_strdup_printf ("http://127.0.0.1:%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (sock, NULL);

  client = drd_kepco_client_new (url, KEY);
  g_object_set (client, "max-attempts", 2, "backoff-base-ms", 1, "backoff-cap-ms", 2, NULL);
  day = fetch_sync (client, "1", "20260105", &error);
  g_assert_null (day);
  g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_NETWORK);
  g_assert_null (strstr (error->message, KEY));
  g_assert_finalize_object (client);
}

/* Faults of every kind, enough attempts: the data is exactly the
 * fault-free data. */
static void
test_faults_same_data (Fixture *f, gconstpointer data)
{
  guint n = 30;

  drd_kepco_sim_set_faults (f->sim, 0.25, 0.05, 0.2);
  drd_kepco_sim_set_hold_ms (f->sim, 3000);
  g_object_set (f->client, "timeout-ms", 150, "max-attempts", 20, NULL);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *c = cust (i);
      char date[9];
      g_autoptr(GError) error = NULL;
      g_autoptr(DrdKepcoDay) day = NULL;

      past_date (i % 7, date);
      day = fetch_sync (f->client, c, date, &error);
      g_assert_no_error (error);
      {
        g_autoptr(DrdKepcoDay) want = drd_kepco_sim_day_baseline (SEED, c, date);
        assert_same_day (day, want);
      }
    }
  g_test_message ("%" G_GUINT64_FORMAT " requests, %" G_GUINT64_FORMAT " retries for %u days",
                  drd_kepco_client_get_n_requests (f->client),
                  drd_kepco_client_get_n_retries (f->client), n);
  g_assert_cmpuint (drd_kepco_client_get_n_retries (f->client), >, 0);
}

static void
test_backoff_grows (Fixture *f, gconstpointer data)
{
  RetryLog log = { g_array_new (FALSE, FALSE, sizeof (guint)), g_array_new (FALSE, FALSE, sizeof (guint)) };
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoDay) day = NULL;
  char date[9];

  past_date (1, date);
  g_object_set (f->client, "max-attempts", 6, "backoff-base-ms", 20, "backoff-cap-ms", 100, NULL);
  g_signal_connect (f->client, "retry-scheduled", G_CALLBACK (on_retry), &log);
  g_signal_connect (f->sim, "request", G_CALLBACK (on_sim_request), times);
  drd_kepco_sim_force_status (f->sim, 502, 5);
  day = fetch_sync (f->client, "5006", date, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (log.ceilings->len, ==, 5);
  g_assert_cmpuint (times->len, ==, 6);
  {
    static const guint want[] = { 20, 40, 80, 100, 100 };
    for (guint i = 0; i < 5; i++)
      {
        guint delay = g_array_index (log.delays, guint, i);
        gint64 gap = g_array_index (times, gint64, i + 1) - g_array_index (times, gint64, i);

        g_assert_cmpuint (g_array_index (log.ceilings, guint, i), ==, want[i]);
        g_assert_cmpuint (delay, <=, want[i]);
        /* The next request really waited (at least) the chosen delay. */
        g_assert_cmpint (gap, >=, (gint64) delay * 1000 - 1000);
      }
  }
  /* Full jitter: the delays are not simply the ceilings. */
  {
    guint sum = 0;
    for (guint i = 0; i < 5; i++)
      sum += g_array_index (log.delays, guint, i);
    g_assert_cmpuint (sum, <, 20 + 40 + 80 + 100 + 100);
  }
  g_signal_handlers_disconnect_by_data (f->sim, times);
  g_array_unref (log.delays);
  g_array_unref (log.ceilings);
}

static void
on_breaker_notify (GObject *obj, GParamSpec *pspec, GString *seq)
{
  g_string_append_printf (seq, "%s ",
                          drd_kepco_breaker_state_to_string (drd_kepco_client_get_breaker_state (DRD_KEPCO_CLIENT (obj))));
}

static void
test_breaker (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) seq = g_string_new (NULL);
  DrdKepcoSimStats stats;
  char date[9];

  past_date (2, date);
  drd_kepco_client_set_clock (f->client, fake_clock, f);
  g_object_set (f->client, "max-attempts", 1, "breaker-threshold", 3,
                "breaker-cooldown-ms", 60000, NULL);
  g_signal_connect (f->client, "notify::breaker-state", G_CALLBACK (on_breaker_notify), seq);

  g_assert_cmpint (drd_kepco_client_get_next_try (f->client), ==, 0);
  /* closed → open after 3 consecutive failures */
  drd_kepco_sim_force_status (f->sim, 500, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DrdKepcoDay) day = fetch_sync (f->client, "6001", date, &error);
      g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_HTTP_SERVER);
      g_assert_cmpint (drd_kepco_client_get_breaker_state (f->client), ==,
                       i < 2 ? DRD_KEPCO_BREAKER_CLOSED : DRD_KEPCO_BREAKER_OPEN);
    }

  /* the window says when the next try goes out: at the end of the cooldown */
  {
    gint64 now = g_get_real_time () / G_USEC_PER_SEC;
    gint64 next = drd_kepco_client_get_next_try (f->client);

    g_assert_cmpint (next, >=, now + 59);
    g_assert_cmpint (next, <=, now + 61);
  }

  /* open: fail fast, nothing reaches the server */
  drd_kepco_sim_reset_stats (f->sim);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(DrdKepcoDay) day = NULL;
    gint64 t0 = g_get_monotonic_time ();

    day = fetch_sync (f->client, "6001", date, &error);
    g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_BREAKER_OPEN);
    g_assert_nonnull (strstr (error->message, "HTTP 500"));
    g_assert_cmpint (g_get_monotonic_time () - t0, <, 100000);
    drd_kepco_sim_get_stats (f->sim, &stats);
    g_assert_cmpuint (stats.n_requests, ==, 0);
    g_assert_cmpuint (drd_kepco_client_get_n_rejected (f->client), ==, 1);
  }

  /* cooldown over → half-open; the probe fails → open again */
  f->fake_now += 61 * G_USEC_PER_SEC;
  drd_kepco_sim_force_status (f->sim, 503, 1);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(DrdKepcoDay) day = fetch_sync (f->client, "6001", date, &error);
    g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_HTTP_SERVER);
    g_assert_cmpint (drd_kepco_client_get_breaker_state (f->client), ==, DRD_KEPCO_BREAKER_OPEN);
  }
  /* ... and the cooldown starts again */
  f->fake_now += 30 * G_USEC_PER_SEC;
  {
    gint64 now = g_get_real_time () / G_USEC_PER_SEC;
    gint64 next = drd_kepco_client_get_next_try (f->client);

    g_assert_cmpint (next, >=, now + 29);
    g_assert_cmpint (next, <=, now + 31);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(DrdKepcoDay) day = fetch_sync (f->client, "6001", date, &error);
    g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_BREAKER_OPEN);
  }

  /* half-open lets exactly one probe through; it succeeds → closed */
  f->fake_now += 31 * G_USEC_PER_SEC;
  drd_kepco_sim_set_latency_ms (f->sim, 50);
  {
    Waiter w = { NULL, 2 };
    GAsyncResult *r1;
    g_autoptr(DrdKepcoDay) d1 = NULL;
    g_autoptr(DrdKepcoDay) d2 = NULL;
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;

    drd_kepco_client_fetch_day_async (f->client, "6001", date, NULL, waiter_done, &w);
    drd_kepco_client_fetch_day_async (f->client, "6002", date, NULL, waiter_done, &w);
    /* The second finishes first: rejected while the probe is out. */
    while (w.pending > 1)
      g_main_context_iteration (NULL, TRUE);
    r1 = w.result;
    d2 = drd_kepco_client_fetch_day_finish (f->client, r1, &e2);
    g_object_unref (r1);
    g_assert_error (e2, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_BREAKER_OPEN);
    g_assert_cmpint (drd_kepco_client_get_breaker_state (f->client), ==, DRD_KEPCO_BREAKER_HALF_OPEN);
    while (w.pending > 0)
      g_main_context_iteration (NULL, TRUE);
    d1 = drd_kepco_client_fetch_day_finish (f->client, w.result, &e1);
    g_object_unref (w.result);
    g_assert_no_error (e1);
    g_assert_cmpstr (d1->cust_no, ==, "6001");
  }
  g_assert_cmpint (drd_kepco_client_get_breaker_state (f->client), ==, DRD_KEPCO_BREAKER_CLOSED);
  g_assert_cmpstr (seq->str, ==, "open half-open open half-open closed ");
  g_signal_handlers_disconnect_by_data (f->client, seq);
}

/* With a real clock the cooldown timer flips the state for watchers. */
static void
test_breaker_cooldown_timer (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoDay) day = NULL;
  char date[9];
  gint64 t0;

  past_date (2, date);
  g_object_set (f->client, "max-attempts", 1, "breaker-threshold", 1,
                "breaker-cooldown-ms", 80, NULL);
  drd_kepco_sim_force_status (f->sim, 500, 1);
  day = fetch_sync (f->client, "6003", date, &error);
  g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_HTTP_SERVER);
  g_assert_cmpint (drd_kepco_client_get_breaker_state (f->client), ==, DRD_KEPCO_BREAKER_OPEN);
  t0 = g_get_monotonic_time ();
  while (drd_kepco_client_get_breaker_state (f->client) == DRD_KEPCO_BREAKER_OPEN &&
         g_get_monotonic_time () - t0 < 2000000)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (drd_kepco_client_get_breaker_state (f->client), ==, DRD_KEPCO_BREAKER_HALF_OPEN);
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 60000);
  g_clear_error (&error);
  g_clear_pointer (&day, drd_kepco_day_free);
  day = fetch_sync (f->client, "6003", date, &error);
  g_assert_no_error (error);
  g_assert_cmpint (drd_kepco_client_get_breaker_state (f->client), ==, DRD_KEPCO_BREAKER_CLOSED);
}

/* The breaker's own defaults, whatever the fixture set. Only properties
 * this client has (the flaky-server test must also run, and fail, against
 * a client that knows nothing but "breaker-threshold"). */
static void
use_default_breaker (DrdKepcoClient *client)
{
  const char *names[] = { "breaker-threshold", "breaker-window" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (client), names[i]);

      if (pspec != NULL)
        g_object_set_property (G_OBJECT (client), names[i], g_param_spec_get_default_value (pspec));
    }
}

static void
count_notify (GObject *obj, GParamSpec *pspec, guint *n)
{
  (*n)++;
}

typedef struct {
  guint run;        /* failed attempts since the last success */
  guint longest;
} FailRun;

static void
on_failure_notify (GObject *obj, GParamSpec *pspec, FailRun *r)
{
  r->run++;
  r->longest = MAX (r->longest, r->run);
}

/* A flaky server (40 % of attempts fail: 30 % 5xx, 5 % timeouts, 5 %
 * malformed, the simulator's seeded draws) is not a dead one: a few
 * hundred requests, many runs of 5+ failed attempts in a row (which
 * opened the old consecutive-failure breaker), and the breaker never
 * leaves CLOSED with its default settings. */
static void
test_breaker_flaky_stays_closed (Fixture *f, gconstpointer data)
{
  FailRun run = { 0 };
  guint n_state_changes = 0, n_ok = 0, n_gave_up = 0;
  guint64 n_requests, n_failures;

  use_default_breaker (f->client);
  g_object_set (f->client, "timeout-ms", 60, NULL);
  drd_kepco_sim_set_hold_ms (f->sim, 300);
  drd_kepco_sim_set_faults (f->sim, 0.30, 0.05, 0.05);
  g_signal_connect (f->client, "notify::breaker-state", G_CALLBACK (count_notify), &n_state_changes);
  g_signal_connect (f->client, "notify::n-failures", G_CALLBACK (on_failure_notify), &run);

  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *c = cust (i % 60);
      g_autoptr(GError) error = NULL;
      g_autoptr(DrdKepcoDay) day = NULL;
      char date[9];

      past_date (i / 60, date);
      day = fetch_sync (f->client, c, date, &error);
      if (day != NULL)
        {
          /* One at a time: the last attempt of this fetch succeeded. */
          run.run = 0;
          n_ok++;
        }
      else
        {
          /* All four attempts failed (0.4^4 ≈ 2.6 % of fetches). */
          g_assert_false (g_error_matches (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_BREAKER_OPEN));
          n_gave_up++;
        }
      g_assert_cmpint (drd_kepco_client_get_breaker_state (f->client), ==, DRD_KEPCO_BREAKER_CLOSED);
    }
  g_signal_handlers_disconnect_by_data (f->client, &n_state_changes);
  g_signal_handlers_disconnect_by_data (f->client, &run);

  n_requests = drd_kepco_client_get_n_requests (f->client);
  n_failures = drd_kepco_client_get_n_failures (f->client);
  g_test_message ("%u ok, %u gave up, %" G_GUINT64_FORMAT " attempts, %" G_GUINT64_FORMAT
                  " failed, longest run of failed attempts %u", n_ok, n_gave_up, n_requests,
                  n_failures, run.longest);
  g_assert_cmpuint (n_state_changes, ==, 0);
  g_assert_cmpuint (drd_kepco_client_get_n_rejected (f->client), ==, 0);
  g_assert_cmpuint (n_ok + n_gave_up, ==, 300);
  g_assert_cmpuint (n_ok, >=, 270);
  /* The faults were really there, at the rate we meant ... */
  g_assert_cmpfloat ((double) n_failures / (double) n_requests, >, 0.3);
  g_assert_cmpfloat ((double) n_failures / (double) n_requests, <, 0.5);
  /* ... and a breaker opening on 5 failures in a row would have opened. */
  g_assert_cmpuint (run.longest, >=, 5);
}

/* A real outage (the simulator answers 503 to everything) opens the
 * default breaker after exactly 27 failed attempts when the window held
 * only successes; probes fail while it lasts and one probe closes the
 * breaker once it is over, with the record cleared. */
static void
test_breaker_outage (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) seq = g_string_new (NULL);
  guint threshold = 0, window = 0, n_failed = 0;
  DrdKepcoSimStats stats;
  gint64 now_s = g_get_real_time () / G_USEC_PER_SEC;
  char date[9];

  use_default_breaker (f->client);
  g_object_get (f->client, "breaker-threshold", &threshold, "breaker-window", &window, NULL);
  g_assert_cmpuint (threshold, ==, 27);
  g_assert_cmpuint (window, ==, 30);
  drd_kepco_client_set_clock (f->client, fake_clock, f);
  g_object_set (f->client, "max-attempts", 1, "breaker-cooldown-ms", 30000, NULL);
  g_signal_connect (f->client, "notify::breaker-state", G_CALLBACK (on_breaker_notify), seq);
  past_date (3, date);

  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *c = cust (i);
      g_autoptr(GError) error = NULL;
      g_autoptr(DrdKepcoDay) day = fetch_sync (f->client, c, date, &error);

      g_assert_no_error (error);
    }

  drd_kepco_sim_set_outage (f->sim, now_s - 10, now_s + 3600);
  while (drd_kepco_client_get_breaker_state (f->client) == DRD_KEPCO_BREAKER_CLOSED)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DrdKepcoDay) day = fetch_sync (f->client, "7001", date, &error);

      g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_HTTP_SERVER);
      n_failed++;
      g_assert_cmpuint (n_failed, <=, threshold);
    }
  g_assert_cmpuint (n_failed, ==, 27);
  g_assert_cmpint (drd_kepco_client_get_breaker_state (f->client), ==, DRD_KEPCO_BREAKER_OPEN);

  /* Open: nothing reaches the server. */
  drd_kepco_sim_reset_stats (f->sim);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(DrdKepcoDay) day = fetch_sync (f->client, "7001", date, &error);

    g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_BREAKER_OPEN);
    g_assert_nonnull (strstr (error->message, "503"));
  }
  drd_kepco_sim_get_stats (f->sim, &stats);
  g_assert_cmpuint (stats.n_failed, ==, 0);

  /* Still down after the cooldown: the probe fails, open again. */
  f->fake_now += 31 * G_USEC_PER_SEC;
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(DrdKepcoDay) day = fetch_sync (f->client, "7001", date, &error);

    g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_HTTP_SERVER);
  }
  g_assert_cmpint (drd_kepco_client_get_breaker_state (f->client), ==, DRD_KEPCO_BREAKER_OPEN);

  /* Back: the next probe closes it. */
  drd_kepco_sim_set_outage (f->sim, 0, 0);
  f->fake_now += 31 * G_USEC_PER_SEC;
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(DrdKepcoDay) day = fetch_sync (f->client, "7001", date, &error);

    g_assert_no_error (error);
  }
  g_assert_cmpint (drd_kepco_client_get_breaker_state (f->client), ==, DRD_KEPCO_BREAKER_CLOSED);
  g_assert_cmpstr (seq->str, ==, "open half-open open half-open closed ");

  /* The record was cleared: 26 new failures are not enough, the 27th is. */
  drd_kepco_sim_force_status (f->sim, 500, 27);
  for (guint i = 1; i <= 27; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DrdKepcoDay) day = fetch_sync (f->client, "7001", date, &error);

      g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_HTTP_SERVER);
      g_assert_cmpint (drd_kepco_client_get_breaker_state (f->client), ==,
                       i < 27 ? DRD_KEPCO_BREAKER_CLOSED : DRD_KEPCO_BREAKER_OPEN);
    }
  g_signal_handlers_disconnect_by_data (f->client, seq);
}

/* A server that answers one request in ten is down for the ratio rule,
 * although it never fails 27 times in a row. */
static void
test_breaker_mostly_down (Fixture *f, gconstpointer data)
{
  guint n = 0;
  char date[9];

  use_default_breaker (f->client);
  g_object_set (f->client, "max-attempts", 1, NULL);
  past_date (4, date);
  while (drd_kepco_client_get_breaker_state (f->client) == DRD_KEPCO_BREAKER_CLOSED && n < 100)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DrdKepcoDay) day = NULL;

      if (n % 10 != 9)
        drd_kepco_sim_force_status (f->sim, 503, 1);
      day = fetch_sync (f->client, "7002", date, &error);
      if (n % 10 == 9)
        g_assert_no_error (error);
      else
        g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_HTTP_SERVER);
      n++;
    }
  /* 9 failed, 1 answered, 9, 1, then the 27th failure among 29 attempts. */
  g_assert_cmpuint (n, ==, 29);
  g_assert_cmpint (drd_kepco_client_get_breaker_state (f->client), ==, DRD_KEPCO_BREAKER_OPEN);
}

static void
on_queued_notify (GObject *obj, GParamSpec *pspec, guint *max_queued)
{
  *max_queued = MAX (*max_queued, drd_kepco_client_get_n_queued (DRD_KEPCO_CLIENT (obj)));
}

typedef struct {
  guint pending;
  guint n_ok;
} Many;

static void
many_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Many *m = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoDay) day = drd_kepco_client_fetch_day_finish (DRD_KEPCO_CLIENT (source), result, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (drd_kepco_client_get_n_in_flight (DRD_KEPCO_CLIENT (source)), <=, 4);
  m->n_ok++;
  m->pending--;
}

static void
test_concurrency_bound (Fixture *f, gconstpointer data)
{
  Many m = { 0, 0 };
  guint n = 40, max_queued = 0;
  DrdKepcoSimStats stats;

  g_object_set (f->client, "max-in-flight", 4, NULL);
  drd_kepco_sim_set_latency_ms (f->sim, 30);
  g_signal_connect (f->client, "notify::n-queued", G_CALLBACK (on_queued_notify), &max_queued);
  m.pending = n;
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *c = cust (i);
      char date[9];
      past_date (i % 5, date);
      drd_kepco_client_fetch_day_async (f->client, c, date, NULL, many_done, &m);
      g_assert_cmpuint (drd_kepco_client_get_n_in_flight (f->client), <=, 4);
    }
  while (m.pending > 0)
    {
      g_main_context_iteration (NULL, TRUE);
      g_assert_cmpuint (drd_kepco_client_get_n_in_flight (f->client), <=, 4);
    }
  drd_kepco_sim_get_stats (f->sim, &stats);
  g_test_message ("server saw at most %u in flight; client queued up to %u", stats.max_in_flight, max_queued);
  g_assert_cmpuint (m.n_ok, ==, n);
  g_assert_cmpuint (stats.max_in_flight, <=, 4);
  g_assert_cmpuint (stats.max_in_flight, >=, 2);
  g_assert_cmpuint (max_queued, ==, n - 4);
  g_assert_cmpuint (stats.n_requests, ==, n);
  g_signal_handlers_disconnect_by_data (f->client, &max_queued);
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr(GCancellable) c1 = g_cancellable_new ();
  g_autoptr(GCancellable) c2 = g_cancellable_new ();
  g_autoptr(GError) e1 = NULL;
  g_autoptr(GError) e2 = NULL;
  Waiter w1 = { NULL, 1 }, w2 = { NULL, 1 };
  gint64 t0;
  char date[9];

  past_date (1, date);
  g_object_set (f->client, "max-in-flight", 1, NULL);
  drd_kepco_sim_set_latency_ms (f->sim, 2000);
  drd_kepco_client_fetch_day_async (f->client, "7001", date, c1, waiter_done, &w1);   /* in flight */
  drd_kepco_client_fetch_day_async (f->client, "7002", date, c2, waiter_done, &w2);   /* queued */
  g_assert_cmpuint (drd_kepco_client_get_n_queued (f->client), ==, 1);
  t0 = g_get_monotonic_time ();
  g_cancellable_cancel (c2);
  g_cancellable_cancel (c1);
  while (w1.pending > 0 || w2.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (drd_kepco_client_fetch_day_finish (f->client, w1.result, &e1));
  g_assert_null (drd_kepco_client_fetch_day_finish (f->client, w2.result, &e2));
  g_assert_error (e1, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_error (e2, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 1000000);
  g_assert_cmpuint (drd_kepco_client_get_n_in_flight (f->client), ==, 0);
  g_assert_cmpuint (drd_kepco_client_get_n_queued (f->client), ==, 0);
  g_assert_cmpuint (drd_kepco_client_get_n_failures (f->client), ==, 0);
  g_object_unref (w1.result);
  g_object_unref (w2.result);
}

static void
test_invalid_arguments (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) e1 = NULL;
  g_autoptr(GError) e2 = NULL;
  g_autoptr(DrdKepcoDay) d1 = fetch_sync (f->client, "12&x=1", "20260601", &e1);
  g_autoptr(DrdKepcoDay) d2 = fetch_sync (f->client, "12", "20260230", &e2);

  g_assert_error (e1, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_INVALID_ARGUMENT);
  g_assert_error (e2, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (drd_kepco_client_get_n_requests (f->client), ==, 0);
}

static void
capture_log (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  g_string_append_printf (data, "%s\n", message);
}

static void
assert_no_key (const char *text)
{
  g_autofree char *escaped = g_uri_escape_string (KEY, NULL, FALSE);

  if (text == NULL)
    return;
  g_assert_null (strstr (text, KEY));
  g_assert_null (strstr (text, escaped));
  g_assert_null (strstr (text, "s3cr3t"));
}

/* The key is sent (the server needs it) and shows up nowhere else. */
static void
test_key_redacted (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) logs = g_string_new (NULL);
  guint handler;
  char date[9];
  g_autofree char *redacted = drd_kepco_client_redact (f->client, "url?serviceKey=" KEY);

  g_assert_cmpstr (redacted, ==, "url?serviceKey=[redacted]");
  g_log_set_debug_enabled (TRUE);
  handler = g_log_set_handler ("drd-kepco", G_LOG_LEVEL_MASK, capture_log, logs);
  past_date (1, date);
  /* 4 failed attempts in a row open it (a window shorter than the threshold):
   * after kinds 0, 2 and 3, not before, so every kind is seen. */
  g_object_set (f->client, "max-attempts", 2, "timeout-ms", 100, "breaker-threshold", 4,
                "breaker-window", 1, NULL);
  drd_kepco_sim_set_hold_ms (f->sim, 3000);

  for (guint kind = 0; kind < 6; kind++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DrdKepcoDay) day = NULL;
      g_autofree char *last = NULL;

      drd_kepco_sim_set_faults (f->sim, 0, kind == 2 ? 1.0 : 0, kind == 3 ? 1.0 : 0);
      if (kind == 0)
        drd_kepco_sim_force_status (f->sim, 500, 2);
      else if (kind == 1)
        drd_kepco_sim_force_status (f->sim, 401, 1);
      day = fetch_sync (f->client, "8001", date, &error);
      if (kind < 5)
        g_assert_nonnull (error);
      if (kind == 4)
        g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_BREAKER_OPEN);
      if (error)
        assert_no_key (error->message);
      last = drd_kepco_client_dup_last_error (f->client);
      assert_no_key (last);
    }
  g_log_remove_handler ("drd-kepco", handler);
  g_assert_nonnull (strstr (logs->str, "serviceKey=[redacted]"));
  assert_no_key (logs->str);
  {
    GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (f->client), "service-key");
    g_assert_false (pspec->flags & G_PARAM_READABLE);
  }
}

/* A decoded key is escaped on the wire; an already encoded one (data.go.kr
 * hands out both) is sent as it is. Either way the server sees the key. */
static void
test_key_encoding (Fixture *f, gconstpointer data)
{
  g_autoptr(DrdKepcoClient) encoded = drd_kepco_client_new (drd_kepco_sim_get_url (f->sim), "ab%2Bcd%3D%3D");
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoDay) d1 = NULL;
  g_autoptr(DrdKepcoDay) d2 = NULL;
  g_autofree char *k1 = NULL, *k2 = NULL, *red = NULL;
  char date[9];

  past_date (1, date);
  d1 = fetch_sync (f->client, "9001", date, &error);
  g_assert_no_error (error);
  k1 = drd_kepco_sim_dup_last_service_key (f->sim);
  g_assert_cmpstr (k1, ==, KEY);
  d2 = fetch_sync (encoded, "9001", date, &error);
  g_assert_no_error (error);
  k2 = drd_kepco_sim_dup_last_service_key (f->sim);
  g_assert_cmpstr (k2, ==, "ab+cd==");
  red = drd_kepco_client_redact (encoded, "a ab%2Bcd%3D%3D b ab+cd== c");
  g_assert_cmpstr (red, ==, "a [redacted] b [redacted] c");
}

typedef struct {
  const char *url;
  char date[9];
  gboolean done;
  gboolean ok;
  guint64 n_requests;
} ThreadRun;

static gpointer
worker (gpointer data)
{
  ThreadRun *t = data;
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(DrdKepcoClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoDay) day = NULL;
  g_autoptr(DrdKepcoDay) want = NULL;
  Waiter w = { NULL, 1 };

  g_main_context_push_thread_default (ctx);
  client = drd_kepco_client_new (t->url, KEY);
  g_object_set (client, "backoff-base-ms", 5, "backoff-cap-ms", 10, "timeout-ms", 2000, NULL);
  drd_kepco_client_fetch_day_async (client, "9100", t->date, NULL, waiter_done, &w);
  while (w.pending > 0)
    g_main_context_iteration (ctx, TRUE);
  day = drd_kepco_client_fetch_day_finish (client, w.result, &error);
  g_object_unref (w.result);
  want = drd_kepco_sim_day_baseline (SEED, "9100", t->date);
  t->ok = error == NULL && day != NULL && memcmp (day->wh, want->wh, sizeof want->wh) == 0;
  t->n_requests = drd_kepco_client_get_n_requests (client);
  g_clear_object (&client);
  g_main_context_pop_thread_default (ctx);
  g_atomic_int_set (&t->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

/* A settler may run the client on a worker thread with its own main
 * context: timers and I/O must all go there (retries included). */
static void
test_worker_thread (Fixture *f, gconstpointer data)
{
  ThreadRun t = { drd_kepco_sim_get_url (f->sim), "", FALSE, FALSE, 0 };
  GThread *thread;

  past_date (2, t.date);
  drd_kepco_sim_force_status (f->sim, 503, 2);
  thread = g_thread_new ("kepco-worker", worker, &t);
  while (!g_atomic_int_get (&t.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  g_assert_true (t.ok);
  g_assert_cmpuint (t.n_requests, ==, 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add ("/kepco/client/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("happy-path", test_happy_path);
  ADD ("forms-and-missing", test_forms_and_missing);
  ADD ("not-yet-available", test_not_yet_available);
  ADD ("retry-then-success", test_retry_then_success);
  ADD ("gives-up", test_gives_up);
  ADD ("4xx-not-retried", test_4xx_not_retried);
  ADD ("timeout", test_timeout);
  ADD ("malformed", test_malformed);
  ADD ("faults-same-data", test_faults_same_data);
  ADD ("backoff-grows", test_backoff_grows);
  ADD ("breaker", test_breaker);
  ADD ("breaker-cooldown-timer", test_breaker_cooldown_timer);
  ADD ("breaker-flaky-stays-closed", test_breaker_flaky_stays_closed);
  ADD ("breaker-outage", test_breaker_outage);
  ADD ("breaker-mostly-down", test_breaker_mostly_down);
  ADD ("concurrency-bound", test_concurrency_bound);
  ADD ("cancel", test_cancel);
  ADD ("invalid-arguments", test_invalid_arguments);
  ADD ("key-redacted", test_key_redacted);
  ADD ("key-encoding", test_key_encoding);
  ADD ("worker-thread", test_worker_thread);
#undef ADD
  g_test_add_func ("/kepco/client/network-error", test_network_error);
  return g_test_run ();
}
