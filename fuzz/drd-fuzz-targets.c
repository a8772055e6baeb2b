/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "drd-fuzz-targets.h"

#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/drd-calendar.h"
#include "core/drd-csv.h"
#include "core/drd-time.h"
#include "kepco/drd-kepco-parse.h"
#include "kepco/drd-kepco-parse-private.h"
#include "portal/drd-portal-form.h"
#include "portal/drd-portal-template.h"

/* Not g_assert(): that one disappears under G_DISABLE_ASSERT, and these
 * checks are the whole point of the targets. */
#define CHECK(cond, ...)                                                      \
  G_STMT_START {                                                              \
    if (G_UNLIKELY (!(cond)))                                                 \
      fail (G_STRLOC, #cond, __VA_ARGS__);                                    \
  } G_STMT_END

G_GNUC_NORETURN G_GNUC_PRINTF (3, 4) static void
fail (const char *where, const char *cond, const char *format, ...)
{
  va_list args;

  fprintf (stderr, "fuzz invariant broken at %s: %s\n  ", where, cond);
  va_start (args, format);
  vfprintf (stderr, format, args);
  va_end (args);
  fputc ('\n', stderr);
  fflush (stderr);
  abort ();
}

void
drd_fuzz_init (void)
{
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}

/* An error from a parser must carry a message a window can show. */
static void
check_error (const GError *error, GQuark domain, const char *what)
{
  CHECK (error != NULL, "%s failed without setting an error", what);
  CHECK (error->domain == domain, "%s: error from domain %s, expected %s (%s)",
         what, g_quark_to_string (error->domain), g_quark_to_string (domain), error->message);
  CHECK (error->message != NULL && error->message[0] != '\0', "%s: empty error message", what);
  CHECK (g_utf8_validate (error->message, -1, NULL),
         "%s: error message is not valid UTF-8 (a label would refuse it)", what);
}

/* ------------------------------------------------------------------ */
/* CSV: the reader over arbitrary bytes, then the writer's text of every
 * record it accepted must read back as exactly the same records. */

static const char * const csv_columns[] = {
  "customer_id", "name", "kepco_customer_no", "resource", "registered_kw",
  "cbl_method", "is_factory", "phone", "email", "webhook_url", NULL
};
static const char * const csv_required[] = {
  "customer_id", "name", "kepco_customer_no", "registered_kw", NULL
};

/* The current record as a GStrv (fields never hold NUL: the reader refuses
 * records that are not valid UTF-8, and NUL is not). */
static char **
csv_record (DrdCsvReader *r)
{
  guint n = drd_csv_reader_get_n_fields (r);
  char **fields = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    {
      const char *f = drd_csv_reader_get_field (r, i);
      gsize len = drd_csv_reader_get_field_len (r, i);

      CHECK (f != NULL, "field %u of %u is NULL", i, n);
      CHECK (strlen (f) == len, "field %u: length %" G_GSIZE_FORMAT " but strlen %" G_GSIZE_FORMAT,
             i, len, strlen (f));
      CHECK (g_utf8_validate (f, (gssize) len, NULL), "field %u is not valid UTF-8", i);
      fields[i] = g_strndup (f, len);
    }
  CHECK (drd_csv_reader_get_field (r, n) == NULL, "field past the end is not NULL");
  CHECK (strcmp (drd_csv_reader_get_column (r, -1), "") == 0, "column -1 is not empty");
  CHECK (strcmp (drd_csv_reader_get_column (r, (int) n), "") == 0, "column past the end is not empty");
  return fields;
}

static gboolean
csv_error_code_ok (const GError *error)
{
  return error->code == DRD_CSV_ERROR_INVALID_UTF8 ||
         error->code == DRD_CSV_ERROR_BAD_QUOTE ||
         error->code == DRD_CSV_ERROR_UNTERMINATED_QUOTE;
}

/* Reads every record of @data; records go to @records (may be NULL).
 * Returns the number of errors. */
static guint
csv_read_all (const char *data, gsize size, gboolean with_header, GPtrArray *records)
{
  g_autoptr (DrdCsvReader) r = drd_csv_reader_new (data, (gssize) size);
  guint n_errors = 0, last_line = 0, last_number = 0, guard = 0;
  gboolean fatal = FALSE;

  if (with_header)
    {
      int idx[G_N_ELEMENTS (csv_columns)];
      g_autoptr (GError) error = NULL;

      if (drd_csv_reader_read_header (r, csv_columns, csv_required, idx, &error))
        {
          guint n = drd_csv_reader_get_n_fields (r);

          CHECK (error == NULL, "read_header succeeded with an error set");
          for (guint i = 0; csv_columns[i]; i++)
            {
              CHECK (idx[i] >= -1 && idx[i] < (int) n, "column %s mapped to %d of %u fields",
                     csv_columns[i], idx[i], n);
              for (guint j = 0; j < i; j++)
                CHECK (idx[i] < 0 || idx[i] != idx[j], "columns %s and %s share field %d",
                       csv_columns[i], csv_columns[j], idx[i]);
            }
          for (guint i = 0; csv_required[i]; i++)
            for (guint j = 0; csv_columns[j]; j++)
              if (strcmp (csv_required[i], csv_columns[j]) == 0)
                CHECK (idx[j] >= 0, "required column %s unmapped after success", csv_required[i]);
          last_line = drd_csv_reader_get_line (r);
          last_number = drd_csv_reader_get_record_number (r);
          CHECK (last_number == 1, "header is record %u", last_number);
          if (records)
            g_ptr_array_add (records, csv_record (r));
        }
      else
        {
          check_error (error, DRD_CSV_ERROR, "read_header");
          if (error->code == DRD_CSV_ERROR_UNTERMINATED_QUOTE)
            fatal = TRUE;
          if (csv_error_code_ok (error))
            n_errors++;
          /* a header that parsed but lacks columns was a record */
          last_number = drd_csv_reader_get_record_number (r);
          CHECK (last_number <= 1, "a failed header left record number %u", last_number);
        }
    }

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      gboolean ok;

      /* Every call consumes at least one byte or ends: a loop means a hang. */
      CHECK (guard++ <= size + 2, "reader made no progress after %u calls", guard);
      ok = drd_csv_reader_next (r, &error);
      if (ok)
        {
          guint line = drd_csv_reader_get_line (r);
          guint number = drd_csv_reader_get_record_number (r);

          CHECK (!fatal, "a record after a fatal error");
          CHECK (error == NULL, "next() returned TRUE with an error");
          CHECK (drd_csv_reader_get_n_fields (r) >= 1, "a record without fields");
          CHECK (line >= 1 && line > last_line, "record line %u after line %u", line, last_line);
          CHECK (number == last_number + 1, "record number %u after %u", number, last_number);
          last_line = line;
          last_number = number;
          if (records)
            g_ptr_array_add (records, csv_record (r));
        }
      else if (error != NULL)
        {
          g_autofree char *prefix = NULL;

          check_error (error, DRD_CSV_ERROR, "next");
          CHECK (csv_error_code_ok (error), "next() failed with code %d: %s", error->code,
                 error->message);
          CHECK (!fatal, "an error after a fatal error");
          prefix = g_strdup_printf ("line %u:", drd_csv_reader_get_line (r));
          CHECK (g_str_has_prefix (error->message, prefix), "“%s” does not start with “%s”",
                 error->message, prefix);
          CHECK (drd_csv_reader_get_line (r) > last_line || last_line == 0,
                 "bad record on line %u after a record on line %u",
                 drd_csv_reader_get_line (r), last_line);
          CHECK (drd_csv_reader_get_n_fields (r) == 0 || error->code != DRD_CSV_ERROR_INVALID_UTF8,
                 "a record refused for its UTF-8 still has fields");
          if (error->code == DRD_CSV_ERROR_UNTERMINATED_QUOTE)
            fatal = TRUE;
          n_errors++;
        }
      else
        break;
    }
  return n_errors;
}

