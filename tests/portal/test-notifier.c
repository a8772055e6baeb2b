/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdNotifier against real local servers that receive the webhooks:
 * one hook fails first and succeeds on the retry, one always succeeds,
 * one gives up (404); a restart resumes leftover work. Hostile receivers
 * (raw sockets on 127.0.0.1): an endless body or header block, hosts that
 * trickle one byte at a time, redirects; and loopback destinations, which
 * are refused unless the operator allows them. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "service/drd-config.h"
#include "service/drd-notifier.h"
#include "store/drd-store-portal.h"

typedef struct {
  GMutex      lock;
  GHashTable *hits;      /* path → count */
  GPtrArray  *bodies;    /* char* of accepted deliveries */
  GMainLoop  *loop;      /* the receiving server's, on its own thread */
  GThread    *thread;
} Receiver;

static void
hook_handler (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  Receiver *rx = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  guint n;

  g_mutex_lock (&rx->lock);
  n = GPOINTER_TO_UINT (g_hash_table_lookup (rx->hits, path)) + 1;
  g_hash_table_replace (rx->hits, g_strdup (path), GUINT_TO_POINTER (n));
  g_mutex_unlock (&rx->lock);

  if (g_str_equal (path, "/flaky") && n == 1)
    {
      soup_server_message_set_status (msg, 500, NULL);
      return;
    }
  if (g_str_equal (path, "/gone"))
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }
  g_mutex_lock (&rx->lock);
  g_ptr_array_add (rx->bodies, g_strndup (body->data, body->length));
  g_mutex_unlock (&rx->lock);
  soup_server_message_set_status (msg, 204, NULL);
}

static gpointer
receiver_thread (gpointer data)
{
  GMainLoop *loop = data;
  GMainContext *ctx = g_main_loop_get_context (loop);

  /* libsoup attaches each connection's I/O to the thread-default context. */
  g_main_context_push_thread_default (ctx);
  g_main_loop_run (loop);
  g_main_context_pop_thread_default (ctx);
  return NULL;
}

static gboolean
quit_loop_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static guint
hits (Receiver   *rx,
      const char *path)
{
  guint n;

  g_mutex_lock (&rx->lock);
  n = GPOINTER_TO_UINT (g_hash_table_lookup (rx->hits, path));
  g_mutex_unlock (&rx->lock);
  return n;
}

static DrdCustomer *
customer (gint64 id, const char *hook)
{
  DrdCustomer *c = drd_customer_new ();

  c->id = id;
  c->name = g_strdup_printf ("Customer %" G_GINT64_FORMAT, id);
  c->kepco_no = g_strdup_printf ("%010" G_GINT64_FORMAT, id);
  c->resource = g_strdup ("main");
  c->registered_w = 1000;
  c->webhook_url = g_strdup (hook);
  return c;
}

static gboolean
all_settled (DrdStore *store, gint64 event_id, DrdOutboxCounts *counts)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (drd_store_outbox_counts (store, event_id, counts, &error));
  g_assert_no_error (error);
  return counts->pending == 0 && counts->delivered + counts->failed == 3;
}

