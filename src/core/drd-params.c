/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "core/drd-params.h"

#include <glib/gi18n-lib.h>

G_DEFINE_QUARK (drd-params-error-quark, drd_params_error)

void
drd_params_init_defaults (DrdParams *params)
{
  g_return_if_fail (params != NULL);

  *params = (DrdParams) {
    .cbl = {
      [DRD_CBL_MID_6_10] = { .window_days = 10, .drop_low = 2, .drop_high = 2 },
      [DRD_CBL_MAX_4_5] = { .window_days = 5, .drop_low = 1, .drop_high = 0 },
    },
    .lookback_factor = 2,
    .abnormal_low_permille = 750,
    .abnormal_high_permille = 1250,
    .cbl_max_calendar_days = 180,

    .performance_threshold_wh = 0,
    .milli_points_per_kwh = {
      [DRD_EVENT_KIND_RELIABILITY] = 100000,
      [DRD_EVENT_KIND_ECONOMIC] = 60000,
      [DRD_EVENT_KIND_CITIZEN] = 40000,
    },

    .dispatch_notice_s = 3600,
    .dispatch_min_duration_s = 3600,
    .dispatch_max_duration_s = 4 * 3600,
    .dispatch_step_s = 900,
    .dispatch_day_start_min = 8 * 60,
    .dispatch_day_end_min = 21 * 60,
    .dispatch_break_start_min = 12 * 60,
    .dispatch_break_end_min = 13 * 60,
    .dispatch_weekdays_only = TRUE,
    .dispatch_max_per_year_s = 60 * 3600,
  };
}

const DrdParams *
drd_params_get_default (void)
{
  static DrdParams defaults;
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      drd_params_init_defaults (&defaults);
      g_once_init_leave (&initialized, 1);
    }
  return &defaults;
}

static gboolean
invalid (GError **error, const char *field, const char *why)
{
  g_set_error (error, DRD_PARAMS_ERROR, DRD_PARAMS_ERROR_INVALID,
               /* Translators: %s is a parameter name, then the reason */
               _("Invalid parameter %s: %s"), field, why);
  return FALSE;
}

gboolean
drd_params_validate (const DrdParams *params, GError **error)
{
  g_return_val_if_fail (params != NULL, FALSE);

  for (guint m = 0; m < G_N_ELEMENTS (params->cbl); m++)
    {
      const DrdCblMethodParams *c = &params->cbl[m];
      const char *name = drd_cbl_method_to_string ((DrdCblMethod) m);
      g_autofree char *field = g_strdup_printf ("cbl[%s]", name);

      if (c->window_days < 1 || c->window_days > 100)
        return invalid (error, field, _("the window must be 1 to 100 days"));
      if (c->drop_low + c->drop_high >= c->window_days)
        return invalid (error, field, _("dropping that many values leaves none to average"));
    }
  if (params->lookback_factor < 1 || params->lookback_factor > 10)
    return invalid (error, "lookback_factor", _("must be 1 to 10"));
  if (params->abnormal_low_permille > 1000)
    return invalid (error, "abnormal_low_permille", _("must be at most 1000"));
  if (params->abnormal_high_permille < 1000)
    return invalid (error, "abnormal_high_permille", _("must be at least 1000"));
  if (params->cbl_max_calendar_days < 7 || params->cbl_max_calendar_days > 3660)
    return invalid (error, "cbl_max_calendar_days", _("must be 7 to 3660"));
  if (params->performance_threshold_wh < 0)
    return invalid (error, "performance_threshold_wh", _("must not be negative"));
  for (guint k = 0; k < DRD_N_EVENT_KINDS; k++)
    if (params->milli_points_per_kwh[k] < 0 || params->milli_points_per_kwh[k] > 1000000000)
      return invalid (error, "milli_points_per_kwh", _("must be 0 to 1 000 000 000"));
  if (params->dispatch_step_s <= 0
      || params->dispatch_min_duration_s <= 0
      || params->dispatch_max_duration_s < params->dispatch_min_duration_s)
    return invalid (error, "dispatch durations", _("need 0 < min ≤ max and a positive step"));
  if (params->dispatch_day_start_min > params->dispatch_day_end_min
      || params->dispatch_day_end_min > 24 * 60
      || params->dispatch_break_start_min > params->dispatch_break_end_min)
    return invalid (error, "dispatch hours", _("start must not be after end"));
  if (params->dispatch_notice_s < 0 || params->dispatch_max_per_year_s < 0)
    return invalid (error, "dispatch limits", _("must not be negative"));
  return TRUE;
}

