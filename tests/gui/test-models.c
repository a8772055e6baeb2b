/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The grid and responses models on a real database of 20,000 customers:
 * rows are made page by page on demand, sorting and filtering happen in
 * SQL, and live changes are reported with exact items_changed. */
#include "config.h"

#include "gui/drd-customer-model.h"
#include "gui/drd-customer-row.h"
#include "gui/drd-response-item.h"
#include "gui/drd-response-model.h"
#include "tests/gui/drd-gui-test-util.h"

#define N_CUSTOMERS 20000

typedef struct {
  guint pos, removed, added;
} Change;

typedef struct {
  DrdStore         *store;
  char             *dir;
  DrdCustomerModel *model;
  GArray           *changes;
  guint             n_done;
} Fixture;

static void
on_items_changed (GListModel *model, guint pos, guint removed, guint added, Fixture *f)
{
  Change c = { pos, removed, added };

  g_array_append_val (f->changes, c);
}

static void
on_query_done (DrdCustomerModel *model, Fixture *f)
{
  f->n_done++;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->store = drd_test_store_new (N_CUSTOMERS, &f->dir);
  f->changes = g_array_new (FALSE, FALSE, sizeof (Change));
  f->model = drd_customer_model_new (f->store);
  /* Most tests look at one query's whole result at once; the progressive
   * load has its own test. */
  if (data == NULL)
    drd_customer_model_set_first_chunk (f->model, 0);
  g_signal_connect (f->model, "items-changed", G_CALLBACK (on_items_changed), f);
  g_signal_connect (f->model, "query-done", G_CALLBACK (on_query_done), f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_signal_handlers_disconnect_by_data (f->model, f);
  g_assert_finalize_object (f->model);
  g_array_unref (f->changes);
  g_object_unref (f->store);
  drd_test_rmdir (f->dir);
  g_free (f->dir);
}

static gboolean
done_at_least (gpointer data)
{
  Fixture *f = data;
  return f->n_done >= GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (f->model), "want"));
}

static void
run_query (Fixture *f, const char *search, gint64 resource_id, int last_answer,
           DrdGridSort sort, gboolean desc)
{
  DrdGridQuery q = { (char *) search, resource_id, last_answer, sort, desc };

  g_object_set_data (G_OBJECT (f->model), "want", GUINT_TO_POINTER (f->n_done + 1));
  drd_customer_model_set_query (f->model, &q);
  g_assert_true (drd_test_wait (done_at_least, f, 10000));
}

static gboolean
model_idle (gpointer data)
{
  return drd_paged_model_get_n_pending (DRD_PAGED_MODEL (data)) == 0;
}

static GPtrArray *
rows_of (Fixture *f, guint from, guint n)
{
  const GArray *ids = drd_paged_model_get_ids (DRD_PAGED_MODEL (f->model));
  g_autoptr(GError) error = NULL;
  GPtrArray *rows = drd_store_gui_grid_rows (f->store, &g_array_index (ids, gint64, from),
                                             MIN (n, ids->len - from), &error);

  g_assert_no_error (error);
  return rows;
}

static guint n_name_notifies;

static gboolean
uint_nonzero (gpointer data)
{
  return *(guint *) data != 0;
}

static void
on_count_notify (GObject *row, GParamSpec *pspec, gpointer data)
{
  (*(guint *) data)++;
}

