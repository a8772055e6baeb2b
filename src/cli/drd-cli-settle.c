/* SPDX-License-Identifier: GPL-3.0-or-later */
/* drdeskctl settle EVENT_ID [--kepco-url URL] [--service-key KEY] */
#include "config.h"

#include <glib-unix.h>

#include "cli/drd-cli-private.h"
#include "kepco/drd-kepco-client.h"
#include "service/drd-config.h"
#include "service/drd-settler.h"
#include "store/drd-store-settle.h"

/* Not settled yet, nothing wrong: every customer left waits for KEPCO's
 * meter data (README, "Exit status"). */
#define SETTLE_EXIT_WAITING 3

typedef struct {
  GMainLoop  *loop;
  DrdSettler *settler;
  GError     *error;
  gboolean    done;
  gboolean    interrupted;
  guint64     last_done;
  guint64     last_waiting;
  gint64      last_print;
} SettleRun;

static void
settle_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  SettleRun *run = data;

  drd_settler_settle_event_finish (DRD_SETTLER (source), result, &run->error);
  run->done = TRUE;
  g_main_loop_quit (run->loop);
}

static gboolean
on_signal (gpointer data)
{
  SettleRun *run = data;

  run->interrupted = TRUE;
  drd_settler_stop (run->settler);
  return G_SOURCE_CONTINUE;
}

