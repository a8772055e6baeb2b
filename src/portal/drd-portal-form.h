/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Strict decoding of what customers send: urlencoded forms, event ids,
 * answers, Accept-Language. Everything here is pure and tested directly. */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

#include "core/drd-types.h"

G_BEGIN_DECLS

#define DRD_PORTAL_FORM_MAX_FIELDS 8
#define DRD_PORTAL_FORM_MAX_VALUE  64   /* bytes, after decoding */

/* Decodes an application/x-www-form-urlencoded body into a table of
 * name → value (both UTF-8). Fails with G_IO_ERROR_INVALID_DATA and a
 * sentence naming the problem for: bad %-escapes, non-UTF-8, control
 * characters, more than DRD_PORTAL_FORM_MAX_FIELDS fields, a value longer
 * than DRD_PORTAL_FORM_MAX_VALUE bytes, or a repeated field name. */
GHashTable *drd_portal_form_decode (const char *data,
                                    gsize       len,
                                    GError    **error);

/* "1" … "999999999999999999": digits only, no sign, no leading zero. */
gboolean drd_portal_parse_event_id (const char *s,
                                    gint64     *out);

/* "accept" or "deny" (the answers a customer may give; "none" is not one). */
gboolean drd_portal_parse_answer (const char *s,
                                  DrdAnswer  *out);

typedef enum {
  DRD_PORTAL_LANG_KO = 0,
  DRD_PORTAL_LANG_EN = 1,
} DrdPortalLang;

/* Picks Korean or English from an Accept-Language header (q-values
 * honoured, Korean when nothing matches or the header is absent). */
DrdPortalLang drd_portal_lang_negotiate (const char *accept_language);

/* "ko"/"en" → TRUE; anything else FALSE. */
gboolean drd_portal_lang_from_string (const char    *s,
                                      DrdPortalLang *out);
const char *drd_portal_lang_to_string (DrdPortalLang lang);

/* RFC 9112 §6.3 framing of a request, checked on the raw headers before
 * any body is read (libsoup 3.2 lets the last of two Content-Lengths win,
 * reads "+24" as 24 and keeps a connection with both Transfer-Encoding and
 * Content-Length open: the ingredients of request smuggling). FALSE, with
 * a sentence in *out_why, for: a Content-Length that is not 1*DIGIT
 * (at most 18 digits), two Content-Lengths that differ, Transfer-Encoding
 * together with Content-Length, or a Transfer-Encoding other than exactly
 * "chunked". The caller answers 400 and closes the connection. */
gboolean drd_portal_check_framing (SoupMessageHeaders  *headers,
                                   const char         **out_why);

G_END_DECLS
