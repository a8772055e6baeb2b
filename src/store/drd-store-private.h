/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private API of DrdStore, for the query files of other layers
 * (drd-store-portal.c, drd-store-gui.c, drd-store-settle.c, …) that live
 * in src/store/ and add their own domain operations on top of it.
 *
 * Pattern for a write operation (result values travel in your own struct):
 *
 *   typedef struct { gint64 customer_id; char *hash; gint64 out_gen; } RotateOp;
 *
 *   static gboolean
 *   rotate_run (sqlite3 *db, gpointer data, GError **error)
 *   {
 *     RotateOp *op = data;
 *     sqlite3_stmt *stmt = drd_store_prepare (db,
 *         "UPDATE customers SET token_hash = ?2, token_generation = token_generation + 1 "
 *         "WHERE id = ?1 RETURNING token_generation", error);
 *     if (stmt == NULL)
 *       return FALSE;
 *     sqlite3_bind_int64 (stmt, 1, op->customer_id);
 *     sqlite3_bind_text (stmt, 2, op->hash, -1, SQLITE_TRANSIENT);
 *     int rc = sqlite3_step (stmt);
 *     if (rc == SQLITE_DONE)
 *       return drd_store_set_not_found (error, "customer %" G_GINT64_FORMAT, op->customer_id);
 *     if (rc != SQLITE_ROW)
 *       return drd_store_set_sqlite_error (error, db, "rotate token");
 *     op->out_gen = sqlite3_column_int64 (stmt, 0);
 *     return TRUE;
 *   }
 *
 *   sync:   drd_store_write (store, rotate_run, &op, error);
 *   async:  task = g_task_new (store, cancellable, callback, user_data);
 *           g_task_set_source_tag (task, my_rotate_async);
 *           g_task_set_task_data (task, op, rotate_op_free);
 *           drd_store_write_in_task (store, task, rotate_run);   // consumes task
 *   finish: if (!g_task_propagate_boolean (G_TASK (result), error)) return FALSE;
 *           op = g_task_get_task_data (G_TASK (result)); ... read op->out_gen
 *
 * Reads are the same with drd_store_read / drd_store_read_in_task.
 *
 * Rules for functions run by the store:
 *   - Use only drd_store_prepare() statements (cached per connection; do
 *     NOT finalize them). They come back reset with cleared bindings. The
 *     store resets every statement after your function returns.
 *   - Never sqlite3_exec BEGIN/COMMIT/ROLLBACK/SAVEPOINT yourself: a write
 *     function already runs inside a transaction and its own SAVEPOINT; if
 *     it returns FALSE everything it did is rolled back (and only that). A
 *     read function runs inside one read transaction (one snapshot).
 *   - Return FALSE with @error set on failure; TRUE otherwise. Every
 *     sqlite3 error goes through drd_store_set_sqlite_error().
 *   - Never call sync drd_store_* functions from inside such a function
 *     (deadlock); the db handle you get is the one to use.
 *   - Write functions run on the writer thread; keep them short (they
 *     delay every other queued write) unless you use DRD_STORE_WRITE_ALONE.
 */
#pragma once

#include <sqlite3.h>

#include "store/drd-store.h"

G_BEGIN_DECLS

typedef gboolean (*DrdStoreFunc) (sqlite3  *db,
                                  gpointer  data,
                                  GError  **error);

typedef enum {
  DRD_STORE_WRITE_DEFAULT = 0,
  /* Run in a transaction of its own instead of the group (bulk work: a
   * big import, event start). Still serialised with all other writes. */
  DRD_STORE_WRITE_ALONE = 1 << 0,
  /* Run with foreign-key enforcement off (only with WRITE_ALONE, and
   * only when the operation guarantees every reference by construction,
   * e.g. INSERT … SELECT id FROM customers). */
  DRD_STORE_WRITE_NO_FOREIGN_KEYS = 1 << 1,
} DrdStoreWriteFlags;

/* Runs @func on the writer thread inside the (group) transaction and
 * returns once the transaction committed (TRUE) or the operation or the
 * COMMIT failed (FALSE, @error set). */
gboolean drd_store_write (DrdStore     *self,
                          DrdStoreFunc  func,
                          gpointer      data,
                          GError      **error);
gboolean drd_store_write_full (DrdStore           *self,
                               DrdStoreWriteFlags  flags,
                               DrdStoreFunc        func,
                               gpointer            data,
                               GError            **error);

/* Async form: queues @func with data = g_task_get_task_data (@task) and
 * completes @task (g_task_return_boolean TRUE, or the error) after the
 * COMMIT, from the writer thread (GTask delivers the callback in the
 * task's main context). Takes ownership of @task. If the task's
 * cancellable is cancelled before the operation ran, it fails with
 * G_IO_ERROR_CANCELLED and @func is never called. */
void     drd_store_write_in_task (DrdStore     *self,
                                  GTask        *task,
                                  DrdStoreFunc  func);
void     drd_store_write_in_task_full (DrdStore           *self,
                                       DrdStoreWriteFlags  flags,
                                       GTask              *task,
                                       DrdStoreFunc        func);

