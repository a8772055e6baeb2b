/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "kepco/drd-kepco-sim.h"
#include "core/drd-json-guard.h"

#include "core/drd-time.h"

#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define SEOUL_OFFSET (9 * 3600)
#define JULIAN_1970_01_01 719163   /* g_date_get_julian of 1970-01-01 */
#define DATA_PATH "/OpenAPI/getDayLpData.do"

/* ------------------------------------------------------------------ */
/* Deterministic randomness: splitmix64 over (seed, customer, day, slot). */

static guint64
mix (guint64 x)
{
  x += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
  x = (x ^ (x >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  x = (x ^ (x >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return x ^ (x >> 31);
}

static guint64
hash_str (guint64 h, const char *s)
{
  guint64 f = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  for (; *s; s++)
    f = (f ^ (guchar) *s) * G_GUINT64_CONSTANT (0x100000001b3);
  return mix (h ^ f);
}

/* Uniform in [0, 1). */
static double
u01 (guint64 h)
{
  return (double) (h >> 11) * (1.0 / 9007199254740992.0);
}

static guint64
customer_hash (guint64 seed, const char *cust_no)
{
  return hash_str (mix (seed ^ G_GUINT64_CONSTANT (0x4b45504331)), cust_no);
}

static guint64
salted (guint64 h, guint64 salt)
{
  return mix (h ^ mix (salt));
}

enum {
  SALT_KIND = 1, SALT_SCALE, SALT_VARIANT, SALT_REDUCER, SALT_WEEKEND,
  SALT_DAY = 100, SALT_ABNORMAL, SALT_MISSING, SALT_MISSING_N, SALT_MISSING_AT,
  SALT_SLOT = 1000, SALT_FORM = 2000,
};

/* ------------------------------------------------------------------ */
/* Profiles: kW shape per hour (index 0 = 00:00–01:00), scaled per customer. */

static const double home_weekday[24] = {
  0.50, 0.45, 0.40, 0.40, 0.40, 0.45, 0.70, 1.00, 0.90, 0.60, 0.50, 0.50,
  0.55, 0.50, 0.50, 0.55, 0.70, 0.90, 1.30, 1.50, 1.60, 1.50, 1.20, 0.80 };
static const double home_weekend[24] = {
  0.55, 0.50, 0.45, 0.40, 0.40, 0.45, 0.55, 0.80, 1.00, 1.00, 0.95, 0.95,
  1.00, 0.95, 0.90, 0.90, 1.00, 1.10, 1.40, 1.50, 1.60, 1.50, 1.20, 0.80 };
static const double shop_day[24] = {
  0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.20, 0.30, 0.55, 0.90, 0.95,
  1.00, 1.00, 0.95, 0.95, 0.95, 1.00, 1.00, 1.00, 0.95, 0.90, 0.50, 0.20 };
static const double office_weekday[24] = {
  0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.30, 0.45, 0.80, 1.00, 1.00, 1.00,
  0.85, 1.00, 1.00, 1.00, 1.00, 0.95, 0.80, 0.55, 0.40, 0.32, 0.28, 0.25 };
static const double office_weekend[24] = {
  0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.26, 0.28, 0.30, 0.30, 0.30,
  0.30, 0.30, 0.30, 0.30, 0.30, 0.28, 0.27, 0.26, 0.25, 0.25, 0.25, 0.25 };
static const double factory_3shift[24] = {
  0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.85, 1.00, 1.00, 1.00, 1.00,
  0.95, 1.00, 1.00, 0.85, 1.00, 1.00, 1.00, 1.00, 1.00, 0.98, 0.95, 0.85 };
static const double factory_2shift[24] = {
  0.35, 0.35, 0.35, 0.35, 0.35, 0.40, 0.75, 1.00, 1.00, 1.00, 1.00, 1.00,
  0.90, 1.00, 1.00, 0.95, 1.00, 1.00, 1.00, 1.00, 1.00, 0.95, 0.60, 0.40 };

typedef struct {
  DrdKepcoSimProfileKind kind;
  double   base_kw;
  gboolean variant;       /* factory: 2-shift instead of 3-shift */
  double   weekend_factor;
} Profile;

DrdKepcoSimProfileKind
drd_kepco_sim_profile (guint64     seed,
                       const char *cust_no)
{
  double u = u01 (salted (customer_hash (seed, cust_no), SALT_KIND));

  if (u < 0.40)
    return DRD_KEPCO_SIM_HOME;
  if (u < 0.65)
    return DRD_KEPCO_SIM_SHOP;
  if (u < 0.85)
    return DRD_KEPCO_SIM_OFFICE;
  return DRD_KEPCO_SIM_FACTORY;
}

const char *
drd_kepco_sim_profile_name (DrdKepcoSimProfileKind kind)
{
  switch (kind)
    {
    case DRD_KEPCO_SIM_HOME: return "home";
    case DRD_KEPCO_SIM_SHOP: return "shop";
    case DRD_KEPCO_SIM_OFFICE: return "office";
    case DRD_KEPCO_SIM_FACTORY: return "factory";
    default: return NULL;
    }
}

static void
profile_for (guint64     seed,
             const char *cust_no,
             Profile    *p)
{
  guint64 h = customer_hash (seed, cust_no);
  double s = u01 (salted (h, SALT_SCALE));

  p->kind = drd_kepco_sim_profile (seed, cust_no);
  p->variant = u01 (salted (h, SALT_VARIANT)) < 0.5;
  switch (p->kind)
    {
    case DRD_KEPCO_SIM_HOME:
      p->base_kw = 0.4 + 0.8 * s;
      p->weekend_factor = 1.0;
      break;
    case DRD_KEPCO_SIM_SHOP:
      p->base_kw = 15.0 + 45.0 * s;
      p->weekend_factor = 1.05 + 0.15 * u01 (salted (h, SALT_WEEKEND));
      break;
    case DRD_KEPCO_SIM_OFFICE:
      p->base_kw = 80.0 + 320.0 * s;
      p->weekend_factor = 1.0;
      break;
    case DRD_KEPCO_SIM_FACTORY:
    default:
      p->base_kw = 500.0 + 3500.0 * s;
      p->weekend_factor = p->variant ? 0.30 : 0.55 + 0.35 * u01 (salted (h, SALT_WEEKEND));
      break;
    }
}

gboolean
drd_kepco_sim_is_reducer (guint64     seed,
                          const char *cust_no,
                          double      reducer_share)
{
  return u01 (salted (customer_hash (seed, cust_no), SALT_REDUCER)) < reducer_share;
}

static double
season_factor (DrdKepcoSimProfileKind kind, guint month)
{
  if (kind == DRD_KEPCO_SIM_FACTORY)
    return 1.0;
  switch (month)
    {
    case 7: case 8: return 1.25;
    case 6: case 9: return 1.10;
    case 12: case 1: case 2: return 1.15;
    default: return 1.0;
    }
}

/* kW at an hour with fraction, from a 24-entry hourly shape (linear between
 * the middles of the hours, wrapping around midnight). */
static double
shape_at (const double shape[24], double hour)
{
  double x = hour - 0.5;
  int i0 = (int) floor (x);
  double t = x - i0;

  return shape[(i0 + 24) % 24] * (1.0 - t) + shape[(i0 + 25) % 24] * t;
}

static gboolean
date_parts (const char *date, char norm[9], GDate *gd)
{
  guint y, m, d;

  if (!drd_kepco_normalize_date (date, norm))
    return FALSE;
  y = (guint) ((norm[0] - '0') * 1000 + (norm[1] - '0') * 100 + (norm[2] - '0') * 10 + (norm[3] - '0'));
  m = (guint) ((norm[4] - '0') * 10 + (norm[5] - '0'));
  d = (guint) ((norm[6] - '0') * 10 + (norm[7] - '0'));
  g_date_clear (gd, 1);
  g_date_set_dmy (gd, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
  return TRUE;
}

gint64
drd_kepco_sim_day_start (const char *date)
{
  char norm[9];
  GDate gd;

  if (!date_parts (date, norm, &gd))
    return 0;
  return ((gint64) g_date_get_julian (&gd) - JULIAN_1970_01_01) * 86400 - SEOUL_OFFSET;
}

static DrdKepcoDay *
compute_day (guint64                 seed,
             const char             *cust_no,
             const char             *date,
             const DrdKepcoSimEvent *events,
             guint                   n_events,
             double                  reducer_share,
             double                  reduction,
             DrdCalendar            *holidays)
{
  g_autoptr(DrdKepcoDay) day = NULL;
  char norm[9];
  GDate gd;
  Profile p;
  guint64 h_cust, h_day;
  gint64 day_start;
  GDateWeekday wd;
  gboolean weekend, reducer;
  double day_factor;

  if (!drd_kepco_cust_no_is_valid (cust_no) || !date_parts (date, norm, &gd))
    return NULL;

  profile_for (seed, cust_no, &p);
  h_cust = customer_hash (seed, cust_no);
  h_day = salted (h_cust, SALT_DAY + (guint64) g_date_get_julian (&gd) * 7919);
  day_start = ((gint64) g_date_get_julian (&gd) - JULIAN_1970_01_01) * 86400 - SEOUL_OFFSET;
  wd = g_date_get_weekday (&gd);
  /* Public holidays look like Sundays. */
  weekend = (wd == G_DATE_SATURDAY || wd == G_DATE_SUNDAY) ||
            (holidays && drd_calendar_is_holiday (holidays,
                                                  (DrdDate) (g_date_get_julian (&gd) - JULIAN_1970_01_01)));
  reducer = reduction > 0 && drd_kepco_sim_is_reducer (seed, cust_no, reducer_share);

  day_factor = season_factor (p.kind, g_date_get_month (&gd));
  day_factor *= 1.0 + (p.kind == DRD_KEPCO_SIM_HOME ? 0.30 : 0.12) * (u01 (salted (h_day, 1)) - 0.5);
  /* Now and then a day far off the usual (holiday shutdown, outage on
   * site): the CBL's abnormal-day rule has something to drop. */
  if (u01 (salted (h_day, SALT_ABNORMAL)) < 0.02)
    day_factor *= 0.5;
  if (weekend)
    day_factor *= p.weekend_factor;

  day = drd_kepco_day_new (cust_no, norm);
  for (guint s = 0; s < DRD_KEPCO_SLOTS_PER_DAY; s++)
    {
      double hour = (s + 0.5) / 4.0;
      double kw, noise_amp, kwh, cut = 0.0;
      const double *shape;
      gint64 a = day_start + (gint64) s * 900, b = a + 900;

      switch (p.kind)
        {
        case DRD_KEPCO_SIM_HOME:
          shape = weekend ? home_weekend : home_weekday;
          noise_amp = 0.50;
          break;
        case DRD_KEPCO_SIM_SHOP:
          shape = shop_day;
          noise_amp = 0.16;
          break;
        case DRD_KEPCO_SIM_OFFICE:
          shape = weekend ? office_weekend : office_weekday;
          noise_amp = 0.12;
          break;
        case DRD_KEPCO_SIM_FACTORY:
        default:
          shape = p.variant ? factory_2shift : factory_3shift;
          noise_amp = 0.10;
          break;
        }
      kw = p.base_kw * day_factor * shape_at (shape, hour);
      kw *= 1.0 + noise_amp * (u01 (salted (h_day, SALT_SLOT + s)) - 0.5);

      if (reducer)
        for (guint e = 0; e < n_events; e++)
          {
            gint64 lo = MAX (a, events[e].start), hi = MIN (b, events[e].end);

            if (hi > lo)
              cut = MAX (cut, (double) (hi - lo) / 900.0);
          }
      kw *= 1.0 - reduction * cut;

      kwh = MAX (0.0, kw * 0.25);
      day->wh[s] = (gint32) MIN (floor (kwh * 1000.0 + 0.5), (double) DRD_KEPCO_MAX_SLOT_WH);
    }

  /* A few (customer, day) pairs have gaps: settlement must say "needs
   * review" for them rather than guess. */
  if (u01 (salted (h_day, SALT_MISSING)) < 0.03)
    {
      guint n = 1 + (guint) (u01 (salted (h_day, SALT_MISSING_N)) * 3);

      for (guint i = 0; i < n; i++)
        day->wh[(guint) (u01 (salted (h_day, SALT_MISSING_AT + i)) * DRD_KEPCO_SLOTS_PER_DAY)] =
          DRD_KEPCO_SLOT_MISSING;
    }
  day->n_present = 0;
  for (guint s = 0; s < DRD_KEPCO_SLOTS_PER_DAY; s++)
    if (day->wh[s] != DRD_KEPCO_SLOT_MISSING)
      day->n_present++;
  return g_steal_pointer (&day);
}

DrdKepcoDay *
drd_kepco_sim_day (guint64                 seed,
                   const char             *cust_no,
                   const char             *date,
                   const DrdKepcoSimEvent *events,
                   guint                   n_events,
                   double                  reducer_share,
                   double                  reduction)
{
  g_return_val_if_fail (n_events == 0 || events != NULL, NULL);
  return compute_day (seed, cust_no, date, events, n_events, reducer_share, reduction, NULL);
}

DrdKepcoDay *
drd_kepco_sim_day_with_holidays (guint64                 seed,
                                 const char             *cust_no,
                                 const char             *date,
                                 const DrdKepcoSimEvent *events,
                                 guint                   n_events,
                                 double                  reducer_share,
                                 double                  reduction,
                                 DrdCalendar            *holidays)
{
  g_return_val_if_fail (n_events == 0 || events != NULL, NULL);
  g_return_val_if_fail (holidays == NULL || DRD_IS_CALENDAR (holidays), NULL);
  return compute_day (seed, cust_no, date, events, n_events, reducer_share, reduction, holidays);
}

DrdKepcoDay *
drd_kepco_sim_day_baseline (guint64     seed,
                            const char *cust_no,
                            const char *date)
{
  return compute_day (seed, cust_no, date, NULL, 0, 0.0, 0.0, NULL);
}

static guint64
form_hash (guint64 seed, const char *cust_no, const GDate *gd)
{
  return salted (customer_hash (seed, cust_no), SALT_FORM + g_date_get_julian (gd));
}

gboolean
drd_kepco_sim_slot_is_number (guint64     seed,
                              const char *cust_no,
                              const char *date,
                              guint       slot)
{
  char norm[9];
  GDate gd;

  if (!date_parts (date, norm, &gd))
    return FALSE;
  return u01 (salted (form_hash (seed, cust_no, &gd), slot)) < 0.15;
}

/* "12.345" for 12345 Wh, without printf (this is the simulator's hot path). */
static void
append_kwh (GString *s, gint32 wh)
{
  char buf[16];
  int i = sizeof buf;
  gint32 v = wh;

  buf[--i] = (char) ('0' + v % 10); v /= 10;
  buf[--i] = (char) ('0' + v % 10); v /= 10;
  buf[--i] = (char) ('0' + v % 10); v /= 10;
  buf[--i] = '.';
  do
    {
      buf[--i] = (char) ('0' + v % 10);
      v /= 10;
    }
  while (v > 0);
  g_string_append_len (s, buf + i, (gssize) sizeof buf - i);
}

char *
drd_kepco_sim_render_day (guint64            seed,
                          const DrdKepcoDay *day)
{
  GString *s;
  char norm[9];
  GDate gd;
  guint64 h;

  g_return_val_if_fail (day != NULL, NULL);
  if (day->status == DRD_KEPCO_DAY_NOT_YET_AVAILABLE || !date_parts (day->date, norm, &gd))
    return g_strdup ("{\"dayLpDataInfoList\":[]}");

  h = form_hash (seed, day->cust_no, &gd);
  s = g_string_sized_new (3400);
  g_string_append (s, "{\"dayLpDataInfoList\":[{\"custNo\":\"");
  g_string_append (s, day->cust_no);
  g_string_append (s, "\",\"mr_ymd\":\"");
  g_string_append (s, day->date);
  g_string_append_c (s, '"');
  for (guint i = 0; i < DRD_KEPCO_SLOTS_PER_DAY; i++)
    {
      gint32 wh = day->wh[i];

      g_string_append (s, ",\"");
      g_string_append (s, drd_kepco_slot_field (i));
      g_string_append (s, "\":");
      if (wh == DRD_KEPCO_SLOT_MISSING)
        g_string_append (s, "\"\"");
      else if (u01 (salted (h, i)) < 0.15)
        append_kwh (s, wh);
      else
        {
          g_string_append_c (s, '"');
          append_kwh (s, wh);
          g_string_append_c (s, '"');
        }
    }
  g_string_append (s, "}]}");
  return g_string_free (s, FALSE);
}

gboolean
drd_kepco_sim_parse_window (const char  *text,
                            gint64      *start,
                            gint64      *end,
                            GError     **error)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(GError) local_error = NULL;
  gint64 a, b;

  if (text == NULL || (parts = g_strsplit (text, "/", -1)) == NULL || g_strv_length (parts) != 2)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "window “%s” is not START/END in ISO 8601", text ? text : "");
      return FALSE;
    }
  if (!drd_time_parse_iso8601 (parts[0], &a, &local_error) ||
      !drd_time_parse_iso8601 (parts[1], &b, &local_error))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "window “%s”: %s", text, local_error->message);
      return FALSE;
    }
  if (b <= a)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "window “%s” ends before it starts", text);
      return FALSE;
    }
  *start = a;
  *end = b;
  return TRUE;
}