static void
test_webhooks (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("drd-notifier-XXXXXX", &error);
  g_autofree char *db_path = g_build_filename (dir, "n.db", NULL);
  g_autofree char *secret_path = NULL;
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(GBytes) secret = NULL;
  g_autoptr(GPtrArray) customers = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_customer_free);
  g_autoptr(DrdStoreImportResult) imported = NULL;
  g_autoptr(DrdEvent) e = drd_event_new ();
  g_autoptr(DrdNotifier) notifier = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autofree char *token2 = NULL;
  GSList *uris;
  g_autofree char *base = NULL;
  Receiver rx = { 0 };
  DrdOutboxCounts counts = { 0 };
  gint64 now = drd_store_now (), slot = now / 900 * 900, event_id = 0, n = 0;
  gint64 deadline;

  g_mutex_init (&rx.lock);
  rx.hits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  rx.bodies = g_ptr_array_new_with_free_func (g_free);

  /* The receiving server runs in a thread of its own, like a real
   * customer system would. */
  {
    GMainContext *ctx = g_main_context_new ();

    g_main_context_push_thread_default (ctx);
    soup_server_add_handler (server, NULL, hook_handler, &rx, NULL);
    g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
    g_assert_no_error (error);
    g_main_context_pop_thread_default (ctx);
    uris = soup_server_get_uris (server);
    base = g_uri_to_string (uris->data);
    g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
    rx.loop = g_main_loop_new (ctx, FALSE);
    g_main_context_unref (ctx);
    rx.thread = g_thread_new ("receiver-loop", receiver_thread, rx.loop);
  }

  store = drd_store_open (db_path, &error);
  g_assert_no_error (error);
  {
    g_autofree char *u1 = g_strconcat (base, "flaky", NULL);
    g_autofree char *u2 = g_strconcat (base, "ok", NULL);
    g_autofree char *u3 = g_strconcat (base, "gone", NULL);

    g_ptr_array_add (customers, customer (1, u1));
    g_ptr_array_add (customers, customer (2, u2));
    g_ptr_array_add (customers, customer (3, u3));
    g_ptr_array_add (customers, customer (4, NULL));   /* no webhook: no row */
  }
  imported = drd_store_import_customers (store, customers, "test", now, &error);
  g_assert_no_error (error);

  e->name = g_strdup ("Webhook test");
  e->kind = DRD_EVENT_KIND_ECONOMIC;
  e->start_at = slot + 3600;
  e->end_at = slot + 7200;
  e->target_w = 5000;
  g_assert_true (drd_store_start_event (store, e, "test", now, &event_id, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 4);

  secret_path = drd_link_secret_path (store);
  secret = drd_link_secret_load_or_create (secret_path, &error);
  g_assert_no_error (error);

  notifier = drd_notifier_new (store, secret, "https://dr.example.kr/");
  /* The receiver is on loopback: allowed explicitly (refused by default). */
  {
    const char *allow[] = { "127.0.0.0/8", "::1/128", NULL };

    g_assert_true (drd_notifier_set_allowed_networks (notifier, allow, &error));
    g_assert_no_error (error);
  }
  drd_notifier_set_retry (notifier, 1, 4, 5);
  drd_notifier_set_poll_interval (notifier, 50);
  drd_notifier_start (notifier);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!all_settled (store, event_id, &counts) && g_get_monotonic_time () < deadline)
    g_usleep (50000);
  drd_notifier_stop (notifier);

  g_assert_cmpint (counts.delivered, ==, 2);
  g_assert_cmpint (counts.failed, ==, 1);
  g_assert_cmpint (counts.pending, ==, 0);
  g_assert_cmpuint (hits (&rx, "/flaky"), ==, 2);    /* failed once, retried once */
  g_assert_cmpuint (hits (&rx, "/ok"), ==, 1);
  g_assert_cmpuint (hits (&rx, "/gone"), ==, 1);     /* 404: no retry */

  /* Per-customer state for the operator. */
  items = drd_store_outbox_list (store, event_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (items->len, ==, 3);
  {
    DrdOutboxItem *flaky = items->pdata[0], *ok = items->pdata[1], *gone = items->pdata[2];

    g_assert_cmpint (flaky->customer_id, ==, 1);
    g_assert_cmpint (flaky->state, ==, DRD_OUTBOX_DELIVERED);
    g_assert_cmpint (flaky->attempts, ==, 2);
    g_assert_cmpint (flaky->last_status, ==, 204);
    g_assert_cmpint (flaky->delivered_at, >=, now);
    g_assert_cmpint (ok->state, ==, DRD_OUTBOX_DELIVERED);
    g_assert_cmpint (ok->attempts, ==, 1);
    g_assert_cmpint (gone->state, ==, DRD_OUTBOX_FAILED);
    g_assert_cmpint (gone->last_status, ==, 404);
    g_assert_nonnull (strstr (gone->last_error, "404"));
    /* The stored body holds no link (no usable token in the database). */
    g_assert_null (strstr (ok->body, "/r/"));
  }

  /* What the customer system received: the event and the answer link. */
  token2 = drd_link_token_derive (secret, 2, 0);
  {
    gboolean found = FALSE;

    g_mutex_lock (&rx.lock);
    for (guint i = 0; i < rx.bodies->len; i++)
      {
        g_autoptr(JsonParser) p = json_parser_new ();
        JsonObject *o;
        g_autofree char *want = g_strconcat ("https://dr.example.kr/r/", token2, NULL);

        g_assert_true (json_parser_load_from_data (p, rx.bodies->pdata[i], -1, NULL));
        o = json_node_get_object (json_parser_get_root (p));
        g_assert_cmpint (json_object_get_int_member (o, "event_id"), ==, event_id);
        g_assert_cmpstr (json_object_get_string_member (o, "kind"), ==, "economic");
        g_assert_true (g_str_has_suffix (json_object_get_string_member (o, "start"), "+09:00"));
        if (json_object_get_int_member (o, "customer_id") == 2)
          {
            g_assert_cmpstr (json_object_get_string_member (o, "link"), ==, want);
            found = TRUE;
          }
      }
    g_mutex_unlock (&rx.lock);
    g_assert_true (found);
  }

  /* A restart resumes: a row left "sending" by a crash is sent again;
   * delivered rows are not repeated. */
  {
    g_autoptr(GPtrArray) claimed = NULL;
    g_autoptr(DrdNotifier) again = NULL;
    g_autofree char *u5 = g_strconcat (base, "later", NULL);
    g_autoptr(GPtrArray) more = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_customer_free);
    g_autoptr(DrdStoreImportResult) r2 = NULL;
    guint created = 0;

    /* Customer 4 gets a webhook; the outbox row is created explicitly
     * (as the notifier does for a new event) and claimed, then "crash". */
    g_ptr_array_add (more, customer (4, u5));
    r2 = drd_store_import_customers (store, more, "test", now, &error);
    g_assert_no_error (error);
    g_assert_true (drd_store_outbox_enqueue_event (store, event_id, now, &created, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (created, ==, 1);
    claimed = drd_store_outbox_claim (store, now, 10, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (claimed->len, ==, 1);

    again = drd_notifier_new (store, secret, "https://dr.example.kr");
    {
      const char *allow[] = { "127.0.0.1", NULL };   /* one address is a /32 */

      g_assert_true (drd_notifier_set_allowed_networks (again, allow, &error));
      g_assert_no_error (error);
    }
    drd_notifier_set_poll_interval (again, 50);
    drd_notifier_start (again);
    deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
    while (hits (&rx, "/later") == 0 && g_get_monotonic_time () < deadline)
      g_usleep (50000);
    g_usleep (200000);
    drd_notifier_stop (again);
    g_assert_cmpuint (hits (&rx, "/later"), ==, 1);
    g_assert_cmpuint (hits (&rx, "/ok"), ==, 1);
    g_assert_cmpuint (hits (&rx, "/flaky"), ==, 2);
    g_assert_true (drd_store_outbox_counts (store, event_id, &counts, &error));
    g_assert_cmpint (counts.delivered, ==, 3);
  }

  /* The receiving server's loop ends before the server goes, and the
   * receiver's tables with it (nothing leaks). */
  g_main_context_invoke (g_main_loop_get_context (rx.loop), quit_loop_cb, rx.loop);
  g_thread_join (rx.thread);
  soup_server_disconnect (server);
  g_clear_pointer (&rx.loop, g_main_loop_unref);
  g_clear_pointer (&rx.hits, g_hash_table_unref);
  g_clear_pointer (&rx.bodies, g_ptr_array_unref);
  g_mutex_clear (&rx.lock);
  g_clear_object (&notifier);
  g_clear_object (&store);
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *p = g_build_filename (dir, name, NULL);
        g_unlink (p);
      }
  }
  g_rmdir (dir);
}

