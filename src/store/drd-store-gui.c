/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <glib/gi18n-lib.h>

#include <string.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "store/drd-store-gui.h"
#include "store/drd-store-private.h"

/* ------------------------------------------------------------------ */
/* helpers                                                            */

static int
progress_cancel (void *data)
{
  return g_cancellable_is_cancelled (G_CANCELLABLE (data)) ? 1 : 0;
}

/* A step that may be interrupted by the cancellable: SQLITE_INTERRUPT is
 * reported as G_IO_ERROR_CANCELLED, not as a database failure. */
/* The window's reads run on GTask's pool threads while the main thread
 * draws. On a busy machine every runnable thread of the process competes
 * for the same CPUs, and a frame waits behind a 100,000-row scan: these
 * threads step back (nice +5 as the writer, once per thread; raising one's own nice
 * needs no privilege) so the UI thread gets the CPU first. */
static void
background_priority (sqlite3 *db)
{
  /* The store gives every connection 16 MiB of page cache for bulk
   * writes; the window's scans of a 1,000,000-row index would fill that
   * on each of the four readers (64 MiB of the window's memory for pages
   * the OS caches anyway). A reader serving the window keeps 4 MiB. */
  sqlite3_exec (db, "PRAGMA cache_size = -4096", NULL, NULL, NULL);
#ifdef __linux__
  static GPrivate lowered;

  if (g_private_get (&lowered) == NULL)
    {
      id_t tid = (id_t) syscall (SYS_gettid);
      int current;

      errno = 0;
      current = getpriority (PRIO_PROCESS, tid);
      if (errno == 0)
        setpriority (PRIO_PROCESS, tid, current + DRD_STORE_BACKGROUND_NICE);
      g_private_set (&lowered, GINT_TO_POINTER (1));
    }
#endif
}

static gboolean
step_error (GError **error, sqlite3 *db, int rc, GCancellable *cancellable, const char *what)
{
  if (rc == SQLITE_INTERRUPT || g_cancellable_is_cancelled (cancellable))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s: cancelled", what);
      return FALSE;
    }
  return drd_store_set_sqlite_error (error, db, what);
}

static char *
dup_column (sqlite3_stmt *stmt, int col)
{
  const unsigned char *s = sqlite3_column_text (stmt, col);

  return s != NULL ? g_strdup ((const char *) s) : NULL;
}

/* ------------------------------------------------------------------ */
/* grid query                                                         */

DrdGridQuery *
drd_grid_query_copy (const DrdGridQuery *q)
{
  DrdGridQuery *c = g_new (DrdGridQuery, 1);

  *c = *q;
  c->search = g_strdup (q->search);
  return c;
}

void
drd_grid_query_free (DrdGridQuery *q)
{
  if (q == NULL)
    return;
  g_free (q->search);
  g_free (q);
}

gboolean
drd_grid_query_equal (const DrdGridQuery *a, const DrdGridQuery *b)
{
  return g_strcmp0 (a->search ? a->search : "", b->search ? b->search : "") == 0
         && a->resource_id == b->resource_id && a->last_answer == b->last_answer
         && a->sort == b->sort && a->descending == b->descending;
}

void
drd_grid_row_free (DrdGridRow *row)
{
  if (row == NULL)
    return;
  g_free (row->name);
  g_free (row->kepco_no);
  g_free (row->resource);
  g_free (row);
}

gboolean
drd_grid_row_equal (const DrdGridRow *a, const DrdGridRow *b)
{
  return a->id == b->id && g_strcmp0 (a->name, b->name) == 0
         && g_strcmp0 (a->kepco_no, b->kepco_no) == 0
         && g_strcmp0 (a->resource, b->resource) == 0
         && a->registered_w == b->registered_w && a->cbl_method == b->cbl_method
         && a->points_balance == b->points_balance && a->last_answer == b->last_answer
         && a->last_answered_at == b->last_answered_at;
}

/* ORDER BY per column; every one is served by an index of schema-v1.sql
 * (resource: resources' name index outer, customers_resource inner). */
static const char *order_asc[DRD_GRID_N_SORTS] = {
  "c.id",
  "c.name, c.id",
  "c.kepco_no",
  "r.name, c.id",
  "c.registered_w, c.id",
  "c.cbl_method, c.id",
  "c.points_balance, c.id",
  "c.last_answer, c.id",
};
static const char *order_desc[DRD_GRID_N_SORTS] = {
  "c.id DESC",
  "c.name DESC, c.id DESC",
  "c.kepco_no DESC",
  "r.name DESC, c.id DESC",
  "c.registered_w DESC, c.id DESC",
  "c.cbl_method DESC, c.id DESC",
  "c.points_balance DESC, c.id DESC",
  "c.last_answer DESC, c.id DESC",
};

typedef enum { SEARCH_NONE, SEARCH_PREFIX, SEARCH_FTS } SearchMode;

