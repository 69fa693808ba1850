/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "sim/clock.h"
#include "sim/faults.h"
#include "th.h"

#define NOW_S INT64_C(1748772000)
#define NOW   (NOW_S * MAPI_NS_PER_SEC)

static int
setup(void **state)
{
	struct mapi_faults *f = NULL;

	if (mapi_faults_new(42, &f) != MAPI_OK) {
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	mapi_faults_free(*state);
	return 0;
}

static enum mapi_err
add(struct mapi_faults *f, const char *json, uint64_t *id,
    struct mapi_diag *diag)
{
	cJSON *rule = cJSON_Parse(json);
	enum mapi_err err;

	assert_non_null(rule);
	err = mapi_faults_add_json(f, rule, id, diag);
	cJSON_Delete(rule);
	return err;
}

static void
add_ok(struct mapi_faults *f, const char *json)
{
	struct mapi_diag diag = { .msg = "" };

	if (add(f, json, NULL, &diag) != MAPI_OK) {
		fail_msg("rule %s rejected: %s", json, diag.msg);
	}
}

static bool
match(struct mapi_faults *f, const char *method, const char *path,
      struct mapi_fault_action *out)
{
	struct mapi_fault_request req = {
		.method = method,
		.path = path,
		.now_ns = NOW,
	};

	return mapi_faults_match(f, &req, out);
}

struct parse_case {
	const char *json;
	enum mapi_err err;
	const char *diag; /* substring of diag.msg on failure */
	const char *field;
};

static const struct parse_case parse_cases[] = {
	{ "{\"action\":{\"status\":503}}", MAPI_OK, NULL, NULL },
	{ "{\"match\":{\"method\":\"GET\",\"path\":\"/api/v1/namespaces/"
	  "default/pods\",\"user\":\"u\",\"jti\":\"j\",\"expiresWithin\":"
	  "\"30s\"},\"action\":{\"status\":503,\"message\":\"down\","
	  "\"retryAfter\":5},\"times\":3,\"probability\":0.5}",
	  MAPI_OK, NULL, NULL },
	{ "{\"action\":{\"tooManyRequests\":{\"retryAfter\":2}}}", MAPI_OK,
	  NULL, NULL },
	{ "{\"action\":{\"tooManyRequests\":{}}}", MAPI_OK, NULL, NULL },
	{ "{\"action\":{\"delayMs\":200}}", MAPI_OK, NULL, NULL },
	{ "{\"action\":{\"reset\":true,\"delayMs\":5}}", MAPI_OK, NULL, NULL },
	{ "{\"match\":{\"method\":\"*\"},\"action\":{\"reset\":true}}", MAPI_OK,
	  NULL, NULL },
	{ "[]", MAPI_EINVAL, "must be a JSON object", "" },
	{ "{}", MAPI_EINVAL, "action is required", "action" },
	{ "{\"action\":{}}", MAPI_EINVAL,
	  "action needs one of status, tooManyRequests, reset or delayMs",
	  "action" },
	{ "{\"action\":{\"status\":200}}", MAPI_EINVAL,
	  "action.status must be an integer in [400, 599]", "action.status" },
	{ "{\"action\":{\"status\":503.5}}", MAPI_EINVAL,
	  "action.status must be an integer", "action.status" },
	{ "{\"action\":{\"status\":\"503\"}}", MAPI_EINVAL,
	  "action.status must be an integer", "action.status" },
	{ "{\"action\":{\"status\":503,\"reset\":true}}", MAPI_EINVAL,
	  "only one of status, tooManyRequests and reset", "action" },
	{ "{\"action\":{\"reset\":false}}", MAPI_EINVAL,
	  "action.reset must be true", "action.reset" },
	{ "{\"action\":{\"delayMs\":-1}}", MAPI_EINVAL,
	  "action.delayMs must be an integer in [0, 600000]",
	  "action.delayMs" },
	{ "{\"action\":{\"retryAfter\":3,\"delayMs\":1}}", MAPI_EINVAL,
	  "go with action.status", "action" },
	{ "{\"action\":{\"tooManyRequests\":{\"retryafter\":2}}}", MAPI_EINVAL,
	  "unknown field \"action.tooManyRequests.retryafter\"",
	  "action.tooManyRequests.retryafter" },
	{ "{\"action\":{\"tooManyRequests\":true}}", MAPI_EINVAL,
	  "action.tooManyRequests must be an object",
	  "action.tooManyRequests" },
	{ "{\"mathc\":{},\"action\":{\"status\":500}}", MAPI_EINVAL,
	  "unknown field \"mathc\"", "mathc" },
	{ "{\"match\":{\"verb\":\"GET\"},\"action\":{\"status\":500}}",
	  MAPI_EINVAL, "unknown field \"match.verb\"", "match.verb" },
	{ "{\"match\":{\"method\":\"get\"},\"action\":{\"status\":500}}",
	  MAPI_EINVAL, "upper-case HTTP method or \"*\", not \"get\"",
	  "match.method" },
	{ "{\"match\":{\"path\":\"api\"},\"action\":{\"status\":500}}",
	  MAPI_EINVAL, "match.path must start with \"/\"", "match.path" },
	{ "{\"match\":{\"path\":\"/api?x=1\"},\"action\":{\"status\":500}}",
	  MAPI_EINVAL, "must not contain a query", "match.path" },
	{ "{\"match\":{\"user\":7},\"action\":{\"status\":500}}", MAPI_EINVAL,
	  "match.user must be a string", "match.user" },
	{ "{\"match\":{\"expiresWithin\":\"soon\"},\"action\":{\"status\":"
	  "500}}",
	  MAPI_EINVAL, "match.expiresWithin must be a non-negative duration",
	  "match.expiresWithin" },
	{ "{\"match\":{\"expiresWithin\":\"-5s\"},\"action\":{\"status\":500}}",
	  MAPI_EINVAL, "non-negative duration", "match.expiresWithin" },
	{ "{\"match\":[],\"action\":{\"status\":500}}", MAPI_EINVAL,
	  "match must be an object", "match" },
	{ "{\"action\":{\"status\":500},\"times\":-1}", MAPI_EINVAL,
	  "times must be an integer in [0, 1000000000]", "times" },
	{ "{\"action\":{\"status\":500},\"probability\":0}", MAPI_EINVAL,
	  "probability must be a number in (0, 1]", "probability" },
	{ "{\"action\":{\"status\":500},\"probability\":1.5}", MAPI_EINVAL,
	  "probability must be a number in (0, 1]", "probability" },
};

static void
test_faults_parse_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct mapi_faults *f = NULL;
		struct mapi_diag diag = { .msg = "" };
		enum mapi_err err;
		uint64_t id = 0;

		(void)state;
		assert_int_equal(mapi_faults_new(1, &f), MAPI_OK);
		err = add(f, c->json, &id, &diag);
		if (err != c->err) {
			fail_msg("case %zu %s: got %s (%s)", i, c->json,
			         mapi_err_name(err), diag.msg);
		}
		if (c->err == MAPI_OK) {
			assert_int_equal(id, 1);
			assert_int_equal(mapi_faults_count(f), 1);
		} else {
			assert_int_equal(id, 0);
			assert_int_equal(mapi_faults_count(f), 0);
			if (strstr(diag.msg, c->diag) == NULL) {
				fail_msg("case %zu: diag \"%s\" lacks \"%s\"",
				         i, diag.msg, c->diag);
			}
			assert_string_equal(diag.field, c->field);
		}
		mapi_faults_free(f);
	}
}

