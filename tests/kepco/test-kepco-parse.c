/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "kepco/drd-kepco-parse.h"
#include "kepco/drd-kepco-parse-private.h"
#include "kepco/drd-kepco-sim.h"

#include <math.h>
#include <string.h>

#define CUST "0123456789"
#define DATE "20260701"

/* A day body: every slot "0.100" unless value[slot] says otherwise (a raw
 * JSON token, or NULL to drop the field); extra is appended to the entry. */
static char *
build_body (const char *cust_no,
            const char *mr_ymd,
            const char *values[DRD_KEPCO_SLOTS_PER_DAY],
            const char *extra)
{
  GString *s = g_string_new ("{\"dayLpDataInfoList\":[{");

  g_string_append_printf (s, "\"custNo\":\"%s\",\"mr_ymd\":\"%s\"", cust_no, mr_ymd);
  for (guint i = 0; i < DRD_KEPCO_SLOTS_PER_DAY; i++)
    {
      const char *v = values ? values[i] : "\"0.100\"";

      if (values && v == NULL)
        continue;
      g_string_append_printf (s, ",\"%s\":%s", drd_kepco_slot_field (i), v ? v : "\"0.100\"");
    }
  if (extra)
    g_string_append_printf (s, ",%s", extra);
  g_string_append (s, "}]}");
  return g_string_free (s, FALSE);
}

static void
fill (const char *values[DRD_KEPCO_SLOTS_PER_DAY], const char *v)
{
  for (guint i = 0; i < DRD_KEPCO_SLOTS_PER_DAY; i++)
    values[i] = v;
}

static DrdKepcoDay *
parse (const char *body, GError **error)
{
  return drd_kepco_parse_day (body, strlen (body), CUST, DATE, error);
}

static void
test_slot_names (void)
{
  g_assert_cmpstr (drd_kepco_slot_field (0), ==, "pwr_qty0015");
  g_assert_cmpstr (drd_kepco_slot_field (3), ==, "pwr_qty0100");
  g_assert_cmpstr (drd_kepco_slot_field (56), ==, "pwr_qty1415");
  g_assert_cmpstr (drd_kepco_slot_field (95), ==, "pwr_qty2400");
}

static void
test_strings_and_numbers (void)
{
  const char *values[DRD_KEPCO_SLOTS_PER_DAY];
  g_autofree char *body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoDay) day = NULL;

  fill (values, "\"1.234\"");
  values[1] = "1.234";           /* number */
  values[2] = "12";              /* integer number */
  values[3] = "\"12\"";
  values[4] = "1.0005";          /* double that is really 1.000499999… */
  values[5] = "\"0.0005\"";      /* half up */
  values[6] = "\"0.0004999\"";
  values[7] = "0";
  values[8] = "\" 2.5 \"";
  values[9] = "2.5e-3";
  values[95] = "\"0.987\"";
  body = build_body (CUST, DATE, values, NULL);
  day = parse (body, &error);
  g_assert_no_error (error);
  g_assert_nonnull (day);
  g_assert_cmpint (day->status, ==, DRD_KEPCO_DAY_OK);
  g_assert_cmpstr (day->cust_no, ==, CUST);
  g_assert_cmpstr (day->date, ==, DATE);
  g_assert_cmpuint (day->n_present, ==, 96);
  g_assert_cmpint (day->wh[0], ==, 1234);
  g_assert_cmpint (day->wh[1], ==, 1234);
  g_assert_cmpint (day->wh[2], ==, 12000);
  g_assert_cmpint (day->wh[3], ==, 12000);
  g_assert_cmpint (day->wh[4], ==, 1001);
  g_assert_cmpint (day->wh[5], ==, 1);
  g_assert_cmpint (day->wh[6], ==, 0);
  g_assert_cmpint (day->wh[7], ==, 0);
  g_assert_cmpint (day->wh[8], ==, 2500);
  g_assert_cmpint (day->wh[9], ==, 3);
  g_assert_cmpint (day->wh[95], ==, 987);
}

