/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdConfig against the real compiled schema (GSETTINGS_SCHEMA_DIR is the
 * build's data/ directory, GSETTINGS_BACKEND=memory), and without it. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>
#include <glib/gstdio.h>

#include "service/drd-config.h"

typedef struct {
  GSettingsBackend *backend;
  GSettings        *settings;
  DrdConfig        *config;
  guint             portal;
  guint             kepco;
  guint             params;
  guint             window;
} Fixture;

static GSettingsSchema *
lookup_schema (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();

  g_assert_nonnull (source);
  return g_settings_schema_source_lookup (source, APP_ID, TRUE);
}

static void
count_portal (DrdConfig *c, Fixture *f)
{
  f->portal++;
}

static void
count_kepco (DrdConfig *c, Fixture *f)
{
  f->kepco++;
}

static void
count_params (DrdConfig *c, Fixture *f)
{
  f->params++;
}

static void
count_window (DrdConfig *c, Fixture *f)
{
  f->window++;
}

static void
connect_counters (Fixture *f)
{
  g_signal_connect (f->config, "portal-changed", G_CALLBACK (count_portal), f);
  g_signal_connect (f->config, "kepco-changed", G_CALLBACK (count_kepco), f);
  g_signal_connect (f->config, "params-changed", G_CALLBACK (count_params), f);
  g_signal_connect (f->config, "window-changed", G_CALLBACK (count_window), f);
}

/* Lets change notifications that GSettings dispatches through the main
 * context arrive. */
static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* A fresh memory backend per test, so tests cannot see each other's
 * changes. */
static void
setup_persistent (Fixture *f, gconstpointer data)
{
  g_autoptr(GSettingsSchema) schema = lookup_schema ();

  g_assert_nonnull (schema);
  f->backend = g_memory_settings_backend_new ();
  f->settings = g_settings_new_full (schema, f->backend, NULL);
  f->config = drd_config_new_for_settings (f->settings);
  g_assert_true (drd_config_is_persistent (f->config));
  connect_counters (f);
}

static void
setup_memory (Fixture *f, gconstpointer data)
{
  f->config = drd_config_new_for_settings (NULL);
  g_assert_false (drd_config_is_persistent (f->config));
  g_assert_null (drd_config_get_settings (f->config));
  connect_counters (f);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_assert_finalize_object (f->config);
  g_clear_object (&f->settings);
  g_clear_object (&f->backend);
}

/* ---- the C table mirrors the schema exactly ---- */

static void
test_schema_matches_table (void)
{
  g_autoptr(GSettingsSchema) schema = lookup_schema ();
  g_auto(GStrv) schema_keys = NULL;
  const char * const *table = drd_config_list_keys ();

  g_assert_nonnull (schema);
  g_assert_cmpstr (g_settings_schema_get_path (schema), ==,
                   g_str_has_suffix (APP_ID, ".Devel") ? "/kr/drdesk/DrDesk/Devel/"
                                                       : "/kr/drdesk/DrDesk/");
  schema_keys = g_settings_schema_list_keys (schema);
  g_assert_cmpuint (g_strv_length (schema_keys), ==, g_strv_length ((char **) table));

  for (guint i = 0; table[i] != NULL; i++)
    {
      g_autoptr(GSettingsSchemaKey) key = NULL;
      g_autoptr(GVariant) schema_default = NULL;
      g_autoptr(GVariant) table_default = NULL;
      g_autoptr(GVariant) range = NULL;
      g_autoptr(GVariant) detail = NULL;
      const char *kind;

      g_test_message ("key %s", table[i]);
      g_assert_true (g_settings_schema_has_key (schema, table[i]));
      key = g_settings_schema_get_key (schema, table[i]);
      g_assert_nonnull (g_settings_schema_key_get_summary (key));
      g_assert_nonnull (g_settings_schema_key_get_description (key));

      schema_default = g_settings_schema_key_get_default_value (key);
      table_default = drd_config_get_default_value (table[i]);
      g_assert_nonnull (table_default);
      g_assert_true (g_variant_equal (schema_default, table_default));

      /* Same limits: the schema's bounds pass our checks, one step
       * beyond them fails both. */
      range = g_settings_schema_key_get_range (key);
      g_variant_get (range, "(&sv)", &kind, &detail);
      if (strcmp (kind, "range") == 0)
        {
          g_autoptr(GVariant) lo = g_variant_get_child_value (detail, 0);
          g_autoptr(GVariant) hi = g_variant_get_child_value (detail, 1);
          g_autoptr(DrdConfig) c = drd_config_new_for_settings (NULL);
          g_autoptr(GVariant) below = NULL;
          g_autoptr(GVariant) above = NULL;
          g_autoptr(GError) error = NULL;

          g_assert_true (drd_config_set_value (c, table[i], lo, NULL));
          g_assert_true (drd_config_set_value (c, table[i], hi, NULL));
          if (g_variant_is_of_type (lo, G_VARIANT_TYPE_UINT32))
            {
              if (g_variant_get_uint32 (lo) > 0)
                below = g_variant_ref_sink (g_variant_new_uint32 (g_variant_get_uint32 (lo) - 1));
              if (g_variant_get_uint32 (hi) < G_MAXUINT32)
                above = g_variant_ref_sink (g_variant_new_uint32 (g_variant_get_uint32 (hi) + 1));
            }
          else if (g_variant_is_of_type (lo, G_VARIANT_TYPE_INT32))
            {
              below = g_variant_ref_sink (g_variant_new_int32 (g_variant_get_int32 (lo) - 1));
              above = g_variant_ref_sink (g_variant_new_int32 (g_variant_get_int32 (hi) + 1));
            }
          else if (g_variant_is_of_type (lo, G_VARIANT_TYPE_INT64))
            {
              below = g_variant_ref_sink (g_variant_new_int64 (g_variant_get_int64 (lo) - 1));
              above = g_variant_ref_sink (g_variant_new_int64 (g_variant_get_int64 (hi) + 1));
            }
          else
            {
              below = g_variant_ref_sink (g_variant_new_double (g_variant_get_double (lo) - 0.001));
              above = g_variant_ref_sink (g_variant_new_double (g_variant_get_double (hi) + 0.001));
            }
          if (below)
            {
              g_assert_false (g_settings_schema_key_range_check (key, below));
              g_assert_false (drd_config_set_value (c, table[i], below, &error));
              g_assert_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_INVALID);
              g_clear_error (&error);
            }
          g_assert_false (g_settings_schema_key_range_check (key, above));
          g_assert_false (drd_config_set_value (c, table[i], above, &error));
          g_assert_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_INVALID);
        }
      else if (strcmp (kind, "enum") == 0)
        {
          g_autoptr(DrdConfig) c = drd_config_new_for_settings (NULL);
          g_autoptr(GError) error = NULL;
          gsize n = g_variant_n_children (detail);

          for (gsize j = 0; j < n; j++)
            {
              g_autoptr(GVariant) nick = g_variant_get_child_value (detail, j);
              g_assert_true (drd_config_set_value (c, table[i], nick, NULL));
            }
          g_assert_false (drd_config_set_value (c, table[i], g_variant_new_string ("nonsense"),
                                                &error));
          g_assert_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_INVALID);
        }
      else
        g_assert_cmpstr (kind, ==, "type");
    }
}

