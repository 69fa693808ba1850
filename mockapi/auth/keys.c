/* SPDX-License-Identifier: MIT */
#include "auth/keys.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fileio.h"

#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 8192
#define P256_BYTES   32

struct mapi_key {
	atomic_uint refs;
	EVP_PKEY *pkey;
	enum mapi_jws_alg alg;
	bool priv;
	char kid[MAPI_KEY_KID_LEN + 1];
	char *jwk; /* compact JWK, computed once */
	EVP_MD_CTX *verify_ctx; /* initialised once; copied per use */
	EVP_MD_CTX *sign_ctx;   /* private keys only */
};

struct mapi_keyset {
	pthread_rwlock_t lock;
	struct mapi_key *keys[MAPI_KEYSET_MAX]; /* insertion order */
	size_t n;
	struct mapi_key *active; /* one of keys[], or NULL */
};

bool
mapi_crypto_init(void)
{
	const char *conf = getenv("OPENSSL_CONF");
	uint64_t opts = conf != NULL && *conf != '\0'
	                        ? OPENSSL_INIT_LOAD_CONFIG
	                        : OPENSSL_INIT_NO_LOAD_CONFIG;

	return OPENSSL_init_crypto(opts, NULL) == 1;
}

/*
 * Appends the first queued OpenSSL reason to diag ("<what>: <reason>") and
 * empties the thread's error queue, so nothing leaks into a later call.
 */
static void
diag_ossl(struct mapi_diag *diag, const char *what)
{
	unsigned long e = ERR_peek_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (reason != NULL) {
		mapi_diag_set(diag, "%s: %s", what, reason);
	} else {
		mapi_diag_set(diag, "%s", what);
	}
	ERR_clear_error();
}

/* AlgorithmIdentifier rsaEncryption (NULL parameters). */
static const unsigned char alg_rsa[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a,
	                                 0x86, 0x48, 0x86, 0xf7, 0x0d,
	                                 0x01, 0x01, 0x01, 0x05, 0x00 };
/* AlgorithmIdentifier id-ecPublicKey, namedCurve prime256v1. */
static const unsigned char alg_p256[] = { 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86,
	                                  0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
	                                  0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
	                                  0x03, 0x01, 0x07 };
/* Room for an RSA-8192 SubjectPublicKeyInfo. */
#define SPKI_MAX 1200

/* Writes a DER tag and definite length (if out); returns their size. */
static size_t
der_hdr(unsigned char *out, unsigned char tag, size_t len)
{
	size_t n = len < 0x80 ? 2 : len < 0x100 ? 3 : 4;

	if (out != NULL) {
		out[0] = tag;
		if (n == 2) {
			out[1] = (unsigned char)len;
		} else if (n == 3) {
			out[1] = 0x81;
			out[2] = (unsigned char)len;
		} else {
			out[1] = 0x82;
			out[2] = (unsigned char)(len >> 8);
			out[3] = (unsigned char)len;
		}
	}
	return n;
}

/* A positive INTEGER's content length: a 0 byte before a high bit. */
static size_t
der_uint_len(const BIGNUM *bn)
{
	return (size_t)BN_num_bytes(bn) + (BN_num_bits(bn) % 8 == 0 ? 1 : 0);
}

static unsigned char *
der_put_uint(unsigned char *p, const BIGNUM *bn)
{
	size_t len = der_uint_len(bn);

	p += der_hdr(p, 0x02, len);
	if (len > (size_t)BN_num_bytes(bn)) {
		*p++ = 0x00;
	}
	return p + BN_bn2bin(bn, p);
}

/*
 * The DER SubjectPublicKeyInfo of an RSA (a = n, b = e) or P-256 (a = x,
 * b = y, uncompressed point) public key — what i2d_PUBKEY writes, built
 * directly rather than through OpenSSL's encoder chain. Returns the length
 * (0 if it does not fit).
 */
static size_t
spki_der(enum mapi_jws_alg alg, const BIGNUM *a, const BIGNUM *b,
         unsigned char out[SPKI_MAX])
{
	unsigned char *p = out;
	size_t ints;
	size_t seq;
	size_t bits;
	size_t body;

	if (out == NULL) {
		return 0;
	}
	if (alg != MAPI_JWS_RS256) {
		static const unsigned char bits_hdr[] = { 0x03, 0x42, 0x00,
			                                  0x04 };

		p += der_hdr(p, 0x30,
		             sizeof(alg_p256) + sizeof(bits_hdr) +
		                     (size_t)2 * P256_BYTES);
		memcpy(p, alg_p256, sizeof(alg_p256));
		p += sizeof(alg_p256);
		memcpy(p, bits_hdr, sizeof(bits_hdr));
		p += sizeof(bits_hdr);
		if (BN_bn2binpad(a, p, P256_BYTES) != P256_BYTES ||
		    BN_bn2binpad(b, p + P256_BYTES, P256_BYTES) != P256_BYTES) {
			return 0;
		}
		return (size_t)(p - out) + (size_t)2 * P256_BYTES;
	}
	ints = der_hdr(NULL, 0x02, der_uint_len(a)) + der_uint_len(a) +
	       der_hdr(NULL, 0x02, der_uint_len(b)) + der_uint_len(b);
	seq = der_hdr(NULL, 0x30, ints) + ints;
	bits = der_hdr(NULL, 0x03, 1 + seq) + 1 + seq;
	body = sizeof(alg_rsa) + bits;
	if (der_hdr(NULL, 0x30, body) + body > SPKI_MAX) {
		return 0;
	}
	p += der_hdr(p, 0x30, body);
	memcpy(p, alg_rsa, sizeof(alg_rsa));
	p += sizeof(alg_rsa);
	p += der_hdr(p, 0x03, 1 + seq);
	*p++ = 0x00;
	p += der_hdr(p, 0x30, ints);
	p = der_put_uint(p, a);
	p = der_put_uint(p, b);
	return (size_t)(p - out);
}

