/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "core/drd-cbl.h"

#include <glib/gi18n-lib.h>
#include <string.h>

G_DEFINE_QUARK (drd-cbl-error-quark, drd_cbl_error)

#define MAX_WINDOW_S (31 * DRD_SECONDS_PER_DAY)

/* ---- readings ---- */

void
drd_day_readings_init (DrdDayReadings *day, DrdDate date)
{
  g_return_if_fail (day != NULL);
  memset (day, 0, sizeof *day);
  day->date = date;
}

guint
drd_day_readings_count_missing (const DrdDayReadings *day)
{
  guint n = 0;

  g_return_val_if_fail (day != NULL, DRD_SLOTS_PER_DAY);
  for (int k = 0; k < DRD_SLOTS_PER_DAY; k++)
    n += day->present[k] == 0;
  return n;
}

gboolean
drd_day_readings_is_complete (const DrdDayReadings *day)
{
  return drd_day_readings_count_missing (day) == 0;
}

struct _DrdReadings
{
  GHashTable *days;   /* DrdDate → owned DrdDayReadings */
};

DrdReadings *
drd_readings_new (void)
{
  DrdReadings *r = g_new0 (DrdReadings, 1);
  r->days = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  return r;
}

void
drd_readings_free (DrdReadings *readings)
{
  if (readings == NULL)
    return;
  g_hash_table_unref (readings->days);
  g_free (readings);
}

static DrdDayReadings *
get_day (DrdReadings *readings, DrdDate date)
{
  DrdDayReadings *day = g_hash_table_lookup (readings->days, GINT_TO_POINTER (date));

  if (day == NULL)
    {
      day = g_new (DrdDayReadings, 1);
      drd_day_readings_init (day, date);
      g_hash_table_insert (readings->days, GINT_TO_POINTER (date), day);
    }
  return day;
}

void
drd_readings_set_slot (DrdReadings *readings, DrdDate date, int slot, gint64 wh)
{
  DrdDayReadings *day;

  g_return_if_fail (readings != NULL);
  g_return_if_fail (slot >= 0 && slot < DRD_SLOTS_PER_DAY);
  day = get_day (readings, date);
  day->wh[slot] = wh;
  day->present[slot] = 1;
}

gboolean
drd_readings_set (DrdReadings *readings, gint64 interval_start, gint64 wh, GError **error)
{
  g_return_val_if_fail (readings != NULL, FALSE);

  if (!drd_instant_on_slot_boundary (interval_start))
    {
      g_autofree char *t = drd_time_format_iso8601 (interval_start);
      g_set_error (error, DRD_CBL_ERROR, DRD_CBL_ERROR_INVALID_READING,
                   _("%s is not the start of a 15-minute interval"), t);
      return FALSE;
    }
  drd_readings_set_slot (readings, drd_date_of_instant (interval_start),
                         drd_slot_of_instant (interval_start), wh);
  return TRUE;
}

void
drd_readings_add_day (DrdReadings *readings, const DrdDayReadings *day)
{
  g_return_if_fail (readings != NULL);
  g_return_if_fail (day != NULL);
  g_hash_table_insert (readings->days, GINT_TO_POINTER (day->date), g_memdup2 (day, sizeof *day));
}

const DrdDayReadings *
drd_readings_lookup (DrdReadings *readings, DrdDate date)
{
  g_return_val_if_fail (readings != NULL, NULL);
  return g_hash_table_lookup (readings->days, GINT_TO_POINTER (date));
}

guint
drd_readings_get_n_days (DrdReadings *readings)
{
  g_return_val_if_fail (readings != NULL, 0);
  return g_hash_table_size (readings->days);
}

const DrdDayReadings *
drd_readings_history_func (DrdDate date, gpointer readings)
{
  return drd_readings_lookup (readings, date);
}

/* ---- arithmetic ---- */

gint64
drd_div_round_half_up (gint64 a, gint64 b)
{
  gint64 n, d, q;

  g_return_val_if_fail (b > 0, 0);
  n = 2 * a + b;
  d = 2 * b;
  q = n / d;
  if (n % d != 0 && n < 0)
    q--;
  return q;
}