/* The settings' defaults are exactly core's defaults. */
static void
test_defaults_match_params (Fixture *f, gconstpointer data)
{
  DrdParams expected, params;

  drd_params_init_defaults (&expected);
  memset (&params, 0, sizeof params);
  drd_config_apply_params (f->config, &params);
  for (guint k = 0; k < DRD_N_EVENT_KINDS; k++)
    g_assert_cmpint (params.milli_points_per_kwh[k], ==, expected.milli_points_per_kwh[k]);
  g_assert_cmpint (params.milli_points_per_kwh[DRD_EVENT_KIND_RELIABILITY], ==, 100000);
  g_assert_cmpint (params.milli_points_per_kwh[DRD_EVENT_KIND_ECONOMIC], ==, 60000);
  g_assert_cmpint (params.milli_points_per_kwh[DRD_EVENT_KIND_CITIZEN], ==, 40000);
  g_assert_cmpint (params.performance_threshold_wh, ==, expected.performance_threshold_wh);
  g_assert_cmpuint (params.abnormal_low_permille, ==, expected.abnormal_low_permille);
  g_assert_cmpuint (params.abnormal_high_permille, ==, expected.abnormal_high_permille);
  g_assert_cmpint (drd_config_get_cbl_default_method (f->config), ==, DRD_CBL_MID_6_10);
}

