/* SPDX-License-Identifier: MIT */
#include "api/validate.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#define LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define SUBDOMAIN_FMT LABEL_FMT "(\\." LABEL_FMT ")*"
#define SUBDOMAIN_MSG                                                        \
	"a lowercase RFC 1123 subdomain must consist of lower case "         \
	"alphanumeric characters, '-' or '.', and must start and end with " \
	"an alphanumeric character (e.g. 'example.com', regex used for "     \
	"validation is '" SUBDOMAIN_FMT "')"
#define LABEL_MSG                                                          \
	"a lowercase RFC 1123 label must consist of lower case alphanumeric " \
	"characters or '-', and must start and end with an alphanumeric "     \
	"character (e.g. 'my-name',  or '123-abc', regex used for "           \
	"validation is '" LABEL_FMT "')"
#define QNAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define QNAME_MSG                                                           \
	"name part must consist of alphanumeric characters, '-', '_' or '.', " \
	"and must start and end with an alphanumeric character (e.g. "         \
	"'MyName',  or 'my.name',  or '123-abc', regex used for validation "   \
	"is '" QNAME_FMT "')"
#define LVALUE_MSG                                                           \
	"a valid label must be an empty string or consist of alphanumeric "  \
	"characters, '-', '_' or '.', and must start and end with an "        \
	"alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "       \
	"'12345', regex used for validation is '(" QNAME_FMT ")?')"

static void
copy(char *dst, size_t len, const char *src)
{
	(void)snprintf(dst, len, "%s", src ? src : "");
}

void
mapi_field_errors_add(struct mapi_field_errors *errs,
                      enum mapi_field_err_type type, const char *field,
                      const char *str_value, const char *detail)
{
	struct mapi_verr *e;

	if (errs->n >= MAPI_FIELD_ERRORS_MAX) {
		return;
	}
	e = &errs->e[errs->n++];
	memset(e, 0, sizeof(*e));
	e->type = type;
	copy(e->field, sizeof(e->field), field);
	if (str_value != NULL) {
		copy(e->value, sizeof(e->value), str_value);
		e->has_value = true;
		e->value_is_string = true;
	}
	copy(e->detail, sizeof(e->detail), detail);
}

void
mapi_field_errors_add_int(struct mapi_field_errors *errs,
                          enum mapi_field_err_type type, const char *field,
                          long long value, const char *detail)
{
	struct mapi_verr *e;

	if (errs->n >= MAPI_FIELD_ERRORS_MAX) {
		return;
	}
	mapi_field_errors_add(errs, type, field, NULL, detail);
	e = &errs->e[errs->n - 1];
	(void)snprintf(e->value, sizeof(e->value), "%lld", value);
	e->has_value = true;
}

size_t
mapi_field_errors_view(const struct mapi_field_errors *errs,
                       struct mapi_field_error *out)
{
	size_t i;

	for (i = 0; i < errs->n; i++) {
		const struct mapi_verr *e = &errs->e[i];

		out[i] = (struct mapi_field_error){
			.type = e->type,
			.field = e->field,
			.bad_value = e->has_value ? e->value : NULL,
			.value_is_string = e->value_is_string,
			.detail = e->detail[0] ? e->detail : NULL,
		};
	}
	return errs->n;
}

enum mapi_name_rule
mapi_name_rule_for(const char *group, const char *resource)
{
	if (group != NULL && strcmp(group, "rbac.authorization.k8s.io") == 0) {
		return MAPI_NAME_PATH_SEGMENT;
	}
	if (resource != NULL && strcmp(resource, "namespaces") == 0) {
		return MAPI_NAME_LABEL;
	}
	return MAPI_NAME_SUBDOMAIN;
}

static bool
is_alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
is_label(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !is_alnum_lower(s[0]) || !is_alnum_lower(s[n - 1])) {
		return false;
	}
	for (i = 0; i < n; i++) {
		if (!is_alnum_lower(s[i]) && s[i] != '-') {
			return false;
		}
	}
	return true;
}

static bool
is_subdomain(const char *s)
{
	const char *p = s;

	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (!is_label(p, n)) {
			return false;
		}
		if (dot == NULL) {
			return true;
		}
		p = dot + 1;
	}
}

