/* SPDX-License-Identifier: MIT */
#include "server/proto.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <protobuf-c/protobuf-c.h>

#include "k8s_authentication.pb-c.h"
#include "k8s_authorization.pb-c.h"
#include "k8s_core.pb-c.h"
#include "k8s_meta.pb-c.h"
#include "k8s_rbac.pb-c.h"
#include "k8s_resource.pb-c.h"
#include "k8s_runtime.pb-c.h"

/*
 * Two passes over each message. scan_message() walks the wire bytes against
 * the protobuf-c descriptors: it enforces the limits, checks wire types,
 * UTF-8 and unmodelled fields, and knows byte offsets and field paths for the
 * diagnostics, none of which protobuf_c_message_unpack() reports. Only then
 * does protobuf-c unpack the bytes, and conv_fields() turns the unpacked
 * message into cJSON generically from the same descriptors: a proto field's
 * name is its JSON name, and the two tables below carry the exceptions.
 */

#define MAGIC_LEN         4
#define MAX_DESC_FIELDS   64
#define MAX_FIELD_NUMBER  536870911u                /* 2^29 - 1 */
#define MAX_JSON_INT      INT64_C(9007199254740992) /* 2^53 */
#define UNKNOWN_RAW_FIELD 2

static const unsigned char magic[MAGIC_LEN] = { 0x6b, 0x38, 0x73, 0x00 };

/* Field flags. */
enum {
	/* A Go pointer: emitted when present even if "", 0, false or {}. */
	F_PRESENCE = 1u << 0,
	/* Accepted on the wire, never emitted. */
	F_DROP = 1u << 1,
};

struct field_rule {
	const ProtobufCMessageDescriptor *desc;
	const char *name;
	unsigned flags;
};

#define META(m)  k8s__io__apimachinery__pkg__apis__meta__v1__##m##__descriptor
#define CORE(m)  k8s__io__api__core__v1__##m##__descriptor
#define AUTHN(m) k8s__io__api__authentication__v1__##m##__descriptor
#define AUTHZ(m) k8s__io__api__authorization__v1__##m##__descriptor
#define RBAC(m)  k8s__io__api__rbac__v1__##m##__descriptor

static const struct field_rule field_rules[] = {
	{ &META(delete_options), "gracePeriodSeconds", F_PRESENCE },
	{ &META(delete_options), "preconditions", F_PRESENCE },
	{ &META(delete_options), "orphanDependents", F_PRESENCE },
	{ &META(delete_options), "propagationPolicy", F_PRESENCE },
	{ &META(preconditions), "uid", F_PRESENCE },
	{ &META(preconditions), "resourceVersion", F_PRESENCE },
	{ &META(object_meta), "deletionGracePeriodSeconds", F_PRESENCE },
	{ &META(owner_reference), "controller", F_PRESENCE },
	{ &META(owner_reference), "blockOwnerDeletion", F_PRESENCE },
	{ &AUTHN(token_request_spec), "expirationSeconds", F_PRESENCE },
	{ &AUTHN(token_request_spec), "boundObjectRef", F_PRESENCE },
	{ &AUTHZ(self_subject_access_review_spec), "resourceAttributes",
	  F_PRESENCE },
	{ &AUTHZ(self_subject_access_review_spec), "nonResourceAttributes",
	  F_PRESENCE },
	{ &AUTHZ(subject_access_review_spec), "resourceAttributes",
	  F_PRESENCE },
	{ &AUTHZ(subject_access_review_spec), "nonResourceAttributes",
	  F_PRESENCE },
	{ &CORE(config_map), "immutable", F_PRESENCE },
	{ &CORE(secret), "immutable", F_PRESENCE },
	{ &CORE(service_account), "automountServiceAccountToken", F_PRESENCE },
	{ &CORE(pod), "status", F_DROP },
	{ &CORE(pod_spec), "terminationGracePeriodSeconds", F_PRESENCE },
	{ &CORE(pod_spec), "activeDeadlineSeconds", F_PRESENCE },
	{ &CORE(pod_spec), "automountServiceAccountToken", F_PRESENCE },
	{ &CORE(pod_spec), "shareProcessNamespace", F_PRESENCE },
	{ &CORE(pod_spec), "enableServiceLinks", F_PRESENCE },
	{ &RBAC(cluster_role), "aggregationRule", F_PRESENCE },
};

