/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "drd-kepco"

#include "config.h"
#include "kepco/drd-kepco-client.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>

#define API_PATH "/OpenAPI/getDayLpData.do"
#define READ_CHUNK 16384
#define REDACTED "[redacted]"

G_DEFINE_ENUM_TYPE (DrdKepcoBreakerState, drd_kepco_breaker_state,
  G_DEFINE_ENUM_VALUE (DRD_KEPCO_BREAKER_CLOSED, "closed"),
  G_DEFINE_ENUM_VALUE (DRD_KEPCO_BREAKER_OPEN, "open"),
  G_DEFINE_ENUM_VALUE (DRD_KEPCO_BREAKER_HALF_OPEN, "half-open"))

const char *
drd_kepco_breaker_state_to_string (DrdKepcoBreakerState state)
{
  switch (state)
    {
    case DRD_KEPCO_BREAKER_CLOSED: return "closed";
    case DRD_KEPCO_BREAKER_OPEN: return "open";
    case DRD_KEPCO_BREAKER_HALF_OPEN: return "half-open";
    default: return NULL;
    }
}

struct _DrdKepcoClient
{
  GObject parent_instance;

  /* configuration */
  char *base_url;            /* without trailing '/' */
  char *service_key;
  char *service_key_escaped;
  char *service_key_unescaped;   /* when the key came URL-encoded */
  guint max_in_flight;
  guint timeout_ms;
  guint max_attempts;
  guint backoff_base_ms;
  guint backoff_cap_ms;
  guint breaker_threshold;
  guint breaker_window;
  guint breaker_cooldown_ms;
  DrdKepcoClockFunc clock;
  gpointer clock_data;

  /* owned */
  SoupSession *session;
  GQueue queue;              /* Request* waiting for a slot */
  GRand *jitter;

  /* state */
  guint in_flight;
  gboolean pumping;
  DrdKepcoBreakerState breaker;
  guint8 *outcomes;          /* ring of the last ring_len attempts, 1 = failed */
  guint ring_len;            /* MAX (breaker_window, breaker_threshold) */
  guint ring_pos;            /* where the next outcome goes */
  guint ring_failures;       /* failed attempts in the ring */
  gint64 opened_at;
  GSource *cooldown_src;     /* flips OPEN to HALF_OPEN for whoever watches */
  gboolean probe_in_flight;
  char *last_error;
  guint unusable_streak;     /* failures in a row that were bad answers (see below) */
  guint64 n_requests;
  guint64 n_failures;
  guint64 n_retries;
  guint64 n_rejected;
};

G_DEFINE_FINAL_TYPE (DrdKepcoClient, drd_kepco_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_SERVICE_KEY,
  PROP_MAX_IN_FLIGHT,
  PROP_TIMEOUT_MS,
  PROP_MAX_ATTEMPTS,
  PROP_BACKOFF_BASE_MS,
  PROP_BACKOFF_CAP_MS,
  PROP_BREAKER_THRESHOLD,
  PROP_BREAKER_WINDOW,
  PROP_BREAKER_COOLDOWN_MS,
  PROP_BREAKER_STATE,
  PROP_LAST_ERROR,
  PROP_N_REQUESTS,
  PROP_N_FAILURES,
  PROP_N_RETRIES,
  PROP_N_REJECTED,
  PROP_N_IN_FLIGHT,
  PROP_N_QUEUED,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_RETRY_SCHEDULED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

typedef enum {
  STAGE_QUEUED,
  STAGE_SENDING,
  STAGE_BACKOFF,
  STAGE_DONE,
} Stage;

typedef struct {
  DrdKepcoClient *client;          /* borrowed: the task holds a reference */
  GTask *task;                     /* borrowed: owns us as task data */
  char *cust_no;
  char date[9];
  Stage stage;
  guint attempt;                   /* attempts sent so far */
  gboolean is_probe;
  SoupMessage *msg;
  GCancellable *attempt_cancel;
  GInputStream *stream;
  GByteArray *body;
  GSource *timeout_src;
  gboolean timed_out;
  GSource *backoff_src;
  GSource *cancel_source;
  GList *queue_link;
} Request;

static void pump (DrdKepcoClient *self);

/* Timers go to the thread-default main context, like libsoup's I/O, so
 * the client also works from a worker thread with its own context.
 * (g_source_remove() by id only knows the global default context.) */
static GSource *
timeout_here (guint        ms,
              GSourceFunc  func,
              gpointer     data)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

static void
clear_source (GSource **source)
{
  if (*source)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}


static void
request_free (gpointer data)
{
  Request *r = data;

  g_assert (r->timeout_src == NULL && r->backoff_src == NULL && r->queue_link == NULL);
  if (r->cancel_source)
    {
      g_source_destroy (r->cancel_source);
      g_source_unref (r->cancel_source);
    }
  g_clear_object (&r->msg);
  g_clear_object (&r->attempt_cancel);
  g_clear_object (&r->stream);
  g_clear_pointer (&r->body, g_byte_array_unref);
  g_free (r->cust_no);
  g_free (r);
}

static gint64
now_us (DrdKepcoClient *self)
{
  return self->clock ? self->clock (self->clock_data) : g_get_monotonic_time ();
}

char *
drd_kepco_client_redact (DrdKepcoClient *self,
                         const char     *text)
{
  GString *s;

  g_return_val_if_fail (DRD_IS_KEPCO_CLIENT (self), NULL);
  if (text == NULL)
    return NULL;
  s = g_string_new (text);
  /* A one- or two-character key would turn every message into confetti;
   * such a key is no secret anyway. */
  if (self->service_key && strlen (self->service_key) >= 3)
    g_string_replace (s, self->service_key, REDACTED, 0);
  if (self->service_key_escaped && strlen (self->service_key_escaped) >= 3)
    g_string_replace (s, self->service_key_escaped, REDACTED, 0);
  if (self->service_key_unescaped && strlen (self->service_key_unescaped) >= 3)
    g_string_replace (s, self->service_key_unescaped, REDACTED, 0);
  return g_string_free (s, FALSE);
}

static void set_breaker (DrdKepcoClient *self, DrdKepcoBreakerState state);

static gboolean
on_cooldown_over (gpointer data)
{
  DrdKepcoClient *self = data;

  g_clear_pointer (&self->cooldown_src, g_source_unref);
  if (self->breaker == DRD_KEPCO_BREAKER_OPEN)
    set_breaker (self, DRD_KEPCO_BREAKER_HALF_OPEN);
  return G_SOURCE_REMOVE;
}

static void
set_breaker (DrdKepcoClient       *self,
             DrdKepcoBreakerState  state)
{
  if (state == DRD_KEPCO_BREAKER_OPEN)
    {
      /* Opening (or re-opening after a failed probe) restarts the cooldown. */
      self->opened_at = now_us (self);
      clear_source (&self->cooldown_src);
      self->cooldown_src = timeout_here (self->breaker_cooldown_ms, on_cooldown_over, self);
    }
  else
    clear_source (&self->cooldown_src);
  if (self->breaker == state)
    return;
  g_debug ("breaker %s → %s", drd_kepco_breaker_state_to_string (self->breaker),
           drd_kepco_breaker_state_to_string (state));
  self->breaker = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BREAKER_STATE]);
}