static SearchMode
search_mode (const char *search)
{
  if (search == NULL || *search == '\0')
    return SEARCH_NONE;
  /* The trigram index needs three characters. */
  return g_utf8_strlen (search, -1) >= 3 ? SEARCH_FTS : SEARCH_PREFIX;
}

/* A search sorted by id: with ORDER BY c.id SQLite either sorts every
 * match or walks the whole table in rowid order testing names (1.4 s for
 * "김민" in 1,000,000 customers). Without it the search's own index range
 * is scanned and the ids are sorted here (a 164,000-id sort is ~10 ms). */
static gboolean
sort_ids_in_c (const DrdGridQuery *q)
{
  return q->sort == DRD_GRID_SORT_ID && search_mode (q->search) != SEARCH_NONE;
}

static int
cmp_id_asc (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static int
cmp_id_desc (gconstpointer a, gconstpointer b)
{
  return cmp_id_asc (b, a);
}

/* The statement text is assembled from fixed fragments only; every value
 * the user typed is bound. */
static char *
grid_sql (const DrdGridQuery *q)
{
  GString *sql = g_string_new ("SELECT c.id FROM ");
  SearchMode mode = search_mode (q->search);
  const char *sep = " WHERE ";

  if (q->sort == DRD_GRID_SORT_RESOURCE)
    g_string_append (sql, "resources r JOIN customers c ON c.resource_id = r.id");
  else
    g_string_append (sql, "customers c");

  if (mode == SEARCH_FTS)
    {
      g_string_append_printf (sql, "%sc.id IN (SELECT rowid FROM customers_search "
                              "WHERE customers_search MATCH ?1)", sep);
      sep = " AND ";
    }
  else if (mode == SEARCH_PREFIX)
    {
      /* KEPCO numbers are digits: a query with a non-digit can only be a
       * name, and one range on one index is much cheaper than two. */
      gboolean digits = TRUE;

      for (const char *p = q->search; *p; p++)
        if (!g_ascii_isdigit (*p))
          digits = FALSE;
      if (digits)
        g_string_append_printf (sql, "%s((c.name >= ?1 AND c.name < ?2) OR "
                                "(c.kepco_no >= ?1 AND c.kepco_no < ?2))", sep);
      else
        g_string_append_printf (sql, "%sc.name >= ?1 AND c.name < ?2", sep);
      sep = " AND ";
    }
  if (q->resource_id > 0)
    {
      g_string_append_printf (sql, "%sc.resource_id = ?3", sep);
      sep = " AND ";
    }
  if (q->last_answer == DRD_GRID_NEVER_ANSWERED)
    {
      g_string_append_printf (sql, "%sc.last_answer IS NULL", sep);
      sep = " AND ";
    }
  else if (q->last_answer >= 0)
    {
      g_string_append_printf (sql, "%sc.last_answer = ?4", sep);
      sep = " AND ";
    }
  if (!sort_ids_in_c (q))
    g_string_append_printf (sql, " ORDER BY %s",
                            (q->descending ? order_desc : order_asc)[CLAMP (q->sort, 0,
                                                                            DRD_GRID_N_SORTS - 1)]);
  return g_string_free (sql, FALSE);
}

static char *
fts_phrase (const char *search)
{
  GString *s = g_string_new ("\"");

  for (const char *p = search; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (s, '"');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
  return g_string_free (s, FALSE);
}

typedef struct {
  DrdGridQuery *query;
  GCancellable *cancellable;
  GArray       *ids;
  guint         limit;     /* 0: all */
} GridIdsOp;

static void
grid_ids_op_free (gpointer data)
{
  GridIdsOp *op = data;

  drd_grid_query_free (op->query);
  g_clear_object (&op->cancellable);
  g_clear_pointer (&op->ids, g_array_unref);
  g_free (op);
}

static gboolean
grid_ids_run (sqlite3 *db, gpointer data, GError **error)
{
  GridIdsOp *op = data;
  g_autofree char *sql = grid_sql (op->query);
  SearchMode mode = search_mode (op->query->search);
  sqlite3_stmt *stmt;
  gboolean ok = TRUE;
  int rc;

  background_priority (db);
  stmt = drd_store_prepare (db, sql, error);
  if (stmt == NULL)
    return FALSE;
  if (mode == SEARCH_FTS)
    {
      g_autofree char *phrase = fts_phrase (op->query->search);
      sqlite3_bind_text (stmt, 1, phrase, -1, SQLITE_TRANSIENT);
    }
  else if (mode == SEARCH_PREFIX)
    {
      /* U+10FFFF sorts after every character that can follow the prefix. */
      g_autofree char *upper = g_strconcat (op->query->search, "\xf4\x8f\xbf\xbf", NULL);
      sqlite3_bind_text (stmt, 1, op->query->search, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, upper, -1, SQLITE_TRANSIENT);
    }
  if (op->query->resource_id > 0)
    sqlite3_bind_int64 (stmt, 3, op->query->resource_id);
  if (op->query->last_answer >= 0)
    sqlite3_bind_int (stmt, 4, op->query->last_answer);

  op->ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), 1024);
  if (op->cancellable != NULL)
    sqlite3_progress_handler (db, 4000, progress_cancel, op->cancellable);
  /* With a limit the scan simply stops early: every grid order but the
   * resource one walks an index, so the first rows come without a sort. */
  /* Ids sorted here need every match first: no early stop then (the
   * caller sees more than its limit, so it knows it has all). */
  while ((op->limit == 0 || op->ids->len < op->limit || sort_ids_in_c (op->query))
         && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (op->ids, id);
    }
  if (rc == SQLITE_DONE && sort_ids_in_c (op->query))
    g_array_sort (op->ids, op->query->descending ? cmp_id_desc : cmp_id_asc);
  if (op->limit > 0 && op->ids->len >= op->limit && !sort_ids_in_c (op->query))
    {
      /* A statement left mid-scan would hold its read snapshot open. */
      sqlite3_reset (stmt);
      rc = SQLITE_DONE;
    }
  if (rc != SQLITE_DONE)
    ok = step_error (error, db, rc, op->cancellable, "select grid ids");
  sqlite3_progress_handler (db, 0, NULL, NULL);
  return ok;
}

