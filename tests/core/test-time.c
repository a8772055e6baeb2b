/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Asia/Seoul arithmetic, KEPCO slot names, ISO 8601 parsing and
 * formatting.  Runs with TZ=America/New_York: any use of the machine's
 * zone would shift results by 13–14 hours and fail here. */
#include "core/drd-time.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 2026-07-01T13:00:00+09:00 */
#define T_20260701_1300 G_GINT64_CONSTANT (1782878400)

static void
test_tz_is_foreign (void)
{
  /* The harness sets a zone far from Seoul; if that ever changes, the TZ
   * independence below is no longer being proven. */
  g_assert_cmpstr (g_getenv ("TZ"), ==, "America/New_York");
}

/* The same answers whatever the process zone is, even when it changes at
 * run time (core never asks libc or GLib for local time). */
static void
test_tz_switch (void)
{
  static const char *zones[] = { "America/New_York", "UTC", "Asia/Seoul", "Pacific/Chatham",
                                 "Asia/Kolkata", "Pacific/Kiritimati", "America/St_Johns" };
  g_autofree char *saved = g_strdup (g_getenv ("TZ"));

  for (guint i = 0; i < G_N_ELEMENTS (zones); i++)
    {
      gint64 t;
      char buf[26];

      g_setenv ("TZ", zones[i], TRUE);
      tzset ();
      g_assert_true (drd_time_parse_iso8601 ("2026-07-01T13:00:00", &t, NULL));
      g_assert_cmpint (t, ==, T_20260701_1300);
      g_assert_true (drd_time_parse_iso8601 ("2026-07-01", &t, NULL));
      g_assert_cmpint (t, ==, G_GINT64_CONSTANT (1782831600));
      g_assert_cmpstr (drd_time_format_iso8601_buf (T_20260701_1300, buf), ==,
                       "2026-07-01T13:00:00+09:00");
      g_assert_cmpint (drd_date_of_instant (G_GINT64_CONSTANT (1782831600)), ==, 20635);
      g_assert_cmpint (drd_slot_of_instant (T_20260701_1300), ==, 52);
    }
  if (saved)
    g_setenv ("TZ", saved, TRUE);
  else
    g_unsetenv ("TZ");
  tzset ();
}

static void
test_ymd_against_gdate (void)
{
  /* Every day 1900-01-01 … 2101-01-01 against GLib's own calendar. */
  GDate g;
  guint32 epoch_julian;

  g_date_clear (&g, 1);
  g_date_set_dmy (&g, 1, 1, 1970);
  epoch_julian = g_date_get_julian (&g);
  g_date_set_dmy (&g, 1, 1, 1900);
  while (g_date_get_year (&g) <= 2100)
    {
      int y = g_date_get_year (&g), m = g_date_get_month (&g), d = g_date_get_day (&g);
      DrdDate date = drd_date_from_ymd (y, m, d);
      int y2, m2, d2;

      g_assert_cmpint (date, ==, (gint64) g_date_get_julian (&g) - (gint64) epoch_julian);
      drd_date_to_ymd (date, &y2, &m2, &d2);
      g_assert_cmpint (y2, ==, y);
      g_assert_cmpint (m2, ==, m);
      g_assert_cmpint (d2, ==, d);
      g_assert_cmpint (drd_date_weekday (date), ==, g_date_get_weekday (&g));
      g_assert_true (drd_date_valid_ymd (y, m, d));
      g_date_add_days (&g, 1);
    }
  g_assert_cmpint (drd_date_from_ymd (1970, 1, 1), ==, 0);
  g_assert_cmpint (drd_date_from_ymd (2026, 7, 1), ==, 20635);
  g_assert_cmpint (drd_date_from_ymd (1, 1, 1), ==, -719162);
  g_assert_cmpint (drd_date_from_ymd (9999, 12, 31), ==, 2932896);
  g_assert_cmpint (drd_date_add_days (20635, -1), ==, 20634);
}

