/* SPDX-License-Identifier: GPL-3.0-or-later */
/* drdeskctl event start|end|cancel|list */
#include "config.h"

#include "cli/drd-cli-private.h"
#include "core/drd-params.h"
#include "core/drd-time.h"

/* Seconds of DR that events sharing a resource with EVENT already take in
 * EVENT's local calendar year (cancelled ones not counted). */
static gint64
used_this_year (GPtrArray *events, const DrdEvent *event)
{
  int year, y;
  gint64 used = 0;

  drd_date_to_ymd (drd_date_of_instant (event->start_at), &year, NULL, NULL);
  for (guint i = 0; i < events->len; i++)
    {
      const DrdEvent *e = g_ptr_array_index (events, i);
      gboolean shared = event->resources == NULL || event->resources[0] == NULL
                        || e->resources == NULL || e->resources[0] == NULL;

      if (e->status == DRD_EVENT_CANCELLED)
        continue;
      drd_date_to_ymd (drd_date_of_instant (e->start_at), &y, NULL, NULL);
      if (y != year)
        continue;
      for (guint a = 0; !shared && event->resources[a] != NULL; a++)
        shared = g_strv_contains ((const char *const *) e->resources, event->resources[a]);
      if (shared)
        used += e->end_at - e->start_at;
    }
  return used;
}

/* KPX's dispatch facts for reliability DR, as warnings on stderr only. */
static void
warn_dispatch (DrdStore *store, const DrdEvent *event)
{
  g_autoptr(GPtrArray) holidays = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(DrdCalendar) calendar = drd_calendar_new ();
  g_auto(GStrv) warnings = NULL;

  if (event->kind != DRD_EVENT_KIND_RELIABILITY)
    return;
  holidays = drd_store_list_holidays (store, NULL);
  for (guint i = 0; holidays != NULL && i < holidays->len; i++)
    {
      DrdHoliday *h = g_ptr_array_index (holidays, i);
      DrdDate d;

      if (drd_date_parse (h->day, &d, NULL))
        drd_calendar_add (calendar, d, h->name);
    }
  events = drd_store_list_events (store, drd_store_now (), NULL);
  warnings = drd_params_dispatch_warnings (NULL, event->start_at, event->end_at, drd_store_now (),
                                           calendar,
                                           events != NULL ? used_this_year (events, event) : 0);
  for (guint i = 0; warnings != NULL && warnings[i] != NULL; i++)
    drd_cli_note (_("warning: %s"), warnings[i]);
}