static void
test_pages (Fixture *f, gconstpointer data)
{
  GListModel *list = G_LIST_MODEL (f->model);
  g_autoptr(DrdCustomerRow) first = NULL;
  g_autoptr(DrdCustomerRow) far = NULL;
  g_autoptr(DrdCustomerRow) again = NULL;
  guint fetches;

  run_query (f, NULL, 0, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_ID, FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, N_CUSTOMERS);
  /* The reset is one change over everything; no row object exists yet. */
  g_assert_cmpuint (f->changes->len, ==, 1);
  g_assert_cmpuint (g_array_index (f->changes, Change, 0).added, ==, N_CUSTOMERS);
  g_assert_cmpuint (drd_paged_model_get_n_cached (DRD_PAGED_MODEL (f->model)), ==, 0);
  g_array_set_size (f->changes, 0);

  /* First access: a placeholder at once, filled in place when its page
   * arrives. The placeholder notifies (its cells follow); the list does
   * not change, so GTK keeps the row's cells bound. */
  first = g_list_model_get_item (list, 0);
  g_assert_false (drd_customer_row_get_loaded (first));
  g_assert_cmpint (drd_customer_row_get_id (first), ==, 1);
  n_name_notifies = 0;
  g_signal_connect (first, "notify::name", G_CALLBACK (on_count_notify), &n_name_notifies);
  g_assert_true (drd_test_wait (model_idle, f->model, 5000));
  g_assert_true (drd_customer_row_get_loaded (first));
  g_assert_cmpstr (drd_customer_row_get_name (first), ==, "고객 00001");
  g_assert_cmpuint (n_name_notifies, ==, 1);
  g_assert_cmpuint (f->changes->len, ==, 0);
  g_signal_handlers_disconnect_by_data (first, &n_name_notifies);

  /* A far row costs one more page, not the rows in between. */
  fetches = drd_paged_model_get_n_fetches (DRD_PAGED_MODEL (f->model));
  far = g_list_model_get_item (list, 15000);
  g_assert_true (drd_test_wait (model_idle, f->model, 5000));
  g_assert_cmpuint (drd_paged_model_get_n_fetches (DRD_PAGED_MODEL (f->model)), ==, fetches + 1);
  g_assert_cmpuint (drd_paged_model_get_n_cached (DRD_PAGED_MODEL (f->model)), <=,
                    2 * DRD_PAGED_MODEL_PAGE_SIZE);
  g_assert_cmpint (drd_customer_row_get_id (far), ==, 15001);
  g_assert_true (drd_customer_row_get_loaded (far));

  /* Same position again: the same object, no new fetch. */
  again = g_list_model_get_item (list, 15000);
  g_assert_true (again == far);
  g_assert_cmpuint (drd_paged_model_get_n_fetches (DRD_PAGED_MODEL (f->model)), ==, fetches + 1);

  /* Walking the whole list keeps the cache bounded: objects nobody holds are dropped. */
  for (guint i = 0; i < N_CUSTOMERS; i += 97)
    g_object_unref (g_list_model_get_item (list, i));
  g_assert_true (drd_test_wait (model_idle, f->model, 20000));
  g_assert_cmpuint (drd_paged_model_get_n_cached (DRD_PAGED_MODEL (f->model)), <=, 1024);
}

static void
test_sort_and_filter (Fixture *f, gconstpointer data)
{
  GListModel *list = G_LIST_MODEL (f->model);
  g_autoptr(GPtrArray) rows = NULL;
  const GArray *ids;

  /* By name: every "Kim Store" (ASCII) sorts before the Hangul names. */
  run_query (f, NULL, 0, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_NAME, FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, N_CUSTOMERS);
  rows = rows_of (f, 0, N_CUSTOMERS);
  for (guint i = 1; i < rows->len; i++)
    g_assert_cmpint (g_strcmp0 (((DrdGridRow *) rows->pdata[i - 1])->name,
                                ((DrdGridRow *) rows->pdata[i])->name), <, 0);
  g_assert_cmpstr (((DrdGridRow *) rows->pdata[0])->name, ==, "Kim Store 00007");
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* Registered capacity, descending, ties by id descending. */
  run_query (f, NULL, 0, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_REGISTERED, TRUE);
  rows = rows_of (f, 0, N_CUSTOMERS);
  for (guint i = 1; i < rows->len; i++)
    {
      DrdGridRow *a = rows->pdata[i - 1], *b = rows->pdata[i];
      g_assert_true (a->registered_w > b->registered_w
                     || (a->registered_w == b->registered_w && a->id > b->id));
    }
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* Resource filter + sort by resource name. */
  run_query (f, NULL, 2, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_RESOURCE, FALSE);
  rows = rows_of (f, 0, N_CUSTOMERS);
  g_assert_cmpuint (rows->len, >, 6000);
  g_assert_cmpuint (rows->len, <, 7000);
  for (guint i = 0; i < rows->len; i++)
    g_assert_cmpstr (((DrdGridRow *) rows->pdata[i])->resource, ==,
                     ((DrdGridRow *) rows->pdata[0])->resource);
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* Substring search (trigram index): "Store 0001" matches ids 10..19 that are multiples of 7. */
  run_query (f, "store 0001", 0, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_ID, FALSE);
  ids = drd_paged_model_get_ids (DRD_PAGED_MODEL (f->model));
  g_assert_cmpuint (ids->len, ==, 1);
  g_assert_cmpint (g_array_index (ids, gint64, 0), ==, 14);

  /* Short search: name or number prefix through the indexes. */
  run_query (f, "Ki", 0, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_ID, FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, N_CUSTOMERS / 7);
  run_query (f, "10", 0, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_ID, FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, N_CUSTOMERS);
  run_query (f, "0000001", 0, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_ID, FALSE);
  /* substring of the number: ids 1, 10–19 and 100–199 */
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 111);

  /* A query nobody matches; a search with FTS syntax characters is just text. */
  run_query (f, "\"zz* OR", 0, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_NAME, FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 0);

  /* Never answered: everybody, for now. */
  run_query (f, NULL, 0, DRD_GRID_NEVER_ANSWERED, DRD_GRID_SORT_POINTS, FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, N_CUSTOMERS);
}

