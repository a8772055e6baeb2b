/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "portal/drd-portal-ratelimit.h"

typedef struct {
  double tokens;
  gint64 last_us;
} Bucket;

struct _DrdPortalRateLimit {
  double  rate;
  double  burst;
  guint   n_slots;
  Bucket *slots;
};

DrdPortalRateLimit *
drd_portal_rate_limit_new (double rate,
                           double burst,
                           guint  n_slots)
{
  DrdPortalRateLimit *self = g_new0 (DrdPortalRateLimit, 1);

  self->rate = MAX (rate, 0);
  self->burst = MAX (burst, 1);
  self->n_slots = MAX (n_slots, 1);
  self->slots = g_new0 (Bucket, self->n_slots);
  return self;
}

void
drd_portal_rate_limit_free (DrdPortalRateLimit *self)
{
  if (self == NULL)
    return;
  g_free (self->slots);
  g_free (self);
}

gboolean
drd_portal_rate_limit_take (DrdPortalRateLimit *self,
                            const char         *client,
                            gint64              now_us)
{
  Bucket *b;

  if (self->rate <= 0)
    return TRUE;

  b = &self->slots[g_str_hash (client ? client : "") % self->n_slots];
  if (b->last_us == 0)
    b->tokens = self->burst;
  else if (now_us > b->last_us)
    b->tokens = MIN (self->burst, b->tokens + (now_us - b->last_us) * self->rate / G_USEC_PER_SEC);
  b->last_us = MAX (now_us, b->last_us);

  if (b->tokens < 1.0)
    return FALSE;
  b->tokens -= 1.0;
  return TRUE;
}
