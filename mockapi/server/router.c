/* SPDX-License-Identifier: MIT */
#include "server/router.h"

#include <stdio.h>
#include <string.h>

#define MAX_SEGS 16
#define SEG_MAX  MAPI_REF_GROUP_MAX /* the longest field a segment fills */

struct segs {
	char s[MAX_SEGS][SEG_MAX];
	size_t n;
	bool trailing_slash;
};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/*
 * Decodes one raw segment [p, p+len) into out. MAPI_EINVAL on a bad escape
 * (Go's url.Parse fails, net/http says 400); MAPI_ENOTFOUND for what no
 * kube-apiserver route can match: an encoded '/' or NUL, ".", "..", an
 * over-long segment.
 */
static enum mapi_err
decode_seg(const char *p, size_t len, char *out)
{
	size_t w = 0;
	size_t i;
	int c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)p[i];
		if (c == '%') {
			int hi = i + 2 < len ? hexval(p[i + 1]) : -1;
			int lo = i + 2 < len ? hexval(p[i + 2]) : -1;

			if (hi < 0 || lo < 0) {
				return MAPI_EINVAL;
			}
			c = hi * 16 + lo;
			i += 2;
			if (c == '/' || c == 0) {
				return MAPI_ENOTFOUND;
			}
		}
		if (w + 1 >= SEG_MAX) {
			return MAPI_ENOTFOUND;
		}
		out[w++] = (char)c;
	}
	out[w] = '\0';
	if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
		return MAPI_ENOTFOUND;
	}
	return MAPI_OK;
}

static enum mapi_err
split(const char *path, struct segs *sg)
{
	const char *p;
	const char *slash;
	enum mapi_err err = MAPI_OK;
	enum mapi_err e;

	sg->n = 0;
	sg->trailing_slash = false;
	if (path == NULL || path[0] != '/') {
		return MAPI_ENOTFOUND;
	}
	if (path[1] == '\0') {
		return MAPI_OK; /* "/" */
	}
	p = path + 1;
	for (;;) {
		size_t len;

		slash = strchr(p, '/');
		len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (len == 0) {
			if (slash == NULL) {
				sg->trailing_slash = true; /* "/x/" */
				break;
			}
			err = MAPI_ENOTFOUND; /* "//"; keep checking escapes */
		} else if (sg->n >= MAX_SEGS) {
			err = MAPI_ENOTFOUND;
		} else {
			e = decode_seg(p, len, sg->s[sg->n]);
			if (e == MAPI_EINVAL) {
				return e;
			}
			if (e != MAPI_OK) {
				err = e;
			}
			sg->n++;
		}
		if (slash == NULL) {
			break;
		}
		p = slash + 1;
	}
	return err;
}

static bool
copy_field(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap) {
		return false;
	}
	memcpy(dst, src, n + 1);
	return true;
}

static bool
join(char *dst, size_t cap, const struct segs *sg, size_t from)
{
	size_t w = 0;
	size_t i;
	size_t n;

	dst[0] = '\0';
	for (i = from; i < sg->n; i++) {
		n = strlen(sg->s[i]);
		if (w + n + 2 > cap) {
			return false;
		}
		if (i > from) {
			dst[w++] = '/';
		}
		memcpy(dst + w, sg->s[i], n + 1);
		w += n;
	}
	return true;
}

/* Go's strconv.ParseBool true forms. */
static bool
parse_bool_true(const char *v, size_t n)
{
	static const char *const yes[] = {
		"1", "t", "T", "TRUE", "true", "True"
	};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strlen(yes[i]) == n && strncmp(v, yes[i], n) == 0) {
			return true;
		}
	}
	return false;
}

/* The first watch= value in a raw query is a ParseBool true form. */
static bool
query_watch(const char *q)
{
	const char *p = q;

	while (p != NULL && *p != '\0') {
		const char *end = p + strcspn(p, "&;");

		if (strncmp(p, "watch=", 6) == 0) {
			return parse_bool_true(p + 6, (size_t)(end - p - 6));
		}
		if (*end == '\0') {
			break;
		}
		p = end + 1;
	}
	return false;
}

static void
lower_method(const char *method, char *out, size_t cap)
{
	size_t i;

	for (i = 0; method[i] != '\0' && i + 1 < cap; i++) {
		char c = method[i];

		if (c >= 'A' && c <= 'Z') {
			c = (char)(c - 'A' + 'a');
		}
		out[i] = c;
	}
	out[i] = '\0';
}

