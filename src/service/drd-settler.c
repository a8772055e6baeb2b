/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "core/drd-calendar.h"
#include "core/drd-settlement.h"
#include "core/drd-time.h"
#include "service/drd-settler.h"
#include "service/drd-settler-private.h"
#include "store/drd-store-settle.h"

/* Pipeline bounds: jobs claimed per write, jobs held in memory, fetches
 * handed to the client beyond its own in-flight limit (so it never
 * idles between two of our callbacks), items per commit. */
#define CLAIM_BATCH        512
#define MAX_ACTIVE_JOBS    4096
#define FETCH_HEADROOM     2
#define COMMIT_ITEMS       1024
#define COMMIT_DELAY_MS    50
#define MAX_COMMITS        4

/* ------------------------------------------------------------------ */
/* Event info (per batch; immutable once built, shared with workers)  */

typedef struct {
  gatomicrefcount ref;
  DrdEvent    *event;
  DrdCalendar *calendar;
  DrdDate      first_date;   /* local days the window touches */
  DrdDate      last_date;
  gint64       deadline_s;   /* data-deadline-s of the settler */
  gint64       deadline;     /* event end + deadline_s: after it, missing data is final */
} EventInfo;

static EventInfo *
event_info_ref (EventInfo *info)
{
  g_atomic_ref_count_inc (&info->ref);
  return info;
}

static void
event_info_unref (EventInfo *info)
{
  if (info != NULL && g_atomic_ref_count_dec (&info->ref))
    {
      drd_event_free (info->event);
      g_clear_object (&info->calendar);
      g_free (info);
    }
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EventInfo, event_info_unref)

static EventInfo *
event_info_load (DrdStore *store,
                 gint64    event_id,
                 gint64    deadline_s,
                 GError  **error)
{
  g_autoptr(DrdEvent) event = drd_store_get_event (store, event_id, drd_store_now (), error);
  g_autoptr(GPtrArray) holidays = NULL;
  EventInfo *info;

  if (event == NULL)
    return NULL;
  holidays = drd_store_list_holidays (store, error);
  if (holidays == NULL)
    return NULL;
  info = g_new0 (EventInfo, 1);
  g_atomic_ref_count_init (&info->ref);
  info->event = g_steal_pointer (&event);
  info->calendar = drd_calendar_new ();
  for (guint i = 0; i < holidays->len; i++)
    {
      DrdHoliday *h = g_ptr_array_index (holidays, i);
      DrdDate d;

      if (drd_date_parse (h->day, &d, NULL))
        drd_calendar_add (info->calendar, d, h->name);
    }
  info->first_date = drd_date_of_instant (info->event->start_at);
  info->last_date = drd_date_of_instant (info->event->end_at - 1);
  info->deadline_s = deadline_s;
  info->deadline = info->event->end_at + deadline_s;
  return info;
}

/* ------------------------------------------------------------------ */
/* One customer's job while in memory                                  */

typedef struct {
  EventInfo         *ev;
  DrdSettleCustomer *cust;
  GHashTable        *days;     /* DrdDate → DrdMeterDay* (owned) */
  GHashTable        *tried;    /* DrdDate set: fetched during this run */
  guint              n_outstanding;
  gboolean           not_yet;
  gboolean           breaker;
  GError            *error;    /* first fetch error */
  gboolean           review_bad_number;
  DrdSettleResult    result;
  gboolean           has_result;
} Job;

static void
job_free (Job *job)
{
  if (job == NULL)
    return;
  event_info_unref (job->ev);
  drd_settle_customer_free (job->cust);
  g_clear_pointer (&job->days, g_hash_table_unref);
  g_clear_pointer (&job->tried, g_hash_table_unref);
  g_clear_error (&job->error);
  g_free (job->result.note);
  g_free (job);
}

static Job *
job_new (EventInfo         *ev,
         DrdSettleCustomer *cust)
{
  Job *job = g_new0 (Job, 1);

  job->ev = event_info_ref (ev);
  job->cust = cust;
  job->days = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  job->tried = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < cust->days->len; i++)
    {
      DrdMeterDay *d = g_ptr_array_index (cust->days, i);
      DrdDate date;

      if (!drd_date_parse (d->day, &date, NULL))
        continue;
      g_ptr_array_index (cust->days, i) = NULL;
      g_hash_table_replace (job->days, GINT_TO_POINTER (date), d);
    }
  g_ptr_array_set_size (cust->days, 0);
  return job;
}

static gboolean
job_day_complete (Job     *job,
                  DrdDate  date)
{
  DrdMeterDay *d = g_hash_table_lookup (job->days, GINT_TO_POINTER (date));

  return d != NULL && d->n_present == DRD_SLOTS_PER_DAY;
}

/* An incomplete day fetched at least data-deadline-s (3 days) after it
 * ended is final: KEPCO's late (low-voltage) data arrives within that
 * time, so asking again would only repeat the same answer. Earlier
 * fetches are asked again. */
static gboolean
job_day_final (Job               *job,
               DrdDate            date,
               const DrdMeterDay *d)
{
  return d->n_present == DRD_SLOTS_PER_DAY
         || d->fetched_at >= drd_date_start (date + 1) + job->ev->deadline_s;
}

static gboolean
job_day_known (Job     *job,
               DrdDate  date)
{
  DrdMeterDay *d;

  if (g_hash_table_contains (job->tried, GINT_TO_POINTER (date)))
    return TRUE;
  d = g_hash_table_lookup (job->days, GINT_TO_POINTER (date));
  return d != NULL && job_day_final (job, date, d);
}

static gboolean
job_is_excluded (Job     *job,
                 DrdDate  date)
{
  for (guint i = 0; i < job->cust->excluded->len; i++)
    if (g_array_index (job->cust->excluded, DrdDate, i) == date)
      return TRUE;
  return FALSE;
}

/* The days still to fetch: the event's days, then per event day the
 * look-back walk as core's CBL does it (weekdays, no holidays, no excluded
 * or event days), counting a day not yet fetched as if it will be complete
 * (so the walk asks for exactly what core will consider; if a fetched day
 * turns out incomplete the next plan walks further). A cached incomplete
 * day is asked again unless it is final (job_day_known()). Mirrors
 * drd_cbl_compute()'s step 1. */
static GArray *
job_plan (Job             *job,
          const DrdParams *params)
{
  GArray *missing = g_array_new (FALSE, FALSE, sizeof (DrdDate));
  const DrdCblMethodParams *mp = drd_params_get_cbl (params, job->cust->method);
  guint max_considered = params->lookback_factor * mp->window_days;
  g_autoptr(GHashTable) added = g_hash_table_new (NULL, NULL);

  for (DrdDate e = job->ev->first_date; e <= job->ev->last_date; e++)
    if (!job_day_known (job, e))
      {
        g_array_append_val (missing, e);
        g_hash_table_add (added, GINT_TO_POINTER (e));
      }

  for (DrdDate e = job->ev->first_date; e <= job->ev->last_date; e++)
    {
      guint n = 0;

      for (guint back = 1; back <= params->cbl_max_calendar_days && n < max_considered; back++)
        {
          DrdDate d = e - (DrdDate) back;

          if (!drd_date_is_weekday (d)
              || drd_calendar_is_holiday (job->ev->calendar, d)
              || d >= job->ev->first_date
              || job_is_excluded (job, d))
            continue;
          if (job_day_complete (job, d))
            n++;
          else if (job_day_known (job, d))
            continue;
          else
            {
              if (!g_hash_table_contains (added, GINT_TO_POINTER (d)))
                {
                  g_array_append_val (missing, d);
                  g_hash_table_add (added, GINT_TO_POINTER (d));
                }
              n++;
            }
        }
    }
  return missing;
}

