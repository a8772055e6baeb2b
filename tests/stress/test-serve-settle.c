/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `drdeskctl serve` settles: the built drdeskctl and drdesk-kepco-sim as
 * separate processes on 127.0.0.1, a real SQLite file. An event whose end
 * passed while nobody ended it is ended by serve's dispatcher and settled;
 * an event ended by another process (`drdeskctl event end`) is found by
 * the settler's scan and settled; the results equal `drdeskctl settle`'s
 * on a copy of the same database. With --no-settler nothing is ended. */
#include "stress-util.h"

#include <sys/prctl.h>

#include "service/drd-config.h"

#define N_CUSTOMERS 40

typedef struct {
  char  *dir;
  char  *db_path;
  char  *copy_path;
  gint64 live;       /* created before its end; end passed: the dispatcher's */
  gint64 backfill;   /* recorded after the fact: ended by another process */
  GPid   sim_pid;
  char  *sim_url;
  GPid   serve_pid;
  char  *serve_url;
  char  *serve_err;  /* stderr file of serve */
} Fixture;

static char *
build_path (const char *rel)
{
  return g_build_filename (g_getenv ("DRD_BUILD_DIR"), rel, NULL);
}

/* A test that fails aborts without its teardown: children must not
 * outlive it (they would hold meson's output pipe open). */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Spawns @argv with stdout on a pipe (stderr to @err_path or inherited)
 * and returns the URL of its "LISTENING URL" line. */
