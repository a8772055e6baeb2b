/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Customer baseline load (CBL): KPX's Max(4/5) and Mid(6/10) methods,
 * exactly as product.md states them.  Pure computation over data the
 * caller supplies (no I/O).
 *
 * For each local (Seoul) day E that the event window touches:
 *  1. Walk back day by day from E-1.  A day is ELIGIBLE if it is Mon–Fri,
 *     not a holiday in the calendar, not in the caller's excluded dates
 *     (days the customer was targeted by another DR event), not a day of
 *     this event itself, and has all 96 slots present.  Stop after
 *     lookback_factor × W eligible days (2 × W), or after
 *     cbl_max_calendar_days calendar days (a bound for empty history).
 *  2. Abnormal days: mean = (Σ daily totals of the W most recent eligible
 *     days) / W.  An eligible day is abnormal if total < mean × 75 %, and,
 *     for factories only, if total > mean × 125 %.  Compared exactly in
 *     integers: total × W × 1000 < Σ × 750.
 *  3. Use the W most recent eligible non-abnormal days.  Fewer than W (in
 *     step 1 or step 3): status INSUFFICIENT — never a guess.
 *  4. Per slot, sort the W values, drop the drop_low lowest and drop_high
 *     highest (ties are harmless: equal values are interchangeable), and
 *     average the remaining n.  ROUNDING: round half up of sum / n, i.e.
 *     floor((2 × sum + n) / (2 × n)) (e.g. 10.5 → 11, 10.25 → 10).
 *
 * The result says which days were considered, dropped as abnormal, used,
 * and why the skipped days were skipped, so every number is explainable
 * (drd_cbl_result_explain()). */
#pragma once

#include <glib.h>

#include "core/drd-calendar.h"
#include "core/drd-params.h"
#include "core/drd-time.h"
#include "core/drd-types.h"

G_BEGIN_DECLS

#define DRD_CBL_ERROR (drd_cbl_error_quark ())
GQuark drd_cbl_error_quark (void);

typedef enum {
  DRD_CBL_ERROR_INVALID_WINDOW,   /* end ≤ start, off a 15-minute boundary, longer than 31 days */
  DRD_CBL_ERROR_INVALID_PARAMS,
  DRD_CBL_ERROR_INVALID_READING,  /* drd_readings_set(): instant off a 15-minute boundary */
} DrdCblError;

/* ---- meter history ---- */

/* One local day of metered energy: wh[k] is slot k (see drd-time.h), valid
 * only where present[k] is non-zero (missing is not zero). */
typedef struct {
  DrdDate date;
  gint64  wh[DRD_SLOTS_PER_DAY];
  guint8  present[DRD_SLOTS_PER_DAY];
} DrdDayReadings;

/* Initialises @day for @date with every slot missing. */
void     drd_day_readings_init (DrdDayReadings *day, DrdDate date);
/* TRUE if all 96 slots are present. */
gboolean drd_day_readings_is_complete (const DrdDayReadings *day);
/* Number of missing slots. */
guint    drd_day_readings_count_missing (const DrdDayReadings *day);

/* How the CBL asks for history: return the readings of @date, or NULL if
 * there are none.  The pointer must stay valid during drd_cbl_compute(). */
typedef const DrdDayReadings *(*DrdHistoryFunc) (DrdDate date, gpointer user_data);

/* A convenient in-memory history keyed by date (e.g. built from a readings
 * CSV, or from store rows).  Not thread-safe while being filled. */
typedef struct _DrdReadings DrdReadings;

DrdReadings          *drd_readings_new (void);
void                  drd_readings_free (DrdReadings *readings);
/* Sets the slot starting at @interval_start (must be on a 15-minute
 * boundary, else DRD_CBL_ERROR_INVALID_READING); a second value for the
 * same slot replaces the first. */
gboolean              drd_readings_set (DrdReadings *readings,
                                        gint64       interval_start,
                                        gint64       wh,
                                        GError     **error);
void                  drd_readings_set_slot (DrdReadings *readings,
                                             DrdDate      date,
                                             int          slot,
                                             gint64       wh);
/* Copies a whole day in (replacing any day with the same date). */
void                  drd_readings_add_day (DrdReadings *readings, const DrdDayReadings *day);
const DrdDayReadings *drd_readings_lookup (DrdReadings *readings, DrdDate date);
guint                 drd_readings_get_n_days (DrdReadings *readings);
/* A DrdHistoryFunc over a DrdReadings (pass the DrdReadings as user_data). */
const DrdDayReadings *drd_readings_history_func (DrdDate date, gpointer readings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdReadings, drd_readings_free)

/* ---- request and result ---- */

typedef struct {
  DrdCblMethod method;
  gboolean     is_factory;
  gint64       event_start;   /* Unix s, on a 15-minute boundary */
  gint64       event_end;     /* exclusive; may cross local midnight */
} DrdCblRequest;

