/* SPDX-License-Identifier: GPL-3.0-or-later */
/* drdeskctl as users run it: the real binary in a subprocess, on real
 * SQLite files in a temporary directory. */
#include "../drd-test-sql.h"
#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "store/drd-store.h"

static char *drdeskctl;

typedef struct {
  char *dir;
  char *db;
} Fixture;

typedef struct {
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}

static char *
bytes_to_string (GBytes *bytes)
{
  gsize len = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;

  return g_strndup (data != NULL ? data : "", len);
}

/* Runs drdeskctl with ARGV (NULL-terminated, without the program). ENV:
 * NULL-terminated KEY, VALUE pairs to set, or NULL. */
static Run
run_stdin (const char *const *env, const char *input, const char *const *argv)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE
                               | (input != NULL ? G_SUBPROCESS_FLAGS_STDIN_PIPE : 0));
  g_autoptr(GBytes) in = input != NULL ? g_bytes_new (input, strlen (input)) : NULL;
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GBytes) out = NULL, err = NULL;
  g_autoptr(GError) error = NULL;
  Run r = { -1, NULL, NULL };

  g_ptr_array_add (args, drdeskctl);
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) argv[i]);
  g_ptr_array_add (args, NULL);
  for (guint i = 0; env != NULL && env[i] != NULL; i += 2)
    g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);

  proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) args->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate (proc, in, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  r.status = g_subprocess_get_exit_status (proc);
  r.out = bytes_to_string (out);
  r.err = bytes_to_string (err);
  if (g_test_verbose ())
    g_test_message ("exit %d\nstdout: %.2000s\nstderr: %.2000s", r.status, r.out, r.err);
  return r;
}

static Run
run_env (const char *const *env, const char *const *argv)
{
  return run_stdin (env, NULL, argv);
}

/* Runs with "--db DB" appended (after the command: both places work). */
static Run
run_db (Fixture *f, const char *const *argv)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();

  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) argv[i]);
  g_ptr_array_add (args, "--db");
  g_ptr_array_add (args, f->db);
  g_ptr_array_add (args, NULL);
  return run_env (NULL, (const char *const *) args->pdata);
}

#define RUN(f, ...) run_db ((f), (const char *const []) { __VA_ARGS__, NULL })
#define RUN_RAW(...) run_env (NULL, (const char *const []) { __VA_ARGS__, NULL })

/* Exactly one line, "drdeskctl: ..." */
static void
assert_one_error_line (const char *err)
{
  g_assert_true (g_str_has_prefix (err, "drdeskctl: "));
  g_assert_nonnull (strchr (err, '\n'));
  g_assert_cmpstr (strchr (err, '\n') + 1, ==, "");
}

static char *
write_file (Fixture *f, const char *name, const char *contents)
{
  char *path = g_build_filename (f->dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static sqlite3 *
open_db (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

static gint64
sql_int (const char *path, const char *sql)
{
  sqlite3 *db = open_db (path);
  sqlite3_stmt *stmt = NULL;
  gint64 v;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  v = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return v;
}

static void
sql_exec (const char *path, const char *sql)
{
  sqlite3 *db = open_db (path);
  char *msg = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
  sqlite3_close (db);
}

static void
rm_rf (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          rm_rf (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("drdeskctl-XXXXXX", &error);
  g_assert_no_error (error);
  f->db = g_build_filename (f->dir, "test.db", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->db);
}

static void
init_db (Fixture *f)
{
  Run r = RUN (f, "init");

  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
}

/* ------------------------------------------------------------------ */

static void
test_usage (Fixture *f, gconstpointer data)
{
  static const char *const helps[][3] = {
    { "init", NULL }, { "demo", NULL }, { "customers", NULL },
    { "customers", "import" }, { "customers", "list" }, { "event", NULL },
    { "event", "start" }, { "event", "end" }, { "event", "cancel" }, { "event", "list" },
    { "answer", NULL }, { "baseline", NULL },
  };
  Run r;

  r = RUN_RAW ("--help");
  g_assert_cmpint (r.status, ==, 0);
  for (const char *const *w = (const char *const []) { "init", "demo", "customers import",
                                                       "customers list", "event start",
                                                       "answer", "baseline", "--db", NULL };
       *w != NULL; w++)
    g_assert_nonnull (strstr (r.out, *w));
  g_assert_cmpstr (r.err, ==, "");
  run_clear (&r);

  for (gsize i = 0; i < G_N_ELEMENTS (helps); i++)
    {
      r = helps[i][1] != NULL ? RUN_RAW (helps[i][0], helps[i][1], "--help")
                              : RUN_RAW (helps[i][0], "--help");
      g_assert_cmpint (r.status, ==, 0);
      g_assert_nonnull (strstr (r.out, helps[i][0]));
      g_assert_cmpstr (r.err, ==, "");
      run_clear (&r);
    }

  /* the command names its output columns */
  r = RUN_RAW ("event", "list", "--help");
  g_assert_nonnull (strstr (r.out, "no_response"));
  run_clear (&r);

  r = RUN_RAW (NULL);
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);

  r = RUN_RAW ("frobnicate");
  g_assert_cmpint (r.status, ==, 2);
  assert_one_error_line (r.err);
  g_assert_nonnull (strstr (r.err, "frobnicate"));
  run_clear (&r);

  r = RUN_RAW ("--bogus");
  g_assert_cmpint (r.status, ==, 2);
  assert_one_error_line (r.err);
  run_clear (&r);

  r = RUN_RAW ("init", "--db");
  g_assert_cmpint (r.status, ==, 2);
  assert_one_error_line (r.err);
  run_clear (&r);

  r = RUN (f, "customers");
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);

  r = RUN (f, "customers", "export");
  g_assert_cmpint (r.status, ==, 2);
  assert_one_error_line (r.err);
  run_clear (&r);

  r = RUN (f, "customers", "list", "--format", "xml");
  g_assert_cmpint (r.status, ==, 2);
  assert_one_error_line (r.err);
  run_clear (&r);

  r = RUN (f, "init", "extra");
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);

  r = RUN (f, "demo", "--customers", "many");
  g_assert_cmpint (r.status, ==, 2);
  assert_one_error_line (r.err);
  run_clear (&r);

  r = RUN (f, "demo", "--customers", "0");
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);

  /* nothing was created by the refused commands */
  g_assert_false (g_file_test (f->db, G_FILE_TEST_EXISTS));

  r = RUN_RAW ("--version");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_str_has_prefix (r.out, "drdeskctl "));
  run_clear (&r);
}

static guint
count_holiday_lines (const char *path)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GHashTable) days = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *l = g_strstrip (lines[i]);
      if (g_ascii_isdigit (l[0]))
        g_hash_table_add (days, g_strndup (l, 10));
    }
  return g_hash_table_size (days);
}

