/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The portal's listener under connection floods (issue 12, finding 1):
 * accept() failing with EMFILE is survived, idle connections are capped
 * per client address, connections over the global cap are refused fast,
 * and `drdeskctl serve` at an open-file limit of 64 still answers after
 * a burst of 80 idle connections. Real sockets on 127.0.0.1 (and
 * 127.0.0.2 as a second client address: all of 127/8 is loopback). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "portal/drd-portal.h"

/* ------------------------------------------------------------------ */
/* Plain blocking clients (run in a thread, or against a child)        */

static int
client_connect (const char *src,
                guint       port)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (port) };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return -1;
  if (src != NULL)
    {
      struct sockaddr_in local = { .sin_family = AF_INET };

      inet_pton (AF_INET, src, &local.sin_addr);
      if (bind (fd, (struct sockaddr *) &local, sizeof local) != 0)
        {
          close (fd);
          return -1;
        }
    }
  inet_pton (AF_INET, "127.0.0.1", &sa.sin_addr);
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) != 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* Reads until the end of the response headers (or EOF / timeout);
 * returns the status code, 0 on EOF before a status line, -1 on timeout
 * or error. */
static int
read_status (int fd,
             int timeout_ms)
{
  char buf[4096];
  const char *end;
  gsize len = 0;
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (len < sizeof buf - 1)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      int left = (int) ((deadline - g_get_monotonic_time ()) / 1000);
      ssize_t n;

      if (left <= 0 || poll (&p, 1, left) <= 0)
        return -1;
      n = read (fd, buf + len, sizeof buf - 1 - len);
      if (n < 0)
        return errno == ECONNRESET ? 0 : -1;
      if (n == 0)
        break;
      len += (gsize) n;
      buf[len] = '\0';
      /* Headers and the body (Content-Length), so that the next
       * response on a keep-alive connection starts clean. */
      if ((end = strstr (buf, "\r\n\r\n")) != NULL)
        {
          const char *cl = g_strstr_len (buf, end - buf, "Content-Length: ");
          gsize body = cl != NULL ? (gsize) atoi (cl + 16) : 0;

          if (len >= (gsize) (end + 4 - buf) + body)
            break;
        }
    }
  buf[len] = '\0';
  if (len >= 12 && g_str_has_prefix (buf, "HTTP/1."))
    return atoi (buf + 9);
  return 0;
}

static int
request_status (int         fd,
                const char *path,
                int         timeout_ms)
{
  g_autofree char *req = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);

  if (write (fd, req, strlen (req)) != (ssize_t) strlen (req))
    return -1;
  return read_status (fd, timeout_ms);
}

/* A fresh connection from @src, GET /healthz: the status (-1 = no answer). */
static int
healthz (const char *src,
         guint       port,
         int         timeout_ms)
{
  int fd = client_connect (src, port);
  int status;

  if (fd < 0)
    return -1;
  status = request_status (fd, "/healthz", timeout_ms);
  close (fd);
  return status;
}

/* TRUE when the server closed @fd (EOF or reset) within @wait_ms. */
static gboolean
closed_by_server (int fd,
                  int wait_ms)
{
  struct pollfd p = { .fd = fd, .events = POLLIN };
  char c;

  if (poll (&p, 1, wait_ms) <= 0)
    return FALSE;
  return read (fd, &c, 1) <= 0;
}

/* ------------------------------------------------------------------ */
/* An in-process portal on an empty database                           */

typedef struct {
  char       *dir;
  DrdStore   *store;
  DrdPortal  *portal;
  guint       port;
  GMainLoop  *loop;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *db = NULL;

  f->dir = g_dir_make_tmp ("drd-listener-XXXXXX", &error);
  g_assert_no_error (error);
  db = g_build_filename (f->dir, "test.db", NULL);
  f->store = drd_store_open (db, &error);
  g_assert_no_error (error);
  f->portal = drd_portal_new (f->store, NULL);
  drd_portal_set_rate_limit (f->portal, 0, 1);
  drd_portal_set_request_timeout (f->portal, 30);
  f->loop = g_main_loop_new (NULL, FALSE);
}

