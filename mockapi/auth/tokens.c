/* SPDX-License-Identifier: MIT */
#include "auth/tokens.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "auth/jose.h"
#include "auth/jwt.h"
#include "auth/keys.h"

#define NS_PER_SEC INT64_C(1000000000)

static const char msg_no_keys[] = "invalid signature, no keys found";
static const char msg_crypto[] =
	"square/go-jose: error in cryptographic primitive";
static const char msg_bad_aud[] =
	"square/go-jose/jwt: expected string or array value to unmarshal to "
	"Audience";
static const char msg_bad_date[] =
	"square/go-jose/jwt: expected number value to unmarshal NumericDate";
static const char msg_invalidated[] =
	"service account token has been invalidated";
static const char msg_invalid_bearer[] = "invalid bearer token";

static const char key_credential_id[] =
	"authentication.kubernetes.io/credential-id";
static const char key_node_name[] = "authentication.kubernetes.io/node-name";
static const char key_node_uid[] = "authentication.kubernetes.io/node-uid";
static const char key_pod_name[] = "authentication.kubernetes.io/pod-name";
static const char key_pod_uid[] = "authentication.kubernetes.io/pod-uid";

struct mapi_tokens {
	char *issuer;
	char **api_auds;
	size_t n_api_auds;
	char **issuers;
	size_t n_issuers;
	int64_t min_ttl;
	int64_t default_ttl;
	int64_t max_ttl;
	bool extend;
	struct mapi_keyset *keyset;
	mapi_tokens_lookup_fn *lookup;
	void *lookup_payload;
	mapi_tokens_random_fn *random_bytes;
	void *random_payload;
};

/* ------------------------------------------------------------ strings */

/* A growable string; on ENOMEM it sticks in the failed state. */
struct sb {
	char *p;
	size_t len;
	size_t cap;
	bool oom;
};

static void
sb_putn(struct sb *b, const char *s, size_t n)
{
	char *np;
	size_t ncap;

	if (b->oom) {
		return;
	}
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 64;
		while (ncap < b->len + n + 1) {
			ncap *= 2;
		}
		np = realloc(b->p, ncap);
		if (np == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_puts(struct sb *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

static void sb_printf(struct sb *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sb *b, const char *fmt, ...)
{
	char small[256];
	char *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		sb_putn(b, small, (size_t)n);
		return;
	}
	big = malloc((size_t)n + 1);
	if (big == NULL) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_putn(b, big, (size_t)n);
	free(big);
}

/* Takes the string (NULL on ENOMEM; "" when nothing was written). */
static char *
sb_take(struct sb *b)
{
	char *p;

	if (b->oom) {
		free(b->p);
		return NULL;
	}
	p = b->p != NULL ? b->p : strdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

static bool
empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

static void
free_list(char **v, size_t n)
{
	size_t i;

	if (v == NULL) {
		return;
	}
	for (i = 0; i < n; i++) {
		free(v[i]);
	}
	free(v);
}

static enum mapi_err
dup_list(const char *const *v, size_t n, char ***out)
{
	char **d;
	size_t i;

	d = calloc(n ? n : 1, sizeof(*d));
	if (d == NULL) {
		return MAPI_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		d[i] = strdup(v[i] != NULL ? v[i] : "");
		if (d[i] == NULL) {
			free_list(d, i);
			return MAPI_ENOMEM;
		}
	}
	*out = d;
	return MAPI_OK;
}

static bool
in_list(const char *s, char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(s, v[i]) == 0) {
			return true;
		}
	}
	return false;
}

/* Length of a NULL-terminated list, or SIZE_MAX when over the bound. */
static size_t
list_len(const char *const *v)
{
	size_t n = 0;

	while (v[n] != NULL) {
		if (++n > MAPI_TOKENS_MAX_AUDIENCES) {
			return SIZE_MAX;
		}
	}
	return n;
}

/* ------------------------------------------------------------ Go %q */

/* Decodes one rune as Go's utf8.DecodeRune; *w = 1 and -1 when invalid. */
static int32_t
decode_rune(const unsigned char *s, size_t n, size_t *w)
{
	uint32_t r;
	size_t need;
	size_t i;

	*w = 1;
	if (s[0] < 0x80) {
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		r = s[0] & 0x1fU;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		r = s[0] & 0x0fU;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		r = s[0] & 0x07U;
	} else {
		return -1;
	}
	if (n < need) {
		return -1;
	}
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0U) != 0x80) {
			return -1;
		}
		r = (r << 6) | (s[i] & 0x3fU);
	}
	if ((need == 3 && r < 0x800) || (need == 4 && r < 0x10000) ||
	    r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) {
		return -1;
	}
	*w = need;
	return (int32_t)r;
}

/* unicode.IsPrint for runes >= 0x80, approximated (see tokens.h). */
static bool
go_is_print(int32_t r)
{
	static const int32_t ranges[][2] = {
		{ 0x0080, 0x00a0 },    { 0x00ad, 0x00ad },
		{ 0x0600, 0x0605 },    { 0x061c, 0x061c },
		{ 0x06dd, 0x06dd },    { 0x070f, 0x070f },
		{ 0x1680, 0x1680 },    { 0x180e, 0x180e },
		{ 0x2000, 0x200f },    { 0x2028, 0x202f },
		{ 0x205f, 0x2064 },    { 0x2066, 0x206f },
		{ 0x3000, 0x3000 },    { 0xe000, 0xf8ff },
		{ 0xfdd0, 0xfdef },    { 0xfeff, 0xfeff },
		{ 0xfff9, 0xfffb },    { 0x110bd, 0x110bd },
		{ 0x1bca0, 0x1bca3 },  { 0x1d173, 0x1d17a },
		{ 0xe0001, 0xe0001 },  { 0xe0020, 0xe007f },
		{ 0xf0000, 0x10ffff },
	};
	size_t i;

	if ((r & 0xfffe) == 0xfffe) {
		return false; /* U+nFFFE / U+nFFFF non-characters */
	}
	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		if (r >= ranges[i][0] && r <= ranges[i][1]) {
			return false;
		}
	}
	return true;
}

static void
go_quote_into(struct sb *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	size_t w;
	int32_t r;

	sb_putn(b, "\"", 1);
	while (n > 0) {
		r = decode_rune(p, n, &w);
		if (r < 0) {
			sb_printf(b, "\\x%02x", p[0]);
		} else if (r == '"' || r == '\\') {
			sb_putn(b, "\\", 1);
			sb_putn(b, (const char *)p, 1);
		} else if (r >= 0x20 && r < 0x7f) {
			sb_putn(b, (const char *)p, 1);
		} else if (r < 0x80) {
			switch (r) {
			case '\a':
				sb_puts(b, "\\a");
				break;
			case '\b':
				sb_puts(b, "\\b");
				break;
			case '\f':
				sb_puts(b, "\\f");
				break;
			case '\n':
				sb_puts(b, "\\n");
				break;
			case '\r':
				sb_puts(b, "\\r");
				break;
			case '\t':
				sb_puts(b, "\\t");
				break;
			case '\v':
				sb_puts(b, "\\v");
				break;
			default:
				sb_printf(b, "\\x%02x", (unsigned)r);
				break;
			}
		} else if (go_is_print(r)) {
			sb_putn(b, (const char *)p, w);
		} else if (r < 0x10000) {
			sb_printf(b, "\\u%04x", (unsigned)r);
		} else {
			sb_printf(b, "\\U%08x", (unsigned)r);
		}
		p += w;
		n -= w;
	}
	sb_putn(b, "\"", 1);
}

static void
go_quote_list_into(struct sb *b, const char *const *v, size_t n)
{
	size_t i;

	sb_putn(b, "[", 1);
	for (i = 0; i < n; i++) {
		if (i > 0) {
			sb_putn(b, " ", 1);
		}
		go_quote_into(b, v[i] != NULL ? v[i] : "");
	}
	sb_putn(b, "]", 1);
}

enum mapi_err
mapi_tokens_go_quote(const char *s, char **out)
{
	struct sb b = { 0 };
	char *p;

	if (s == NULL || out == NULL) {
		return MAPI_EINVAL;
	}
	go_quote_into(&b, s);
	p = sb_take(&b);
	if (p == NULL) {
		return MAPI_ENOMEM;
	}
	*out = p;
	return MAPI_OK;
}

enum mapi_err
mapi_tokens_go_quote_list(const char *const *v, size_t n, char **out)
{
	struct sb b = { 0 };
	char *p;

	if ((v == NULL && n > 0) || out == NULL) {
		return MAPI_EINVAL;
	}
	go_quote_list_into(&b, v, n);
	p = sb_take(&b);
	if (p == NULL) {
		return MAPI_ENOMEM;
	}
	*out = p;
	return MAPI_OK;
}

/* ------------------------------------------------------------ config */

void
mapi_tokens_config_init(struct mapi_tokens_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->extend = true;
}

void
mapi_tokens_free(struct mapi_tokens *t)
{
	if (t == NULL) {
		return;
	}
	free(t->issuer);
	free_list(t->api_auds, t->n_api_auds);
	free_list(t->issuers, t->n_issuers);
	free(t);
}

