/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gui/drd-cell-factory.h"
#include "gui/drd-gui-util.h"
#include "gui/drd-settlement-view.h"
#include "store/drd-store-settle.h"

struct _DrdSettlementView
{
  GtkWidget           parent_instance;

  GtkWidget          *box;
  GtkLabel           *title_label;
  GtkLabel           *link_label;
  GtkButton          *retry_button;
  GtkProgressBar     *progress_bar;
  GtkLabel           *progress_label;
  GtkLabel           *summary_label;
  GtkDropDown        *filter;
  GtkColumnView      *column_view;
  GtkSingleSelection *selection;
  DrdLoadChart       *chart;
  GtkLabel           *explain_label;

  DrdStore           *store;
  DrdSettleLink      *link;
  DrdSettleModel     *model;
  GCancellable       *cancellable;
  GCancellable       *chart_cancellable;
  gint64              event_id;
  gint64              event_target_w;
  gint64              event_start;
  gint64              event_end;
  char               *event_name;
  guint               refresh_source;
  guint               progress_generation;
  gint64              chart_customer;
};

G_DEFINE_FINAL_TYPE (DrdSettlementView, drd_settlement_view, GTK_TYPE_WIDGET)

static const DrdOutcome filter_outcomes[] = {
  DRD_OUTCOME_PENDING, DRD_OUTCOME_PERFORMED, DRD_OUTCOME_NOT_PERFORMED,
  DRD_OUTCOME_NOT_PARTICIPATING, DRD_OUTCOME_NEEDS_REVIEW,
};

/* ---- KEPCO link ---- */

static void
update_link (DrdSettlementView *self)
{
  g_autofree char *text = NULL;
  g_autofree char *err = NULL;
  DrdKepcoClient *client;
  const char *state;

  if (self->link == NULL)
    {
      gtk_label_set_text (self->link_label, _("KEPCO link: not running"));
      return;
    }
  client = drd_settle_link_get_client (self->link);
  switch (drd_kepco_client_get_breaker_state (client))
    {
    case DRD_KEPCO_BREAKER_OPEN: state = _("down (circuit open)"); break;
    case DRD_KEPCO_BREAKER_HALF_OPEN: state = _("recovering (circuit half-open)"); break;
    case DRD_KEPCO_BREAKER_CLOSED:
    default: state = _("up"); break;
    }
  err = drd_kepco_client_dup_last_error (client);
  if (err != NULL && drd_kepco_client_get_breaker_state (client) != DRD_KEPCO_BREAKER_CLOSED)
    text = g_strdup_printf (_("KEPCO link: %s — %s"), state, err);
  else
    text = g_strdup_printf (_("KEPCO link: %s"), state);
  gtk_label_set_text (self->link_label, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->link_label), drd_settle_link_get_url (self->link));
}

/* ---- progress and summary (worker thread reads) ---- */

typedef struct {
  DrdSettleProgress progress;
  DrdEventSummary   summary;
  gboolean          have_summary;
} Snapshot;

static void
snapshot_free (Snapshot *s)
{
  drd_settle_progress_clear (&s->progress);
  g_free (s);
}

static void
snapshot_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  DrdStore *store = source;
  gint64 event_id = GPOINTER_TO_SIZE (data);
  Snapshot *s = g_new0 (Snapshot, 1);
  GError *error = NULL;

  if (!drd_store_settle_get_progress (store, event_id, drd_store_now (), &s->progress, &error))
    {
      snapshot_free (s);
      g_task_return_error (task, error);
      return;
    }
  s->have_summary = drd_store_settle_get_summary (store, event_id, &s->summary, NULL);
  g_task_return_pointer (task, s, (GDestroyNotify) snapshot_free);
}

static char *
format_int (gint64 v)
{
  /* thousands separators, locale independent */
  g_autofree char *digits = g_strdup_printf ("%" G_GINT64_FORMAT, v < 0 ? -v : v);
  GString *s = g_string_new (v < 0 ? "-" : "");
  size_t n = strlen (digits);

  for (size_t i = 0; i < n; i++)
    {
      if (i > 0 && (n - i) % 3 == 0)
        g_string_append_c (s, ',');
      g_string_append_c (s, digits[i]);
    }
  return g_string_free (s, FALSE);
}

/* "15:10" today (Korean time), "2026-12-03 09:00" on another day. */
static char *
format_when (gint64 t)
{
  if (drd_gui_local_midnight (t) == drd_gui_local_midnight (drd_store_now ()))
    return drd_gui_format_clock (t);
  return drd_gui_format_time (t);
}

