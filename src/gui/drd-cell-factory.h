/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A list item factory that shows one string property of the item in a
 * label. Made in C with GtkSignalListItemFactory: a GtkBuilder template
 * per cell costs a parse for each of the ~200 rows a list view keeps, and
 * that froze the window for hundreds of milliseconds on every reset. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

GtkListItemFactory *drd_cell_factory_new (const char *property, float xalign);

/* The cell widget the factory makes: one line of text, also its
 * accessible label. */
#define DRD_TYPE_CELL (drd_cell_get_type ())
G_DECLARE_FINAL_TYPE (DrdCell, drd_cell, DRD, CELL, GtkWidget)

const char  *drd_cell_get_text (DrdCell *self);
/* The item property the cell shows. */
const char  *drd_cell_get_property_name (DrdCell *self);
/* The list item the cell is the child of (its position and item). */
GtkListItem *drd_cell_get_list_item (DrdCell *self);

/* Cells made and bound so far (tests, benchmark). */
extern guint drd_cell_factory_n_setup;
extern guint drd_cell_factory_n_bind;

G_END_DECLS
