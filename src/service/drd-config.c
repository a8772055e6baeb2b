/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "service/drd-config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

G_DEFINE_QUARK (drd-config-error-quark, drd_config_error)

/* The service key is a short token (data.go.kr keys are ~100 characters);
 * anything much longer is not a key. */
#define SERVICE_KEY_MAX 4096

typedef enum {
  GROUP_PORTAL = 1 << 0,
  GROUP_KEPCO = 1 << 1,
  GROUP_PARAMS = 1 << 2,
  GROUP_WINDOW = 1 << 3,
} Group;

typedef enum {
  CHECK_NONE,
  CHECK_ADDRESS,   /* an IP address literal */
  CHECK_URL,       /* http or https URL with a host */
} Check;

static const char * const cbl_nicks[] = { "mid-6-10", "max-4-5", NULL };
static const char * const view_nicks[] = { "customers", "timeline", "responses", "settlement", NULL };

/* Mirrors the schema: type, default (GVariant text), range.  enum keys
 * have type "s" and a nick list.  tests/data/test-config.c checks that
 * this table and the compiled schema agree key by key. */
typedef struct {
  const char         *key;
  Group               group;
  const char         *type;
  const char         *default_text;
  double              min;
  double              max;
  const char * const *nicks;
  Check               check;
} KeyInfo;

static const KeyInfo keys[] = {
  { "portal-listen-address", GROUP_PORTAL, "s", "'127.0.0.1'", 0, 0, NULL, CHECK_ADDRESS },
  { "portal-port", GROUP_PORTAL, "u", "8088", 0, 65535, NULL, CHECK_NONE },
  { "portal-public-url", GROUP_PORTAL, "s", "'http://127.0.0.1:8088'", 0, 0, NULL, CHECK_URL },
  { "portal-rate-limit", GROUP_PORTAL, "u", "20", 0, 100000, NULL, CHECK_NONE },
  { "portal-max-body", GROUP_PORTAL, "u", "16384", 1024, 1048576, NULL, CHECK_NONE },
  { "portal-request-timeout", GROUP_PORTAL, "u", "10", 1, 600, NULL, CHECK_NONE },
  { "kepco-base-url", GROUP_KEPCO, "s", "'http://127.0.0.1:8089'", 0, 0, NULL, CHECK_URL },
  { "kepco-max-concurrent", GROUP_KEPCO, "u", "8", 1, 1024, NULL, CHECK_NONE },
  { "kepco-timeout", GROUP_KEPCO, "u", "15", 1, 600, NULL, CHECK_NONE },
  { "kepco-max-attempts", GROUP_KEPCO, "u", "4", 1, 100, NULL, CHECK_NONE },
  { "points-per-kwh-reliability", GROUP_PARAMS, "d", "100.0", 0, 1000000, NULL, CHECK_NONE },
  { "points-per-kwh-economic", GROUP_PARAMS, "d", "60.0", 0, 1000000, NULL, CHECK_NONE },
  { "points-per-kwh-citizen", GROUP_PARAMS, "d", "40.0", 0, 1000000, NULL, CHECK_NONE },
  { "performance-threshold-wh", GROUP_PARAMS, "x", "0", 0, 1000000000, NULL, CHECK_NONE },
  { "cbl-default-method", GROUP_PARAMS, "s", "'mid-6-10'", 0, 0, cbl_nicks, CHECK_NONE },
  { "abnormal-low-permille", GROUP_PARAMS, "u", "750", 0, 1000, NULL, CHECK_NONE },
  { "abnormal-high-permille", GROUP_PARAMS, "u", "1250", 1000, 10000, NULL, CHECK_NONE },
  { "window-width", GROUP_WINDOW, "i", "1280", 360, 32767, NULL, CHECK_NONE },
  { "window-height", GROUP_WINDOW, "i", "800", 300, 32767, NULL, CHECK_NONE },
  { "window-maximized", GROUP_WINDOW, "b", "false", 0, 0, NULL, CHECK_NONE },
  { "selected-view", GROUP_WINDOW, "s", "'customers'", 0, 0, view_nicks, CHECK_NONE },
};

static const char *points_keys[DRD_N_EVENT_KINDS] = {
  [DRD_EVENT_KIND_RELIABILITY] = "points-per-kwh-reliability",
  [DRD_EVENT_KIND_ECONOMIC] = "points-per-kwh-economic",
  [DRD_EVENT_KIND_CITIZEN] = "points-per-kwh-citizen",
};