static void
test_newer_query_wins (Fixture *f, gconstpointer data)
{
  DrdGridQuery a = { NULL, 0, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_NAME, FALSE };
  DrdGridQuery b = { "Kim", 0, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_ID, TRUE };
  const GArray *ids;

  drd_customer_model_set_query (f->model, &a);
  drd_customer_model_set_query (f->model, &b);
  g_object_set_data (G_OBJECT (f->model), "want", GUINT_TO_POINTER (1));
  g_assert_true (drd_test_wait (done_at_least, f, 10000));
  drd_test_spin (300);
  /* Only the newer query reported, and its result is what the model holds. */
  g_assert_cmpuint (f->n_done, ==, 1);
  ids = drd_paged_model_get_ids (DRD_PAGED_MODEL (f->model));
  g_assert_cmpuint (ids->len, ==, N_CUSTOMERS / 7);
  g_assert_cmpint (g_array_index (ids, gint64, 0), ==, 19999);
}

static gboolean
changes_seen (gpointer data)
{
  Fixture *f = data;
  return f->changes->len > 0 && model_idle (f->model);
}

static void
test_live_exact (Fixture *f, gconstpointer data)
{
  GListModel *list = G_LIST_MODEL (f->model);
  g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (f->dir, "drdesk.db", NULL);
  g_autoptr(DrdStore) other = drd_store_open (path, &error);
  gint64 event_id;
  guint n_notifies[40] = { 0 };
  Change c;

  g_assert_no_error (error);
  event_id = drd_test_start_event (other, "live");
  run_query (f, NULL, 0, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_ID, FALSE);
  /* A "screen" of 40 rows around id 101..140 is held, as a list view would. */
  for (guint i = 100; i < 140; i++)
    g_ptr_array_add (held, g_list_model_get_item (list, i));
  g_assert_true (drd_test_wait (model_idle, f->model, 5000));
  g_array_set_size (f->changes, 0);

  /* Another connection answers for customer 120: exactly that row's item
   * changes, in place (no list change: its cells stay bound and follow). */
  for (guint i = 0; i < held->len; i++)
    g_signal_connect (held->pdata[i], "notify::last-answer", G_CALLBACK (on_count_notify),
                      &n_notifies[i]);
  drd_store_record_answer (other, event_id, 120, DRD_ANSWER_ACCEPT, DRD_CHANNEL_OPERATOR,
                           "test", drd_store_now (), NULL, &error);
  g_assert_no_error (error);
  drd_customer_model_refresh (f->model);
  g_assert_true (drd_test_wait (uint_nonzero, &n_notifies[19], 5000));
  drd_test_spin (200);
  g_assert_cmpuint (f->changes->len, ==, 0);
  for (guint i = 0; i < held->len; i++)
    {
      g_assert_cmpuint (n_notifies[i], ==, i == 19 ? 1 : 0);
      g_signal_handlers_disconnect_by_data (held->pdata[i], &n_notifies[i]);
    }
  g_assert_cmpint (drd_customer_row_get_data (held->pdata[19])->last_answer, ==, DRD_ANSWER_ACCEPT);

  /* Filtered on "accepted": a second acceptance enters at its position. */
  run_query (f, NULL, 0, DRD_ANSWER_ACCEPT, DRD_GRID_SORT_ID, FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 1);
  g_array_set_size (f->changes, 0);
  drd_store_record_answer (other, event_id, 7, DRD_ANSWER_ACCEPT, DRD_CHANNEL_OPERATOR,
                           "test", drd_store_now (), NULL, &error);
  g_assert_no_error (error);
  drd_customer_model_refresh (f->model);
  g_assert_true (drd_test_wait (changes_seen, f, 5000));
  drd_test_spin (200);
  g_assert_cmpuint (f->changes->len, ==, 1);
  c = g_array_index (f->changes, Change, 0);
  g_assert_cmpuint (c.pos, ==, 0);
  g_assert_cmpuint (c.removed, ==, 0);
  g_assert_cmpuint (c.added, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 2);
}

