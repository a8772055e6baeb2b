/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A GtkSorter that never sorts anything itself: it marks a column of a
 * GtkColumnView as sortable, and lets the view find out which column and
 * direction the user chose (GTK 4.8 has no getter for that) so the SQL
 * query can sort instead of loading every row. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DRD_TYPE_COLUMN_SORTER (drd_column_sorter_get_type ())
G_DECLARE_FINAL_TYPE (DrdColumnSorter, drd_column_sorter, DRD, COLUMN_SORTER, GtkSorter)

DrdColumnSorter *drd_column_sorter_new (int key);
int              drd_column_sorter_get_key (DrdColumnSorter *self);

/* Asks @view_sorter (a GtkColumnView's sorter) which DrdColumnSorter is
 * primary. Returns its key, or -1 when the view is unsorted. */
int              drd_column_sorter_probe (GtkSorter *view_sorter, gboolean *out_descending);

G_END_DECLS
