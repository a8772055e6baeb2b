/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "service/drd-notifier.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "store/drd-store-portal.h"

#define MAX_IN_FLIGHT 8
#define HTTP_TIMEOUT 10

struct _DrdNotifier
{
  GObject       parent_instance;

  /* owned, immutable after start */
  DrdStore     *store;
  GBytes       *secret;
  char         *base_url;
  guint         base_seconds;
  guint         max_seconds;
  guint         max_attempts;
  guint         poll_ms;

  /* thread */
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;

  /* only touched on the notifier thread */
  SoupSession  *session;
  GHashTable   *enqueued;      /* event ids already put in the outbox by us */
  guint         in_flight;
  gboolean      reset_done;

  gint          n_finished;    /* atomic */
};

G_DEFINE_FINAL_TYPE (DrdNotifier, drd_notifier, G_TYPE_OBJECT)

typedef struct {
  DrdNotifier   *self;
  DrdOutboxItem *item;
  SoupMessage   *msg;
} Delivery;

static gint64
backoff_delay (DrdNotifier *self,
               gint         attempts)
{
  gint64 delay = self->base_seconds;

  for (gint i = 1; i < attempts && delay < self->max_seconds; i++)
    delay *= 2;
  delay = MIN (delay, (gint64) self->max_seconds);
  /* ±20 % jitter, so that many failed hooks do not retry in lockstep. */
  if (delay >= 5)
    delay += g_random_int_range (-(gint) (delay / 5), (gint) (delay / 5) + 1);
  return MAX (delay, 1);
}

static char *
body_with_link (DrdNotifier   *self,
                DrdOutboxItem *item)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *token = drd_link_token_derive (self->secret, item->customer_id,
                                                  item->token_generation);
  g_autofree char *link = g_strdup_printf ("%s/r/%s", self->base_url, token);
  JsonNode *root;

  if (!json_parser_load_from_data (parser, item->body, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  root = json_parser_get_root (parser);
  json_object_set_string_member (json_node_get_object (root), "link", link);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static void
finish_delivery (Delivery   *d,
                 gint        status,
                 const char *message)
{
  DrdNotifier *self = d->self;
  g_autoptr(GError) error = NULL;
  gint64 now = drd_store_now ();
  gboolean ok = status >= 200 && status < 300;
  gboolean retry = !ok && (status == 0 || status >= 500 || status == 408 || status == 429);

  if (ok)
    {
      if (!drd_store_outbox_delivered (self->store, d->item->id, status, now, &error))
        g_message ("notifier: cannot record delivery %" G_GINT64_FORMAT ": %s",
                   d->item->id, error->message);
      g_atomic_int_inc (&self->n_finished);
    }
  else
    {
      gint64 next = 0;

      if (retry && (guint) d->item->attempts < self->max_attempts)
        next = now + backoff_delay (self, d->item->attempts);
      if (!drd_store_outbox_failed (self->store, d->item->id, status, message, next, &error))
        g_message ("notifier: cannot record failure %" G_GINT64_FORMAT ": %s",
                   d->item->id, error->message);
      if (next == 0)
        g_atomic_int_inc (&self->n_finished);
    }

  self->in_flight--;
  g_clear_object (&d->msg);
  drd_outbox_item_free (d->item);
  g_free (d);
}

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Delivery *d = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                              &error);
  g_autofree char *message = NULL;
  guint status;

  if (body == NULL)
    {
      finish_delivery (d, 0, error->message);
      return;
    }
  status = soup_message_get_status (d->msg);
  if (status < 200 || status >= 300)
    message = g_strdup_printf ("HTTP %u %s", status, soup_message_get_reason_phrase (d->msg));
  finish_delivery (d, (gint) status, message);
}

static void
deliver (DrdNotifier   *self,
         DrdOutboxItem *item)
{
  Delivery *d = g_new0 (Delivery, 1);
  g_autofree char *json = NULL;
  g_autoptr(GBytes) bytes = NULL;

  d->self = self;   /* no reference: stop() drains deliveries before the object can go */
  d->item = item;
  self->in_flight++;

  json = body_with_link (self, item);
  if (json == NULL)
    {
      finish_delivery (d, 0, "the stored notification is not a JSON object");
      return;
    }
  d->msg = soup_message_new ("POST", item->url);
  if (d->msg == NULL)
    {
      /* A malformed URL never gets better: give up at once. */
      d->item->attempts = self->max_attempts;
      finish_delivery (d, 0, "the webhook URL is not a valid http(s) URL");
      return;
    }
  {
    gsize len = strlen (json);
    bytes = g_bytes_new_take (g_steal_pointer (&json), len);
  }
  soup_message_set_request_body_from_bytes (d->msg, "application/json", bytes);
  soup_message_headers_replace (soup_message_get_request_headers (d->msg),
                                "User-Agent", "DR-Desk-notifier/" PACKAGE_VERSION);
  soup_session_send_and_read_async (self->session, d->msg, G_PRIORITY_DEFAULT, NULL,
                                    sent_cb, d);
}