/* Whether settling @job now would take data KEPCO has not delivered yet
 * for final: the event's last slot has not ended, one of its slots is
 * missing, or a day the CBL walk reaches is incomplete and not final yet
 * (the same walk as job_plan()). Never once the event's deadline
 * (end + data-deadline-s) has passed: then what is there is final, and a
 * customer without data needs review. */
static gboolean
job_data_pending (Job             *job,
                  const DrdParams *params,
                  gint64           now)
{
  const DrdEvent *ev = job->ev->event;
  const DrdCblMethodParams *mp = drd_params_get_cbl (params, job->cust->method);
  guint max_considered = params->lookback_factor * mp->window_days;

  if (now >= job->ev->deadline)
    return FALSE;
  if (now < ev->end_at)
    return TRUE;
  for (gint64 t = ev->start_at; t < ev->end_at; t += DRD_SLOT_SECONDS)
    {
      DrdDate date = drd_date_of_instant (t);
      DrdMeterDay *d = g_hash_table_lookup (job->days, GINT_TO_POINTER (date));
      int k = drd_slot_of_instant (t);

      if (d == NULL || k < 0 || k >= DRD_SLOTS_PER_DAY || d->slots[k] < 0)
        return TRUE;
    }
  for (DrdDate e = job->ev->first_date; e <= job->ev->last_date; e++)
    {
      guint n = 0;

      for (guint back = 1; back <= params->cbl_max_calendar_days && n < max_considered; back++)
        {
          DrdDate date = e - (DrdDate) back;
          DrdMeterDay *d;

          if (!drd_date_is_weekday (date)
              || drd_calendar_is_holiday (job->ev->calendar, date)
              || date >= job->ev->first_date
              || job_is_excluded (job, date))
            continue;
          d = g_hash_table_lookup (job->days, GINT_TO_POINTER (date));
          if (d == NULL)
            continue;
          if (d->n_present == DRD_SLOTS_PER_DAY)
            n++;
          else if (!job_day_final (job, date, d))
            return TRUE;
        }
    }
  return FALSE;
}

static const DrdDayReadings *
job_history (DrdDate  date,
             gpointer data)
{
  return drd_readings_lookup (data, date);
}

static DrdReadings *
job_readings (GHashTable *days)
{
  DrdReadings *readings = drd_readings_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, days);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const DrdMeterDay *m = value;
      DrdDayReadings r;

      drd_day_readings_init (&r, GPOINTER_TO_INT (key));
      for (int k = 0; k < DRD_SLOTS_PER_DAY; k++)
        if (m->slots[k] >= 0)
          {
            r.wh[k] = m->slots[k];
            r.present[k] = 1;
          }
      drd_readings_add_day (readings, &r);
    }
  return readings;
}

static char *
used_days_note (const DrdCblResult *cbl)
{
  GString *s = g_string_new ("cbl days:");

  for (guint i = 0; i < cbl->n_days; i++)
    for (guint k = 0; k < cbl->days[i].used->len; k++)
      {
        char buf[11];

        g_string_append_c (s, ' ');
        g_string_append (s, drd_date_format_buf (g_array_index (cbl->days[i].used, DrdDate, k), buf));
      }
  return g_string_free (s, FALSE);
}

/* CBL + actuals + outcome → job->result. */
static void
job_compute (Job             *job,
             const DrdParams *params)
{
  const DrdEvent *ev = job->ev->event;
  DrdCblRequest req = { job->cust->method, job->cust->is_factory, ev->start_at, ev->end_at };
  g_autoptr(DrdReadings) readings = job_readings (job->days);
  g_autoptr(DrdCblResult) cbl = NULL;
  g_autoptr(GError) error = NULL;
  DrdSettlementResult res;
  DrdSettleResult *r = &job->result;

  memset (r, 0, sizeof *r);
  r->job_id = job->cust->job_id;
  r->event_id = ev->id;
  r->customer_id = job->cust->customer_id;
  r->answer = job->cust->answer;
  r->answered_at = job->cust->answered_at;
  job->has_result = TRUE;

  if (job->review_bad_number
      || !drd_settlement_settle (&req, job->cust->answer, ev->kind, job_history, readings,
                                 job->ev->calendar, (const DrdDate *) job->cust->excluded->data,
                                 job->cust->excluded->len, params, &cbl, &res, &error))
    {
      r->outcome = DRD_OUTCOME_NEEDS_REVIEW;
      r->note = g_strdup (job->review_bad_number ? "kepco_customer_no rejected by KEPCO"
                                                 : error->message);
      return;
    }

  r->outcome = res.outcome;
  r->points = res.points;
  r->baseline_known = cbl->status == DRD_CBL_STATUS_OK;
  r->baseline_wh = r->baseline_known ? drd_cbl_result_total_wh (cbl) : 0;
  {
    g_autofree gint64 *actual = g_new0 (gint64, cbl->n_slots);
    g_autofree guint8 *present = g_new0 (guint8, cbl->n_slots);
    gint64 sum = 0;

    drd_settlement_collect_actuals (cbl, job_history, readings, actual, present);
    r->actual_known = TRUE;
    for (guint i = 0; i < cbl->n_slots; i++)
      {
        if (!present[i])
          r->actual_known = FALSE;
        sum += actual[i];
      }
    r->actual_wh = r->actual_known ? sum : 0;
  }
  r->reduction_wh = res.reduction_known ? res.reduction_wh
                    : (r->baseline_known && r->actual_known ? r->baseline_wh - r->actual_wh : 0);
  if (res.outcome == DRD_OUTCOME_NEEDS_REVIEW)
    r->note = g_strdup (drd_review_reason_to_string (res.review_reason));
  else
    r->note = used_days_note (cbl);
}

/* ------------------------------------------------------------------ */
/* The object                                                          */

struct _DrdSettler
{
  GObject parent_instance;

  DrdStore       *store;
  DrdKepcoClient *client;
  DrdParams       params;
  GCancellable   *cancellable;

  gboolean  started;          /* service mode */
  gint64    only_event;       /* CLI mode: 0 = all */
  GTask    *event_task;       /* CLI mode completion */
  GArray   *events;           /* gint64: events being settled (for progress) */

  /* pipeline */
  gboolean  claiming;
  gboolean  claim_exhausted;  /* last claim found nothing due */
  guint     n_loading;        /* jobs in load workers */
  GHashTable *active;         /* Job* set: loaded, not yet committed */
  GQueue    fetch_queue;      /* FetchReq* */
  guint     n_fetching;
  DrdSettleBatch *batch;      /* being filled */
  GPtrArray *batch_jobs;      /* Job* whose result/wait is in batch */
  guint     commit_id;
  guint     n_commits;
  guint     wake_id;
  guint     scan_id;
  guint     tick_id;
  gboolean  scanning;
  gboolean  draining;         /* finish/next-due check in progress */
  gboolean  progress_busy;

  /* test hook */
  DrdSettlerCommitHook commit_hook;
  gpointer  commit_hook_data;

  /* tunables (properties) */
  guint     scan_interval_s;
  guint     data_wait_s;
  guint     retry_base_s;
  guint     retry_cap_s;
  guint     max_attempts;
  guint     data_deadline_s;
  gboolean  wait_for_data;

  /* progress */
  guint64   n_total;
  guint64   n_done;
  guint64   n_waiting;
  guint64   n_failed;
  gint64    next_attempt_at;
  double    rate;
  double    eta;
  char     *last_error;
  gint64    rate_t0;          /* monotonic µs */
  guint64   rate_done0;
};

G_DEFINE_FINAL_TYPE (DrdSettler, drd_settler, G_TYPE_OBJECT)
G_DEFINE_QUARK (drd-settler-error-quark, drd_settler_error)

