/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The at-a-glance strip: the running event, answers so far, accepted
 * capacity against the target, and the state of the customer portal and
 * of the KEPCO link (filled in by those parts through the setters). */
#pragma once

#include <gtk/gtk.h>

#include "core/drd-types.h"
#include "store/drd-store.h"

G_BEGIN_DECLS

typedef enum {
  DRD_SERVICE_NOT_RUNNING = 0,
  DRD_SERVICE_STARTING,
  DRD_SERVICE_RUNNING,
  DRD_SERVICE_DEGRADED,     /* running, but failing part of the time (e.g. circuit half-open) */
  DRD_SERVICE_FAILED,       /* down (e.g. circuit open, listen failed) */
} DrdServiceState;

#define DRD_TYPE_OVERVIEW (drd_overview_get_type ())
G_DECLARE_FINAL_TYPE (DrdOverview, drd_overview, DRD, OVERVIEW, GtkWidget)

GtkWidget  *drd_overview_new (void);
/* @event NULL: nothing running. @now for "time left". */
void        drd_overview_set_event (DrdOverview *self, const DrdEvent *event, gint64 now);
gint64      drd_overview_get_event_id (DrdOverview *self);
void        drd_overview_set_counts (DrdOverview *self, const DrdResponseCounts *counts);
void        drd_overview_get_counts (DrdOverview *self, DrdResponseCounts *out);

/* For the portal: @address e.g. "http://127.0.0.1:8080/" (may be NULL). */
void        drd_overview_set_portal_status (DrdOverview *self, DrdServiceState state,
                                            const char *address);
/* For settlement: KEPCO link state and settlement jobs waiting. */
void        drd_overview_set_kepco_status (DrdOverview *self, DrdServiceState state,
                                           guint pending_jobs, const char *detail);
const char *drd_overview_get_portal_text (DrdOverview *self);
const char *drd_overview_get_kepco_text (DrdOverview *self);

G_END_DECLS
