/* SPDX-License-Identifier: MIT */
/*
 * fuzz_keys: mapi_key_parse_pem over arbitrary text (auth/keys). Properties
 * of an accepted key: its kid is MAPI_KEY_KID_LEN characters, its alg is
 * RS256 or ES256, its JWK is JSON, and its public PEM parses back into a
 * public key with the same kid.
 */
#include <cjson/cJSON.h>

#include "auth/keys.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mapi_diag diag = { 0 };
	struct mapi_key *key = NULL;
	struct mapi_key *pub = NULL;
	char *pem = NULL;
	cJSON *jwk;

	if (mapi_key_parse_pem((const char *)data, size, &key, &diag) !=
	    MAPI_OK) {
		FUZZ_CHECK(key == NULL);
		FUZZ_CHECK(memchr(diag.msg, '\0', sizeof(diag.msg)) != NULL);
		return 0;
	}
	FUZZ_CHECK(size <= MAPI_KEY_PEM_MAX);
	FUZZ_CHECK(strlen(mapi_key_kid(key)) == MAPI_KEY_KID_LEN);
	FUZZ_CHECK(mapi_key_alg(key) == MAPI_JWS_RS256 ||
	           mapi_key_alg(key) == MAPI_JWS_ES256);
	jwk = cJSON_Parse(mapi_key_jwk(key));
	FUZZ_CHECK(cJSON_IsObject(jwk));
	cJSON_Delete(jwk);

	FUZZ_CHECK(mapi_key_public_pem(key, &pem) == MAPI_OK);
	FUZZ_CHECK(mapi_key_parse_pem(pem, strlen(pem), &pub, NULL) == MAPI_OK);
	FUZZ_CHECK(!mapi_key_is_private(pub));
	FUZZ_CHECK(strcmp(mapi_key_kid(pub), mapi_key_kid(key)) == 0);
	FUZZ_CHECK(mapi_key_alg(pub) == mapi_key_alg(key));

	free(pem);
	mapi_key_unref(pub);
	mapi_key_unref(key);
	return 0;
}
