/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gui/drd-answer-record.h"
#include "gui/drd-audit-dialog.h"
#include "gui/drd-cell-factory.h"
#include "gui/drd-column-sorter.h"
#include "gui/drd-gui-util.h"
#include "gui/drd-link-dialog.h"
#include "gui/drd-response-item.h"
#include "gui/drd-responses-view.h"

struct _DrdResponsesView
{
  GtkWidget           parent_instance;

  /* template */
  GtkLabel           *event_label;
  GtkLabel           *counts_label;
  GtkDropDown        *answer_dropdown;
  GtkColumnView      *column_view;
  GtkSearchEntry     *search_entry;
  GtkColumnViewColumn *col_registered;
  GtkLabel           *selected_label;

  /* owned */
  DrdStore           *store;
  DrdResponseModel   *model;
  GtkSingleSelection *selection;
  gint64              event_id;
  DrdEvent           *event;
  gboolean            updating;     /* Call Next sets filter and sort at once */
  DrdResponseItem    *watched;      /* weak: the selected item, for its label */
};

G_DEFINE_FINAL_TYPE (DrdResponsesView, drd_responses_view, GTK_TYPE_WIDGET)

/* gui-settle: "customer-selected" (gint64 customer id, 0 = none) */
static guint customer_selected_signal;

static DrdResponseItem *
selected_item (DrdResponsesView *self)
{
  return self->selection != NULL ? gtk_single_selection_get_selected_item (self->selection) : NULL;
}

static void
update_actions (DrdResponsesView *self)
{
  DrdResponseItem *item = selected_item (self);
  gboolean have = item != NULL && self->store != NULL && self->event != NULL;
  gboolean can_record = have && drd_answer_record_allowed (self->event->status);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "responses.record-accept", can_record);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "responses.record-deny", can_record);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "responses.show-link", have);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "responses.customer-audit", have);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "responses.event-audit",
                                 self->store != NULL && self->event != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "responses.export-links",
                                 self->store != NULL && self->event != NULL);
}

static void
update_selected_label (DrdResponsesView *self)
{
  DrdResponseItem *item = selected_item (self);
  const DrdResponseRow *row = item != NULL ? drd_response_item_get_data (item) : NULL;
  g_autofree char *text = NULL;

  if (row == NULL)
    {
      gtk_label_set_text (self->selected_label,
                          _("Select a customer to record a phone answer or show their link."));
      return;
    }
  /* TRANSLATORS: the selected row: name (id) · answer · phone */
  text = g_strdup_printf (_("%s (%lld) · %s · phone %s"), row->name ? row->name : "…",
                          (long long) row->customer_id, drd_gui_answer_label (row->answer),
                          row->phone ? row->phone : "—");
  gtk_label_set_text (self->selected_label, text);
}

static void
on_item_loaded (DrdResponseItem *item, GParamSpec *pspec, DrdResponsesView *self)
{
  if (item == selected_item (self))
    update_selected_label (self);
}

static void
on_selected_item (GtkSingleSelection *selection, GParamSpec *pspec, DrdResponsesView *self)
{
  DrdResponseItem *item = gtk_single_selection_get_selected_item (selection);

  if (self->watched != NULL)
    g_signal_handlers_disconnect_by_func (self->watched, on_item_loaded, self);
  g_clear_weak_pointer (&self->watched);
  if (item != NULL)
    {
      g_set_weak_pointer (&self->watched, item);
      g_signal_connect_object (item, "notify", G_CALLBACK (on_item_loaded), self, 0);
    }
  update_actions (self);
  update_selected_label (self);
  g_signal_emit (self, customer_selected_signal, 0,
                 item != NULL ? drd_response_item_get_customer_id (item) : (gint64) 0);
}

static int
answer_filter (DrdResponsesView *self)
{
  static const int filters[] = { -1, DRD_ANSWER_NONE, DRD_ANSWER_ACCEPT, DRD_ANSWER_DENY };
  guint sel = gtk_drop_down_get_selected (self->answer_dropdown);

  return filters[sel < G_N_ELEMENTS (filters) ? sel : 0];
}

static void
run_query (DrdResponsesView *self)
{
  gboolean desc = FALSE;
  int key;
  DrdResponseQuery q = { 0 };

  if (self->model == NULL || self->updating)
    return;   /* being torn down, or more changes coming */
  key = drd_column_sorter_probe (gtk_column_view_get_sorter (self->column_view), &desc);
  q.answer_filter = answer_filter (self);
  q.search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  q.sort = key >= 0 ? (DrdResponseSort) key : DRD_RESPONSE_SORT_ID;
  q.descending = key >= 0 && desc;
  /* Rows keep their places but show the new result: a selection by
   * position would point at somebody else. */
  if (self->selection != NULL)
    gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  drd_response_model_set_query (self->model, self->event_id, &q);
}

