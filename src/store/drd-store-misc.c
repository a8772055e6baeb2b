/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Audit log, settings, holidays, points ledger, jobs and meter days. */
#include "config.h"

#include "store/drd-store-private.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>

#include <stdio.h>
#include <string.h>

static gboolean
day_ok (const char *day)
{
  int y, m, d;
  char extra;

  if (day == NULL || strlen (day) != 10
      || sscanf (day, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3
      || day[4] != '-' || day[7] != '-')
    return FALSE;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (day[i]))
      return FALSE;
  return g_date_valid_dmy (d, m, y);
}

/* ------------------------------------------------------------------ */
/* Audit                                                              */

typedef struct {
  gint64      at;
  const char *actor;
  const char *action;
  gint64      event_id;
  gint64      customer_id;
  const char *detail;
} AuditOp;

static gboolean
audit_run (sqlite3  *db,
           gpointer  data,
           GError  **error)
{
  AuditOp *op = data;
  sqlite3_stmt *stmt = drd_store_prepare (db,
      "INSERT INTO audit_log (at, actor, action, event_id, customer_id, detail) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->at);
  sqlite3_bind_text (stmt, 2, op->actor, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, op->action, -1, SQLITE_STATIC);
  drd_store_bind_id_or_null (stmt, 4, op->event_id);
  drd_store_bind_id_or_null (stmt, 5, op->customer_id);
  drd_store_bind_text_or_null (stmt, 6, op->detail);
  return drd_store_step_done (db, stmt, "insert audit_log", error);
}

gboolean
drd_store_append_audit (DrdStore   *self,
                        gint64      at,
                        const char *actor,
                        const char *action,
                        gint64      event_id,
                        gint64      customer_id,
                        const char *detail_json,
                        GError    **error)
{
  AuditOp op = { at, actor, action, event_id, customer_id, detail_json };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  if (actor == NULL || *actor == '\0' || action == NULL || *action == '\0')
    return drd_store_set_invalid (error, _("an audit entry needs an actor and an action"));
  return drd_store_write (self, audit_run, &op, error);
}

/* ------------------------------------------------------------------ */
/* Settings                                                           */

typedef struct {
  const char *key;
  const char *value;
  char       *out;
} SettingOp;

static gboolean
get_setting_run (sqlite3  *db,
                 gpointer  data,
                 GError  **error)
{
  SettingOp *op = data;
  sqlite3_stmt *stmt = drd_store_prepare (db, "SELECT value FROM settings WHERE key = ?1", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, op->key, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    op->out = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  else if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "select setting");
  return TRUE;
}

static gboolean
set_setting_run (sqlite3  *db,
                 gpointer  data,
                 GError  **error)
{
  SettingOp *op = data;
  sqlite3_stmt *stmt;

  if (op->value == NULL)
    stmt = drd_store_prepare (db, "DELETE FROM settings WHERE key = ?1", error);
  else
    stmt = drd_store_prepare (db,
        "INSERT INTO settings (key, value) VALUES (?1, ?2) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, op->key, -1, SQLITE_STATIC);
  if (op->value != NULL)
    sqlite3_bind_text (stmt, 2, op->value, -1, SQLITE_STATIC);
  return drd_store_step_done (db, stmt, "store setting", error);
}

char *
drd_store_get_setting (DrdStore   *self,
                       const char *key,
                       GError    **error)
{
  SettingOp op = { key, NULL, NULL };

  g_return_val_if_fail (DRD_IS_STORE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  if (!drd_store_read (self, get_setting_run, &op, error))
    return NULL;
  return op.out;
}

gboolean
drd_store_set_setting (DrdStore   *self,
                       const char *key,
                       const char *value,
                       GError    **error)
{
  SettingOp op = { key, value, NULL };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  if (key == NULL || *key == '\0')
    return drd_store_set_invalid (error, _("a setting needs a key"));
  return drd_store_write (self, set_setting_run, &op, error);
}

/* ------------------------------------------------------------------ */
/* Holidays                                                           */

void
drd_holiday_free (DrdHoliday *holiday)
{
  if (holiday == NULL)
    return;
  g_free (holiday->name);
  g_free (holiday);
}

static gboolean
replace_holidays_run (sqlite3  *db,
                      gpointer  data,
                      GError  **error)
{
  GPtrArray *holidays = data;
  sqlite3_stmt *stmt;

  stmt = drd_store_prepare (db, "DELETE FROM holidays", error);
  if (stmt == NULL || !drd_store_step_done (db, stmt, "delete holidays", error))
    return FALSE;
  stmt = drd_store_prepare (db,
      "INSERT INTO holidays (day, name) VALUES (?1, ?2) "
      "ON CONFLICT (day) DO UPDATE SET name = excluded.name", error);
  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < holidays->len; i++)
    {
      const DrdHoliday *h = g_ptr_array_index (holidays, i);

      sqlite3_reset (stmt);
      sqlite3_bind_text (stmt, 1, h->day, -1, SQLITE_STATIC);
      drd_store_bind_text_or_null (stmt, 2, h->name);
      if (!drd_store_step_done (db, stmt, "insert holiday", error))
        return FALSE;
    }
  return TRUE;
}

gboolean
drd_store_replace_holidays (DrdStore  *self,
                            GPtrArray *holidays,
                            GError   **error)
{
  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  g_return_val_if_fail (holidays != NULL, FALSE);

  for (guint i = 0; i < holidays->len; i++)
    {
      const DrdHoliday *h = g_ptr_array_index (holidays, i);
      if (!day_ok (h->day))
        return drd_store_set_invalid (error, _("holiday %u: “%s” is not a date (YYYY-MM-DD)"),
                                      i + 1, h->day);
    }
  return drd_store_write (self, replace_holidays_run, holidays, error);
}

static gboolean
list_holidays_run (sqlite3  *db,
                   gpointer  data,
                   GError  **error)
{
  GPtrArray *out = data;
  sqlite3_stmt *stmt = drd_store_prepare (db, "SELECT day, name FROM holidays ORDER BY day", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DrdHoliday *h = g_new0 (DrdHoliday, 1);
      g_strlcpy (h->day, (const char *) sqlite3_column_text (stmt, 0), sizeof h->day);
      h->name = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      g_ptr_array_add (out, h);
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "list holidays");
  return TRUE;
}

GPtrArray *
drd_store_list_holidays (DrdStore *self,
                         GError  **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_holiday_free);

  g_return_val_if_fail (DRD_IS_STORE (self), NULL);
  if (!drd_store_read (self, list_holidays_run, out, error))
    return NULL;
  return g_steal_pointer (&out);
}

/* ------------------------------------------------------------------ */
/* Ledger                                                             */

void
drd_ledger_entry_free (DrdLedgerEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->reason);
  g_free (entry->note);
  g_free (entry);
}

