/* SPDX-License-Identifier: GPL-3.0-or-later */
/* drdeskctl init: create/migrate the database and seed the holidays. */
#include "config.h"

#include "cli/drd-cli-private.h"

/* Shipped days are added to the table; days already there (maybe edited
 * or added by the operator) are kept as they are. */
gboolean
drd_cli_seed_holidays (DrdStore *store, guint *out_added, GError **error)
{
  g_autofree char *path = drd_cli_data_file ("holidays-kr.csv");
  g_autoptr(GPtrArray) shipped = NULL;
  g_autoptr(GPtrArray) current = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  shipped = drd_cli_load_holidays (path, error);
  if (shipped == NULL)
    return FALSE;
  current = drd_store_list_holidays (store, error);
  if (current == NULL)
    return FALSE;

  for (guint i = 0; i < current->len; i++)
    {
      DrdHoliday *h = g_ptr_array_index (current, i);
      g_hash_table_add (seen, h->day);
    }
  *out_added = 0;
  for (guint i = 0; i < shipped->len; i++)
    {
      DrdHoliday *h = g_ptr_array_index (shipped, i);

      if (g_hash_table_contains (seen, h->day))
        continue;
      g_ptr_array_add (current, drd_cli_holiday_new (h->day, h->name));
      g_hash_table_add (seen, ((DrdHoliday *) g_ptr_array_index (current, current->len - 1))->day);
      (*out_added)++;
    }
  if (*out_added == 0)
    return TRUE;
  return drd_store_replace_holidays (store, current, error);
}

int
drd_cli_cmd_init (DrdCliContext *ctx, int argc, char **argv)
{
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  guint added = 0;
  int status;

  if (!drd_cli_parse_options ("init", NULL,
                              _("Create the database (or bring an older one up to date) and "
                                "add the shipped Korean public holidays to its holiday table. "
                                "Prints the database path on stdout."),
                              NULL, NULL, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return drd_cli_usage_error ("init", _("unexpected argument '%s'"), argv[1]);

  store = drd_cli_open_store (ctx, FALSE, &error);
  if (store == NULL)
    return drd_cli_fail_error (NULL, error);
  if (!drd_cli_seed_holidays (store, &added, &error))
    return drd_cli_fail_error (_("holidays"), error);

  drd_cli_note (_("database ready; %u holidays added"), added);
  printf ("%s\n", drd_store_get_path (store));
  return DRD_CLI_EXIT_OK;
}
