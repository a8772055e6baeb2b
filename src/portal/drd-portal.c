/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "portal/drd-portal.h"
#include "core/drd-json-guard.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statvfs.h>

#include "portal/drd-portal-form.h"
#include "portal/drd-portal-page.h"
#include "portal/drd-portal-proxy.h"
#include "portal/drd-portal-ratelimit.h"
#include "portal/drd-portal-resources.h"
#include "store/drd-store-portal.h"

#define DEFAULT_RATE 20.0
#define DEFAULT_BURST 40.0
#define DEFAULT_REQUEST_TIMEOUT 10
#define DEFAULT_MAX_STREAMS 200
#define DEFAULT_POLL_MS 2000
#define DEFAULT_TOKEN_RATE DRD_PORTAL_TOKEN_RATE
#define DEFAULT_TOKEN_BURST DRD_PORTAL_TOKEN_BURST
#define DEFAULT_STREAMS_PER_TOKEN 3
#define DEFAULT_STREAMS_PER_CLIENT 32
#define STREAM_PING_SECONDS 25
/* Links remembered as valid when the token index cannot tell (bounded). */
#define MAX_VERIFIED_TOKENS 65536
/* /readyz: a probe result is reused this long; a probe write waiting
 * longer than READY_WAIT_MS means the writer is stuck. */
#define READY_FRESH_US (G_USEC_PER_SEC / 2)
#define READY_WAIT_MS 2000
#define READY_MAX_WAITERS 64
#define DEFAULT_MIN_FREE_SPACE (16 * 1024 * 1024)
#define HSTS "max-age=31536000"

/* default-src 'none' blocks everything not listed; the page uses only its
 * own stylesheet and script and talks only to itself (event stream). */
#define CSP "default-src 'none'; style-src 'self'; script-src 'self'; " \
            "connect-src 'self'; img-src 'self'; form-action 'self'; " \
            "frame-ancestors 'none'; base-uri 'none'"

struct _DrdPortal
{
  GObject             parent_instance;

  /* owned */
  DrdStore           *store;
  GBytes             *secret;
  SoupServer         *server;
  GSocket            *listen_socket;
  DrdPortalRateLimit *rate_limit;       /* per client address: requests without a valid link */
  DrdPortalRateLimit *token_rate_limit; /* per link: requests with a valid one */
  DrdTrustedProxies  *trusted;
  GHashTable         *verified;         /* link → TRUE, confirmed by the store */
  GHashTable         *stream_counts;    /* "t:"link / "a:"client → open streams */
  GHashTable         *receiving;      /* SoupServerMessage* → start time (µs, boxed) */
  GHashTable         *idle;           /* GSocket* (ref) of kept-alive connections → µs */
  GPtrArray          *streams;        /* SoupServerMessage* of open event streams */
  GCancellable       *cancellable;
  char               *fingerprint;    /* last seen events fingerprint */
  guint               sweep_id;
  guint               poll_id;
  gboolean            polling;
  gboolean            filling_tokens;
  DrdTokenIndex      *index;          /* NULL until loaded (answers then use the database) */
  guint64             index_epoch;
  gboolean            index_loading;
  gboolean            use_index;
  /* readiness */
  gboolean            probing;
  gint64              probe_started_us;
  gint64              probe_done_us;
  char               *probe_error;      /* NULL: the last probe committed */
  GPtrArray          *ready_waiters;    /* paused /readyz messages (owned) */
  guint               ready_timeout_id;

  /* settings */
  double              rate;
  double              burst;
  double              token_rate;
  double              token_burst;
  guint               request_timeout;
  gsize               max_body;
  guint               max_streams;
  guint               streams_per_token;
  guint               streams_per_client;
  guint64             min_free_space;
  guint               poll_ms;
};

G_DEFINE_FINAL_TYPE (DrdPortal, drd_portal, G_TYPE_OBJECT)

typedef enum {
  ROUTE_NONE,
  ROUTE_HEALTHZ,
  ROUTE_READYZ,
  ROUTE_PAGE,
  ROUTE_EVENTS,
  ROUTE_ME,
  ROUTE_ANSWERS,
  ROUTE_STATIC,
  ROUTE_FAVICON,
} Route;

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */

static void
ensure_resources (void)
{
  static gsize once;

  if (g_once_init_enter (&once))
    {
      drd_portal_res_register_resource ();
      g_once_init_leave (&once, 1);
    }
}

static void
add_security_headers (SoupServerMessage *msg)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

  /* Appended once, when the request starts (nothing sets them later). */
  soup_message_headers_append (h, "Content-Security-Policy", CSP);
  soup_message_headers_append (h, "Referrer-Policy", "no-referrer");
  soup_message_headers_append (h, "X-Content-Type-Options", "nosniff");
  soup_message_headers_append (h, "Cache-Control", "no-store");
  soup_message_headers_append (h, "X-Frame-Options", "DENY");
}

/* libsoup 3.2 has no phrase for 429. */
static void
set_status (SoupServerMessage *msg,
            guint              status)
{
  soup_server_message_set_status (msg, status, status == 429 ? "Too Many Requests" : NULL);
}

static void
set_text (SoupServerMessage *msg,
          guint              status,
          const char        *content_type,
          const char        *body)
{
  set_status (msg, status);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY,
                                    body, strlen (body));
}

static void
take_html (SoupServerMessage *msg,
           guint              status,
           char              *html)
{
  set_status (msg, status);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_TAKE,
                                    html, strlen (html));
}

static void
set_json_error (SoupServerMessage *msg,
                guint              status,
                const char        *code,
                const char        *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  char *text;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  set_status (msg, status);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    text, strlen (text));
}

static gboolean
is_api_path (const char *path)
{
  return g_str_has_prefix (path, "/api/");
}

/* The language of a page request: ?lang= wins, then Accept-Language. */
static DrdPortalLang
request_lang (SoupServerMessage *msg,
              gboolean          *out_explicit)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query = g_uri_get_query (uri);
  DrdPortalLang lang;

  if (out_explicit)
    *out_explicit = FALSE;
  if (query != NULL)
    {
      g_autoptr(GHashTable) q = drd_portal_form_decode (query, strlen (query), NULL);
      const char *l = q ? g_hash_table_lookup (q, "lang") : NULL;

      if (l != NULL && drd_portal_lang_from_string (l, &lang))
        {
          if (out_explicit)
            *out_explicit = TRUE;
          return lang;
        }
    }
  return drd_portal_lang_negotiate (
    soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                  "Accept-Language"));
}

static void
respond_not_found (SoupServerMessage *msg,
                   const char        *path)
{
  if (is_api_path (path))
    set_json_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "Not found.");
  else
    take_html (msg, SOUP_STATUS_NOT_FOUND,
               drd_portal_page_message (request_lang (msg, NULL), DRD_PS_NOT_FOUND_TITLE,
                                        drd_portal_str (request_lang (msg, NULL),
                                                        DRD_PS_NOT_FOUND_TEXT),
                                        NULL));
}

static void
respond_bad_request (SoupServerMessage *msg,
                     const char        *path,
                     const char        *token,
                     const char        *message)
{
  if (is_api_path (path))
    set_json_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", message);
  else
    {
      DrdPortalLang lang = request_lang (msg, NULL);

      take_html (msg, SOUP_STATUS_BAD_REQUEST,
                 drd_portal_page_message (lang, DRD_PS_BAD_REQUEST_TITLE, message, token));
    }
}

/* Splits the path into a route; *out_token points into @path (not
 * validated: the caller checks its form). */
