/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The customer importer (service/drd-importer.h): every rule of a row from
 * a table, the literal internal addresses a webhook may not name, and the
 * streaming: the same rows refused on the same lines and the same
 * customers stored whatever the chunk and batch sizes, duplicates across
 * batches, a quote that is never closed, and the report file. Real
 * SQLite files in a temp dir. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "core/drd-csv.h"
#include "service/drd-importer.h"

/* ---- one row ---- */

typedef struct {
  const char *id, *name, *kepco, *resource, *kw, *cbl, *factory, *phone, *email, *webhook;
  /* NULL: accepted; otherwise the start of the reason */
  const char *reason;
} RowCase;

static const RowCase row_cases[] = {
  /* accepted, trimmed */
  { "1", "Kim", "1000000001", "r1", "1.5", "mid-6-10", "false", "010", "k@example.com", "https://example.com/h", NULL },
  { " 2 ", " Lee\t", " 0012 ", " r2 ", " 2 ", " max-4-5 ", " TRUE ", " 010 ", " l@example.com ", " http://example.com ", NULL },
  { "3", "Park", "3", "", "0", "", "", "", "", "", NULL },
  { "4", "Choi", "4", NULL, "1000000.125", NULL, "False", NULL, NULL, NULL, NULL },
  /* customer_id */
  { "", "a", "1", "", "1", "", "", "", "", "", "customer_id '' is not a positive integer" },
  { "0", "a", "1", "", "1", "", "", "", "", "", "customer_id '0' is not" },
  { "-3", "a", "1", "", "1", "", "", "", "", "", "customer_id '-3' is not" },
  { "1.0", "a", "1", "", "1", "", "", "", "", "", "customer_id '1.0' is not" },
  { "9223372036854775808", "a", "1", "", "1", "", "", "", "", "", "customer_id '9223372036854775808' is not" },
  { "12a", "a", "1", "", "1", "", "", "", "", "", "customer_id '12a' is not" },
  /* name */
  { "5", "", "1", "", "1", "", "", "", "", "", "name is empty" },
  { "5", " \t ", "1", "", "1", "", "", "", "", "", "name is empty" },
  /* kepco_customer_no */
  { "6", "a", "", "", "1", "", "", "", "", "", "kepco_customer_no is empty" },
  { "6", "a", "12-34", "", "1", "", "", "", "", "", "kepco_customer_no '12-34' must be digits only" },
  { "6", "a", "12 34", "", "1", "", "", "", "", "", "kepco_customer_no '12 34' must be digits only" },
  { "6", "a", "١٢٣", "", "1", "", "", "", "", "", "kepco_customer_no '١٢٣' must be digits only" },
  { "6", "a", "123456789012345678901234567890123", "", "1", "", "", "", "", "", "kepco_customer_no is longer than 32 digits" },
  /* registered_kw: exact decimals, never a float */
  { "7", "a", "1", "", "", "", "", "", "", "", "registered_kw is empty" },
  { "7", "a", "1", "", "1.2345", "", "", "", "", "", "registered_kw '1.2345' is not" },
  { "7", "a", "1", "", "1e3", "", "", "", "", "", "registered_kw '1e3' is not" },
  { "7", "a", "1", "", "0x10", "", "", "", "", "", "registered_kw '0x10' is not" },
  { "7", "a", "1", "", "-1", "", "", "", "", "", "registered_kw '-1' is not" },
  { "7", "a", "1", "", "+1", "", "", "", "", "", "registered_kw '+1' is not" },
  { "7", "a", "1", "", "1.", "", "", "", "", "", "registered_kw '1.' is not" },
  { "7", "a", "1", "", ".5", "", "", "", "", "", "registered_kw '.5' is not" },
  { "7", "a", "1", "", "1,5", "", "", "", "", "", "registered_kw '1,5' is not" },
  { "7", "a", "1", "", "inf", "", "", "", "", "", "registered_kw 'inf' is not" },
  { "7", "a", "1", "", "nan", "", "", "", "", "", "registered_kw 'nan' is not" },
  /* cbl_method, is_factory */
  { "8", "a", "1", "", "1", "fast", "", "", "", "", "cbl_method 'fast' is not max-4-5 or mid-6-10" },
  { "8", "a", "1", "", "1", "", "yes", "", "", "", "is_factory 'yes' is not true or false" },
  { "8", "a", "1", "", "1", "", "1", "", "", "", "is_factory '1' is not true or false" },
  /* email */
  { "9", "a", "1", "", "1", "", "", "", "not-an-email", "", "email 'not-an-email' is not an e-mail address" },
  { "9", "a", "1", "", "1", "", "", "", "@example.com", "", "email '@example.com' is not" },
  { "9", "a", "1", "", "1", "", "", "", "a@", "", "email 'a@' is not" },
  { "9", "a", "1", "", "1", "", "", "", "a@b@c", "", "email 'a@b@c' is not" },
  { "9", "a", "1", "", "1", "", "", "", "a b@example.com", "", "email 'a b@example.com' is not" },
  /* webhook_url */
  { "10", "a", "1", "", "1", "", "", "", "", "ftp://example.com/h", "webhook_url 'ftp://example.com/h' is not an http:// or https:// URL" },
  { "10", "a", "1", "", "1", "", "", "", "", "example.com/h", "webhook_url 'example.com/h' is not an http" },
  { "10", "a", "1", "", "1", "", "", "", "", "http://", "webhook_url 'http://' is not an http" },
  { "10", "a", "1", "", "1", "", "", "", "", "javascript:alert(1)", "webhook_url 'javascript:alert(1)' is not an http" },
  { "10", "a", "1", "", "1", "", "", "", "", "http://127.0.0.1:8080/h", "webhook_url 'http://127.0.0.1:8080/h' points to a loopback" },
  { "10", "a", "1", "", "1", "", "", "", "", "https://[::1]/h", "webhook_url 'https://[::1]/h' points to a loopback" },
  { "10", "a", "1", "", "1", "", "", "", "", "http://169.254.169.254/latest", "webhook_url 'http://169.254.169.254/latest' points to" },
  { "10", "a", "1", "", "1", "", "", "", "", "http://LOCALHOST/h", "webhook_url 'http://LOCALHOST/h' points to" },
  { "10", "a", "1", "", "1", "", "", "", "", "http://8.8.8.8/h", NULL },
  { "10", "a", "1", "", "1", "", "", "", "", "HTTPS://Example.COM:8443/h?x=1", NULL },
};

