/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "portal/drd-portal-form.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decodes one urlencoded component; NULL (with error) when malformed. */
static char *
decode_component (const char *s,
                  gsize       len,
                  gsize       max_len,
                  GError    **error)
{
  g_autoptr(GString) out = g_string_sized_new (len);

  for (gsize i = 0; i < len; i++)
    {
      char c = s[i];

      if (c == '+')
        c = ' ';
      else if (c == '%')
        {
          int hi, lo;

          if (i + 2 >= len)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "The form contains an incomplete %%-escape.");
              return NULL;
            }
          hi = hex_value (s[i + 1]);
          lo = hex_value (s[i + 2]);
          if (hi < 0 || lo < 0)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "The form contains an invalid %%-escape.");
              return NULL;
            }
          c = (char) (hi * 16 + lo);
          i += 2;
        }
      if (out->len >= max_len)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "A form field is longer than %" G_GSIZE_FORMAT " bytes.", max_len);
          return NULL;
        }
      g_string_append_c (out, c);
    }

  if (!g_utf8_validate_len (out->str, out->len, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The form is not valid UTF-8.");
      return NULL;
    }
  for (gsize i = 0; i < out->len; i++)
    if ((guchar) out->str[i] < 0x20 || out->str[i] == 0x7f)
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     "The form contains control characters.");
        return NULL;
      }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

GHashTable *
drd_portal_form_decode (const char *data,
                        gsize       len,
                        GError    **error)
{
  g_autoptr(GHashTable) fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gsize pos = 0;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  while (pos < len)
    {
      const char *pair = data + pos;
      const char *end = memchr (pair, '&', len - pos);
      gsize pair_len = end ? (gsize) (end - pair) : len - pos;
      const char *eq = memchr (pair, '=', pair_len);
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;

      pos += pair_len + 1;
      if (pair_len == 0)
        continue;
      if (eq == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "A form field has no value.");
          return NULL;
        }
      name = decode_component (pair, eq - pair, DRD_PORTAL_FORM_MAX_VALUE, error);
      if (name == NULL)
        return NULL;
      value = decode_component (eq + 1, pair_len - (eq - pair) - 1,
                                DRD_PORTAL_FORM_MAX_VALUE, error);
      if (value == NULL)
        return NULL;
      if (g_hash_table_contains (fields, name))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "The form field “%s” appears more than once.", name);
          return NULL;
        }
      if (g_hash_table_size (fields) >= DRD_PORTAL_FORM_MAX_FIELDS)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "The form has too many fields.");
          return NULL;
        }
      g_hash_table_insert (fields, g_steal_pointer (&name), g_steal_pointer (&value));
    }

  return g_steal_pointer (&fields);
}

gboolean
drd_portal_parse_event_id (const char *s,
                           gint64     *out)
{
  gint64 v = 0;
  gsize n;

  if (s == NULL)
    return FALSE;
  n = strlen (s);
  if (n == 0 || n > 18 || s[0] == '0')
    return FALSE;
  for (gsize i = 0; i < n; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return FALSE;
      v = v * 10 + (s[i] - '0');
    }
  *out = v;
  return TRUE;
}

gboolean
drd_portal_parse_answer (const char *s,
                         DrdAnswer  *out)
{
  if (g_strcmp0 (s, "accept") == 0)
    *out = DRD_ANSWER_ACCEPT;
  else if (g_strcmp0 (s, "deny") == 0)
    *out = DRD_ANSWER_DENY;
  else
    return FALSE;
  return TRUE;
}

/* Parses "q=0.8" style weights; anything odd counts as 0 (ignored). */
static double
parse_q (const char *params)
{
  const char *q = params;

  while (*q == ' ' || *q == '\t')
    q++;
  if ((q[0] != 'q' && q[0] != 'Q') || q[1] != '=')
    return 1.0;
  q += 2;
  if (q[0] == '1')
    return 1.0;
  if (q[0] != '0')
    return 0.0;
  return g_ascii_strtod (q, NULL);
}

