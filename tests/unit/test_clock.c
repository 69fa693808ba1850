/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <pthread.h>

#include "sim/clock.h"
#include "th.h"

#define T0 (INT64_C(1700000000) * MAPI_NS_PER_SEC)

/* A fake real-time source the tests move by hand. */
struct fake_real {
	int64_t now;
};

static int64_t
fake_source(void *payload)
{
	return ((struct fake_real *)payload)->now;
}

struct fixture {
	struct fake_real real;
	struct mapi_clock *clock;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		return -1;
	}
	f->real.now = T0;
	if (mapi_clock_new_with_source(fake_source, &f->real, &f->clock) !=
	    MAPI_OK) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	mapi_clock_free(f->clock);
	free(f);
	return 0;
}

static void
test_clock_follows_source_at_rate_one(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mapi_clock_now_ns(f->clock), T0);
	f->real.now += 5 * MAPI_NS_PER_SEC;
	assert_int_equal(mapi_clock_now(f->clock), 1700000005);
}

static void
test_clock_frozen_stands_still_until_advanced(void **state)
{
	struct fixture *f = *state;

	mapi_clock_freeze(f->clock);
	f->real.now += 3600 * MAPI_NS_PER_SEC;
	assert_int_equal(mapi_clock_now(f->clock), 1700000000);
	assert_int_equal(mapi_clock_advance_ns(f->clock, 61 * 60 * MAPI_NS_PER_SEC),
	                 MAPI_OK);
	assert_int_equal(mapi_clock_now(f->clock), 1700000000 + 3660);
	f->real.now += 10 * MAPI_NS_PER_SEC;
	assert_int_equal(mapi_clock_now(f->clock), 1700000000 + 3660);
}

static void
test_clock_resume_continues_from_frozen_time(void **state)
{
	struct fixture *f = *state;

	mapi_clock_freeze(f->clock);
	f->real.now += 100 * MAPI_NS_PER_SEC;
	mapi_clock_resume(f->clock);
	f->real.now += 7 * MAPI_NS_PER_SEC;
	assert_int_equal(mapi_clock_now(f->clock), 1700000007);
}

static void
test_clock_rate_runs_n_times_faster_from_anchor(void **state)
{
	struct fixture *f = *state;

	f->real.now += 10 * MAPI_NS_PER_SEC; /* mock = T0+10 */
	assert_int_equal(mapi_clock_set_rate(f->clock, 120 * 1000), MAPI_OK);
	f->real.now += 4 * MAPI_NS_PER_SEC; /* 4 real s = 480 mock s */
	assert_int_equal(mapi_clock_now(f->clock), 1700000000 + 10 + 480);
	assert_int_equal(mapi_clock_set_rate(f->clock, 500), MAPI_OK); /* x0.5 */
	f->real.now += 4 * MAPI_NS_PER_SEC;
	assert_int_equal(mapi_clock_now(f->clock), 1700000000 + 10 + 480 + 2);
}

static void
test_clock_rejects_bad_rate_and_negative_advance(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mapi_clock_set_rate(f->clock, 0), MAPI_EINVAL);
	assert_int_equal(mapi_clock_set_rate(f->clock, -1000), MAPI_EINVAL);
	assert_int_equal(mapi_clock_advance_ns(f->clock, -1), MAPI_EINVAL);
	assert_int_equal(mapi_clock_advance_ns(f->clock, INT64_MAX), MAPI_EINVAL);
	assert_int_equal(mapi_clock_now_ns(f->clock), T0);
}

static void
test_clock_set_keeps_mode(void **state)
{
	struct fixture *f = *state;
	struct mapi_clock_info info;

	mapi_clock_freeze(f->clock);
	mapi_clock_set_ns(f->clock, 42 * MAPI_NS_PER_SEC);
	f->real.now += MAPI_NS_PER_SEC;
	mapi_clock_info(f->clock, &info);
	assert_true(info.frozen);
	assert_int_equal(info.now_ns, 42 * MAPI_NS_PER_SEC);
	assert_int_equal(info.rate_milli, 1000);
	assert_int_equal(info.offset_ns, 42 * MAPI_NS_PER_SEC - f->real.now);
}

static void
test_clock_spec_frozen_offset_now(void **state)
{
	struct fixture *f = *state;
	struct mapi_diag diag = { 0 };
	struct mapi_clock_info info;

	assert_int_equal(mapi_clock_apply_spec(f->clock,
	                                       "frozen:2025-06-01T10:00:00Z",
	                                       &diag),
	                 MAPI_OK);
	f->real.now += 50 * MAPI_NS_PER_SEC;
	assert_int_equal(mapi_clock_now(f->clock), 1748772000);
	assert_int_equal(mapi_clock_apply_spec(f->clock, "now", &diag), MAPI_OK);
	assert_int_equal(mapi_clock_now_ns(f->clock), f->real.now);
	assert_int_equal(mapi_clock_apply_spec(f->clock, "offset:-2h", &diag),
	                 MAPI_OK);
	mapi_clock_info(f->clock, &info);
	assert_false(info.frozen);
	assert_int_equal(info.offset_ns, -7200 * MAPI_NS_PER_SEC);
	assert_int_equal(mapi_clock_apply_spec(f->clock, "later", &diag),
	                 MAPI_EINVAL);
	assert_non_null(strstr(diag.msg, "invalid --clock later"));
	assert_int_equal(mapi_clock_apply_spec(f->clock, "frozen:yesterday",
	                                       &diag),
	                 MAPI_EINVAL);
	mapi_clock_info(f->clock, &info);
	assert_int_equal(info.offset_ns, -7200 * MAPI_NS_PER_SEC);
}

