/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "gui/drd-paged-model.h"

/* ---- DrdPagedItem ---- */

typedef struct {
  gint64    id;
  gboolean  loaded;
  char    **texts;   /* n_texts, made on first use */
} DrdPagedItemPrivate;

enum {
  ITEM_PROP_0,
  ITEM_PROP_ID,
  ITEM_PROP_LOADED,
  ITEM_N_PROPS
};
static GParamSpec *item_props[ITEM_N_PROPS];

G_DEFINE_TYPE_WITH_PRIVATE (DrdPagedItem, drd_paged_item, G_TYPE_OBJECT)

#define ITEM_PRIV(self) ((DrdPagedItemPrivate *) drd_paged_item_get_instance_private (self))

static char **
item_texts (DrdPagedItem *self)
{
  DrdPagedItemPrivate *priv = ITEM_PRIV (self);

  if (priv->texts == NULL)
    priv->texts = g_new0 (char *, DRD_PAGED_ITEM_GET_CLASS (self)->n_texts + 1);
  return priv->texts;
}

static void
drd_paged_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DrdPagedItem *self = DRD_PAGED_ITEM (object);

  if (pspec->owner_type == DRD_TYPE_PAGED_ITEM)
    {
      switch (prop_id)
        {
        case ITEM_PROP_ID: g_value_set_int64 (value, ITEM_PRIV (self)->id); break;
        case ITEM_PROP_LOADED: g_value_set_boolean (value, ITEM_PRIV (self)->loaded); break;
        default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
        }
      return;
    }
  /* a text column of the subclass: property id = column + 1 */
  g_value_set_string (value, drd_paged_item_get_text (self, prop_id - 1));
}

static void
drd_paged_item_finalize (GObject *object)
{
  DrdPagedItem *self = DRD_PAGED_ITEM (object);
  DrdPagedItemPrivate *priv = ITEM_PRIV (self);

  for (guint i = 0; priv->texts != NULL && i < DRD_PAGED_ITEM_GET_CLASS (self)->n_texts; i++)
    g_free (priv->texts[i]);
  g_free (priv->texts);
  G_OBJECT_CLASS (drd_paged_item_parent_class)->finalize (object);
}

