/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Who the client of a request is, when the portal sits behind reverse
 * proxies: the Forwarded (RFC 7239) or X-Forwarded-For chain is believed
 * only when the TCP peer is a trusted proxy, and then only as far as it
 * runs through trusted proxies — the client is the right-most address
 * that is not one (everything left of it was written by the client
 * itself and proves nothing). Pure; tested directly. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _DrdTrustedProxies DrdTrustedProxies;

/* @specs: addresses or CIDRs ("192.0.2.1", "10.0.0.0/8", "fd00::/8").
 * NULL on a bad entry, with G_IO_ERROR_INVALID_ARGUMENT naming it. An
 * empty list is valid (trusts nobody). */
DrdTrustedProxies *drd_trusted_proxies_new (const char * const *specs,
                                            GError            **error);
void               drd_trusted_proxies_free (DrdTrustedProxies *self);
guint              drd_trusted_proxies_get_size (DrdTrustedProxies *self);
gboolean           drd_trusted_proxies_contains (DrdTrustedProxies *self,
                                                 GInetAddress      *address);

/* The client's address for a request from @peer carrying these header
 * values (NULL when absent): @peer itself unless it is trusted. Forwarded
 * wins over X-Forwarded-For when both are present. *out_https: the
 * client reached the proxy over https (Forwarded's proto of the client's
 * element, else the right-most X-Forwarded-Proto); FALSE unless @peer is
 * trusted. @self may be NULL (nobody trusted). */
GInetAddress      *drd_trusted_proxies_resolve (DrdTrustedProxies *self,
                                                GInetAddress      *peer,
                                                const char        *forwarded,
                                                const char        *x_forwarded_for,
                                                const char        *x_forwarded_proto,
                                                gboolean          *out_https);

/* The rate-limit identity of @address: its text, except IPv6 addresses,
 * which count per /64 (one subscriber's allocation) and IPv4-mapped IPv6,
 * which counts as the IPv4 address. */
char              *drd_client_key (GInetAddress *address);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdTrustedProxies, drd_trusted_proxies_free)

G_END_DECLS