static void
show_snapshot (DrdSettlementView *self, const Snapshot *s)
{
  const DrdSettleProgress *p = &s->progress;
  GString *text = g_string_new (NULL);
  g_autofree char *done = format_int (p->n_settled);
  g_autofree char *total = format_int (p->n_targeted);
  double fraction = p->n_targeted > 0 ? (double) p->n_settled / p->n_targeted : 0;

  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (fraction, 0, 1));
  g_string_append_printf (text, _("%s of %s customers settled"), done, total);
  if (self->link != NULL && p->n_settled < p->n_targeted)
    {
      DrdSettler *settler = drd_settle_link_get_settler (self->link);
      double rate = drd_settler_get_rate (settler);
      double eta = drd_settler_get_eta_seconds (settler);

      if (rate > 0)
        g_string_append_printf (text, _(" · %.1f customers/s"), rate);
      if (eta >= 0 && rate > 0)
        {
          /* the event's own remainder at the settler's rate */
          g_autofree char *left = drd_gui_format_duration ((gint64) ((p->n_targeted - p->n_settled) / rate + 0.5));
          g_string_append_printf (text, _(" · about %s left"), left);
        }
    }
  if (p->n_waiting_data > 0)
    {
      /* Not settled on missing data: say who waits for KEPCO, until when. */
      guint deadline_s = DRD_SETTLER_DEFAULT_DATA_DEADLINE_S;
      g_autofree char *next = NULL, *until = NULL;

      if (self->link != NULL)
        g_object_get (drd_settle_link_get_settler (self->link), "data-deadline-s", &deadline_s, NULL);
      next = format_when (p->next_data_attempt_at);
      until = drd_gui_format_time (self->event_end + deadline_s);
      g_string_append_printf (text,
                              g_dngettext (GETTEXT_PACKAGE,
                                           " · %lld customer waits for KEPCO meter data, next try %s"
                                           " (without data by %s: needs review)",
                                           " · %lld customers wait for KEPCO meter data, next try %s"
                                           " (without data by %s: needs review)",
                                           (gulong) p->n_waiting_data),
                              (long long) p->n_waiting_data, next, until);
    }
  if (p->n_waiting > p->n_waiting_data)
    g_string_append_printf (text, _(" · %lld waiting to retry"),
                            (long long) (p->n_waiting - p->n_waiting_data));
  if (p->n_failed > 0)
    g_string_append_printf (text, _(" · %lld failed"), (long long) p->n_failed);
  if (p->last_error != NULL && (p->n_waiting > 0 || p->n_failed > 0))
    g_string_append_printf (text, _(" · last error: %s"), p->last_error);
  gtk_label_set_text (self->progress_label, text->str);
  gtk_widget_set_sensitive (GTK_WIDGET (self->retry_button),
                            self->link != NULL
                            && (p->n_waiting > 0 || p->n_failed > 0 || p->n_waiting_data > 0));
  g_string_free (text, TRUE);

  if (s->have_summary)
    {
      const DrdEventSummary *sum = &s->summary;
      GString *t = g_string_new (NULL);
      double pct;
      g_autofree char *points = format_int (sum->points_total);

      if (drd_event_summary_delivery_percent (sum, &pct))
        g_string_append_printf (t, _("Delivered %.1f %% of the target (%.1f of %.1f kWh)"), pct,
                                sum->accepted_reduction_wh / 1000.0,
                                drd_event_summary_target_wh (sum) / 1000.0);
      else
        g_string_append (t, _("No target set"));
      g_string_append_printf (t, _(" · performed %u · not performed %u · not participating %u"
                                   " · needs review %u · points %s"),
                              sum->n_by_outcome[DRD_OUTCOME_PERFORMED],
                              sum->n_by_outcome[DRD_OUTCOME_NOT_PERFORMED],
                              sum->n_by_outcome[DRD_OUTCOME_NOT_PARTICIPATING],
                              sum->n_by_outcome[DRD_OUTCOME_NEEDS_REVIEW], points);
      gtk_label_set_text (self->summary_label, t->str);
      g_string_free (t, TRUE);
    }
  else
    gtk_label_set_text (self->summary_label, "");
}

typedef struct {
  DrdSettlementView *self;
  guint              generation;
} SnapReq;

