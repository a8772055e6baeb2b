/* SPDX-License-Identifier: GPL-3.0-or-later */
/* drdeskctl baseline: one customer's CBL from a meter readings CSV. */
#include "config.h"

#include "cli/drd-cli-private.h"
#include "core/drd-cbl.h"
#include "core/drd-csv.h"
#include "core/drd-time.h"

static void
bad_row (guint *n_bad, guint line, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
bad_row (guint *n_bad, guint line, const char *format, ...)
{
  g_autofree char *message = NULL;
  g_autofree char *clean = NULL;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  clean = drd_cli_row_message (message);
  fprintf (stderr, "%u: %s\n", line, clean);
  (*n_bad)++;
}

/* Reads `interval_start,kwh`; every bad row is reported as "LINE: reason"
 * on stderr and counted in *n_bad. An empty kwh is a missing slot, the
 * same as an absent row. */
static DrdReadings *
read_readings (const char *path, guint *n_bad, GError **error)
{
  static const char *const columns[] = { "interval_start", "kwh", NULL };
  g_autoptr(DrdReadings) readings = drd_readings_new ();
  g_autoptr(DrdCsvReader) reader = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autofree char *text = NULL;
  gsize len = 0;
  int idx[2];

  if (!g_file_get_contents (path, &text, &len, error))
    return NULL;
  reader = drd_csv_reader_new (text, (gssize) len);
  if (!drd_csv_reader_read_header (reader, columns, columns, idx, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  for (;;)
    {
      g_autoptr(GError) row_error = NULL;
      g_autofree char *when = NULL, *kwh = NULL;
      guint line;
      gint64 t, wh;
      gpointer other;

      if (!drd_csv_reader_next (reader, &row_error))
        {
          if (row_error == NULL)
            break;
          bad_row (n_bad, drd_csv_reader_get_line (reader), "%s", row_error->message);
          continue;
        }
      line = drd_csv_reader_get_line (reader);
      when = g_strstrip (g_strdup (drd_csv_reader_get_column (reader, idx[0])));
      kwh = g_strstrip (g_strdup (drd_csv_reader_get_column (reader, idx[1])));
      if (!drd_time_parse_iso8601 (when, &t, &row_error))
        {
          bad_row (n_bad, line, _("interval_start '%s': %s"), when, row_error->message);
          continue;
        }
      if (!drd_instant_on_slot_boundary (t))
        {
          bad_row (n_bad, line, _("interval_start %s is not on a 15-minute boundary"), when);
          continue;
        }
      if (*kwh == '\0')
        continue;
      if (!drd_cli_parse_milli (kwh, &wh))
        {
          bad_row (n_bad, line, _("kwh '%s' is not a non-negative number with at most 3 decimals"),
                   kwh);
          continue;
        }
      if (g_hash_table_lookup_extended (seen, &t, NULL, &other))
        {
          bad_row (n_bad, line, _("interval_start %s is already on line %u"), when,
                   GPOINTER_TO_UINT (other));
          continue;
        }
      g_hash_table_insert (seen, g_memdup2 (&t, sizeof t), GUINT_TO_POINTER (line));
      if (!drd_readings_set (readings, t, wh, &row_error))
        bad_row (n_bad, line, "%s", row_error->message);
    }
  return g_steal_pointer (&readings);
}

int
drd_cli_cmd_baseline (DrdCliContext *ctx, int argc, char **argv)
{
  g_autofree char *method_text = NULL, *readings_path = NULL, *start_text = NULL;
  g_autofree char *end_text = NULL, *holidays_path = NULL;
  g_auto(GStrv) exclude = NULL;
  gboolean factory = FALSE;
  const GOptionEntry entries[] = {
    { "method", 0, 0, G_OPTION_ARG_FILENAME, &method_text,
      N_("CBL method: max-4-5 or mid-6-10 (required)"), "METHOD" },
    { "readings", 0, 0, G_OPTION_ARG_FILENAME, &readings_path,
      N_("Meter readings CSV interval_start,kwh (required)"), "FILE.csv" },
    { "event-start", 0, 0, G_OPTION_ARG_FILENAME, &start_text,
      N_("Event start, ISO 8601 on a 15-minute boundary (required)"), "ISO8601" },
    { "event-end", 0, 0, G_OPTION_ARG_FILENAME, &end_text,
      N_("Event end (exclusive), ISO 8601 on a 15-minute boundary (required)"), "ISO8601" },
    { "holidays", 0, 0, G_OPTION_ARG_FILENAME, &holidays_path,
      N_("Holiday calendar file (default: the shipped Korean holidays)"), "FILE" },
    { "exclude-day", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &exclude,
      N_("A day the customer was targeted by another event; repeatable"), "YYYY-MM-DD" },
    { "factory", 0, 0, G_OPTION_ARG_NONE, &factory,
      /* xgettext:no-c-format */
      N_("The customer is a factory (days above 125% of the mean are abnormal too)"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdReadings) readings = NULL;
  g_autoptr(DrdCalendar) calendar = NULL;
  g_autoptr(DrdCblResult) result = NULL;
  g_autoptr(GArray) excluded = g_array_new (FALSE, FALSE, sizeof (DrdDate));
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *explain = NULL;
  DrdCblRequest request = { 0 };
  guint n_bad = 0;
  int status;

  if (!drd_cli_parse_options ("baseline", NULL,
                              _("Compute one customer's baseline (CBL) for an event window from "
                                "its meter readings, the way settlement does."),
                              _("Readings CSV: header interval_start,kwh; one row per 15-minute slot,\n"
                                "interval_start ISO 8601 with offset, kwh up to 3 decimals; a missing\n"
                                "slot is absent (or has an empty kwh).\n"
                                "stdout: exactly one line per event slot, interval_start,cbl_kwh\n"
                                "(+09:00, 3 decimals). stderr: the days used, abnormal and skipped.\n"
                                "Too few usable days: exit 1, stderr starts with \"insufficient history\".\n"
                                "Bad rows: each reported as \"LINE: reason\", exit 1. --db is ignored."),
                              entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return drd_cli_usage_error ("baseline", _("unexpected argument '%s'"), argv[1]);
  if (method_text == NULL)
    return drd_cli_usage_error ("baseline", _("missing --method"));
  if (readings_path == NULL)
    return drd_cli_usage_error ("baseline", _("missing --readings"));
  if (start_text == NULL)
    return drd_cli_usage_error ("baseline", _("missing --event-start"));
  if (end_text == NULL)
    return drd_cli_usage_error ("baseline", _("missing --event-end"));
  if (!drd_cbl_method_from_string (method_text, &request.method))
    return drd_cli_usage_error ("baseline", _("--method must be max-4-5 or mid-6-10, not '%s'"),
                                method_text);
  request.is_factory = factory;

  if (!drd_cli_parse_time ("--event-start", start_text, TRUE, &request.event_start, &error)
      || !drd_cli_parse_time ("--event-end", end_text, TRUE, &request.event_end, &error))
    return drd_cli_fail_error (NULL, error);
  if (request.event_end <= request.event_start)
    return drd_cli_fail (_("--event-end must be after --event-start"));

  for (guint i = 0; exclude != NULL && exclude[i] != NULL; i++)
    {
      DrdDate d;

      if (!drd_date_parse (exclude[i], &d, NULL))
        return drd_cli_fail (_("--exclude-day '%s' is not a date YYYY-MM-DD"), exclude[i]);
      g_array_append_val (excluded, d);
    }

  if (holidays_path == NULL)
    holidays_path = drd_cli_data_file ("holidays-kr.csv");
  calendar = drd_cli_load_calendar (holidays_path, &error);
  if (calendar == NULL)
    return drd_cli_fail_error (NULL, error);

  readings = read_readings (readings_path, &n_bad, &error);
  if (readings == NULL)
    return drd_cli_fail_error (NULL, error);
  if (n_bad > 0)
    return drd_cli_fail (g_dngettext (GETTEXT_PACKAGE, "%s: %u bad row; no baseline computed",
                                      "%s: %u bad rows; no baseline computed", n_bad),
                         readings_path, n_bad);

  result = drd_cbl_compute (&request, drd_readings_history_func, readings, calendar,
                            (const DrdDate *) excluded->data, excluded->len, NULL, &error);
  if (result == NULL)
    return drd_cli_fail_error (NULL, error);
  explain = drd_cbl_result_explain (result);

  if (result->status == DRD_CBL_STATUS_INSUFFICIENT)
    {
      /* The contract: the message starts with "insufficient history". */
      for (guint d = 0; d < result->n_days; d++)
        if (result->days[d].status == DRD_CBL_STATUS_INSUFFICIENT)
          {
            char day[11];

            /* The prefix stays English in every language (contract). */
            fputs ("insufficient history: ", stderr);
            fprintf (stderr, _("%s needs %u usable days before it, found %u\n"),
                     drd_date_format_buf (result->days[d].event_date, day),
                     result->days[d].window_days,
                     result->days[d].considered->len - result->days[d].abnormal->len);
            break;
          }
      fputs (explain, stderr);
      return DRD_CLI_EXIT_ERROR;
    }

  fputs (explain, stderr);
  for (guint i = 0; i < result->n_slots; i++)
    {
      char when[26], kwh[32];

      g_string_append_printf (out, "%s,%s\n",
                              drd_time_format_iso8601_buf (result->slot_start[i], when),
                              drd_milli_format_buf (result->cbl_wh[i], kwh));
    }
  if (!drd_cli_flush (out, &error) || fflush (stdout) != 0)
    return drd_cli_fail (_("cannot write to standard output"));
  return DRD_CLI_EXIT_OK;
}
