/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "portal/drd-portal-page.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "portal/drd-portal-template.h"

/* The tables' "%s" strings, filled without a non-literal printf format. */
static char *
subst (const char *fmt,
       const char *arg)
{
  const char *at = strstr (fmt, "%s");
  g_autofree char *head = NULL;

  if (at == NULL)
    return g_strdup (fmt);
  head = g_strndup (fmt, at - fmt);
  return g_strconcat (head, arg, at + 2, NULL);
}

static GHashTable *
vars_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
}

static void
set_var (GHashTable *vars,
         const char *name,
         const char *value)
{
  g_hash_table_replace (vars, (gpointer) name, g_strdup (value ? value : ""));
}

static void
take_var (GHashTable *vars,
          const char *name,
          char       *value)
{
  g_hash_table_replace (vars, (gpointer) name, value);
}

/* "What is asked: … during %s." around a time that must not break. */
static void
set_asked (GHashTable    *vars,
           DrdPortalLang  lang,
           const char    *when)
{
  const char *fmt = drd_portal_str (lang, DRD_PS_ASKED);
  const char *at = strstr (fmt, "%s");

  g_assert (at != NULL);
  take_var (vars, "asked_before", g_strndup (fmt, at - fmt));
  set_var (vars, "asked_when", when);
  set_var (vars, "asked_after", at + 2);
}

/* Why an event no longer takes answers, or NULL when it does. */
static const char *
closed_reason (DrdPortalLang         lang,
               const DrdPortalEvent *e,
               gint64                now)
{
  if (drd_portal_event_is_open (e, now))
    return NULL;
  if (e->status == DRD_EVENT_CANCELLED)
    return drd_portal_str (lang, DRD_PS_CLOSED_CANCELLED);
  if (e->status == DRD_EVENT_SCHEDULED || e->status == DRD_EVENT_ACTIVE)
    {
      if (now >= e->end_at)
        return drd_portal_str (lang, DRD_PS_CLOSED_ENDED);
      return drd_portal_str (lang, DRD_PS_CLOSED_DEADLINE);
    }
  return drd_portal_str (lang, DRD_PS_CLOSED_ENDED);
}

static char *
page_url (const char    *token,
          DrdPortalLang  lang,
          gboolean       lang_explicit)
{
  if (lang_explicit)
    return g_strdup_printf ("/r/%s?lang=%s", token, drd_portal_lang_to_string (lang));
  return g_strdup_printf ("/r/%s", token);
}

