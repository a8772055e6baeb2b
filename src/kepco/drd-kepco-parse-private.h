/* SPDX-License-Identifier: GPL-3.0-or-later */
/* For the parser's own tests: run one path only. */
#pragma once

#include "kepco/drd-kepco-parse.h"

G_BEGIN_DECLS

typedef enum {
  DRD_KEPCO_PARSE_NO_FAST_PATH = 1 << 0,    /* json-glib only */
  DRD_KEPCO_PARSE_FAST_PATH_ONLY = 1 << 1,  /* NULL (no error) when the fast path declines */
} DrdKepcoParseFlags;

DrdKepcoDay *drd_kepco_parse_day_with_flags (const char  *body,
                                             gsize        len,
                                             const char  *expect_cust_no,
                                             const char  *expect_date,
                                             guint        flags,
                                             GError     **error);

G_END_DECLS
