/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Customers and resources. */
#include "config.h"

#include "store/drd-store-private.h"

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
    return drd_store_set_invalid (error, "customer_id must be a positive integer");
  if (!text_ok (c->name, 200))
    return drd_store_set_invalid (error, "customer %" G_GINT64_FORMAT ": name must be 1 to 200 characters", c->id);
  if (!text_ok (c->kepco_no, 32))
    return drd_store_set_invalid (error, "customer %" G_GINT64_FORMAT ": kepco_customer_no must be 1 to 32 characters", c->id);
  if (!text_ok (c->resource, 100))
    return drd_store_set_invalid (error, "customer %" G_GINT64_FORMAT ": resource must be 1 to 100 characters", c->id);
  if (c->registered_w < 0)
    return drd_store_set_invalid (error, "customer %" G_GINT64_FORMAT ": registered capacity must not be negative", c->id);
  if (c->cbl_method != DRD_CBL_MID_6_10 && c->cbl_method != DRD_CBL_MAX_4_5)
    return drd_store_set_invalid (error, "customer %" G_GINT64_FORMAT ": unknown CBL method", c->id);
  if ((c->phone && !g_utf8_validate (c->phone, -1, NULL))
      || (c->email && !g_utf8_validate (c->email, -1, NULL))
      || (c->webhook_url && !g_utf8_validate (c->webhook_url, -1, NULL)))
    return drd_store_set_invalid (error, "customer %" G_GINT64_FORMAT ": text is not valid UTF-8", c->id);
  return TRUE;
}

static gboolean
resource_id_for (sqlite3     *db,
                 GHashTable  *cache,
                 const char  *name,
                 gint64      *out_id,
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

static gboolean
import_run (sqlite3  *db,
            gpointer  data,
            GError  **error)
{
  ImportOp *op = data;
  g_autoptr(GHashTable) resources = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *detail = NULL;
  DrdStoreImportResult *result;
  sqlite3_stmt *exists, *insert, *update, *audit;

  g_clear_pointer (&op->result, drd_store_import_result_free);
  result = op->result = g_new0 (DrdStoreImportResult, 1);
  result->row_errors = g_ptr_array_new_with_free_func ((GDestroyNotify) row_error_free);

  if (!(exists = drd_store_prepare (db, "SELECT 1 FROM customers WHERE id = ?1", error))
      || !(insert = drd_store_prepare (db,
             "INSERT INTO customers (id, name, kepco_no, resource_id, registered_w, "
             "cbl_method, is_factory, phone, email, webhook_url, created_at, updated_at) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)", error))
      || !(update = drd_store_prepare (db,
             "UPDATE customers SET name = ?2, kepco_no = ?3, resource_id = ?4, "
             "registered_w = ?5, cbl_method = ?6, is_factory = ?7, phone = ?8, "
             "email = ?9, webhook_url = ?10, updated_at = ?11 WHERE id = ?1", error)))
    return FALSE;

  for (guint i = 0; i < op->customers->len; i++)
    {
      const DrdCustomer *c = g_ptr_array_index (op->customers, i);
      GError *row_error = NULL;
      sqlite3_stmt *stmt;
      gint64 resource_id;
      gboolean is_new;
      int rc;

      if (!validate_customer (c, &row_error))
        {
          add_row_error (result, i, row_error);
          continue;
        }
      if (!resource_id_for (db, resources, c->resource, &resource_id, error))
        return FALSE;

      sqlite3_reset (exists);
      sqlite3_bind_int64 (exists, 1, c->id);
      rc = sqlite3_step (exists);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return drd_store_set_sqlite_error (error, db, "look up customer");
      is_new = rc == SQLITE_DONE;
      sqlite3_reset (exists);

      stmt = is_new ? insert : update;
      sqlite3_reset (stmt);
      sqlite3_bind_int64 (stmt, 1, c->id);
      sqlite3_bind_text (stmt, 2, c->name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, c->kepco_no, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 4, resource_id);
      sqlite3_bind_int64 (stmt, 5, c->registered_w);
      sqlite3_bind_int (stmt, 6, c->cbl_method);
      sqlite3_bind_int (stmt, 7, c->is_factory ? 1 : 0);
      drd_store_bind_text_or_null (stmt, 8, c->phone);
      drd_store_bind_text_or_null (stmt, 9, c->email);
      drd_store_bind_text_or_null (stmt, 10, c->webhook_url);
      sqlite3_bind_int64 (stmt, 11, op->now);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_DONE)
        {
          if (is_new)
            result->n_inserted++;
          else
            result->n_updated++;
        }
      else if ((rc & 0xff) == SQLITE_CONSTRAINT)
        {
          /* A constraint failure undoes only this statement. */
          g_autofree char *what = g_strdup_printf ("customer %" G_GINT64_FORMAT, c->id);
          drd_store_set_sqlite_error (&row_error, db, what);
          add_row_error (result, i, row_error);
        }
      else
        return drd_store_set_sqlite_error (error, db, is_new ? "insert customer" : "update customer");
      sqlite3_reset (stmt);
    }

  audit = drd_store_prepare (db,
      "INSERT INTO audit_log (at, actor, action, detail) VALUES (?1, ?2, 'customer.import', ?3)",
      error);
  if (audit == NULL)
    return FALSE;
  detail = g_strdup_printf ("{\"inserted\":%u,\"updated\":%u,\"failed\":%u}",
                            result->n_inserted, result->n_updated, result->row_errors->len);
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
    return drd_store_set_not_found (error, "no customer %" G_GINT64_FORMAT, op->customer_id);
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
