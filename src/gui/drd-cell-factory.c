/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "gui/drd-cell-factory.h"

guint drd_cell_factory_n_setup;
guint drd_cell_factory_n_bind;

#define CELL_CHARS 8

/* The size every cell asks for: one text line high, CELL_CHARS wide in
 * the cells' font. GtkInscription computes the same from the font metrics
 * on every measure, and pango_context_get_metrics() shapes a sample text
 * each time: with the ~300 cells of a first fill that was most of the
 * frame. Here it is looked up once per font. */
static guint cell_font_hash;
static int   cell_width = -1, cell_height = -1;

static void
cell_size (GtkWidget *cell, int *width, int *height)
{
  PangoContext *context = gtk_widget_get_pango_context (cell);
  const PangoFontDescription *font = pango_context_get_font_description (context);
  guint hash = font != NULL ? pango_font_description_hash (font) : 0;

  if (cell_height < 0 || hash != cell_font_hash)
    {
      PangoFontMetrics *m = pango_context_get_metrics (context, NULL, NULL);
      int char_width = MAX (pango_font_metrics_get_approximate_char_width (m),
                            pango_font_metrics_get_approximate_digit_width (m));

      cell_height = PANGO_PIXELS_CEIL (pango_font_metrics_get_ascent (m)
                                       + pango_font_metrics_get_descent (m));
      cell_width = PANGO_PIXELS_CEIL (CELL_CHARS * char_width);
      cell_font_hash = hash;
      pango_font_metrics_unref (m);
    }
  *width = cell_width;
  *height = cell_height;
}

static void
on_setup (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  /* GtkInscription (new in 4.8) is made for list cells: it does not
   * negotiate its size from its text, so rows lay out cheaply. With no
   * lines or characters asked for, its measure returns at once; the
   * size request gives the size instead. */
  GtkWidget *cell = gtk_inscription_new (NULL);
  float xalign = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "xalign")) / 100.0f;
  int width, height;

  drd_cell_factory_n_setup++;
  gtk_inscription_set_xalign (GTK_INSCRIPTION (cell), xalign);
  gtk_inscription_set_text_overflow (GTK_INSCRIPTION (cell),
                                     GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
  gtk_inscription_set_min_chars (GTK_INSCRIPTION (cell), 0);
  gtk_inscription_set_nat_chars (GTK_INSCRIPTION (cell), 0);
  gtk_inscription_set_min_lines (GTK_INSCRIPTION (cell), 0);
  gtk_inscription_set_nat_lines (GTK_INSCRIPTION (cell), 0);
  cell_size (cell, &width, &height);
  gtk_widget_set_size_request (cell, width, height);
  gtk_list_item_set_child (item, cell);
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
  binding = g_object_bind_property (obj, property, gtk_list_item_get_child (item), "text",
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
