/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "kepco/drd-kepco-parse.h"
#include "kepco/drd-kepco-parse-private.h"
#include "core/drd-json-guard.h"

#include <glib/gi18n-lib.h>

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

/* json-glib recurses per nesting level; a hostile body of a million '['
 * must not reach it. A real day is three levels deep. */
#define MAX_NESTING 32
/* Untrusted text quoted in messages is cut to this many characters. */
#define QUOTE_MAX 40

G_DEFINE_QUARK (drd-kepco-error-quark, drd_kepco_error)

G_DEFINE_BOXED_TYPE (DrdKepcoDay, drd_kepco_day, drd_kepco_day_copy, drd_kepco_day_free)

static const char slot_fields[DRD_KEPCO_SLOTS_PER_DAY][12] = {
#define H(h) "pwr_qty" #h "15", "pwr_qty" #h "30", "pwr_qty" #h "45"
  H(00), "pwr_qty0100", H(01), "pwr_qty0200", H(02), "pwr_qty0300",
  H(03), "pwr_qty0400", H(04), "pwr_qty0500", H(05), "pwr_qty0600",
  H(06), "pwr_qty0700", H(07), "pwr_qty0800", H(08), "pwr_qty0900",
  H(09), "pwr_qty1000", H(10), "pwr_qty1100", H(11), "pwr_qty1200",
  H(12), "pwr_qty1300", H(13), "pwr_qty1400", H(14), "pwr_qty1500",
  H(15), "pwr_qty1600", H(16), "pwr_qty1700", H(17), "pwr_qty1800",
  H(18), "pwr_qty1900", H(19), "pwr_qty2000", H(20), "pwr_qty2100",
  H(21), "pwr_qty2200", H(22), "pwr_qty2300", H(23), "pwr_qty2400",
#undef H
};

const char *
drd_kepco_slot_field (guint slot)
{
  g_return_val_if_fail (slot < DRD_KEPCO_SLOTS_PER_DAY, NULL);
  return slot_fields[slot];
}

DrdKepcoDay *
drd_kepco_day_new (const char *cust_no,
                   const char *date)
{
  DrdKepcoDay *day = g_new0 (DrdKepcoDay, 1);

  day->status = DRD_KEPCO_DAY_OK;
  day->cust_no = g_strdup (cust_no ? cust_no : "");
  if (date)
    g_strlcpy (day->date, date, sizeof day->date);
  for (guint i = 0; i < DRD_KEPCO_SLOTS_PER_DAY; i++)
    day->wh[i] = DRD_KEPCO_SLOT_MISSING;
  day->n_present = 0;
  return day;
}

DrdKepcoDay *
drd_kepco_day_copy (const DrdKepcoDay *day)
{
  DrdKepcoDay *copy;

  g_return_val_if_fail (day != NULL, NULL);
  copy = g_memdup2 (day, sizeof *day);
  copy->cust_no = g_strdup (day->cust_no);
  return copy;
}

void
drd_kepco_day_free (DrdKepcoDay *day)
{
  if (day == NULL)
    return;
  g_free (day->cust_no);
  g_free (day);
}

gint64
drd_kepco_day_total_wh (const DrdKepcoDay *day)
{
  gint64 sum = 0;

  g_return_val_if_fail (day != NULL, 0);
  for (guint i = 0; i < DRD_KEPCO_SLOTS_PER_DAY; i++)
    if (day->wh[i] >= 0)
      sum += day->wh[i];
  return sum;
}

gboolean
drd_kepco_cust_no_is_valid (const char *cust_no)
{
  gsize n;

  if (cust_no == NULL)
    return FALSE;
  for (n = 0; cust_no[n]; n++)
    if (!g_ascii_isdigit (cust_no[n]) || n >= 20)
      return FALSE;
  return n >= 1;
}

static gboolean
all_digits (const char *s, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  return TRUE;
}

