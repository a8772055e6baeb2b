/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdConfig: the operator's settings (GSettings schema APP_ID, see
 * data/kr.drdesk.DrDesk.gschema.xml.in) behind typed getters.
 *
 * When the schema is not installed (a binary run from the build tree, a
 * headless server without it) DrdConfig never fails: it serves the schema's
 * defaults, which it mirrors, and keeps changes in memory for the process's
 * lifetime.  A schema that lacks some keys (an older installed copy) gets
 * the defaults for those keys only.
 *
 * Signals coalesce the keys that changed together:
 *   portal-changed  listen address, port, public URL, rate limit, body
 *                   size or request timeout (the window restarts the portal)
 *   kepco-changed   base URL, concurrency, timeout or attempts
 *   params-changed  points per kWh, performance threshold, abnormal-day
 *                   limits or the default CBL method (call
 *                   drd_config_apply_params() again)
 *   window-changed  window size, maximized state or selected view
 *
 * The KEPCO service key is NOT a setting (settings are readable by anything
 * that can run `gsettings list-recursively`): it lives in
 * "<database>.kepco-key", mode 0600, next to the database and its link
 * secret; see drd_config_load_service_key(). */
#pragma once

#include <gio/gio.h>

#include "core/drd-params.h"
#include "core/drd-types.h"
#include "kepco/drd-kepco-client.h"

G_BEGIN_DECLS

#define DRD_CONFIG_ERROR (drd_config_error_quark ())
GQuark drd_config_error_quark (void);

typedef enum {
  DRD_CONFIG_ERROR_UNKNOWN_KEY,    /* no such setting */
  DRD_CONFIG_ERROR_INVALID,        /* wrong type, out of range, not a URL/address */
  DRD_CONFIG_ERROR_INSECURE,       /* the service-key file is readable by others */
  DRD_CONFIG_ERROR_KEY_FILE,       /* the service-key file cannot be read or written */
} DrdConfigError;

/* The window's views; spelled "customers", "timeline", "responses",
 * "settlement" in the schema. */
typedef enum {
  DRD_VIEW_CUSTOMERS = 0,
  DRD_VIEW_TIMELINE = 1,
  DRD_VIEW_RESPONSES = 2,
  DRD_VIEW_SETTLEMENT = 3,
} DrdView;

const char *drd_view_to_string (DrdView view);
gboolean    drd_view_from_string (const char *s, DrdView *out);

#define DRD_TYPE_CONFIG (drd_config_get_type ())
G_DECLARE_FINAL_TYPE (DrdConfig, drd_config, DRD, CONFIG, GObject)

/* Settings of schema APP_ID from the default schema source (installed
 * schemas, GSETTINGS_SCHEMA_DIR); defaults only when it is not found. */
DrdConfig  *drd_config_new (void);
/* For tests and tools: wraps @settings (whose schema must be APP_ID's
 * shape; missing keys fall back to defaults), or defaults only when
 * @settings is NULL. */
DrdConfig  *drd_config_new_for_settings (GSettings *settings);

/* TRUE when values come from (and go to) GSettings. */
gboolean    drd_config_is_persistent (DrdConfig *self);
/* The wrapped settings (for g_settings_bind) or NULL. */
GSettings  *drd_config_get_settings (DrdConfig *self);

/* Every key, NULL-terminated, in schema order. */
const char * const *drd_config_list_keys (void);
/* The current value of @key (floating refs are never returned); NULL and
 * a DRD_CONFIG_ERROR_UNKNOWN_KEY error for an unknown key. Enum keys are
 * strings (their nick). */
GVariant   *drd_config_get_value (DrdConfig   *self,
                                  const char  *key,
                                  GError     **error);
/* The schema default of @key, or NULL when unknown. */
GVariant   *drd_config_get_default_value (const char *key);
/* Sets @key after checking its type, range, and — for addresses and URLs —
 * its syntax. Nothing changes on error. @value may be floating. */
gboolean    drd_config_set_value (DrdConfig   *self,
                                  const char  *key,
                                  GVariant    *value,
                                  GError     **error);
