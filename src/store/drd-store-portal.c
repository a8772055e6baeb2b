/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include <inttypes.h>
#include "store/drd-store-portal.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <glib/gi18n-lib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/drd-store-private.h"

#define SECRET_ID_KEY "portal.secret_id"
#define RECENT_SECONDS (7 * 86400)
#define MAX_VIEW_EVENTS 20

/* ------------------------------------------------------------------ */
/* Token crypto                                                       */

gboolean
drd_link_token_is_well_formed (const char *token)
{
  if (token == NULL)
    return FALSE;
  for (int i = 0; i < DRD_LINK_TOKEN_LEN; i++)
    {
      char c = token[i];

      if (!(g_ascii_isalnum (c) || c == '-' || c == '_'))
        return FALSE;   /* also stops at a NUL: too short */
    }
  return token[DRD_LINK_TOKEN_LEN] == '\0';
}

char *
drd_link_token_derive (GBytes *secret,
                       gint64  customer_id,
                       gint64  generation)
{
  g_autoptr(GHmac) hmac = NULL;
  g_autofree char *message = NULL;
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  gsize key_len;
  const guint8 *key = g_bytes_get_data (secret, &key_len);
  char *b64;

  message = g_strdup_printf ("drdesk-link-v1:%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT,
                             customer_id, generation);
  hmac = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
  g_hmac_update (hmac, (const guchar *) message, strlen (message));
  g_hmac_get_digest (hmac, digest, &digest_len);

  /* base64url without padding: 32 bytes → 43 characters. */
  b64 = g_base64_encode (digest, digest_len);
  for (char *p = b64; *p != '\0'; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
      else if (*p == '=')
        {
          *p = '\0';
          break;
        }
    }
  return b64;
}

char *
drd_link_token_hash (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

gboolean
drd_link_hash_equal (const char *a,
                     const char *b)
{
  gsize la, lb;
  guint8 diff = 0;

  if (a == NULL || b == NULL)
    return FALSE;
  la = strlen (a);
  lb = strlen (b);
  if (la != lb)
    return FALSE;
  for (gsize i = 0; i < la; i++)
    diff |= (guint8) (a[i] ^ b[i]);
  return diff == 0;
}

char *
drd_link_secret_path (DrdStore *store)
{
  return g_strconcat (drd_store_get_path (store), ".secret", NULL);
}

static GBytes *
read_secret (int          fd,
             const char  *path,
             GError     **error)
{
  struct stat st;
  guint8 buf[DRD_LINK_SECRET_LEN + 1];
  gssize n;

  if (fstat (fd, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot read the link secret %s: %s"), path, g_strerror (saved));
      return NULL;
    }
  if ((st.st_mode & 077) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   _("The link secret %s is readable by other users; run chmod 600 on it "
                     "(and rotate the links if it may have leaked)"), path);
      return NULL;
    }
  n = read (fd, buf, sizeof buf);
  if (n != DRD_LINK_SECRET_LEN)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The link secret %s is damaged (it must hold exactly %d bytes)"),
                   path, DRD_LINK_SECRET_LEN);
      return NULL;
    }
  return g_bytes_new (buf, DRD_LINK_SECRET_LEN);
}

GBytes *
drd_link_secret_load_or_create (const char  *path,
                                GError     **error)
{
  g_autofree char *tmp = NULL;
  guint8 secret[DRD_LINK_SECRET_LEN];
  GBytes *bytes;
  int fd;

  fd = g_open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd >= 0)
    {
      bytes = read_secret (fd, path, error);
      close (fd);
      return bytes;
    }
  if (errno != ENOENT)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot open the link secret %s: %s"), path, g_strerror (saved));
      return NULL;
    }

  if (getrandom (secret, sizeof secret, 0) != (ssize_t) sizeof secret)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Cannot get random bytes for the link secret: %s"), g_strerror (errno));
      return NULL;
    }

  /* Written completely under a temporary name, then link()ed into place:
   * link() fails if another process created the file first, and then we
   * use that one, so every process ends up with the same secret. */
  tmp = g_strconcat (path, ".XXXXXX", NULL);
  fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot create the link secret %s: %s"), path, g_strerror (saved));
      return NULL;
    }
  if (write (fd, secret, sizeof secret) != (ssize_t) sizeof secret || fsync (fd) != 0)
    {
      int saved = errno;
      close (fd);
      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot write the link secret %s: %s"), path, g_strerror (saved));
      return NULL;
    }
  close (fd);
  if (link (tmp, path) != 0)
    {
      int saved = errno;

      g_unlink (tmp);
      if (saved == EEXIST)
        return drd_link_secret_load_or_create (path, error);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot create the link secret %s: %s"), path, g_strerror (saved));
      return NULL;
    }
  g_unlink (tmp);
  {
    g_autofree char *dir = g_path_get_dirname (path);
    int dfd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

    if (dfd >= 0)
      {
        fsync (dfd);
        close (dfd);
      }
  }
  return g_bytes_new (secret, sizeof secret);
}

static char *
secret_id (GBytes *secret)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len;
  const guint8 *data = g_bytes_get_data (secret, &len);

  g_checksum_update (sum, (const guchar *) "drdesk-secret-id:", strlen ("drdesk-secret-id:"));
  g_checksum_update (sum, data, len);
  return g_strndup (g_checksum_get_string (sum), 16);
}

static gboolean fill_tokens (DrdStore *store, GBytes *secret, gboolean rotate_all,
                             const char *actor, guint *out_n_updated, GError **error);

/* Links were issued: some customer has a token hash. */
static gboolean
links_issued (sqlite3   *db,
              gboolean  *out_issued,
              GError   **error)
{
  sqlite3_stmt *stmt = drd_store_prepare (db, "SELECT EXISTS (SELECT 1 FROM customers "
                                              "WHERE token_hash IS NOT NULL)", error);

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "look for issued links");
  *out_issued = sqlite3_column_int (stmt, 0) != 0;
  return TRUE;
}

typedef struct {
  char     *secret_id;   /* out: NULL when none was recorded */
  gboolean  issued;      /* out */
} IssuedOp;

static gboolean
issued_run (sqlite3  *db,
            gpointer  data,
            GError  **error)
{
  IssuedOp *op = data;
  sqlite3_stmt *stmt = drd_store_prepare (db, "SELECT value FROM settings WHERE key = ?1", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, SECRET_ID_KEY, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    op->secret_id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  else if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "read portal.secret_id");
  return links_issued (db, &op->issued, error);
}

