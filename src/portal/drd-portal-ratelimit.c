/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "portal/drd-portal-ratelimit.h"

#include <string.h>

#define DEFAULT_MAX_KEYS 65536
#define OVERFLOW_SLOTS 1024
/* A full table is swept for idle buckets at most this often. */
#define SWEEP_INTERVAL_US (G_USEC_PER_SEC / 2)

typedef struct {
  double tokens;
  gint64 last_us;
} Bucket;

struct _DrdPortalRateLimit {
  double      rate;
  double      burst;
  guint       max_keys;
  GHashTable *buckets;        /* key (owned) → Bucket (owned) */
  gint64      last_sweep_us;
  Bucket     *overflow;       /* OVERFLOW_SLOTS */
  guint8      hash_key[32];   /* random: the overflow slot of a key is unguessable */
};

DrdPortalRateLimit *
drd_portal_rate_limit_new (double rate,
                           double burst,
                           guint  max_keys)
{
  DrdPortalRateLimit *self = g_new0 (DrdPortalRateLimit, 1);

  self->rate = MAX (rate, 0);
  self->burst = MAX (burst, 1);
  self->max_keys = max_keys > 0 ? max_keys : DEFAULT_MAX_KEYS;
  self->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->overflow = g_new0 (Bucket, OVERFLOW_SLOTS);
  for (guint i = 0; i < sizeof self->hash_key; i += 4)
    {
      guint32 r = g_random_int ();
      memcpy (self->hash_key + i, &r, 4);
    }
  return self;
}

void
drd_portal_rate_limit_free (DrdPortalRateLimit *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->buckets);
  g_free (self->overflow);
  g_free (self);
}

/* Refills @b up to @now_us; a bucket never seen starts full. */
static void
refill (DrdPortalRateLimit *self,
        Bucket             *b,
        gint64              now_us)
{
  if (b->last_us == 0)
    b->tokens = self->burst;
  else if (now_us > b->last_us)
    b->tokens = MIN (self->burst, b->tokens + (now_us - b->last_us) * self->rate / G_USEC_PER_SEC);
  b->last_us = MAX (now_us, b->last_us);
}

static gboolean
take (DrdPortalRateLimit *self,
      Bucket             *b,
      gint64              now_us)
{
  refill (self, b, now_us);
  if (b->tokens < 1.0)
    return FALSE;
  b->tokens -= 1.0;
  return TRUE;
}

/* Drops buckets that are full again: their keys start afresh exactly as
 * if they had been kept. */
static void
sweep (DrdPortalRateLimit *self,
       gint64              now_us)
{
  GHashTableIter iter;
  gpointer value;

  self->last_sweep_us = now_us;
  g_hash_table_iter_init (&iter, self->buckets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Bucket *b = value;

      refill (self, b, now_us);
      if (b->tokens >= self->burst)
        g_hash_table_iter_remove (&iter);
    }
}

static Bucket *
overflow_slot (DrdPortalRateLimit *self,
               const char         *key)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, self->hash_key, sizeof self->hash_key);
  guint8 digest[32];
  gsize len = sizeof digest;
  guint32 slot;

  g_hmac_update (hmac, (const guchar *) key, -1);
  g_hmac_get_digest (hmac, digest, &len);
  memcpy (&slot, digest, sizeof slot);
  return &self->overflow[slot % OVERFLOW_SLOTS];
}

gboolean
drd_portal_rate_limit_take (DrdPortalRateLimit *self,
                            const char         *key,
                            gint64              now_us)
{
  Bucket *b;

  if (self->rate <= 0)
    return TRUE;
  if (key == NULL)
    key = "";

  b = g_hash_table_lookup (self->buckets, key);
  if (b == NULL)
    {
      if (g_hash_table_size (self->buckets) >= self->max_keys &&
          (self->last_sweep_us == 0 || now_us - self->last_sweep_us >= SWEEP_INTERVAL_US))
        sweep (self, now_us);
      if (g_hash_table_size (self->buckets) >= self->max_keys)
        return take (self, overflow_slot (self, key), now_us);
      b = g_new0 (Bucket, 1);
      g_hash_table_insert (self->buckets, g_strdup (key), b);
    }
  return take (self, b, now_us);
}

guint
drd_portal_rate_limit_get_size (DrdPortalRateLimit *self)
{
  return g_hash_table_size (self->buckets);
}
