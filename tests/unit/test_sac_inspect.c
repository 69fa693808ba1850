/* SPDX-License-Identifier: MIT */
/*
 * libsaclient inspect: local JWT decoding (no trust), the human report
 * under a fixed "now", non-JWT rejection, and JWKS verification of the
 * golden tokens with a JWKS built here from the fixture public keys
 * (fixtures/keys, rsa-2048 and ec-p256).
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
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "saclient.h"
#include "th.h"

/* The fake "now" the golden tokens assume (fixtures/tokens/README.md). */
#define NOW 1700001000

static char *
fixture_token(const char *name)
{
	char rel[128];
	char *path;
	char *tok;

	(void)snprintf(rel, sizeof(rel), "tokens/%s", name);
	path = th_fixture_path(rel);
	tok = th_read_file(path, NULL);
	free(path);
	return tok;
}

static struct sac_jwt *
decode_fixture(const char *name)
{
	struct sac_diag d = { 0 };
	struct sac_jwt *jwt = NULL;
	char *tok = fixture_token(name);

	assert_int_equal(sac_jwt_decode(tok, &jwt, &d), SAC_OK);
	free(tok);
	return jwt;
}

static char *
b64url(const unsigned char *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                          "0123456789-_";
	char *out = malloc(n * 4 / 3 + 4);
	size_t o = 0;

	assert_non_null(out);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < n) {
			v |= (unsigned)p[i + 1] << 8;
		}
		if (i + 2 < n) {
			v |= p[i + 2];
		}
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		if (i + 1 < n) {
			out[o++] = tab[(v >> 6) & 63];
		}
		if (i + 2 < n) {
			out[o++] = tab[v & 63];
		}
	}
	out[o] = '\0';
	return out;
}

static char *
b64url_str(const char *s)
{
	return b64url((const unsigned char *)s, strlen(s));
}

static char *
bn_b64url(const BIGNUM *bn)
{
	int n = BN_num_bytes(bn);
	unsigned char *buf = malloc((size_t)n);
	char *out;

	assert_non_null(buf);
	assert_int_equal(BN_bn2bin(bn, buf), n);
	out = b64url(buf, (size_t)n);
	free(buf);
	return out;
}

/* kid = base64url(SHA-256(DER SPKI)), as kube-apiserver computes it. */
static char *
kid_of(EVP_PKEY *pkey)
{
	unsigned char *der = NULL;
	unsigned char md[32];
	unsigned int mdlen = 0;
	int n = i2d_PUBKEY(pkey, &der);

	assert_true(n > 0);
	assert_int_equal(EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(),
	                            NULL),
	                 1);
	OPENSSL_free(der);
	return b64url(md, mdlen);
}

static EVP_PKEY *
load_pub(const char *name)
{
	char rel[128];
	char *path;
	FILE *f;
	EVP_PKEY *pkey;

	(void)snprintf(rel, sizeof(rel), "keys/%s", name);
	path = th_fixture_path(rel);
	f = fopen(path, "r");
	assert_non_null(f);
	pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	(void)fclose(f);
	free(path);
	assert_non_null(pkey);
	return pkey;
}

static cJSON *
rsa_jwk(const char *file)
{
	EVP_PKEY *pkey = load_pub(file);
	BIGNUM *n = NULL;
	BIGNUM *e = NULL;
	cJSON *k = cJSON_CreateObject();
	char *kid = kid_of(pkey);
	char *ns;
	char *es;

	assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n),
	                 1);
	assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e),
	                 1);
	ns = bn_b64url(n);
	es = bn_b64url(e);
	cJSON_AddStringToObject(k, "use", "sig");
	cJSON_AddStringToObject(k, "kty", "RSA");
	cJSON_AddStringToObject(k, "kid", kid);
	cJSON_AddStringToObject(k, "alg", "RS256");
	cJSON_AddStringToObject(k, "n", ns);
	cJSON_AddStringToObject(k, "e", es);
	free(ns);
	free(es);
	free(kid);
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(pkey);
	return k;
}

