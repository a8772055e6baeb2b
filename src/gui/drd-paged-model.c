/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "gui/drd-paged-model.h"

typedef struct {
  gint64   id;
  GObject *item;
  guint    pos_hint;
  gboolean loaded;
} Entry;

typedef struct {
  GArray       *ids;           /* gint64 */
  guint         version;       /* bumped whenever ids change */
  DrdPagedDiff  diff;
  GHashTable   *entries;       /* &Entry.id → Entry */
  GHashTable   *pending;       /* page index → version + 1 */
  GCancellable *cancellable;
  guint         cache_limit;
  guint         n_fetches;
  guint         n_in_flight;
} DrdPagedModelPrivate;

static void drd_paged_model_list_model_init (GListModelInterface *iface);

G_DEFINE_TYPE_WITH_CODE (DrdPagedModel, drd_paged_model, G_TYPE_OBJECT,
                         G_ADD_PRIVATE (DrdPagedModel)
                         G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                drd_paged_model_list_model_init))

#define PRIV(self) ((DrdPagedModelPrivate *) drd_paged_model_get_instance_private (self))

typedef struct {
  DrdPagedModel *self;
  guint          page;
  guint          version;
  gboolean       refresh;    /* a live refresh, not a page load */
} Request;

static void
entry_free (Entry *e)
{
  g_clear_object (&e->item);
  g_free (e);
}

static GType
drd_paged_model_get_item_type (GListModel *model)
{
  return DRD_PAGED_MODEL_GET_CLASS (model)->item_type;
}

static guint
drd_paged_model_get_n_items (GListModel *model)
{
  return PRIV (DRD_PAGED_MODEL (model))->ids->len;
}

static void
evict (DrdPagedModel *self)
{
  DrdPagedModelPrivate *priv = PRIV (self);
  GHashTableIter iter;
  Entry *e;

  if (g_hash_table_size (priv->entries) <= priv->cache_limit)
    return;
  /* Keep what a widget or a selection still holds. */
  g_hash_table_iter_init (&iter, priv->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &e))
    if (G_OBJECT (e->item)->ref_count == 1)
      g_hash_table_iter_remove (&iter);
}

static void on_rows_fetched (GObject *source, GAsyncResult *result, gpointer user_data);

static void
fetch (DrdPagedModel *self, const gint64 *ids, guint n, guint page, gboolean refresh)
{
  DrdPagedModelPrivate *priv = PRIV (self);
  Request *req = g_new0 (Request, 1);

  req->self = g_object_ref (self);
  req->page = page;
  req->version = priv->version;
  req->refresh = refresh;
  priv->n_fetches++;
  priv->n_in_flight++;
  DRD_PAGED_MODEL_GET_CLASS (self)->fetch_rows_async (self, ids, n, priv->cancellable,
                                                      on_rows_fetched, req);
}

static void
fetch_page (DrdPagedModel *self, guint page)
{
  DrdPagedModelPrivate *priv = PRIV (self);
  guint start = page * DRD_PAGED_MODEL_PAGE_SIZE;
  guint n = MIN (DRD_PAGED_MODEL_PAGE_SIZE, priv->ids->len - start);

  g_hash_table_insert (priv->pending, GUINT_TO_POINTER (page),
                       GUINT_TO_POINTER (priv->version + 1));
  fetch (self, &g_array_index (priv->ids, gint64, start), n, page, FALSE);
}

static gpointer
drd_paged_model_get_item (GListModel *model, guint position)
{
  DrdPagedModel *self = DRD_PAGED_MODEL (model);
  DrdPagedModelPrivate *priv = PRIV (self);
  guint page = position / DRD_PAGED_MODEL_PAGE_SIZE;
  gint64 id;
  Entry *e;

  if (position >= priv->ids->len)
    return NULL;
  id = g_array_index (priv->ids, gint64, position);
  e = g_hash_table_lookup (priv->entries, &id);
  if (e == NULL)
    {
      evict (self);
      e = g_new0 (Entry, 1);
      e->id = id;
      e->item = DRD_PAGED_MODEL_GET_CLASS (self)->create_item (self, id);
      g_hash_table_insert (priv->entries, &e->id, e);
    }
  e->pos_hint = position;
  if (!e->loaded)
    {
      gpointer v = g_hash_table_lookup (priv->pending, GUINT_TO_POINTER (page));

      if (GPOINTER_TO_UINT (v) != priv->version + 1)
        fetch_page (self, page);
    }
  return g_object_ref (e->item);
}

static void
drd_paged_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = drd_paged_model_get_item_type;
  iface->get_n_items = drd_paged_model_get_n_items;
  iface->get_item = drd_paged_model_get_item;
}

guint
drd_paged_model_find (DrdPagedModel *self, gint64 id)
{
  DrdPagedModelPrivate *priv = PRIV (self);
  Entry *e;

  if (priv->diff == DRD_PAGED_DIFF_SORTED)
    {
      guint lo = 0, hi = priv->ids->len;

      while (lo < hi)
        {
          guint mid = lo + (hi - lo) / 2;
          gint64 v = g_array_index (priv->ids, gint64, mid);

          if (v == id)
            return mid;
          if (v < id)
            lo = mid + 1;
          else
            hi = mid;
        }
      return G_MAXUINT;
    }
  e = g_hash_table_lookup (priv->entries, &id);
  if (e != NULL && e->pos_hint < priv->ids->len
      && g_array_index (priv->ids, gint64, e->pos_hint) == id)
    return e->pos_hint;
  return G_MAXUINT;
}

