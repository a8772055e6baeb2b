/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "gui/drd-gui-util.h"
#include "gui/drd-response-item.h"

struct _DrdResponseItem
{
  DrdPagedItem    parent_instance;

  DrdResponseRow  data;
};

enum {
  COL_CUSTOMER_ID,
  COL_NAME,
  COL_KEPCO_NO,
  COL_ANSWER,
  COL_ANSWERED_AT,
  COL_CHANNEL,
  COL_OUTCOME,
  COL_REDUCTION,
  COL_POINTS,
  COL_REGISTERED,
  COL_PHONE,
  N_COLS
};

G_DEFINE_FINAL_TYPE (DrdResponseItem, drd_response_item, DRD_TYPE_PAGED_ITEM)

static void
drd_response_item_finalize (GObject *object)
{
  DrdResponseItem *self = DRD_RESPONSE_ITEM (object);

  g_free (self->data.name);
  g_free (self->data.kepco_no);
  g_free (self->data.phone);
  G_OBJECT_CLASS (drd_response_item_parent_class)->finalize (object);
}

static void
drd_response_item_class_init (DrdResponseItemClass *klass)
{
  static const char *const names[N_COLS] = { "customer-id-text", "name", "kepco-no", "answer",
                                             "answered-at", "channel", "outcome", "reduction",
                                             "points", "registered", "phone" };

  G_OBJECT_CLASS (klass)->finalize = drd_response_item_finalize;
  drd_paged_item_class_install_texts (DRD_PAGED_ITEM_CLASS (klass), names, N_COLS);
}

static void
drd_response_item_init (DrdResponseItem *self)
{
}

static void
set_placeholder (DrdResponseItem *self)
{
  DrdPagedItem *item = DRD_PAGED_ITEM (self);

  drd_paged_item_take_text (item, COL_CUSTOMER_ID,
                            g_strdup_printf ("%" G_GINT64_FORMAT, self->data.customer_id));
  drd_paged_item_set_text (item, COL_NAME, "…");
  for (guint c = COL_KEPCO_NO; c < N_COLS; c++)
    drd_paged_item_set_text (item, c, "");
}

DrdResponseItem *
drd_response_item_new (gint64 customer_id)
{
  DrdResponseItem *self = g_object_new (DRD_TYPE_RESPONSE_ITEM, NULL);

  self->data.customer_id = customer_id;
  drd_paged_item_set_id (DRD_PAGED_ITEM (self), customer_id);
  set_placeholder (self);
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
  return drd_paged_item_get_loaded (DRD_PAGED_ITEM (self));
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

void
drd_response_item_reset (DrdResponseItem *self, gint64 customer_id)
{
  if (self->data.customer_id == customer_id && !drd_response_item_get_loaded (self))
    return;
  g_object_freeze_notify (G_OBJECT (self));
  g_clear_pointer (&self->data.name, g_free);
  g_clear_pointer (&self->data.kepco_no, g_free);
  g_clear_pointer (&self->data.phone, g_free);
  memset (&self->data, 0, sizeof self->data);
  self->data.customer_id = customer_id;
  drd_paged_item_set_id (DRD_PAGED_ITEM (self), customer_id);
  set_placeholder (self);
  drd_paged_item_set_loaded (DRD_PAGED_ITEM (self), FALSE);
  g_object_thaw_notify (G_OBJECT (self));
}

gboolean
drd_response_item_update (DrdResponseItem *self, const DrdResponseRow *row)
{
  DrdPagedItem *item = DRD_PAGED_ITEM (self);
  char *reduction = NULL;

  g_return_val_if_fail (row->customer_id == self->data.customer_id, FALSE);
  if (drd_response_item_get_loaded (self) && drd_response_row_equal (&self->data, row))
    return FALSE;

  g_object_freeze_notify (G_OBJECT (self));
  g_free (self->data.name);
  g_free (self->data.kepco_no);
  g_free (self->data.phone);
  self->data = *row;
  self->data.name = g_strdup (row->name);
  self->data.kepco_no = g_strdup (row->kepco_no);
  self->data.phone = g_strdup (row->phone);

  drd_paged_item_set_text (item, COL_NAME, row->name ? row->name : "");
  drd_paged_item_set_text (item, COL_KEPCO_NO, row->kepco_no ? row->kepco_no : "");
  drd_paged_item_set_text (item, COL_ANSWER, drd_gui_answer_label (row->answer));
  drd_paged_item_take_text (item, COL_ANSWERED_AT, row->answered_at > 0
                                                   ? drd_gui_format_time (row->answered_at)
                                                   : g_strdup ("—"));
  drd_paged_item_set_text (item, COL_CHANNEL, drd_gui_channel_label (row->channel));
  drd_paged_item_set_text (item, COL_OUTCOME, row->outcome > 0
                                              ? drd_gui_outcome_label (row->outcome) : "—");
  if (row->has_reduction)
    {
      g_autofree char *kwh = drd_gui_format_kwh (row->reduction_wh);

      reduction = g_strdup_printf ("%s kWh", kwh);   /* the unit reads the same in Korean */
    }
  drd_paged_item_take_text (item, COL_REDUCTION, reduction ? reduction : g_strdup ("—"));
  drd_paged_item_take_text (item, COL_POINTS, row->outcome > 0 ? drd_gui_format_int (row->points)
                                                               : g_strdup ("—"));
  drd_paged_item_take_text (item, COL_REGISTERED, drd_gui_format_kw (row->registered_w));
  drd_paged_item_set_text (item, COL_PHONE, row->phone ? row->phone : "—");
  drd_paged_item_set_loaded (item, TRUE);
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}
