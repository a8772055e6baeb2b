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
 * All database and HTTP work happens on the notifier's own thread (its
 * own main context and SoupSession), never on the caller's main loop.
 * The operator queries the state with drd_store_outbox_counts() and
 * drd_store_outbox_list() (store/drd-store-portal.h). */
#pragma once

#include <gio/gio.h>

#include "store/drd-store.h"

G_BEGIN_DECLS

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

void         drd_notifier_start (DrdNotifier *self);
/* Stops the thread; rows being sent stay "sending" until the next start
 * resets them. Blocks until the thread ended (at most the HTTP timeout). */
void         drd_notifier_stop (DrdNotifier *self);

/* Number of deliveries that completed (success or final failure) since
 * start — for tests and logs. Thread-safe. */
guint        drd_notifier_get_n_finished (DrdNotifier *self);

G_END_DECLS
