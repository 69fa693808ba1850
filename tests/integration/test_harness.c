/* SPDX-License-Identifier: MIT */
/*
 * The harness controls in process: the kubelet's 80 % rule to the second
 * under clock advances on a frozen clock, the 3607 s → one year token of
 * the default volume, and signing-key rotation (both keys in the JWKS
 * during the overlap, old tokens valid, then "invalid signature, no keys
 * found" after a drop or when --key-overlap has passed on the mock clock).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "auth/keys.h"
#include "auth/tokens.h"
#include "server/config.h"
#include "server/harness.h"
#include "server/server.h"
#include "sim/clock.h"
#include "th.h"

#define T0  INT64_C(1748772000) /* 2025-06-01T10:00:00Z */
#define POD "default/web-7d4b9c8f5-x2k8p"

struct fixture {
	char *dir;
	char state[512];
	char vol[512];
	struct mapi_server *server;
};

static void
start(struct fixture *f, bool extend, const char *overlap)
{
	struct mapi_config cfg;
	struct mapi_diag d = { 0 };

	mapi_config_init(&cfg);
	cfg.port = 0;
	cfg.threads = 1;
	cfg.state_dir = f->state;
	cfg.clock_spec = "frozen:2025-06-01T10:00:00Z";
	cfg.extend_token_expiration = extend;
	/* Seeded: a restart re-creates the same pod uids (no store file). */
	cfg.seed = 7;
	cfg.seed_set = true;
	if (overlap != NULL) {
		assert_int_equal(
			mapi_duration_parse(overlap, &cfg.key_overlap_ns),
			MAPI_OK);
	}
	if (mapi_server_start(&cfg, &f->server, &d) != MAPI_OK) {
		fail_msg("server start: %s", d.msg);
	}
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = th_mkdtemp();
	(void)snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	(void)snprintf(f->vol, sizeof(f->vol), "%s/vol", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	mapi_server_stop(f->server);
	th_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static char *
read_token(const char *dir)
{
	char path[700];

	(void)snprintf(path, sizeof(path), "%s/token", dir);
	return th_read_file(path, NULL);
}

static void
advance(struct fixture *f, int64_t seconds)
{
	assert_int_equal(mapi_harness_advance(mapi_server_harness(f->server),
	                                      seconds * MAPI_NS_PER_SEC),
	                 MAPI_OK);
}

static int64_t
now_s(struct fixture *f)
{
	return mapi_clock_now(mapi_server_clock(f->server));
}

/* Validates tok now; returns the verdict, *reason a copy (or NULL). */
static enum mapi_tokens_verdict
validate_aud(struct fixture *f, const char *tok, const char *aud, char **reason,
             int64_t *iat)
{
	struct mapi_tokens_result r = { 0 };
	enum mapi_tokens_verdict v;
	const char *auds[1] = { aud };

	assert_int_equal(
		mapi_tokens_validate(
			mapi_server_tokens(f->server), tok, strlen(tok),
			aud != NULL ? auds : NULL, aud != NULL ? 1 : 0,
			mapi_clock_now_ns(mapi_server_clock(f->server)), &r),
		MAPI_OK);
	v = r.verdict;
	if (reason != NULL) {
		*reason = r.reason != NULL ? strdup(r.reason) : NULL;
	}
	if (iat != NULL) {
		*iat = r.iat;
	}
	mapi_tokens_result_clear(&r);
	return v;
}

static enum mapi_tokens_verdict
validate(struct fixture *f, const char *tok, char **reason, int64_t *iat)
{
	return validate_aud(f, tok, NULL, reason, iat);
}

/* A 600 s token is refreshed when now > exp - 120 s: at T0 + 480 s + ε. */
static void
test_refresh_to_the_second(void **state)
{
	struct fixture *f = *state;
	struct mapi_diag d = { 0 };
	uint64_t id = 0;
	char *a;
	char *b;
	char *c;
	int64_t iat = 0;

	start(f, false, NULL);
	assert_int_equal(mapi_harness_add_volume(mapi_server_harness(f->server),
	                                         f->vol, POD, "vault", 600, &id,
	                                         &d),
	                 MAPI_OK);
	assert_true(id > 0);
	a = read_token(f->vol);
	advance(f, 480);
	assert_int_equal(now_s(f), T0 + 480);
	b = read_token(f->vol);
	assert_string_equal(a, b);
	advance(f, 1);
	c = read_token(f->vol);
	assert_string_not_equal(b, c);
	/* The refresh ran at its due instant, not at the end of the step. */
	assert_int_equal(validate_aud(f, c, "vault", NULL, &iat),
	                 MAPI_TOKENS_AUTHENTICATED);
	assert_int_equal(iat, T0 + 480);
	free(a);
	free(b);
	free(c);
}

/*
 * The default volume: 3607 s extended to a year (warnafter iat + 3607),
 * refreshed after 2886 s; a long advance runs every refresh in order.
 */
static void
test_default_volume_rule(void **state)
{
	struct fixture *f = *state;
	char dir[560];
	char *a;
	char *b;
	char *c;
	cJSON *vols = NULL;
	const cJSON *item;
	int64_t iat = 0;

	start(f, true, NULL);
	(void)snprintf(dir, sizeof(dir), "%s/serviceaccount", f->state);
	a = read_token(dir);
	assert_int_equal(validate(f, a, NULL, &iat), MAPI_TOKENS_AUTHENTICATED);
	assert_int_equal(iat, T0);
	advance(f, 2886);
	b = read_token(dir);
	assert_string_equal(a, b);
	advance(f, 1);
	c = read_token(dir);
	assert_string_not_equal(b, c);
	assert_int_equal(validate(f, c, NULL, &iat), MAPI_TOKENS_AUTHENTICATED);
	assert_int_equal(iat, T0 + 2886);
	/* 10 h at once: a refresh every 2886 s, each at its own instant. */
	advance(f, 10 * 3600);
	assert_int_equal(mapi_harness_volumes_json(
				 mapi_server_harness(f->server), &vols),
	                 MAPI_OK);
	item = cJSON_GetArrayItem(cJSON_GetObjectItem(vols, "items"), 0);
	assert_non_null(item);
	/* 1 + 1 + floor((36000 - 1) / 2886) + ... = 14 issues in all. */
	assert_int_equal((int)cJSON_GetObjectItem(item, "issues")->valuedouble,
	                 2 + (10 * 3600 + 1) / 2886);
	cJSON_Delete(vols);
	free(a);
	free(b);
	free(c);
}

static void
test_key_rotation_drop(void **state)
{
	struct fixture *f = *state;
	struct mapi_keyset *ks;
	struct mapi_key *k;
	struct mapi_diag d = { 0 };
	char dir[560];
	char old_kid[64];
	char *jwks = NULL;
	char *reason = NULL;
	char *tok;
	char *tok2;
	cJSON *res = NULL;

	start(f, true, NULL);
	ks = mapi_server_keyset(f->server);
	k = mapi_keyset_active(ks);
	(void)snprintf(old_kid, sizeof(old_kid), "%s", mapi_key_kid(k));
	mapi_key_unref(k);
	(void)snprintf(dir, sizeof(dir), "%s/serviceaccount", f->state);
	tok = read_token(dir);
	assert_int_equal(
		mapi_harness_rotate_keys(mapi_server_harness(f->server), false,
	                                 &res, &d),
		MAPI_OK);
	assert_string_equal(
		cJSON_GetStringValue(cJSON_GetObjectItem(res, "previous")),
		old_kid);
	assert_int_equal(mapi_keyset_count(ks), 2);
	assert_int_equal(mapi_keyset_jwks(ks, &jwks), MAPI_OK);
	assert_non_null(strstr(jwks, old_kid));
	assert_non_null(strstr(
		jwks, cJSON_GetStringValue(cJSON_GetObjectItem(res, "kid"))));
	free(jwks);
	cJSON_Delete(res);
	res = NULL;
	/* Old tokens keep validating during the overlap. */
	assert_int_equal(validate(f, tok, NULL, NULL),
	                 MAPI_TOKENS_AUTHENTICATED);
	/* The next kubelet token is signed with the new key. */
	advance(f, 2887);
	tok2 = read_token(dir);
	assert_string_not_equal(tok, tok2);
	assert_int_equal(validate(f, tok2, NULL, NULL),
	                 MAPI_TOKENS_AUTHENTICATED);
	/* Drop: the old key leaves the JWKS, its tokens fail. */
	assert_int_equal(
		mapi_harness_rotate_keys(mapi_server_harness(f->server), true,
	                                 &res, &d),
		MAPI_OK);
	assert_int_equal(
		cJSON_GetArraySize(cJSON_GetObjectItem(res, "dropped")), 2);
	cJSON_Delete(res);
	assert_int_equal(mapi_keyset_count(ks), 1);
	assert_int_equal(validate(f, tok, &reason, NULL), MAPI_TOKENS_REJECTED);
	assert_string_equal(reason, "invalid signature, no keys found");
	free(reason);
	assert_int_equal(validate(f, tok2, &reason, NULL),
	                 MAPI_TOKENS_REJECTED);
	assert_string_equal(reason, "invalid signature, no keys found");
	free(reason);
	free(tok);
	free(tok2);
}

/* --key-overlap 1h: the retired key goes when 1 h of mock time passed. */
static void
test_key_overlap(void **state)
{
	struct fixture *f = *state;
	struct mapi_diag d = { 0 };
	struct mapi_keyset *ks;
	char dir[560];
	char *reason = NULL;
	char *tok;
	cJSON *res = NULL;

	start(f, true, "1h");
	ks = mapi_server_keyset(f->server);
	(void)snprintf(dir, sizeof(dir), "%s/serviceaccount", f->state);
	tok = read_token(dir);
	assert_int_equal(
		mapi_harness_rotate_keys(mapi_server_harness(f->server), false,
	                                 &res, &d),
		MAPI_OK);
	cJSON_Delete(res);
	advance(f, 3599);
	assert_int_equal(mapi_keyset_count(ks), 2);
	assert_int_equal(validate(f, tok, NULL, NULL),
	                 MAPI_TOKENS_AUTHENTICATED);
	advance(f, 1);
	assert_int_equal(mapi_keyset_count(ks), 1);
	assert_int_equal(validate(f, tok, &reason, NULL), MAPI_TOKENS_REJECTED);
	assert_string_equal(reason, "invalid signature, no keys found");
	free(reason);
	free(tok);
}

/* A restart keeps the active and the retired key (state dir files). */
static void
test_keys_persist(void **state)
{
	struct fixture *f = *state;
	struct mapi_diag d = { 0 };
	cJSON *res = NULL;
	char *tok;
	char dir[560];

	start(f, true, NULL);
	(void)snprintf(dir, sizeof(dir), "%s/serviceaccount", f->state);
	tok = read_token(dir);
	assert_int_equal(
		mapi_harness_rotate_keys(mapi_server_harness(f->server), false,
	                                 &res, &d),
		MAPI_OK);
	cJSON_Delete(res);
	mapi_server_stop(f->server);
	f->server = NULL;
	start(f, true, NULL);
	assert_int_equal(mapi_keyset_count(mapi_server_keyset(f->server)), 2);
	assert_int_equal(validate(f, tok, NULL, NULL),
	                 MAPI_TOKENS_AUTHENTICATED);
	free(tok);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refresh_to_the_second,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_volume_rule, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_key_rotation_drop, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_key_overlap, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_keys_persist, setup,
		                                teardown),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("harness", tests, NULL, NULL);
}
