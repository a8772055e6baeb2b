/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Settlement queries on top of the store's private API (see the header). */
#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "store/drd-store-private.h"
#include "store/drd-store-settle.h"

#define SYSTEM_ACTOR "system"

static gboolean
audit_status (sqlite3        *db,
              gint64          now,
              gint64          event_id,
              DrdEventStatus  from,
              DrdEventStatus  to,
              GError        **error)
{
  g_autofree char *detail = g_strdup_printf ("{\"from\":\"%s\",\"to\":\"%s\"}",
                                             drd_event_status_to_string (from),
                                             drd_event_status_to_string (to));
  sqlite3_stmt *stmt = drd_store_prepare (db,
      "INSERT INTO audit_log (at, actor, action, event_id, customer_id, detail) "
      "VALUES (?1, ?2, 'event.status', ?3, NULL, ?4)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now);
  sqlite3_bind_text (stmt, 2, SYSTEM_ACTOR, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, event_id);
  sqlite3_bind_text (stmt, 4, detail, -1, SQLITE_TRANSIENT);
  return drd_store_step_done (db, stmt, "insert audit_log", error);
}

static gboolean
set_status (sqlite3        *db,
            gint64          event_id,
            DrdEventStatus  from,
            DrdEventStatus  to,
            gint64          now,
            GError        **error)
{
  sqlite3_stmt *stmt = drd_store_prepare (db,
      "UPDATE events SET status = ?2, "
      "settled_at = CASE WHEN ?2 = 4 THEN ?3 ELSE settled_at END WHERE id = ?1", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, event_id);
  sqlite3_bind_int (stmt, 2, to);
  sqlite3_bind_int64 (stmt, 3, now);
  if (!drd_store_step_done (db, stmt, "update event status", error))
    return FALSE;
  return audit_status (db, now, event_id, from, to, error);
}

/* ------------------------------------------------------------------ */
/* Scheduling                                                         */

typedef struct {
  gint64  event_id;
  gint64  now;
  GArray *events;
} ScheduleOp;

static void
schedule_op_free (ScheduleOp *op)
{
  g_clear_pointer (&op->events, g_array_unref);
  g_free (op);
}

static gboolean
create_jobs (sqlite3  *db,
             gint64    event_id,
             gint64    now,
             GError  **error)
{
  sqlite3_stmt *stmt = drd_store_prepare (db,
      "INSERT INTO jobs (kind, event_id, customer_id, next_attempt_at, created_at, updated_at) "
      "SELECT '" DRD_SETTLE_JOB_KIND "', event_id, customer_id, ?2, ?2, ?2 "
      "FROM responses WHERE event_id = ?1 "
      "ON CONFLICT (kind, event_id, customer_id) DO NOTHING", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, event_id);
  sqlite3_bind_int64 (stmt, 2, now);
  return drd_store_step_done (db, stmt, "create settle jobs", error);
}

static gboolean
schedule_run (sqlite3  *db,
              gpointer  data,
              GError  **error)
{
  ScheduleOp *op = data;
  g_autoptr(GArray) ended = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt;
  int rc;

  g_array_set_size (op->events, 0);
  if (op->event_id > 0)
    {
      DrdEventStatus status;

      stmt = drd_store_prepare (db, "SELECT status, start_at FROM events WHERE id = ?1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, op->event_id);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_DONE)
        return drd_store_set_not_found (error, _("no event %" PRId64), op->event_id);
      if (rc != SQLITE_ROW)
        return drd_store_set_sqlite_error (error, db, "select event");
      status = drd_store_effective_status (sqlite3_column_int (stmt, 0),
                                           sqlite3_column_int64 (stmt, 1), op->now);
      sqlite3_reset (stmt);
      switch (status)
        {
        case DRD_EVENT_ENDED:
          g_array_append_val (ended, op->event_id);
          break;
        case DRD_EVENT_SETTLING:
          /* A crash cannot leave settling without jobs (same transaction),
           * but a named re-run makes sure anyway; cheap, idempotent. */
          if (!create_jobs (db, op->event_id, op->now, error))
            return FALSE;
          g_array_append_val (op->events, op->event_id);
          break;
        case DRD_EVENT_SETTLED:
          break;
        default:
          g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONFLICT,
                       _("event %" PRId64 " is %s; only an ended event can be settled"),
                       op->event_id, drd_event_status_to_string (status));
          return FALSE;
        }
    }
  else
    {
      stmt = drd_store_prepare (db, "SELECT id, status FROM events WHERE status IN (2, 3) ORDER BY id",
                                error);
      if (stmt == NULL)
        return FALSE;
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          gint64 id = sqlite3_column_int64 (stmt, 0);

          if (sqlite3_column_int (stmt, 1) == DRD_EVENT_ENDED)
            g_array_append_val (ended, id);
          else
            g_array_append_val (op->events, id);
        }
      if (rc != SQLITE_DONE)
        return drd_store_set_sqlite_error (error, db, "select ended events");
      sqlite3_reset (stmt);
    }

  for (guint i = 0; i < ended->len; i++)
    {
      gint64 id = g_array_index (ended, gint64, i);

      if (!create_jobs (db, id, op->now, error)
          || !set_status (db, id, DRD_EVENT_ENDED, DRD_EVENT_SETTLING, op->now, error))
        return FALSE;
      g_array_append_val (op->events, id);
    }
  return TRUE;
}

