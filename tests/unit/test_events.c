/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "sim/clock.h"
#include "sim/events.h"
#include "th.h"

/* 2025-06-01T10:00:00Z */
#define T0 (INT64_C(1748772000) * MAPI_NS_PER_SEC)

/* A whole (fake) JWT: longer than any stored field. */
static const char full_token[] =
	"eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3Qta2lkIn0."
	"eyJhdWQiOlsiaHR0cHM6Ly9rdWJlcm5ldGVzLmRlZmF1bHQuc3ZjIl0sImV4cCI6"
	"MTc0ODc3NTYwNywiaWF0IjoxNzQ4NzcyMDAwfQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

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
	struct mapi_events *ev;
};

static int
setup_cap(void **state, size_t cap)
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
	mapi_clock_freeze(f->clock);
	if (mapi_events_new(cap, cap, f->clock, &f->ev) != MAPI_OK) {
		mapi_clock_free(f->clock);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_cap(state, 4);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	mapi_events_free(f->ev);
	mapi_clock_free(f->clock);
	free(f);
	return 0;
}

static uint64_t
add_simple(struct mapi_events *ev, enum mapi_event_type type, const char *jti)
{
	struct mapi_event_input in = { .type = type, .jti = jti };

	return mapi_events_add(ev, &in);
}

static cJSON *
since(struct mapi_events *ev, uint64_t s, size_t max)
{
	cJSON *out = NULL;

	assert_int_equal(mapi_events_since(ev, s, max, &out), MAPI_OK);
	assert_non_null(out);
	return out;
}

static int64_t
num(const cJSON *obj, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	assert_true(cJSON_IsNumber(it));
	return (int64_t)it->valuedouble;
}

static void
test_events_new_rejects_bad_arguments(void **state)
{
	struct fixture *f = *state;
	struct mapi_events *ev = NULL;

	assert_int_equal(mapi_events_new(1, 1, NULL, &ev), MAPI_EINVAL);
	assert_int_equal(
		mapi_events_new(MAPI_EVENTS_MAX_CAPACITY + 1, 1, f->clock, &ev),
		MAPI_EINVAL);
	assert_null(ev);
	mapi_events_free(NULL);
}

static void
test_events_seq_starts_at_one_and_stamps_mock_time(void **state)
{
	struct fixture *f = *state;
	cJSON *out, *items;

	assert_int_equal(mapi_events_last_seq(f->ev), 0);
	assert_int_equal(add_simple(f->ev, MAPI_EVENT_ISSUED, "j1"), 1);
	assert_int_equal(mapi_clock_advance_ns(f->clock, 1500000), MAPI_OK);
	assert_int_equal(add_simple(f->ev, MAPI_EVENT_REVIEWED, "j1"), 2);
	out = since(f->ev, 0, 0);
	items = cJSON_GetObjectItemCaseSensitive(out, "events");
	assert_int_equal(cJSON_GetArraySize(items), 2);
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "time")
			->valuestring,
		"2025-06-01T10:00:00.000000Z");
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetArrayItem(items, 1), "time")
			->valuestring,
		"2025-06-01T10:00:00.001500Z");
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetArrayItem(items, 1), "type")
			->valuestring,
		"reviewed");
	assert_int_equal(num(out, "next"), 2);
	assert_int_equal(num(out, "dropped"), 0);
	cJSON_Delete(out);
}

static void
test_events_ring_overflow_drops_oldest_and_reports_dropped(void **state)
{
	struct fixture *f = *state;
	cJSON *out, *items;
	int i;

	for (i = 0; i < 10; i++) {
		(void)add_simple(f->ev, MAPI_EVENT_ISSUED, "j");
	}
	/* capacity 4: seqs 7..10 remain; 6 after since=0 were lost. */
	out = since(f->ev, 0, 0);
	items = cJSON_GetObjectItemCaseSensitive(out, "events");
	assert_int_equal(cJSON_GetArraySize(items), 4);
	assert_int_equal(num(cJSON_GetArrayItem(items, 0), "seq"), 7);
	assert_int_equal(num(cJSON_GetArrayItem(items, 3), "seq"), 10);
	assert_int_equal(num(out, "dropped"), 6);
	assert_int_equal(num(out, "next"), 10);
	cJSON_Delete(out);

	out = since(f->ev, 8, 0);
	assert_int_equal(num(out, "dropped"), 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(out, "events")),
	                 2);
	cJSON_Delete(out);
}