static Route
route_of (const char  *path,
          char       **out_token)
{
  *out_token = NULL;
  if (g_str_equal (path, "/healthz"))
    return ROUTE_HEALTHZ;
  if (g_str_equal (path, "/readyz"))
    return ROUTE_READYZ;
  if (g_str_equal (path, "/api/v1/me"))
    return ROUTE_ME;
  if (g_str_equal (path, "/api/v1/answers"))
    return ROUTE_ANSWERS;
  if (g_str_equal (path, "/static/portal.css") || g_str_equal (path, "/static/portal.js") ||
      g_str_equal (path, "/static/icon.svg"))
    return ROUTE_STATIC;
  if (g_str_equal (path, "/favicon.ico"))
    return ROUTE_FAVICON;
  if (g_str_has_prefix (path, "/r/"))
    {
      const char *rest = path + 3;
      const char *slash = strchr (rest, '/');

      if (slash == NULL)
        {
          *out_token = g_strdup (rest);
          return ROUTE_PAGE;
        }
      if (g_str_equal (slash, "/events"))
        {
          *out_token = g_strndup (rest, slash - rest);
          return ROUTE_EVENTS;
        }
    }
  return ROUTE_NONE;
}

static const char *
allowed_methods (Route route)
{
  switch (route)
    {
    case ROUTE_PAGE:
      return "GET, HEAD, POST";
    case ROUTE_ANSWERS:
      return "POST";
    case ROUTE_NONE:
      return NULL;
    case ROUTE_HEALTHZ:
    case ROUTE_READYZ:
    case ROUTE_EVENTS:
    case ROUTE_ME:
    case ROUTE_STATIC:
    case ROUTE_FAVICON:
    default:
      return "GET, HEAD";
    }
}

static gboolean
method_allowed (Route       route,
                const char *method)
{
  switch (route)
    {
    case ROUTE_NONE:
      return TRUE;
    case ROUTE_PAGE:
      return g_str_equal (method, "GET") || g_str_equal (method, "HEAD") ||
             g_str_equal (method, "POST");
    case ROUTE_ANSWERS:
      return g_str_equal (method, "POST");
    case ROUTE_HEALTHZ:
    case ROUTE_READYZ:
    case ROUTE_EVENTS:
    case ROUTE_ME:
    case ROUTE_STATIC:
    case ROUTE_FAVICON:
    default:
      return g_str_equal (method, "GET") || g_str_equal (method, "HEAD");
    }
}

/* The bearer token of an API request, or NULL. */
static char *
bearer_token (SoupServerMessage *msg)
{
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");
  const char *query;

  if (auth != NULL)
    {
      if (g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
        return NULL;
      return g_strstrip (g_strdup (auth + 7));
    }
  /* design.md also names ?token=… for GET /api/v1/me. */
  query = g_uri_get_query (soup_server_message_get_uri (msg));
  if (query != NULL)
    {
      g_autoptr(GHashTable) q = drd_portal_form_decode (query, strlen (query), NULL);
      const char *t = q ? g_hash_table_lookup (q, "token") : NULL;

      if (t != NULL)
        return g_strdup (t);
    }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Receiving deadline (slow or stalled clients)                       */

/* Per-message bookkeeping, attached to the message itself so that it is
 * dropped whatever way the message ends (libsoup emits no signal for a
 * connection that closes before a request line arrived). */
typedef struct {
  GWeakRef           portal;
  SoupServerMessage *msg;       /* not a reference: the message owns us */
  gint64             start_us;
  char              *client;    /* rate-limit identity, once the headers are in */
  gboolean           https;     /* a trusted proxy says the client used https */
  /* the token index's verdict on the request's link (saves a second
   * HMAC when the answer is submitted) */
  char              *known_token;
  gint64             known_customer;
  guint64            known_epoch;
  /* an open live-update stream */
  gboolean           streaming;
  char              *stream_token;
  GSource           *watch;     /* notices the client closing */
} Tracking;

static Tracking *
tracking_of (SoupServerMessage *msg)
{
  return g_object_get_data (G_OBJECT (msg), "drd-portal-tracking");
}

static void
stream_count_add (DrdPortal  *self,
                  const char *prefix,
                  const char *key,
                  int         delta)
{
  g_autofree char *k = g_strconcat (prefix, key ? key : "", NULL);
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->stream_counts, k));

  n = delta < 0 ? (n > 0 ? n - 1 : 0) : n + 1;
  if (n == 0)
    g_hash_table_remove (self->stream_counts, k);
  else
    g_hash_table_replace (self->stream_counts, g_steal_pointer (&k), GUINT_TO_POINTER (n));
}

static guint
stream_count (DrdPortal  *self,
              const char *prefix,
              const char *key)
{
  g_autofree char *k = g_strconcat (prefix, key ? key : "", NULL);

  return GPOINTER_TO_UINT (g_hash_table_lookup (self->stream_counts, k));
}

/* The stream of @t ended (or is ending): its slots are free again. */
static void
stream_forget (DrdPortal *self,
               Tracking  *t)
{
  if (t == NULL || !t->streaming)
    return;
  t->streaming = FALSE;
  stream_count_add (self, "t:", t->stream_token, -1);
  stream_count_add (self, "a:", t->client, -1);
  if (t->watch != NULL)
    {
      g_source_destroy (t->watch);
      g_clear_pointer (&t->watch, g_source_unref);
    }
  g_ptr_array_remove_fast (self->streams, t->msg);
}

static void
tracking_free (gpointer data)
{
  Tracking *t = data;
  g_autoptr(DrdPortal) self = g_weak_ref_get (&t->portal);

  /* The message is being finalised: forget it everywhere. */
  if (self != NULL)
    {
      g_hash_table_remove (self->receiving, t->msg);
      stream_forget (self, t);
      g_ptr_array_remove_fast (self->streams, t->msg);
    }
  if (t->watch != NULL)
    {
      g_source_destroy (t->watch);
      g_source_unref (t->watch);
    }
  g_weak_ref_clear (&t->portal);
  g_free (t->client);
  g_free (t->known_token);
  g_free (t->stream_token);
  g_free (t);
}

static void
forget_receiving (DrdPortal         *self,
                  SoupServerMessage *msg)
{
  g_hash_table_remove (self->receiving, msg);
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  DrdPortal *self = user_data;
  Tracking *t = g_new0 (Tracking, 1);
  GSocket *sock = soup_server_message_get_socket (msg);

  /* The connection is busy again. */
  if (sock != NULL)
    g_hash_table_remove (self->idle, sock);
  g_weak_ref_init (&t->portal, self);
  t->msg = msg;
  t->start_us = g_get_monotonic_time ();
  g_object_set_data_full (G_OBJECT (msg), "drd-portal-tracking", t, tracking_free);
  g_hash_table_replace (self->receiving, msg, t);
  add_security_headers (msg);
}

static void
request_read_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 gpointer           user_data)
{
  forget_receiving (user_data, msg);
}

static void
request_done_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 gpointer           user_data)
{
  DrdPortal *self = user_data;
  GSocket *sock = soup_server_message_get_socket (msg);

  forget_receiving (self, msg);
  stream_forget (self, tracking_of (msg));
  g_ptr_array_remove_fast (self->streams, msg);
  /* libsoup 3.2 starts the next request's message only when its first
   * byte arrives, so an idle kept-alive connection has no message the
   * deadline could catch: remember the connection itself. */
  if (sock != NULL && !g_socket_is_closed (sock))
    {
      gint64 *since = g_new (gint64, 1);

      *since = g_get_monotonic_time ();
      g_hash_table_replace (self->idle, g_object_ref (sock), since);
    }
}

