/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The customer CSV import (design.md "Customer CSV"), one for the window
 * and for `drdeskctl customers import`.
 *
 * It streams: the file is read in chunks of about 1 MiB, each row is
 * validated as it is read, valid rows go to the store in batches
 * (drd_store_import_customers, one transaction per batch) and every
 * refused row is handed to a callback as (line, reason), in line order,
 * as soon as its batch is done. Memory stays bounded whatever the size
 * of the file or the number of bad rows: a chunk, a batch, and the ids
 * and KEPCO numbers already taken, which live in a temporary file
 * (store/drd-store-import-seen.h).
 *
 * Rules of a row (the columns are trimmed of spaces and tabs first):
 *   customer_id        a positive integer; not twice in one file
 *   name               1..200 characters
 *   kepco_customer_no  1..32 digits; not twice in one file, not another
 *                      customer's in the database
 *   resource           empty = "default"; ≤ 100 characters
 *   registered_kw      a non-negative decimal number, at most 3 decimals
 *                      (exact: parsed as integer watts, never a float)
 *   cbl_method         empty = mid-6-10, or max-4-5
 *   is_factory         empty = false; true or false (any case)
 *   phone              optional
 *   email              optional; one '@' with text on both sides, no space
 *   webhook_url        optional; an http:// or https:// URL with a host,
 *                      whose host is not a literal loopback, private,
 *                      link-local, multicast or unspecified address (or
 *                      "localhost"): a customer's endpoint is on the
 *                      internet, and such a URL would make DR Desk post into
 *                      the aggregator's own network. Names that merely
 *                      resolve to such addresses are the notifier's
 *                      delivery-time check.
 * A row that fails the CSV syntax (a stray quote, invalid UTF-8) is
 * refused with the reader's reason. A quoted field that is not closed
 * within 1 MiB ends the import at that row (the rest of the file would
 * be inside the quote). Line numbers are physical lines where the row
 * starts, 1 = the header. */
#pragma once

#include <gio/gio.h>

#include "core/drd-types.h"
#include "store/drd-store.h"

G_BEGIN_DECLS

#define DRD_IMPORTER_DEFAULT_RESOURCE "default"

#define DRD_IMPORTER_ERROR (drd_importer_error_quark ())
GQuark drd_importer_error_quark (void);

typedef enum {
  DRD_IMPORTER_ERROR_ROW,        /* a refused row; the message is the reason */
  DRD_IMPORTER_ERROR_READ,       /* the file could not be read */
} DrdImporterError;

/* The columns of the customer CSV, in the contract's order. */
typedef enum {
  DRD_IMPORT_COL_ID, DRD_IMPORT_COL_NAME, DRD_IMPORT_COL_KEPCO, DRD_IMPORT_COL_RESOURCE,
  DRD_IMPORT_COL_KW, DRD_IMPORT_COL_CBL, DRD_IMPORT_COL_FACTORY, DRD_IMPORT_COL_PHONE,
  DRD_IMPORT_COL_EMAIL, DRD_IMPORT_COL_WEBHOOK, DRD_IMPORT_N_COLS
} DrdImportColumn;

/* NULL-terminated header names, by DrdImportColumn. */
extern const char *const drd_import_columns[DRD_IMPORT_N_COLS + 1];

/* The rules of one row that need no other row (everything but the
 * duplicate and database checks): @values are the raw cells by column
 * (NULL = column absent). Returns a new customer, or NULL with a
 * DRD_IMPORTER_ERROR_ROW error whose message is the reason. */
DrdCustomer *drd_importer_parse_row (const char *const values[DRD_IMPORT_N_COLS],
                                     GError          **error);

/* TRUE when @host (as in a URL, IPv6 without brackets) is a literal
 * loopback, private, link-local, multicast, broadcast or unspecified
 * address, in any spelling the resolver accepts ("127.1", "2130706433",
 * "::ffff:10.0.0.1"), or localhost. */
