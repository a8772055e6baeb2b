/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The portal's pure parts: form decoding, language choice, escaping,
 * templates, string tables, time rendering, tokens, the link secret and
 * the rate limiter. */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "portal/drd-portal.h"
#include "portal/drd-portal-form.h"
#include "portal/drd-portal-proxy.h"
#include "portal/drd-portal-ratelimit.h"
#include "portal/drd-portal-strings.h"
#include "portal/drd-portal-template.h"
#include "store/drd-store-portal.h"

static void
test_form_decode (void)
{
  struct { const char *in; const char *event_id; const char *answer; } good[] = {
    { "event_id=12&answer=accept", "12", "accept" },
    { "answer=deny&event_id=3", "3", "deny" },
    { "event_id=%31%32&answer=ac%63ept", "12", "accept" },
    { "event_id=1&answer=a+b", "1", "a b" },
    { "event_id=1&&answer=x&", "1", "x" },
    { "event_id=1&answer=%ED%95%9C", "1", "한" },
  };
  const char *bad[] = {
    "event_id", "event_id=1&answer=%", "event_id=1&answer=%4", "event_id=1&answer=%zz",
    "event_id=1&answer=%FF", "event_id=1&answer=%C3%28", "event_id=1&answer=%0A",
    "event_id=1&answer=%00", "event_id=1&event_id=2",
    "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9",
  };
  g_autofree char *filler = g_strnfill (DRD_PORTAL_FORM_MAX_VALUE + 1, 'x');
  g_autofree char *longv = g_strconcat ("answer=", filler, NULL);
  g_autofree char *exact = g_strconcat ("answer=", filler + 1, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GHashTable) t = drd_portal_form_decode (good[i].in, strlen (good[i].in), &error);

      g_assert_no_error (error);
      g_assert_cmpstr (g_hash_table_lookup (t, "event_id"), ==, good[i].event_id);
      g_assert_cmpstr (g_hash_table_lookup (t, "answer"), ==, good[i].answer);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GHashTable) t = drd_portal_form_decode (bad[i], strlen (bad[i]), &error);

      g_test_message ("%s: %s", bad[i], error ? error->message : "(accepted)");
      g_assert_null (t);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) t = drd_portal_form_decode (longv, strlen (longv), &error);
    g_assert_null (t);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
  {
    g_autoptr(GHashTable) t = drd_portal_form_decode (exact, strlen (exact), NULL);
    g_assert_nonnull (t);
  }
  {
    /* Length-bounded: bytes after len are not read. */
    g_autoptr(GHashTable) t = drd_portal_form_decode ("answer=accept&x=%", 13, NULL);
    g_assert_nonnull (t);
    g_assert_cmpstr (g_hash_table_lookup (t, "answer"), ==, "accept");
  }
}

static void
test_event_id_and_answer (void)
{
  gint64 id = 0;
  DrdAnswer a;
  const char *bad[] = { NULL, "", "0", "01", "-1", "+1", "1.0", "1e3", " 1", "1 ",
                        "1234567890123456789", "abc" };

  g_assert_true (drd_portal_parse_event_id ("1", &id));
  g_assert_cmpint (id, ==, 1);
  g_assert_true (drd_portal_parse_event_id ("999999999999999999", &id));
  g_assert_cmpint (id, ==, G_GINT64_CONSTANT (999999999999999999));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (drd_portal_parse_event_id (bad[i], &id));

  g_assert_true (drd_portal_parse_answer ("accept", &a));
  g_assert_cmpint (a, ==, DRD_ANSWER_ACCEPT);
  g_assert_true (drd_portal_parse_answer ("deny", &a));
  g_assert_cmpint (a, ==, DRD_ANSWER_DENY);
  g_assert_false (drd_portal_parse_answer ("none", &a));
  g_assert_false (drd_portal_parse_answer ("Accept", &a));
  g_assert_false (drd_portal_parse_answer (NULL, &a));
}

