/* SPDX-License-Identifier: MIT */
/*
 * server/satokens without HTTP: the store-backed lookups, the success
 * cache on the mock clock (failures never cached), the authenticated
 * group, seeded jtis, config errors, and the HMAC primitive it keys with.
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

#include "auth/jwt.h"
#include "auth/keys.h"
#include "auth/tokens.h"
#include "server/satokens.h"
#include "sim/clock.h"
#include "state/fixtures.h"
#include "state/store.h"
#include "th.h"

struct fixture {
	struct mapi_clock *clock;
	struct mapi_store *store;
	struct mapi_keyset *keyset;
	struct mapi_satokens *sat;
};

static const struct mapi_satokens_config default_cfg = {
	.min_ttl = 600,
	.default_ttl = 3600,
	.extend = true,
	.seed = 7,
	.seeded = true,
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mapi_key *key = NULL;
	char *path = th_fixture_path("keys/rsa-2048.pkcs8.pem");

	assert_non_null(f);
	assert_int_equal(mapi_clock_new_system(&f->clock), MAPI_OK);
	assert_int_equal(mapi_clock_apply_spec(
				 f->clock, "frozen:2025-06-01T10:00:00Z", NULL),
	                 MAPI_OK);
	assert_int_equal(mapi_store_new(f->clock, NULL, &f->store), MAPI_OK);
	assert_int_equal(mapi_fixtures_load_default(f->store, f->clock, NULL),
	                 MAPI_OK);
	assert_int_equal(mapi_keyset_new(&f->keyset), MAPI_OK);
	assert_int_equal(mapi_key_load_file(path, &key, NULL), MAPI_OK);
	assert_int_equal(mapi_keyset_set_active(f->keyset, key), MAPI_OK);
	mapi_key_unref(key);
	free(path);
	assert_int_equal(mapi_satokens_new(&default_cfg, f->keyset, f->store,
	                                   f->clock, &f->sat, NULL),
	                 MAPI_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	mapi_satokens_free(f->sat);
	mapi_keyset_free(f->keyset);
	mapi_store_free(f->store);
	mapi_clock_free(f->clock);
	free(f);
	return 0;
}

static void
issue(struct fixture *f, struct mapi_satokens *sat,
      struct mapi_tokens_issued *out)
{
	struct mapi_tokens_request req = {
		.ns = "production",
		.sa = { .name = "app-service-account", .uid = NULL },
	};
	struct mapi_store_ref r = { .resource = "serviceaccounts",
		                    .ns = "production",
		                    .name = "app-service-account" };
	cJSON *sa = NULL;
	char uid[64];

	assert_int_equal(mapi_store_get(f->store, &r, &sa, NULL), MAPI_OK);
	(void)snprintf(uid, sizeof(uid), "%s",
	               cJSON_GetStringValue(cJSON_GetObjectItem(
			       cJSON_GetObjectItem(sa, "metadata"), "uid")));
	cJSON_Delete(sa);
	req.sa.uid = uid;
	assert_int_equal(mapi_tokens_issue(mapi_satokens_tokens(sat), &req,
	                                   mapi_clock_now_ns(f->clock), out,
	                                   NULL),
	                 MAPI_OK);
}

static void
test_satokens_authenticates_and_adds_the_authenticated_group(void **state)
{
	struct fixture *f = *state;
	struct mapi_tokens_issued is = { 0 };
	struct mapi_identity id;
	struct mapi_diag d = { 0 };

	issue(f, f->sat, &is);
	assert_int_equal(mapi_satokens_validate(is.token, &id, &d, f->sat),
	                 MAPI_OK);
	assert_string_equal(id.username, "system:serviceaccount:production:"
	                                 "app-service-account");
	assert_int_equal(id.n_groups, 3);
	assert_string_equal(id.groups[2], "system:authenticated");
	assert_int_equal(id.n_extra, 1);
	assert_string_equal(id.extra[0].key,
	                    "authentication.kubernetes.io/credential-id");
	assert_true(strncmp(id.extra[0].value, "JTI=", 4) == 0);
	assert_int_equal(mapi_satokens_validate("garbage", &id, &d, f->sat),
	                 MAPI_EUNAUTHORIZED);
	assert_string_equal(d.msg, "invalid bearer token");
	mapi_tokens_issued_clear(&is);
}

static void
test_satokens_caches_success_for_ten_mock_seconds(void **state)
{
	struct fixture *f = *state;
	struct mapi_tokens_issued is = { 0 };
	struct mapi_store_ref r = { .resource = "serviceaccounts",
		                    .ns = "production",
		                    .name = "app-service-account" };
	struct mapi_satokens_review rv = { 0 };
	const char *aud = "https://kubernetes.default.svc.cluster.local";

	issue(f, f->sat, &is);
	assert_int_equal(mapi_satokens_review(f->sat, is.token,
	                                      strlen(is.token), NULL, 0, &rv),
	                 MAPI_OK);
	assert_true(rv.authenticated);
	assert_int_equal(rv.n_audiences, 1);
	mapi_satokens_review_clear(&rv);
	assert_int_equal(mapi_store_delete(f->store, &r, 0, NULL, NULL, NULL),
	                 MAPI_OK);
	/* Cached for the same audiences, not for another list. */
	assert_int_equal(
		mapi_clock_advance_ns(f->clock, INT64_C(9999) * 1000000),
		MAPI_OK);
	assert_int_equal(mapi_satokens_review(f->sat, is.token,
	                                      strlen(is.token), NULL, 0, &rv),
	                 MAPI_OK);
	assert_true(rv.authenticated);
	mapi_satokens_review_clear(&rv);
	assert_int_equal(mapi_satokens_review(f->sat, is.token,
	                                      strlen(is.token), &aud, 1, &rv),
	                 MAPI_OK);
	assert_false(rv.authenticated);
	assert_string_equal(rv.error, "[invalid bearer token, serviceaccounts "
	                              "\"app-service-account\" not found]");
	mapi_satokens_review_clear(&rv);
	/* Expired from the cache after 10 s; the failure is not cached. */
	assert_int_equal(mapi_clock_advance_ns(f->clock, 1000000), MAPI_OK);
	assert_int_equal(mapi_satokens_review(f->sat, is.token,
	                                      strlen(is.token), NULL, 0, &rv),
	                 MAPI_OK);
	assert_false(rv.authenticated);
	mapi_satokens_review_clear(&rv);
	mapi_tokens_issued_clear(&is);
}

