/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests read and poke the database file directly (a second connection,
 * as another process would). Values go in as bound parameters, never
 * formatted into the SQL: @types names one argument per '?', 'i' for a
 * gint64 and 's' for a string. */
#pragma once

#include <glib.h>
#include <sqlite3.h>
#include <stdarg.h>

static inline void
drd_test_sql_bind (sqlite3_stmt *stmt,
                   const char   *types,
                   va_list       args)
{
  for (int i = 0; types[i] != '\0'; i++)
    {
      if (types[i] == 'i')
        g_assert_cmpint (sqlite3_bind_int64 (stmt, i + 1, va_arg (args, gint64)), ==, SQLITE_OK);
      else if (types[i] == 's')
        g_assert_cmpint (sqlite3_bind_text (stmt, i + 1, va_arg (args, const char *), -1,
                                            SQLITE_TRANSIENT), ==, SQLITE_OK);
      else
        g_assert_not_reached ();
    }
}

/* The first column of the first row (-1 when there is no row or it is NULL). */
static inline gint64
drd_test_sql_int (const char *path,
                  const char *sql,
                  const char *types,
                  ...)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 v = -1;
  va_list args;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  va_start (args, types);
  drd_test_sql_bind (stmt, types, args);
  va_end (args);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    v = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return v;
}

/* Runs one statement that returns no rows. */
static inline void
drd_test_sql_exec (const char *path,
                   const char *sql,
                   const char *types,
                   ...)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  va_list args;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  va_start (args, types);
  drd_test_sql_bind (stmt, types, args);
  va_end (args);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}
