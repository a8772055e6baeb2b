/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How the portal treats requests as they arrive from the real internet:
 * through a reverse proxy or a shared (CGNAT) address, from clients that
 * guess links, with ambiguous framing (request smuggling), holding live
 * update streams, and whether it is ready to make answers durable.
 * Real HTTP on 127.0.0.0/8 (clients bind their own loopback source
 * address to be different clients), real SQLite files. */
#include "../drd-test-sql.h"
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "portal/drd-portal.h"
#include "store/drd-store-portal.h"
#include "store/drd-store-private.h"

#define N_CUSTOMERS 200

typedef struct {
  char        *dir;
  char        *db_path;
  DrdStore    *store;
  GBytes      *secret;
  DrdPortal   *portal;
  SoupSession *session;
  char        *base;
  guint        port;
  char        *tokens[N_CUSTOMERS + 1];   /* [i] = customer i's link; [0] unused */
  gint64       event;                     /* open for every customer */
} Fixture;

static DrdCustomer *
customer (gint64 id)
{
  DrdCustomer *c = drd_customer_new ();

  c->id = id;
  c->name = g_strdup_printf ("Customer %" G_GINT64_FORMAT, id);
  c->kepco_no = g_strdup_printf ("0100%06" G_GINT64_FORMAT, id);
  c->resource = g_strdup ("main");
  c->registered_w = 10000;
  return c;
}

static void
iterate_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) customers = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_customer_free);
  g_autoptr(DrdStoreImportResult) result = NULL;
  g_autoptr(DrdEvent) e = drd_event_new ();
  g_autofree char *secret_path = NULL;
  const char *resources[] = { "main", NULL };
  gint64 now = drd_store_now ();
  gint64 slot = now / 900 * 900;
  gint64 n = 0;
  gint64 end;

  f->dir = g_dir_make_tmp ("drd-requests-XXXXXX", &error);
  g_assert_no_error (error);
  f->db_path = g_build_filename (f->dir, "test.db", NULL);
  f->store = drd_store_open (f->db_path, &error);
  g_assert_no_error (error);
  for (gint64 i = 1; i <= N_CUSTOMERS; i++)
    g_ptr_array_add (customers, customer (i));
  result = drd_store_import_customers (f->store, customers, "test", now, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->row_errors->len, ==, 0);

  e->name = g_strdup ("Peak");
  e->kind = DRD_EVENT_KIND_RELIABILITY;
  e->start_at = slot + 3600;
  e->end_at = slot + 7200;
  e->target_w = 100000;
  e->resources = g_strdupv ((char **) resources);
  g_assert_true (drd_store_start_event (f->store, e, "test", now, &f->event, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, N_CUSTOMERS);

  secret_path = drd_link_secret_path (f->store);
  f->secret = drd_link_secret_load_or_create (secret_path, &error);
  g_assert_no_error (error);
  g_assert_true (drd_store_portal_ensure_tokens (f->store, f->secret, NULL, &error));
  g_assert_no_error (error);
  for (gint64 i = 1; i <= N_CUSTOMERS; i++)
    f->tokens[i] = drd_link_token_derive (f->secret, i, 0);

  /* The shipped limits (20/s, burst 40 per address; per link 1/s, burst
   * 10) unless a test says otherwise. */
  f->portal = drd_portal_new (f->store, f->secret);
  drd_portal_set_poll_interval (f->portal, 100);
  g_assert_true (drd_portal_listen (f->portal, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  f->base = drd_portal_get_url (f->portal);
  f->port = drd_portal_get_port (f->portal);
  f->session = soup_session_new_with_options ("max-conns", 256, "max-conns-per-host", 256, NULL);
  end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!drd_portal_get_token_index_ready (f->portal) && g_get_monotonic_time () < end)
    iterate_for (10);
  g_assert_true (drd_portal_get_token_index_ready (f->portal));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->session);
  drd_portal_stop (f->portal);
  g_clear_object (&f->portal);
  g_clear_pointer (&f->secret, g_bytes_unref);
  g_clear_object (&f->store);
  while (g_main_context_iteration (NULL, FALSE))
    ;
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
  g_free (f->db_path);
  g_free (f->base);
  for (guint i = 0; i < G_N_ELEMENTS (f->tokens); i++)
    g_free (f->tokens[i]);
}

/* A well-formed link no customer has. */
static char *
bogus_token (void)
{
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  char *t = g_malloc (DRD_LINK_TOKEN_LEN + 1);

  for (int i = 0; i < DRD_LINK_TOKEN_LEN; i++)
    t[i] = alphabet[g_random_int_range (0, 64)];
  t[DRD_LINK_TOKEN_LEN] = '\0';
  return t;
}