static cJSON *
ec_jwk(const char *file)
{
	EVP_PKEY *pkey = load_pub(file);
	unsigned char pub[65];
	size_t len = 0;
	cJSON *k = cJSON_CreateObject();
	char *kid = kid_of(pkey);
	char *xs;
	char *ys;

	assert_int_equal(EVP_PKEY_get_octet_string_param(
				 pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub,
				 sizeof(pub), &len),
	                 1);
	assert_int_equal(len, 65);
	assert_int_equal(pub[0], 0x04);
	xs = b64url(pub + 1, 32);
	ys = b64url(pub + 33, 32);
	cJSON_AddStringToObject(k, "use", "sig");
	cJSON_AddStringToObject(k, "kty", "EC");
	cJSON_AddStringToObject(k, "kid", kid);
	cJSON_AddStringToObject(k, "crv", "P-256");
	cJSON_AddStringToObject(k, "alg", "ES256");
	cJSON_AddStringToObject(k, "x", xs);
	cJSON_AddStringToObject(k, "y", ys);
	free(xs);
	free(ys);
	free(kid);
	EVP_PKEY_free(pkey);
	return k;
}

/* {"keys":[rsa-2048, ec-p256]} unless only one kind is asked for. */
static char *
make_jwks(bool rsa, bool ec)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *keys = cJSON_AddArrayToObject(doc, "keys");
	char *text;

	if (rsa) {
		cJSON_AddItemToArray(keys, rsa_jwk("rsa-2048.pub.pem"));
	}
	if (ec) {
		cJSON_AddItemToArray(keys, ec_jwk("ec-p256.pub.pem"));
	}
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	return text;
}

static void
test_sac_inspect_decodes_a_bound_token(void **state)
{
	struct sac_jwt *jwt = decode_fixture("rs256-good.jwt");
	const cJSON *k8s;
	char label[16];
	int64_t t = 0;

	(void)state;
	assert_string_equal(
		cJSON_GetStringValue(cJSON_GetObjectItem(
			sac_jwt_header_get(jwt), "alg")),
		"RS256");
	assert_string_equal(
		cJSON_GetStringValue(cJSON_GetObjectItem(
			sac_jwt_header_get(jwt), "kid")),
		"PYBaKlXonGMvLDoLNzBsdterDNz9jAuyd1gyFTPMvTw");
	assert_string_equal(sac_jwt_sub(jwt),
	                    "system:serviceaccount:default:app-sa");
	assert_string_equal(sac_jwt_jti(jwt),
	                    "6a1bd4c4-4a50-4d33-9bb2-3d3d1c6b7f10");
	assert_true(sac_jwt_time_claim(jwt, "iat", &t));
	assert_int_equal(t, 1700000000);
	assert_true(sac_jwt_time_claim(jwt, "exp", &t));
	assert_int_equal(t, 1700003600);
	assert_false(sac_jwt_time_claim(jwt, "missing", &t));
	k8s = cJSON_GetObjectItem(sac_jwt_claims_get(jwt), "kubernetes.io");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
				    cJSON_GetObjectItem(k8s, "pod"), "name")),
	                    "app-7d9f8");
	assert_string_equal(sac_jwt_label(jwt, label, sizeof(label)),
	                    "6a1bd4c4");
	sac_jwt_free(jwt);
}

static void
test_sac_inspect_formats_human_times_with_a_fake_clock(void **state)
{
	struct sac_jwt *jwt = decode_fixture("rs256-good.jwt");
	char *text = NULL;

	(void)state;
	assert_int_equal(sac_jwt_format(jwt, NOW, &text), SAC_OK);
	assert_non_null(strstr(text, "2023-11-14T22:13:20Z (issued 16m ago)"));
	assert_non_null(strstr(text, "2023-11-14T23:13:20Z (expires in 43m)"));
	assert_non_null(strstr(text, "bound pod       app-7d9f8 (uid "
	                             "0b6f2d8e-8b4a-4c1e-9f7d-3e2a1c5b6d22)"));
	assert_non_null(strstr(text, "bound node      node-1 (uid "));
	assert_non_null(strstr(text, "serviceaccount  app-sa (uid "));
	assert_non_null(strstr(text, "sub             "
	                             "system:serviceaccount:default:app-sa"));
	assert_non_null(
		strstr(text,
		       "aud             https://kubernetes.default.svc.cluster.local\n"));
	assert_non_null(strstr(text, "jti             6a1bd4c4-"));
	assert_non_null(strstr(text, "lifetime        60m\n"));
	assert_non_null(strstr(text, "Status: not expired (expires in 43m)"));
	assert_null(strstr(text, "EXPIRED"));
	assert_false(sac_jwt_is_expired(jwt, NOW));
	free(text);

	/* Three minutes after exp. */
	assert_int_equal(sac_jwt_format(jwt, 1700003600 + 180, &text), SAC_OK);
	assert_non_null(strstr(text, "(expired 3m ago)"));
	assert_non_null(strstr(text, "Status: EXPIRED 3m ago"));
	assert_true(sac_jwt_is_expired(jwt, 1700003600));
	assert_true(sac_jwt_is_expired(jwt, 1700003600 + 180));
	free(text);
	sac_jwt_free(jwt);
}

