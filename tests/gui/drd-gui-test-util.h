/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers for the window tests: a real database in a temp dir with many
 * customers, and waiting on the main loop with a deadline. */
#pragma once

#include <gtk/gtk.h>

#include "store/drd-store.h"

G_BEGIN_DECLS

typedef gboolean (*DrdTestCond) (gpointer data);

/* How much slower than normal this run is allowed to be: the
 * DRD_TEST_TIME_SCALE environment variable (build-aux/sanitize sets it;
 * code under ASan runs several times slower), at least 1. Every fixed
 * wait below is stretched by it. */
double    drd_test_time_scale (void);
guint     drd_test_scaled_ms (guint ms);

/* Iterates the default main context until @cond is TRUE or @timeout_ms
 * (scaled) passed; returns whether @cond became TRUE. drd_test_spin()
 * iterates for @ms (scaled). */
gboolean  drd_test_wait (DrdTestCond cond, gpointer data, guint timeout_ms);
void      drd_test_spin (guint ms);

/* A fresh database under a new temp dir with @n customers: id i, name
 * "고객 %05d" (every 7th "Kim Store %05d"), kepco_no "10%08d", resource
 * "r0".."r2" by i % 3, registered_w = (i % 100 + 1) * 1000. @out_dir
 * gets the directory (remove with drd_test_rmdir). */
DrdStore *drd_test_store_new (guint n, char **out_dir);
void      drd_test_rmdir (const char *dir);
/* Starts an event for every resource from now to now+2h; returns its id. */
gint64    drd_test_start_event (DrdStore *store, const char *name);
/* gtk_init_check() once; FALSE: skip the test. */
gboolean  drd_test_gtk_init (void);

G_END_DECLS
