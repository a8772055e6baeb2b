/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "gui/drd-bench-stall.h"

#define LOOP_MS 5

struct _DrdBenchStall
{
  GApplication  *app;        /* borrowed: owns us */
  GtkWidget     *window;     /* weak */
  DrdOverview   *overview;   /* weak */
  DrdSettleLink *link;       /* weak */
  guint          loop_id;
  guint          tick_id;
  guint          sigterm_id;

  gint64         started_us;
  gint64         last_loop_us;
  gint64         last_cpu_us;
  gint64         last_wait_us;
  gint64         last_steal_us;
  gint64         last_tick_us;
  gint64         period_start_us;
  gint64         period_loop_max_us;
  gint64         period_loop_max_cpu_us;   /* this thread's CPU time in that gap */
  gint64         period_loop_max_wait_us;  /* ... its time runnable, waiting for a CPU */
  gint64         period_loop_max_steal_us; /* the machine's CPU time taken by the hypervisor */
  gint64         period_frame_max_us;
  gint64         loop_max_us;
  gint64         frame_max_us;
};

static double
unix_now (void)
{
  return g_get_real_time () / 1e6;
}

/* CPU time of the calling (main) thread: tells a stall spent working
 * from one spent waiting (descheduled, or blocked on the X server). */
static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return 0;
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Time the calling thread spent runnable but waiting for a CPU
 * (/proc/thread-self/schedstat, second field, ns). */
static gint64
thread_wait_us (void)
{
  g_autofree char *text = NULL;
  guint64 run = 0, wait = 0;

  if (!g_file_get_contents ("/proc/thread-self/schedstat", &text, NULL, NULL)
      || sscanf (text, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &run, &wait) != 2)
    return 0;
  return (gint64) (wait / 1000);
}

/* CPU time of all of this machine's CPUs taken by the hypervisor ("steal",
 * /proc/stat, in clock ticks): a virtual machine's thread can be
 * descheduled from outside without the kernel seeing it wait. */
