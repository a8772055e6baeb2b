/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The portal served from the window's process: it answers /healthz on
 * the configured port; a port change made in the Preferences window
 * moves it at once (the new port answers, the old one is closed); a port
 * already taken is a sentence in the overview's portal indicator, and
 * choosing another port recovers. Real sockets on 127.0.0.1. */
#include "config.h"

#include <libsoup/soup.h>

#include "gui/drd-overview.h"
#include "gui/drd-portal-host.h"
#include "gui/drd-preferences.h"
#include "service/drd-config.h"
#include "tests/gui/drd-gui-test-util.h"

typedef struct {
  SoupMessage *msg;
  gboolean     done;
  guint        status;
  char        *body;
  GError      *error;
} Get;

static void
on_got (GObject *source, GAsyncResult *result, gpointer data)
{
  Get *g = data;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                               &g->error);

  if (bytes != NULL)
    {
      g->status = soup_message_get_status (g->msg);
      g->body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }
  g->done = TRUE;
}

static gboolean
get_done (gpointer data)
{
  return ((Get *) data)->done;
}

/* GET http://127.0.0.1:@port/healthz while the main loop (and so the
 * portal, which runs in it) keeps going. Returns the status, 0 on a
 * connection error. */
static guint
healthz (guint port, char **body)
{
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 5, NULL);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/healthz", port);
  Get g = { 0 };
  guint status;

  g.msg = soup_message_new ("GET", url);
  soup_session_send_and_read_async (session, g.msg, G_PRIORITY_DEFAULT, NULL, on_got, &g);
  g_assert_true (drd_test_wait (get_done, &g, 8000));
  status = g.error == NULL ? g.status : 0;
  if (body != NULL)
    *body = g_steal_pointer (&g.body);
  g_free (g.body);
  g_clear_error (&g.error);
  g_object_unref (g.msg);
  return status;
}

