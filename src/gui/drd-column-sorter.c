/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "gui/drd-column-sorter.h"

struct _DrdColumnSorter
{
  GtkSorter parent_instance;

  int       key;
};

G_DEFINE_FINAL_TYPE (DrdColumnSorter, drd_column_sorter, GTK_TYPE_SORTER)

/* Set by compare() during a probe: the first column sorter asked is the
 * primary one (GtkColumnViewSorter asks its columns in order and stops at
 * the first that is not "equal"). Main thread only. */
static DrdColumnSorter *probe_hit;

static GtkOrdering
drd_column_sorter_compare (GtkSorter *sorter, gpointer item1, gpointer item2)
{
  if (probe_hit == NULL)
    probe_hit = DRD_COLUMN_SORTER (sorter);
  return GTK_ORDERING_SMALLER;
}

static GtkSorterOrder
drd_column_sorter_get_order (GtkSorter *sorter)
{
  return GTK_SORTER_ORDER_PARTIAL;
}

static void
drd_column_sorter_class_init (DrdColumnSorterClass *klass)
{
  GtkSorterClass *sorter_class = GTK_SORTER_CLASS (klass);

  sorter_class->compare = drd_column_sorter_compare;
  sorter_class->get_order = drd_column_sorter_get_order;
}

static void
drd_column_sorter_init (DrdColumnSorter *self)
{
}

DrdColumnSorter *
drd_column_sorter_new (int key)
{
  DrdColumnSorter *self = g_object_new (DRD_TYPE_COLUMN_SORTER, NULL);

  self->key = key;
  return self;
}

int
drd_column_sorter_get_key (DrdColumnSorter *self)
{
  return self->key;
}

int
drd_column_sorter_probe (GtkSorter *view_sorter, gboolean *out_descending)
{
  g_autoptr(GObject) a = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GObject) b = g_object_new (G_TYPE_OBJECT, NULL);
  GtkOrdering result;
  int key = -1;

  probe_hit = NULL;
  result = gtk_sorter_compare (view_sorter, a, b);
  if (probe_hit != NULL)
    key = probe_hit->key;
  probe_hit = NULL;
  if (out_descending != NULL)
    *out_descending = result == GTK_ORDERING_LARGER;
  return key;
}