static void
test_defaults (Fixture *f, gconstpointer data)
{
  g_autofree char *address = drd_config_dup_portal_address (f->config);
  g_autofree char *listen = drd_config_dup_portal_listen (f->config);
  g_autofree char *public_url = drd_config_dup_portal_public_url (f->config);
  g_autofree char *kepco = drd_config_dup_kepco_base_url (f->config);
  int w, h;
  gboolean max;

  g_assert_cmpstr (address, ==, "127.0.0.1");
  g_assert_cmpuint (drd_config_get_portal_port (f->config), ==, 8088);
  g_assert_cmpstr (listen, ==, "127.0.0.1:8088");
  g_assert_cmpstr (public_url, ==, "http://127.0.0.1:8088");
  g_assert_cmpuint (drd_config_get_portal_rate_limit (f->config), ==, 20);
  g_assert_cmpuint (drd_config_get_portal_max_body (f->config), ==, 16384);
  g_assert_cmpuint (drd_config_get_portal_request_timeout (f->config), ==, 10);
  g_assert_cmpstr (kepco, ==, "http://127.0.0.1:8089");
  g_assert_cmpuint (drd_config_get_kepco_max_concurrent (f->config), ==, 8);
  g_assert_cmpuint (drd_config_get_kepco_timeout (f->config), ==, 15);
  g_assert_cmpuint (drd_config_get_kepco_max_attempts (f->config), ==, 4);
  drd_config_get_window_state (f->config, &w, &h, &max);
  g_assert_cmpint (w, ==, 1280);
  g_assert_cmpint (h, ==, 800);
  g_assert_false (max);
  g_assert_cmpint (drd_config_get_selected_view (f->config), ==, DRD_VIEW_CUSTOMERS);
}

/* ---- changes, validation and signals ---- */

static void
test_set_portal (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *url = NULL;

  g_assert_true (drd_config_set_portal (f->config, "0.0.0.0", 9000,
                                        "https://dr.example.com/answers/", &error));
  g_assert_no_error (error);
  drain ();
  /* three keys, one notification */
  g_assert_cmpuint (f->portal, ==, 1);
  g_assert_cmpuint (f->kepco + f->params + f->window, ==, 0);
  listen = drd_config_dup_portal_listen (f->config);
  g_assert_cmpstr (listen, ==, "0.0.0.0:9000");
  url = drd_config_dup_portal_public_url (f->config);
  g_assert_cmpstr (url, ==, "https://dr.example.com/answers");
  if (f->settings)
    {
      /* really stored in GSettings */
      g_autofree char *raw = g_settings_get_string (f->settings, "portal-listen-address");
      g_assert_cmpstr (raw, ==, "0.0.0.0");
      g_assert_cmpuint (g_settings_get_uint (f->settings, "portal-port"), ==, 9000);
    }

  g_clear_pointer (&listen, g_free);
  g_assert_true (drd_config_set_portal (f->config, "::1", 0, "http://[::1]:8088", &error));
  g_assert_no_error (error);
  listen = drd_config_dup_portal_listen (f->config);
  g_assert_cmpstr (listen, ==, "[::1]:0");
}