/* base64url(SHA-256(DER SubjectPublicKeyInfo)), as keyIDFromPublicKey. */
static enum mapi_err
compute_kid(enum mapi_jws_alg alg, const BIGNUM *a, const BIGNUM *b,
            char kid[MAPI_KEY_KID_LEN + 1])
{
	unsigned char der[SPKI_MAX];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	size_t der_len = spki_der(alg, a, b, der);

	if (der_len == 0 ||
	    EVP_Digest(der, der_len, md, &md_len, EVP_sha256(), NULL) != 1 ||
	    md_len != 32) {
		return MAPI_ECRYPTO;
	}
	(void)mapi_b64url_encode(md, md_len, kid);
	return MAPI_OK;
}

/* base64url of a BIGNUM, big-endian, padded on the left to `pad` bytes. */
static char *
bn_b64url(const BIGNUM *bn, int pad)
{
	int len = pad > 0 ? pad : BN_num_bytes(bn);
	unsigned char *bin;
	char *out = NULL;

	if (len <= 0 || len > RSA_MAX_BITS / 8) {
		return NULL;
	}
	bin = malloc((size_t)len);
	if (bin == NULL) {
		return NULL;
	}
	if ((pad > 0 ? BN_bn2binpad(bn, bin, pad) : BN_bn2bin(bn, bin)) ==
	    len) {
		out = mapi_b64url_encode_dup(bin, (size_t)len);
	}
	free(bin);
	return out;
}

/*
 * The kid, then the JWK in go-jose's member order (use, kty, kid, crv, alg,
 * x, y, n, e), which is what kube-apiserver's /openid/v1/jwks shows.
 */
static enum mapi_err
compute_kid_jwk(struct mapi_key *key)
{
	const char *na = key->alg == MAPI_JWS_RS256 ? OSSL_PKEY_PARAM_RSA_N
	                                            : OSSL_PKEY_PARAM_EC_PUB_X;
	const char *nb = key->alg == MAPI_JWS_RS256 ? OSSL_PKEY_PARAM_RSA_E
	                                            : OSSL_PKEY_PARAM_EC_PUB_Y;
	int pad = key->alg == MAPI_JWS_RS256 ? 0 : P256_BYTES;
	BIGNUM *a = NULL;
	BIGNUM *b = NULL;
	char *sa = NULL;
	char *sb = NULL;
	char *jwk = NULL;
	size_t n;
	enum mapi_err err = MAPI_ECRYPTO;

	if (EVP_PKEY_get_bn_param(key->pkey, na, &a) != 1 ||
	    EVP_PKEY_get_bn_param(key->pkey, nb, &b) != 1 ||
	    compute_kid(key->alg, a, b, key->kid) != MAPI_OK) {
		goto out;
	}
	sa = bn_b64url(a, pad);
	sb = bn_b64url(b, pad);
	if (sa == NULL || sb == NULL) {
		goto out;
	}
	n = strlen(sa) + strlen(sb) + MAPI_KEY_KID_LEN + 128;
	jwk = malloc(n);
	if (jwk == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	if (key->alg == MAPI_JWS_RS256) {
		(void)snprintf(
			jwk, n,
			"{\"use\":\"sig\",\"kty\":\"RSA\",\"kid\":\"%s\","
			"\"alg\":\"RS256\",\"n\":\"%s\",\"e\":\"%s\"}",
			key->kid, sa, sb);
	} else {
		(void)snprintf(jwk, n,
		               "{\"use\":\"sig\",\"kty\":\"EC\",\"kid\":\"%s\","
		               "\"crv\":\"P-256\",\"alg\":\"ES256\","
		               "\"x\":\"%s\",\"y\":\"%s\"}",
		               key->kid, sa, sb);
	}
	key->jwk = jwk;
	jwk = NULL;
	err = MAPI_OK;
out:
	BN_free(a);
	BN_free(b);
	free(sa);
	free(sb);
	free(jwk);
	ERR_clear_error();
	return err;
}

/*
 * Checks the key is one kube-apiserver would sign with and mockapi
 * supports, and returns its alg; MAPI_JWS_NONE (with diag) otherwise.
 */
static enum mapi_jws_alg
classify(EVP_PKEY *pkey, struct mapi_diag *diag)
{
	char group[64] = "";
	int bits = EVP_PKEY_get_bits(pkey);

	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		if (bits < RSA_MIN_BITS) {
			mapi_diag_set(
				diag,
				"RSA key of %d bits is too weak: at least "
				"%d bits are required",
				bits, RSA_MIN_BITS);
			return MAPI_JWS_NONE;
		}
		if (bits > RSA_MAX_BITS) {
			mapi_diag_set(diag,
			              "RSA key of %d bits is not supported: at "
			              "most %d bits",
			              bits, RSA_MAX_BITS);
			return MAPI_JWS_NONE;
		}
		return MAPI_JWS_RS256;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), NULL) !=
		    1) {
			(void)snprintf(group, sizeof(group), "%s",
			               "explicit parameters");
		}
		ERR_clear_error();
		if (strcmp(group, "prime256v1") != 0) {
			mapi_diag_set(
				diag,
				"EC key on curve %s is not supported: only "
				"P-256 (prime256v1) is",
				group);
			return MAPI_JWS_NONE;
		}
		return MAPI_JWS_ES256;
	default:
		mapi_diag_set(diag,
		              "%s keys are not supported: only RSA (>= %d "
		              "bits) and EC P-256",
		              EVP_PKEY_get0_type_name(pkey) != NULL
		                      ? EVP_PKEY_get0_type_name(pkey)
		                      : "this type of",
		              RSA_MIN_BITS);
		return MAPI_JWS_NONE;
	}
}