static void
set_last_error (DrdKepcoClient *self,
                const char     *message)
{
  g_autofree char *redacted = drd_kepco_client_redact (self, message);

  if (g_strcmp0 (redacted, self->last_error) == 0)
    return;
  g_free (self->last_error);
  self->last_error = g_steal_pointer (&redacted);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
}

static void
notify_counts (DrdKepcoClient *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_IN_FLIGHT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_QUEUED]);
}

/* ---- the circuit breaker ----
 *
 * It must tell an outage from a flaky server. A count of consecutive
 * failures cannot: at 40 % independent faults a run of 5 failed attempts
 * starts at any attempt with probability 0.6 × 0.4^5 ≈ 6.1e-3, so a
 * 300-customer settlement (≈ 10,000 attempts) tripped it again and again
 * and idled 30 s each time.
 *
 * So the breaker remembers the outcomes of the last "breaker-window"
 * completed attempts (default 30; a fresh or just closed breaker counts
 * its empty places as successes) and, while CLOSED, opens once at least
 * "breaker-threshold" of them failed (default 27: 90 % of the window).
 * Failures are what is retried: 5xx, 408, 429, timeouts, transport errors
 * and malformed bodies; 2xx and every other 4xx are successes (the server
 * is up and answering). OPEN fails fast for "breaker-cooldown-ms",
 * then HALF_OPEN lets one probe through: a success closes the breaker and
 * clears the record, a failure re-opens it with a fresh cooldown. Any
 * success that arrives while open (a request sent before it opened) also
 * closes it: the server answered. A threshold above the window makes the
 * window that long (threshold 3 with window 1…3: three in a row).
 *
 * With 27 of 30 and independent faults at rate p = 0.4:
 *  - P(a given window of 30 holds ≥ 27 failures) = Σ_{k=27..30}
 *    C(30,k) p^k (1−p)^(30−k) ≈ 1.7e-8;
 *  - the breaker trips at an attempt only if that attempt failed, the one
 *    leaving the window succeeded and the 29 shared ones hold exactly 26
 *    failures: p (1−p) C(29,26) p^26 (1−p)^3 ≈ 8.5e-9 per attempt, so
 *    ≈ 8.5e-5 over 10,000 attempts (union bound); at p = 0.5 still only
 *    ≈ 1.7e-6 per attempt. (Window 20 / threshold 18 would be 2.5e-6 per
 *    attempt, a 2.5 % chance of a 30 s stall per 10,000 attempts.)
 *  - An outage opens it after at most 27 failed attempts in a row (27
 *    when the window held only successes, about 25 when 40 % of the
 *    attempts before failed): well under a second when the server answers
 *    503 (8 in flight, 4 attempts each), about 4 × "timeout-ms" (≈ 60 s
 *    at 15 s, 8 in flight) when it swallows every request. A server that
 *    answers one request in ten is down for this rule, as it should be. */

