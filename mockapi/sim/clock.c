/* SPDX-License-Identifier: MIT */
#include "sim/clock.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

__extension__ typedef __int128 i128;

struct mapi_clock {
	pthread_mutex_t wlock; /* serialises writers */
	/* Seqlock: odd while a writer is updating the fields below. */
	_Atomic uint64_t seq;
	_Atomic int64_t anchor_real;
	_Atomic int64_t anchor_mock;
	_Atomic int64_t rate_milli;
	_Atomic bool frozen;
	mapi_clock_source_fn *source;
	void *payload;
};

struct snapshot {
	int64_t anchor_real;
	int64_t anchor_mock;
	int64_t rate_milli;
	bool frozen;
};

static int64_t
system_source(void *payload)
{
	struct timespec ts;

	(void)payload;
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * MAPI_NS_PER_SEC + ts.tv_nsec;
}

static int64_t
sat64(i128 v)
{
	if (v > INT64_MAX) {
		return INT64_MAX;
	}
	if (v < INT64_MIN) {
		return INT64_MIN;
	}
	return (int64_t)v;
}

static void
read_snapshot(const struct mapi_clock *c, struct snapshot *s)
{
	struct mapi_clock *m = (struct mapi_clock *)c; /* atomics are mutable */
	uint64_t s1;
	uint64_t s2;

	for (;;) {
		s1 = atomic_load_explicit(&m->seq, memory_order_acquire);
		if (s1 & 1U) {
			continue;
		}
		s->anchor_real = atomic_load_explicit(&m->anchor_real,
		                                      memory_order_relaxed);
		s->anchor_mock = atomic_load_explicit(&m->anchor_mock,
		                                      memory_order_relaxed);
		s->rate_milli = atomic_load_explicit(&m->rate_milli,
		                                     memory_order_relaxed);
		s->frozen = atomic_load_explicit(&m->frozen,
		                                 memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&m->seq, memory_order_relaxed);
		if (s1 == s2) {
			return;
		}
	}
}

static int64_t
mock_at(const struct snapshot *s, int64_t real)
{
	i128 d;

	if (s->frozen) {
		return s->anchor_mock;
	}
	d = (i128)(real - s->anchor_real) * s->rate_milli / 1000;
	return sat64((i128)s->anchor_mock + d);
}

/* Writers hold wlock and publish a whole snapshot at once. */
static void
publish(struct mapi_clock *c, const struct snapshot *s)
{
	uint64_t seq = atomic_load_explicit(&c->seq, memory_order_relaxed);

	atomic_store_explicit(&c->seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&c->anchor_real, s->anchor_real,
	                      memory_order_relaxed);
	atomic_store_explicit(&c->anchor_mock, s->anchor_mock,
	                      memory_order_relaxed);
	atomic_store_explicit(&c->rate_milli, s->rate_milli,
	                      memory_order_relaxed);
	atomic_store_explicit(&c->frozen, s->frozen, memory_order_relaxed);
	atomic_store_explicit(&c->seq, seq + 2, memory_order_release);
}

/* Re-anchors at the current instant, so a mode change keeps mock time. */
static void
reanchor(const struct mapi_clock *c, struct snapshot *s)
{
	int64_t real = c->source(c->payload);

	read_snapshot(c, s);
	s->anchor_mock = mock_at(s, real);
	s->anchor_real = real;
}

enum mapi_err
mapi_clock_new_with_source(mapi_clock_source_fn *source, void *payload,
                           struct mapi_clock **out_clock)
{
	struct mapi_clock *c;
	int64_t real;

	if (source == NULL || out_clock == NULL) {
		return MAPI_EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return MAPI_ENOMEM;
	}
	if (pthread_mutex_init(&c->wlock, NULL) != 0) {
		free(c);
		return MAPI_ENOMEM;
	}
	c->source = source;
	c->payload = payload;
	real = source(payload);
	atomic_init(&c->seq, 0);
	atomic_init(&c->anchor_real, real);
	atomic_init(&c->anchor_mock, real);
	atomic_init(&c->rate_milli, 1000);
	atomic_init(&c->frozen, false);
	*out_clock = c;
	return MAPI_OK;
}

