/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading the audit trail (audit_log): who did what, when, old → new.
 * Writers append their own rows in the transaction of the change they
 * record (event start/end/cancel, answers, link rotation, imports, status
 * changes); the points ledger's trigger (schema-v3) adds every credit.
 * Newest first, in pages (keyset on the row id), so a list of a million
 * rows never sits in memory at once. No GTK here. */
#pragma once

#include "store/drd-store.h"

G_BEGIN_DECLS

typedef struct {
  gint64  id;
  gint64  at;              /* Unix s */
  char   *actor;           /* 'operator:<user>[@host]', 'portal', 'api', 'system' */
  char   *action;          /* 'event.start', 'event.end', 'event.cancel', 'event.status',
                            * 'answer', 'token.rotate', 'customer.import', 'points.credit' */
  gint64  event_id;        /* 0 = none */
  gint64  customer_id;     /* 0 = none */
  char   *old_value;       /* NULL when the action has no before (e.g. event.start) */
  char   *new_value;
  char   *detail;          /* the raw JSON detail, or NULL */
  char   *event_name;      /* NULL when none or deleted */
  char   *customer_name;
} DrdAuditEntry;

void drd_audit_entry_free (DrdAuditEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdAuditEntry, drd_audit_entry_free)

typedef struct {
  gint64 event_id;         /* 0 = every event (and rows without one) */
  gint64 customer_id;      /* 0 = every customer (and rows without one) */
  gint64 before_id;        /* 0 = from the newest; else only rows with id < before_id */
  guint  limit;            /* rows per page; 0 = DRD_AUDIT_PAGE */
} DrdAuditQuery;

#define DRD_AUDIT_PAGE 1000

/* One page of entries (DrdAuditEntry*), newest first. The next page
 * starts before the last entry's id; a page shorter than the limit is the
 * last. Unknown event or customer ids simply match nothing. */
GPtrArray *drd_store_list_audit (DrdStore             *store,
                                 const DrdAuditQuery  *query,
                                 GError              **error);
void       drd_store_list_audit_async (DrdStore            *store,
                                       const DrdAuditQuery *query,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
GPtrArray *drd_store_list_audit_finish (DrdStore      *store,
                                        GAsyncResult  *result,
                                        GError       **error);

G_END_DECLS