static void
test_sac_inspect_flags_the_expired_fixture(void **state)
{
	struct sac_jwt *jwt = decode_fixture("expired.jwt");
	char *text = NULL;

	(void)state;
	assert_true(sac_jwt_is_expired(jwt, NOW));
	assert_int_equal(sac_jwt_format(jwt, NOW, &text), SAC_OK);
	/* exp = 1699993600: 7400 s before NOW. */
	assert_non_null(strstr(text, "Status: EXPIRED 123m ago"));
	free(text);
	sac_jwt_free(jwt);
}

static void
test_sac_inspect_shows_warnafter_and_secret_binding(void **state)
{
	char *h = b64url_str("{\"alg\":\"RS256\",\"kid\":\"k\"}");
	char *p = b64url_str(
		"{\"aud\":[\"a\",\"b\"],\"exp\":1731536000,\"iat\":1700000000,"
		"\"jti\":\"zz\\u001b[31m\",\"kubernetes.io\":{\"namespace\":\"ns\","
		"\"secret\":{\"name\":\"s1\"},\"warnafter\":1700003607},"
		"\"sub\":\"x\\u001b[2J\"}");
	char tok[1024];
	struct sac_diag d = { 0 };
	struct sac_jwt *jwt = NULL;
	char *text = NULL;
	char label[16];

	(void)state;
	(void)snprintf(tok, sizeof(tok), "%s.%s.c2ln", h, p);
	assert_int_equal(sac_jwt_decode(tok, &jwt, &d), SAC_OK);
	assert_int_equal(sac_jwt_format(jwt, NOW, &text), SAC_OK);
	assert_non_null(strstr(text, "warnafter       2023-11-14T23:13:27Z "
	                             "(warn in 43m)"));
	assert_non_null(strstr(text, "bound secret    s1\n"));
	assert_non_null(strstr(text, "aud             a, b\n"));
	assert_non_null(strstr(text, "lifetime        365d\n"));
	/* Control characters from an untrusted token never reach a tty. */
	assert_null(strchr(text, '\033'));
	assert_non_null(strstr(text, "sub             x?[2J"));
	/* The label stops at the first character that is not [A-Za-z0-9-]. */
	assert_string_equal(sac_jwt_label(jwt, label, sizeof(label)), "zz");
	free(text);
	sac_jwt_free(jwt);
	free(h);
	free(p);
}

static void
test_sac_inspect_rejects_non_jwts_with_a_clear_error(void **state)
{
	static const struct {
		const char *input;
		const char *msg;
	} cases[] = {
		{ "garbage", "not a JWT: expected 3 dot-separated parts, found 1" },
		{ "a.b", "not a JWT: expected 3 dot-separated parts, found 2" },
		{ "a.b.c.d", "not a JWT: expected 3 dot-separated parts, found 4" },
		{ "", "not a JWT: the input is empty" },
		{ " \n", "not a JWT: the input is empty" },
		{ "!!.e30.c2ln", "not a JWT: the header is not base64url" },
		{ ".e30.c2ln", "not a JWT: the header is not base64url" },
		/* "bm90anNvbg" is "notjson". */
		{ "e30.bm90anNvbg.c2ln", "not a JWT: the payload is not a JSON "
		                         "object" },
		/* "WzFd" is "[1]": JSON, but not an object. */
		{ "WzFd.e30.c2ln", "not a JWT: the header is not a JSON object" },
		{ "e30.e30.c2l=", "not a JWT: the signature is not base64url" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sac_diag d = { 0 };
		struct sac_jwt *jwt = NULL;

		assert_int_equal(sac_jwt_decode(cases[i].input, &jwt, &d),
		                 SAC_ETOKEN);
		assert_null(jwt);
		assert_string_equal(d.msg, cases[i].msg);
	}
}

static void
test_sac_inspect_rejects_malformed_fixtures(void **state)
{
	static const char *const files[] = { "two-parts.jwt", "four-parts.jwt",
		                             "bad-base64.jwt" };

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct sac_diag d = { 0 };
		struct sac_jwt *jwt = NULL;
		char *tok = fixture_token(files[i]);

		assert_int_equal(sac_jwt_decode(tok, &jwt, &d), SAC_ETOKEN);
		assert_non_null(strstr(d.msg, "not a JWT: "));
		free(tok);
	}
}