struct _DrdConfig
{
  GObject     parent_instance;

  GSettings  *settings;      /* NULL: defaults + overrides only */
  GHashTable *overrides;     /* key → GVariant, for keys GSettings cannot hold */
  gboolean    in_schema[G_N_ELEMENTS (keys)];
  guint       batch_depth;
  Group       pending;       /* groups changed while batch_depth > 0 */
};

G_DEFINE_FINAL_TYPE (DrdConfig, drd_config, G_TYPE_OBJECT)

enum {
  PORTAL_CHANGED,
  KEPCO_CHANGED,
  PARAMS_CHANGED,
  WINDOW_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

const char *
drd_view_to_string (DrdView view)
{
  g_return_val_if_fail ((guint) view < G_N_ELEMENTS (view_nicks) - 1, NULL);
  return view_nicks[view];
}

gboolean
drd_view_from_string (const char *s, DrdView *out)
{
  for (guint i = 0; s != NULL && view_nicks[i] != NULL; i++)
    if (strcmp (s, view_nicks[i]) == 0)
      {
        if (out)
          *out = (DrdView) i;
        return TRUE;
      }
  return FALSE;
}

static int
key_index (const char *key)
{
  for (guint i = 0; key != NULL && i < G_N_ELEMENTS (keys); i++)
    if (strcmp (keys[i].key, key) == 0)
      return (int) i;
  return -1;
}

const char * const *
drd_config_list_keys (void)
{
  static const char *list[G_N_ELEMENTS (keys) + 1];
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
        list[i] = keys[i].key;
      list[G_N_ELEMENTS (keys)] = NULL;
      g_once_init_leave (&initialized, 1);
    }
  return list;
}

GVariant *
drd_config_get_default_value (const char *key)
{
  int i = key_index (key);
  g_autoptr(GError) error = NULL;
  GVariant *v;

  if (i < 0)
    return NULL;
  v = g_variant_parse (G_VARIANT_TYPE (keys[i].type), keys[i].default_text, NULL, NULL, &error);
  /* The table is ours: a parse failure is a programming error. */
  g_assert_no_error (error);
  return v;   /* g_variant_parse() returns a full, non-floating reference */
}

static void
emit_groups (DrdConfig *self, Group groups)
{
  if (self->batch_depth > 0)
    {
      self->pending |= groups;
      return;
    }
  if (groups & GROUP_PORTAL)
    g_signal_emit (self, signals[PORTAL_CHANGED], 0);
  if (groups & GROUP_KEPCO)
    g_signal_emit (self, signals[KEPCO_CHANGED], 0);
  if (groups & GROUP_PARAMS)
    g_signal_emit (self, signals[PARAMS_CHANGED], 0);
  if (groups & GROUP_WINDOW)
    g_signal_emit (self, signals[WINDOW_CHANGED], 0);
}

static void
batch_begin (DrdConfig *self)
{
  self->batch_depth++;
}

static void
batch_end (DrdConfig *self)
{
  Group groups;

  g_assert (self->batch_depth > 0);
  if (--self->batch_depth > 0)
    return;
  groups = self->pending;
  self->pending = 0;
  emit_groups (self, groups);
}

/* GSettings reports keys that changed together (one write, or another
 * process's dconf change) in one change-event. */
static gboolean
on_change_event (GSettings *settings,
                 GQuark    *changed,
                 int        n_changed,
                 DrdConfig *self)
{
  Group groups = 0;

  if (changed == NULL)
    groups = GROUP_PORTAL | GROUP_KEPCO | GROUP_PARAMS | GROUP_WINDOW;
  for (int k = 0; changed != NULL && k < n_changed; k++)
    {
      int i = key_index (g_quark_to_string (changed[k]));

      if (i >= 0 && self->in_schema[i])
        groups |= keys[i].group;
    }
  emit_groups (self, groups);
  return FALSE;   /* let "changed" be emitted too */
}

static void
drd_config_dispose (GObject *object)
{
  DrdConfig *self = DRD_CONFIG (object);

  if (self->settings)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (drd_config_parent_class)->dispose (object);
}

static void
drd_config_finalize (GObject *object)
{
  DrdConfig *self = DRD_CONFIG (object);

  g_clear_pointer (&self->overrides, g_hash_table_unref);
  G_OBJECT_CLASS (drd_config_parent_class)->finalize (object);
}