static GPid
spawn_listening (const char * const *argv,
                 const char         *err_path,
                 char              **url)
{
  g_autoptr(GError) error = NULL;
  GPid pid;
  int out_fd;
  char buf[256];
  gsize len = 0;
  int err_fd = -1;

  if (err_path != NULL)
    {
      err_fd = open (err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
      g_assert_cmpint (err_fd, >=, 0);
    }
  g_assert_true (g_spawn_async_with_pipes_and_fds (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                                   die_with_parent, NULL, -1, -1, err_fd, NULL, NULL, 0, &pid, NULL, &out_fd,
                                                   NULL, &error));
  g_assert_no_error (error);
  if (err_fd >= 0)
    close (err_fd);
  while (len < sizeof buf - 1)
    {
      gssize r = read (out_fd, buf + len, 1);

      if (r <= 0 || buf[len] == '\n')
        break;
      len++;
    }
  buf[len] = '\0';
  close (out_fd);
  g_assert_true (g_str_has_prefix (buf, "LISTENING "));
  *url = g_strdup (buf + strlen ("LISTENING "));
  return pid;
}

static void
stop_child (GPid pid,
            int  sig,
            int *out_status)
{
  int status = 0;

  kill (pid, sig);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  if (out_status != NULL)
    *out_status = status;
}

static int
run_ctl (const char *db,
         const char *first,
         ...)
{
  g_autofree char *ctl = build_path ("src/drdeskctl");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  const char *a;
  va_list ap;
  int status = 0;

  g_ptr_array_add (argv, ctl);
  g_ptr_array_add (argv, "--db");
  g_ptr_array_add (argv, (char *) db);
  va_start (ap, first);
  for (a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    g_test_message ("drdeskctl %s: %s%s", first, out, err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
copy_file (const char *from,
           const char *to)
{
  g_autofree char *data = NULL;
  gsize len;

  if (!g_file_get_contents (from, &data, &len, NULL))
    return;
  g_assert_true (g_file_set_contents (to, data, len, NULL));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdStore) store = NULL;
  gint64 s1 = stress_iso ("2026-10-14T14:00:00+09:00"), e1 = stress_iso ("2026-10-14T16:00:00+09:00");
  gint64 s2 = stress_iso ("2026-10-21T15:00:00+09:00"), e2 = stress_iso ("2026-10-21T16:30:00+09:00");
  g_autofree char *ev1 = NULL, *ev2 = NULL, *a = NULL, *b = NULL, *c = NULL, *d = NULL;
  g_autofree char *sim = build_path ("src/drdesk-kepco-sim");

  if (g_getenv ("DRD_BUILD_DIR") == NULL)
    {
      g_test_skip ("DRD_BUILD_DIR is not set (run through meson test)");
      return;
    }
  f->dir = g_dir_make_tmp ("drd-serve-settle-XXXXXX", &error);
  g_assert_no_error (error);
  f->db_path = g_build_filename (f->dir, "drdesk.db", NULL);
  f->copy_path = g_build_filename (f->dir, "copy.db", NULL);
  f->serve_err = g_build_filename (f->dir, "serve.err", NULL);
  store = drd_store_open (f->db_path, &error);
  g_assert_no_error (error);
  stress_load_holidays (store);
  stress_add_customers (store, N_CUSTOMERS);
  /* Started by the operator an hour ahead; nobody ended it. */
  f->live = stress_start_event (store, "live", s1, e1, s1 - 3600);
  stress_answer_all (store, f->live, N_CUSTOMERS);
  /* Recorded a week later, after the fact (the dispatcher leaves it). */
  f->backfill = stress_start_event (store, "recorded later", s2, e2, drd_store_now ());
  stress_answer_all (store, f->backfill, N_CUSTOMERS);
  g_clear_object (&store);   /* closed: everything is in the main file */
  g_assert_true (drd_config_save_service_key (f->db_path, "serve-key", &error));
  g_assert_no_error (error);
  copy_file (f->db_path, f->copy_path);
  {
    g_autofree char *wal = g_strconcat (f->db_path, "-wal", NULL);
    g_autofree char *wal2 = g_strconcat (f->copy_path, "-wal", NULL);

    copy_file (wal, wal2);
  }
  g_assert_true (drd_config_save_service_key (f->copy_path, "serve-key", &error));

  a = drd_time_format_iso8601 (s1);
  b = drd_time_format_iso8601 (e1);
  c = drd_time_format_iso8601 (s2);
  d = drd_time_format_iso8601 (e2);
  ev1 = g_strdup_printf ("%s/%s", a, b);
  ev2 = g_strdup_printf ("%s/%s", c, d);
  {
    const char *argv[] = { sim, "--listen", "127.0.0.1:0", "--seed", "42", "--event", ev1,
                           "--event", ev2, NULL };

    f->sim_pid = spawn_listening (argv, NULL, &f->sim_url);
  }
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->serve_pid != 0)
    stop_child (f->serve_pid, SIGKILL, NULL);
  if (f->sim_pid != 0)
    stop_child (f->sim_pid, SIGTERM, NULL);
  if (f->dir != NULL)
    stress_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->db_path);
  g_free (f->copy_path);
  g_free (f->sim_url);
  g_free (f->serve_url);
  g_free (f->serve_err);
}

static void
start_serve (Fixture    *f,
             const char *extra)
{
  g_autofree char *ctl = build_path ("src/drdeskctl");
  const char *argv[] = { ctl, "--db", f->db_path, "serve", "--listen", "127.0.0.1:0",
                         "--kepco-url", f->sim_url, "--no-notifier", extra, NULL };

  f->serve_pid = spawn_listening (argv, f->serve_err, &f->serve_url);
}

static gint64
status_of (Fixture *f,
           gint64   event)
{
  return stress_sql_int (f->db_path, "SELECT status FROM events WHERE id = ?", "i", event);
}

/* Polls until @event has status @want (seconds bounded). */
static gboolean
wait_status (Fixture *f,
             gint64   event,
             gint64   want,
             guint    seconds)
{
  for (guint i = 0; i < seconds * 10; i++)
    {
      if (status_of (f, event) == want)
        return TRUE;
      g_usleep (100000);
    }
  return status_of (f, event) == want;
}

static char *
results_of (const char *db)
{
  /* Everything settlement decides (not when it ran). */
  return stress_sql_dump (db,
      "SELECT s.event_id, s.customer_id, s.answer, s.baseline_wh, s.actual_wh, s.reduction_wh, "
      "s.outcome, s.points, s.note, (SELECT group_concat(l.points) FROM points_ledger l "
      "WHERE l.event_id = s.event_id AND l.customer_id = s.customer_id) "
      "FROM settlements s ORDER BY s.event_id, s.customer_id", "");
}

static void
test_serve_settles (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *live = NULL, *backfill = NULL, *a = NULL, *b = NULL;
  g_autofree char *err = NULL, *want1 = NULL, *want2 = NULL;
  int status;

  if (f->dir == NULL)
    return;
  live = g_strdup_printf ("%" G_GINT64_FORMAT, f->live);
  backfill = g_strdup_printf ("%" G_GINT64_FORMAT, f->backfill);
  /* (Stored as scheduled: active by time.) */
  g_assert_cmpint (status_of (f, f->live), ==, DRD_EVENT_SCHEDULED);

  start_serve (f, NULL);
  /* The dispatcher ends the live event at once; the settler settles it. */
  g_assert_true (wait_status (f, f->live, DRD_EVENT_SETTLED, 60));
  /* The backfilled one waits for the operator ... */
  g_assert_cmpint (status_of (f, f->backfill), ==, DRD_EVENT_ACTIVE);
  /* ... who ends it from another process; the settler's scan finds it. */
  g_assert_cmpint (run_ctl (f->db_path, "event", "end", backfill, NULL), ==, 0);
  g_assert_true (wait_status (f, f->backfill, DRD_EVENT_SETTLED, 60));

  /* Still serving, then a clean stop. */
  stop_child (f->serve_pid, SIGTERM, &status);
  f->serve_pid = 0;
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  g_assert_true (g_file_get_contents (f->serve_err, &err, NULL, NULL));
  g_test_message ("serve stderr:\n%s", err);
  want1 = g_strdup_printf ("event %s settled", live);
  want2 = g_strdup_printf ("event %s settled", backfill);
  g_assert_nonnull (strstr (err, want1));
  g_assert_nonnull (strstr (err, want2));
  g_assert_null (strstr (err, "serve-key"));

  /* Every targeted customer settled once; the live event ended by the system. */
  g_assert_cmpint (stress_sql_int (f->db_path, "SELECT count(*) FROM settlements", ""), ==, 2 * N_CUSTOMERS);
  g_assert_cmpint (stress_sql_int (f->db_path, "SELECT count(*) FROM points_ledger", ""), >, 0);
  g_assert_cmpint (stress_sql_int (f->db_path, "SELECT count(*) FROM audit_log WHERE action = 'event.end' "
                                   "AND actor = 'system' AND event_id = ?", "i", f->live), ==, 1);

  /* The same as `drdeskctl settle` on a copy. */
  g_assert_cmpint (run_ctl (f->copy_path, "event", "end", live, NULL), ==, 0);
  g_assert_cmpint (run_ctl (f->copy_path, "event", "end", backfill, NULL), ==, 0);
  g_assert_cmpint (run_ctl (f->copy_path, "settle", live, "--kepco-url", f->sim_url, NULL), ==, 0);
  g_assert_cmpint (run_ctl (f->copy_path, "settle", backfill, "--kepco-url", f->sim_url, NULL), ==, 0);
  a = results_of (f->db_path);
  b = results_of (f->copy_path);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpuint (strlen (a), >, 1000);
}

/* --no-settler: the portal only; a passed end stays unended. */
static void
test_no_settler (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *backfill = NULL;

  if (f->dir == NULL)
    return;
  start_serve (f, "--no-settler");
  g_usleep (3 * G_USEC_PER_SEC);
  g_assert_cmpint (status_of (f, f->live), ==, DRD_EVENT_SCHEDULED);
  backfill = g_strdup_printf ("%" G_GINT64_FORMAT, f->backfill);
  g_assert_cmpint (run_ctl (f->db_path, "event", "end", backfill, NULL), ==, 0);
  g_usleep (6 * G_USEC_PER_SEC);   /* longer than the settler's scan interval */
  g_assert_cmpint (status_of (f, f->backfill), ==, DRD_EVENT_ENDED);
  g_assert_cmpint (stress_sql_int (f->db_path, "SELECT count(*) FROM jobs", ""), ==, 0);
}

/* A service-key file others can read: serve refuses to start (as settle). */
static void
test_insecure_key (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *ctl = build_path ("src/drdeskctl");
  g_autofree char *key = NULL, *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { ctl, "--db", f->db_path, "serve", "--listen", "127.0.0.1:0",
                         "--kepco-url", f->sim_url, NULL };
  int status = 0;

  if (f->dir == NULL)
    return;
  key = drd_config_service_key_path (f->db_path);
  g_assert_cmpint (g_chmod (key, 0644), ==, 0);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "service key"));
  /* A bad URL is a usage error. */
  {
    const char *bad[] = { ctl, "--db", f->db_path, "serve", "--kepco-url", "ftp://x", NULL };

    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_true (g_spawn_sync (NULL, (char **) bad, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                                 &status, &error));
    g_assert_cmpint (WEXITSTATUS (status), ==, 2);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/serve-settle/settles", Fixture, NULL, fixture_setup, test_serve_settles, fixture_teardown);
  g_test_add ("/serve-settle/no-settler", Fixture, NULL, fixture_setup, test_no_settler, fixture_teardown);
  g_test_add ("/serve-settle/insecure-key", Fixture, NULL, fixture_setup, test_insecure_key, fixture_teardown);
  return g_test_run ();
}
