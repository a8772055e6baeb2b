/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared helpers of the drdeskctl commands. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "cli/drd-cli-private.h"
#include "core/drd-csv.h"
#include "core/drd-time.h"

static void
print_one_line (const char *prefix, const char *message)
{
  g_autoptr(GString) line = g_string_new ("drdeskctl: ");

  if (prefix != NULL)
    g_string_append_printf (line, "%s: ", prefix);
  for (const char *p = message; *p != '\0'; p++)
    g_string_append_c (line, (*p == '\n' || *p == '\r') ? ' ' : *p);
  while (line->len > 0 && line->str[line->len - 1] == ' ')
    g_string_truncate (line, line->len - 1);
  g_string_append_c (line, '\n');
  fflush (stdout);
  fputs (line->str, stderr);
}

int
drd_cli_fail (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  print_one_line (NULL, message);
  return DRD_CLI_EXIT_ERROR;
}

int
drd_cli_fail_error (const char *prefix, const GError *error)
{
  print_one_line (prefix, error != NULL ? error->message : _("unknown error"));
  return DRD_CLI_EXIT_ERROR;
}

int
drd_cli_usage_error (const char *command, const char *format, ...)
{
  g_autofree char *message = NULL;
  g_autofree char *full = NULL;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  if (command != NULL)
    full = g_strdup_printf (_("%s: %s (see 'drdeskctl %s --help')"), command, message, command);
  else
    full = g_strdup_printf (_("%s (see 'drdeskctl --help')"), message);
  print_one_line (NULL, full);
  return DRD_CLI_EXIT_USAGE;
}

void
drd_cli_note (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  fputs (message, stderr);
  fputc ('\n', stderr);
}

gboolean
drd_cli_is_help (const char *arg)
{
  return arg != NULL && (g_str_equal (arg, "--help") || g_str_equal (arg, "-h"));
}

gboolean
drd_cli_parse_options (const char         *command,
                       const char         *parameter_string,
                       const char         *summary,
                       const char         *description,
                       const GOptionEntry *entries,
                       int                *argc,
                       char             ***argv,
                       int                *status)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *params = NULL;
  g_autofree char *footer = NULL;
  g_autofree char *db_dummy = NULL;
  gboolean help = FALSE;
  const GOptionEntry help_entries[] = {
    /* --db is taken out of argv in drd_cli_main(); listed for --help. */
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_dummy,
      N_("Database file (also accepted before the command)"), N_("PATH") },
    { "help", 'h', 0, G_OPTION_ARG_NONE, &help, N_("Show this help"), NULL },
    { NULL }
  };

  params = g_strdup_printf ("%s%s%s", command,
                            parameter_string != NULL ? " " : "",
                            parameter_string != NULL ? parameter_string : "");
  context = g_option_context_new (params);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_help_enabled (context, FALSE);
  if (summary != NULL)
    g_option_context_set_summary (context, summary);
  footer = g_strdup_printf ("%s%s%s", description != NULL ? description : "",
                            description != NULL ? "\n\n" : "",
                            _("Exit status: 0 success; 1 error (one line \"drdeskctl: ...\" on stderr);\n"
                              "2 bad usage (unknown option, missing argument or option, a value\n"
                              "outside a fixed list such as --kind or --format)."));
  g_option_context_set_description (context, footer);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, help_entries, GETTEXT_PACKAGE);

  /* --help anywhere wins over other errors (e.g. a missing value). */
  for (int i = 1; i < *argc; i++)
    {
      if (g_str_equal ((*argv)[i], "--"))
        break;
      if (drd_cli_is_help ((*argv)[i]))
        help = TRUE;
    }
  if (help)
    {
      g_autofree char *text = g_option_context_get_help (context, TRUE, NULL);

      fputs (text, stdout);
      *status = DRD_CLI_EXIT_OK;
      return FALSE;
    }

  if (!g_option_context_parse_strv (context, argv, &error))
    {
      *status = drd_cli_usage_error (command, "%s", error->message);
      return FALSE;
    }
  *argc = g_strv_length (*argv);
  return TRUE;
}

