/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdNotifier against a real local SoupServer that receives the webhooks:
 * one hook fails first and succeeds on the retry, one always succeeds,
 * one gives up (404); a restart resumes leftover work. */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "service/drd-notifier.h"
#include "store/drd-store-portal.h"

typedef struct {
  GMutex      lock;
  GHashTable *hits;      /* path → count */
  GPtrArray  *bodies;    /* char* of accepted deliveries */
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
    {
      GThread *t = g_thread_new ("receiver-loop", receiver_thread, g_main_loop_new (ctx, FALSE));
      g_thread_unref (t);
    }
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

  soup_server_disconnect (server);
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/notifier/webhooks-retry-giveup-resume", test_webhooks);
  return g_test_run ();
}