enum {
  PROP_0,
  PROP_N_TOTAL,
  PROP_N_DONE,
  PROP_N_WAITING,
  PROP_N_FAILED,
  PROP_RATE,
  PROP_ETA_SECONDS,
  PROP_LAST_ERROR,
  PROP_BUSY,
  PROP_SCAN_INTERVAL_S,
  PROP_DATA_WAIT_S,
  PROP_RETRY_BASE_S,
  PROP_RETRY_CAP_S,
  PROP_MAX_ATTEMPTS,
  PROP_DATA_DEADLINE_S,
  PROP_WAIT_FOR_DATA,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_EVENT_SETTLED, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef struct {
  DrdSettler *settler;   /* ref */
  Job        *job;
  DrdDate     date;
} FetchReq;

static void pump (DrdSettler *self);
static void job_fetches_done (DrdSettler *self, Job *job);
static void refresh_progress (DrdSettler *self);

static void
set_last_error (DrdSettler *self,
                const char *message)
{
  if (g_strcmp0 (self->last_error, message) == 0)
    return;
  g_free (self->last_error);
  self->last_error = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
}

static gboolean
is_stopped (DrdSettler *self)
{
  return g_cancellable_is_cancelled (self->cancellable);
}

/* ---- commit ---- */

typedef struct {
  DrdSettler     *settler;
  DrdSettleBatch *batch;
  GPtrArray      *jobs;
  guint           tries;
} Commit;

static void
commit_free (Commit *c)
{
  g_object_unref (c->settler);
  drd_settle_batch_free (c->batch);
  g_ptr_array_unref (c->jobs);
  g_free (c);
}

static void commit_submit (Commit *c);

static gboolean
commit_retry_cb (gpointer data)
{
  commit_submit (data);
  return G_SOURCE_REMOVE;
}

static void
commit_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Commit *c = data;
  DrdSettler *self = c->settler;
  g_autoptr(GError) error = NULL;

  if (!drd_store_settle_commit_finish (DRD_STORE (source), result, &error))
    {
      if (is_stopped (self) || c->tries >= 5)
        {
          /* Jobs stay running in the store; the next start resets them. */
          set_last_error (self, error->message);
          self->n_commits--;
          for (guint i = 0; i < c->jobs->len; i++)
            g_hash_table_remove (self->active, g_ptr_array_index (c->jobs, i));
          commit_free (c);
          pump (self);
          return;
        }
      set_last_error (self, error->message);
      g_timeout_add_seconds (1, commit_retry_cb, c);
      return;
    }

  self->n_commits--;
  self->n_done += c->batch->n_settled;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_DONE]);
  for (guint i = 0; i < c->jobs->len; i++)
    g_hash_table_remove (self->active, g_ptr_array_index (c->jobs, i));
  if (c->batch->waits->len > 0 || c->batch->results->len > 0)
    self->claim_exhausted = FALSE;
  commit_free (c);
  pump (self);
}

static void
commit_submit (Commit *c)
{
  c->tries++;
  drd_store_settle_commit_async (c->settler->store, c->batch, NULL, commit_done, c);
}

static void
flush_batch (DrdSettler *self)
{
  Commit *c;

  g_clear_handle_id (&self->commit_id, g_source_remove);
  if (drd_settle_batch_size (self->batch) == 0 && self->batch_jobs->len == 0)
    return;
  c = g_new0 (Commit, 1);
  c->settler = g_object_ref (self);
  c->batch = g_steal_pointer (&self->batch);
  c->jobs = g_steal_pointer (&self->batch_jobs);
  self->batch = drd_settle_batch_new (drd_store_now ());
  self->batch_jobs = g_ptr_array_new ();
  self->n_commits++;
  if (self->commit_hook != NULL)
    self->commit_hook (self, c->batch, self->commit_hook_data);
  commit_submit (c);
}

void
drd_settler_set_commit_hook (DrdSettler           *self,
                             DrdSettlerCommitHook  hook,
                             gpointer              user_data)
{
  g_return_if_fail (DRD_IS_SETTLER (self));
  self->commit_hook = hook;
  self->commit_hook_data = user_data;
}

static gboolean
commit_timeout_cb (gpointer data)
{
  DrdSettler *self = data;

  self->commit_id = 0;
  flush_batch (self);
  return G_SOURCE_REMOVE;
}

static void
batch_added (DrdSettler *self)
{
  if (drd_settle_batch_size (self->batch) >= COMMIT_ITEMS && self->n_commits < MAX_COMMITS)
    flush_batch (self);
  else if (self->commit_id == 0)
    self->commit_id = g_timeout_add (COMMIT_DELAY_MS, commit_timeout_cb, self);
}

static void
batch_add_result (DrdSettler *self,
                  Job        *job)
{
  DrdSettleResult r = job->result;

  r.note = g_steal_pointer (&job->result.note);
  g_array_append_val (self->batch->results, r);
  g_ptr_array_add (self->batch_jobs, job);
  batch_added (self);
}

static void
batch_add_wait (DrdSettler *self,
                Job        *job,
                gint64      delay_s,
                gboolean    is_error,
                const char *message)
{
  DrdSettleWait w = { job->cust->job_id, 0, is_error, g_strdup (message) };

  w.next_attempt_at = delay_s < 0 ? 0 : drd_store_now () + delay_s;
  g_array_append_val (self->batch->waits, w);
  g_ptr_array_add (self->batch_jobs, job);
  batch_added (self);
}

/* How long a job waiting for KEPCO data waits: until the event's last
 * slot has ended, then data-wait-s growing with the time waited (a
 * quarter of it, at most an hour), never past the event's deadline. */
static gint64
data_delay_s (DrdSettler *self,
              Job        *job,
              gint64      now)
{
  const DrdEvent *ev = job->ev->event;
  gint64 waited = MAX (0, now - job->cust->created_at);
  gint64 d = MAX ((gint64) self->data_wait_s, waited / 4);

  d = MIN (d, MAX ((gint64) 3600, (gint64) self->data_wait_s));
  if (now < ev->end_at)
    d = ev->end_at - now + self->data_wait_s;
  if (now + d > job->ev->deadline)
    d = job->ev->deadline - now;
  return MAX (d, 1);
}

static void
batch_add_data_wait (DrdSettler *self,
                     Job        *job)
{
  batch_add_wait (self, job, data_delay_s (self, job, drd_store_now ()), FALSE,
                  DRD_SETTLE_WAITING_FOR_DATA);
}

/* ---- fetching ---- */

static void
fetch_done (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  FetchReq *req = data;
  DrdSettler *self = req->settler;
  Job *job = req->job;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoDay) day = drd_kepco_client_fetch_day_finish (DRD_KEPCO_CLIENT (source),
                                                                 result, &error);

  self->n_fetching--;
  if (is_stopped (self))
    {
      g_object_unref (req->settler);
      g_free (req);
      return;
    }

  g_hash_table_add (job->tried, GINT_TO_POINTER (req->date));
  if (day != NULL && day->status == DRD_KEPCO_DAY_OK)
    {
      DrdMeterDay m = { 0 };
      DrdMeterDay *copy;

      m.customer_id = job->cust->customer_id;
      drd_date_format_buf (req->date, m.day);
      memcpy (m.slots, day->wh, sizeof m.slots);
      m.n_present = day->n_present;
      m.fetched_at = drd_store_now ();
      g_array_append_val (self->batch->meter_days, m);
      copy = g_memdup2 (&m, sizeof m);
      g_hash_table_replace (job->days, GINT_TO_POINTER (req->date), copy);
    }
  else if (day != NULL)
    job->not_yet = TRUE;
  else if (g_error_matches (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_BREAKER_OPEN))
    job->breaker = TRUE;
  else if (g_error_matches (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_INVALID_ARGUMENT))
    job->review_bad_number = TRUE;
  else if (job->error == NULL)
    job->error = g_steal_pointer (&error);

  g_object_unref (req->settler);
  g_free (req);
  if (--job->n_outstanding == 0)
    job_fetches_done (self, job);
  pump (self);
}

