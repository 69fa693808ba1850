/* SPDX-License-Identifier: MIT */
#include "server/status.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/http.h"

/* The one table: error → HTTP code and metav1.StatusReason. */
static const struct {
	int code;
	const char *reason;
} table[MAPI_ERR_COUNT_] = {
	[MAPI_OK] = { 200, "" },
	[MAPI_ENOMEM] = { 500, "InternalError" },
	[MAPI_EINVAL] = { 400, "BadRequest" },
	[MAPI_EIO] = { 500, "InternalError" },
	[MAPI_ENOTFOUND] = { 404, "NotFound" },
	[MAPI_EEXIST] = { 409, "AlreadyExists" },
	[MAPI_ECONFLICT] = { 409, "Conflict" },
	[MAPI_EINVALID] = { 422, "Invalid" },
	[MAPI_EUNAUTHORIZED] = { 401, "Unauthorized" },
	[MAPI_EFORBIDDEN] = { 403, "Forbidden" },
	[MAPI_EMETHOD] = { 405, "MethodNotAllowed" },
	[MAPI_ETOOLARGE] = { 413, "RequestEntityTooLarge" },
	[MAPI_EMEDIATYPE] = { 415, "UnsupportedMediaType" },
	[MAPI_ETOOMANY] = { 429, "TooManyRequests" },
	[MAPI_ECRYPTO] = { 500, "InternalError" },
	[MAPI_EINTERNAL] = { 500, "InternalError" },
	[MAPI_EUNAVAILABLE] = { 503, "ServiceUnavailable" },
	[MAPI_EGONE] = { 410, "Expired" },
};

int
mapi_status_code(enum mapi_err err)
{
	if ((unsigned)err >= MAPI_ERR_COUNT_ || table[err].code == 0) {
		return 500;
	}
	return table[err].code;
}

const char *
mapi_status_reason(enum mapi_err err)
{
	if ((unsigned)err >= MAPI_ERR_COUNT_ || table[err].reason == NULL) {
		return "InternalError";
	}
	return table[err].reason;
}

/* ---- strbuf ---- */

static bool
sb_reserve(struct mapi_strbuf *sb, size_t extra)
{
	size_t need;
	size_t cap;
	char *p;

	if (sb->failed) {
		return false;
	}
	if (extra > SIZE_MAX / 2 - sb->len) {
		sb->failed = true;
		return false;
	}
	need = sb->len + extra + 1;
	if (need <= sb->cap) {
		return true;
	}
	cap = sb->cap != 0 ? sb->cap : 256;
	while (cap < need) {
		cap *= 2;
	}
	p = realloc(sb->data, cap);
	if (p == NULL) {
		sb->failed = true;
		return false;
	}
	sb->data = p;
	sb->cap = cap;
	return true;
}

void
mapi_strbuf_append(struct mapi_strbuf *sb, const char *s, size_t n)
{
	if (!sb_reserve(sb, n)) {
		return;
	}
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

void
mapi_strbuf_puts(struct mapi_strbuf *sb, const char *s)
{
	mapi_strbuf_append(sb, s, strlen(s));
}

void
mapi_strbuf_printf(struct mapi_strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->failed = true;
		return;
	}
	if (!sb_reserve(sb, (size_t)n)) {
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;
	size_t i;

	if (s[0] < 0x80) {
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n) {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff)) {
		return 0;
	}
	return len;
}

/*
 * Go's encoding/json string encoding with HTML escaping on (json.Encoder's
 * default, which kube-apiserver's serializer uses): \" \\ \n \r \t, other
 * control bytes and <, >, & as \u00XX, U+2028/U+2029 as \u2028/\u2029,
 * invalid UTF-8 as \ufffd.
 */
void
mapi_strbuf_json_string(struct mapi_strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	size_t i = 0;
	size_t len;
	char esc[7];

	mapi_strbuf_append(sb, "\"", 1);
	while (i < n) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			mapi_strbuf_append(sb, esc, 2);
			i++;
			continue;
		}
		if (c == '\n' || c == '\r' || c == '\t') {
			mapi_strbuf_append(sb,
			                   c == '\n'   ? "\\n"
			                   : c == '\r' ? "\\r"
			                               : "\\t",
			                   2);
			i++;
			continue;
		}
		if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			esc[0] = '\\';
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			mapi_strbuf_append(sb, esc, 6);
			i++;
			continue;
		}
		len = utf8_len(p + i, n - i);
		if (len == 0) {
			mapi_strbuf_puts(sb, "\\ufffd");
			i++;
			continue;
		}
		if (len == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 &&
		    (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
			mapi_strbuf_puts(sb, p[i + 2] == 0xa8 ? "\\u2028"
			                                      : "\\u2029");
			i += 3;
			continue;
		}
		mapi_strbuf_append(sb, s + i, len);
		i += len;
	}
	mapi_strbuf_append(sb, "\"", 1);
}

