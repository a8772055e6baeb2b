/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "portal/drd-portal.h"
#include "core/drd-json-guard.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "portal/drd-portal-form.h"
#include "portal/drd-portal-page.h"
#include "portal/drd-portal-ratelimit.h"
#include "portal/drd-portal-resources.h"
#include "store/drd-store-portal.h"

#define DEFAULT_RATE 20.0
#define DEFAULT_BURST 40.0
#define DEFAULT_REQUEST_TIMEOUT 10
#define DEFAULT_MAX_STREAMS 200
#define DEFAULT_POLL_MS 2000
#define RATE_SLOTS 4096
#define STREAM_PING_SECONDS 25
#define DEFAULT_MAX_CONNECTIONS 4096
#define DEFAULT_MAX_IDLE_PER_PEER 64

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
  DrdPortalRateLimit *rate_limit;
  GHashTable         *receiving;      /* SoupServerMessage* → start time (µs, boxed) */
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

  /* settings */
  double              rate;
  double              burst;
  guint               request_timeout;
  gsize               max_body;
  guint               max_streams;
  guint               poll_ms;

  /* listening, accepting, connection accounting, TLS (see "Listening
   * and accepting" below) */
  GPtrArray          *listeners;      /* Listener* */
  GHashTable         *peers;          /* client address → Peer* */
  GHashTable         *conns;          /* Conn* (every accepted, not yet gone) */
  GQueue              idle;           /* Conn* waiting for a request, longest idle first */
  GSocket            *keepalive_pair[2];
  GTlsCertificate    *tls_certificate;
  guint               n_conns;
  guint               max_conns;
  guint               max_idle_per_peer;
  guint               conn_budget;    /* max_conns, kept below the open-file limit */
  int                 spare_fd;       /* given up to refuse a connection at EMFILE */
  gint64              accept_error_logged_us;
  guint               accept_errors;  /* since the last log line */
  gboolean            accept_failing;
};

G_DEFINE_FINAL_TYPE (DrdPortal, drd_portal, G_TYPE_OBJECT)

/* The socket of a message's connection (the portal accepts connections
 * itself, so libsoup's own soup_server_message_get_socket() is NULL). */
static GSocket *portal_message_socket (SoupServerMessage *msg);
static void     listeners_init (DrdPortal *self);
static void     listeners_clear (DrdPortal *self);

typedef enum {
  ROUTE_NONE,
  ROUTE_HEALTHZ,
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
} Tracking;

static void
tracking_free (gpointer data)
{
  Tracking *t = data;
  g_autoptr(DrdPortal) self = g_weak_ref_get (&t->portal);

  /* The message is being finalised: forget it everywhere. */
  if (self != NULL)
    {
      g_hash_table_remove (self->receiving, t->msg);
      g_ptr_array_remove_fast (self->streams, t->msg);
    }
  g_weak_ref_clear (&t->portal);
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

  forget_receiving (self, msg);
  g_ptr_array_remove_fast (self->streams, msg);
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
      GSocket *sock = portal_message_socket (expired->pdata[i]);

      if (sock != NULL)
        g_socket_shutdown (sock, TRUE, TRUE, NULL);
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
      GSocket *sock = portal_message_socket (msg);

      /* A chunked body that grows past the limit: answering is not
       * possible mid-body, so the connection is dropped. */
      g_signal_handlers_disconnect_by_func (msg, chunk_limit_cb, user_data);
      if (sock != NULL)
        g_socket_shutdown (sock, TRUE, TRUE, NULL);
    }
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
  const char *client = soup_server_message_get_remote_host (msg);
  goffset length;

  if (route != ROUTE_HEALTHZ &&
      !drd_portal_rate_limit_take (self->rate_limit, client, g_get_monotonic_time ()))
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

      soup_server_message_set_redirect (p->msg, SOUP_STATUS_SEE_OTHER, location);
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

  if (self->use_index && drd_token_index_lookup (self->index, self->secret, p->token, &customer_id))
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

