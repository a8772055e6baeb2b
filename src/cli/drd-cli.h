/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* drdeskctl's entry point: parses argv, runs one subcommand, returns the
 * exit status of design.md (0 ok, 1 user error, 2 bad usage). */
int drd_cli_main (int argc, char **argv);

G_END_DECLS
