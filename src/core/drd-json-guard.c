/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/drd-json-guard.h"

static gboolean
is_ws (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
hex4 (const char *p, const char *end)
{
  int v = 0;

  if (end - p < 4)
    return -1;
  for (int i = 0; i < 4; i++)
    {
      int d = g_ascii_xdigit_value (p[i]);
      if (d < 0)
        return -1;
      v = v * 16 + d;
    }
  return v;
}

static gboolean
fail (const char **error_message, const char *why)
{
  if (error_message != NULL)
    *error_message = why;
  return FALSE;
}

gboolean
drd_json_is_single_object (const char  *data,
                           gsize        len,
                           const char **error_message)
{
  const char *p = data, *end = data + len;
  gsize depth = 0;

  if (data == NULL)
    return fail (error_message, "The body is empty.");
  while (p < end && is_ws (*p))
    p++;
  if (p == end)
    return fail (error_message, "The body is empty.");
  if (*p == '[')
    return fail (error_message, "top level is an array, expected one JSON object");
  if (*p == '"')
    return fail (error_message, "top level is a string, expected one JSON object");
  if (*p != '{')
    return fail (error_message, "The body must be one JSON object.");

  for (; p < end; p++)
    {
      char c = *p;

      if (c == '"')
        {
          /* A string: skip to its closing quote, checking \u escapes. */
          for (p++; p < end && *p != '"'; p++)
            {
              int u, lo;

              if (*p != '\\')
                continue;
              if (++p == end)
                break;
              if (*p != 'u')
                continue;
              u = hex4 (p + 1, end);
              if (u < 0)
                return fail (error_message, "The body has a bad \\u escape.");
              p += 4;
              if (u >= 0xDC00 && u <= 0xDFFF)
                return fail (error_message, "The body has an unpaired surrogate escape.");
              if (u >= 0xD800 && u <= 0xDBFF)
                {
                  if (end - p < 7 || p[1] != '\\' || p[2] != 'u')
                    return fail (error_message, "The body has an unpaired surrogate escape.");
                  lo = hex4 (p + 3, end);
                  if (lo < 0xDC00 || lo > 0xDFFF)
                    return fail (error_message, "The body has an unpaired surrogate escape.");
                  p += 6;
                }
            }
          if (p >= end)
            return fail (error_message, "The body has an unterminated string.");
          continue;
        }
      if (c == '{' || c == '[')
        depth++;
      else if (c == '}' || c == ']')
        {
          if (depth == 0)
            return fail (error_message, "The body has unbalanced brackets.");
          if (--depth == 0)
            {
              if (c != '}')
                return fail (error_message, "The body has unbalanced brackets.");
              for (p++; p < end; p++)
                if (!is_ws (*p))
                  return fail (error_message, "The body must be one JSON object and nothing after it.");
              return TRUE;
            }
        }
    }
  return fail (error_message, "The body ends inside the JSON object.");
}
