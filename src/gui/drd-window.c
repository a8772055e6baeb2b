/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gui/drd-gui-util.h"
#include "gui/drd-window-private.h"

G_DEFINE_FINAL_TYPE (DrdWindow, drd_window, GTK_TYPE_APPLICATION_WINDOW)

static void reload (DrdWindow *self);

/* ---- window state (size, view) ----
 * In GSettings (the application's schema: window-width, window-height,
 * window-maximized, selected-view) when the schema is installed; running
 * uninstalled without it, in a small key file under the config dir. */

static GSettings *
window_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source == NULL)
    return NULL;
  schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL || !g_settings_schema_has_key (schema, "selected-view"))
    return NULL;
  return g_settings_new (APP_ID);
}

static char *
state_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "drdesk", "window-state.ini", NULL);
}

static void
apply_state (DrdWindow *self, int w, int h, gboolean maximized, const char *view, int zoom)
{
  if (w >= 360 && h >= 300)
    gtk_window_set_default_size (GTK_WINDOW (self), w, h);
  if (maximized)
    gtk_window_maximize (GTK_WINDOW (self));
  if (view != NULL && gtk_stack_get_child_by_name (self->stack, view) != NULL)
    gtk_stack_set_visible_child_name (self->stack, view);
  if (zoom >= 0)
    gtk_drop_down_set_selected (self->zoom_dropdown, CLAMP (zoom, 0, 2));
}

static void
load_state (DrdWindow *self)
{
  g_autoptr(GSettings) settings = window_settings ();
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *path = state_path ();
  g_autofree char *view = NULL;
  int zoom = -1;

  if (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL)
      && g_key_file_has_key (kf, "timeline", "zoom", NULL))
    zoom = g_key_file_get_integer (kf, "timeline", "zoom", NULL);
  if (settings != NULL)
    {
      view = g_settings_get_string (settings, "selected-view");
      apply_state (self, g_settings_get_int (settings, "window-width"),
                   g_settings_get_int (settings, "window-height"),
                   g_settings_get_boolean (settings, "window-maximized"), view, zoom);
      return;
    }
  view = g_key_file_get_string (kf, "window", "view", NULL);
  apply_state (self, g_key_file_get_integer (kf, "window", "width", NULL),
               g_key_file_get_integer (kf, "window", "height", NULL),
               g_key_file_get_boolean (kf, "window", "maximized", NULL), view, zoom);
}

static void
save_state (DrdWindow *self)
{
  g_autoptr(GSettings) settings = window_settings ();
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *path = state_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;
  const char *view = gtk_stack_get_visible_child_name (self->stack);
  gboolean maximized = gtk_window_is_maximized (GTK_WINDOW (self));
  int w, h;

  gtk_window_get_default_size (GTK_WINDOW (self), &w, &h);
  if (settings != NULL)
    {
      g_settings_delay (settings);
      g_settings_set_int (settings, "window-width", MAX (w, 360));
      g_settings_set_int (settings, "window-height", MAX (h, 300));
      g_settings_set_boolean (settings, "window-maximized", maximized);
      if (view != NULL)
        g_settings_set_string (settings, "selected-view", view);
      g_settings_apply (settings);
    }
  else
    {
      g_key_file_set_integer (kf, "window", "width", w);
      g_key_file_set_integer (kf, "window", "height", h);
      g_key_file_set_boolean (kf, "window", "maximized", maximized);
      g_key_file_set_string (kf, "window", "view", view ? view : "customers");
    }
  /* The timeline zoom has no key in the schema (yet): key file. */
  g_key_file_set_integer (kf, "timeline", "zoom", gtk_drop_down_get_selected (self->zoom_dropdown));
  if (g_mkdir_with_parents (dir, 0700) != 0
      || !g_key_file_save_to_file (kf, path, &error))
    g_debug ("window state not saved: %s", error ? error->message : g_strerror (errno));
}

static gboolean
drd_window_close_request (GtkWindow *window)
{
  save_state (DRD_WINDOW (window));
  return GTK_WINDOW_CLASS (drd_window_parent_class)->close_request (window);
}

