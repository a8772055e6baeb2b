/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "service/drd-importer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "core/drd-csv.h"
#include "store/drd-store-import-seen.h"

G_DEFINE_QUARK (drd-importer-error-quark, drd_importer_error)

const char *const drd_import_columns[DRD_IMPORT_N_COLS + 1] = {
  "customer_id", "name", "kepco_customer_no", "resource", "registered_kw",
  "cbl_method", "is_factory", "phone", "email", "webhook_url", NULL
};
static const char *const required_columns[] = {
  "customer_id", "name", "kepco_customer_no", "registered_kw", NULL
};

#define DEFAULT_CHUNK     (1 << 20)
#define DEFAULT_BATCH     20000
#define DEFAULT_MAX_ROW   (1 << 20)
/* A value echoed in a reason is cut here, so a megabyte of garbage in a
 * cell makes a readable line. */
#define ECHO_MAX_CHARS    80

/* ------------------------------------------------------------------ */
/* One row                                                            */

static gboolean
refuse (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
refuse (GError **error, const char *format, ...)
{
  va_list ap;

  va_start (ap, format);
  if (error != NULL)
    *error = g_error_new_valist (DRD_IMPORTER_ERROR, DRD_IMPORTER_ERROR_ROW, format, ap);
  va_end (ap);
  return FALSE;
}

/* @value for a reason: control characters as spaces, at most
 * ECHO_MAX_CHARS characters. */
static char *
echo (const char *value)
{
  GString *out = g_string_new (NULL);
  glong n = 0;

  for (const char *p = value; *p != '\0' && n < ECHO_MAX_CHARS; n++)
    {
      const char *next = g_utf8_next_char (p);

      if ((guchar) *p < 0x20 || *p == 0x7f)
        g_string_append_c (out, ' ');
      else
        g_string_append_len (out, p, next - p);
      if (n + 1 == ECHO_MAX_CHARS && *next != '\0')
        g_string_append (out, "…");
      p = next;
    }
  return g_string_free (out, FALSE);
}

static char *
trimmed (const char *value)
{
  return g_strstrip (g_strdup (value != NULL ? value : ""));
}

static char *
optional (const char *value)
{
  g_autofree char *copy = trimmed (value);

  return *copy != '\0' ? g_steal_pointer (&copy) : NULL;
}

static gboolean
parse_id (const char *text, gint64 *out)
{
  guint64 v = 0;

  if (*text == '\0')
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p) || v > ((guint64) G_MAXINT64 - 9) / 10)
        return FALSE;
      v = v * 10 + (guint64) (*p - '0');
    }
  if (v == 0)
    return FALSE;
  *out = (gint64) v;
  return TRUE;
}

/* "12", "12.5", "0.125": exact integer thousandths, never a float. */
static gboolean
parse_milli (const char *text, gint64 *out)
{
  gint64 whole = 0, frac = 0;
  int nfrac = 0;
  const char *p = text;

  if (!g_ascii_isdigit (*p))
    return FALSE;
  for (; g_ascii_isdigit (*p); p++)
    {
      if (whole > (G_MAXINT64 / 1000 - 9) / 10)
        return FALSE;
      whole = whole * 10 + (*p - '0');
    }
  if (*p == '.')
    {
      p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      for (; g_ascii_isdigit (*p); p++)
        {
          if (++nfrac > 3)
            return FALSE;
          frac = frac * 10 + (*p - '0');
        }
    }
  if (*p != '\0')
    return FALSE;
  for (; nfrac < 3; nfrac++)
    frac *= 10;
  *out = whole * 1000 + frac;
  return TRUE;
}

static gboolean
valid_email (const char *email)
{
  const char *at = strchr (email, '@');

  return at != NULL && at != email && at[1] != '\0' && strchr (at + 1, '@') == NULL
         && strpbrk (email, " \t") == NULL;
}