static void
test_set_portal_invalid (Fixture *f, gconstpointer data)
{
  static const struct {
    const char *address;
    guint       port;
    const char *url;
  } bad[] = {
    { "localhost", 8088, "http://127.0.0.1:8088" },          /* not an IP literal */
    { "", 8088, "http://127.0.0.1:8088" },
    { "127.0.0.1", 65536, "http://127.0.0.1:8088" },
    { "127.0.0.1", 8088, "ftp://127.0.0.1/" },
    { "127.0.0.1", 8088, "127.0.0.1:8088" },
    { "127.0.0.1", 8088, "http://" },
    { "127.0.0.1", 8088, "http://host/?q=1" },
    { "127.0.0.1", 8088, "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *listen = NULL;
      g_autofree char *url = NULL;

      g_assert_false (drd_config_set_portal (f->config, bad[i].address, bad[i].port,
                                             bad[i].url, &error));
      g_assert_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_INVALID);
      g_test_message ("%s", error->message);
      /* nothing changed, nobody told */
      listen = drd_config_dup_portal_listen (f->config);
      g_assert_cmpstr (listen, ==, "127.0.0.1:8088");
      url = drd_config_dup_portal_public_url (f->config);
      g_assert_cmpstr (url, ==, "http://127.0.0.1:8088");
    }
  drain ();
  g_assert_cmpuint (f->portal, ==, 0);
}

static void
test_set_value_errors (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (drd_config_set_value (f->config, "no-such-key", g_variant_new_uint32 (1), &error));
  g_assert_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_UNKNOWN_KEY);
  g_clear_error (&error);
  g_assert_null (drd_config_get_value (f->config, "no-such-key", &error));
  g_assert_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_UNKNOWN_KEY);
  g_clear_error (&error);

  /* wrong type */
  g_assert_false (drd_config_set_value (f->config, "kepco-timeout", g_variant_new_int32 (5), &error));
  g_assert_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_INVALID);
  g_clear_error (&error);
  /* NaN is no number of points */
  g_assert_false (drd_config_set_value (f->config, "points-per-kwh-citizen",
                                        g_variant_new_double (NAN), &error));
  g_assert_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (drd_config_set_value (f->config, "kepco-base-url",
                                        g_variant_new_string ("file:///etc/passwd"), &error));
  g_assert_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (drd_config_get_kepco_timeout (f->config), ==, 15);
  /* trusted proxies: addresses or CIDRs only */
  {
    const char *bad[] = { "10.0.0.0/8", "proxy.example.com", NULL };
    g_auto(GStrv) now = NULL;

    g_assert_false (drd_config_set_value (f->config, "portal-trusted-proxies",
                                          g_variant_new_strv (bad, -1), &error));
    g_assert_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "proxy.example.com"));
    g_clear_error (&error);
    now = drd_config_dup_portal_trusted_proxies (f->config);
    g_assert_cmpuint (g_strv_length (now), ==, 0);
  }

  drain ();
  g_assert_cmpuint (f->portal + f->kepco + f->params + f->window, ==, 0);
}

static void
test_trusted_proxies (Fixture *f, gconstpointer data)
{
  const char *good[] = { "127.0.0.1", "10.0.0.0/8", "fd00::/8", NULL };
  g_auto(GStrv) now = NULL;

  g_assert_true (drd_config_set_value (f->config, "portal-trusted-proxies",
                                       g_variant_new_strv (good, -1), NULL));
  now = drd_config_dup_portal_trusted_proxies (f->config);
  g_assert_true (g_strv_equal ((const char * const *) now, good));
  drain ();
  g_assert_cmpuint (f->portal, ==, 1);
}