static void
test_init (Fixture *f, gconstpointer data)
{
  g_autofree char *holidays = g_build_filename (g_getenv ("DRD_SOURCE_DIR"), "data",
                                                "holidays-kr.csv", NULL);
  g_autofree char *xdg = g_build_filename (f->dir, "xdg", NULL);
  g_autofree char *default_db = g_build_filename (xdg, "drdesk", "drdesk.db", NULL);
  g_autofree char *expected = NULL;
  Run r;

  /* other commands do not create a database */
  r = RUN (f, "customers", "list");
  g_assert_cmpint (r.status, ==, 1);
  assert_one_error_line (r.err);
  g_assert_nonnull (strstr (r.err, "init"));
  g_assert_false (g_file_test (f->db, G_FILE_TEST_EXISTS));
  run_clear (&r);

  /* --db before the command */
  r = RUN_RAW ("--db", f->db, "init");
  g_assert_cmpint (r.status, ==, 0);
  expected = g_strconcat (f->db, "\n", NULL);
  g_assert_cmpstr (r.out, ==, expected);
  run_clear (&r);
  g_assert_cmpint (sql_int (f->db, "PRAGMA user_version"), ==, DRD_STORE_SCHEMA_VERSION);
  g_assert_cmpint (sql_int (f->db, "SELECT count(*) FROM holidays"), ==,
                   count_holiday_lines (holidays));

  /* an operator's own holiday survives a second init */
  sql_exec (f->db, "INSERT INTO holidays VALUES ('2031-03-03', 'company day')");
  r = RUN (f, "init");
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  g_assert_cmpint (sql_int (f->db, "SELECT count(*) FROM holidays WHERE day = '2031-03-03'"), ==, 1);

  /* --db=PATH works too */
  {
    g_autofree char *other = g_build_filename (f->dir, "other.db", NULL);
    g_autofree char *opt = g_strconcat ("--db=", other, NULL);
    r = RUN_RAW ("init", opt);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_true (g_str_has_prefix (r.out, other));
    run_clear (&r);
  }

  /* default: the user data directory */
  r = run_env ((const char *const []) { "XDG_DATA_HOME", xdg, NULL },
               (const char *const []) { "init", NULL });
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_str_has_prefix (r.out, default_db));
  g_assert_true (g_file_test (default_db, G_FILE_TEST_IS_REGULAR));
  run_clear (&r);

  /* not a DR Desk database */
  {
    g_autofree char *junk = write_file (f, "junk.db", "this is not sqlite at all, just text\n");
    r = RUN_RAW ("--db", junk, "init");
    g_assert_cmpint (r.status, ==, 1);
    assert_one_error_line (r.err);
    run_clear (&r);
  }
}

static char *
list_csv (Fixture *f, const char *db)
{
  Run r = RUN_RAW ("customers", "list", "--db", db);

  g_assert_cmpint (r.status, ==, 0);
  g_free (r.err);
  return r.out;
}

static void
test_demo_deterministic (Fixture *f, gconstpointer data)
{
  g_autofree char *a = g_build_filename (f->dir, "a.db", NULL);
  g_autofree char *b = g_build_filename (f->dir, "b.db", NULL);
  g_autofree char *c = g_build_filename (f->dir, "c.db", NULL);
  g_autofree char *la = NULL, *lb = NULL, *lc = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GRegex) phone = g_regex_new ("^010-[0-9]{4}-[0-9]{4}$", 0, 0, NULL);
  g_autoptr(GHashTable) kepco = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n_factory = 0, n_mid = 0, n_rows = 0;
  Run r;

  r = RUN_RAW ("demo", "--customers", "2000", "--seed", "42", "--db", a);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "");
  run_clear (&r);
  r = RUN_RAW ("--db", b, "demo", "--seed", "42", "--customers", "2000");
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  r = RUN_RAW ("demo", "--customers", "2000", "--seed", "43", "--db", c);
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);

  la = list_csv (f, a);
  lb = list_csv (f, b);
  lc = list_csv (f, c);
  g_assert_cmpstr (la, ==, lb);
  g_assert_cmpstr (la, !=, lc);

  /* running it again changes nothing */
  r = RUN_RAW ("demo", "--customers", "2000", "--seed", "42", "--db", a);
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  {
    g_autofree char *again = list_csv (f, a);
    g_assert_cmpstr (again, ==, la);
  }

  /* plausible data */
  lines = g_strsplit (la, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "customer_id,name,kepco_customer_no,resource,registered_kw,"
                                 "cbl_method,is_factory,phone,email,webhook_url");
  for (guint i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      g_auto(GStrv) col = g_strsplit (lines[i], ",", -1);

      g_assert_cmpuint (g_strv_length (col), ==, 10);
      n_rows++;
      g_assert_cmpint (g_ascii_strtoll (col[0], NULL, 10), ==, i);
      g_assert_true (g_utf8_validate (col[1], -1, NULL));
      g_assert_cmpuint (strlen (col[2]), ==, 10);
      g_assert_false (g_hash_table_contains (kepco, col[2]));
      g_hash_table_add (kepco, g_strdup (col[2]));
      if (g_str_equal (col[6], "true"))
        n_factory++;
      if (g_str_equal (col[5], "mid-6-10"))
        n_mid++;
      if (col[7][0] != '\0')
        g_assert_true (g_regex_match (phone, col[7], 0, NULL));
      g_assert_cmpstr (col[9], ==, "");
    }
  g_assert_cmpuint (n_rows, ==, 2000);
  g_assert_cmpuint (n_factory, >, 2000 * 10 / 100);
  g_assert_cmpuint (n_factory, <, 2000 * 20 / 100);
  g_assert_cmpuint (n_mid, >, 2000 * 65 / 100);
  g_assert_cmpuint (n_mid, <, 2000 * 75 / 100);
  g_assert_cmpint (sql_int (a, "SELECT count(*) FROM resources"), >=, 6);
  /* factories are the big ones */
  g_assert_cmpint (sql_int (a, "SELECT avg(registered_w) FROM customers WHERE is_factory"), >,
                   10 * sql_int (a, "SELECT avg(registered_w) FROM customers WHERE NOT is_factory"));
  /* family names by frequency: 김 is the most common */
  g_assert_cmpint (sql_int (a, "SELECT count(*) FROM customers WHERE name LIKE '김%'"), >,
                   sql_int (a, "SELECT count(*) FROM customers WHERE name LIKE '박%'"));
}

static gint64
start_event (Fixture *f, const char *name, const char *start, const char *end,
             const char *resource)
{
  Run r = resource != NULL
          ? RUN (f, "event", "start", "--name", name, "--kind", "reliability", "--start", start,
                 "--end", end, "--target-kw", "100", "--resource", resource)
          : RUN (f, "event", "start", "--name", name, "--kind", "reliability", "--start", start,
                 "--end", end, "--target-kw", "100");
  gint64 id;

  g_assert_cmpint (r.status, ==, 0);
  id = g_ascii_strtoll (r.out, NULL, 10);
  g_assert_cmpint (id, >, 0);
  run_clear (&r);
  return id;
}

static void
test_demo_large_event (Fixture *f, gconstpointer data)
{
  gint64 t0 = g_get_monotonic_time ();
  gint64 id;
  Run r;

  r = RUN (f, "demo", "--customers", "100000", "--seed", "5");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "100000 / 100000"));
  run_clear (&r);
  g_test_message ("demo 100000: %.2f s", (g_get_monotonic_time () - t0) / 1e6);
  g_assert_cmpint (sql_int (f->db, "SELECT count(*) FROM customers"), ==, 100000);

  t0 = g_get_monotonic_time ();
  r = RUN (f, "event", "start", "--name", "Heat wave", "--kind", "economic",
           "--start", "2030-08-01T14:00:00+09:00", "--end", "2030-08-01T16:00:00+09:00",
           "--target-kw", "50000.5");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "100000 customers targeted"));
  id = g_ascii_strtoll (r.out, NULL, 10);
  run_clear (&r);
  g_test_message ("event start 100000: %.2f s", (g_get_monotonic_time () - t0) / 1e6);

  g_assert_cmpint (drd_test_sql_int (f->db, "SELECT count(*) FROM responses WHERE event_id = ?"
                                    " AND answer = 0", "i", id), ==, 100000);
  g_assert_cmpint (sql_int (f->db, "SELECT target_w FROM events"), ==, 50000500);
}

/* ---- import ---- */

#define HEADER "customer_id,name,kepco_customer_no,resource,registered_kw,cbl_method,is_factory,phone,email,webhook_url\n"

