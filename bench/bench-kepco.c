/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-kepco: how fast the simulator serves days (a plain libsoup fetch
 * loop, no parsing) and how fast DrdKepcoClient fetches the same days
 * (queue, retries bookkeeping, parsing included), against one
 * drdesk-kepco-sim process on 127.0.0.1. Rounds alternate; medians and the
 * ratio are printed, since these machines are shared and noisy. */
#include "config.h"

#include <libsoup/soup.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kepco/drd-kepco-client.h"

typedef struct {
  char cust_no[16];
  char date[9];
} Req;

typedef struct {
  const char *base;
  Req *reqs;
  guint n;
  guint next;
  guint done;
  guint in_flight;
  guint concurrency;
  guint n_ok;
  guint64 bytes;
  SoupSession *session;
  DrdKepcoClient *client;
} Run;

static void raw_next (Run *run);

/* CPU time of this process (user + system), µs: steadier than wall time
 * on a shared machine, and it excludes the simulator's own work. */
static gint64
cpu_us (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return (gint64) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * G_USEC_PER_SEC +
         ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static void
raw_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Run *run = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);

  if (body && soup_message_get_status (msg) == 200)
    {
      run->n_ok++;
      run->bytes += g_bytes_get_size (body);
    }
  run->in_flight--;
  run->done++;
  raw_next (run);
}

static void
raw_next (Run *run)
{
  while (run->in_flight < run->concurrency && run->next < run->n)
    {
      Req *r = &run->reqs[run->next++];
      g_autofree char *url = g_strdup_printf ("%sOpenAPI/getDayLpData.do?serviceKey=bench&returnType=02&custNo=%s&date=%s",
                                              run->base, r->cust_no, r->date);
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);

      run->in_flight++;
      soup_session_send_and_read_async (run->session, msg, G_PRIORITY_DEFAULT, NULL, raw_done, run);
    }
}

static void
client_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Run *run = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoDay) day = drd_kepco_client_fetch_day_finish (DRD_KEPCO_CLIENT (source), result, &error);

  if (day && day->status == DRD_KEPCO_DAY_OK)
    run->n_ok++;
  else if (error)
    g_printerr ("bench-kepco: %s\n", error->message);
  run->done++;
}

static double
run_raw (const char *base, Req *reqs, guint n, guint concurrency, double *cpu_per_req)
{
  Run run = { base, reqs, n, 0, 0, 0, concurrency, 0, 0, NULL, NULL };
  gint64 t0, c0;
  double secs;

  run.session = soup_session_new_with_options ("max-conns", 1024, "max-conns-per-host", 1024, NULL);
  t0 = g_get_monotonic_time ();
  c0 = cpu_us ();
  raw_next (&run);
  while (run.done < n)
    g_main_context_iteration (NULL, TRUE);
  secs = (g_get_monotonic_time () - t0) / 1e6;
  *cpu_per_req = (double) (cpu_us () - c0) / n;
  if (run.n_ok != n)
    g_printerr ("bench-kepco: raw: only %u of %u answered 200\n", run.n_ok, n);
  g_object_unref (run.session);
  return n / secs;
}