GArray *
drd_store_gui_grid_ids (DrdStore *store, const DrdGridQuery *query,
                        GCancellable *cancellable, GError **error)
{
  GridIdsOp op = { drd_grid_query_copy (query),
                   cancellable ? g_object_ref (cancellable) : NULL, NULL };
  GArray *ids = NULL;

  if (drd_store_read (store, grid_ids_run, &op, error))
    ids = g_steal_pointer (&op.ids);
  drd_grid_query_free (op.query);
  g_clear_object (&op.cancellable);
  g_clear_pointer (&op.ids, g_array_unref);
  return ids;
}

void
drd_store_gui_grid_ids_async (DrdStore *store, const DrdGridQuery *query,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  drd_store_gui_grid_ids_limit_async (store, query, 0, cancellable, callback, user_data);
}

void
drd_store_gui_grid_ids_limit_async (DrdStore *store, const DrdGridQuery *query, guint limit,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (store, cancellable, callback, user_data);
  GridIdsOp *op = g_new0 (GridIdsOp, 1);

  g_task_set_source_tag (task, drd_store_gui_grid_ids_async);
  op->limit = limit;
  op->query = drd_grid_query_copy (query);
  op->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  g_task_set_task_data (task, op, grid_ids_op_free);
  drd_store_read_in_task (store, task, grid_ids_run);
}

GArray *
drd_store_gui_grid_ids_finish (DrdStore *store, GAsyncResult *result, GError **error)
{
  GridIdsOp *op;

  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  op = g_task_get_task_data (G_TASK (result));
  return g_steal_pointer (&op->ids);
}

/* ---- rows by id ---- */

typedef struct {
  GArray    *ids;
  gint64     event_id;
  GPtrArray *rows;
} RowsOp;

static void
rows_op_free (gpointer data)
{
  RowsOp *op = data;

  g_clear_pointer (&op->ids, g_array_unref);
  g_clear_pointer (&op->rows, g_ptr_array_unref);
  g_free (op);
}

static gboolean
grid_rows_run (sqlite3 *db, gpointer data, GError **error)
{
  RowsOp *op = data;
  sqlite3_stmt *stmt = drd_store_prepare (db,
      "SELECT c.name, c.kepco_no, r.name, c.registered_w, c.cbl_method, c.points_balance, "
      "c.last_answer, c.last_answered_at "
      "FROM customers c JOIN resources r ON r.id = c.resource_id WHERE c.id = ?1", error);

  background_priority (db);
  if (stmt == NULL)
    return FALSE;
  op->rows = g_ptr_array_new_full (op->ids->len, (GDestroyNotify) drd_grid_row_free);
  for (guint i = 0; i < op->ids->len; i++)
    {
      DrdGridRow *row = g_new0 (DrdGridRow, 1);
      int rc;

      row->id = g_array_index (op->ids, gint64, i);
      row->last_answer = -1;
      g_ptr_array_add (op->rows, row);
      sqlite3_reset (stmt);
      sqlite3_bind_int64 (stmt, 1, row->id);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_DONE)
        continue;   /* deleted meanwhile: name stays NULL */
      if (rc != SQLITE_ROW)
        return drd_store_set_sqlite_error (error, db, "select grid row");
      row->name = dup_column (stmt, 0);
      row->kepco_no = dup_column (stmt, 1);
      row->resource = dup_column (stmt, 2);
      row->registered_w = sqlite3_column_int64 (stmt, 3);
      row->cbl_method = sqlite3_column_int (stmt, 4);
      row->points_balance = sqlite3_column_int64 (stmt, 5);
      row->last_answer = sqlite3_column_type (stmt, 6) == SQLITE_NULL
                         ? -1 : sqlite3_column_int (stmt, 6);
      row->last_answered_at = sqlite3_column_int64 (stmt, 7);
    }
  return TRUE;
}