void
drd_kepco_sim_config_init (DrdKepcoSimConfig *config)
{
  memset (config, 0, sizeof *config);
  config->seed = 1;
  config->reducer_share = 0.7;
  config->reduction = 0.3;
  config->hold_ms = 60000;
}

/* ------------------------------------------------------------------ */
/* The server. */

struct _DrdKepcoSim
{
  GObject parent_instance;

  DrdKepcoSimConfig config;
  GArray *events;              /* DrdKepcoSimEvent */
  DrdCalendar *holidays;       /* NULL: weekends only */
  SoupServer *server;
  GSocket *socket;
  char *url;
  guint16 port;
  GRand *fault_rand;           /* per request, in arrival order */
  GHashTable *pending;         /* SoupServerMessage* → Pending* (paused messages) */
  char *last_service_key;
  guint forced_status;
  guint forced_count;
  DrdKepcoSimStats stats;
};

G_DEFINE_FINAL_TYPE (DrdKepcoSim, drd_kepco_sim, G_TYPE_OBJECT)

enum {
  SIGNAL_REQUEST,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

typedef struct {
  DrdKepcoSim *sim;            /* borrowed: the sim removes us before it goes */
  SoupServerMessage *msg;      /* owned */
  GSource *source;             /* on the thread-default context */
  guint status_after;          /* 0: keep the prepared response */
} Pending;

static void
pending_free (gpointer data)
{
  Pending *p = data;

  if (p->source)
    {
      g_source_destroy (p->source);
      g_clear_pointer (&p->source, g_source_unref);
    }
  g_clear_object (&p->msg);
  g_free (p);
}

static void
set_json (SoupServerMessage *msg,
          guint              status,
          const char        *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json;charset=UTF-8",
                                    SOUP_MEMORY_COPY, body, strlen (body));
}