static void
test_faults_status_action_carries_status_fields(void **state)
{
	struct mapi_faults *f = *state;
	struct mapi_fault_action a;

	add_ok(f, "{\"match\":{\"method\":\"GET\",\"path\":\"/api/v1/"
	          "namespaces/default/pods\"},\"action\":{\"status\":503,"
	          "\"retryAfter\":5}}");
	assert_false(match(f, "POST", "/api/v1/namespaces/default/pods", &a));
	assert_false(match(f, "GET", "/api/v1/namespaces/default/podsx", &a));
	assert_false(match(f, "GET", "/api/v1/namespaces/default", &a));
	assert_true(match(f, "GET", "/api/v1/namespaces/default/pods/p1", &a));
	assert_true(match(f, "GET", "/api/v1/namespaces/default/pods", &a));
	assert_int_equal(a.kind, MAPI_FAULT_STATUS);
	assert_int_equal(a.rule_id, 1);
	assert_int_equal(a.code, 503);
	assert_string_equal(a.reason, "ServiceUnavailable");
	assert_string_equal(a.message, "fault injected by mockapi (rule 1)");
	assert_int_equal(a.retry_after_s, 5);
	assert_int_equal(a.n_headers, 1);
	assert_string_equal(a.headers[0].name, "Retry-After");
	assert_string_equal(a.headers[0].value, "5");
	assert_null(a.body);
}