/* ---- toast ---- */

static gboolean
hide_toast (gpointer user_data)
{
  DrdWindow *self = user_data;

  self->toast_timeout = 0;
  gtk_revealer_set_reveal_child (self->toast_revealer, FALSE);
  return G_SOURCE_REMOVE;
}

void
drd_window_show_toast (DrdWindow *self, const char *message)
{
  g_return_if_fail (DRD_IS_WINDOW (self));

  gtk_label_set_text (self->toast_label, message);
  gtk_revealer_set_reveal_child (self->toast_revealer, TRUE);
  g_clear_handle_id (&self->toast_timeout, g_source_remove);
  self->toast_timeout = g_timeout_add_seconds (8, hide_toast, self);
}

const char *
drd_window_get_toast (DrdWindow *self)
{
  return gtk_revealer_get_reveal_child (self->toast_revealer)
         ? gtk_label_get_text (self->toast_label) : NULL;
}

static void
on_toast_close (DrdWindow *self)
{
  g_clear_handle_id (&self->toast_timeout, g_source_remove);
  hide_toast (self);
}

/* ---- events, selection, counts ---- */

const DrdEvent *
drd_window_lookup_event (DrdWindow *self, gint64 id)
{
  for (guint i = 0; self->events != NULL && i < self->events->len; i++)
    {
      DrdEvent *e = g_ptr_array_index (self->events, i);
      if (e->id == id)
        return e;
    }
  return NULL;
}

/* The event the overview follows: the running one, else the next
 * scheduled one. */
static const DrdEvent *
current_event (DrdWindow *self)
{
  const DrdEvent *next = NULL;

  for (guint i = 0; self->events != NULL && i < self->events->len; i++)
    {
      DrdEvent *e = g_ptr_array_index (self->events, i);

      if (e->status == DRD_EVENT_ACTIVE)
        return e;
      if (e->status == DRD_EVENT_SCHEDULED && (next == NULL || e->start_at < next->start_at))
        next = e;
    }
  return next;
}

/* Ended, its settlement not finished. */
static gboolean
ended_not_settled (const DrdEvent *e)
{
  return e != NULL && (e->status == DRD_EVENT_ENDED || e->status == DRD_EVENT_SETTLING);
}

typedef struct {
  DrdWindow *self;
  gint64     event_id;
  gboolean   for_overview;
  gboolean   for_responses;
} CountsRequest;

static void
on_counts (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CountsRequest *req = user_data;
  DrdWindow *self = req->self;
  g_autoptr(GError) error = NULL;
  DrdResponseCounts counts;

  if (drd_store_get_response_counts_finish (DRD_STORE (source), result, &counts, &error))
    {
      if (req->for_overview && drd_overview_get_event_id (self->overview) == req->event_id)
        drd_overview_set_counts (self->overview, &counts);
      if (req->for_responses && self->selected_event == req->event_id)
        drd_responses_view_set_counts (self->responses_view, &counts);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
           && !g_error_matches (error, DRD_STORE_ERROR, DRD_STORE_ERROR_NOT_FOUND))
    drd_window_show_toast (self, error->message);
  g_object_unref (req->self);
  g_free (req);
}

static void
request_counts (DrdWindow *self, gint64 event_id, gboolean overview, gboolean responses)
{
  CountsRequest *req;

  if (event_id <= 0 || self->store == NULL)
    return;
  req = g_new0 (CountsRequest, 1);
  req->self = g_object_ref (self);
  req->event_id = event_id;
  req->for_overview = overview;
  req->for_responses = responses;
  drd_store_get_response_counts_async (self->store, event_id, self->cancellable, on_counts, req);
}

