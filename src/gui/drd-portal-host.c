/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gui/drd-portal-host.h"
#include "portal/drd-portal.h"
#include "service/drd-notifier.h"
#include "store/drd-store-portal.h"

struct _DrdPortalHost
{
  GObject          parent_instance;

  /* owned */
  DrdStore        *store;
  DrdConfig       *config;
  GBytes          *secret;          /* NULL until prepared */
  DrdPortal       *portal;          /* NULL unless listening */
  DrdNotifier     *notifier;
  GCancellable    *cancellable;
  char            *override;        /* --listen, until the settings change */
  char            *address;         /* what the portal listens on */
  guint            port;            /* as configured (0 = any) */
  char            *public_url;      /* the notifier's */
  char            *url;
  char            *message;
  DrdServiceState  state;
  gboolean         started;
  guint            restart_idle;
};

G_DEFINE_FINAL_TYPE (DrdPortalHost, drd_portal_host, G_TYPE_OBJECT)

enum { STATE_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
set_state (DrdPortalHost *self, DrdServiceState state, const char *url, const char *message)
{
  self->state = state;
  g_free (self->url);
  self->url = g_strdup (url);
  g_free (self->message);
  self->message = g_strdup (message);
  g_signal_emit (self, signals[STATE_CHANGED], 0);
}

/* ---- notifier: its stop joins a thread that may wait on HTTP, so it is
 * stopped off the main loop ---- */

static void
stop_notifier_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  drd_notifier_stop (DRD_NOTIFIER (task_data));
  g_task_return_boolean (task, TRUE);
}

static void
retire_notifier (DrdPortalHost *self, gboolean wait)
{
  g_autoptr(DrdNotifier) notifier = g_steal_pointer (&self->notifier);
  g_autoptr(GTask) task = NULL;

  if (notifier == NULL)
    return;
  if (wait)
    {
      drd_notifier_stop (notifier);
      return;
    }
  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_source_tag (task, retire_notifier);
  g_task_set_task_data (task, g_object_ref (notifier), g_object_unref);
  g_task_run_in_thread (task, stop_notifier_thread);
}

static void
update_notifier (DrdPortalHost *self)
{
  g_autofree char *public_url = drd_config_dup_portal_public_url (self->config);

  if (self->notifier != NULL && g_strcmp0 (public_url, self->public_url) == 0)
    return;
  retire_notifier (self, FALSE);
  g_free (self->public_url);
  self->public_url = g_steal_pointer (&public_url);
  self->notifier = drd_notifier_new (self->store, self->secret, self->public_url);
  drd_notifier_start (self->notifier);
}

/* ---- listening ---- */

static void
apply_limits (DrdPortalHost *self)
{
  double rate = drd_config_get_portal_rate_limit (self->config);

  drd_portal_set_rate_limit (self->portal, rate, MAX (2 * rate, 1));
  drd_portal_set_request_timeout (self->portal, drd_config_get_portal_request_timeout (self->config));
  drd_portal_set_max_body (self->portal, drd_config_get_portal_max_body (self->config));
}

static void
wanted_listen (DrdPortalHost *self, char **address, guint *port)
{
  if (self->override != NULL
      && drd_portal_parse_listen (self->override, address, port, NULL))
    return;
  *address = drd_config_dup_portal_address (self->config);
  *port = drd_config_get_portal_port (self->config);
}

static char *
failure_sentence (const char *address, guint port, const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
    return g_strdup_printf (_("Port %u is in use — another DR Desk or “drdeskctl serve” is "
                              "running; change the port in Preferences."), port);
  /* Translators: %s:%u is the address and port, the last %s the system's reason */
  return g_strdup_printf (_("Cannot listen on %s:%u (%s); change the address or port in "
                            "Preferences."), address, port, error->message);
}

static void
close_portal (DrdPortalHost *self)
{
  if (self->portal == NULL)
    return;
  drd_portal_stop (self->portal);
  g_clear_object (&self->portal);
}

static void
listen_now (DrdPortalHost *self)
{
  g_autofree char *address = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  guint port = 0;

  close_portal (self);
  wanted_listen (self, &address, &port);
  g_free (self->address);
  self->address = g_strdup (address);
  self->port = port;

  self->portal = drd_portal_new (self->store, self->secret);
  apply_limits (self);
  if (!drd_portal_listen (self->portal, address, port, &error))
    {
      g_autofree char *sentence = failure_sentence (address, port, error);

      g_clear_object (&self->portal);
      g_message ("portal: %s", error->message);
      set_state (self, DRD_SERVICE_FAILED, NULL, sentence);
      return;
    }
  url = drd_portal_get_url (self->portal);
  g_debug ("portal listening at %s", url);
  set_state (self, DRD_SERVICE_RUNNING, url, NULL);
}

/* ---- preparing: secret and token hashes, off the main loop ---- */

static void
prepare_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DrdStore *store = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) secret = drd_store_portal_open_secret (store, &error);

  if (secret == NULL || !drd_store_portal_ensure_tokens (store, secret, NULL, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_steal_pointer (&secret), (GDestroyNotify) g_bytes_unref);
}

static void
on_prepared (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DrdPortalHost *self = DRD_PORTAL_HOST (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) secret = g_task_propagate_pointer (G_TASK (result), &error);

  if (secret == NULL)
    {
      g_autofree char *sentence = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* Translators: %s is the reason */
      sentence = g_strdup_printf (_("The answer links could not be prepared: %s"), error->message);
      set_state (self, DRD_SERVICE_FAILED, NULL, sentence);
      return;
    }
  if (!self->started)
    return;
  self->secret = g_steal_pointer (&secret);
  listen_now (self);
  update_notifier (self);
}

