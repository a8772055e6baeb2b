/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <glib/gi18n-lib.h>

#include "drd-gui-resources.h"
#include "gui/drd-application.h"
#include "gui/drd-window.h"

struct _DrdApplication
{
  GtkApplication  parent_instance;

  char           *db_path;
  char           *kepco_url;
  DrdWindow      *window;     /* borrowed */
  DrdStore       *store;
  gboolean        bench;
};

G_DEFINE_FINAL_TYPE (DrdApplication, drd_application, GTK_TYPE_APPLICATION)

static gint64 process_start_us;

void
drd_gui_init (void)
{
  static gsize done;

  if (g_once_init_enter (&done))
    {
      const char *localedir = LOCALEDIR;
      g_autofree char *probe = g_build_filename (LOCALEDIR, "ko", "LC_MESSAGES", "drdesk.mo", NULL);

      /* Running from the build tree: use the freshly built catalogs. */
      if (g_getenv ("DRD_LOCALEDIR") != NULL)
        localedir = g_getenv ("DRD_LOCALEDIR");
      else if (!g_file_test (probe, G_FILE_TEST_EXISTS))
        {
          /* meson's i18n puts build/po/<lang>/LC_MESSAGES/drdesk.mo */
          static char *build_dir;
          g_autofree char *in_locale = g_build_filename (BUILD_LOCALEDIR, "ko", "LC_MESSAGES",
                                                         "drdesk.mo", NULL);

          if (g_file_test (in_locale, G_FILE_TEST_EXISTS))
            build_dir = g_strdup (BUILD_LOCALEDIR);
          else
            build_dir = g_path_get_dirname (BUILD_LOCALEDIR);
          localedir = build_dir;
        }
      bindtextdomain (GETTEXT_PACKAGE, localedir);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      g_resources_register (drd_gui_get_resource ());
      g_once_init_leave (&done, 1);
    }
}

const char *
drd_application_get_db_path (DrdApplication *self)
{
  return self->db_path;
}

const char *
drd_application_get_kepco_url (DrdApplication *self)
{
  return self->kepco_url;
}

/* ---- store ---- */

static void
open_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  DrdStore *store = drd_store_open (task_data, &error);

  if (store != NULL)
    g_task_return_pointer (task, store, g_object_unref);
  else
    g_task_return_error (task, error);
}

static void
on_store_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DrdApplication *self = DRD_APPLICATION (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdStore) store = g_task_propagate_pointer (G_TASK (result), &error);

  if (store == NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("The database %s could not be opened: %s"),
                                              self->db_path, error->message);
      if (self->window != NULL)
        drd_window_show_toast (self->window, msg);
      g_printerr ("drdesk: %s\n", msg);
      return;
    }
  g_set_object (&self->store, store);
  if (self->bench)
    g_print ("BENCH store-open ms=%.1f\n", (g_get_monotonic_time () - process_start_us) / 1000.0);
  if (self->window != NULL)
    drd_window_set_store (self->window, store);
}

/* ---- benchmark hooks (DRD_BENCH=1) ---- */

static void
on_after_paint (GdkFrameClock *clock, DrdApplication *self)
{
  g_print ("BENCH first-frame ms=%.1f\n", (g_get_monotonic_time () - process_start_us) / 1000.0);
  g_signal_handlers_disconnect_by_func (clock, on_after_paint, self);
  if (g_getenv ("DRD_BENCH_QUIT_AFTER_FRAME") != NULL)
    g_application_quit (G_APPLICATION (self));
}

static void
on_window_map (GtkWidget *window, DrdApplication *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);

  if (clock != NULL)
    g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), self);
}

/* ---- actions ---- */

static void
quit_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  DrdApplication *self = user_data;

  if (self->window != NULL)
    gtk_window_close (GTK_WINDOW (self->window));
  g_application_quit (G_APPLICATION (self));
}

