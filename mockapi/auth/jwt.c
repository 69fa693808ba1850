/* SPDX-License-Identifier: MIT */
#include "auth/jwt.h"

#include <math.h> /* isfinite, signbit: macros, no libm */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>

#include "auth/jwt_int.h"

/* ES256: P-256 coordinates are 32 bytes; a JWS signature is R‖S. */
#define ES256_HALF    32
#define ES256_SIG_LEN 64
/* Largest integer a float64 holds exactly; time claims must fit. */
#define MAX_SAFE_INT 9007199254740992.0

struct mapi_jwt {
	enum mapi_jws_alg alg;
	cJSON *header;
	cJSON *claims;
	const char *kid;     /* inside header, or NULL */
	char *signing_input; /* "<header>.<payload>", NUL-terminated */
	size_t signing_input_len;
	uint8_t *sig;
	size_t sig_len;
};

static const char *const reason_names[MAPI_JWT_REASON_COUNT_] = {
	[MAPI_JWT_OK] = "MAPI_JWT_OK",
	[MAPI_JWT_MALFORMED] = "MAPI_JWT_MALFORMED",
	[MAPI_JWT_TOO_LARGE] = "MAPI_JWT_TOO_LARGE",
	[MAPI_JWT_BAD_BASE64] = "MAPI_JWT_BAD_BASE64",
	[MAPI_JWT_BAD_HEADER] = "MAPI_JWT_BAD_HEADER",
	[MAPI_JWT_ALG_NONE] = "MAPI_JWT_ALG_NONE",
	[MAPI_JWT_BAD_ALG] = "MAPI_JWT_BAD_ALG",
	[MAPI_JWT_UNKNOWN_CRIT] = "MAPI_JWT_UNKNOWN_CRIT",
	[MAPI_JWT_BAD_PAYLOAD] = "MAPI_JWT_BAD_PAYLOAD",
	[MAPI_JWT_KEY_MISMATCH] = "MAPI_JWT_KEY_MISMATCH",
	[MAPI_JWT_BAD_SIGNATURE] = "MAPI_JWT_BAD_SIGNATURE",
	[MAPI_JWT_EXPIRED] = "MAPI_JWT_EXPIRED",
	[MAPI_JWT_NOT_YET_VALID] = "MAPI_JWT_NOT_YET_VALID",
	[MAPI_JWT_ISSUED_IN_FUTURE] = "MAPI_JWT_ISSUED_IN_FUTURE",
	[MAPI_JWT_BAD_TIME_CLAIM] = "MAPI_JWT_BAD_TIME_CLAIM",
};

const char *
mapi_jwt_reason_name(enum mapi_jwt_reason r)
{
	if ((unsigned)r >= MAPI_JWT_REASON_COUNT_ || reason_names[r] == NULL) {
		return "MAPI_JWT_UNKNOWN_REASON";
	}
	return reason_names[r];
}

static void
set_reason(enum mapi_jwt_reason *out, enum mapi_jwt_reason r)
{
	if (out != NULL) {
		*out = r;
	}
}

/* ---- strict JSON objects --------------------------------------------- */

static bool
is_json_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* True if some object in the tree under item repeats a key. */
static bool
has_duplicate_keys(const cJSON *item)
{
	const cJSON *a;
	const cJSON *b;

	if (!cJSON_IsObject(item) && !cJSON_IsArray(item)) {
		return false;
	}
	for (a = item->child; a != NULL; a = a->next) {
		if (cJSON_IsObject(item)) {
			for (b = a->next; b != NULL; b = b->next) {
				if (strcmp(a->string, b->string) == 0) {
					return true;
				}
			}
		}
		if (has_duplicate_keys(a)) {
			return true;
		}
	}
	return false;
}

/*
 * Parses buf[0..len) as exactly one JSON object. cJSON is lenient where Go's
 * encoding/json is not, so first: no control bytes other than JSON
 * whitespace (cJSON skips any byte <= 0x20 as space), the first
 * non-space byte is '{' (no UTF-8 BOM), nothing but whitespace after the
 * value, and no key twice in any object (cJSON keeps duplicates; Go would
 * keep the last, a verifier and a reader could disagree).
 */
static enum mapi_err
parse_json_object(const uint8_t *buf, size_t len, cJSON **out)
{
	const char *end = NULL;
	cJSON *root = NULL;
	size_t i = 0;

	for (i = 0; i < len; i++) {
		if (buf[i] < 0x20 && !is_json_space(buf[i])) {
			return MAPI_EINVAL;
		}
	}
	for (i = 0; i < len && is_json_space(buf[i]); i++) {
	}
	if (i == len || buf[i] != '{') {
		return MAPI_EINVAL;
	}
	root = cJSON_ParseWithLengthOpts((const char *)buf, len, &end, 0);
	if (root == NULL) {
		/* cJSON reports allocation failure and bad input alike. */
		return MAPI_EINVAL;
	}
	i = (size_t)((const uint8_t *)end - buf);
	while (i < len && is_json_space(buf[i])) {
		i++;
	}
	if (i != len || !cJSON_IsObject(root) || has_duplicate_keys(root)) {
		cJSON_Delete(root);
		return MAPI_EINVAL;
	}
	*out = root;
	return MAPI_OK;
}

