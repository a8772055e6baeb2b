/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdStore machinery: opening, migrations, the writer thread with group
 * commit, the reader pool and the per-connection statement cache. The
 * domain operations live in drd-store-customers.c, drd-store-events.c and
 * drd-store-misc.c (and other layers' drd-store-*.c files). */
#include "config.h"

#include "store/drd-store-private.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include "store/drd-store-resources.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* The writer's page cache (see configure_writer). */
#define WRITER_CACHE_SIZE "PRAGMA cache_size = -16384"
#define WRITER_TEMP_STORE "PRAGMA temp_store = MEMORY"

#define BUSY_TIMEOUT_MS 10000
#define MAX_READERS 4

G_DEFINE_QUARK (drd-store-error-quark, drd_store_error)

/* One SQLite connection with its statement cache. */
typedef struct {
  sqlite3    *db;
  GHashTable *stmts;   /* owned SQL text → sqlite3_stmt* */
} DrdConn;

/* The connection a store function is running on, per thread; lets
 * drd_store_prepare() find the cache from the bare sqlite3*. */
static GPrivate current_conn;

typedef struct {
  DrdStoreFunc        func;
  gpointer            data;
  DrdStoreWriteFlags  flags;
  GTask              *task;      /* async: owned; sync: NULL */
  /* sync completion */
  GMutex              mutex;
  GCond               cond;
  gboolean            done;
  /* result */
  gboolean            ok;
  GError             *error;
} WriteOp;

/* Sentinel telling the writer thread to stop. */
static WriteOp quit_op;

struct _DrdStore
{
  GObject       parent_instance;

  char         *path;
  GMainContext *main_context;     /* where "changed" is emitted */

  /* writer */
  DrdConn      *writer;
  GThread      *writer_thread;
  GAsyncQueue  *queue;            /* of WriteOp* */
  gulong        writer_delay_usec;
  gboolean      writer_background_wanted;   /* atomic; applied by the writer itself */
  gboolean      writer_background_applied;  /* writer thread only */
  guint64       commit_count;     /* atomic */
  guint64       op_count;         /* atomic */

  /* readers */
  GMutex        pool_mutex;
  GCond         pool_cond;
  GPtrArray    *idle_readers;     /* of DrdConn* */
  guint         n_readers;        /* open, idle or in use */

  /* data_version watcher */
  GMutex        watch_mutex;
  DrdConn      *watch;

  /* "changed" coalescing */
  GMutex        changed_mutex;
  GSource      *changed_source;
};

G_DEFINE_FINAL_TYPE (DrdStore, drd_store, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------ */
/* Errors and helpers                                                 */

gboolean
drd_store_set_sqlite_error (GError    **error,
                            sqlite3    *db,
                            const char *what)
{
  int code = db != NULL ? sqlite3_extended_errcode (db) : SQLITE_ERROR;
  const char *msg = db != NULL ? sqlite3_errmsg (db) : "no database";

  g_set_error (error, DRD_STORE_ERROR,
               (code & 0xff) == SQLITE_CONSTRAINT ? DRD_STORE_ERROR_CONSTRAINT
                                                  : DRD_STORE_ERROR_SQLITE,
               "%s: %s", what, msg);
  return FALSE;
}

gboolean
drd_store_set_not_found (GError    **error,
                         const char *format,
                         ...)
{
  va_list args;

  if (error == NULL)
    return FALSE;
  va_start (args, format);
  *error = g_error_new_valist (DRD_STORE_ERROR, DRD_STORE_ERROR_NOT_FOUND, format, args);
  va_end (args);
  return FALSE;
}

gboolean
drd_store_set_invalid (GError    **error,
                       const char *format,
                       ...)
{
  va_list args;

  if (error == NULL)
    return FALSE;
  va_start (args, format);
  *error = g_error_new_valist (DRD_STORE_ERROR, DRD_STORE_ERROR_INVALID, format, args);
  va_end (args);
  return FALSE;
}

gboolean
drd_store_step_done (sqlite3      *db,
                     sqlite3_stmt *stmt,
                     const char   *what,
                     GError      **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc == SQLITE_ROW)
    {
      g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_SQLITE,
                   "%s: statement returned rows", what);
      return FALSE;
    }
  return drd_store_set_sqlite_error (error, db, what);
}

