/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "kepco-test-util.h"

#include <math.h>
#include <signal.h>

static char *
cust (guint i)
{
  return g_strdup_printf ("%010u", 1000000 + i * 7919);
}

/* Same seed, same data; another seed, other data. */
static void
test_determinism (void)
{
  guint n_differ = 0;

  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *c = cust (i);
      char date[9];

      past_date (i, date);
      {
        g_autoptr(DrdKepcoDay) a = drd_kepco_sim_day (7, c, date, NULL, 0, 0.7, 0.3);
        g_autoptr(DrdKepcoDay) b = drd_kepco_sim_day (7, c, date, NULL, 0, 0.7, 0.3);
        g_autoptr(DrdKepcoDay) other = drd_kepco_sim_day (8, c, date, NULL, 0, 0.7, 0.3);
        g_autofree char *ja = drd_kepco_sim_render_day (7, a);
        g_autofree char *jb = drd_kepco_sim_render_day (7, b);

        assert_same_day (a, b);
        g_assert_cmpstr (ja, ==, jb);
        if (memcmp (a->wh, other->wh, sizeof a->wh) != 0)
          n_differ++;
      }
    }
  g_assert_cmpuint (n_differ, ==, 30);
  g_assert_null (drd_kepco_sim_day (7, "12x", "20260601", NULL, 0, 0.7, 0.3));
  g_assert_null (drd_kepco_sim_day (7, "123", "20260631", NULL, 0, 0.7, 0.3));
}

/* Four kinds of customer with magnitudes of their kind, and the office
 * week has a weekend. */
static void
test_profiles (void)
{
  guint count[4] = { 0, };
  double daily_kwh[4] = { 0, };
  double office_weekday = 0, office_sunday = 0;
  char monday[9], sunday[9];

  past_date (0, monday);
  past_date (6, sunday);
  for (guint i = 0; i < 400; i++)
    {
      g_autofree char *c = cust (i);
      DrdKepcoSimProfileKind kind = drd_kepco_sim_profile (3, c);
      g_autoptr(DrdKepcoDay) d = drd_kepco_sim_day_baseline (3, c, monday);
      g_autoptr(DrdKepcoDay) s = drd_kepco_sim_day_baseline (3, c, sunday);
      double kwh = drd_kepco_day_total_wh (d) / 1000.0;

      count[kind]++;
      daily_kwh[kind] += kwh;
      switch (kind)
        {
        case DRD_KEPCO_SIM_HOME: g_assert_cmpfloat (kwh, <, 60); g_assert_cmpfloat (kwh, >, 2); break;
        case DRD_KEPCO_SIM_SHOP: g_assert_cmpfloat (kwh, <, 1500); g_assert_cmpfloat (kwh, >, 100); break;
        case DRD_KEPCO_SIM_OFFICE: g_assert_cmpfloat (kwh, <, 10000); g_assert_cmpfloat (kwh, >, 500); break;
        case DRD_KEPCO_SIM_FACTORY: g_assert_cmpfloat (kwh, >, 3000); break;
        default: g_assert_not_reached ();
        }
      if (kind == DRD_KEPCO_SIM_OFFICE)
        {
          office_weekday += kwh;
          office_sunday += drd_kepco_day_total_wh (s) / 1000.0;
        }
      g_assert_nonnull (drd_kepco_sim_profile_name (kind));
    }
  for (guint k = 0; k < 4; k++)
    {
      g_test_message ("%s: %u customers, mean %.1f kWh/day", drd_kepco_sim_profile_name (k),
                      count[k], daily_kwh[k] / MAX (count[k], 1));
      g_assert_cmpuint (count[k], >, 30);
    }
  g_assert_cmpfloat (office_sunday, <, office_weekday * 0.6);
}

/* During an event the reducer share uses `reduction` less; nobody else and
 * no other slot changes. */