static void
drd_config_class_init (DrdConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = drd_config_dispose;
  object_class->finalize = drd_config_finalize;

  signals[PORTAL_CHANGED] =
    g_signal_new ("portal-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[KEPCO_CHANGED] =
    g_signal_new ("kepco-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[PARAMS_CHANGED] =
    g_signal_new ("params-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[WINDOW_CHANGED] =
    g_signal_new ("window-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
drd_config_init (DrdConfig *self)
{
  self->overrides = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                           (GDestroyNotify) g_variant_unref);
}

DrdConfig *
drd_config_new_for_settings (GSettings *settings)
{
  DrdConfig *self;

  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  self = g_object_new (DRD_TYPE_CONFIG, NULL);
  if (settings != NULL)
    {
      g_autoptr(GSettingsSchema) schema = NULL;
      gboolean any = FALSE;

      g_object_get (settings, "settings-schema", &schema, NULL);
      for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
        {
          g_autoptr(GSettingsSchemaKey) skey = NULL;

          if (!g_settings_schema_has_key (schema, keys[i].key))
            continue;
          skey = g_settings_schema_get_key (schema, keys[i].key);
          /* A key of another type (an incompatible older schema) is
           * treated as absent rather than misread. */
          self->in_schema[i] = g_variant_type_equal (g_settings_schema_key_get_value_type (skey),
                                                     G_VARIANT_TYPE (keys[i].type));
          any |= self->in_schema[i];
        }
      if (any)
        {
          self->settings = g_object_ref (settings);
          g_signal_connect (settings, "change-event", G_CALLBACK (on_change_event), self);
        }
    }
  return self;
}

DrdConfig *
drd_config_new (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettings) settings = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL)
    {
      g_debug ("GSettings schema %s is not installed; using defaults that are not saved", APP_ID);
      return drd_config_new_for_settings (NULL);
    }
  settings = g_settings_new_full (schema, NULL, NULL);
  return drd_config_new_for_settings (settings);
}

gboolean
drd_config_is_persistent (DrdConfig *self)
{
  g_return_val_if_fail (DRD_IS_CONFIG (self), FALSE);
  return self->settings != NULL;
}

GSettings *
drd_config_get_settings (DrdConfig *self)
{
  g_return_val_if_fail (DRD_IS_CONFIG (self), NULL);
  return self->settings;
}

static GVariant *
lookup (DrdConfig *self, int i)
{
  GVariant *v;

  if (self->settings != NULL && self->in_schema[i])
    return g_settings_get_value (self->settings, keys[i].key);
  v = g_hash_table_lookup (self->overrides, keys[i].key);
  if (v != NULL)
    return g_variant_ref (v);
  return drd_config_get_default_value (keys[i].key);
}

GVariant *
drd_config_get_value (DrdConfig   *self,
                      const char  *key,
                      GError     **error)
{
  int i;

  g_return_val_if_fail (DRD_IS_CONFIG (self), NULL);

  i = key_index (key);
  if (i < 0)
    {
      g_set_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_UNKNOWN_KEY,
                   _("There is no setting named “%s”."), key ? key : "(null)");
      return NULL;
    }
  return lookup (self, i);
}

/* Values of a known key by index; the table's type is trusted. */
static GVariant *
get_by_name (DrdConfig *self, const char *key)
{
  int i = key_index (key);

  g_assert (i >= 0);
  return lookup (self, i);
}

static char *
get_string (DrdConfig *self, const char *key)
{
  g_autoptr(GVariant) v = get_by_name (self, key);
  return g_variant_dup_string (v, NULL);
}

static guint
get_uint (DrdConfig *self, const char *key)
{
  g_autoptr(GVariant) v = get_by_name (self, key);
  return g_variant_get_uint32 (v);
}

static gboolean
check_url (const char *text)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    return FALSE;
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return FALSE;
  if (g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    return FALSE;
  return TRUE;
}

static gboolean
invalid (GError **error, const char *key, const char *why)
{
  g_set_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_INVALID,
               /* Translators: the first %s is a setting's name, the second the reason */
               _("Invalid value for setting “%s”: %s"), key, why);
  return FALSE;
}

