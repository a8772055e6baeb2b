/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Event start for every customer: drd_store_start_event() against the
 * SQLite floor (the sqlite3 CLI doing the same INSERT … SELECT on a copy
 * of the same database). Median of 3 each, per customer count.
 *
 *   bench-event-start [N]...        (default: 100000 1000000)
 */
#include "config.h"

#include "store/drd-store-private.h"

#include <glib/gstdio.h>
#include <stdlib.h>

#define RUNS 3
#define T0 ((gint64) 1782864000)   /* 2026-07-01 00:00 UTC */

static void
die (const char *what,
     GError     *error)
{
  g_printerr ("bench-event-start: %s: %s\n", what, error ? error->message : "failed");
  exit (1);
}

static void
exec_sql (sqlite3    *db,
          const char *sql)
{
  char *err = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &err) != SQLITE_OK)
    {
      g_printerr ("bench-event-start: %s: %s\n", sql, err);
      exit (1);
    }
}

/* A DR Desk database with @n customers in 10 resources, built with plain
 * SQL (the full-text trigger is dropped for the bulk insert and put back,
 * which keeps setup fast; the responses insert does not involve it). */
static void
build_database (const char *path,
                gint64      n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdStore) store = drd_store_open (path, &error);
  g_autofree char *insert = NULL;
  g_autofree char *trigger = NULL;
  sqlite3_stmt *stmt = NULL;
  sqlite3 *db = NULL;

  if (store == NULL)
    die ("open store", error);
  g_clear_object (&store);

  if (sqlite3_open (path, &db) != SQLITE_OK)
    die ("open database", NULL);
  sqlite3_prepare_v2 (db, "SELECT sql FROM sqlite_schema WHERE name = 'customers_search_ai'", -1, &stmt, NULL);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    die ("find trigger", NULL);
  trigger = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);

  exec_sql (db, "BEGIN");
  exec_sql (db, "DROP TRIGGER customers_search_ai");
  exec_sql (db, "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 10) "
                "INSERT INTO resources (id, name) SELECT i, 'Resource ' || i FROM r");
  insert = g_strdup_printf (
      "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %" G_GINT64_FORMAT ") "
      "INSERT INTO customers (id, name, kepco_no, resource_id, registered_w, created_at, updated_at) "
      "SELECT i, 'Customer ' || i, printf('%%010d', i), 1 + i %% 10, 1000 + i %% 5000, 0, 0 FROM s", n);
  exec_sql (db, insert);
  exec_sql (db, trigger);
  exec_sql (db, "COMMIT");
  exec_sql (db, "PRAGMA wal_checkpoint(TRUNCATE)");
  sqlite3_close (db);
}

static void
copy_database (const char *from,
               const char *to)
{
  g_autoptr(GFile) src = g_file_new_for_path (from);
  g_autoptr(GFile) dst = g_file_new_for_path (to);
  g_autoptr(GError) error = NULL;
  g_autofree char *wal = g_strconcat (to, "-wal", NULL);
  g_autofree char *shm = g_strconcat (to, "-shm", NULL);

  g_unlink (wal);
  g_unlink (shm);
  if (!g_file_copy (src, dst, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error))
    die ("copy database", error);
}

static double
time_store (const char *path,
            gint64      n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdStore) store = drd_store_open (path, &error);
  g_autoptr(DrdEvent) event = drd_event_new ();
  gint64 id = 0, n_targeted = 0, t;

  if (store == NULL)
    die ("open store", error);
  event->name = g_strdup ("Bench");
  event->kind = DRD_EVENT_KIND_RELIABILITY;
  event->start_at = T0 + 3600;
  event->end_at = T0 + 7200;
  event->target_w = 1000000;

  t = g_get_monotonic_time ();
  if (!drd_store_start_event (store, event, "bench", T0, &id, &n_targeted, &error))
    die ("start event", error);
  t = g_get_monotonic_time () - t;
  if (n_targeted != n)
    die ("start event targeted the wrong number of customers", NULL);
  return t / 1e6;
}

static double
time_cli (const char *path,
          gint64      n)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *count = NULL;
  const char *sql =
    "BEGIN IMMEDIATE;"
    "INSERT INTO events (name, kind, start_at, end_at, answer_deadline, target_w, status, created_at) "
    "VALUES ('Bench', 0, 1782867600, 1782871200, 1782871200, 1000000, 0, 1782864000);"
    "INSERT INTO responses (event_id, customer_id) SELECT last_insert_rowid(), id FROM customers;"
    "COMMIT;";
  const char *argv[] = { "sqlite3", path, sql, NULL };
  int status = 0;
  gint64 t;

  t = g_get_monotonic_time ();
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     &out, &err, &status, &error)
      || !g_spawn_check_wait_status (status, &error))
    die (err && *err ? err : "sqlite3", error);
  t = g_get_monotonic_time () - t;

  {
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL);
    sqlite3_prepare_v2 (db, "SELECT count(*) FROM responses", -1, &stmt, NULL);
    if (sqlite3_step (stmt) != SQLITE_ROW || sqlite3_column_int64 (stmt, 0) != n)
      die ("sqlite3 CLI inserted the wrong number of rows", NULL);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
  }
  return t / 1e6;
}

static int
cmp_double (gconstpointer a,
            gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *v)
{
  qsort (v, RUNS, sizeof *v, (int (*)(const void *, const void *)) cmp_double);
  return v[RUNS / 2];
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("drd-bench-XXXXXX", &error);
  gint64 sizes[8] = { 100000, 1000000 };
  int n_sizes = 2;

  if (dir == NULL)
    die ("temporary directory", error);
  if (argc > 1)
    {
      n_sizes = MIN (argc - 1, (int) G_N_ELEMENTS (sizes));
      for (int i = 0; i < n_sizes; i++)
        sizes[i] = g_ascii_strtoll (argv[i + 1], NULL, 10);
    }

  g_print ("%10s %12s %12s %8s\n", "customers", "store (s)", "sqlite3 (s)", "ratio");
  for (int k = 0; k < n_sizes; k++)
    {
      gint64 n = sizes[k];
      g_autofree char *base = g_build_filename (dir, "base.db", NULL);
      g_autofree char *copy = g_build_filename (dir, "copy.db", NULL);
      double store_t[RUNS], cli_t[RUNS], s, c;

      g_unlink (base);
      build_database (base, n);
      /* Interleaved, each on a fresh copy of the same file. */
      for (int r = 0; r < RUNS; r++)
        {
          copy_database (base, copy);
          cli_t[r] = time_cli (copy, n);
          copy_database (base, copy);
          store_t[r] = time_store (copy, n);
        }
      s = median (store_t);
      c = median (cli_t);
      g_print ("%10" G_GINT64_FORMAT " %12.3f %12.3f %8.2f\n", n, s, c, s / c);

      for (const char *suffix = ""; suffix != NULL; suffix = *suffix ? NULL : "-wal")
        {
          g_autofree char *a = g_strconcat (base, suffix, NULL);
          g_autofree char *b = g_strconcat (copy, suffix, NULL);
          g_unlink (a);
          g_unlink (b);
        }
      {
        g_autofree char *a = g_strconcat (base, "-shm", NULL);
        g_autofree char *b = g_strconcat (copy, "-shm", NULL);
        g_unlink (a);
        g_unlink (b);
      }
    }
  g_rmdir (dir);
  return 0;
}
