/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/drd-types.h"

/* Every contract spelling round-trips, and nothing else is accepted. */
static void
test_round_trip (void)
{
  static const char *answers[] = { "none", "accept", "deny" };
  static const char *outcomes[] = { "performed", "not_performed", "not_participating", "needs_review" };
  DrdAnswer a;
  DrdOutcome o;
  DrdCblMethod m;

  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      g_assert_true (drd_answer_from_string (answers[i], &a));
      g_assert_cmpstr (drd_answer_to_string (a), ==, answers[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (outcomes); i++)
    {
      g_assert_true (drd_outcome_from_string (outcomes[i], &o));
      g_assert_cmpstr (drd_outcome_to_string (o), ==, outcomes[i]);
    }
  g_assert_true (drd_cbl_method_from_string ("max-4-5", &m));
  g_assert_cmpint (m, ==, DRD_CBL_MAX_4_5);
  g_assert_false (drd_cbl_method_from_string ("MAX-4-5", &m));
  g_assert_false (drd_answer_from_string ("", &a));
  g_assert_false (drd_answer_from_string (NULL, &a));
  g_assert_null (drd_answer_to_string ((DrdAnswer) 7));
}

/* Decimal text ↔ thousandths is exact: "1.234" kWh is 1234 Wh, never 1233. */
static void
test_milli (void)
{
  static const struct { const char *text; gint64 value; } good[] = {
    { "1.234", 1234 }, { "0", 0 }, { "12", 12000 }, { "-0.5", -500 }, { "+2.1", 2100 },
    { " 3.000 ", 3000 }, { ".5", 500 }, { "5.", 5000 }, { "0.0005", 1 }, { "0.0004999", 0 },
    { "-0.0005", -1 }, { "1.2345", 1235 }, { "0.001", 1 }, { "4.35", 4350 },
    { "9223372036854775", G_GINT64_CONSTANT (9223372036854775000) },
  };
  static const char *bad[] = { "", " ", "-", ".", "1,5", "1e3", "abc", "1.2.3", "12a", "--1",
                               "99999999999999999999", NULL };
  static const struct { gint64 value; const char *text; } fmt[] = {
    { 1234, "1.234" }, { 0, "0.000" }, { -5, "-0.005" }, { 1000, "1.000" }, { -1234567, "-1234.567" },
    { G_MININT64, "-9223372036854775.808" },
  };
  char buf[32];

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;
      gint64 v = -99;

      g_test_message ("%s", good[i].text);
      g_assert_true (drd_milli_parse (good[i].text, &v, &error));
      g_assert_no_error (error);
      g_assert_cmpint (v, ==, good[i].value);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      gint64 v = -99;

      g_test_message ("%s", bad[i] ? bad[i] : "(null)");
      g_assert_false (drd_milli_parse (bad[i], &v, &error));
      g_assert_error (error, DRD_TYPES_ERROR, DRD_TYPES_ERROR_INVALID_NUMBER);
      g_assert_cmpint (v, ==, -99);
    }
  for (guint i = 0; i < G_N_ELEMENTS (fmt); i++)
    g_assert_cmpstr (drd_milli_format_buf (fmt[i].value, buf), ==, fmt[i].text);
  for (gint64 v = -3000; v <= 3000; v += 7)
    {
      gint64 back;
      g_assert_true (drd_milli_parse (drd_milli_format_buf (v, buf), &back, NULL));
      g_assert_cmpint (back, ==, v);
    }
}

/* Answers are due at the start; an event already under way takes them
 * until its end, so a late-recorded event is not closed from birth. */
static void
test_default_deadline (void)
{
  g_assert_cmpint (drd_event_default_answer_deadline (3600, 7200, 0), ==, 3600);
  g_assert_cmpint (drd_event_default_answer_deadline (3600, 7200, 3599), ==, 3600);
  g_assert_cmpint (drd_event_default_answer_deadline (3600, 7200, 3600), ==, 7200);
  g_assert_cmpint (drd_event_default_answer_deadline (3600, 7200, 9000), ==, 7200);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/types/round-trip", test_round_trip);
  g_test_add_func ("/types/default-deadline", test_default_deadline);
  g_test_add_func ("/types/milli", test_milli);
  return g_test_run ();
}
