/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every domain parameter in one place (product.md "Domain rules").
 *
 * Nothing else in the code base hard-codes these numbers: callers take a
 * `const DrdParams *` (NULL means the defaults).  Settings (GSettings, CLI
 * flags) map onto the fields below one to one.  All ratios are integer
 * per-mille and all point rates integer milli-points, so every comparison
 * and every floor() is exact integer arithmetic. */
#pragma once

#include <glib.h>

#include "core/drd-calendar.h"
#include "core/drd-types.h"

G_BEGIN_DECLS

#define DRD_PARAMS_ERROR (drd_params_error_quark ())
GQuark drd_params_error_quark (void);

typedef enum {
  DRD_PARAMS_ERROR_INVALID,   /* a field is out of its allowed range */
} DrdParamsError;

/* One CBL method's shape: W most recent eligible days; per 15-minute slot
 * the drop_low lowest and drop_high highest values are dropped and the
 * remaining W - drop_low - drop_high values averaged. */
typedef struct {
  guint window_days;   /* W: 5 for max-4-5, 10 for mid-6-10 */
  guint drop_low;      /* 1 for max-4-5, 2 for mid-6-10 */
  guint drop_high;     /* 0 for max-4-5, 2 for mid-6-10 */
} DrdCblMethodParams;

typedef struct {
  /* ---- CBL ---- */
  DrdCblMethodParams cbl[2];          /* indexed by DrdCblMethod */
  guint   lookback_factor;            /* search back at most factor × W eligible days (2) */
  guint   abnormal_low_permille;      /* day total < mean × 750‰ → abnormal (750) */
  guint   abnormal_high_permille;     /* factories only: total > mean × 1250‰ → abnormal (1250) */
  guint   cbl_max_calendar_days;      /* safety bound on the calendar days the eligible-day
                                       * search walks back before giving up (180); it only ends
                                       * searches through history that has no data */

  /* ---- settlement ---- */
  gint64  performance_threshold_wh;   /* performed iff reduction > this (0) */
  gint64  milli_points_per_kwh[DRD_N_EVENT_KINDS];
                                      /* indexed by DrdEventKind; 1000 = 1 point per kWh.
                                       * Defaults: reliability 100 000 (100 pt/kWh),
                                       * economic 60 000 (60), citizen 40 000 (40) */

  /* ---- KPX dispatch facts (warnings only, never hard errors) ---- */
  gint64  dispatch_notice_s;          /* ordered about this long ahead (3600) */
  gint64  dispatch_min_duration_s;    /* 3600 */
  gint64  dispatch_max_duration_s;    /* 14400 */
  gint64  dispatch_step_s;            /* start, end and duration in steps of (900) */
  guint   dispatch_day_start_min;     /* local minutes after midnight: 08:00 = 480 */
  guint   dispatch_day_end_min;       /* 21:00 = 1260 */
  guint   dispatch_break_start_min;   /* no dispatch 12:00 (720) … */
  guint   dispatch_break_end_min;     /* … to 13:00 (780) */
  gboolean dispatch_weekdays_only;    /* Mon–Fri, holidays excluded (TRUE) */
  gint64  dispatch_max_per_year_s;    /* per resource per calendar year (60 h = 216 000) */
} DrdParams;

/* Fills every field with the product.md defaults. */
void     drd_params_init_defaults (DrdParams *params);

/* The process-wide defaults (read-only).  Functions taking a
 * `const DrdParams *` use this when passed NULL. */
const DrdParams *drd_params_get_default (void);

/* Checks ranges and consistency (e.g. W > drop_low + drop_high, factor ≥ 1,
 * low ≤ 1000 ≤ high, non-negative rates).  Error DRD_PARAMS_ERROR_INVALID
 * names the field. */
gboolean drd_params_validate (const DrdParams *params, GError **error);

/* The CBL shape of @method. */
const DrdCblMethodParams *drd_params_get_cbl (const DrdParams *params, DrdCblMethod method);

/* Points for a given reduction and event kind:
 * floor(max(0, reduction_wh / 1000) × rate), exact integer math.
 * Same as drd_points_for_reduction() in drd-settlement.h with the kind's rate. */
gint64   drd_params_points (const DrdParams *params, DrdEventKind kind, gint64 reduction_wh);

/* KPX dispatch facts as warnings for the start-event dialog / CLI.
 * @start/@end: event window (Unix s, [start, end)); @now: current time;
 * @calendar: holidays (may be NULL: then only weekends count as non-weekdays);
 * @used_this_year_s: seconds of DR the
 * targeted resource(s) already ran in the event's local calendar year (pass
 * 0 when unknown).  Returns a NULL-terminated array of translated,
 * human-readable warnings, empty (not NULL) when none apply.  Free with
 * g_strfreev(). */
char   **drd_params_dispatch_warnings (const DrdParams *params,
                                       gint64           start,
                                       gint64           end,
                                       gint64           now,
                                       DrdCalendar     *calendar,
                                       gint64           used_this_year_s);

G_END_DECLS