/* Wraps pkey (ownership moves in on success and on failure alike). */
/* The per-key SHA-256 contexts; a failure leaves NULL (see keys.h). */
static void
make_templates(struct mapi_key *key)
{
	key->verify_ctx = EVP_MD_CTX_new();
	if (key->verify_ctx != NULL &&
	    EVP_DigestVerifyInit(key->verify_ctx, NULL, EVP_sha256(), NULL,
	                         key->pkey) != 1) {
		EVP_MD_CTX_free(key->verify_ctx);
		key->verify_ctx = NULL;
	}
	if (!key->priv) {
		return;
	}
	key->sign_ctx = EVP_MD_CTX_new();
	if (key->sign_ctx != NULL &&
	    EVP_DigestSignInit(key->sign_ctx, NULL, EVP_sha256(), NULL,
	                       key->pkey) != 1) {
		EVP_MD_CTX_free(key->sign_ctx);
		key->sign_ctx = NULL;
	}
	ERR_clear_error();
}

static enum mapi_err
key_wrap(EVP_PKEY *pkey, bool priv, struct mapi_key **out_key,
         struct mapi_diag *diag)
{
	struct mapi_key *key = NULL;
	enum mapi_jws_alg alg;
	enum mapi_err err = MAPI_EINVAL;

	alg = classify(pkey, diag);
	if (alg == MAPI_JWS_NONE) {
		goto out;
	}
	key = calloc(1, sizeof(*key));
	if (key == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	atomic_init(&key->refs, 1);
	key->pkey = pkey;
	pkey = NULL;
	key->alg = alg;
	key->priv = priv;
	err = compute_kid_jwk(key);
	if (err != MAPI_OK) {
		mapi_diag_set(diag, "cannot derive the kid/JWK of the key");
		goto out;
	}
	make_templates(key);
	*out_key = key;
	key = NULL;
out:
	EVP_PKEY_free(pkey);
	mapi_key_unref(key);
	ERR_clear_error();
	return err;
}

enum mapi_err
mapi_key_generate(enum mapi_key_type type, struct mapi_key **out_key)
{
	EVP_PKEY *pkey = NULL;

	switch (type) {
	case MAPI_KEY_RSA2048:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case MAPI_KEY_P256:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	default:
		return MAPI_EINVAL;
	}
	if (pkey == NULL) {
		ERR_clear_error();
		return MAPI_ECRYPTO;
	}
	return key_wrap(pkey, true, out_key, NULL);
}

/*
 * ---- the common case, decoded directly ----------------------------------
 *
 * OpenSSL 3.0's generic decoder (EVP_PKCS82PKEY, d2i_PrivateKey) builds a
 * chain out of every decoder of every provider for each key: ~4 M
 * instructions and ~1 MB of resident library code at start-up, for the one
 * PEM form mockapi itself writes (mapi_key_save_private: "PRIVATE KEY",
 * PKCS#8 v1 without attributes, holding an RSAPrivateKey or a P-256
 * ECPrivateKey with its public point). That form is read here with a
 * strict DER reader and handed to the key manager as parameters
 * (EVP_PKEY_fromdata). Anything else — other labels, PEM headers, BER
 * leniency, other algorithms or curves, a missing public point, trailing
 * text — returns NULL and takes the general path below, which decides
 * (and words) acceptance exactly as before. Both paths end in the same
 * consistency checks.
 */

struct der {
	const unsigned char *p;
	size_t n;
};

/* Takes one TLV with this tag off the front of d (DER lengths only). */
static bool
der_take(struct der *d, unsigned char tag, struct der *val)
{
	size_t len;
	size_t hdr = 2;

	if (d->n < 2 || d->p[0] != tag) {
		return false;
	}
	len = d->p[1];
	if (len & 0x80) {
		size_t nb = len & 0x7f;
		size_t i;

		if (nb == 0 || nb > 3 || d->n < 2 + nb || d->p[2] == 0) {
			return false;
		}
		len = 0;
		for (i = 0; i < nb; i++) {
			len = (len << 8) | d->p[2 + i];
		}
		if (len < 0x80) {
			return false;
		}
		hdr += nb;
	}
	if (d->n - hdr < len) {
		return false;
	}
	val->p = d->p + hdr;
	val->n = len;
	d->p += hdr + len;
	d->n -= hdr + len;
	return true;
}

/* A non-negative INTEGER in minimal encoding. */
static bool
der_uint(struct der *d, struct der *val)
{
	return der_take(d, 0x02, val) && val->n > 0 &&
	       (val->p[0] & 0x80) == 0 &&
	       !(val->n > 1 && val->p[0] == 0 && (val->p[1] & 0x80) == 0);
}

/* Takes exactly these bytes off the front of d. */
static bool
der_skip(struct der *d, const unsigned char *bytes, size_t n)
{
	if (d->n < n || memcmp(d->p, bytes, n) != 0) {
		return false;
	}
	d->p += n;
	d->n -= n;
	return true;
}

static const unsigned char int_zero[] = { 0x02, 0x01, 0x00 };
static const unsigned char int_one[] = { 0x02, 0x01, 0x01 };

/* At most the RSA private key's eight numbers. */
#define FAST_MAX_BN 8

/*
 * Imports names[i] = vals[i] (big-endian unsigned), plus the P-256 group
 * and public point when pub is not NULL, as a key pair of key manager
 * `type` ("RSA" or "EC"). The numbers go through secure BIGNUMs, so the
 * builder's copy is cleared when freed.
 */
static EVP_PKEY *
from_params(const char *type, const char *const *names,
            const struct der *vals, size_t n, const struct der *pub)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *bn[FAST_MAX_BN] = { NULL };
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	bool ok = bld != NULL && n <= FAST_MAX_BN;
	size_t i;