/* Once a second: a client that has not finished sending its request
 * within the deadline loses its connection (shutdown() makes libsoup see
 * end-of-stream and drop it cleanly). Other clients are never blocked by
 * a slow one — libsoup reads asynchronously — this only bounds how long
 * a stalled one holds a socket. */
static gboolean
sweep_cb (gpointer user_data)
{
  DrdPortal *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 limit = (gint64) self->request_timeout * G_USEC_PER_SEC;
  GHashTableIter iter;
  gpointer key, value;
  g_autoptr(GPtrArray) expired = g_ptr_array_new ();

  g_hash_table_iter_init (&iter, self->receiving);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (now - ((Tracking *) value)->start_us > limit)
      {
        g_ptr_array_add (expired, key);
        g_hash_table_iter_remove (&iter);
      }

  for (guint i = 0; i < expired->len; i++)
    {
      GSocket *sock = soup_server_message_get_socket (expired->pdata[i]);

      if (sock != NULL)
        g_socket_shutdown (sock, TRUE, TRUE, NULL);
    }

  /* Idle kept-alive connections: closed ones are forgotten, those idle
   * past the deadline are shut down (libsoup then drops them). */
  g_hash_table_iter_init (&iter, self->idle);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (g_socket_is_closed (key))
        g_hash_table_iter_remove (&iter);
      else if (now - *(gint64 *) value > limit)
        {
          g_socket_shutdown (key, TRUE, TRUE, NULL);
          g_hash_table_iter_remove (&iter);
        }
    }

  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* Early checks: before the body is read                              */

static void
chunk_limit_cb (SoupServerMessage *msg,
                GBytes            *chunk,
                gpointer           user_data)
{
  DrdPortal *self = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  if ((gsize) body->length > self->max_body)
    {
      GSocket *sock = soup_server_message_get_socket (msg);

      /* A chunked body that grows past the limit: answering is not
       * possible mid-body, so the connection is dropped. */
      g_signal_handlers_disconnect_by_func (msg, chunk_limit_cb, user_data);
      if (sock != NULL)
        g_socket_shutdown (sock, TRUE, TRUE, NULL);
    }
}

/* RFC 9112 §6.3: a request whose framing is ambiguous gets 400 and the
 * connection is closed before any of its body is read. libsoup 3.2 would
 * read the body it believes in first (and keep the connection open for
 * Transfer-Encoding plus Content-Length), so the answer is written to
 * the socket here, directly — nothing has been written on it for this
 * request yet — and the socket is shut down; libsoup then sees the end of
 * the stream and drops the connection. */
static void
refuse_framing (SoupServerMessage *msg,
                const char        *why)
{
  GSocket *sock = soup_server_message_get_socket (msg);
  g_autofree char *body = g_strdup_printf ("Bad request: %s\n", why);
  g_autofree char *raw = g_strdup_printf ("HTTP/1.1 400 Bad Request\r\n"
                                          "Content-Type: text/plain; charset=utf-8\r\n"
                                          "Content-Length: %zu\r\n"
                                          "Connection: close\r\n"
                                          "Content-Security-Policy: " CSP "\r\n"
                                          "Referrer-Policy: no-referrer\r\n"
                                          "X-Content-Type-Options: nosniff\r\n"
                                          "Cache-Control: no-store\r\n"
                                          "X-Frame-Options: DENY\r\n"
                                          "\r\n%s",
                                          strlen (body), body);

  /* A status keeps the handlers from running. */
  set_text (msg, SOUP_STATUS_BAD_REQUEST, "text/plain; charset=utf-8", body);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Connection", "close");
  if (sock == NULL)
    return;
  if (g_socket_send (sock, raw, strlen (raw), NULL, NULL) < 0)
    g_debug ("portal: could not send 400 for bad framing");
  g_socket_shutdown (sock, TRUE, TRUE, NULL);
}

/* Who sent the request (see drd-portal-proxy.h), once per message. */
static void
identify_client (DrdPortal         *self,
                 SoupServerMessage *msg,
                 Tracking          *t)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  const char *forwarded = NULL, *xff = NULL, *xfp = NULL;
  g_autoptr(GInetAddress) client = NULL;

  if (t->client != NULL)
    return;
  if (remote == NULL || !G_IS_INET_SOCKET_ADDRESS (remote))
    {
      t->client = g_strdup ("");
      return;
    }
  if (drd_trusted_proxies_get_size (self->trusted) > 0)
    {
      forwarded = soup_message_headers_get_list (req, "Forwarded");
      xff = soup_message_headers_get_list (req, "X-Forwarded-For");
      xfp = soup_message_headers_get_list (req, "X-Forwarded-Proto");
    }
  client = drd_trusted_proxies_resolve (self->trusted,
                                        g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)),
                                        forwarded, xff, xfp, &t->https);
  t->client = drd_client_key (client);
}

/* A link the token index (or an earlier answer from the store) vouches
 * for. Unknown links are what a guesser sends. */
static gboolean
token_is_known (DrdPortal  *self,
                const char *token,
                Tracking   *t)
{
  gint64 customer_id;

  if (token == NULL || !drd_link_token_is_well_formed (token))
    return FALSE;
  if (self->use_index && self->secret != NULL &&
      drd_token_index_lookup (self->index, self->secret, token, &customer_id))
    {
      if (t != NULL)
        {
          g_free (t->known_token);
          t->known_token = g_strdup (token);
          t->known_customer = customer_id;
          t->known_epoch = self->index_epoch;
        }
      return TRUE;
    }
  return g_hash_table_contains (self->verified, token);
}

static void
remember_token (DrdPortal  *self,
                const char *token)
{
  if (token == NULL || g_hash_table_contains (self->verified, token))
    return;
  if (g_hash_table_size (self->verified) >= MAX_VERIFIED_TOKENS)
    g_hash_table_remove_all (self->verified);
  g_hash_table_add (self->verified, g_strdup (token));
}

/* Requests with a valid link count against that link, all others against
 * the client's address; static files and /healthz are free. */
static gboolean
rate_allows (DrdPortal         *self,
             SoupServerMessage *msg,
             Route              route,
             const char        *path_token,
             Tracking          *t)
{
  const char *client = t != NULL ? t->client : "";
  gint64 now = g_get_monotonic_time ();
  g_autofree char *bearer = NULL;
  const char *token = NULL;

  switch (route)
    {
    case ROUTE_HEALTHZ:
    case ROUTE_STATIC:
    case ROUTE_FAVICON:
      return TRUE;
    case ROUTE_PAGE:
    case ROUTE_EVENTS:
      token = path_token;
      break;
    case ROUTE_ME:
    case ROUTE_ANSWERS:
      token = bearer = bearer_token (msg);
      break;
    case ROUTE_READYZ:
    case ROUTE_NONE:
    default:
      break;
    }
  if (token_is_known (self, token, t))
    return drd_portal_rate_limit_take (self->token_rate_limit, token, now);
  return drd_portal_rate_limit_take (self->rate_limit, client, now);
}

