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
  char           *url;
  char           *warning;
  gboolean        started;
};

G_DEFINE_FINAL_TYPE (DrdSettleLink, drd_settle_link, G_TYPE_OBJECT)

DrdSettleLink *
drd_settle_link_new (DrdStore *store, const char *db_path, const char *kepco_url, GError **error)
{
  g_autoptr(DrdSettleLink) self = NULL;
  g_autoptr(DrdConfig) config = drd_config_new ();
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
  g_object_set (self->client,
                "max-in-flight", drd_config_get_kepco_max_concurrent (config),
                "timeout-ms", drd_config_get_kepco_timeout (config) * 1000,
                "max-attempts", drd_config_get_kepco_max_attempts (config),
                NULL);
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

static void
drd_settle_link_dispose (GObject *object)
{
  DrdSettleLink *self = DRD_SETTLE_LINK (object);

  if (self->settler != NULL)
    drd_settle_link_stop (self);
  if (self->dispatcher != NULL)
    g_signal_handlers_disconnect_by_data (self->dispatcher, self->settler);
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