static enum mapi_err
config_check(const struct mapi_tokens_config *cfg, struct mapi_tokens *t,
             struct mapi_diag *diag)
{
	if (empty(t->issuer)) {
		mapi_diag_set(diag, "the service account issuer is empty");
		return MAPI_EINVAL;
	}
	if (t->min_ttl < 1) {
		mapi_diag_set(diag, "the minimum token lifetime must be at "
		                    "least 1 second");
		return MAPI_EINVAL;
	}
	if (t->default_ttl < t->min_ttl ||
	    t->default_ttl > MAPI_TOKENS_MAX_EXPIRATION) {
		mapi_diag_set(diag,
		              "the default token lifetime (%" PRId64
		              "s) must be between the minimum (%" PRId64
		              "s) and 2^32 seconds",
		              t->default_ttl, t->min_ttl);
		return MAPI_EINVAL;
	}
	if (cfg->max_ttl < 0 ||
	    (cfg->max_ttl > 0 && (cfg->max_ttl < t->min_ttl ||
	                          cfg->max_ttl > MAPI_TOKENS_MAX_EXPIRATION))) {
		mapi_diag_set(diag,
		              "the maximum token lifetime (%" PRId64
		              "s) must be between the minimum (%" PRId64
		              "s) and 2^32 seconds",
		              cfg->max_ttl, t->min_ttl);
		return MAPI_EINVAL;
	}
	return MAPI_OK;
}

static enum mapi_err
config_list(const char *const *given, const char *const *dflt, size_t n_dflt,
            char ***out, size_t *out_n, const char *what,
            struct mapi_diag *diag)
{
	size_t n = n_dflt;
	size_t i;

	if (given != NULL) {
		n = list_len(given);
		if (n == 0 || n == SIZE_MAX) {
			mapi_diag_set(diag,
			              "the %s list must have 1 to %d "
			              "entries",
			              what, MAPI_TOKENS_MAX_AUDIENCES);
			return MAPI_EINVAL;
		}
		for (i = 0; i < n; i++) {
			if (given[i][0] == '\0') {
				mapi_diag_set(diag,
				              "empty entry in the %s "
				              "list",
				              what);
				return MAPI_EINVAL;
			}
		}
		dflt = given;
	}
	if (dup_list(dflt, n, out) != MAPI_OK) {
		return MAPI_ENOMEM;
	}
	*out_n = n;
	return MAPI_OK;
}

enum mapi_err
mapi_tokens_new(const struct mapi_tokens_config *cfg, struct mapi_tokens **out,
                struct mapi_diag *diag)
{
	struct mapi_tokens *t;
	const char *dflt[2];
	enum mapi_err err;

	if (cfg == NULL || out == NULL) {
		return MAPI_EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return MAPI_ENOMEM;
	}
	t->issuer = strdup(cfg->issuer != NULL ? cfg->issuer
	                                       : MAPI_TOKENS_DEFAULT_ISSUER);
	if (t->issuer == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	t->min_ttl = cfg->min_ttl != 0 ? cfg->min_ttl : 600;
	t->default_ttl = cfg->default_ttl != 0 ? cfg->default_ttl : 3600;
	t->max_ttl = cfg->max_ttl;
	t->extend = cfg->extend;
	t->keyset = cfg->keyset;
	t->lookup = cfg->lookup;
	t->lookup_payload = cfg->lookup_payload;
	t->random_bytes = cfg->random_bytes;
	t->random_payload = cfg->random_payload;
	err = config_check(cfg, t, diag);
	if (err != MAPI_OK) {
		goto out;
	}
	dflt[0] = t->issuer;
	dflt[1] = MAPI_TOKENS_LEGACY_ISSUER;
	err = config_list(cfg->api_audiences, dflt, 1, &t->api_auds,
	                  &t->n_api_auds, "API audiences", diag);
	if (err != MAPI_OK) {
		goto out;
	}
	err = config_list(cfg->accepted_issuers, dflt,
	                  strcmp(t->issuer, MAPI_TOKENS_LEGACY_ISSUER) ? 2 : 1,
	                  &t->issuers, &t->n_issuers, "accepted issuers", diag);
out:
	if (err != MAPI_OK) {
		mapi_tokens_free(t);
		return err;
	}
	*out = t;
	return MAPI_OK;
}

const char *
mapi_tokens_issuer(const struct mapi_tokens *t)
{
	return t->issuer;
}

const char *const *
mapi_tokens_api_audiences(const struct mapi_tokens *t, size_t *out_n)
{
	if (out_n != NULL) {
		*out_n = t->n_api_auds;
	}
	return (const char *const *)t->api_auds;
}

/* ------------------------------------------------------------ policy */

/* "10 minutes", "1 second", "2 hours": the words of a duration in s. */
static void
duration_words(int64_t s, char *buf, size_t len)
{
	const char *unit = "second";
	int64_t v = s;

	if (s != 0 && s % 3600 == 0) {
		unit = "hour";
		v = s / 3600;
	} else if (s != 0 && s % 60 == 0) {
		unit = "minute";
		v = s / 60;
	}
	(void)snprintf(buf, len, "%" PRId64 " %s%s", v, unit,
	               v == 1 ? "" : "s");
}

static bool
audiences_are_api(const struct mapi_tokens *t, const char *const *auds,
                  size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (auds[i] == NULL ||
		    !in_list(auds[i], t->api_auds, t->n_api_auds)) {
			return false;
		}
	}
	return true;
}

enum mapi_err
mapi_tokens_lifetime(const struct mapi_tokens *t,
                     const struct mapi_tokens_lifetime_in *in,
                     struct mapi_tokens_lifetime *out, struct mapi_diag *diag)
{
	struct mapi_tokens_lifetime r = { 0 };
	char words[64];
	int64_t exp;

	if (t == NULL || in == NULL || out == NULL ||
	    (in->audiences == NULL && in->n_audiences > 0)) {
		return MAPI_EINVAL;
	}
	exp = in->has_expiration ? in->expiration_seconds : t->default_ttl;
	if (exp < t->min_ttl) {
		duration_words(t->min_ttl, words, sizeof(words));
		mapi_diag_set(diag,
		              "TokenRequest.authentication.k8s.io \"\" "
		              "is invalid: spec.expirationSeconds: Invalid "
		              "value: %" PRId64 ": may not specify a duration "
		              "less than %s",
		              exp, words);
		goto invalid;
	}
	if (exp > MAPI_TOKENS_MAX_EXPIRATION) {
		mapi_diag_set(diag,
		              "TokenRequest.authentication.k8s.io \"\" "
		              "is invalid: spec.expirationSeconds: Invalid "
		              "value: %" PRId64 ": may not specify a duration "
		              "larger than 2^32 seconds",
		              exp);
		goto invalid;
	}
	if (t->max_ttl > 0 && exp > t->max_ttl) {
		(void)snprintf(r.warning, sizeof(r.warning),
		               "requested expiration of %" PRId64
		               " seconds shortened to %" PRId64 " seconds",
		               exp, t->max_ttl);
		exp = t->max_ttl;
	}
	r.expiration_seconds = exp;
	r.jwt_ttl = exp;
	if (t->extend && in->bound == MAPI_TOKENS_BOUND_POD &&
	    exp == MAPI_TOKENS_WARN_ONLY_TTL &&
	    audiences_are_api(t, in->audiences, in->n_audiences)) {
		r.extended = true;
		r.warnafter = exp;
		r.jwt_ttl = MAPI_TOKENS_EXTENDED_TTL;
	}
	*out = r;
	return MAPI_OK;
invalid:
	if (diag != NULL) {
		(void)snprintf(diag->field, sizeof(diag->field), "%s",
		               "spec.expirationSeconds");
	}
	return MAPI_EINVALID;
}

/* ------------------------------------------------------------ claims */

static bool
add_str(cJSON *obj, const char *key, const char *v)
{
	return cJSON_AddStringToObject(obj, key, v) != NULL;
}

static bool
add_num(cJSON *obj, const char *key, int64_t v)
{
	return cJSON_AddNumberToObject(obj, key, (double)v) != NULL;
}

/* {name, uid} with omitempty on both. */
static bool
add_ref(cJSON *obj, const char *key, const struct mapi_tokens_ref *ref)
{
	cJSON *r = cJSON_AddObjectToObject(obj, key);

	if (r == NULL) {
		return false;
	}
	if (!empty(ref->name) && !add_str(r, "name", ref->name)) {
		return false;
	}
	if (!empty(ref->uid) && !add_str(r, "uid", ref->uid)) {
		return false;
	}
	return true;
}