char *
mapi_strbuf_take(struct mapi_strbuf *sb)
{
	char *out;

	if (sb->failed || !sb_reserve(sb, 0)) {
		free(sb->data);
		memset(sb, 0, sizeof(*sb));
		return NULL;
	}
	out = sb->data;
	memset(sb, 0, sizeof(*sb));
	return out;
}

/* ---- Status ---- */

static bool
set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

static void
member(struct mapi_strbuf *sb, bool *first, const char *key, const char *v)
{
	if (!set(v)) {
		return;
	}
	mapi_strbuf_printf(sb, "%s\"%s\":", *first ? "" : ",", key);
	mapi_strbuf_json_string(sb, v);
	*first = false;
}

static void
format_details(struct mapi_strbuf *sb, const struct mapi_status_details *d)
{
	bool first = true;
	size_t i;

	mapi_strbuf_puts(sb, ",\"details\":{");
	member(sb, &first, "name", d->name);
	member(sb, &first, "group", d->group);
	member(sb, &first, "kind", d->kind);
	member(sb, &first, "uid", d->uid);
	if (d->n_causes > 0) {
		mapi_strbuf_printf(sb, "%s\"causes\":[", first ? "" : ",");
		for (i = 0; i < d->n_causes; i++) {
			bool cfirst = true;

			mapi_strbuf_puts(sb, i == 0 ? "{" : ",{");
			member(sb, &cfirst, "reason", d->causes[i].reason);
			member(sb, &cfirst, "message", d->causes[i].message);
			member(sb, &cfirst, "field", d->causes[i].field);
			mapi_strbuf_puts(sb, "}");
		}
		mapi_strbuf_puts(sb, "]");
		first = false;
	}
	if (d->retry_after_seconds != 0) {
		mapi_strbuf_printf(sb, "%s\"retryAfterSeconds\":%d",
		                   first ? "" : ",", d->retry_after_seconds);
	}
	mapi_strbuf_puts(sb, "}");
}

enum mapi_err
mapi_status_format(enum mapi_err err, const char *message,
                   const struct mapi_status_details *details, char **out_json,
                   int *out_code)
{
	struct mapi_strbuf sb = { 0 };
	const char *reason = mapi_status_reason(err);
	char *json;

	mapi_strbuf_puts(&sb, "{\"kind\":\"Status\",\"apiVersion\":\"v1\","
	                      "\"metadata\":{},\"status\":");
	mapi_strbuf_puts(&sb, err == MAPI_OK ? "\"Success\"" : "\"Failure\"");
	if (set(message)) {
		mapi_strbuf_puts(&sb, ",\"message\":");
		mapi_strbuf_json_string(&sb, message);
	}
	if (set(reason)) {
		mapi_strbuf_puts(&sb, ",\"reason\":");
		mapi_strbuf_json_string(&sb, reason);
	}
	if (details != NULL) {
		format_details(&sb, details);
	}
	mapi_strbuf_printf(&sb, ",\"code\":%d}", mapi_status_code(err));
	json = mapi_strbuf_take(&sb);
	if (json == NULL) {
		return MAPI_ENOMEM;
	}
	*out_json = json;
	if (out_code != NULL) {
		*out_code = mapi_status_code(err);
	}
	return MAPI_OK;
}

enum mapi_err
mapi_status_respond(struct mapi_response *resp, enum mapi_err err,
                    const char *message,
                    const struct mapi_status_details *details)
{
	char *json = NULL;
	char *body;
	size_t len;
	int code;
	enum mapi_err rc;

	rc = mapi_status_format(err, message, details, &json, &code);
	if (rc != MAPI_OK) {
		return rc;
	}
	len = strlen(json);
	body = realloc(json, len + 2);
	if (body == NULL) {
		free(json);
		return MAPI_ENOMEM;
	}
	body[len] = '\n'; /* json.Encoder.Encode ends every value so */
	body[len + 1] = '\0';
	return mapi_response_adopt_body(resp, code, "application/json", body,
	                                len + 1);
}