static void
set_error_json (SoupServerMessage *msg,
                guint              status,
                const char        *message)
{
  g_autofree char *escaped = g_strescape (message, NULL);
  g_autofree char *body = g_strdup_printf ("{\"resultCode\":\"%u\",\"resultMsg\":\"%s\"}",
                                           status, escaped);
  set_json (msg, status, body);
}

static gboolean
pending_fire (gpointer data)
{
  Pending *p = data;
  DrdKepcoSim *sim = p->sim;
  SoupServerMessage *msg = p->msg;

  g_clear_pointer (&p->source, g_source_unref);
  if (p->status_after)
    set_error_json (msg, p->status_after, "gateway timeout");
  soup_server_message_unpause (msg);
  g_hash_table_remove (sim->pending, msg);
  return G_SOURCE_REMOVE;
}

/* Answer later without blocking anyone else. */
static void
defer (DrdKepcoSim       *sim,
       SoupServerMessage *msg,
       guint              delay_ms,
       guint              status_after)
{
  Pending *p = g_new0 (Pending, 1);

  p->sim = sim;
  p->msg = g_object_ref (msg);
  p->status_after = status_after;
  soup_server_message_pause (msg);
  p->source = g_timeout_source_new (delay_ms);
  g_source_set_callback (p->source, pending_fire, p, NULL);
  g_source_attach (p->source, g_main_context_get_thread_default ());
  g_hash_table_replace (sim->pending, msg, p);
}

