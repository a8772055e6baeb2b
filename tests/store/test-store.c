/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdStore on real database files in a temporary directory. */
#include "../drd-test-sql.h"
#include "config.h"

#include "store/drd-store-private.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#define HOUR 3600
/* 2026-07-01 00:00 UTC, a 15-minute boundary. */
#define T0 ((gint64) 1782864000)

typedef struct {
  char     *dir;
  char     *path;
  DrdStore *store;
} Fixture;

static void
rm_rf (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_unlink (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      rm_rf (child);
    }
  g_dir_close (dir);
  g_rmdir (path);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("drd-store-XXXXXX", &error);
  g_assert_no_error (error);
  /* A subdirectory that does not exist yet: open must create it. */
  f->path = g_build_filename (f->dir, "sub", "drdesk.db", NULL);
  if (data == NULL)
    {
      f->store = drd_store_open (f->path, &error);
      g_assert_no_error (error);
      g_assert_nonnull (f->store);
    }
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->store != NULL)
    {
      gpointer weak = f->store;
      gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

      /* Worker threads of finished async reads may hold the last task
       * reference for a moment. */
      g_object_add_weak_pointer (weak, &weak);
      g_clear_object (&f->store);
      while (weak != NULL && g_get_monotonic_time () < deadline)
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (1000);
        }
      g_assert_null (weak);
    }
  rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

/* Direct access with a separate connection: what is really on disk. */
static gint64
raw_int (const char *path,
         const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 v = -1;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    v = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return v;
}

static void
raw_exec (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;
  char *err = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  if (sqlite3_exec (db, sql, NULL, NULL, &err) != SQLITE_OK)
    g_error ("%s: %s", sql, err);
  sqlite3_close (db);
}

static DrdCustomer *
make_customer (gint64      id,
               const char *resource,
               gint64      registered_w)
{
  DrdCustomer *c = drd_customer_new ();

  c->id = id;
  c->name = g_strdup_printf ("Customer %" G_GINT64_FORMAT, id);
  c->kepco_no = g_strdup_printf ("%010" G_GINT64_FORMAT, id);
  c->resource = g_strdup (resource);
  c->registered_w = registered_w;
  return c;
}

/* @n customers, ids 1..n, alternating resources A and B, 1000 W each. */
static void
add_customers (Fixture *f,
               guint    n)
{
  g_autoptr(GPtrArray) customers = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_customer_free);
  g_autoptr(DrdStoreImportResult) result = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 1; i <= n; i++)
    g_ptr_array_add (customers, make_customer (i, i % 2 ? "A" : "B", 1000));
  result = drd_store_import_customers (f->store, customers, "test", T0 - 100 * HOUR, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_inserted, ==, n);
  g_assert_cmpuint (result->row_errors->len, ==, 0);
}

static DrdEvent *
make_event (const char *name,
            gint64      start_at,
            gint64      end_at,
            const char *resource)
{
  DrdEvent *e = drd_event_new ();

  e->name = g_strdup (name);
  e->kind = DRD_EVENT_KIND_RELIABILITY;
  e->start_at = start_at;
  e->end_at = end_at;
  e->target_w = 5000;
  if (resource != NULL)
    {
      e->resources = g_new0 (char *, 2);
      e->resources[0] = g_strdup (resource);
    }
  return e;
}

static gint64
start_event (Fixture    *f,
             const char *resource,
             gint64      start_at,
             gint64      end_at,
             gint64      deadline,
             gint64     *out_n)
{
  g_autoptr(DrdEvent) e = make_event ("Test event", start_at, end_at, resource);
  g_autoptr(GError) error = NULL;
  gint64 id = 0;

  e->answer_deadline = deadline;
  drd_store_start_event (f->store, e, "operator:test", T0, &id, out_n, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

/* ------------------------------------------------------------------ */
/* Migrations                                                         */

static void
test_migrate_empty (Fixture       *f,
                    gconstpointer  data)
{
  static const char *objects[] = {
    "settings", "resources", "customers", "customers_search", "events",
    "event_resources", "responses", "meter_days", "settlements", "points_ledger",
    "jobs", "outbox", "audit_log", "holidays",
    "customers_name", "responses_customer", "jobs_due", "points_ledger_customer",
    "customers_search_ai", "responses_last_answer", "points_ledger_no_update",
    "points_ledger_no_delete", "points_ledger_balance",
  };

  g_assert_true (g_file_test (f->path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (raw_int (f->path, "PRAGMA user_version"), ==, DRD_STORE_SCHEMA_VERSION);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (objects); i++)
    {
      g_test_message ("schema object %s", objects[i]);
      g_assert_cmpint (drd_test_sql_int (f->path, "SELECT count(*) FROM sqlite_schema WHERE name = ?",
                                         "s", objects[i]), ==, 1);
    }
}

static void
test_migrate_reopen (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 n_objects = raw_int (f->path, "SELECT count(*) FROM sqlite_schema");
  g_autofree char *value_s = NULL;
  gint64 value;

  g_assert_true (drd_store_set_setting (f->store, "k", "v", &error));
  g_assert_no_error (error);
  g_assert_finalize_object (g_steal_pointer (&f->store));

  f->store = drd_store_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (f->path, "PRAGMA user_version"), ==, DRD_STORE_SCHEMA_VERSION);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM sqlite_schema"), ==, n_objects);
  value_s = drd_store_get_setting (f->store, "k", &error);
  g_assert_cmpstr (value_s, ==, "v");
  value = raw_int (f->path, "SELECT count(*) FROM settings");
  g_assert_cmpint (value, ==, 1);
}

static void
test_migrate_newer (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdStore) store = NULL;
  g_autofree char *dir = g_path_get_dirname (f->path);

  g_mkdir_with_parents (dir, 0700);
  raw_exec (f->path, "CREATE TABLE future (x); PRAGMA user_version = 7;");
  store = drd_store_open (f->path, &error);
  g_assert_null (store);
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_NEWER_SCHEMA);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "schema version 7"));
  g_assert_nonnull (strstr (error->message, "newer"));
  g_assert_cmpint (raw_int (f->path, "PRAGMA user_version"), ==, 7);
}

static void
test_migrate_foreign (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdStore) store = NULL;
  g_autofree char *dir = g_path_get_dirname (f->path);

  g_mkdir_with_parents (dir, 0700);
  raw_exec (f->path, "CREATE TABLE photos (id INTEGER PRIMARY KEY); INSERT INTO photos VALUES (1);");
  store = drd_store_open (f->path, &error);
  g_assert_null (store);
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_NOT_DRDESK);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM sqlite_schema WHERE name = 'customers'"), ==, 0);
  g_assert_cmpint (raw_int (f->path, "PRAGMA user_version"), ==, 0);
}

static void
test_migrate_corrupt (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdStore) store = NULL;
  g_autofree char *dir = g_path_get_dirname (f->path);
  char garbage[8192];

  memset (garbage, 'x', sizeof garbage);
  g_mkdir_with_parents (dir, 0700);
  g_assert_true (g_file_set_contents (f->path, garbage, sizeof garbage, NULL));
  store = drd_store_open (f->path, &error);
  g_assert_null (store);
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_SQLITE);
  g_test_message ("%s", error->message);
  /* Names what failed and SQLite's reason. */
  g_assert_nonnull (strstr (error->message, "journal_mode"));
  g_assert_nonnull (strstr (error->message, "not a database"));
}

static void
test_open_unwritable_dir (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdStore) store = NULL;
  g_autofree char *file = g_build_filename (f->dir, "plain-file", NULL);
  g_autofree char *path = g_build_filename (file, "drdesk.db", NULL);

  /* The "directory" is a regular file: creating it must fail cleanly. */
  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  store = drd_store_open (path, &error);
  g_assert_null (store);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, file));
}

/* ------------------------------------------------------------------ */
/* Constraints and errors                                             */

static gboolean
insert_bad_customer (sqlite3  *db,
                     gpointer  data,
                     GError  **error)
{
  sqlite3_stmt *stmt = drd_store_prepare (db,
      "INSERT INTO customers (id, name, kepco_no, resource_id, registered_w, created_at, updated_at) "
      "VALUES (99, 'x', '99', 1, -5, 0, 0)", error);
  if (stmt == NULL)
    return FALSE;
  return drd_store_step_done (db, stmt, "insert test customer", error);
}

static gboolean
insert_bad_event (sqlite3  *db,
                  gpointer  data,
                  GError  **error)
{
  sqlite3_stmt *stmt = drd_store_prepare (db,
      "INSERT INTO events (name, kind, start_at, end_at, answer_deadline, target_w, created_at) "
      "VALUES ('x', 0, 100, 1800, 1800, 1, 0)", error);
  if (stmt == NULL)
    return FALSE;
  return drd_store_step_done (db, stmt, "insert test event", error);
}

static gboolean
bad_sql (sqlite3  *db,
         gpointer  data,
         GError  **error)
{
  return drd_store_prepare (db, "SELEKT nothing", error) != NULL;
}

static gboolean
write_in_reader (sqlite3  *db,
                 gpointer  data,
                 GError  **error)
{
  sqlite3_stmt *stmt = drd_store_prepare (db, "INSERT INTO settings VALUES ('a', 'b')", error);
  if (stmt == NULL)
    return FALSE;
  return drd_store_step_done (db, stmt, "insert setting from a reader", error);
}