static void
test_lang (void)
{
  struct { const char *header; DrdPortalLang want; } cases[] = {
    { NULL, DRD_PORTAL_LANG_KO },
    { "", DRD_PORTAL_LANG_KO },
    { "ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", DRD_PORTAL_LANG_KO },
    { "en-US,en;q=0.9", DRD_PORTAL_LANG_EN },
    { "en", DRD_PORTAL_LANG_EN },
    { "EN-gb", DRD_PORTAL_LANG_EN },
    { "ko;q=0.5, en;q=0.6", DRD_PORTAL_LANG_EN },
    { "en;q=0, ko;q=0.1", DRD_PORTAL_LANG_KO },
    { "en;q=0.5, ko;q=0.5", DRD_PORTAL_LANG_KO },
    { "fr-FR, de", DRD_PORTAL_LANG_KO },
    { "fr, en;q=0.1", DRD_PORTAL_LANG_EN },
    { "english", DRD_PORTAL_LANG_KO },
    { "*", DRD_PORTAL_LANG_KO },
    { "en;q=garbage", DRD_PORTAL_LANG_KO },
  };
  DrdPortalLang l;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s", cases[i].header ? cases[i].header : "(none)");
      g_assert_cmpint (drd_portal_lang_negotiate (cases[i].header), ==, cases[i].want);
    }
  g_assert_true (drd_portal_lang_from_string ("en", &l));
  g_assert_cmpint (l, ==, DRD_PORTAL_LANG_EN);
  g_assert_false (drd_portal_lang_from_string ("EN", &l));
  g_assert_false (drd_portal_lang_from_string ("fr", &l));
}

