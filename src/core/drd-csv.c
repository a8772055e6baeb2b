/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "core/drd-csv.h"

#include <glib/gi18n-lib.h>
#include <string.h>

G_DEFINE_QUARK (drd-csv-error-quark, drd_csv_error)

/* g_string_append_len() goes through the general g_string_insert_len();
 * for the exports of a million rows the common case (room left) is a
 * plain memcpy. */
static inline void
fast_append (GString *s, const char *p, gsize n)
{
  if (G_UNLIKELY (s->len + n >= s->allocated_len))
    {
      g_string_append_len (s, p, (gssize) n);
      return;
    }
  memcpy (s->str + s->len, p, n);
  s->len += n;
  s->str[s->len] = '\0';
}

static inline void
fast_append_c (GString *s, char c)
{
  if (G_UNLIKELY (s->len + 1 >= s->allocated_len))
    {
      g_string_append_c (s, c);
      return;
    }
  s->str[s->len++] = c;
  s->str[s->len] = '\0';
}

struct _DrdCsvReader
{
  const char *data;       /* borrowed */
  const char *pos;
  const char *end;
  guint       line;       /* physical line of *pos */
  guint       record_line;
  guint       record_number;
  gboolean    fatal;

  GString    *buf;        /* fields of the current record, NUL-separated */
  gsize      *offsets;    /* start of each field in buf */
  gsize      *lens;
  const char **fields;    /* into buf, rebuilt per record */
  guint       n_fields;
  guint       capacity;
};