static void
breaker_clear (DrdKepcoClient *self)
{
  guint len = MAX (MAX (self->breaker_window, self->breaker_threshold), 1u);

  if (self->ring_len != len)
    {
      g_free (self->outcomes);
      self->outcomes = g_new0 (guint8, len);
      self->ring_len = len;
    }
  else
    memset (self->outcomes, 0, len);
  self->ring_pos = 0;
  self->ring_failures = 0;
}

static void
breaker_record (DrdKepcoClient *self,
                gboolean        failed)
{
  if (self->outcomes == NULL)
    breaker_clear (self);
  self->ring_failures -= self->outcomes[self->ring_pos];
  self->outcomes[self->ring_pos] = failed ? 1 : 0;
  self->ring_failures += self->outcomes[self->ring_pos];
  self->ring_pos = (self->ring_pos + 1) % self->ring_len;
}

/* A finished attempt that says the server is alive (2xx or 4xx). */
static void
breaker_success (DrdKepcoClient *self)
{
  if (self->breaker != DRD_KEPCO_BREAKER_CLOSED)
    {
      breaker_clear (self);
      set_breaker (self, DRD_KEPCO_BREAKER_CLOSED);
    }
  else
    breaker_record (self, FALSE);
}

static void
breaker_failure (DrdKepcoClient *self,
                 gboolean        was_probe)
{
  breaker_record (self, TRUE);
  if (was_probe && self->breaker == DRD_KEPCO_BREAKER_HALF_OPEN)
    {
      /* The probe failed: back to open, with a fresh cooldown. */
      set_breaker (self, DRD_KEPCO_BREAKER_OPEN);
    }
  else if (self->breaker == DRD_KEPCO_BREAKER_CLOSED &&
           self->ring_failures >= self->breaker_threshold)
    set_breaker (self, DRD_KEPCO_BREAKER_OPEN);
}

/* May this attempt go out now? Decides the half-open probe. */
static gboolean
breaker_admit (DrdKepcoClient *self,
               Request        *r)
{
  switch (self->breaker)
    {
    case DRD_KEPCO_BREAKER_CLOSED:
      return TRUE;
    case DRD_KEPCO_BREAKER_OPEN:
      if (now_us (self) - self->opened_at < (gint64) self->breaker_cooldown_ms * 1000)
        return FALSE;
      set_breaker (self, DRD_KEPCO_BREAKER_HALF_OPEN);
      G_GNUC_FALLTHROUGH;
    case DRD_KEPCO_BREAKER_HALF_OPEN:
    default:
      if (self->probe_in_flight)
        return FALSE;
      self->probe_in_flight = TRUE;
      r->is_probe = TRUE;
      return TRUE;
    }
}

static void
request_finish_error (Request *r,
                      GError  *error)     /* (transfer full) */
{
  GTask *task = r->task;

  r->stage = STAGE_DONE;
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
request_finish_day (Request     *r,
                    DrdKepcoDay *day)     /* (transfer full) */
{
  GTask *task = r->task;

  r->stage = STAGE_DONE;
  g_task_return_pointer (task, day, (GDestroyNotify) drd_kepco_day_free);
  g_object_unref (task);
}

static GError *
cancelled_error (void)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Operation was cancelled"));
}

static gboolean
on_user_cancelled (GCancellable *cancellable,
                   gpointer      data)
{
  Request *r = data;
  DrdKepcoClient *self = r->client;

  switch (r->stage)
    {
    case STAGE_QUEUED:
      g_queue_delete_link (&self->queue, r->queue_link);
      r->queue_link = NULL;
      notify_counts (self);
      request_finish_error (r, cancelled_error ());
      break;
    case STAGE_BACKOFF:
      clear_source (&r->backoff_src);
      request_finish_error (r, cancelled_error ());
      break;
    case STAGE_SENDING:
      /* The completion handler sees the user's cancellable and finishes. */
      g_cancellable_cancel (r->attempt_cancel);
      break;
    case STAGE_DONE:
    default:
      break;
    }
  return G_SOURCE_REMOVE;
}

static void
enqueue (Request *r)
{
  DrdKepcoClient *self = r->client;

  r->stage = STAGE_QUEUED;
  g_queue_push_tail (&self->queue, r);
  r->queue_link = self->queue.tail;
  notify_counts (self);
  pump (self);
}

static gboolean
on_backoff_done (gpointer data)
{
  Request *r = data;

  g_clear_pointer (&r->backoff_src, g_source_unref);
  enqueue (r);
  return G_SOURCE_REMOVE;
}

static char *
describe (Request *r)
{
  return g_strdup_printf (_("KEPCO day %s for customer %s"), r->date, r->cust_no);
}

/* One attempt is over: count it, feed the breaker, then retry, fail or
 * succeed. error: (transfer full) or NULL with day set. */