static void
on_request_started (SoupServer        *server,
                    SoupServerMessage *msg,
                    DrdKepcoSim       *sim)
{
  sim->stats.in_flight++;
  sim->stats.max_in_flight = MAX (sim->stats.max_in_flight, sim->stats.in_flight);
}

static void
on_request_done (SoupServer        *server,
                 SoupServerMessage *msg,
                 DrdKepcoSim       *sim)
{
  if (sim->stats.in_flight > 0)
    sim->stats.in_flight--;
  g_hash_table_remove (sim->pending, msg);
}

static gint64
seoul_today_julian (void)
{
  return (g_get_real_time () / G_USEC_PER_SEC + SEOUL_OFFSET) / 86400 + JULIAN_1970_01_01;
}

static char *
malformed_body (DrdKepcoSim *sim,
                const char  *good)
{
  gsize len = strlen (good);

  switch (g_rand_int_range (sim->fault_rand, 0, 4))
    {
    case 0:   /* cut off mid-body: every strict prefix of an object is invalid */
      return g_strndup (good, (gsize) g_rand_int_range (sim->fault_rand, 1, (gint32) MAX (len, 2)));
    case 1:   /* a value that is not a number */
      {
        g_autofree char *copy = g_strdup (good);
        char *at = strstr (copy, "\"pwr_qty1200\":");

        if (at)
          {
            GString *s = g_string_new_len (copy, at - copy);
            const char *rest = strchr (at + 14, ',');

            g_string_append (s, "\"pwr_qty1200\":\"12,3x\"");
            if (rest)
              g_string_append (s, rest);
            return g_string_free (s, FALSE);
          }
        return g_strdup ("{\"dayLpDataInfoList\":[{]}");
      }
    case 2:   /* a proxy's error page with a 200 */
      return g_strdup ("<html><body>Service temporarily unavailable</body></html>");
    default:  /* the right shape, the wrong top level */
      return g_strdup ("{\"response\":{\"header\":{\"resultCode\":\"00\"},\"body\":null}}");
    }
}

