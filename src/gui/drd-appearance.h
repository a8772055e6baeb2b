/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The app icon and the dark style, set up once per display. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Makes the app icon resolvable when running from the build tree (adds
 * data/icons to the icon theme's search path), sets it as the windows'
 * default icon, follows the desktop's dark preference
 * (org.gnome.desktop.interface color-scheme) into GtkSettings'
 * gtk-application-prefer-dark-theme, and loads style-dark.css on top of
 * style.css while the dark style is on. Needs a display. */
void        drd_gui_setup_appearance (void);
/* The icon name to show (APP_ID, or the stable id for a .Devel build run
 * from the tree). */
const char *drd_gui_icon_name (void);
/* Whether the dark style is in use. */
gboolean    drd_gui_is_dark (void);

G_END_DECLS
