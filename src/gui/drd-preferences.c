/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "gui/drd-preferences.h"

typedef enum {
  FIELD_ENTRY,      /* address or URL, validated by DrdConfig */
  FIELD_SPIN,       /* number, bound 1:1 */
  FIELD_DROPDOWN,   /* enum nick */
} FieldKind;

typedef struct {
  const char *key;
  FieldKind   kind;
} Field;

static const Field fields[] = {
  { "portal-listen-address", FIELD_ENTRY },
  { "portal-port", FIELD_SPIN },
  { "portal-public-url", FIELD_ENTRY },
  { "portal-rate-limit", FIELD_SPIN },
  { "portal-request-timeout", FIELD_SPIN },
  { "kepco-base-url", FIELD_ENTRY },
  { "kepco-max-concurrent", FIELD_SPIN },
  { "kepco-timeout", FIELD_SPIN },
  { "kepco-max-attempts", FIELD_SPIN },
  { "points-per-kwh-reliability", FIELD_SPIN },
  { "points-per-kwh-economic", FIELD_SPIN },
  { "points-per-kwh-citizen", FIELD_SPIN },
  { "performance-threshold-wh", FIELD_SPIN },
  { "cbl-default-method", FIELD_DROPDOWN },
  { "abnormal-low-permille", FIELD_SPIN },
  { "abnormal-high-permille", FIELD_SPIN },
};

/* Dropdown order in the .ui */
static const char * const cbl_nicks[] = { "mid-6-10", "max-4-5", NULL };

#define SERVICE_KEY "kepco-service-key"

struct _DrdPreferences
{
  GtkWindow     parent_instance;

  /* template */
  GtkStack     *pages;
  GtkWidget    *key_save_button;
  GtkWidget    *key_remove_button;
  GtkLabel     *key_status;

  /* owned */
  DrdConfig    *config;
  char         *db_path;
  GCancellable *cancellable;
  gboolean      updating;     /* filling widgets from the settings */
  gboolean      key_saved;
};

G_DEFINE_FINAL_TYPE (DrdPreferences, drd_preferences, GTK_TYPE_WINDOW)

static char *
widget_id (const char *key)
{
  return g_strdelimit (g_strdup (key), "-", '_');
}

static GtkWidget *
child (DrdPreferences *self, const char *id)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (self), DRD_TYPE_PREFERENCES, id));
}

GtkWidget *
drd_preferences_get_field (DrdPreferences *self, const char *key)
{
  g_autofree char *id = widget_id (key);

  g_return_val_if_fail (DRD_IS_PREFERENCES (self), NULL);
  return child (self, id);
}

static GtkLabel *
error_label (DrdPreferences *self, const char *key)
{
  g_autofree char *id = widget_id (key);
  g_autofree char *error_id = g_strconcat (id, "_error", NULL);

  return GTK_LABEL (child (self, error_id));
}

const char *
drd_preferences_get_error (DrdPreferences *self, const char *key)
{
  GtkLabel *label;

  g_return_val_if_fail (DRD_IS_PREFERENCES (self), NULL);
  label = error_label (self, key);
  if (label == NULL || !gtk_widget_get_visible (GTK_WIDGET (label)))
    return NULL;
  return gtk_label_get_text (label);
}

const char *
drd_preferences_get_key_status (DrdPreferences *self)
{
  return gtk_label_get_text (self->key_status);
}

void
drd_preferences_show_page (DrdPreferences *self, const char *name)
{
  gtk_stack_set_visible_child_name (self->pages, name);
}

static void
show_error (DrdPreferences *self, const char *key, const char *message)
{
  GtkLabel *label = error_label (self, key);
  GtkWidget *field = drd_preferences_get_field (self, key);

  if (message != NULL)
    {
      gtk_label_set_text (label, message);
      gtk_widget_add_css_class (field, "error");
      gtk_accessible_update_property (GTK_ACCESSIBLE (field),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message, -1);
      gtk_accessible_update_state (GTK_ACCESSIBLE (field), GTK_ACCESSIBLE_STATE_INVALID,
                                   GTK_ACCESSIBLE_INVALID_TRUE, -1);
    }
  else
    {
      gtk_widget_remove_css_class (field, "error");
      gtk_accessible_reset_property (GTK_ACCESSIBLE (field), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
      gtk_accessible_reset_state (GTK_ACCESSIBLE (field), GTK_ACCESSIBLE_STATE_INVALID);
    }
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL);
}