static void
on_snapshot (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SnapReq *req = user_data;
  g_autoptr(GError) error = NULL;
  Snapshot *s = g_task_propagate_pointer (G_TASK (result), &error);

  if (s != NULL && req->generation == req->self->progress_generation)
    show_snapshot (req->self, s);
  else if (s == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    gtk_label_set_text (req->self->progress_label, error->message);
  if (s != NULL)
    snapshot_free (s);
  g_object_unref (req->self);
  g_free (req);
}

static void
request_snapshot (DrdSettlementView *self)
{
  g_autoptr(GTask) task = NULL;
  SnapReq *req;

  if (self->store == NULL || self->event_id <= 0)
    return;
  req = g_new0 (SnapReq, 1);
  req->self = g_object_ref (self);
  req->generation = self->progress_generation;
  task = g_task_new (self->store, self->cancellable, on_snapshot, req);
  g_task_set_source_tag (task, request_snapshot);
  g_task_set_task_data (task, GSIZE_TO_POINTER ((gsize) self->event_id), NULL);
  g_task_run_in_thread (task, snapshot_thread);
}

static gboolean
refresh_now (gpointer data)
{
  DrdSettlementView *self = data;

  self->refresh_source = 0;
  request_snapshot (self);
  drd_settle_model_refresh (self->model);
  return G_SOURCE_REMOVE;
}

void
drd_settlement_view_refresh (DrdSettlementView *self)
{
  g_return_if_fail (DRD_IS_SETTLEMENT_VIEW (self));

  /* at most about once a second, however often the settler reports */
  if (self->refresh_source == 0)
    self->refresh_source = g_timeout_add (1000, refresh_now, self);
}

/* ---- chart ---- */

typedef struct {
  DrdSettlementView *self;
  gint64             customer_id;
} ChartReq;

static void
on_chart (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ChartReq *req = user_data;
  DrdSettlementView *self = req->self;
  g_autoptr(GError) error = NULL;
  DrdSettleChart *chart = drd_settle_chart_load_finish (result, &error);

  if (chart != NULL && req->customer_id == self->chart_customer)
    {
      g_autofree char *title = NULL;
      guint pos = drd_paged_model_find (DRD_PAGED_MODEL (self->model), req->customer_id);
      const DrdSettleRow *row = NULL;

      if (pos != G_MAXUINT)
        {
          g_autoptr(DrdSettleItem) item = g_list_model_get_item (G_LIST_MODEL (self->model), pos);
          row = drd_settle_item_get_row (item);
        }
      if (row != NULL)
        title = g_strdup_printf (_("%s (%lld): load on the event day"), row->customer_name,
                                 (long long) req->customer_id);
      else
        title = g_strdup_printf (_("Customer %lld: load on the event day"),
                                 (long long) req->customer_id);
      gtk_label_set_text (self->explain_label, chart->explanation ? chart->explanation : "");
      drd_load_chart_set_chart (self->chart, chart, title);
    }
  else if (chart != NULL)
    drd_settle_chart_free (chart);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      drd_load_chart_set_chart (self->chart, NULL, NULL);
      drd_load_chart_set_message (self->chart, error->message);
      gtk_label_set_text (self->explain_label, "");
    }
  g_object_unref (req->self);
  g_free (req);
}

void
drd_settlement_view_show_customer (DrdSettlementView *self, gint64 customer_id)
{
  DrdParams defaults;
  const DrdParams *params;
  ChartReq *req;

  g_return_if_fail (DRD_IS_SETTLEMENT_VIEW (self));

  if (self->store == NULL || self->event_id <= 0 || customer_id <= 0
      || customer_id == self->chart_customer)
    return;
  self->chart_customer = customer_id;
  g_cancellable_cancel (self->chart_cancellable);
  g_clear_object (&self->chart_cancellable);
  self->chart_cancellable = g_cancellable_new ();
  if (self->link != NULL)
    params = drd_settle_link_get_params (self->link);
  else
    {
      drd_params_init_defaults (&defaults);
      params = &defaults;
    }
  req = g_new0 (ChartReq, 1);
  req->self = g_object_ref (self);
  req->customer_id = customer_id;
  drd_load_chart_set_message (self->chart, _("Loading…"));
  drd_settle_chart_load_async (self->store, params, self->event_id, customer_id,
                               self->chart_cancellable, on_chart, req);
}

static void
on_selected (GtkSingleSelection *selection, GParamSpec *pspec, DrdSettlementView *self)
{
  DrdSettleItem *item = gtk_single_selection_get_selected_item (selection);

  if (item != NULL)
    drd_settlement_view_show_customer (self, drd_settle_item_get_customer_id (item));
}