static gboolean
ipv4_is_internal (const guint8 *a)
{
  return a[0] == 0                                   /* 0/8 "this network", 0.0.0.0 */
         || a[0] == 10                               /* 10/8 private */
         || a[0] == 127                              /* loopback */
         || (a[0] == 100 && (a[1] & 0xc0) == 64)     /* 100.64/10 carrier-grade NAT */
         || (a[0] == 169 && a[1] == 254)             /* link-local, cloud metadata */
         || (a[0] == 172 && (a[1] & 0xf0) == 16)     /* 172.16/12 private */
         || (a[0] == 192 && a[1] == 168)             /* 192.168/16 private */
         || (a[0] == 198 && (a[1] & 0xfe) == 18)     /* 198.18/15 benchmarking */
         || a[0] >= 224;                             /* multicast, reserved, broadcast */
}

gboolean
drd_importer_host_is_internal (const char *host)
{
  struct in_addr v4;
  struct in6_addr v6;
  g_autofree char *lower = NULL;

  g_return_val_if_fail (host != NULL, FALSE);

  lower = g_ascii_strdown (host, -1);
  if (g_str_has_suffix (lower, "."))
    lower[strlen (lower) - 1] = '\0';
  if (g_str_equal (lower, "localhost") || g_str_has_suffix (lower, ".localhost"))
    return TRUE;

  /* inet_aton, like the resolver, also reads "127.1", "0x7f.0.0.1" and
   * "2130706433"; keep it to texts that look like numbers so a name
   * such as "1.example" is not taken for an address. */
  if (strspn (lower, "0123456789abcdefx.") == strlen (lower) && inet_aton (lower, &v4) != 0)
    return ipv4_is_internal ((const guint8 *) &v4.s_addr);

  if (strchr (lower, ':') != NULL)
    {
      g_autofree char *bare = g_strdup (lower);
      char *zone = strchr (bare, '%');
      const guint8 *b = v6.s6_addr;
      static const guint8 zero[16];

      if (zone != NULL)
        *zone = '\0';
      if (inet_pton (AF_INET6, bare, &v6) != 1)
        return FALSE;
      if (memcmp (b, zero, 10) == 0 && ((b[10] == 0xff && b[11] == 0xff)   /* ::ffff:a.b.c.d */
                                        || (b[10] == 0 && b[11] == 0)))     /* ::a.b.c.d, ::1, :: */
        {
          if (b[10] == 0 && memcmp (b, zero, 15) == 0)
            return TRUE;                                                     /* :: and ::1 */
          return ipv4_is_internal (b + 12);
        }
      if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && memcmp (b + 4, zero, 8) == 0)
        return ipv4_is_internal (b + 12);                                    /* 64:ff9b::/96 NAT64 */
      return (b[0] & 0xfe) == 0xfc                                           /* fc00::/7 unique local */
             || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)                      /* fe80::/10 link-local */
             || (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)                      /* fec0::/10 site-local */
             || b[0] == 0xff;                                                /* multicast */
    }
  return FALSE;
}

typedef enum { WEBHOOK_OK, WEBHOOK_NOT_HTTP, WEBHOOK_INTERNAL } WebhookCheck;