/* ---- numbers ---- */

static GVariant *
number_variant (const GVariantType *type, double d)
{
  if (g_variant_type_equal (type, G_VARIANT_TYPE_UINT32))
    return g_variant_new_uint32 ((guint32) llround (d));
  if (g_variant_type_equal (type, G_VARIANT_TYPE_INT32))
    return g_variant_new_int32 ((gint32) llround (d));
  if (g_variant_type_equal (type, G_VARIANT_TYPE_INT64))
    return g_variant_new_int64 ((gint64) llround (d));
  return g_variant_new_double (d);
}

static double
variant_number (GVariant *v)
{
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_UINT32))
    return g_variant_get_uint32 (v);
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_INT32))
    return g_variant_get_int32 (v);
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_INT64))
    return (double) g_variant_get_int64 (v);
  return g_variant_get_double (v);
}

/* Typed text is checked here so a wrong number is explained instead of
 * silently clamped (update-policy if-valid then keeps the old value). */
static int
on_spin_input (GtkSpinButton *spin, double *new_value, DrdPreferences *self)
{
  const char *key = g_object_get_data (G_OBJECT (spin), "drd-key");
  GtkAdjustment *adj = gtk_spin_button_get_adjustment (spin);
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (spin))));
  guint digits = gtk_spin_button_get_digits (spin);
  char *end = NULL;
  double d;

  g_strdelimit (text, ",", '.');
  d = g_ascii_strtod (text, &end);
  if (text[0] == '\0' || end == NULL || *end != '\0' || !isfinite (d)
      || d < gtk_adjustment_get_lower (adj) || d > gtk_adjustment_get_upper (adj)
      || (digits == 0 && d != floor (d)))
    {
      g_autofree char *msg = NULL;

      if (digits == 0)
        /* Translators: a whole number's allowed range */
        msg = g_strdup_printf (_("Enter a whole number from %.0f to %.0f. The setting was not changed."),
                               gtk_adjustment_get_lower (adj), gtk_adjustment_get_upper (adj));
      else
        msg = g_strdup_printf (_("Enter a number from %.0f to %.0f. The setting was not changed."),
                               gtk_adjustment_get_lower (adj), gtk_adjustment_get_upper (adj));
      show_error (self, key, msg);
      return GTK_INPUT_ERROR;
    }
  show_error (self, key, NULL);
  *new_value = d;
  return TRUE;
}

/* Without a GSettings schema (run from the build tree, no bind possible):
 * through DrdConfig, which keeps the value for this process. */
static void
on_spin_changed (GtkSpinButton *spin, DrdPreferences *self)
{
  const char *key = g_object_get_data (G_OBJECT (spin), "drd-key");
  g_autoptr(GVariant) def = drd_config_get_default_value (key);
  g_autoptr(GError) error = NULL;

  if (self->updating)
    return;
  if (!drd_config_set_value (self->config, key,
                             number_variant (g_variant_get_type (def), gtk_spin_button_get_value (spin)),
                             &error))
    show_error (self, key, error->message);
}

/* ---- addresses and URLs ---- */

static void
commit_entry (DrdPreferences *self, GtkEditable *entry)
{
  const char *key = g_object_get_data (G_OBJECT (entry), "drd-key");
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  g_autoptr(GVariant) current = self->config ? drd_config_get_value (self->config, key, NULL) : NULL;
  g_autoptr(GError) error = NULL;

  if (self->updating || current == NULL)
    return;
  if (g_strcmp0 (text, g_variant_get_string (current, NULL)) == 0)
    {
      show_error (self, key, NULL);
      return;
    }
  if (!drd_config_set_value (self->config, key, g_variant_new_string (text), &error))
    {
      const char *msg;

      if (strcmp (key, "portal-listen-address") == 0)
        msg = _("This is not an IP address. Use 127.0.0.1 (this computer only), 0.0.0.0 "
                "(every network) or the address of one interface. The setting was not changed.");
      else
        msg = _("This is not an http or https URL (for example https://dr.example.com). "
                "The setting was not changed.");
      show_error (self, key, msg);
      return;
    }
  show_error (self, key, NULL);
}