static void
handle_data (DrdKepcoSim       *sim,
             SoupServerMessage *msg,
             GHashTable        *query)
{
  const char *key = query ? g_hash_table_lookup (query, "serviceKey") : NULL;
  const char *cust_no = query ? g_hash_table_lookup (query, "custNo") : NULL;
  const char *date = query ? g_hash_table_lookup (query, "date") : NULL;
  const char *return_type = query ? g_hash_table_lookup (query, "returnType") : NULL;
  g_autoptr(DrdKepcoDay) day = NULL;
  g_autofree char *body = NULL;
  char norm[9];
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  double u;
  GDate gd;

  if (strcmp (soup_server_message_get_method (msg), "GET") != 0 &&
      strcmp (soup_server_message_get_method (msg), "HEAD") != 0)
    {
      sim->stats.n_rejected++;
      set_error_json (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET");
      return;
    }
  /* An outage answers everything with 503, valid or not. */
  if (now >= sim->config.outage_start && now < sim->config.outage_end)
    {
      sim->stats.n_failed++;
      set_error_json (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "scheduled outage");
      goto latency;
    }
  if (key == NULL || *key == '\0')
    {
      sim->stats.n_rejected++;
      set_error_json (msg, SOUP_STATUS_UNAUTHORIZED, "SERVICE_KEY_IS_NOT_REGISTERED_ERROR");
      return;
    }
  if (return_type && strcmp (return_type, "02") != 0)
    {
      sim->stats.n_rejected++;
      set_error_json (msg, SOUP_STATUS_BAD_REQUEST, "returnType must be 02 (JSON)");
      return;
    }
  if (!drd_kepco_cust_no_is_valid (cust_no))
    {
      sim->stats.n_rejected++;
      set_error_json (msg, SOUP_STATUS_BAD_REQUEST, "custNo must be 1 to 20 digits");
      return;
    }
  if (date == NULL || strlen (date) != 8 || !date_parts (date, norm, &gd))
    {
      sim->stats.n_rejected++;
      set_error_json (msg, SOUP_STATUS_BAD_REQUEST, "date must be a valid YYYYMMDD");
      return;
    }

  sim->stats.n_requests++;
  if (g_strcmp0 (sim->last_service_key, key) != 0)
    {
      g_free (sim->last_service_key);
      sim->last_service_key = g_strdup (key);
    }
  g_signal_emit (sim, signals[SIGNAL_REQUEST], 0, cust_no, norm);

  if (sim->forced_count > 0)
    {
      sim->forced_count--;
      if (sim->forced_status >= 500)
        sim->stats.n_failed++;
      else
        sim->stats.n_rejected++;
      set_error_json (msg, sim->forced_status, "forced by the test");
      goto latency;
    }

  /* One draw per request decides its fault; the data never depends on it. */
  u = g_rand_double (sim->fault_rand);
  if (u < sim->config.fail_rate)
    {
      sim->stats.n_failed++;
      if (g_rand_boolean (sim->fault_rand))
        set_error_json (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal error");
      else
        set_error_json (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "service unavailable");
      goto latency;
    }
  u -= sim->config.fail_rate;
  if (u < sim->config.timeout_rate)
    {
      sim->stats.n_held++;
      defer (sim, msg, sim->config.hold_ms, SOUP_STATUS_GATEWAY_TIMEOUT);
      return;
    }
  u -= sim->config.timeout_rate;

  day = drd_kepco_sim_compute_day (sim, cust_no, norm);
  {
    gint64 jd = g_date_get_julian (&gd);
    gint64 today = seoul_today_julian ();

    if (jd > today || (sim->config.lag_days > 0 && jd > today - (gint64) sim->config.lag_days))
      day->status = DRD_KEPCO_DAY_NOT_YET_AVAILABLE;
    else if (jd == today)
      {
        /* Today: only intervals that have ended are metered. */
        gint64 start = drd_kepco_sim_day_start (norm);

        for (guint s = 0; s < DRD_KEPCO_SLOTS_PER_DAY; s++)
          if (start + (gint64) (s + 1) * 900 > now && day->wh[s] != DRD_KEPCO_SLOT_MISSING)
            {
              day->wh[s] = DRD_KEPCO_SLOT_MISSING;
              day->n_present--;
            }
      }
  }
  body = drd_kepco_sim_render_day (sim->config.seed, day);

  if (u < sim->config.malformed_rate)
    {
      g_autofree char *bad = malformed_body (sim, body);

      sim->stats.n_malformed++;
      set_json (msg, SOUP_STATUS_OK, bad);
      goto latency;
    }
  sim->stats.n_ok++;
  if (day->status == DRD_KEPCO_DAY_NOT_YET_AVAILABLE)
    sim->stats.n_not_yet++;
  set_json (msg, SOUP_STATUS_OK, body);

latency:
  if (sim->config.latency_ms > 0)
    defer (sim, msg, sim->config.latency_ms, 0);
}

static gboolean
is_loopback (SoupServerMessage *msg)
{
  GSocketAddress *addr = soup_server_message_get_remote_address (msg);

  return addr != NULL && G_IS_INET_SOCKET_ADDRESS (addr) &&
         g_inet_address_get_is_loopback (
           g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (addr)));
}

static char *
events_json (DrdKepcoSim *sim)
{
  GString *s = g_string_new ("{\"events\":[");

  for (guint i = 0; i < sim->events->len; i++)
    {
      DrdKepcoSimEvent *e = &g_array_index (sim->events, DrdKepcoSimEvent, i);
      g_autoptr(GDateTime) a = g_date_time_new_from_unix_utc (e->start);
      g_autoptr(GDateTime) b = g_date_time_new_from_unix_utc (e->end);
      g_autoptr(GTimeZone) tz = g_time_zone_new_offset (SEOUL_OFFSET);
      g_autoptr(GDateTime) la = g_date_time_to_timezone (a, tz);
      g_autoptr(GDateTime) lb = g_date_time_to_timezone (b, tz);
      g_autofree char *sa = g_date_time_format (la, "%FT%T%:z");
      g_autofree char *sb = g_date_time_format (lb, "%FT%T%:z");

      g_string_append_printf (s, "%s{\"start\":\"%s\",\"end\":\"%s\"}", i ? "," : "", sa, sb);
    }
  g_string_append (s, "]}");
  return g_string_free (s, FALSE);
}

static void
handle_admin_events (DrdKepcoSim       *sim,
                     SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);

  if (!is_loopback (msg))
    {
      set_error_json (msg, SOUP_STATUS_FORBIDDEN, "admin is loopback only");
      return;
    }
  if (strcmp (method, "POST") == 0)
    {
      SoupMessageBody *req = soup_server_message_get_request_body (msg);
      g_autoptr(GBytes) bytes = soup_message_body_flatten (req);
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *window = NULL;
      g_autofree char *body = NULL;
      gsize len = 0;
      const char *data = g_bytes_get_data (bytes, &len);
      JsonNode *root;
      JsonObject *obj;
      gint64 start, end;

      if (len > 4096 || !drd_json_is_single_object (data, len, NULL) ||
          !json_parser_load_from_data (parser, data, (gssize) len, NULL) ||
          (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        {
          set_error_json (msg, SOUP_STATUS_BAD_REQUEST, "expected {\"start\":ISO8601,\"end\":ISO8601}");
          return;
        }
      obj = json_node_get_object (root);
      window = g_strdup_printf ("%s/%s",
                                json_object_get_string_member_with_default (obj, "start", ""),
                                json_object_get_string_member_with_default (obj, "end", ""));
      if (!drd_kepco_sim_parse_window (window, &start, &end, &error))
        {
          set_error_json (msg, SOUP_STATUS_BAD_REQUEST, error->message);
          return;
        }
      drd_kepco_sim_add_event (sim, start, end);
      body = events_json (sim);
      set_json (msg, SOUP_STATUS_CREATED, body);
    }
  else if (strcmp (method, "GET") == 0)
    {
      g_autofree char *body = events_json (sim);
      set_json (msg, SOUP_STATUS_OK, body);
    }
  else
    set_error_json (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET or POST");
}

static void
handle_admin_stats (DrdKepcoSim       *sim,
                    SoupServerMessage *msg)
{
  g_autofree char *body = NULL;

  if (!is_loopback (msg))
    {
      set_error_json (msg, SOUP_STATUS_FORBIDDEN, "admin is loopback only");
      return;
    }
  body = g_strdup_printf ("{\"requests\":%" G_GUINT64_FORMAT ",\"ok\":%" G_GUINT64_FORMAT
                          ",\"not_yet\":%" G_GUINT64_FORMAT ",\"failed\":%" G_GUINT64_FORMAT
                          ",\"held\":%" G_GUINT64_FORMAT ",\"malformed\":%" G_GUINT64_FORMAT
                          ",\"rejected\":%" G_GUINT64_FORMAT ",\"in_flight\":%u,\"max_in_flight\":%u}",
                          sim->stats.n_requests, sim->stats.n_ok, sim->stats.n_not_yet,
                          sim->stats.n_failed, sim->stats.n_held, sim->stats.n_malformed,
                          sim->stats.n_rejected, sim->stats.in_flight, sim->stats.max_in_flight);
  set_json (msg, SOUP_STATUS_OK, body);
}

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  DrdKepcoSim *sim = user_data;

  if (strcmp (path, DATA_PATH) == 0)
    handle_data (sim, msg, query);
  else if (strcmp (path, "/admin/events") == 0)
    handle_admin_events (sim, msg);
  else if (strcmp (path, "/admin/stats") == 0)
    handle_admin_stats (sim, msg);
  else
    set_error_json (msg, SOUP_STATUS_NOT_FOUND, "no such API");
}

static void
drd_kepco_sim_dispose (GObject *object)
{
  DrdKepcoSim *sim = DRD_KEPCO_SIM (object);

  /* Answer whatever is still paused, then close everything. */
  if (sim->pending)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, sim->pending);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          Pending *p = value;

          if (p->source)
            {
              g_source_destroy (p->source);
              g_clear_pointer (&p->source, g_source_unref);
            }
          if (p->status_after)
            set_error_json (p->msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "shutting down");
          soup_server_message_unpause (p->msg);
        }
      g_hash_table_remove_all (sim->pending);
    }
  if (sim->server)
    {
      g_signal_handlers_disconnect_by_data (sim->server, sim);
      soup_server_disconnect (sim->server);
    }
  g_clear_object (&sim->server);
  g_clear_object (&sim->socket);
  g_clear_object (&sim->holidays);

  G_OBJECT_CLASS (drd_kepco_sim_parent_class)->dispose (object);
}

