/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One customer's answer-link facts, for showing that customer's link
 * (the window's link dialog); the event-wide list is
 * drd_store_portal_list_links(). No GTK here. */
#pragma once

#include "store/drd-store.h"

G_BEGIN_DECLS

/* The customer's token generation (what the link is derived from) and
 * whether a token hash is stored (FALSE: the link does not work until
 * drd_store_portal_ensure_tokens ran). NOT_FOUND for an unknown customer.
 * Reader; blocking. */
gboolean drd_store_link_generation (DrdStore  *store,
                                    gint64     customer_id,
                                    gint64    *out_generation,
                                    gboolean  *out_has_hash,
                                    GError   **error);

G_END_DECLS
