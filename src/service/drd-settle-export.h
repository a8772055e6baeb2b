/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The settlement CSV of design.md (event_id,event_name,customer_id,
 * customer_name,kepco_customer_no,answer,answered_at,baseline_kwh,
 * actual_kwh,reduction_kwh,outcome,points), shared by
 * `drdeskctl export settlement` and the window's Export Settlement….
 * Blocking: call from a worker thread (or the CLI). */
#pragma once

#include <stdio.h>
#include <gio/gio.h>

#include "store/drd-store.h"

G_BEGIN_DECLS

/* Called on the exporting thread about every 1000 rows and at the end. */
typedef void (*DrdSettleExportProgress) (guint64  n_rows,
                                         gpointer user_data);

/* Writes header and rows of @event_id to @out (@what names it in
 * errors). Checks @cancellable between rows. */
gboolean drd_settle_export_write (DrdStore                *store,
                                  gint64                   event_id,
                                  const char              *event_name,
                                  FILE                    *out,
                                  const char              *what,
                                  gboolean                 bom,
                                  DrdSettleExportProgress  progress,
                                  gpointer                 progress_data,
                                  GCancellable            *cancellable,
                                  guint64                 *out_n_rows,
                                  GError                 **error);

/* Same into @path through DrdOutputFile: a regular file (or a new one,
 * 0600) atomically — temporary file, fsync, rename; on any failure (or
 * cancellation) @path is untouched; a symlink stays a link, a FIFO or
 * device is written into, never replaced; "-" is stdout. */
gboolean drd_settle_export_to_file (DrdStore                *store,
                                    gint64                   event_id,
                                    const char              *event_name,
                                    const char              *path,
                                    gboolean                 bom,
                                    DrdSettleExportProgress  progress,
                                    gpointer                 progress_data,
                                    GCancellable            *cancellable,
                                    guint64                 *out_n_rows,
                                    GError                 **error);

G_END_DECLS