static int
cmd_start (DrdCliContext *ctx, int argc, char **argv)
{
  g_autofree char *name = NULL, *kind_text = NULL, *start_text = NULL, *end_text = NULL;
  g_autofree char *kw_text = NULL, *deadline_text = NULL;
  g_auto(GStrv) resources = NULL;
  const GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_FILENAME, &name, N_("Event name (required)"), "NAME" },
    { "kind", 0, 0, G_OPTION_ARG_FILENAME, &kind_text,
      N_("reliability, economic or citizen (required)"), "KIND" },
    { "start", 0, 0, G_OPTION_ARG_FILENAME, &start_text,
      N_("Start, ISO 8601 on a 15-minute boundary (required)"), "ISO8601" },
    { "end", 0, 0, G_OPTION_ARG_FILENAME, &end_text,
      N_("End (exclusive), ISO 8601 on a 15-minute boundary (required)"), "ISO8601" },
    { "target-kw", 0, 0, G_OPTION_ARG_FILENAME, &kw_text,
      N_("Target reduction in kW, up to 3 decimals (required)"), "KW" },
    { "answer-deadline", 0, 0, G_OPTION_ARG_FILENAME, &deadline_text,
      N_("Customers may answer until then (default: the start time; the end time when the event has already started)"), "ISO8601" },
    { "resource", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &resources,
      N_("Target this resource; repeat for several (default: every resource)"), "R" },
    { NULL }
  };
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdEvent) event = drd_event_new ();
  gint64 event_id = 0, n_targeted = 0;
  int status;

  if (!drd_cli_parse_options ("event start", NULL,
                              _("Start (or schedule) a DR event: every customer of the targeted "
                                "resources gets a response row with no answer."),
                              _("Prints the new event id on stdout and \"N customers targeted\" on\n"
                                "stderr. Times are ISO 8601 with an offset (without one: Korean\n"
                                "time), e.g. 2026-07-01T14:00:00+09:00. Refused when a scheduled or\n"
                                "active event overlaps the window for one of the same resources."),
                              entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return drd_cli_usage_error ("event start", _("unexpected argument '%s'"), argv[1]);
  if (name == NULL)
    return drd_cli_usage_error ("event start", _("missing --name"));
  if (kind_text == NULL)
    return drd_cli_usage_error ("event start", _("missing --kind"));
  if (start_text == NULL)
    return drd_cli_usage_error ("event start", _("missing --start"));
  if (end_text == NULL)
    return drd_cli_usage_error ("event start", _("missing --end"));
  if (kw_text == NULL)
    return drd_cli_usage_error ("event start", _("missing --target-kw"));
  if (!drd_event_kind_from_string (kind_text, &event->kind))
    return drd_cli_usage_error ("event start",
                                _("--kind must be reliability, economic or citizen, not '%s'"),
                                kind_text);

  /* Options are taken as bytes (no locale conversion, so Korean works
   * under LC_ALL=C); what is stored must be UTF-8. */
  if (!g_utf8_validate (name, -1, NULL))
    return drd_cli_fail (_("--name is not valid UTF-8"));
  for (guint i = 0; resources != NULL && resources[i] != NULL; i++)
    if (!g_utf8_validate (resources[i], -1, NULL))
      return drd_cli_fail (_("--resource is not valid UTF-8"));
  g_strstrip (name);
  if (*name == '\0')
    return drd_cli_fail (_("--name is empty"));
  event->name = g_strdup (name);
  if (!drd_cli_parse_time ("--start", start_text, TRUE, &event->start_at, &error)
      || !drd_cli_parse_time ("--end", end_text, TRUE, &event->end_at, &error))
    return drd_cli_fail_error (NULL, error);
  if (event->end_at <= event->start_at)
    return drd_cli_fail (_("--end must be after --start"));
  if (!drd_cli_parse_milli (kw_text, &event->target_w) || event->target_w <= 0)
    return drd_cli_fail (_("--target-kw '%s' is not a positive number of kW with at most 3 decimals"),
                         kw_text);
  if (deadline_text != NULL)
    {
      if (!drd_cli_parse_time ("--answer-deadline", deadline_text, FALSE,
                               &event->answer_deadline, &error))
        return drd_cli_fail_error (NULL, error);
      if (event->answer_deadline > event->end_at)
        return drd_cli_fail (_("--answer-deadline must not be after --end"));
    }
  else
    event->answer_deadline = drd_event_default_answer_deadline (event->start_at, event->end_at,
                                                                 g_get_real_time () / G_USEC_PER_SEC);

  store = drd_cli_open_store (ctx, TRUE, &error);
  if (store == NULL)
    return drd_cli_fail_error (NULL, error);

  if (resources != NULL && resources[0] != NULL)
    {
      g_autoptr(GPtrArray) known = drd_store_list_resources (store, &error);
      g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);

      if (known == NULL)
        return drd_cli_fail_error (NULL, error);
      for (guint i = 0; i < known->len; i++)
        g_hash_table_add (names, ((DrdStoreResource *) g_ptr_array_index (known, i))->name);
      for (guint i = 0; resources[i] != NULL; i++)
        if (!g_hash_table_contains (names, resources[i]))
          return drd_cli_fail (_("unknown resource '%s'"), resources[i]);
      event->resources = g_strdupv (resources);
    }

  warn_dispatch (store, event);
  if (!drd_store_start_event (store, event, drd_cli_actor (), drd_store_now (),
                              &event_id, &n_targeted, &error))
    return drd_cli_fail_error (NULL, error);

  printf ("%" G_GINT64_FORMAT "\n", event_id);
  fflush (stdout);
  drd_cli_note (g_dngettext (GETTEXT_PACKAGE, "%lld customer targeted", "%lld customers targeted",
                             (gulong) n_targeted),
                (long long) n_targeted);
  return DRD_CLI_EXIT_OK;
}

