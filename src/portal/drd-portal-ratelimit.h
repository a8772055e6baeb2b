/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Per-client request rate limit: a token bucket per client address, in a
 * fixed-size table (bounded memory whatever the number of clients). Two
 * clients whose addresses hash to the same slot share a bucket; with the
 * default table size that is rare, and it can only make the limit
 * stricter, never let anyone through who should not be. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DrdPortalRateLimit DrdPortalRateLimit;

/* @rate: requests per second allowed on average per client (0 = no
 * limit); @burst: bucket size (requests allowed at once). */
DrdPortalRateLimit *drd_portal_rate_limit_new (double rate,
                                               double burst,
                                               guint  n_slots);
void                drd_portal_rate_limit_free (DrdPortalRateLimit *self);

/* Takes one token for @client at @now_us (monotonic µs). FALSE = over
 * the limit (answer 429). */
gboolean drd_portal_rate_limit_take (DrdPortalRateLimit *self,
                                     const char         *client,
                                     gint64              now_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdPortalRateLimit, drd_portal_rate_limit_free)

G_END_DECLS