static void
test_faults_429_action_is_apf_plain_text_with_retry_after(void **state)
{
	struct mapi_faults *f = *state;
	struct mapi_fault_action a;
	char desc[64];

	add_ok(f, "{\"action\":{\"tooManyRequests\":{\"retryAfter\":2}}}");
	assert_true(match(f, "GET", "/api", &a));
	assert_int_equal(a.kind, MAPI_FAULT_TOO_MANY);
	assert_int_equal(a.code, 429);
	assert_string_equal(a.body,
	                    "Too many requests, please try again later.\n");
	assert_int_equal(a.n_headers, 3);
	assert_string_equal(a.headers[0].name, "Retry-After");
	assert_string_equal(a.headers[0].value, "2");
	assert_string_equal(a.headers[1].name, "Content-Type");
	assert_string_equal(a.headers[1].value, "text/plain; charset=utf-8");
	assert_string_equal(a.headers[2].name, "X-Content-Type-Options");
	assert_string_equal(a.headers[2].value, "nosniff");
	mapi_fault_action_describe(&a, desc, sizeof(desc));
	assert_string_equal(desc, "rule 1: 429");
}

static void
test_faults_429_default_retry_after_is_one(void **state)
{
	struct mapi_faults *f = *state;
	struct mapi_fault_action a;

	add_ok(f, "{\"action\":{\"tooManyRequests\":{}}}");
	assert_true(match(f, "GET", "/api", &a));
	assert_string_equal(a.headers[0].value, "1");
}

static void
test_faults_times_n_fires_n_times_then_stops(void **state)
{
	struct mapi_faults *f = *state;
	struct mapi_fault_action a;
	int i, fired = 0;

	add_ok(f, "{\"action\":{\"status\":500},\"times\":3}");
	for (i = 0; i < 10; i++) {
		if (match(f, "GET", "/api", &a)) {
			fired++;
		}
	}
	assert_int_equal(fired, 3);
	assert_int_equal(mapi_faults_count(f), 1); /* still listed */
}

struct hammer {
	struct mapi_faults *f;
	int fired;
};

static void *
hammer_thread(void *p)
{
	struct hammer *h = p;
	struct mapi_fault_action a;
	int i;

	for (i = 0; i < 500; i++) {
		if (match(h->f, "GET", "/api", &a)) {
			h->fired++;
		}
	}
	return NULL;
}

