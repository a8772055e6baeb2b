/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "kepco/drd-kepco-sim.h"

int
main (int argc, char **argv)
{
  return drd_kepco_sim_main (argc, argv);
}
