/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "gui/drd-customer-row.h"
#include "gui/drd-gui-util.h"

struct _DrdCustomerRow
{
  DrdPagedItem  parent_instance;

  DrdGridRow    data;
};

enum {
  COL_ID,
  COL_NAME,
  COL_KEPCO_NO,
  COL_RESOURCE,
  COL_REGISTERED,
  COL_CBL,
  COL_POINTS,
  COL_LAST_ANSWER,
  N_COLS
};

G_DEFINE_FINAL_TYPE (DrdCustomerRow, drd_customer_row, DRD_TYPE_PAGED_ITEM)

static void
drd_customer_row_finalize (GObject *object)
{
  DrdCustomerRow *self = DRD_CUSTOMER_ROW (object);

  g_free (self->data.name);
  g_free (self->data.kepco_no);
  g_free (self->data.resource);
  G_OBJECT_CLASS (drd_customer_row_parent_class)->finalize (object);
}

static void
drd_customer_row_class_init (DrdCustomerRowClass *klass)
{
  static const char *const names[N_COLS] = { "id-text", "name", "kepco-no", "resource",
                                             "registered", "cbl", "points", "last-answer" };

  G_OBJECT_CLASS (klass)->finalize = drd_customer_row_finalize;
  drd_paged_item_class_install_texts (DRD_PAGED_ITEM_CLASS (klass), names, N_COLS);
}

static void
drd_customer_row_init (DrdCustomerRow *self)
{
}

static void
set_placeholder (DrdCustomerRow *self)
{
  DrdPagedItem *item = DRD_PAGED_ITEM (self);

  drd_paged_item_take_text (item, COL_ID, g_strdup_printf ("%" G_GINT64_FORMAT, self->data.id));
  drd_paged_item_set_text (item, COL_NAME, "…");
  for (guint c = COL_KEPCO_NO; c < N_COLS; c++)
    drd_paged_item_set_text (item, c, "");
}

DrdCustomerRow *
drd_customer_row_new (gint64 id)
{
  DrdCustomerRow *self = g_object_new (DRD_TYPE_CUSTOMER_ROW, NULL);

  self->data.id = id;
  self->data.last_answer = -1;
  drd_paged_item_set_id (DRD_PAGED_ITEM (self), id);
  set_placeholder (self);
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
  return drd_paged_item_get_loaded (DRD_PAGED_ITEM (self));
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

void
drd_customer_row_reset (DrdCustomerRow *self, gint64 id)
{
  if (self->data.id == id && !drd_customer_row_get_loaded (self))
    return;
  g_object_freeze_notify (G_OBJECT (self));
  g_clear_pointer (&self->data.name, g_free);
  g_clear_pointer (&self->data.kepco_no, g_free);
  g_clear_pointer (&self->data.resource, g_free);
  memset (&self->data, 0, sizeof self->data);
  self->data.id = id;
  self->data.last_answer = -1;
  drd_paged_item_set_id (DRD_PAGED_ITEM (self), id);
  set_placeholder (self);
  drd_paged_item_set_loaded (DRD_PAGED_ITEM (self), FALSE);
  g_object_thaw_notify (G_OBJECT (self));
}

gboolean
drd_customer_row_update (DrdCustomerRow *self, const DrdGridRow *row)
{
  DrdPagedItem *item = DRD_PAGED_ITEM (self);

  g_return_val_if_fail (row->id == self->data.id, FALSE);
  if (drd_customer_row_get_loaded (self) && drd_grid_row_equal (&self->data, row))
    return FALSE;

  g_object_freeze_notify (G_OBJECT (self));
  g_free (self->data.name);
  g_free (self->data.kepco_no);
  g_free (self->data.resource);
  self->data = *row;
  self->data.name = g_strdup (row->name);
  self->data.kepco_no = g_strdup (row->kepco_no);
  self->data.resource = g_strdup (row->resource);

  drd_paged_item_set_text (item, COL_NAME, row->name ? row->name : _("(removed)"));
  drd_paged_item_set_text (item, COL_KEPCO_NO, row->kepco_no ? row->kepco_no : "");
  drd_paged_item_set_text (item, COL_RESOURCE, row->resource ? row->resource : "");
  drd_paged_item_take_text (item, COL_REGISTERED, drd_gui_format_kw (row->registered_w));
  drd_paged_item_set_text (item, COL_CBL, drd_gui_cbl_label (row->cbl_method));
  drd_paged_item_take_text (item, COL_POINTS, drd_gui_format_int (row->points_balance));
  drd_paged_item_set_text (item, COL_LAST_ANSWER, row->last_answer < 0
                                                  ? "—" : drd_gui_answer_label (row->last_answer));
  drd_paged_item_set_loaded (item, TRUE);
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}