typedef enum {
  DRD_CBL_STATUS_OK = 0,
  DRD_CBL_STATUS_INSUFFICIENT = 1,   /* fewer than W usable days */
} DrdCblStatus;

typedef enum {
  DRD_CBL_SKIP_WEEKEND,
  DRD_CBL_SKIP_HOLIDAY,
  DRD_CBL_SKIP_EXCLUDED,      /* another DR event targeted the customer */
  DRD_CBL_SKIP_EVENT_DAY,     /* a day of this event (multi-day windows) */
  DRD_CBL_SKIP_NO_DATA,       /* history has no readings for the day */
  DRD_CBL_SKIP_INCOMPLETE,    /* some of the 96 slots missing */
} DrdCblSkipReason;

/* "weekend", "holiday", "excluded", "event-day", "no-data", "incomplete" */
const char *drd_cbl_skip_reason_to_string (DrdCblSkipReason reason);

typedef struct {
  DrdDate          date;
  DrdCblSkipReason reason;
  guint            n_missing;     /* for DRD_CBL_SKIP_INCOMPLETE */
} DrdCblSkippedDay;

/* The CBL of one local event day. */
typedef struct {
  DrdDate      event_date;
  DrdCblStatus status;
  guint        window_days;        /* W */
  GArray      *considered;         /* DrdDate, eligible days in the look-back, newest first */
  GArray      *considered_totals;  /* gint64 daily Wh totals, parallel to considered */
  GArray      *abnormal;           /* DrdDate, considered days dropped as abnormal, newest first */
  GArray      *used;               /* DrdDate, the W days averaged, newest first;
                                    * empty when INSUFFICIENT */
  GArray      *skipped;            /* DrdCblSkippedDay, non-eligible days walked over, newest first */
  gint64       reference_total_wh; /* Σ totals of the W most recent eligible days (mean × W);
                                    * 0 when fewer than W were eligible */
  gint64       profile_wh[DRD_SLOTS_PER_DAY];  /* the full-day CBL (all 96 slots), for load
                                                * charts; all 0 when INSUFFICIENT */
} DrdCblDay;

typedef struct {
  DrdCblStatus status;        /* INSUFFICIENT if any event day is */
  DrdCblMethod method;
  gboolean     is_factory;
  gint64       event_start;
  gint64       event_end;
  guint        n_slots;       /* (end - start) / 900 */
  gint64      *slot_start;    /* n_slots instants */
  gint64      *cbl_wh;        /* n_slots CBL values; 0 for slots of an INSUFFICIENT day */
  guint       *slot_day;      /* n_slots indexes into days[] */
  guint        n_days;        /* local days the window touches (1 unless it crosses midnight) */
  DrdCblDay   *days;
} DrdCblResult;

/* Computes the CBL for every slot of the event window.
 * @history/@history_data: the meter history (see DrdHistoryFunc);
 * @calendar: holidays (NULL = none); @excluded/@n_excluded: local dates on
 * which the customer was targeted by another DR event (any order; may
 * include dates outside the look-back); @params: NULL for the defaults.
 * Returns NULL with an error only for an invalid request (window, params);
 * too little history is not an error but status INSUFFICIENT. */
DrdCblResult *drd_cbl_compute (const DrdCblRequest *request,
                               DrdHistoryFunc       history,
                               gpointer             history_data,
                               DrdCalendar         *calendar,
                               const DrdDate       *excluded,
                               guint                n_excluded,
                               const DrdParams     *params,
                               GError             **error);
void          drd_cbl_result_free (DrdCblResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdCblResult, drd_cbl_result_free)

/* Σ of cbl_wh over all event slots (meaningful when status is OK). */
gint64        drd_cbl_result_total_wh (const DrdCblResult *result);

/* A human-readable, translated explanation (several lines, each ending in
 * '\n'): per event day the status, the days used, the abnormal days with
 * their totals against the mean, and the skipped days with reasons.  For
 * the CLI's stderr and the GUI's settlement detail.  g_free() the result. */
char         *drd_cbl_result_explain (const DrdCblResult *result);

/* One slot's aggregation (exposed for tests): sorts @values (n of them, in
 * place), drops @drop_low lowest and @drop_high highest and returns the
 * round-half-up mean of the rest.  n must exceed drop_low + drop_high. */
gint64        drd_cbl_aggregate (gint64 *values, guint n, guint drop_low, guint drop_high);

/* Round-half-up integer division, floor((2a + b) / (2b)), for b > 0 and any
 * sign of a (e.g. 21/2 → 11, -21/2 → -10). */
gint64        drd_div_round_half_up (gint64 a, gint64 b);

G_END_DECLS