static void
test_valid_ymd (void)
{
  g_assert_true (drd_date_valid_ymd (2024, 2, 29));
  g_assert_false (drd_date_valid_ymd (2026, 2, 29));
  g_assert_false (drd_date_valid_ymd (1900, 2, 29));
  g_assert_true (drd_date_valid_ymd (2000, 2, 29));
  g_assert_false (drd_date_valid_ymd (2026, 2, 30));
  g_assert_false (drd_date_valid_ymd (2026, 13, 1));
  g_assert_false (drd_date_valid_ymd (2026, 0, 1));
  g_assert_false (drd_date_valid_ymd (2026, 4, 31));
  g_assert_false (drd_date_valid_ymd (0, 1, 1));
  g_assert_false (drd_date_valid_ymd (10000, 1, 1));
}

static void
test_weekday (void)
{
  DrdDate wed = drd_date_from_ymd (2026, 7, 1);

  g_assert_cmpint (drd_date_weekday (wed), ==, 3);
  g_assert_true (drd_date_is_weekday (wed));
  g_assert_false (drd_date_is_weekday (drd_date_from_ymd (2026, 7, 4)));   /* Saturday */
  g_assert_false (drd_date_is_weekday (drd_date_from_ymd (2026, 7, 5)));   /* Sunday */
  g_assert_true (drd_date_is_weekday (drd_date_from_ymd (2026, 7, 6)));    /* Monday */
  g_assert_cmpint (drd_date_weekday (drd_date_from_ymd (1969, 12, 31)), ==, 3);
}

static void
test_instant_to_local (void)
{
  DrdDate jul1 = drd_date_from_ymd (2026, 7, 1);
  gint64 midnight = drd_date_start (jul1);

  /* local midnight of 2026-07-01 is 2026-06-30T15:00:00Z */
  g_assert_cmpint (midnight, ==, G_GINT64_CONSTANT (1782831600));
  g_assert_cmpint (drd_date_of_instant (midnight), ==, jul1);
  g_assert_cmpint (drd_date_of_instant (midnight - 1), ==, jul1 - 1);
  g_assert_cmpint (drd_date_of_instant (midnight + 86399), ==, jul1);
  g_assert_cmpint (drd_date_of_instant (midnight + 86400), ==, jul1 + 1);
  /* before 1970 still floors correctly */
  g_assert_cmpint (drd_date_of_instant (-DRD_SEOUL_UTC_OFFSET_S - 1), ==, -1);
  g_assert_cmpint (drd_date_of_instant (-DRD_SEOUL_UTC_OFFSET_S), ==, 0);

  g_assert_cmpint (drd_slot_of_instant (midnight), ==, 0);
  g_assert_cmpint (drd_slot_of_instant (midnight + 899), ==, 0);
  g_assert_cmpint (drd_slot_of_instant (midnight + 900), ==, 1);
  g_assert_cmpint (drd_slot_of_instant (T_20260701_1300), ==, 52);
  g_assert_cmpint (drd_slot_of_instant (midnight + 86399), ==, 95);
  g_assert_cmpint (drd_slot_start (jul1, 52), ==, T_20260701_1300);
  g_assert_cmpint (drd_seconds_of_day (T_20260701_1300 + 59), ==, 13 * 3600 + 59);

  g_assert_true (drd_instant_on_slot_boundary (T_20260701_1300));
  g_assert_true (drd_instant_on_slot_boundary (T_20260701_1300 + 45 * 60));
  g_assert_false (drd_instant_on_slot_boundary (T_20260701_1300 + 60));
  g_assert_false (drd_instant_on_slot_boundary (T_20260701_1300 - 1));
}

