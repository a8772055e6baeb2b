/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Preferences window over the real settings (memory backend): values
 * that are refused (a port out of range, text that is no number, an
 * address that is no IP address, a URL that is no http(s) URL) show an
 * inline error and leave the setting as it was; accepted ones change it
 * at once, with the signal the rest of the app listens to.  The KEPCO
 * service key is written to its 0600 file and never shown back. */
#include "config.h"

#include <sys/stat.h>

#include <glib/gstdio.h>

#include "gui/drd-preferences.h"
#include "service/drd-config.h"
#include "tests/gui/drd-gui-test-util.h"

typedef struct {
  guint portal, kepco, params;
} Counts;

static void
count_portal (DrdConfig *c, Counts *n)
{
  n->portal++;
}

static void
count_kepco (DrdConfig *c, Counts *n)
{
  n->kepco++;
}

static void
count_params (DrdConfig *c, Counts *n)
{
  n->params++;
}

static void
type_number (DrdPreferences *prefs, const char *key, const char *text)
{
  GtkSpinButton *spin = GTK_SPIN_BUTTON (drd_preferences_get_field (prefs, key));

  gtk_editable_set_text (GTK_EDITABLE (spin), text);
  gtk_spin_button_update (spin);
  drd_test_spin (20);
}

static void
type_text (DrdPreferences *prefs, const char *key, const char *text)
{
  GtkWidget *entry = drd_preferences_get_field (prefs, key);

  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  g_signal_emit_by_name (entry, "activate");
  drd_test_spin (20);
}

static void
reset_config (DrdConfig *config)
{
  for (const char *const *k = drd_config_list_keys (); *k != NULL; k++)
    drd_config_reset (config, *k);
}

static void
check_validation (DrdConfig *config)
{
  DrdPreferences *prefs;
  Counts n = { 0 };
  g_autofree char *address = NULL;
  g_autofree char *url = NULL;

  prefs = drd_preferences_new (NULL, config, NULL);
  gtk_window_present (GTK_WINDOW (prefs));
  drd_test_spin (50);
  g_signal_connect (config, "portal-changed", G_CALLBACK (count_portal), &n);
  g_signal_connect (config, "kepco-changed", G_CALLBACK (count_kepco), &n);
  g_signal_connect (config, "params-changed", G_CALLBACK (count_params), &n);

  /* shows the settings */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (drd_preferences_get_field (prefs, "portal-listen-address"))),
                   ==, "127.0.0.1");
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (drd_preferences_get_field (prefs, "portal-port"))),
                     ==, 8088);

  /* refused: out of range, not a number, not an address, not a URL */
  type_number (prefs, "portal-port", "70000");
  g_assert_nonnull (drd_preferences_get_error (prefs, "portal-port"));
  g_assert_nonnull (strstr (drd_preferences_get_error (prefs, "portal-port"), "65535"));
  g_assert_cmpuint (drd_config_get_portal_port (config), ==, 8088);
  type_number (prefs, "portal-port", "80a");
  g_assert_nonnull (drd_preferences_get_error (prefs, "portal-port"));
  g_assert_cmpuint (drd_config_get_portal_port (config), ==, 8088);
  type_number (prefs, "portal-request-timeout", "0");
  g_assert_nonnull (drd_preferences_get_error (prefs, "portal-request-timeout"));
  g_assert_cmpuint (drd_config_get_portal_request_timeout (config), ==, 10);
  type_number (prefs, "abnormal-high-permille", "900");
  g_assert_nonnull (drd_preferences_get_error (prefs, "abnormal-high-permille"));
  g_assert_cmpuint (drd_config_get_abnormal_high_permille (config), ==, 1250);

  type_text (prefs, "portal-listen-address", "my-server");
  g_assert_nonnull (drd_preferences_get_error (prefs, "portal-listen-address"));
  address = drd_config_dup_portal_address (config);
  g_assert_cmpstr (address, ==, "127.0.0.1");
  type_text (prefs, "portal-public-url", "ftp://dr.example.com");
  g_assert_nonnull (drd_preferences_get_error (prefs, "portal-public-url"));
  url = drd_config_dup_portal_public_url (config);
  g_assert_cmpstr (url, ==, "http://127.0.0.1:8088");
  g_clear_pointer (&url, g_free);
  type_text (prefs, "kepco-base-url", "not a url");
  g_assert_nonnull (drd_preferences_get_error (prefs, "kepco-base-url"));
  url = drd_config_dup_kepco_base_url (config);
  g_assert_cmpstr (url, ==, "http://127.0.0.1:8089");
  g_clear_pointer (&url, g_free);
  g_assert_cmpuint (n.portal + n.kepco + n.params, ==, 0);

  /* accepted: applied at once, the error goes away */
  type_number (prefs, "portal-port", "9099");
  g_assert_null (drd_preferences_get_error (prefs, "portal-port"));
  g_assert_cmpuint (drd_config_get_portal_port (config), ==, 9099);
  type_text (prefs, "portal-listen-address", "0.0.0.0");
  g_assert_null (drd_preferences_get_error (prefs, "portal-listen-address"));
  g_clear_pointer (&address, g_free);
  address = drd_config_dup_portal_address (config);
  g_assert_cmpstr (address, ==, "0.0.0.0");
  type_text (prefs, "portal-public-url", "https://dr.example.com/");
  url = drd_config_dup_portal_public_url (config);
  g_assert_cmpstr (url, ==, "https://dr.example.com");
  g_clear_pointer (&url, g_free);
  g_assert_cmpuint (n.portal, >=, 3);

  type_text (prefs, "kepco-base-url", "https://kepco.example.kr");
  url = drd_config_dup_kepco_base_url (config);
  g_assert_cmpstr (url, ==, "https://kepco.example.kr");
  type_number (prefs, "kepco-max-attempts", "7");
  g_assert_cmpuint (drd_config_get_kepco_max_attempts (config), ==, 7);
  g_assert_cmpuint (n.kepco, >=, 2);

  type_number (prefs, "points-per-kwh-economic", "12.5");
  g_assert_cmpint (drd_config_get_milli_points_per_kwh (config, DRD_EVENT_KIND_ECONOMIC), ==, 12500);
  type_number (prefs, "performance-threshold-wh", "1500");
  g_assert_cmpint (drd_config_get_performance_threshold_wh (config), ==, 1500);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (drd_preferences_get_field (prefs, "cbl-default-method")), 1);
  g_assert_cmpint (drd_config_get_cbl_default_method (config), ==, DRD_CBL_MAX_4_5);
  g_assert_cmpuint (n.params, >=, 3);

  /* a change from elsewhere (another window, gsettings) shows up */
  g_assert_true (drd_config_set_value (config, "portal-rate-limit", g_variant_new_uint32 (55), NULL));
  drd_test_spin (50);
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (drd_preferences_get_field (prefs, "portal-rate-limit"))),
                     ==, 55);

  g_signal_handlers_disconnect_by_data (config, &n);
  gtk_window_destroy (GTK_WINDOW (prefs));
  drd_test_spin (20);
}

