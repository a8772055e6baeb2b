/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli/drd-cli.h"

int
main (int argc, char **argv)
{
  return drd_cli_main (argc, argv);
}
