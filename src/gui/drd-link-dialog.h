/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A customer's personal answer link: shown, copied to the clipboard, and
 * rotated after a warning that the old link stops working. Plus the
 * event's links CSV (the `drdeskctl links` contract) from the window.
 * All link work runs in a worker thread (service/drd-answer-links.h). */
#pragma once

#include <gtk/gtk.h>

#include "store/drd-store.h"

G_BEGIN_DECLS

#define DRD_TYPE_LINK_DIALOG (drd_link_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DrdLinkDialog, drd_link_dialog, DRD, LINK_DIALOG, GtkWindow)

GtkWidget  *drd_link_dialog_new (GtkWidget  *from,
                                 DrdStore   *store,
                                 gint64      customer_id,
                                 const char *customer_name);
/* The link shown (NULL while loading). */
const char *drd_link_dialog_get_link (DrdLinkDialog *self);

/* The portal's public base URL of the operator's settings (no trailing
 * slash). */
char       *drd_link_base_url (GtkWidget *from);

/* Export Links…: @path NULL asks for a file; the result is a toast. */
void        drd_links_export (GtkWidget      *from,
                              DrdStore       *store,
                              const DrdEvent *event,
                              const char     *path);

G_END_DECLS