static void
update_selection (DrdWindow *self)
{
  const DrdEvent *sel = drd_window_lookup_event (self, self->selected_event);

  drd_timeline_set_selected (self->timeline, sel ? sel->id : 0);
  /* An event selected before the event list has it (one just started):
   * the tables wait for on_events rather than clearing (and rebuilding
   * every row widget) in between. */
  if (sel != NULL || self->selected_event == 0)
    {
      drd_responses_view_set_event (self->responses_view, sel);
      drd_settlement_view_set_event (self->settlement_view, sel);
    }
  if (sel != NULL)
    {
      g_autofree char *window = drd_gui_format_window (sel->start_at, sel->end_at);
      g_autofree char *text = g_strdup_printf ("%s · %s · %s · %s", sel->name,
                                               drd_gui_kind_label (sel->kind), window,
                                               drd_gui_status_label (sel->status));
      gtk_label_set_text (self->selected_label, text);
    }
  else
    gtk_label_set_text (self->selected_label, _("No event selected"));
  drd_window_update_actions (self);
}

static void
on_events (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DrdWindow *self = user_data;
  g_autoptr(GError) error = NULL;
  GPtrArray *events = drd_store_list_events_finish (DRD_STORE (source), result, &error);
  g_autoptr(GPtrArray) items = NULL;
  const DrdEvent *cur;
  gint64 now = drd_store_now ();

  self->loading_events = FALSE;
  if (events == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        drd_window_show_toast (self, error->message);
      g_object_unref (self);
      return;
    }
  g_clear_pointer (&self->events, g_ptr_array_unref);
  self->events = events;

  items = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_timeline_event_free);
  for (guint i = 0; i < events->len; i++)
    {
      DrdEvent *e = g_ptr_array_index (events, i);
      g_ptr_array_add (items, drd_timeline_event_new (e->id, e->name, e->kind, e->status,
                                                      e->start_at, e->end_at));
    }
  drd_timeline_set_events (self->timeline, items);

  cur = current_event (self);
  /* Follow the current event unless the operator picked one; an event
   * that just ended stays selected (and in the overview, unless another
   * one runs) while it is being settled, so its answers and its
   * settlement stay in view: a later scheduled event does not take over. */
  if (drd_window_lookup_event (self, self->selected_event) == NULL)
    {
      self->user_selected = FALSE;
      self->selected_event = cur != NULL ? cur->id : 0;
    }
  else if (!self->user_selected && cur != NULL
           && (cur->status == DRD_EVENT_ACTIVE
               || !ended_not_settled (drd_window_lookup_event (self, self->selected_event))))
    self->selected_event = cur->id;
  if ((cur == NULL || cur->status != DRD_EVENT_ACTIVE)
      && ended_not_settled (drd_window_lookup_event (self, self->selected_event)))
    cur = drd_window_lookup_event (self, self->selected_event);
  drd_overview_set_event (self->overview, cur, now);
  update_selection (self);
  request_counts (self, cur ? cur->id : 0, TRUE, cur && cur->id == self->selected_event);
  if (self->selected_event != 0 && (cur == NULL || cur->id != self->selected_event))
    request_counts (self, self->selected_event, FALSE, TRUE);

  if (self->reload_again)
    {
      self->reload_again = FALSE;
      reload (self);
    }
  g_object_unref (self);
}

static void
reload (DrdWindow *self)
{
  if (self->store == NULL)
    return;
  if (self->loading_events)
    {
      self->reload_again = TRUE;
      return;
    }
  self->loading_events = TRUE;
  drd_store_list_events_async (self->store, drd_store_now (), self->cancellable, on_events,
                               g_object_ref (self));
}

void
drd_window_refresh (DrdWindow *self)
{
  reload (self);
  drd_responses_view_refresh (self->responses_view);
  drd_customers_view_refresh (self->customers_view);
  drd_settlement_view_refresh (self->settlement_view);
}

static void
on_db_changed (DrdLiveMonitor *monitor, DrdWindow *self)
{
  gint64 cur = drd_overview_get_event_id (self->overview);

  /* Counts first and in parallel: they are what the operator watches. */
  request_counts (self, cur, TRUE, cur != 0 && cur == self->selected_event);
  drd_window_refresh (self);
}

