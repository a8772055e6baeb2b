/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "kepco/drd-kepco-sim.h"

#include <stdio.h>

int
drd_kepco_sim_main (int argc, char **argv)
{
  fprintf (stderr, "drdesk-kepco-sim: not implemented yet\n");
  return 2;
}
