/* SPDX-License-Identifier: GPL-3.0-or-later */
/* CBL: both KPX methods on hand-computed data, every eligibility rule,
 * the look-back limit, abnormal days (low; factory high), insufficient
 * history and events crossing local midnight. */
#include "core/drd-cbl.h"

#include <string.h>

static DrdDate
ymd (int y, int m, int d)
{
  return drd_date_from_ymd (y, m, d);
}

/* 2026-07-01 is a Wednesday. */
#define EVENT_DAY ymd (2026, 7, 1)

static gint64
at (DrdDate date, int hh, int mm)
{
  return drd_date_start (date) + hh * 3600 + mm * 60;
}

/* Fills @date with @value in every slot. */
static DrdDayReadings *
put_day (DrdReadings *r, DrdDate date, gint64 value)
{
  for (int k = 0; k < DRD_SLOTS_PER_DAY; k++)
    drd_readings_set_slot (r, date, k, value);
  return (DrdDayReadings *) drd_readings_lookup (r, date);
}

/* The weekdays before EVENT_DAY, newest first, skipping nothing. */
static DrdDate
weekday_back (int n)
{
  DrdDate d = EVENT_DAY;

  for (int i = 0; i <= n; )
    {
      d--;
      if (drd_date_is_weekday (d))
        i++;
    }
  return d;
}

static DrdCblResult *
compute (DrdReadings *r, DrdCblMethod method, gboolean factory, gint64 start, gint64 end,
         DrdCalendar *cal, const DrdDate *excluded, guint n_excluded, const DrdParams *params)
{
  DrdCblRequest req = { method, factory, start, end };
  g_autoptr (GError) error = NULL;
  DrdCblResult *res;

  res = drd_cbl_compute (&req, drd_readings_history_func, r, cal, excluded, n_excluded, params,
                         &error);
  g_assert_no_error (error);
  g_assert_nonnull (res);
  return res;
}