static void
test_constraints (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  add_customers (f, 2);

  drd_store_write (f->store, insert_bad_customer, NULL, &error);
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONSTRAINT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "insert test customer"));
  g_assert_nonnull (strstr (error->message, "CHECK constraint failed"));
  g_clear_error (&error);

  drd_store_write (f->store, insert_bad_event, NULL, &error);
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "insert test event"));
  g_clear_error (&error);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM events"), ==, 0);

  drd_store_write (f->store, bad_sql, NULL, &error);
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_SQLITE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "SELEKT nothing"));
  g_assert_nonnull (strstr (error->message, "syntax error"));
  g_clear_error (&error);

  drd_store_read (f->store, write_in_reader, NULL, &error);
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_SQLITE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "insert setting from a reader"));
  g_assert_nonnull (strstr (error->message, "readonly"));
  g_clear_error (&error);

  /* The store still works after failures. */
  g_assert_true (drd_store_set_setting (f->store, "after", "ok", &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------ */
/* Customers                                                          */

static gboolean
collect_ids (const DrdCustomer *c,
             gpointer           user_data)
{
  g_array_append_val ((GArray *) user_data, c->id);
  return TRUE;
}

static void
test_customers_import (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_customer_free);
  g_autoptr(DrdStoreImportResult) result = NULL;
  g_autoptr(DrdCustomer) c = NULL;
  g_autoptr(GPtrArray) resources = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GError) error = NULL;
  DrdCustomer *dup;
  gint64 n = 0;

  g_ptr_array_add (batch, make_customer (30, "South", 500));
  g_ptr_array_add (batch, make_customer (10, "North", 700));
  g_ptr_array_add (batch, make_customer (20, "North", 900));
  result = drd_store_import_customers (f->store, batch, "operator:test", T0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_inserted, ==, 3);
  g_assert_cmpuint (result->n_updated, ==, 0);
  g_clear_pointer (&result, drd_store_import_result_free);

  /* Re-import: 10 changes, 40 is new, 50 is invalid, 60 reuses 10's KEPCO number. */
  g_ptr_array_set_size (batch, 0);
  c = make_customer (10, "East", 1234);
  g_free (c->name);
  c->name = g_strdup ("고객 열");
  c->email = g_strdup ("ten@example.kr");
  g_ptr_array_add (batch, g_steal_pointer (&c));
  g_ptr_array_add (batch, make_customer (40, "East", 100));
  g_ptr_array_add (batch, make_customer (50, "East", -1));
  dup = make_customer (60, "East", 1);
  g_free (dup->kepco_no);
  dup->kepco_no = g_strdup ("0000000020");
  g_ptr_array_add (batch, dup);
  result = drd_store_import_customers (f->store, batch, "operator:test", T0 + 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_inserted, ==, 1);
  g_assert_cmpuint (result->n_updated, ==, 1);
  g_assert_cmpuint (result->row_errors->len, ==, 2);
  {
    DrdStoreRowError *e0 = g_ptr_array_index (result->row_errors, 0);
    DrdStoreRowError *e1 = g_ptr_array_index (result->row_errors, 1);
    g_assert_cmpuint (e0->index, ==, 2);
    g_assert_error (e0->error, DRD_STORE_ERROR, DRD_STORE_ERROR_INVALID);
    g_assert_cmpuint (e1->index, ==, 3);
    g_assert_error (e1->error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONSTRAINT);
    g_test_message ("%s / %s", e0->error->message, e1->error->message);
    g_assert_nonnull (strstr (e1->error->message, "kepco_customer_no 0000000020"));
  }

  c = drd_store_get_customer (f->store, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (c->name, ==, "고객 열");
  g_assert_cmpstr (c->resource, ==, "East");
  g_assert_cmpint (c->registered_w, ==, 1234);
  g_assert_cmpstr (c->email, ==, "ten@example.kr");
  g_assert_null (c->phone);
  g_clear_pointer (&c, drd_customer_free);

  c = drd_store_get_customer (f->store, 50, &error);
  g_assert_null (c);
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (drd_store_count_customers (f->store, &n, &error));
  g_assert_cmpint (n, ==, 4);
  g_assert_true (drd_store_foreach_customer (f->store, collect_ids, ids, &error));
  g_assert_cmpuint (ids->len, ==, 4);
  g_assert_cmpint (g_array_index (ids, gint64, 0), ==, 10);
  g_assert_cmpint (g_array_index (ids, gint64, 1), ==, 20);
  g_assert_cmpint (g_array_index (ids, gint64, 2), ==, 30);
  g_assert_cmpint (g_array_index (ids, gint64, 3), ==, 40);

  resources = drd_store_list_resources (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (resources->len, ==, 3);
  g_assert_cmpstr (((DrdStoreResource *) resources->pdata[0])->name, ==, "East");
  g_assert_cmpint (((DrdStoreResource *) resources->pdata[0])->n_customers, ==, 2);
  g_assert_cmpstr (((DrdStoreResource *) resources->pdata[1])->name, ==, "North");
  g_assert_cmpint (((DrdStoreResource *) resources->pdata[1])->n_customers, ==, 1);

  /* Search index follows the update trigger. */
  g_assert_cmpint (raw_int (f->path, "SELECT rowid FROM customers_search WHERE customers_search MATCH '\"고객 열\"'"), ==, 10);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM audit_log WHERE action = 'customer.import'"), ==, 2);
}

static void
test_customers_bulk (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_customer_free);
  g_autoptr(DrdStoreImportResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint64 commits = drd_store_get_commit_count (f->store);
  gint64 t;
  const guint n = 100000;

  for (guint i = 1; i <= n; i++)
    g_ptr_array_add (batch, make_customer (i, i % 7 ? "R1" : "R2", i));
  t = g_get_monotonic_time ();
  result = drd_store_import_customers (f->store, batch, "test", T0, &error);
  t = g_get_monotonic_time () - t;
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_inserted, ==, n);
  g_test_message ("imported %u customers in %.3f s", n, t / 1e6);
  /* One transaction. */
  g_assert_cmpuint (drd_store_get_commit_count (f->store) - commits, ==, 1);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM customers"), ==, n);
}

/* A re-import of identical rows writes nothing: 0 updated, all
 * unchanged, no commit that another process would see, search index
 * untouched; a change of phone rewrites that row but not the index. */
static void
test_customers_reimport_unchanged (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_customer_free);
  g_autoptr(DrdStoreImportResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdStore) other = NULL;
  guint64 v0 = 0, v1 = 0;
  gint64 fts_data, audit, max_updated;
  const guint n = 500;
  DrdCustomer *c;

  for (guint i = 1; i <= n; i++)
    {
      c = make_customer (i, i % 3 ? "North" : "South", 100 * i);
      if (i % 2)
        c->phone = g_strdup_printf ("010-0000-%04u", i);
      c->is_factory = i % 5 == 0;
      c->cbl_method = i % 4 == 0 ? DRD_CBL_MAX_4_5 : DRD_CBL_MID_6_10;
      g_ptr_array_add (batch, c);
    }
  result = drd_store_import_customers (f->store, batch, "test", T0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_inserted, ==, n);
  g_assert_cmpuint (result->n_unchanged, ==, 0);
  g_clear_pointer (&result, drd_store_import_result_free);

  /* data_version as another process sees it. */
  other = drd_store_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_true (drd_store_get_data_version (other, &v0, &error));
  fts_data = raw_int (f->path, "SELECT count(*) FROM customers_search_data");
  audit = raw_int (f->path, "SELECT count(*) FROM audit_log");
  max_updated = raw_int (f->path, "SELECT max(updated_at) FROM customers");

  result = drd_store_import_customers (f->store, batch, "test", T0 + 60, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_inserted, ==, 0);
  g_assert_cmpuint (result->n_updated, ==, 0);
  g_assert_cmpuint (result->n_unchanged, ==, n);
  g_assert_cmpuint (result->row_errors->len, ==, 0);
  g_clear_pointer (&result, drd_store_import_result_free);

  g_assert_true (drd_store_get_data_version (other, &v1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (v1, ==, v0);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM customers_search_data"), ==, fts_data);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM audit_log"), ==, audit);
  g_assert_cmpint (raw_int (f->path, "SELECT max(updated_at) FROM customers"), ==, max_updated);

  /* One phone number changes: that row is written (updated_at), the
   * search index is not. */
  c = g_ptr_array_index (batch, 9);   /* customer 10, no phone yet */
  c->phone = g_strdup ("010-1234-5678");
  result = drd_store_import_customers (f->store, batch, "test", T0 + 120, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_updated, ==, 1);
  g_assert_cmpuint (result->n_unchanged, ==, n - 1);
  g_clear_pointer (&result, drd_store_import_result_free);
  g_assert_true (drd_store_get_data_version (other, &v1, &error));
  g_assert_cmpuint (v1, !=, v0);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM customers WHERE updated_at = 1782864120"), ==, 1);
  g_assert_cmpint (raw_int (f->path, "SELECT updated_at FROM customers WHERE id = 10"), ==, T0 + 120);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM customers_search_data"), ==, fts_data);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM audit_log"), ==, audit + 1);

  /* A NULL → value → NULL email, a capacity and a factory flag count as
   * changes too; a new name reaches the search index. */
  c = g_ptr_array_index (batch, 19);
  c->email = g_strdup ("x@example.kr");
  c = g_ptr_array_index (batch, 20);
  c->registered_w += 1;
  c = g_ptr_array_index (batch, 21);
  c->is_factory = !c->is_factory;
  c = g_ptr_array_index (batch, 22);
  g_free (c->name);
  c->name = g_strdup ("새 이름 고객");
  result = drd_store_import_customers (f->store, batch, "test", T0 + 180, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_updated, ==, 4);
  g_assert_cmpuint (result->n_unchanged, ==, n - 4);
  g_clear_pointer (&result, drd_store_import_result_free);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM customers WHERE updated_at = 1782864180"), ==, 4);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM customers_search_data"), >, fts_data);
  g_assert_cmpint (raw_int (f->path, "SELECT rowid FROM customers_search WHERE customers_search MATCH '\"새 이름\"'"), ==, 23);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM customers_search WHERE customers_search MATCH '\"Customer 23\"' AND rowid = 23"), ==, 0);

  c = g_ptr_array_index (batch, 19);
  g_clear_pointer (&c->email, g_free);
  result = drd_store_import_customers (f->store, batch, "test", T0 + 240, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_updated, ==, 1);
  g_assert_cmpint (raw_int (f->path, "SELECT email IS NULL FROM customers WHERE id = 20"), ==, 1);
  g_assert_finalize_object (g_steal_pointer (&other));
}

/* ------------------------------------------------------------------ */
/* Events                                                             */

typedef struct {
  gint64 now;
  gint64 n_open;
} OpenCount;

static gboolean
count_open_run (sqlite3  *db,
                gpointer  data,
                GError  **error)
{
  OpenCount *c = data;
  sqlite3_stmt *stmt = drd_store_prepare (db,
      "SELECT count(*) FROM events e WHERE " DRD_STORE_SQL_EFFECTIVE_STATUS ("e", "?1") " = 1", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, c->now);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "count active events");
  c->n_open = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

