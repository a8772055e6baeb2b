/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Store queries of the customer portal, the `links` command and the
 * webhook notifier, built on the store's private API.
 *
 * Answer-link tokens
 * ------------------
 * A link must be re-issuable (`drdeskctl links` may run any number of
 * times and must print the same links) while the database stores only a
 * hash of it. So the token is DERIVED, not stored:
 *
 *   secret = 32 random bytes (256 bits) from getrandom(), kept in
 *            "<database>.secret" (mode 0600, created on first use with
 *            O_EXCL via a temporary file + link(), so two processes racing
 *            end up with the same secret)
 *   token  = base64url-without-padding (HMAC-SHA256 (secret,
 *            "drdesk-link-v1:" customer_id ":" token_generation))
 *            — 43 characters of [A-Za-z0-9_-], 256 bits
 *   stored = customers.token_hash = lowercase hex SHA-256 (token)
 *
 * Lookup: a token that is not 43 URL-safe characters is refused before
 * any database access; otherwise its hash is looked up through the UNIQUE
 * index on token_hash and the stored hash is compared with the computed
 * one in constant time. Hashes are filled in bulk, on the writer thread,
 * for every customer that has none (new customers) — and recomputed for
 * everyone when the secret changed (its fingerprint is kept in the
 * settings table as "portal.secret_id").
 *
 * Rotation (operator action: a leaked link): bump the customer's
 * token_generation and store the new hash in one transaction; the old
 * link stops working at once (`drdeskctl links --rotate CUSTOMER_ID`).
 * Losing the secret file invalidates every link (new secret, new hashes).
 */
#pragma once

#include <gio/gio.h>

#include "core/drd-types.h"
#include "store/drd-store.h"

G_BEGIN_DECLS

#define DRD_LINK_TOKEN_LEN 43
#define DRD_LINK_SECRET_LEN 32

/* ---- token crypto (pure) ---- */

/* TRUE when @token is exactly DRD_LINK_TOKEN_LEN characters of
 * [A-Za-z0-9_-]; NULL-safe. */
gboolean drd_link_token_is_well_formed (const char *token);
char    *drd_link_token_derive (GBytes *secret,
                                gint64  customer_id,
                                gint64  generation);
/* Lowercase hex SHA-256 of the token (64 characters). */
char    *drd_link_token_hash (const char *token);
/* Constant-time comparison of two equally long strings. */
gboolean drd_link_hash_equal (const char *a,
                              const char *b);

/* "<database path>.secret" */
char    *drd_link_secret_path (DrdStore *store);
/* Reads the secret, creating it (mode 0600) when absent. Fails when the
 * file exists with the wrong size or is readable by others. */
GBytes  *drd_link_secret_load_or_create (const char *path,
                                         GError    **error);

/* ---- tokens in the database ---- */

/* The secret of @store's links (the window, serve and links use this).
 * Before any link was issued it is created when absent (as
 * drd_link_secret_load_or_create()); afterwards a missing file, or one
 * that is not the secret the links were made with (its id is kept in the
 * settings table), is an error that says so and names the way out
 * (`drdeskctl links --rotate-all`) — never a silent new secret, which
 * would change every customer's link. Blocking (one read). */
GBytes  *drd_store_portal_open_secret (DrdStore  *store,
                                       GError   **error);
/* A deliberate new secret: every customer's link hash is replaced and the
 * old links stop working (audited 'token.rotate_all'); the new secret
 * replaces <db>.secret. Processes holding the old secret (a running
 * serve or window) must be restarted. Blocking. */
GBytes  *drd_store_portal_rotate_all (DrdStore    *store,
                                      const char  *actor,
                                      guint       *out_n_customers,
                                      GError     **error);

/* Fills token_hash for customers without one (all of them when the
 * secret changed). Runs on the writer thread in its own transaction;
 * blocking: call from a worker or before the main loop. */
gboolean drd_store_portal_ensure_tokens (DrdStore *store,
                                         GBytes   *secret,
                                         guint    *out_n_updated,
                                         GError  **error);
