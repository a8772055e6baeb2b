/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Benchmark hook of the real window (bench/bench-outage.sh), enabled only
 * by DRD_BENCH_STALL=1 in the environment: it times drdesk's own main loop
 * and frame clock and prints machine-readable lines on stdout:
 *
 *   BENCH stall t=UNIX.MS loop-max-ms=X cpu-ms=C frame-max-ms=Y
 *         breaker=STATE settled=DONE/TOTAL waiting=N failed=N kepco=TEXT
 *     once a second (one line, wrapped here): X is the largest lateness of
 *     a 5 ms main-loop timer in that second (how long the loop could not
 *     dispatch), C the CPU time the main thread used in that gap (X much
 *     larger than C: the thread was waiting, descheduled or blocked on
 *     the X server, not working), Y the largest gap between two
 *     frame-clock ticks; breaker
 *     and counts come from the KEPCO client and the settler, the text is
 *     the overview's KEPCO indicator exactly as shown (to the line's end).
 *   BENCH breaker t=UNIX.MS state=STATE     at every breaker change
 *   BENCH stall-summary loop-max-ms=X frame-max-ms=Y seconds=S   at quit
 *
 * SIGTERM quits drdesk cleanly (the store finishes its writes) while the
 * hook is on. Nothing here is user-visible. */
#pragma once

#include <gtk/gtk.h>

#include "gui/drd-overview.h"
#include "gui/drd-settle-link.h"

G_BEGIN_DECLS

typedef struct _DrdBenchStall DrdBenchStall;

/* NULL unless DRD_BENCH_STALL is set. */
DrdBenchStall *drd_bench_stall_new_from_env (GApplication *app);
void           drd_bench_stall_set_window (DrdBenchStall *self,
                                           GtkWidget     *window,
                                           DrdOverview   *overview);
void           drd_bench_stall_set_settle_link (DrdBenchStall *self,
                                                DrdSettleLink *link);
/* Prints the summary line. */
void           drd_bench_stall_free (DrdBenchStall *self);

G_END_DECLS
