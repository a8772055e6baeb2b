/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Customers and resources. */
#include "config.h"

#include "store/drd-store-private.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>

#include <string.h>

void
drd_store_import_result_free (DrdStoreImportResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->row_errors, g_ptr_array_unref);
  g_free (result);
}

static void
row_error_free (DrdStoreRowError *row_error)
{
  g_clear_error (&row_error->error);
  g_free (row_error);
}

void
drd_store_resource_free (DrdStoreResource *resource)
{
  if (resource == NULL)
    return;
  g_free (resource->name);
  g_free (resource);
}

static char *
dup_column_text (sqlite3_stmt *stmt,
                 int           col)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, col));
}

DrdCustomer *
drd_store_customer_from_row (sqlite3_stmt *stmt,
                             int           first)
{
  DrdCustomer *c = drd_customer_new ();

  c->id = sqlite3_column_int64 (stmt, first + 0);
  c->name = dup_column_text (stmt, first + 1);
  c->kepco_no = dup_column_text (stmt, first + 2);
  c->resource = dup_column_text (stmt, first + 3);
  c->registered_w = sqlite3_column_int64 (stmt, first + 4);
  c->cbl_method = (DrdCblMethod) sqlite3_column_int (stmt, first + 5);
  c->is_factory = sqlite3_column_int (stmt, first + 6) != 0;
  c->phone = dup_column_text (stmt, first + 7);
  c->email = dup_column_text (stmt, first + 8);
  c->webhook_url = dup_column_text (stmt, first + 9);
  return c;
}

/* ------------------------------------------------------------------ */
/* Import                                                             */

typedef struct {
  GPtrArray            *customers;    /* DrdCustomer* */
  char                 *actor;
  gint64                now;
  DrdStoreImportResult *result;
} ImportOp;

static void
import_op_free (ImportOp *op)
{
  g_clear_pointer (&op->customers, g_ptr_array_unref);
  g_free (op->actor);
  g_clear_pointer (&op->result, drd_store_import_result_free);
  g_free (op);
}

static gboolean
text_ok (const char *s,
         glong       max_chars)
{
  glong n;

  if (s == NULL || !g_utf8_validate (s, -1, NULL))
    return FALSE;
  n = g_utf8_strlen (s, -1);
  return n >= 1 && n <= max_chars;
}

static gboolean
validate_customer (const DrdCustomer *c,
                   GError           **error)
{
  if (c->id <= 0)
    return drd_store_set_invalid (error, _("customer_id must be a positive integer"));
  if (!text_ok (c->name, 200))
    return drd_store_set_invalid (error, _("customer %" PRId64 ": name must be 1 to 200 characters"), c->id);
  if (!text_ok (c->kepco_no, 32))
    return drd_store_set_invalid (error, _("customer %" PRId64 ": kepco_customer_no must be 1 to 32 characters"), c->id);
  if (!text_ok (c->resource, 100))
    return drd_store_set_invalid (error, _("customer %" PRId64 ": resource must be 1 to 100 characters"), c->id);
  if (c->registered_w < 0)
    return drd_store_set_invalid (error, _("customer %" PRId64 ": registered capacity must not be negative"), c->id);
  if (c->cbl_method != DRD_CBL_MID_6_10 && c->cbl_method != DRD_CBL_MAX_4_5)
    return drd_store_set_invalid (error, _("customer %" PRId64 ": unknown CBL method"), c->id);
  if ((c->phone && !g_utf8_validate (c->phone, -1, NULL))
      || (c->email && !g_utf8_validate (c->email, -1, NULL))
      || (c->webhook_url && !g_utf8_validate (c->webhook_url, -1, NULL)))
    return drd_store_set_invalid (error, _("customer %" PRId64 ": text is not valid UTF-8"), c->id);
  return TRUE;
}

/* Looks @name up in @cache, then in resources, creating it when new
 * (and then counting it in *@n_created). */