void     drd_store_portal_ensure_tokens_async (DrdStore            *store,
                                               GBytes              *secret,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean drd_store_portal_ensure_tokens_finish (DrdStore      *store,
                                                GAsyncResult  *result,
                                                guint         *out_n_updated,
                                                GError       **error);

/* New token for @customer_id (generation + 1); returns the new token.
 * NOT_FOUND for an unknown customer. Audited ('token.rotate'). */
char    *drd_store_portal_rotate_token (DrdStore   *store,
                                        GBytes     *secret,
                                        gint64      customer_id,
                                        const char *actor,
                                        GError    **error);

/* ---- in-memory token index (the portal's answer fast path) ---- */

/* Maps link tokens to customers without a database round trip: built
 * from customers.token_hash on a reader; a hit is only trusted after the
 * token was re-derived from the secret for that customer and generation
 * and compared in constant time. The index is as fresh as its "epoch"
 * (setting portal.token_epoch, bumped by every fill and rotation in the
 * same transaction): the portal reloads it when the epoch moves, so a
 * rotated link stops working within the portal's poll interval. A miss
 * falls back to the database. About 24 bytes × 2 per customer. */
typedef struct _DrdTokenIndex DrdTokenIndex;

DrdTokenIndex *drd_store_portal_load_token_index (DrdStore *store,
                                                  guint64  *out_epoch,
                                                  GError  **error);
gboolean       drd_store_portal_get_token_epoch (DrdStore *store,
                                                 guint64  *out_epoch,
                                                 GError  **error);
/* TRUE with the customer when @token is the current link of a customer
 * in the index. */
gboolean       drd_token_index_lookup (DrdTokenIndex *index,
                                       GBytes        *secret,
                                       const char    *token,
                                       gint64        *out_customer_id);
guint          drd_token_index_get_size (DrdTokenIndex *index);
void           drd_token_index_free (DrdTokenIndex *index);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdTokenIndex, drd_token_index_free)

/* ---- the portal's reads and writes ---- */

typedef struct {
  gint64          event_id;
  char           *name;
  DrdEventKind    kind;
  gint64          start_at;
  gint64          end_at;
  gint64          answer_deadline;
  DrdEventStatus  status;         /* effective at the query's @now */
  DrdAnswer       answer;
  gint64          answered_at;    /* 0 = never */
  DrdChannel      channel;
} DrdPortalEvent;

typedef struct {
  gint64     customer_id;
  char      *name;
  GPtrArray *events;              /* DrdPortalEvent*, upcoming/running first by start */
} DrdPortalView;

void           drd_portal_event_free (DrdPortalEvent *event);
void           drd_portal_view_free (DrdPortalView *view);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdPortalEvent, drd_portal_event_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdPortalView, drd_portal_view_free)

/* TRUE when answers from the customer (portal/api) are open at @now. */
gboolean drd_portal_event_is_open (const DrdPortalEvent *event,
                                   gint64                now);

/* The customer of @token (well-formed, see above) and the events that
 * concern them at @now: scheduled or running ones, and those that ended
 * or were cancelled within the last 7 days (so the page can say so).
 * NOT_FOUND when no customer has that token. On a reader connection. */