static void
drd_paged_item_class_init (DrdPagedItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = drd_paged_item_get_property;
  object_class->finalize = drd_paged_item_finalize;
  item_props[ITEM_PROP_ID] =
    g_param_spec_int64 ("id", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  item_props[ITEM_PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, ITEM_N_PROPS, item_props);
}

static void
drd_paged_item_init (DrdPagedItem *self)
{
}

void
drd_paged_item_class_install_texts (DrdPagedItemClass  *klass,
                                    const char * const *names,
                                    guint               n_names)
{
  g_return_if_fail (klass->n_texts == 0);

  /* GObject does not inherit get_property: the subclass's texts are read
   * here too */
  if (G_OBJECT_CLASS (klass)->get_property == NULL)
    G_OBJECT_CLASS (klass)->get_property = drd_paged_item_get_property;
  klass->n_texts = n_names;
  klass->texts = g_new0 (GParamSpec *, n_names);
  for (guint i = 0; i < n_names; i++)
    {
      klass->texts[i] = g_param_spec_string (names[i], NULL, NULL, "",
                                             G_PARAM_READABLE | G_PARAM_STATIC_NICK
                                             | G_PARAM_STATIC_BLURB | G_PARAM_EXPLICIT_NOTIFY);
      g_object_class_install_property (G_OBJECT_CLASS (klass), i + 1, klass->texts[i]);
    }
}

gint64
drd_paged_item_get_id (DrdPagedItem *self)
{
  g_return_val_if_fail (DRD_IS_PAGED_ITEM (self), 0);
  return ITEM_PRIV (self)->id;
}

void
drd_paged_item_set_id (DrdPagedItem *self, gint64 id)
{
  DrdPagedItemPrivate *priv = ITEM_PRIV (self);

  if (priv->id == id)
    return;
  priv->id = id;
  g_object_notify_by_pspec (G_OBJECT (self), item_props[ITEM_PROP_ID]);
}

gboolean
drd_paged_item_get_loaded (DrdPagedItem *self)
{
  g_return_val_if_fail (DRD_IS_PAGED_ITEM (self), FALSE);
  return ITEM_PRIV (self)->loaded;
}

void
drd_paged_item_set_loaded (DrdPagedItem *self, gboolean loaded)
{
  DrdPagedItemPrivate *priv = ITEM_PRIV (self);

  if (priv->loaded == !!loaded)
    return;
  priv->loaded = !!loaded;
  g_object_notify_by_pspec (G_OBJECT (self), item_props[ITEM_PROP_LOADED]);
}

const char *
drd_paged_item_get_text (DrdPagedItem *self, guint column)
{
  const char *text;

  g_return_val_if_fail (DRD_IS_PAGED_ITEM (self), "");
  g_return_val_if_fail (column < DRD_PAGED_ITEM_GET_CLASS (self)->n_texts, "");
  text = item_texts (self)[column];
  return text != NULL ? text : "";
}

void
drd_paged_item_take_text (DrdPagedItem *self, guint column, char *text)
{
  DrdPagedItemClass *klass = DRD_PAGED_ITEM_GET_CLASS (self);
  char **texts;

  g_return_if_fail (column < klass->n_texts);
  texts = item_texts (self);
  if (g_strcmp0 (texts[column] ? texts[column] : "", text ? text : "") == 0)
    {
      g_free (text);
      return;
    }
  g_free (texts[column]);
  texts[column] = text;
  g_object_notify_by_pspec (G_OBJECT (self), klass->texts[column]);
}

void
drd_paged_item_set_text (DrdPagedItem *self, guint column, const char *text)
{
  drd_paged_item_take_text (self, column, g_strdup (text));
}

/* ---- DrdPagedModel ---- */

typedef struct {
  guint    pos;
  gint64   id;
  GObject *item;
  gboolean loaded;
} Slot;

typedef struct {
  GArray       *ids;           /* gint64 */
  guint         version;       /* bumped whenever ids change */
  DrdPagedDiff  diff;
  GHashTable   *slots;         /* position → Slot (owned) */
  GHashTable   *by_id;         /* &Slot.id → Slot (borrowed) */
  GHashTable   *pending;       /* page index → version + 1 */
  GCancellable *cancellable;
  guint         cache_limit;
  guint         n_fetches;
  guint         n_in_flight;
  guint         exposed;       /* what get_n_items says: ≤ ids->len */
  gboolean      gradual;
  guint         grow_id;
} DrdPagedModelPrivate;

#define GROW_STEP 8
#define GROW_LIMIT 240

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
slot_free (Slot *slot)
{
  g_clear_object (&slot->item);
  g_free (slot);
}

static void
by_id_remove (DrdPagedModelPrivate *priv, Slot *slot)
{
  if (g_hash_table_lookup (priv->by_id, &slot->id) == slot)
    g_hash_table_remove (priv->by_id, &slot->id);
}

static void
by_id_add (DrdPagedModelPrivate *priv, Slot *slot)
{
  g_hash_table_replace (priv->by_id, &slot->id, slot);
}

/* Points @slot at @id, as a placeholder when the id changes. */
static void
retarget (DrdPagedModel *self, Slot *slot, gint64 id)
{
  DrdPagedModelPrivate *priv = PRIV (self);

  if (slot->id == id)
    return;
  by_id_remove (priv, slot);
  slot->id = id;
  slot->loaded = FALSE;
  DRD_PAGED_MODEL_GET_CLASS (self)->reset_item (self, slot->item, id);
  by_id_add (priv, slot);
}

static GType
drd_paged_model_get_item_type (GListModel *model)
{
  return DRD_PAGED_MODEL_GET_CLASS (model)->item_type;
}

static guint
drd_paged_model_get_n_items (GListModel *model)
{
  return PRIV (DRD_PAGED_MODEL (model))->exposed;
}

static gboolean
grow (gpointer data)
{
  DrdPagedModel *self = data;
  DrdPagedModelPrivate *priv = PRIV (self);
  guint old = priv->exposed;

  priv->exposed = priv->exposed + GROW_STEP < GROW_LIMIT
                  ? MIN (priv->ids->len, priv->exposed + GROW_STEP) : priv->ids->len;
  if (priv->exposed >= priv->ids->len)
    priv->grow_id = 0;
  if (priv->exposed > old)
    g_list_model_items_changed (G_LIST_MODEL (self), old, 0, priv->exposed - old);
  return priv->grow_id != 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
evict (DrdPagedModel *self)
{
  DrdPagedModelPrivate *priv = PRIV (self);
  GHashTableIter iter;
  Slot *slot;

  if (g_hash_table_size (priv->slots) <= priv->cache_limit)
    return;
  /* Keep what a widget or a selection still holds. */
  g_hash_table_iter_init (&iter, priv->slots);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &slot))
    if (slot->item->ref_count == 1)
      {
        by_id_remove (priv, slot);
        g_hash_table_iter_remove (&iter);
      }
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
  guint n;

  if (start >= priv->ids->len)
    return;
  if (GPOINTER_TO_UINT (g_hash_table_lookup (priv->pending, GUINT_TO_POINTER (page)))
      == priv->version + 1)
    return;
  n = MIN (DRD_PAGED_MODEL_PAGE_SIZE, priv->ids->len - start);
  g_hash_table_insert (priv->pending, GUINT_TO_POINTER (page),
                       GUINT_TO_POINTER (priv->version + 1));
  fetch (self, &g_array_index (priv->ids, gint64, start), n, page, FALSE);
}