static void
test_import_good (Fixture *f, gconstpointer data)
{
  /* columns in another order, optional ones absent, BOM and CRLF */
  g_autofree char *csv = write_file (f, "good.csv",
    "\xEF\xBB\xBF" "registered_kw,Name,customer_id,kepco_customer_no,is_factory\r\n"
    "3.5,김민수,1,1234567890,false\r\n"
    "\"1,200.125\",bad,2,1234567891,true\r\n"
    "1200.125,\"(주)한빛, 정밀\",3,1234567892,TRUE\r\n"
    "0,\"이 \"\"큰\"\" 집\",4,0000000001,\r\n");
  g_autofree char *out = NULL;
  Run r;

  init_db (f);
  r = RUN (f, "customers", "import", csv);
  g_assert_cmpint (r.status, ==, 1);      /* row 3: "1,200.125" */
  g_assert_true (g_str_has_prefix (r.err, "3: registered_kw"));
  run_clear (&r);

  out = list_csv (f, f->db);
  g_assert_cmpstr (out, ==,
    "customer_id,name,kepco_customer_no,resource,registered_kw,cbl_method,is_factory,phone,email,webhook_url\n"
    "1,김민수,1234567890,default,3.500,mid-6-10,false,,,\n"
    "3,\"(주)한빛, 정밀\",1234567892,default,1200.125,mid-6-10,true,,,\n"
    "4,\"이 \"\"큰\"\" 집\",0000000001,default,0.000,mid-6-10,false,,,\n");
  g_assert_cmpint (sql_int (f->db, "SELECT registered_w FROM customers WHERE id = 3"), ==, 1200125);
}

static void
test_import_bad_rows (Fixture *f, gconstpointer data)
{
  g_autofree char *first = write_file (f, "first.csv",
    HEADER "900,기존,5555555555,r1,1,,,,,\n");
  /* Physical lines: a quoted name spanning three lines (2-4) shifts all
   * later rows; each bad row is named by the line where it starts. */
  g_autofree char *csv = write_file (f, "bad.csv",
    HEADER                                                        /* 1 */
    "1,\"여러\n줄\n이름\",1000000001,r1,1.5,max-4-5,false,010-1234-5678,a@example.com,https://hooks.example.com/x\n" /* 2-4 */
    "0,영,1000000002,r1,1,,,,,\n"                                 /* 5 zero id */
    "abc,가,1000000003,r1,1,,,,,\n"                               /* 6 id not a number */
    "7,,1000000004,r1,1,,,,,\n"                                   /* 7 empty name */
    "8,나,10-0000005,r1,1,,,,,\n"                                 /* 8 kepco not digits */
    "9,다,1000000006,r1,-1,,,,,\n"                                /* 9 negative kW */
    "10,라,1000000007,r1,1.2345,,,,,\n"                           /* 10 4 decimals */
    "11,마,1000000008,r1,1,max-5-6,,,,\n"                         /* 11 bad method */
    "12,바,1000000009,r1,1,,yes,,,\n"                             /* 12 bad is_factory */
    "13,사,1000000010,r1,1,,,,,ftp://example.com/hook\n"          /* 13 bad webhook scheme */
    "1,아,1000000011,r1,1,,,,,\n"                                 /* 14 duplicate id */
    "15,자,1000000001,r1,1,,,,,\n"                                /* 15 duplicate kepco */
    "16,차,5555555555,r1,1,,,,,\n"                                /* 16 kepco of customer 900 */
    "17,카,1000000017,r1,abc,,,,,\n"                              /* 17 kW not a number */
    "18,\"타\"x,1000000018,r1,1,,,,,\n"                           /* 18 CSV quote error */
    "19,파,1000000019,,2,,true,,,\n"                              /* 19 good, default resource */
    "20,하,1000000020,r2,\n"                                      /* 20 empty kW */
    "21,거,1000000021,r1,1,,,,not-an-email,\n");                  /* 21 bad e-mail */
  static const char *const expected[] = {
    "5: ", "6: ", "7: ", "8: ", "9: ", "10: ", "11: ", "12: ", "13: ", "14: ", "15: ",
    "16: ", "17: ", "18: ", "20: ", "21: ",
  };
  g_auto(GStrv) lines = NULL;
  guint n_line_errors = 0;
  Run r;

  init_db (f);
  r = RUN (f, "customers", "import", first);
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);

  r = RUN (f, "customers", "import", csv);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_cmpstr (r.out, ==, "");
  lines = g_strsplit (r.err, "\n", -1);
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      gboolean found = FALSE;
      for (guint j = 0; lines[j] != NULL; j++)
        found |= g_str_has_prefix (lines[j], expected[i]);
      if (!found)
        g_error ("no error for line %s in:\n%s", expected[i], r.err);
    }
  for (guint j = 0; lines[j] != NULL; j++)
    if (g_ascii_isdigit (lines[j][0]))
      n_line_errors++;
  g_assert_cmpuint (n_line_errors, ==, G_N_ELEMENTS (expected));
  /* reasons name the field */
  g_assert_nonnull (strstr (r.err, "customer_id"));
  g_assert_nonnull (strstr (r.err, "name is empty"));
  g_assert_nonnull (strstr (r.err, "kepco_customer_no"));
  g_assert_nonnull (strstr (r.err, "registered_kw"));
  g_assert_nonnull (strstr (r.err, "cbl_method"));
  g_assert_nonnull (strstr (r.err, "is_factory"));
  g_assert_nonnull (strstr (r.err, "webhook_url"));
  g_assert_nonnull (strstr (r.err, "21: email"));
  g_assert_nonnull (strstr (r.err, "already on line 2"));
  /* the last line is the one-line summary */
  g_assert_true (g_str_has_prefix (lines[g_strv_length (lines) - 2], "drdeskctl: "));
  run_clear (&r);

  /* valid rows are in */
  g_assert_cmpint (sql_int (f->db, "SELECT count(*) FROM customers"), ==, 3);
  g_assert_cmpint (sql_int (f->db, "SELECT count(*) FROM customers WHERE id = 1 AND "
                                   "name = '여러' || char(10) || '줄' || char(10) || '이름' AND "
                                   "cbl_method = 1 AND registered_w = 1500 AND "
                                   "webhook_url = 'https://hooks.example.com/x'"), ==, 1);
  g_assert_cmpint (sql_int (f->db, "SELECT count(*) FROM customers c JOIN resources r "
                                   "ON r.id = c.resource_id WHERE c.id = 19 AND "
                                   "r.name = 'default' AND c.is_factory = 1"), ==, 1);
  /* customer 900 kept its number */
  g_assert_cmpint (sql_int (f->db, "SELECT count(*) FROM customers WHERE kepco_no = '5555555555' "
                                   "AND id = 900"), ==, 1);
}

/* CRLF line ends, and a CRLF inside a quoted field: still physical lines */
static void
test_import_crlf_lines (Fixture *f, gconstpointer data)
{
  g_autofree char *csv = write_file (f, "crlf.csv",
    "\xEF\xBB\xBF" "customer_id,name,kepco_customer_no,registered_kw\r\n"   /* 1 */
    "1,\"two\r\nlines\",1000000001,1\r\n"                                   /* 2-3 */
    "2,b,1000000002,x\r\n"                                                     /* 4 */
    "\r\n"                                                                     /* 5 empty */
    "3,c,1000000003,1.5\r\n"                                                   /* 6 */
    "4,,1000000004,1\r\n");                                                   /* 7 */
  Run r;

  init_db (f);
  r = RUN (f, "customers", "import", csv);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_true (g_str_has_prefix (r.err, "4: registered_kw"));
  g_assert_nonnull (strstr (r.err, "\n7: name is empty\n"));
  run_clear (&r);
  g_assert_cmpint (sql_int (f->db, "SELECT count(*) FROM customers"), ==, 2);
  g_assert_cmpint (sql_int (f->db, "SELECT count(*) FROM customers WHERE id = 1 AND "
                                   "name = 'two' || char(13) || char(10) || 'lines'"), ==, 1);
}

