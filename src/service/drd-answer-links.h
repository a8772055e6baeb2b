/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Customers' personal answer links, shared by `drdeskctl links` and the
 * window (link dialog, Export Links…): the links CSV of design.md
 * (customer_id,name,phone,email,link), one customer's link, and rotating
 * it. The secret is "<database>.secret" (created on first use); links are
 * "<base>/r/<token>". The plain functions block (CLI, worker threads);
 * the _async ones run them in a worker thread for the window. */
#pragma once

#include <gio/gio.h>

#include "store/drd-store.h"

G_BEGIN_DECLS

/* Appends header and one row per targeted customer of @event_id to @out
 * (customers imported since the last run get their token hash first, so
 * every link works). @base without a trailing slash. */
gboolean drd_answer_links_write_csv (DrdStore    *store,
                                     GBytes      *secret,
                                     gint64       event_id,
                                     const char  *base,
                                     GString     *out,
                                     guint       *out_n_rows,
                                     GError     **error);

/* The current link of @customer_id. */
char    *drd_answer_link_get (DrdStore    *store,
                              GBytes      *secret,
                              gint64       customer_id,
                              const char  *base,
                              GError     **error);

/* A new link for @customer_id (the old one stops working); audited as
 * 'token.rotate' by @actor. */
char    *drd_answer_link_rotate (DrdStore    *store,
                                 GBytes      *secret,
                                 gint64       customer_id,
                                 const char  *base,
                                 const char  *actor,
                                 GError     **error);

/* ---- for the window: in a worker thread, secret loaded there ---- */

/* @rotate FALSE: the current link; TRUE: rotate (by @actor) and return
 * the new one. */
void     drd_answer_link_async  (DrdStore            *store,
                                 gint64               customer_id,
                                 const char          *base,
                                 gboolean             rotate,
                                 const char          *actor,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data);
char    *drd_answer_link_finish (DrdStore      *store,
                                 GAsyncResult  *result,
                                 GError       **error);

/* Writes the links CSV of @event_id to @path (mode 0600, replaced
 * atomically). */
void     drd_answer_links_export_async  (DrdStore            *store,
                                         gint64               event_id,
                                         const char          *base,
                                         const char          *path,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean drd_answer_links_export_finish (DrdStore      *store,
                                         GAsyncResult  *result,
                                         guint         *out_n_rows,
                                         GError       **error);

G_END_DECLS