static void
on_entry_activate (GtkEditable *entry, DrdPreferences *self)
{
  commit_entry (self, entry);
}

static void
on_entry_leave (GtkEventControllerFocus *focus, DrdPreferences *self)
{
  commit_entry (self, GTK_EDITABLE (gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (focus))));
}

/* ---- dropdown ---- */

static void
on_dropdown_selected (GtkDropDown *dropdown, GParamSpec *pspec, DrdPreferences *self)
{
  const char *key = g_object_get_data (G_OBJECT (dropdown), "drd-key");
  guint i = gtk_drop_down_get_selected (dropdown);
  g_autoptr(GError) error = NULL;

  if (self->updating || i >= G_N_ELEMENTS (cbl_nicks) - 1)
    return;
  if (!drd_config_set_value (self->config, key, g_variant_new_string (cbl_nicks[i]), &error))
    show_error (self, key, error->message);
  else
    show_error (self, key, NULL);
}

/* ---- filling from the settings ---- */

static void
refresh (DrdPreferences *self)
{
  self->updating = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      GtkWidget *w = drd_preferences_get_field (self, fields[i].key);
      g_autoptr(GVariant) v = drd_config_get_value (self->config, fields[i].key, NULL);

      switch (fields[i].kind)
        {
        case FIELD_ENTRY:
          /* Leave what the operator is typing or was told to fix alone. */
          if (!gtk_widget_has_focus (w) && !gtk_widget_is_focus (w)
              && drd_preferences_get_error (self, fields[i].key) == NULL
              && g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (w)), g_variant_get_string (v, NULL)) != 0)
            gtk_editable_set_text (GTK_EDITABLE (w), g_variant_get_string (v, NULL));
          break;
        case FIELD_SPIN:
          if (drd_config_get_settings (self->config) == NULL)
            gtk_spin_button_set_value (GTK_SPIN_BUTTON (w), variant_number (v));
          break;
        case FIELD_DROPDOWN:
          for (guint n = 0; cbl_nicks[n] != NULL; n++)
            if (strcmp (cbl_nicks[n], g_variant_get_string (v, NULL)) == 0)
              gtk_drop_down_set_selected (GTK_DROP_DOWN (w), n);
          break;
        default:
          g_assert_not_reached ();
        }
    }
  self->updating = FALSE;
}

/* ---- KEPCO service key: written, never read back into a widget ---- */

typedef struct {
  char *db_path;
  char *key;       /* NULL: remove (save) or load */
  gboolean save;
} KeyJob;

static void
key_job_free (KeyJob *job)
{
  if (job->key != NULL)
    explicit_bzero (job->key, strlen (job->key));
  g_free (job->key);
  g_free (job->db_path);
  g_free (job);
}

static void
key_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  KeyJob *job = task_data;
  GError *error = NULL;

  if (job->save)
    {
      if (drd_config_save_service_key (job->db_path, job->key, &error))
        g_task_return_int (task, job->key != NULL && job->key[0] != '\0');
      else
        g_task_return_error (task, error);
    }
  else
    {
      g_autofree char *key = NULL;

      if (drd_config_load_service_key (job->db_path, &key, &error))
        {
          g_task_return_int (task, key != NULL);
          if (key != NULL)
            explicit_bzero (key, strlen (key));
        }
      else
        g_task_return_error (task, error);
    }
}

static void
update_key_widgets (DrdPreferences *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (drd_preferences_get_field (self, SERVICE_KEY)));

  gtk_widget_set_sensitive (self->key_save_button, text[0] != '\0');
  gtk_widget_set_sensitive (self->key_remove_button, self->key_saved);
}

