/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers shared by the C programs of tests/stress/: a database with
 * holidays, customers and events, the in-process or built KEPCO simulator,
 * and small SQL readers. Header-only (static functions) so each test stays
 * one file. */
#pragma once

#include "config.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "../drd-test-sql.h"
#include "core/drd-calendar.h"
#include "core/drd-time.h"
#include "kepco/drd-kepco-client.h"
#include "kepco/drd-kepco-sim.h"
#include "store/drd-store-settle.h"

#define STRESS_SEED 42

static inline gint64
stress_iso (const char *text)
{
  gint64 t = 0;

  g_assert_true (drd_time_parse_iso8601 (text, &t, NULL));
  return t;
}

static inline void
stress_load_holidays (DrdStore *store)
{
  g_autofree char *path = g_build_filename (g_getenv ("DRD_SOURCE_DIR"), "data", "holidays-kr.csv", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdCalendar) calendar = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_holiday_free);
  g_autofree DrdDate *days = NULL;
  guint n = 0;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  calendar = drd_calendar_new_from_data (text, -1, &error);
  g_assert_no_error (error);
  days = drd_calendar_list (calendar, drd_date_from_ymd (2024, 1, 1), drd_date_from_ymd (2027, 12, 31), &n);
  for (guint i = 0; i < n; i++)
    {
      DrdHoliday *h = g_new0 (DrdHoliday, 1);

      drd_date_format_buf (days[i], h->day);
      h->name = g_strdup (drd_calendar_get_name (calendar, days[i]));
      g_ptr_array_add (rows, h);
    }
  g_assert_true (drd_store_replace_holidays (store, rows, &error));
  g_assert_no_error (error);
}

static inline char *
stress_kepco_no (guint i)
{
  return g_strdup_printf ("%u", 3100000 + i * 7919);
}

static inline void
stress_add_customers (DrdStore *store,
                      guint     n)
{
  g_autoptr(GPtrArray) customers = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_customer_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdStoreImportResult) res = NULL;

  for (guint i = 1; i <= n; i++)
    {
      DrdCustomer *c = drd_customer_new ();

      c->id = i;
      c->name = g_strdup_printf ("Customer %u", i);
      c->kepco_no = stress_kepco_no (i);
      c->resource = g_strdup (i % 2 == 0 ? "east" : "west");
      c->registered_w = 10000 + i * 100;
      c->cbl_method = i % 3 == 0 ? DRD_CBL_MAX_4_5 : DRD_CBL_MID_6_10;
      c->is_factory = i % 4 == 0;
      g_ptr_array_add (customers, c);
    }
  res = drd_store_import_customers (store, customers, "test", 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (res->n_inserted, ==, n);
}

/* Starts an event as the operator would have at @created (so an event
 * created before its end is a live one for the dispatcher). */
static inline gint64
stress_start_event (DrdStore   *store,
                    const char *name,
                    gint64      start,
                    gint64      end,
                    gint64      created)
{
  g_autoptr(DrdEvent) e = drd_event_new ();
  g_autoptr(GError) error = NULL;
  gint64 id = 0, n = 0;

  e->name = g_strdup (name);
  e->kind = DRD_EVENT_KIND_RELIABILITY;
  e->start_at = start;
  e->end_at = end;
  e->target_w = 500000;
  g_assert_true (drd_store_start_event (store, e, "operator:test", created, &id, &n, &error));
  g_assert_no_error (error);
  return id;
}

static inline DrdAnswer
stress_answer_of (guint i)
{
  switch (i % 4)
    {
    case 0: case 1: return DRD_ANSWER_ACCEPT;
    case 2: return DRD_ANSWER_DENY;
    default: return DRD_ANSWER_NONE;
    }
}

static inline void
stress_answer_all (DrdStore *store,
                   gint64    event,
                   guint     n)
{
  g_autoptr(GError) error = NULL;

  for (guint i = 1; i <= n; i++)
    if (stress_answer_of (i) != DRD_ANSWER_NONE)
      {
        g_assert_true (drd_store_record_answer (store, event, i, stress_answer_of (i), DRD_CHANNEL_OPERATOR,
                                                "operator:test", drd_store_now (), NULL, &error));
        g_assert_no_error (error);
      }
}

static inline DrdKepcoSim *
stress_start_sim (gint64 start,
                  gint64 end)
{
  DrdKepcoSimConfig config;
  g_autoptr(GError) error = NULL;
  DrdKepcoSim *sim;

  drd_kepco_sim_config_init (&config);
  config.seed = STRESS_SEED;
  sim = drd_kepco_sim_new (&config);
  g_assert_true (drd_kepco_sim_listen (sim, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  drd_kepco_sim_add_event (sim, start, end);
  return sim;
}

static inline DrdKepcoClient *
stress_new_client (const char *url)
{
  DrdKepcoClient *client = drd_kepco_client_new (url, "test-key");

  g_object_set (client, "max-in-flight", 8, "backoff-base-ms", 5, "backoff-cap-ms", 40,
                "breaker-cooldown-ms", 200, "timeout-ms", 2000, NULL);
  return client;
}

static inline void
stress_rm_rf (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);

      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        stress_rm_rf (p);
      else
        g_unlink (p);
    }
  g_rmdir (dir);
}

/* One integer from SQL (read-only connection of its own). */
static inline gint64
stress_sql_int (const char *db_path,
                const char *sql,
                const char *types,
                ...)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  va_list args;
  gint64 v;

  g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_test_message ("%s: %s", sql, sqlite3_errmsg (db));
      g_assert_not_reached ();
    }
  va_start (args, types);
  drd_test_sql_bind (stmt, types, args);
  va_end (args);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  v = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return v;
}

/* Every row of @sql as "a|b|c\n" lines (for comparing tables); values
 * bound as in drd-test-sql.h. */
static inline char *
stress_sql_dump (const char *db_path,
                 const char *sql,
                 const char *types,
                 ...)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  GString *s = g_string_new (NULL);
  va_list args;
  int rc;

  g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_test_message ("%s: %s", sql, sqlite3_errmsg (db));
      g_assert_not_reached ();
    }
  va_start (args, types);
  drd_test_sql_bind (stmt, types, args);
  va_end (args);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      for (int k = 0; k < sqlite3_column_count (stmt); k++)
        {
          const char *t = (const char *) sqlite3_column_text (stmt, k);

          g_string_append (s, t != NULL ? t : "NULL");
          g_string_append_c (s, k + 1 < sqlite3_column_count (stmt) ? '|' : '\n');
        }
    }
  g_assert_cmpint (rc, ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return g_string_free (s, FALSE);
}

static inline gboolean
stress_timeout_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}