	for (i = 0; ok && i < n; i++) {
		bn[i] = BN_secure_new();
		ok = bn[i] != NULL &&
		     BN_bin2bn(vals[i].p, (int)vals[i].n, bn[i]) != NULL &&
		     OSSL_PARAM_BLD_push_BN(bld, names[i], bn[i]) == 1;
	}
	if (ok && pub != NULL) {
		ok = OSSL_PARAM_BLD_push_utf8_string(
			     bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1",
			     0) == 1 &&
		     OSSL_PARAM_BLD_push_octet_string(
			     bld, OSSL_PKEY_PARAM_PUB_KEY, pub->p, pub->n) == 1;
	}
	if (ok) {
		params = OSSL_PARAM_BLD_to_param(bld);
		ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	}
	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	for (i = 0; i < n; i++) {
		BN_clear_free(bn[i]);
	}
	return pkey;
}

/* RSAPrivateKey (two primes): version 0, n, e, d, p, q, dP, dQ, qInv. */
static EVP_PKEY *
fast_rsa(struct der key)
{
	static const char *const names[FAST_MAX_BN] = {
		OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
		OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
		OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
		OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	};
	struct der seq;
	struct der v[FAST_MAX_BN];
	size_t i;

	if (!der_take(&key, 0x30, &seq) || key.n != 0 ||
	    !der_skip(&seq, int_zero, sizeof(int_zero))) {
		return NULL;
	}
	for (i = 0; i < FAST_MAX_BN; i++) {
		if (!der_uint(&seq, &v[i])) {
			return NULL;
		}
	}
	if (seq.n != 0) {
		return NULL;
	}
	return from_params("RSA", names, v, FAST_MAX_BN, NULL);
}

/* ECPrivateKey: version 1, 32-byte scalar, [0] absent, [1] 04||X||Y. */
static EVP_PKEY *
fast_p256(struct der key)
{
	static const char *const names[] = { OSSL_PKEY_PARAM_PRIV_KEY };
	struct der seq;
	struct der priv;
	struct der tagged;
	struct der bits;
	struct der pub;

	if (!der_take(&key, 0x30, &seq) || key.n != 0 ||
	    !der_skip(&seq, int_one, sizeof(int_one)) ||
	    !der_take(&seq, 0x04, &priv) || priv.n != P256_BYTES ||
	    !der_take(&seq, 0xa1, &tagged) || seq.n != 0 ||
	    !der_take(&tagged, 0x03, &bits) || tagged.n != 0 ||
	    bits.n != 2 + 2 * P256_BYTES || bits.p[0] != 0x00 ||
	    bits.p[1] != 0x04) {
		return NULL;
	}
	pub.p = bits.p + 1;
	pub.n = bits.n - 1;
	return from_params("EC", names, &priv, 1, &pub);
}

/* PrivateKeyInfo v1 without attributes, RSA or P-256. */
static EVP_PKEY *
fast_pkcs8(const unsigned char *der, size_t len)
{
	struct der all = { der, len };
	struct der seq;
	struct der inner;
	bool rsa;

	if (!der_take(&all, 0x30, &seq) || all.n != 0 ||
	    !der_skip(&seq, int_zero, sizeof(int_zero))) {
		return NULL;
	}
	rsa = der_skip(&seq, alg_rsa, sizeof(alg_rsa));
	if (!rsa && !der_skip(&seq, alg_p256, sizeof(alg_p256))) {
		return NULL;
	}
	if (!der_take(&seq, 0x04, &inner) || seq.n != 0) {
		return NULL;
	}
	return rsa ? fast_rsa(inner) : fast_p256(inner);
}

/* Standard base64 value of c, -1 for whitespace, -2 for anything else. */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') {
		return c - 'A';
	}
	if (c >= 'a' && c <= 'z') {
		return c - 'a' + 26;
	}
	if (c >= '0' && c <= '9') {
		return c - '0' + 52;
	}
	if (c == '+') {
		return 62;
	}
	if (c == '/') {
		return 63;
	}
	return c == '\n' || c == '\r' || c == ' ' || c == '\t' ? -1 : -2;
}

/*
 * A file that is exactly one "PRIVATE KEY" block (whitespace around it
 * allowed): its key, or NULL for anything else. The decoded DER is
 * cleared before it is freed.
 */
