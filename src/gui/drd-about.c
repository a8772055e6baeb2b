/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The About window and the application icon. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gui/drd-appearance.h"
#include "gui/drd-preferences.h"

/* data/meson.build's project_url */
#define DRD_WEBSITE "https://github.com/drdesk/drdesk"

void
drd_show_about (GtkWindow *parent, const char *db_path)
{
  const char *authors[] = { _("DR Desk contributors"), NULL };
  const char *rules[] = { _("KPX demand-response market rules (CBL Max(4/5), Mid(6/10))"), NULL };
  g_autofree char *display_db = db_path ? g_filename_display_name (db_path) : NULL;
  g_autofree char *system = NULL;

  drd_gui_setup_appearance ();
  if (display_db != NULL)
    /* Translators: %s is the database file */
    system = g_strdup_printf (_("Database in use: %s\nStart with --db PATH to use another one."),
                              display_db);
  GtkWidget *about = g_object_new (GTK_TYPE_ABOUT_DIALOG,
                                   "program-name", _("DR Desk"),
                                   "logo-icon-name", drd_gui_icon_name (),
                                   "version", PACKAGE_VERSION,
                                   "comments", _("Demand-response operations console: customers, "
                                                 "DR events, answers and settlement."),
                                   "website", DRD_WEBSITE,
                                   "website-label", _("Project website"),
                                   "license-type", GTK_LICENSE_GPL_3_0,
                                   "copyright", _("© DR Desk contributors"),
                                   "authors", authors,
                                   "translator-credits", _("translator-credits"),
                                   "system-information", system,
                                   "transient-for", parent,
                                   "modal", parent != NULL,
                                   "destroy-with-parent", TRUE,
                                   NULL);

  gtk_about_dialog_add_credit_section (GTK_ABOUT_DIALOG (about), _("Settlement rules"), rules);
  gtk_window_present (GTK_WINDOW (about));
}
