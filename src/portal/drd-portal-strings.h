/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The portal's own Korean/English string tables.
 *
 * Why not gettext: the page's language is chosen per request
 * (Accept-Language, ?lang=), and gettext's catalogue follows the process
 * locale; switching it per request from one main loop is fragile. Two
 * compiled-in tables are simple, complete by construction (a test checks
 * every entry has both languages) and need no installed .mo file. */
#pragma once

#include <glib.h>

#include "core/drd-types.h"
#include "portal/drd-portal-form.h"

G_BEGIN_DECLS

typedef enum {
  DRD_PS_HTML_LANG,
  DRD_PS_TITLE,
  DRD_PS_GREETING,          /* contains %s: the customer's name (inserted escaped by the caller) */
  DRD_PS_INTRO,
  DRD_PS_NO_EVENTS,
  DRD_PS_WINDOW,
  DRD_PS_DEADLINE,
  DRD_PS_ASKED,
  DRD_PS_YOUR_ANSWER,
  DRD_PS_ANSWERED_AT,
  DRD_PS_BUTTON_ACCEPT,
  DRD_PS_BUTTON_DENY,
  DRD_PS_CAN_CHANGE,
  DRD_PS_CLOSED_DEADLINE,
  DRD_PS_CLOSED_ENDED,
  DRD_PS_CLOSED_CANCELLED,
  DRD_PS_SAVED,
  DRD_PS_OTHER_LANG,
  DRD_PS_NOT_FOUND_TITLE,
  DRD_PS_NOT_FOUND_TEXT,
  DRD_PS_CLOSED_TITLE,
  DRD_PS_CLOSED_TEXT,
  DRD_PS_BAD_REQUEST_TITLE,
  DRD_PS_TOO_MANY_TITLE,
  DRD_PS_TOO_MANY_TEXT,
  DRD_PS_ERROR_TITLE,
  DRD_PS_ERROR_TEXT,
  DRD_PS_BACK,
  DRD_PS_STATUS,
  DRD_PS_LIVE_NOTE,
  DRD_PS_KIND_RELIABILITY,
  DRD_PS_KIND_ECONOMIC,
  DRD_PS_KIND_CITIZEN,
  DRD_PS_STATUS_SCHEDULED,
  DRD_PS_STATUS_ACTIVE,
  DRD_PS_STATUS_ENDED,
  DRD_PS_STATUS_SETTLING,
  DRD_PS_STATUS_SETTLED,
  DRD_PS_STATUS_CANCELLED,
  DRD_PS_ANSWER_NONE,
  DRD_PS_ANSWER_ACCEPT,
  DRD_PS_ANSWER_DENY,
  DRD_PS_N_STRINGS
} DrdPortalString;

const char *drd_portal_str (DrdPortalLang   lang,
                            DrdPortalString id);
const char *drd_portal_kind_str (DrdPortalLang lang,
                                 DrdEventKind  kind);
const char *drd_portal_status_str (DrdPortalLang  lang,
                                   DrdEventStatus status);
const char *drd_portal_answer_str (DrdPortalLang lang,
                                   DrdAnswer     answer);

/* Local (Asia/Seoul, UTC+9) renderings, independent of the machine's TZ:
 * "2026-07-01 (수) 14:00" / "Wed 2026-07-01 14:00", and a window
 * "… 14:00–16:00" (the end date is repeated when it differs). */
char *drd_portal_format_time (DrdPortalLang lang,
                              gint64        unix_utc);
char *drd_portal_format_window (DrdPortalLang lang,
                                gint64        start,
                                gint64        end);
/* The same window in two parts that must not break inside: TRUE for one
 * day ("Wed 2026-07-01", "14:00–16:00"), FALSE for one over midnight or
 * longer (the start and the end, each with its date). */
gboolean drd_portal_format_window_parts (DrdPortalLang   lang,
                                         gint64          start,
                                         gint64          end,
                                         char          **out_day,
                                         char          **out_hours);

/* ISO 8601 with +09:00, e.g. 2026-07-01T14:00:00+09:00 (for JSON). */
char *drd_portal_iso8601 (gint64 unix_utc);

G_END_DECLS