static gboolean
resource_id_for (sqlite3     *db,
                 GHashTable  *cache,
                 const char  *name,
                 gint64      *out_id,
                 guint       *n_created,
                 GError     **error)
{
  gpointer value;
  sqlite3_stmt *stmt;
  int rc;

  if (g_hash_table_lookup_extended (cache, name, NULL, &value))
    {
      *out_id = *(gint64 *) value;
      return TRUE;
    }

  stmt = drd_store_prepare (db, "SELECT id FROM resources WHERE name = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *out_id = sqlite3_column_int64 (stmt, 0);
  else if (rc == SQLITE_DONE)
    {
      stmt = drd_store_prepare (db, "INSERT INTO resources (name) VALUES (?1)", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
      if (!drd_store_step_done (db, stmt, "insert resource", error))
        return FALSE;
      *out_id = sqlite3_last_insert_rowid (db);
      (*n_created)++;
    }
  else
    return drd_store_set_sqlite_error (error, db, "look up resource");

  g_hash_table_insert (cache, g_strdup (name), g_memdup2 (out_id, sizeof *out_id));
  return TRUE;
}

static void
add_row_error (DrdStoreImportResult *result,
               guint                 index,
               GError               *error)
{
  DrdStoreRowError *row_error = g_new0 (DrdStoreRowError, 1);

  row_error->index = index;
  row_error->error = error;
  g_ptr_array_add (result->row_errors, row_error);
}

/* Runs @sql (no parameters, no rows) on the import's connection. */
static gboolean
import_exec (sqlite3     *db,
             const char  *sql,
             const char  *what,
             GError     **error)
{
  sqlite3_stmt *stmt = drd_store_prepare (db, sql, error);

  return stmt != NULL && drd_store_step_done (db, stmt, what, error);
}

/* Reports the rows selected by @sql (idx, customer id, other id) with
 * @format and removes them from the staging table. */
static gboolean
import_reject (sqlite3               *db,
               DrdStoreImportResult  *result,
               const char            *sql,
               GError               **error)
{
  sqlite3_stmt *stmt = drd_store_prepare (db, sql, error);
  g_autoptr(GArray) rejected = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *del;
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 idx = sqlite3_column_int64 (stmt, 0);

      add_row_error (result, (guint) idx,
                     g_error_new (DRD_STORE_ERROR, DRD_STORE_ERROR_CONSTRAINT,
                                  _("customer %" PRId64 ": kepco_customer_no %s is already "
                                  "used by customer %" PRId64),
                                  (gint64) sqlite3_column_int64 (stmt, 1),
                                  (const char *) sqlite3_column_text (stmt, 2),
                                  (gint64) sqlite3_column_int64 (stmt, 3)));
      g_array_append_val (rejected, idx);
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "check kepco_customer_no");
  sqlite3_reset (stmt);

  del = drd_store_prepare (db, "DELETE FROM temp.drd_import WHERE idx = ?1", error);
  if (del == NULL)
    return FALSE;
  for (guint i = 0; i < rejected->len; i++)
    {
      sqlite3_reset (del);
      sqlite3_bind_int64 (del, 1, g_array_index (rejected, gint64, i));
      if (!drd_store_step_done (db, del, "drop rejected import row", error))
        return FALSE;
    }
  return TRUE;
}

static int
row_error_cmp (gconstpointer a,
               gconstpointer b)
{
  const DrdStoreRowError *x = *(const DrdStoreRowError * const *) a;
  const DrdStoreRowError *y = *(const DrdStoreRowError * const *) b;

  return x->index < y->index ? -1 : x->index > y->index;
}

/* Set-based import: the rows go to a staging table, then ONE INSERT …
 * SELECT and ONE UPDATE … FROM move them into customers. Row-at-a-time
 * statements would be ~10× slower because the full-text index
 * (customers_search) flushes its pending data at every statement. */
static gboolean
import_run (sqlite3  *db,
            gpointer  data,
            GError  **error)
{
  ImportOp *op = data;
  g_autoptr(GHashTable) resources = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *detail = NULL;
  DrdStoreImportResult *result;
  sqlite3_stmt *stage, *audit, *stmt;
  gint64 n_staged = 0, n_dups, n_rejected, n_changed;
  guint n_invalid, n_new_resources = 0;

  g_clear_pointer (&op->result, drd_store_import_result_free);
  result = op->result = g_new0 (DrdStoreImportResult, 1);
  result->row_errors = g_ptr_array_new_with_free_func ((GDestroyNotify) row_error_free);

  if (!import_exec (db,
        "CREATE TEMP TABLE IF NOT EXISTS drd_import ("
        "  idx INTEGER PRIMARY KEY, id INTEGER NOT NULL, name TEXT NOT NULL,"
        "  kepco_no TEXT NOT NULL, resource_id INTEGER NOT NULL, registered_w INTEGER NOT NULL,"
        "  cbl_method INTEGER NOT NULL, is_factory INTEGER NOT NULL,"
        "  phone TEXT, email TEXT, webhook_url TEXT)", "create import table", error)
      || !import_exec (db, "CREATE INDEX IF NOT EXISTS temp.drd_import_id ON drd_import (id, idx)",
                       "create import index", error)
      || !import_exec (db, "CREATE INDEX IF NOT EXISTS temp.drd_import_kepco ON drd_import (kepco_no, idx)",
                       "create import index", error)
      || !import_exec (db, "DELETE FROM temp.drd_import", "clear import table", error))
    return FALSE;

  stage = drd_store_prepare (db,
      "INSERT INTO temp.drd_import (idx, id, name, kepco_no, resource_id, registered_w, "
      "cbl_method, is_factory, phone, email, webhook_url) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", error);
  if (stage == NULL)
    return FALSE;

  for (guint i = 0; i < op->customers->len; i++)
    {
      const DrdCustomer *c = g_ptr_array_index (op->customers, i);
      GError *row_error = NULL;
      gint64 resource_id;

      if (!validate_customer (c, &row_error))
        {
          add_row_error (result, i, row_error);
          continue;
        }
      if (!resource_id_for (db, resources, c->resource, &resource_id,
                            &n_new_resources, error))
        return FALSE;

      sqlite3_reset (stage);
      sqlite3_bind_int64 (stage, 1, i);
      sqlite3_bind_int64 (stage, 2, c->id);
      sqlite3_bind_text (stage, 3, c->name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stage, 4, c->kepco_no, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stage, 5, resource_id);
      sqlite3_bind_int64 (stage, 6, c->registered_w);
      sqlite3_bind_int (stage, 7, c->cbl_method);
      sqlite3_bind_int (stage, 8, c->is_factory ? 1 : 0);
      drd_store_bind_text_or_null (stage, 9, c->phone);
      drd_store_bind_text_or_null (stage, 10, c->email);
      drd_store_bind_text_or_null (stage, 11, c->webhook_url);
      if (!drd_store_step_done (db, stage, "stage customer", error))
        return FALSE;
      n_staged++;
    }
  sqlite3_reset (stage);
  n_invalid = result->row_errors->len;

  /* The same customer_id twice: the later row wins, as if the rows were
   * applied one after the other (the earlier ones count as updates). */
  if (!import_exec (db,
        "DELETE FROM temp.drd_import WHERE EXISTS (SELECT 1 FROM temp.drd_import t "
        "WHERE t.id = drd_import.id AND t.idx > drd_import.idx)", "merge duplicate ids", error))
    return FALSE;
  n_dups = sqlite3_changes (db);

  /* A KEPCO number used by another customer: in the same file (the first
   * row keeps it), or in the database by a customer this file does not
   * renumber. */
  if (!import_reject (db, result,
        "SELECT s.idx, s.id, s.kepco_no, t.id FROM temp.drd_import s "
        "JOIN temp.drd_import t ON t.kepco_no = s.kepco_no AND t.idx < s.idx AND t.id <> s.id "
        "GROUP BY s.idx", error)
      || !import_reject (db, result,
        "SELECT s.idx, s.id, s.kepco_no, c.id FROM temp.drd_import s "
        "JOIN main.customers c ON c.kepco_no = s.kepco_no AND c.id <> s.id "
        "WHERE NOT EXISTS (SELECT 1 FROM temp.drd_import t WHERE t.id = c.id AND t.kepco_no <> c.kepco_no)",
        error))
    return FALSE;
  n_rejected = result->row_errors->len - n_invalid;

  stmt = drd_store_prepare (db,
      "UPDATE main.customers SET name = s.name, kepco_no = s.kepco_no, resource_id = s.resource_id, "
      "registered_w = s.registered_w, cbl_method = s.cbl_method, is_factory = s.is_factory, "
      "phone = s.phone, email = s.email, webhook_url = s.webhook_url, updated_at = ?1 "
      "FROM temp.drd_import s WHERE s.id = customers.id "
      /* Unchanged rows are not written: no page, index or trigger work. */
      "AND (customers.name IS NOT s.name OR customers.kepco_no IS NOT s.kepco_no "
      "  OR customers.resource_id IS NOT s.resource_id "
      "  OR customers.registered_w IS NOT s.registered_w "
      "  OR customers.cbl_method IS NOT s.cbl_method OR customers.is_factory IS NOT s.is_factory "
      "  OR customers.phone IS NOT s.phone OR customers.email IS NOT s.email "
      "  OR customers.webhook_url IS NOT s.webhook_url)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->now);
  if (!drd_store_step_done (db, stmt, "update customers", error))
    return FALSE;
  n_changed = sqlite3_changes (db);
  result->n_updated = (guint) (n_changed + n_dups);

  stmt = drd_store_prepare (db,
      "INSERT INTO main.customers (id, name, kepco_no, resource_id, registered_w, cbl_method, "
      "is_factory, phone, email, webhook_url, created_at, updated_at) "
      "SELECT id, name, kepco_no, resource_id, registered_w, cbl_method, is_factory, phone, "
      "email, webhook_url, ?1, ?1 FROM temp.drd_import s "
      "WHERE NOT EXISTS (SELECT 1 FROM main.customers c WHERE c.id = s.id) ORDER BY id", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->now);
  if (!drd_store_step_done (db, stmt, "insert customers", error))
    return FALSE;
  result->n_inserted = (guint) sqlite3_changes (db);
  /* What is left of the staged rows was inserted, changed, or identical. */
  result->n_unchanged = (guint) (n_staged - n_dups - n_rejected - n_changed - result->n_inserted);
  g_assert (result->n_inserted + result->n_updated + result->n_unchanged
            + result->row_errors->len == op->customers->len);

  if (!import_exec (db, "DELETE FROM temp.drd_import", "clear import table", error))
    return FALSE;
  g_ptr_array_sort (result->row_errors, row_error_cmp);

  /* Like an answer given again: an import that changed nothing leaves no
   * trace, so a re-import of the same file commits nothing and nobody
   * refreshes (PRAGMA data_version stays). */
  if (result->n_inserted == 0 && n_changed == 0 && n_new_resources == 0)
    return TRUE;

  audit = drd_store_prepare (db,
      "INSERT INTO audit_log (at, actor, action, detail) VALUES (?1, ?2, 'customer.import', ?3)",
      error);
  if (audit == NULL)
    return FALSE;
  detail = g_strdup_printf ("{\"inserted\":%u,\"updated\":%u,\"unchanged\":%u,\"failed\":%u}",
                            result->n_inserted, result->n_updated, result->n_unchanged,
                            result->row_errors->len);
  sqlite3_bind_int64 (audit, 1, op->now);
  sqlite3_bind_text (audit, 2, op->actor ? op->actor : "system", -1, SQLITE_STATIC);
  sqlite3_bind_text (audit, 3, detail, -1, SQLITE_STATIC);
  return drd_store_step_done (db, audit, "insert audit_log", error);
}

static ImportOp *
import_op_new (GPtrArray  *customers,
               const char *actor,
               gint64      now,
               gboolean    copy)
{
  ImportOp *op = g_new0 (ImportOp, 1);

  if (copy)
    {
      op->customers = g_ptr_array_new_full (customers->len, (GDestroyNotify) drd_customer_free);
      for (guint i = 0; i < customers->len; i++)
        g_ptr_array_add (op->customers, drd_customer_copy (g_ptr_array_index (customers, i)));
    }
  else
    op->customers = g_ptr_array_ref (customers);
  op->actor = g_strdup (actor);
  op->now = now;
  return op;
}

DrdStoreImportResult *
drd_store_import_customers (DrdStore   *self,
                            GPtrArray  *customers,
                            const char *actor,
                            gint64      now,
                            GError    **error)
{
  ImportOp *op;
  DrdStoreImportResult *result = NULL;

  g_return_val_if_fail (DRD_IS_STORE (self), NULL);
  g_return_val_if_fail (customers != NULL, NULL);

  op = import_op_new (customers, actor, now, FALSE);
  if (drd_store_write_full (self, DRD_STORE_WRITE_ALONE, import_run, op, error))
    result = g_steal_pointer (&op->result);
  import_op_free (op);
  return result;
}

void
drd_store_import_customers_async (DrdStore            *self,
                                  GPtrArray           *customers,
                                  const char          *actor,
                                  gint64               now,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (DRD_IS_STORE (self));
  g_return_if_fail (customers != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, drd_store_import_customers_async);
  g_task_set_task_data (task, import_op_new (customers, actor, now, TRUE),
                        (GDestroyNotify) import_op_free);
  drd_store_write_in_task_full (self, DRD_STORE_WRITE_ALONE, task, import_run);
}

DrdStoreImportResult *
drd_store_import_customers_finish (DrdStore      *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  ImportOp *op;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == drd_store_import_customers_async, NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  op = g_task_get_task_data (G_TASK (result));
  return g_steal_pointer (&op->result);
}

/* ------------------------------------------------------------------ */
/* Get / count / foreach                                              */

typedef struct {
  gint64       customer_id;
  DrdCustomer *customer;
} GetCustomerOp;

static void
get_customer_op_free (GetCustomerOp *op)
{
  g_clear_pointer (&op->customer, drd_customer_free);
  g_free (op);
}

static gboolean
get_customer_run (sqlite3  *db,
                  gpointer  data,
                  GError  **error)
{
  GetCustomerOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db,
      "SELECT " DRD_STORE_CUSTOMER_COLUMNS " FROM customers c "
      "JOIN resources r ON r.id = c.resource_id WHERE c.id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->customer_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return drd_store_set_not_found (error, _("no customer %" PRId64), op->customer_id);
  if (rc != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "select customer");
  op->customer = drd_store_customer_from_row (stmt, 0);
  return TRUE;
}

DrdCustomer *
drd_store_get_customer (DrdStore *self,
                        gint64    customer_id,
                        GError  **error)
{
  GetCustomerOp op = { customer_id, NULL };

  g_return_val_if_fail (DRD_IS_STORE (self), NULL);
  if (!drd_store_read (self, get_customer_run, &op, error))
    return NULL;
  return op.customer;
}

void
drd_store_get_customer_async (DrdStore            *self,
                              gint64               customer_id,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;
  GetCustomerOp *op;

  g_return_if_fail (DRD_IS_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, drd_store_get_customer_async);
  op = g_new0 (GetCustomerOp, 1);
  op->customer_id = customer_id;
  g_task_set_task_data (task, op, (GDestroyNotify) get_customer_op_free);
  drd_store_read_in_task (self, task, get_customer_run);
}

DrdCustomer *
drd_store_get_customer_finish (DrdStore      *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  GetCustomerOp *op;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  op = g_task_get_task_data (G_TASK (result));
  return g_steal_pointer (&op->customer);
}

static gboolean
count_customers_run (sqlite3  *db,
                     gpointer  data,
                     GError  **error)
{
  gint64 *out = data;
  sqlite3_stmt *stmt = drd_store_prepare (db, "SELECT count(*) FROM customers", error);

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "count customers");
  *out = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

gboolean
drd_store_count_customers (DrdStore *self,
                           gint64   *out_count,
                           GError  **error)
{
  gint64 n = 0;

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  if (!drd_store_read (self, count_customers_run, &n, error))
    return FALSE;
  if (out_count != NULL)
    *out_count = n;
  return TRUE;
}

typedef struct {
  DrdStoreCustomerFunc func;
  gpointer             user_data;
} ForeachOp;

static gboolean
foreach_customer_run (sqlite3  *db,
                      gpointer  data,
                      GError  **error)
{
  ForeachOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db,
      "SELECT " DRD_STORE_CUSTOMER_COLUMNS " FROM customers c "
      "JOIN resources r ON r.id = c.resource_id ORDER BY c.id", error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(DrdCustomer) c = drd_store_customer_from_row (stmt, 0);
      if (!op->func (c, op->user_data))
        return TRUE;
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "list customers");
  return TRUE;
}

gboolean
drd_store_foreach_customer (DrdStore             *self,
                            DrdStoreCustomerFunc  func,
                            gpointer              user_data,
                            GError              **error)
{
  ForeachOp op = { func, user_data };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  return drd_store_read (self, foreach_customer_run, &op, error);
}

/* ------------------------------------------------------------------ */
/* Resources                                                          */

static gboolean
list_resources_run (sqlite3  *db,
                    gpointer  data,
                    GError  **error)
{
  GPtrArray *out = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db,
      "SELECT r.id, r.name, (SELECT count(*) FROM customers c WHERE c.resource_id = r.id) "
      "FROM resources r ORDER BY r.name", error);
  if (stmt == NULL)
    return FALSE;
  g_ptr_array_set_size (out, 0);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DrdStoreResource *r = g_new0 (DrdStoreResource, 1);
      r->id = sqlite3_column_int64 (stmt, 0);
      r->name = dup_column_text (stmt, 1);
      r->n_customers = sqlite3_column_int64 (stmt, 2);
      g_ptr_array_add (out, r);
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "list resources");
  return TRUE;
}

