/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "core/drd-calendar.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (drd-calendar-error-quark, drd_calendar_error)

struct _DrdCalendar
{
  GObject     parent_instance;

  /* owned: DrdDate (GINT_TO_POINTER) → name (g_strdup'd, "" for none) */
  GHashTable *holidays;
};

G_DEFINE_FINAL_TYPE (DrdCalendar, drd_calendar, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
drd_calendar_finalize (GObject *object)
{
  DrdCalendar *self = DRD_CALENDAR (object);

  g_clear_pointer (&self->holidays, g_hash_table_unref);
  G_OBJECT_CLASS (drd_calendar_parent_class)->finalize (object);
}

static void
drd_calendar_class_init (DrdCalendarClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = drd_calendar_finalize;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
drd_calendar_init (DrdCalendar *self)
{
  self->holidays = g_hash_table_new_full (NULL, NULL, NULL, g_free);
}

DrdCalendar *
drd_calendar_new (void)
{
  return g_object_new (DRD_TYPE_CALENDAR, NULL);
}

DrdCalendar *
drd_calendar_new_from_data (const char *data, gssize len, GError **error)
{
  g_autoptr (DrdCalendar) calendar = drd_calendar_new ();

  if (!drd_calendar_load_data (calendar, data, len, error))
    return NULL;
  return g_steal_pointer (&calendar);
}

static void
merge_name (GHashTable *table, DrdDate date, const char *name)
{
  const char *old = g_hash_table_lookup (table, GINT_TO_POINTER (date));
  char *merged;

  if (old == NULL || *old == '\0')
    merged = g_strdup (name ? name : "");
  else if (name == NULL || *name == '\0' || strcmp (old, name) == 0)
    merged = g_strdup (old);
  else
    merged = g_strconcat (old, " / ", name, NULL);
  g_hash_table_insert (table, GINT_TO_POINTER (date), merged);
}

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t';
}

/* Parses into a scratch table first, so a bad line leaves @calendar as it was. */
gboolean
drd_calendar_load_data (DrdCalendar *calendar, const char *data, gssize len, GError **error)
{
  g_autoptr (GHashTable) parsed = NULL;
  const char *p, *end;
  guint line_no = 0;
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (DRD_IS_CALENDAR (calendar), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (len < 0)
    len = (gssize) strlen (data);
  p = data;
  end = data + len;
  if (len >= 3 && memcmp (p, "\xEF\xBB\xBF", 3) == 0)
    p += 3;

  parsed = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  while (p < end)
    {
      const char *eol = memchr (p, '\n', (size_t) (end - p));
      const char *line_end = eol ? eol : end;
      const char *hash, *comma, *s, *e;
      g_autofree char *date_text = NULL;
      g_autofree char *name = NULL;
      DrdDate date;
      g_autoptr (GError) local_error = NULL;

      line_no++;
      hash = memchr (p, '#', (size_t) (line_end - p));
      if (hash)
        line_end = hash;
      if (!g_utf8_validate (p, line_end - p, NULL))
        {
          g_set_error (error, DRD_CALENDAR_ERROR, DRD_CALENDAR_ERROR_PARSE,
                       _("line %u: the text is not valid UTF-8"), line_no);
          return FALSE;
        }
      /* trim spaces and the CR of CRLF */
      s = p;
      e = line_end;
      while (s < e && (is_space (*s) || *s == '\r'))
        s++;
      while (e > s && (is_space (e[-1]) || e[-1] == '\r'))
        e--;
      p = eol ? eol + 1 : end;
      if (s == e)
        continue;

      comma = memchr (s, ',', (size_t) (e - s));
      {
        const char *de = comma ? comma : e;
        while (de > s && is_space (de[-1]))
          de--;
        date_text = g_strndup (s, (gsize) (de - s));
      }
      if (comma)
        {
          const char *ns = comma + 1;
          while (ns < e && is_space (*ns))
            ns++;
          name = g_strndup (ns, (gsize) (e - ns));
          if (strchr (name, '\r') != NULL)
            {
              g_set_error (error, DRD_CALENDAR_ERROR, DRD_CALENDAR_ERROR_PARSE,
                           _("line %u: stray carriage return in the name"), line_no);
              return FALSE;
            }
        }
      if (!drd_date_parse (date_text, &date, &local_error))
        {
          g_set_error (error, DRD_CALENDAR_ERROR, DRD_CALENDAR_ERROR_PARSE,
                       _("line %u: “%s” is not a valid date (expected YYYY-MM-DD, e.g. 2026-03-01)"),
                       line_no, date_text);
          return FALSE;
        }
      merge_name (parsed, date, name);
    }

  g_hash_table_iter_init (&iter, parsed);
  while (g_hash_table_iter_next (&iter, &key, &value))
    merge_name (calendar->holidays, GPOINTER_TO_INT (key), value);
  if (g_hash_table_size (parsed) > 0)
    g_signal_emit (calendar, signals[CHANGED], 0);
  return TRUE;
}

static int
compare_dates (gconstpointer a, gconstpointer b)
{
  DrdDate x = *(const DrdDate *) a, y = *(const DrdDate *) b;
  return (x > y) - (x < y);
}

DrdDate *
drd_calendar_list (DrdCalendar *calendar, DrdDate from, DrdDate to, guint *n_out)
{
  GArray *dates;
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (DRD_IS_CALENDAR (calendar), NULL);
  g_return_val_if_fail (n_out != NULL, NULL);

  dates = g_array_new (FALSE, FALSE, sizeof (DrdDate));
  g_hash_table_iter_init (&iter, calendar->holidays);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      DrdDate d = GPOINTER_TO_INT (key);
      if (d >= from && d <= to)
        g_array_append_val (dates, d);
    }
  g_array_sort (dates, compare_dates);
  *n_out = dates->len;
  if (dates->len == 0)
    {
      g_array_free (dates, TRUE);
      return NULL;
    }
  return (DrdDate *) (void *) g_array_free (dates, FALSE);
}

char *
drd_calendar_to_data (DrdCalendar *calendar)
{
  g_autofree DrdDate *dates = NULL;
  GString *out;
  guint n;

  g_return_val_if_fail (DRD_IS_CALENDAR (calendar), NULL);

  dates = drd_calendar_list (calendar, G_MININT32 + 1, G_MAXINT32, &n);
  out = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    {
      char buf[11];
      const char *name = drd_calendar_get_name (calendar, dates[i]);

      g_string_append (out, drd_date_format_buf (dates[i], buf));
      if (name && *name)
        {
          g_string_append_c (out, ',');
          g_string_append (out, name);
        }
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

gboolean
drd_calendar_add (DrdCalendar *calendar, DrdDate date, const char *name)
{
  gboolean was;

  g_return_val_if_fail (DRD_IS_CALENDAR (calendar), FALSE);
  was = g_hash_table_contains (calendar->holidays, GINT_TO_POINTER (date));
  g_hash_table_insert (calendar->holidays, GINT_TO_POINTER (date), g_strdup (name ? name : ""));
  g_signal_emit (calendar, signals[CHANGED], 0);
  return !was;
}

gboolean
drd_calendar_remove (DrdCalendar *calendar, DrdDate date)
{
  g_return_val_if_fail (DRD_IS_CALENDAR (calendar), FALSE);
  if (!g_hash_table_remove (calendar->holidays, GINT_TO_POINTER (date)))
    return FALSE;
  g_signal_emit (calendar, signals[CHANGED], 0);
  return TRUE;
}

gboolean
drd_calendar_is_holiday (DrdCalendar *calendar, DrdDate date)
{
  g_return_val_if_fail (DRD_IS_CALENDAR (calendar), FALSE);
  return g_hash_table_contains (calendar->holidays, GINT_TO_POINTER (date));
}

const char *
drd_calendar_get_name (DrdCalendar *calendar, DrdDate date)
{
  g_return_val_if_fail (DRD_IS_CALENDAR (calendar), NULL);
  return g_hash_table_lookup (calendar->holidays, GINT_TO_POINTER (date));
}

guint
drd_calendar_get_n_holidays (DrdCalendar *calendar)
{
  g_return_val_if_fail (DRD_IS_CALENDAR (calendar), 0);
  return g_hash_table_size (calendar->holidays);
}

gboolean
drd_calendar_is_weekday (DrdDate date)
{
  return drd_date_is_weekday (date);
}

gboolean
drd_calendar_is_business_day (DrdCalendar *calendar, DrdDate date)
{
  g_return_val_if_fail (calendar == NULL || DRD_IS_CALENDAR (calendar), FALSE);
  if (!drd_date_is_weekday (date))
    return FALSE;
  return calendar == NULL || !drd_calendar_is_holiday (calendar, date);
}
