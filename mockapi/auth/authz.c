/* SPDX-License-Identifier: MIT */
#include "auth/authz.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/*
 * The decision cache (only with a version function): a direct-mapped table
 * of (attributes, version) -> (decision, reason). A slot is reused when its
 * version is stale or another key hashes to it.
 */
#define DCACHE_SLOTS 256

struct dslot {
	char *key; /* serialised attributes; NULL = empty */
	size_t key_len;
	uint64_t version;
	enum mapi_authz_decision decision;
	char *reason;
};

struct mapi_authz {
	enum mapi_authz_mode mode;
	mapi_authz_list_fn *list_fn;
	mapi_authz_get_fn *get_fn;
	void *payload;
	mapi_authz_version_fn *version_fn; /* NULL: no caching */
	pthread_mutex_t lock;              /* guards slots */
	struct dslot slots[DCACHE_SLOTS];
};

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

/*
 * A text writer: growable (malloc'd, sets oom on failure) or fixed (a
 * caller's buffer; truncates, but counts the whole length like snprintf).
 */
struct wbuf {
	char *p;
	size_t cap;
	size_t len;
	bool fixed;
	bool oom;
	bool sanitize; /* escape & < > as upstream's responsewriters sanitizer
	                */
};

static void
wb_raw(struct wbuf *w, const char *s, size_t n)
{
	if (w->fixed) {
		if (w->cap > 0 && w->len + 1 < w->cap) {
			size_t room = w->cap - 1 - w->len;

			memcpy(w->p + w->len, s, n < room ? n : room);
		}
		w->len += n;
		return;
	}
	if (w->oom) {
		return;
	}
	if (w->len + n + 1 > w->cap) {
		size_t ncap = w->cap != 0 ? w->cap : 64;
		char *np;

		while (ncap < w->len + n + 1) {
			ncap *= 2;
		}
		np = realloc(w->p, ncap);
		if (np == NULL) {
			w->oom = true;
			return;
		}
		w->p = np;
		w->cap = ncap;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
	w->p[w->len] = '\0';
}

static void
wb_putn(struct wbuf *w, const char *s, size_t n)
{
	size_t i, start = 0;

	if (!w->sanitize) {
		wb_raw(w, s, n);
		return;
	}
	for (i = 0; i < n; i++) {
		const char *rep = NULL;

		if (s[i] == '&') {
			rep = "&amp;";
		} else if (s[i] == '<') {
			rep = "&lt;";
		} else if (s[i] == '>') {
			rep = "&gt;";
		}
		if (rep != NULL) {
			wb_raw(w, s + start, i - start);
			wb_raw(w, rep, strlen(rep));
			start = i + 1;
		}
	}
	wb_raw(w, s + start, n - start);
}

static void
wb_puts(struct wbuf *w, const char *s)
{
	wb_putn(w, nz(s), strlen(nz(s)));
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n, uint32_t *out_cp)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0xc2 || s[0] >= 0xf5) {
		return 0;
	}
	if (s[0] < 0xe0) {
		len = 2;
		cp = s[0] & 0x1fu;
	} else if (s[0] < 0xf0) {
		len = 3;
		cp = s[0] & 0x0fu;
	} else {
		len = 4;
		cp = s[0] & 0x07u;
	}
	if (len > n) {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
		return 0;
	}
	*out_cp = cp;
	return len;
}

/*
 * The inside of Go's %q (strconv.Quote): backslash escapes for the quote,
 * the backslash and control characters, \xHH for invalid UTF-8 bytes. Valid
 * multi-byte characters are kept, except the C1 controls (\u0080-\u009f).
 */
static void
wb_quote_body(struct wbuf *w, const char *str)
{
	const unsigned char *s = (const unsigned char *)nz(str);
	size_t n = strlen((const char *)s), i = 0;
	char tmp[16];

	while (i < n) {
		unsigned char c = s[i];
		uint32_t cp = 0;
		size_t l;
		const char *esc = NULL;

		if (c >= 0x80) {
			l = utf8_len(s + i, n - i, &cp);
			if (l == 0) {
				snprintf(tmp, sizeof(tmp), "\\x%02x", c);
				wb_raw(w, tmp, strlen(tmp));
				i++;
			} else if (cp < 0xa0) {
				snprintf(tmp, sizeof(tmp), "\\u%04x",
				         (unsigned)cp);
				wb_raw(w, tmp, strlen(tmp));
				i += l;
			} else {
				wb_putn(w, (const char *)s + i, l);
				i += l;
			}
			continue;
		}
		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\a':
			esc = "\\a";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\v':
			esc = "\\v";
			break;
		default:
			break;
		}
		if (esc != NULL) {
			wb_raw(w, esc, strlen(esc));
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", c);
			wb_raw(w, tmp, strlen(tmp));
		} else {
			wb_putn(w, (const char *)s + i, 1);
		}
		i++;
	}
}

/* Go's %q of a. */
static void
wb_quote(struct wbuf *w, const char *a)
{
	wb_raw(w, "\"", 1);
	wb_quote_body(w, a);
	wb_raw(w, "\"", 1);
}

/* Go's %q of a + "/" + b. */
static void
wb_quote2(struct wbuf *w, const char *a, const char *b)
{
	wb_raw(w, "\"", 1);
	wb_quote_body(w, a);
	wb_putn(w, "/", 1);
	wb_quote_body(w, b);
	wb_raw(w, "\"", 1);
}

/* The growable buffer's string ("" if nothing was written; NULL if oom). */
static char *
wb_take(struct wbuf *w)
{
	char *p;

	wb_raw(w, "", 0); /* allocates and terminates an empty buffer */
	if (w->oom) {
		free(w->p);
		w->p = NULL;
		return NULL;
	}
	p = w->p;
	w->p = NULL;
	return p;
}

/* ---- resolution errors, aggregated as utilerrors.NewAggregate ---- */