static gboolean
validate (int i, GVariant *value, GError **error)
{
  const KeyInfo *k = &keys[i];

  if (!g_variant_is_of_type (value, G_VARIANT_TYPE (k->type)))
    return invalid (error, k->key, _("the value has the wrong type"));

  if (strcmp (k->type, "s") != 0 && strcmp (k->type, "b") != 0)
    {
      double d;

      if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
        d = g_variant_get_uint32 (value);
      else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32))
        d = g_variant_get_int32 (value);
      else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
        d = (double) g_variant_get_int64 (value);
      else
        d = g_variant_get_double (value);
      if (!(d >= k->min && d <= k->max))   /* also refuses NaN */
        {
          g_autofree char *why = NULL;

          /* Translators: a setting's allowed range, e.g. "must be 1 to 600" */
          why = g_strdup_printf (_("must be %g to %g"), k->min, k->max);
          return invalid (error, k->key, why);
        }
    }
  else if (k->nicks != NULL)
    {
      const char *s = g_variant_get_string (value, NULL);

      if (!g_strv_contains ((const char * const *) k->nicks, s))
        {
          g_autofree char *list = g_strjoinv (", ", (char **) k->nicks);
          g_autofree char *why = g_strdup_printf (_("must be one of %s"), list);

          return invalid (error, k->key, why);
        }
    }
  else if (k->check == CHECK_ADDRESS)
    {
      if (!g_hostname_is_ip_address (g_variant_get_string (value, NULL)))
        return invalid (error, k->key,
                        _("must be an IP address such as 127.0.0.1, 0.0.0.0 or ::1"));
    }
  else if (k->check == CHECK_URL)
    {
      if (!check_url (g_variant_get_string (value, NULL)))
        return invalid (error, k->key,
                        _("must be an http or https URL such as http://127.0.0.1:8088"));
    }
  return TRUE;
}

static void
store (DrdConfig *self, int i, GVariant *value)
{
  if (self->settings != NULL && self->in_schema[i])
    {
      /* Emits change-event → on_change_event → the group's signal. */
      g_settings_set_value (self->settings, keys[i].key, value);
      return;
    }
  {
    g_autoptr(GVariant) old = lookup (self, i);

    g_hash_table_insert (self->overrides, (gpointer) keys[i].key, g_variant_ref_sink (value));
    if (!g_variant_equal (old, value))
      emit_groups (self, keys[i].group);
  }
}

gboolean
drd_config_set_value (DrdConfig   *self,
                      const char  *key,
                      GVariant    *value,
                      GError     **error)
{
  g_autoptr(GVariant) owned = NULL;
  int i;

  g_return_val_if_fail (DRD_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  owned = g_variant_ref_sink (value);
  i = key_index (key);
  if (i < 0)
    {
      g_set_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_UNKNOWN_KEY,
                   _("There is no setting named “%s”."), key ? key : "(null)");
      return FALSE;
    }
  if (!validate (i, owned, error))
    return FALSE;
  store (self, i, owned);
  return TRUE;
}

void
drd_config_reset (DrdConfig  *self,
                  const char *key)
{
  int i;

  g_return_if_fail (DRD_IS_CONFIG (self));
  i = key_index (key);
  g_return_if_fail (i >= 0);

  if (self->settings != NULL && self->in_schema[i])
    g_settings_reset (self->settings, key);
  else
    {
      g_autoptr(GVariant) old = lookup (self, i);
      g_autoptr(GVariant) def = drd_config_get_default_value (key);

      g_hash_table_remove (self->overrides, key);
      if (!g_variant_equal (old, def))
        emit_groups (self, keys[i].group);
    }
}

/* ---- portal ---- */

char *
drd_config_dup_portal_address (DrdConfig *self)
{
  g_return_val_if_fail (DRD_IS_CONFIG (self), NULL);
  return get_string (self, "portal-listen-address");
}

guint
drd_config_get_portal_port (DrdConfig *self)
{
  g_return_val_if_fail (DRD_IS_CONFIG (self), 0);
  return get_uint (self, "portal-port");
}