static void
fixture_listen (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (drd_portal_listen (f->portal, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  f->port = drd_portal_get_port (f->portal);
  g_assert_cmpuint (f->port, >, 0);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  drd_portal_stop (f->portal);
  g_clear_object (&f->portal);
  g_clear_object (&f->store);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_pointer (&f->loop, g_main_loop_unref);
  {
    g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *p = g_build_filename (f->dir, name, NULL);
        g_unlink (p);
      }
  }
  g_rmdir (f->dir);
  g_free (f->dir);
}

/* Runs @func in a thread while the main loop serves the portal. */
typedef struct {
  Fixture    *f;
  GThreadFunc func;
} ClientRun;

static gboolean
quit_idle (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static gpointer
client_thread (gpointer data)
{
  ClientRun *r = data;
  gpointer result = r->func (r->f);

  g_idle_add (quit_idle, r->f->loop);
  return result;
}

static gpointer
run_clients (Fixture     *f,
             GThreadFunc  func)
{
  ClientRun r = { f, func };
  GThread *t = g_thread_new ("clients", client_thread, &r);

  g_main_loop_run (f->loop);
  return g_thread_join (t);
}

/* ------------------------------------------------------------------ */
/* accept() failing with EMFILE                                        */

typedef struct {
  int first_status;     /* the connection accepted while no fd was free */
  int later_status;     /* a fresh connection once fds are free again */
} EmfileResult;

static gpointer
emfile_clients (gpointer data)
{
  Fixture *f = data;
  EmfileResult *res = g_new0 (EmfileResult, 1);
  g_autoptr(GArray) fillers = g_array_new (FALSE, FALSE, sizeof (int));
  int fd, c;

  /* Take every free file descriptor of the process... */
  while ((fd = open ("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
    g_array_append_val (fillers, fd);
  g_assert_cmpint (errno, ==, EMFILE);
  /* ...but one, for the client's own socket: the portal's accept() now
   * fails with EMFILE. */
  close (g_array_index (fillers, int, fillers->len - 1));
  g_array_set_size (fillers, fillers->len - 1);
  c = client_connect (NULL, f->port);
  g_assert_cmpint (c, >=, 0);
  g_usleep (600 * 1000);
  for (guint i = 0; i < fillers->len; i++)
    close (g_array_index (fillers, int, i));

  /* Answered or refused instead of hanging... */
  res->first_status = request_status (c, "/healthz", 5000);
  close (c);
  /* ...and the listener still accepts. */
  res->later_status = healthz (NULL, f->port, 5000);
  return res;
}

static void
test_accept_emfile (Fixture       *f,
                    gconstpointer  data)
{
  struct rlimit old, low;
  g_autofree EmfileResult *res = NULL;
  int probe;

  drd_portal_set_poll_interval (f->portal, 60000);
  fixture_listen (f);
  /* The first event check (on a reader thread) opens its database
   * connection before the descriptors run out. */
  {
    gint64 until = g_get_monotonic_time () + 500 * 1000;

    while (g_get_monotonic_time () < until)
      g_main_context_iteration (NULL, FALSE), g_usleep (10 * 1000);
  }
  /* Keep the number of descriptors to fill small. */
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &old), ==, 0);
  probe = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  close (probe);
  low = old;
  low.rlim_cur = MIN (old.rlim_cur, (rlim_t) probe + 64);
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &low), ==, 0);

  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "*cannot accept*");
  res = run_clients (f, emfile_clients);
  g_test_assert_expected_messages ();
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &old), ==, 0);

  /* Refused (503, or a reset when its request was already in), or
   * answered once descriptors were free: never left hanging. */
  g_assert_true (res->first_status == 200 || res->first_status == 503 || res->first_status == 0);
  g_assert_cmpint (res->later_status, ==, 200);
}

/* ------------------------------------------------------------------ */
/* Per-address idle cap                                                */

typedef struct {
  int still_open;       /* of the 10 idle connections from 127.0.0.1 */
  int other_status;     /* a request from 127.0.0.2 */
  int same_status;      /* a new request from 127.0.0.1 */
} CapResult;

