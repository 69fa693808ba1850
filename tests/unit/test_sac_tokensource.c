/* SPDX-License-Identifier: MIT */
/*
 * libsaclient token sources with a temp token file and a fake clock:
 * read-once never re-reads; reread re-reads after the period and after a
 * 401, keeps the last good token, trims whitespace; the request source
 * answered by a stub poster refreshes at 80 % of the lifetime.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "saclient.h"
#include "th.h"

#define T0 1700000000000LL /* ms */

struct fake_clock {
	int64_t now_ms;
};

static int64_t
fake_now(void *payload)
{
	return ((struct fake_clock *)payload)->now_ms;
}

static void
fake_sleep(int64_t ms, void *payload)
{
	((struct fake_clock *)payload)->now_ms += ms;
}

struct fx {
	char *dir;
	char *path;
	struct fake_clock fc;
	struct sac_clock clock;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = th_mkdtemp();
	f->path = malloc(strlen(f->dir) + 8);
	(void)sprintf(f->path, "%s/token", f->dir);
	f->fc.now_ms = T0;
	f->clock = (struct sac_clock){ .now_ms = fake_now,
		                       .sleep_ms = fake_sleep,
		                       .payload = &f->fc };
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	th_rmtree(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

static void
put(const struct fx *f, const char *text)
{
	th_write_file(f->path, text, strlen(text));
}

static const char *
get(struct sac_token_source *s)
{
	struct sac_diag d = { 0 };
	const char *tok = NULL;

	if (sac_token_source_get(s, &tok, &d) != SAC_OK) {
		fail_msg("get failed: %s", d.msg);
	}
	return tok;
}

static void
test_sac_tokensource_static_is_fixed(void **state)
{
	struct sac_diag d = { 0 };
	struct sac_token_source *s = NULL;

	(void)state;
	assert_int_equal(sac_token_source_new_static("", &s, &d), SAC_ETOKEN);
	assert_int_equal(sac_token_source_new_static(NULL, &s, &d),
	                 SAC_ETOKEN);
	assert_null(s);
	assert_int_equal(sac_token_source_new_static("abc", &s, &d), SAC_OK);
	assert_int_equal(sac_token_source_strategy(s), SAC_STRATEGY_STATIC);
	assert_string_equal(get(s), "abc");
	sac_token_source_invalidate(s);
	assert_string_equal(get(s), "abc");
	assert_string_equal(sac_token_source_peek(s), "abc");
	sac_token_source_free(s);
	sac_token_source_free(NULL);
}

static void
test_sac_tokensource_read_once_never_rereads(void **state)
{
	struct fx *f = *state;
	struct sac_diag d = { 0 };
	struct sac_token_source *s = NULL;

	put(f, "token-A\n");
	assert_int_equal(sac_token_source_new_file(f->path,
	                                           SAC_STRATEGY_READ_ONCE, 0,
	                                           &f->clock, &s, &d),
	                 SAC_OK);
	assert_null(sac_token_source_peek(s));
	assert_string_equal(get(s), "token-A");
	put(f, "token-B");
	f->fc.now_ms += 3600 * 1000;
	assert_string_equal(get(s), "token-A");
	sac_token_source_invalidate(s);
	assert_string_equal(get(s), "token-A");
	assert_int_equal(sac_token_source_loads(s), 1);
	sac_token_source_free(s);
}

static void
test_sac_tokensource_reread_after_period_and_on_401(void **state)
{
	struct fx *f = *state;
	struct sac_diag d = { 0 };
	struct sac_token_source *s = NULL;

	put(f, "  token-A \r\n\t");
	assert_int_equal(sac_token_source_new_file(f->path,
	                                           SAC_STRATEGY_REREAD, 0,
	                                           &f->clock, &s, &d),
	                 SAC_OK);
	assert_string_equal(get(s), "token-A"); /* trimmed like client-go */
	put(f, "token-B");
	f->fc.now_ms += 59999;
	assert_string_equal(get(s), "token-A"); /* cached copy is 59.999 s old */
	f->fc.now_ms += 1;
	assert_string_equal(get(s), "token-B"); /* 60 s: re-read */
	assert_int_equal(sac_token_source_loads(s), 2);
	put(f, "token-C");
	f->fc.now_ms += 1000;
	assert_string_equal(get(s), "token-B");
	sac_token_source_invalidate(s); /* a 401 */
	assert_string_equal(get(s), "token-C");
	assert_int_equal(sac_token_source_loads(s), 3);
	sac_token_source_free(s);
}

static void
test_sac_tokensource_reread_keeps_last_good_token(void **state)
{
	struct fx *f = *state;
	struct sac_diag d = { 0 };
	struct sac_token_source *s = NULL;

	put(f, "token-A");
	assert_int_equal(sac_token_source_new_file(f->path,
	                                           SAC_STRATEGY_REREAD, 10000,
	                                           &f->clock, &s, &d),
	                 SAC_OK);
	assert_string_equal(get(s), "token-A");
	assert_int_equal(unlink(f->path), 0);
	f->fc.now_ms += 10000;
	assert_string_equal(get(s), "token-A"); /* file deleted */
	sac_token_source_invalidate(s);
	assert_string_equal(get(s), "token-A");
	put(f, " \n");
	f->fc.now_ms += 10000;
	assert_string_equal(get(s), "token-A"); /* file empty */
	assert_int_equal(sac_token_source_loads(s), 1);
	put(f, "token-B\n");
	/* A failed read does not restart the period: the next get retries. */
	assert_string_equal(get(s), "token-B");
	sac_token_source_free(s);
}

static void
test_sac_tokensource_missing_or_empty_file_is_a_token_error(void **state)
{
	struct fx *f = *state;
	struct sac_diag d = { 0 };
	struct sac_token_source *s = NULL;
	const char *tok = NULL;
	enum sac_strategy st[] = { SAC_STRATEGY_READ_ONCE, SAC_STRATEGY_REREAD };

	for (size_t i = 0; i < 2; i++) {
		(void)unlink(f->path);
		assert_int_equal(sac_token_source_new_file(f->path, st[i], 0,
		                                           &f->clock, &s, &d),
		                 SAC_OK);
		assert_int_equal(sac_token_source_get(s, &tok, &d), SAC_ETOKEN);
		assert_non_null(strstr(d.msg, f->path));
		assert_non_null(strstr(d.msg, "No such file"));
		put(f, "\n\n");
		f->fc.now_ms += 120000;
		assert_int_equal(sac_token_source_get(s, &tok, &d), SAC_ETOKEN);
		assert_non_null(strstr(d.msg, "is empty"));
		assert_null(tok);
		sac_token_source_free(s);
		s = NULL;
	}
	assert_int_equal(sac_token_source_new_file(f->path,
	                                           SAC_STRATEGY_REQUEST, 0,
	                                           &f->clock, &s, &d),
	                 SAC_EINVAL);
	assert_int_equal(sac_token_source_new_file(NULL, SAC_STRATEGY_REREAD,
	                                           0, &f->clock, &s, &d),
	                 SAC_ETOKEN);
	assert_null(s);
}

static void
test_sac_tokensource_strategy_names_round_trip(void **state)
{
	static const char *const names[] = { "static", "read-once", "reread",
		                             "request" };
	enum sac_strategy s;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(sac_strategy_parse(names[i], &s), SAC_OK);
		assert_string_equal(sac_strategy_name(s), names[i]);
	}
	assert_int_equal(sac_strategy_parse("readonce", &s), SAC_EINVAL);
	assert_int_equal(sac_strategy_parse(NULL, &s), SAC_EINVAL);
}

/* ---- the request source against a stub poster ---- */

struct poster {
	struct fake_clock *fc;
	int calls;
	char path[256];
	char bearer[64];
	char body[1024];
	long status;         /* what to answer */
	int64_t lifetime;    /* spec.expirationSeconds to answer */
	int64_t issued_ago;  /* the server issued the token this long ago */
	const char *refuse;  /* answer 401 to this bearer */
	enum sac_err fail;   /* transport failure to simulate */
};

static void
rfc3339(int64_t t, char *buf, size_t len)
{
	(void)sac_time_format(t, buf, len);
}

static enum sac_err
stub_post(const char *method, const char *path, const char *bearer,
          const char *content_type, const char *body, size_t body_len,
          struct sac_http_response *out, struct sac_diag *diag,
          void *payload)
{
	struct poster *p = payload;
	char ts[32];
	char json[512];
	int64_t now = p->fc->now_ms / 1000;

	p->calls++;
	assert_string_equal(method, "POST");
	assert_string_equal(content_type, "application/json");
	(void)snprintf(p->path, sizeof(p->path), "%s", path);
	(void)snprintf(p->bearer, sizeof(p->bearer), "%s", bearer);
	(void)snprintf(p->body, sizeof(p->body), "%.*s", (int)body_len, body);
	if (p->fail != SAC_OK) {
		(void)snprintf(diag->msg, sizeof(diag->msg), "stub: down");
		return p->fail;
	}
	memset(out, 0, sizeof(*out));
	out->retry_after = -1;
	if (p->refuse != NULL && strcmp(bearer, p->refuse) == 0) {
		out->status = 401;
		out->body = strdup("{\"kind\":\"Status\",\"apiVersion\":\"v1\","
		                   "\"metadata\":{},\"status\":\"Failure\","
		                   "\"message\":\"Unauthorized\",\"reason\":"
		                   "\"Unauthorized\",\"code\":401}");
	} else if (p->status != 201) {
		out->status = p->status;
		out->body = strdup("oops");
	} else {
		rfc3339(now - p->issued_ago + p->lifetime, ts, sizeof(ts));
		(void)snprintf(json, sizeof(json),
		               "{\"kind\":\"TokenRequest\",\"apiVersion\":"
		               "\"authentication.k8s.io/v1\",\"spec\":{"
		               "\"audiences\":[\"x\"],\"expirationSeconds\":"
		               "%lld},\"status\":{\"token\":\"issued-%d\","
		               "\"expirationTimestamp\":\"%s\"}}",
		               (long long)p->lifetime, p->calls, ts);
		out->status = 201;
		out->body = strdup(json);
	}
	out->body_len = strlen(out->body);
	return SAC_OK;
}

static struct sac_token_source *
new_request_source(struct fx *f, struct poster *p,
                   struct sac_token_source *boot)
{
	static const char *const aud[] = { "https://example.com", "vault" };
	struct sac_request_source_config rc = {
		.namespace_ = "prod",
		.name = "app-sa",
		.audiences = aud,
		.n_audiences = 2,
		.expiration_seconds = 3600,
		.clock = &f->clock,
	};
	struct sac_diag d = { 0 };
	struct sac_token_source *s = NULL;