size_t
mapi_validate_name(const char *name, enum mapi_name_rule rule,
                   const char *field, struct mapi_field_errors *errs)
{
	size_t before = errs->n;
	size_t n = strlen(name);

	switch (rule) {
	case MAPI_NAME_LABEL:
		if (n > 63) {
			mapi_field_errors_add(errs, MAPI_FIELD_INVALID, field, name,
			                      "must be no more than 63 characters");
		}
		if (!is_label(name, n)) {
			mapi_field_errors_add(errs, MAPI_FIELD_INVALID, field, name,
			                      is_subdomain(name)
			                              ? "must not contain dots"
			                              : LABEL_MSG);
		}
		break;
	case MAPI_NAME_PATH_SEGMENT:
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
			mapi_field_errors_add(errs, MAPI_FIELD_INVALID, field, name,
			                      strcmp(name, ".") == 0
			                              ? "may not be '.'"
			                              : "may not be '..'");
		}
		if (strchr(name, '/') != NULL) {
			mapi_field_errors_add(errs, MAPI_FIELD_INVALID, field, name,
			                      "may not contain '/'");
		}
		if (strchr(name, '%') != NULL) {
			mapi_field_errors_add(errs, MAPI_FIELD_INVALID, field, name,
			                      "may not contain '%'");
		}
		break;
	case MAPI_NAME_SUBDOMAIN:
	default:
		if (n > 253) {
			mapi_field_errors_add(errs, MAPI_FIELD_INVALID, field, name,
			                      "must be no more than 253 characters");
		}
		if (!is_subdomain(name)) {
			mapi_field_errors_add(errs, MAPI_FIELD_INVALID, field, name,
			                      SUBDOMAIN_MSG);
		}
		break;
	}
	return errs->n - before;
}

static bool
is_qname_part(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 63) {
		return false;
	}
	for (i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		             (c >= '0' && c <= '9');

		if (!alnum && ((i == 0 || i == n - 1) ||
		               (c != '-' && c != '_' && c != '.'))) {
			return false;
		}
	}
	return true;
}

static void
validate_labels(const cJSON *labels, struct mapi_field_errors *errs)
{
	const cJSON *l;

	if (labels == NULL || cJSON_IsNull(labels)) {
		return;
	}
	if (!cJSON_IsObject(labels)) {
		/* An array's elements have no key (l->string is NULL). */
		mapi_field_errors_add(errs, MAPI_FIELD_INVALID,
		                      "metadata.labels", NULL,
		                      "must be a map of string keys to string "
		                      "values");
		return;
	}
	cJSON_ArrayForEach(l, labels) {
		const char *key = l->string;
		const char *slash = strrchr(key, '/');
		const char *namepart = slash ? slash + 1 : key;

		if (slash != NULL) {
			char prefix[256];
			size_t pn = (size_t)(slash - key);

			if (pn == 0 || pn >= sizeof(prefix)) {
				mapi_field_errors_add(errs, MAPI_FIELD_INVALID,
				                      "metadata.labels", key,
				                      "prefix part must be non-empty");
			} else {
				memcpy(prefix, key, pn);
				prefix[pn] = '\0';
				if (!is_subdomain(prefix)) {
					mapi_field_errors_add(
						errs, MAPI_FIELD_INVALID,
						"metadata.labels", key,
						"prefix part " SUBDOMAIN_MSG);
				}
			}
		}
		if (!is_qname_part(namepart, strlen(namepart))) {
			mapi_field_errors_add(errs, MAPI_FIELD_INVALID,
			                      "metadata.labels", key,
			                      strlen(namepart) > 63
			                              ? "name part must be no more "
			                                "than 63 characters"
			                              : QNAME_MSG);
		}
		if (!cJSON_IsString(l) ||
		    (*l->valuestring != '\0' &&
		     !is_qname_part(l->valuestring, strlen(l->valuestring)))) {
			mapi_field_errors_add(errs, MAPI_FIELD_INVALID,
			                      "metadata.labels",
			                      cJSON_IsString(l) ? l->valuestring : "",
			                      cJSON_IsString(l) &&
			                                      strlen(l->valuestring) > 63
			                              ? "must be no more than 63 "
			                                "characters"
			                              : LVALUE_MSG);
		}
	}
}

