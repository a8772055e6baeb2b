/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "gui/drd-customer-model.h"
#include "gui/drd-customer-row.h"

struct _DrdCustomerModel
{
  DrdPagedModel  parent_instance;

  DrdStore      *store;
  DrdGridQuery  *query;
  GCancellable  *query_cancellable;
  guint          generation;
  gboolean       busy;
  gboolean       refreshing;
  gboolean       refresh_again;
  DrdGridStamp   stamp;
  guint          first_chunk;   /* ids fetched first; 0: all at once */
  gboolean       complete;      /* every id of the query is in */
};

/* A new query shows its first rows from a short scan, then the full id
 * list follows from a second scan on a reader thread and is appended
 * (one items_changed). A one-letter search or a sort of a million rows
 * thus shows in the time of a few thousand rows. */
#define FIRST_CHUNK 2048

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum {
  QUERY_DONE,
  FAILED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (DrdCustomerModel, drd_customer_model, DRD_TYPE_PAGED_MODEL)

static GObject *
create_item (DrdPagedModel *model, gint64 id)
{
  return G_OBJECT (drd_customer_row_new (id));
}

static void
fetch_rows_async (DrdPagedModel *model, const gint64 *ids, guint n_ids,
                  GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  DrdCustomerModel *self = DRD_CUSTOMER_MODEL (model);

  drd_store_gui_grid_rows_async (self->store, ids, n_ids, cancellable, callback, user_data);
}

static GPtrArray *
fetch_rows_finish (DrdPagedModel *model, GAsyncResult *result, GError **error)
{
  return drd_store_gui_grid_rows_finish (DRD_STORE (g_task_get_source_object (G_TASK (result))),
                                         result, error);
}

static void
reset_item (DrdPagedModel *model, GObject *item, gint64 id)
{
  drd_customer_row_reset (DRD_CUSTOMER_ROW (item), id);
}

static gint64
row_id (gconstpointer row)
{
  return ((const DrdGridRow *) row)->id;
}

static gboolean
update_item (DrdPagedModel *model, GObject *item, gconstpointer row)
{
  return drd_customer_row_update (DRD_CUSTOMER_ROW (item), row);
}

static void
set_busy (DrdCustomerModel *self, gboolean busy)
{
  if (self->busy == busy)
    return;
  self->busy = busy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

typedef struct {
  DrdCustomerModel *self;
  guint             generation;
  gboolean          keep;
  guint             limit;      /* a first chunk: more may follow */
  gboolean          rest;       /* the full list after a first chunk */
} IdsRequest;

static void run_rest (DrdCustomerModel *self);

static void
on_ids (GObject *source, GAsyncResult *result, gpointer user_data)
{
  IdsRequest *req = user_data;
  DrdCustomerModel *self = req->self;
  g_autoptr(GError) error = NULL;
  GArray *ids = drd_store_gui_grid_ids_finish (DRD_STORE (source), result, &error);
  gboolean failed = ids == NULL;

  if (req->keep)
    self->refreshing = FALSE;
  if (req->generation == self->generation)
    {
      if (ids != NULL)
        {
          /* Exactly the limit: there may be more. Above it: the store
           * gave every id at once. */
          gboolean more = req->limit > 0 && ids->len == req->limit;

          drd_paged_model_set_ids (DRD_PAGED_MODEL (self), ids, req->keep);
          ids = NULL;
          if (req->rest)
            self->complete = TRUE;
          else if (req->keep)
            drd_paged_model_refresh_items (DRD_PAGED_MODEL (self));
          else
            {
              self->complete = !more;
              if (more)
                run_rest (self);
              g_signal_emit (self, signals[QUERY_DONE], 0);
            }
        }
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_signal_emit (self, signals[FAILED], 0, error);
      /* Busy (the view's spinner) until every id is in. */
      if (req->rest || (!req->keep && (self->complete || failed)))
        set_busy (self, FALSE);
    }
  if (ids != NULL)
    g_array_unref (ids);
  if (req->keep && self->refresh_again)
    {
      self->refresh_again = FALSE;
      drd_customer_model_refresh (self);
    }
  g_object_unref (req->self);
  g_free (req);
}

/* The rest of a query whose first chunk is shown: like a refresh (the
 * change is a diff, one append), and refreshes wait for it. */
static void
run_rest (DrdCustomerModel *self)
{
  IdsRequest *req = g_new0 (IdsRequest, 1);

  self->refreshing = TRUE;
  req->self = g_object_ref (self);
  req->generation = self->generation;
  req->keep = TRUE;
  req->rest = TRUE;
  drd_store_gui_grid_ids_async (self->store, self->query, self->query_cancellable, on_ids, req);
}

static void
run_ids (DrdCustomerModel *self, gboolean keep)
{
  IdsRequest *req = g_new0 (IdsRequest, 1);

  if (!keep)
    {
      self->generation++;
      if (self->query_cancellable != NULL)
        g_cancellable_cancel (self->query_cancellable);
      g_clear_object (&self->query_cancellable);
      self->query_cancellable = g_cancellable_new ();
      set_busy (self, TRUE);
    }
  else if (!self->complete)
    {
      /* A refresh before the rest came in: the full list is the refresh. */
      g_free (req);
      run_rest (self);
      return;
    }
  req->self = g_object_ref (self);
  req->generation = self->generation;
  req->keep = keep;
  req->limit = keep ? 0 : self->first_chunk;
  drd_store_gui_grid_ids_limit_async (self->store, self->query, req->limit,
                                      self->query_cancellable, on_ids, req);
}

void
drd_customer_model_set_query (DrdCustomerModel *self, const DrdGridQuery *query)
{
  g_return_if_fail (DRD_IS_CUSTOMER_MODEL (self));

  g_clear_pointer (&self->query, drd_grid_query_free);
  self->query = drd_grid_query_copy (query);
  if (self->store == NULL)
    return;
  run_ids (self, FALSE);
}

const DrdGridQuery *
drd_customer_model_get_query (DrdCustomerModel *self)
{
  return self->query;
}

gboolean
drd_customer_model_get_busy (DrdCustomerModel *self)
{
  return self->busy;
}

gboolean
drd_customer_model_get_complete (DrdCustomerModel *self)
{
  g_return_val_if_fail (DRD_IS_CUSTOMER_MODEL (self), FALSE);
  return self->complete;
}

void
drd_customer_model_set_first_chunk (DrdCustomerModel *self, guint n_ids)
{
  g_return_if_fail (DRD_IS_CUSTOMER_MODEL (self));
  self->first_chunk = n_ids;
}

static gboolean
query_uses_mutable_columns (const DrdGridQuery *q)
{
  /* Answers and settlement change these columns without touching
   * updated_at, so their order or membership can change any time. */
  return q->sort == DRD_GRID_SORT_POINTS || q->sort == DRD_GRID_SORT_LAST_ANSWER
         || q->last_answer != DRD_GRID_ANY_ANSWER;
}

static void
on_stamp (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DrdCustomerModel *self = user_data;
  g_autoptr(GError) error = NULL;
  DrdGridStamp stamp;

  if (!drd_store_gui_grid_stamp_finish (DRD_STORE (source), result, &stamp, &error))
    {
      self->refreshing = FALSE;
      g_object_unref (self);
      return;
    }
  if (memcmp (&stamp, &self->stamp, sizeof stamp) != 0
      || query_uses_mutable_columns (self->query))
    {
      self->stamp = stamp;
      run_ids (self, TRUE);   /* clears refreshing when done */
    }
  else
    {
      self->refreshing = FALSE;
      drd_paged_model_refresh_items (DRD_PAGED_MODEL (self));
      if (self->refresh_again)
        {
          self->refresh_again = FALSE;
          drd_customer_model_refresh (self);
        }
    }
  g_object_unref (self);
}

void
drd_customer_model_refresh (DrdCustomerModel *self)
{
  g_return_if_fail (DRD_IS_CUSTOMER_MODEL (self));

  if (self->store == NULL || self->query == NULL)
    return;
  if (self->refreshing || self->busy)
    {
      /* One refresh at a time; remember to run one more afterwards. */
      self->refresh_again = self->refreshing;
      return;
    }
  self->refreshing = TRUE;
  drd_store_gui_grid_stamp_async (self->store, NULL, on_stamp, g_object_ref (self));
}

void
drd_customer_model_set_store (DrdCustomerModel *self, DrdStore *store)
{
  g_return_if_fail (DRD_IS_CUSTOMER_MODEL (self));

  if (!g_set_object (&self->store, store))
    return;
  drd_paged_model_clear (DRD_PAGED_MODEL (self));
  if (store != NULL && self->query != NULL)
    run_ids (self, FALSE);
}

static void
drd_customer_model_get_property (GObject *object, guint prop_id, GValue *value,
                                 GParamSpec *pspec)
{
  DrdCustomerModel *self = DRD_CUSTOMER_MODEL (object);

  switch (prop_id)
    {
    case PROP_BUSY: g_value_set_boolean (value, self->busy); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
drd_customer_model_dispose (GObject *object)
{
  DrdCustomerModel *self = DRD_CUSTOMER_MODEL (object);

  if (self->query_cancellable != NULL)
    g_cancellable_cancel (self->query_cancellable);
  g_clear_object (&self->query_cancellable);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (drd_customer_model_parent_class)->dispose (object);
}

static void
drd_customer_model_finalize (GObject *object)
{
  DrdCustomerModel *self = DRD_CUSTOMER_MODEL (object);

  g_clear_pointer (&self->query, drd_grid_query_free);
  G_OBJECT_CLASS (drd_customer_model_parent_class)->finalize (object);
}

static void
drd_customer_model_class_init (DrdCustomerModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  DrdPagedModelClass *paged_class = DRD_PAGED_MODEL_CLASS (klass);

  object_class->get_property = drd_customer_model_get_property;
  object_class->dispose = drd_customer_model_dispose;
  object_class->finalize = drd_customer_model_finalize;
  paged_class->item_type = DRD_TYPE_CUSTOMER_ROW;
  paged_class->create_item = create_item;
  paged_class->fetch_rows_async = fetch_rows_async;
  paged_class->fetch_rows_finish = fetch_rows_finish;
  paged_class->row_id = row_id;
  paged_class->reset_item = reset_item;
  paged_class->update_item = update_item;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[QUERY_DONE] = g_signal_new ("query-done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                      0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
drd_customer_model_init (DrdCustomerModel *self)
{
  DrdGridQuery q = { NULL, 0, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_ID, FALSE };

  self->query = drd_grid_query_copy (&q);
  self->first_chunk = FIRST_CHUNK;
  drd_paged_model_set_diff (DRD_PAGED_MODEL (self), DRD_PAGED_DIFF_ENDS);
}

DrdCustomerModel *
drd_customer_model_new (DrdStore *store)
{
  DrdCustomerModel *self = g_object_new (DRD_TYPE_CUSTOMER_MODEL, NULL);

  drd_customer_model_set_store (self, store);
  return self;
}