DrdCsvReader *
drd_csv_reader_new (const char *data, gssize len)
{
  DrdCsvReader *r = g_new0 (DrdCsvReader, 1);

  g_return_val_if_fail (data != NULL || len <= 0, NULL);
  if (data == NULL)
    data = "";
  if (len < 0)
    len = (gssize) strlen (data);
  r->data = data;
  r->pos = data;
  r->end = data + len;
  r->line = 1;
  if (len >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
    r->pos += 3;
  r->buf = g_string_sized_new (256);
  r->capacity = 16;
  r->offsets = g_new (gsize, r->capacity);
  r->lens = g_new (gsize, r->capacity);
  r->fields = g_new (const char *, r->capacity);
  return r;
}

void
drd_csv_reader_free (DrdCsvReader *reader)
{
  if (reader == NULL)
    return;
  g_string_free (reader->buf, TRUE);
  g_free (reader->offsets);
  g_free (reader->lens);
  g_free (reader->fields);
  g_free (reader);
}

static inline void
begin_field (DrdCsvReader *r)
{
  if (G_UNLIKELY (r->n_fields == r->capacity))
    {
      r->capacity *= 2;
      r->offsets = g_renew (gsize, r->offsets, r->capacity);
      r->lens = g_renew (gsize, r->lens, r->capacity);
      r->fields = g_renew (const char *, r->fields, r->capacity);
    }
  r->offsets[r->n_fields] = r->buf->len;
}

static inline void
end_field (DrdCsvReader *r)
{
  r->lens[r->n_fields] = r->buf->len - r->offsets[r->n_fields];
  r->n_fields++;
  fast_append_c (r->buf, '\0');
}

static void
reset_record (DrdCsvReader *r)
{
  g_string_truncate (r->buf, 0);
  r->n_fields = 0;
}

/* Skips the rest of the physical line after a bad record. */
static void
skip_line (DrdCsvReader *r)
{
  const char *nl = memchr (r->pos, '\n', (size_t) (r->end - r->pos));

  if (nl)
    {
      r->pos = nl + 1;
      r->line++;
    }
  else
    r->pos = r->end;
}

static guint
count_newlines (const char *s, const char *e)
{
  guint n = 0;

  while ((s = memchr (s, '\n', (size_t) (e - s))) != NULL)
    {
      n++;
      s++;
    }
  return n;
}

/* Characters that end an unquoted field or are illegal in one. */
static const guint8 special[256] = {
  ['\n'] = 1, ['\r'] = 1, [','] = 1, ['"'] = 1,
};

gboolean
drd_csv_reader_next (DrdCsvReader *r, GError **error)
{
  const char *p, *end, *record_start;

  g_return_val_if_fail (r != NULL, FALSE);

  reset_record (r);

  if (r->fatal)
    return FALSE;

  p = r->pos;
  end = r->end;
  /* empty lines are skipped */
  while (p < end && (*p == '\n' || *p == '\r'))
    {
      if (*p == '\r' && p + 1 < end && p[1] == '\n')
        p++;
      p++;
      r->line++;
    }
  r->pos = p;
  if (p >= end)
    return FALSE;

  r->record_line = r->line;
  record_start = p;

  for (;;)
    {
      begin_field (r);
      if (*p == '"')
        {
          p++;
          for (;;)
            {
              const char *q = memchr (p, '"', (size_t) (end - p));

              if (q == NULL)
                {
                  r->fatal = TRUE;
                  r->pos = end;
                  g_set_error (error, DRD_CSV_ERROR, DRD_CSV_ERROR_UNTERMINATED_QUOTE,
                               _("line %u: a quoted field is not closed before the end of the file"),
                               r->record_line);
                  return FALSE;
                }
              fast_append (r->buf, p, (gsize) (q - p));
              r->line += count_newlines (p, q);
              p = q + 1;
              if (p < end && *p == '"')
                {
                  fast_append_c (r->buf, '"');
                  p++;
                  continue;
                }
              break;
            }
          if (p < end && *p != ',' && *p != '\n' && *p != '\r')
            {
              r->pos = p;
              skip_line (r);
              g_set_error (error, DRD_CSV_ERROR, DRD_CSV_ERROR_BAD_QUOTE,
                           _("line %u: unexpected text after a closing quote (a quote inside a "
                             "field must be doubled)"), r->record_line);
              return FALSE;
            }
        }
      else
        {
          const char *s = p;

          while (p < end && !special[(guint8) *p])
            p++;
          if (p < end && *p == '"')
            {
              r->pos = p;
              skip_line (r);
              g_set_error (error, DRD_CSV_ERROR, DRD_CSV_ERROR_BAD_QUOTE,
                           _("line %u: a quote inside an unquoted field (quote the whole field "
                             "and double the quote)"), r->record_line);
              return FALSE;
            }
          fast_append (r->buf, s, (gsize) (p - s));
        }
      end_field (r);

      if (p >= end)
        break;
      if (*p == ',')
        {
          p++;
          if (p >= end)
            {
              /* "a," at end of input: a final empty field */
              begin_field (r);
              end_field (r);
              break;
            }
          continue;
        }
      /* record end: CRLF, LF or a lone CR */
      if (*p == '\r' && p + 1 < end && p[1] == '\n')
        p++;
      p++;
      r->line++;
      break;
    }
  r->pos = p;

  if (!g_utf8_validate (record_start, p - record_start, NULL))
    {
      g_set_error (error, DRD_CSV_ERROR, DRD_CSV_ERROR_INVALID_UTF8,
                   _("line %u: the text is not valid UTF-8 (save the file as UTF-8)"),
                   r->record_line);
      reset_record (r);
      return FALSE;
    }

  for (guint i = 0; i < r->n_fields; i++)
    r->fields[i] = r->buf->str + r->offsets[i];
  r->record_number++;
  return TRUE;
}

guint
drd_csv_reader_get_n_fields (DrdCsvReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);
  return reader->n_fields;
}

const char *
drd_csv_reader_get_field (DrdCsvReader *reader, guint index)
{
  g_return_val_if_fail (reader != NULL, NULL);
  if (index >= reader->n_fields)
    return NULL;
  return reader->fields[index];
}

gsize
drd_csv_reader_get_field_len (DrdCsvReader *reader, guint index)
{
  g_return_val_if_fail (reader != NULL, 0);
  if (index >= reader->n_fields)
    return 0;
  return reader->lens[index];
}

guint
drd_csv_reader_get_line (DrdCsvReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);
  return reader->record_line;
}

guint
drd_csv_reader_get_record_number (DrdCsvReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);
  return reader->record_number;
}

