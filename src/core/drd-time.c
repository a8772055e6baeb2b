/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "core/drd-time.h"

#include <glib/gi18n-lib.h>
#include <string.h>

G_DEFINE_QUARK (drd-time-error-quark, drd_time_error)

static inline gint64
floor_div (gint64 a, gint64 b)
{
  gint64 q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    q--;
  return q;
}

static inline gint64
floor_mod (gint64 a, gint64 b)
{
  return a - floor_div (a, b) * b;
}

static gboolean
is_leap (int y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month (int y, int m)
{
  static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  return m == 2 && is_leap (y) ? 29 : dim[m - 1];
}

gboolean
drd_date_valid_ymd (int year, int month, int day)
{
  return year >= 1 && year <= 9999 && month >= 1 && month <= 12
         && day >= 1 && day <= days_in_month (year, month);
}

/* Days from 1970-01-01 of a proleptic Gregorian date (era arithmetic, so no
 * table and no loop). */
DrdDate
drd_date_from_ymd (int year, int month, int day)
{
  gint64 y, era, yoe, doy, doe;

  g_return_val_if_fail (drd_date_valid_ymd (year, month, day), DRD_DATE_INVALID);

  y = month <= 2 ? year - 1 : year;
  era = floor_div (y, 400);
  yoe = y - era * 400;
  doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (DrdDate) (era * 146097 + doe - 719468);
}

void
drd_date_to_ymd (DrdDate date, int *year, int *month, int *day)
{
  gint64 z = (gint64) date + 719468;
  gint64 era = floor_div (z, 146097);
  gint64 doe = z - era * 146097;
  gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  gint64 y = yoe + era * 400;
  gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  gint64 mp = (5 * doy + 2) / 153;
  gint64 d = doy - (153 * mp + 2) / 5 + 1;
  gint64 m = mp < 10 ? mp + 3 : mp - 9;

  if (m <= 2)
    y++;
  if (year)
    *year = (int) y;
  if (month)
    *month = (int) m;
  if (day)
    *day = (int) d;
}

DrdDate
drd_date_add_days (DrdDate date, int days)
{
  return date + days;
}

int
drd_date_weekday (DrdDate date)
{
  /* 1970-01-01 was a Thursday (ISO 4). */
  return (int) floor_mod ((gint64) date + 3, 7) + 1;
}

gboolean
drd_date_is_weekday (DrdDate date)
{
  return drd_date_weekday (date) <= 5;
}

DrdDate
drd_date_of_instant (gint64 t)
{
  return (DrdDate) floor_div (t + DRD_SEOUL_UTC_OFFSET_S, DRD_SECONDS_PER_DAY);
}

gint64
drd_date_start (DrdDate date)
{
  return (gint64) date * DRD_SECONDS_PER_DAY - DRD_SEOUL_UTC_OFFSET_S;
}

int
drd_seconds_of_day (gint64 t)
{
  return (int) floor_mod (t + DRD_SEOUL_UTC_OFFSET_S, DRD_SECONDS_PER_DAY);
}

int
drd_slot_of_instant (gint64 t)
{
  return drd_seconds_of_day (t) / DRD_SLOT_SECONDS;
}

gint64
drd_slot_start (DrdDate date, int slot)
{
  g_return_val_if_fail (slot >= 0 && slot < DRD_SLOTS_PER_DAY, drd_date_start (date));
  return drd_date_start (date) + (gint64) slot * DRD_SLOT_SECONDS;
}

gboolean
drd_instant_on_slot_boundary (gint64 t)
{
  return floor_mod (t, DRD_SLOT_SECONDS) == 0;
}

void
drd_slot_to_field_suffix (int slot, char buf[5])
{
  int end_min;

  g_return_if_fail (slot >= 0 && slot < DRD_SLOTS_PER_DAY);
  end_min = (slot + 1) * 15;
  buf[0] = (char) ('0' + end_min / 60 / 10);
  buf[1] = (char) ('0' + end_min / 60 % 10);
  buf[2] = (char) ('0' + end_min % 60 / 10);
  buf[3] = (char) ('0' + end_min % 60 % 10);
  buf[4] = '\0';
}

int
drd_slot_from_field_suffix (const char *suffix)
{
  int hh, mm, end_min;

  if (suffix == NULL)
    return -1;
  if (g_str_has_prefix (suffix, "pwr_qty"))
    suffix += strlen ("pwr_qty");
  for (int i = 0; i < 4; i++)
    if (!g_ascii_isdigit (suffix[i]))
      return -1;
  if (suffix[4] != '\0')
    return -1;
  hh = (suffix[0] - '0') * 10 + (suffix[1] - '0');
  mm = (suffix[2] - '0') * 10 + (suffix[3] - '0');
  if (mm >= 60 || mm % 15 != 0)
    return -1;
  end_min = hh * 60 + mm;
  if (end_min < 15 || end_min > 24 * 60)
    return -1;
  return end_min / 15 - 1;
}

/* ---- parsing ---- */

/* Reads exactly @n digits at *p. */
static gboolean
read_digits (const char **p, int n, int *out)
{
  int v = 0;

  for (int i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit ((*p)[i]))
        return FALSE;
      v = v * 10 + ((*p)[i] - '0');
    }
  *p += n;
  *out = v;
  return TRUE;
}