static void
early_handler (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  DrdPortal *self = user_data;
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  g_autofree char *token = NULL;
  Route route = route_of (path, &token);
  Tracking *t = tracking_of (msg);
  const char *why = NULL;
  goffset length;

  if (!drd_portal_check_framing (req, &why))
    {
      refuse_framing (msg, why);
      return;
    }
  if (t != NULL)
    {
      identify_client (self, msg, t);
      if (t->https)
        soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                      "Strict-Transport-Security", HSTS);
    }

  if (!rate_allows (self, msg, route, token, t))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", "1");
      if (is_api_path (path))
        set_json_error (msg, 429, "rate_limited",
                        "Too many requests; try again in a moment.");
      else
        {
          DrdPortalLang lang = request_lang (msg, NULL);

          take_html (msg, 429,
                     drd_portal_page_message (lang, DRD_PS_TOO_MANY_TITLE,
                                              drd_portal_str (lang, DRD_PS_TOO_MANY_TEXT),
                                              NULL));
        }
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Connection", "close");
      return;
    }

  if (route == ROUTE_NONE)
    {
      respond_not_found (msg, path);
      return;
    }

  if (!method_allowed (route, method))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", allowed_methods (route));
      if (is_api_path (path))
        set_json_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                        "Method not allowed.");
      else
        set_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
                  "Method not allowed.\n");
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Connection", "close");
      return;
    }

  length = soup_message_headers_get_content_length (req);
  if (soup_message_headers_get_encoding (req) == SOUP_ENCODING_CONTENT_LENGTH &&
      (guint64) length > self->max_body)
    {
      g_autofree char *text = g_strdup_printf ("The request body is larger than %" G_GSIZE_FORMAT
                                               " bytes.", self->max_body);
      if (is_api_path (path))
        set_json_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large", text);
      else
        set_text (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "text/plain; charset=utf-8", text);
      /* The unread body must not be parsed as a next request. */
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Connection", "close");
      /* libsoup 3.2 still reads the announced body before it answers:
       * drop it chunk by chunk instead of holding it (a client announcing
       * 1 GB made serve allocate 1 GB); the request timeout bounds how
       * long a slow sender is read. */
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
      return;
    }
  if (soup_message_headers_get_encoding (req) == SOUP_ENCODING_CHUNKED)
    g_signal_connect (msg, "got-chunk", G_CALLBACK (chunk_limit_cb), self);
}

/* ------------------------------------------------------------------ */
/* Static files, health                                               */

static void
serve_static (SoupServerMessage *msg,
              const char        *path)
{
  g_autofree char *rpath = g_strconcat ("/kr/drdesk/portal/", path + strlen ("/static/"), NULL);
  g_autoptr(GBytes) bytes = g_resources_lookup_data (rpath, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  const char *type = g_str_has_suffix (path, ".css") ? "text/css; charset=utf-8"
                     : g_str_has_suffix (path, ".svg") ? "image/svg+xml"
                     : "text/javascript; charset=utf-8";
  gsize len;
  const char *data;

  if (bytes == NULL)
    {
      respond_not_found (msg, path);
      return;
    }
  data = g_bytes_get_data (bytes, &len);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, data, len);
}

/* ------------------------------------------------------------------ */
/* Paused requests waiting for the store                              */

typedef struct {
  DrdPortal         *self;
  SoupServerMessage *msg;
  char              *token;
  char              *path;
  DrdPortalLang      lang;
  gboolean           lang_explicit;
  gint64             event_id;
  Route              route;
} Pending;

static Pending *
pending_new (DrdPortal         *self,
             SoupServerMessage *msg,
             const char        *token,
             const char        *path,
             Route              route)
{
  Pending *p = g_new0 (Pending, 1);

  p->self = g_object_ref (self);
  p->msg = g_object_ref (msg);
  p->token = g_strdup (token);
  p->path = g_strdup (path);
  p->route = route;
  if (!is_api_path (path))
    p->lang = request_lang (msg, &p->lang_explicit);
  soup_server_message_pause (msg);
  return p;
}

static void
pending_finish (Pending *p)
{
  soup_server_message_unpause (p->msg);
  g_object_unref (p->msg);
  g_object_unref (p->self);
  g_free (p->token);
  g_free (p->path);
  g_free (p);
}

/* Errors of the store turned into answers (no detail leaks to the client). */
static void
respond_store_error (Pending      *p,
                     const GError *error)
{
  gboolean api = is_api_path (p->path);

  if (g_error_matches (error, DRD_STORE_ERROR, DRD_STORE_ERROR_NOT_FOUND))
    respond_not_found (p->msg, p->path);
  else if (g_error_matches (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CLOSED))
    {
      if (api)
        set_json_error (p->msg, SOUP_STATUS_CONFLICT, "answers_closed",
                        "Answers for this event are closed.");
      else
        take_html (p->msg, SOUP_STATUS_CONFLICT,
                   drd_portal_page_message (p->lang, DRD_PS_CLOSED_TITLE,
                                            drd_portal_str (p->lang, DRD_PS_CLOSED_TEXT),
                                            p->token));
    }
  else if (g_error_matches (error, DRD_STORE_ERROR, DRD_STORE_ERROR_INVALID))
    respond_bad_request (p->msg, p->path, p->token, error->message);
  else
    {
      g_message ("portal: request failed: %s", error->message);
      soup_message_headers_replace (soup_server_message_get_response_headers (p->msg),
                                    "Retry-After", "2");
      if (api)
        set_json_error (p->msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                        "The answer could not be stored; try again.");
      else
        take_html (p->msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                   drd_portal_page_message (p->lang, DRD_PS_ERROR_TITLE,
                                            drd_portal_str (p->lang, DRD_PS_ERROR_TEXT),
                                            p->token));
    }
}

/* ------------------------------------------------------------------ */
/* Page, API reads                                                    */

static void
view_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Pending *p = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdPortalView) view = drd_store_portal_view_finish (DRD_STORE (source), result,
                                                                &error);
  gint64 now = drd_store_now ();

  if (view != NULL)
    remember_token (p->self, p->token);
  if (view == NULL)
    respond_store_error (p, error);
  else if (p->route == ROUTE_ME)
    {
      char *json = drd_portal_view_to_json (view);

      soup_server_message_set_status (p->msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (p->msg, "application/json", SOUP_MEMORY_TAKE,
                                        json, strlen (json));
    }
  else
    {
      GUri *uri = soup_server_message_get_uri (p->msg);
      const char *query = g_uri_get_query (uri);
      gint64 saved = 0;

      if (query != NULL)
        {
          g_autoptr(GHashTable) q = drd_portal_form_decode (query, strlen (query), NULL);

          if (q == NULL || !drd_portal_parse_event_id (g_hash_table_lookup (q, "saved"), &saved))
            saved = 0;
        }
      take_html (p->msg, SOUP_STATUS_OK,
                 drd_portal_page_render (view, p->lang, p->lang_explicit, p->token, saved, now));
    }
  pending_finish (p);
}

/* ------------------------------------------------------------------ */
/* Answers                                                            */

static void
answer_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Pending *p = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdPortalEvent) event = drd_store_portal_answer_finish (DRD_STORE (source), result,
                                                                    &error);

  if (event != NULL)
    remember_token (p->self, p->token);
  if (event == NULL)
    respond_store_error (p, error);
  else if (p->route == ROUTE_ANSWERS)
    {
      char *json = drd_portal_answer_to_json (event);

      soup_server_message_set_status (p->msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (p->msg, "application/json", SOUP_MEMORY_TAKE,
                                        json, strlen (json));
    }
  else
    {
      g_autofree char *location = g_strdup_printf ("/r/%s?saved=%" G_GINT64_FORMAT "%s%s",
                                                   p->token, event->event_id,
                                                   p->lang_explicit ? "&lang=" : "",
                                                   p->lang_explicit
                                                   ? drd_portal_lang_to_string (p->lang) : "");

      /* Relative: soup_server_message_set_redirect() would make it
       * absolute with the scheme libsoup saw — http behind a TLS proxy,
       * and the link would then travel in clear. */
      soup_server_message_set_status (p->msg, SOUP_STATUS_SEE_OTHER, NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (p->msg),
                                    "Location", location);
    }
  pending_finish (p);
}