GBytes *
drd_store_portal_open_secret (DrdStore  *store,
                              GError   **error)
{
  g_autofree char *path = NULL;
  g_autofree char *display = NULL;
  g_autofree char *id = NULL;
  g_autoptr(GBytes) secret = NULL;
  IssuedOp op = { NULL, FALSE };
  int fd;

  g_return_val_if_fail (DRD_IS_STORE (store), NULL);

  path = drd_link_secret_path (store);
  if (!drd_store_read (store, issued_run, &op, error))
    return NULL;
  if (op.secret_id == NULL || !op.issued)
    return drd_link_secret_load_or_create (path, error);   /* nothing to lose yet */

  display = g_filename_display_name (path);
  fd = g_open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd < 0 && errno == ENOENT)
    {
      g_free (op.secret_id);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("The link secret %s is missing, but the customers' answer links were made "
                     "with it: restore it from a backup to keep those links working, or run "
                     "'drdeskctl links --rotate-all' to give every customer a new link "
                     "(the old links stop working)"), display);
      return NULL;
    }
  if (fd < 0)
    {
      int saved = errno;

      g_free (op.secret_id);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot open the link secret %s: %s"), display, g_strerror (saved));
      return NULL;
    }
  secret = read_secret (fd, path, error);
  close (fd);
  if (secret == NULL)
    {
      g_free (op.secret_id);
      return NULL;
    }
  id = secret_id (secret);
  if (!g_str_equal (id, op.secret_id))
    {
      g_free (op.secret_id);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The link secret %s is not the one the customers' answer links were made "
                     "with (was it replaced?): put the original back to keep those links "
                     "working, or run 'drdeskctl links --rotate-all' to give every customer a "
                     "new link (the old links stop working)"), display);
      return NULL;
    }
  g_free (op.secret_id);
  return g_steal_pointer (&secret);
}

GBytes *
drd_store_portal_rotate_all (DrdStore    *store,
                             const char  *actor,
                             guint       *out_n_customers,
                             GError     **error)
{
  g_autofree char *path = NULL;
  g_autofree char *tmp = NULL;
  guint8 bytes[DRD_LINK_SECRET_LEN];
  g_autoptr(GBytes) secret = NULL;
  int fd;

  g_return_val_if_fail (DRD_IS_STORE (store), NULL);

  path = drd_link_secret_path (store);
  if (getrandom (bytes, sizeof bytes, 0) != (ssize_t) sizeof bytes)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Cannot get random bytes for the link secret: %s"), g_strerror (errno));
      return NULL;
    }
  secret = g_bytes_new (bytes, sizeof bytes);
  explicit_bzero (bytes, sizeof bytes);

  /* The new secret on disk first (not yet in place), then every hash and
   * the secret's id in one transaction, then the rename. Interrupted
   * anywhere, the next start says the secret does not match and running
   * --rotate-all again finishes the job. */
  tmp = g_strconcat (path, ".XXXXXX", NULL);
  fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot create the link secret %s: %s"), path, g_strerror (saved));
      return NULL;
    }
  if (write (fd, g_bytes_get_data (secret, NULL), DRD_LINK_SECRET_LEN) != DRD_LINK_SECRET_LEN
      || fsync (fd) != 0)
    {
      int saved = errno;

      close (fd);
      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot write the link secret %s: %s"), path, g_strerror (saved));
      return NULL;
    }
  close (fd);
  if (!fill_tokens (store, secret, TRUE, actor, out_n_customers, error))
    {
      g_unlink (tmp);
      return NULL;
    }
  if (g_rename (tmp, path) != 0)
    {
      int saved = errno;

      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot put the new link secret in place at %s: %s; run "
                     "'drdeskctl links --rotate-all' again"), path, g_strerror (saved));
      return NULL;
    }
  {
    g_autofree char *dir = g_path_get_dirname (path);
    int dfd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

    if (dfd >= 0)
      {
        fsync (dfd);
        close (dfd);
      }
  }
  return g_steal_pointer (&secret);
}

/* ------------------------------------------------------------------ */
/* Token epoch                                                        */

#define TOKEN_EPOCH_KEY "portal.token_epoch"