static void
stream_view_done_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Pending *p = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdPortalView) view = drd_store_portal_view_finish (DRD_STORE (source), result,
                                                                &error);

  if (view == NULL)
    {
      respond_store_error (p, error);
      pending_finish (p);
      return;
    }
  if (p->self->streams->len >= p->self->max_streams)
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
  g_clear_pointer (&self->receiving, g_hash_table_unref);
  g_clear_pointer (&self->streams, g_ptr_array_unref);
  g_clear_object (&self->cancellable);
  listeners_clear (self);
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
  self->rate_limit = drd_portal_rate_limit_new (self->rate, self->burst, RATE_SLOTS);
  self->receiving = g_hash_table_new (NULL, NULL);
  self->streams = g_ptr_array_new ();
  self->cancellable = g_cancellable_new ();
  listeners_init (self);
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
  self->rate_limit = drd_portal_rate_limit_new (rate, burst, RATE_SLOTS);
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


/* ------------------------------------------------------------------ */
/* Listening and accepting                                            */

/* The portal owns its listening sockets and accepts connections itself
 * instead of libsoup's listener, which stops polling its socket for
 * good after one failed accept() (EMFILE when a burst of connections
 * uses up the open-file limit). Each accepted connection is counted per
 * client address and in total, and handed to libsoup as a stream
 * (soup_server_accept_iostream), wrapped in TLS when a certificate is
 * set.
 *
 * Bounds: at most conn_budget connections (max_conns, kept below the
 * open-file limit); over it the longest-idle connection is closed to
 * make room, and when none is idle the newcomer gets a 503 at once.
 * Per client address at most max_idle_per_peer connections may wait for
 * a request; a newcomer over it closes that address's longest-idle one
 * (so clients sharing an address — CGNAT, a proxy — still get in, and
 * one client cannot hold more). Idle time itself is bounded by the
 * request timeout (sweep_cb). */

#define ACCEPT_BATCH 16
#define ACCEPT_BACKOFF_MIN_MS 50
#define ACCEPT_BACKOFF_MAX_MS 1000
#define ACCEPT_LOG_INTERVAL_US (60 * G_USEC_PER_SEC)
#define HSTS "max-age=31536000"

static const char busy_response[] =
  "HTTP/1.1 503 Service Unavailable\r\n"
  "Content-Type: text/plain; charset=utf-8\r\n"
  "Content-Length: 43\r\n"
  "Retry-After: 1\r\n"
  "Connection: close\r\n"
  "\r\n"
  "The portal is busy; try again in a moment.\n";

typedef struct {
  DrdPortal *self;              /* borrowed; the portal stops its listeners before it goes */
  GSocket   *socket;
  GSource   *source;
  guint      backoff_id;
  guint      backoff_ms;
} Listener;

typedef struct {
  char   *address;
  guint   n_conns;
  GQueue  idle;                 /* Conn* (peer_link) */
} Peer;

typedef struct {
  DrdPortal      *self;         /* NULL once the portal is gone */
  GSocket        *socket;       /* borrowed; the connection is gone when it is finalised */
  GSocketAddress *remote;       /* carries the Conn as qdata for the messages */
  GSocketAddress *local;
  GIOStream      *stream;       /* what libsoup reads: the socket connection, or TLS over it */
  Peer           *peer;
  GList           idle_link;    /* in self->idle */
  GList           peer_link;    /* in peer->idle */
  gboolean        idle;
  gboolean        closing;      /* shut down by us; gone soon */
  gboolean        tls;
} Conn;

static GQuark
conn_quark (void)
{
  static GQuark q;

  if (q == 0)
    q = g_quark_from_static_string ("drd-portal-conn");
  return q;
}

static Conn *
message_conn (SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  return remote != NULL ? g_object_get_qdata (G_OBJECT (remote), conn_quark ()) : NULL;
}