static double
run_client (const char *base, Req *reqs, guint n, guint concurrency, double *cpu_per_req)
{
  Run run = { base, reqs, n, 0, 0, 0, concurrency, 0, 0, NULL, NULL };
  gint64 t0, c0;
  double secs;

  run.client = drd_kepco_client_new (base, "bench");
  g_object_set (run.client, "max-in-flight", concurrency, NULL);
  t0 = g_get_monotonic_time ();
  c0 = cpu_us ();
  /* Everything is queued at once: the client's own bound does the pacing. */
  for (guint i = 0; i < n; i++)
    drd_kepco_client_fetch_day_async (run.client, reqs[i].cust_no, reqs[i].date, NULL, client_done, &run);
  while (run.done < n)
    g_main_context_iteration (NULL, TRUE);
  secs = (g_get_monotonic_time () - t0) / 1e6;
  *cpu_per_req = (double) (cpu_us () - c0) / n;
  if (run.n_ok != n)
    g_printerr ("bench-kepco: client: only %u of %u days OK\n", run.n_ok, n);
  g_object_unref (run.client);
  return n / secs;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *v, guint n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main (int argc, char **argv)
{
  g_autofree char *sim_path = NULL;
  gint n = 2000, concurrency = 8, rounds = 3;
  GOptionEntry entries[] = {
    { "sim", 0, 0, G_OPTION_ARG_FILENAME, &sim_path, "drdesk-kepco-sim to run (default: next to this build)", "PATH" },
    { "requests", 'n', 0, G_OPTION_ARG_INT, &n, "Requests per round (2000)", "N" },
    { "concurrency", 'c', 0, G_OPTION_ARG_INT, &concurrency, "Requests in flight (8)", "C" },
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &rounds, "Rounds of each (3)", "R" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autofree Req *reqs = NULL;
  g_autofree double *raw = NULL;
  g_autofree double *cli = NULL;
  g_autofree double *raw_cpu = NULL;
  g_autofree double *cli_cpu = NULL;
  double warm;
  const char *base;
  double raw_med, cli_med;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || n < 1 || concurrency < 1 || rounds < 1 || rounds > 15)
    {
      g_printerr ("bench-kepco: %s\n", error ? error->message : "bad numbers");
      return 2;
    }
  if (sim_path == NULL)
    {
      g_autofree char *dir = g_path_get_dirname (argv[0]);
      sim_path = g_build_filename (dir, "..", "src", "drdesk-kepco-sim", NULL);
    }

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, sim_path,
                           "--listen", "127.0.0.1:0", "--seed", "1", NULL);
  if (proc == NULL)
    {
      g_printerr ("bench-kepco: cannot start %s: %s\n", sim_path, error->message);
      return 1;
    }
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  if (line == NULL || !g_str_has_prefix (line, "LISTENING "))
    {
      g_printerr ("bench-kepco: the simulator did not say LISTENING\n");
      g_subprocess_force_exit (proc);
      return 1;
    }
  base = line + strlen ("LISTENING ");

  /* Distinct (customer, day) pairs over the last year. */
  reqs = g_new0 (Req, n);
  for (gint i = 0; i < n; i++)
    {
      GDate d;

      g_snprintf (reqs[i].cust_no, sizeof reqs[i].cust_no, "%010d", 1000000 + (i / 20) * 7919);
      g_date_clear (&d, 1);
      g_date_set_dmy (&d, 1, G_DATE_JANUARY, 2025);
      g_date_add_days (&d, (guint) (i % 20) * 17);
      g_snprintf (reqs[i].date, sizeof reqs[i].date, "%04u%02u%02u",
                  g_date_get_year (&d), g_date_get_month (&d), g_date_get_day (&d));
    }

  raw = g_new0 (double, rounds);
  cli = g_new0 (double, rounds);
  raw_cpu = g_new0 (double, rounds);
  cli_cpu = g_new0 (double, rounds);
  run_raw (base, reqs, MIN (n, 200), (guint) concurrency, &warm);   /* warm-up */
  for (gint r = 0; r < rounds; r++)
    {
      raw[r] = run_raw (base, reqs, (guint) n, (guint) concurrency, &raw_cpu[r]);
      cli[r] = run_client (base, reqs, (guint) n, (guint) concurrency, &cli_cpu[r]);
      printf ("round %d: raw %.0f req/s (%.0f µs CPU/req), client %.0f days/s (%.0f µs CPU/day)\n",
              r + 1, raw[r], raw_cpu[r], cli[r], cli_cpu[r]);
    }
  raw_med = median (raw, (guint) rounds);
  cli_med = median (cli, (guint) rounds);
  printf ("simulator raw rate (plain fetch, %d in flight, %d requests): %.0f req/s (median of %d)\n",
          concurrency, n, raw_med, rounds);
  printf ("client rate (DrdKepcoClient, parse included, same requests): %.0f days/s (median of %d)\n",
          cli_med, rounds);
  printf ("client/raw ratio: %.2f\n", cli_med / raw_med);
  printf ("fetching-side CPU per request: raw %.0f µs, client %.0f µs (medians)\n",
          median (raw_cpu, (guint) rounds), median (cli_cpu, (guint) rounds));
  fflush (stdout);

  g_subprocess_send_signal (proc, SIGTERM);
  g_subprocess_wait (proc, NULL, NULL);
  return 0;
}