static gint64
machine_steal_us (void)
{
  g_autofree char *text = NULL;
  guint64 v[8] = { 0 };
  long hz = sysconf (_SC_CLK_TCK);

  if (hz <= 0 || !g_file_get_contents ("/proc/stat", &text, NULL, NULL)
      || sscanf (text, "cpu %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                 " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                 " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
                 &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
    return 0;
  return (gint64) (v[7] * G_USEC_PER_SEC / (guint64) hz);
}

static DrdKepcoClient *
client_of (DrdBenchStall *self)
{
  return self->link != NULL ? drd_settle_link_get_client (self->link) : NULL;
}

static void
print_period (DrdBenchStall *self)
{
  DrdKepcoClient *client = client_of (self);
  DrdSettler *settler = self->link != NULL ? drd_settle_link_get_settler (self->link) : NULL;
  const char *text = self->overview != NULL ? drd_overview_get_kepco_text (self->overview) : NULL;
  g_autofree char *one_line = g_strdup (text != NULL ? text : "");

  g_strdelimit (one_line, "\r\n", ' ');
  g_print ("BENCH stall t=%.3f loop-max-ms=%.1f cpu-ms=%.1f wait-ms=%.1f steal-ms=%.1f "
           "frame-max-ms=%.1f breaker=%s settled=%"
           G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " waiting=%" G_GUINT64_FORMAT " failed=%"
           G_GUINT64_FORMAT " kepco=%s\n",
           unix_now (), self->period_loop_max_us / 1000.0, self->period_loop_max_cpu_us / 1000.0,
           self->period_loop_max_wait_us / 1000.0, self->period_loop_max_steal_us / 1000.0,
           self->period_frame_max_us / 1000.0,
           client != NULL ? drd_kepco_breaker_state_to_string (drd_kepco_client_get_breaker_state (client))
                          : "none",
           settler != NULL ? drd_settler_get_n_done (settler) : 0,
           settler != NULL ? drd_settler_get_n_total (settler) : 0,
           settler != NULL ? drd_settler_get_n_waiting (settler) : 0,
           settler != NULL ? drd_settler_get_n_failed (settler) : 0,
           one_line);
}

/* The main loop's own pulse: how late does a 5 ms timer fire? */
static gboolean
on_loop (gpointer data)
{
  DrdBenchStall *self = data;
  gint64 now = g_get_monotonic_time ();
  gint64 cpu = thread_cpu_us ();
  gint64 wait = thread_wait_us ();
  gint64 steal = machine_steal_us ();

  if (self->last_loop_us != 0)
    {
      gint64 late = now - self->last_loop_us - LOOP_MS * 1000;

      if (late > self->period_loop_max_us)
        {
          self->period_loop_max_us = late;
          self->period_loop_max_cpu_us = cpu - self->last_cpu_us;
          self->period_loop_max_wait_us = wait - self->last_wait_us;
          self->period_loop_max_steal_us = steal - self->last_steal_us;
        }
      self->loop_max_us = MAX (self->loop_max_us, late);
    }
  self->last_loop_us = now;
  self->last_cpu_us = cpu;
  self->last_wait_us = wait;
  self->last_steal_us = steal;
  if (now - self->period_start_us >= G_USEC_PER_SEC)
    {
      print_period (self);
      self->period_start_us = now;
      self->period_loop_max_us = 0;
      self->period_loop_max_cpu_us = 0;
      self->period_loop_max_wait_us = 0;
      self->period_loop_max_steal_us = 0;
      self->period_frame_max_us = 0;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  DrdBenchStall *self = data;
  gint64 now = g_get_monotonic_time ();

  if (self->last_tick_us != 0)
    {
      self->period_frame_max_us = MAX (self->period_frame_max_us, now - self->last_tick_us);
      self->frame_max_us = MAX (self->frame_max_us, now - self->last_tick_us);
    }
  self->last_tick_us = now;
  return G_SOURCE_CONTINUE;
}

static void
on_breaker (GObject *client, GParamSpec *pspec, DrdBenchStall *self)
{
  g_print ("BENCH breaker t=%.3f state=%s\n", unix_now (),
           drd_kepco_breaker_state_to_string (drd_kepco_client_get_breaker_state (DRD_KEPCO_CLIENT (client))));
}

static gboolean
on_sigterm (gpointer data)
{
  DrdBenchStall *self = data;

  self->sigterm_id = 0;
  g_application_quit (self->app);
  return G_SOURCE_REMOVE;
}

DrdBenchStall *
drd_bench_stall_new_from_env (GApplication *app)
{
  DrdBenchStall *self;

  if (g_getenv ("DRD_BENCH_STALL") == NULL)
    return NULL;
  self = g_new0 (DrdBenchStall, 1);
  self->app = app;
  self->started_us = self->period_start_us = g_get_monotonic_time ();
  self->loop_id = g_timeout_add (LOOP_MS, on_loop, self);
  self->sigterm_id = g_unix_signal_add (SIGTERM, on_sigterm, self);
  return self;
}

void
drd_bench_stall_set_window (DrdBenchStall *self,
                            GtkWidget     *window,
                            DrdOverview   *overview)
{
  if (self == NULL)
    return;
  g_return_if_fail (self->window == NULL);
  self->window = window;
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &self->window);
  self->overview = overview;
  g_object_add_weak_pointer (G_OBJECT (overview), (gpointer *) &self->overview);
  /* Keeps the frame clock ticking every frame without forcing repaints:
   * the gap between ticks is how long no frame could start. */
  self->tick_id = gtk_widget_add_tick_callback (window, on_tick, self, NULL);
}

void
drd_bench_stall_set_settle_link (DrdBenchStall *self,
                                 DrdSettleLink *link)
{
  if (self == NULL)
    return;
  g_return_if_fail (self->link == NULL);
  self->link = link;
  g_object_add_weak_pointer (G_OBJECT (link), (gpointer *) &self->link);
  g_signal_connect (drd_settle_link_get_client (link), "notify::breaker-state",
                    G_CALLBACK (on_breaker), self);
}

void
drd_bench_stall_free (DrdBenchStall *self)
{
  if (self == NULL)
    return;
  print_period (self);
  g_print ("BENCH stall-summary loop-max-ms=%.1f frame-max-ms=%.1f seconds=%.1f\n",
           self->loop_max_us / 1000.0, self->frame_max_us / 1000.0,
           (g_get_monotonic_time () - self->started_us) / 1e6);
  g_clear_handle_id (&self->loop_id, g_source_remove);
  g_clear_handle_id (&self->sigterm_id, g_source_remove);
  if (self->window != NULL)
    {
      gtk_widget_remove_tick_callback (self->window, self->tick_id);
      g_object_remove_weak_pointer (G_OBJECT (self->window), (gpointer *) &self->window);
    }
  if (self->overview != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->overview), (gpointer *) &self->overview);
  if (self->link != NULL)
    {
      g_signal_handlers_disconnect_by_data (drd_settle_link_get_client (self->link), self);
      g_object_remove_weak_pointer (G_OBJECT (self->link), (gpointer *) &self->link);
    }
  g_free (self);
}