const DrdCblMethodParams *
drd_params_get_cbl (const DrdParams *params, DrdCblMethod method)
{
  if (params == NULL)
    params = drd_params_get_default ();
  g_return_val_if_fail ((guint) method < G_N_ELEMENTS (params->cbl), &params->cbl[0]);
  return &params->cbl[method];
}

gint64
drd_params_points (const DrdParams *params, DrdEventKind kind, gint64 reduction_wh)
{
  gint64 rate;

  if (params == NULL)
    params = drd_params_get_default ();
  g_return_val_if_fail ((guint) kind < DRD_N_EVENT_KINDS, 0);
  rate = params->milli_points_per_kwh[kind];
  if (reduction_wh <= 0 || rate <= 0)
    return 0;
  /* floor(wh/1000 × rate/1000); split to stay inside 64 bits */
  return (reduction_wh / 1000000) * rate
         + (reduction_wh % 1000000) * rate / 1000000;
}

static char *
format_hm (guint minutes)
{
  return g_strdup_printf ("%02u:%02u", minutes / 60, minutes % 60);
}

char **
drd_params_dispatch_warnings (const DrdParams *params,
                              gint64           start,
                              gint64           end,
                              gint64           now,
                              DrdCalendar     *calendar,
                              gint64           used_this_year_s)
{
  GPtrArray *w = g_ptr_array_new ();
  gint64 duration = end - start;
  DrdDate day;

  if (params == NULL)
    params = drd_params_get_default ();

  if (end <= start)
    {
      g_ptr_array_add (w, g_strdup (_("The event ends before it starts.")));
      g_ptr_array_add (w, NULL);
      return (char **) g_ptr_array_free (w, FALSE);
    }

  if (start - now < params->dispatch_notice_s)
    g_ptr_array_add (w, g_strdup_printf (_("Less than %d minutes of notice before the start "
                                           "(KPX orders about %d minutes ahead)."),
                                         (int) (params->dispatch_notice_s / 60),
                                         (int) (params->dispatch_notice_s / 60)));

  if (duration < params->dispatch_min_duration_s || duration > params->dispatch_max_duration_s)
    g_ptr_array_add (w, g_strdup_printf (_("Lasts %d minutes; KPX dispatches %d to %d minutes."),
                                         (int) (duration / 60),
                                         (int) (params->dispatch_min_duration_s / 60),
                                         (int) (params->dispatch_max_duration_s / 60)));

  if (start % params->dispatch_step_s != 0 || end % params->dispatch_step_s != 0)
    g_ptr_array_add (w, g_strdup_printf (_("Start and end should fall on %d-minute steps."),
                                         (int) (params->dispatch_step_s / 60)));

  day = drd_date_of_instant (start);
  if (params->dispatch_weekdays_only)
    {
      DrdDate last = drd_date_of_instant (end - 1);

      for (DrdDate d = day; d <= last; d++)
        if (!drd_calendar_is_business_day (calendar, d))
          {
            g_ptr_array_add (w, g_strdup (_("Falls on a weekend or public holiday; KPX "
                                            "dispatches on weekdays only.")));
            break;
          }
    }

  {
    gint64 day_start = drd_date_start (day);
    gint64 s_min = (start - day_start) / 60;
    gint64 e_min = (end - day_start) / 60;
    g_autofree char *hs = format_hm (params->dispatch_day_start_min);
    g_autofree char *he = format_hm (params->dispatch_day_end_min);
    g_autofree char *bs = format_hm (params->dispatch_break_start_min);
    g_autofree char *be = format_hm (params->dispatch_break_end_min);

    if (s_min < params->dispatch_day_start_min || e_min > params->dispatch_day_end_min)
      g_ptr_array_add (w, g_strdup_printf (_("Outside the KPX dispatch hours %s–%s."), hs, he));
    if (s_min < params->dispatch_break_end_min && e_min > params->dispatch_break_start_min)
      g_ptr_array_add (w, g_strdup_printf (_("Overlaps the %s–%s break in which KPX does not "
                                             "dispatch."), bs, be));
  }

  if (used_this_year_s + duration > params->dispatch_max_per_year_s)
    g_ptr_array_add (w, g_strdup_printf (_("Brings this year’s DR time to %.2f hours, over the "
                                           "limit of %d hours per resource."),
                                         (double) (used_this_year_s + duration) / 3600.0,
                                         (int) (params->dispatch_max_per_year_s / 3600)));

  g_ptr_array_add (w, NULL);
  return (char **) g_ptr_array_free (w, FALSE);
}
