/* SPDX-License-Identifier: MIT */
#include "saclient.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "json.h"
#include "util.h"

/* Tokens and JWKS documents larger than this are refused. */
#define MAX_TOKEN (64u << 10)

struct sac_jwt {
	cJSON *header;
	cJSON *claims;
	char *signing_input; /* "<header>.<payload>" as received */
	unsigned char *sig;
	size_t sig_len;
};

void
sac_jwt_free(struct sac_jwt *jwt)
{
	if (jwt == NULL) {
		return;
	}
	cJSON_Delete(jwt->header);
	cJSON_Delete(jwt->claims);
	free(jwt->signing_input);
	free(jwt->sig);
	free(jwt);
}

static bool
is_b64url(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_')) {
			return false;
		}
	}
	return true;
}

static enum sac_err
decode_json_part(const char *what, const char *s, size_t n, cJSON **out,
                 struct sac_diag *diag)
{
	unsigned char *raw = NULL;
	size_t len = 0;
	cJSON *j = NULL;

	if (n == 0 || !is_b64url(s, n) ||
	    sac_base64_decode(s, n, 1, &raw, &len) != SAC_OK) {
		sac_diag_set(diag, "not a JWT: the %s is not base64url", what);
		return SAC_ETOKEN;
	}
	if (sac_json_parse((const char *)raw, len, &j, NULL) != SAC_OK ||
	    !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		free(raw);
		sac_diag_set(diag, "not a JWT: the %s is not a JSON object",
		             what);
		return SAC_ETOKEN;
	}
	free(raw);
	*out = j;
	return SAC_OK;
}

enum sac_err
sac_jwt_decode(const char *token, struct sac_jwt **out_jwt,
               struct sac_diag *diag)
{
	struct sac_jwt *jwt = NULL;
	const char *start;
	const char *dot1;
	const char *dot2;
	size_t len;
	size_t parts = 1;
	enum sac_err err = SAC_ETOKEN;

	if (token == NULL) {
		sac_diag_set(diag, "not a JWT: no token");
		return SAC_ETOKEN;
	}
	start = token;
	while (*start == ' ' || *start == '\n' || *start == '\r' ||
	       *start == '\t') {
		start++;
	}
	len = strlen(start);
	while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\n' ||
	                   start[len - 1] == '\r' || start[len - 1] == '\t')) {
		len--;
	}
	if (len == 0) {
		sac_diag_set(diag, "not a JWT: the input is empty");
		return SAC_ETOKEN;
	}
	if (len > MAX_TOKEN) {
		sac_diag_set(diag, "not a JWT: longer than %u bytes", MAX_TOKEN);
		return SAC_ETOKEN;
	}
	for (size_t i = 0; i < len; i++) {
		parts += start[i] == '.';
	}
	if (parts != 3) {
		sac_diag_set(diag,
		             "not a JWT: expected 3 dot-separated parts, "
		             "found %zu",
		             parts);
		return SAC_ETOKEN;
	}
	dot1 = memchr(start, '.', len);
	dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - start));
	jwt = calloc(1, sizeof(*jwt));
	if (jwt == NULL) {
		return SAC_ENOMEM;
	}
	err = decode_json_part("header", start, (size_t)(dot1 - start),
	                       &jwt->header, diag);
	if (err != SAC_OK) {
		goto out;
	}
	err = decode_json_part("payload", dot1 + 1, (size_t)(dot2 - dot1 - 1),
	                       &jwt->claims, diag);
	if (err != SAC_OK) {
		goto out;
	}
	len -= (size_t)(dot2 + 1 - start);
	if (!is_b64url(dot2 + 1, len) ||
	    sac_base64_decode(dot2 + 1, len, 1, &jwt->sig, &jwt->sig_len) !=
	            SAC_OK) {
		sac_diag_set(diag, "not a JWT: the signature is not base64url");
		err = SAC_ETOKEN;
		goto out;
	}
	jwt->signing_input = sac_strndup(start, (size_t)(dot2 - start));
	if (jwt->signing_input == NULL) {
		err = SAC_ENOMEM;
		goto out;
	}
	*out_jwt = jwt;
	jwt = NULL;
	err = SAC_OK;
out:
	sac_jwt_free(jwt);
	return err;
}

const struct cJSON *
sac_jwt_header_get(const struct sac_jwt *jwt)
{
	return jwt->header;
}

