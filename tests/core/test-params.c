/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Domain parameters: defaults match product.md, validation catches
 * nonsense, and the KPX dispatch facts produce the right warnings. */
#include "core/drd-params.h"

#include <string.h>

static void
test_defaults (void)
{
  DrdParams p;
  const DrdCblMethodParams *max, *mid;

  drd_params_init_defaults (&p);
  g_assert_true (drd_params_validate (&p, NULL));
  max = drd_params_get_cbl (&p, DRD_CBL_MAX_4_5);
  mid = drd_params_get_cbl (&p, DRD_CBL_MID_6_10);
  g_assert_cmpuint (max->window_days, ==, 5);
  g_assert_cmpuint (max->drop_low, ==, 1);
  g_assert_cmpuint (max->drop_high, ==, 0);
  g_assert_cmpuint (mid->window_days, ==, 10);
  g_assert_cmpuint (mid->drop_low, ==, 2);
  g_assert_cmpuint (mid->drop_high, ==, 2);
  g_assert_cmpuint (p.lookback_factor, ==, 2);
  g_assert_cmpuint (p.abnormal_low_permille, ==, 750);
  g_assert_cmpuint (p.abnormal_high_permille, ==, 1250);
  g_assert_cmpint (p.performance_threshold_wh, ==, 0);
  g_assert_cmpint (p.milli_points_per_kwh[DRD_EVENT_KIND_RELIABILITY], ==, 100000);
  g_assert_cmpint (p.milli_points_per_kwh[DRD_EVENT_KIND_ECONOMIC], ==, 60000);
  g_assert_cmpint (p.milli_points_per_kwh[DRD_EVENT_KIND_CITIZEN], ==, 40000);
  g_assert_cmpint (p.dispatch_max_per_year_s, ==, 60 * 3600);
  g_assert_cmpuint (drd_params_get_default ()->lookback_factor, ==, 2);
  g_assert_cmpint (drd_params_get_default ()->milli_points_per_kwh[DRD_EVENT_KIND_ECONOMIC], ==,
                   60000);
  g_assert_true (drd_params_get_cbl (NULL, DRD_CBL_MAX_4_5)->window_days == 5);
}

static void
test_validate (void)
{
  for (int c = 0; c < 7; c++)
    {
      DrdParams p;
      g_autoptr (GError) error = NULL;

      drd_params_init_defaults (&p);
      switch (c)
        {
        case 0: p.cbl[DRD_CBL_MAX_4_5].drop_low = 5; break;
        case 1: p.cbl[DRD_CBL_MID_6_10].window_days = 0; break;
        case 2: p.lookback_factor = 0; break;
        case 3: p.abnormal_low_permille = 1001; break;
        case 4: p.abnormal_high_permille = 999; break;
        case 5: p.milli_points_per_kwh[DRD_EVENT_KIND_CITIZEN] = -1; break;
        case 6: p.performance_threshold_wh = -1; break;
        default: g_assert_not_reached ();
        }
      g_assert_false (drd_params_validate (&p, &error));
      g_assert_error (error, DRD_PARAMS_ERROR, DRD_PARAMS_ERROR_INVALID);
    }
}

static gint64
seoul (int y, int m, int d, int hh, int mm)
{
  return drd_date_start (drd_date_from_ymd (y, m, d)) + hh * 3600 + mm * 60;
}

static gboolean
has_warning (char **w, const char *part)
{
  for (guint i = 0; w[i]; i++)
    if (strstr (w[i], part))
      return TRUE;
  return FALSE;
}

static void
test_dispatch_warnings (void)
{
  g_autoptr (DrdCalendar) cal = drd_calendar_new_from_data ("2026-06-03,지방선거일\n", -1, NULL);
  gint64 now = seoul (2026, 7, 1, 9, 0);
  static const struct {
    int d, sh, sm, eh, em; gint64 used_h; const char *warning;
  } table[] = {
    /* 2026-07-01 is a Wednesday */
    { 1, 14, 0, 16, 0, 0, NULL },                   /* fine */
    { 1, 9, 30, 11, 0, 0, "notice" },               /* 30 min ahead */
    { 1, 14, 0, 14, 45, 0, "Lasts 45 minutes" },    /* too short */
    { 1, 13, 0, 18, 0, 0, "Lasts 300 minutes" },    /* too long */
    { 1, 14, 5, 15, 5, 0, "15-minute steps" },
    { 1, 11, 0, 13, 0, 0, "break" },                /* 12:00–13:00 */
    { 1, 19, 0, 21, 30, 0, "dispatch hours" },
    { 4, 14, 0, 16, 0, 0, "weekend" },              /* Saturday */
    { 1, 14, 0, 16, 0, 59, "limit" },               /* 59 h + 2 h > 60 h */
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_auto (GStrv) w = drd_params_dispatch_warnings (NULL,
                                                       seoul (2026, 7, table[i].d, table[i].sh, table[i].sm),
                                                       seoul (2026, 7, table[i].d, table[i].eh, table[i].em),
                                                       now, cal, table[i].used_h * 3600);

      g_assert_nonnull (w);
      g_test_message ("case %u: %u warnings", i, g_strv_length (w));
      if (table[i].warning == NULL)
        g_assert_cmpuint (g_strv_length (w), ==, 0);
      else
        {
          g_assert_true (has_warning (w, table[i].warning));
          if (i != 4 && i != 5 && i != 6)   /* those also break other rules */
            g_assert_cmpuint (g_strv_length (w), ==, 1);
        }
    }

  /* a holiday on a weekday */
  {
    g_auto (GStrv) w = drd_params_dispatch_warnings (NULL, seoul (2026, 6, 3, 14, 0),
                                                     seoul (2026, 6, 3, 16, 0),
                                                     seoul (2026, 6, 1, 9, 0), cal, 0);
    g_auto (GStrv) w2 = drd_params_dispatch_warnings (NULL, seoul (2026, 6, 3, 14, 0),
                                                      seoul (2026, 6, 3, 16, 0),
                                                      seoul (2026, 6, 1, 9, 0), NULL, 0);
    g_assert_true (has_warning (w, "holiday"));
    g_assert_cmpuint (g_strv_length (w2), ==, 0);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/params/defaults", test_defaults);
  g_test_add_func ("/params/validate", test_validate);
  g_test_add_func ("/params/dispatch-warnings", test_dispatch_warnings);
  return g_test_run ();
}