static void
test_missing_values (void)
{
  const char *values[DRD_KEPCO_SLOTS_PER_DAY];
  g_autofree char *body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoDay) day = NULL;

  fill (values, "\"0.500\"");
  values[0] = "\"\"";
  values[50] = "null";
  values[95] = "\"  \"";
  body = build_body (CUST, DATE, values, "\"cntr_pwr\":\"100\",\"meterNo\":12");
  day = parse (body, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (day->n_present, ==, 93);
  g_assert_cmpint (day->wh[0], ==, DRD_KEPCO_SLOT_MISSING);
  g_assert_cmpint (day->wh[50], ==, DRD_KEPCO_SLOT_MISSING);
  g_assert_cmpint (day->wh[95], ==, DRD_KEPCO_SLOT_MISSING);
  g_assert_cmpint (day->wh[1], ==, 500);
  g_assert_cmpint (drd_kepco_day_total_wh (day), ==, 93 * 500);
}

static void
test_empty_list (void)
{
  const char *body = "{\"dayLpDataInfoList\":[]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(DrdKepcoDay) day = parse (body, &error);

  g_assert_no_error (error);
  g_assert_cmpint (day->status, ==, DRD_KEPCO_DAY_NOT_YET_AVAILABLE);
  g_assert_cmpuint (day->n_present, ==, 0);
  g_assert_cmpstr (day->cust_no, ==, CUST);
  g_assert_cmpstr (day->date, ==, DATE);
  g_assert_cmpint (day->wh[10], ==, DRD_KEPCO_SLOT_MISSING);
}

typedef struct {
  const char *name;
  int slot;                 /* -2: whole body given; -1: no slot change */
  const char *value;        /* slot token (NULL = drop the field) or whole body */
  const char *extra;
  const char *cust_no;
  const char *mr_ymd;
  const char *expect;       /* substring of the error message */
} BadCase;

