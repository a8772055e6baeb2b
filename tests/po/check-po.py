#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Korean catalog covers the current sources (TAP).

Regenerates the template from po/POTFILES.in into a temporary directory with
the xgettext arguments of meson's i18n 'glib' preset, then checks:
  1. POTFILES.in lists exactly the files xgettext finds strings in (every
     src/, ui/ and data/ candidate is scanned), sorted, and they all exist;
  2. every msgid of the template is in po/ko.po, translated and not fuzzy;
  3. `msgfmt -c --check-format` passes on po/ko.po and on ko.po merged with
     the fresh template (so placeholders of new c-format strings are checked);
  4. the glossary at the top of ko.po ("term:" and "forbidden:" lines): the
     answer terms and the result terms share no word; every msgstr of a msgid
     that names a term (e.g. "Accepted", "not participating") contains its
     Korean term; no msgstr contains a forbidden word, and 이행 appears only
     inside 감축 이행, 감축 미이행 or 이행률.
Offending msgids are printed as TAP diagnostics.

Usage: check-po.py SOURCE_ROOT
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

# Keep in sync with mesonbuild/modules/i18n.py PRESET_ARGS['glib'] (meson 1.0).
GLIB_PRESET = [
    '--from-code=UTF-8', '--add-comments',
    '--keyword=_', '--keyword=N_', '--keyword=C_:1c,2', '--keyword=NC_:1c,2',
    '--keyword=g_dcgettext:2', '--keyword=g_dngettext:2,3', '--keyword=g_dpgettext2:2c,3',
    '--flag=N_:1:pass-c-format', '--flag=C_:2:pass-c-format', '--flag=NC_:2:pass-c-format',
    '--flag=g_dngettext:2:pass-c-format', '--flag=g_strdup_printf:1:c-format',
    '--flag=g_string_printf:2:c-format', '--flag=g_string_append_printf:2:c-format',
    '--flag=g_error_new:3:c-format', '--flag=g_set_error:4:c-format',
    '--flag=g_markup_printf_escaped:1:c-format', '--flag=g_log:3:c-format',
    '--flag=g_print:1:c-format', '--flag=g_printerr:1:c-format', '--flag=g_printf:1:c-format',
    '--flag=g_fprintf:2:c-format', '--flag=g_sprintf:2:c-format', '--flag=g_snprintf:3:c-format',
]

src = sys.argv[1]
po_dir = os.path.join(src, 'po')
tmp = tempfile.mkdtemp(prefix='drd-po-')
n = 0
failed = 0


def ok(good, name, diag=()):
    global n, failed
    n += 1
    if not good:
        failed += 1
    print(('ok' if good else 'not ok') + ' %d %s' % (n, name))
    for line in diag:
        print('# ' + line)
    sys.stdout.flush()


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def xgettext(files_from, out):
    env = dict(os.environ, LC_ALL='C.UTF-8')
    return run(['xgettext', '--package-name=drdesk', '-f', files_from, '-D', src,
                '-k_', '-o', out] + GLIB_PRESET, env=env)


def referenced_files(pot):
    files = set()
    with open(pot, encoding='utf-8') as f:
        for line in f:
            if line.startswith('#: '):
                for ref in line[3:].split():
                    files.add(ref.rsplit(':', 1)[0])
    return files


def entries(po_text):
    """(msgid, flags, msgstrs) for each non-header, non-obsolete entry."""
    out = []
    for block in re.split(r'\n\s*\n', po_text):
        lines = [l for l in block.splitlines() if l.strip()]
        if not lines or all(l.startswith('#~') or l.startswith('#') for l in lines):
            continue
        flags = set()
        cur = None
        fields = {}
        for l in lines:
            if l.startswith('#,'):
                flags.update(x.strip() for x in l[2:].split(','))
                continue
            if l.startswith('#'):
                continue
            m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"$', l)
            if m:
                cur = m.group(1)
                fields[cur] = m.group(2)
            elif l.startswith('"') and cur is not None:
                fields[cur] += l[1:-1]
        if 'msgid' not in fields or fields['msgid'] == '':
            continue
        key = (fields.get('msgctxt'), fields['msgid'])
        strs = [v for k, v in fields.items() if k.startswith('msgstr')]
        out.append((key, flags, strs))
    return out


print('TAP version 13')
sys.stdout.flush()

# 1. POTFILES.in is complete, exists, sorted.
potfiles_in = os.path.join(po_dir, 'POTFILES.in')
with open(potfiles_in, encoding='utf-8') as f:
    listed = [l.strip() for l in f if l.strip() and not l.startswith('#')]
