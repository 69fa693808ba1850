/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * jwt: compact JWS (RFC 7515 §7.1) with RS256 and ES256 — strict parsing,
 * signature verification, time-claim checks, signing, and the claims
 * serializer that reproduces go-jose's byte layout. It knows no Kubernetes:
 * issuers, audiences, kids and key sets belong to auth/tokens and auth/keys.
 *
 * A token is handled in three steps, each with its own reason codes:
 *
 *   mapi_jwt_parse()        structure, base64url, header, payload (no crypto)
 *   mapi_jwt_verify()       signature with a key the caller chose (by kid)
 *   mapi_jwt_check_times()  exp / nbf / iat against a caller-supplied "now"
 *
 * Parsing rules (all checked, in this order, so a token has one reason):
 *   1. len > policy max_len (default 16 KiB)               MAPI_JWT_TOO_LARGE
 *   2. starts with '{' (JWS JSON serialization), not exactly three
 *      '.'-separated parts, empty header or payload part    MAPI_JWT_MALFORMED
 *   3. header part not strict base64url (jose.h)            MAPI_JWT_BAD_BASE64
 *   4. header not one JSON object, duplicate keys, control characters,
 *      missing or non-string "alg", non-string "kid"       MAPI_JWT_BAD_HEADER
 *   5. "alg":"none" (any case)                              MAPI_JWT_ALG_NONE
 *   6. any other alg that is not RS256/ES256 or not in the policy — HS256,
 *      HS384 and HS512 included, so a public key is never an HMAC secret
 *                                                           MAPI_JWT_BAD_ALG
 *   7. a "crit" header (we understand no extension) MAPI_JWT_UNKNOWN_CRIT
 *   8. payload part not strict base64url                    MAPI_JWT_BAD_BASE64
 *   9. payload not one JSON object / duplicate keys MAPI_JWT_BAD_PAYLOAD
 *  10. empty signature part                                 MAPI_JWT_MALFORMED
 *  11. signature part not strict base64url                  MAPI_JWT_BAD_BASE64
 * The empty-signature check comes after the header so that an unsigned
 * "alg":"none" token is reported as MAPI_JWT_ALG_NONE.
 *
 * Signatures: RS256 is RSASSA-PKCS1-v1_5 with SHA-256 and must be exactly
 * the modulus size; ES256 is ECDSA P-256 with SHA-256 as raw R‖S, exactly
 * 64 bytes (a DER ECDSA-Sig-Value is rejected). Keys are OpenSSL EVP_PKEYs,
 * forward-declared here so this header needs no OpenSSL.
 *
 * Reason codes: every function that judges a token takes an optional
 * enum mapi_jwt_reason *out_reason. It is written with MAPI_JWT_OK on
 * MAPI_OK and with the rejection reason on MAPI_EINVAL (the token was
 * judged and refused); on any other error (ENOMEM, ECRYPTO: our fault, not
 * the token's) it is left untouched.
 *
 * Ownership: a struct mapi_jwt owns its parsed header and claims; pointers
 *   returned by the getters are borrowed and live until mapi_jwt_free().
 *   Strings returned through char ** are malloc'd; free them with free().
 *   Keys are borrowed (the caller keeps its reference).
 * Thread safety: no global state. A struct mapi_jwt is immutable after
 *   parse, so verify and the getters may run on several threads at once.
 *   An EVP_PKEY may be shared between threads for sign and verify.
 * Errors: enum mapi_err; outputs are written only on MAPI_OK (except
 *   *out_reason, as above). The OpenSSL error queue is empty when any of
 *   these functions returns.
 * Limits: tokens up to policy max_len (default MAPI_JWT_DEFAULT_MAX_LEN);
 *   serialized claims up to MAPI_JWT_MAX_CLAIMS_JSON bytes; JSON nesting up
 *   to cJSON's limit (1000).
 */

#include <stddef.h>
#include <stdint.h>

#include "auth/jose.h"
#include "errors.h"

struct evp_pkey_st; /* OpenSSL's EVP_PKEY */
struct cJSON;

#define MAPI_JWT_DEFAULT_MAX_LEN ((size_t)16384)
#define MAPI_JWT_MAX_CLAIMS_JSON ((size_t)(1024 * 1024))

/* Why a token was refused. Stable values; names via mapi_jwt_reason_name. */
enum mapi_jwt_reason {
	MAPI_JWT_OK = 0,
	MAPI_JWT_MALFORMED,        /* not 3 parts, an empty part, starts '{' */
	MAPI_JWT_TOO_LARGE,        /* longer than policy max_len */
	MAPI_JWT_BAD_BASE64,       /* a part is not strict base64url */
	MAPI_JWT_BAD_HEADER,       /* not an object, dup keys, no alg */
	MAPI_JWT_ALG_NONE,         /* "alg":"none" */
	MAPI_JWT_BAD_ALG,          /* HS*, unknown, or not in the policy */
	MAPI_JWT_UNKNOWN_CRIT,     /* a "crit" header */
	MAPI_JWT_BAD_PAYLOAD,      /* not a JSON object / dup keys */
	MAPI_JWT_KEY_MISMATCH,     /* key type does not fit the alg */
	MAPI_JWT_BAD_SIGNATURE,    /* wrong length, DER ES256, or bad */
	MAPI_JWT_EXPIRED,          /* now - leeway > exp */
	MAPI_JWT_NOT_YET_VALID,    /* now + leeway < nbf */
	MAPI_JWT_ISSUED_IN_FUTURE, /* now + leeway < iat */
	MAPI_JWT_BAD_TIME_CLAIM,   /* exp/nbf/iat present but not an integer */
	MAPI_JWT_REASON_COUNT_     /* not a reason: the number of values */
};

/* "MAPI_JWT_EXPIRED" etc.; "MAPI_JWT_UNKNOWN_REASON" if out of range. */
const char *mapi_jwt_reason_name(enum mapi_jwt_reason r);

/* What a parser accepts. Zero-initialised means "nothing": set algs. */
struct mapi_jwt_policy {
	unsigned algs;  /* mask of enum mapi_jws_alg */
	size_t max_len; /* 0 = MAPI_JWT_DEFAULT_MAX_LEN */
};

/* A parsed, not yet verified token (opaque). */
struct mapi_jwt;

/*
 * Parses token[0..len) (no NUL needed) under policy (NULL policy → EINVAL)
 * following the rules in the module comment. On MAPI_OK *out_jwt is a new
 * token the caller frees with mapi_jwt_free(). On rejection returns
 * MAPI_EINVAL with the reason; MAPI_ENOMEM if memory ran out.
 */
MAPI_NODISCARD enum mapi_err
mapi_jwt_parse(const char *token, size_t len,
               const struct mapi_jwt_policy *policy, struct mapi_jwt **out_jwt,
               enum mapi_jwt_reason *out_reason);

/* Frees a token from mapi_jwt_parse(). Accepts NULL. */
void mapi_jwt_free(struct mapi_jwt *jwt);

/* The header's algorithm (always one allowed by the parse policy). */
enum mapi_jws_alg mapi_jwt_alg(const struct mapi_jwt *jwt);

/* The header's "kid" (borrowed), or NULL when the header has none. */
const char *mapi_jwt_kid(const struct mapi_jwt *jwt);

/* The payload object (borrowed; do not modify). */
const struct cJSON *mapi_jwt_claims(const struct mapi_jwt *jwt);

/* The protected header object (borrowed; do not modify). */
const struct cJSON *mapi_jwt_header(const struct mapi_jwt *jwt);

/*
 * Verifies jwt's signature with key (public or private EVP_PKEY, borrowed).
 * An RSA key is needed for RS256 and a P-256 EC key for ES256, else
 * MAPI_EINVAL/MAPI_JWT_KEY_MISMATCH. A signature of the wrong length or
 * that does not verify gives MAPI_EINVAL/MAPI_JWT_BAD_SIGNATURE.
 * MAPI_ECRYPTO / MAPI_ENOMEM if OpenSSL fails for reasons of its own.
 * Does not look at any claim (see mapi_jwt_check_times).
 */
MAPI_NODISCARD enum mapi_err mapi_jwt_verify(const struct mapi_jwt *jwt,
                                             struct evp_pkey_st *key,
                                             enum mapi_jwt_reason *out_reason);

struct evp_md_ctx_st; /* OpenSSL's EVP_MD_CTX */

/*
 * mapi_jwt_verify, copying tmpl (NULL: as mapi_jwt_verify) instead of
 * initialising a context: tmpl must be a SHA-256 digest-verify context
 * initialised with this same key (mapi_key_verify_ctx). tmpl is only read,
 * so threads may share it.
 */
MAPI_NODISCARD enum mapi_err
mapi_jwt_verify_tmpl(const struct mapi_jwt *jwt, struct evp_pkey_st *key,
                     const struct evp_md_ctx_st *tmpl,
                     enum mapi_jwt_reason *out_reason);

/*
 * Checks the optional "exp", "nbf" and "iat" claims of claims (a JSON
 * object) at time now (Unix seconds) with leeway seconds (>= 0) either
 * side, as go-jose v2.6.0 jwt.Claims.ValidateWithLeeway does and in its
 * order: first every present claim must be an integer (a JSON number that
 * is integral, |v| <= 2^53) or MAPI_JWT_BAD_TIME_CLAIM; then
 *   now + leeway < nbf  → MAPI_JWT_NOT_YET_VALID
 *   now - leeway > exp  → MAPI_JWT_EXPIRED     (exp + leeway still passes)
 *   now + leeway < iat  → MAPI_JWT_ISSUED_IN_FUTURE
 * Absent claims are not checked (auth/tokens decides which it requires).
 * MAPI_EINVAL with a reason on rejection; MAPI_EINVAL without touching
 * *out_reason if claims is not an object or leeway < 0.
 */
MAPI_NODISCARD enum mapi_err
mapi_jwt_check_times(const struct cJSON *claims, int64_t now, int64_t leeway,
                     enum mapi_jwt_reason *out_reason);

/*
 * Serializes claims the way go-jose marshals a merged claims map with Go's
 * encoding/json: compact; object keys sorted bytewise at every level;
 * arrays in order; numbers as Go prints a float64 (integers without
 * exponent or ".0", e.g. 1749207355; 'e' notation only below 1e-6 or from
 * 1e21); strings escaped as Go does ("\"", "\\", \b \f \n \r \t, other
 * control bytes and < > & as \u00XX with lower-case hex, U+2028/U+2029 as
 * \u2028/\u2029, invalid UTF-8 bytes as \ufffd). claims may be any JSON
 * value. On MAPI_OK *out_json is a malloc'd NUL-terminated string.
 * MAPI_EINVAL for NaN/Inf, duplicate keys, or output over
 * MAPI_JWT_MAX_CLAIMS_JSON; MAPI_ENOMEM.
 */
MAPI_NODISCARD enum mapi_err
mapi_jwt_serialize_claims(const struct cJSON *claims, char **out_json);

/*
 * Signs claims (serialized by mapi_jwt_serialize_claims) with alg and key
 * (a private EVP_PKEY: RSA for RS256, P-256 EC for ES256, else
 * MAPI_EINVAL). The header is exactly {"alg":"RS256","kid":"<kid>"} (keys
 * sorted, no "typ"); without "kid" when kid is NULL. On MAPI_OK
 * *out_token is a malloc'd NUL-terminated compact JWS. MAPI_ECRYPTO if
 * OpenSSL fails, MAPI_ENOMEM.
 */
MAPI_NODISCARD enum mapi_err
mapi_jwt_sign(enum mapi_jws_alg alg, struct evp_pkey_st *key, const char *kid,
              const struct cJSON *claims, char **out_token);

/*
 * mapi_jwt_sign, copying tmpl (NULL: as mapi_jwt_sign): a SHA-256
 * digest-sign context initialised with this same key (mapi_key_sign_ctx);
 * only read, so threads may share it.
 */
MAPI_NODISCARD enum mapi_err
mapi_jwt_sign_tmpl(enum mapi_jws_alg alg, struct evp_pkey_st *key,
                   const struct evp_md_ctx_st *tmpl, const char *kid,
                   const struct cJSON *claims, char **out_token);

/* Size of a SipHash-2-4-128 key and tag. */
#define MAPI_JWT_SIPHASH_KEY_LEN 16
#define MAPI_JWT_SIPHASH_LEN     16

/*
 * SipHash-2-4 with its 128-bit output (Aumasson and Bernstein, 2012; the
 * reference implementation's siphash() with outlen 16, which is also
 * OpenSSL's "SIPHASH" MAC at its defaults) of n_parts byte strings fed in
 * order, as one message, under key. A keyed PRF: without the key nobody
 * can find two inputs with the same tag faster than by guessing. Several
 * times cheaper than HMAC-SHA256 (what kube-apiserver's cached token
 * authenticator keys its entries with) and allocation-free, so the token
 * cache (server/satokens) keys its entries with it. Pure C, cannot fail; a NULL
 * part must have length 0.
 */
void mapi_jwt_siphash128(const uint8_t key[MAPI_JWT_SIPHASH_KEY_LEN],
                         const void *const *parts, const size_t *lens,
                         size_t n_parts, uint8_t out[MAPI_JWT_SIPHASH_LEN]);