struct errlist {
	char **msgs;
	size_t n;
	size_t cap;
	bool oom;
};

static void
errlist_add(struct errlist *e, char *msg)
{
	if (msg == NULL) {
		e->oom = true;
		return;
	}
	if (e->n == e->cap) {
		size_t ncap = e->cap != 0 ? e->cap * 2 : 4;
		char **np = realloc(e->msgs, ncap * sizeof(*np));

		if (np == NULL) {
			free(msg);
			e->oom = true;
			return;
		}
		e->msgs = np;
		e->cap = ncap;
	}
	e->msgs[e->n++] = msg;
}

static void
errlist_fini(struct errlist *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		free(e->msgs[i]);
	}
	free(e->msgs);
	memset(e, 0, sizeof(*e));
}

/*
 * aggregate.Error(): one error as is; several distinct ones as
 * "[a, b]" in first-seen order; duplicates collapse (and a single distinct
 * message loses its brackets).
 */
static void
errlist_format(const struct errlist *e, struct wbuf *w)
{
	size_t i, j, distinct = 0;
	struct wbuf inner = { 0 };
	char *joined;

	if (e->n == 1) {
		wb_puts(w, e->msgs[0]);
		return;
	}
	for (i = 0; i < e->n; i++) {
		bool seen = false;

		for (j = 0; j < i; j++) {
			if (strcmp(e->msgs[i], e->msgs[j]) == 0) {
				seen = true;
				break;
			}
		}
		if (seen) {
			continue;
		}
		if (++distinct > 1) {
			wb_puts(&inner, ", ");
		}
		wb_puts(&inner, e->msgs[i]);
	}
	joined = wb_take(&inner);
	if (joined == NULL) {
		w->oom = true;
		return;
	}
	if (distinct > 1) {
		wb_puts(w, "[");
	}
	wb_puts(w, joined);
	if (distinct > 1) {
		wb_puts(w, "]");
	}
	free(joined);
}

/* ---- cJSON field access (lenient: a wrong type reads as absent) ---- */

static const char *
jstr(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static const cJSON *
jarr(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsArray(v) ? v : NULL;
}

static int
jarr_len(const cJSON *obj, const char *key)
{
	return cJSON_GetArraySize(jarr(obj, key));
}

/* True when the string array obj[key] holds s, or `all` if all != NULL. */
static bool
jarr_has(const cJSON *obj, const char *key, const char *s, const char *all)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, jarr(obj, key)) {
		if (!cJSON_IsString(it)) {
			continue;
		}
		if ((all != NULL && strcmp(it->valuestring, all) == 0) ||
		    strcmp(it->valuestring, s) == 0) {
			return true;
		}
	}
	return false;
}

/* ---- rule matching: pkg/apis/rbac/v1/evaluation_helpers.go ---- */

/* s == res + "/" + sub (or s == res when sub is empty). */
static bool
is_combined(const char *s, const char *res, const char *sub)
{
	size_t rl = strlen(res);

	if (*sub == '\0') {
		return strcmp(s, res) == 0;
	}
	return strncmp(s, res, rl) == 0 && s[rl] == '/' &&
	       strcmp(s + rl + 1, sub) == 0;
}

static bool
resource_matches(const cJSON *rule, const char *res, const char *sub)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, jarr(rule, "resources")) {
		const char *r;

		if (!cJSON_IsString(it)) {
			continue;
		}
		r = it->valuestring;
		if (strcmp(r, "*") == 0 || is_combined(r, res, sub)) {
			return true;
		}
		/* Only star-slash-subresource; a "pods/" + "*" rule is exact.
		 */
		if (*sub != '\0' && strncmp(r, "*/", 2) == 0 &&
		    strcmp(r + 2, sub) == 0) {
			return true;
		}
	}
	return false;
}

static bool
resource_name_matches(const cJSON *rule, const char *name)
{
	if (jarr_len(rule, "resourceNames") == 0) {
		return true;
	}
	return jarr_has(rule, "resourceNames", name, NULL);
}

static bool
url_matches(const cJSON *rule, const char *path)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, jarr(rule, "nonResourceURLs")) {
		const char *u;
		size_t ul;

		if (!cJSON_IsString(it)) {
			continue;
		}
		u = it->valuestring;
		if (strcmp(u, "*") == 0 || strcmp(u, path) == 0) {
			return true;
		}
		ul = strlen(u);
		if (ul > 0 && u[ul - 1] == '*') {
			/* strings.TrimRight(ruleURL, "*") then HasPrefix */
			while (ul > 0 && u[ul - 1] == '*') {
				ul--;
			}
			if (strncmp(path, u, ul) == 0) {
				return true;
			}
		}
	}
	return false;
}

/* rbac.go RuleAllows */
static bool
rule_allows(const struct mapi_authz_attrs *at, const cJSON *rule)
{
	if (!jarr_has(rule, "verbs", nz(at->verb), "*")) {
		return false;
	}
	if (!at->resource_request) {
		return url_matches(rule, nz(at->path));
	}
	return jarr_has(rule, "apiGroups", nz(at->api_group), "*") &&
	       resource_matches(rule, nz(at->resource), nz(at->subresource)) &&
	       resource_name_matches(rule, nz(at->name));
}

/* ---- subjects: rule.go appliesTo ---- */

struct ident {
	const char *user;
	const char *const *groups;
	size_t ngroups;
};

#define SA_PREFIX "system:serviceaccount:"

