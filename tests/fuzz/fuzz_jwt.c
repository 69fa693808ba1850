/* SPDX-License-Identifier: MIT */
/*
 * fuzz_jwt: auth/jwt over arbitrary token bytes — mapi_jwt_parse under the
 * RS256|ES256 policy, then mapi_jwt_verify with the fixture key of the
 * token's alg (and with the other one, which must be a key mismatch), then
 * mapi_jwt_check_times at the fixtures' fake now. Properties: a reason is
 * always set on MAPI_EINVAL, MAPI_OK means MAPI_JWT_OK, and the parsed
 * token's getters agree with the policy.
 *
 * The two public keys are loaded once in LLVMFuzzerInitialize and only read
 * afterwards (the one piece of file-scope state, as libFuzzer requires).
 */
#include <cjson/cJSON.h>

#include "auth/jwt.h"
#include "auth/keys.h"
#include "fuzz.h"

static struct mapi_key *rsa_key;
static struct mapi_key *ec_key;

static struct mapi_key *
load_key(const char *rel)
{
	char *path = fuzz_fixture_path(rel);
	struct mapi_key *key = NULL;
	struct mapi_diag diag = { 0 };

	if (mapi_key_load_file(path, &key, &diag) != MAPI_OK) {
		fprintf(stderr, "fuzz_jwt: %s: %s\n", path, diag.msg);
		abort();
	}
	free(path);
	return key;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rsa_key = load_key("keys/rsa-2048.pub.pem");
	ec_key = load_key("keys/ec-p256.pub.pem");
	return 0;
}

static void
check_reason(enum mapi_err err, enum mapi_jwt_reason reason)
{
	if (err == MAPI_OK) {
		FUZZ_CHECK(reason == MAPI_JWT_OK);
	} else if (err == MAPI_EINVAL) {
		FUZZ_CHECK(reason != MAPI_JWT_OK);
		FUZZ_CHECK(reason < MAPI_JWT_REASON_COUNT_);
	} else {
		FUZZ_CHECK(err == MAPI_ENOMEM || err == MAPI_ECRYPTO);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct mapi_jwt_policy policy = {
		.algs = MAPI_JWS_RS256 | MAPI_JWS_ES256,
	};
	enum mapi_jwt_reason reason = MAPI_JWT_REASON_COUNT_;
	struct mapi_jwt *jwt = NULL;
	struct mapi_key *right;
	struct mapi_key *wrong;
	const cJSON *claims;
	const char *kid;
	enum mapi_err err;

	err = mapi_jwt_parse((const char *)data, size, &policy, &jwt, &reason);
	check_reason(err, reason);
	if (err != MAPI_OK) {
		FUZZ_CHECK(jwt == NULL);
		return 0;
	}
	FUZZ_CHECK(size <= MAPI_JWT_DEFAULT_MAX_LEN);
	FUZZ_CHECK(mapi_jwt_alg(jwt) == MAPI_JWS_RS256 ||
	           mapi_jwt_alg(jwt) == MAPI_JWS_ES256);
	FUZZ_CHECK(cJSON_IsObject(mapi_jwt_header(jwt)));
	claims = mapi_jwt_claims(jwt);
	FUZZ_CHECK(cJSON_IsObject(claims));
	kid = mapi_jwt_kid(jwt);
	FUZZ_CHECK(kid == NULL || strlen(kid) < size);

	right = mapi_jwt_alg(jwt) == MAPI_JWS_RS256 ? rsa_key : ec_key;
	wrong = right == rsa_key ? ec_key : rsa_key;
	reason = MAPI_JWT_REASON_COUNT_;
	err = mapi_jwt_verify(jwt, mapi_key_pkey(right), &reason);
	check_reason(err, reason);
	FUZZ_CHECK(err != MAPI_EINVAL || reason == MAPI_JWT_BAD_SIGNATURE);

	reason = MAPI_JWT_REASON_COUNT_;
	err = mapi_jwt_verify(jwt, mapi_key_pkey(wrong), &reason);
	FUZZ_CHECK(err == MAPI_EINVAL && reason == MAPI_JWT_KEY_MISMATCH);

	reason = MAPI_JWT_REASON_COUNT_;
	err = mapi_jwt_check_times(claims, FUZZ_NOW_NS / 1000000000, 60,
	                           &reason);
	check_reason(err, reason);
	FUZZ_CHECK(err != MAPI_EINVAL || reason == MAPI_JWT_EXPIRED ||
	           reason == MAPI_JWT_NOT_YET_VALID ||
	           reason == MAPI_JWT_ISSUED_IN_FUTURE ||
	           reason == MAPI_JWT_BAD_TIME_CLAIM);
	/* Extreme "now" and leeway must not overflow (UBSan watches). */
	reason = MAPI_JWT_REASON_COUNT_;
	err = mapi_jwt_check_times(claims, INT64_MAX, INT64_MAX, &reason);
	check_reason(err, reason);
	reason = MAPI_JWT_REASON_COUNT_;
	err = mapi_jwt_check_times(claims, INT64_MIN, 0, &reason);
	check_reason(err, reason);

	mapi_jwt_free(jwt);
	return 0;
}