int
drd_store_bind_text_or_null (sqlite3_stmt *stmt,
                             int           index,
                             const char   *s)
{
  if (s == NULL)
    return sqlite3_bind_null (stmt, index);
  return sqlite3_bind_text (stmt, index, s, -1, SQLITE_TRANSIENT);
}

int
drd_store_bind_id_or_null (sqlite3_stmt *stmt,
                           int           index,
                           gint64        v)
{
  if (v == 0)
    return sqlite3_bind_null (stmt, index);
  return sqlite3_bind_int64 (stmt, index, v);
}

gint64
drd_store_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* ------------------------------------------------------------------ */
/* Connections and the statement cache                                */

static void
conn_free (DrdConn *conn)
{
  if (conn == NULL)
    return;
  g_clear_pointer (&conn->stmts, g_hash_table_unref);
  /* sqlite3_close_v2 defers the close until statements are gone; all
   * statements were finalized with the hash table. */
  sqlite3_close_v2 (conn->db);
  g_free (conn);
}

static void
stmt_finalize (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

static DrdConn *
conn_open (const char  *path,
           gboolean     read_only,
           GError     **error)
{
  g_autofree DrdConn *conn = g_new0 (DrdConn, 1);
  int flags = SQLITE_OPEN_NOMUTEX
              | (read_only ? SQLITE_OPEN_READONLY
                           : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc;

  /* SQLite creates a new database with 0644 & ~umask, and its -wal and
   * -shm with the database's mode: create it 0600 first (an empty file is
   * an empty database), so a --db outside the 0700 default folder is not
   * readable by other users either. */
  if (!read_only)
    {
      int fd = g_open (path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

      if (fd >= 0)
        close (fd);
    }
  rc = sqlite3_open_v2 (path, &conn->db, flags, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_SQLITE,
                   _("open database %s: %s"), path,
                   conn->db != NULL ? sqlite3_errmsg (conn->db) : sqlite3_errstr (rc));
      sqlite3_close_v2 (conn->db);
      return NULL;
    }
  sqlite3_extended_result_codes (conn->db, 1);
  sqlite3_busy_timeout (conn->db, BUSY_TIMEOUT_MS);
  conn->stmts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       stmt_finalize);
  return g_steal_pointer (&conn);
}

sqlite3_stmt *
drd_store_prepare (sqlite3     *db,
                   const char  *sql,
                   GError     **error)
{
  DrdConn *conn = g_private_get (&current_conn);
  sqlite3_stmt *stmt;

  g_return_val_if_fail (conn != NULL && conn->db == db, NULL);

  stmt = g_hash_table_lookup (conn->stmts, sql);
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }
  if (sqlite3_prepare_v3 (db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    {
      g_autofree char *what = g_strdup_printf ("prepare \"%s\"", sql);
      sqlite3_finalize (stmt);
      drd_store_set_sqlite_error (error, db, what);
      return NULL;
    }
  g_hash_table_insert (conn->stmts, g_strdup (sql), stmt);
  return stmt;
}

/* Runs a fixed SQL text (our own constants only). */
static gboolean
conn_exec (DrdConn     *conn,
           const char  *sql,
           GError     **error)
{
  if (sqlite3_exec (conn->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return drd_store_set_sqlite_error (error, conn->db, sql);
  return TRUE;
}

/* Like conn_exec, for the statements the writer runs around every
 * operation (SAVEPOINT, RELEASE, …): cached, so not parsed every time. */
static gboolean
conn_exec_cached (DrdConn     *conn,
                  const char  *sql,
                  GError     **error)
{
  DrdConn *saved = g_private_get (&current_conn);
  sqlite3_stmt *stmt;
  gboolean ok;

  g_private_set (&current_conn, conn);
  stmt = drd_store_prepare (conn->db, sql, error);
  ok = stmt != NULL && drd_store_step_done (conn->db, stmt, sql, error);
  if (stmt != NULL)
    sqlite3_reset (stmt);
  g_private_set (&current_conn, saved);
  return ok;
}

static void
conn_reset_all (DrdConn *conn)
{
  sqlite3_stmt *stmt = NULL;

  while ((stmt = sqlite3_next_stmt (conn->db, stmt)) != NULL)
    if (sqlite3_stmt_busy (stmt))
      sqlite3_reset (stmt);
}

/* Runs @func on @conn with the statement cache reachable. */
static gboolean
conn_call (DrdConn      *conn,
           DrdStoreFunc  func,
           gpointer      data,
           GError      **error)
{
  DrdConn *saved = g_private_get (&current_conn);
  gboolean ok;

  GError *local_error = NULL;

  g_private_set (&current_conn, conn);
  ok = func (conn->db, data, &local_error);
  g_private_set (&current_conn, saved);
  conn_reset_all (conn);
  if (ok)
    g_clear_error (&local_error);
  else if (local_error == NULL)
    local_error = g_error_new_literal (DRD_STORE_ERROR, DRD_STORE_ERROR_SQLITE,
                                       "store operation failed without saying why");
  if (local_error != NULL)
    g_propagate_error (error, local_error);
  return ok;
}

static gboolean
conn_query_int (DrdConn     *conn,
                const char  *sql,
                gint64      *out,
                GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (conn->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      sqlite3_finalize (stmt);
      return drd_store_set_sqlite_error (error, conn->db, sql);
    }
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *out = sqlite3_column_int64 (stmt, 0);
      sqlite3_finalize (stmt);
      return TRUE;
    }
  if (rc == SQLITE_DONE)
    *out = 0;
  else
    drd_store_set_sqlite_error (error, conn->db, sql);
  sqlite3_finalize (stmt);
  return rc == SQLITE_DONE;
}

/* ------------------------------------------------------------------ */
/* Migrations                                                         */

typedef struct {
  int         version;
  const char *resource;
} Migration;

static const Migration migrations[] = {
  { 1, "/kr/drdesk/store/schema-v1.sql" },
  { 2, "/kr/drdesk/store/schema-v2.sql" },
};
G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == DRD_STORE_SCHEMA_VERSION);

static gboolean
run_migration (DrdConn          *conn,
               const Migration  *m,
               GError          **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *script = NULL;
  g_autofree char *set_version = NULL;
  g_autofree char *what = NULL;
  gint64 version = 0;
  gint64 n_objects = 0;
  char *errmsg = NULL;
  gsize len;

  bytes = g_resource_lookup_data (drd_store_get_resource (), m->resource,
                                  G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (bytes == NULL)
    return FALSE;
  script = g_strndup (g_bytes_get_data (bytes, &len), g_bytes_get_size (bytes));

  /* BEGIN IMMEDIATE takes the write lock first, so two processes opening
   * a new file at once cannot both migrate it. */
  if (!conn_exec (conn, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!conn_query_int (conn, "PRAGMA user_version", &version, error))
    goto fail;
  if (version >= m->version)
    return conn_exec (conn, "COMMIT", error);
  if (version == 0)
    {
      if (!conn_query_int (conn, "SELECT count(*) FROM sqlite_schema", &n_objects, error))
        goto fail;
      if (n_objects > 0)
        {
          g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_NOT_DRDESK,
                       _("%s is a SQLite database of another program (it has tables but "
                       "no DR Desk schema version); refusing to change it"),
                       sqlite3_db_filename (conn->db, "main"));
          goto fail;
        }
    }

  what = g_strdup_printf ("migration to schema version %d", m->version);
  if (sqlite3_exec (conn->db, script, NULL, NULL, &errmsg) != SQLITE_OK)
    {
      g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_SQLITE, "%s: %s",
                   what, errmsg != NULL ? errmsg : sqlite3_errmsg (conn->db));
      sqlite3_free (errmsg);
      goto fail;
    }
  /* PRAGMA takes no parameters; the value is our own constant. */
  set_version = g_strdup_printf ("PRAGMA user_version = %d", m->version);
  if (!conn_exec (conn, set_version, error))
    goto fail;
  if (!conn_exec (conn, "COMMIT", error))
    goto fail;
  return TRUE;

fail:
  sqlite3_exec (conn->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

static gboolean
migrate_to (DrdConn     *conn,
            const char  *path,
            int          target,
            GError     **error)
{
  gint64 version = 0;

  if (!conn_query_int (conn, "PRAGMA user_version", &version, error))
    return FALSE;
  if (version > DRD_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_NEWER_SCHEMA,
                   _("%s has schema version %" PRId64 ", newer than the "
                   "version %d this DR Desk understands; use a newer DR Desk"),
                   path, version, DRD_STORE_SCHEMA_VERSION);
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (migrations) && migrations[i].version <= target; i++)
    if (migrations[i].version > version && !run_migration (conn, &migrations[i], error))
      return FALSE;
  return TRUE;
}

static gboolean
migrate (DrdConn     *conn,
         const char  *path,
         GError     **error)
{
  return migrate_to (conn, path, DRD_STORE_SCHEMA_VERSION, error);
}

/* ------------------------------------------------------------------ */
/* "changed"                                                          */

static gboolean
emit_changed_cb (gpointer data)
{
  GWeakRef *weak = data;
  g_autoptr(DrdStore) self = g_weak_ref_get (weak);

  if (self == NULL)
    return G_SOURCE_REMOVE;
  g_mutex_lock (&self->changed_mutex);
  g_clear_pointer (&self->changed_source, g_source_unref);
  g_mutex_unlock (&self->changed_mutex);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return G_SOURCE_REMOVE;
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static void
schedule_changed (DrdStore *self)
{
  GWeakRef *weak;

  g_mutex_lock (&self->changed_mutex);
  if (self->changed_source == NULL)
    {
      weak = g_new0 (GWeakRef, 1);
      g_weak_ref_init (weak, self);
      self->changed_source = g_idle_source_new ();
      g_source_set_static_name (self->changed_source, "[drdesk] store changed");
      g_source_set_callback (self->changed_source, emit_changed_cb, weak, weak_ref_free);
      g_source_attach (self->changed_source, self->main_context);
    }
  g_mutex_unlock (&self->changed_mutex);
}

/* ------------------------------------------------------------------ */
/* Writer                                                             */

static gboolean
unref_task_cb (gpointer data)
{
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

static void
write_op_complete (WriteOp *op)
{
  if (op->ok)
    g_assert (op->error == NULL);

  if (op->task != NULL)
    {
      GTask *task = g_steal_pointer (&op->task);

      GSource *source;

      if (op->ok)
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, g_steal_pointer (&op->error));
      /* Drop our reference in the task's context, after its callback:
       * the writer thread must never drop the last reference to the
       * store (finalize joins the writer thread). */
      source = g_idle_source_new ();
      g_source_set_priority (source, G_PRIORITY_LOW);
      g_source_set_static_name (source, "[drdesk] store task unref");
      g_source_set_callback (source, unref_task_cb, task, NULL);
      g_source_attach (source, g_task_get_context (task));
      g_source_unref (source);
      g_free (op);
    }
  else
    {
      g_mutex_lock (&op->mutex);
      op->done = TRUE;
      g_cond_signal (&op->cond);
      g_mutex_unlock (&op->mutex);
    }
}

static void
write_op_fail (WriteOp      *op,
               const GError *error)
{
  op->ok = FALSE;
  g_clear_error (&op->error);
  op->error = g_error_copy (error);
}

/* Runs @ops (all not-yet-run operations) in one transaction. */
static void
run_group (DrdStore  *self,
           GPtrArray *ops)
{
  DrdConn *conn = self->writer;
  g_autoptr(GError) error = NULL;
  gboolean no_fk = FALSE;
  guint n_ok = 0;

  /* Drop what was cancelled while queued: it never runs. */
  for (guint i = 0; i < ops->len; )
    {
      WriteOp *op = g_ptr_array_index (ops, i);
      GCancellable *cancellable = op->task ? g_task_get_cancellable (op->task) : NULL;

      if (g_cancellable_is_cancelled (cancellable))
        {
          op->ok = FALSE;
          g_cancellable_set_error_if_cancelled (cancellable, &op->error);
          g_ptr_array_remove_index (ops, i);
          write_op_complete (op);
        }
      else
        i++;
    }
  if (ops->len == 0)
    return;

  if (ops->len == 1
      && (((WriteOp *) g_ptr_array_index (ops, 0))->flags & DRD_STORE_WRITE_NO_FOREIGN_KEYS))
    {
      no_fk = TRUE;
      /* Only effective outside a transaction, which is where we are. */
      if (!conn_exec (conn, "PRAGMA foreign_keys = OFF", &error))
        goto fail_all;
    }

  if (!conn_exec_cached (conn, "BEGIN IMMEDIATE", &error))
    goto fail_all;

  for (guint i = 0; i < ops->len; i++)
    {
      WriteOp *op = g_ptr_array_index (ops, i);
      g_autoptr(GError) rb_error = NULL;

      if (!conn_exec_cached (conn, "SAVEPOINT op", &error))
        goto rollback_all;
      op->ok = conn_call (conn, op->func, op->data, &op->error);

      if (sqlite3_get_autocommit (conn->db))
        {
          /* SQLite rolled the whole transaction back (I/O error, disk
           * full, …): every operation of the group is lost. */
          g_set_error (&error, DRD_STORE_ERROR, DRD_STORE_ERROR_SQLITE,
                       "transaction rolled back: %s",
                       op->error ? op->error->message : sqlite3_errmsg (conn->db));
          goto fail_all;
        }
      if (!op->ok)
        {
          if (!conn_exec_cached (conn, "ROLLBACK TO op", &rb_error))
            {
              g_propagate_error (&error, g_steal_pointer (&rb_error));
              goto rollback_all;
            }
        }
      if (!conn_exec_cached (conn, "RELEASE op", &error))
        goto rollback_all;
    }

  if (!conn_exec_cached (conn, "COMMIT", &error))
    goto rollback_all;

  if (no_fk)
    sqlite3_exec (conn->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);

  __atomic_add_fetch (&self->commit_count, 1, __ATOMIC_SEQ_CST);
  /* Before any completion: whoever sees its write acknowledged must also
   * get the "changed" that follows from it (a listener that drains its
   * main context after the callback would otherwise race the writer). */
  schedule_changed (self);
  for (guint i = 0; i < ops->len; i++)
    {
      WriteOp *op = g_ptr_array_index (ops, i);
      if (op->ok)
        n_ok++;
      write_op_complete (op);
    }
  __atomic_add_fetch (&self->op_count, n_ok, __ATOMIC_SEQ_CST);
  return;

rollback_all:
  sqlite3_exec (conn->db, "ROLLBACK", NULL, NULL, NULL);
fail_all:
  if (no_fk)
    sqlite3_exec (conn->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
  for (guint i = 0; i < ops->len; i++)
    {
      WriteOp *op = g_ptr_array_index (ops, i);
      write_op_fail (op, error);
      write_op_complete (op);
    }
}

/* The window's profile for the writer (drd_store_set_writer_background),
 * applied by the writer thread itself between transactions: Linux keeps a
 * nice value per thread and raising one's own needs no privilege
 * (elsewhere the nice value stays), temporary files on disk (see
 * configure_writer), and a 4 MiB page cache instead of 16:
 * the window's biggest write, an event start for ~100,000 customers,
 * measured as fast with it (sqlite3 CLI, 118,294 rows on a
 * 1,000,000-customer database: 1.31-1.39 s vs 1.30-1.55 s) and its
 * process keeps 12 MB less. Lowering the nice value back needs privilege:
 * turning the profile off restores the cache and tries. */
static void
apply_writer_profile (DrdStore *self)
{
  gboolean wanted = __atomic_load_n (&self->writer_background_wanted, __ATOMIC_SEQ_CST);
  g_autoptr(GError) error = NULL;

  if (wanted == self->writer_background_applied)
    return;
#ifdef __linux__
  {
    /* Relative to the nice value the thread started with (the process's:
     * `nice drdesk` stays nicer still). getpriority may return -1. */
    id_t tid = (id_t) syscall (SYS_gettid);
    int current, nice_value;

    errno = 0;
    current = getpriority (PRIO_PROCESS, tid);
    nice_value = current + (wanted ? DRD_STORE_BACKGROUND_NICE : -DRD_STORE_BACKGROUND_NICE);
    if (errno != 0 || setpriority (PRIO_PROCESS, tid, nice_value) != 0)
      g_debug ("store writer: nice %d: %s", nice_value, g_strerror (errno));
  }
#endif
  if (!conn_exec (self->writer, wanted ? "PRAGMA cache_size = -4096" : WRITER_CACHE_SIZE, &error)
      || !conn_exec (self->writer, wanted ? "PRAGMA temp_store = FILE" : WRITER_TEMP_STORE, &error))
    g_warning ("store writer: %s", error->message);
  self->writer_background_applied = wanted;
}

static gpointer
writer_thread_func (gpointer data)
{
  DrdStore *self = data;
  WriteOp *next = NULL;
  gboolean quit = FALSE;
  g_autoptr(GPtrArray) group = g_ptr_array_new ();

  while (!quit)
    {
      WriteOp *op = next != NULL ? g_steal_pointer (&next) : g_async_queue_pop (self->queue);
      gulong delay;

      if (op == &quit_op)
        break;

      apply_writer_profile (self);
      delay = __atomic_load_n (&self->writer_delay_usec, __ATOMIC_SEQ_CST);
      if (delay > 0)
        g_usleep (delay);

      g_ptr_array_set_size (group, 0);
      g_ptr_array_add (group, op);
      if (!(op->flags & DRD_STORE_WRITE_ALONE))
        {
          WriteOp *more;

          while ((more = g_async_queue_try_pop (self->queue)) != NULL)
            {
              if (more == &quit_op)
                {
                  quit = TRUE;
                  break;
                }
              if (more->flags & DRD_STORE_WRITE_ALONE)
                {
                  next = more;
                  break;
                }
              g_ptr_array_add (group, more);
            }
        }
      run_group (self, group);
    }
  g_assert (next == NULL);
  return NULL;
}

static void
writer_submit (DrdStore *self,
               WriteOp  *op)
{
  g_async_queue_push (self->queue, op);
}

gboolean
drd_store_write_full (DrdStore           *self,
                      DrdStoreWriteFlags  flags,
                      DrdStoreFunc        func,
                      gpointer            data,
                      GError            **error)
{
  WriteOp op = { 0, };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (g_thread_self () != self->writer_thread, FALSE);

  op.func = func;
  op.data = data;
  op.flags = flags;
  g_mutex_init (&op.mutex);
  g_cond_init (&op.cond);

  writer_submit (self, &op);

  g_mutex_lock (&op.mutex);
  while (!op.done)
    g_cond_wait (&op.cond, &op.mutex);
  g_mutex_unlock (&op.mutex);

  g_mutex_clear (&op.mutex);
  g_cond_clear (&op.cond);
  if (!op.ok)
    {
      g_propagate_error (error, g_steal_pointer (&op.error));
      return FALSE;
    }
  return TRUE;
}

gboolean
drd_store_write (DrdStore     *self,
                 DrdStoreFunc  func,
                 gpointer      data,
                 GError      **error)
{
  return drd_store_write_full (self, DRD_STORE_WRITE_DEFAULT, func, data, error);
}

void
drd_store_write_in_task_full (DrdStore           *self,
                              DrdStoreWriteFlags  flags,
                              GTask              *task,
                              DrdStoreFunc        func)
{
  WriteOp *op;

  g_return_if_fail (DRD_IS_STORE (self));
  g_return_if_fail (G_IS_TASK (task));

  /* We check cancellation ourselves before running; once the operation
   * committed, its real result must reach the caller. */
  g_task_set_check_cancellable (task, FALSE);

  op = g_new0 (WriteOp, 1);
  op->func = func;
  op->data = g_task_get_task_data (task);
  op->flags = flags;
  op->task = task;
  writer_submit (self, op);
}

void
drd_store_write_in_task (DrdStore     *self,
                         GTask        *task,
                         DrdStoreFunc  func)
{
  drd_store_write_in_task_full (self, DRD_STORE_WRITE_DEFAULT, task, func);
}

/* ------------------------------------------------------------------ */
/* Readers                                                            */

static DrdConn *
reader_acquire (DrdStore  *self,
                GError   **error)
{
  DrdConn *conn = NULL;

  g_mutex_lock (&self->pool_mutex);
  while (self->idle_readers->len == 0 && self->n_readers >= MAX_READERS)
    g_cond_wait (&self->pool_cond, &self->pool_mutex);
  if (self->idle_readers->len > 0)
    conn = g_ptr_array_steal_index_fast (self->idle_readers, self->idle_readers->len - 1);
  else
    self->n_readers++;
  g_mutex_unlock (&self->pool_mutex);

  if (conn == NULL)
    {
      conn = conn_open (self->path, TRUE, error);
      if (conn == NULL)
        {
          g_mutex_lock (&self->pool_mutex);
          self->n_readers--;
          g_cond_signal (&self->pool_cond);
          g_mutex_unlock (&self->pool_mutex);
        }
    }
  return conn;
}

static void
reader_release (DrdStore *self,
                DrdConn  *conn)
{
  g_mutex_lock (&self->pool_mutex);
  g_ptr_array_add (self->idle_readers, conn);
  g_cond_signal (&self->pool_cond);
  g_mutex_unlock (&self->pool_mutex);
}

gboolean
drd_store_read (DrdStore     *self,
                DrdStoreFunc  func,
                gpointer      data,
                GError      **error)
{
  DrdConn *conn;
  gboolean ok;

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  conn = reader_acquire (self, error);
  if (conn == NULL)
    return FALSE;

  /* One read transaction: every statement of @func sees one snapshot. */
  ok = conn_exec (conn, "BEGIN", error);
  if (ok)
    {
      ok = conn_call (conn, func, data, error);
      if (ok)
        ok = conn_exec (conn, "COMMIT", error);
      else
        sqlite3_exec (conn->db, "ROLLBACK", NULL, NULL, NULL);
    }
  reader_release (self, conn);
  return ok;
}

typedef struct {
  DrdStoreFunc func;
} ReadTaskData;

static void
read_task_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  DrdStore *self = source_object;
  DrdStoreFunc func = g_object_get_data (G_OBJECT (task), "drd-store-read-func");
  GError *error = NULL;

  if (drd_store_read (self, func, task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
drd_store_read_in_task (DrdStore     *self,
                        GTask        *task,
                        DrdStoreFunc  func)
{
  g_return_if_fail (DRD_IS_STORE (self));
  g_return_if_fail (G_IS_TASK (task));
  g_return_if_fail (g_task_get_source_object (task) == (gpointer) self);

  g_object_set_data (G_OBJECT (task), "drd-store-read-func", func);
  g_task_run_in_thread (task, read_task_thread);
  g_object_unref (task);
}

/* ------------------------------------------------------------------ */
/* data_version                                                       */

gboolean
drd_store_get_data_version (DrdStore *self,
                            guint64  *out_version,
                            GError  **error)
{
  gint64 v = 0;
  gboolean ok;

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);

  g_mutex_lock (&self->watch_mutex);
  if (self->watch == NULL)
    self->watch = conn_open (self->path, TRUE, error);
  ok = self->watch != NULL
       && conn_query_int (self->watch, "PRAGMA data_version", &v, error);
  g_mutex_unlock (&self->watch_mutex);
  if (ok && out_version != NULL)
    *out_version = (guint64) v;
  return ok;
}

/* ------------------------------------------------------------------ */
/* Test hooks                                                         */

guint64
drd_store_get_commit_count (DrdStore *self)
{
  g_return_val_if_fail (DRD_IS_STORE (self), 0);
  return __atomic_load_n (&self->commit_count, __ATOMIC_SEQ_CST);
}

guint64
drd_store_get_op_count (DrdStore *self)
{
  g_return_val_if_fail (DRD_IS_STORE (self), 0);
  return __atomic_load_n (&self->op_count, __ATOMIC_SEQ_CST);
}

void
drd_store_set_writer_background (DrdStore *self,
                                 gboolean  background)
{
  g_return_if_fail (DRD_IS_STORE (self));
  __atomic_store_n (&self->writer_background_wanted, background, __ATOMIC_SEQ_CST);
}

void
drd_store_set_writer_delay (DrdStore *self,
                            gulong    usec)
{
  g_return_if_fail (DRD_IS_STORE (self));
  __atomic_store_n (&self->writer_delay_usec, usec, __ATOMIC_SEQ_CST);
}

/* ------------------------------------------------------------------ */
/* Object                                                             */

static void
drd_store_finalize (GObject *object)
{
  DrdStore *self = DRD_STORE (object);

  if (self->writer_thread != NULL)
    {
      /* Queued operations run first: nothing submitted is dropped. */
      g_async_queue_push (self->queue, &quit_op);
      g_thread_join (self->writer_thread);
    }
  g_clear_pointer (&self->queue, g_async_queue_unref);
  g_clear_pointer (&self->writer, conn_free);
  g_clear_pointer (&self->watch, conn_free);
  if (self->idle_readers != NULL)
    {
      g_assert (self->idle_readers->len == self->n_readers);
      g_ptr_array_set_free_func (self->idle_readers, (GDestroyNotify) conn_free);
      g_clear_pointer (&self->idle_readers, g_ptr_array_unref);
    }
  if (self->changed_source != NULL)
    {
      g_source_destroy (self->changed_source);
      g_clear_pointer (&self->changed_source, g_source_unref);
    }
  g_clear_pointer (&self->main_context, g_main_context_unref);
  g_clear_pointer (&self->path, g_free);
  g_mutex_clear (&self->pool_mutex);
  g_cond_clear (&self->pool_cond);
  g_mutex_clear (&self->watch_mutex);
  g_mutex_clear (&self->changed_mutex);

  G_OBJECT_CLASS (drd_store_parent_class)->finalize (object);
}

static void
drd_store_class_init (DrdStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = drd_store_finalize;

  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
drd_store_init (DrdStore *self)
{
  g_mutex_init (&self->pool_mutex);
  g_cond_init (&self->pool_cond);
  g_mutex_init (&self->watch_mutex);
  g_mutex_init (&self->changed_mutex);
  self->idle_readers = g_ptr_array_new ();
  self->queue = g_async_queue_new ();
}

static gboolean
configure_writer (DrdConn     *conn,
                  GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  const char *sql = "PRAGMA journal_mode = WAL";
  gboolean ok = FALSE;

  if (sqlite3_prepare_v2 (conn->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      drd_store_set_sqlite_error (error, conn->db, sql);
      goto out;
    }
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      drd_store_set_sqlite_error (error, conn->db, sql);
      goto out;
    }
  if (g_ascii_strcasecmp ((const char *) sqlite3_column_text (stmt, 0), "wal") != 0)
    {
      g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_SQLITE,
                   "%s: database stays in journal mode %s", sql,
                   (const char *) sqlite3_column_text (stmt, 0));
      goto out;
    }
  /* 16 MiB of page cache: fewer mid-transaction spills for bulk work;
   * much larger measured slower for a 1,000,000-row event start.
   * Temporary files in memory: the statement journal of each answer of a
   * group commit never touches a file (serve's throughput). The window's
   * profile (apply_writer_profile) keeps them as files instead: held in
   * memory, the statement journal of an event start keeps a copy of every
   * index page it touches -- 90 MB of heap for a 118,000-customer event
   * on a 1,000,000-customer database -- and as a file it measured no
   * slower (sqlite3 CLI, same SQL: 1.37 s / 110 MB in memory, 1.38 s /
   * 21 MB as a file; the OS caches it). */
  ok = conn_exec (conn, "PRAGMA synchronous = FULL", error)
       && conn_exec (conn, WRITER_CACHE_SIZE, error)
       && conn_exec (conn, WRITER_TEMP_STORE, error)
       && conn_exec (conn, "PRAGMA foreign_keys = ON", error);
out:
  sqlite3_finalize (stmt);
  return ok;
}

DrdStore *
drd_store_open (const char  *path,
                GError     **error)
{
  g_autoptr(DrdStore) self = NULL;
  g_autofree char *dir = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("create directory %s: %s"), dir, g_strerror (saved_errno));
      return NULL;
    }

  self = g_object_new (DRD_TYPE_STORE, NULL);
  self->path = g_strdup (path);
  self->main_context = g_main_context_ref_thread_default ();

  self->writer = conn_open (path, FALSE, error);
  if (self->writer == NULL)
    return NULL;
  if (!configure_writer (self->writer, error))
    return NULL;
  if (!migrate (self->writer, path, error))
    return NULL;

  /* Linux thread names have at most 15 bytes; a longer one is dropped. */
  self->writer_thread = g_thread_try_new ("drd-writer", writer_thread_func, self, error);
  if (self->writer_thread == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

const char *
drd_store_get_path (DrdStore *self)
{
  g_return_val_if_fail (DRD_IS_STORE (self), NULL);
  return self->path;
}

gboolean
drd_store_create_at_version (const char  *path,
                             int          version,
                             GError     **error)
{
  DrdConn *conn;
  gboolean ok;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (version >= 1 && version <= DRD_STORE_SCHEMA_VERSION, FALSE);

  conn = conn_open (path, FALSE, error);
  if (conn == NULL)
    return FALSE;
  ok = configure_writer (conn, error) && migrate_to (conn, path, version, error);
  conn_free (conn);
  return ok;
}
