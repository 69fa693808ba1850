/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/authn.h"
#include "th.h"

#define ADMIN "0123456789abcdef0123456789abcdef"

enum who {
	ANON,
	ADMIN_ID,
	SA,
	DENIED
};

static void
check(const struct mapi_authn *a, const char *header, enum who want, size_t row)
{
	struct mapi_identity id;
	enum mapi_err err;

	memset(&id, 0x33, sizeof(id));
	err = mapi_authn_authenticate(a, header, &id, NULL);
	if (want == DENIED) {
		if (err != MAPI_EUNAUTHORIZED) {
			fail_msg("row %zu: %s accepted", row,
			         header ? header : "(none)");
		}
		assert_int_equal(((unsigned char *)&id)[0], 0x33);
		return;
	}
	if (err != MAPI_OK) {
		fail_msg("row %zu: %s rejected", row,
		         header ? header : "(none)");
	}
	switch (want) {
	case ANON:
		assert_string_equal(id.username, "system:anonymous");
		assert_int_equal(id.n_groups, 1);
		assert_string_equal(id.groups[0], "system:unauthenticated");
		assert_true(id.anonymous);
		break;
	case ADMIN_ID:
		assert_string_equal(id.username, "mockapi-admin");
		assert_int_equal(id.n_groups, 2);
		assert_string_equal(id.groups[0], "system:masters");
		assert_string_equal(id.groups[1], "system:authenticated");
		assert_false(id.anonymous);
		break;
	case SA:
		assert_string_equal(id.username,
		                    "system:serviceaccount:default:app");
		assert_true(
			mapi_identity_has_group(&id, "system:serviceaccounts"));
		break;
	default:
		break;
	}
}

static const struct {
	const char *header;
	enum who anon_on;
	enum who anon_off;
} rows[] = {
	{ NULL, ANON, DENIED },
	{ "", ANON, DENIED },
	{ "Bearer " ADMIN, ADMIN_ID, ADMIN_ID },
	{ "bearer " ADMIN, ADMIN_ID, ADMIN_ID },
	{ "BEARER " ADMIN, ADMIN_ID, ADMIN_ID },
	{ "  Bearer " ADMIN "  ", ADMIN_ID, ADMIN_ID },
	{ "Bearer " ADMIN " extra", ADMIN_ID, ADMIN_ID },
	{ "Bearer " ADMIN "0", DENIED, DENIED },
	{ "Bearer 0123456789abcdef", DENIED, DENIED },
	{ "Bearer x", DENIED, DENIED },
	{ "Bearer sa-token", SA, SA },
	/* Not a bearer credential: no credentials at all. */
	{ "Basic dXNlcjpwYXNz", ANON, DENIED },
	{ "Bearer", ANON, DENIED },
	{ "Bearer ", ANON, DENIED },
	{ "Bearer  ", ANON, DENIED }, /* trimmed: "Bearer" */
	/* SplitN(" ", 3) gives an empty token: invalidToken, 401. */
	{ "Bearer  x", DENIED, DENIED },
	{ "Bearer  " ADMIN, DENIED, DENIED },
	{ "Bearerx " ADMIN, ANON, DENIED },
	{ ADMIN, ANON, DENIED },
};

static enum mapi_err
fake_validator(const char *token, struct mapi_identity *out_id,
               struct mapi_diag *diag, void *payload)
{
	int *calls = payload;

	(*calls)++;
	if (strcmp(token, "sa-token") != 0) {
		mapi_diag_set(diag, "invalid bearer token");
		return MAPI_EUNAUTHORIZED;
	}
	(void)snprintf(out_id->username, sizeof(out_id->username), "%s",
	               "system:serviceaccount:default:app");
	assert_true(mapi_identity_add_group(out_id, "system:serviceaccounts"));
	return MAPI_OK;
}