GPtrArray *
drd_store_list_resources (DrdStore *self,
                          GError  **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_store_resource_free);

  g_return_val_if_fail (DRD_IS_STORE (self), NULL);
  if (!drd_store_read (self, list_resources_run, out, error))
    return NULL;
  return g_steal_pointer (&out);
}

void
drd_store_list_resources_async (DrdStore            *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (DRD_IS_STORE (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, drd_store_list_resources_async);
  g_task_set_task_data (task,
                        g_ptr_array_new_with_free_func ((GDestroyNotify) drd_store_resource_free),
                        (GDestroyNotify) g_ptr_array_unref);
  drd_store_read_in_task (self, task, list_resources_run);
}

GPtrArray *
drd_store_list_resources_finish (DrdStore      *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  return g_ptr_array_ref (g_task_get_task_data (G_TASK (result)));
}

/* ------------------------------------------------------------------ */
/* Ids and KEPCO numbers already taken by a streaming import          */

#include "store/drd-store-import-seen.h"

struct _DrdStoreImportSeen
{
  sqlite3      *db;          /* private temporary database, on disk */
  sqlite3_stmt *add_id;
  sqlite3_stmt *add_kepco;
  sqlite3_stmt *id_line;
  sqlite3_stmt *kepco_line;
  sqlite3_stmt *drop_id;
};

void
drd_store_import_seen_free (DrdStoreImportSeen *seen)
{
  if (seen == NULL)
    return;
  sqlite3_finalize (seen->add_id);
  sqlite3_finalize (seen->add_kepco);
  sqlite3_finalize (seen->id_line);
  sqlite3_finalize (seen->kepco_line);
  sqlite3_finalize (seen->drop_id);
  /* The transaction is never committed: closing drops it with the file. */
  sqlite3_close_v2 (seen->db);
  g_free (seen);
}

static gboolean
seen_prepare (DrdStoreImportSeen *seen, const char *sql, sqlite3_stmt **out, GError **error)
{
  if (sqlite3_prepare_v3 (seen->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) == SQLITE_OK)
    return TRUE;
  return drd_store_set_sqlite_error (error, seen->db, "prepare import check");
}

DrdStoreImportSeen *
drd_store_import_seen_new (GError **error)
{
  g_autoptr(DrdStoreImportSeen) seen = g_new0 (DrdStoreImportSeen, 1);

  /* "" is a private temporary database that SQLite keeps in a deleted
   * file (temp_store is left at its default, FILE on Debian's build):
   * only the page cache below is memory. */
  if (sqlite3_open_v2 ("", &seen->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
    {
      drd_store_set_sqlite_error (error, seen->db, "open the import's temporary database");
      return NULL;
    }
  if (sqlite3_exec (seen->db,
                    "PRAGMA cache_size = -4096;"
                    "PRAGMA journal_mode = OFF;"
                    "PRAGMA synchronous = OFF;"
                    "CREATE TABLE ids (id INTEGER PRIMARY KEY, line INTEGER NOT NULL);"
                    "CREATE TABLE kepco (kepco_no TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID;"
                    "BEGIN",
                    NULL, NULL, NULL) != SQLITE_OK)
    {
      drd_store_set_sqlite_error (error, seen->db, "set up the import's temporary database");
      return NULL;
    }
  if (!seen_prepare (seen, "INSERT INTO ids (id, line) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                     &seen->add_id, error)
      || !seen_prepare (seen, "INSERT INTO kepco (kepco_no, line) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                        &seen->add_kepco, error)
      || !seen_prepare (seen, "SELECT line FROM ids WHERE id = ?1", &seen->id_line, error)
      || !seen_prepare (seen, "SELECT line FROM kepco WHERE kepco_no = ?1", &seen->kepco_line, error)
      || !seen_prepare (seen, "DELETE FROM ids WHERE id = ?1", &seen->drop_id, error))
    return NULL;
  return g_steal_pointer (&seen);
}

static gboolean
seen_step_done (DrdStoreImportSeen *seen, sqlite3_stmt *stmt, GError **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc == SQLITE_DONE)
    return TRUE;
  return drd_store_set_sqlite_error (error, seen->db, "import check");
}

static gboolean
seen_line (DrdStoreImportSeen *seen, sqlite3_stmt *stmt, guint64 *out_line, GError **error)
{
  int rc = sqlite3_step (stmt);

  *out_line = rc == SQLITE_ROW ? (guint64) sqlite3_column_int64 (stmt, 0) : 0;
  sqlite3_reset (stmt);
  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return TRUE;
  return drd_store_set_sqlite_error (error, seen->db, "import check");
}

gboolean
drd_store_import_seen_add (DrdStoreImportSeen *seen,
                           gint64              id,
                           const char         *kepco_no,
                           guint64             line,
                           guint64            *out_id_line,
                           guint64            *out_kepco_line,
                           GError            **error)
{
  g_return_val_if_fail (seen != NULL && kepco_no != NULL, FALSE);

  *out_id_line = *out_kepco_line = 0;
  sqlite3_bind_int64 (seen->add_id, 1, id);
  sqlite3_bind_int64 (seen->add_id, 2, (sqlite3_int64) line);
  if (!seen_step_done (seen, seen->add_id, error))
    return FALSE;
  if (sqlite3_changes (seen->db) == 0)
    {
      sqlite3_bind_int64 (seen->id_line, 1, id);
      return seen_line (seen, seen->id_line, out_id_line, error);
    }

  sqlite3_bind_text (seen->add_kepco, 1, kepco_no, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (seen->add_kepco, 2, (sqlite3_int64) line);
  if (!seen_step_done (seen, seen->add_kepco, error))
    return FALSE;
  if (sqlite3_changes (seen->db) > 0)
    return TRUE;

  /* The number is taken: the row is refused, so its id is not. */
  sqlite3_bind_text (seen->kepco_line, 1, kepco_no, -1, SQLITE_STATIC);
  if (!seen_line (seen, seen->kepco_line, out_kepco_line, error))
    return FALSE;
  sqlite3_bind_int64 (seen->drop_id, 1, id);
  return seen_step_done (seen, seen->drop_id, error);
}