const struct cJSON *
sac_jwt_claims_get(const struct sac_jwt *jwt)
{
	return jwt->claims;
}

const char *
sac_jwt_jti(const struct sac_jwt *jwt)
{
	return sac_json_str(jwt->claims, "jti");
}

const char *
sac_jwt_sub(const struct sac_jwt *jwt)
{
	return sac_json_str(jwt->claims, "sub");
}

bool
sac_jwt_time_claim(const struct sac_jwt *jwt, const char *name,
                   int64_t *out_s)
{
	return sac_json_int(jwt->claims, name, out_s);
}

bool
sac_jwt_is_expired(const struct sac_jwt *jwt, int64_t now_s)
{
	int64_t exp;

	return sac_jwt_time_claim(jwt, "exp", &exp) && now_s >= exp;
}

char *
sac_jwt_label(const struct sac_jwt *jwt, char *buf, size_t len)
{
	const char *jti = jwt != NULL ? sac_jwt_jti(jwt) : NULL;
	size_t n = 0;

	if (len == 0) {
		return buf;
	}
	while (jti != NULL && jti[n] != '\0' && n < 8 && n + 1 < len &&
	       ((jti[n] >= '0' && jti[n] <= '9') ||
	        (jti[n] >= 'a' && jti[n] <= 'z') ||
	        (jti[n] >= 'A' && jti[n] <= 'Z') || jti[n] == '-')) {
		buf[n] = jti[n];
		n++;
	}
	if (n == 0) {
		(void)snprintf(buf, len, "-");
	} else {
		buf[n] = '\0';
	}
	return buf;
}

/* ---- human report ---- */

struct out {
	char *buf;
	size_t len;
	size_t cap;
	bool failed;
};

static void
put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->failed) {
		return;
	}
	for (;;) {
		size_t room = o->cap - o->len;

		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = true;
			return;
		}
		if ((size_t)n < room) {
			o->len += (size_t)n;
			return;
		}
		o->cap = o->cap * 2 + (size_t)n;
		char *nb = realloc(o->buf, o->cap);
		if (nb == NULL) {
			o->failed = true;
			return;
		}
		o->buf = nb;
	}
}

/* Untrusted text: replace control characters so a token cannot drive the
 * terminal. */
static void
put_safe(struct out *o, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		put(o, "%c", c < 0x20 || c == 0x7f ? '?' : (char)c);
	}
}

static void
put_field(struct out *o, const char *label, const char *value)
{
	if (value == NULL) {
		return;
	}
	put(o, "  %-15s ", label);
	put_safe(o, value);
	put(o, "\n");
}

static void
put_ref(struct out *o, const char *label, const cJSON *ref)
{
	const char *name = sac_json_str(ref, "name");
	const char *uid = sac_json_str(ref, "uid");

	if (ref == NULL) {
		return;
	}
	put(o, "  %-15s ", label);
	put_safe(o, name != NULL ? name : "?");
	if (uid != NULL) {
		put(o, " (uid ");
		put_safe(o, uid);
		put(o, ")");
	}
	put(o, "\n");
}

static void
put_time(struct out *o, const char *label, int64_t t, int64_t now,
         const char *past, const char *future)
{
	char when[32];
	char d[32];

	(void)sac_time_format(t, when, sizeof(when));
	(void)sac_duration_human(t - now, d, sizeof(d));
	put(o, "  %-15s %s (", label, when);
	if (t <= now) {
		put(o, "%s %s ago)\n", past, d);
	} else {
		put(o, "%s in %s)\n", future, d);
	}
}

