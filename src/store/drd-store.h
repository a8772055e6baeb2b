/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdStore: the SQLite database of DR Desk.
 *
 * Threads and connections
 *   - One writer thread owns the only read-write connection (WAL,
 *     foreign_keys=ON, busy_timeout, synchronous=FULL). Every write is an
 *     "operation" queued to it. The writer drains the queue and runs all
 *     queued operations in ONE `BEGIN IMMEDIATE … COMMIT` (group commit),
 *     each inside its own SAVEPOINT: an operation that fails is rolled back
 *     alone and gets its own GError. Operations are completed (sync caller
 *     woken / GTask returned) only AFTER the COMMIT succeeded; if the COMMIT
 *     fails, every operation of the group fails with that error. Nothing
 *     acknowledged is ever lost.
 *   - Bulk operations (customer import, event start) run alone in their
 *     own transaction.
 *   - Reads use a small pool of read-only connections; each read runs in
 *     its own read transaction, so it sees one consistent snapshot even
 *     while the writer is in the middle of a long write.
 *
 * Sync and async
 *   - Every operation has a sync form (for drdeskctl and tests: submit and
 *     wait). Do NOT call sync functions from the GTK main thread.
 *   - Operations the window and portal need also have _async/_finish pairs
 *     (GTask, callback in the caller's thread-default main context).
 *     Cancelling a write only has an effect while it is still queued
 *     (G_IO_ERROR_CANCELLED); once it ran, its real result is returned, so
 *     a committed answer is never reported as "cancelled".
 *
 * Time
 *   Functions whose result depends on the clock take `now` (Unix seconds,
 *   UTC) explicitly, so tests are deterministic; pass
 *   drd_store_now () in production.
 *
 * Event status
 *   The stored status only changes through explicit transitions (start,
 *   end, cancel, settlement). "Active" is derived from time: an event
 *   stored as scheduled whose start_at <= now is reported as active by
 *   every read function (and treated as active by every rule). Start
 *   stores ACTIVE directly when start_at <= now at creation. An event stays
 *   active after end_at until someone ends it (the operator, or the
 *   service's dispatcher at end_at): ending is what schedules settlement.
 *
 * Answer deadline
 *   answer_deadline 0 at start means end_at. It must be <= end_at. Portal
 *   and API answers are accepted while the event is scheduled or active
 *   and now < answer_deadline. Operator answers (on a customer's behalf)
 *   are accepted while the event is scheduled or active, and while it is
 *   ended or settling as long as THAT customer has no settlements row yet
 *   — also after the deadline, e.g. for events recorded after the fact.
 *   Once the customer's row exists they are refused (CLOSED, "customer N
 *   of event M is already settled"); for settled and cancelled events
 *   always. The settler's commit (drd-store-settle.h) only writes a
 *   settlement whose answer and answered_at still equal the response's,
 *   so a settlement never uses a stale answer: an answer either comes
 *   before the row (and is used) or after it (and is refused).
 */
#pragma once

#include <gio/gio.h>

#include "core/drd-types.h"

G_BEGIN_DECLS

#define DRD_STORE_ERROR (drd_store_error_quark ())
GQuark drd_store_error_quark (void);

typedef enum {
  DRD_STORE_ERROR_SQLITE,        /* any other SQLite failure; message names the statement */
  DRD_STORE_ERROR_NOT_FOUND,     /* no such event/customer/job, or customer not targeted */
  DRD_STORE_ERROR_CONFLICT,      /* overlapping event, wrong status for a transition */
  DRD_STORE_ERROR_CLOSED,        /* answers closed (deadline passed, event not open) */
  DRD_STORE_ERROR_INVALID,       /* bad input; nothing changed */
  DRD_STORE_ERROR_CONSTRAINT,    /* a schema constraint (CHECK, UNIQUE, FK) refused a row */
  DRD_STORE_ERROR_NEWER_SCHEMA,  /* file written by a newer DR Desk */
  DRD_STORE_ERROR_NOT_DRDESK,    /* file is a SQLite database of something else */
} DrdStoreError;

/* The schema version this build creates and understands. */
#define DRD_STORE_SCHEMA_VERSION 2

#define DRD_TYPE_STORE (drd_store_get_type ())
G_DECLARE_FINAL_TYPE (DrdStore, drd_store, DRD, STORE, GObject)

/* Opens (creating the file and its parent directory when needed) and
 * migrates the database at @path. Fails with NEWER_SCHEMA when the file's
 * user_version is newer than DRD_STORE_SCHEMA_VERSION, and NOT_DRDESK when
 * it has user_version 0 but already holds tables. Opening an up-to-date
 * file changes nothing. Blocking: call from a worker or before the main
 * loop runs. The object's last unref waits for queued writes and stops the
 * writer thread.
 *
 * Signal "changed" (no arguments): emitted in the thread-default main
 * context of drd_store_open()'s caller, coalesced, after this process's
 * writer committed. Changes made by OTHER processes are only seen by
 * polling drd_store_get_data_version(). */
DrdStore   *drd_store_open (const char *path,
                            GError    **error);
const char *drd_store_get_path (DrdStore *self);

/* The window's process: the writer thread steps back (nice
 * DRD_STORE_BACKGROUND_NICE, Linux only; temporary files on disk; a 4 MiB
 * page cache instead of 16; applied by the writer itself before its next
 * operation) so a long write -- an event start for 100,000 customers --
 * never takes the CPU from the thread that draws and holds less memory.
 * Writes still complete; on a saturated machine they take longer. Off by
 * default: drdeskctl and `serve` keep full priority. */
#define DRD_STORE_BACKGROUND_NICE 5
void        drd_store_set_writer_background (DrdStore *self,
                                             gboolean  background);

/* Current Unix time in seconds (UTC). */
gint64      drd_store_now (void);

/* A number that changes whenever any other connection — this process's
 * writer or another process — committed a change since the previous call
 * (PRAGMA data_version on a dedicated read-only connection). Cheap (no
 * file I/O after the first call, which opens the connection); the window
 * polls it about twice a second and refreshes when it changed. */
gboolean    drd_store_get_data_version (DrdStore *self,
                                        guint64  *out_version,
                                        GError  **error);

/* ------------------------------------------------------------------ */
/* Customers                                                          */

typedef struct {
  guint    index;     /* position in the input array */
  GError  *error;     /* why this row was refused */
} DrdStoreRowError;

/* n_inserted + n_updated + n_unchanged + row_errors->len = number of
 * input rows. */
typedef struct {
  guint      n_inserted;
  guint      n_updated;     /* existing customers that changed */
  GPtrArray *row_errors;   /* of DrdStoreRowError*, in input order; never NULL */
  guint      n_unchanged;   /* existing customers identical to their row: not written */
} DrdStoreImportResult;

void drd_store_import_result_free (DrdStoreImportResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdStoreImportResult, drd_store_import_result_free)

/* Inserts or updates (by DrdCustomer.id) every customer of @customers
 * (DrdCustomer*) in ONE transaction; resources are created by name when
 * new. A row that is invalid (id <= 0, empty name/kepco_no/resource,
 * negative registered_w) or refused by a constraint (e.g. a kepco_no
 * already used by another customer) is reported in row_errors and the
 * other rows are still stored. The same customer_id twice: the later row
 * wins (the earlier counts as an update). A row identical to the stored
 * customer is not written at all (updated_at, the search index and
 * PRAGMA data_version stay as they were) and counts as unchanged. A
 * kepco_no already used by
 * another customer (in the database, or by an earlier row of the batch)
 * refuses the row (CONSTRAINT). Rows are applied set-wise (one INSERT …
 * SELECT, one UPDATE … FROM), so swapping two customers' KEPCO numbers in
 * one batch fails the whole import. Returns NULL only when the whole
 * operation failed (nothing stored). @actor and @now go into one
 * audit_log row ('customer.import') — none when the import changed
 * nothing (then nothing at all is written: a re-import of an unchanged
 * file leaves PRAGMA data_version as it was). row_errors is sorted by
 * index. */
DrdStoreImportResult *drd_store_import_customers (DrdStore   *self,
                                                  GPtrArray  *customers,
                                                  const char *actor,
                                                  gint64      now,
                                                  GError    **error);
void drd_store_import_customers_async (DrdStore            *self,
                                       GPtrArray           *customers,
                                       const char          *actor,
                                       gint64               now,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
DrdStoreImportResult *drd_store_import_customers_finish (DrdStore      *self,
                                                         GAsyncResult  *result,
                                                         GError       **error);

/* NOT_FOUND when there is no such customer. */
DrdCustomer *drd_store_get_customer (DrdStore *self,
                                     gint64    customer_id,
                                     GError  **error);
void         drd_store_get_customer_async (DrdStore            *self,
                                           gint64               customer_id,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
DrdCustomer *drd_store_get_customer_finish (DrdStore      *self,
                                            GAsyncResult  *result,
                                            GError       **error);

gboolean drd_store_count_customers (DrdStore *self,
                                    gint64   *out_count,
                                    GError  **error);

/* Calls @func for every customer in id order, from one read snapshot, on
 * the calling thread. The DrdCustomer is only valid during the call;
 * return FALSE from @func to stop early (not an error). */
typedef gboolean (*DrdStoreCustomerFunc) (const DrdCustomer *customer,
                                          gpointer           user_data);
gboolean drd_store_foreach_customer (DrdStore             *self,
                                     DrdStoreCustomerFunc  func,
                                     gpointer              user_data,
                                     GError              **error);

typedef struct {
  gint64  id;
  char   *name;
  gint64  n_customers;
} DrdStoreResource;

void drd_store_resource_free (DrdStoreResource *resource);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdStoreResource, drd_store_resource_free)

/* Returns a GPtrArray of DrdStoreResource*, by name. */
GPtrArray *drd_store_list_resources (DrdStore *self,
                                     GError  **error);
void       drd_store_list_resources_async (DrdStore            *self,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
GPtrArray *drd_store_list_resources_finish (DrdStore      *self,
                                            GAsyncResult  *result,
                                            GError       **error);

/* ------------------------------------------------------------------ */
/* Events                                                             */

/* Validates and starts @event (its id, status and created_at are
 * ignored): name 1..200 chars, valid kind, start_at/end_at on 15-minute
 * boundaries with end_at > start_at, target_w > 0, answer_deadline 0
 * (= end_at) or <= end_at, resources NULL/empty (= every resource that
 * exists now) or names of existing resources (INVALID otherwise).
 * Refuses with CONFLICT (naming the other event) when a scheduled or
 * active event overlaps [start_at, end_at) and targets any of the same
 * resources. In ONE transaction, inserts the event, its event_resources
 * (always the explicit list), a responses row with answer none for every
 * targeted customer, its event_counts row (the answer tally behind
 * drd_store_get_response_counts) and an audit_log row ('event.start').
 * Outputs the new id and the number of targeted customers. */
gboolean drd_store_start_event (DrdStore       *self,
                                const DrdEvent *event,
                                const char     *actor,
                                gint64          now,
                                gint64         *out_event_id,
                                gint64         *out_n_targeted,
                                GError        **error);
void     drd_store_start_event_async (DrdStore            *self,
                                      const DrdEvent      *event,
                                      const char          *actor,
                                      gint64               now,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean drd_store_start_event_finish (DrdStore      *self,
                                       GAsyncResult  *result,
                                       gint64        *out_event_id,
                                       gint64        *out_n_targeted,
                                       GError       **error);

/* Active → ended (ended_at = now). Ended before its scheduled end, the
 * event is shortened: end_at (and answer_deadline when later) becomes
 * drd_store_end_for (end_at, now); the audit detail keeps the scheduled
 * end. NOT_FOUND, or CONFLICT when the event has not started yet (a
 * scheduled event can only be cancelled) or is already
 * ended/settling/settled/cancelled. Audit 'event.end'. */
gboolean drd_store_end_event (DrdStore   *self,
                              gint64      event_id,
                              const char *actor,
                              gint64      now,
                              GError    **error);
void     drd_store_end_event_async (DrdStore            *self,
                                    gint64               event_id,
                                    const char          *actor,
                                    gint64               now,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);
gboolean drd_store_end_event_finish (DrdStore      *self,
                                     GAsyncResult  *result,
                                     GError       **error);

/* Scheduled/active → cancelled. CONFLICT otherwise. Audit 'event.cancel'. */
gboolean drd_store_cancel_event (DrdStore   *self,
                                 gint64      event_id,
                                 const char *actor,
                                 gint64      now,
                                 GError    **error);
void     drd_store_cancel_event_async (DrdStore            *self,
                                       gint64               event_id,
                                       const char          *actor,
                                       gint64               now,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
gboolean drd_store_cancel_event_finish (DrdStore      *self,
                                        GAsyncResult  *result,
                                        GError       **error);

/* Generic validated transition (used by settlement): scheduled→active,
 * scheduled→cancelled, active→ended|cancelled, ended→settling, settling→settled,
 * settling→ended (settlement abandoned). A transition to the current
 * (effective) status is a successful no-op, so a resumed settlement may
 * ask for "settling" again. CONFLICT for anything else. Sets ended_at /
 * settled_at when entering ended / settled. Audit 'event.status'. */
gboolean drd_store_set_event_status (DrdStore       *self,
                                     gint64          event_id,
                                     DrdEventStatus  status,
                                     const char     *actor,
                                     gint64          now,
                                     GError        **error);

/* Effective status of a stored status at @now (scheduled becomes active
 * once start_at <= now). */
DrdEventStatus drd_store_effective_status (DrdEventStatus stored,
                                           gint64         start_at,
                                           gint64         now);

/* The end an event with scheduled end @end_at gets when it is ended at
 * @now: @end_at once it has passed, else the end of the 15-minute slot
 * @now is in (ended 14:58 → 15:00). */
gint64 drd_store_end_for (gint64 end_at,
                          gint64 now);

/* The event with its status derived at @now and its resource names. */
DrdEvent  *drd_store_get_event (DrdStore *self,
                                gint64    event_id,
                                gint64    now,
                                GError  **error);
void       drd_store_get_event_async (DrdStore            *self,
                                      gint64               event_id,
                                      gint64               now,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
DrdEvent  *drd_store_get_event_finish (DrdStore      *self,
                                       GAsyncResult  *result,
                                       GError       **error);

/* All events (GPtrArray of DrdEvent*), by start_at then id, statuses
 * derived at @now. */
GPtrArray *drd_store_list_events (DrdStore *self,
                                  gint64    now,
                                  GError  **error);
void       drd_store_list_events_async (DrdStore            *self,
                                        gint64               now,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
GPtrArray *drd_store_list_events_finish (DrdStore      *self,
                                         GAsyncResult  *result,
                                         GError       **error);

/* ------------------------------------------------------------------ */
/* Answers                                                            */

/* Records @answer (accept or deny; INVALID otherwise) of @customer_id for
 * @event_id via @channel (portal, api or operator) by @actor
 * ('portal', 'api', 'operator:<user>'). Rules: see "Answer deadline" at
 * the top. NOT_FOUND when the event does not exist or the customer was not
 * targeted; CLOSED when answers are closed for that channel. A change
 * appends an audit_log row (action 'answer', detail
 * {"old":…,"new":…,"channel":…}) in the same transaction; giving the
 * current answer again changes nothing (no audit row). On success
 * @out_response (optional) is the stored response. Completes only once the
 * answer is durable (after COMMIT). */
gboolean drd_store_record_answer (DrdStore    *self,
                                  gint64       event_id,
                                  gint64       customer_id,
                                  DrdAnswer    answer,
                                  DrdChannel   channel,
                                  const char  *actor,
                                  gint64       now,
                                  DrdResponse *out_response,
                                  GError     **error);
void     drd_store_record_answer_async (DrdStore            *self,
                                        gint64               event_id,
                                        gint64               customer_id,
                                        DrdAnswer            answer,
                                        DrdChannel           channel,
                                        const char          *actor,
                                        gint64               now,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean drd_store_record_answer_finish (DrdStore      *self,
                                         GAsyncResult  *result,
                                         DrdResponse   *out_response,
                                         GError       **error);

/* NOT_FOUND when the customer was not targeted by the event. */
gboolean drd_store_get_response (DrdStore    *self,
                                 gint64       event_id,
                                 gint64       customer_id,
                                 DrdResponse *out_response,
                                 GError     **error);

typedef struct {
  gint64 n_targeted;
  gint64 n_accept;
  gint64 n_deny;
  gint64 n_none;
  gint64 accepted_w;    /* Σ registered_w of customers who accepted */
  gint64 targeted_w;    /* Σ registered_w of every targeted customer */
  gint64 denied_w;      /* Σ registered_w of customers who denied */
} DrdResponseCounts;

/* NOT_FOUND when the event does not exist. Reads one row of the
 * event_counts table (O(1), cheap enough to poll at every change), which
 * the schema keeps equal to counting the event's responses; weights use
 * each customer's current registered_w (see schema-v2.sql). */
gboolean drd_store_get_response_counts (DrdStore          *self,
                                        gint64             event_id,
                                        DrdResponseCounts *out_counts,
                                        GError           **error);
void     drd_store_get_response_counts_async (DrdStore            *self,
                                              gint64               event_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean drd_store_get_response_counts_finish (DrdStore           *self,
                                               GAsyncResult       *result,
                                               DrdResponseCounts  *out_counts,
                                               GError            **error);

/* ------------------------------------------------------------------ */
/* Audit, settings, holidays                                          */

/* Appends one audit_log row. @event_id / @customer_id 0 = none;
 * @detail_json may be NULL. */
gboolean drd_store_append_audit (DrdStore   *self,
                                 gint64      at,
                                 const char *actor,
                                 const char *action,
                                 gint64      event_id,
                                 gint64      customer_id,
                                 const char *detail_json,
                                 GError    **error);

/* Returns a newly allocated value, or NULL with no error set when the key
 * is absent. */
char    *drd_store_get_setting (DrdStore   *self,
                                const char *key,
                                GError    **error);
/* @value NULL deletes the key. */
gboolean drd_store_set_setting (DrdStore   *self,
                                const char *key,
                                const char *value,
                                GError    **error);

typedef struct {
  char  day[11];     /* YYYY-MM-DD */
  char *name;        /* may be NULL */
} DrdHoliday;

void drd_holiday_free (DrdHoliday *holiday);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdHoliday, drd_holiday_free)

/* Replaces the whole holiday table with @holidays (DrdHoliday*) in one
 * transaction. INVALID (nothing changed) when a day is not YYYY-MM-DD;
 * duplicates keep the last name. */
gboolean   drd_store_replace_holidays (DrdStore  *self,
                                       GPtrArray *holidays,
                                       GError   **error);
/* GPtrArray of DrdHoliday*, by day. */
GPtrArray *drd_store_list_holidays (DrdStore *self,
                                    GError  **error);

/* ------------------------------------------------------------------ */
/* Points ledger (append-only)                                        */

typedef struct {
  gint64  id;
  gint64  customer_id;
  gint64  event_id;      /* 0 = none */
  char   *reason;
  gint64  points;
  gint64  created_at;
  char   *note;          /* may be NULL */
} DrdLedgerEntry;

void drd_ledger_entry_free (DrdLedgerEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdLedgerEntry, drd_ledger_entry_free)

typedef enum {
  DRD_CREDIT_FAILED = 0,          /* error set */
  DRD_CREDIT_CREDITED = 1,        /* new ledger row */
  DRD_CREDIT_ALREADY = 2,         /* (event, customer, reason) was credited before; nothing changed */
} DrdCreditResult;

/* Credits @points to @customer_id for @event_id (0 = none) and @reason.
 * The balance (customers.points_balance) follows by trigger in the same
 * transaction. @out_entry_id (optional) is the new row's id, or the
 * existing row's id for DRD_CREDIT_ALREADY. */
DrdCreditResult drd_store_credit_points (DrdStore   *self,
                                         gint64      customer_id,
                                         gint64      event_id,
                                         const char *reason,
                                         gint64      points,
                                         const char *note,
                                         gint64      now,
                                         gint64     *out_entry_id,
                                         GError    **error);

/* Σ points of the customer's ledger (0 when none). NOT_FOUND for an
 * unknown customer. */
gboolean   drd_store_get_balance (DrdStore *self,
                                  gint64    customer_id,
                                  gint64   *out_balance,
                                  GError  **error);
/* GPtrArray of DrdLedgerEntry*, oldest first. */
GPtrArray *drd_store_get_ledger (DrdStore *self,
                                 gint64    customer_id,
                                 GError  **error);

/* ------------------------------------------------------------------ */
/* Jobs (persisted work queue)                                        */

typedef enum {
  DRD_JOB_PENDING = 0,
  DRD_JOB_RUNNING = 1,
  DRD_JOB_DONE = 2,
  DRD_JOB_FAILED = 3,    /* gave up */
} DrdJobState;

typedef struct {
  gint64       id;
  char        *kind;
  gint64       event_id;       /* 0 = none */
  gint64       customer_id;    /* 0 = none */
  DrdJobState  state;
  gint         attempts;       /* incremented by every claim */
  gint64       next_attempt_at;
  char        *last_error;     /* may be NULL */
  gint64       created_at;
  gint64       updated_at;
} DrdJob;

void drd_job_free (DrdJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdJob, drd_job_free)

/* Idempotent on (kind, event_id, customer_id) — 0 ids count as equal,
 * unlike SQL NULLs: enqueueing an existing job changes nothing and sets
 * *@out_created FALSE. @out_job_id gets the (new or existing) id. */
gboolean   drd_store_enqueue_job (DrdStore   *self,
                                  const char *kind,
                                  gint64      event_id,
                                  gint64      customer_id,
                                  gint64      next_attempt_at,
                                  gint64      now,
                                  gint64     *out_job_id,
                                  gboolean   *out_created,
                                  GError    **error);
/* Atomically moves up to @max_jobs pending jobs with next_attempt_at <=
 * @now (of @kind, or any kind when NULL) to running, attempts + 1, and
 * returns them (GPtrArray of DrdJob*, oldest due first; empty when none). */
GPtrArray *drd_store_claim_jobs (DrdStore   *self,
                                 const char *kind,
                                 gint64      now,
                                 guint       max_jobs,
                                 GError    **error);
/* running → done. NOT_FOUND / CONFLICT when not running. */
gboolean   drd_store_complete_job (DrdStore *self,
                                   gint64    job_id,
                                   gint64    now,
                                   GError  **error);
/* running → pending again at @next_attempt_at with @message as last_error;
 * @next_attempt_at 0 = give up (→ failed). */
gboolean   drd_store_fail_job (DrdStore   *self,
                               gint64      job_id,
                               const char *message,
                               gint64      next_attempt_at,
                               gint64      now,
                               GError    **error);
/* Crash recovery: every running job → pending (due now). The job runner
 * calls this once when it starts (not done by drd_store_open, since a
 * second process — drdeskctl next to the window — must not steal jobs
 * another process is running). @out_n_reset optional. */
gboolean   drd_store_reset_running_jobs (DrdStore *self,
                                         gint64    now,
                                         guint    *out_n_reset,
                                         GError  **error);
/* NOT_FOUND when absent. */
DrdJob    *drd_store_get_job (DrdStore *self,
                              gint64    job_id,
                              GError  **error);

/* ------------------------------------------------------------------ */
/* Meter days (KEPCO cache)                                           */

#define DRD_SLOTS_PER_DAY 96

typedef struct {
  gint64  customer_id;
  char    day[11];                      /* YYYY-MM-DD, Asia/Seoul */
  gint32  slots[DRD_SLOTS_PER_DAY];     /* Wh, interval-ending order; -1 = missing */
  gint    n_present;
  gint64  fetched_at;
} DrdMeterDay;

/* Inserts or replaces the day; n_present is counted from the slots.
 * INVALID for a malformed day or a slot < -1. */
gboolean   drd_store_put_meter_day (DrdStore          *self,
                                    const DrdMeterDay *day,
                                    GError           **error);
/* Days first_day..last_day (inclusive, YYYY-MM-DD) that are cached, by
 * day: GPtrArray of DrdMeterDay* (g_free). */
GPtrArray *drd_store_get_meter_days (DrdStore   *self,
                                     gint64      customer_id,
                                     const char *first_day,
                                     const char *last_day,
                                     GError    **error);

G_END_DECLS