/* ---- Go-compatible serializer ---------------------------------------- */

struct sbuf {
	char *p;
	size_t len;
	size_t cap;
	enum mapi_err err;
};

/*
 * Room for n more bytes plus a NUL; NULL (sb->err set) on overflow of
 * MAPI_JWT_MAX_CLAIMS_JSON or ENOMEM. The caller writes the bytes at the
 * returned pointer and then adds n to sb->len.
 */
static char *
sb_reserve(struct sbuf *sb, size_t n)
{
	size_t cap;
	char *p;

	if (sb->err != MAPI_OK) {
		return NULL;
	}
	if (n > MAPI_JWT_MAX_CLAIMS_JSON - sb->len) {
		sb->err = MAPI_EINVAL;
		return NULL;
	}
	if (sb->len + n + 1 > sb->cap) {
		cap = sb->cap ? sb->cap : 256;
		while (cap < sb->len + n + 1) {
			cap *= 2;
		}
		p = realloc(sb->p, cap);
		if (p == NULL) {
			sb->err = MAPI_ENOMEM;
			return NULL;
		}
		sb->p = p;
		sb->cap = cap;
	}
	return sb->p + sb->len;
}

static void
sb_put(struct sbuf *sb, const char *s, size_t n)
{
	char *p = sb_reserve(sb, n);

	if (p == NULL) {
		return;
	}
	memcpy(p, s, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
}

static void
sb_puts(struct sbuf *sb, const char *s)
{
	sb_put(sb, s, strlen(s));
}

/* Length of a valid UTF-8 sequence at s (max n bytes), or 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t need;
	uint32_t cp;
	size_t i;

	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		need = 2;
		cp = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		need = 3;
		cp = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		need = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < need) {
		return 0;
	}
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			return 0;
		}
		cp = cp << 6 | (s[i] & 0x3F);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
		return 0;
	}
	return need;
}

/* Go encoding/json's string encoder with HTML escaping (its default). */
static void
put_string(struct sbuf *sb, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);
	size_t i = 0;
	char esc[8];

	sb_put(sb, "\"", 1);
	while (i < n) {
		unsigned char c = s[i];
		size_t l;

		/* A run of bytes that go out as they are, in one copy. */
		for (l = i; l < n && s[l] >= 0x20 && s[l] < 0x80 &&
		            s[l] != '"' && s[l] != '\\' && s[l] != '<' &&
		            s[l] != '>' && s[l] != '&';
		     l++) {
		}
		if (l > i) {
			sb_put(sb, (const char *)&s[i], l - i);
			i = l;
			continue;
		}
		if (c < 0x80) {
			if (c >= 0x20 && c != '"' && c != '\\' && c != '<' &&
			    c != '>' && c != '&') {
				sb_put(sb, (const char *)&s[i], 1);
			} else if (c == '"' || c == '\\') {
				esc[0] = '\\';
				esc[1] = (char)c;
				sb_put(sb, esc, 2);
			} else if (c == '\b' || c == '\f' || c == '\n' ||
			           c == '\r' || c == '\t') {
				const char *m = c == '\b'   ? "\\b"
				                : c == '\f' ? "\\f"
				                : c == '\n' ? "\\n"
				                : c == '\r' ? "\\r"
				                            : "\\t";
				sb_put(sb, m, 2);
			} else {
				(void)snprintf(esc, sizeof(esc), "\\u00%c%c",
				               hex[c >> 4], hex[c & 0xF]);
				sb_put(sb, esc, 6);
			}
			i++;
			continue;
		}
		l = utf8_len(&s[i], n - i);
		if (l == 0) {
			sb_puts(sb, "\\ufffd");
			i++;
		} else if (l == 3 && c == 0xE2 && s[i + 1] == 0x80 &&
		           (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
			sb_puts(sb, s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
			i += 3;
		} else {
			sb_put(sb, (const char *)&s[i], l);
			i += l;
		}
	}
	sb_put(sb, "\"", 1);
}

/*
 * Go's float64 encoding (encoding/json floatEncoder): the shortest decimal
 * that reads back as v; plain 'f' notation, or 'e' below 1e-6 and from
 * 1e21, with "e-07" shortened to "e-7". Integers thus print as integers.
 */
static bool
format_number(double v, char *out, size_t cap)
{
	char e[48];
	char digits[24] = { 0 };
	size_t nd = 0;
	int exp10;
	int prec;
	const char *p;
	double a = v < 0 ? -v : v;
	size_t o = 0;
	int k;

	if (!isfinite(v)) {
		return false;
	}
	if (a == 0) {
		(void)snprintf(out, cap, "%s", signbit(v) ? "-0" : "0");
		return true;
	}
	/* Integers below 2^53 (every claim time): their digits, which is
	 * what the search below ends with, without up to 17 printf/strtod
	 * round trips (7% of an ES256 TokenRequest's CPU). */
	if (a < 9007199254740992.0 && v == (double)(long long)v) {
		(void)snprintf(out, cap, "%lld", (long long)v);
		return true;
	}
	for (prec = 0; prec < 17; prec++) {
		(void)snprintf(e, sizeof(e), "%.*e", prec, a);
		if (strtod(e, NULL) == a) {
			break;
		}
	}
	for (p = e; *p != 'e'; p++) {
		if (*p != '.') {
			digits[nd++] = *p;
		}
	}
	exp10 = (int)strtol(p + 1, NULL, 10); /* "%e"'s own exponent */
	while (nd > 1 && digits[nd - 1] == '0') {
		nd--;
	}
	if (signbit(v)) {
		out[o++] = '-';
	}
	if (a < 1e-6 || a >= 1e21) {
		out[o++] = digits[0];
		if (nd > 1) {
			out[o++] = '.';
			memcpy(out + o, digits + 1, nd - 1);
			o += nd - 1;
		}
		(void)snprintf(
			out + o, cap - o, "e%c%s%d", exp10 < 0 ? '-' : '+',
			exp10 > -10 && exp10 < 10 && exp10 >= 0 ? "0" : "",
			abs(exp10));
		return true;
	}
	if (exp10 < 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (k = 0; k < -exp10 - 1; k++) {
			out[o++] = '0';
		}
		memcpy(out + o, digits, nd);
		o += nd;
	} else {
		for (k = 0; k <= exp10 || (size_t)k < nd; k++) {
			if (k == exp10 + 1) {
				out[o++] = '.';
			}
			out[o++] = (char)((size_t)k < nd ? digits[k] : '0');
		}
	}
	out[o] = '\0';
	return true;
}

static int
cmp_keys(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a;
	const cJSON *y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string); /* bytewise, as Go sorts */
}

static void put_value(struct sbuf *sb, const cJSON *item);

static void
put_object(struct sbuf *sb, const cJSON *obj)
{
	const cJSON **kids;
	const cJSON *c;
	size_t n = 0;
	size_t i;

	for (c = obj->child; c != NULL; c = c->next) {
		n++;
	}
	if (n == 0) {
		sb_put(sb, "{}", 2);
		return;
	}
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): T *[] */
	kids = malloc(n * sizeof(*kids));
	if (kids == NULL) {
		sb->err = MAPI_ENOMEM;
		return;
	}
	n = 0;
	for (c = obj->child; c != NULL; c = c->next) {
		kids[n++] = c;
	}
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): T *[] */
	qsort(kids, n, sizeof(*kids), cmp_keys);
	sb_put(sb, "{", 1);
	for (i = 0; i < n; i++) {
		if (i > 0 &&
		    strcmp(kids[i - 1]->string, kids[i]->string) == 0) {
			sb->err = sb->err != MAPI_OK ? sb->err : MAPI_EINVAL;
			break;
		}
		if (i > 0) {
			sb_put(sb, ",", 1);
		}
		put_string(sb, kids[i]->string);
		sb_put(sb, ":", 1);
		put_value(sb, kids[i]);
	}
	sb_put(sb, "}", 1);
	free(kids);
}