static GSocket *
portal_message_socket (SoupServerMessage *msg)
{
  GSocket *sock = soup_server_message_get_socket (msg);
  Conn *c;

  if (sock != NULL)
    return sock;
  c = message_conn (msg);
  return c != NULL ? c->socket : NULL;
}

static void
peer_free (gpointer data)
{
  Peer *p = data;

  g_queue_clear (&p->idle);
  g_free (p->address);
  g_free (p);
}

static void
conn_set_busy (Conn *c)
{
  if (!c->idle)
    return;
  c->idle = FALSE;
  if (c->self != NULL)
    g_queue_unlink (&c->self->idle, &c->idle_link);
  if (c->peer != NULL)
    g_queue_unlink (&c->peer->idle, &c->peer_link);
}

static void
conn_set_idle (Conn *c)
{
  if (c->closing || c->self == NULL)
    return;
  conn_set_busy (c);
  c->idle = TRUE;
  g_queue_push_tail_link (&c->self->idle, &c->idle_link);
  g_queue_push_tail_link (&c->peer->idle, &c->peer_link);
}

/* Closes a connection to make room: libsoup sees end-of-stream and drops
 * it (as sweep_cb does with stalled clients). */
static void
conn_close (Conn *c)
{
  conn_set_busy (c);
  c->closing = TRUE;
  g_socket_shutdown (c->socket, TRUE, TRUE, NULL);
}

/* The connection's socket is finalised: libsoup is done with it. */
static void
conn_gone (gpointer  data,
           GObject  *where_the_socket_was)
{
  Conn *c = data;
  DrdPortal *self = c->self;

  conn_set_busy (c);
  if (self != NULL)
    {
      self->n_conns--;
      if (--c->peer->n_conns == 0)
        g_hash_table_remove (self->peers, c->peer->address);
      g_hash_table_remove (self->conns, c);
    }
  g_object_set_qdata (G_OBJECT (c->remote), conn_quark (), NULL);
  g_object_unref (c->remote);
  g_object_unref (c->local);
  g_free (c);
}

/* libsoup starts a message when a connection opens and after each
 * keep-alive response: the connection waits for a request. */
static void
conn_got_headers_cb (SoupServerMessage *msg,
                     gpointer           user_data)
{
  Conn *c = message_conn (msg);

  if (c != NULL)
    conn_set_busy (c);
}

/* libsoup 3.2.3 leaks a keep-alive connection whose client closes it
 * while it waits for the next request (the descriptor stays open for
 * good: a thousand ordinary visits exhaust the open-file limit). So the
 * portal keeps connections alive itself: once a keep-alive response is
 * written, it takes the stream back from libsoup and hands it over
 * again as a new connection, whose end libsoup handles cleanly. A
 * client that already sent its next request (pipelining) stays with
 * libsoup's own keep-alive. */
static gboolean
message_keeps_alive (SoupServerMessage *msg)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);

  return soup_server_message_get_http_version (msg) == SOUP_HTTP_1_1 &&
         !soup_message_headers_header_contains (req, "Connection", "close") &&
         !soup_message_headers_header_contains (resp, "Connection", "close");
}

