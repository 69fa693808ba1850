/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "auth/jose.h"
#include "auth/jwt.h"
#include "auth/jwt_int.h"
#include "auth/keys.h"
#include "th.h"

#define BOTH (MAPI_JWS_RS256 | MAPI_JWS_ES256)
/* The fake clock the golden tokens were made for (fixtures/tokens). */
#define GOLDEN_NOW INT64_C(1700001000)
#define KID_RSA    "PYBaKlXonGMvLDoLNzBsdterDNz9jAuyd1gyFTPMvTw"
#define KID_EC     "mh8qnhImFQuzQ8uK29vAeeZzO-hTgxliXOtXG5iikis"

static const struct mapi_jwt_policy policy_both = { .algs = BOTH };

/* ---- helpers ----------------------------------------------------------- */

static EVP_PKEY *
load_key(const char *rel, int public)
{
	char *path = th_fixture_path(rel);
	BIO *bio = BIO_new_file(path, "r");
	EVP_PKEY *key;

	assert_non_null(bio);
	key = public ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)
	             : PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (key == NULL) {
		fail_msg("cannot load key %s", path);
	}
	free(path);
	return key;
}

static char *
b64(const void *data, size_t n)
{
	char *s = mapi_b64url_encode_dup(data, n);

	assert_non_null(s);
	return s;
}

static char *
b64s(const char *s)
{
	return b64(s, strlen(s));
}

/* "<b64(hdr)>.<b64(payload)>.<sig_text>" */
static char *
make_token(const char *hdr, const char *payload, const char *sig_text)
{
	char *h = b64s(hdr);
	char *p = b64s(payload);
	size_t n = strlen(h) + strlen(p) + strlen(sig_text) + 3;
	char *t = malloc(n);

	assert_non_null(t);
	(void)snprintf(t, n, "%s.%s.%s", h, p, sig_text);
	free(h);
	free(p);
	return t;
}

/* Parses token, asserting the result, and returns the token (or NULL). */
static struct mapi_jwt *
parse_expect(const char *token, const struct mapi_jwt_policy *policy,
             enum mapi_jwt_reason want)
{
	struct mapi_jwt *jwt = (struct mapi_jwt *)(uintptr_t)0x1;
	enum mapi_jwt_reason reason = MAPI_JWT_REASON_COUNT_;
	enum mapi_err err;

	err = mapi_jwt_parse(token, strlen(token), policy, &jwt, &reason);
	if (reason != want) {
		fail_msg("parse: got %s, want %s", mapi_jwt_reason_name(reason),
		         mapi_jwt_reason_name(want));
	}
	if (want == MAPI_JWT_OK) {
		assert_int_equal(err, MAPI_OK);
		return jwt;
	}
	assert_int_equal(err, MAPI_EINVAL);
	/* Outputs are untouched on failure. */
	assert_ptr_equal(jwt, (struct mapi_jwt *)(uintptr_t)0x1);
	return NULL;
}

static enum mapi_jwt_reason
verify_reason(const struct mapi_jwt *jwt, EVP_PKEY *key)
{
	enum mapi_jwt_reason reason = MAPI_JWT_REASON_COUNT_;
	enum mapi_err err = mapi_jwt_verify(jwt, key, &reason);

	assert_int_equal(err, reason == MAPI_JWT_OK ? MAPI_OK : MAPI_EINVAL);
	assert_int_equal(ERR_peek_error(), 0); /* queue left empty */
	return reason;
}

/* Parses (policy both) and verifies token with key; returns the reason. */
static enum mapi_jwt_reason
parse_verify(const char *token, EVP_PKEY *key)
{
	struct mapi_jwt *jwt = parse_expect(token, &policy_both, MAPI_JWT_OK);
	enum mapi_jwt_reason r = verify_reason(jwt, key);

	mapi_jwt_free(jwt);
	return r;
}

/* A bound-token claim set, built deliberately out of order. */
static cJSON *
k8s_claims(void)
{
	cJSON *c = cJSON_CreateObject();
	cJSON *k = cJSON_CreateObject();
	cJSON *sa = cJSON_CreateObject();
	cJSON *pod = cJSON_CreateObject();
	cJSON *node = cJSON_CreateObject();
	const char *aud[] = { "https://kubernetes.default.svc.cluster.local" };

	assert_non_null(c);
	cJSON_AddStringToObject(c, "sub",
	                        "system:serviceaccount:default:default");
	cJSON_AddNumberToObject(c, "nbf", 1717671355);
	cJSON_AddStringToObject(sa, "uid",
	                        "e6a8680e-0000-4000-8000-000000000003");
	cJSON_AddStringToObject(sa, "name", "default");
	cJSON_AddNumberToObject(k, "warnafter", 1717674962);
	cJSON_AddItemToObject(k, "serviceaccount", sa);
	cJSON_AddStringToObject(pod, "uid",
	                        "0d8b260e-0000-4000-8000-000000000002");
	cJSON_AddStringToObject(pod, "name", "shell");
	cJSON_AddItemToObject(k, "pod", pod);
	cJSON_AddStringToObject(node, "uid",
	                        "517eb86e-0000-4000-8000-000000000001");
	cJSON_AddStringToObject(node, "name", "contour-worker");
	cJSON_AddItemToObject(k, "node", node);
	cJSON_AddStringToObject(k, "namespace", "default");
	cJSON_AddItemToObject(c, "kubernetes.io", k);
	cJSON_AddStringToObject(c, "jti",
	                        "e51f1fbc-4733-4b85-a59f-ba80c0523874");
	cJSON_AddStringToObject(c, "iss",
	                        "https://kubernetes.default.svc.cluster.local");
	cJSON_AddNumberToObject(c, "iat", 1717671355);
	cJSON_AddNumberToObject(c, "exp", 1749207355);
	cJSON_AddItemToObject(c, "aud", cJSON_CreateStringArray(aud, 1));
	return c;
}

static const char k8s_claims_json[] =
	"{\"aud\":[\"https://kubernetes.default.svc.cluster.local\"],"
	"\"exp\":1749207355,\"iat\":1717671355,"
	"\"iss\":\"https://kubernetes.default.svc.cluster.local\","
	"\"jti\":\"e51f1fbc-4733-4b85-a59f-ba80c0523874\","
	"\"kubernetes.io\":{\"namespace\":\"default\","
	"\"node\":{\"name\":\"contour-worker\","
	"\"uid\":\"517eb86e-0000-4000-8000-000000000001\"},"
	"\"pod\":{\"name\":\"shell\","
	"\"uid\":\"0d8b260e-0000-4000-8000-000000000002\"},"
	"\"serviceaccount\":{\"name\":\"default\","
	"\"uid\":\"e6a8680e-0000-4000-8000-000000000003\"},"
	"\"warnafter\":1717674962},"
	"\"nbf\":1717671355,\"sub\":\"system:serviceaccount:default:default\"}";

/* Signs k8s_claims() with our signer. */
static char *
sign_k8s(enum mapi_jws_alg alg, EVP_PKEY *key, const char *kid)
{
	cJSON *claims = k8s_claims();
	char *token = NULL;

	assert_int_equal(mapi_jwt_sign(alg, key, kid, claims, &token), MAPI_OK);
	assert_int_equal(ERR_peek_error(), 0);
	cJSON_Delete(claims);
	return token;
}

/* Decodes the signature part of token. */
static uint8_t *
sig_of(const char *token, size_t *len)
{
	const char *dot = strrchr(token, '.');
	uint8_t *sig = NULL;

	assert_non_null(dot);
	assert_int_equal(
		mapi_b64url_decode(dot + 1, strlen(dot + 1), &sig, len),
		MAPI_OK);
	return sig;
}

/* token with its signature part replaced by b64(sig[0..n)). */
static char *
with_sig(const char *token, const uint8_t *sig, size_t n)
{
	size_t prefix = (size_t)(strrchr(token, '.') - token) + 1;
	char *s = b64(sig, n);
	char *t = malloc(prefix + strlen(s) + 1);

	assert_non_null(t);
	memcpy(t, token, prefix);
	strcpy(t + prefix, s);
	free(s);
	return t;
}

/* token with the first `from` in its decoded payload replaced by `to`
 * (same length), header and signature kept. */
static char *
edit_payload(const char *token, const char *from, const char *to)
{
	const char *d1 = strchr(token, '.');
	const char *d2 = strrchr(token, '.');
	uint8_t *pl = NULL;
	size_t n = 0;
	char *hit;
	char *enc;
	char *t;

	assert_int_equal(strlen(from), strlen(to));
	assert_int_equal(
		mapi_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &pl, &n),
		MAPI_OK);
	hit = strstr((char *)pl, from);
	assert_non_null(hit);
	memcpy(hit, to, strlen(to));
	enc = b64(pl, n);
	t = malloc(strlen(token) + strlen(enc) + 1);
	assert_non_null(t);
	memcpy(t, token, (size_t)(d1 - token) + 1);
	(void)sprintf(t + (d1 - token) + 1, "%s%s", enc, d2);
	free(enc);
	free(pl);
	return t;
}

/* ---- rejection table --------------------------------------------------- */

#define HDR_RS "{\"alg\":\"RS256\",\"kid\":\"k\"}"
#define PL     "{\"sub\":\"x\"}"
#define SIG    "c2lnbmF0dXJl" /* "signature" */

