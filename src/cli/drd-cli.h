/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* drdeskctl's entry point: parses argv, runs one subcommand, returns the
 * exit status of design.md (0 ok, 1 user error, 2 bad usage). */
int drd_cli_main (int argc, char **argv);

/* Exit statuses of the CLI contract. */
#define DRD_CLI_EXIT_OK    0
#define DRD_CLI_EXIT_ERROR 1   /* user error: one line "drdeskctl: ..." on stderr */
#define DRD_CLI_EXIT_USAGE 2   /* bad usage */

/* What every command receives. `--db PATH` (or `--db=PATH`) is taken out of
 * argv before the command runs, wherever it appeared, so commands never see
 * it; they get the resolved path in db_path. */
typedef struct {
  const char *db_path;   /* --db, or g_get_user_data_dir()/drdesk/drdesk.db */
  gboolean    db_given;  /* TRUE when --db was on the command line */
} DrdCliContext;

/* A command: argv[0] is the command's own name ("event"), argv[1..] its
 * arguments. Returns one of the DRD_CLI_EXIT_* statuses. */
typedef int (*DrdCliCommandFunc) (DrdCliContext *ctx, int argc, char **argv);

typedef struct {
  const char        *name;      /* first word after drdeskctl */
  DrdCliCommandFunc  run;
  const char        *usage;     /* one usage line for `drdeskctl --help`, N_() */
} DrdCliCommand;

/* How to add a command (e.g. `links`, `serve`, `settle`, `export`):
 *
 *  1. Create src/cli/drd-cli-<name>.c, include "cli/drd-cli-private.h",
 *     and write ONE public function
 *
 *       int drd_cli_cmd_<name> (DrdCliContext *ctx, int argc, char **argv);
 *
 *     Parse its options with drd_cli_parse_options() (gives --help and
 *     exit 2 on bad usage), open the store with drd_cli_open_store(),
 *     report errors with drd_cli_fail()/drd_cli_fail_error() (one line,
 *     exit 1) and print machine-readable output on stdout only
 *     (drd_cli_csv_field(), drd_cli_json_string(), drd_cli_flush()).
 *     All of these are declared in src/cli/drd-cli-private.h.
 *  2. Add ONE line to the DRD_CLI_COMMANDS table in drd-cli-private.h:
 *
 *       X (links, N_("links EVENT_ID [--output FILE]")) \
 *
 *     It declares the function and puts it into the dispatch table and
 *     into `drdeskctl --help`.
 *  3. Append 'drd-cli-<name>.c' to src/cli/meson.build (sorted list) and
 *     the file to po/POTFILES.in.
 *
 * Commands with sub-words (`customers import`, `event start`) dispatch
 * them inside their own file with drd_cli_dispatch() (see
 * drd-cli-event.c); tests run the real binary (tests/cli/test-cli.c).
 */

G_END_DECLS