struct kind_rule {
	const char *api_version;
	const char *kind;
	const ProtobufCMessageDescriptor *desc;
};

static const struct kind_rule kind_rules[] = {
	{ "authentication.k8s.io/v1", "TokenRequest", &AUTHN(token_request) },
	{ "authentication.k8s.io/v1", "TokenReview", &AUTHN(token_review) },
	{ "authentication.k8s.io/v1", "SelfSubjectReview",
	  &AUTHN(self_subject_review) },
	{ "authorization.k8s.io/v1", "SelfSubjectAccessReview",
	  &AUTHZ(self_subject_access_review) },
	{ "authorization.k8s.io/v1", "SubjectAccessReview",
	  &AUTHZ(subject_access_review) },
	{ "authorization.k8s.io/v1", "LocalSubjectAccessReview",
	  &AUTHZ(local_subject_access_review) },
	{ "authorization.k8s.io/v1", "SelfSubjectRulesReview",
	  &AUTHZ(self_subject_rules_review) },
	{ "v1", "ServiceAccount", &CORE(service_account) },
	{ "v1", "Namespace", &CORE(namespace) },
	{ "v1", "Secret", &CORE(secret) },
	{ "v1", "ConfigMap", &CORE(config_map) },
	{ "v1", "Pod", &CORE(pod) },
	{ "rbac.authorization.k8s.io/v1", "Role", &RBAC(role) },
	{ "rbac.authorization.k8s.io/v1", "ClusterRole", &RBAC(cluster_role) },
	{ "rbac.authorization.k8s.io/v1", "RoleBinding", &RBAC(role_binding) },
	{ "rbac.authorization.k8s.io/v1", "ClusterRoleBinding",
	  &RBAC(cluster_role_binding) },
	/* client-go encodes DeleteOptions in the group version it talks to. */
	{ "v1", "DeleteOptions", &META(delete_options) },
	{ "meta.k8s.io/v1", "DeleteOptions", &META(delete_options) },
	{ "authentication.k8s.io/v1", "DeleteOptions", &META(delete_options) },
	{ "authorization.k8s.io/v1", "DeleteOptions", &META(delete_options) },
	{ "rbac.authorization.k8s.io/v1", "DeleteOptions",
	  &META(delete_options) },
};

/* State shared by both passes over one body. */
struct walk {
	const uint8_t *body; /* start of the whole body, for offsets */
	const char *kind;    /* for messages; "envelope" before we know */
	struct mapi_diag *diag;
	size_t fields;           /* fields seen in the whole body */
	size_t raw_off, raw_len; /* runtime.Unknown.raw, found by the scan */
	bool have_raw;
	size_t path_len;
	char path[128]; /* "spec.boundObjectRef.name" */
};

static enum mapi_err walk_fail(struct walk *w, enum mapi_err err,
                               const uint8_t *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum mapi_err
walk_fail(struct walk *w, enum mapi_err err, const uint8_t *at, const char *fmt,
          ...)
{
	char text[384];
	va_list ap;

	if (w->diag == NULL) {
		return err;
	}
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (w->path_len > 0) {
		mapi_diag_set(w->diag, "protobuf %s: %s: %s", w->kind, w->path,
		              text);
		snprintf(w->diag->field, sizeof(w->diag->field), "%.127s",
		         w->path);
	} else {
		mapi_diag_set(w->diag, "protobuf %s: %s", w->kind, text);
	}
	if (at != NULL) {
		w->diag->offset = (size_t)(at - w->body);
	}
	return err;
}

/* Appends ".name" to the path; returns the length to restore. */
static size_t
path_push(struct walk *w, const char *name)
{
	size_t saved = w->path_len;
	int n = snprintf(w->path + w->path_len, sizeof(w->path) - w->path_len,
	                 "%s%s", w->path_len > 0 ? "." : "", name);

	if (n > 0) {
		w->path_len += (size_t)n;
		if (w->path_len >= sizeof(w->path)) {
			w->path_len = sizeof(w->path) - 1;
		}
	}
	return saved;
}

static void
path_pop(struct walk *w, size_t saved)
{
	w->path_len = saved;
	w->path[saved] = '\0';
}

static unsigned
field_flags(const ProtobufCMessageDescriptor *desc,
            const ProtobufCFieldDescriptor *field)
{
	for (size_t i = 0; i < sizeof(field_rules) / sizeof(field_rules[0]);
	     i++) {
		if (field_rules[i].desc == desc &&
		    strcmp(field_rules[i].name, field->name) == 0) {
			return field_rules[i].flags;
		}
	}
	return 0;
}

/*
 * The protoc-generated entry type of a map<K, V> field: "XxxEntry" with
 * key = 1 and value = 2.
 */
static bool
is_map_entry(const ProtobufCMessageDescriptor *desc)
{
	size_t n = strlen(desc->short_name);

	return desc->n_fields == 2 && n > 5 &&
	       strcmp(desc->short_name + n - 5, "Entry") == 0 &&
	       desc->fields[0].id == 1 &&
	       strcmp(desc->fields[0].name, "key") == 0 &&
	       desc->fields[1].id == 2 &&
	       strcmp(desc->fields[1].name, "value") == 0;
}

/* ---- pass 1: the wire ---- */

static bool
read_varint(const uint8_t *p, size_t len, size_t *off, uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 10; i++) {
		if (*off >= len) {
			return false;
		}
		uint8_t b = p[(*off)++];
		if (i == 9 && b > 1) {
			return false; /* more than 64 bits */
		}
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0) {
			*out = v;
			return true;
		}
	}
	return false;
}

