/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/drd-json-guard.h"

#include <string.h>

/* The shapes json-glib 1.6 leaks on must be refused before it sees them;
 * ordinary bodies must pass. */
static void
test_table (void)
{
  static const struct { const char *body; gboolean ok; } cases[] = {
    { "{}", TRUE },
    { "  {\"event_id\": 1, \"answer\": \"accept\"}\r\n", TRUE },
    { "{\"a\":[1,{\"b\":\"}{\"}],\"c\":\"\\\"}\"}", TRUE },
    { "{\"s\":\"\\ud83d\\ude00\"}", TRUE },            /* a proper pair */
    { "{\"s\":\"\\u00e9\\n\"}", TRUE },
    { "", FALSE },
    { "   ", FALSE },
    { "[]", FALSE },
    { "\"x\"", FALSE },
    { "{}{}", FALSE },                                 /* second top-level value */
    { "{\"a\":1} {\"b\":2}", FALSE },
    { "{}[[],[]]", FALSE },
    { "{} x", FALSE },
    { "{\"a\":1", FALSE },
    { "{\"a\":\"1}", FALSE },
    { "{]", FALSE },
    { "{\"s\":\"\\udfff\"}", FALSE },                  /* lone low surrogate */
    { "{\"s\":\"\\ud800\"}", FALSE },                  /* lone high surrogate */
    { "{\"s\":\"\\ud800\\u0041\"}", FALSE },           /* high + not low */
    { "{\"s\":\"\\ud800x\\udc00\"}", FALSE },
    { "{\"s\":\"\\u12\"}", FALSE },
    { "{\"s\":\"\\", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *why = NULL;
      gboolean ok = drd_json_is_single_object (cases[i].body, strlen (cases[i].body), &why);

      g_test_message ("case %u: %s", i, cases[i].body);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (!ok)
        g_assert_nonnull (why);
    }
  g_assert_false (drd_json_is_single_object (NULL, 0, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json-guard/table", test_table);
  return g_test_run ();
}