static gboolean
bump_token_epoch (sqlite3  *db,
                  GError  **error)
{
  sqlite3_stmt *stmt = drd_store_prepare (db,
    "INSERT INTO settings (key, value) VALUES (?1, '1') "
    "ON CONFLICT (key) DO UPDATE SET value = CAST (CAST (value AS INTEGER) + 1 AS TEXT)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, TOKEN_EPOCH_KEY, -1, SQLITE_STATIC);
  return drd_store_step_done (db, stmt, "bump portal.token_epoch", error);
}

static gboolean
read_token_epoch (sqlite3  *db,
                  guint64  *out,
                  GError  **error)
{
  sqlite3_stmt *stmt = drd_store_prepare (db, "SELECT CAST (value AS INTEGER) FROM settings "
                                              "WHERE key = ?1", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, TOKEN_EPOCH_KEY, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *out = (guint64) sqlite3_column_int64 (stmt, 0);
  else if (rc == SQLITE_DONE)
    *out = 0;
  else
    return drd_store_set_sqlite_error (error, db, "read portal.token_epoch");
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Filling token hashes                                               */

typedef struct {
  char    *secret_id;
  gboolean rotate_all;   /* in: a deliberate new secret (links --rotate-all) */
  const char *actor;     /* in, with rotate_all: for the audit row */
  gboolean all;          /* out of the check: the secret changed */
  GArray  *ids;          /* gint64 customer ids needing a hash */
  GArray  *generations;  /* gint64, parallel */
  GPtrArray *hashes;     /* char*, parallel (computed outside the store) */
  guint    n_updated;
} FillOp;

static void
fill_op_free (gpointer data)
{
  FillOp *op = data;

  g_free (op->secret_id);
  g_clear_pointer (&op->ids, g_array_unref);
  g_clear_pointer (&op->generations, g_array_unref);
  g_clear_pointer (&op->hashes, g_ptr_array_unref);
  g_free (op);
}

static gboolean
fill_check_run (sqlite3  *db,
                gpointer  data,
                GError  **error)
{
  FillOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db, "SELECT value FROM settings WHERE key = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, SECRET_ID_KEY, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    op->all = g_strcmp0 ((const char *) sqlite3_column_text (stmt, 0), op->secret_id) != 0;
  else if (rc == SQLITE_DONE)
    op->all = TRUE;
  else
    return drd_store_set_sqlite_error (error, db, "read portal.secret_id");
  if (rc == SQLITE_ROW && op->all && !op->rotate_all)
    {
      gboolean issued = FALSE;

      /* Links were made with another secret (e.g. a process that still
       * holds the old one after `links --rotate-all`): never switch every
       * customer's link behind the operator's back. */
      if (!links_issued (db, &issued, error))
        return FALSE;
      if (issued)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("The link secret in use is not the one the answer links were made "
                         "with (they were rotated with 'drdeskctl links --rotate-all' since "
                         "this process started?); restart it"));
          return FALSE;
        }
    }

  stmt = drd_store_prepare (db, op->all
                            ? "SELECT id, token_generation FROM customers"
                            : "SELECT id, token_generation FROM customers WHERE token_hash IS NULL",
                            error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      gint64 gen = sqlite3_column_int64 (stmt, 1);

      g_array_append_val (op->ids, id);
      g_array_append_val (op->generations, gen);
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "select customers without link hash");
  return TRUE;
}

static gboolean
fill_write_run (sqlite3  *db,
                gpointer  data,
                GError  **error)
{
  FillOp *op = data;
  sqlite3_stmt *stmt;

  if (op->all)
    {
      /* New secret: clear every hash first so that the UNIQUE index never
       * sees an old and a new value collide mid-way. */
      stmt = drd_store_prepare (db, "UPDATE customers SET token_hash = NULL "
                                    "WHERE token_hash IS NOT NULL", error);
      if (stmt == NULL || !drd_store_step_done (db, stmt, "clear link hashes", error))
        return FALSE;
    }

  /* The generation guards against a rotation that happened in between. */
  stmt = drd_store_prepare (db, "UPDATE customers SET token_hash = ?3 "
                                "WHERE id = ?1 AND token_generation = ?2 AND token_hash IS NULL",
                            error);
  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < op->ids->len; i++)
    {
      sqlite3_reset (stmt);
      sqlite3_bind_int64 (stmt, 1, g_array_index (op->ids, gint64, i));
      sqlite3_bind_int64 (stmt, 2, g_array_index (op->generations, gint64, i));
      sqlite3_bind_text (stmt, 3, op->hashes->pdata[i], -1, SQLITE_STATIC);
      if (!drd_store_step_done (db, stmt, "store link hash", error))
        return FALSE;
      op->n_updated += sqlite3_changes (db);
    }

  if ((op->n_updated > 0 || op->all) && !bump_token_epoch (db, error))
    return FALSE;
  if (op->rotate_all)
    {
      g_autofree char *detail = g_strdup_printf ("{\"customers\":%u}", op->n_updated);

      stmt = drd_store_prepare (db, "INSERT INTO audit_log (at, actor, action, detail) "
                                    "VALUES (?1, ?2, 'token.rotate_all', ?3)", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, drd_store_now ());
      sqlite3_bind_text (stmt, 2, op->actor != NULL ? op->actor : "system", -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, detail, -1, SQLITE_STATIC);
      if (!drd_store_step_done (db, stmt, "audit token.rotate_all", error))
        return FALSE;
    }

  stmt = drd_store_prepare (db, "INSERT INTO settings (key, value) VALUES (?1, ?2) "
                                "ON CONFLICT (key) DO UPDATE SET value = excluded.value", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, SECRET_ID_KEY, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, op->secret_id, -1, SQLITE_STATIC);
  return drd_store_step_done (db, stmt, "store portal.secret_id", error);
}

static gboolean
fill_tokens (DrdStore   *store,
             GBytes     *secret,
             gboolean    rotate_all,
             const char *actor,
             guint      *out_n_updated,
             GError    **error)
{
  FillOp *op;
  gboolean ok = TRUE;

  op = g_new0 (FillOp, 1);
  op->rotate_all = rotate_all;
  op->actor = actor;
  op->secret_id = secret_id (secret);
  op->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  op->generations = g_array_new (FALSE, FALSE, sizeof (gint64));
  op->hashes = g_ptr_array_new_with_free_func (g_free);

  /* Check on a reader (cheap: the UNIQUE index finds NULL hashes), hash
   * outside the store, and only then take the writer — briefly. */
  if (!drd_store_read (store, fill_check_run, op, error))
    ok = FALSE;
  else if (op->ids->len > 0 || op->all)
    {
      for (guint i = 0; i < op->ids->len; i++)
        {
          g_autofree char *token = drd_link_token_derive (secret,
                                                          g_array_index (op->ids, gint64, i),
                                                          g_array_index (op->generations, gint64, i));
          g_ptr_array_add (op->hashes, drd_link_token_hash (token));
        }
      ok = drd_store_write_full (store, DRD_STORE_WRITE_ALONE, fill_write_run, op, error);
    }
  if (ok && out_n_updated != NULL)
    *out_n_updated = op->n_updated;
  fill_op_free (op);
  return ok;
}

gboolean
drd_store_portal_ensure_tokens (DrdStore *store,
                                GBytes   *secret,
                                guint    *out_n_updated,
                                GError  **error)
{
  g_return_val_if_fail (DRD_IS_STORE (store), FALSE);
  g_return_val_if_fail (secret != NULL, FALSE);
  return fill_tokens (store, secret, FALSE, NULL, out_n_updated, error);
}

static void
ensure_tokens_thread (GTask        *task,
                      gpointer      source,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  GError *error = NULL;
  guint n = 0;

  if (drd_store_portal_ensure_tokens (source, task_data, &n, &error))
    g_task_return_int (task, n);
  else
    g_task_return_error (task, error);
}

void
drd_store_portal_ensure_tokens_async (DrdStore            *store,
                                      GBytes              *secret,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (store, cancellable, callback, user_data);

  g_task_set_source_tag (task, drd_store_portal_ensure_tokens_async);
  g_task_set_task_data (task, g_bytes_ref (secret), (GDestroyNotify) g_bytes_unref);
  g_task_run_in_thread (task, ensure_tokens_thread);
}

