/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "portal/drd-portal-proxy.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* More hops than any real deployment; a longer chain is read only this far
 * from the right (what lies beyond is the client's own writing anyway). */
#define MAX_HOPS 32

struct _DrdTrustedProxies {
  GPtrArray *masks;   /* of GInetAddressMask */
};

/* ::ffff:a.b.c.d → a.b.c.d, so that an IPv4 proxy or client seen on a
 * dual-stack socket matches its IPv4 spelling. */
static GInetAddress *
normalize (GInetAddress *address)
{
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    {
      const guint8 *b = g_inet_address_to_bytes (address);
      static const guint8 prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

      if (memcmp (b, prefix, sizeof prefix) == 0)
        return g_inet_address_new_from_bytes (b + 12, G_SOCKET_FAMILY_IPV4);
    }
  return g_object_ref (address);
}

DrdTrustedProxies *
drd_trusted_proxies_new (const char * const *specs,
                         GError            **error)
{
  g_autoptr(GPtrArray) masks = g_ptr_array_new_with_free_func (g_object_unref);
  DrdTrustedProxies *self;

  for (guint i = 0; specs != NULL && specs[i] != NULL; i++)
    {
      g_autofree char *spec = g_strstrip (g_strdup (specs[i]));
      GInetAddressMask *mask;

      if (*spec == '\0')
        continue;
      mask = g_inet_address_mask_new_from_string (spec, NULL);
      if (mask == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not a proxy address; use an IP address or a network in "
                         "CIDR form, such as 192.0.2.10 or 10.0.0.0/8"), spec);
          return NULL;
        }
      g_ptr_array_add (masks, mask);
    }
  self = g_new0 (DrdTrustedProxies, 1);
  self->masks = g_steal_pointer (&masks);
  return self;
}

void
drd_trusted_proxies_free (DrdTrustedProxies *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->masks);
  g_free (self);
}

guint
drd_trusted_proxies_get_size (DrdTrustedProxies *self)
{
  return self != NULL ? self->masks->len : 0;
}

gboolean
drd_trusted_proxies_contains (DrdTrustedProxies *self,
                              GInetAddress      *address)
{
  g_autoptr(GInetAddress) a = NULL;

  if (self == NULL || address == NULL || self->masks->len == 0)
    return FALSE;
  a = normalize (address);
  for (guint i = 0; i < self->masks->len; i++)
    if (g_inet_address_mask_matches (self->masks->pdata[i], a))
      return TRUE;
  return FALSE;
}

/* A node of a chain: "192.0.2.1", "192.0.2.1:4711", "[2001:db8::1]",
 * "[2001:db8::1]:4711", "2001:db8::1". NULL for anything else
 * ("unknown", obfuscated identifiers, garbage). */
static GInetAddress *
parse_node (const char *text,
            gsize       len)
{
  g_autofree char *s = g_strndup (text, len);
  char *p = g_strstrip (s);
  char *colon;

  if (*p == '[')
    {
      char *close = strchr (p, ']');

      if (close == NULL || (close[1] != '\0' && close[1] != ':'))
        return NULL;
      *close = '\0';
      p++;
      if (strchr (p, ':') == NULL)
        return NULL;
    }
  else if ((colon = strchr (p, ':')) != NULL && strchr (colon + 1, ':') == NULL)
    *colon = '\0';   /* IPv4 with a port */
  if (!g_hostname_is_ip_address (p))
    return NULL;
  return g_inet_address_new_from_string (p);
}

typedef struct {
  GInetAddress *address;   /* NULL: present but not an address */
  int           https;     /* 1 https, 0 http, -1 not said */
} Hop;

static void
hop_clear (gpointer data)
{
  Hop *h = data;

  g_clear_object (&h->address);
}

/* Splits @s on @sep outside double quotes (RFC 7239 quoted-string). */
static GPtrArray *
split_outside_quotes (const char *s,
                      char        sep)
{
  GPtrArray *parts = g_ptr_array_new_with_free_func (g_free);
  const char *start = s;
  gboolean quoted = FALSE;

  for (const char *p = s;; p++)
    {
      if (*p == '\0' || (*p == sep && !quoted))
        {
          g_ptr_array_add (parts, g_strndup (start, p - start));
          if (*p == '\0')
            break;
          start = p + 1;
        }
      else if (*p == '\\' && quoted && p[1] != '\0')
        p++;
      else if (*p == '"')
        quoted = !quoted;
    }
  return parts;
}

/* The value of a Forwarded parameter, unquoted. */
static char *
unquote (const char *value)
{
  g_autofree char *v = g_strstrip (g_strdup (value));
  GString *out;
  gsize len = strlen (v);

  if (len < 2 || v[0] != '"' || v[len - 1] != '"')
    return g_steal_pointer (&v);
  out = g_string_new (NULL);
  for (gsize i = 1; i + 1 < len; i++)
    {
      if (v[i] == '\\' && i + 2 < len)
        i++;
      g_string_append_c (out, v[i]);
    }
  return g_string_free (out, FALSE);
}