const char *
drd_csv_reader_get_column (DrdCsvReader *reader, int index)
{
  const char *s;

  g_return_val_if_fail (reader != NULL, "");
  if (index < 0)
    return "";
  s = drd_csv_reader_get_field (reader, (guint) index);
  return s ? s : "";
}

gboolean
drd_csv_reader_read_header (DrdCsvReader       *reader,
                            const char * const *columns,
                            const char * const *required,
                            int                *indexes_out,
                            GError            **error)
{
  GError *local_error = NULL;
  guint n_columns;
  g_autoptr (GString) missing = NULL;

  g_return_val_if_fail (reader != NULL, FALSE);
  g_return_val_if_fail (columns != NULL, FALSE);
  g_return_val_if_fail (indexes_out != NULL, FALSE);

  n_columns = g_strv_length ((char **) columns);
  for (guint i = 0; i < n_columns; i++)
    indexes_out[i] = -1;

  if (!drd_csv_reader_next (reader, &local_error))
    {
      if (local_error)
        g_propagate_error (error, local_error);
      else
        g_set_error_literal (error, DRD_CSV_ERROR, DRD_CSV_ERROR_NO_HEADER,
                             _("The file is empty: a header row naming the columns is required"));
      return FALSE;
    }

  for (guint f = 0; f < reader->n_fields; f++)
    {
      g_autofree char *name = g_strstrip (g_strdup (reader->fields[f]));

      for (guint i = 0; i < n_columns; i++)
        if (g_ascii_strcasecmp (name, columns[i]) == 0)
          {
            if (indexes_out[i] >= 0)
              {
                g_set_error (error, DRD_CSV_ERROR, DRD_CSV_ERROR_DUPLICATE_COLUMN,
                             _("line %u: column “%s” appears more than once in the header"),
                             reader->record_line, columns[i]);
                return FALSE;
              }
            indexes_out[i] = (int) f;
            break;
          }
    }

  for (guint r = 0; required != NULL && required[r] != NULL; r++)
    for (guint i = 0; i < n_columns; i++)
      if (strcmp (columns[i], required[r]) == 0 && indexes_out[i] < 0)
        {
          if (missing == NULL)
            missing = g_string_new (required[r]);
          else
            g_string_append_printf (missing, ", %s", required[r]);
        }
  if (missing != NULL)
    {
      g_set_error (error, DRD_CSV_ERROR, DRD_CSV_ERROR_MISSING_COLUMN,
                   _("line %u: required column(s) missing from the header: %s"),
                   reader->record_line, missing->str);
      return FALSE;
    }
  return TRUE;
}

/* ---- writer ---- */

void
drd_csv_write_bom (GString *out)
{
  g_string_append_len (out, "\xEF\xBB\xBF", 3);
}

gboolean
drd_csv_text_is_formula (const char *field, gssize len)
{
  if (field == NULL || len == 0 || field[0] == '\0')
    return FALSE;
  switch (field[0])
    {
    case '=': case '+': case '-': case '@': case '\t': case '\r':
      return TRUE;
    default:
      return FALSE;
    }
}

static void
write_field (GString *out, const char *field, gssize len, gboolean guard)
{
  gboolean quote = FALSE;

  if (field == NULL)
    return;
  if (len < 0)
    {
      /* one pass: find the length and whether quoting is needed */
      const char *p = field;

      while (*p != '\0')
        quote |= special[(guint8) *p++];
      len = p - field;
    }
  else
    for (gssize i = 0; i < len && !quote; i++)
      quote = special[(guint8) field[i]];
  if (len == 0)
    return;
  guard = guard && drd_csv_text_is_formula (field, len);
  /* A guarded field starts with the apostrophe, so only its end counts. */
  if ((!guard && (field[0] == ' ' || field[0] == '\t'))
      || field[len - 1] == ' ' || field[len - 1] == '\t')
    quote = TRUE;
  /* A leading U+FEFF at the start of the text would be read as the BOM. */
  if (!guard && len >= 3 && memcmp (field, "\xEF\xBB\xBF", 3) == 0)
    quote = TRUE;

  if (!quote)
    {
      if (guard)
        fast_append_c (out, '\'');
      fast_append (out, field, (gsize) len);
      return;
    }

  fast_append_c (out, '"');
  if (guard)
    fast_append_c (out, '\'');
  for (;;)
    {
      const char *q = memchr (field, '"', (size_t) len);

      if (q == NULL)
        {
          fast_append (out, field, (gsize) len);
          break;
        }
      fast_append (out, field, (gsize) (q - field + 1));
      fast_append_c (out, '"');
      len -= q - field + 1;
      field = q + 1;
    }
  fast_append_c (out, '"');
}

