/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "gui/drd-application.h"

int
main (int argc, char **argv)
{
  return drd_application_main (argc, argv);
}