DrdPortalLang
drd_portal_lang_negotiate (const char *accept_language)
{
  double best_ko = -1, best_en = -1;
  g_auto(GStrv) items = NULL;

  if (accept_language == NULL || strlen (accept_language) > 1024)
    return DRD_PORTAL_LANG_KO;

  items = g_strsplit (accept_language, ",", 64);
  for (guint i = 0; items[i] != NULL; i++)
    {
      char *item = g_strstrip (items[i]);
      char *semi = strchr (item, ';');
      double q = 1.0;
      g_autofree char *tag = NULL;

      if (semi != NULL)
        {
          q = parse_q (semi + 1);
          *semi = '\0';
        }
      tag = g_ascii_strdown (g_strstrip (item), -1);
      if (q <= 0)
        continue;
      if (g_str_equal (tag, "ko") || g_str_has_prefix (tag, "ko-"))
        best_ko = MAX (best_ko, q);
      else if (g_str_equal (tag, "en") || g_str_has_prefix (tag, "en-"))
        best_en = MAX (best_en, q);
    }

  /* Ties go to Korean, the portal's first language. */
  return best_en > best_ko ? DRD_PORTAL_LANG_EN : DRD_PORTAL_LANG_KO;
}

gboolean
drd_portal_lang_from_string (const char    *s,
                             DrdPortalLang *out)
{
  if (g_strcmp0 (s, "ko") == 0)
    *out = DRD_PORTAL_LANG_KO;
  else if (g_strcmp0 (s, "en") == 0)
    *out = DRD_PORTAL_LANG_EN;
  else
    return FALSE;
  return TRUE;
}

const char *
drd_portal_lang_to_string (DrdPortalLang lang)
{
  return lang == DRD_PORTAL_LANG_EN ? "en" : "ko";
}

/* One Content-Length field value: 1*DIGIT, or a list of equal ones
 * ("42, 42", which RFC 9112 lets a recipient accept). */
typedef enum { LENGTH_OK, LENGTH_BAD, LENGTH_DIFFERS } LengthCheck;

static LengthCheck
content_length_value (const char *value,
                      guint64    *io_length,
                      gboolean   *io_seen)
{
  g_auto(GStrv) parts = g_strsplit (value, ",", -1);

  if (parts[0] == NULL)
    return LENGTH_BAD;   /* empty */
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *p = g_strstrip (parts[i]);
      gsize len = strlen (p);
      guint64 n = 0;

      if (len == 0 || len > 18)
        return LENGTH_BAD;
      for (gsize j = 0; j < len; j++)
        {
          if (!g_ascii_isdigit (p[j]))
            return LENGTH_BAD;
          n = n * 10 + (guint64) (p[j] - '0');
        }
      if (*io_seen && n != *io_length)
        return LENGTH_DIFFERS;
      *io_seen = TRUE;
      *io_length = n;
    }
  return LENGTH_OK;
}

gboolean
drd_portal_check_framing (SoupMessageHeaders  *headers,
                          const char         **out_why)
{
  SoupMessageHeadersIter iter;
  const char *name, *value;
  guint64 length = 0;
  gboolean have_length = FALSE, have_te = FALSE;
  const char *why = NULL;

  soup_message_headers_iter_init (&iter, headers);
  while (why == NULL && soup_message_headers_iter_next (&iter, &name, &value))
    {
      if (g_ascii_strcasecmp (name, "Content-Length") == 0)
        {
          switch (content_length_value (value, &length, &have_length))
            {
            case LENGTH_DIFFERS:
              why = "The request has two different Content-Length values.";
              break;
            case LENGTH_BAD:
              why = "The request's Content-Length is not a plain decimal number.";
              break;
            case LENGTH_OK:
            default:
              break;
            }
        }
      else if (g_ascii_strcasecmp (name, "Transfer-Encoding") == 0)
        {
          g_autofree char *v = g_strstrip (g_strdup (value));

          if (have_te || g_ascii_strcasecmp (v, "chunked") != 0)
            why = "The request's Transfer-Encoding must be exactly “chunked”.";
          have_te = TRUE;
        }
    }
  if (why == NULL && have_te && have_length)
    why = "The request has both Transfer-Encoding and Content-Length.";
  if (out_why)
    *out_why = why;
  return why == NULL;
}