void
drd_window_select_event (DrdWindow *self, gint64 event_id)
{
  g_return_if_fail (DRD_IS_WINDOW (self));

  self->user_selected = event_id != 0;
  if (event_id == 0)
    {
      const DrdEvent *cur = current_event (self);
      event_id = cur ? cur->id : 0;
    }
  self->selected_event = event_id;
  update_selection (self);
  request_counts (self, event_id, FALSE, TRUE);
}

gint64
drd_window_get_selected_event (DrdWindow *self)
{
  return self->selected_event;
}

static void
on_event_activated (DrdTimeline *timeline, gint64 event_id, DrdWindow *self)
{
  drd_window_select_event (self, event_id);
}

/* ---- timeline toolbar ---- */

static void
on_zoom_changed (DrdWindow *self)
{
  drd_timeline_set_zoom (self->timeline, (DrdTimelineZoom) gtk_drop_down_get_selected (self->zoom_dropdown));
}

static void
on_timeline_earlier (DrdWindow *self)
{
  drd_timeline_scroll_pages (self->timeline, -0.5);
}

static void
on_timeline_later (DrdWindow *self)
{
  drd_timeline_scroll_pages (self->timeline, 0.5);
}

static void
on_timeline_today (DrdWindow *self)
{
  drd_timeline_show_time (self->timeline, drd_timeline_get_now (self->timeline));
}

static void
on_timeline_zoom_notify (DrdTimeline *timeline, GParamSpec *pspec, DrdWindow *self)
{
  guint z = (guint) drd_timeline_get_zoom (timeline);

  if (gtk_drop_down_get_selected (self->zoom_dropdown) != z)
    gtk_drop_down_set_selected (self->zoom_dropdown, z);
}

/* ---- public ---- */

void
drd_window_set_store (DrdWindow *self, DrdStore *store)
{
  g_return_if_fail (DRD_IS_WINDOW (self));

  if (!g_set_object (&self->store, store))
    return;
  if (self->monitor != NULL)
    {
      drd_live_monitor_stop (self->monitor);
      g_signal_handlers_disconnect_by_data (self->monitor, self);
      g_clear_object (&self->monitor);
    }
  drd_customers_view_set_store (self->customers_view, store);
  drd_responses_view_set_store (self->responses_view, store);
  drd_settlement_view_set_store (self->settlement_view, store);
  if (store != NULL)
    {
      /* The window's own writes (an event start for 100,000 customers)
       * must not take the CPU from the frames it draws meanwhile. */
      drd_store_set_writer_background (store, TRUE);
      self->monitor = drd_live_monitor_new (store, 300);
      g_signal_connect (self->monitor, "changed", G_CALLBACK (on_db_changed), self);
      reload (self);
    }
  drd_window_update_actions (self);
}

DrdStore *
drd_window_get_store (DrdWindow *self)
{
  return self->store;
}

void
drd_window_set_view (DrdWindow *self, const char *name)
{
  gtk_stack_set_visible_child_name (self->stack, name);
}

DrdOverview *
drd_window_get_overview (DrdWindow *self)
{
  return self->overview;
}

DrdCustomersView *
drd_window_get_customers_view (DrdWindow *self)
{
  return self->customers_view;
}

DrdResponsesView *
drd_window_get_responses_view (DrdWindow *self)
{
  return self->responses_view;
}

DrdTimeline *
drd_window_get_timeline (DrdWindow *self)
{
  return self->timeline;
}

/* ---- settlement (gui-settle) ---- */

void
drd_window_set_settle_link (DrdWindow *self, DrdSettleLink *link)
{
  g_return_if_fail (DRD_IS_WINDOW (self));

  if (!g_set_object (&self->settle_link, link))
    return;
  drd_settlement_view_set_link (self->settlement_view, link);
  if (link != NULL)
    drd_settle_link_bind_overview (link, self->overview);
}

/* A response row selected: its load against the CBL under the table,
 * once the event is over (the chart comes from the meter cache). */
