/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdSettleLink: what the window runs so that ending an event settles it:
 * the KEPCO client (URL and limits from DrdConfig, the service key from
 * the key file next to the database), a DrdSettler and a DrdDispatcher
 * (events whose end time passes are ended, then settled). */
#pragma once

#include <gtk/gtk.h>

#include "core/drd-params.h"
#include "gui/drd-overview.h"
#include "kepco/drd-kepco-client.h"
#include "service/drd-config.h"
#include "service/drd-settler.h"
#include "store/drd-store.h"

G_BEGIN_DECLS

#define DRD_TYPE_SETTLE_LINK (drd_settle_link_get_type ())
G_DECLARE_FINAL_TYPE (DrdSettleLink, drd_settle_link, DRD, SETTLE_LINK, GObject)

/* @config: the application's settings (NULL: a DrdConfig of its own);
 * KEPCO concurrency, timeout and attempts follow its "kepco-changed"
 * live (a new base URL takes a restart). @kepco_url NULL: from the
 * settings. @db_path: where the key file is. Fails only for a bad URL; a
 * key file problem is kept as a warning (drd_settle_link_get_warning) and
 * an empty key used. */
DrdSettleLink   *drd_settle_link_new (DrdStore    *store,
                                      DrdConfig   *config,
                                      const char  *db_path,
                                      const char  *kepco_url,
                                      GError     **error);
void             drd_settle_link_start (DrdSettleLink *self);
void             drd_settle_link_stop (DrdSettleLink *self);
DrdSettler      *drd_settle_link_get_settler (DrdSettleLink *self);
DrdKepcoClient  *drd_settle_link_get_client (DrdSettleLink *self);
const DrdParams *drd_settle_link_get_params (DrdSettleLink *self);
const char      *drd_settle_link_get_url (DrdSettleLink *self);
const char      *drd_settle_link_get_warning (DrdSettleLink *self);
/* Keeps @overview's KEPCO indicator live: breaker state, last error,
 * settlement jobs pending (n-total − n-done). */
void             drd_settle_link_bind_overview (DrdSettleLink *self, DrdOverview *overview);

G_END_DECLS