missing_files = [p for p in listed if not os.path.exists(os.path.join(src, p))]
ok(not missing_files, 'every file in POTFILES.in exists',
   ['missing: ' + p for p in missing_files])
ok(listed == sorted(listed, key=lambda s: s.encode()) and len(set(listed)) == len(listed),
   'POTFILES.in is sorted (LC_ALL=C) without duplicates')

candidates = sorted(
    os.path.relpath(p, src)
    for pattern in ('src/**/*.c', 'src/**/*.h', 'ui/**/*.ui', 'data/*.desktop.in',
                    'data/*.metainfo.xml.in', 'data/*.gschema.xml.in')
    for p in glob.glob(os.path.join(src, pattern), recursive=True))
all_list = os.path.join(tmp, 'ALL')
with open(all_list, 'w', encoding='utf-8') as f:
    f.write('\n'.join(candidates) + '\n')
all_pot = os.path.join(tmp, 'all.pot')
r = xgettext(all_list, all_pot)
ok(r.returncode == 0, 'xgettext scans every candidate source',
   r.stderr.splitlines()[-20:])
if r.returncode == 0 and os.path.exists(all_pot):
    unlisted = sorted(referenced_files(all_pot) - set(listed))
    ok(not unlisted, 'every file with translatable strings is in POTFILES.in',
       ['not listed: ' + p for p in unlisted])
else:
    ok(False, 'every file with translatable strings is in POTFILES.in', ['no template'])

# 2. The template from POTFILES.in is fully translated in ko.po.
pot = os.path.join(tmp, 'drdesk.pot')
r = xgettext(potfiles_in, pot)
ok(r.returncode == 0 and os.path.exists(pot), 'template regenerated from POTFILES.in',
   r.stderr.splitlines()[-20:])
ko_po = os.path.join(po_dir, 'ko.po')
with open(ko_po, encoding='utf-8') as f:
    ko = {key: (flags, strs) for key, flags, strs in entries(f.read())}
with open(pot, encoding='utf-8') as f:
    template = entries(f.read())
ok(len(template) > 0, 'template has messages (%d)' % len(template))


def show(key):
    ctxt, msgid = key
    return ('[%s] ' % ctxt if ctxt else '') + msgid


bad_missing = [show(k) for k, _, _ in template if k not in ko]
bad_empty = [show(k) for k, _, _ in template
             if k in ko and any(s == '' for s in ko[k][1])]
bad_fuzzy = [show(k) for k, _, _ in template if k in ko and 'fuzzy' in ko[k][0]]
ok(not bad_missing, 'every msgid of the template is in ko.po (%d missing)' % len(bad_missing),
   ['missing: ' + m for m in bad_missing])
ok(not bad_empty, 'every msgid is translated in ko.po (%d untranslated)' % len(bad_empty),
   ['untranslated: ' + m for m in bad_empty])
ok(not bad_fuzzy, 'no fuzzy translation in ko.po (%d fuzzy)' % len(bad_fuzzy),
   ['fuzzy: ' + m for m in bad_fuzzy])

# 3. msgfmt -c --check-format, on ko.po and on ko.po merged with the template.
r = run(['msgfmt', '-c', '--check-format', '-o', os.devnull, ko_po])
ok(r.returncode == 0, 'msgfmt -c --check-format po/ko.po', r.stderr.splitlines()[-30:])
merged = os.path.join(tmp, 'ko.po')
r = run(['msgmerge', '--quiet', '--no-fuzzy-matching', '-o', merged, ko_po, pot])
if r.returncode == 0:
    r = run(['msgfmt', '-c', '--check-format', '-o', os.devnull, merged])
ok(r.returncode == 0, 'msgfmt -c --check-format on ko.po merged with the fresh template',
   r.stderr.splitlines()[-30:])

# 4. The glossary.
# English spellings of each glossary term in msgids. Enum values written as
# such (accept|deny, 'accept', accepted_kw) are not the term.
TERM_PATTERNS = {
    'accept': r"(?<![|'\"_-])\b(accept|accepted)\b(?![|_'\"-])",
    'deny': r"(?<![|'\"_-])\b(deny|denied)\b(?![|_'\"-])",
    'none': r"\bno response\b",
    'performed': r"(?<!not )\bperformed\b",
    'not_performed': r"\bnot performed\b",
    'not_participating': r"\bnot participating\b",
    'needs_review': r"\bneeds review\b",
    'delivery_rate': r"\bdelivery rate\b|\bdelivered\b.*\bof the target\b",
}
# msgids where the English word is not the glossary term.
NOT_THE_TERM = {
    'Database file (also accepted before the command)',
}
with open(ko_po, encoding='utf-8') as f:
    header = []
    for line in f:
        if not line.startswith('#'):
            break
        header.append(line[1:].strip())