static gpointer
drd_paged_model_get_item (GListModel *model, guint position)
{
  DrdPagedModel *self = DRD_PAGED_MODEL (model);
  DrdPagedModelPrivate *priv = PRIV (self);
  gint64 id;
  Slot *slot;

  if (position >= priv->exposed)
    return NULL;
  id = g_array_index (priv->ids, gint64, position);
  slot = g_hash_table_lookup (priv->slots, GUINT_TO_POINTER (position));
  if (slot == NULL)
    {
      evict (self);
      slot = g_new0 (Slot, 1);
      slot->pos = position;
      slot->id = id;
      slot->item = DRD_PAGED_MODEL_GET_CLASS (self)->create_item (self, id);
      g_hash_table_insert (priv->slots, GUINT_TO_POINTER (position), slot);
      by_id_add (priv, slot);
    }
  else
    retarget (self, slot, id);
  if (!slot->loaded)
    fetch_page (self, position / DRD_PAGED_MODEL_PAGE_SIZE);
  return g_object_ref (slot->item);
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
  Slot *slot;

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
  slot = g_hash_table_lookup (priv->by_id, &id);
  if (slot != NULL && slot->pos < priv->ids->len
      && g_array_index (priv->ids, gint64, slot->pos) == id)
    return slot->pos;
  return G_MAXUINT;
}

/* Fills the slot showing the row's id, if any; the item notifies what
 * changed. */
static void
apply_row (DrdPagedModel *self, gconstpointer row)
{
  DrdPagedModelClass *klass = DRD_PAGED_MODEL_GET_CLASS (self);
  DrdPagedModelPrivate *priv = PRIV (self);
  gint64 id = klass->row_id (row);
  Slot *slot = g_hash_table_lookup (priv->by_id, &id);

  if (slot == NULL || slot->pos >= priv->ids->len
      || g_array_index (priv->ids, gint64, slot->pos) != id)
    return;
  klass->update_item (self, slot->item, row);
  slot->loaded = TRUE;
}