/* ---- responses ---- */

static void
on_resp_changed (GListModel *model, guint pos, guint removed, guint added, GArray *changes)
{
  Change c = { pos, removed, added };

  g_array_append_val (changes, c);
}

static void
on_resp_loaded (DrdResponseModel *model, guint *n)
{
  (*n)++;
}

static guint n_loads;

static gboolean
resp_loaded (gpointer data)
{
  return GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (data), "loads")) < n_loads
         && model_idle (data);
}

static void
expect_load (DrdResponseModel *model)
{
  g_object_set_data (G_OBJECT (model), "loads", GUINT_TO_POINTER (n_loads));
}

static gboolean
array_nonempty (gpointer data)
{
  return ((GArray *) data)->len > 0;
}

static guint n_answer_notifies;

static void
on_answer_notify (GObject *item, GParamSpec *pspec, gpointer data)
{
  (*(guint *) data)++;
}

static void
test_responses_exact (Fixture *f, gconstpointer data)
{
  g_autoptr(DrdResponseModel) model = drd_response_model_new (f->store);
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (Change));
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (f->dir, "drdesk.db", NULL);
  g_autoptr(DrdStore) other = drd_store_open (path, &error);
  g_autoptr(DrdResponseItem) item = NULL;
  gint64 event_id;
  Change c;

  g_assert_no_error (error);
  event_id = drd_test_start_event (other, "responses");
  n_loads = 0;
  g_signal_connect (model, "loaded", G_CALLBACK (on_resp_loaded), &n_loads);
  expect_load (model);
  drd_response_model_set_event (model, event_id, DRD_ANSWER_NONE);
  g_assert_true (drd_test_wait (resp_loaded, model, 10000));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, N_CUSTOMERS);
  item = g_list_model_get_item (G_LIST_MODEL (model), 4999);
  g_assert_true (drd_test_wait (model_idle, model, 5000));
  g_assert_cmpint (drd_response_item_get_customer_id (item), ==, 5000);
  g_signal_connect (model, "items-changed", G_CALLBACK (on_resp_changed), changes);

  /* Two answers far apart leave the "no response" list: two exact removals. */
  drd_store_record_answer (other, event_id, 300, DRD_ANSWER_DENY, DRD_CHANNEL_OPERATOR,
                           "test", drd_store_now (), NULL, &error);
  g_assert_no_error (error);
  drd_store_record_answer (other, event_id, 9000, DRD_ANSWER_ACCEPT, DRD_CHANNEL_OPERATOR,
                           "test", drd_store_now (), NULL, &error);
  g_assert_no_error (error);
  drd_response_model_refresh (model);
  g_assert_true (drd_test_wait (array_nonempty, changes, 5000));
  drd_test_spin (200);
  g_assert_cmpuint (changes->len, ==, 2);
  c = g_array_index (changes, Change, 0);
  g_assert_cmpuint (c.pos, ==, 299);
  g_assert_cmpuint (c.removed, ==, 1);
  g_assert_cmpuint (c.added, ==, 0);
  c = g_array_index (changes, Change, 1);
  g_assert_cmpuint (c.pos, ==, 8998);   /* 9000 was at 8999, one row above it left first */
  g_assert_cmpuint (c.removed, ==, 1);
  g_assert_cmpuint (c.added, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, N_CUSTOMERS - 2);

  /* Unfiltered, an answer changes that one row's item in place: the item
   * notifies, the list itself does not change (an items_changed would make
   * GTK unbind and bind the row's cells for the same object). */
  expect_load (model);
  drd_response_model_set_event (model, event_id, -1);
  g_assert_true (drd_test_wait (resp_loaded, model, 10000));
  g_clear_object (&item);
  item = g_list_model_get_item (G_LIST_MODEL (model), 4999);
  g_assert_true (drd_test_wait (model_idle, model, 5000));
  g_array_set_size (changes, 0);
  n_answer_notifies = 0;
  g_signal_connect (item, "notify::answer", G_CALLBACK (on_answer_notify), &n_answer_notifies);
  drd_store_record_answer (other, event_id, 5000, DRD_ANSWER_ACCEPT, DRD_CHANNEL_OPERATOR,
                           "test", drd_store_now (), NULL, &error);
  g_assert_no_error (error);
  drd_response_model_refresh (model);
  g_assert_true (drd_test_wait (uint_nonzero, &n_answer_notifies, 5000));
  drd_test_spin (200);
  g_assert_cmpuint (n_answer_notifies, ==, 1);
  g_assert_cmpuint (changes->len, ==, 0);
  g_assert_cmpint (drd_response_item_get_answer (item), ==, DRD_ANSWER_ACCEPT);
  g_assert_true (g_list_model_get_item (G_LIST_MODEL (model), 4999) == (gpointer) item);
  g_object_unref (item);   /* the reference just taken */
  g_signal_handlers_disconnect_by_data (item, &n_answer_notifies);
  g_signal_handlers_disconnect_by_data (model, changes);
  g_signal_handlers_disconnect_by_data (model, &n_loads);
}