/* ---- settings ---- */

static gboolean
restart_idle_cb (gpointer user_data)
{
  DrdPortalHost *self = user_data;
  g_autofree char *address = NULL;
  guint port = 0;

  self->restart_idle = 0;
  if (!self->started || self->secret == NULL)
    return G_SOURCE_REMOVE;
  wanted_listen (self, &address, &port);
  if (self->portal != NULL && g_strcmp0 (address, self->address) == 0 && port == self->port)
    apply_limits (self);
  else
    listen_now (self);
  update_notifier (self);
  return G_SOURCE_REMOVE;
}

static void
on_portal_changed (DrdConfig *config, DrdPortalHost *self)
{
  /* The operator changed the settings: they win over --listen now. */
  g_clear_pointer (&self->override, g_free);
  /* Keys written one by one (address, then port) restart once. */
  if (self->restart_idle == 0)
    self->restart_idle = g_idle_add (restart_idle_cb, self);
}

/* ---- public ---- */

DrdPortalHost *
drd_portal_host_new (DrdStore *store, DrdConfig *config)
{
  DrdPortalHost *self;

  g_return_val_if_fail (DRD_IS_STORE (store), NULL);
  g_return_val_if_fail (DRD_IS_CONFIG (config), NULL);

  self = g_object_new (DRD_TYPE_PORTAL_HOST, NULL);
  self->store = g_object_ref (store);
  self->config = g_object_ref (config);
  g_signal_connect (config, "portal-changed", G_CALLBACK (on_portal_changed), self);
  return self;
}

void
drd_portal_host_set_listen_override (DrdPortalHost *self, const char *listen)
{
  g_return_if_fail (DRD_IS_PORTAL_HOST (self));
  g_free (self->override);
  self->override = g_strdup (listen);
}

void
drd_portal_host_start (DrdPortalHost *self)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DRD_IS_PORTAL_HOST (self));
  if (self->started)
    return;
  self->started = TRUE;
  set_state (self, DRD_SERVICE_STARTING, NULL, NULL);
  if (self->secret != NULL)
    {
      listen_now (self);
      update_notifier (self);
      return;
    }
  task = g_task_new (self, self->cancellable, on_prepared, NULL);
  g_task_set_source_tag (task, drd_portal_host_start);
  g_task_set_task_data (task, g_object_ref (self->store), g_object_unref);
  g_task_run_in_thread (task, prepare_thread);
}

void
drd_portal_host_stop (DrdPortalHost *self)
{
  g_return_if_fail (DRD_IS_PORTAL_HOST (self));

  self->started = FALSE;
  g_clear_handle_id (&self->restart_idle, g_source_remove);
  close_portal (self);
  retire_notifier (self, TRUE);
  if (self->state != DRD_SERVICE_NOT_RUNNING)
    set_state (self, DRD_SERVICE_NOT_RUNNING, NULL, NULL);
}

DrdServiceState
drd_portal_host_get_state (DrdPortalHost *self)
{
  g_return_val_if_fail (DRD_IS_PORTAL_HOST (self), DRD_SERVICE_NOT_RUNNING);
  return self->state;
}

const char *
drd_portal_host_get_url (DrdPortalHost *self)
{
  g_return_val_if_fail (DRD_IS_PORTAL_HOST (self), NULL);
  return self->url;
}

guint
drd_portal_host_get_port (DrdPortalHost *self)
{
  g_return_val_if_fail (DRD_IS_PORTAL_HOST (self), 0);
  return self->portal != NULL ? drd_portal_get_port (self->portal) : 0;
}

const char *
drd_portal_host_get_message (DrdPortalHost *self)
{
  g_return_val_if_fail (DRD_IS_PORTAL_HOST (self), NULL);
  return self->message;
}

static void
sync_overview (DrdPortalHost *self, DrdOverview *overview)
{
  drd_overview_set_portal_status (overview, self->state,
                                  self->url != NULL ? self->url : self->message);
}

void
drd_portal_host_bind_overview (DrdPortalHost *self, DrdOverview *overview)
{
  g_return_if_fail (DRD_IS_PORTAL_HOST (self));
  g_return_if_fail (DRD_IS_OVERVIEW (overview));

  g_signal_connect_object (self, "state-changed", G_CALLBACK (sync_overview), overview, 0);
  sync_overview (self, overview);
}

/* ---- GObject ---- */

static void
drd_portal_host_dispose (GObject *object)
{
  DrdPortalHost *self = DRD_PORTAL_HOST (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->restart_idle, g_source_remove);
  close_portal (self);
  retire_notifier (self, TRUE);
  if (self->config != NULL)
    g_signal_handlers_disconnect_by_data (self->config, self);
  g_clear_object (&self->config);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (drd_portal_host_parent_class)->dispose (object);
}

static void
drd_portal_host_finalize (GObject *object)
{
  DrdPortalHost *self = DRD_PORTAL_HOST (object);

  g_clear_pointer (&self->secret, g_bytes_unref);
  g_clear_object (&self->cancellable);
  g_free (self->override);
  g_free (self->address);
  g_free (self->public_url);
  g_free (self->url);
  g_free (self->message);
  G_OBJECT_CLASS (drd_portal_host_parent_class)->finalize (object);
}

static void
drd_portal_host_class_init (DrdPortalHostClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = drd_portal_host_dispose;
  object_class->finalize = drd_portal_host_finalize;

  signals[STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
drd_portal_host_init (DrdPortalHost *self)
{
  self->cancellable = g_cancellable_new ();
  self->state = DRD_SERVICE_NOT_RUNNING;
}