static WebhookCheck
check_webhook (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *scheme, *host;

  if (uri == NULL)
    return WEBHOOK_NOT_HTTP;
  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  if ((g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
      || host == NULL || *host == '\0')
    return WEBHOOK_NOT_HTTP;
  return drd_importer_host_is_internal (host) ? WEBHOOK_INTERNAL : WEBHOOK_OK;
}

DrdCustomer *
drd_importer_parse_row (const char *const values[DRD_IMPORT_N_COLS], GError **error)
{
  g_autoptr(DrdCustomer) c = drd_customer_new ();
  g_autofree char *id_text = trimmed (values[DRD_IMPORT_COL_ID]);
  g_autofree char *kw_text = trimmed (values[DRD_IMPORT_COL_KW]);
  g_autofree char *cbl = trimmed (values[DRD_IMPORT_COL_CBL]);
  g_autofree char *factory = trimmed (values[DRD_IMPORT_COL_FACTORY]);
  g_autofree char *shown = NULL;

  if (!parse_id (id_text, &c->id))
    {
      shown = echo (id_text);
      refuse (error, _("customer_id '%s' is not a positive integer"), shown);
      return NULL;
    }

  c->name = trimmed (values[DRD_IMPORT_COL_NAME]);
  if (*c->name == '\0')
    return refuse (error, _("name is empty")), NULL;
  if (g_utf8_strlen (c->name, -1) > 200)
    return refuse (error, _("name is longer than 200 characters")), NULL;

  c->kepco_no = trimmed (values[DRD_IMPORT_COL_KEPCO]);
  if (*c->kepco_no == '\0')
    return refuse (error, _("kepco_customer_no is empty")), NULL;
  for (const char *p = c->kepco_no; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      {
        shown = echo (c->kepco_no);
        refuse (error, _("kepco_customer_no '%s' must be digits only"), shown);
        return NULL;
      }
  if (strlen (c->kepco_no) > 32)
    return refuse (error, _("kepco_customer_no is longer than 32 digits")), NULL;

  c->resource = optional (values[DRD_IMPORT_COL_RESOURCE]);
  if (c->resource == NULL)
    c->resource = g_strdup (DRD_IMPORTER_DEFAULT_RESOURCE);
  if (g_utf8_strlen (c->resource, -1) > 100)
    return refuse (error, _("resource is longer than 100 characters")), NULL;

  if (*kw_text == '\0')
    return refuse (error, _("registered_kw is empty")), NULL;
  if (!parse_milli (kw_text, &c->registered_w))
    {
      shown = echo (kw_text);
      refuse (error, _("registered_kw '%s' is not a non-negative number with at most 3 decimals"),
              shown);
      return NULL;
    }

  if (*cbl == '\0')
    c->cbl_method = DRD_CBL_MID_6_10;
  else if (!drd_cbl_method_from_string (cbl, &c->cbl_method))
    {
      shown = echo (cbl);
      refuse (error, _("cbl_method '%s' is not max-4-5 or mid-6-10"), shown);
      return NULL;
    }

  if (*factory == '\0' || g_ascii_strcasecmp (factory, "false") == 0)
    c->is_factory = FALSE;
  else if (g_ascii_strcasecmp (factory, "true") == 0)
    c->is_factory = TRUE;
  else
    {
      shown = echo (factory);
      refuse (error, _("is_factory '%s' is not true or false"), shown);
      return NULL;
    }

  c->phone = optional (values[DRD_IMPORT_COL_PHONE]);
  c->email = optional (values[DRD_IMPORT_COL_EMAIL]);
  if (c->email != NULL && !valid_email (c->email))
    {
      shown = echo (c->email);
      refuse (error, _("email '%s' is not an e-mail address"), shown);
      return NULL;
    }
  c->webhook_url = optional (values[DRD_IMPORT_COL_WEBHOOK]);
  if (c->webhook_url != NULL)
    switch (check_webhook (c->webhook_url))
      {
      case WEBHOOK_OK:
        break;
      case WEBHOOK_NOT_HTTP:
        shown = echo (c->webhook_url);
        refuse (error, _("webhook_url '%s' is not an http:// or https:// URL"), shown);
        return NULL;
      case WEBHOOK_INTERNAL:
      default:
        shown = echo (c->webhook_url);
        refuse (error, _("webhook_url '%s' points to a loopback, private or link-local address; "
                         "a customer's webhook must be reachable on the internet"), shown);
        return NULL;
      }
  return g_steal_pointer (&c);
}

/* ------------------------------------------------------------------ */
/* The import                                                         */

typedef struct {
  guint64  line;
  char    *reason;
} Refusal;

struct _DrdImporter
{
  DrdStore                *store;
  char                    *actor;
  DrdImporterRefusedFunc   refused;
  gpointer                 refused_data;
  DrdImporterProgressFunc  progress;
  gpointer                 progress_data;
  gsize                    chunk_bytes;
  guint                    batch_rows;
  gsize                    max_row_bytes;

  DrdImportCounts          counts;
  DrdStoreImportSeen      *seen;
  GPtrArray               *batch;        /* DrdCustomer* */
  GArray                  *batch_lines;  /* guint64 */
  GArray                  *pending;      /* Refusal, of rows of this batch's span */
  int                      idx[DRD_IMPORT_N_COLS];
};

static void
refusal_clear (gpointer data)
{
  g_free (((Refusal *) data)->reason);
}

DrdImporter *
drd_importer_new (DrdStore *store, const char *actor)
{
  DrdImporter *self = g_new0 (DrdImporter, 1);

  g_return_val_if_fail (DRD_IS_STORE (store), NULL);

  self->store = g_object_ref (store);
  self->actor = g_strdup (actor != NULL ? actor : "system");
  self->chunk_bytes = DEFAULT_CHUNK;
  self->batch_rows = DEFAULT_BATCH;
  self->max_row_bytes = DEFAULT_MAX_ROW;
  self->batch = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_customer_free);
  self->batch_lines = g_array_new (FALSE, FALSE, sizeof (guint64));
  self->pending = g_array_new (FALSE, FALSE, sizeof (Refusal));
  g_array_set_clear_func (self->pending, refusal_clear);
  return self;
}

void
drd_importer_free (DrdImporter *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->store);
  g_free (self->actor);
  g_clear_pointer (&self->seen, drd_store_import_seen_free);
  g_ptr_array_unref (self->batch);
  g_array_unref (self->batch_lines);
  g_array_unref (self->pending);
  g_free (self);
}