static void
test_event_reduction (void)
{
  char date[9];
  gint64 day_start;
  DrdKepcoSimEvent ev;
  guint n_reducers = 0, n = 500;

  past_date (1, date);
  day_start = drd_kepco_sim_day_start (date);
  ev.start = day_start + 14 * 3600;            /* 14:00–16:00 Seoul: slots 56..63 */
  ev.end = day_start + 16 * 3600;
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *c = cust (i);
      g_autoptr(DrdKepcoDay) base = drd_kepco_sim_day_baseline (5, c, date);
      g_autoptr(DrdKepcoDay) with = drd_kepco_sim_day (5, c, date, &ev, 1, 0.7, 0.3);
      gboolean reducer = drd_kepco_sim_is_reducer (5, c, 0.7);

      n_reducers += reducer;
      for (guint s = 0; s < 96; s++)
        {
          if (base->wh[s] < 0)
            {
              g_assert_cmpint (with->wh[s], ==, -1);
              continue;
            }
          if (s >= 56 && s < 64 && reducer)
            {
              /* 0.7 × the unrounded value, so within a Wh of 0.7 × base. */
              g_assert_cmpfloat (fabs (with->wh[s] - 0.7 * base->wh[s]), <=, 1.0);
              if (base->wh[s] > 10)
                g_assert_cmpint (with->wh[s], <, base->wh[s]);
            }
          else
            g_assert_cmpint (with->wh[s], ==, base->wh[s]);
        }
    }
  g_test_message ("%u of %u customers reduce", n_reducers, n);
  g_assert_cmpuint (n_reducers, >, n * 0.62);
  g_assert_cmpuint (n_reducers, <, n * 0.78);

  /* A half-covered slot is cut by half the reduction. */
  {
    DrdKepcoSimEvent half = { day_start + 14 * 3600 + 450, day_start + 15 * 3600 };
    for (guint i = 0; i < 50; i++)
      {
        g_autofree char *c = cust (i);
        g_autoptr(DrdKepcoDay) base = NULL;
        g_autoptr(DrdKepcoDay) with = NULL;

        if (!drd_kepco_sim_is_reducer (5, c, 0.7))
          continue;
        base = drd_kepco_sim_day_baseline (5, c, date);
        with = drd_kepco_sim_day (5, c, date, &half, 1, 0.7, 0.3);
        if (base->wh[56] >= 0)
          g_assert_cmpfloat (fabs (with->wh[56] - 0.85 * base->wh[56]), <=, 1.0);
      }
  }
}

/* Both value forms and some missing slots occur; what is rendered parses
 * back to exactly the oracle's day. */
static void
test_render_round_trip (void)
{
  guint n_numbers = 0, n_strings = 0, n_days_missing = 0, n_days = 0;

  for (guint i = 0; i < 60; i++)
    for (guint d = 0; d < 20; d++)
      {
        g_autofree char *c = cust (i);
        char date[9];
        g_autoptr(DrdKepcoDay) day = NULL;
        g_autoptr(DrdKepcoDay) back = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *json = NULL;

        past_date (d, date);
        day = drd_kepco_sim_day_baseline (11, c, date);
        json = drd_kepco_sim_render_day (11, day);
        back = drd_kepco_parse_day (json, strlen (json), c, date, &error);
        g_assert_no_error (error);
        assert_same_day (day, back);
        n_days++;
        if (day->n_present < 96)
          n_days_missing++;
        for (guint s = 0; s < 96; s++)
          if (day->wh[s] >= 0)
            {
              if (drd_kepco_sim_slot_is_number (11, c, date, s))
                n_numbers++;
              else
                n_strings++;
            }
      }
  g_test_message ("%u numbers, %u strings, %u of %u days with gaps",
                  n_numbers, n_strings, n_days_missing, n_days);
  g_assert_cmpuint (n_numbers, >, 0);
  g_assert_cmpuint (n_strings, >, n_numbers);
  g_assert_cmpuint (n_days_missing, >, 0);
  g_assert_cmpuint (n_days_missing, <, n_days / 10);
}

/* With a calendar, a weekday holiday looks like a Sunday; without, it is
 * an ordinary weekday. */
