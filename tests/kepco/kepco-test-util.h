/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers shared by the kepco test programs: run async calls to the end on
 * the default main context. */
#pragma once

#include <libsoup/soup.h>
#include <string.h>

#include "kepco/drd-kepco-client.h"
#include "kepco/drd-kepco-sim.h"

typedef struct {
  GAsyncResult *result;
  int pending;
} Waiter;

static void
waiter_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Waiter *w = data;

  w->result = g_object_ref (result);
  w->pending--;
  g_main_context_wakeup (NULL);
}

G_GNUC_UNUSED static DrdKepcoDay *
fetch_sync (DrdKepcoClient *client,
            const char     *cust_no,
            const char     *date,
            GError        **error)
{
  Waiter w = { NULL, 1 };
  DrdKepcoDay *day;

  drd_kepco_client_fetch_day_async (client, cust_no, date, NULL, waiter_done, &w);
  while (w.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  day = drd_kepco_client_fetch_day_finish (client, w.result, error);
  g_object_unref (w.result);
  return day;
}

/* One plain GET, no client logic: status and body. */
G_GNUC_UNUSED static guint
http_get (SoupSession *session,
          const char  *url,
          char       **body)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  Waiter w = { NULL, 1 };

  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, waiter_done, &w);
  while (w.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  bytes = soup_session_send_and_read_finish (session, w.result, &error);
  g_object_unref (w.result);
  g_assert_no_error (error);
  if (body)
    *body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  return soup_message_get_status (msg);
}

/* A POST with a JSON body; returns the status. */
G_GNUC_UNUSED static guint
http_post_json (SoupSession *session,
                const char  *url,
                const char  *json)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) request = g_bytes_new (json, strlen (json));
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  Waiter w = { NULL, 1 };

  soup_message_set_request_body_from_bytes (msg, "application/json", request);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, waiter_done, &w);
  while (w.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  bytes = soup_session_send_and_read_finish (session, w.result, &error);
  g_object_unref (w.result);
  g_assert_no_error (error);
  return soup_message_get_status (msg);
}

G_GNUC_UNUSED static void
assert_same_day (const DrdKepcoDay *a,
                 const DrdKepcoDay *b)
{
  g_assert_cmpint (a->status, ==, b->status);
  g_assert_cmpstr (a->cust_no, ==, b->cust_no);
  g_assert_cmpstr (a->date, ==, b->date);
  g_assert_cmpuint (a->n_present, ==, b->n_present);
  for (guint i = 0; i < DRD_KEPCO_SLOTS_PER_DAY; i++)
    if (a->wh[i] != b->wh[i])
      g_error ("%s %s slot %u: %d != %d", a->cust_no, a->date, i, a->wh[i], b->wh[i]);
}

/* A past day: a Monday about 200 days before today (Seoul), plus offset. */
G_GNUC_UNUSED static void
past_date (guint offset_days, char out[9])
{
  GDate d;
  gint64 today = (g_get_real_time () / G_USEC_PER_SEC + 9 * 3600) / 86400;

  g_date_clear (&d, 1);
  g_date_set_julian (&d, (guint32) (today + 719163 - 200));
  while (g_date_get_weekday (&d) != G_DATE_MONDAY)
    g_date_subtract_days (&d, 1);
  g_date_add_days (&d, offset_days);
  g_snprintf (out, 9, "%04u%02u%02u", g_date_get_year (&d), g_date_get_month (&d), g_date_get_day (&d));
}
