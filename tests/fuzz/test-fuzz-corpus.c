/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Replays every saved fuzz input (fuzz/corpus/<target>/ and
 * fuzz/crashes/<target>/) through the same entry points the libFuzzer
 * executables use, in the normal build: a crash once found stays fixed,
 * and the invariants hold for every seed under gcc too. */
#include "config.h"

#include <string.h>

#include "drd-fuzz-targets.h"

typedef struct {
  const DrdFuzzTarget *target;
  char                *path;
} Case;

static void
case_free (gpointer data)
{
  Case *c = data;

  g_free (c->path);
  g_free (c);
}

static void
test_replay (gconstpointer data)
{
  const Case *c = data;
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  guint8 *copy;

  g_file_get_contents (c->path, &contents, &len, &error);
  g_assert_no_error (error);
  /* An exact-size heap copy, as libFuzzer passes it: a read one byte past
   * the end is caught by ASan (build-aux/sanitize) instead of hitting the
   * NUL that g_file_get_contents() adds. */
  copy = g_memdup2 (contents, len);
  c->target->func (copy, len);
  g_free (copy);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* Adds one test per regular file in @dir (missing dir: none). */
static guint
add_dir (const DrdFuzzTarget *target, const char *kind, const char *dir, GPtrArray *keep)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (d == NULL)
    return 0;
  while ((name = g_dir_read_name (d)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  for (guint i = 0; i < names->len; i++)
    {
      Case *c = g_new0 (Case, 1);
      g_autofree char *test_path = NULL;

      c->target = target;
      c->path = g_build_filename (dir, names->pdata[i], NULL);
      if (!g_file_test (c->path, G_FILE_TEST_IS_REGULAR))
        {
          case_free (c);
          continue;
        }
      g_ptr_array_add (keep, c);
      test_path = g_strdup_printf ("/fuzz/%s/%s/%s", target->name, kind,
                                   (const char *) names->pdata[i]);
      g_test_add_data_func (test_path, c, test_replay);
    }
  return names->len;
}

static void
test_corpus_present (gconstpointer data)
{
  const DrdFuzzTarget *target = data;
  g_autofree char *dir = g_build_filename (g_getenv ("DRD_SOURCE_DIR"), "fuzz", "corpus",
                                           target->name, NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);

  /* A target without seeds would silently test nothing. */
  g_assert_nonnull (d);
  g_assert_nonnull (g_dir_read_name (d));
}

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func (case_free);
  const char *source = g_getenv ("DRD_SOURCE_DIR");

  g_test_init (&argc, &argv, NULL);
  drd_fuzz_init ();
  if (source == NULL)
    {
      g_printerr ("DRD_SOURCE_DIR is not set (meson test sets it)\n");
      return 1;
    }
  for (const DrdFuzzTarget *t = drd_fuzz_targets; t->name; t++)
    {
      g_autofree char *corpus = g_build_filename (source, "fuzz", "corpus", t->name, NULL);
      g_autofree char *crashes = g_build_filename (source, "fuzz", "crashes", t->name, NULL);
      g_autofree char *present = g_strdup_printf ("/fuzz/%s/has-corpus", t->name);

      g_test_add_data_func (present, t, test_corpus_present);
      add_dir (t, "corpus", corpus, keep);
      add_dir (t, "crashes", crashes, keep);
    }
  return g_test_run ();
}
