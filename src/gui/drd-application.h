/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdApplication: command line (--db, --kepco-url), app actions (quit,
 * about, preferences), opening the store off the main thread. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DRD_TYPE_APPLICATION (drd_application_get_type ())
G_DECLARE_FINAL_TYPE (DrdApplication, drd_application, DRD, APPLICATION, GtkApplication)

DrdApplication *drd_application_new (void);
const char     *drd_application_get_db_path (DrdApplication *self);
const char     *drd_application_get_kepco_url (DrdApplication *self);
/* Registers the GResource and binds the translation domain (tests call it too). */
void            drd_gui_init (void);
int             drd_application_main (int argc, char **argv);

G_END_DECLS