static const struct reject_case {
	const char *name;
	const char *raw;     /* a literal token, or NULL to build one: */
	const char *hdr;     /*   header JSON */
	const char *payload; /*   payload JSON */
	const char *sig;     /*   signature part text */
	enum mapi_jwt_reason want;
} reject_cases[] = {
	{ "alg none", NULL, "{\"alg\":\"none\"}", PL, "", MAPI_JWT_ALG_NONE },
	{ "alg none signed", NULL, "{\"alg\":\"none\"}", PL, SIG,
	  MAPI_JWT_ALG_NONE },
	{ "alg None", NULL, "{\"alg\":\"None\"}", PL, "", MAPI_JWT_ALG_NONE },
	{ "alg NONE", NULL, "{\"alg\":\"NONE\"}", PL, SIG, MAPI_JWT_ALG_NONE },
	{ "alg HS256", NULL, "{\"alg\":\"HS256\"}", PL, SIG, MAPI_JWT_BAD_ALG },
	{ "alg HS384", NULL, "{\"alg\":\"HS384\"}", PL, SIG, MAPI_JWT_BAD_ALG },
	{ "alg HS512", NULL, "{\"alg\":\"HS512\"}", PL, SIG, MAPI_JWT_BAD_ALG },
	{ "alg RS512", NULL, "{\"alg\":\"RS512\"}", PL, SIG, MAPI_JWT_BAD_ALG },
	{ "alg PS256", NULL, "{\"alg\":\"PS256\"}", PL, SIG, MAPI_JWT_BAD_ALG },
	{ "alg ES384", NULL, "{\"alg\":\"ES384\"}", PL, SIG, MAPI_JWT_BAD_ALG },
	{ "alg rs256", NULL, "{\"alg\":\"rs256\"}", PL, SIG, MAPI_JWT_BAD_ALG },
	{ "alg empty", NULL, "{\"alg\":\"\"}", PL, SIG, MAPI_JWT_BAD_ALG },
	{ "crit", NULL, "{\"alg\":\"RS256\",\"crit\":[\"exp\"],\"exp\":1}", PL,
	  SIG, MAPI_JWT_UNKNOWN_CRIT },
	{ "crit empty", NULL, "{\"alg\":\"RS256\",\"crit\":[]}", PL, SIG,
	  MAPI_JWT_UNKNOWN_CRIT },
	{ "crit b64", NULL,
	  "{\"alg\":\"ES256\",\"b64\":false,\"crit\":[\"b64\"]}", PL, SIG,
	  MAPI_JWT_UNKNOWN_CRIT },
	{ "no alg", NULL, "{\"kid\":\"k\"}", PL, SIG, MAPI_JWT_BAD_HEADER },
	{ "alg number", NULL, "{\"alg\":256}", PL, SIG, MAPI_JWT_BAD_HEADER },
	{ "alg null", NULL, "{\"alg\":null}", PL, SIG, MAPI_JWT_BAD_HEADER },
	{ "kid number", NULL, "{\"alg\":\"RS256\",\"kid\":1}", PL, SIG,
	  MAPI_JWT_BAD_HEADER },
	{ "dup alg", NULL, "{\"alg\":\"RS256\",\"alg\":\"none\"}", PL, SIG,
	  MAPI_JWT_BAD_HEADER },
	{ "dup escaped", NULL, "{\"alg\":\"RS256\",\"\\u0061lg\":\"RS256\"}",
	  PL, SIG, MAPI_JWT_BAD_HEADER },
	{ "header array", NULL, "[{\"alg\":\"RS256\"}]", PL, SIG,
	  MAPI_JWT_BAD_HEADER },
	{ "header string", NULL, "\"RS256\"", PL, SIG, MAPI_JWT_BAD_HEADER },
	{ "header not json", NULL, "alg=RS256", PL, SIG, MAPI_JWT_BAD_HEADER },
	{ "header trailing", NULL, HDR_RS "x", PL, SIG, MAPI_JWT_BAD_HEADER },
	{ "header two objects", NULL, HDR_RS "{}", PL, SIG,
	  MAPI_JWT_BAD_HEADER },
	{ "header BOM", NULL, "\xef\xbb\xbf" HDR_RS, PL, SIG,
	  MAPI_JWT_BAD_HEADER },
	{ "header control byte", NULL, "{\x01\"alg\":\"RS256\"}", PL, SIG,
	  MAPI_JWT_BAD_HEADER },
	{ "header truncated", NULL, "{\"alg\":\"RS256\"", PL, SIG,
	  MAPI_JWT_BAD_HEADER },
	{ "payload dup", NULL, HDR_RS, "{\"sub\":\"a\",\"sub\":\"b\"}", SIG,
	  MAPI_JWT_BAD_PAYLOAD },
	{ "payload nested dup", NULL, HDR_RS,
	  "{\"kubernetes.io\":{\"pod\":{\"uid\":\"1\",\"uid\":\"2\"}}}", SIG,
	  MAPI_JWT_BAD_PAYLOAD },
	{ "payload dup in array", NULL, HDR_RS, "{\"a\":[{\"b\":1,\"b\":1}]}",
	  SIG, MAPI_JWT_BAD_PAYLOAD },
	{ "payload array", NULL, HDR_RS, "[]", SIG, MAPI_JWT_BAD_PAYLOAD },
	{ "payload null", NULL, HDR_RS, "null", SIG, MAPI_JWT_BAD_PAYLOAD },
	{ "payload number", NULL, HDR_RS, "1", SIG, MAPI_JWT_BAD_PAYLOAD },
	{ "payload trailing", NULL, HDR_RS, PL ",", SIG, MAPI_JWT_BAD_PAYLOAD },
	{ "payload NUL", NULL, HDR_RS, "{}\x01", SIG, MAPI_JWT_BAD_PAYLOAD },
	{ "empty signature", NULL, HDR_RS, PL, "", MAPI_JWT_MALFORMED },
	{ "sig padded", NULL, HDR_RS, PL,
	  "c2lnbmF0dXJlcw==", MAPI_JWT_BAD_BASE64 },
	{ "sig plus", NULL, HDR_RS, PL, "c2ln+mF0", MAPI_JWT_BAD_BASE64 },
	{ "sig slash", NULL, HDR_RS, PL, "c2ln/mF0", MAPI_JWT_BAD_BASE64 },
	{ "sig space", NULL, HDR_RS, PL, "c2ln bmF0", MAPI_JWT_BAD_BASE64 },
	{ "sig newline", NULL, HDR_RS, PL, SIG "\n", MAPI_JWT_BAD_BASE64 },
	{ "sig 4k+1", NULL, HDR_RS, PL, "c2lnb", MAPI_JWT_BAD_BASE64 },
	{ "sig non-canonical", NULL, HDR_RS, PL, "c2lnbmF0dXJlcx",
	  MAPI_JWT_BAD_BASE64 },
	/* Literal tokens. eyJhbGciOiJSUzI1NiJ9 = {"alg":"RS256"}, e30 = {} */
	{ "header padded", "eyJhbGciOiJSUzI1NiJ9=.e30." SIG, NULL, NULL, NULL,
	  MAPI_JWT_BAD_BASE64 },
	{ "header std base64", "eyJhbGciOiJSUzI1NiJ9+.e30." SIG, NULL, NULL,
	  NULL, MAPI_JWT_BAD_BASE64 },
	{ "payload padded", "eyJhbGciOiJSUzI1NiJ9.e30=." SIG, NULL, NULL, NULL,
	  MAPI_JWT_BAD_BASE64 },
	{ "payload space", "eyJhbGciOiJSUzI1NiJ9.e3 0." SIG, NULL, NULL, NULL,
	  MAPI_JWT_BAD_BASE64 },
	{ "two parts", "eyJhbGciOiJSUzI1NiJ9.e30", NULL, NULL, NULL,
	  MAPI_JWT_MALFORMED },
	{ "four parts", "eyJhbGciOiJSUzI1NiJ9.e30." SIG "." SIG, NULL, NULL,
	  NULL, MAPI_JWT_MALFORMED },
	{ "five parts (JWE)", "eyJhbGciOiJSUzI1NiJ9.e30.a.b.c", NULL, NULL,
	  NULL, MAPI_JWT_MALFORMED },
	{ "one part", "eyJhbGciOiJSUzI1NiJ9", NULL, NULL, NULL,
	  MAPI_JWT_MALFORMED },
	{ "empty", "", NULL, NULL, NULL, MAPI_JWT_MALFORMED },
	{ "dots only", "..", NULL, NULL, NULL, MAPI_JWT_MALFORMED },
	{ "empty header", ".e30." SIG, NULL, NULL, NULL, MAPI_JWT_MALFORMED },
	{ "empty payload", "eyJhbGciOiJSUzI1NiJ9.." SIG, NULL, NULL, NULL,
	  MAPI_JWT_MALFORMED },
	{ "JSON serialization", "{\"payload\":\"e30\",\"signatures\":[]}", NULL,
	  NULL, NULL, MAPI_JWT_MALFORMED },
	{ "JSON with dots", "{\"a\":\"x.y.z\"}", NULL, NULL, NULL,
	  MAPI_JWT_MALFORMED },
};

static void
test_jwt_rejects_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(reject_cases) / sizeof(reject_cases[0]); i++) {
		const struct reject_case *c = &reject_cases[i];
		char *token = c->raw != NULL
		                      ? strdup(c->raw)
		                      : make_token(c->hdr, c->payload, c->sig);
		struct mapi_jwt *jwt = NULL;
		enum mapi_jwt_reason reason = MAPI_JWT_REASON_COUNT_;
		enum mapi_err err;

		assert_non_null(token);
		err = mapi_jwt_parse(token, strlen(token), &policy_both, &jwt,
		                     &reason);
		if (err != MAPI_EINVAL || reason != c->want) {
			fail_msg("case \"%s\": got %s/%s, want %s", c->name,
			         mapi_err_name(err),
			         mapi_jwt_reason_name(reason),
			         mapi_jwt_reason_name(c->want));
		}
		assert_null(jwt);
		free(token);
	}
}

