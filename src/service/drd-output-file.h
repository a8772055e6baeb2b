/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdOutputFile: where an exported file goes (`--output`, the window's
 * Export dialog), without replacing what the path points at.
 *
 *  - "-" is stdout (the CLI's `--output -`).
 *  - A regular file, or a path that does not exist yet: written under a
 *    temporary name in the same folder, flushed to disk and renamed over
 *    it, so it is complete or not there at all. A new file is 0600 (the
 *    exports hold customers' data and answer links); an existing one keeps
 *    its mode (and, when allowed, its owner).
 *  - A symbolic link: the same for the file it points at, so the link stays
 *    a link; a link to nothing is refused (it would create a file wherever
 *    the link points).
 *  - Any other existing file (FIFO, character device such as /dev/stdout,
 *    a terminal): opened and written directly, never replaced. A folder is
 *    refused.
 * Errors are G_IO_ERROR with a sentence naming the path. */
#pragma once

#include <stdio.h>
#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _DrdOutputFile DrdOutputFile;

DrdOutputFile *drd_output_file_open (const char  *path,
                                     GError     **error);
/* Where to write; owned by @out. */
FILE          *drd_output_file_get_stream (DrdOutputFile *out);
/* The name to show in messages ("stdout" for "-"). */
const char    *drd_output_file_get_display_name (DrdOutputFile *out);
/* Flushes, syncs and puts the file in place; frees @out either way. */
gboolean       drd_output_file_commit (DrdOutputFile  *out,
                                       GError        **error);
/* Drops what was written (a temporary file is removed); frees @out. */
void           drd_output_file_abort (DrdOutputFile *out);

/* The whole of @data to @path with the rules above. */
gboolean       drd_output_file_write_all (const char  *path,
                                          const char  *data,
                                          gsize        len,
                                          GError     **error);

G_END_DECLS