gboolean
drd_store_portal_ensure_tokens_finish (DrdStore      *store,
                                       GAsyncResult  *result,
                                       guint         *out_n_updated,
                                       GError       **error)
{
  gssize n = g_task_propagate_int (G_TASK (result), error);

  if (n < 0)
    return FALSE;
  if (out_n_updated != NULL)
    *out_n_updated = (guint) n;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Rotation                                                           */

typedef struct {
  GBytes     *secret;
  gint64      customer_id;
  const char *actor;
  gint64      now;
  char       *token;
} RotateOp;

static gboolean
rotate_run (sqlite3  *db,
            gpointer  data,
            GError  **error)
{
  RotateOp *op = data;
  sqlite3_stmt *stmt;
  g_autofree char *hash = NULL;
  g_autofree char *detail = NULL;
  gint64 generation;
  int rc;

  stmt = drd_store_prepare (db, "SELECT token_generation FROM customers WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->customer_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return drd_store_set_not_found (error, _("There is no customer %" PRId64),
                                    op->customer_id);
  if (rc != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "read token_generation");
  generation = sqlite3_column_int64 (stmt, 0) + 1;

  op->token = drd_link_token_derive (op->secret, op->customer_id, generation);
  hash = drd_link_token_hash (op->token);
  stmt = drd_store_prepare (db, "UPDATE customers SET token_generation = ?2, token_hash = ?3, "
                                "updated_at = ?4 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->customer_id);
  sqlite3_bind_int64 (stmt, 2, generation);
  sqlite3_bind_text (stmt, 3, hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, op->now);
  if (!drd_store_step_done (db, stmt, "rotate link token", error) ||
      !bump_token_epoch (db, error))
    return FALSE;

  detail = g_strdup_printf ("{\"generation\":%" G_GINT64_FORMAT "}", generation);
  stmt = drd_store_prepare (db, "INSERT INTO audit_log (at, actor, action, customer_id, detail) "
                                "VALUES (?1, ?2, 'token.rotate', ?3, ?4)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->now);
  sqlite3_bind_text (stmt, 2, op->actor, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, op->customer_id);
  sqlite3_bind_text (stmt, 4, detail, -1, SQLITE_STATIC);
  return drd_store_step_done (db, stmt, "audit token.rotate", error);
}

char *
drd_store_portal_rotate_token (DrdStore   *store,
                               GBytes     *secret,
                               gint64      customer_id,
                               const char *actor,
                               GError    **error)
{
  RotateOp op = { secret, customer_id, actor ? actor : "system", drd_store_now (), NULL };

  g_return_val_if_fail (DRD_IS_STORE (store), NULL);

  if (!drd_store_write (store, rotate_run, &op, error))
    {
      g_free (op.token);
      return NULL;
    }
  return op.token;
}

/* ------------------------------------------------------------------ */
/* Token index                                                        */

typedef struct {
  guint64 key;          /* first 8 bytes of SHA-256 (token); 0 = empty slot */
  gint64  customer_id;
  gint64  generation;
} IndexSlot;

struct _DrdTokenIndex {
  IndexSlot *slots;
  gsize      mask;      /* n_slots - 1, a power of two minus one */
  guint      size;
};

static guint64
key_from_hex (const char *hex)
{
  guint64 k = 0;

  for (int i = 0; i < 16; i++)
    {
      int v = g_ascii_xdigit_value (hex[i]);

      if (v < 0)
        return 0;
      k = (k << 4) | (guint64) v;
    }
  return k ? k : 1;
}

static void
index_insert (DrdTokenIndex *index,
              guint64        key,
              gint64         customer_id,
              gint64         generation)
{
  gsize i = (gsize) (key * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15) >> 17) & index->mask;

  while (index->slots[i].key != 0)
    i = (i + 1) & index->mask;
  index->slots[i].key = key;
  index->slots[i].customer_id = customer_id;
  index->slots[i].generation = generation;
  index->size++;
}

typedef struct {
  DrdTokenIndex *index;
  guint64        epoch;
} IndexOp;

static gboolean
index_run (sqlite3  *db,
           gpointer  data,
           GError  **error)
{
  IndexOp *op = data;
  sqlite3_stmt *stmt;
  gint64 n = 0;
  gsize n_slots = 1024;
  int rc;

  if (!read_token_epoch (db, &op->epoch, error))
    return FALSE;
  stmt = drd_store_prepare (db, "SELECT count(*) FROM customers WHERE token_hash IS NOT NULL",
                            error);
  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "count link hashes");
  n = sqlite3_column_int64 (stmt, 0);
  while (n_slots < (gsize) n * 2)
    n_slots *= 2;

  op->index = g_new0 (DrdTokenIndex, 1);
  op->index->slots = g_new0 (IndexSlot, n_slots);
  op->index->mask = n_slots - 1;

  stmt = drd_store_prepare (db, "SELECT id, token_generation, token_hash FROM customers "
                                "WHERE token_hash IS NOT NULL", error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *hex = (const char *) sqlite3_column_text (stmt, 2);

      if (op->index->size * 2 >= n_slots || hex == NULL || strlen (hex) < 16)
        continue;   /* grew meanwhile, or not a hash: left to the database path */
      index_insert (op->index, key_from_hex (hex), sqlite3_column_int64 (stmt, 0),
                    sqlite3_column_int64 (stmt, 1));
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "load link hashes");
  return TRUE;
}

DrdTokenIndex *
drd_store_portal_load_token_index (DrdStore *store,
                                   guint64  *out_epoch,
                                   GError  **error)
{
  IndexOp op = { NULL, 0 };

  if (!drd_store_read (store, index_run, &op, error))
    {
      drd_token_index_free (op.index);
      return NULL;
    }
  if (out_epoch != NULL)
    *out_epoch = op.epoch;
  return op.index;
}

static gboolean
epoch_run (sqlite3  *db,
           gpointer  data,
           GError  **error)
{
  return read_token_epoch (db, data, error);
}

gboolean
drd_store_portal_get_token_epoch (DrdStore *store,
                                  guint64  *out_epoch,
                                  GError  **error)
{
  return drd_store_read (store, epoch_run, out_epoch, error);
}

gboolean
drd_token_index_lookup (DrdTokenIndex *index,
                        GBytes        *secret,
                        const char    *token,
                        gint64        *out_customer_id)
{
  guint8 digest[32];
  gsize len = sizeof digest;
  g_autoptr(GChecksum) sum = NULL;
  guint64 key = 0;
  gsize i;

  if (index == NULL || !drd_link_token_is_well_formed (token))
    return FALSE;
  sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, (const guchar *) token, DRD_LINK_TOKEN_LEN);
  g_checksum_get_digest (sum, digest, &len);
  for (int b = 0; b < 8; b++)
    key = (key << 8) | digest[b];
  if (key == 0)
    key = 1;

  for (i = (gsize) (key * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15) >> 17) & index->mask;
       index->slots[i].key != 0;
       i = (i + 1) & index->mask)
    {
      g_autofree char *expected = NULL;

      if (index->slots[i].key != key)
        continue;
      /* Only a token the secret really issued for this customer and
       * generation counts. */
      expected = drd_link_token_derive (secret, index->slots[i].customer_id,
                                        index->slots[i].generation);
      if (drd_link_hash_equal (expected, token))
        {
          *out_customer_id = index->slots[i].customer_id;
          return TRUE;
        }
    }
  return FALSE;
}

