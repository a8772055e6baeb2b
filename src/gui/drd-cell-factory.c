/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "gui/drd-cell-factory.h"

guint drd_cell_factory_n_setup;
guint drd_cell_factory_n_bind;

#define CELL_CHARS 8

/* The size every cell asks for: one text line high, CELL_CHARS wide in
 * the cells' font, looked up once per font. */
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

/* A one-line text cell. GtkInscription (4.8) would do, but it asks Pango
 * for the font metrics on every width measure, even when told to request
 * no width: pango_context_get_metrics() shapes a sample text each time,
 * and a first fill of the table measures a few hundred new cells in one
 * frame. This cell's measure is the size above; it draws its text
 * ellipsized at the end, and its accessible label is the text. */
struct _DrdCell
{
  GtkWidget    parent_instance;
  char        *text;
  float        xalign;
  PangoLayout *layout;
  const char  *property;    /* the factory's */
  GtkListItem *list_item;   /* weak */
};

enum {
  CELL_PROP_0,
  CELL_PROP_TEXT,
  CELL_N_PROPS
};
static GParamSpec *cell_props[CELL_N_PROPS];

G_DEFINE_FINAL_TYPE (DrdCell, drd_cell, GTK_TYPE_WIDGET)

/* What a screen reader reads is the column view's cell around this one
 * (a "table cell" on AT-SPI) and its row, which GTK 4.8 names by their
 * type ("GtkColumnViewCell", "GtkListItemWidget") when they have no
 * label: the cell is labelled with the text, the row with its cells'
 * texts. */
static void
update_container_labels (DrdCell *self)
{
  GtkWidget *cell = gtk_widget_get_parent (GTK_WIDGET (self));
  GtkWidget *row = cell != NULL ? gtk_widget_get_parent (cell) : NULL;
  GString *all;

  if (cell == NULL)
    return;
  gtk_accessible_update_property (GTK_ACCESSIBLE (cell), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->text ? self->text : "", -1);
  if (row == NULL)
    return;
  all = g_string_new (NULL);
  for (GtkWidget *c = gtk_widget_get_first_child (row); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *child = gtk_widget_get_first_child (c);

      if (child != NULL && DRD_IS_CELL (child) && DRD_CELL (child)->text != NULL
          && *DRD_CELL (child)->text != '\0')
        {
          if (all->len > 0)
            g_string_append (all, ", ");
          g_string_append (all, DRD_CELL (child)->text);
        }
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, all->str, -1);
  g_string_free (all, TRUE);
}

static void
drd_cell_set_text (DrdCell *self, const char *text)
{
  if (g_strcmp0 (self->text, text) == 0)
    return;
  g_free (self->text);
  self->text = g_strdup (text);
  if (self->layout != NULL)
    pango_layout_set_text (self->layout, self->text ? self->text : "", -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->text ? self->text : "", -1);
  update_container_labels (self);
  g_object_notify_by_pspec (G_OBJECT (self), cell_props[CELL_PROP_TEXT]);
}

static void
drd_cell_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                  int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  int width, height;

  cell_size (widget, &width, &height);
  *minimum = *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? width : height;
}

static void
drd_cell_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  DrdCell *self = DRD_CELL (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  PangoRectangle logical;
  GdkRGBA color;
  float x, y;

  if (self->text == NULL || *self->text == '\0' || width <= 0 || height <= 0)
    return;
  if (self->layout == NULL)
    {
      self->layout = gtk_widget_create_pango_layout (widget, self->text);
      pango_layout_set_ellipsize (self->layout, PANGO_ELLIPSIZE_END);
      pango_layout_set_single_paragraph_mode (self->layout, TRUE);
    }
  pango_layout_set_width (self->layout, width * PANGO_SCALE);
  pango_layout_get_pixel_extents (self->layout, NULL, &logical);
  x = pango_layout_is_ellipsized (self->layout)
      ? 0 : floorf (self->xalign * (width - logical.width) - logical.x);
  if (gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL)
    x = width - logical.width - x;
  y = MAX (0, floorf ((height - logical.height) / 2.0f));
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);
  G_GNUC_END_IGNORE_DEPRECATIONS
  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, self->layout, &color);
  gtk_snapshot_restore (snapshot);
  gtk_snapshot_pop (snapshot);
}