static gboolean
apply_row (DrdPagedModel *self, gconstpointer row, Entry **out_entry)
{
  DrdPagedModelClass *klass = DRD_PAGED_MODEL_GET_CLASS (self);
  gint64 id = klass->row_id (row);
  Entry *e = g_hash_table_lookup (PRIV (self)->entries, &id);
  gboolean changed;

  *out_entry = e;
  if (e == NULL)
    return FALSE;
  changed = klass->update_item (self, e->item, row) || !e->loaded;
  e->loaded = TRUE;
  return changed;
}

void
drd_paged_model_apply_rows (DrdPagedModel *self, GPtrArray *rows)
{
  for (guint i = 0; rows != NULL && i < rows->len; i++)
    {
      Entry *e;

      if (apply_row (self, g_ptr_array_index (rows, i), &e))
        {
          guint pos = drd_paged_model_find (self, e->id);

          if (pos != G_MAXUINT)
            g_list_model_items_changed (G_LIST_MODEL (self), pos, 1, 1);
        }
    }
}

static void
on_rows_fetched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Request *req = user_data;
  DrdPagedModel *self = req->self;
  DrdPagedModelPrivate *priv = PRIV (self);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  priv->n_in_flight--;
  rows = DRD_PAGED_MODEL_GET_CLASS (self)->fetch_rows_finish (self, result, &error);
  if (!req->refresh
      && GPOINTER_TO_UINT (g_hash_table_lookup (priv->pending, GUINT_TO_POINTER (req->page)))
         == req->version + 1)
    g_hash_table_remove (priv->pending, GUINT_TO_POINTER (req->page));

  if (rows == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("paged model: fetching rows failed: %s", error->message);
      goto out;
    }

  if (!req->refresh && req->version == priv->version)
    {
      /* The page is where it was: one change for the whole page. */
      guint start = req->page * DRD_PAGED_MODEL_PAGE_SIZE;
      gboolean any = FALSE;

      for (guint i = 0; i < rows->len; i++)
        {
          Entry *e;
          any |= apply_row (self, g_ptr_array_index (rows, i), &e);
        }
      if (any && start < priv->ids->len)
        g_list_model_items_changed (G_LIST_MODEL (self), start,
                                    MIN (rows->len, priv->ids->len - start),
                                    MIN (rows->len, priv->ids->len - start));
    }
  else
    drd_paged_model_apply_rows (self, rows);

out:
  g_object_unref (req->self);
  g_free (req);
}

void
drd_paged_model_refresh_items (DrdPagedModel *self)
{
  DrdPagedModelPrivate *priv = PRIV (self);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  GHashTableIter iter;
  Entry *e;

  g_hash_table_iter_init (&iter, priv->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &e))
    if (e->loaded && G_OBJECT (e->item)->ref_count > 1)
      g_array_append_val (ids, e->id);
  for (guint i = 0; i < ids->len; i += 256)
    fetch (self, &g_array_index (ids, gint64, i), MIN (256, ids->len - i), 0, TRUE);
}

static void
shift_hints (DrdPagedModel *self, guint from, gint delta)
{
  GHashTableIter iter;
  Entry *e;

  if (delta == 0)
    return;
  g_hash_table_iter_init (&iter, PRIV (self)->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &e))
    if (e->pos_hint >= from)
      e->pos_hint = (guint) ((gint) e->pos_hint + delta);
}

/* Sorted diff applied run by run, so that during each items_changed the
 * model already looks like the list after that change. Returns FALSE
 * (nothing done) when there are too many runs for that to be cheap. */
static gboolean
apply_sorted_diff (DrdPagedModel *self, GArray *new_ids)
{
  DrdPagedModelPrivate *priv = PRIV (self);
  GArray *old = priv->ids;
  g_autoptr(GArray) runs = g_array_new (FALSE, FALSE, sizeof (guint) * 4);
  guint i = 0, j = 0, pos = 0;

  /* Each run: position (in the final list), removed, added, start in new_ids. */
  while (i < old->len || j < new_ids->len)
    {
      guint r = 0, a = 0, j0 = j, p = pos;

      while (i < old->len && j < new_ids->len
             && g_array_index (old, gint64, i) == g_array_index (new_ids, gint64, j))
        {
          i++; j++; pos++;
        }
      p = pos;
      j0 = j;
      while ((i < old->len || j < new_ids->len)
             && !(i < old->len && j < new_ids->len
                  && g_array_index (old, gint64, i) == g_array_index (new_ids, gint64, j)))
        {
          if (j >= new_ids->len
              || (i < old->len && g_array_index (old, gint64, i) < g_array_index (new_ids, gint64, j)))
            {
              i++; r++;
            }
          else
            {
              j++; a++;
            }
        }
      if (r > 0 || a > 0)
        {
          guint run[4] = { p, r, a, j0 };

          g_array_append_vals (runs, run, 1);
          pos += a;
          if (runs->len > 64)
            return FALSE;
        }
    }

  priv->version++;
  g_hash_table_remove_all (priv->pending);
  for (guint k = 0; k < runs->len; k++)
    {
      guint *run = &g_array_index (runs, guint, k * 4);

      if (run[1] > 0)
        g_array_remove_range (priv->ids, run[0], run[1]);
      if (run[2] > 0)
        g_array_insert_vals (priv->ids, run[0], &g_array_index (new_ids, gint64, run[3]), run[2]);
      g_list_model_items_changed (G_LIST_MODEL (self), run[0], run[1], run[2]);
    }
  g_array_unref (new_ids);
  return TRUE;
}