static void
drd_kepco_sim_finalize (GObject *object)
{
  DrdKepcoSim *sim = DRD_KEPCO_SIM (object);

  g_clear_pointer (&sim->pending, g_hash_table_unref);
  g_clear_pointer (&sim->events, g_array_unref);
  g_clear_pointer (&sim->fault_rand, g_rand_free);
  g_free (sim->url);
  g_free (sim->last_service_key);

  G_OBJECT_CLASS (drd_kepco_sim_parent_class)->finalize (object);
}

static void
drd_kepco_sim_class_init (DrdKepcoSimClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = drd_kepco_sim_dispose;
  object_class->finalize = drd_kepco_sim_finalize;

  /* Every valid data request, before faults: (custNo, YYYYMMDD). */
  signals[SIGNAL_REQUEST] =
    g_signal_new ("request", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
drd_kepco_sim_init (DrdKepcoSim *sim)
{
  drd_kepco_sim_config_init (&sim->config);
  sim->events = g_array_new (FALSE, FALSE, sizeof (DrdKepcoSimEvent));
  sim->pending = g_hash_table_new_full (NULL, NULL, NULL, pending_free);
}

DrdKepcoSim *
drd_kepco_sim_new (const DrdKepcoSimConfig *config)
{
  DrdKepcoSim *sim = g_object_new (DRD_TYPE_KEPCO_SIM, NULL);

  if (config)
    sim->config = *config;
  sim->fault_rand = g_rand_new_with_seed ((guint32) (mix (sim->config.seed ^ 0xfa17) & 0xffffffffu));
  sim->server = soup_server_new ("server-header", "drdesk-kepco-sim", NULL);
  soup_server_add_handler (sim->server, NULL, server_callback, sim, NULL);
  g_signal_connect (sim->server, "request-started", G_CALLBACK (on_request_started), sim);
  g_signal_connect (sim->server, "request-finished", G_CALLBACK (on_request_done), sim);
  g_signal_connect (sim->server, "request-aborted", G_CALLBACK (on_request_done), sim);
  return sim;
}

gboolean
drd_kepco_sim_listen (DrdKepcoSim  *sim,
                      const char   *listen,
                      GError      **error)
{
  g_autoptr(GInetAddress) addr = NULL;
  g_autoptr(GSocketAddress) sockaddr = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocket) sock = NULL;
  g_autofree char *host = NULL;
  g_autofree char *host_text = NULL;
  const char *colon;
  char *end = NULL;
  guint64 port;

  g_return_val_if_fail (DRD_IS_KEPCO_SIM (sim), FALSE);
  g_return_val_if_fail (sim->socket == NULL, FALSE);

  if (listen == NULL)
    listen = "127.0.0.1:8089";
  colon = strrchr (listen, ':');
  if (colon == NULL || colon == listen)
    goto bad;
  if (listen[0] == '[')
    {
      if (colon[-1] != ']')
        goto bad;
      host = g_strndup (listen + 1, (gsize) (colon - listen - 2));
    }
  else
    host = g_strndup (listen, (gsize) (colon - listen));
  port = g_ascii_strtoull (colon + 1, &end, 10);
  if (colon[1] == '\0' || *end != '\0' || port > 65535)
    goto bad;
  if (strcmp (host, "localhost") == 0)
    g_free (g_steal_pointer (&host)), host = g_strdup ("127.0.0.1");
  addr = g_inet_address_new_from_string (host);
  if (addr == NULL)
    goto bad;

  sockaddr = g_inet_socket_address_new (addr, (guint16) port);
  sock = g_socket_new (g_inet_address_get_family (addr), G_SOCKET_TYPE_STREAM,
                       G_SOCKET_PROTOCOL_TCP, error);
  if (sock == NULL)
    return FALSE;
  /* libsoup's own listen uses a backlog of 10: bursts of connections then
   * wait for SYN retransmits. */
  g_socket_set_listen_backlog (sock, 1024);
  if (!g_socket_bind (sock, sockaddr, TRUE, error) ||
      !g_socket_listen (sock, error) ||
      !soup_server_listen_socket (sim->server, sock, 0, error))
    return FALSE;
  local = g_socket_get_local_address (sock, error);
  if (local == NULL)
    return FALSE;
  sim->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  host_text = g_inet_address_to_string (addr);
  if (g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6)
    sim->url = g_strdup_printf ("http://[%s]:%u/", host_text, sim->port);
  else
    sim->url = g_strdup_printf ("http://%s:%u/", host_text, sim->port);
  sim->socket = g_steal_pointer (&sock);
  return TRUE;

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "listen address “%s” is not ADDR:PORT (e.g. 127.0.0.1:8089)", listen);
  return FALSE;
}

