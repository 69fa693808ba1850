/* SPDX-License-Identifier: MIT */
#include "auth/authn.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct mapi_authn {
	char *admin_token;
	size_t admin_len; /* strlen(admin_token) */
	bool anonymous;
	mapi_token_validator_fn *validator;
	void *validator_payload;
};

enum mapi_err
mapi_authn_new(const char *admin_token, bool anonymous,
               struct mapi_authn **out_authn)
{
	struct mapi_authn *a;

	if (admin_token == NULL || admin_token[0] == '\0') {
		return MAPI_EINVAL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		return MAPI_ENOMEM;
	}
	a->admin_token = strdup(admin_token);
	if (a->admin_token == NULL) {
		free(a);
		return MAPI_ENOMEM;
	}
	a->admin_len = strlen(a->admin_token);
	a->anonymous = anonymous;
	*out_authn = a;
	return MAPI_OK;
}

void
mapi_authn_free(struct mapi_authn *authn)
{
	volatile char *p;

	if (authn == NULL) {
		return;
	}
	/* A secret: clear it (volatile so the stores are not elided). */
	for (p = authn->admin_token; *p != '\0'; p++) {
		*p = '\0';
	}
	free(authn->admin_token);
	free(authn);
}

void
mapi_authn_set_token_validator(struct mapi_authn *authn,
                               mapi_token_validator_fn *fn, void *payload)
{
	authn->validator = fn;
	authn->validator_payload = payload;
}

/*
 * Constant-time equality of a[0..la) and b[0..lb): the time depends on the
 * lengths only. Eight bytes a step (memcpy loads: no alignment needed),
 * then the tail; the bytes past the shorter string compare as 0 against
 * the longer one's, so unequal lengths still walk both.
 */
static bool
ct_equal(const char *a, size_t la, const char *b, size_t lb)
{
	size_t n = la < lb ? la : lb;
	uint64_t diff = la != lb;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x;
		uint64_t y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		diff |= x ^ y;
	}
	for (; i < n; i++) {
		diff |= (uint64_t)((unsigned char)a[i] ^ (unsigned char)b[i]);
	}
	return diff == 0;
}

bool
mapi_authn_token_equal(const char *a, const char *b)
{
	return ct_equal(a, strlen(a), b, strlen(b));
}

bool
mapi_authn_is_admin_token(const struct mapi_authn *authn, const char *token)
{
	return token != NULL && ct_equal(token, strlen(token),
	                                 authn->admin_token, authn->admin_len);
}

bool
mapi_identity_add_group(struct mapi_identity *id, const char *group)
{
	if (id->n_groups >= MAPI_IDENTITY_MAX_GROUPS ||
	    strlen(group) >= sizeof(id->groups[0])) {
		return false;
	}
	(void)snprintf(id->groups[id->n_groups], sizeof(id->groups[0]), "%s",
	               group);
	id->n_groups++;
	return true;
}

bool
mapi_identity_has_group(const struct mapi_identity *id, const char *group)
{
	size_t i;

	for (i = 0; i < id->n_groups; i++) {
		if (strcmp(id->groups[i], group) == 0) {
			return true;
		}
	}
	return false;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/*
 * bearertoken.Authenticator: TrimSpace the header, SplitN(" ", 3), the
 * first part must be "bearer" in any case. Writes the token (bounded)
 * into tok; false when there is none. An empty second part ("Bearer  x")
 * is kube's invalidToken error (401, not anonymous): true with tok "".
 */
static bool
bearer_token(const char *h, char *tok, size_t cap, size_t *tok_len)
{
	const char *end;
	const char *sp;
	const char *t;
	size_t n;

	if (h == NULL) {
		return false;
	}
	while (is_space(*h)) {
		h++;
	}
	end = h + strlen(h);
	while (end > h && is_space(end[-1])) {
		end--;
	}
	sp = memchr(h, ' ', (size_t)(end - h));
	if (sp == NULL || sp - h != 6 || strncasecmp(h, "bearer", 6) != 0) {
		return false;
	}
	t = sp + 1;
	sp = memchr(t, ' ', (size_t)(end - t));
	n = sp != NULL ? (size_t)(sp - t) : (size_t)(end - t);
	if (n == 0 || n >= cap) {
		tok[0] = '\0'; /* empty, or present but over the bound */
		*tok_len = 0;
		return true;
	}
	memcpy(tok, t, n);
	tok[n] = '\0';
	*tok_len = n;
	return true;
}

static void
fill_admin(struct mapi_identity *id)
{
	memset(id, 0, sizeof(*id));
	(void)snprintf(id->username, sizeof(id->username), "%s",
	               MAPI_ADMIN_USER);
	(void)mapi_identity_add_group(id, "system:masters");
	(void)mapi_identity_add_group(id, "system:authenticated");
}

static void
fill_anonymous(struct mapi_identity *id)
{
	memset(id, 0, sizeof(*id));
	(void)snprintf(id->username, sizeof(id->username), "%s",
	               "system:anonymous");
	(void)mapi_identity_add_group(id, "system:unauthenticated");
	id->anonymous = true;
}

enum mapi_err
mapi_authn_authenticate(const struct mapi_authn *authn,
                        const char *authorization, struct mapi_identity *out_id,
                        struct mapi_diag *diag)
{
	/* Bearer tokens longer than this are rejected, not truncated. */
	char tok[16384];
	size_t n = 0;
	struct mapi_identity id;
	enum mapi_err err;

	if (!bearer_token(authorization, tok, sizeof(tok), &n)) {
		if (!authn->anonymous) {
			mapi_diag_set(diag, "no credentials");
			return MAPI_EUNAUTHORIZED;
		}
		fill_anonymous(out_id);
		return MAPI_OK;
	}
	if (n == 0) {
		mapi_diag_set(diag, "empty or too long bearer token");
		return MAPI_EUNAUTHORIZED;
	}
	/* Only tok[0..n] ever held the token: clearing that is enough. */
	if (ct_equal(tok, n, authn->admin_token, authn->admin_len)) {
		memset(tok, 0, n + 1);
		fill_admin(out_id);
		return MAPI_OK;
	}
	if (authn->validator == NULL) {
		memset(tok, 0, n + 1);
		mapi_diag_set(diag, "invalid bearer token");
		return MAPI_EUNAUTHORIZED;
	}
	memset(&id, 0, sizeof(id));
	err = authn->validator(tok, &id, diag, authn->validator_payload);
	memset(tok, 0, n + 1);
	if (err != MAPI_OK) {
		return MAPI_EUNAUTHORIZED;
	}
	*out_id = id;
	return MAPI_OK;
}
