/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "core/drd-time.h"
#include "gui/drd-application.h"
#include "tests/gui/drd-gui-test-util.h"

typedef struct {
  gboolean fired;
} Timeout;

static gboolean
on_timeout (gpointer data)
{
  ((Timeout *) data)->fired = TRUE;
  return G_SOURCE_REMOVE;
}

double
drd_test_time_scale (void)
{
  const char *s = g_getenv ("DRD_TEST_TIME_SCALE");
  double scale = s != NULL ? g_ascii_strtod (s, NULL) : 1;

  return scale >= 1 ? scale : 1;
}

guint
drd_test_scaled_ms (guint ms)
{
  return (guint) (ms * drd_test_time_scale ());
}

gboolean
drd_test_wait (DrdTestCond cond, gpointer data, guint timeout_ms)
{
  Timeout t = { FALSE };
  guint id = g_timeout_add (drd_test_scaled_ms (timeout_ms), on_timeout, &t);

  while (!cond (data) && !t.fired)
    g_main_context_iteration (NULL, TRUE);
  if (!t.fired)
    g_source_remove (id);
  return cond (data);
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

void
drd_test_spin (guint ms)
{
  drd_test_wait (never, NULL, ms);
}

DrdStore *
drd_test_store_new (guint n, char **out_dir)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("drd-gui-test-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr(GPtrArray) customers = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_customer_free);
  g_autoptr(DrdStoreImportResult) result = NULL;
  DrdStore *store;

  g_assert_no_error (error);
  path = g_build_filename (dir, "drdesk.db", NULL);
  store = drd_store_open (path, &error);
  g_assert_no_error (error);
  for (guint i = 1; i <= n; i++)
    {
      DrdCustomer *c = drd_customer_new ();

      c->id = i;
      c->name = i % 7 == 0 ? g_strdup_printf ("Kim Store %05u", i) : g_strdup_printf ("고객 %05u", i);
      c->kepco_no = g_strdup_printf ("10%08u", i);
      c->resource = g_strdup_printf ("r%u", i % 3);
      c->registered_w = (gint64) (i % 100 + 1) * 1000;
      c->phone = g_strdup ("010-0000-0000");
      g_ptr_array_add (customers, c);
    }
  if (n > 0)
    {
      result = drd_store_import_customers (store, customers, "test", drd_store_now (), &error);
      g_assert_no_error (error);
      g_assert_cmpuint (result->n_inserted, ==, n);
    }
  if (out_dir != NULL)
    *out_dir = g_steal_pointer (&dir);
  return store;
}

void
drd_test_rmdir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (dir);
}

gint64
drd_test_start_event (DrdStore *store, const char *name)
{
  g_autoptr(DrdEvent) ev = drd_event_new ();
  g_autoptr(GError) error = NULL;
  gint64 now = drd_store_now ();
  gint64 id = 0, n = 0;

  ev->name = g_strdup (name);
  ev->kind = DRD_EVENT_KIND_RELIABILITY;
  ev->start_at = now / DRD_SLOT_SECONDS * DRD_SLOT_SECONDS;
  ev->end_at = ev->start_at + 2 * 3600;
  ev->answer_deadline = ev->end_at;
  ev->target_w = 500000;
  drd_store_start_event (store, ev, "test", now, &id, &n, &error);
  g_assert_no_error (error);
  return id;
}

gboolean
drd_test_gtk_init (void)
{
  static int ok = -1;

  if (ok < 0)
    {
      ok = gtk_init_check ();
      if (ok)
        drd_gui_init ();
    }
  return ok;
}
