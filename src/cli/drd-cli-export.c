/* SPDX-License-Identifier: GPL-3.0-or-later */
/* drdeskctl export settlement EVENT_ID [--output FILE] [--bom] */
#include "config.h"

#include <inttypes.h>

#include <errno.h>

#include "cli/drd-cli-private.h"
#include "service/drd-settle-export.h"
#include "store/drd-store-settle.h"

static int
cmd_settlement (DrdCliContext *ctx, int argc, char **argv)
{
  g_autofree char *output = NULL;
  gboolean bom = FALSE;
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_("Write to FILE instead of stdout (a regular file atomically; \"-\" is stdout)"),
      "FILE" },
    { "bom", 0, 0, G_OPTION_ARG_NONE, &bom,
      N_("Start with a UTF-8 byte order mark (for spreadsheet tools)"), NULL },
    { NULL }
  };
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdEvent) event = NULL;
  DrdSettleProgress progress;
  guint64 n_rows = 0;
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

  /* A regular file atomically (complete or not at all); "-" or no
   * --output is stdout. */
  if (output != NULL && !g_str_equal (output, "-"))
    ok = drd_settle_export_to_file (store, id, event->name, output, bom, NULL, NULL, NULL,
                                    &n_rows, &error);
  else
    {
      ok = drd_settle_export_write (store, id, event->name, stdout, "stdout", bom, NULL, NULL,
                                    NULL, &n_rows, &error);
      if (ok && fflush (stdout) != 0)
        {
          g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno),
                       _("cannot write stdout: %s"), g_strerror (errno));
          ok = FALSE;
        }
    }
  if (!ok)
    return drd_cli_fail_error (NULL, error);
  drd_cli_note (g_dngettext (GETTEXT_PACKAGE, "%" PRIu64 " row exported",
                             "%" PRIu64 " rows exported", (gulong) n_rows),
                (guint64) n_rows);
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