static gboolean
set_invalid (GError **error, const char *text, const char *why)
{
  /* The text may be any bytes (a command-line argument); the message must
   * still be UTF-8 for a label or a terminal. */
  g_autofree char *shown = g_utf8_make_valid (text, -1);

  g_set_error (error, DRD_TIME_ERROR, DRD_TIME_ERROR_INVALID,
               /* Translators: first %s is the user's text, second the reason */
               _("“%s” is not a valid date and time: %s"), shown, why);
  return FALSE;
}

/* Parses "YYYY-MM-DD" at *p (advancing); explains failures. */
static gboolean
parse_ymd (const char **p, const char *text, int *y, int *m, int *d, GError **error)
{
  if (!read_digits (p, 4, y) || **p != '-')
    return set_invalid (error, text, _("expected a date as YYYY-MM-DD"));
  (*p)++;
  if (!read_digits (p, 2, m) || **p != '-')
    return set_invalid (error, text, _("expected a date as YYYY-MM-DD"));
  (*p)++;
  if (!read_digits (p, 2, d))
    return set_invalid (error, text, _("expected a date as YYYY-MM-DD"));
  if (*y < 1)
    return set_invalid (error, text, _("year out of range"));
  if (*m < 1 || *m > 12)
    return set_invalid (error, text, _("month out of range (01–12)"));
  if (*d < 1 || *d > days_in_month (*y, *m))
    return set_invalid (error, text, _("day out of range for that month"));
  return TRUE;
}

gboolean
drd_time_parse_iso8601 (const char *text, gint64 *out, GError **error)
{
  const char *p = text;
  int y, mo, d, hh = 0, mi = 0, ss = 0;
  gint64 offset_s = DRD_SEOUL_UTC_OFFSET_S;
  gint64 local;

  g_return_val_if_fail (out != NULL, FALSE);

  if (text == NULL || *text == '\0')
    {
      g_set_error_literal (error, DRD_TIME_ERROR, DRD_TIME_ERROR_INVALID,
                           _("An empty text is not a valid date and time"));
      return FALSE;
    }
  if (!parse_ymd (&p, text, &y, &mo, &d, error))
    return FALSE;

  if (*p == '\0')
    {
      *out = drd_date_start (drd_date_from_ymd (y, mo, d));
      return TRUE;
    }
  if (*p != 'T' && *p != 't' && *p != ' ')
    return set_invalid (error, text, _("expected “T” between date and time"));
  p++;

  if (!read_digits (&p, 2, &hh) || *p != ':')
    return set_invalid (error, text, _("expected a time as hh:mm[:ss]"));
  p++;
  if (!read_digits (&p, 2, &mi))
    return set_invalid (error, text, _("expected a time as hh:mm[:ss]"));
  if (*p == ':')
    {
      p++;
      if (!read_digits (&p, 2, &ss))
        return set_invalid (error, text, _("expected two digits of seconds"));
      if (*p == '.' || *p == ',')
        {
          gboolean nonzero = FALSE;
          const char *start = ++p;

          while (g_ascii_isdigit (*p))
            nonzero |= *p++ != '0';
          if (p == start)
            return set_invalid (error, text, _("expected digits after the decimal point"));
          if (nonzero)
            return set_invalid (error, text,
                                _("fractional seconds are not supported (times are whole seconds)"));
        }
    }
  if (hh > 23)
    return set_invalid (error, text, _("hour out of range (00–23)"));
  if (mi > 59)
    return set_invalid (error, text, _("minute out of range (00–59)"));
  if (ss > 59)
    return set_invalid (error, text, _("second out of range (00–59)"));

  if (*p == 'Z' || *p == 'z')
    {
      offset_s = 0;
      p++;
    }
  else if (*p == '+' || *p == '-')
    {
      int sign = *p == '-' ? -1 : 1;
      int oh, om = 0;

      p++;
      if (!read_digits (&p, 2, &oh))
        return set_invalid (error, text, _("expected a UTC offset as ±hh:mm"));
      if (*p == ':')
        {
          p++;
          if (!read_digits (&p, 2, &om))
            return set_invalid (error, text, _("expected a UTC offset as ±hh:mm"));
        }
      else if (g_ascii_isdigit (*p))
        {
          if (!read_digits (&p, 2, &om))
            return set_invalid (error, text, _("expected a UTC offset as ±hh:mm"));
        }
      if (oh > 23 || om > 59)
        return set_invalid (error, text, _("UTC offset out of range"));
      offset_s = sign * (oh * 3600 + om * 60);
    }
  if (*p != '\0')
    return set_invalid (error, text, _("unexpected text after the time"));

  local = (gint64) drd_date_from_ymd (y, mo, d) * DRD_SECONDS_PER_DAY
          + hh * 3600 + mi * 60 + ss;
  /* An offset can push the instant out of Seoul's years 0001–9999
   * ("9999-12-31T23:00:00-05:00"), which nothing here could format back. */
  if (drd_date_of_instant (local - offset_s) < drd_date_from_ymd (1, 1, 1) ||
      drd_date_of_instant (local - offset_s) > drd_date_from_ymd (9999, 12, 31))
    return set_invalid (error, text, _("year out of range"));
  *out = local - offset_s;
  return TRUE;
}