static bool
add_kubernetes_io(cJSON *claims, const struct mapi_tokens_claims_in *in)
{
	cJSON *k = cJSON_AddObjectToObject(claims, "kubernetes.io");

	if (k == NULL) {
		return false;
	}
	if (!empty(in->ns) && !add_str(k, "namespace", in->ns)) {
		return false;
	}
	if (in->bound == MAPI_TOKENS_BOUND_POD && !empty(in->node.name) &&
	    !add_ref(k, "node", &in->node)) {
		return false;
	}
	if (in->bound == MAPI_TOKENS_BOUND_NODE &&
	    !add_ref(k, "node", &in->object)) {
		return false;
	}
	if (in->bound == MAPI_TOKENS_BOUND_POD &&
	    !add_ref(k, "pod", &in->object)) {
		return false;
	}
	if (in->bound == MAPI_TOKENS_BOUND_SECRET &&
	    !add_ref(k, "secret", &in->object)) {
		return false;
	}
	if (!add_ref(k, "serviceaccount", &in->sa)) {
		return false;
	}
	if (in->warnafter != 0 && !add_num(k, "warnafter", in->warnafter)) {
		return false;
	}
	return true;
}

static char *
make_username(const char *ns, const char *name)
{
	struct sb b = { 0 };

	sb_printf(&b, "system:serviceaccount:%s:%s", ns, name);
	return sb_take(&b);
}

enum mapi_err
mapi_tokens_claims(const struct mapi_tokens_claims_in *in, cJSON **out)
{
	cJSON *c = NULL;
	cJSON *aud;
	char *sub = NULL;
	enum mapi_err err = MAPI_ENOMEM;
	size_t i;

	if (in == NULL || out == NULL || in->ns == NULL ||
	    in->sa.name == NULL ||
	    (in->audiences == NULL && in->n_audiences > 0) ||
	    (in->bound != MAPI_TOKENS_BOUND_NONE && empty(in->object.name))) {
		return MAPI_EINVAL;
	}
	sub = make_username(in->ns, in->sa.name);
	c = cJSON_CreateObject();
	if (sub == NULL || c == NULL) {
		goto out;
	}
	if (in->n_audiences > 0) {
		aud = cJSON_AddArrayToObject(c, "aud");
		if (aud == NULL) {
			goto out;
		}
		for (i = 0; i < in->n_audiences; i++) {
			cJSON *s = cJSON_CreateString(in->audiences[i]);

			if (s == NULL || !cJSON_AddItemToArray(aud, s)) {
				cJSON_Delete(s);
				goto out;
			}
		}
	}
	if (!add_num(c, "exp", in->exp) || !add_num(c, "iat", in->iat) ||
	    (!empty(in->issuer) && !add_str(c, "iss", in->issuer)) ||
	    (!empty(in->jti) && !add_str(c, "jti", in->jti)) ||
	    !add_kubernetes_io(c, in) || !add_num(c, "nbf", in->iat) ||
	    !add_str(c, "sub", sub)) {
		goto out;
	}
	err = MAPI_OK;
out:
	free(sub);
	if (err != MAPI_OK) {
		cJSON_Delete(c);
		return err;
	}
	*out = c;
	return MAPI_OK;
}

enum mapi_err
mapi_tokens_legacy_claims(const char *ns, const struct mapi_tokens_ref *sa,
                          const char *secret_name, cJSON **out)
{
	cJSON *c;
	char *sub;
	bool ok;

	if (ns == NULL || sa == NULL || sa->name == NULL ||
	    secret_name == NULL || out == NULL) {
		return MAPI_EINVAL;
	}
	sub = make_username(ns, sa->name);
	c = cJSON_CreateObject();
	ok = sub != NULL && c != NULL &&
	     add_str(c, "iss", MAPI_TOKENS_LEGACY_ISSUER) &&
	     add_str(c, "kubernetes.io/serviceaccount/namespace", ns) &&
	     add_str(c, "kubernetes.io/serviceaccount/secret.name",
	             secret_name) &&
	     add_str(c, "kubernetes.io/serviceaccount/service-account.name",
	             sa->name) &&
	     add_str(c, "kubernetes.io/serviceaccount/service-account.uid",
	             sa->uid != NULL ? sa->uid : "") &&
	     add_str(c, "sub", sub);
	free(sub);
	if (!ok) {
		cJSON_Delete(c);
		return MAPI_ENOMEM;
	}
	*out = c;
	return MAPI_OK;
}

void
mapi_tokens_uuid4(mapi_tokens_random_fn *random_bytes, void *payload,
                  char out[MAPI_TOKENS_JTI_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[16];
	size_t i;
	size_t o = 0;

	random_bytes(payload, b, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0fU) | 0x40U);
	b[8] = (uint8_t)((b[8] & 0x3fU) | 0x80U);
	for (i = 0; i < sizeof(b); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10) {
			out[o++] = '-';
		}
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 0x0fU];
	}
	out[o] = '\0';
}

/* ------------------------------------------------------------ issue */

static int64_t
floor_sec(int64_t ns)
{
	int64_t s = ns / NS_PER_SEC;

	if (ns % NS_PER_SEC < 0) {
		s--;
	}
	return s;
}

void
mapi_tokens_issued_clear(struct mapi_tokens_issued *out)
{
	if (out == NULL) {
		return;
	}
	free(out->token);
	free_list(out->audiences, out->n_audiences);
	memset(out, 0, sizeof(*out));
}

/* Signs claims with the active key; *kid_out gets its kid if not NULL. */
static enum mapi_err
sign_active(const struct mapi_tokens *t, const cJSON *claims, char **token,
            char *kid_out, size_t kid_len)
{
	struct mapi_key *key;
	enum mapi_err err;

	if (t->keyset == NULL) {
		return MAPI_EUNAVAILABLE;
	}
	key = mapi_keyset_active(t->keyset);
	if (key == NULL) {
		return MAPI_EUNAVAILABLE;
	}
	err = mapi_jwt_sign_tmpl(mapi_key_alg(key), mapi_key_pkey(key),
	                         mapi_key_sign_ctx(key), mapi_key_kid(key),
	                         claims, token);
	if (err == MAPI_OK && kid_out != NULL) {
		(void)snprintf(kid_out, kid_len, "%s", mapi_key_kid(key));
	}
	mapi_key_unref(key);
	return err;
}

enum mapi_err
mapi_tokens_issue(const struct mapi_tokens *t,
                  const struct mapi_tokens_request *req, int64_t now_ns,
                  struct mapi_tokens_issued *out, struct mapi_diag *diag)
{
	struct mapi_tokens_issued r = { 0 };
	struct mapi_tokens_lifetime_in lin = { 0 };
	struct mapi_tokens_lifetime life;
	struct mapi_tokens_claims_in cin = { 0 };
	const char *const *auds;
	size_t n_auds;
	cJSON *claims = NULL;
	enum mapi_err err;

	if (t == NULL || req == NULL || out == NULL || req->ns == NULL ||
	    req->sa.name == NULL ||
	    (req->audiences == NULL && req->n_audiences > 0) ||
	    req->n_audiences > MAPI_TOKENS_MAX_AUDIENCES ||
	    t->random_bytes == NULL) {
		return MAPI_EINVAL;
	}
	auds = req->audiences;
	n_auds = req->n_audiences;
	if (n_auds == 0) {
		auds = (const char *const *)t->api_auds;
		n_auds = t->n_api_auds;
	}
	lin.has_expiration = req->has_expiration;
	lin.expiration_seconds = req->expiration_seconds;
	lin.bound = req->bound;
	lin.audiences = auds;
	lin.n_audiences = n_auds;
	err = mapi_tokens_lifetime(t, &lin, &life, diag);
	if (err != MAPI_OK) {
		return err;
	}
	r.creation_timestamp = floor_sec(now_ns);
	r.iat = r.creation_timestamp;
	r.expiration_seconds = life.expiration_seconds;
	r.expiration_timestamp = r.iat + life.expiration_seconds;
	r.exp = r.iat + life.jwt_ttl;
	r.warnafter = life.extended ? r.iat + life.warnafter : 0;
	r.extended = life.extended;
	memcpy(r.warning, life.warning, sizeof(r.warning));
	mapi_tokens_uuid4(t->random_bytes, t->random_payload, r.jti);

	cin.issuer = t->issuer;
	cin.ns = req->ns;
	cin.sa = req->sa;
	cin.bound = req->bound;
	cin.object = req->object;
	cin.node = req->node;
	cin.audiences = auds;
	cin.n_audiences = n_auds;
	cin.iat = r.iat;
	cin.exp = r.exp;
	cin.warnafter = r.warnafter;
	cin.jti = r.jti;
	err = mapi_tokens_claims(&cin, &claims);
	if (err != MAPI_OK) {
		goto out;
	}
	err = dup_list(auds, n_auds, &r.audiences);
	if (err != MAPI_OK) {
		goto out;
	}
	r.n_audiences = n_auds;
	err = sign_active(t, claims, &r.token, r.kid, sizeof(r.kid));
	if (err != MAPI_OK) {
		mapi_diag_set(diag, "failed to generate token: %s",
		              mapi_err_name(err));
	}
out:
	cJSON_Delete(claims);
	if (err != MAPI_OK) {
		mapi_tokens_issued_clear(&r);
		return err;
	}
	*out = r;
	return MAPI_OK;
}