gboolean
drd_store_settle_schedule (DrdStore  *self,
                           gint64     event_id,
                           gint64     now,
                           GArray   **out_events,
                           GError   **error)
{
  g_autoptr(GArray) events = g_array_new (FALSE, FALSE, sizeof (gint64));
  ScheduleOp op = { event_id, now, events };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  if (!drd_store_write_full (self, DRD_STORE_WRITE_ALONE, schedule_run, &op, error))
    return FALSE;
  if (out_events != NULL)
    *out_events = g_steal_pointer (&events);
  return TRUE;
}

void
drd_store_settle_schedule_async (DrdStore            *self,
                                 gint64               event_id,
                                 gint64               now,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  ScheduleOp *op = g_new0 (ScheduleOp, 1);

  op->event_id = event_id;
  op->now = now;
  op->events = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_task_set_source_tag (task, drd_store_settle_schedule_async);
  g_task_set_task_data (task, op, (GDestroyNotify) schedule_op_free);
  drd_store_write_in_task_full (self, DRD_STORE_WRITE_ALONE, task, schedule_run);
}

GArray *
drd_store_settle_schedule_finish (DrdStore      *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  ScheduleOp *op;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  op = g_task_get_task_data (G_TASK (result));
  return g_array_ref (op->events);
}

/* ------------------------------------------------------------------ */
/* Reset / retry now                                                  */

typedef struct {
  gint64 event_id;
  gint64 now;
  guint  n;
} SimpleOp;

