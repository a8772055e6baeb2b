/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Set-based customer upsert for big batches (demo, customers import).
 *
 * Why: drd_store_import_customers() runs one INSERT/UPDATE per row inside
 * the operation's SAVEPOINT; every such statement fires the customers_search
 * (FTS5) trigger in a statement transaction, and FTS5 flushes its pending
 * terms into a new segment at every savepoint, so a row costs ~100 µs
 * (≈ 9k rows/s; 1,000,000 demo customers ≈ 2 minutes). Here the batch is
 * staged in a TEMP table and moved with one UPDATE … FROM and one
 * INSERT … SELECT, so FTS5 flushes once per batch.
 *
 * Only rows already validated by the caller come here. If the set-based
 * statements hit any constraint (e.g. a kepco_no used by another customer),
 * the operation is rolled back as a whole and the batch goes through
 * drd_store_import_customers(), which reports the offending rows one by
 * one — the same result, just slower. */
#include "config.h"

#include <sqlite3.h>

#include "cli/drd-cli-private.h"
#include "store/drd-store-private.h"

typedef struct {
  GPtrArray  *customers;
  const char *actor;
  gint64      now;
  gint64      n_inserted;
  gint64      n_updated;
} Bulk;

static gboolean
exec (sqlite3 *db, const char *sql, GError **error)
{
  if (sqlite3_exec (db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return drd_store_set_sqlite_error (error, db, sql);
  return TRUE;
}

static gboolean
step_now (sqlite3 *db, const char *sql, gint64 now, const char *what, GError **error)
{
  sqlite3_stmt *stmt = drd_store_prepare (db, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_reset (stmt);
  sqlite3_bind_int64 (stmt, 1, now);
  return drd_store_step_done (db, stmt, what, error);
}

static gboolean
bulk_run (sqlite3 *db, gpointer data, GError **error)
{
  Bulk *bulk = data;
  sqlite3_stmt *stage, *count, *audit;
  g_autofree char *detail = NULL;

  /* Big batches touch index pages all over the file: keep them cached
   * (this connection only; not transactional). */
  if (!exec (db, "PRAGMA cache_size = -131072", error))
    return FALSE;
  if (!exec (db, "CREATE TEMP TABLE IF NOT EXISTS drd_cli_stage ("
                 " id INTEGER PRIMARY KEY, name TEXT NOT NULL, kepco_no TEXT NOT NULL,"
                 " resource TEXT NOT NULL, registered_w INTEGER NOT NULL,"
                 " cbl_method INTEGER NOT NULL, is_factory INTEGER NOT NULL,"
                 " phone TEXT, email TEXT, webhook_url TEXT)", error)
      || !exec (db, "DELETE FROM temp.drd_cli_stage", error))
    return FALSE;

  stage = drd_store_prepare (db, "INSERT INTO temp.drd_cli_stage VALUES "
                                 "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", error);
  if (stage == NULL)
    return FALSE;
  for (guint i = 0; i < bulk->customers->len; i++)
    {
      const DrdCustomer *c = g_ptr_array_index (bulk->customers, i);

      sqlite3_reset (stage);
      sqlite3_bind_int64 (stage, 1, c->id);
      sqlite3_bind_text (stage, 2, c->name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stage, 3, c->kepco_no, -1, SQLITE_STATIC);
      sqlite3_bind_text (stage, 4, c->resource, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stage, 5, c->registered_w);
      sqlite3_bind_int (stage, 6, c->cbl_method);
      sqlite3_bind_int (stage, 7, c->is_factory ? 1 : 0);
      drd_store_bind_text_or_null (stage, 8, c->phone);
      drd_store_bind_text_or_null (stage, 9, c->email);
      drd_store_bind_text_or_null (stage, 10, c->webhook_url);
      if (!drd_store_step_done (db, stage, "stage customer", error))
        return FALSE;
    }

  count = drd_store_prepare (db, "SELECT count(*) FROM temp.drd_cli_stage s "
                                 "JOIN customers c ON c.id = s.id", error);
  if (count == NULL)
    return FALSE;
  sqlite3_reset (count);
  if (sqlite3_step (count) != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "count existing customers");
  bulk->n_updated = sqlite3_column_int64 (count, 0);
  bulk->n_inserted = bulk->customers->len - bulk->n_updated;
  sqlite3_reset (count);

  if (!exec (db, "INSERT OR IGNORE INTO resources (name) "
                 "SELECT DISTINCT resource FROM temp.drd_cli_stage", error)
      /* Rows that would not change are left alone (and keep updated_at). */
      || !step_now (db,
                    "UPDATE customers SET name = s.name, kepco_no = s.kepco_no,"
                    " resource_id = r.id, registered_w = s.registered_w,"
                    " cbl_method = s.cbl_method, is_factory = s.is_factory, phone = s.phone,"
                    " email = s.email, webhook_url = s.webhook_url, updated_at = ?1"
                    " FROM temp.drd_cli_stage s JOIN resources r ON r.name = s.resource"
                    " WHERE customers.id = s.id AND (customers.name IS NOT s.name"
                    " OR customers.kepco_no IS NOT s.kepco_no OR customers.resource_id IS NOT r.id"
                    " OR customers.registered_w IS NOT s.registered_w"
                    " OR customers.cbl_method IS NOT s.cbl_method"
                    " OR customers.is_factory IS NOT s.is_factory OR customers.phone IS NOT s.phone"
                    " OR customers.email IS NOT s.email"
                    " OR customers.webhook_url IS NOT s.webhook_url)",
                    bulk->now, "update customers", error)
      || !step_now (db,
                    "INSERT INTO customers (id, name, kepco_no, resource_id, registered_w,"
                    " cbl_method, is_factory, phone, email, webhook_url, created_at, updated_at)"
                    " SELECT s.id, s.name, s.kepco_no, r.id, s.registered_w, s.cbl_method,"
                    " s.is_factory, s.phone, s.email, s.webhook_url, ?1, ?1"
                    " FROM temp.drd_cli_stage s JOIN resources r ON r.name = s.resource"
                    " WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = s.id)"
                    " ORDER BY s.id",
                    bulk->now, "insert customers", error))
    return FALSE;

  audit = drd_store_prepare (db, "INSERT INTO audit_log (at, actor, action, detail) "
                                 "VALUES (?1, ?2, 'customer.import', ?3)", error);
  if (audit == NULL)
    return FALSE;
  detail = g_strdup_printf ("{\"inserted\":%" G_GINT64_FORMAT ",\"updated\":%" G_GINT64_FORMAT
                            ",\"failed\":0}", bulk->n_inserted, bulk->n_updated);
  sqlite3_reset (audit);
  sqlite3_bind_int64 (audit, 1, bulk->now);
  sqlite3_bind_text (audit, 2, bulk->actor, -1, SQLITE_STATIC);
  sqlite3_bind_text (audit, 3, detail, -1, SQLITE_STATIC);
  if (!drd_store_step_done (db, audit, "audit customer import", error))
    return FALSE;
  return exec (db, "DELETE FROM temp.drd_cli_stage", error);
}

DrdStoreImportResult *
drd_cli_import_customers (DrdStore *store, GPtrArray *customers, GError **error)
{
  Bulk bulk = { customers, drd_cli_actor (), drd_store_now (), 0, 0 };
  g_autoptr(GError) bulk_error = NULL;
  DrdStoreImportResult *result;

  if (customers->len > 0
      && drd_store_write_full (store, DRD_STORE_WRITE_ALONE, bulk_run, &bulk, &bulk_error))
    {
      result = g_new0 (DrdStoreImportResult, 1);
      result->n_inserted = (guint) bulk.n_inserted;
      result->n_updated = (guint) bulk.n_updated;
      result->row_errors = g_ptr_array_new ();
      return result;
    }
  /* Rolled back as a whole: the store finds the rows that failed. */
  if (bulk_error != NULL && g_getenv ("DRD_CLI_DEBUG") != NULL)
    drd_cli_note ("bulk import fell back: %s", bulk_error->message);
  return drd_store_import_customers (store, customers, drd_cli_actor (), bulk.now, error);
}