static void
test_authn_table(void **state)
{
	struct mapi_authn *on = NULL;
	struct mapi_authn *off = NULL;
	int calls = 0;
	size_t i;

	(void)state;
	assert_int_equal(mapi_authn_new(ADMIN, true, &on), MAPI_OK);
	assert_int_equal(mapi_authn_new(ADMIN, false, &off), MAPI_OK);
	mapi_authn_set_token_validator(on, fake_validator, &calls);
	mapi_authn_set_token_validator(off, fake_validator, &calls);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		check(on, rows[i].header, rows[i].anon_on, i);
		check(off, rows[i].header, rows[i].anon_off, i);
	}
	/* The validator saw only non-admin bearer tokens (4 rows × 2). */
	assert_int_equal(calls, 8);
	mapi_authn_free(on);
	mapi_authn_free(off);
}

static void
test_authn_without_validator_rejects_other_tokens(void **state)
{
	struct mapi_authn *a = NULL;
	struct mapi_identity id;

	(void)state;
	assert_int_equal(mapi_authn_new(ADMIN, true, &a), MAPI_OK);
	assert_int_equal(
		mapi_authn_authenticate(a, "Bearer sa-token", &id, NULL),
		MAPI_EUNAUTHORIZED);
	mapi_authn_set_token_validator(a, NULL, NULL);
	assert_int_equal(mapi_authn_authenticate(a, "Bearer " ADMIN, &id, NULL),
	                 MAPI_OK);
	mapi_authn_free(a);
	assert_int_equal(mapi_authn_new("", true, &a), MAPI_EINVAL);
	mapi_authn_free(NULL);
}

static void
test_authn_rejects_overlong_token(void **state)
{
	struct mapi_authn *a = NULL;
	struct mapi_identity id;
	char *h = malloc(20000);

	(void)state;
	assert_non_null(h);
	memcpy(h, "Bearer ", 7);
	memset(h + 7, 'a', 19000);
	h[19007] = '\0';
	assert_int_equal(mapi_authn_new(ADMIN, true, &a), MAPI_OK);
	assert_int_equal(mapi_authn_authenticate(a, h, &id, NULL),
	                 MAPI_EUNAUTHORIZED);
	mapi_authn_free(a);
	free(h);
}

static void
test_authn_token_equal(void **state)
{
	(void)state;
	assert_true(mapi_authn_token_equal("abc", "abc"));
	assert_false(mapi_authn_token_equal("abc", "abd"));
	assert_false(mapi_authn_token_equal("abc", "abcd"));
	assert_false(mapi_authn_token_equal("", "a"));
	assert_true(mapi_authn_token_equal("", ""));
	/* the eight-byte steps and the tail: a difference anywhere counts */
	assert_true(mapi_authn_token_equal("0123456789abcdefXYZ",
	                                   "0123456789abcdefXYZ"));
	assert_false(mapi_authn_token_equal("0123456789abcdefXYZ",
	                                    "0123456789abcdefXYz"));
	assert_false(mapi_authn_token_equal("0123456789abcdefXYZ",
	                                    "0123456789abCdefXYZ"));
	assert_false(mapi_authn_token_equal("0123456789abcdefXYZ",
	                                    "1123456789abcdefXYZ"));
	assert_false(mapi_authn_token_equal("0123456789abcdef",
	                                    "0123456789abcdefX"));
	assert_false(mapi_authn_token_equal("0123456789abcdefX",
	                                    "0123456789abcdef"));
}

static void
test_authn_identity_groups_are_bounded(void **state)
{
	struct mapi_identity id;
	char g[16];
	int i;

	(void)state;
	memset(&id, 0, sizeof(id));
	for (i = 0; i < MAPI_IDENTITY_MAX_GROUPS; i++) {
		(void)snprintf(g, sizeof(g), "g%d", i);
		assert_true(mapi_identity_add_group(&id, g));
	}
	assert_false(mapi_identity_add_group(&id, "one-too-many"));
	assert_int_equal(id.n_groups, MAPI_IDENTITY_MAX_GROUPS);
	assert_true(mapi_identity_has_group(&id, "g3"));
	assert_false(mapi_identity_has_group(&id, "g99"));
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authn_table),
		cmocka_unit_test(
			test_authn_without_validator_rejects_other_tokens),
		cmocka_unit_test(test_authn_rejects_overlong_token),
		cmocka_unit_test(test_authn_token_equal),
		cmocka_unit_test(test_authn_identity_groups_are_bounded),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("authn", tests, NULL, NULL);
}
