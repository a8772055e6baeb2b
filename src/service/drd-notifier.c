/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "service/drd-notifier.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "store/drd-store-portal.h"

#define MAX_IN_FLIGHT DRD_NOTIFIER_MAX_IN_FLIGHT
#define MAX_PER_ORIGIN DRD_NOTIFIER_MAX_PER_ORIGIN
#define ANSWER_MAX DRD_NOTIFIER_ANSWER_MAX

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
  guint         deadline_s;
  GPtrArray    *allowed;       /* GInetAddressMask*: networks allowed although not public */

  /* thread */
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;

  /* only touched on the notifier thread */
  GSocketClient *client;
  GResolver    *resolver;
  GHashTable   *enqueued;      /* event ids already put in the outbox by us */
  GHashTable   *origins;       /* origin → deliveries in flight to it (GUINT) */
  GHashTable   *deliveries;    /* Delivery* in flight (to cancel them at stop) */
  guint         in_flight;
  gboolean      reset_done;
  GSource      *kick;          /* claim again soon: a slot was freed */

  gint          n_finished;    /* atomic */
};

G_DEFINE_FINAL_TYPE (DrdNotifier, drd_notifier, G_TYPE_OBJECT)

/* One attempt: resolve → check the addresses → connect (plain or TLS) →
 * write the request → read at most ANSWER_MAX bytes → close. Every step
 * runs with the delivery's cancellable, which the deadline cancels. */
typedef struct {
  DrdNotifier        *self;
  DrdOutboxItem      *item;
  char               *origin;
  char               *host;
  guint16             port;
  gboolean            tls;
  GBytes             *request;
  GCancellable       *cancellable;
  GSource            *deadline;
  gboolean            timed_out;
  GList              *addresses;    /* GInetAddress* that may be connected to */
  GList              *next_address;
  char               *connect_error;
  GSocketConnection  *connection;
  GIOStream          *stream;       /* connection, or the TLS connection over it */
  guint8              answer[ANSWER_MAX];
  gsize               answer_len;
} Delivery;

static void claim_more (DrdNotifier *self);

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

/* "scheme://authority" as written at the start of @url (the key of the
 * per-origin share, and what drd_store_outbox_claim_except() matches). */
static char *
origin_of (const char *url)
{
  const char *p = strstr (url, "://");
  const char *end;

  if (p == NULL)
    return g_strdup (url);
  end = strpbrk (p + 3, "/?#");
  return end ? g_strndup (url, (gsize) (end - url)) : g_strdup (url);
}

/* ---- which addresses a webhook may reach ---- */

typedef struct {
  const char *network;
  const char *why;
} Refused;

/* IANA special-purpose registries (RFC 6890 and successors): what is not
 * a public unicast address. IPv6 forms of IPv4 addresses are judged as
 * the IPv4 address (see embedded_ipv4). */
static const Refused refused_networks[] = {
  { "0.0.0.0/8", "unspecified" },
  { "10.0.0.0/8", "private" },
  { "100.64.0.0/10", "shared (carrier-grade NAT)" },
  { "127.0.0.0/8", "loopback" },
  { "169.254.0.0/16", "link-local" },
  { "172.16.0.0/12", "private" },
  { "192.0.0.0/24", "reserved" },
  { "192.0.2.0/24", "documentation" },
  { "192.88.99.0/24", "reserved" },
  { "192.168.0.0/16", "private" },
  { "198.18.0.0/15", "reserved" },
  { "198.51.100.0/24", "documentation" },
  { "203.0.113.0/24", "documentation" },
  { "224.0.0.0/4", "multicast" },
  { "240.0.0.0/4", "reserved" },          /* with 255.255.255.255, broadcast */
  { "::/128", "unspecified" },
  { "::1/128", "loopback" },
  { "::/96", "reserved" },                /* IPv4-compatible, deprecated */
  { "64:ff9b:1::/48", "private" },        /* local-use NAT64 */
  { "100::/64", "reserved" },             /* discard-only */
  { "2001::/23", "reserved" },            /* IETF protocol assignments, Teredo */
  { "2001:db8::/32", "documentation" },
  { "fc00::/7", "private" },              /* unique local */
  { "fe80::/10", "link-local" },
  { "fec0::/10", "private" },             /* site-local, deprecated */
  { "ff00::/8", "multicast" },
};