static void
put_value(struct sbuf *sb, const cJSON *item)
{
	char num[64];
	const cJSON *c;

	if (sb->err != MAPI_OK) {
		return;
	}
	if (cJSON_IsObject(item)) {
		put_object(sb, item);
	} else if (cJSON_IsArray(item)) {
		sb_put(sb, "[", 1);
		for (c = item->child; c != NULL; c = c->next) {
			if (c != item->child) {
				sb_put(sb, ",", 1);
			}
			put_value(sb, c);
		}
		sb_put(sb, "]", 1);
	} else if (cJSON_IsString(item) && item->valuestring != NULL) {
		put_string(sb, item->valuestring);
	} else if (cJSON_IsNumber(item)) {
		if (!format_number(item->valuedouble, num, sizeof(num))) {
			sb->err = MAPI_EINVAL;
			return;
		}
		sb_puts(sb, num);
	} else if (cJSON_IsTrue(item)) {
		sb_puts(sb, "true");
	} else if (cJSON_IsFalse(item)) {
		sb_puts(sb, "false");
	} else if (cJSON_IsNull(item)) {
		sb_puts(sb, "null");
	} else {
		sb->err = MAPI_EINVAL; /* raw or invalid items */
	}
}

enum mapi_err
mapi_jwt_serialize_claims(const struct cJSON *claims, char **out_json)
{
	struct sbuf sb = { 0 };

	if (claims == NULL || out_json == NULL) {
		return MAPI_EINVAL;
	}
	put_value(&sb, claims);
	if (sb.err != MAPI_OK) {
		free(sb.p);
		return sb.err;
	}
	*out_json = sb.p;
	return MAPI_OK;
}