static int
transition (DrdCliContext *ctx, int argc, char **argv, gboolean cancel)
{
  const char *command = cancel ? "event cancel" : "event end";
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;
  int status;
  gboolean ok;

  if (!drd_cli_parse_options (command, "ID",
                              cancel ? _("Cancel a scheduled or active event; no settlement follows.")
                                     : _("End an active event now; settlement follows. Ended before its "
                                         "scheduled end, the event ends with the 15-minute slot it was "
                                         "ended in. A scheduled event can only be cancelled."),
                              NULL, NULL, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return drd_cli_usage_error (command, argc < 2 ? _("missing ID") : _("too many arguments"));
  if (!drd_cli_parse_id (argv[1], &id))
    return drd_cli_usage_error (command, _("'%s' is not an event id"), argv[1]);

  store = drd_cli_open_store (ctx, TRUE, &error);
  if (store == NULL)
    return drd_cli_fail_error (NULL, error);
  if (cancel)
    ok = drd_store_cancel_event (store, id, drd_cli_actor (), drd_store_now (), &error);
  else
    {
      g_autoptr(DrdEvent) before = drd_store_get_event (store, id, drd_store_now (), NULL);

      ok = drd_store_end_event (store, id, drd_cli_actor (), drd_store_now (), &error);
      if (ok)
        {
          /* Ended early: say which window it has now (the one settlement,
           * exports and the portal use). */
          g_autoptr(DrdEvent) after = drd_store_get_event (store, id, drd_store_now (), NULL);

          if (before != NULL && after != NULL && after->end_at != before->end_at)
            {
              g_autofree char *end = drd_cli_format_time (after->end_at);
              g_autofree char *was = drd_cli_format_time (before->end_at);

              drd_cli_note (_("event %s ended early: it now ends at %s (scheduled end was %s)"),
                            argv[1], end, was);
              return DRD_CLI_EXIT_OK;
            }
        }
    }
  if (!ok)
    return drd_cli_fail_error (NULL, error);
  drd_cli_note (cancel ? _("event %s cancelled") : _("event %s ended"), argv[1]);
  return DRD_CLI_EXIT_OK;
}

static int
cmd_end (DrdCliContext *ctx, int argc, char **argv)
{
  return transition (ctx, argc, argv, FALSE);
}

static int
cmd_cancel (DrdCliContext *ctx, int argc, char **argv)
{
  return transition (ctx, argc, argv, TRUE);
}

#define EVENT_COLUMNS \
  "id,name,kind,status,start,end,answer_deadline,target_kw,resources," \
  "targeted,accepted,denied,no_response,accepted_kw"

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
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  DrdCliFormat format;
  int status;
  /* TRANSLATORS: %s is the list of CSV column names; keep them as they are */
  g_autofree char *description = g_strdup_printf (
      _("csv columns:\n  %s\n"
        "Times ISO 8601 (+09:00); target_kw and accepted_kw (Σ registered kW\n"
        "of the customers who accepted) with 3 decimals; resources separated\n"
        "by ';'. status is scheduled, active, ended, settling, settled or\n"
        "cancelled. json: an array of objects with the same keys\n"
        "(resources an array)."), EVENT_COLUMNS);

  if (!drd_cli_parse_options ("event list", NULL,
                              _("Print every event, by start time, with its answer counts."),
                              description,
                              entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return drd_cli_usage_error ("event list", _("unexpected argument '%s'"), argv[1]);
  if (!drd_cli_parse_format (format_text, &format))
    return drd_cli_usage_error ("event list", _("--format must be csv or json"));

  store = drd_cli_open_store (ctx, TRUE, &error);
  if (store == NULL)
    return drd_cli_fail_error (NULL, error);
  events = drd_store_list_events (store, drd_store_now (), &error);
  if (events == NULL)
    return drd_cli_fail_error (NULL, error);

  if (format == DRD_CLI_FORMAT_CSV)
    g_string_append (out, EVENT_COLUMNS "\n");
  else
    g_string_append_c (out, '[');

  for (guint i = 0; i < events->len; i++)
    {
      DrdEvent *e = g_ptr_array_index (events, i);
      DrdResponseCounts counts = { 0 };
      g_autofree char *start = drd_cli_format_time (e->start_at);
      g_autofree char *end = drd_cli_format_time (e->end_at);
      g_autofree char *deadline = drd_cli_format_time (e->answer_deadline);
      g_autofree char *res = e->resources != NULL ? g_strjoinv (";", e->resources) : g_strdup ("");
      char id[32], kw[32], acc_kw[32];

      if (!drd_store_get_response_counts (store, e->id, &counts, &error))
        return drd_cli_fail_error (NULL, error);
      g_snprintf (id, sizeof id, "%" G_GINT64_FORMAT, e->id);
      drd_milli_format_buf (e->target_w, kw);
      drd_milli_format_buf (counts.accepted_w, acc_kw);

      if (format == DRD_CLI_FORMAT_CSV)
        {
          drd_cli_csv_field (out, id, TRUE);
          drd_cli_csv_field (out, e->name, FALSE);
          drd_cli_csv_field (out, drd_event_kind_to_string (e->kind), FALSE);
          drd_cli_csv_field (out, drd_event_status_to_string (e->status), FALSE);
          drd_cli_csv_field (out, start, FALSE);
          drd_cli_csv_field (out, end, FALSE);
          drd_cli_csv_field (out, deadline, FALSE);
          drd_cli_csv_field (out, kw, FALSE);
          drd_cli_csv_field (out, res, FALSE);
          g_string_append_printf (out, ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT
                                  ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%s\n",
                                  counts.n_targeted, counts.n_accept, counts.n_deny,
                                  counts.n_none, acc_kw);
        }
      else
        {
          g_string_append (out, i == 0 ? "\n  " : ",\n  ");
          g_string_append_printf (out, "{\"id\": %s, \"name\": ", id);
          drd_cli_json_string (out, e->name);
          g_string_append_printf (out, ", \"kind\": \"%s\", \"status\": \"%s\", \"start\": \"%s\", "
                                  "\"end\": \"%s\", \"answer_deadline\": \"%s\", \"target_kw\": %s, "
                                  "\"resources\": [",
                                  drd_event_kind_to_string (e->kind),
                                  drd_event_status_to_string (e->status),
                                  start, end, deadline, kw);
          for (guint r = 0; e->resources != NULL && e->resources[r] != NULL; r++)
            {
              if (r > 0)
                g_string_append (out, ", ");
              drd_cli_json_string (out, e->resources[r]);
            }
          g_string_append_printf (out, "], \"targeted\": %" G_GINT64_FORMAT
                                  ", \"accepted\": %" G_GINT64_FORMAT
                                  ", \"denied\": %" G_GINT64_FORMAT
                                  ", \"no_response\": %" G_GINT64_FORMAT
                                  ", \"accepted_kw\": %s}",
                                  counts.n_targeted, counts.n_accept, counts.n_deny,
                                  counts.n_none, acc_kw);
        }
    }
  if (format == DRD_CLI_FORMAT_JSON)
    g_string_append (out, events->len == 0 ? "]\n" : "\n]\n");
  if (!drd_cli_flush (out, &error) || fflush (stdout) != 0)
    return drd_cli_fail (_("cannot write to standard output"));
  return DRD_CLI_EXIT_OK;
}

int
drd_cli_cmd_event (DrdCliContext *ctx, int argc, char **argv)
{
  static const DrdCliCommand subs[] = {
    { "start",  cmd_start,  N_("event start --name NAME --kind reliability|economic|citizen "
                               "--start ISO8601 --end ISO8601 --target-kw KW "
                               "[--answer-deadline ISO8601] [--resource R]...") },
    { "end",    cmd_end,    N_("event end ID") },
    { "cancel", cmd_cancel, N_("event cancel ID") },
    { "list",   cmd_list,   N_("event list [--format csv|json]") },
    { NULL }
  };

  return drd_cli_dispatch (ctx, "event", _("Start, end, cancel or list DR events."),
                           subs, argc, argv);
}
