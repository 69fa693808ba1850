/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* getrandom */
#include "server/satokens.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <cjson/cJSON.h>

#include "auth/jwt.h"
#include "auth/tokens.h"
#include "server/json.h"
#include "sim/clock.h"
#include "sim/events.h"
#include "state/store.h"

_Static_assert(MAPI_SATOKENS_PEEK_SIZE == MAPI_EVENT_JTI_SIZE,
               "peeked jti sized as the events keep it");
_Static_assert(MAPI_SATOKENS_PEEK_SIZE == MAPI_EVENT_KID_SIZE,
               "peeked kid sized as the events keep it");

#define CACHE_KEY_LEN MAPI_JWT_SIPHASH_LEN

/* What a hit hands back besides the audiences (one allocation). */
struct cached {
	struct mapi_identity id;
	char jti[MAPI_SATOKENS_PEEK_SIZE];
	char kid[MAPI_SATOKENS_PEEK_SIZE];
};

struct cache_entry {
	uint8_t key[CACHE_KEY_LEN];
	int64_t expires_ns; /* mock clock; 0 = empty slot */
	struct cached *c;
	char **audiences;
	size_t n_audiences;
};

struct mapi_satokens {
	struct mapi_tokens *tokens;
	struct mapi_store *store;
	const struct mapi_clock *clock;
	/* jti source */
	pthread_mutex_t rng_lock;
	bool seeded;
	uint64_t seed;
	uint64_t rng_state;
	/* success cache */
	uint8_t cache_hkey[MAPI_JWT_SIPHASH_KEY_LEN]; /* random, per process */
	pthread_mutex_t cache_lock;
	struct cache_entry *cache; /* MAPI_SATOKENS_CACHE_SLOTS */
	struct mapi_events *events; /* borrowed; NULL = no events */
};

/* ---- random source ---- */

static uint64_t
splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static void
random_bytes(void *payload, uint8_t *buf, size_t n)
{
	struct mapi_satokens *s = payload;
	size_t off = 0;

	if (!s->seeded) {
		while (off < n) {
			ssize_t r = getrandom(buf + off, n - off, 0);

			if (r < 0 && errno == EINTR) {
				continue;
			}
			if (r <= 0) {
				break; /* cannot happen on Linux ≥ 3.17 */
			}
			off += (size_t)r;
		}
		if (off == n) {
			return;
		}
	}
	(void)pthread_mutex_lock(&s->rng_lock);
	while (off < n) {
		uint64_t v = splitmix64(&s->rng_state);
		size_t k;

		for (k = 0; k < 8 && off < n; k++, off++) {
			buf[off] = (uint8_t)(v >> (8 * k));
		}
	}
	(void)pthread_mutex_unlock(&s->rng_lock);
}

/* ---- lookup adapter ---- */

