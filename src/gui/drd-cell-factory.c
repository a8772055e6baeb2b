/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "gui/drd-cell-factory.h"

guint drd_cell_factory_n_setup;
guint drd_cell_factory_n_bind;

static void
on_setup (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  drd_cell_factory_n_setup++;
  GtkWidget *label = gtk_label_new (NULL);
  float xalign = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "xalign")) / 100.0f;

  gtk_label_set_xalign (GTK_LABEL (label), xalign);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (GTK_LABEL (label), TRUE);
  gtk_list_item_set_child (item, label);
}

static void
on_bind (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  const char *property = data;
  GObject *obj = gtk_list_item_get_item (item);
  GBinding *binding;

  drd_cell_factory_n_bind++;
  if (obj == NULL)
    return;
  binding = g_object_bind_property (obj, property, gtk_list_item_get_child (item), "label",
                                    G_BINDING_SYNC_CREATE);
  g_object_set_data (G_OBJECT (item), "drd-binding", binding);
}

static void
on_unbind (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GBinding *binding = g_object_get_data (G_OBJECT (item), "drd-binding");

  if (binding != NULL)
    g_binding_unbind (binding);
  g_object_set_data (G_OBJECT (item), "drd-binding", NULL);
}

static void
free_property (gpointer data, GClosure *closure)
{
  g_free (data);
}

GtkListItemFactory *
drd_cell_factory_new (const char *property, float xalign)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_object_set_data (G_OBJECT (factory), "xalign", GINT_TO_POINTER ((int) (xalign * 100)));
  g_signal_connect_data (factory, "setup", G_CALLBACK (on_setup), NULL, NULL, 0);
  g_signal_connect_data (factory, "bind", G_CALLBACK (on_bind), g_strdup (property),
                         free_property, 0);
  g_signal_connect (factory, "unbind", G_CALLBACK (on_unbind), NULL);
  return factory;
}