static gboolean
all_exposed (gpointer data)
{
  Fixture *f = data;
  return g_list_model_get_n_items (G_LIST_MODEL (f->model)) == N_CUSTOMERS;
}

static gboolean
all_exposed_but_two (gpointer data)
{
  Fixture *f = data;
  return g_list_model_get_n_items (G_LIST_MODEL (f->model)) == N_CUSTOMERS - 2;
}

static void
test_gradual_first_fill (Fixture *f, gconstpointer data)
{
  Change c;
  guint total = 0;

  /* A view's first fill arrives a few rows at a time (so GTK builds its
   * row widgets over several frames), all of it in order, and the whole
   * id list is known at once. */
  drd_paged_model_set_gradual (DRD_PAGED_MODEL (f->model), TRUE);
  run_query (f, NULL, 0, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_ID, FALSE);
  g_assert_cmpuint (drd_paged_model_get_n_rows (DRD_PAGED_MODEL (f->model)), ==, N_CUSTOMERS);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), <, 100);
  g_assert_true (drd_test_wait (all_exposed, f, 5000));
  for (guint i = 0; i < f->changes->len; i++)
    {
      c = g_array_index (f->changes, Change, i);
      g_assert_cmpuint (c.pos, ==, total);
      g_assert_cmpuint (c.removed, ==, 0);
      total += c.added;
    }
  g_assert_cmpuint (total, ==, N_CUSTOMERS);
  g_assert_cmpuint (f->changes->len, >, 2);

  /* A new query on a filled list: only the change in length is reported. */
  g_array_set_size (f->changes, 0);
  run_query (f, "Kim", 0, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_ID, FALSE);
  g_assert_cmpuint (f->changes->len, ==, 1);
  c = g_array_index (f->changes, Change, 0);
  g_assert_cmpuint (c.pos, ==, N_CUSTOMERS / 7);
  g_assert_cmpuint (c.removed, ==, N_CUSTOMERS - N_CUSTOMERS / 7);
  g_assert_cmpuint (c.added, ==, 0);
}

/* What a list view holds: the ids of the items it was told about. */
static void
on_mirror_changed (GListModel *model, guint pos, guint removed, guint added, GArray *mirror)
{
  g_array_remove_range (mirror, pos, removed);
  for (guint i = 0; i < added; i++)
    {
      g_autoptr(DrdCustomerRow) row = g_list_model_get_item (model, pos + i);
      gint64 id = drd_customer_row_get_id (row);

      g_array_insert_val (mirror, pos + i, id);
    }
}