/* ---- hostile receivers: raw sockets on 127.0.0.1, a thread each ---- */

/* Waits in tests stretch with DRD_TEST_TIME_SCALE (build-aux/sanitize sets
 * it: code under ASan runs several times slower). */
static gint64
scaled_us (double seconds)
{
  const char *s = g_getenv ("DRD_TEST_TIME_SCALE");
  double scale = s ? g_ascii_strtod (s, NULL) : 1;

  return (gint64) (seconds * MAX (scale, 1) * G_USEC_PER_SEC);
}

typedef enum {
  RAW_ENDLESS_BODY,      /* 200, chunked, never ends */
  RAW_ENDLESS_HEADERS,   /* 200, then header lines that never end */
  RAW_TRICKLE,           /* one byte of a status line every 500 ms */
  RAW_NO_CONTENT,        /* 204 at once */
  RAW_REDIRECT,          /* 302 to ->location */
  RAW_PLAIN_AT_ONCE,     /* 204 in plain HTTP before reading anything */
} RawMode;

/* A webhook receiver that writes what it is told, byte by byte if need
 * be, and counts what it managed to send before the client closed. */
typedef struct {
  RawMode   mode;
  char     *location;
  int       fd;
  guint16   port;
  char     *url;           /* http://127.0.0.1:PORT/hook */
  GThread  *thread;
  gint      stop;          /* atomic */
  gint      hits;          /* atomic: requests read */
  gint      open;          /* atomic: connections being served */
  gint      closed_by_peer; /* atomic: writes that failed because the client went */
  gint64    sent;          /* atomic (g_atomic_pointer-free: guarded by lock) */
  GMutex    lock;
} RawServer;

#define RAW_CAP (64 * 1024 * 1024)   /* what an endless server sends at most */

