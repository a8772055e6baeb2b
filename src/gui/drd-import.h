/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Customer CSV import for the window: the service's streaming importer
 * (service/drd-importer.h, the same rules as `drdeskctl customers
 * import`) run on a worker thread, with progress on the main thread, and
 * the dialog that shows every refused row ("LINE: reason") with
 * *Save Report…*. */
#pragma once

#include <gtk/gtk.h>

#include "service/drd-importer.h"
#include "store/drd-store.h"

G_BEGIN_DECLS

/* Called on the caller's main context after each batch; @total_bytes is
 * the file's size (0 when unknown). */
typedef void (*DrdImportProgressFunc) (const DrdImportCounts *counts,
                                       guint64                total_bytes,
                                       gpointer               user_data);

/* Imports @file off the main loop. @progress (may be NULL) is never
 * called after @callback. The result is the report of refused rows with
 * the counts (drd_import_report_get_counts), or an error when nothing
 * could be imported (bad header, unreadable file) or the import stopped
 * (the store failed; batches before stay stored). */
void             drd_import_customers_async  (DrdStore              *store,
                                              GFile                 *file,
                                              const char            *actor,
                                              DrdImportProgressFunc  progress,
                                              gpointer               progress_data,
                                              GCancellable          *cancellable,
                                              GAsyncReadyCallback    callback,
                                              gpointer               user_data);
DrdImportReport *drd_import_customers_finish (GAsyncResult  *result,
                                              GError       **error);

/* A GListModel of GtkStringObject, one per refused row ("7: name is
 * empty"), read from @report on demand (one block of 256 lines at a time
 * from its temporary file), so millions of rows cost no memory. Borrows
 * @report: it must outlive the model. */
GListModel      *drd_import_report_model_new (DrdImportReport *report);

/* The dialog: the counts, every refused row, *Save Report…* and *Close*.
 * Takes ownership of @report. @file_name is the imported file's name. */
GtkWindow       *drd_import_report_dialog_new (GtkWindow       *parent,
                                               DrdImportReport *report,
                                               const char      *file_name);

G_END_DECLS
