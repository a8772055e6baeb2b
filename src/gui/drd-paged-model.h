/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdPagedModel: a GListModel over an ordered list of row ids (one gint64
 * per row, e.g. 8 MB for a million customers) whose row objects are only
 * made for the rows someone asks for. get_item() returns a placeholder at
 * once and fetches its page off the main thread; when the page arrives
 * the same objects are filled in and notify their properties (no
 * items_changed: the list view would unbind and bind every cell again). Row objects are slots kept per position and
 * dropped when nobody but the model holds them.
 *
 * A new query keeps the slots and re-targets them to the new ids: only
 * the change in length is reported, so the list view keeps its ~200 row
 * widgets instead of building them again (that cost seconds per query).
 * A live refresh diffs the old and new id lists and reports exactly the
 * rows that came or went; slots after them move along, so scroll
 * position and selection stay. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define DRD_PAGED_MODEL_PAGE_SIZE 64

/* DrdPagedItem: the row object of every DrdPagedModel. A row is a
 * placeholder (only its id known) until its page arrives, then it is
 * filled in place, and a new query re-targets it to another id: the list
 * view never hears of either (no items_changed), so the notify of the
 * text property is the only way a bound cell learns that it must show
 * something else. The texts a table shows are string properties declared
 * once per class (drd_paged_item_class_install_texts) and changed only
 * through drd_paged_item_set_text(), which notifies exactly when the text
 * changed: no row type can forget to. */
#define DRD_TYPE_PAGED_ITEM (drd_paged_item_get_type ())
G_DECLARE_DERIVABLE_TYPE (DrdPagedItem, drd_paged_item, DRD, PAGED_ITEM, GObject)

struct _DrdPagedItemClass
{
  GObjectClass parent_class;

  /*< private >*/
  guint        n_texts;
  GParamSpec **texts;
};

/* Installs one read-only string property per name, column i = names[i]. */
void        drd_paged_item_class_install_texts (DrdPagedItemClass  *klass,
                                                const char * const *names,
                                                guint               n_names);
gint64      drd_paged_item_get_id (DrdPagedItem *self);
/* Notifies "id" when it changes. */
void        drd_paged_item_set_id (DrdPagedItem *self, gint64 id);
gboolean    drd_paged_item_get_loaded (DrdPagedItem *self);
void        drd_paged_item_set_loaded (DrdPagedItem *self, gboolean loaded);
/* Never NULL ("" until set). */
const char *drd_paged_item_get_text (DrdPagedItem *self, guint column);
/* Takes @text (NULL = ""); notifies the column's property when it changed. */
void        drd_paged_item_take_text (DrdPagedItem *self, guint column, char *text);
void        drd_paged_item_set_text (DrdPagedItem *self, guint column, const char *text);

typedef enum {
  DRD_PAGED_DIFF_ENDS = 0,     /* ids in any order: common prefix and suffix */
  DRD_PAGED_DIFF_SORTED = 1,   /* ids ascending: exact merge diff, one change per run */
} DrdPagedDiff;

#define DRD_TYPE_PAGED_MODEL (drd_paged_model_get_type ())
G_DECLARE_DERIVABLE_TYPE (DrdPagedModel, drd_paged_model, DRD, PAGED_MODEL, GObject)

struct _DrdPagedModelClass
{
  GObjectClass parent_class;

  GType       item_type;   /* a DrdPagedItem */
  /* A placeholder item for @id. */
  GObject  *(*create_item)       (DrdPagedModel *self, gint64 id);
  /* Rows (any pointer type freed by the array) for @ids, same order. */
  void      (*fetch_rows_async)  (DrdPagedModel *self, const gint64 *ids, guint n_ids,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data);
  GPtrArray*(*fetch_rows_finish) (DrdPagedModel *self, GAsyncResult *result, GError **error);
  gint64    (*row_id)            (gconstpointer row);
  /* Makes @item a placeholder for @id (slots are reused across queries). */
  void      (*reset_item)        (DrdPagedModel *self, GObject *item, gint64 id);
  /* Copies @row into @item; returns TRUE when something visible changed. */
  gboolean  (*update_item)       (DrdPagedModel *self, GObject *item, gconstpointer row);
};

/* @ids is taken over. With @keep_items the change is diffed (live
 * refresh); without, everything is replaced (a new query). */
void          drd_paged_model_set_ids (DrdPagedModel *self, GArray *ids, gboolean keep_items);
const GArray *drd_paged_model_get_ids (DrdPagedModel *self);
void          drd_paged_model_set_diff (DrdPagedModel *self, DrdPagedDiff diff);
/* Position of @id (G_MAXUINT when absent). Sorted mode: binary search;
 * otherwise only for items handed out. */
guint         drd_paged_model_find (DrdPagedModel *self, gint64 id);
/* Applies fresh rows (e.g. changed answers) to the cached items, in place:
 * each item notifies the properties that really changed. */
void          drd_paged_model_apply_rows (DrdPagedModel *self, GPtrArray *rows);
/* Re-fetches the rows of every item someone still holds (live refresh). */
void          drd_paged_model_refresh_items (DrdPagedModel *self);
/* Drops everything (store closed, model no longer shown). */
void          drd_paged_model_clear (DrdPagedModel *self);

/* When a list first fills (from empty), expose its rows a few dozen per
 * frame until the list view has built its ~200 row widgets, so building
 * them never freezes a frame. For models shown in a view. */
void          drd_paged_model_set_gradual (DrdPagedModel *self, gboolean gradual);
/* Rows of the current id list, including those not exposed yet. */
guint         drd_paged_model_get_n_rows (DrdPagedModel *self);

/* For tests and the benchmark. */
guint         drd_paged_model_get_n_cached (DrdPagedModel *self);
guint         drd_paged_model_get_n_pending (DrdPagedModel *self);
guint         drd_paged_model_get_n_fetches (DrdPagedModel *self);
void          drd_paged_model_set_cache_limit (DrdPagedModel *self, guint limit);

G_END_DECLS