gboolean drd_importer_host_is_internal (const char *host);

typedef struct {
  guint64 n_rows;        /* data rows read (the header not counted) */
  guint64 n_inserted;
  guint64 n_updated;
  guint64 n_unchanged;
  guint64 n_refused;
  guint64 bytes_read;
} DrdImportCounts;

/* Called for each refused row, in line order, from the thread that runs
 * the import. @reason is one line of text (no line number). */
typedef void (*DrdImporterRefusedFunc) (guint64     line,
                                        const char *reason,
                                        gpointer    user_data);
/* Called after each batch, from the thread that runs the import. */
typedef void (*DrdImporterProgressFunc) (const DrdImportCounts *counts,
                                         gpointer               user_data);

typedef struct _DrdImporter DrdImporter;

DrdImporter *drd_importer_new  (DrdStore   *store,
                                const char *actor);
void         drd_importer_free (DrdImporter *importer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdImporter, drd_importer_free)

void drd_importer_set_refused_func  (DrdImporter            *importer,
                                     DrdImporterRefusedFunc  func,
                                     gpointer                user_data);
void drd_importer_set_progress_func (DrdImporter             *importer,
                                     DrdImporterProgressFunc  func,
                                     gpointer                 user_data);
/* For tests: read @chunk_bytes at a time (default 1 MiB), store
 * @batch_rows rows per transaction (default 20,000), refuse a row longer
 * than @max_row_bytes (default 1 MiB). 0 keeps a value. */
void drd_importer_set_limits (DrdImporter *importer,
                              gsize        chunk_bytes,
                              guint        batch_rows,
                              gsize        max_row_bytes);

/* Imports @input (blocking: run it on a worker thread or in drdeskctl).
 * FALSE with @error when the header is bad (nothing imported), the file
 * cannot be read or the store fails (the batches before stay stored;
 * the counts say how far it came), or @cancellable was cancelled
 * (G_IO_ERROR_CANCELLED, between batches). Refused rows are not an
 * error: they are counted and reported through the refused callback. */
gboolean drd_importer_run (DrdImporter   *importer,
                           GInputStream  *input,
                           GCancellable  *cancellable,
                           GError       **error);
const DrdImportCounts *drd_importer_get_counts (DrdImporter *importer);

/* ------------------------------------------------------------------ */
/* The report of refused rows, kept in a temporary file so that millions
 * of them cost no memory: every "LINE: reason" line, in order. Written
 * by one thread, then read by one thread (after the writer is done). */

typedef struct _DrdImportReport DrdImportReport;

DrdImportReport *drd_import_report_new  (GError **error);
void             drd_import_report_free (DrdImportReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdImportReport, drd_import_report_free)

/* A DrdImporterRefusedFunc: appends "LINE: reason". A write error is
 * kept and returned by drd_import_report_close(). */
void     drd_import_report_add (guint64     line,
                                const char *reason,
                                gpointer    report);
/* Ends writing; FALSE when a line could not be written. Only a closed
 * report can be read: then drd_import_report_get_line() (one thread) and
 * drd_import_report_save() (another) may run at the same time. */
gboolean drd_import_report_close (DrdImportReport *report,
                                  GError         **error);
guint64  drd_import_report_get_n_lines (DrdImportReport *report);
/* Line @index (0-based) without its newline, e.g. "7: name is empty";
 * NULL with @error when the file cannot be read. Reads at most one block
 * of 256 lines from the temporary file (the last block is cached). */
char    *drd_import_report_get_line (DrdImportReport *report,
                                     guint64          index,
                                     GError         **error);
/* Writes the whole report (UTF-8 text, one line each) to @path,
 * replacing it. Blocking. */
gboolean drd_import_report_save (DrdImportReport *report,
                                 const char      *path,
                                 GError         **error);

/* The import's figures, kept with the report for whoever shows it. */
DrdImportCounts *drd_import_report_get_counts (DrdImportReport *report);

G_END_DECLS