static void
test_events_start (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdEvent) got = NULL;
  g_autoptr(GPtrArray) list = NULL;
  gint64 n = 0, id_a, id_all;

  add_customers (f, 11);   /* 6 in A, 5 in B */
  id_a = start_event (f, "A", T0 + 2 * HOUR, T0 + 3 * HOUR, 0, &n);
  g_assert_cmpint (n, ==, 6);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM responses WHERE answer = 0 AND channel = 0"), ==, 6);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM responses r JOIN customers c ON c.id = r.customer_id "
                                     "JOIN resources s ON s.id = c.resource_id WHERE s.name <> 'A'"), ==, 0);

  got = drd_store_get_event (f->store, id_a, T0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got->name, ==, "Test event");
  g_assert_cmpint (got->status, ==, DRD_EVENT_SCHEDULED);
  g_assert_cmpint (got->answer_deadline, ==, T0 + 3 * HOUR);   /* default: end */
  g_assert_cmpuint (g_strv_length (got->resources), ==, 1);
  g_assert_cmpstr (got->resources[0], ==, "A");
  g_clear_pointer (&got, drd_event_free);

  /* Active is derived from time. */
  got = drd_store_get_event (f->store, id_a, T0 + 2 * HOUR, &error);
  g_assert_cmpint (got->status, ==, DRD_EVENT_ACTIVE);
  g_clear_pointer (&got, drd_event_free);
  {
    OpenCount c = { T0, -1 };
    g_assert_true (drd_store_read (f->store, count_open_run, &c, &error));
    g_assert_cmpint (c.n_open, ==, 0);
    c.now = T0 + 2 * HOUR;
    g_assert_true (drd_store_read (f->store, count_open_run, &c, &error));
    g_assert_cmpint (c.n_open, ==, 1);
  }

  /* All resources (B is free at that time, A is not: different window). */
  id_all = start_event (f, NULL, T0 + 5 * HOUR, T0 + 6 * HOUR, 0, &n);
  g_assert_cmpint (n, ==, 11);
  got = drd_store_get_event (f->store, id_all, T0, &error);
  g_assert_cmpuint (g_strv_length (got->resources), ==, 2);

  list = drd_store_list_events (f->store, T0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpint (((DrdEvent *) list->pdata[0])->id, ==, id_a);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM responses"), ==, 17);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM audit_log WHERE action = 'event.start'"), ==, 2);
  g_assert_cmpint (raw_int (f->path, "PRAGMA foreign_key_check"), ==, -1);   /* no rows */
}

static void
test_events_overlap (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdEvent) e = NULL;
  gint64 first, id = 0, n = 0;

  add_customers (f, 4);
  first = start_event (f, "A", T0 + 2 * HOUR, T0 + 4 * HOUR, 0, NULL);

  /* Same resource, overlapping window: refused, naming the other event. */
  e = make_event ("Second", T0 + 3 * HOUR, T0 + 5 * HOUR, "A");
  g_assert_false (drd_store_start_event (f->store, e, "op", T0, &id, &n, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONFLICT);
  g_test_message ("%s", error->message);
  {
    g_autofree char *needle = g_strdup_printf ("event %" G_GINT64_FORMAT " “Test event”", first);
    g_assert_nonnull (strstr (error->message, needle));
  }
  g_clear_error (&error);
  g_clear_pointer (&e, drd_event_free);

  /* "All resources" overlaps too. */
  e = make_event ("All", T0 + 1 * HOUR, T0 + 3 * HOUR, NULL);
  g_assert_false (drd_store_start_event (f->store, e, "op", T0, &id, &n, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  g_clear_pointer (&e, drd_event_free);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM events"), ==, 1);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM responses"), ==, 2);

  /* Other resource, same window: fine. Adjacent window: fine. */
  start_event (f, "B", T0 + 2 * HOUR, T0 + 4 * HOUR, 0, &n);
  g_assert_cmpint (n, ==, 2);
  start_event (f, "A", T0 + 4 * HOUR, T0 + 5 * HOUR, 0, NULL);

  /* Once the first event is ended (while it runs), its window is free again. */
  g_assert_true (drd_store_end_event (f->store, first, "op", T0 + 2 * HOUR, &error));
  g_assert_no_error (error);
  start_event (f, "A", T0 + 3 * HOUR, T0 + 4 * HOUR, 0, NULL);
}

static void
test_events_validation (Fixture       *f,
                        gconstpointer  data)
{
  struct {
    const char *what;
    gint64      start, end, deadline, target;
    const char *name;
    const char *resource;
  } cases[] = {
    { "not on a 15-minute boundary", T0 + 60, T0 + HOUR, 0, 1, "x", NULL },
    { "end before start", T0 + HOUR, T0, 0, 1, "x", NULL },
    { "zero target", T0, T0 + HOUR, 0, 0, "x", NULL },
    { "deadline after end", T0, T0 + HOUR, T0 + 2 * HOUR, 1, "x", NULL },
    { "empty name", T0, T0 + HOUR, 0, 1, "", NULL },
    { "unknown resource", T0, T0 + HOUR, 0, 1, "x", "Nowhere" },
  };

  add_customers (f, 2);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(DrdEvent) e = make_event (cases[i].name, cases[i].start, cases[i].end, cases[i].resource);
      g_autoptr(GError) error = NULL;

      e->answer_deadline = cases[i].deadline;
      e->target_w = cases[i].target;
      g_test_message ("case: %s", cases[i].what);
      g_assert_false (drd_store_start_event (f->store, e, "op", T0, NULL, NULL, &error));
      g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_INVALID);
    }
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM events"), ==, 0);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM event_resources"), ==, 0);
}

