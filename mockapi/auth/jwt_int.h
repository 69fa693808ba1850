/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * jwt_int: auth/jwt's internals, exposed for its unit test only (STYLE.md
 * 3.9.1). Not part of the contract: other modules use auth/jwt.h.
 *
 * Same rules as jwt.h: keys are borrowed, malloc'd outputs are freed with
 * free(), outputs are written only on MAPI_OK, the OpenSSL error queue is
 * empty on return.
 */

#include <stddef.h>
#include <stdint.h>

#include "auth/jose.h"
#include "errors.h"

struct evp_pkey_st;

/*
 * Signs input[0..len) — a JWS signing input — with alg and key: RS256 gives
 * the modulus-sized PKCS#1 v1.5 signature, ES256 the 64-byte raw R‖S. On
 * MAPI_OK *out_sig (malloc'd) and *out_len are set. MAPI_EINVAL if the key
 * does not fit alg, MAPI_ECRYPTO, MAPI_ENOMEM.
 */
MAPI_NODISCARD enum mapi_err mapi_jwt_sign_input(enum mapi_jws_alg alg,
                                                 struct evp_pkey_st *key,
                                                 const char *input, size_t len,
                                                 uint8_t **out_sig,
                                                 size_t *out_len);

/*
 * ES256 raw R‖S (exactly 64 bytes) → DER ECDSA-Sig-Value (malloc'd).
 * MAPI_ENOMEM / MAPI_ECRYPTO.
 */
MAPI_NODISCARD enum mapi_err mapi_jwt_es256_raw_to_der(const uint8_t *raw,
                                                       uint8_t **out_der,
                                                       size_t *out_len);

/*
 * DER ECDSA-Sig-Value → raw R‖S into raw[64], R and S each left-padded to
 * 32 bytes. MAPI_EINVAL if der is not one well-formed ECDSA-Sig-Value or a
 * value does not fit 32 bytes.
 */
MAPI_NODISCARD enum mapi_err mapi_jwt_es256_der_to_raw(const uint8_t *der,
                                                       size_t der_len,
                                                       uint8_t *raw);
