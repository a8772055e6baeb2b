/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bare-soup: the reference for bench/bench-portal — a libsoup 3 server
 * with the same listening socket as the portal (own GSocket, backlog
 * 1024) and one constant handler that does no work at all.
 *
 *   bare-soup [ADDR:PORT]      prints "LISTENING http://ADDR:PORT/" */
#include <gio/gio.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
handler (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  static const char body[] = "{\"ok\":true}";

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                    body, strlen (body));
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string ("127.0.0.1");
  g_autoptr(GSocketAddress) addr = NULL;
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  guint port = 0;

  if (argc > 1)
    {
      const char *colon = strrchr (argv[1], ':');

      port = colon ? (guint) atoi (colon + 1) : 0;
    }
  addr = g_inet_socket_address_new (inet, port);
  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  if (sock == NULL)
    goto fail;
  g_socket_set_listen_backlog (sock, 1024);
  if (!g_socket_bind (sock, addr, TRUE, &error) || !g_socket_listen (sock, &error))
    goto fail;

  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, handler, NULL, NULL);
  if (!soup_server_listen_socket (server, sock, 0, &error))
    goto fail;

  bound = g_socket_get_local_address (sock, &error);
  if (bound == NULL)
    goto fail;
  printf ("LISTENING http://127.0.0.1:%u/\n",
          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  g_main_loop_run (loop);
  return 0;

fail:
  fprintf (stderr, "bare-soup: %s\n", error->message);
  return 1;
}
