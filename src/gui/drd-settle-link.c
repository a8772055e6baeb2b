/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gui/drd-settle-link.h"
#include "service/drd-config.h"
#include "service/drd-dispatcher.h"

struct _DrdSettleLink
{
  GObject         parent_instance;

  DrdStore       *store;
  DrdKepcoClient *client;
  DrdSettler     *settler;
  DrdDispatcher  *dispatcher;
  DrdParams       params;
  DrdConfig      *config;
  char           *url;
  char           *warning;
  gboolean        started;
  DrdOverview    *overview;   /* weak */
};

G_DEFINE_FINAL_TYPE (DrdSettleLink, drd_settle_link, G_TYPE_OBJECT)

static void update_overview (DrdSettleLink *self);

static void
apply_kepco_limits (DrdSettleLink *self)
{
  drd_config_apply_kepco_limits (self->config, self->client);
}

static void
on_kepco_changed (DrdConfig *config, DrdSettleLink *self)
{
  apply_kepco_limits (self);
}

static void
on_params_changed (DrdConfig *config, DrdSettleLink *self)
{
  /* the charts use them at once; the running settler keeps its copy */
  drd_params_init_defaults (&self->params);
  drd_config_apply_params (config, &self->params);
}

DrdSettleLink *
drd_settle_link_new (DrdStore *store, DrdConfig *config_in, const char *db_path,
                     const char *kepco_url, GError **error)
{
  g_autoptr(DrdSettleLink) self = NULL;
  g_autoptr(DrdConfig) config = config_in != NULL ? g_object_ref (config_in) : drd_config_new ();
  g_autoptr(GError) key_error = NULL;
  g_autofree char *key = NULL;

  g_return_val_if_fail (DRD_IS_STORE (store), NULL);

  self = g_object_new (DRD_TYPE_SETTLE_LINK, NULL);
  self->store = g_object_ref (store);
  self->url = kepco_url != NULL ? g_strdup (kepco_url) : drd_config_dup_kepco_base_url (config);
  if (!g_str_has_prefix (self->url, "http://") && !g_str_has_prefix (self->url, "https://"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The KEPCO URL must start with http:// or https:// (got “%s”)"), self->url);
      return NULL;
    }
  if (db_path != NULL && !drd_config_load_service_key (db_path, &key, &key_error))
    self->warning = g_strdup_printf (_("KEPCO service key not used: %s"), key_error->message);
  drd_params_init_defaults (&self->params);
  drd_config_apply_params (config, &self->params);

  self->client = drd_kepco_client_new (self->url, key != NULL ? key : "");
  self->config = g_object_ref (config);
  apply_kepco_limits (self);
  g_signal_connect (config, "kepco-changed", G_CALLBACK (on_kepco_changed), self);
  g_signal_connect (config, "params-changed", G_CALLBACK (on_params_changed), self);
  self->settler = drd_settler_new (store, self->client, &self->params);
  self->dispatcher = drd_dispatcher_new (store);
  g_signal_connect_swapped (self->dispatcher, "event-ended", G_CALLBACK (drd_settler_scan),
                            self->settler);
  return g_steal_pointer (&self);
}

void
drd_settle_link_start (DrdSettleLink *self)
{
  g_return_if_fail (DRD_IS_SETTLE_LINK (self));

  if (self->started)
    return;
  self->started = TRUE;
  drd_settler_start (self->settler);
  drd_dispatcher_start (self->dispatcher);
  update_overview (self);
}

void
drd_settle_link_stop (DrdSettleLink *self)
{
  g_return_if_fail (DRD_IS_SETTLE_LINK (self));

  if (!self->started)
    return;
  self->started = FALSE;
  drd_dispatcher_stop (self->dispatcher);
  drd_settler_stop (self->settler);
}

DrdSettler *
drd_settle_link_get_settler (DrdSettleLink *self)
{
  return self->settler;
}

DrdKepcoClient *
drd_settle_link_get_client (DrdSettleLink *self)
{
  return self->client;
}

const DrdParams *
drd_settle_link_get_params (DrdSettleLink *self)
{
  return &self->params;
}

const char *
drd_settle_link_get_url (DrdSettleLink *self)
{
  return self->url;
}

const char *
drd_settle_link_get_warning (DrdSettleLink *self)
{
  return self->warning;
}

/* "14:32" in Korean time (the operator's clock is Asia/Seoul). */
static char *
next_try_text (gint64 unix_s)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset (9 * 3600);
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (unix_s);
  g_autoptr(GDateTime) t = utc != NULL ? g_date_time_to_timezone (utc, tz) : NULL;

  return t != NULL ? g_date_time_format (t, "%H:%M") : g_strdup ("?");
}