gint64
drd_cbl_aggregate (gint64 *values, guint n, guint drop_low, guint drop_high)
{
  gint64 sum = 0;
  guint kept;

  g_return_val_if_fail (values != NULL, 0);
  g_return_val_if_fail (n > drop_low + drop_high, 0);

  /* insertion sort: n is at most a few dozen */
  for (guint i = 1; i < n; i++)
    {
      gint64 v = values[i];
      guint j = i;

      while (j > 0 && values[j - 1] > v)
        {
          values[j] = values[j - 1];
          j--;
        }
      values[j] = v;
    }
  kept = n - drop_low - drop_high;
  for (guint i = drop_low; i < n - drop_high; i++)
    sum += values[i];
  return drd_div_round_half_up (sum, kept);
}

/* ---- the CBL ---- */

const char *
drd_cbl_skip_reason_to_string (DrdCblSkipReason reason)
{
  switch (reason)
    {
    case DRD_CBL_SKIP_WEEKEND: return "weekend";
    case DRD_CBL_SKIP_HOLIDAY: return "holiday";
    case DRD_CBL_SKIP_EXCLUDED: return "excluded";
    case DRD_CBL_SKIP_EVENT_DAY: return "event-day";
    case DRD_CBL_SKIP_NO_DATA: return "no-data";
    case DRD_CBL_SKIP_INCOMPLETE: return "incomplete";
    default: return NULL;
    }
}

static gint64
day_total (const DrdDayReadings *day)
{
  gint64 sum = 0;

  for (int k = 0; k < DRD_SLOTS_PER_DAY; k++)
    sum += day->wh[k];
  return sum;
}

static void
compute_day (DrdCblDay           *out,
             DrdDate              event_date,
             DrdDate              first_event_date,
             const DrdCblRequest *request,
             DrdHistoryFunc       history,
             gpointer             history_data,
             DrdCalendar         *calendar,
             GHashTable          *excluded,
             const DrdParams     *params)
{
  const DrdCblMethodParams *mp = drd_params_get_cbl (params, request->method);
  guint W = mp->window_days;
  guint max_considered = params->lookback_factor * W;
  g_autoptr (GPtrArray) considered_days = g_ptr_array_new ();
  g_autoptr (GPtrArray) used_days = g_ptr_array_new ();

  out->event_date = event_date;
  out->window_days = W;
  out->status = DRD_CBL_STATUS_INSUFFICIENT;
  out->considered = g_array_new (FALSE, FALSE, sizeof (DrdDate));
  out->considered_totals = g_array_new (FALSE, FALSE, sizeof (gint64));
  out->abnormal = g_array_new (FALSE, FALSE, sizeof (DrdDate));
  out->used = g_array_new (FALSE, FALSE, sizeof (DrdDate));
  out->skipped = g_array_new (FALSE, FALSE, sizeof (DrdCblSkippedDay));

  /* 1. eligible days, newest first */
  for (guint back = 1;
       back <= params->cbl_max_calendar_days && considered_days->len < max_considered;
       back++)
    {
      DrdDate d = event_date - (DrdDate) back;
      DrdCblSkippedDay skip = { d, 0, 0 };
      const DrdDayReadings *day;

      if (!drd_date_is_weekday (d))
        skip.reason = DRD_CBL_SKIP_WEEKEND;
      else if (calendar != NULL && drd_calendar_is_holiday (calendar, d))
        skip.reason = DRD_CBL_SKIP_HOLIDAY;
      else if (d >= first_event_date)
        skip.reason = DRD_CBL_SKIP_EVENT_DAY;
      else if (g_hash_table_contains (excluded, GINT_TO_POINTER (d)))
        skip.reason = DRD_CBL_SKIP_EXCLUDED;
      else if ((day = history (d, history_data)) == NULL)
        skip.reason = DRD_CBL_SKIP_NO_DATA;
      else if ((skip.n_missing = drd_day_readings_count_missing (day)) > 0)
        skip.reason = DRD_CBL_SKIP_INCOMPLETE;
      else
        {
          gint64 total = day_total (day);

          g_ptr_array_add (considered_days, (gpointer) day);
          g_array_append_val (out->considered, d);
          g_array_append_val (out->considered_totals, total);
          continue;
        }
      g_array_append_val (out->skipped, skip);
    }

  if (considered_days->len < W)
    return;

  /* 2. abnormal days against the mean of the W most recent eligible days:
   * total < mean × low‰  ⇔  total × W × 1000 < Σ × low */
  for (guint i = 0; i < W; i++)
    out->reference_total_wh += g_array_index (out->considered_totals, gint64, i);

  for (guint i = 0; i < considered_days->len && used_days->len < W; i++)
    {
      gint64 scaled = g_array_index (out->considered_totals, gint64, i) * (gint64) W * 1000;
      gboolean abnormal = scaled < out->reference_total_wh * (gint64) params->abnormal_low_permille;

      if (request->is_factory
          && scaled > out->reference_total_wh * (gint64) params->abnormal_high_permille)
        abnormal = TRUE;
      if (abnormal)
        g_array_append_val (out->abnormal, g_array_index (out->considered, DrdDate, i));
      else
        {
          g_ptr_array_add (used_days, g_ptr_array_index (considered_days, i));
          g_array_append_val (out->used, g_array_index (out->considered, DrdDate, i));
        }
    }

  /* 3. enough normal days? */
  if (used_days->len < W)
    {
      g_array_set_size (out->used, 0);
      return;
    }

  /* 4. per-slot aggregation */
  {
    g_autofree gint64 *values = g_new (gint64, W);

    for (int k = 0; k < DRD_SLOTS_PER_DAY; k++)
      {
        for (guint i = 0; i < W; i++)
          values[i] = ((const DrdDayReadings *) g_ptr_array_index (used_days, i))->wh[k];
        out->profile_wh[k] = drd_cbl_aggregate (values, W, mp->drop_low, mp->drop_high);
      }
  }
  out->status = DRD_CBL_STATUS_OK;
}