/* The classic key-confusion token: HS256 keyed with the RSA public PEM. */
static void
test_jwt_rejects_hs256_keyed_with_public_pem(void **state)
{
	char *path = th_fixture_path("keys/rsa-2048.pub.pem");
	size_t pem_len = 0;
	char *pem = th_read_file(path, &pem_len);
	char *h = b64s("{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
	char *p = b64s(k8s_claims_json);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	char input[2048];
	char *token;
	char *s;
	struct mapi_jwt_policy everything = { .algs = ~0U };

	(void)state;
	(void)snprintf(input, sizeof(input), "%s.%s", h, p);
	assert_non_null(HMAC(EVP_sha256(), pem, (int)pem_len,
	                     (const unsigned char *)input, strlen(input), mac,
	                     &mac_len));
	assert_int_equal(mac_len, 32);
	s = b64(mac, mac_len);
	token = make_token("{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	                   k8s_claims_json, s);
	(void)parse_expect(token, &policy_both, MAPI_JWT_BAD_ALG);
	/* Even a policy with every bit set never admits HMAC. */
	(void)parse_expect(token, &everything, MAPI_JWT_BAD_ALG);
	free(token);
	free(s);
	free(h);
	free(p);
	free(pem);
	free(path);
}

/* An alg that exists but is not in the policy is BAD_ALG. */
static void
test_jwt_rejects_alg_outside_policy(void **state)
{
	EVP_PKEY *ec = load_key("keys/ec-p256.pkcs8.pem", 0);
	EVP_PKEY *rsa = load_key("keys/rsa-2048.pkcs8.pem", 0);
	char *es = sign_k8s(MAPI_JWS_ES256, ec, "k");
	char *rs = sign_k8s(MAPI_JWS_RS256, rsa, "k");
	const struct mapi_jwt_policy only_rs = { .algs = MAPI_JWS_RS256 };
	const struct mapi_jwt_policy only_es = { .algs = MAPI_JWS_ES256 };
	const struct mapi_jwt_policy none = { .algs = 0 };

	(void)state;
	(void)parse_expect(es, &only_rs, MAPI_JWT_BAD_ALG);
	(void)parse_expect(rs, &only_es, MAPI_JWT_BAD_ALG);
	(void)parse_expect(rs, &none, MAPI_JWT_BAD_ALG);
	mapi_jwt_free(parse_expect(rs, &only_rs, MAPI_JWT_OK));
	mapi_jwt_free(parse_expect(es, &only_es, MAPI_JWT_OK));
	free(es);
	free(rs);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
}

static void
test_jwt_rejects_oversized(void **state)
{
	EVP_PKEY *rsa = load_key("keys/rsa-2048.pkcs8.pem", 0);
	cJSON *claims = cJSON_CreateObject();
	char *big = malloc(20000);
	char *token = NULL;
	struct mapi_jwt *jwt = NULL;
	enum mapi_jwt_reason reason = MAPI_JWT_OK;
	const struct mapi_jwt_policy small = { .algs = BOTH, .max_len = 100 };
	const struct mapi_jwt_policy large = { .algs = BOTH, .max_len = 40000 };
	size_t len;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', 19999);
	big[19999] = '\0';
	/* A payload that makes the token just over 16 KiB. */
	big[12300] = '\0';
	cJSON_AddStringToObject(claims, "pad", big);
	assert_int_equal(
		mapi_jwt_sign(MAPI_JWS_RS256, rsa, NULL, claims, &token),
		MAPI_OK);
	len = strlen(token);
	assert_true(len > 16384);
	assert_int_equal(
		mapi_jwt_parse(token, len, &policy_both, &jwt, &reason),
		MAPI_EINVAL);
	assert_int_equal(reason, MAPI_JWT_TOO_LARGE);
	/* Exactly at the limit is allowed: the same bytes under a larger one.
	 */
	mapi_jwt_free(parse_expect(token, &large, MAPI_JWT_OK));
	assert_int_equal(
		mapi_jwt_parse(token, 16384, &policy_both, &jwt, &reason),
		MAPI_EINVAL);
	assert_int_not_equal(reason, MAPI_JWT_TOO_LARGE); /* cut, not big */
	/* Garbage is refused for size before anything is looked at. */
	memset(big, '.', 19999);
	assert_int_equal(
		mapi_jwt_parse(big, 16385, &policy_both, &jwt, &reason),
		MAPI_EINVAL);
	assert_int_equal(reason, MAPI_JWT_TOO_LARGE);
	/* A custom max_len. */
	(void)parse_expect(token, &small, MAPI_JWT_TOO_LARGE);
	assert_null(jwt);
	free(token);
	free(big);
	cJSON_Delete(claims);
	EVP_PKEY_free(rsa);
}

static void
test_jwt_parse_bad_arguments(void **state)
{
	struct mapi_jwt *jwt = NULL;
	enum mapi_jwt_reason reason = MAPI_JWT_REASON_COUNT_;

	(void)state;
	assert_int_equal(mapi_jwt_parse(NULL, 0, &policy_both, &jwt, &reason),
	                 MAPI_EINVAL);
	assert_int_equal(mapi_jwt_parse("a.b.c", 5, NULL, &jwt, &reason),
	                 MAPI_EINVAL);
	assert_int_equal(reason, MAPI_JWT_REASON_COUNT_);
	assert_null(jwt);
	/* NULL-safe free and getters. */
	mapi_jwt_free(NULL);
	assert_null(mapi_jwt_kid(NULL));
	assert_null(mapi_jwt_claims(NULL));
	assert_null(mapi_jwt_header(NULL));
	assert_int_equal(mapi_jwt_alg(NULL), MAPI_JWS_NONE);
}

static void
test_jwt_reason_names(void **state)
{
	int i;
	int j;

	(void)state;
	for (i = 0; i < MAPI_JWT_REASON_COUNT_; i++) {
		const char *a = mapi_jwt_reason_name((enum mapi_jwt_reason)i);

		assert_non_null(a);
		assert_true(strncmp(a, "MAPI_JWT_", 9) == 0);
		assert_string_not_equal(a, "MAPI_JWT_UNKNOWN_REASON");
		for (j = 0; j < i; j++) {
			assert_string_not_equal(
				a,
				mapi_jwt_reason_name((enum mapi_jwt_reason)j));
		}
	}
	assert_string_equal(mapi_jwt_reason_name(MAPI_JWT_EXPIRED),
	                    "MAPI_JWT_EXPIRED");
	assert_string_equal(mapi_jwt_reason_name(MAPI_JWT_REASON_COUNT_),
	                    "MAPI_JWT_UNKNOWN_REASON");
}

/* ---- sign / verify ----------------------------------------------------- */

static void
round_trip(enum mapi_jws_alg alg, const char *priv_rel, const char *pub_rel,
           const char *kid, const char *want_header, size_t want_sig_len)
{
	EVP_PKEY *priv = load_key(priv_rel, 0);
	EVP_PKEY *pub = load_key(pub_rel, 1);
	char *token = sign_k8s(alg, priv, kid);
	struct mapi_jwt *jwt = parse_expect(token, &policy_both, MAPI_JWT_OK);
	cJSON *want = k8s_claims();
	char *hdr = NULL;
	char *pl = NULL;
	size_t sig_len = 0;
	uint8_t *sig = sig_of(token, &sig_len);
	const char *dot = strchr(token, '.');
	char *h = b64s(want_header);
	char *p = b64s(k8s_claims_json);

	assert_int_equal(mapi_jwt_alg(jwt), alg);
	if (kid == NULL) {
		assert_null(mapi_jwt_kid(jwt));
	} else {
		assert_string_equal(mapi_jwt_kid(jwt), kid);
	}
	assert_true(cJSON_Compare(mapi_jwt_claims(jwt), want, 1));
	/* Byte layout: header exactly as Kubernetes writes it; payload sorted.
	 */
	assert_int_equal(mapi_jwt_serialize_claims(mapi_jwt_header(jwt), &hdr),
	                 MAPI_OK);
	assert_string_equal(hdr, want_header);
	assert_int_equal((size_t)(dot - token), strlen(h));
	assert_memory_equal(token, h, strlen(h));
	assert_memory_equal(dot + 1, p, strlen(p));
	assert_int_equal(dot[1 + strlen(p)], '.');
	assert_int_equal(sig_len, want_sig_len);
	assert_int_equal(verify_reason(jwt, pub), MAPI_JWT_OK);
	assert_int_equal(verify_reason(jwt, priv), MAPI_JWT_OK);
	free(h);
	free(p);
	free(sig);
	free(pl);
	free(hdr);
	cJSON_Delete(want);
	mapi_jwt_free(jwt);
	free(token);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(priv);
}

static void
test_jwt_rs256_round_trip(void **state)
{
	(void)state;
	round_trip(MAPI_JWS_RS256, "keys/rsa-2048.pkcs8.pem",
	           "keys/rsa-2048.pub.pem", KID_RSA,
	           "{\"alg\":\"RS256\",\"kid\":\"" KID_RSA "\"}", 256);
	round_trip(MAPI_JWS_RS256, "keys/rsa-2048.pkcs1.pem",
	           "keys/rsa-2048.pub.pem", NULL, "{\"alg\":\"RS256\"}", 256);
}

static void
test_jwt_es256_round_trip(void **state)
{
	(void)state;
	round_trip(MAPI_JWS_ES256, "keys/ec-p256.sec1.pem",
	           "keys/ec-p256.pub.pem", KID_EC,
	           "{\"alg\":\"ES256\",\"kid\":\"" KID_EC "\"}", 64);
	round_trip(MAPI_JWS_ES256, "keys/ec-p256.pkcs8.pem",
	           "keys/ec-p256.pub.pem", NULL, "{\"alg\":\"ES256\"}", 64);
}

/* RS256 is deterministic: the same claims give the same token. */
static void
test_jwt_rs256_sign_is_deterministic(void **state)
{
	EVP_PKEY *rsa = load_key("keys/rsa-2048.pkcs8.pem", 0);
	char *a = sign_k8s(MAPI_JWS_RS256, rsa, KID_RSA);
	char *b = sign_k8s(MAPI_JWS_RS256, rsa, KID_RSA);

	(void)state;
	assert_string_equal(a, b);
	free(a);
	free(b);
	EVP_PKEY_free(rsa);
}

static void
test_jwt_wrong_key_is_bad_signature(void **state)
{
	EVP_PKEY *rsa = load_key("keys/rsa-2048.pkcs8.pem", 0);
	EVP_PKEY *rsa_b = load_key("keys/rsa-2048-b.pub.pem", 1);
	EVP_PKEY *ec = load_key("keys/ec-p256.pkcs8.pem", 0);
	EVP_PKEY *ec_other = EVP_EC_gen("P-256");
	char *rs = sign_k8s(MAPI_JWS_RS256, rsa, KID_RSA);
	char *es = sign_k8s(MAPI_JWS_ES256, ec, KID_EC);

	(void)state;
	assert_non_null(ec_other);
	assert_int_equal(parse_verify(rs, rsa_b), MAPI_JWT_BAD_SIGNATURE);
	assert_int_equal(parse_verify(es, ec_other), MAPI_JWT_BAD_SIGNATURE);
	free(rs);
	free(es);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(rsa_b);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec_other);
}

static void
test_jwt_key_type_mismatch(void **state)
{
	EVP_PKEY *rsa = load_key("keys/rsa-2048.pkcs8.pem", 0);
	EVP_PKEY *rsa_pub = load_key("keys/rsa-2048.pub.pem", 1);
	EVP_PKEY *ec = load_key("keys/ec-p256.pkcs8.pem", 0);
	EVP_PKEY *ec_pub = load_key("keys/ec-p256.pub.pem", 1);
	EVP_PKEY *p384 = EVP_EC_gen("P-384");
	char *rs = sign_k8s(MAPI_JWS_RS256, rsa, KID_RSA);
	char *es = sign_k8s(MAPI_JWS_ES256, ec, KID_EC);
	cJSON *claims = k8s_claims();
	char *out = (char *)"untouched";

	(void)state;
	assert_non_null(p384);
	assert_int_equal(parse_verify(es, rsa_pub), MAPI_JWT_KEY_MISMATCH);
	assert_int_equal(parse_verify(rs, ec_pub), MAPI_JWT_KEY_MISMATCH);
	assert_int_equal(parse_verify(es, p384), MAPI_JWT_KEY_MISMATCH);
	/* The signer refuses a key that does not fit and writes nothing. */
	assert_int_equal(mapi_jwt_sign(MAPI_JWS_ES256, rsa, NULL, claims, &out),
	                 MAPI_EINVAL);
	assert_int_equal(mapi_jwt_sign(MAPI_JWS_RS256, ec, NULL, claims, &out),
	                 MAPI_EINVAL);
	assert_int_equal(
		mapi_jwt_sign(MAPI_JWS_ES256, p384, NULL, claims, &out),
		MAPI_EINVAL);
	assert_int_equal(mapi_jwt_sign(MAPI_JWS_NONE, rsa, NULL, claims, &out),
	                 MAPI_EINVAL);
	assert_string_equal(out, "untouched");
	assert_int_equal(ERR_peek_error(), 0);
	cJSON_Delete(claims);
	free(rs);
	free(es);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(rsa_pub);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec_pub);
	EVP_PKEY_free(p384);
}

