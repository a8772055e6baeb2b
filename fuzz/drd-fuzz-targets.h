/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Hostile-input entry points, shared by the libFuzzer executables
 * (fuzz/drd-fuzz-main.c, clang only) and the corpus regression test
 * (tests/fuzz/test-fuzz-corpus.c, the normal build).
 *
 * Each function takes arbitrary bytes, runs them through one parser and
 * checks the invariants that matter for it (round trips, differential
 * answers, counts).  A broken invariant prints what broke and aborts, so
 * libFuzzer records the input as a crash and the test fails on it.  Each
 * returns 0 (libFuzzer's convention). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef int (*DrdFuzzFunc) (const guint8 *data, size_t size);

typedef struct {
  const char  *name;   /* also the folder under fuzz/corpus/ and fuzz/crashes/ */
  DrdFuzzFunc  func;
} DrdFuzzTarget;

/* NULL-name-terminated. */
extern const DrdFuzzTarget drd_fuzz_targets[];

/* Makes GLib criticals and warnings fatal: a g_return_if_fail() reached
 * from input bytes is a bug like any other. */
void drd_fuzz_init (void);

int drd_fuzz_csv (const guint8 *data, size_t size);
int drd_fuzz_kepco (const guint8 *data, size_t size);
int drd_fuzz_time (const guint8 *data, size_t size);
int drd_fuzz_calendar (const guint8 *data, size_t size);
int drd_fuzz_portal (const guint8 *data, size_t size);

G_END_DECLS
