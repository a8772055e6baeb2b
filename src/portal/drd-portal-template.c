/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "portal/drd-portal-template.h"

#include <gio/gio.h>
#include <string.h>

char *
drd_portal_html_escape (const char *text)
{
  GString *out;

  if (text == NULL)
    return g_strdup ("");

  out = g_string_sized_new (strlen (text) + 16);
  for (const char *p = text; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '&': g_string_append (out, "&amp;"); break;
        case '<': g_string_append (out, "&lt;"); break;
        case '>': g_string_append (out, "&gt;"); break;
        case '"': g_string_append (out, "&quot;"); break;
        case '\'': g_string_append (out, "&#39;"); break;
        default: g_string_append_c (out, *p); break;
        }
    }
  return g_string_free (out, FALSE);
}

char *
drd_portal_template_render (const char *tmpl,
                            GHashTable *vars)
{
  GString *out = g_string_sized_new (strlen (tmpl) + 256);
  const char *p = tmpl;

  while (*p != '\0')
    {
      const char *open = strstr (p, "{{");
      gboolean raw;
      const char *name_start, *close;
      g_autofree char *name = NULL;
      const char *value;

      if (open == NULL)
        {
          g_string_append (out, p);
          break;
        }
      g_string_append_len (out, p, open - p);
      raw = open[2] == '{';
      name_start = open + (raw ? 3 : 2);
      close = strstr (name_start, raw ? "}}}" : "}}");
      if (close == NULL)
        {
          /* Not a placeholder after all: keep the text. */
          g_string_append (out, open);
          break;
        }
      name = g_strstrip (g_strndup (name_start, close - name_start));
      value = vars ? g_hash_table_lookup (vars, name) : NULL;
      if (value != NULL)
        {
          if (raw)
            g_string_append (out, value);
          else
            {
              g_autofree char *escaped = drd_portal_html_escape (value);
              g_string_append (out, escaped);
            }
        }
      p = close + (raw ? 3 : 2);
    }

  return g_string_free (out, FALSE);
}

const char *
drd_portal_template_get (const char *name)
{
  static GHashTable *cache;   /* name → GBytes, read once; guarded by lock */
  static GMutex lock;
  GBytes *bytes;

  g_mutex_lock (&lock);
  if (cache == NULL)
    cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  bytes = g_hash_table_lookup (cache, name);
  if (bytes == NULL)
    {
      g_autofree char *path = g_strconcat ("/kr/drdesk/portal/", name, NULL);

      bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
      if (bytes != NULL)
        g_hash_table_insert (cache, g_strdup (name), bytes);
    }
  g_mutex_unlock (&lock);

  /* Resources are NUL-terminated; a missing template is a build bug. */
  g_return_val_if_fail (bytes != NULL, "");
  return g_bytes_get_data (bytes, NULL);
}
