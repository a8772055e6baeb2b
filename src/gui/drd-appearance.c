/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "gui/drd-appearance.h"

const char *
drd_gui_icon_name (void)
{
  GdkDisplay *display = gdk_display_get_default ();
  GtkIconTheme *theme = display ? gtk_icon_theme_get_for_display (display) : NULL;

  /* A development build (kr.drdesk.DrDesk.Devel) run from the tree finds
   * the stable icon only. */
  if (theme != NULL && !gtk_icon_theme_has_icon (theme, APP_ID)
      && gtk_icon_theme_has_icon (theme, "kr.drdesk.DrDesk"))
    return "kr.drdesk.DrDesk";
  return APP_ID;
}

static void
setup_icons (GdkDisplay *display)
{
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (display);

  if (!gtk_icon_theme_has_icon (theme, APP_ID))
    {
      g_autofree char *dir = g_build_filename (SOURCE_DATADIR, "icons", NULL);

      /* Not installed: the icons in the source tree. */
      if (g_file_test (dir, G_FILE_TEST_IS_DIR))
        gtk_icon_theme_add_search_path (theme, dir);
    }
  gtk_window_set_default_icon_name (drd_gui_icon_name ());
}

/* ---- dark style ---- */

static GtkCssProvider *dark_provider;

gboolean
drd_gui_is_dark (void)
{
  GtkSettings *settings = gtk_settings_get_default ();
  g_autofree char *theme = NULL;
  const char *env_theme = g_getenv ("GTK_THEME");
  gboolean prefer_dark = FALSE;

  /* GTK_THEME=Adwaita:dark overrides the settings without changing them */
  if (env_theme != NULL)
    return g_str_has_suffix (env_theme, ":dark") || g_str_has_suffix (env_theme, "-dark");
  if (settings == NULL)
    return FALSE;
  g_object_get (settings, "gtk-application-prefer-dark-theme", &prefer_dark,
                "gtk-theme-name", &theme, NULL);
  return prefer_dark || (theme != NULL && g_str_has_suffix (theme, "-dark"));
}

/* GTK 4.8 has no prefers-color-scheme media query: the dark colours are a
 * second provider, present only while the dark style is on. */
static void
update_dark_css (void)
{
  GdkDisplay *display = gdk_display_get_default ();
  gboolean dark = drd_gui_is_dark ();

  if (display == NULL || dark == (dark_provider != NULL))
    return;
  if (dark)
    {
      dark_provider = gtk_css_provider_new ();
      gtk_css_provider_load_from_resource (dark_provider, "/kr/drdesk/DrDesk/style-dark.css");
      gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (dark_provider),
                                                  GTK_STYLE_PROVIDER_PRIORITY_APPLICATION + 1);
    }
  else
    {
      gtk_style_context_remove_provider_for_display (display, GTK_STYLE_PROVIDER (dark_provider));
      g_clear_object (&dark_provider);
    }
}

static void
on_color_scheme (GSettings *desktop, const char *key, gpointer user_data)
{
  g_autofree char *scheme = g_settings_get_string (desktop, "color-scheme");

  g_object_set (gtk_settings_get_default (), "gtk-application-prefer-dark-theme",
                g_strcmp0 (scheme, "prefer-dark") == 0, NULL);
}

static void
follow_desktop (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  GSettings *desktop;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, "org.gnome.desktop.interface", TRUE);
  if (schema == NULL || !g_settings_schema_has_key (schema, "color-scheme"))
    return;
  /* Lives as long as the process: it follows the desktop. */
  desktop = g_settings_new_full (schema, NULL, NULL);
  g_signal_connect (desktop, "changed::color-scheme", G_CALLBACK (on_color_scheme), NULL);
  on_color_scheme (desktop, "color-scheme", NULL);
}

void
drd_gui_setup_appearance (void)
{
  static GdkDisplay *done_for;
  GdkDisplay *display = gdk_display_get_default ();
  GtkSettings *settings;

  if (display == NULL || display == done_for)
    return;
  done_for = display;
  setup_icons (display);
  settings = gtk_settings_get_for_display (display);
  g_signal_connect (settings, "notify::gtk-application-prefer-dark-theme",
                    G_CALLBACK (update_dark_css), NULL);
  g_signal_connect (settings, "notify::gtk-theme-name", G_CALLBACK (update_dark_css), NULL);
  /* An explicit GTK_THEME (e.g. Adwaita:dark for a test) wins. */
  if (g_getenv ("GTK_THEME") == NULL)
    follow_desktop ();
  update_dark_css ();
}
