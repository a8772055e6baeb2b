/* SPDX-License-Identifier: GPL-3.0-or-later */
/* drdeskctl links EVENT_ID [--output FILE] [--base-url URL] [--raw]
 * drdeskctl links --rotate CUSTOMER_ID
 * drdeskctl links --rotate-all
 * The contact list with every targeted customer's personal answer link
 * (CSV customer_id,name,phone,email,link). Links are derived from the
 * secret next to the database, so running it again prints the same links. */
#include "config.h"

#include <errno.h>

#include "cli/drd-cli-private.h"
#include "core/drd-csv.h"
#include "service/drd-config.h"
#include "service/drd-output-file.h"
#include "store/drd-store-portal.h"

int drd_cli_cmd_links (DrdCliContext *ctx, int argc, char **argv);

/* --base-url, else the operator's portal-public-url setting (default
 * http://127.0.0.1:8088); without a trailing slash. */
static char *
link_base (const char *given)
{
  g_autoptr(DrdConfig) config = NULL;

  if (given != NULL)
    return g_str_has_suffix (given, "/") ? g_strndup (given, strlen (given) - 1)
                                         : g_strdup (given);
  config = drd_config_new ();
  return drd_config_dup_portal_public_url (config);
}

int
drd_cli_cmd_links (DrdCliContext *ctx, int argc, char **argv)
{
  g_autofree char *output = NULL;
  g_autofree char *base_url = NULL;
  g_autofree char *rotate_text = NULL;
  gboolean raw = FALSE, rotate_all = FALSE;
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_("Write the CSV to FILE instead of stdout (a new file is private, 0600; \"-\" is stdout)"),
      "FILE" },
    { "raw", 0, 0, G_OPTION_ARG_NONE, &raw,
      N_("Write cells as they are, without the apostrophe that keeps spreadsheet tools from "
         "running a cell that starts with = + - @ as a formula"), NULL },
    { "rotate-all", 0, 0, G_OPTION_ARG_NONE, &rotate_all,
      N_("Make a new link secret: every customer gets a new link and every old one stops "
         "working"), NULL },
    { "base-url", 0, 0, G_OPTION_ARG_STRING, &base_url,
      N_("Public base URL of the portal (default: the portal-public-url setting, "
         "http://127.0.0.1:8088)"), "URL" },
    { "rotate", 0, 0, G_OPTION_ARG_STRING, &rotate_text,
      N_("Issue a new link for CUSTOMER_ID (the old one stops working) and print it"),
      "CUSTOMER_ID" },
    { NULL }
  };
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) secret = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *base = NULL;
  gint64 event_id = 0, customer_id = 0;
  int status;

  if (!drd_cli_parse_options ("links", "EVENT_ID",
                              _("Print the contact list of an event with each customer's "
                                "personal answer link."),
                              _("CSV columns: customer_id,name,phone,email,link\n"
                                "The same link is printed every time; --rotate CUSTOMER_ID replaces\n"
                                "one customer's link (e.g. after it leaked) and prints the new one;\n"
                                "--rotate-all makes a new link secret and a new link for everyone.\n"
                                "Cells that start with = + - @ get a leading ' (spreadsheet tools\n"
                                "would run them as formulas); --raw leaves them as they are."),
                              entries, &argc, &argv, &status))
    return status;
  if (rotate_all)
    {
      if (argc > 1 || rotate_text != NULL || output != NULL)
        return drd_cli_usage_error ("links", _("--rotate-all takes no EVENT_ID, --rotate or "
                                               "--output"));
    }
  else if (rotate_text != NULL)
    {
      if (argc > 1)
        return drd_cli_usage_error ("links", _("--rotate takes no EVENT_ID"));
      if (!drd_cli_parse_id (rotate_text, &customer_id))
        return drd_cli_usage_error ("links", _("'%s' is not a customer id"), rotate_text);
    }
  else
    {
      if (argc != 2)
        return drd_cli_usage_error ("links", argc < 2 ? _("expected EVENT_ID")
                                                      : _("too many arguments"));
      if (!drd_cli_parse_id (argv[1], &event_id))
        return drd_cli_usage_error ("links", _("'%s' is not an event id"), argv[1]);
    }
  if (base_url != NULL && !g_str_has_prefix (base_url, "http://") &&
      !g_str_has_prefix (base_url, "https://"))
    return drd_cli_usage_error ("links", _("--base-url must start with http:// or https://"));

  store = drd_cli_open_store (ctx, TRUE, &error);
  if (store == NULL)
    return drd_cli_fail_error (NULL, error);
  if (rotate_all)
    {
      guint n = 0;

      secret = drd_store_portal_rotate_all (store, drd_cli_actor (), &n, &error);
      if (secret == NULL)
        return drd_cli_fail_error (_("cannot rotate the answer links"), error);
      drd_cli_note (g_dngettext (GETTEXT_PACKAGE,
                                 "new link secret: %u customer has a new answer link; the old "
                                 "links no longer work (restart a running serve or window)",
                                 "new link secret: %u customers have new answer links; the old "
                                 "links no longer work (restart a running serve or window)", n), n);
      return DRD_CLI_EXIT_OK;
    }
  secret = drd_store_portal_open_secret (store, &error);
  if (secret == NULL)
    return drd_cli_fail_error (NULL, error);
  base = link_base (base_url);

  if (rotate_text != NULL)
    {
      g_autofree char *token = drd_store_portal_rotate_token (store, secret, customer_id,
                                                              drd_cli_actor (), &error);
      if (token == NULL)
        return drd_cli_fail_error (NULL, error);
      printf ("%s/r/%s\n", base, token);
      return DRD_CLI_EXIT_OK;
    }

  /* Customers imported since the last run get their hash now, so every
   * printed link works. */
  if (!drd_store_portal_ensure_tokens (store, secret, NULL, &error))
    return drd_cli_fail_error (_("cannot prepare answer links"), error);
  rows = drd_store_portal_list_links (store, event_id, &error);
  if (rows == NULL)
    return drd_cli_fail_error (NULL, error);

  g_string_append (out, "customer_id,name,phone,email,link\n");
  for (guint i = 0; i < rows->len; i++)
    {
      DrdLinkRow *row = rows->pdata[i];
      g_autofree char *token = drd_link_token_derive (secret, row->customer_id, row->generation);
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, row->customer_id);
      g_autofree char *link = g_strdup_printf ("%s/r/%s", base, token);

      /* Bulk-SMS and mail-merge lists are opened in spreadsheet tools:
       * a name like =HYPERLINK(…) must stay text (design.md). */
      drd_csv_write_text_field (out, id, -1, !raw);
      g_string_append_c (out, ',');
      drd_csv_write_text_field (out, row->name, -1, !raw);
      g_string_append_c (out, ',');
      drd_csv_write_text_field (out, row->phone, -1, !raw);
      g_string_append_c (out, ',');
      drd_csv_write_text_field (out, row->email, -1, !raw);
      g_string_append_c (out, ',');
      drd_csv_write_text_field (out, link, -1, !raw);
      g_string_append_c (out, '\n');
    }

  if (output != NULL && !g_str_equal (output, "-"))
    {
      if (!drd_output_file_write_all (output, out->str, out->len, &error))
        return drd_cli_fail_error (NULL, error);
      drd_cli_note (_("%u links written to %s"), rows->len, output);
      return DRD_CLI_EXIT_OK;
    }
  if (!drd_cli_flush (out, &error))
    return drd_cli_fail_error (NULL, error);
  return DRD_CLI_EXIT_OK;
}
