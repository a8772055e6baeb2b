/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gui/drd-gui-util.h"
#include "gui/drd-settle-model.h"

#define ID_PAGE 4096

/* ---- item ---- */

struct _DrdSettleItem
{
  DrdPagedItem      parent_instance;

  DrdSettleRowCopy *copy;
};

enum {
  COL_CUSTOMER,
  COL_ANSWER,
  COL_BASELINE,
  COL_ACTUAL,
  COL_REDUCTION,
  COL_OUTCOME,
  COL_POINTS,
  N_COLS
};

G_DEFINE_FINAL_TYPE (DrdSettleItem, drd_settle_item, DRD_TYPE_PAGED_ITEM)

static char *
format_kwh (gboolean known, gint64 wh)
{
  return known ? drd_gui_format_kwh (wh) : g_strdup ("—");
}

/* The texts of the row, or of a placeholder (only the id) without one. */
static void
item_set_text (DrdSettleItem *self)
{
  DrdPagedItem *item = DRD_PAGED_ITEM (self);
  const DrdSettleRow *r = self->copy ? &self->copy->row : NULL;

  g_object_freeze_notify (G_OBJECT (self));
  if (r == NULL)
    {
      drd_paged_item_take_text (item, COL_CUSTOMER,
                                g_strdup_printf ("%" G_GINT64_FORMAT, drd_paged_item_get_id (item)));
      for (guint i = COL_ANSWER; i < N_COLS; i++)
        drd_paged_item_set_text (item, i, "");
    }
  else
    {
      drd_paged_item_take_text (item, COL_CUSTOMER, g_strdup_printf ("%s (%" G_GINT64_FORMAT ")",
                                                                     r->customer_name,
                                                                     r->customer_id));
      drd_paged_item_set_text (item, COL_ANSWER, drd_gui_answer_label (r->answer));
      drd_paged_item_take_text (item, COL_BASELINE, format_kwh (r->baseline_known, r->baseline_wh));
      drd_paged_item_take_text (item, COL_ACTUAL, format_kwh (r->actual_known, r->actual_wh));
      drd_paged_item_take_text (item, COL_REDUCTION,
                                format_kwh (r->reduction_known, r->reduction_wh));
      drd_paged_item_set_text (item, COL_OUTCOME, drd_gui_outcome_label (r->outcome));
      drd_paged_item_take_text (item, COL_POINTS, drd_gui_format_int (r->points));
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
drd_settle_item_finalize (GObject *object)
{
  DrdSettleItem *self = DRD_SETTLE_ITEM (object);

  g_clear_pointer (&self->copy, drd_settle_row_copy_free);
  G_OBJECT_CLASS (drd_settle_item_parent_class)->finalize (object);
}

static void
drd_settle_item_class_init (DrdSettleItemClass *klass)
{
  static const char *const names[N_COLS] = { "customer", "answer", "baseline", "actual",
                                             "reduction", "outcome", "points" };

  G_OBJECT_CLASS (klass)->finalize = drd_settle_item_finalize;
  drd_paged_item_class_install_texts (DRD_PAGED_ITEM_CLASS (klass), names, N_COLS);
}

static void
drd_settle_item_init (DrdSettleItem *self)
{
}

gint64
drd_settle_item_get_customer_id (DrdSettleItem *self)
{
  return drd_paged_item_get_id (DRD_PAGED_ITEM (self));
}

gboolean
drd_settle_item_get_loaded (DrdSettleItem *self)
{
  return drd_paged_item_get_loaded (DRD_PAGED_ITEM (self));
}

const DrdSettleRow *
drd_settle_item_get_row (DrdSettleItem *self)
{
  return self->copy ? &self->copy->row : NULL;
}

static DrdSettleRowCopy *
row_copy_dup (const DrdSettleRowCopy *src)
{
  DrdSettleRowCopy *c = g_new0 (DrdSettleRowCopy, 1);

  c->row = src->row;
  c->customer_name = g_strdup (src->customer_name);
  c->kepco_no = g_strdup (src->kepco_no);
  c->note = g_strdup (src->note);
  c->row.customer_name = c->customer_name;
  c->row.kepco_no = c->kepco_no;
  c->row.note = c->note;
  return c;
}

/* ---- model ---- */

struct _DrdSettleModel
{
  DrdPagedModel  parent_instance;

  DrdStore      *store;
  gint64         event_id;
  DrdOutcome     outcome;
  GCancellable  *cancellable;
  guint          generation;
  gboolean       loading;
  gboolean       again;
};

enum { LOADED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (DrdSettleModel, drd_settle_model, DRD_TYPE_PAGED_MODEL)

static GObject *
create_item (DrdPagedModel *model, gint64 id)
{
  DrdSettleItem *item = g_object_new (DRD_TYPE_SETTLE_ITEM, NULL);

  drd_paged_item_set_id (DRD_PAGED_ITEM (item), id);
  item_set_text (item);
  return G_OBJECT (item);
}

static void
reset_item (DrdPagedModel *model, GObject *obj, gint64 id)
{
  DrdSettleItem *item = DRD_SETTLE_ITEM (obj);

  g_object_freeze_notify (obj);
  drd_paged_item_set_id (DRD_PAGED_ITEM (item), id);
  drd_paged_item_set_loaded (DRD_PAGED_ITEM (item), FALSE);
  g_clear_pointer (&item->copy, drd_settle_row_copy_free);
  item_set_text (item);
  g_object_thaw_notify (obj);
}

static gint64
row_id (gconstpointer row)
{
  return ((const DrdSettleRowCopy *) row)->row.customer_id;
}

static gboolean
update_item (DrdPagedModel *model, GObject *obj, gconstpointer data)
{
  DrdSettleItem *item = DRD_SETTLE_ITEM (obj);
  const DrdSettleRowCopy *row = data;

  g_object_freeze_notify (obj);
  g_clear_pointer (&item->copy, drd_settle_row_copy_free);
  item->copy = row_copy_dup (row);
  item_set_text (item);
  drd_paged_item_set_loaded (DRD_PAGED_ITEM (item), TRUE);
  g_object_thaw_notify (obj);
  return TRUE;
}

/* Rows by id: a page's ids are consecutive in the list as it was read,
 * but rows settled since lie between them (and a live refresh asks for
 * scattered ids), so "the next n rows after the first id" is not them. */
static void
fetch_rows_async (DrdPagedModel *model, const gint64 *ids, guint n_ids,
                  GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  DrdSettleModel *self = DRD_SETTLE_MODEL (model);

  drd_store_settle_rows_async (self->store, self->event_id, ids, n_ids, cancellable, callback,
                               user_data);
}

static GPtrArray *
fetch_rows_finish (DrdPagedModel *model, GAsyncResult *result, GError **error)
{
  return drd_store_settle_rows_finish (DRD_STORE (g_task_get_source_object (G_TASK (result))),
                                       result, error);
}

typedef struct {
  DrdStore   *store;
  gint64      event_id;
  DrdOutcome  outcome;
} IdsQuery;

static void
ids_query_free (IdsQuery *q)
{
  g_object_unref (q->store);
  g_free (q);
}

static void
ids_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  IdsQuery *q = data;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 after = 0;

  for (;;)
    {
      GError *error = NULL;
      g_autoptr(GPtrArray) page = drd_store_settle_list (q->store, q->event_id, q->outcome,
                                                         after, ID_PAGE, &error);

      if (page == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      for (guint i = 0; i < page->len; i++)
        {
          DrdSettleRowCopy *c = g_ptr_array_index (page, i);
          g_array_append_val (ids, c->row.customer_id);
          after = c->row.customer_id;
        }
      if (page->len < ID_PAGE)
        break;
      if (g_task_return_error_if_cancelled (task))
        return;
    }
  g_task_return_pointer (task, g_steal_pointer (&ids), (GDestroyNotify) g_array_unref);
}

static void run (DrdSettleModel *self, gboolean keep);

typedef struct {
  DrdSettleModel *self;
  guint           generation;
  gboolean        keep;
} Request;

static void
on_ids (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Request *req = user_data;
  DrdSettleModel *self = req->self;
  g_autoptr(GError) error = NULL;
  GArray *ids = g_task_propagate_pointer (G_TASK (result), &error);

  if (req->generation == self->generation)
    {
      self->loading = FALSE;
      if (ids != NULL)
        {
          drd_paged_model_set_ids (DRD_PAGED_MODEL (self), ids, req->keep);
          if (req->keep)
            drd_paged_model_refresh_items (DRD_PAGED_MODEL (self));
          ids = NULL;
          g_signal_emit (self, signals[LOADED], 0);
        }
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("settlement list: %s", error->message);
      if (self->again)
        {
          self->again = FALSE;
          run (self, TRUE);
        }
    }
  if (ids != NULL)
    g_array_unref (ids);
  g_object_unref (req->self);
  g_free (req);
}

static void
run (DrdSettleModel *self, gboolean keep)
{
  g_autoptr(GTask) task = NULL;
  IdsQuery *q = g_new0 (IdsQuery, 1);
  Request *req = g_new0 (Request, 1);

  req->self = g_object_ref (self);
  req->generation = self->generation;
  req->keep = keep;
  q->store = g_object_ref (self->store);
  q->event_id = self->event_id;
  q->outcome = self->outcome;
  self->loading = TRUE;
  task = g_task_new (NULL, self->cancellable, on_ids, req);
  g_task_set_source_tag (task, run);
  g_task_set_task_data (task, q, (GDestroyNotify) ids_query_free);
  g_task_run_in_thread (task, ids_thread);
}

void
drd_settle_model_set_event (DrdSettleModel *self, gint64 event_id, DrdOutcome outcome)
{
  g_return_if_fail (DRD_IS_SETTLE_MODEL (self));

  self->event_id = event_id;
  self->outcome = outcome;
  self->generation++;
  self->again = FALSE;
  self->loading = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (self->store == NULL || event_id <= 0)
    {
      drd_paged_model_clear (DRD_PAGED_MODEL (self));
      return;
    }
  run (self, FALSE);
}

void
drd_settle_model_refresh (DrdSettleModel *self)
{
  g_return_if_fail (DRD_IS_SETTLE_MODEL (self));

  if (self->store == NULL || self->event_id <= 0)
    return;
  if (self->loading)
    {
      self->again = TRUE;
      return;
    }
  run (self, TRUE);
}

gint64
drd_settle_model_get_event (DrdSettleModel *self)
{
  return self->event_id;
}

void
drd_settle_model_set_store (DrdSettleModel *self, DrdStore *store)
{
  if (!g_set_object (&self->store, store))
    return;
  drd_settle_model_set_event (self, 0, DRD_OUTCOME_PENDING);
}

static void
drd_settle_model_dispose (GObject *object)
{
  DrdSettleModel *self = DRD_SETTLE_MODEL (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (drd_settle_model_parent_class)->dispose (object);
}

static void
drd_settle_model_class_init (DrdSettleModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  DrdPagedModelClass *paged_class = DRD_PAGED_MODEL_CLASS (klass);

  object_class->dispose = drd_settle_model_dispose;
  paged_class->item_type = DRD_TYPE_SETTLE_ITEM;
  paged_class->create_item = create_item;
  paged_class->fetch_rows_async = fetch_rows_async;
  paged_class->fetch_rows_finish = fetch_rows_finish;
  paged_class->row_id = row_id;
  paged_class->reset_item = reset_item;
  paged_class->update_item = update_item;
  signals[LOADED] = g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
drd_settle_model_init (DrdSettleModel *self)
{
  self->cancellable = g_cancellable_new ();
  drd_paged_model_set_diff (DRD_PAGED_MODEL (self), DRD_PAGED_DIFF_SORTED);
}

DrdSettleModel *
drd_settle_model_new (DrdStore *store)
{
  DrdSettleModel *self = g_object_new (DRD_TYPE_SETTLE_MODEL, NULL);

  drd_settle_model_set_store (self, store);
  return self;
}