static unsigned
wire_type_of(ProtobufCType type)
{
	switch (type) {
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 1;
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return 5;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return 2;
	default:
		return 0;
	}
}

/* Strict UTF-8 (no overlongs, surrogates or > U+10FFFF) without NUL. */
static bool
utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		size_t extra;
		uint32_t cp;
		uint32_t min;

		if (c == 0) {
			return false;
		}
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			extra = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			extra = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			extra = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i <= extra) {
			return false;
		}
		for (size_t k = 1; k <= extra; k++) {
			if ((s[i + k] & 0xc0) != 0x80) {
				return false;
			}
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			return false;
		}
		i += extra + 1;
	}
	return true;
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != 0) {
			return false;
		}
	}
	return true;
}

static enum mapi_err scan_message(struct walk *w,
                                  const ProtobufCMessageDescriptor *desc,
                                  const uint8_t *p, size_t len, int depth);

/* A length-delimited value of a known field: recurse, check UTF-8, count. */
static enum mapi_err
scan_delimited(struct walk *w, const ProtobufCFieldDescriptor *field,
               const uint8_t *at, const uint8_t *val, size_t n, int depth,
               uint32_t *count)
{
	switch (field->type) {
	case PROTOBUF_C_TYPE_STRING:
		if (!utf8_ok(val, n)) {
			return walk_fail(
				w, MAPI_EINVAL, at,
				"string is not valid UTF-8 or holds NUL");
		}
		return MAPI_OK;
	case PROTOBUF_C_TYPE_MESSAGE:
		return scan_message(w, field->descriptor, val, n, depth + 1);
	case PROTOBUF_C_TYPE_BYTES:
		return MAPI_OK;
	default:
		break;
	}
	/* A packed repeated scalar: every element counts. */
	size_t off = 0;
	uint64_t v;
	unsigned wt = wire_type_of(field->type);
	size_t width = wt == 1 ? 8 : 4;

	while (off < n) {
		if (wt == 0) {
			if (!read_varint(val, n, &off, &v)) {
				return walk_fail(w, MAPI_EINVAL, at,
				                 "truncated packed varint");
			}
		} else if (n - off < width) {
			return walk_fail(w, MAPI_EINVAL, at,
			                 "truncated packed value");
		} else {
			off += width;
		}
		if (++*count > MAPI_PROTO_MAX_ELEMS) {
			return walk_fail(w, MAPI_ETOOLARGE, at,
			                 "more than %u elements",
			                 MAPI_PROTO_MAX_ELEMS);
		}
	}
	return MAPI_OK;
}

/* One field's payload after its tag: where it is and whether it is empty. */
struct wire_value {
	unsigned wt;
	const uint8_t *data; /* wire types 1, 2, 5 */
	size_t len;
	uint64_t varint; /* wire type 0 */
};

static bool
read_value(const uint8_t *p, size_t len, size_t *off, unsigned wt,
           struct wire_value *v)
{
	uint64_t n;