static inline char *
put2 (char *p, int v)
{
  p[0] = (char) ('0' + v / 10);
  p[1] = (char) ('0' + v % 10);
  return p + 2;
}

/* Hand-rolled instead of printf: exports format a million of these. */
char *
drd_time_format_iso8601_buf (gint64 t, char buf[26])
{
  int y, m, d, s = drd_seconds_of_day (t);
  char *p = buf;

  drd_date_to_ymd (drd_date_of_instant (t), &y, &m, &d);
  p = put2 (p, y / 100);
  p = put2 (p, y % 100);
  *p++ = '-';
  p = put2 (p, m);
  *p++ = '-';
  p = put2 (p, d);
  *p++ = 'T';
  p = put2 (p, s / 3600);
  *p++ = ':';
  p = put2 (p, s / 60 % 60);
  *p++ = ':';
  p = put2 (p, s % 60);
  memcpy (p, "+09:00", 7);
  return buf;
}

char *
drd_time_format_iso8601 (gint64 t)
{
  char buf[26];
  return g_strdup (drd_time_format_iso8601_buf (t, buf));
}

gboolean
drd_date_parse (const char *text, DrdDate *out, GError **error)
{
  const char *p = text;
  int y, m, d;

  g_return_val_if_fail (out != NULL, FALSE);
  if (text == NULL)
    text = p = "";
  if (!parse_ymd (&p, text, &y, &m, &d, error))
    return FALSE;
  if (*p != '\0')
    return set_invalid (error, text, _("expected a date as YYYY-MM-DD"));
  *out = drd_date_from_ymd (y, m, d);
  return TRUE;
}

gboolean
drd_date_parse_compact (const char *text, DrdDate *out, GError **error)
{
  const char *p = text;
  int y, m, d;

  g_return_val_if_fail (out != NULL, FALSE);
  if (text == NULL)
    text = p = "";
  if (!read_digits (&p, 4, &y) || !read_digits (&p, 2, &m) || !read_digits (&p, 2, &d)
      || *p != '\0')
    return set_invalid (error, text, _("expected a date as YYYYMMDD"));
  if (!drd_date_valid_ymd (y, m, d))
    return set_invalid (error, text, _("no such day"));
  *out = drd_date_from_ymd (y, m, d);
  return TRUE;
}

char *
drd_date_format_buf (DrdDate date, char buf[11])
{
  int y, m, d;

  drd_date_to_ymd (date, &y, &m, &d);
  g_snprintf (buf, 11, "%04d-%02d-%02d", y, m, d);
  return buf;
}

char *
drd_date_format_compact_buf (DrdDate date, char buf[9])
{
  int y, m, d;

  drd_date_to_ymd (date, &y, &m, &d);
  g_snprintf (buf, 9, "%04d%02d%02d", y, m, d);
  return buf;
}

char *
drd_date_format (DrdDate date)
{
  char buf[11];
  return g_strdup (drd_date_format_buf (date, buf));
}

char *
drd_date_format_compact (DrdDate date)
{
  char buf[9];
  return g_strdup (drd_date_format_compact_buf (date, buf));
}
