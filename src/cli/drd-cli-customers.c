/* SPDX-License-Identifier: GPL-3.0-or-later */
/* drdeskctl customers import|list */
#include "config.h"

#include "cli/drd-cli-private.h"
#include "core/drd-csv.h"

#include <gio/gunixinputstream.h>
#include <unistd.h>

#include "service/drd-importer.h"

#define DEFAULT_RESOURCE DRD_IMPORTER_DEFAULT_RESOURCE
static const char *const *const columns = drd_import_columns;

/* "LINE: reason" on stderr as the importer refuses each row, in line
 * order: nothing of the report is kept in memory. */
static void
print_refused (guint64 line, const char *reason, gpointer user_data)
{
  fprintf (stderr, "%" G_GUINT64_FORMAT ": %s\n", line, reason);
}

static int
cmd_import (DrdCliContext *ctx, int argc, char **argv)
{
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) input = NULL;
  g_autoptr(DrdImporter) importer = NULL;
  const DrdImportCounts *n;
  int status;
  /* TRANSLATORS: %s is the default resource name, "default" */
  g_autofree char *description = g_strdup_printf (
      _("CSV: UTF-8, RFC 4180, header row required, columns in any order:\n"
        "  customer_id,name,kepco_customer_no,resource,registered_kw,\n"
        "  cbl_method,is_factory,phone,email,webhook_url\n"
        "customer_id, name, kepco_customer_no and registered_kw (kW, up to 3\n"
        "decimals) are required. resource defaults to \"%s\",\n"
        "cbl_method (max-4-5|mid-6-10) to mid-6-10, is_factory (true|false) to\n"
        "false; phone, email and webhook_url (http/https) may be empty.\n"
        "Each refused row is reported on stderr as \"LINE: reason\" (LINE is the\n"
        "physical line where the row starts); the valid rows are still imported.\n"
        "Exit status 1 when any row was refused."), DEFAULT_RESOURCE);

  if (!drd_cli_parse_options ("customers import", "FILE.csv",
                              _("Insert or update (by customer_id) the customers of a CSV file "
                                "(\"-\" reads standard input)."),
                              description,
                              NULL, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return drd_cli_usage_error ("customers import", argc < 2 ? _("missing FILE.csv")
                                                             : _("too many arguments"));

  if (g_str_equal (argv[1], "-"))
    input = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  else
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (argv[1]);

      input = G_INPUT_STREAM (g_file_read (file, NULL, &error));
      if (input == NULL)
        return drd_cli_fail_error (NULL, error);
    }

  store = drd_cli_open_store (ctx, TRUE, &error);
  if (store == NULL)
    return drd_cli_fail_error (NULL, error);

  importer = drd_importer_new (store, drd_cli_actor ());
  drd_importer_set_refused_func (importer, print_refused, NULL);
  if (!drd_importer_run (importer, input, NULL, &error))
    return drd_cli_fail_error (argv[1], error);
  n = drd_importer_get_counts (importer);

  drd_cli_note (_("customers import: %u rows, %u inserted, %u updated, %u unchanged, %u refused"),
                (guint) n->n_rows, (guint) n->n_inserted, (guint) n->n_updated,
                (guint) n->n_unchanged, (guint) n->n_refused);
  if (n->n_refused > 0)
    return drd_cli_fail (_("%s: %u of %u rows refused"), argv[1], (guint) n->n_refused,
                         (guint) n->n_rows);
  return DRD_CLI_EXIT_OK;
}

typedef struct {
  GString      *out;
  DrdCliFormat  format;
  gboolean      first;
  GError       *error;
} ListState;