static char *
render_event (const DrdPortalEvent *e,
              DrdPortalLang         lang,
              gboolean              lang_explicit,
              const char           *token,
              gint64                now)
{
  g_autoptr(GHashTable) vars = vars_new ();
  const char *reason = closed_reason (lang, e, now);

  take_var (vars, "event_id", g_strdup_printf ("%" G_GINT64_FORMAT, e->event_id));
  set_var (vars, "name", e->name);
  set_var (vars, "kind", drd_portal_kind_str (lang, e->kind));
  set_var (vars, "t_window", drd_portal_str (lang, DRD_PS_WINDOW));
  {
    g_autofree char *day = NULL, *hours = NULL;

    /* Two parts that each stay on one line of a 390 px phone. */
    if (drd_portal_format_window_parts (lang, e->start_at, e->end_at, &day, &hours))
      {
        take_var (vars, "window_day", g_steal_pointer (&day));
        take_var (vars, "window_hours", g_strdup_printf ("%s KST", hours));
        set_asked (vars, lang, hours);
      }
    else
      {
        g_autofree char *window = drd_portal_format_window (lang, e->start_at, e->end_at);

        take_var (vars, "window_day", g_steal_pointer (&day));
        take_var (vars, "window_hours", g_strdup_printf ("– %s KST", hours));
        set_asked (vars, lang, window);
      }
  }
  set_var (vars, "t_deadline", drd_portal_str (lang, DRD_PS_DEADLINE));
  take_var (vars, "deadline", drd_portal_format_time (lang, e->answer_deadline));
  set_var (vars, "t_status", drd_portal_str (lang, DRD_PS_STATUS));
  set_var (vars, "status", drd_portal_status_str (lang, e->status));
  set_var (vars, "status_key", drd_event_status_to_string (e->status));
  set_var (vars, "t_your_answer", drd_portal_str (lang, DRD_PS_YOUR_ANSWER));
  set_var (vars, "answer", drd_portal_answer_str (lang, e->answer));
  set_var (vars, "answer_key", drd_answer_to_string (e->answer));
  set_var (vars, "state", reason ? "is-closed" : "is-open");

  if (e->answered_at > 0)
    {
      g_autoptr(GHashTable) row = vars_new ();
      g_autofree char *when = drd_portal_format_time (lang, e->answered_at);

      set_var (row, "t_answered_at", drd_portal_str (lang, DRD_PS_ANSWERED_AT));
      set_var (row, "answered_at", when);
      take_var (vars, "answered_at_row",
                drd_portal_template_render (drd_portal_template_get ("answered-at.html"), row));
    }

  if (reason != NULL)
    {
      g_autoptr(GHashTable) closed = vars_new ();

      set_var (closed, "text", reason);
      take_var (vars, "controls",
                drd_portal_template_render (drd_portal_template_get ("closed.html"), closed));
    }
  else
    {
      g_autoptr(GHashTable) form = vars_new ();

      take_var (form, "action", page_url (token, lang, lang_explicit));
      take_var (form, "event_id", g_strdup_printf ("%" G_GINT64_FORMAT, e->event_id));
      set_var (form, "t_accept", drd_portal_str (lang, DRD_PS_BUTTON_ACCEPT));
      set_var (form, "t_deny", drd_portal_str (lang, DRD_PS_BUTTON_DENY));
      set_var (form, "accept_pressed", e->answer == DRD_ANSWER_ACCEPT ? "true" : "false");
      set_var (form, "deny_pressed", e->answer == DRD_ANSWER_DENY ? "true" : "false");
      set_var (form, "t_can_change", drd_portal_str (lang, DRD_PS_CAN_CHANGE));
      take_var (vars, "controls",
                drd_portal_template_render (drd_portal_template_get ("form.html"), form));
    }

  return drd_portal_template_render (drd_portal_template_get ("event.html"), vars);
}

char *
drd_portal_page_render (const DrdPortalView *view,
                        DrdPortalLang        lang,
                        gboolean             lang_explicit,
                        const char          *token,
                        gint64               saved_event_id,
                        gint64               now)
{
  g_autoptr(GHashTable) vars = vars_new ();
  g_autoptr(GString) events = g_string_new ("");
  DrdPortalLang other = lang == DRD_PORTAL_LANG_EN ? DRD_PORTAL_LANG_KO : DRD_PORTAL_LANG_EN;

  g_return_val_if_fail (view != NULL, NULL);
  g_return_val_if_fail (drd_link_token_is_well_formed (token), NULL);

  set_var (vars, "lang", drd_portal_str (lang, DRD_PS_HTML_LANG));
  set_var (vars, "title", drd_portal_str (lang, DRD_PS_TITLE));
  take_var (vars, "greeting", subst (drd_portal_str (lang, DRD_PS_GREETING), view->name));
  set_var (vars, "intro", drd_portal_str (lang, DRD_PS_INTRO));
  set_var (vars, "other_lang", drd_portal_str (lang, DRD_PS_OTHER_LANG));
  set_var (vars, "other_lang_code", drd_portal_lang_to_string (other));
  take_var (vars, "other_lang_url", page_url (token, other, TRUE));
  take_var (vars, "events_url", g_strdup_printf ("/r/%s/events", token));
  set_var (vars, "live_note", drd_portal_str (lang, DRD_PS_LIVE_NOTE));

  for (guint i = 0; i < view->events->len; i++)
    {
      const DrdPortalEvent *e = view->events->pdata[i];
      g_autofree char *html = render_event (e, lang, lang_explicit, token, now);

      g_string_append (events, html);
      if (e->event_id == saved_event_id && e->answer != DRD_ANSWER_NONE)
        {
          g_autoptr(GHashTable) banner = vars_new ();

          take_var (banner, "text", subst (drd_portal_str (lang, DRD_PS_SAVED),
                                           drd_portal_answer_str (lang, e->answer)));
          take_var (vars, "banner",
                    drd_portal_template_render (drd_portal_template_get ("saved.html"), banner));
        }
    }
  if (view->events->len == 0)
    {
      g_autoptr(GHashTable) none = vars_new ();

      set_var (none, "text", drd_portal_str (lang, DRD_PS_NO_EVENTS));
      g_autofree char *html = drd_portal_template_render (drd_portal_template_get ("none.html"),
                                                          none);
      g_string_append (events, html);
    }
  take_var (vars, "events", g_string_free (g_steal_pointer (&events), FALSE));

  return drd_portal_template_render (drd_portal_template_get ("page.html"), vars);
}

