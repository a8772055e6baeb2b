/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the portal sends: HTML pages from the GResource templates (every
 * inserted value escaped) and the JSON of the API. Pure functions. */
#pragma once

#include <glib.h>

#include "portal/drd-portal-form.h"
#include "portal/drd-portal-strings.h"
#include "store/drd-store-portal.h"

G_BEGIN_DECLS

/* The answer page. @lang_explicit: the language came from ?lang= and is
 * kept in the form's action and links. @saved_event_id: non-zero after a
 * redirect from a saved answer (shows a confirmation). */
char *drd_portal_page_render (const DrdPortalView *view,
                              DrdPortalLang        lang,
                              gboolean             lang_explicit,
                              const char          *token,
                              gint64               saved_event_id,
                              gint64               now);

/* A short page with a title and one paragraph; a link back to the answer
 * page when @token is given. */
char *drd_portal_page_message (DrdPortalLang   lang,
                               DrdPortalString title,
                               const char     *text,
                               const char     *token);

/* {"customer": {"customer_id", "name"}, "events": [...]} */
char *drd_portal_view_to_json (const DrdPortalView *view);
/* {"event_id", "answer", "answered_at", "channel"} */
char *drd_portal_answer_to_json (const DrdPortalEvent *event);

G_END_DECLS
