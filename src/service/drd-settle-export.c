/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>

#include "core/drd-csv.h"
#include "service/drd-output-file.h"
#include "service/drd-settle-export.h"
#include "store/drd-store-settle.h"

#define FLUSH_BYTES (256 * 1024)

typedef struct {
  FILE                    *out;
  const char              *what;
  GString                 *buf;
  DrdCsvWriter             w;
  char                     id_text[24];
  const char              *event_name;
  guint64                  n_rows;
  DrdSettleExportProgress  progress;
  gpointer                 progress_data;
  GCancellable            *cancellable;
} ExportRun;

static gboolean
export_flush (ExportRun *run, GError **error)
{
  if (run->buf->len > 0 && fwrite (run->buf->str, 1, run->buf->len, run->out) != run->buf->len)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("cannot write %s: %s"), run->what, g_strerror (saved));
      return FALSE;
    }
  g_string_truncate (run->buf, 0);
  return TRUE;
}

static gboolean
export_row (const DrdSettleRow *row, gpointer data, GError **error)
{
  ExportRun *run = data;
  DrdCsvWriter *w = &run->w;

  drd_csv_writer_field (w, run->id_text);
  drd_csv_writer_field (w, run->event_name);
  drd_csv_writer_field_int (w, row->customer_id);
  drd_csv_writer_field (w, row->customer_name);
  drd_csv_writer_field (w, row->kepco_no);
  drd_csv_writer_field (w, drd_answer_to_string (row->answer));
  if (row->answered_at != 0)
    {
      char iso[26];

      drd_csv_writer_field (w, drd_time_format_iso8601_buf (row->answered_at, iso));
    }
  else
    drd_csv_writer_field (w, "");
  if (row->baseline_known)
    drd_csv_writer_field_milli (w, row->baseline_wh);
  else
    drd_csv_writer_field (w, "");
  if (row->actual_known)
    drd_csv_writer_field_milli (w, row->actual_wh);
  else
    drd_csv_writer_field (w, "");
  if (row->reduction_known)
    drd_csv_writer_field_milli (w, row->reduction_wh);
  else
    drd_csv_writer_field (w, "");
  drd_csv_writer_field (w, drd_outcome_to_string (row->outcome));
  drd_csv_writer_field_int (w, row->points);
  drd_csv_writer_end_record (w);
  run->n_rows++;
  if (run->n_rows % 1000 == 0)
    {
      if (g_cancellable_set_error_if_cancelled (run->cancellable, error))
        return FALSE;
      if (run->progress != NULL)
        run->progress (run->n_rows, run->progress_data);
    }
  if (run->buf->len >= FLUSH_BYTES)
    return export_flush (run, error);
  return TRUE;
}

gboolean
drd_settle_export_write (DrdStore                *store,
                         gint64                   event_id,
                         const char              *event_name,
                         FILE                    *out,
                         const char              *what,
                         gboolean                 bom,
                         DrdSettleExportProgress  progress,
                         gpointer                 progress_data,
                         GCancellable            *cancellable,
                         guint64                 *out_n_rows,
                         GError                 **error)
{
  static const char * const header[] = {
    "event_id", "event_name", "customer_id", "customer_name", "kepco_customer_no", "answer",
    "answered_at", "baseline_kwh", "actual_kwh", "reduction_kwh", "outcome", "points",
  };
  ExportRun run = { 0 };
  gboolean ok;

  run.out = out;
  run.what = what;
  run.buf = g_string_sized_new (FLUSH_BYTES + 4096);
  run.event_name = event_name;
  run.progress = progress;
  run.progress_data = progress_data;
  run.cancellable = cancellable;
  g_snprintf (run.id_text, sizeof run.id_text, "%" G_GINT64_FORMAT, event_id);
  drd_csv_writer_init (&run.w, run.buf, bom);
  /* Accounting opens this in spreadsheet tools: names are not formulas. */
  drd_csv_writer_set_spreadsheet (&run.w, TRUE);
  drd_csv_write_record (run.buf, header, G_N_ELEMENTS (header));
  ok = drd_store_settle_foreach (store, event_id, export_row, &run, error)
       && export_flush (&run, error);
  g_string_free (run.buf, TRUE);
  if (ok && progress != NULL)
    progress (run.n_rows, progress_data);
  if (out_n_rows != NULL)
    *out_n_rows = run.n_rows;
  return ok;
}

gboolean
drd_settle_export_to_file (DrdStore                *store,
                           gint64                   event_id,
                           const char              *event_name,
                           const char              *path,
                           gboolean                 bom,
                           DrdSettleExportProgress  progress,
                           gpointer                 progress_data,
                           GCancellable            *cancellable,
                           guint64                 *out_n_rows,
                           GError                 **error)
{
  DrdOutputFile *out = drd_output_file_open (path, error);

  if (out == NULL)
    return FALSE;
  if (!drd_settle_export_write (store, event_id, event_name, drd_output_file_get_stream (out),
                                drd_output_file_get_display_name (out), bom, progress,
                                progress_data, cancellable, out_n_rows, error))
    {
      drd_output_file_abort (out);
      return FALSE;
    }
  return drd_output_file_commit (out, error);
}