static GInetAddressMask *refused_masks[G_N_ELEMENTS (refused_networks)];

static void
init_refused_masks (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      for (guint i = 0; i < G_N_ELEMENTS (refused_networks); i++)
        {
          refused_masks[i] = g_inet_address_mask_new_from_string (refused_networks[i].network, NULL);
          g_assert (refused_masks[i] != NULL);
        }
      g_once_init_leave (&done, 1);
    }
}

/* The IPv4 address inside @address when it is IPv4-mapped
 * (::ffff:a.b.c.d), 6to4 (2002:AABB:CCDD::/16) or well-known NAT64
 * (64:ff9b::a.b.c.d); NULL otherwise. */
static GInetAddress *
embedded_ipv4 (GInetAddress *address)
{
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  static const guint8 nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
  const guint8 *b;

  if (g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV6)
    return NULL;
  b = g_inet_address_to_bytes (address);
  if (memcmp (b, mapped, 12) == 0 || memcmp (b, nat64, 12) == 0)
    return g_inet_address_new_from_bytes (b + 12, G_SOCKET_FAMILY_IPV4);
  if (b[0] == 0x20 && b[1] == 0x02)
    return g_inet_address_new_from_bytes (b + 2, G_SOCKET_FAMILY_IPV4);
  return NULL;
}

const char *
drd_notifier_address_refusal (GInetAddress *address,
                              GPtrArray    *allowed)
{
  g_autoptr(GInetAddress) v4 = NULL;

  g_return_val_if_fail (G_IS_INET_ADDRESS (address), "unspecified");

  init_refused_masks ();
  for (guint i = 0; allowed != NULL && i < allowed->len; i++)
    if (g_inet_address_mask_matches (allowed->pdata[i], address))
      return NULL;
  v4 = embedded_ipv4 (address);
  if (v4 != NULL)
    return drd_notifier_address_refusal (v4, allowed);
  for (guint i = 0; i < G_N_ELEMENTS (refused_networks); i++)
    if (g_inet_address_mask_matches (refused_masks[i], address))
      return refused_networks[i].why;
  return NULL;
}

GPtrArray *
drd_notifier_parse_networks (const char * const *networks,
                             GError            **error)
{
  g_autoptr(GPtrArray) masks = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; networks != NULL && networks[i] != NULL; i++)
    {
      g_autofree char *entry = g_strstrip (g_strdup (networks[i]));
      GInetAddressMask *mask;

      if (*entry == '\0')
        continue;
      mask = g_inet_address_mask_new_from_string (entry, NULL);
      if (mask == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not a network: write an address or ADDRESS/PREFIX with the bits "
                         "after the prefix zero, such as 10.20.0.0/16, 192.168.7.12 or fd00:1::/48"),
                       entry);
          return NULL;
        }
      g_ptr_array_add (masks, mask);
    }
  return g_steal_pointer (&masks);
}

/* ---- one delivery ---- */

static void
delivery_free (Delivery *d)
{
  if (d->deadline != NULL)
    {
      g_source_destroy (d->deadline);
      g_source_unref (d->deadline);
    }
  if (d->connection != NULL)
    /* Not g_io_stream_close(): a TLS close would write to a peer that
     * may not read. Unread answer bytes make the kernel reset it. */
    g_socket_close (g_socket_connection_get_socket (d->connection), NULL);
  g_clear_object (&d->stream);
  g_clear_object (&d->connection);
  g_list_free_full (d->addresses, g_object_unref);
  g_clear_object (&d->cancellable);
  g_clear_pointer (&d->request, g_bytes_unref);
  g_free (d->connect_error);
  g_free (d->host);
  g_free (d->origin);
  drd_outbox_item_free (d->item);
  g_free (d);
}

