/* SPDX-License-Identifier: GPL-3.0-or-later */
/* drdeskctl serve [--listen ADDR:PORT] [--kepco-url URL]: the customer
 * portal and the webhook notifier, headless, until SIGINT/SIGTERM. */
#include "config.h"

#include <glib-unix.h>

#include "cli/drd-cli-private.h"
#include "portal/drd-portal.h"
#include "service/drd-config.h"
#include "service/drd-notifier.h"
#include "store/drd-store-portal.h"

int drd_cli_cmd_serve (DrdCliContext *ctx, int argc, char **argv);

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
  gboolean no_index = FALSE;
  const GOptionEntry entries[] = {
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen,
      N_("Address and port to listen on (default: the portal settings, 127.0.0.1:8088; "
         "port 0 picks a free one)"),
      "ADDR:PORT" },
    { "kepco-url", 0, 0, G_OPTION_ARG_STRING, &kepco_url,
      N_("Base URL of the KEPCO meter-data API (for settlement)"), "URL" },
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
    { "no-token-index", 0, 0, G_OPTION_ARG_NONE, &no_index,
      N_("Look every answer's link up in the database (no in-memory index)"), NULL },
    { NULL }
  };
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) secret = NULL;
  g_autoptr(DrdPortal) portal = NULL;
  g_autoptr(DrdNotifier) notifier = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(DrdConfig) config = NULL;
  g_autofree char *default_listen = NULL;
  g_autofree char *address = NULL;
  g_autofree char *url = NULL;
  g_autofree char *secret_path = NULL;
  guint port = 8088;
  int status;

  if (!drd_cli_parse_options ("serve", NULL,
                              _("Serve the customer answer portal (and send webhook notifications) "
                                "until interrupted."),
                              _("Prints \"LISTENING http://ADDR:PORT/\" on stdout once it accepts\n"
                                "connections. Binds to 127.0.0.1 unless told otherwise."),
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

  store = drd_cli_open_store (ctx, FALSE, &error);
  if (store == NULL)
    return drd_cli_fail_error (NULL, error);
  secret_path = drd_link_secret_path (store);
  secret = drd_link_secret_load_or_create (secret_path, &error);
  if (secret == NULL)
    return drd_cli_fail_error (NULL, error);
  if (!drd_store_portal_ensure_tokens (store, secret, NULL, &error))
    return drd_cli_fail_error (_("cannot prepare answer links"), error);

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
  if (kepco_url != NULL)
    drd_cli_note (_("note: settlement is not run by serve in this build; --kepco-url is ignored"));

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);

  if (notifier != NULL)
    drd_notifier_stop (notifier);
  drd_portal_stop (portal);
  return DRD_CLI_EXIT_OK;
}
