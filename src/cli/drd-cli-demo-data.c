/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Synthetic but plausible customers: Korean names with family names drawn
 * by their real frequency, homes/shops/factories with skewed capacities,
 * unique 10-digit KEPCO numbers. Everything comes from one GRand. */
#include "config.h"

#include <math.h>

#include "cli/drd-cli-demo-data.h"

/* Family names with approximate shares (per mille) of the 2015 census. */
static const struct { const char *name; guint weight; const char *latin; } family_names[] = {
  { "김", 215, "kim" }, { "이", 147, "lee" }, { "박", 84, "park" }, { "최", 47, "choi" },
  { "정", 43, "jung" }, { "강", 23, "kang" }, { "조", 21, "cho" }, { "윤", 20, "yoon" },
  { "장", 20, "jang" }, { "임", 17, "lim" }, { "한", 15, "han" }, { "오", 15, "oh" },
  { "서", 15, "seo" }, { "신", 15, "shin" }, { "권", 14, "kwon" }, { "황", 14, "hwang" },
  { "안", 13, "ahn" }, { "송", 13, "song" }, { "전", 11, "jeon" }, { "홍", 11, "hong" },
  { "유", 11, "yoo" }, { "고", 9, "ko" }, { "문", 9, "moon" }, { "양", 9, "yang" },
  { "손", 9, "son" }, { "배", 8, "bae" }, { "백", 8, "baek" }, { "허", 6, "heo" },
  { "남", 5, "nam" }, { "심", 5, "sim" }, { "노", 4, "noh" }, { "하", 4, "ha" },
  { "곽", 4, "kwak" }, { "성", 4, "sung" }, { "차", 4, "cha" }, { "주", 4, "joo" },
  { "우", 4, "woo" }, { "구", 4, "koo" }, { "민", 3, "min" }, { "류", 3, "ryu" },
  { "나", 3, "na" }, { "진", 3, "jin" }, { "지", 3, "ji" }, { "엄", 3, "eom" },
  { "채", 3, "chae" }, { "원", 3, "won" }, { "천", 2, "cheon" }, { "방", 2, "bang" },
  { "공", 2, "kong" }, { "현", 2, "hyun" },
};

static const char *const given_syllables[] = {
  "민", "서", "지", "현", "준", "우", "영", "수", "하", "은", "도", "윤", "예", "진",
  "성", "호", "재", "경", "연", "승", "유", "아", "채", "원", "주", "태", "혜", "나",
  "동", "희", "상", "미", "정", "훈", "빈", "석", "한", "인", "소", "다", "보", "건",
  "시", "율", "혁", "찬", "규", "린", "선", "기", "용", "철", "숙", "자", "순", "옥",
};

static const char *const company_first[] = {
  "한빛", "대성", "동양", "신흥", "삼원", "세진", "우진", "태광", "금강", "대원",
  "서해", "영진", "한성", "동아", "청솔", "미래", "가온", "누리", "일신", "흥국",
};
static const char *const company_last[] = {
  "정밀", "산업", "화학", "전자", "금속", "제지", "물산", "기계", "섬유", "식품",
  "플라스틱", "철강", "테크", "소재", "공업",
};
static const char *const shop_kinds[] = {
  "마트", "식당", "카페", "베이커리", "약국", "편의점", "세탁소", "학원", "병원", "정육점",
};

typedef enum { KIND_HOME, KIND_SHOP, KIND_FACTORY } Kind;

/* Resources by region and type; the KEPCO number starts with the region's
 * two-digit code. */
static const struct { const char *name; Kind kind; guint region; guint weight; } resources[] = {
  { "seoul-residential",   KIND_HOME,    11, 30 },
  { "gyeonggi-residential", KIND_HOME,   41, 25 },
  { "busan-residential",   KIND_HOME,    26, 15 },
  { "seoul-commercial",    KIND_SHOP,    11, 20 },
  { "daegu-commercial",    KIND_SHOP,    27, 10 },
  { "daejeon-commercial",  KIND_SHOP,    30, 8 },
  { "gyeonggi-industrial", KIND_FACTORY, 41, 12 },
  { "ulsan-industrial",    KIND_FACTORY, 31, 8 },
  { "incheon-industrial",  KIND_FACTORY, 28, 6 },
};

static const char *const resource_names[] = {
  "seoul-residential", "gyeonggi-residential", "busan-residential",
  "seoul-commercial", "daegu-commercial", "daejeon-commercial",
  "gyeonggi-industrial", "ulsan-industrial", "incheon-industrial",
  NULL
};

static const char *const email_domains[] = {
  "example.com", "example.kr", "example.net", "example.org",
};

struct _DrdDemoGen {
  GRand   *rand;
  gint64   next_id;
  guint    family_total;
  char    *webhook_base;
  guint64  kepco_offset;
};

DrdDemoGen *
drd_demo_gen_new (guint32 seed, const char *webhook_base)
{
  DrdDemoGen *gen = g_new0 (DrdDemoGen, 1);

  gen->rand = g_rand_new_with_seed (seed);
  gen->next_id = 1;
  for (gsize i = 0; i < G_N_ELEMENTS (family_names); i++)
    gen->family_total += family_names[i].weight;
  gen->webhook_base = g_strdup (webhook_base);
  gen->kepco_offset = (guint64) g_rand_int_range (gen->rand, 0, 10000000);
  return gen;
}

void
drd_demo_gen_free (DrdDemoGen *gen)
{
  if (gen == NULL)
    return;
  g_rand_free (gen->rand);
  g_free (gen->webhook_base);
  g_free (gen);
}

