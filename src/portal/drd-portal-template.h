/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A deliberately tiny template language for the portal's HTML:
 *   {{name}}    the value of "name", HTML-escaped (& < > " ' all escaped)
 *   {{{name}}}  the value inserted as is — only for HTML this module or
 *               the portal built itself from escaped parts
 * Unknown names expand to nothing. No loops or conditions: repeated parts
 * are rendered one by one from their own fragment and joined raw. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Escapes text for an HTML element or a quoted attribute. */
char *drd_portal_html_escape (const char *text);

/* @vars maps names to values (char*). Returns the rendered text. */
char *drd_portal_template_render (const char *tmpl,
                                  GHashTable *vars);

/* Loads a template from the portal GResource (/kr/drdesk/portal/<name>);
 * the bytes are owned by the resource and live as long as the program. */
const char *drd_portal_template_get (const char *name);

G_END_DECLS
