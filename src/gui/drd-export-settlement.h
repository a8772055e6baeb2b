/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The window's Export Settlement…: the CSV of `drdeskctl export
 * settlement` (service/drd-settle-export.h), written in a worker thread,
 * atomically, with the rows written so far reported on the main thread. */
#pragma once

#include <gio/gio.h>

#include "store/drd-store.h"

G_BEGIN_DECLS

/* Called on the caller's main context a few times a second. */
typedef void (*DrdExportProgressFunc) (guint64 n_rows, gpointer user_data);

void     drd_gui_export_settlement_async (DrdStore              *store,
                                          gint64                 event_id,
                                          const char            *event_name,
                                          GFile                 *file,
                                          gboolean               bom,
                                          DrdExportProgressFunc  progress,
                                          gpointer               progress_data,
                                          GCancellable          *cancellable,
                                          GAsyncReadyCallback    callback,
                                          gpointer               user_data);
gboolean drd_gui_export_settlement_finish (GAsyncResult  *result,
                                           guint64       *out_n_rows,
                                           GError       **error);

G_END_DECLS