/* ------------------------------------------------------------------ */
/* A raw HTTP client in a thread (the portal runs in this thread's main
 * loop), bound to its own loopback source address.                    */

typedef struct {
  char     *src;          /* source address, e.g. "127.0.0.7" (NULL: any) */
  guint     port;
  char     *request;
  guint     wait_ms;      /* most time to wait for the reply */
  gboolean  until_eof;    /* read until the server closes (else one response) */
  /* out */
  GString  *reply;
  gboolean  eof;          /* the server closed the connection */
  gint64    elapsed_us;   /* until the reply was complete / EOF */
  gint      done;         /* atomic */
} Raw;

static void
raw_free (Raw *r)
{
  g_free (r->src);
  g_free (r->request);
  if (r->reply)
    g_string_free (r->reply, TRUE);
  g_free (r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Raw, raw_free)

/* TRUE once @s holds a whole response with a Content-Length body. */
static gboolean
response_complete (GString *s)
{
  const char *end = strstr (s->str, "\r\n\r\n");
  const char *cl;
  guint64 len = 0;

  if (end == NULL)
    return FALSE;
  cl = g_strstr_len (s->str, end - s->str, "Content-Length: ");
  if (cl != NULL)
    len = g_ascii_strtoull (cl + 16, NULL, 10);
  else if (g_strstr_len (s->str, end - s->str, "chunked") != NULL)
    return g_str_has_suffix (s->str, "0\r\n\r\n");
  return (guint64) (s->len - (end + 4 - s->str)) >= len;
}

static gpointer
raw_thread (gpointer data)
{
  Raw *r = data;
  struct sockaddr_in sa = { .sin_family = AF_INET };
  struct timeval tv = { .tv_sec = r->wait_ms / 1000, .tv_usec = (r->wait_ms % 1000) * 1000 };
  gint64 t0;
  char buf[4096];
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  g_assert_cmpint (fd, >=, 0);
  if (r->src != NULL)
    {
      struct sockaddr_in src = { .sin_family = AF_INET };

      g_assert_cmpint (inet_pton (AF_INET, r->src, &src.sin_addr), ==, 1);
      g_assert_cmpint (bind (fd, (struct sockaddr *) &src, sizeof src), ==, 0);
    }
  sa.sin_port = htons (r->port);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  t0 = g_get_monotonic_time ();
  g_assert_cmpint (send (fd, r->request, strlen (r->request), MSG_NOSIGNAL), ==,
                   (gssize) strlen (r->request));
  for (;;)
    {
      gssize n = recv (fd, buf, sizeof buf, 0);

      if (n == 0)
        {
          r->eof = TRUE;
          break;
        }
      if (n < 0)
        {
          /* A reset after the reply counts as the server closing. */
          r->eof = errno == ECONNRESET;
          break;
        }
      g_string_append_len (r->reply, buf, n);
      if (!r->until_eof && response_complete (r->reply))
        break;
    }
  r->elapsed_us = g_get_monotonic_time () - t0;
  close (fd);
  g_atomic_int_set (&r->done, 1);
  return NULL;
}

static Raw *
raw_run_full (Fixture    *f,
              const char *src,
              const char *request,
              guint       wait_ms,
              gboolean    until_eof)
{
  Raw *r = g_new0 (Raw, 1);
  GThread *thread;

  r->src = g_strdup (src);
  r->port = f->port;
  r->request = g_strdup (request);
  r->wait_ms = wait_ms;
  r->until_eof = until_eof;
  r->reply = g_string_new (NULL);
  thread = g_thread_new ("raw-client", raw_thread, r);
  while (!g_atomic_int_get (&r->done))
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (200);
    }
  g_thread_join (thread);
  return r;
}

/* One request, one response: the status code (0 when none came). */
static guint
raw_status (Raw *r)
{
  guint64 status = 0;

  if (g_str_has_prefix (r->reply->str, "HTTP/1.1 "))
    status = g_ascii_strtoull (r->reply->str + 9, NULL, 10);
  return (guint) status;
}

static guint
get_from (Fixture    *f,
          const char *src,
          const char *path,
          const char *extra_headers)
{
  g_autofree char *req = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: portal\r\n%s"
                                          "Connection: close\r\n\r\n",
                                          path, extra_headers ? extra_headers : "");
  g_autoptr(Raw) r = raw_run_full (f, src, req, 5000, TRUE);

  return raw_status (r);
}

/* A guess: a link nobody has. 404 while the limit lets it through. */
static guint
guess_from (Fixture    *f,
            const char *src,
            const char *extra_headers)
{
  g_autofree char *token = bogus_token ();
  g_autofree char *path = g_strconcat ("/r/", token, NULL);

  return get_from (f, src, path, extra_headers);
}

