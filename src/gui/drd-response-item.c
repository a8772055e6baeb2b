/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "gui/drd-gui-util.h"
#include "gui/drd-response-item.h"

struct _DrdResponseItem
{
  GObject         parent_instance;

  DrdResponseRow  data;
  gboolean        loaded;
  char           *text[11];
};

enum {
  PROP_0,
  PROP_CUSTOMER_ID_TEXT,
  PROP_NAME,
  PROP_KEPCO_NO,
  PROP_ANSWER,
  PROP_ANSWERED_AT,
  PROP_CHANNEL,
  PROP_OUTCOME,
  PROP_REDUCTION,
  PROP_POINTS,
  PROP_REGISTERED,
  PROP_PHONE,
  PROP_LOADED,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (DrdResponseItem, drd_response_item, G_TYPE_OBJECT)

static void
drd_response_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DrdResponseItem *self = DRD_RESPONSE_ITEM (object);

  if (prop_id >= PROP_CUSTOMER_ID_TEXT && prop_id <= PROP_PHONE)
    g_value_set_string (value, self->text[prop_id - PROP_CUSTOMER_ID_TEXT]);
  else if (prop_id == PROP_LOADED)
    g_value_set_boolean (value, self->loaded);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
drd_response_item_finalize (GObject *object)
{
  DrdResponseItem *self = DRD_RESPONSE_ITEM (object);

  g_free (self->data.name);
  g_free (self->data.kepco_no);
  g_free (self->data.phone);
  for (guint i = 0; i < G_N_ELEMENTS (self->text); i++)
    g_free (self->text[i]);
  G_OBJECT_CLASS (drd_response_item_parent_class)->finalize (object);
}

static void
drd_response_item_class_init (DrdResponseItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  static const char *names[] = { "customer-id-text", "name", "kepco-no", "answer",
                                 "answered-at", "channel", "outcome", "reduction", "points",
                                 "registered", "phone" };

  object_class->get_property = drd_response_item_get_property;
  object_class->finalize = drd_response_item_finalize;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    properties[PROP_CUSTOMER_ID_TEXT + i] =
      g_param_spec_string (names[i], NULL, NULL, NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
drd_response_item_init (DrdResponseItem *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->text); i++)
    self->text[i] = g_strdup ("");
}

DrdResponseItem *
drd_response_item_new (gint64 customer_id)
{
  DrdResponseItem *self = g_object_new (DRD_TYPE_RESPONSE_ITEM, NULL);

  self->data.customer_id = customer_id;
  g_free (self->text[0]);
  self->text[0] = g_strdup_printf ("%" G_GINT64_FORMAT, customer_id);
  g_free (self->text[1]);
  self->text[1] = g_strdup ("…");
  return self;
}

gint64
drd_response_item_get_customer_id (DrdResponseItem *self)
{
  return self->data.customer_id;
}

gboolean
drd_response_item_get_loaded (DrdResponseItem *self)
{
  return self->loaded;
}

int
drd_response_item_get_answer (DrdResponseItem *self)
{
  return self->data.answer;
}

const DrdResponseRow *
drd_response_item_get_data (DrdResponseItem *self)
{
  return &self->data;
}

static void
set_text (DrdResponseItem *self, guint prop, char *value)
{
  char **slot = &self->text[prop - PROP_CUSTOMER_ID_TEXT];

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
drd_response_item_reset (DrdResponseItem *self, gint64 customer_id)
{
  if (self->data.customer_id == customer_id && !self->loaded)
    return;
  g_object_freeze_notify (G_OBJECT (self));
  g_clear_pointer (&self->data.name, g_free);
  g_clear_pointer (&self->data.kepco_no, g_free);
  g_clear_pointer (&self->data.phone, g_free);
  memset (&self->data, 0, sizeof self->data);
  self->data.customer_id = customer_id;
  set_text (self, PROP_CUSTOMER_ID_TEXT, g_strdup_printf ("%" G_GINT64_FORMAT, customer_id));
  set_text (self, PROP_NAME, g_strdup ("…"));
  for (guint p = PROP_KEPCO_NO; p <= PROP_PHONE; p++)
    set_text (self, p, g_strdup (""));
  if (self->loaded)
    {
      self->loaded = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

gboolean
drd_response_item_update (DrdResponseItem *self, const DrdResponseRow *row)
{
  g_return_val_if_fail (row->customer_id == self->data.customer_id, FALSE);
  if (self->loaded && drd_response_row_equal (&self->data, row))
    return FALSE;

  g_object_freeze_notify (G_OBJECT (self));
  g_free (self->data.name);
  g_free (self->data.kepco_no);
  g_free (self->data.phone);
  self->data = *row;
  self->data.name = g_strdup (row->name);
  self->data.kepco_no = g_strdup (row->kepco_no);
  self->data.phone = g_strdup (row->phone);

  set_text (self, PROP_NAME, g_strdup (row->name ? row->name : ""));
  set_text (self, PROP_KEPCO_NO, g_strdup (row->kepco_no ? row->kepco_no : ""));
  set_text (self, PROP_ANSWER, g_strdup (drd_gui_answer_label (row->answer)));
  set_text (self, PROP_ANSWERED_AT, row->answered_at > 0 ? drd_gui_format_time (row->answered_at)
                                                         : g_strdup ("—"));
  set_text (self, PROP_CHANNEL, g_strdup (drd_gui_channel_label (row->channel)));
  set_text (self, PROP_OUTCOME, g_strdup (row->outcome > 0 ? drd_gui_outcome_label (row->outcome)
                                                           : "—"));
  set_text (self, PROP_REDUCTION, row->has_reduction
                                  ? g_strdup_printf ("%.3f kWh", row->reduction_wh / 1000.0)
                                  : g_strdup ("—"));
  set_text (self, PROP_POINTS, row->outcome > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, row->points)
                                                : g_strdup ("—"));
  set_text (self, PROP_REGISTERED, drd_gui_format_kw (row->registered_w));
  set_text (self, PROP_PHONE, g_strdup (row->phone ? row->phone : "—"));
  if (!self->loaded)
    {
      self->loaded = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
    }
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}
