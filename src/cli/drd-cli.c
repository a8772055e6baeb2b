/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "cli/drd-cli.h"

#include <stdio.h>

int
drd_cli_main (int argc, char **argv)
{
  fprintf (stderr, "drdeskctl: no commands yet\n");
  return 2;
}
