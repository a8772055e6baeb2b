/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "core/drd-settlement.h"


const char *
drd_review_reason_to_string (DrdReviewReason reason)
{
  switch (reason)
    {
    case DRD_REVIEW_NONE: return "none";
    case DRD_REVIEW_CBL_INSUFFICIENT: return "cbl_insufficient";
    case DRD_REVIEW_ACTUAL_MISSING: return "actual_missing";
    default: return NULL;
    }
}

gint64
drd_points_for_reduction (gint64 reduction_wh, gint64 milli_points_per_kwh)
{
  if (reduction_wh <= 0 || milli_points_per_kwh <= 0)
    return 0;
  /* floor(wh × rate / 10^6) without overflowing for big reductions */
  return (reduction_wh / 1000000) * milli_points_per_kwh
         + (reduction_wh % 1000000) * milli_points_per_kwh / 1000000;
}

DrdOutcome
drd_settlement_outcome (DrdAnswer        answer,
                        gboolean         data_ok,
                        gint64           reduction_wh,
                        const DrdParams *params)
{
  if (params == NULL)
    params = drd_params_get_default ();
  if (!data_ok)
    return DRD_OUTCOME_NEEDS_REVIEW;
  if (answer != DRD_ANSWER_ACCEPT)
    return DRD_OUTCOME_NOT_PARTICIPATING;
  return reduction_wh > params->performance_threshold_wh
         ? DRD_OUTCOME_PERFORMED : DRD_OUTCOME_NOT_PERFORMED;
}

void
drd_settlement_compute (const DrdSettlementInput *input,
                        const DrdParams          *params,
                        DrdSettlementResult      *result)
{
  g_return_if_fail (input != NULL);
  g_return_if_fail (result != NULL);

  if (params == NULL)
    params = drd_params_get_default ();
  *result = (DrdSettlementResult) { 0 };

  if (!input->cbl_ok || (input->n_slots > 0 && input->cbl_wh == NULL))
    result->review_reason = DRD_REVIEW_CBL_INSUFFICIENT;
  else if (input->n_slots > 0 && input->actual_wh == NULL)
    result->review_reason = DRD_REVIEW_ACTUAL_MISSING;
  else if (input->actual_present != NULL)
    for (guint i = 0; i < input->n_slots; i++)
      if (!input->actual_present[i])
        {
          result->review_reason = DRD_REVIEW_ACTUAL_MISSING;
          break;
        }

  if (result->review_reason == DRD_REVIEW_NONE)
    {
      for (guint i = 0; i < input->n_slots; i++)
        {
          result->baseline_wh += input->cbl_wh[i];
          result->actual_wh += input->actual_wh[i];
        }
      result->reduction_wh = result->baseline_wh - result->actual_wh;
      result->reduction_known = TRUE;
    }

  result->outcome = drd_settlement_outcome (input->answer, result->reduction_known,
                                            result->reduction_wh, params);
  if (result->outcome == DRD_OUTCOME_PERFORMED)
    result->points = drd_params_points (params, input->kind, result->reduction_wh);
}

void
drd_settlement_collect_actuals (const DrdCblResult *cbl,
                                DrdHistoryFunc      history,
                                gpointer            history_data,
                                gint64             *actual_wh,
                                guint8             *present)
{
  g_return_if_fail (cbl != NULL);
  g_return_if_fail (history != NULL);
  g_return_if_fail (actual_wh != NULL && present != NULL);

  for (guint s = 0; s < cbl->n_slots; s++)
    {
      gint64 t = cbl->slot_start[s];
      const DrdDayReadings *day = history (drd_date_of_instant (t), history_data);
      int k = drd_slot_of_instant (t);

      present[s] = day != NULL && day->present[k];
      actual_wh[s] = present[s] ? day->wh[k] : 0;
    }
}