static void
test_field_suffix (void)
{
  static const struct { int slot; const char *suffix; } table[] = {
    { 0, "0015" }, { 1, "0030" }, { 2, "0045" }, { 3, "0100" },
    { 51, "1300" }, { 52, "1315" }, { 94, "2345" }, { 95, "2400" },
  };
  static const char *bad[] = {
    "0000", "0010", "2415", "2500", "0060", "15", "00150", "", "abcd", "pwr_qty", "pwr_qty0000",
    "0-15",
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      char buf[5];
      g_autofree char *full = g_strconcat ("pwr_qty", table[i].suffix, NULL);

      drd_slot_to_field_suffix (table[i].slot, buf);
      g_assert_cmpstr (buf, ==, table[i].suffix);
      g_assert_cmpint (drd_slot_from_field_suffix (table[i].suffix), ==, table[i].slot);
      g_assert_cmpint (drd_slot_from_field_suffix (full), ==, table[i].slot);
    }
  for (int s = 0; s < DRD_SLOTS_PER_DAY; s++)
    {
      char buf[5];
      drd_slot_to_field_suffix (s, buf);
      g_assert_cmpint (drd_slot_from_field_suffix (buf), ==, s);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_cmpint (drd_slot_from_field_suffix (bad[i]), ==, -1);
  g_assert_cmpint (drd_slot_from_field_suffix (NULL), ==, -1);
}

static void
test_iso_valid (void)
{
  static const struct { const char *text; gint64 expected; } table[] = {
    { "2026-07-01T13:00:00+09:00", T_20260701_1300 },
    { "2026-07-01T04:00:00Z", T_20260701_1300 },
    { "2026-07-01T04:00:00z", T_20260701_1300 },
    { "2026-07-01T13:00:00+0900", T_20260701_1300 },
    { "2026-07-01T13:00:00+09", T_20260701_1300 },
    { "2026-07-01T13:00+09:00", T_20260701_1300 },
    { "2026-07-01t13:00:00+09:00", T_20260701_1300 },
    { "2026-07-01 13:00:00+09:00", T_20260701_1300 },
    { "2026-07-01T00:00:00-04:00", T_20260701_1300 },      /* New York summer time */
    { "2026-07-01T04:00:00.000Z", T_20260701_1300 },       /* JavaScript toISOString() */
    { "2026-07-01T13:00:00,0+09:00", T_20260701_1300 },
    { "2026-07-01T13:00:00", T_20260701_1300 },            /* no offset = Seoul */
    { "2026-07-01T13:00", T_20260701_1300 },
    { "2026-07-01T13:00:59", T_20260701_1300 + 59 },
    { "2026-07-01T09:30:00+05:30", T_20260701_1300 },
    { "2026-07-01", G_GINT64_CONSTANT (1782831600) },      /* local midnight */
    { "2024-02-29T09:00:00+09:00", G_GINT64_CONSTANT (1709164800) },
    { "2000-01-01T00:00:00Z", G_GINT64_CONSTANT (946684800) },
    { "2027-01-01T00:00:00+09:00", G_GINT64_CONSTANT (1798729200) },
    { "2026-12-31T23:59:59+09:00", G_GINT64_CONSTANT (1798729199) },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autoptr (GError) error = NULL;
      gint64 t = -1;

      g_test_message ("parsing %s", table[i].text);
      g_assert_true (drd_time_parse_iso8601 (table[i].text, &t, &error));
      g_assert_no_error (error);
      g_assert_cmpint (t, ==, table[i].expected);
    }
}

static void
test_iso_invalid (void)
{
  static const struct { const char *text; const char *message_part; } table[] = {
    { "", "empty" },
    { "2026-13-01T00:00:00+09:00", "month" },
    { "2026-00-10", "month" },
    { "2026-02-30T00:00:00+09:00", "day" },
    { "2026-02-29", "day" },
    { "2026-04-31", "day" },
    { "2026-07-00", "day" },
    { "2026-07-01T25:00:00+09:00", "hour" },
    { "2026-07-01T24:00:00+09:00", "hour" },
    { "2026-07-01T13:60:00+09:00", "minute" },
    { "2026-07-01T13:00:60+09:00", "second" },
    { "2026-07-01T13:00:00.5+09:00", "fractional" },
    { "2026-07-01T13:00:00.000001Z", "fractional" },
    { "2026-07-01T13:00:00.+09:00", "decimal" },
    { "2026-07-01T13:00:00+24:00", "offset" },
    { "2026-07-01T13:00:00+09:60", "offset" },
    { "2026-07-01T13:00:00+9", "offset" },
    { "2026-07-01T13:00:00 +09:00", "unexpected" },
    { "2026-07-01T13:00:00+09:00x", "unexpected" },
    { "2026-07-01T13", "hh:mm" },
    { "2026-07-01T1:00", "hh:mm" },
    { "2026-7-1", "YYYY-MM-DD" },
    { "20260701", "YYYY-MM-DD" },
    { "2026/07/01", "YYYY-MM-DD" },
    { "0000-01-01", "year" },
    { "2026-07-01X13:00", "“T”" },
    { "tomorrow", "YYYY-MM-DD" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autoptr (GError) error = NULL;
      gint64 t = 42;

      g_test_message ("rejecting %s", table[i].text);
      g_assert_false (drd_time_parse_iso8601 (table[i].text, &t, &error));
      g_assert_error (error, DRD_TIME_ERROR, DRD_TIME_ERROR_INVALID);
      if (strstr (error->message, table[i].message_part) == NULL)
        g_error ("message “%s” lacks “%s”", error->message, table[i].message_part);
      g_assert_cmpint (t, ==, 42);   /* untouched on failure */
    }
}

static void
test_iso_format (void)
{
  char buf[26];
  g_autofree char *s = drd_time_format_iso8601 (T_20260701_1300);
  gint64 t;

  g_assert_cmpstr (s, ==, "2026-07-01T13:00:00+09:00");
  g_assert_cmpstr (drd_time_format_iso8601_buf (G_GINT64_CONSTANT (1782831599), buf), ==,
                   "2026-06-30T23:59:59+09:00");
  g_assert_cmpstr (drd_time_format_iso8601_buf (0, buf), ==, "1970-01-01T09:00:00+09:00");

  /* round trip over a range of instants, including odd seconds */
  for (gint64 x = G_GINT64_CONSTANT (1700000000); x < G_GINT64_CONSTANT (1900000000);
       x += G_GINT64_CONSTANT (7654321))
    {
      g_assert_true (drd_time_parse_iso8601 (drd_time_format_iso8601_buf (x, buf), &t, NULL));
      g_assert_cmpint (t, ==, x);
    }
}

static void
test_date_strings (void)
{
  static const char *bad_dashed[] = { "2026-7-01", "2026-07-1", "2026-07-01T00:00", "2026-02-29",
                                      "20260701", "", "2026-07-01 " };
  static const char *bad_compact[] = { "2026-07-01", "2026071", "202607011", "20261301",
                                       "20260230", "", "2026070a" };
  DrdDate d;
  char buf[11], cbuf[9];
  g_autofree char *s = NULL;
  g_autofree char *c = NULL;

  g_assert_true (drd_date_parse ("2026-07-01", &d, NULL));
  g_assert_cmpint (d, ==, 20635);
  g_assert_true (drd_date_parse_compact ("20260701", &d, NULL));
  g_assert_cmpint (d, ==, 20635);
  s = drd_date_format (d);
  c = drd_date_format_compact (d);
  g_assert_cmpstr (s, ==, "2026-07-01");
  g_assert_cmpstr (c, ==, "20260701");
  g_assert_cmpstr (drd_date_format_buf (drd_date_from_ymd (5, 3, 9), buf), ==, "0005-03-09");
  g_assert_cmpstr (drd_date_format_compact_buf (drd_date_from_ymd (2024, 12, 31), cbuf), ==,
                   "20241231");

  for (guint i = 0; i < G_N_ELEMENTS (bad_dashed); i++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_false (drd_date_parse (bad_dashed[i], &d, &error));
      g_assert_error (error, DRD_TIME_ERROR, DRD_TIME_ERROR_INVALID);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_compact); i++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_false (drd_date_parse_compact (bad_compact[i], &d, &error));
      g_assert_error (error, DRD_TIME_ERROR, DRD_TIME_ERROR_INVALID);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/time/tz-is-foreign", test_tz_is_foreign);
  g_test_add_func ("/time/tz-switch", test_tz_switch);
  g_test_add_func ("/time/ymd-against-gdate", test_ymd_against_gdate);
  g_test_add_func ("/time/valid-ymd", test_valid_ymd);
  g_test_add_func ("/time/weekday", test_weekday);
  g_test_add_func ("/time/instant-to-local", test_instant_to_local);
  g_test_add_func ("/time/field-suffix", test_field_suffix);
  g_test_add_func ("/time/iso8601/valid", test_iso_valid);
  g_test_add_func ("/time/iso8601/invalid", test_iso_invalid);
  g_test_add_func ("/time/iso8601/format", test_iso_format);
  g_test_add_func ("/time/date-strings", test_date_strings);
  return g_test_run ();
}