static void
test_import_header (Fixture *f, gconstpointer data)
{
  g_autofree char *no_kw = write_file (f, "nokw.csv", "customer_id,name,kepco_customer_no\n1,a,1\n");
  g_autofree char *empty = write_file (f, "empty.csv", "");
  g_autofree char *missing = g_build_filename (f->dir, "missing.csv", NULL);
  Run r;

  init_db (f);
  r = RUN (f, "customers", "import", no_kw);
  g_assert_cmpint (r.status, ==, 1);
  assert_one_error_line (r.err);
  g_assert_nonnull (strstr (r.err, "registered_kw"));
  run_clear (&r);

  r = RUN (f, "customers", "import", empty);
  g_assert_cmpint (r.status, ==, 1);
  assert_one_error_line (r.err);
  run_clear (&r);

  r = RUN (f, "customers", "import", missing);
  g_assert_cmpint (r.status, ==, 1);
  assert_one_error_line (r.err);
  run_clear (&r);

  r = RUN (f, "customers", "import");
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);

  g_assert_cmpint (sql_int (f->db, "SELECT count(*) FROM customers"), ==, 0);
}

static void
test_import_reimport (Fixture *f, gconstpointer data)
{
  g_autofree char *v1 = write_file (f, "v1.csv",
    HEADER
    "1,홍길동,1111111111,seoul,3,mid-6-10,false,010-1111-2222,hong@example.com,\n"
    "2,\"(주)대성, 산업\",2222222222,ulsan,1500.5,max-4-5,true,,,http://127.0.0.1:9/hook\n");
  g_autofree char *v2 = write_file (f, "v2.csv",
    HEADER
    "1,홍길순,1111111112,busan,4.25,max-4-5,true,,,\n");
  g_autofree char *b = g_build_filename (f->dir, "b.db", NULL);
  g_autofree char *list1 = NULL, *list2 = NULL, *listb = NULL, *copy = NULL;
  Run r;

  init_db (f);
  r = RUN (f, "customers", "import", v1);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "2 inserted"));
  run_clear (&r);
  list1 = list_csv (f, f->db);

  r = RUN (f, "customers", "import", v2);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "1 updated"));
  run_clear (&r);
  list2 = list_csv (f, f->db);
  /* one audit row per import, by the operator */
  g_assert_cmpint (sql_int (f->db, "SELECT count(*) FROM audit_log WHERE action = 'customer.import' "
                                   "AND actor LIKE 'operator:%'"), ==, 2);
  /* the renamed customer is found by the grid's search under its new name only */
  g_assert_cmpint (sql_int (f->db, "SELECT count(*) FROM customers_search WHERE customers_search "
                                   "MATCH '\"홍길순\"'"), ==, 1);
  g_assert_cmpint (sql_int (f->db, "SELECT count(*) FROM customers_search WHERE customers_search "
                                   "MATCH '\"홍길동\"'"), ==, 0);
  g_assert_cmpstr (list2, ==,
    "customer_id,name,kepco_customer_no,resource,registered_kw,cbl_method,is_factory,phone,email,webhook_url\n"
    "1,홍길순,1111111112,busan,4.250,max-4-5,true,,,\n"
    "2,\"(주)대성, 산업\",2222222222,ulsan,1500.500,max-4-5,true,,,http://127.0.0.1:9/hook\n");

  /* list output re-imports to the same list (from a file, or "-" = stdin) */
  copy = write_file (f, "copy.csv", list2);
  r = RUN_RAW ("init", "--db", b);
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  r = run_stdin (NULL, list1, (const char *const []) { "customers", "import", "-", "--db", b, NULL });
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "2 inserted"));
  run_clear (&r);
  r = RUN_RAW ("customers", "import", copy, "--db", b);
  g_assert_cmpint (r.status, ==, 0);
  /* customer 1 changed; customer 2 is identical and not rewritten */
  g_assert_nonnull (strstr (r.err, "0 inserted, 1 updated, 1 unchanged"));
  run_clear (&r);
  listb = list_csv (f, b);
  g_assert_cmpstr (listb, ==, list2);
  g_assert_cmpstr (list1, !=, list2);
}

static void
test_list_json (Fixture *f, gconstpointer data)
{
  g_autofree char *v1 = write_file (f, "v1.csv",
    HEADER
    "1,\"홍\"\"길\\동\",1111111111,seoul,3,mid-6-10,false,010-1111-2222,hong@example.com,\n"
    "2,대성,2222222222,ulsan,1500.5,max-4-5,true,,,http://127.0.0.1:9/hook\n");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *array;
  JsonObject *o;
  Run r;

  init_db (f);
  r = RUN (f, "customers", "list", "--format", "json");
  g_assert_cmpint (r.status, ==, 0);
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (json_parser_get_root (parser))), ==, 0);
  run_clear (&r);

  r = RUN (f, "customers", "import", v1);
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  r = RUN (f, "customers", "list", "--format", "json");
  g_assert_cmpint (r.status, ==, 0);
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  o = json_array_get_object_element (array, 0);
  g_assert_cmpint (json_object_get_int_member (o, "customer_id"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (o, "name"), ==, "홍\"길\\동");
  g_assert_cmpstr (json_object_get_string_member (o, "phone"), ==, "010-1111-2222");
  g_assert_true (json_object_get_null_member (o, "webhook_url"));
  g_assert_false (json_object_get_boolean_member (o, "is_factory"));
  o = json_array_get_object_element (array, 1);
  g_assert_cmpfloat (json_object_get_double_member (o, "registered_kw"), ==, 1500.5);
  g_assert_cmpstr (json_object_get_string_member (o, "cbl_method"), ==, "max-4-5");
  g_assert_true (json_object_get_boolean_member (o, "is_factory"));
  g_assert_cmpstr (json_object_get_string_member (o, "resource"), ==, "ulsan");
  run_clear (&r);
}

/* ---- events and answers ---- */

static void
import_small (Fixture *f)
{
  g_autofree char *csv = write_file (f, "small.csv",
    HEADER
    "1,김일,1000000001,r1,10,,,,,\n"
    "2,이이,1000000002,r1,20,,,,,\n"
    "3,박삼,1000000003,r2,30,,,,,\n");
  Run r;

  init_db (f);
  r = RUN (f, "customers", "import", csv);
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
}