static void
on_filter_changed (DrdResponsesView *self)
{
  run_query (self);
}

static void
on_sorter_changed (GtkSorter *sorter, GtkSorterChange change, DrdResponsesView *self)
{
  run_query (self);
}

/* Whom to call next: nobody answered yet, the largest capacity first. */
static void
on_call_next (DrdResponsesView *self)
{
  self->updating = TRUE;
  gtk_drop_down_set_selected (self->answer_dropdown, 1);
  gtk_column_view_sort_by_column (self->column_view, self->col_registered, GTK_SORT_DESCENDING);
  self->updating = FALSE;
  run_query (self);
}

/* ---- daily tasks on the selected row / event ---- */

static void
record_answer (DrdResponsesView *self, DrdAnswer answer)
{
  DrdResponseItem *item = selected_item (self);

  if (item == NULL || self->event == NULL || self->store == NULL)
    return;
  drd_answer_record_confirm (GTK_WIDGET (self), self->store, self->event,
                             drd_response_item_get_customer_id (item),
                             drd_response_item_get_data (item)->name, answer);
}

static void
record_accept_activated (GtkWidget *widget, const char *name, GVariant *param)
{
  record_answer (DRD_RESPONSES_VIEW (widget), DRD_ANSWER_ACCEPT);
}

static void
record_deny_activated (GtkWidget *widget, const char *name, GVariant *param)
{
  record_answer (DRD_RESPONSES_VIEW (widget), DRD_ANSWER_DENY);
}

static void
show_link_activated (GtkWidget *widget, const char *name, GVariant *param)
{
  DrdResponsesView *self = DRD_RESPONSES_VIEW (widget);
  DrdResponseItem *item = selected_item (self);

  if (item != NULL && self->store != NULL)
    drd_link_dialog_new (widget, self->store, drd_response_item_get_customer_id (item),
                         drd_response_item_get_data (item)->name);
}

static void
customer_audit_activated (GtkWidget *widget, const char *name, GVariant *param)
{
  DrdResponsesView *self = DRD_RESPONSES_VIEW (widget);
  DrdResponseItem *item = selected_item (self);
  g_autofree char *subject = NULL;

  if (item == NULL || self->store == NULL)
    return;
  subject = g_strdup_printf ("%s (%lld)", drd_response_item_get_data (item)->name
                                          ? drd_response_item_get_data (item)->name : "",
                             (long long) drd_response_item_get_customer_id (item));
  drd_audit_dialog_new (widget, self->store, 0, drd_response_item_get_customer_id (item), subject);
}

static void
event_audit_activated (GtkWidget *widget, const char *name, GVariant *param)
{
  DrdResponsesView *self = DRD_RESPONSES_VIEW (widget);
  g_autofree char *subject = NULL;

  if (self->event == NULL || self->store == NULL)
    return;
  subject = g_strdup_printf ("“%s”", self->event->name);
  drd_audit_dialog_new (widget, self->store, self->event->id, 0, subject);
}

static void
export_links_activated (GtkWidget *widget, const char *name, GVariant *param)
{
  DrdResponsesView *self = DRD_RESPONSES_VIEW (widget);

  if (self->event == NULL || self->store == NULL)
    return;
  drd_links_export (widget, self->store, self->event,
                    param != NULL ? g_variant_get_string (param, NULL) : NULL);
}

void
drd_responses_view_set_event (DrdResponsesView *self, const DrdEvent *event)
{
  gint64 id = event != NULL ? event->id : 0;

  g_return_if_fail (DRD_IS_RESPONSES_VIEW (self));
  if (event != self->event)
    {
      g_clear_pointer (&self->event, drd_event_free);
      self->event = event != NULL ? drd_event_copy (event) : NULL;
    }
  update_actions (self);
  if (event != NULL)
    {
      g_autofree char *window = drd_gui_format_window (event->start_at, event->end_at);
      g_autofree char *text = g_strdup_printf ("%s · %s · %s", event->name, window,
                                               drd_gui_status_label (event->status));
      gtk_label_set_text (self->event_label, text);
    }
  else
    {
      gtk_label_set_text (self->event_label, _("No event selected. Pick one on the timeline."));
      gtk_label_set_text (self->counts_label, "");
    }
  if (id == self->event_id)
    return;
  self->event_id = id;
  run_query (self);
}

void
drd_responses_view_set_counts (DrdResponsesView *self, const DrdResponseCounts *c)
{
  g_autofree char *text = NULL;

  /* TRANSLATORS: counts above the responses table */
  text = g_strdup_printf (_("%lld targeted · %lld accepted · %lld denied · %lld no response"),
                          (long long) c->n_targeted, (long long) c->n_accept,
                          (long long) c->n_deny, (long long) c->n_none);
  gtk_label_set_text (self->counts_label, text);
}