guint
drd_token_index_get_size (DrdTokenIndex *index)
{
  return index ? index->size : 0;
}

void
drd_token_index_free (DrdTokenIndex *index)
{
  if (index == NULL)
    return;
  g_free (index->slots);
  g_free (index);
}

/* ------------------------------------------------------------------ */
/* Views                                                              */

void
drd_portal_event_free (DrdPortalEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->name);
  g_free (event);
}

void
drd_portal_view_free (DrdPortalView *view)
{
  if (view == NULL)
    return;
  g_free (view->name);
  g_clear_pointer (&view->events, g_ptr_array_unref);
  g_free (view);
}

gboolean
drd_portal_event_is_open (const DrdPortalEvent *event,
                          gint64                now)
{
  return (event->status == DRD_EVENT_SCHEDULED || event->status == DRD_EVENT_ACTIVE) &&
         now < event->answer_deadline && now < event->end_at;
}

/* Finds the customer of @token: 0 when none. */
static gboolean
lookup_customer (sqlite3     *db,
                 const char  *token,
                 gint64      *out_id,
                 char       **out_name,
                 GError     **error)
{
  g_autofree char *hash = drd_link_token_hash (token);
  sqlite3_stmt *stmt;
  int rc;

  *out_id = 0;
  stmt = drd_store_prepare (db, "SELECT id, name, token_hash FROM customers WHERE token_hash = ?1",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "look up link token");
  /* The index did the search; the final word is a constant-time compare. */
  if (drd_link_hash_equal ((const char *) sqlite3_column_text (stmt, 2), hash))
    {
      *out_id = sqlite3_column_int64 (stmt, 0);
      if (out_name != NULL)
        *out_name = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  return TRUE;
}

typedef struct {
  char          *token;
  gint64         now;
  DrdPortalView *view;
} ViewOp;

static void
view_op_free (gpointer data)
{
  ViewOp *op = data;

  g_free (op->token);
  drd_portal_view_free (op->view);
  g_free (op);
}

static int
compare_events (gconstpointer a,
                gconstpointer b,
                gpointer      user_data)
{
  const DrdPortalEvent *x = *(DrdPortalEvent * const *) a;
  const DrdPortalEvent *y = *(DrdPortalEvent * const *) b;
  gint64 now = *(gint64 *) user_data;
  gboolean ox = drd_portal_event_is_open (x, now), oy = drd_portal_event_is_open (y, now);

  /* Open events first, soonest first; then the closed ones, newest first. */
  if (ox != oy)
    return ox ? -1 : 1;
  if (x->start_at != y->start_at)
    return ox ? (x->start_at < y->start_at ? -1 : 1) : (x->start_at > y->start_at ? -1 : 1);
  return x->event_id < y->event_id ? -1 : (x->event_id > y->event_id ? 1 : 0);
}

static gboolean
view_run (sqlite3  *db,
          gpointer  data,
          GError  **error)
{
  ViewOp *op = data;
  g_autoptr(DrdPortalView) view = g_new0 (DrdPortalView, 1);
  sqlite3_stmt *stmt;
  int rc;

  if (!lookup_customer (db, op->token, &view->customer_id, &view->name, error))
    return FALSE;
  if (view->customer_id == 0)
    return drd_store_set_not_found (error, "Unknown link");

  view->events = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_portal_event_free);
  stmt = drd_store_prepare (db,
    "SELECT e.id, e.name, e.kind, e.start_at, e.end_at, e.answer_deadline, e.status, "
    "       r.answer, r.answered_at, r.channel "
    "FROM responses r JOIN events e ON e.id = r.event_id "
    "WHERE r.customer_id = ?1 "
    "  AND (e.status IN (0, 1) OR e.end_at > ?2 OR coalesce(e.ended_at, 0) > ?2) "
    "ORDER BY e.start_at DESC, e.id DESC LIMIT ?3", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, view->customer_id);
  sqlite3_bind_int64 (stmt, 2, op->now - RECENT_SECONDS);
  sqlite3_bind_int (stmt, 3, MAX_VIEW_EVENTS);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DrdPortalEvent *e = g_new0 (DrdPortalEvent, 1);

      e->event_id = sqlite3_column_int64 (stmt, 0);
      e->name = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      e->kind = sqlite3_column_int (stmt, 2);
      e->start_at = sqlite3_column_int64 (stmt, 3);
      e->end_at = sqlite3_column_int64 (stmt, 4);
      e->answer_deadline = sqlite3_column_int64 (stmt, 5);
      if (e->answer_deadline == 0)
        e->answer_deadline = e->end_at;
      e->status = drd_store_effective_status (sqlite3_column_int (stmt, 6), e->start_at, op->now);
      e->answer = sqlite3_column_int (stmt, 7);
      e->answered_at = sqlite3_column_int64 (stmt, 8);
      e->channel = sqlite3_column_int (stmt, 9);
      g_ptr_array_add (view->events, e);
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "list the customer's events");
  g_ptr_array_sort_with_data (view->events, compare_events, &op->now);

  op->view = g_steal_pointer (&view);
  return TRUE;
}

void
drd_store_portal_view_async (DrdStore            *store,
                             const char          *token,
                             gint64               now,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task = g_task_new (store, cancellable, callback, user_data);
  ViewOp *op = g_new0 (ViewOp, 1);

  op->token = g_strdup (token);
  op->now = now;
  g_task_set_source_tag (task, drd_store_portal_view_async);
  g_task_set_task_data (task, op, view_op_free);
  if (!drd_link_token_is_well_formed (token))
    {
      g_task_return_new_error (task, DRD_STORE_ERROR, DRD_STORE_ERROR_NOT_FOUND, "Unknown link");
      g_object_unref (task);
      return;
    }
  drd_store_read_in_task (store, task, view_run);
}

