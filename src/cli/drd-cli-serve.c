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

#include <errno.h>
#include <glib-unix.h>
#include <sys/resource.h>

#include "cli/drd-cli-private.h"
#include "kepco/drd-kepco-client.h"
#include "portal/drd-portal.h"
#include "service/drd-config.h"
#include "service/drd-dispatcher.h"
#include "service/drd-notifier.h"
#include "service/drd-sd-notify.h"
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

/* A burst of connections must not run into the usual soft limit of
 * 1,024 files while the hard limit allows far more (the portal keeps
 * its connection cap below whatever limit there is). */
static void
raise_open_file_limit (void)
{
  struct rlimit rl;
  rlim_t want;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0)
    return;
  want = rl.rlim_max == RLIM_INFINITY ? (rlim_t) 1 << 20 : rl.rlim_max;
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
    return;
  rl.rlim_cur = want;
  if (setrlimit (RLIMIT_NOFILE, &rl) != 0)
    g_debug ("serve: cannot raise the open-file limit: %s", g_strerror (errno));
}

/* TLS for the portal: the certificate and key files, read again on
 * SIGHUP (a renewed certificate without a restart). */
typedef struct {
  DrdPortal *portal;
  char      *cert_path;
  char      *key_path;
} TlsFiles;

static gboolean
load_tls (TlsFiles  *tls,
          GError   **error)
{
  g_autoptr(GTlsCertificate) cert = NULL;

  cert = g_tls_certificate_new_from_files (tls->cert_path, tls->key_path, error);
  if (cert == NULL)
    {
      g_prefix_error (error, _("cannot read the TLS certificate %s and key %s: "),
                      tls->cert_path, tls->key_path);
      return FALSE;
    }
  drd_portal_set_tls_certificate (tls->portal, cert);
  return TRUE;
}

static gboolean
reload_tls_cb (gpointer user_data)
{
  TlsFiles *tls = user_data;
  g_autoptr(GError) error = NULL;

  if (tls->cert_path == NULL)
    return G_SOURCE_CONTINUE;
  /* A bad new file keeps the certificate in use. */
  if (!load_tls (tls, &error))
    drd_cli_note (_("%s; keeping the certificate in use"), error->message);
  else
    drd_cli_note (_("TLS certificate reloaded from %s"), tls->cert_path);
  return G_SOURCE_CONTINUE;
}

static void
notify_manager (const char *state)
{
  g_autoptr(GError) error = NULL;

  if (!drd_sd_notify (state, &error))
    drd_cli_note ("%s", error->message);
}