static bool
applies_to_user(const struct ident *id, const cJSON *subject, const char *ns)
{
	const char *kind = jstr(subject, "kind");
	const char *name = jstr(subject, "name");
	size_t i;

	if (strcmp(kind, "User") == 0) {
		return strcmp(id->user, name) == 0;
	}
	if (strcmp(kind, "Group") == 0) {
		for (i = 0; i < id->ngroups; i++) {
			if (id->groups[i] != NULL &&
			    strcmp(id->groups[i], name) == 0) {
				return true;
			}
		}
		return false;
	}
	if (strcmp(kind, "ServiceAccount") == 0) {
		/* The subject's namespace defaults to the binding's. */
		const char *sans = jstr(subject, "namespace");
		const char *u = id->user;
		size_t l;

		if (*sans == '\0') {
			sans = ns;
		}
		if (*sans == '\0') {
			return false;
		}
		/* serviceaccount.MatchesUsername */
		if (strncmp(u, SA_PREFIX, strlen(SA_PREFIX)) != 0) {
			return false;
		}
		u += strlen(SA_PREFIX);
		l = strlen(sans);
		if (strncmp(u, sans, l) != 0 || u[l] != ':') {
			return false;
		}
		return strcmp(u + l + 1, name) == 0;
	}
	return false;
}

/* Index of the first subject that applies, or -1. */
static int
applies_to(const struct ident *id, const cJSON *binding, const char *ns)
{
	const cJSON *it;
	int i = 0;

	cJSON_ArrayForEach(it, jarr(binding, "subjects")) {
		if (cJSON_IsObject(it) && applies_to_user(id, it, ns)) {
			return i;
		}
		i++;
	}
	return -1;
}

/* ---- rule resolution: rule.go VisitRulesFor ---- */

struct source {
	bool cluster; /* ClusterRoleBinding, else RoleBinding */
	const cJSON *binding;
	const char *binding_ns; /* the RoleBinding's namespace */
	const cJSON *subject;
};

/* Returns false to stop visiting. */
typedef bool rule_visitor(void *ctx, const struct source *src,
                          const cJSON *rule);

static char *
not_found_msg(const char *qualified, const char *name)
{
	struct wbuf w = { 0 };

	wb_puts(&w, qualified);
	wb_puts(&w, " ");
	wb_quote(&w, name);
	wb_puts(&w, " not found");
	return wb_take(&w);
}

/*
 * GetRoleReferenceRules: *out_role gets the Role/ClusterRole, or NULL with
 * the lister's error text added to errs (as upstream's visitor(nil, nil,
 * err)). Seam errors other than not-found are returned.
 */
static enum mapi_err
resolve_role(struct mapi_authz *a, const cJSON *binding, const char *ns,
             cJSON **out_role, struct errlist *errs)
{
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(binding, "roleRef");
	const char *kind = jstr(ref, "kind");
	const char *name = jstr(ref, "name");
	const char *qualified;
	cJSON *obj = NULL;
	enum mapi_err err;

	*out_role = NULL;
	if (strcmp(kind, "Role") == 0) {
		qualified = "role.rbac.authorization.k8s.io";
		if (*ns == '\0') {
			/* A cluster binding to a Role: Roles("").Get misses. */
			errlist_add(errs, not_found_msg(qualified, name));
			return MAPI_OK;
		}
		err = a->get_fn(a->payload, "roles", ns, name, &obj);
	} else if (strcmp(kind, "ClusterRole") == 0) {
		qualified = "clusterrole.rbac.authorization.k8s.io";
		err = a->get_fn(a->payload, "clusterroles", NULL, name, &obj);
	} else {
		struct wbuf w = { 0 };

		wb_puts(&w, "unsupported role reference kind: ");
		wb_quote(&w, kind);
		errlist_add(errs, wb_take(&w));
		return MAPI_OK;
	}
	if (err == MAPI_ENOTFOUND) {
		errlist_add(errs, not_found_msg(qualified, name));
		return MAPI_OK;
	}
	if (err != MAPI_OK) {
		return err;
	}
	*out_role = obj;
	return MAPI_OK;
}

static enum mapi_err
visit_bindings(struct mapi_authz *a, const struct ident *id,
               const cJSON *bindings, const char *ns, bool cluster,
               rule_visitor *visit, void *ctx, struct errlist *errs,
               bool *out_stop)
{
	const cJSON *b;
	enum mapi_err err = MAPI_OK;

	cJSON_ArrayForEach(b, bindings) {
		cJSON *role = NULL;
		const cJSON *rule;
		struct source src = { .cluster = cluster, .binding = b };
		const cJSON *meta;
		int idx;

		if (!cJSON_IsObject(b)) {
			continue;
		}
		idx = applies_to(id, b, ns);
		if (idx < 0) {
			continue;
		}
		err = resolve_role(a, b, ns, &role, errs);
		if (err != MAPI_OK) {
			return err;
		}
		if (role == NULL) {
			continue;
		}
		meta = cJSON_GetObjectItemCaseSensitive(b, "metadata");
		src.binding_ns = jstr(meta, "namespace");
		if (*src.binding_ns == '\0') {
			src.binding_ns = ns;
		}
		src.subject = cJSON_GetArrayItem(jarr(b, "subjects"), idx);
		cJSON_ArrayForEach(rule, jarr(role, "rules")) {
			if (cJSON_IsObject(rule) && !visit(ctx, &src, rule)) {
				*out_stop = true;
				break;
			}
		}
		cJSON_Delete(role);
		if (*out_stop) {
			break;
		}
	}
	return err;
}

static enum mapi_err
visit_rules_for(struct mapi_authz *a, const struct ident *id, const char *ns,
                rule_visitor *visit, void *ctx, struct errlist *errs)
{
	cJSON *items = NULL;
	bool stop = false;
	enum mapi_err err;

	err = a->list_fn(a->payload, "clusterrolebindings", NULL, &items);
	if (err != MAPI_OK) {
		goto out;
	}
	err = visit_bindings(a, id, items, "", true, visit, ctx, errs, &stop);
	cJSON_Delete(items);
	items = NULL;
	if (err != MAPI_OK || stop || *ns == '\0') {
		goto out;
	}
	err = a->list_fn(a->payload, "rolebindings", ns, &items);
	if (err != MAPI_OK) {
		goto out;
	}
	err = visit_bindings(a, id, items, ns, false, visit, ctx, errs, &stop);
out:
	cJSON_Delete(items);
	return err;
}