enum mapi_err
mapi_status_respond_code(struct mapi_response *resp, int code,
                         const char *reason, const char *message,
                         int retry_after_seconds)
{
	struct mapi_strbuf sb = { 0 };
	char ra[16];
	char *body;
	enum mapi_err rc;

	if (code < 400 || code > 599) {
		return MAPI_EINVAL;
	}
	mapi_strbuf_puts(&sb, "{\"kind\":\"Status\",\"apiVersion\":\"v1\","
	                      "\"metadata\":{},\"status\":\"Failure\"");
	if (set(message)) {
		mapi_strbuf_puts(&sb, ",\"message\":");
		mapi_strbuf_json_string(&sb, message);
	}
	if (set(reason)) {
		mapi_strbuf_puts(&sb, ",\"reason\":");
		mapi_strbuf_json_string(&sb, reason);
	}
	if (retry_after_seconds > 0) {
		mapi_strbuf_printf(&sb, ",\"details\":{\"retryAfterSeconds\":%d}",
		                   retry_after_seconds);
	}
	mapi_strbuf_printf(&sb, ",\"code\":%d}\n", code);
	body = mapi_strbuf_take(&sb);
	if (body == NULL) {
		return MAPI_ENOMEM;
	}
	rc = mapi_response_adopt_body(resp, code, "application/json", body,
	                              strlen(body));
	if (rc == MAPI_OK && retry_after_seconds > 0) {
		(void)snprintf(ra, sizeof(ra), "%d", retry_after_seconds);
		rc = mapi_response_add_header(resp, "Retry-After", ra);
	}
	return rc;
}

/* "pods" or "tokenreviews.authentication.k8s.io" (GroupResource.String). */
static void
qualified(struct mapi_strbuf *sb, const char *group, const char *name)
{
	mapi_strbuf_puts(sb, name != NULL ? name : "");
	if (set(group)) {
		mapi_strbuf_printf(sb, ".%s", group);
	}
}

/* Appends s as Go's %q would for printable text. */
static void
quote(struct mapi_strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	char esc[5];

	mapi_strbuf_append(sb, "\"", 1);
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			mapi_strbuf_append(sb, esc, 2);
		} else if (*p == '\n') {
			mapi_strbuf_puts(sb, "\\n");
		} else if (*p == '\t') {
			mapi_strbuf_puts(sb, "\\t");
		} else if (*p == '\r') {
			mapi_strbuf_puts(sb, "\\r");
		} else if (*p < 0x20 || *p == 0x7f) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[*p >> 4];
			esc[3] = hex[*p & 0xf];
			mapi_strbuf_append(sb, esc, 4);
		} else {
			mapi_strbuf_append(sb, (const char *)p, 1);
		}
	}
	mapi_strbuf_append(sb, "\"", 1);
}

/* Builds "<prefix><gr> \"<name>\"<suffix>" style messages and responds. */
static enum mapi_err
respond_named(struct mapi_response *resp, enum mapi_err err, const char *group,
              const char *resource, const char *name, const char *before,
              const char *after, const char *why)
{
	struct mapi_strbuf sb = { 0 };
	struct mapi_status_details d = {
		.name = name,
		.group = group,
		.kind = resource,
	};
	enum mapi_err rc;
	char *msg;

	mapi_strbuf_puts(&sb, before);
	qualified(&sb, group, resource);
	mapi_strbuf_puts(&sb, " ");
	quote(&sb, name);
	mapi_strbuf_puts(&sb, after);
	if (why != NULL) {
		mapi_strbuf_puts(&sb, why);
	}
	msg = mapi_strbuf_take(&sb);
	if (msg == NULL) {
		return MAPI_ENOMEM;
	}
	rc = mapi_status_respond(resp, err, msg, &d);
	free(msg);
	return rc;
}

enum mapi_err
mapi_status_not_found(struct mapi_response *resp, const char *group,
                      const char *resource, const char *name)
{
	return respond_named(resp, MAPI_ENOTFOUND, group, resource, name, "",
	                     " not found", NULL);
}

enum mapi_err
mapi_status_already_exists(struct mapi_response *resp, const char *group,
                           const char *resource, const char *name)
{
	return respond_named(resp, MAPI_EEXIST, group, resource, name, "",
	                     " already exists", NULL);
}