static void
test_escape_and_template (void)
{
  g_autofree char *e = drd_portal_html_escape ("<a href=\"x\" onclick='y'>&amp;</a>");
  g_autoptr(GHashTable) vars = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *out = NULL;

  g_assert_cmpstr (e, ==, "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
  g_hash_table_insert (vars, "name", "<script>alert(1)</script>");
  g_hash_table_insert (vars, "frag", "<b>ok</b>");
  out = drd_portal_template_render ("<p title=\"{{name}}\">{{ name }}</p>{{{frag}}}{{missing}}{{", vars);
  g_assert_cmpstr (out, ==, "<p title=\"&lt;script&gt;alert(1)&lt;/script&gt;\">"
                            "&lt;script&gt;alert(1)&lt;/script&gt;</p><b>ok</b>{{");
}

static void
test_strings_complete (void)
{
  for (int id = 0; id < DRD_PS_N_STRINGS; id++)
    {
      const char *ko = drd_portal_str (DRD_PORTAL_LANG_KO, id);
      const char *en = drd_portal_str (DRD_PORTAL_LANG_EN, id);

      g_assert_nonnull (ko);
      g_assert_nonnull (en);
      g_assert_cmpuint (strlen (ko), >, 0);
      g_assert_cmpuint (strlen (en), >, 0);
      g_assert_true (g_utf8_validate (ko, -1, NULL));
      /* A "%s" placeholder is in both languages or in neither. */
      g_assert_cmpint (strstr (ko, "%s") != NULL, ==, strstr (en, "%s") != NULL);
    }
  g_assert_cmpstr (drd_portal_kind_str (DRD_PORTAL_LANG_KO, DRD_EVENT_KIND_CITIZEN), ==, "국민 DR");
  g_assert_cmpstr (drd_portal_status_str (DRD_PORTAL_LANG_EN, DRD_EVENT_CANCELLED), ==, "Cancelled");
  g_assert_cmpstr (drd_portal_answer_str (DRD_PORTAL_LANG_KO, DRD_ANSWER_ACCEPT), ==, "참여");
}

static void
test_times (void)
{
  /* 2026-07-01 05:00 UTC = 14:00 KST, a Wednesday; TZ of the test is
   * America/New_York on purpose. */
  gint64 t = 1782882000;
  g_autofree char *iso = drd_portal_iso8601 (t);
  g_autofree char *ko = drd_portal_format_time (DRD_PORTAL_LANG_KO, t);
  g_autofree char *en = drd_portal_format_time (DRD_PORTAL_LANG_EN, t);
  g_autofree char *w = drd_portal_format_window (DRD_PORTAL_LANG_KO, t, t + 7200);
  g_autofree char *w_midnight = drd_portal_format_window (DRD_PORTAL_LANG_EN, t + 8 * 3600, t + 10 * 3600);
  g_autofree char *w_long = drd_portal_format_window (DRD_PORTAL_LANG_EN, t, t + 2 * 86400);

  g_assert_cmpstr (iso, ==, "2026-07-01T14:00:00+09:00");
  g_assert_cmpstr (ko, ==, "2026-07-01 (수) 14:00");
  g_assert_cmpstr (en, ==, "Wed 2026-07-01 14:00");
  g_assert_cmpstr (w, ==, "2026-07-01 (수) 14:00–16:00 (KST)");
  g_assert_cmpstr (w_midnight, ==, "Wed 2026-07-01 22:00–24:00 (KST)");
  g_assert_cmpstr (w_long, ==, "Wed 2026-07-01 14:00 – Fri 2026-07-03 14:00 (KST)");
}

static void
test_token (void)
{
  guint8 key[DRD_LINK_SECRET_LEN];
  g_autoptr(GBytes) secret = NULL;
  g_autoptr(GBytes) secret2 = NULL;
  g_autofree char *t1 = NULL, *t1b = NULL, *t2 = NULL, *t3 = NULL, *t4 = NULL;
  g_autofree char *h1 = NULL;
  g_autofree char *bad_char = NULL;

  for (guint i = 0; i < sizeof key; i++)
    key[i] = (guint8) i;
  secret = g_bytes_new (key, sizeof key);
  key[0] ^= 1;
  secret2 = g_bytes_new (key, sizeof key);

  t1 = drd_link_token_derive (secret, 1, 0);
  t1b = drd_link_token_derive (secret, 1, 0);
  t2 = drd_link_token_derive (secret, 1, 1);
  t3 = drd_link_token_derive (secret, 2, 0);
  t4 = drd_link_token_derive (secret2, 1, 0);
  g_assert_cmpuint (strlen (t1), ==, DRD_LINK_TOKEN_LEN);
  g_assert_true (drd_link_token_is_well_formed (t1));
  g_assert_cmpstr (t1, ==, t1b);           /* re-issuable */
  g_assert_cmpstr (t1, !=, t2);            /* rotation changes it */
  g_assert_cmpstr (t1, !=, t3);
  g_assert_cmpstr (t1, !=, t4);            /* depends on the secret */
  for (const char *p = t1; *p; p++)
    g_assert_true (g_ascii_isalnum (*p) || *p == '-' || *p == '_');

  h1 = drd_link_token_hash (t1);
  g_assert_cmpuint (strlen (h1), ==, 64);
  g_assert_true (drd_link_hash_equal (h1, h1));
  g_assert_false (drd_link_hash_equal (h1, "00"));
  g_assert_false (drd_link_hash_equal (h1, NULL));

  bad_char = g_strdup (t1);
  bad_char[5] = '.';
  g_assert_false (drd_link_token_is_well_formed (bad_char));
  bad_char[5] = '=';
  g_assert_false (drd_link_token_is_well_formed (bad_char));
  g_assert_false (drd_link_token_is_well_formed (NULL));
  g_assert_false (drd_link_token_is_well_formed (""));
  g_assert_false (drd_link_token_is_well_formed ("abc"));
  {
    g_autofree char *longer = g_strconcat (t1, "A", NULL);
    g_autofree char *shorter = g_strndup (t1, DRD_LINK_TOKEN_LEN - 1);
    g_assert_false (drd_link_token_is_well_formed (longer));
    g_assert_false (drd_link_token_is_well_formed (shorter));
  }
}

static void
test_secret_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("drd-secret-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "x.db.secret", NULL);
  g_autoptr(GBytes) s1 = NULL;
  g_autoptr(GBytes) s2 = NULL;
  g_autoptr(GBytes) s3 = NULL;
  struct stat st;

  s1 = drd_link_secret_load_or_create (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (s1), ==, DRD_LINK_SECRET_LEN);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  s2 = drd_link_secret_load_or_create (path, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (s1, s2));

  /* Readable by others: refused with a sentence saying what to do. */
  g_chmod (path, 0644);
  s3 = drd_link_secret_load_or_create (path, &error);
  g_assert_null (s3);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (error->message, "chmod 600"));
  g_clear_error (&error);

  /* Damaged (wrong size). */
  g_chmod (path, 0600);
  g_file_set_contents (path, "short", -1, NULL);
  g_chmod (path, 0600);
  s3 = drd_link_secret_load_or_create (path, &error);
  g_assert_null (s3);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_rate_limit (void)
{
  g_autoptr(DrdPortalRateLimit) rl = drd_portal_rate_limit_new (10, 3, 64);
  g_autoptr(DrdPortalRateLimit) off = drd_portal_rate_limit_new (0, 1, 1);
  gint64 t = 1000000;

  g_assert_true (drd_portal_rate_limit_take (rl, "10.0.0.1", t));
  g_assert_true (drd_portal_rate_limit_take (rl, "10.0.0.1", t));
  g_assert_true (drd_portal_rate_limit_take (rl, "10.0.0.1", t));
  g_assert_false (drd_portal_rate_limit_take (rl, "10.0.0.1", t));
  /* Another client has its own bucket (64 slots: these two differ). */
  g_assert_cmpuint (g_str_hash ("10.0.0.1") % 64, !=, g_str_hash ("10.0.0.2") % 64);
  g_assert_true (drd_portal_rate_limit_take (rl, "10.0.0.2", t));
  /* 100 ms later one token (10/s) is back, not two. */
  g_assert_true (drd_portal_rate_limit_take (rl, "10.0.0.1", t + 100000));
  g_assert_false (drd_portal_rate_limit_take (rl, "10.0.0.1", t + 100000));
  /* Long idle: back to the burst, never more. */
  for (int i = 0; i < 3; i++)
    g_assert_true (drd_portal_rate_limit_take (rl, "10.0.0.1", t + 60 * G_USEC_PER_SEC));
  g_assert_false (drd_portal_rate_limit_take (rl, "10.0.0.1", t + 60 * G_USEC_PER_SEC));
  /* Memory is bounded by the table size: many clients, same table. */
  for (int i = 0; i < 100000; i++)
    {
      g_autofree char *ip = g_strdup_printf ("10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
      drd_portal_rate_limit_take (rl, ip, t);
    }
  g_assert_cmpuint (drd_portal_rate_limit_get_size (rl), <=, 64);
  for (int i = 0; i < 1000; i++)
    g_assert_true (drd_portal_rate_limit_take (off, "x", t));
}

/* Keys never share a bucket — not even two that collided in the old
 * fixed table — and a full table forgets only buckets that refilled. */
static void
test_rate_limit_exact (void)
{
  g_autoptr(DrdPortalRateLimit) rl = drd_portal_rate_limit_new (1, 2, 100);
  gint64 t = 1000000;
  const char *attacker = "192.0.2.1";
  g_autofree char *victim = NULL;

  for (int i = 0; victim == NULL && i < 100000; i++)
    {
      g_autofree char *ip = g_strdup_printf ("198.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);

      if (g_str_hash (ip) % 4096 == g_str_hash (attacker) % 4096)
        victim = g_steal_pointer (&ip);
    }
  g_assert_nonnull (victim);
  g_assert_true (drd_portal_rate_limit_take (rl, attacker, t));
  g_assert_true (drd_portal_rate_limit_take (rl, attacker, t));
  g_assert_false (drd_portal_rate_limit_take (rl, attacker, t));
  g_assert_true (drd_portal_rate_limit_take (rl, victim, t));
  g_assert_cmpuint (drd_portal_rate_limit_get_size (rl), ==, 2);

  /* Fill the table with 98 busy keys: 100 in all. */
  for (int i = 0; i < 98; i++)
    {
      g_autofree char *k = g_strdup_printf ("busy-%d", i);
      g_assert_true (drd_portal_rate_limit_take (rl, k, t));
    }
  g_assert_cmpuint (drd_portal_rate_limit_get_size (rl), ==, 100);
  /* Full of buckets in use: a newcomer gets an overflow bucket, and the
   * attacker's empty one is kept (forgetting it would lift its limit). */
  g_assert_true (drd_portal_rate_limit_take (rl, "newcomer", t));
  g_assert_cmpuint (drd_portal_rate_limit_get_size (rl), ==, 100);
  g_assert_false (drd_portal_rate_limit_take (rl, attacker, t));
  /* Ten seconds later every bucket refilled: the sweep makes room. */
  g_assert_true (drd_portal_rate_limit_take (rl, "later", t + 10 * G_USEC_PER_SEC));
  g_assert_cmpuint (drd_portal_rate_limit_get_size (rl), ==, 1);
}

static GInetAddress *
resolve (DrdTrustedProxies *tp,
         const char        *peer,
         const char        *forwarded,
         const char        *xff,
         const char        *xfp,
         gboolean          *https)
{
  g_autoptr(GInetAddress) p = g_inet_address_new_from_string (peer);

  g_assert_nonnull (p);
  return drd_trusted_proxies_resolve (tp, p, forwarded, xff, xfp, https);
}

static void
test_trusted_proxies (void)
{
  const char *specs[] = { "127.0.0.1", " 10.0.0.0/8 ", "fd00::/8", NULL };
  const char *bad[][2] = { { "10.0.0.0/33", NULL }, { "proxy.example", NULL }, { "10.0.0.1/8", NULL } };
  g_autoptr(DrdTrustedProxies) tp = drd_trusted_proxies_new (specs, NULL);
  struct {
    const char *peer, *forwarded, *xff, *xfp, *client;
    gboolean https;
  } cases[] = {
    /* untrusted peer: headers ignored */
    { "192.0.2.1", "for=6.6.6.6;proto=https", "6.6.6.6", "https", "192.0.2.1", FALSE },
    /* trusted peer, no header */
    { "127.0.0.1", NULL, NULL, NULL, "127.0.0.1", FALSE },
    /* X-Forwarded-For: right-most untrusted */
    { "127.0.0.1", NULL, "198.51.100.7", "https", "198.51.100.7", TRUE },
    { "127.0.0.1", NULL, "6.6.6.6, 198.51.100.7", "http, https", "198.51.100.7", TRUE },
    { "127.0.0.1", NULL, "198.51.100.7, 10.1.2.3", NULL, "198.51.100.7", FALSE },
    { "127.0.0.1", NULL, "10.9.9.9, 10.1.2.3", NULL, "10.9.9.9", FALSE },
    { "127.0.0.1", NULL, "198.51.100.7:4711", NULL, "198.51.100.7", FALSE },
    { "127.0.0.1", NULL, "[2001:db8::5]:80", NULL, "2001:db8::5", FALSE },
    { "127.0.0.1", NULL, "2001:db8::5", NULL, "2001:db8::5", FALSE },
    /* garbage: the trusted hop that wrote it is the client */
    { "127.0.0.1", NULL, "198.51.100.7, garbage", NULL, "127.0.0.1", FALSE },
    { "127.0.0.1", NULL, "198.51.100.7, , 10.0.0.2", NULL, "198.51.100.7", FALSE },
    /* Forwarded wins over X-Forwarded-For */
    { "127.0.0.1", "for=198.51.100.8;proto=https", "198.51.100.9", "http", "198.51.100.8", TRUE },
    { "127.0.0.1", "For=\"[2001:db8:cafe::17]:4711\"", NULL, NULL, "2001:db8:cafe::17", FALSE },
    { "127.0.0.1", "for=198.51.100.8, for=10.0.0.5;proto=http", NULL, NULL, "198.51.100.8", FALSE },
    { "127.0.0.1", "for=unknown", NULL, NULL, "127.0.0.1", FALSE },
    { "127.0.0.1", "for=\"_hidden\", for=198.51.100.1", NULL, NULL, "198.51.100.1", FALSE },
    { "127.0.0.1", "proto=https;for=\"198.51.100.2\";by=10.0.0.1", NULL, NULL, "198.51.100.2", TRUE },
    /* IPv4-mapped peers are their IPv4 address */
    { "::ffff:127.0.0.1", NULL, "198.51.100.3", NULL, "198.51.100.3", FALSE },
    { "fd00::1", NULL, "198.51.100.4", NULL, "198.51.100.4", FALSE },
  };

  g_assert_nonnull (tp);
  g_assert_cmpuint (drd_trusted_proxies_get_size (tp), ==, 3);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gboolean https = !cases[i].https;
      g_autoptr(GInetAddress) client = resolve (tp, cases[i].peer, cases[i].forwarded,
                                                cases[i].xff, cases[i].xfp, &https);
      g_autofree char *text = g_inet_address_to_string (client);

      g_test_message ("case %u: %s", i, text);
      g_assert_cmpstr (text, ==, cases[i].client);
      g_assert_cmpint (https, ==, cases[i].https);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (drd_trusted_proxies_new (bad[i], &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, bad[i][0]));
    }
  {
    /* Nobody trusted (NULL or empty): the peer, always. */
    const char *none[] = { NULL };
    g_autoptr(DrdTrustedProxies) empty = drd_trusted_proxies_new (none, NULL);
    g_autoptr(GInetAddress) a = resolve (empty, "127.0.0.1", NULL, "198.51.100.1", NULL, NULL);
    g_autoptr(GInetAddress) b = resolve (NULL, "127.0.0.1", NULL, "198.51.100.1", NULL, NULL);
    g_autofree char *ta = g_inet_address_to_string (a);
    g_autofree char *tb = g_inet_address_to_string (b);

    g_assert_cmpstr (ta, ==, "127.0.0.1");
    g_assert_cmpstr (tb, ==, "127.0.0.1");
  }
  {
    /* Rate-limit identity: IPv6 per /64. */
    g_autoptr(GInetAddress) v6a = g_inet_address_new_from_string ("2001:db8:1:2:aaaa::1");
    g_autoptr(GInetAddress) v6b = g_inet_address_new_from_string ("2001:db8:1:2:bbbb::9");
    g_autoptr(GInetAddress) mapped = g_inet_address_new_from_string ("::ffff:192.0.2.1");
    g_autofree char *ka = drd_client_key (v6a);
    g_autofree char *kb = drd_client_key (v6b);
    g_autofree char *km = drd_client_key (mapped);

    g_assert_cmpstr (ka, ==, "2001:db8:1:2::/64");
    g_assert_cmpstr (ka, ==, kb);
    g_assert_cmpstr (km, ==, "192.0.2.1");
  }
}

static void
test_framing (void)
{
  struct { const char *headers[6]; gboolean ok; } cases[] = {
    { { NULL }, TRUE },
    { { "Content-Length", "24", NULL }, TRUE },
    { { "Content-Length", "0", NULL }, TRUE },
    { { "Content-Length", "24", "Content-Length", "24", NULL }, TRUE },
    { { "Content-Length", "24, 24", NULL }, TRUE },
    { { "Transfer-Encoding", "chunked", NULL }, TRUE },
    { { "Transfer-Encoding", "Chunked", NULL }, TRUE },
    { { "Content-Length", "24", "Content-Length", "25", NULL }, FALSE },
    { { "Content-Length", "24, 25", NULL }, FALSE },
    { { "Content-Length", "+24", NULL }, FALSE },
    { { "Content-Length", "-24", NULL }, FALSE },
    { { "Content-Length", "2 4", NULL }, FALSE },
    { { "Content-Length", "0x18", NULL }, FALSE },
    { { "Content-Length", "", NULL }, FALSE },
    { { "Content-Length", "1234567890123456789", NULL }, FALSE },
    { { "Transfer-Encoding", "chunked", "Content-Length", "24", NULL }, FALSE },
    { { "Content-Length", "24", "Transfer-Encoding", "chunked", NULL }, FALSE },
    { { "Transfer-Encoding", "gzip, chunked", NULL }, FALSE },
    { { "Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked", NULL }, FALSE },
    { { "Transfer-Encoding", "identity", NULL }, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SoupMessageHeaders *h = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
      const char *why = NULL;

      for (guint j = 0; cases[i].headers[j] != NULL; j += 2)
        soup_message_headers_append (h, cases[i].headers[j], cases[i].headers[j + 1]);
      g_assert_cmpint (drd_portal_check_framing (h, &why), ==, cases[i].ok);
      g_test_message ("case %u: %s", i, why ? why : "ok");
      if (!cases[i].ok)
        g_assert_nonnull (why);
      soup_message_headers_unref (h);
    }
}

static void
test_parse_listen (void)
{
  struct { const char *spec; const char *addr; guint port; } good[] = {
    { "127.0.0.1:8088", "127.0.0.1", 8088 },
    { "127.0.0.1:0", "127.0.0.1", 0 },
    { "0.0.0.0:80", "0.0.0.0", 80 },
    { "[::1]:9000", "::1", 9000 },
    { "127.0.0.1", "127.0.0.1", 8088 },
  };
  const char *bad[] = { "", "localhost:80", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:x",
                        "[::1", "[::1]x", ":80" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *addr = NULL;
      guint port = 1;
      g_autoptr(GError) error = NULL;

      g_assert_true (drd_portal_parse_listen (good[i].spec, &addr, &port, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (addr, ==, good[i].addr);
      g_assert_cmpuint (port, ==, good[i].port);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *addr = NULL;
      guint port;
      g_autoptr(GError) error = NULL;

      g_assert_false (drd_portal_parse_listen (bad[i], &addr, &port, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/portal/form/decode", test_form_decode);
  g_test_add_func ("/portal/form/event-id-and-answer", test_event_id_and_answer);
  g_test_add_func ("/portal/form/accept-language", test_lang);
  g_test_add_func ("/portal/template/escape", test_escape_and_template);
  g_test_add_func ("/portal/strings/complete", test_strings_complete);
  g_test_add_func ("/portal/strings/seoul-times", test_times);
  g_test_add_func ("/portal/token/derive-and-check", test_token);
  g_test_add_func ("/portal/token/secret-file", test_secret_file);
  g_test_add_func ("/portal/rate-limit/token-bucket", test_rate_limit);
  g_test_add_func ("/portal/rate-limit/exact-bounded", test_rate_limit_exact);
  g_test_add_func ("/portal/proxy/trusted-chain", test_trusted_proxies);
  g_test_add_func ("/portal/framing/rfc9112", test_framing);
  g_test_add_func ("/portal/listen/parse", test_parse_listen);

  return g_test_run ();
}