/* ------------------------------------------------------------------ */
/* Finding 4: proxies, shared addresses, guessing                      */

typedef struct {
  Fixture    *f;
  guint       index;
  guint       step;        /* 0 page, 1 answer, 2 page after the answer */
  guint       n_answered;  /* 303 to the page */
  guint      *answered;
  guint      *failed;
  guint      *pending;
  char       *location;
} Customer;

static void customer_next (Customer *c);

static void
customer_sent_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Customer *c = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                              &error);
  guint status = soup_message_get_status (msg);
  guint wanted = c->step == 1 ? 303 : 200;

  g_object_unref (msg);
  if (error != NULL || status != wanted)
    {
      g_test_message ("customer %u step %u: %u %s", c->index, c->step, status,
                      error ? error->message : "");
      (*c->failed)++;
      (*c->pending)--;
      return;
    }
  if (c->step == 1)
    {
      (*c->answered)++;
      c->location = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                            "Location"));
    }
  if (++c->step == 3)
    {
      (*c->pending)--;
      return;
    }
  customer_next (c);
}

/* One customer behind the proxy: opens the page, answers, sees the page. */
static void
customer_next (Customer *c)
{
  Fixture *f = c->f;
  g_autofree char *page = g_strconcat (f->base, "r/", f->tokens[c->index], NULL);
  SoupMessage *msg;

  if (c->step == 1)
    {
      g_autofree char *body = g_strdup_printf ("event_id=%" G_GINT64_FORMAT "&answer=accept",
                                               f->event);
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      msg = soup_message_new ("POST", page);
      soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", bytes);
    }
  else if (c->step == 2)
    {
      g_autoptr(GUri) base = g_uri_parse (f->base, G_URI_FLAGS_NONE, NULL);
      g_autoptr(GUri) uri = g_uri_parse_relative (base, c->location, G_URI_FLAGS_NONE, NULL);

      msg = soup_message_new_from_uri ("GET", uri);
    }
  else
    msg = soup_message_new ("GET", page);
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  /* Every customer comes through the same CGNAT address, via the proxy. */
  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Forwarded-For",
                                "203.0.113.7");
  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Forwarded-Proto",
                                "https");
  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL,
                                    customer_sent_cb, c);
}

/* 200 customers answering within 2 s through one trusted proxy (and one
 * shared client address behind it) are all answered. Before: 22 of 200. */