/* describeSubject + the two describers' String() */
static void
describe_source(const struct source *src, struct wbuf *w)
{
	const cJSON *b = src->binding;
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(b, "metadata");
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(b, "roleRef");
	const char *skind = jstr(src->subject, "kind");

	if (src->cluster) {
		wb_puts(w, "ClusterRoleBinding ");
		wb_quote(w, jstr(meta, "name"));
	} else {
		wb_puts(w, "RoleBinding ");
		wb_quote2(w, jstr(meta, "name"), src->binding_ns);
	}
	wb_puts(w, " of ");
	wb_puts(w, jstr(ref, "kind"));
	wb_puts(w, " ");
	wb_quote(w, jstr(ref, "name"));
	wb_puts(w, " to ");
	wb_puts(w, skind);
	wb_puts(w, " ");
	if (strcmp(skind, "ServiceAccount") == 0) {
		const char *sns = jstr(src->subject, "namespace");

		/* A cluster binding describes with an empty namespace. */
		if (*sns == '\0') {
			sns = src->cluster ? "" : src->binding_ns;
		}
		wb_quote2(w, jstr(src->subject, "name"), sns);
	} else {
		wb_quote(w, jstr(src->subject, "name"));
	}
}

/* ---- new / free ---- */

enum mapi_err
mapi_authz_new(enum mapi_authz_mode mode, mapi_authz_list_fn *list_fn,
               mapi_authz_get_fn *get_fn, void *payload,
               struct mapi_authz **out_authz)
{
	struct mapi_authz *a;

	if (out_authz == NULL ||
	    (mode != MAPI_AUTHZ_RBAC && mode != MAPI_AUTHZ_ALWAYS_ALLOW) ||
	    (mode == MAPI_AUTHZ_RBAC && (list_fn == NULL || get_fn == NULL))) {
		return MAPI_EINVAL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		return MAPI_ENOMEM;
	}
	a->mode = mode;
	a->list_fn = list_fn;
	a->get_fn = get_fn;
	a->payload = payload;
	if (pthread_mutex_init(&a->lock, NULL) != 0) {
		free(a);
		return MAPI_ENOMEM;
	}
	*out_authz = a;
	return MAPI_OK;
}

void
mapi_authz_set_version_fn(struct mapi_authz *authz, mapi_authz_version_fn *fn)
{
	pthread_mutex_lock(&authz->lock);
	authz->version_fn = fn;
	pthread_mutex_unlock(&authz->lock);
	mapi_authz_flush(authz);
}

void
mapi_authz_flush(struct mapi_authz *authz)
{
	size_t i;

	if (authz == NULL) {
		return;
	}
	pthread_mutex_lock(&authz->lock);
	for (i = 0; i < DCACHE_SLOTS; i++) {
		free(authz->slots[i].key);
		free(authz->slots[i].reason);
		authz->slots[i].key = NULL;
		authz->slots[i].reason = NULL;
	}
	pthread_mutex_unlock(&authz->lock);
}

void
mapi_authz_free(struct mapi_authz *authz)
{
	if (authz == NULL) {
		return;
	}
	mapi_authz_flush(authz);
	(void)pthread_mutex_destroy(&authz->lock);
	free(authz);
}

/* ---- decision cache ---- */

/* Every attribute the decision depends on, NUL-separated, in w. */
static void
cache_key(const struct mapi_authz_attrs *attrs, struct wbuf *w)
{
	const char *parts[] = {
		attrs->user,        attrs->verb,     attrs->ns,
		attrs->api_group,   attrs->api_version, attrs->resource,
		attrs->subresource, attrs->name,     attrs->path,
	};
	size_t i;

	wb_puts(w, attrs->resource_request ? "R" : "N");
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		wb_puts(w, "\x1f");
		wb_puts(w, nz(parts[i]));
	}
	for (i = 0; attrs->groups != NULL && i < attrs->ngroups; i++) {
		wb_puts(w, "\x1e");
		wb_puts(w, nz(attrs->groups[i]));
	}
}

static size_t
key_slot(const char *key, size_t len)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++) {
		h = (h ^ (unsigned char)key[i]) * 1099511628211ull;
	}
	return (size_t)(h % DCACHE_SLOTS);
}

/* true and the outputs on a hit (reason copied if wanted). */
static bool
cache_get(struct mapi_authz *a, const char *key, size_t len, uint64_t ver,
          enum mapi_authz_decision *out_decision, char **out_reason,
          bool *oom)
{
	struct dslot *sl = &a->slots[key_slot(key, len)];
	bool hit = false;

	pthread_mutex_lock(&a->lock);
	if (sl->key != NULL && sl->version == ver && sl->key_len == len &&
	    memcmp(sl->key, key, len) == 0) {
		hit = true;
		*out_decision = sl->decision;
		if (out_reason != NULL) {
			*out_reason = strdup(sl->reason);
			*oom = *out_reason == NULL;
		}
	}
	pthread_mutex_unlock(&a->lock);
	return hit;
}

static void
cache_put(struct mapi_authz *a, const char *key, size_t len, uint64_t ver,
          enum mapi_authz_decision decision, const char *reason)
{
	struct dslot *sl = &a->slots[key_slot(key, len)];
	char *k = malloc(len + 1);
	char *r = strdup(reason);

	if (k == NULL || r == NULL) {
		free(k);
		free(r);
		return; /* a cache miss next time; nothing else */
	}
	memcpy(k, key, len);
	k[len] = '\0';
	pthread_mutex_lock(&a->lock);
	free(sl->key);
	free(sl->reason);
	sl->key = k;
	sl->key_len = len;
	sl->version = ver;
	sl->decision = decision;
	sl->reason = r;
	pthread_mutex_unlock(&a->lock);
}

/* ---- check ---- */