static void
conn_wrote_body_cb (SoupServerMessage *msg,
                    gpointer           user_data)
{
  Conn *c = message_conn (msg);
  DrdPortal *self = c != NULL ? c->self : NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GIOStream) stolen = NULL;
  char byte;

  if (self == NULL || self->server == NULL || c->closing || !message_keeps_alive (msg))
    return;
  if (recv (g_socket_get_fd (c->socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
    return;
  stream = g_object_ref (c->stream);
  /* Stealing ends libsoup's part without "request-finished": emitted
   * here so that the portal's (and anyone's) bookkeeping still runs. */
  g_signal_emit_by_name (self->server, "request-finished", msg);
  stolen = soup_server_message_steal_connection (msg);
  if (stolen == NULL)
    return;
  soup_server_accept_iostream (self->server, stream, c->local, c->remote, NULL);
}

static void
conn_request_started_cb (SoupServer        *server,
                         SoupServerMessage *msg,
                         gpointer           user_data)
{
  Conn *c = message_conn (msg);

  if (c == NULL)
    return;
  conn_set_idle (c);
  g_signal_connect (msg, "got-headers", G_CALLBACK (conn_got_headers_cb), NULL);
  g_signal_connect (msg, "wrote-body", G_CALLBACK (conn_wrote_body_cb), NULL);
  if (c->tls)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Strict-Transport-Security", HSTS);
}

/* Logs the first accept() failure, then at most one line a minute with
 * the count; a success after failures says so once. */
static void
note_accept_error (DrdPortal  *self,
                   const char *message)
{
  gint64 now = g_get_monotonic_time ();

  self->accept_errors++;
  if (self->accept_failing && now - self->accept_error_logged_us < ACCEPT_LOG_INTERVAL_US)
    return;
  if (self->accept_failing)
    g_message ("portal: cannot accept connections: %s (%u times in the last minute); retrying",
               message, self->accept_errors);
  else
    g_message ("portal: cannot accept connections: %s; refusing new ones and retrying until "
               "descriptors are free", message);
  self->accept_failing = TRUE;
  self->accept_error_logged_us = now;
  self->accept_errors = 0;
}

static void
note_accept_ok (DrdPortal *self)
{
  if (!self->accept_failing)
    return;
  g_message ("portal: accepting connections again");
  self->accept_failing = FALSE;
  self->accept_errors = 0;
}

/* Tells a client at once that there is no room, without holding a
 * descriptor for it. */
static void
refuse_fd (int      fd,
           gboolean plain)
{
  if (plain)
    (void) send (fd, busy_response, sizeof busy_response - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
  shutdown (fd, SHUT_WR);
  close (fd);
}

static void
refuse_client (GSocket  *client,
               gboolean  plain)
{
  if (plain)
    g_socket_send_with_blocking (client, busy_response, sizeof busy_response - 1, FALSE,
                                 NULL, NULL);
  g_socket_shutdown (client, FALSE, TRUE, NULL);
  g_socket_close (client, NULL);
}

/* At EMFILE: the spare descriptor makes room for one accept(), whose
 * connection is refused, so the backlog drains instead of hanging. */
static gboolean
refuse_with_spare (Listener *l)
{
  DrdPortal *self = l->self;
  int fd;

  if (self->spare_fd < 0)
    return FALSE;
  close (self->spare_fd);
  self->spare_fd = -1;
  fd = accept4 (g_socket_get_fd (l->socket), NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd >= 0)
    refuse_fd (fd, self->tls_certificate == NULL);
  self->spare_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  return fd >= 0;
}

static gboolean listener_ready_cb (GSocket *socket, GIOCondition condition, gpointer data);

static void
listener_watch (Listener *l)
{
  l->source = g_socket_create_source (l->socket, G_IO_IN, NULL);
  g_source_set_callback (l->source, (GSourceFunc) (void (*) (void)) listener_ready_cb, l, NULL);
  g_source_attach (l->source, g_main_context_get_thread_default ());
}

static gboolean
listener_resume_cb (gpointer data)
{
  Listener *l = data;

  l->backoff_id = 0;
  listener_watch (l);
  return G_SOURCE_REMOVE;
}

/* Stops polling the socket for a while (doubling up to a second). */
static void
listener_back_off (Listener *l)
{
  l->backoff_ms = CLAMP (l->backoff_ms * 2, ACCEPT_BACKOFF_MIN_MS, ACCEPT_BACKOFF_MAX_MS);
  g_source_destroy (l->source);
  g_clear_pointer (&l->source, g_source_unref);
  l->backoff_id = g_timeout_add (l->backoff_ms, listener_resume_cb, l);
}

static void
admit (Listener *l,
       GSocket  *client)
{
  DrdPortal *self = l->self;
  g_autoptr(GSocketAddress) remote = g_socket_get_remote_address (client, NULL);
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (client, NULL);
  g_autoptr(GIOStream) stream = NULL;
  g_autofree char *address = NULL;
  g_autoptr(GError) error = NULL;
  Peer *peer;
  Conn *c;

  if (remote == NULL || local == NULL || !G_IS_INET_SOCKET_ADDRESS (remote))
    {
      g_socket_close (client, NULL);     /* gone already */
      return;
    }
  if (self->n_conns >= self->conn_budget)
    {
      if (self->idle.head == NULL)
        {
          refuse_client (client, self->tls_certificate == NULL);
          return;
        }
      conn_close (self->idle.head->data);
    }
  address = g_inet_address_to_string (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
  peer = g_hash_table_lookup (self->peers, address);
  if (peer == NULL)
    {
      peer = g_new0 (Peer, 1);
      peer->address = g_steal_pointer (&address);
      g_hash_table_insert (self->peers, peer->address, peer);
    }
  if (peer->idle.length >= self->max_idle_per_peer && peer->idle.head != NULL)
    conn_close (peer->idle.head->data);

  g_socket_set_option (client, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  stream = G_IO_STREAM (g_socket_connection_factory_create_connection (client));
  if (self->tls_certificate != NULL)
    {
      GIOStream *tls = g_tls_server_connection_new (stream, self->tls_certificate, &error);

      if (tls == NULL)
        {
          if (peer->n_conns == 0)
            g_hash_table_remove (self->peers, peer->address);
          note_accept_error (self, error->message);
          return;                         /* closing the stream closes the socket */
        }
      g_object_set (tls, "require-close-notify", FALSE, NULL);
      g_clear_object (&stream);
      stream = tls;
    }

  c = g_new0 (Conn, 1);
  c->self = self;
  c->socket = client;
  c->remote = g_object_ref (remote);
  c->local = g_object_ref (local);
  c->stream = stream;
  c->peer = peer;
  c->idle_link.data = c;
  c->peer_link.data = c;
  c->tls = self->tls_certificate != NULL;
  peer->n_conns++;
  self->n_conns++;
  g_hash_table_add (self->conns, c);
  g_object_set_qdata (G_OBJECT (remote), conn_quark (), c);
  g_object_weak_ref (G_OBJECT (client), conn_gone, c);
  conn_set_idle (c);
  /* libsoup starts the connection's first message right here. */
  soup_server_accept_iostream (self->server, stream, local, remote, NULL);
}

static gboolean
listener_ready_cb (GSocket      *socket,
                   GIOCondition  condition,
                   gpointer      data)
{
  Listener *l = data;
  DrdPortal *self = l->self;

  for (guint i = 0; i < ACCEPT_BATCH; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) client = g_socket_accept (l->socket, NULL, &error);

      if (client != NULL)
        {
          l->backoff_ms = 0;
          note_accept_ok (self);
          admit (l, client);
          continue;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
        continue;                         /* ECONNABORTED: that client gave up */
      note_accept_error (self, error->message);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES) &&
          refuse_with_spare (l))
        continue;
      listener_back_off (l);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
listener_free (gpointer data)
{
  Listener *l = data;

  if (l->source != NULL)
    {
      g_source_destroy (l->source);
      g_source_unref (l->source);
    }
  g_clear_handle_id (&l->backoff_id, g_source_remove);
  g_socket_close (l->socket, NULL);
  g_object_unref (l->socket);
  g_free (l);
}

static guint
count_open_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  if (dir == NULL)
    return 64;
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* max_conns, or fewer when the open-file limit would not hold them with
 * what the process already uses (store, threads) and a reserve for
 * webhooks, KEPCO and a burst of accepts. */
static void
update_conn_budget (DrdPortal *self)
{
  struct rlimit rl;
  guint budget = self->max_conns;

  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    {
      gint64 room = (gint64) rl.rlim_cur - count_open_fds () - 2 * ACCEPT_BATCH - 16;

      budget = (guint) CLAMP (room, 4, (gint64) budget);
    }
  self->conn_budget = MAX (budget, 1);
}

static void
listeners_init (DrdPortal *self)
{
  self->listeners = g_ptr_array_new_with_free_func (listener_free);
  self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, peer_free);
  self->conns = g_hash_table_new (NULL, NULL);
  g_queue_init (&self->idle);
  self->max_conns = DEFAULT_MAX_CONNECTIONS;
  self->max_idle_per_peer = DEFAULT_MAX_IDLE_PER_PEER;
  self->conn_budget = DEFAULT_MAX_CONNECTIONS;
  self->spare_fd = -1;
}

/* The portal goes away: connections still finishing forget it. */
static void
listeners_clear (DrdPortal *self)
{
  GHashTableIter iter;
  gpointer key;

  if (self->conns == NULL)
    return;
  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Conn *c = key;

      conn_set_busy (c);
      c->self = NULL;
      c->peer = NULL;
    }
  g_clear_pointer (&self->conns, g_hash_table_unref);
  g_clear_pointer (&self->peers, g_hash_table_unref);
  g_clear_pointer (&self->listeners, g_ptr_array_unref);
  g_clear_object (&self->tls_certificate);
  for (guint i = 0; i < 2; i++)
    g_clear_object (&self->keepalive_pair[i]);
  if (self->spare_fd >= 0)
    close (self->spare_fd);
  self->spare_fd = -1;
}

void
drd_portal_set_connection_limits (DrdPortal *self,
                                  guint      max_connections,
                                  guint      max_idle_per_address)
{
  g_return_if_fail (DRD_IS_PORTAL (self));
  self->max_conns = MAX (max_connections, 1);
  self->max_idle_per_peer = MAX (max_idle_per_address, 1);
  update_conn_budget (self);
}

void
drd_portal_set_tls_certificate (DrdPortal       *self,
                                GTlsCertificate *certificate)
{
  g_return_if_fail (DRD_IS_PORTAL (self));
  g_return_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate));
  g_set_object (&self->tls_certificate, certificate);
}

gboolean
drd_portal_get_tls (DrdPortal *self)
{
  g_return_val_if_fail (DRD_IS_PORTAL (self), FALSE);
  return self->tls_certificate != NULL;
}

/* libsoup keeps a connection alive after a response only while the
 * server has a listener of its own; this one is a socketpair end that
 * never becomes readable (no port, nothing to accept). */
static gboolean
ensure_keepalive_listener (DrdPortal  *self,
                           GError    **error)
{
  int sv[2];

  if (self->keepalive_pair[0] != NULL)
    return TRUE;
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot create a socket pair: %s", g_strerror (errsv));
      return FALSE;
    }
  self->keepalive_pair[0] = g_socket_new_from_fd (sv[0], error);
  if (self->keepalive_pair[0] == NULL)
    {
      close (sv[0]);
      close (sv[1]);
      return FALSE;
    }
  self->keepalive_pair[1] = g_socket_new_from_fd (sv[1], error);
  if (self->keepalive_pair[1] == NULL)
    {
      close (sv[1]);
      return FALSE;
    }
  return soup_server_listen_socket (self->server, self->keepalive_pair[0], 0, error);
}

