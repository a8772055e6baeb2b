/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A strict pre-check run on untrusted JSON before json-glib sees it.
 *
 * json-glib 1.6 (Debian 12) leaks memory on two shapes it accepts or
 * half-accepts: a second top-level value after the first ("{…}{…}",
 * "{…}[…]") and a \u escape that is not a proper UTF-16 surrogate pair.
 * A client of the portal could grow the server's memory without bound
 * with such bodies, so every untrusted body passes this check first. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when @data (@len bytes) is exactly one JSON object — optional white
 * space, '{' … matching '}', optional white space — whose strings hold no
 * unpaired surrogate escapes. It checks structure only (brackets and
 * strings), not full JSON grammar: json-glib still does that. On FALSE,
 * @error_message (if not NULL) gets a static English sentence. */
gboolean drd_json_is_single_object (const char  *data,
                                    gsize        len,
                                    const char **error_message);

G_END_DECLS