enum mapi_err
mapi_clock_new_system(struct mapi_clock **out_clock)
{
	return mapi_clock_new_with_source(system_source, NULL, out_clock);
}

void
mapi_clock_free(struct mapi_clock *clock)
{
	if (clock == NULL) {
		return;
	}
	(void)pthread_mutex_destroy(&clock->wlock);
	free(clock);
}

int64_t
mapi_clock_real_ns(const struct mapi_clock *clock)
{
	return clock->source(clock->payload);
}

int64_t
mapi_clock_now_ns(const struct mapi_clock *clock)
{
	struct snapshot s;
	int64_t real = clock->source(clock->payload);

	read_snapshot(clock, &s);
	return mock_at(&s, real);
}

int64_t
mapi_clock_now(const struct mapi_clock *clock)
{
	int64_t ns = mapi_clock_now_ns(clock);
	int64_t q = ns / MAPI_NS_PER_SEC;

	/* Floor, not truncation, for instants before the epoch. */
	if (ns % MAPI_NS_PER_SEC < 0) {
		q--;
	}
	return q;
}

void
mapi_clock_info(const struct mapi_clock *clock, struct mapi_clock_info *out)
{
	struct snapshot s;
	int64_t real = clock->source(clock->payload);

	read_snapshot(clock, &s);
	out->now_ns = mock_at(&s, real);
	out->frozen = s.frozen;
	out->rate_milli = s.rate_milli;
	out->offset_ns = out->now_ns - real;
}

void
mapi_clock_set_ns(struct mapi_clock *clock, int64_t t_ns)
{
	struct snapshot s;

	(void)pthread_mutex_lock(&clock->wlock);
	reanchor(clock, &s);
	s.anchor_mock = t_ns;
	publish(clock, &s);
	(void)pthread_mutex_unlock(&clock->wlock);
}

enum mapi_err
mapi_clock_advance_ns(struct mapi_clock *clock, int64_t d_ns)
{
	struct snapshot s;
	enum mapi_err err = MAPI_OK;

	if (d_ns < 0) {
		return MAPI_EINVAL;
	}
	(void)pthread_mutex_lock(&clock->wlock);
	reanchor(clock, &s);
	if (s.anchor_mock > INT64_MAX - d_ns) {
		err = MAPI_EINVAL;
	} else {
		s.anchor_mock += d_ns;
		publish(clock, &s);
	}
	(void)pthread_mutex_unlock(&clock->wlock);
	return err;
}

static void
set_frozen(struct mapi_clock *clock, bool frozen)
{
	struct snapshot s;

	(void)pthread_mutex_lock(&clock->wlock);
	reanchor(clock, &s);
	s.frozen = frozen;
	publish(clock, &s);
	(void)pthread_mutex_unlock(&clock->wlock);
}

void
mapi_clock_freeze(struct mapi_clock *clock)
{
	set_frozen(clock, true);
}

void
mapi_clock_resume(struct mapi_clock *clock)
{
	set_frozen(clock, false);
}

enum mapi_err
mapi_clock_set_rate(struct mapi_clock *clock, int64_t rate_milli)
{
	struct snapshot s;

	if (rate_milli < 1 || rate_milli > INT64_C(1000000000)) {
		return MAPI_EINVAL;
	}
	(void)pthread_mutex_lock(&clock->wlock);
	reanchor(clock, &s);
	s.rate_milli = rate_milli;
	publish(clock, &s);
	(void)pthread_mutex_unlock(&clock->wlock);
	return MAPI_OK;
}

static bool
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

enum mapi_err
mapi_clock_apply_spec(struct mapi_clock *clock, const char *spec,
                      struct mapi_diag *diag)
{
	int64_t v;