static gboolean
raw_write (RawServer *rs, int fd, const char *data, gsize len)
{
  while (len > 0)
    {
      ssize_t n = send (fd, data, len, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_atomic_int_inc (&rs->closed_by_peer);
          return FALSE;
        }
      g_mutex_lock (&rs->lock);
      rs->sent += n;
      g_mutex_unlock (&rs->lock);
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

static gboolean
raw_write_str (RawServer *rs, int fd, const char *s)
{
  return raw_write (rs, fd, s, strlen (s));
}

/* Reads one request (headers and Content-Length body). */
static gboolean
raw_read_request (int fd)
{
  g_autoptr(GString) buf = g_string_new (NULL);
  const char *end;
  gsize want = 0;
  char chunk[4096];

  while ((end = strstr (buf->str, "\r\n\r\n")) == NULL || buf->len < (gsize) (end - buf->str) + 4 + want)
    {
      ssize_t n = recv (fd, chunk, sizeof chunk, 0);

      if (n <= 0)
        return FALSE;
      g_string_append_len (buf, chunk, n);
      if ((end = strstr (buf->str, "\r\n\r\n")) != NULL && want == 0)
        {
          const char *cl = g_strstr_len (buf->str, end - buf->str, "Content-Length:");

          if (cl != NULL)
            want = g_ascii_strtoull (cl + strlen ("Content-Length:"), NULL, 10);
        }
    }
  return TRUE;
}

static gpointer
raw_connection (gpointer data)
{
  RawServer *rs = ((gpointer *) data)[0];
  int fd = GPOINTER_TO_INT (((gpointer *) data)[1]);
  g_autofree char *pad = g_strnfill (4096, 'x');

  g_free (data);
  if (rs->mode == RAW_PLAIN_AT_ONCE)
    {
      raw_write_str (rs, fd, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
      g_usleep (200000);
      goto out;
    }
  if (!raw_read_request (fd))
    goto out;
  g_atomic_int_inc (&rs->hits);
  switch (rs->mode)
    {
    case RAW_ENDLESS_BODY:
      {
        g_autofree char *chunk = g_strdup_printf ("1000\r\n%s\r\n", pad);

        if (!raw_write_str (rs, fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))
          break;
        while (!g_atomic_int_get (&rs->stop) && rs->sent < RAW_CAP
               && raw_write (rs, fd, chunk, strlen (chunk)))
          ;
      }
      break;
    case RAW_ENDLESS_HEADERS:
      {
        g_autofree char *line = g_strdup_printf ("X-Pad: %s\r\n", pad);

        if (!raw_write_str (rs, fd, "HTTP/1.1 200 OK\r\n"))
          break;
        while (!g_atomic_int_get (&rs->stop) && rs->sent < RAW_CAP
               && raw_write (rs, fd, line, strlen (line)))
          ;
      }
      break;
    case RAW_TRICKLE:
      {
        const char *status = "HTTP/1.1 204 No Content\r\n\r\n";

        for (guint i = 0; !g_atomic_int_get (&rs->stop); i = (i + 1) % 14)
          {
            if (!raw_write (rs, fd, status + i, 1))
              break;
            g_usleep (500000);
          }
      }
      break;
    case RAW_NO_CONTENT:
      raw_write_str (rs, fd, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
      break;
    case RAW_PLAIN_AT_ONCE:
      break;
    case RAW_REDIRECT:
      {
        g_autofree char *answer = g_strdup_printf ("HTTP/1.1 302 Found\r\nLocation: %s\r\n"
                                                   "Content-Length: 0\r\nConnection: close\r\n\r\n",
                                                   rs->location);

        raw_write (rs, fd, answer, strlen (answer));
      }
      break;
    }
out:
  close (fd);
  g_atomic_int_dec_and_test (&rs->open);
  return NULL;
}

static gpointer
raw_accept_loop (gpointer data)
{
  RawServer *rs = data;

  while (!g_atomic_int_get (&rs->stop))
    {
      struct pollfd p = { .fd = rs->fd, .events = POLLIN };
      int fd;

      if (poll (&p, 1, 50) <= 0)
        continue;
      fd = accept (rs->fd, NULL, NULL);
      if (fd < 0)
        continue;
      {
        gpointer *args = g_new (gpointer, 2);

        args[0] = rs;
        args[1] = GINT_TO_POINTER (fd);
        g_atomic_int_inc (&rs->open);
        g_thread_unref (g_thread_new ("raw-connection", raw_connection, args));
      }
    }
  return NULL;
}

static RawServer *
raw_server_new (RawMode mode, const char *location)
{
  RawServer *rs = g_new0 (RawServer, 1);
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sin;

  rs->mode = mode;
  rs->location = g_strdup (location);
  g_mutex_init (&rs->lock);
  rs->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (rs->fd, >=, 0);
  g_assert_cmpint (bind (rs->fd, (struct sockaddr *) &sin, sizeof sin), ==, 0);
  g_assert_cmpint (listen (rs->fd, 64), ==, 0);
  g_assert_cmpint (getsockname (rs->fd, (struct sockaddr *) &sin, &len), ==, 0);
  rs->port = ntohs (sin.sin_port);
  rs->url = g_strdup_printf ("http://127.0.0.1:%u/hook", rs->port);
  rs->thread = g_thread_new ("raw-accept", raw_accept_loop, rs);
  return rs;
}

static gint64
raw_sent (RawServer *rs)
{
  gint64 n;

  g_mutex_lock (&rs->lock);
  n = rs->sent;
  g_mutex_unlock (&rs->lock);
  return n;
}

static void
raw_server_free (RawServer *rs)
{
  g_atomic_int_set (&rs->stop, 1);
  g_thread_join (rs->thread);
  /* Connection threads notice the stop within one trickle step. */
  while (g_atomic_int_get (&rs->open) > 0)
    g_usleep (10000);
  close (rs->fd);
  g_mutex_clear (&rs->lock);
  g_free (rs->location);
  g_free (rs->url);
  g_free (rs);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RawServer, raw_server_free)

/* ---- a database with customers whose hooks are the given URLs ---- */

typedef struct {
  char     *dir;
  char     *db_path;
  DrdStore *store;
  GBytes   *secret;
  gint64    event_id;
} Db;

static void
db_open (Db *db, const char * const *urls)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) customers = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_customer_free);
  g_autoptr(DrdStoreImportResult) imported = NULL;
  g_autoptr(DrdEvent) e = drd_event_new ();
  g_autofree char *secret_path = NULL;
  gint64 now = drd_store_now (), slot = now / 900 * 900, n = 0;

  db->dir = g_dir_make_tmp ("drd-notifier-XXXXXX", &error);
  g_assert_no_error (error);
  db->db_path = g_build_filename (db->dir, "n.db", NULL);
  db->store = drd_store_open (db->db_path, &error);
  g_assert_no_error (error);
  for (guint i = 0; urls[i] != NULL; i++)
    g_ptr_array_add (customers, customer (i + 1, urls[i]));
  imported = drd_store_import_customers (db->store, customers, "test", now, &error);
  g_assert_no_error (error);
  e->name = g_strdup ("Hostile hooks");
  e->kind = DRD_EVENT_KIND_ECONOMIC;
  e->start_at = slot + 3600;
  e->end_at = slot + 7200;
  e->target_w = 5000;
  g_assert_true (drd_store_start_event (db->store, e, "test", now, &db->event_id, &n, &error));
  g_assert_no_error (error);
  secret_path = drd_link_secret_path (db->store);
  db->secret = drd_link_secret_load_or_create (secret_path, &error);
  g_assert_no_error (error);
}

static void
db_close (Db *db)
{
  g_autoptr(GDir) d = NULL;
  const char *name;

  g_clear_object (&db->store);
  g_clear_pointer (&db->secret, g_bytes_unref);
  d = g_dir_open (db->dir, 0, NULL);
  while (d && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (db->dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (db->dir);
  g_free (db->dir);
  g_free (db->db_path);
}

/* The outbox row of customer @id (1-based, in URL order), or NULL before
 * the notifier created it. */
static DrdOutboxItem *
db_item (Db *db, gint64 customer_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = drd_store_outbox_list (db->store, db->event_id, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < items->len; i++)
    {
      DrdOutboxItem *item = items->pdata[i];

      if (item->customer_id == customer_id)
        return g_ptr_array_steal_index (items, i);
    }
  return NULL;   /* not in the outbox yet */
}

static DrdNotifier *
test_notifier (Db *db, const char *allow)
{
  DrdNotifier *notifier = drd_notifier_new (db->store, db->secret, "https://dr.example.kr");

  drd_notifier_set_retry (notifier, 1, 1, 3);
  drd_notifier_set_poll_interval (notifier, 50);
  if (allow != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) list = g_strsplit (allow, ",", -1);

      g_assert_true (drd_notifier_set_allowed_networks (notifier, (const char * const *) list,
                                                        &error));
      g_assert_no_error (error);
    }
  return notifier;
}

/* Waits until customer @id's row is in @state (or the deadline passed). */
static DrdOutboxItem *
wait_state (Db *db, gint64 id, DrdOutboxState state, double seconds)
{
  gint64 deadline = g_get_monotonic_time () + scaled_us (seconds);

  for (;;)
    {
      DrdOutboxItem *item = db_item (db, id);

      if (item != NULL && (item->state == state || g_get_monotonic_time () >= deadline))
        return item;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_clear_pointer (&item, drd_outbox_item_free);
      g_usleep (20000);
    }
}

/* Finding: an endless chunked 200 grew the process to gigabytes. Only a
 * few KiB of any answer are read; then the connection is dropped. */
static void
test_endless_answers (void)
{
  g_autoptr(RawServer) body = raw_server_new (RAW_ENDLESS_BODY, NULL);
  g_autoptr(RawServer) headers = raw_server_new (RAW_ENDLESS_HEADERS, NULL);
  const char *urls[] = { body->url, headers->url, NULL };
  g_autoptr(DrdNotifier) notifier = NULL;
  Db db = { 0 };
  gint64 t0;

  db_open (&db, urls);
  g_test_message ("endless body at %s, endless headers at %s", body->url, headers->url);
  notifier = test_notifier (&db, "127.0.0.0/8");
  t0 = g_get_monotonic_time ();
  drd_notifier_start (notifier);

  for (gint64 id = 1; id <= 2; id++)
    {
      g_autoptr(DrdOutboxItem) item = wait_state (&db, id, DRD_OUTBOX_DELIVERED, 5);

      g_test_message ("%s: %s", item->url, item->last_error ? item->last_error : "delivered");
      /* The status line said 200: delivered, whatever followed. */
      g_assert_cmpint (item->state, ==, DRD_OUTBOX_DELIVERED);
      g_assert_cmpint (item->last_status, ==, 200);
    }
  g_test_message ("both delivered after %.0f ms",
                  (g_get_monotonic_time () - t0) / 1000.0);
  /* The client closed: each server's next write failed, long before it
   * could send its 64 MiB. What it sent at all fits in the socket
   * buffers of a loopback connection (a few MiB). */
  {
    gint64 deadline = g_get_monotonic_time () + scaled_us (5);

    while ((g_atomic_int_get (&body->closed_by_peer) == 0
            || g_atomic_int_get (&headers->closed_by_peer) == 0)
           && g_get_monotonic_time () < deadline)
      g_usleep (20000);
  }
  g_test_message ("sent before the close: body %" G_GINT64_FORMAT " bytes, headers %"
                  G_GINT64_FORMAT " bytes", raw_sent (body), raw_sent (headers));
  g_assert_cmpint (g_atomic_int_get (&body->closed_by_peer), >=, 1);
  g_assert_cmpint (g_atomic_int_get (&headers->closed_by_peer), >=, 1);
  g_assert_cmpint (raw_sent (body), <, 16 * 1024 * 1024);
  g_assert_cmpint (raw_sent (headers), <, 16 * 1024 * 1024);
  g_assert_cmpint (g_atomic_int_get (&body->hits), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&headers->hits), ==, 1);

  drd_notifier_stop (notifier);
  g_clear_object (&notifier);
  db_close (&db);
}

/* Finding: hosts that trickle a byte at a time held every delivery slot.
 * Three such hosts with three customers each, then one customer whose
 * host answers at once: one host holds at most two slots, so the fast
 * customer is served promptly; and every delivery has a wall-clock
 * deadline, so a trickling host's deliveries end (and are retried). */
static void
test_slow_hosts (void)
{
  g_autoptr(RawServer) s1 = raw_server_new (RAW_TRICKLE, NULL);
  g_autoptr(RawServer) s2 = raw_server_new (RAW_TRICKLE, NULL);
  g_autoptr(RawServer) s3 = raw_server_new (RAW_TRICKLE, NULL);
  g_autoptr(RawServer) fast = raw_server_new (RAW_NO_CONTENT, NULL);
  const char *urls[] = { s1->url, s1->url, s1->url, s2->url, s2->url, s2->url,
                         s3->url, s3->url, s3->url, fast->url, NULL };
  g_autoptr(DrdNotifier) notifier = NULL;
  g_autoptr(DrdOutboxItem) item = NULL;
  Db db = { 0 };
  gint64 t0;

  db_open (&db, urls);
  notifier = test_notifier (&db, "127.0.0.1/32");
  drd_notifier_set_deadline (notifier, 3);
  t0 = g_get_monotonic_time ();
  drd_notifier_start (notifier);

  item = wait_state (&db, 10, DRD_OUTBOX_DELIVERED, 2);
  g_test_message ("fast customer delivered after %.0f ms", (g_get_monotonic_time () - t0) / 1000.0);
  g_assert_cmpint (item->state, ==, DRD_OUTBOX_DELIVERED);
  g_assert_cmpint (item->last_status, ==, 204);
  /* No trickling host got more than its share of the slots. */
  g_assert_cmpint (g_atomic_int_get (&s1->hits), <=, 2);
  g_assert_cmpint (g_atomic_int_get (&s2->hits), <=, 2);
  g_assert_cmpint (g_atomic_int_get (&s3->hits), <=, 2);
  g_clear_pointer (&item, drd_outbox_item_free);

  /* The deadline ends the trickling deliveries after 3 s, however
   * steadily the bytes come: a failure to retry, with a reason. */
  {
    gint64 deadline = g_get_monotonic_time () + scaled_us (3 + 3);

    while (((item = db_item (&db, 1)) == NULL || item->last_error == NULL)
           && g_get_monotonic_time () < deadline)
      {
        g_clear_pointer (&item, drd_outbox_item_free);
        g_usleep (20000);
      }
  }
  g_assert_nonnull (item);
  g_assert_nonnull (item->last_error);
  g_test_message ("slow host: %s", item->last_error);
  g_assert_nonnull (strstr (item->last_error, "3 s"));
  g_assert_cmpint (item->attempts, >=, 1);

  drd_notifier_stop (notifier);
  g_clear_object (&notifier);
  db_close (&db);
}

/* Runs `drdeskctl --db DB notifications EVENT`; its stdout. */
static char *
ctl_notifications (Db *db)
{
  const char *build = g_getenv ("DRD_BUILD_DIR");
  g_autofree char *exe = NULL;
  g_autofree char *event = g_strdup_printf ("%" G_GINT64_FORMAT, db->event_id);
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int wait_status = 0;

  if (build == NULL)
    return NULL;
  exe = g_build_filename (build, "src", "drdeskctl", NULL);
  {
    const char *argv[] = { exe, "--db", db->db_path, "notifications", event, NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                  &wait_status, &error);
  }
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status) && WEXITSTATUS (wait_status) == 0);
  return out;
}