void
drd_csv_write_field (GString *out, const char *field, gssize len)
{
  write_field (out, field, len, FALSE);
}

void
drd_csv_write_text_field (GString *out, const char *field, gssize len, gboolean spreadsheet)
{
  write_field (out, field, len, spreadsheet);
}

void
drd_csv_write_record (GString *out, const char * const *fields, guint n_fields)
{
  if (n_fields == 1 && (fields[0] == NULL || fields[0][0] == '\0'))
    {
      g_string_append_len (out, "\"\"\r\n", 4);
      return;
    }
  for (guint i = 0; i < n_fields; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      drd_csv_write_field (out, fields[i], -1);
    }
  g_string_append_len (out, "\r\n", 2);
}

void
drd_csv_writer_init (DrdCsvWriter *writer, GString *out, gboolean bom)
{
  g_return_if_fail (writer != NULL);
  g_return_if_fail (out != NULL);
  writer->out = out;
  writer->in_record = FALSE;
  writer->n_fields = 0;
  writer->spreadsheet = FALSE;
  if (bom)
    drd_csv_write_bom (out);
  writer->record_start = out->len;
}

static inline void
separator (DrdCsvWriter *writer)
{
  if (writer->in_record)
    fast_append_c (writer->out, ',');
  else
    writer->record_start = writer->out->len;
  writer->in_record = TRUE;
  writer->n_fields++;
}

void
drd_csv_writer_set_spreadsheet (DrdCsvWriter *writer, gboolean spreadsheet)
{
  writer->spreadsheet = spreadsheet;
}

void
drd_csv_writer_field (DrdCsvWriter *writer, const char *field)
{
  separator (writer);
  write_field (writer->out, field, -1, writer->spreadsheet);
}

void
drd_csv_writer_field_int (DrdCsvWriter *writer, gint64 value)
{
  char buf[24];
  char *p = buf + sizeof buf;
  guint64 mag = value < 0 ? (guint64) 0 - (guint64) value : (guint64) value;

  separator (writer);
  do
    {
      *--p = (char) ('0' + mag % 10);
      mag /= 10;
    }
  while (mag != 0);
  if (value < 0)
    *--p = '-';
  fast_append (writer->out, p, (gsize) (buf + sizeof buf - p));
}

void
drd_csv_writer_field_milli (DrdCsvWriter *writer, gint64 value)
{
  char buf[32];
  char *p = buf + sizeof buf;
  guint64 mag = value < 0 ? (guint64) 0 - (guint64) value : (guint64) value;
  guint frac = (guint) (mag % 1000);

  separator (writer);
  *--p = (char) ('0' + frac % 10);
  *--p = (char) ('0' + frac / 10 % 10);
  *--p = (char) ('0' + frac / 100);
  *--p = '.';
  mag /= 1000;
  do
    {
      *--p = (char) ('0' + mag % 10);
      mag /= 10;
    }
  while (mag != 0);
  if (value < 0)
    *--p = '-';
  fast_append (writer->out, p, (gsize) (buf + sizeof buf - p));
}

void
drd_csv_writer_end_record (DrdCsvWriter *writer)
{
  if (writer->n_fields == 1 && writer->out->len == writer->record_start)
    fast_append (writer->out, "\"\"", 2);
  fast_append (writer->out, "\r\n", 2);
  writer->in_record = FALSE;
  writer->n_fields = 0;
  writer->record_start = writer->out->len;
}
