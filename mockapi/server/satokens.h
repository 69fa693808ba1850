/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * satokens: auth/tokens wired into the running server — the ServiceAccount
 * token authenticator kube-apiserver chains for every request and for
 * TokenReview, with what auth/tokens leaves to its caller:
 *
 *   - the lookup adapter: live ServiceAccounts, Pods, Secrets and Nodes
 *     read from the store (uid, deletionTimestamp, spec.serviceAccountName,
 *     spec.nodeName, data.token base64-decoded, the
 *     kubernetes.io/legacy-token-invalid-since label);
 *   - the jti random source: a splitmix64 stream seeded from --seed (so a
 *     --threads 1 run repeats its jtis), else getrandom(2);
 *   - the success cache of the token authenticator union (reference §9):
 *     entries live 10 s on the MOCK clock, are keyed by a keyed hash
 *     (SipHash-2-4-128, auth/jwt) under a random per-process key of the
 *     target audiences plus the token, as kube-apiserver keys its cache
 *     with an HMAC (the token itself is never stored), and failures are
 *     never cached;
 *   - the identity: the tokens identity plus system:authenticated (the
 *     authenticated-group adder), extra copied one value per key.
 *
 * Ownership: the keyset, store and clock are borrowed and must outlive the
 *   struct. Review results own their heap members (_review_clear()).
 * Threads: every function is safe from any thread (the cache and the
 *   seeded generator take their own mutex; validation runs unlocked).
 * Errors: enum mapi_err; outputs written only on MAPI_OK. A refused token
 *   is not an error (see mapi_satokens_review).
 * Limits: MAPI_SATOKENS_CACHE_SLOTS cache entries (direct-mapped: a
 *   collision evicts), tokens as auth/tokens bounds them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/authn.h"
#include "errors.h"

struct mapi_clock;
struct mapi_events;
struct mapi_keyset;
struct mapi_store;
struct mapi_satokens;
struct mapi_tokens;

#define MAPI_SATOKENS_CACHE_SLOTS  4096
#define MAPI_SATOKENS_CACHE_TTL_NS (INT64_C(10) * 1000000000)

/* From the command line (server/config.h). */
struct mapi_satokens_config {
	const char *issuer;        /* NULL → MAPI_TOKENS_DEFAULT_ISSUER */
	const char *api_audiences; /* comma list; NULL or "" → {issuer} */
	int64_t min_ttl;           /* s */
	int64_t default_ttl;       /* s */
	int64_t max_ttl;           /* s; 0 = no clamp */
	bool extend;               /* the 3607 s → one year rule */
	uint64_t seed;
	bool seeded;
};

/*
 * The token service and its authenticator. MAPI_EINVAL with a one-line
 * diag for a bad issuer, audience list or lifetimes (mapi_tokens_new's
 * checks, prefixed with nothing); MAPI_EIO if getrandom fails.
 */
MAPI_NODISCARD enum mapi_err
mapi_satokens_new(const struct mapi_satokens_config *cfg,
                  struct mapi_keyset *keyset, struct mapi_store *store,
                  const struct mapi_clock *clock, struct mapi_satokens **out,
                  struct mapi_diag *diag);

/* Accepts NULL. */
void mapi_satokens_free(struct mapi_satokens *s);

/*
 * For POST /mock/v1/reset: the jti generator back to its seed (so a reset
 * run issues the same tokens again) and the success cache emptied (the
 * objects tokens were bound to are gone).
 */
void mapi_satokens_reset(struct mapi_satokens *s);

/* The token service (borrowed), for TokenRequest and legacy Secrets. */
const struct mapi_tokens *mapi_satokens_tokens(const struct mapi_satokens *s);

/* Size of the peeked jti / kid (sim/events' MAPI_EVENT_JTI/KID_SIZE). */
#define MAPI_SATOKENS_PEEK_SIZE 64

/* A TokenReview verdict (the same one request authentication uses). */
struct mapi_satokens_review {
	bool authenticated;
	struct mapi_identity id; /* authenticated only */
	char **audiences;        /* status.audiences (token aud ∩ target) */
	size_t n_audiences;
	char *error; /* refused: status.error, reference §3.4 */
	/* What mapi_satokens_peek() gives for the token (for its events),
	 * from the one parse validation does (or the cache entry). */
	char jti[MAPI_SATOKENS_PEEK_SIZE];
	char kid[MAPI_SATOKENS_PEEK_SIZE];
};

/*
 * Authenticates token[0..len) against the target audiences (n = 0 → the
 * API audiences), through the cache, at the mock clock's now. The token
 * is parsed once (mapi_tokens_parse) for validation and the jti / kid.
 * MAPI_OK for every verdict; MAPI_ENOMEM, MAPI_ECRYPTO or a store error
 * otherwise.
 */
MAPI_NODISCARD enum mapi_err
mapi_satokens_review(struct mapi_satokens *s, const char *token, size_t len,
                     const char *const *audiences, size_t n_audiences,
                     struct mapi_satokens_review *out);

/* Frees the members and zeroes the struct. Accepts NULL. */
void mapi_satokens_review_clear(struct mapi_satokens_review *r);

/*
 * The authn validator (mapi_authn_set_token_validator, payload = the
 * struct mapi_satokens): a review against the API audiences. A refusal is
 * MAPI_EUNAUTHORIZED with status.error in diag (never the token).
 */
mapi_token_validator_fn mapi_satokens_validate;

/* ---- token events (sim/events) ---- */

/*
 * The event rings the validator reports refusals to (borrowed; NULL = no
 * events). Set once before the server serves; not synchronised.
 *
 * Every refusal of mapi_satokens_validate (request authentication; never
 * a cache hit, as failures are not cached) adds one "rejected" event whose
 * reason is the §3.4 inner reason (`service account token has expired`,
 * or `invalid bearer token` for a token no authenticator claims), and for
 * expiry an "expiredTokenPresented" event as well. The token identifies
 * itself by its (unverified) jti when it parses as a JWS, else by its
 * 8-character prefix (none for tokens of 16 characters or less, so that a
 * short secret is not stored whole). The cost is one O(1) ring add plus
 * one unverified parse of at most 16 KiB.
 */
void mapi_satokens_set_events(struct mapi_satokens *s, struct mapi_events *ev);

/*
 * The unverified jti claim and header kid of a compact JWS (for events):
 * "" for each one the token does not carry or when it does not parse
 * (mapi_jwt_parse rules: RS256/ES256, at most 16 KiB). Cannot fail.
 */
void mapi_satokens_peek(const char *token, size_t len, char *jti,
                        size_t jti_size, char *kid, size_t kid_size);

/*
 * The inner §3.4 reason of a status.error string: `[invalid bearer token,
 * R]` gives R, anything else itself. Written into buf (size bytes,
 * truncated, always NUL-terminated when size > 0).
 */
void mapi_satokens_inner_reason(const char *error, char *buf, size_t size);

/*
 * The token as events.h's `token` input: itself when longer than 16
 * characters (the event keeps 8), else NULL (no prefix at all).
 */
const char *mapi_satokens_event_token(const char *token);
