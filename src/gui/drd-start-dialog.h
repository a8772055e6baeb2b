/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Start Event dialog: name, kind, window in 15-minute steps, target,
 * answer deadline and targeted resources. Hard errors (what the store
 * would refuse) disable Start; KPX dispatch facts are only warnings. */
#pragma once

#include <gtk/gtk.h>

#include "store/drd-store.h"

G_BEGIN_DECLS

#define DRD_TYPE_START_DIALOG (drd_start_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DrdStartDialog, drd_start_dialog, DRD, START_DIALOG, GtkWindow)

DrdStartDialog *drd_start_dialog_new (GtkWindow *parent, DrdStore *store);

/* The rules, without widgets: FALSE with @error (a sentence for the
 * operator) when the event cannot be started; @out_warnings (optional)
 * gets the KPX dispatch warnings and other advice (NULL-terminated). */
gboolean drd_start_dialog_check (const DrdEvent *draft, gint64 now, gint64 used_this_year_s,
                                 char ***out_warnings, GError **error);

/* For tests and the window. */
void        drd_start_dialog_set_now (DrdStartDialog *self, gint64 now);
void        drd_start_dialog_set_window (DrdStartDialog *self, gint64 start, gint64 end,
                                         gint64 deadline);
void        drd_start_dialog_set_name (DrdStartDialog *self, const char *name);
void        drd_start_dialog_set_target_kw (DrdStartDialog *self, double kw);
DrdEvent   *drd_start_dialog_get_draft (DrdStartDialog *self, GError **error);
const char *drd_start_dialog_get_warnings_text (DrdStartDialog *self);
const char *drd_start_dialog_get_error_text (DrdStartDialog *self);
const char *drd_start_dialog_get_summary_text (DrdStartDialog *self);
gboolean    drd_start_dialog_get_can_start (DrdStartDialog *self);

G_END_DECLS