void
drd_importer_set_refused_func (DrdImporter *self, DrdImporterRefusedFunc func, gpointer user_data)
{
  self->refused = func;
  self->refused_data = user_data;
}

void
drd_importer_set_progress_func (DrdImporter *self, DrdImporterProgressFunc func, gpointer user_data)
{
  self->progress = func;
  self->progress_data = user_data;
}

void
drd_importer_set_limits (DrdImporter *self, gsize chunk_bytes, guint batch_rows, gsize max_row_bytes)
{
  if (chunk_bytes > 0)
    self->chunk_bytes = chunk_bytes;
  if (batch_rows > 0)
    self->batch_rows = batch_rows;
  if (max_row_bytes > 0)
    self->max_row_bytes = max_row_bytes;
}

const DrdImportCounts *
drd_importer_get_counts (DrdImporter *self)
{
  return &self->counts;
}

/* A reason as one line: the reader's "line N: " prefix dropped (the
 * reader counts lines of its buffer, not of the file), line breaks as
 * spaces. */
static char *
one_line (const char *message)
{
  GString *out = g_string_new (NULL);
  const char *p = message;

  if (g_str_has_prefix (p, "line "))
    {
      const char *q = p + 5;

      while (g_ascii_isdigit (*q))
        q++;
      if (q > p + 5 && q[0] == ':' && q[1] == ' ')
        p = q + 2;
    }
  for (; *p != '\0'; p++)
    g_string_append_c (out, (*p == '\n' || *p == '\r') ? ' ' : *p);
  return g_string_free (out, FALSE);
}

static void
add_refusal (DrdImporter *self, guint64 line, char *reason)
{
  Refusal r = { line, reason };

  g_array_append_val (self->pending, r);
  self->counts.n_refused++;
}

static int
refusal_cmp (gconstpointer a, gconstpointer b)
{
  const Refusal *x = a, *y = b;

  return x->line < y->line ? -1 : x->line > y->line;
}

/* Stores the batch, then reports the refusals of its span (one per
 * line) in line order. */
static gboolean
flush (DrdImporter *self, GError **error)
{
  if (self->batch->len > 0)
    {
      g_autoptr(DrdStoreImportResult) result =
        drd_store_import_customers (self->store, self->batch, self->actor, drd_store_now (), error);

      if (result == NULL)
        return FALSE;
      self->counts.n_inserted += result->n_inserted;
      self->counts.n_updated += result->n_updated;
      self->counts.n_unchanged += result->n_unchanged;
      for (guint i = 0; i < result->row_errors->len; i++)
        {
          DrdStoreRowError *re = g_ptr_array_index (result->row_errors, i);
          guint64 line = g_array_index (self->batch_lines, guint64, re->index);

          /* e.g. "customer 3: kepco_customer_no 222 is already used by customer 2" */
          add_refusal (self, line, one_line (re->error->message));
        }
      g_ptr_array_set_size (self->batch, 0);
      g_array_set_size (self->batch_lines, 0);
    }

  g_array_sort (self->pending, refusal_cmp);
  for (guint i = 0; i < self->pending->len; i++)
    {
      Refusal *r = &g_array_index (self->pending, Refusal, i);

      if (self->refused != NULL)
        self->refused (r->line, r->reason, self->refused_data);
    }
  g_array_set_size (self->pending, 0);
  if (self->progress != NULL)
    self->progress (&self->counts, self->progress_data);
  return TRUE;
}

