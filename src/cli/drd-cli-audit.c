/* SPDX-License-Identifier: GPL-3.0-or-later */
/* drdeskctl audit [--event ID] [--customer ID] [--format csv|json]
 * The audit trail, newest first: who (actor), what (action), when (at),
 * old → new. Read page by page from the store and written as it goes, so
 * a long trail never sits in memory whole. */
#include "config.h"

#include <json-glib/json-glib.h>

#include "cli/drd-cli-private.h"
#include "store/drd-store-audit.h"

static const char *const columns[] = {
  "id", "at", "actor", "action", "event_id", "customer_id", "old", "new", "detail", NULL
};

static void
append_id_csv (GString *out, gint64 id)
{
  g_string_append_c (out, ',');
  if (id > 0)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, id);
}

static void
append_csv (GString *out, const DrdAuditEntry *e)
{
  g_autofree char *at = drd_cli_format_time (e->at);

  g_string_append_printf (out, "%" G_GINT64_FORMAT, e->id);
  drd_cli_csv_field (out, at, FALSE);
  drd_cli_csv_field (out, e->actor, FALSE);
  drd_cli_csv_field (out, e->action, FALSE);
  append_id_csv (out, e->event_id);
  append_id_csv (out, e->customer_id);
  drd_cli_csv_field (out, e->old_value, FALSE);
  drd_cli_csv_field (out, e->new_value, FALSE);
  drd_cli_csv_field (out, e->detail, FALSE);
  g_string_append_c (out, '\n');
}

/* The detail is embedded as JSON when it is valid JSON (it always is when
 * DR Desk wrote it), else as a string. */
static void
append_detail_json (GString *out, const char *detail)
{
  g_autoptr(JsonParser) parser = NULL;

  if (detail == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  parser = json_parser_new ();
  if (json_parser_load_from_data (parser, detail, -1, NULL))
    g_string_append (out, detail);
  else
    drd_cli_json_string (out, detail);
}

static void
append_json (GString *out, const DrdAuditEntry *e, gboolean first)
{
  g_autofree char *at = drd_cli_format_time (e->at);

  g_string_append (out, first ? "\n  " : ",\n  ");
  g_string_append_printf (out, "{\"id\": %" G_GINT64_FORMAT ", \"at\": ", e->id);
  drd_cli_json_string (out, at);
  g_string_append (out, ", \"actor\": ");
  drd_cli_json_string (out, e->actor);
  g_string_append (out, ", \"action\": ");
  drd_cli_json_string (out, e->action);
  if (e->event_id > 0)
    g_string_append_printf (out, ", \"event_id\": %" G_GINT64_FORMAT, e->event_id);
  else
    g_string_append (out, ", \"event_id\": null");
  /* customer_id is the aggregator's id: a string in JSON (design.md). */
  if (e->customer_id > 0)
    g_string_append_printf (out, ", \"customer_id\": \"%" G_GINT64_FORMAT "\"", e->customer_id);
  else
    g_string_append (out, ", \"customer_id\": null");
  g_string_append (out, ", \"old\": ");
  drd_cli_json_string (out, e->old_value);
  g_string_append (out, ", \"new\": ");
  drd_cli_json_string (out, e->new_value);
  g_string_append (out, ", \"detail\": ");
  append_detail_json (out, e->detail);
  g_string_append_c (out, '}');
}

int
drd_cli_cmd_audit (DrdCliContext *ctx, int argc, char **argv)
{
  g_autofree char *event_text = NULL;
  g_autofree char *customer_text = NULL;
  g_autofree char *format_text = NULL;
  const GOptionEntry entries[] = {
    { "event", 0, 0, G_OPTION_ARG_STRING, &event_text,
      N_("Only entries of event ID"), "ID" },
    { "customer", 0, 0, G_OPTION_ARG_STRING, &customer_text,
      N_("Only entries of customer ID"), "ID" },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format_text,
      N_("Output format: csv (default) or json"), "csv|json" },
    { NULL }
  };
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = g_string_sized_new (1 << 17);
  DrdAuditQuery q = { 0 };
  DrdCliFormat format;
  gboolean first = TRUE;
  int status;

  if (!drd_cli_parse_options ("audit", NULL,
                              _("Print the audit trail, newest first: who did what, when, "
                                "old → new."),
                              _("Every operator action (event start, end and cancel, answers\n"
                                "recorded on a customer's behalf, link rotation, customer import),\n"
                                "every portal answer, status change and points credit.\n"
                                "csv columns: id,at,actor,action,event_id,customer_id,old,new,detail\n"
                                "json: an array of objects with the same keys (detail as JSON)."),
                              entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return drd_cli_usage_error ("audit", _("unexpected argument '%s'"), argv[1]);
  if (event_text != NULL && !drd_cli_parse_id (event_text, &q.event_id))
    return drd_cli_usage_error ("audit", _("'%s' is not an event id"), event_text);
  if (customer_text != NULL && !drd_cli_parse_id (customer_text, &q.customer_id))
    return drd_cli_usage_error ("audit", _("'%s' is not a customer id"), customer_text);
  if (!drd_cli_parse_format (format_text, &format))
    return drd_cli_usage_error ("audit", _("--format must be csv or json"));

  store = drd_cli_open_store (ctx, TRUE, &error);
  if (store == NULL)
    return drd_cli_fail_error (NULL, error);

  if (format == DRD_CLI_FORMAT_CSV)
    {
      for (guint i = 0; columns[i] != NULL; i++)
        drd_cli_csv_field (out, columns[i], i == 0);
      g_string_append_c (out, '\n');
    }
  else
    g_string_append_c (out, '[');

  q.limit = DRD_AUDIT_PAGE;
  for (;;)
    {
      g_autoptr(GPtrArray) page = drd_store_list_audit (store, &q, &error);

      if (page == NULL)
        return drd_cli_fail_error (NULL, error);
      for (guint i = 0; i < page->len; i++)
        {
          const DrdAuditEntry *e = page->pdata[i];

          if (format == DRD_CLI_FORMAT_CSV)
            append_csv (out, e);
          else
            append_json (out, e, first);
          first = FALSE;
        }
      if (!drd_cli_flush (out, &error))
        return drd_cli_fail_error (NULL, error);
      if (page->len < q.limit)
        break;
      q.before_id = ((const DrdAuditEntry *) page->pdata[page->len - 1])->id;
    }
  if (format == DRD_CLI_FORMAT_JSON)
    g_string_append (out, first ? "]\n" : "\n]\n");
  if (!drd_cli_flush (out, &error) || fflush (stdout) != 0)
    return drd_cli_fail (_("cannot write to standard output"));
  return DRD_CLI_EXIT_OK;
}