static void
assert_dates (GArray *got, const DrdDate *expected, guint n)
{
  g_assert_cmpuint (got->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (g_array_index (got, DrdDate, i), ==, expected[i]);
}

/* ---- aggregation primitives ---- */

static void
test_round_half_up (void)
{
  static const struct { gint64 a, b, q; } table[] = {
    { 21, 2, 11 }, { 20, 2, 10 }, { 41, 4, 10 }, { 10, 4, 3 }, { 4350, 4, 1088 },
    { 6250, 6, 1042 }, { 21, 6, 4 }, { 0, 6, 0 }, { -21, 2, -10 }, { -22, 4, -5 },
    { -23, 4, -6 }, { 1, 3, 0 }, { 2, 3, 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    g_assert_cmpint (drd_div_round_half_up (table[i].a, table[i].b), ==, table[i].q);
}

static void
test_aggregate (void)
{
  gint64 a[] = { 120, 90, 105, 110, 100 };
  gint64 ties[] = { 5, 5, 5, 5, 5 };
  gint64 low_ties[] = { 7, 3, 3, 9, 3 };
  gint64 mid[] = { 6, 1, 5, 2, 4, 3, 5, 2, 4, 3 };
  gint64 mid_ties[] = { 9, 9, 9, 1, 1, 1, 5, 5, 5, 5 };

  /* Max(4/5): drop the single lowest */
  g_assert_cmpint (drd_cbl_aggregate (a, 5, 1, 0), ==, 109);          /* 435/4 = 108.75 */
  g_assert_cmpint (drd_cbl_aggregate (ties, 5, 1, 0), ==, 5);
  g_assert_cmpint (drd_cbl_aggregate (low_ties, 5, 1, 0), ==, 6);     /* 3+3+7+9 = 22/4 = 5.5 */
  /* Mid(6/10): drop 2 highest and 2 lowest */
  g_assert_cmpint (drd_cbl_aggregate (mid, 10, 2, 2), ==, 4);         /* 2+3+3+4+4+5 = 21/6 = 3.5 */
  g_assert_cmpint (drd_cbl_aggregate (mid_ties, 10, 2, 2), ==, 5);    /* 1+5+5+5+5+9 = 30/6 */
}

/* ---- hand-computed Max vs Mid on the same data ---- */

/* Event 13:00–14:00 = slots 52..55.  Days 0..9 (newest first) hold 1000 Wh
 * in every other slot, and these in the event slots: */
static const gint64 event_slots[4][10] = {
  /* slot 52 */ { 1000, 1100, 900, 1200, 1050, 950, 1300, 800, 1150, 1000 },
  /* slot 53 */ { 500, 500, 700, 700, 700, 900, 900, 900, 500, 700 },
  /* slot 54 */ { 1, 2, 2, 3, 3, 4, 4, 5, 5, 6 },
  /* slot 55 */ { 10, 10, 10, 10, 11, 10, 10, 10, 10, 10 },
};

static DrdReadings *
hand_history (void)
{
  DrdReadings *r = drd_readings_new ();

  for (int i = 0; i < 12; i++)
    {
      DrdDate d = weekday_back (i);
      DrdDayReadings *day = put_day (r, d, 1000);

      for (int s = 0; s < 4 && i < 10; s++)
        day->wh[52 + s] = event_slots[s][i];
      if (i >= 10)   /* older days must never be reached */
        for (int s = 0; s < 4; s++)
          day->wh[52 + s] = 99999;
    }
  return r;
}

static void
test_max_vs_mid (void)
{
  g_autoptr (DrdReadings) r = hand_history ();
  g_autoptr (DrdCblResult) max = NULL;
  g_autoptr (DrdCblResult) mid = NULL;
  /* Max(4/5): slot 52: 900 1000 1050 1100 1200 → drop 900 → 4350/4 = 1087.5 → 1088
   *           slot 53: 500 500 700 700 700 → drop one 500 → 2600/4 = 650
   *           slot 54: 1 2 2 3 3 → 10/4 = 2.5 → 3 (half up)
   *           slot 55: 10 10 10 10 11 → 41/4 = 10.25 → 10
   * Mid(6/10): slot 52: 800 900 | 950 1000 1000 1050 1100 1150 | 1200 1300 → 6250/6 → 1042
   *            slot 53: 500 500 | 500 700 700 700 700 900 | 900 900 → 4200/6 = 700
   *            slot 54: 1 2 | 2 3 3 4 4 5 | 5 6 → 21/6 = 3.5 → 4
   *            slot 55: 10 ×9, 11 → 60/6 = 10 */
  static const gint64 want_max[] = { 1088, 650, 3, 10 };
  static const gint64 want_mid[] = { 1042, 700, 4, 10 };
  DrdDate used_max[5], used_mid[10];

  for (int i = 0; i < 10; i++)
    {
      if (i < 5)
        used_max[i] = weekday_back (i);
      used_mid[i] = weekday_back (i);
    }

  max = compute (r, DRD_CBL_MAX_4_5, FALSE, at (EVENT_DAY, 13, 0), at (EVENT_DAY, 14, 0),
                 NULL, NULL, 0, NULL);
  mid = compute (r, DRD_CBL_MID_6_10, FALSE, at (EVENT_DAY, 13, 0), at (EVENT_DAY, 14, 0),
                 NULL, NULL, 0, NULL);

  g_assert_cmpint (max->status, ==, DRD_CBL_STATUS_OK);
  g_assert_cmpint (mid->status, ==, DRD_CBL_STATUS_OK);
  g_assert_cmpuint (max->n_slots, ==, 4);
  g_assert_cmpuint (max->n_days, ==, 1);
  for (int s = 0; s < 4; s++)
    {
      g_assert_cmpint (max->slot_start[s], ==, at (EVENT_DAY, 13, 15 * s));
      g_assert_cmpint (max->cbl_wh[s], ==, want_max[s]);
      g_assert_cmpint (mid->cbl_wh[s], ==, want_mid[s]);
    }
  g_assert_cmpint (drd_cbl_result_total_wh (max), ==, 1088 + 650 + 3 + 10);
  assert_dates (max->days[0].used, used_max, 5);
  assert_dates (mid->days[0].used, used_mid, 10);
  /* look-back: 2 × W eligible days considered, no more */
  g_assert_cmpuint (max->days[0].considered->len, ==, 10);
  g_assert_cmpuint (mid->days[0].considered->len, ==, 12);   /* only 12 exist */
  g_assert_cmpuint (max->days[0].abnormal->len, ==, 0);
  /* a slot outside the event: every day 1000 */
  g_assert_cmpint (max->days[0].profile_wh[0], ==, 1000);
}

/* ---- eligibility ---- */

static void
test_ineligible_days (void)
{
  g_autoptr (DrdReadings) r = drd_readings_new ();
  g_autoptr (DrdCalendar) cal = drd_calendar_new ();
  g_autoptr (DrdCblResult) res = NULL;
  DrdDate excluded[] = { ymd (2026, 6, 30), ymd (2025, 1, 1) /* irrelevant, far away */ };
  DrdDate want_used[] = { ymd (2026, 6, 24), ymd (2026, 6, 23), ymd (2026, 6, 22),
                          ymd (2026, 6, 19), ymd (2026, 6, 18) };
  static const struct { int m, d; DrdCblSkipReason reason; guint missing; } want_skipped[] = {
    { 6, 30, DRD_CBL_SKIP_EXCLUDED, 0 },     /* Tue: another DR event */
    { 6, 29, DRD_CBL_SKIP_HOLIDAY, 0 },      /* Mon: a holiday on a weekday */
    { 6, 28, DRD_CBL_SKIP_WEEKEND, 0 },      /* Sun, data present */
    { 6, 27, DRD_CBL_SKIP_WEEKEND, 0 },      /* Sat, data present */
    { 6, 26, DRD_CBL_SKIP_INCOMPLETE, 1 },   /* Fri: one slot missing */
    { 6, 25, DRD_CBL_SKIP_NO_DATA, 0 },      /* Thu: nothing at all */
    { 6, 21, DRD_CBL_SKIP_WEEKEND, 0 },
    { 6, 20, DRD_CBL_SKIP_WEEKEND, 0 },
  };
  DrdDayReadings *incomplete;
  g_autofree char *explain = NULL;

  drd_calendar_add (cal, ymd (2026, 6, 29), "test holiday");
  /* the ineligible days carry huge values: using any of them would show */
  for (int day = 18; day <= 30; day++)
    if (day != 25)
      put_day (r, ymd (2026, 6, day), 9000);
  for (guint i = 0; i < G_N_ELEMENTS (want_used); i++)
    put_day (r, want_used[i], 100 + i);
  /* older eligible days beyond what Max needs, normal too */
  for (int day = 10; day <= 17; day++)
    put_day (r, ymd (2026, 6, day), 100);
  incomplete = (DrdDayReadings *) drd_readings_lookup (r, ymd (2026, 6, 26));
  incomplete->present[95] = 0;

  res = compute (r, DRD_CBL_MAX_4_5, FALSE, at (EVENT_DAY, 13, 0), at (EVENT_DAY, 13, 15),
                 cal, excluded, G_N_ELEMENTS (excluded), NULL);
  g_assert_cmpint (res->status, ==, DRD_CBL_STATUS_OK);
  assert_dates (res->days[0].used, want_used, 5);
  /* 100..104: drop 100 → 101+102+103+104 = 410/4 = 102.5 → 103 */
  g_assert_cmpint (res->cbl_wh[0], ==, 103);

  g_assert_cmpuint (res->days[0].skipped->len, >=, G_N_ELEMENTS (want_skipped));
  for (guint i = 0; i < G_N_ELEMENTS (want_skipped); i++)
    {
      const DrdCblSkippedDay *sk = &g_array_index (res->days[0].skipped, DrdCblSkippedDay, i);

      g_assert_cmpint (sk->date, ==, ymd (2026, want_skipped[i].m, want_skipped[i].d));
      g_assert_cmpint (sk->reason, ==, want_skipped[i].reason);
      g_assert_cmpuint (sk->n_missing, ==, want_skipped[i].missing);
    }

  explain = drd_cbl_result_explain (res);
  g_test_message ("%s", explain);
  g_assert_nonnull (strstr (explain, "2026-06-24, 2026-06-23, 2026-06-22, 2026-06-19, 2026-06-18"));
  g_assert_nonnull (strstr (explain, "2026-06-29 (public holiday)"));
  g_assert_nonnull (strstr (explain, "2026-06-30 (excluded: targeted by another DR event)"));
  g_assert_nonnull (strstr (explain, "2026-06-26 (1 of 96 slots missing)"));
  g_assert_nonnull (strstr (explain, "2026-06-25 (no meter data)"));
  g_assert_nonnull (strstr (explain, "10 eligible days considered, 0 abnormal, 5 used"));
}

/* A day after the event day is never used, nor the event day itself. */
static void
test_only_days_before (void)
{
  g_autoptr (DrdReadings) r = drd_readings_new ();
  g_autoptr (DrdCblResult) res = NULL;

  put_day (r, EVENT_DAY, 5000);
  put_day (r, EVENT_DAY + 1, 5000);
  for (int i = 0; i < 5; i++)
    put_day (r, weekday_back (i), 200);
  res = compute (r, DRD_CBL_MAX_4_5, FALSE, at (EVENT_DAY, 10, 0), at (EVENT_DAY, 11, 0),
                 NULL, NULL, 0, NULL);
  g_assert_cmpint (res->status, ==, DRD_CBL_STATUS_OK);
  for (guint s = 0; s < res->n_slots; s++)
    g_assert_cmpint (res->cbl_wh[s], ==, 200);
}

/* ---- look-back ---- */

/* Max: 10 eligible days in the look-back; of these 6 are abnormally low,
 * so only 4 remain — insufficient, although normal days exist further
 * back (beyond 2 × W they must not be used).  With one more normal day
 * inside the look-back it works, and uses exactly the normal ones. */
static void
test_lookback_limit (void)
{
  /* newest first; 1 = normal (1000/slot), 0 = low (100/slot) */
  static const int pattern_short[10] = { 1, 0, 1, 0, 1, 0, 0, 0, 1, 0 };
  static const int pattern_ok[10] =    { 1, 0, 1, 0, 1, 0, 0, 1, 1, 0 };
  const int *patterns[2] = { pattern_short, pattern_ok };

  for (int p = 0; p < 2; p++)
    {
      g_autoptr (DrdReadings) r = drd_readings_new ();
      g_autoptr (DrdCblResult) res = NULL;
      guint n_normal = 0;

      for (int i = 0; i < 10; i++)
        put_day (r, weekday_back (i), patterns[p][i] ? 1000 : 100);
      for (int i = 10; i < 20; i++)   /* normal but beyond the look-back */
        put_day (r, weekday_back (i), 1000);

      res = compute (r, DRD_CBL_MAX_4_5, FALSE, at (EVENT_DAY, 13, 0), at (EVENT_DAY, 14, 0),
                     NULL, NULL, 0, NULL);
      g_assert_cmpuint (res->days[0].considered->len, ==, 10);
      /* mean of the 5 newest = (3×96000 + 2×9600)/5 = 61440; 75 % = 46080 > 9600 */
      g_assert_cmpint (res->days[0].reference_total_wh, ==, 3 * 96000 + 2 * 9600);
      for (int i = 0; i < 10; i++)
        n_normal += patterns[p][i];
      if (p == 0)
        {
          g_assert_cmpint (res->status, ==, DRD_CBL_STATUS_INSUFFICIENT);
          g_assert_cmpuint (res->days[0].abnormal->len, ==, 6);
          g_assert_cmpuint (res->days[0].used->len, ==, 0);
          g_assert_cmpint (res->cbl_wh[0], ==, 0);
        }
      else
        {
          DrdDate want[5] = { weekday_back (0), weekday_back (2), weekday_back (4),
                              weekday_back (7), weekday_back (8) };

          g_assert_cmpuint (n_normal, ==, 5);
          g_assert_cmpint (res->status, ==, DRD_CBL_STATUS_OK);
          assert_dates (res->days[0].used, want, 5);
          g_assert_cmpint (res->cbl_wh[0], ==, 1000);
        }
    }
}

/* ---- abnormal days ---- */

/* Max, W = 5: four days total T = 96 900, one day X.  X is abnormal iff
 * 5 X < 0.75 (4T + X)  ⇔  X < 12T/17 = 68 400: exactly 75 % is kept. */
static void
test_abnormal_low (void)
{
  static const struct { gint64 low_slot0; gboolean abnormal; } table[] = {
    { 1900, FALSE },   /* X = 95×700 + 1900 = 68 400: exactly 75 % of the mean */
    { 1899, TRUE },    /* one Wh less */
  };

  for (guint c = 0; c < G_N_ELEMENTS (table); c++)
    {
      g_autoptr (DrdReadings) r = drd_readings_new ();
      g_autoptr (DrdCblResult) res = NULL;
      DrdDayReadings *day;

      for (int i = 0; i < 6; i++)
        {
          day = put_day (r, weekday_back (i), 1000);
          day->wh[0] = 1900;
        }
      day = put_day (r, weekday_back (2), 700);   /* the low day, third newest */
      day->wh[0] = table[c].low_slot0;

      res = compute (r, DRD_CBL_MAX_4_5, FALSE, at (EVENT_DAY, 13, 0), at (EVENT_DAY, 13, 15),
                     NULL, NULL, 0, NULL);
      g_assert_cmpint (res->status, ==, DRD_CBL_STATUS_OK);
      if (table[c].abnormal)
        {
          DrdDate want[5] = { weekday_back (0), weekday_back (1), weekday_back (3),
                              weekday_back (4), weekday_back (5) };

          g_autofree char *explain = drd_cbl_result_explain (res);
          g_autofree char *line = NULL;
          char ds[11];

          g_assert_cmpuint (res->days[0].abnormal->len, ==, 1);
          g_assert_cmpint (g_array_index (res->days[0].abnormal, DrdDate, 0), ==, weekday_back (2));
          /* mean = (4 × 96 900 + 68 399) / 5 = 91 199.8 → 91.200 kWh */
          line = g_strdup_printf ("abnormal, dropped: %s (total 68.399 kWh against a mean of "
                                  "91.200 kWh)", drd_date_format_buf (weekday_back (2), ds));
          g_test_message ("%s", explain);
          g_assert_nonnull (strstr (explain, line));
          assert_dates (res->days[0].used, want, 5);
          g_assert_cmpint (res->cbl_wh[0], ==, 1000);
        }
      else
        {
          DrdDate want[5] = { weekday_back (0), weekday_back (1), weekday_back (2),
                              weekday_back (3), weekday_back (4) };

          g_assert_cmpuint (res->days[0].abnormal->len, ==, 0);
          assert_dates (res->days[0].used, want, 5);
          /* slot 52: 700 1000 1000 1000 1000 → drop 700 → 1000 */
          g_assert_cmpint (res->cbl_wh[0], ==, 1000);
        }
    }
}

/* A high day (X > 4T/3 with W = 5) is abnormal for factories only; exactly
 * 125 % is kept. */
static void
test_abnormal_high_factory (void)
{
  static const struct { gboolean factory; gint64 high; gboolean abnormal; } table[] = {
    { TRUE, 1400, TRUE },      /* 134 400 > 128 000 */
    { FALSE, 1400, FALSE },    /* non-factory: high days are kept */
    { TRUE, 1333, FALSE },     /* 127 968 ≤ 128 000 */
  };

  for (guint c = 0; c < G_N_ELEMENTS (table); c++)
    {
      g_autoptr (DrdReadings) r = drd_readings_new ();
      g_autoptr (DrdCblResult) res = NULL;

      for (int i = 0; i < 6; i++)
        put_day (r, weekday_back (i), 1000);
      put_day (r, weekday_back (1), table[c].high);

      res = compute (r, DRD_CBL_MAX_4_5, table[c].factory,
                     at (EVENT_DAY, 13, 0), at (EVENT_DAY, 13, 15), NULL, NULL, 0, NULL);
      g_assert_cmpint (res->status, ==, DRD_CBL_STATUS_OK);
      g_assert_cmpuint (res->days[0].abnormal->len, ==, table[c].abnormal ? 1 : 0);
      if (table[c].abnormal)
        g_assert_cmpint (res->cbl_wh[0], ==, 1000);
      else   /* 1000 ×4 + high, drop 1000 → (3000 + high)/4 */
        g_assert_cmpint (res->cbl_wh[0], ==, drd_div_round_half_up (3000 + table[c].high, 4));
    }
}

/* ---- insufficient ---- */

static void
test_insufficient (void)
{
  g_autoptr (DrdReadings) r = drd_readings_new ();
  g_autoptr (DrdCblResult) max = NULL;
  g_autoptr (DrdCblResult) mid = NULL;
  g_autofree char *explain = NULL;

  for (int i = 0; i < 9; i++)
    put_day (r, weekday_back (i), 500);
  max = compute (r, DRD_CBL_MAX_4_5, FALSE, at (EVENT_DAY, 13, 0), at (EVENT_DAY, 14, 0),
                 NULL, NULL, 0, NULL);
  mid = compute (r, DRD_CBL_MID_6_10, FALSE, at (EVENT_DAY, 13, 0), at (EVENT_DAY, 14, 0),
                 NULL, NULL, 0, NULL);
  g_assert_cmpint (max->status, ==, DRD_CBL_STATUS_OK);        /* 9 ≥ 5 */
  g_assert_cmpint (mid->status, ==, DRD_CBL_STATUS_INSUFFICIENT);   /* 9 < 10 */
  g_assert_cmpuint (mid->days[0].considered->len, ==, 9);
  g_assert_cmpuint (mid->days[0].used->len, ==, 0);
  g_assert_cmpint (mid->days[0].reference_total_wh, ==, 0);
  for (guint s = 0; s < mid->n_slots; s++)
    g_assert_cmpint (mid->cbl_wh[s], ==, 0);
  explain = drd_cbl_result_explain (mid);
  g_test_message ("%s", explain);
  g_assert_nonnull (strstr (explain, "insufficient history: 9 usable days of 10 needed"));
  /* the fruitless search to the calendar bound is one summary line */
  g_assert_nonnull (strstr (explain, "more days skipped:"));
  {
    g_auto (GStrv) lines = g_strsplit (explain, "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), <, 12);
  }
}

/* Empty history ends at the calendar bound instead of searching forever. */
static void
test_empty_history_bounded (void)
{
  g_autoptr (DrdReadings) r = drd_readings_new ();
  g_autoptr (DrdCblResult) res = NULL;
  DrdParams params;

  drd_params_init_defaults (&params);
  params.cbl_max_calendar_days = 30;
  res = compute (r, DRD_CBL_MID_6_10, FALSE, at (EVENT_DAY, 13, 0), at (EVENT_DAY, 14, 0),
                 NULL, NULL, 0, &params);
  g_assert_cmpint (res->status, ==, DRD_CBL_STATUS_INSUFFICIENT);
  g_assert_cmpuint (res->days[0].skipped->len, ==, 30);
}

/* ---- midnight ---- */

/* Friday 2026-07-03 23:00 → Saturday 00:45 (7 slots over two local days).
 * Slot values depend on the slot, so the mapping shows: the first 4 CBL
 * values come from slots 92..95, the last 3 from slots 0..2 of the next
 * day's CBL.  The event's own Friday is never a CBL day for Saturday. */
static void
test_crossing_midnight (void)
{
  g_autoptr (DrdReadings) r = drd_readings_new ();
  g_autoptr (DrdCblResult) res = NULL;
  DrdDate fri = ymd (2026, 7, 3);
  g_autofree char *explain = NULL;

  put_day (r, fri, 77777);
  for (DrdDate d = fri - 1; d > fri - 20; d--)
    for (int k = 0; k < DRD_SLOTS_PER_DAY; k++)
      drd_readings_set_slot (r, d, k, 100 * k + (drd_date_is_weekday (d) ? 0 : 50));

  res = compute (r, DRD_CBL_MAX_4_5, FALSE, at (fri, 23, 0), at (fri + 1, 0, 45),
                 NULL, NULL, 0, NULL);
  g_assert_cmpint (res->status, ==, DRD_CBL_STATUS_OK);
  g_assert_cmpuint (res->n_slots, ==, 7);
  g_assert_cmpuint (res->n_days, ==, 2);
  g_assert_cmpint (res->days[0].event_date, ==, fri);
  g_assert_cmpint (res->days[1].event_date, ==, fri + 1);
  for (int s = 0; s < 4; s++)
    {
      g_assert_cmpuint (res->slot_day[s], ==, 0);
      g_assert_cmpint (res->cbl_wh[s], ==, 100 * (92 + s));
    }
  for (int s = 4; s < 7; s++)
    {
      g_assert_cmpuint (res->slot_day[s], ==, 1);
      g_assert_cmpint (res->slot_start[s], ==, at (fri + 1, 0, 15 * (s - 4)));
      g_assert_cmpint (res->cbl_wh[s], ==, 100 * (s - 4));
    }
  /* Saturday's look-back skips Friday as a day of this very event */
  g_assert_cmpint (g_array_index (res->days[1].skipped, DrdCblSkippedDay, 0).date, ==, fri);
  g_assert_cmpint (g_array_index (res->days[1].skipped, DrdCblSkippedDay, 0).reason, ==,
                   DRD_CBL_SKIP_EVENT_DAY);
  assert_dates (res->days[1].used, (DrdDate *) res->days[0].used->data, 5);
  explain = drd_cbl_result_explain (res);
  g_assert_nonnull (strstr (explain, "for 2026-07-03"));
  g_assert_nonnull (strstr (explain, "for 2026-07-04"));
}

/* ---- bad requests ---- */

static void
test_invalid_window (void)
{
  static const struct { gint64 start_off, end_off; } table[] = {
    { 0, 0 },                 /* empty */
    { 900, 0 },               /* reversed */
    { 60, 960 },              /* off the boundary */
    { 0, 910 },
    { 0, 32 * 86400 },        /* too long */
  };
  g_autoptr (DrdReadings) r = drd_readings_new ();
  gint64 base = at (EVENT_DAY, 13, 0);

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      DrdCblRequest req = { DRD_CBL_MID_6_10, FALSE, base + table[i].start_off,
                            base + table[i].end_off };
      g_autoptr (GError) error = NULL;
      DrdCblResult *res = drd_cbl_compute (&req, drd_readings_history_func, r, NULL, NULL, 0,
                                           NULL, &error);

      g_assert_null (res);
      g_assert_error (error, DRD_CBL_ERROR, DRD_CBL_ERROR_INVALID_WINDOW);
    }
  {
    DrdParams params;
    DrdCblRequest req = { DRD_CBL_MID_6_10, FALSE, base, base + 900 };
    g_autoptr (GError) error = NULL;

    drd_params_init_defaults (&params);
    params.cbl[DRD_CBL_MID_6_10].drop_low = 5;
    params.cbl[DRD_CBL_MID_6_10].drop_high = 5;
    g_assert_null (drd_cbl_compute (&req, drd_readings_history_func, r, NULL, NULL, 0, &params,
                                    &error));
    g_assert_error (error, DRD_CBL_ERROR, DRD_CBL_ERROR_INVALID_PARAMS);
  }
}

static void
test_readings (void)
{
  g_autoptr (DrdReadings) r = drd_readings_new ();
  g_autoptr (GError) error = NULL;
  gint64 t = at (EVENT_DAY, 13, 15);
  const DrdDayReadings *day;
  DrdDayReadings copy;

  g_assert_true (drd_readings_set (r, t, 1234, &error));
  g_assert_true (drd_readings_set (r, t, 1235, &error));   /* replaces */
  g_assert_false (drd_readings_set (r, t + 60, 1, &error));
  g_assert_error (error, DRD_CBL_ERROR, DRD_CBL_ERROR_INVALID_READING);
  day = drd_readings_lookup (r, EVENT_DAY);
  g_assert_nonnull (day);
  g_assert_cmpint (day->wh[53], ==, 1235);
  g_assert_true (day->present[53]);
  g_assert_cmpuint (drd_day_readings_count_missing (day), ==, 95);
  g_assert_false (drd_day_readings_is_complete (day));
  /* the instant before local midnight belongs to the previous day */
  g_assert_true (drd_readings_set (r, drd_date_start (EVENT_DAY) - 900, 5, NULL));
  g_assert_cmpint (drd_readings_lookup (r, EVENT_DAY - 1)->wh[95], ==, 5);

  drd_day_readings_init (&copy, EVENT_DAY + 7);
  for (int k = 0; k < DRD_SLOTS_PER_DAY; k++)
    copy.wh[k] = k, copy.present[k] = 1;
  drd_readings_add_day (r, &copy);
  g_assert_true (drd_day_readings_is_complete (drd_readings_lookup (r, EVENT_DAY + 7)));
  g_assert_cmpuint (drd_readings_get_n_days (r), ==, 3);
  g_assert_null (drd_readings_lookup (r, EVENT_DAY + 8));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cbl/round-half-up", test_round_half_up);
  g_test_add_func ("/cbl/aggregate", test_aggregate);
  g_test_add_func ("/cbl/max-vs-mid", test_max_vs_mid);
  g_test_add_func ("/cbl/ineligible-days", test_ineligible_days);
  g_test_add_func ("/cbl/only-days-before", test_only_days_before);
  g_test_add_func ("/cbl/lookback-limit", test_lookback_limit);
  g_test_add_func ("/cbl/abnormal-low", test_abnormal_low);
  g_test_add_func ("/cbl/abnormal-high-factory", test_abnormal_high_factory);
  g_test_add_func ("/cbl/insufficient", test_insufficient);
  g_test_add_func ("/cbl/empty-history-bounded", test_empty_history_bounded);
  g_test_add_func ("/cbl/crossing-midnight", test_crossing_midnight);
  g_test_add_func ("/cbl/invalid-window", test_invalid_window);
  g_test_add_func ("/cbl/readings", test_readings);
  return g_test_run ();
}