	v->wt = wt;
	v->varint = 0;
	switch (wt) {
	case 0:
		v->data = NULL;
		v->len = 0;
		return read_varint(p, len, off, &v->varint);
	case 1:
	case 5:
		n = wt == 1 ? 8 : 4;
		break;
	case 2:
		if (!read_varint(p, len, off, &n)) {
			return false;
		}
		break;
	default:
		return false;
	}
	if (n > len - *off) {
		return false;
	}
	v->data = p + *off;
	v->len = (size_t)n;
	*off += (size_t)n;
	return true;
}

static bool
value_empty(const struct wire_value *v)
{
	switch (v->wt) {
	case 0:
		return v->varint == 0;
	case 2:
		return v->len == 0;
	default:
		return all_zero(v->data, v->len);
	}
}

static enum mapi_err
scan_field(struct walk *w, const ProtobufCMessageDescriptor *desc,
           const ProtobufCFieldDescriptor *field, const uint8_t *at,
           const struct wire_value *v, int depth, uint32_t *counts)
{
	unsigned want = wire_type_of(field->type);
	bool repeated = field->label == PROTOBUF_C_LABEL_REPEATED;
	bool packed = repeated && v->wt == 2 && want != 2;
	uint32_t *count = &counts[field - desc->fields];

	if (v->wt != want && !packed) {
		return walk_fail(w, MAPI_EINVAL, at,
		                 "wire type %u where %u was expected", v->wt,
		                 want);
	}
	if (repeated && !packed && ++*count > MAPI_PROTO_MAX_ELEMS) {
		return walk_fail(w, MAPI_ETOOLARGE, at, "more than %u elements",
		                 MAPI_PROTO_MAX_ELEMS);
	}
	if (v->wt != 2) {
		return MAPI_OK;
	}
	return scan_delimited(w, field, at, v->data, v->len, depth, count);
}

static enum mapi_err
scan_message(struct walk *w, const ProtobufCMessageDescriptor *desc,
             const uint8_t *p, size_t len, int depth)
{
	uint32_t counts[MAX_DESC_FIELDS] = { 0 };
	size_t off = 0;

	if (depth > MAPI_PROTO_MAX_DEPTH) {
		return walk_fail(w, MAPI_ETOOLARGE, p,
		                 "messages nested deeper than %d",
		                 MAPI_PROTO_MAX_DEPTH);
	}
	if (desc->n_fields > MAX_DESC_FIELDS) {
		return walk_fail(w, MAPI_EINTERNAL, p,
		                 "schema message %s has too many fields",
		                 desc->name);
	}
	while (off < len) {
		const uint8_t *at = p + off;
		uint64_t tag;
		struct wire_value v;
		enum mapi_err err;

		if (!read_varint(p, len, &off, &tag)) {
			return walk_fail(w, MAPI_EINVAL, at,
			                 "truncated field tag");
		}
		if ((tag >> 3) == 0 || (tag >> 3) > MAX_FIELD_NUMBER) {
			return walk_fail(w, MAPI_EINVAL, at,
			                 "invalid field number %llu",
			                 (unsigned long long)(tag >> 3));
		}
		unsigned num = (unsigned)(tag >> 3);
		unsigned wt = (unsigned)(tag & 7);
		if (wt != 0 && wt != 1 && wt != 2 && wt != 5) {
			return walk_fail(w, MAPI_EINVAL, at,
			                 "field %u: unsupported wire type %u",
			                 num, wt);
		}
		if (!read_value(p, len, &off, wt, &v)) {
			return walk_fail(w, MAPI_EINVAL, at,
			                 "field %u: truncated value", num);
		}
		if (++w->fields > MAPI_PROTO_MAX_FIELDS) {
			return walk_fail(w, MAPI_ETOOLARGE, at,
			                 "more than %u fields in the body",
			                 MAPI_PROTO_MAX_FIELDS);
		}
		if (desc == &k8s__io__apimachinery__pkg__runtime__unknown__descriptor &&
		    num == UNKNOWN_RAW_FIELD && wt == 2) {
			w->have_raw = true;
			w->raw_off = (size_t)(v.data - w->body);
			w->raw_len = v.len;
		}
		const ProtobufCFieldDescriptor *field =
			protobuf_c_message_descriptor_get_field(desc, num);
		if (field == NULL) {
			if (value_empty(&v)) {
				continue; /* Go's zero value: carries nothing */
			}
			return walk_fail(w, MAPI_EMEDIATYPE, at,
			                 "field %u of %s is not supported by "
			                 "mockapi; send JSON instead",
			                 num, desc->short_name);
		}
		size_t saved = path_push(w, field->name);
		err = scan_field(w, desc, field, at, &v, depth, counts);
		if (err != MAPI_OK) {
			return err; /* the path stays for the caller's diag */
		}
		path_pop(w, saved);
	}
	return MAPI_OK;
}