void
drd_paged_model_set_ids (DrdPagedModel *self, GArray *ids, gboolean keep_items)
{
  DrdPagedModelPrivate *priv = PRIV (self);
  guint old_n = priv->ids->len;
  guint prefix = 0, suffix = 0;

  g_return_if_fail (DRD_IS_PAGED_MODEL (self));
  g_return_if_fail (ids != NULL);

  if (!keep_items)
    {
      g_cancellable_cancel (priv->cancellable);
      g_clear_object (&priv->cancellable);
      priv->cancellable = g_cancellable_new ();
      g_hash_table_remove_all (priv->pending);
      g_hash_table_remove_all (priv->entries);
      g_array_unref (priv->ids);
      priv->ids = ids;
      priv->version++;
      if (old_n > 0 || ids->len > 0)
        g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, ids->len);
      return;
    }

  if (priv->diff == DRD_PAGED_DIFF_SORTED && apply_sorted_diff (self, ids))
    return;

  while (prefix < old_n && prefix < ids->len
         && g_array_index (priv->ids, gint64, prefix) == g_array_index (ids, gint64, prefix))
    prefix++;
  while (suffix < old_n - prefix && suffix < ids->len - prefix
         && g_array_index (priv->ids, gint64, old_n - 1 - suffix)
            == g_array_index (ids, gint64, ids->len - 1 - suffix))
    suffix++;

  g_array_unref (priv->ids);
  priv->ids = ids;
  priv->version++;
  g_hash_table_remove_all (priv->pending);
  if (old_n - prefix - suffix == 0 && ids->len - prefix - suffix == 0)
    return;
  shift_hints (self, old_n - suffix, (gint) ids->len - (gint) old_n);
  g_list_model_items_changed (G_LIST_MODEL (self), prefix, old_n - prefix - suffix,
                              ids->len - prefix - suffix);
}

const GArray *
drd_paged_model_get_ids (DrdPagedModel *self)
{
  return PRIV (self)->ids;
}

void
drd_paged_model_set_diff (DrdPagedModel *self, DrdPagedDiff diff)
{
  PRIV (self)->diff = diff;
}

void
drd_paged_model_clear (DrdPagedModel *self)
{
  drd_paged_model_set_ids (self, g_array_new (FALSE, FALSE, sizeof (gint64)), FALSE);
}

guint
drd_paged_model_get_n_cached (DrdPagedModel *self)
{
  return g_hash_table_size (PRIV (self)->entries);
}

guint
drd_paged_model_get_n_pending (DrdPagedModel *self)
{
  return PRIV (self)->n_in_flight;
}

guint
drd_paged_model_get_n_fetches (DrdPagedModel *self)
{
  return PRIV (self)->n_fetches;
}

void
drd_paged_model_set_cache_limit (DrdPagedModel *self, guint limit)
{
  PRIV (self)->cache_limit = limit;
}

static void
drd_paged_model_dispose (GObject *object)
{
  DrdPagedModelPrivate *priv = PRIV (DRD_PAGED_MODEL (object));

  if (priv->cancellable != NULL)
    g_cancellable_cancel (priv->cancellable);
  g_clear_object (&priv->cancellable);
  g_hash_table_remove_all (priv->entries);
  G_OBJECT_CLASS (drd_paged_model_parent_class)->dispose (object);
}

static void
drd_paged_model_finalize (GObject *object)
{
  DrdPagedModelPrivate *priv = PRIV (DRD_PAGED_MODEL (object));

  g_array_unref (priv->ids);
  g_hash_table_unref (priv->entries);
  g_hash_table_unref (priv->pending);
  G_OBJECT_CLASS (drd_paged_model_parent_class)->finalize (object);
}

static void
drd_paged_model_class_init (DrdPagedModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = drd_paged_model_dispose;
  object_class->finalize = drd_paged_model_finalize;
  klass->item_type = G_TYPE_OBJECT;
}

static void
drd_paged_model_init (DrdPagedModel *self)
{
  DrdPagedModelPrivate *priv = PRIV (self);

  priv->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  priv->entries = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                         (GDestroyNotify) entry_free);
  priv->pending = g_hash_table_new (NULL, NULL);
  priv->cancellable = g_cancellable_new ();
  priv->cache_limit = 8 * DRD_PAGED_MODEL_PAGE_SIZE;
}