/* One record of the reader (a row at file line @line). */
static gboolean
take_record (DrdImporter *self, DrdCsvReader *reader, guint64 line, GError **error)
{
  const char *values[DRD_IMPORT_N_COLS];
  g_autoptr(GError) row_error = NULL;
  g_autoptr(DrdCustomer) c = NULL;
  guint64 id_line, kepco_line;

  for (int i = 0; i < DRD_IMPORT_N_COLS; i++)
    values[i] = drd_csv_reader_get_column (reader, self->idx[i]);
  c = drd_importer_parse_row (values, &row_error);
  if (c == NULL)
    {
      add_refusal (self, line, g_strdup (row_error->message));
      return TRUE;
    }
  if (!drd_store_import_seen_add (self->seen, c->id, c->kepco_no, line, &id_line, &kepco_line,
                                  error))
    return FALSE;
  if (id_line != 0)
    {
      char id[32];

      g_snprintf (id, sizeof id, "%" G_GINT64_FORMAT, c->id);
      add_refusal (self, line, g_strdup_printf (_("customer_id %s is already on line %u"), id,
                                                (guint) id_line));
    }
  else if (kepco_line != 0)
    add_refusal (self, line, g_strdup_printf (_("kepco_customer_no %s is already on line %u"),
                                              c->kepco_no, (guint) kepco_line));
  else
    {
      g_ptr_array_add (self->batch, g_steal_pointer (&c));
      g_array_append_val (self->batch_lines, line);
    }
  return TRUE;
}

