/* SPDX-License-Identifier: GPL-3.0-or-later */
/* drdeskctl customers import|list */
#include "config.h"

#include "cli/drd-cli-private.h"
#include "core/drd-csv.h"

/* A customer CSV without a resource column (or with an empty cell) puts
 * the customer into this resource. */
#define DEFAULT_RESOURCE "default"
#define IMPORT_CHUNK 50000

enum {
  COL_ID, COL_NAME, COL_KEPCO, COL_RESOURCE, COL_KW, COL_CBL, COL_FACTORY,
  COL_PHONE, COL_EMAIL, COL_WEBHOOK, N_COLS
};
static const char *const columns[] = {
  "customer_id", "name", "kepco_customer_no", "resource", "registered_kw",
  "cbl_method", "is_factory", "phone", "email", "webhook_url", NULL
};
static const char *const required[] = {
  "customer_id", "name", "kepco_customer_no", "registered_kw", NULL
};

typedef struct {
  GPtrArray  *batch;        /* DrdCustomer*, current chunk */
  GArray     *batch_lines;  /* guint line of each batch row */
  GHashTable *ids;          /* customer_id (gint64*) → line */
  GHashTable *kepco;        /* kepco_no → line */
  DrdStore   *store;
  guint       n_rows;
  guint       n_rejected;
  guint       n_inserted;
  guint       n_updated;
  guint       n_unchanged;
  GArray     *rejects;      /* Reject, printed sorted by line at the end */
} Import;

typedef struct {
  guint  line;
  guint  seq;
  char  *message;
} Reject;