	if (spec == NULL) {
		return MAPI_EINVAL;
	}
	if (strcmp(spec, "now") == 0) {
		(void)pthread_mutex_lock(&clock->wlock);
		{
			struct snapshot s;

			reanchor(clock, &s);
			s.anchor_mock = s.anchor_real;
			s.frozen = false;
			publish(clock, &s);
		}
		(void)pthread_mutex_unlock(&clock->wlock);
		return MAPI_OK;
	}
	if (starts_with(spec, "frozen:")) {
		if (mapi_time_parse_rfc3339(spec + 7, &v) != MAPI_OK) {
			mapi_diag_set(diag,
			              "invalid --clock %s: expected "
			              "frozen:RFC3339 such as "
			              "frozen:2025-06-01T10:00:00Z",
			              spec);
			return MAPI_EINVAL;
		}
		mapi_clock_freeze(clock);
		mapi_clock_set_ns(clock, v);
		return MAPI_OK;
	}
	if (starts_with(spec, "offset:")) {
		if (mapi_duration_parse(spec + 7, &v) != MAPI_OK) {
			mapi_diag_set(diag,
			              "invalid --clock %s: expected "
			              "offset:DURATION such as offset:-2h",
			              spec);
			return MAPI_EINVAL;
		}
		(void)pthread_mutex_lock(&clock->wlock);
		{
			struct snapshot s;

			reanchor(clock, &s);
			s.anchor_mock = sat64((i128)s.anchor_real + v);
			publish(clock, &s);
		}
		(void)pthread_mutex_unlock(&clock->wlock);
		return MAPI_OK;
	}
	mapi_diag_set(diag,
	              "invalid --clock %s: expected now, frozen:RFC3339 or "
	              "offset:DURATION",
	              spec);
	return MAPI_EINVAL;
}

static int64_t
unit_ns(const char *u, size_t *len)
{
	static const struct {
		const char *name;
		int64_t ns;
	} units[] = {
		{ "ns", 1 },
		{ "us", 1000 },
		{ "\xc2\xb5s", 1000 }, /* U+00B5 micro sign, as Go accepts */
		{ "\xce\xbcs", 1000 }, /* U+03BC mu */
		{ "ms", 1000000 },
		{ "s", MAPI_NS_PER_SEC },
		{ "m", 60 * MAPI_NS_PER_SEC },
		{ "h", 3600 * MAPI_NS_PER_SEC },
		{ "d", 86400 * MAPI_NS_PER_SEC },
	};
	size_t i;

	/* Longest match first: "ms" before "m", "ns" before nothing. */
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t n = strlen(units[i].name);

		if (strncmp(u, units[i].name, n) == 0) {
			*len = n;
			return units[i].ns;
		}
	}
	return 0;
}

enum mapi_err
mapi_duration_parse(const char *text, int64_t *out_ns)
{
	const char *p = text;
	bool neg = false;
	i128 total = 0;
	bool any = false;

	if (text == NULL || *p == '\0') {
		return MAPI_EINVAL;
	}
	if (*p == '+' || *p == '-') {
		neg = *p == '-';
		p++;
	}
	if (strcmp(p, "0") == 0) {
		*out_ns = 0;
		return MAPI_OK;
	}
	while (*p != '\0') {
		i128 whole = 0;
		i128 frac = 0;
		i128 scale = 1;
		bool digits = false;
		size_t ulen = 0;
		int64_t u;

		while (isdigit((unsigned char)*p)) {
			whole = whole * 10 + (*p - '0');
			if (whole > INT64_MAX) {
				return MAPI_EINVAL;
			}
			digits = true;
			p++;
		}
		if (*p == '.') {
			p++;
			while (isdigit((unsigned char)*p)) {
				if (scale < INT64_C(1000000000000000000)) {
					frac = frac * 10 + (*p - '0');
					scale *= 10;
				}
				digits = true;
				p++;
			}
		}
		if (!digits) {
			return MAPI_EINVAL;
		}
		u = unit_ns(p, &ulen);
		if (u == 0) {
			return MAPI_EINVAL;
		}
		p += ulen;
		total += whole * u + frac * u / scale;
		if (total > INT64_MAX) {
			return MAPI_EINVAL;
		}
		any = true;
	}
	if (!any) {
		return MAPI_EINVAL;
	}
	*out_ns = (int64_t)(neg ? -total : total);
	return MAPI_OK;
}

