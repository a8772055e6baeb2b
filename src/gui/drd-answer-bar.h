/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A horizontal stacked bar: accepted / denied / no response. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DRD_TYPE_ANSWER_BAR (drd_answer_bar_get_type ())
G_DECLARE_FINAL_TYPE (DrdAnswerBar, drd_answer_bar, DRD, ANSWER_BAR, GtkWidget)

GtkWidget *drd_answer_bar_new (void);
void       drd_answer_bar_set_counts (DrdAnswerBar *self, gint64 accepted, gint64 denied,
                                      gint64 none);

G_END_DECLS