static void
on_key_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DrdPreferences *self = DRD_PREFERENCES (source);
  g_autoptr(GError) error = NULL;
  gssize saved = g_task_propagate_int (G_TASK (result), &error);
  gboolean was_save = GPOINTER_TO_INT (user_data);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      show_error (self, SERVICE_KEY, error->message);
      return;
    }
  show_error (self, SERVICE_KEY, NULL);
  self->key_saved = saved > 0;
  if (was_save)
    gtk_editable_set_text (GTK_EDITABLE (drd_preferences_get_field (self, SERVICE_KEY)), "");
  if (self->key_saved)
    gtk_label_set_text (self->key_status,
                        was_save ? _("The key was saved. It is kept in a file next to the database "
                                     "that only you can read, and is never shown again.")
                                 : _("A key is saved. Paste a new one to replace it."));
  else
    gtk_label_set_text (self->key_status,
                        _("No key is saved: settlement cannot fetch meter data from KEPCO "
                          "(the bundled simulator needs none)."));
  update_key_widgets (self);
}

static void
run_key_job (DrdPreferences *self, gboolean save, const char *key)
{
  g_autoptr(GTask) task = NULL;
  KeyJob *job;

  if (self->db_path == NULL)
    return;
  job = g_new0 (KeyJob, 1);
  job->db_path = g_strdup (self->db_path);
  job->key = g_strdup (key);
  job->save = save;
  task = g_task_new (self, self->cancellable, on_key_done, GINT_TO_POINTER (save));
  g_task_set_source_tag (task, run_key_job);
  g_task_set_task_data (task, job, (GDestroyNotify) key_job_free);
  g_task_run_in_thread (task, key_thread);
}

static void
on_key_save (DrdPreferences *self)
{
  GtkEditable *entry = GTK_EDITABLE (drd_preferences_get_field (self, SERVICE_KEY));
  const char *text = gtk_editable_get_text (entry);

  if (text[0] == '\0')
    return;
  for (const char *p = text; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      {
        show_error (self, SERVICE_KEY, _("A service key is one line of text; nothing was saved."));
        return;
      }
  run_key_job (self, TRUE, text);
}

static void
on_key_remove (DrdPreferences *self)
{
  run_key_job (self, TRUE, NULL);
}

static void
on_key_changed (DrdPreferences *self)
{
  update_key_widgets (self);
}

/* ---- GObject ---- */

static gboolean
close_cb (GtkWidget *widget, GVariant *args, gpointer user_data)
{
  gtk_window_close (GTK_WINDOW (widget));
  return TRUE;
}

static void
drd_preferences_dispose (GObject *object)
{
  DrdPreferences *self = DRD_PREFERENCES (object);

  g_cancellable_cancel (self->cancellable);
  if (self->config != NULL)
    g_signal_handlers_disconnect_by_data (self->config, self);
  g_clear_object (&self->config);
  gtk_widget_dispose_template (GTK_WIDGET (self), DRD_TYPE_PREFERENCES);
  G_OBJECT_CLASS (drd_preferences_parent_class)->dispose (object);
}

static void
drd_preferences_finalize (GObject *object)
{
  DrdPreferences *self = DRD_PREFERENCES (object);

  g_clear_object (&self->cancellable);
  g_free (self->db_path);
  G_OBJECT_CLASS (drd_preferences_parent_class)->finalize (object);
}

static void
drd_preferences_class_init (DrdPreferencesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = drd_preferences_dispose;
  object_class->finalize = drd_preferences_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/kr/drdesk/DrDesk/drd-preferences.ui");
  gtk_widget_class_bind_template_child (widget_class, DrdPreferences, pages);
  gtk_widget_class_bind_template_child (widget_class, DrdPreferences, key_save_button);
  gtk_widget_class_bind_template_child (widget_class, DrdPreferences, key_remove_button);
  gtk_widget_class_bind_template_child (widget_class, DrdPreferences, key_status);
  gtk_widget_class_bind_template_callback (widget_class, on_key_save);
  gtk_widget_class_bind_template_callback (widget_class, on_key_remove);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Escape, 0, close_cb, NULL);
  /* Every field and its error label, reachable by name (no struct member). */
  for (guint i = 0; i <= G_N_ELEMENTS (fields); i++)
    {
      g_autofree char *id = widget_id (i < G_N_ELEMENTS (fields) ? fields[i].key : SERVICE_KEY);
      g_autofree char *error_id = g_strconcat (id, "_error", NULL);

      gtk_widget_class_bind_template_child_full (widget_class, id, FALSE, 0);
      gtk_widget_class_bind_template_child_full (widget_class, error_id, FALSE, 0);
    }
}

