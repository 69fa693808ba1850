/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * fuzz.h: what every libFuzzer target in tests/fuzz shares.
 *
 * Each fuzz_<target>.c defines LLVMFuzzerTestOneInput (and, when it needs
 * fixture data loaded once, LLVMFuzzerInitialize). Targets are
 * deterministic (a fixed fake clock, seeded stores, no randomness) and keep
 * no state between inputs except read-only fixtures, so every crash input
 * replays on its own. Input sizes are capped by the runner's -max_len
 * (tests/fuzz/targets) and again inside targets that allocate per byte.
 *
 * FUZZ_CHECK(cond) aborts with the failed condition: a property violation
 * is a crash for libFuzzer, just as a sanitizer report is.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                \
	do {                                                            \
		if (!(cond)) {                                          \
			fprintf(stderr, "%s:%d: property failed: %s\n", \
			        __FILE__, __LINE__, #cond);             \
			abort();                                        \
		}                                                       \
	} while (0)

/* The fake "now" of every target that needs a clock (fixtures' README). */
#define FUZZ_NOW_NS (INT64_C(1700001000) * INT64_C(1000000000))

/*
 * $MOCKAPI_FIXTURES/<rel> if set, else the source tree's fixtures/<rel>
 * (MAPI_FUZZ_FIXTURES, set by meson). malloc'd; aborts on ENOMEM.
 */
static inline char *
fuzz_fixture_path(const char *rel)
{
	const char *dir = getenv("MOCKAPI_FIXTURES");
	size_t n;
	char *p;

	if (dir == NULL || *dir == '\0') {
		dir = MAPI_FUZZ_FIXTURES;
	}
	n = strlen(dir) + 1 + strlen(rel) + 1;
	p = malloc(n);
	FUZZ_CHECK(p != NULL);
	snprintf(p, n, "%s/%s", dir, rel);
	return p;
}

/* A NUL-terminated copy of data[0..size); aborts on ENOMEM. */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	FUZZ_CHECK(s != NULL);
	if (size > 0) {
		memcpy(s, data, size);
	}
	s[size] = '\0';
	return s;
}

/* A clock source that always says FUZZ_NOW_NS. */
static inline int64_t
fuzz_fixed_source(void *payload)
{
	(void)payload;
	return FUZZ_NOW_NS;
}