/* Once, at the first socket: the server, its handlers and the timers. */
static gboolean
start_serving (DrdPortal  *self,
               GError    **error)
{
  if (self->server == NULL)
    {
      self->server = soup_server_new (NULL, NULL);
      soup_server_add_early_handler (self->server, NULL, early_handler, self, NULL);
      soup_server_add_handler (self->server, NULL, handler, self, NULL);
      g_signal_connect (self->server, "request-started", G_CALLBACK (request_started_cb), self);
      g_signal_connect (self->server, "request-started", G_CALLBACK (conn_request_started_cb), self);
      g_signal_connect (self->server, "request-read", G_CALLBACK (request_read_cb), self);
      g_signal_connect (self->server, "request-finished", G_CALLBACK (request_done_cb), self);
      g_signal_connect (self->server, "request-aborted", G_CALLBACK (request_done_cb), self);
    }
  if (!ensure_keepalive_listener (self, error))
    return FALSE;
  if (self->spare_fd < 0)
    self->spare_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (self->sweep_id == 0)
    {
      self->sweep_id = g_timeout_add_seconds (1, sweep_cb, self);
      self->poll_id = g_timeout_add (self->poll_ms, poll_cb, self);
      poll_cb (self);
    }
  return TRUE;
}

gboolean
drd_portal_listen_socket (DrdPortal  *self,
                          GSocket    *socket,
                          GError    **error)
{
  Listener *l;
  int listening = 0;

  g_return_val_if_fail (DRD_IS_PORTAL (self), FALSE);
  g_return_val_if_fail (G_IS_SOCKET (socket), FALSE);

  if (!g_socket_get_option (socket, SOL_SOCKET, SO_ACCEPTCONN, &listening, NULL) || !listening ||
      g_socket_get_socket_type (socket) != G_SOCKET_TYPE_STREAM)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The socket passed to the portal is not a listening stream socket");
      return FALSE;
    }
  if (!start_serving (self, error))
    return FALSE;
  g_socket_set_blocking (socket, FALSE);
  l = g_new0 (Listener, 1);
  l->self = self;
  l->socket = g_object_ref (socket);
  g_ptr_array_add (self->listeners, l);
  listener_watch (l);
  update_conn_budget (self);
  return TRUE;
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
  g_return_val_if_fail (self->listeners->len == 0, FALSE);

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
  return drd_portal_listen_socket (self, sock, error);
}