/* Finding: loopback URLs were called (the portal's own API, the KEPCO
 * endpoint). By default loopback, private, link-local and multicast
 * destinations are refused after name resolution, at once and for good,
 * with a reason the operator sees in `drdeskctl notifications`. */
static void
test_refuse_loopback (void)
{
  g_autoptr(RawServer) rs = raw_server_new (RAW_NO_CONTENT, NULL);
  g_autofree char *by_name = g_strdup_printf ("http://localhost:%u/hook", rs->port);
  const char *urls[] = { rs->url, by_name, NULL };
  g_autoptr(DrdNotifier) notifier = NULL;
  g_autofree char *out = NULL;
  Db db = { 0 };

  db_open (&db, urls);
  notifier = test_notifier (&db, NULL);
  drd_notifier_start (notifier);
  for (gint64 id = 1; id <= 2; id++)
    {
      g_autoptr(DrdOutboxItem) item = wait_state (&db, id, DRD_OUTBOX_FAILED, 5);

      g_test_message ("%s: %s", item->url, item->last_error);
      g_assert_cmpint (item->state, ==, DRD_OUTBOX_FAILED);
      g_assert_cmpint (item->attempts, ==, 1);     /* no retry: it cannot get better */
      g_assert_nonnull (item->last_error);
      g_assert_nonnull (strstr (item->last_error, "loopback"));
      g_assert_nonnull (strstr (item->last_error, "webhook-allow-networks"));
    }
  drd_notifier_stop (notifier);
  g_assert_cmpint (g_atomic_int_get (&rs->hits), ==, 0);

  out = ctl_notifications (&db);
  if (out != NULL)
    {
      g_test_message ("%s", out);
      g_assert_nonnull (strstr (out, "failed"));
      g_assert_nonnull (strstr (out, "loopback address"));
    }
  g_clear_object (&notifier);
  db_close (&db);
}

