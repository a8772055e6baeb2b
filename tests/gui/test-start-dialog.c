/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Start Event dialog: what blocks starting (errors) and what only warns
 * (KPX dispatch facts), with the rules alone and through the widgets. */
#include "config.h"

#include "core/drd-time.h"
#include "gui/drd-start-dialog.h"
#include "tests/gui/drd-gui-test-util.h"

/* Wednesday 2026-07-01 00:00 Seoul */
#define DAY0 G_GINT64_CONSTANT (1782831600)
#define H 3600

static DrdEvent *
draft (const char *name, gint64 start, gint64 end, gint64 target_w, gint64 deadline)
{
  DrdEvent *e = drd_event_new ();

  e->name = g_strdup (name);
  e->start_at = start;
  e->end_at = end;
  e->target_w = target_w;
  e->answer_deadline = deadline;
  return e;
}

static guint
n_strv (char **v)
{
  return v ? g_strv_length (v) : 0;
}

static gboolean
strv_has (char **v, const char *needle)
{
  for (guint i = 0; v && v[i]; i++)
    if (strstr (v[i], needle) != NULL)
      return TRUE;
  return FALSE;
}

static void
test_rules (void)
{
  struct {
    const char *name;
    gint64 start, end, target, deadline;
    gboolean ok;
  } cases[] = {
    { "ok",   DAY0 + 14 * H, DAY0 + 16 * H, 1000000, DAY0 + 14 * H, TRUE },
    { "",     DAY0 + 14 * H, DAY0 + 16 * H, 1000000, DAY0 + 14 * H, FALSE },   /* no name */
    { "   ",  DAY0 + 14 * H, DAY0 + 16 * H, 1000000, DAY0 + 14 * H, FALSE },
    { "x",    DAY0 + 16 * H, DAY0 + 14 * H, 1000000, DAY0 + 14 * H, FALSE },   /* end first */
    { "x",    DAY0 + 14 * H, DAY0 + 14 * H, 1000000, DAY0 + 14 * H, FALSE },   /* empty */
    { "x",    DAY0 + 14 * H + 60, DAY0 + 16 * H, 1000000, DAY0, FALSE },      /* off-step */
    { "x",    DAY0 + 14 * H, DAY0 + 16 * H, 0, DAY0 + 14 * H, FALSE },         /* no target */
    { "x",    DAY0 + 14 * H, DAY0 + 16 * H, 1000, DAY0 + 17 * H, FALSE },      /* deadline after end */
  };
  gint64 now = DAY0 + 12 * H;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(DrdEvent) e = draft (cases[i].name, cases[i].start, cases[i].end,
                                     cases[i].target, cases[i].deadline);
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) warnings = NULL;
      gboolean ok = drd_start_dialog_check (e, now, 0, &warnings, &error);

      g_test_message ("case %u", i);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (ok)
        g_assert_no_error (error);
      else
        g_assert_nonnull (error);
    }
}

