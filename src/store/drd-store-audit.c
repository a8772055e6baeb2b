/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audit trail's queries (see the header). */
#include "config.h"

#include "store/drd-store-audit.h"
#include "store/drd-store-private.h"

void
drd_audit_entry_free (DrdAuditEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->actor);
  g_free (entry->action);
  g_free (entry->old_value);
  g_free (entry->new_value);
  g_free (entry->detail);
  g_free (entry->event_name);
  g_free (entry->customer_name);
  g_free (entry);
}

typedef struct {
  DrdAuditQuery  query;
  GPtrArray     *result;
} AuditListOp;

static void
audit_list_op_free (gpointer data)
{
  AuditListOp *op = data;

  g_clear_pointer (&op->result, g_ptr_array_unref);
  g_free (op);
}

static char *
dup_text (sqlite3_stmt *stmt, int col)
{
  const unsigned char *t = sqlite3_column_text (stmt, col);

  return t != NULL ? g_strdup ((const char *) t) : NULL;
}

/* old/new from the detail JSON: answers {"old","new"}, status changes
 * {"from","to"}, credits {"old","new"} (balances), rotations
 * {"generation"} (the link generation before and after). A detail that is
 * not valid JSON yields NULLs rather than an error: the row still shows. */
#define AUDIT_SELECT \
  "SELECT a.id, a.at, a.actor, a.action, coalesce(a.event_id, 0), coalesce(a.customer_id, 0), " \
  "CASE WHEN json_valid(a.detail) THEN CASE WHEN a.action = 'token.rotate' " \
  "  THEN json_extract(a.detail, '$.generation') - 1 " \
  "  ELSE coalesce(json_extract(a.detail, '$.old'), json_extract(a.detail, '$.from')) END END, " \
  "CASE WHEN json_valid(a.detail) THEN CASE WHEN a.action = 'token.rotate' " \
  "  THEN json_extract(a.detail, '$.generation') " \
  "  ELSE coalesce(json_extract(a.detail, '$.new'), json_extract(a.detail, '$.to')) END END, " \
  "a.detail, e.name, c.name " \
  "FROM audit_log a LEFT JOIN events e ON e.id = a.event_id " \
  "LEFT JOIN customers c ON c.id = a.customer_id "

/* One statement per filter combination, each walking its own index
 * (audit_log_event, audit_log_customer, the primary key) backwards. */
static const char *const audit_sql[4] = {
  AUDIT_SELECT "WHERE a.id < ?3 ORDER BY a.id DESC LIMIT ?4",
  AUDIT_SELECT "WHERE a.event_id = ?1 AND a.id < ?3 ORDER BY a.id DESC LIMIT ?4",
  AUDIT_SELECT "WHERE a.customer_id = ?2 AND a.id < ?3 ORDER BY a.id DESC LIMIT ?4",
  AUDIT_SELECT "WHERE a.customer_id = ?2 AND a.event_id = ?1 AND a.id < ?3 "
               "ORDER BY a.id DESC LIMIT ?4",
};

static gboolean
audit_list_run (sqlite3 *db, gpointer data, GError **error)
{
  AuditListOp *op = data;
  const DrdAuditQuery *q = &op->query;
  guint which = (q->event_id > 0 ? 1 : 0) | (q->customer_id > 0 ? 2 : 0);
  sqlite3_stmt *stmt = drd_store_prepare (db, audit_sql[which], error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, q->event_id);
  sqlite3_bind_int64 (stmt, 2, q->customer_id);
  sqlite3_bind_int64 (stmt, 3, q->before_id > 0 ? q->before_id : G_MAXINT64);
  sqlite3_bind_int64 (stmt, 4, q->limit > 0 ? q->limit : DRD_AUDIT_PAGE);
  op->result = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_audit_entry_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DrdAuditEntry *e = g_new0 (DrdAuditEntry, 1);

      e->id = sqlite3_column_int64 (stmt, 0);
      e->at = sqlite3_column_int64 (stmt, 1);
      e->actor = dup_text (stmt, 2);
      e->action = dup_text (stmt, 3);
      e->event_id = sqlite3_column_int64 (stmt, 4);
      e->customer_id = sqlite3_column_int64 (stmt, 5);
      e->old_value = dup_text (stmt, 6);
      e->new_value = dup_text (stmt, 7);
      e->detail = dup_text (stmt, 8);
      e->event_name = dup_text (stmt, 9);
      e->customer_name = dup_text (stmt, 10);
      g_ptr_array_add (op->result, e);
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "list audit_log");
  return TRUE;
}

GPtrArray *
drd_store_list_audit (DrdStore *store, const DrdAuditQuery *query, GError **error)
{
  AuditListOp op = { *query, NULL };

  g_return_val_if_fail (DRD_IS_STORE (store), NULL);
  if (!drd_store_read (store, audit_list_run, &op, error))
    {
      g_clear_pointer (&op.result, g_ptr_array_unref);
      return NULL;
    }
  return op.result;
}

void
drd_store_list_audit_async (DrdStore *store, const DrdAuditQuery *query,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  GTask *task = g_task_new (store, cancellable, callback, user_data);
  AuditListOp *op = g_new0 (AuditListOp, 1);

  op->query = *query;
  g_task_set_source_tag (task, drd_store_list_audit_async);
  g_task_set_task_data (task, op, audit_list_op_free);
  drd_store_read_in_task (store, task, audit_list_run);
}

GPtrArray *
drd_store_list_audit_finish (DrdStore *store, GAsyncResult *result, GError **error)
{
  AuditListOp *op;

  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  op = g_task_get_task_data (G_TASK (result));
  return g_steal_pointer (&op->result);
}