static void
test_rules (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (row_cases); i++)
    {
      const RowCase *rc = &row_cases[i];
      const char *values[DRD_IMPORT_N_COLS] = {
        rc->id, rc->name, rc->kepco, rc->resource, rc->kw, rc->cbl, rc->factory, rc->phone,
        rc->email, rc->webhook,
      };
      g_autoptr(GError) error = NULL;
      g_autoptr(DrdCustomer) c = drd_importer_parse_row (values, &error);

      g_test_message ("case %u: %s", i, rc->reason ? rc->reason : "accepted");
      if (rc->reason == NULL)
        {
          g_assert_no_error (error);
          g_assert_nonnull (c);
        }
      else
        {
          g_assert_null (c);
          g_assert_error (error, DRD_IMPORTER_ERROR, DRD_IMPORTER_ERROR_ROW);
          if (!g_str_has_prefix (error->message, rc->reason))
            g_error ("case %u: \"%s\" does not start with \"%s\"", i, error->message, rc->reason);
        }
    }
}

/* What an accepted row becomes: trimmed, exact watts, defaults. */
static void
test_values (void)
{
  const char *v1[DRD_IMPORT_N_COLS] = { " 2 ", " Lee\t", " 0012 ", " r2 ", " 2.5 ", " max-4-5 ",
                                        " TRUE ", " 010 ", " l@example.com ", " http://example.com " };
  const char *v2[DRD_IMPORT_N_COLS] = { "4", "Choi", "4", NULL, "1000000.125", NULL, NULL, "", NULL, NULL };
  const char *v3[DRD_IMPORT_N_COLS] = { "5", "x", "5", "r", "0.001", "", "", "", "", "" };
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdCustomer) a = drd_importer_parse_row (v1, &error);
  g_autoptr(DrdCustomer) b = drd_importer_parse_row (v2, &error);
  g_autoptr(DrdCustomer) c = drd_importer_parse_row (v3, &error);

  g_assert_no_error (error);
  g_assert_cmpint (a->id, ==, 2);
  g_assert_cmpstr (a->name, ==, "Lee");
  g_assert_cmpstr (a->kepco_no, ==, "0012");
  g_assert_cmpstr (a->resource, ==, "r2");
  g_assert_cmpint (a->registered_w, ==, 2500);
  g_assert_cmpint (a->cbl_method, ==, DRD_CBL_MAX_4_5);
  g_assert_true (a->is_factory);
  g_assert_cmpstr (a->phone, ==, "010");
  g_assert_cmpstr (a->email, ==, "l@example.com");
  g_assert_cmpstr (a->webhook_url, ==, "http://example.com");

  g_assert_cmpstr (b->resource, ==, DRD_IMPORTER_DEFAULT_RESOURCE);
  g_assert_cmpint (b->registered_w, ==, 1000000125);
  g_assert_cmpint (b->cbl_method, ==, DRD_CBL_MID_6_10);
  g_assert_false (b->is_factory);
  g_assert_null (b->phone);
  g_assert_null (b->email);
  g_assert_null (b->webhook_url);

  /* 0.001 kW is 1 W: no float rounding on the way */
  g_assert_cmpint (c->registered_w, ==, 1);
}