static void
test_events_since_pages_with_next(void **state)
{
	struct fixture *f = *state;
	cJSON *out;
	uint64_t next;
	int i;

	for (i = 0; i < 3; i++) {
		(void)add_simple(f->ev, MAPI_EVENT_ISSUED, "j");
	}
	out = since(f->ev, 0, 2);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(out, "events")),
	                 2);
	next = (uint64_t)num(out, "next");
	assert_int_equal(next, 2);
	cJSON_Delete(out);
	out = since(f->ev, next, 2);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(out, "events")),
	                 1);
	next = (uint64_t)num(out, "next");
	assert_int_equal(next, 3);
	cJSON_Delete(out);
	/* Nothing new: next stays where it was. */
	out = since(f->ev, next, 2);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(out, "events")),
	                 0);
	assert_int_equal(num(out, "next"), 3);
	cJSON_Delete(out);
}

static void
test_events_clear_keeps_seq_and_counts_dropped(void **state)
{
	struct fixture *f = *state;
	cJSON *out;

	(void)add_simple(f->ev, MAPI_EVENT_ISSUED, "a");
	(void)add_simple(f->ev, MAPI_EVENT_ISSUED, "b");
	mapi_events_clear(f->ev);
	assert_int_equal(add_simple(f->ev, MAPI_EVENT_ISSUED, "c"), 3);
	out = since(f->ev, 0, 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(out, "events")),
	                 1);
	assert_int_equal(num(out, "dropped"), 2);
	cJSON_Delete(out);
}

static void
test_events_never_store_a_whole_token(void **state)
{
	struct fixture *f = *state;
	const char *aud[] = { "https://kubernetes.default.svc" };
	struct mapi_event_input in = {
		.type = MAPI_EVENT_REJECTED,
		.jti = "0b0f3c1e-1111-2222-3333-444455556666",
		.token = full_token,
		.sub = "system:serviceaccount:default:app",
		.audiences = aud,
		.n_audiences = 1,
		.iat = 1748772000,
		.exp = 1748775607,
		.reason = "token has expired",
	};
	cJSON *out;
	char *text;

	(void)mapi_events_add(f->ev, &in);
	out = since(f->ev, 0, 0);
	text = cJSON_PrintUnformatted(out);
	assert_non_null(text);
	assert_null(strstr(text, full_token));
	/* Not even the first 9 characters. */
	assert_null(strstr(text, "eyJhbGciO"));
	assert_non_null(strstr(text, "\"tokenPrefix\":\"eyJhbGci\""));
	assert_non_null(strstr(text, "\"reason\":\"token has expired\""));
	cJSON_free(text);
	cJSON_Delete(out);

	/* The stored field cannot hold more than 8 characters. */
	assert_int_equal(sizeof(((struct mapi_event *)0)->token_prefix), 9);
}

