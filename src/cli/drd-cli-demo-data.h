/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Deterministic synthetic customers for `drdeskctl demo`. */
#pragma once

#include <glib.h>

#include "core/drd-types.h"

G_BEGIN_DECLS

typedef struct _DrdDemoGen DrdDemoGen;

/* The same SEED always yields the same sequence of customers, whatever
 * N: customer k is the k-th one drawn. WEBHOOK_BASE (may be NULL) gives a
 * few customers a webhook URL "WEBHOOK_BASE/<customer_id>". */
DrdDemoGen  *drd_demo_gen_new (guint32 seed, const char *webhook_base);
void         drd_demo_gen_free (DrdDemoGen *gen);
/* Resource names the generator uses (NULL-terminated, static). */
const char *const *drd_demo_gen_resources (void);
/* Fill C (fields freed/replaced) with the next customer, id = previous + 1. */
void         drd_demo_gen_next (DrdDemoGen *gen, DrdCustomer *c);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdDemoGen, drd_demo_gen_free)

G_END_DECLS
