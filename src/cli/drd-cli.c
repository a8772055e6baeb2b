/* SPDX-License-Identifier: GPL-3.0-or-later */
/* drdeskctl: global options, the command table and dispatch. */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "cli/drd-cli.h"
#include "cli/drd-cli-private.h"

/* Built from DRD_CLI_COMMANDS in drd-cli-private.h (see drd-cli.h). */
#define DRD_CLI_TABLE_ENTRY(name, usage) { #name, drd_cli_cmd_##name, usage },
static const DrdCliCommand drd_cli_commands[] = {
  DRD_CLI_COMMANDS (DRD_CLI_TABLE_ENTRY)
};

/* Binds the "drdesk" catalog. DRD_LOCALEDIR overrides the directory; when the
 * installed catalog is missing (running from the build tree) the catalogs
 * meson's i18n builds into build/po/<lang>/LC_MESSAGES are used. */
static void
bind_catalog (void)
{
  const char *localedir = g_getenv ("DRD_LOCALEDIR");
  g_autofree char *probe = g_build_filename (LOCALEDIR, "ko", "LC_MESSAGES", "drdesk.mo", NULL);
  g_autofree char *build_dir = NULL;

  if (localedir == NULL || *localedir == '\0')
    {
      localedir = LOCALEDIR;
      if (!g_file_test (probe, G_FILE_TEST_EXISTS))
        {
          g_autofree char *in_locale = g_build_filename (BUILD_LOCALEDIR, "ko", "LC_MESSAGES",
                                                         "drdesk.mo", NULL);

          if (g_file_test (in_locale, G_FILE_TEST_EXISTS))
            build_dir = g_strdup (BUILD_LOCALEDIR);
          else
            build_dir = g_path_get_dirname (BUILD_LOCALEDIR);
          localedir = build_dir;
        }
    }
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
}

static void
print_tool_help (FILE *out)
{
  g_autofree char *def = g_build_filename (g_get_user_data_dir (), "drdesk", "drdesk.db", NULL);

  fprintf (out, "%s\n  drdeskctl [--db PATH] COMMAND [ARGS...]\n\n", _("Usage:"));
  fprintf (out, "%s\n", _("DR Desk command-line tool: customers, DR events, answers and baselines."));
  fprintf (out, "\n%s\n", _("Commands:"));
  for (gsize i = 0; i < G_N_ELEMENTS (drd_cli_commands); i++)
    fprintf (out, "  %s\n", _(drd_cli_commands[i].usage));
  fprintf (out, "\n%s\n", _("Options:"));
  fprintf (out, "  --db PATH     %s\n", _("database file, before or after the command"));
  fprintf (out, "                (%s: %s)\n", _("default"), def);
  fprintf (out, "  -h, --help    %s\n", _("show this help; COMMAND --help shows a command's help"));
  fprintf (out, "  --version     %s\n", _("show the version"));
  fprintf (out, "\n%s\n", _("Exit status: 0 success, 1 error (one line on stderr), 2 bad usage."));
}

/* Take every "--db PATH" / "--db=PATH" out of ARGS (up to a "--"). */
static gboolean
extract_db (GPtrArray *args, char **db_path, GError **error)
{
  for (guint i = 1; i < args->len; )
    {
      const char *a = g_ptr_array_index (args, i);
      char *value = NULL;

      if (g_str_equal (a, "--"))
        break;
      if (g_str_equal (a, "--db"))
        {
          if (i + 1 >= args->len || ((const char *) g_ptr_array_index (args, i + 1))[0] == '\0')
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("--db needs a PATH"));
              return FALSE;
            }
          value = g_strdup (g_ptr_array_index (args, i + 1));
          g_ptr_array_remove_range (args, i, 2);
        }
      else if (g_str_has_prefix (a, "--db="))
        {
          if (a[5] == '\0')
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("--db needs a PATH"));
              return FALSE;
            }
          value = g_strdup (a + 5);
          g_ptr_array_remove_index (args, i);
        }
      else
        {
          i++;
          continue;
        }
      g_free (*db_path);
      *db_path = value;
    }
  return TRUE;
}

int
drd_cli_main (int argc, char **argv)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;
  g_auto(GStrv) strv = NULL;
  DrdCliContext ctx = { 0 };
  const char *word;

  setlocale (LC_ALL, "");
  bind_catalog ();
  g_set_prgname ("drdeskctl");

  for (int i = 0; i < argc; i++)
    g_ptr_array_add (args, g_strdup (argv[i]));

  if (!extract_db (args, &db_path, &error))
    return drd_cli_usage_error (NULL, "%s", error->message);

  ctx.db_given = db_path != NULL;
  if (db_path == NULL)
    db_path = g_build_filename (g_get_user_data_dir (), "drdesk", "drdesk.db", NULL);
  ctx.db_path = db_path;

  if (args->len < 2)
    {
      print_tool_help (stderr);
      return DRD_CLI_EXIT_USAGE;
    }

  word = g_ptr_array_index (args, 1);
  if (drd_cli_is_help (word) || g_str_equal (word, "help"))
    {
      print_tool_help (stdout);
      return DRD_CLI_EXIT_OK;
    }
  if (g_str_equal (word, "--version"))
    {
      printf ("drdeskctl %s\n", PACKAGE_VERSION);
      return DRD_CLI_EXIT_OK;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (drd_cli_commands); i++)
    {
      if (!g_str_equal (word, drd_cli_commands[i].name))
        continue;

      /* The command gets its own NULL-terminated array of heap strings,
       * starting with its name, so that option parsing may edit it. */
      g_ptr_array_remove_index (args, 0);
      g_ptr_array_add (args, NULL);
      strv = (GStrv) g_ptr_array_steal (args, NULL);
      return drd_cli_commands[i].run (&ctx, g_strv_length (strv), strv);
    }

  if (word[0] == '-')
    return drd_cli_usage_error (NULL, _("unknown option %s"), word);
  return drd_cli_usage_error (NULL, _("unknown command '%s'"), word);
}