static void
test_kepco (Fixture *f, gconstpointer data)
{
  g_autofree char *url = NULL;

  g_assert_true (drd_config_set_value (f->config, "kepco-base-url",
                                       g_variant_new_string ("https://bigdata.kepco.co.kr/"), NULL));
  g_assert_true (drd_config_set_value (f->config, "kepco-max-attempts", g_variant_new_uint32 (7), NULL));
  drain ();
  g_assert_cmpuint (f->kepco, ==, 2);
  g_assert_cmpuint (f->portal + f->params + f->window, ==, 0);
  url = drd_config_dup_kepco_base_url (f->config);
  g_assert_cmpstr (url, ==, "https://bigdata.kepco.co.kr");
  g_assert_cmpuint (drd_config_get_kepco_max_attempts (f->config), ==, 7);

  drd_config_reset (f->config, "kepco-max-attempts");
  drain ();
  g_assert_cmpuint (f->kepco, ==, 3);
  g_assert_cmpuint (drd_config_get_kepco_max_attempts (f->config), ==, 4);
}

static void
test_apply_params (Fixture *f, gconstpointer data)
{
  DrdParams params;
  g_autoptr(GError) error = NULL;

  g_assert_true (drd_config_set_value (f->config, "points-per-kwh-economic",
                                       g_variant_new_double (12.3456), NULL));
  g_assert_true (drd_config_set_value (f->config, "points-per-kwh-citizen",
                                       g_variant_new_double (0), NULL));
  g_assert_true (drd_config_set_value (f->config, "performance-threshold-wh",
                                       g_variant_new_int64 (500), NULL));
  g_assert_true (drd_config_set_value (f->config, "abnormal-low-permille",
                                       g_variant_new_uint32 (800), NULL));
  g_assert_true (drd_config_set_value (f->config, "abnormal-high-permille",
                                       g_variant_new_uint32 (1300), NULL));
  g_assert_true (drd_config_set_value (f->config, "cbl-default-method",
                                       g_variant_new_string ("max-4-5"), NULL));
  drain ();
  g_assert_cmpuint (f->params, ==, 6);
  g_assert_cmpuint (f->portal + f->kepco + f->window, ==, 0);

  drd_params_init_defaults (&params);
  params.lookback_factor = 3;   /* not a setting: must survive */
  drd_config_apply_params (f->config, &params);
  g_assert_cmpint (params.milli_points_per_kwh[DRD_EVENT_KIND_RELIABILITY], ==, 100000);
  g_assert_cmpint (params.milli_points_per_kwh[DRD_EVENT_KIND_ECONOMIC], ==, 12346);
  g_assert_cmpint (params.milli_points_per_kwh[DRD_EVENT_KIND_CITIZEN], ==, 0);
  g_assert_cmpint (params.performance_threshold_wh, ==, 500);
  g_assert_cmpuint (params.abnormal_low_permille, ==, 800);
  g_assert_cmpuint (params.abnormal_high_permille, ==, 1300);
  g_assert_cmpuint (params.lookback_factor, ==, 3);
  g_assert_true (drd_params_validate (&params, &error));
  g_assert_no_error (error);
  g_assert_cmpint (drd_config_get_cbl_default_method (f->config), ==, DRD_CBL_MAX_4_5);
  /* 2.5 kWh × 12.346 points = 30.865 → 30 points */
  g_assert_cmpint (drd_params_points (&params, DRD_EVENT_KIND_ECONOMIC, 2500), ==, 30);
}

