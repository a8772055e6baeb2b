/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-outage: the window while KEPCO is down (run by bench/bench-outage.sh).
 *
 *   bench-outage --db DB --kepco-url URL --outage-start UNIX --outage-end UNIX
 *                [--settle-timeout S]
 *
 * The same pieces drdesk wires up (DrdWindow + DrdSettleLink: KEPCO client,
 * settler, dispatcher, the overview's KEPCO indicator) in this process, so
 * the main loop can be timed from inside:
 *   - a 10 ms g_timeout records its largest lateness (main-loop stall);
 *   - a tick callback queues a redraw every frame (the window keeps
 *     painting) and records the largest frame-clock gap.
 * Before the outage: idle noise floor (window shown, settlement not yet
 * started). At the outage's start the settle link is started (settlement
 * of the ended event begins while every request fails). During the outage:
 * stall figures, and whether the breaker was open and the overview's KEPCO
 * text said so. After it: waits until the settler has settled everything.
 * Prints "BENCH key value" lines. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gui/drd-application.h"
#include "gui/drd-overview.h"
#include "gui/drd-settle-link.h"
#include "gui/drd-window.h"
#include "service/drd-config.h"

#define LOOP_MS 10

static gint64 loop_expected_us, max_late_us;
static gint64 last_frame_us, max_frame_gap_us;
static guint64 n_frames, n_loop;
static gboolean measuring;

static gboolean
on_loop (gpointer data)
{
  gint64 now = g_get_monotonic_time ();

  if (measuring && loop_expected_us != 0 && now - loop_expected_us > max_late_us)
    max_late_us = now - loop_expected_us;
  if (measuring && loop_expected_us != 0 && now - loop_expected_us > 50000
      && g_getenv ("DRD_BENCH_VERBOSE") != NULL)
    g_print ("BENCH late %.0f ms at %.3f\n", (now - loop_expected_us) / 1000.0, now / 1e6);
  loop_expected_us = now + LOOP_MS * 1000;
  n_loop++;
  return G_SOURCE_CONTINUE;
}

static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  gint64 now = g_get_monotonic_time ();

  if (measuring && last_frame_us != 0 && now - last_frame_us > max_frame_gap_us)
    max_frame_gap_us = now - last_frame_us;
  last_frame_us = now;
  n_frames++;
  gtk_widget_queue_draw (widget);   /* keep painting: a frame every vsync */
  return G_SOURCE_CONTINUE;
}

static void
reset_measure (void)
{
  max_late_us = 0;
  max_frame_gap_us = 0;
  loop_expected_us = 0;
  last_frame_us = 0;
  n_frames = 0;
  n_loop = 0;
}