static const BadCase bad_cases[] = {
  { "garbage", -2, "<html>503 Service Unavailable</html>", NULL, NULL, NULL, "not JSON" },
  { "truncated", -2, "{\"dayLpDataInfoList\":[{\"custNo\":\"0123456789\",\"mr_", NULL, NULL, NULL, "not JSON" },
  { "top-level array", -2, "[]", NULL, NULL, NULL, "top level is an array" },
  { "top-level string", -2, "\"hello\"", NULL, NULL, NULL, "top level is a string" },
  /* json-glib leaks on these two shapes: the guard refuses them first. */
  { "second top-level value", -2, "{\"dayLpDataInfoList\":[]}{\"x\":1}", NULL, NULL, NULL, "nothing after it" },
  { "lone surrogate escape", -2, "{\"dayLpDataInfoList\":[],\"s\":\"\\udfff\"}", NULL, NULL, NULL, "unpaired surrogate" },
  { "no list", -2, "{\"resultCode\":\"00\"}", NULL, NULL, NULL, "has no dayLpDataInfoList" },
  { "list not array", -2, "{\"dayLpDataInfoList\":{}}", NULL, NULL, NULL, "dayLpDataInfoList is an object, expected an array" },
  { "entry not object", -2, "{\"dayLpDataInfoList\":[42]}", NULL, NULL, NULL, "the day entry is a number" },
  { "two entries", -2, "{\"dayLpDataInfoList\":[{},{}]}", NULL, NULL, NULL, "has 2 entries" },
  { "no custNo", -2, "{\"dayLpDataInfoList\":[{\"mr_ymd\":\"20260701\"}]}", NULL, NULL, NULL, "no “custNo”" },
  { "custNo number", -2, "{\"dayLpDataInfoList\":[{\"custNo\":123,\"mr_ymd\":\"20260701\"}]}", NULL, NULL, NULL, "“custNo” is a number" },
  { "wrong custNo", -1, NULL, NULL, "9999999999", NULL, "custNo “9999999999” does not match the requested “0123456789”" },
  { "wrong date", -1, NULL, NULL, NULL, "20260702", "mr_ymd 20260702 does not match the requested 20260701" },
  { "bad date", -1, NULL, NULL, NULL, "20260231", "mr_ymd “20260231” is not a YYYYMMDD date" },
  { "missing field", 48, NULL, NULL, NULL, NULL, "field pwr_qty1215 is absent (95 of 96" },
  { "extra slot field", -1, NULL, "\"pwr_qty2415\":\"1.0\"", NULL, NULL, "unexpected field “pwr_qty2415”" },
  { "slot 0000", -1, NULL, "\"pwr_qty0000\":\"1.0\"", NULL, NULL, "unexpected field “pwr_qty0000”" },
  { "odd minute", -1, NULL, "\"pwr_qty0010\":\"1.0\"", NULL, NULL, "unexpected field “pwr_qty0010”" },
  { "not a number", 5, "\"abc\"", NULL, NULL, NULL, "pwr_qty0130 value “abc” is not a kWh number" },
  { "comma decimal", 5, "\"1,5\"", NULL, NULL, NULL, "is not a kWh number" },
  { "two points", 5, "\"1.2.3\"", NULL, NULL, NULL, "is not a kWh number" },
  { "hex", 5, "\"0x10\"", NULL, NULL, NULL, "is not a kWh number" },
  { "NaN text", 5, "\"NaN\"", NULL, NULL, NULL, "is not a finite number" },
  { "Infinity text", 5, "\"Infinity\"", NULL, NULL, NULL, "is not a finite number" },
  { "negative text", 5, "\"-0.5\"", NULL, NULL, NULL, "is negative" },
  { "negative number", 5, "-0.5", NULL, NULL, NULL, "is negative" },
  { "negative integer", 5, "-3", NULL, NULL, NULL, "is negative" },
  { "huge text", 5, "\"1e30\"", NULL, NULL, NULL, "is absurdly large" },
  { "huge text digits", 5, "\"123456789012345\"", NULL, NULL, NULL, "is absurdly large" },
  { "huge number", 5, "1e30", NULL, NULL, NULL, "absurdly large" },
  { "huge integer", 5, "9223372036854775807", NULL, NULL, NULL, "absurdly large" },
  { "just over the limit", 5, "\"1000000.0005\"", NULL, NULL, NULL, "absurdly large" },
  { "boolean", 5, "true", NULL, NULL, NULL, "pwr_qty0130 is a boolean" },
  { "object", 5, "{}", NULL, NULL, NULL, "pwr_qty0130 is an object" },
  { "array", 5, "[1]", NULL, NULL, NULL, "pwr_qty0130 is an array" },
};

static void
test_bad_bodies (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      const BadCase *c = &bad_cases[i];
      g_autofree char *body = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(DrdKepcoDay) day = NULL;

      if (c->slot == -2)
        body = g_strdup (c->value);
      else
        {
          const char *values[DRD_KEPCO_SLOTS_PER_DAY];

          fill (values, "\"0.100\"");
          if (c->slot >= 0)
            values[c->slot] = c->value;
          body = build_body (c->cust_no ? c->cust_no : CUST, c->mr_ymd ? c->mr_ymd : DATE,
                             values, c->extra);
        }
      day = parse (body, &error);
      if (day != NULL || error == NULL || strstr (error->message, c->expect) == NULL)
        g_error ("case “%s”: expected an error containing “%s”, got %s",
                 c->name, c->expect, error ? error->message : "a day");
      g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED);
    }
}