static void
test_window_state (Fixture *f, gconstpointer data)
{
  int w, h;
  gboolean max;

  drd_config_set_window_state (f->config, 1000, 700, TRUE);
  drain ();
  g_assert_cmpuint (f->window, ==, 1);
  drd_config_get_window_state (f->config, &w, &h, &max);
  g_assert_cmpint (w, ==, 1000);
  g_assert_cmpint (h, ==, 700);
  g_assert_true (max);

  /* a tiny or absurd size is clamped to the schema's range */
  drd_config_set_window_state (f->config, 10, 100000, FALSE);
  drd_config_get_window_state (f->config, &w, &h, &max);
  g_assert_cmpint (w, ==, 360);
  g_assert_cmpint (h, ==, 32767);
  g_assert_false (max);

  for (DrdView v = DRD_VIEW_CUSTOMERS; v <= DRD_VIEW_SETTLEMENT; v++)
    {
      DrdView back;

      drd_config_set_selected_view (f->config, v);
      g_assert_cmpint (drd_config_get_selected_view (f->config), ==, v);
      g_assert_true (drd_view_from_string (drd_view_to_string (v), &back));
      g_assert_cmpint (back, ==, v);
    }
  g_assert_false (drd_view_from_string ("overview", NULL));
  g_assert_false (drd_view_from_string (NULL, NULL));
  drain ();
  g_assert_cmpuint (f->portal + f->kepco + f->params, ==, 0);
}

/* Another writer (dconf-editor, `gsettings set`, a second window) changes
 * a key behind DrdConfig's back: the signal still comes. */
static void
test_external_change (Fixture *f, gconstpointer data)
{
  g_autoptr(GSettingsSchema) schema = lookup_schema ();
  g_autoptr(GSettings) other = g_settings_new_full (schema, f->backend, NULL);

  g_settings_set_uint (other, "portal-port", 8090);
  drain ();
  g_assert_cmpuint (f->portal, ==, 1);
  g_assert_cmpuint (drd_config_get_portal_port (f->config), ==, 8090);

  g_settings_set_uint (other, "kepco-timeout", 30);
  g_settings_set_double (other, "points-per-kwh-reliability", 150.0);
  drain ();
  g_assert_cmpuint (f->kepco, ==, 1);
  g_assert_cmpuint (f->params, ==, 1);
  g_assert_cmpint (drd_config_get_milli_points_per_kwh (f->config, DRD_EVENT_KIND_RELIABILITY),
                   ==, 150000);
}

/* drd_config_new() finds the build's compiled schema. */
static void
test_new_default (void)
{
  g_autoptr(DrdConfig) config = drd_config_new ();
  GSettings *settings;
  g_autoptr(GSettingsSchema) schema = NULL;

  g_assert_true (drd_config_is_persistent (config));
  settings = drd_config_get_settings (config);
  g_assert_nonnull (settings);
  g_object_get (settings, "settings-schema", &schema, NULL);
  g_assert_cmpstr (g_settings_schema_get_id (schema), ==, APP_ID);
}

/* An older installed schema that lacks keys or has them with another type:
 * those keys fall back to defaults and still accept changes in memory. */
static void
test_partial_schema (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *xml_path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettingsSchemaSource) source = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(DrdConfig) config = NULL;
  const char *argv[] = { "glib-compile-schemas", "--strict", NULL, NULL };
  g_autofree char *arg = NULL;
  int status = 0;
  const char *xml =
    "<schemalist><schema id='kr.drdesk.Old' path='/kr/drdesk/Old/'>"
    "<key name='portal-port' type='i'><default>1234</default></key>"
    "<key name='kepco-timeout' type='u'><default>99</default></key>"
    "</schema></schemalist>";

  dir = g_dir_make_tmp ("drd-config-XXXXXX", &error);
  g_assert_no_error (error);
  xml_path = g_build_filename (dir, "kr.drdesk.Old.gschema.xml", NULL);
  g_assert_true (g_file_set_contents (xml_path, xml, -1, &error));
  arg = g_strdup (dir);
  argv[2] = arg;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);

  source = g_settings_schema_source_new_from_directory (dir, NULL, TRUE, &error);
  g_assert_no_error (error);
  schema = g_settings_schema_source_lookup (source, "kr.drdesk.Old", FALSE);
  g_assert_nonnull (schema);
  settings = g_settings_new_full (schema, backend, NULL);
  config = drd_config_new_for_settings (settings);

  g_assert_true (drd_config_is_persistent (config));
  g_assert_cmpuint (drd_config_get_kepco_timeout (config), ==, 99);        /* from the schema */
  g_assert_cmpuint (drd_config_get_portal_port (config), ==, 8088);        /* wrong type there */
  g_assert_cmpuint (drd_config_get_kepco_max_attempts (config), ==, 4);    /* missing there */
  g_assert_true (drd_config_set_value (config, "portal-port", g_variant_new_uint32 (9), NULL));
  g_assert_cmpuint (drd_config_get_portal_port (config), ==, 9);
  g_assert_cmpint (g_settings_get_int (settings, "portal-port"), ==, 1234);  /* untouched */

  g_clear_object (&config);
  g_assert_no_errno (g_unlink (xml_path));
  {
    g_autofree char *compiled = g_build_filename (dir, "gschemas.compiled", NULL);
    g_assert_no_errno (g_unlink (compiled));
  }
  g_assert_no_errno (g_rmdir (dir));
}