DrdCblResult *
drd_cbl_compute (const DrdCblRequest *request,
                 DrdHistoryFunc       history,
                 gpointer             history_data,
                 DrdCalendar         *calendar,
                 const DrdDate       *excluded,
                 guint                n_excluded,
                 const DrdParams     *params,
                 GError             **error)
{
  g_autoptr (GHashTable) excluded_set = NULL;
  DrdCblResult *result;
  DrdDate first_day, last_day;
  GError *local_error = NULL;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (history != NULL, NULL);
  g_return_val_if_fail (calendar == NULL || DRD_IS_CALENDAR (calendar), NULL);
  g_return_val_if_fail (excluded != NULL || n_excluded == 0, NULL);

  if (params == NULL)
    params = drd_params_get_default ();
  if (!drd_params_validate (params, &local_error))
    {
      g_set_error_literal (error, DRD_CBL_ERROR, DRD_CBL_ERROR_INVALID_PARAMS,
                           local_error->message);
      g_error_free (local_error);
      return NULL;
    }
  if ((guint) request->method >= G_N_ELEMENTS (params->cbl))
    {
      g_set_error (error, DRD_CBL_ERROR, DRD_CBL_ERROR_INVALID_PARAMS,
                   _("Unknown CBL method %d"), (int) request->method);
      return NULL;
    }
  if (request->event_end <= request->event_start)
    {
      g_set_error_literal (error, DRD_CBL_ERROR, DRD_CBL_ERROR_INVALID_WINDOW,
                           _("The event must end after it starts"));
      return NULL;
    }
  if (!drd_instant_on_slot_boundary (request->event_start)
      || !drd_instant_on_slot_boundary (request->event_end))
    {
      g_set_error_literal (error, DRD_CBL_ERROR, DRD_CBL_ERROR_INVALID_WINDOW,
                           _("The event must start and end on a 15-minute boundary (:00, :15, "
                             ":30 or :45)"));
      return NULL;
    }
  if (request->event_end - request->event_start > MAX_WINDOW_S)
    {
      g_set_error_literal (error, DRD_CBL_ERROR, DRD_CBL_ERROR_INVALID_WINDOW,
                           _("The event is longer than 31 days"));
      return NULL;
    }

  excluded_set = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < n_excluded; i++)
    g_hash_table_add (excluded_set, GINT_TO_POINTER (excluded[i]));

  first_day = drd_date_of_instant (request->event_start);
  last_day = drd_date_of_instant (request->event_end - 1);

  result = g_new0 (DrdCblResult, 1);
  result->method = request->method;
  result->is_factory = request->is_factory;
  result->event_start = request->event_start;
  result->event_end = request->event_end;
  result->n_slots = (guint) ((request->event_end - request->event_start) / DRD_SLOT_SECONDS);
  result->n_days = (guint) (last_day - first_day + 1);
  result->days = g_new0 (DrdCblDay, result->n_days);
  result->slot_start = g_new (gint64, result->n_slots);
  result->cbl_wh = g_new (gint64, result->n_slots);
  result->slot_day = g_new (guint, result->n_slots);
  result->status = DRD_CBL_STATUS_OK;

  for (guint i = 0; i < result->n_days; i++)
    {
      compute_day (&result->days[i], first_day + (DrdDate) i, first_day, request,
                   history, history_data, calendar, excluded_set, params);
      if (result->days[i].status != DRD_CBL_STATUS_OK)
        result->status = DRD_CBL_STATUS_INSUFFICIENT;
    }

  for (guint s = 0; s < result->n_slots; s++)
    {
      gint64 t = request->event_start + (gint64) s * DRD_SLOT_SECONDS;
      guint d = (guint) (drd_date_of_instant (t) - first_day);
      const DrdCblDay *day = &result->days[d];

      result->slot_start[s] = t;
      result->slot_day[s] = d;
      result->cbl_wh[s] = day->status == DRD_CBL_STATUS_OK
                          ? day->profile_wh[drd_slot_of_instant (t)] : 0;
    }
  return result;
}