static void
test_hostile_bytes (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autofree char *big = NULL;
  const char bad_utf8[] = "{\"dayLpDataInfoList\":[\xff\xfe]}";
  const char with_nul[] = "{\"dayLpDataInfoList\":[]}\0garbage";
  g_autofree char *valid = build_body (CUST, DATE, NULL, NULL);
  DrdKepcoDay *day;

  g_assert_null (drd_kepco_parse_day (NULL, 0, CUST, DATE, &error));
  g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_null (drd_kepco_parse_day ("", 0, CUST, DATE, &error));
  g_assert_nonnull (strstr (error->message, "empty body"));
  g_clear_error (&error);

  g_assert_null (drd_kepco_parse_day (bad_utf8, sizeof bad_utf8 - 1, CUST, DATE, &error));
  g_assert_nonnull (strstr (error->message, "invalid UTF-8"));
  g_clear_error (&error);
  g_assert_null (drd_kepco_parse_day (with_nul, sizeof with_nul - 1, CUST, DATE, &error));
  g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED);
  g_clear_error (&error);

  for (int i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  g_assert_null (drd_kepco_parse_day (deep->str, deep->len, CUST, DATE, &error));
  g_assert_nonnull (strstr (error->message, "nested deeper"));
  g_clear_error (&error);

  big = g_malloc0 (DRD_KEPCO_MAX_BODY_BYTES + 2);
  memset (big, ' ', DRD_KEPCO_MAX_BODY_BYTES + 1);
  g_assert_null (drd_kepco_parse_day (big, DRD_KEPCO_MAX_BODY_BYTES + 1, CUST, DATE, &error));
  g_assert_nonnull (strstr (error->message, "bytes, more than"));
  g_clear_error (&error);

  /* Not NUL-terminated: only len bytes count. */
  {
    g_autofree char *copy = g_strdup_printf ("%sXXXX", valid);
    day = drd_kepco_parse_day (copy, strlen (valid), CUST, DATE, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (day->n_present, ==, 96);
    drd_kepco_day_free (day);
  }

  /* Escapes that unescape to invalid UTF-8 or NUL, quoted in messages. */
  {
    static const char *const evil[] = {
      "{\"dayLpDataInfoList\":[{\"custNo\":\"\\ud800\",\"mr_ymd\":\"20260701\"}]}",
      "{\"dayLpDataInfoList\":[{\"custNo\":\"0123456789\",\"mr_ymd\":\"\\udfff\\u0000x\"}]}",
      "{\"dayLpDataInfoList\":[{\"custNo\":\"\\u00e9\\ud83d\",\"mr_ymd\":\"20260701\"}]}",
      "{\"dayLpDataInfoList\":[{\"custNo\":\"0123456789\",\"mr_ymd\":\"20260701\",\"pwr_qty\\ud800\":1}]}",
      "{\"dayLpDataInfoList\":[{\"custNo\":\"0123456789\",\"mr_ymd\":\"20260701\",\"pwr_qty0015\":\"1\\u0000\"}]}",
    };
    for (guint i = 0; i < G_N_ELEMENTS (evil); i++)
      {
        g_assert_null (drd_kepco_parse_day (evil[i], strlen (evil[i]), CUST, DATE, &error));
        g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED);
        g_assert_true (g_utf8_validate (error->message, -1, NULL));
        g_clear_error (&error);
      }
  }

  /* A date asked as YYYY-MM-DD is the same day. */
  day = drd_kepco_parse_day (valid, strlen (valid), CUST, "2026-07-01", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (day->date, ==, DATE);
  drd_kepco_day_free (day);
}

static void
assert_days_equal (const DrdKepcoDay *a, const DrdKepcoDay *b)
{
  g_assert_cmpint (a->status, ==, b->status);
  g_assert_cmpstr (a->cust_no, ==, b->cust_no);
  g_assert_cmpstr (a->date, ==, b->date);
  g_assert_cmpuint (a->n_present, ==, b->n_present);
  g_assert_cmpmem (a->wh, sizeof a->wh, b->wh, sizeof b->wh);
}

/* Whatever the fast path accepts, json-glib accepts as the same day.
 * Returns whether the fast path took it. */
static gboolean
check_paths_agree (const char *body, gsize len, const char *cust_no, const char *date)
{
  g_autoptr(GError) e_fast = NULL;
  g_autoptr(GError) e_slow = NULL;
  g_autoptr(DrdKepcoDay) fast = drd_kepco_parse_day_with_flags (body, len, cust_no, date,
                                                                DRD_KEPCO_PARSE_FAST_PATH_ONLY, &e_fast);
  g_autoptr(DrdKepcoDay) slow = drd_kepco_parse_day_with_flags (body, len, cust_no, date,
                                                                DRD_KEPCO_PARSE_NO_FAST_PATH, &e_slow);

  if (fast == NULL)
    return FALSE;
  if (slow == NULL)
    g_error ("fast path accepted what json-glib refuses (%s): %.*s", e_slow->message, (int) len, body);
  assert_days_equal (fast, slow);
  return TRUE;
}

/* The simulator's bodies (strings, numbers, gaps, empty lists) all take
 * the fast path and agree with json-glib; so do hand-made variants. */
static void
test_fast_path (void)
{
  static const char *const variants[] = {
    "{\"dayLpDataInfoList\":[]}",
    " { \"dayLpDataInfoList\" : [ ] } \n",
  };
  guint n_fast = 0;

  for (guint i = 0; i < 40; i++)
    for (guint d = 0; d < 10; d++)
      {
        g_autofree char *c = g_strdup_printf ("%u", 3000000 + i * 31);
        g_autofree char *date = g_strdup_printf ("202501%02u", d + 1);
        g_autoptr(DrdKepcoDay) day = drd_kepco_sim_day_baseline (9, c, date);
        g_autofree char *json = drd_kepco_sim_render_day (9, day);

        g_assert_true (check_paths_agree (json, strlen (json), c, date));
        n_fast++;
      }
  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    g_assert_true (check_paths_agree (variants[i], strlen (variants[i]), CUST, DATE));

  /* Values the fast path leaves to json-glib, still parsed right. */
  {
    const char *values[DRD_KEPCO_SLOTS_PER_DAY];
    g_autofree char *body = NULL;
    g_autoptr(DrdKepcoDay) day = NULL;
    g_autoptr(GError) error = NULL;

    fill (values, "\"0.100\"");
    values[0] = "1.0005e0";                     /* exponent */
    values[1] = "1.00000000000000000001";       /* > 15 digits */
    values[2] = "\"\\u0031.5\"";                /* escape: "1.5" */
    values[3] = "null";
    body = build_body (CUST, DATE, values, "\"x\":true");
    g_assert_false (check_paths_agree (body, strlen (body), CUST, DATE));
    day = parse (body, &error);
    g_assert_no_error (error);
    g_assert_cmpint (day->wh[0], ==, 1001);
    g_assert_cmpint (day->wh[1], ==, 1000);
    g_assert_cmpint (day->wh[2], ==, 1500);
    g_assert_cmpint (day->wh[3], ==, -1);
  }
  g_test_message ("%u simulator days took the fast path", n_fast);
}

/* Differential: bodies built from random plausible tokens, whitespace,
 * extra and duplicate members. The fast path must agree with json-glib on
 * everything it accepts, and accept most plain ones. */
static void
test_fast_path_differential (void)
{
  static const char *const tokens[] = {
    "\"1.234\"", "1.234", "\"\"", "null", "0", "12", "1.5", "\" 2 \"", "1e2", "-1", "\"-0\"",
    "0.0005", "\"0.0005\"", "1.0005", "007", "1.", ".5", "1000000", "1000001", "\"\\u0031\"",
    "true", "\"1,5\"", "0.123456789012345", "0.1234567890123456", "999999.999", "\"abc\"",
    "-0", "0.0", "00.5", "[]", "{}", "\"1e3\"", "1E2", "2.50", "\"  \"",
  };
  static const char *const ws[] = { "", "", "", " ", "\n", "\t", "\r\n  " };
  const char *env = g_getenv ("DRD_FUZZ_ITERATIONS");
  guint iterations = env ? (guint) g_ascii_strtoull (env, NULL, 10) : 2000;
  g_autoptr(GRand) rand = g_rand_new_with_seed (g_test_rand_int ());
  guint n_fast = 0;

#define WS ws[g_rand_int_range (rand, 0, G_N_ELEMENTS (ws))]
  for (guint it = 0; it < iterations; it++)
    {
      g_autoptr(GString) b = g_string_new (NULL);
      /* 0: strings and simple numbers only; 1: a few odd tokens; 2: all odd */
      int mode = g_rand_int_range (rand, 0, 3);

      g_string_append_printf (b, "%s{%s\"dayLpDataInfoList\"%s:%s[%s{", WS, WS, WS, WS, WS);
      g_string_append_printf (b, "\"custNo\"%s:%s\"%s\"", WS, WS,
                              g_rand_int_range (rand, 0, 50) ? CUST : "999");
      g_string_append_printf (b, ",%s\"mr_ymd\":\"%s\"", WS,
                              g_rand_int_range (rand, 0, 50) ? DATE : "20260702");
      for (guint i = 0; i < DRD_KEPCO_SLOTS_PER_DAY; i++)
        {
          gboolean odd = mode == 2 || (mode == 1 && g_rand_int_range (rand, 0, 60) == 0);
          const char *tok = odd ? tokens[g_rand_int_range (rand, 0, G_N_ELEMENTS (tokens))]
                                : tokens[g_rand_int_range (rand, 0, 3) == 0 ? 1 : 0];

          if (mode == 2 && g_rand_int_range (rand, 0, 200) == 0)
            continue;   /* an absent slot */
          g_string_append_printf (b, ",%s\"%s\"%s:%s%s%s", WS, drd_kepco_slot_field (i), WS, WS, tok, WS);
          if (mode == 2 && g_rand_int_range (rand, 0, 300) == 0)   /* a duplicate */
            g_string_append_printf (b, ",\"%s\":\"9\"", drd_kepco_slot_field (i));
        }
      if (g_rand_int_range (rand, 0, 5) == 0)
        g_string_append_printf (b, ",\"meterNo\":%s", tokens[g_rand_int_range (rand, 0, G_N_ELEMENTS (tokens))]);
      g_string_append_printf (b, "}%s]%s}%s", WS, WS, WS);
      if (check_paths_agree (b->str, b->len, CUST, DATE))
        n_fast++;
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(DrdKepcoDay) day = drd_kepco_parse_day (b->str, b->len, CUST, DATE, &error);
        g_assert_true ((day != NULL) != (error != NULL));
      }
    }
#undef WS
  g_test_message ("%u of %u random bodies took the fast path", n_fast, iterations);
  g_assert_cmpuint (n_fast, >, iterations / 10);
}

