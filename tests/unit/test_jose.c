/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/jose.h"
#include "th.h"

/* RFC 4648 §10 vectors, base64url without padding. */
static const struct {
	const char *raw;
	const char *enc;
} vectors[] = {
	{ "", "" },
	{ "f", "Zg" },
	{ "fo", "Zm8" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg" },
	{ "fooba", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy" },
};

static void
test_jose_b64url_rfc4648_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		char *enc =
			mapi_b64url_encode_dup((const uint8_t *)vectors[i].raw,
		                               strlen(vectors[i].raw));
		uint8_t *dec = NULL;
		size_t dec_len = 0;

		assert_non_null(enc);
		assert_string_equal(enc, vectors[i].enc);
		assert_int_equal(
			mapi_b64url_encoded_len(strlen(vectors[i].raw)),
			strlen(vectors[i].enc));
		assert_int_equal(
			mapi_b64url_decode(enc, strlen(enc), &dec, &dec_len),
			MAPI_OK);
		assert_int_equal(dec_len, strlen(vectors[i].raw));
		assert_memory_equal(dec, vectors[i].raw, dec_len);
		free(dec);
		free(enc);
	}
}

/* Every byte value and every length 0..300 survives a round trip. */
static void
test_jose_b64url_round_trips_all_bytes(void **state)
{
	uint8_t data[300];
	char enc[402];
	size_t n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(data); i++) {
		data[i] = (uint8_t)(i * 7 + 3);
	}
	for (n = 0; n <= sizeof(data); n++) {
		uint8_t *dec = NULL;
		size_t dec_len = 0;
		size_t len = mapi_b64url_encode(data, n, enc);

		assert_int_equal(len, mapi_b64url_encoded_len(n));
		assert_null(strpbrk(enc, "+/="));
		assert_int_equal(mapi_b64url_decode(enc, len, &dec, &dec_len),
		                 MAPI_OK);
		assert_int_equal(dec_len, n);
		assert_memory_equal(dec, data, n);
		free(dec);
	}
}

/* "-" and "_" are the URL-safe digits 62 and 63. */
static void
test_jose_b64url_uses_url_alphabet(void **state)
{
	static const uint8_t raw[] = { 0xfb, 0xff, 0xbf };
	uint8_t *dec = NULL;
	size_t dec_len = 0;
	char enc[8];

	(void)state;
	assert_int_equal(mapi_b64url_encode(raw, sizeof(raw), enc), 4);
	assert_string_equal(enc, "-_-_");
	assert_int_equal(mapi_b64url_decode("-_-_", 4, &dec, &dec_len),
	                 MAPI_OK);
	assert_int_equal(dec_len, 3);
	assert_memory_equal(dec, raw, 3);
	free(dec);
}

static const struct {
	const char *name;
	const char *in;
} rejects[] = {
	{ "padding", "Zg==" },
	{ "single pad", "Zm8=" },
	{ "plus", "+_-_" },
	{ "slash", "-/-_" },
	{ "space", "Zm9v Yg" },
	{ "newline", "Zm9v\nYg" },
	{ "tab", "\tZm9v" },
	{ "4k+1 length", "Zm9vY" },
	{ "1 char", "Z" },
	{ "non-canonical 2 bits", "Zh" },  /* "Zg" is canonical for "f" */
	{ "non-canonical 4 bits", "Zm9" }, /* "Zm8" is canonical for "fo" */
	{ "dot", "Zm9v.Yg" },
	{ "non-ascii", "Zm9v\xc3\xa9" },
	{ "percent", "Zm9%" },
	{ "high byte in a whole quad", "Zm\x80vYmFy" },
};

static void
test_jose_b64url_rejects_non_strict(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		uint8_t *dec = (uint8_t *)"untouched";
		size_t dec_len = 12345;

		if (mapi_b64url_decode(rejects[i].in, strlen(rejects[i].in),
		                       &dec, &dec_len) != MAPI_EINVAL) {
			fail_msg("accepted: %s", rejects[i].name);
		}
		assert_string_equal((const char *)dec, "untouched");
		assert_int_equal(dec_len, 12345);
	}
}

/* The decoder reads exactly len bytes: an embedded NUL is a bad char. */
static void
test_jose_b64url_length_is_exact(void **state)
{
	uint8_t *dec = NULL;
	size_t dec_len = 0;

	(void)state;
	assert_int_equal(mapi_b64url_decode("Zm9vYmFyXXXX", 8, &dec, &dec_len),
	                 MAPI_OK);
	assert_int_equal(dec_len, 6);
	assert_memory_equal(dec, "foobar", 6);
	free(dec);
	assert_int_equal(mapi_b64url_decode("Zm9v\0Yg", 7, &dec, &dec_len),
	                 MAPI_EINVAL);
	assert_int_equal(mapi_b64url_decode(NULL, 0, &dec, &dec_len),
	                 MAPI_EINVAL);
}

static void
test_jose_alg_names(void **state)
{
	(void)state;
	assert_string_equal(mapi_jws_alg_name(MAPI_JWS_RS256), "RS256");
	assert_string_equal(mapi_jws_alg_name(MAPI_JWS_ES256), "ES256");
	assert_null(mapi_jws_alg_name(MAPI_JWS_NONE));
	assert_int_equal(mapi_jws_alg_parse("RS256"), MAPI_JWS_RS256);
	assert_int_equal(mapi_jws_alg_parse("ES256"), MAPI_JWS_ES256);
	assert_int_equal(mapi_jws_alg_parse("rs256"), MAPI_JWS_NONE);
	assert_int_equal(mapi_jws_alg_parse("HS256"), MAPI_JWS_NONE);
	assert_int_equal(mapi_jws_alg_parse("none"), MAPI_JWS_NONE);
	assert_int_equal(mapi_jws_alg_parse(NULL), MAPI_JWS_NONE);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jose_b64url_rfc4648_vectors),
		cmocka_unit_test(test_jose_b64url_round_trips_all_bytes),
		cmocka_unit_test(test_jose_b64url_uses_url_alphabet),
		cmocka_unit_test(test_jose_b64url_rejects_non_strict),
		cmocka_unit_test(test_jose_b64url_length_is_exact),
		cmocka_unit_test(test_jose_alg_names),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("jose", tests, NULL, NULL);
}