static RowsOp *
rows_op_new (gint64 event_id, const gint64 *ids, guint n_ids)
{
  RowsOp *op = g_new0 (RowsOp, 1);

  op->event_id = event_id;
  op->ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n_ids);
  g_array_append_vals (op->ids, ids, n_ids);
  return op;
}

static GPtrArray *
rows_sync (DrdStore *store, DrdStoreFunc func, gint64 event_id, const gint64 *ids, guint n_ids,
           GError **error)
{
  RowsOp *op = rows_op_new (event_id, ids, n_ids);
  GPtrArray *rows = NULL;

  if (drd_store_read (store, func, op, error))
    rows = g_steal_pointer (&op->rows);
  rows_op_free (op);
  return rows;
}

static void
rows_async (DrdStore *store, DrdStoreFunc func, gpointer tag, gint64 event_id,
            const gint64 *ids, guint n_ids, GCancellable *cancellable,
            GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (store, cancellable, callback, user_data);

  g_task_set_source_tag (task, tag);
  g_task_set_task_data (task, rows_op_new (event_id, ids, n_ids), rows_op_free);
  drd_store_read_in_task (store, task, func);
}

static GPtrArray *
rows_finish (DrdStore *store, GAsyncResult *result, GError **error)
{
  RowsOp *op;

  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  op = g_task_get_task_data (G_TASK (result));
  return g_steal_pointer (&op->rows);
}

GPtrArray *
drd_store_gui_grid_rows (DrdStore *store, const gint64 *ids, guint n_ids, GError **error)
{
  return rows_sync (store, grid_rows_run, 0, ids, n_ids, error);
}

void
drd_store_gui_grid_rows_async (DrdStore *store, const gint64 *ids, guint n_ids,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  rows_async (store, grid_rows_run, drd_store_gui_grid_rows_async, 0, ids, n_ids,
              cancellable, callback, user_data);
}

GPtrArray *
drd_store_gui_grid_rows_finish (DrdStore *store, GAsyncResult *result, GError **error)
{
  return rows_finish (store, result, error);
}

/* ---- stamp ---- */

static gboolean
stamp_run (sqlite3 *db, gpointer data, GError **error)
{
  DrdGridStamp *stamp = data;
  sqlite3_stmt *stmt = drd_store_prepare (db, "SELECT count(*), coalesce(max(updated_at), 0), "
                                          "coalesce(max(id), 0) FROM customers", error);

  background_priority (db);
  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "select customers stamp");
  stamp->n_customers = sqlite3_column_int64 (stmt, 0);
  stamp->max_updated_at = sqlite3_column_int64 (stmt, 1);
  stamp->max_id = sqlite3_column_int64 (stmt, 2);
  return TRUE;
}

void
drd_store_gui_grid_stamp_async (DrdStore *store, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (store, cancellable, callback, user_data);

  g_task_set_source_tag (task, drd_store_gui_grid_stamp_async);
  g_task_set_task_data (task, g_new0 (DrdGridStamp, 1), g_free);
  drd_store_read_in_task (store, task, stamp_run);
}