void           drd_store_portal_view_async (DrdStore            *store,
                                            const char          *token,
                                            gint64               now,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
DrdPortalView *drd_store_portal_view_finish (DrdStore      *store,
                                             GAsyncResult  *result,
                                             GError       **error);
DrdPortalView *drd_store_portal_view (DrdStore   *store,
                                      const char *token,
                                      gint64      now,
                                      GError    **error);

/* Records the answer of @token's customer for @event_id through
 * drd_store_record_answer (group commit; completes only once durable).
 * NOT_FOUND for an unknown token or an event not targeting that customer;
 * CLOSED when answers are closed. @out_event (optional) receives the
 * event with the stored answer. */
void     drd_store_portal_answer_async (DrdStore            *store,
                                        const char          *token,
                                        gint64               event_id,
                                        DrdAnswer            answer,
                                        DrdChannel           channel,
                                        gint64               now,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
DrdPortalEvent *drd_store_portal_answer_finish (DrdStore      *store,
                                                GAsyncResult  *result,
                                                GError       **error);
/* The same for a customer already identified (token index hit); finish
 * with drd_store_portal_answer_finish(). */
void     drd_store_portal_answer_customer_async (DrdStore            *store,
                                                 gint64               customer_id,
                                                 gint64               event_id,
                                                 DrdAnswer            answer,
                                                 DrdChannel           channel,
                                                 gint64               now,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);

/* A short string that changes whenever an event is created, changes
 * status or window (what the live page must react to). Reader. */
char    *drd_store_portal_events_fingerprint (DrdStore *store,
                                              gint64    now,
                                              GError  **error);

/* ---- links ---- */

typedef struct {
  gint64  customer_id;
  char   *name;
  char   *phone;        /* NULL = unknown */
  char   *email;
  char   *webhook_url;
  gint64  generation;
} DrdLinkRow;

void drd_link_row_free (DrdLinkRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdLinkRow, drd_link_row_free)

/* Every customer targeted by @event_id, by customer id: GPtrArray of
 * DrdLinkRow*. NOT_FOUND for an unknown event. */
GPtrArray *drd_store_portal_list_links (DrdStore *store,
                                        gint64    event_id,
                                        GError  **error);

/* ---- webhook outbox (see service/drd-notifier.h) ---- */

typedef enum {
  DRD_OUTBOX_PENDING = 0,
  DRD_OUTBOX_SENDING = 1,
  DRD_OUTBOX_DELIVERED = 2,
  DRD_OUTBOX_FAILED = 3,      /* gave up */
} DrdOutboxState;

typedef struct {
  gint64          id;
  gint64          event_id;
  gint64          customer_id;
  char           *url;
  char           *body;              /* JSON object without the link (see below) */
  DrdOutboxState  state;
  gint            attempts;
  gint64          next_attempt_at;
  gint            last_status;       /* HTTP status of the last attempt; 0 = none */
  char           *last_error;
  gint64          delivered_at;      /* 0 = not delivered */
  gint64          token_generation;  /* of the customer, to derive the link */
} DrdOutboxItem;

void drd_outbox_item_free (DrdOutboxItem *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdOutboxItem, drd_outbox_item_free)

typedef struct {
  gint64 pending;     /* waiting for a (first or next) attempt, or being sent */
  gint64 delivered;
  gint64 failed;      /* gave up */
} DrdOutboxCounts;

/* Creates one outbox row per targeted customer of @event_id that has a
 * webhook_url (idempotent: UNIQUE (event_id, customer_id)). The stored
 * body holds the event (no token: the link is derived at delivery time,
 * so the database never holds a usable link). NOT_FOUND for an unknown
 * event. */
gboolean   drd_store_outbox_enqueue_event (DrdStore *store,
                                           gint64    event_id,
                                           gint64    now,
                                           guint    *out_n_created,
                                           GError  **error);
/* Ids (gint64 in a GArray) of events that are scheduled or running at
 * @now and whose customers may need notifying. */
GArray    *drd_store_outbox_open_events (DrdStore *store,
                                         gint64    now,
                                         GError  **error);
/* Moves up to @max due pending rows to sending (attempts + 1) and
 * returns them (DrdOutboxItem*). */
GPtrArray *drd_store_outbox_claim (DrdStore *store,
                                   gint64    now,
                                   guint     max,
                                   GError  **error);
/* sending → delivered. */
gboolean   drd_store_outbox_delivered (DrdStore *store,
                                       gint64    id,
                                       gint      http_status,
                                       gint64    now,
                                       GError  **error);
/* sending → pending at @next_attempt_at, or failed when it is 0. */
gboolean   drd_store_outbox_failed (DrdStore   *store,
                                    gint64      id,
                                    gint        http_status,
                                    const char *message,
                                    gint64      next_attempt_at,
                                    GError    **error);
/* Crash recovery: sending → pending (due now). */
gboolean   drd_store_outbox_reset_sending (DrdStore *store,
                                           gint64    now,
                                           GError  **error);
/* For the operator: counts of an event's notifications … */
gboolean   drd_store_outbox_counts (DrdStore        *store,
                                    gint64           event_id,
                                    DrdOutboxCounts *out_counts,
                                    GError         **error);
/* … and each customer's state (DrdOutboxItem*, by customer id). */
GPtrArray *drd_store_outbox_list (DrdStore *store,
                                  gint64    event_id,
                                  GError  **error);

G_END_DECLS