int
drd_cli_dispatch (DrdCliContext       *ctx,
                  const char          *group,
                  const char          *summary,
                  const DrdCliCommand *subs,
                  int                  argc,
                  char               **argv)
{
  const char *word = argc > 1 ? argv[1] : NULL;

  if (word == NULL || drd_cli_is_help (word))
    {
      FILE *out = word != NULL ? stdout : stderr;

      fprintf (out, "%s\n", _("Usage:"));
      for (const DrdCliCommand *c = subs; c->name != NULL; c++)
        fprintf (out, "  drdeskctl [--db PATH] %s\n", _(c->usage));
      if (summary != NULL)
        fprintf (out, "\n%s\n", summary);
      fprintf (out, "\n%s\n", _("Run 'drdeskctl COMMAND SUBCOMMAND --help' for the options."));
      return word != NULL ? DRD_CLI_EXIT_OK : DRD_CLI_EXIT_USAGE;
    }

  for (const DrdCliCommand *c = subs; c->name != NULL; c++)
    if (g_str_equal (c->name, word))
      return c->run (ctx, argc - 1, argv + 1);

  return drd_cli_usage_error (group, _("unknown subcommand '%s'"), word);
}

gboolean
drd_cli_parse_milli (const char *text, gint64 *out)
{
  gint64 whole = 0, frac = 0;
  int nfrac = 0;
  const char *p = text;

  if (text == NULL || !g_ascii_isdigit (*p))
    return FALSE;
  for (; g_ascii_isdigit (*p); p++)
    {
      if (whole > (G_MAXINT64 / 1000 - 9) / 10)
        return FALSE;
      whole = whole * 10 + (*p - '0');
    }
  if (*p == '.')
    {
      p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      for (; g_ascii_isdigit (*p); p++)
        {
          if (++nfrac > 3)
            return FALSE;
          frac = frac * 10 + (*p - '0');
        }
    }
  if (*p != '\0')
    return FALSE;
  for (; nfrac < 3; nfrac++)
    frac *= 10;
  *out = whole * 1000 + frac;
  return TRUE;
}

void
drd_cli_append_milli (GString *out, gint64 value)
{
  guint64 abs_value = value < 0 ? -(guint64) value : (guint64) value;

  g_string_append_printf (out, "%s%" G_GUINT64_FORMAT ".%03u",
                          value < 0 ? "-" : "",
                          abs_value / 1000, (guint) (abs_value % 1000));
}

gboolean
drd_cli_parse_id (const char *text, gint64 *out)
{
  guint64 v = 0;

  if (text == NULL || *text == '\0')
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      if (v > ((guint64) G_MAXINT64 - 9) / 10)
        return FALSE;
      v = v * 10 + (guint64) (*p - '0');
    }
  if (v == 0)
    return FALSE;
  *out = (gint64) v;
  return TRUE;
}

char *
drd_cli_data_file (const char *name)
{
  g_autofree char *installed = g_build_filename (PKGDATADIR, name, NULL);

  if (g_file_test (installed, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&installed);
  return g_build_filename (SOURCE_DATADIR, name, NULL);
}

void
drd_cli_csv_field (GString *line, const char *value, gboolean first)
{
  if (!first)
    g_string_append_c (line, ',');
  drd_csv_write_field (line, value, -1);
}

void
drd_cli_json_string (GString *out, const char *value)
{
  if (value == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  g_string_append_c (out, '"');
  for (const unsigned char *p = (const unsigned char *) value; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:
          if (*p < 0x20)
            g_string_append_printf (out, "\\u%04x", *p);
          else
            g_string_append_c (out, (char) *p);
        }
    }
  g_string_append_c (out, '"');
}

gboolean
drd_cli_flush (GString *buffer, GError **error)
{
  if (buffer->len > 0 && fwrite (buffer->str, 1, buffer->len, stdout) != buffer->len)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   _("cannot write to standard output: %s"), g_strerror (saved));
      return FALSE;
    }
  g_string_truncate (buffer, 0);
  return TRUE;
}

gboolean
drd_cli_parse_format (const char *text, DrdCliFormat *out)
{
  if (text == NULL || g_str_equal (text, "csv"))
    *out = DRD_CLI_FORMAT_CSV;
  else if (g_str_equal (text, "json"))
    *out = DRD_CLI_FORMAT_JSON;
  else
    return FALSE;
  return TRUE;
}