const char *
drd_responses_view_get_counts_text (DrdResponsesView *self)
{
  return gtk_label_get_text (self->counts_label);
}

void
drd_responses_view_set_store (DrdResponsesView *self, DrdStore *store)
{
  if (!g_set_object (&self->store, store))
    return;
  self->event_id = 0;
  drd_response_model_set_store (self->model, store);
  update_actions (self);
}

void
drd_responses_view_refresh (DrdResponsesView *self)
{
  drd_response_model_refresh (self->model);
}

DrdResponseModel *
drd_responses_view_get_model (DrdResponsesView *self)
{
  return self->model;
}

static void
drd_responses_view_dispose (GObject *object)
{
  DrdResponsesView *self = DRD_RESPONSES_VIEW (object);

  g_clear_object (&self->selection);
  g_clear_object (&self->model);
  gtk_widget_dispose_template (GTK_WIDGET (self), DRD_TYPE_RESPONSES_VIEW);
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  g_clear_object (&self->selection);
  g_clear_object (&self->model);
  g_clear_object (&self->store);
  g_clear_pointer (&self->event, drd_event_free);
  if (self->watched != NULL)
    g_signal_handlers_disconnect_by_func (self->watched, on_item_loaded, self);
  g_clear_weak_pointer (&self->watched);
  G_OBJECT_CLASS (drd_responses_view_parent_class)->dispose (object);
}

static void
drd_responses_view_class_init (DrdResponsesViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = drd_responses_view_dispose;
  g_type_ensure (DRD_TYPE_RESPONSE_ITEM);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/kr/drdesk/DrDesk/drd-responses-view.ui");
  gtk_widget_class_bind_template_child (widget_class, DrdResponsesView, event_label);
  gtk_widget_class_bind_template_child (widget_class, DrdResponsesView, counts_label);
  gtk_widget_class_bind_template_child (widget_class, DrdResponsesView, answer_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DrdResponsesView, column_view);
  gtk_widget_class_bind_template_child (widget_class, DrdResponsesView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, DrdResponsesView, col_registered);
  gtk_widget_class_bind_template_child (widget_class, DrdResponsesView, selected_label);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_call_next);
  gtk_widget_class_install_action (widget_class, "responses.record-accept", NULL,
                                   record_accept_activated);
  gtk_widget_class_install_action (widget_class, "responses.record-deny", NULL,
                                   record_deny_activated);
  gtk_widget_class_install_action (widget_class, "responses.show-link", NULL, show_link_activated);
  gtk_widget_class_install_action (widget_class, "responses.customer-audit", NULL,
                                   customer_audit_activated);
  gtk_widget_class_install_action (widget_class, "responses.event-audit", NULL,
                                   event_audit_activated);
  gtk_widget_class_install_action (widget_class, "responses.export-links", "s",
                                   export_links_activated);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  customer_selected_signal = g_signal_new ("customer-selected", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 1, G_TYPE_INT64);
}

static void
drd_responses_view_init (DrdResponsesView *self)
{
  /* In the order of the template's columns and of DrdResponseSort. */
  static const char *props[] = { "customer-id-text", "name", "kepco-no", "registered", "phone",
                                 "answer", "answered-at", "channel", "outcome", "reduction",
                                 "points" };
  static const float xalign[] = { 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1 };
  G_STATIC_ASSERT (G_N_ELEMENTS (props) == DRD_RESPONSE_N_SORTS);
  GListModel *columns;

  gtk_widget_init_template (GTK_WIDGET (self));
  columns = gtk_column_view_get_columns (self->column_view);
  for (guint i = 0; i < g_list_model_get_n_items (columns) && i < G_N_ELEMENTS (props); i++)
    {
      g_autoptr(GtkColumnViewColumn) col = g_list_model_get_item (columns, i);
      g_autoptr(GtkListItemFactory) factory = drd_cell_factory_new (props[i], xalign[i]);
      g_autoptr(DrdColumnSorter) sorter = drd_column_sorter_new ((int) i);

      gtk_column_view_column_set_factory (col, factory);
      gtk_column_view_column_set_sorter (col, GTK_SORTER (sorter));
    }
  self->model = drd_response_model_new (NULL);
  drd_paged_model_set_gradual (DRD_PAGED_MODEL (self->model), TRUE);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->model)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect (self->selection, "notify::selected-item", G_CALLBACK (on_selected_item), self);
  g_signal_connect (gtk_column_view_get_sorter (self->column_view), "changed",
                    G_CALLBACK (on_sorter_changed), self);
  update_actions (self);
}

GtkWidget *
drd_responses_view_new (void)
{
  return g_object_new (DRD_TYPE_RESPONSES_VIEW, NULL);
}