terms = {}
forbidden = []
for line in header:
    m = re.match(r'^term:\s+(answer|result|rate)\s+(\S+)\s+(.+)$', line)
    if m:
        terms[m.group(2)] = (m.group(1), m.group(3).strip())
    m = re.match(r'^forbidden:\s+(.+)$', line)
    if m:
        forbidden += [w.strip() for w in m.group(1).split(',') if w.strip()]
ok(set(terms) == set(TERM_PATTERNS) and forbidden,
   'ko.po starts with the glossary (%d terms, %d forbidden words)' % (len(terms), len(forbidden)),
   ['missing term: ' + t for t in sorted(set(TERM_PATTERNS) - set(terms))])
answer_words = {w for k, (kind, ko_term) in terms.items() if kind == 'answer' for w in ko_term.split()}
result_words = {w for k, (kind, ko_term) in terms.items() if kind == 'result' for w in ko_term.split()}
ok(not (answer_words & result_words), 'answer and result terms share no word',
   ['shared: ' + w for w in sorted(answer_words & result_words)])

wrong_term = []
wrong_word = []
bare = re.compile(r'(?<!감축 )(?<!미)이행(?!률)')
for key, (flags, strs) in ko.items():
    msgid = key[1]
    for term, pattern in TERM_PATTERNS.items():
        if term not in terms or msgid in NOT_THE_TERM:
            continue
        m = re.search(pattern, msgid, re.IGNORECASE)
        if m:
            want = terms[term][1]
            for st in strs:
                # an enum value kept as it is ("accept 또는 deny") is not the term
                if want not in st and m.group(0).lower() not in st.lower():
                    wrong_term.append('%s: "%s" lacks %s: "%s"' % (term, msgid[:80], want, st[:80]))
    for st in strs:
        for w in forbidden:
            if w in st:
                wrong_word.append('"%s" uses %s: "%s"' % (msgid[:60], w, st[:80]))
        if bare.search(st):
            wrong_word.append('"%s" uses a bare 이행: "%s"' % (msgid[:60], st[:80]))
ok(not wrong_term, 'every msgstr of a glossary term uses its Korean term (%d wrong)' % len(wrong_term),
   wrong_term)
ok(not wrong_word, 'no msgstr uses a forbidden word (%d found)' % len(wrong_word), wrong_word)

# The portal's Korean lives in C (src/portal/drd-portal-strings.c): the
# same glossary. Each row is `[DRD_PS_X] = { "Korean", "English" }`.
portal_c = os.path.join(src, 'src', 'portal', 'drd-portal-strings.c')
portal = {}
with open(portal_c, encoding='utf-8') as f:
    for m in re.finditer(r'\[(DRD_PS_\w+)\]\s*=\s*\{\s*"((?:[^"\\]|\\.)*)"', f.read()):
        portal[m.group(1)] = m.group(2)
portal_wrong = []
for name, want in (('DRD_PS_ANSWER_ACCEPT', 'accept'), ('DRD_PS_ANSWER_DENY', 'deny'),
                   ('DRD_PS_ANSWER_NONE', 'none'), ('DRD_PS_BUTTON_DENY', 'deny')):
    if name not in portal or want not in terms or terms[want][1] not in portal[name]:
        portal_wrong.append('%s: "%s" lacks %s' % (name, portal.get(name), terms.get(want, ('', '?'))[1]))
for name, text in portal.items():
    for w in forbidden:
        if w in text:
            portal_wrong.append('%s uses %s: "%s"' % (name, w, text))
    if bare.search(text):
        portal_wrong.append('%s uses a bare 이행: "%s"' % (name, text))
    if name.startswith('DRD_PS_ANSWER_') or name.startswith('DRD_PS_BUTTON_'):
        for w in result_words:
            if w in text.split():
                portal_wrong.append('%s (an answer) uses the result word %s' % (name, w))
ok(len(portal) > 20 and not portal_wrong,
   'the portal strings follow the glossary (%d strings)' % len(portal), portal_wrong)

# Operator jargon: utility staff read "circuit closed" as an electrical state.
jargon = [show(k) for k, _, _ in template
          if re.search(r'\bcircuit\b|\bKEPCO link\b|\bbreaker\b', k[1], re.IGNORECASE)]
ok(not jargon, 'no user-facing string speaks of circuits or the "KEPCO link" (%d found)' % len(jargon),
   ['jargon: ' + j for j in jargon])

for p in glob.glob(os.path.join(tmp, '*')):
    os.unlink(p)
os.rmdir(tmp)
print('1..%d' % n)
sys.exit(1 if failed else 0)
