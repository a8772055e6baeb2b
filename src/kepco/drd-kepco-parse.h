/* SPDX-License-Identifier: GPL-3.0-or-later */
/* KEPCO getDayLpData.do bodies → one meter day. Pure: no I/O, no globals. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define DRD_KEPCO_SLOTS_PER_DAY 96
/* A slot whose value KEPCO left empty ("" or null): missing, never zero. */
#define DRD_KEPCO_SLOT_MISSING (-1)
/* Anything above this per 15-minute slot (1 GWh = 4 GW for 15 min) is not a
 * meter reading but garbage; it also keeps every value inside gint32. */
#define DRD_KEPCO_MAX_SLOT_WH 1000000000
/* A real day is ~4 KiB; refuse to even look at anything absurdly large. */
#define DRD_KEPCO_MAX_BODY_BYTES (1024 * 1024)

#define DRD_KEPCO_ERROR (drd_kepco_error_quark ())
GQuark drd_kepco_error_quark (void);

typedef enum {
  DRD_KEPCO_ERROR_HTTP_CLIENT,       /* 4xx (and other non-2xx, non-5xx): not retried */
  DRD_KEPCO_ERROR_HTTP_SERVER,       /* 5xx after all attempts */
  DRD_KEPCO_ERROR_TIMEOUT,           /* no complete answer within the per-request timeout */
  DRD_KEPCO_ERROR_MALFORMED,         /* 200 with a body that is not a valid day */
  DRD_KEPCO_ERROR_BREAKER_OPEN,      /* failing fast: the link is considered down */
  DRD_KEPCO_ERROR_NETWORK,           /* could not connect / connection lost */
  DRD_KEPCO_ERROR_INVALID_ARGUMENT,  /* bad customer number or date from the caller */
  DRD_KEPCO_ERROR_TLS,               /* the server's certificate is not trusted: not retried */
} DrdKepcoError;

typedef enum {
  DRD_KEPCO_DAY_OK = 0,               /* a day entry came back (slots may still be missing) */
  DRD_KEPCO_DAY_NOT_YET_AVAILABLE = 1,/* empty list: KEPCO has no data for that day yet */
} DrdKepcoDayStatus;

typedef struct {
  DrdKepcoDayStatus status;
  char   *cust_no;
  char    date[9];                         /* "YYYYMMDD", local (Asia/Seoul) day */
  gint32  wh[DRD_KEPCO_SLOTS_PER_DAY];     /* slot 0 = 00:00–00:15; -1 = missing */
  guint   n_present;                       /* slots that are not missing */
} DrdKepcoDay;

#define DRD_TYPE_KEPCO_DAY (drd_kepco_day_get_type ())
GType        drd_kepco_day_get_type (void);
DrdKepcoDay *drd_kepco_day_new (const char *cust_no, const char *date);
DrdKepcoDay *drd_kepco_day_copy (const DrdKepcoDay *day);
void         drd_kepco_day_free (DrdKepcoDay *day);
gint64       drd_kepco_day_total_wh (const DrdKepcoDay *day);  /* sum of present slots */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdKepcoDay, drd_kepco_day_free)

/* Parses one response body of getDayLpData.do for the request
 * (expect_cust_no, expect_date). Returns a new day (status OK or
 * NOT_YET_AVAILABLE), or NULL with DRD_KEPCO_ERROR_MALFORMED naming exactly
 * what is wrong. Never crashes, whatever the bytes (body need not be
 * NUL-terminated). Values may be JSON strings or numbers; "" and null are
 * missing. Unknown members other than pwr_qty* are ignored; any pwr_qty*
 * member that is not one of the 96 slot names is an error, as is a slot name
 * that is absent. */
DrdKepcoDay *drd_kepco_parse_day (const char  *body,
                                  gsize        len,
                                  const char  *expect_cust_no,
                                  const char  *expect_date,
                                  GError     **error);

/* kWh decimal text ("1.234", "0.0005", "12", "1.5e-3") → Wh, rounded half up
 * exactly, no floating point. FALSE for anything else, negatives (other than
 * zero), or values above DRD_KEPCO_MAX_SLOT_WH. */
gboolean drd_kepco_kwh_text_to_wh (const char *text, gint32 *out_wh);
/* A JSON double → Wh: the shortest decimal text that reads back as the same
 * double (what the sender wrote), then the exact rule above. */
gboolean drd_kepco_kwh_double_to_wh (double kwh, gint32 *out_wh);

/* "YYYYMMDD" or "YYYY-MM-DD" naming a real Gregorian date → "YYYYMMDD" in
 * out (9 bytes). */
gboolean drd_kepco_normalize_date (const char *date, char out[9]);
/* 1–20 ASCII digits. */
gboolean drd_kepco_cust_no_is_valid (const char *cust_no);

/* Slot field name for slot 0..95: "pwr_qty0015" … "pwr_qty2400". */
const char *drd_kepco_slot_field (guint slot);

G_END_DECLS