/* Random damage to a valid body: never a crash, always a day or an error. */
static void
test_mutations (void)
{
  const char *values[DRD_KEPCO_SLOTS_PER_DAY];
  g_autofree char *valid = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (g_test_rand_int ());
  guint n_ok = 0, n_err = 0;
  /* DRD_FUZZ_ITERATIONS=1000000 for a longer run (e.g. under ASan). */
  const char *env = g_getenv ("DRD_FUZZ_ITERATIONS");
  guint iterations = env ? (guint) g_ascii_strtoull (env, NULL, 10) : 3000;

  fill (values, "\"1.500\"");
  values[7] = "2.25";
  valid = build_body (CUST, DATE, values, NULL);
  for (guint i = 0; i < iterations; i++)
    {
      g_autofree char *b = g_strdup (valid);
      gsize len = strlen (b);
      g_autoptr(GError) error = NULL;
      DrdKepcoDay *day;
      guint n = 1 + (guint) g_rand_int_range (rand, 0, 4);

      for (guint k = 0; k < n; k++)
        {
          gsize at;

          if (len == 0)
            break;
          at = (gsize) g_rand_int_range (rand, 0, (gint32) len);
          switch (g_rand_int_range (rand, 0, 3))
            {
            case 0: b[at] = (char) g_rand_int_range (rand, 1, 256); break;
            case 1: len = at; break;
            default: b[at] = "{}[]\",:0.-e\\"[g_rand_int_range (rand, 0, 12)]; break;
            }
        }
      day = drd_kepco_parse_day (b, len, CUST, DATE, &error);
      g_assert_true ((day != NULL) != (error != NULL));
      check_paths_agree (b, len, CUST, DATE);
      if (day)
        {
          g_assert_cmpuint (day->n_present, <=, 96);
          for (guint s = 0; s < 96; s++)
            g_assert_cmpint (day->wh[s], >=, -1);
          n_ok++;
        }
      else
        {
          g_assert_error (error, DRD_KEPCO_ERROR, DRD_KEPCO_ERROR_MALFORMED);
          if (!g_utf8_validate (error->message, -1, NULL))
            g_error ("error message is not UTF-8: %s", error->message);
          n_err++;
        }
      drd_kepco_day_free (day);
    }
  g_assert_cmpuint (n_err, >, 0);
  g_test_message ("%u mutated bodies parsed, %u rejected", n_ok, n_err);
}

