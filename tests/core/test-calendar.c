/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The holiday calendar: file format, errors with line numbers, business
 * days, and the shipped Korean calendar against the shared reference. */
#include "core/drd-calendar.h"

#include <string.h>

static DrdDate
ymd (int y, int m, int d)
{
  return drd_date_from_ymd (y, m, d);
}

static void
test_parse_format (void)
{
  static const char data[] =
    "\xEF\xBB\xBF# Korean holidays\r\n"
    "\r\n"
    "2026-01-01,신정\r\n"
    "   2026-03-02 , 삼일절 대체공휴일  # substitute\r\n"
    "2026-05-05\n"
    "   \t\n"
    "# 2026-05-24,commented out\n"
    "2026-06-03,지방선거일";   /* no final newline */
  g_autoptr (GError) error = NULL;
  g_autoptr (DrdCalendar) cal = drd_calendar_new_from_data (data, -1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (cal);
  g_assert_cmpuint (drd_calendar_get_n_holidays (cal), ==, 4);
  g_assert_cmpstr (drd_calendar_get_name (cal, ymd (2026, 1, 1)), ==, "신정");
  g_assert_cmpstr (drd_calendar_get_name (cal, ymd (2026, 3, 2)), ==, "삼일절 대체공휴일");
  g_assert_cmpstr (drd_calendar_get_name (cal, ymd (2026, 5, 5)), ==, "");
  g_assert_cmpstr (drd_calendar_get_name (cal, ymd (2026, 6, 3)), ==, "지방선거일");
  g_assert_null (drd_calendar_get_name (cal, ymd (2026, 5, 24)));
  g_assert_false (drd_calendar_is_holiday (cal, ymd (2026, 5, 24)));
}

static void
test_duplicates_merge (void)
{
  g_autoptr (DrdCalendar) cal =
    drd_calendar_new_from_data ("2025-05-05,어린이날\n2025-05-05,부처님오신날\n2025-05-05\n", -1,
                                NULL);

  g_assert_nonnull (cal);
  g_assert_cmpuint (drd_calendar_get_n_holidays (cal), ==, 1);
  g_assert_cmpstr (drd_calendar_get_name (cal, ymd (2025, 5, 5)), ==, "어린이날 / 부처님오신날");
}

static void
test_parse_errors (void)
{
  static const struct { const char *data; const char *message_part; } table[] = {
    { "2026-01-01\n2026-02-30,nope\n", "line 2:" },
    { "# header\n\n\n2026-13-01\n", "line 4:" },
    { "2026-01-01\r\n2026-1-2\r\n", "line 2:" },
    { "hello\n", "line 1:" },
    { "2026-01-01;신정\n", "line 1:" },
    { ",name only\n", "line 1:" },
    { "2026-01-01\n2026-01-02\n2026-01-03\n\xff\xfe\n", "line 4:" },
    { "2026-01-01,a\rb\n", "line 1:" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (DrdCalendar) cal = drd_calendar_new ();

      drd_calendar_add (cal, ymd (2020, 1, 1), "kept");
      g_test_message ("case %u", i);
      g_assert_false (drd_calendar_load_data (cal, table[i].data, -1, &error));
      g_assert_error (error, DRD_CALENDAR_ERROR, DRD_CALENDAR_ERROR_PARSE);
      if (!g_str_has_prefix (error->message, table[i].message_part))
        g_error ("message “%s” does not start with “%s”", error->message, table[i].message_part);
      /* all or nothing: the good lines before the bad one were not added */
      g_assert_cmpuint (drd_calendar_get_n_holidays (cal), ==, 1);
      g_assert_true (drd_calendar_is_holiday (cal, ymd (2020, 1, 1)));
    }
}

static void
count_changed (DrdCalendar *cal, guint *n)
{
  (*n)++;
}

static void
test_edit_and_round_trip (void)
{
  g_autoptr (DrdCalendar) cal = drd_calendar_new ();
  guint n_changed = 0;
  g_autoptr (DrdCalendar) again = NULL;
  g_autofree char *text = NULL;
  g_autofree DrdDate *list = NULL;
  guint n;

  g_signal_connect (cal, "changed", G_CALLBACK (count_changed), &n_changed);
  g_assert_true (drd_calendar_add (cal, ymd (2026, 10, 9), "한글날"));
  g_assert_true (drd_calendar_add (cal, ymd (2026, 1, 1), NULL));
  g_assert_false (drd_calendar_add (cal, ymd (2026, 1, 1), "신정"));   /* rename */
  g_assert_true (drd_calendar_add (cal, ymd (2026, 12, 25), "성탄절"));
  g_assert_true (drd_calendar_remove (cal, ymd (2026, 12, 25)));
  g_assert_false (drd_calendar_remove (cal, ymd (2026, 12, 25)));
  g_assert_cmpstr (drd_calendar_get_name (cal, ymd (2026, 1, 1)), ==, "신정");
  g_assert_cmpuint (n_changed, ==, 5);   /* 4 adds, 1 real removal */
  g_assert_false (drd_calendar_load_data (cal, "bad\n", -1, NULL));
  g_assert_true (drd_calendar_load_data (cal, "# nothing\n", -1, NULL));
  g_assert_cmpuint (n_changed, ==, 5);

  text = drd_calendar_to_data (cal);
  g_assert_cmpstr (text, ==, "2026-01-01,신정\n2026-10-09,한글날\n");
  again = drd_calendar_new_from_data (text, -1, NULL);
  g_assert_nonnull (again);
  g_assert_cmpuint (drd_calendar_get_n_holidays (again), ==, 2);

  list = drd_calendar_list (cal, ymd (2026, 1, 2), ymd (2026, 12, 31), &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (list[0], ==, ymd (2026, 10, 9));
}

static void
test_business_days (void)
{
  g_autoptr (DrdCalendar) cal = drd_calendar_new_from_data ("2026-06-03,지방선거일\n", -1, NULL);

  /* a holiday on a Wednesday */
  g_assert_true (drd_calendar_is_weekday (ymd (2026, 6, 3)));
  g_assert_false (drd_calendar_is_business_day (cal, ymd (2026, 6, 3)));
  g_assert_true (drd_calendar_is_business_day (NULL, ymd (2026, 6, 3)));
  g_assert_true (drd_calendar_is_business_day (cal, ymd (2026, 6, 2)));
  /* weekend */
  g_assert_false (drd_calendar_is_weekday (ymd (2026, 6, 6)));
  g_assert_false (drd_calendar_is_business_day (cal, ymd (2026, 6, 6)));
  g_assert_false (drd_calendar_is_business_day (NULL, ymd (2026, 6, 7)));
}

static char *
read_source_file (const char *relative, gboolean *missing)
{
  const char *src = g_getenv ("DRD_SOURCE_DIR");
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  char *contents = NULL;

  g_assert_nonnull (src);
  path = g_build_filename (src, relative, NULL);
  *missing = !g_file_test (path, G_FILE_TEST_EXISTS);
  if (*missing)
    return NULL;
  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static void
test_shipped_file (void)
{
  gboolean missing;
  g_autofree char *text = read_source_file ("data/holidays-kr.csv", &missing);
  g_autoptr (GError) error = NULL;
  g_autoptr (DrdCalendar) cal = NULL;

  g_assert_false (missing);
  cal = drd_calendar_new_from_data (text, -1, &error);
  g_assert_no_error (error);

  /* spot checks of each kind of holiday */
  g_assert_cmpstr (drd_calendar_get_name (cal, ymd (2026, 2, 17)), ==, "설날");       /* lunar */
  g_assert_true (drd_calendar_is_holiday (cal, ymd (2025, 10, 8)));                  /* 추석 대체 */
  g_assert_true (drd_calendar_is_holiday (cal, ymd (2027, 12, 27)));                 /* 성탄절 대체 */
  g_assert_true (drd_calendar_is_holiday (cal, ymd (2025, 1, 27)));                  /* 임시 */
  g_assert_true (drd_calendar_is_holiday (cal, ymd (2025, 6, 3)));                   /* election */
  g_assert_false (drd_calendar_is_holiday (cal, ymd (2026, 5, 1)));                  /* 근로자의 날 */
  g_assert_false (drd_calendar_is_holiday (cal, ymd (2025, 7, 17)));                 /* not yet */
  g_assert_true (drd_calendar_is_holiday (cal, ymd (2026, 7, 17)));                  /* 제헌절 */
  for (int y = 2024; y <= 2027; y++)
    {
      g_autofree DrdDate *l = NULL;
      guint n;

      l = drd_calendar_list (cal, ymd (y, 1, 1), ymd (y, 12, 31), &n);
      g_assert_cmpuint (n, >=, 15);
      for (guint i = 0; i < n; i++)
        {
          const char *name = drd_calendar_get_name (cal, l[i]);
          g_assert_true (name != NULL && *name != '\0');   /* every date is named */
        }
    }
}

/* The shipped calendar and the shared reference hold the same dates for
 * 2024–2027, except for these deliberate differences:
 *  + 2026-07-17, 2027-07-17 제헌절: a public holiday again from 2026 (the
 *    공휴일에 관한 법률 amendment passed on 2026-01-29 and was promulgated in
 *    February 2026); the reference predates it.  2026-07-17 is a Friday,
 *    so leaving it out would make a holiday a CBL day.  2027-07-17 is a
 *    Saturday, so its substitute 2027-07-19 (Monday) is listed as for the
 *    other 국경일. */
static const char *deliberately_added[] = { "2026-07-17", "2027-07-17", "2027-07-19" };
static const char *deliberately_removed[] = { NULL };

static gboolean
in_list (const char * const *list, guint n, const char *date)
{
  for (guint i = 0; i < n; i++)
    if (list[i] && strcmp (list[i], date) == 0)
      return TRUE;
  return FALSE;
}

static void
test_shipped_vs_reference (void)
{
  gboolean missing;
  g_autofree char *ours_text = read_source_file ("data/holidays-kr.csv", &missing);
  g_autofree char *ref_text = read_source_file ("../shared/data/holidays-kr-reference.csv", &missing);
  g_autoptr (DrdCalendar) ours = NULL;
  g_autoptr (DrdCalendar) ref = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) diff = g_string_new (NULL);
  DrdDate from = ymd (2024, 1, 1), to = ymd (2027, 12, 31);
  g_autofree DrdDate *lo = NULL;
  g_autofree DrdDate *lr = NULL;
  guint no, nr;

  if (missing)
    {
      g_test_skip ("shared/data/holidays-kr-reference.csv is not present");
      return;
    }
  ours = drd_calendar_new_from_data (ours_text, -1, &error);
  g_assert_no_error (error);
  ref = drd_calendar_new_from_data (ref_text, -1, &error);
  g_assert_no_error (error);

  lo = drd_calendar_list (ours, from, to, &no);
  lr = drd_calendar_list (ref, from, to, &nr);
  for (guint i = 0; i < no; i++)
    {
      g_autofree char *s = drd_date_format (lo[i]);
      gboolean allowed = in_list (deliberately_added, G_N_ELEMENTS (deliberately_added), s);

      if (drd_calendar_is_holiday (ref, lo[i]) == allowed)
        g_string_append_printf (diff, allowed ? " (+%s now in the reference)" : " +%s", s);
    }
  for (guint i = 0; i < nr; i++)
    {
      g_autofree char *s = drd_date_format (lr[i]);
      gboolean allowed = in_list (deliberately_removed, G_N_ELEMENTS (deliberately_removed), s);

      if (!drd_calendar_is_holiday (ours, lr[i]) && !allowed)
        g_string_append_printf (diff, " -%s", s);
    }
  if (diff->len > 0)
    g_error ("shipped calendar differs from the reference:%s", diff->str);
  g_assert_cmpuint (no, ==, nr + G_N_ELEMENTS (deliberately_added));
  g_assert_cmpuint (no, >, 60);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/calendar/parse-format", test_parse_format);
  g_test_add_func ("/calendar/duplicates-merge", test_duplicates_merge);
  g_test_add_func ("/calendar/parse-errors", test_parse_errors);
  g_test_add_func ("/calendar/edit-and-round-trip", test_edit_and_round_trip);
  g_test_add_func ("/calendar/business-days", test_business_days);
  g_test_add_func ("/calendar/shipped-file", test_shipped_file);
  g_test_add_func ("/calendar/shipped-vs-reference", test_shipped_vs_reference);
  return g_test_run ();
}