gboolean
drd_kepco_normalize_date (const char *date,
                          char        out[9])
{
  guint y, m, d;
  gsize len;

  if (date == NULL)
    return FALSE;
  len = strlen (date);
  if (len == 8 && all_digits (date, 8))
    {
      y = (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 + (date[3] - '0');
      m = (date[4] - '0') * 10 + (date[5] - '0');
      d = (date[6] - '0') * 10 + (date[7] - '0');
    }
  else if (len == 10 && date[4] == '-' && date[7] == '-' &&
           all_digits (date, 4) && all_digits (date + 5, 2) && all_digits (date + 8, 2))
    {
      y = (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 + (date[3] - '0');
      m = (date[5] - '0') * 10 + (date[6] - '0');
      d = (date[8] - '0') * 10 + (date[9] - '0');
    }
  else
    return FALSE;

  if (y < 1900 || !g_date_valid_dmy (d, m, y))
    return FALSE;
  g_snprintf (out, 9, "%04u%02u%02u", y, m, d);
  return TRUE;
}

gboolean
drd_kepco_kwh_text_to_wh (const char *text,
                          gint32     *out_wh)
{
  const char *p = text;
  char digits[64];
  gsize n_digits = 0, n_frac = 0;
  gboolean negative = FALSE, any_digit = FALSE, nonzero = FALSE;
  gint64 exp10 = 0, shift;
  guint64 value = 0;

  if (text == NULL)
    return FALSE;
  while (*p == ' ')
    p++;
  if (*p == '+' || *p == '-')
    negative = (*p++ == '-');

  /* Mantissa digits without leading zeros; the decimal point only moves
   * the exponent. More than 40 significant digits is not a meter value. */
  for (; g_ascii_isdigit (*p); p++)
    {
      any_digit = TRUE;
      if (n_digits == 0 && *p == '0')
        continue;
      if (n_digits >= 40)
        return FALSE;
      digits[n_digits++] = *p;
    }
  if (*p == '.')
    {
      p++;
      for (; g_ascii_isdigit (*p); p++)
        {
          any_digit = TRUE;
          n_frac++;
          if (n_frac > 40)
            return FALSE;
          if (n_digits == 0 && *p == '0')
            continue;
          if (n_digits >= 40)
            return FALSE;
          digits[n_digits++] = *p;
        }
    }
  if (!any_digit)
    return FALSE;
  if (*p == 'e' || *p == 'E')
    {
      gboolean eneg = FALSE;
      gint64 e = 0;
      gboolean edigit = FALSE;

      p++;
      if (*p == '+' || *p == '-')
        eneg = (*p++ == '-');
      for (; g_ascii_isdigit (*p); p++)
        {
          edigit = TRUE;
          if (e < 100000)
            e = e * 10 + (*p - '0');
        }
      if (!edigit)
        return FALSE;
      exp10 = eneg ? -e : e;
    }
  while (*p == ' ')
    p++;
  if (*p != '\0')
    return FALSE;

  for (gsize i = 0; i < n_digits; i++)
    if (digits[i] != '0')
      nonzero = TRUE;
  if (!nonzero)
    {
      *out_wh = 0;
      return TRUE;
    }
  if (negative)
    return FALSE;

  /* value = digits × 10^(exp10 − n_frac) kWh = digits × 10^shift Wh */
  shift = exp10 - (gint64) n_frac + 3;
  if (shift >= 0)
    {
      if ((gint64) n_digits + shift > 10)
        return FALSE;
      for (gsize i = 0; i < n_digits; i++)
        value = value * 10 + (guint64) (digits[i] - '0');
      for (gint64 i = 0; i < shift; i++)
        value *= 10;
    }
  else
    {
      gint64 keep = (gint64) n_digits + shift;   /* digits left of the Wh point */

      if (keep > 10)
        return FALSE;
      for (gint64 i = 0; i < keep; i++)
        value = value * 10 + (guint64) (digits[i] - '0');
      /* Half up: the first dropped digit decides (≥ 5 means ≥ 0.5 Wh). */
      if (keep >= 0 && digits[keep] >= '5')
        value++;
    }
  if (value > DRD_KEPCO_MAX_SLOT_WH)
    return FALSE;
  *out_wh = (gint32) value;
  return TRUE;
}

gboolean
drd_kepco_kwh_double_to_wh (double  kwh,
                            gint32 *out_wh)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (kwh))
    return FALSE;
  /* A decimal of at most 15 significant digits always comes back from
   * %.15g (trailing zeros dropped), so that is tried first. */
  for (int prec = 15; prec <= 17; prec++)
    {
      char fmt[8];

      g_snprintf (fmt, sizeof fmt, "%%.%dg", prec);
      g_ascii_formatd (buf, sizeof buf, fmt, kwh);
      if (g_ascii_strtod (buf, NULL) == kwh)
        break;
    }
  return drd_kepco_kwh_text_to_wh (buf, out_wh);
}

