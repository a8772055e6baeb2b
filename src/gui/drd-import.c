/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <glib/gi18n-lib.h>

#include "core/drd-csv.h"
#include "gui/drd-gui-util.h"
#include "gui/drd-import.h"

void
drd_import_report_free (DrdImportReport *report)
{
  if (report == NULL)
    return;
  g_clear_pointer (&report->problems, g_ptr_array_unref);
  g_free (report);
}

enum { COL_ID, COL_NAME, COL_KEPCO, COL_RESOURCE, COL_KW, COL_CBL, COL_FACTORY, COL_PHONE,
       COL_EMAIL, COL_WEBHOOK, N_COLS };

static gboolean
parse_kw (const char *text, gint64 *out_w)
{
  char *end = NULL;
  double kw;

  if (text == NULL || *text == '\0')
    return FALSE;
  kw = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || kw < 0 || kw > 1e9)
    return FALSE;
  *out_w = (gint64) (kw * 1000.0 + 0.5);
  return TRUE;
}

static char *
opt (const char *s)
{
  return s != NULL && *s != '\0' ? g_strdup (s) : NULL;
}

static void
import_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DrdStore *store = source;
  GFile *file = task_data;
  static const char * const columns[] = { "customer_id", "name", "kepco_customer_no", "resource",
                                          "registered_kw", "cbl_method", "is_factory", "phone",
                                          "email", "webhook_url", NULL };
  static const char * const required[] = { "customer_id", "name", "kepco_customer_no",
                                           "registered_kw", NULL };
  g_autofree char *data = NULL;
  gsize len = 0;
  GError *error = NULL;
  g_autoptr(DrdCsvReader) reader = NULL;
  g_autoptr(GPtrArray) customers = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_customer_free);
  g_autoptr(GArray) lines = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(DrdImportReport) report = g_new0 (DrdImportReport, 1);
  g_autoptr(DrdStoreImportResult) result = NULL;
  g_autofree char *actor = NULL;
  int idx[N_COLS];

  report->problems = g_ptr_array_new_with_free_func (g_free);
  if (!g_file_load_contents (file, cancellable, &data, &len, NULL, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  reader = drd_csv_reader_new (data, (gssize) len);
  if (!drd_csv_reader_read_header (reader, columns, required, idx, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  for (;;)
    {
      g_autoptr(DrdCustomer) c = NULL;
      g_autoptr(GError) row_error = NULL;
      guint line;
      const char *s;
      char *end = NULL;

      if (!drd_csv_reader_next (reader, &row_error))
        {
          if (row_error == NULL)
            break;
          g_ptr_array_add (report->problems, g_strdup (row_error->message));
          continue;
        }
      line = drd_csv_reader_get_line (reader);
      c = drd_customer_new ();
      s = drd_csv_reader_get_column (reader, idx[COL_ID]);
      c->id = g_ascii_strtoll (s, &end, 10);
      if (*s == '\0' || *end != '\0' || c->id <= 0)
        {
          g_ptr_array_add (report->problems,
                           g_strdup_printf (_("line %u: customer_id must be a positive number"),
                                            line));
          continue;
        }
      c->name = g_strdup (drd_csv_reader_get_column (reader, idx[COL_NAME]));
      c->kepco_no = g_strdup (drd_csv_reader_get_column (reader, idx[COL_KEPCO]));
      c->resource = g_strdup (drd_csv_reader_get_column (reader, idx[COL_RESOURCE]));
      if (*c->resource == '\0')
        {
          g_free (c->resource);
          c->resource = g_strdup ("default");
        }
      if (!parse_kw (drd_csv_reader_get_column (reader, idx[COL_KW]), &c->registered_w))
        {
          g_ptr_array_add (report->problems,
                           g_strdup_printf (_("line %u: registered_kw must be a number ≥ 0"),
                                            line));
          continue;
        }
      s = drd_csv_reader_get_column (reader, idx[COL_CBL]);
      c->cbl_method = DRD_CBL_MID_6_10;
      if (*s != '\0' && !drd_cbl_method_from_string (s, &c->cbl_method))
        {
          g_ptr_array_add (report->problems,
                           g_strdup_printf (_("line %u: cbl_method must be max-4-5 or mid-6-10"),
                                            line));
          continue;
        }
      s = drd_csv_reader_get_column (reader, idx[COL_FACTORY]);
      if (g_ascii_strcasecmp (s, "true") == 0)
        c->is_factory = TRUE;
      else if (*s != '\0' && g_ascii_strcasecmp (s, "false") != 0)
        {
          g_ptr_array_add (report->problems,
                           g_strdup_printf (_("line %u: is_factory must be true or false"), line));
          continue;
        }
      c->phone = opt (drd_csv_reader_get_column (reader, idx[COL_PHONE]));
      c->email = opt (drd_csv_reader_get_column (reader, idx[COL_EMAIL]));
      c->webhook_url = opt (drd_csv_reader_get_column (reader, idx[COL_WEBHOOK]));
      g_ptr_array_add (customers, g_steal_pointer (&c));
      g_array_append_val (lines, line);
    }

  actor = drd_gui_operator_actor ();
  result = drd_store_import_customers (store, customers, actor, drd_store_now (), &error);
  if (result == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  report->n_inserted = result->n_inserted;
  report->n_updated = result->n_updated;
  for (guint i = 0; i < result->row_errors->len; i++)
    {
      DrdStoreRowError *re = g_ptr_array_index (result->row_errors, i);
      guint line = re->index < lines->len ? g_array_index (lines, guint, re->index) : 0;

      g_ptr_array_add (report->problems, g_strdup_printf (_("line %u: %s"), line,
                                                          re->error->message));
    }
  g_task_return_pointer (task, g_steal_pointer (&report), (GDestroyNotify) drd_import_report_free);
}

void
drd_import_customers_async (DrdStore *store, GFile *file, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (store, cancellable, callback, user_data);

  g_task_set_source_tag (task, drd_import_customers_async);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, import_thread);
}

DrdImportReport *
drd_import_customers_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