gboolean
drd_store_gui_grid_stamp_finish (DrdStore *store, GAsyncResult *result, DrdGridStamp *out,
                                 GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  *out = *(DrdGridStamp *) g_task_get_task_data (G_TASK (result));
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* customer detail                                                    */

static void
gui_answer_free (DrdGuiAnswer *a)
{
  g_free (a->event_name);
  g_free (a);
}

void
drd_customer_detail_free (DrdCustomerDetail *d)
{
  if (d == NULL)
    return;
  g_clear_pointer (&d->customer, drd_customer_free);
  g_clear_pointer (&d->ledger, g_ptr_array_unref);
  g_clear_pointer (&d->answers, g_ptr_array_unref);
  g_free (d);
}

typedef struct {
  gint64             customer_id;
  DrdCustomerDetail *detail;
} DetailOp;

static void
detail_op_free (gpointer data)
{
  DetailOp *op = data;

  g_clear_pointer (&op->detail, drd_customer_detail_free);
  g_free (op);
}

static gboolean
detail_run (sqlite3 *db, gpointer data, GError **error)
{
  DetailOp *op = data;
  DrdCustomerDetail *d;
  sqlite3_stmt *stmt;
  int rc;

  background_priority (db);
  stmt = drd_store_prepare (db, "SELECT " DRD_STORE_CUSTOMER_COLUMNS ", c.points_balance "
                            "FROM customers c JOIN resources r ON r.id = c.resource_id "
                            "WHERE c.id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->customer_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return drd_store_set_not_found (error, _("customer %" PRId64), op->customer_id);
  if (rc != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "select customer detail");
  d = op->detail = g_new0 (DrdCustomerDetail, 1);
  d->customer = drd_store_customer_from_row (stmt, 0);
  d->points_balance = sqlite3_column_int64 (stmt, 10);
  d->ledger = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_ledger_entry_free);
  d->answers = g_ptr_array_new_with_free_func ((GDestroyNotify) gui_answer_free);

  stmt = drd_store_prepare (db, "SELECT id, event_id, reason, points, created_at, note "
                            "FROM points_ledger WHERE customer_id = ?1 "
                            "ORDER BY id DESC LIMIT 50", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->customer_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DrdLedgerEntry *e = g_new0 (DrdLedgerEntry, 1);

      e->id = sqlite3_column_int64 (stmt, 0);
      e->customer_id = op->customer_id;
      e->event_id = sqlite3_column_int64 (stmt, 1);
      e->reason = dup_column (stmt, 2);
      e->points = sqlite3_column_int64 (stmt, 3);
      e->created_at = sqlite3_column_int64 (stmt, 4);
      e->note = dup_column (stmt, 5);
      g_ptr_array_add (d->ledger, e);
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "select ledger");

  stmt = drd_store_prepare (db, "SELECT e.id, e.name, e.start_at, p.answer, p.answered_at, "
                            "p.channel FROM responses p JOIN events e ON e.id = p.event_id "
                            "WHERE p.customer_id = ?1 ORDER BY p.event_id DESC LIMIT 50", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->customer_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DrdGuiAnswer *a = g_new0 (DrdGuiAnswer, 1);

      a->event_id = sqlite3_column_int64 (stmt, 0);
      a->event_name = dup_column (stmt, 1);
      a->start_at = sqlite3_column_int64 (stmt, 2);
      a->answer = sqlite3_column_int (stmt, 3);
      a->answered_at = sqlite3_column_int64 (stmt, 4);
      a->channel = sqlite3_column_int (stmt, 5);
      g_ptr_array_add (d->answers, a);
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "select customer answers");
  return TRUE;
}

void
drd_store_gui_customer_detail_async (DrdStore *store, gint64 customer_id,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (store, cancellable, callback, user_data);
  DetailOp *op = g_new0 (DetailOp, 1);

  op->customer_id = customer_id;
  g_task_set_source_tag (task, drd_store_gui_customer_detail_async);
  g_task_set_task_data (task, op, detail_op_free);
  drd_store_read_in_task (store, task, detail_run);
}

DrdCustomerDetail *
drd_store_gui_customer_detail_finish (DrdStore *store, GAsyncResult *result, GError **error)
{
  DetailOp *op;

  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  op = g_task_get_task_data (G_TASK (result));
  return g_steal_pointer (&op->detail);
}

/* ------------------------------------------------------------------ */
/* responses                                                          */

void
drd_response_row_free (DrdResponseRow *row)
{
  if (row == NULL)
    return;
  g_free (row->name);
  g_free (row->kepco_no);
  g_free (row->phone);
  g_free (row);
}

gboolean
drd_response_row_equal (const DrdResponseRow *a, const DrdResponseRow *b)
{
  return a->customer_id == b->customer_id && g_strcmp0 (a->name, b->name) == 0
         && g_strcmp0 (a->kepco_no, b->kepco_no) == 0 && a->registered_w == b->registered_w
         && a->answer == b->answer && a->answered_at == b->answered_at
         && a->channel == b->channel && a->outcome == b->outcome
         && a->has_reduction == b->has_reduction && a->reduction_wh == b->reduction_wh
         && a->points == b->points && g_strcmp0 (a->phone, b->phone) == 0;
}

void
drd_response_refresh_free (DrdResponseRefresh *r)
{
  if (r == NULL)
    return;
  g_clear_pointer (&r->ids, g_array_unref);
  g_clear_pointer (&r->changed, g_ptr_array_unref);
  g_free (r);
}

#define RESPONSE_COLUMNS \
  "p.customer_id, c.name, c.kepco_no, c.registered_w, p.answer, p.answered_at, p.channel, " \
  "s.outcome, s.reduction_wh, s.points, c.phone "
#define RESPONSE_FROM \
  "FROM responses p JOIN customers c ON c.id = p.customer_id " \
  "LEFT JOIN settlements s ON s.event_id = p.event_id AND s.customer_id = p.customer_id "

static DrdResponseRow *
response_from_row (sqlite3_stmt *stmt)
{
  DrdResponseRow *row = g_new0 (DrdResponseRow, 1);

  row->customer_id = sqlite3_column_int64 (stmt, 0);
  row->name = dup_column (stmt, 1);
  row->kepco_no = dup_column (stmt, 2);
  row->registered_w = sqlite3_column_int64 (stmt, 3);
  row->answer = sqlite3_column_int (stmt, 4);
  row->answered_at = sqlite3_column_int64 (stmt, 5);
  row->channel = sqlite3_column_int (stmt, 6);
  row->outcome = sqlite3_column_int (stmt, 7);
  row->has_reduction = sqlite3_column_type (stmt, 8) != SQLITE_NULL;
  row->reduction_wh = sqlite3_column_int64 (stmt, 8);
  row->points = sqlite3_column_int64 (stmt, 9);
  row->phone = dup_column (stmt, 10);
  return row;
}

typedef struct {
  gint64              event_id;
  int                 answer_filter;
  gint64              since;
  GCancellable       *cancellable;
  DrdResponseRefresh *result;
  char               *search;       /* NULL = none */
  DrdResponseSort     sort;
  gboolean            descending;
} ResponsesOp;

static void
responses_op_free (gpointer data)
{
  ResponsesOp *op = data;

  g_clear_object (&op->cancellable);
  g_clear_pointer (&op->result, drd_response_refresh_free);
  g_free (op->search);
  g_free (op);
}

/* ORDER BY terms of the sorted/searched id query, by DrdResponseSort
 * (constant SQL; nothing of the user's goes into the text). */
static const char *const response_order[DRD_RESPONSE_N_SORTS][2] = {
  { "p.customer_id", "p.customer_id DESC" },
  { "c.name, p.customer_id", "c.name DESC, p.customer_id DESC" },
  { "c.kepco_no, p.customer_id", "c.kepco_no DESC, p.customer_id DESC" },
  { "c.registered_w, p.customer_id", "c.registered_w DESC, p.customer_id DESC" },
  { "c.phone, p.customer_id", "c.phone DESC, p.customer_id DESC" },
  { "p.answer, p.customer_id", "p.answer DESC, p.customer_id DESC" },
  { "p.answered_at, p.customer_id", "p.answered_at DESC, p.customer_id DESC" },
  { "p.channel, p.customer_id", "p.channel DESC, p.customer_id DESC" },
  { "s.outcome, p.customer_id", "s.outcome DESC, p.customer_id DESC" },
  { "s.reduction_wh, p.customer_id", "s.reduction_wh DESC, p.customer_id DESC" },
  { "s.points, p.customer_id", "s.points DESC, p.customer_id DESC" },
};

/* A LIKE pattern for a substring, with %, _ and \ escaped. */
static char *
like_pattern (const char *text, gboolean digits_only)
{
  GString *p = g_string_new ("%");

  for (const char *c = text; *c != '\0'; c++)
    {
      if (digits_only && !g_ascii_isdigit (*c))
        continue;
      if (*c == '%' || *c == '_' || *c == '\\')
        g_string_append_c (p, '\\');
      g_string_append_c (p, *c);
    }
  g_string_append_c (p, '%');
  return g_string_free (p, FALSE);
}

static sqlite3_stmt *
prepare_query_ids (sqlite3 *db, ResponsesOp *op, GError **error)
{
  g_autofree char *sql = NULL;
  g_autofree char *pattern = NULL;
  g_autofree char *digits = NULL;
  sqlite3_stmt *stmt;
  guint sort = op->sort < DRD_RESPONSE_N_SORTS ? op->sort : 0;

  sql = g_strconcat ("SELECT p.customer_id " RESPONSE_FROM
                     "WHERE p.event_id = ?1 AND (?2 < 0 OR p.answer = ?2) "
                     "AND (?3 IS NULL OR c.name LIKE ?3 ESCAPE '\\' OR c.kepco_no LIKE ?3 ESCAPE '\\' "
                     "OR c.phone LIKE ?3 ESCAPE '\\' OR (?4 IS NOT NULL AND "
                     "replace(replace(replace(coalesce(c.phone, ''), '-', ''), ' ', ''), '.', '') "
                     "LIKE ?4)) ORDER BY ", response_order[sort][op->descending ? 1 : 0], NULL);
  stmt = drd_store_prepare (db, sql, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  sqlite3_bind_int (stmt, 2, op->answer_filter);
  if (op->search != NULL)
    {
      pattern = like_pattern (op->search, FALSE);
      digits = like_pattern (op->search, TRUE);
      sqlite3_bind_text (stmt, 3, pattern, -1, SQLITE_TRANSIENT);
      /* Digits typed with other separators still find the phone; a
       * search without 3 digits does not look at digits alone. */
      if (strlen (digits) >= 5)
        sqlite3_bind_text (stmt, 4, digits, -1, SQLITE_TRANSIENT);
    }
  return stmt;
}

static gboolean
responses_run (sqlite3 *db, gpointer data, GError **error)
{
  ResponsesOp *op = data;
  DrdResponseRefresh *r;
  sqlite3_stmt *stmt;
  gboolean ok = TRUE;
  int rc;

  background_priority (db);
  r = op->result = g_new0 (DrdResponseRefresh, 1);
  r->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  r->changed = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_response_row_free);
  r->watermark = op->since;

  if (op->search != NULL || op->sort != DRD_RESPONSE_SORT_ID || op->descending)
    stmt = prepare_query_ids (db, op, error);
  else if (op->answer_filter < 0)
    stmt = drd_store_prepare (db, "SELECT customer_id FROM responses WHERE event_id = ?1 "
                              "ORDER BY customer_id", error);
  else
    stmt = drd_store_prepare (db, "SELECT customer_id FROM responses WHERE event_id = ?1 "
                              "AND answer = ?2 ORDER BY customer_id", error);
  if (stmt == NULL)
    return FALSE;
  if (op->search == NULL && op->sort == DRD_RESPONSE_SORT_ID && !op->descending)
    {
      sqlite3_bind_int64 (stmt, 1, op->event_id);
      if (op->answer_filter >= 0)
        sqlite3_bind_int (stmt, 2, op->answer_filter);
    }
  if (op->cancellable != NULL)
    sqlite3_progress_handler (db, 4000, progress_cancel, op->cancellable);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (r->ids, id);
    }
  if (rc != SQLITE_DONE)
    ok = step_error (error, db, rc, op->cancellable, "select response ids");
  sqlite3_progress_handler (db, 0, NULL, NULL);
  if (!ok)
    return FALSE;

  if (op->since < 0)
    return TRUE;   /* first load: rows come page by page */

  /* Answers at or after the watermark (same second included: a row may
   * have been written after our last look within that second), and
   * settlement rows written since. */
  stmt = drd_store_prepare (db, "SELECT " RESPONSE_COLUMNS RESPONSE_FROM
                            "WHERE p.event_id = ?1 AND (p.answered_at >= ?2 "
                            "OR s.settled_at >= ?2)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  sqlite3_bind_int64 (stmt, 2, op->since);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DrdResponseRow *row = response_from_row (stmt);

      r->watermark = MAX (r->watermark, row->answered_at);
      g_ptr_array_add (r->changed, row);
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "select changed responses");
  return TRUE;
}