static void
test_events_format_line_text_and_json(void **state)
{
	struct fixture *f = *state;
	const char *aud[] = { "api", "vault" };
	struct mapi_event_input in = {
		.type = MAPI_EVENT_ISSUED,
		.jti = "j-1",
		.token = full_token,
		.sub = "system:serviceaccount:default:app",
		.audiences = aud,
		.n_audiences = 2,
		.exp = 1748775607,
		.pod = "default/p1",
		.reason = "say \"hi\"",
	};
	struct mapi_event stored;
	char line[1024];
	char small[16];
	cJSON *out, *item;
	size_t n;

	(void)f;
	memset(&stored, 0, sizeof(stored));
	stored.seq = 5;
	stored.time_ns = T0 + 250000000;
	stored.type = in.type;
	(void)snprintf(stored.jti, sizeof(stored.jti), "%s", in.jti);
	(void)snprintf(stored.token_prefix, sizeof(stored.token_prefix), "%s",
	               "eyJhbGci");
	(void)snprintf(stored.sub, sizeof(stored.sub), "%s", in.sub);
	(void)snprintf(stored.audiences[0], sizeof(stored.audiences[0]), "api");
	(void)snprintf(stored.audiences[1], sizeof(stored.audiences[1]),
	               "vault");
	stored.n_audiences = 2;
	stored.exp = in.exp;
	(void)snprintf(stored.pod, sizeof(stored.pod), "%s", in.pod);
	(void)snprintf(stored.reason, sizeof(stored.reason), "%s", in.reason);

	n = mapi_events_format_line(&stored, MAPI_LOG_TEXT, line, sizeof(line));
	assert_string_equal(line,
	                    "2025-06-01T10:00:00.250000Z event=issued seq=5 "
	                    "jti=j-1 tokenPrefix=eyJhbGci "
	                    "sub=system:serviceaccount:default:app aud=api "
	                    "aud=vault exp=1748775607 pod=default/p1 "
	                    "reason=\"say \\\"hi\\\"\"");
	assert_int_equal(n, strlen(line));
	/* Truncation: NUL-terminated, returns the needed length. */
	assert_int_equal(mapi_events_format_line(&stored, MAPI_LOG_TEXT, small,
	                                         sizeof(small)),
	                 n);
	assert_int_equal(strlen(small), sizeof(small) - 1);

	n = mapi_events_format_line(&stored, MAPI_LOG_JSON, line, sizeof(line));
	assert_int_equal(n, strlen(line));
	assert_null(strchr(line, '\n'));
	item = cJSON_Parse(line);
	assert_non_null(item);
	assert_int_equal(num(item, "seq"), 5);
	assert_string_equal(cJSON_GetObjectItem(item, "type")->valuestring,
	                    "issued");
	assert_string_equal(cJSON_GetObjectItem(item, "reason")->valuestring,
	                    "say \"hi\"");
	assert_int_equal(
		cJSON_GetArraySize(cJSON_GetObjectItem(item, "audiences")), 2);
	assert_null(cJSON_GetObjectItem(item, "kid")); /* empty: omitted */
	cJSON_Delete(item);

	/* The same object as the since() item. */
	(void)mapi_events_add(f->ev, &in);
	out = since(f->ev, 0, 0);
	item = cJSON_GetArrayItem(cJSON_GetObjectItem(out, "events"), 0);
	assert_string_equal(
		cJSON_GetObjectItem(item, "tokenPrefix")->valuestring,
		"eyJhbGci");
	cJSON_Delete(out);
}

static void
test_events_request_journal_strips_query(void **state)
{
	struct fixture *f = *state;
	struct mapi_request_input in = {
		.method = "GET",
		.path = "/api/v1/namespaces/default/pods?limit=500",
		.user = "system:serviceaccount:default:app",
		.code = 503,
		.jti = "j-9",
		.duration_us = 1234,
		.fault = "rule 1: status 503",
	};
	struct mapi_request_entry e = { .seq = 1, .time_ns = T0, .code = 200 };
	cJSON *out = NULL, *item;
	char line[512];

	assert_int_equal(mapi_events_add_request(f->ev, &in), 1);
	assert_int_equal(mapi_events_requests_last_seq(f->ev), 1);
	assert_int_equal(mapi_events_requests_since(f->ev, 0, 0, &out),
	                 MAPI_OK);
	item = cJSON_GetArrayItem(cJSON_GetObjectItem(out, "requests"), 0);
	assert_non_null(item);
	assert_string_equal(cJSON_GetObjectItem(item, "path")->valuestring,
	                    "/api/v1/namespaces/default/pods");
	assert_int_equal(num(item, "code"), 503);
	assert_int_equal(num(item, "durationUs"), 1234);
	assert_string_equal(cJSON_GetObjectItem(item, "fault")->valuestring,
	                    "rule 1: status 503");
	cJSON_Delete(out);

	(void)snprintf(e.method, sizeof(e.method), "GET");
	(void)snprintf(e.path, sizeof(e.path), "/api");
	(void)mapi_events_format_request_line(&e, MAPI_LOG_TEXT, line,
	                                      sizeof(line));
	assert_string_equal(line, "2025-06-01T10:00:00.000000Z request seq=1 "
	                          "method=GET path=/api code=200 durationUs=0");
}