/* Records the outcome. @status: the HTTP status, 0 without one; @final:
 * no retry, whatever the status (a refused address, a redirect). */
static void
finish_delivery (Delivery   *d,
                 gint        status,
                 const char *message,
                 gboolean    final)
{
  DrdNotifier *self = d->self;
  g_autoptr(GError) error = NULL;
  gint64 now = drd_store_now ();
  gboolean ok = status >= 200 && status < 300;
  gboolean retry = !ok && !final
                   && (status == 0 || status >= 500 || status == 408 || status == 429);

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

  if (d->origin != NULL)
    {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->origins, d->origin));

      if (n <= 1)
        g_hash_table_remove (self->origins, d->origin);
      else
        g_hash_table_insert (self->origins, g_strdup (d->origin), GUINT_TO_POINTER (n - 1));
    }
  g_hash_table_remove (self->deliveries, d);
  self->in_flight--;
  delivery_free (d);
  claim_more (self);
}

/* A failed step: the deadline's message when the deadline cancelled it. */
static void
fail_step (Delivery   *d,
           const char *what,
           GError     *error)
{
  g_autofree char *message = NULL;

  if (d->timed_out)
    message = g_strdup_printf ("no answer within %u s (the webhook deadline, setting "
                               "webhook-timeout); the delivery was abandoned",
                               d->self->deadline_s);
  else
    message = g_strdup_printf ("%s: %s", what, error->message);
  finish_delivery (d, 0, message, FALSE);
}