/* Untrusted text for an error message: cut, never more than a line, and
 * valid UTF-8 even when json-glib unescaped "\ud800" into garbage. */
static char *
sanitize (const char *s,
          glong       max_chars)
{
  GString *out = g_string_new (NULL);
  const char *p = s;
  const char *end = s + strlen (s);

  for (glong n = 0; p < end && n < max_chars; n++)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_c (out, '?');
          p++;
          continue;
        }
      if (c < 0x20 || c == 0x7f)
        g_string_append_c (out, '?');
      else
        g_string_append_unichar (out, c);
      p = g_utf8_next_char (p);
    }
  if (p < end)
    g_string_append (out, "…");
  return g_string_free (out, FALSE);
}

static char *
quote (const char *s)
{
  return sanitize (s, QUOTE_MAX);
}

static gboolean
nesting_ok (const char *body,
            gsize       len)
{
  int depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = body[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > MAX_NESTING)
            return FALSE;
        }
      else if (c == ']' || c == '}')
        depth--;
    }
  return TRUE;
}

static const char *
node_kind (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT: return "an object";
    case JSON_NODE_ARRAY: return "an array";
    case JSON_NODE_NULL: return "null";
    case JSON_NODE_VALUE:
    default:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_STRING: return "a string";
        case G_TYPE_BOOLEAN: return "a boolean";
        default: return "a number";
        }
    }
}

/* Slot index for a member name "pwr_qtyHHMM" (interval-ending), or -1. */
static int
slot_from_field (const char *name)
{
  int hh, mm, minutes;

  if (strncmp (name, "pwr_qty", 7) != 0 || strlen (name) != 11 || !all_digits (name + 7, 4))
    return -1;
  hh = (name[7] - '0') * 10 + (name[8] - '0');
  mm = (name[9] - '0') * 10 + (name[10] - '0');
  if (mm % 15 != 0 || mm >= 60)
    return -1;
  minutes = hh * 60 + mm;
  if (minutes < 15 || minutes > 24 * 60)
    return -1;
  return minutes / 15 - 1;
}

static gboolean
text_member (JsonObject  *obj,
             const char  *name,
             const char **out,
             GError     **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL)
    {
      g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                   _("the day entry has no “%s”"), name);
      return FALSE;
    }
  if (JSON_NODE_TYPE (node) != JSON_NODE_VALUE || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                   _("“%s” is %s, expected a string"), name, node_kind (node));
      return FALSE;
    }
  *out = json_node_get_string (node);
  return TRUE;
}