static void
test_validation_gsettings (void)
{
  g_autoptr(DrdConfig) config = drd_config_new ();

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  g_assert_true (drd_config_is_persistent (config));   /* spin buttons bound with g_settings_bind */
  reset_config (config);
  check_validation (config);
  reset_config (config);
}

static void
test_validation_no_schema (void)
{
  g_autoptr(DrdConfig) config = drd_config_new_for_settings (NULL);

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  check_validation (config);
}

static gboolean
status_has (gpointer data)
{
  gpointer *pair = data;

  return strstr (drd_preferences_get_key_status (pair[0]), pair[1]) != NULL;
}

static void
test_service_key (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("drd-prefs-XXXXXX", &error);
  g_autofree char *db = g_build_filename (dir, "drdesk.db", NULL);
  g_autofree char *key_path = drd_config_service_key_path (db);
  g_autofree char *stored = NULL;
  g_autoptr(DrdConfig) config = drd_config_new_for_settings (NULL);
  const char *secret = "Kx9-SECRET-service-key-123";
  DrdPreferences *prefs;
  GtkWidget *entry;
  struct stat st;
  gpointer pair[2];

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  prefs = drd_preferences_new (NULL, config, db);
  gtk_window_present (GTK_WINDOW (prefs));
  pair[0] = prefs;
  pair[1] = "No key is saved";
  g_assert_true (drd_test_wait (status_has, pair, 3000));

  entry = drd_preferences_get_field (prefs, "kepco-service-key");
  g_assert_true (GTK_IS_PASSWORD_ENTRY (entry));
  gtk_editable_set_text (GTK_EDITABLE (entry), secret);
  g_signal_emit_by_name (entry, "activate");
  pair[1] = "was saved";
  g_assert_true (drd_test_wait (status_has, pair, 3000));
  /* written 0600, never shown back */
  g_assert_cmpint (g_stat (key_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (drd_config_load_service_key (db, &stored, &error));
  g_assert_cmpstr (stored, ==, secret);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
  g_assert_null (strstr (drd_preferences_get_key_status (prefs), secret));
  gtk_window_destroy (GTK_WINDOW (prefs));

  /* Opened again: says a key is there, shows nothing of it. */
  prefs = drd_preferences_new (NULL, config, db);
  gtk_window_present (GTK_WINDOW (prefs));
  pair[0] = prefs;
  pair[1] = "A key is saved";
  g_assert_true (drd_test_wait (status_has, pair, 3000));
  entry = drd_preferences_get_field (prefs, "kepco-service-key");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");

  /* Remove Key */
  g_signal_emit_by_name (gtk_widget_get_next_sibling (entry), "clicked");
  g_assert_true (gtk_widget_get_sensitive (gtk_widget_get_next_sibling (gtk_widget_get_next_sibling (entry))));
  g_signal_emit_by_name (gtk_widget_get_next_sibling (gtk_widget_get_next_sibling (entry)), "clicked");
  pair[1] = "No key is saved";
  g_assert_true (drd_test_wait (status_has, pair, 3000));
  g_assert_false (g_file_test (key_path, G_FILE_TEST_EXISTS));
  gtk_window_destroy (GTK_WINDOW (prefs));
  drd_test_spin (20);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_setenv ("LANGUAGE", "en", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gui/preferences/validation", test_validation_gsettings);
  g_test_add_func ("/gui/preferences/validation-no-schema", test_validation_no_schema);
  g_test_add_func ("/gui/preferences/service-key", test_service_key);
  return g_test_run ();
}
