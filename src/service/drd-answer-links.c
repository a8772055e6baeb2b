/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "core/drd-csv.h"
#include "service/drd-answer-links.h"
#include "store/drd-store-links.h"
#include "store/drd-store-portal.h"

static void
csv_field (GString *line, const char *value, gboolean first)
{
  if (!first)
    g_string_append_c (line, ',');
  drd_csv_write_field (line, value, -1);
}

gboolean
drd_answer_links_write_csv (DrdStore    *store,
                            GBytes      *secret,
                            gint64       event_id,
                            const char  *base,
                            GString     *out,
                            guint       *out_n_rows,
                            GError     **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) local = NULL;

  if (!drd_store_portal_ensure_tokens (store, secret, NULL, &local))
    {
      g_set_error (error, local->domain, local->code, _("cannot prepare answer links: %s"),
                   local->message);
      return FALSE;
    }
  rows = drd_store_portal_list_links (store, event_id, error);
  if (rows == NULL)
    return FALSE;

  g_string_append (out, "customer_id,name,phone,email,link\n");
  for (guint i = 0; i < rows->len; i++)
    {
      DrdLinkRow *row = rows->pdata[i];
      g_autofree char *token = drd_link_token_derive (secret, row->customer_id, row->generation);
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, row->customer_id);
      g_autofree char *link = g_strdup_printf ("%s/r/%s", base, token);

      csv_field (out, id, TRUE);
      csv_field (out, row->name, FALSE);
      csv_field (out, row->phone, FALSE);
      csv_field (out, row->email, FALSE);
      csv_field (out, link, FALSE);
      g_string_append_c (out, '\n');
    }
  if (out_n_rows != NULL)
    *out_n_rows = rows->len;
  return TRUE;
}

char *
drd_answer_link_get (DrdStore    *store,
                     GBytes      *secret,
                     gint64       customer_id,
                     const char  *base,
                     GError     **error)
{
  g_autofree char *token = NULL;
  gint64 generation = 0;
  gboolean has_hash = FALSE;

  if (!drd_store_link_generation (store, customer_id, &generation, &has_hash, error))
    return NULL;
  if (!has_hash)
    {
      /* A customer imported since the tokens were last filled: fill them
       * now so the link shown works. */
      if (!drd_store_portal_ensure_tokens (store, secret, NULL, error)
          || !drd_store_link_generation (store, customer_id, &generation, NULL, error))
        return NULL;
    }
  token = drd_link_token_derive (secret, customer_id, generation);
  return g_strdup_printf ("%s/r/%s", base, token);
}

char *
drd_answer_link_rotate (DrdStore    *store,
                        GBytes      *secret,
                        gint64       customer_id,
                        const char  *base,
                        const char  *actor,
                        GError     **error)
{
  g_autofree char *token = NULL;

  if (!drd_store_portal_ensure_tokens (store, secret, NULL, error))
    return NULL;
  token = drd_store_portal_rotate_token (store, secret, customer_id, actor, error);
  if (token == NULL)
    return NULL;
  return g_strdup_printf ("%s/r/%s", base, token);
}

/* ---- async ---- */

typedef struct {
  gint64    id;          /* customer or event */
  char     *base;
  char     *actor;
  char     *path;
  gboolean  rotate;
  guint     n_rows;
} LinkTask;

static void
link_task_free (gpointer data)
{
  LinkTask *t = data;

  g_free (t->base);
  g_free (t->actor);
  g_free (t->path);
  g_free (t);
}

static GBytes *
load_secret (DrdStore *store, GError **error)
{
  g_autofree char *path = drd_link_secret_path (store);

  return drd_link_secret_load_or_create (path, error);
}

static void
link_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  LinkTask *t = data;
  DrdStore *store = source;
  g_autoptr(GBytes) secret = NULL;
  GError *error = NULL;
  char *link;

  secret = load_secret (store, &error);
  if (secret == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  link = t->rotate ? drd_answer_link_rotate (store, secret, t->id, t->base, t->actor, &error)
                   : drd_answer_link_get (store, secret, t->id, t->base, &error);
  if (link == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, link, g_free);
}

void
drd_answer_link_async (DrdStore            *store,
                       gint64               customer_id,
                       const char          *base,
                       gboolean             rotate,
                       const char          *actor,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (store, cancellable, callback, user_data);
  LinkTask *t = g_new0 (LinkTask, 1);

  t->id = customer_id;
  t->base = g_strdup (base);
  t->actor = g_strdup (actor);
  t->rotate = rotate;
  g_task_set_source_tag (task, drd_answer_link_async);
  g_task_set_task_data (task, t, link_task_free);
  g_task_run_in_thread (task, link_thread);
}

char *
drd_answer_link_finish (DrdStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
export_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  LinkTask *t = data;
  DrdStore *store = source;
  g_autoptr(GBytes) secret = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  GError *error = NULL;

  secret = load_secret (store, &error);
  if (secret == NULL
      || !drd_answer_links_write_csv (store, secret, t->id, t->base, out, &t->n_rows, &error)
      || g_cancellable_set_error_if_cancelled (cancellable, &error)
      || !g_file_set_contents_full (t->path, out->str, out->len,
                                    G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
drd_answer_links_export_async (DrdStore            *store,
                               gint64               event_id,
                               const char          *base,
                               const char          *path,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (store, cancellable, callback, user_data);
  LinkTask *t = g_new0 (LinkTask, 1);

  t->id = event_id;
  t->base = g_strdup (base);
  t->path = g_strdup (path);
  g_task_set_source_tag (task, drd_answer_links_export_async);
  g_task_set_task_data (task, t, link_task_free);
  g_task_run_in_thread (task, export_thread);
}

gboolean
drd_answer_links_export_finish (DrdStore      *store,
                                GAsyncResult  *result,
                                guint         *out_n_rows,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (out_n_rows != NULL)
    *out_n_rows = ((LinkTask *) g_task_get_task_data (G_TASK (result)))->n_rows;
  return TRUE;
}
