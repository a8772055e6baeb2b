/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Settlement queries of DrdStore: the job queue of kind "settle", the bulk
 * reads the settler needs per batch of customers, the ONE write that
 * settles a customer exactly once (settlement row + ledger credit + job
 * done), and the reads of the settlement view (progress, results, summary,
 * export stream, chart history).
 *
 * Exactly-once: a settlement row is keyed (event_id, customer_id); the
 * ledger credit (reason 'dr_reward') is inserted in the same savepoint and
 * ONLY when the settlement row was new. A second settle of the same
 * customer (re-run, retry after a crash, two settlers racing) finds the row
 * and changes nothing but the job state ("already settled" is success). */
#pragma once

#include "core/drd-settlement.h"
#include "core/drd-time.h"
#include "store/drd-store.h"

G_BEGIN_DECLS

#define DRD_SETTLE_JOB_KIND   "settle"
#define DRD_SETTLE_REASON     "dr_reward"
/* The last_error of a job that waits because KEPCO has not delivered the
 * meter data it needs yet (or the event's last slot has not ended): not
 * an error, counted apart (DrdSettleProgress.n_waiting_data). */
#define DRD_SETTLE_WAITING_FOR_DATA "waiting for KEPCO meter data"

/* ---- scheduling ---- */

/* For @event_id (0 = every event whose stored status is ended): when the
 * event is ended, in ONE transaction creates a "settle" job for every
 * targeted customer that has none yet (idempotent, jobs UNIQUE), moves the
 * event to settling and appends an audit row. An event that is already
 * settling gets its missing jobs too when named explicitly (@event_id > 0).
 * An explicitly named event that is not ended/settling/settled fails with
 * CONFLICT (naming its status); NOT_FOUND when absent. @out_events
 * (optional): GArray of gint64, the events that are settling now. */
gboolean drd_store_settle_schedule (DrdStore  *self,
                                    gint64     event_id,
                                    gint64     now,
                                    GArray   **out_events,
                                    GError   **error);
