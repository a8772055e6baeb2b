/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "service/drd-dispatcher.h"

#define ACTOR "system"

struct _DrdDispatcher
{
  GObject       parent_instance;

  DrdStore     *store;
  GCancellable *cancellable;
  guint         interval_ms;
  guint         timer_id;
  guint         exact_id;
  gboolean      checking;
  gboolean      again;
  gboolean      running;
};

G_DEFINE_FINAL_TYPE (DrdDispatcher, drd_dispatcher, G_TYPE_OBJECT)

enum { PROP_0, PROP_INTERVAL_MS, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_EVENT_ENDED, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef struct {
  GArray *due;      /* gint64 ids of active events with end_at <= now */
  gint64  next_end; /* earliest end_at in the future of a scheduled/active event; 0 = none */
} CheckData;

static void
check_data_free (CheckData *d)
{
  g_array_unref (d->due);
  g_free (d);
}

static void
check_thread (GTask        *task,
              gpointer      source,
              gpointer      data,
              GCancellable *cancellable)
{
  DrdDispatcher *self = source;
  CheckData *d = data;
  GError *error = NULL;
  gint64 now = drd_store_now ();
  g_autoptr(GPtrArray) events = drd_store_list_events (self->store, now, &error);

  if (events == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  for (guint i = 0; i < events->len; i++)
    {
      DrdEvent *e = g_ptr_array_index (events, i);

      if (e->status != DRD_EVENT_SCHEDULED && e->status != DRD_EVENT_ACTIVE)
        continue;
      /* Recorded after the fact (backfill: created once its window was
       * over): the operator records answers first and ends it himself. */
      if (e->created_at >= e->end_at)
        continue;
      if (e->end_at <= now)
        g_array_append_val (d->due, e->id);
      else if (d->next_end == 0 || e->end_at < d->next_end)
        d->next_end = e->end_at;
    }
  g_task_return_boolean (task, TRUE);
}

static void check (DrdDispatcher *self);

static gboolean
exact_cb (gpointer data)
{
  DrdDispatcher *self = data;

  self->exact_id = 0;
  check (self);
  return G_SOURCE_REMOVE;
}

typedef struct {
  DrdDispatcher *self;
  gint64         event_id;
} EndData;

static void
end_done (GObject      *source,
          GAsyncResult *result,
          gpointer      data)
{
  EndData *d = data;
  g_autoptr(GError) error = NULL;

  if (drd_store_end_event_finish (DRD_STORE (source), result, &error))
    g_signal_emit (d->self, signals[SIGNAL_EVENT_ENDED], 0, d->event_id);
  else if (!g_error_matches (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONFLICT)
           && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not end event %" G_GINT64_FORMAT ": %s", d->event_id, error->message);
  /* CONFLICT: someone ended or cancelled it meanwhile — fine. */
  g_object_unref (d->self);
  g_free (d);
}

static void
check_done (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  DrdDispatcher *self = DRD_DISPATCHER (source);
  CheckData *d = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  self->checking = FALSE;
  if (!self->running)
    return;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_warning ("Could not list events: %s", error->message);
  else
    {
      for (guint i = 0; i < d->due->len; i++)
        {
          EndData *e = g_new0 (EndData, 1);

          e->self = g_object_ref (self);
          e->event_id = g_array_index (d->due, gint64, i);
          drd_store_end_event_async (self->store, e->event_id, ACTOR, drd_store_now (),
                                     self->cancellable, end_done, e);
        }
      g_clear_handle_id (&self->exact_id, g_source_remove);
      if (d->next_end != 0)
        {
          gint64 delay_ms = (d->next_end - drd_store_now ()) * 1000 + 50;

          if (delay_ms < (gint64) self->interval_ms)
            self->exact_id = g_timeout_add ((guint) MAX (delay_ms, 0), exact_cb, self);
        }
    }
  if (self->again)
    {
      self->again = FALSE;
      check (self);
    }
}

static void
check (DrdDispatcher *self)
{
  GTask *task;
  CheckData *d;

  if (!self->running)
    return;
  if (self->checking)
    {
      self->again = TRUE;
      return;
    }
  self->checking = TRUE;
  d = g_new0 (CheckData, 1);
  d->due = g_array_new (FALSE, FALSE, sizeof (gint64));
  task = g_task_new (self, NULL, check_done, NULL);
  g_task_set_task_data (task, d, (GDestroyNotify) check_data_free);
  g_task_run_in_thread (task, check_thread);
  g_object_unref (task);
}

static gboolean
timer_cb (gpointer data)
{
  check (data);
  return G_SOURCE_CONTINUE;
}

void
drd_dispatcher_check (DrdDispatcher *self)
{
  g_return_if_fail (DRD_IS_DISPATCHER (self));
  check (self);
}

void
drd_dispatcher_start (DrdDispatcher *self)
{
  g_return_if_fail (DRD_IS_DISPATCHER (self));

  if (self->running)
    return;
  self->running = TRUE;
  self->timer_id = g_timeout_add (self->interval_ms, timer_cb, self);
  check (self);
}

void
drd_dispatcher_stop (DrdDispatcher *self)
{
  g_return_if_fail (DRD_IS_DISPATCHER (self));

  self->running = FALSE;
  g_clear_handle_id (&self->timer_id, g_source_remove);
  g_clear_handle_id (&self->exact_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
}

DrdDispatcher *
drd_dispatcher_new (DrdStore *store)
{
  DrdDispatcher *self;

  g_return_val_if_fail (DRD_IS_STORE (store), NULL);
  self = g_object_new (DRD_TYPE_DISPATCHER, NULL);
  self->store = g_object_ref (store);
  return self;
}

static void
drd_dispatcher_dispose (GObject *object)
{
  DrdDispatcher *self = DRD_DISPATCHER (object);

  drd_dispatcher_stop (self);
  G_OBJECT_CLASS (drd_dispatcher_parent_class)->dispose (object);
}

static void
drd_dispatcher_finalize (GObject *object)
{
  DrdDispatcher *self = DRD_DISPATCHER (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (drd_dispatcher_parent_class)->finalize (object);
}

static void
drd_dispatcher_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  DrdDispatcher *self = DRD_DISPATCHER (object);

  switch (prop_id)
    {
    case PROP_INTERVAL_MS: g_value_set_uint (value, self->interval_ms); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
drd_dispatcher_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  DrdDispatcher *self = DRD_DISPATCHER (object);

  switch (prop_id)
    {
    case PROP_INTERVAL_MS: self->interval_ms = g_value_get_uint (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
drd_dispatcher_class_init (DrdDispatcherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = drd_dispatcher_dispose;
  object_class->finalize = drd_dispatcher_finalize;
  object_class->get_property = drd_dispatcher_get_property;
  object_class->set_property = drd_dispatcher_set_property;

  /* Safety net period; the exact timer handles known end times. */
  properties[PROP_INTERVAL_MS] =
    g_param_spec_uint ("interval-ms", NULL, NULL, 10, 3600000, 10000,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_EVENT_ENDED] =
    g_signal_new ("event-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
}

static void
drd_dispatcher_init (DrdDispatcher *self)
{
  self->cancellable = g_cancellable_new ();
}