static void
test_proxy_customers (Fixture *f, gconstpointer data)
{
  const char *proxies[] = { "127.0.0.1", NULL };
  g_autoptr(GError) error = NULL;
  Customer customers[N_CUSTOMERS];
  guint answered = 0, failed = 0, pending = N_CUSTOMERS;
  gint64 t0 = g_get_monotonic_time (), end;
  guint started = 0;

  g_assert_true (drd_portal_set_trusted_proxies (f->portal, proxies, &error));
  g_assert_no_error (error);
  memset (customers, 0, sizeof customers);
  /* One customer starting every 9 ms: all 200 within 1.8 s. */
  end = t0 + 20 * G_USEC_PER_SEC;
  while (pending > 0 && g_get_monotonic_time () < end)
    {
      while (started < N_CUSTOMERS && g_get_monotonic_time () - t0 >= started * 9000)
        {
          Customer *c = &customers[started];

          c->f = f;
          c->index = started + 1;
          c->answered = &answered;
          c->failed = &failed;
          c->pending = &pending;
          started++;
          customer_next (c);
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (200);
    }
  g_test_message ("answered %u / %d, failed %u, in %.2f s", answered, N_CUSTOMERS, failed,
                  (g_get_monotonic_time () - t0) / 1e6);
  for (guint i = 0; i < N_CUSTOMERS; i++)
    g_free (customers[i].location);
  g_assert_cmpuint (failed, ==, 0);
  g_assert_cmpuint (answered, ==, N_CUSTOMERS);
  g_assert_cmpint (drd_test_sql_int (f->db_path, "SELECT count(*) FROM responses"
                                     " WHERE event_id = ? AND answer <> 0", "i", f->event),
                   ==, N_CUSTOMERS);
}

/* A guessing client from one address is limited; a real customer at the
 * same address still gets through (requests with a valid link are
 * limited per link, not per address). */
static void
test_guessing_limited (Fixture *f, gconstpointer data)
{
  g_autofree char *page = g_strconcat ("/r/", f->tokens[1], NULL);
  guint n_404 = 0, n_429 = 0;

  for (int i = 0; i < 80; i++)
    {
      guint status = guess_from (f, "127.0.0.1", NULL);

      if (status == 404)
        n_404++;
      else
        {
          g_assert_cmpuint (status, ==, 429);
          n_429++;
        }
    }
  g_test_message ("guesses: %u got through (404), %u limited (429)", n_404, n_429);
  /* burst 40 plus what 20/s refilled meanwhile */
  g_assert_cmpuint (n_404, >=, 40);
  g_assert_cmpuint (n_404, <, 70);
  g_assert_cmpuint (n_429, >, 0);
  /* The guesses also count when sent to the API. */
  {
    g_autofree char *token = bogus_token ();
    g_autofree char *hdr = g_strdup_printf ("Authorization: Bearer %s\r\n", token);

    g_assert_cmpuint (get_from (f, "127.0.0.1", "/api/v1/me", hdr), ==, 429);
  }
  /* The customer sharing the guesser's address is not turned away. */
  for (int i = 0; i < 5; i++)
    g_assert_cmpuint (get_from (f, "127.0.0.1", page, NULL), ==, 200);
  /* Static files are not counted. */
  for (int i = 0; i < 50; i++)
    g_assert_cmpuint (get_from (f, "127.0.0.1", "/static/portal.css", NULL), ==, 200);
  g_assert_cmpuint (get_from (f, "127.0.0.1", "/healthz", NULL), ==, 200);
}

/* A link is limited on its own: 1/s, burst 10. */
static void
test_token_limited (Fixture *f, gconstpointer data)
{
  g_autofree char *page = g_strconcat ("/r/", f->tokens[2], NULL);
  g_autofree char *other = g_strconcat ("/r/", f->tokens[3], NULL);
  guint n_ok = 0, n_429 = 0;

  for (int i = 0; i < 14; i++)
    {
      /* from different addresses: the link is what is counted */
      g_autofree char *src = g_strdup_printf ("127.0.1.%d", i + 1);
      guint status = get_from (f, src, page, NULL);

      if (status == 200)
        n_ok++;
      else
        {
          g_assert_cmpuint (status, ==, 429);
          n_429++;
        }
    }
  g_test_message ("one link: %u served, %u limited", n_ok, n_429);
  g_assert_cmpuint (n_ok, >=, 10);
  g_assert_cmpuint (n_ok, <=, 12);
  g_assert_cmpuint (n_429, >=, 2);
  g_assert_cmpuint (get_from (f, "127.0.1.1", other, NULL), ==, 200);
}

/* Forwarded headers count only from a trusted proxy, and the client is
 * the right-most address that is not a trusted proxy. */
static void
test_forwarded_trust (Fixture *f, gconstpointer data)
{
  const char *elsewhere[] = { "10.0.0.0/8", NULL };
  const char *loopback[] = { "127.0.0.1/32", "192.0.2.0/24", NULL };
  guint limited;

  /* Untrusted peer: whatever it claims, all its guesses share its bucket. */
  g_assert_true (drd_portal_set_trusted_proxies (f->portal, elsewhere, NULL));
  limited = 0;
  for (int i = 0; i < 60; i++)
    {
      g_autofree char *hdr = g_strdup_printf ("X-Forwarded-For: 198.51.100.%d\r\n"
                                              "Forwarded: for=198.51.100.%d\r\n", i, i);
      if (guess_from (f, "127.0.0.2", hdr) == 429)
        limited++;
    }
  g_test_message ("untrusted peer, 60 spoofed addresses: %u limited", limited);
  g_assert_cmpuint (limited, >, 0);
  {
    /* … and it cannot claim https either (no HSTS on its word). */
    g_autoptr(Raw) r = raw_run_full (f, "127.0.0.3",
                                     "GET /static/portal.css HTTP/1.1\r\nHost: x\r\n"
                                     "X-Forwarded-Proto: https\r\nConnection: close\r\n\r\n",
                                     5000, TRUE);
    g_assert_cmpuint (raw_status (r), ==, 200);
    g_assert_null (strstr (r->reply->str, "Strict-Transport-Security"));
  }

  /* Trusted peer: each forwarded client has its own bucket. */
  g_assert_true (drd_portal_set_trusted_proxies (f->portal, loopback, NULL));
  limited = 0;
  for (int i = 0; i < 60; i++)
    if (guess_from (f, "127.0.0.1", "X-Forwarded-For: 198.51.100.1\r\n") == 429)
      limited++;
  g_assert_cmpuint (limited, >, 0);
  /* Another client behind the same proxy is not limited with it … */
  g_assert_cmpuint (guess_from (f, "127.0.0.1", "X-Forwarded-For: 198.51.100.2\r\n"), ==, 404);
  g_assert_cmpuint (guess_from (f, "127.0.0.1", "Forwarded: for=\"198.51.100.3:4711\";proto=https\r\n"),
                    ==, 404);
  g_assert_cmpuint (guess_from (f, "127.0.0.1",
                                "Forwarded: for=\"[2001:db8::1]\", for=192.0.2.9\r\n"), ==, 404);
  /* … but the limited client cannot escape by prepending an address: the
   * right-most untrusted one (added by the proxy) is the client … */
  g_assert_cmpuint (guess_from (f, "127.0.0.1",
                                "X-Forwarded-For: 6.6.6.6, 198.51.100.1\r\n"), ==, 429);
  /* … while a trusted hop in the chain is skipped. */
  g_assert_cmpuint (guess_from (f, "127.0.0.1",
                                "X-Forwarded-For: 198.51.100.1, 192.0.2.5\r\n"), ==, 429);
  {
    /* The proxy says the customer used https: HSTS. */
    g_autoptr(Raw) r = raw_run_full (f, "127.0.0.1",
                                     "GET /static/portal.css HTTP/1.1\r\nHost: x\r\n"
                                     "X-Forwarded-Proto: https\r\nConnection: close\r\n\r\n",
                                     5000, TRUE);
    g_assert_nonnull (strstr (r->reply->str, "Strict-Transport-Security: max-age="));
  }
  {
    /* A bad entry is refused with its name, and changes nothing. */
    const char *bad[] = { "127.0.0.1", "10.0.0.0/40", NULL };
    g_autoptr(GError) error = NULL;

    g_assert_false (drd_portal_set_trusted_proxies (f->portal, bad, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "10.0.0.0/40"));
    g_assert_cmpuint (guess_from (f, "127.0.0.1", "X-Forwarded-For: 198.51.100.99\r\n"), ==, 404);
  }
}

/* Two addresses never share a bucket: not even two whose names collide
 * in the old 4,096-slot table (an attacker could pick such an address to
 * starve a victim). */
static void
test_no_shared_buckets (Fixture *f, gconstpointer data)
{
  const char *attacker = "127.0.0.2";
  g_autofree char *victim = NULL;
  guint wanted = g_str_hash (attacker) % 4096;
  guint limited = 0;

  for (int a = 0; a < 256 && victim == NULL; a++)
    for (int b = 1; b < 255 && victim == NULL; b++)
      {
        g_autofree char *ip = g_strdup_printf ("127.0.%d.%d", a, b);

        if (g_str_hash (ip) % 4096 == wanted && !g_str_equal (ip, attacker))
          victim = g_steal_pointer (&ip);
      }
  g_assert_nonnull (victim);
  g_test_message ("attacker %s, victim %s (same old slot %u)", attacker, victim, wanted);

  for (int i = 0; i < 60; i++)
    if (guess_from (f, attacker, NULL) == 429)
      limited++;
  g_assert_cmpuint (limited, >, 0);
  g_assert_cmpuint (guess_from (f, victim, NULL), ==, 404);
  /* And 200 other addresses are all let through while the attacker is limited. */
  for (int i = 0; i < 200; i++)
    {
      g_autofree char *ip = g_strdup_printf ("127.0.2.%d", i + 1);

      g_assert_cmpuint (guess_from (f, ip, NULL), ==, 404);
    }
}

/* ------------------------------------------------------------------ */
/* Finding 8: the redirect after a form answer is relative              */

static void
test_redirect_relative (Fixture *f, gconstpointer data)
{
  const char *proxies[] = { "127.0.0.1", NULL };
  g_autofree char *body = g_strdup_printf ("event_id=%" G_GINT64_FORMAT "&answer=deny", f->event);
  g_autofree char *req = g_strdup_printf ("POST /r/%s?lang=en HTTP/1.1\r\nHost: dr.example.com\r\n"
                                          "X-Forwarded-Proto: https\r\n"
                                          "X-Forwarded-For: 198.51.100.4\r\n"
                                          "Content-Type: application/x-www-form-urlencoded\r\n"
                                          "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                                          f->tokens[4], strlen (body), body);
  g_autoptr(Raw) r = NULL;
  g_autofree char *expected = NULL;
  const char *loc;

  g_assert_true (drd_portal_set_trusted_proxies (f->portal, proxies, NULL));
  r = raw_run_full (f, NULL, req, 5000, TRUE);
  g_test_message ("%s", r->reply->str);
  g_assert_cmpuint (raw_status (r), ==, 303);
  loc = strstr (r->reply->str, "\r\nLocation: ");
  g_assert_nonnull (loc);
  expected = g_strdup_printf ("\r\nLocation: /r/%s?saved=%" G_GINT64_FORMAT "&lang=en\r\n",
                              f->tokens[4], f->event);
  g_assert_true (g_str_has_prefix (loc, expected));
  g_assert_null (strstr (r->reply->str, "http://"));
}

/* ------------------------------------------------------------------ */
/* Finding 9: ambiguous framing is refused at once, and the connection
 * closed, before any body is read                                      */

static void
test_smuggling (Fixture *f, gconstpointer data)
{
  g_autofree char *answer = g_strdup_printf ("event_id=%" G_GINT64_FORMAT "&answer=accept",
                                             f->event);
  const char *framings[] = {
    /* two different lengths (libsoup 3.2: the last wins) */
    "Content-Length: 5\r\nContent-Length: 40\r\n",
    "Content-Length: 40, 5\r\n",
    /* both framings (libsoup: chunked, connection kept open) */
    "Transfer-Encoding: chunked\r\nContent-Length: 40\r\n",
    "Content-Length: 40\r\nTransfer-Encoding: chunked\r\n",
    /* lengths that are not 1*DIGIT */
    "Content-Length: +40\r\n",
    "Content-Length: -1\r\n",
    "Content-Length: 0x28\r\n",
    "Content-Length: 4 0\r\n",
    "Content-Length: 40abc\r\n",
    "Content-Length: \r\n",
    "Content-Length: 99999999999999999999999\r\n",
    /* a transfer coding other than exactly chunked (libsoup answers 501
     * itself, as RFC 9112 §6.1 suggests, and closes) */
    "Transfer-Encoding: chunked, chunked\r\n",
    "Transfer-Encoding: xchunked\r\n",
  };
  const guint n_te_only = 2;

  for (guint i = 0; i < G_N_ELEMENTS (framings); i++)
    {
      /* The body never comes: only an answer before it proves it was not
       * waited for. */
      g_autofree char *req = g_strdup_printf ("POST /r/%s HTTP/1.1\r\nHost: x\r\n"
                                              "Content-Type: application/x-www-form-urlencoded\r\n"
                                              "%s\r\n%s",
                                              f->tokens[5], framings[i],
                                              i == 0 ? "event" : "");
      g_autoptr(Raw) r = raw_run_full (f, NULL, req, 3000, TRUE);
      g_autofree char *shown = g_strescape (framings[i], NULL);

      g_test_message ("%s → %.*s (eof %d after %" G_GINT64_FORMAT " ms)", shown,
                      (int) MIN (r->reply->len, 40), r->reply->str, r->eof,
                      r->elapsed_us / 1000);
      if (i >= G_N_ELEMENTS (framings) - n_te_only && raw_status (r) == 501)
        ;
      else
        g_assert_cmpuint (raw_status (r), ==, 400);
      g_assert_nonnull (strstr (r->reply->str, "X-Content-Type-Options: nosniff"));
      g_assert_true (r->eof);
      g_assert_cmpint (r->elapsed_us, <, 1500 * 1000);
    }
  /* The whole smuggled request, body included, stores nothing. */
  {
    g_autofree char *req = g_strdup_printf ("POST /r/%s HTTP/1.1\r\nHost: x\r\n"
                                            "Content-Type: application/x-www-form-urlencoded\r\n"
                                            "Content-Length: %zu\r\nContent-Length: %zu\r\n\r\n%s",
                                            f->tokens[5], strlen (answer), strlen (answer) + 1,
                                            answer);
    g_autoptr(Raw) r = raw_run_full (f, NULL, req, 3000, TRUE);

    g_assert_cmpuint (raw_status (r), ==, 400);
  }
  iterate_for (100);
  g_assert_cmpint (drd_test_sql_int (f->db_path, "SELECT count(*) FROM responses"
                                     " WHERE event_id = ? AND answer <> 0", "i", f->event), ==, 0);
  /* Well-framed requests still work, also with optional whitespace. */
  {
    g_autofree char *req = g_strdup_printf ("POST /r/%s HTTP/1.1\r\nHost: x\r\n"
                                            "Content-Type: application/x-www-form-urlencoded\r\n"
                                            "Content-Length:  %zu \r\nConnection: close\r\n\r\n%s",
                                            f->tokens[5], strlen (answer), answer);
    g_autoptr(Raw) r = raw_run_full (f, NULL, req, 3000, TRUE);

    g_assert_cmpuint (raw_status (r), ==, 303);
  }
}

/* ------------------------------------------------------------------ */
/* Finding 10: live-update streams are capped per link and per client,
 * and a closed one is noticed at once                                  */

typedef struct {
  GSocketConnection *conn;
  GString           *data;
  gboolean           eof;
  char               buf[1024];
} Stream;

static void
stream_read_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Stream *s = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n <= 0)
    {
      s->eof = TRUE;
      return;
    }
  g_string_append_len (s->data, s->buf, n);
  g_input_stream_read_async (G_INPUT_STREAM (source), s->buf, sizeof s->buf, G_PRIORITY_DEFAULT,
                             NULL, stream_read_cb, s);
}