static EVP_PKEY *
fast_pem(const char *pem, size_t len)
{
	static const char begin[] = "-----BEGIN PRIVATE KEY-----";
	static const char end[] = "-----END PRIVATE KEY-----";
	const char *p = pem;
	const char *stop = pem + len;
	const char *body;
	const char *tail;
	unsigned char *der;
	size_t n = 0;
	size_t pad = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	EVP_PKEY *pkey = NULL;

	while (p < stop && b64_value((unsigned char)*p) == -1) {
		p++;
	}
	if ((size_t)(stop - p) < sizeof(begin) - 1 + sizeof(end) - 1 ||
	    memcmp(p, begin, sizeof(begin) - 1) != 0) {
		return NULL;
	}
	body = p + sizeof(begin) - 1;
	if (*body != '\n' && *body != '\r') {
		return NULL;
	}
	tail = body;
	while (tail < stop && *tail != '-') {
		tail++;
	}
	if ((size_t)(stop - tail) < sizeof(end) - 1 ||
	    memcmp(tail, end, sizeof(end) - 1) != 0) {
		return NULL;
	}
	for (p = tail + sizeof(end) - 1; p < stop; p++) {
		if (b64_value((unsigned char)*p) != -1) {
			return NULL;
		}
	}
	der = OPENSSL_malloc((size_t)(tail - body) / 4 * 3 + 3);
	if (der == NULL) {
		return NULL;
	}
	for (p = body; p < tail; p++) {
		int v = b64_value((unsigned char)*p);

		if (*p == '=' && bits > 0) {
			pad++;
			continue;
		}
		if (v == -1) {
			continue;
		}
		if (v < 0 || pad > 0) {
			goto out;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			der[n++] = (unsigned char)(acc >> bits);
		}
	}
	/* Canonical padding only: what is left of the last quantum. */
	if (pad > 2 || (bits == 0 && pad != 0) || (bits == 4 && pad != 2) ||
	    (bits == 2 && pad != 1) || (acc & ((1u << bits) - 1)) != 0) {
		goto out;
	}
	pkey = fast_pkcs8(der, n);
out:
	OPENSSL_clear_free(der, (size_t)(tail - body) / 4 * 3 + 3);
	ERR_clear_error();
	return pkey;
}

/* Decodes one PEM block's DER by its label; NULL (diag set) if refused. */
static EVP_PKEY *
decode_block(const char *name, const unsigned char *der, long len,
             bool *out_priv, struct mapi_diag *diag)
{
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *pkey = NULL;
	bool priv = true;

	if (strcmp(name, "PRIVATE KEY") == 0) {
		p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, len);
		if (p8 != NULL) {
			pkey = EVP_PKCS82PKEY(p8);
		}
		PKCS8_PRIV_KEY_INFO_free(p8);
	} else if (strcmp(name, "RSA PRIVATE KEY") == 0) {
		pkey = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, len);
	} else if (strcmp(name, "EC PRIVATE KEY") == 0) {
		pkey = d2i_PrivateKey(EVP_PKEY_EC, NULL, &p, len);
	} else if (strcmp(name, "PUBLIC KEY") == 0) {
		pkey = d2i_PUBKEY(NULL, &p, len);
		priv = false;
	} else if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0) {
		mapi_diag_set(diag, "encrypted private keys are not "
		                    "supported: decrypt it first");
		return NULL;
	} else {
		mapi_diag_set(
			diag,
			"PEM block \"%.64s\" is not a key (expected PRIVATE "
			"KEY, RSA PRIVATE KEY, EC PRIVATE KEY or PUBLIC "
			"KEY)",
			name);
		return NULL;
	}
	if (pkey == NULL) {
		diag_ossl(diag, "malformed key in PEM block");
		return NULL;
	}
	if (p != der + len) {
		EVP_PKEY_free(pkey);
		mapi_diag_set(diag, "trailing data after the key in PEM block");
		return NULL;
	}
	*out_priv = priv;
	return pkey;
}

/*
 * An RSA private key's arithmetic: n = p*q, e*d = 1 mod p-1 and mod q-1,
 * dP = d mod p-1, dQ = d mod q-1, qInv*q = 1 mod p. That is RSA_check_key
 * without its Miller-Rabin tests of p and q, which took ~25 ms at every
 * start for a 2048-bit key (the key was written by us or by openssl; a
 * corrupted or edited file fails the arithmetic). A key with more than
 * two primes gets OpenSSL's full check.
 */
static bool
pairwise_check(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	bool ok = ctx != NULL && EVP_PKEY_pairwise_check(ctx) == 1;

	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static bool
rsa_private_is_consistent(EVP_PKEY *pkey)
{
	static const char *const names[] = {
		OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
		OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
		OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
		OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	};
	BIGNUM *v[8] = { NULL };
	BIGNUM *t = BN_new();
	BIGNUM *pm1 = BN_new();
	BIGNUM *qm1 = BN_new();
	BIGNUM *extra = NULL;
	BN_CTX *bc = BN_CTX_new();
	bool ok = false;
	bool multi = false;
	size_t i;

	if (t == NULL || pm1 == NULL || qm1 == NULL || bc == NULL) {
		goto out;
	}
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR3, &extra) ==
	    1) {
		multi = true;
		goto out;
	}
	for (i = 0; i < 8; i++) {
		if (EVP_PKEY_get_bn_param(pkey, names[i], &v[i]) != 1) {
			goto out;
		}
	}
	/* v: 0 n, 1 e, 2 d, 3 p, 4 q, 5 dP, 6 dQ, 7 qInv */
	if (BN_is_one(v[3]) || BN_is_one(v[4]) || BN_is_zero(v[3]) ||
	    BN_is_zero(v[4]) || !BN_mul(t, v[3], v[4], bc) ||
	    BN_cmp(t, v[0]) != 0 || !BN_sub(pm1, v[3], BN_value_one()) ||
	    !BN_sub(qm1, v[4], BN_value_one())) {
		goto out;
	}
	ok = BN_mod_mul(t, v[1], v[2], pm1, bc) && BN_is_one(t) &&
	     BN_mod_mul(t, v[1], v[2], qm1, bc) && BN_is_one(t) &&
	     BN_nnmod(t, v[2], pm1, bc) && BN_cmp(t, v[5]) == 0 &&
	     BN_nnmod(t, v[2], qm1, bc) && BN_cmp(t, v[6]) == 0 &&
	     BN_mod_mul(t, v[7], v[4], v[3], bc) && BN_is_one(t);
out:
	for (i = 0; i < 8; i++) {
		BN_clear_free(v[i]);
	}
	BN_clear_free(t);
	BN_clear_free(pm1);
	BN_clear_free(qm1);
	BN_clear_free(extra);
	BN_CTX_free(bc);
	ERR_clear_error();
	return multi ? pairwise_check(pkey) : ok;
}

