/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `drdeskctl links` and `drdeskctl serve`, run as the built binary
 * ($DRD_BUILD_DIR/src/drdeskctl) on a temporary database. */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "store/drd-store-portal.h"

typedef struct {
  char *dir;
  char *db;
  char *exe;
} Fixture;

static gboolean
run (Fixture     *f,
     char       **out,
     char       **err,
     int         *status,
     const char  *first,
     ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *a;
  va_list ap;
  int wait_status = 0;

  g_ptr_array_add (argv, f->exe);
  g_ptr_array_add (argv, "--db");
  g_ptr_array_add (argv, f->db);
  va_start (ap, first);
  for (a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err,
                &wait_status, &error);
  g_assert_no_error (error);
  *status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  return *status == 0;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  const char *build = g_getenv ("DRD_BUILD_DIR");
  g_autofree char *out = NULL, *err = NULL;
  int status;

  if (build == NULL)
    {
      g_test_skip ("DRD_BUILD_DIR is not set (run through meson test)");
      return;
    }
  f->exe = g_build_filename (build, "src", "drdeskctl", NULL);
  f->dir = g_dir_make_tmp ("drd-cli-portal-XXXXXX", &error);
  g_assert_no_error (error);
  f->db = g_build_filename (f->dir, "cli.db", NULL);
  g_assert_true (run (f, &out, &err, &status, "init", NULL));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_true (run (f, &out, &err, &status, "demo", "--customers", "30", NULL));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->dir != NULL)
    {
      g_autoptr(GDir) d = g_dir_open (f->dir, 0, NULL);
      const char *name;

      while (d && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *p = g_build_filename (f->dir, name, NULL);
          g_unlink (p);
        }
      g_rmdir (f->dir);
    }
  g_free (f->dir);
  g_free (f->db);
  g_free (f->exe);
}

static char *
start_event (Fixture *f)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset (9 * 3600);
  gint64 slot = (g_get_real_time () / G_USEC_PER_SEC) / 900 * 900 + 3600;
  g_autoptr(GDateTime) s = g_date_time_new_from_unix_utc (slot);
  g_autoptr(GDateTime) e = g_date_time_new_from_unix_utc (slot + 7200);
  g_autoptr(GDateTime) sl = g_date_time_to_timezone (s, tz);
  g_autoptr(GDateTime) el = g_date_time_to_timezone (e, tz);
  g_autofree char *start = g_date_time_format (sl, "%Y-%m-%dT%H:%M:%S+09:00");
  g_autofree char *end = g_date_time_format (el, "%Y-%m-%dT%H:%M:%S+09:00");
  g_autofree char *err = NULL;
  char *out = NULL;
  int status;

  g_assert_true (run (f, &out, &err, &status, "event", "start", "--name", "CLI test",
                      "--kind", "economic", "--start", start, "--end", end,
                      "--answer-deadline", end, "--target-kw", "100", NULL));
  return g_strstrip (out);
}

static void
test_links (Fixture *f, gconstpointer data)
{
  g_autofree char *event = NULL;
  g_autofree char *out1 = NULL, *out2 = NULL, *out3 = NULL, *err = NULL;
  g_autofree char *file = NULL;
  g_autofree char *file_text = NULL;
  g_auto(GStrv) lines = NULL;
  g_auto(GStrv) lines3 = NULL;
  g_autoptr(GError) error = NULL;
  struct stat st;
  int status;

  if (f->exe == NULL)
    return;
  event = start_event (f);

  g_assert_true (run (f, &out1, &err, &status, "links", event, NULL));
  g_clear_pointer (&err, g_free);
  g_assert_true (run (f, &out2, &err, &status, "links", event, "--base-url", "http://127.0.0.1:8088/", NULL));
  g_clear_pointer (&err, g_free);
  /* Same links every time. */
  g_assert_cmpstr (out1, ==, out2);

  lines = g_strsplit (out1, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "customer_id,name,phone,email,link");
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 30 + 1);   /* header, 30 rows, "" */
  for (guint i = 1; i <= 30; i++)
    {
      const char *link = strrchr (lines[i], ',') + 1;
      const char *token;
      g_autofree char *prefix = g_strdup_printf ("%u,", i);

      g_assert_true (g_str_has_prefix (lines[i], prefix));
      g_assert_true (g_str_has_prefix (link, "http://127.0.0.1:8088/r/"));
      token = link + strlen ("http://127.0.0.1:8088/r/");
      g_assert_true (drd_link_token_is_well_formed (token));
    }

  /* --output: a private file (the links are secrets), nothing on stdout. */
  file = g_build_filename (f->dir, "links.csv", NULL);
  g_assert_true (run (f, &out3, &err, &status, "links", event, "--output", file, NULL));
  g_assert_cmpstr (out3, ==, "");
  g_assert_true (g_file_get_contents (file, &file_text, NULL, &error));
  g_assert_cmpstr (file_text, ==, out1);
  g_assert_cmpint (g_stat (file, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 077, ==, 0);
  g_clear_pointer (&out3, g_free);
  g_clear_pointer (&err, g_free);

  /* Rotation changes exactly one customer's link. */
  g_assert_true (run (f, &out3, &err, &status, "links", "--rotate", "7", NULL));
  g_assert_true (g_str_has_prefix (out3, "http://127.0.0.1:8088/r/"));
  g_clear_pointer (&out3, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_true (run (f, &out3, &err, &status, "links", event, NULL));
  lines3 = g_strsplit (out3, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (i == 7)
        g_assert_cmpstr (lines[i], !=, lines3[i]);
      else
        g_assert_cmpstr (lines[i], ==, lines3[i]);
    }
  g_clear_pointer (&out3, g_free);
  g_clear_pointer (&err, g_free);

  /* Errors: unknown event (1), bad usage (2). */
  g_assert_false (run (f, &out3, &err, &status, "links", "999", NULL));
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "999"));
  g_assert_null (strchr (g_strstrip (err), '\n'));
  g_clear_pointer (&out3, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_false (run (f, &out3, &err, &status, "links", "abc", NULL));
  g_assert_cmpint (status, ==, 2);
  g_clear_pointer (&out3, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_false (run (f, &out3, &err, &status, "links", NULL));
  g_assert_cmpint (status, ==, 2);
}

typedef struct {
  GSubprocess *proc;
  char        *url;
} Server;

static Server *
serve_start (Fixture    *f,
             const char *listen)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  Server *s = g_new0 (Server, 1);
  g_autofree char *line = NULL;

  s->proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, f->exe, "--db", f->db,
                              "serve", "--listen", listen, NULL);
  g_assert_no_error (error);
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (s->proc));
  line = g_data_input_stream_read_line (in, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "LISTENING http://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (line, "/"));
  s->url = g_strdup (line + strlen ("LISTENING "));
  return s;
}