DrdStore *
drd_cli_open_store (DrdCliContext *ctx,
                    gboolean       must_exist,
                    GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  DrdStore *store;

  if (must_exist && !g_file_test (ctx->db_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   _("no database at %s (run 'drdeskctl init' first, or pass --db PATH)"),
                   ctx->db_path);
      return NULL;
    }
  store = drd_store_open (ctx->db_path, &local_error);
  if (store == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   _("cannot open database %s: %s"), ctx->db_path, local_error->message);
      return NULL;
    }
  return store;
}

const char *
drd_cli_actor (void)
{
  static char *actor;

  if (actor == NULL)
    actor = g_strconcat ("operator:", g_get_user_name (), NULL);
  return actor;
}

DrdHoliday *
drd_cli_holiday_new (const char *day, const char *name)
{
  DrdHoliday *h = g_new0 (DrdHoliday, 1);

  g_strlcpy (h->day, day, sizeof h->day);
  h->name = g_strdup (name);
  return h;
}

DrdCalendar *
drd_cli_load_calendar (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) local_error = NULL;
  DrdCalendar *calendar;

  if (!g_file_get_contents (path, &text, &len, &local_error))
    {
      g_set_error (error, local_error->domain, local_error->code,
                   _("cannot read holiday file: %s"), local_error->message);
      return NULL;
    }
  calendar = drd_calendar_new_from_data (text, (gssize) len, &local_error);
  if (calendar == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "%s: %s", path, local_error->message);
      return NULL;
    }
  return calendar;
}

GPtrArray *
drd_cli_load_holidays (const char *path, GError **error)
{
  g_autoptr(GPtrArray) days = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_holiday_free);
  g_autoptr(DrdCalendar) calendar = drd_cli_load_calendar (path, error);
  g_autofree DrdDate *dates = NULL;
  guint n = 0;

  if (calendar == NULL)
    return NULL;
  dates = drd_calendar_list (calendar, drd_date_from_ymd (1, 1, 1),
                             drd_date_from_ymd (9999, 12, 31), &n);
  for (guint i = 0; i < n; i++)
    {
      char buf[11];
      const char *name = drd_calendar_get_name (calendar, dates[i]);

      g_ptr_array_add (days, drd_cli_holiday_new (drd_date_format_buf (dates[i], buf),
                                                  name != NULL && *name != '\0' ? name : NULL));
    }
  return g_steal_pointer (&days);
}

gboolean
drd_cli_parse_time (const char  *option,
                    const char  *text,
                    gboolean     on_slot,
                    gint64      *out,
                    GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  gint64 t;

  if (!drd_time_parse_iso8601 (text, &t, &local_error))
    {
      g_set_error (error, DRD_TIME_ERROR, DRD_TIME_ERROR_INVALID,
                   _("%s: '%s' is not an ISO 8601 time: %s"), option, text, local_error->message);
      return FALSE;
    }
  if (on_slot && !drd_instant_on_slot_boundary (t))
    {
      g_set_error (error, DRD_TIME_ERROR, DRD_TIME_ERROR_INVALID,
                   _("%s: %s is not on a 15-minute boundary (use :00, :15, :30 or :45 and zero seconds)"),
                   option, text);
      return FALSE;
    }
  *out = t;
  return TRUE;
}

char *
drd_cli_format_time (gint64 t)
{
  return drd_time_format_iso8601 (t);
}

char *
drd_cli_row_message (const char *message)
{
  GString *out = g_string_new (NULL);
  const char *p = message;

  /* core's CSV errors start with "line N: "; the caller prints the line. */
  if (g_str_has_prefix (p, "line "))
    {
      const char *q = p + 5;

      while (g_ascii_isdigit (*q))
        q++;
      if (q > p + 5 && q[0] == ':' && q[1] == ' ')
        p = q + 2;
    }
  for (; *p != '\0'; p++)
    g_string_append_c (out, (*p == '\n' || *p == '\r') ? ' ' : *p);
  return g_string_free (out, FALSE);
}