/* Howard Hinnant's days_from_civil: days since 1970-01-01. */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era;
	int64_t yoe;
	int64_t doy;
	int64_t doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool
mapi_time_format_rfc3339(int64_t t, char *buf, size_t len)
{
	/*
	 * Proleptic Gregorian calendar from days since the epoch (H. Hinnant's
	 * civil_from_days), without gmtime_r()/strftime(): those take glibc's
	 * time-zone lock, and this runs for every log line and timestamp.
	 */
	int64_t days = t / 86400;
	int64_t secs = t % 86400;
	int64_t z, era, doe, yoe, y, doy, mp, d, m;
	int64_t v[6];
	static const int width[6] = { 4, 2, 2, 2, 2, 2 };
	static const char sep[6] = { '-', '-', 'T', ':', ':', 'Z' };
	size_t o = 0;
	int i;

	if (len < 21 || t < INT64_MIN / 2 || t > INT64_MAX / 2) {
		return false;
	}
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);
	if (y < 0 || y > 9999) {
		return false;
	}
	v[0] = y;
	v[1] = m;
	v[2] = d;
	v[3] = secs / 3600;
	v[4] = secs / 60 % 60;
	v[5] = secs % 60;
	for (i = 0; i < 6; i++) {
		int64_t x = v[i];
		int k;

		for (k = width[i] - 1; k >= 0; k--) {
			buf[o + (size_t)k] = (char)('0' + x % 10);
			x /= 10;
		}
		o += (size_t)width[i];
		buf[o++] = sep[i];
	}
	buf[o] = '\0';
	return true;
}

static bool
take_digits(const char **p, int n, int64_t *out)
{
	int64_t v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i])) {
			return false;
		}
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool
take_char(const char **p, char c)
{
	if (**p != c) {
		return false;
	}
	(*p)++;
	return true;
}

enum mapi_err
mapi_time_parse_rfc3339(const char *text, int64_t *out_ns)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30,
		                     31, 31, 30, 31, 30, 31 };
	const char *p = text;
	int64_t y, mo, d, h, mi, s, oh = 0, om = 0;
	int64_t frac = 0;
	int64_t scale = MAPI_NS_PER_SEC;
	int64_t t;

	if (text == NULL) {
		return MAPI_EINVAL;
	}
	if (!take_digits(&p, 4, &y) || !take_char(&p, '-') ||
	    !take_digits(&p, 2, &mo) || !take_char(&p, '-') ||
	    !take_digits(&p, 2, &d) || !(take_char(&p, 'T') ||
	                                 take_char(&p, 't')) ||
	    !take_digits(&p, 2, &h) || !take_char(&p, ':') ||
	    !take_digits(&p, 2, &mi) || !take_char(&p, ':') ||
	    !take_digits(&p, 2, &s)) {
		return MAPI_EINVAL;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p)) {
			return MAPI_EINVAL;
		}
		while (isdigit((unsigned char)*p)) {
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
			p++;
		}
	}
	if (take_char(&p, 'Z') || take_char(&p, 'z')) {
		oh = 0;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;

		p++;
		if (!take_digits(&p, 2, &oh) || !take_char(&p, ':') ||
		    !take_digits(&p, 2, &om) || oh > 23 || om > 59) {
			return MAPI_EINVAL;
		}
		oh *= sign;
		om *= sign;
	} else {
		return MAPI_EINVAL;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || s > 60) {
		return MAPI_EINVAL;
	}
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
		return MAPI_EINVAL;
	}
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s -
	    (oh * 3600 + om * 60);
	/* Years 0000..9999 parse, but only 1677..2262 fit in int64 ns. */
	if (t < INT64_MIN / MAPI_NS_PER_SEC ||
	    t > (INT64_MAX - frac) / MAPI_NS_PER_SEC) {
		return MAPI_EINVAL;
	}
	*out_ns = t * MAPI_NS_PER_SEC + frac;
	return MAPI_OK;
}