const char *
drd_kepco_sim_get_url (DrdKepcoSim *sim)
{
  g_return_val_if_fail (DRD_IS_KEPCO_SIM (sim), NULL);
  return sim->url;
}

guint16
drd_kepco_sim_get_port (DrdKepcoSim *sim)
{
  g_return_val_if_fail (DRD_IS_KEPCO_SIM (sim), 0);
  return sim->port;
}

void
drd_kepco_sim_add_event (DrdKepcoSim *sim,
                         gint64       start,
                         gint64       end)
{
  DrdKepcoSimEvent e = { start, end };

  g_return_if_fail (DRD_IS_KEPCO_SIM (sim));
  g_return_if_fail (end > start);
  g_array_append_val (sim->events, e);
}

const DrdKepcoSimEvent *
drd_kepco_sim_get_events (DrdKepcoSim *sim,
                          guint       *n_events)
{
  g_return_val_if_fail (DRD_IS_KEPCO_SIM (sim), NULL);
  *n_events = sim->events->len;
  return (const DrdKepcoSimEvent *) (gconstpointer) sim->events->data;
}

DrdKepcoDay *
drd_kepco_sim_compute_day (DrdKepcoSim *sim,
                           const char  *cust_no,
                           const char  *date)
{
  g_return_val_if_fail (DRD_IS_KEPCO_SIM (sim), NULL);
  return compute_day (sim->config.seed, cust_no, date,
                      (const DrdKepcoSimEvent *) (gconstpointer) sim->events->data,
                      sim->events->len, sim->config.reducer_share, sim->config.reduction,
                      sim->holidays);
}

void
drd_kepco_sim_set_holidays (DrdKepcoSim *sim,
                            DrdCalendar *holidays)
{
  g_return_if_fail (DRD_IS_KEPCO_SIM (sim));
  g_return_if_fail (holidays == NULL || DRD_IS_CALENDAR (holidays));
  g_set_object (&sim->holidays, holidays);
}

void
drd_kepco_sim_set_faults (DrdKepcoSim *sim,
                          double       fail_rate,
                          double       timeout_rate,
                          double       malformed_rate)
{
  g_return_if_fail (DRD_IS_KEPCO_SIM (sim));
  sim->config.fail_rate = fail_rate;
  sim->config.timeout_rate = timeout_rate;
  sim->config.malformed_rate = malformed_rate;
}

void
drd_kepco_sim_set_latency_ms (DrdKepcoSim *sim, guint latency_ms)
{
  g_return_if_fail (DRD_IS_KEPCO_SIM (sim));
  sim->config.latency_ms = latency_ms;
}

void
drd_kepco_sim_set_hold_ms (DrdKepcoSim *sim, guint hold_ms)
{
  g_return_if_fail (DRD_IS_KEPCO_SIM (sim));
  sim->config.hold_ms = hold_ms;
}

void
drd_kepco_sim_set_outage (DrdKepcoSim *sim, gint64 start, gint64 end)
{
  g_return_if_fail (DRD_IS_KEPCO_SIM (sim));
  sim->config.outage_start = start;
  sim->config.outage_end = end;
}

void
drd_kepco_sim_set_lag_days (DrdKepcoSim *sim, guint lag_days)
{
  g_return_if_fail (DRD_IS_KEPCO_SIM (sim));
  sim->config.lag_days = lag_days;
}

void
drd_kepco_sim_force_status (DrdKepcoSim *sim, guint status, guint count)
{
  g_return_if_fail (DRD_IS_KEPCO_SIM (sim));
  sim->forced_status = status;
  sim->forced_count = count;
}

void
drd_kepco_sim_get_stats (DrdKepcoSim *sim, DrdKepcoSimStats *out)
{
  g_return_if_fail (DRD_IS_KEPCO_SIM (sim));
  *out = sim->stats;
}

char *
drd_kepco_sim_dup_last_service_key (DrdKepcoSim *sim)
{
  g_return_val_if_fail (DRD_IS_KEPCO_SIM (sim), NULL);
  return g_strdup (sim->last_service_key);
}

void
drd_kepco_sim_reset_stats (DrdKepcoSim *sim)
{
  guint in_flight;

  g_return_if_fail (DRD_IS_KEPCO_SIM (sim));
  in_flight = sim->stats.in_flight;
  memset (&sim->stats, 0, sizeof sim->stats);
  sim->stats.in_flight = in_flight;
}

