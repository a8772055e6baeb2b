/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers shared by the drdeskctl commands (src/cli/drd-cli-*.c). */
#pragma once

#include <stdio.h>
#include <string.h>
#include <glib.h>
#include <glib/gi18n-lib.h>

#include "cli/drd-cli.h"
#include "core/drd-calendar.h"
#include "store/drd-store.h"

G_BEGIN_DECLS

/* ---- THE command table ------------------------------------------------ */
/* One line per command: X (name, N_("usage line for drdeskctl --help")).
 * The command's function is drd_cli_cmd_<name>() in drd-cli-<name>.c; this
 * list declares it and drd-cli.c builds the dispatch table from it, so a
 * new command is its file, ONE line here and one in meson.build. */
#define DRD_CLI_COMMANDS(X) \
  X (init,      N_("init")) \
  X (demo,      N_("demo [--customers N] [--seed S]")) \
  X (customers, N_("customers import FILE.csv | customers list [--format csv|json]")) \
  X (event,     N_("event start|end|cancel|list ...")) \
  X (answer,    N_("answer EVENT_ID CUSTOMER_ID accept|deny")) \
  X (links,     N_("links EVENT_ID [--output FILE] [--base-url URL] | links --rotate CUSTOMER_ID | links --rotate-all")) \
  X (notifications, N_("notifications EVENT_ID")) \
  X (serve,     N_("serve [--listen ADDR:PORT] [--kepco-url URL]")) \
  X (settle,    N_("settle EVENT_ID [--kepco-url URL] [--service-key-file FILE]")) \
  X (export,    N_("export settlement EVENT_ID [--output FILE] [--bom]")) \
  X (baseline,  N_("baseline --method max-4-5|mid-6-10 --readings FILE.csv " \
                   "--event-start ISO8601 --event-end ISO8601 ..."))

#define DRD_CLI_DECLARE_COMMAND(name, usage) \
  int drd_cli_cmd_##name (DrdCliContext *ctx, int argc, char **argv);
DRD_CLI_COMMANDS (DRD_CLI_DECLARE_COMMAND)

/* ---- Errors and usage -------------------------------------------------- */

/* Print "drdeskctl: MESSAGE" as one line on stderr; return 1. Newlines in
 * the message are folded into spaces so the contract's "one line" holds. */
int drd_cli_fail (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* Same with a GError's message, optionally prefixed ("PREFIX: message"). */
int drd_cli_fail_error (const char *prefix, const GError *error);
/* Print "drdeskctl: COMMAND: MESSAGE (see 'drdeskctl COMMAND --help')" on
 * stderr; return 2. */
int drd_cli_usage_error (const char *command, const char *format, ...) G_GNUC_PRINTF (2, 3);
/* A reason for a "LINE: reason" report: one line, without the "line N: "
 * that core's CSV reader puts in front. g_free() the result. */
char *drd_cli_row_message (const char *message);
/* Progress or information for humans: stderr, newline appended. */
void drd_cli_note (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* Parse the options of COMMAND ("event start") from *argv (a NULL-terminated
 * array of heap strings whose [0] is the command word; parsed options are
 * removed, positional arguments stay in (*argv)[1..]). Adds --help.
 * Returns TRUE to go on; FALSE when the caller must return *status at once
 * (0 after printing --help on stdout, 2 after a usage error). */
gboolean drd_cli_parse_options (const char         *command,
                                const char         *parameter_string,
                                const char         *summary,
                                const char         *description,
                                const GOptionEntry *entries,
                                int                *argc,
                                char             ***argv,
                                int                *status);

/* Dispatch argv[1] among SUBS (for "customers import" etc.). GROUP is the
 * first word; the sub-command is called with argv + 1. */
int drd_cli_dispatch (DrdCliContext       *ctx,
                      const char          *group,
                      const char          *summary,
                      const DrdCliCommand *subs,
                      int                  argc,
                      char               **argv);

/* Is this argument a request for help? */
gboolean drd_cli_is_help (const char *arg);

/* ---- Store ------------------------------------------------------------ */

/* Open (and migrate) the database of CTX. With MUST_EXIST, a missing file
 * is an error that tells the user to run `drdeskctl init`; the message of
 * every failure names the path. */
DrdStore *drd_cli_open_store (DrdCliContext *ctx,
                              gboolean       must_exist,
                              GError       **error);
/* "operator:<login name>" for audit rows and answers. */
const char *drd_cli_actor (void);

/* Holiday calendar file (design.md): "YYYY-MM-DD[,name]" per line, '#'
 * comments, blank lines ignored. Returns DrdHoliday* by line order; the
 * error names "FILE:LINE: reason". */
GPtrArray  *drd_cli_load_holidays (const char *path, GError **error);
/* The same file as a core calendar; errors name "FILE: line N: reason". */
DrdCalendar *drd_cli_load_calendar (const char *path, GError **error);
DrdHoliday *drd_cli_holiday_new (const char *day, const char *name);
/* Add the shipped holidays (data/holidays-kr.csv) that the table lacks. */
gboolean    drd_cli_seed_holidays (DrdStore *store, guint *out_added, GError **error);

/* ---- Values ------------------------------------------------------------ */

/* Non-negative decimal with at most 3 fraction digits ("12", "1.5", "0.125")
 * to thousandths, exactly: kW → W, kWh → Wh. No sign, no exponent. */
gboolean drd_cli_parse_milli (const char *text, gint64 *out);
/* Thousandths as a decimal with exactly 3 fraction digits ("-1.250"). */
void     drd_cli_append_milli (GString *out, gint64 value);
/* Positive decimal integer that fits gint64 (ids). */
gboolean drd_cli_parse_id (const char *text, gint64 *out);

/* ISO 8601 with offset → Unix seconds (through core's time helpers).
 * OPTION names the option for the message ("--start"). When ON_SLOT is
 * TRUE the instant must fall on a 15-minute boundary. */
gboolean drd_cli_parse_time (const char  *option,
                             const char  *text,
                             gboolean     on_slot,
                             gint64      *out,
                             GError     **error);
/* Unix seconds → "2026-07-01T13:00:00+09:00" (Asia/Seoul). */
char    *drd_cli_format_time (gint64 t);

/* Path of a shipped data file: PKGDATADIR/NAME when installed, else
 * SOURCE_DATADIR/NAME (running from the build tree). */
char    *drd_cli_data_file (const char *name);

/* ---- Output (stdout, UTF-8 bytes as they are) -------------------------- */

/* Append one RFC 4180 field (quoted when it contains , " CR or LF); a
 * NULL value is an empty field. FIRST = no leading comma. */
void drd_cli_csv_field (GString *line, const char *value, gboolean first);
/* Append a JSON string literal (with quotes), or null for NULL. */
void drd_cli_json_string (GString *out, const char *value);
/* Write the buffer to stdout and truncate it; FALSE on a write error. */
gboolean drd_cli_flush (GString *buffer, GError **error);

/* Output format option of list commands. */
typedef enum {
  DRD_CLI_FORMAT_CSV,
  DRD_CLI_FORMAT_JSON,
} DrdCliFormat;
gboolean drd_cli_parse_format (const char *text, DrdCliFormat *out);

G_END_DECLS
