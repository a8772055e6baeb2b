/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every control a person can reach in the main window, the Start Event
 * dialog and the Preferences window has an accessible name: walks the
 * widget trees and fails on any focusable or activatable widget whose
 * name GTK 4.8 cannot compute — no "label" property, no "labelled-by"
 * relation (a mnemonic label sets it), and for buttons no label text
 * inside.  Runs with GTK_A11Y=test so the accessible properties set in
 * the .ui files can be read back (gtk_test_accessible_has_property). */
#include "config.h"

#include "gui/drd-appearance.h"
#include "gui/drd-application.h"
#include "gui/drd-preferences.h"
#include "gui/drd-start-dialog.h"
#include "gui/drd-window.h"
#include "service/drd-config.h"
#include "tests/gui/drd-gui-test-util.h"

static gboolean
has_label_text (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget)
      && *gtk_label_get_text (GTK_LABEL (widget)) != '\0')
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    if (has_label_text (c))
      return TRUE;
  return FALSE;
}

static gboolean
labelled (GtkWidget *widget)
{
  GList *mnemonic;
  gboolean ok;

  if (gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL)
      || gtk_test_accessible_has_relation (GTK_ACCESSIBLE (widget),
                                           GTK_ACCESSIBLE_RELATION_LABELLED_BY))
    return TRUE;
  mnemonic = gtk_widget_list_mnemonic_labels (widget);
  ok = mnemonic != NULL;
  g_list_free (mnemonic);
  return ok;
}

static char *
describe (GtkWidget *widget)
{
  GString *path = g_string_new (G_OBJECT_TYPE_NAME (widget));

  for (GtkWidget *p = gtk_widget_get_parent (widget); p; p = gtk_widget_get_parent (p))
    {
      const char *id = gtk_buildable_get_buildable_id (GTK_BUILDABLE (p));

      g_string_prepend (path, " > ");
      if (id != NULL)
        g_string_prepend (path, id);
      g_string_prepend (path, G_OBJECT_TYPE_NAME (p));
      if (id != NULL || GTK_IS_ROOT (p))
        break;
    }
  if (gtk_widget_get_tooltip_text (widget) != NULL)
    g_string_append_printf (path, " (tooltip “%s”)", gtk_widget_get_tooltip_text (widget));
  return g_string_free (path, FALSE);
}