static void
test_faults_times_is_exact_under_concurrency(void **state)
{
	struct mapi_faults *f = *state;
	struct hammer h[4];
	pthread_t t[4];
	int i, total = 0;

	add_ok(f, "{\"action\":{\"reset\":true},\"times\":777}");
	for (i = 0; i < 4; i++) {
		h[i] = (struct hammer){ .f = f };
		assert_int_equal(
			pthread_create(&t[i], NULL, hammer_thread, &h[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		total += h[i].fired;
	}
	assert_int_equal(total, 777);
}

/* The pattern of fired/not fired over n matches, as a bit string. */
static void
pattern(uint64_t seed, char *out, int n)
{
	struct mapi_faults *f = NULL;
	struct mapi_fault_action a;
	int i;

	assert_int_equal(mapi_faults_new(seed, &f), MAPI_OK);
	add_ok(f, "{\"action\":{\"status\":500},\"probability\":0.5}");
	for (i = 0; i < n; i++) {
		out[i] = match(f, "GET", "/", &a) ? '1' : '0';
	}
	out[n] = '\0';
	mapi_faults_free(f);
}

static void
test_faults_probability_is_reproducible_with_a_seed(void **state)
{
	char a[201], b[201], c[201];
	int i, ones = 0;

	(void)state;
	pattern(7, a, 200);
	pattern(7, b, 200);
	pattern(8, c, 200);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	for (i = 0; i < 200; i++) {
		ones += a[i] == '1';
	}
	/* p = 0.5 over 200 draws: far from 0 and 200 (deterministic). */
	assert_in_range(ones, 60, 140);
}

static void
test_faults_expires_within_matches_only_tokens_near_exp(void **state)
{
	struct mapi_faults *f = *state;
	struct mapi_fault_action a;
	struct mapi_fault_request req = {
		.method = "GET",
		.path = "/api",
		.now_ns = NOW,
	};

	add_ok(f, "{\"match\":{\"expiresWithin\":\"30s\"},"
	          "\"action\":{\"status\":401}}");
	req.token_exp = 0; /* unknown */
	assert_false(mapi_faults_match(f, &req, &a));
	req.token_exp = NOW_S + 31;
	assert_false(mapi_faults_match(f, &req, &a));
	req.token_exp = NOW_S + 30;
	assert_true(mapi_faults_match(f, &req, &a));
	req.token_exp = NOW_S + 1;
	assert_true(mapi_faults_match(f, &req, &a));
	req.token_exp = NOW_S - 10; /* already expired */
	assert_true(mapi_faults_match(f, &req, &a));
	assert_string_equal(a.reason, "Unauthorized");
}

static void
test_faults_user_and_jti_match_exactly(void **state)
{
	struct mapi_faults *f = *state;
	struct mapi_fault_action a;
	struct mapi_fault_request req = {
		.method = "GET",
		.path = "/api",
		.now_ns = NOW,
	};

	add_ok(f, "{\"match\":{\"user\":\"alice\",\"jti\":\"j1\"},"
	          "\"action\":{\"status\":403,\"message\":\"nope\"}}");
	req.user = "alice";
	assert_false(mapi_faults_match(f, &req, &a)); /* no jti */
	req.jti = "j10";
	assert_false(mapi_faults_match(f, &req, &a));
	req.jti = "j1";
	req.user = "alice2";
	assert_false(mapi_faults_match(f, &req, &a));
	req.user = "alice";
	assert_true(mapi_faults_match(f, &req, &a));
	assert_string_equal(a.message, "nope");
	assert_string_equal(a.reason, "Forbidden");
}

static void
test_faults_first_rule_wins_and_delete_clear_work(void **state)
{
	struct mapi_faults *f = *state;
	struct mapi_fault_action a;
	uint64_t id1 = 0, id2 = 0;
	char desc[64];

	assert_int_equal(add(f, "{\"action\":{\"delayMs\":200}}", &id1, NULL),
	                 MAPI_OK);
	assert_int_equal(add(f, "{\"action\":{\"reset\":true}}", &id2, NULL),
	                 MAPI_OK);
	assert_int_equal(id2, 2);
	assert_true(match(f, "GET", "/", &a));
	assert_int_equal(a.kind, MAPI_FAULT_DELAY_ONLY);
	assert_int_equal(a.delay_ms, 200);
	mapi_fault_action_describe(&a, desc, sizeof(desc));
	assert_string_equal(desc, "rule 1: delay 200ms");
	assert_int_equal(mapi_faults_delete(f, id1), MAPI_OK);
	assert_int_equal(mapi_faults_delete(f, id1), MAPI_ENOTFOUND);
	assert_true(match(f, "GET", "/", &a));
	assert_int_equal(a.kind, MAPI_FAULT_RESET);
	mapi_fault_action_describe(&a, desc, sizeof(desc));
	assert_string_equal(desc, "rule 2: reset");
	mapi_faults_clear(f);
	assert_false(match(f, "GET", "/", &a));
	/* Ids are never reused. */
	assert_int_equal(add(f, "{\"action\":{\"reset\":true}}", &id1, NULL),
	                 MAPI_OK);
	assert_int_equal(id1, 3);
}

static void
test_faults_list_json_is_normalised(void **state)
{
	struct mapi_faults *f = *state;
	cJSON *out = NULL;
	char *text;

	add_ok(f, "{\"match\":{\"method\":\"GET\",\"expiresWithin\":\"1m\"},"
	          "\"action\":{\"status\":503},\"times\":2}");
	add_ok(f, "{\"action\":{\"tooManyRequests\":{}},\"probability\":0.25}");
	assert_int_equal(mapi_faults_list_json(f, &out), MAPI_OK);
	text = cJSON_PrintUnformatted(out);
	assert_non_null(text);
	assert_string_equal(
		text, "{\"items\":[{\"id\":1,\"match\":{\"method\":\"GET\","
		      "\"expiresWithin\":\"1m\"},\"action\":{\"status\":503,"
		      "\"reason\":\"ServiceUnavailable\",\"message\":\"fault "
	              "injected "
		      "by mockapi (rule 1)\"},\"times\":2,\"remaining\":2,"
		      "\"probability\":1,\"hits\":0},{\"id\":2,\"match\":{},"
		      "\"action\":{\"tooManyRequests\":{\"retryAfter\":1}},"
		      "\"probability\":0.25,\"hits\":0}]}");
	cJSON_free(text);
	cJSON_Delete(out);
}

static void
test_faults_rule_limit(void **state)
{
	struct mapi_faults *f = *state;
	struct mapi_diag diag = { .msg = "" };
	int i;

	for (i = 0; i < MAPI_FAULTS_MAX_RULES; i++) {
		add_ok(f, "{\"action\":{\"reset\":true}}");
	}
	assert_int_equal(add(f, "{\"action\":{\"reset\":true}}", NULL, &diag),
	                 MAPI_ETOOMANY);
	assert_non_null(strstr(diag.msg, "at most 256 rules"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_faults_parse_table),
	T(test_faults_status_action_carries_status_fields),
	T(test_faults_429_action_is_apf_plain_text_with_retry_after),
	T(test_faults_429_default_retry_after_is_one),
	T(test_faults_times_n_fires_n_times_then_stops),
	T(test_faults_times_is_exact_under_concurrency),
	T(test_faults_probability_is_reproducible_with_a_seed),
	T(test_faults_expires_within_matches_only_tokens_near_exp),
	T(test_faults_user_and_jti_match_exactly),
	T(test_faults_first_rule_wins_and_delete_clear_work),
	T(test_faults_list_json_is_normalised),
	T(test_faults_rule_limit),
};

TH_MAIN("faults", tests)