static gpointer
per_address_clients (gpointer data)
{
  Fixture *f = data;
  CapResult *res = g_new0 (CapResult, 1);
  int fds[10];

  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    {
      fds[i] = client_connect ("127.0.0.1", f->port);
      g_assert_cmpint (fds[i], >=, 0);
      g_usleep (20 * 1000);
    }
  g_usleep (300 * 1000);
  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    res->still_open += !closed_by_server (fds[i], 50);
  res->other_status = healthz ("127.0.0.2", f->port, 3000);
  res->same_status = healthz ("127.0.0.1", f->port, 3000);
  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    close (fds[i]);
  return res;
}

static void
test_per_address_cap (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree CapResult *res = NULL;

  drd_portal_set_connection_limits (f->portal, 100, 4);
  fixture_listen (f);
  res = run_clients (f, per_address_clients);
  /* The newest four stay, the older idle ones were closed. */
  g_assert_cmpint (res->still_open, ==, 4);
  g_assert_cmpint (res->other_status, ==, 200);
  g_assert_cmpint (res->same_status, ==, 200);
}

/* ------------------------------------------------------------------ */
/* Global cap: idle connections make room, busy ones are refused fast  */

typedef struct {
  int     idle_open;        /* of 8 idle connections after 8 more came */
  int     busy_open;        /* of 8 busy connections */
  int     refused_status;   /* a 9th connection while 8 are busy */
  gint64  refused_us;       /* how long that took */
  int     after_status;     /* once the busy ones are gone */
} GlobalResult;

static gpointer
global_clients (gpointer data)
{
  Fixture *f = data;
  GlobalResult *res = g_new0 (GlobalResult, 1);
  int idle[8], busy[8];
  const char *partial = "POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789";
  gint64 t0;
  int c;

  /* 8 idle connections from 8 addresses fill the cap... */
  for (guint i = 0; i < G_N_ELEMENTS (idle); i++)
    {
      g_autofree char *src = g_strdup_printf ("127.0.0.%u", 10 + i);

      idle[i] = client_connect (src, f->port);
      g_assert_cmpint (idle[i], >=, 0);
      g_usleep (20 * 1000);
    }
  /* ...8 busy ones (a request whose body is still coming) push them out. */
  for (guint i = 0; i < G_N_ELEMENTS (busy); i++)
    {
      g_autofree char *src = g_strdup_printf ("127.0.0.%u", 30 + i);

      busy[i] = client_connect (src, f->port);
      g_assert_cmpint (busy[i], >=, 0);
      g_assert_cmpint (write (busy[i], partial, strlen (partial)), ==, (ssize_t) strlen (partial));
      g_usleep (20 * 1000);
    }
  g_usleep (300 * 1000);
  for (guint i = 0; i < G_N_ELEMENTS (idle); i++)
    res->idle_open += !closed_by_server (idle[i], 20);
  for (guint i = 0; i < G_N_ELEMENTS (busy); i++)
    res->busy_open += !closed_by_server (busy[i], 20);

  /* Every slot busy: a newcomer is told so at once. */
  t0 = g_get_monotonic_time ();
  c = client_connect ("127.0.0.50", f->port);
  g_assert_cmpint (c, >=, 0);
  res->refused_status = read_status (c, 5000);
  res->refused_us = g_get_monotonic_time () - t0;
  close (c);

  for (guint i = 0; i < G_N_ELEMENTS (idle); i++)
    close (idle[i]);
  for (guint i = 0; i < G_N_ELEMENTS (busy); i++)
    close (busy[i]);
  g_usleep (300 * 1000);
  res->after_status = healthz ("127.0.0.51", f->port, 3000);
  return res;
}

static void
test_global_cap (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree GlobalResult *res = NULL;

  drd_portal_set_connection_limits (f->portal, 8, 64);
  fixture_listen (f);
  res = run_clients (f, global_clients);
  g_assert_cmpint (res->idle_open, ==, 0);
  g_assert_cmpint (res->busy_open, ==, 8);
  g_assert_cmpint (res->refused_status, ==, 503);
  g_assert_cmpint (res->refused_us, <, G_USEC_PER_SEC);
  g_assert_cmpint (res->after_status, ==, 200);
}