char *
drd_portal_page_message (DrdPortalLang   lang,
                         DrdPortalString title,
                         const char     *text,
                         const char     *token)
{
  g_autoptr(GHashTable) vars = vars_new ();

  set_var (vars, "lang", drd_portal_str (lang, DRD_PS_HTML_LANG));
  set_var (vars, "title", drd_portal_str (lang, title));
  set_var (vars, "text", text);
  if (token != NULL && drd_link_token_is_well_formed (token))
    {
      g_autoptr(GHashTable) back = vars_new ();

      take_var (back, "url", g_strdup_printf ("/r/%s?lang=%s", token,
                                              drd_portal_lang_to_string (lang)));
      set_var (back, "text", drd_portal_str (lang, DRD_PS_BACK));
      take_var (vars, "back",
                drd_portal_template_render (drd_portal_template_get ("back.html"), back));
    }
  return drd_portal_template_render (drd_portal_template_get ("message.html"), vars);
}

static char *
to_json (JsonBuilder *b)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (b);

  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static void
add_time (JsonBuilder *b,
          const char  *name,
          gint64       t)
{
  json_builder_set_member_name (b, name);
  if (t > 0)
    {
      g_autofree char *iso = drd_portal_iso8601 (t);
      json_builder_add_string_value (b, iso);
    }
  else
    json_builder_add_null_value (b);
}

static void
add_event (JsonBuilder          *b,
           const DrdPortalEvent *e)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event_id");
  json_builder_add_int_value (b, e->event_id);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, e->name);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, drd_event_kind_to_string (e->kind));
  add_time (b, "start", e->start_at);
  add_time (b, "end", e->end_at);
  add_time (b, "answer_deadline", e->answer_deadline);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, drd_event_status_to_string (e->status));
  json_builder_set_member_name (b, "answer");
  json_builder_add_string_value (b, drd_answer_to_string (e->answer));
  add_time (b, "answered_at", e->answered_at);
  json_builder_end_object (b);
}

char *
drd_portal_view_to_json (const DrdPortalView *view)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "customer");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "customer_id");
  json_builder_add_int_value (b, view->customer_id);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, view->name);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "events");
  json_builder_begin_array (b);
  for (guint i = 0; i < view->events->len; i++)
    add_event (b, view->events->pdata[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  return to_json (b);
}

char *
drd_portal_answer_to_json (const DrdPortalEvent *e)
{
  /* Every value is a number or one of our own fixed words: printed
   * directly, this is the hot path of the API. */
  g_autofree char *answered_at = e->answered_at > 0 ? drd_portal_iso8601 (e->answered_at) : NULL;

  return g_strdup_printf ("{\"event_id\":%" G_GINT64_FORMAT ",\"answer\":\"%s\","
                          "\"answered_at\":%s%s%s,\"channel\":\"%s\"}",
                          e->event_id, drd_answer_to_string (e->answer),
                          answered_at ? "\"" : "", answered_at ? answered_at : "null",
                          answered_at ? "\"" : "", drd_channel_to_string (e->channel));
}