static void
test_events_long_strings_are_truncated(void **state)
{
	struct fixture *f = *state;
	char big[2000];
	struct mapi_event_input in = { .type = MAPI_EVENT_REJECTED };
	cJSON *out;
	const cJSON *item;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	in.reason = big;
	in.sub = big;
	(void)mapi_events_add(f->ev, &in);
	out = since(f->ev, 0, 0);
	item = cJSON_GetArrayItem(cJSON_GetObjectItem(out, "events"), 0);
	assert_int_equal(
		strlen(cJSON_GetObjectItem(item, "reason")->valuestring),
		MAPI_EVENT_REASON_SIZE - 1);
	assert_int_equal(strlen(cJSON_GetObjectItem(item, "sub")->valuestring),
	                 MAPI_EVENT_SUB_SIZE - 1);
	cJSON_Delete(out);
}

struct waiter {
	struct mapi_events *ev;
	bool result;
};

static void *
wait_thread(void *p)
{
	struct waiter *w = p;

	w->result = mapi_events_wait(w->ev, 0, 10 * MAPI_NS_PER_SEC);
	return NULL;
}

static void
test_events_wait_wakes_on_add_and_times_out(void **state)
{
	struct fixture *f = *state;
	struct waiter w = { .ev = f->ev };
	pthread_t t;

	/* Nothing there: a short wait times out. */
	assert_false(mapi_events_wait(f->ev, 0, 20 * 1000 * 1000));
	assert_int_equal(pthread_create(&t, NULL, wait_thread, &w), 0);
	(void)add_simple(f->ev, MAPI_EVENT_KEY_ROTATED, NULL);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(w.result);
	/* Already there: no blocking at all. */
	assert_true(mapi_events_wait(f->ev, 0, 0));
	assert_false(mapi_events_wait(f->ev, 1, 0));
	assert_false(mapi_events_requests_wait(f->ev, 0, 0));
}

static void
test_events_shutdown_releases_waiters(void **state)
{
	struct fixture *f = *state;
	struct waiter w = { .ev = f->ev, .result = true };
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, wait_thread, &w), 0);
	mapi_events_shutdown(f->ev);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_false(w.result);
}

struct sub_log {
	uint64_t seqs[8];
	size_t n;
	size_t n_requests;
};

static void
subscriber(const struct mapi_event *ev, const struct mapi_request_entry *req,
           uint64_t order, void *payload)
{
	struct sub_log *log = payload;

	(void)order;

	if (ev != NULL && log->n < 8) {
		log->seqs[log->n++] = ev->seq;
	}
	if (req != NULL) {
		log->n_requests++;
	}
}

static void
test_events_subscriber_sees_every_entry(void **state)
{
	struct fixture *f = *state;
	struct mapi_request_input rin = { .method = "GET", .path = "/" };
	struct sub_log log = { .n = 0 };

	mapi_events_set_subscriber(f->ev, subscriber, &log);
	(void)add_simple(f->ev, MAPI_EVENT_ISSUED, "a");
	(void)add_simple(f->ev, MAPI_EVENT_ISSUED, "b");
	(void)mapi_events_add_request(f->ev, &rin);
	mapi_events_set_subscriber(f->ev, NULL, NULL);
	(void)add_simple(f->ev, MAPI_EVENT_ISSUED, "c");
	assert_int_equal(log.n, 2);
	assert_int_equal(log.seqs[0], 1);
	assert_int_equal(log.seqs[1], 2);
	assert_int_equal(log.n_requests, 1);
}

struct adder {
	struct mapi_events *ev;
};

static void *
add_thread(void *p)
{
	struct adder *a = p;
	int i;

	for (i = 0; i < 1000; i++) {
		(void)add_simple(a->ev, MAPI_EVENT_REVIEWED, "x");
	}
	return NULL;
}