/* ------------------------------------------------------------------ */
/* Keep-alive connections that the client closes                       */

static guint
open_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

typedef struct {
  int statuses_ok;      /* of 2 × 60 requests on 60 keep-alive connections */
  int last_status;      /* a request after all of them, with a cap of 8 */
} KeepAliveResult;

static gpointer
keepalive_clients (gpointer data)
{
  Fixture *f = data;
  KeepAliveResult *res = g_new0 (KeepAliveResult, 1);

  /* Browsers keep a connection after a page and close it later: each
   * of these waits for its next request when the client goes. */
  for (guint i = 0; i < 60; i++)
    {
      int fd = client_connect (NULL, f->port);

      g_assert_cmpint (fd, >=, 0);
      res->statuses_ok += request_status (fd, "/healthz", 3000) == 200;
      res->statuses_ok += request_status (fd, "/healthz", 3000) == 200;
      close (fd);
      g_usleep (5 * 1000);
    }
  g_usleep (300 * 1000);
  res->last_status = healthz (NULL, f->port, 3000);
  return res;
}

static void
test_keepalive_closed_by_client (Fixture       *f,
                                 gconstpointer  data)
{
  g_autofree KeepAliveResult *res = NULL;
  guint before, after;

  drd_portal_set_connection_limits (f->portal, 8, 64);
  fixture_listen (f);
  before = open_fds ();
  res = run_clients (f, keepalive_clients);
  after = open_fds ();
  g_assert_cmpint (res->statuses_ok, ==, 120);
  /* Every connection's descriptor is released (libsoup 3.2.3 alone
   * keeps each one open for good)... */
  g_assert_cmpuint (after, <=, before + 2);
  /* ...and no longer counts against the connection cap. */
  g_assert_cmpint (res->last_status, ==, 200);
}

/* ------------------------------------------------------------------ */
/* drdeskctl serve at a low open-file limit                            */

typedef struct {
  char  *dir;
  char  *db;
  char  *exe;
} Serve;

static void
serve_prepare (Serve *s)
{
  g_autoptr(GError) error = NULL;
  const char *build = g_getenv ("DRD_BUILD_DIR");
  char *argv[] = { NULL, "--db", NULL, "init", NULL };
  int status = 0;

  s->exe = g_build_filename (build, "src", "drdeskctl", NULL);
  s->dir = g_dir_make_tmp ("drd-listener-serve-XXXXXX", &error);
  g_assert_no_error (error);
  s->db = g_build_filename (s->dir, "serve.db", NULL);
  argv[0] = s->exe;
  argv[2] = s->db;
  g_spawn_sync (NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static void
serve_cleanup (Serve *s)
{
  g_autoptr(GDir) dir = g_dir_open (s->dir, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *p = g_build_filename (s->dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (s->dir);
  g_free (s->dir);
  g_free (s->db);
  g_free (s->exe);
}

static struct rlimit child_limit;

static void
set_child_limit (gpointer data)
{
  setrlimit (RLIMIT_NOFILE, &child_limit);
}

/* Starts serve with RLIMIT_NOFILE @soft/@hard; returns its pid and port. */
static GPid
serve_start (Serve  *s,
             rlim_t  soft,
             rlim_t  hard,
             guint  *out_port,
             int    *out_stderr)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOChannel) ch = NULL;
  g_autofree char *line = NULL;
  char *argv[] = { s->exe, "--db", s->db, "serve", "--listen", "127.0.0.1:0", "--no-notifier",
                   "--no-settler", "--rate-limit", "0", NULL };
  GPid pid;
  int out;
  const char *p;

  child_limit.rlim_cur = soft;
  child_limit.rlim_max = hard;
  g_spawn_async_with_pipes (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, set_child_limit, NULL,
                            &pid, NULL, &out, out_stderr, &error);
  g_assert_no_error (error);
  ch = g_io_channel_unix_new (out);
  g_io_channel_set_close_on_unref (ch, TRUE);
  g_assert_cmpint (g_io_channel_read_line (ch, &line, NULL, NULL, &error), ==, G_IO_STATUS_NORMAL);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "LISTENING http://127.0.0.1:"));
  p = strrchr (line, ':');
  *out_port = (guint) atoi (p + 1);
  return pid;
}