enum mapi_err
mapi_tokens_issue_legacy(const struct mapi_tokens *t, const char *ns,
                         const struct mapi_tokens_ref *sa,
                         const char *secret_name, char **out_token)
{
	cJSON *claims = NULL;
	char *token = NULL;
	enum mapi_err err;

	if (t == NULL || out_token == NULL) {
		return MAPI_EINVAL;
	}
	err = mapi_tokens_legacy_claims(ns, sa, secret_name, &claims);
	if (err != MAPI_OK) {
		return err;
	}
	err = sign_active(t, claims, &token, NULL, 0);
	cJSON_Delete(claims);
	if (err != MAPI_OK) {
		return err;
	}
	*out_token = token;
	return MAPI_OK;
}

/* ------------------------------------------------------------ bind */

void
mapi_tokens_object_clear(struct mapi_tokens_object *obj)
{
	if (obj == NULL) {
		return;
	}
	free(obj->uid);
	free(obj->service_account_name);
	free(obj->node_name);
	if (obj->data_token != NULL) {
		memset(obj->data_token, 0, obj->data_token_len);
	}
	free(obj->data_token);
	free(obj->invalid_since);
	memset(obj, 0, sizeof(*obj));
}

void
mapi_tokens_binding_clear(struct mapi_tokens_binding *b)
{
	if (b == NULL) {
		return;
	}
	free(b->uid);
	free(b->node_name);
	free(b->node_uid);
	memset(b, 0, sizeof(*b));
}

static enum mapi_err
lookup(const struct mapi_tokens *t, const char *resource, const char *ns,
       const char *name, struct mapi_tokens_object *obj)
{
	enum mapi_err err;

	memset(obj, 0, sizeof(*obj));
	err = t->lookup(t->lookup_payload, resource, ns, name, obj);
	if (err != MAPI_OK) {
		mapi_tokens_object_clear(obj);
	}
	return err;
}

/* The group of an apiVersion, as schema.FromAPIVersionAndKind sees it. */
static void
api_group(const char *api_version, char *group, size_t glen,
          const char **version)
{
	const char *slash;

	group[0] = '\0';
	*version = api_version != NULL ? api_version : "";
	if (api_version == NULL || api_version[0] == '\0' ||
	    strcmp(api_version, "/") == 0) {
		*version = "";
		return;
	}
	slash = strchr(api_version, '/');
	if (slash == NULL) {
		return;
	}
	if (strchr(slash + 1, '/') != NULL) {
		/* ParseGroupVersion fails: the GVK keeps only the kind */
		*version = "";
		return;
	}
	(void)snprintf(group, glen, "%.*s", (int)(slash - api_version),
	               api_version);
	*version = slash + 1;
}

static enum mapi_err
bind_pod_node(const struct mapi_tokens *t, const char *node_name,
              struct mapi_tokens_binding *b)
{
	struct mapi_tokens_object node;
	enum mapi_err err;

	b->node_name = strdup(node_name);
	if (b->node_name == NULL) {
		return MAPI_ENOMEM;
	}
	err = lookup(t, "nodes", NULL, node_name, &node);
	if (err == MAPI_ENOTFOUND) {
		return MAPI_OK; /* only the name goes into the claims */
	}
	if (err != MAPI_OK) {
		return err;
	}
	if (!empty(node.uid)) {
		b->node_uid = strdup(node.uid);
		if (b->node_uid == NULL) {
			err = MAPI_ENOMEM;
		}
	}
	mapi_tokens_object_clear(&node);
	return err;
}

enum mapi_err
mapi_tokens_bind(const struct mapi_tokens *t, const char *ns,
                 const char *sa_name, const struct mapi_tokens_bound_ref *ref,
                 struct mapi_tokens_binding *out, struct mapi_diag *diag)
{
	static const struct {
		const char *kind;
		const char *resource;
		enum mapi_tokens_bound bound;
	} kinds[] = {
		{ "Pod", "pods", MAPI_TOKENS_BOUND_POD },
		{ "Node", "nodes", MAPI_TOKENS_BOUND_NODE },
		{ "Secret", "secrets", MAPI_TOKENS_BOUND_SECRET },
	};
	struct mapi_tokens_binding b = { 0 };
	struct mapi_tokens_object obj = { 0 };
	const char *kind;
	const char *name;
	const char *version;
	char group[256];
	size_t i;
	enum mapi_err err;

	if (t == NULL || ns == NULL || sa_name == NULL || ref == NULL ||
	    out == NULL || t->lookup == NULL) {
		return MAPI_EINVAL;
	}
	kind = ref->kind != NULL ? ref->kind : "";
	name = ref->name != NULL ? ref->name : "";
	api_group(ref->api_version, group, sizeof(group), &version);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (group[0] == '\0' && strcmp(kind, kinds[i].kind) == 0) {
			break;
		}
	}
	if (i == sizeof(kinds) / sizeof(kinds[0])) {
		mapi_diag_set(diag,
		              "cannot bind token to object of type "
		              "%s/%s, Kind=%s",
		              group, version, kind);
		return MAPI_EINVAL;
	}
	b.bound = kinds[i].bound;
	err = lookup(t, kinds[i].resource,
	             b.bound == MAPI_TOKENS_BOUND_NODE ? NULL : ns, name, &obj);
	if (err == MAPI_ENOTFOUND) {
		mapi_diag_set(diag, "%s \"%s\" not found", kinds[i].resource,
		              name);
	}
	if (err != MAPI_OK) {
		goto out;
	}
	if (b.bound == MAPI_TOKENS_BOUND_POD &&
	    strcmp(sa_name, obj.service_account_name != NULL
	                            ? obj.service_account_name
	                            : "") != 0) {
		mapi_diag_set(diag,
		              "cannot bind token for serviceaccount "
		              "\"%s\" to pod running with different "
		              "serviceaccount name.",
		              sa_name);
		err = MAPI_EINVAL;
		goto out;
	}
	b.uid = strdup(obj.uid != NULL ? obj.uid : "");
	if (b.uid == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	if (b.bound == MAPI_TOKENS_BOUND_POD && !empty(obj.node_name)) {
		err = bind_pod_node(t, obj.node_name, &b);
		if (err != MAPI_OK) {
			goto out;
		}
	}
	if (!empty(ref->uid) && strcmp(ref->uid, b.uid) != 0) {
		mapi_diag_set(diag,
		              "Operation cannot be fulfilled on %s "
		              "\"%s\": the UID in the bound object reference "
		              "(%s) does not match the UID in record. The "
		              "object might have been deleted and then "
		              "recreated",
		              kind, name, ref->uid);
		if (diag != NULL) {
			(void)snprintf(diag->field, sizeof(diag->field), "%s",
			               kind);
		}
		err = MAPI_ECONFLICT;
	}
out:
	mapi_tokens_object_clear(&obj);
	if (err != MAPI_OK) {
		mapi_tokens_binding_clear(&b);
		return err;
	}
	*out = b;
	return MAPI_OK;
}

/* ------------------------------------------------------------ validate */

/* A ref claim as decoded (pointers into the claims JSON, borrowed). */
struct ref_claim {
	bool present;
	const char *name;
	const char *uid;
};

/* The public and private claims the validators read (borrowed strings). */
struct claims {
	const char *iss;
	const char *sub;
	const char *jti;
	const char **aud;
	size_t n_aud;
	bool has_exp, has_nbf, has_iat, has_warnafter;
	int64_t exp, nbf, iat, warnafter;
	/* bound */
	const char *ns;
	struct ref_claim sa, pod, secret, node;
	/* legacy */
	const char *l_ns, *l_secret, *l_sa_name, *l_sa_uid;
};

static void
claims_free(struct claims *c)
{
	free((void *)c->aud);
	memset(c, 0, sizeof(*c));
}

static const char *
json_kind(const cJSON *v)
{
	if (cJSON_IsString(v)) {
		return "string";
	}
	if (cJSON_IsNumber(v)) {
		return "number";
	}
	if (cJSON_IsBool(v)) {
		return "bool";
	}
	if (cJSON_IsArray(v)) {
		return "array";
	}
	return "object";
}

/*
 * The decoder state: Go's encoding/json (go-jose's case-sensitive fork)
 * remembers the first type error and carries on; a custom unmarshaller's
 * error (Audience, NumericDate) stops the decode at once.
 */
struct dec {
	struct sb type_err;
	const char *fatal;
};

static void
dec_type_error(struct dec *d, const cJSON *v, const char *go_type)
{
	if (d->type_err.len == 0 && !d->type_err.oom) {
		sb_printf(&d->type_err,
		          "json: cannot unmarshal %s into Go value of type %s",
		          json_kind(v), go_type);
	}
}

static void
dec_string(struct dec *d, const cJSON *v, const char **out)
{
	if (cJSON_IsString(v)) {
		*out = v->valuestring;
	} else if (!cJSON_IsNull(v)) {
		dec_type_error(d, v, "string");
	}
}

