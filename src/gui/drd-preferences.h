/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdPreferences: the Preferences window (portal, KEPCO link, settlement
 * rules) over DrdConfig.  Numbers are bound to GSettings where a key maps
 * 1:1 onto a spin button; addresses, URLs and the baseline method go
 * through DrdConfig's validation.  A value that is refused shows an inline
 * error under its field and changes nothing; an accepted one takes effect
 * at once.  The KEPCO service key is only ever written (0600 file next to
 * the database), never shown back. */
#pragma once

#include <gtk/gtk.h>

#include "service/drd-config.h"

G_BEGIN_DECLS

#define DRD_TYPE_PREFERENCES (drd_preferences_get_type ())
G_DECLARE_FINAL_TYPE (DrdPreferences, drd_preferences, DRD, PREFERENCES, GtkWindow)

/* @db_path: where the service key file lives ("<db_path>.kepco-key"). */
DrdPreferences *drd_preferences_new (GtkWindow  *parent,
                                     DrdConfig  *config,
                                     const char *db_path);
/* One Preferences window per parent: presents the existing one. */
DrdPreferences *drd_preferences_present (GtkWindow  *parent,
                                         DrdConfig  *config,
                                         const char *db_path);

/* For tests: the control of setting @key (or "kepco-service-key"), and
 * the inline error shown under it (NULL when none). */
GtkWidget      *drd_preferences_get_field (DrdPreferences *self,
                                           const char     *key);
const char     *drd_preferences_get_error (DrdPreferences *self,
                                           const char     *key);
const char     *drd_preferences_get_key_status (DrdPreferences *self);
/* Pages: "portal", "kepco", "settlement". */
void            drd_preferences_show_page (DrdPreferences *self,
                                           const char     *name);

/* The About window (version, licence, icon, database in use). */
void            drd_show_about (GtkWindow  *parent,
                                const char *db_path);

G_END_DECLS