static void
attempt_done (Request     *r,
              DrdKepcoDay *day,
              GError      *error,
              gboolean     retryable)
{
  DrdKepcoClient *self = r->client;
  GCancellable *user_cancel = g_task_get_cancellable (r->task);
  gboolean was_probe = r->is_probe;

  clear_source (&r->timeout_src);
  g_clear_object (&r->msg);
  g_clear_object (&r->stream);
  g_clear_pointer (&r->body, g_byte_array_unref);
  g_assert (self->in_flight > 0);
  self->in_flight--;
  if (r->is_probe)
    {
      self->probe_in_flight = FALSE;
      r->is_probe = FALSE;
    }
  notify_counts (self);

  if (user_cancel && g_cancellable_is_cancelled (user_cancel))
    {
      g_clear_error (&error);
      g_clear_pointer (&day, drd_kepco_day_free);
      request_finish_error (r, cancelled_error ());
      pump (self);
      return;
    }

  if (error == NULL)
    {
      self->unusable_streak = 0;
      breaker_success (self);
      request_finish_day (r, day);
      pump (self);
      return;
    }

  self->n_failures++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_FAILURES]);
  set_last_error (self, error->message);
  /* A server that answers, but with something that is not meter data (an
   * HTML page, an empty 200) or behind a certificate we do not trust, is
   * not an outage that passes: count those in a row for the settler. */
  if (g_error_matches (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED)
      || g_error_matches (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_TLS))
    self->unusable_streak++;
  else if (retryable)
    self->unusable_streak = 0;
  if (retryable || g_error_matches (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_TLS))
    breaker_failure (self, was_probe);
  else
    breaker_success (self);   /* a 4xx means the server is up and answering */

  if (retryable && r->attempt < self->max_attempts)
    {
      /* Full jitter: uniform in [0, min(cap, base·2^(n−1))]. */
      guint64 ceiling = (guint64) self->backoff_base_ms << MIN (r->attempt - 1, 30u);
      guint delay;

      ceiling = MIN (ceiling, (guint64) self->backoff_cap_ms);
      delay = (guint) g_rand_int_range (self->jitter, 0, (gint32) MIN (ceiling, (guint64) G_MAXINT32 - 1) + 1);
      self->n_retries++;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_RETRIES]);
      g_debug ("%s: attempt %u failed (%s); retrying in %u ms",
               r->cust_no, r->attempt, self->last_error, delay);
      g_signal_emit (self, signals[SIGNAL_RETRY_SCHEDULED], 0, r->attempt, delay, (guint) ceiling);
      g_clear_error (&error);
      r->stage = STAGE_BACKOFF;
      r->backoff_src = timeout_here (delay, on_backoff_done, r);
    }
  else
    {
      if (retryable && self->max_attempts > 1)
        g_prefix_error (&error, _("gave up after %u attempts: "), r->attempt);
      request_finish_error (r, error);
    }
  pump (self);
}

static void
fail_attempt (Request    *r,
              gint        code,
              gboolean    retryable,
              const char *detail)
{
  g_autofree char *what = describe (r);
  g_autofree char *redacted = drd_kepco_client_redact (r->client, detail);

  attempt_done (r, NULL,
                g_error_new (DRD_KEPCO_ERROR, code, "%s: %s", what, redacted),
                retryable);
}

/* What came back instead of a meter day, for the operator: "an empty
 * answer (HTTP 200)", "an HTML page (HTTP 200, text/html) starting
 * “<html><body>Service…”". */
static char *
describe_body (Request *r)
{
  const char *type = soup_message_headers_get_content_type (soup_message_get_response_headers (r->msg),
                                                            NULL);
  guint status = soup_message_get_status (r->msg);
  const char *p = (const char *) r->body->data, *end = p + r->body->len;
  g_autoptr(GString) start = g_string_new (NULL);
  const char *kind;

  while (p < end && g_ascii_isspace (*p))
    p++;
  if (p == end)
    return g_strdup_printf (_("an empty answer (HTTP %u)"), status);
  for (const char *q = p; q < end && start->len < 40; q++)
    g_string_append_c (start, (*q >= 0x20 && *q < 0x7f) ? *q : '?');
  if (end - p > 40)
    g_string_append (start, "…");
  if (*p == '<' || (type != NULL && (strstr (type, "html") != NULL || strstr (type, "xml") != NULL)))
    kind = _("an HTML or XML page instead of JSON");
  else
    kind = _("an answer that is not KEPCO meter data");
  return g_strdup_printf (_("%s (HTTP %u, %s) starting “%s”"), kind, status,
                          type != NULL ? type : _("no Content-Type"), start->str);
}

