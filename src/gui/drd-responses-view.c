/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gui/drd-cell-factory.h"
#include "gui/drd-gui-util.h"
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

  /* owned */
  DrdStore           *store;
  DrdResponseModel   *model;
  GtkSingleSelection *selection;
  gint64              event_id;
};

G_DEFINE_FINAL_TYPE (DrdResponsesView, drd_responses_view, GTK_TYPE_WIDGET)

/* gui-settle: "customer-selected" (gint64 customer id, 0 = none) */
static guint customer_selected_signal;

static void
on_selected_item (GtkSingleSelection *selection, GParamSpec *pspec, DrdResponsesView *self)
{
  DrdResponseItem *item = gtk_single_selection_get_selected_item (selection);

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
on_filter_changed (DrdResponsesView *self)
{
  if (self->model == NULL)
    return;   /* being torn down */
  drd_response_model_set_event (self->model, self->event_id, answer_filter (self));
}

void
drd_responses_view_set_event (DrdResponsesView *self, const DrdEvent *event)
{
  gint64 id = event != NULL ? event->id : 0;

  g_return_if_fail (DRD_IS_RESPONSES_VIEW (self));
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
  drd_response_model_set_event (self->model, id, answer_filter (self));
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
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  customer_selected_signal = g_signal_new ("customer-selected", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 1, G_TYPE_INT64);
}

static void
drd_responses_view_init (DrdResponsesView *self)
{
  static const char *props[] = { "customer-id-text", "name", "kepco-no", "answer", "answered-at",
                                 "channel", "outcome", "reduction", "points" };
  static const float xalign[] = { 1, 0, 0, 0, 0, 0, 0, 1, 1 };
  GListModel *columns;

  gtk_widget_init_template (GTK_WIDGET (self));
  columns = gtk_column_view_get_columns (self->column_view);
  for (guint i = 0; i < g_list_model_get_n_items (columns) && i < G_N_ELEMENTS (props); i++)
    {
      g_autoptr(GtkColumnViewColumn) col = g_list_model_get_item (columns, i);
      g_autoptr(GtkListItemFactory) factory = drd_cell_factory_new (props[i], xalign[i]);

      gtk_column_view_column_set_factory (col, factory);
    }
  self->model = drd_response_model_new (NULL);
  drd_paged_model_set_gradual (DRD_PAGED_MODEL (self->model), TRUE);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->model)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect (self->selection, "notify::selected-item", G_CALLBACK (on_selected_item), self);
}

GtkWidget *
drd_responses_view_new (void)
{
  return g_object_new (DRD_TYPE_RESPONSES_VIEW, NULL);
}