/* Back to the default. */
void        drd_config_reset (DrdConfig  *self,
                              const char *key);

/* ---- portal ---- */
char       *drd_config_dup_portal_address (DrdConfig *self);
guint       drd_config_get_portal_port (DrdConfig *self);
/* "ADDR:PORT", or "[V6]:PORT" for IPv6 (what drd_portal_parse_listen reads). */
char       *drd_config_dup_portal_listen (DrdConfig *self);
/* Without a trailing slash. */
char       *drd_config_dup_portal_public_url (DrdConfig *self);
/* Requests per second per client, 0 = unlimited. */
guint       drd_config_get_portal_rate_limit (DrdConfig *self);
guint       drd_config_get_portal_max_body (DrdConfig *self);
guint       drd_config_get_portal_request_timeout (DrdConfig *self);
/* Sets the three together (one portal-changed); all or nothing. */
gboolean    drd_config_set_portal (DrdConfig   *self,
                                   const char  *address,
                                   guint        port,
                                   const char  *public_url,
                                   GError     **error);

/* ---- KEPCO link ---- */
/* Without a trailing slash. */
char       *drd_config_dup_kepco_base_url (DrdConfig *self);
guint       drd_config_get_kepco_max_concurrent (DrdConfig *self);
/* Seconds. */
guint       drd_config_get_kepco_timeout (DrdConfig *self);
guint       drd_config_get_kepco_max_attempts (DrdConfig *self);

/* ---- settlement rules ---- */
/* Milli-points per kWh (1000 = 1 point), the unit of DrdParams. */
gint64       drd_config_get_milli_points_per_kwh (DrdConfig    *self,
                                                  DrdEventKind  kind);
gint64       drd_config_get_performance_threshold_wh (DrdConfig *self);
DrdCblMethod drd_config_get_cbl_default_method (DrdConfig *self);
guint        drd_config_get_abnormal_low_permille (DrdConfig *self);
guint        drd_config_get_abnormal_high_permille (DrdConfig *self);
/* Copies points per kWh, performance threshold and abnormal-day limits
 * onto @params; every other field is left as it is. */
void         drd_config_apply_params (DrdConfig *self,
                                      DrdParams *params);

/* ---- window state ---- */
void        drd_config_get_window_state (DrdConfig *self,
                                         int       *width,
                                         int       *height,
                                         gboolean  *maximized);
/* Sizes are clamped to the schema's range. */
void        drd_config_set_window_state (DrdConfig *self,
                                         int        width,
                                         int        height,
                                         gboolean   maximized);
DrdView     drd_config_get_selected_view (DrdConfig *self);
void        drd_config_set_selected_view (DrdConfig *self,
                                          DrdView    view);

/* ---- KEPCO service key (not a setting) ----
 * Kept in "<db_path>.kepco-key": the key on one line, owned by the user,
 * mode 0600. */
char       *drd_config_service_key_path (const char *db_path);
/* TRUE with *out_key = NULL when the file does not exist or is empty (no
 * key configured). Fails with DRD_CONFIG_ERROR_INSECURE when the file is
 * readable or writable by group or others or owned by someone else, and
 * with DRD_CONFIG_ERROR_KEY_FILE when it cannot be read or holds more than
 * one line or control characters. Surrounding white space is dropped. */
gboolean    drd_config_load_service_key (const char  *db_path,
                                         char       **out_key,
                                         GError     **error);
/* The same rules for a key file named by the operator (`settle
 * --service-key-file`); with @missing_ok FALSE a missing file is an error. */
gboolean    drd_config_load_service_key_file (const char  *path,
                                              gboolean     missing_ok,
                                              char       **out_key,
                                              GError     **error);
/* Writes @key atomically with mode 0600; NULL or "" removes the file. */
gboolean    drd_config_save_service_key (const char  *db_path,
                                         const char  *key,
                                         GError     **error);

/* Applies the operator's KEPCO limits (concurrency, per-request timeout,
 * attempts) to @client; call again on "kepco-changed". */
void drd_config_apply_kepco_limits (DrdConfig      *self,
                                    DrdKepcoClient *client);

G_END_DECLS