DrdPortalView *
drd_store_portal_view_finish (DrdStore      *store,
                              GAsyncResult  *result,
                              GError       **error)
{
  ViewOp *op;

  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  op = g_task_get_task_data (G_TASK (result));
  return g_steal_pointer (&op->view);
}

DrdPortalView *
drd_store_portal_view (DrdStore   *store,
                       const char *token,
                       gint64      now,
                       GError    **error)
{
  ViewOp op = { (char *) token, now, NULL };

  if (!drd_link_token_is_well_formed (token))
    {
      g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_NOT_FOUND, "Unknown link");
      return NULL;
    }
  if (!drd_store_read (store, view_run, &op, error))
    return NULL;
  return op.view;
}

/* ------------------------------------------------------------------ */
/* Answers                                                            */

typedef struct {
  char        *token;
  gint64       event_id;
  DrdAnswer    answer;
  DrdChannel   channel;
  gint64       now;
  gint64       customer_id;
  GCancellable *cancellable;
} AnswerOp;

static void
answer_op_free (gpointer data)
{
  AnswerOp *op = data;

  g_free (op->token);
  g_clear_object (&op->cancellable);
  g_free (op);
}

static gboolean
answer_lookup_run (sqlite3  *db,
                   gpointer  data,
                   GError  **error)
{
  AnswerOp *op = data;

  if (!lookup_customer (db, op->token, &op->customer_id, NULL, error))
    return FALSE;
  if (op->customer_id == 0)
    return drd_store_set_not_found (error, "Unknown link");
  return TRUE;
}

static void
answer_recorded_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  AnswerOp *op = g_task_get_task_data (task);
  GError *error = NULL;
  DrdResponse response = { 0 };
  DrdPortalEvent *event;

  if (!drd_store_record_answer_finish (DRD_STORE (source), result, &response, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  event = g_new0 (DrdPortalEvent, 1);
  event->event_id = response.event_id ? response.event_id : op->event_id;
  event->answer = response.answer;
  event->answered_at = response.answered_at;
  event->channel = response.channel;
  g_task_return_pointer (task, event, (GDestroyNotify) drd_portal_event_free);
}

static void
answer_looked_up_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  AnswerOp *op = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  drd_store_record_answer_async (DRD_STORE (source), op->event_id, op->customer_id, op->answer,
                                 op->channel, op->channel == DRD_CHANNEL_API ? "api" : "portal",
                                 op->now, op->cancellable, answer_recorded_cb,
                                 g_steal_pointer (&task));
}

void
drd_store_portal_answer_async (DrdStore            *store,
                               const char          *token,
                               gint64               event_id,
                               DrdAnswer            answer,
                               DrdChannel           channel,
                               gint64               now,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task = g_task_new (store, cancellable, callback, user_data);
  GTask *lookup;
  AnswerOp *op = g_new0 (AnswerOp, 1);

  op->token = g_strdup (token);
  op->event_id = event_id;
  op->answer = answer;
  op->channel = channel;
  op->now = now;
  op->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  g_task_set_source_tag (task, drd_store_portal_answer_async);
  g_task_set_task_data (task, op, answer_op_free);

  if (!drd_link_token_is_well_formed (token))
    {
      g_task_return_new_error (task, DRD_STORE_ERROR, DRD_STORE_ERROR_NOT_FOUND, "Unknown link");
      g_object_unref (task);
      return;
    }
  /* Step 1 on a reader (token → customer), step 2 the group-committed
   * answer on the writer. The lookup task shares the op. */
  lookup = g_task_new (store, cancellable, answer_looked_up_cb, task);
  g_task_set_task_data (lookup, op, NULL);
  drd_store_read_in_task (store, lookup, answer_lookup_run);
}

void
drd_store_portal_answer_customer_async (DrdStore            *store,
                                        gint64               customer_id,
                                        gint64               event_id,
                                        DrdAnswer            answer,
                                        DrdChannel           channel,
                                        gint64               now,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  GTask *task = g_task_new (store, cancellable, callback, user_data);
  AnswerOp *op = g_new0 (AnswerOp, 1);

  op->event_id = event_id;
  op->customer_id = customer_id;
  op->answer = answer;
  op->channel = channel;
  op->now = now;
  op->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  g_task_set_source_tag (task, drd_store_portal_answer_async);
  g_task_set_task_data (task, op, answer_op_free);
  drd_store_record_answer_async (store, event_id, customer_id, answer, channel,
                                 channel == DRD_CHANNEL_API ? "api" : "portal", now, cancellable,
                                 answer_recorded_cb, task);
}

DrdPortalEvent *
drd_store_portal_answer_finish (DrdStore      *store,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------ */
/* Events fingerprint                                                 */

typedef struct {
  gint64   now;
  GString *out;
} FingerprintOp;

static gboolean
fingerprint_run (sqlite3  *db,
                 gpointer  data,
                 GError  **error)
{
  FingerprintOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db,
    "SELECT id, status, start_at, end_at, answer_deadline, name FROM events "
    "WHERE status IN (0, 1) OR end_at > ?1 OR coalesce(ended_at, 0) > ?1 ORDER BY id", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->now - RECENT_SECONDS);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DrdPortalEvent e = { 0 };

      e.event_id = sqlite3_column_int64 (stmt, 0);
      e.start_at = sqlite3_column_int64 (stmt, 2);
      e.end_at = sqlite3_column_int64 (stmt, 3);
      e.answer_deadline = sqlite3_column_int64 (stmt, 4);
      if (e.answer_deadline == 0)
        e.answer_deadline = e.end_at;
      e.status = drd_store_effective_status (sqlite3_column_int (stmt, 1), e.start_at, op->now);
      g_string_append_printf (op->out, "%" G_GINT64_FORMAT ":%d:%d:%" G_GINT64_FORMAT ":%"
                              G_GINT64_FORMAT ":%" G_GINT64_FORMAT ":%u;",
                              e.event_id, e.status, drd_portal_event_is_open (&e, op->now),
                              e.start_at, e.end_at, e.answer_deadline,
                              g_str_hash (sqlite3_column_text (stmt, 5)));
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "events fingerprint");
  return TRUE;
}

char *
drd_store_portal_events_fingerprint (DrdStore *store,
                                     gint64    now,
                                     GError  **error)
{
  FingerprintOp op = { now, g_string_new ("") };

  if (!drd_store_read (store, fingerprint_run, &op, error))
    {
      g_string_free (op.out, TRUE);
      return NULL;
    }
  return g_string_free (op.out, FALSE);
}