/* A *jwt.NumericDate: null leaves it nil; a number is truncated. */
static void
dec_date(struct dec *d, const cJSON *v, bool *has, int64_t *out)
{
	double f;

	if (cJSON_IsNull(v)) {
		return;
	}
	if (!cJSON_IsNumber(v)) {
		d->fatal = msg_bad_date;
		return;
	}
	f = v->valuedouble;
	if (f >= 9.2e18) {
		*out = INT64_MAX;
	} else if (f <= -9.2e18) {
		*out = INT64_MIN;
	} else {
		*out = (int64_t)f;
	}
	*has = true;
}

static void
dec_aud(struct dec *d, const cJSON *v, struct claims *c)
{
	const cJSON *e;
	size_t n = 0;

	free((void *)c->aud);
	c->aud = NULL;
	c->n_aud = 0;
	if (cJSON_IsString(v)) {
		n = 1;
	} else if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(e, v) {
			if (!cJSON_IsString(e)) {
				d->fatal = msg_bad_aud;
				return;
			}
			n++;
		}
	} else {
		d->fatal = msg_bad_aud; /* null included: Audience is a value */
		return;
	}
	if (n > MAPI_TOKENS_MAX_AUDIENCES) {
		n = MAPI_TOKENS_MAX_AUDIENCES; /* bounded; the rest is ignored
		                                */
	}
	c->aud = calloc(n ? n : 1, sizeof(*c->aud));
	if (c->aud == NULL) {
		d->type_err.oom = true;
		return;
	}
	if (cJSON_IsString(v)) {
		c->aud[0] = v->valuestring;
	} else {
		cJSON_ArrayForEach(e, v) {
			if (c->n_aud == n) {
				break;
			}
			c->aud[c->n_aud++] = e->valuestring;
		}
	}
	c->n_aud = n;
}

static void
dec_public(struct dec *d, const cJSON *claims, struct claims *c)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, claims) {
		const char *k = v->string;

		if (strcmp(k, "iss") == 0) {
			dec_string(d, v, &c->iss);
		} else if (strcmp(k, "sub") == 0) {
			dec_string(d, v, &c->sub);
		} else if (strcmp(k, "jti") == 0) {
			dec_string(d, v, &c->jti);
		} else if (strcmp(k, "aud") == 0) {
			dec_aud(d, v, c);
		} else if (strcmp(k, "exp") == 0) {
			dec_date(d, v, &c->has_exp, &c->exp);
		} else if (strcmp(k, "nbf") == 0) {
			dec_date(d, v, &c->has_nbf, &c->nbf);
		} else if (strcmp(k, "iat") == 0) {
			dec_date(d, v, &c->has_iat, &c->iat);
		}
		if (d->fatal != NULL) {
			return;
		}
	}
}

static void
dec_ref(struct dec *d, const cJSON *v, struct ref_claim *r, bool pointer)
{
	const cJSON *f;

	if (cJSON_IsNull(v)) {
		if (!pointer) {
			return;
		}
		r->present = false;
		return;
	}
	r->present = true;
	if (!cJSON_IsObject(v)) {
		dec_type_error(d, v, "serviceaccount.ref");
		return;
	}
	cJSON_ArrayForEach(f, v) {
		if (strcmp(f->string, "name") == 0) {
			dec_string(d, f, &r->name);
		} else if (strcmp(f->string, "uid") == 0) {
			dec_string(d, f, &r->uid);
		}
	}
}

static void
dec_private(struct dec *d, const cJSON *claims, struct claims *c)
{
	const cJSON *k =
		cJSON_GetObjectItemCaseSensitive(claims, "kubernetes.io");
	const cJSON *v;

	if (k == NULL || cJSON_IsNull(k)) {
		return;
	}
	if (!cJSON_IsObject(k)) {
		dec_type_error(d, k, "serviceaccount.kubernetes");
		return;
	}
	cJSON_ArrayForEach(v, k) {
		const char *key = v->string;

		if (strcmp(key, "namespace") == 0) {
			dec_string(d, v, &c->ns);
		} else if (strcmp(key, "serviceaccount") == 0) {
			dec_ref(d, v, &c->sa, false);
		} else if (strcmp(key, "pod") == 0) {
			dec_ref(d, v, &c->pod, true);
		} else if (strcmp(key, "secret") == 0) {
			dec_ref(d, v, &c->secret, true);
		} else if (strcmp(key, "node") == 0) {
			dec_ref(d, v, &c->node, true);
		} else if (strcmp(key, "warnafter") == 0) {
			dec_date(d, v, &c->has_warnafter, &c->warnafter);
		}
		if (d->fatal != NULL) {
			return;
		}
	}
}

static void
dec_legacy(struct dec *d, const cJSON *claims, struct claims *c)
{
	static const char pfx[] = "kubernetes.io/serviceaccount/";
	const cJSON *v;

	cJSON_ArrayForEach(v, claims) {
		const char *k = v->string;

		if (strncmp(k, pfx, sizeof(pfx) - 1) != 0) {
			continue;
		}
		k += sizeof(pfx) - 1;
		if (strcmp(k, "namespace") == 0) {
			dec_string(d, v, &c->l_ns);
		} else if (strcmp(k, "secret.name") == 0) {
			dec_string(d, v, &c->l_secret);
		} else if (strcmp(k, "service-account.name") == 0) {
			dec_string(d, v, &c->l_sa_name);
		} else if (strcmp(k, "service-account.uid") == 0) {
			dec_string(d, v, &c->l_sa_uid);
		}
	}
}

/*
 * Decodes public then private claims as tok.Claims(key, public, private)
 * does. MAPI_OK with *msg NULL on success, or *msg the malloc'd error.
 */
static enum mapi_err
decode_claims(const cJSON *claims, bool legacy, struct claims *c, char **msg)
{
	struct dec d = { 0 };
	int pass;

	*msg = NULL;
	for (pass = 0; pass < 2; pass++) {
		if (pass == 0) {
			dec_public(&d, claims, c);
		} else if (legacy) {
			dec_legacy(&d, claims, c);
		} else {
			dec_private(&d, claims, c);
		}
		if (d.type_err.oom) {
			free(d.type_err.p);
			return MAPI_ENOMEM;
		}
		if (d.fatal != NULL || d.type_err.len > 0) {
			*msg = d.fatal != NULL ? strdup(d.fatal)
			                       : sb_take(&d.type_err);
			free(d.type_err.p);
			return *msg != NULL ? MAPI_OK : MAPI_ENOMEM;
		}
	}
	return MAPI_OK;
}

/* The validation in progress. */
struct vstate {
	const struct mapi_tokens *t;
	const char *token;
	size_t len;
	int64_t now_ns;
	int64_t now_s;
	bool frac; /* now has a non-zero sub-second part */
	const char *const *target;
	size_t n_target;
	struct mapi_tokens_result *r;
};

static enum mapi_err reject(struct vstate *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum mapi_err
reject(struct vstate *v, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		return MAPI_ENOMEM;
	}
	p = malloc((size_t)n + 1);
	if (p == NULL) {
		return MAPI_ENOMEM;
	}
	va_start(ap, fmt);
	(void)vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	free(v->r->reason);
	v->r->reason = p;
	v->r->verdict = MAPI_TOKENS_REJECTED;
	return MAPI_OK;
}

static bool
issuer_accepted(const struct mapi_tokens *t, const char *iss, bool legacy)
{
	size_t i;

	for (i = 0; i < t->n_issuers; i++) {
		bool is_legacy =
			strcmp(t->issuers[i], MAPI_TOKENS_LEGACY_ISSUER) == 0;

		if (is_legacy == legacy && strcmp(iss, t->issuers[i]) == 0) {
			return true;
		}
	}
	return false;
}

/* ASCII case fold compare, as far as encoding/json's field match goes. */
static bool
fold_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		int x = *a >= 'A' && *a <= 'Z' ? *a + 32 : *a;
		int y = *b >= 'A' && *b <= 'Z' ? *b + 32 : *b;

		if (x != y) {
			return false;
		}
	}
	return *a == *b;
}

/*
 * The "iss" of a decoded payload (an object or null) as std encoding/json
 * reads it: case-insensitive key, the last one wins; "" when absent or
 * null. False for a type error (Unmarshal fails).
 */
static bool
iss_of_payload(const cJSON *json, const char **iss)
{
	const cJSON *v;

	*iss = "";
	cJSON_ArrayForEach(v, json) {
		if (!fold_eq(v->string, "iss")) {
			continue;
		}
		if (cJSON_IsString(v)) {
			*iss = v->valuestring;
		} else if (!cJSON_IsNull(v)) {
			return false;
		}
	}
	return true;
}

/*
 * hasCorrectIssuer(): not '{' after leading space, exactly 3 parts, the
 * payload base64url (raw) JSON whose "iss" (std encoding/json: case-
 * insensitive key, last one wins) is a string. *iss_out is malloc'd.
 */
