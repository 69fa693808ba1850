/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * jose: the small vocabulary shared by auth/jwt and auth/keys — strict
 * base64url (RFC 7515 §2, RFC 4648 §5 without padding) and the JWS
 * algorithm identifiers. No crypto here.
 *
 * Ownership: encoders/decoders write into caller buffers or return malloc'd
 *   memory the caller frees with free(), as stated per function.
 * Thread safety: all functions are pure and thread-safe.
 * Errors: enum mapi_err; outputs written only on MAPI_OK.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"

/* JWS "alg" values mockapi signs and verifies with (a bit set for policies). */
enum mapi_jws_alg {
	MAPI_JWS_NONE = 0, /* not an algorithm mockapi ever accepts */
	MAPI_JWS_RS256 = 1 << 0,
	MAPI_JWS_ES256 = 1 << 1,
};

/* "RS256" / "ES256"; NULL for anything else. */
const char *mapi_jws_alg_name(enum mapi_jws_alg alg);

/* The algorithm for an exact "alg" string; MAPI_JWS_NONE if unknown. */
enum mapi_jws_alg mapi_jws_alg_parse(const char *name);

/* Length of the base64url text (no padding) for n input bytes. */
size_t mapi_b64url_encoded_len(size_t n);

/*
 * Encodes n bytes as base64url without padding into out, which must hold
 * mapi_b64url_encoded_len(n) + 1 bytes; NUL-terminates. Returns the length.
 */
size_t mapi_b64url_encode(const uint8_t *in, size_t n, char *out);

/* As mapi_b64url_encode, into a fresh malloc'd string (NULL on ENOMEM). */
char *mapi_b64url_encode_dup(const uint8_t *in, size_t n);

/*
 * Strict base64url decode of len characters (no NUL needed). Rejects
 * padding ('='), '+', '/', whitespace, any other character, a length of
 * 4k+1, and non-canonical trailing bits (the unused low bits of the last
 * character must be zero), so every byte string has exactly one accepted
 * encoding. On MAPI_OK *out (malloc'd, NUL-terminated for convenience) and
 * *out_len are set; else MAPI_EINVAL (MAPI_ENOMEM) and nothing is written.
 */
MAPI_NODISCARD enum mapi_err mapi_b64url_decode(const char *in, size_t len,
                                                uint8_t **out,
                                                size_t *out_len);