/* ------------------------------------------------------------------ */
/* Links                                                              */

void
drd_link_row_free (DrdLinkRow *row)
{
  if (row == NULL)
    return;
  g_free (row->name);
  g_free (row->phone);
  g_free (row->email);
  g_free (row->webhook_url);
  g_free (row);
}

typedef struct {
  gint64     event_id;
  GPtrArray *rows;
} LinksOp;

static char *
column_text_or_null (sqlite3_stmt *stmt,
                     int           col)
{
  const char *s = (const char *) sqlite3_column_text (stmt, col);

  return s ? g_strdup (s) : NULL;
}

static gboolean
links_run (sqlite3  *db,
           gpointer  data,
           GError  **error)
{
  LinksOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db, "SELECT 1 FROM events WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return drd_store_set_not_found (error, _("There is no event %" PRId64), op->event_id);
  if (rc != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "look up event");

  stmt = drd_store_prepare (db,
    "SELECT c.id, c.name, c.phone, c.email, c.webhook_url, c.token_generation "
    "FROM responses r JOIN customers c ON c.id = r.customer_id "
    "WHERE r.event_id = ?1 ORDER BY c.id", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DrdLinkRow *row = g_new0 (DrdLinkRow, 1);

      row->customer_id = sqlite3_column_int64 (stmt, 0);
      row->name = column_text_or_null (stmt, 1);
      row->phone = column_text_or_null (stmt, 2);
      row->email = column_text_or_null (stmt, 3);
      row->webhook_url = column_text_or_null (stmt, 4);
      row->generation = sqlite3_column_int64 (stmt, 5);
      g_ptr_array_add (op->rows, row);
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "list targeted customers");
  return TRUE;
}

GPtrArray *
drd_store_portal_list_links (DrdStore *store,
                             gint64    event_id,
                             GError  **error)
{
  LinksOp op = { event_id, g_ptr_array_new_with_free_func ((GDestroyNotify) drd_link_row_free) };

  if (!drd_store_read (store, links_run, &op, error))
    {
      g_ptr_array_unref (op.rows);
      return NULL;
    }
  return op.rows;
}

/* ------------------------------------------------------------------ */
/* Webhook outbox                                                     */

void
drd_outbox_item_free (DrdOutboxItem *item)
{
  if (item == NULL)
    return;
  g_free (item->url);
  g_free (item->body);
  g_free (item->last_error);
  g_free (item);
}

typedef struct {
  gint64     event_id;
  gint64     now;
  guint      max;
  guint      n;
  gint       http_status;
  const char *message;
  GPtrArray *items;
  GArray    *ids;
  DrdOutboxCounts counts;
} OutboxOp;

static gboolean
enqueue_run (sqlite3  *db,
             gpointer  data,
             GError  **error)
{
  OutboxOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db, "SELECT 1 FROM events WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return drd_store_set_not_found (error, _("There is no event %" PRId64), op->event_id);
  if (rc != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "look up event");

  stmt = drd_store_prepare (db,
    "INSERT OR IGNORE INTO outbox (event_id, customer_id, url, body, state, attempts, "
    "                              next_attempt_at, created_at) "
    "SELECT e.id, c.id, c.webhook_url, "
    "       json_object('type', 'dr_event', 'event_id', e.id, 'name', e.name, "
    "         'kind', CASE e.kind WHEN 0 THEN 'reliability' WHEN 1 THEN 'economic' "
    "                             ELSE 'citizen' END, "
    "         'start', strftime('%Y-%m-%dT%H:%M:%S+09:00', e.start_at + 32400, 'unixepoch'), "
    "         'end', strftime('%Y-%m-%dT%H:%M:%S+09:00', e.end_at + 32400, 'unixepoch'), "
    "         'answer_deadline', strftime('%Y-%m-%dT%H:%M:%S+09:00', "
    "                                     e.answer_deadline + 32400, 'unixepoch'), "
    "         'customer_id', c.id), "
    "       0, 0, ?2, ?2 "
    "FROM responses r JOIN customers c ON c.id = r.customer_id JOIN events e ON e.id = r.event_id "
    "WHERE r.event_id = ?1 AND c.webhook_url IS NOT NULL AND c.webhook_url <> ''", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  sqlite3_bind_int64 (stmt, 2, op->now);
  if (!drd_store_step_done (db, stmt, "enqueue webhooks", error))
    return FALSE;
  op->n = sqlite3_changes (db);
  return TRUE;
}

gboolean
drd_store_outbox_enqueue_event (DrdStore *store,
                                gint64    event_id,
                                gint64    now,
                                guint    *out_n_created,
                                GError  **error)
{
  OutboxOp op = { .event_id = event_id, .now = now };

  if (!drd_store_write (store, enqueue_run, &op, error))
    return FALSE;
  if (out_n_created != NULL)
    *out_n_created = op.n;
  return TRUE;
}

static gboolean
open_events_run (sqlite3  *db,
                 gpointer  data,
                 GError  **error)
{
  OutboxOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db, "SELECT id FROM events WHERE status IN (0, 1) AND end_at > ?1 "
                                "ORDER BY id", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->now);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (op->ids, id);
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "list open events");
  return TRUE;
}

GArray *
drd_store_outbox_open_events (DrdStore *store,
                              gint64    now,
                              GError  **error)
{
  OutboxOp op = { .now = now, .ids = g_array_new (FALSE, FALSE, sizeof (gint64)) };

  if (!drd_store_read (store, open_events_run, &op, error))
    {
      g_array_unref (op.ids);
      return NULL;
    }
  return op.ids;
}

static DrdOutboxItem *
outbox_item_from_row (sqlite3_stmt *stmt)
{
  DrdOutboxItem *item = g_new0 (DrdOutboxItem, 1);

  item->id = sqlite3_column_int64 (stmt, 0);
  item->event_id = sqlite3_column_int64 (stmt, 1);
  item->customer_id = sqlite3_column_int64 (stmt, 2);
  item->url = column_text_or_null (stmt, 3);
  item->body = column_text_or_null (stmt, 4);
  item->state = sqlite3_column_int (stmt, 5);
  item->attempts = sqlite3_column_int (stmt, 6);
  item->next_attempt_at = sqlite3_column_int64 (stmt, 7);
  item->last_status = sqlite3_column_int (stmt, 8);
  item->last_error = column_text_or_null (stmt, 9);
  item->delivered_at = sqlite3_column_int64 (stmt, 10);
  item->token_generation = sqlite3_column_int64 (stmt, 11);
  return item;
}