/* Answers go to the store's group-committed writer; a token the
 * in-memory index knows skips the reader round trip for the lookup. */
static void
submit_answer (DrdPortal  *self,
               Pending    *p,
               DrdAnswer   answer,
               DrdChannel  channel)
{
  gint64 customer_id = 0;
  Tracking *t = tracking_of (p->msg);

  /* The early handler looked this link up in the same index already. */
  if (self->use_index && self->index != NULL && t != NULL && t->known_token != NULL &&
      t->known_epoch == self->index_epoch && g_str_equal (t->known_token, p->token))
    drd_store_portal_answer_customer_async (self->store, t->known_customer, p->event_id, answer,
                                            channel, drd_store_now (), self->cancellable,
                                            answer_done_cb, p);
  else if (self->use_index &&
           drd_token_index_lookup (self->index, self->secret, p->token, &customer_id))
    drd_store_portal_answer_customer_async (self->store, customer_id, p->event_id, answer, channel,
                                            drd_store_now (), self->cancellable, answer_done_cb, p);
  else
    drd_store_portal_answer_async (self->store, p->token, p->event_id, answer, channel,
                                   drd_store_now (), self->cancellable, answer_done_cb, p);
}

static gboolean
content_type_is (SoupServerMessage *msg,
                 const char        *wanted)
{
  const char *ct = soup_message_headers_get_content_type (
    soup_server_message_get_request_headers (msg), NULL);

  return ct != NULL && g_ascii_strcasecmp (ct, wanted) == 0;
}

static void
handle_form_post (DrdPortal         *self,
                  SoupServerMessage *msg,
                  const char        *path,
                  const char        *token)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) form = NULL;
  gint64 event_id;
  DrdAnswer answer;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  Pending *p;

  if (!content_type_is (msg, "application/x-www-form-urlencoded"))
    {
      respond_bad_request (msg, path, token,
                           "The form must be sent as application/x-www-form-urlencoded.");
      return;
    }
  form = drd_portal_form_decode (data, len, &error);
  if (form == NULL)
    {
      respond_bad_request (msg, path, token, error->message);
      return;
    }
  if (!drd_portal_parse_event_id (g_hash_table_lookup (form, "event_id"), &event_id))
    {
      respond_bad_request (msg, path, token, "The field event_id must be a positive whole number.");
      return;
    }
  if (!drd_portal_parse_answer (g_hash_table_lookup (form, "answer"), &answer))
    {
      respond_bad_request (msg, path, token, "The field answer must be “accept” or “deny”.");
      return;
    }

  p = pending_new (self, msg, token, path, ROUTE_PAGE);
  p->event_id = event_id;
  submit_answer (self, p, answer, DRD_CHANNEL_PORTAL);
}

static void
handle_api_answer (DrdPortal         *self,
                   SoupServerMessage *msg,
                   const char        *path,
                   const char        *token)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *obj;
  JsonNode *id_node, *answer_node;
  DrdAnswer answer;
  gint64 event_id;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  const char *why_not = NULL;
  Pending *p;

  if (!content_type_is (msg, "application/json"))
    {
      set_json_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                      "The body must be application/json.");
      return;
    }
  if (!g_utf8_validate_len (data, len, NULL))
    {
      set_json_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", "The body is not valid UTF-8.");
      return;
    }
  /* json-glib leaks on a second top-level value and on unpaired
   * surrogate escapes (a remote memory exhaustion): refuse those first. */
  if (!drd_json_is_single_object (data, len, &why_not))
    {
      set_json_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", why_not);
      return;
    }
  /* An empty body parses fine with no root at all. */
  if (!json_parser_load_from_data (parser, data, len, &error) ||
      json_parser_get_root (parser) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      set_json_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                      "The body must be a JSON object {\"event_id\": N, \"answer\": \"accept\"|\"deny\"}.");
      return;
    }
  obj = json_node_get_object (json_parser_get_root (parser));
  id_node = json_object_get_member (obj, "event_id");
  answer_node = json_object_get_member (obj, "answer");
  if (id_node == NULL || !JSON_NODE_HOLDS_VALUE (id_node) ||
      json_node_get_value_type (id_node) != G_TYPE_INT64 ||
      (event_id = json_node_get_int (id_node)) <= 0)
    {
      set_json_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                      "event_id must be a positive integer.");
      return;
    }
  if (answer_node == NULL || !JSON_NODE_HOLDS_VALUE (answer_node) ||
      json_node_get_value_type (answer_node) != G_TYPE_STRING ||
      !drd_portal_parse_answer (json_node_get_string (answer_node), &answer))
    {
      set_json_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                      "answer must be \"accept\" or \"deny\".");
      return;
    }

  p = pending_new (self, msg, token, path, ROUTE_ANSWERS);
  p->event_id = event_id;
  submit_answer (self, p, answer, DRD_CHANNEL_API);
}

/* ------------------------------------------------------------------ */
/* Event streams                                                      */

static void
stream_send (SoupServerMessage *msg,
             const char        *text)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  soup_message_body_append (body, SOUP_MEMORY_COPY, text, strlen (text));
  soup_server_message_unpause (msg);
}

static void
broadcast (DrdPortal  *self,
           const char *text)
{
  for (guint i = 0; i < self->streams->len; i++)
    stream_send (self->streams->pdata[i], text);
}

/* A live-update client sends nothing after its request: its socket
 * becoming readable means it closed (or misbehaves). Either way the
 * stream ends now instead of at the next ping's failed write. */
static gboolean
stream_socket_cb (GSocket      *sock,
                  GIOCondition  condition,
                  gpointer      user_data)
{
  Tracking *t = user_data;
  g_autoptr(DrdPortal) self = g_weak_ref_get (&t->portal);
  g_autoptr(SoupServerMessage) msg = g_object_ref (t->msg);
  GSource *watch = g_steal_pointer (&t->watch);

  g_socket_shutdown (sock, TRUE, TRUE, NULL);
  if (self != NULL && t->streaming)
    {
      stream_forget (self, t);
      soup_message_body_complete (soup_server_message_get_response_body (msg));
      soup_server_message_unpause (msg);
    }
  g_source_unref (watch);
  return G_SOURCE_REMOVE;
}