/* Payload or header changed after signing. */
static void
test_jwt_tampered_is_bad_signature(void **state)
{
	EVP_PKEY *rsa = load_key("keys/rsa-2048.pkcs8.pem", 0);
	char *token = sign_k8s(MAPI_JWS_RS256, rsa, KID_RSA);
	const char *sig = strrchr(token, '.') + 1;
	char *bad_pl =
		make_token("{\"alg\":\"RS256\",\"kid\":\"" KID_RSA "\"}",
	                   "{\"sub\":\"system:serviceaccount:kube-system:"
	                   "admin\"}",
	                   sig);
	char *bad_hdr = make_token("{\"alg\":\"RS256\",\"kid\":\"other\"}",
	                           k8s_claims_json, sig);
	char *flipped = edit_payload(token, "\"shell\"", "\"shelm\"");

	(void)state;
	assert_int_equal(parse_verify(token, rsa), MAPI_JWT_OK);
	assert_int_equal(parse_verify(bad_pl, rsa), MAPI_JWT_BAD_SIGNATURE);
	assert_int_equal(parse_verify(bad_hdr, rsa), MAPI_JWT_BAD_SIGNATURE);
	/* One payload byte changed. */
	assert_int_equal(parse_verify(flipped, rsa), MAPI_JWT_BAD_SIGNATURE);
	free(flipped);
	free(bad_pl);
	free(bad_hdr);
	free(token);
	EVP_PKEY_free(rsa);
}

/* Encodes raw R‖S as DER by hand (independent of OpenSSL and jwt.c). */
static size_t
der_int(const uint8_t *v, uint8_t *out)
{
	size_t i = 0;
	size_t n = 0;

	while (i < 31 && v[i] == 0) {
		i++;
	}
	out[n++] = 0x02;
	out[n++] = (uint8_t)(32 - i + ((v[i] & 0x80) ? 1 : 0));
	if (v[i] & 0x80) {
		out[n++] = 0;
	}
	memcpy(out + n, v + i, 32 - i);
	return n + 32 - i;
}

static size_t
raw_to_der_by_hand(const uint8_t *raw, uint8_t *der)
{
	uint8_t body[80];
	size_t n = der_int(raw, body);

	n += der_int(raw + 32, body + n);
	der[0] = 0x30;
	der[1] = (uint8_t)n;
	memcpy(der + 2, body, n);
	return n + 2;
}

static void
test_jwt_signature_length_rules(void **state)
{
	EVP_PKEY *rsa = load_key("keys/rsa-2048.pkcs8.pem", 0);
	EVP_PKEY *ec = load_key("keys/ec-p256.pkcs8.pem", 0);
	char *rs = sign_k8s(MAPI_JWS_RS256, rsa, KID_RSA);
	char *es = sign_k8s(MAPI_JWS_ES256, ec, KID_EC);
	size_t rs_len = 0;
	size_t es_len = 0;
	uint8_t *rs_sig = sig_of(rs, &rs_len);
	uint8_t *es_sig = sig_of(es, &es_len);
	uint8_t buf[300];
	uint8_t der[80];
	uint8_t *lib_der = NULL;
	size_t lib_der_len = 0;
	uint8_t back[64];
	size_t der_len;
	char *t;

	(void)state;
	assert_int_equal(rs_len, 256);
	assert_int_equal(es_len, 64);
	/* RS256: truncated, over-long (a leading zero byte: same integer),
	 * one bit flipped. */
	t = with_sig(rs, rs_sig, 255);
	assert_int_equal(parse_verify(t, rsa), MAPI_JWT_BAD_SIGNATURE);
	free(t);
	buf[0] = 0;
	memcpy(buf + 1, rs_sig, 256);
	t = with_sig(rs, buf, 257);
	assert_int_equal(parse_verify(t, rsa), MAPI_JWT_BAD_SIGNATURE);
	free(t);
	memcpy(buf, rs_sig, 256);
	buf[100] ^= 0x01;
	t = with_sig(rs, buf, 256);
	assert_int_equal(parse_verify(t, rsa), MAPI_JWT_BAD_SIGNATURE);
	free(t);
	/* ES256: 63 and 65 bytes, a flipped bit, and DER instead of R‖S. */
	t = with_sig(es, es_sig, 63);
	assert_int_equal(parse_verify(t, ec), MAPI_JWT_BAD_SIGNATURE);
	free(t);
	memcpy(buf, es_sig, 64);
	buf[64] = 0;
	t = with_sig(es, buf, 65);
	assert_int_equal(parse_verify(t, ec), MAPI_JWT_BAD_SIGNATURE);
	free(t);
	buf[10] ^= 0x80;
	t = with_sig(es, buf, 64);
	assert_int_equal(parse_verify(t, ec), MAPI_JWT_BAD_SIGNATURE);
	free(t);
	der_len = raw_to_der_by_hand(es_sig, der);
	t = with_sig(es, der, der_len);
	assert_int_equal(parse_verify(t, ec), MAPI_JWT_BAD_SIGNATURE);
	free(t);
	/* Our converters agree with the hand-made DER, both ways. */
	assert_int_equal(
		mapi_jwt_es256_raw_to_der(es_sig, &lib_der, &lib_der_len),
		MAPI_OK);
	assert_int_equal(lib_der_len, der_len);
	assert_memory_equal(lib_der, der, der_len);
	assert_int_equal(mapi_jwt_es256_der_to_raw(der, der_len, back),
	                 MAPI_OK);
	assert_memory_equal(back, es_sig, 64);
	/* Trailing bytes after the DER value are refused. */
	der[der_len] = 0;
	assert_int_equal(mapi_jwt_es256_der_to_raw(der, der_len + 1, back),
	                 MAPI_EINVAL);
	OPENSSL_free(lib_der);
	free(rs_sig);
	free(es_sig);
	free(rs);
	free(es);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
}

