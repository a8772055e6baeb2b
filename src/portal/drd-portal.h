/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdPortal: the customers' answer site and JSON API on a SoupServer.
 *
 * Routes
 *   GET  /healthz                 "ok" (liveness: the process serves)
 *   GET  /readyz                  "ready", or 503 with the reason when
 *                                 answers cannot be made durable
 *   GET  /r/{token}               answer page (Korean; English via
 *                                 Accept-Language or ?lang=en)
 *   POST /r/{token}               form answer → 303 back to the page
 *   GET  /r/{token}/events        text/event-stream: "change" when an
 *                                 event starts, ends or changes (the page's
 *                                 optional JavaScript reloads on it)
 *   GET  /api/v1/me               Authorization: Bearer {token}
 *   POST /api/v1/answers          same header, {"event_id": N, "answer": …}
 *   GET  /static/portal.css|.js   from the GResource
 *
 * Every answer is acknowledged only after the store's group-committed
 * transaction is durable; no SQL runs on the main loop (messages are
 * paused while the store works). Limits: 16 KiB bodies, a per-client
 * token-bucket rate limit, a deadline for receiving a request's headers
 * and body, a bounded number of event-stream clients. */
#pragma once

#include <gio/gio.h>

#include "store/drd-store.h"

G_BEGIN_DECLS

/* Default request body limit (bytes); drd_portal_set_max_body() changes it. */
#define DRD_PORTAL_MAX_BODY (16 * 1024)
/* Default limit per answer link (drd_portal_set_token_rate_limit). */
#define DRD_PORTAL_TOKEN_RATE  1.0
#define DRD_PORTAL_TOKEN_BURST 10.0

#define DRD_TYPE_PORTAL (drd_portal_get_type ())
G_DECLARE_FINAL_TYPE (DrdPortal, drd_portal, DRD, PORTAL, GObject)

/* @secret: the link secret (see store/drd-store-portal.h), used to fill
 * missing token hashes while serving. */
DrdPortal  *drd_portal_new (DrdStore *store,
                            GBytes   *secret);

/* Requests per second per client address (0 = unlimited) and burst.
 * Default 20/s, burst 40. */
void        drd_portal_set_rate_limit (DrdPortal *self,
                                       double     rate,
                                       double     burst);
/* Requests per second per customer link for requests that carry a valid
 * token (a page, its live updates, an answer), whatever address they come
 * from: customers behind one proxy or CGNAT address are not limited
 * together. 0 = unlimited. Default 1/s, burst 10. The per-address limit
 * above applies only to requests without a valid token (where guessing
 * happens); static files, /healthz are never counted. */
void        drd_portal_set_token_rate_limit (DrdPortal *self,
                                             double     rate,
                                             double     burst);
/* Addresses or CIDRs ("10.0.0.0/8", "::1") of reverse proxies whose
 * Forwarded / X-Forwarded-For / X-Forwarded-Proto headers are believed;
 * from any other peer they are ignored. The client is the right-most
 * address of the chain that is not a trusted proxy. NULL or empty: none
 * (the default). Fails with G_IO_ERROR_INVALID_ARGUMENT naming the bad
 * entry, and then changes nothing. */
gboolean    drd_portal_set_trusted_proxies (DrdPortal          *self,
                                            const char * const *proxies,
                                            GError            **error);
/* Seconds a client has to send a whole request (headers and body) once
 * its connection or previous request started; also bounds idle
 * keep-alive connections. Default 10. */
void        drd_portal_set_request_timeout (DrdPortal *self,
                                            guint      seconds);
/* Bodies larger than this are refused with 413 (default 16 KiB). */
void        drd_portal_set_max_body (DrdPortal *self,
                                     gsize      max_body);
/* Default 200. */
void        drd_portal_set_max_event_streams (DrdPortal *self,
                                              guint      max_streams);
/* Live-update streams one link (@per_token, default 3) and one client
 * address (@per_client, default 32) may hold open; 0 = no such cap. */
void        drd_portal_set_event_stream_limits (DrdPortal *self,
                                                guint      per_token,
                                                guint      per_client);
/* Open live-update streams (tests). */
guint       drd_portal_get_n_event_streams (DrdPortal *self);
/* /readyz reports "disk full" below this many free bytes on the
 * database's file system (default 16 MiB). */
void        drd_portal_set_min_free_space (DrdPortal *self,
                                           guint64    bytes);
/* How often live pages are checked for event changes (default 2000 ms). */
void        drd_portal_set_poll_interval (DrdPortal *self,
                                          guint      milliseconds);

/* The in-memory token index for answers (default on; see
 * store/drd-store-portal.h): loaded in the background after listen and
 * reloaded when links are added or rotated, so a rotated link stops
 * working within one poll interval. Off: every answer looks its token up
 * in the database. */
void        drd_portal_set_token_index (DrdPortal *self,
                                        gboolean   enabled);
gboolean    drd_portal_get_token_index_ready (DrdPortal *self);

/* Binds @address:@port (port 0 picks a free one) with a backlog of 1024
 * and starts accepting in the thread-default main context. Fails with
 * G_IO_ERROR_ADDRESS_IN_USE when the port is taken. */
gboolean    drd_portal_listen (DrdPortal   *self,
                               const char  *address,
                               guint        port,
                               GError     **error);
guint       drd_portal_get_port (DrdPortal *self);
/* "http://ADDR:PORT/" of the listening socket. */
char       *drd_portal_get_url (DrdPortal *self);
/* Closes the socket and every connection; final (no listen afterwards). */
void        drd_portal_stop (DrdPortal *self);

/* Splits "ADDR:PORT" / "[V6]:PORT" / "ADDR" (port 8088). */
gboolean    drd_portal_parse_listen (const char  *spec,
                                     char       **out_address,
                                     guint       *out_port,
                                     GError     **error);

G_END_DECLS
