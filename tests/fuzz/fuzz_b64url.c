/* SPDX-License-Identifier: MIT */
/*
 * fuzz_b64url: strict base64url (auth/jose). Properties, from jose.h:
 *   - decode(x) succeeds only if encode(decode(x)) == x (one accepted
 *     encoding per byte string), and the decoded length is 3/4 of it;
 *   - decode(encode(b)) == b for the input taken as bytes, and the encoded
 *     length is mapi_b64url_encoded_len();
 *   - the alg name table round-trips.
 */
#include "auth/jose.h"
#include "fuzz.h"

static void
roundtrip_text(const uint8_t *data, size_t size)
{
	uint8_t *dec = NULL;
	size_t dec_len = (size_t)-1;
	char *enc;

	if (mapi_b64url_decode((const char *)data, size, &dec, &dec_len) !=
	    MAPI_OK) {
		FUZZ_CHECK(dec == NULL && dec_len == (size_t)-1);
		return;
	}
	FUZZ_CHECK(dec != NULL);
	FUZZ_CHECK(dec[dec_len] == '\0');
	FUZZ_CHECK(mapi_b64url_encoded_len(dec_len) == size);
	enc = mapi_b64url_encode_dup(dec, dec_len);
	FUZZ_CHECK(enc != NULL);
	FUZZ_CHECK(strlen(enc) == size);
	FUZZ_CHECK(size == 0 || memcmp(enc, data, size) == 0);
	free(enc);
	free(dec);
}

static void
roundtrip_bytes(const uint8_t *data, size_t size)
{
	size_t n = mapi_b64url_encoded_len(size);
	uint8_t *dec = NULL;
	size_t dec_len = 0;
	char *enc = malloc(n + 1);

	FUZZ_CHECK(enc != NULL);
	FUZZ_CHECK(mapi_b64url_encode(data, size, enc) == n);
	FUZZ_CHECK(enc[n] == '\0');
	FUZZ_CHECK(mapi_b64url_decode(enc, n, &dec, &dec_len) == MAPI_OK);
	FUZZ_CHECK(dec_len == size);
	FUZZ_CHECK(size == 0 || memcmp(dec, data, size) == 0);
	free(dec);
	free(enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	enum mapi_jws_alg alg;

	roundtrip_text(data, size);
	roundtrip_bytes(data, size);

	s = fuzz_strndup(data, size);
	alg = mapi_jws_alg_parse(s);
	if (alg != MAPI_JWS_NONE) {
		FUZZ_CHECK(strcmp(mapi_jws_alg_name(alg), s) == 0);
	}
	free(s);
	return 0;
}