static gboolean
print_progress (gpointer data)
{
  SettleRun *run = data;
  DrdSettler *s = run->settler;
  guint64 done = drd_settler_get_n_done (s), total = drd_settler_get_n_total (s);
  guint64 waiting = drd_settler_get_n_waiting (s);
  gint64 now = g_get_monotonic_time ();

  if (total == 0)
    return G_SOURCE_CONTINUE;
  if (done == run->last_done && waiting == run->last_waiting
      && now - run->last_print < 30 * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;
  run->last_done = done;
  run->last_waiting = waiting;
  run->last_print = now;
  if (waiting > 0 && drd_settler_get_next_attempt_at (s) > 0)
    {
      g_autofree char *next = drd_cli_format_time (drd_settler_get_next_attempt_at (s));

      drd_cli_note (_("settled %llu of %llu; %llu"
                      " waiting (%s), next attempt %s"),
                    (unsigned long long) done, (unsigned long long) total,
                    (unsigned long long) waiting, drd_settler_get_last_error (s) ? drd_settler_get_last_error (s) : _("KEPCO"),
                    next);
    }
  else if (drd_settler_get_rate (s) > 0 && drd_settler_get_eta_seconds (s) >= 0)
    drd_cli_note (_("settled %llu of %llu (%.0f/s, about %.0f s left)"),
                  (unsigned long long) done, (unsigned long long) total, drd_settler_get_rate (s),
                  drd_settler_get_eta_seconds (s));
  else
    drd_cli_note (_("settled %llu of %llu"), (unsigned long long) done, (unsigned long long) total);
  return G_SOURCE_CONTINUE;
}

static int
print_summary (DrdStore *store,
               gint64    event_id)
{
  g_autoptr(GError) error = NULL;
  DrdEventSummary sum;
  double percent;

  if (!drd_store_settle_get_summary (store, event_id, &sum, &error))
    return drd_cli_fail_error (NULL, error);
  printf ("event_id: %" G_GINT64_FORMAT "\n", event_id);
  printf ("customers: %u\n", sum.n_customers);
  printf ("performed: %u\n", sum.n_by_outcome[DRD_OUTCOME_PERFORMED]);
  printf ("not_performed: %u\n", sum.n_by_outcome[DRD_OUTCOME_NOT_PERFORMED]);
  printf ("not_participating: %u\n", sum.n_by_outcome[DRD_OUTCOME_NOT_PARTICIPATING]);
  printf ("needs_review: %u\n", sum.n_by_outcome[DRD_OUTCOME_NEEDS_REVIEW]);
  {
    char buf[32];

    printf ("accepted_reduction_kwh: %s\n", drd_milli_format_buf (sum.accepted_reduction_wh, buf));
    printf ("target_kwh: %s\n", drd_milli_format_buf (drd_event_summary_target_wh (&sum), buf));
  }
  if (drd_event_summary_delivery_percent (&sum, &percent))
    printf ("delivery_percent: %.2f\n", percent);
  else
    printf ("delivery_percent: \n");
  printf ("points_total: %" G_GINT64_FORMAT "\n", sum.points_total);
  fflush (stdout);
  return DRD_CLI_EXIT_OK;
}

/* "N customers wait for KEPCO meter data until T": the run ends here
 * (status 3); their jobs wait in the database, a later run (or the
 * window, or serve) continues, and after T a customer still without data
 * is settled as needs review. */
static int
report_waiting (DrdStore *store,
                gint64    event_id,
                GError   *error)
{
  g_autoptr(DrdEvent) event = drd_store_get_event (store, event_id, drd_store_now (), NULL);
  g_autoptr(GError) local_error = NULL;
  DrdSettleProgress p;
  g_autofree char *next = NULL, *deadline = NULL;

  if (event == NULL
      || !drd_store_settle_get_progress (store, event_id, drd_store_now (), &p, &local_error))
    return drd_cli_fail_error (NULL, error);
  next = drd_cli_format_time (p.next_data_attempt_at);
  deadline = drd_cli_format_time (event->end_at + DRD_SETTLER_DEFAULT_DATA_DEADLINE_S);
  fprintf (stderr, "drdeskctl: ");
  fprintf (stderr, g_dngettext (GETTEXT_PACKAGE,
                                "event %lld: %lld of %lld customers settled; %lld customer waits for "
                                "KEPCO meter data until %s (next try %s); without data by then it is "
                                "settled as needs review. Run 'drdeskctl settle %lld' again later.\n",
                                "event %lld: %lld of %lld customers settled; %lld customers wait for "
                                "KEPCO meter data until %s (next try %s); without data by then they are "
                                "settled as needs review. Run 'drdeskctl settle %lld' again later.\n",
                                (gulong) p.n_waiting_data),
           (long long) event_id, (long long) p.n_settled, (long long) p.n_targeted,
           (long long) p.n_waiting_data, deadline, next, (long long) event_id);
  drd_settle_progress_clear (&p);
  return SETTLE_EXIT_WAITING;
}

int
drd_cli_cmd_settle (DrdCliContext *ctx, int argc, char **argv)
{
  g_autofree char *kepco_url = NULL, *service_key = NULL;
  const GOptionEntry entries[] = {
    { "kepco-url", 0, 0, G_OPTION_ARG_STRING, &kepco_url,
      N_("KEPCO API base URL (default: the kepco-base-url setting, http://127.0.0.1:8089)"), "URL" },
    { "service-key", 0, 0, G_OPTION_ARG_STRING, &service_key,
      N_("KEPCO service key (default: the key file next to the database); never printed"), "KEY" },
    { NULL }
  };
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdEvent) event = NULL;
  g_autoptr(DrdKepcoClient) client = NULL;
  g_autoptr(DrdSettler) settler = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(DrdConfig) config = NULL;
  DrdParams params;
  SettleRun run = { 0 };
  guint sig_int, sig_term, tick;
  gint64 id;
  int status;

  if (!drd_cli_parse_options ("settle", "EVENT_ID",
                              _("Settle an ended DR event: fetch meter data from KEPCO, compute each "
                                "customer's baseline, reduction and outcome, and credit points once."),
                              _("Runs to completion; progress goes to stderr, a summary to stdout.\n"
                                "Interrupted or killed, run it again: it continues where it stopped\n"
                                "and never credits anyone twice. An event that is still active must\n"
                                "be ended first (drdeskctl event end ID).\n"
                                "When the customers left wait for KEPCO meter data that has not\n"
                                "arrived yet, it says how many and until when, and exits with\n"
                                "status 3; run it again later."),
                              entries, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return drd_cli_usage_error ("settle", argc < 2 ? _("missing EVENT_ID") : _("too many arguments"));
  if (!drd_cli_parse_id (argv[1], &id))
    return drd_cli_usage_error ("settle", _("'%s' is not an event id"), argv[1]);

  store = drd_cli_open_store (ctx, TRUE, &error);
  if (store == NULL)
    return drd_cli_fail_error (NULL, error);
  event = drd_store_get_event (store, id, drd_store_now (), &error);
  if (event == NULL)
    return drd_cli_fail_error (NULL, error);
  switch (event->status)
    {
    case DRD_EVENT_SCHEDULED:
    case DRD_EVENT_ACTIVE:
      return drd_cli_fail (_("event %lld is still %s; end it first with "
                             "'drdeskctl event end %lld'"),
                           (long long) id, drd_event_status_to_string (event->status), (long long) id);
    case DRD_EVENT_CANCELLED:
      return drd_cli_fail (_("event %lld was cancelled; there is nothing to settle"), (long long) id);
    case DRD_EVENT_SETTLED:
      drd_cli_note (_("event %lld is already settled"), (long long) id);
      return print_summary (store, id);
    default:
      break;
    }

  /* The operator's settings (the window's too): KEPCO link and the
   * settlement rules (points per kWh, threshold, abnormal-day limits). */
  config = drd_config_new ();
  if (kepco_url == NULL)
    kepco_url = drd_config_dup_kepco_base_url (config);
  if (service_key == NULL && !drd_config_load_service_key (ctx->db_path, &service_key, &error))
    return drd_cli_fail_error (_("KEPCO service key"), error);
  if (!g_str_has_prefix (kepco_url, "http://") && !g_str_has_prefix (kepco_url, "https://"))
    return drd_cli_fail (_("--kepco-url must be an http:// or https:// URL"));
  drd_params_init_defaults (&params);
  drd_config_apply_params (config, &params);

  client = drd_kepco_client_new (kepco_url, service_key != NULL ? service_key : "");
  drd_config_apply_kepco_limits (config, client);
  settler = drd_settler_new (store, client, &params);
  /* Do not sit for days waiting for KEPCO: say who waits, until when. */
  g_object_set (settler, "wait-for-data", FALSE, NULL);
  loop = g_main_loop_new (NULL, FALSE);
  run.loop = loop;
  run.settler = settler;

  sig_int = g_unix_signal_add (SIGINT, on_signal, &run);
  sig_term = g_unix_signal_add (SIGTERM, on_signal, &run);
  tick = g_timeout_add_seconds (1, print_progress, &run);
  drd_cli_note (_("settling event %lld with KEPCO at %s"), (long long) id, kepco_url);
  drd_settler_settle_event_async (settler, id, NULL, settle_done, &run);
  while (!run.done)
    g_main_loop_run (loop);
  g_source_remove (tick);
  g_source_remove (sig_int);
  g_source_remove (sig_term);

  if (run.error != NULL)
    {
      g_autoptr(GError) e = g_steal_pointer (&run.error);

      if (run.interrupted)
        return drd_cli_fail (_("interrupted; run 'drdeskctl settle %lld' again to continue"),
                             (long long) id);
      if (g_error_matches (e, DRD_SETTLER_ERROR, DRD_SETTLER_ERROR_WAITING_FOR_DATA))
        return report_waiting (store, id, e);
      return drd_cli_fail_error (NULL, e);
    }
  print_progress (&run);
  return print_summary (store, id);
}
