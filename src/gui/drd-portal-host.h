/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdPortalHost: the customer portal (DrdPortal) and the webhook notifier
 * run inside the window's process, configured from DrdConfig.
 *
 * drd_portal_host_start() loads the link secret and fills missing token
 * hashes on a worker thread, then listens on the configured address and
 * port.  On DrdConfig::portal-changed a new address or port restarts the
 * listener at once (the old port is closed first); limits are applied to
 * the running portal; a new public URL restarts the notifier.  A failure
 * (port in use, address not on this machine) is a state with a plain
 * sentence, never a crash.  "state-changed" tells the window. */
#pragma once

#include <gio/gio.h>

#include "gui/drd-overview.h"
#include "service/drd-config.h"
#include "store/drd-store.h"

G_BEGIN_DECLS

#define DRD_TYPE_PORTAL_HOST (drd_portal_host_get_type ())
G_DECLARE_FINAL_TYPE (DrdPortalHost, drd_portal_host, DRD, PORTAL_HOST, GObject)

DrdPortalHost   *drd_portal_host_new (DrdStore  *store,
                                      DrdConfig *config);
/* "ADDR:PORT" used instead of the settings until they change (drdesk
 * --listen); NULL: the settings. Call before start. */
void             drd_portal_host_set_listen_override (DrdPortalHost *self,
                                                      const char    *listen);
void             drd_portal_host_start (DrdPortalHost *self);
/* Closes the port and stops the notifier. */
void             drd_portal_host_stop (DrdPortalHost *self);

DrdServiceState  drd_portal_host_get_state (DrdPortalHost *self);
/* "http://ADDR:PORT/" while running, else NULL. */
const char      *drd_portal_host_get_url (DrdPortalHost *self);
/* 0 unless running. */
guint            drd_portal_host_get_port (DrdPortalHost *self);
/* Why it is down (a sentence for the operator), else NULL. */
const char      *drd_portal_host_get_message (DrdPortalHost *self);

/* Keeps @overview's portal indicator in step with @self (until either
 * goes away). */
void             drd_portal_host_bind_overview (DrdPortalHost *self,
                                                DrdOverview   *overview);

G_END_DECLS
