/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The customer_ids and KEPCO numbers an import has already taken, with
 * the line that took each, so a streaming import can refuse a second row
 * with the same id or number without holding the whole file in memory.
 *
 * The set lives in a private temporary SQLite database on disk (not the
 * desk's database: nothing of it is ever committed there), with a small
 * page cache, so a file of millions of rows costs a few MiB of memory
 * and the rest sits in a deleted temporary file. One set per import; use
 * it from one thread at a time. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DrdStoreImportSeen DrdStoreImportSeen;

DrdStoreImportSeen *drd_store_import_seen_new  (GError **error);
void                drd_store_import_seen_free (DrdStoreImportSeen *seen);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdStoreImportSeen, drd_store_import_seen_free)

/* Takes @id and @kepco_no for @line unless one of them is taken already:
 * then nothing is added and *@out_id_line (id taken; checked first) or
 * *@out_kepco_line gets the earlier line; both are 0 when the pair was
 * added. FALSE only when the temporary database fails. */
gboolean drd_store_import_seen_add (DrdStoreImportSeen *seen,
                                    gint64              id,
                                    const char         *kepco_no,
                                    guint64             line,
                                    guint64            *out_id_line,
                                    guint64            *out_kepco_line,
                                    GError            **error);

G_END_DECLS