static enum mapi_err
unverified_issuer(const char *token, size_t len, char **iss_out)
{
	const char *p = token;
	const char *end = token + len;
	const char *d1;
	const char *d2;
	uint8_t *payload = NULL;
	size_t plen;
	cJSON *json = NULL;
	const char *jend = NULL;
	const char *iss = "";
	enum mapi_err err = MAPI_OK;

	*iss_out = NULL;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	                   *p == '\r' || *p == '\v' || *p == '\f')) {
		p++;
	}
	if (p < end && *p == '{') {
		return MAPI_OK;
	}
	d1 = memchr(token, '.', len);
	d2 = d1 != NULL ? memchr(d1 + 1, '.', (size_t)(end - d1 - 1)) : NULL;
	if (d2 == NULL || memchr(d2 + 1, '.', (size_t)(end - d2 - 1))) {
		return MAPI_OK;
	}
	err = mapi_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &payload,
	                         &plen);
	if (err != MAPI_OK) {
		return err == MAPI_ENOMEM ? err : MAPI_OK;
	}
	json = cJSON_ParseWithLengthOpts((const char *)payload, plen, &jend,
	                                 false);
	if (json == NULL) {
		goto out;
	}
	while (jend < (const char *)payload + plen &&
	       (*jend == ' ' || *jend == '\t' || *jend == '\n' ||
	        *jend == '\r')) {
		jend++;
	}
	if (jend != (const char *)payload + plen ||
	    !(cJSON_IsObject(json) || cJSON_IsNull(json))) {
		goto out;
	}
	if (!iss_of_payload(json, &iss)) {
		goto out;
	}
	*iss_out = strdup(iss);
	if (*iss_out == NULL) {
		err = MAPI_ENOMEM;
	}
out:
	cJSON_Delete(json);
	free(payload);
	return err;
}

/*
 * For tokens go-jose would parse but our strict parser refuses only for
 * their algorithm or crit header (verification then fails in go-jose):
 * the header's kid, or "" for none. MAPI_EINVAL when it cannot be read.
 */
static enum mapi_err
fallback_kid(const char *token, size_t len, char **kid)
{
	const char *d1 = memchr(token, '.', len);
	const char *d2;
	uint8_t *buf = NULL;
	size_t blen;
	cJSON *h = NULL;
	const cJSON *k;
	enum mapi_err err;

	if (d1 == NULL) {
		return MAPI_EINVAL;
	}
	d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
	if (d2 == NULL) {
		return MAPI_EINVAL;
	}
	/* the signature must decode for ParseSigned to succeed */
	err = mapi_b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - token), &buf,
	                         &blen);
	if (err != MAPI_OK) {
		return err;
	}
	free(buf);
	buf = NULL;
	err = mapi_b64url_decode(token, (size_t)(d1 - token), &buf, &blen);
	if (err != MAPI_OK) {
		return err;
	}
	h = cJSON_ParseWithLength((const char *)buf, blen);
	k = cJSON_GetObjectItemCaseSensitive(h, "kid");
	*kid = strdup(cJSON_IsString(k) ? k->valuestring : "");
	err = *kid != NULL ? MAPI_OK : MAPI_ENOMEM;
	cJSON_Delete(h);
	free(buf);
	return err;
}

/* Signature check over the keys the kid selects (jwt.go). */
static enum mapi_err
verify(struct vstate *v, const struct mapi_jwt *jwt, bool *ok)
{
	const char *kid = mapi_jwt_kid(jwt);
	struct mapi_key **keys = NULL;
	struct mapi_key *one;
	enum mapi_jwt_reason why;
	size_t n = 0;
	size_t i;
	enum mapi_err err = MAPI_OK;

	*ok = false;
	if (!empty(kid)) {
		one = mapi_keyset_find(v->t->keyset, kid);
		if (one != NULL) {
			keys = malloc(sizeof(struct mapi_key *));
			if (keys == NULL) {
				mapi_key_unref(one);
				return MAPI_ENOMEM;
			}
			keys[0] = one;
			n = 1;
		}
	} else {
		err = mapi_keyset_snapshot(v->t->keyset, &keys, &n);
		if (err != MAPI_OK) {
			return err;
		}
	}
	if (n == 0) {
		err = reject(v, "%s", msg_no_keys);
		goto out;
	}
	for (i = 0; i < n && !*ok; i++) {
		err = mapi_jwt_verify_tmpl(jwt, mapi_key_pkey(keys[i]),
		                           mapi_key_verify_ctx(keys[i]), &why);
		if (err == MAPI_OK) {
			*ok = true;
		} else if (err != MAPI_EINVAL) {
			goto out;
		}
	}
	err = *ok ? MAPI_OK : reject(v, "%s", msg_crypto);
out:
	mapi_keyset_snapshot_free(keys, n);
	return err;
}

static bool
deleted_before_leeway(const struct vstate *v, int64_t del)
{
	/* del.Before(now - 60s), with now to the nanosecond */
	int64_t lim = v->now_s - MAPI_TOKENS_LEEWAY;

	return del != 0 && (del < lim || (del == lim && v->frac));
}

/* go-jose v2.6.0 Claims.ValidateWithLeeway's time part, in its order. */
static enum mapi_err
check_times(struct vstate *v, const struct claims *c, bool *ok)
{
	int64_t s = v->now_s;
	int64_t l = MAPI_TOKENS_LEEWAY;

	*ok = false;
	if (c->has_nbf && s < INT64_MAX - l && s + l < c->nbf) {
		return reject(v, "service account token is not valid yet");
	}
	if (c->has_exp && s > INT64_MIN + l &&
	    (s - l > c->exp || (s - l == c->exp && v->frac))) {
		return reject(v, "service account token has expired");
	}
	if (c->has_iat && s < INT64_MAX - l && s + l < c->iat) {
		return reject(v, "service account token is issued in the "
		                 "future");
	}
	*ok = true;
	return MAPI_OK;
}

static const char *
str_or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/*
 * A bound ref's live check (claims.go): missing or deleted more than the
 * leeway ago → invalidated; uid differs → "<what> UID (x) does not match
 * service account <what> ref claim (y)".
 */
static enum mapi_err
check_ref(struct vstate *v, const char *resource, const char *what,
          const char *ns, const struct ref_claim *ref, bool *ok)
{
	struct mapi_tokens_object obj;
	enum mapi_err err;

	*ok = false;
	err = lookup(v->t, resource, ns, str_or_empty(ref->name), &obj);
	if (err == MAPI_ENOTFOUND) {
		return reject(v, "%s", msg_invalidated);
	}
	if (err != MAPI_OK) {
		return err;
	}
	if (strcmp(str_or_empty(obj.uid), str_or_empty(ref->uid)) != 0) {
		err = reject(v,
		             "%s UID (%s) does not match service account "
		             "%s ref claim (%s)",
		             what, str_or_empty(obj.uid), what,
		             str_or_empty(ref->uid));
	} else if (deleted_before_leeway(v, obj.deletion_timestamp)) {
		err = reject(v, "%s", msg_invalidated);
	} else {
		*ok = true;
	}
	mapi_tokens_object_clear(&obj);
	return err;
}

/* Looks up the SA; the NotFound text is the live GET's. */
static enum mapi_err
get_sa(struct vstate *v, const char *ns, const char *name,
       struct mapi_tokens_object *sa, bool *found)
{
	enum mapi_err err;

	*found = false;
	if (name[0] == '\0') {
		return reject(v, "resource name may not be empty");
	}
	err = lookup(v->t, "serviceaccounts", ns, name, sa);
	if (err == MAPI_ENOTFOUND) {
		return reject(v, "serviceaccounts \"%s\" not found", name);
	}
	*found = err == MAPI_OK;
	return err;
}

static enum mapi_err
add_extra(struct mapi_tokens_identity *id, const char *key, const char *val)
{
	char *p = strdup(val);

	if (p == NULL) {
		return MAPI_ENOMEM;
	}
	id->extra[id->n_extra].key = key;
	id->extra[id->n_extra].value = p;
	id->n_extra++;
	return MAPI_OK;
}

/* ServiceAccountInfo.UserInfo(): username, uid, groups and extra. */
static enum mapi_err
make_identity(struct vstate *v, const char *ns, const char *name,
              const char *uid, const char *pod_name, const char *pod_uid,
              const char *node_name, const char *node_uid, const char *jti)
{
	struct mapi_tokens_result *r = v->r;
	struct mapi_tokens_identity *id = &r->identity;
	struct sb b = { 0 };
	enum mapi_err err = MAPI_OK;

	id->username = make_username(ns, name);
	id->uid = strdup(uid);
	id->groups[0] = strdup("system:serviceaccounts");
	sb_printf(&b, "system:serviceaccounts:%s", ns);
	id->groups[1] = sb_take(&b);
	id->n_groups = 2;
	r->ns = strdup(ns);
	r->name = strdup(name);
	if (id->username == NULL || id->uid == NULL || id->groups[0] == NULL ||
	    id->groups[1] == NULL || r->ns == NULL || r->name == NULL) {
		return MAPI_ENOMEM;
	}
	if (!empty(jti)) {
		struct sb c = { 0 };

		sb_printf(&c, "JTI=%s", jti);
		id->extra[id->n_extra].key = key_credential_id;
		id->extra[id->n_extra].value = sb_take(&c);
		if (id->extra[id->n_extra++].value == NULL) {
			return MAPI_ENOMEM;
		}
		r->jti = strdup(jti);
		if (r->jti == NULL) {
			return MAPI_ENOMEM;
		}
	}
	if (!empty(node_name)) {
		err = add_extra(id, key_node_name, node_name);
		if (err == MAPI_OK && !empty(node_uid)) {
			err = add_extra(id, key_node_uid, node_uid);
		}
	}
	if (err == MAPI_OK && !empty(pod_name) && !empty(pod_uid)) {
		err = add_extra(id, key_pod_name, pod_name);
		if (err == MAPI_OK) {
			err = add_extra(id, key_pod_uid, pod_uid);
		}
	}
	if (err == MAPI_OK) {
		r->verdict = MAPI_TOKENS_AUTHENTICATED;
	}
	return err;
}