/* ---- parse ------------------------------------------------------------ */

void
mapi_jwt_free(struct mapi_jwt *jwt)
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

/* Decodes a base64url part into a JSON object, mapping failures. */
static enum mapi_err
decode_json_part(const char *in, size_t len, enum mapi_jwt_reason bad_json,
                 cJSON **out, enum mapi_jwt_reason *reason)
{
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	enum mapi_err err;

	err = mapi_b64url_decode(in, len, &raw, &raw_len);
	if (err != MAPI_OK) {
		*reason = MAPI_JWT_BAD_BASE64;
		return err;
	}
	err = parse_json_object(raw, raw_len, out);
	if (err != MAPI_OK) {
		*reason = bad_json;
	}
	free(raw);
	return err;
}

/* Header rules 4-7 of the module comment. */
static enum mapi_err
check_header(struct mapi_jwt *jwt, unsigned allowed,
             enum mapi_jwt_reason *reason)
{
	const cJSON *alg = cJSON_GetObjectItemCaseSensitive(jwt->header, "alg");
	const cJSON *kid = cJSON_GetObjectItemCaseSensitive(jwt->header, "kid");
	enum mapi_jws_alg a;

	if (!cJSON_IsString(alg) || alg->valuestring == NULL ||
	    (kid != NULL && !cJSON_IsString(kid))) {
		*reason = MAPI_JWT_BAD_HEADER;
		return MAPI_EINVAL;
	}
	if (strcasecmp(alg->valuestring, "none") == 0) {
		*reason = MAPI_JWT_ALG_NONE;
		return MAPI_EINVAL;
	}
	/* HS256/384/512 and anything else unknown fall here: never HMAC. */
	a = mapi_jws_alg_parse(alg->valuestring);
	if (a == MAPI_JWS_NONE || (allowed & (unsigned)a) == 0) {
		*reason = MAPI_JWT_BAD_ALG;
		return MAPI_EINVAL;
	}
	/* RFC 7515 §4.1.11: we implement no extension, so any crit fails. */
	if (cJSON_GetObjectItemCaseSensitive(jwt->header, "crit") != NULL) {
		*reason = MAPI_JWT_UNKNOWN_CRIT;
		return MAPI_EINVAL;
	}
	jwt->alg = a;
	jwt->kid = kid != NULL ? kid->valuestring : NULL;
	return MAPI_OK;
}

enum mapi_err
mapi_jwt_parse(const char *token, size_t len,
               const struct mapi_jwt_policy *policy, struct mapi_jwt **out_jwt,
               enum mapi_jwt_reason *out_reason)
{
	struct mapi_jwt *jwt = NULL;
	enum mapi_jwt_reason reason = MAPI_JWT_MALFORMED;
	enum mapi_err err = MAPI_EINVAL;
	size_t max_len;
	const char *d1;
	const char *d2;
	const char *end;