gboolean
drd_settlement_settle (const DrdCblRequest  *request,
                       DrdAnswer             answer,
                       DrdEventKind          kind,
                       DrdHistoryFunc        history,
                       gpointer              history_data,
                       DrdCalendar          *calendar,
                       const DrdDate        *excluded,
                       guint                 n_excluded,
                       const DrdParams      *params,
                       DrdCblResult        **cbl_out,
                       DrdSettlementResult  *result,
                       GError              **error)
{
  g_autoptr (DrdCblResult) cbl = NULL;
  g_autofree gint64 *actual = NULL;
  g_autofree guint8 *present = NULL;
  DrdSettlementInput input;

  g_return_val_if_fail (result != NULL, FALSE);

  cbl = drd_cbl_compute (request, history, history_data, calendar, excluded, n_excluded,
                         params, error);
  if (cbl == NULL)
    return FALSE;

  actual = g_new (gint64, cbl->n_slots);
  present = g_new (guint8, cbl->n_slots);
  drd_settlement_collect_actuals (cbl, history, history_data, actual, present);

  input = (DrdSettlementInput) {
    .answer = answer,
    .kind = kind,
    .cbl_ok = cbl->status == DRD_CBL_STATUS_OK,
    .n_slots = cbl->n_slots,
    .cbl_wh = cbl->cbl_wh,
    .actual_wh = actual,
    .actual_present = present,
  };
  drd_settlement_compute (&input, params, result);
  if (cbl_out)
    *cbl_out = g_steal_pointer (&cbl);
  return TRUE;
}

void
drd_event_summary_init (DrdEventSummary *summary,
                        gint64           target_w,
                        gint64           event_start,
                        gint64           event_end)
{
  g_return_if_fail (summary != NULL);
  *summary = (DrdEventSummary) { 0 };
  summary->target_w = target_w;
  summary->duration_s = MAX (0, event_end - event_start);
}

void
drd_event_summary_add (DrdEventSummary           *summary,
                       DrdAnswer                  answer,
                       const DrdSettlementResult *result)
{
  g_return_if_fail (summary != NULL);
  g_return_if_fail (result != NULL);

  summary->n_customers++;
  if ((guint) result->outcome < G_N_ELEMENTS (summary->n_by_outcome))
    summary->n_by_outcome[result->outcome]++;
  if ((guint) answer < G_N_ELEMENTS (summary->n_by_answer))
    summary->n_by_answer[answer]++;
  summary->points_total += result->points;
  if (!result->reduction_known)
    {
      if (answer == DRD_ANSWER_ACCEPT)
        summary->n_accepted_unknown++;
      return;
    }
  summary->total_reduction_wh += result->reduction_wh;
  if (answer == DRD_ANSWER_ACCEPT)
    summary->accepted_reduction_wh += result->reduction_wh;
}

gint64
drd_event_summary_target_wh (const DrdEventSummary *summary)
{
  g_return_val_if_fail (summary != NULL, 0);
  return drd_div_round_half_up (summary->target_w * summary->duration_s, 3600);
}

gboolean
drd_event_summary_delivery_bp (const DrdEventSummary *summary, gint64 *bp_out)
{
  gint64 denom;

  g_return_val_if_fail (summary != NULL, FALSE);
  g_return_val_if_fail (bp_out != NULL, FALSE);
  *bp_out = 0;
  denom = summary->target_w * summary->duration_s;
  if (denom <= 0)
    return FALSE;
  /* reduction_wh / (target_w × s / 3600) × 10 000 */
  *bp_out = drd_div_round_half_up (summary->accepted_reduction_wh * 3600 * 10000, denom);
  return TRUE;
}

gboolean
drd_event_summary_delivery_percent (const DrdEventSummary *summary, double *percent_out)
{
  gint64 denom;

  g_return_val_if_fail (summary != NULL, FALSE);
  g_return_val_if_fail (percent_out != NULL, FALSE);
  *percent_out = 0.0;
  denom = summary->target_w * summary->duration_s;
  if (denom <= 0)
    return FALSE;
  *percent_out = (double) summary->accepted_reduction_wh * 3600.0 * 100.0 / (double) denom;
  return TRUE;
}