static void
count_calls (DrdConfig *c, guint *n)
{
  (*n)++;
}

/* No schema anywhere: drd_config_new() still works, on defaults. */
static void
test_missing_schema (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *empty = g_dir_make_tmp ("drd-noschema-XXXXXX", NULL);
      g_autoptr(DrdConfig) config = NULL;
      g_autofree char *listen = NULL;
      DrdParams params;
      guint portal = 0;

      g_assert_nonnull (empty);
      g_setenv ("GSETTINGS_SCHEMA_DIR", empty, TRUE);
      g_setenv ("XDG_DATA_DIRS", empty, TRUE);
      g_setenv ("XDG_DATA_HOME", empty, TRUE);

      config = drd_config_new ();
      g_assert_false (drd_config_is_persistent (config));
      listen = drd_config_dup_portal_listen (config);
      g_assert_cmpstr (listen, ==, "127.0.0.1:8088");
      memset (&params, 0, sizeof params);
      drd_config_apply_params (config, &params);
      g_assert_cmpint (params.milli_points_per_kwh[DRD_EVENT_KIND_CITIZEN], ==, 40000);
      /* changes live in memory and are announced */
      g_signal_connect (config, "portal-changed", G_CALLBACK (count_calls), &portal);
      g_assert_true (drd_config_set_portal (config, "0.0.0.0", 8100, "http://10.0.0.1:8100", NULL));
      g_assert_cmpuint (portal, ==, 1);
      g_assert_cmpuint (drd_config_get_portal_port (config), ==, 8100);
      g_assert_no_errno (g_rmdir (empty));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* ---- the KEPCO service key file ---- */

static void
test_service_key (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *db = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  char *key = (char *) "sentinel";
  struct stat st;
  mode_t old_umask;

  dir = g_dir_make_tmp ("drd-key-XXXXXX", &error);
  g_assert_no_error (error);
  db = g_build_filename (dir, "drdesk.db", NULL);
  path = drd_config_service_key_path (db);
  g_assert_true (g_str_has_suffix (path, "drdesk.db.kepco-key"));

  /* no file: no key, no error */
  g_assert_true (drd_config_load_service_key (db, &key, &error));
  g_assert_no_error (error);
  g_assert_null (key);

  /* saved 0600 even with a permissive umask; white space dropped */
  old_umask = umask (0);
  g_assert_true (drd_config_save_service_key (db, "  AbC%2Bdef%3D%3D\n", &error));
  umask (old_umask);
  g_assert_no_error (error);
  g_assert_no_errno (g_stat (path, &st));
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (drd_config_load_service_key (db, &key, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "AbC%2Bdef%3D%3D");
  g_clear_pointer (&key, g_free);

  /* readable by the group: refused, and the key is not returned */
  g_assert_no_errno (g_chmod (path, 0640));
  g_assert_false (drd_config_load_service_key (db, &key, &error));
  g_assert_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_INSECURE);
  g_assert_null (key);
  g_assert_null (strstr (error->message, "AbC"));
  g_clear_error (&error);
  g_assert_no_errno (g_chmod (path, 0604));
  g_assert_false (drd_config_load_service_key (db, &key, &error));
  g_assert_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_INSECURE);
  g_clear_error (&error);
  g_assert_no_errno (g_chmod (path, 0600));

  /* two lines are not a key */
  g_assert_true (g_file_set_contents_full (path, "one\ntwo\n", -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                           0600, &error));
  g_assert_false (drd_config_load_service_key (db, &key, &error));
  g_assert_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_KEY_FILE);
  g_clear_error (&error);

  /* too long */
  {
    g_autofree char *big = g_strnfill (5000, 'k');

    g_assert_true (g_file_set_contents_full (path, big, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                             0600, &error));
    g_assert_false (drd_config_load_service_key (db, &key, &error));
    g_assert_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_KEY_FILE);
    g_clear_error (&error);
    g_assert_false (drd_config_save_service_key (db, big, &error));
    g_assert_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_INVALID);
    g_clear_error (&error);
  }

  /* a key with a line break inside cannot be saved */
  g_assert_false (drd_config_save_service_key (db, "ab\ncd", &error));
  g_assert_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_INVALID);
  g_clear_error (&error);

  /* empty file: no key */
  g_assert_true (g_file_set_contents_full (path, "\n", -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error));
  g_assert_true (drd_config_load_service_key (db, &key, &error));
  g_assert_no_error (error);
  g_assert_null (key);

  /* a symlink planted in place of the file is not followed */
  g_assert_no_errno (g_unlink (path));
  {
    g_autofree char *target = g_build_filename (dir, "elsewhere", NULL);

    g_assert_true (g_file_set_contents_full (target, "stolen", -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                             0600, &error));
    g_assert_no_errno (symlink (target, path));
    g_assert_false (drd_config_load_service_key (db, &key, &error));
    g_assert_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_KEY_FILE);
    g_assert_null (key);
    g_clear_error (&error);
    g_assert_no_errno (g_unlink (path));
    g_assert_no_errno (g_unlink (target));
  }

  /* saving NULL removes the key; removing twice is fine */
  g_assert_true (drd_config_save_service_key (db, "k", &error));
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (drd_config_save_service_key (db, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (drd_config_save_service_key (db, "", &error));
  g_assert_no_error (error);

  g_assert_no_errno (g_rmdir (dir));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config/schema-matches-table", test_schema_matches_table);
  g_test_add_func ("/config/new-default", test_new_default);
  g_test_add_func ("/config/partial-schema", test_partial_schema);
  g_test_add_func ("/config/missing-schema", test_missing_schema);
  g_test_add_func ("/config/service-key", test_service_key);

#define ADD_BOTH(name, func) \
  g_test_add ("/config/persistent/" name, Fixture, NULL, setup_persistent, func, teardown); \
  g_test_add ("/config/memory/" name, Fixture, NULL, setup_memory, func, teardown)

  ADD_BOTH ("defaults", test_defaults);
  ADD_BOTH ("defaults-match-params", test_defaults_match_params);
  ADD_BOTH ("set-portal", test_set_portal);
  ADD_BOTH ("set-portal-invalid", test_set_portal_invalid);
  ADD_BOTH ("set-value-errors", test_set_value_errors);
  ADD_BOTH ("kepco", test_kepco);
  ADD_BOTH ("apply-params", test_apply_params);
  ADD_BOTH ("window-state", test_window_state);
  g_test_add ("/config/persistent/trusted-proxies", Fixture, NULL, setup_persistent,
              test_trusted_proxies, teardown);
  g_test_add ("/config/memory/trusted-proxies", Fixture, NULL, setup_memory,
              test_trusted_proxies, teardown);
  g_test_add ("/config/persistent/external-change", Fixture, NULL, setup_persistent,
              test_external_change, teardown);

  return g_test_run ();
}
