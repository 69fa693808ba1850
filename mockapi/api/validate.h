/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * validate: object validation with kube-apiserver's exact field-error
 * texts (k8s.io/apimachinery pkg/util/validation): object names (DNS-1123
 * subdomain / label, path segment), labels and required fields. The
 * errors go to mapi_status_invalid() (server/status.h), which words the
 * "<Kind> \"<name>\" is invalid: …" message.
 *
 * Ownership: errors are collected into a caller-provided struct
 *   mapi_field_errors (fixed capacity, no allocation); strings are copied.
 * Thread safety: pure; safe from any thread.
 * Errors: functions that check return the number of errors they added.
 */

#include <stdbool.h>
#include <stddef.h>

#include "errors.h"
#include "server/status.h"

struct cJSON;

/*
 * One collected field error; strings are copied. The value is raw text:
 * mapi_field_errors_view() hands it to status.h, which quotes strings as
 * Go's %q does and prints numbers bare.
 */
struct mapi_verr {
	enum mapi_field_err_type type;
	char field[128];  /* "metadata.name" */
	char value[320];  /* the bad value as text */
	bool has_value;
	bool value_is_string;
	char detail[512]; /* the validator's words; "" if none */
};

#define MAPI_FIELD_ERRORS_MAX 8

struct mapi_field_errors {
	size_t n;
	struct mapi_verr e[MAPI_FIELD_ERRORS_MAX];
};

/* Adds one error (dropped past MAPI_FIELD_ERRORS_MAX). NULLs allowed. */
void mapi_field_errors_add(struct mapi_field_errors *errs,
                           enum mapi_field_err_type type, const char *field,
                           const char *str_value, const char *detail);

/* As _add, with a numeric value (printed bare: 60, not "60"). */
void mapi_field_errors_add_int(struct mapi_field_errors *errs,
                               enum mapi_field_err_type type,
                               const char *field, long long value,
                               const char *detail);

/*
 * Fills out[0..n) (room for MAPI_FIELD_ERRORS_MAX) with views of errs for
 * mapi_status_invalid(); the views borrow from errs. Returns n.
 */
size_t mapi_field_errors_view(const struct mapi_field_errors *errs,
                              struct mapi_field_error *out);

/* Name rules per resource, as kube-apiserver's registries apply them. */
enum mapi_name_rule {
	MAPI_NAME_SUBDOMAIN = 1, /* pods, serviceaccounts, secrets, nodes, … */
	MAPI_NAME_LABEL,         /* namespaces */
	MAPI_NAME_PATH_SEGMENT,  /* RBAC objects */
};

/* The rule for group/resource (subdomain when not listed). */
enum mapi_name_rule mapi_name_rule_for(const char *group, const char *resource);

/*
 * Checks name against rule, adding one error per failed check at `field`
 * (e.g. "metadata.name"). Returns the number of errors added.
 */
size_t mapi_validate_name(const char *name, enum mapi_name_rule rule,
                          const char *field, struct mapi_field_errors *errs);

/*
 * ObjectMeta checks on create: name or generateName present
 * ("metadata.name: Required value: name or generateName is required"),
 * the name rule, namespace presence for namespaced kinds, label keys and
 * values. Returns the number of errors added.
 */
size_t mapi_validate_object_meta(const struct cJSON *obj,
                                 enum mapi_name_rule rule, bool namespaced,
                                 struct mapi_field_errors *errs);

/*
 * Kind-specific required fields for the kinds mockapi stores (Pod
 * containers with name and image, RoleBinding roleRef, …). Returns the
 * number of errors added.
 */
size_t mapi_validate_kind(const char *group, const char *resource,
                          const struct cJSON *obj,
                          struct mapi_field_errors *errs);
