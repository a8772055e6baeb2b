/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Domain types shared by every layer. Plain data, no I/O. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* All energies are integer Wh, all powers integer W, all instants Unix
 * seconds (UTC); local Korean time rules live in drd-time.h. */

typedef enum {
  DRD_CBL_MID_6_10 = 0,   /* default */
  DRD_CBL_MAX_4_5 = 1,
} DrdCblMethod;

typedef enum {
  DRD_EVENT_KIND_RELIABILITY = 0,
  DRD_EVENT_KIND_ECONOMIC = 1,
  DRD_EVENT_KIND_CITIZEN = 2,
} DrdEventKind;
#define DRD_N_EVENT_KINDS 3

/* scheduled → active → ended → settling → settled, or cancelled */
typedef enum {
  DRD_EVENT_SCHEDULED = 0,
  DRD_EVENT_ACTIVE = 1,
  DRD_EVENT_ENDED = 2,
  DRD_EVENT_SETTLING = 3,
  DRD_EVENT_SETTLED = 4,
  DRD_EVENT_CANCELLED = 5,
} DrdEventStatus;

typedef enum {
  DRD_ANSWER_NONE = 0,
  DRD_ANSWER_ACCEPT = 1,
  DRD_ANSWER_DENY = 2,
} DrdAnswer;

typedef enum {
  DRD_CHANNEL_NONE = 0,      /* no answer yet */
  DRD_CHANNEL_PORTAL = 1,    /* the customer's web form */
  DRD_CHANNEL_API = 2,       /* the customer's app via /api/v1 */
  DRD_CHANNEL_OPERATOR = 3,  /* recorded by an operator on the customer's behalf */
} DrdChannel;

typedef enum {
  DRD_OUTCOME_PENDING = 0,           /* not settled yet */
  DRD_OUTCOME_PERFORMED = 1,
  DRD_OUTCOME_NOT_PERFORMED = 2,
  DRD_OUTCOME_NOT_PARTICIPATING = 3,
  DRD_OUTCOME_NEEDS_REVIEW = 4,
} DrdOutcome;

/* Contract spellings (CLI, CSV, JSON): "mid-6-10", "reliability",
 * "scheduled", "accept", "operator", "not_performed", ... The _from_string
 * functions return FALSE for anything else. */
const char *drd_cbl_method_to_string (DrdCblMethod method);
gboolean    drd_cbl_method_from_string (const char *s, DrdCblMethod *out);
const char *drd_event_kind_to_string (DrdEventKind kind);
gboolean    drd_event_kind_from_string (const char *s, DrdEventKind *out);
const char *drd_event_status_to_string (DrdEventStatus status);
gboolean    drd_event_status_from_string (const char *s, DrdEventStatus *out);
const char *drd_answer_to_string (DrdAnswer answer);
gboolean    drd_answer_from_string (const char *s, DrdAnswer *out);
const char *drd_channel_to_string (DrdChannel channel);
gboolean    drd_channel_from_string (const char *s, DrdChannel *out);
const char *drd_outcome_to_string (DrdOutcome outcome);
gboolean    drd_outcome_from_string (const char *s, DrdOutcome *out);

typedef struct {
  gint64        id;             /* customer_id: positive integer, chosen by the aggregator */
  char         *name;
  char         *kepco_no;       /* KEPCO customer number (digits) */
  char         *resource;       /* resource (group) name */
  gint64        registered_w;   /* registered reduction capacity, W */
  DrdCblMethod  cbl_method;
  gboolean      is_factory;
  char         *phone;          /* NULL when unknown */
  char         *email;
  char         *webhook_url;
} DrdCustomer;

DrdCustomer *drd_customer_new (void);
DrdCustomer *drd_customer_copy (const DrdCustomer *c);
void         drd_customer_free (DrdCustomer *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdCustomer, drd_customer_free)

typedef struct {
  gint64          id;
  char           *name;
  DrdEventKind    kind;
  gint64          start_at;          /* Unix s, on a 15-minute boundary */
  gint64          end_at;            /* Unix s, exclusive */
  gint64          answer_deadline;   /* Unix s */
  gint64          target_w;
  DrdEventStatus  status;
  gint64          created_at;
  char          **resources;         /* NULL-terminated resource names; empty = all */
} DrdEvent;

/* The answer deadline of an event whose operator named none: answers are
 * wanted before the event starts; an event that has already started
 * (started at once, or recorded after the fact) takes answers until its end. */
gint64    drd_event_default_answer_deadline (gint64 start_at,
                                             gint64 end_at,
                                             gint64 now);

DrdEvent *drd_event_new (void);
DrdEvent *drd_event_copy (const DrdEvent *e);
void      drd_event_free (DrdEvent *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdEvent, drd_event_free)

/* Decimal text ↔ integer thousandths, exactly (kWh ↔ Wh, kW ↔ W).
 * Parse accepts an optional sign, digits with an optional '.' and
 * fraction ("1.234", "-0.5", "12", "0.0005"), surrounding spaces ignored;
 * digits beyond the third decimal are rounded half away from zero
 * ("0.0005" → 1).  No exponents, no thousands separators, no empty text. */
#define DRD_TYPES_ERROR (drd_types_error_quark ())
GQuark   drd_types_error_quark (void);
typedef enum {
  DRD_TYPES_ERROR_INVALID_NUMBER,
} DrdTypesError;

gboolean drd_milli_parse (const char *text, gint64 *out, GError **error);
/* "1.234", "-0.005", "0.000": always 3 decimals; returns @buf. */
char    *drd_milli_format_buf (gint64 value, char buf[32]);

typedef struct {
  gint64      event_id;
  gint64      customer_id;
  DrdAnswer   answer;
  gint64      answered_at;   /* Unix s; 0 when no answer */
  DrdChannel  channel;
} DrdResponse;

G_END_DECLS