enum mapi_err
mapi_status_conflict(struct mapi_response *resp, const char *group,
                     const char *resource, const char *name, const char *why)
{
	return respond_named(resp, MAPI_ECONFLICT, group, resource, name,
	                     "Operation cannot be fulfilled on ", ": ",
	                     why != NULL ? why : "");
}

static const struct {
	const char *reason; /* CauseType / ErrorType value */
	const char *text;   /* ErrorType.String() */
	bool never_value;   /* ErrorBody never prints the bad value */
} field_types[] = {
	[MAPI_FIELD_INVALID] = { "FieldValueInvalid", "Invalid value", false },
	[MAPI_FIELD_REQUIRED] = { "FieldValueRequired", "Required value",
	                          true },
	[MAPI_FIELD_DUPLICATE] = { "FieldValueDuplicate", "Duplicate value",
	                           false },
	[MAPI_FIELD_NOT_FOUND] = { "FieldValueNotFound", "Not found", false },
	[MAPI_FIELD_NOT_SUPPORTED] = { "FieldValueNotSupported",
	                               "Unsupported value", false },
	[MAPI_FIELD_FORBIDDEN] = { "FieldValueForbidden", "Forbidden", true },
	[MAPI_FIELD_TOO_LONG] = { "FieldValueTooLong", "Too long", true },
	[MAPI_FIELD_TOO_MANY] = { "FieldValueTooMany", "Too many", false },
	[MAPI_FIELD_INTERNAL] = { "InternalError", "Internal error", true },
	[MAPI_FIELD_TYPE_INVALID] = { "FieldValueTypeInvalid", "Invalid value",
	                              false },
};

/* field.Error.ErrorBody(). */
static char *
field_body(const struct mapi_field_error *e)
{
	struct mapi_strbuf sb = { 0 };
	unsigned t = (unsigned)e->type;

	if (t >= sizeof(field_types) / sizeof(field_types[0])) {
		t = MAPI_FIELD_INVALID;
	}
	mapi_strbuf_puts(&sb, field_types[t].text);
	if (!field_types[t].never_value && e->bad_value != NULL) {
		mapi_strbuf_puts(&sb, ": ");
		if (e->value_is_string) {
			quote(&sb, e->bad_value);
		} else {
			mapi_strbuf_puts(&sb, e->bad_value);
		}
	}
	if (set(e->detail)) {
		mapi_strbuf_printf(&sb, ": %s", e->detail);
	}
	return mapi_strbuf_take(&sb);
}