/* Short R and S (leading zero bytes) survive raw ⇄ DER: left-padding. */
static void
test_jwt_es256_left_pads_short_values(void **state)
{
	uint8_t raw[64];
	uint8_t hand[80];
	uint8_t back[64];
	uint8_t *der = NULL;
	size_t der_len = 0;
	size_t hand_len;

	(void)state;
	memset(raw, 0, sizeof(raw));
	raw[31] = 0x05;     /* r = 5 */
	raw[32 + 2] = 0x80; /* s has two leading zero bytes, top bit set */
	raw[63] = 0x01;
	hand_len = raw_to_der_by_hand(raw, hand);
	assert_int_equal(mapi_jwt_es256_raw_to_der(raw, &der, &der_len),
	                 MAPI_OK);
	assert_int_equal(der_len, hand_len);
	assert_memory_equal(der, hand, hand_len);
	assert_int_equal(mapi_jwt_es256_der_to_raw(der, der_len, back),
	                 MAPI_OK);
	assert_memory_equal(back, raw, 64);
	OPENSSL_free(der);
}

/* ---- RFC 7515 Appendix A.2 and A.3 ------------------------------------- */

static const char a2_token[] =
	"eyJhbGciOiJSUzI1NiJ9"
	".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlL"
        "m"
	"NvbS9pc19yb290Ijp0cnVlfQ"
	".cC4hiUPoj9Eetdgtv3hF80EGrhuB__"
        "dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4"
	"Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--"
        "f_n"
	"ZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_"
        "eSN9383LcOLn6_"
	"dO--xi12jzDwusC-"
        "eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np"
	"6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

static const char a2_n[] =
	"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-"
        "4qP"
	"CJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_"
        "YpRPEwOWvG6b32690r2jZ47s"
	"oMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-"
        "UTo7WTBEMa2"
	"R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-"
        "DWNmoud"
	"F8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
static const char a2_e[] = "AQAB";
static const char a2_d[] =
	"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_"
        "GQ5sLKMgv"
	"fTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-"
        "GjBVaYLU6f"
	"3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_"
        "0ZHHzQl"
	"BjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_"
        "jTj3ccPDVZFD9pIuh"
	"LhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ";

static const char a3_token[] = "eyJhbGciOiJFUzI1NiJ9"
			       ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQ"
                               "ogImh0dHA6Ly9leGFtcGxlLm"
			       "NvbS9pc19yb290Ijp0cnVlfQ"
			       ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-"
                               "F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfK"
			       "TUJqPP3-Kg6NU1Q";
static const char a3_x[] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
static const char a3_y[] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
static const char a3_d[] = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";

static BIGNUM *
bn_b64(const char *s)
{
	uint8_t *raw = NULL;
	size_t n = 0;
	BIGNUM *bn;

	assert_int_equal(mapi_b64url_decode(s, strlen(s), &raw, &n), MAPI_OK);
	bn = BN_bin2bn(raw, (int)n, NULL);
	assert_non_null(bn);
	free(raw);
	return bn;
}

static EVP_PKEY *
pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld, int selection)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *key = NULL;

	assert_non_null(params);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &key, selection, params), 1);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return key;
}

/* The A.2 RSA key from its JWK n, e (and d when private). */
static EVP_PKEY *
a2_key(int private)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *n = bn_b64(a2_n);
	BIGNUM *e = bn_b64(a2_e);
	BIGNUM *d = bn_b64(a2_d);
	EVP_PKEY *key;

	assert_non_null(bld);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n),
	                 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e),
	                 1);
	if (private) {
		assert_int_equal(
			OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d),
			1);
	}
	key = pkey_fromdata("RSA", bld,
	                    private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	BN_free(d);
	return key;
}

/* The A.3 P-256 key from its JWK x, y (and d when private). */
static EVP_PKEY *
a3_key(int private)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	uint8_t pub[65];
	uint8_t *x = NULL;
	uint8_t *y = NULL;
	size_t xl = 0;
	size_t yl = 0;
	BIGNUM *d = bn_b64(a3_d);
	EVP_PKEY *key;

	assert_int_equal(mapi_b64url_decode(a3_x, strlen(a3_x), &x, &xl),
	                 MAPI_OK);
	assert_int_equal(mapi_b64url_decode(a3_y, strlen(a3_y), &y, &yl),
	                 MAPI_OK);
	assert_int_equal(xl, 32);
	assert_int_equal(yl, 32);
	pub[0] = 0x04; /* uncompressed point */
	memcpy(pub + 1, x, 32);
	memcpy(pub + 33, y, 32);
	assert_non_null(bld);
	assert_int_equal(
		OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	                                        "prime256v1", 0),
		1);
	assert_int_equal(
		OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	                                         pub, sizeof(pub)),
		1);
	if (private) {
		assert_int_equal(OSSL_PARAM_BLD_push_BN(
					 bld, OSSL_PKEY_PARAM_PRIV_KEY, d),
		                 1);
	}
	key = pkey_fromdata("EC", bld,
	                    private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
	OSSL_PARAM_BLD_free(bld);
	BN_free(d);
	free(x);
	free(y);
	return key;
}

static void
test_jwt_rfc7515_a2_rs256(void **state)
{
	const struct mapi_jwt_policy rs = { .algs = MAPI_JWS_RS256 };
	EVP_PKEY *pub = a2_key(0);
	EVP_PKEY *priv = a2_key(1);
	struct mapi_jwt *jwt = parse_expect(a2_token, &rs, MAPI_JWT_OK);
	const cJSON *iss =
		cJSON_GetObjectItemCaseSensitive(mapi_jwt_claims(jwt), "iss");
	const char *d2 = strrchr(a2_token, '.');
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	char *enc;

	(void)state;
	assert_int_equal(mapi_jwt_alg(jwt), MAPI_JWS_RS256);
	assert_null(mapi_jwt_kid(jwt));
	assert_string_equal(iss->valuestring, "joe");
	assert_int_equal(verify_reason(jwt, pub), MAPI_JWT_OK);
	/* PKCS#1 v1.5 is deterministic: signing reproduces the RFC bytes. */
	assert_int_equal(mapi_jwt_sign_input(MAPI_JWS_RS256, priv, a2_token,
	                                     (size_t)(d2 - a2_token), &sig,
	                                     &sig_len),
	                 MAPI_OK);
	enc = b64(sig, sig_len);
	assert_string_equal(enc, d2 + 1);
	/* And the fixture key does not verify it. */
	{
		EVP_PKEY *other = load_key("keys/rsa-2048.pub.pem", 1);

		assert_int_equal(verify_reason(jwt, other),
		                 MAPI_JWT_BAD_SIGNATURE);
		EVP_PKEY_free(other);
	}
	free(enc);
	free(sig);
	mapi_jwt_free(jwt);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(priv);
}

static void
test_jwt_rfc7515_a3_es256(void **state)
{
	const struct mapi_jwt_policy es = { .algs = MAPI_JWS_ES256 };
	EVP_PKEY *pub = a3_key(0);
	EVP_PKEY *priv = a3_key(1);
	struct mapi_jwt *jwt = parse_expect(a3_token, &es, MAPI_JWT_OK);
	const cJSON *exp =
		cJSON_GetObjectItemCaseSensitive(mapi_jwt_claims(jwt), "exp");
	const char *d2 = strrchr(a3_token, '.');
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	char *enc;
	char *mine;
	struct mapi_jwt *jwt2;

	(void)state;
	assert_int_equal(mapi_jwt_alg(jwt), MAPI_JWS_ES256);
	assert_true(exp->valuedouble == 1300819380.0);
	assert_int_equal(verify_reason(jwt, pub), MAPI_JWT_OK);
	/* ECDSA is randomised: sign the A.3 input again and verify that. */
	assert_int_equal(mapi_jwt_sign_input(MAPI_JWS_ES256, priv, a3_token,
	                                     (size_t)(d2 - a3_token), &sig,
	                                     &sig_len),
	                 MAPI_OK);
	assert_int_equal(sig_len, 64);
	enc = b64(sig, sig_len);
	mine = with_sig(a3_token, sig, sig_len);
	jwt2 = parse_expect(mine, &es, MAPI_JWT_OK);
	assert_int_equal(verify_reason(jwt2, pub), MAPI_JWT_OK);
	assert_string_not_equal(enc, d2 + 1);
	/* The A.3 token with an altered payload does not verify. */
	{
		char *t = edit_payload(a3_token, "\"joe\"", "\"jof\"");

		assert_int_equal(parse_verify(t, pub), MAPI_JWT_BAD_SIGNATURE);
		free(t);
	}
	mapi_jwt_free(jwt2);
	free(mine);
	free(enc);
	free(sig);
	mapi_jwt_free(jwt);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(priv);
}

/* ---- time claims ------------------------------------------------------- */

#define T INT64_C(1700000000)