static guint
fetch_limit (DrdSettler *self)
{
  guint max_in_flight = 8;

  g_object_get (self->client, "max-in-flight", &max_in_flight, NULL);
  return max_in_flight + FETCH_HEADROOM;
}

static void
submit_fetches (DrdSettler *self)
{
  guint limit = fetch_limit (self);

  while (self->n_fetching < limit && !g_queue_is_empty (&self->fetch_queue))
    {
      FetchReq *req = g_queue_pop_head (&self->fetch_queue);
      char date[9];

      if (req->job->review_bad_number || req->job->breaker)
        {
          /* The job is settled/waiting anyway: skip its other days. */
          g_hash_table_add (req->job->tried, GINT_TO_POINTER (req->date));
          g_object_unref (req->settler);
          if (--req->job->n_outstanding == 0)
            job_fetches_done (self, req->job);
          g_free (req);
          continue;
        }
      drd_date_format_compact_buf (req->date, date);
      self->n_fetching++;
      drd_kepco_client_fetch_day_async (self->client, req->job->cust->kepco_no, date,
                                        self->cancellable, fetch_done, req);
    }
}

static gint64
backoff_s (DrdSettler *self,
           gint        attempts)
{
  gint64 d = self->retry_base_s;

  for (gint i = 1; i < attempts && d < self->retry_cap_s; i++)
    d *= 2;
  return MIN (d, (gint64) self->retry_cap_s);
}

/* All fetches of a round came back: wait, fetch more, or settle. */
static void
job_fetches_done (DrdSettler *self,
                  Job        *job)
{
  if (job->review_bad_number)
    {
      job_compute (job, &self->params);
      batch_add_result (self, job);
      return;
    }
  if (job->error != NULL && self->event_task != NULL
      && g_error_matches (job->error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_HTTP_CLIENT))
    {
      /* KEPCO refuses us (wrong service key, bad URL path): waiting will
       * not help; tell the operator now instead of retrying for hours. */
      GTask *task = g_steal_pointer (&self->event_task);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                               _("KEPCO refused the request (%s); check the service key and URL"),
                               job->error->message);
      g_object_unref (task);
      batch_add_wait (self, job, 0, FALSE, job->error->message);
      drd_settler_stop (self);
      return;
    }
  if (job->error != NULL)
    {
      gint attempts = job->cust->attempts + 1;
      g_autofree char *msg = g_strdup_printf ("KEPCO: %s", job->error->message);

      set_last_error (self, msg);
      batch_add_wait (self, job, attempts >= (gint) self->max_attempts ? -1 : backoff_s (self, attempts),
                      TRUE, msg);
      return;
    }
  if (job->breaker)
    {
      guint cooldown_ms = 30000;

      g_object_get (self->client, "breaker-cooldown-ms", &cooldown_ms, NULL);
      batch_add_wait (self, job, MAX (1, (cooldown_ms + 999) / 1000), FALSE,
                      "KEPCO link down (circuit breaker open)");
      return;
    }
  if (job->not_yet && drd_store_now () < job->ev->deadline)
    {
      batch_add_data_wait (self, job);
      return;
    }

  {
    g_autoptr(GArray) missing = job_plan (job, &self->params);

    if (missing->len == 0)
      {
        if (job_data_pending (job, &self->params, drd_store_now ()))
          {
            batch_add_data_wait (self, job);
            return;
          }
        job_compute (job, &self->params);
        batch_add_result (self, job);
        return;
      }
    for (guint i = 0; i < missing->len; i++)
      {
        FetchReq *req = g_new0 (FetchReq, 1);

        req->settler = g_object_ref (self);
        req->job = job;
        req->date = g_array_index (missing, DrdDate, i);
        job->n_outstanding++;
        g_queue_push_tail (&self->fetch_queue, req);
      }
  }
}

/* ---- loading (worker thread) ---- */

typedef struct {
  DrdStore  *store;
  DrdParams  params;
  gint64     event_id;
  gint64     deadline_s;
  GArray    *jobs;     /* DrdSettleJobRef */
  GPtrArray *out;      /* Job* */
} LoadData;

static void
load_data_free (LoadData *d)
{
  g_object_unref (d->store);
  g_array_unref (d->jobs);
  g_clear_pointer (&d->out, g_ptr_array_unref);
  g_free (d);
}

static void
load_thread (GTask        *task,
             gpointer      source,
             gpointer      data,
             GCancellable *cancellable)
{
  LoadData *d = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EventInfo) ev = event_info_load (d->store, d->event_id, d->deadline_s, &error);
  g_autoptr(GPtrArray) customers = NULL;

  if (ev == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  customers = drd_store_settle_load (d->store, d->event_id, d->jobs,
                                     ev->first_date - (DrdDate) d->params.cbl_max_calendar_days,
                                     ev->last_date, &error);
  if (customers == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  d->out = g_ptr_array_new ();
  for (guint i = 0; i < customers->len; i++)
    {
      DrdSettleCustomer *c = g_ptr_array_index (customers, i);
      Job *job;

      g_ptr_array_index (customers, i) = NULL;
      job = job_new (ev, c);
      g_ptr_array_add (d->out, job);
      if (!c->targeted)
        continue;
      if (!drd_kepco_cust_no_is_valid (c->kepco_no))
        {
          job->review_bad_number = TRUE;
          job_compute (job, &d->params);
          continue;
        }
      {
        g_autoptr(GArray) missing = job_plan (job, &d->params);

        /* Warm cache: settle right here, off the main thread (unless
         * KEPCO still owes data: job_fetches_done() makes it wait). */
        if (missing->len == 0 && !job_data_pending (job, &d->params, drd_store_now ()))
          job_compute (job, &d->params);
      }
    }
  g_task_return_boolean (task, TRUE);
}

static void
load_done (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  DrdSettler *self = DRD_SETTLER (source);
  LoadData *d = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  self->n_loading -= d->jobs->len;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      /* Give the jobs back (pending, after a pause) through the same
       * async commit path; never a blocking write here. */
      if (!is_stopped (self))
        {
          set_last_error (self, error->message);
          for (guint i = 0; i < d->jobs->len; i++)
            {
              DrdSettleWait w = { g_array_index (d->jobs, DrdSettleJobRef, i).job_id,
                                  drd_store_now () + backoff_s (self, 1), TRUE,
                                  g_strdup (error->message) };
              g_array_append_val (self->batch->waits, w);
            }
          batch_added (self);
        }
      pump (self);
      return;
    }
  if (is_stopped (self))
    {
      g_ptr_array_set_free_func (d->out, (GDestroyNotify) job_free);
      return;
    }

  for (guint i = 0; i < d->out->len; i++)
    {
      Job *job = g_ptr_array_index (d->out, i);

      g_hash_table_add (self->active, job);
      if (!job->cust->targeted)
        batch_add_wait (self, job, -1, TRUE, "customer is not targeted by the event");
      else if (job->has_result)
        batch_add_result (self, job);
      else
        job_fetches_done (self, job);
    }
  g_ptr_array_set_size (d->out, 0);
  pump (self);
}