/* RequestInfoFactory.NewRequestInfo for the part after /api/v1 or /apis/g/v. */
static enum mapi_err
parse_resource(const struct segs *sg, size_t from, const char *method,
               const char *query, struct mapi_route *r)
{
	const char *parts[MAX_SEGS] = { NULL };
	size_t n = sg->n - from;
	size_t i;

	for (i = 0; i < n; i++) {
		parts[i] = sg->s[from + i];
	}
	if (strcmp(parts[0], "namespaces") == 0 && n > 1) {
		if (!copy_field(r->ref.ns, sizeof(r->ref.ns), parts[1])) {
			return MAPI_ENOTFOUND;
		}
		if (n > 2 && strcmp(parts[2], "status") != 0 &&
		    strcmp(parts[2], "finalize") != 0) {
			for (i = 2; i < n; i++) {
				parts[i - 2] = parts[i];
			}
			n -= 2;
		}
	}
	if (n > 3) {
		return MAPI_ENOTFOUND; /* nothing is served below a subresource
		                        */
	}
	if (n >= 3 && !copy_field(r->ref.subresource,
	                          sizeof(r->ref.subresource), parts[2])) {
		return MAPI_ENOTFOUND;
	}
	if (n >= 2 && !copy_field(r->ref.name, sizeof(r->ref.name), parts[1])) {
		return MAPI_ENOTFOUND;
	}
	if (!copy_field(r->ref.resource, sizeof(r->ref.resource), parts[0])) {
		return MAPI_ENOTFOUND;
	}
	r->endpoint = MAPI_EP_RESOURCE;
	r->resource_request = true;
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
		r->verb = MAPI_VERB_GET;
		if (r->ref.name[0] == '\0') {
			r->verb = query_watch(query) ? MAPI_VERB_WATCH
			                             : MAPI_VERB_LIST;
		}
	} else if (strcmp(method, "POST") == 0) {
		r->verb = MAPI_VERB_CREATE;
	} else if (strcmp(method, "PUT") == 0) {
		r->verb = MAPI_VERB_UPDATE;
	} else if (strcmp(method, "PATCH") == 0) {
		r->verb = MAPI_VERB_PATCH;
	} else if (strcmp(method, "DELETE") == 0) {
		r->verb = r->ref.name[0] == '\0' ? MAPI_VERB_DELETECOLLECTION
		                                 : MAPI_VERB_DELETE;
	} else {
		r->verb = MAPI_VERB_NONE;
	}
	(void)snprintf(r->verb_name, sizeof(r->verb_name), "%s",
	               mapi_verb_name(r->verb));
	return MAPI_OK;
}

static bool
is(const struct segs *sg, size_t i, const char *s)
{
	return i < sg->n && strcmp(sg->s[i], s) == 0;
}

static enum mapi_err
match(const char *method, const struct segs *sg, const char *query,
      struct mapi_route *r)
{
	size_t n = sg->n;

	if (n == 0) {
		r->endpoint = MAPI_EP_ROOT;
		return MAPI_OK;
	}
	if (sg->trailing_slash && !is(sg, 0, "mock")) {
		return MAPI_ENOTFOUND;
	}
	if (is(sg, 0, "version") && n == 1) {
		r->endpoint = MAPI_EP_VERSION;
	} else if (is(sg, 0, "healthz") || is(sg, 0, "livez") ||
	           is(sg, 0, "readyz")) {
		r->endpoint = is(sg, 0, "healthz") ? MAPI_EP_HEALTHZ
		              : is(sg, 0, "livez") ? MAPI_EP_LIVEZ
		                                   : MAPI_EP_READYZ;
		if (!join(r->rest, sizeof(r->rest), sg, 1)) {
			return MAPI_ENOTFOUND;
		}
	} else if (is(sg, 0, "api")) {
		if (n == 1) {
			r->endpoint = MAPI_EP_API;
			return MAPI_OK;
		}
		if (!is(sg, 1, "v1")) {
			return MAPI_ENOTFOUND;
		}
		(void)copy_field(r->ref.version, sizeof(r->ref.version), "v1");
		if (n == 2) {
			r->endpoint = MAPI_EP_GROUP_VERSION;
			return MAPI_OK;
		}
		return parse_resource(sg, 2, method, query, r);
	} else if (is(sg, 0, "apis")) {
		if (n == 1) {
			r->endpoint = MAPI_EP_APIS;
			return MAPI_OK;
		}
		if (!copy_field(r->ref.group, sizeof(r->ref.group), sg->s[1])) {
			return MAPI_ENOTFOUND;
		}
		if (n == 2) {
			r->endpoint = MAPI_EP_GROUP;
			return MAPI_OK;
		}
		if (!copy_field(r->ref.version, sizeof(r->ref.version),
		                sg->s[2])) {
			return MAPI_ENOTFOUND;
		}
		if (n == 3) {
			r->endpoint = MAPI_EP_GROUP_VERSION;
			return MAPI_OK;
		}
		return parse_resource(sg, 3, method, query, r);
	} else if (is(sg, 0, "openapi") && is(sg, 1, "v2") && n == 2) {
		r->endpoint = MAPI_EP_OPENAPI_V2;
	} else if (is(sg, 0, "openapi") && is(sg, 1, "v3")) {
		r->endpoint =
			n == 2 ? MAPI_EP_OPENAPI_V3 : MAPI_EP_OPENAPI_V3_PATH;
		if (!join(r->rest, sizeof(r->rest), sg, 2)) {
			return MAPI_ENOTFOUND;
		}
	} else if (is(sg, 0, ".well-known") &&
	           is(sg, 1, "openid-configuration") && n == 2) {
		r->endpoint = MAPI_EP_OIDC_CONFIG;
	} else if (is(sg, 0, "openid") && is(sg, 1, "v1") &&
	           is(sg, 2, "jwks") && n == 3) {
		r->endpoint = MAPI_EP_OIDC_JWKS;
	} else if (is(sg, 0, "mock") && is(sg, 1, "v1") && n >= 3 && n <= 5 &&
	           !sg->trailing_slash) {
		r->endpoint = MAPI_EP_MOCK_API;
		if (!copy_field(r->ref.resource, sizeof(r->ref.resource),
		                sg->s[2]) ||
		    (n >= 4 &&
		     !copy_field(r->ref.name, sizeof(r->ref.name), sg->s[3])) ||
		    (n >= 5 &&
		     !copy_field(r->ref.subresource, sizeof(r->ref.subresource),
		                 sg->s[4]))) {
			return MAPI_ENOTFOUND;
		}
	} else if (is(sg, 0, "mock") && is(sg, 1, "ui")) {
		r->endpoint = MAPI_EP_MOCK_UI;
		if (!join(r->rest, sizeof(r->rest), sg, 2)) {
			return MAPI_ENOTFOUND;
		}
	} else {
		return MAPI_ENOTFOUND;
	}
	return MAPI_OK;
}