static void
drd_preferences_init (DrdPreferences *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

static void
setup_fields (DrdPreferences *self)
{
  GSettings *settings = drd_config_get_settings (self->config);
  GtkWidget *key_entry = drd_preferences_get_field (self, SERVICE_KEY);

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      GtkWidget *w = drd_preferences_get_field (self, fields[i].key);

      g_assert (w != NULL);
      g_object_set_data (G_OBJECT (w), "drd-key", (gpointer) fields[i].key);
      switch (fields[i].kind)
        {
        case FIELD_ENTRY:
          {
            GtkEventController *focus = gtk_event_controller_focus_new ();

            g_signal_connect (focus, "leave", G_CALLBACK (on_entry_leave), self);
            gtk_widget_add_controller (w, focus);
            g_signal_connect (w, "activate", G_CALLBACK (on_entry_activate), self);
          }
          break;
        case FIELD_SPIN:
          g_signal_connect (w, "input", G_CALLBACK (on_spin_input), self);
          if (settings != NULL)
            g_settings_bind (settings, fields[i].key,
                             gtk_spin_button_get_adjustment (GTK_SPIN_BUTTON (w)), "value",
                             G_SETTINGS_BIND_DEFAULT);
          else
            g_signal_connect (w, "value-changed", G_CALLBACK (on_spin_changed), self);
          break;
        case FIELD_DROPDOWN:
          g_signal_connect (w, "notify::selected", G_CALLBACK (on_dropdown_selected), self);
          break;
        default:
          g_assert_not_reached ();
        }
    }
  refresh (self);
  g_signal_connect_swapped (self->config, "portal-changed", G_CALLBACK (refresh), self);
  g_signal_connect_swapped (self->config, "kepco-changed", G_CALLBACK (refresh), self);
  g_signal_connect_swapped (self->config, "params-changed", G_CALLBACK (refresh), self);

  g_signal_connect_swapped (key_entry, "changed", G_CALLBACK (on_key_changed), self);
  g_signal_connect_swapped (key_entry, "activate", G_CALLBACK (on_key_save), self);
  if (self->db_path != NULL)
    run_key_job (self, FALSE, NULL);
  else
    {
      gtk_widget_set_sensitive (key_entry, FALSE);
      gtk_label_set_text (self->key_status, _("Open a database first."));
    }
}

DrdPreferences *
drd_preferences_new (GtkWindow *parent, DrdConfig *config, const char *db_path)
{
  DrdPreferences *self;

  g_return_val_if_fail (DRD_IS_CONFIG (config), NULL);

  self = g_object_new (DRD_TYPE_PREFERENCES,
                       "transient-for", parent,
                       "modal", parent != NULL,
                       "destroy-with-parent", TRUE,
                       NULL);
  self->config = g_object_ref (config);
  self->db_path = g_strdup (db_path);
  setup_fields (self);
  return self;
}

static void
on_prefs_destroy (GtkWidget *prefs, GtkWindow *parent)
{
  if (g_object_get_data (G_OBJECT (parent), "drd-preferences") == (gpointer) prefs)
    g_object_set_data (G_OBJECT (parent), "drd-preferences", NULL);
}

DrdPreferences *
drd_preferences_present (GtkWindow *parent, DrdConfig *config, const char *db_path)
{
  DrdPreferences *self = NULL;

  if (parent != NULL)
    self = g_object_get_data (G_OBJECT (parent), "drd-preferences");
  if (self == NULL)
    {
      self = drd_preferences_new (parent, config, db_path);
      if (parent != NULL)
        {
          g_object_set_data (G_OBJECT (parent), "drd-preferences", self);
          g_signal_connect_object (self, "destroy", G_CALLBACK (on_prefs_destroy), parent, 0);
        }
    }
  gtk_window_present (GTK_WINDOW (self));
  return self;
}