enum sac_err
sac_jwt_format(const struct sac_jwt *jwt, int64_t now, char **out_text)
{
	struct out o = { 0 };
	const cJSON *k8s = sac_json_obj(jwt->claims, "kubernetes.io");
	const cJSON *aud = cJSON_GetObjectItemCaseSensitive(jwt->claims, "aud");
	int64_t t;
	int64_t iat = 0;
	int64_t exp = 0;
	bool has_iat;
	bool has_exp;
	char d[32];

	o.cap = 1024;
	o.buf = malloc(o.cap);
	if (o.buf == NULL) {
		return SAC_ENOMEM;
	}
	o.buf[0] = '\0';
	put(&o, "Header:\n");
	put_field(&o, "alg", sac_json_str(jwt->header, "alg"));
	put_field(&o, "kid", sac_json_str(jwt->header, "kid"));
	put_field(&o, "typ", sac_json_str(jwt->header, "typ"));
	put(&o, "Claims:\n");
	put_field(&o, "iss", sac_json_str(jwt->claims, "iss"));
	put_field(&o, "sub", sac_json_str(jwt->claims, "sub"));
	if (cJSON_IsString(aud)) {
		put_field(&o, "aud", aud->valuestring);
	} else if (cJSON_IsArray(aud)) {
		const cJSON *a;

		put(&o, "  %-15s ", "aud");
		cJSON_ArrayForEach(a, aud)
		{
			if (cJSON_IsString(a)) {
				put_safe(&o, a->valuestring);
				put(&o, a->next != NULL ? ", " : "");
			}
		}
		put(&o, "\n");
	}
	put_field(&o, "jti", sac_json_str(jwt->claims, "jti"));
	put_field(&o, "namespace", sac_json_str(k8s, "namespace"));
	put_ref(&o, "serviceaccount", sac_json_obj(k8s, "serviceaccount"));
	put_ref(&o, "bound pod", sac_json_obj(k8s, "pod"));
	put_ref(&o, "bound node", sac_json_obj(k8s, "node"));
	put_ref(&o, "bound secret", sac_json_obj(k8s, "secret"));
	has_iat = sac_json_int(jwt->claims, "iat", &iat);
	has_exp = sac_json_int(jwt->claims, "exp", &exp);
	if (has_iat) {
		put_time(&o, "issued at", iat, now, "issued", "issued");
	}
	if (sac_json_int(jwt->claims, "nbf", &t)) {
		put_time(&o, "not before", t, now, "valid since", "valid");
	}
	if (has_exp) {
		put_time(&o, "expires at", exp, now, "expired", "expires");
	}
	if (sac_json_int(k8s, "warnafter", &t)) {
		put_time(&o, "warnafter", t, now, "stale since", "warn");
	}
	if (has_iat && has_exp && exp >= iat) {
		put(&o, "  %-15s %s\n", "lifetime",
		    sac_duration_human(exp - iat, d, sizeof(d)));
	}
	if (!has_exp) {
		put(&o, "Status: no exp claim: this token never expires\n");
	} else if (now >= exp) {
		put(&o, "Status: EXPIRED %s ago\n",
		    sac_duration_human(now - exp, d, sizeof(d)));
	} else if (has_iat && now < iat) {
		put(&o, "Status: not valid yet (issued in the future)\n");
	} else {
		put(&o, "Status: not expired (expires in %s)\n",
		    sac_duration_human(exp - now, d, sizeof(d)));
	}
	if (o.failed) {
		free(o.buf);
		return SAC_ENOMEM;
	}
	*out_text = o.buf;
	return SAC_OK;
}

/* ---- signature verification against a JWKS ---- */

static BIGNUM *
b64_bn(const char *s)
{
	unsigned char *raw = NULL;
	size_t len = 0;
	BIGNUM *bn;

	if (s == NULL || !is_b64url(s, strlen(s)) ||
	    sac_base64_decode(s, strlen(s), 1, &raw, &len) != SAC_OK) {
		return NULL;
	}
	bn = len > 0 ? BN_bin2bn(raw, (int)len, NULL) : NULL;
	free(raw);
	return bn;
}