DrdResponseRefresh *
drd_store_gui_responses (DrdStore *store, gint64 event_id, int answer_filter, gint64 since,
                         GCancellable *cancellable, GError **error)
{
  ResponsesOp *op = g_new0 (ResponsesOp, 1);
  DrdResponseRefresh *r = NULL;

  op->event_id = event_id;
  op->answer_filter = answer_filter;
  op->since = since;
  op->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  if (drd_store_read (store, responses_run, op, error))
    r = g_steal_pointer (&op->result);
  responses_op_free (op);
  return r;
}

void
drd_store_gui_responses_async (DrdStore *store, gint64 event_id, int answer_filter,
                               gint64 since, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (store, cancellable, callback, user_data);
  ResponsesOp *op = g_new0 (ResponsesOp, 1);

  op->event_id = event_id;
  op->answer_filter = answer_filter;
  op->since = since;
  op->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  g_task_set_source_tag (task, drd_store_gui_responses_async);
  g_task_set_task_data (task, op, responses_op_free);
  drd_store_read_in_task (store, task, responses_run);
}

void
drd_store_gui_responses_query_async (DrdStore *store, gint64 event_id,
                                     const DrdResponseQuery *query, gint64 since,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (store, cancellable, callback, user_data);
  ResponsesOp *op = g_new0 (ResponsesOp, 1);

  op->event_id = event_id;
  op->answer_filter = query->answer_filter;
  op->since = since;
  op->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  op->search = query->search != NULL && *query->search != '\0' ? g_strdup (query->search) : NULL;
  op->sort = query->sort;
  op->descending = query->descending;
  g_task_set_source_tag (task, drd_store_gui_responses_async);
  g_task_set_task_data (task, op, responses_op_free);
  drd_store_read_in_task (store, task, responses_run);
}