static void
test_events_concurrent_adds_get_unique_seqs(void **state)
{
	struct fixture *f = *state;
	struct adder a = { .ev = f->ev };
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_create(&t[i], NULL, add_thread, &a),
		                 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
	}
	assert_int_equal(mapi_events_last_seq(f->ev), 4000);
}

/*
 * Records (order -> ring, seq) for every call; with 4 threads adding to
 * both rings, sorting by order must give each ring's seqs ascending and
 * use every order 1..N exactly once.
 */
#define ORDER_N 4000

struct order_log {
	pthread_mutex_t mu;
	unsigned char kind[ORDER_N + 1]; /* 0 unused, 1 event, 2 request */
	uint64_t seq[ORDER_N + 1];
	size_t calls;
	size_t bad; /* orders out of range or repeated */
};

static void
order_subscriber(const struct mapi_event *ev,
                 const struct mapi_request_entry *req, uint64_t order,
                 void *payload)
{
	struct order_log *log = payload;

	(void)pthread_mutex_lock(&log->mu);
	log->calls++;
	if (order == 0 || order > ORDER_N || log->kind[order] != 0) {
		log->bad++;
	} else {
		log->kind[order] = ev != NULL ? 1 : 2;
		log->seq[order] = ev != NULL ? ev->seq : req->seq;
	}
	(void)pthread_mutex_unlock(&log->mu);
}

static void *
mixed_add_thread(void *p)
{
	struct adder *a = p;
	struct mapi_request_input rin = { .method = "GET", .path = "/x" };
	int i;

	for (i = 0; i < ORDER_N / 8; i++) {
		(void)add_simple(a->ev, MAPI_EVENT_REVIEWED, "x");
		(void)mapi_events_add_request(a->ev, &rin);
	}
	return NULL;
}