static const struct time_case {
	const char *claims;
	int64_t now;
	int64_t leeway;
	enum mapi_jwt_reason want;
} time_cases[] = {
	{ "{}", T, 60, MAPI_JWT_OK },
	{ "{\"sub\":\"x\"}", T, 0, MAPI_JWT_OK },
	{ "{\"exp\":1700000000}", T + 60, 60, MAPI_JWT_OK },      /* exp+60 */
	{ "{\"exp\":1700000000}", T + 61, 60, MAPI_JWT_EXPIRED }, /* exp+61 */
	{ "{\"exp\":1700000000}", T, 0, MAPI_JWT_OK },
	{ "{\"exp\":1700000000}", T + 1, 0, MAPI_JWT_EXPIRED },
	{ "{\"exp\":1700000000}", T - 100000, 60, MAPI_JWT_OK },
	{ "{\"nbf\":1700000000}", T - 60, 60, MAPI_JWT_OK },
	{ "{\"nbf\":1700000000}", T - 61, 60, MAPI_JWT_NOT_YET_VALID },
	{ "{\"nbf\":1700000000}", T, 0, MAPI_JWT_OK },
	{ "{\"nbf\":1700000000}", T - 1, 0, MAPI_JWT_NOT_YET_VALID },
	{ "{\"iat\":1700000000}", T - 60, 60, MAPI_JWT_OK },
	{ "{\"iat\":1700000000}", T - 61, 60, MAPI_JWT_ISSUED_IN_FUTURE },
	{ "{\"iat\":1700000000}", T + 31536000, 60, MAPI_JWT_OK },
	/* A typical bound token across its life. */
	{ "{\"exp\":1700003600,\"iat\":1700000000,\"nbf\":1700000000}",
	  T + 1800, 60, MAPI_JWT_OK },
	{ "{\"exp\":1700003600,\"iat\":1700000000,\"nbf\":1700000000}",
	  T + 3660, 60, MAPI_JWT_OK },
	{ "{\"exp\":1700003600,\"iat\":1700000000,\"nbf\":1700000000}",
	  T + 3661, 60, MAPI_JWT_EXPIRED },
	{ "{\"exp\":1700003600,\"iat\":1700000000,\"nbf\":1700000000}", T - 61,
	  60, MAPI_JWT_NOT_YET_VALID },
	/* go-jose's order: nbf, then exp, then iat. */
	{ "{\"exp\":1699999000,\"nbf\":1700001000}", T, 60,
	  MAPI_JWT_NOT_YET_VALID },
	{ "{\"exp\":1699999000,\"iat\":1700001000}", T, 60, MAPI_JWT_EXPIRED },
	{ "{\"iat\":1700001000,\"nbf\":1700001000}", T, 60,
	  MAPI_JWT_NOT_YET_VALID },
	/* Not integers: refused before any comparison. */
	{ "{\"exp\":\"1700000000\"}", T, 60, MAPI_JWT_BAD_TIME_CLAIM },
	{ "{\"exp\":1700000000.5}", T, 60, MAPI_JWT_BAD_TIME_CLAIM },
	{ "{\"nbf\":null}", T, 60, MAPI_JWT_BAD_TIME_CLAIM },
	{ "{\"iat\":true}", T, 60, MAPI_JWT_BAD_TIME_CLAIM },
	{ "{\"iat\":[1700000000]}", T, 60, MAPI_JWT_BAD_TIME_CLAIM },
	{ "{\"exp\":{}}", T, 60, MAPI_JWT_BAD_TIME_CLAIM },
	{ "{\"exp\":1e300}", T, 60, MAPI_JWT_BAD_TIME_CLAIM },
	{ "{\"exp\":9007199254740994}", T, 60, MAPI_JWT_BAD_TIME_CLAIM },
	{ "{\"exp\":1,\"iat\":\"x\"}", T, 60, MAPI_JWT_BAD_TIME_CLAIM },
	/* Integral values written with an exponent are still integers. */
	{ "{\"exp\":1.7e9}", T, 60, MAPI_JWT_OK },
	{ "{\"exp\":-1}", T, 60, MAPI_JWT_EXPIRED },
	/* Extreme clocks do not overflow. */
	{ "{\"exp\":1700000000}", INT64_MAX, 60, MAPI_JWT_EXPIRED },
	{ "{\"nbf\":1700000000}", INT64_MIN, 60, MAPI_JWT_NOT_YET_VALID },
	{ "{\"nbf\":1700000000}", T, INT64_MAX, MAPI_JWT_OK },
};

static void
test_jwt_check_times_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(time_cases) / sizeof(time_cases[0]); i++) {
		const struct time_case *c = &time_cases[i];
		cJSON *claims = cJSON_Parse(c->claims);
		enum mapi_jwt_reason reason = MAPI_JWT_REASON_COUNT_;
		enum mapi_err err;

		assert_non_null(claims);
		err = mapi_jwt_check_times(claims, c->now, c->leeway, &reason);
		if (reason != c->want ||
		    err != (c->want == MAPI_JWT_OK ? MAPI_OK : MAPI_EINVAL)) {
			fail_msg("case %zu %s now=%lld leeway=%lld: got %s, "
			         "want %s",
			         i, c->claims, (long long)c->now,
			         (long long)c->leeway,
			         mapi_jwt_reason_name(reason),
			         mapi_jwt_reason_name(c->want));
		}
		cJSON_Delete(claims);
	}
}

static void
test_jwt_check_times_bad_arguments(void **state)
{
	cJSON *arr = cJSON_CreateArray();
	cJSON *obj = cJSON_CreateObject();
	enum mapi_jwt_reason reason = MAPI_JWT_REASON_COUNT_;

	(void)state;
	assert_int_equal(mapi_jwt_check_times(NULL, T, 60, &reason),
	                 MAPI_EINVAL);
	assert_int_equal(mapi_jwt_check_times(arr, T, 60, &reason),
	                 MAPI_EINVAL);
	assert_int_equal(mapi_jwt_check_times(obj, T, -1, &reason),
	                 MAPI_EINVAL);
	assert_int_equal(reason, MAPI_JWT_REASON_COUNT_);
	assert_int_equal(mapi_jwt_check_times(obj, T, 60, NULL), MAPI_OK);
	cJSON_Delete(arr);
	cJSON_Delete(obj);
}

/* ---- claims serialization ---------------------------------------------- */

static void
assert_serializes(const cJSON *item, const char *want)
{
	char *got = NULL;

	assert_int_equal(mapi_jwt_serialize_claims(item, &got), MAPI_OK);
	assert_string_equal(got, want);
	free(got);
}

static void
test_jwt_serialize_kubernetes_layout(void **state)
{
	cJSON *c = k8s_claims();

	(void)state;
	assert_serializes(c, k8s_claims_json);
	cJSON_Delete(c);
}

static void
test_jwt_serialize_sorts_bytewise_every_level(void **state)
{
	cJSON *c = cJSON_Parse(
		"{\"\xc3\xa9\":1,\"aa\":{\"z\":[3,{\"b\":1,\"a\":2}],"
		"\"a\":{}},\"a\":[],\"_\":true,\"B\":null,"
		"\"A\":false}");

	(void)state;
	assert_non_null(c);
	assert_serializes(c, "{\"A\":false,\"B\":null,\"_\":true,\"a\":[],"
	                     "\"aa\":{\"a\":{},\"z\":[3,{\"a\":2,\"b\":1}]},"
	                     "\"\xc3\xa9\":1}");
	cJSON_Delete(c);
}

static const struct {
	double v;
	const char *want;
} numbers[] = {
	{ 0, "0" },
	{ 1, "1" },
	{ -1, "-1" },
	{ 3607, "3607" },
	{ 1749207355, "1749207355" },
	{ 31536000, "31536000" },
	{ 9007199254740992.0, "9007199254740992" },
	{ 9007199254740991.0, "9007199254740991" },
	{ -9007199254740991.0, "-9007199254740991" },
	{ 9007199254740994.0, "9007199254740994" },
	{ -4102444800.0, "-4102444800" },
	{ 1e20, "100000000000000000000" },
	{ 1e21, "1e+21" },
	{ 1.5e300, "1.5e+300" },
	{ -2.5e22, "-2.5e+22" },
	{ 0.5, "0.5" },
	{ 123.456, "123.456" },
	{ -0.25, "-0.25" },
	{ 0.1, "0.1" },
	{ 1e-6, "0.000001" },
	{ 1e-7, "1e-7" },
	{ 1.5e-7, "1.5e-7" },
	{ 1.25e-12, "1.25e-12" },
	{ 3.141592653589793, "3.141592653589793" },
};

/*
 * The per-key contexts (mapi_key_sign_ctx / mapi_key_verify_ctx) give the
 * same results as a fresh init: a token signed through the template
 * verifies with and without it, any number of times (the template is
 * copied, never consumed), and a changed byte is a bad signature.
 */
