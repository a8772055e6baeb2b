/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* drdesk-kepco-sim's entry point (contract in design.md). */
int drd_kepco_sim_main (int argc, char **argv);

G_END_DECLS
