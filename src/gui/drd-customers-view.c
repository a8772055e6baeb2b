/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gui/drd-answer-record.h"
#include "gui/drd-audit-dialog.h"
#include "gui/drd-cell-factory.h"
#include "gui/drd-column-sorter.h"
#include "gui/drd-customer-row.h"
#include "gui/drd-customers-view.h"
#include "gui/drd-gui-util.h"
#include "gui/drd-link-dialog.h"
#include "store/drd-store-gui.h"

struct _DrdCustomersView
{
  GtkWidget           parent_instance;

  /* template */
  GtkWidget          *paned;
  GtkSearchEntry     *search_entry;
  GtkDropDown        *resource_dropdown;
  GtkDropDown        *answer_dropdown;
  GtkSpinner         *spinner;
  GtkLabel           *count_label;
  GtkColumnView      *column_view;
  GtkColumnViewColumn *col_id, *col_name, *col_kepco, *col_resource, *col_registered,
                     *col_cbl, *col_points, *col_last_answer;
  GtkLabel           *detail_title;
  GtkLabel           *detail_facts;
  GtkLabel           *detail_ledger;
  GtkLabel           *detail_answers;
  GtkLabel           *detail_event;

  /* owned */
  DrdStore           *store;
  DrdCustomerModel   *model;
  GtkSingleSelection *selection;
  GArray             *resource_ids;   /* gint64, parallel to the dropdown minus "All" */
  GCancellable       *cancellable;
  GCancellable       *detail_cancellable;
  gint64              detail_id;
  char               *detail_name;    /* of the loaded detail */
  DrdEvent           *event;          /* the window's selected event */
  gint64              search_started_us;
};

G_DEFINE_FINAL_TYPE (DrdCustomersView, drd_customers_view, GTK_TYPE_WIDGET)

static void
build_query (DrdCustomersView *self, DrdGridQuery *q)
{
  guint res = gtk_drop_down_get_selected (self->resource_dropdown);
  guint ans = gtk_drop_down_get_selected (self->answer_dropdown);
  gboolean desc = FALSE;
  int key = drd_column_sorter_probe (gtk_column_view_get_sorter (self->column_view), &desc);
  static const int answers[] = { DRD_GRID_ANY_ANSWER, DRD_ANSWER_ACCEPT, DRD_ANSWER_DENY,
                                 DRD_ANSWER_NONE, DRD_GRID_NEVER_ANSWERED };

  q->search = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->search_entry))));
  q->resource_id = (res != GTK_INVALID_LIST_POSITION && res > 0 && res - 1 < self->resource_ids->len)
                   ? g_array_index (self->resource_ids, gint64, res - 1) : 0;
  q->last_answer = answers[ans < G_N_ELEMENTS (answers) ? ans : 0];
  q->sort = key >= 0 ? (DrdGridSort) key : DRD_GRID_SORT_ID;
  q->descending = key >= 0 && desc;
}

static void
run_query (DrdCustomersView *self)
{
  DrdGridQuery q = { 0 };

  if (self->model == NULL)
    return;   /* widgets still being built */
  build_query (self, &q);
  drd_customer_model_set_query (self->model, &q);
  g_free (q.search);
}

static void
on_search_changed (DrdCustomersView *self)
{
  self->search_started_us = g_get_monotonic_time ();
  run_query (self);
}

static void
on_filter_changed (DrdCustomersView *self)
{
  run_query (self);
}

static void
on_sorter_changed (GtkSorter *sorter, GtkSorterChange change, DrdCustomersView *self)
{
  self->search_started_us = g_get_monotonic_time ();
  run_query (self);
}

static void
update_count (DrdCustomersView *self)
{
  guint n = drd_paged_model_get_n_rows (DRD_PAGED_MODEL (self->model));
  g_autofree char *text =
    g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u customer", "%u customers", n), n);

  gtk_label_set_text (self->count_label, text);
}

