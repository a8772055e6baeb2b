/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "gui/drd-response-item.h"
#include "gui/drd-response-model.h"

struct _DrdResponseModel
{
  DrdPagedModel  parent_instance;

  DrdStore      *store;
  gint64         event_id;
  int            answer_filter;
  guint          generation;
  GCancellable  *cancellable;
  gint64         watermark;      /* newest answered_at applied; -1 before the first load */
  gboolean       refreshing;
  gboolean       refresh_again;
  gboolean       loading;
  char          *search;         /* daily: NULL = none */
  DrdResponseSort sort;
  gboolean       descending;
};

enum {
  LOADED,
  FAILED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (DrdResponseModel, drd_response_model, DRD_TYPE_PAGED_MODEL)

static GObject *
create_item (DrdPagedModel *model, gint64 id)
{
  return G_OBJECT (drd_response_item_new (id));
}

static void
fetch_rows_async (DrdPagedModel *model, const gint64 *ids, guint n_ids,
                  GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  DrdResponseModel *self = DRD_RESPONSE_MODEL (model);

  drd_store_gui_response_rows_async (self->store, self->event_id, ids, n_ids, cancellable,
                                     callback, user_data);
}

static GPtrArray *
fetch_rows_finish (DrdPagedModel *model, GAsyncResult *result, GError **error)
{
  return drd_store_gui_response_rows_finish (DRD_STORE (g_task_get_source_object (G_TASK (result))),
                                             result, error);
}

static void
reset_item (DrdPagedModel *model, GObject *item, gint64 id)
{
  drd_response_item_reset (DRD_RESPONSE_ITEM (item), id);
}

static gint64
row_id (gconstpointer row)
{
  return ((const DrdResponseRow *) row)->customer_id;
}

static gboolean
update_item (DrdPagedModel *model, GObject *item, gconstpointer row)
{
  return drd_response_item_update (DRD_RESPONSE_ITEM (item), row);
}

typedef struct {
  DrdResponseModel *self;
  guint             generation;
  gboolean          keep;
} Request;

static void
on_responses (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Request *req = user_data;
  DrdResponseModel *self = req->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdResponseRefresh) r = drd_store_gui_responses_finish (DRD_STORE (source), result,
                                                                    &error);

  if (req->keep)
    self->refreshing = FALSE;
  else if (req->generation == self->generation)
    self->loading = FALSE;

  if (req->generation == self->generation)
    {
      if (r != NULL)
        {
          /* During the first load rows arrive page by page; the
           * watermark starts at the load's own time. */
          if (req->keep)
            self->watermark = MAX (self->watermark, r->watermark);
          drd_paged_model_set_ids (DRD_PAGED_MODEL (self), g_steal_pointer (&r->ids), req->keep);
          drd_paged_model_apply_rows (DRD_PAGED_MODEL (self), r->changed);
          if (req->keep)
            drd_paged_model_refresh_items (DRD_PAGED_MODEL (self));
          g_signal_emit (self, signals[LOADED], 0);
        }
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_signal_emit (self, signals[FAILED], 0, error);
    }
  if (req->keep && self->refresh_again)
    {
      self->refresh_again = FALSE;
      drd_response_model_refresh (self);
    }
  g_object_unref (req->self);
  g_free (req);
}

static void
run (DrdResponseModel *self, gboolean keep)
{
  Request *req = g_new0 (Request, 1);
  gint64 since;

  req->self = g_object_ref (self);
  req->generation = self->generation;
  req->keep = keep;
  /* First load: no changed rows wanted (-1), but remember "now" minus a
   * second as the watermark so answers during the load are not missed. */
  since = keep ? self->watermark : -1;
  if (!keep)
    self->watermark = drd_store_now () - 1;
  {
    DrdResponseQuery q = { self->answer_filter, self->search, self->sort, self->descending };

    drd_store_gui_responses_query_async (self->store, self->event_id, &q, since,
                                         self->cancellable, on_responses, req);
  }
}

void
drd_response_model_set_query (DrdResponseModel *self, gint64 event_id,
                              const DrdResponseQuery *query)
{
  g_return_if_fail (DRD_IS_RESPONSE_MODEL (self));

  g_free (self->search);
  self->search = query->search != NULL && *query->search != '\0' ? g_strdup (query->search) : NULL;
  self->sort = query->sort < DRD_RESPONSE_N_SORTS ? query->sort : DRD_RESPONSE_SORT_ID;
  self->descending = query->descending;
  drd_paged_model_set_diff (DRD_PAGED_MODEL (self),
                            self->sort == DRD_RESPONSE_SORT_ID && !self->descending
                            ? DRD_PAGED_DIFF_SORTED : DRD_PAGED_DIFF_ENDS);
  drd_response_model_set_event (self, event_id, query->answer_filter);
}

void
drd_response_model_set_event (DrdResponseModel *self, gint64 event_id, int answer_filter)
{
  g_return_if_fail (DRD_IS_RESPONSE_MODEL (self));

  self->event_id = event_id;
  self->answer_filter = answer_filter;
  self->generation++;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->refreshing = FALSE;
  self->refresh_again = FALSE;
  if (self->store == NULL || event_id <= 0)
    {
      drd_paged_model_clear (DRD_PAGED_MODEL (self));
      return;
    }
  self->loading = TRUE;
  run (self, FALSE);
}

gint64
drd_response_model_get_event (DrdResponseModel *self)
{
  return self->event_id;
}

int
drd_response_model_get_answer_filter (DrdResponseModel *self)
{
  return self->answer_filter;
}

void
drd_response_model_refresh (DrdResponseModel *self)
{
  g_return_if_fail (DRD_IS_RESPONSE_MODEL (self));

  if (self->store == NULL || self->event_id <= 0)
    return;
  if (self->loading || self->refreshing)
    {
      self->refresh_again = TRUE;
      return;
    }
  self->refreshing = TRUE;
  run (self, TRUE);
}

void
drd_response_model_set_store (DrdResponseModel *self, DrdStore *store)
{
  if (!g_set_object (&self->store, store))
    return;
  drd_response_model_set_event (self, 0, -1);
}

static void
drd_response_model_dispose (GObject *object)
{
  DrdResponseModel *self = DRD_RESPONSE_MODEL (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_pointer (&self->search, g_free);
  G_OBJECT_CLASS (drd_response_model_parent_class)->dispose (object);
}

static void
drd_response_model_class_init (DrdResponseModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  DrdPagedModelClass *paged_class = DRD_PAGED_MODEL_CLASS (klass);

  object_class->dispose = drd_response_model_dispose;
  paged_class->item_type = DRD_TYPE_RESPONSE_ITEM;
  paged_class->create_item = create_item;
  paged_class->fetch_rows_async = fetch_rows_async;
  paged_class->fetch_rows_finish = fetch_rows_finish;
  paged_class->row_id = row_id;
  paged_class->reset_item = reset_item;
  paged_class->update_item = update_item;

  signals[LOADED] = g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
drd_response_model_init (DrdResponseModel *self)
{
  self->answer_filter = -1;
  self->watermark = -1;
  drd_paged_model_set_diff (DRD_PAGED_MODEL (self), DRD_PAGED_DIFF_SORTED);
}

DrdResponseModel *
drd_response_model_new (DrdStore *store)
{
  DrdResponseModel *self = g_object_new (DRD_TYPE_RESPONSE_MODEL, NULL);

  drd_response_model_set_store (self, store);
  return self;
}