static void
test_event_errors (Fixture *f, gconstpointer data)
{
  static const struct { int status; const char *args[16]; const char *needle; } cases[] = {
    { 2, { "--kind", "reliability", "--start", "2030-07-01T14:00:00+09:00", "--end",
           "2030-07-01T15:00:00+09:00", "--target-kw", "5" }, "--name" },
    { 2, { "--name", "x", "--kind", "holiday", "--start", "2030-07-01T14:00:00+09:00", "--end",
           "2030-07-01T15:00:00+09:00", "--target-kw", "5" }, "--kind" },
    { 2, { "--name", "x", "--kind", "economic", "--start", "2030-07-01T14:00:00+09:00", "--end",
           "2030-07-01T15:00:00+09:00" }, "--target-kw" },
    { 2, { "--name", "x", "--kind", "economic", "--start", "2030-07-01T14:00:00+09:00", "--end",
           "2030-07-01T15:00:00+09:00", "--target-kw", "5", "--colour", "red" }, "colour" },
    { 1, { "--name", "x", "--kind", "economic", "--start", "2030-07-01T14:10:00+09:00", "--end",
           "2030-07-01T15:00:00+09:00", "--target-kw", "5" }, "15-minute" },
    { 1, { "--name", "x", "--kind", "economic", "--start", "yesterday", "--end",
           "2030-07-01T15:00:00+09:00", "--target-kw", "5" }, "--start" },
    { 1, { "--name", "x", "--kind", "economic", "--start", "2030-07-01T14:00:00+09:00", "--end",
           "2030-07-01T13:00:00+09:00", "--target-kw", "5" }, "--end" },
    { 1, { "--name", "x", "--kind", "economic", "--start", "2030-07-01T14:00:00+09:00", "--end",
           "2030-07-01T15:00:00+09:00", "--target-kw", "0" }, "--target-kw" },
    { 1, { "--name", "x", "--kind", "economic", "--start", "2030-07-01T14:00:00+09:00", "--end",
           "2030-07-01T15:00:00+09:00", "--target-kw", "5kW" }, "--target-kw" },
    { 1, { "--name", "x", "--kind", "economic", "--start", "2030-07-01T14:00:00+09:00", "--end",
           "2030-07-01T15:00:00+09:00", "--target-kw", "5", "--resource", "nowhere" }, "nowhere" },
    { 1, { "--name", "x", "--kind", "economic", "--start", "2030-07-01T14:00:00+09:00", "--end",
           "2030-07-01T15:00:00+09:00", "--target-kw", "5", "--answer-deadline",
           "2030-07-01T16:00:00+09:00" }, "--answer-deadline" },
  };

  import_small (f);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) args = g_ptr_array_new ();
      Run r;

      g_ptr_array_add (args, "event");
      g_ptr_array_add (args, "start");
      for (guint j = 0; cases[i].args[j] != NULL; j++)
        g_ptr_array_add (args, (gpointer) cases[i].args[j]);
      g_ptr_array_add (args, NULL);
      r = run_db (f, (const char *const *) args->pdata);
      if (r.status != cases[i].status || strstr (r.err, cases[i].needle) == NULL)
        g_error ("case %" G_GSIZE_FORMAT ": exit %d, stderr %s", i, r.status, r.err);
      assert_one_error_line (r.err);
      g_assert_cmpstr (r.out, ==, "");
      run_clear (&r);
    }
  g_assert_cmpint (sql_int (f->db, "SELECT count(*) FROM events"), ==, 0);
}

static void
test_event_overlap (Fixture *f, gconstpointer data)
{
  gint64 a, b;
  Run r;

  import_small (f);
  a = start_event (f, "A", "2030-07-01T14:00:00+09:00", "2030-07-01T16:00:00+09:00", "r1");
  r = RUN (f, "event", "start", "--name", "B", "--kind", "citizen",
           "--start", "2030-07-01T15:00:00+09:00", "--end", "2030-07-01T17:00:00+09:00",
           "--target-kw", "1", "--resource", "r1");
  g_assert_cmpint (r.status, ==, 1);
  assert_one_error_line (r.err);
  g_assert_cmpstr (r.out, ==, "");
  run_clear (&r);

  /* another resource, or right after: fine */
  b = start_event (f, "B", "2030-07-01T15:00:00+09:00", "2030-07-01T17:00:00+09:00", "r2");
  g_assert_cmpint (b, !=, a);
  start_event (f, "C", "2030-07-01T16:00:00+09:00", "2030-07-01T17:00:00+09:00", "r1");
  g_assert_cmpint (sql_int (f->db, "SELECT count(*) FROM events"), ==, 3);
  g_assert_cmpint (sql_int (f->db, "SELECT count(*) FROM responses"), ==, 5);
}

static void
test_event_lifecycle (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *id_a = NULL, *id_b = NULL, *expected = NULL;
  JsonObject *o;
  gint64 a, b;
  Run r;

  import_small (f);
  r = RUN (f, "event", "list");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "id,name,kind,status,start,end,answer_deadline,target_kw,resources,"
                              "targeted,accepted,denied,no_response,accepted_kw\n");
  run_clear (&r);

  r = RUN (f, "event", "start", "--name", "Peak, July", "--kind", "economic",
           "--start", "2030-07-01T05:00:00Z", "--end", "2030-07-01T16:00:00+09:00",
           "--target-kw", "12.5", "--resource", "r1", "--resource", "r2",
           "--answer-deadline", "2030-07-01T13:30:00+09:00");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "3 customers targeted"));
  a = g_ascii_strtoll (r.out, NULL, 10);
  run_clear (&r);
  b = start_event (f, "Later", "2030-07-02T14:00:00+09:00", "2030-07-02T15:00:00+09:00", "r2");
  id_a = g_strdup_printf ("%" G_GINT64_FORMAT, a);
  id_b = g_strdup_printf ("%" G_GINT64_FORMAT, b);

  r = RUN (f, "answer", id_a, "2", "accept");
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);

  r = RUN (f, "event", "list");
  g_assert_cmpint (r.status, ==, 0);
  expected = g_strdup_printf (
    "id,name,kind,status,start,end,answer_deadline,target_kw,resources,"
    "targeted,accepted,denied,no_response,accepted_kw\n"
    "%s,\"Peak, July\",economic,scheduled,2030-07-01T14:00:00+09:00,2030-07-01T16:00:00+09:00,"
    "2030-07-01T13:30:00+09:00,12.500,r1;r2,3,1,0,2,20.000\n"
    "%s,Later,reliability,scheduled,2030-07-02T14:00:00+09:00,2030-07-02T15:00:00+09:00,"
    "2030-07-02T14:00:00+09:00,100.000,r2,1,0,0,1,0.000\n", id_a, id_b);
  g_assert_cmpstr (r.out, ==, expected);
  run_clear (&r);

  /* Scheduled (not started): it can only be cancelled; nothing changes. */
  g_assert_cmpint (a, ==, 1);
  r = RUN (f, "event", "end", id_a);
  g_assert_cmpint (r.status, ==, 1);
  assert_one_error_line (r.err);
  g_assert_nonnull (strstr (r.err, "has not started yet"));
  g_assert_nonnull (strstr (r.err, "can only be cancelled"));
  g_assert_cmpstr (r.out, ==, "");
  run_clear (&r);
  g_assert_cmpint (sql_int (f->db, "SELECT status FROM events WHERE id = 1"), ==, DRD_EVENT_SCHEDULED);

  /* Once it runs (started in the past here), ending it before its
   * scheduled end shortens it to the slot it was ended in, and says so. */
  sql_exec (f->db, "UPDATE events SET start_at = 1700001000 WHERE id = 1");
  r = RUN (f, "event", "end", id_a);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "");
  g_assert_nonnull (strstr (r.err, "ended early: it now ends at "));
  g_assert_nonnull (strstr (r.err, "scheduled end was 2030-07-01T16:00:00+09:00"));
  run_clear (&r);
  {
    gint64 now = g_get_real_time () / G_USEC_PER_SEC;
    gint64 end = sql_int (f->db, "SELECT end_at FROM events WHERE id = 1");

    g_assert_cmpint (end % 900, ==, 0);
    g_assert_cmpint (end, >, now);
    g_assert_cmpint (end, <=, now + 900);
    g_assert_cmpint (sql_int (f->db, "SELECT answer_deadline FROM events WHERE id = 1"), ==, end);
  }
  r = RUN (f, "event", "end", id_a);
  g_assert_cmpint (r.status, ==, 1);
  assert_one_error_line (r.err);
  run_clear (&r);
  r = RUN (f, "event", "cancel", id_b);
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  r = RUN (f, "event", "cancel", id_b);
  g_assert_cmpint (r.status, ==, 1);
  run_clear (&r);
  r = RUN (f, "event", "end", "999");
  g_assert_cmpint (r.status, ==, 1);
  assert_one_error_line (r.err);
  run_clear (&r);
  r = RUN (f, "event", "end", "abc");
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);
  r = RUN (f, "event", "end");
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);

  r = RUN (f, "event", "list", "--format", "json");
  g_assert_cmpint (r.status, ==, 0);
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  o = json_array_get_object_element (json_node_get_array (json_parser_get_root (parser)), 0);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "ended");
  g_assert_cmpstr (json_object_get_string_member (o, "name"), ==, "Peak, July");
  g_assert_cmpint (json_object_get_int_member (o, "accepted"), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "resources")), ==, 2);
  o = json_array_get_object_element (json_node_get_array (json_parser_get_root (parser)), 1);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "cancelled");
  run_clear (&r);
}