static void
on_query_done (DrdCustomerModel *model, DrdCustomersView *self)
{
  /* Rows keep their places but show the new result: a selection by
   * position would now point at somebody else. */
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  update_count (self);
  if (self->search_started_us != 0 && g_getenv ("DRD_BENCH") != NULL)
    {
      const DrdGridQuery *q = drd_customer_model_get_query (model);

      g_print ("BENCH query sort=%d desc=%d search=\"%s\" rows=%u ms=%.1f\n", q->sort,
               q->descending, q->search ? q->search : "",
               drd_paged_model_get_n_rows (DRD_PAGED_MODEL (model)),
               (g_get_monotonic_time () - self->search_started_us) / 1000.0);
      self->search_started_us = 0;
    }
}

static void
on_items_changed (GListModel *model, guint pos, guint removed, guint added,
                  DrdCustomersView *self)
{
  if (removed != added)
    update_count (self);
}

static void
on_busy (DrdCustomerModel *model, GParamSpec *pspec, DrdCustomersView *self)
{
  gtk_spinner_set_spinning (self->spinner, drd_customer_model_get_busy (model));
}

/* ---- detail pane ---- */

static void
update_actions (DrdCustomersView *self)
{
  gboolean have = self->detail_id > 0 && self->store != NULL;
  gboolean can_record = have && self->event != NULL
                        && drd_answer_record_allowed (self->event->status);
  g_autofree char *text = NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "customer.record-accept", can_record);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "customer.record-deny", can_record);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "customer.show-link", have);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "customer.audit", have);
  if (self->event == NULL)
    text = g_strdup (_("Phone answer: no event selected"));
  else if (!drd_answer_record_allowed (self->event->status))
    /* TRANSLATORS: %s: event name, then its status */
    text = g_strdup_printf (_("Phone answer for “%s”: closed (%s)"), self->event->name,
                            drd_gui_status_label (self->event->status));
  else
    text = g_strdup_printf (_("Phone answer for “%s”"), self->event->name);
  gtk_label_set_text (self->detail_event, text);
}

static void
record_answer (DrdCustomersView *self, DrdAnswer answer)
{
  if (self->detail_id <= 0 || self->event == NULL || self->store == NULL)
    return;
  drd_answer_record_confirm (GTK_WIDGET (self), self->store, self->event, self->detail_id,
                             self->detail_name, answer);
}

static void
record_accept_activated (GtkWidget *widget, const char *name, GVariant *param)
{
  record_answer (DRD_CUSTOMERS_VIEW (widget), DRD_ANSWER_ACCEPT);
}

static void
record_deny_activated (GtkWidget *widget, const char *name, GVariant *param)
{
  record_answer (DRD_CUSTOMERS_VIEW (widget), DRD_ANSWER_DENY);
}

static void
show_link_activated (GtkWidget *widget, const char *name, GVariant *param)
{
  DrdCustomersView *self = DRD_CUSTOMERS_VIEW (widget);

  if (self->detail_id > 0 && self->store != NULL)
    drd_link_dialog_new (widget, self->store, self->detail_id, self->detail_name);
}

static void
audit_activated (GtkWidget *widget, const char *name, GVariant *param)
{
  DrdCustomersView *self = DRD_CUSTOMERS_VIEW (widget);
  g_autofree char *subject = NULL;

  if (self->detail_id <= 0 || self->store == NULL)
    return;
  subject = g_strdup_printf ("%s (%lld)", self->detail_name ? self->detail_name : "",
                             (long long) self->detail_id);
  drd_audit_dialog_new (widget, self->store, 0, self->detail_id, subject);
}

void
drd_customers_view_set_event (DrdCustomersView *self, const DrdEvent *event)
{
  g_return_if_fail (DRD_IS_CUSTOMERS_VIEW (self));
  if (event != self->event)
    {
      g_clear_pointer (&self->event, drd_event_free);
      self->event = event != NULL ? drd_event_copy (event) : NULL;
    }
  update_actions (self);
}