static void
about_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  DrdApplication *self = user_data;
  const char *authors[] = { "DR Desk contributors", NULL };

  gtk_show_about_dialog (self->window ? GTK_WINDOW (self->window) : NULL,
                         "program-name", _("DR Desk"),
                         "logo-icon-name", "network-workgroup",
                         "version", PACKAGE_VERSION,
                         "comments", _("Demand-response operations console: customers, DR "
                                       "events, answers and settlement."),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "authors", authors,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
preferences_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  DrdApplication *self = user_data;

  if (self->window != NULL)
    drd_window_show_toast (self->window,
                           _("Preferences come later. The database in use is shown in "
                             "About DR Desk; start with --db PATH to use another one."));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated, NULL, NULL, NULL, { 0 } },
  { "about", about_activated, NULL, NULL, NULL, { 0 } },
  { "preferences", preferences_activated, NULL, NULL, NULL, { 0 } },
};

/* ---- GApplication ---- */

static int
drd_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  DrdApplication *self = DRD_APPLICATION (app);
  g_autofree char *db = NULL;
  g_autofree char *kepco = NULL;

  if (g_variant_dict_lookup (options, "version", "b", NULL))
    {
      g_print ("drdesk %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (g_variant_dict_lookup (options, "db", "^ay", &db))
    {
      g_free (self->db_path);
      self->db_path = g_steal_pointer (&db);
    }
  if (g_variant_dict_lookup (options, "kepco-url", "s", &kepco))
    {
      g_free (self->kepco_url);
      self->kepco_url = g_steal_pointer (&kepco);
    }
  return -1;
}

static void
drd_application_startup (GApplication *app)
{
  DrdApplication *self = DRD_APPLICATION (app);
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();
  const char *quit_accels[] = { "<Control>q", NULL };
  const char *help_accels[] = { "F1", "<Control>question", NULL };

  G_APPLICATION_CLASS (drd_application_parent_class)->startup (app);
  gtk_css_provider_load_from_resource (css, "/kr/drdesk/DrDesk/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.show-help-overlay",
                                         help_accels);
}

static void
drd_application_activate (GApplication *app)
{
  DrdApplication *self = DRD_APPLICATION (app);
  g_autoptr(GTask) task = NULL;

  if (self->window != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->window));
      return;
    }
  self->window = drd_window_new (GTK_APPLICATION (app));
  g_object_add_weak_pointer (G_OBJECT (self->window), (gpointer *) &self->window);
  if (self->bench)
    g_signal_connect (self->window, "map", G_CALLBACK (on_window_map), self);
  gtk_window_present (GTK_WINDOW (self->window));

  task = g_task_new (self, NULL, on_store_opened, NULL);
  g_task_set_source_tag (task, drd_application_activate);
  g_task_set_task_data (task, g_strdup (self->db_path), g_free);
  g_task_run_in_thread (task, open_thread);
}

static void
drd_application_shutdown (GApplication *app)
{
  DrdApplication *self = DRD_APPLICATION (app);

  G_APPLICATION_CLASS (drd_application_parent_class)->shutdown (app);
  /* The last unref waits for queued writes and stops the writer. */
  g_clear_object (&self->store);
}

static void
drd_application_finalize (GObject *object)
{
  DrdApplication *self = DRD_APPLICATION (object);

  g_clear_object (&self->store);
  g_free (self->db_path);
  g_free (self->kepco_url);
  G_OBJECT_CLASS (drd_application_parent_class)->finalize (object);
}

static void
drd_application_class_init (DrdApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = drd_application_finalize;
  app_class->handle_local_options = drd_application_handle_local_options;
  app_class->startup = drd_application_startup;
  app_class->activate = drd_application_activate;
  app_class->shutdown = drd_application_shutdown;
}

static void
drd_application_init (DrdApplication *self)
{
  static const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, NULL, N_("Database file (default: the user's data directory)"), N_("PATH") },
    { "kepco-url", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Base URL of the KEPCO meter data API"), N_("URL") },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and exit"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
  self->db_path = g_build_filename (g_get_user_data_dir (), "drdesk", "drdesk.db", NULL);
  self->bench = g_getenv ("DRD_BENCH") != NULL;
}

DrdApplication *
drd_application_new (void)
{
  return g_object_new (DRD_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_NON_UNIQUE,
                       "resource-base-path", "/kr/drdesk/DrDesk",
                       NULL);
}

int
drd_application_main (int argc, char **argv)
{
  g_autoptr(DrdApplication) app = NULL;

  process_start_us = g_get_monotonic_time ();
  setlocale (LC_ALL, "");
  drd_gui_init ();
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("drdesk");
  g_set_application_name (_("DR Desk"));
  app = drd_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
