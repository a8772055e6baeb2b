/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "gui/drd-gui-util.h"

GTimeZone *
drd_gui_seoul (void)
{
  static GTimeZone *tz;

  if (g_once_init_enter (&tz))
    g_once_init_leave (&tz, g_time_zone_new_offset (DRD_SEOUL_OFFSET_S));
  return tz;
}

static GDateTime *
to_local (gint64 unix_s)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (unix_s);

  return g_date_time_to_timezone (utc, drd_gui_seoul ());
}

char *
drd_gui_format_time (gint64 unix_s)
{
  g_autoptr(GDateTime) dt = NULL;

  if (unix_s <= 0)
    return g_strdup ("—");
  dt = to_local (unix_s);
  return g_date_time_format (dt, "%Y-%m-%d %H:%M");
}

char *
drd_gui_format_clock (gint64 unix_s)
{
  g_autoptr(GDateTime) dt = to_local (unix_s);

  return g_date_time_format (dt, "%H:%M");
}

char *
drd_gui_format_window (gint64 start_s, gint64 end_s)
{
  g_autoptr(GDateTime) a = to_local (start_s);
  g_autoptr(GDateTime) b = to_local (end_s);
  g_autofree char *left = g_date_time_format (a, "%Y-%m-%d %H:%M");
  g_autofree char *right = NULL;

  if (g_date_time_get_year (a) == g_date_time_get_year (b)
      && g_date_time_get_day_of_year (a) == g_date_time_get_day_of_year (b))
    right = g_date_time_format (b, "%H:%M");
  else
    right = g_date_time_format (b, "%Y-%m-%d %H:%M");
  return g_strdup_printf ("%s – %s", left, right);
}

char *
drd_gui_format_number (gint64 value, guint decimals)
{
  guint64 magnitude = value < 0 ? -(guint64) value : (guint64) value;
  guint64 scale = 1;
  g_autofree char *whole = NULL;
  GString *out = g_string_new (value < 0 ? "-" : "");
  gsize len;

  g_return_val_if_fail (decimals <= 9, g_string_free (out, FALSE));
  for (guint i = 0; i < decimals; i++)
    scale *= 10;
  whole = g_strdup_printf ("%" G_GUINT64_FORMAT, magnitude / scale);
  len = strlen (whole);
  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, whole[i]);
    }
  if (decimals > 0)
    g_string_append_printf (out, ".%0*" G_GUINT64_FORMAT, (int) decimals, magnitude % scale);
  return g_string_free (out, FALSE);
}

char *
drd_gui_format_int (gint64 value)
{
  return drd_gui_format_number (value, 0);
}

char *
drd_gui_format_kwh (gint64 wh)
{
  return drd_gui_format_number (wh, 3);
}

char *
drd_gui_format_kw (gint64 watts)
{
  /* to a tenth of a kW, half away from zero; no ".0" */
  gint64 tenths = (watts + (watts >= 0 ? 50 : -50)) / 100;
  g_autofree char *number = tenths % 10 != 0 ? drd_gui_format_number (tenths, 1)
                                             : drd_gui_format_number (tenths / 10, 0);

  /* TRANSLATORS: a power; %s is the number */
  return g_strdup_printf (_("%s kW"), number);
}

char *
drd_gui_format_duration (gint64 seconds)
{
  gint64 h, m;

  if (seconds < 0)
    seconds = 0;
  h = seconds / 3600;
  m = (seconds % 3600) / 60;
  if (h > 0)
    /* TRANSLATORS: hours and minutes */
    return g_strdup_printf (_("%d h %02d min"), (int) h, (int) m);
  if (m > 0)
    return g_strdup_printf (_("%d min"), (int) m);
  return g_strdup_printf (_("%d s"), (int) seconds);
}

const char *
drd_gui_kind_label (DrdEventKind kind)
{
  switch (kind)
    {
    case DRD_EVENT_KIND_RELIABILITY: return _("Reliability");
    case DRD_EVENT_KIND_ECONOMIC: return _("Economic");
    case DRD_EVENT_KIND_CITIZEN: return _("Citizen");
    default: return "?";
    }
}

const char *
drd_gui_status_label (DrdEventStatus status)
{
  switch (status)
    {
    case DRD_EVENT_SCHEDULED: return _("Scheduled");
    case DRD_EVENT_ACTIVE: return _("Running");
    case DRD_EVENT_ENDED: return _("Ended");
    case DRD_EVENT_SETTLING: return _("Settling");
    case DRD_EVENT_SETTLED: return _("Settled");
    case DRD_EVENT_CANCELLED: return _("Cancelled");
    default: return "?";
    }
}

const char *
drd_gui_answer_label (int answer)
{
  switch (answer)
    {
    case DRD_ANSWER_NONE: return _("No response");
    case DRD_ANSWER_ACCEPT: return _("Accepted");
    case DRD_ANSWER_DENY: return _("Denied");
    default: return _("Never asked");
    }
}

const char *
drd_gui_channel_label (DrdChannel channel)
{
  switch (channel)
    {
    case DRD_CHANNEL_PORTAL: return _("Web form");
    case DRD_CHANNEL_API: return _("App");
    case DRD_CHANNEL_OPERATOR: return _("Operator");
    case DRD_CHANNEL_NONE:
    default: return "—";
    }
}

const char *
drd_gui_outcome_label (DrdOutcome outcome)
{
  switch (outcome)
    {
    case DRD_OUTCOME_PERFORMED: return _("Performed");
    case DRD_OUTCOME_NOT_PERFORMED: return _("Not performed");
    case DRD_OUTCOME_NOT_PARTICIPATING: return _("Not participating");
    case DRD_OUTCOME_NEEDS_REVIEW: return _("Needs review");
    case DRD_OUTCOME_PENDING:
    default: return _("Pending");
    }
}

const char *
drd_gui_cbl_label (DrdCblMethod method)
{
  return method == DRD_CBL_MAX_4_5 ? _("Max(4/5)") : _("Mid(6/10)");
}

void
drd_gui_kind_color (DrdEventKind kind, GdkRGBA *out)
{
  static const char *colors[] = { "#c01c28", "#1c71d8", "#2ec27e" };

  gdk_rgba_parse (out, colors[CLAMP ((int) kind, 0, 2)]);
}

gint64
drd_gui_local_midnight (gint64 unix_s)
{
  gint64 local = unix_s + DRD_SEOUL_OFFSET_S;
  gint64 day = local - (((local % 86400) + 86400) % 86400);

  return day - DRD_SEOUL_OFFSET_S;
}

char *
drd_gui_operator_actor (void)
{
  return g_strdup_printf ("operator:%s@%s", g_get_user_name (), g_get_host_name ());
}
