/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audit trail of one event or one customer, newest first: when, who,
 * what, old → new. Pages of the store's audit query (async); "Show Older"
 * loads the next page. */
#pragma once

#include <gtk/gtk.h>

#include "store/drd-store.h"
#include "store/drd-store-audit.h"

G_BEGIN_DECLS

#define DRD_TYPE_AUDIT_ITEM (drd_audit_item_get_type ())
G_DECLARE_FINAL_TYPE (DrdAuditItem, drd_audit_item, DRD, AUDIT_ITEM, GObject)

/* Display strings of one entry (also for tests): "when", "who", "what",
 * "change". */
DrdAuditItem *drd_audit_item_new (const DrdAuditEntry *entry);

#define DRD_TYPE_AUDIT_DIALOG (drd_audit_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DrdAuditDialog, drd_audit_dialog, DRD, AUDIT_DIALOG, GtkWindow)

/* @event_id / @customer_id: 0 = any. @subject names it in the title. */
GtkWidget *drd_audit_dialog_new (GtkWidget  *from,
                                 DrdStore   *store,
                                 gint64      event_id,
                                 gint64      customer_id,
                                 const char *subject);

G_END_DECLS