static void
stream_view_done_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Pending *p = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdPortalView) view = drd_store_portal_view_finish (DRD_STORE (source), result,
                                                                &error);
  Tracking *t;
  GSocket *sock;

  if (view == NULL)
    {
      respond_store_error (p, error);
      pending_finish (p);
      return;
    }
  remember_token (p->self, p->token);
  t = tracking_of (p->msg);
  if (p->self->streams->len >= p->self->max_streams ||
      t == NULL ||
      (p->self->streams_per_token > 0 &&
       stream_count (p->self, "t:", p->token) >= p->self->streams_per_token) ||
      (p->self->streams_per_client > 0 &&
       stream_count (p->self, "a:", t->client) >= p->self->streams_per_client))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (p->msg),
                                    "Retry-After", "30");
      set_text (p->msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
                "Too many live pages open.\n");
      pending_finish (p);
      return;
    }

  soup_server_message_set_status (p->msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_encoding (soup_server_message_get_response_headers (p->msg),
                                     SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (soup_server_message_get_response_headers (p->msg),
                                         "text/event-stream", NULL);
  g_ptr_array_add (p->self->streams, p->msg);
  t->streaming = TRUE;
  g_free (t->stream_token);
  t->stream_token = g_strdup (p->token);
  stream_count_add (p->self, "t:", t->stream_token, +1);
  stream_count_add (p->self, "a:", t->client, +1);
  sock = soup_server_message_get_socket (p->msg);
  if (sock != NULL)
    {
      t->watch = g_socket_create_source (sock, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_callback (t->watch, (GSourceFunc) (void (*) (void)) stream_socket_cb, t, NULL);
      g_source_set_static_name (t->watch, "[drdesk] portal stream watch");
      g_source_attach (t->watch, g_main_context_get_thread_default ());
    }
  /* libsoup pauses a chunked response by itself whenever it has written
   * everything appended so far; stream_send() resumes it. */
  soup_message_body_append (soup_server_message_get_response_body (p->msg), SOUP_MEMORY_STATIC,
                            "retry: 5000\n\n", strlen ("retry: 5000\n\n"));
  pending_finish (p);
}

static void
fingerprint_thread (GTask        *task,
                    gpointer      source,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  DrdStore *store = source;
  gint64 *now = task_data;
  GError *error = NULL;
  char *fp = drd_store_portal_events_fingerprint (store, *now, &error);

  if (fp == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, fp, g_free);
}

static void
fingerprint_done_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  DrdPortal *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *fp = g_task_propagate_pointer (G_TASK (result), &error);

  self->polling = FALSE;
  if (fp != NULL)
    {
      if (self->fingerprint != NULL && !g_str_equal (fp, self->fingerprint))
        broadcast (self, "event: change\ndata: events\n\n");
      g_free (self->fingerprint);
      self->fingerprint = g_steal_pointer (&fp);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("portal: cannot check events: %s", error->message);
  g_object_unref (self);
}

static void
tokens_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  DrdPortal *self = user_data;
  g_autoptr(GError) error = NULL;

  self->filling_tokens = FALSE;
  if (!drd_store_portal_ensure_tokens_finish (DRD_STORE (source), result, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("portal: cannot fill link tokens: %s", error->message);
  g_object_unref (self);
}

typedef struct {
  guint64        epoch;       /* in: the installed index's epoch; out: the new one */
  gboolean       have_index;
  DrdTokenIndex *index;       /* out: a fresh index, or NULL when still current */
} IndexCheck;

static void
index_check_free (gpointer data)
{
  IndexCheck *c = data;

  drd_token_index_free (c->index);
  g_free (c);
}

static void
index_thread (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  IndexCheck *c = task_data;
  GError *error = NULL;
  guint64 epoch = 0;

  if (!drd_store_portal_get_token_epoch (source, &epoch, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!c->have_index || epoch != c->epoch)
    {
      c->index = drd_store_portal_load_token_index (source, &c->epoch, &error);
      if (c->index == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
    }
  g_task_return_boolean (task, TRUE);
}

static void
index_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  DrdPortal *self = user_data;
  IndexCheck *c = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  self->index_loading = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("portal: cannot load the token index: %s", error->message);
    }
  else if (c->index != NULL)
    {
      drd_token_index_free (self->index);
      self->index = g_steal_pointer (&c->index);
      self->index_epoch = c->epoch;
    }
  g_object_unref (self);
}

/* Every poll interval: look for event changes (for live pages) and give
 * customers imported meanwhile their link hashes (cheap when none is
 * missing: the UNIQUE index finds NULL hashes directly). */
static gboolean
poll_cb (gpointer user_data)
{
  DrdPortal *self = user_data;
  static guint tick;

  if (!self->polling && (self->streams->len > 0 || self->fingerprint == NULL))
    {
      g_autoptr(GTask) task = g_task_new (self->store, self->cancellable,
                                          fingerprint_done_cb, g_object_ref (self));
      gint64 *now = g_new (gint64, 1);

      *now = drd_store_now ();
      self->polling = TRUE;
      g_task_set_task_data (task, now, g_free);
      g_task_run_in_thread (task, fingerprint_thread);
    }
  if (self->streams->len > 0 && ++tick % MAX (1, STREAM_PING_SECONDS * 1000 / self->poll_ms) == 0)
    broadcast (self, ": ping\n\n");
  if (self->use_index && self->secret != NULL && !self->index_loading)
    {
      g_autoptr(GTask) task = g_task_new (self->store, self->cancellable, index_done_cb,
                                          g_object_ref (self));
      IndexCheck *c = g_new0 (IndexCheck, 1);

      c->epoch = self->index_epoch;
      c->have_index = self->index != NULL;
      self->index_loading = TRUE;
      g_task_set_task_data (task, c, index_check_free);
      g_task_run_in_thread (task, index_thread);
    }
  if (self->secret != NULL && !self->filling_tokens)
    {
      self->filling_tokens = TRUE;
      drd_store_portal_ensure_tokens_async (self->store, self->secret, self->cancellable,
                                            tokens_done_cb, g_object_ref (self));
    }
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* Readiness                                                          */

static void
respond_ready (SoupServerMessage *msg,
               const char        *problem)
{
  if (problem == NULL)
    {
      set_text (msg, SOUP_STATUS_OK, "text/plain; charset=utf-8", "ready");
      return;
    }
  {
    g_autofree char *text = g_strdup_printf ("not ready: %s", problem);

    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Retry-After", "5");
    set_text (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", text);
  }
}

/* Free space on the database's file system (statvfs: no I/O to speak of). */
static char *
disk_problem (DrdPortal *self)
{
  g_autofree char *dir = g_path_get_dirname (drd_store_get_path (self->store));
  struct statvfs st;
  guint64 available;

  if (statvfs (dir, &st) != 0)
    return g_strdup_printf ("cannot check the database's disk: %s", g_strerror (errno));
  available = (guint64) st.f_bavail * st.f_frsize;
  if (available < self->min_free_space)
    return g_strdup_printf ("disk full: %" G_GUINT64_FORMAT " KiB free on the database's file "
                            "system, %" G_GUINT64_FORMAT " KiB needed", available / 1024,
                            self->min_free_space / 1024);
  return NULL;
}

static char *
stuck_problem (DrdPortal *self)
{
  return g_strdup_printf ("writer queue stuck: a test write has waited %.1f s to be committed "
                          "(is another process holding the database's write lock?)",
                          (g_get_monotonic_time () - self->probe_started_us) / 1e6);
}

static void
answer_ready_waiters (DrdPortal  *self,
                      const char *problem)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->ready_waiters);

  self->ready_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_clear_handle_id (&self->ready_timeout_id, g_source_remove);
  for (guint i = 0; i < waiters->len; i++)
    {
      respond_ready (waiters->pdata[i], problem);
      soup_server_message_unpause (waiters->pdata[i]);
    }
}

static gboolean
ready_timeout_cb (gpointer user_data)
{
  DrdPortal *self = user_data;
  g_autofree char *problem = stuck_problem (self);

  self->ready_timeout_id = 0;
  answer_ready_waiters (self, problem);
  return G_SOURCE_REMOVE;
}

static void
probe_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  DrdPortal *self = user_data;
  g_autoptr(GError) error = NULL;

  self->probing = FALSE;
  self->probe_done_us = g_get_monotonic_time ();
  g_clear_pointer (&self->probe_error, g_free);
  if (!drd_store_portal_probe_write_finish (DRD_STORE (source), result, &error))
    self->probe_error = g_strdup_printf ("answers cannot be stored: %s", error->message);
  answer_ready_waiters (self, self->probe_error);
  g_object_unref (self);
}

/* 200 "ready" once a write queued now is committed (within
 * READY_WAIT_MS), else 503 with the reason. Concurrent checks share one
 * probe; a result is reused for READY_FRESH_US. */
static void
handle_readyz (DrdPortal         *self,
               SoupServerMessage *msg)
{
  g_autofree char *problem = disk_problem (self);
  gint64 now = g_get_monotonic_time ();

  if (problem != NULL)
    {
      respond_ready (msg, problem);
      return;
    }
  if (self->probing && now - self->probe_started_us >= READY_WAIT_MS * 1000)
    {
      problem = stuck_problem (self);
      respond_ready (msg, problem);
      return;
    }
  if (!self->probing && self->probe_done_us != 0 && now - self->probe_done_us < READY_FRESH_US)
    {
      respond_ready (msg, self->probe_error);
      return;
    }
  if (self->ready_waiters->len >= READY_MAX_WAITERS)
    {
      respond_ready (msg, "too many readiness checks at once");
      return;
    }
  if (!self->probing)
    {
      self->probing = TRUE;
      self->probe_started_us = now;
      drd_store_portal_probe_write_async (self->store, self->cancellable, probe_done_cb,
                                          g_object_ref (self));
      g_clear_handle_id (&self->ready_timeout_id, g_source_remove);
      self->ready_timeout_id = g_timeout_add (READY_WAIT_MS, ready_timeout_cb, self);
    }
  else if (self->ready_timeout_id == 0)
    self->ready_timeout_id = g_timeout_add (MAX (1, READY_WAIT_MS - (now - self->probe_started_us) / 1000),
                                            ready_timeout_cb, self);
  soup_server_message_pause (msg);
  g_ptr_array_add (self->ready_waiters, g_object_ref (msg));
}

/* ------------------------------------------------------------------ */
/* The handler                                                        */

static void
handler (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  DrdPortal *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_autofree char *token = NULL;
  g_autofree char *bearer = NULL;
  Route route = route_of (path, &token);
  Pending *p;

  switch (route)
    {
    case ROUTE_HEALTHZ:
      set_text (msg, SOUP_STATUS_OK, "text/plain; charset=utf-8", "ok");
      return;

    case ROUTE_READYZ:
      handle_readyz (self, msg);
      return;

    case ROUTE_STATIC:
      serve_static (msg, path);
      return;

    case ROUTE_FAVICON:
      serve_static (msg, "/static/icon.svg");
      return;

    case ROUTE_PAGE:
    case ROUTE_EVENTS:
      /* Malformed tokens never reach the database. */
      if (!drd_link_token_is_well_formed (token))
        {
          respond_not_found (msg, path);
          return;
        }
      if (route == ROUTE_PAGE && g_str_equal (method, "POST"))
        {
          handle_form_post (self, msg, path, token);
          return;
        }
      p = pending_new (self, msg, token, path, route);
      drd_store_portal_view_async (self->store, token, drd_store_now (), self->cancellable,
                                   route == ROUTE_PAGE ? view_done_cb : stream_view_done_cb, p);
      return;

    case ROUTE_ME:
    case ROUTE_ANSWERS:
      bearer = bearer_token (msg);
      if (bearer == NULL)
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "WWW-Authenticate", "Bearer");
          set_json_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                          "Send the answer-link token as Authorization: Bearer TOKEN.");
          return;
        }
      if (!drd_link_token_is_well_formed (bearer))
        {
          respond_not_found (msg, path);
          return;
        }
      if (route == ROUTE_ANSWERS)
        {
          handle_api_answer (self, msg, path, bearer);
          return;
        }
      p = pending_new (self, msg, bearer, path, ROUTE_ME);
      drd_store_portal_view_async (self->store, bearer, drd_store_now (), self->cancellable,
                                   view_done_cb, p);
      return;

    case ROUTE_NONE:
    default:
      respond_not_found (msg, path);
      return;
    }
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */

static void
drd_portal_dispose (GObject *object)
{
  DrdPortal *self = DRD_PORTAL (object);

  drd_portal_stop (self);
  g_clear_object (&self->server);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (drd_portal_parent_class)->dispose (object);
}

static void
drd_portal_finalize (GObject *object)
{
  DrdPortal *self = DRD_PORTAL (object);

  g_clear_pointer (&self->secret, g_bytes_unref);
  g_clear_pointer (&self->index, drd_token_index_free);
  g_clear_pointer (&self->rate_limit, drd_portal_rate_limit_free);
  g_clear_pointer (&self->token_rate_limit, drd_portal_rate_limit_free);
  g_clear_pointer (&self->trusted, drd_trusted_proxies_free);
  g_clear_pointer (&self->verified, g_hash_table_unref);
  g_clear_pointer (&self->stream_counts, g_hash_table_unref);
  g_clear_pointer (&self->ready_waiters, g_ptr_array_unref);
  g_clear_pointer (&self->probe_error, g_free);
  g_clear_pointer (&self->receiving, g_hash_table_unref);
  g_clear_pointer (&self->idle, g_hash_table_unref);
  g_clear_pointer (&self->streams, g_ptr_array_unref);
  g_clear_object (&self->cancellable);
  g_free (self->fingerprint);
  G_OBJECT_CLASS (drd_portal_parent_class)->finalize (object);
}

static void
drd_portal_class_init (DrdPortalClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = drd_portal_dispose;
  object_class->finalize = drd_portal_finalize;
}

static void
drd_portal_init (DrdPortal *self)
{
  ensure_resources ();
  self->rate = DEFAULT_RATE;
  self->burst = DEFAULT_BURST;
  self->request_timeout = DEFAULT_REQUEST_TIMEOUT;
  self->max_body = DRD_PORTAL_MAX_BODY;
  self->max_streams = DEFAULT_MAX_STREAMS;
  self->poll_ms = DEFAULT_POLL_MS;
  self->use_index = TRUE;
  self->token_rate = DEFAULT_TOKEN_RATE;
  self->token_burst = DEFAULT_TOKEN_BURST;
  self->streams_per_token = DEFAULT_STREAMS_PER_TOKEN;
  self->streams_per_client = DEFAULT_STREAMS_PER_CLIENT;
  self->min_free_space = DEFAULT_MIN_FREE_SPACE;
  self->rate_limit = drd_portal_rate_limit_new (self->rate, self->burst, 0);
  self->token_rate_limit = drd_portal_rate_limit_new (self->token_rate, self->token_burst, 0);
  self->verified = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->stream_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->ready_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->receiving = g_hash_table_new (NULL, NULL);
  self->idle = g_hash_table_new_full (NULL, NULL, g_object_unref, g_free);
  self->streams = g_ptr_array_new ();
  self->cancellable = g_cancellable_new ();
}

DrdPortal *
drd_portal_new (DrdStore *store,
                GBytes   *secret)
{
  DrdPortal *self;

  g_return_val_if_fail (DRD_IS_STORE (store), NULL);

  self = g_object_new (DRD_TYPE_PORTAL, NULL);
  self->store = g_object_ref (store);
  self->secret = secret ? g_bytes_ref (secret) : NULL;
  return self;
}

void
drd_portal_set_rate_limit (DrdPortal *self,
                           double     rate,
                           double     burst)
{
  g_return_if_fail (DRD_IS_PORTAL (self));
  self->rate = rate;
  self->burst = burst;
  g_clear_pointer (&self->rate_limit, drd_portal_rate_limit_free);
  self->rate_limit = drd_portal_rate_limit_new (rate, burst, 0);
}

void
drd_portal_set_request_timeout (DrdPortal *self,
                                guint      seconds)
{
  g_return_if_fail (DRD_IS_PORTAL (self));
  self->request_timeout = MAX (seconds, 1);
}

void
drd_portal_set_max_body (DrdPortal *self,
                         gsize      max_body)
{
  g_return_if_fail (DRD_IS_PORTAL (self));
  self->max_body = MAX (max_body, 1024);
}