/* ---- pass 2: unpacked message -> cJSON ---- */

static enum mapi_err conv_fields(struct walk *w, const ProtobufCMessage *m,
                                 cJSON *obj);

static char *
base64_std(const uint8_t *p, size_t n)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	char *o = out;
	size_t i = 0;

	if (out == NULL) {
		return NULL;
	}
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
		             p[i + 2];
		*o++ = tbl[v >> 18];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = tbl[(v >> 6) & 63];
		*o++ = tbl[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n) {
			v |= (uint32_t)p[i + 1] << 8;
		}
		*o++ = tbl[v >> 18];
		*o++ = tbl[(v >> 12) & 63];
		if (i + 1 < n) {
			*o++ = tbl[(v >> 6) & 63];
		} else {
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static enum mapi_err
new_item(cJSON *item, cJSON **out)
{
	if (item == NULL) {
		return MAPI_ENOMEM;
	}
	*out = item;
	return MAPI_OK;
}

static enum mapi_err
json_int(struct walk *w, int64_t v, cJSON **out)
{
	if (v > MAX_JSON_INT || v < -MAX_JSON_INT) {
		return walk_fail(w, MAPI_EINVAL, NULL,
		                 "integer %lld does not fit a JSON number "
		                 "exactly",
		                 (long long)v);
	}
	return new_item(cJSON_CreateNumber((double)v), out);
}

/* metav1.Time: RFC 3339 UTC with second precision, as Go marshals it. */
static enum mapi_err
special_time(struct walk *w, const ProtobufCMessage *m, bool keep, cJSON **out)
{
	const K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__Time *t =
		(const void *)m;
	int64_t s = t->has_seconds ? t->seconds : 0;
	struct tm tm;
	char buf[64];

	if (s == 0) {
		*out = NULL; /* the zero Time is null in JSON */
		return MAPI_OK;
	}
	/* 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z */
	if (s < INT64_C(-62135596800) || s > INT64_C(253402300799)) {
		return walk_fail(w, MAPI_EINVAL, NULL,
		                 "time %lld is outside years 1-9999",
		                 (long long)s);
	}
	time_t tt = (time_t)s;
	if (gmtime_r(&tt, &tm) == NULL) {
		return walk_fail(w, MAPI_EINVAL, NULL, "time out of range");
	}
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec);
	(void)keep;
	return new_item(cJSON_CreateString(buf), out);
}

/* resource.Quantity: its canonical string. */
static enum mapi_err
special_quantity(struct walk *w, const ProtobufCMessage *m, bool keep,
                 cJSON **out)
{
	const K8s__Io__Apimachinery__Pkg__Api__Resource__Quantity *q =
		(const void *)m;
	const char *s = q->string != NULL ? q->string : "";

	(void)w;
	if (*s == '\0' && !keep) {
		*out = NULL;
		return MAPI_OK;
	}
	return new_item(cJSON_CreateString(s), out);
}

/* ExtraValue (authentication and authorization): a plain []string. */
static enum mapi_err
special_extra(struct walk *w, const ProtobufCMessage *m, bool keep, cJSON **out)
{
	/* Both generated ExtraValue structs have this layout. */
	const K8s__Io__Api__Authentication__V1__ExtraValue *e = (const void *)m;
	cJSON *arr = cJSON_CreateArray();

	(void)w;
	(void)keep;
	if (arr == NULL) {
		return MAPI_ENOMEM;
	}
	for (size_t i = 0; i < e->n_items; i++) {
		cJSON *s = cJSON_CreateString(e->items[i] ? e->items[i] : "");
		if (s == NULL || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			cJSON_Delete(arr);
			return MAPI_ENOMEM;
		}
	}
	*out = arr;
	return MAPI_OK;
}