static void
test_events_subscriber_orders_follow_seq_across_threads(void **state)
{
	struct fixture *f = *state;
	struct adder a = { .ev = f->ev };
	struct order_log *log = calloc(1, sizeof(*log));
	uint64_t last[3] = { 0, 0, 0 };
	pthread_t t[4];
	size_t i;

	assert_non_null(log);
	assert_int_equal(pthread_mutex_init(&log->mu, NULL), 0);
	mapi_events_set_subscriber(f->ev, order_subscriber, log);
	for (i = 0; i < 4; i++) {
		assert_int_equal(
			pthread_create(&t[i], NULL, mixed_add_thread, &a), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
	}
	mapi_events_set_subscriber(f->ev, NULL, NULL);
	assert_int_equal(log->calls, ORDER_N);
	assert_int_equal(log->bad, 0);
	for (i = 1; i <= ORDER_N; i++) {
		assert_true(log->kind[i] == 1 || log->kind[i] == 2);
		/* The k-th call of a ring in order is that ring's seq k. */
		assert_int_equal(log->seq[i], last[log->kind[i]] + 1);
		last[log->kind[i]] = log->seq[i];
	}
	assert_int_equal(last[1], ORDER_N / 2);
	assert_int_equal(last[2], ORDER_N / 2);
	/* A new subscriber counts from 1 again. */
	memset(log->kind, 0, sizeof(log->kind));
	mapi_events_set_subscriber(f->ev, order_subscriber, log);
	(void)add_simple(f->ev, MAPI_EVENT_ISSUED, "y");
	mapi_events_set_subscriber(f->ev, NULL, NULL);
	assert_int_equal(log->kind[1], 1);
	assert_int_equal(log->seq[1], ORDER_N / 2 + 1);
	(void)pthread_mutex_destroy(&log->mu);
	free(log);
}

/* A subscriber that blocks until released, to catch set_subscriber. */
struct slow_sub {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool entered;
	bool release;
	bool finished;
};

static void
slow_subscriber(const struct mapi_event *ev,
                const struct mapi_request_entry *req, uint64_t order,
                void *payload)
{
	struct slow_sub *s = payload;

	(void)ev;
	(void)req;
	(void)order;
	(void)pthread_mutex_lock(&s->mu);
	s->entered = true;
	(void)pthread_cond_broadcast(&s->cond);
	while (!s->release) {
		(void)pthread_cond_wait(&s->cond, &s->mu);
	}
	s->finished = true;
	(void)pthread_mutex_unlock(&s->mu);
}

static void *
one_add_thread(void *p)
{
	(void)add_simple(p, MAPI_EVENT_ISSUED, "z");
	return NULL;
}

struct unset_args {
	struct mapi_events *ev;
	struct slow_sub *s;
	bool finished_when_returned;
};

static void *
unset_thread(void *p)
{
	struct unset_args *u = p;

	mapi_events_set_subscriber(u->ev, NULL, NULL);
	(void)pthread_mutex_lock(&u->s->mu);
	u->finished_when_returned = u->s->finished;
	(void)pthread_mutex_unlock(&u->s->mu);
	return NULL;
}

static void
test_events_set_subscriber_waits_for_running_calls(void **state)
{
	struct fixture *f = *state;
	struct slow_sub s = { .entered = false };
	struct unset_args u = { .ev = f->ev, .s = &s };
	const struct timespec pause = { .tv_sec = 0, .tv_nsec = 20000000 };
	pthread_t adder, unsetter;

	assert_int_equal(pthread_mutex_init(&s.mu, NULL), 0);
	assert_int_equal(pthread_cond_init(&s.cond, NULL), 0);
	mapi_events_set_subscriber(f->ev, slow_subscriber, &s);
	assert_int_equal(pthread_create(&adder, NULL, one_add_thread, f->ev),
	                 0);
	(void)pthread_mutex_lock(&s.mu);
	while (!s.entered) {
		(void)pthread_cond_wait(&s.cond, &s.mu);
	}
	(void)pthread_mutex_unlock(&s.mu);
	/* The call is running and holds no events lock: reads work. */
	assert_int_equal(mapi_events_last_seq(f->ev), 1);
	assert_int_equal(pthread_create(&unsetter, NULL, unset_thread, &u), 0);
	(void)nanosleep(&pause, NULL); /* let it reach the wait */
	(void)pthread_mutex_lock(&s.mu);
	s.release = true;
	(void)pthread_cond_broadcast(&s.cond);
	(void)pthread_mutex_unlock(&s.mu);
	assert_int_equal(pthread_join(unsetter, NULL), 0);
	assert_int_equal(pthread_join(adder, NULL), 0);
	assert_true(u.finished_when_returned);
	(void)pthread_cond_destroy(&s.cond);
	(void)pthread_mutex_destroy(&s.mu);
}

static void
test_events_type_names(void **state)
{
	(void)state;
	assert_string_equal(mapi_event_type_name(MAPI_EVENT_ROTATED),
	                    "rotatedByKubelet");
	assert_string_equal(mapi_event_type_name(MAPI_EVENT_EXPIRED_PRESENTED),
	                    "expiredTokenPresented");
	assert_string_equal(mapi_event_type_name(MAPI_EVENT_TYPE_COUNT_),
	                    "unknown");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_events_new_rejects_bad_arguments),
	T(test_events_seq_starts_at_one_and_stamps_mock_time),
	T(test_events_ring_overflow_drops_oldest_and_reports_dropped),
	T(test_events_since_pages_with_next),
	T(test_events_clear_keeps_seq_and_counts_dropped),
	T(test_events_never_store_a_whole_token),
	T(test_events_format_line_text_and_json),
	T(test_events_request_journal_strips_query),
	T(test_events_long_strings_are_truncated),
	T(test_events_wait_wakes_on_add_and_times_out),
	T(test_events_shutdown_releases_waiters),
	T(test_events_subscriber_sees_every_entry),
	T(test_events_concurrent_adds_get_unique_seqs),
	T(test_events_subscriber_orders_follow_seq_across_threads),
	T(test_events_set_subscriber_waits_for_running_calls),
	T(test_events_type_names),
};

TH_MAIN("events", tests)