void     drd_store_settle_schedule_async (DrdStore            *self,
                                          gint64               event_id,
                                          gint64               now,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* Returns the GArray of gint64 event ids now settling, or NULL + error. */
GArray  *drd_store_settle_schedule_finish (DrdStore      *self,
                                           GAsyncResult  *result,
                                           GError       **error);

/* Crash recovery: running settle jobs (of @event_id, or all when 0) →
 * pending, due now. */
gboolean drd_store_settle_reset_running (DrdStore *self,
                                         gint64    event_id,
                                         gint64    now,
                                         guint    *out_n_reset,
                                         GError  **error);
void     drd_store_settle_reset_running_async (DrdStore            *self,
                                               gint64               event_id,
                                               gint64               now,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean drd_store_settle_reset_running_finish (DrdStore      *self,
                                                GAsyncResult  *result,
                                                GError       **error);

/* Waiting jobs (pending with a future next_attempt_at) and failed (given
 * up) jobs of @event_id (0 = all) become due now (the operator's "retry
 * now"). */
void     drd_store_settle_retry_now_async (DrdStore            *self,
                                           gint64               event_id,
                                           gint64               now,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean drd_store_settle_retry_now_finish (DrdStore      *self,
                                            GAsyncResult  *result,
                                            GError       **error);

/* ---- the job pipeline ---- */

typedef struct {
  gint64 job_id;
  gint64 event_id;
  gint64 customer_id;
  gint   attempts;     /* errors so far (waiting for data does not count) */
  gint64 created_at;   /* when the job was scheduled: how long it has waited */
} DrdSettleJobRef;

/* Atomically moves up to @max_jobs due pending settle jobs (of @event_id,
 * or any when 0) to running, in id order within due time. Does NOT count
 * an attempt (only errors do). Returns a GArray of DrdSettleJobRef. */
void     drd_store_settle_claim_async (DrdStore            *self,
                                       gint64               event_id,
                                       gint64               now,
                                       guint                max_jobs,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
GArray  *drd_store_settle_claim_finish (DrdStore      *self,
                                        GAsyncResult  *result,
                                        GError       **error);

/* Earliest next_attempt_at of pending settle jobs (of @event_id or all);
 * *@out_found FALSE when there are none. Also counts them. */
gboolean drd_store_settle_next_due (DrdStore *self,
                                    gint64    event_id,
                                    gint64   *out_next,
                                    gint64   *out_n_pending,
                                    gboolean *out_found,
                                    GError  **error);

/* What the settler needs of one customer for one event. */
typedef struct {
  gint64        job_id;
  gint64        customer_id;
  gint          attempts;
  gint64        created_at;    /* the job's */
  gboolean      targeted;      /* FALSE: no response row (customer not targeted) */
  char         *kepco_no;
  DrdCblMethod  method;
  gboolean      is_factory;
  DrdAnswer     answer;
  gint64        answered_at;   /* 0 = none */
  GArray       *excluded;      /* DrdDate: local days of OTHER (not cancelled) events
                                * that targeted the customer */
  GPtrArray    *days;          /* DrdMeterDay* (g_free), cached days in the range, by day */
} DrdSettleCustomer;

void drd_settle_customer_free (DrdSettleCustomer *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdSettleCustomer, drd_settle_customer_free)

/* Loads, from ONE read snapshot on the calling thread (blocking: call it
 * from a worker), every customer of @jobs (DrdSettleJobRef, all of
 * @event_id) with its answer, excluded days and the cached meter days in
 * [@first_day, @last_day]. Returns DrdSettleCustomer* in @jobs' order. */
GPtrArray *drd_store_settle_load (DrdStore     *self,
                                  gint64        event_id,
                                  const GArray *jobs,
                                  DrdDate       first_day,
                                  DrdDate       last_day,
                                  GError      **error);

/* One settled customer, as the settlements table stores it. */
typedef struct {
  gint64      job_id;          /* 0 = no job to mark done */
  gint64      event_id;
  gint64      customer_id;
  DrdAnswer   answer;
  gint64      answered_at;     /* 0 = none */
  gboolean    baseline_known;
  gboolean    actual_known;
  gint64      baseline_wh;
  gint64      actual_wh;
  gint64      reduction_wh;
  DrdOutcome  outcome;
  gint64      points;
  char       *note;
} DrdSettleResult;

/* A job that must wait: pending again at next_attempt_at. */
typedef struct {
  gint64    job_id;
  gint64    next_attempt_at;   /* 0 = give up (failed) */
  gboolean  is_error;          /* count an attempt (errors do, "no data yet" does not) */
  char     *message;
} DrdSettleWait;

/* Everything one commit writes, in ONE group-committed operation. */
typedef struct {
  GArray *meter_days;   /* DrdMeterDay */
  GArray *results;      /* DrdSettleResult (note owned) */
  GArray *waits;        /* DrdSettleWait (message owned) */
  gint64  now;
  /* out */
  guint   n_settled;    /* new settlement rows */
  guint   n_already;    /* results that found their row already there */
  gint64  points_credited;
  guint   n_stale;      /* results not written: the answer changed since they
                         * were computed (their jobs are pending, due now) */
} DrdSettleBatch;

DrdSettleBatch *drd_settle_batch_new (gint64 now);
void            drd_settle_batch_free (DrdSettleBatch *batch);
guint           drd_settle_batch_size (const DrdSettleBatch *batch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdSettleBatch, drd_settle_batch_free)

/* Writes @batch (borrowed: keep it alive until the callback): meter days
 * upserted (never replacing a day by one with fewer slots), per result the
 * settlement row + (when new and points > 0) the ledger credit + the job
 * done, per wait the job back to pending (or failed). A result for a
 * customer without a settlement row whose answer or answered_at differs
 * from the customer's response as it is now (an operator answer recorded
 * after the settler read it) is NOT written:
 * its job goes back to pending, due at batch->now, so the customer is
 * computed again with the new answer (counted in n_stale). Completes after
 * COMMIT; the out fields of @batch are then set. Idempotent: a failed
 * commit may be submitted again as it is. */
void            drd_store_settle_commit_async (DrdStore            *self,
                                               DrdSettleBatch      *batch,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean        drd_store_settle_commit_finish (DrdStore      *self,
                                                GAsyncResult  *result,
                                                GError       **error);
/* Sync form (tests, tools). */
gboolean        drd_store_settle_commit (DrdStore        *self,
                                         DrdSettleBatch  *batch,
                                         GError         **error);

/* settling → settled when every targeted customer has a settlement row
 * (audit 'event.status'). *@out_settled TRUE when the event is settled
 * (now or before). */
void     drd_store_settle_finish_event_async (DrdStore            *self,
                                              gint64               event_id,
                                              gint64               now,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean drd_store_settle_finish_event_finish (DrdStore      *self,
                                               GAsyncResult  *result,
                                               gboolean      *out_settled,
                                               GError       **error);
gboolean drd_store_settle_finish_event (DrdStore *self,
                                        gint64    event_id,
                                        gint64    now,
                                        gboolean *out_settled,
                                        GError  **error);

/* ---- reads for the window, the CLI and the export ---- */

typedef struct {
  gint64 n_targeted;   /* responses of the event */
  gint64 n_settled;    /* settlement rows */
  gint64 n_jobs;
  gint64 n_pending;    /* pending jobs due now or later */
  gint64 n_waiting;    /* of which due after @now (backoff / no data yet) */
  gint64 n_running;
  gint64 n_failed;
  gint64 next_attempt_at;  /* earliest pending; 0 when none */
  char  *last_error;       /* newest job error, or NULL */
  gint64 n_waiting_data;   /* pending, waiting for KEPCO meter data (DRD_SETTLE_WAITING_FOR_DATA) */
  gint64 next_data_attempt_at; /* earliest of those; 0 when none */
} DrdSettleProgress;

void     drd_settle_progress_clear (DrdSettleProgress *progress);
gboolean drd_store_settle_get_progress (DrdStore          *self,
                                        gint64             event_id,
                                        gint64             now,
                                        DrdSettleProgress *out,
                                        GError           **error);

/* The event summary (core's DrdEventSummary) from the settlement rows:
 * counts by outcome and answer, Σ reductions, Σ points. NOT_FOUND for an
 * unknown event. */
gboolean drd_store_settle_get_summary (DrdStore        *self,
                                       gint64           event_id,
                                       DrdEventSummary *out,
                                       GError         **error);
void     drd_store_settle_get_summary_async (DrdStore            *self,
                                             gint64               event_id,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean drd_store_settle_get_summary_finish (DrdStore         *self,
                                              GAsyncResult     *result,
                                              DrdEventSummary  *out,
                                              GError          **error);

/* One row of the settlement view / export. */
typedef struct {
  gint64      customer_id;
  const char *customer_name;
  const char *kepco_no;
  DrdAnswer   answer;
  gint64      answered_at;     /* 0 = none */
  gboolean    baseline_known;
  gboolean    actual_known;
  gboolean    reduction_known;
  gint64      baseline_wh;
  gint64      actual_wh;
  gint64      reduction_wh;
  DrdOutcome  outcome;
  gint64      points;
  const char *note;
} DrdSettleRow;

/* Streams the settlement rows of @event_id by customer id from ONE read
 * snapshot on the calling thread. Strings are valid during the call only.
 * Return FALSE from @func to stop (with *@error set by @func, propagated).
 */
typedef gboolean (*DrdSettleRowFunc) (const DrdSettleRow *row,
                                      gpointer            user_data,
                                      GError            **error);
gboolean drd_store_settle_foreach (DrdStore          *self,
                                   gint64             event_id,
                                   DrdSettleRowFunc   func,
                                   gpointer           user_data,
                                   GError           **error);

/* Owned copy of a row (the window's list). */
typedef struct {
  DrdSettleRow  row;        /* strings point into the fields below */
  char         *customer_name;
  char         *kepco_no;
  char         *note;
} DrdSettleRowCopy;

void drd_settle_row_copy_free (DrdSettleRowCopy *copy);

/* A page of rows (customer id order) for the settlement view; @outcome
 * DRD_OUTCOME_PENDING = any. GPtrArray of DrdSettleRowCopy*. */
GPtrArray *drd_store_settle_list (DrdStore   *self,
                                  gint64      event_id,
                                  DrdOutcome  outcome,
                                  gint64      after_customer_id,
                                  guint       limit,
                                  GError    **error);
void       drd_store_settle_list_async (DrdStore            *self,
                                        gint64               event_id,
                                        DrdOutcome           outcome,
                                        gint64               after_customer_id,
                                        guint                limit,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
GPtrArray *drd_store_settle_list_finish (DrdStore      *self,
                                         GAsyncResult  *result,
                                         GError       **error);

G_END_DECLS