struct special_rule {
	const ProtobufCMessageDescriptor *desc;
	enum mapi_err (*conv)(struct walk *w, const ProtobufCMessage *m,
	                      bool keep, cJSON **out);
};

static const struct special_rule special_rules[] = {
	{ &META(time), special_time },
	{ &k8s__io__apimachinery__pkg__api__resource__quantity__descriptor,
	  special_quantity },
	{ &AUTHN(extra_value), special_extra },
	{ &AUTHZ(extra_value), special_extra },
};

/*
 * A message value. *out is NULL for "absent": a special type's zero value,
 * or {} unless keep (a Go pointer, a list element or a map value).
 */
static enum mapi_err
conv_message(struct walk *w, const ProtobufCMessage *m, bool keep, cJSON **out)
{
	cJSON *obj;
	enum mapi_err err;

	for (size_t i = 0; i < sizeof(special_rules) / sizeof(special_rules[0]);
	     i++) {
		if (special_rules[i].desc == m->descriptor) {
			return special_rules[i].conv(w, m, keep, out);
		}
	}
	obj = cJSON_CreateObject();
	if (obj == NULL) {
		return MAPI_ENOMEM;
	}
	err = conv_fields(w, m, obj);
	if (err != MAPI_OK) {
		cJSON_Delete(obj);
		return err;
	}
	if (obj->child == NULL && !keep) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	*out = obj;
	return MAPI_OK;
}

/*
 * One value of a field, stored at ptr (a char *, ProtobufCMessage *,
 * ProtobufCBinaryData or scalar). *out NULL means "omit": zero values are
 * omitted unless keep.
 */
static enum mapi_err
conv_value(struct walk *w, const ProtobufCFieldDescriptor *f, const void *ptr,
           bool keep, cJSON **out)
{
	int64_t i64 = 0;

	*out = NULL;
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)ptr;
		if (s == NULL) {
			s = "";
		}
		if (*s == '\0' && !keep) {
			return MAPI_OK;
		}
		return new_item(cJSON_CreateString(s), out);
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *bd = ptr;
		if (bd->len == 0 && !keep) {
			return MAPI_OK;
		}
		char *b64 = base64_std(bd->data, bd->len);
		if (b64 == NULL) {
			return MAPI_ENOMEM;
		}
		enum mapi_err err = new_item(cJSON_CreateString(b64), out);
		free(b64);
		return err;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)ptr;
		if (sub == NULL) {
			return MAPI_OK;
		}
		return conv_message(w, sub, keep, out);
	}
	case PROTOBUF_C_TYPE_BOOL: {
		protobuf_c_boolean b = *(const protobuf_c_boolean *)ptr;
		if (!b && !keep) {
			return MAPI_OK;
		}
		return new_item(cJSON_CreateBool(b), out);
	}
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		i64 = *(const int32_t *)ptr;
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		i64 = *(const uint32_t *)ptr;
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		i64 = *(const int64_t *)ptr;
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: {
		uint64_t u = *(const uint64_t *)ptr;
		if (u > (uint64_t)MAX_JSON_INT) {
			return walk_fail(w, MAPI_EINVAL, NULL,
			                 "integer %llu does not fit a JSON "
			                 "number exactly",
			                 (unsigned long long)u);
		}
		i64 = (int64_t)u;
		break;
	}
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
	default:
		return walk_fail(w, MAPI_EINTERNAL, NULL,
		                 "schema uses an unsupported field type");
	}
	if (i64 == 0 && !keep) {
		return MAPI_OK;
	}
	return json_int(w, i64, out);
}

static size_t
elem_size(ProtobufCType type)
{
	switch (type) {
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	default:
		return 4;
	}
}

/* map<K, V>: the entries become one JSON object; a later key wins. */
static enum mapi_err
conv_map(struct walk *w, const ProtobufCMessage *const *entries, size_t n,
         cJSON **out)
{
	cJSON *obj = cJSON_CreateObject();
	enum mapi_err err = MAPI_OK;

	if (obj == NULL) {
		return MAPI_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const ProtobufCMessage *e = entries[i];
		const ProtobufCFieldDescriptor *kf = &e->descriptor->fields[0];
		const ProtobufCFieldDescriptor *vf = &e->descriptor->fields[1];
		const char *key =
			*(char *const *)((const char *)e + kf->offset);
		cJSON *val = NULL;

		err = conv_value(w, vf, (const char *)e + vf->offset, true,
		                 &val);
		if (err != MAPI_OK) {
			goto out;
		}
		if (val == NULL) {
			err = walk_fail(w, MAPI_EINVAL, NULL,
			                "map entry without a value");
			goto out;
		}
		key = key != NULL ? key : "";
		if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL) {
			cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
		}
		if (!cJSON_AddItemToObject(obj, key, val)) {
			cJSON_Delete(val);
			err = MAPI_ENOMEM;
			goto out;
		}
	}
	*out = obj;
	obj = NULL;