static gboolean
slot_value (JsonNode    *node,
            const char  *name,
            gint32      *out_wh,
            GError     **error)
{
  gint32 wh = DRD_KEPCO_SLOT_MISSING;

  if (JSON_NODE_TYPE (node) == JSON_NODE_NULL)
    {
      *out_wh = DRD_KEPCO_SLOT_MISSING;
      return TRUE;
    }
  if (JSON_NODE_TYPE (node) != JSON_NODE_VALUE)
    goto bad_type;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      {
        const char *s = json_node_get_string (node);
        const char *p = s;

        while (*p == ' ')
          p++;
        if (*p == '\0')
          {
            *out_wh = DRD_KEPCO_SLOT_MISSING;
            return TRUE;
          }
        if (!drd_kepco_kwh_text_to_wh (s, &wh))
          {
            g_autofree char *q = quote (s);
            const char *why = _("is not a kWh number");
            char *endp = NULL;
            double d = g_ascii_strtod (p, &endp);

            /* Say why a number-looking value was refused. */
            while (endp && *endp == ' ')
              endp++;
            if (endp && endp != p && *endp == '\0')
              {
                if (!isfinite (d))
                  why = _("is not a finite number");
                else if (d < 0)
                  why = _("is negative");
                else if (d * 1000.0 > DRD_KEPCO_MAX_SLOT_WH)
                  why = _("is absurdly large for 15 minutes");
              }
            g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                         _("%s value “%s” %s"), name, q, why);
            return FALSE;
          }
        break;
      }
    case G_TYPE_INT64:
      {
        gint64 v = json_node_get_int (node);

        if (v < 0)
          {
            g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                         _("%s value %lld is negative"), name, (long long) v);
            return FALSE;
          }
        if (v > DRD_KEPCO_MAX_SLOT_WH / 1000)
          {
            g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                         _("%s value %lld kWh is absurdly large for 15 minutes"), name, (long long) v);
            return FALSE;
          }
        wh = (gint32) (v * 1000);
        break;
      }
    case G_TYPE_DOUBLE:
      {
        double d = json_node_get_double (node);

        if (!isfinite (d))
          {
            g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                         _("%s value is not a finite number"), name);
            return FALSE;
          }
        if (!drd_kepco_kwh_double_to_wh (d, &wh))
          {
            g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                         _("%s value %g %s"), name, d,
                         d < 0 ? _("is negative") : _("kWh is absurdly large for 15 minutes"));
            return FALSE;
          }
        break;
      }
    default:
      goto bad_type;
    }
  *out_wh = wh;
  return TRUE;

bad_type:
  g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
               _("%s is %s, expected a kWh string or number"), name, node_kind (node));
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Fast path. json-glib builds a tree of ~100 nodes in a hash table for
 * each day, which is most of the client's CPU. Nearly every real body has
 * one plain shape, which this scanner reads directly. It never reports an
 * error: on anything unusual (escapes, non-ASCII, null, booleans, negative
 * or long numbers, duplicate or unknown slot names, a mismatch with the
 * request, trailing text) it declines and the json-glib path decides,
 * so the two can only differ in speed. A differential test holds them to
 * that over many mutated bodies. */

typedef struct {
  const char *p;
  const char *end;
} Scan;

static void
scan_ws (Scan *sc)
{
  while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\n' || *sc->p == '\r'))
    sc->p++;
}

static gboolean
scan_char (Scan *sc, char c)
{
  scan_ws (sc);
  if (sc->p < sc->end && *sc->p == c)
    {
      sc->p++;
      return TRUE;
    }
  return FALSE;
}

/* A string without escapes, printable ASCII only; copied into buf. */
static gboolean
scan_string (Scan *sc, char *buf, gsize size)
{
  gsize n = 0;

  scan_ws (sc);
  if (sc->p >= sc->end || *sc->p != '"')
    return FALSE;
  sc->p++;
  while (sc->p < sc->end && *sc->p != '"')
    {
      char c = *sc->p;

      if (c == '\\' || (guchar) c < 0x20 || (guchar) c > 0x7e || n + 1 >= size)
        return FALSE;
      buf[n++] = c;
      sc->p++;
    }
  if (sc->p >= sc->end)
    return FALSE;
  sc->p++;
  buf[n] = '\0';
  return TRUE;
}

/* A non-negative JSON number of at most 15 significant digits and no
 * exponent: for those, the decimal text and json-glib's double (read back
 * at 15 digits) name the same value. */