static void
evaluate (Request *r)
{
  guint status = soup_message_get_status (r->msg);
  g_autoptr(GError) error = NULL;
  DrdKepcoDay *day;

  if (status >= 500)
    {
      g_autofree char *detail = g_strdup_printf ("HTTP %u %s", status,
                                                 soup_message_get_reason_phrase (r->msg));
      fail_attempt (r, DRD_KEPCO_ERROR_HTTP_SERVER, TRUE, detail);
      return;
    }
  if (status == SOUP_STATUS_REQUEST_TIMEOUT || status == 429)
    {
      /* 408 and 429 are the two 4xx that say "later", not "wrong". */
      g_autofree char *detail = g_strdup_printf ("HTTP %u %s", status,
                                                 soup_message_get_reason_phrase (r->msg));
      fail_attempt (r, DRD_KEPCO_ERROR_HTTP_SERVER, TRUE, detail);
      return;
    }
  if (status < 200 || status >= 300)
    {
      g_autofree char *detail = g_strdup_printf (_("HTTP %u %s (not retried)"), status,
                                                 soup_message_get_reason_phrase (r->msg));
      fail_attempt (r, DRD_KEPCO_ERROR_HTTP_CLIENT, FALSE, detail);
      return;
    }

  day = drd_kepco_parse_day ((const char *) r->body->data, r->body->len,
                             r->cust_no, r->date, &error);
  if (day == NULL)
    {
      g_autofree char *what = describe_body (r);
      g_autofree char *detail = g_strdup_printf ("%s: %s", what, error->message);

      fail_attempt (r, DRD_KEPCO_ERROR_MALFORMED, TRUE, detail);
      return;
    }
  attempt_done (r, day, NULL, FALSE);
}

static void
transport_failed (Request *r,
                  GError  *error)
{
  if (r->timed_out)
    {
      g_autofree char *detail = g_strdup_printf (_("no answer within %u ms"), r->client->timeout_ms);
      fail_attempt (r, DRD_KEPCO_ERROR_TIMEOUT, TRUE, detail);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    attempt_done (r, NULL, cancelled_error (), FALSE);
  else if (error->domain == G_TLS_ERROR)
    {
      g_autofree char *detail = g_strdup_printf (_("the server's TLS certificate is not trusted "
                                                   "(%s); not retried"), error->message);
      fail_attempt (r, DRD_KEPCO_ERROR_TLS, FALSE, detail);
    }
  else
    fail_attempt (r, DRD_KEPCO_ERROR_NETWORK, TRUE, error->message);
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Request *r = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);

  if (chunk == NULL)
    {
      transport_failed (r, error);
      return;
    }
  if (g_bytes_get_size (chunk) == 0)
    {
      evaluate (r);
      return;
    }
  if (r->body->len + g_bytes_get_size (chunk) > DRD_KEPCO_MAX_BODY_BYTES)
    {
      fail_attempt (r, DRD_KEPCO_ERROR_MALFORMED, TRUE, _("the answer is larger than any meter day"));
      return;
    }
  g_byte_array_append (r->body, g_bytes_get_data (chunk, NULL), (guint) g_bytes_get_size (chunk));
  g_input_stream_read_bytes_async (r->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   r->attempt_cancel, on_read, r);
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Request *r = data;
  g_autoptr(GError) error = NULL;

  r->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (r->stream == NULL)
    {
      transport_failed (r, error);
      return;
    }
  r->body = g_byte_array_sized_new (4096);
  g_input_stream_read_bytes_async (r->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   r->attempt_cancel, on_read, r);
}

static gboolean
on_attempt_timeout (gpointer data)
{
  Request *r = data;

  g_clear_pointer (&r->timeout_src, g_source_unref);
  r->timed_out = TRUE;
  g_cancellable_cancel (r->attempt_cancel);
  return G_SOURCE_REMOVE;
}

static void
send_attempt (Request *r)
{
  DrdKepcoClient *self = r->client;
  g_autofree char *esc_cust = g_uri_escape_string (r->cust_no, NULL, FALSE);
  g_autofree char *uri = NULL;

  uri = g_strdup_printf ("%s" API_PATH "?serviceKey=%s&returnType=02&custNo=%s&date=%s",
                         self->base_url, self->service_key_escaped, esc_cust, r->date);
  r->msg = soup_message_new ("GET", uri);
  if (r->msg == NULL)
    {
      /* Only a broken base URL gets here; it would fail every time. */
      self->in_flight++;
      r->stage = STAGE_SENDING;
      r->attempt = self->max_attempts;
      fail_attempt (r, DRD_KEPCO_ERROR_INVALID_ARGUMENT, FALSE, _("the KEPCO base URL is not a valid http(s) URL"));
      return;
    }
  /* A redirect would carry the key to wherever it points. */
  soup_message_add_flags (r->msg, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_headers_replace (soup_message_get_request_headers (r->msg), "Accept", "application/json");

  if (g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN) == FALSE)
    {
      g_autofree char *shown = drd_kepco_client_redact (self, uri);
      g_debug ("GET %s (attempt %u)", shown, r->attempt + 1);
    }

  self->in_flight++;
  self->n_requests++;
  r->attempt++;
  r->stage = STAGE_SENDING;
  r->timed_out = FALSE;
  g_clear_object (&r->attempt_cancel);
  r->attempt_cancel = g_cancellable_new ();
  if (self->timeout_ms > 0)
    r->timeout_src = timeout_here (self->timeout_ms, on_attempt_timeout, r);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_REQUESTS]);
  notify_counts (self);
  soup_session_send_async (self->session, r->msg, G_PRIORITY_DEFAULT, r->attempt_cancel, on_sent, r);
}