/* Finding: a 302 was followed to another port. Redirects are not
 * followed; the delivery fails with the reason. */
static void
test_redirect_refused (void)
{
  g_autoptr(RawServer) target = raw_server_new (RAW_NO_CONTENT, NULL);
  g_autoptr(RawServer) rs = raw_server_new (RAW_REDIRECT, target->url);
  const char *urls[] = { rs->url, NULL };
  g_autoptr(DrdNotifier) notifier = NULL;
  g_autoptr(DrdOutboxItem) item = NULL;
  Db db = { 0 };

  db_open (&db, urls);
  notifier = test_notifier (&db, "127.0.0.1/32");
  drd_notifier_start (notifier);
  item = wait_state (&db, 1, DRD_OUTBOX_FAILED, 5);
  drd_notifier_stop (notifier);
  g_test_message ("%s", item->last_error);
  g_assert_cmpint (item->state, ==, DRD_OUTBOX_FAILED);
  g_assert_cmpint (item->last_status, ==, 302);
  g_assert_cmpint (item->attempts, ==, 1);
  g_assert_nonnull (strstr (item->last_error, "redirect"));
  g_assert_nonnull (strstr (item->last_error, target->url));
  g_assert_cmpint (g_atomic_int_get (&rs->hits), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&target->hits), ==, 0);
  g_clear_object (&notifier);
  db_close (&db);
}