static gboolean
watchdog_cb (gpointer user_data)
{
  /* Sent from the main loop: a stuck loop stops the pings and systemd
   * restarts the service. */
  notify_manager ("WATCHDOG=1");
  return G_SOURCE_CONTINUE;
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
  gint max_connections = -1;
  gint max_idle = -1;
  gboolean no_notifier = FALSE;
  gboolean no_settler = FALSE;
  gboolean no_index = FALSE;
  g_autofree char *tls_cert = NULL;
  g_autofree char *tls_key = NULL;
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
    { "max-connections", 0, 0, G_OPTION_ARG_INT, &max_connections,
      N_("Connections kept open at once; over it the longest-idle one is closed, or a "
         "newcomer is answered 503 (default: the portal-max-connections setting, 4096)"), "N" },
    { "max-idle-per-address", 0, 0, G_OPTION_ARG_INT, &max_idle,
      N_("Connections one client address may keep open without a request (default: the "
         "portal-max-idle-per-address setting, 64)"), "N" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert,
      N_("Serve HTTPS with this PEM certificate (chain); read again on SIGHUP"), "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key,
      N_("The PEM private key of --tls-cert (default: in the certificate file)"), "FILE" },
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
  g_autofree char *secret_path = NULL;
  g_autoptr(GPtrArray) passed = NULL;
  TlsFiles tls = { NULL };
  guint64 watchdog_usec;
  guint watchdog_id = 0;
  guint port = 8088;
  int status;

  if (!drd_cli_parse_options ("serve", NULL,
                              _("Serve the customer answer portal, send webhook notifications, end "
                                "events at their end time and settle ended events, until interrupted."),
                              _("Prints \"LISTENING http://ADDR:PORT/\" (https:// with --tls-cert) on\n"
                                "stdout once it accepts connections. Binds to 127.0.0.1 unless told\n"
                                "otherwise; under systemd it uses the sockets it is passed (LISTEN_FDS)\n"
                                "and reports readiness and watchdog pings (NOTIFY_SOCKET). SIGHUP reads\n"
                                "the TLS files again. Settlement progress and KEPCO errors go to stderr."),
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
  if (max_connections == -1)
    max_connections = (gint) drd_config_get_portal_max_connections (config);
  if (max_idle == -1)
    max_idle = (gint) drd_config_get_portal_max_idle_per_address (config);
  if (max_connections < 1 || max_idle < 1)
    return drd_cli_usage_error ("serve", _("--max-connections and --max-idle-per-address "
                                           "must be >= 1"));
  if (tls_key != NULL && tls_cert == NULL)
    return drd_cli_usage_error ("serve", _("--tls-key needs --tls-cert"));
  if (kepco_url == NULL)
    kepco_url = drd_config_dup_kepco_base_url (config);
  if (!g_str_has_prefix (kepco_url, "http://") && !g_str_has_prefix (kepco_url, "https://"))
    return drd_cli_usage_error ("serve", _("--kepco-url must be an http:// or https:// URL"));

  raise_open_file_limit ();
  /* Sockets passed by systemd (socket activation) replace --listen. */
  passed = drd_sd_listen_sockets (&error);
  if (passed == NULL)
    return drd_cli_fail_error (_("cannot use the sockets passed by the service manager"), error);
  store = drd_cli_open_store (ctx, FALSE, &error);
  if (store == NULL)
    return drd_cli_fail_error (NULL, error);
  secret_path = drd_link_secret_path (store);
  secret = drd_link_secret_load_or_create (secret_path, &error);
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
  drd_portal_set_connection_limits (portal, (guint) max_connections, (guint) max_idle);
  if (tls_cert != NULL)
    {
      tls.portal = portal;
      tls.cert_path = tls_cert;
      tls.key_path = tls_key != NULL ? tls_key : tls_cert;
      if (!load_tls (&tls, &error))
        return drd_cli_fail_error (NULL, error);
    }
  if (passed->len > 0)
    {
      for (guint i = 0; i < passed->len; i++)
        if (!drd_portal_listen_socket (portal, passed->pdata[i], &error))
          return drd_cli_fail_error (_("cannot use the sockets passed by the service manager"),
                                     error);
    }
  else if (!drd_portal_listen (portal, address, port, &error))
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
  g_unix_signal_add (SIGHUP, reload_tls_cb, &tls);
  {
    g_autofree char *state = g_strdup_printf ("READY=1\nSTATUS=Serving the portal at %s", url);

    notify_manager (state);
  }
  /* Pings at half the interval systemd waits for. */
  watchdog_usec = drd_sd_watchdog_usec ();
  if (watchdog_usec > 0)
    watchdog_id = g_timeout_add ((guint) MAX (watchdog_usec / 2000, 1), watchdog_cb, NULL);
  g_main_loop_run (loop);

  notify_manager ("STOPPING=1");
  g_clear_handle_id (&watchdog_id, g_source_remove);

  if (dispatcher != NULL)
    drd_dispatcher_stop (dispatcher);
  if (settler != NULL)
    drd_settler_stop (settler);
  if (notifier != NULL)
    drd_notifier_stop (notifier);
  drd_portal_stop (portal);
  return DRD_CLI_EXIT_OK;
}