/* An event recorded after the fact (KPX ordered by phone) has already
 * started: without --answer-deadline its answers stay open until its end,
 * and the operator can still record answers after that. */
static void
test_event_backfill_deadline (Fixture *f, gconstpointer data)
{
  Run r;

  import_small (f);
  r = RUN (f, "event", "start", "--name", "Phoned in", "--kind", "reliability",
           "--start", "2024-07-01T14:00:00+09:00", "--end", "2024-07-01T15:00:00+09:00",
           "--target-kw", "10");
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  r = RUN (f, "event", "list");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "2024-07-01T15:00:00+09:00,2024-07-01T15:00:00+09:00,10.000"));
  run_clear (&r);
  r = RUN (f, "answer", "1", "1", "deny");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, ",deny,"));
  run_clear (&r);
}

/* The operator sees how each webhook notification went. */
static void
test_notifications (Fixture *f, gconstpointer data)
{
  Run r;

  import_small (f);
  r = RUN (f, "event", "start", "--name", "Hooks", "--kind", "economic",
           "--start", "2030-07-01T14:00:00+09:00", "--end", "2030-07-01T15:00:00+09:00",
           "--target-kw", "10");
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  sql_exec (f->db,
            "INSERT INTO outbox (event_id, customer_id, url, body, state, attempts, next_attempt_at,"
            " last_status, last_error, created_at, delivered_at) VALUES"
            " (1, 1, 'http://127.0.0.1:9/a', '{}', 2, 1, 0, 200, NULL, 0, 1909000000),"
            " (1, 2, 'http://127.0.0.1:9/b', '{}', 3, 5, 0, 404, 'HTTP 404, giving up', 0, NULL)");
  r = RUN (f, "notifications", "1");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==,
                   "customer_id,url,state,attempts,last_status,last_error,delivered_at\n"
                   "1,http://127.0.0.1:9/a,delivered,1,200,,2030-06-30T06:46:40+09:00\n"
                   "2,http://127.0.0.1:9/b,failed,5,404,\"HTTP 404, giving up\",\n");
  g_assert_nonnull (strstr (r.err, "1 delivered, 0 pending, 1 failed"));
  run_clear (&r);
  r = RUN (f, "notifications");
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);
}

/* Option values are bytes: Korean works whatever the locale. */
static void
test_event_c_locale (Fixture *f, gconstpointer data)
{
  Run r;

  import_small (f);
  r = run_env ((const char *const []) { "LC_ALL", "C", "LANG", "C", NULL },
               (const char *const []) { "--db", f->db, "event", "start", "--name", "폭염 대응",
                                        "--kind", "citizen", "--start", "2030-07-01T14:00:00+09:00",
                                        "--end", "2030-07-01T15:00:00+09:00", "--target-kw", "1",
                                        NULL });
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  g_assert_cmpint (sql_int (f->db, "SELECT count(*) FROM events WHERE name = '폭염 대응'"), ==, 1);

  r = run_env ((const char *const []) { "LC_ALL", "C", NULL },
               (const char *const []) { "--db", f->db, "event", "start", "--name", "\xff\xfe",
                                        "--kind", "citizen", "--start", "2030-07-02T14:00:00+09:00",
                                        "--end", "2030-07-02T15:00:00+09:00", "--target-kw", "1",
                                        NULL });
  g_assert_cmpint (r.status, ==, 1);
  assert_one_error_line (r.err);
  run_clear (&r);
}

static void
test_event_warnings (Fixture *f, gconstpointer data)
{
  Run r;

  import_small (f);
  /* Saturday, 7 hours, over lunch: KPX would not do this — warned, not refused */
  r = RUN (f, "event", "start", "--name", "odd", "--kind", "reliability",
           "--start", "2030-07-06T11:00:00+09:00", "--end", "2030-07-06T18:00:00+09:00",
           "--target-kw", "5", "--resource", "r1");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpint (g_ascii_strtoll (r.out, NULL, 10), >, 0);
  g_assert_nonnull (strstr (r.out, "\n"));
  g_assert_cmpstr (strchr (r.out, '\n') + 1, ==, "");
  g_assert_nonnull (strstr (r.err, "warning: "));
  g_assert_nonnull (strstr (r.err, "weekend"));
  run_clear (&r);

  /* the facts are about reliability DR only */
  r = RUN (f, "event", "start", "--name", "odd", "--kind", "economic",
           "--start", "2030-07-06T11:00:00+09:00", "--end", "2030-07-06T18:00:00+09:00",
           "--target-kw", "5", "--resource", "r2");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_null (strstr (r.err, "warning"));
  run_clear (&r);
}

static void
test_answer (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL, *actor = NULL, *expected = NULL;
  g_auto(GStrv) fields = NULL;
  gint64 a, c;
  Run r;

  import_small (f);
  a = start_event (f, "A", "2030-07-01T14:00:00+09:00", "2030-07-01T16:00:00+09:00", "r1");
  id = g_strdup_printf ("%" G_GINT64_FORMAT, a);

  r = RUN (f, "answer", id, "1", "accept");
  g_assert_cmpint (r.status, ==, 0);
  fields = g_strsplit (r.out, ",", -1);
  g_assert_cmpuint (g_strv_length (fields), ==, 5);
  g_assert_cmpstr (fields[0], ==, id);
  g_assert_cmpstr (fields[1], ==, "1");
  g_assert_cmpstr (fields[2], ==, "accept");
  g_assert_true (g_str_has_suffix (fields[3], "+09:00"));
  g_assert_cmpstr (fields[4], ==, "operator\n");
  run_clear (&r);

  actor = g_strconcat ("operator:", g_get_user_name (), NULL);
  g_assert_cmpint (drd_test_sql_int (f->db, "SELECT count(*) FROM audit_log WHERE action = 'answer'"
                                    " AND actor = ?", "s", actor), ==, 1);

  r = RUN (f, "answer", id, "1", "deny");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, ",deny,"));
  run_clear (&r);
  g_assert_cmpint (sql_int (f->db, "SELECT answer FROM responses WHERE customer_id = 1"), ==, 2);
  g_assert_cmpint (sql_int (f->db, "SELECT channel FROM responses WHERE customer_id = 1"), ==, 3);

  /* customer 3 is in r2: not targeted */
  r = RUN (f, "answer", id, "3", "accept");
  g_assert_cmpint (r.status, ==, 1);
  assert_one_error_line (r.err);
  run_clear (&r);
  r = RUN (f, "answer", "77", "1", "accept");
  g_assert_cmpint (r.status, ==, 1);
  run_clear (&r);
  r = RUN (f, "answer", id, "1", "maybe");
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);
  r = RUN (f, "answer", id, "1");
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);

  /* after the end: still allowed for the operator (started in the past:
   * only a running event can be ended) */
  sql_exec (f->db, "UPDATE events SET start_at = 1700001000");
  r = RUN (f, "event", "end", id);
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  r = RUN (f, "answer", id, "2", "accept");
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);

  /* settled: refused, nothing changes */
  sql_exec (f->db, "UPDATE events SET status = 4");
  r = RUN (f, "answer", id, "2", "deny");
  g_assert_cmpint (r.status, ==, 1);
  assert_one_error_line (r.err);
  g_assert_cmpstr (r.out, ==, "");
  run_clear (&r);
  g_assert_cmpint (sql_int (f->db, "SELECT answer FROM responses WHERE customer_id = 2"), ==, 1);

  /* cancelled: refused */
  c = start_event (f, "C", "2030-07-03T14:00:00+09:00", "2030-07-03T16:00:00+09:00", "r2");
  g_free (id);
  id = g_strdup_printf ("%" G_GINT64_FORMAT, c);
  r = RUN (f, "event", "cancel", id);
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  r = RUN (f, "answer", id, "3", "accept");
  g_assert_cmpint (r.status, ==, 1);
  assert_one_error_line (r.err);
  run_clear (&r);
  g_assert_cmpint (sql_int (f->db, "SELECT answer FROM responses WHERE customer_id = 3"), ==, 0);
}

