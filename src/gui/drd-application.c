/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <glib/gi18n-lib.h>

#include "drd-gui-resources.h"
#include "gui/drd-application.h"
#include "gui/drd-bench-stall.h"
#include "gui/drd-settle-link.h"
#include "gui/drd-appearance.h"
#include "gui/drd-portal-host.h"
#include "gui/drd-preferences.h"
#include "gui/drd-window.h"
#include "portal/drd-portal.h"
#include "service/drd-config.h"

struct _DrdApplication
{
  GtkApplication  parent_instance;

  char           *db_path;
  char           *kepco_url;
  DrdWindow      *window;     /* borrowed */
  DrdStore       *store;
  gboolean        bench;
  DrdBenchStall  *bench_stall;   /* DRD_BENCH_STALL=1 (bench/bench-outage.sh) */
  DrdSettleLink  *settle_link;   /* gui-settle: KEPCO client, settler, dispatcher */

  /* the portal hosted in this process, and the settings (drd-portal-host.c) */
  DrdConfig      *config;
  DrdPortalHost  *portal_host;
  char           *portal_listen;   /* --listen */
  gboolean        no_portal;       /* --no-portal */
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
#ifdef __GLIBC__
      /* The window's big arrays (the ordered ids of 1,000,000 customers,
       * 8 MB, made on a reader thread and replaced at every search or
       * sort) must go back to the system when freed. glibc raises its
       * mmap threshold to the size of the largest block freed, after which
       * such arrays land in per-thread heaps that keep the memory: about
       * 30 MB of the window's peak RSS over a few sorts
       * (bench/bench-gui.sh). A fixed threshold keeps them mmapped. */
      mallopt (M_MMAP_THRESHOLD, 256 * 1024);
#endif
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

/* ---- settlement (gui-settle) ----
 * While the window is open, events whose end time passes are ended and
 * every ended event is settled against KEPCO. */

static void
start_settlement (DrdApplication *self, DrdStore *store)
{
  g_autoptr(GError) error = NULL;

  if (self->settle_link != NULL)
    return;
  self->settle_link = drd_settle_link_new (store, self->config, self->db_path, self->kepco_url,
                                           &error);
  if (self->settle_link == NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("Settlement is not running: %s"), error->message);
      if (self->window != NULL)
        drd_window_show_toast (self->window, msg);
      g_printerr ("drdesk: %s\n", msg);
      return;
    }
  if (drd_settle_link_get_warning (self->settle_link) != NULL && self->window != NULL)
    drd_window_show_toast (self->window, drd_settle_link_get_warning (self->settle_link));
  drd_settle_link_start (self->settle_link);
  if (self->window != NULL)
    drd_window_set_settle_link (self->window, self->settle_link);
  drd_bench_stall_set_settle_link (self->bench_stall, self->settle_link);
}

static void
stop_settlement (DrdApplication *self)
{
  if (self->settle_link != NULL)
    drd_settle_link_stop (self->settle_link);
  g_clear_object (&self->settle_link);
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
  start_settlement (self, store);
  if (self->no_portal && self->window != NULL)
    drd_overview_set_portal_status (drd_window_get_overview (self->window), DRD_SERVICE_NOT_RUNNING,
                                    _("turned off (drdesk --no-portal)"));
  if (!self->no_portal)
    {
      self->portal_host = drd_portal_host_new (store, self->config);
      drd_portal_host_set_listen_override (self->portal_host, self->portal_listen);
      if (self->window != NULL)
        drd_portal_host_bind_overview (self->portal_host, drd_window_get_overview (self->window));
      drd_portal_host_start (self->portal_host);
    }
}

DrdConfig *
drd_application_get_config (DrdApplication *self)
{
  return self->config;
}

DrdPortalHost *
drd_application_get_portal_host (DrdApplication *self)
{
  return self->portal_host;
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

  drd_show_about (self->window ? GTK_WINDOW (self->window) : NULL, self->db_path);
}

static void
preferences_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  DrdApplication *self = user_data;

  drd_preferences_present (self->window ? GTK_WINDOW (self->window) : NULL, self->config,
                           self->db_path);
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
  if (g_variant_dict_lookup (options, "no-portal", "b", NULL))
    self->no_portal = TRUE;
  if (g_variant_dict_lookup (options, "listen", "s", &self->portal_listen))
    {
      g_autofree char *address = NULL;
      g_autoptr(GError) error = NULL;
      guint port;

      if (!drd_portal_parse_listen (self->portal_listen, &address, &port, &error))
        {
          g_printerr ("drdesk: --listen: %s\n", error->message);
          return 2;
        }
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
  const char *prefs_accels[] = { "<Control>comma", NULL };

  G_APPLICATION_CLASS (drd_application_parent_class)->startup (app);
  gtk_css_provider_load_from_resource (css, "/kr/drdesk/DrDesk/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.show-help-overlay",
                                         help_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.preferences", prefs_accels);
  drd_gui_setup_appearance ();
  self->config = drd_config_new ();
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
  self->bench_stall = drd_bench_stall_new_from_env (app);
  drd_bench_stall_set_window (self->bench_stall, GTK_WIDGET (self->window),
                              drd_window_get_overview (self->window));
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

  g_clear_pointer (&self->bench_stall, drd_bench_stall_free);
  stop_settlement (self);
  if (self->portal_host != NULL)
    drd_portal_host_stop (self->portal_host);
  g_clear_object (&self->portal_host);
  G_APPLICATION_CLASS (drd_application_parent_class)->shutdown (app);
  /* The last unref waits for queued writes and stops the writer. */
  g_clear_object (&self->store);
}

static void
drd_application_finalize (GObject *object)
{
  DrdApplication *self = DRD_APPLICATION (object);

  stop_settlement (self);
  g_clear_object (&self->portal_host);
  g_clear_object (&self->config);
  g_free (self->portal_listen);
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
    { "no-portal", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Do not serve the customer portal from this window"), NULL },
    { "listen", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Serve the customer portal on ADDR:PORT instead of the portal settings (port 0 picks a free one)"), N_("ADDR:PORT") },
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
