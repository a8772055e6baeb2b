/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Asia/Seoul local time (UTC+9, no daylight saving) without the machine's
 * TZ: every conversion here is plain arithmetic on Unix seconds.
 *
 * Instants are gint64 Unix seconds (UTC).  A local calendar date is a
 * DrdDate: the number of days from 1970-01-01 in the proleptic Gregorian
 * calendar (so dates compare and subtract as integers, 1970-01-01 = 0).
 * Supported years: 0001–9999. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DRD_TIME_ERROR (drd_time_error_quark ())
GQuark drd_time_error_quark (void);

typedef enum {
  DRD_TIME_ERROR_INVALID,   /* malformed or out-of-range text; message says what */
} DrdTimeError;

#define DRD_SEOUL_UTC_OFFSET_S  (9 * 3600)
#define DRD_SECONDS_PER_DAY     86400
#define DRD_SLOT_SECONDS        900     /* one 15-minute metering interval */
#define DRD_SLOTS_PER_DAY       96

typedef gint32 DrdDate;                 /* local (Seoul) date, days since 1970-01-01 */
#define DRD_DATE_INVALID G_MININT32

/* ---- dates ---- */

/* TRUE if y-m-d is a real Gregorian date with 1 ≤ y ≤ 9999. */
gboolean drd_date_valid_ymd (int year, int month, int day);
/* y-m-d must be valid (checked with g_return_val_if_fail). */
DrdDate  drd_date_from_ymd (int year, int month, int day);
void     drd_date_to_ymd (DrdDate date, int *year, int *month, int *day);
DrdDate  drd_date_add_days (DrdDate date, int days);
/* ISO weekday: 1 = Monday … 7 = Sunday. */
int      drd_date_weekday (DrdDate date);
/* Monday–Friday (holidays are DrdCalendar's business). */
gboolean drd_date_is_weekday (DrdDate date);

/* ---- instants ↔ local dates and 15-minute slots ---- */

/* Local Seoul date of an instant. */
DrdDate  drd_date_of_instant (gint64 t);
/* Instant of local 00:00 on @date. */
gint64   drd_date_start (DrdDate date);
/* Slot 0..95 of @t within its local day: slot k covers
 * [00:00 + 15k min, 00:00 + 15(k+1) min). */
int      drd_slot_of_instant (gint64 t);
/* Start instant of slot @slot (0..95) of local @date. */
gint64   drd_slot_start (DrdDate date, int slot);
/* Seconds after local midnight, 0..86399. */
int      drd_seconds_of_day (gint64 t);
/* TRUE if @t is on a 15-minute boundary (true in every zone with a
 * whole-quarter-hour offset, Seoul included). */
gboolean drd_instant_on_slot_boundary (gint64 t);

/* KEPCO's `pwr_qtyHHMM` field names are interval-ENDING: slot 0 is
 * `pwr_qty0015`, slot 95 is `pwr_qty2400`.  Writes the 4-digit suffix
 * ("0015" … "2400") and a NUL into @buf; @slot must be 0..95. */
void     drd_slot_to_field_suffix (int slot, char buf[5]);
/* Inverse: "0015" → 0 … "2400" → 95; -1 for anything else ("0000",
 * "0010", "2415", "15", …). Accepts the bare suffix or the full field
 * name "pwr_qty0015". */
int      drd_slot_from_field_suffix (const char *suffix);

/* ---- text ---- */

/* Parses ISO 8601 / RFC 3339 into an instant:
 *   2026-07-01T13:00:00+09:00   2026-07-01T04:00:00Z   2026-07-01T13:00:00+0900
 *   2026-07-01T13:00+09:00 (seconds optional)   +09 (hour-only offset)
 *   2026-07-01T13:00:00         no offset = Asia/Seoul local time
 *   2026-07-01                  date only = local 00:00 of that day
 * 'T' may also be 't' or a single space; 'Z' may be 'z'.
 * Fractional seconds: accepted only when they are all zeros ("…:00.000Z",
 * what JavaScript's toISOString() writes); a non-zero fraction is rejected
 * because instants are whole seconds and silently truncating would move
 * an event.  Rejected with DRD_TIME_ERROR_INVALID and a message naming the
 * problem: out-of-range fields (month 13, Feb 30, hour 24/25, minute 60,
 * second 60), offsets beyond ±23:59, trailing text, empty input. */
gboolean drd_time_parse_iso8601 (const char *text, gint64 *out, GError **error);

/* "2026-07-01T13:00:00+09:00" (always Seoul offset).  g_free() the result. */
char    *drd_time_format_iso8601 (gint64 t);
/* Same into a caller buffer (no allocation, for big exports); returns @buf. */
char    *drd_time_format_iso8601_buf (gint64 t, char buf[26]);

/* "YYYY-MM-DD" (exactly, zero-padded). */
gboolean drd_date_parse (const char *text, DrdDate *out, GError **error);
/* "YYYYMMDD" (KEPCO's mr_ymd / date parameter). */
gboolean drd_date_parse_compact (const char *text, DrdDate *out, GError **error);
/* "YYYY-MM-DD"; g_free() the result. */
char    *drd_date_format (DrdDate date);
/* "YYYYMMDD"; g_free() the result. */
char    *drd_date_format_compact (DrdDate date);
/* Buffer variants, return @buf. */
char    *drd_date_format_buf (DrdDate date, char buf[11]);
char    *drd_date_format_compact_buf (DrdDate date, char buf[9]);

G_END_DECLS
