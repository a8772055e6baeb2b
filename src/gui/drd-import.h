/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Customer CSV import for the window (design.md "Customer CSV"): the
 * file is read and parsed on a worker thread and stored in one
 * transaction; bad rows are reported with their line and the valid rows
 * are still imported. */
#pragma once

#include <gio/gio.h>

#include "store/drd-store.h"

G_BEGIN_DECLS

typedef struct {
  guint      n_inserted;
  guint      n_updated;
  GPtrArray *problems;     /* char*: "line 7: …" */
} DrdImportReport;

void drd_import_report_free (DrdImportReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdImportReport, drd_import_report_free)

void             drd_import_customers_async (DrdStore *store, GFile *file,
                                             GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
DrdImportReport *drd_import_customers_finish (GAsyncResult *result, GError **error);

G_END_DECLS