static void
show_detail (DrdCustomersView *self, DrdCustomerDetail *d)
{
  DrdCustomer *c = d->customer;
  g_autofree char *kw = drd_gui_format_kw (c->registered_w);
  g_autofree char *title = g_strdup_printf ("%s", c->name);
  GString *facts = g_string_new (NULL);
  GString *ledger = g_string_new (NULL);
  GString *answers = g_string_new (NULL);

  g_string_append_printf (facts, _("Customer ID: %lld\n"), (long long) c->id);
  g_string_append_printf (facts, _("KEPCO customer no.: %s\n"), c->kepco_no);
  g_string_append_printf (facts, _("Resource: %s\n"), c->resource);
  g_string_append_printf (facts, _("Registered: %s\n"), kw);
  g_string_append_printf (facts, _("CBL method: %s%s\n"), drd_gui_cbl_label (c->cbl_method),
                          c->is_factory ? _(" (factory)") : "");
  g_string_append_printf (facts, _("Phone: %s\n"), c->phone ? c->phone : "—");
  g_string_append_printf (facts, _("E-mail: %s\n"), c->email ? c->email : "—");
  g_string_append_printf (facts, _("Points balance: %lld"), (long long) d->points_balance);

  for (guint i = 0; i < d->ledger->len; i++)
    {
      DrdLedgerEntry *e = g_ptr_array_index (d->ledger, i);
      g_autofree char *when = drd_gui_format_time (e->created_at);

      g_string_append_printf (ledger, "%s%s  %+" G_GINT64_FORMAT "  %s", i ? "\n" : "", when,
                              e->points, e->reason);
    }
  if (ledger->len == 0)
    g_string_append (ledger, _("No points yet."));

  for (guint i = 0; i < d->answers->len; i++)
    {
      DrdGuiAnswer *a = g_ptr_array_index (d->answers, i);
      g_autofree char *when = drd_gui_format_time (a->start_at);

      g_string_append_printf (answers, "%s%s · %s · %s", i ? "\n" : "", when, a->event_name,
                              drd_gui_answer_label (a->answer));
    }
  if (answers->len == 0)
    g_string_append (answers, _("Never asked."));

  g_free (self->detail_name);
  self->detail_name = g_strdup (c->name);
  gtk_label_set_text (self->detail_title, title);
  gtk_label_set_text (self->detail_facts, facts->str);
  gtk_label_set_text (self->detail_ledger, ledger->str);
  gtk_label_set_text (self->detail_answers, answers->str);
  g_string_free (facts, TRUE);
  g_string_free (ledger, TRUE);
  g_string_free (answers, TRUE);
}

static void
on_detail (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DrdCustomersView *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdCustomerDetail) d = drd_store_gui_customer_detail_finish (DRD_STORE (source),
                                                                         result, &error);

  if (d != NULL)
    show_detail (self, d);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    gtk_label_set_text (self->detail_facts, error->message);
  g_object_unref (self);
}

static void
load_detail (DrdCustomersView *self)
{
  if (self->detail_cancellable != NULL)
    g_cancellable_cancel (self->detail_cancellable);
  g_clear_object (&self->detail_cancellable);
  if (self->detail_id <= 0 || self->store == NULL)
    {
      gtk_label_set_text (self->detail_title, _("Select a customer to see details."));
      gtk_label_set_text (self->detail_facts, "");
      gtk_label_set_text (self->detail_ledger, "");
      gtk_label_set_text (self->detail_answers, "");
      return;
    }
  self->detail_cancellable = g_cancellable_new ();
  drd_store_gui_customer_detail_async (self->store, self->detail_id, self->detail_cancellable,
                                       on_detail, g_object_ref (self));
}