typedef struct {
  const char *text;
  gboolean ok;
  gint32 wh;
} TextCase;

static const TextCase text_cases[] = {
  { "1.234", TRUE, 1234 },
  { "0.0005", TRUE, 1 },
  { "0.0004999", TRUE, 0 },
  { "0.00049999999999999999999", TRUE, 0 },
  { "0.00050000000000000000001", TRUE, 1 },
  { "0.0015", TRUE, 2 },
  { "2.5e-3", TRUE, 3 },
  { "2.4E-3", TRUE, 2 },
  { "1e3", TRUE, 1000000 },
  { "12", TRUE, 12000 },
  { "12.", TRUE, 12000 },
  { ".5", TRUE, 500 },
  { "+1.5", TRUE, 1500 },
  { "0", TRUE, 0 },
  { "-0", TRUE, 0 },
  { "-0.000", TRUE, 0 },
  { "000000000000000000000001.000", TRUE, 1000 },
  { " 7.25 ", TRUE, 7250 },
  { "999999.9994", TRUE, 999999999 },
  { "1000000", TRUE, 1000000000 },
  { "1000000.0005", FALSE, 0 },
  { "1e7", FALSE, 0 },
  { "-0.0001", FALSE, 0 },
  { "-1", FALSE, 0 },
  { "", FALSE, 0 },
  { ".", FALSE, 0 },
  { "e3", FALSE, 0 },
  { "1e", FALSE, 0 },
  { "1e+", FALSE, 0 },
  { "1.2.3", FALSE, 0 },
  { "1,5", FALSE, 0 },
  { "0x10", FALSE, 0 },
  { "inf", FALSE, 0 },
  { "nan", FALSE, 0 },
  { "1 2", FALSE, 0 },
  { "1e99999999999", FALSE, 0 },
  { "1e-99999999999", TRUE, 0 },
};