	if (token == NULL || policy == NULL || out_jwt == NULL) {
		return MAPI_EINVAL;
	}
	max_len = policy->max_len ? policy->max_len : MAPI_JWT_DEFAULT_MAX_LEN;
	if (len > max_len) {
		reason = MAPI_JWT_TOO_LARGE;
		goto out;
	}
	end = token + len;
	d1 = len > 0 ? memchr(token, '.', len) : NULL;
	d2 = d1 != NULL ? memchr(d1 + 1, '.', (size_t)(end - d1 - 1)) : NULL;
	if (len == 0 || token[0] == '{' || d1 == NULL || d2 == NULL ||
	    memchr(d2 + 1, '.', (size_t)(end - d2 - 1)) != NULL ||
	    d1 == token || d2 == d1 + 1) {
		reason = MAPI_JWT_MALFORMED;
		goto out;
	}
	jwt = calloc(1, sizeof(*jwt));
	if (jwt == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	err = decode_json_part(token, (size_t)(d1 - token), MAPI_JWT_BAD_HEADER,
	                       &jwt->header, &reason);
	if (err != MAPI_OK) {
		goto out;
	}
	err = check_header(jwt, policy->algs, &reason);
	if (err != MAPI_OK) {
		goto out;
	}
	err = decode_json_part(d1 + 1, (size_t)(d2 - d1 - 1),
	                       MAPI_JWT_BAD_PAYLOAD, &jwt->claims, &reason);
	if (err != MAPI_OK) {
		goto out;
	}
	if (d2 + 1 == end) {
		reason = MAPI_JWT_MALFORMED;
		err = MAPI_EINVAL;
		goto out;
	}
	err = mapi_b64url_decode(d2 + 1, (size_t)(end - d2 - 1), &jwt->sig,
	                         &jwt->sig_len);
	if (err != MAPI_OK) {
		reason = MAPI_JWT_BAD_BASE64;
		goto out;
	}
	jwt->signing_input_len = (size_t)(d2 - token);
	jwt->signing_input = malloc(jwt->signing_input_len + 1);
	if (jwt->signing_input == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	memcpy(jwt->signing_input, token, jwt->signing_input_len);
	jwt->signing_input[jwt->signing_input_len] = '\0';
	*out_jwt = jwt;
	jwt = NULL;
	reason = MAPI_JWT_OK;
	err = MAPI_OK;
out:
	if (err == MAPI_OK || err == MAPI_EINVAL) {
		set_reason(out_reason, reason);
	}
	mapi_jwt_free(jwt);
	return err;
}

enum mapi_jws_alg
mapi_jwt_alg(const struct mapi_jwt *jwt)
{
	return jwt != NULL ? jwt->alg : MAPI_JWS_NONE;
}

const char *
mapi_jwt_kid(const struct mapi_jwt *jwt)
{
	return jwt != NULL ? jwt->kid : NULL;
}

const struct cJSON *
mapi_jwt_claims(const struct mapi_jwt *jwt)
{
	return jwt != NULL ? jwt->claims : NULL;
}

const struct cJSON *
mapi_jwt_header(const struct mapi_jwt *jwt)
{
	return jwt != NULL ? jwt->header : NULL;
}

/* ---- crypto ------------------------------------------------------------ */

/* True if key can do alg: any RSA key for RS256, a P-256 key for ES256. */
static bool
key_fits(enum mapi_jws_alg alg, EVP_PKEY *key)
{
	char group[64];
	size_t glen = 0;

	if (alg == MAPI_JWS_RS256) {
		return EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
	}
	if (alg == MAPI_JWS_ES256) {
		return EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
		       EVP_PKEY_get_utf8_string_param(
			       key, OSSL_PKEY_PARAM_GROUP_NAME, group,
			       sizeof(group), &glen) == 1 &&
		       strcmp(group, SN_X9_62_prime256v1) == 0;
	}
	return false;
}

enum mapi_err
mapi_jwt_es256_raw_to_der(const uint8_t *raw, uint8_t **out_der,
                          size_t *out_len)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, ES256_HALF, NULL);
	BIGNUM *s = BN_bin2bn(raw + ES256_HALF, ES256_HALF, NULL);
	unsigned char *buf = NULL;
	enum mapi_err err = MAPI_ENOMEM;
	int n;

	if (sig == NULL || r == NULL || s == NULL ||
	    ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	/* sig owns r and s now. */
	n = i2d_ECDSA_SIG(sig, &buf);
	if (n <= 0) {
		err = MAPI_ECRYPTO;
		goto out;
	}
	*out_der = buf;
	*out_len = (size_t)n;
	err = MAPI_OK;
out:
	ECDSA_SIG_free(sig);
	ERR_clear_error();
	return err;
}

enum mapi_err
mapi_jwt_es256_der_to_raw(const uint8_t *der, size_t der_len, uint8_t *raw)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = NULL;
	const BIGNUM *r = NULL;
	const BIGNUM *s = NULL;
	uint8_t tmp[ES256_SIG_LEN];
	enum mapi_err err = MAPI_EINVAL;

	if (der == NULL || der_len > 1024) {
		goto out;
	}
	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	/* Exactly one DER value, nothing after it. */
	if (sig == NULL || p != der + der_len) {
		goto out;
	}
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, tmp, ES256_HALF) != ES256_HALF ||
	    BN_bn2binpad(s, tmp + ES256_HALF, ES256_HALF) != ES256_HALF) {
		goto out;
	}
	memcpy(raw, tmp, sizeof(tmp));
	err = MAPI_OK;
out:
	ECDSA_SIG_free(sig);
	ERR_clear_error();
	return err;
}

enum mapi_err
mapi_jwt_verify(const struct mapi_jwt *jwt, struct evp_pkey_st *key,
                enum mapi_jwt_reason *out_reason)
{
	return mapi_jwt_verify_tmpl(jwt, key, NULL, out_reason);
}