static void
check_refresh_while_filling (Fixture *f, DrdPagedDiff diff)
{
  DrdPagedModel *paged = DRD_PAGED_MODEL (f->model);
  GListModel *list = G_LIST_MODEL (f->model);
  g_autoptr(GArray) mirror = g_array_new (FALSE, FALSE, sizeof (gint64));
  GArray *fresh;
  const GArray *ids;
  guint shown;
  Change c;

  drd_paged_model_set_diff (paged, diff);
  drd_paged_model_set_gradual (paged, TRUE);
  drd_paged_model_clear (paged);
  run_query (f, NULL, 0, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_ID, FALSE);
  shown = g_list_model_get_n_items (list);
  g_assert_cmpuint (shown, <, 100);
  for (guint i = 0; i < shown; i++)
    {
      g_autoptr(DrdCustomerRow) row = g_list_model_get_item (list, i);
      gint64 id = drd_customer_row_get_id (row);

      g_array_append_val (mirror, id);
    }
  g_signal_connect (list, "items-changed", G_CALLBACK (on_mirror_changed), mirror);

  /* A live refresh arrives while the table is still filling: customer 3
   * (shown) and 5000 (not shown yet) left the list. */
  ids = drd_paged_model_get_ids (paged);
  fresh = g_array_sized_new (FALSE, FALSE, sizeof (gint64), ids->len);
  for (guint i = 0; i < ids->len; i++)
    if (g_array_index (ids, gint64, i) != 3 && g_array_index (ids, gint64, i) != 5000)
      g_array_append_val (fresh, g_array_index (ids, gint64, i));
  g_array_set_size (f->changes, 0);
  drd_paged_model_set_ids (paged, fresh, TRUE);

  /* Only what was shown changed, and the fill goes on from there: the
   * view was not made to take every remaining row at once. The exact diff
   * sees customer 3 leave; the ends diff sees rows 3..5000 replaced and
   * redoes the shown part of them. */
  g_assert_cmpuint (f->changes->len, ==, 1);
  c = g_array_index (f->changes, Change, 0);
  g_assert_cmpuint (c.pos, ==, 2);
  if (diff == DRD_PAGED_DIFF_SORTED)
    {
      g_assert_cmpuint (c.removed, ==, 1);
      g_assert_cmpuint (c.added, ==, 0);
      g_assert_cmpuint (g_list_model_get_n_items (list), ==, shown - 1);
    }
  else
    {
      g_assert_cmpuint (c.removed, ==, shown - 2);
      g_assert_cmpuint (c.added, ==, shown - 2);
      g_assert_cmpuint (g_list_model_get_n_items (list), ==, shown);
    }
  g_assert_cmpuint (drd_paged_model_get_n_rows (paged), ==, N_CUSTOMERS - 2);

  /* Filled to the end, the view holds exactly the model's ids. */
  g_assert_true (drd_test_wait (all_exposed_but_two, f, 5000));
  g_assert_cmpuint (mirror->len, ==, N_CUSTOMERS - 2);
  ids = drd_paged_model_get_ids (paged);
  g_assert_cmpmem (mirror->data, mirror->len * sizeof (gint64),
                   ids->data, ids->len * sizeof (gint64));
  g_signal_handlers_disconnect_by_data (list, mirror);
  g_assert_true (drd_test_wait (model_idle, f->model, 5000));
}

static void
test_refresh_while_filling (Fixture *f, gconstpointer data)
{
  check_refresh_while_filling (f, DRD_PAGED_DIFF_ENDS);
  check_refresh_while_filling (f, DRD_PAGED_DIFF_SORTED);
}

static gboolean
model_complete (gpointer data)
{
  Fixture *f = data;
  return drd_customer_model_get_complete (f->model) && model_idle (f->model);
}

