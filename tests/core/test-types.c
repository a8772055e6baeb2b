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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/types/round-trip", test_round_trip);
  return g_test_run ();
}