static int
reject_cmp (gconstpointer a, gconstpointer b)
{
  const Reject *x = a, *y = b;

  if (x->line != y->line)
    return x->line < y->line ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static gboolean
reject (Import *imp, guint line, const char *format, ...) G_GNUC_PRINTF (3, 4);

/* Reports "LINE: reason" on stderr; returns FALSE for take_record(). */
static gboolean
reject (Import *imp, guint line, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list ap;
  Reject r = { line, imp->n_rejected, NULL };

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  r.message = drd_cli_row_message (message);
  g_array_append_val (imp->rejects, r);
  imp->n_rejected++;
  return FALSE;
}

static char *
optional (const char *value)
{
  g_autofree char *copy = g_strstrip (g_strdup (value));

  return *copy != '\0' ? g_steal_pointer (&copy) : NULL;
}

static gboolean
valid_webhook (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *scheme;

  if (uri == NULL)
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  return (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0)
         && g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0';
}

static gboolean
valid_email (const char *email)
{
  const char *at = strchr (email, '@');

  return at != NULL && at != email && at[1] != '\0' && strchr (at + 1, '@') == NULL
         && strpbrk (email, " \t") == NULL;
}

/* Validates one record; on success appends a customer to the batch. */
static gboolean
take_record (Import *imp, DrdCsvReader *reader, const int *idx)
{
  guint line = drd_csv_reader_get_line (reader);
  g_autoptr(DrdCustomer) c = drd_customer_new ();
  g_autofree char *id_text = g_strstrip (g_strdup (drd_csv_reader_get_column (reader, idx[COL_ID])));
  g_autofree char *kw_text = g_strstrip (g_strdup (drd_csv_reader_get_column (reader, idx[COL_KW])));
  g_autofree char *cbl = g_strstrip (g_strdup (drd_csv_reader_get_column (reader, idx[COL_CBL])));
  g_autofree char *factory = g_strstrip (g_strdup (drd_csv_reader_get_column (reader, idx[COL_FACTORY])));
  gpointer other;

  imp->n_rows++;

  if (!drd_cli_parse_id (id_text, &c->id))
    return reject (imp, line, _("customer_id '%s' is not a positive integer"), id_text);

  c->name = g_strstrip (g_strdup (drd_csv_reader_get_column (reader, idx[COL_NAME])));
  if (*c->name == '\0')
    return reject (imp, line, _("name is empty"));
  if (g_utf8_strlen (c->name, -1) > 200)
    return reject (imp, line, _("name is longer than 200 characters"));

  c->kepco_no = g_strstrip (g_strdup (drd_csv_reader_get_column (reader, idx[COL_KEPCO])));
  if (*c->kepco_no == '\0')
    return reject (imp, line, _("kepco_customer_no is empty"));
  for (const char *p = c->kepco_no; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return reject (imp, line, _("kepco_customer_no '%s' must be digits only"), c->kepco_no);
  if (strlen (c->kepco_no) > 32)
    return reject (imp, line, _("kepco_customer_no is longer than 32 digits"));

  c->resource = optional (drd_csv_reader_get_column (reader, idx[COL_RESOURCE]));
  if (c->resource == NULL)
    c->resource = g_strdup (DEFAULT_RESOURCE);
  if (g_utf8_strlen (c->resource, -1) > 100)
    return reject (imp, line, _("resource is longer than 100 characters"));

  if (*kw_text == '\0')
    return reject (imp, line, _("registered_kw is empty"));
  if (!drd_cli_parse_milli (kw_text, &c->registered_w))
    return reject (imp, line,
                   _("registered_kw '%s' is not a non-negative number with at most 3 decimals"),
                   kw_text);

  if (*cbl == '\0')
    c->cbl_method = DRD_CBL_MID_6_10;
  else if (!drd_cbl_method_from_string (cbl, &c->cbl_method))
    return reject (imp, line, _("cbl_method '%s' is not max-4-5 or mid-6-10"), cbl);

  if (*factory == '\0' || g_ascii_strcasecmp (factory, "false") == 0)
    c->is_factory = FALSE;
  else if (g_ascii_strcasecmp (factory, "true") == 0)
    c->is_factory = TRUE;
  else
    return reject (imp, line, _("is_factory '%s' is not true or false"), factory);

  c->phone = optional (drd_csv_reader_get_column (reader, idx[COL_PHONE]));
  c->email = optional (drd_csv_reader_get_column (reader, idx[COL_EMAIL]));
  if (c->email != NULL && !valid_email (c->email))
    return reject (imp, line, _("email '%s' is not an e-mail address"), c->email);
  c->webhook_url = optional (drd_csv_reader_get_column (reader, idx[COL_WEBHOOK]));
  if (c->webhook_url != NULL && !valid_webhook (c->webhook_url))
    return reject (imp, line, _("webhook_url '%s' is not an http:// or https:// URL"),
                   c->webhook_url);

  if (g_hash_table_lookup_extended (imp->ids, &c->id, NULL, &other))
    return reject (imp, line, _("customer_id %s is already on line %u"), id_text,
                   GPOINTER_TO_UINT (other));
  if (g_hash_table_lookup_extended (imp->kepco, c->kepco_no, NULL, &other))
    return reject (imp, line, _("kepco_customer_no %s is already on line %u"), c->kepco_no,
                   GPOINTER_TO_UINT (other));
  g_hash_table_insert (imp->ids, g_memdup2 (&c->id, sizeof c->id), GUINT_TO_POINTER (line));
  g_hash_table_insert (imp->kepco, g_strdup (c->kepco_no), GUINT_TO_POINTER (line));

  g_ptr_array_add (imp->batch, g_steal_pointer (&c));
  g_array_append_val (imp->batch_lines, line);
  return TRUE;
}

static gboolean
flush_batch (Import *imp, GError **error)
{
  g_autoptr(DrdStoreImportResult) result = NULL;

  if (imp->batch->len == 0)
    return TRUE;
  result = drd_store_import_customers (imp->store, imp->batch, drd_cli_actor (),
                                       drd_store_now (), error);
  if (result == NULL)
    return FALSE;
  imp->n_inserted += result->n_inserted;
  imp->n_updated += result->n_updated;
  imp->n_unchanged += result->n_unchanged;
  for (guint i = 0; i < result->row_errors->len; i++)
    {
      DrdStoreRowError *re = g_ptr_array_index (result->row_errors, i);
      DrdCustomer *c = g_ptr_array_index (imp->batch, re->index);
      guint line = g_array_index (imp->batch_lines, guint, re->index);

      /* The only constraint a valid row can hit: a number already used. */
      if (g_error_matches (re->error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONSTRAINT)
          && strstr (re->error->message, "kepco_no") != NULL)
        (void) reject (imp, line, _("kepco_customer_no %s belongs to another customer"),
                       c->kepco_no);
      else
        (void) reject (imp, line, "%s", re->error->message);
    }
  g_ptr_array_set_size (imp->batch, 0);
  g_array_set_size (imp->batch_lines, 0);
  return TRUE;
}

static int
cmd_import (DrdCliContext *ctx, int argc, char **argv)
{
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdCsvReader) reader = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  int idx[N_COLS];
  Import imp = { 0 };
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
    {
      g_autoptr(GString) in = g_string_new (NULL);
      char buf[65536];
      size_t n;

      while ((n = fread (buf, 1, sizeof buf, stdin)) > 0)
        g_string_append_len (in, buf, (gssize) n);
      if (ferror (stdin))
        return drd_cli_fail (_("cannot read standard input"));
      len = in->len;
      text = g_string_free (g_steal_pointer (&in), FALSE);
    }
  else if (!g_file_get_contents (argv[1], &text, &len, &error))
    return drd_cli_fail_error (NULL, error);

  reader = drd_csv_reader_new (text, (gssize) len);
  if (!drd_csv_reader_read_header (reader, columns, required, idx, &error))
    return drd_cli_fail_error (argv[1], error);

  store = drd_cli_open_store (ctx, TRUE, &error);
  if (store == NULL)
    return drd_cli_fail_error (NULL, error);

  imp.store = store;
  imp.batch = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_customer_free);
  imp.batch_lines = g_array_new (FALSE, FALSE, sizeof (guint));
  imp.ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  imp.kepco = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  imp.rejects = g_array_new (FALSE, FALSE, sizeof (Reject));

  for (;;)
    {
      g_autoptr(GError) row_error = NULL;

      if (!drd_csv_reader_next (reader, &row_error))
        {
          if (row_error == NULL)
            break;
          imp.n_rows++;
          (void) reject (&imp, drd_csv_reader_get_line (reader), "%s", row_error->message);
          continue;
        }
      (void) take_record (&imp, reader, idx);
      if (imp.batch->len >= IMPORT_CHUNK && !flush_batch (&imp, &error))
        break;
    }
  if (error == NULL)
    flush_batch (&imp, &error);

  g_array_sort (imp.rejects, reject_cmp);
  for (guint i = 0; i < imp.rejects->len; i++)
    {
      Reject *r = &g_array_index (imp.rejects, Reject, i);

      fprintf (stderr, "%u: %s\n", r->line, r->message);
      g_free (r->message);
    }
  g_array_unref (imp.rejects);
  g_ptr_array_unref (imp.batch);
  g_array_unref (imp.batch_lines);
  g_hash_table_unref (imp.ids);
  g_hash_table_unref (imp.kepco);
  if (error != NULL)
    return drd_cli_fail_error (argv[1], error);

  drd_cli_note (_("customers import: %u rows, %u inserted, %u updated, %u unchanged, %u refused"),
                imp.n_rows, imp.n_inserted, imp.n_updated, imp.n_unchanged, imp.n_rejected);
  if (imp.n_rejected > 0)
    return drd_cli_fail (_("%s: %u of %u rows refused"), argv[1], imp.n_rejected, imp.n_rows);
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
