/* SPDX-License-Identifier: MIT */
/*
 * fuzz_clock: the text parsers of sim/clock — mapi_duration_parse,
 * mapi_time_parse_rfc3339 and mapi_clock_apply_spec — on a clock over a
 * fixed source. Properties: outputs are untouched on failure; a parsed
 * RFC 3339 time formats back (to the second) into text that parses to the
 * same second; a spec that fails leaves the clock unchanged.
 */
#include "fuzz.h"
#include "sim/clock.h"

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && a < 0) ? q - 1 : q;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	struct mapi_clock_info before;
	struct mapi_clock_info after;
	struct mapi_clock *clock = NULL;
	struct mapi_diag diag = { 0 };
	int64_t ns = INT64_C(0x5a5a5a5a);
	char buf[64];

	if (mapi_duration_parse(text, &ns) != MAPI_OK) {
		FUZZ_CHECK(ns == INT64_C(0x5a5a5a5a));
	}

	ns = INT64_C(0x5a5a5a5a);
	if (mapi_time_parse_rfc3339(text, &ns) == MAPI_OK) {
		int64_t sec = floor_div(ns, MAPI_NS_PER_SEC);
		int64_t again = 0;

		if (mapi_time_format_rfc3339(sec, buf, sizeof(buf))) {
			FUZZ_CHECK(mapi_time_parse_rfc3339(buf, &again) ==
			           MAPI_OK);
			FUZZ_CHECK(again == sec * MAPI_NS_PER_SEC);
		}
	} else {
		FUZZ_CHECK(ns == INT64_C(0x5a5a5a5a));
	}

	FUZZ_CHECK(mapi_clock_new_with_source(fuzz_fixed_source, NULL,
	                                      &clock) == MAPI_OK);
	mapi_clock_info(clock, &before);
	if (mapi_clock_apply_spec(clock, text, &diag) != MAPI_OK) {
		mapi_clock_info(clock, &after);
		FUZZ_CHECK(after.now_ns == before.now_ns);
		FUZZ_CHECK(after.frozen == before.frozen);
		FUZZ_CHECK(after.rate_milli == before.rate_milli);
		FUZZ_CHECK(memchr(diag.msg, '\0', sizeof(diag.msg)) != NULL);
	}
	(void)mapi_clock_now(clock);
	mapi_clock_free(clock);
	free(text);
	return 0;
}
