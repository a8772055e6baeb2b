/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "core/drd-types.h"

#include <glib/gi18n-lib.h>
#include <string.h>

static const char *cbl_names[] = { "mid-6-10", "max-4-5" };
static const char *kind_names[] = { "reliability", "economic", "citizen" };
static const char *status_names[] = { "scheduled", "active", "ended", "settling", "settled", "cancelled" };
static const char *answer_names[] = { "none", "accept", "deny" };
static const char *channel_names[] = { "none", "portal", "api", "operator" };
static const char *outcome_names[] = { "pending", "performed", "not_performed", "not_participating", "needs_review" };

static const char *
name_of (const char * const *names, guint n, int value)
{
  if (value < 0 || (guint) value >= n)
    return NULL;
  return names[value];
}

static gboolean
value_of (const char * const *names, guint n, const char *s, int *out)
{
  if (s == NULL)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (strcmp (names[i], s) == 0)
      {
        *out = (int) i;
        return TRUE;
      }
  return FALSE;
}

#define DEFINE_ENUM_STRINGS(prefix, Type, table)                              \
  const char *prefix##_to_string (Type v)                                     \
  {                                                                           \
    return name_of (table, G_N_ELEMENTS (table), (int) v);                    \
  }                                                                           \
  gboolean prefix##_from_string (const char *s, Type *out)                    \
  {                                                                           \
    int v;                                                                    \
    if (!value_of (table, G_N_ELEMENTS (table), s, &v))                       \
      return FALSE;                                                           \
    *out = (Type) v;                                                          \
    return TRUE;                                                              \
  }

DEFINE_ENUM_STRINGS (drd_cbl_method, DrdCblMethod, cbl_names)
DEFINE_ENUM_STRINGS (drd_event_kind, DrdEventKind, kind_names)
DEFINE_ENUM_STRINGS (drd_event_status, DrdEventStatus, status_names)
DEFINE_ENUM_STRINGS (drd_answer, DrdAnswer, answer_names)
DEFINE_ENUM_STRINGS (drd_channel, DrdChannel, channel_names)
DEFINE_ENUM_STRINGS (drd_outcome, DrdOutcome, outcome_names)

DrdCustomer *
drd_customer_new (void)
{
  return g_new0 (DrdCustomer, 1);
}

DrdCustomer *
drd_customer_copy (const DrdCustomer *c)
{
  DrdCustomer *copy;

  g_return_val_if_fail (c != NULL, NULL);
  copy = g_memdup2 (c, sizeof *c);
  copy->name = g_strdup (c->name);
  copy->kepco_no = g_strdup (c->kepco_no);
  copy->resource = g_strdup (c->resource);
  copy->phone = g_strdup (c->phone);
  copy->email = g_strdup (c->email);
  copy->webhook_url = g_strdup (c->webhook_url);
  return copy;
}

void
drd_customer_free (DrdCustomer *c)
{
  if (c == NULL)
    return;
  g_free (c->name);
  g_free (c->kepco_no);
  g_free (c->resource);
  g_free (c->phone);
  g_free (c->email);
  g_free (c->webhook_url);
  g_free (c);
}

gint64
drd_event_default_answer_deadline (gint64 start_at,
                                   gint64 end_at,
                                   gint64 now)
{
  return start_at > now ? start_at : end_at;
}

DrdEvent *
drd_event_new (void)
{
  return g_new0 (DrdEvent, 1);
}

DrdEvent *
drd_event_copy (const DrdEvent *e)
{
  DrdEvent *copy;

  g_return_val_if_fail (e != NULL, NULL);
  copy = g_memdup2 (e, sizeof *e);
  copy->name = g_strdup (e->name);
  copy->resources = g_strdupv (e->resources);
  return copy;
}

void
drd_event_free (DrdEvent *e)
{
  if (e == NULL)
    return;
  g_free (e->name);
  g_strfreev (e->resources);
  g_free (e);
}

G_DEFINE_QUARK (drd-types-error-quark, drd_types_error)

gboolean
drd_milli_parse (const char *text, gint64 *out, GError **error)
{
  const gint64 int_limit = G_MAXINT64 / 1000;
  const char *p = text;
  gboolean negative = FALSE, any_digit = FALSE, round_up = FALSE;
  gint64 whole = 0, frac = 0;
  int decimals = 0;

  g_return_val_if_fail (out != NULL, FALSE);
  if (p == NULL)
    p = text = "";
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p == '+' || *p == '-')
    negative = *p++ == '-';
  while (g_ascii_isdigit (*p))
    {
      int digit = *p++ - '0';

      any_digit = TRUE;
      if (whole > (int_limit - digit) / 10)
        goto bad;
      whole = whole * 10 + digit;
    }
  if (*p == '.')
    {
      p++;
      while (g_ascii_isdigit (*p))
        {
          any_digit = TRUE;
          if (decimals < 3)
            frac = frac * 10 + (*p - '0');
          else if (decimals == 3)
            round_up = *p >= '5';
          decimals++;
          p++;
        }
      for (int d = decimals; d < 3; d++)
        frac *= 10;
    }
  while (*p == ' ' || *p == '\t')
    p++;
  if (!any_digit || *p != '\0')
    goto bad;
  frac += round_up;
  if (whole == int_limit && frac > G_MAXINT64 % 1000)
    goto bad;
  *out = negative ? -(whole * 1000 + frac) : whole * 1000 + frac;
  return TRUE;

bad:
  g_set_error (error, DRD_TYPES_ERROR, DRD_TYPES_ERROR_INVALID_NUMBER,
               _("“%s” is not a valid number"), text);
  return FALSE;
}

char *
drd_milli_format_buf (gint64 value, char buf[32])
{
  guint64 mag = value < 0 ? (guint64) 0 - (guint64) value : (guint64) value;

  g_snprintf (buf, 32, "%s%" G_GUINT64_FORMAT ".%03u",
              value < 0 ? "-" : "", mag / 1000, (guint) (mag % 1000));
  return buf;
}