char *
drd_config_dup_portal_listen (DrdConfig *self)
{
  g_autofree char *address = NULL;
  guint port;

  g_return_val_if_fail (DRD_IS_CONFIG (self), NULL);
  address = drd_config_dup_portal_address (self);
  port = drd_config_get_portal_port (self);
  if (strchr (address, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", address, port);
  return g_strdup_printf ("%s:%u", address, port);
}

static char *
strip_trailing_slashes (char *url)
{
  gsize len = strlen (url);

  /* "http://host/" → "http://host", but never below "scheme://x" */
  while (len > 0 && url[len - 1] == '/' && !g_str_has_suffix (url, "://"))
    url[--len] = '\0';
  return url;
}

char *
drd_config_dup_portal_public_url (DrdConfig *self)
{
  g_return_val_if_fail (DRD_IS_CONFIG (self), NULL);
  return strip_trailing_slashes (get_string (self, "portal-public-url"));
}

guint
drd_config_get_portal_rate_limit (DrdConfig *self)
{
  g_return_val_if_fail (DRD_IS_CONFIG (self), 0);
  return get_uint (self, "portal-rate-limit");
}

guint
drd_config_get_portal_max_body (DrdConfig *self)
{
  g_return_val_if_fail (DRD_IS_CONFIG (self), 0);
  return get_uint (self, "portal-max-body");
}

guint
drd_config_get_portal_request_timeout (DrdConfig *self)
{
  g_return_val_if_fail (DRD_IS_CONFIG (self), 0);
  return get_uint (self, "portal-request-timeout");
}

gboolean
drd_config_set_portal (DrdConfig   *self,
                       const char  *address,
                       guint        port,
                       const char  *public_url,
                       GError     **error)
{
  static const char *names[] = { "portal-listen-address", "portal-port", "portal-public-url" };
  GVariant *values[3];
  gboolean ok = TRUE;

  g_return_val_if_fail (DRD_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (address != NULL && public_url != NULL, FALSE);

  values[0] = g_variant_ref_sink (g_variant_new_string (address));
  values[1] = g_variant_ref_sink (g_variant_new_uint32 (port));
  values[2] = g_variant_ref_sink (g_variant_new_string (public_url));
  for (guint n = 0; ok && n < G_N_ELEMENTS (names); n++)
    ok = validate (key_index (names[n]), values[n], error);

  if (ok)
    {
      batch_begin (self);
      for (guint n = 0; n < G_N_ELEMENTS (names); n++)
        store (self, key_index (names[n]), values[n]);
      batch_end (self);
    }
  for (guint n = 0; n < G_N_ELEMENTS (values); n++)
    g_variant_unref (values[n]);
  return ok;
}

/* ---- KEPCO ---- */

char *
drd_config_dup_kepco_base_url (DrdConfig *self)
{
  g_return_val_if_fail (DRD_IS_CONFIG (self), NULL);
  return strip_trailing_slashes (get_string (self, "kepco-base-url"));
}

guint
drd_config_get_kepco_max_concurrent (DrdConfig *self)
{
  g_return_val_if_fail (DRD_IS_CONFIG (self), 0);
  return get_uint (self, "kepco-max-concurrent");
}

guint
drd_config_get_kepco_timeout (DrdConfig *self)
{
  g_return_val_if_fail (DRD_IS_CONFIG (self), 0);
  return get_uint (self, "kepco-timeout");
}

guint
drd_config_get_kepco_max_attempts (DrdConfig *self)
{
  g_return_val_if_fail (DRD_IS_CONFIG (self), 0);
  return get_uint (self, "kepco-max-attempts");
}

/* ---- settlement rules ---- */

gint64
drd_config_get_milli_points_per_kwh (DrdConfig    *self,
                                     DrdEventKind  kind)
{
  g_autoptr(GVariant) v = NULL;
  double points;

  g_return_val_if_fail (DRD_IS_CONFIG (self), 0);
  g_return_val_if_fail ((guint) kind < DRD_N_EVENT_KINDS, 0);

  v = get_by_name (self, points_keys[kind]);
  points = g_variant_get_double (v);
  /* The schema's range keeps this in [0, 10^6]; a hand-edited dconf
   * database is clamped rather than trusted. */
  if (!(points >= 0))
    points = 0;
  if (points > 1000000)
    points = 1000000;
  return (gint64) llround (points * 1000.0);
}

gint64
drd_config_get_performance_threshold_wh (DrdConfig *self)
{
  g_autoptr(GVariant) v = NULL;

  g_return_val_if_fail (DRD_IS_CONFIG (self), 0);
  v = get_by_name (self, "performance-threshold-wh");
  return MAX (0, g_variant_get_int64 (v));
}

DrdCblMethod
drd_config_get_cbl_default_method (DrdConfig *self)
{
  g_autofree char *nick = NULL;
  DrdCblMethod method = DRD_CBL_MID_6_10;

  g_return_val_if_fail (DRD_IS_CONFIG (self), DRD_CBL_MID_6_10);
  nick = get_string (self, "cbl-default-method");
  if (!drd_cbl_method_from_string (nick, &method))
    method = DRD_CBL_MID_6_10;
  return method;
}

guint
drd_config_get_abnormal_low_permille (DrdConfig *self)
{
  g_return_val_if_fail (DRD_IS_CONFIG (self), 750);
  return MIN (get_uint (self, "abnormal-low-permille"), 1000);
}

guint
drd_config_get_abnormal_high_permille (DrdConfig *self)
{
  g_return_val_if_fail (DRD_IS_CONFIG (self), 1250);
  return MAX (get_uint (self, "abnormal-high-permille"), 1000);
}

void
drd_config_apply_params (DrdConfig *self,
                         DrdParams *params)
{
  g_return_if_fail (DRD_IS_CONFIG (self));
  g_return_if_fail (params != NULL);

  for (guint k = 0; k < DRD_N_EVENT_KINDS; k++)
    params->milli_points_per_kwh[k] = drd_config_get_milli_points_per_kwh (self, (DrdEventKind) k);
  params->performance_threshold_wh = drd_config_get_performance_threshold_wh (self);
  params->abnormal_low_permille = drd_config_get_abnormal_low_permille (self);
  params->abnormal_high_permille = drd_config_get_abnormal_high_permille (self);
}

/* ---- window state ---- */

void
drd_config_get_window_state (DrdConfig *self,
                             int       *width,
                             int       *height,
                             gboolean  *maximized)
{
  g_return_if_fail (DRD_IS_CONFIG (self));

  if (width)
    {
      g_autoptr(GVariant) v = get_by_name (self, "window-width");
      *width = g_variant_get_int32 (v);
    }
  if (height)
    {
      g_autoptr(GVariant) v = get_by_name (self, "window-height");
      *height = g_variant_get_int32 (v);
    }
  if (maximized)
    {
      g_autoptr(GVariant) v = get_by_name (self, "window-maximized");
      *maximized = g_variant_get_boolean (v);
    }
}

void
drd_config_set_window_state (DrdConfig *self,
                             int        width,
                             int        height,
                             gboolean   maximized)
{
  int iw = key_index ("window-width");
  int ih = key_index ("window-height");

  g_return_if_fail (DRD_IS_CONFIG (self));

  width = CLAMP (width, (int) keys[iw].min, (int) keys[iw].max);
  height = CLAMP (height, (int) keys[ih].min, (int) keys[ih].max);
  batch_begin (self);
  store (self, iw, g_variant_new_int32 (width));
  store (self, ih, g_variant_new_int32 (height));
  store (self, key_index ("window-maximized"), g_variant_new_boolean (!!maximized));
  batch_end (self);
}

DrdView
drd_config_get_selected_view (DrdConfig *self)
{
  g_autofree char *nick = NULL;
  DrdView view = DRD_VIEW_CUSTOMERS;

  g_return_val_if_fail (DRD_IS_CONFIG (self), DRD_VIEW_CUSTOMERS);
  nick = get_string (self, "selected-view");
  if (!drd_view_from_string (nick, &view))
    view = DRD_VIEW_CUSTOMERS;
  return view;
}

void
drd_config_set_selected_view (DrdConfig *self,
                              DrdView    view)
{
  g_return_if_fail (DRD_IS_CONFIG (self));
  g_return_if_fail ((guint) view <= DRD_VIEW_SETTLEMENT);

  store (self, key_index ("selected-view"), g_variant_new_string (view_nicks[view]));
}

/* ---- KEPCO service key ---- */

char *
drd_config_service_key_path (const char *db_path)
{
  g_return_val_if_fail (db_path != NULL, NULL);
  return g_strconcat (db_path, ".kepco-key", NULL);
}

static gboolean
key_text_ok (const char *key)
{
  for (const char *p = key; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return FALSE;
  return TRUE;
}

gboolean
drd_config_load_service_key (const char  *db_path,
                             char       **out_key,
                             GError     **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (db_path != NULL, FALSE);
  path = drd_config_service_key_path (db_path);
  return drd_config_load_service_key_file (path, TRUE, out_key, error);
}

gboolean
drd_config_load_service_key_file (const char  *path,
                                  gboolean     missing_ok,
                                  char       **out_key,
                                  GError     **error)
{
  g_autofree char *display = NULL;
  char buf[SERVICE_KEY_MAX + 2];
  struct stat st;
  gssize total = 0;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (out_key != NULL, FALSE);

  *out_key = NULL;
  display = g_filename_display_name (path);

  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0);
  if (fd < 0)
    {
      int saved = errno;

      if (saved == ENOENT && missing_ok)
        return TRUE;   /* no key configured */
      g_set_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_KEY_FILE,
                   _("Cannot open the KEPCO service key file %s: %s"),
                   display, g_strerror (saved));
      return FALSE;
    }

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_KEY_FILE,
                   _("The KEPCO service key file %s is not a regular file."), display);
      close (fd);
      return FALSE;
    }
  if ((st.st_mode & 077) != 0 || st.st_uid != getuid ())
    {
      g_set_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_INSECURE,
                   _("The KEPCO service key file %s can be read or changed by other users; "
                     "make it yours alone with “chmod 600” and check its owner."), display);
      close (fd);
      return FALSE;
    }

  for (;;)
    {
      gssize n = read (fd, buf + total, sizeof buf - 1 - total);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          g_set_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_KEY_FILE,
                       _("Cannot read the KEPCO service key file %s: %s"),
                       display, g_strerror (saved));
          close (fd);
          explicit_bzero (buf, sizeof buf);
          return FALSE;
        }
      if (n == 0)
        break;
      total += n;
      if (total >= (gssize) sizeof buf - 1)
        break;
    }
  close (fd);
  buf[total] = '\0';

  if (total > SERVICE_KEY_MAX || memchr (buf, '\0', total) != NULL)
    {
      g_set_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_KEY_FILE,
                   _("The KEPCO service key file %s does not hold a key "
                     "(it is too long or not text)."), display);
      explicit_bzero (buf, sizeof buf);
      return FALSE;
    }
  g_strstrip (buf);
  if (!key_text_ok (buf))
    {
      g_set_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_KEY_FILE,
                   _("The KEPCO service key file %s must hold the key alone on one line."),
                   display);
      explicit_bzero (buf, sizeof buf);
      return FALSE;
    }
  if (buf[0] != '\0')
    *out_key = g_strdup (buf);
  explicit_bzero (buf, sizeof buf);
  return TRUE;
}

