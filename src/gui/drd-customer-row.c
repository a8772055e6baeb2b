/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "gui/drd-customer-row.h"
#include "gui/drd-gui-util.h"

struct _DrdCustomerRow
{
  GObject     parent_instance;

  DrdGridRow  data;
  gboolean    loaded;
  char       *text[8];
};

enum {
  PROP_0,
  PROP_ID_TEXT,
  PROP_NAME,
  PROP_KEPCO_NO,
  PROP_RESOURCE,
  PROP_REGISTERED,
  PROP_CBL,
  PROP_POINTS,
  PROP_LAST_ANSWER,
  PROP_LOADED,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (DrdCustomerRow, drd_customer_row, G_TYPE_OBJECT)

static void
drd_customer_row_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DrdCustomerRow *self = DRD_CUSTOMER_ROW (object);

  if (prop_id >= PROP_ID_TEXT && prop_id <= PROP_LAST_ANSWER)
    g_value_set_string (value, self->text[prop_id - PROP_ID_TEXT]);
  else if (prop_id == PROP_LOADED)
    g_value_set_boolean (value, self->loaded);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
drd_customer_row_finalize (GObject *object)
{
  DrdCustomerRow *self = DRD_CUSTOMER_ROW (object);

  g_free (self->data.name);
  g_free (self->data.kepco_no);
  g_free (self->data.resource);
  for (guint i = 0; i < G_N_ELEMENTS (self->text); i++)
    g_free (self->text[i]);
  G_OBJECT_CLASS (drd_customer_row_parent_class)->finalize (object);
}

static void
drd_customer_row_class_init (DrdCustomerRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  static const char *names[] = { "id-text", "name", "kepco-no", "resource", "registered",
                                 "cbl", "points", "last-answer" };

  object_class->get_property = drd_customer_row_get_property;
  object_class->finalize = drd_customer_row_finalize;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    properties[PROP_ID_TEXT + i] =
      g_param_spec_string (names[i], NULL, NULL, NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
drd_customer_row_init (DrdCustomerRow *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->text); i++)
    self->text[i] = g_strdup ("");
}

DrdCustomerRow *
drd_customer_row_new (gint64 id)
{
  DrdCustomerRow *self = g_object_new (DRD_TYPE_CUSTOMER_ROW, NULL);

  self->data.id = id;
  self->data.last_answer = -1;
  g_free (self->text[0]);
  self->text[0] = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  g_free (self->text[1]);
  self->text[1] = g_strdup ("…");
  return self;
}

gint64
drd_customer_row_get_id (DrdCustomerRow *self)
{
  return self->data.id;
}

gboolean
drd_customer_row_get_loaded (DrdCustomerRow *self)
{
  return self->loaded;
}

const char *
drd_customer_row_get_name (DrdCustomerRow *self)
{
  return self->data.name;
}

const DrdGridRow *
drd_customer_row_get_data (DrdCustomerRow *self)
{
  return &self->data;
}

static void
set_text (DrdCustomerRow *self, guint prop, char *value)
{
  char **slot = &self->text[prop - PROP_ID_TEXT];

  if (g_strcmp0 (*slot, value) == 0)
    {
      g_free (value);
      return;
    }
  g_free (*slot);
  *slot = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

void
drd_customer_row_reset (DrdCustomerRow *self, gint64 id)
{
  if (self->data.id == id && !self->loaded)
    return;
  g_object_freeze_notify (G_OBJECT (self));
  g_clear_pointer (&self->data.name, g_free);
  g_clear_pointer (&self->data.kepco_no, g_free);
  g_clear_pointer (&self->data.resource, g_free);
  memset (&self->data, 0, sizeof self->data);
  self->data.id = id;
  self->data.last_answer = -1;
  set_text (self, PROP_ID_TEXT, g_strdup_printf ("%" G_GINT64_FORMAT, id));
  set_text (self, PROP_NAME, g_strdup ("…"));
  for (guint p = PROP_KEPCO_NO; p <= PROP_LAST_ANSWER; p++)
    set_text (self, p, g_strdup (""));
  if (self->loaded)
    {
      self->loaded = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

gboolean
drd_customer_row_update (DrdCustomerRow *self, const DrdGridRow *row)
{
  gboolean changed;

  g_return_val_if_fail (row->id == self->data.id, FALSE);
  changed = !self->loaded || !drd_grid_row_equal (&self->data, row);
  if (!changed)
    return FALSE;

  g_object_freeze_notify (G_OBJECT (self));
  g_free (self->data.name);
  g_free (self->data.kepco_no);
  g_free (self->data.resource);
  self->data = *row;
  self->data.name = g_strdup (row->name);
  self->data.kepco_no = g_strdup (row->kepco_no);
  self->data.resource = g_strdup (row->resource);

  set_text (self, PROP_NAME, g_strdup (row->name ? row->name : _("(removed)")));
  set_text (self, PROP_KEPCO_NO, g_strdup (row->kepco_no ? row->kepco_no : ""));
  set_text (self, PROP_RESOURCE, g_strdup (row->resource ? row->resource : ""));
  set_text (self, PROP_REGISTERED, drd_gui_format_kw (row->registered_w));
  set_text (self, PROP_CBL, g_strdup (drd_gui_cbl_label (row->cbl_method)));
  set_text (self, PROP_POINTS, g_strdup_printf ("%" G_GINT64_FORMAT, row->points_balance));
  set_text (self, PROP_LAST_ANSWER, g_strdup (row->last_answer < 0
                                              ? "—" : drd_gui_answer_label (row->last_answer)));
  if (!self->loaded)
    {
      self->loaded = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
    }
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}