enum mapi_err
mapi_router_match(const char *method, const char *raw_path, const char *query,
                  struct mapi_route *out_route)
{
	struct segs sg;
	struct mapi_route r;
	enum mapi_err err;

	memset(&sg, 0, sizeof(sg));
	memset(&r, 0, sizeof(r));
	if (method == NULL) {
		return MAPI_EINVAL;
	}
	err = split(raw_path, &sg);
	if (err != MAPI_OK) {
		return err;
	}
	err = match(method, &sg, query != NULL ? query : "", &r);
	if (err != MAPI_OK) {
		return err;
	}
	if (!r.resource_request) {
		lower_method(method, r.verb_name, sizeof(r.verb_name));
	}
	*out_route = r;
	return MAPI_OK;
}

const char *
mapi_verb_name(enum mapi_verb verb)
{
	static const char *const names[] = {
		[MAPI_VERB_NONE] = "",
		[MAPI_VERB_GET] = "get",
		[MAPI_VERB_LIST] = "list",
		[MAPI_VERB_WATCH] = "watch",
		[MAPI_VERB_CREATE] = "create",
		[MAPI_VERB_UPDATE] = "update",
		[MAPI_VERB_PATCH] = "patch",
		[MAPI_VERB_DELETE] = "delete",
		[MAPI_VERB_DELETECOLLECTION] = "deletecollection",
	};

	if ((unsigned)verb >= sizeof(names) / sizeof(names[0])) {
		return "";
	}
	return names[verb];
}

const char *
mapi_endpoint_name(enum mapi_endpoint ep)
{
	static const char *const names[MAPI_EP_COUNT_] = {
		[MAPI_EP_NONE] = "MAPI_EP_NONE",
		[MAPI_EP_ROOT] = "MAPI_EP_ROOT",
		[MAPI_EP_VERSION] = "MAPI_EP_VERSION",
		[MAPI_EP_HEALTHZ] = "MAPI_EP_HEALTHZ",
		[MAPI_EP_LIVEZ] = "MAPI_EP_LIVEZ",
		[MAPI_EP_READYZ] = "MAPI_EP_READYZ",
		[MAPI_EP_API] = "MAPI_EP_API",
		[MAPI_EP_APIS] = "MAPI_EP_APIS",
		[MAPI_EP_GROUP] = "MAPI_EP_GROUP",
		[MAPI_EP_GROUP_VERSION] = "MAPI_EP_GROUP_VERSION",
		[MAPI_EP_RESOURCE] = "MAPI_EP_RESOURCE",
		[MAPI_EP_OPENAPI_V2] = "MAPI_EP_OPENAPI_V2",
		[MAPI_EP_OPENAPI_V3] = "MAPI_EP_OPENAPI_V3",
		[MAPI_EP_OPENAPI_V3_PATH] = "MAPI_EP_OPENAPI_V3_PATH",
		[MAPI_EP_OIDC_CONFIG] = "MAPI_EP_OIDC_CONFIG",
		[MAPI_EP_OIDC_JWKS] = "MAPI_EP_OIDC_JWKS",
		[MAPI_EP_MOCK_API] = "MAPI_EP_MOCK_API",
		[MAPI_EP_MOCK_UI] = "MAPI_EP_MOCK_UI",
	};

	if ((unsigned)ep >= MAPI_EP_COUNT_ || names[ep] == NULL) {
		return "MAPI_EP_?";
	}
	return names[ep];
}