static GSocketAddress *
first_local_address (DrdPortal *self)
{
  if (self->listeners == NULL || self->listeners->len == 0)
    return NULL;
  return g_socket_get_local_address (((Listener *) self->listeners->pdata[0])->socket, NULL);
}

guint
drd_portal_get_port (DrdPortal *self)
{
  g_autoptr(GSocketAddress) addr = NULL;

  g_return_val_if_fail (DRD_IS_PORTAL (self), 0);
  addr = first_local_address (self);
  if (addr == NULL || !G_IS_INET_SOCKET_ADDRESS (addr))
    return 0;
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr));
}

char *
drd_portal_get_url (DrdPortal *self)
{
  g_autoptr(GSocketAddress) addr = NULL;
  g_autofree char *ip = NULL;
  GInetAddress *inet;
  const char *scheme;

  g_return_val_if_fail (DRD_IS_PORTAL (self), NULL);
  addr = first_local_address (self);
  if (addr == NULL || !G_IS_INET_SOCKET_ADDRESS (addr))
    return NULL;
  scheme = self->tls_certificate != NULL ? "https" : "http";
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (addr));
  ip = g_inet_address_to_string (inet);
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("%s://[%s]:%u/", scheme, ip,
                            g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr)));
  return g_strdup_printf ("%s://%s:%u/", scheme, ip,
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr)));
}

void
drd_portal_stop (DrdPortal *self)
{
  g_return_if_fail (DRD_IS_PORTAL (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  for (guint i = 0; i < self->streams->len; i++)
    {
      SoupServerMessage *msg = self->streams->pdata[i];

      soup_message_body_complete (soup_server_message_get_response_body (msg));
      soup_server_message_unpause (msg);
    }
  g_ptr_array_set_size (self->streams, 0);
  if (self->listeners != NULL)
    g_ptr_array_set_size (self->listeners, 0);
  if (self->server != NULL)
    soup_server_disconnect (self->server);
}