static void
test_holidays (void)
{
  g_autoptr(DrdCalendar) cal = drd_calendar_new ();
  char wed[9], sun[9];
  DrdDate hd;
  double office_holiday = 0, office_plain = 0;
  guint n_same_sunday = 0, n_office = 0;

  past_date (2, wed);
  past_date (6, sun);
  g_assert_true (drd_date_parse_compact (wed, &hd, NULL));
  drd_calendar_add (cal, hd, "test holiday");
  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *c = cust (i);
      g_autoptr(DrdKepcoDay) plain = drd_kepco_sim_day (4, c, wed, NULL, 0, 0.7, 0.3);
      g_autoptr(DrdKepcoDay) plain2 = drd_kepco_sim_day_with_holidays (4, c, wed, NULL, 0, 0.7, 0.3, NULL);
      g_autoptr(DrdKepcoDay) hol = drd_kepco_sim_day_with_holidays (4, c, wed, NULL, 0, 0.7, 0.3, cal);
      g_autoptr(DrdKepcoDay) sunday = drd_kepco_sim_day_with_holidays (4, c, sun, NULL, 0, 0.7, 0.3, cal);
      g_autoptr(DrdKepcoDay) sunday_plain = drd_kepco_sim_day (4, c, sun, NULL, 0, 0.7, 0.3);

      assert_same_day (plain, plain2);
      assert_same_day (sunday, sunday_plain);
      if (drd_kepco_sim_profile (4, c) == DRD_KEPCO_SIM_OFFICE)
        {
          office_holiday += drd_kepco_day_total_wh (hol);
          office_plain += drd_kepco_day_total_wh (plain);
          n_office++;
        }
      n_same_sunday += drd_kepco_day_total_wh (hol) != drd_kepco_day_total_wh (plain);
    }
  g_assert_cmpuint (n_office, >, 20);
  g_assert_cmpfloat (office_holiday, <, office_plain * 0.6);
  g_assert_cmpuint (n_same_sunday, >, 0);
}

static void
test_parse_window (void)
{
  gint64 a, b;
  g_autoptr(GError) error = NULL;

  g_assert_true (drd_kepco_sim_parse_window ("2026-07-01T14:00:00+09:00/2026-07-01T16:00:00+09:00", &a, &b, &error));
  g_assert_no_error (error);
  g_assert_cmpint (a, ==, 1782882000);
  g_assert_cmpint (b - a, ==, 7200);
  /* No offset means Seoul, whatever TZ says (the tests run in New York). */
  g_assert_true (drd_kepco_sim_parse_window ("2026-07-01T14:00/2026-07-01T16:00", &a, &b, &error));
  g_assert_cmpint (a, ==, 1782882000);
  g_assert_cmpint (drd_kepco_sim_day_start ("20260701"), ==, 1782831600);
  g_assert_false (drd_kepco_sim_parse_window ("2026-07-01T16:00/2026-07-01T14:00", &a, &b, &error));
  g_clear_error (&error);
  g_assert_false (drd_kepco_sim_parse_window ("yesterday", &a, &b, &error));
  g_clear_error (&error);
}