static gboolean
on_fired (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until the wall clock reaches @unix_us. */
static void
run_until_wall (gint64 unix_us)
{
  while (g_get_real_time () < unix_us)
    {
      gboolean fired = FALSE;
      gint64 left_ms = (unix_us - g_get_real_time ()) / 1000;
      guint id = g_timeout_add ((guint) CLAMP (left_ms, 1, 200), on_fired, &fired);

      while (!fired)
        g_main_context_iteration (NULL, TRUE);
      (void) id;
    }
}

/* ---- watching the breaker and the indicator ---- */

typedef struct {
  DrdSettleLink *link;
  DrdOverview   *overview;
  gboolean       watch;
  gboolean       breaker_open_seen;
  gboolean       text_open_seen;
  guint          n_open_transitions;
  gint64         first_open_us;
  char          *open_text;
} Watch;

static void
check_indicator (Watch *w)
{
  DrdKepcoClient *client = drd_settle_link_get_client (w->link);
  const char *text = drd_overview_get_kepco_text (w->overview);

  if (!w->watch)
    return;
  if (drd_kepco_client_get_breaker_state (client) == DRD_KEPCO_BREAKER_OPEN)
    {
      if (!w->breaker_open_seen)
        w->first_open_us = g_get_real_time ();
      w->breaker_open_seen = TRUE;
    }
  /* The indicator's own text, as the operator reads it. */
  if (text != NULL && strstr (text, "circuit open") != NULL)
    {
      w->text_open_seen = TRUE;
      if (w->open_text == NULL)
        w->open_text = g_strdup (text);
    }
}

static void
on_breaker (GObject *obj, GParamSpec *pspec, Watch *w)
{
  if (w->watch && drd_kepco_client_get_breaker_state (DRD_KEPCO_CLIENT (obj))
                  == DRD_KEPCO_BREAKER_OPEN)
    w->n_open_transitions++;
}

static gboolean
on_watch_tick (gpointer data)
{
  check_indicator (data);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *db = NULL;
  g_autofree char *url = NULL;
  gint64 outage_start = 0, outage_end = 0;
  int settle_timeout = 600;
  const char *st = g_getenv ("DRD_BENCH_SETTLE_TIMEOUT");
  int retry_base = 2, retry_cap = 10, kepco_timeout = 15, recovery_cooldown_ms = 0;
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Database (an ended event to settle)", "PATH" },
    { "kepco-url", 0, 0, G_OPTION_ARG_STRING, &url, "Simulator base URL", "URL" },
    { "outage-start", 0, 0, G_OPTION_ARG_INT64, &outage_start, "Outage start (Unix s)", "T" },
    { "outage-end", 0, 0, G_OPTION_ARG_INT64, &outage_end, "Outage end (Unix s)", "T" },
    { "settle-timeout", 0, 0, G_OPTION_ARG_INT, &settle_timeout, "Give up after S s", "S" },
    { "retry-base", 0, 0, G_OPTION_ARG_INT, &retry_base,
      "Settler error backoff base (s; drdesk: 30)", "S" },
    { "kepco-timeout", 0, 0, G_OPTION_ARG_INT, &kepco_timeout,
      "The window's KEPCO request timeout (s; drdesk: 15)", "S" },
    { "recovery-cooldown-ms", 0, 0, G_OPTION_ARG_INT, &recovery_cooldown_ms,
      "Breaker cooldown after the outage (ms; 0 = drdesk's 30000)", "MS" },
    { "retry-cap", 0, 0, G_OPTION_ARG_INT, &retry_cap,
      "Settler error backoff cap (s; drdesk: 3600)", "S" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- DR Desk window during a KEPCO outage");
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(DrdSettleLink) link = NULL;
  g_autoptr(DrdConfig) config = NULL;
  DrdSettler *settler;
  DrdWindow *window;
  DrdOverview *overview;
  Watch w = { 0 };
  gint64 t, deadline;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || db == NULL || url == NULL
      || outage_start <= 0 || outage_end <= outage_start)
    {
      g_printerr ("bench-outage: %s\n", error ? error->message
                  : "needs --db, --kepco-url, --outage-start, --outage-end");
      return 2;
    }
  if (st != NULL)
    settle_timeout = atoi (st);
  gtk_init ();
  drd_gui_init ();

  store = drd_store_open (db, &error);
  if (store == NULL)
    {
      g_printerr ("bench-outage: %s\n", error->message);
      return 1;
    }
  window = drd_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_widget_add_tick_callback (GTK_WIDGET (window), on_tick, NULL, NULL);
  g_timeout_add (LOOP_MS, on_loop, NULL);
  gtk_window_present (GTK_WINDOW (window));
  drd_window_set_store (window, store);
  overview = drd_window_get_overview (window);

  config = drd_config_new ();
  if (!drd_config_set_value (config, "kepco-timeout", g_variant_new_uint32 ((guint) kepco_timeout),
                             &error))
    {
      g_printerr ("bench-outage: %s\n", error->message);
      return 2;
    }
  link = drd_settle_link_new (store, config, db, url, &error);
  if (link == NULL)
    {
      g_printerr ("bench-outage: %s\n", error->message);
      return 1;
    }
  if (drd_settle_link_get_warning (link) != NULL)
    g_print ("BENCH warning %s\n", drd_settle_link_get_warning (link));
  settler = drd_settle_link_get_settler (link);
  /* Only how long a failed job waits before its next try: with drdesk's
   * 30 s doubling to an hour, the catch-up after the outage would be
   * dominated by backoff sleeps. Breaker cooldown and client retries stay
   * as drdesk has them. */
  g_object_set (settler, "retry-base-s", (guint) retry_base, "retry-cap-s", (guint) retry_cap,
                NULL);
  w.link = link;
  w.overview = overview;
  g_signal_connect (drd_settle_link_get_client (link), "notify::breaker-state",
                    G_CALLBACK (on_breaker), &w);
  g_timeout_add (50, on_watch_tick, &w);

  /* Let the window settle, then the idle noise floor until the outage. */
  t = g_get_real_time ();
  if (outage_start * G_USEC_PER_SEC - t < 4 * G_USEC_PER_SEC)
    {
      g_printerr ("bench-outage: the outage must start at least 4 s from now\n");
      return 2;
    }
  run_until_wall (t + 1500000);
  reset_measure ();
  measuring = TRUE;
  run_until_wall (outage_start * G_USEC_PER_SEC);
  measuring = FALSE;
  g_print ("BENCH idle-loop-stall-ms %.1f (frame gap %.1f; %" G_GUINT64_FORMAT " frames, %"
           G_GUINT64_FORMAT " timer ticks over %.1f s)\n",
           max_late_us / 1000.0, max_frame_gap_us / 1000.0, n_frames, n_loop,
           (outage_start * G_USEC_PER_SEC - t - 1500000) / 1e6);

  /* The outage: settlement starts and meets only 503s. */
  reset_measure ();
  measuring = TRUE;
  w.watch = TRUE;
  drd_settle_link_start (link);
  drd_window_set_settle_link (window, link);   /* binds the overview */
  run_until_wall (outage_end * G_USEC_PER_SEC);
  measuring = FALSE;
  w.watch = FALSE;
  g_print ("BENCH outage-s %" G_GINT64_FORMAT "\n", outage_end - outage_start);
  g_print ("BENCH outage-loop-stall-ms %.1f (frame gap %.1f; %" G_GUINT64_FORMAT " frames, %"
           G_GUINT64_FORMAT " timer ticks)\n",
           max_late_us / 1000.0, max_frame_gap_us / 1000.0, n_frames, n_loop);
  g_print ("BENCH breaker-open-seen %s (opened %u times; first %.1f s into the outage)\n",
           w.breaker_open_seen ? "yes" : "no", w.n_open_transitions,
           w.breaker_open_seen ? (w.first_open_us - outage_start * G_USEC_PER_SEC) / 1e6 : -1.0);
  g_print ("BENCH indicator-open-seen %s (text: \"%s\")\n", w.text_open_seen ? "yes" : "no",
           w.open_text ? w.open_text : "");
  g_print ("BENCH during-outage done=%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT "\n",
           drd_settler_get_n_done (settler), drd_settler_get_n_total (settler));

  /* After: settlement catches up. The main loop is watched here too. */
  if (recovery_cooldown_ms > 0)
    g_object_set (drd_settle_link_get_client (link), "breaker-cooldown-ms",
                  (guint) recovery_cooldown_ms, NULL);
  reset_measure ();
  measuring = TRUE;
  t = g_get_real_time ();
  deadline = t + (gint64) settle_timeout * G_USEC_PER_SEC;
  while (g_get_real_time () < deadline
         && (drd_settler_get_n_total (settler) == 0
             || drd_settler_get_n_done (settler) < drd_settler_get_n_total (settler)
             || drd_settler_get_busy (settler)))
    {
      static gint64 last_print;

      run_until_wall (g_get_real_time () + 200000);
      if (g_get_real_time () - last_print > 10 * G_USEC_PER_SEC)
        {
          last_print = g_get_real_time ();
          g_print ("BENCH progress %.0f s: done %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                   ", waiting %" G_GUINT64_FORMAT ", failed %" G_GUINT64_FORMAT ", breaker %s, last error %s\n",
                   (last_print - t) / 1e6, drd_settler_get_n_done (settler),
                   drd_settler_get_n_total (settler), drd_settler_get_n_waiting (settler),
                   drd_settler_get_n_failed (settler),
                   drd_kepco_breaker_state_to_string (drd_kepco_client_get_breaker_state (
                     drd_settle_link_get_client (link))),
                   drd_settler_get_last_error (settler) ? drd_settler_get_last_error (settler) : "-");
        }
    }
  measuring = FALSE;
  g_print ("BENCH recovery-s %.1f\n", (g_get_real_time () - t) / 1e6);
  g_print ("BENCH recovery-loop-stall-ms %.1f (frame gap %.1f)\n", max_late_us / 1000.0,
           max_frame_gap_us / 1000.0);
  g_print ("BENCH settled %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " (failed %"
           G_GUINT64_FORMAT ")\n",
           drd_settler_get_n_done (settler), drd_settler_get_n_total (settler),
           drd_settler_get_n_failed (settler));
  g_print ("BENCH indicator-after \"%s\"\n", drd_overview_get_kepco_text (overview));

  drd_settle_link_stop (link);
  gtk_window_destroy (GTK_WINDOW (window));
  run_until_wall (g_get_real_time () + 300000);
  g_free (w.open_text);
  return 0;
}