static void
check_progressive (Fixture *f, const char *search, DrdGridSort sort, gboolean desc, guint chunk)
{
  DrdGridQuery q = { (char *) search, 0, DRD_GRID_ANY_ANSWER, sort, desc };
  g_autoptr(GArray) all = NULL;
  g_autoptr(GError) error = NULL;
  const GArray *ids;
  guint n0 = g_list_model_get_n_items (G_LIST_MODEL (f->model));
  guint total = n0;

  all = drd_store_gui_grid_ids (f->store, &q, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, >, chunk);
  g_array_set_size (f->changes, 0);
  run_query (f, search, 0, DRD_GRID_ANY_ANSWER, sort, desc);
  /* "query-done" with the first chunk only, in order. */
  ids = drd_paged_model_get_ids (DRD_PAGED_MODEL (f->model));
  g_assert_cmpuint (ids->len, ==, chunk);
  g_assert_false (drd_customer_model_get_complete (f->model));
  g_assert_true (drd_customer_model_get_busy (f->model));   /* the spinner still turns */
  g_assert_cmpmem (ids->data, chunk * sizeof (gint64), all->data, chunk * sizeof (gint64));
  g_assert_true (drd_test_wait (model_complete, f, 10000));
  g_assert_false (drd_customer_model_get_busy (f->model));
  /* Then every match, in the same order as the one-shot query ... */
  ids = drd_paged_model_get_ids (DRD_PAGED_MODEL (f->model));
  g_assert_cmpuint (ids->len, ==, all->len);
  g_assert_cmpmem (ids->data, all->len * sizeof (gint64), all->data, all->len * sizeof (gint64));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, all->len);
  /* ... reported exactly: the length change of the new query, then one
   * append of the rest. */
  for (guint i = 0; i < f->changes->len; i++)
    {
      Change c = g_array_index (f->changes, Change, i);

      g_assert_cmpuint (c.pos, <=, total);
      g_assert_cmpuint (c.pos + c.removed, <=, total);
      total = total - c.removed + c.added;
    }
  g_assert_cmpuint (total, ==, all->len);
  {
    Change last = g_array_index (f->changes, Change, f->changes->len - 1);

    g_assert_cmpuint (last.pos, ==, chunk);
    g_assert_cmpuint (last.removed, ==, 0);
    g_assert_cmpuint (last.added, ==, all->len - chunk);
  }
}

static void
test_progressive_ids (Fixture *f, gconstpointer data)
{
  drd_customer_model_set_first_chunk (f->model, 100);
  /* From empty, then over a full list, then a prefix search descending. */
  check_progressive (f, NULL, DRD_GRID_SORT_NAME, FALSE, 100);
  check_progressive (f, "Ki", DRD_GRID_SORT_NAME, TRUE, 100);
  check_progressive (f, NULL, DRD_GRID_SORT_ID, TRUE, 100);
  /* A search sorted by id comes whole (sorted in C), whatever the chunk. */
  run_query (f, "Ki", 0, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_ID, TRUE);
  g_assert_true (drd_customer_model_get_complete (f->model));
  g_assert_false (drd_customer_model_get_busy (f->model));
  {
    const GArray *ids = drd_paged_model_get_ids (DRD_PAGED_MODEL (f->model));

    g_assert_cmpuint (ids->len, ==, N_CUSTOMERS / 7);
    for (guint i = 1; i < ids->len; i++)
      g_assert_cmpint (g_array_index (ids, gint64, i - 1), >, g_array_index (ids, gint64, i));
  }
  /* A result shorter than the chunk is complete at once. */
  run_query (f, "store 0001", 0, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_ID, FALSE);
  g_assert_true (drd_customer_model_get_complete (f->model));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 1);
  /* A refresh asked for during the rest waits for it and changes nothing. */
  run_query (f, NULL, 0, DRD_GRID_ANY_ANSWER, DRD_GRID_SORT_NAME, FALSE);
  drd_customer_model_refresh (f->model);
  g_assert_true (drd_test_wait (model_complete, f, 10000));
  drd_test_spin (300);
  g_assert_true (drd_customer_model_get_complete (f->model));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, N_CUSTOMERS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/gui/models/pages", Fixture, NULL, fixture_setup, test_pages, fixture_teardown);
  g_test_add ("/gui/models/sort-filter", Fixture, NULL, fixture_setup, test_sort_and_filter,
              fixture_teardown);
  g_test_add ("/gui/models/newer-query-wins", Fixture, NULL, fixture_setup, test_newer_query_wins,
              fixture_teardown);
  g_test_add ("/gui/models/live-exact", Fixture, NULL, fixture_setup, test_live_exact,
              fixture_teardown);
  g_test_add ("/gui/models/responses-exact", Fixture, NULL, fixture_setup, test_responses_exact,
              fixture_teardown);
  g_test_add ("/gui/models/refresh-while-filling", Fixture, NULL, fixture_setup,
              test_refresh_while_filling, fixture_teardown);
  g_test_add ("/gui/models/gradual-first-fill", Fixture, NULL, fixture_setup,
              test_gradual_first_fill, fixture_teardown);
  g_test_add ("/gui/models/progressive-ids", Fixture, "progressive", fixture_setup,
              test_progressive_ids, fixture_teardown);
  return g_test_run ();
}