typedef struct {
  DrdKepcoSim *sim;
  SoupSession *session;
  const char *url;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  DrdKepcoSimConfig config;
  g_autoptr(GError) error = NULL;

  drd_kepco_sim_config_init (&config);
  config.seed = 21;
  f->sim = drd_kepco_sim_new (&config);
  g_assert_true (drd_kepco_sim_listen (f->sim, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  f->url = drd_kepco_sim_get_url (f->sim);
  g_assert_true (g_str_has_prefix (f->url, "http://127.0.0.1:"));
  g_assert_cmpuint (drd_kepco_sim_get_port (f->sim), >, 0);
  f->session = soup_session_new ();
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->session);
  g_assert_finalize_object (f->sim);
}

static guint
get (Fixture *f, const char *path_and_query, char **body)
{
  g_autofree char *url = g_strdup_printf ("%s%s", f->url, path_and_query);
  return http_get (f->session, url, body);
}

static void
test_http_errors (Fixture *f, gconstpointer data)
{
  g_autofree char *b1 = NULL, *b2 = NULL, *b3 = NULL, *b4 = NULL, *b5 = NULL;
  DrdKepcoSimStats stats;

  g_assert_cmpuint (get (f, "nowhere", &b1), ==, 404);
  g_assert_nonnull (strstr (b1, "resultCode"));
  g_assert_cmpuint (get (f, "OpenAPI/getDayLpData.do?custNo=123&date=20260601", &b2), ==, 401);
  g_assert_cmpuint (get (f, "OpenAPI/getDayLpData.do?serviceKey=k&custNo=12a&date=20260601", &b3), ==, 400);
  g_assert_nonnull (strstr (b3, "custNo"));
  g_assert_cmpuint (get (f, "OpenAPI/getDayLpData.do?serviceKey=k&custNo=123&date=20260631", &b4), ==, 400);
  g_assert_nonnull (strstr (b4, "date"));
  g_assert_cmpuint (get (f, "OpenAPI/getDayLpData.do?serviceKey=k&custNo=123&date=20260601&returnType=01", &b5), ==, 400);
  drd_kepco_sim_get_stats (f->sim, &stats);
  g_assert_cmpuint (stats.n_requests, ==, 0);
  g_assert_cmpuint (stats.n_rejected, ==, 4);
}

static void
test_http_data (Fixture *f, gconstpointer data)
{
  char date[9], future[9];
  g_autofree char *path = NULL, *body = NULL, *fpath = NULL, *fbody = NULL;
  g_autoptr(DrdKepcoDay) want = NULL;
  g_autoptr(DrdKepcoDay) got = NULL;
  g_autoptr(GError) error = NULL;
  GDate d;

  past_date (2, date);
  path = g_strdup_printf ("OpenAPI/getDayLpData.do?serviceKey=k&returnType=02&custNo=0000012345&date=%s", date);
  g_assert_cmpuint (get (f, path, &body), ==, 200);
  want = drd_kepco_sim_compute_day (f->sim, "0000012345", date);
  got = drd_kepco_parse_day (body, strlen (body), "0000012345", date, &error);
  g_assert_no_error (error);
  assert_same_day (want, got);

  /* The future has no data yet. */
  g_date_clear (&d, 1);
  g_date_set_time_t (&d, time (NULL));
  g_date_add_days (&d, 3);
  g_snprintf (future, sizeof future, "%04u%02u%02u", g_date_get_year (&d), g_date_get_month (&d), g_date_get_day (&d));
  fpath = g_strdup_printf ("OpenAPI/getDayLpData.do?serviceKey=k&custNo=1&date=%s", future);
  g_assert_cmpuint (get (f, fpath, &fbody), ==, 200);
  g_assert_cmpstr (fbody, ==, "{\"dayLpDataInfoList\":[]}");
}

static void
test_lag_days (Fixture *f, gconstpointer data)
{
  gint64 today = (g_get_real_time () / G_USEC_PER_SEC + 9 * 3600) / 86400 + 719163;

  drd_kepco_sim_set_lag_days (f->sim, 2);
  for (gint64 back = 0; back < 4; back++)
    {
      GDate d;
      char date[9];
      g_autofree char *path = NULL, *body = NULL;

      g_date_clear (&d, 1);
      g_date_set_julian (&d, (guint32) (today - back));
      g_snprintf (date, sizeof date, "%04u%02u%02u", g_date_get_year (&d), g_date_get_month (&d), g_date_get_day (&d));
      path = g_strdup_printf ("OpenAPI/getDayLpData.do?serviceKey=k&custNo=77&date=%s", date);
      g_assert_cmpuint (get (f, path, &body), ==, 200);
      if (back < 2)
        g_assert_cmpstr (body, ==, "{\"dayLpDataInfoList\":[]}");
      else
        g_assert_nonnull (strstr (body, "pwr_qty2400"));
    }
}

static void
test_admin_events (Fixture *f, gconstpointer data)
{
  char date[9];
  g_autofree char *start = NULL, *end = NULL, *json = NULL, *url = NULL;
  const DrdKepcoSimEvent *events;
  guint n_events = 0;
  gint64 day_start;

  past_date (3, date);
  day_start = drd_kepco_sim_day_start (date);
  start = g_strdup_printf ("%.4s-%.2s-%.2sT13:00:00+09:00", date, date + 4, date + 6);
  end = g_strdup_printf ("%.4s-%.2s-%.2sT15:00:00+09:00", date, date + 4, date + 6);
  json = g_strdup_printf ("{\"start\":\"%s\",\"end\":\"%s\"}", start, end);
  url = g_strdup_printf ("%sadmin/events", f->url);
  g_assert_cmpuint (http_post_json (f->session, url, json), ==, 201);

  events = drd_kepco_sim_get_events (f->sim, &n_events);
  g_assert_cmpuint (n_events, ==, 1);
  g_assert_cmpint (events[0].start, ==, day_start + 13 * 3600);
  g_assert_cmpint (events[0].end, ==, day_start + 15 * 3600);

  /* The served day now carries the reduction for reducers. */
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *c = cust (i);
      g_autoptr(DrdKepcoDay) served = drd_kepco_sim_compute_day (f->sim, c, date);
      g_autoptr(DrdKepcoDay) oracle = drd_kepco_sim_day (21, c, date, events, 1, 0.7, 0.3);
      assert_same_day (served, oracle);
    }

  g_assert_cmpuint (http_post_json (f->session, url, "{\"start\":\"x\"}"), ==, 400);
  g_assert_cmpuint (http_post_json (f->session, url, "not json"), ==, 400);
}

