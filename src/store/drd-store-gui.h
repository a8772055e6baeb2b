/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reads the window needs and nobody else does: the ordered id list of the
 * customer grid (sorted and filtered in SQL on the schema's indexes), rows
 * by id in pages, a customer's detail, the response table of one event and
 * the start dialog's summary. All run on the store's read connections,
 * never on the caller's thread. No GTK here. */
#pragma once

#include "store/drd-store.h"

G_BEGIN_DECLS

typedef enum {
  DRD_GRID_SORT_ID = 0,
  DRD_GRID_SORT_NAME,
  DRD_GRID_SORT_KEPCO_NO,
  DRD_GRID_SORT_RESOURCE,
  DRD_GRID_SORT_REGISTERED,
  DRD_GRID_SORT_CBL,
  DRD_GRID_SORT_POINTS,
  DRD_GRID_SORT_LAST_ANSWER,
  DRD_GRID_N_SORTS
} DrdGridSort;

/* Last-answer filter of the grid. */
#define DRD_GRID_ANY_ANSWER   (-2)
#define DRD_GRID_NEVER_ANSWERED (-1)

typedef struct {
  char        *search;        /* NULL/"" = all; 1–2 chars: name/number prefix; ≥3: substring */
  gint64       resource_id;   /* 0 = all */
  int          last_answer;   /* DRD_GRID_ANY_ANSWER, DRD_GRID_NEVER_ANSWERED or a DrdAnswer */
  DrdGridSort  sort;
  gboolean     descending;
} DrdGridQuery;

DrdGridQuery *drd_grid_query_copy (const DrdGridQuery *q);
void          drd_grid_query_free (DrdGridQuery *q);
gboolean      drd_grid_query_equal (const DrdGridQuery *a, const DrdGridQuery *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdGridQuery, drd_grid_query_free)

typedef struct {
  gint64  id;
  char   *name;            /* NULL: the customer no longer exists */
  char   *kepco_no;
  char   *resource;
  gint64  registered_w;
  int     cbl_method;
  gint64  points_balance;
  int     last_answer;     /* -1 = never answered */
  gint64  last_answered_at;
} DrdGridRow;

void drd_grid_row_free (DrdGridRow *row);
gboolean drd_grid_row_equal (const DrdGridRow *a, const DrdGridRow *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdGridRow, drd_grid_row_free)

/* The ordered ids (GArray of gint64) matching @query. Cancelling the
 * cancellable interrupts the running SQL (G_IO_ERROR_CANCELLED). */
GArray    *drd_store_gui_grid_ids (DrdStore *store, const DrdGridQuery *query,
                                   GCancellable *cancellable, GError **error);
void       drd_store_gui_grid_ids_async (DrdStore *store, const DrdGridQuery *query,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
/* The first @limit ids only (all of them when @limit is 0); finish with
 * drd_store_gui_grid_ids_finish(). A result shorter than @limit is all;
 * so is one longer than @limit (a search sorted by id is collected whole
 * and sorted in C). */
void       drd_store_gui_grid_ids_limit_async (DrdStore *store, const DrdGridQuery *query,
                                               guint limit, GCancellable *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer user_data);
GArray    *drd_store_gui_grid_ids_finish (DrdStore *store, GAsyncResult *result, GError **error);

/* Rows for @ids (GPtrArray of DrdGridRow*, same order and length). */
GPtrArray *drd_store_gui_grid_rows (DrdStore *store, const gint64 *ids, guint n_ids,
                                    GError **error);
void       drd_store_gui_grid_rows_async (DrdStore *store, const gint64 *ids, guint n_ids,
                                          GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *drd_store_gui_grid_rows_finish (DrdStore *store, GAsyncResult *result,
                                           GError **error);

/* A cheap fingerprint of the customers table (count and newest update):
 * when it changes the id list may have changed. */
typedef struct {
  gint64 n_customers;
  gint64 max_updated_at;
  gint64 max_id;
} DrdGridStamp;

void     drd_store_gui_grid_stamp_async (DrdStore *store, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
gboolean drd_store_gui_grid_stamp_finish (DrdStore *store, GAsyncResult *result,
                                          DrdGridStamp *out, GError **error);

typedef struct {
  gint64     event_id;
  char      *event_name;
  gint64     start_at;
  int        answer;
  gint64     answered_at;
  int        channel;
} DrdGuiAnswer;

typedef struct {
  DrdCustomer *customer;
  gint64       points_balance;
  GPtrArray   *ledger;     /* DrdLedgerEntry*, newest first, at most 50 */
  GPtrArray   *answers;    /* DrdGuiAnswer*, newest event first, at most 50 */
} DrdCustomerDetail;

void drd_customer_detail_free (DrdCustomerDetail *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdCustomerDetail, drd_customer_detail_free)

void               drd_store_gui_customer_detail_async (DrdStore *store, gint64 customer_id,
                                                        GCancellable *cancellable,
                                                        GAsyncReadyCallback callback,
                                                        gpointer user_data);
DrdCustomerDetail *drd_store_gui_customer_detail_finish (DrdStore *store, GAsyncResult *result,
                                                         GError **error);

/* ---- responses of one event ---- */

typedef struct {
  gint64  customer_id;
  char   *name;
  char   *kepco_no;
  gint64  registered_w;
  int     answer;
  gint64  answered_at;
  int     channel;
  int     outcome;          /* DrdOutcome; 0 until settled */
  gboolean has_reduction;
  gint64  reduction_wh;
  gint64  points;
  char   *phone;            /* NULL = unknown (daily: appended) */
} DrdResponseRow;

void     drd_response_row_free (DrdResponseRow *row);
gboolean drd_response_row_equal (const DrdResponseRow *a, const DrdResponseRow *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdResponseRow, drd_response_row_free)

/* One refresh of the response table: the targeted customer ids matching
 * @answer_filter (-1 = every answer), ascending, and full rows of those
 * whose answer changed at or after @since (answered_at), plus every row
 * settled since. @out_watermark is the newest answered_at seen. */
typedef struct {
  GArray    *ids;          /* gint64, ascending */
  GPtrArray *changed;      /* DrdResponseRow* */
  gint64     watermark;
} DrdResponseRefresh;

void drd_response_refresh_free (DrdResponseRefresh *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdResponseRefresh, drd_response_refresh_free)

DrdResponseRefresh *drd_store_gui_responses (DrdStore *store, gint64 event_id, int answer_filter,
                                             gint64 since, GCancellable *cancellable,
                                             GError **error);
void                drd_store_gui_responses_async (DrdStore *store, gint64 event_id,
                                                   int answer_filter, gint64 since,
                                                   GCancellable *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer user_data);
DrdResponseRefresh *drd_store_gui_responses_finish (DrdStore *store, GAsyncResult *result,
                                                    GError **error);

/* The same with a search and a sort (the Responses table's "whom to call
 * next"): @search (NULL/"" = all) matches a substring of the name, the
 * KEPCO number or the phone (also ignoring dashes and spaces in the
 * phone); rows in @sort order, ties by customer id. Ids are ascending
 * only for DRD_RESPONSE_SORT_ID ascending. */
typedef enum {
  DRD_RESPONSE_SORT_ID = 0,
  DRD_RESPONSE_SORT_NAME,
  DRD_RESPONSE_SORT_KEPCO_NO,
  DRD_RESPONSE_SORT_REGISTERED,
  DRD_RESPONSE_SORT_PHONE,
  DRD_RESPONSE_SORT_ANSWER,
  DRD_RESPONSE_SORT_ANSWERED_AT,
  DRD_RESPONSE_SORT_CHANNEL,
  DRD_RESPONSE_SORT_OUTCOME,
  DRD_RESPONSE_SORT_REDUCTION,
  DRD_RESPONSE_SORT_POINTS,
  DRD_RESPONSE_N_SORTS
} DrdResponseSort;

typedef struct {
  int              answer_filter;   /* -1 = every answer */
  const char      *search;
  DrdResponseSort  sort;
  gboolean         descending;
} DrdResponseQuery;

void drd_store_gui_responses_query_async (DrdStore *store, gint64 event_id,
                                          const DrdResponseQuery *query, gint64 since,
                                          GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);

GPtrArray *drd_store_gui_response_rows (DrdStore *store, gint64 event_id, const gint64 *ids,
                                        guint n_ids, GError **error);
void       drd_store_gui_response_rows_async (DrdStore *store, gint64 event_id,
                                              const gint64 *ids, guint n_ids,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *drd_store_gui_response_rows_finish (DrdStore *store, GAsyncResult *result,
                                               GError **error);

/* ---- start dialog ---- */

typedef struct {
  gint64 n_customers;        /* customers the event would ask */
  gint64 registered_w;       /* their registered capacity */
  gint64 used_this_year_s;   /* most DR seconds any targeted resource ran this local year */
} DrdTargetSummary;

/* @resource_ids: gint64, empty/NULL = every resource. @year_start/@year_end:
 * the local calendar year of the planned event (Unix s). */
void     drd_store_gui_target_summary_async (DrdStore *store, GArray *resource_ids,
                                             gint64 year_start, gint64 year_end,
                                             GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
gboolean drd_store_gui_target_summary_finish (DrdStore *store, GAsyncResult *result,
                                              DrdTargetSummary *out, GError **error);

G_END_DECLS