struct check_ctx {
	const struct mapi_authz_attrs *attrs;
	bool allowed;
	struct wbuf reason;
};

static bool
check_visit(void *ctx, const struct source *src, const cJSON *rule)
{
	struct check_ctx *c = ctx;

	if (!rule_allows(c->attrs, rule)) {
		return true;
	}
	c->allowed = true;
	wb_puts(&c->reason, "RBAC: allowed by ");
	describe_source(src, &c->reason);
	return false;
}

static enum mapi_err
check_uncached(struct mapi_authz *authz, const struct mapi_authz_attrs *attrs,
               enum mapi_authz_decision *out_decision, char **out_reason);

enum mapi_err
mapi_authz_check(struct mapi_authz *authz, const struct mapi_authz_attrs *attrs,
                 enum mapi_authz_decision *out_decision, char **out_reason)
{
	struct wbuf key = { 0 };
	enum mapi_authz_decision d = MAPI_AUTHZ_DENY;
	mapi_authz_version_fn *vfn;
	char *reason = NULL;
	enum mapi_err err;
	uint64_t ver;
	bool oom = false;

	if (authz == NULL || attrs == NULL || out_decision == NULL) {
		return MAPI_EINVAL;
	}
	pthread_mutex_lock(&authz->lock);
	vfn = authz->version_fn;
	pthread_mutex_unlock(&authz->lock);
	if (authz->mode != MAPI_AUTHZ_RBAC || vfn == NULL) {
		return check_uncached(authz, attrs, out_decision, out_reason);
	}
	/* Read before evaluating: a change during it makes the entry stale. */
	ver = vfn(authz->payload);
	cache_key(attrs, &key);
	if (key.oom) {
		free(key.p);
		return MAPI_ENOMEM;
	}
	if (cache_get(authz, key.p, key.len, ver, out_decision, out_reason,
	              &oom)) {
		free(key.p);
		return oom ? MAPI_ENOMEM : MAPI_OK;
	}
	err = check_uncached(authz, attrs, &d, &reason);
	if (err == MAPI_OK) {
		cache_put(authz, key.p, key.len, ver, d, reason);
		*out_decision = d;
		if (out_reason != NULL) {
			*out_reason = reason;
			reason = NULL;
		}
	}
	free(reason);
	free(key.p);
	return err;
}

static enum mapi_err
check_uncached(struct mapi_authz *authz, const struct mapi_authz_attrs *attrs,
               enum mapi_authz_decision *out_decision, char **out_reason)
{
	struct check_ctx c = { .attrs = attrs };
	struct errlist errs = { 0 };
	struct ident id;
	char *reason = NULL;
	enum mapi_err err;

	if (authz == NULL || attrs == NULL || out_decision == NULL) {
		return MAPI_EINVAL;
	}
	if (authz->mode == MAPI_AUTHZ_ALWAYS_ALLOW) {
		if (out_reason != NULL) {
			reason = strdup("");
			if (reason == NULL) {
				return MAPI_ENOMEM;
			}
			*out_reason = reason;
		}
		*out_decision = MAPI_AUTHZ_ALLOW;
		return MAPI_OK;
	}
	id.user = nz(attrs->user);
	id.groups = attrs->groups;
	id.ngroups = attrs->groups != NULL ? attrs->ngroups : 0;
	err = visit_rules_for(authz, &id, nz(attrs->ns), check_visit, &c,
	                      &errs);
	if (err != MAPI_OK) {
		goto out;
	}
	if (!c.allowed && errs.n > 0) {
		wb_puts(&c.reason, "RBAC: ");
		errlist_format(&errs, &c.reason);
	}
	err = MAPI_ENOMEM;
	if (errs.oom) {
		goto out;
	}
	reason = wb_take(&c.reason);
	if (reason == NULL) {
		goto out;
	}
	*out_decision = c.allowed ? MAPI_AUTHZ_ALLOW : MAPI_AUTHZ_NO_OPINION;
	if (out_reason != NULL) {
		*out_reason = reason;
		reason = NULL;
	}
	err = MAPI_OK;
out:
	free(reason);
	free(c.reason.p);
	errlist_fini(&errs);
	return err;
}

/* ---- forbidden message and details ---- */

size_t
mapi_authz_forbidden_message(const struct mapi_authz_attrs *attrs,
                             const char *reason, char *buf, size_t len)
{
	struct wbuf w = { .p = buf,
		          .cap = buf != NULL ? len : 0,
		          .fixed = true };
	const char *res = nz(attrs->resource);
	const char *group = nz(attrs->api_group);
	const char *sub = nz(attrs->subresource);
	const char *ns = nz(attrs->ns);
	const char *name = nz(attrs->name);

	/* errors.NewForbidden(GroupResource{group, resource}, name, err) */
	if (!attrs->resource_request || (*res == '\0' && *group == '\0')) {
		wb_puts(&w, "forbidden: ");
	} else {
		wb_puts(&w, res);
		if (*group != '\0') {
			wb_puts(&w, ".");
			wb_puts(&w, group);
		}
		if (*name != '\0' && attrs->resource_request) {
			wb_puts(&w, " ");
			wb_quote(&w, name);
		}
		wb_puts(&w, " is forbidden: ");
	}

	/* responsewriters.forbiddenMessage, through the sanitizer */
	w.sanitize = true;
	wb_puts(&w, "User ");
	wb_quote(&w, attrs->user);
	wb_puts(&w, " cannot ");
	wb_puts(&w, attrs->verb);
	if (!attrs->resource_request) {
		wb_puts(&w, " path ");
		wb_quote(&w, attrs->path);
	} else {
		wb_puts(&w, " resource ");
		if (*sub == '\0') {
			wb_quote(&w, res);
		} else {
			wb_quote2(&w, res, sub);
		}
		wb_puts(&w, " in API group ");
		wb_quote(&w, group);
		if (*ns != '\0') {
			wb_puts(&w, " in the namespace ");
			wb_quote(&w, ns);
		} else {
			wb_puts(&w, " at the cluster scope");
		}
	}
	w.sanitize = false;
	if (reason != NULL && *reason != '\0') {
		wb_puts(&w, ": ");
		wb_puts(&w, reason);
	}
	if (w.cap > 0) {
		w.p[w.len < w.cap ? w.len : w.cap - 1] = '\0';
	}
	return w.len;
}