typedef struct {
  gint64          customer_id;
  gint64          event_id;
  const char     *reason;
  gint64          points;
  const char     *note;
  gint64          now;
  DrdCreditResult result;
  gint64          entry_id;
} CreditOp;

static gboolean
credit_run (sqlite3  *db,
            gpointer  data,
            GError  **error)
{
  CreditOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db,
      "INSERT INTO points_ledger (customer_id, event_id, reason, points, created_at, note) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
      "ON CONFLICT (event_id, customer_id, reason) DO NOTHING", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->customer_id);
  drd_store_bind_id_or_null (stmt, 2, op->event_id);
  sqlite3_bind_text (stmt, 3, op->reason, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, op->points);
  sqlite3_bind_int64 (stmt, 5, op->now);
  drd_store_bind_text_or_null (stmt, 6, op->note);
  if (!drd_store_step_done (db, stmt, "insert points_ledger", error))
    return FALSE;
  if (sqlite3_changes (db) == 1)
    {
      op->result = DRD_CREDIT_CREDITED;
      op->entry_id = sqlite3_last_insert_rowid (db);
      return TRUE;
    }

  stmt = drd_store_prepare (db,
      "SELECT id FROM points_ledger WHERE event_id = ?1 AND customer_id = ?2 AND reason = ?3",
      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  sqlite3_bind_int64 (stmt, 2, op->customer_id);
  sqlite3_bind_text (stmt, 3, op->reason, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "select existing credit");
  op->result = DRD_CREDIT_ALREADY;
  op->entry_id = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

DrdCreditResult
drd_store_credit_points (DrdStore   *self,
                         gint64      customer_id,
                         gint64      event_id,
                         const char *reason,
                         gint64      points,
                         const char *note,
                         gint64      now,
                         gint64     *out_entry_id,
                         GError    **error)
{
  CreditOp op = { customer_id, event_id, reason, points, note, now, DRD_CREDIT_FAILED, 0 };

  g_return_val_if_fail (DRD_IS_STORE (self), DRD_CREDIT_FAILED);
  if (reason == NULL || *reason == '\0')
    {
      drd_store_set_invalid (error, _("a ledger entry needs a reason"));
      return DRD_CREDIT_FAILED;
    }
  if (!drd_store_write (self, credit_run, &op, error))
    return DRD_CREDIT_FAILED;
  if (out_entry_id != NULL)
    *out_entry_id = op.entry_id;
  return op.result;
}

typedef struct {
  gint64     customer_id;
  gint64     balance;
  GPtrArray *entries;
} BalanceOp;

static gboolean
customer_exists (sqlite3     *db,
                 gint64       customer_id,
                 GError     **error)
{
  sqlite3_stmt *stmt = drd_store_prepare (db, "SELECT 1 FROM customers WHERE id = ?1", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, customer_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return drd_store_set_not_found (error, _("no customer %" PRId64), customer_id);
  if (rc != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "select customer");
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
balance_run (sqlite3  *db,
             gpointer  data,
             GError  **error)
{
  BalanceOp *op = data;
  sqlite3_stmt *stmt;

  if (!customer_exists (db, op->customer_id, error))
    return FALSE;
  stmt = drd_store_prepare (db,
      "SELECT coalesce(sum(points), 0) FROM points_ledger WHERE customer_id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->customer_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "sum points_ledger");
  op->balance = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

gboolean
drd_store_get_balance (DrdStore *self,
                       gint64    customer_id,
                       gint64   *out_balance,
                       GError  **error)
{
  BalanceOp op = { customer_id, 0, NULL };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  if (!drd_store_read (self, balance_run, &op, error))
    return FALSE;
  if (out_balance != NULL)
    *out_balance = op.balance;
  return TRUE;
}

static gboolean
ledger_run (sqlite3  *db,
            gpointer  data,
            GError  **error)
{
  BalanceOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  if (!customer_exists (db, op->customer_id, error))
    return FALSE;
  stmt = drd_store_prepare (db,
      "SELECT id, customer_id, event_id, reason, points, created_at, note "
      "FROM points_ledger WHERE customer_id = ?1 ORDER BY id", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->customer_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DrdLedgerEntry *e = g_new0 (DrdLedgerEntry, 1);
      e->id = sqlite3_column_int64 (stmt, 0);
      e->customer_id = sqlite3_column_int64 (stmt, 1);
      e->event_id = sqlite3_column_int64 (stmt, 2);
      e->reason = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
      e->points = sqlite3_column_int64 (stmt, 4);
      e->created_at = sqlite3_column_int64 (stmt, 5);
      e->note = g_strdup ((const char *) sqlite3_column_text (stmt, 6));
      g_ptr_array_add (op->entries, e);
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "list points_ledger");
  return TRUE;
}

GPtrArray *
drd_store_get_ledger (DrdStore *self,
                      gint64    customer_id,
                      GError  **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_ledger_entry_free);
  BalanceOp op = { customer_id, 0, out };

  g_return_val_if_fail (DRD_IS_STORE (self), NULL);
  if (!drd_store_read (self, ledger_run, &op, error))
    return NULL;
  return g_steal_pointer (&out);
}

/* ------------------------------------------------------------------ */
/* Jobs                                                               */

void
drd_job_free (DrdJob *job)
{
  if (job == NULL)
    return;
  g_free (job->kind);
  g_free (job->last_error);
  g_free (job);
}

#define JOB_COLUMNS \
  "id, kind, event_id, customer_id, state, attempts, next_attempt_at, last_error, " \
  "created_at, updated_at"

static DrdJob *
job_from_row (sqlite3_stmt *stmt)
{
  DrdJob *job = g_new0 (DrdJob, 1);

  job->id = sqlite3_column_int64 (stmt, 0);
  job->kind = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  job->event_id = sqlite3_column_int64 (stmt, 2);
  job->customer_id = sqlite3_column_int64 (stmt, 3);
  job->state = sqlite3_column_int (stmt, 4);
  job->attempts = sqlite3_column_int (stmt, 5);
  job->next_attempt_at = sqlite3_column_int64 (stmt, 6);
  job->last_error = g_strdup ((const char *) sqlite3_column_text (stmt, 7));
  job->created_at = sqlite3_column_int64 (stmt, 8);
  job->updated_at = sqlite3_column_int64 (stmt, 9);
  return job;
}

typedef struct {
  const char *kind;
  gint64      event_id;
  gint64      customer_id;
  gint64      next_attempt_at;
  gint64      now;
  gint64      job_id;
  gboolean    created;
} EnqueueOp;

static gboolean
enqueue_run (sqlite3  *db,
             gpointer  data,
             GError  **error)
{
  EnqueueOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  /* UNIQUE treats NULLs as distinct, so look first (we hold the write
   * lock, so nobody can insert in between). */
  stmt = drd_store_prepare (db,
      "SELECT id FROM jobs WHERE kind = ?1 AND event_id IS ?2 AND customer_id IS ?3", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, op->kind, -1, SQLITE_STATIC);
  drd_store_bind_id_or_null (stmt, 2, op->event_id);
  drd_store_bind_id_or_null (stmt, 3, op->customer_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      op->job_id = sqlite3_column_int64 (stmt, 0);
      op->created = FALSE;
      return TRUE;
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "select job");

  stmt = drd_store_prepare (db,
      "INSERT INTO jobs (kind, event_id, customer_id, next_attempt_at, created_at, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?5)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, op->kind, -1, SQLITE_STATIC);
  drd_store_bind_id_or_null (stmt, 2, op->event_id);
  drd_store_bind_id_or_null (stmt, 3, op->customer_id);
  sqlite3_bind_int64 (stmt, 4, op->next_attempt_at);
  sqlite3_bind_int64 (stmt, 5, op->now);
  if (!drd_store_step_done (db, stmt, "insert job", error))
    return FALSE;
  op->job_id = sqlite3_last_insert_rowid (db);
  op->created = TRUE;
  return TRUE;
}

gboolean
drd_store_enqueue_job (DrdStore   *self,
                       const char *kind,
                       gint64      event_id,
                       gint64      customer_id,
                       gint64      next_attempt_at,
                       gint64      now,
                       gint64     *out_job_id,
                       gboolean   *out_created,
                       GError    **error)
{
  EnqueueOp op = { kind, event_id, customer_id, next_attempt_at, now, 0, FALSE };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  if (kind == NULL || *kind == '\0')
    return drd_store_set_invalid (error, _("a job needs a kind"));
  if (!drd_store_write (self, enqueue_run, &op, error))
    return FALSE;
  if (out_job_id != NULL)
    *out_job_id = op.job_id;
  if (out_created != NULL)
    *out_created = op.created;
  return TRUE;
}

typedef struct {
  const char *kind;
  gint64      now;
  guint       max_jobs;
  GPtrArray  *jobs;
} ClaimOp;

static gboolean
claim_run (sqlite3  *db,
           gpointer  data,
           GError  **error)
{
  ClaimOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db,
      "UPDATE jobs SET state = 1, attempts = attempts + 1, updated_at = ?1 "
      "WHERE id IN (SELECT id FROM jobs WHERE state = 0 AND next_attempt_at <= ?1 "
      "             AND (?2 IS NULL OR kind = ?2) "
      "             ORDER BY next_attempt_at, id LIMIT ?3) "
      "RETURNING " JOB_COLUMNS, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->now);
  drd_store_bind_text_or_null (stmt, 2, op->kind);
  sqlite3_bind_int64 (stmt, 3, op->max_jobs);
  g_ptr_array_set_size (op->jobs, 0);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (op->jobs, job_from_row (stmt));
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "claim jobs");
  return TRUE;
}

static int
job_due_cmp (gconstpointer a,
             gconstpointer b)
{
  const DrdJob *x = *(const DrdJob * const *) a;
  const DrdJob *y = *(const DrdJob * const *) b;

  if (x->next_attempt_at != y->next_attempt_at)
    return x->next_attempt_at < y->next_attempt_at ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

GPtrArray *
drd_store_claim_jobs (DrdStore   *self,
                      const char *kind,
                      gint64      now,
                      guint       max_jobs,
                      GError    **error)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_job_free);
  ClaimOp op = { kind, now, max_jobs, jobs };

  g_return_val_if_fail (DRD_IS_STORE (self), NULL);
  if (!drd_store_write (self, claim_run, &op, error))
    return NULL;
  /* RETURNING gives no order guarantee. */
  g_ptr_array_sort (jobs, job_due_cmp);
  return g_steal_pointer (&jobs);
}

typedef struct {
  gint64      job_id;
  const char *message;
  gint64      next_attempt_at;
  gint64      now;
  gboolean    complete;
  guint       n_reset;
} JobUpdateOp;

static gboolean
job_update_run (sqlite3  *db,
                gpointer  data,
                GError  **error)
{
  JobUpdateOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db, "SELECT state FROM jobs WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->job_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return drd_store_set_not_found (error, _("no job %" PRId64), op->job_id);
  if (rc != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "select job");
  if (sqlite3_column_int (stmt, 0) != DRD_JOB_RUNNING)
    {
      g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONFLICT,
                   _("job %" PRId64 " is not running"), op->job_id);
      return FALSE;
    }
  sqlite3_reset (stmt);

  if (op->complete)
    stmt = drd_store_prepare (db,
        "UPDATE jobs SET state = 2, last_error = NULL, updated_at = ?2 WHERE id = ?1", error);
  else
    stmt = drd_store_prepare (db,
        "UPDATE jobs SET state = CASE WHEN ?4 = 0 THEN 3 ELSE 0 END, "
        "next_attempt_at = CASE WHEN ?4 = 0 THEN next_attempt_at ELSE ?4 END, "
        "last_error = ?3, updated_at = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->job_id);
  sqlite3_bind_int64 (stmt, 2, op->now);
  if (!op->complete)
    {
      drd_store_bind_text_or_null (stmt, 3, op->message);
      sqlite3_bind_int64 (stmt, 4, op->next_attempt_at);
    }
  return drd_store_step_done (db, stmt, "update job", error);
}

gboolean
drd_store_complete_job (DrdStore *self,
                        gint64    job_id,
                        gint64    now,
                        GError  **error)
{
  JobUpdateOp op = { job_id, NULL, 0, now, TRUE, 0 };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  return drd_store_write (self, job_update_run, &op, error);
}

gboolean
drd_store_fail_job (DrdStore   *self,
                    gint64      job_id,
                    const char *message,
                    gint64      next_attempt_at,
                    gint64      now,
                    GError    **error)
{
  JobUpdateOp op = { job_id, message, next_attempt_at, now, FALSE, 0 };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  return drd_store_write (self, job_update_run, &op, error);
}

static gboolean
reset_jobs_run (sqlite3  *db,
                gpointer  data,
                GError  **error)
{
  JobUpdateOp *op = data;
  sqlite3_stmt *stmt = drd_store_prepare (db,
      "UPDATE jobs SET state = 0, next_attempt_at = min(next_attempt_at, ?1), updated_at = ?1 "
      "WHERE state = 1", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->now);
  if (!drd_store_step_done (db, stmt, "reset running jobs", error))
    return FALSE;
  op->n_reset = sqlite3_changes (db);
  return TRUE;
}

gboolean
drd_store_reset_running_jobs (DrdStore *self,
                              gint64    now,
                              guint    *out_n_reset,
                              GError  **error)
{
  JobUpdateOp op = { 0, NULL, 0, now, FALSE, 0 };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  if (!drd_store_write (self, reset_jobs_run, &op, error))
    return FALSE;
  if (out_n_reset != NULL)
    *out_n_reset = op.n_reset;
  return TRUE;
}

typedef struct {
  gint64  job_id;
  DrdJob *job;
} GetJobOp;

static gboolean
get_job_run (sqlite3  *db,
             gpointer  data,
             GError  **error)
{
  GetJobOp *op = data;
  sqlite3_stmt *stmt = drd_store_prepare (db, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->job_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return drd_store_set_not_found (error, _("no job %" PRId64), op->job_id);
  if (rc != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "select job");
  op->job = job_from_row (stmt);
  return TRUE;
}

DrdJob *
drd_store_get_job (DrdStore *self,
                   gint64    job_id,
                   GError  **error)
{
  GetJobOp op = { job_id, NULL };

  g_return_val_if_fail (DRD_IS_STORE (self), NULL);
  if (!drd_store_read (self, get_job_run, &op, error))
    return NULL;
  return op.job;
}

/* ------------------------------------------------------------------ */
/* Meter days                                                         */

static gboolean
put_meter_day_run (sqlite3  *db,
                   gpointer  data,
                   GError  **error)
{
  const DrdMeterDay *day = data;
  gint32 le[DRD_SLOTS_PER_DAY];
  sqlite3_stmt *stmt;
  int n_present = 0;

  for (int i = 0; i < DRD_SLOTS_PER_DAY; i++)
    {
      le[i] = GINT32_TO_LE (day->slots[i]);
      if (day->slots[i] >= 0)
        n_present++;
    }
  stmt = drd_store_prepare (db,
      "INSERT INTO meter_days (customer_id, day, slots, n_present, fetched_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (customer_id, day) DO UPDATE SET "
      "slots = excluded.slots, n_present = excluded.n_present, fetched_at = excluded.fetched_at",
      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, day->customer_id);
  sqlite3_bind_text (stmt, 2, day->day, 10, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 3, le, sizeof le, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 4, n_present);
  sqlite3_bind_int64 (stmt, 5, day->fetched_at);
  return drd_store_step_done (db, stmt, "store meter day", error);
}

gboolean
drd_store_put_meter_day (DrdStore          *self,
                         const DrdMeterDay *day,
                         GError           **error)
{
  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  g_return_val_if_fail (day != NULL, FALSE);

  if (!day_ok (day->day))
    return drd_store_set_invalid (error, _("“%.10s” is not a date (YYYY-MM-DD)"), day->day);
  for (int i = 0; i < DRD_SLOTS_PER_DAY; i++)
    if (day->slots[i] < -1)
      return drd_store_set_invalid (error, _("meter slot %d of %s is negative"), i, day->day);
  return drd_store_write (self, put_meter_day_run, (gpointer) day, error);
}

typedef struct {
  gint64      customer_id;
  const char *first;
  const char *last;
  GPtrArray  *days;
} MeterRangeOp;

static gboolean
get_meter_days_run (sqlite3  *db,
                    gpointer  data,
                    GError  **error)
{
  MeterRangeOp *op = data;
  sqlite3_stmt *stmt = drd_store_prepare (db,
      "SELECT day, slots, n_present, fetched_at FROM meter_days "
      "WHERE customer_id = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY day", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->customer_id);
  sqlite3_bind_text (stmt, 2, op->first, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, op->last, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DrdMeterDay *d = g_new0 (DrdMeterDay, 1);
      const guint8 *blob = sqlite3_column_blob (stmt, 1);

      d->customer_id = op->customer_id;
      g_strlcpy (d->day, (const char *) sqlite3_column_text (stmt, 0), sizeof d->day);
      if (blob == NULL || sqlite3_column_bytes (stmt, 1) != (int) sizeof d->slots)
        {
          g_free (d);
          g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_SQLITE,
                       _("meter day of customer %" PRId64 " is damaged"), op->customer_id);
          return FALSE;
        }
      memcpy (d->slots, blob, sizeof d->slots);
      for (int i = 0; i < DRD_SLOTS_PER_DAY; i++)
        d->slots[i] = GINT32_FROM_LE (d->slots[i]);
      d->n_present = sqlite3_column_int (stmt, 2);
      d->fetched_at = sqlite3_column_int64 (stmt, 3);
      g_ptr_array_add (op->days, d);
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "select meter days");
  return TRUE;
}

GPtrArray *
drd_store_get_meter_days (DrdStore   *self,
                          gint64      customer_id,
                          const char *first_day,
                          const char *last_day,
                          GError    **error)
{
  g_autoptr(GPtrArray) days = g_ptr_array_new_with_free_func (g_free);
  MeterRangeOp op = { customer_id, first_day, last_day, days };

  g_return_val_if_fail (DRD_IS_STORE (self), NULL);
  if (!day_ok (first_day) || !day_ok (last_day))
    {
      drd_store_set_invalid (error, _("a meter day range needs two dates (YYYY-MM-DD)"));
      return NULL;
    }
  if (!drd_store_read (self, get_meter_days_run, &op, error))
    return NULL;
  return g_steal_pointer (&days);
}
