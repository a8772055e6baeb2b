/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Settlement math: exact points flooring, the outcome of every answer ×
 * reduction × data combination, and the event summary's delivery %. */
#include "core/drd-settlement.h"

static void
test_points (void)
{
  static const struct { gint64 wh, rate, points; } table[] = {
    { 999, 100000, 99 },          /* 0.999 kWh × 100 = 99.9 → 99 */
    { 1000, 100000, 100 },
    { 1001, 100000, 100 },        /* 100.1 → 100 */
    { 9, 100000, 0 },             /* 0.9 → 0 */
    { 10, 100000, 1 },
    { 0, 100000, 0 },
    { -1, 100000, 0 },
    { -5000, 100000, 0 },
    { 1000, 60000, 60 },
    { 17, 60000, 1 },             /* 1.02 → 1 */
    { 16, 60000, 0 },             /* 0.96 → 0 */
    { 123456789, 40000, 4938271 },/* 4 938 271.56 → 4 938 271 */
    { 999999, 1, 0 },             /* 0.001 pt/kWh: 0.999999 → 0 */
    { 1000000, 1, 1 },
    { G_GINT64_CONSTANT (1000000000000000), 100000, G_GINT64_CONSTANT (100000000000000) },
    { 1000, 0, 0 },
    { 1000, -5, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_test_message ("%" G_GINT64_FORMAT " Wh at %" G_GINT64_FORMAT, table[i].wh, table[i].rate);
      g_assert_cmpint (drd_points_for_reduction (table[i].wh, table[i].rate), ==, table[i].points);
    }
  /* per kind through the default params: 100 / 60 / 40 points per kWh */
  g_assert_cmpint (drd_params_points (NULL, DRD_EVENT_KIND_RELIABILITY, 2500), ==, 250);
  g_assert_cmpint (drd_params_points (NULL, DRD_EVENT_KIND_ECONOMIC, 2500), ==, 150);
  g_assert_cmpint (drd_params_points (NULL, DRD_EVENT_KIND_CITIZEN, 2500), ==, 100);
  g_assert_cmpint (drd_params_points (NULL, DRD_EVENT_KIND_CITIZEN, 2499), ==, 99);
}

/* Every answer × reduction/data combination.  Reduction is CBL − actual
 * summed over two slots. */
static void
test_outcomes (void)
{
  enum { POS, ZERO, NEG, NO_CBL, MISSING };
  static const struct { gint64 actual[2]; gboolean cbl_ok; guint8 present[2]; } data[] = {
    [POS] = { { 400, 500 }, TRUE, { 1, 1 } },        /* 2000 − 900 = 1100 Wh */
    [ZERO] = { { 1000, 1000 }, TRUE, { 1, 1 } },     /* 0 */
    [NEG] = { { 1200, 1100 }, TRUE, { 1, 1 } },      /* −300 */
    [NO_CBL] = { { 400, 500 }, FALSE, { 1, 1 } },
    [MISSING] = { { 400, 0 }, TRUE, { 1, 0 } },
  };
  static const gint64 cbl[2] = { 1000, 1000 };
  static const struct {
    DrdAnswer answer; int data; DrdOutcome outcome; gint64 points; gint64 reduction;
    DrdReviewReason reason;
  } table[] = {
    { DRD_ANSWER_ACCEPT, POS, DRD_OUTCOME_PERFORMED, 110, 1100, DRD_REVIEW_NONE },
    { DRD_ANSWER_ACCEPT, ZERO, DRD_OUTCOME_NOT_PERFORMED, 0, 0, DRD_REVIEW_NONE },
    { DRD_ANSWER_ACCEPT, NEG, DRD_OUTCOME_NOT_PERFORMED, 0, -300, DRD_REVIEW_NONE },
    { DRD_ANSWER_ACCEPT, NO_CBL, DRD_OUTCOME_NEEDS_REVIEW, 0, 0, DRD_REVIEW_CBL_INSUFFICIENT },
    { DRD_ANSWER_ACCEPT, MISSING, DRD_OUTCOME_NEEDS_REVIEW, 0, 0, DRD_REVIEW_ACTUAL_MISSING },
    { DRD_ANSWER_DENY, POS, DRD_OUTCOME_NOT_PARTICIPATING, 0, 1100, DRD_REVIEW_NONE },
    { DRD_ANSWER_DENY, ZERO, DRD_OUTCOME_NOT_PARTICIPATING, 0, 0, DRD_REVIEW_NONE },
    { DRD_ANSWER_DENY, NEG, DRD_OUTCOME_NOT_PARTICIPATING, 0, -300, DRD_REVIEW_NONE },
    { DRD_ANSWER_DENY, NO_CBL, DRD_OUTCOME_NEEDS_REVIEW, 0, 0, DRD_REVIEW_CBL_INSUFFICIENT },
    { DRD_ANSWER_DENY, MISSING, DRD_OUTCOME_NEEDS_REVIEW, 0, 0, DRD_REVIEW_ACTUAL_MISSING },
    { DRD_ANSWER_NONE, POS, DRD_OUTCOME_NOT_PARTICIPATING, 0, 1100, DRD_REVIEW_NONE },
    { DRD_ANSWER_NONE, ZERO, DRD_OUTCOME_NOT_PARTICIPATING, 0, 0, DRD_REVIEW_NONE },
    { DRD_ANSWER_NONE, NEG, DRD_OUTCOME_NOT_PARTICIPATING, 0, -300, DRD_REVIEW_NONE },
    { DRD_ANSWER_NONE, NO_CBL, DRD_OUTCOME_NEEDS_REVIEW, 0, 0, DRD_REVIEW_CBL_INSUFFICIENT },
    { DRD_ANSWER_NONE, MISSING, DRD_OUTCOME_NEEDS_REVIEW, 0, 0, DRD_REVIEW_ACTUAL_MISSING },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      DrdSettlementInput in = {
        .answer = table[i].answer,
        .kind = DRD_EVENT_KIND_RELIABILITY,
        .cbl_ok = data[table[i].data].cbl_ok,
        .n_slots = 2,
        .cbl_wh = cbl,
        .actual_wh = data[table[i].data].actual,
        .actual_present = data[table[i].data].present,
      };
      DrdSettlementResult res;

      g_test_message ("case %u", i);
      drd_settlement_compute (&in, NULL, &res);
      g_assert_cmpint (res.outcome, ==, table[i].outcome);
      g_assert_cmpint (res.points, ==, table[i].points);
      g_assert_cmpint (res.reduction_wh, ==, table[i].reduction);
      g_assert_cmpint (res.review_reason, ==, table[i].reason);
      g_assert_cmpint (res.reduction_known, ==, table[i].reason == DRD_REVIEW_NONE);
      if (res.reduction_known)
        {
          g_assert_cmpint (res.baseline_wh, ==, 2000);
          g_assert_cmpint (res.baseline_wh - res.actual_wh, ==, res.reduction_wh);
        }
    }
}

static void
test_threshold_and_kind (void)
{
  DrdParams params;
  static const gint64 cbl[1] = { 2000 };
  gint64 actual[1];
  DrdSettlementInput in = { DRD_ANSWER_ACCEPT, DRD_EVENT_KIND_ECONOMIC, TRUE, 1, cbl, actual, NULL };
  DrdSettlementResult res;

  drd_params_init_defaults (&params);
  params.performance_threshold_wh = 500;

  actual[0] = 1500;    /* reduction 500: not above the threshold */
  drd_settlement_compute (&in, &params, &res);
  g_assert_cmpint (res.outcome, ==, DRD_OUTCOME_NOT_PERFORMED);
  g_assert_cmpint (res.points, ==, 0);

  actual[0] = 1499;    /* 501 Wh × 60 pt/kWh = 30.06 → 30 */
  drd_settlement_compute (&in, &params, &res);
  g_assert_cmpint (res.outcome, ==, DRD_OUTCOME_PERFORMED);
  g_assert_cmpint (res.points, ==, 30);

  /* a performed customer whose reduction is below 1 point still performed */
  actual[0] = 1990;
  drd_settlement_compute (&in, NULL, &res);
  g_assert_cmpint (res.outcome, ==, DRD_OUTCOME_PERFORMED);
  g_assert_cmpint (res.points, ==, 0);   /* 10 Wh × 60 = 0.6 → 0 */

  g_assert_cmpint (drd_settlement_outcome (DRD_ANSWER_ACCEPT, TRUE, 1, NULL), ==,
                   DRD_OUTCOME_PERFORMED);
  g_assert_cmpint (drd_settlement_outcome (DRD_ANSWER_ACCEPT, FALSE, 1000, NULL), ==,
                   DRD_OUTCOME_NEEDS_REVIEW);
  g_assert_cmpstr (drd_review_reason_to_string (DRD_REVIEW_ACTUAL_MISSING), ==, "actual_missing");
}

static void
add (DrdEventSummary *s, DrdAnswer answer, DrdOutcome outcome, gint64 reduction, gboolean known,
     gint64 points)
{
  DrdSettlementResult r = { outcome, known ? DRD_REVIEW_NONE : DRD_REVIEW_CBL_INSUFFICIENT, known,
                            0, 0, known ? reduction : 0, points };
  drd_event_summary_add (s, answer, &r);
}

static void
test_summary (void)
{
  DrdEventSummary s;
  gint64 bp;
  double pct;
  gint64 start = G_GINT64_CONSTANT (1782878400);

  /* 1000 kW for 2 h = 2 000 000 Wh target */
  drd_event_summary_init (&s, 1000000, start, start + 7200);
  g_assert_cmpint (drd_event_summary_target_wh (&s), ==, 2000000);
  add (&s, DRD_ANSWER_ACCEPT, DRD_OUTCOME_PERFORMED, 1500000, TRUE, 150000);
  add (&s, DRD_ANSWER_ACCEPT, DRD_OUTCOME_NOT_PERFORMED, -100000, TRUE, 0);   /* counts as is */
  add (&s, DRD_ANSWER_ACCEPT, DRD_OUTCOME_NEEDS_REVIEW, 0, FALSE, 0);         /* left out */
  add (&s, DRD_ANSWER_DENY, DRD_OUTCOME_NOT_PARTICIPATING, 500000, TRUE, 0);  /* not accepted */
  add (&s, DRD_ANSWER_NONE, DRD_OUTCOME_NOT_PARTICIPATING, 7, TRUE, 0);

  g_assert_cmpuint (s.n_customers, ==, 5);
  g_assert_cmpuint (s.n_by_outcome[DRD_OUTCOME_PERFORMED], ==, 1);
  g_assert_cmpuint (s.n_by_outcome[DRD_OUTCOME_NOT_PERFORMED], ==, 1);
  g_assert_cmpuint (s.n_by_outcome[DRD_OUTCOME_NEEDS_REVIEW], ==, 1);
  g_assert_cmpuint (s.n_by_outcome[DRD_OUTCOME_NOT_PARTICIPATING], ==, 2);
  g_assert_cmpuint (s.n_by_answer[DRD_ANSWER_ACCEPT], ==, 3);
  g_assert_cmpuint (s.n_accepted_unknown, ==, 1);
  g_assert_cmpint (s.accepted_reduction_wh, ==, 1400000);
  g_assert_cmpint (s.total_reduction_wh, ==, 1900007);
  g_assert_cmpint (s.points_total, ==, 150000);
  g_assert_true (drd_event_summary_delivery_bp (&s, &bp));
  g_assert_cmpint (bp, ==, 7000);                        /* 70.00 % */
  g_assert_true (drd_event_summary_delivery_percent (&s, &pct));
  g_assert_cmpfloat_with_epsilon (pct, 70.0, 1e-9);

  /* only a negative accepted reduction: below zero */
  drd_event_summary_init (&s, 1000, start, start + 3600);
  add (&s, DRD_ANSWER_ACCEPT, DRD_OUTCOME_NOT_PERFORMED, -250, TRUE, 0);
  g_assert_true (drd_event_summary_delivery_bp (&s, &bp));
  g_assert_cmpint (bp, ==, -2500);

  /* rounding: 1 Wh against 3 W × 15 min = 0.75 Wh → 133.33 % */
  drd_event_summary_init (&s, 3, start, start + 900);
  add (&s, DRD_ANSWER_ACCEPT, DRD_OUTCOME_PERFORMED, 1, TRUE, 0);
  g_assert_true (drd_event_summary_delivery_bp (&s, &bp));
  g_assert_cmpint (bp, ==, 13333);
  g_assert_cmpint (drd_event_summary_target_wh (&s), ==, 1);    /* 0.75 → 1 */

  /* undefined without a target */
  drd_event_summary_init (&s, 0, start, start + 3600);
  add (&s, DRD_ANSWER_ACCEPT, DRD_OUTCOME_PERFORMED, 1000, TRUE, 100);
  g_assert_false (drd_event_summary_delivery_bp (&s, &bp));
  g_assert_false (drd_event_summary_delivery_percent (&s, &pct));
}

/* CBL, actuals and outcome together from one history: 10 weekdays at
 * 1000 Wh per slot, the event day at 600 during 13:00–15:00. */
static void
test_settle_end_to_end (void)
{
  DrdDate event_day = drd_date_from_ymd (2026, 7, 1);
  gint64 start = drd_date_start (event_day) + 13 * 3600;
  DrdCblRequest req = { DRD_CBL_MID_6_10, FALSE, start, start + 2 * 3600 };
  g_autoptr (DrdReadings) r = drd_readings_new ();
  g_autoptr (DrdCblResult) cbl = NULL;
  g_autoptr (GError) error = NULL;
  DrdSettlementResult res;
  int weekdays = 0;

  for (DrdDate d = event_day - 1; weekdays < 10; d--)
    if (drd_date_is_weekday (d))
      {
        weekdays++;
        for (int k = 0; k < DRD_SLOTS_PER_DAY; k++)
          drd_readings_set_slot (r, d, k, 1000);
      }
  for (int k = 0; k < DRD_SLOTS_PER_DAY; k++)
    drd_readings_set_slot (r, event_day, k, k >= 52 && k < 60 ? 600 : 1000);

  g_assert_true (drd_settlement_settle (&req, DRD_ANSWER_ACCEPT, DRD_EVENT_KIND_RELIABILITY,
                                        drd_readings_history_func, r, NULL, NULL, 0, NULL,
                                        &cbl, &res, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cbl->status, ==, DRD_CBL_STATUS_OK);
  g_assert_cmpint (res.outcome, ==, DRD_OUTCOME_PERFORMED);
  g_assert_cmpint (res.baseline_wh, ==, 8000);
  g_assert_cmpint (res.actual_wh, ==, 4800);
  g_assert_cmpint (res.reduction_wh, ==, 3200);
  g_assert_cmpint (res.points, ==, 320);

  /* one event slot not metered yet → needs review */
  ((DrdDayReadings *) drd_readings_lookup (r, event_day))->present[55] = 0;
  g_assert_true (drd_settlement_settle (&req, DRD_ANSWER_ACCEPT, DRD_EVENT_KIND_RELIABILITY,
                                        drd_readings_history_func, r, NULL, NULL, 0, NULL,
                                        NULL, &res, NULL));
  g_assert_cmpint (res.outcome, ==, DRD_OUTCOME_NEEDS_REVIEW);
  g_assert_cmpint (res.review_reason, ==, DRD_REVIEW_ACTUAL_MISSING);
  g_assert_cmpint (res.points, ==, 0);

  /* a Max customer is fine with 10 days; excluding 6 of them leaves 4 < 5 */
  {
    DrdCblRequest max_req = req;
    DrdDate excluded[6];
    int n = 0;

    max_req.method = DRD_CBL_MAX_4_5;
    for (DrdDate d = event_day - 1; n < 6; d--)
      if (drd_date_is_weekday (d))
        excluded[n++] = d;
    g_assert_true (drd_settlement_settle (&max_req, DRD_ANSWER_DENY, DRD_EVENT_KIND_CITIZEN,
                                          drd_readings_history_func, r, NULL, excluded, 6, NULL,
                                          NULL, &res, NULL));
    g_assert_cmpint (res.outcome, ==, DRD_OUTCOME_NEEDS_REVIEW);
    g_assert_cmpint (res.review_reason, ==, DRD_REVIEW_CBL_INSUFFICIENT);
  }

  /* an invalid window is an error, not an outcome */
  req.event_end = req.event_start + 60;
  g_assert_false (drd_settlement_settle (&req, DRD_ANSWER_ACCEPT, DRD_EVENT_KIND_RELIABILITY,
                                         drd_readings_history_func, r, NULL, NULL, 0, NULL,
                                         NULL, &res, &error));
  g_assert_error (error, DRD_CBL_ERROR, DRD_CBL_ERROR_INVALID_WINDOW);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/settlement/points", test_points);
  g_test_add_func ("/settlement/outcomes", test_outcomes);
  g_test_add_func ("/settlement/threshold-and-kind", test_threshold_and_kind);
  g_test_add_func ("/settlement/summary", test_summary);
  g_test_add_func ("/settlement/settle-end-to-end", test_settle_end_to_end);
  return g_test_run ();
}