void
mapi_authz_forbidden_details(const struct mapi_authz_attrs *attrs,
                             struct mapi_authz_forbidden_details *out)
{
	if (!attrs->resource_request) {
		out->name = "";
		out->group = "";
		out->kind = "";
		return;
	}
	out->name = nz(attrs->name);
	out->group = nz(attrs->api_group);
	out->kind = nz(attrs->resource);
}

/* ---- rules review: RBACAuthorizer.RulesFor ---- */

struct rules_ctx {
	cJSON *resource_rules;
	cJSON *nonresource_rules;
	bool oom;
};

/* Copies rule[key] into dst[key]; omitempty unless always. */
static bool
copy_list(cJSON *dst, const cJSON *rule, const char *key, bool always)
{
	const cJSON *src = jarr(rule, key);
	cJSON *copy;

	if (cJSON_GetArraySize(src) == 0 && !always) {
		return true;
	}
	copy = src != NULL ? cJSON_Duplicate(src, true) : cJSON_CreateArray();
	if (copy == NULL) {
		return false;
	}
	if (!cJSON_AddItemToObject(dst, key, copy)) {
		cJSON_Delete(copy);
		return false;
	}
	return true;
}

static bool
append_rule(cJSON *list, const cJSON *rule, const char *const *keys,
            size_t nkeys)
{
	cJSON *r = cJSON_CreateObject();
	size_t i;

	if (r == NULL) {
		return false;
	}
	if (!cJSON_AddItemToArray(list, r)) {
		cJSON_Delete(r);
		return false;
	}
	for (i = 0; i < nkeys; i++) {
		if (!copy_list(r, rule, keys[i], i == 0)) {
			return false;
		}
	}
	return true;
}

static bool
rules_visit(void *ctx, const struct source *src, const cJSON *rule)
{
	static const char *const rkeys[] = { "verbs", "apiGroups", "resources",
		                             "resourceNames" };
	static const char *const nkeys[] = { "verbs", "nonResourceURLs" };
	struct rules_ctx *c = ctx;

	(void)src;
	if (jarr_len(rule, "resources") > 0 &&
	    !append_rule(c->resource_rules, rule, rkeys, 4)) {
		c->oom = true;
		return false;
	}
	if (jarr_len(rule, "nonResourceURLs") > 0 &&
	    !append_rule(c->nonresource_rules, rule, nkeys, 2)) {
		c->oom = true;
		return false;
	}
	return true;
}

/* alwaysAllowAuthorizer.RulesFor */
static bool
always_allow_rules(struct rules_ctx *c)
{
	cJSON *r = cJSON_Parse("{\"verbs\":[\"*\"],\"apiGroups\":[\"*\"],"
	                       "\"resources\":[\"*\"]}");
	cJSON *n = cJSON_Parse("{\"verbs\":[\"*\"],"
	                       "\"nonResourceURLs\":[\"*\"]}");
	bool ok = r != NULL && n != NULL;

	if (ok && cJSON_AddItemToArray(c->resource_rules, r)) {
		r = NULL;
	} else {
		ok = false;
	}
	if (ok && cJSON_AddItemToArray(c->nonresource_rules, n)) {
		n = NULL;
	} else {
		ok = false;
	}
	cJSON_Delete(r);
	cJSON_Delete(n);
	return ok;
}

enum mapi_err
mapi_authz_rules(struct mapi_authz *authz, const char *user,
                 const char *const *groups, size_t ngroups, const char *ns,
                 struct cJSON **out_status)
{
	struct rules_ctx c = { 0 };
	struct errlist errs = { 0 };
	struct ident id = { .user = nz(user),
		            .groups = groups,
		            .ngroups = groups != NULL ? ngroups : 0 };
	cJSON *status = NULL;
	struct wbuf w = { 0 };
	char *msg = NULL;
	enum mapi_err err = MAPI_EINVAL;

	if (authz == NULL || out_status == NULL) {
		goto out;
	}
	err = MAPI_ENOMEM;
	status = cJSON_CreateObject();
	if (status == NULL) {
		goto out;
	}
	c.resource_rules = cJSON_AddArrayToObject(status, "resourceRules");
	c.nonresource_rules =
		cJSON_AddArrayToObject(status, "nonResourceRules");
	if (c.resource_rules == NULL || c.nonresource_rules == NULL) {
		goto out;
	}
	if (authz->mode == MAPI_AUTHZ_ALWAYS_ALLOW) {
		if (!always_allow_rules(&c)) {
			goto out;
		}
	} else {
		err = visit_rules_for(authz, &id, nz(ns), rules_visit, &c,
		                      &errs);
		if (err != MAPI_OK) {
			goto out;
		}
		err = MAPI_ENOMEM;
		if (c.oom || errs.oom) {
			goto out;
		}
	}
	if (cJSON_AddFalseToObject(status, "incomplete") == NULL) {
		goto out;
	}
	if (errs.n > 0) {
		errlist_format(&errs, &w);
		msg = wb_take(&w);
		if (msg == NULL ||
		    cJSON_AddStringToObject(status, "evaluationError", msg) ==
		            NULL) {
			goto out;
		}
	}
	*out_status = status;
	status = NULL;
	err = MAPI_OK;
out:
	free(msg);
	free(w.p);
	errlist_fini(&errs);
	cJSON_Delete(status);
	return err;
}

/* ---- bootstrap policy (bootstrappolicy/policy.go, 1.32) ---- */