static GArray *
parse_forwarded (const char *header)
{
  g_autoptr(GPtrArray) elements = split_outside_quotes (header, ',');
  GArray *hops = g_array_new (FALSE, TRUE, sizeof (Hop));

  g_array_set_clear_func (hops, hop_clear);
  for (guint i = 0; i < elements->len; i++)
    {
      g_autoptr(GPtrArray) pairs = split_outside_quotes (elements->pdata[i], ';');
      Hop hop = { NULL, -1 };
      gboolean has_for = FALSE;

      for (guint j = 0; j < pairs->len; j++)
        {
          const char *pair = pairs->pdata[j];
          const char *eq = strchr (pair, '=');
          g_autofree char *name = NULL;
          g_autofree char *value = NULL;

          if (eq == NULL)
            continue;
          name = g_strstrip (g_strndup (pair, eq - pair));
          value = unquote (eq + 1);
          if (g_ascii_strcasecmp (name, "for") == 0 && !has_for)
            {
              has_for = TRUE;
              hop.address = parse_node (value, strlen (value));
            }
          else if (g_ascii_strcasecmp (name, "proto") == 0)
            hop.https = g_ascii_strcasecmp (value, "https") == 0;
        }
      /* An element without "for" says nothing about who sent it; one
       * that is empty (a stray comma) is skipped like in X-Forwarded-For. */
      if (has_for || hop.https != -1)
        g_array_append_val (hops, hop);
      else
        hop_clear (&hop);
    }
  return hops;
}

static GArray *
parse_x_forwarded_for (const char *header)
{
  g_auto(GStrv) parts = g_strsplit (header, ",", -1);
  GArray *hops = g_array_new (FALSE, TRUE, sizeof (Hop));

  g_array_set_clear_func (hops, hop_clear);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      Hop hop = { NULL, -1 };

      if (*g_strstrip (parts[i]) == '\0')
        continue;
      hop.address = parse_node (parts[i], strlen (parts[i]));
      g_array_append_val (hops, hop);
    }
  return hops;
}

GInetAddress *
drd_trusted_proxies_resolve (DrdTrustedProxies *self,
                             GInetAddress      *peer,
                             const char        *forwarded,
                             const char        *x_forwarded_for,
                             const char        *x_forwarded_proto,
                             gboolean          *out_https)
{
  g_autoptr(GArray) hops = NULL;
  GInetAddress *client;
  int https = -1;
  guint seen = 0;

  if (out_https)
    *out_https = FALSE;
  g_return_val_if_fail (G_IS_INET_ADDRESS (peer), NULL);

  client = normalize (peer);
  if (!drd_trusted_proxies_contains (self, client))
    return client;

  if (forwarded != NULL)
    hops = parse_forwarded (forwarded);
  else if (x_forwarded_for != NULL)
    hops = parse_x_forwarded_for (x_forwarded_for);

  /* From the right: each trusted hop vouches for the one before it. */
  for (guint i = hops ? hops->len : 0; i > 0 && seen < MAX_HOPS; i--, seen++)
    {
      Hop *hop = &g_array_index (hops, Hop, i - 1);

      if (hop->address == NULL)
        break;   /* the trusted hop got it from someone it could not name */
      g_object_unref (client);
      client = normalize (hop->address);
      https = hop->https;
      if (!drd_trusted_proxies_contains (self, client))
        break;
    }

  if (https == -1 && x_forwarded_proto != NULL)
    {
      /* The right-most value: the one the nearest (trusted) proxy wrote. */
      const char *comma = strrchr (x_forwarded_proto, ',');
      g_autofree char *last = g_strstrip (g_strdup (comma ? comma + 1 : x_forwarded_proto));

      https = g_ascii_strcasecmp (last, "https") == 0;
    }
  if (out_https)
    *out_https = https == 1;
  return client;
}

char *
drd_client_key (GInetAddress *address)
{
  g_autoptr(GInetAddress) a = normalize (address);

  if (g_inet_address_get_family (a) == G_SOCKET_FAMILY_IPV6)
    {
      guint8 bytes[16];
      g_autoptr(GInetAddress) prefix = NULL;
      g_autofree char *text = NULL;

      memcpy (bytes, g_inet_address_to_bytes (a), 16);
      memset (bytes + 8, 0, 8);
      prefix = g_inet_address_new_from_bytes (bytes, G_SOCKET_FAMILY_IPV6);
      text = g_inet_address_to_string (prefix);
      return g_strconcat (text, "/64", NULL);
    }
  return g_inet_address_to_string (a);
}
