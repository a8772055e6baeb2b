/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdKepcoClient: fetches KEPCO meter days over one SoupSession with
 * bounded concurrency, per-request timeouts, retries with exponential
 * backoff and full jitter, and a circuit breaker whose state is a property.
 *
 * Use it from the thread whose thread-default main context created it
 * (a worker thread with its own context works; property notifications are
 * then emitted on that thread too).
 *
 * For a settler:
 *  - OK day: store it as it is; n_present < 96 means KEPCO left slots
 *    empty (-1): cache it, and fetch it again later, it may fill in.
 *  - NOT_YET_AVAILABLE: no data yet (low-voltage meters lag a day or two);
 *    try again later, not now.
 *  - BREAKER_OPEN: the link is down (at least "breaker-threshold" of the
 *    last "breaker-window" attempts failed: 27 of 30 by default, so a
 *    flaky server is not taken for a dead one); nothing was sent. Retry
 *    after "breaker-cooldown-ms" (the state goes half-open by itself;
 *    watch notify::breaker-state).
 *  - HTTP_CLIENT (4xx): not retried; usually the service key or the
 *    customer number: show "last-error" to the operator.
 *  - HTTP_SERVER / TIMEOUT / NETWORK / MALFORMED: already retried
 *    "max-attempts" times; retry the job later (a MALFORMED message says
 *    what came instead: an HTML page, an empty answer…).
 *  - TLS: the certificate is not trusted; not retried (counts against the
 *    breaker). See drd_kepco_client_answers_unusable().
 *  - The queue is unbounded: keep a few × "max-in-flight" requests
 *    outstanding rather than queueing a million at once. */
#pragma once

#include <gio/gio.h>

#include "kepco/drd-kepco-parse.h"

G_BEGIN_DECLS

typedef enum {
  DRD_KEPCO_BREAKER_CLOSED = 0,     /* requests flow */
  DRD_KEPCO_BREAKER_OPEN = 1,       /* failing fast until the cooldown is over */
  DRD_KEPCO_BREAKER_HALF_OPEN = 2,  /* one probe is let through */
} DrdKepcoBreakerState;

#define DRD_TYPE_KEPCO_BREAKER_STATE (drd_kepco_breaker_state_get_type ())
GType       drd_kepco_breaker_state_get_type (void);
/* "closed", "open", "half-open" */
const char *drd_kepco_breaker_state_to_string (DrdKepcoBreakerState state);

/* Monotonic microseconds; tests inject a fake to step the breaker's
 * cooldown without sleeping. */
typedef gint64 (*DrdKepcoClockFunc) (gpointer user_data);

#define DRD_TYPE_KEPCO_CLIENT (drd_kepco_client_get_type ())
G_DECLARE_FINAL_TYPE (DrdKepcoClient, drd_kepco_client, DRD, KEPCO_CLIENT, GObject)

/* base_url: "http://127.0.0.1:8089" or with a path prefix; the API path
 * /OpenAPI/getDayLpData.do is appended. service_key never appears in
 * logs, errors or properties. */
DrdKepcoClient *drd_kepco_client_new (const char *base_url,
                                      const char *service_key);

/* Fetches one customer's day ("YYYYMMDD" or "YYYY-MM-DD", Asia/Seoul).
 * Finishes with a DrdKepcoDay whose status is OK (slots may be missing,
 * -1) or NOT_YET_AVAILABLE, or with a DRD_KEPCO_ERROR (HTTP_CLIENT,
 * HTTP_SERVER, TIMEOUT, MALFORMED, NETWORK after all attempts;
 * BREAKER_OPEN at once while the breaker is open; INVALID_ARGUMENT) or
 * G_IO_ERROR_CANCELLED. */
void         drd_kepco_client_fetch_day_async  (DrdKepcoClient      *client,
                                                const char          *cust_no,
                                                const char          *date,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
DrdKepcoDay *drd_kepco_client_fetch_day_finish (DrdKepcoClient  *client,
                                                GAsyncResult    *result,
                                                GError         **error);

DrdKepcoBreakerState drd_kepco_client_get_breaker_state (DrdKepcoClient *client);
/* Closes the breaker now (the operator's "try again now"). */
void                 drd_kepco_client_reset_breaker (DrdKepcoClient *client);
/* TRUE when the last "breaker-threshold" attempts in a row reached a
 * server that answered with something that is not meter data (an HTML
 * page, an empty 200) or whose TLS certificate is not trusted: a wrong
 * URL or a proxy in between, not an outage that waiting fixes.
 * dup_last_error() says which. */
gboolean             drd_kepco_client_answers_unusable (DrdKepcoClient *client);
/* Redacted; NULL before the first failure. */
char                *drd_kepco_client_dup_last_error (DrdKepcoClient *client);
guint64              drd_kepco_client_get_n_requests (DrdKepcoClient *client);
guint64              drd_kepco_client_get_n_failures (DrdKepcoClient *client);
guint64              drd_kepco_client_get_n_retries (DrdKepcoClient *client);
guint64              drd_kepco_client_get_n_rejected (DrdKepcoClient *client);
guint                drd_kepco_client_get_n_in_flight (DrdKepcoClient *client);
guint                drd_kepco_client_get_n_queued (DrdKepcoClient *client);

void  drd_kepco_client_set_clock (DrdKepcoClient    *client,
                                  DrdKepcoClockFunc  func,
                                  gpointer           user_data);
/* Makes the backoff jitter reproducible. */
void  drd_kepco_client_set_jitter_seed (DrdKepcoClient *client, guint32 seed);
/* text with the service key (plain and URL-escaped) replaced by "[redacted]". */
char *drd_kepco_client_redact (DrdKepcoClient *client, const char *text);

G_END_DECLS