static void
test_sac_inspect_verifies_golden_tokens_against_a_jwks(void **state)
{
	static const struct {
		const char *file;
		enum sac_err want;
		const char *msg; /* substring of the diag, or NULL */
	} cases[] = {
		{ "rs256-good.jwt", SAC_OK, NULL },
		{ "es256-good.jwt", SAC_OK, NULL },
		{ "expired.jwt", SAC_OK, NULL }, /* signature only */
		{ "tampered-payload.jwt", SAC_ETOKEN, "does not verify (RS256)" },
		{ "truncated-sig.jwt", SAC_ETOKEN, "does not verify" },
		{ "other-key.jwt", SAC_ETOKEN, "does not verify" },
		{ "es256-der-sig.jwt", SAC_ETOKEN, "does not verify (ES256)" },
		{ "unknown-kid.jwt", SAC_ETOKEN, "no RSA key with kid" },
		{ "alg-none.jwt", SAC_ETOKEN, "unsupported alg \"none\"" },
		{ "hs256-pubkey.jwt", SAC_ETOKEN, "unsupported alg \"HS256\"" },
	};
	char *jwks = make_jwks(true, true);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sac_diag d = { 0 };
		struct sac_jwt *jwt = decode_fixture(cases[i].file);

		assert_int_equal(sac_jwt_verify_jwks(jwt, jwks, strlen(jwks),
		                                     &d),
		                 cases[i].want);
		if (cases[i].msg != NULL) {
			if (strstr(d.msg, cases[i].msg) == NULL) {
				fail_msg("%s: diag \"%s\" lacks \"%s\"",
				         cases[i].file, d.msg, cases[i].msg);
			}
		}
		sac_jwt_free(jwt);
	}
	free(jwks);
}

static void
test_sac_inspect_needs_a_key_of_the_right_type(void **state)
{
	struct sac_diag d = { 0 };
	struct sac_jwt *rs = decode_fixture("rs256-good.jwt");
	struct sac_jwt *es = decode_fixture("es256-good.jwt");
	char *only_ec = make_jwks(false, true);
	char *only_rsa = make_jwks(true, false);

	(void)state;
	assert_int_equal(sac_jwt_verify_jwks(rs, only_ec, strlen(only_ec), &d),
	                 SAC_ETOKEN);
	assert_non_null(strstr(d.msg, "no RSA key with kid"));
	assert_int_equal(sac_jwt_verify_jwks(es, only_rsa, strlen(only_rsa),
	                                     &d),
	                 SAC_ETOKEN);
	assert_non_null(strstr(d.msg, "no EC key with kid"));
	assert_int_equal(sac_jwt_verify_jwks(rs, only_rsa, strlen(only_rsa),
	                                     &d),
	                 SAC_OK);
	assert_int_equal(sac_jwt_verify_jwks(rs, "{\"nokeys\":1}", 12, &d),
	                 SAC_EINVAL);
	assert_int_equal(sac_jwt_verify_jwks(rs, "not json", 8, &d),
	                 SAC_EINVAL);
	free(only_ec);
	free(only_rsa);
	sac_jwt_free(rs);
	sac_jwt_free(es);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sac_inspect_decodes_a_bound_token),
		cmocka_unit_test(
			test_sac_inspect_formats_human_times_with_a_fake_clock),
		cmocka_unit_test(test_sac_inspect_flags_the_expired_fixture),
		cmocka_unit_test(
			test_sac_inspect_shows_warnafter_and_secret_binding),
		cmocka_unit_test(
			test_sac_inspect_rejects_non_jwts_with_a_clear_error),
		cmocka_unit_test(test_sac_inspect_rejects_malformed_fixtures),
		cmocka_unit_test(
			test_sac_inspect_verifies_golden_tokens_against_a_jwks),
		cmocka_unit_test(test_sac_inspect_needs_a_key_of_the_right_type),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("sac_inspect", tests, NULL, NULL);
}
