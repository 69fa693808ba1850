/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "saclient.h"

static int64_t
system_now_ms(void *payload)
{
	struct timespec ts;

	(void)payload;
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
system_sleep_ms(int64_t ms, void *payload)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
		               .tv_nsec = (long)(ms % 1000) * 1000000 };

	(void)payload;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
		/* ts now holds the time left: sleep the rest. */
	}
}

static const struct sac_clock system_clock = {
	.now_ms = system_now_ms,
	.sleep_ms = system_sleep_ms,
	.payload = NULL,
};

const struct sac_clock *
sac_clock_system(void)
{
	return &system_clock;
}

int64_t
sac_clock_now_ms(const struct sac_clock *clock)
{
	if (clock == NULL) {
		clock = &system_clock;
	}
	return clock->now_ms(clock->payload);
}

void
sac_clock_sleep_ms(const struct sac_clock *clock, int64_t ms)
{
	if (ms <= 0) {
		return;
	}
	if (clock == NULL) {
		clock = &system_clock;
	}
	clock->sleep_ms(ms, clock->payload);
}

enum sac_err
sac_duration_parse(const char *text, int64_t *out_ms)
{
	const char *p = text;
	int64_t total = 0;

	if (text == NULL || *text == '\0') {
		return SAC_EINVAL;
	}
	if (strcmp(text, "0") == 0) {
		*out_ms = 0;
		return SAC_OK;
	}
	while (*p != '\0') {
		int64_t n = 0;
		int64_t unit;
		int digits = 0;

		while (*p >= '0' && *p <= '9') {
			if (n > INT64_MAX / 10 / 3600000) {
				return SAC_EINVAL;
			}
			n = n * 10 + (*p - '0');
			p++;
			digits++;
		}
		if (digits == 0) {
			return SAC_EINVAL;
		}
		if (strncmp(p, "ms", 2) == 0) {
			unit = 1;
			p += 2;
		} else if (*p == 'h') {
			unit = 3600000;
			p++;
		} else if (*p == 'm') {
			unit = 60000;
			p++;
		} else if (*p == 's') {
			unit = 1000;
			p++;
		} else {
			return SAC_EINVAL;
		}
		if (total > INT64_MAX - n * unit) {
			return SAC_EINVAL;
		}
		total += n * unit;
	}
	*out_ms = total;
	return SAC_OK;
}

char *
sac_duration_human(int64_t s, char *buf, size_t len)
{
	int64_t m;
	int64_t h;
	int64_t d;
	int64_t y;

	if (s < 0) {
		s = -s;
	}
	m = s / 60;
	h = s / 3600;
	d = h / 24;
	y = d / 365;
	/* The thresholds of apimachinery's duration.HumanDuration. */
	if (s < 120) {
		(void)snprintf(buf, len, "%llds", (long long)s);
	} else if (m < 10) {
		if (s % 60 == 0) {
			(void)snprintf(buf, len, "%lldm", (long long)m);
		} else {
			(void)snprintf(buf, len, "%lldm%llds", (long long)m,
			               (long long)(s % 60));
		}
	} else if (m < 180) {
		(void)snprintf(buf, len, "%lldm", (long long)m);
	} else if (h < 8) {
		if (m % 60 == 0) {
			(void)snprintf(buf, len, "%lldh", (long long)h);
		} else {
			(void)snprintf(buf, len, "%lldh%lldm", (long long)h,
			               (long long)(m % 60));
		}
	} else if (h < 48) {
		(void)snprintf(buf, len, "%lldh", (long long)h);
	} else if (h < 192) {
		if (h % 24 == 0) {
			(void)snprintf(buf, len, "%lldd", (long long)d);
		} else {
			(void)snprintf(buf, len, "%lldd%lldh", (long long)d,
			               (long long)(h % 24));
		}
	} else if (y < 2) {
		(void)snprintf(buf, len, "%lldd", (long long)d);
	} else if (y < 8) {
		if (d % 365 == 0) {
			(void)snprintf(buf, len, "%lldy", (long long)y);
		} else {
			(void)snprintf(buf, len, "%lldy%lldd", (long long)y,
			               (long long)(d % 365));
		}
	} else {
		(void)snprintf(buf, len, "%lldy", (long long)y);
	}
	return buf;
}

/* Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe;
	unsigned doy;
	unsigned doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/*
 * The n ASCII digits at p as a number in *out; false unless all n are digits
 * (no sign, no blanks: what sscanf's %d would let through).
 */
static bool
digits(const char *p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9') {
			return false;
		}
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

enum sac_err
sac_time_parse(const char *text, int64_t *out)
{
	int y;
	int mo;
	int d;
	int h;
	int mi;
	int s;
	const char *rest;

	/* YYYY-MM-DDTHH:MM:SS; checked left to right, so never past a NUL. */
	if (text == NULL || !digits(text, 4, &y) || text[4] != '-' ||
	    !digits(text + 5, 2, &mo) || text[7] != '-' ||
	    !digits(text + 8, 2, &d) || text[10] != 'T' ||
	    !digits(text + 11, 2, &h) || text[13] != ':' ||
	    !digits(text + 14, 2, &mi) || text[16] != ':' ||
	    !digits(text + 17, 2, &s)) {
		return SAC_EINVAL;
	}
	rest = text + 19;
	if (*rest == '.') {
		rest++;
		while (*rest >= '0' && *rest <= '9') {
			rest++;
		}
	}
	if (strcmp(rest, "Z") != 0 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || s > 60) {
		return SAC_EINVAL;
	}
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	       (int64_t)h * 3600 + (int64_t)mi * 60 + s;
	return SAC_OK;
}

char *
sac_time_format(int64_t epoch_s, char *buf, size_t len)
{
	time_t t = (time_t)epoch_s;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		(void)snprintf(buf, len, "%lld", (long long)epoch_s);
	}
	return buf;
}