static const struct {
	const char *text;
	enum mapi_err err;
	int64_t ns;
} durations[] = {
	{ "90s", MAPI_OK, 90 * MAPI_NS_PER_SEC },
	{ "10m", MAPI_OK, 600 * MAPI_NS_PER_SEC },
	{ "2h", MAPI_OK, 7200 * MAPI_NS_PER_SEC },
	{ "1h30m", MAPI_OK, 5400 * MAPI_NS_PER_SEC },
	{ "1.5h", MAPI_OK, 5400 * MAPI_NS_PER_SEC },
	{ "500ms", MAPI_OK, 500000000 },
	{ "1m0.5s", MAPI_OK, 60500000000 },
	{ "-2h", MAPI_OK, -7200 * MAPI_NS_PER_SEC },
	{ "0", MAPI_OK, 0 },
	{ "1d", MAPI_OK, 86400 * MAPI_NS_PER_SEC },
	{ "3us", MAPI_OK, 3000 },
	{ "", MAPI_EINVAL, 0 },
	{ "10", MAPI_EINVAL, 0 },
	{ "h", MAPI_EINVAL, 0 },
	{ "1x", MAPI_EINVAL, 0 },
	{ "1h 30m", MAPI_EINVAL, 0 },
	{ ".s", MAPI_EINVAL, 0 },
	{ "9999999999999h", MAPI_EINVAL, 0 },
	{ "-", MAPI_EINVAL, 0 },
};

static void
test_clock_duration_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		int64_t ns = -12345;
		enum mapi_err err = mapi_duration_parse(durations[i].text, &ns);

		if (err != durations[i].err) {
			fail_msg("duration %s: err %d, want %d",
			         durations[i].text, err, durations[i].err);
		}
		if (err == MAPI_OK) {
			assert_int_equal(ns, durations[i].ns);
		} else {
			assert_int_equal(ns, -12345); /* untouched */
		}
	}
}

/*
 * The formatter against libc's gmtime_r() + strftime() (the old
 * implementation) over the edges and 200 000 seeded instants in years
 * 1000..9999 (strftime's %Y does not pad smaller years to four digits, as
 * RFC 3339 needs: year 0 is checked by hand), and refusals outside
 * 0..9999.
 */
static void
test_clock_rfc3339_format_matches_gmtime(void **state)
{
	const int64_t edges[] = {
		0, -1, 1, 86399, 86400, -86400, -86401, 951782400 /* 2000-02-29 */,
		4107542399 /* 2100-02-28T23:59:59 */, 4107542400,
		-30610224000 /* 1000-01-01 */, 253402300799 /* 9999-12-31T... */,
	};
	uint64_t x = 0x9e3779b97f4a7c15u;
	char want[64];
	char got[64];
	struct tm tm;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]) + 200000; i++) {
		int64_t t;
		time_t tt;

		if (i < sizeof(edges) / sizeof(edges[0])) {
			t = edges[i];
		} else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			t = -30610224000 +
			    (int64_t)(x % (uint64_t)(253402300800 + 30610224000));
		}
		tt = (time_t)t;
		assert_non_null(gmtime_r(&tt, &tm));
		assert_int_equal(strftime(want, sizeof(want),
		                          "%Y-%m-%dT%H:%M:%SZ", &tm),
		                 20);
		assert_true(mapi_time_format_rfc3339(t, got, sizeof(got)));
		assert_string_equal(got, want);
	}
	assert_true(mapi_time_format_rfc3339(-62167219200, got, sizeof(got)));
	assert_string_equal(got, "0000-01-01T00:00:00Z");
	assert_true(mapi_time_format_rfc3339(-62162035201, got, sizeof(got)));
	assert_string_equal(got, "0000-02-29T23:59:59Z"); /* a leap year */
	assert_false(mapi_time_format_rfc3339(-62167219201, got, sizeof(got)));
	assert_false(mapi_time_format_rfc3339(253402300800, got, sizeof(got)));
	assert_false(mapi_time_format_rfc3339(INT64_MAX, got, sizeof(got)));
	assert_false(mapi_time_format_rfc3339(INT64_MIN, got, sizeof(got)));
}