static void
pump (DrdKepcoClient *self)
{
  /* Finishing a task can run a callback that fetches again: the outer
   * call keeps draining. */
  if (self->pumping)
    return;
  self->pumping = TRUE;
  while (self->in_flight < self->max_in_flight && self->queue.length > 0)
    {
      Request *r = g_queue_pop_head (&self->queue);

      r->queue_link = NULL;
      notify_counts (self);
      if (!breaker_admit (self, r))
        {
          g_autofree char *what = describe (r);
          GError *error = g_error_new (DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_BREAKER_OPEN,
                                       _("%s: the KEPCO link is considered down after repeated failures; "
                                         "try again later (last error: %s)"),
                                       what, self->last_error ? self->last_error : _("none"));
          self->n_rejected++;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_REJECTED]);
          request_finish_error (r, error);
          continue;
        }
      send_attempt (r);
    }
  self->pumping = FALSE;
}

void
drd_kepco_client_fetch_day_async (DrdKepcoClient      *self,
                                  const char          *cust_no,
                                  const char          *date,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;
  Request *r;
  char norm[9];

  g_return_if_fail (DRD_IS_KEPCO_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, drd_kepco_client_fetch_day_async);
  g_task_set_name (task, "drd-kepco-fetch-day");

  if (!drd_kepco_cust_no_is_valid (cust_no))
    {
      g_task_return_new_error (task, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_INVALID_ARGUMENT,
                               _("KEPCO customer number must be 1 to 20 digits"));
      g_object_unref (task);
      return;
    }
  if (!drd_kepco_normalize_date (date, norm))
    {
      g_task_return_new_error (task, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_INVALID_ARGUMENT,
                               _("meter day must be a valid YYYYMMDD or YYYY-MM-DD date"));
      g_object_unref (task);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  r = g_new0 (Request, 1);
  r->client = self;
  r->task = task;
  r->cust_no = g_strdup (cust_no);
  memcpy (r->date, norm, sizeof r->date);
  g_task_set_task_data (task, r, request_free);
  if (cancellable)
    {
      r->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (r->cancel_source, (GSourceFunc) (GCallback) on_user_cancelled, r, NULL);
      g_source_attach (r->cancel_source, g_task_get_context (task));
    }
  enqueue (r);
}

DrdKepcoDay *
drd_kepco_client_fetch_day_finish (DrdKepcoClient  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (DRD_IS_KEPCO_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == drd_kepco_client_fetch_day_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

DrdKepcoBreakerState
drd_kepco_client_get_breaker_state (DrdKepcoClient *self)
{
  g_return_val_if_fail (DRD_IS_KEPCO_CLIENT (self), DRD_KEPCO_BREAKER_CLOSED);
  return self->breaker;
}

void
drd_kepco_client_reset_breaker (DrdKepcoClient *self)
{
  g_return_if_fail (DRD_IS_KEPCO_CLIENT (self));
  breaker_clear (self);
  set_breaker (self, DRD_KEPCO_BREAKER_CLOSED);
}

gboolean
drd_kepco_client_answers_unusable (DrdKepcoClient *self)
{
  g_return_val_if_fail (DRD_IS_KEPCO_CLIENT (self), FALSE);
  return self->unusable_streak >= MAX (self->breaker_threshold, 1u);
}

char *
drd_kepco_client_dup_last_error (DrdKepcoClient *self)
{
  g_return_val_if_fail (DRD_IS_KEPCO_CLIENT (self), NULL);
  return g_strdup (self->last_error);
}

guint64 drd_kepco_client_get_n_requests (DrdKepcoClient *self) { g_return_val_if_fail (DRD_IS_KEPCO_CLIENT (self), 0); return self->n_requests; }
guint64 drd_kepco_client_get_n_failures (DrdKepcoClient *self) { g_return_val_if_fail (DRD_IS_KEPCO_CLIENT (self), 0); return self->n_failures; }
guint64 drd_kepco_client_get_n_retries (DrdKepcoClient *self) { g_return_val_if_fail (DRD_IS_KEPCO_CLIENT (self), 0); return self->n_retries; }
guint64 drd_kepco_client_get_n_rejected (DrdKepcoClient *self) { g_return_val_if_fail (DRD_IS_KEPCO_CLIENT (self), 0); return self->n_rejected; }
guint drd_kepco_client_get_n_in_flight (DrdKepcoClient *self) { g_return_val_if_fail (DRD_IS_KEPCO_CLIENT (self), 0); return self->in_flight; }
guint drd_kepco_client_get_n_queued (DrdKepcoClient *self) { g_return_val_if_fail (DRD_IS_KEPCO_CLIENT (self), 0); return self->queue.length; }

void
drd_kepco_client_set_clock (DrdKepcoClient    *self,
                            DrdKepcoClockFunc  func,
                            gpointer           user_data)
{
  g_return_if_fail (DRD_IS_KEPCO_CLIENT (self));
  self->clock = func;
  self->clock_data = user_data;
}

void
drd_kepco_client_set_jitter_seed (DrdKepcoClient *self,
                                  guint32         seed)
{
  g_return_if_fail (DRD_IS_KEPCO_CLIENT (self));
  g_rand_set_seed (self->jitter, seed);
}

DrdKepcoClient *
drd_kepco_client_new (const char *base_url,
                      const char *service_key)
{
  g_return_val_if_fail (base_url != NULL, NULL);
  g_return_val_if_fail (service_key != NULL, NULL);
  return g_object_new (DRD_TYPE_KEPCO_CLIENT,
                       "base-url", base_url,
                       "service-key", service_key,
                       NULL);
}

static void
drd_kepco_client_constructed (GObject *object)
{
  DrdKepcoClient *self = DRD_KEPCO_CLIENT (object);

  G_OBJECT_CLASS (drd_kepco_client_parent_class)->constructed (object);

  /* Our own queue bounds concurrency; libsoup's per-host limit (6 by
   * default) must not add a second, hidden queue under our timeouts. */
  self->session = soup_session_new_with_options ("max-conns", 1024,
                                                 "max-conns-per-host", 1024,
                                                 "timeout", 0,
                                                 "idle-timeout", 60,
                                                 "user-agent", "drdesk/" PACKAGE_VERSION,
                                                 NULL);
}

static void
drd_kepco_client_dispose (GObject *object)
{
  DrdKepcoClient *self = DRD_KEPCO_CLIENT (object);

  /* Every request holds a reference through its GTask: nothing is pending
   * when we get here. */
  clear_source (&self->cooldown_src);
  if (self->session)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (drd_kepco_client_parent_class)->dispose (object);
}

static void
drd_kepco_client_finalize (GObject *object)
{
  DrdKepcoClient *self = DRD_KEPCO_CLIENT (object);

  g_free (self->base_url);
  if (self->service_key)
    memset (self->service_key, 0, strlen (self->service_key));
  g_free (self->service_key);
  g_free (self->service_key_escaped);
  g_free (self->service_key_unescaped);
  g_free (self->last_error);
  g_free (self->outcomes);
  g_rand_free (self->jitter);

  G_OBJECT_CLASS (drd_kepco_client_parent_class)->finalize (object);
}

static void
drd_kepco_client_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  DrdKepcoClient *self = DRD_KEPCO_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL: g_value_set_string (value, self->base_url); break;
    case PROP_MAX_IN_FLIGHT: g_value_set_uint (value, self->max_in_flight); break;
    case PROP_TIMEOUT_MS: g_value_set_uint (value, self->timeout_ms); break;
    case PROP_MAX_ATTEMPTS: g_value_set_uint (value, self->max_attempts); break;
    case PROP_BACKOFF_BASE_MS: g_value_set_uint (value, self->backoff_base_ms); break;
    case PROP_BACKOFF_CAP_MS: g_value_set_uint (value, self->backoff_cap_ms); break;
    case PROP_BREAKER_THRESHOLD: g_value_set_uint (value, self->breaker_threshold); break;
    case PROP_BREAKER_WINDOW: g_value_set_uint (value, self->breaker_window); break;
    case PROP_BREAKER_COOLDOWN_MS: g_value_set_uint (value, self->breaker_cooldown_ms); break;
    case PROP_BREAKER_STATE: g_value_set_enum (value, self->breaker); break;
    case PROP_LAST_ERROR: g_value_set_string (value, self->last_error); break;
    case PROP_N_REQUESTS: g_value_set_uint64 (value, self->n_requests); break;
    case PROP_N_FAILURES: g_value_set_uint64 (value, self->n_failures); break;
    case PROP_N_RETRIES: g_value_set_uint64 (value, self->n_retries); break;
    case PROP_N_REJECTED: g_value_set_uint64 (value, self->n_rejected); break;
    case PROP_N_IN_FLIGHT: g_value_set_uint (value, self->in_flight); break;
    case PROP_N_QUEUED: g_value_set_uint (value, self->queue.length); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_uint_prop (DrdKepcoClient *self,
               guint          *field,
               const GValue   *value,
               guint           prop_id)
{
  guint v = g_value_get_uint (value);

  if (*field == v)
    return;
  *field = v;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static gboolean
looks_escaped (const char *key)
{
  for (const char *p = key; *p; p++)
    if (p[0] == '%' && g_ascii_isxdigit (p[1]) && g_ascii_isxdigit (p[2]))
      return TRUE;
  return FALSE;
}

static void
drd_kepco_client_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  DrdKepcoClient *self = DRD_KEPCO_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      {
        const char *url = g_value_get_string (value);
        gsize len = url ? strlen (url) : 0;

        while (len > 0 && url[len - 1] == '/')
          len--;
        g_free (self->base_url);
        self->base_url = g_strndup (url ? url : "", len);
        break;
      }
    case PROP_SERVICE_KEY:
      g_free (self->service_key);
      g_free (self->service_key_escaped);
      g_clear_pointer (&self->service_key_unescaped, g_free);
      self->service_key = g_value_dup_string (value);
      if (self->service_key == NULL)
        self->service_key = g_strdup ("");
      /* data.go.kr hands out the key twice, "encoded" and "decoded"; an
       * encoded one (with %XX) goes out as it is, a decoded one is escaped. */
      if (looks_escaped (self->service_key))
        {
          self->service_key_escaped = g_strdup (self->service_key);
          self->service_key_unescaped = g_uri_unescape_string (self->service_key, NULL);
        }
      else
        self->service_key_escaped = g_uri_escape_string (self->service_key, NULL, FALSE);
      break;
    case PROP_MAX_IN_FLIGHT:
      set_uint_prop (self, &self->max_in_flight, value, prop_id);
      pump (self);
      break;
    case PROP_TIMEOUT_MS: set_uint_prop (self, &self->timeout_ms, value, prop_id); break;
    case PROP_MAX_ATTEMPTS: set_uint_prop (self, &self->max_attempts, value, prop_id); break;
    case PROP_BACKOFF_BASE_MS: set_uint_prop (self, &self->backoff_base_ms, value, prop_id); break;
    case PROP_BACKOFF_CAP_MS: set_uint_prop (self, &self->backoff_cap_ms, value, prop_id); break;
    case PROP_BREAKER_THRESHOLD:
      set_uint_prop (self, &self->breaker_threshold, value, prop_id);
      breaker_clear (self);
      break;
    case PROP_BREAKER_WINDOW:
      set_uint_prop (self, &self->breaker_window, value, prop_id);
      breaker_clear (self);
      break;
    case PROP_BREAKER_COOLDOWN_MS: set_uint_prop (self, &self->breaker_cooldown_ms, value, prop_id); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
drd_kepco_client_class_init (DrdKepcoClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->constructed = drd_kepco_client_constructed;
  object_class->dispose = drd_kepco_client_dispose;
  object_class->finalize = drd_kepco_client_finalize;
  object_class->get_property = drd_kepco_client_get_property;
  object_class->set_property = drd_kepco_client_set_property;

  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* Write-only: nobody reads the key back out of the object. */
  properties[PROP_SERVICE_KEY] =
    g_param_spec_string ("service-key", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_IN_FLIGHT] =
    g_param_spec_uint ("max-in-flight", NULL, NULL, 1, 1024, 8, rw | G_PARAM_CONSTRUCT);
  properties[PROP_TIMEOUT_MS] =
    g_param_spec_uint ("timeout-ms", NULL, NULL, 0, G_MAXINT, 15000, rw | G_PARAM_CONSTRUCT);
  properties[PROP_MAX_ATTEMPTS] =
    g_param_spec_uint ("max-attempts", NULL, NULL, 1, 100, 4, rw | G_PARAM_CONSTRUCT);
  properties[PROP_BACKOFF_BASE_MS] =
    g_param_spec_uint ("backoff-base-ms", NULL, NULL, 0, G_MAXINT, 500, rw | G_PARAM_CONSTRUCT);
  properties[PROP_BACKOFF_CAP_MS] =
    g_param_spec_uint ("backoff-cap-ms", NULL, NULL, 0, G_MAXINT, 8000, rw | G_PARAM_CONSTRUCT);
  /* Failed attempts among the last "breaker-window" that open the
   * breaker (see "the circuit breaker" above). */
  properties[PROP_BREAKER_THRESHOLD] =
    g_param_spec_uint ("breaker-threshold", NULL, NULL, 1, 100000, 27, rw | G_PARAM_CONSTRUCT);
  properties[PROP_BREAKER_WINDOW] =
    g_param_spec_uint ("breaker-window", NULL, NULL, 1, 100000, 30, rw | G_PARAM_CONSTRUCT);
  properties[PROP_BREAKER_COOLDOWN_MS] =
    g_param_spec_uint ("breaker-cooldown-ms", NULL, NULL, 0, G_MAXINT, 30000, rw | G_PARAM_CONSTRUCT);
  properties[PROP_BREAKER_STATE] =
    g_param_spec_enum ("breaker-state", NULL, NULL, DRD_TYPE_KEPCO_BREAKER_STATE,
                       DRD_KEPCO_BREAKER_CLOSED, ro);
  properties[PROP_LAST_ERROR] =
    g_param_spec_string ("last-error", NULL, NULL, NULL, ro);
  properties[PROP_N_REQUESTS] =
    g_param_spec_uint64 ("n-requests", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_N_FAILURES] =
    g_param_spec_uint64 ("n-failures", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_N_RETRIES] =
    g_param_spec_uint64 ("n-retries", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_N_REJECTED] =
    g_param_spec_uint64 ("n-rejected", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_N_IN_FLIGHT] =
    g_param_spec_uint ("n-in-flight", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_N_QUEUED] =
    g_param_spec_uint ("n-queued", NULL, NULL, 0, G_MAXUINT, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* (failed attempt number from 1, chosen delay ms, its ceiling ms) */
  signals[SIGNAL_RETRY_SCHEDULED] =
    g_signal_new ("retry-scheduled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_UINT);
}

static void
drd_kepco_client_init (DrdKepcoClient *self)
{
  g_queue_init (&self->queue);
  self->jitter = g_rand_new ();
  self->breaker = DRD_KEPCO_BREAKER_CLOSED;
}
