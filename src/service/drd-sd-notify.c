/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "service/drd-sd-notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define SD_LISTEN_FDS_START 3

gboolean
drd_sd_notify (const char  *state,
               GError     **error)
{
  const char *path = g_getenv ("NOTIFY_SOCKET");
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  socklen_t sa_len;
  gsize len;
  ssize_t sent;
  int fd;

  g_return_val_if_fail (state != NULL, FALSE);
  if (path == NULL || *path == '\0')
    return TRUE;
  len = strlen (path);
  if ((path[0] != '/' && path[0] != '@') || len >= sizeof sa.sun_path)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "NOTIFY_SOCKET “%s” is neither a socket path nor an abstract name", path);
      return FALSE;
    }
  memcpy (sa.sun_path, path, len);
  /* "@name" is the abstract name "\0name" (its length counts, no NUL). */
  if (path[0] == '@')
    sa.sun_path[0] = '\0';
  sa_len = (socklen_t) (G_STRUCT_OFFSET (struct sockaddr_un, sun_path) + len
                        + (path[0] == '/' ? 1 : 0));

  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot create a socket to notify the service manager: %s", g_strerror (errsv));
      return FALSE;
    }
  do
    sent = sendto (fd, state, strlen (state), MSG_NOSIGNAL, (struct sockaddr *) &sa, sa_len);
  while (sent < 0 && errno == EINTR);
  if (sent < 0)
    {
      int errsv = errno;

      close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot notify the service manager at %s: %s", path, g_strerror (errsv));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

/* $NAME as a number, when it is one. */
static gboolean
env_uint64 (const char *name,
            guint64    *out)
{
  const char *v = g_getenv (name);

  return v != NULL && g_ascii_string_to_unsigned (v, 10, 0, G_MAXUINT64, out, NULL);
}

guint64
drd_sd_watchdog_usec (void)
{
  guint64 usec = 0, pid = 0;

  if (!env_uint64 ("WATCHDOG_USEC", &usec))
    return 0;
  if (g_getenv ("WATCHDOG_PID") != NULL && (!env_uint64 ("WATCHDOG_PID", &pid) ||
                                             pid != (guint64) getpid ()))
    return 0;
  return usec;
}

GPtrArray *
drd_sd_listen_sockets (GError **error)
{
  g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func (g_object_unref);
  guint64 pid = 0, n = 0;

  if (!env_uint64 ("LISTEN_PID", &pid) || pid != (guint64) getpid () ||
      !env_uint64 ("LISTEN_FDS", &n))
    return g_steal_pointer (&sockets);
  g_unsetenv ("LISTEN_PID");
  g_unsetenv ("LISTEN_FDS");
  g_unsetenv ("LISTEN_FDNAMES");
  for (guint64 i = 0; i < n && i < 64; i++)
    {
      int fd = SD_LISTEN_FDS_START + (int) i;
      int flags = fcntl (fd, F_GETFD);
      GSocket *sock;

      if (flags < 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "LISTEN_FDS names descriptor %d, which is not open", fd);
          return NULL;
        }
      fcntl (fd, F_SETFD, flags | FD_CLOEXEC);
      sock = g_socket_new_from_fd (fd, error);
      if (sock == NULL)
        {
          g_prefix_error (error, "Descriptor %d passed by the service manager: ", fd);
          return NULL;
        }
      g_ptr_array_add (sockets, sock);
    }
  return g_steal_pointer (&sockets);
}