static gboolean
scan_number (Scan *sc, char *buf, gsize size, gboolean *is_integer)
{
  const char *start;
  gsize n, digits = 0;
  gboolean leading = TRUE;

  scan_ws (sc);
  start = sc->p;
  if (sc->p >= sc->end || !g_ascii_isdigit (*sc->p))
    return FALSE;
  if (*sc->p == '0' && sc->p + 1 < sc->end && g_ascii_isdigit (sc->p[1]))
    return FALSE;
  *is_integer = TRUE;
  for (; sc->p < sc->end && g_ascii_isdigit (*sc->p); sc->p++)
    if (!(leading && *sc->p == '0') && (leading = FALSE, TRUE))
      digits++;
  if (sc->p < sc->end && *sc->p == '.')
    {
      *is_integer = FALSE;
      sc->p++;
      if (sc->p >= sc->end || !g_ascii_isdigit (*sc->p))
        return FALSE;
      for (; sc->p < sc->end && g_ascii_isdigit (*sc->p); sc->p++)
        if (!(leading && *sc->p == '0') && (leading = FALSE, TRUE))
          digits++;
    }
  if (sc->p < sc->end && (*sc->p == 'e' || *sc->p == 'E'))
    return FALSE;
  n = (gsize) (sc->p - start);
  if (digits > 15 || n + 1 > size)
    return FALSE;
  memcpy (buf, start, n);
  buf[n] = '\0';
  return TRUE;
}

static DrdKepcoDay *
parse_fast (const char *body,
            gsize       len,
            const char *expect_cust_no,
            const char *want_date)      /* "" when not given */
{
  Scan sc = { body, body + len };
  g_autoptr(DrdKepcoDay) day = NULL;
  gboolean seen[DRD_KEPCO_SLOTS_PER_DAY] = { FALSE, };
  gboolean have_cust = FALSE, have_date = FALSE;
  char cust_no[24] = "", got_date[9] = "";
  char key[64], text[64];
  guint n_seen = 0;

  if (!scan_char (&sc, '{') || !scan_string (&sc, key, sizeof key) ||
      strcmp (key, "dayLpDataInfoList") != 0 || !scan_char (&sc, ':') || !scan_char (&sc, '['))
    return NULL;
  if (scan_char (&sc, ']'))
    {
      if (!scan_char (&sc, '}'))
        return NULL;
      scan_ws (&sc);
      if (sc.p != sc.end)
        return NULL;
      day = drd_kepco_day_new (expect_cust_no, want_date);
      day->status = DRD_KEPCO_DAY_NOT_YET_AVAILABLE;
      return g_steal_pointer (&day);
    }
  if (!scan_char (&sc, '{'))
    return NULL;

  day = drd_kepco_day_new (NULL, NULL);
  do
    {
      int slot;

      if (!scan_string (&sc, key, sizeof key) || !scan_char (&sc, ':'))
        return NULL;
      scan_ws (&sc);
      if (sc.p >= sc.end)
        return NULL;
      if (strcmp (key, "custNo") == 0 || strcmp (key, "mr_ymd") == 0)
        {
          gboolean is_cust = key[0] == 'c';

          if ((is_cust ? have_cust : have_date) ||
              !scan_string (&sc, is_cust ? cust_no : text, is_cust ? sizeof cust_no : sizeof text))
            return NULL;
          if (is_cust)
            have_cust = TRUE;
          else if (!drd_kepco_normalize_date (text, got_date))
            return NULL;
          else
            have_date = TRUE;
          continue;
        }
      slot = strncmp (key, "pwr_qty", 7) == 0 ? slot_from_field (key) : -2;
      if (slot == -1 || (slot >= 0 && seen[slot]))
        return NULL;
      if (*sc.p == '"')
        {
          const char *t;

          if (!scan_string (&sc, text, sizeof text))
            return NULL;
          if (slot < 0)
            continue;
          for (t = text; *t == ' '; t++)
            ;
          if (*t == '\0')
            day->wh[slot] = DRD_KEPCO_SLOT_MISSING;
          else if (!drd_kepco_kwh_text_to_wh (text, &day->wh[slot]))
            return NULL;
        }
      else
        {
          gboolean is_integer;

          if (!scan_number (&sc, text, sizeof text, &is_integer))
            return NULL;
          if (slot < 0)
            continue;
          if (is_integer && strlen (text) > 7)
            return NULL;
          if (!drd_kepco_kwh_text_to_wh (text, &day->wh[slot]))
            return NULL;
        }
      if (slot >= 0)
        {
          seen[slot] = TRUE;
          n_seen++;
        }
    }
  while (scan_char (&sc, ','));

  if (!scan_char (&sc, '}') || !scan_char (&sc, ']') || !scan_char (&sc, '}'))
    return NULL;
  scan_ws (&sc);
  if (sc.p != sc.end || !have_cust || !have_date || n_seen != DRD_KEPCO_SLOTS_PER_DAY)
    return NULL;
  if ((expect_cust_no && strcmp (cust_no, expect_cust_no) != 0) ||
      (*want_date && strcmp (got_date, want_date) != 0))
    return NULL;

  g_free (day->cust_no);
  day->cust_no = g_strdup (cust_no);
  memcpy (day->date, got_date, sizeof day->date);
  day->n_present = 0;
  for (guint i = 0; i < DRD_KEPCO_SLOTS_PER_DAY; i++)
    if (day->wh[i] != DRD_KEPCO_SLOT_MISSING)
      day->n_present++;
  return g_steal_pointer (&day);
}

