/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Settlement math (no I/O): reduction, points, outcome, event summary.
 *
 * Rules (product.md), with the choices made where it is silent:
 *  - reduction_wh = Σ over the event's slots of (CBL − actual), Wh; may be
 *    negative (the customer used more than its baseline).
 *  - points = floor(max(0, reduction kWh) × points per kWh of the event's
 *    kind) = reduction_wh × milli_points_per_kwh / 1 000 000 rounded down,
 *    exact in 64-bit integers (no floating point anywhere).
 *  - outcome, in this order:
 *      CBL insufficient, or the actual reading of any event slot missing
 *        → needs_review, 0 points, whatever the answer (product.md: "that
 *        customer's settlement is needs review, never a guess");
 *      accepted and reduction > performance threshold → performed, points;
 *      accepted otherwise → not_performed, 0 points;
 *      denied or no response → not_participating, 0 points (reduction still
 *        computed and shown).
 *  - event delivery % = Σ reduction of accepted customers (Wh)
 *                       / (target W × event seconds / 3600) × 100.
 *    Negative reductions of accepted customers count as they are (an
 *    accepted customer who used more really did lower what the aggregator
 *    delivered), so the figure can be below 0.  Accepted customers in
 *    needs_review have no known reduction and are left out (counted in
 *    n_accepted_unknown). */
#pragma once

#include <glib.h>

#include "core/drd-cbl.h"
#include "core/drd-params.h"
#include "core/drd-types.h"

G_BEGIN_DECLS

typedef enum {
  DRD_REVIEW_NONE = 0,
  DRD_REVIEW_CBL_INSUFFICIENT = 1,
  DRD_REVIEW_ACTUAL_MISSING = 2,
} DrdReviewReason;

/* "none", "cbl_insufficient", "actual_missing" */
const char *drd_review_reason_to_string (DrdReviewReason reason);

typedef struct {
  DrdAnswer     answer;
  DrdEventKind  kind;
  gboolean      cbl_ok;          /* FALSE: the CBL was insufficient */
  guint         n_slots;         /* event slots */
  const gint64 *cbl_wh;          /* n_slots (ignored when !cbl_ok; may be NULL then) */
  const gint64 *actual_wh;       /* n_slots */
  const guint8 *actual_present;  /* n_slots, non-zero = present; NULL = all present */
} DrdSettlementInput;

typedef struct {
  DrdOutcome       outcome;
  DrdReviewReason  review_reason;
  gboolean         reduction_known;  /* FALSE in needs_review: the three sums below are 0 */
  gint64           baseline_wh;      /* Σ CBL over the event slots */
  gint64           actual_wh;        /* Σ actual */
  gint64           reduction_wh;     /* baseline − actual */
  gint64           points;
} DrdSettlementResult;

/* floor(max(0, reduction_wh / 1000) × milli_points_per_kwh / 1000), exact.
 * E.g. rate 100 000 (100 pt/kWh): 999 Wh → 99, 1000 Wh → 100, 9 Wh → 0,
 * −5000 Wh → 0.  Returns 0 for a negative rate. */
gint64    drd_points_for_reduction (gint64 reduction_wh, gint64 milli_points_per_kwh);

/* The outcome rule alone.  @data_ok FALSE means needs_review. */
DrdOutcome drd_settlement_outcome (DrdAnswer        answer,
                                   gboolean         data_ok,
                                   gint64           reduction_wh,
                                   const DrdParams *params);

/* Settles one customer for one event.  @params NULL = defaults. */
void      drd_settlement_compute (const DrdSettlementInput *input,
                                  const DrdParams          *params,
                                  DrdSettlementResult      *result);

/* ---- one customer end to end ---- */

/* Fills @actual_wh and @present (each cbl->n_slots long) with the metered
 * energy of the event slots, looked up in @history. */
void      drd_settlement_collect_actuals (const DrdCblResult *cbl,
                                          DrdHistoryFunc      history,
                                          gpointer            history_data,
                                          gint64             *actual_wh,
                                          guint8             *present);

/* CBL + actuals + outcome for one customer and one event: computes the CBL
 * (drd_cbl_compute(), same arguments), reads the event slots' actual
 * energy from the same @history, and settles.  @cbl_out (optional)
 * receives the CBL result for explanation and charts; free it with
 * drd_cbl_result_free().  FALSE only for an invalid request (see
 * drd_cbl_compute()); missing data gives needs_review, not an error. */
gboolean  drd_settlement_settle (const DrdCblRequest  *request,
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
                                 GError              **error);

/* ---- event summary ---- */

typedef struct {
  gint64  target_w;
  gint64  duration_s;               /* event end − start */
  guint   n_customers;
  guint   n_by_outcome[5];          /* indexed by DrdOutcome */
  guint   n_by_answer[3];           /* indexed by DrdAnswer */
  guint   n_accepted_unknown;       /* accepted but needs_review */
  gint64  accepted_reduction_wh;    /* Σ reduction of accepted customers with known reduction */
  gint64  total_reduction_wh;       /* Σ reduction of everyone with known reduction */
  gint64  points_total;
} DrdEventSummary;

void      drd_event_summary_init (DrdEventSummary *summary,
                                  gint64           target_w,
                                  gint64           event_start,
                                  gint64           event_end);
void      drd_event_summary_add (DrdEventSummary           *summary,
                                 DrdAnswer                  answer,
                                 const DrdSettlementResult *result);
/* Target energy in Wh, rounded half up: target_w × duration_s / 3600. */
gint64    drd_event_summary_target_wh (const DrdEventSummary *summary);
/* Delivery in hundredths of a percent (basis points), rounded half up:
 * 10 000 = 100.00 %.  FALSE (and 0) when target or duration is 0. */
gboolean  drd_event_summary_delivery_bp (const DrdEventSummary *summary, gint64 *bp_out);
/* Same as a double percentage (for display); NAN-free: FALSE when undefined. */
gboolean  drd_event_summary_delivery_percent (const DrdEventSummary *summary, double *percent_out);

G_END_DECLS