void
drd_cbl_result_free (DrdCblResult *result)
{
  if (result == NULL)
    return;
  for (guint i = 0; i < result->n_days; i++)
    {
      DrdCblDay *day = &result->days[i];

      g_clear_pointer (&day->considered, g_array_unref);
      g_clear_pointer (&day->considered_totals, g_array_unref);
      g_clear_pointer (&day->abnormal, g_array_unref);
      g_clear_pointer (&day->used, g_array_unref);
      g_clear_pointer (&day->skipped, g_array_unref);
    }
  g_free (result->days);
  g_free (result->slot_start);
  g_free (result->cbl_wh);
  g_free (result->slot_day);
  g_free (result);
}

gint64
drd_cbl_result_total_wh (const DrdCblResult *result)
{
  gint64 sum = 0;

  g_return_val_if_fail (result != NULL, 0);
  for (guint s = 0; s < result->n_slots; s++)
    sum += result->cbl_wh[s];
  return sum;
}

static void
append_dates (GString *out, GArray *dates)
{
  for (guint i = 0; i < dates->len; i++)
    {
      char buf[11];

      g_string_append (out, i ? ", " : " ");
      g_string_append (out, drd_date_format_buf (g_array_index (dates, DrdDate, i), buf));
    }
  g_string_append_c (out, '\n');
}

static const char *
skip_reason_text (DrdCblSkipReason reason)
{
  switch (reason)
    {
    case DRD_CBL_SKIP_WEEKEND: return _("weekend");
    case DRD_CBL_SKIP_HOLIDAY: return _("public holiday");
    case DRD_CBL_SKIP_EXCLUDED: return _("excluded: targeted by another DR event");
    case DRD_CBL_SKIP_EVENT_DAY: return _("a day of this event");
    case DRD_CBL_SKIP_NO_DATA: return _("no meter data");
    case DRD_CBL_SKIP_INCOMPLETE: return _("incomplete meter data");
    default: return "?";
    }
}

