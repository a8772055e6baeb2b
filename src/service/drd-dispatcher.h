/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DrdDispatcher: ends every active event whose end time has passed, so
 * that settlement follows without an operator (window or `drdeskctl
 * serve`). A timer checks every `interval-ms` and also fires exactly at
 * the next known end time; the transition goes through the store's
 * drd_store_end_event (audit actor "system"). Signal "event-ended"
 * (gint64 event_id) after the store committed it: connect the settler's
 * drd_settler_scan() to it. Runs on the creator's main context; never
 * blocks it (store calls are async or in a worker).
 *
 * Events recorded after the fact (created when their window was already
 * over: backfill) are left alone: the operator records the answers on the
 * customers' behalf and then ends them (which starts settlement). */
#pragma once

#include <gio/gio.h>

#include "store/drd-store.h"

G_BEGIN_DECLS

#define DRD_TYPE_DISPATCHER (drd_dispatcher_get_type ())
G_DECLARE_FINAL_TYPE (DrdDispatcher, drd_dispatcher, DRD, DISPATCHER, GObject)

DrdDispatcher *drd_dispatcher_new (DrdStore *store);
void           drd_dispatcher_start (DrdDispatcher *self);
void           drd_dispatcher_stop (DrdDispatcher *self);
/* Check now (e.g. after an event was started or edited). */
void           drd_dispatcher_check (DrdDispatcher *self);

G_END_DECLS