/* Runs @func on a read-only connection of the pool, inside one read
 * transaction, on the calling thread. */
gboolean drd_store_read (DrdStore     *self,
                         DrdStoreFunc  func,
                         gpointer      data,
                         GError      **error);

/* Async form: runs @func in a worker thread (g_task_run_in_thread) with
 * data = g_task_get_task_data (@task) and returns TRUE or the error
 * through @task. Takes ownership of @task. */
void     drd_store_read_in_task (DrdStore     *self,
                                 GTask        *task,
                                 DrdStoreFunc  func);

/* A cached prepared statement of @db (only valid inside a function run
 * by the store). Reset, bindings cleared. Never finalize it. Returns NULL
 * with @error set (naming @sql) on failure. */
sqlite3_stmt *drd_store_prepare (sqlite3     *db,
                                 const char  *sql,
                                 GError     **error);

/* Sets @error (may be NULL) to DRD_STORE_ERROR_SQLITE — or _CONSTRAINT
 * for constraint violations — with the message
 * "<what>: <sqlite3_errmsg (db)>". Always returns FALSE so it can end a
 * function: `return drd_store_set_sqlite_error (error, db, "insert x");` */
gboolean drd_store_set_sqlite_error (GError    **error,
                                     sqlite3    *db,
                                     const char *what);

/* Steps a statement that must finish without rows (INSERT/UPDATE/DELETE
 * without RETURNING); error via drd_store_set_sqlite_error(). */
gboolean drd_store_step_done (sqlite3      *db,
                              sqlite3_stmt *stmt,
                              const char   *what,
                              GError      **error);

/* Convenience error setters that return FALSE. */
gboolean drd_store_set_not_found (GError    **error,
                                  const char *format,
                                  ...) G_GNUC_PRINTF (2, 3);
gboolean drd_store_set_invalid (GError    **error,
                                const char *format,
                                ...) G_GNUC_PRINTF (2, 3);

/* Binds a text or NULL when @s is NULL (SQLITE_TRANSIENT). Returns the
 * sqlite3 result code. */
int      drd_store_bind_text_or_null (sqlite3_stmt *stmt,
                                      int           index,
                                      const char   *s);
/* Binds @v, or NULL when @v is 0 (optional ids). */
int      drd_store_bind_id_or_null (sqlite3_stmt *stmt,
                                    int           index,
                                    gint64        v);

/* Reads the current row of a statement that selected (in this order)
 * id, name, kepco_no, resource name, registered_w, cbl_method,
 * is_factory, phone, email, webhook_url starting at column @first. */
DrdCustomer *drd_store_customer_from_row (sqlite3_stmt *stmt,
                                          int           first);
/* The column list matching drd_store_customer_from_row(), for
 * `SELECT DRD_STORE_CUSTOMER_COLUMNS FROM customers c JOIN resources r
 * ON r.id = c.resource_id …`. */
#define DRD_STORE_CUSTOMER_COLUMNS \
  "c.id, c.name, c.kepco_no, r.name, c.registered_w, c.cbl_method, " \
  "c.is_factory, c.phone, c.email, c.webhook_url"

/* SQL expression of an event's effective status (see "Event status" in
 * drd-store.h): scheduled counts as active once start_at <= now. @alias
 * is the events table alias, @now a parameter or literal, e.g.
 * "SELECT … WHERE " DRD_STORE_SQL_EFFECTIVE_STATUS ("e", "?2") " IN (0, 1)". */
#define DRD_STORE_SQL_EFFECTIVE_STATUS(alias, now) \
  "(CASE WHEN " alias ".status = 0 AND " alias ".start_at <= " now \
  " THEN 1 ELSE " alias ".status END)"

/* What drd_store_get_response_counts() runs (?1 = event id): one row,
 * no row when the event does not exist; column 0 is FALSE when the event
 * has no event_counts row. Here so tests can check its query plan. */
#define DRD_STORE_SQL_RESPONSE_COUNTS \
  "SELECT k.event_id IS NOT NULL, k.n_targeted, k.n_accept, k.n_deny, k.n_none, " \
  "k.accepted_w, k.targeted_w, k.denied_w " \
  "FROM events e LEFT JOIN event_counts k ON k.event_id = e.id WHERE e.id = ?1"

/* Test hooks. Number of writer transactions committed so far (a group
 * counts once), and of operations completed successfully. */
guint64  drd_store_get_commit_count (DrdStore *self);
guint64  drd_store_get_op_count (DrdStore *self);

/* Test hook: creates (or brings up to) @version the database at @path
 * with this build's migrations 1..@version and closes it, so tests can
 * build a file as an older DR Desk left it and check that drd_store_open()
 * migrates it. Never migrates down. */
gboolean drd_store_create_at_version (const char  *path,
                                      int          version,
                                      GError     **error);

/* Test hook: makes the writer wait @usec before draining its queue
 * (lets tests pile up operations so they group). 0 = off. */
void     drd_store_set_writer_delay (DrdStore *self,
                                     gulong    usec);

G_END_DECLS