/* ---- baseline ---- */

typedef struct {
  const char *day;      /* YYYY-MM-DD */
  int         base_wh;  /* slot s of the day has base_wh + s Wh */
  int         skip_slot;/* a slot left out (missing), or -1 */
} Day;

static char *
readings_csv (Fixture *f, const Day *days, gsize n)
{
  g_autoptr(GString) s = g_string_new ("interval_start,kwh\r\n");

  for (gsize i = 0; i < n; i++)
    for (int slot = 0; slot < 96; slot++)
      {
        int wh = days[i].base_wh + slot;

        if (slot == days[i].skip_slot)
          continue;
        g_string_append_printf (s, "%sT%02d:%02d:00+09:00,%d.%03d\r\n", days[i].day,
                                slot / 4, slot % 4 * 15, wh / 1000, wh % 1000);
      }
  return write_file (f, "readings.csv", s->str);
}

/* Expected output for the event 2026-07-15 14:00–15:00 (slots 56–59) when
 * the per-day base CBL is BASE (the slot adds its index). */
static char *
expected_lines (int base_milli_wh_times2)
{
  GString *s = g_string_new (NULL);

  for (int k = 0; k < 4; k++)
    {
      /* round half up of (base + slot) */
      int v2 = base_milli_wh_times2 + 2 * (56 + k);
      int wh = (v2 + 1) / 2;
      g_string_append_printf (s, "2026-07-15T14:%02d:00+09:00,%d.%03d\n", k * 15,
                              wh / 1000, wh % 1000);
    }
  return g_string_free (s, FALSE);
}

/* The ten weekdays before Wednesday 2026-07-15, newest first, then four
 * older ones; plus a weekend full of nonsense that must be ignored. */
static const char *const weekdays[] = {
  "2026-07-14", "2026-07-13", "2026-07-10", "2026-07-09", "2026-07-08", "2026-07-07",
  "2026-07-06", "2026-07-03", "2026-07-02", "2026-07-01", "2026-06-30", "2026-06-29",
  "2026-06-26", "2026-06-25",
};

static Run
baseline (Fixture *f, const char *method, const char *readings, const char *const *extra)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autofree char *holidays = NULL;

  g_ptr_array_add (args, "baseline");
  g_ptr_array_add (args, "--method");
  g_ptr_array_add (args, (gpointer) method);
  g_ptr_array_add (args, "--readings");
  g_ptr_array_add (args, (gpointer) readings);
  g_ptr_array_add (args, "--event-start");
  g_ptr_array_add (args, "2026-07-15T14:00:00+09:00");
  g_ptr_array_add (args, "--event-end");
  g_ptr_array_add (args, "2026-07-15T06:00:00Z");
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) extra[i]);
  g_ptr_array_add (args, NULL);
  return run_env (NULL, (const char *const *) args->pdata);
}

static void
test_baseline_mid (Fixture *f, gconstpointer data)
{
  /* newest first: 1200 1010 1020 … 1080 900; drop 900, 1010, 1080, 1200:
   * the middle six 1020…1070 average 1045 (the plain mean would be 1046) */
  const Day days[] = {
    { "2026-07-11", 9000, -1 }, { "2026-07-12", 9000, -1 },   /* weekend: ignored */
    { weekdays[0], 1200, -1 }, { weekdays[1], 1010, -1 }, { weekdays[2], 1020, -1 },
    { weekdays[3], 1030, -1 }, { weekdays[4], 1040, -1 }, { weekdays[5], 1050, -1 },
    { weekdays[6], 1060, -1 }, { weekdays[7], 1070, -1 }, { weekdays[8], 1080, -1 },
    { weekdays[9], 900, -1 }, { weekdays[10], 5000, -1 },     /* 11th: not used */
  };
  g_autofree char *csv = readings_csv (f, days, G_N_ELEMENTS (days));
  g_autofree char *expected = expected_lines (2 * 1045);
  g_autofree char *empty = write_file (f, "none.txt", "# no holidays\n");
  Run r = baseline (f, "mid-6-10", csv, (const char *const []) { "--holidays", empty, NULL });

  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, expected);
  g_assert_nonnull (strstr (r.err, "2026-07-14"));
  g_assert_nonnull (strstr (r.err, "2026-07-01"));
  run_clear (&r);

  /* the shipped calendar has no holiday in these weeks: same result */
  r = baseline (f, "mid-6-10", csv, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, expected);
  run_clear (&r);
}

static void
test_baseline_max (Fixture *f, gconstpointer data)
{
  /* newest first 1100 1000 1200 1300 1050: drop 1000, mean of the rest
   * 1162.5; slot 56 → 1218.5 → rounds half up to 1219 */
  const Day days[] = {
    { weekdays[0], 1100, -1 }, { weekdays[1], 1000, -1 }, { weekdays[2], 1200, -1 },
    { weekdays[3], 1300, -1 }, { weekdays[4], 1050, -1 }, { weekdays[5], 3000, -1 },
  };
  g_autofree char *csv = readings_csv (f, days, G_N_ELEMENTS (days));
  g_autofree char *expected = expected_lines (2 * 1162 + 1);
  g_autofree char *empty = write_file (f, "none.txt", "");
  Run r = baseline (f, "max-4-5", csv, (const char *const []) { "--holidays", empty, NULL });

  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, expected);
  g_assert_cmpstr (expected, ==,
                   "2026-07-15T14:00:00+09:00,1.219\n2026-07-15T14:15:00+09:00,1.220\n"
                   "2026-07-15T14:30:00+09:00,1.221\n2026-07-15T14:45:00+09:00,1.222\n");
  run_clear (&r);
}

/* max-4-5 over days where one newer day must be skipped: the CBL is then
 * that of weekdays[1..5] (1000 1200 1300 1050 2000 → drop 1000 → 1387.5). */
static const Day skip_days[] = {
  { "2026-07-14", 1100, -1 }, { "2026-07-13", 1000, -1 }, { "2026-07-10", 1200, -1 },
  { "2026-07-09", 1300, -1 }, { "2026-07-08", 1050, -1 }, { "2026-07-07", 1250, -1 },
};

static void
check_skip (Fixture *f, const char *readings, const char *const *extra, const char *reason)
{
  /* without 07-14: 1000 1200 1300 1050 1250 → drop 1000 → 1200 */
  g_autofree char *expected = expected_lines (2 * 1200);
  Run r = baseline (f, "max-4-5", readings, extra);

  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, expected);
  g_assert_nonnull (strstr (r.err, reason));
  run_clear (&r);
}

static void
test_baseline_holiday (Fixture *f, gconstpointer data)
{
  g_autofree char *csv = readings_csv (f, skip_days, G_N_ELEMENTS (skip_days));
  g_autofree char *holidays = write_file (f, "h.txt", "# ours\n2026-07-14,company holiday\n\n");
  g_autofree char *empty = write_file (f, "none.txt", "");
  g_autofree char *with_all = expected_lines (2 * 1162 + 1);
  Run r;

  r = baseline (f, "max-4-5", csv, (const char *const []) { "--holidays", empty, NULL });
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, with_all);
  run_clear (&r);

  check_skip (f, csv, (const char *const []) { "--holidays", holidays, NULL }, "holiday");
}

static void
test_baseline_excluded (Fixture *f, gconstpointer data)
{
  g_autofree char *csv = readings_csv (f, skip_days, G_N_ELEMENTS (skip_days));
  g_autofree char *empty = write_file (f, "none.txt", "");
  Run r;

  check_skip (f, csv, (const char *const []) { "--holidays", empty,
                                               "--exclude-day", "2026-07-14",
                                               "--exclude-day", "2026-05-05", NULL }, "excluded");
  r = baseline (f, "max-4-5", csv, (const char *const []) { "--exclude-day", "July 14", NULL });
  g_assert_cmpint (r.status, ==, 1);
  assert_one_error_line (r.err);
  run_clear (&r);
}