/* claims.go validator.Validate(). */
static enum mapi_err
validate_bound(struct vstate *v, const struct claims *c)
{
	struct mapi_tokens_object sa = { 0 };
	const char *ns = str_or_empty(c->ns);
	const char *sa_name = str_or_empty(c->sa.name);
	const char *node_name = NULL;
	const char *node_uid = NULL;
	bool ok;
	enum mapi_err err;

	err = check_times(v, c, &ok);
	if (err != MAPI_OK || !ok) {
		return err;
	}
	err = get_sa(v, ns, sa_name, &sa, &ok);
	if (err != MAPI_OK || !ok) {
		return err;
	}
	if (strcmp(str_or_empty(sa.uid), str_or_empty(c->sa.uid)) != 0) {
		err = reject(v,
		             "service account UID (%s) does not match "
		             "claim (%s)",
		             str_or_empty(sa.uid), str_or_empty(c->sa.uid));
		goto out;
	}
	if (deleted_before_leeway(v, sa.deletion_timestamp)) {
		err = reject(v, "service account %s/%s has been deleted", ns,
		             sa_name);
		goto out;
	}
	if (c->secret.present) {
		err = check_ref(v, "secrets", "secret", ns, &c->secret, &ok);
		if (err != MAPI_OK || !ok) {
			goto out;
		}
	}
	if (c->pod.present) {
		err = check_ref(v, "pods", "pod", ns, &c->pod, &ok);
		if (err != MAPI_OK || !ok) {
			goto out;
		}
	}
	if (c->node.present) {
		if (!c->pod.present) {
			err = check_ref(v, "nodes", "node", NULL, &c->node,
			                &ok);
			if (err != MAPI_OK || !ok) {
				goto out;
			}
		}
		node_name = c->node.name;
		node_uid = c->node.uid;
	}
	if (c->has_warnafter && c->warnafter != 0) {
		v->r->stale = v->now_s > c->warnafter ||
		              (v->now_s == c->warnafter && v->frac);
		v->r->warnafter = c->warnafter;
	}
	v->r->exp = c->has_exp ? c->exp : 0;
	v->r->iat = c->has_iat ? c->iat : 0;
	err = make_identity(v, ns, sa_name, str_or_empty(c->sa.uid),
	                    c->pod.present ? c->pod.name : NULL,
	                    c->pod.present ? c->pod.uid : NULL, node_name,
	                    node_uid, c->jti);
out:
	mapi_tokens_object_clear(&sa);
	return err;
}

/* Go's subtle.ConstantTimeCompare != 0. */
static bool
ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	volatile unsigned char acc = 0;
	size_t i;

	if (alen != blen) {
		return false;
	}
	for (i = 0; i < alen; i++) {
		acc |= (unsigned char)(a[i] ^ b[i]);
	}
	return acc == 0;
}

/* sub must be system:serviceaccount:<ns>:<name> with those claims. */
static bool
legacy_sub_ok(const char *sub, const char *ns, const char *name)
{
	static const char pfx[] = "system:serviceaccount:";
	const char *rest;
	const char *colon;
	size_t nslen = strlen(ns);

	if (strncmp(sub, pfx, sizeof(pfx) - 1) != 0) {
		return false;
	}
	rest = sub + sizeof(pfx) - 1;
	colon = strchr(rest, ':');
	if (colon == NULL || strchr(colon + 1, ':') != NULL) {
		return false;
	}
	return (size_t)(colon - rest) == nslen &&
	       strncmp(rest, ns, nslen) == 0 && strcmp(colon + 1, name) == 0 &&
	       nslen > 0 && name[0] != '\0';
}

static enum mapi_err
legacy_check_sa(struct vstate *v, const char *ns, const char *name,
                const char *uid, bool *ok)
{
	struct mapi_tokens_object sa = { 0 };
	enum mapi_err err;

	err = get_sa(v, ns, name, &sa, ok);
	if (err != MAPI_OK || !*ok) {
		return err;
	}
	*ok = false;
	if (sa.deletion_timestamp != 0) {
		err = reject(v, "ServiceAccount %s/%s has been deleted", ns,
		             name);
	} else if (strcmp(str_or_empty(sa.uid), uid) != 0) {
		err = reject(v,
		             "ServiceAccount UID (%s) does not match claim "
		             "(%s)",
		             str_or_empty(sa.uid), uid);
	} else {
		*ok = true;
	}
	mapi_tokens_object_clear(&sa);
	return err;
}

/* legacy.go legacyValidator.Validate() with lookup on. */
static enum mapi_err
validate_legacy(struct vstate *v, const struct claims *c)
{
	struct mapi_tokens_object sec = { 0 };
	const char *ns = c->l_ns;
	const char *secret = c->l_secret;
	const char *name = c->l_sa_name;
	const char *uid = c->l_sa_uid;
	bool ok;
	enum mapi_err err;

	if (empty(c->sub)) {
		return reject(v, "sub claim is missing");
	}
	if (empty(ns)) {
		return reject(v, "namespace claim is missing");
	}
	if (empty(secret)) {
		return reject(v, "secretName claim is missing");
	}
	if (empty(name)) {
		return reject(v, "serviceAccountName claim is missing");
	}
	if (empty(uid)) {
		return reject(v, "serviceAccountUID claim is missing");
	}
	if (!legacy_sub_ok(c->sub, ns, name)) {
		return reject(v, "sub claim is invalid");
	}
	err = lookup(v->t, "secrets", ns, secret, &sec);
	if (err == MAPI_ENOTFOUND ||
	    (err == MAPI_OK && sec.deletion_timestamp != 0)) {
		err = reject(v, "Token has been invalidated");
		goto out;
	}
	if (err != MAPI_OK) {
		goto out;
	}
	if (sec.data_token == NULL ||
	    !ct_equal(sec.data_token, sec.data_token_len, v->token, v->len)) {
		err = reject(v, "Token does not match server's copy");
		goto out;
	}
	err = legacy_check_sa(v, ns, name, uid, &ok);
	if (err != MAPI_OK || !ok) {
		goto out;
	}
	if (!empty(sec.invalid_since)) {
		err = reject(v,
		             "the token in secret %s/%s for service account "
		             "%s/%s has been marked invalid. Use tokens from "
		             "the TokenRequest API or manually created "
		             "secret-based tokens, or remove the '%s' label "
		             "from the secret to temporarily allow use of this "
		             "token",
		             ns, secret, ns, name,
		             "kubernetes.io/legacy-token-invalid-since");
		goto out;
	}
	v->r->legacy = true;
	v->r->secret_name = strdup(secret);
	if (v->r->secret_name == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	err = make_identity(v, ns, name, uid, NULL, NULL, NULL, NULL, NULL);
out:
	mapi_tokens_object_clear(&sec);
	return err;
}

/* Audiences.Intersect(): elements of a that are in b, in a's order. */
static enum mapi_err
intersect(const char *const *a, size_t na, const char *const *b, size_t nb,
          char ***out, size_t *out_n)
{
	char **r;
	size_t n = 0;
	size_t i;
	size_t j;

	r = calloc(na * nb > 0 ? na * nb : 1, sizeof(*r));
	if (r == NULL) {
		return MAPI_ENOMEM;
	}
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++) {
			if (strcmp(a[i], b[j]) != 0) {
				continue;
			}
			r[n] = strdup(a[i]);
			if (r[n++] == NULL) {
				free_list(r, n);
				return MAPI_ENOMEM;
			}
		}
	}
	*out = r;
	*out_n = n;
	return MAPI_OK;
}

/* The audience check of jwtTokenAuthenticator.AuthenticateToken(). */
static enum mapi_err
check_audiences(struct vstate *v, const struct claims *c, bool *ok)
{
	const char *const *tok = c->aud;
	size_t n_tok = c->n_aud;
	char *qa = NULL;
	char *qb = NULL;
	enum mapi_err err;

	*ok = false;
	if (n_tok == 0) {
		tok = (const char *const *)v->t->api_auds;
		n_tok = v->t->n_api_auds;
	}
	err = intersect(tok, n_tok, v->target, v->n_target, &v->r->audiences,
	                &v->r->n_audiences);
	if (err != MAPI_OK) {
		return err;
	}
	if (v->r->n_audiences > 0 || v->t->n_api_auds == 0) {
		*ok = true;
		return MAPI_OK;
	}
	err = mapi_tokens_go_quote_list(tok, n_tok, &qa);
	if (err == MAPI_OK) {
		err = mapi_tokens_go_quote_list(v->target, v->n_target, &qb);
	}
	if (err == MAPI_OK) {
		err = reject(v,
		             "token audiences %s is invalid for the target "
		             "audiences %s",
		             qa, qb);
	}
	free(qa);
	free(qb);
	return err;
}