static void
test_kpx_warnings (void)
{
  gint64 now = DAY0 + 12 * H;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) w = NULL;
  g_autoptr(DrdEvent) good = draft ("good", DAY0 + 14 * H, DAY0 + 16 * H, 1000000, DAY0 + 14 * H);
  g_autoptr(DrdEvent) late = draft ("late", DAY0 + 20 * H, DAY0 + 22 * H, 1000000, DAY0 + 20 * H);
  g_autoptr(DrdEvent) soon = draft ("soon", DAY0 + 12 * H + 1800, DAY0 + 14 * H + 1800, 1000000,
                                    DAY0 + 12 * H + 1800);
  g_autoptr(DrdEvent) lng = draft ("long", DAY0 + 14 * H, DAY0 + 19 * H, 1000000, DAY0 + 14 * H);
  g_autoptr(DrdEvent) sat = draft ("saturday", DAY0 + 3 * 86400 + 14 * H, DAY0 + 3 * 86400 + 16 * H,
                                   1000000, DAY0 + 3 * 86400 + 14 * H);
  g_autoptr(DrdEvent) past = draft ("past", DAY0 + 9 * H, DAY0 + 11 * H, 1000000, DAY0 + 9 * H);

  /* Inside every rule: no warning at all. */
  g_assert_true (drd_start_dialog_check (good, now, 0, &w, &error));
  g_assert_cmpuint (n_strv (w), ==, 0);
  g_clear_pointer (&w, g_strfreev);

  /* Each broken dispatch fact is a warning, never an error. */
  g_assert_true (drd_start_dialog_check (late, now, 0, &w, &error));
  g_assert_true (strv_has (w, "21:00"));
  g_clear_pointer (&w, g_strfreev);
  g_assert_true (drd_start_dialog_check (soon, now, 0, &w, &error));
  g_assert_cmpuint (n_strv (w), >=, 1);
  g_clear_pointer (&w, g_strfreev);
  g_assert_true (drd_start_dialog_check (lng, now, 0, &w, &error));
  g_assert_cmpuint (n_strv (w), >=, 1);
  g_clear_pointer (&w, g_strfreev);
  g_assert_true (drd_start_dialog_check (sat, now, 0, &w, &error));
  g_assert_cmpuint (n_strv (w), >=, 1);
  g_clear_pointer (&w, g_strfreev);
  /* 59 hours used this year + 2 more: over the 60-hour limit. */
  g_assert_true (drd_start_dialog_check (good, now, 59 * H, &w, &error));
  g_assert_cmpuint (n_strv (w), ==, 1);
  g_clear_pointer (&w, g_strfreev);
  /* Recorded after the fact: allowed, with a word about it. */
  g_assert_true (drd_start_dialog_check (past, now, 0, &w, &error));
  g_assert_cmpuint (n_strv (w), >=, 2);
  g_clear_pointer (&w, g_strfreev);
  g_assert_no_error (error);
}

static gboolean
summary_counted (gpointer data)
{
  return strstr (drd_start_dialog_get_summary_text (data), "300") != NULL;
}

static void
test_dialog_widgets (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(DrdStore) store = NULL;
  DrdStartDialog *dialog;

  if (!drd_test_gtk_init ())
    {
      g_test_skip ("no display");
      return;
    }
  store = drd_test_store_new (300, &dir);
  dialog = drd_start_dialog_new (NULL, store);
  g_object_ref_sink (dialog);
  drd_start_dialog_set_now (dialog, DAY0 + 12 * H);

  /* The default window is valid. */
  drd_start_dialog_set_window (dialog, DAY0 + 14 * H, DAY0 + 16 * H, DAY0 + 14 * H);
  g_assert_true (drd_start_dialog_get_can_start (dialog));
  g_assert_cmpstr (drd_start_dialog_get_error_text (dialog), ==, "");
  g_assert_cmpstr (drd_start_dialog_get_warnings_text (dialog), ==, "");

  /* The summary counts everybody in the chosen resources, off the main thread. */
  g_assert_true (drd_test_wait (summary_counted, dialog, 5000));

  /* Evening: a warning, still startable. */
  drd_start_dialog_set_window (dialog, DAY0 + 20 * H, DAY0 + 22 * H, DAY0 + 20 * H);
  g_assert_true (drd_start_dialog_get_can_start (dialog));
  g_assert_nonnull (strstr (drd_start_dialog_get_warnings_text (dialog), "21:00"));

  /* End before start: an error in words, Start disabled. */
  drd_start_dialog_set_window (dialog, DAY0 + 16 * H, DAY0 + 14 * H, DAY0 + 14 * H);
  g_assert_false (drd_start_dialog_get_can_start (dialog));
  g_assert_cmpstr (drd_start_dialog_get_error_text (dialog), !=, "");

  /* No name. */
  drd_start_dialog_set_window (dialog, DAY0 + 14 * H, DAY0 + 16 * H, DAY0 + 14 * H);
  drd_start_dialog_set_name (dialog, "");
  g_assert_false (drd_start_dialog_get_can_start (dialog));
  drd_start_dialog_set_name (dialog, "Heat wave");
  g_assert_true (drd_start_dialog_get_can_start (dialog));
  drd_start_dialog_set_target_kw (dialog, 0);
  g_assert_false (drd_start_dialog_get_can_start (dialog));

  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (dialog);
  g_clear_object (&store);
  drd_test_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gui/start-dialog/rules", test_rules);
  g_test_add_func ("/gui/start-dialog/kpx-warnings", test_kpx_warnings);
  g_test_add_func ("/gui/start-dialog/widgets", test_dialog_widgets);
  return g_test_run ();
}