	assert_int_equal(sac_token_source_new_request(&rc, boot, stub_post, p,
	                                              &s, &d),
	                 SAC_OK);
	return s;
}

static void
test_sac_tokensource_request_refreshes_at_80_percent(void **state)
{
	struct fx *f = *state;
	struct poster p = { .fc = &f->fc, .status = 201, .lifetime = 3600 };
	struct sac_diag d = { 0 };
	struct sac_token_source *boot = NULL;
	struct sac_token_source *s;

	assert_int_equal(sac_token_source_new_static("bootstrap", &boot, &d),
	                 SAC_OK);
	s = new_request_source(f, &p, boot);
	assert_int_equal(p.calls, 0); /* nothing until the first get */
	assert_string_equal(get(s), "issued-1");
	assert_string_equal(p.path,
	                    "/api/v1/namespaces/prod/serviceaccounts/app-sa/"
	                    "token");
	assert_string_equal(p.bearer, "bootstrap");
	assert_string_equal(p.body,
	                    "{\"apiVersion\":\"authentication.k8s.io/v1\","
	                    "\"kind\":\"TokenRequest\",\"spec\":{\"audiences\":"
	                    "[\"https://example.com\",\"vault\"],"
	                    "\"expirationSeconds\":3600}}");
	f->fc.now_ms += 2879 * 1000;
	assert_string_equal(get(s), "issued-1");
	assert_int_equal(p.calls, 1);
	f->fc.now_ms += 1000; /* 2880 s = 80 % of 3600 */
	assert_string_equal(get(s), "issued-2");
	assert_int_equal(p.calls, 2);
	sac_token_source_invalidate(s); /* a 401 */
	assert_string_equal(get(s), "issued-3");
	assert_int_equal(sac_token_source_loads(s), 3);
	sac_token_source_free(s); /* frees the bootstrap source too */
}

static void
test_sac_tokensource_request_uses_the_servers_issue_time(void **state)
{
	struct fx *f = *state;
	/* The server says: issued 3000 s ago, lifetime 3600 s. */
	struct poster p = { .fc = &f->fc,
		            .status = 201,
		            .lifetime = 3600,
		            .issued_ago = 3000 };
	struct sac_diag d = { 0 };
	struct sac_token_source *boot = NULL;
	struct sac_token_source *s;

	assert_int_equal(sac_token_source_new_static("b", &boot, &d), SAC_OK);
	s = new_request_source(f, &p, boot);
	assert_string_equal(get(s), "issued-1");
	/* 80 % was 120 s ago: the next get refreshes. */
	f->fc.now_ms += 1000;
	assert_string_equal(get(s), "issued-2");
	sac_token_source_free(s);
}

static void
test_sac_tokensource_request_keeps_an_unexpired_token(void **state)
{
	struct fx *f = *state;
	struct poster p = { .fc = &f->fc, .status = 201, .lifetime = 1000 };
	struct sac_diag d = { 0 };
	struct sac_token_source *boot = NULL;
	struct sac_token_source *s;
	const char *tok = NULL;

	assert_int_equal(sac_token_source_new_static("b", &boot, &d), SAC_OK);
	s = new_request_source(f, &p, boot);
	assert_string_equal(get(s), "issued-1");
	p.status = 500;
	f->fc.now_ms += 900 * 1000; /* past 80 %, before expiry */
	assert_string_equal(get(s), "issued-1");
	assert_int_equal(p.calls, 2);
	p.fail = SAC_ENETWORK;
	assert_string_equal(get(s), "issued-1");
	f->fc.now_ms += 100 * 1000; /* expired */
	assert_int_equal(sac_token_source_get(s, &tok, &d), SAC_ENETWORK);
	p.fail = SAC_OK;
	assert_int_equal(sac_token_source_get(s, &tok, &d), SAC_EHTTP);
	assert_string_equal(d.msg, "failed to create token: an error on the "
	                           "server has prevented the request from "
	                           "succeeding");
	assert_null(tok);
	sac_token_source_free(s);
}

static void
test_sac_tokensource_request_rereads_bootstrap_on_401(void **state)
{
	struct fx *f = *state;
	struct poster p = { .fc = &f->fc,
		            .status = 201,
		            .lifetime = 3600,
		            .refuse = "old" };
	struct sac_diag d = { 0 };
	struct sac_token_source *boot = NULL;
	struct sac_token_source *s;
	const char *tok = NULL;

	put(f, "old");
	assert_int_equal(sac_token_source_new_file(f->path,
	                                           SAC_STRATEGY_REREAD, 0,
	                                           &f->clock, &boot, &d),
	                 SAC_OK);
	s = new_request_source(f, &p, boot);
	/* Still "old" on disk: one 401, the re-read changes nothing. */
	assert_int_equal(sac_token_source_get(s, &tok, &d), SAC_EAUTH);
	assert_string_equal(d.msg, "failed to create token: Unauthorized");
	assert_int_equal(p.calls, 1);
	put(f, "new");
	p.calls = 0;
	assert_int_equal(sac_token_source_get(s, &tok, &d), SAC_OK);
	/* The cached "old" gets a 401, the re-read "new" is retried once. */
	assert_int_equal(p.calls, 2);
	assert_string_equal(p.bearer, "new");
	assert_string_equal(tok, "issued-2"); /* the stub numbers by call */
	sac_token_source_free(s);
}

static void
test_sac_tokensource_request_body_and_response(void **state)
{
	struct sac_issued_token t = { 0 };
	struct sac_diag d = { 0 };
	char *body = NULL;
	const char *ok = "{\"spec\":{\"expirationSeconds\":600},\"status\":{"
	                 "\"token\":\"t\",\"expirationTimestamp\":"
	                 "\"2023-11-14T22:23:20Z\"}}";

	(void)state;
	assert_int_equal(sac_token_request_format(NULL, 0, 0, "p1", &body),
	                 SAC_OK);
	assert_string_equal(body,
	                    "{\"apiVersion\":\"authentication.k8s.io/v1\","
	                    "\"kind\":\"TokenRequest\",\"spec\":{"
	                    "\"boundObjectRef\":{\"kind\":\"Pod\","
	                    "\"apiVersion\":\"v1\",\"name\":\"p1\"}}}");
	free(body);
	assert_int_equal(sac_token_response_parse(ok, strlen(ok), &t, &d),
	                 SAC_OK);
	assert_string_equal(t.token, "t");
	assert_int_equal(t.expiration_seconds, 600);
	assert_int_equal(t.expires_at, 1700000600);
	sac_issued_token_fini(&t);
	assert_null(t.token);
	assert_int_equal(sac_token_response_parse("{\"status\":{}}", 13, &t,
	                                          &d),
	                 SAC_ETOKEN);
	assert_string_equal(d.msg, "TokenRequest response has no status.token");
	assert_int_equal(sac_token_response_parse("nope", 4, &t, &d),
	                 SAC_ETOKEN);
	sac_issued_token_fini(NULL);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sac_tokensource_static_is_fixed),
		cmocka_unit_test_setup_teardown(
			test_sac_tokensource_read_once_never_rereads, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_sac_tokensource_reread_after_period_and_on_401,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sac_tokensource_reread_keeps_last_good_token,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sac_tokensource_missing_or_empty_file_is_a_token_error,
			setup, teardown),
		cmocka_unit_test(test_sac_tokensource_strategy_names_round_trip),
		cmocka_unit_test_setup_teardown(
			test_sac_tokensource_request_refreshes_at_80_percent,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sac_tokensource_request_uses_the_servers_issue_time,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sac_tokensource_request_keeps_an_unexpired_token,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sac_tokensource_request_rereads_bootstrap_on_401,
			setup, teardown),
		cmocka_unit_test(test_sac_tokensource_request_body_and_response),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("sac_tokensource", tests, NULL,
	                                   NULL);
}
