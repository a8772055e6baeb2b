/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdSettler: settles ended DR events, customer by customer, exactly once.
 *
 * Jobs are rows (store "settle" jobs), so nothing is lost across crashes:
 * a scan finds ended events and creates their jobs idempotently in the
 * same transaction that moves the event to settling; jobs left running by
 * a crash are reset when a settler starts. Per claimed job the settler
 * reads the customer's answer, other events' days (excluded from the CBL)
 * and cached meter days in bulk (one read snapshot per batch, in a worker
 * thread), fetches the days it still needs from KEPCO (bounded, pipelined:
 * fetches of many customers are kept in flight continuously), computes CBL
 * and outcome with core, and commits many customers per group-committed
 * transaction: settlement row + ledger credit + job done together. KEPCO
 * "no data yet" makes the job wait (not an error), and so does data that
 * KEPCO has not delivered in full yet (the event's last slot not over, a
 * slot of the event or a recent CBL day missing) until data-deadline-s
 * (3 days) after the event's end: only then is a customer without data
 * final (needs review); errors back off
 * exponentially (stored in the job); an open breaker makes jobs wait for
 * its cooldown. When every targeted customer has a settlement row, the
 * event becomes settled.
 *
 * Everything runs on the thread-default main context of the creator and
 * never blocks it (store reads in worker threads, writes on the store's
 * writer, HTTP async).
 *
 * Wiring (window, `drdeskctl serve`):
 *   client = drd_kepco_client_new (url, key);
 *   settler = drd_settler_new (store, client, params);
 *   dispatcher = drd_dispatcher_new (store);
 *   g_signal_connect_swapped (dispatcher, "event-ended",
 *                             G_CALLBACK (drd_settler_scan), settler);
 *   drd_settler_start (settler); drd_dispatcher_start (dispatcher);
 * The window's "End event" just calls drd_store_end_event_async(); the
 * settler's periodic scan (or a drd_settler_scan() after it) takes over.
 * Settlement view: properties below (notify::n-done …), the store queries
 * of store/drd-store-settle.h (drd_store_settle_list_async() pages of
 * rows, drd_store_settle_get_summary_async()), and
 * drd_settle_chart_load_async() for one customer's load chart. */
#pragma once

#include <gio/gio.h>

#include "core/drd-cbl.h"
#include "core/drd-params.h"
#include "kepco/drd-kepco-client.h"
#include "store/drd-store.h"

G_BEGIN_DECLS

/* KEPCO's data may lag this long after an event's end (low-voltage
 * meters): 3 days. Property data-deadline-s. */
#define DRD_SETTLER_DEFAULT_DATA_DEADLINE_S (3 * 86400)

#define DRD_SETTLER_ERROR (drd_settler_error_quark ())
GQuark drd_settler_error_quark (void);

typedef enum {
  /* settle_event with wait-for-data FALSE: every customer left waits for
   * KEPCO's meter data (the jobs stay; run again later). */
  DRD_SETTLER_ERROR_WAITING_FOR_DATA,
} DrdSettlerError;

#define DRD_TYPE_SETTLER (drd_settler_get_type ())
G_DECLARE_FINAL_TYPE (DrdSettler, drd_settler, DRD, SETTLER, GObject)

/* @params NULL = defaults (copied). */
DrdSettler *drd_settler_new (DrdStore        *store,
                             DrdKepcoClient  *client,
                             const DrdParams *params);

/* Service mode: resets jobs left running by a crash, then settles every
 * ended/settling event and keeps scanning (property scan-interval-s) for
 * newly ended ones. */
void        drd_settler_start (DrdSettler *self);
/* Stops taking new work; in-flight fetches are cancelled (their jobs stay
 * running in the store and are reset at the next start). */
void        drd_settler_stop (DrdSettler *self);
/* Look for newly ended events now (e.g. after DrdDispatcher ended one). */
void        drd_settler_scan (DrdSettler *self);
/* Every waiting job (backoff, no data yet, breaker) and every job that was
 * given up becomes due now; the KEPCO breaker is closed. */
void        drd_settler_retry_now (DrdSettler *self);

/* CLI mode: settles @event_id (ended or settling; CONFLICT for any other
 * status) to completion: finishes TRUE once the event is settled. Resets
 * the event's jobs left running by an earlier (killed) run first. Waits
 * as long as KEPCO has no data yet, or, with wait-for-data FALSE, fails
 * with DRD_SETTLER_ERROR_WAITING_FOR_DATA once everything left waits
 * for it. Fails when every remaining job was
 * given up (error names the last job error), or at once when KEPCO
 * refuses the requests (4xx: wrong service key or URL). To abandon it,
 * call drd_settler_stop() (the task then fails with G_IO_ERROR_CANCELLED);
 * @cancellable is only checked by GTask. Do not mix with
 * drd_settler_start() on the same object. */
void        drd_settler_settle_event_async (DrdSettler          *self,
                                            gint64               event_id,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean    drd_settler_settle_event_finish (DrdSettler    *self,
                                             GAsyncResult  *result,
                                             GError       **error);

/* Progress (also as properties, notified about once a second):
 *   n-total (customers of the events being settled), n-done (settled),
 *   n-waiting (jobs waiting for data, backoff or the breaker), n-failed
 *   (given up), rate (customers/s, smoothed), eta-seconds (-1 = unknown),
 *   last-error (NULL = none), busy (work in progress).
 * Signal "event-settled" (gint64 event_id). */
guint64     drd_settler_get_n_total (DrdSettler *self);
guint64     drd_settler_get_n_done (DrdSettler *self);
guint64     drd_settler_get_n_waiting (DrdSettler *self);
guint64     drd_settler_get_n_failed (DrdSettler *self);
double      drd_settler_get_rate (DrdSettler *self);
double      drd_settler_get_eta_seconds (DrdSettler *self);
const char *drd_settler_get_last_error (DrdSettler *self);
gboolean    drd_settler_get_busy (DrdSettler *self);
/* Earliest next attempt of a waiting job (Unix s), 0 when none. */
gint64      drd_settler_get_next_attempt_at (DrdSettler *self);

/* ---- Load chart of one customer (settlement view) ---- */

typedef struct {
  gint64   event_id;
  gint64   customer_id;
  gint64   event_start;
  gint64   event_end;
  DrdDate  first_day;        /* local days shown: the event's day(s) */
  guint    n_slots;          /* 96 × days */
  gint64   first_slot_start; /* instant of slot 0 */
  gint64  *actual_wh;        /* n_slots; -1 = missing */
  gint64  *cbl_wh;           /* n_slots; -1 = no CBL (insufficient) */
  gboolean cbl_ok;
  char    *explanation;      /* core's CBL explanation (days used, skipped) */
} DrdSettleChart;

void drd_settle_chart_free (DrdSettleChart *chart);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdSettleChart, drd_settle_chart_free)

/* Actual vs. CBL for every slot of the event's day(s), from the meter
 * cache (no KEPCO request), computed in a worker thread. */
void            drd_settle_chart_load_async (DrdStore            *store,
                                             const DrdParams     *params,
                                             gint64               event_id,
                                             gint64               customer_id,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
DrdSettleChart *drd_settle_chart_load_finish (GAsyncResult  *result,
                                              GError       **error);
/* Blocking form (worker threads, tests). */
DrdSettleChart *drd_settle_chart_load (DrdStore        *store,
                                       const DrdParams *params,
                                       gint64           event_id,
                                       gint64           customer_id,
                                       GError         **error);

G_END_DECLS