static int
b64val(int c)
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
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Standard base64 (padding optional) → malloc'd bytes; NULL if invalid. */
static char *
b64_decode(const char *in, size_t *out_len)
{
	size_t n = strlen(in);
	char *out = malloc(n / 4 * 3 + 4);
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	size_t i;

	if (out == NULL) {
		return NULL;
	}
	for (i = 0; i < n && in[i] != '='; i++) {
		int v = b64val((unsigned char)in[i]);

		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

static bool
dup_opt(const char *v, char **out)
{
	if (v == NULL) {
		*out = NULL;
		return true;
	}
	*out = strdup(v);
	return *out != NULL;
}

static enum mapi_err
lookup(void *payload, const char *resource, const char *ns, const char *name,
       struct mapi_tokens_object *out)
{
	struct mapi_satokens *s = payload;
	struct mapi_store_ref r = {
		.group = "", .resource = resource, .ns = ns, .name = name
	};
	struct mapi_tokens_object o = { 0 };
	cJSON *obj = NULL;
	const char *dts;
	const char *tok;
	int64_t t_ns;
	enum mapi_err err;

	if (name == NULL || *name == '\0') {
		return MAPI_ENOTFOUND;
	}
	(void)mapi_store_run_due(s->store);
	err = mapi_store_get(s->store, &r, &obj, NULL);
	if (err != MAPI_OK) {
		return err;
	}
	err = MAPI_ENOMEM;
	dts = mapi_json_get_path_string(obj, "metadata.deletionTimestamp");
	if (dts != NULL && mapi_time_parse_rfc3339(dts, &t_ns) == MAPI_OK) {
		o.deletion_timestamp = t_ns / MAPI_NS_PER_SEC;
	}
	if (!dup_opt(mapi_json_get_path_string(obj, "metadata.uid"), &o.uid)) {
		goto out;
	}
	if (strcmp(resource, "pods") == 0 &&
	    (!dup_opt(mapi_json_get_path_string(obj, "spec.serviceAccountName"),
	              &o.service_account_name) ||
	     !dup_opt(mapi_json_get_path_string(obj, "spec.nodeName"),
	              &o.node_name))) {
		goto out;
	}
	if (strcmp(resource, "secrets") == 0) {
		const cJSON *labels = mapi_json_get_object(
			mapi_json_get_object(obj, "metadata"), "labels");

		tok = mapi_json_get_path_string(obj, "data.token");
		if (tok != NULL) {
			o.data_token = b64_decode(tok, &o.data_token_len);
			if (o.data_token == NULL) {
				o.data_token_len = 0; /* not base64: no token */
			}
		}
		if (!dup_opt(
			    mapi_json_get_string(
				    labels,
				    "kubernetes.io/legacy-token-invalid-since"),
			    &o.invalid_since)) {
			goto out;
		}
	}
	*out = o;
	memset(&o, 0, sizeof(o));
	err = MAPI_OK;
out:
	mapi_tokens_object_clear(&o);
	cJSON_Delete(obj);
	return err;
}

/* ---- construction ---- */

/* Splits a comma list into a NULL-terminated array of malloc'd strings. */
static enum mapi_err
split_list(const char *text, char ***out)
{
	char **v = NULL;
	size_t n = 0;
	const char *p = text;

	while (p != NULL) {
		const char *comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		char **nv;

		if (len > 0) {
			nv = realloc(v, (n + 2) * sizeof(*v));
			if (nv == NULL) {
				goto fail;
			}
			v = nv;
			v[n] = strndup(p, len);
			if (v[n] == NULL) {
				goto fail;
			}
			v[++n] = NULL;
		}
		p = comma != NULL ? comma + 1 : NULL;
	}
	*out = v;
	return MAPI_OK;
fail:
	while (v != NULL && n > 0) {
		free(v[--n]);
	}
	free(v);
	return MAPI_ENOMEM;
}

static void
free_list(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++) {
		free(v[i]);
	}
	free(v);
}

enum mapi_err
mapi_satokens_new(const struct mapi_satokens_config *cfg,
                  struct mapi_keyset *keyset, struct mapi_store *store,
                  const struct mapi_clock *clock, struct mapi_satokens **out,
                  struct mapi_diag *diag)
{
	struct mapi_satokens *s = calloc(1, sizeof(*s));
	struct mapi_tokens_config tc;
	char **auds = NULL;
	enum mapi_err err = MAPI_ENOMEM;

	if (s == NULL) {
		return MAPI_ENOMEM;
	}
	(void)pthread_mutex_init(&s->rng_lock, NULL);
	(void)pthread_mutex_init(&s->cache_lock, NULL);
	s->store = store;
	s->clock = clock;
	s->seeded = cfg->seeded;
	s->seed = cfg->seed;
	s->rng_state = cfg->seed;
	s->cache = calloc(MAPI_SATOKENS_CACHE_SLOTS, sizeof(*s->cache));
	if (s->cache == NULL) {
		goto out;
	}
	if (getrandom(s->cache_hkey, sizeof(s->cache_hkey), 0) !=
	    (ssize_t)sizeof(s->cache_hkey)) {
		mapi_diag_set(diag, "getrandom: %s", strerror(errno));
		err = MAPI_EIO;
		goto out;
	}
	if (cfg->api_audiences != NULL && *cfg->api_audiences != '\0') {
		err = split_list(cfg->api_audiences, &auds);
		if (err != MAPI_OK) {
			goto out;
		}
		if (auds == NULL) {
			mapi_diag_set(diag, "--api-audiences: empty list");
			err = MAPI_EINVAL;
			goto out;
		}
	}
	mapi_tokens_config_init(&tc);
	tc.issuer = cfg->issuer;
	tc.api_audiences = (const char *const *)auds;
	tc.min_ttl = cfg->min_ttl;
	tc.default_ttl = cfg->default_ttl;
	tc.max_ttl = cfg->max_ttl;
	tc.extend = cfg->extend;
	tc.keyset = keyset;
	tc.lookup = lookup;
	tc.lookup_payload = s;
	tc.random_bytes = random_bytes;
	tc.random_payload = s;
	err = mapi_tokens_new(&tc, &s->tokens, diag);
	if (err != MAPI_OK) {
		goto out;
	}
	*out = s;
	s = NULL;
out:
	free_list(auds);
	mapi_satokens_free(s);
	return err;
}

static void
entry_clear(struct cache_entry *e)
{
	size_t i;

	free(e->c);
	for (i = 0; i < e->n_audiences; i++) {
		free(e->audiences[i]);
	}
	free(e->audiences);
	memset(e, 0, sizeof(*e));
}

void
mapi_satokens_free(struct mapi_satokens *s)
{
	size_t i;

	if (s == NULL) {
		return;
	}
	for (i = 0; s->cache != NULL && i < MAPI_SATOKENS_CACHE_SLOTS; i++) {
		entry_clear(&s->cache[i]);
	}
	free(s->cache);
	mapi_tokens_free(s->tokens);
	(void)pthread_mutex_destroy(&s->rng_lock);
	(void)pthread_mutex_destroy(&s->cache_lock);
	memset(s->cache_hkey, 0, sizeof(s->cache_hkey));
	free(s);
}

void
mapi_satokens_reset(struct mapi_satokens *s)
{
	size_t i;

	(void)pthread_mutex_lock(&s->rng_lock);
	s->rng_state = s->seed;
	(void)pthread_mutex_unlock(&s->rng_lock);
	(void)pthread_mutex_lock(&s->cache_lock);
	for (i = 0; i < MAPI_SATOKENS_CACHE_SLOTS; i++) {
		entry_clear(&s->cache[i]);
	}
	(void)pthread_mutex_unlock(&s->cache_lock);
}

const struct mapi_tokens *
mapi_satokens_tokens(const struct mapi_satokens *s)
{
	return s->tokens;
}

/* ---- review ---- */

static enum mapi_err
dup_strings(char *const *in, size_t n, char ***out)
{
	char **v = NULL;
	size_t i;

	if (n == 0) {
		*out = NULL;
		return MAPI_OK;
	}
	v = calloc(n, sizeof(*v));
	if (v == NULL) {
		return MAPI_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		v[i] = strdup(in[i]);
		if (v[i] == NULL) {
			while (i > 0) {
				free(v[--i]);
			}
			free(v);
			return MAPI_ENOMEM;
		}
	}
	*out = v;
	return MAPI_OK;
}

static void
to_identity(const struct mapi_tokens_identity *ti, struct mapi_identity *id)
{
	size_t i;

	memset(id, 0, sizeof(*id));
	(void)snprintf(id->username, sizeof(id->username), "%s",
	               ti->username != NULL ? ti->username : "");
	(void)snprintf(id->uid, sizeof(id->uid), "%s",
	               ti->uid != NULL ? ti->uid : "");
	for (i = 0; i < ti->n_groups; i++) {
		(void)mapi_identity_add_group(id, ti->groups[i]);
	}
	if (!mapi_identity_has_group(id, "system:authenticated")) {
		(void)mapi_identity_add_group(id, "system:authenticated");
	}
	for (i = 0; i < ti->n_extra && i < MAPI_IDENTITY_MAX_EXTRA; i++) {
		(void)snprintf(id->extra[i].key, sizeof(id->extra[i].key), "%s",
		               ti->extra[i].key);
		(void)snprintf(
			id->extra[i].value, sizeof(id->extra[i].value), "%s",
			ti->extra[i].value != NULL ? ti->extra[i].value : "");
	}
	id->n_extra = i;
}

static enum mapi_err
cache_key(const struct mapi_satokens *s, const char *token, size_t len,
          const char *const *auds, size_t n, uint8_t key[CACHE_KEY_LEN])
{
	const void *parts[MAPI_TOKENS_MAX_AUDIENCES + 2];
	size_t lens[MAPI_TOKENS_MAX_AUDIENCES + 2];
	uint64_t count = n;
	size_t k = 0;
	size_t i;

	if (n > MAPI_TOKENS_MAX_AUDIENCES) {
		return MAPI_EINVAL;
	}
	/* count, each audience NUL-terminated, then the token. */
	parts[k] = &count;
	lens[k++] = sizeof(count);
	for (i = 0; i < n; i++) {
		parts[k] = auds[i];
		lens[k++] = strlen(auds[i]) + 1;
	}
	parts[k] = token;
	lens[k++] = len;
	mapi_jwt_siphash128(s->cache_hkey, parts, lens, k, key);
	return MAPI_OK;
}

static size_t
slot_of(const uint8_t key[CACHE_KEY_LEN])
{
	return (((size_t)key[0] << 8) | key[1]) % MAPI_SATOKENS_CACHE_SLOTS;
}

/* Copies a live entry into out; false on a miss (or ENOMEM). */
static bool
cache_find(struct mapi_satokens *s, const uint8_t key[CACHE_KEY_LEN],
           int64_t now_ns, struct mapi_satokens_review *out)
{
	struct cache_entry *e = &s->cache[slot_of(key)];
	bool hit = false;

	(void)pthread_mutex_lock(&s->cache_lock);
	if (e->expires_ns != 0 && now_ns < e->expires_ns &&
	    memcmp(e->key, key, CACHE_KEY_LEN) == 0 &&
	    dup_strings(e->audiences, e->n_audiences, &out->audiences) ==
	            MAPI_OK) {
		out->authenticated = true;
		out->id = e->c->id;
		memcpy(out->jti, e->c->jti, sizeof(out->jti));
		memcpy(out->kid, e->c->kid, sizeof(out->kid));
		out->n_audiences = e->n_audiences;
		hit = true;
	} else if (e->expires_ns != 0 && now_ns >= e->expires_ns) {
		entry_clear(e);
	}
	(void)pthread_mutex_unlock(&s->cache_lock);
	return hit;
}

/* Best effort: an allocation failure just means no caching. */
static void
cache_put(struct mapi_satokens *s, const uint8_t key[CACHE_KEY_LEN],
          int64_t now_ns, const struct mapi_satokens_review *r)
{
	struct cache_entry ne = { 0 };
	struct cache_entry *e;

	ne.c = malloc(sizeof(*ne.c));
	if (ne.c == NULL || dup_strings(r->audiences, r->n_audiences,
	                                &ne.audiences) != MAPI_OK) {
		free(ne.c);
		return;
	}
	ne.c->id = r->id;
	memcpy(ne.c->jti, r->jti, sizeof(ne.c->jti));
	memcpy(ne.c->kid, r->kid, sizeof(ne.c->kid));
	ne.n_audiences = r->n_audiences;
	memcpy(ne.key, key, CACHE_KEY_LEN);
	ne.expires_ns = now_ns + MAPI_SATOKENS_CACHE_TTL_NS;
	if (ne.expires_ns == 0) {
		ne.expires_ns = 1;
	}
	e = &s->cache[slot_of(key)];
	(void)pthread_mutex_lock(&s->cache_lock);
	entry_clear(e);
	*e = ne;
	(void)pthread_mutex_unlock(&s->cache_lock);
}

/* mapi_satokens_peek's fields from a parse (NULL: did not parse). */
static void
peek_parsed(const struct mapi_jwt *jwt, char *jti, size_t jti_size,
            char *kid, size_t kid_size)
{
	const char *v;

	if (jti_size > 0) {
		jti[0] = '\0';
	}
	if (kid_size > 0) {
		kid[0] = '\0';
	}
	if (jwt == NULL) {
		return;
	}
	v = mapi_json_get_string(mapi_jwt_claims(jwt), "jti");
	if (v != NULL && jti_size > 0) {
		(void)snprintf(jti, jti_size, "%s", v);
	}
	v = mapi_jwt_kid(jwt);
	if (v != NULL && kid_size > 0) {
		(void)snprintf(kid, kid_size, "%s", v);
	}
}

enum mapi_err
mapi_satokens_review(struct mapi_satokens *s, const char *token, size_t len,
                     const char *const *audiences, size_t n_audiences,
                     struct mapi_satokens_review *out)
{
	struct mapi_satokens_review r = { 0 };
	struct mapi_tokens_result res = { 0 };
	struct mapi_tokens_parsed parsed = { 0 };
	uint8_t key[CACHE_KEY_LEN];
	int64_t now_ns = mapi_clock_now_ns(s->clock);
	enum mapi_err err;

	err = cache_key(s, token, len, audiences, n_audiences, key);
	if (err != MAPI_OK) {
		return err;
	}
	if (cache_find(s, key, now_ns, &r)) {
		*out = r;
		return MAPI_OK;
	}
	err = mapi_tokens_parse(token, len, &parsed);
	if (err != MAPI_OK) {
		return err;
	}
	peek_parsed(parsed.jwt, r.jti, sizeof(r.jti), r.kid, sizeof(r.kid));
	err = mapi_tokens_validate_parsed(s->tokens, token, len, &parsed,
	                                  audiences, n_audiences, now_ns, &res);
	mapi_tokens_parsed_clear(&parsed);
	if (err != MAPI_OK) {
		return err;
	}
	if (res.verdict == MAPI_TOKENS_AUTHENTICATED) {
		err = dup_strings(res.audiences, res.n_audiences, &r.audiences);
		if (err == MAPI_OK) {
			r.authenticated = true;
			r.n_audiences = res.n_audiences;
			to_identity(&res.identity, &r.id);
			cache_put(s, key, now_ns, &r);
		}
	} else {
		err = mapi_tokens_review_error(&res, &r.error);
	}
	mapi_tokens_result_clear(&res);
	memset(key, 0, sizeof(key));
	if (err != MAPI_OK) {
		mapi_satokens_review_clear(&r);
		return err;
	}
	*out = r;
	return MAPI_OK;
}

void
mapi_satokens_review_clear(struct mapi_satokens_review *r)
{
	size_t i;

	if (r == NULL) {
		return;
	}
	for (i = 0; i < r->n_audiences; i++) {
		free(r->audiences[i]);
	}
	free(r->audiences);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

static void emit_refusal(struct mapi_satokens *s, const char *token,
                         const char *error, const char *jti,
                         const char *kid);

enum mapi_err
mapi_satokens_validate(const char *token, struct mapi_identity *out_id,
                       struct mapi_diag *diag, void *payload)
{
	struct mapi_satokens_review r = { 0 };
	char why[64];
	enum mapi_err err;

	err = mapi_satokens_review(payload, token, strlen(token), NULL, 0, &r);
	if (err != MAPI_OK) {
		(void)snprintf(why, sizeof(why), "token validation failed: %s",
		               mapi_err_name(err));
		mapi_diag_set(diag, "%s", why);
		emit_refusal(payload, token, why, NULL, NULL);
		return MAPI_EUNAUTHORIZED;
	}
	if (!r.authenticated) {
		mapi_diag_set(diag, "%s", r.error != NULL ? r.error : "");
		emit_refusal(payload, token, r.error, r.jti, r.kid);
		mapi_satokens_review_clear(&r);
		return MAPI_EUNAUTHORIZED;
	}
	*out_id = r.id;
	mapi_satokens_review_clear(&r);
	return MAPI_OK;
}

/* ---- token events: refusals of request authentication ---- */

#define EXPIRED_REASON "service account token has expired"
#define EVENT_TOKEN_MIN (2 * MAPI_EVENT_TOKEN_PREFIX_MAX)

void
mapi_satokens_set_events(struct mapi_satokens *s, struct mapi_events *ev)
{
	s->events = ev;
}

void
mapi_satokens_peek(const char *token, size_t len, char *jti, size_t jti_size,
                   char *kid, size_t kid_size)
{
	struct mapi_tokens_parsed p = { 0 };

	if (token == NULL || mapi_tokens_parse(token, len, &p) != MAPI_OK) {
		p.jwt = NULL;
	}
	peek_parsed(p.jwt, jti, jti_size, kid, kid_size);
	mapi_tokens_parsed_clear(&p);
}

void
mapi_satokens_inner_reason(const char *error, char *buf, size_t size)
{
	static const char pre[] = "[invalid bearer token, ";
	size_t n;

	if (size == 0) {
		return;
	}
	if (error == NULL) {
		buf[0] = '\0';
		return;
	}
	n = strlen(error);
	if (n > sizeof(pre) && strncmp(error, pre, sizeof(pre) - 1) == 0 &&
	    error[n - 1] == ']') {
		(void)snprintf(buf, size, "%.*s",
		               (int)(n - sizeof(pre)), error + sizeof(pre) - 1);
		return;
	}
	(void)snprintf(buf, size, "%s", error);
}

const char *
mapi_satokens_event_token(const char *token)
{
	return token != NULL && strlen(token) > (size_t)EVENT_TOKEN_MIN ? token : NULL;
}

/*
 * "rejected" (+ "expiredTokenPresented"); O(1) ring adds, never the token.
 * jti / kid: the review's peek, or NULL to peek here.
 */
static void
emit_refusal(struct mapi_satokens *s, const char *token, const char *error,
             const char *jti_in, const char *kid_in)
{
	char jti[MAPI_EVENT_JTI_SIZE];
	char kid[MAPI_EVENT_KID_SIZE];
	char reason[MAPI_EVENT_REASON_SIZE];
	struct mapi_event_input in = { .type = MAPI_EVENT_REJECTED };

	if (s->events == NULL) {
		return;
	}
	if (jti_in != NULL && kid_in != NULL) {
		(void)snprintf(jti, sizeof(jti), "%s", jti_in);
		(void)snprintf(kid, sizeof(kid), "%s", kid_in);
	} else {
		mapi_satokens_peek(token, strlen(token), jti, sizeof(jti), kid,
		                   sizeof(kid));
	}
	mapi_satokens_inner_reason(error, reason, sizeof(reason));
	in.jti = jti;
	in.token = jti[0] == '\0' ? mapi_satokens_event_token(token) : NULL;
	in.kid = kid;
	in.reason = reason;
	(void)mapi_events_add(s->events, &in);
	if (strcmp(reason, EXPIRED_REASON) == 0) {
		in.type = MAPI_EVENT_EXPIRED_PRESENTED;
		(void)mapi_events_add(s->events, &in);
	}
}

/* ---- end of token events ---- */
