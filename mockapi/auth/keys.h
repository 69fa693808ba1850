/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * keys: ServiceAccount signing keys and the keyset the server signs with
 * and verifies against — generate, parse/load PEM, persist, kid, JWKS, and
 * rotation with overlap.
 *
 * A struct mapi_key is an immutable, reference-counted wrapper around a
 * pre-parsed OpenSSL EVP_PKEY plus what is derived from it once at
 * construction: the kid (base64url of SHA-256 over the DER
 * SubjectPublicKeyInfo, as kube-apiserver's keyIDFromPublicKey; 43 chars),
 * the JWS alg (RSA → RS256 whatever the size, P-256 → ES256) and its JWK.
 * Accepted keys: RSA of 2048..8192 bits and ECDSA P-256, private or public.
 * RSA below 2048 bits, other curves and other key types are refused.
 *
 * A struct mapi_keyset holds at most one active (signing) key plus
 * verification-only keys, in insertion order, at most MAPI_KEYSET_MAX.
 *
 * Ownership: every function returning a struct mapi_key * (generate, parse,
 *   load, mapi_key_ref, keyset_active, keyset_find, snapshot entries) hands
 *   the caller one reference, released with mapi_key_unref(). Functions
 *   that store a key (keyset_set_active, keyset_add_verify) take their own
 *   reference; the caller keeps its own. Borrowed results (kid, pkey) live
 *   as long as the caller holds a reference. Strings returned through
 *   char ** are malloc'd; the caller frees them with free().
 * Thread safety: a key is immutable, so any function on a key is safe from
 *   any thread, and its EVP_PKEY may be used by several threads at once for
 *   signing/verifying (each with its own EVP_MD_CTX). Refcounts are atomic.
 *   A keyset takes an internal rwlock: readers (active, find, count,
 *   snapshot, jwks, algs) run in parallel; writers are serialised. No lock
 *   is held after a function returns, so signing never happens under it.
 * Errors: enum mapi_err; outputs are written only on MAPI_OK. Bad key text
 *   is MAPI_EINVAL with a diag saying why; file errors are MAPI_ENOTFOUND /
 *   MAPI_EIO; an OpenSSL failure on good input is MAPI_ECRYPTO. The OpenSSL
 *   error queue is always left empty.
 * Secrets: buffers that held private key PEM or DER are cleared with
 *   OPENSSL_cleanse before they are freed.
 * Limits: PEM input at most MAPI_KEY_PEM_MAX bytes.
 */

#include <stdbool.h>
#include <stddef.h>

#include "auth/jose.h"
#include "errors.h"

struct evp_pkey_st; /* OpenSSL's EVP_PKEY */
struct mapi_key;
struct mapi_keyset;

/*
 * Process-wide OpenSSL set-up for the server, called once before any other
 * OpenSSL use (mapi_server_start does; later calls do nothing). OpenSSL is
 * used only with its built-in default provider (SHA-256, RSA, ECDSA), so
 * the system-wide openssl.cnf is NOT read: parsing it and loading the
 * config modules cost about 0.5 MB of resident code at every start for a
 * file that configures nothing mockapi uses. Setting OPENSSL_CONF (to a
 * file) restores OpenSSL's usual behaviour of loading it. Returns false if
 * OpenSSL could not initialise (callers then fail on first use anyway).
 */
bool mapi_crypto_init(void);

/* Length of a kid: base64url of 32 bytes, no padding. */
#define MAPI_KEY_KID_LEN 43

/* Upper bound on PEM text accepted by parse/load. */
#define MAPI_KEY_PEM_MAX ((size_t)64 * 1024)

/* Most keys a keyset holds (active + verification-only). */
#define MAPI_KEYSET_MAX 64

enum mapi_key_type {
	MAPI_KEY_RSA2048 = 1, /* RSA, 2048 bits, e = 65537 */
	MAPI_KEY_P256,        /* ECDSA over NIST P-256 (prime256v1) */
};

/* A fresh random private key of `type`. MAPI_EINVAL for an unknown type. */
MAPI_NODISCARD enum mapi_err mapi_key_generate(enum mapi_key_type type,
                                               struct mapi_key **out_key);

/*
 * Parses the first key block of PEM text (len bytes; no NUL needed):
 * "PRIVATE KEY" (PKCS#8), "RSA PRIVATE KEY" (PKCS#1), "EC PRIVATE KEY"
 * (SEC1; a preceding "EC PARAMETERS" block is skipped) or "PUBLIC KEY"
 * (SubjectPublicKeyInfo). Encrypted keys, certificates, RSA keys under 2048
 * (or over 8192) bits, EC curves other than P-256 and other key types are
 * MAPI_EINVAL with the reason in diag (may be NULL). Private keys are
 * consistency-checked.
 */
MAPI_NODISCARD enum mapi_err mapi_key_parse_pem(const char *pem, size_t len,
                                                struct mapi_key **out_key,
                                                struct mapi_diag *diag);

/*
 * Reads `path` (at most MAPI_KEY_PEM_MAX bytes) and parses it as
 * mapi_key_parse_pem() does; diag names the file on failure.
 */
MAPI_NODISCARD enum mapi_err mapi_key_load_file(const char *path,
                                                struct mapi_key **out_key,
                                                struct mapi_diag *diag);

/*
 * Writes the private key to `path` as unencrypted PKCS#8 PEM ("BEGIN
 * PRIVATE KEY", which OpenSSL, GnuTLS and Go all read), mode 0600,
 * atomically (temp file in the same dir, fsync, rename, fsync dir). A
 * public-only key is MAPI_EINVAL. On failure `path` is unchanged.
 */
MAPI_NODISCARD enum mapi_err mapi_key_save_private(const struct mapi_key *key,
                                                   const char *path);

/*
 * The public key as SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY"), the
 * form --service-account-key-file takes. *out_pem is malloc'd.
 */
MAPI_NODISCARD enum mapi_err mapi_key_public_pem(const struct mapi_key *key,
                                                 char **out_pem);

/* Adds a reference and returns `key`. Accepts NULL (returns NULL). */
struct mapi_key *mapi_key_ref(struct mapi_key *key);

/* Drops a reference; the last one frees the key. Accepts NULL. */
void mapi_key_unref(struct mapi_key *key);

/* The kid, MAPI_KEY_KID_LEN chars, NUL-terminated; borrowed. */
const char *mapi_key_kid(const struct mapi_key *key);

/* MAPI_JWS_RS256 for RSA keys, MAPI_JWS_ES256 for P-256 keys. */
enum mapi_jws_alg mapi_key_alg(const struct mapi_key *key);

/* True when the key holds private material (can sign). */
bool mapi_key_is_private(const struct mapi_key *key);

/*
 * The pre-parsed OpenSSL key, borrowed: valid while a reference is held.
 * Callers must not modify it (it is shared between threads).
 */
struct evp_pkey_st *mapi_key_pkey(const struct mapi_key *key);

struct evp_md_ctx_st; /* OpenSSL's EVP_MD_CTX */

/*
 * A SHA-256 digest-verify (or, for a private key, digest-sign) context
 * initialised once with this key, borrowed like mapi_key_pkey(). Never use
 * it directly: copy it per operation (auth/jwt does, EVP_MD_CTX_copy_ex),
 * which skips OpenSSL's per-init algorithm fetches and their locks. NULL
 * when OpenSSL could not make it (or a public key's sign context): the
 * caller then initialises a context itself.
 */
const struct evp_md_ctx_st *mapi_key_verify_ctx(const struct mapi_key *key);
const struct evp_md_ctx_st *mapi_key_sign_ctx(const struct mapi_key *key);

/*
 * This key's JWK, compact, members in kube-apiserver's order (see
 * mapi_keyset_jwks); borrowed, NUL-terminated.
 */
const char *mapi_key_jwk(const struct mapi_key *key);

/* An empty keyset. */
MAPI_NODISCARD enum mapi_err mapi_keyset_new(struct mapi_keyset **out);

/* Drops the keyset's references to its keys. Accepts NULL. */
void mapi_keyset_free(struct mapi_keyset *keyset);

/*
 * Makes `key` (which must be private: else MAPI_EINVAL) the signing key,
 * taking a reference. The previous active key stays as a verification-only
 * key in its place in insertion order, so tokens it signed still validate
 * (rotation with overlap). A key whose kid is already in the set takes
 * over that entry and its position (a private key replaces a public copy).
 * MAPI_ETOOMANY if the set is full.
 */
MAPI_NODISCARD enum mapi_err mapi_keyset_set_active(struct mapi_keyset *keyset,
                                                    struct mapi_key *key);

/*
 * Adds a verification-only key (public or private), taking a reference.
 * A kid already present is left as it is (MAPI_OK). MAPI_ETOOMANY if full.
 */
MAPI_NODISCARD enum mapi_err mapi_keyset_add_verify(struct mapi_keyset *keyset,
                                                    struct mapi_key *key);

/* A new reference to the active key, or NULL if none is set. */
struct mapi_key *mapi_keyset_active(const struct mapi_keyset *keyset);

/*
 * A new reference to the key with this kid (active or not), or NULL: a
 * miss is not an error. kid may be NULL (always a miss).
 */
struct mapi_key *mapi_keyset_find(const struct mapi_keyset *keyset,
                                  const char *kid);

/* Number of keys, the active one included. */
size_t mapi_keyset_count(const struct mapi_keyset *keyset);

/*
 * Every key, each with a new reference, active first then the others in
 * insertion order — for verifying a token without a kid. *out_keys is a
 * malloc'd array (NULL when *out_n is 0); release it with
 * mapi_keyset_snapshot_free().
 */
MAPI_NODISCARD enum mapi_err
mapi_keyset_snapshot(const struct mapi_keyset *keyset,
                     struct mapi_key ***out_keys, size_t *out_n);

/* Unrefs every key of a snapshot and frees the array. Accepts NULL. */
void mapi_keyset_snapshot_free(struct mapi_key **keys, size_t n);

/* Removes every key but the active one (all keys if none is active). */
MAPI_NODISCARD enum mapi_err
mapi_keyset_drop_inactive(struct mapi_keyset *keyset);

/*
 * Removes the verification-only key with this kid (rotation: the overlap
 * is over). MAPI_ENOTFOUND if no key has it, MAPI_EINVAL if it is the
 * active key or kid is NULL.
 */
MAPI_NODISCARD enum mapi_err mapi_keyset_remove(struct mapi_keyset *keyset,
                                                const char *kid);

/*
 * The JWKS document exactly as kube-apiserver serves /openid/v1/jwks:
 * compact JSON {"keys":[...]}, active key first then the others in
 * insertion order, each
 *   {"use":"sig","kty":"RSA","kid":K,"alg":"RS256","n":N,"e":E} or
 *   {"use":"sig","kty":"EC","kid":K,"crv":"P-256","alg":"ES256","x":X,"y":Y}
 * (go-jose member order) with n/e big-endian without leading zero bytes and
 * x/y left-padded to 32 bytes, all base64url without padding. An empty set
 * gives {"keys":[]}. *out_json is malloc'd.
 */
MAPI_NODISCARD enum mapi_err mapi_keyset_jwks(const struct mapi_keyset *keyset,
                                              char **out_json);

/*
 * The OR of the enum mapi_jws_alg bits of every key, for
 * id_token_signing_alg_values_supported (0 for an empty set).
 */
MAPI_NODISCARD enum mapi_err mapi_keyset_algs(const struct mapi_keyset *keyset,
                                              unsigned *out_mask);
