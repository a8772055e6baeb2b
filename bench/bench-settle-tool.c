/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers of bench/bench-settle (not a test):
 *   bench-settle-tool raw URL N_REQUESTS CONCURRENCY
 *       plain GET loop over (customer, day) pairs with CONCURRENCY requests
 *       in flight: no parsing, no storing; prints "raw_requests_per_s X".
 *   bench-settle-tool cbl N
 *       core only: CBL + settlement of N customers from in-memory history
 *       (30 days each); prints "cbl_customers_per_s X".
 *   bench-settle-tool count URL
 *       nothing (reserved). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <libsoup/soup.h>

#include "core/drd-cbl.h"
#include "core/drd-settlement.h"
#include "core/drd-time.h"

typedef struct {
  SoupSession *session;
  const char  *base;
  guint        next;
  guint        total;
  guint        done;
  guint        failed;
  GMainLoop   *loop;
} Raw;

static void issue (Raw *raw);

static void
raw_done (GObject      *source,
          GAsyncResult *result,
          gpointer      data)
{
  Raw *raw = data;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  if (body == NULL)
    raw->failed++;
  raw->done++;
  if (raw->done == raw->total)
    g_main_loop_quit (raw->loop);
  else
    issue (raw);
}

static void
issue (Raw *raw)
{
  guint i = raw->next++;
  guint customer, day;
  g_autofree char *url = NULL;
  char date[9];
  g_autoptr(SoupMessage) msg = NULL;

  if (i >= raw->total)
    return;
  /* 21 days per customer, like a settlement's look-back. */
  customer = i / 21;
  day = i % 21;
  drd_date_format_compact_buf (drd_date_from_ymd (2026, 9, 1) + (DrdDate) day, date);
  url = g_strdup_printf ("%sOpenAPI/getDayLpData.do?serviceKey=bench&returnType=02&custNo=%u&date=%s",
                         raw->base, 1000000 + customer * 7, date);
  msg = soup_message_new ("GET", url);
  soup_session_send_and_read_async (raw->session, msg, G_PRIORITY_DEFAULT, NULL, raw_done, raw);
}

static int
cmd_raw (const char *base,
         guint       n,
         guint       conc)
{
  Raw raw = { 0 };
  gint64 t0, t1;

  raw.session = soup_session_new_with_options ("max-conns", conc * 2, "max-conns-per-host", conc * 2,
                                               "timeout", 0, NULL);
  raw.base = base;
  raw.total = n;
  raw.loop = g_main_loop_new (NULL, FALSE);
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < conc; i++)
    issue (&raw);
  g_main_loop_run (raw.loop);
  t1 = g_get_monotonic_time ();
  printf ("raw_requests %u\nraw_failed %u\nraw_seconds %.3f\nraw_requests_per_s %.1f\n",
          n, raw.failed, (t1 - t0) / 1e6, n / ((t1 - t0) / 1e6));
  g_main_loop_unref (raw.loop);
  g_object_unref (raw.session);
  return 0;
}

static int
cmd_cbl (guint n)
{
  DrdDate event_day = drd_date_from_ymd (2026, 10, 14);
  gint64 start = drd_slot_start (event_day, 56), end = drd_slot_start (event_day, 64);
  g_autoptr(DrdReadings) readings = drd_readings_new ();
  gint64 t0, t1, points = 0;

  /* One history per customer would only measure malloc; vary the values
   * through the customer index instead, same work per customer. */
  for (int d = 1; d <= 45; d++)
    for (int k = 0; k < 96; k++)
      drd_readings_set_slot (readings, event_day - d, k, 1000 + (d * 37 + k * 11) % 500);
  for (int k = 0; k < 96; k++)
    drd_readings_set_slot (readings, event_day, k, 900 + k);

  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    {
      DrdCblRequest req = { i % 3 == 0 ? DRD_CBL_MAX_4_5 : DRD_CBL_MID_6_10, i % 4 == 0, start, end };
      DrdSettlementResult res;
      DrdDate excluded = event_day - 7 - (DrdDate) (i % 5);
      g_autoptr(DrdCblResult) cbl = NULL;

      if (!drd_settlement_settle (&req, DRD_ANSWER_ACCEPT, DRD_EVENT_KIND_RELIABILITY,
                                  drd_readings_history_func, readings, NULL, &excluded, 1, NULL,
                                  &cbl, &res, NULL))
        return 1;
      points += res.points;
    }
  t1 = g_get_monotonic_time ();
  printf ("cbl_customers %u\ncbl_seconds %.3f\ncbl_customers_per_s %.0f\n(points %" G_GINT64_FORMAT ")\n",
          n, (t1 - t0) / 1e6, n / ((t1 - t0) / 1e6), points);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 5 && g_str_equal (argv[1], "raw"))
    return cmd_raw (argv[2], (guint) atoi (argv[3]), (guint) atoi (argv[4]));
  if (argc == 3 && g_str_equal (argv[1], "cbl"))
    return cmd_cbl ((guint) atoi (argv[2]));
  fprintf (stderr, "usage: bench-settle-tool raw URL N CONC | cbl N\n");
  return 2;
}