static void
serve_stop (GPid pid)
{
  int status;

  kill (pid, SIGTERM);
  waitpid (pid, &status, 0);
  g_spawn_close_pid (pid);
}

static char *
read_all (int fd)
{
  GString *s = g_string_new (NULL);
  char buf[4096];
  ssize_t n;

  while ((n = read (fd, buf, sizeof buf)) > 0)
    g_string_append_len (s, buf, n);
  close (fd);
  return g_string_free (s, FALSE);
}

/* The reproduction: at 64 files, 80 idle connections made
 * accept() fail once and the portal never accepted again. */
static void
test_serve_burst_at_64_files (void)
{
  Serve s = { 0 };
  guint port;
  int err_fd;
  GPid pid;
  int fds[80];
  int n_open = 0;
  g_autofree char *err = NULL;

  if (g_getenv ("DRD_BUILD_DIR") == NULL)
    {
      g_test_skip ("DRD_BUILD_DIR is not set (run through meson test)");
      return;
    }
  serve_prepare (&s);
  pid = serve_start (&s, 64, 64, &port, &err_fd);
  g_assert_cmpint (healthz (NULL, port, 3000), ==, 200);

  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    {
      fds[i] = client_connect (NULL, port);
      n_open += fds[i] >= 0;
    }
  g_assert_cmpint (n_open, ==, G_N_ELEMENTS (fds));
  g_usleep (500 * 1000);
  /* During the burst a normal client is still answered (from another
   * address: the flood's own address has its idle cap)... */
  g_assert_cmpint (healthz ("127.0.0.2", port, 3000), ==, 200);
  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    close (fds[i]);
  g_usleep (300 * 1000);
  /* ...and after it, from anywhere. */
  g_assert_cmpint (healthz (NULL, port, 3000), ==, 200);
  g_assert_cmpint (healthz ("127.0.0.2", port, 3000), ==, 200);

  serve_stop (pid);
  err = read_all (err_fd);
  g_assert_null (strstr (err, "CRITICAL"));
  serve_cleanup (&s);
}

/* serve raises its soft open-file limit to the hard limit. */
static void
test_serve_raises_nofile (void)
{
  Serve s = { 0 };
  guint port;
  int err_fd;
  GPid pid;
  g_autofree char *limits_path = NULL;
  g_autofree char *limits = NULL;
  g_autofree char *err = NULL;
  char *line;

  if (g_getenv ("DRD_BUILD_DIR") == NULL)
    {
      g_test_skip ("DRD_BUILD_DIR is not set (run through meson test)");
      return;
    }
  serve_prepare (&s);
  pid = serve_start (&s, 64, 2048, &port, &err_fd);
  limits_path = g_strdup_printf ("/proc/%d/limits", pid);
  g_assert_true (g_file_get_contents (limits_path, &limits, NULL, NULL));
  line = strstr (limits, "Max open files");
  g_assert_nonnull (line);
  g_assert_true (g_regex_match_simple ("^Max open files +2048 +2048 ", line, G_REGEX_MULTILINE, 0));
  serve_stop (pid);
  err = read_all (err_fd);
  serve_cleanup (&s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* A client gone mid-write must not kill the test. */
  signal (SIGPIPE, SIG_IGN);
  g_test_add ("/portal-listener/accept-emfile", Fixture, NULL, fixture_setup, test_accept_emfile,
              fixture_teardown);
  g_test_add ("/portal-listener/per-address-cap", Fixture, NULL, fixture_setup,
              test_per_address_cap, fixture_teardown);
  g_test_add ("/portal-listener/global-cap", Fixture, NULL, fixture_setup, test_global_cap,
              fixture_teardown);
  g_test_add ("/portal-listener/keepalive-closed-by-client", Fixture, NULL, fixture_setup,
              test_keepalive_closed_by_client, fixture_teardown);
  g_test_add_func ("/portal-listener/serve-burst-64-files", test_serve_burst_at_64_files);
  g_test_add_func ("/portal-listener/serve-raises-nofile", test_serve_raises_nofile);
  return g_test_run ();
}