DrdKepcoDay *
drd_kepco_parse_day (const char  *body,
                     gsize        len,
                     const char  *expect_cust_no,
                     const char  *expect_date,
                     GError     **error)
{
  return drd_kepco_parse_day_with_flags (body, len, expect_cust_no, expect_date, 0, error);
}

DrdKepcoDay *
drd_kepco_parse_day_with_flags (const char  *body,
                                gsize        len,
                                const char  *expect_cust_no,
                                const char  *expect_date,
                                guint        flags,
                                GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(DrdKepcoDay) day = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;
  gboolean seen[DRD_KEPCO_SLOTS_PER_DAY] = { FALSE, };
  const char *end = NULL;
  const char *cust_no, *mr_ymd;
  const char *why_not = NULL;
  char want_date[9] = "", got_date[9];
  JsonNode *root, *list_node, *entry_node;
  JsonObject *root_obj, *entry;
  JsonArray *list;
  guint n_entries, n_seen = 0;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (expect_date && !drd_kepco_normalize_date (expect_date, want_date))
    {
      g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_INVALID_ARGUMENT,
                   _("requested date is not a valid YYYYMMDD date"));
      return NULL;
    }
  if (body == NULL || len == 0)
    {
      g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                   _("empty body, expected JSON with dayLpDataInfoList"));
      return NULL;
    }
  if (len > DRD_KEPCO_MAX_BODY_BYTES)
    {
      g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                   _("body is %lu bytes, more than the %d a day can take"),
                   (unsigned long) len, DRD_KEPCO_MAX_BODY_BYTES);
      return NULL;
    }
  if (!g_utf8_validate (body, (gssize) len, &end))
    {
      g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                   _("not JSON: invalid UTF-8 or NUL at byte %lu"),
                   (unsigned long) (end - body));
      return NULL;
    }
  if (!nesting_ok (body, len))
    {
      g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                   _("JSON nested deeper than %d levels"), MAX_NESTING);
      return NULL;
    }

  if (!(flags & DRD_KEPCO_PARSE_NO_FAST_PATH))
    {
      day = parse_fast (body, len, expect_cust_no, want_date);
      if (day || (flags & DRD_KEPCO_PARSE_FAST_PATH_ONLY))
        return g_steal_pointer (&day);
    }

  /* json-glib leaks on a second top-level value and on unpaired
   * surrogate escapes: such bodies never reach it. */
  if (!drd_json_is_single_object (body, len, &why_not))
    {
      g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                   _("not JSON: %s"), why_not);
      return NULL;
    }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, body, (gssize) len, &local_error))
    {
      /* json-glib quotes the offending bytes, valid UTF-8 or not. */
      g_autofree char *why = sanitize (local_error->message, 200);
      g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                   _("not JSON: %s"), why);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || JSON_NODE_TYPE (root) != JSON_NODE_OBJECT)
    {
      g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                   _("top level is %s, expected an object with dayLpDataInfoList"),
                   root ? node_kind (root) : "empty");
      return NULL;
    }
  root_obj = json_node_get_object (root);
  list_node = json_object_get_member (root_obj, "dayLpDataInfoList");
  if (list_node == NULL)
    {
      g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                   _("top-level object has no dayLpDataInfoList"));
      return NULL;
    }
  if (JSON_NODE_TYPE (list_node) != JSON_NODE_ARRAY)
    {
      g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                   _("dayLpDataInfoList is %s, expected an array"), node_kind (list_node));
      return NULL;
    }
  list = json_node_get_array (list_node);
  n_entries = json_array_get_length (list);
  if (n_entries == 0)
    {
      day = drd_kepco_day_new (expect_cust_no, want_date);
      day->status = DRD_KEPCO_DAY_NOT_YET_AVAILABLE;
      return g_steal_pointer (&day);
    }
  if (n_entries > 1)
    {
      g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                   _("dayLpDataInfoList has %u entries, expected 1 for one customer and day"),
                   n_entries);
      return NULL;
    }
  entry_node = json_array_get_element (list, 0);
  if (JSON_NODE_TYPE (entry_node) != JSON_NODE_OBJECT)
    {
      g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                   _("the day entry is %s, expected an object"), node_kind (entry_node));
      return NULL;
    }
  entry = json_node_get_object (entry_node);

  if (!text_member (entry, "custNo", &cust_no, error) ||
      !text_member (entry, "mr_ymd", &mr_ymd, error))
    return NULL;
  if (expect_cust_no && strcmp (cust_no, expect_cust_no) != 0)
    {
      g_autofree char *q = quote (cust_no);
      g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                   _("custNo “%s” does not match the requested “%s”"), q, expect_cust_no);
      return NULL;
    }
  if (!drd_kepco_normalize_date (mr_ymd, got_date))
    {
      g_autofree char *q = quote (mr_ymd);
      g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                   _("mr_ymd “%s” is not a YYYYMMDD date"), q);
      return NULL;
    }
  if (expect_date && strcmp (got_date, want_date) != 0)
    {
      g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                   _("mr_ymd %s does not match the requested %s"), got_date, want_date);
      return NULL;
    }

  day = drd_kepco_day_new (cust_no, got_date);
  json_object_iter_init (&iter, entry);
  while (json_object_iter_next (&iter, &name, &member))
    {
      int slot;

      if (strncmp (name, "pwr_qty", 7) != 0)
        continue;   /* other KEPCO fields are none of our business */
      slot = slot_from_field (name);
      if (slot < 0)
        {
          g_autofree char *q = quote (name);
          g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                       _("unexpected field “%s” (slots are pwr_qty0015 … pwr_qty2400)"), q);
          return NULL;
        }
      if (!slot_value (member, name, &day->wh[slot], error))
        return NULL;
      if (!seen[slot])
        {
          seen[slot] = TRUE;
          n_seen++;
        }
    }
  if (n_seen != DRD_KEPCO_SLOTS_PER_DAY)
    {
      for (guint i = 0; i < DRD_KEPCO_SLOTS_PER_DAY; i++)
        if (!seen[i])
          {
            g_set_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED,
                         _("field %s is absent (%u of %d slot fields present)"),
                         slot_fields[i], n_seen, DRD_KEPCO_SLOTS_PER_DAY);
            return NULL;
          }
    }
  day->n_present = 0;
  for (guint i = 0; i < DRD_KEPCO_SLOTS_PER_DAY; i++)
    if (day->wh[i] != DRD_KEPCO_SLOT_MISSING)
      day->n_present++;
  return g_steal_pointer (&day);
}