/* Opens /r/TOKEN/events from @src; waits for the status line. */
static Stream *
stream_open (Fixture    *f,
             const char *src,
             const char *token)
{
  Stream *s = g_new0 (Stream, 1);
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                          G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) src_inet = g_inet_address_new_from_string (src);
  g_autoptr(GSocketAddress) src_addr = g_inet_socket_address_new (src_inet, 0);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) dst = g_inet_socket_address_new (lo, f->port);
  g_autofree char *req = g_strdup_printf ("GET /r/%s/events HTTP/1.1\r\nHost: x\r\n\r\n", token);
  g_autoptr(GError) error = NULL;
  gint64 end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;

  g_assert_true (g_socket_bind (sock, src_addr, FALSE, &error));
  g_assert_true (g_socket_connect (sock, dst, NULL, &error));
  g_assert_no_error (error);
  s->conn = g_socket_connection_factory_create_connection (sock);
  s->data = g_string_new (NULL);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (s->conn)),
                                            req, strlen (req), NULL, NULL, &error));
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (s->conn)), s->buf,
                             sizeof s->buf, G_PRIORITY_DEFAULT, NULL, stream_read_cb, s);
  while (strstr (s->data->str, "\r\n\r\n") == NULL && !s->eof && g_get_monotonic_time () < end)
    iterate_for (2);
  return s;
}