enum mapi_err
mapi_status_invalid(struct mapi_response *resp, const char *group,
                    const char *kind, const char *name,
                    const struct mapi_field_error *errs, size_t n)
{
	struct mapi_strbuf sb = { 0 };
	struct mapi_status_cause *causes = NULL;
	char **bodies = NULL;
	char **texts = NULL;
	struct mapi_status_details d = { .name = name,
		                         .group = group,
		                         .kind = kind };
	enum mapi_err rc = MAPI_ENOMEM;
	size_t n_texts = 0;
	size_t i;
	size_t j;
	char *msg = NULL;

	if (n > 0) {
		causes = calloc(n, sizeof(*causes));
		bodies = calloc(n, sizeof(*bodies));
		texts = calloc(n, sizeof(*texts));
		if (causes == NULL || bodies == NULL || texts == NULL) {
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		struct mapi_strbuf t = { 0 };
		unsigned ty = (unsigned)errs[i].type;
		bool dup = false;

		if (ty >= sizeof(field_types) / sizeof(field_types[0])) {
			ty = MAPI_FIELD_INVALID;
		}
		bodies[i] = field_body(&errs[i]);
		if (bodies[i] == NULL) {
			goto out;
		}
		causes[i].reason = field_types[ty].reason;
		causes[i].message = bodies[i];
		causes[i].field = errs[i].field;
		/* field.Error.Error(): "<field>: <body>". */
		mapi_strbuf_printf(&t, "%s: %s",
		                   errs[i].field != NULL ? errs[i].field : "",
		                   bodies[i]);
		texts[n_texts] = mapi_strbuf_take(&t);
		if (texts[n_texts] == NULL) {
			goto out;
		}
		/* The aggregate prints each distinct message once. */
		for (j = 0; j < n_texts; j++) {
			if (strcmp(texts[j], texts[n_texts]) == 0) {
				dup = true;
			}
		}
		if (dup) {
			free(texts[n_texts]);
			texts[n_texts] = NULL;
		} else {
			n_texts++;
		}
	}
	d.causes = causes;
	d.n_causes = n;

	qualified(&sb, group, kind);
	mapi_strbuf_puts(&sb, " ");
	quote(&sb, name);
	mapi_strbuf_puts(&sb, " is invalid");
	if (n_texts == 1) {
		mapi_strbuf_printf(&sb, ": %s", texts[0]);
	} else if (n_texts > 1) {
		mapi_strbuf_puts(&sb, ": [");
		for (i = 0; i < n_texts; i++) {
			mapi_strbuf_printf(&sb, "%s%s", i == 0 ? "" : ", ",
			                   texts[i]);
		}
		mapi_strbuf_puts(&sb, "]");
	}
	msg = mapi_strbuf_take(&sb);
	if (msg == NULL) {
		goto out;
	}
	rc = mapi_status_respond(resp, MAPI_EINVALID, msg, &d);
out:
	for (i = 0; i < n; i++) {
		if (bodies != NULL) {
			free(bodies[i]);
		}
		if (texts != NULL) {
			free(texts[i]);
		}
	}
	free(bodies);
	free(texts);
	free(causes);
	free(msg);
	return rc;
}

enum mapi_err
mapi_status_unauthorized(struct mapi_response *resp)
{
	return mapi_status_respond(resp, MAPI_EUNAUTHORIZED, "Unauthorized",
	                           NULL);
}

enum mapi_err
mapi_status_forbidden(struct mapi_response *resp,
                      const struct mapi_forbidden *w)
{
	struct mapi_strbuf sb = { 0 };
	struct mapi_status_details d = { 0 };
	const char *user = w->user != NULL ? w->user : "";
	const char *verb = w->verb != NULL ? w->verb : "";
	const char *group = w->group != NULL ? w->group : "";
	enum mapi_err rc;
	char *msg;

	if (!w->resource_request) {
		mapi_strbuf_puts(&sb, "forbidden: User ");
		quote(&sb, user);
		mapi_strbuf_printf(&sb, " cannot %s path ", verb);
		quote(&sb, w->path);
	} else {
		qualified(&sb, group, w->resource);
		if (set(w->name)) {
			mapi_strbuf_puts(&sb, " ");
			quote(&sb, w->name);
		}
		mapi_strbuf_puts(&sb, " is forbidden: User ");
		quote(&sb, user);
		mapi_strbuf_printf(&sb, " cannot %s resource ", verb);
		if (set(w->subresource)) {
			struct mapi_strbuf r = { 0 };
			char *rs;

			mapi_strbuf_printf(&r, "%s/%s",
			                   w->resource != NULL ? w->resource
			                                       : "",
			                   w->subresource);
			rs = mapi_strbuf_take(&r);
			if (rs == NULL) {
				sb.failed = true;
			} else {
				quote(&sb, rs);
				free(rs);
			}
		} else {
			quote(&sb, w->resource);
		}
		mapi_strbuf_puts(&sb, " in API group ");
		quote(&sb, group);
		if (set(w->ns)) {
			mapi_strbuf_puts(&sb, " in the namespace ");
			quote(&sb, w->ns);
		} else {
			mapi_strbuf_puts(&sb, " at the cluster scope");
		}
		d.name = w->name;
		d.group = group;
		d.kind = w->resource;
	}
	if (set(w->reason)) {
		mapi_strbuf_printf(&sb, ": %s", w->reason);
	}
	msg = mapi_strbuf_take(&sb);
	if (msg == NULL) {
		return MAPI_ENOMEM;
	}
	rc = mapi_status_respond(resp, MAPI_EFORBIDDEN, msg, &d);
	free(msg);
	return rc;
}

enum mapi_err
mapi_status_method_not_allowed(struct mapi_response *resp)
{
	static const struct mapi_status_details empty = { 0 };

	return mapi_status_respond(
		resp, MAPI_EMETHOD,
		"the server does not allow this method on the requested "
		"resource",
		&empty);
}

enum mapi_err
mapi_status_unsupported_media_type(struct mapi_response *resp)
{
	return mapi_status_respond(
		resp, MAPI_EMEDIATYPE,
		"the body of the request was in an unknown format - accepted "
		"media types include: application/json, application/yaml, "
		"application/vnd.kubernetes.protobuf",
		NULL);
}

enum mapi_err
mapi_status_too_large(struct mapi_response *resp, size_t limit)
{
	char msg[96];

	(void)snprintf(msg, sizeof(msg),
	               "Request entity too large: limit is %zu", limit);
	return mapi_status_respond(resp, MAPI_ETOOLARGE, msg, NULL);
}

enum mapi_err
mapi_status_bad_request(struct mapi_response *resp, const char *message)
{
	return mapi_status_respond(resp, MAPI_EINVAL, message, NULL);
}

enum mapi_err
mapi_status_bad_json(struct mapi_response *resp, const char *kind,
                     size_t offset, const char *body, size_t body_len)
{
	static const char hex[] = "0123456789abcdef";
	struct mapi_strbuf sb = { 0 };
	size_t n = body_len < 30 ? body_len : 30;
	enum mapi_err rc;
	size_t i;
	char *msg;

	mapi_strbuf_printf(&sb,
	                   "the object provided is unrecognized (must be of "
	                   "type %s): couldn't get version/kind; json parse "
	                   "error: syntax error at byte offset %zu (",
	                   kind != NULL ? kind : "", offset);
	/* handlers/rest.go summarizeData(body, 30). */
	if (body_len == 0) {
		mapi_strbuf_puts(&sb, "<empty>");
	} else if (body[0] == '{') {
		mapi_strbuf_append(&sb, body, n);
	} else {
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)body[i];
			char h[2] = { hex[c >> 4], hex[c & 0xf] };

			mapi_strbuf_append(&sb, h, 2);
		}
	}
	if (body_len > 30) {
		mapi_strbuf_puts(&sb, " ...");
	}
	mapi_strbuf_puts(&sb, ")");
	msg = mapi_strbuf_take(&sb);
	if (msg == NULL) {
		return MAPI_ENOMEM;
	}
	rc = mapi_status_respond(resp, MAPI_EINVAL, msg, NULL);
	free(msg);
	return rc;
}

