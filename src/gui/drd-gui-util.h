/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Small formatting helpers shared by the views: every instant is shown in
 * Korean time (UTC+9, no DST), never the machine's zone. */
#pragma once

#include <gtk/gtk.h>

#include "core/drd-types.h"

G_BEGIN_DECLS

#define DRD_SEOUL_OFFSET_S (9 * 3600)

GTimeZone  *drd_gui_seoul (void);
char       *drd_gui_format_time (gint64 unix_s);            /* "2026-07-01 14:00" */
char       *drd_gui_format_clock (gint64 unix_s);           /* "14:00" */
char       *drd_gui_format_window (gint64 start_s, gint64 end_s);
/* Every number a table or summary shows goes through this one function:
 * @value in units of 10^-@decimals, thousands separated by "," and the
 * decimals after "." (the same in English and Korean, and locale
 * independent, as the CSV exports are). (1234567, 3) → "1,234.567". */
char       *drd_gui_format_number (gint64 value, guint decimals);
char       *drd_gui_format_int (gint64 value);              /* "12,345" */
char       *drd_gui_format_kwh (gint64 wh);                 /* "1,234.567" (no unit) */
char       *drd_gui_format_kw (gint64 watts);               /* "1,234.5 kW" */
char       *drd_gui_format_duration (gint64 seconds);       /* "1 h 05 min" */
const char *drd_gui_kind_label (DrdEventKind kind);
const char *drd_gui_status_label (DrdEventStatus status);
const char *drd_gui_answer_label (int answer);              /* -1 = never answered */
const char *drd_gui_channel_label (DrdChannel channel);
const char *drd_gui_outcome_label (DrdOutcome outcome);
const char *drd_gui_cbl_label (DrdCblMethod method);
void        drd_gui_kind_color (DrdEventKind kind, GdkRGBA *out);
gint64      drd_gui_local_midnight (gint64 unix_s);         /* start of the Seoul day */
/* "operator:<login>@<host>": the window's identity in the audit trail. */
char       *drd_gui_operator_actor (void);

G_END_DECLS
