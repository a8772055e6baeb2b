/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RFC 4180 CSV over in-memory buffers (core does no I/O).
 *
 * Reader: streams record by record over a borrowed buffer, so a 100k-row
 * file costs one record of memory on top of the buffer.  Accepts quoted
 * fields, doubled quotes, commas and line breaks inside quotes, LF or CRLF
 * (and a lone CR) record ends, a final record without a line end, and a
 * UTF-8 BOM at the very start.  Completely empty lines are skipped (they
 * are never meaningful in our formats).  Errors (DRD_CSV_ERROR) name the
 * physical 1-based line on which the offending record starts:
 *   - invalid UTF-8 in a record (the reader then continues after it);
 *   - a quote inside an unquoted field, or text after a closing quote
 *     (continues after the record);
 *   - an unterminated quoted field (fatal: it ran to the end of input).
 *
 * Writer: appends to a GString.  A field is quoted only when it must be:
 * it contains a comma, a double quote, CR or LF, starts or ends with a
 * space or tab (spreadsheets trim those otherwise), or starts with U+FEFF
 * (which the reader would take for a BOM at the start of the text).
 * Records end in CRLF as RFC 4180 says.  A record of one empty field is written as `""` so that
 * it is not an empty line (which the reader skips).  Optional UTF-8 BOM
 * for spreadsheet tools.  By default the text is data and round-trips
 * unchanged ("=1+2" stays "=1+2"); files meant for spreadsheets (links,
 * settlement) ask for the formula guard instead: a text cell that starts
 * with = + - @ tab or CR gets a leading apostrophe ("'=1+2"), which
 * spreadsheet tools show as text and do not run.  Numbers written with
 * the _int/_milli writers are never guarded (-1.250 stays a number). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DRD_CSV_ERROR (drd_csv_error_quark ())
GQuark drd_csv_error_quark (void);

typedef enum {
  DRD_CSV_ERROR_INVALID_UTF8,
  DRD_CSV_ERROR_BAD_QUOTE,
  DRD_CSV_ERROR_UNTERMINATED_QUOTE,
  DRD_CSV_ERROR_NO_HEADER,          /* empty input where a header row was required */
  DRD_CSV_ERROR_MISSING_COLUMN,
  DRD_CSV_ERROR_DUPLICATE_COLUMN,
} DrdCsvError;

/* ---- reader ---- */

typedef struct _DrdCsvReader DrdCsvReader;

/* @data is borrowed and must outlive the reader; @len -1 = NUL-terminated. */
DrdCsvReader *drd_csv_reader_new (const char *data, gssize len);
void          drd_csv_reader_free (DrdCsvReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrdCsvReader, drd_csv_reader_free)

/* Advances to the next record.  TRUE: a record is available.  FALSE with
 * @error unset: end of input.  FALSE with @error set: that record is bad;
 * call again to continue with the next one (after a fatal error the next
 * call returns FALSE, end of input). */
gboolean      drd_csv_reader_next (DrdCsvReader *reader, GError **error);
guint         drd_csv_reader_get_n_fields (DrdCsvReader *reader);
/* Field @index of the current record, NUL-terminated, valid until the next
 * call to drd_csv_reader_next(); NULL if @index ≥ n_fields. */
const char   *drd_csv_reader_get_field (DrdCsvReader *reader, guint index);
gsize         drd_csv_reader_get_field_len (DrdCsvReader *reader, guint index);
/* Physical 1-based line on which the current (or failed) record starts. */
guint         drd_csv_reader_get_line (DrdCsvReader *reader);
/* 1-based count of records returned so far, the header included. */
guint         drd_csv_reader_get_record_number (DrdCsvReader *reader);

/* Reads the header record and maps @columns (NULL-terminated names) to
 * indexes: @indexes_out[i] is the field index of columns[i] or -1 if the
 * header lacks it.  Names are matched after trimming spaces, ASCII
 * case-insensitively; unknown header columns are ignored.  Errors:
 * NO_HEADER (no records), DUPLICATE_COLUMN (a wanted name twice),
 * MISSING_COLUMN (a name in @required, NULL-terminated and a subset of
 * @columns, is absent; the message lists all missing ones), or the
 * reader's own errors for the header line. */
gboolean      drd_csv_reader_read_header (DrdCsvReader       *reader,
                                          const char * const *columns,
                                          const char * const *required,
                                          int                *indexes_out,
                                          GError            **error);
/* Field by mapped index: "" when @index is -1 or beyond this record. */
const char   *drd_csv_reader_get_column (DrdCsvReader *reader, int index);

/* ---- writer ---- */

/* UTF-8 BOM (EF BB BF). */
void          drd_csv_write_bom (GString *out);
/* Appends one field (quoted if needed), without separator.  @len -1 =
 * NUL-terminated; NULL @field = empty. */
void          drd_csv_write_field (GString *out, const char *field, gssize len);
/* TRUE when a spreadsheet would take @field for a formula: it starts with
 * '=', '+', '-', '@', tab or CR. */
gboolean      drd_csv_text_is_formula (const char *field, gssize len);
/* drd_csv_write_field(), with the formula guard when @spreadsheet. */
void          drd_csv_write_text_field (GString *out, const char *field, gssize len,
                                        gboolean spreadsheet);
/* Appends a whole record: fields separated by ',' then CRLF. */
void          drd_csv_write_record (GString *out, const char * const *fields, guint n_fields);

/* Incremental record writing: tracks where separators go. */
typedef struct {
  GString  *out;
  gboolean  in_record;
  guint     n_fields;       /* fields written in the current record */
  gsize     record_start;   /* out->len when the record began */
  gboolean  spreadsheet;    /* formula guard on text fields (default off) */
} DrdCsvWriter;

void          drd_csv_writer_init (DrdCsvWriter *writer, GString *out, gboolean bom);
/* Text fields get the formula guard from now on (links, settlement). */
void          drd_csv_writer_set_spreadsheet (DrdCsvWriter *writer, gboolean spreadsheet);
void          drd_csv_writer_field (DrdCsvWriter *writer, const char *field);
void          drd_csv_writer_field_int (DrdCsvWriter *writer, gint64 value);
/* Writes value / 1000 with exactly 3 decimals ("1.234", "-0.005"):
 * Wh as kWh, W as kW. */
void          drd_csv_writer_field_milli (DrdCsvWriter *writer, gint64 value);
void          drd_csv_writer_end_record (DrdCsvWriter *writer);

G_END_DECLS