#define OUTBOX_COLUMNS \
  "o.id, o.event_id, o.customer_id, o.url, o.body, o.state, o.attempts, o.next_attempt_at, " \
  "o.last_status, o.last_error, o.delivered_at, c.token_generation"

static gboolean
claim_run (sqlite3  *db,
           gpointer  data,
           GError  **error)
{
  OutboxOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db,
    "SELECT " OUTBOX_COLUMNS " FROM outbox o JOIN customers c ON c.id = o.customer_id "
    "WHERE o.state = 0 AND o.next_attempt_at <= ?1 ORDER BY o.next_attempt_at, o.id LIMIT ?2",
    error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->now);
  sqlite3_bind_int (stmt, 2, op->max);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (op->items, outbox_item_from_row (stmt));
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "select due webhooks");

  stmt = drd_store_prepare (db, "UPDATE outbox SET state = 1, attempts = attempts + 1 "
                                "WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < op->items->len; i++)
    {
      DrdOutboxItem *item = op->items->pdata[i];

      sqlite3_reset (stmt);
      sqlite3_bind_int64 (stmt, 1, item->id);
      if (!drd_store_step_done (db, stmt, "claim webhook", error))
        return FALSE;
      item->state = DRD_OUTBOX_SENDING;
      item->attempts++;
    }
  return TRUE;
}

GPtrArray *
drd_store_outbox_claim (DrdStore *store,
                        gint64    now,
                        guint     max,
                        GError  **error)
{
  OutboxOp op = { .now = now, .max = max,
                  .items = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_outbox_item_free) };

  if (!drd_store_write (store, claim_run, &op, error))
    {
      g_ptr_array_unref (op.items);
      return NULL;
    }
  return op.items;
}

static gboolean
delivered_run (sqlite3  *db,
               gpointer  data,
               GError  **error)
{
  OutboxOp *op = data;
  sqlite3_stmt *stmt;

  stmt = drd_store_prepare (db, "UPDATE outbox SET state = 2, delivered_at = ?2, last_status = ?3, "
                                "last_error = NULL WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  sqlite3_bind_int64 (stmt, 2, op->now);
  sqlite3_bind_int (stmt, 3, op->http_status);
  return drd_store_step_done (db, stmt, "mark webhook delivered", error);
}

gboolean
drd_store_outbox_delivered (DrdStore *store,
                            gint64    id,
                            gint      http_status,
                            gint64    now,
                            GError  **error)
{
  OutboxOp op = { .event_id = id, .now = now, .http_status = http_status };

  return drd_store_write (store, delivered_run, &op, error);
}

static gboolean
failed_run (sqlite3  *db,
            gpointer  data,
            GError  **error)
{
  OutboxOp *op = data;
  sqlite3_stmt *stmt;

  stmt = drd_store_prepare (db, "UPDATE outbox SET state = CASE WHEN ?2 = 0 THEN 3 ELSE 0 END, "
                                "next_attempt_at = CASE WHEN ?2 = 0 THEN next_attempt_at ELSE ?2 END, "
                                "last_status = ?3, last_error = ?4 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  sqlite3_bind_int64 (stmt, 2, op->now);
  if (op->http_status > 0)
    sqlite3_bind_int (stmt, 3, op->http_status);
  else
    sqlite3_bind_null (stmt, 3);
  drd_store_bind_text_or_null (stmt, 4, op->message);
  return drd_store_step_done (db, stmt, "mark webhook failed", error);
}

gboolean
drd_store_outbox_failed (DrdStore   *store,
                         gint64      id,
                         gint        http_status,
                         const char *message,
                         gint64      next_attempt_at,
                         GError    **error)
{
  OutboxOp op = { .event_id = id, .now = next_attempt_at, .http_status = http_status,
                  .message = message };

  return drd_store_write (store, failed_run, &op, error);
}

static gboolean
reset_sending_run (sqlite3  *db,
                   gpointer  data,
                   GError  **error)
{
  OutboxOp *op = data;
  sqlite3_stmt *stmt;

  stmt = drd_store_prepare (db, "UPDATE outbox SET state = 0, next_attempt_at = ?1 "
                                "WHERE state = 1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->now);
  return drd_store_step_done (db, stmt, "reset sending webhooks", error);
}

gboolean
drd_store_outbox_reset_sending (DrdStore *store,
                                gint64    now,
                                GError  **error)
{
  OutboxOp op = { .now = now };

  return drd_store_write (store, reset_sending_run, &op, error);
}

static gboolean
counts_run (sqlite3  *db,
            gpointer  data,
            GError  **error)
{
  OutboxOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db, "SELECT state, count(*) FROM outbox WHERE event_id = ?1 "
                                "GROUP BY state", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 n = sqlite3_column_int64 (stmt, 1);

      switch (sqlite3_column_int (stmt, 0))
        {
        case DRD_OUTBOX_DELIVERED: op->counts.delivered += n; break;
        case DRD_OUTBOX_FAILED: op->counts.failed += n; break;
        default: op->counts.pending += n; break;
        }
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "count webhooks");
  return TRUE;
}

gboolean
drd_store_outbox_counts (DrdStore        *store,
                         gint64           event_id,
                         DrdOutboxCounts *out_counts,
                         GError         **error)
{
  OutboxOp op = { .event_id = event_id };

  if (!drd_store_read (store, counts_run, &op, error))
    return FALSE;
  *out_counts = op.counts;
  return TRUE;
}

static gboolean
list_run (sqlite3  *db,
          gpointer  data,
          GError  **error)
{
  OutboxOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db, "SELECT " OUTBOX_COLUMNS " FROM outbox o "
                                "JOIN customers c ON c.id = o.customer_id "
                                "WHERE o.event_id = ?1 ORDER BY o.customer_id", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (op->items, outbox_item_from_row (stmt));
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "list webhooks");
  return TRUE;
}

GPtrArray *
drd_store_outbox_list (DrdStore *store,
                       gint64    event_id,
                       GError  **error)
{
  OutboxOp op = { .event_id = event_id,
                  .items = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_outbox_item_free) };

  if (!drd_store_read (store, list_run, &op, error))
    {
      g_ptr_array_unref (op.items);
      return NULL;
    }
  return op.items;
}