size_t
mapi_validate_object_meta(const cJSON *obj, enum mapi_name_rule rule,
                          bool namespaced, struct mapi_field_errors *errs)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(meta, "name");
	const cJSON *gen = cJSON_GetObjectItemCaseSensitive(meta, "generateName");
	size_t before = errs->n;

	if (cJSON_IsString(name) && *name->valuestring != '\0') {
		(void)mapi_validate_name(name->valuestring, rule, "metadata.name",
		                         errs);
	} else if (!(cJSON_IsString(gen) && *gen->valuestring != '\0')) {
		mapi_field_errors_add(errs, MAPI_FIELD_REQUIRED, "metadata.name",
		                      NULL, "name or generateName is required");
	}
	(void)namespaced;
	validate_labels(cJSON_GetObjectItemCaseSensitive(meta, "labels"), errs);
	return errs->n - before;
}

static void
validate_containers(const cJSON *spec, struct mapi_field_errors *errs)
{
	const cJSON *cs = cJSON_GetObjectItemCaseSensitive(spec, "containers");
	const cJSON *c;
	int i = 0;

	if (!cJSON_IsArray(cs) || cJSON_GetArraySize(cs) == 0) {
		mapi_field_errors_add(errs, MAPI_FIELD_REQUIRED, "spec.containers",
		                      NULL, NULL);
		return;
	}
	cJSON_ArrayForEach(c, cs) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(c, "name");
		const cJSON *img = cJSON_GetObjectItemCaseSensitive(c, "image");
		char f[128];

		if (!cJSON_IsString(n) || *n->valuestring == '\0') {
			(void)snprintf(f, sizeof(f), "spec.containers[%d].name", i);
			mapi_field_errors_add(errs, MAPI_FIELD_REQUIRED, f, NULL,
			                      NULL);
		}
		if (!cJSON_IsString(img) || *img->valuestring == '\0') {
			(void)snprintf(f, sizeof(f), "spec.containers[%d].image",
			               i);
			mapi_field_errors_add(errs, MAPI_FIELD_REQUIRED, f, NULL,
			                      NULL);
		}
		i++;
	}
}

static void
validate_role_ref(const cJSON *obj, struct mapi_field_errors *errs)
{
	const cJSON *rr = cJSON_GetObjectItemCaseSensitive(obj, "roleRef");
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(rr, "kind");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(rr, "name");
	const cJSON *subjects = cJSON_GetObjectItemCaseSensitive(obj, "subjects");
	const cJSON *s;
	int i = 0;

	if (!cJSON_IsString(kind) || *kind->valuestring == '\0') {
		mapi_field_errors_add(errs, MAPI_FIELD_NOT_SUPPORTED,
		                      "roleRef.kind", "",
		                      "supported values: \"Role\", \"ClusterRole\"");
	}
	if (!cJSON_IsString(name) || *name->valuestring == '\0') {
		mapi_field_errors_add(errs, MAPI_FIELD_REQUIRED, "roleRef.name",
		                      NULL, NULL);
	}
	cJSON_ArrayForEach(s, subjects) {
		const cJSON *sn = cJSON_GetObjectItemCaseSensitive(s, "name");
		char f[64];

		if (!cJSON_IsString(sn) || *sn->valuestring == '\0') {
			(void)snprintf(f, sizeof(f), "subjects[%d].name", i);
			mapi_field_errors_add(errs, MAPI_FIELD_REQUIRED, f, NULL,
			                      NULL);
		}
		i++;
	}
}

size_t
mapi_validate_kind(const char *group, const char *resource, const cJSON *obj,
                   struct mapi_field_errors *errs)
{
	size_t before = errs->n;

	if ((group == NULL || *group == '\0') && strcmp(resource, "pods") == 0) {
		validate_containers(cJSON_GetObjectItemCaseSensitive(obj, "spec"),
		                    errs);
	} else if (group != NULL &&
	           strcmp(group, "rbac.authorization.k8s.io") == 0 &&
	           (strcmp(resource, "rolebindings") == 0 ||
	            strcmp(resource, "clusterrolebindings") == 0)) {
		validate_role_ref(obj, errs);
	}
	return errs->n - before;
}