static void
test_jwt_templates_sign_and_verify_like_fresh_contexts(void **state)
{
	static const enum mapi_key_type types[] = { MAPI_KEY_RSA2048,
		                                    MAPI_KEY_P256 };
	size_t i;
	int round;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct mapi_key *key = NULL;
		cJSON *claims = cJSON_CreateObject();
		char *token = NULL;
		struct mapi_jwt *jwt = NULL;
		enum mapi_jwt_reason why = MAPI_JWT_OK;
		char *bad;
		size_t n;

		assert_int_equal(mapi_key_generate(types[i], &key), MAPI_OK);
		assert_non_null(mapi_key_sign_ctx(key));
		assert_non_null(mapi_key_verify_ctx(key));
		assert_non_null(cJSON_AddNumberToObject(claims, "exp", 4e9));
		for (round = 0; round < 3; round++) {
			assert_int_equal(
				mapi_jwt_sign_tmpl(mapi_key_alg(key),
			                           mapi_key_pkey(key),
			                           mapi_key_sign_ctx(key), "k",
			                           claims, &token),
				MAPI_OK);
			assert_int_equal(mapi_jwt_parse(token, strlen(token),
			                                &policy_both, &jwt,
			                                &why),
			                 MAPI_OK);
			assert_int_equal(mapi_jwt_verify_tmpl(
						 jwt, mapi_key_pkey(key),
						 mapi_key_verify_ctx(key), &why),
			                 MAPI_OK);
			assert_int_equal(mapi_jwt_verify(jwt, mapi_key_pkey(key),
			                                 &why),
			                 MAPI_OK);
			mapi_jwt_free(jwt);
			jwt = NULL;
			/* One signature bit flipped (not the last char,
			 * whose low bits may be padding). */
			bad = strdup(token);
			assert_non_null(bad);
			n = strlen(bad);
			bad[n - 3] = bad[n - 3] == 'A' ? 'B' : 'A';
			assert_int_equal(mapi_jwt_parse(bad, n, &policy_both,
			                                &jwt, &why),
			                 MAPI_OK);
			assert_int_equal(mapi_jwt_verify_tmpl(
						 jwt, mapi_key_pkey(key),
						 mapi_key_verify_ctx(key), &why),
			                 MAPI_EINVAL);
			assert_int_equal(why, MAPI_JWT_BAD_SIGNATURE);
			mapi_jwt_free(jwt);
			jwt = NULL;
			free(bad);
			free(token);
			token = NULL;
		}
		cJSON_Delete(claims);
		mapi_key_unref(key);
	}
}

/* Numbers as Go's encoding/json prints a float64. */
static void
test_jwt_serialize_numbers_like_go(void **state)
{
	size_t i;
	char *got = NULL;
	cJSON *nan = cJSON_CreateNumber(0.0 / 0.0);
	cJSON *inf = cJSON_CreateNumber(1.0 / 0.0);

	(void)state;
	for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		cJSON *n = cJSON_CreateNumber(numbers[i].v);

		assert_serializes(n, numbers[i].want);
		cJSON_Delete(n);
	}
	assert_int_equal(mapi_jwt_serialize_claims(nan, &got), MAPI_EINVAL);
	assert_int_equal(mapi_jwt_serialize_claims(inf, &got), MAPI_EINVAL);
	assert_null(got);
	cJSON_Delete(nan);
	cJSON_Delete(inf);
}

/* Strings escaped as Go's encoding/json does, HTML escaping on. */
static void
test_jwt_serialize_escapes_like_go(void **state)
{
	cJSON *s = cJSON_CreateString("<a href=\"x\">&amp;</a> \\ / \b\f\n\r\t"
	                              "\x01\x1f\x7f caf\xc3\xa9 \xe2\x80\xa8"
	                              "\xe2\x80\xa9 \xf0\x9f\x98\x80 "
	                              "bad\xff\xc3(");
	cJSON *o = cJSON_CreateObject();

	(void)state;
	assert_serializes(s, "\"\\u003ca href=\\\"x\\\"\\u003e\\u0026amp;"
	                     "\\u003c/a\\u003e \\\\ / \\b\\f\\n\\r\\t"
	                     "\\u0001\\u001f\x7f caf\xc3\xa9 \\u2028\\u2029 "
	                     "\xf0\x9f\x98\x80 bad\\ufffd\\ufffd(\"");
	cJSON_AddNumberToObject(o, "a<b", 1);
	assert_serializes(o, "{\"a\\u003cb\":1}");
	cJSON_Delete(s);
	cJSON_Delete(o);
}

static void
test_jwt_serialize_refuses_duplicates(void **state)
{
	cJSON *o = cJSON_CreateObject();
	char *got = NULL;

	(void)state;
	cJSON_AddNumberToObject(o, "exp", 1);
	cJSON_AddNumberToObject(o, "exp", 2); /* cJSON allows this */
	assert_int_equal(mapi_jwt_serialize_claims(o, &got), MAPI_EINVAL);
	assert_null(got);
	assert_int_equal(mapi_jwt_serialize_claims(NULL, &got), MAPI_EINVAL);
	cJSON_Delete(o);
}

/* ---- independent checks: openssl CLI, python3-jwt, golden tokens ------- */

static char *
write_temp(const char *dir, const char *name, const void *data, size_t n)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *path = malloc(len);

	assert_non_null(path);
	(void)snprintf(path, len, "%s/%s", dir, name);
	th_write_file(path, data, n);
	return path;
}

/* `openssl dgst -verify` over the signing input of a token we signed. */
static void
openssl_dgst_verifies(enum mapi_jws_alg alg, const char *priv_rel,
                      const char *pub_rel)
{
	EVP_PKEY *priv = load_key(priv_rel, 0);
	char *token = sign_k8s(alg, priv, "kid-1");
	char *dir = th_mkdtemp();
	size_t sig_len = 0;
	uint8_t *sig = sig_of(token, &sig_len);
	uint8_t der[80];
	const char *d2 = strrchr(token, '.');
	char *in = write_temp(dir, "input", token, (size_t)(d2 - token));
	char *sp;
	char *bad_in;
	char *pub = th_fixture_path(pub_rel);
	char cmd[4096];
	char *out = NULL;

	if (alg == MAPI_JWS_ES256) {
		size_t n = raw_to_der_by_hand(sig, der);

		sp = write_temp(dir, "sig.bin", der, n);
	} else {
		sp = write_temp(dir, "sig.bin", sig, sig_len);
	}
	(void)snprintf(cmd, sizeof(cmd),
	               "openssl dgst -sha256 -verify '%s' -signature '%s' '%s'",
	               pub, sp, in);
	assert_int_equal(th_run(cmd, &out), 0);
	assert_non_null(strstr(out, "Verified OK"));
	free(out);
	/* The check can fail: a different input does not verify. */
	bad_in = write_temp(dir, "bad", token, (size_t)(d2 - token) - 1);
	(void)snprintf(cmd, sizeof(cmd),
	               "openssl dgst -sha256 -verify '%s' -signature '%s' '%s' "
	               "2>/dev/null",
	               pub, sp, bad_in);
	assert_int_not_equal(th_run(cmd, &out), 0);
	free(out);
	th_rmtree(dir);
	free(bad_in);
	free(pub);
	free(sp);
	free(in);
	free(sig);
	free(dir);
	free(token);
	EVP_PKEY_free(priv);
}

static void
test_jwt_openssl_cli_verifies_our_tokens(void **state)
{
	(void)state;
	openssl_dgst_verifies(MAPI_JWS_RS256, "keys/rsa-2048.pkcs8.pem",
	                      "keys/rsa-2048.pub.pem");
	openssl_dgst_verifies(MAPI_JWS_ES256, "keys/ec-p256.pkcs8.pem",
	                      "keys/ec-p256.pub.pem");
}

static const char pyjwt_script[] =
	"import sys, jwt\n"
	"tok = open(sys.argv[1]).read()\n"
	"key = open(sys.argv[2]).read()\n"
	"c = jwt.decode(tok, key, algorithms=[sys.argv[3]],\n"
	"               "
        "audience='https://kubernetes.default.svc.cluster.local',\n"
	"               options={'verify_exp': False, 'verify_iat': False,\n"
	"                        'verify_nbf': False})\n"
	"h = jwt.get_unverified_header(tok)\n"
	"print(h['alg'], h.get('kid'), c['sub'], "
        "c['kubernetes.io']['pod']['name'])\n";

static void
pyjwt_verifies(enum mapi_jws_alg alg, const char *priv_rel, const char *pub_rel,
               const char *other_pub_rel)
{
	EVP_PKEY *priv = load_key(priv_rel, 0);
	char *token = sign_k8s(alg, priv, "kid-1");
	char *dir = th_mkdtemp();
	char *tp = write_temp(dir, "token", token, strlen(token));
	char *py =
		write_temp(dir, "check.py", pyjwt_script, strlen(pyjwt_script));
	char *pub = th_fixture_path(pub_rel);
	char *other = th_fixture_path(other_pub_rel);
	char cmd[4096];
	char want[256];
	char *out = NULL;

	(void)snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s' '%s' '%s' %s",
	               py, tp, pub, mapi_jws_alg_name(alg));
	assert_int_equal(th_run(cmd, &out), 0);
	(void)snprintf(want, sizeof(want),
	               "%s kid-1 system:serviceaccount:default:default shell\n",
	               mapi_jws_alg_name(alg));
	assert_string_equal(out, want);
	free(out);
	/* Same token, wrong key: python3-jwt refuses it too. */
	(void)snprintf(cmd, sizeof(cmd),
	               "/usr/bin/python3 '%s' '%s' '%s' %s 2>/dev/null", py, tp,
	               other, mapi_jws_alg_name(alg));
	assert_int_not_equal(th_run(cmd, &out), 0);
	free(out);
	th_rmtree(dir);
	free(other);
	free(pub);
	free(py);
	free(tp);
	free(dir);
	free(token);
	EVP_PKEY_free(priv);
}

static void
test_jwt_python_jwt_verifies_our_tokens(void **state)
{
	(void)state;
	pyjwt_verifies(MAPI_JWS_RS256, "keys/rsa-2048.pkcs8.pem",
	               "keys/rsa-2048.pub.pem", "keys/rsa-2048-b.pub.pem");
	pyjwt_verifies(MAPI_JWS_ES256, "keys/ec-p256.sec1.pem",
	               "keys/ec-p256.pub.pem", "keys/rsa-2048.pub.pem");
}