/* Faults are drawn per request; the data is not. */
static void
test_faults_keep_data (Fixture *f, gconstpointer data)
{
  char date[9];
  g_autofree char *path = NULL;
  guint n_ok = 0, n_5xx = 0, n_bad = 0;
  DrdKepcoSimStats stats;

  drd_kepco_sim_set_faults (f->sim, 0.3, 0.0, 0.3);
  past_date (4, date);
  path = g_strdup_printf ("OpenAPI/getDayLpData.do?serviceKey=k&custNo=4242&date=%s", date);
  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *body = NULL;
      g_autoptr(DrdKepcoDay) day = NULL;
      g_autoptr(GError) error = NULL;
      guint status = get (f, path, &body);

      if (status >= 500)
        {
          n_5xx++;
          continue;
        }
      g_assert_cmpuint (status, ==, 200);
      day = drd_kepco_parse_day (body, strlen (body), "4242", date, &error);
      if (day == NULL)
        {
          g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED);
          n_bad++;
        }
      else
        {
          g_autoptr(DrdKepcoDay) want = drd_kepco_sim_day_baseline (21, "4242", date);
          assert_same_day (day, want);
          n_ok++;
        }
    }
  drd_kepco_sim_get_stats (f->sim, &stats);
  g_test_message ("%u ok, %u 5xx, %u malformed", n_ok, n_5xx, n_bad);
  g_assert_cmpuint (n_ok, >, 5);
  g_assert_cmpuint (n_5xx, >, 5);
  g_assert_cmpuint (n_bad, >, 5);
  g_assert_cmpuint (stats.n_failed, ==, n_5xx);
  g_assert_cmpuint (stats.n_malformed, ==, n_bad);
}

static void
test_outage_and_latency (Fixture *f, gconstpointer data)
{
  char date[9];
  g_autofree char *path = NULL, *b1 = NULL, *b2 = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC, t0;

  past_date (5, date);
  path = g_strdup_printf ("OpenAPI/getDayLpData.do?serviceKey=k&custNo=9&date=%s", date);
  drd_kepco_sim_set_outage (f->sim, now - 10, now + 3600);
  g_assert_cmpuint (get (f, path, &b1), ==, 503);
  {
    g_autofree char *b0 = NULL;
    g_assert_cmpuint (get (f, "OpenAPI/getDayLpData.do?custNo=1&date=2026", &b0), ==, 503);
  }
  drd_kepco_sim_set_outage (f->sim, 0, 0);
  drd_kepco_sim_set_latency_ms (f->sim, 150);
  t0 = g_get_monotonic_time ();
  g_assert_cmpuint (get (f, path, &b2), ==, 200);
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 140000);
}

