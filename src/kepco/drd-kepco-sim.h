/* SPDX-License-Identifier: GPL-3.0-or-later */
/* drdesk-kepco-sim: a deterministic stand-in for KEPCO's getDayLpData.do,
 * with DR events and fault injection; plus the pure data oracle it serves
 * from, which tests use to know the right answer without HTTP. */
#pragma once

#include <glib-object.h>

#include "core/drd-calendar.h"
#include "kepco/drd-kepco-parse.h"

G_BEGIN_DECLS

typedef struct {
  gint64 start;   /* Unix s, inclusive */
  gint64 end;     /* Unix s, exclusive */
} DrdKepcoSimEvent;

typedef enum {
  DRD_KEPCO_SIM_HOME = 0,
  DRD_KEPCO_SIM_SHOP = 1,
  DRD_KEPCO_SIM_OFFICE = 2,
  DRD_KEPCO_SIM_FACTORY = 3,
} DrdKepcoSimProfileKind;

typedef struct {
  guint64 seed;
  double  reducer_share;    /* share of customers that reduce during events (0.7) */
  double  reduction;        /* how much less they use (0.3) */
  double  fail_rate;        /* answer 500 or 503 */
  double  timeout_rate;     /* hold the request hold_ms, then 504 */
  double  malformed_rate;   /* 200 with a broken body */
  guint   latency_ms;       /* added to every answer */
  guint   hold_ms;          /* 60000 */
  gint64  outage_start;     /* Unix s; every data request 503 in [start, end) */
  gint64  outage_end;
  guint   lag_days;         /* the last N days (today counting) answer "no data yet" */
} DrdKepcoSimConfig;

void drd_kepco_sim_config_init (DrdKepcoSimConfig *config);

/* ---- The oracle: pure functions of their arguments. ---- */

DrdKepcoSimProfileKind drd_kepco_sim_profile (guint64 seed, const char *cust_no);
const char            *drd_kepco_sim_profile_name (DrdKepcoSimProfileKind kind);
gboolean               drd_kepco_sim_is_reducer (guint64     seed,
                                                 const char *cust_no,
                                                 double      reducer_share);
/* The full day as the simulator serves it (missing slots included), for a
 * "YYYYMMDD" or "YYYY-MM-DD" date; NULL for an invalid date or customer
 * number. Events are applied to slots they overlap, pro rata. */
DrdKepcoDay *drd_kepco_sim_day (guint64                 seed,
                                const char             *cust_no,
                                const char             *date,
                                const DrdKepcoSimEvent *events,
                                guint                   n_events,
                                double                  reducer_share,
                                double                  reduction);
/* The same with a holiday calendar (holidays look like Sundays): what a
 * simulator with drd_kepco_sim_set_holidays() / --holidays serves.
 * drd_kepco_sim_day() is this with holidays = NULL. */
DrdKepcoDay *drd_kepco_sim_day_with_holidays (guint64                 seed,
                                              const char             *cust_no,
                                              const char             *date,
                                              const DrdKepcoSimEvent *events,
                                              guint                   n_events,
                                              double                  reducer_share,
                                              double                  reduction,
                                              DrdCalendar            *holidays);
/* The same day without events: what the customer would have used. */
DrdKepcoDay *drd_kepco_sim_day_baseline (guint64     seed,
                                         const char *cust_no,
                                         const char *date);
/* Whether the simulator writes that slot as a JSON number (else a string). */
gboolean     drd_kepco_sim_slot_is_number (guint64     seed,
                                           const char *cust_no,
                                           const char *date,
                                           guint       slot);
/* The response body the simulator sends for a day (status OK) or an empty
 * list (NOT_YET_AVAILABLE). */
char        *drd_kepco_sim_render_day (guint64 seed, const DrdKepcoDay *day);
/* Seoul midnight of a valid YYYYMMDD date as Unix seconds. */
gint64       drd_kepco_sim_day_start (const char *date);
/* "ISO8601/ISO8601" (no offset = Asia/Seoul) → [start, end). */
gboolean     drd_kepco_sim_parse_window (const char *text,
                                         gint64     *start,
                                         gint64     *end,
                                         GError    **error);

/* ---- The server. ---- */

typedef struct {
  guint64 n_requests;     /* data requests that passed validation */
  guint64 n_ok;           /* answered 200 with data or an empty list */
  guint64 n_not_yet;      /* of which empty list */
  guint64 n_failed;       /* 5xx answers (fail rate, outage, forced) */
  guint64 n_held;         /* held as timeouts */
  guint64 n_malformed;
  guint64 n_rejected;     /* 4xx answers */
  guint   in_flight;      /* requests being handled now (including paused ones) */
  guint   max_in_flight;
} DrdKepcoSimStats;

#define DRD_TYPE_KEPCO_SIM (drd_kepco_sim_get_type ())
G_DECLARE_FINAL_TYPE (DrdKepcoSim, drd_kepco_sim, DRD, KEPCO_SIM, GObject)

DrdKepcoSim *drd_kepco_sim_new (const DrdKepcoSimConfig *config);
/* "ADDR:PORT" ("[::1]:0" for IPv6; port 0 picks a free one), own socket
 * with a backlog of 1024. */
gboolean     drd_kepco_sim_listen (DrdKepcoSim  *sim,
                                   const char   *listen,
                                   GError      **error);
const char  *drd_kepco_sim_get_url (DrdKepcoSim *sim);     /* "http://127.0.0.1:PORT/" */
guint16      drd_kepco_sim_get_port (DrdKepcoSim *sim);
void         drd_kepco_sim_add_event (DrdKepcoSim *sim, gint64 start, gint64 end);
const DrdKepcoSimEvent *drd_kepco_sim_get_events (DrdKepcoSim *sim, guint *n_events);
/* What the server answers for a past day (cust_no, date), faults aside,
 * with the sim's events, shares and holidays. Not time-dependent: the
 * server itself answers NOT_YET_AVAILABLE for future days and the last
 * lag-days days, and leaves today's slots that have not ended yet "". */
DrdKepcoDay *drd_kepco_sim_compute_day (DrdKepcoSim *sim, const char *cust_no, const char *date);
/* Holidays look like Sundays (NULL: none, the default). */
void         drd_kepco_sim_set_holidays (DrdKepcoSim *sim, DrdCalendar *holidays);
void         drd_kepco_sim_set_faults (DrdKepcoSim *sim,
                                       double       fail_rate,
                                       double       timeout_rate,
                                       double       malformed_rate);
void         drd_kepco_sim_set_latency_ms (DrdKepcoSim *sim, guint latency_ms);
void         drd_kepco_sim_set_hold_ms (DrdKepcoSim *sim, guint hold_ms);
void         drd_kepco_sim_set_outage (DrdKepcoSim *sim, gint64 start, gint64 end);
void         drd_kepco_sim_set_lag_days (DrdKepcoSim *sim, guint lag_days);
/* The next `count` valid data requests are answered with `status` (for
 * tests that need an exact sequence, e.g. two 503 then data). */
void         drd_kepco_sim_force_status (DrdKepcoSim *sim, guint status, guint count);
void         drd_kepco_sim_get_stats (DrdKepcoSim *sim, DrdKepcoSimStats *out);
void         drd_kepco_sim_reset_stats (DrdKepcoSim *sim);
/* The serviceKey of the last valid data request, as the server decoded it
 * (to check what a client really sends). */
char        *drd_kepco_sim_dup_last_service_key (DrdKepcoSim *sim);

/* drdesk-kepco-sim's entry point (contract in design.md). */
int drd_kepco_sim_main (int argc, char **argv);

G_END_DECLS
