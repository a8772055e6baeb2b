/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Test hooks of DrdSettler (not for production code). */
#pragma once

#include "service/drd-settler.h"
#include "store/drd-store-settle.h"

G_BEGIN_DECLS

/* Called on the settler's main context with every batch right before it
 * is submitted to the store (after the results in it were computed), so a
 * test can change the database between compute and commit. */
typedef void (*DrdSettlerCommitHook) (DrdSettler     *settler,
                                      DrdSettleBatch *batch,
                                      gpointer        user_data);

void drd_settler_set_commit_hook (DrdSettler           *self,
                                  DrdSettlerCommitHook  hook,
                                  gpointer              user_data);

G_END_DECLS
