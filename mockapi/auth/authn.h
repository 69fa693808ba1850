/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * authn: who is calling. Turns the Authorization header of a request into a
 * struct mapi_identity, as kube-apiserver's authenticator chain does:
 *
 *   - no usable credentials (no header, or a scheme other than Bearer,
 *     or an empty token; the scheme is matched case-insensitively, python
 *     sends "bearer"): system:anonymous in group system:unauthenticated when
 *     anonymous auth is on, else MAPI_EUNAUTHORIZED;
 *   - the static admin token (compared in constant time): mockapi-admin in
 *     system:masters and system:authenticated;
 *   - any other token: the token validator if one is set (the
 *     ServiceAccount-token module plugs in here); a token it rejects, or
 *     any token when none is set, is MAPI_EUNAUTHORIZED. An invalid token
 *     never falls back to anonymous (reference §6).
 *
 * Ownership: the admin token is copied at _new and cleared at _free.
 *   Identities are plain values the caller owns.
 * Threads: mapi_authn_authenticate() is safe from any thread. The validator
 *   must be set before serving starts and must itself be thread-safe.
 * Errors: enum mapi_err; outputs written only on MAPI_OK.
 * Limits: MAPI_IDENTITY_MAX_GROUPS groups, MAPI_IDENTITY_MAX_EXTRA extras.
 */

#include <stdbool.h>
#include <stddef.h>

#include "errors.h"

#define MAPI_IDENTITY_MAX_GROUPS 16
#define MAPI_IDENTITY_MAX_EXTRA  8

#define MAPI_ADMIN_USER "mockapi-admin"

/* user.Info: name, uid, groups, extra (one value per entry). */
struct mapi_identity {
	char username[256];
	char uid[128];
	char groups[MAPI_IDENTITY_MAX_GROUPS][128];
	size_t n_groups;
	struct {
		char key[96];
		char value[256];
	} extra[MAPI_IDENTITY_MAX_EXTRA];
	size_t n_extra;
	bool anonymous; /* true for system:anonymous */
};

/*
 * Validates a bearer token that is not the admin token. On MAPI_OK fills
 * *out_id. Any other result means 401; diag may say why (never the token).
 */
typedef enum mapi_err mapi_token_validator_fn(const char *token,
                                              struct mapi_identity *out_id,
                                              struct mapi_diag *diag,
                                              void *payload);

struct mapi_authn;

/*
 * admin_token: the static admin bearer token (non-empty). anonymous: as
 * --anonymous-auth.
 */
MAPI_NODISCARD enum mapi_err mapi_authn_new(const char *admin_token,
                                            bool anonymous,
                                            struct mapi_authn **out_authn);

/* Accepts NULL. Clears the admin token copy. */
void mapi_authn_free(struct mapi_authn *authn);

/* Sets (replaces; NULL removes) the validator for non-admin tokens. */
void mapi_authn_set_token_validator(struct mapi_authn *authn,
                                    mapi_token_validator_fn *fn, void *payload);

/*
 * Authenticates one request from its Authorization header value (NULL when
 * absent). MAPI_OK with *out_id, or MAPI_EUNAUTHORIZED (diag: the reason).
 */
MAPI_NODISCARD enum mapi_err
mapi_authn_authenticate(const struct mapi_authn *authn,
                        const char *authorization, struct mapi_identity *out_id,
                        struct mapi_diag *diag);

/*
 * True if token is the static admin token (constant time), for
 * TokenReview, which reviews it as the static token authenticator would.
 */
bool mapi_authn_is_admin_token(const struct mapi_authn *authn,
                               const char *token);

/* Adds a group to id; false when full or too long (id unchanged). */
bool mapi_identity_add_group(struct mapi_identity *id, const char *group);

/* true if id is in group. */
bool mapi_identity_has_group(const struct mapi_identity *id, const char *group);

/* Constant-time equality of two NUL-terminated strings (time depends on
 * the lengths only). */
bool mapi_authn_token_equal(const char *a, const char *b);
