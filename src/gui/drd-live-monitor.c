/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "gui/drd-live-monitor.h"

struct _DrdLiveMonitor
{
  GObject       parent_instance;

  DrdStore     *store;
  GCancellable *cancellable;
  guint         timeout_id;
  gulong        changed_id;
  guint64       version;
  gboolean      have_version;
  gboolean      in_flight;
};

enum {
  CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (DrdLiveMonitor, drd_live_monitor, G_TYPE_OBJECT)

static void
poll_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DrdStore *store = task_data;
  GError *error = NULL;
  guint64 *version = g_new0 (guint64, 1);

  if (drd_store_get_data_version (store, version, &error))
    g_task_return_pointer (task, version, g_free);
  else
    {
      g_free (version);
      g_task_return_error (task, error);
    }
}

static void
on_polled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DrdLiveMonitor *self = DRD_LIVE_MONITOR (source);
  g_autoptr(GError) error = NULL;
  g_autofree guint64 *version = g_task_propagate_pointer (G_TASK (result), &error);

  self->in_flight = FALSE;
  if (version == NULL)
    return;
  if (self->have_version && *version != self->version)
    {
      self->version = *version;
      g_signal_emit (self, signals[CHANGED], 0);
      return;
    }
  self->version = *version;
  self->have_version = TRUE;
}

static gboolean
on_tick (gpointer user_data)
{
  DrdLiveMonitor *self = user_data;
  GTask *task;

  if (self->in_flight)
    return G_SOURCE_CONTINUE;   /* a slow poll is still running: never pile up */
  self->in_flight = TRUE;
  task = g_task_new (self, self->cancellable, on_polled, NULL);
  g_task_set_source_tag (task, on_tick);
  g_task_set_task_data (task, g_object_ref (self->store), g_object_unref);
  g_task_run_in_thread (task, poll_thread);
  g_object_unref (task);
  return G_SOURCE_CONTINUE;
}

static void
on_store_changed (DrdStore *store, DrdLiveMonitor *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

void
drd_live_monitor_stop (DrdLiveMonitor *self)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->changed_id != 0)
    g_clear_signal_handler (&self->changed_id, self->store);
  g_cancellable_cancel (self->cancellable);
}

static void
drd_live_monitor_dispose (GObject *object)
{
  DrdLiveMonitor *self = DRD_LIVE_MONITOR (object);

  if (self->store != NULL)
    drd_live_monitor_stop (self);
  g_clear_object (&self->store);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (drd_live_monitor_parent_class)->dispose (object);
}

static void
drd_live_monitor_class_init (DrdLiveMonitorClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = drd_live_monitor_dispose;
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
drd_live_monitor_init (DrdLiveMonitor *self)
{
  self->cancellable = g_cancellable_new ();
}

DrdLiveMonitor *
drd_live_monitor_new (DrdStore *store, guint interval_ms)
{
  DrdLiveMonitor *self = g_object_new (DRD_TYPE_LIVE_MONITOR, NULL);

  self->store = g_object_ref (store);
  self->changed_id = g_signal_connect (store, "changed", G_CALLBACK (on_store_changed), self);
  self->timeout_id = g_timeout_add (interval_ms, on_tick, self);
  on_tick (self);
  return self;
}