/* An https URL is sent over TLS with the URL's host as the identity: a
 * server that answers in plain HTTP fails the handshake (and is retried). */
static void
test_tls_required (void)
{
  g_autoptr(RawServer) rs = raw_server_new (RAW_PLAIN_AT_ONCE, NULL);
  g_autofree char *url = g_strdup_printf ("https://127.0.0.1:%u/hook", rs->port);
  const char *urls[] = { url, NULL };
  g_autoptr(DrdNotifier) notifier = NULL;
  g_autoptr(DrdOutboxItem) item = NULL;
  gint64 deadline;
  Db db = { 0 };

  db_open (&db, urls);
  notifier = test_notifier (&db, "127.0.0.1");
  drd_notifier_set_deadline (notifier, 5);
  drd_notifier_start (notifier);
  deadline = g_get_monotonic_time () + scaled_us (5);
  while (((item = db_item (&db, 1)) == NULL || item->last_error == NULL)
         && g_get_monotonic_time () < deadline)
    {
      g_clear_pointer (&item, drd_outbox_item_free);
      g_usleep (20000);
    }
  drd_notifier_stop (notifier);
  g_assert_nonnull (item);
  g_test_message ("%s", item->last_error);
  g_assert_nonnull (item->last_error);
  g_assert_nonnull (strstr (item->last_error, "TLS"));
  g_assert_cmpint (item->state, !=, DRD_OUTBOX_DELIVERED);
  g_clear_object (&notifier);
  db_close (&db);
}

/* The settings: webhook-allow-networks (checked like any setting) and
 * webhook-timeout reach the notifier. */
static void
test_settings (void)
{
  g_autoptr(RawServer) rs = raw_server_new (RAW_NO_CONTENT, NULL);
  const char *urls[] = { rs->url, NULL };
  g_autoptr(DrdConfig) config = drd_config_new_for_settings (NULL);
  g_autoptr(DrdNotifier) notifier = NULL;
  g_autoptr(DrdOutboxItem) item = NULL;
  g_autoptr(GError) error = NULL;
  const char *bad[] = { "10.0.0.0/8", "intranet", NULL };
  const char *good[] = { "10.0.0.0/8", "127.0.0.1/32", NULL };
  g_auto(GStrv) now = NULL;
  Db db = { 0 };

  g_assert_cmpuint (drd_config_get_webhook_timeout (config), ==, 10);
  now = drd_config_dup_webhook_allow_networks (config);
  g_assert_cmpuint (g_strv_length (now), ==, 0);
  g_assert_false (drd_config_set_value (config, "webhook-allow-networks",
                                        g_variant_new_strv (bad, -1), &error));
  g_assert_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "intranet"));
  g_clear_error (&error);
  g_assert_true (drd_config_set_value (config, "webhook-allow-networks",
                                       g_variant_new_strv (good, -1), &error));
  g_assert_no_error (error);
  g_assert_true (drd_config_set_value (config, "webhook-timeout", g_variant_new_uint32 (7), &error));
  g_assert_false (drd_config_set_value (config, "webhook-timeout", g_variant_new_uint32 (0), NULL));

  db_open (&db, urls);
  notifier = test_notifier (&db, NULL);
  g_assert_true (drd_config_apply_webhook_settings (config, notifier, &error));
  g_assert_no_error (error);
  drd_notifier_start (notifier);
  item = wait_state (&db, 1, DRD_OUTBOX_DELIVERED, 5);
  drd_notifier_stop (notifier);
  g_assert_cmpint (item->state, ==, DRD_OUTBOX_DELIVERED);
  g_assert_cmpint (g_atomic_int_get (&rs->hits), ==, 1);
  g_clear_object (&notifier);
  db_close (&db);
}

/* `drdeskctl serve`: refuses loopback webhooks by default, delivers them
 * with --webhook-allow-network, and refuses a bad network at start. */