int
drd_fuzz_csv (const guint8 *data, size_t size)
{
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr (GPtrArray) again = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr (GString) out = g_string_new (NULL);
  DrdCsvWriter writer;
  gboolean bom = size % 2 == 1;   /* both ways, chosen by the input */

  /* The importer's way: header mapping, then records. */
  csv_read_all ((const char *) data, size, TRUE, NULL);
  /* Plain records, kept for the round trip. */
  csv_read_all ((const char *) data, size, FALSE, records);

  /* Write them back, alternating the two writer APIs. */
  drd_csv_writer_init (&writer, out, bom);
  for (guint i = 0; i < records->len; i++)
    {
      char **fields = records->pdata[i];

      if (i % 2 == 0)
        drd_csv_write_record (out, (const char * const *) fields, g_strv_length (fields));
      else
        {
          for (guint f = 0; fields[f]; f++)
            drd_csv_writer_field (&writer, fields[f]);
          drd_csv_writer_end_record (&writer);
        }
    }

  CHECK (csv_read_all (out->str, out->len, FALSE, again) == 0,
         "the writer's own text does not read back without errors:\n%s", out->str);
  CHECK (again->len == records->len, "%u records written, %u read back:\n%s",
         records->len, again->len, out->str);
  for (guint i = 0; i < records->len; i++)
    {
      char **a = records->pdata[i], **b = again->pdata[i];

      CHECK (g_strv_equal ((const char * const *) a, (const char * const *) b),
             "record %u changed in the round trip (%u fields → %u):\n%s", i,
             g_strv_length (a), g_strv_length (b), out->str);
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* KEPCO day bodies: the answer is a well-formed day or a MALFORMED error,
 * the fast path never disagrees with json-glib, and the request's own
 * customer and date are accepted while others are refused. */

static void
check_day (const DrdKepcoDay *day, const char *what)
{
  guint present = 0;

  CHECK (day->status == DRD_KEPCO_DAY_OK || day->status == DRD_KEPCO_DAY_NOT_YET_AVAILABLE,
         "%s: status %d", what, day->status);
  CHECK (day->cust_no != NULL, "%s: no cust_no", what);
  CHECK (memchr (day->date, '\0', sizeof day->date) != NULL, "%s: date not terminated", what);
  for (guint i = 0; i < DRD_KEPCO_SLOTS_PER_DAY; i++)
    {
      CHECK (day->wh[i] == DRD_KEPCO_SLOT_MISSING ||
             (day->wh[i] >= 0 && day->wh[i] <= DRD_KEPCO_MAX_SLOT_WH),
             "%s: slot %u holds %d Wh", what, i, day->wh[i]);
      if (day->wh[i] != DRD_KEPCO_SLOT_MISSING)
        present++;
    }
  CHECK (day->n_present == present, "%s: n_present %u but %u slots present", what,
         day->n_present, present);
  if (day->status == DRD_KEPCO_DAY_OK)
    {
      char norm[9];

      CHECK (strlen (day->date) == 8 && drd_kepco_normalize_date (day->date, norm) &&
             strcmp (norm, day->date) == 0, "%s: day with date “%s”", what, day->date);
      CHECK (drd_kepco_day_total_wh (day) <= (gint64) present * DRD_KEPCO_MAX_SLOT_WH,
             "%s: total beyond its slots", what);
    }
  else
    CHECK (present == 0, "%s: a day not yet available with %u slots", what, present);
}

static gboolean
days_equal (const DrdKepcoDay *a, const DrdKepcoDay *b)
{
  return a->status == b->status && strcmp (a->cust_no, b->cust_no) == 0 &&
         strcmp (a->date, b->date) == 0 && a->n_present == b->n_present &&
         memcmp (a->wh, b->wh, sizeof a->wh) == 0;
}

static DrdKepcoDay *
kepco_parse (const guint8 *data, size_t size, const char *cust, const char *date,
             guint flags, const char *what)
{
  g_autoptr (GError) error = NULL;
  DrdKepcoDay *day;

  day = drd_kepco_parse_day_with_flags ((const char *) data, size, cust, date, flags, &error);
  if (day)
    {
      CHECK (error == NULL, "%s: a day and an error", what);
      check_day (day, what);
    }
  else if (!(flags & DRD_KEPCO_PARSE_FAST_PATH_ONLY) || error)
    {
      check_error (error, DRD_KEPCO_ERROR, what);
      CHECK (error->code == DRD_KEPCO_ERROR_MALFORMED ||
             (error->code == DRD_KEPCO_ERROR_INVALID_ARGUMENT && date != NULL),
             "%s: error code %d (%s)", what, error->code, error->message);
    }
  return day;
}

#ifdef DRD_FUZZ_SKIP_KNOWN
/* Two json-glib 1.6.6 leaks, found here and reported
 * (fuzz/crashes/kepco/leak-json-glib-*, which tests/fuzz still replays, so
 * build-aux/sanitize shows them until drd-kepco-parse.c refuses such bodies
 * before json-glib sees them):
 *   - a second top-level object or array after the first ("{…}{…}",
 *     "\"\"{…}") is accepted; the first is the root, the rest leaks;
 *   - a surrogate escape that is not a proper pair ("\udfff", "\ud800\u0041")
 *     leaks the string being scanned ("malformed surrogate pair"); all
 *     surrogate escapes are skipped, valid pairs too.
 * While fuzzing, inputs of those shapes are skipped so the fuzzer can look
 * for anything else. */
static gboolean
json_second_top_level_container (const guint8 *data, size_t size)
{
  int depth = 0;
  gboolean in_string = FALSE, seen_top = FALSE;

  for (size_t i = 0; i < size; i++)
    {
      guint8 c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '{' || c == '[')
        {
          if (depth == 0 && seen_top)
            return TRUE;
          seen_top = TRUE;
          depth++;
        }
      else if (c == '}' || c == ']')
        depth--;
      else if (c == '"')
        {
          seen_top = TRUE;
          in_string = TRUE;
        }
      else if (depth == 0 && c != ' ' && c != '\t' && c != '\n' && c != '\r')
        seen_top = TRUE;
    }
  return FALSE;
}

static gboolean
json_known_leak (const guint8 *data, size_t size)
{
  for (size_t i = 0; i + 3 < size; i++)
    if (data[i] == '\\' && data[i + 1] == 'u' && g_ascii_tolower (data[i + 2]) == 'd' &&
        strchr ("89abcdefABCDEF", data[i + 3]) != NULL && data[i + 3] != '\0')
      return TRUE;
  return json_second_top_level_container (data, size);
}
#endif

int
drd_fuzz_kepco (const guint8 *data, size_t size)
{
  g_autoptr (DrdKepcoDay) day = NULL;
  g_autoptr (DrdKepcoDay) slow = NULL;
  g_autoptr (DrdKepcoDay) fast = NULL;

#ifdef DRD_FUZZ_SKIP_KNOWN
  if (json_known_leak (data, size))
    return 0;
#endif
  day = kepco_parse (data, size, NULL, NULL, 0, "default");
  slow = kepco_parse (data, size, NULL, NULL, DRD_KEPCO_PARSE_NO_FAST_PATH, "json-glib");
  fast = kepco_parse (data, size, NULL, NULL, DRD_KEPCO_PARSE_FAST_PATH_ONLY, "fast path");

  CHECK ((day == NULL) == (slow == NULL), "default %s but json-glib %s",
         day ? "accepts" : "refuses", slow ? "accepts" : "refuses");
  CHECK (day == NULL || days_equal (day, slow), "default and json-glib disagree on the day");
  CHECK (fast == NULL || (slow != NULL && days_equal (fast, slow)),
         "the fast path accepts what json-glib %s", slow ? "reads differently" : "refuses");

  if (day && day->status == DRD_KEPCO_DAY_OK)
    {
      g_autoptr (DrdKepcoDay) same = NULL;
      g_autoptr (DrdKepcoDay) other_cust = NULL;
      g_autoptr (DrdKepcoDay) other_date = NULL;
      g_autofree char *dashed = g_strdup_printf ("%.4s-%.2s-%.2s", day->date, day->date + 4,
                                                 day->date + 6);
      g_autofree char *wrong_cust = g_strconcat (day->cust_no, "9", NULL);
      const char *wrong_date = strcmp (day->date, "20260701") == 0 ? "20260702" : "20260701";

      /* the request that this body answers */
      same = kepco_parse (data, size, day->cust_no, dashed, 0, "expected");
      CHECK (same != NULL && days_equal (same, day), "refused for its own customer and date");
      other_cust = kepco_parse (data, size, wrong_cust, NULL, 0, "other customer");
      CHECK (other_cust == NULL, "accepted for customer %s but names %s", wrong_cust, day->cust_no);
      other_date = kepco_parse (data, size, NULL, wrong_date, 0, "other date");
      CHECK (other_date == NULL, "accepted for %s but names %s", wrong_date, day->date);
    }
  else if (day)
    {
      /* not yet available: the answer takes the request's identity */
      g_autoptr (DrdKepcoDay) asked = kepco_parse (data, size, "0123456789", "2026-07-01", 0,
                                                   "not yet, asked");

      CHECK (asked != NULL && asked->status == DRD_KEPCO_DAY_NOT_YET_AVAILABLE &&
             strcmp (asked->cust_no, "0123456789") == 0 && strcmp (asked->date, "20260701") == 0,
             "an empty list does not answer the request it was given");
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* ISO 8601 and dates: whatever is accepted formats to text that parses
 * back to the same instant; dates format back to the exact input. */

static gint64
seoul_min (void)
{
  return drd_date_start (drd_date_from_ymd (1, 1, 1));
}

static gint64
seoul_max (void)
{
  return drd_date_start (drd_date_from_ymd (9999, 12, 31)) + DRD_SECONDS_PER_DAY - 1;
}

static void
check_instant_round_trip (gint64 t, const char *input)
{
  char buf[26];
  gint64 back = 0;
  g_autoptr (GError) error = NULL;
  g_autofree char *dup = NULL;

  drd_time_format_iso8601_buf (t, buf);
  CHECK (strlen (buf) == 25 && buf[4] == '-' && buf[7] == '-' && buf[10] == 'T' &&
         g_str_has_suffix (buf, "+09:00"),
         "instant %" G_GINT64_FORMAT " (from “%s”) formats as “%s”", t, input, buf);
  CHECK (drd_time_parse_iso8601 (buf, &back, &error),
         "“%s” (from “%s”) does not parse back: %s", buf, input, error ? error->message : "");
  CHECK (back == t, "“%s” → %" G_GINT64_FORMAT " → “%s” → %" G_GINT64_FORMAT, input, t, buf, back);
  dup = drd_time_format_iso8601 (t);
  CHECK (strcmp (dup, buf) == 0, "the two formatters disagree: “%s” vs “%s”", dup, buf);
  CHECK (drd_date_start (drd_date_of_instant (t)) + drd_seconds_of_day (t) == t,
         "date and seconds of day do not add up for %" G_GINT64_FORMAT, t);
  CHECK (drd_slot_of_instant (t) >= 0 && drd_slot_of_instant (t) < DRD_SLOTS_PER_DAY,
         "slot %d", drd_slot_of_instant (t));
}

int
drd_fuzz_time (const guint8 *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);   /* up to the first NUL */
  g_autoptr (GError) error = NULL;
  gint64 t = 0;
  DrdDate date = 0;
  gboolean iso_ok, date_ok;
  int slot;

  iso_ok = drd_time_parse_iso8601 (text, &t, &error);
  if (iso_ok)
    {
      CHECK (error == NULL, "accepted with an error set");
      CHECK (t >= seoul_min () && t <= seoul_max (),
             "“%s” is accepted as %" G_GINT64_FORMAT ", outside the Seoul years 0001–9999 "
             "that drd_time_format_iso8601() can write", text, t);
      check_instant_round_trip (t, text);
    }
  else
    check_error (error, DRD_TIME_ERROR, "drd_time_parse_iso8601");
  g_clear_error (&error);

  date_ok = drd_date_parse (text, &date, &error);
  if (date_ok)
    {
      g_autofree char *back = drd_date_format (date);
      char buf[11];

      CHECK (strcmp (back, text) == 0, "date “%s” formats as “%s”", text, back);
      CHECK (strcmp (drd_date_format_buf (date, buf), back) == 0, "the two date formatters disagree");
      CHECK (iso_ok && t == drd_date_start (date), "a date the ISO parser reads differently");
      CHECK (drd_date_weekday (date) >= 1 && drd_date_weekday (date) <= 7, "weekday %d",
             drd_date_weekday (date));
    }
  else
    {
      check_error (error, DRD_TIME_ERROR, "drd_date_parse");
      CHECK (!iso_ok || strlen (text) > 10, "ISO accepts the bare date “%s” that drd_date_parse refuses",
             text);
    }
  g_clear_error (&error);

  if (drd_date_parse_compact (text, &date, &error))
    {
      g_autofree char *back = drd_date_format_compact (date);
      char norm[9];

      CHECK (strcmp (back, text) == 0, "compact date “%s” formats as “%s”", text, back);
      /* KEPCO's normaliser takes the same dates from 1900 on */
      CHECK (drd_kepco_normalize_date (text, norm) == (strncmp (text, "1900", 4) >= 0),
             "drd_kepco_normalize_date and drd_date_parse_compact disagree on “%s”", text);
    }
  else
    check_error (error, DRD_TIME_ERROR, "drd_date_parse_compact");
  g_clear_error (&error);

  slot = drd_slot_from_field_suffix (text);
  if (slot >= 0)
    {
      char suffix[5];
      const char *bare = g_str_has_prefix (text, "pwr_qty") ? text + 7 : text;

      CHECK (slot < DRD_SLOTS_PER_DAY, "slot %d from “%s”", slot, text);
      drd_slot_to_field_suffix (slot, suffix);
      CHECK (strcmp (suffix, bare) == 0, "“%s” → slot %d → “%s”", text, slot, suffix);
      CHECK (strcmp (drd_kepco_slot_field ((guint) slot) + 7, suffix) == 0,
             "kepco and core name slot %d differently", slot);
    }
  else
    CHECK (slot == -1, "slot %d", slot);

  /* The bytes as an instant anywhere in the supported years. */
  if (size >= sizeof (gint64))
    {
      guint64 raw;
      gint64 span = seoul_max () - seoul_min () + 1;

      memcpy (&raw, data, sizeof raw);
      check_instant_round_trip (seoul_min () + (gint64) (raw % (guint64) span), "raw bytes");
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Holiday files: all or nothing, and what a calendar writes it reads back
 * as the same calendar. */

int
drd_fuzz_calendar (const guint8 *data, size_t size)
{
  static const char base[] = "2026-01-01,신정\n";
  g_autoptr (DrdCalendar) cal = NULL;
  g_autoptr (DrdCalendar) existing = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gboolean loaded;

  cal = drd_calendar_new_from_data ((const char *) data, (gssize) size, &error);
  if (cal == NULL)
    {
      check_error (error, DRD_CALENDAR_ERROR, "drd_calendar_new_from_data");
      CHECK (g_str_has_prefix (error->message, "line "), "“%s” names no line", error->message);
    }
  else
    {
      g_autoptr (DrdCalendar) again = NULL;
      g_autoptr (GError) again_error = NULL;
      g_autofree char *text = drd_calendar_to_data (cal);
      g_autofree char *text2 = NULL;
      g_autofree DrdDate *dates = NULL;
      guint n = 0;

      CHECK (error == NULL, "a calendar and an error");
      again = drd_calendar_new_from_data (text, -1, &again_error);
      CHECK (again != NULL, "the calendar's own text does not load: %s\n%s",
             again_error ? again_error->message : "", text);
      text2 = drd_calendar_to_data (again);
      CHECK (strcmp (text, text2) == 0, "saved and reloaded calendars differ:\n%s\n---\n%s",
             text, text2);
      CHECK (drd_calendar_get_n_holidays (again) == drd_calendar_get_n_holidays (cal),
             "%u holidays became %u", drd_calendar_get_n_holidays (cal),
             drd_calendar_get_n_holidays (again));

      dates = drd_calendar_list (cal, G_MININT32 + 1, G_MAXINT32, &n);
      CHECK (n == drd_calendar_get_n_holidays (cal), "list has %u of %u holidays", n,
             drd_calendar_get_n_holidays (cal));
      for (guint i = 0; i < n; i++)
        {
          const char *name = drd_calendar_get_name (cal, dates[i]);
          int y, m, d;

          CHECK (i == 0 || dates[i - 1] < dates[i], "list not sorted at %u", i);
          CHECK (drd_calendar_is_holiday (again, dates[i]), "a holiday lost in the round trip");
          CHECK (name != NULL && strcmp (name, drd_calendar_get_name (again, dates[i])) == 0,
                 "a name changed in the round trip");
          CHECK (g_utf8_validate (name, -1, NULL) && strchr (name, '\n') == NULL &&
                 strchr (name, '\r') == NULL && strchr (name, '#') == NULL,
                 "name “%s” cannot be written back", name);
          drd_date_to_ymd (dates[i], &y, &m, &d);
          CHECK (drd_date_valid_ymd (y, m, d), "holiday on an invalid date");
          CHECK (!drd_calendar_is_business_day (cal, dates[i]), "a holiday is a business day");
        }
    }
  g_clear_error (&error);

  /* All or nothing: a failed load leaves an existing calendar as it was. */
  existing = drd_calendar_new_from_data (base, -1, NULL);
  before = drd_calendar_to_data (existing);
  loaded = drd_calendar_load_data (existing, (const char *) data, (gssize) size, &error);
  CHECK (loaded == (cal != NULL), "load_data and new_from_data disagree");
  after = drd_calendar_to_data (existing);
  if (!loaded)
    CHECK (strcmp (before, after) == 0, "a failed load changed the calendar:\n%s", after);
  else
    CHECK (drd_calendar_get_n_holidays (existing) >= 1 &&
           drd_calendar_get_n_holidays (existing) <= drd_calendar_get_n_holidays (cal) + 1,
           "merging gave %u holidays", drd_calendar_get_n_holidays (existing));
  return 0;
}

/* ------------------------------------------------------------------ */
/* Portal: what a customer's browser (or anyone) sends.  Form bodies and
 * query strings go through drd_portal_form_decode(); the header through
 * the Accept-Language negotiation; decoded text through the HTML escaper
 * and the template renderer, which must leave no markup behind. */

static void
check_escaped (const char *escaped, const char *original)
{
  g_autoptr (GString) back = g_string_new (NULL);

  for (const char *p = escaped; *p; p++)
    {
      static const struct { const char *entity; char c; } entities[] = {
        { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&#39;", '\'' },
      };
      gboolean matched = FALSE;

      CHECK (*p != '<' && *p != '>' && *p != '"' && *p != '\'',
             "markup character %c survives escaping “%s”", *p, original);
      if (*p != '&')
        {
          g_string_append_c (back, *p);
          continue;
        }
      for (guint i = 0; i < G_N_ELEMENTS (entities); i++)
        if (g_str_has_prefix (p, entities[i].entity))
          {
            g_string_append_c (back, entities[i].c);
            p += strlen (entities[i].entity) - 1;
            matched = TRUE;
            break;
          }
      CHECK (matched, "a bare & in the escaped text of “%s”", original);
    }
  CHECK (strcmp (back->str, original) == 0, "escaping “%s” does not undo to itself", original);
}

static void
check_html (const char *text)
{
  g_autofree char *escaped = drd_portal_html_escape (text);
  g_autoptr (GHashTable) vars = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *page = NULL;
  gsize n;

  check_escaped (escaped, text);
  /* the value may itself look like a placeholder: it must not expand */
  g_hash_table_insert (vars, (gpointer) "v", (gpointer) text);
  g_hash_table_insert (vars, (gpointer) "x", (gpointer) "<b>raw</b>");
  page = drd_portal_template_render ("<p title=\"{{v}}\">{{ v }}</p>", vars);
  n = strlen (page);
  CHECK (g_str_has_prefix (page, "<p title=\"") && n >= 4 && strcmp (page + n - 4, "</p>") == 0,
         "the page around “%s” broke: %s", text, page);
  {
    g_autofree char *inner = g_strndup (page + 10, n - 14);
    g_autofree char *expected = g_strconcat (escaped, "\">", escaped, NULL);

    CHECK (strcmp (inner, expected) == 0, "“%s” renders as %s", text, page);
  }
}

static char *
form_encode (GHashTable *fields, gboolean reverse)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree gpointer *keys = g_hash_table_get_keys_as_array (fields, NULL);
  guint n = g_hash_table_size (fields);

  for (guint k = 0; k < n; k++)
    {
      const char *key = keys[reverse ? n - 1 - k : k];
      g_autofree char *ek = g_uri_escape_string (key, NULL, FALSE);
      g_autofree char *ev = g_uri_escape_string (g_hash_table_lookup (fields, key), NULL, FALSE);

      if (out->len)
        g_string_append_c (out, '&');
      g_string_append_printf (out, "%s=%s", ek, ev);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
check_lang (const char *header)
{
  DrdPortalLang lang = drd_portal_lang_negotiate (header), back;
  g_auto (GStrv) items = g_strsplit (header, ",", -1);
  guint n = g_strv_length (items);

  CHECK (lang == DRD_PORTAL_LANG_KO || lang == DRD_PORTAL_LANG_EN, "language %d", lang);
  CHECK (drd_portal_lang_from_string (drd_portal_lang_to_string (lang), &back) && back == lang,
         "language %d does not round-trip through its name", lang);
  /* The choice depends on the weights, never on the order of the items. */
  if (n > 1 && n <= 64)
    {
      g_autofree char *reversed = NULL;

      for (guint i = 0; i < n / 2; i++)
        {
          char *t = items[i];
          items[i] = items[n - 1 - i];
          items[n - 1 - i] = t;
        }
      reversed = g_strjoinv (",", items);
      CHECK (drd_portal_lang_negotiate (reversed) == lang,
             "“%s” and its reverse “%s” pick different languages", header, reversed);
    }
}

int
drd_fuzz_portal (const guint8 *data, size_t size)
{
  g_autoptr (GHashTable) fields = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = g_strndup ((const char *) data, size);   /* up to the first NUL */

  fields = drd_portal_form_decode ((const char *) data, size, &error);
  if (fields == NULL)
    {
      check_error (error, G_IO_ERROR, "drd_portal_form_decode");
      CHECK (error->code == G_IO_ERROR_INVALID_DATA, "form error code %d", error->code);
    }
  else
    {
      GHashTableIter iter;
      gpointer key, value;

      CHECK (error == NULL, "a form and an error");
      CHECK (g_hash_table_size (fields) <= DRD_PORTAL_FORM_MAX_FIELDS, "%u fields",
             g_hash_table_size (fields));
      g_hash_table_iter_init (&iter, fields);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          const char *strings[2] = { key, value };
          gint64 id = 0;
          DrdAnswer answer;

          for (guint i = 0; i < 2; i++)
            {
              const char *v = strings[i];

              CHECK (strlen (v) <= DRD_PORTAL_FORM_MAX_VALUE, "a decoded %s of %" G_GSIZE_FORMAT " bytes",
                     i ? "value" : "name", strlen (v));
              CHECK (g_utf8_validate (v, -1, NULL), "a decoded %s is not UTF-8", i ? "value" : "name");
              for (const char *p = v; *p; p++)
                CHECK ((guchar) *p >= 0x20 && *p != 0x7f, "control character 0x%02x decoded", *p);
              check_html (v);
            }
          if (drd_portal_parse_event_id (value, &id))
            {
              g_autofree char *back = g_strdup_printf ("%" G_GINT64_FORMAT, id);

              CHECK (id > 0 && strcmp (back, value) == 0, "event id “%s” read as %" G_GINT64_FORMAT,
                     (const char *) value, id);
            }
          if (drd_portal_parse_answer (value, &answer))
            CHECK ((answer == DRD_ANSWER_ACCEPT && strcmp (value, "accept") == 0) ||
                   (answer == DRD_ANSWER_DENY && strcmp (value, "deny") == 0),
                   "answer “%s” read as %d", (const char *) value, answer);
        }

      /* What the decoder accepted, encoded properly (either order), decodes the same. */
      for (guint r = 0; r < 2; r++)
        {
          g_autofree char *encoded = form_encode (fields, r == 1);
          g_autoptr (GHashTable) again = NULL;
          g_autoptr (GError) again_error = NULL;

          again = drd_portal_form_decode (encoded, strlen (encoded), &again_error);
          CHECK (again != NULL, "re-encoded form “%s” refused: %s", encoded,
                 again_error ? again_error->message : "");
          CHECK (g_hash_table_size (again) == g_hash_table_size (fields), "field count changed");
          g_hash_table_iter_init (&iter, fields);
          while (g_hash_table_iter_next (&iter, &key, &value))
            CHECK (g_strcmp0 (g_hash_table_lookup (again, key), value) == 0,
                   "field “%s” changed in “%s”", (const char *) key, encoded);
        }
    }

  check_lang (text);
  if (g_utf8_validate (text, -1, NULL))
    check_html (text);
  return 0;
}

/* ------------------------------------------------------------------ */

const DrdFuzzTarget drd_fuzz_targets[] = {
  { "calendar", drd_fuzz_calendar },
  { "csv", drd_fuzz_csv },
  { "kepco", drd_fuzz_kepco },
  { "portal", drd_fuzz_portal },
  { "time", drd_fuzz_time },
  { NULL, NULL },
};