DrdResponseRefresh *
drd_store_gui_responses_finish (DrdStore *store, GAsyncResult *result, GError **error)
{
  ResponsesOp *op;

  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  op = g_task_get_task_data (G_TASK (result));
  return g_steal_pointer (&op->result);
}

static gboolean
response_rows_run (sqlite3 *db, gpointer data, GError **error)
{
  RowsOp *op = data;
  sqlite3_stmt *stmt = drd_store_prepare (db, "SELECT " RESPONSE_COLUMNS RESPONSE_FROM
                                          "WHERE p.event_id = ?1 AND p.customer_id = ?2",
                                          error);

  background_priority (db);
  if (stmt == NULL)
    return FALSE;
  op->rows = g_ptr_array_new_full (op->ids->len, (GDestroyNotify) drd_response_row_free);
  for (guint i = 0; i < op->ids->len; i++)
    {
      int rc;

      sqlite3_reset (stmt);
      sqlite3_bind_int64 (stmt, 1, op->event_id);
      sqlite3_bind_int64 (stmt, 2, g_array_index (op->ids, gint64, i));
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        g_ptr_array_add (op->rows, response_from_row (stmt));
      else if (rc == SQLITE_DONE)
        {
          DrdResponseRow *row = g_new0 (DrdResponseRow, 1);
          row->customer_id = g_array_index (op->ids, gint64, i);
          g_ptr_array_add (op->rows, row);
        }
      else
        return drd_store_set_sqlite_error (error, db, "select response row");
    }
  return TRUE;
}