/* Returns the number of controls checked; appends offenders to @bad. */
static guint
walk (GtkWidget *widget, GPtrArray *bad)
{
  guint n = 0;

  if (!gtk_widget_get_visible (widget))
    return 0;
  /* Wrappers whose inner parts take the focus: the wrapper carries the
   * name, its parts are not separate controls. */
  if (GTK_IS_EDITABLE (widget) && gtk_editable_get_delegate (GTK_EDITABLE (widget)) != NULL)
    {
      if (!labelled (widget))
        g_ptr_array_add (bad, describe (widget));
      return 1;
    }
  if (GTK_IS_DROP_DOWN (widget) || GTK_IS_MENU_BUTTON (widget) || GTK_IS_SWITCH (widget)
      || GTK_IS_SCALE (widget) || GTK_IS_TEXT_VIEW (widget) || GTK_IS_TEXT (widget))
    {
      if (!labelled (widget) && !(GTK_IS_MENU_BUTTON (widget) && has_label_text (widget)))
        g_ptr_array_add (bad, describe (widget));
      return 1;
    }
  /* Lists: the view needs a name; rows name themselves by content. */
  if (GTK_IS_COLUMN_VIEW (widget) || GTK_IS_LIST_VIEW (widget) || GTK_IS_GRID_VIEW (widget)
      || GTK_IS_LIST_BOX (widget))
    {
      GtkWidget *named = widget;

      /* a GtkColumnView's inner list view is named by the column view */
      if (GTK_IS_LIST_VIEW (widget) && GTK_IS_COLUMN_VIEW (gtk_widget_get_parent (widget)))
        return 0;
      if (!labelled (named))
        g_ptr_array_add (bad, describe (named));
      n++;
      if (GTK_IS_COLUMN_VIEW (widget))
        for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
          if (!GTK_IS_LIST_VIEW (c))
            n += walk (c, bad);   /* the header's sort buttons */
      return n;
    }
  if (GTK_IS_BUTTON (widget) || GTK_IS_CHECK_BUTTON (widget))
    {
      if (!labelled (widget) && !has_label_text (widget))
        g_ptr_array_add (bad, describe (widget));
      return 1;
    }
  /* A scrolled window only passes the focus on to what it scrolls. */
  if (gtk_widget_get_focusable (widget) && !GTK_IS_LABEL (widget) && !GTK_IS_ROOT (widget)
      && !GTK_IS_SCROLLED_WINDOW (widget) && !GTK_IS_VIEWPORT (widget))
    {
      /* GTK's list rows (the column view's header row) name themselves
       * by their content. */
      gboolean row = g_str_equal (G_OBJECT_TYPE_NAME (widget), "GtkListItemWidget")
                     || GTK_IS_FLOW_BOX_CHILD (widget) || GTK_IS_LIST_BOX_ROW (widget);

      if (!labelled (widget) && !(row && has_label_text (widget)))
        g_ptr_array_add (bad, describe (widget));
      n++;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    n += walk (c, bad);
  return n;
}

static void
check_tree (GtkWidget *root, const char *what, guint min_controls)
{
  g_autoptr(GPtrArray) bad = g_ptr_array_new_with_free_func (g_free);
  guint n = walk (root, bad);
  GtkWidget *titlebar = GTK_IS_WINDOW (root) ? gtk_window_get_titlebar (GTK_WINDOW (root)) : NULL;

  /* the titlebar is a child like any other in GTK 4; walked above */
  (void) titlebar;
  g_test_message ("%s: %u controls checked", what, n);
  for (guint i = 0; i < bad->len; i++)
    g_test_message ("%s: no accessible name: %s", what, (char *) bad->pdata[i]);
  g_assert_cmpuint (n, >=, min_controls);
  g_assert_cmpuint (bad->len, ==, 0);
}

static void
test_names (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *db = NULL;
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(DrdConfig) config = NULL;
  DrdWindow *window;
  DrdStartDialog *dialog;
  DrdPreferences *prefs;

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  store = drd_test_store_new (200, &dir);
  db = g_build_filename (dir, "drdesk.db", NULL);
  drd_test_start_event (store, "Heat wave");
  config = drd_config_new ();

  window = drd_window_new (NULL);
  drd_window_set_store (window, store);
  gtk_window_present (GTK_WINDOW (window));
  drd_test_spin (500);
  for (const char *const *view = (const char *[]) { "customers", "timeline", "responses", NULL };
       *view != NULL; view++)
    {
      drd_window_set_view (window, *view);
      drd_test_spin (200);
    }
  check_tree (GTK_WIDGET (window), "main window", 15);

  dialog = drd_start_dialog_new (GTK_WINDOW (window), store);
  gtk_window_present (GTK_WINDOW (dialog));
  drd_test_spin (300);
  check_tree (GTK_WIDGET (dialog), "start dialog", 8);
  gtk_window_destroy (GTK_WINDOW (dialog));

  prefs = drd_preferences_new (GTK_WINDOW (window), config, db);
  gtk_window_present (GTK_WINDOW (prefs));
  drd_test_spin (300);
  check_tree (GTK_WIDGET (prefs), "preferences", 18);
  gtk_window_destroy (GTK_WINDOW (prefs));

  gtk_window_destroy (GTK_WINDOW (window));
  drd_test_spin (100);
  g_clear_object (&store);
  drd_test_rmdir (dir);
}

/* ---- the Keyboard Shortcuts window lists exactly the real shortcuts ---- */

static char *
accel_key (guint keyval, GdkModifierType mods)
{
  return gtk_accelerator_name (gdk_keyval_to_lower (keyval), mods);
}

/* The named-action shortcuts a widget class installed (win.*, window.*). */
static void
add_widget_shortcuts (GtkWidget *widget, GHashTable *real)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint k = 0; k < g_list_model_get_n_items (G_LIST_MODEL (controller)); k++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), k);
          GtkShortcutAction *action = gtk_shortcut_get_action (shortcut);
          GtkShortcutTrigger *trigger = gtk_shortcut_get_trigger (shortcut);
          const char *name;

          if (!GTK_IS_NAMED_ACTION (action) || !GTK_IS_KEYVAL_TRIGGER (trigger))
            continue;
          name = gtk_named_action_get_action_name (GTK_NAMED_ACTION (action));
          if (!g_str_has_prefix (name, "win.") && strcmp (name, "window.close") != 0)
            continue;
          g_hash_table_add (real, accel_key (gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger)),
                                             gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (trigger))));
        }
    }
}