static void
start_load (DrdSettler *self,
            gint64      event_id,
            GArray     *jobs)
{
  GTask *task = g_task_new (self, NULL, load_done, NULL);
  LoadData *d = g_new0 (LoadData, 1);

  d->store = g_object_ref (self->store);
  d->params = self->params;
  d->event_id = event_id;
  d->deadline_s = self->data_deadline_s;
  d->jobs = g_array_ref (jobs);
  self->n_loading += jobs->len;
  g_task_set_task_data (task, d, (GDestroyNotify) load_data_free);
  g_task_run_in_thread (task, load_thread);
  g_object_unref (task);
}

/* ---- claiming ---- */

static void
claim_done (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  DrdSettler *self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) jobs = drd_store_settle_claim_finish (DRD_STORE (source), result, &error);

  self->claiming = FALSE;
  if (jobs == NULL)
    {
      set_last_error (self, error->message);
      self->claim_exhausted = TRUE;
    }
  else if (jobs->len == 0)
    self->claim_exhausted = TRUE;
  else if (!is_stopped (self))
    {
      /* Group by event: one load per event. */
      guint start = 0;

      for (guint i = 1; i <= jobs->len; i++)
        {
          if (i < jobs->len
              && g_array_index (jobs, DrdSettleJobRef, i).event_id
                 == g_array_index (jobs, DrdSettleJobRef, start).event_id)
            continue;
          if (start == 0 && i == jobs->len)
            start_load (self, g_array_index (jobs, DrdSettleJobRef, 0).event_id, jobs);
          else
            {
              g_autoptr(GArray) part = g_array_new (FALSE, FALSE, sizeof (DrdSettleJobRef));

              g_array_append_vals (part, &g_array_index (jobs, DrdSettleJobRef, start), i - start);
              start_load (self, g_array_index (jobs, DrdSettleJobRef, start).event_id, part);
            }
          start = i;
        }
    }
  pump (self);
  g_object_unref (self);
}

/* ---- draining: nothing due is left ---- */

static gboolean
wake_cb (gpointer data)
{
  DrdSettler *self = data;

  self->wake_id = 0;
  self->claim_exhausted = FALSE;
  pump (self);
  return G_SOURCE_REMOVE;
}

typedef struct {
  GArray  *events;     /* in */
  GArray  *settled;    /* out: gint64 */
  gint64   next;       /* out: earliest pending; 0 none */
  gint64   n_failed;   /* out: failed jobs of the events */
  gint64   n_pending;  /* out: pending jobs of the events */
  gint64   n_waiting_data; /* out: of which waiting for KEPCO data */
  char    *last_error;
} DrainData;

static void
drain_data_free (DrainData *d)
{
  g_array_unref (d->events);
  g_array_unref (d->settled);
  g_free (d->last_error);
  g_free (d);
}

