/* SPDX-License-Identifier: GPL-3.0-or-later */
/* drdeskctl serve [--listen ADDR:PORT] [--kepco-url URL]: the customer
 * portal, the webhook notifier and settlement (dispatcher + settler),
 * headless, until SIGINT/SIGTERM.
 *
 * Settlement here is the window's: the dispatcher ends every active event
 * whose end time has passed, the settler (service mode) settles every
 * ended event — also one ended by another process (`drdeskctl event end`),
 * which its periodic scan finds — and resumes jobs a crash left behind. */
#include "config.h"

#include <glib-unix.h>

#include "cli/drd-cli-private.h"
#include "kepco/drd-kepco-client.h"
#include "portal/drd-portal.h"
#include "service/drd-config.h"
#include "service/drd-dispatcher.h"
#include "service/drd-notifier.h"
#include "service/drd-settler.h"
#include "store/drd-store-portal.h"

int drd_cli_cmd_serve (DrdCliContext *ctx, int argc, char **argv);

static void
event_settled_cb (DrdSettler *settler,
                  gint64      event_id,
                  gpointer    user_data)
{
  drd_cli_note (_("event %lld settled"), (long long) event_id);
}

static void
last_error_cb (DrdSettler *settler,
               GParamSpec *pspec,
               gpointer    user_data)
{
  static gint64 last_note;
  const char *message = drd_settler_get_last_error (settler);
  gint64 now = g_get_monotonic_time ();

  /* KEPCO trouble changes the message often; a line every few seconds
   * tells the operator enough. */
  if (message == NULL || now - last_note < 5 * G_USEC_PER_SEC)
    return;
  last_note = now;
  drd_cli_note (_("settlement: %s"), message);
}

/* The settler and the dispatcher with the operator's KEPCO settings and
 * settlement rules (as `drdeskctl settle` and the window use them). */