static void
test_events_no_resources (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(DrdEvent) e = make_event ("x", T0, T0 + HOUR, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (drd_store_start_event (f->store, e, "op", T0, NULL, NULL, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_INVALID);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM events"), ==, 0);
}

static void
test_events_transitions (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdEvent) e = NULL;
  gint64 id, id2;

  add_customers (f, 2);
  id = start_event (f, NULL, T0 - HOUR, T0 + HOUR, 0, NULL);
  e = drd_store_get_event (f->store, id, T0, &error);
  g_assert_cmpint (e->status, ==, DRD_EVENT_ACTIVE);
  g_assert_cmpint (raw_int (f->path, "SELECT status FROM events"), ==, DRD_EVENT_ACTIVE);

  g_assert_false (drd_store_set_event_status (f->store, id, DRD_EVENT_SETTLING, "op", T0, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONFLICT);
  g_clear_error (&error);

  g_assert_true (drd_store_end_event (f->store, id, "op", T0 + 60, &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (f->path, "SELECT ended_at FROM events"), ==, T0 + 60);
  g_assert_false (drd_store_end_event (f->store, id, "op", T0, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, "already ended"));
  g_clear_error (&error);
  g_assert_false (drd_store_cancel_event (f->store, id, "op", T0, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONFLICT);
  g_clear_error (&error);

  g_assert_true (drd_store_set_event_status (f->store, id, DRD_EVENT_SETTLING, "settler", T0, &error));
  g_assert_true (drd_store_set_event_status (f->store, id, DRD_EVENT_SETTLING, "settler", T0, &error));  /* resume: no-op */
  g_assert_true (drd_store_set_event_status (f->store, id, DRD_EVENT_SETTLED, "settler", T0 + 5, &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (f->path, "SELECT settled_at FROM events"), ==, T0 + 5);
  g_assert_false (drd_store_set_event_status (f->store, id, DRD_EVENT_ENDED, "op", T0, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONFLICT);
  g_clear_error (&error);

  id2 = start_event (f, NULL, T0 + 2 * HOUR, T0 + 3 * HOUR, 0, NULL);
  g_assert_true (drd_store_cancel_event (f->store, id2, "op", T0, &error));
  g_assert_no_error (error);
  g_assert_false (drd_store_end_event (f->store, 999, "op", T0, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM audit_log WHERE action LIKE 'event.%'"), ==, 2 + 4);
}

/* Ending before the scheduled end shortens the event to the end of the
 * 15-minute slot it was ended in; the stored window is what every reader
 * gets, and the audit trail keeps the scheduled end. */
static void
test_events_end_early (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 id, id2, id3;

  add_customers (f, 2);
  /* 14:45–15:30 style: started a slot before T0, scheduled 45 min. */
  id = start_event (f, "A", T0 - 900, T0 + 2700, 0, NULL);
  g_assert_cmpint (raw_int (f->path, "SELECT answer_deadline FROM events WHERE id = 1"), ==, T0 + 2700);
  /* Ended 13 minutes into the slot T0 .. T0+15min. */
  g_assert_true (drd_store_end_event (f->store, id, "op", T0 + 780, &error));
  g_assert_no_error (error);
  {
    g_autoptr(DrdEvent) e = drd_store_get_event (f->store, id, T0 + 780, &error);

    g_assert_no_error (error);
    g_assert_cmpint (e->status, ==, DRD_EVENT_ENDED);
    g_assert_cmpint (e->start_at, ==, T0 - 900);
    g_assert_cmpint (e->end_at, ==, T0 + 900);
    g_assert_cmpint (e->answer_deadline, ==, T0 + 900);
  }
  g_assert_cmpint (raw_int (f->path, "SELECT end_at FROM events WHERE id = 1"), ==, T0 + 900);
  g_assert_cmpint (raw_int (f->path, "SELECT ended_at FROM events WHERE id = 1"), ==, T0 + 780);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM audit_log WHERE action = 'event.end' "
                                     "AND event_id = 1 AND detail LIKE '%\"scheduled_end\":%'"), ==, 1);

  /* The freed part of the window can be used by another event. */
  id3 = start_event (f, "A", T0 + 900, T0 + 2700, 0, NULL);
  g_assert_cmpint (id3, >, id);

  /* Ended exactly on a slot boundary: that slot has begun, it is kept. */
  id2 = start_event (f, "B", T0 - 900, T0 + 3600, 0, NULL);
  g_assert_true (drd_store_end_event (f->store, id2, "op", T0, &error));
  g_assert_no_error (error);
  {
    g_autoptr(DrdEvent) e = drd_store_get_event (f->store, id2, T0, &error);
    g_assert_cmpint (e->end_at, ==, T0 + 900);
  }

  /* Ended after its window: nothing to shorten. */
  g_assert_cmpint (drd_store_end_for (T0, T0 + 5000), ==, T0);
  g_assert_cmpint (drd_store_end_for (T0 + 3600, T0 + 899), ==, T0 + 900);
  g_assert_cmpint (drd_store_end_for (T0 + 600 * 3, T0 + 1), ==, T0 + 900);
  g_assert_cmpint (drd_store_end_for (T0 + 900, T0 + 1), ==, T0 + 900);
}

/* A scheduled event cannot be ended (nothing happened, nothing to
 * settle); it can be cancelled. */
static void
test_events_end_scheduled_refused (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 id;

  add_customers (f, 2);
  id = start_event (f, NULL, T0 + 2 * HOUR, T0 + 3 * HOUR, 0, NULL);
  g_assert_false (drd_store_end_event (f->store, id, "op", T0, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, "has not started"));
  g_assert_nonnull (strstr (error->message, "cancel"));
  g_clear_error (&error);
  g_assert_false (drd_store_set_event_status (f->store, id, DRD_EVENT_ENDED, "op", T0, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_cmpint (raw_int (f->path, "SELECT status FROM events"), ==, DRD_EVENT_SCHEDULED);
  g_assert_cmpint (raw_int (f->path, "SELECT end_at FROM events"), ==, T0 + 3 * HOUR);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM audit_log WHERE action = 'event.end'"), ==, 0);
  g_assert_true (drd_store_cancel_event (f->store, id, "op", T0, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------ */
/* Answers                                                            */

static void
assert_answer (Fixture   *f,
               gint64     event_id,
               gint64     customer_id,
               DrdChannel channel,
               gint64     now,
               GQuark     domain,
               gint       code)
{
  g_autoptr(GError) error = NULL;
  DrdResponse r = { 0, };
  gboolean ok;

  ok = drd_store_record_answer (f->store, event_id, customer_id, DRD_ANSWER_ACCEPT, channel,
                                "tester", now, &r, &error);
  if (domain == 0)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpint (r.answer, ==, DRD_ANSWER_ACCEPT);
      g_assert_cmpint (r.event_id, ==, event_id);
      g_assert_cmpint (r.customer_id, ==, customer_id);
    }
  else
    {
      g_assert_false (ok);
      g_assert_error (error, domain, code);
      g_test_message ("refused: %s", error->message);
    }
}

static void
test_answers_rules (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GQuark q = DRD_STORE_ERROR;
  gint64 ev, ev2, ev3;

  add_customers (f, 10);
  /* Starts in 2 h, deadline in 1 h, customers 1,3,5,7,9 (A). */
  ev = start_event (f, "A", T0 + 2 * HOUR, T0 + 3 * HOUR, T0 + HOUR, NULL);

  assert_answer (f, ev, 1, DRD_CHANNEL_PORTAL, T0, 0, 0);
  assert_answer (f, ev, 3, DRD_CHANNEL_API, T0 + HOUR - 1, 0, 0);
  assert_answer (f, ev, 5, DRD_CHANNEL_PORTAL, T0 + HOUR, q, DRD_STORE_ERROR_CLOSED);
  assert_answer (f, ev, 5, DRD_CHANNEL_API, T0 + 2 * HOUR, q, DRD_STORE_ERROR_CLOSED);
  assert_answer (f, ev, 5, DRD_CHANNEL_OPERATOR, T0 + 2 * HOUR, 0, 0);
  assert_answer (f, ev, 2, DRD_CHANNEL_PORTAL, T0, q, DRD_STORE_ERROR_NOT_FOUND);   /* B: not targeted */
  assert_answer (f, ev, 2, DRD_CHANNEL_OPERATOR, T0, q, DRD_STORE_ERROR_NOT_FOUND);
  assert_answer (f, 999, 1, DRD_CHANNEL_PORTAL, T0, q, DRD_STORE_ERROR_NOT_FOUND);

  g_assert_false (drd_store_record_answer (f->store, ev, 1, DRD_ANSWER_NONE, DRD_CHANNEL_PORTAL,
                                           "x", T0, NULL, &error));
  g_assert_error (error, q, DRD_STORE_ERROR_INVALID);
  g_clear_error (&error);

  /* Ended: operator only (recording after the fact). */
  g_assert_true (drd_store_end_event (f->store, ev, "op", T0 + 3 * HOUR, &error));
  assert_answer (f, ev, 7, DRD_CHANNEL_PORTAL, T0, q, DRD_STORE_ERROR_CLOSED);
  assert_answer (f, ev, 7, DRD_CHANNEL_OPERATOR, T0 + 10 * HOUR, 0, 0);
  /* Settling: the operator still, for a customer not settled yet (no
   * settlements row; tests/stress/test-late-answers.c covers the rest);
   * the portal never. Settled: closed for everyone. */
  g_assert_true (drd_store_set_event_status (f->store, ev, DRD_EVENT_SETTLING, "s", T0, &error));
  assert_answer (f, ev, 9, DRD_CHANNEL_PORTAL, T0, q, DRD_STORE_ERROR_CLOSED);
  assert_answer (f, ev, 9, DRD_CHANNEL_OPERATOR, T0, 0, 0);
  g_assert_true (drd_store_set_event_status (f->store, ev, DRD_EVENT_SETTLED, "s", T0, &error));
  assert_answer (f, ev, 9, DRD_CHANNEL_OPERATOR, T0, q, DRD_STORE_ERROR_CLOSED);

  /* Cancelled: never, not even the operator. */
  ev2 = start_event (f, "B", T0 + 2 * HOUR, T0 + 3 * HOUR, 0, NULL);
  g_assert_true (drd_store_cancel_event (f->store, ev2, "op", T0, &error));
  assert_answer (f, ev2, 2, DRD_CHANNEL_PORTAL, T0, q, DRD_STORE_ERROR_CLOSED);
  assert_answer (f, ev2, 2, DRD_CHANNEL_OPERATOR, T0, q, DRD_STORE_ERROR_CLOSED);

  /* Active (derived from time) with the default deadline: open until the end. */
  ev3 = start_event (f, "B", T0 + 4 * HOUR, T0 + 5 * HOUR, 0, NULL);
  assert_answer (f, ev3, 4, DRD_CHANNEL_PORTAL, T0 + 4 * HOUR + 60, 0, 0);
  assert_answer (f, ev3, 6, DRD_CHANNEL_PORTAL, T0 + 5 * HOUR, q, DRD_STORE_ERROR_CLOSED);

  g_assert_no_error (error);
}

static void
test_answers_audit (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  DrdResponse r;
  gint64 ev;

  add_customers (f, 2);
  ev = start_event (f, NULL, T0 + HOUR, T0 + 2 * HOUR, 0, NULL);

  g_assert_true (drd_store_record_answer (f->store, ev, 1, DRD_ANSWER_ACCEPT, DRD_CHANNEL_PORTAL,
                                          "portal", T0 + 10, &r, &error));
  g_assert_cmpint (r.answered_at, ==, T0 + 10);
  g_assert_cmpint (r.channel, ==, DRD_CHANNEL_PORTAL);
  g_assert_true (drd_store_record_answer (f->store, ev, 1, DRD_ANSWER_DENY, DRD_CHANNEL_OPERATOR,
                                          "operator:kim", T0 + 20, &r, &error));
  /* Same answer again: stored response unchanged, no audit row. */
  g_assert_true (drd_store_record_answer (f->store, ev, 1, DRD_ANSWER_DENY, DRD_CHANNEL_API,
                                          "api", T0 + 30, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpint (r.answer, ==, DRD_ANSWER_DENY);
  g_assert_cmpint (r.answered_at, ==, T0 + 20);
  g_assert_cmpint (r.channel, ==, DRD_CHANNEL_OPERATOR);

  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM audit_log WHERE action = 'answer'"), ==, 2);
  g_assert_cmpint (raw_int (f->path,
      "SELECT count(*) FROM audit_log WHERE action = 'answer' AND actor = 'portal' AND customer_id = 1 "
      "AND detail = '{\"old\":\"none\",\"new\":\"accept\",\"channel\":\"portal\"}'"), ==, 1);
  g_assert_cmpint (raw_int (f->path,
      "SELECT count(*) FROM audit_log WHERE action = 'answer' AND actor = 'operator:kim' "
      "AND detail = '{\"old\":\"accept\",\"new\":\"deny\",\"channel\":\"operator\"}'"), ==, 1);
  /* The schema's trigger keeps the customer's last answer. */
  g_assert_cmpint (raw_int (f->path, "SELECT last_answer FROM customers WHERE id = 1"), ==, DRD_ANSWER_DENY);

  g_assert_true (drd_store_get_response (f->store, ev, 1, &r, &error));
  g_assert_cmpint (r.answer, ==, DRD_ANSWER_DENY);
  g_assert_true (drd_store_get_response (f->store, ev, 2, &r, &error));
  g_assert_cmpint (r.answer, ==, DRD_ANSWER_NONE);
  g_assert_cmpint (r.answered_at, ==, 0);
  g_assert_no_error (error);
}

static void
test_answers_counts (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  DrdResponseCounts c;
  gint64 ev;

  add_customers (f, 10);   /* 1000 W each */
  ev = start_event (f, NULL, T0 + HOUR, T0 + 2 * HOUR, 0, NULL);
  for (gint64 id = 1; id <= 3; id++)
    g_assert_true (drd_store_record_answer (f->store, ev, id, DRD_ANSWER_ACCEPT, DRD_CHANNEL_PORTAL, "p", T0, NULL, &error));
  g_assert_true (drd_store_record_answer (f->store, ev, 4, DRD_ANSWER_DENY, DRD_CHANNEL_PORTAL, "p", T0, NULL, &error));
  g_assert_true (drd_store_get_response_counts (f->store, ev, &c, &error));
  g_assert_no_error (error);
  g_assert_cmpint (c.n_targeted, ==, 10);
  g_assert_cmpint (c.n_accept, ==, 3);
  g_assert_cmpint (c.n_deny, ==, 1);
  g_assert_cmpint (c.n_none, ==, 6);
  g_assert_cmpint (c.accepted_w, ==, 3000);
  g_assert_cmpint (c.targeted_w, ==, 10000);

  g_assert_false (drd_store_get_response_counts (f->store, 77, &c, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_NOT_FOUND);
}

/* The counts as the full join computes them (what event_counts replaces
 * and must always equal), on a separate connection: what is on disk. */
static void
join_counts (const char        *path,
             gint64             event_id,
             DrdResponseCounts *out)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
      "SELECT count(*), coalesce(sum(r.answer = 1), 0), coalesce(sum(r.answer = 2), 0), "
      "coalesce(sum(r.answer = 0), 0), "
      "coalesce(sum(CASE WHEN r.answer = 1 THEN c.registered_w END), 0), "
      "coalesce(sum(c.registered_w), 0), "
      "coalesce(sum(CASE WHEN r.answer = 2 THEN c.registered_w END), 0) "
      "FROM responses r JOIN customers c ON c.id = r.customer_id WHERE r.event_id = ?1",
      -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, event_id);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  out->n_targeted = sqlite3_column_int64 (stmt, 0);
  out->n_accept = sqlite3_column_int64 (stmt, 1);
  out->n_deny = sqlite3_column_int64 (stmt, 2);
  out->n_none = sqlite3_column_int64 (stmt, 3);
  out->accepted_w = sqlite3_column_int64 (stmt, 4);
  out->targeted_w = sqlite3_column_int64 (stmt, 5);
  out->denied_w = sqlite3_column_int64 (stmt, 6);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static void
assert_counts_equal (const DrdResponseCounts *a,
                     const DrdResponseCounts *b)
{
  g_assert_cmpint (a->n_targeted, ==, b->n_targeted);
  g_assert_cmpint (a->n_accept, ==, b->n_accept);
  g_assert_cmpint (a->n_deny, ==, b->n_deny);
  g_assert_cmpint (a->n_none, ==, b->n_none);
  g_assert_cmpint (a->accepted_w, ==, b->accepted_w);
  g_assert_cmpint (a->targeted_w, ==, b->targeted_w);
  g_assert_cmpint (a->denied_w, ==, b->denied_w);
}

/* get_response_counts() == the join, for @event_id. */
static void
check_counts (Fixture *f,
              gint64   event_id)
{
  g_autoptr(GError) error = NULL;
  DrdResponseCounts got = { 0, }, want = { 0, };

  g_assert_true (drd_store_get_response_counts (f->store, event_id, &got, &error));
  g_assert_no_error (error);
  join_counts (f->path, event_id, &want);
  assert_counts_equal (&got, &want);
}

static gboolean
exec_write_run (sqlite3  *db,
                gpointer  data,
                GError  **error)
{
  char *err = NULL;

  /* Test SQL only; several statements. */
  if (sqlite3_exec (db, data, NULL, NULL, &err) != SQLITE_OK)
    {
      g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_SQLITE, "%s: %s", (char *) data, err);
      sqlite3_free (err);
      return FALSE;
    }
  return TRUE;
}

/* A random mix of answers, changed answers, re-imports (capacity,
 * resource and name changes, unchanged rows), direct capacity updates and
 * event transitions over three events: after every step the tally equals
 * the join. */
/* Several customers' capacity changed in one plain UPDATE (values bound). */
typedef struct {
  gint64 add_w;
  gint64 residue;   /* customers whose id % 7 equals this */
} CapacityBump;

static gboolean
capacity_bump_run (sqlite3  *db,
                   gpointer  data,
                   GError  **error)
{
  const CapacityBump *bump = data;
  const char *sql = "UPDATE customers SET registered_w = registered_w + ?1 WHERE id % 7 = ?2";
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return drd_store_set_sqlite_error (error, db, sql);
  sqlite3_bind_int64 (stmt, 1, bump->add_w);
  sqlite3_bind_int64 (stmt, 2, bump->residue);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, sql);
  return TRUE;
}

static void
test_counts_consistency (Fixture       *f,
                         gconstpointer  data)
{
  static const char *res[] = { "A", "B", "C" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (20260701);
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_customer_free);
  g_autoptr(DrdStoreImportResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 w[201];
  gint64 ev[4];
  const guint n = 200;
  guint n_answers = 0, n_reimports = 0;

  for (guint i = 1; i <= n; i++)
    {
      w[i] = g_rand_int_range (rand, 0, 50000);
      g_ptr_array_add (batch, make_customer (i, res[i % 3], w[i]));
    }
  result = drd_store_import_customers (f->store, batch, "test", T0 - HOUR, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_inserted, ==, n);
  g_clear_pointer (&result, drd_store_import_result_free);

  ev[0] = start_event (f, NULL, T0 + HOUR, T0 + 2 * HOUR, 0, NULL);        /* everybody */
  ev[1] = start_event (f, "A", T0 + 3 * HOUR, T0 + 4 * HOUR, 0, NULL);     /* A only */
  {
    g_autoptr(DrdEvent) e = make_event ("B and C", T0 + 3 * HOUR, T0 + 5 * HOUR, "B");
    g_strfreev (e->resources);
    e->resources = g_strsplit ("B,C", ",", -1);
    drd_store_start_event (f->store, e, "op", T0, &ev[2], NULL, &error);
    g_assert_no_error (error);
  }
  ev[3] = start_event (f, "C", T0 + 6 * HOUR, T0 + 7 * HOUR, 0, NULL);
  for (guint k = 0; k < G_N_ELEMENTS (ev); k++)
    check_counts (f, ev[k]);

  for (guint step = 0; step < 600; step++)
    {
      guint what = g_rand_int_range (rand, 0, 100);

      if (what < 70)
        {
          /* An answer (often a change of answer) by portal or operator. */
          gint64 e = ev[g_rand_int_range (rand, 0, G_N_ELEMENTS (ev))];
          gint64 c = g_rand_int_range (rand, 1, n + 1);
          DrdAnswer a = g_rand_boolean (rand) ? DRD_ANSWER_ACCEPT : DRD_ANSWER_DENY;
          DrdChannel ch = g_rand_boolean (rand) ? DRD_CHANNEL_PORTAL : DRD_CHANNEL_OPERATOR;

          if (drd_store_record_answer (f->store, e, c, a, ch, "test", T0, NULL, &error))
            n_answers++;
          else
            {
              /* Only "not targeted", or a portal answer to an ended event. */
              g_assert_true (g_error_matches (error, DRD_STORE_ERROR, DRD_STORE_ERROR_NOT_FOUND)
                             || (ch == DRD_CHANNEL_PORTAL
                                 && g_error_matches (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CLOSED)));
              g_clear_error (&error);
            }
        }
      else if (what < 90)
        {
          /* Re-import of some customers: capacity changes (also to and
           * from 0), a few resource and name changes, the rest as they
           * are. */
          g_ptr_array_set_size (batch, 0);
          for (guint j = 0, m = g_rand_int_range (rand, 1, 40); j < m; j++)
            {
              gint64 id = g_rand_int_range (rand, 1, n + 1);
              guint kind = g_rand_int_range (rand, 0, 10);
              DrdCustomer *c;

              if (kind < 5)
                w[id] = kind == 0 ? 0 : g_rand_int_range (rand, 0, 50000);
              c = make_customer (id, res[(id + (kind == 9)) % 3], w[id]);
              if (kind == 8)
                {
                  g_free (c->name);
                  c->name = g_strdup_printf ("Renamed %" G_GINT64_FORMAT " %u", id, step);
                }
              g_ptr_array_add (batch, c);
            }
          result = drd_store_import_customers (f->store, batch, "test", T0 + step, &error);
          g_assert_no_error (error);
          g_assert_cmpuint (result->row_errors->len, ==, 0);
          g_assert_cmpuint (result->n_inserted + result->n_updated + result->n_unchanged, ==, batch->len);
          g_clear_pointer (&result, drd_store_import_result_free);
          n_reimports++;
        }
      else if (what < 97)
        {
          /* Capacity changed by plain SQL (the trigger, not the importer,
           * keeps the tally), several customers in one statement. */
          CapacityBump bump = { g_rand_int_range (rand, 1, 1000), g_rand_int_range (rand, 0, 7) };
          g_assert_true (drd_store_write (f->store, capacity_bump_run, &bump, &error));
          g_assert_no_error (error);
        }
      else
        {
          /* End an event now and then: operator answers still count. */
          gint64 e = ev[g_rand_int_range (rand, 0, G_N_ELEMENTS (ev))];
          if (!drd_store_end_event (f->store, e, "op", T0 + 8 * HOUR, &error))
            {
              g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONFLICT);
              g_clear_error (&error);
            }
        }

      for (guint k = 0; k < G_N_ELEMENTS (ev); k++)
        check_counts (f, ev[k]);
    }
  g_test_message ("%u answers, %u re-imports", n_answers, n_reimports);
  g_assert_cmpuint (n_answers, >, 100);
  g_assert_cmpuint (n_reimports, >, 20);

  /* A deleted response (nothing deletes them today) leaves the tally right. */
  g_assert_true (drd_store_write (f->store, exec_write_run,
                                  "DELETE FROM responses WHERE customer_id IN (1, 2, 3, 5, 8)", &error));
  g_assert_no_error (error);
  for (guint k = 0; k < G_N_ELEMENTS (ev); k++)
    check_counts (f, ev[k]);

  /* A response cannot move to another customer (its tally would be wrong). */
  g_assert_false (drd_store_write (f->store, exec_write_run,
                                   "UPDATE responses SET customer_id = 4 WHERE customer_id = 13", &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "cannot move"));
  g_clear_error (&error);
}

/* get_response_counts() reads the maintained row (one primary-key lookup
 * per table, no scan of responses), whatever the event's size. */
static void
test_counts_o1 (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) plan = g_string_new (NULL);
  DrdResponseCounts c;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 ev;

  add_customers (f, 50);
  ev = start_event (f, NULL, T0 + HOUR, T0 + 2 * HOUR, 0, NULL);

  g_assert_cmpint (sqlite3_open_v2 (f->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "EXPLAIN QUERY PLAN " DRD_STORE_SQL_RESPONSE_COUNTS,
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (plan, "%s\n", (const char *) sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  g_test_message ("%s", plan->str);
  g_assert_nonnull (strstr (plan->str, "SEARCH e USING INTEGER PRIMARY KEY (rowid=?)"));
  g_assert_nonnull (strstr (plan->str, "SEARCH k USING INTEGER PRIMARY KEY (rowid=?)"));
  g_assert_null (strstr (plan->str, "SCAN"));
  g_assert_null (strstr (plan->str, "responses"));
  g_assert_null (strstr (plan->str, "customers"));

  /* And the function really answers from that row: change the row behind
   * its back and it reports the change. */
  drd_test_sql_exec (f->path, "UPDATE event_counts SET n_accept = 4321 WHERE event_id = ?", "i", ev);
  g_assert_true (drd_store_get_response_counts (f->store, ev, &c, &error));
  g_assert_no_error (error);
  g_assert_cmpint (c.n_accept, ==, 4321);
  g_assert_cmpint (c.n_targeted, ==, 50);
}

/* A file as DR Desk schema 1 left it, with events, answers and capacity
 * changes, is migrated to 2 with every event's tally back-filled; from
 * then on the triggers keep it. */
static void
test_migrate_v1_counts (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autoptr(GString) sql = g_string_new ("BEGIN;");
  DrdResponseCounts c;
  g_autofree char *dir = g_path_get_dirname (f->path);
  gint64 n_fts;

  g_mkdir_with_parents (dir, 0700);
  drd_store_create_at_version (f->path, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (f->path, "PRAGMA user_version"), ==, 1);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM sqlite_schema WHERE name = 'event_counts'"), ==, 0);

  /* 300 customers in 3 resources; event 1 targets all, event 2 resource
   * 2, event 3 resource 3 but has no responses (nobody was in it). */
  g_string_append (sql,
      "INSERT INTO resources (id, name) VALUES (1, 'A'), (2, 'B'), (3, 'C');"
      "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 300) "
      "INSERT INTO customers (id, name, kepco_no, resource_id, registered_w, created_at, updated_at) "
      "SELECT i, 'Customer ' || i, printf('%010d', i), 1 + i % 2, 100 * i, 0, 0 FROM s;"
      "INSERT INTO events (id, name, kind, start_at, end_at, answer_deadline, target_w, status, created_at) "
      "VALUES (1, 'One', 0, 1782867600, 1782871200, 1782871200, 1000, 1, 0),"
      "       (2, 'Two', 0, 1782874800, 1782878400, 1782878400, 1000, 0, 0),"
      "       (3, 'Three', 0, 1782874800, 1782878400, 1782878400, 1000, 0, 0);"
      "INSERT INTO event_resources VALUES (1, 1), (1, 2), (1, 3), (2, 2), (3, 3);"
      "INSERT INTO responses (event_id, customer_id) SELECT 1, id FROM customers;"
      "INSERT INTO responses (event_id, customer_id) SELECT 2, id FROM customers WHERE resource_id = 2;");
  for (int k = 0; k < 400; k++)
    g_string_append_printf (sql,
        "UPDATE responses SET answer = %d, answered_at = 1782864000 "
        "WHERE event_id = %d AND customer_id = %d;",
        g_rand_int_range (rand, 0, 3), g_rand_int_range (rand, 1, 3), g_rand_int_range (rand, 1, 301));
  g_string_append (sql,
      "UPDATE customers SET registered_w = 7 WHERE id % 10 = 0;"
      "COMMIT;");
  raw_exec (f->path, sql->str);
  n_fts = raw_int (f->path, "SELECT count(*) FROM customers_search WHERE customers_search MATCH '\"Customer\"'");
  g_assert_cmpint (n_fts, ==, 300);

  f->store = drd_store_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (f->path, "PRAGMA user_version"), ==, 2);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM event_counts"), ==, 3);
  for (gint64 e = 1; e <= 3; e++)
    check_counts (f, e);
  g_assert_true (drd_store_get_response_counts (f->store, 3, &c, &error));
  g_assert_cmpint (c.n_targeted, ==, 0);
  g_assert_cmpint (c.targeted_w, ==, 0);
  g_assert_true (drd_store_get_response_counts (f->store, 2, &c, &error));
  g_assert_cmpint (c.n_targeted, ==, 150);
  g_assert_cmpint (c.n_accept + c.n_deny, >, 0);

  /* Kept from here on: answers through the store, capacity by re-import. */
  g_assert_true (drd_store_record_answer (f->store, 2, 1, DRD_ANSWER_ACCEPT, DRD_CHANNEL_OPERATOR, "op", T0, NULL, &error));
  g_assert_true (drd_store_record_answer (f->store, 2, 3, DRD_ANSWER_DENY, DRD_CHANNEL_OPERATOR, "op", T0, NULL, &error));
  g_assert_no_error (error);
  {
    g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_customer_free);
    g_autoptr(DrdStoreImportResult) result = NULL;

    g_ptr_array_add (batch, make_customer (1, "B", 99999));
    g_ptr_array_add (batch, make_customer (3, "B", 1));
    result = drd_store_import_customers (f->store, batch, "test", T0, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (result->n_updated, ==, 2);
  }
  for (gint64 e = 1; e <= 3; e++)
    check_counts (f, e);
  /* The search index came through the migration intact. */
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM customers_search WHERE customers_search MATCH '\"Customer\"'"),
                   ==, n_fts);
  g_assert_finalize_object (g_steal_pointer (&f->store));

  /* Reopening an up-to-date file changes nothing. */
  f->store = drd_store_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM event_counts"), ==, 3);
  for (gint64 e = 1; e <= 3; e++)
    check_counts (f, e);
}

/* ------------------------------------------------------------------ */
/* Group commit and async                                             */

typedef struct {
  Fixture *f;
  guint    pending;
  guint    n_ok;
  guint    n_not_found;
  sqlite3 *check;     /* independent connection */
} GroupData;

static void
group_answer_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GroupData *g = user_data;
  g_autoptr(GError) error = NULL;
  DrdResponse r = { 0, };
  sqlite3_stmt *stmt = NULL;

  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  if (drd_store_record_answer_finish (DRD_STORE (source), result, &r, &error))
    {
      /* Acknowledged → already committed: another connection sees it. */
      g_assert_cmpint (sqlite3_prepare_v2 (g->check,
          "SELECT answer FROM responses WHERE event_id = ?1 AND customer_id = ?2", -1, &stmt, NULL), ==, SQLITE_OK);
      sqlite3_bind_int64 (stmt, 1, r.event_id);
      sqlite3_bind_int64 (stmt, 2, r.customer_id);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, DRD_ANSWER_ACCEPT);
      sqlite3_finalize (stmt);
      g->n_ok++;
    }
  else
    {
      g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_NOT_FOUND);
      g->n_not_found++;
    }
  g->pending--;
}

static void
test_group_commit (Fixture       *f,
                   gconstpointer  data)
{
  GroupData g = { f, 0, 0, 0, NULL };
  guint64 commits_before, commits;
  gint64 ev;
  const guint n = 1000;

  add_customers (f, n);
  ev = start_event (f, "A", T0 + HOUR, T0 + 2 * HOUR, 0, NULL);   /* odd ids only */
  g_assert_cmpint (sqlite3_open_v2 (f->path, &g.check, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);

  /* Let operations pile up a little so that groups form as they would
   * under load. */
  drd_store_set_writer_delay (f->store, 2000);
  commits_before = drd_store_get_commit_count (f->store);
  for (guint i = 1; i <= n; i++)
    {
      /* Even ids were not targeted: they fail alone, inside the groups. */
      drd_store_record_answer_async (f->store, ev, i, DRD_ANSWER_ACCEPT, DRD_CHANNEL_PORTAL,
                                     "portal", T0, NULL, group_answer_cb, &g);
      g.pending++;
    }
  while (g.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  commits = drd_store_get_commit_count (f->store) - commits_before;
  g_test_message ("%u answers in %" G_GUINT64_FORMAT " transactions", n, commits);

  g_assert_cmpuint (g.n_ok, ==, n / 2);
  g_assert_cmpuint (g.n_not_found, ==, n / 2);
  g_assert_cmpuint (commits, <=, n / 10);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM responses WHERE answer = 1"), ==, n / 2);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM audit_log WHERE action = 'answer'"), ==, n / 2);
  sqlite3_close (g.check);
}

#ifdef __linux__
/* The nice value (field 19 of /proc/self/task/TID/stat) of this process's
 * thread called @comm, or G_MININT if there is none. */
static int
thread_nice (const char *comm)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *tid;

  while (dir != NULL && (tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *comm_path = g_build_filename ("/proc/self/task", tid, "comm", NULL);
      g_autofree char *stat_path = g_build_filename ("/proc/self/task", tid, "stat", NULL);
      g_autofree char *name = NULL;
      g_autofree char *stat = NULL;
      g_auto(GStrv) fields = NULL;
      const char *after_comm;

      if (!g_file_get_contents (comm_path, &name, NULL, NULL)
          || strcmp (g_strstrip (name), comm) != 0
          || !g_file_get_contents (stat_path, &stat, NULL, NULL)
          || (after_comm = strrchr (stat, ')')) == NULL)
        continue;
      /* Fields after "(comm)" start at field 3 (state); nice is field 19. */
      fields = g_strsplit (after_comm + 2, " ", -1);
      g_assert_cmpuint (g_strv_length (fields), >, 16);
      return atoi (fields[16]);
    }
  return G_MININT;
}
#endif

/* The window asks its store's writer to step back so a long write never
 * takes the CPU from the frames it draws; the writes still complete. */
static void
test_writer_background (Fixture       *f,
                        gconstpointer  data)
{
#ifdef __linux__
  const char *writer = "drd-writer";

  /* The suite may itself run niced: everything is relative to this
   * thread's nice value, which the writer inherited. */
  int base = getpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid));

  add_customers (f, 10);
  g_assert_cmpint (thread_nice (writer), ==, base);
  drd_store_set_writer_background (f->store, TRUE);
  /* Applied by the writer before its next operation. */
  g_assert_cmpint (thread_nice (writer), ==, base);
  start_event (f, "A", T0 + HOUR, T0 + 2 * HOUR, 0, NULL);
  g_assert_cmpint (thread_nice (writer), ==, MIN (base + DRD_STORE_BACKGROUND_NICE, 19));
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM responses"), ==, 5);
  /* Only the writer: this (test) thread keeps its priority. */
  g_assert_cmpint (getpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid)), ==, base);
#else
  g_test_skip ("per-thread nice values are Linux-only");
#endif
}

static void
cancelled_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GError **out = user_data;

  g_assert_false (drd_store_record_answer_finish (DRD_STORE (source), result, NULL, out));
}

static void
test_async_cancel (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  GError *error = NULL;
  gint64 ev;

  add_customers (f, 2);
  ev = start_event (f, NULL, T0 + HOUR, T0 + 2 * HOUR, 0, NULL);
  g_cancellable_cancel (cancellable);
  drd_store_record_answer_async (f->store, ev, 1, DRD_ANSWER_ACCEPT, DRD_CHANNEL_PORTAL,
                                 "portal", T0, cancellable, cancelled_cb, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM responses WHERE answer <> 0"), ==, 0);
}

typedef struct {
  gboolean done;
  gint64   id;
  gint64   n;
  GError  *error;
  DrdEvent *event;
} AsyncData;

static void
start_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  AsyncData *d = user_data;

  drd_store_start_event_finish (DRD_STORE (source), result, &d->id, &d->n, &d->error);
  d->done = TRUE;
}

static void
get_event_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  AsyncData *d = user_data;

  d->event = drd_store_get_event_finish (DRD_STORE (source), result, &d->error);
  d->done = TRUE;
}

static void
changed_cb (DrdStore *store,
            gpointer  user_data)
{
  (*(guint *) user_data)++;
}

static void
test_async_ops (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(DrdEvent) e = make_event ("Async", T0 + HOUR, T0 + 2 * HOUR, NULL);
  AsyncData d = { 0, };
  guint n_changed = 0;

  add_customers (f, 5);
  g_signal_connect (f->store, "changed", G_CALLBACK (changed_cb), &n_changed);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  n_changed = 0;

  drd_store_start_event_async (f->store, e, "op", T0, NULL, start_cb, &d);
  while (!d.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (d.error);
  g_assert_cmpint (d.n, ==, 5);

  d.done = FALSE;
  drd_store_get_event_async (f->store, d.id, T0, NULL, get_event_cb, &d);
  while (!d.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (d.error);
  g_assert_cmpstr (d.event->name, ==, "Async");
  g_clear_pointer (&d.event, drd_event_free);

  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (n_changed, >=, 1);

  /* Invalid input fails through the callback too. */
  d.done = FALSE;
  e->target_w = 0;
  drd_store_start_event_async (f->store, e, "op", T0, NULL, start_cb, &d);
  while (!d.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (d.error, DRD_STORE_ERROR, DRD_STORE_ERROR_INVALID);
  g_clear_error (&d.error);
  g_signal_handlers_disconnect_by_func (f->store, changed_cb, &n_changed);
}

/* ------------------------------------------------------------------ */
/* Concurrency                                                        */

typedef struct {
  guint  n_rows;
  gulong sleep_usec;
} SlowWrite;

/* Updates every customer one statement at a time, sleeping in between:
 * a long write transaction. */
static gboolean
slow_write_run (sqlite3  *db,
                gpointer  data,
                GError  **error)
{
  SlowWrite *w = data;

  for (guint i = 1; i <= w->n_rows; i++)
    {
      sqlite3_stmt *stmt = drd_store_prepare (db,
          "UPDATE customers SET registered_w = registered_w + 1 WHERE id = ?1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, i);
      if (!drd_store_step_done (db, stmt, "slow update", error))
        return FALSE;
      if (i % 10 == 0)
        g_usleep (w->sleep_usec);
    }
  return TRUE;
}

static gpointer
slow_write_thread (gpointer data)
{
  Fixture *f = ((gpointer *) data)[0];
  SlowWrite *w = ((gpointer *) data)[1];
  GError *error = NULL;

  if (!drd_store_write (f->store, slow_write_run, w, &error))
    return error;
  return NULL;
}

static gboolean
sum_twice_run (sqlite3  *db,
               gpointer  data,
               GError  **error)
{
  gint64 *sums = data;

  for (int k = 0; k < 2; k++)
    {
      sqlite3_stmt *stmt = drd_store_prepare (db, "SELECT sum(registered_w) FROM customers", error);
      if (stmt == NULL)
        return FALSE;
      if (sqlite3_step (stmt) != SQLITE_ROW)
        return drd_store_set_sqlite_error (error, db, "sum");
      sums[k] = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
      if (k == 0)
        g_usleep (2000);
    }
  return TRUE;
}

static void
test_concurrent_reads (Fixture       *f,
                       gconstpointer  data)
{
  SlowWrite w = { 200, 5000 };   /* ≈ 100 ms holding the write transaction */
  gpointer args[2] = { f, &w };
  GThread *writer;
  GError *werror;
  const gint64 before = 200 * 1000, after = before + 200;
  guint n_reads = 0, n_after = 0;

  add_customers (f, 200);
  writer = g_thread_new ("slow-writer", slow_write_thread, args);
  for (int round = 0; round < 400; round++)
    {
      g_autoptr(GError) error = NULL;
      gint64 sums[2] = { 0, 0 };

      /* Never SQLITE_BUSY, always a committed state, same in one snapshot. */
      g_assert_true (drd_store_read (f->store, sum_twice_run, sums, &error));
      g_assert_no_error (error);
      g_assert_cmpint (sums[0], ==, sums[1]);
      g_assert_true (sums[0] == before || sums[0] == after);
      n_reads++;
      if (sums[0] == after)
        {
          n_after++;
          if (n_after > 3)
            break;
        }
    }
  werror = g_thread_join (writer);
  g_assert_no_error (werror);
  g_test_message ("%u reads during and after the write", n_reads);
  g_assert_cmpuint (n_reads, >, 5);
  g_assert_cmpint (raw_int (f->path, "SELECT sum(registered_w) FROM customers"), ==, after);
}

static void
test_data_version (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdStore) other = NULL;
  guint64 v0 = 0, v1 = 0, v2 = 0;

  g_assert_true (drd_store_get_data_version (f->store, &v0, &error));
  g_assert_true (drd_store_get_data_version (f->store, &v1, &error));
  g_assert_cmpuint (v0, ==, v1);

  /* Another "process": a second store on the same file. */
  other = drd_store_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_true (drd_store_set_setting (other, "x", "1", &error));
  g_assert_true (drd_store_get_data_version (f->store, &v2, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (v2, !=, v1);

  /* Our own writes count too. */
  g_assert_true (drd_store_set_setting (f->store, "x", "2", &error));
  g_assert_true (drd_store_get_data_version (f->store, &v1, &error));
  g_assert_cmpuint (v1, !=, v2);
  g_assert_finalize_object (g_steal_pointer (&other));
}

/* ------------------------------------------------------------------ */
/* Ledger, jobs, settings, holidays, meter days                       */

static gboolean
update_ledger (sqlite3  *db,
               gpointer  data,
               GError  **error)
{
  sqlite3_stmt *stmt = drd_store_prepare (db, data, error);
  if (stmt == NULL)
    return FALSE;
  return drd_store_step_done (db, stmt, data, error);
}

static void
test_ledger (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) history = NULL;
  gint64 ev, entry = 0, entry2 = 0, balance = -1;

  add_customers (f, 2);
  ev = start_event (f, NULL, T0 + HOUR, T0 + 2 * HOUR, 0, NULL);

  g_assert_cmpint (drd_store_credit_points (f->store, 1, ev, "dr_reward", 120, "3 kWh", T0, &entry, &error),
                   ==, DRD_CREDIT_CREDITED);
  g_assert_no_error (error);
  g_assert_cmpint (drd_store_credit_points (f->store, 1, ev, "dr_reward", 999, NULL, T0, &entry2, &error),
                   ==, DRD_CREDIT_ALREADY);
  g_assert_no_error (error);
  g_assert_cmpint (entry2, ==, entry);
  g_assert_true (drd_store_get_balance (f->store, 1, &balance, &error));
  g_assert_cmpint (balance, ==, 120);
  g_assert_cmpint (raw_int (f->path, "SELECT points_balance FROM customers WHERE id = 1"), ==, 120);

  /* Adjustments without an event. */
  g_assert_cmpint (drd_store_credit_points (f->store, 1, 0, "adjustment", -20, "typo", T0, NULL, &error),
                   ==, DRD_CREDIT_CREDITED);
  g_assert_true (drd_store_get_balance (f->store, 1, &balance, &error));
  g_assert_cmpint (balance, ==, 100);

  /* Unknown customer: a constraint (foreign key) error. */
  g_assert_cmpint (drd_store_credit_points (f->store, 42, ev, "dr_reward", 1, NULL, T0, NULL, &error),
                   ==, DRD_CREDIT_FAILED);
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONSTRAINT);
  g_clear_error (&error);

  /* Append-only. */
  g_assert_false (drd_store_write (f->store, update_ledger, "UPDATE points_ledger SET points = 1", &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "append-only"));
  g_clear_error (&error);
  g_assert_false (drd_store_write (f->store, update_ledger, "DELETE FROM points_ledger", &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONSTRAINT);
  g_clear_error (&error);

  history = drd_store_get_ledger (f->store, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 2);
  g_assert_cmpstr (((DrdLedgerEntry *) history->pdata[0])->reason, ==, "dr_reward");
  g_assert_cmpint (((DrdLedgerEntry *) history->pdata[0])->event_id, ==, ev);
  g_assert_cmpint (((DrdLedgerEntry *) history->pdata[1])->event_id, ==, 0);
  g_assert_cmpint (((DrdLedgerEntry *) history->pdata[1])->points, ==, -20);

  g_assert_false (drd_store_get_balance (f->store, 42, &balance, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_NOT_FOUND);
}

static void
test_jobs (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) claimed = NULL;
  g_autoptr(DrdJob) job = NULL;
  gint64 ev, j1 = 0, j1b = 0, j2 = 0, j3 = 0;
  gboolean created = FALSE;
  guint n_reset = 0;

  add_customers (f, 3);
  ev = start_event (f, NULL, T0 - 2 * HOUR, T0 - HOUR, 0, NULL);

  g_assert_true (drd_store_enqueue_job (f->store, "settle", ev, 0, T0, T0, &j1, &created, &error));
  g_assert_true (created);
  g_assert_true (drd_store_enqueue_job (f->store, "settle", ev, 0, T0, T0, &j1b, &created, &error));
  g_assert_false (created);
  g_assert_cmpint (j1b, ==, j1);
  g_assert_true (drd_store_enqueue_job (f->store, "fetch", ev, 1, T0 - 10, T0, &j2, &created, &error));
  g_assert_true (drd_store_enqueue_job (f->store, "fetch", ev, 2, T0 + HOUR, T0, &j3, &created, &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM jobs"), ==, 3);

  /* Only due jobs, oldest first. */
  claimed = drd_store_claim_jobs (f->store, NULL, T0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (claimed->len, ==, 2);
  g_assert_cmpint (((DrdJob *) claimed->pdata[0])->id, ==, j2);
  g_assert_cmpint (((DrdJob *) claimed->pdata[1])->id, ==, j1);
  g_assert_cmpint (((DrdJob *) claimed->pdata[0])->state, ==, DRD_JOB_RUNNING);
  g_assert_cmpint (((DrdJob *) claimed->pdata[0])->attempts, ==, 1);
  g_clear_pointer (&claimed, g_ptr_array_unref);
  claimed = drd_store_claim_jobs (f->store, NULL, T0, 10, &error);
  g_assert_cmpuint (claimed->len, ==, 0);
  g_clear_pointer (&claimed, g_ptr_array_unref);

  /* Fail with retry later; not claimable before. */
  g_assert_true (drd_store_fail_job (f->store, j2, "KEPCO timeout", T0 + 60, T0, &error));
  claimed = drd_store_claim_jobs (f->store, "fetch", T0 + 59, 10, &error);
  g_assert_cmpuint (claimed->len, ==, 0);
  g_clear_pointer (&claimed, g_ptr_array_unref);
  claimed = drd_store_claim_jobs (f->store, "fetch", T0 + 60, 10, &error);
  g_assert_cmpuint (claimed->len, ==, 1);
  g_assert_cmpint (((DrdJob *) claimed->pdata[0])->attempts, ==, 2);
  g_assert_cmpstr (((DrdJob *) claimed->pdata[0])->last_error, ==, "KEPCO timeout");
  g_clear_pointer (&claimed, g_ptr_array_unref);

  /* Give up. */
  g_assert_true (drd_store_fail_job (f->store, j2, "gave up", 0, T0 + 61, &error));
  job = drd_store_get_job (f->store, j2, &error);
  g_assert_cmpint (job->state, ==, DRD_JOB_FAILED);
  g_clear_pointer (&job, drd_job_free);

  /* Complete; completing twice is a conflict. */
  g_assert_true (drd_store_complete_job (f->store, j1, T0, &error));
  g_assert_no_error (error);
  g_assert_false (drd_store_complete_job (f->store, j1, T0, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_false (drd_store_complete_job (f->store, 12345, T0, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Crash recovery: a running job becomes pending and due again. */
  claimed = drd_store_claim_jobs (f->store, NULL, T0 + 2 * HOUR, 10, &error);
  g_assert_cmpuint (claimed->len, ==, 1);
  g_assert_finalize_object (g_steal_pointer (&f->store));
  f->store = drd_store_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_true (drd_store_reset_running_jobs (f->store, T0 + 3 * HOUR, &n_reset, &error));
  g_assert_cmpuint (n_reset, ==, 1);
  job = drd_store_get_job (f->store, j3, &error);
  g_assert_cmpint (job->state, ==, DRD_JOB_PENDING);
  g_clear_pointer (&claimed, g_ptr_array_unref);
  claimed = drd_store_claim_jobs (f->store, NULL, T0 + 3 * HOUR, 10, &error);
  g_assert_cmpuint (claimed->len, ==, 1);
  g_assert_cmpint (((DrdJob *) claimed->pdata[0])->id, ==, j3);
}

static void
test_settings_holidays (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) holidays = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_holiday_free);
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *v = NULL;
  DrdHoliday *h;

  v = drd_store_get_setting (f->store, "portal.base_url", &error);
  g_assert_no_error (error);
  g_assert_null (v);
  g_assert_true (drd_store_set_setting (f->store, "portal.base_url", "http://127.0.0.1:8080/", &error));
  g_assert_true (drd_store_set_setting (f->store, "portal.base_url", "https://dr.example.kr/", &error));
  v = drd_store_get_setting (f->store, "portal.base_url", &error);
  g_assert_cmpstr (v, ==, "https://dr.example.kr/");
  g_assert_true (drd_store_set_setting (f->store, "portal.base_url", NULL, &error));
  g_clear_pointer (&v, g_free);
  v = drd_store_get_setting (f->store, "portal.base_url", &error);
  g_assert_null (v);

  h = g_new0 (DrdHoliday, 1);
  strcpy (h->day, "2026-08-15");
  h->name = g_strdup ("광복절");
  g_ptr_array_add (holidays, h);
  h = g_new0 (DrdHoliday, 1);
  strcpy (h->day, "2026-03-01");
  g_ptr_array_add (holidays, h);
  g_assert_true (drd_store_replace_holidays (f->store, holidays, &error));
  g_assert_no_error (error);
  list = drd_store_list_holidays (f->store, &error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((DrdHoliday *) list->pdata[0])->day, ==, "2026-03-01");
  g_assert_null (((DrdHoliday *) list->pdata[0])->name);
  g_assert_cmpstr (((DrdHoliday *) list->pdata[1])->name, ==, "광복절");

  /* A bad date changes nothing. */
  h = g_new0 (DrdHoliday, 1);
  strcpy (h->day, "2026-02-30");
  g_ptr_array_add (holidays, h);
  g_assert_false (drd_store_replace_holidays (f->store, holidays, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_INVALID);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM holidays"), ==, 2);
}

static void
test_meter_days (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) days = NULL;
  DrdMeterDay d = { 0, };
  DrdMeterDay *got;

  add_customers (f, 1);
  d.customer_id = 1;
  strcpy (d.day, "2026-06-30");
  d.fetched_at = T0;
  for (int i = 0; i < DRD_SLOTS_PER_DAY; i++)
    d.slots[i] = i == 5 ? -1 : 1000 + i;
  g_assert_true (drd_store_put_meter_day (f->store, &d, &error));
  strcpy (d.day, "2026-06-28");
  g_assert_true (drd_store_put_meter_day (f->store, &d, &error));
  strcpy (d.day, "2026-07-05");
  g_assert_true (drd_store_put_meter_day (f->store, &d, &error));
  g_assert_no_error (error);

  /* Replace: now complete. */
  strcpy (d.day, "2026-06-30");
  d.slots[5] = 7;
  g_assert_true (drd_store_put_meter_day (f->store, &d, &error));

  days = drd_store_get_meter_days (f->store, 1, "2026-06-28", "2026-06-30", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (days->len, ==, 2);
  got = days->pdata[1];
  g_assert_cmpstr (got->day, ==, "2026-06-30");
  g_assert_cmpint (got->n_present, ==, 96);
  g_assert_cmpint (got->slots[5], ==, 7);
  g_assert_cmpint (got->slots[95], ==, 1095);
  got = days->pdata[0];
  g_assert_cmpint (got->n_present, ==, 95);
  g_assert_cmpint (got->slots[5], ==, -1);

  d.slots[0] = -2;
  g_assert_false (drd_store_put_meter_day (f->store, &d, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_INVALID);
  g_clear_error (&error);
  d.slots[0] = 0;
  d.customer_id = 99;
  g_assert_false (drd_store_put_meter_day (f->store, &d, &error));
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONSTRAINT);
}

/* Three writes in one group: the middle one writes, then fails. Only its
 * own change is rolled back; the others commit in the same transaction. */
typedef struct {
  const char *key;
  gboolean    fail;
} SettingWrite;

static gboolean
setting_write_run (sqlite3  *db,
                   gpointer  data,
                   GError  **error)
{
  SettingWrite *w = data;
  sqlite3_stmt *stmt = drd_store_prepare (db, "INSERT INTO settings (key, value) VALUES (?1, 'x')", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, w->key, -1, SQLITE_STATIC);
  if (!drd_store_step_done (db, stmt, "insert setting", error))
    return FALSE;
  if (w->fail)
    return drd_store_set_invalid (error, "failing on purpose after writing %s", w->key);
  return TRUE;
}

typedef struct {
  guint   pending;
  GError *errors[3];
} IsolationData;

static void
isolation_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  IsolationData *d = user_data;
  guint i = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (result), "index"));

  g_task_propagate_boolean (G_TASK (result), &d->errors[i]);
  d->pending--;
}

static void
test_group_isolation (Fixture       *f,
                      gconstpointer  data)
{
  SettingWrite writes[3] = { { "a", FALSE }, { "b", TRUE }, { "c", FALSE } };
  IsolationData d = { 0, };
  guint64 commits;

  drd_store_set_writer_delay (f->store, 50000);
  commits = drd_store_get_commit_count (f->store);
  for (guint i = 0; i < 3; i++)
    {
      GTask *task = g_task_new (f->store, NULL, isolation_cb, &d);
      g_object_set_data (G_OBJECT (task), "index", GUINT_TO_POINTER (i));
      g_task_set_task_data (task, &writes[i], NULL);
      drd_store_write_in_task (f->store, task, setting_write_run);
      d.pending++;
    }
  while (d.pending > 0)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (drd_store_get_commit_count (f->store) - commits, ==, 1);
  g_assert_no_error (d.errors[0]);
  g_assert_error (d.errors[1], DRD_STORE_ERROR, DRD_STORE_ERROR_INVALID);
  g_assert_no_error (d.errors[2]);
  g_clear_error (&d.errors[1]);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM settings WHERE key IN ('a', 'c')"), ==, 2);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM settings WHERE key = 'b'"), ==, 0);
}

/* Two stores (as two processes would) writing at once: busy_timeout and
 * BEGIN IMMEDIATE keep SQLITE_BUSY from surfacing. */
static gpointer
many_writes_thread (gpointer data)
{
  DrdStore *store = data;
  GError *error = NULL;

  for (int i = 0; i < 100; i++)
    {
      g_autofree char *key = g_strdup_printf ("%p-%d", (void *) store, i);
      if (!drd_store_set_setting (store, key, "v", &error))
        return error;
    }
  return NULL;
}

static void
test_two_writers (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdStore) other = drd_store_open (f->path, &error);
  GThread *t1, *t2;
  GError *e1, *e2;

  g_assert_no_error (error);
  t1 = g_thread_new ("w1", many_writes_thread, f->store);
  t2 = g_thread_new ("w2", many_writes_thread, other);
  e1 = g_thread_join (t1);
  e2 = g_thread_join (t2);
  g_assert_no_error (e1);
  g_assert_no_error (e2);
  g_assert_cmpint (raw_int (f->path, "SELECT count(*) FROM settings"), ==, 200);
  g_assert_finalize_object (g_steal_pointer (&other));
}

static void
test_open_directory (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdStore) store = NULL;

  /* The database path is an existing directory. */
  store = drd_store_open (f->dir, &error);
  g_assert_null (store);
  g_assert_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_SQLITE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, f->dir));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
#define ADD_UNOPENED(path, func) \
  g_test_add (path, Fixture, GINT_TO_POINTER (1), fixture_setup, func, fixture_teardown)

  ADD ("/store/migrate/empty", test_migrate_empty);
  ADD ("/store/migrate/reopen", test_migrate_reopen);
  ADD_UNOPENED ("/store/migrate/newer", test_migrate_newer);
  ADD_UNOPENED ("/store/migrate/foreign", test_migrate_foreign);
  ADD_UNOPENED ("/store/migrate/corrupt", test_migrate_corrupt);
  ADD_UNOPENED ("/store/open/unwritable-dir", test_open_unwritable_dir);
  ADD ("/store/errors/constraints", test_constraints);
  ADD ("/store/customers/import", test_customers_import);
  ADD ("/store/customers/bulk", test_customers_bulk);
  ADD ("/store/customers/reimport-unchanged", test_customers_reimport_unchanged);
  ADD ("/store/events/start", test_events_start);
  ADD ("/store/events/overlap", test_events_overlap);
  ADD ("/store/events/validation", test_events_validation);
  ADD ("/store/events/no-resources", test_events_no_resources);
  ADD ("/store/events/transitions", test_events_transitions);
  ADD ("/store/events/end-early", test_events_end_early);
  ADD ("/store/events/end-scheduled-refused", test_events_end_scheduled_refused);
  ADD ("/store/answers/rules", test_answers_rules);
  ADD ("/store/answers/audit", test_answers_audit);
  ADD ("/store/answers/counts", test_answers_counts);
  ADD ("/store/answers/counts-consistency", test_counts_consistency);
  ADD ("/store/answers/counts-o1", test_counts_o1);
  ADD_UNOPENED ("/store/migrate/v1-to-v2", test_migrate_v1_counts);
  ADD ("/store/async/group-commit", test_group_commit);
  ADD ("/store/async/cancel", test_async_cancel);
  ADD ("/store/async/writer-background", test_writer_background);
  ADD ("/store/async/ops", test_async_ops);
  ADD ("/store/async/group-isolation", test_group_isolation);
  ADD ("/store/concurrency/two-writers", test_two_writers);
  ADD_UNOPENED ("/store/open/directory", test_open_directory);
  ADD ("/store/concurrency/snapshots", test_concurrent_reads);
  ADD ("/store/concurrency/data-version", test_data_version);
  ADD ("/store/ledger", test_ledger);
  ADD ("/store/jobs", test_jobs);
  ADD ("/store/settings-holidays", test_settings_holidays);
  ADD ("/store/meter-days", test_meter_days);

  return g_test_run ();
}
