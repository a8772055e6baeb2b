/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Watches the database for changes by any process: polls
 * drd_store_get_data_version() in a worker thread every interval and
 * emits "changed" on the main thread when it moved. This process's own
 * writes are reported at once through the store's "changed" signal. */
#pragma once

#include <glib-object.h>

#include "store/drd-store.h"

G_BEGIN_DECLS

#define DRD_TYPE_LIVE_MONITOR (drd_live_monitor_get_type ())
G_DECLARE_FINAL_TYPE (DrdLiveMonitor, drd_live_monitor, DRD, LIVE_MONITOR, GObject)

DrdLiveMonitor *drd_live_monitor_new (DrdStore *store, guint interval_ms);
void            drd_live_monitor_stop (DrdLiveMonitor *self);

G_END_DECLS