static gboolean
start_settlement (DrdCliContext   *ctx,
                  DrdStore        *store,
                  DrdConfig       *config,
                  const char      *kepco_url,
                  DrdKepcoClient **out_client,
                  DrdSettler     **out_settler,
                  DrdDispatcher  **out_dispatcher,
                  GError         **error)
{
  g_autofree char *service_key = NULL;
  DrdParams params;
  DrdKepcoClient *client;
  DrdSettler *settler;
  DrdDispatcher *dispatcher;

  if (!drd_config_load_service_key (ctx->db_path, &service_key, error))
    return FALSE;
  drd_params_init_defaults (&params);
  drd_config_apply_params (config, &params);

  client = drd_kepco_client_new (kepco_url, service_key != NULL ? service_key : "");
  drd_config_apply_kepco_limits (config, client);
  settler = drd_settler_new (store, client, &params);
  dispatcher = drd_dispatcher_new (store);
  g_signal_connect_swapped (dispatcher, "event-ended", G_CALLBACK (drd_settler_scan), settler);
  g_signal_connect (settler, "event-settled", G_CALLBACK (event_settled_cb), NULL);
  g_signal_connect (settler, "notify::last-error", G_CALLBACK (last_error_cb), NULL);
  drd_settler_start (settler);
  drd_dispatcher_start (dispatcher);
  *out_client = client;
  *out_settler = settler;
  *out_dispatcher = dispatcher;
  return TRUE;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

int
drd_cli_cmd_serve (DrdCliContext *ctx, int argc, char **argv)
{
  g_autofree char *listen = NULL;
  g_autofree char *kepco_url = NULL;
  g_autofree char *public_url = NULL;
  double rate = -1, burst = -1;
  gint timeout = -1;
  gboolean no_notifier = FALSE;
  gboolean no_settler = FALSE;
  gboolean no_index = FALSE;
  const GOptionEntry entries[] = {
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen,
      N_("Address and port to listen on (default: the portal settings, 127.0.0.1:8088; "
         "port 0 picks a free one)"),
      "ADDR:PORT" },
    { "kepco-url", 0, 0, G_OPTION_ARG_STRING, &kepco_url,
      N_("Base URL of the KEPCO meter-data API for settlement (default: the kepco-base-url "
         "setting, http://127.0.0.1:8089); the service key comes from the key file next to "
         "the database"), "URL" },
    { "public-url", 0, 0, G_OPTION_ARG_STRING, &public_url,
      N_("Base URL customers reach the portal at, for webhook links "
         "(default: the portal-public-url setting)"), "URL" },
    { "rate-limit", 0, 0, G_OPTION_ARG_DOUBLE, &rate,
      N_("Requests per second allowed per client address (0 = no limit; "
         "default: the portal-rate-limit setting, 20)"), "N" },
    { "rate-burst", 0, 0, G_OPTION_ARG_DOUBLE, &burst,
      N_("Requests a client may send at once before the limit applies (default: twice the rate)"),
      "N" },
    { "request-timeout", 0, 0, G_OPTION_ARG_INT, &timeout,
      N_("Seconds a client has to send a whole request (default: the "
         "portal-request-timeout setting, 10)"), "S" },
    { "no-notifier", 0, 0, G_OPTION_ARG_NONE, &no_notifier,
      N_("Do not send webhook notifications"), NULL },
    { "no-settler", 0, 0, G_OPTION_ARG_NONE, &no_settler,
      N_("Do not end events at their end time nor settle ended events"), NULL },
    { "no-token-index", 0, 0, G_OPTION_ARG_NONE, &no_index,
      N_("Look every answer's link up in the database (no in-memory index)"), NULL },
    { NULL }
  };
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) secret = NULL;
  g_autoptr(DrdPortal) portal = NULL;
  g_autoptr(DrdNotifier) notifier = NULL;
  g_autoptr(DrdKepcoClient) client = NULL;
  g_autoptr(DrdSettler) settler = NULL;
  g_autoptr(DrdDispatcher) dispatcher = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(DrdConfig) config = NULL;
  g_autofree char *default_listen = NULL;
  g_autofree char *address = NULL;
  g_autofree char *url = NULL;
  guint port = 8088;
  int status;

  if (!drd_cli_parse_options ("serve", NULL,
                              _("Serve the customer answer portal, send webhook notifications, end "
                                "events at their end time and settle ended events, until interrupted."),
                              _("Prints \"LISTENING http://ADDR:PORT/\" on stdout once it accepts\n"
                                "connections. Binds to 127.0.0.1 unless told otherwise. Settlement\n"
                                "progress and KEPCO errors go to stderr."),
                              entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return drd_cli_usage_error ("serve", _("unexpected argument '%s'"), argv[1]);
  /* Unset options come from the operator's portal settings (defaults
   * when the settings schema is not installed). */
  config = drd_config_new ();
  default_listen = drd_config_dup_portal_listen (config);
  if (!drd_portal_parse_listen (listen ? listen : default_listen, &address, &port, &error))
    return drd_cli_usage_error ("serve", "%s", error->message);
  if (rate == -1)
    rate = drd_config_get_portal_rate_limit (config);
  if (burst == -1)
    burst = MAX (2 * rate, 1);
  if (timeout == -1)
    timeout = (gint) drd_config_get_portal_request_timeout (config);
  if (rate < 0 || burst < 1 || timeout < 1)
    return drd_cli_usage_error ("serve", _("--rate-limit must be >= 0, --rate-burst >= 1, "
                                           "--request-timeout >= 1"));
  if (kepco_url == NULL)
    kepco_url = drd_config_dup_kepco_base_url (config);
  if (!g_str_has_prefix (kepco_url, "http://") && !g_str_has_prefix (kepco_url, "https://"))
    return drd_cli_usage_error ("serve", _("--kepco-url must be an http:// or https:// URL"));

  store = drd_cli_open_store (ctx, FALSE, &error);
  if (store == NULL)
    return drd_cli_fail_error (NULL, error);
  secret = drd_store_portal_open_secret (store, &error);
  if (secret == NULL)
    return drd_cli_fail_error (NULL, error);
  if (!drd_store_portal_ensure_tokens (store, secret, NULL, &error))
    return drd_cli_fail_error (_("cannot prepare answer links"), error);

  if (!no_settler
      && !start_settlement (ctx, store, config, kepco_url, &client, &settler, &dispatcher, &error))
    return drd_cli_fail_error (_("KEPCO service key"), error);

  portal = drd_portal_new (store, secret);
  drd_portal_set_rate_limit (portal, rate, burst);
  drd_portal_set_request_timeout (portal, (guint) timeout);
  drd_portal_set_max_body (portal, drd_config_get_portal_max_body (config));
  drd_portal_set_token_index (portal, !no_index);
  if (!drd_portal_listen (portal, address, port, &error))
    return drd_cli_fail_error (NULL, error);

  url = drd_portal_get_url (portal);
  printf ("LISTENING %s\n", url);
  fflush (stdout);

  if (public_url == NULL)
    public_url = drd_config_dup_portal_public_url (config);
  if (!no_notifier)
    {
      notifier = drd_notifier_new (store, secret, public_url);
      drd_notifier_start (notifier);
    }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);

  if (dispatcher != NULL)
    drd_dispatcher_stop (dispatcher);
  if (settler != NULL)
    drd_settler_stop (settler);
  if (notifier != NULL)
    drd_notifier_stop (notifier);
  drd_portal_stop (portal);
  return DRD_CLI_EXIT_OK;
}
