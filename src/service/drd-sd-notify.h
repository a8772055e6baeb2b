/* SPDX-License-Identifier: GPL-3.0-or-later */
/* systemd's service protocols without libsystemd: readiness and
 * watchdog notifications (the NOTIFY_SOCKET datagram protocol) and
 * sockets passed by socket activation (LISTEN_FDS / LISTEN_PID). Both do
 * nothing when the process was not started that way. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Sends @state ("READY=1", "STOPPING=1", "WATCHDOG=1", "STATUS=…",
 * lines joined by '\n') to $NOTIFY_SOCKET (a path, or an abstract name
 * starting with '@'). TRUE when sent; FALSE with @error when the socket
 * is set but unusable; TRUE without sending when it is not set. */
gboolean    drd_sd_notify (const char  *state,
                           GError     **error);

/* The watchdog interval systemd expects pings within ($WATCHDOG_USEC,
 * for this process when $WATCHDOG_PID is set), or 0 when none. */
guint64     drd_sd_watchdog_usec (void);

/* The listening sockets passed to this process (fds 3 … 3+$LISTEN_FDS-1
 * when $LISTEN_PID is this process), close-on-exec from now on; the
 * variables are unset so that children do not see them. An empty array
 * when nothing was passed. NULL with @error when a passed descriptor is
 * not a socket. */
GPtrArray  *drd_sd_listen_sockets (GError **error);

G_END_DECLS