/*
 * A private key must be internally consistent (a corrupted file, say); an
 * EC public key must be a point on its curve. An RSA public key is not
 * checked: OpenSSL's SP 800-56B public check runs Miller-Rabin with random
 * bases on n and refuses it when a base happens to reveal a factor, so a
 * malformed modulus was accepted or refused at random (found by
 * fuzz_keys). Go's x509.ParsePKIXPublicKey does not check it either; a
 * wrong modulus only means no token verifies.
 */
static bool
pkey_is_consistent(EVP_PKEY *pkey, bool priv)
{
	EVP_PKEY_CTX *ctx;
	bool ok;

	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA) {
		return !priv || rsa_private_is_consistent(pkey);
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (ctx == NULL) {
		return false;
	}
	ok = (priv ? EVP_PKEY_pairwise_check(ctx)
	           : EVP_PKEY_public_check(ctx)) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

/* The general path: OpenSSL's PEM reader and decoders, every accepted form. */
static enum mapi_err
decode_pem(const char *pem, size_t len, EVP_PKEY **out_pkey, bool *out_priv,
           struct mapi_diag *diag)
{
	BIO *bio = NULL;
	EVP_PKEY *pkey = NULL;
	char *name = NULL;
	char *header = NULL;
	unsigned char *der = NULL;
	long der_len = 0;
	int i;
	enum mapi_err err = MAPI_EINVAL;

	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	/* `openssl ecparam -genkey` writes EC PARAMETERS before the key. */
	for (i = 0; i < 2; i++) {
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_clear_free(der, (size_t)der_len);
		name = header = NULL;
		der = NULL;
		der_len = 0;
		if (PEM_read_bio(bio, &name, &header, &der, &der_len) != 1) {
			diag_ossl(diag, "no PEM key found");
			goto out;
		}
		if (strcmp(name, "EC PARAMETERS") != 0) {
			break;
		}
	}
	if (header != NULL && *header != '\0') {
		mapi_diag_set(diag, "PEM headers (an encrypted legacy key?) "
		                    "are not supported");
		goto out;
	}
	pkey = decode_block(name, der, der_len, out_priv, diag);
	if (pkey != NULL) {
		*out_pkey = pkey;
		err = MAPI_OK;
	}
out:
	BIO_free(bio);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_clear_free(der, (size_t)der_len);
	return err;
}

enum mapi_err
mapi_key_parse_pem(const char *pem, size_t len, struct mapi_key **out_key,
                   struct mapi_diag *diag)
{
	EVP_PKEY *pkey = NULL;
	bool priv = false;
	enum mapi_err err = MAPI_EINVAL;

	if (pem == NULL || out_key == NULL) {
		return MAPI_EINVAL;
	}
	if (len > MAPI_KEY_PEM_MAX) {
		mapi_diag_set(diag, "key PEM is larger than %zu bytes",
		              MAPI_KEY_PEM_MAX);
		return MAPI_ETOOLARGE;
	}
	pkey = fast_pem(pem, len);
	if (pkey != NULL) {
		priv = true;
	} else {
		err = decode_pem(pem, len, &pkey, &priv, diag);
		if (err != MAPI_OK) {
			goto out;
		}
		err = MAPI_EINVAL;
	}
	if (!pkey_is_consistent(pkey, priv)) {
		diag_ossl(diag, "key failed its consistency check");
		goto out;
	}
	err = key_wrap(pkey, priv, out_key, diag);
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return err;
}

enum mapi_err
mapi_key_load_file(const char *path, struct mapi_key **out_key,
                   struct mapi_diag *diag)
{
	char *buf = NULL;
	size_t len = 0;
	enum mapi_err err;

	err = mapi_file_read(path, MAPI_KEY_PEM_MAX, &buf, &len, diag);
	if (err != MAPI_OK) {
		return err;
	}
	err = mapi_key_parse_pem(buf, len, out_key, diag);
	if (err != MAPI_OK && diag != NULL) {
		char msg[sizeof(diag->msg)];

		(void)snprintf(msg, sizeof(msg), "%s", diag->msg);
		mapi_diag_set(diag, "%s: %s", path, msg);
	}
	OPENSSL_clear_free(buf, len);
	return err;
}

enum mapi_err
mapi_key_save_private(const struct mapi_key *key, const char *path)
{
	BIO *bio = NULL;
	char *data = NULL;
	long len;
	enum mapi_err err = MAPI_ECRYPTO;

	if (key == NULL || path == NULL || !key->priv) {
		return MAPI_EINVAL;
	}
	/* The secure-memory BIO clears its buffer as it grows and on free. */
	bio = BIO_new(BIO_s_secmem());
	if (bio == NULL) {
		goto out;
	}
	if (PEM_write_bio_PKCS8PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL,
	                                  NULL) != 1) {
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	if (len <= 0 || data == NULL) {
		goto out;
	}
	err = mapi_file_write_atomic(path, data, (size_t)len, 0600, NULL);
	OPENSSL_cleanse(data, (size_t)len);
out:
	BIO_free(bio);
	ERR_clear_error();
	return err;
}

enum mapi_err
mapi_key_public_pem(const struct mapi_key *key, char **out_pem)
{
	BIO *bio = NULL;
	char *data = NULL;
	char *pem = NULL;
	long len;
	enum mapi_err err = MAPI_ECRYPTO;

	if (key == NULL || out_pem == NULL) {
		return MAPI_EINVAL;
	}
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || PEM_write_bio_PUBKEY(bio, key->pkey) != 1) {
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	if (len <= 0 || data == NULL) {
		goto out;
	}
	pem = strndup(data, (size_t)len);
	if (pem == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	*out_pem = pem;
	err = MAPI_OK;
out:
	BIO_free(bio);
	ERR_clear_error();
	return err;
}

struct mapi_key *
mapi_key_ref(struct mapi_key *key)
{
	if (key != NULL) {
		atomic_fetch_add_explicit(&key->refs, 1, memory_order_relaxed);
	}
	return key;
}

void
mapi_key_unref(struct mapi_key *key)
{
	if (key == NULL) {
		return;
	}
	if (atomic_fetch_sub_explicit(&key->refs, 1, memory_order_acq_rel) !=
	    1) {
		return;
	}
	EVP_MD_CTX_free(key->verify_ctx);
	EVP_MD_CTX_free(key->sign_ctx);
	EVP_PKEY_free(key->pkey); /* clears private material itself */
	free(key->jwk);
	free(key);
}

const char *
mapi_key_kid(const struct mapi_key *key)
{
	return key->kid;
}

enum mapi_jws_alg
mapi_key_alg(const struct mapi_key *key)
{
	return key->alg;
}

bool
mapi_key_is_private(const struct mapi_key *key)
{
	return key->priv;
}

const struct evp_md_ctx_st *
mapi_key_verify_ctx(const struct mapi_key *key)
{
	return key->verify_ctx;
}

const struct evp_md_ctx_st *
mapi_key_sign_ctx(const struct mapi_key *key)
{
	return key->sign_ctx;
}

struct evp_pkey_st *
mapi_key_pkey(const struct mapi_key *key)
{
	return key->pkey;
}

const char *
mapi_key_jwk(const struct mapi_key *key)
{
	return key->jwk;
}

/* ---- keyset ------------------------------------------------------------ */

/* The lock is logically mutable even through a const keyset. */
static pthread_rwlock_t *
lock_of(const struct mapi_keyset *keyset)
{
	return (pthread_rwlock_t *)&keyset->lock;
}

enum mapi_err
mapi_keyset_new(struct mapi_keyset **out)
{
	struct mapi_keyset *keyset;

	if (out == NULL) {
		return MAPI_EINVAL;
	}
	keyset = calloc(1, sizeof(*keyset));
	if (keyset == NULL) {
		return MAPI_ENOMEM;
	}
	if (pthread_rwlock_init(&keyset->lock, NULL) != 0) {
		free(keyset);
		return MAPI_ENOMEM;
	}
	*out = keyset;
	return MAPI_OK;
}

void
mapi_keyset_free(struct mapi_keyset *keyset)
{
	size_t i;

	if (keyset == NULL) {
		return;
	}
	for (i = 0; i < keyset->n; i++) {
		mapi_key_unref(keyset->keys[i]);
	}
	(void)pthread_rwlock_destroy(&keyset->lock);
	free(keyset);
}

/* Index of kid in keys[], or keyset->n. Caller holds the lock. */
static size_t
index_of(const struct mapi_keyset *keyset, const char *kid)
{
	size_t i;

	for (i = 0; i < keyset->n; i++) {
		if (strcmp(keyset->keys[i]->kid, kid) == 0) {
			break;
		}
	}
	return i;
}

enum mapi_err
mapi_keyset_set_active(struct mapi_keyset *keyset, struct mapi_key *key)
{
	size_t i;
	enum mapi_err err = MAPI_OK;

	if (keyset == NULL || key == NULL || !key->priv) {
		return MAPI_EINVAL;
	}
	(void)pthread_rwlock_wrlock(&keyset->lock);
	i = index_of(keyset, key->kid);
	if (i < keyset->n) {
		/* Same public key: this copy (maybe private) takes over. */
		mapi_key_unref(keyset->keys[i]);
		keyset->keys[i] = mapi_key_ref(key);
	} else if (keyset->n == MAPI_KEYSET_MAX) {
		err = MAPI_ETOOMANY;
		goto out;
	} else {
		keyset->keys[keyset->n++] = mapi_key_ref(key);
	}
	keyset->active = keyset->keys[i];
out:
	(void)pthread_rwlock_unlock(&keyset->lock);
	return err;
}

enum mapi_err
mapi_keyset_add_verify(struct mapi_keyset *keyset, struct mapi_key *key)
{
	enum mapi_err err = MAPI_OK;

	if (keyset == NULL || key == NULL) {
		return MAPI_EINVAL;
	}
	(void)pthread_rwlock_wrlock(&keyset->lock);
	if (index_of(keyset, key->kid) < keyset->n) {
		goto out;
	}
	if (keyset->n == MAPI_KEYSET_MAX) {
		err = MAPI_ETOOMANY;
		goto out;
	}
	keyset->keys[keyset->n++] = mapi_key_ref(key);
out:
	(void)pthread_rwlock_unlock(&keyset->lock);
	return err;
}

struct mapi_key *
mapi_keyset_active(const struct mapi_keyset *keyset)
{
	struct mapi_key *key;

	(void)pthread_rwlock_rdlock(lock_of(keyset));
	key = mapi_key_ref(keyset->active);
	(void)pthread_rwlock_unlock(lock_of(keyset));
	return key;
}

struct mapi_key *
mapi_keyset_find(const struct mapi_keyset *keyset, const char *kid)
{
	struct mapi_key *key = NULL;
	size_t i;

	if (kid == NULL) {
		return NULL;
	}
	(void)pthread_rwlock_rdlock(lock_of(keyset));
	i = index_of(keyset, kid);
	if (i < keyset->n) {
		key = mapi_key_ref(keyset->keys[i]);
	}
	(void)pthread_rwlock_unlock(lock_of(keyset));
	return key;
}

size_t
mapi_keyset_count(const struct mapi_keyset *keyset)
{
	size_t n;

	(void)pthread_rwlock_rdlock(lock_of(keyset));
	n = keyset->n;
	(void)pthread_rwlock_unlock(lock_of(keyset));
	return n;
}

/* keys[] in publication order: active first, then insertion order. */
static size_t
ordered(const struct mapi_keyset *keyset, struct mapi_key **out)
{
	size_t n = 0;
	size_t i;

	if (keyset->active != NULL) {
		out[n++] = keyset->active;
	}
	for (i = 0; i < keyset->n; i++) {
		if (keyset->keys[i] != keyset->active) {
			out[n++] = keyset->keys[i];
		}
	}
	return n;
}

enum mapi_err
mapi_keyset_snapshot(const struct mapi_keyset *keyset,
                     struct mapi_key ***out_keys, size_t *out_n)
{
	struct mapi_key *order[MAPI_KEYSET_MAX];
	struct mapi_key **keys = NULL;
	size_t n;
	size_t i;
	enum mapi_err err = MAPI_OK;

	if (keyset == NULL || out_keys == NULL || out_n == NULL) {
		return MAPI_EINVAL;
	}
	(void)pthread_rwlock_rdlock(lock_of(keyset));
	n = ordered(keyset, order);
	if (n > 0) {
		keys = calloc(n, sizeof(struct mapi_key *));
		if (keys == NULL) {
			err = MAPI_ENOMEM;
			goto out;
		}
		for (i = 0; i < n; i++) {
			keys[i] = mapi_key_ref(order[i]);
		}
	}
	*out_keys = keys;
	*out_n = n;
out:
	(void)pthread_rwlock_unlock(lock_of(keyset));
	return err;
}

void
mapi_keyset_snapshot_free(struct mapi_key **keys, size_t n)
{
	size_t i;

	if (keys == NULL) {
		return;
	}
	for (i = 0; i < n; i++) {
		mapi_key_unref(keys[i]);
	}
	free(keys);
}

enum mapi_err
mapi_keyset_drop_inactive(struct mapi_keyset *keyset)
{
	size_t i;

	if (keyset == NULL) {
		return MAPI_EINVAL;
	}
	(void)pthread_rwlock_wrlock(&keyset->lock);
	for (i = 0; i < keyset->n; i++) {
		if (keyset->keys[i] != keyset->active) {
			mapi_key_unref(keyset->keys[i]);
		}
		keyset->keys[i] = NULL;
	}
	keyset->n = 0;
	if (keyset->active != NULL) {
		keyset->keys[keyset->n++] = keyset->active;
	}
	(void)pthread_rwlock_unlock(&keyset->lock);
	return MAPI_OK;
}

enum mapi_err
mapi_keyset_remove(struct mapi_keyset *keyset, const char *kid)
{
	enum mapi_err err = MAPI_ENOTFOUND;
	size_t i;

	if (keyset == NULL || kid == NULL) {
		return MAPI_EINVAL;
	}
	(void)pthread_rwlock_wrlock(&keyset->lock);
	for (i = 0; i < keyset->n; i++) {
		if (strcmp(mapi_key_kid(keyset->keys[i]), kid) != 0) {
			continue;
		}
		if (keyset->keys[i] == keyset->active) {
			err = MAPI_EINVAL;
			break;
		}
		mapi_key_unref(keyset->keys[i]);
		/* NOLINTBEGIN(bugprone-sizeof-expression): T *[] */
		memmove(&keyset->keys[i], &keyset->keys[i + 1],
		        (keyset->n - i - 1) * sizeof(keyset->keys[0]));
		/* NOLINTEND(bugprone-sizeof-expression) */
		keyset->n--;
		keyset->keys[keyset->n] = NULL;
		err = MAPI_OK;
		break;
	}
	(void)pthread_rwlock_unlock(&keyset->lock);
	return err;
}

enum mapi_err
mapi_keyset_jwks(const struct mapi_keyset *keyset, char **out_json)
{
	static const char head[] = "{\"keys\":[";
	static const char tail[] = "]}";
	struct mapi_key *order[MAPI_KEYSET_MAX];
	char *json = NULL;
	size_t total = sizeof(head) + sizeof(tail);
	size_t n;
	size_t i;
	size_t o;
	enum mapi_err err = MAPI_OK;

	if (keyset == NULL || out_json == NULL) {
		return MAPI_EINVAL;
	}
	(void)pthread_rwlock_rdlock(lock_of(keyset));
	n = ordered(keyset, order);
	for (i = 0; i < n; i++) {
		total += strlen(order[i]->jwk) + 1;
	}
	json = malloc(total);
	if (json == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	o = sizeof(head) - 1;
	memcpy(json, head, o);
	for (i = 0; i < n; i++) {
		size_t l = strlen(order[i]->jwk);

		if (i > 0) {
			json[o++] = ',';
		}
		memcpy(json + o, order[i]->jwk, l);
		o += l;
	}
	memcpy(json + o, tail, sizeof(tail)); /* with the NUL */
	*out_json = json;
out:
	(void)pthread_rwlock_unlock(lock_of(keyset));
	return err;
}

enum mapi_err
mapi_keyset_algs(const struct mapi_keyset *keyset, unsigned *out_mask)
{
	unsigned mask = 0;
	size_t i;

	if (keyset == NULL || out_mask == NULL) {
		return MAPI_EINVAL;
	}
	(void)pthread_rwlock_rdlock(lock_of(keyset));
	for (i = 0; i < keyset->n; i++) {
		mask |= (unsigned)keyset->keys[i]->alg;
	}
	(void)pthread_rwlock_unlock(lock_of(keyset));
	*out_mask = mask;
	return MAPI_OK;
}