static guint
stream_status (Stream *s)
{
  if (!g_str_has_prefix (s->data->str, "HTTP/1.1 "))
    return 0;
  return (guint) g_ascii_strtoull (s->data->str + 9, NULL, 10);
}

static void
stream_close (Stream *s)
{
  g_io_stream_close (G_IO_STREAM (s->conn), NULL, NULL);
  /* let the pending read finish */
  while (!s->eof)
    g_main_context_iteration (NULL, TRUE);
  g_object_unref (s->conn);
  g_string_free (s->data, TRUE);
  g_free (s);
}

static void
test_stream_caps (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) open = g_ptr_array_new_with_free_func ((GDestroyNotify) stream_close);
  Stream *s;

  drd_portal_set_event_stream_limits (f->portal, 2, 4);
  /* One link: two streams, the third is refused. */
  for (int i = 0; i < 2; i++)
    {
      s = stream_open (f, "127.0.3.1", f->tokens[6]);
      g_assert_cmpuint (stream_status (s), ==, 200);
      g_ptr_array_add (open, s);
    }
  s = stream_open (f, "127.0.3.2", f->tokens[6]);
  g_assert_cmpuint (stream_status (s), ==, 503);
  g_assert_nonnull (strstr (s->data->str, "Retry-After"));
  stream_close (s);
  /* Another customer at the same address still gets one. */
  s = stream_open (f, "127.0.3.1", f->tokens[7]);
  g_assert_cmpuint (stream_status (s), ==, 200);
  g_ptr_array_add (open, s);
  s = stream_open (f, "127.0.3.1", f->tokens[8]);
  g_assert_cmpuint (stream_status (s), ==, 200);
  g_ptr_array_add (open, s);
  /* One client address: four streams in all, then refused. */
  s = stream_open (f, "127.0.3.1", f->tokens[9]);
  g_assert_cmpuint (stream_status (s), ==, 503);
  stream_close (s);
  /* Another address is not affected. */
  s = stream_open (f, "127.0.3.3", f->tokens[9]);
  g_assert_cmpuint (stream_status (s), ==, 200);
  g_ptr_array_add (open, s);
  g_assert_cmpuint (drd_portal_get_n_event_streams (f->portal), ==, 5);
}

