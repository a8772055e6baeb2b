/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Recording an answer on a customer's behalf (a phone call) from the
 * window, with the same rule as `drdeskctl answer`: channel operator,
 * allowed until that customer is settled, audited by the window's
 * operator (user@host). A confirmation names the customer and the event;
 * the answer goes through the store's async API; the result is a toast,
 * a refusal a message dialog. */
#pragma once

#include <gtk/gtk.h>

#include "store/drd-store.h"

G_BEGIN_DECLS

/* Whether the window offers recording for an event in @status. */
gboolean   drd_answer_record_allowed (DrdEventStatus status);

/* Shows the confirmation (transient for @from's window) and returns it. */
GtkWidget *drd_answer_record_confirm (GtkWidget      *from,
                                      DrdStore       *store,
                                      const DrdEvent *event,
                                      gint64          customer_id,
                                      const char     *customer_name,
                                      DrdAnswer       answer);

G_END_DECLS