static void
on_response_customer (DrdResponsesView *view, gint64 customer_id, DrdWindow *self)
{
  const DrdEvent *sel = drd_window_lookup_event (self, self->selected_event);
  gboolean show = sel != NULL && customer_id > 0
                  && (sel->status == DRD_EVENT_ENDED || sel->status == DRD_EVENT_SETTLING
                      || sel->status == DRD_EVENT_SETTLED);

  gtk_widget_set_visible (GTK_WIDGET (self->responses_chart), show);
  if (show)
    {
      g_autofree char *title = g_strdup_printf (_("Customer %lld: load on the event day"),
                                                (long long) customer_id);
      drd_load_chart_load (self->responses_chart, self->store,
                           self->settle_link ? drd_settle_link_get_params (self->settle_link) : NULL,
                           sel->id, customer_id, title);
    }
  else
    drd_load_chart_load (self->responses_chart, NULL, NULL, 0, 0, NULL);
}

DrdLoadChart *
drd_window_get_responses_chart (DrdWindow *self)
{
  return self->responses_chart;
}

DrdSettlementView *
drd_window_get_settlement_view (DrdWindow *self)
{
  return self->settlement_view;
}

static void
drd_window_dispose (GObject *object)
{
  DrdWindow *self = DRD_WINDOW (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->monitor != NULL)
    {
      drd_live_monitor_stop (self->monitor);
      g_signal_handlers_disconnect_by_data (self->monitor, self);
      g_clear_object (&self->monitor);
    }
  g_clear_handle_id (&self->toast_timeout, g_source_remove);
  if (self->export_cancellable != NULL)
    g_cancellable_cancel (self->export_cancellable);
  g_clear_object (&self->export_cancellable);
  g_clear_object (&self->settle_link);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_pointer (&self->events, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), DRD_TYPE_WINDOW);
  G_OBJECT_CLASS (drd_window_parent_class)->dispose (object);
}

static void
drd_window_class_init (DrdWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = drd_window_dispose;
  window_class->close_request = drd_window_close_request;

  g_type_ensure (DRD_TYPE_OVERVIEW);
  g_type_ensure (DRD_TYPE_CUSTOMERS_VIEW);
  g_type_ensure (DRD_TYPE_RESPONSES_VIEW);
  g_type_ensure (DRD_TYPE_TIMELINE);
  g_type_ensure (DRD_TYPE_SETTLEMENT_VIEW);
  g_type_ensure (DRD_TYPE_LOAD_CHART);
  gtk_widget_class_set_template_from_resource (widget_class, "/kr/drdesk/DrDesk/drd-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DrdWindow, overview);
  gtk_widget_class_bind_template_child (widget_class, DrdWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, DrdWindow, customers_view);
  gtk_widget_class_bind_template_child (widget_class, DrdWindow, responses_view);
  gtk_widget_class_bind_template_child (widget_class, DrdWindow, timeline);
  gtk_widget_class_bind_template_child (widget_class, DrdWindow, zoom_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DrdWindow, selected_label);
  gtk_widget_class_bind_template_child (widget_class, DrdWindow, toast_revealer);
  gtk_widget_class_bind_template_child (widget_class, DrdWindow, toast_label);
  gtk_widget_class_bind_template_child (widget_class, DrdWindow, settlement_view);
  gtk_widget_class_bind_template_child (widget_class, DrdWindow, responses_chart);
  gtk_widget_class_bind_template_callback (widget_class, on_zoom_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_timeline_earlier);
  gtk_widget_class_bind_template_callback (widget_class, on_timeline_later);
  gtk_widget_class_bind_template_callback (widget_class, on_timeline_today);
  gtk_widget_class_bind_template_callback (widget_class, on_toast_close);
  drd_window_actions_init (klass);
}

static void
drd_window_init (DrdWindow *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self->timeline, "event-activated", G_CALLBACK (on_event_activated), self);
  g_signal_connect (self->timeline, "notify::zoom", G_CALLBACK (on_timeline_zoom_notify), self);
  g_signal_connect (self->responses_view, "customer-selected", G_CALLBACK (on_response_customer),
                    self);
  load_state (self);
  on_zoom_changed (self);
  update_selection (self);
}

DrdWindow *
drd_window_new (GtkApplication *app)
{
  return g_object_new (DRD_TYPE_WINDOW, "application", app, NULL);
}