/* A fresh context: a copy of tmpl, else initialised for key. */
static EVP_MD_CTX *
digest_ctx(const EVP_MD_CTX *tmpl, EVP_PKEY *key, bool sign, bool *oom)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	*oom = ctx == NULL;
	if (ctx == NULL) {
		return NULL;
	}
	if (tmpl != NULL) {
		ok = EVP_MD_CTX_copy_ex(ctx, tmpl);
	} else if (sign) {
		ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key);
	} else {
		ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key);
	}
	if (ok != 1) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

enum mapi_err
mapi_jwt_verify_tmpl(const struct mapi_jwt *jwt, struct evp_pkey_st *key,
                     const struct evp_md_ctx_st *tmpl,
                     enum mapi_jwt_reason *out_reason)
{
	bool oom;
	EVP_MD_CTX *ctx = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	const uint8_t *sig;
	size_t sig_len;
	enum mapi_jwt_reason reason = MAPI_JWT_BAD_SIGNATURE;
	enum mapi_err err = MAPI_EINVAL;
	int pk_size;

	if (jwt == NULL || key == NULL) {
		return MAPI_EINVAL;
	}
	ERR_clear_error();
	if (!key_fits(jwt->alg, key)) {
		reason = MAPI_JWT_KEY_MISMATCH;
		goto out;
	}
	sig = jwt->sig;
	sig_len = jwt->sig_len;
	if (jwt->alg == MAPI_JWS_RS256) {
		/* RFC 7518 §3.3 / RFC 8017 §8.2.2: exactly k octets. */
		pk_size = EVP_PKEY_get_size(key);
		if (pk_size <= 0 || sig_len != (size_t)pk_size) {
			goto out;
		}
	} else {
		/* RFC 7518 §3.4: R‖S, 64 octets; DER is not a JWS signature. */
		if (sig_len != ES256_SIG_LEN) {
			goto out;
		}
		err = mapi_jwt_es256_raw_to_der(sig, &der, &der_len);
		if (err != MAPI_OK) {
			goto out;
		}
		sig = der;
		sig_len = der_len;
	}
	ctx = digest_ctx(tmpl, key, false, &oom);
	if (ctx == NULL) {
		err = oom ? MAPI_ENOMEM : MAPI_ECRYPTO;
		goto out;
	}
	/* Any result but 1 is a bad signature: the input is the attacker's. */
	if (EVP_DigestVerify(ctx, sig, sig_len,
	                     (const unsigned char *)jwt->signing_input,
	                     jwt->signing_input_len) != 1) {
		err = MAPI_EINVAL;
		goto out;
	}
	reason = MAPI_JWT_OK;
	err = MAPI_OK;
out:
	if (err == MAPI_OK || err == MAPI_EINVAL) {
		set_reason(out_reason, reason);
	}
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ERR_clear_error();
	return err;
}

/* A present time claim as an integer; false if not an integral number. */
static bool
get_time_claim(const cJSON *claims, const char *name, bool *present,
               int64_t *out)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(claims, name);
	double v;

	*present = c != NULL;
	if (c == NULL) {
		return true;
	}
	if (!cJSON_IsNumber(c)) {
		return false;
	}
	v = c->valuedouble;
	/* The range check first, so the cast below is defined. */
	if (!isfinite(v) || v > MAX_SAFE_INT || v < -MAX_SAFE_INT ||
	    v != (double)(int64_t)v) {
		return false;
	}
	*out = (int64_t)v;
	return true;
}

/* a + b clamped to the int64 range. */
static int64_t
sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r)) {
		return b > 0 ? INT64_MAX : INT64_MIN;
	}
	return r;
}

enum mapi_err
mapi_jwt_check_times(const struct cJSON *claims, int64_t now, int64_t leeway,
                     enum mapi_jwt_reason *out_reason)
{
	bool has_exp;
	bool has_nbf;
	bool has_iat;
	int64_t exp = 0;
	int64_t nbf = 0;
	int64_t iat = 0;
	enum mapi_jwt_reason reason = MAPI_JWT_OK;

	if (!cJSON_IsObject(claims) || leeway < 0) {
		return MAPI_EINVAL;
	}
	if (!get_time_claim(claims, "exp", &has_exp, &exp) ||
	    !get_time_claim(claims, "nbf", &has_nbf, &nbf) ||
	    !get_time_claim(claims, "iat", &has_iat, &iat)) {
		reason = MAPI_JWT_BAD_TIME_CLAIM;
	} else if (has_nbf && sat_add(now, leeway) < nbf) {
		reason = MAPI_JWT_NOT_YET_VALID;
	} else if (has_exp && sat_add(now, -leeway) > exp) {
		reason = MAPI_JWT_EXPIRED;
	} else if (has_iat && sat_add(now, leeway) < iat) {
		reason = MAPI_JWT_ISSUED_IN_FUTURE;
	}
	set_reason(out_reason, reason);
	return reason == MAPI_JWT_OK ? MAPI_OK : MAPI_EINVAL;
}

