/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <glib/gi18n-lib.h>

#include "store/drd-store-links.h"
#include "store/drd-store-private.h"

typedef struct {
  gint64   customer_id;
  gint64   generation;
  gboolean has_hash;
} GenerationOp;

static gboolean
generation_run (sqlite3 *db, gpointer data, GError **error)
{
  GenerationOp *op = data;
  sqlite3_stmt *stmt = drd_store_prepare (db,
      "SELECT token_generation, token_hash IS NOT NULL FROM customers WHERE id = ?1", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->customer_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return drd_store_set_not_found (error, _("There is no customer %" PRId64), op->customer_id);
  if (rc != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "read token_generation");
  op->generation = sqlite3_column_int64 (stmt, 0);
  op->has_hash = sqlite3_column_int (stmt, 1);
  return TRUE;
}

gboolean
drd_store_link_generation (DrdStore  *store,
                           gint64     customer_id,
                           gint64    *out_generation,
                           gboolean  *out_has_hash,
                           GError   **error)
{
  GenerationOp op = { customer_id, 0, FALSE };

  g_return_val_if_fail (DRD_IS_STORE (store), FALSE);
  if (!drd_store_read (store, generation_run, &op, error))
    return FALSE;
  if (out_generation != NULL)
    *out_generation = op.generation;
  if (out_has_hash != NULL)
    *out_has_hash = op.has_hash;
  return TRUE;
}