static void
test_serve_option (void)
{
  const char *build = g_getenv ("DRD_BUILD_DIR");
  g_autofree char *exe = NULL;

  if (build == NULL)
    {
      g_test_skip ("DRD_BUILD_DIR is not set (run through meson test)");
      return;
    }
  exe = g_build_filename (build, "src", "drdeskctl", NULL);
  for (int allow = 0; allow <= 2; allow++)
    {
      g_autoptr(RawServer) rs = raw_server_new (RAW_NO_CONTENT, NULL);
      const char *urls[] = { rs->url, NULL };
      g_autoptr(GError) error = NULL;
      g_autoptr(DrdOutboxItem) item = NULL;
      const char *network = allow == 2 ? "127.0.0.1/8" : "127.0.0.0/8";
      GPid pid;
      int wait_status = 0;
      Db db = { 0 };

      db_open (&db, urls);
      {
        const char *argv[] = { exe, "--db", db.db_path, "serve", "--listen", "127.0.0.1:0",
                               "--no-settler", allow ? "--webhook-allow-network" : NULL,
                               network, NULL };

        g_assert_true (g_spawn_async (NULL, (char **) argv, NULL,
                                      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL
                                      | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &pid, &error));
        g_assert_no_error (error);
      }
      if (allow == 2)
        {
          /* A usage error at start: serve exits by itself. */
          g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
          g_assert_true (WIFEXITED (wait_status));
          g_assert_cmpint (WEXITSTATUS (wait_status), !=, 0);
        }
      else
        {
          item = wait_state (&db, 1, allow ? DRD_OUTBOX_DELIVERED : DRD_OUTBOX_FAILED, 10);
          kill (pid, SIGTERM);
          g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
          g_test_message ("serve%s: %s", allow ? " --webhook-allow-network" : "",
                          item->last_error ? item->last_error : "delivered");
          g_assert_cmpint (item->state, ==, allow ? DRD_OUTBOX_DELIVERED : DRD_OUTBOX_FAILED);
          g_assert_cmpint (g_atomic_int_get (&rs->hits), ==, allow ? 1 : 0);
        }
      g_spawn_close_pid (pid);
      db_close (&db);
    }
}

/* What is refused after name resolution, and what an allowed network
 * lets through. */
static void
test_address_classes (void)
{
  static const struct { const char *address; const char *why; } cases[] = {
    { "127.0.0.1", "loopback" }, { "127.255.0.9", "loopback" }, { "::1", "loopback" },
    { "10.1.2.3", "private" }, { "172.16.0.1", "private" }, { "172.31.255.255", "private" },
    { "192.168.1.1", "private" }, { "fd12:3456::1", "private" }, { "fc00::1", "private" },
    { "169.254.169.254", "link-local" }, { "fe80::1", "link-local" },
    { "224.0.0.1", "multicast" }, { "239.1.2.3", "multicast" }, { "ff02::1", "multicast" },
    { "0.0.0.0", "unspecified" }, { "::", "unspecified" },
    { "255.255.255.255", "reserved" }, { "240.0.0.1", "reserved" },
    { "100.64.0.1", "shared (carrier-grade NAT)" }, { "192.0.2.7", "documentation" },
    { "2001:db8::1", "documentation" },
    /* IPv4 inside IPv6 is judged as the IPv4 address. */
    { "::ffff:127.0.0.1", "loopback" }, { "::ffff:10.0.0.1", "private" },
    { "64:ff9b::a9fe:a9fe", "link-local" }, { "2002:7f00:1::1", "loopback" },
    /* Public addresses. */
    { "8.8.8.8", NULL }, { "172.32.0.1", NULL }, { "203.0.114.1", NULL },
    { "2001:4860:4860::8888", NULL }, { "::ffff:8.8.4.4", NULL }, { "64:ff9b::808:808", NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) allowed = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GInetAddress) a = g_inet_address_new_from_string (cases[i].address);

      g_test_message ("%s", cases[i].address);
      g_assert_nonnull (a);
      g_assert_cmpstr (drd_notifier_address_refusal (a, NULL), ==, cases[i].why);
    }

  /* An on-premise range; a single address is a /32 or /128. */
  {
    const char *list[] = { " 10.20.0.0/16", "", "fd00:1::/48 ", "127.0.0.1", NULL };
    const char *in[] = { "10.20.3.4", "fd00:1::5", "127.0.0.1", "::ffff:10.20.0.1", NULL };
    const char *out[] = { "10.21.0.1", "fd00:2::5", "127.0.0.2", "::1", NULL };

    allowed = drd_notifier_parse_networks (list, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (allowed->len, ==, 3);
    for (guint i = 0; in[i] != NULL; i++)
      {
        g_autoptr(GInetAddress) a = g_inet_address_new_from_string (in[i]);

        g_assert_null (drd_notifier_address_refusal (a, allowed));
      }
    for (guint i = 0; out[i] != NULL; i++)
      {
        g_autoptr(GInetAddress) a = g_inet_address_new_from_string (out[i]);

        g_assert_nonnull (drd_notifier_address_refusal (a, allowed));
      }
  }

  /* Not networks: refused with the entry named, nothing changes. */
  {
    const char *bad[] = { "10.20.0.1/16", "10.0.0.0/33", "example.com", "10.0.0.0/", NULL };

    for (guint i = 0; bad[i] != NULL; i++)
      {
        const char *one[] = { bad[i], NULL };
        g_autoptr(GPtrArray) none = drd_notifier_parse_networks (one, &error);

        g_assert_null (none);
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        g_assert_nonnull (strstr (error->message, bad[i]));
        g_clear_error (&error);
      }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/notifier/webhooks-retry-giveup-resume", test_webhooks);
  g_test_add_func ("/notifier/endless-answers", test_endless_answers);
  g_test_add_func ("/notifier/slow-hosts", test_slow_hosts);
  g_test_add_func ("/notifier/refuse-loopback", test_refuse_loopback);
  g_test_add_func ("/notifier/redirect-refused", test_redirect_refused);
  g_test_add_func ("/notifier/address-classes", test_address_classes);
  g_test_add_func ("/notifier/tls-required", test_tls_required);
  g_test_add_func ("/notifier/settings", test_settings);
  g_test_add_func ("/notifier/serve-option", test_serve_option);
  return g_test_run ();
}