static enum mapi_err sign_input(enum mapi_jws_alg alg, EVP_PKEY *key,
                                const EVP_MD_CTX *tmpl, const char *input,
                                size_t input_len, uint8_t **out_sig,
                                size_t *out_len);

enum mapi_err
mapi_jwt_sign_input(enum mapi_jws_alg alg, struct evp_pkey_st *key,
                    const char *input, size_t input_len, uint8_t **out_sig,
                    size_t *out_len)
{
	return sign_input(alg, key, NULL, input, input_len, out_sig, out_len);
}

static enum mapi_err sign_fitted(enum mapi_jws_alg alg, EVP_PKEY *key,
                                 const EVP_MD_CTX *tmpl, const char *input,
                                 size_t input_len, uint8_t **out_sig,
                                 size_t *out_len);

static enum mapi_err
sign_input(enum mapi_jws_alg alg, EVP_PKEY *key, const EVP_MD_CTX *tmpl,
           const char *input, size_t input_len, uint8_t **out_sig,
           size_t *out_len)
{
	enum mapi_err err = MAPI_EINVAL;

	if (key == NULL || input == NULL || out_sig == NULL ||
	    out_len == NULL) {
		return MAPI_EINVAL;
	}
	ERR_clear_error();
	if (key_fits(alg, key)) {
		err = sign_fitted(alg, key, tmpl, input, input_len, out_sig,
		                  out_len);
	}
	ERR_clear_error();
	return err;
}

/*
 * sign_input for a key already checked with key_fits. One EVP_DigestSign
 * into a buffer of EVP_PKEY_get_size() bytes (the largest signature the
 * key makes: no size query first); ES256's DER is turned into R||S in
 * place.
 */
static enum mapi_err
sign_fitted(enum mapi_jws_alg alg, EVP_PKEY *key, const EVP_MD_CTX *tmpl,
            const char *input, size_t input_len, uint8_t **out_sig,
            size_t *out_len)
{
	bool oom;
	EVP_MD_CTX *ctx = NULL;
	uint8_t *sig = NULL;
	uint8_t raw[ES256_SIG_LEN];
	int max_len = EVP_PKEY_get_size(key);
	size_t sig_len;
	enum mapi_err err = MAPI_ECRYPTO;

	if (max_len <= 0) {
		goto out;
	}
	sig_len = (size_t)max_len;
	sig = malloc(sig_len);
	if (sig == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	ctx = digest_ctx(tmpl, key, true, &oom);
	if (ctx == NULL) {
		err = oom ? MAPI_ENOMEM : MAPI_ECRYPTO;
		goto out;
	}
	if (EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)input,
	                   input_len) != 1) {
		goto out;
	}
	if (alg == MAPI_JWS_ES256) {
		if (mapi_jwt_es256_der_to_raw(sig, sig_len, raw) != MAPI_OK) {
			goto out; /* our own signer's output: ECRYPTO */
		}
		memcpy(sig, raw, sizeof(raw)); /* max_len >= 64 for P-256 */
		sig_len = ES256_SIG_LEN;
	}
	*out_sig = sig;
	*out_len = sig_len;
	sig = NULL;
	err = MAPI_OK;
out:
	free(sig);
	EVP_MD_CTX_free(ctx);
	return err;
}

/* Appends base64url(data) to sb. */
static void
sb_put_b64(struct sbuf *sb, const uint8_t *data, size_t n)
{
	size_t m = mapi_b64url_encoded_len(n);
	char *p = sb_reserve(sb, m);

	if (p == NULL) {
		return;
	}
	sb->len += mapi_b64url_encode(data, n, p); /* NUL-terminates */
}

enum mapi_err
mapi_jwt_sign(enum mapi_jws_alg alg, struct evp_pkey_st *key, const char *kid,
              const struct cJSON *claims, char **out_token)
{
	return mapi_jwt_sign_tmpl(alg, key, NULL, kid, claims, out_token);
}