void
drd_portal_set_max_event_streams (DrdPortal *self,
                                  guint      max_streams)
{
  g_return_if_fail (DRD_IS_PORTAL (self));
  self->max_streams = max_streams;
}

void
drd_portal_set_token_index (DrdPortal *self,
                            gboolean   enabled)
{
  g_return_if_fail (DRD_IS_PORTAL (self));
  self->use_index = enabled;
  if (!enabled)
    g_clear_pointer (&self->index, drd_token_index_free);
}

gboolean
drd_portal_get_token_index_ready (DrdPortal *self)
{
  g_return_val_if_fail (DRD_IS_PORTAL (self), FALSE);
  return self->index != NULL;
}

void
drd_portal_set_poll_interval (DrdPortal *self,
                              guint      milliseconds)
{
  g_return_if_fail (DRD_IS_PORTAL (self));
  self->poll_ms = MAX (milliseconds, 50);
  if (self->poll_id != 0)
    {
      g_source_remove (self->poll_id);
      self->poll_id = g_timeout_add (self->poll_ms, poll_cb, self);
    }
}

gboolean
drd_portal_parse_listen (const char  *spec,
                         char       **out_address,
                         guint       *out_port,
                         GError     **error)
{
  const char *colon;
  g_autofree char *address = NULL;
  guint64 port = 8088;

  if (spec == NULL || *spec == '\0')
    goto bad;
  if (spec[0] == '[')
    {
      const char *close = strchr (spec, ']');

      if (close == NULL)
        goto bad;
      address = g_strndup (spec + 1, close - spec - 1);
      colon = close[1] == ':' ? close + 1 : NULL;
      if (close[1] != '\0' && colon == NULL)
        goto bad;
    }
  else
    {
      colon = strrchr (spec, ':');
      address = colon ? g_strndup (spec, colon - spec) : g_strdup (spec);
    }
  if (colon != NULL &&
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    goto bad;
  if (!g_hostname_is_ip_address (address))
    goto bad;

  *out_address = g_steal_pointer (&address);
  *out_port = (guint) port;
  return TRUE;

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "“%s” is not a listen address; use ADDR:PORT, e.g. 127.0.0.1:8088",
               spec ? spec : "");
  return FALSE;
}

gboolean
drd_portal_listen (DrdPortal   *self,
                   const char  *address,
                   guint        port,
                   GError     **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) sockaddr = NULL;
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (DRD_IS_PORTAL (self), FALSE);
  g_return_val_if_fail (self->listen_socket == NULL, FALSE);

  inet = g_inet_address_new_from_string (address);
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address", address);
      return FALSE;
    }
  sockaddr = g_inet_socket_address_new (inet, port);
  sock = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                       G_SOCKET_PROTOCOL_TCP, error);
  if (sock == NULL)
    return FALSE;
  /* libsoup's own listen() uses a backlog of 10: 64 clients connecting
   * at once then wait for SYN retransmits (second-long stalls). */
  g_socket_set_listen_backlog (sock, 1024);
  if (!g_socket_bind (sock, sockaddr, TRUE, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                     "%s:%u is already in use (another server is listening there); "
                     "choose another port with --listen", address, port);
      else
        g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                    "Cannot listen on %s:%u: ", address, port);
      return FALSE;
    }
  if (!g_socket_listen (sock, error))
    return FALSE;

  if (self->server == NULL)
    {
      self->server = soup_server_new (NULL, NULL);
      soup_server_add_early_handler (self->server, NULL, early_handler, self, NULL);
      soup_server_add_handler (self->server, NULL, handler, self, NULL);
      g_signal_connect (self->server, "request-started", G_CALLBACK (request_started_cb), self);
      g_signal_connect (self->server, "request-read", G_CALLBACK (request_read_cb), self);
      g_signal_connect (self->server, "request-finished", G_CALLBACK (request_done_cb), self);
      g_signal_connect (self->server, "request-aborted", G_CALLBACK (request_done_cb), self);
    }
  if (!soup_server_listen_socket (self->server, sock, 0, error))
    return FALSE;

  self->listen_socket = g_steal_pointer (&sock);
  self->sweep_id = g_timeout_add_seconds (1, sweep_cb, self);
  self->poll_id = g_timeout_add (self->poll_ms, poll_cb, self);
  poll_cb (self);
  return TRUE;
}

guint
drd_portal_get_port (DrdPortal *self)
{
  g_autoptr(GSocketAddress) addr = NULL;

  g_return_val_if_fail (DRD_IS_PORTAL (self), 0);
  if (self->listen_socket == NULL)
    return 0;
  addr = g_socket_get_local_address (self->listen_socket, NULL);
  if (addr == NULL)
    return 0;
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr));
}

char *
drd_portal_get_url (DrdPortal *self)
{
  g_autoptr(GSocketAddress) addr = NULL;
  g_autofree char *ip = NULL;
  GInetAddress *inet;

  g_return_val_if_fail (DRD_IS_PORTAL (self), NULL);
  if (self->listen_socket == NULL)
    return NULL;
  addr = g_socket_get_local_address (self->listen_socket, NULL);
  if (addr == NULL)
    return NULL;
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (addr));
  ip = g_inet_address_to_string (inet);
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("http://[%s]:%u/", ip,
                            g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr)));
  return g_strdup_printf ("http://%s:%u/", ip,
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr)));
}

void
drd_portal_stop (DrdPortal *self)
{
  g_return_if_fail (DRD_IS_PORTAL (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_handle_id (&self->ready_timeout_id, g_source_remove);
  if (self->ready_waiters->len > 0)
    answer_ready_waiters (self, "the portal is stopping");
  while (self->streams->len > 0)
    {
      g_autoptr(SoupServerMessage) msg = g_object_ref (self->streams->pdata[0]);
      Tracking *t = tracking_of (msg);

      if (t != NULL && t->streaming)
        stream_forget (self, t);
      else
        g_ptr_array_remove_index_fast (self->streams, 0);
      soup_message_body_complete (soup_server_message_get_response_body (msg));
      soup_server_message_unpause (msg);
    }
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_hash_table_remove_all (self->idle);
  g_clear_object (&self->listen_socket);
}

void
drd_portal_set_token_rate_limit (DrdPortal *self,
                                 double     rate,
                                 double     burst)
{
  g_return_if_fail (DRD_IS_PORTAL (self));
  self->token_rate = rate;
  self->token_burst = burst;
  g_clear_pointer (&self->token_rate_limit, drd_portal_rate_limit_free);
  self->token_rate_limit = drd_portal_rate_limit_new (rate, burst, 0);
}

gboolean
drd_portal_set_trusted_proxies (DrdPortal          *self,
                                const char * const *proxies,
                                GError            **error)
{
  DrdTrustedProxies *trusted;

  g_return_val_if_fail (DRD_IS_PORTAL (self), FALSE);
  trusted = drd_trusted_proxies_new (proxies, error);
  if (trusted == NULL)
    return FALSE;
  drd_trusted_proxies_free (self->trusted);
  self->trusted = trusted;
  return TRUE;
}

void
drd_portal_set_event_stream_limits (DrdPortal *self,
                                    guint      per_token,
                                    guint      per_client)
{
  g_return_if_fail (DRD_IS_PORTAL (self));
  self->streams_per_token = per_token;
  self->streams_per_client = per_client;
}

guint
drd_portal_get_n_event_streams (DrdPortal *self)
{
  g_return_val_if_fail (DRD_IS_PORTAL (self), 0);
  return self->streams->len;
}

void
drd_portal_set_min_free_space (DrdPortal *self,
                               guint64    bytes)
{
  g_return_if_fail (DRD_IS_PORTAL (self));
  self->min_free_space = bytes;
}