/* After the signature: claim types, issuer, audiences, the validator. */
static enum mapi_err
validate_verified(struct vstate *v, const struct mapi_jwt *jwt, bool legacy)
{
	struct claims c = { 0 };
	char *msg = NULL;
	char *q = NULL;
	bool ok;
	enum mapi_err err;

	err = decode_claims(mapi_jwt_claims(jwt), legacy, &c, &msg);
	if (err != MAPI_OK || msg != NULL) {
		if (msg != NULL) {
			err = reject(v, "%s", msg);
		}
		goto out;
	}
	if (!issuer_accepted(v->t, str_or_empty(c.iss), legacy)) {
		err = mapi_tokens_go_quote(str_or_empty(c.iss), &q);
		if (err == MAPI_OK) {
			err = reject(v, "token issuer %s is invalid", q);
		}
		goto out;
	}
	err = check_audiences(v, &c, &ok);
	if (err != MAPI_OK || !ok) {
		goto out;
	}
	err = legacy ? validate_legacy(v, &c) : validate_bound(v, &c);
out:
	free(msg);
	free(q);
	claims_free(&c);
	return err;
}

/*
 * A token the strict parser accepted passes hasCorrectIssuer()'s shape
 * checks (no leading space or '{', three parts, base64url payload) and its
 * payload is the very tree unverified_issuer() would build (the same
 * cJSON call; the strict checks only refuse more), so its issuer is read
 * from the parsed claims instead of decoding the payload a second time.
 */
static enum mapi_err
validate_token(struct vstate *v, const struct mapi_tokens_parsed *p)
{
	const struct mapi_jwt *jwt = p->jwt;
	const char *iss_parsed = NULL;
	char *iss = NULL;
	char *kid = NULL;
	struct mapi_key *key;
	bool legacy;
	bool ok;
	enum mapi_err err = MAPI_OK;

	if (jwt != NULL) {
		if (!iss_of_payload(mapi_jwt_claims(jwt), &iss_parsed)) {
			return MAPI_OK; /* NOT_OURS */
		}
	} else {
		err = unverified_issuer(v->token, v->len, &iss);
		if (err != MAPI_OK || iss == NULL) {
			return err; /* NOT_OURS */
		}
		iss_parsed = iss;
	}
	legacy = strcmp(iss_parsed, MAPI_TOKENS_LEGACY_ISSUER) == 0;
	if (!issuer_accepted(v->t, iss_parsed, legacy)) {
		goto out;
	}
	if (jwt == NULL && (p->why == MAPI_JWT_ALG_NONE ||
	                    p->why == MAPI_JWT_BAD_ALG ||
	                    p->why == MAPI_JWT_UNKNOWN_CRIT)) {
		/* go-jose parses these; only verification fails */
		err = fallback_kid(v->token, v->len, &kid);
		if (err == MAPI_OK) {
			key = empty(kid) ? NULL
			                 : mapi_keyset_find(v->t->keyset, kid);
			ok = empty(kid) ? mapi_keyset_count(v->t->keyset) > 0
			                : key != NULL;
			mapi_key_unref(key);
			err = reject(v, "%s", ok ? msg_crypto : msg_no_keys);
		}
		if (err == MAPI_EINVAL) {
			err = MAPI_OK; /* unparsable after all: NOT_OURS */
		}
		goto out;
	}
	if (jwt == NULL) {
		goto out; /* ParseSigned failed: silent */
	}
	err = verify(v, jwt, &ok);
	if (err != MAPI_OK || !ok) {
		goto out;
	}
	err = validate_verified(v, jwt, legacy);
out:
	free(iss);
	free(kid);
	return err;
}

enum mapi_err
mapi_tokens_parse(const char *token, size_t len,
                  struct mapi_tokens_parsed *out)
{
	struct mapi_jwt_policy policy = { MAPI_JWS_RS256 | MAPI_JWS_ES256, 0 };
	struct mapi_tokens_parsed p = { 0 };
	enum mapi_err err;

	if (out == NULL || (token == NULL && len > 0)) {
		return MAPI_EINVAL;
	}
	err = mapi_jwt_parse(token != NULL ? token : "", len, &policy, &p.jwt,
	                     &p.why);
	if (err != MAPI_OK && err != MAPI_EINVAL) {
		return err;
	}
	*out = p;
	return MAPI_OK;
}

void
mapi_tokens_parsed_clear(struct mapi_tokens_parsed *p)
{
	if (p == NULL) {
		return;
	}
	mapi_jwt_free(p->jwt);
	memset(p, 0, sizeof(*p));
}

void
mapi_tokens_result_clear(struct mapi_tokens_result *r)
{
	size_t i;

	if (r == NULL) {
		return;
	}
	free(r->reason);
	free(r->identity.username);
	free(r->identity.uid);
	for (i = 0; i < r->identity.n_groups; i++) {
		free(r->identity.groups[i]);
	}
	for (i = 0; i < r->identity.n_extra; i++) {
		free(r->identity.extra[i].value);
	}
	free_list(r->audiences, r->n_audiences);
	free(r->ns);
	free(r->name);
	free(r->jti);
	free(r->secret_name);
	memset(r, 0, sizeof(*r));
}

enum mapi_err
mapi_tokens_validate(const struct mapi_tokens *t, const char *token, size_t len,
                     const char *const *audiences, size_t n_audiences,
                     int64_t now_ns, struct mapi_tokens_result *out)
{
	struct mapi_tokens_parsed p = { 0 };
	enum mapi_err err;

	if (t == NULL || (token == NULL && len > 0) || out == NULL) {
		return MAPI_EINVAL;
	}
	err = mapi_tokens_parse(token, len, &p);
	if (err == MAPI_OK) {
		err = mapi_tokens_validate_parsed(t, token, len, &p, audiences,
		                                  n_audiences, now_ns, out);
	}
	mapi_tokens_parsed_clear(&p);
	return err;
}

enum mapi_err
mapi_tokens_validate_parsed(const struct mapi_tokens *t, const char *token,
                            size_t len,
                            const struct mapi_tokens_parsed *parsed,
                            const char *const *audiences, size_t n_audiences,
                            int64_t now_ns, struct mapi_tokens_result *out)
{
	struct mapi_tokens_result r = { 0 };
	struct vstate v = { 0 };
	size_t i;
	enum mapi_err err;

	if (t == NULL || (token == NULL && len > 0) || out == NULL ||
	    parsed == NULL || (audiences == NULL && n_audiences > 0) ||
	    n_audiences > MAPI_TOKENS_MAX_AUDIENCES || t->keyset == NULL ||
	    t->lookup == NULL) {
		return MAPI_EINVAL;
	}
	for (i = 0; i < n_audiences; i++) {
		if (audiences[i] == NULL) {
			return MAPI_EINVAL;
		}
	}
	v.t = t;
	v.token = token != NULL ? token : "";
	v.len = len;
	v.now_ns = now_ns;
	v.now_s = floor_sec(now_ns);
	v.frac = now_ns - v.now_s * NS_PER_SEC != 0;
	v.target = audiences;
	v.n_target = n_audiences;
	if (n_audiences == 0) {
		v.target = (const char *const *)t->api_auds;
		v.n_target = t->n_api_auds;
	}
	v.r = &r;
	err = validate_token(&v, parsed);
	if (err == MAPI_OK && r.verdict != MAPI_TOKENS_AUTHENTICATED) {
		/* keep only the verdict and the reason */
		char *reason = r.reason;
		enum mapi_tokens_verdict verdict = r.verdict;

		r.reason = NULL;
		mapi_tokens_result_clear(&r);
		r.reason = reason;
		r.verdict = verdict;
	}
	if (err != MAPI_OK) {
		mapi_tokens_result_clear(&r);
		return err;
	}
	*out = r;
	return MAPI_OK;
}

enum mapi_err
mapi_tokens_review_error(const struct mapi_tokens_result *r, char **out)
{
	struct sb b = { 0 };
	char *p;

	if (r == NULL || out == NULL ||
	    r->verdict == MAPI_TOKENS_AUTHENTICATED ||
	    (r->verdict == MAPI_TOKENS_REJECTED && r->reason == NULL)) {
		return MAPI_EINVAL;
	}
	if (r->verdict == MAPI_TOKENS_NOT_OURS ||
	    strcmp(r->reason, msg_invalid_bearer) == 0) {
		sb_puts(&b, msg_invalid_bearer);
	} else {
		sb_printf(&b, "[%s, %s]", msg_invalid_bearer, r->reason);
	}
	p = sb_take(&b);
	if (p == NULL) {
		return MAPI_ENOMEM;
	}
	*out = p;
	return MAPI_OK;
}