static void
drain_thread (GTask        *task,
              gpointer      source,
              gpointer      data,
              GCancellable *cancellable)
{
  DrdSettler *self = source;
  DrainData *d = data;
  GError *error = NULL;

  for (guint i = 0; i < d->events->len; i++)
    {
      gint64 id = g_array_index (d->events, gint64, i);
      gboolean settled = FALSE;
      DrdSettleProgress p;

      if (!drd_store_settle_finish_event (self->store, id, drd_store_now (), &settled, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      if (settled)
        {
          g_array_append_val (d->settled, id);
          continue;
        }
      if (!drd_store_settle_get_progress (self->store, id, drd_store_now (), &p, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      if (p.n_pending > 0 && (d->next == 0 || p.next_attempt_at < d->next))
        d->next = p.next_attempt_at;
      d->n_failed += p.n_failed;
      d->n_pending += p.n_pending;
      d->n_waiting_data += p.n_waiting_data;
      if (p.last_error != NULL && d->last_error == NULL)
        d->last_error = g_strdup (p.last_error);
      drd_settle_progress_clear (&p);
    }
  if (d->next == 0 && self->only_event == 0)
    {
      gboolean found = FALSE;

      /* Other events' waiting jobs (service mode). */
      if (!drd_store_settle_next_due (self->store, 0, &d->next, NULL, &found, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      if (!found)
        d->next = 0;
    }
  g_task_return_boolean (task, TRUE);
}

static void
drain_done (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  DrdSettler *self = DRD_SETTLER (source);
  DrainData *d = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  gint64 now = drd_store_now ();

  self->draining = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      set_last_error (self, error->message);
      if (self->wake_id == 0 && !is_stopped (self))
        self->wake_id = g_timeout_add_seconds (1, wake_cb, self);
      return;
    }
  for (guint i = 0; i < d->settled->len; i++)
    {
      gint64 id = g_array_index (d->settled, gint64, i);

      for (guint k = 0; k < self->events->len; k++)
        if (g_array_index (self->events, gint64, k) == id)
          {
            g_array_remove_index (self->events, k);
            break;
          }
      g_signal_emit (self, signals[SIGNAL_EVENT_SETTLED], 0, id);
      if (self->event_task != NULL && id == self->only_event)
        {
          GTask *task = g_steal_pointer (&self->event_task);

          refresh_progress (self);
          g_task_return_boolean (task, TRUE);
          g_object_unref (task);
        }
    }
  if (self->event_task != NULL && d->next == 0 && d->n_failed > 0)
    {
      GTask *task = g_steal_pointer (&self->event_task);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("%lld customers could not be settled (last error: %s); "
                                 "run settle again to retry them"),
                               (long long) d->n_failed, d->last_error ? d->last_error : _("unknown"));
      g_object_unref (task);
      return;
    }
  if (self->event_task != NULL && !self->wait_for_data && d->next > now
      && d->n_pending > 0 && d->n_waiting_data == d->n_pending)
    {
      /* CLI mode: everything left waits for KEPCO's data, maybe for days;
       * say so and let the caller come back (nothing is lost: the jobs
       * wait in the store). */
      GTask *task = g_steal_pointer (&self->event_task);
      g_autofree char *next = drd_time_format_iso8601 (d->next);

      self->next_attempt_at = d->next;
      refresh_progress (self);
      g_task_return_new_error (task, DRD_SETTLER_ERROR, DRD_SETTLER_ERROR_WAITING_FOR_DATA,
                               g_dngettext (GETTEXT_PACKAGE,
                                            "%lld customer waits for KEPCO meter data (next try %s)",
                                            "%lld customers wait for KEPCO meter data (next try %s)",
                                            (gulong) d->n_waiting_data),
                               (long long) d->n_waiting_data, next);
      g_object_unref (task);
      drd_settler_stop (self);
      return;
    }
  self->next_attempt_at = d->next;
  if (d->next == 0 && self->event_task != NULL && !is_stopped (self))
    {
      /* Not settled, nothing pending here: another process holds the
       * remaining jobs (or a commit is being retried). Look again soon. */
      g_clear_handle_id (&self->wake_id, g_source_remove);
      self->wake_id = g_timeout_add_seconds (2, wake_cb, self);
    }
  else if (d->next != 0 && !is_stopped (self))
    {
      gint64 delay = CLAMP (d->next - now, 0, 60);

      g_clear_handle_id (&self->wake_id, g_source_remove);
      self->wake_id = delay == 0 ? g_timeout_add (200, wake_cb, self)
                                 : g_timeout_add_seconds ((guint) delay, wake_cb, self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
start_drain (DrdSettler *self)
{
  GTask *task;
  DrainData *d;

  if (self->draining)
    return;
  self->draining = TRUE;
  d = g_new0 (DrainData, 1);
  d->events = g_array_copy (self->events);
  d->settled = g_array_new (FALSE, FALSE, sizeof (gint64));
  task = g_task_new (self, NULL, drain_done, NULL);
  g_task_set_task_data (task, d, (GDestroyNotify) drain_data_free);
  g_task_run_in_thread (task, drain_thread);
  g_object_unref (task);
}

/* ---- the pump ---- */

static void
pump (DrdSettler *self)
{
  if (is_stopped (self))
    return;

  submit_fetches (self);

  if (!self->claiming && !self->claim_exhausted
      && g_hash_table_size (self->active) + self->n_loading + CLAIM_BATCH <= MAX_ACTIVE_JOBS
      && (self->started || self->only_event != 0))
    {
      self->claiming = TRUE;
      drd_store_settle_claim_async (self->store, self->only_event, drd_store_now (), CLAIM_BATCH,
                                    NULL, claim_done, g_object_ref (self));
    }

  /* Everything claimed is in memory; flush what is done. */
  if (self->claim_exhausted && self->n_loading == 0 && self->n_fetching == 0
      && g_queue_is_empty (&self->fetch_queue))
    {
      if (drd_settle_batch_size (self->batch) > 0)
        flush_batch (self);
      if (self->n_commits == 0 && g_hash_table_size (self->active) == 0 && !self->claiming)
        start_drain (self);
    }
}

/* ---- scanning ---- */

static void
progress_refresh_done (GObject      *source,
                       GAsyncResult *result,
                       gpointer      data);

static void
schedule_done (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  DrdSettler *self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) events = drd_store_settle_schedule_finish (DRD_STORE (source), result, &error);

  self->scanning = FALSE;
  if (events == NULL)
    {
      if (self->event_task != NULL)
        {
          GTask *task = g_steal_pointer (&self->event_task);

          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
        }
      else
        set_last_error (self, error->message);
      g_object_unref (self);
      return;
    }
  for (guint i = 0; i < events->len; i++)
    {
      gint64 id = g_array_index (events, gint64, i);
      gboolean known = FALSE;

      for (guint k = 0; k < self->events->len; k++)
        known |= g_array_index (self->events, gint64, k) == id;
      if (!known)
        g_array_append_val (self->events, id);
    }
  if (self->only_event != 0)
    {
      gboolean known = FALSE;

      for (guint k = 0; k < self->events->len; k++)
        known |= g_array_index (self->events, gint64, k) == self->only_event;
      if (!known)   /* already settled */
        g_array_append_val (self->events, self->only_event);
    }
  self->claim_exhausted = FALSE;
  refresh_progress (self);
  pump (self);
  g_object_unref (self);
}

void
drd_settler_scan (DrdSettler *self)
{
  g_return_if_fail (DRD_IS_SETTLER (self));

  if (self->scanning || is_stopped (self))
    return;
  self->scanning = TRUE;
  drd_store_settle_schedule_async (self->store, self->only_event, drd_store_now (), NULL,
                                   schedule_done, g_object_ref (self));
}

static gboolean
scan_cb (gpointer data)
{
  drd_settler_scan (data);
  return G_SOURCE_CONTINUE;
}

/* ---- progress ---- */

typedef struct {
  GArray *events;
  gint64  now;
  guint64 total, done, waiting, failed;
  gint64  next;
  char   *last_error;
} ProgressData;

static void
progress_data_free (ProgressData *d)
{
  g_array_unref (d->events);
  g_free (d->last_error);
  g_free (d);
}

static void
progress_thread (GTask        *task,
                 gpointer      source,
                 gpointer      data,
                 GCancellable *cancellable)
{
  DrdSettler *self = source;
  ProgressData *d = data;

  for (guint i = 0; i < d->events->len; i++)
    {
      DrdSettleProgress p;
      GError *error = NULL;

      if (!drd_store_settle_get_progress (self->store, g_array_index (d->events, gint64, i),
                                          d->now, &p, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      d->total += p.n_targeted;
      d->done += p.n_settled;
      d->waiting += p.n_waiting;
      d->failed += p.n_failed;
      if (p.n_waiting > 0 && (d->next == 0 || p.next_attempt_at < d->next))
        d->next = p.next_attempt_at;
      if (d->last_error == NULL && p.last_error != NULL)
        d->last_error = g_strdup (p.last_error);
      drd_settle_progress_clear (&p);
    }
  g_task_return_boolean (task, TRUE);
}

static void
progress_refresh_done (GObject      *source,
                       GAsyncResult *result,
                       gpointer      data)
{
  DrdSettler *self = DRD_SETTLER (source);
  ProgressData *d = g_task_get_task_data (G_TASK (result));
  gint64 t = g_get_monotonic_time ();

  self->progress_busy = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), NULL))
    return;
  g_object_freeze_notify (G_OBJECT (self));
  if (self->n_total != d->total)
    {
      self->n_total = d->total;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_TOTAL]);
    }
  if (self->n_done != d->done)
    {
      self->n_done = d->done;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_DONE]);
    }
  if (self->n_waiting != d->waiting)
    {
      self->n_waiting = d->waiting;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_WAITING]);
    }
  if (self->n_failed != d->failed)
    {
      self->n_failed = d->failed;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_FAILED]);
    }
  self->next_attempt_at = d->next;
  if (d->last_error != NULL && self->last_error == NULL)
    set_last_error (self, d->last_error);

  if (self->rate_t0 == 0 || d->done < self->rate_done0)
    {
      self->rate_t0 = t;
      self->rate_done0 = d->done;
    }
  else if (t - self->rate_t0 >= G_USEC_PER_SEC)
    {
      double inst = (double) (d->done - self->rate_done0) * G_USEC_PER_SEC / (double) (t - self->rate_t0);

      self->rate = self->rate == 0 ? inst : 0.7 * self->rate + 0.3 * inst;
      self->rate_t0 = t;
      self->rate_done0 = d->done;
      self->eta = self->rate > 0.01 ? (double) (self->n_total - MIN (self->n_done, self->n_total)) / self->rate
                                    : -1;
      if (self->n_done >= self->n_total)
        self->eta = 0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RATE]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ETA_SECONDS]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
refresh_progress (DrdSettler *self)
{
  GTask *task;
  ProgressData *d;

  if (self->progress_busy || self->events->len == 0)
    return;
  self->progress_busy = TRUE;
  d = g_new0 (ProgressData, 1);
  d->events = g_array_copy (self->events);
  d->now = drd_store_now ();
  task = g_task_new (self, NULL, progress_refresh_done, NULL);
  g_task_set_task_data (task, d, (GDestroyNotify) progress_data_free);
  g_task_run_in_thread (task, progress_thread);
  g_object_unref (task);
}

static gboolean
tick_cb (gpointer data)
{
  refresh_progress (data);
  return G_SOURCE_CONTINUE;
}

/* ---- lifecycle ---- */

static void
wake_waiting_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  DrdSettler *self = data;
  g_autoptr(GError) error = NULL;

  if (!drd_store_settle_retry_now_finish (DRD_STORE (source), result, &error))
    set_last_error (self, error->message);
  drd_settler_scan (self);
  g_object_unref (self);
}

static void
reset_done (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  DrdSettler *self = data;
  g_autoptr(GError) error = NULL;

  if (!drd_store_settle_reset_running_finish (DRD_STORE (source), result, &error))
    set_last_error (self, error->message);
  if (self->only_event != 0 && !self->wait_for_data)
    {
      /* A run that will not wait (drdeskctl settle) was asked for now:
       * what waits for KEPCO data (or was given up) is tried now. */
      drd_store_settle_retry_now_async (self->store, self->only_event, drd_store_now (), NULL,
                                        wake_waiting_done, self);
      return;
    }
  drd_settler_scan (self);
  g_object_unref (self);
}

static void
begin (DrdSettler *self,
       gint64      event_id)
{
  if (self->tick_id == 0)
    self->tick_id = g_timeout_add_seconds (1, tick_cb, self);
  drd_store_settle_reset_running_async (self->store, event_id, drd_store_now (), NULL,
                                        reset_done, g_object_ref (self));
}