/* ---- event, filter, store, link ---- */

static void
reload (DrdSettlementView *self)
{
  guint sel = gtk_drop_down_get_selected (self->filter);
  DrdOutcome outcome = sel < G_N_ELEMENTS (filter_outcomes) ? filter_outcomes[sel]
                                                            : DRD_OUTCOME_PENDING;

  self->progress_generation++;
  drd_settle_model_set_event (self->model, self->event_id, outcome);
  request_snapshot (self);
}

static void
on_filter_changed (DrdSettlementView *self)
{
  reload (self);
}

void
drd_settlement_view_set_outcome_filter (DrdSettlementView *self, DrdOutcome outcome)
{
  for (guint i = 0; i < G_N_ELEMENTS (filter_outcomes); i++)
    if (filter_outcomes[i] == outcome)
      gtk_drop_down_set_selected (self->filter, i);
}

void
drd_settlement_view_set_event (DrdSettlementView *self, const DrdEvent *event)
{
  gint64 id = event ? event->id : 0;

  g_return_if_fail (DRD_IS_SETTLEMENT_VIEW (self));

  /* (The end moves when the event is ended early.) */
  self->event_end = event ? event->end_at : 0;
  if (event != NULL)
    {
      g_autofree char *window = drd_gui_format_window (event->start_at, event->end_at);
      g_autofree char *title = g_strdup_printf ("%s · %s · %s", event->name, window,
                                                drd_gui_status_label (event->status));
      gtk_label_set_text (self->title_label, title);
    }
  else
    gtk_label_set_text (self->title_label, _("No event selected"));
  if (id == self->event_id)
    return;
  self->event_id = id;
  self->chart_customer = 0;
  drd_load_chart_set_chart (self->chart, NULL, NULL);
  drd_load_chart_set_message (self->chart, NULL);
  gtk_label_set_text (self->explain_label, "");
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_label_set_text (self->progress_label, id > 0 ? _("Loading…") : "");
  gtk_label_set_text (self->summary_label, "");
  reload (self);
}

void
drd_settlement_view_set_store (DrdSettlementView *self, DrdStore *store)
{
  g_return_if_fail (DRD_IS_SETTLEMENT_VIEW (self));

  if (!g_set_object (&self->store, store))
    return;
  drd_settle_model_set_store (self->model, store);
  reload (self);
}

static void
on_settler_notify (GObject *obj, GParamSpec *pspec, DrdSettlementView *self)
{
  drd_settlement_view_refresh (self);
}

static void
on_link_notify (GObject *obj, GParamSpec *pspec, DrdSettlementView *self)
{
  update_link (self);
}

static void
on_event_settled (DrdSettler *settler, gint64 event_id, DrdSettlementView *self)
{
  drd_settlement_view_refresh (self);
}

void
drd_settlement_view_set_link (DrdSettlementView *self, DrdSettleLink *link)
{
  g_return_if_fail (DRD_IS_SETTLEMENT_VIEW (self));

  if (self->link != NULL)
    {
      g_signal_handlers_disconnect_by_data (drd_settle_link_get_settler (self->link), self);
      g_signal_handlers_disconnect_by_data (drd_settle_link_get_client (self->link), self);
    }
  g_set_object (&self->link, link);
  if (link != NULL)
    {
      g_signal_connect (drd_settle_link_get_settler (link), "notify::n-done",
                        G_CALLBACK (on_settler_notify), self);
      g_signal_connect (drd_settle_link_get_settler (link), "notify::n-waiting",
                        G_CALLBACK (on_settler_notify), self);
      g_signal_connect (drd_settle_link_get_settler (link), "notify::n-failed",
                        G_CALLBACK (on_settler_notify), self);
      g_signal_connect (drd_settle_link_get_settler (link), "event-settled",
                        G_CALLBACK (on_event_settled), self);
      g_signal_connect (drd_settle_link_get_client (link), "notify::breaker-state",
                        G_CALLBACK (on_link_notify), self);
    }
  update_link (self);
  request_snapshot (self);
}

static void
on_retry (DrdSettlementView *self)
{
  if (self->link == NULL)
    return;
  drd_settler_retry_now (drd_settle_link_get_settler (self->link));
  update_link (self);
  drd_settlement_view_refresh (self);
}

/* ---- accessors ---- */

DrdSettleModel *
drd_settlement_view_get_model (DrdSettlementView *self)
{
  return self->model;
}