enum mapi_err
mapi_jwt_sign_tmpl(enum mapi_jws_alg alg, struct evp_pkey_st *key,
                   const struct evp_md_ctx_st *tmpl, const char *kid,
                   const struct cJSON *claims, char **out_token)
{
	struct sbuf hdr = { 0 };
	struct sbuf body = { 0 };
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	struct sbuf sb = { 0 };
	enum mapi_err err = MAPI_EINVAL;

	if (key == NULL || claims == NULL || out_token == NULL ||
	    mapi_jws_alg_name(alg) == NULL) {
		return MAPI_EINVAL;
	}
	ERR_clear_error();
	if (!key_fits(alg, key)) {
		goto out;
	}
	/* {"alg":..,"kid":..}: what serializing that object gives (sorted
	 * keys, Go's escaping), without building it. */
	sb_put(&hdr, "{\"alg\":", 7);
	put_string(&hdr, mapi_jws_alg_name(alg));
	if (kid != NULL) {
		sb_put(&hdr, ",\"kid\":", 7);
		put_string(&hdr, kid);
	}
	sb_put(&hdr, "}", 1);
	err = hdr.err;
	if (err != MAPI_OK) {
		goto out;
	}
	put_value(&body, claims);
	err = body.err;
	if (err != MAPI_OK) {
		goto out;
	}
	sb_put_b64(&sb, (const uint8_t *)hdr.p, hdr.len);
	sb_put(&sb, ".", 1);
	sb_put_b64(&sb, (const uint8_t *)body.p, body.len);
	err = sb.err;
	if (err != MAPI_OK) {
		goto out;
	}
	err = sign_fitted(alg, key, tmpl, sb.p, sb.len, &sig, &sig_len);
	if (err != MAPI_OK) {
		goto out;
	}
	sb_put(&sb, ".", 1);
	sb_put_b64(&sb, sig, sig_len);
	err = sb.err;
	if (err != MAPI_OK) {
		goto out;
	}
	*out_token = sb.p;
	sb.p = NULL;
out:
	free(sb.p);
	free(sig);
	free(body.p);
	free(hdr.p);
	ERR_clear_error();
	return err;
}

/* ---- SipHash-2-4-128 ---------------------------------------------------- */

static uint64_t
sip_load64(const uint8_t *p)
{
	return (uint64_t)p[0] | ((uint64_t)p[1] << 8) |
	       ((uint64_t)p[2] << 16) | ((uint64_t)p[3] << 24) |
	       ((uint64_t)p[4] << 32) | ((uint64_t)p[5] << 40) |
	       ((uint64_t)p[6] << 48) | ((uint64_t)p[7] << 56);
}

static void
sip_store64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

#define SIP_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

struct sip {
	uint64_t v0, v1, v2, v3;
	uint8_t buf[8];
	size_t buf_len;
	uint64_t total;
};

static void
sip_round(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = SIP_ROTL(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = SIP_ROTL(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = SIP_ROTL(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = SIP_ROTL(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = SIP_ROTL(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = SIP_ROTL(s->v2, 32);
}

static void
sip_block(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

static void
sip_update(struct sip *s, const uint8_t *p, size_t n)
{
	s->total += n;
	if (s->buf_len > 0) {
		while (n > 0 && s->buf_len < 8) {
			s->buf[s->buf_len++] = *p++;
			n--;
		}
		if (s->buf_len < 8) {
			return;
		}
		sip_block(s, sip_load64(s->buf));
		s->buf_len = 0;
	}
	for (; n >= 8; p += 8, n -= 8) {
		sip_block(s, sip_load64(p));
	}
	memcpy(s->buf, p, n);
	s->buf_len = n;
}

void
mapi_jwt_siphash128(const uint8_t key[MAPI_JWT_SIPHASH_KEY_LEN],
                    const void *const *parts, const size_t *lens,
                    size_t n_parts, uint8_t out[MAPI_JWT_SIPHASH_LEN])
{
	uint64_t k0 = sip_load64(key);
	uint64_t k1 = sip_load64(key + 8);
	struct sip s = {
		.v0 = k0 ^ UINT64_C(0x736f6d6570736575),
		.v1 = k1 ^ UINT64_C(0x646f72616e646f6d) ^ 0xee, /* 128-bit */
		.v2 = k0 ^ UINT64_C(0x6c7967656e657261),
		.v3 = k1 ^ UINT64_C(0x7465646279746573),
	};
	uint64_t b;
	size_t i;

	for (i = 0; i < n_parts; i++) {
		if (lens[i] > 0) {
			sip_update(&s, parts[i], lens[i]);
		}
	}
	b = s.total << 56;
	for (i = 0; i < s.buf_len; i++) {
		b |= (uint64_t)s.buf[i] << (8 * i);
	}
	sip_block(&s, b);
	s.v2 ^= 0xee;
	for (i = 0; i < 4; i++) {
		sip_round(&s);
	}
	sip_store64(out, s.v0 ^ s.v1 ^ s.v2 ^ s.v3);
	s.v1 ^= 0xdd;
	for (i = 0; i < 4; i++) {
		sip_round(&s);
	}
	sip_store64(out + 8, s.v0 ^ s.v1 ^ s.v2 ^ s.v3);
}