static void
serve_stop (Server *s)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (s->proc, SIGTERM);
  g_subprocess_wait (s->proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (s->proc));
  g_assert_cmpint (g_subprocess_get_exit_status (s->proc), ==, 0);
  g_object_unref (s->proc);
  g_free (s->url);
  g_free (s);
}

static void
test_serve (Fixture *f, gconstpointer data)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *busy = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *links = NULL, *event = NULL;
  g_autofree char *token = NULL;
  const char *port;
  Server *s;
  int status;

  if (f->exe == NULL)
    return;
  event = start_event (f);
  s = serve_start (f, "127.0.0.1:0");

  url = g_strconcat (s->url, "healthz", NULL);
  msg = soup_message_new ("GET", url);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), "ok", 2);

  /* A link printed by `links` opens the page served by `serve`. */
  g_assert_true (run (f, &links, &err, &status, "links", event, NULL));
  g_clear_pointer (&err, g_free);
  {
    g_auto(GStrv) lines = g_strsplit (links, "\n", 3);
    g_autofree char *page = NULL;
    g_autoptr(SoupMessage) m2 = NULL;
    g_autoptr(GBytes) b2 = NULL;

    token = g_strdup (strstr (lines[1], "/r/") + 3);
    page = g_strconcat (s->url, "r/", token, NULL);
    m2 = soup_message_new ("GET", page);
    b2 = soup_session_send_and_read (session, m2, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (m2), ==, 200);
    g_assert_nonnull (g_strstr_len (g_bytes_get_data (b2, NULL), g_bytes_get_size (b2), "CLI test"));
  }

  /* The same port again: a clear one-line error, exit 1. */
  port = strrchr (s->url, ':') + 1;
  busy = g_strdup_printf ("127.0.0.1:%.*s", (int) (strlen (port) - 1), port);
  g_assert_false (run (f, &out, &err, &status, "serve", "--listen", busy, NULL));
  g_assert_cmpint (status, ==, 1);
  g_test_message ("busy: %s", err);
  g_assert_nonnull (strstr (err, "already in use"));
  g_assert_nonnull (strstr (err, busy));
  g_assert_null (strchr (g_strstrip (err), '\n'));
  g_assert_cmpstr (out, ==, "");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Bad usage. */
  g_assert_false (run (f, &out, &err, &status, "serve", "--listen", "localhost:80", NULL));
  g_assert_cmpint (status, ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_false (run (f, &out, &err, &status, "serve", "--listen", "127.0.0.1:0",
                       "--trusted-proxy", "127.0.0.1", "--trusted-proxy", "10.0.0.0/99", NULL));
  g_assert_cmpint (status, ==, 2);
  g_test_message ("bad proxy: %s", err);
  g_assert_nonnull (strstr (err, "10.0.0.0/99"));

  serve_stop (s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/portal/cli/links", Fixture, NULL, fixture_setup, test_links, fixture_teardown);
  g_test_add ("/portal/cli/serve", Fixture, NULL, fixture_setup, test_serve, fixture_teardown);
  return g_test_run ();
}