GPtrArray *
drd_store_gui_response_rows (DrdStore *store, gint64 event_id, const gint64 *ids, guint n_ids,
                             GError **error)
{
  return rows_sync (store, response_rows_run, event_id, ids, n_ids, error);
}

void
drd_store_gui_response_rows_async (DrdStore *store, gint64 event_id, const gint64 *ids,
                                   guint n_ids, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
  rows_async (store, response_rows_run, drd_store_gui_response_rows_async, event_id, ids, n_ids,
              cancellable, callback, user_data);
}

GPtrArray *
drd_store_gui_response_rows_finish (DrdStore *store, GAsyncResult *result, GError **error)
{
  return rows_finish (store, result, error);
}

/* ------------------------------------------------------------------ */
/* start dialog summary                                               */

typedef struct {
  GArray           *resource_ids;
  gint64            year_start;
  gint64            year_end;
  DrdTargetSummary  summary;
} SummaryOp;

static void
summary_op_free (gpointer data)
{
  SummaryOp *op = data;

  g_clear_pointer (&op->resource_ids, g_array_unref);
  g_free (op);
}

static gboolean
summary_run (sqlite3 *db, gpointer data, GError **error)
{
  SummaryOp *op = data;
  sqlite3_stmt *count, *used;
  gboolean all = op->resource_ids->len == 0;
  int rc;

  background_priority (db);
  count = drd_store_prepare (db, all
      ? "SELECT count(*), coalesce(sum(registered_w), 0) FROM customers"
      : "SELECT count(*), coalesce(sum(registered_w), 0) FROM customers WHERE resource_id = ?1",
      error);
  if (count == NULL)
    return FALSE;
  /* DR seconds a resource already ran (or is scheduled to run) this year. */
  used = drd_store_prepare (db,
      "SELECT er.resource_id, coalesce(sum(min(e.end_at, ?3) - max(e.start_at, ?2)), 0) "
      "FROM events e JOIN event_resources er ON er.event_id = e.id "
      "WHERE e.status <> 5 AND e.end_at > ?2 AND e.start_at < ?3 "
      "AND (?1 = 0 OR er.resource_id = ?1) GROUP BY er.resource_id", error);
  if (used == NULL)
    return FALSE;

  for (guint i = 0; i < MAX (op->resource_ids->len, 1); i++)
    {
      gint64 rid = all ? 0 : g_array_index (op->resource_ids, gint64, i);

      sqlite3_reset (count);
      if (!all)
        sqlite3_bind_int64 (count, 1, rid);
      if (sqlite3_step (count) != SQLITE_ROW)
        return drd_store_set_sqlite_error (error, db, "count targeted customers");
      op->summary.n_customers += sqlite3_column_int64 (count, 0);
      op->summary.registered_w += sqlite3_column_int64 (count, 1);

      sqlite3_reset (used);
      sqlite3_bind_int64 (used, 1, rid);
      sqlite3_bind_int64 (used, 2, op->year_start);
      sqlite3_bind_int64 (used, 3, op->year_end);
      while ((rc = sqlite3_step (used)) == SQLITE_ROW)
        op->summary.used_this_year_s = MAX (op->summary.used_this_year_s,
                                            sqlite3_column_int64 (used, 1));
      if (rc != SQLITE_DONE)
        return drd_store_set_sqlite_error (error, db, "sum dispatch hours");
    }
  return TRUE;
}

void
drd_store_gui_target_summary_async (DrdStore *store, GArray *resource_ids,
                                    gint64 year_start, gint64 year_end,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (store, cancellable, callback, user_data);
  SummaryOp *op = g_new0 (SummaryOp, 1);

  op->resource_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  if (resource_ids != NULL)
    g_array_append_vals (op->resource_ids, resource_ids->data, resource_ids->len);
  op->year_start = year_start;
  op->year_end = year_end;
  g_task_set_source_tag (task, drd_store_gui_target_summary_async);
  g_task_set_task_data (task, op, summary_op_free);
  drd_store_read_in_task (store, task, summary_run);
}

gboolean
drd_store_gui_target_summary_finish (DrdStore *store, GAsyncResult *result,
                                     DrdTargetSummary *out, GError **error)
{
  SummaryOp *op;

  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  op = g_task_get_task_data (G_TASK (result));
  *out = op->summary;
  return TRUE;
}
