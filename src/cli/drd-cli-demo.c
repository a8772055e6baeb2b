/* SPDX-License-Identifier: GPL-3.0-or-later */
/* drdeskctl demo: fill the database with deterministic synthetic customers. */
#include "config.h"

#include "cli/drd-cli-demo-data.h"
#include "cli/drd-cli-private.h"

#define DEMO_CHUNK 50000

int
drd_cli_cmd_demo (DrdCliContext *ctx, int argc, char **argv)
{
  gint64 n_customers = 1000;
  gint64 seed = 1;
  g_autofree char *webhook_base = NULL;
  const GOptionEntry entries[] = {
    { "customers", 0, 0, G_OPTION_ARG_INT64, &n_customers,
      N_("Number of customers (ids 1..N; default 1000)"), "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed,
      N_("Seed of the generator, 0..4294967295 (default 1)"), "S" },
    { "webhook-base", 0, 0, G_OPTION_ARG_FILENAME, &webhook_base,
      N_("Give a few factories the webhook URL BASE/<customer_id> (default: none)"), "URL" },
    { NULL }
  };
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdDemoGen) gen = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  gint64 done = 0, inserted = 0, updated = 0, refused = 0;
  guint holidays_added = 0;
  int status;

  if (!drd_cli_parse_options ("demo", NULL,
                              _("Create the database if needed and insert (or update) N "
                                "synthetic customers with ids 1..N: Korean names, 10-digit "
                                "KEPCO numbers, homes, shops and factories in several "
                                "resources. The same seed always gives the same customers."),
                              NULL, entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return drd_cli_usage_error ("demo", _("unexpected argument '%s'"), argv[1]);
  if (n_customers < 1 || n_customers > 10000000)
    return drd_cli_usage_error ("demo", _("--customers must be between 1 and 10000000"));
  if (seed < 0 || seed > G_MAXUINT32)
    return drd_cli_usage_error ("demo", _("--seed must be between 0 and 4294967295"));
  if (webhook_base != NULL && !g_str_has_prefix (webhook_base, "http://")
      && !g_str_has_prefix (webhook_base, "https://"))
    return drd_cli_usage_error ("demo", _("--webhook-base must start with http:// or https://"));
  if (webhook_base != NULL && g_str_has_suffix (webhook_base, "/"))
    webhook_base[strlen (webhook_base) - 1] = '\0';

  store = drd_cli_open_store (ctx, FALSE, &error);
  if (store == NULL)
    return drd_cli_fail_error (NULL, error);
  if (!drd_cli_seed_holidays (store, &holidays_added, &error))
    return drd_cli_fail_error (_("holidays"), error);

  gen = drd_demo_gen_new ((guint32) seed, webhook_base);
  batch = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_customer_free);
  while (done < n_customers)
    {
      g_autoptr(DrdStoreImportResult) result = NULL;
      gint64 chunk = MIN (DEMO_CHUNK, n_customers - done);

      g_ptr_array_set_size (batch, 0);
      for (gint64 i = 0; i < chunk; i++)
        {
          DrdCustomer *c = drd_customer_new ();
          drd_demo_gen_next (gen, c);
          g_ptr_array_add (batch, c);
        }
      result = drd_store_import_customers (store, batch, drd_cli_actor (),
                                           drd_store_now (), &error);
      if (result == NULL)
        return drd_cli_fail_error (_("demo"), error);
      inserted += result->n_inserted;
      updated += result->n_updated;
      for (guint i = 0; i < result->row_errors->len; i++)
        {
          DrdStoreRowError *re = g_ptr_array_index (result->row_errors, i);
          DrdCustomer *c = g_ptr_array_index (batch, re->index);

          if (refused++ < 10)
            drd_cli_note (_("customer %lld: %s"), (long long) c->id, re->error->message);
        }
      done += chunk;
      if (n_customers > DEMO_CHUNK)
        drd_cli_note (_("%lld / %lld customers"), (long long) done, (long long) n_customers);
    }

  drd_cli_note (_("%lld customers inserted, %lld updated"),
                (long long) inserted, (long long) updated);
  if (refused > 0)
    return drd_cli_fail (_("%lld demo customers were refused "
                           "(conflicts with existing customers)"), (long long) refused);
  return DRD_CLI_EXIT_OK;
}
