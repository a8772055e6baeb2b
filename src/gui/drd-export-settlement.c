/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gui/drd-export-settlement.h"
#include "service/drd-settle-export.h"

typedef struct {
  DrdStore              *store;
  gint64                 event_id;
  char                  *event_name;
  char                  *path;
  gboolean               bom;
  gint                   n_rows;        /* atomic: written by the worker */
  guint64                n_reported;
  DrdExportProgressFunc  progress;
  gpointer               progress_data;
  guint                  tick;
} ExportJob;

static void
export_job_free (ExportJob *job)
{
  g_clear_handle_id (&job->tick, g_source_remove);
  g_object_unref (job->store);
  g_free (job->event_name);
  g_free (job->path);
  g_free (job);
}

static void
on_rows (guint64 n_rows, gpointer data)
{
  ExportJob *job = data;

  g_atomic_int_set (&job->n_rows, (gint) MIN (n_rows, (guint64) G_MAXINT));
}

static void
export_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  ExportJob *job = data;
  GError *error = NULL;
  guint64 n = 0;

  if (drd_settle_export_to_file (job->store, job->event_id, job->event_name, job->path, job->bom,
                                 on_rows, job, cancellable, &n, &error))
    g_task_return_pointer (task, g_memdup2 (&n, sizeof n), g_free);
  else
    g_task_return_error (task, error);
}

static gboolean
report (gpointer data)
{
  ExportJob *job = data;
  guint64 n = (guint64) g_atomic_int_get (&job->n_rows);

  if (n != job->n_reported && job->progress != NULL)
    {
      job->n_reported = n;
      job->progress (n, job->progress_data);
    }
  return G_SOURCE_CONTINUE;
}

void
drd_gui_export_settlement_async (DrdStore              *store,
                                 gint64                 event_id,
                                 const char            *event_name,
                                 GFile                 *file,
                                 gboolean               bom,
                                 DrdExportProgressFunc  progress,
                                 gpointer               progress_data,
                                 GCancellable          *cancellable,
                                 GAsyncReadyCallback    callback,
                                 gpointer               user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  ExportJob *job;

  g_task_set_source_tag (task, drd_gui_export_settlement_async);
  job = g_new0 (ExportJob, 1);
  job->store = g_object_ref (store);
  job->event_id = event_id;
  job->event_name = g_strdup (event_name);
  job->path = g_file_get_path (file);
  job->bom = bom;
  job->progress = progress;
  job->progress_data = progress_data;
  if (job->path == NULL)
    {
      export_job_free (job);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("Only local files can be written"));
      return;
    }
  if (progress != NULL)
    job->tick = g_timeout_add (200, report, job);
  g_task_set_task_data (task, job, (GDestroyNotify) export_job_free);
  g_task_run_in_thread (task, export_thread);
}

gboolean
drd_gui_export_settlement_finish (GAsyncResult *result, guint64 *out_n_rows, GError **error)
{
  g_autofree guint64 *n = g_task_propagate_pointer (G_TASK (result), error);

  if (n == NULL)
    return FALSE;
  if (out_n_rows != NULL)
    *out_n_rows = *n;
  return TRUE;
}