static gboolean
deadline_cb (gpointer data)
{
  Delivery *d = data;

  d->timed_out = TRUE;
  g_cancellable_cancel (d->cancellable);
  g_clear_pointer (&d->deadline, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* The answer so far: TRUE with *status when the status line of a final
 * answer (not 1xx) is there. *location: its Location header, if that
 * arrived too. */
static gboolean
parse_answer (Delivery *d,
              guint    *status,
              char    **location,
              gboolean *headers_done)
{
  const char *p = (const char *) d->answer;
  const char *end = p + d->answer_len;

  *headers_done = FALSE;
  for (;;)
    {
      const char *eol = memchr (p, '\n', (gsize) (end - p));
      const char *block_end;
      guint code = 0;

      if (eol == NULL)
        return FALSE;
      if (end - p < 12 || strncmp (p, "HTTP/1.", 7) != 0 || p[8] != ' '
          || !g_ascii_isdigit (p[9]) || !g_ascii_isdigit (p[10]) || !g_ascii_isdigit (p[11]))
        {
          *status = 0;     /* not HTTP */
          return TRUE;
        }
      code = (guint) ((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
      block_end = g_strstr_len (p, end - p, "\r\n\r\n");
      if (code >= 100 && code < 200)
        {
          /* An interim answer (100 Continue): the final one follows. */
          if (block_end == NULL)
            return FALSE;
          p = block_end + 4;
          continue;
        }
      *status = code;
      *headers_done = block_end != NULL;
      *location = NULL;
      for (const char *line = eol + 1; line < end; )
        {
          const char *next = memchr (line, '\n', (gsize) (end - line));

          if (next == NULL || (block_end != NULL && line > block_end))
            break;
          if (g_ascii_strncasecmp (line, "Location:", 9) == 0)
            {
              g_autofree char *value = g_strndup (line + 9, (gsize) (next - line - 9));

              *location = g_strdup (g_strstrip (value));
              break;
            }
          line = next + 1;
        }
      return TRUE;
    }
}

static void
answer_done (Delivery *d)
{
  guint status = 0;
  gboolean headers_done = FALSE;
  g_autofree char *location = NULL;
  g_autofree char *message = NULL;
  g_autofree char *reason = NULL;

  if (!parse_answer (d, &status, &location, &headers_done) || status == 0)
    {
      finish_delivery (d, 0, d->answer_len == 0
                               ? "the webhook closed the connection without answering"
                               : "the webhook's answer is not HTTP/1.x", FALSE);
      return;
    }
  /* The reason phrase, for the operator, from the status line. */
  {
    const char *p = (const char *) d->answer;
    const char *eol;

    while (p[9] == '1' && (eol = g_strstr_len (p, d->answer_len - (gsize) (p - (const char *) d->answer),
                                               "\r\n\r\n")) != NULL)
      p = eol + 4;
    eol = memchr (p, '\n', d->answer_len - (gsize) (p - (const char *) d->answer));
    if (eol != NULL && eol - p > 13)
      reason = g_strstrip (g_strndup (p + 13, (gsize) (eol - p - 13)));
    if (reason != NULL)
      for (char *c = reason; *c; c++)
        if ((guchar) *c < 0x20 || (guchar) *c == 0x7f)
          *c = ' ';
  }
  if (status >= 300 && status < 400)
    {
      message = g_strdup_printf ("HTTP %u %s: the webhook answered with a redirect%s%s; "
                                 "redirects are not followed (set the customer's webhook_url "
                                 "to the final address)",
                                 status, reason ? reason : "",
                                 location ? " to " : "", location ? location : "");
      finish_delivery (d, (gint) status, message, TRUE);
      return;
    }
  if (status < 200 || status >= 300)
    message = g_strdup_printf ("HTTP %u %s", status, reason ? reason : "");
  finish_delivery (d, (gint) status, message, FALSE);
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Delivery *d = user_data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  guint status = 0;
  gboolean headers_done = FALSE;
  g_autofree char *location = NULL;

  if (n < 0)
    {
      /* Whatever arrived before a reset may still hold the status. */
      if (!d->timed_out && d->answer_len > 0
          && parse_answer (d, &status, &location, &headers_done) && status != 0)
        {
          answer_done (d);
          return;
        }
      fail_step (d, "reading the answer failed", error);
      return;
    }
  d->answer_len += (gsize) n;
  /* Enough: the end of the header block, the answer's end, or ANSWER_MAX
   * bytes. Nothing more is ever read (an endless answer stays outside). */
  if (n == 0 || d->answer_len == ANSWER_MAX
      || (parse_answer (d, &status, &location, &headers_done) && (headers_done || status == 0)))
    {
      answer_done (d);
      return;
    }
  g_input_stream_read_async (g_io_stream_get_input_stream (d->stream), d->answer + d->answer_len,
                             ANSWER_MAX - d->answer_len, G_PRIORITY_DEFAULT, d->cancellable,
                             read_cb, d);
}

static void
written_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Delivery *d = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      fail_step (d, "sending the notification failed", error);
      return;
    }
  g_input_stream_read_async (g_io_stream_get_input_stream (d->stream), d->answer, ANSWER_MAX,
                             G_PRIORITY_DEFAULT, d->cancellable, read_cb, d);
}

static void
send_request (Delivery *d)
{
  gsize len;
  gconstpointer data = g_bytes_get_data (d->request, &len);

  g_output_stream_write_all_async (g_io_stream_get_output_stream (d->stream), data, len,
                                   G_PRIORITY_DEFAULT, d->cancellable, written_cb, d);
}

static void
handshake_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Delivery *d = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    {
      fail_step (d, "the TLS handshake failed", error);
      return;
    }
  send_request (d);
}

static void try_next_address (Delivery *d);

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Delivery *d = user_data;
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source),
                                                                  result, &error);

  if (connection == NULL)
    {
      if (d->timed_out || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          fail_step (d, "connecting failed", error);
          return;
        }
      g_free (d->connect_error);
      d->connect_error = g_strdup (error->message);
      try_next_address (d);
      return;
    }
  d->connection = connection;
  if (!d->tls)
    {
      d->stream = G_IO_STREAM (g_object_ref (connection));
      send_request (d);
      return;
    }
  {
    g_autoptr(GSocketConnectable) identity = g_network_address_new (d->host, d->port);
    GIOStream *tls = g_tls_client_connection_new (G_IO_STREAM (connection), identity, &error);

    if (tls == NULL)
      {
        finish_delivery (d, 0, error->message, FALSE);
        return;
      }
    d->stream = tls;
    g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, d->cancellable,
                                      handshake_cb, d);
  }
}

