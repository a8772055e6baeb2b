/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdNotifier: delivers the webhook outbox.
 *
 * When an event is started (scheduled or running), every targeted
 * customer with a webhook_url gets an outbox row (persisted). The notifier
 * POSTs each row as JSON — the event plus the customer's answer link,
 * derived at send time so the database never holds a usable link — and
 * retries failures with exponential backoff and jitter (5xx, 408, 429 and
 * network errors; other 4xx answers give up at once) until it gives up
 * after a number of attempts. Rows are claimed (state "sending") before
 * each attempt; a restart turns leftover "sending" rows back to pending,
 * so delivery resumes (at-least-once: a crash right after a delivery may
 * repeat it).
 *
 * A customer's webhook server is a stranger's server:
 *  - the host name is resolved by the notifier, and only an address that
 *    passes drd_notifier_address_refusal() is connected to (loopback,
 *    private, link-local, multicast, unspecified and reserved addresses
 *    are refused, unless inside an allowed network); no proxy is used;
 *  - redirects are not followed (a 3xx is a failed delivery, no retry);
 *  - at most DRD_NOTIFIER_ANSWER_MAX bytes of an answer are read (the
 *    status line decides), then the connection is closed;
 *  - each delivery has a wall-clock deadline (resolution, connection, TLS,
 *    request and answer together);
 *  - 8 deliveries run at once, at most 2 of them to one origin
 *    (scheme://host:port as written in the URL).
 *
 * All database and HTTP work happens on the notifier's own thread (its
 * own main context), never on the caller's main loop. The operator
 * queries the state with drd_store_outbox_counts() and
 * drd_store_outbox_list() (store/drd-store-portal.h). */
#pragma once

#include <gio/gio.h>

#include "store/drd-store.h"

G_BEGIN_DECLS

#define DRD_NOTIFIER_MAX_IN_FLIGHT 8
#define DRD_NOTIFIER_MAX_PER_ORIGIN 2
#define DRD_NOTIFIER_ANSWER_MAX 4096
#define DRD_NOTIFIER_DEFAULT_DEADLINE 10

#define DRD_TYPE_NOTIFIER (drd_notifier_get_type ())
G_DECLARE_FINAL_TYPE (DrdNotifier, drd_notifier, DRD, NOTIFIER, GObject)

/* @public_base_url: where customers reach the portal ("https://dr.example.kr"),
 * the link is @public_base_url + "/r/" + token. */
DrdNotifier *drd_notifier_new (DrdStore   *store,
                               GBytes     *secret,
                               const char *public_base_url);

/* Retry policy: first retry after @base_seconds, doubling up to
 * @max_seconds, at most @max_attempts attempts in all. Defaults 5 s,
 * 3600 s, 8. Call before drd_notifier_start(). */
void         drd_notifier_set_retry (DrdNotifier *self,
                                     guint        base_seconds,
                                     guint        max_seconds,
                                     guint        max_attempts);
/* How often the outbox is looked at (default 1000 ms). */
void         drd_notifier_set_poll_interval (DrdNotifier *self,
                                             guint        milliseconds);
/* Wall-clock seconds one delivery may take in all (default 10). Call
 * before drd_notifier_start(). */
void         drd_notifier_set_deadline (DrdNotifier *self,
                                        guint        seconds);
/* Networks that webhooks may reach although they are not public (an
 * on-premise customer's 10.20.0.0/16, or 127.0.0.1 for tests): each entry
 * "ADDRESS/PREFIX" or a single address; NULL or empty: none. Fails (and
 * changes nothing) on an entry that is not a network. Call before
 * drd_notifier_start(). */
gboolean     drd_notifier_set_allowed_networks (DrdNotifier        *self,
                                                const char * const *networks,
                                                GError            **error);

void         drd_notifier_start (DrdNotifier *self);
/* Stops the thread; rows being sent stay "sending" until the next start
 * resets them. Blocks until the thread ended (deliveries are cancelled). */
void         drd_notifier_stop (DrdNotifier *self);

/* Number of deliveries that completed (success or final failure) since
 * start — for tests and logs. Thread-safe. */
guint        drd_notifier_get_n_finished (DrdNotifier *self);

/* Parses @networks as drd_notifier_set_allowed_networks() does: a new
 * array of GInetAddressMask, or NULL with a G_IO_ERROR_INVALID_ARGUMENT
 * error that names the bad entry. Surrounding white space is ignored, and
 * so are empty entries. */
GPtrArray   *drd_notifier_parse_networks (const char * const *networks,
                                          GError            **error);
/* Why a webhook must not go to @address — "loopback", "private",
 * "link-local", "multicast", "unspecified", "reserved", "documentation"
 * or "shared (carrier-grade NAT)" — or NULL when it may (a public address,
 * or one inside @allowed, GInetAddressMask*, may be NULL). IPv4 addresses
 * mapped or embedded in IPv6 (::ffff:0:0/96, 6to4, NAT64) are judged as
 * the IPv4 address. */
const char  *drd_notifier_address_refusal (GInetAddress *address,
                                           GPtrArray    *allowed);

G_END_DECLS