void
drd_paged_model_apply_rows (DrdPagedModel *self, GPtrArray *rows)
{
  for (guint i = 0; rows != NULL && i < rows->len; i++)
    apply_row (self, g_ptr_array_index (rows, i));
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
      /* The page is where it was. Its items are filled in place: they
       * notify their properties and the cells bound to them follow. No
       * items_changed: GTK would unbind and bind every cell of the page
       * again for the same objects (30 ms of one main-loop iteration for a
       * page of the responses table, bench/bench-gui.sh). */
      guint start = req->page * DRD_PAGED_MODEL_PAGE_SIZE;

      for (guint i = 0; i < rows->len; i++)
        {
          guint pos = start + i;
          Slot *slot;

          /* Rows not asked for yet (e.g. not exposed yet) get their slot
           * now, so the page is never fetched twice. */
          if (pos < priv->ids->len
              && g_hash_table_lookup (priv->slots, GUINT_TO_POINTER (pos)) == NULL
              && DRD_PAGED_MODEL_GET_CLASS (self)->row_id (g_ptr_array_index (rows, i))
                 == g_array_index (priv->ids, gint64, pos))
            {
              slot = g_new0 (Slot, 1);
              slot->pos = pos;
              slot->id = g_array_index (priv->ids, gint64, pos);
              slot->item = DRD_PAGED_MODEL_GET_CLASS (self)->create_item (self, slot->id);
              g_hash_table_insert (priv->slots, GUINT_TO_POINTER (pos), slot);
              by_id_add (priv, slot);
            }
          apply_row (self, g_ptr_array_index (rows, i));
        }
      evict (self);
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
  g_autoptr(GArray) pages = g_array_new (FALSE, FALSE, sizeof (guint));
  GHashTableIter iter;
  Slot *slot;

  /* Held rows that are still placeholders (their page came back without
   * them, e.g. rows that moved meanwhile) load with their page; loaded
   * ones are read again by id. */
  g_hash_table_iter_init (&iter, priv->slots);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &slot))
    if (slot->item->ref_count > 1)
      {
        if (slot->loaded)
          g_array_append_val (ids, slot->id);
        else
          {
            guint page = slot->pos / DRD_PAGED_MODEL_PAGE_SIZE;
            g_array_append_val (pages, page);
          }
      }
  for (guint i = 0; i < pages->len; i++)
    fetch_page (self, g_array_index (pages, guint, i));
  for (guint i = 0; i < ids->len; i += 256)
    fetch (self, &g_array_index (ids, gint64, i), MIN (256, ids->len - i), 0, TRUE);
}

/* Slots in [from, from + removed) go away, those after move by added - removed. */
static void
move_slots (DrdPagedModel *self, guint from, guint removed, guint added)
{
  DrdPagedModelPrivate *priv = PRIV (self);
  g_autoptr(GPtrArray) moved = g_ptr_array_new ();
  GHashTableIter iter;
  Slot *slot;

  if (removed == 0 && added == 0)
    return;
  g_hash_table_iter_init (&iter, priv->slots);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &slot))
    {
      if (slot->pos < from)
        continue;
      g_hash_table_iter_steal (&iter);
      if (slot->pos < from + removed)
        {
          by_id_remove (priv, slot);
          slot_free (slot);
          continue;
        }
      slot->pos = slot->pos - removed + added;
      g_ptr_array_add (moved, slot);
    }
  for (guint i = 0; i < moved->len; i++)
    {
      slot = g_ptr_array_index (moved, i);
      g_hash_table_insert (priv->slots, GUINT_TO_POINTER (slot->pos), slot);
    }
}

/* Reports a change already made to the id list: at @pos, @removed ids of
 * the @old_len went and @added came. During a gradual first fill only the
 * exposed prefix is a list to GTK, and it stays a prefix of the ids: a
 * change beyond it is silent; one inside it is reported whole (the shown
 * rows after it move); one that reaches past it replaces only the shown
 * part, by as many new rows as it removed. The fill goes on from there,
 * so a live refresh while the table is still filling does not make GTK
 * build every remaining row widget at once (a 35 ms main-loop iteration,
 * bench-gui cold stall). */