/* Reads until @buf holds @want more bytes or the input ended. */
static gboolean
fill (DrdImporter *self, GInputStream *input, GByteArray *buf, gsize want, gboolean *eof,
      GCancellable *cancellable, GError **error)
{
  gsize target = buf->len + want;

  while (!*eof && buf->len < target)
    {
      gsize old = buf->len;
      gssize n;
      g_autoptr(GError) read_error = NULL;

      g_byte_array_set_size (buf, (guint) target);
      n = g_input_stream_read (input, buf->data + old, target - old, cancellable, &read_error);
      g_byte_array_set_size (buf, (guint) (old + MAX (n, 0)));
      if (n < 0)
        {
          if (g_error_matches (read_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_propagate_error (error, g_steal_pointer (&read_error));
          else
            g_set_error (error, DRD_IMPORTER_ERROR, DRD_IMPORTER_ERROR_READ,
                         _("The file could not be read: %s"), read_error->message);
          return FALSE;
        }
      if (n == 0)
        *eof = TRUE;
      self->counts.bytes_read += (guint64) n;
    }
  return TRUE;
}

gboolean
drd_importer_run (DrdImporter *self, GInputStream *input, GCancellable *cancellable,
                  GError **error)
{
  g_autoptr(GByteArray) buf = g_byte_array_sized_new ((guint) self->chunk_bytes * 2);
  gboolean eof = FALSE, header_done = FALSE;
  /* file line = reader line + delta */
  gint64 delta = 0;
  /* buf[0] is the line end of the last row handled (so that the next
   * reader does not take a U+FEFF opening a row for a BOM) */
  gboolean sentinel = FALSE;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (G_IS_INPUT_STREAM (input), FALSE);

  memset (&self->counts, 0, sizeof self->counts);
  g_clear_pointer (&self->seen, drd_store_import_seen_free);
  self->seen = drd_store_import_seen_new (error);
  if (self->seen == NULL)
    return FALSE;

  for (;;)
    {
      g_autoptr(DrdCsvReader) reader = NULL;
      gsize consumed = 0, len, off = 0;
      guint consumed_line = 1, pline = 1;
      gboolean stop = FALSE;

      if (!fill (self, input, buf, self->chunk_bytes, &eof, cancellable, error))
        return FALSE;
      len = buf->len;
      reader = drd_csv_reader_new ((const char *) buf->data, (gssize) len);

      if (!header_done)
        {
          g_autoptr(GError) header_error = NULL;
          gboolean ok = drd_csv_reader_read_header (reader, drd_import_columns, required_columns,
                                                    self->idx, &header_error);

          drd_csv_reader_get_position (reader, &off, &pline);
          if (!eof && off >= len)
            {
              if (len > self->max_row_bytes)
                {
                  g_set_error (error, DRD_IMPORTER_ERROR, DRD_IMPORTER_ERROR_ROW,
                               _("line 1: the header row is longer than %u KiB"),
                               (guint) (self->max_row_bytes / 1024));
                  return FALSE;
                }
              continue;        /* the header may go on in the next chunk */
            }
          if (!ok)
            {
              g_propagate_error (error, g_steal_pointer (&header_error));
              return FALSE;
            }
          header_done = TRUE;
          consumed = off;
          consumed_line = pline;
        }
      else if (sentinel)
        consumed = 1, consumed_line = 2;

      for (;;)
        {
          g_autoptr(GError) row_error = NULL;
          gboolean ok = drd_csv_reader_next (reader, &row_error);
          guint64 line = (guint64) ((gint64) drd_csv_reader_get_line (reader) + delta);

          drd_csv_reader_get_position (reader, &off, &pline);
          if (!ok && row_error == NULL)
            break;                                       /* end of this buffer */
          if (!eof && (off >= len || g_error_matches (row_error, DRD_CSV_ERROR,
                                                      DRD_CSV_ERROR_UNTERMINATED_QUOTE)))
            {
              /* The row may go on in the next chunk. */
              if (len - consumed > self->max_row_bytes)
                {
                  self->counts.n_rows++;
                  add_refusal (self, line,
                               g_strdup_printf (_("the row is longer than %u KiB (is a quoted field "
                                                  "not closed?); the rest of the file was not read"),
                                                (guint) (self->max_row_bytes / 1024)));
                  stop = TRUE;
                }
              break;
            }
          self->counts.n_rows++;
          if (!ok)
            add_refusal (self, line, one_line (row_error->message));
          else if (!take_record (self, reader, line, error))
            return FALSE;
          consumed = off;
          consumed_line = pline;
          if (self->batch->len + self->pending->len >= self->batch_rows)
            {
              if (!flush (self, error))
                return FALSE;
              if (g_cancellable_set_error_if_cancelled (cancellable, error))
                return FALSE;
            }
        }

      if (eof || stop)
        break;
      /* Keep what was not handled, behind the line end before it. */
      if (consumed > 0)
        {
          delta += (gint64) consumed_line - 2;
          g_byte_array_remove_range (buf, 0, (guint) (consumed - 1));
          sentinel = TRUE;
        }
    }

  if (!flush (self, error))
    return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* The report                                                         */

#define REPORT_BLOCK 256

struct _DrdImportReport
{
  int              fd;          /* deleted temporary file */
  GString         *out;         /* not yet written */
  guint64          size;        /* bytes in the file */
  guint64          n_lines;
  GArray          *blocks;      /* guint64: offset of line i * REPORT_BLOCK */
  GError          *write_error;
  gboolean         closed;      /* written out: readable from any one thread */
  DrdImportCounts  counts;
  /* the last block read */
  guint64          cached_block;
  char           **cached;
};

DrdImportReport *
drd_import_report_new (GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp ("drdesk-import-report-XXXXXX.txt", &path, &local_error);
  DrdImportReport *report;

  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Cannot make a temporary file for the import report: %s"),
                   local_error->message);
      return NULL;
    }
  g_unlink (path);
  report = g_new0 (DrdImportReport, 1);
  report->fd = fd;
  report->out = g_string_sized_new (1 << 16);
  report->blocks = g_array_new (FALSE, FALSE, sizeof (guint64));
  report->cached_block = G_MAXUINT64;
  return report;
}

void
drd_import_report_free (DrdImportReport *report)
{
  if (report == NULL)
    return;
  if (report->fd >= 0)
    close (report->fd);
  g_string_free (report->out, TRUE);
  g_array_unref (report->blocks);
  g_clear_error (&report->write_error);
  g_strfreev (report->cached);
  g_free (report);
}

static void
report_write_out (DrdImportReport *report)
{
  gsize done = 0;

  while (report->write_error == NULL && done < report->out->len)
    {
      ssize_t n = write (report->fd, report->out->str + done, report->out->len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          g_set_error (&report->write_error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("The import report could not be written: %s"), g_strerror (saved));
          break;
        }
      done += (gsize) n;
    }
  g_string_truncate (report->out, 0);
}

void
drd_import_report_add (guint64 line, const char *reason, gpointer user_data)
{
  DrdImportReport *report = user_data;

  g_return_if_fail (!report->closed);
  if (report->n_lines % REPORT_BLOCK == 0)
    {
      guint64 offset = report->size;

      g_array_append_val (report->blocks, offset);
    }
  {
    gsize before = report->out->len;

    g_string_append_printf (report->out, "%" G_GUINT64_FORMAT ": %s\n", line, reason);
    report->size += report->out->len - before;
  }
  report->n_lines++;
  if (report->out->len >= (1 << 16))
    report_write_out (report);
}

gboolean
drd_import_report_close (DrdImportReport *report, GError **error)
{
  report_write_out (report);
  report->closed = TRUE;
  if (report->write_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&report->write_error));
      return FALSE;
    }
  return TRUE;
}