static void
test_kwh_text (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (text_cases); i++)
    {
      gint32 wh = -7;
      gboolean ok = drd_kepco_kwh_text_to_wh (text_cases[i].text, &wh);

      if (ok != text_cases[i].ok || (ok && wh != text_cases[i].wh))
        g_error ("“%s”: expected %s %d, got %s %d", text_cases[i].text,
                 text_cases[i].ok ? "ok" : "refused", text_cases[i].wh, ok ? "ok" : "refused", wh);
    }
}

static void
test_kwh_double (void)
{
  static const struct { double kwh; gint32 wh; } cases[] = {
    { 1.0005, 1001 },         /* binary 1.000499999…: the sender wrote 1.0005 */
    { 2.0005, 2001 },
    { 0.1 + 0.2, 300 },
    { 1e-4, 0 },
    { 5e-4, 1 },
    { 1234.5675, 1234568 },
    { 0.0, 0 },
    { 62.85, 62850 },
  };
  gint32 wh;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_true (drd_kepco_kwh_double_to_wh (cases[i].kwh, &wh));
      g_assert_cmpint (wh, ==, cases[i].wh);
    }
  g_assert_false (drd_kepco_kwh_double_to_wh (NAN, &wh));
  g_assert_false (drd_kepco_kwh_double_to_wh (INFINITY, &wh));
  g_assert_false (drd_kepco_kwh_double_to_wh (-1.0, &wh));
  g_assert_false (drd_kepco_kwh_double_to_wh (1e300, &wh));

  /* Every 3-decimal kWh value survives the double round trip exactly. */
  for (gint32 w = 0; w < 2000000; w += 13)
    {
      char buf[32];
      g_snprintf (buf, sizeof buf, "%d.%03d", w / 1000, w % 1000);
      g_assert_true (drd_kepco_kwh_double_to_wh (g_ascii_strtod (buf, NULL), &wh));
      if (wh != w)
        g_error ("%s kWh as a double gave %d Wh", buf, wh);
    }
}