static gboolean
tick_cb (gpointer user_data)
{
  DrdNotifier *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) events = NULL;
  g_autoptr(GPtrArray) items = NULL;
  gint64 now = drd_store_now ();

  if (!self->reset_done)
    {
      if (!drd_store_outbox_reset_sending (self->store, now, &error))
        {
          g_message ("notifier: %s", error->message);
          return G_SOURCE_CONTINUE;
        }
      self->reset_done = TRUE;
    }

  events = drd_store_outbox_open_events (self->store, now, &error);
  if (events == NULL)
    {
      g_message ("notifier: %s", error->message);
      return G_SOURCE_CONTINUE;
    }
  for (guint i = 0; i < events->len; i++)
    {
      gint64 id = g_array_index (events, gint64, i);

      if (g_hash_table_contains (self->enqueued, &id))
        continue;
      /* Idempotent (UNIQUE (event_id, customer_id)): after a restart this
       * runs once more per event and creates nothing new. */
      if (!drd_store_outbox_enqueue_event (self->store, id, now, NULL, &error))
        {
          g_message ("notifier: %s", error->message);
          g_clear_error (&error);
          continue;
        }
      g_hash_table_add (self->enqueued, g_memdup2 (&id, sizeof id));
    }

  if (self->in_flight >= MAX_IN_FLIGHT)
    return G_SOURCE_CONTINUE;
  items = drd_store_outbox_claim (self->store, now, MAX_IN_FLIGHT - self->in_flight, &error);
  if (items == NULL)
    {
      g_message ("notifier: %s", error->message);
      return G_SOURCE_CONTINUE;
    }
  for (guint i = 0; i < items->len; i++)
    deliver (self, g_steal_pointer (&items->pdata[i]));
  return G_SOURCE_CONTINUE;
}

static gpointer
thread_main (gpointer data)
{
  DrdNotifier *self = data;
  GSource *source;

  g_main_context_push_thread_default (self->context);
  self->session = soup_session_new_with_options ("timeout", HTTP_TIMEOUT,
                                                 "max-conns", MAX_IN_FLIGHT * 2,
                                                 NULL);
  self->enqueued = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  source = g_timeout_source_new (self->poll_ms);
  g_source_set_callback (source, tick_cb, self, NULL);
  g_source_attach (source, self->context);
  g_source_unref (source);
  tick_cb (self);

  g_main_loop_run (self->loop);

  g_source_destroy (source);
  soup_session_abort (self->session);
  /* Let aborted deliveries run their callbacks (they release refs). */
  while (self->in_flight > 0 && g_main_context_iteration (self->context, TRUE))
    ;
  g_clear_object (&self->session);
  g_clear_pointer (&self->enqueued, g_hash_table_unref);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static void
drd_notifier_dispose (GObject *object)
{
  DrdNotifier *self = DRD_NOTIFIER (object);

  drd_notifier_stop (self);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (drd_notifier_parent_class)->dispose (object);
}

static void
drd_notifier_finalize (GObject *object)
{
  DrdNotifier *self = DRD_NOTIFIER (object);

  g_clear_pointer (&self->secret, g_bytes_unref);
  g_free (self->base_url);
  G_OBJECT_CLASS (drd_notifier_parent_class)->finalize (object);
}

static void
drd_notifier_class_init (DrdNotifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = drd_notifier_dispose;
  object_class->finalize = drd_notifier_finalize;
}

static void
drd_notifier_init (DrdNotifier *self)
{
  self->base_seconds = 5;
  self->max_seconds = 3600;
  self->max_attempts = 8;
  self->poll_ms = 1000;
}

DrdNotifier *
drd_notifier_new (DrdStore   *store,
                  GBytes     *secret,
                  const char *public_base_url)
{
  DrdNotifier *self;

  g_return_val_if_fail (DRD_IS_STORE (store), NULL);
  g_return_val_if_fail (secret != NULL, NULL);
  g_return_val_if_fail (public_base_url != NULL, NULL);

  self = g_object_new (DRD_TYPE_NOTIFIER, NULL);
  self->store = g_object_ref (store);
  self->secret = g_bytes_ref (secret);
  self->base_url = g_str_has_suffix (public_base_url, "/")
                   ? g_strndup (public_base_url, strlen (public_base_url) - 1)
                   : g_strdup (public_base_url);
  return self;
}

void
drd_notifier_set_retry (DrdNotifier *self,
                        guint        base_seconds,
                        guint        max_seconds,
                        guint        max_attempts)
{
  g_return_if_fail (DRD_IS_NOTIFIER (self));
  g_return_if_fail (self->thread == NULL);
  self->base_seconds = MAX (base_seconds, 1);
  self->max_seconds = MAX (max_seconds, self->base_seconds);
  self->max_attempts = MAX (max_attempts, 1);
}

void
drd_notifier_set_poll_interval (DrdNotifier *self,
                                guint        milliseconds)
{
  g_return_if_fail (DRD_IS_NOTIFIER (self));
  g_return_if_fail (self->thread == NULL);
  self->poll_ms = MAX (milliseconds, 10);
}

void
drd_notifier_start (DrdNotifier *self)
{
  g_return_if_fail (DRD_IS_NOTIFIER (self));

  if (self->thread != NULL)
    return;
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("drd-notifier", thread_main, self);
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
drd_notifier_stop (DrdNotifier *self)
{
  g_return_if_fail (DRD_IS_NOTIFIER (self));

  if (self->thread == NULL)
    return;
  g_main_context_invoke (self->context, quit_cb, self->loop);
  g_thread_join (g_steal_pointer (&self->thread));
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
}

guint
drd_notifier_get_n_finished (DrdNotifier *self)
{
  g_return_val_if_fail (DRD_IS_NOTIFIER (self), 0);
  return (guint) g_atomic_int_get (&self->n_finished);
}