static gboolean
list_one (const DrdCustomer *c, gpointer user_data)
{
  ListState *st = user_data;
  GString *out = st->out;
  char id[32], kw[32];

  g_snprintf (id, sizeof id, "%" G_GINT64_FORMAT, c->id);
  drd_milli_format_buf (c->registered_w, kw);
  if (st->format == DRD_CLI_FORMAT_CSV)
    {
      drd_cli_csv_field (out, id, TRUE);
      drd_cli_csv_field (out, c->name, FALSE);
      drd_cli_csv_field (out, c->kepco_no, FALSE);
      drd_cli_csv_field (out, c->resource, FALSE);
      drd_cli_csv_field (out, kw, FALSE);
      drd_cli_csv_field (out, drd_cbl_method_to_string (c->cbl_method), FALSE);
      drd_cli_csv_field (out, c->is_factory ? "true" : "false", FALSE);
      drd_cli_csv_field (out, c->phone, FALSE);
      drd_cli_csv_field (out, c->email, FALSE);
      drd_cli_csv_field (out, c->webhook_url, FALSE);
      g_string_append_c (out, '\n');
    }
  else
    {
      g_string_append (out, st->first ? "\n  " : ",\n  ");
      g_string_append_printf (out, "{\"customer_id\": %s, \"name\": ", id);
      drd_cli_json_string (out, c->name);
      g_string_append (out, ", \"kepco_customer_no\": ");
      drd_cli_json_string (out, c->kepco_no);
      g_string_append (out, ", \"resource\": ");
      drd_cli_json_string (out, c->resource);
      g_string_append_printf (out, ", \"registered_kw\": %s, \"cbl_method\": \"%s\", "
                              "\"is_factory\": %s, \"phone\": ",
                              kw, drd_cbl_method_to_string (c->cbl_method),
                              c->is_factory ? "true" : "false");
      drd_cli_json_string (out, c->phone);
      g_string_append (out, ", \"email\": ");
      drd_cli_json_string (out, c->email);
      g_string_append (out, ", \"webhook_url\": ");
      drd_cli_json_string (out, c->webhook_url);
      g_string_append_c (out, '}');
    }
  st->first = FALSE;
  if (out->len >= 1 << 16 && !drd_cli_flush (out, &st->error))
    return FALSE;
  return TRUE;
}

static int
cmd_list (DrdCliContext *ctx, int argc, char **argv)
{
  g_autofree char *format_text = NULL;
  const GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_FILENAME, &format_text,
      N_("Output format: csv (default) or json"), "csv|json" },
    { NULL }
  };
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = g_string_sized_new (1 << 17);
  ListState st = { out, DRD_CLI_FORMAT_CSV, TRUE, NULL };
  int status;

  if (!drd_cli_parse_options ("customers list", NULL,
                              _("Print every customer, by customer_id, on stdout."),
                              _("csv: the columns of the import format (the output re-imports):\n"
                                "  customer_id,name,kepco_customer_no,resource,registered_kw,\n"
                                "  cbl_method,is_factory,phone,email,webhook_url\n"
                                "json: an array of objects with the same keys (registered_kw a\n"
                                "number, is_factory a boolean, empty values null)."),
                              entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return drd_cli_usage_error ("customers list", _("unexpected argument '%s'"), argv[1]);
  if (!drd_cli_parse_format (format_text, &st.format))
    return drd_cli_usage_error ("customers list", _("--format must be csv or json"));

  store = drd_cli_open_store (ctx, TRUE, &error);
  if (store == NULL)
    return drd_cli_fail_error (NULL, error);

  if (st.format == DRD_CLI_FORMAT_CSV)
    {
      for (guint i = 0; columns[i] != NULL; i++)
        drd_cli_csv_field (out, columns[i], i == 0);
      g_string_append_c (out, '\n');
    }
  else
    g_string_append_c (out, '[');

  if (!drd_store_foreach_customer (store, list_one, &st, &error))
    return drd_cli_fail_error (NULL, error);
  if (st.error != NULL)
    {
      g_propagate_error (&error, st.error);
      return drd_cli_fail_error (NULL, error);
    }
  if (st.format == DRD_CLI_FORMAT_JSON)
    g_string_append (out, st.first ? "]\n" : "\n]\n");
  if (!drd_cli_flush (out, &error) || fflush (stdout) != 0)
    return drd_cli_fail (_("cannot write to standard output"));
  return DRD_CLI_EXIT_OK;
}

int
drd_cli_cmd_customers (DrdCliContext *ctx, int argc, char **argv)
{
  static const DrdCliCommand subs[] = {
    { "import", cmd_import, N_("customers import FILE.csv") },
    { "list",   cmd_list,   N_("customers list [--format csv|json]") },
    { NULL }
  };

  return drd_cli_dispatch (ctx, "customers", _("Import or list customers."), subs, argc, argv);
}