/* ------------------------------------------------------------------ */
/* drdesk-kepco-sim */

static gboolean
on_quit_signal (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
rate_ok (const char *name, double v)
{
  if (!(v >= 0.0 && v <= 1.0))
    {
      fprintf (stderr, "drdesk-kepco-sim: --%s must be between 0 and 1\n", name);
      return FALSE;
    }
  return TRUE;
}

int
drd_kepco_sim_main (int argc, char **argv)
{
  g_autofree char *listen = NULL;
  g_auto(GStrv) events = NULL;
  g_autofree char *outage = NULL;
  g_autofree char *holidays_file = NULL;
  g_autoptr(DrdCalendar) holidays = NULL;
  gint64 seed = 1;
  gint latency_ms = 0, lag_days = 0, hold_ms = 60000;
  DrdKepcoSimConfig config;
  g_autoptr(GOptionContext) ctx = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoSim) sim = NULL;
  g_autoptr(GMainLoop) loop = NULL;

  drd_kepco_sim_config_init (&config);
  {
    GOptionEntry entries[] = {
      { "listen", 0, 0, G_OPTION_ARG_STRING, &listen, "Address to listen on (default 127.0.0.1:8089; port 0 picks one)", "ADDR:PORT" },
      { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the synthetic load (default 1)", "S" },
      { "event", 0, 0, G_OPTION_ARG_STRING_ARRAY, &events, "DR event window (repeatable)", "ISO8601/ISO8601" },
      { "reducer-share", 0, 0, G_OPTION_ARG_DOUBLE, &config.reducer_share, "Share of customers that reduce during events (0.7)", "F" },
      { "reduction", 0, 0, G_OPTION_ARG_DOUBLE, &config.reduction, "How much less they use (0.3)", "F" },
      { "fail-rate", 0, 0, G_OPTION_ARG_DOUBLE, &config.fail_rate, "Share of requests answered 500/503", "F" },
      { "timeout-rate", 0, 0, G_OPTION_ARG_DOUBLE, &config.timeout_rate, "Share of requests held far beyond a client timeout", "F" },
      { "malformed-rate", 0, 0, G_OPTION_ARG_DOUBLE, &config.malformed_rate, "Share of requests answered with a broken body", "F" },
      { "latency-ms", 0, 0, G_OPTION_ARG_INT, &latency_ms, "Delay added to every answer", "N" },
      { "hold-ms", 0, 0, G_OPTION_ARG_INT, &hold_ms, "How long a timed-out request is held (60000)", "N" },
      { "outage", 0, 0, G_OPTION_ARG_STRING, &outage, "Every request fails with 503 in this window", "ISO8601/ISO8601" },
      { "lag-days", 0, 0, G_OPTION_ARG_INT, &lag_days, "The last N days have no data yet", "N" },
      { "holidays", 0, 0, G_OPTION_ARG_FILENAME, &holidays_file, "Holiday calendar file: those days look like Sundays", "FILE" },
      { NULL }
    };

    ctx = g_option_context_new (NULL);
    g_option_context_set_summary (ctx, "Serves KEPCO's getDayLpData.do from deterministic synthetic load.");
    g_option_context_add_main_entries (ctx, entries, NULL);
    if (!g_option_context_parse (ctx, &argc, &argv, &error))
      {
        fprintf (stderr, "drdesk-kepco-sim: %s\n", error->message);
        return 2;
      }
  }
  if (argc > 1)
    {
      fprintf (stderr, "drdesk-kepco-sim: unexpected argument “%s”\n", argv[1]);
      return 2;
    }
  if (!rate_ok ("reducer-share", config.reducer_share) || !rate_ok ("reduction", config.reduction) ||
      !rate_ok ("fail-rate", config.fail_rate) || !rate_ok ("timeout-rate", config.timeout_rate) ||
      !rate_ok ("malformed-rate", config.malformed_rate))
    return 2;
  if (config.fail_rate + config.timeout_rate + config.malformed_rate > 1.0)
    {
      fprintf (stderr, "drdesk-kepco-sim: fail, timeout and malformed rates add up to more than 1\n");
      return 2;
    }
  if (latency_ms < 0 || lag_days < 0 || hold_ms < 0 || seed < 0)
    {
      fprintf (stderr, "drdesk-kepco-sim: --seed, --latency-ms, --hold-ms and --lag-days must not be negative\n");
      return 2;
    }
  config.seed = (guint64) seed;
  config.latency_ms = (guint) latency_ms;
  config.hold_ms = (guint) hold_ms;
  config.lag_days = (guint) lag_days;
  if (outage && !drd_kepco_sim_parse_window (outage, &config.outage_start, &config.outage_end, &error))
    {
      fprintf (stderr, "drdesk-kepco-sim: --outage: %s\n", error->message);
      return 2;
    }

  if (holidays_file)
    {
      g_autofree char *text = NULL;
      gsize len = 0;

      if (!g_file_get_contents (holidays_file, &text, &len, &error) ||
          (holidays = drd_calendar_new_from_data (text, (gssize) len, &error)) == NULL)
        {
          fprintf (stderr, "drdesk-kepco-sim: --holidays: %s\n", error->message);
          return 1;
        }
    }

  sim = drd_kepco_sim_new (&config);
  drd_kepco_sim_set_holidays (sim, holidays);
  for (guint i = 0; events && events[i]; i++)
    {
      gint64 a, b;

      if (!drd_kepco_sim_parse_window (events[i], &a, &b, &error))
        {
          fprintf (stderr, "drdesk-kepco-sim: --event: %s\n", error->message);
          return 2;
        }
      drd_kepco_sim_add_event (sim, a, b);
    }
  if (!drd_kepco_sim_listen (sim, listen ? listen : "127.0.0.1:8089", &error))
    {
      fprintf (stderr, "drdesk-kepco-sim: cannot listen: %s\n", error->message);
      return 1;
    }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_quit_signal, loop);
  g_unix_signal_add (SIGTERM, on_quit_signal, loop);
  printf ("LISTENING %s\n", drd_kepco_sim_get_url (sim));
  fflush (stdout);
  g_main_loop_run (loop);
  return 0;
}
