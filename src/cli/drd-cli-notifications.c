/* SPDX-License-Identifier: GPL-3.0-or-later */
/* drdeskctl notifications EVENT_ID: the webhook delivery state of an event. */
#include "config.h"

#include <stdio.h>

#include "cli/drd-cli-private.h"
#include "store/drd-store-portal.h"

static const char *
state_name (DrdOutboxState state)
{
  switch (state)
    {
    case DRD_OUTBOX_PENDING: return "pending";
    case DRD_OUTBOX_SENDING: return "sending";
    case DRD_OUTBOX_DELIVERED: return "delivered";
    case DRD_OUTBOX_FAILED: return "failed";
    default: return "unknown";
    }
}

int
drd_cli_cmd_notifications (DrdCliContext *ctx, int argc, char **argv)
{
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GString) out = g_string_new ("customer_id,url,state,attempts,last_status,last_error,delivered_at\n");
  DrdOutboxCounts counts = { 0 };
  gint64 event_id;
  int status;

  if (!drd_cli_parse_options ("notifications", "EVENT_ID",
                              _("Show the webhook notifications of an event and how their delivery went."),
                              _("Prints one CSV line per customer with a webhook on stdout:\n"
                                "  customer_id,url,state,attempts,last_status,last_error,delivered_at\n"
                                "(state: pending, sending, delivered or failed) and the counts on stderr."),
                              NULL, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return drd_cli_usage_error ("notifications", argc < 2 ? _("expected EVENT_ID") : _("too many arguments"));
  if (!drd_cli_parse_id (argv[1], &event_id))
    return drd_cli_usage_error ("notifications", _("'%s' is not an event id"), argv[1]);

  store = drd_cli_open_store (ctx, FALSE, &error);
  if (store == NULL)
    return drd_cli_fail_error (NULL, error);
  items = drd_store_outbox_list (store, event_id, &error);
  if (items == NULL || !drd_store_outbox_counts (store, event_id, &counts, &error))
    return drd_cli_fail_error (NULL, error);

  for (guint i = 0; i < items->len; i++)
    {
      const DrdOutboxItem *item = g_ptr_array_index (items, i);
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, item->customer_id);
      g_autofree char *attempts = g_strdup_printf ("%d", item->attempts);
      g_autofree char *last_status = item->last_status ? g_strdup_printf ("%d", item->last_status)
                                                       : g_strdup ("");
      g_autofree char *delivered = item->delivered_at ? drd_cli_format_time (item->delivered_at)
                                                      : g_strdup ("");

      drd_cli_csv_field (out, id, TRUE);
      drd_cli_csv_field (out, item->url, FALSE);
      drd_cli_csv_field (out, state_name (item->state), FALSE);
      drd_cli_csv_field (out, attempts, FALSE);
      drd_cli_csv_field (out, last_status, FALSE);
      drd_cli_csv_field (out, item->last_error ? item->last_error : "", FALSE);
      drd_cli_csv_field (out, delivered, FALSE);
      g_string_append_c (out, '\n');
    }
  fputs (out->str, stdout);
  drd_cli_note (_("%lld delivered, %lld pending, %lld failed"),
                (long long) counts.delivered, (long long) counts.pending, (long long) counts.failed);
  return DRD_CLI_EXIT_OK;
}