static void
test_baseline_missing_slot (Fixture *f, gconstpointer data)
{
  Day days[G_N_ELEMENTS (skip_days)];
  g_autofree char *csv = NULL;
  g_autofree char *empty = write_file (f, "none.txt", "");

  memcpy (days, skip_days, sizeof days);
  days[0].skip_slot = 3;   /* 07-14 00:45 missing: the day is incomplete */
  csv = readings_csv (f, days, G_N_ELEMENTS (days));
  check_skip (f, csv, (const char *const []) { "--holidays", empty, NULL }, "2026-07-14");
}

static void
test_baseline_factory (Fixture *f, gconstpointer data)
{
  /* 1600 is > 125 % of the mean of the five (1120): abnormal for a factory
   * only, whose CBL then takes the sixth day (1100) instead. */
  const Day days[] = {
    { weekdays[0], 1000, -1 }, { weekdays[1], 1000, -1 }, { weekdays[2], 1600, -1 },
    { weekdays[3], 1000, -1 }, { weekdays[4], 1000, -1 }, { weekdays[5], 1100, -1 },
  };
  g_autofree char *csv = readings_csv (f, days, G_N_ELEMENTS (days));
  g_autofree char *empty = write_file (f, "none.txt", "");
  g_autofree char *plain = expected_lines (2 * 1150);
  g_autofree char *factory = expected_lines (2 * 1025);
  Run r;

  r = baseline (f, "max-4-5", csv, (const char *const []) { "--holidays", empty, NULL });
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, plain);
  run_clear (&r);

  r = baseline (f, "max-4-5", csv, (const char *const []) { "--holidays", empty, "--factory", NULL });
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, factory);
  g_assert_nonnull (strstr (r.err, "2026-07-10"));
  run_clear (&r);
}

static void
test_baseline_insufficient (Fixture *f, gconstpointer data)
{
  const Day days[] = {
    { weekdays[0], 1000, -1 }, { weekdays[1], 1000, -1 }, { weekdays[2], 1000, -1 },
    { weekdays[3], 1000, -1 },
  };
  g_autofree char *csv = readings_csv (f, days, G_N_ELEMENTS (days));
  g_autofree char *empty = write_file (f, "none.txt", "");
  Run r;

  r = baseline (f, "max-4-5", csv, (const char *const []) { "--holidays", empty, NULL });
  g_assert_cmpint (r.status, ==, 1);
  g_assert_cmpstr (r.out, ==, "");
  g_assert_true (g_str_has_prefix (r.err, "insufficient history"));
  run_clear (&r);

  /* a low day (below 75 % of the mean) is abnormal: ten days, one of them
   * nearly empty, and nothing older → only 9 usable for mid-6-10 */
  {
    Day ten[10];
    for (guint i = 0; i < 10; i++)
      ten[i] = (Day) { weekdays[i], i == 4 ? 100 : 1000, -1 };
    g_free (csv);
    csv = readings_csv (f, ten, 10);
    r = baseline (f, "mid-6-10", csv, (const char *const []) { "--holidays", empty, NULL });
    g_assert_cmpint (r.status, ==, 1);
    g_assert_true (g_str_has_prefix (r.err, "insufficient history"));
    run_clear (&r);
  }
}

static void
test_baseline_bad_input (Fixture *f, gconstpointer data)
{
  g_autofree char *bad = write_file (f, "bad.csv",
    "interval_start,kwh\n"
    "2026-07-14T00:00:00+09:00,1.000\n"
    "2026-07-14T00:10:00+09:00,1.000\n"      /* 3: not on a slot boundary */
    "2026-07-14T00:15:00+09:00,-1\n"         /* 4: negative */
    "not a time,1\n"                         /* 5 */
    "2026-07-14T00:30:00+09:00,1.0001\n"     /* 6: 4 decimals */
    "2026-07-14T00:00:00+09:00,2.000\n");    /* 7: duplicate */
  g_autofree char *noheader = write_file (f, "noheader.csv", "when,energy\n1,2\n");
  g_autofree char *ok = write_file (f, "ok.csv", "interval_start,kwh\n");
  g_autofree char *badcal = write_file (f, "badcal.txt", "2026-13-01\n");
  Run r;

  r = baseline (f, "max-4-5", bad, NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_cmpstr (r.out, ==, "");
  for (const char *const *p = (const char *const []) { "3: ", "4: ", "5: ", "6: ", "7: ", NULL };
       *p != NULL; p++)
    {
      g_autofree char *needle = g_strconcat ("\n", *p, NULL);
      g_assert_true (g_str_has_prefix (r.err, *p) || strstr (r.err, needle) != NULL);
    }
  g_assert_null (strstr (r.err, "\n2: "));
  run_clear (&r);

  r = baseline (f, "max-4-5", noheader, NULL);
  g_assert_cmpint (r.status, ==, 1);
  assert_one_error_line (r.err);
  run_clear (&r);

  r = baseline (f, "max-4-6", ok, NULL);
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);

  r = baseline (f, "max-4-5", ok, (const char *const []) { "--holidays", badcal, NULL });
  g_assert_cmpint (r.status, ==, 1);
  assert_one_error_line (r.err);
  run_clear (&r);

  r = RUN_RAW ("baseline", "--method", "max-4-5", "--readings", ok,
               "--event-start", "2026-07-15T14:05:00+09:00", "--event-end", "2026-07-15T15:00:00+09:00");
  g_assert_cmpint (r.status, ==, 1);
  assert_one_error_line (r.err);
  run_clear (&r);

  r = RUN_RAW ("baseline", "--method", "max-4-5", "--readings", ok);
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);
}

int
main (int argc, char **argv)
{
  const char *build = g_getenv ("DRD_BUILD_DIR");

  g_test_init (&argc, &argv, NULL);
  drdeskctl = g_build_filename (build != NULL ? build : ".", "src", "drdeskctl", NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/cli/usage", test_usage);
  ADD ("/cli/init", test_init);
  ADD ("/cli/demo/deterministic", test_demo_deterministic);
  ADD ("/cli/demo/large-event", test_demo_large_event);
  ADD ("/cli/import/good", test_import_good);
  ADD ("/cli/import/bad-rows", test_import_bad_rows);
  ADD ("/cli/import/crlf-lines", test_import_crlf_lines);
  ADD ("/cli/import/header", test_import_header);
  ADD ("/cli/import/reimport", test_import_reimport);
  ADD ("/cli/list/json", test_list_json);
  ADD ("/cli/event/errors", test_event_errors);
  ADD ("/cli/event/overlap", test_event_overlap);
  ADD ("/cli/event/lifecycle", test_event_lifecycle);
  ADD ("/cli/event/backfill-deadline", test_event_backfill_deadline);
  ADD ("/cli/notifications", test_notifications);
  ADD ("/cli/event/warnings", test_event_warnings);
  ADD ("/cli/event/c-locale", test_event_c_locale);
  ADD ("/cli/answer", test_answer);
  ADD ("/cli/baseline/mid-6-10", test_baseline_mid);
  ADD ("/cli/baseline/max-4-5", test_baseline_max);
  ADD ("/cli/baseline/holiday", test_baseline_holiday);
  ADD ("/cli/baseline/excluded-day", test_baseline_excluded);
  ADD ("/cli/baseline/missing-slot", test_baseline_missing_slot);
  ADD ("/cli/baseline/factory", test_baseline_factory);
  ADD ("/cli/baseline/insufficient", test_baseline_insufficient);
  ADD ("/cli/baseline/bad-input", test_baseline_bad_input);
  return g_test_run ();
}