DrdLoadChart *
drd_settlement_view_get_chart (DrdSettlementView *self)
{
  return self->chart;
}

const char *
drd_settlement_view_get_progress_text (DrdSettlementView *self)
{
  return gtk_label_get_text (self->progress_label);
}

double
drd_settlement_view_get_fraction (DrdSettlementView *self)
{
  return gtk_progress_bar_get_fraction (self->progress_bar);
}

const char *
drd_settlement_view_get_summary_text (DrdSettlementView *self)
{
  return gtk_label_get_text (self->summary_label);
}

const char *
drd_settlement_view_get_link_text (DrdSettlementView *self)
{
  return gtk_label_get_text (self->link_label);
}

void
drd_settlement_view_select (DrdSettlementView *self, guint position)
{
  gtk_single_selection_set_selected (self->selection, position);
}

/* ---- construction ---- */

static GtkLabel *
make_label (const char *css)
{
  GtkWidget *l = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (l), 0);
  gtk_label_set_wrap (GTK_LABEL (l), TRUE);
  gtk_label_set_selectable (GTK_LABEL (l), FALSE);
  if (css != NULL)
    gtk_widget_add_css_class (l, css);
  return GTK_LABEL (l);
}

static void
add_column (DrdSettlementView *self, const char *title, const char *property, float xalign,
            int width)
{
  g_autoptr(GtkColumnViewColumn) col =
    gtk_column_view_column_new (title, drd_cell_factory_new (property, xalign));

  /* width 0: takes the rest */
  gtk_column_view_column_set_expand (col, width == 0);
  if (width > 0)
    gtk_column_view_column_set_fixed_width (col, width);
  gtk_column_view_column_set_resizable (col, TRUE);
  gtk_column_view_append_column (self->column_view, col);
}