void
drd_settler_start (DrdSettler *self)
{
  g_return_if_fail (DRD_IS_SETTLER (self));
  g_return_if_fail (!self->started && self->only_event == 0);

  self->started = TRUE;
  if (self->scan_interval_s > 0)
    self->scan_id = g_timeout_add_seconds (self->scan_interval_s, scan_cb, self);
  begin (self, 0);
}

void
drd_settler_stop (DrdSettler *self)
{
  g_return_if_fail (DRD_IS_SETTLER (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->scan_id, g_source_remove);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_handle_id (&self->wake_id, g_source_remove);
  if (self->batch != NULL && drd_settle_batch_size (self->batch) > 0)
    flush_batch (self);
  while (!g_queue_is_empty (&self->fetch_queue))
    {
      FetchReq *req = g_queue_pop_head (&self->fetch_queue);

      g_object_unref (req->settler);
      g_free (req);
    }
  if (self->event_task != NULL)
    {
      GTask *task = g_steal_pointer (&self->event_task);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Settlement stopped"));
      g_object_unref (task);
    }
}

static void
retry_done (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  DrdSettler *self = data;
  g_autoptr(GError) error = NULL;

  if (!drd_store_settle_retry_now_finish (DRD_STORE (source), result, &error))
    set_last_error (self, error->message);
  self->claim_exhausted = FALSE;
  pump (self);
  refresh_progress (self);
  g_object_unref (self);
}

void
drd_settler_retry_now (DrdSettler *self)
{
  g_return_if_fail (DRD_IS_SETTLER (self));

  drd_kepco_client_reset_breaker (self->client);
  set_last_error (self, NULL);
  drd_store_settle_retry_now_async (self->store, self->only_event, drd_store_now (), NULL,
                                    retry_done, g_object_ref (self));
}

void
drd_settler_settle_event_async (DrdSettler          *self,
                                gint64               event_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (DRD_IS_SETTLER (self));
  g_return_if_fail (!self->started && self->only_event == 0 && event_id > 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, drd_settler_settle_event_async);
  self->only_event = event_id;
  self->event_task = task;
  begin (self, event_id);
}

gboolean
drd_settler_settle_event_finish (DrdSettler    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

guint64 drd_settler_get_n_total (DrdSettler *self) { return self->n_total; }
guint64 drd_settler_get_n_done (DrdSettler *self) { return self->n_done; }
guint64 drd_settler_get_n_waiting (DrdSettler *self) { return self->n_waiting; }
guint64 drd_settler_get_n_failed (DrdSettler *self) { return self->n_failed; }
double drd_settler_get_rate (DrdSettler *self) { return self->rate; }
double drd_settler_get_eta_seconds (DrdSettler *self) { return self->eta; }
const char *drd_settler_get_last_error (DrdSettler *self) { return self->last_error; }
gint64 drd_settler_get_next_attempt_at (DrdSettler *self) { return self->next_attempt_at; }

gboolean
drd_settler_get_busy (DrdSettler *self)
{
  return self->claiming || self->n_loading > 0 || self->n_fetching > 0
         || g_hash_table_size (self->active) > 0 || self->n_commits > 0;
}

DrdSettler *
drd_settler_new (DrdStore        *store,
                 DrdKepcoClient  *client,
                 const DrdParams *params)
{
  DrdSettler *self;

  g_return_val_if_fail (DRD_IS_STORE (store), NULL);
  g_return_val_if_fail (DRD_IS_KEPCO_CLIENT (client), NULL);

  self = g_object_new (DRD_TYPE_SETTLER, NULL);
  self->store = g_object_ref (store);
  self->client = g_object_ref (client);
  self->params = params != NULL ? *params : *drd_params_get_default ();
  return self;
}

static void
drd_settler_dispose (GObject *object)
{
  DrdSettler *self = DRD_SETTLER (object);

  drd_settler_stop (self);
  G_OBJECT_CLASS (drd_settler_parent_class)->dispose (object);
}

static void
drd_settler_finalize (GObject *object)
{
  DrdSettler *self = DRD_SETTLER (object);

  g_hash_table_unref (self->active);
  g_clear_pointer (&self->batch, drd_settle_batch_free);
  g_clear_pointer (&self->batch_jobs, g_ptr_array_unref);
  g_array_unref (self->events);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->store);
  g_free (self->last_error);
  G_OBJECT_CLASS (drd_settler_parent_class)->finalize (object);
}

static void
drd_settler_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  DrdSettler *self = DRD_SETTLER (object);

  switch (prop_id)
    {
    case PROP_N_TOTAL: g_value_set_uint64 (value, self->n_total); break;
    case PROP_N_DONE: g_value_set_uint64 (value, self->n_done); break;
    case PROP_N_WAITING: g_value_set_uint64 (value, self->n_waiting); break;
    case PROP_N_FAILED: g_value_set_uint64 (value, self->n_failed); break;
    case PROP_RATE: g_value_set_double (value, self->rate); break;
    case PROP_ETA_SECONDS: g_value_set_double (value, self->eta); break;
    case PROP_LAST_ERROR: g_value_set_string (value, self->last_error); break;
    case PROP_BUSY: g_value_set_boolean (value, drd_settler_get_busy (self)); break;
    case PROP_SCAN_INTERVAL_S: g_value_set_uint (value, self->scan_interval_s); break;
    case PROP_DATA_WAIT_S: g_value_set_uint (value, self->data_wait_s); break;
    case PROP_RETRY_BASE_S: g_value_set_uint (value, self->retry_base_s); break;
    case PROP_RETRY_CAP_S: g_value_set_uint (value, self->retry_cap_s); break;
    case PROP_MAX_ATTEMPTS: g_value_set_uint (value, self->max_attempts); break;
    case PROP_DATA_DEADLINE_S: g_value_set_uint (value, self->data_deadline_s); break;
    case PROP_WAIT_FOR_DATA: g_value_set_boolean (value, self->wait_for_data); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
drd_settler_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  DrdSettler *self = DRD_SETTLER (object);

  switch (prop_id)
    {
    case PROP_SCAN_INTERVAL_S: self->scan_interval_s = g_value_get_uint (value); break;
    case PROP_DATA_WAIT_S: self->data_wait_s = g_value_get_uint (value); break;
    case PROP_RETRY_BASE_S: self->retry_base_s = g_value_get_uint (value); break;
    case PROP_RETRY_CAP_S: self->retry_cap_s = g_value_get_uint (value); break;
    case PROP_MAX_ATTEMPTS: self->max_attempts = g_value_get_uint (value); break;
    case PROP_DATA_DEADLINE_S: self->data_deadline_s = g_value_get_uint (value); break;
    case PROP_WAIT_FOR_DATA: self->wait_for_data = g_value_get_boolean (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
drd_settler_class_init (DrdSettlerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY
                   | G_PARAM_CONSTRUCT;

  object_class->dispose = drd_settler_dispose;
  object_class->finalize = drd_settler_finalize;
  object_class->get_property = drd_settler_get_property;
  object_class->set_property = drd_settler_set_property;

  properties[PROP_N_TOTAL] = g_param_spec_uint64 ("n-total", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_N_DONE] = g_param_spec_uint64 ("n-done", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_N_WAITING] = g_param_spec_uint64 ("n-waiting", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_N_FAILED] = g_param_spec_uint64 ("n-failed", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_RATE] = g_param_spec_double ("rate", NULL, NULL, 0, G_MAXDOUBLE, 0, ro);
  properties[PROP_ETA_SECONDS] = g_param_spec_double ("eta-seconds", NULL, NULL, -1, G_MAXDOUBLE, -1, ro);
  properties[PROP_LAST_ERROR] = g_param_spec_string ("last-error", NULL, NULL, NULL, ro);
  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE, ro);
  /* How often service mode looks for newly ended events. */
  properties[PROP_SCAN_INTERVAL_S] =
    g_param_spec_uint ("scan-interval-s", NULL, NULL, 0, 3600, 5, rw);
  /* How long a job first waits when KEPCO has no data for it yet (the
   * wait grows with the time the job has waited, up to an hour). */
  properties[PROP_DATA_WAIT_S] =
    g_param_spec_uint ("data-wait-s", NULL, NULL, 1, 86400, 600, rw);
  /* How long after an event's end KEPCO's data may still arrive: until
   * then missing data is waited for; after it, a customer without data
   * needs review (meter data missing). */
  properties[PROP_DATA_DEADLINE_S] =
    g_param_spec_uint ("data-deadline-s", NULL, NULL, 0, 90 * 86400,
                       DRD_SETTLER_DEFAULT_DATA_DEADLINE_S, rw);
  /* CLI mode: FALSE = finish with DRD_SETTLER_ERROR_WAITING_FOR_DATA when
   * everything left waits for KEPCO data, instead of waiting. */
  properties[PROP_WAIT_FOR_DATA] =
    g_param_spec_boolean ("wait-for-data", NULL, NULL, TRUE, rw);
  /* Error backoff: base × 2^(attempts-1), capped. */
  properties[PROP_RETRY_BASE_S] =
    g_param_spec_uint ("retry-base-s", NULL, NULL, 1, 86400, 30, rw);
  properties[PROP_RETRY_CAP_S] =
    g_param_spec_uint ("retry-cap-s", NULL, NULL, 1, 86400, 3600, rw);
  /* Errors (not waits) before a job is given up (failed; retry-now revives it). */
  properties[PROP_MAX_ATTEMPTS] =
    g_param_spec_uint ("max-attempts", NULL, NULL, 1, 1000, 20, rw);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_EVENT_SETTLED] =
    g_signal_new ("event-settled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
}

static void
drd_settler_init (DrdSettler *self)
{
  self->cancellable = g_cancellable_new ();
  self->active = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) job_free, NULL);
  self->batch = drd_settle_batch_new (drd_store_now ());
  self->batch_jobs = g_ptr_array_new ();
  self->events = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->eta = -1;
  g_queue_init (&self->fetch_queue);
}

/* ------------------------------------------------------------------ */
/* Chart                                                              */

void
drd_settle_chart_free (DrdSettleChart *chart)
{
  if (chart == NULL)
    return;
  g_free (chart->actual_wh);
  g_free (chart->cbl_wh);
  g_free (chart->explanation);
  g_free (chart);
}

DrdSettleChart *
drd_settle_chart_load (DrdStore        *store,
                       const DrdParams *params,
                       gint64           event_id,
                       gint64           customer_id,
                       GError         **error)
{
  g_autoptr(EventInfo) ev = NULL;
  g_autoptr(GArray) refs = g_array_new (FALSE, FALSE, sizeof (DrdSettleJobRef));
  g_autoptr(GPtrArray) customers = NULL;
  g_autoptr(DrdReadings) readings = NULL;
  g_autoptr(DrdCblResult) cbl = NULL;
  DrdSettleJobRef ref = { 0, event_id, customer_id, 0 };
  DrdSettleCustomer *c;
  DrdSettleChart *chart;
  Job *job;
  DrdCblRequest req;

  if (params == NULL)
    params = drd_params_get_default ();
  ev = event_info_load (store, event_id, DRD_SETTLER_DEFAULT_DATA_DEADLINE_S, error);
  if (ev == NULL)
    return NULL;
  g_array_append_val (refs, ref);
  customers = drd_store_settle_load (store, event_id, refs,
                                     ev->first_date - (DrdDate) params->cbl_max_calendar_days,
                                     ev->last_date, error);
  if (customers == NULL)
    return NULL;
  c = g_ptr_array_steal_index (customers, 0);
  if (!c->targeted)
    {
      drd_settle_customer_free (c);
      g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_NOT_FOUND,
                   _("customer %" PRId64 " was not targeted by event %" PRId64),
                   customer_id, event_id);
      return NULL;
    }
  job = job_new (ev, c);
  readings = job_readings (job->days);
  req.method = c->method;
  req.is_factory = c->is_factory;
  req.event_start = ev->event->start_at;
  req.event_end = ev->event->end_at;
  cbl = drd_cbl_compute (&req, job_history, readings, ev->calendar,
                         (const DrdDate *) c->excluded->data, c->excluded->len, params, error);
  if (cbl == NULL)
    {
      job_free (job);
      return NULL;
    }

  chart = g_new0 (DrdSettleChart, 1);
  chart->event_id = event_id;
  chart->customer_id = customer_id;
  chart->event_start = ev->event->start_at;
  chart->event_end = ev->event->end_at;
  chart->first_day = ev->first_date;
  chart->n_slots = (guint) (ev->last_date - ev->first_date + 1) * DRD_SLOTS_PER_DAY;
  chart->first_slot_start = drd_date_start (ev->first_date);
  chart->actual_wh = g_new (gint64, chart->n_slots);
  chart->cbl_wh = g_new (gint64, chart->n_slots);
  chart->cbl_ok = cbl->status == DRD_CBL_STATUS_OK;
  chart->explanation = drd_cbl_result_explain (cbl);
  for (guint i = 0; i < chart->n_slots; i++)
    {
      DrdDate d = ev->first_date + (DrdDate) (i / DRD_SLOTS_PER_DAY);
      guint k = i % DRD_SLOTS_PER_DAY;
      DrdMeterDay *m = g_hash_table_lookup (job->days, GINT_TO_POINTER (d));

      chart->actual_wh[i] = m != NULL && m->slots[k] >= 0 ? m->slots[k] : -1;
      chart->cbl_wh[i] = -1;
      for (guint e = 0; e < cbl->n_days; e++)
        if (cbl->days[e].event_date == d && cbl->days[e].status == DRD_CBL_STATUS_OK)
          chart->cbl_wh[i] = cbl->days[e].profile_wh[k];
    }
  job_free (job);
  return chart;
}