static void
test_stream_closed_noticed (Fixture *f, gconstpointer data)
{
  Stream *s;
  gint64 t0, end;

  drd_portal_set_max_event_streams (f->portal, 1);
  s = stream_open (f, "127.0.4.1", f->tokens[10]);
  g_assert_cmpuint (stream_status (s), ==, 200);
  g_assert_cmpuint (drd_portal_get_n_event_streams (f->portal), ==, 1);
  /* The customer closes the page: the slot is free within a second, not
   * at the next 25 s ping. */
  t0 = g_get_monotonic_time ();
  stream_close (s);
  end = t0 + 3 * G_USEC_PER_SEC;
  while (drd_portal_get_n_event_streams (f->portal) > 0 && g_get_monotonic_time () < end)
    iterate_for (5);
  g_test_message ("closed stream noticed after %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - t0) / 1000);
  g_assert_cmpuint (drd_portal_get_n_event_streams (f->portal), ==, 0);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, G_USEC_PER_SEC);
  s = stream_open (f, "127.0.4.2", f->tokens[11]);
  g_assert_cmpuint (stream_status (s), ==, 200);
  stream_close (s);
}

/* ------------------------------------------------------------------ */
/* Finding 14: /readyz                                                  */

static guint
readyz (Fixture *f, char **out_body)
{
  g_autoptr(Raw) r = raw_run_full (f, "127.0.5.1", "GET /readyz HTTP/1.1\r\nHost: x\r\n"
                                   "Connection: close\r\n\r\n", 8000, TRUE);
  const char *body = strstr (r->reply->str, "\r\n\r\n");

  if (out_body)
    *out_body = g_strdup (body ? body + 4 : "");
  return raw_status (r);
}