guint64
drd_import_report_get_n_lines (DrdImportReport *report)
{
  return report->n_lines;
}

DrdImportCounts *
drd_import_report_get_counts (DrdImportReport *report)
{
  return &report->counts;
}

static gboolean
read_at (int fd, char *buf, gsize len, guint64 offset, GError **error)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = pread (fd, buf + done, len - done, (off_t) (offset + done));

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = n < 0 ? errno : EIO;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("The import report could not be read: %s"), g_strerror (saved));
          return FALSE;
        }
      done += (gsize) n;
    }
  return TRUE;
}

char *
drd_import_report_get_line (DrdImportReport *report, guint64 index, GError **error)
{
  guint64 block = index / REPORT_BLOCK;

  g_return_val_if_fail (report->closed, NULL);
  g_return_val_if_fail (index < report->n_lines, NULL);

  if (block != report->cached_block)
    {
      guint64 start = g_array_index (report->blocks, guint64, block);
      guint64 end = block + 1 < report->blocks->len
                    ? g_array_index (report->blocks, guint64, block + 1) : report->size;
      g_autofree char *text = g_malloc (end - start + 1);

      if (!read_at (report->fd, text, end - start, start, error))
        return NULL;
      text[end - start] = '\0';
      if (end > start && text[end - start - 1] == '\n')
        text[end - start - 1] = '\0';
      g_strfreev (report->cached);
      report->cached = g_strsplit (text, "\n", -1);
      report->cached_block = block;
    }
  if (g_strv_length (report->cached) <= index % REPORT_BLOCK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("The import report could not be read: %s"), g_strerror (EIO));
      return NULL;
    }
  return g_strdup (report->cached[index % REPORT_BLOCK]);
}

gboolean
drd_import_report_save (DrdImportReport *report, const char *path, GError **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileOutputStream) out = NULL;
  g_autofree char *buf = g_malloc (1 << 16);
  guint64 offset = 0;

  g_return_val_if_fail (report->closed, FALSE);
  out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, error);
  if (out == NULL)
    return FALSE;
  while (offset < report->size)
    {
      gsize n = (gsize) MIN ((guint64) (1 << 16), report->size - offset);

      if (!read_at (report->fd, buf, n, offset, error)
          || !g_output_stream_write_all (G_OUTPUT_STREAM (out), buf, n, NULL, NULL, error))
        return FALSE;
      offset += n;
    }
  return g_output_stream_close (G_OUTPUT_STREAM (out), NULL, error);
}