static void
try_next_address (Delivery *d)
{
  g_autoptr(GSocketAddress) target = NULL;
  GInetAddress *address;

  if (d->next_address == NULL)
    {
      g_autofree char *message = g_strdup_printf ("cannot connect to %s port %u: %s", d->host,
                                                  d->port, d->connect_error ? d->connect_error
                                                                            : "no address");

      finish_delivery (d, 0, message, FALSE);
      return;
    }
  address = d->next_address->data;
  d->next_address = d->next_address->next;
  /* The address checked is the address connected to: no second lookup
   * that a DNS server could answer differently. */
  target = g_inet_socket_address_new (address, d->port);
  g_socket_client_connect_async (d->self->client, G_SOCKET_CONNECTABLE (target), d->cancellable,
                                 connected_cb, d);
}

/* Keeps the addresses that may be reached; refuses the delivery for good
 * when none may. */
static void
check_addresses (Delivery *d,
                 GList    *addresses)
{
  const char *why = NULL;
  GInetAddress *refused = NULL;

  for (GList *l = addresses; l != NULL; l = l->next)
    {
      const char *r = drd_notifier_address_refusal (l->data, d->self->allowed);

      if (r == NULL)
        d->addresses = g_list_append (d->addresses, g_object_ref (l->data));
      else if (why == NULL)
        {
          why = r;
          refused = l->data;
        }
    }
  if (d->addresses == NULL)
    {
      g_autofree char *text = refused ? g_inet_address_to_string (refused) : g_strdup ("?");
      g_autofree char *message = NULL;

      if (g_hostname_is_ip_address (d->host))
        message = g_strdup_printf ("refused: %s is a%s %s address; webhooks go only to public "
                                   "addresses unless the webhook-allow-networks setting (or serve "
                                   "--webhook-allow-network) names its network", text,
                                   strchr ("aeiou", why[0]) ? "n" : "", why);
      else
        message = g_strdup_printf ("refused: %s resolves to %s, a%s %s address; webhooks go only "
                                   "to public addresses unless the webhook-allow-networks setting "
                                   "(or serve --webhook-allow-network) names its network", d->host,
                                   text, strchr ("aeiou", why[0]) ? "n" : "", why);
      finish_delivery (d, 0, message, TRUE);
      return;
    }
  d->next_address = d->addresses;
  try_next_address (d);
}

static void
resolved_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Delivery *d = user_data;
  g_autoptr(GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);

  if (addresses == NULL)
    {
      g_autofree char *what = g_strdup_printf ("cannot resolve %s", d->host);

      fail_step (d, what, error);
      return;
    }
  check_addresses (d, addresses);
  g_resolver_free_addresses (addresses);
}