static gboolean
reset_run (sqlite3  *db,
           gpointer  data,
           GError  **error)
{
  SimpleOp *op = data;
  sqlite3_stmt *stmt = drd_store_prepare (db,
      "UPDATE jobs SET state = 0, next_attempt_at = min(next_attempt_at, ?1), updated_at = ?1 "
      "WHERE state = 1 AND kind = '" DRD_SETTLE_JOB_KIND "' AND (?2 = 0 OR event_id = ?2)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->now);
  sqlite3_bind_int64 (stmt, 2, op->event_id);
  if (!drd_store_step_done (db, stmt, "reset running settle jobs", error))
    return FALSE;
  op->n = sqlite3_changes (db);
  return TRUE;
}

gboolean
drd_store_settle_reset_running (DrdStore *self,
                                gint64    event_id,
                                gint64    now,
                                guint    *out_n_reset,
                                GError  **error)
{
  SimpleOp op = { event_id, now, 0 };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  if (!drd_store_write (self, reset_run, &op, error))
    return FALSE;
  if (out_n_reset != NULL)
    *out_n_reset = op.n;
  return TRUE;
}

static void
simple_async (DrdStore            *self,
              gpointer             tag,
              DrdStoreFunc         func,
              gint64               event_id,
              gint64               now,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  SimpleOp *op = g_new0 (SimpleOp, 1);

  op->event_id = event_id;
  op->now = now;
  g_task_set_source_tag (task, tag);
  g_task_set_task_data (task, op, g_free);
  drd_store_write_in_task (self, task, func);
}

void
drd_store_settle_reset_running_async (DrdStore            *self,
                                      gint64               event_id,
                                      gint64               now,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  simple_async (self, drd_store_settle_reset_running_async, reset_run, event_id, now,
                cancellable, callback, user_data);
}

gboolean
drd_store_settle_reset_running_finish (DrdStore      *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
retry_now_run (sqlite3  *db,
               gpointer  data,
               GError  **error)
{
  SimpleOp *op = data;
  sqlite3_stmt *stmt = drd_store_prepare (db,
      "UPDATE jobs SET state = 0, next_attempt_at = ?1, updated_at = ?1 "
      "WHERE ((state = 0 AND next_attempt_at > ?1) OR state = 3) AND kind = '" DRD_SETTLE_JOB_KIND "' "
      "AND (?2 = 0 OR event_id = ?2)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->now);
  sqlite3_bind_int64 (stmt, 2, op->event_id);
  if (!drd_store_step_done (db, stmt, "retry settle jobs now", error))
    return FALSE;
  op->n = sqlite3_changes (db);
  return TRUE;
}

void
drd_store_settle_retry_now_async (DrdStore            *self,
                                  gint64               event_id,
                                  gint64               now,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  simple_async (self, drd_store_settle_retry_now_async, retry_now_run, event_id, now,
                cancellable, callback, user_data);
}

gboolean
drd_store_settle_retry_now_finish (DrdStore      *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------ */
/* Claim                                                              */

typedef struct {
  gint64  event_id;
  gint64  now;
  guint   max_jobs;
  GArray *jobs;
} ClaimOp;

static void
claim_op_free (ClaimOp *op)
{
  g_clear_pointer (&op->jobs, g_array_unref);
  g_free (op);
}

static int
job_ref_cmp (gconstpointer a,
             gconstpointer b)
{
  const DrdSettleJobRef *x = a, *y = b;

  return x->job_id < y->job_id ? -1 : x->job_id > y->job_id;
}

static gboolean
claim_run (sqlite3  *db,
           gpointer  data,
           GError  **error)
{
  ClaimOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  /* ORDER BY the jobs_due index columns only: ties come in rowid order
   * from the index itself, so no sort over every pending job. */
  stmt = drd_store_prepare (db,
      "UPDATE jobs SET state = 1, updated_at = ?1 "
      "WHERE id IN (SELECT id FROM jobs WHERE state = 0 AND next_attempt_at <= ?1 "
      "             AND kind = '" DRD_SETTLE_JOB_KIND "' AND (?2 = 0 OR event_id = ?2) "
      "             ORDER BY state, next_attempt_at LIMIT ?3) "
      "RETURNING id, event_id, customer_id, attempts, created_at", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->now);
  sqlite3_bind_int64 (stmt, 2, op->event_id);
  sqlite3_bind_int64 (stmt, 3, op->max_jobs);
  g_array_set_size (op->jobs, 0);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DrdSettleJobRef ref;

      ref.job_id = sqlite3_column_int64 (stmt, 0);
      ref.event_id = sqlite3_column_int64 (stmt, 1);
      ref.customer_id = sqlite3_column_int64 (stmt, 2);
      ref.attempts = sqlite3_column_int (stmt, 3);
      ref.created_at = sqlite3_column_int64 (stmt, 4);
      g_array_append_val (op->jobs, ref);
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "claim settle jobs");
  g_array_sort (op->jobs, job_ref_cmp);
  return TRUE;
}

void
drd_store_settle_claim_async (DrdStore            *self,
                              gint64               event_id,
                              gint64               now,
                              guint                max_jobs,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  ClaimOp *op = g_new0 (ClaimOp, 1);

  op->event_id = event_id;
  op->now = now;
  op->max_jobs = max_jobs;
  op->jobs = g_array_new (FALSE, FALSE, sizeof (DrdSettleJobRef));
  g_task_set_source_tag (task, drd_store_settle_claim_async);
  g_task_set_task_data (task, op, (GDestroyNotify) claim_op_free);
  drd_store_write_in_task (self, task, claim_run);
}

GArray *
drd_store_settle_claim_finish (DrdStore      *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  ClaimOp *op;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  op = g_task_get_task_data (G_TASK (result));
  return g_array_ref (op->jobs);
}

typedef struct {
  gint64   event_id;
  gint64   next;
  gint64   n_pending;
  gboolean found;
} NextDueOp;

static gboolean
next_due_run (sqlite3  *db,
              gpointer  data,
              GError  **error)
{
  NextDueOp *op = data;
  sqlite3_stmt *stmt = drd_store_prepare (db,
      "SELECT min(next_attempt_at), count(*) FROM jobs WHERE state = 0 "
      "AND kind = '" DRD_SETTLE_JOB_KIND "' AND (?1 = 0 OR event_id = ?1)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "select next due job");
  op->found = sqlite3_column_type (stmt, 0) != SQLITE_NULL;
  op->next = sqlite3_column_int64 (stmt, 0);
  op->n_pending = sqlite3_column_int64 (stmt, 1);
  return TRUE;
}

gboolean
drd_store_settle_next_due (DrdStore *self,
                           gint64    event_id,
                           gint64   *out_next,
                           gint64   *out_n_pending,
                           gboolean *out_found,
                           GError  **error)
{
  NextDueOp op = { event_id, 0, 0, FALSE };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  if (!drd_store_read (self, next_due_run, &op, error))
    return FALSE;
  if (out_next != NULL)
    *out_next = op.next;
  if (out_n_pending != NULL)
    *out_n_pending = op.n_pending;
  if (out_found != NULL)
    *out_found = op.found;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Bulk load                                                          */

void
drd_settle_customer_free (DrdSettleCustomer *c)
{
  if (c == NULL)
    return;
  g_free (c->kepco_no);
  g_clear_pointer (&c->excluded, g_array_unref);
  g_clear_pointer (&c->days, g_ptr_array_unref);
  g_free (c);
}

typedef struct {
  gint64        event_id;
  const GArray *jobs;
  char          first[11];
  char          last[11];
  GPtrArray    *out;
} LoadOp;

static gboolean
load_run (sqlite3  *db,
          gpointer  data,
          GError  **error)
{
  LoadOp *op = data;
  sqlite3_stmt *cust, *excl, *days;
  int rc;

  cust = drd_store_prepare (db,
      "SELECT c.kepco_no, c.cbl_method, c.is_factory, r.answer, r.answered_at "
      "FROM responses r JOIN customers c ON c.id = r.customer_id "
      "WHERE r.event_id = ?1 AND r.customer_id = ?2", error);
  if (cust == NULL)
    return FALSE;
  excl = drd_store_prepare (db,
      "SELECT e.start_at, e.end_at FROM responses r JOIN events e ON e.id = r.event_id "
      "WHERE r.customer_id = ?1 AND r.event_id <> ?2 AND e.status <> 5", error);
  if (excl == NULL)
    return FALSE;
  days = drd_store_prepare (db,
      "SELECT day, slots, n_present, fetched_at FROM meter_days "
      "WHERE customer_id = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY day", error);
  if (days == NULL)
    return FALSE;

  for (guint i = 0; i < op->jobs->len; i++)
    {
      const DrdSettleJobRef *ref = &g_array_index (op->jobs, DrdSettleJobRef, i);
      DrdSettleCustomer *c = g_new0 (DrdSettleCustomer, 1);

      c->job_id = ref->job_id;
      c->customer_id = ref->customer_id;
      c->attempts = ref->attempts;
      c->created_at = ref->created_at;
      c->excluded = g_array_new (FALSE, FALSE, sizeof (DrdDate));
      c->days = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (op->out, c);

      sqlite3_reset (cust);
      sqlite3_bind_int64 (cust, 1, op->event_id);
      sqlite3_bind_int64 (cust, 2, ref->customer_id);
      rc = sqlite3_step (cust);
      if (rc == SQLITE_DONE)
        continue;
      if (rc != SQLITE_ROW)
        return drd_store_set_sqlite_error (error, db, "select settle customer");
      c->targeted = TRUE;
      c->kepco_no = g_strdup ((const char *) sqlite3_column_text (cust, 0));
      c->method = sqlite3_column_int (cust, 1);
      c->is_factory = sqlite3_column_int (cust, 2) != 0;
      c->answer = sqlite3_column_int (cust, 3);
      c->answered_at = sqlite3_column_int64 (cust, 4);

      sqlite3_reset (excl);
      sqlite3_bind_int64 (excl, 1, ref->customer_id);
      sqlite3_bind_int64 (excl, 2, op->event_id);
      while ((rc = sqlite3_step (excl)) == SQLITE_ROW)
        {
          gint64 start = sqlite3_column_int64 (excl, 0);
          gint64 end = sqlite3_column_int64 (excl, 1);
          DrdDate first = drd_date_of_instant (start);
          DrdDate last = drd_date_of_instant (end - 1);

          for (DrdDate d = first; d <= last && d - first < 366; d++)
            g_array_append_val (c->excluded, d);
        }
      if (rc != SQLITE_DONE)
        return drd_store_set_sqlite_error (error, db, "select other events of customer");

      sqlite3_reset (days);
      sqlite3_bind_int64 (days, 1, ref->customer_id);
      sqlite3_bind_text (days, 2, op->first, 10, SQLITE_STATIC);
      sqlite3_bind_text (days, 3, op->last, 10, SQLITE_STATIC);
      while ((rc = sqlite3_step (days)) == SQLITE_ROW)
        {
          DrdMeterDay *d = g_new0 (DrdMeterDay, 1);
          const void *blob = sqlite3_column_blob (days, 1);

          if (blob == NULL || sqlite3_column_bytes (days, 1) != (int) sizeof d->slots)
            {
              g_free (d);
              continue;   /* damaged: treated as not cached, fetched again */
            }
          d->customer_id = ref->customer_id;
          g_strlcpy (d->day, (const char *) sqlite3_column_text (days, 0), sizeof d->day);
          memcpy (d->slots, blob, sizeof d->slots);
#if G_BYTE_ORDER != G_LITTLE_ENDIAN
          for (int k = 0; k < DRD_SLOTS_PER_DAY; k++)
            d->slots[k] = GINT32_FROM_LE (d->slots[k]);
#endif
          d->n_present = sqlite3_column_int (days, 2);
          d->fetched_at = sqlite3_column_int64 (days, 3);
          g_ptr_array_add (c->days, d);
        }
      if (rc != SQLITE_DONE)
        return drd_store_set_sqlite_error (error, db, "select meter days");
    }
  sqlite3_reset (cust);
  sqlite3_reset (excl);
  sqlite3_reset (days);
  return TRUE;
}

GPtrArray *
drd_store_settle_load (DrdStore     *self,
                       gint64        event_id,
                       const GArray *jobs,
                       DrdDate       first_day,
                       DrdDate       last_day,
                       GError      **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_settle_customer_free);
  LoadOp op = { event_id, jobs, "", "", out };

  g_return_val_if_fail (DRD_IS_STORE (self), NULL);
  drd_date_format_buf (first_day, op.first);
  drd_date_format_buf (last_day, op.last);
  if (!drd_store_read (self, load_run, &op, error))
    return NULL;
  return g_steal_pointer (&out);
}

/* ------------------------------------------------------------------ */
/* Commit                                                             */

DrdSettleBatch *
drd_settle_batch_new (gint64 now)
{
  DrdSettleBatch *b = g_new0 (DrdSettleBatch, 1);

  b->meter_days = g_array_new (FALSE, FALSE, sizeof (DrdMeterDay));
  b->results = g_array_new (FALSE, FALSE, sizeof (DrdSettleResult));
  b->waits = g_array_new (FALSE, FALSE, sizeof (DrdSettleWait));
  b->now = now;
  return b;
}

void
drd_settle_batch_free (DrdSettleBatch *batch)
{
  if (batch == NULL)
    return;
  for (guint i = 0; i < batch->results->len; i++)
    g_free (g_array_index (batch->results, DrdSettleResult, i).note);
  for (guint i = 0; i < batch->waits->len; i++)
    g_free (g_array_index (batch->waits, DrdSettleWait, i).message);
  g_array_unref (batch->meter_days);
  g_array_unref (batch->results);
  g_array_unref (batch->waits);
  g_free (batch);
}

guint
drd_settle_batch_size (const DrdSettleBatch *batch)
{
  return batch->meter_days->len + batch->results->len + batch->waits->len;
}

static gboolean
commit_run (sqlite3  *db,
            gpointer  data,
            GError  **error)
{
  DrdSettleBatch *b = data;
  sqlite3_stmt *put, *ins, *credit, *done, *wait, *answer, *stale;

  b->n_settled = b->n_already = b->n_stale = 0;
  b->points_credited = 0;

  put = drd_store_prepare (db,
      "INSERT INTO meter_days (customer_id, day, slots, n_present, fetched_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (customer_id, day) DO UPDATE SET "
      "slots = excluded.slots, n_present = excluded.n_present, fetched_at = excluded.fetched_at "
      "WHERE excluded.n_present >= meter_days.n_present", error);
  if (put == NULL)
    return FALSE;
  for (guint i = 0; i < b->meter_days->len; i++)
    {
      const DrdMeterDay *d = &g_array_index (b->meter_days, DrdMeterDay, i);
      gint32 le[DRD_SLOTS_PER_DAY];
      int n = 0;

      for (int k = 0; k < DRD_SLOTS_PER_DAY; k++)
        {
          le[k] = GINT32_TO_LE (d->slots[k]);
          n += d->slots[k] >= 0;
        }
      sqlite3_bind_int64 (put, 1, d->customer_id);
      sqlite3_bind_text (put, 2, d->day, 10, SQLITE_STATIC);
      sqlite3_bind_blob (put, 3, le, sizeof le, SQLITE_TRANSIENT);
      sqlite3_bind_int (put, 4, n);
      sqlite3_bind_int64 (put, 5, d->fetched_at);
      if (!drd_store_step_done (db, put, "store meter day", error))
        return FALSE;
      sqlite3_reset (put);
    }

  ins = drd_store_prepare (db,
      "INSERT INTO settlements (event_id, customer_id, answer, answered_at, baseline_wh, "
      "actual_wh, reduction_wh, outcome, points, note, settled_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
      "ON CONFLICT (event_id, customer_id) DO NOTHING", error);
  if (ins == NULL)
    return FALSE;
  credit = drd_store_prepare (db,
      "INSERT INTO points_ledger (customer_id, event_id, reason, points, created_at, note) "
      "VALUES (?1, ?2, '" DRD_SETTLE_REASON "', ?3, ?4, 'settlement') "
      "ON CONFLICT (event_id, customer_id, reason) DO NOTHING", error);
  if (credit == NULL)
    return FALSE;
  done = drd_store_prepare (db,
      "UPDATE jobs SET state = 2, last_error = NULL, updated_at = ?2 WHERE id = ?1", error);
  if (done == NULL)
    return FALSE;
  /* Operator answers are accepted until the customer's settlement row
   * exists (drd-store.h, "Answer deadline"); this check runs in the same
   * transaction as the insert, on the only writer, so no answer slips in
   * between. */
  answer = drd_store_prepare (db,
      "SELECT r.answer, coalesce(r.answered_at, 0), EXISTS (SELECT 1 FROM settlements s "
      "WHERE s.event_id = ?1 AND s.customer_id = ?2) FROM responses r "
      "WHERE r.event_id = ?1 AND r.customer_id = ?2", error);
  if (answer == NULL)
    return FALSE;
  stale = drd_store_prepare (db,
      "UPDATE jobs SET state = 0, next_attempt_at = ?2, updated_at = ?2, "
      "last_error = 'answer changed while settling; computing again' "
      "WHERE id = ?1 AND state <> 2", error);
  if (stale == NULL)
    return FALSE;

  for (guint i = 0; i < b->results->len; i++)
    {
      const DrdSettleResult *r = &g_array_index (b->results, DrdSettleResult, i);
      int rc;

      sqlite3_bind_int64 (answer, 1, r->event_id);
      sqlite3_bind_int64 (answer, 2, r->customer_id);
      rc = sqlite3_step (answer);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return drd_store_set_sqlite_error (error, db, "select response to settle");
      /* (An existing row wins: "already settled", whatever was computed.) */
      if (rc == SQLITE_ROW && !sqlite3_column_int (answer, 2)
          && ((DrdAnswer) sqlite3_column_int (answer, 0) != r->answer
              || sqlite3_column_int64 (answer, 1) != r->answered_at))
        {
          sqlite3_reset (answer);
          b->n_stale++;
          if (r->job_id > 0)
            {
              sqlite3_bind_int64 (stale, 1, r->job_id);
              sqlite3_bind_int64 (stale, 2, b->now);
              if (!drd_store_step_done (db, stale, "requeue settle job", error))
                return FALSE;
              sqlite3_reset (stale);
            }
          continue;
        }
      sqlite3_reset (answer);

      sqlite3_bind_int64 (ins, 1, r->event_id);
      sqlite3_bind_int64 (ins, 2, r->customer_id);
      sqlite3_bind_int (ins, 3, r->answer);
      drd_store_bind_id_or_null (ins, 4, r->answered_at);
      if (r->baseline_known)
        sqlite3_bind_int64 (ins, 5, r->baseline_wh);
      if (r->actual_known)
        sqlite3_bind_int64 (ins, 6, r->actual_wh);
      if (r->baseline_known && r->actual_known)
        sqlite3_bind_int64 (ins, 7, r->reduction_wh);
      sqlite3_bind_int (ins, 8, r->outcome);
      sqlite3_bind_int64 (ins, 9, r->points);
      drd_store_bind_text_or_null (ins, 10, r->note);
      sqlite3_bind_int64 (ins, 11, b->now);
      if (!drd_store_step_done (db, ins, "insert settlement", error))
        return FALSE;
      sqlite3_reset (ins);
      sqlite3_clear_bindings (ins);
      if (sqlite3_changes (db) == 1)
        {
          b->n_settled++;
          if (r->points > 0)
            {
              sqlite3_bind_int64 (credit, 1, r->customer_id);
              sqlite3_bind_int64 (credit, 2, r->event_id);
              sqlite3_bind_int64 (credit, 3, r->points);
              sqlite3_bind_int64 (credit, 4, b->now);
              if (!drd_store_step_done (db, credit, "credit points", error))
                return FALSE;
              sqlite3_reset (credit);
              if (sqlite3_changes (db) == 1)
                b->points_credited += r->points;
            }
        }
      else
        b->n_already++;

      if (r->job_id > 0)
        {
          sqlite3_bind_int64 (done, 1, r->job_id);
          sqlite3_bind_int64 (done, 2, b->now);
          if (!drd_store_step_done (db, done, "mark settle job done", error))
            return FALSE;
          sqlite3_reset (done);
        }
    }

  wait = drd_store_prepare (db,
      "UPDATE jobs SET state = CASE WHEN ?2 = 0 THEN 3 ELSE 0 END, "
      "next_attempt_at = CASE WHEN ?2 = 0 THEN next_attempt_at ELSE ?2 END, "
      "attempts = attempts + ?3, last_error = ?4, updated_at = ?5 "
      "WHERE id = ?1 AND state <> 2", error);
  if (wait == NULL)
    return FALSE;
  for (guint i = 0; i < b->waits->len; i++)
    {
      const DrdSettleWait *w = &g_array_index (b->waits, DrdSettleWait, i);

      sqlite3_bind_int64 (wait, 1, w->job_id);
      sqlite3_bind_int64 (wait, 2, w->next_attempt_at);
      sqlite3_bind_int (wait, 3, w->is_error ? 1 : 0);
      drd_store_bind_text_or_null (wait, 4, w->message);
      sqlite3_bind_int64 (wait, 5, b->now);
      if (!drd_store_step_done (db, wait, "reschedule settle job", error))
        return FALSE;
      sqlite3_reset (wait);
    }
  return TRUE;
}

void
drd_store_settle_commit_async (DrdStore            *self,
                               DrdSettleBatch      *batch,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, drd_store_settle_commit_async);
  g_task_set_task_data (task, batch, NULL);
  drd_store_write_in_task (self, task, commit_run);
}

gboolean
drd_store_settle_commit_finish (DrdStore      *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
drd_store_settle_commit (DrdStore        *self,
                         DrdSettleBatch  *batch,
                         GError         **error)
{
  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  return drd_store_write (self, commit_run, batch, error);
}

/* ------------------------------------------------------------------ */
/* Finish event                                                       */

typedef struct {
  gint64   event_id;
  gint64   now;
  gboolean settled;
} FinishOp;

static gboolean
finish_run (sqlite3  *db,
            gpointer  data,
            GError  **error)
{
  FinishOp *op = data;
  sqlite3_stmt *stmt;
  int status, rc;
  gint64 n_resp, n_settled;

  op->settled = FALSE;
  stmt = drd_store_prepare (db,
      "SELECT status, (SELECT count(*) FROM responses WHERE event_id = ?1), "
      "(SELECT count(*) FROM settlements WHERE event_id = ?1) FROM events WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return drd_store_set_not_found (error, _("no event %" PRId64), op->event_id);
  if (rc != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "count settlements");
  status = sqlite3_column_int (stmt, 0);
  n_resp = sqlite3_column_int64 (stmt, 1);
  n_settled = sqlite3_column_int64 (stmt, 2);
  sqlite3_reset (stmt);
  if (status == DRD_EVENT_SETTLED)
    {
      op->settled = TRUE;
      return TRUE;
    }
  if (status != DRD_EVENT_SETTLING || n_settled < n_resp)
    return TRUE;
  op->settled = TRUE;
  return set_status (db, op->event_id, DRD_EVENT_SETTLING, DRD_EVENT_SETTLED, op->now, error);
}

void
drd_store_settle_finish_event_async (DrdStore            *self,
                                     gint64               event_id,
                                     gint64               now,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  FinishOp *op = g_new0 (FinishOp, 1);

  op->event_id = event_id;
  op->now = now;
  g_task_set_source_tag (task, drd_store_settle_finish_event_async);
  g_task_set_task_data (task, op, g_free);
  drd_store_write_in_task (self, task, finish_run);
}

gboolean
drd_store_settle_finish_event_finish (DrdStore      *self,
                                      GAsyncResult  *result,
                                      gboolean      *out_settled,
                                      GError       **error)
{
  FinishOp *op;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  op = g_task_get_task_data (G_TASK (result));
  if (out_settled != NULL)
    *out_settled = op->settled;
  return TRUE;
}

gboolean
drd_store_settle_finish_event (DrdStore *self,
                               gint64    event_id,
                               gint64    now,
                               gboolean *out_settled,
                               GError  **error)
{
  FinishOp op = { event_id, now, FALSE };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  if (!drd_store_write (self, finish_run, &op, error))
    return FALSE;
  if (out_settled != NULL)
    *out_settled = op.settled;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Progress, summary, rows                                            */

void
drd_settle_progress_clear (DrdSettleProgress *progress)
{
  g_clear_pointer (&progress->last_error, g_free);
  memset (progress, 0, sizeof *progress);
}

typedef struct {
  gint64             event_id;
  gint64             now;
  DrdSettleProgress *p;
} ProgressOp;

static gboolean
progress_run (sqlite3  *db,
              gpointer  data,
              GError  **error)
{
  ProgressOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db,
      "SELECT (SELECT count(*) FROM responses WHERE event_id = ?1), "
      "(SELECT count(*) FROM settlements WHERE event_id = ?1)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "count settlements");
  op->p->n_targeted = sqlite3_column_int64 (stmt, 0);
  op->p->n_settled = sqlite3_column_int64 (stmt, 1);
  sqlite3_reset (stmt);

  stmt = drd_store_prepare (db,
      "SELECT state, count(*), sum(next_attempt_at > ?2), min(next_attempt_at) FROM jobs "
      "WHERE kind = '" DRD_SETTLE_JOB_KIND "' AND event_id = ?1 GROUP BY state", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  sqlite3_bind_int64 (stmt, 2, op->now);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 n = sqlite3_column_int64 (stmt, 1);

      op->p->n_jobs += n;
      switch (sqlite3_column_int (stmt, 0))
        {
        case DRD_JOB_PENDING:
          op->p->n_pending = n;
          op->p->n_waiting = sqlite3_column_int64 (stmt, 2);
          op->p->next_attempt_at = sqlite3_column_int64 (stmt, 3);
          break;
        case DRD_JOB_RUNNING:
          op->p->n_running = n;
          break;
        case DRD_JOB_FAILED:
          op->p->n_failed = n;
          break;
        default:
          break;
        }
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "count settle jobs");
  sqlite3_reset (stmt);

  stmt = drd_store_prepare (db,
      "SELECT count(*), min(next_attempt_at) FROM jobs WHERE kind = '" DRD_SETTLE_JOB_KIND "' "
      "AND event_id = ?1 AND state = 0 AND last_error = ?2", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  sqlite3_bind_text (stmt, 2, DRD_SETTLE_WAITING_FOR_DATA, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "count jobs waiting for data");
  op->p->n_waiting_data = sqlite3_column_int64 (stmt, 0);
  op->p->next_data_attempt_at = sqlite3_column_int64 (stmt, 1);
  sqlite3_reset (stmt);

  /* The newest real error: waiting for data is not one. */
  stmt = drd_store_prepare (db,
      "SELECT last_error FROM jobs WHERE kind = '" DRD_SETTLE_JOB_KIND "' AND event_id = ?1 "
      "AND state IN (0, 3) AND last_error IS NOT NULL AND last_error <> ?2 "
      "ORDER BY updated_at DESC LIMIT 1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  sqlite3_bind_text (stmt, 2, DRD_SETTLE_WAITING_FOR_DATA, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    op->p->last_error = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  else if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "select last job error");
  return TRUE;
}

gboolean
drd_store_settle_get_progress (DrdStore          *self,
                               gint64             event_id,
                               gint64             now,
                               DrdSettleProgress *out,
                               GError           **error)
{
  ProgressOp op = { event_id, now, out };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  memset (out, 0, sizeof *out);
  return drd_store_read (self, progress_run, &op, error);
}

typedef struct {
  gint64          event_id;
  DrdEventSummary summary;
} SummaryOp;

static gboolean
summary_run (sqlite3  *db,
             gpointer  data,
             GError  **error)
{
  SummaryOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db, "SELECT target_w, start_at, end_at FROM events WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return drd_store_set_not_found (error, _("no event %" PRId64), op->event_id);
  if (rc != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "select event");
  drd_event_summary_init (&op->summary, sqlite3_column_int64 (stmt, 0),
                          sqlite3_column_int64 (stmt, 1), sqlite3_column_int64 (stmt, 2));
  sqlite3_reset (stmt);

  stmt = drd_store_prepare (db,
      "SELECT answer, outcome, count(*), count(reduction_wh), total(reduction_wh), total(points) "
      "FROM settlements WHERE event_id = ?1 GROUP BY answer, outcome", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      int answer = sqlite3_column_int (stmt, 0);
      int outcome = sqlite3_column_int (stmt, 1);
      gint64 n = sqlite3_column_int64 (stmt, 2);
      gint64 n_known = sqlite3_column_int64 (stmt, 3);
      /* total() is a double; exact for |Σ| < 2^53 Wh (9 PWh). */
      gint64 reduction = (gint64) sqlite3_column_double (stmt, 4);
      gint64 points = (gint64) sqlite3_column_double (stmt, 5);

      op->summary.n_customers += n;
      if (outcome >= 0 && outcome < 5)
        op->summary.n_by_outcome[outcome] += n;
      if (answer >= 0 && answer < 3)
        op->summary.n_by_answer[answer] += n;
      if (answer == DRD_ANSWER_ACCEPT)
        {
          op->summary.accepted_reduction_wh += reduction;
          op->summary.n_accepted_unknown += n - n_known;
        }
      op->summary.total_reduction_wh += reduction;
      op->summary.points_total += points;
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "summarise settlements");
  return TRUE;
}

gboolean
drd_store_settle_get_summary (DrdStore        *self,
                              gint64           event_id,
                              DrdEventSummary *out,
                              GError         **error)
{
  SummaryOp op = { .event_id = event_id };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  if (!drd_store_read (self, summary_run, &op, error))
    return FALSE;
  *out = op.summary;
  return TRUE;
}

void
drd_store_settle_get_summary_async (DrdStore            *self,
                                    gint64               event_id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  SummaryOp *op = g_new0 (SummaryOp, 1);

  op->event_id = event_id;
  g_task_set_source_tag (task, drd_store_settle_get_summary_async);
  g_task_set_task_data (task, op, g_free);
  drd_store_read_in_task (self, task, summary_run);
}

gboolean
drd_store_settle_get_summary_finish (DrdStore         *self,
                                     GAsyncResult     *result,
                                     DrdEventSummary  *out,
                                     GError          **error)
{
  SummaryOp *op;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  op = g_task_get_task_data (G_TASK (result));
  *out = op->summary;
  return TRUE;
}

#define ROW_COLUMNS \
  "s.customer_id, c.name, c.kepco_no, s.answer, s.answered_at, s.baseline_wh, s.actual_wh, " \
  "s.reduction_wh, s.outcome, s.points, s.note "

static void
row_from_stmt (sqlite3_stmt *stmt,
               DrdSettleRow *row)
{
  row->customer_id = sqlite3_column_int64 (stmt, 0);
  row->customer_name = (const char *) sqlite3_column_text (stmt, 1);
  row->kepco_no = (const char *) sqlite3_column_text (stmt, 2);
  row->answer = sqlite3_column_int (stmt, 3);
  row->answered_at = sqlite3_column_int64 (stmt, 4);
  row->baseline_known = sqlite3_column_type (stmt, 5) != SQLITE_NULL;
  row->baseline_wh = sqlite3_column_int64 (stmt, 5);
  row->actual_known = sqlite3_column_type (stmt, 6) != SQLITE_NULL;
  row->actual_wh = sqlite3_column_int64 (stmt, 6);
  row->reduction_known = sqlite3_column_type (stmt, 7) != SQLITE_NULL;
  row->reduction_wh = sqlite3_column_int64 (stmt, 7);
  row->outcome = sqlite3_column_int (stmt, 8);
  row->points = sqlite3_column_int64 (stmt, 9);
  row->note = (const char *) sqlite3_column_text (stmt, 10);
}

typedef struct {
  gint64            event_id;
  DrdSettleRowFunc  func;
  gpointer          user_data;
} ForeachOp;

static gboolean
foreach_run (sqlite3  *db,
             gpointer  data,
             GError  **error)
{
  ForeachOp *op = data;
  sqlite3_stmt *stmt = drd_store_prepare (db,
      "SELECT " ROW_COLUMNS "FROM settlements s JOIN customers c ON c.id = s.customer_id "
      "WHERE s.event_id = ?1 ORDER BY s.customer_id", error);
  DrdSettleRow row;
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      row_from_stmt (stmt, &row);
      if (!op->func (&row, op->user_data, error))
        return FALSE;
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "select settlement rows");
  return TRUE;
}

gboolean
drd_store_settle_foreach (DrdStore          *self,
                          gint64             event_id,
                          DrdSettleRowFunc   func,
                          gpointer           user_data,
                          GError           **error)
{
  ForeachOp op = { event_id, func, user_data };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  return drd_store_read (self, foreach_run, &op, error);
}

void
drd_settle_row_copy_free (DrdSettleRowCopy *copy)
{
  if (copy == NULL)
    return;
  g_free (copy->customer_name);
  g_free (copy->kepco_no);
  g_free (copy->note);
  g_free (copy);
}

typedef struct {
  gint64      event_id;
  DrdOutcome  outcome;
  gint64      after;
  guint       limit;
  GPtrArray  *rows;
} ListOp;

static void
list_op_free (ListOp *op)
{
  g_clear_pointer (&op->rows, g_ptr_array_unref);
  g_free (op);
}

static gboolean
list_run (sqlite3  *db,
          gpointer  data,
          GError  **error)
{
  ListOp *op = data;
  sqlite3_stmt *stmt = drd_store_prepare (db,
      "SELECT " ROW_COLUMNS "FROM settlements s JOIN customers c ON c.id = s.customer_id "
      "WHERE s.event_id = ?1 AND s.customer_id > ?2 AND (?3 = 0 OR s.outcome = ?3) "
      "ORDER BY s.customer_id LIMIT ?4", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  sqlite3_bind_int64 (stmt, 2, op->after);
  sqlite3_bind_int (stmt, 3, op->outcome);
  sqlite3_bind_int64 (stmt, 4, op->limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DrdSettleRowCopy *copy = g_new0 (DrdSettleRowCopy, 1);

      row_from_stmt (stmt, &copy->row);
      copy->customer_name = g_strdup (copy->row.customer_name);
      copy->kepco_no = g_strdup (copy->row.kepco_no);
      copy->note = g_strdup (copy->row.note);
      copy->row.customer_name = copy->customer_name;
      copy->row.kepco_no = copy->kepco_no;
      copy->row.note = copy->note;
      g_ptr_array_add (op->rows, copy);
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "list settlement rows");
  return TRUE;
}

static ListOp *
list_op_new (gint64     event_id,
             DrdOutcome outcome,
             gint64     after,
             guint      limit)
{
  ListOp *op = g_new0 (ListOp, 1);

  op->event_id = event_id;
  op->outcome = outcome;
  op->after = after;
  op->limit = limit;
  op->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_settle_row_copy_free);
  return op;
}

GPtrArray *
drd_store_settle_list (DrdStore   *self,
                       gint64      event_id,
                       DrdOutcome  outcome,
                       gint64      after_customer_id,
                       guint       limit,
                       GError    **error)
{
  ListOp *op = list_op_new (event_id, outcome, after_customer_id, limit);
  GPtrArray *rows = NULL;

  g_return_val_if_fail (DRD_IS_STORE (self), NULL);
  if (drd_store_read (self, list_run, op, error))
    rows = g_steal_pointer (&op->rows);
  list_op_free (op);
  return rows;
}

void
drd_store_settle_list_async (DrdStore            *self,
                             gint64               event_id,
                             DrdOutcome           outcome,
                             gint64               after_customer_id,
                             guint                limit,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, drd_store_settle_list_async);
  g_task_set_task_data (task, list_op_new (event_id, outcome, after_customer_id, limit),
                        (GDestroyNotify) list_op_free);
  drd_store_read_in_task (self, task, list_run);
}

GPtrArray *
drd_store_settle_list_finish (DrdStore      *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  ListOp *op;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  op = g_task_get_task_data (G_TASK (result));
  return g_ptr_array_ref (op->rows);
}