static void
test_dates_and_numbers (void)
{
  char out[9];

  g_assert_true (drd_kepco_normalize_date ("20240229", out));
  g_assert_cmpstr (out, ==, "20240229");
  g_assert_true (drd_kepco_normalize_date ("2026-07-01", out));
  g_assert_cmpstr (out, ==, "20260701");
  g_assert_false (drd_kepco_normalize_date ("20230229", out));
  g_assert_false (drd_kepco_normalize_date ("2026-7-01", out));
  g_assert_false (drd_kepco_normalize_date ("202607011", out));
  g_assert_false (drd_kepco_normalize_date ("2026070a", out));
  g_assert_false (drd_kepco_normalize_date ("", out));
  g_assert_false (drd_kepco_normalize_date (NULL, out));
  g_assert_true (drd_kepco_cust_no_is_valid ("0"));
  g_assert_true (drd_kepco_cust_no_is_valid ("01234567890123456789"));
  g_assert_false (drd_kepco_cust_no_is_valid ("012345678901234567890"));
  g_assert_false (drd_kepco_cust_no_is_valid (""));
  g_assert_false (drd_kepco_cust_no_is_valid ("12a"));
  g_assert_false (drd_kepco_cust_no_is_valid ("12&serviceKey=x"));
  g_assert_false (drd_kepco_cust_no_is_valid (NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/kepco/parse/slot-names", test_slot_names);
  g_test_add_func ("/kepco/parse/strings-and-numbers", test_strings_and_numbers);
  g_test_add_func ("/kepco/parse/missing-values", test_missing_values);
  g_test_add_func ("/kepco/parse/empty-list", test_empty_list);
  g_test_add_func ("/kepco/parse/bad-bodies", test_bad_bodies);
  g_test_add_func ("/kepco/parse/hostile-bytes", test_hostile_bytes);
  g_test_add_func ("/kepco/parse/fast-path", test_fast_path);
  g_test_add_func ("/kepco/parse/fast-path-differential", test_fast_path_differential);
  g_test_add_func ("/kepco/parse/mutations", test_mutations);
  g_test_add_func ("/kepco/parse/kwh-text", test_kwh_text);
  g_test_add_func ("/kepco/parse/kwh-double", test_kwh_double);
  g_test_add_func ("/kepco/parse/dates-and-numbers", test_dates_and_numbers);
  return g_test_run ();
}