/* The request, or NULL when @uri cannot be sent as HTTP/1.1 as it is. */
static GBytes *
build_request (GUri       *uri,
               const char *host,
               gint        port,
               gboolean    tls,
               const char *json)
{
  const char *path = g_uri_get_path (uri);
  const char *query = g_uri_get_query (uri);
  g_autoptr(GString) r = g_string_new ("POST ");
  g_autofree char *host_header = NULL;

  g_string_append (r, *path ? path : "/");
  if (query != NULL)
    g_string_append_printf (r, "?%s", query);
  for (const char *c = r->str; *c; c++)
    if ((guchar) *c < 0x21 && c != r->str + 4)   /* no spaces, controls or line breaks */
      return NULL;
  host_header = strchr (host, ':') ? g_strdup_printf ("[%s]", host) : g_strdup (host);
  if (port != (tls ? 443 : 80))
    {
      g_autofree char *h = host_header;

      host_header = g_strdup_printf ("%s:%d", h, port);
    }
  g_string_append_printf (r, " HTTP/1.1\r\nHost: %s\r\n"
                          "User-Agent: DR-Desk-notifier/" PACKAGE_VERSION "\r\n"
                          "Content-Type: application/json\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                          "Accept: */*\r\n"
                          "Connection: close\r\n\r\n%s",
                          host_header, strlen (json), json);
  return g_string_free_to_bytes (g_steal_pointer (&r));
}

static void
deliver (DrdNotifier   *self,
         DrdOutboxItem *item)
{
  Delivery *d = g_new0 (Delivery, 1);
  g_autofree char *json = NULL;
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  gint port;

  d->self = self;   /* no reference: stop() drains deliveries before the object can go */
  d->item = item;
  d->origin = origin_of (item->url);
  d->cancellable = g_cancellable_new ();
  self->in_flight++;
  g_hash_table_add (self->deliveries, d);
  g_hash_table_insert (self->origins, g_strdup (d->origin),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (self->origins,
                                                                                d->origin)) + 1));

  json = body_with_link (self, item);
  if (json == NULL)
    {
      finish_delivery (d, 0, "the stored notification is not a JSON object", TRUE);
      return;
    }
  uri = g_uri_parse (item->url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_SCHEME_NORMALIZE, NULL);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0)
      || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      /* A malformed URL never gets better: give up at once. */
      finish_delivery (d, 0, "the webhook URL is not a valid http(s) URL", TRUE);
      return;
    }
  d->tls = g_str_equal (scheme, "https");
  port = g_uri_get_port (uri);
  if (port <= 0)
    port = d->tls ? 443 : 80;
  d->port = (guint16) port;
  d->host = g_strdup (g_uri_get_host (uri));
  d->request = build_request (uri, d->host, port, d->tls, json);
  if (d->request == NULL)
    {
      finish_delivery (d, 0, "the webhook URL is not a valid http(s) URL", TRUE);
      return;
    }

  d->deadline = g_timeout_source_new_seconds (self->deadline_s);
  g_source_set_callback (d->deadline, deadline_cb, d, NULL);
  g_source_attach (d->deadline, self->context);

  if (g_hostname_is_ip_address (d->host))
    {
      GInetAddress *literal = g_inet_address_new_from_string (d->host);
      GList *one;

      if (literal == NULL)
        {
          finish_delivery (d, 0, "the webhook URL is not a valid http(s) URL", TRUE);
          return;
        }
      one = g_list_prepend (NULL, literal);
      check_addresses (d, one);
      g_list_free_full (one, g_object_unref);
      return;
    }
  g_resolver_lookup_by_name_async (self->resolver, d->host, d->cancellable, resolved_cb, d);
}

/* Claims due rows one at a time while a slot is free, skipping origins
 * that hold their share: a host that is slow (or hostile) delays only
 * its own customers. */
static void
claim_due (DrdNotifier *self,
           gint64       now)
{
  while (self->in_flight < MAX_IN_FLIGHT)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) busy = g_ptr_array_new ();
      g_autoptr(GPtrArray) items = NULL;
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, self->origins);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (GPOINTER_TO_UINT (value) >= MAX_PER_ORIGIN)
          g_ptr_array_add (busy, key);
      g_ptr_array_add (busy, NULL);
      items = drd_store_outbox_claim_except (self->store, now, 1,
                                             (const char * const *) busy->pdata, &error);
      if (items == NULL)
        {
          g_message ("notifier: %s", error->message);
          return;
        }
      if (items->len == 0)
        return;
      deliver (self, g_steal_pointer (&items->pdata[0]));
    }
}