static void
announce (DrdPagedModel *self, guint old_len, guint pos, guint removed, guint added)
{
  DrdPagedModelPrivate *priv = PRIV (self);
  guint shown = priv->exposed;

  if (removed == 0 && added == 0)
    return;
  if (shown >= old_len)
    priv->exposed = priv->ids->len;
  else if (pos >= shown)
    return;
  else if (pos + removed <= shown)
    priv->exposed = shown - removed + added;
  else
    {
      removed = shown - pos;
      added = MIN (added, removed);
      priv->exposed = pos + added;
    }
  g_list_model_items_changed (G_LIST_MODEL (self), pos, removed, added);
}

/* GTK 4.8's list views keep the rows of removed items on screen, bound
 * to the removed objects at positions past the end of the list, when one
 * items_changed removes many of the rows they have realised (~200 around
 * the scroll anchor): a filter that shrinks a scrolled table left it
 * showing rows of the previous list (tests/gui/test-tables,
 * /tables/responses). So the rows a view holds are removed in steps of
 * at most this many, last rows first (first rows first still left some),
 * each step a consistent state of the list; rows nobody holds go in one
 * step, so a million-row list does not make thousands of signals. */
#define REMOVE_STEP DRD_PAGED_MODEL_PAGE_SIZE

/* The first and last position in [@pos, @pos + @n) whose item someone
 * (a row widget) holds. */
static gboolean
held_range (DrdPagedModel *self, guint pos, guint n, guint *lo, guint *hi)
{
  DrdPagedModelPrivate *priv = PRIV (self);
  GHashTableIter iter;
  Slot *slot;
  gboolean found = FALSE;

  g_hash_table_iter_init (&iter, priv->slots);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &slot))
    if (slot->pos >= pos && slot->pos < pos + n && slot->item->ref_count > 1)
      {
        *lo = found ? MIN (*lo, slot->pos) : slot->pos;
        *hi = found ? MAX (*hi, slot->pos) : slot->pos;
        found = TRUE;
      }
  return found;
}

static void
remove_step (DrdPagedModel *self, guint pos, guint n)
{
  DrdPagedModelPrivate *priv = PRIV (self);
  guint old_len = priv->ids->len;

  g_array_remove_range (priv->ids, pos, n);
  move_slots (self, pos, n, 0);
  announce (self, old_len, pos, n, 0);
}

/* At @pos of the current ids, @removed go and the @added of @new_ids
 * come; slots and the list view follow. */
static void
splice_ids (DrdPagedModel *self, guint pos, guint removed, const gint64 *new_ids, guint added)
{
  DrdPagedModelPrivate *priv = PRIV (self);
  guint old_len, lo, hi;

  /* (While a first fill is still exposing rows, the view has fewer rows
   * than the list and announce() reports one change for the shown part.) */
  /* The view builds rows for the new anchor as each step goes: which rows
   * it holds is asked again after every step. */
  while (removed > REMOVE_STEP && priv->exposed >= priv->ids->len
         && held_range (self, pos, removed, &lo, &hi) && hi + 1 - pos > REMOVE_STEP)
    {
      guint top = hi + 1;

      if (pos + removed > top)
        remove_step (self, top, pos + removed - top);
      remove_step (self, top - REMOVE_STEP, REMOVE_STEP);
      removed = top - REMOVE_STEP - pos;
    }
  old_len = priv->ids->len;
  if (removed > 0)
    g_array_remove_range (priv->ids, pos, removed);
  if (added > 0)
    g_array_insert_vals (priv->ids, pos, new_ids, added);
  move_slots (self, pos, removed, added);
  announce (self, old_len, pos, removed, added);
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

  while (i < old->len || j < new_ids->len)
    {
      guint r = 0, a = 0, j0, p;

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
              || (i < old->len
                  && g_array_index (old, gint64, i) < g_array_index (new_ids, gint64, j)))
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

      splice_ids (self, run[0], run[1], &g_array_index (new_ids, gint64, run[3]), run[2]);
    }
  g_array_unref (new_ids);
  return TRUE;
}