out:
	cJSON_Delete(obj);
	return err;
}

static enum mapi_err
conv_repeated(struct walk *w, const ProtobufCFieldDescriptor *f,
              const void *member, size_t n, cJSON **out)
{
	const char *arr = *(const char *const *)member;
	cJSON *list;
	enum mapi_err err = MAPI_OK;

	*out = NULL;
	if (n == 0) {
		return MAPI_OK;
	}
	if (f->type == PROTOBUF_C_TYPE_MESSAGE && is_map_entry(f->descriptor)) {
		return conv_map(w, (const ProtobufCMessage *const *)arr, n,
		                out);
	}
	list = cJSON_CreateArray();
	if (list == NULL) {
		return MAPI_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		cJSON *item = NULL;

		err = conv_value(w, f, arr + i * elem_size(f->type), true,
		                 &item);
		if (err != MAPI_OK) {
			goto out;
		}
		if (item == NULL) { /* a NULL message element */
			item = cJSON_CreateObject();
		}
		if (item == NULL || !cJSON_AddItemToArray(list, item)) {
			cJSON_Delete(item);
			err = MAPI_ENOMEM;
			goto out;
		}
	}
	*out = list;
	list = NULL;
out:
	cJSON_Delete(list);
	return err;
}

/* Adds m's fields to obj, in field-number order. */
static enum mapi_err
conv_fields(struct walk *w, const ProtobufCMessage *m, cJSON *obj)
{
	const ProtobufCMessageDescriptor *desc = m->descriptor;
	const char *base = (const char *)m;

	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &desc->fields[i];
		unsigned flags = field_flags(desc, f);
		const void *member = base + f->offset;
		cJSON *item = NULL;
		enum mapi_err err = MAPI_OK;

		if (flags & F_DROP) {
			continue;
		}
		size_t saved = path_push(w, f->name);
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n =
				*(const size_t *)(base + f->quantifier_offset);
			err = conv_repeated(w, f, member, n, &item);
		} else if (f->type == PROTOBUF_C_TYPE_STRING ||
		           f->type == PROTOBUF_C_TYPE_MESSAGE) {
			/* proto2 optional: a NULL pointer when absent */
			if (*(void *const *)member != NULL) {
				err = conv_value(w, f, member,
				                 (flags & F_PRESENCE) != 0,
				                 &item);
			}
		} else if (*(const protobuf_c_boolean
		                     *)(base + f->quantifier_offset)) {
			err = conv_value(w, f, member,
			                 (flags & F_PRESENCE) != 0, &item);
		}
		if (err != MAPI_OK) {
			return err; /* the path stays for the diag */
		}
		path_pop(w, saved);
		if (item != NULL &&
		    !cJSON_AddItemToObject(obj, f->name, item)) {
			cJSON_Delete(item);
			return MAPI_ENOMEM;
		}
	}
	return MAPI_OK;
}

/* ---- the envelope ---- */

static const struct kind_rule *
find_kind(const char *api_version, const char *kind)
{
	for (size_t i = 0; i < sizeof(kind_rules) / sizeof(kind_rules[0]);
	     i++) {
		if (strcmp(kind_rules[i].api_version, api_version) == 0 &&
		    strcmp(kind_rules[i].kind, kind) == 0) {
			return &kind_rules[i];
		}
	}
	return NULL;
}