const char *const *
drd_demo_gen_resources (void)
{
  return resource_names;
}

static guint
pick_family (DrdDemoGen *gen)
{
  guint r = (guint) g_rand_int_range (gen->rand, 0, (gint32) gen->family_total);

  for (gsize i = 0; i < G_N_ELEMENTS (family_names); i++)
    {
      if (r < family_names[i].weight)
        return i;
      r -= family_names[i].weight;
    }
  return 0;
}

static const char *
pick (DrdDemoGen *gen, const char *const *list, gsize n)
{
  return list[g_rand_int_range (gen->rand, 0, (gint32) n)];
}
#define PICK(gen, array) pick ((gen), (array), G_N_ELEMENTS (array))

static guint
pick_resource (DrdDemoGen *gen, Kind kind)
{
  guint total = 0, r;

  for (gsize i = 0; i < G_N_ELEMENTS (resources); i++)
    if (resources[i].kind == kind)
      total += resources[i].weight;
  r = (guint) g_rand_int_range (gen->rand, 0, (gint32) total);
  for (gsize i = 0; i < G_N_ELEMENTS (resources); i++)
    {
      if (resources[i].kind != kind)
        continue;
      if (r < resources[i].weight)
        return i;
      r -= resources[i].weight;
    }
  return 0;
}

/* Log-normal capacity in W, rounded to 100 W, clamped to [lo, hi]. */
static gint64
lognormal_w (DrdDemoGen *gen, double median_kw, double sigma, double lo_kw, double hi_kw)
{
  /* Box–Muller from two uniforms in (0, 1]. */
  double u1 = 1.0 - g_rand_double (gen->rand);
  double u2 = g_rand_double (gen->rand);
  double z = sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
  double kw = CLAMP (median_kw * exp (sigma * z), lo_kw, hi_kw);

  return (gint64) llround (kw * 10.0) * 100;
}

void
drd_demo_gen_next (DrdDemoGen *gen, DrdCustomer *c)
{
  gint64 id = gen->next_id++;
  guint kind_roll = (guint) g_rand_int_range (gen->rand, 0, 100);
  Kind kind = kind_roll < 15 ? KIND_FACTORY : kind_roll < 45 ? KIND_SHOP : KIND_HOME;
  guint fam = pick_family (gen);
  guint res = pick_resource (gen, kind);
  const char *g1 = PICK (gen, given_syllables);
  const char *g2 = PICK (gen, given_syllables);
  guint64 serial;
  gboolean hook;

  g_clear_pointer (&c->name, g_free);
  g_clear_pointer (&c->kepco_no, g_free);
  g_clear_pointer (&c->resource, g_free);
  g_clear_pointer (&c->phone, g_free);
  g_clear_pointer (&c->email, g_free);
  g_clear_pointer (&c->webhook_url, g_free);

  c->id = id;
  switch (kind)
    {
    case KIND_FACTORY:
      c->name = g_strdup_printf ("(주)%s%s", PICK (gen, company_first), PICK (gen, company_last));
      c->registered_w = lognormal_w (gen, 800.0, 0.9, 100.0, 20000.0);
      break;
    case KIND_SHOP:
      if (g_rand_boolean (gen->rand))
        c->name = g_strdup_printf ("%s%s%s", g1, g2, PICK (gen, shop_kinds));
      else
        c->name = g_strdup_printf ("%s%s %s", family_names[fam].name, PICK (gen, shop_kinds),
                                   g_rand_boolean (gen->rand) ? "본점" : "지점");
      c->registered_w = lognormal_w (gen, 30.0, 0.7, 3.0, 500.0);
      break;
    case KIND_HOME:
    default:
      c->name = g_strconcat (family_names[fam].name, g1, g2, NULL);
      c->registered_w = lognormal_w (gen, 3.0, 0.5, 0.5, 30.0);
      break;
    }
  c->is_factory = kind == KIND_FACTORY;
  c->resource = g_strdup (resources[res].name);
  c->cbl_method = g_rand_int_range (gen->rand, 0, 100) < 70 ? DRD_CBL_MID_6_10 : DRD_CBL_MAX_4_5;

  /* region code + 8 digits growing with the id (offset < 10^7, step 7,
   * ids ≤ 10^7): numbers never repeat, and SQLite's kepco_no index is
   * appended to instead of written all over (a quarter of the insert time
   * for a million customers). */
  serial = gen->kepco_offset + (guint64) id * 7u;
  c->kepco_no = g_strdup_printf ("%02u%08" G_GUINT64_FORMAT, resources[res].region, serial);

  if (g_rand_int_range (gen->rand, 0, 100) < 95)
    c->phone = g_strdup_printf ("010-%04d-%04d",
                                g_rand_int_range (gen->rand, 2000, 10000),
                                g_rand_int_range (gen->rand, 0, 10000));
  if (g_rand_int_range (gen->rand, 0, 100) < 80)
    c->email = g_strdup_printf ("%s%" G_GINT64_FORMAT "@%s", family_names[fam].latin, id,
                                PICK (gen, email_domains));
  /* Only with --webhook-base, and then only a few (factories, 1 in 5);
   * the draw happens either way so the other fields do not depend on it. */
  hook = g_rand_int_range (gen->rand, 0, 5) == 0;
  if (gen->webhook_base != NULL && kind == KIND_FACTORY && hook)
    c->webhook_url = g_strdup_printf ("%s/%" G_GINT64_FORMAT, gen->webhook_base, id);
}