#define SL(...) ((const char *const[]){ __VA_ARGS__, NULL })

struct bp_rule {
	const char *const *verbs;
	const char *const *groups;
	const char *const *resources;
	const char *const *urls;
};

struct bp_role {
	const char *name;
	const struct bp_rule *const *rules; /* NULL-terminated */
	const char *label;     /* an extra aggregate-to-* label, or NULL */
	const char *aggregate; /* the aggregationRule's label, or NULL */
};

struct bp_binding {
	const char *name;
	const char *const *groups;
};

#define RW_VERBS SL("create", "delete", "deletecollection", "patch", "update")
#define R_VERBS  SL("get", "list", "watch")

/*
 * admin, edit and view as the aggregation controller leaves them in 1.32:
 * view = system:aggregate-to-view; edit = system:aggregate-to-edit + view;
 * admin = edit + system:aggregate-to-admin. Each rule is upstream's with its
 * resource list cut to what mockapi serves; rules left empty are dropped.
 */
static const struct bp_rule view_1 = {
	R_VERBS, SL(""), SL("configmaps", "pods", "serviceaccounts"), NULL
};
static const struct bp_rule view_2 = { R_VERBS, SL(""), SL("namespaces"),
	                               NULL };
static const struct bp_rule edit_1 = { R_VERBS, SL(""), SL("secrets"), NULL };
static const struct bp_rule edit_2 = { SL("impersonate"), SL(""),
	                               SL("serviceaccounts"), NULL };
static const struct bp_rule edit_3 = { RW_VERBS, SL(""), SL("pods"), NULL };
static const struct bp_rule edit_4 = {
	RW_VERBS, SL(""), SL("configmaps", "secrets", "serviceaccounts"), NULL
};
static const struct bp_rule edit_5 = { SL("create"), SL(""),
	                               SL("serviceaccounts/token"), NULL };
static const struct bp_rule admin_1 = { SL("create"),
	                                SL("authorization.k8s.io"),
	                                SL("localsubjectaccessreviews"), NULL };
static const struct bp_rule admin_2 = { SL("create", "delete",
	                                   "deletecollection", "get", "list",
	                                   "patch", "update", "watch"),
	                                SL("rbac.authorization.k8s.io"),
	                                SL("rolebindings", "roles"), NULL };
static const struct bp_rule all_resources = { SL("*"), SL("*"), SL("*"), NULL };
static const struct bp_rule all_urls = { SL("*"), NULL, NULL, SL("*") };
static const struct bp_rule delegator_1 = { SL("create"),
	                                    SL("authentication.k8s.io"),
	                                    SL("tokenreviews"), NULL };
static const struct bp_rule delegator_2 = { SL("create"),
	                                    SL("authorization.k8s.io"),
	                                    SL("subjectaccessreviews"), NULL };
static const struct bp_rule basic_1 = {
	SL("create"), SL("authorization.k8s.io"),
	SL("selfsubjectaccessreviews", "selfsubjectrulesreviews"), NULL
};
static const struct bp_rule basic_2 = { SL("create"),
	                                SL("authentication.k8s.io"),
	                                SL("selfsubjectreviews"), NULL };
static const struct bp_rule discovery_1 = {
	SL("get"), NULL, NULL,
	SL("/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez",
	   "/openapi", "/openapi/*", "/readyz", "/version", "/version/")
};
static const struct bp_rule public_1 = { SL("get"), NULL, NULL,
	                                 SL("/healthz", "/livez", "/readyz",
	                                    "/version", "/version/") };
static const struct bp_rule issuer_1 = {
	SL("get"), NULL, NULL,
	SL("/.well-known/openid-configuration",
	   "/.well-known/openid-configuration/", "/openid/v1/jwks",
	   "/openid/v1/jwks/")
};

#define AGG "rbac.authorization.k8s.io/aggregate-to-"

static const struct bp_role bp_roles[] = {
	{ "cluster-admin",
	  (const struct bp_rule *const[]){ &all_resources, &all_urls, NULL },
	  NULL, NULL },
	{ "admin",
	  (const struct bp_rule *const[]){ &edit_1, &edit_2, &edit_3, &edit_4,
	                                   &edit_5, &view_1, &view_2, &admin_1,
	                                   &admin_2, NULL },
	  NULL, AGG "admin" },
	{ "edit",
	  (const struct bp_rule *const[]){ &edit_1, &edit_2, &edit_3, &edit_4,
	                                   &edit_5, &view_1, &view_2, NULL },
	  AGG "admin", AGG "edit" },
	{ "view", (const struct bp_rule *const[]){ &view_1, &view_2, NULL },
	  AGG "edit", AGG "view" },
	{ "system:auth-delegator",
	  (const struct bp_rule *const[]){ &delegator_1, &delegator_2, NULL },
	  NULL, NULL },
	{ "system:basic-user",
	  (const struct bp_rule *const[]){ &basic_1, &basic_2, NULL }, NULL,
	  NULL },
	{ "system:discovery",
	  (const struct bp_rule *const[]){ &discovery_1, NULL }, NULL, NULL },
	{ "system:public-info-viewer",
	  (const struct bp_rule *const[]){ &public_1, NULL }, NULL, NULL },
	{ "system:service-account-issuer-discovery",
	  (const struct bp_rule *const[]){ &issuer_1, NULL }, NULL, NULL },
};

static const struct bp_binding bp_bindings[] = {
	{ "cluster-admin", SL("system:masters") },
	{ "system:basic-user", SL("system:authenticated") },
	{ "system:discovery", SL("system:authenticated") },
	{ "system:public-info-viewer",
	  SL("system:authenticated", "system:unauthenticated") },
	{ "system:service-account-issuer-discovery",
	  SL("system:serviceaccounts") },
};

#define RBAC_GROUP "rbac.authorization.k8s.io"

