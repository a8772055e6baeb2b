/* SPDX-License-Identifier: GPL-3.0-or-later */
/* drdeskctl export settlement EVENT_ID [--output FILE] [--bom] */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "cli/drd-cli-private.h"
#include "core/drd-csv.h"
#include "store/drd-store-settle.h"

#define FLUSH_BYTES (256 * 1024)

typedef struct {
  FILE         *out;
  const char   *what;       /* for messages: file name or "stdout" */
  GString      *buf;
  DrdCsvWriter  w;
  char          id_text[24];
  const char   *event_name;
  guint64       n_rows;
} ExportRun;

static gboolean
export_flush (ExportRun *run,
              GError   **error)
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
export_row (const DrdSettleRow *row,
            gpointer            data,
            GError            **error)
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
  if (run->buf->len >= FLUSH_BYTES)
    return export_flush (run, error);
  return TRUE;
}

static int
cmd_settlement (DrdCliContext *ctx, int argc, char **argv)
{
  g_autofree char *output = NULL;
  gboolean bom = FALSE;
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_("Write to FILE (atomically: complete or not at all) instead of stdout"), "FILE" },
    { "bom", 0, 0, G_OPTION_ARG_NONE, &bom,
      N_("Start with a UTF-8 byte order mark (for spreadsheet tools)"), NULL },
    { NULL }
  };
  static const char * const header[] = {
    "event_id", "event_name", "customer_id", "customer_name", "kepco_customer_no", "answer",
    "answered_at", "baseline_kwh", "actual_kwh", "reduction_kwh", "outcome", "points",
  };
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdEvent) event = NULL;
  g_autofree char *tmp_path = NULL;
  DrdSettleProgress progress;
  ExportRun run = { 0 };
  gboolean ok;
  int status;
  gint64 id;

  if (!drd_cli_parse_options ("export settlement", "EVENT_ID",
                              _("Export an event's settlement as CSV (UTF-8, RFC 4180)."),
                              _("Columns: event_id,event_name,customer_id,customer_name,\n"
                                "kepco_customer_no,answer,answered_at,baseline_kwh,actual_kwh,\n"
                                "reduction_kwh,outcome,points. Energies in kWh with 3 decimals;\n"
                                "empty when unknown (needs_review)."),
                              entries, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return drd_cli_usage_error ("export settlement",
                                argc < 2 ? _("missing EVENT_ID") : _("too many arguments"));
  if (!drd_cli_parse_id (argv[1], &id))
    return drd_cli_usage_error ("export settlement", _("'%s' is not an event id"), argv[1]);

  store = drd_cli_open_store (ctx, TRUE, &error);
  if (store == NULL)
    return drd_cli_fail_error (NULL, error);
  event = drd_store_get_event (store, id, drd_store_now (), &error);
  if (event == NULL)
    return drd_cli_fail_error (NULL, error);
  if (!drd_store_settle_get_progress (store, id, drd_store_now (), &progress, &error))
    return drd_cli_fail_error (NULL, error);
  if (event->status != DRD_EVENT_SETTLED)
    drd_cli_note (_("note: event %lld is %s; %lld of %lld"
                    " customers are settled so far"),
                  (long long) id, drd_event_status_to_string (event->status),
                  (long long) progress.n_settled, (long long) progress.n_targeted);
  drd_settle_progress_clear (&progress);

  if (output != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (output);
      g_autofree char *base = g_path_get_basename (output);
      g_autofree char *tmpl = g_strdup_printf (".%s.XXXXXX", base);
      int fd;

      tmp_path = g_build_filename (dir, tmpl, NULL);
      fd = g_mkstemp_full (tmp_path, O_WRONLY | O_CLOEXEC, 0644);
      if (fd < 0)
        return drd_cli_fail (_("cannot create a file next to %s: %s"), output, g_strerror (errno));
      run.out = fdopen (fd, "wb");
      run.what = output;
    }
  else
    {
      run.out = stdout;
      run.what = "stdout";
    }

  run.buf = g_string_sized_new (FLUSH_BYTES + 4096);
  run.event_name = event->name;
  g_snprintf (run.id_text, sizeof run.id_text, "%" G_GINT64_FORMAT, id);
  drd_csv_writer_init (&run.w, run.buf, bom);
  drd_csv_write_record (run.buf, header, G_N_ELEMENTS (header));
  ok = drd_store_settle_foreach (store, id, export_row, &run, &error) && export_flush (&run, &error);
  g_string_free (run.buf, TRUE);

  if (output != NULL)
    {
      if (ok && (fflush (run.out) != 0 || fsync (fileno (run.out)) != 0))
        {
          g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno),
                       _("cannot write %s: %s"), output, g_strerror (errno));
          ok = FALSE;
        }
      if (fclose (run.out) != 0 && ok)
        {
          g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno),
                       _("cannot write %s: %s"), output, g_strerror (errno));
          ok = FALSE;
        }
      if (ok && g_rename (tmp_path, output) != 0)
        {
          g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno),
                       _("cannot replace %s: %s"), output, g_strerror (errno));
          ok = FALSE;
        }
      if (!ok)
        g_unlink (tmp_path);
    }
  else if (ok && fflush (stdout) != 0)
    {
      g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno),
                   _("cannot write stdout: %s"), g_strerror (errno));
      ok = FALSE;
    }
  if (!ok)
    return drd_cli_fail_error (NULL, error);
  drd_cli_note (g_dngettext (GETTEXT_PACKAGE, "%" G_GUINT64_FORMAT " row exported",
                             "%" G_GUINT64_FORMAT " rows exported", (gulong) run.n_rows),
                run.n_rows);
  return DRD_CLI_EXIT_OK;
}

int
drd_cli_cmd_export (DrdCliContext *ctx, int argc, char **argv)
{
  static const DrdCliCommand subs[] = {
    { "settlement", cmd_settlement, N_("export settlement EVENT_ID [--output FILE] [--bom]") },
    { NULL }
  };

  return drd_cli_dispatch (ctx, "export", _("Export data as CSV."), subs, argc, argv);
}