static void
drd_cell_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  DrdCell *self = DRD_CELL (widget);

  GTK_WIDGET_CLASS (drd_cell_parent_class)->css_changed (widget, change);
  /* The font may have changed: the layout is made again when drawn. */
  g_clear_object (&self->layout);
  gtk_widget_queue_resize (widget);
}

static void
drd_cell_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  if (prop_id == CELL_PROP_TEXT)
    g_value_set_string (value, DRD_CELL (object)->text);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
drd_cell_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  if (prop_id == CELL_PROP_TEXT)
    drd_cell_set_text (DRD_CELL (object), g_value_get_string (value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
drd_cell_finalize (GObject *object)
{
  DrdCell *self = DRD_CELL (object);

  if (self->list_item != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->list_item), (gpointer *) &self->list_item);
  g_free (self->text);
  g_clear_object (&self->layout);
  G_OBJECT_CLASS (drd_cell_parent_class)->finalize (object);
}

static void
drd_cell_class_init (DrdCellClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = drd_cell_get_property;
  object_class->set_property = drd_cell_set_property;
  object_class->finalize = drd_cell_finalize;
  widget_class->measure = drd_cell_measure;
  widget_class->snapshot = drd_cell_snapshot;
  widget_class->css_changed = drd_cell_css_changed;
  cell_props[CELL_PROP_TEXT] = g_param_spec_string ("text", NULL, NULL, NULL,
                                                    G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY
                                                    | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, CELL_N_PROPS, cell_props);
  gtk_widget_class_set_css_name (widget_class, "label");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_LABEL);
}

static void
drd_cell_init (DrdCell *self)
{
}

static void
on_setup (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  DrdCell *cell = g_object_new (DRD_TYPE_CELL, NULL);

  drd_cell_factory_n_setup++;
  cell->xalign = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "xalign")) / 100.0f;
  cell->property = data;
  cell->list_item = item;
  g_object_add_weak_pointer (G_OBJECT (item), (gpointer *) &cell->list_item);
  gtk_list_item_set_child (item, GTK_WIDGET (cell));
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
  /* the text may be the one the cell had before it was in a row */
  update_container_labels (DRD_CELL (gtk_list_item_get_child (item)));
}

static void
on_unbind (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GBinding *binding = g_object_get_data (G_OBJECT (item), "drd-binding");

  if (binding != NULL)
    g_binding_unbind (binding);
  g_object_set_data (G_OBJECT (item), "drd-binding", NULL);
}

GtkListItemFactory *
drd_cell_factory_new (const char *property, float xalign)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  /* interned: cells may outlive their factory */
  const char *name = g_intern_string (property);

  g_object_set_data (G_OBJECT (factory), "xalign", GINT_TO_POINTER ((int) (xalign * 100)));
  g_signal_connect (factory, "setup", G_CALLBACK (on_setup), (gpointer) name);
  g_signal_connect (factory, "bind", G_CALLBACK (on_bind), (gpointer) name);
  g_signal_connect (factory, "unbind", G_CALLBACK (on_unbind), NULL);
  return factory;
}

const char *
drd_cell_get_text (DrdCell *self)
{
  g_return_val_if_fail (DRD_IS_CELL (self), NULL);
  return self->text;
}

const char *
drd_cell_get_property_name (DrdCell *self)
{
  g_return_val_if_fail (DRD_IS_CELL (self), NULL);
  return self->property;
}

GtkListItem *
drd_cell_get_list_item (DrdCell *self)
{
  g_return_val_if_fail (DRD_IS_CELL (self), NULL);
  return self->list_item;
}