/* The built executable prints LISTENING and serves the same data. */
static void
test_executable (void)
{
  const char *build = g_getenv ("DRD_BUILD_DIR");
  g_autofree char *exe = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *path = NULL, *body = NULL;
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(DrdKepcoDay) got = NULL;
  g_autoptr(DrdKepcoDay) want = NULL;
  char date[9];
  DrdKepcoSimEvent ev;

  if (build == NULL)
    {
      g_test_skip ("DRD_BUILD_DIR not set");
      return;
    }
  exe = g_build_filename (build, "src", "drdesk-kepco-sim", NULL);
  past_date (7, date);
  ev.start = drd_kepco_sim_day_start (date) + 10 * 3600;
  ev.end = ev.start + 3600;
  {
    g_autofree char *window = g_strdup_printf ("%.4s-%.2s-%.2sT10:00:00+09:00/%.4s-%.2s-%.2sT11:00:00+09:00",
                                               date, date + 4, date + 6, date, date + 4, date + 6);
    proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, exe,
                             "--listen", "127.0.0.1:0", "--seed", "99", "--event", window,
                             "--reducer-share", "1.0", NULL);
  }
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "LISTENING http://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (line, "/"));

  path = g_strdup_printf ("%sOpenAPI/getDayLpData.do?serviceKey=k&returnType=02&custNo=5550001&date=%s",
                          line + strlen ("LISTENING "), date);
  g_assert_cmpuint (http_get (session, path, &body), ==, 200);
  got = drd_kepco_parse_day (body, strlen (body), "5550001", date, &error);
  g_assert_no_error (error);
  want = drd_kepco_sim_day (99, "5550001", date, &ev, 1, 1.0, 0.3);
  assert_same_day (got, want);

  g_subprocess_send_signal (proc, SIGTERM);
  g_assert_true (g_subprocess_wait (proc, NULL, &error));
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);

  /* Bad usage: exit status 2 and a message. */
  {
    g_autoptr(GSubprocess) bad = g_subprocess_new (G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
                                                   &error, exe, "--fail-rate", "2", NULL);
    g_autofree char *err_text = NULL;

    g_assert_no_error (error);
    g_assert_true (g_subprocess_communicate_utf8 (bad, NULL, NULL, NULL, &err_text, &error));
    g_assert_cmpint (g_subprocess_get_exit_status (bad), ==, 2);
    g_assert_nonnull (strstr (err_text, "--fail-rate"));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/kepco/sim/determinism", test_determinism);
  g_test_add_func ("/kepco/sim/profiles", test_profiles);
  g_test_add_func ("/kepco/sim/event-reduction", test_event_reduction);
  g_test_add_func ("/kepco/sim/render-round-trip", test_render_round_trip);
  g_test_add_func ("/kepco/sim/holidays", test_holidays);
  g_test_add_func ("/kepco/sim/parse-window", test_parse_window);
  g_test_add ("/kepco/sim/http-errors", Fixture, NULL, fixture_setup, test_http_errors, fixture_teardown);
  g_test_add ("/kepco/sim/http-data", Fixture, NULL, fixture_setup, test_http_data, fixture_teardown);
  g_test_add ("/kepco/sim/lag-days", Fixture, NULL, fixture_setup, test_lag_days, fixture_teardown);
  g_test_add ("/kepco/sim/admin-events", Fixture, NULL, fixture_setup, test_admin_events, fixture_teardown);
  g_test_add ("/kepco/sim/faults-keep-data", Fixture, NULL, fixture_setup, test_faults_keep_data, fixture_teardown);
  g_test_add ("/kepco/sim/outage-and-latency", Fixture, NULL, fixture_setup, test_outage_and_latency, fixture_teardown);
  g_test_add_func ("/kepco/sim/executable", test_executable);
  return g_test_run ();
}