static void
fetch_held_pages (DrdPagedModel *self)
{
  DrdPagedModelPrivate *priv = PRIV (self);
  GHashTableIter iter;
  Slot *slot;

  g_hash_table_iter_init (&iter, priv->slots);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &slot))
    if (!slot->loaded && slot->item->ref_count > 1)
      fetch_page (self, slot->pos / DRD_PAGED_MODEL_PAGE_SIZE);
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
      GHashTableIter iter;
      Slot *slot;

      /* A new query: slots stay where they are and show the new ids. */
      g_cancellable_cancel (priv->cancellable);
      g_clear_object (&priv->cancellable);
      priv->cancellable = g_cancellable_new ();
      g_hash_table_remove_all (priv->pending);
      priv->version++;
      /* A shorter list loses its tail first, in steps (see splice_ids) */
      if (priv->ids->len > ids->len)
        splice_ids (self, ids->len, priv->ids->len - ids->len, NULL, 0);
      g_array_unref (priv->ids);
      priv->ids = ids;
      priv->version++;
      g_hash_table_iter_init (&iter, priv->slots);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &slot))
        {
          if (slot->pos >= ids->len)
            {
              by_id_remove (priv, slot);
              g_hash_table_iter_remove (&iter);
            }
          else
            {
              /* same id: its content may be stale for this query's
               * columns, so it reloads too */
              gint64 id = g_array_index (ids, gint64, slot->pos);

              retarget (self, slot, id);
              slot->loaded = FALSE;
            }
        }
      old_n = priv->exposed;
      g_clear_handle_id (&priv->grow_id, g_source_remove);
      if (priv->gradual && old_n < GROW_LIMIT && ids->len > old_n + GROW_STEP)
        {
          priv->exposed = old_n + GROW_STEP;
          priv->grow_id = g_timeout_add (20, grow, self);
        }
      else
        priv->exposed = ids->len;
      if (priv->exposed < old_n)
        g_list_model_items_changed (G_LIST_MODEL (self), priv->exposed, old_n - priv->exposed, 0);
      else if (priv->exposed > old_n)
        g_list_model_items_changed (G_LIST_MODEL (self), old_n, 0, priv->exposed - old_n);
      fetch_held_pages (self);
      return;
    }

  old_n = priv->ids->len;
  if (priv->diff == DRD_PAGED_DIFF_SORTED && apply_sorted_diff (self, ids))
    return;

  while (prefix < old_n && prefix < ids->len
         && g_array_index (priv->ids, gint64, prefix) == g_array_index (ids, gint64, prefix))
    prefix++;
  while (suffix < old_n - prefix && suffix < ids->len - prefix
         && g_array_index (priv->ids, gint64, old_n - 1 - suffix)
            == g_array_index (ids, gint64, ids->len - 1 - suffix))
    suffix++;

  priv->version++;
  g_hash_table_remove_all (priv->pending);
  splice_ids (self, prefix, old_n - prefix - suffix, &g_array_index (ids, gint64, prefix),
              ids->len - prefix - suffix);
  g_assert (priv->ids->len == ids->len);
  g_array_unref (ids);
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
  return g_hash_table_size (PRIV (self)->slots);
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
drd_paged_model_set_gradual (DrdPagedModel *self, gboolean gradual)
{
  PRIV (self)->gradual = gradual;
}

guint
drd_paged_model_get_n_rows (DrdPagedModel *self)
{
  return PRIV (self)->ids->len;
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
  g_clear_handle_id (&priv->grow_id, g_source_remove);
  g_hash_table_remove_all (priv->by_id);
  g_hash_table_remove_all (priv->slots);
  G_OBJECT_CLASS (drd_paged_model_parent_class)->dispose (object);
}

static void
drd_paged_model_finalize (GObject *object)
{
  DrdPagedModelPrivate *priv = PRIV (DRD_PAGED_MODEL (object));

  g_array_unref (priv->ids);
  g_hash_table_unref (priv->by_id);
  g_hash_table_unref (priv->slots);
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
  priv->slots = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) slot_free);
  priv->by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  priv->pending = g_hash_table_new (NULL, NULL);
  priv->cancellable = g_cancellable_new ();
  priv->cache_limit = 8 * DRD_PAGED_MODEL_PAGE_SIZE;
}