static bool
add_strings(cJSON *obj, const char *key, const char *const *list)
{
	cJSON *arr;

	if (list == NULL) {
		return true;
	}
	arr = cJSON_AddArrayToObject(obj, key);
	if (arr == NULL) {
		return false;
	}
	for (; *list != NULL; list++) {
		cJSON *s = cJSON_CreateString(*list);

		if (s == NULL || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			return false;
		}
	}
	return true;
}

/* kind, apiVersion, metadata{name, labels, annotations}; NULL on ENOMEM. */
static cJSON *
bp_object(const char *kind, const char *name, const char *extra_label)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *meta, *labels, *ann;

	if (o == NULL || cJSON_AddStringToObject(o, "kind", kind) == NULL ||
	    cJSON_AddStringToObject(o, "apiVersion", RBAC_GROUP "/v1") ==
	            NULL ||
	    (meta = cJSON_AddObjectToObject(o, "metadata")) == NULL ||
	    cJSON_AddStringToObject(meta, "name", name) == NULL ||
	    (labels = cJSON_AddObjectToObject(meta, "labels")) == NULL ||
	    cJSON_AddStringToObject(labels, "kubernetes.io/bootstrapping",
	                            "rbac-defaults") == NULL ||
	    (extra_label != NULL &&
	     cJSON_AddStringToObject(labels, extra_label, "true") == NULL) ||
	    (ann = cJSON_AddObjectToObject(meta, "annotations")) == NULL ||
	    cJSON_AddStringToObject(ann,
	                            "rbac.authorization.kubernetes.io/"
	                            "autoupdate",
	                            "true") == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
bp_role_json(const struct bp_role *r)
{
	cJSON *o = bp_object("ClusterRole", r->name, r->label);
	cJSON *rules, *agg, *sels, *sel, *ml;
	const struct bp_rule *const *it;

	if (o == NULL || (rules = cJSON_AddArrayToObject(o, "rules")) == NULL) {
		goto fail;
	}
	for (it = r->rules; *it != NULL; it++) {
		cJSON *j = cJSON_CreateObject();

		if (j == NULL || !cJSON_AddItemToArray(rules, j)) {
			cJSON_Delete(j);
			goto fail;
		}
		if (!add_strings(j, "verbs", (*it)->verbs) ||
		    !add_strings(j, "apiGroups", (*it)->groups) ||
		    !add_strings(j, "resources", (*it)->resources) ||
		    !add_strings(j, "nonResourceURLs", (*it)->urls)) {
			goto fail;
		}
	}
	if (r->aggregate != NULL) {
		if ((agg = cJSON_AddObjectToObject(o, "aggregationRule")) ==
		            NULL ||
		    (sels = cJSON_AddArrayToObject(
			     agg, "clusterRoleSelectors")) == NULL ||
		    (sel = cJSON_CreateObject()) == NULL) {
			goto fail;
		}
		if (!cJSON_AddItemToArray(sels, sel)) {
			cJSON_Delete(sel);
			goto fail;
		}
		if ((ml = cJSON_AddObjectToObject(sel, "matchLabels")) ==
		            NULL ||
		    cJSON_AddStringToObject(ml, r->aggregate, "true") == NULL) {
			goto fail;
		}
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static cJSON *
bp_binding_json(const struct bp_binding *b)
{
	cJSON *o = bp_object("ClusterRoleBinding", b->name, NULL);
	cJSON *subjects, *ref;
	const char *const *g;

	if (o == NULL ||
	    (subjects = cJSON_AddArrayToObject(o, "subjects")) == NULL) {
		goto fail;
	}
	for (g = b->groups; *g != NULL; g++) {
		cJSON *s = cJSON_CreateObject();

		if (s == NULL || !cJSON_AddItemToArray(subjects, s)) {
			cJSON_Delete(s);
			goto fail;
		}
		if (cJSON_AddStringToObject(s, "kind", "Group") == NULL ||
		    cJSON_AddStringToObject(s, "apiGroup", RBAC_GROUP) ==
		            NULL ||
		    cJSON_AddStringToObject(s, "name", *g) == NULL) {
			goto fail;
		}
	}
	if ((ref = cJSON_AddObjectToObject(o, "roleRef")) == NULL ||
	    cJSON_AddStringToObject(ref, "apiGroup", RBAC_GROUP) == NULL ||
	    cJSON_AddStringToObject(ref, "kind", "ClusterRole") == NULL ||
	    cJSON_AddStringToObject(ref, "name", b->name) == NULL) {
		goto fail;
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

enum mapi_err
mapi_authz_bootstrap_policy(struct cJSON **out_list)
{
	cJSON *list = cJSON_CreateObject();
	cJSON *items;
	size_t i;

	if (out_list == NULL) {
		cJSON_Delete(list);
		return MAPI_EINVAL;
	}
	if (list == NULL ||
	    cJSON_AddStringToObject(list, "kind", "List") == NULL ||
	    cJSON_AddStringToObject(list, "apiVersion", "v1") == NULL ||
	    cJSON_AddObjectToObject(list, "metadata") == NULL ||
	    (items = cJSON_AddArrayToObject(list, "items")) == NULL) {
		goto fail;
	}
	for (i = 0; i < sizeof(bp_roles) / sizeof(bp_roles[0]); i++) {
		cJSON *o = bp_role_json(&bp_roles[i]);

		if (o == NULL || !cJSON_AddItemToArray(items, o)) {
			cJSON_Delete(o);
			goto fail;
		}
	}
	for (i = 0; i < sizeof(bp_bindings) / sizeof(bp_bindings[0]); i++) {
		cJSON *o = bp_binding_json(&bp_bindings[i]);

		if (o == NULL || !cJSON_AddItemToArray(items, o)) {
			cJSON_Delete(o);
			goto fail;
		}
	}
	*out_list = list;
	return MAPI_OK;
fail:
	cJSON_Delete(list);
	return MAPI_ENOMEM;
}