static const struct golden_case {
	const char *file;
	const char *key; /* public key to verify with, or NULL */
	enum mapi_jwt_reason want;
	const char *kid; /* expected kid when parse succeeds */
} golden_cases[] = {
	{ "rs256-good.jwt", "keys/rsa-2048.pub.pem", MAPI_JWT_OK, KID_RSA },
	{ "es256-good.jwt", "keys/ec-p256.pub.pem", MAPI_JWT_OK, KID_EC },
	{ "alg-none.jwt", NULL, MAPI_JWT_ALG_NONE, NULL },
	{ "hs256-pubkey.jwt", NULL, MAPI_JWT_BAD_ALG, NULL },
	{ "crit-header.jwt", NULL, MAPI_JWT_UNKNOWN_CRIT, NULL },
	{ "bad-base64.jwt", NULL, MAPI_JWT_BAD_BASE64, NULL },
	{ "two-parts.jwt", NULL, MAPI_JWT_MALFORMED, NULL },
	{ "four-parts.jwt", NULL, MAPI_JWT_MALFORMED, NULL },
	{ "tampered-payload.jwt", "keys/rsa-2048.pub.pem",
	  MAPI_JWT_BAD_SIGNATURE, KID_RSA },
	{ "truncated-sig.jwt", "keys/rsa-2048.pub.pem", MAPI_JWT_BAD_SIGNATURE,
	  KID_RSA },
	{ "es256-der-sig.jwt", "keys/ec-p256.pub.pem", MAPI_JWT_BAD_SIGNATURE,
	  KID_EC },
	{ "other-key.jwt", "keys/rsa-2048.pub.pem", MAPI_JWT_BAD_SIGNATURE,
	  KID_RSA },
	{ "expired.jwt", "keys/rsa-2048.pub.pem", MAPI_JWT_EXPIRED, KID_RSA },
	{ "not-yet-valid.jwt", "keys/rsa-2048.pub.pem", MAPI_JWT_NOT_YET_VALID,
	  KID_RSA },
	/* auth/jwt accepts it; auth/tokens refuses the unknown kid. */
	{ "unknown-kid.jwt", "keys/rsa-2048.pub.pem", MAPI_JWT_OK,
	  "no-such-key-0000000000000000000000000000000" },
};

static enum mapi_jwt_reason
judge_golden(const struct golden_case *c, const char *token)
{
	struct mapi_jwt *jwt = NULL;
	enum mapi_jwt_reason reason = MAPI_JWT_REASON_COUNT_;
	EVP_PKEY *key;

	if (mapi_jwt_parse(token, strlen(token), &policy_both, &jwt, &reason) !=
	    MAPI_OK) {
		return reason;
	}
	if (c->kid != NULL) {
		assert_string_equal(mapi_jwt_kid(jwt), c->kid);
	}
	if (c->key == NULL) {
		fail_msg("%s parsed but the table has no key for it", c->file);
	}
	key = load_key(c->key, 1);
	reason = verify_reason(jwt, key);
	if (reason == MAPI_JWT_OK) {
		assert_int_not_equal(mapi_jwt_check_times(mapi_jwt_claims(jwt),
		                                          GOLDEN_NOW, 60,
		                                          &reason),
		                     MAPI_ENOMEM);
	}
	EVP_PKEY_free(key);
	mapi_jwt_free(jwt);
	return reason;
}

static void
test_jwt_golden_tokens(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(golden_cases) / sizeof(golden_cases[0]); i++) {
		const struct golden_case *c = &golden_cases[i];
		char rel[128];
		char *path;
		char *token;
		enum mapi_jwt_reason got;

		(void)snprintf(rel, sizeof(rel), "tokens/%s", c->file);
		path = th_fixture_path(rel);
		token = th_read_file(path, NULL);
		got = judge_golden(c, token);
		if (got != c->want) {
			fail_msg("%s: got %s, want %s", c->file,
			         mapi_jwt_reason_name(got),
			         mapi_jwt_reason_name(c->want));
		}
		free(token);
		free(path);
	}
}

/* The good golden token's claims are exactly what our serializer writes,
 * and our signer reproduces the openssl-made RS256 token byte for byte. */
static void
test_jwt_golden_matches_our_signer(void **state)
{
	char *path = th_fixture_path("tokens/rs256-good.jwt");
	char *golden = th_read_file(path, NULL);
	EVP_PKEY *rsa = load_key("keys/rsa-2048.pkcs8.pem", 0);
	struct mapi_jwt *jwt = parse_expect(golden, &policy_both, MAPI_JWT_OK);
	char *mine = NULL;

	(void)state;
	assert_int_equal(mapi_jwt_sign(MAPI_JWS_RS256, rsa, mapi_jwt_kid(jwt),
	                               mapi_jwt_claims(jwt), &mine),
	                 MAPI_OK);
	assert_string_equal(mine, golden);
	free(mine);
	mapi_jwt_free(jwt);
	EVP_PKEY_free(rsa);
	free(golden);
	free(path);
}

/* OpenSSL's SIPHASH MAC (SipHash-2-4, 16-byte tag by default). */
static void
openssl_siphash(const uint8_t *key, const uint8_t *msg, size_t n,
                uint8_t out[16])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	size_t len = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_MAC_init(ctx, key, 16, NULL), 1);
	assert_int_equal(EVP_MAC_update(ctx, msg, n), 1);
	assert_int_equal(EVP_MAC_final(ctx, out, &len, 16), 1);
	assert_int_equal(len, 16);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
}

/*
 * mapi_jwt_siphash128 is SipHash-2-4-128: the reference vector for the
 * empty message, then OpenSSL's SIPHASH for every length 0..80 under the
 * reference key 00..0f and message 00 01 02 ..., fed whole, byte by byte
 * and split in three uneven parts (the block buffering across parts).
 */
static void
test_jwt_siphash128_matches_reference(void **state)
{
	static const uint8_t empty_tag[16] = { 0xa3, 0x81, 0x7f, 0x04,
		                               0xba, 0x25, 0xa8, 0xe6,
		                               0x6d, 0xf6, 0x72, 0x14,
		                               0xc7, 0x55, 0x02, 0x93 };
	uint8_t key[16];
	uint8_t msg[81];
	uint8_t want[16];
	uint8_t got[16];
	const void *parts[81];
	size_t lens[81];
	size_t n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(key); i++) {
		key[i] = (uint8_t)i;
	}
	for (i = 0; i < sizeof(msg); i++) {
		msg[i] = (uint8_t)i;
	}
	parts[0] = NULL;
	lens[0] = 0;
	mapi_jwt_siphash128(key, parts, lens, 1, got);
	assert_memory_equal(got, empty_tag, 16);
	for (n = 0; n <= 80; n++) {
		openssl_siphash(key, msg, n, want);
		parts[0] = msg;
		lens[0] = n;
		mapi_jwt_siphash128(key, parts, lens, 1, got);
		assert_memory_equal(got, want, 16);
		for (i = 0; i < n; i++) {
			parts[i] = msg + i;
			lens[i] = 1;
		}
		memset(got, 0, sizeof(got));
		mapi_jwt_siphash128(key, parts, lens, n, got);
		assert_memory_equal(got, want, 16);
		parts[0] = msg;
		lens[0] = n / 3;
		parts[1] = msg + n / 3;
		lens[1] = n / 2 - n / 3;
		parts[2] = msg + n / 2;
		lens[2] = n - n / 2;
		memset(got, 0, sizeof(got));
		mapi_jwt_siphash128(key, parts, lens, 3, got);
		assert_memory_equal(got, want, 16);
	}
	/* a different key gives a different tag */
	key[0] ^= 1;
	parts[0] = msg;
	lens[0] = 80;
	mapi_jwt_siphash128(key, parts, lens, 1, got);
	assert_memory_not_equal(got, want, 16);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jwt_rejects_table),
		cmocka_unit_test(test_jwt_rejects_hs256_keyed_with_public_pem),
		cmocka_unit_test(test_jwt_rejects_alg_outside_policy),
		cmocka_unit_test(test_jwt_rejects_oversized),
		cmocka_unit_test(test_jwt_parse_bad_arguments),
		cmocka_unit_test(test_jwt_reason_names),
		cmocka_unit_test(test_jwt_rs256_round_trip),
		cmocka_unit_test(test_jwt_es256_round_trip),
		cmocka_unit_test(test_jwt_rs256_sign_is_deterministic),
		cmocka_unit_test(test_jwt_wrong_key_is_bad_signature),
		cmocka_unit_test(test_jwt_key_type_mismatch),
		cmocka_unit_test(test_jwt_tampered_is_bad_signature),
		cmocka_unit_test(test_jwt_signature_length_rules),
		cmocka_unit_test(test_jwt_es256_left_pads_short_values),
		cmocka_unit_test(test_jwt_rfc7515_a2_rs256),
		cmocka_unit_test(test_jwt_rfc7515_a3_es256),
		cmocka_unit_test(test_jwt_check_times_table),
		cmocka_unit_test(test_jwt_check_times_bad_arguments),
		cmocka_unit_test(test_jwt_serialize_kubernetes_layout),
		cmocka_unit_test(test_jwt_serialize_sorts_bytewise_every_level),
		cmocka_unit_test(test_jwt_serialize_numbers_like_go),
		cmocka_unit_test(
			test_jwt_templates_sign_and_verify_like_fresh_contexts),
		cmocka_unit_test(test_jwt_serialize_escapes_like_go),
		cmocka_unit_test(test_jwt_serialize_refuses_duplicates),
		cmocka_unit_test(test_jwt_openssl_cli_verifies_our_tokens),
		cmocka_unit_test(test_jwt_python_jwt_verifies_our_tokens),
		cmocka_unit_test(test_jwt_golden_tokens),
		cmocka_unit_test(test_jwt_golden_matches_our_signer),
		cmocka_unit_test(test_jwt_siphash128_matches_reference),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("jwt", tests, NULL, NULL);
}