static void
test_satokens_seeded_jtis_repeat(void **state)
{
	struct fixture *f = *state;
	struct mapi_satokens *other = NULL;
	struct mapi_tokens_issued a = { 0 };
	struct mapi_tokens_issued b = { 0 };

	assert_int_equal(mapi_satokens_new(&default_cfg, f->keyset, f->store,
	                                   f->clock, &other, NULL),
	                 MAPI_OK);
	issue(f, f->sat, &a);
	issue(f, other, &b);
	assert_string_equal(a.jti, b.jti);
	assert_string_equal(a.token, b.token); /* frozen clock, same seed */
	mapi_tokens_issued_clear(&a);
	mapi_tokens_issued_clear(&b);
	mapi_satokens_free(other);
}

static void
test_satokens_config_errors(void **state)
{
	struct fixture *f = *state;
	struct mapi_satokens_config c = default_cfg;
	struct mapi_satokens *s = (struct mapi_satokens *)0x1;
	struct mapi_diag d = { 0 };

	c.api_audiences = ",,";
	assert_int_equal(
		mapi_satokens_new(&c, f->keyset, f->store, f->clock, &s, &d),
		MAPI_EINVAL);
	assert_string_equal(d.msg, "--api-audiences: empty list");
	c = default_cfg;
	c.min_ttl = 0;
	c.default_ttl = 0;
	c.max_ttl = 60; /* below the 10 min minimum */
	assert_int_equal(
		mapi_satokens_new(&c, f->keyset, f->store, f->clock, &s, &d),
		MAPI_EINVAL);
	assert_ptr_equal(s, (struct mapi_satokens *)0x1);
	c = default_cfg;
	c.api_audiences = "a,,b";
	assert_int_equal(
		mapi_satokens_new(&c, f->keyset, f->store, f->clock, &s, &d),
		MAPI_OK);
	{
		size_t n = 0;
		const char *const *v =
			mapi_tokens_api_audiences(mapi_satokens_tokens(s), &n);

		assert_int_equal(n, 2);
		assert_string_equal(v[0], "a");
		assert_string_equal(v[1], "b");
	}
	mapi_satokens_free(s);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_satokens_authenticates_and_adds_the_authenticated_group,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_satokens_caches_success_for_ten_mock_seconds,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_satokens_seeded_jtis_repeat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_satokens_config_errors,
		                                setup, teardown),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("satokens", tests, NULL, NULL);
}
