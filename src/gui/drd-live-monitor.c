/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "gui/drd-live-monitor.h"

/* The poll runs on a thread of its own, not on the shared GTask pool:
 * behind a burst of page fetches a pooled poll would wait its turn and
 * the window would notice changes late. */
struct _DrdLiveMonitor
{
  GObject       parent_instance;

  DrdStore     *store;
  GMainContext *context;
  GThread      *thread;
  GMutex        mutex;
  GCond         cond;
  gboolean      stopping;
  guint         interval_ms;
  gulong        changed_id;
  guint         pending_id;   /* idle that reports a change; main thread only */
};

enum {
  CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (DrdLiveMonitor, drd_live_monitor, G_TYPE_OBJECT)

static gboolean
report_changed (gpointer user_data)
{
  DrdLiveMonitor *self = user_data;

  self->pending_id = 0;
  g_signal_emit (self, signals[CHANGED], 0);
  return G_SOURCE_REMOVE;
}

typedef struct {
  GWeakRef monitor;
} Report;

static gboolean
report_from_thread (gpointer data)
{
  Report *r = data;
  g_autoptr(DrdLiveMonitor) self = g_weak_ref_get (&r->monitor);

  if (self != NULL && !self->stopping)
    g_signal_emit (self, signals[CHANGED], 0);
  return G_SOURCE_REMOVE;
}

static void
report_free (gpointer data)
{
  Report *r = data;

  g_weak_ref_clear (&r->monitor);
  g_free (r);
}

static gpointer
poll_thread (gpointer data)
{
  DrdLiveMonitor *self = data;
  guint64 last = 0;
  gboolean have = FALSE;

  g_mutex_lock (&self->mutex);
  while (!self->stopping)
    {
      gint64 until = g_get_monotonic_time () + self->interval_ms * G_TIME_SPAN_MILLISECOND;
      guint64 version = 0;
      gboolean ok;

      g_mutex_unlock (&self->mutex);
      ok = drd_store_get_data_version (self->store, &version, NULL);
      if (ok && have && version != last)
        {
          Report *r = g_new0 (Report, 1);
          GSource *source = g_idle_source_new ();

          g_weak_ref_init (&r->monitor, self);
          g_source_set_priority (source, G_PRIORITY_DEFAULT);
          g_source_set_callback (source, report_from_thread, r, report_free);
          g_source_attach (source, self->context);
          g_source_unref (source);
        }
      if (ok)
        {
          last = version;
          have = TRUE;
        }
      g_mutex_lock (&self->mutex);
      while (!self->stopping && g_get_monotonic_time () < until)
        g_cond_wait_until (&self->cond, &self->mutex, until);
    }
  g_mutex_unlock (&self->mutex);
  return NULL;
}

static void
on_store_changed (DrdStore *store, DrdLiveMonitor *self)
{
  /* This process's own commits: report at once (coalesced). */
  if (self->pending_id == 0)
    self->pending_id = g_idle_add (report_changed, self);
}

void
drd_live_monitor_stop (DrdLiveMonitor *self)
{
  g_return_if_fail (DRD_IS_LIVE_MONITOR (self));

  g_mutex_lock (&self->mutex);
  self->stopping = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->mutex);
  if (self->thread != NULL)
    g_thread_join (g_steal_pointer (&self->thread));
  if (self->changed_id != 0)
    g_clear_signal_handler (&self->changed_id, self->store);
  g_clear_handle_id (&self->pending_id, g_source_remove);
}

static void
drd_live_monitor_dispose (GObject *object)
{
  DrdLiveMonitor *self = DRD_LIVE_MONITOR (object);

  if (self->store != NULL)
    drd_live_monitor_stop (self);
  g_clear_object (&self->store);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (drd_live_monitor_parent_class)->dispose (object);
}

static void
drd_live_monitor_finalize (GObject *object)
{
  DrdLiveMonitor *self = DRD_LIVE_MONITOR (object);

  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (drd_live_monitor_parent_class)->finalize (object);
}

static void
drd_live_monitor_class_init (DrdLiveMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = drd_live_monitor_dispose;
  object_class->finalize = drd_live_monitor_finalize;
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
drd_live_monitor_init (DrdLiveMonitor *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
}

DrdLiveMonitor *
drd_live_monitor_new (DrdStore *store, guint interval_ms)
{
  DrdLiveMonitor *self = g_object_new (DRD_TYPE_LIVE_MONITOR, NULL);

  self->store = g_object_ref (store);
  self->interval_ms = interval_ms;
  self->context = g_main_context_ref_thread_default ();
  self->changed_id = g_signal_connect (store, "changed", G_CALLBACK (on_store_changed), self);
  self->thread = g_thread_new ("drd-live-mon", poll_thread, self);
  return self;
}