static gint64
total_of (const DrdCblDay *day, DrdDate date)
{
  for (guint i = 0; i < day->considered->len; i++)
    if (g_array_index (day->considered, DrdDate, i) == date)
      return g_array_index (day->considered_totals, gint64, i);
  return 0;
}

char *
drd_cbl_result_explain (const DrdCblResult *result)
{
  GString *out;

  g_return_val_if_fail (result != NULL, NULL);

  out = g_string_new (NULL);
  for (guint i = 0; i < result->n_days; i++)
    {
      const DrdCblDay *day = &result->days[i];
      char date[11], kwh[32], mean[32];

      drd_date_format_buf (day->event_date, date);
      if (day->status == DRD_CBL_STATUS_OK)
        g_string_append_printf (out, _("CBL %s for %s: %u eligible days considered, %u abnormal, "
                                       "%u used:"),
                                drd_cbl_method_to_string (result->method), date,
                                day->considered->len, day->abnormal->len, day->used->len);
      else
        g_string_append_printf (out, _("CBL %s for %s: insufficient history: %u usable days "
                                       "of %u needed (%u eligible, %u abnormal)"),
                                drd_cbl_method_to_string (result->method), date,
                                day->considered->len - day->abnormal->len > day->window_days
                                ? day->window_days
                                : day->considered->len - day->abnormal->len,
                                day->window_days, day->considered->len, day->abnormal->len);
      if (day->status == DRD_CBL_STATUS_OK)
        append_dates (out, day->used);
      else
        g_string_append_c (out, '\n');

      if (day->reference_total_wh > 0 || day->considered->len >= day->window_days)
        drd_milli_format_buf (drd_div_round_half_up (day->reference_total_wh, day->window_days),
                              mean);
      else
        g_strlcpy (mean, "-", sizeof mean);
      for (guint a = 0; a < day->abnormal->len; a++)
        {
          DrdDate d = g_array_index (day->abnormal, DrdDate, a);
          char ds[11];

          g_string_append_printf (out, _("  abnormal, dropped: %s (total %s kWh against a mean "
                                         "of %s kWh)\n"),
                                  drd_date_format_buf (d, ds),
                                  drd_milli_format_buf (total_of (day, d), kwh), mean);
        }
      /* Skipped days among the considered ones explain the gaps, one line
       * each; the search beyond the oldest considered day (up to the
       * calendar bound when history runs out) is summarised by reason. */
      {
        DrdDate cutoff = day->considered->len > 0
                         ? g_array_index (day->considered, DrdDate, day->considered->len - 1)
                         : day->event_date;
        guint counts[DRD_CBL_SKIP_INCOMPLETE + 1] = { 0 };
        guint n_older = 0;
        DrdDate oldest = day->event_date;

        for (guint s = 0; s < day->skipped->len; s++)
          {
            const DrdCblSkippedDay *sk = &g_array_index (day->skipped, DrdCblSkippedDay, s);
            char ds[11];

            if (sk->date < cutoff)
              {
                n_older++;
                counts[sk->reason]++;
                oldest = MIN (oldest, sk->date);
                continue;
              }
            drd_date_format_buf (sk->date, ds);
            if (sk->reason == DRD_CBL_SKIP_INCOMPLETE)
              g_string_append_printf (out, _("  skipped: %s (%u of 96 slots missing)\n"),
                                      ds, sk->n_missing);
            else
              g_string_append_printf (out, _("  skipped: %s (%s)\n"), ds,
                                      skip_reason_text (sk->reason));
          }
        if (n_older > 0)
          {
            char ds[11];
            gboolean first = TRUE;

            g_string_append_printf (out, _("  searched back to %s, %u more days skipped:"),
                                    drd_date_format_buf (oldest, ds), n_older);
            for (guint r = 0; r < G_N_ELEMENTS (counts); r++)
              if (counts[r] > 0)
                {
                  g_string_append_printf (out, "%s %u %s", first ? "" : ",", counts[r],
                                          skip_reason_text ((DrdCblSkipReason) r));
                  first = FALSE;
                }
            g_string_append_c (out, '\n');
          }
      }
    }
  return g_string_free (out, FALSE);
}