/* A port nobody listens on right now. */
static guint
free_port (void)
{
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                          G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (sock, any, TRUE, NULL));
  bound = g_socket_get_local_address (sock, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

typedef struct {
  DrdPortalHost  *host;
  DrdServiceState state;
  guint           port;    /* 0: any */
} StateWant;

static gboolean
state_is (gpointer data)
{
  StateWant *w = data;

  return drd_portal_host_get_state (w->host) == w->state
         && (w->port == 0 || drd_portal_host_get_port (w->host) == w->port);
}

static void
reset_config (DrdConfig *config)
{
  for (const char *const *k = drd_config_list_keys (); *k != NULL; k++)
    drd_config_reset (config, *k);
}

static void
test_restart_on_port_change (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *db = NULL;
  g_autofree char *body = NULL;
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(DrdConfig) config = drd_config_new ();
  g_autoptr(DrdPortalHost) host = NULL;
  g_autoptr(GError) error = NULL;
  DrdPreferences *prefs;
  GtkWidget *overview;
  GtkSpinButton *port_spin;
  StateWant want = { 0 };
  guint old_port, new_port;
  g_autofree char *text = NULL;

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  g_assert_true (drd_config_is_persistent (config));
  reset_config (config);
  store = drd_test_store_new (20, &dir);
  db = g_build_filename (dir, "drdesk.db", NULL);
  g_assert_true (drd_config_set_portal (config, "127.0.0.1", 0, "http://127.0.0.1:8088", &error));
  g_assert_no_error (error);

  overview = g_object_ref_sink (drd_overview_new ());
  host = drd_portal_host_new (store, config);
  drd_portal_host_bind_overview (host, DRD_OVERVIEW (overview));
  drd_portal_host_start (host);
  want.host = host;
  want.state = DRD_SERVICE_RUNNING;
  g_assert_true (drd_test_wait (state_is, &want, 5000));
  old_port = drd_portal_host_get_port (host);
  g_assert_cmpuint (old_port, >, 0);
  text = g_strdup_printf ("http://127.0.0.1:%u/", old_port);
  g_assert_nonnull (strstr (drd_overview_get_portal_text (DRD_OVERVIEW (overview)), text));
  g_assert_cmpuint (healthz (old_port, &body), ==, 200);
  g_assert_cmpstr (body, ==, "ok");

  /* The operator types a new port in Preferences: immediate effect. */
  new_port = free_port ();
  prefs = drd_preferences_new (NULL, config, db);
  gtk_window_present (GTK_WINDOW (prefs));
  port_spin = GTK_SPIN_BUTTON (drd_preferences_get_field (prefs, "portal-port"));
  {
    g_autofree char *typed = g_strdup_printf ("%u", new_port);

    gtk_editable_set_text (GTK_EDITABLE (port_spin), typed);
    gtk_spin_button_update (port_spin);
  }
  g_assert_null (drd_preferences_get_error (prefs, "portal-port"));
  g_assert_cmpuint (drd_config_get_portal_port (config), ==, new_port);
  want.port = new_port;
  g_assert_true (drd_test_wait (state_is, &want, 5000));
  g_clear_pointer (&body, g_free);
  g_assert_cmpuint (healthz (new_port, &body), ==, 200);
  g_assert_cmpstr (body, ==, "ok");
  g_assert_cmpuint (healthz (old_port, NULL), ==, 0);   /* closed */
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf ("http://127.0.0.1:%u/", new_port);
  g_assert_nonnull (strstr (drd_overview_get_portal_text (DRD_OVERVIEW (overview)), text));

  gtk_window_destroy (GTK_WINDOW (prefs));
  drd_portal_host_stop (host);
  g_assert_cmpuint (healthz (new_port, NULL), ==, 0);
  g_assert_cmpint (drd_portal_host_get_state (host), ==, DRD_SERVICE_NOT_RUNNING);
  g_clear_object (&host);
  g_object_unref (overview);
  reset_config (config);
  g_clear_object (&store);
  drd_test_rmdir (dir);
}

static void
test_busy_port (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(DrdConfig) config = drd_config_new ();
  g_autoptr(DrdPortalHost) host = NULL;
  g_autoptr(GSocket) squatter = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expect = NULL;
  GtkWidget *overview;
  StateWant want = { 0 };
  guint busy;

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  reset_config (config);
  /* Someone else (another DR Desk, drdeskctl serve) holds the port. */
  squatter = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (squatter, any, TRUE, &error));
  g_assert_true (g_socket_listen (squatter, &error));
  bound = g_socket_get_local_address (squatter, NULL);
  busy = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  store = drd_test_store_new (5, &dir);
  g_assert_true (drd_config_set_portal (config, "127.0.0.1", busy, "http://127.0.0.1:8088", &error));
  overview = g_object_ref_sink (drd_overview_new ());
  host = drd_portal_host_new (store, config);
  drd_portal_host_bind_overview (host, DRD_OVERVIEW (overview));
  drd_portal_host_start (host);
  want.host = host;
  want.state = DRD_SERVICE_FAILED;
  g_assert_true (drd_test_wait (state_is, &want, 5000));
  expect = g_strdup_printf ("Port %u is in use", busy);
  g_test_message ("indicator: %s", drd_overview_get_portal_text (DRD_OVERVIEW (overview)));
  g_assert_nonnull (strstr (drd_overview_get_portal_text (DRD_OVERVIEW (overview)), expect));
  g_assert_nonnull (strstr (drd_portal_host_get_message (host), "Preferences"));

  /* Another port: running again. */
  g_assert_true (drd_config_set_value (config, "portal-port", g_variant_new_uint32 (0), &error));
  want.state = DRD_SERVICE_RUNNING;
  g_assert_true (drd_test_wait (state_is, &want, 5000));
  g_assert_cmpuint (healthz (drd_portal_host_get_port (host), NULL), ==, 200);

  drd_portal_host_stop (host);
  g_clear_object (&host);
  g_object_unref (overview);
  reset_config (config);
  g_clear_object (&store);
  drd_test_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_setenv ("LANGUAGE", "en", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gui/portal-host/restart-on-port-change", test_restart_on_port_change);
  g_test_add_func ("/gui/portal-host/busy-port", test_busy_port);
  return g_test_run ();
}