static gboolean
kick_cb (gpointer user_data)
{
  DrdNotifier *self = user_data;

  g_clear_pointer (&self->kick, g_source_unref);
  if (self->reset_done)
    claim_due (self, drd_store_now ());
  return G_SOURCE_REMOVE;
}

/* A slot was freed: claim again soon (not from inside the finished
 * delivery's callback, and once for many deliveries that end together). */
static void
claim_more (DrdNotifier *self)
{
  if (self->kick != NULL || self->loop == NULL || !g_main_loop_is_running (self->loop))
    return;
  self->kick = g_idle_source_new ();
  g_source_set_callback (self->kick, kick_cb, self, NULL);
  g_source_attach (self->kick, self->context);
}

static gboolean
tick_cb (gpointer user_data)
{
  DrdNotifier *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) events = NULL;
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

  claim_due (self, now);
  return G_SOURCE_CONTINUE;
}

static gpointer
thread_main (gpointer data)
{
  DrdNotifier *self = data;
  GSource *source;

  g_main_context_push_thread_default (self->context);
  self->client = g_socket_client_new ();
  /* The address checked is the address connected to: no proxy in
   * between (it would connect wherever the URL says). */
  g_socket_client_set_enable_proxy (self->client, FALSE);
  self->resolver = g_resolver_get_default ();
  self->enqueued = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->origins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->deliveries = g_hash_table_new (NULL, NULL);

  source = g_timeout_source_new (self->poll_ms);
  g_source_set_callback (source, tick_cb, self, NULL);
  g_source_attach (source, self->context);
  g_source_unref (source);
  tick_cb (self);

  g_main_loop_run (self->loop);

  g_source_destroy (source);
  if (self->kick != NULL)
    {
      g_source_destroy (self->kick);
      g_clear_pointer (&self->kick, g_source_unref);
    }
  /* Cancel what is in flight and let the callbacks run (they free each
   * delivery; the rows stay "sending" until the next start). */
  {
    GHashTableIter iter;
    gpointer d;

    g_hash_table_iter_init (&iter, self->deliveries);
    while (g_hash_table_iter_next (&iter, &d, NULL))
      g_cancellable_cancel (((Delivery *) d)->cancellable);
  }
  while (self->in_flight > 0 && g_main_context_iteration (self->context, TRUE))
    ;
  if (self->kick != NULL)
    {
      g_source_destroy (self->kick);
      g_clear_pointer (&self->kick, g_source_unref);
    }
  g_clear_object (&self->client);
  g_clear_object (&self->resolver);
  g_clear_pointer (&self->enqueued, g_hash_table_unref);
  g_clear_pointer (&self->origins, g_hash_table_unref);
  g_clear_pointer (&self->deliveries, g_hash_table_unref);
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
  g_clear_pointer (&self->allowed, g_ptr_array_unref);
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
  self->deadline_s = DRD_NOTIFIER_DEFAULT_DEADLINE;
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
drd_notifier_set_deadline (DrdNotifier *self,
                           guint        seconds)
{
  g_return_if_fail (DRD_IS_NOTIFIER (self));
  g_return_if_fail (self->thread == NULL);
  self->deadline_s = MAX (seconds, 1);
}

gboolean
drd_notifier_set_allowed_networks (DrdNotifier        *self,
                                   const char * const *networks,
                                   GError            **error)
{
  GPtrArray *masks;

  g_return_val_if_fail (DRD_IS_NOTIFIER (self), FALSE);
  g_return_val_if_fail (self->thread == NULL, FALSE);

  masks = drd_notifier_parse_networks (networks, error);
  if (masks == NULL)
    return FALSE;
  g_clear_pointer (&self->allowed, g_ptr_array_unref);
  self->allowed = masks;
  return TRUE;
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