static enum mapi_err
decode_object(struct walk *w, const struct kind_rule *rule,
              const char *api_version, cJSON **out_obj)
{
	const uint8_t *raw = w->body + w->raw_off;
	size_t raw_len = w->have_raw ? w->raw_len : 0;
	ProtobufCMessage *msg = NULL;
	cJSON *obj = NULL;
	enum mapi_err err;

	w->kind = rule->kind;
	w->fields = 0;
	err = scan_message(w, rule->desc, raw, raw_len, 0);
	if (err != MAPI_OK) {
		goto out;
	}
	msg = protobuf_c_message_unpack(rule->desc, NULL, raw_len, raw);
	if (msg == NULL) {
		err = walk_fail(w, MAPI_EINVAL, raw,
		                "protobuf-c could not unpack the object");
		goto out;
	}
	obj = cJSON_CreateObject();
	if (obj == NULL ||
	    cJSON_AddStringToObject(obj, "apiVersion", api_version) == NULL ||
	    cJSON_AddStringToObject(obj, "kind", rule->kind) == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	err = conv_fields(w, msg, obj);
	if (err != MAPI_OK) {
		goto out;
	}
	*out_obj = obj;
	obj = NULL;
out:
	cJSON_Delete(obj);
	if (msg != NULL) {
		protobuf_c_message_free_unpacked(msg, NULL);
	}
	return err;
}

enum mapi_err
mapi_proto_decode(const void *body, size_t len, struct cJSON **out_obj,
                  struct mapi_diag *diag)
{
	struct walk w = { .body = body, .kind = "envelope", .diag = diag };
	K8s__Io__Apimachinery__Pkg__Runtime__Unknown *env = NULL;
	const struct kind_rule *rule;
	const char *api_version = "";
	const char *kind = "";
	enum mapi_err err;

	if (len > MAPI_PROTO_MAX_BODY) {
		return walk_fail(&w, MAPI_ETOOLARGE, NULL,
		                 "body of %zu bytes is over the limit of %zu",
		                 len, MAPI_PROTO_MAX_BODY);
	}
	if (len < MAGIC_LEN || memcmp(body, magic, MAGIC_LEN) != 0) {
		return walk_fail(&w, MAPI_EINVAL, NULL,
		                 "body does not start with the magic "
		                 "6b 38 73 00 (\"k8s\\0\")");
	}
	const uint8_t *p = (const uint8_t *)body + MAGIC_LEN;
	size_t n = len - MAGIC_LEN;

	err = scan_message(
		&w, &k8s__io__apimachinery__pkg__runtime__unknown__descriptor,
		p, n, 0);
	if (err != MAPI_OK) {
		goto out;
	}
	env = k8s__io__apimachinery__pkg__runtime__unknown__unpack(NULL, n, p);
	if (env == NULL) {
		err = walk_fail(&w, MAPI_EINVAL, p,
		                "protobuf-c could not unpack the envelope");
		goto out;
	}
	path_pop(&w, 0);
	if (env->typemeta != NULL) {
		if (env->typemeta->apiversion != NULL) {
			api_version = env->typemeta->apiversion;
		}
		if (env->typemeta->kind != NULL) {
			kind = env->typemeta->kind;
		}
	}
	if (env->contentencoding != NULL && *env->contentencoding != '\0') {
		err = walk_fail(&w, MAPI_EMEDIATYPE, NULL,
		                "unsupported contentEncoding \"%.64s\"",
		                env->contentencoding);
		goto out;
	}
	if (env->contenttype != NULL && *env->contenttype != '\0' &&
	    !mapi_proto_is_content_type(env->contenttype)) {
		err = walk_fail(&w, MAPI_EMEDIATYPE, NULL,
		                "unsupported contentType \"%.64s\"",
		                env->contenttype);
		goto out;
	}
	rule = find_kind(api_version, kind);
	if (rule == NULL) {
		err = walk_fail(&w, MAPI_EMEDIATYPE, NULL,
		                "mockapi cannot decode kind \"%.64s\" of "
		                "apiVersion \"%.64s\" from protobuf; send JSON",
		                kind, api_version);
		goto out;
	}
	err = decode_object(&w, rule, api_version, out_obj);
out:
	if (env != NULL) {
		k8s__io__apimachinery__pkg__runtime__unknown__free_unpacked(
			env, NULL);
	}
	return err;
}

bool
mapi_proto_is_content_type(const char *content_type)
{
	static const char want[] = MAPI_PROTO_CONTENT_TYPE;
	const char *s = content_type;
	size_t n;

	if (s == NULL) {
		return false;
	}
	while (*s == ' ' || *s == '\t') {
		s++;
	}
	n = strcspn(s, ";");
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
		n--;
	}
	return n == sizeof(want) - 1 && strncasecmp(s, want, n) == 0;
}