static void
on_selected (GtkSingleSelection *selection, GParamSpec *pspec, DrdCustomersView *self)
{
  DrdCustomerRow *row = gtk_single_selection_get_selected_item (selection);
  gint64 id = row != NULL ? drd_customer_row_get_id (row) : 0;

  if (id == self->detail_id)
    return;
  self->detail_id = id;
  g_clear_pointer (&self->detail_name, g_free);
  /* The row's name until the detail arrives (the buttons work at once). */
  if (row != NULL && drd_customer_row_get_loaded (row))
    self->detail_name = g_strdup (drd_customer_row_get_name (row));
  update_actions (self);
  load_detail (self);
}

gint64
drd_customers_view_get_selected_id (DrdCustomersView *self)
{
  return self->detail_id;
}

/* ---- resources filter ---- */

static void
on_resources (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DrdCustomersView *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) resources = drd_store_list_resources_finish (DRD_STORE (source), result,
                                                                    &error);
  g_autoptr(GtkStringList) list = NULL;
  gint64 keep = 0;
  guint keep_pos = 0;
  guint sel;

  if (resources == NULL)
    {
      g_object_unref (self);
      return;
    }
  sel = gtk_drop_down_get_selected (self->resource_dropdown);
  if (sel != GTK_INVALID_LIST_POSITION && sel > 0 && sel - 1 < self->resource_ids->len)
    keep = g_array_index (self->resource_ids, gint64, sel - 1);
  list = gtk_string_list_new (NULL);
  gtk_string_list_append (list, _("All resources"));
  g_array_set_size (self->resource_ids, 0);
  for (guint i = 0; i < resources->len; i++)
    {
      DrdStoreResource *r = g_ptr_array_index (resources, i);

      gtk_string_list_append (list, r->name);
      g_array_append_val (self->resource_ids, r->id);
      if (r->id == keep)
        keep_pos = i + 1;
    }
  g_signal_handlers_block_by_func (self->resource_dropdown, on_filter_changed, self);
  gtk_drop_down_set_model (self->resource_dropdown, G_LIST_MODEL (list));
  gtk_drop_down_set_selected (self->resource_dropdown, keep_pos);
  g_signal_handlers_unblock_by_func (self->resource_dropdown, on_filter_changed, self);
  g_object_unref (self);
}

void
drd_customers_view_reload_resources (DrdCustomersView *self)
{
  if (self->store == NULL)
    return;
  drd_store_list_resources_async (self->store, self->cancellable, on_resources,
                                  g_object_ref (self));
}

/* ---- public ---- */

void
drd_customers_view_set_store (DrdCustomersView *self, DrdStore *store)
{
  g_return_if_fail (DRD_IS_CUSTOMERS_VIEW (self));

  if (!g_set_object (&self->store, store))
    return;
  drd_customer_model_set_store (self->model, store);
  update_actions (self);
  run_query (self);
  drd_customers_view_reload_resources (self);
}