static void
test_clock_rfc3339_round_trip_and_rejects(void **state)
{
	char buf[32];
	int64_t ns = 0;

	(void)state;
	assert_true(mapi_time_format_rfc3339(1748772000, buf, sizeof(buf)));
	assert_string_equal(buf, "2025-06-01T10:00:00Z");
	assert_false(mapi_time_format_rfc3339(1748772000, buf, 10));
	assert_int_equal(mapi_time_parse_rfc3339("2025-06-01T10:00:00Z", &ns),
	                 MAPI_OK);
	assert_int_equal(ns, 1748772000 * MAPI_NS_PER_SEC);
	assert_int_equal(mapi_time_parse_rfc3339("2025-06-01T12:00:00.25+02:00",
	                                         &ns),
	                 MAPI_OK);
	assert_int_equal(ns, 1748772000 * MAPI_NS_PER_SEC + 250000000);
	assert_int_equal(mapi_time_parse_rfc3339("1970-01-01T00:00:00Z", &ns),
	                 MAPI_OK);
	assert_int_equal(ns, 0);
	assert_int_equal(mapi_time_parse_rfc3339("2024-02-29T00:00:00Z", &ns),
	                 MAPI_OK);
	assert_int_equal(mapi_time_parse_rfc3339("2025-02-29T00:00:00Z", &ns),
	                 MAPI_EINVAL);
	assert_int_equal(mapi_time_parse_rfc3339("2025-13-01T00:00:00Z", &ns),
	                 MAPI_EINVAL);
	assert_int_equal(mapi_time_parse_rfc3339("2025-06-01 10:00:00Z", &ns),
	                 MAPI_EINVAL);
	assert_int_equal(mapi_time_parse_rfc3339("2025-06-01T10:00:00", &ns),
	                 MAPI_EINVAL);
	assert_int_equal(mapi_time_parse_rfc3339("2025-06-01T10:00:00Zjunk",
	                                         &ns),
	                 MAPI_EINVAL);
	/* Found by fuzz_clock: years outside int64 ns overflowed (UB). */
	ns = 7;
	assert_int_equal(mapi_time_parse_rfc3339("3024-02-29T23:59:60Z", &ns),
	                 MAPI_EINVAL);
	assert_int_equal(mapi_time_parse_rfc3339("0001-01-01T00:00:00Z", &ns),
	                 MAPI_EINVAL);
	assert_int_equal(
		mapi_time_parse_rfc3339("2262-04-11T23:47:16.854775808Z", &ns),
		MAPI_EINVAL);
	assert_int_equal(ns, 7);
	assert_int_equal(
		mapi_time_parse_rfc3339("2262-04-11T23:47:16.854775807Z", &ns),
		MAPI_OK);
	assert_int_equal(ns, INT64_MAX);
	assert_int_equal(mapi_time_parse_rfc3339("1677-09-21T00:12:44Z", &ns),
	                 MAPI_OK);
	assert_int_equal(ns, INT64_C(-9223372036) * MAPI_NS_PER_SEC);
	assert_int_equal(mapi_time_parse_rfc3339("1677-09-21T00:12:43Z", &ns),
	                 MAPI_EINVAL);
}

/* Readers on other threads never see a torn state while a writer works. */
struct race {
	struct mapi_clock *clock;
	int torn;
};

static void *
reader(void *arg)
{
	struct race *r = arg;
	int i;

	for (i = 0; i < 200000; i++) {
		int64_t t = mapi_clock_now(r->clock);

		/* Writers only ever set whole hours from 0 to 1000 h. */
		if (t % 3600 != 0 || t < 0 || t > 1000 * 3600) {
			r->torn++;
		}
	}
	return NULL;
}

static void
test_clock_reads_are_consistent_under_writes(void **state)
{
	struct fixture *f = *state;
	struct race r = { .clock = f->clock };
	pthread_t th[2];
	int i;

	mapi_clock_freeze(f->clock);
	mapi_clock_set_ns(f->clock, 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_create(&th[i], NULL, reader, &r), 0);
	}
	for (i = 0; i < 100000; i++) {
		mapi_clock_set_ns(f->clock,
		                  (int64_t)(i % 1000) * 3600 * MAPI_NS_PER_SEC);
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
	}
	assert_int_equal(r.torn, 0);
}

static void
test_clock_system_is_close_to_real_time(void **state)
{
	struct mapi_clock *c = NULL;
	int64_t a;
	int64_t b;

	(void)state;
	assert_int_equal(mapi_clock_new_system(&c), MAPI_OK);
	a = mapi_clock_now_ns(c);
	b = mapi_clock_real_ns(c);
	assert_true(b >= a);
	assert_true(b - a < MAPI_NS_PER_SEC);
	assert_true(a > T0); /* after 2023 */
	mapi_clock_free(c);
	mapi_clock_free(NULL);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_clock_follows_source_at_rate_one, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_clock_frozen_stands_still_until_advanced, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_clock_resume_continues_from_frozen_time, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_clock_rate_runs_n_times_faster_from_anchor, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_clock_rejects_bad_rate_and_negative_advance, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_clock_set_keeps_mode,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_spec_frozen_offset_now,
		                                setup, teardown),
		cmocka_unit_test(test_clock_duration_table),
		cmocka_unit_test(test_clock_rfc3339_round_trip_and_rejects),
		cmocka_unit_test(test_clock_rfc3339_format_matches_gmtime),
		cmocka_unit_test_setup_teardown(
			test_clock_reads_are_consistent_under_writes, setup,
			teardown),
		cmocka_unit_test(test_clock_system_is_close_to_real_time),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