gboolean
drd_config_save_service_key (const char  *db_path,
                             const char  *key,
                             GError     **error)
{
  g_autofree char *path = NULL;
  g_autofree char *display = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean ok;

  g_return_val_if_fail (db_path != NULL, FALSE);

  path = drd_config_service_key_path (db_path);
  display = g_filename_display_name (path);
  text = g_strstrip (g_strdup (key ? key : ""));

  if (text[0] == '\0')
    {
      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          int saved = errno;

          g_set_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_KEY_FILE,
                       _("Cannot remove the KEPCO service key file %s: %s"),
                       display, g_strerror (saved));
          return FALSE;
        }
      return TRUE;
    }
  if (strlen (text) > SERVICE_KEY_MAX || !key_text_ok (text))
    {
      explicit_bzero (text, strlen (text));
      g_set_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_INVALID,
                   _("A KEPCO service key is one line of at most %d characters."),
                   SERVICE_KEY_MAX);
      return FALSE;
    }

  {
    g_autofree char *line = g_strconcat (text, "\n", NULL);

    /* A new file with mode 0600 renamed over the old one: the key is
     * never readable by others, not even for a moment. */
    ok = g_file_set_contents_full (path, line, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                   &local_error);
    explicit_bzero (line, strlen (line));
  }
  explicit_bzero (text, strlen (text));
  if (!ok)
    {
      g_set_error (error, DRD_CONFIG_ERROR, DRD_CONFIG_ERROR_KEY_FILE,
                   _("Cannot save the KEPCO service key to %s: %s"),
                   display, local_error->message);
      return FALSE;
    }
  return TRUE;
}

void
drd_config_apply_kepco_limits (DrdConfig      *self,
                               DrdKepcoClient *client)
{
  g_return_if_fail (DRD_IS_CONFIG (self));
  g_return_if_fail (DRD_IS_KEPCO_CLIENT (client));

  g_object_set (client,
                "max-in-flight", drd_config_get_kepco_max_concurrent (self),
                "timeout-ms", drd_config_get_kepco_timeout (self) * 1000,
                "max-attempts", drd_config_get_kepco_max_attempts (self),
                NULL);
}