void
drd_customers_view_focus_search (DrdCustomersView *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

void
drd_customers_view_refresh (DrdCustomersView *self)
{
  drd_customer_model_refresh (self->model);
  if (self->detail_id > 0)
    load_detail (self);
}

DrdCustomerModel *
drd_customers_view_get_model (DrdCustomersView *self)
{
  return self->model;
}

GtkColumnView *
drd_customers_view_get_column_view (DrdCustomersView *self)
{
  return self->column_view;
}

GtkEditable *
drd_customers_view_get_search (DrdCustomersView *self)
{
  return GTK_EDITABLE (self->search_entry);
}

static void
drd_customers_view_dispose (GObject *object)
{
  DrdCustomersView *self = DRD_CUSTOMERS_VIEW (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->detail_cancellable != NULL)
    g_cancellable_cancel (self->detail_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->detail_cancellable);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  /* Without a model, signals from widgets being torn down run no query. */
  g_clear_object (&self->model);
  gtk_widget_dispose_template (GTK_WIDGET (self), DRD_TYPE_CUSTOMERS_VIEW);
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  g_clear_object (&self->selection);
  g_clear_object (&self->model);
  g_clear_object (&self->store);
  g_clear_pointer (&self->event, drd_event_free);
  g_clear_pointer (&self->detail_name, g_free);
  G_OBJECT_CLASS (drd_customers_view_parent_class)->dispose (object);
}

static void
drd_customers_view_finalize (GObject *object)
{
  DrdCustomersView *self = DRD_CUSTOMERS_VIEW (object);

  g_array_unref (self->resource_ids);
  G_OBJECT_CLASS (drd_customers_view_parent_class)->finalize (object);
}

static void
drd_customers_view_class_init (DrdCustomersViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = drd_customers_view_dispose;
  object_class->finalize = drd_customers_view_finalize;

  g_type_ensure (DRD_TYPE_CUSTOMER_ROW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/kr/drdesk/DrDesk/drd-customers-view.ui");
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, paned);
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, resource_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, answer_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, spinner);
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, count_label);
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, column_view);
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, col_id);
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, col_name);
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, col_kepco);
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, col_resource);
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, col_registered);
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, col_cbl);
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, col_points);
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, col_last_answer);
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, detail_title);
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, detail_facts);
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, detail_ledger);
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, detail_answers);
  gtk_widget_class_bind_template_child (widget_class, DrdCustomersView, detail_event);
  gtk_widget_class_install_action (widget_class, "customer.record-accept", NULL,
                                   record_accept_activated);
  gtk_widget_class_install_action (widget_class, "customer.record-deny", NULL,
                                   record_deny_activated);
  gtk_widget_class_install_action (widget_class, "customer.show-link", NULL, show_link_activated);
  gtk_widget_class_install_action (widget_class, "customer.audit", NULL, audit_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
drd_customers_view_init (DrdCustomersView *self)
{
  GtkColumnViewColumn *cols[DRD_GRID_N_SORTS];
  g_autoptr(GtkStringList) all = gtk_string_list_new (NULL);

  self->resource_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_string_list_append (all, _("All resources"));
  gtk_drop_down_set_model (self->resource_dropdown, G_LIST_MODEL (all));

  cols[DRD_GRID_SORT_ID] = self->col_id;
  cols[DRD_GRID_SORT_NAME] = self->col_name;
  cols[DRD_GRID_SORT_KEPCO_NO] = self->col_kepco;
  cols[DRD_GRID_SORT_RESOURCE] = self->col_resource;
  cols[DRD_GRID_SORT_REGISTERED] = self->col_registered;
  cols[DRD_GRID_SORT_CBL] = self->col_cbl;
  cols[DRD_GRID_SORT_POINTS] = self->col_points;
  cols[DRD_GRID_SORT_LAST_ANSWER] = self->col_last_answer;
  for (int i = 0; i < DRD_GRID_N_SORTS; i++)
    {
      static const char *props[] = { "id-text", "name", "kepco-no", "resource", "registered",
                                     "cbl", "points", "last-answer" };
      static const float xalign[] = { 1, 0, 0, 0, 1, 0, 1, 0 };
      g_autoptr(DrdColumnSorter) sorter = drd_column_sorter_new (i);
      g_autoptr(GtkListItemFactory) factory = drd_cell_factory_new (props[i], xalign[i]);

      gtk_column_view_column_set_sorter (cols[i], GTK_SORTER (sorter));
      gtk_column_view_column_set_factory (cols[i], factory);
    }

  self->model = drd_customer_model_new (NULL);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->model)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect (self->selection, "notify::selected-item", G_CALLBACK (on_selected), self);
  g_signal_connect (gtk_column_view_get_sorter (self->column_view), "changed",
                    G_CALLBACK (on_sorter_changed), self);
  g_signal_connect (self->model, "query-done", G_CALLBACK (on_query_done), self);
  g_signal_connect (self->model, "items-changed", G_CALLBACK (on_items_changed), self);
  g_signal_connect (self->model, "notify::busy", G_CALLBACK (on_busy), self);
  update_count (self);
  update_actions (self);
}

GtkWidget *
drd_customers_view_new (void)
{
  return g_object_new (DRD_TYPE_CUSTOMERS_VIEW, NULL);
}