enum mapi_err
mapi_status_internal(struct mapi_response *resp, const char *msg)
{
	struct mapi_strbuf sb = { 0 };
	struct mapi_status_cause cause = { .message = msg };
	struct mapi_status_details d = { .causes = &cause, .n_causes = 1 };
	enum mapi_err rc;
	char *text;

	mapi_strbuf_printf(&sb, "Internal error occurred: %s",
	                   msg != NULL ? msg : "");
	text = mapi_strbuf_take(&sb);
	if (text == NULL) {
		return MAPI_ENOMEM;
	}
	rc = mapi_status_respond(resp, MAPI_EINTERNAL, text, &d);
	free(text);
	return rc;
}

enum mapi_err
mapi_status_from_diag(struct mapi_response *resp, enum mapi_err err,
                      const struct mapi_diag *diag)
{
	const char *msg = diag != NULL && diag->msg[0] != '\0'
	                          ? diag->msg
	                          : mapi_status_reason(err);

	if (mapi_status_code(err) == 500) {
		return mapi_status_internal(resp, msg);
	}
	return mapi_status_respond(resp, err, msg, NULL);
}

static enum mapi_err
plain(struct mapi_response *resp, int code, const char *text)
{
	enum mapi_err rc;

	rc = mapi_response_set_body(resp, code, "text/plain; charset=utf-8",
	                            text, strlen(text));
	if (rc != MAPI_OK) {
		return rc;
	}
	if (mapi_response_find_header(resp, "X-Content-Type-Options") == NULL) {
		rc = mapi_response_add_header(resp, "X-Content-Type-Options",
		                              "nosniff");
	}
	return rc;
}

enum mapi_err
mapi_status_not_found_page(struct mapi_response *resp)
{
	return plain(resp, 404, "404 page not found\n");
}

enum mapi_err
mapi_status_too_many_requests_text(struct mapi_response *resp,
                                   int retry_after_seconds)
{
	char ra[16];
	enum mapi_err rc;

	rc = plain(resp, 429, "Too many requests, please try again later.\n");
	if (rc != MAPI_OK) {
		return rc;
	}
	(void)snprintf(ra, sizeof(ra), "%d", retry_after_seconds);
	return mapi_response_add_header(resp, "Retry-After", ra);
}