static void
update_overview (DrdSettleLink *self)
{
  guint64 total = drd_settler_get_n_total (self->settler);
  guint64 done = drd_settler_get_n_done (self->settler);
  guint pending = (guint) MIN (total > done ? total - done : 0, G_MAXUINT);
  g_autofree char *err = drd_kepco_client_dup_last_error (self->client);
  g_autofree char *detail = NULL;
  const char *circuit;
  g_autofree char *next = NULL;
  g_autofree char *down = NULL;
  DrdServiceState state;

  if (self->overview == NULL)
    return;
  switch (drd_kepco_client_get_breaker_state (self->client))
    {
    case DRD_KEPCO_BREAKER_OPEN: state = DRD_SERVICE_FAILED; break;
    case DRD_KEPCO_BREAKER_HALF_OPEN: state = DRD_SERVICE_DEGRADED; break;
    case DRD_KEPCO_BREAKER_CLOSED:
    default: state = self->started ? DRD_SERVICE_RUNNING : DRD_SERVICE_NOT_RUNNING; break;
    }
  switch (drd_kepco_client_get_breaker_state (self->client))
    {
    case DRD_KEPCO_BREAKER_OPEN:
      next = next_try_text (drd_kepco_client_get_next_try (self->client));
      /* TRANSLATORS: %s is a time of day, "14:32" */
      circuit = down = g_strdup_printf (_("not reachable, next try %s"), next);
      break;
    case DRD_KEPCO_BREAKER_HALF_OPEN: circuit = _("trying again"); break;
    case DRD_KEPCO_BREAKER_CLOSED:
    default: circuit = self->started ? _("connected") : _("not connected"); break;
    }
  if (err != NULL && state != DRD_SERVICE_RUNNING)
    detail = g_strdup_printf ("%s: %s", circuit, err);
  else if (self->warning != NULL)
    detail = g_strdup_printf ("%s · %s", circuit, self->warning);
  else
    detail = g_strdup (circuit);
  drd_overview_set_kepco_status (self->overview, state, pending, detail);
}

static void
on_notify (GObject *obj, GParamSpec *pspec, DrdSettleLink *self)
{
  update_overview (self);
}

void
drd_settle_link_bind_overview (DrdSettleLink *self, DrdOverview *overview)
{
  g_return_if_fail (DRD_IS_SETTLE_LINK (self));

  if (self->overview != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->overview), (gpointer *) &self->overview);
  self->overview = overview;
  if (overview == NULL)
    return;
  g_object_add_weak_pointer (G_OBJECT (overview), (gpointer *) &self->overview);
  g_signal_handlers_disconnect_by_func (self->client, on_notify, self);
  g_signal_handlers_disconnect_by_func (self->settler, on_notify, self);
  g_signal_connect (self->client, "notify::breaker-state", G_CALLBACK (on_notify), self);
  g_signal_connect (self->client, "notify::last-error", G_CALLBACK (on_notify), self);
  g_signal_connect (self->settler, "notify::n-total", G_CALLBACK (on_notify), self);
  g_signal_connect (self->settler, "notify::n-done", G_CALLBACK (on_notify), self);
  update_overview (self);
}

static void
drd_settle_link_dispose (GObject *object)
{
  DrdSettleLink *self = DRD_SETTLE_LINK (object);

  if (self->overview != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->overview), (gpointer *) &self->overview);
  self->overview = NULL;
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_func (self->client, on_notify, self);
  if (self->settler != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->settler, on_notify, self);
      drd_settle_link_stop (self);
    }
  if (self->dispatcher != NULL)
    g_signal_handlers_disconnect_by_data (self->dispatcher, self->settler);
  if (self->config != NULL)
    g_signal_handlers_disconnect_by_data (self->config, self);
  g_clear_object (&self->config);
  g_clear_object (&self->dispatcher);
  g_clear_object (&self->settler);
  g_clear_object (&self->client);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (drd_settle_link_parent_class)->dispose (object);
}

static void
drd_settle_link_finalize (GObject *object)
{
  DrdSettleLink *self = DRD_SETTLE_LINK (object);

  g_free (self->url);
  g_free (self->warning);
  G_OBJECT_CLASS (drd_settle_link_parent_class)->finalize (object);
}

static void
drd_settle_link_class_init (DrdSettleLinkClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = drd_settle_link_dispose;
  G_OBJECT_CLASS (klass)->finalize = drd_settle_link_finalize;
}

static void
drd_settle_link_init (DrdSettleLink *self)
{
}