static void
test_readyz (Fixture *f, gconstpointer data)
{
  g_autofree char *body = NULL;
  g_autofree char *cmd = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) locker = NULL;
  g_autoptr(GFile) flag = NULL;
  g_autofree char *flag_path = g_build_filename (f->dir, "locked", NULL);
  gint64 end;
  guint status;

  g_assert_cmpuint (readyz (f, &body), ==, 200);
  g_assert_cmpstr (body, ==, "ready");
  g_clear_pointer (&body, g_free);

  /* Another process holds the write lock: answers cannot be made durable. */
  cmd = g_strdup_printf ("(echo 'BEGIN IMMEDIATE;'; echo \".shell touch '%s'\"; sleep 6;"
                         " echo 'COMMIT;') | sqlite3 '%s'", flag_path, f->db_path);
  locker = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "sh", "-c", cmd, NULL);
  g_assert_no_error (error);
  end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!g_file_test (flag_path, G_FILE_TEST_EXISTS) && g_get_monotonic_time () < end)
    iterate_for (20);
  g_assert_true (g_file_test (flag_path, G_FILE_TEST_EXISTS));
  iterate_for (600);   /* past the reuse of the last result */
  status = readyz (f, &body);
  g_test_message ("while locked: %u %s", status, body);
  g_assert_cmpuint (status, ==, 503);
  g_assert_nonnull (strstr (body, "writer"));
  g_clear_pointer (&body, g_free);
  /* /healthz stays liveness. */
  g_assert_cmpuint (get_from (f, "127.0.5.1", "/healthz", NULL), ==, 200);

  /* The lock goes away: ready again. */
  end = g_get_monotonic_time () + 12 * G_USEC_PER_SEC;
  while ((status = readyz (f, NULL)) != 200 && g_get_monotonic_time () < end)
    iterate_for (200);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (g_subprocess_wait_check (locker, NULL, NULL));

  /* Too little free space on the database's file system. */
  drd_portal_set_min_free_space (f->portal, G_MAXUINT64);
  g_assert_cmpuint (readyz (f, &body), ==, 503);
  g_test_message ("no space: %s", body);
  g_assert_nonnull (strstr (body, "disk"));
}

/* ------------------------------------------------------------------ */
/* Slow clients: an idle keep-alive connection, or one that trickles its
 * headers a byte at a time (slowloris), is closed at the request deadline. */

static void
test_keepalive_idle (Fixture *f, gconstpointer data)
{
  g_autoptr(Raw) idle = NULL;
  g_autoptr(Raw) trickle = NULL;

  drd_portal_set_request_timeout (f->portal, 1);
  /* One answered request, then silence: closed after ~1 s, not kept. */
  idle = raw_run_full (f, "127.0.6.1", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 5000, TRUE);
  g_test_message ("idle keep-alive closed after %" G_GINT64_FORMAT " ms (eof %d)",
                  idle->elapsed_us / 1000, idle->eof);
  g_assert_nonnull (strstr (idle->reply->str, "200 OK"));
  g_assert_true (idle->eof);
  g_assert_cmpint (idle->elapsed_us, <, 3 * G_USEC_PER_SEC);
  /* A request line and then nothing more (what a slowloris holds). */
  trickle = raw_run_full (f, "127.0.6.2", "GET /healthz HTTP/1.1\r\nX-a: b\r\n", 5000, TRUE);
  g_assert_true (trickle->eof);
  g_assert_cmpint (trickle->elapsed_us, <, 3 * G_USEC_PER_SEC);
  g_assert_null (strstr (trickle->reply->str, "200 OK"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/portal/requests/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("proxy-200-customers", test_proxy_customers);
  ADD ("guessing-limited", test_guessing_limited);
  ADD ("token-limited", test_token_limited);
  ADD ("forwarded-trust", test_forwarded_trust);
  ADD ("no-shared-buckets", test_no_shared_buckets);
  ADD ("redirect-relative", test_redirect_relative);
  ADD ("smuggling", test_smuggling);
  ADD ("stream-caps", test_stream_caps);
  ADD ("stream-closed-noticed", test_stream_closed_noticed);
  ADD ("readyz", test_readyz);
  ADD ("keepalive-idle", test_keepalive_idle);
#undef ADD
  return g_test_run ();
}
