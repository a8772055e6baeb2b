/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Request rate limit: a token bucket per key (a client address, or a
 * customer's link token), held in an exact table: two keys never share a
 * bucket, so an attacker cannot pick an address that starves a victim.
 * Memory is bounded: at most @max_keys buckets. When the table is full,
 * buckets that have refilled completely (their key was idle long enough
 * that forgetting it changes nothing) are dropped; if every bucket is
 * still in use, new keys fall back to a small overflow table indexed by a
 * keyed hash (a random key per limiter, so nobody outside can aim at a
 * slot) — stricter for them, never looser for anyone. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DrdPortalRateLimit DrdPortalRateLimit;

/* @rate: requests per second allowed on average per key (0 = no limit);
 * @burst: bucket size (requests allowed at once); @max_keys: most buckets
 * kept (0 = the default, 65,536). */
DrdPortalRateLimit *drd_portal_rate_limit_new (double rate,
                                               double burst,
                                               guint  max_keys);
void                drd_portal_rate_limit_free (DrdPortalRateLimit *self);

/* Takes one token for @key at @now_us (monotonic µs). FALSE = over the
 * limit (answer 429). */
gboolean drd_portal_rate_limit_take (DrdPortalRateLimit *self,
                                     const char         *key,
                                     gint64              now_us);

/* Buckets held in the exact table (tests). */
guint    drd_portal_rate_limit_get_size (DrdPortalRateLimit *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdPortalRateLimit, drd_portal_rate_limit_free)

G_END_DECLS
