/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer entry for one target; meson builds this file once per target
 * with -DDRD_FUZZ_FUNC=drd_fuzz_<name>. */
#include "config.h"

#include <stdint.h>

#include "drd-fuzz-targets.h"

#ifndef DRD_FUZZ_FUNC
#error "build with -DDRD_FUZZ_FUNC=drd_fuzz_<target>"
#endif

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  drd_fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  return DRD_FUZZ_FUNC (data, size);
}