static EVP_PKEY *
rsa_key(const cJSON *jwk)
{
	BIGNUM *n = b64_bn(sac_json_str(jwk, "n"));
	BIGNUM *e = b64_bn(sac_json_str(jwk, "e"));
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (n == NULL || e == NULL || bld == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

static EVP_PKEY *
ec_key(const cJSON *jwk)
{
	const char *crv = sac_json_str(jwk, "crv");
	const char *xs = sac_json_str(jwk, "x");
	const char *ys = sac_json_str(jwk, "y");
	unsigned char *x = NULL;
	unsigned char *y = NULL;
	size_t xl = 0;
	size_t yl = 0;
	unsigned char pub[65];
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	char group[] = "prime256v1";

	if (crv == NULL || strcmp(crv, "P-256") != 0 || xs == NULL ||
	    ys == NULL || !is_b64url(xs, strlen(xs)) ||
	    !is_b64url(ys, strlen(ys)) ||
	    sac_base64_decode(xs, strlen(xs), 1, &x, &xl) != SAC_OK ||
	    sac_base64_decode(ys, strlen(ys), 1, &y, &yl) != SAC_OK ||
	    xl != 32 || yl != 32) {
		goto out;
	}
	/* SEC1 uncompressed point: 0x04 || X || Y. */
	pub[0] = 0x04;
	memcpy(pub + 1, x, 32);
	memcpy(pub + 33, y, 32);
	params[0] = OSSL_PARAM_construct_utf8_string(
		OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	                                              pub, sizeof(pub));
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	free(x);
	free(y);
	return pkey;
}

/* JWS ES256 signatures are raw R||S (RFC 7518 3.4); OpenSSL wants DER. */
static bool
es256_der(const unsigned char *sig, size_t len, unsigned char **out,
          size_t *out_len)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL;
	BIGNUM *s = NULL;
	unsigned char *der = NULL;
	int n;

	if (len != 64) {
		return false;
	}
	es = ECDSA_SIG_new();
	r = BN_bin2bn(sig, 32, NULL);
	s = BN_bin2bn(sig + 32, 32, NULL);
	if (es == NULL || r == NULL || s == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return false;
	}
	n = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	if (n <= 0) {
		return false;
	}
	*out = der;
	*out_len = (size_t)n;
	return true;
}

static bool
verify_with(EVP_PKEY *pkey, const struct sac_jwt *jwt, bool ec)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	const unsigned char *sig = jwt->sig;
	size_t sig_len = jwt->sig_len;
	bool ok = false;

	if (md == NULL) {
		return false;
	}
	if (ec) {
		if (!es256_der(jwt->sig, jwt->sig_len, &der, &sig_len)) {
			goto out;
		}
		sig = der;
	}
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
	     EVP_DigestVerify(md, sig, sig_len,
	                      (const unsigned char *)jwt->signing_input,
	                      strlen(jwt->signing_input)) == 1;
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok;
}

enum sac_err
sac_jwt_verify_jwks(const struct sac_jwt *jwt, const char *jwks,
                    size_t jwks_len, struct sac_diag *diag)
{
	const char *alg = sac_json_str(jwt->header, "alg");
	const char *kid = sac_json_str(jwt->header, "kid");
	const char *kty;
	const cJSON *keys;
	const cJSON *k;
	cJSON *doc = NULL;
	bool ec;
	int tried = 0;
	enum sac_err err;

	if (alg == NULL ||
	    (strcmp(alg, "RS256") != 0 && strcmp(alg, "ES256") != 0)) {
		sac_diag_set(diag, "unsupported alg \"%s\" (RS256 and ES256 "
		                   "are supported)",
		             alg != NULL ? alg : "");
		return SAC_ETOKEN;
	}
	ec = strcmp(alg, "ES256") == 0;
	kty = ec ? "EC" : "RSA";
	if (jwks_len > (4u << 20) ||
	    sac_json_parse(jwks, jwks_len, &doc, NULL) != SAC_OK ||
	    !cJSON_IsArray(keys = cJSON_GetObjectItemCaseSensitive(doc,
	                                                           "keys"))) {
		cJSON_Delete(doc);
		sac_diag_set(diag, "not a JWKS document (no \"keys\" array)");
		return SAC_EINVAL;
	}
	err = SAC_ETOKEN;
	cJSON_ArrayForEach(k, keys)
	{
		const char *kkid = sac_json_str(k, "kid");
		const char *kkty = sac_json_str(k, "kty");
		EVP_PKEY *pkey;
		bool ok;

		if (kkty == NULL || strcmp(kkty, kty) != 0 ||
		    (kid != NULL && (kkid == NULL || strcmp(kid, kkid) != 0))) {
			continue;
		}
		tried++;
		pkey = ec ? ec_key(k) : rsa_key(k);
		if (pkey == NULL) {
			ERR_clear_error();
			continue;
		}
		ok = verify_with(pkey, jwt, ec);
		EVP_PKEY_free(pkey);
		if (ok) {
			err = SAC_OK;
			break;
		}
	}
	cJSON_Delete(doc);
	if (err == SAC_OK) {
		return SAC_OK;
	}
	if (tried == 0) {
		sac_diag_set(diag, "no %s key with kid \"%s\" in the JWKS", kty,
		             kid != NULL ? kid : "");
	} else {
		sac_diag_set(diag, "the signature does not verify (%s)", alg);
	}
	return SAC_ETOKEN;
}