static void
test_help_overlay (void)
{
  g_autoptr(GtkBuilder) builder = NULL;
  g_autoptr(GHashTable) listed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) real = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GSList) objects = NULL;
  g_autoptr(DrdApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) actions = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(DrdStore) store = NULL;
  GHashTableIter iter;
  const char *key;
  DrdWindow *window;
  DrdStartDialog *dialog;
  /* DrdTimeline's own key handler (drd-timeline.c, on_key): not actions */
  const char *timeline_keys[] = { "Left", "Right", "plus", "minus", NULL };

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  builder = gtk_builder_new_from_resource ("/kr/drdesk/DrDesk/gtk/help-overlay.ui");
  objects = gtk_builder_get_objects (builder);
  for (GSList *l = objects; l != NULL; l = l->next)
    {
      g_autofree char *accels = NULL;
      g_auto(GStrv) each = NULL;

      if (!GTK_IS_SHORTCUTS_SHORTCUT (l->data))
        continue;
      g_object_get (l->data, "accelerator", &accels, NULL);
      each = g_strsplit (accels, " ", -1);
      for (guint i = 0; each[i] != NULL; i++)
        {
          guint keyval = 0;
          GdkModifierType mods = 0;

          g_assert_true (gtk_accelerator_parse (each[i], &keyval, &mods));
          g_hash_table_add (listed, accel_key (keyval, mods));
        }
    }

  /* app.* accelerators, as the running application sets them */
  app = drd_application_new ();
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  actions = gtk_application_list_action_descriptions (GTK_APPLICATION (app));
  for (guint i = 0; actions[i] != NULL; i++)
    {
      g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), actions[i]);

      for (guint k = 0; accels[k] != NULL; k++)
        {
          guint keyval = 0;
          GdkModifierType mods = 0;

          gtk_accelerator_parse (accels[k], &keyval, &mods);
          g_hash_table_add (real, accel_key (keyval, mods));
        }
    }
  store = drd_test_store_new (0, &dir);
  window = drd_window_new (NULL);
  add_widget_shortcuts (GTK_WIDGET (window), real);
  dialog = drd_start_dialog_new (GTK_WINDOW (window), store);
  add_widget_shortcuts (GTK_WIDGET (dialog), real);
  for (guint i = 0; timeline_keys[i] != NULL; i++)
    {
      guint keyval = 0;
      GdkModifierType mods = 0;

      gtk_accelerator_parse (timeline_keys[i], &keyval, &mods);
      g_hash_table_add (real, accel_key (keyval, mods));
    }

  g_assert_cmpuint (g_hash_table_size (real), >=, 12);
  g_hash_table_iter_init (&iter, real);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
    if (!g_hash_table_contains (listed, key))
      g_error ("shortcut %s is not in the Keyboard Shortcuts window", key);
  g_hash_table_iter_init (&iter, listed);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
    if (!g_hash_table_contains (real, key))
      g_error ("the Keyboard Shortcuts window lists %s, which does nothing", key);

  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (window));
  drd_test_spin (50);
  g_clear_object (&store);
  drd_test_rmdir (dir);
}

/* ---- dark style: text colours switch to tones readable on dark ---- */

static double
luminance (const GdkRGBA *c)
{
  return 0.2126 * c->red + 0.7152 * c->green + 0.0722 * c->blue;
}

static void
test_dark_style (void)
{
  GtkSettings *settings;
  GtkWidget *window, *label;
  GdkRGBA light, dark, fg_dark;

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  drd_gui_setup_appearance ();
  settings = gtk_settings_get_default ();
  g_object_set (settings, "gtk-application-prefer-dark-theme", FALSE, NULL);
  window = gtk_window_new ();
  label = gtk_label_new ("Port 8088 is in use");
  gtk_widget_add_css_class (label, "error");
  gtk_window_set_child (GTK_WINDOW (window), label);
  gtk_window_present (GTK_WINDOW (window));
  drd_test_spin (100);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (label), &light);
  g_object_set (settings, "gtk-application-prefer-dark-theme", TRUE, NULL);
  g_assert_true (drd_gui_is_dark ());
  drd_test_spin (100);
  gtk_style_context_get_color (gtk_widget_get_style_context (label), &dark);
  gtk_style_context_get_color (gtk_widget_get_style_context (window), &fg_dark);
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_test_message ("error text luminance: light %.2f, dark %.2f; dark fg %.2f",
                  luminance (&light), luminance (&dark), luminance (&fg_dark));
  /* the theme's own text turns light, and so does the app's error red */
  g_assert_cmpfloat (luminance (&fg_dark), >, 0.7);
  g_assert_cmpfloat (luminance (&light), <, 0.3);
  g_assert_cmpfloat (luminance (&dark), >, 0.45);
  g_object_set (settings, "gtk-application-prefer-dark-theme", FALSE, NULL);
  g_assert_false (drd_gui_is_dark ());
  gtk_window_destroy (GTK_WINDOW (window));
  drd_test_spin (20);
}

int
main (int argc, char **argv)
{
  /* readable accessible properties, and no accessibility bus needed */
  g_setenv ("GTK_A11Y", "test", TRUE);
  g_unsetenv ("GTK_THEME");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gui/a11y/names", test_names);
  g_test_add_func ("/gui/a11y/help-overlay", test_help_overlay);
  g_test_add_func ("/gui/style/dark", test_dark_style);
  return g_test_run ();
}
