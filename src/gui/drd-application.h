/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdApplication: command line (--db, --kepco-url, --no-portal,
 * --listen ADDR:PORT), app actions (quit, about, preferences), opening the
 * store off the main thread, and the customer portal served from the
 * window's process once the store is open (drd-portal-host.c). */
#pragma once

#include <gtk/gtk.h>

#include "gui/drd-portal-host.h"
#include "service/drd-config.h"

G_BEGIN_DECLS

#define DRD_TYPE_APPLICATION (drd_application_get_type ())
G_DECLARE_FINAL_TYPE (DrdApplication, drd_application, DRD, APPLICATION, GtkApplication)

DrdApplication *drd_application_new (void);
const char     *drd_application_get_db_path (DrdApplication *self);
const char     *drd_application_get_kepco_url (DrdApplication *self);
/* The operator's settings (created at startup). */
DrdConfig      *drd_application_get_config (DrdApplication *self);
/* The portal served from the window, or NULL (--no-portal, no store yet). */
DrdPortalHost  *drd_application_get_portal_host (DrdApplication *self);
/* Registers the GResource and binds the translation domain (tests call it too). */
void            drd_gui_init (void);
int             drd_application_main (int argc, char **argv);

G_END_DECLS