static void
test_internal_hosts (void)
{
  static const struct { const char *host; gboolean internal; } cases[] = {
    { "127.0.0.1", TRUE }, { "127.1", TRUE }, { "2130706433", TRUE }, { "0x7f.0.0.1", TRUE },
    { "0177.0.0.1", TRUE }, { "0.0.0.0", TRUE }, { "0", TRUE }, { "10.1.2.3", TRUE },
    { "172.16.0.1", TRUE }, { "172.31.255.255", TRUE }, { "192.168.1.1", TRUE },
    { "169.254.169.254", TRUE }, { "100.64.0.1", TRUE }, { "224.0.0.1", TRUE },
    { "255.255.255.255", TRUE }, { "::1", TRUE }, { "::", TRUE }, { "::ffff:127.0.0.1", TRUE },
    { "::ffff:10.0.0.1", TRUE }, { "fe80::1", TRUE }, { "fe80::1%eth0", TRUE }, { "fd00::1", TRUE },
    { "fc00::1", TRUE }, { "ff02::1", TRUE }, { "64:ff9b::7f00:1", TRUE }, { "localhost", TRUE },
    { "LocalHost.", TRUE }, { "api.localhost", TRUE },
    { "8.8.8.8", FALSE }, { "172.32.0.1", FALSE }, { "172.15.0.1", FALSE }, { "100.128.0.1", FALSE },
    { "192.169.0.1", FALSE }, { "2001:db8::1", FALSE }, { "2606:4700::1111", FALSE },
    { "::ffff:8.8.8.8", FALSE }, { "example.com", FALSE }, { "1.example", FALSE },
    { "deadbeef.example", FALSE }, { "localhost.example.com", FALSE }, { "10.example.com", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    if (drd_importer_host_is_internal (cases[i].host) != cases[i].internal)
      g_error ("%s: expected %s", cases[i].host, cases[i].internal ? "internal" : "not internal");
}

/* ---- the import ---- */

typedef struct {
  char     *dir;
  DrdStore *store;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  f->dir = g_dir_make_tmp ("drd-importer-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "drdesk.db", NULL);
  f->store = drd_store_open (path, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  g_clear_object (&f->store);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
}

static void
collect (guint64 line, const char *reason, gpointer user_data)
{
  g_string_append_printf (user_data, "%" G_GUINT64_FORMAT ": %s\n", line, reason);
}

static gboolean
dump_one (const DrdCustomer *c, gpointer user_data)
{
  g_string_append_printf (user_data, "%" G_GINT64_FORMAT "|%s|%s|%s|%" G_GINT64_FORMAT "|%d|%d|%s|%s|%s\n",
                          c->id, c->name, c->kepco_no, c->resource, c->registered_w, c->cbl_method,
                          c->is_factory, c->phone ? c->phone : "-", c->email ? c->email : "-",
                          c->webhook_url ? c->webhook_url : "-");
  return TRUE;
}

static char *
dump (DrdStore *store)
{
  GString *out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  drd_store_foreach_customer (store, dump_one, out, &error);
  g_assert_no_error (error);
  return g_string_free (out, FALSE);
}

/* Imports @csv into a fresh database with the given limits; returns the
 * report and (in *@out_dump) the stored customers. */
static char *
import_text (Fixture *f, const char *csv, gsize chunk, guint batch, gsize max_row,
             char **out_dump, DrdImportCounts *out_counts, GError **error)
{
  g_autofree char *path = NULL;
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(DrdImporter) importer = NULL;
  g_autoptr(GInputStream) input = g_memory_input_stream_new_from_data (csv, (gssize) strlen (csv), NULL);
  g_autoptr(GError) local_error = NULL;
  static guint n;
  GString *report = g_string_new (NULL);

  path = g_strdup_printf ("%s/run-%u.db", f->dir, n++);
  store = drd_store_open (path, &local_error);
  g_assert_no_error (local_error);
  importer = drd_importer_new (store, "test");
  drd_importer_set_refused_func (importer, collect, report);
  drd_importer_set_limits (importer, chunk, batch, max_row);
  if (!drd_importer_run (importer, input, NULL, error))
    g_assert_true (error != NULL && *error != NULL);
  if (out_counts != NULL)
    *out_counts = *drd_importer_get_counts (importer);
  if (out_dump != NULL)
    *out_dump = dump (store);
  return g_string_free (report, FALSE);
}

#define HEADER "customer_id,name,kepco_customer_no,resource,registered_kw,cbl_method,is_factory,phone,email,webhook_url"

/* Every line ending, quoted line breaks, a BOM, a row opening with U+FEFF,
 * empty lines, syntax errors and rule errors. */
static const char stream_csv[] =
  "\xEF\xBB\xBF" HEADER "\r\n"                                 /* 1 */
  "1,Kim,1000000001,r1,1.5,,,,,\r\n"                           /* 2 */
  "2,\"Lee\r\nsecond line\",1000000002,r1,2,,,,,\n"            /* 3-4 */
  "\n"                                                          /* 5 */
  "3,\"Park \"\"P\"\"\",1000000003,r1,3,,,,,\r"                /* 6, lone CR */
  "\xEF\xBB\xBF" "4,Choi,1000000004,r1,1,,,,,\n"               /* 7: U+FEFF opens the row */
  "5,Jung,10-05,r1,1,,,,,\n"                                    /* 8 */
  "6,Ka\"ng,1000000006,r1,1,,,,,\n"                             /* 9: stray quote */
  "7,\"Cho\"x,1000000007,r1,1,,,,,\n"                           /* 10: text after quote */
  "8,\xff\xfe,1000000008,r1,1,,,,,\n"                           /* 11: invalid UTF-8 */
  "1,Again,1000000009,r1,1,,,,,\n"                              /* 12: id of line 2 */
  "10,Kwon,1000000002,r1,1,,,,,\n"                              /* 13: number of line 3 */
  "\r\n\r\n"                                                    /* 14-15 */
  "11,\"Hwang\n\n\nfour lines\",1000000011,r1,1.001,max-4-5,true,010,h@example.com,https://example.com/h\n" /* 16-19 */
  "12,Ahn,1000000012,r1,1e3,,,,,\n"                             /* 20 */
  "13,Song,1000000013,r1,4,,,,,";                               /* 21, no line end */

static const char stream_refused[] =
  "7: customer_id '\xEF\xBB\xBF" "4' is not a positive integer\n"
  "8: kepco_customer_no '10-05' must be digits only\n"
  "9: a quote inside an unquoted field (quote the whole field and double the quote)\n"
  "10: unexpected text after a closing quote (a quote inside a field must be doubled)\n"
  "11: the text is not valid UTF-8 (save the file as UTF-8)\n"
  "12: customer_id 1 is already on line 2\n"
  "13: kepco_customer_no 1000000002 is already on line 3\n"
  "20: registered_kw '1e3' is not a non-negative number with at most 3 decimals\n";

static void
test_stream (Fixture *f, gconstpointer data)
{
  g_autofree char *ref_dump = NULL;
  g_autofree char *ref = NULL;
  DrdImportCounts counts;
  g_autoptr(GError) error = NULL;
  static const guint batches[] = { 1, 2, 3, 1000 };

  ref = import_text (f, stream_csv, 0, 0, 0, &ref_dump, &counts, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ref, ==, stream_refused);
  g_assert_cmpuint (counts.n_rows, ==, 13);
  g_assert_cmpuint (counts.n_refused, ==, 8);
  g_assert_cmpuint (counts.n_inserted, ==, 5);
  g_assert_cmpuint (counts.bytes_read, ==, sizeof stream_csv - 1);
  g_assert_nonnull (strstr (ref_dump, "2|Lee\r\nsecond line|1000000002|"));
  g_assert_nonnull (strstr (ref_dump, "3|Park \"P\"|1000000003|"));
  g_assert_nonnull (strstr (ref_dump, "11|Hwang\n\n\nfour lines|1000000011|r1|1001|1|1|010|h@example.com|https://example.com/h\n"));
  g_assert_nonnull (strstr (ref_dump, "13|Song|1000000013|r1|4000|"));

  /* Every cut of the file into chunks, every batch size: the same. */
  for (gsize chunk = 1; chunk <= 40; chunk++)
    for (guint b = 0; b < G_N_ELEMENTS (batches); b++)
      {
        g_autofree char *got_dump = NULL;
        g_autofree char *got = import_text (f, stream_csv, chunk, batches[b], 0, &got_dump, NULL,
                                            &error);

        g_assert_no_error (error);
        if (g_strcmp0 (got, ref) != 0 || g_strcmp0 (got_dump, ref_dump) != 0)
          g_error ("chunk %zu, batch %u:\n%s\n---\n%s", chunk, batches[b], got, got_dump);
      }
}

/* Duplicates far apart, in other batches than the first row. */
static void
test_duplicates_across_batches (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) csv = g_string_new (HEADER "\n");
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autofree char *got = NULL, *got_dump = NULL;
  g_autoptr(GError) error = NULL;
  DrdImportCounts counts;

  for (guint i = 1; i <= 500; i++)
    g_string_append_printf (csv, "%u,c%u,%u,r,1,,,,,\n", i, i, 1000 + i);
  for (guint i = 1; i <= 500; i += 7)
    {
      g_string_append_printf (csv, "%u,again,%u,r,1,,,,,\n", i, 9000 + i);
      g_string_append_printf (expected, "%u: customer_id %u is already on line %u\n",
                              (guint) (500 + 1 + (i / 7) * 2 + 1), i, i + 1);
      g_string_append_printf (csv, "%u,other,%u,r,1,,,,,\n", 5000 + i, 1000 + i);
      g_string_append_printf (expected, "%u: kepco_customer_no %u is already on line %u\n",
                              (guint) (500 + 1 + (i / 7) * 2 + 2), 1000 + i, i + 1);
    }
  got = import_text (f, csv->str, 4096, 64, 0, &got_dump, &counts, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got, ==, expected->str);
  g_assert_cmpuint (counts.n_inserted, ==, 500);
  g_assert_null (strstr (got_dump, "again"));
  g_assert_null (strstr (got_dump, "other"));
}

/* Re-import: every row unchanged; a KEPCO number another customer holds
 * in the database is refused. */
static void
test_against_database (Fixture *f, gconstpointer data)
{
  g_autoptr(DrdImporter) importer = drd_importer_new (f->store, "test");
  g_autoptr(GString) report = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  const char *first = HEADER "\n1,a,111,r,1,,,,,\n2,b,222,r,1,,,,,\n";
  const char *second = HEADER "\n1,a,111,r,1,,,,,\n3,c,222,r,1,,,,,\n";
  g_autoptr(GInputStream) in1 = g_memory_input_stream_new_from_data (first, -1, NULL);
  g_autoptr(GInputStream) in2 = g_memory_input_stream_new_from_data (second, -1, NULL);
  const DrdImportCounts *n;

  drd_importer_set_refused_func (importer, collect, report);
  g_assert_true (drd_importer_run (importer, in1, NULL, &error));
  g_assert_no_error (error);
  n = drd_importer_get_counts (importer);
  g_assert_cmpuint (n->n_inserted, ==, 2);

  g_assert_true (drd_importer_run (importer, in2, NULL, &error));
  n = drd_importer_get_counts (importer);
  g_assert_cmpuint (n->n_unchanged, ==, 1);
  g_assert_cmpuint (n->n_updated, ==, 0);
  g_assert_cmpuint (n->n_refused, ==, 1);
  g_assert_cmpstr (report->str, ==, "3: customer 3: kepco_customer_no 222 is already used by customer 2\n");
}

/* A quote never closed: refused once the row passes the limit; the rows
 * before are stored and the rest of the file is not read. */
static void
test_unterminated (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) csv = g_string_new (HEADER "\n1,a,1,r,1,,,,,\n2,\"never closed,2,r,1,,,,,\n");
  g_autofree char *got = NULL, *got_dump = NULL;
  g_autoptr(GError) error = NULL;
  DrdImportCounts counts;

  for (guint i = 3; i < 2000; i++)
    g_string_append_printf (csv, "%u,c,%u,r,1,,,,,\n", i, i);
  got = import_text (f, csv->str, 256, 10, 4096, &got_dump, &counts, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got, ==, "3: the row is longer than 4 KiB (is a quoted field not closed?); "
                            "the rest of the file was not read\n");
  g_assert_cmpstr (got_dump, ==, "1|a|1|r|1000|0|0|-|-|-\n");
  g_assert_cmpuint (counts.n_refused, ==, 1);
  g_assert_cmpuint (counts.bytes_read, <, csv->len);

  /* At the end of the file it is the reader's own reason. */
  g_clear_pointer (&got, g_free);
  got = import_text (f, HEADER "\n1,a,1,r,1,,,,,\n2,\"open", 3, 10, 4096, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got, ==, "3: a quoted field is not closed before the end of the file\n");
}

static void
test_bad_header (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dump_text = NULL;
  g_autofree char *got = import_text (f, "customer_id,name\n1,a\n", 4, 0, 0, &dump_text, NULL, &error);

  g_assert_error (error, DRD_CSV_ERROR, DRD_CSV_ERROR_MISSING_COLUMN);
  g_assert_cmpstr (dump_text, ==, "");
  g_assert_cmpstr (got, ==, "");
  g_clear_error (&error);
  g_clear_pointer (&got, g_free);
  got = import_text (f, "", 4, 0, 0, NULL, NULL, &error);
  g_assert_error (error, DRD_CSV_ERROR, DRD_CSV_ERROR_NO_HEADER);
}

/* The report keeps every line in a file and reads any of them back. */
static void
test_report (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdImportReport) report = drd_import_report_new (&error);
  g_autoptr(GString) all = g_string_new (NULL);
  g_autofree char *dir = g_dir_make_tmp ("drd-report-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "report.txt", NULL);
  g_autofree char *saved = NULL;
  const guint n = 100000;

  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *reason = g_strdup_printf ("reason %u: %s", i, i % 3 ? "이름이 비어 있음" : "x");

      drd_import_report_add (i + 2, reason, report);
      g_string_append_printf (all, "%u: %s\n", i + 2, reason);
    }
  g_assert_true (drd_import_report_close (report, &error));
  g_assert_cmpuint (drd_import_report_get_n_lines (report), ==, n);
  for (guint k = 0; k < 2000; k++)
    {
      guint i = (guint) g_test_rand_int_range (0, (gint32) n);
      g_autofree char *line = drd_import_report_get_line (report, i, &error);
      g_autofree char *want = g_strdup_printf ("%u: reason %u: %s", i + 2, i,
                                               i % 3 ? "이름이 비어 있음" : "x");

      g_assert_no_error (error);
      g_assert_cmpstr (line, ==, want);
    }
  g_assert_true (drd_import_report_save (report, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &saved, NULL, &error));
  g_assert_cmpstr (saved, ==, all->str);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/importer/rules", test_rules);
  g_test_add_func ("/importer/values", test_values);
  g_test_add_func ("/importer/internal-hosts", test_internal_hosts);
  g_test_add ("/importer/stream", Fixture, NULL, fixture_set_up, test_stream, fixture_tear_down);
  g_test_add ("/importer/duplicates-across-batches", Fixture, NULL, fixture_set_up,
              test_duplicates_across_batches, fixture_tear_down);
  g_test_add ("/importer/against-database", Fixture, NULL, fixture_set_up, test_against_database,
              fixture_tear_down);
  g_test_add ("/importer/unterminated", Fixture, NULL, fixture_set_up, test_unterminated,
              fixture_tear_down);
  g_test_add ("/importer/bad-header", Fixture, NULL, fixture_set_up, test_bad_header,
              fixture_tear_down);
  g_test_add_func ("/importer/report", test_report);
  return g_test_run ();
}