static void
drd_settlement_view_init (DrdSettlementView *self)
{
  GtkWidget *header, *button, *filter_box, *paned, *scrolled, *lower, *export_button;
  GtkStringList *filters;

  self->cancellable = g_cancellable_new ();
  self->chart_cancellable = g_cancellable_new ();
  self->model = drd_settle_model_new (NULL);
  drd_paged_model_set_gradual (DRD_PAGED_MODEL (self->model), TRUE);

  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));
  gtk_widget_set_margin_start (self->box, 12);
  gtk_widget_set_margin_end (self->box, 12);
  gtk_widget_set_margin_top (self->box, 8);
  gtk_widget_set_margin_bottom (self->box, 8);

  header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  self->title_label = make_label ("heading");
  gtk_widget_set_hexpand (GTK_WIDGET (self->title_label), TRUE);
  gtk_label_set_text (self->title_label, _("No event selected"));
  gtk_box_append (GTK_BOX (header), GTK_WIDGET (self->title_label));
  self->link_label = make_label ("dim-label");
  gtk_label_set_wrap (self->link_label, FALSE);
  gtk_label_set_ellipsize (self->link_label, PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (self->link_label, 60);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->link_label),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, _("KEPCO link state"), -1);
  gtk_box_append (GTK_BOX (header), GTK_WIDGET (self->link_label));
  button = gtk_button_new_with_mnemonic (_("_Retry Now"));
  gtk_widget_set_tooltip_text (button, _("Retry every waiting or failed settlement job now"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Retry settlement now"), -1);
  gtk_widget_set_sensitive (button, FALSE);
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (on_retry), self);
  self->retry_button = GTK_BUTTON (button);
  gtk_box_append (GTK_BOX (header), button);
  export_button = gtk_button_new_with_mnemonic (_("E_xport…"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (export_button), "win.export-settlement");
  gtk_widget_set_tooltip_text (export_button, _("Export the settlement as CSV (Ctrl+E)"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (export_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Export settlement"), -1);
  gtk_box_append (GTK_BOX (header), export_button);
  gtk_box_append (GTK_BOX (self->box), header);

  self->progress_bar = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress_bar),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Settlement progress"), -1);
  gtk_box_append (GTK_BOX (self->box), GTK_WIDGET (self->progress_bar));
  self->progress_label = make_label (NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress_label),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, _("Settlement progress"), -1);
  gtk_box_append (GTK_BOX (self->box), GTK_WIDGET (self->progress_label));
  self->summary_label = make_label (NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->summary_label),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, _("Settlement summary"), -1);
  gtk_box_append (GTK_BOX (self->box), GTK_WIDGET (self->summary_label));

  filter_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_append (GTK_BOX (filter_box), gtk_label_new (_("Outcome:")));
  filters = gtk_string_list_new (NULL);
  gtk_string_list_append (filters, _("All outcomes"));
  for (guint i = 1; i < G_N_ELEMENTS (filter_outcomes); i++)
    gtk_string_list_append (filters, drd_gui_outcome_label (filter_outcomes[i]));
  self->filter = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (filters), NULL));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->filter), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Outcome filter"), -1);
  g_signal_connect_swapped (self->filter, "notify::selected", G_CALLBACK (on_filter_changed), self);
  gtk_box_append (GTK_BOX (filter_box), GTK_WIDGET (self->filter));
  gtk_box_append (GTK_BOX (self->box), filter_box);

  paned = gtk_paned_new (GTK_ORIENTATION_VERTICAL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (paned), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Settlement results and load chart"), -1);
  gtk_widget_set_vexpand (paned, TRUE);
  scrolled = gtk_scrolled_window_new ();
  gtk_widget_set_size_request (scrolled, -1, 160);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->model)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect (self->selection, "notify::selected-item", G_CALLBACK (on_selected), self);
  self->column_view = GTK_COLUMN_VIEW (gtk_column_view_new (GTK_SELECTION_MODEL (g_object_ref (self->selection))));
  gtk_column_view_set_show_column_separators (self->column_view, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->column_view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Settlement results"), -1);
  add_column (self, _("Customer"), "customer", 0, 0);
  add_column (self, _("Answer"), "answer", 0, 120);
  add_column (self, _("Baseline kWh"), "baseline", 1, 120);
  add_column (self, _("Actual kWh"), "actual", 1, 120);
  add_column (self, _("Reduction kWh"), "reduction", 1, 130);
  add_column (self, _("Outcome"), "outcome", 0, 150);
  add_column (self, _("Points"), "points", 1, 90);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (self->column_view));
  gtk_paned_set_start_child (GTK_PANED (paned), scrolled);
  gtk_paned_set_shrink_start_child (GTK_PANED (paned), FALSE);

  lower = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  self->chart = DRD_LOAD_CHART (drd_load_chart_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->chart), TRUE);
  gtk_box_append (GTK_BOX (lower), GTK_WIDGET (self->chart));
  self->explain_label = make_label ("dim-label");
  gtk_label_set_selectable (self->explain_label, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->explain_label),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  _("How the CBL was computed: the days used and skipped"), -1);
  {
    /* the CBL's look-back days: a few lines, scrollable */
    GtkWidget *sw = gtk_scrolled_window_new ();

    gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (sw), GTK_POLICY_NEVER,
                                    GTK_POLICY_AUTOMATIC);
    gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (sw), 40);
    gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (sw), 90);
    gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (sw), TRUE);
    gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (sw), GTK_WIDGET (self->explain_label));
    gtk_box_append (GTK_BOX (lower), sw);
  }
  gtk_paned_set_end_child (GTK_PANED (paned), lower);
  gtk_paned_set_shrink_end_child (GTK_PANED (paned), FALSE);
  gtk_paned_set_position (GTK_PANED (paned), 300);
  gtk_box_append (GTK_BOX (self->box), paned);
  update_link (self);
}

static void
drd_settlement_view_dispose (GObject *object)
{
  DrdSettlementView *self = DRD_SETTLEMENT_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->chart_cancellable);
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  if (self->link != NULL)
    {
      g_signal_handlers_disconnect_by_data (drd_settle_link_get_settler (self->link), self);
      g_signal_handlers_disconnect_by_data (drd_settle_link_get_client (self->link), self);
      g_clear_object (&self->link);
    }
  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_object (&self->selection);
  g_clear_object (&self->model);
  g_clear_object (&self->store);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->chart_cancellable);
  G_OBJECT_CLASS (drd_settlement_view_parent_class)->dispose (object);
}

static void
drd_settlement_view_finalize (GObject *object)
{
  DrdSettlementView *self = DRD_SETTLEMENT_VIEW (object);

  g_free (self->event_name);
  G_OBJECT_CLASS (drd_settlement_view_parent_class)->finalize (object);
}

static void
drd_settlement_view_class_init (DrdSettlementViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = drd_settlement_view_dispose;
  G_OBJECT_CLASS (klass)->finalize = drd_settlement_view_finalize;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

GtkWidget *
drd_settlement_view_new (void)
{
  return g_object_new (DRD_TYPE_SETTLEMENT_VIEW, NULL);
}