typedef struct {
  DrdStore  *store;
  DrdParams  params;
  gint64     event_id;
  gint64     customer_id;
} ChartData;

static void
chart_data_free (ChartData *d)
{
  g_object_unref (d->store);
  g_free (d);
}

static void
chart_thread (GTask        *task,
              gpointer      source,
              gpointer      data,
              GCancellable *cancellable)
{
  ChartData *d = data;
  GError *error = NULL;
  DrdSettleChart *chart = drd_settle_chart_load (d->store, &d->params, d->event_id,
                                                 d->customer_id, &error);

  if (chart == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, chart, (GDestroyNotify) drd_settle_chart_free);
}

void
drd_settle_chart_load_async (DrdStore            *store,
                             const DrdParams     *params,
                             gint64               event_id,
                             gint64               customer_id,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task = g_task_new (store, cancellable, callback, user_data);
  ChartData *d = g_new0 (ChartData, 1);

  d->store = g_object_ref (store);
  d->params = params != NULL ? *params : *drd_params_get_default ();
  d->event_id = event_id;
  d->customer_id = customer_id;
  g_task_set_source_tag (task, drd_settle_chart_load_async);
  g_task_set_task_data (task, d, (GDestroyNotify) chart_data_free);
  g_task_run_in_thread (task, chart_thread);
  g_object_unref (task);
}

DrdSettleChart *
drd_settle_chart_load_finish (GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
