/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The public-holiday calendar: a set of local dates with optional names.
 *
 * File format (design.md "Holiday calendar file"), parsed from a string
 * (core does no I/O; the caller reads the file):
 *   one date per line, `YYYY-MM-DD[,name]`; `#` starts a comment (to the end
 *   of the line); blank lines are ignored; LF or CRLF line ends; a UTF-8 BOM
 *   at the start is ignored; whitespace around the date and the name is
 *   trimmed.  The same date twice is allowed: the names are joined with
 *   " / " (e.g. 어린이날 / 부처님오신날).
 * Errors (DRD_CALENDAR_ERROR_PARSE) name the 1-based line number, e.g.
 *   "line 7: “2026-02-30” is not a valid date (expected YYYY-MM-DD)".
 *
 * Signal "changed" (no arguments) is emitted after add, remove or a
 * successful load_data that changed anything, so views can refresh.
 * Read-only use from several threads is safe; modifications are not. */
#pragma once

#include <glib-object.h>

#include "core/drd-time.h"

G_BEGIN_DECLS

#define DRD_CALENDAR_ERROR (drd_calendar_error_quark ())
GQuark drd_calendar_error_quark (void);

typedef enum {
  DRD_CALENDAR_ERROR_PARSE,
} DrdCalendarError;

#define DRD_TYPE_CALENDAR (drd_calendar_get_type ())
G_DECLARE_FINAL_TYPE (DrdCalendar, drd_calendar, DRD, CALENDAR, GObject)

/* An empty calendar (no holidays). */
DrdCalendar *drd_calendar_new (void);
/* A calendar holding the dates of @data (file format above); NULL + error
 * if any line is bad.  @len may be -1 for a NUL-terminated string. */
DrdCalendar *drd_calendar_new_from_data (const char *data, gssize len, GError **error);

/* Adds the dates of @data to @calendar.  All or nothing: on error the
 * calendar is unchanged. */
gboolean     drd_calendar_load_data (DrdCalendar *calendar,
                                     const char  *data,
                                     gssize       len,
                                     GError     **error);
/* Serialises to the file format (sorted, one `YYYY-MM-DD[,name]` per line,
 * LF line ends), so an edited calendar can be saved and loaded back. */
char        *drd_calendar_to_data (DrdCalendar *calendar);

/* Adds or renames a holiday (@name may be NULL).  Returns TRUE if the date
 * was not a holiday before. */
gboolean     drd_calendar_add (DrdCalendar *calendar, DrdDate date, const char *name);
/* Returns TRUE if the date was a holiday. */
gboolean     drd_calendar_remove (DrdCalendar *calendar, DrdDate date);
gboolean     drd_calendar_is_holiday (DrdCalendar *calendar, DrdDate date);
/* The holiday's name, "" if it has none, NULL if @date is no holiday. */
const char  *drd_calendar_get_name (DrdCalendar *calendar, DrdDate date);
guint        drd_calendar_get_n_holidays (DrdCalendar *calendar);
/* Sorted holidays in [@from, @to] (inclusive); @n_out receives the count.
 * g_free() the result (NULL when there are none). */
DrdDate     *drd_calendar_list (DrdCalendar *calendar,
                                DrdDate      from,
                                DrdDate      to,
                                guint       *n_out);

/* Monday–Friday and not a holiday.  @calendar may be NULL (no holidays). */
gboolean     drd_calendar_is_business_day (DrdCalendar *calendar, DrdDate date);
/* Same as drd_date_is_weekday(), here for symmetry. */
gboolean     drd_calendar_is_weekday (DrdDate date);

G_END_DECLS
