/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * validate: object validation with kube-apiserver's exact field-error
 * texts (k8s.io/apimachinery pkg/util/validation and .../field/errors.go):
 * object names (DNS-1123 subdomain / label, path segment), required fields,
 * and the "<Kind> \"<name>\" is invalid: …" aggregate message.
 *
 * Ownership: errors are collected into a caller-provided struct
 *   mapi_field_errors (fixed capacity, no allocation); strings are copied.
 * Thread safety: pure; safe from any thread.
 * Errors: functions that check return the number of errors they added.
 */

#include <stdbool.h>
#include <stddef.h>

#include "errors.h"

struct cJSON;

enum mapi_field_error_type {
	MAPI_FIELD_INVALID = 1,  /* FieldValueInvalid   "Invalid value" */
	MAPI_FIELD_REQUIRED,     /* FieldValueRequired  "Required value" */
	MAPI_FIELD_FORBIDDEN,    /* FieldValueForbidden "Forbidden" */
	MAPI_FIELD_NOT_SUPPORTED, /* FieldValueNotSupported "Unsupported value" */
	MAPI_FIELD_DUPLICATE,    /* FieldValueDuplicate "Duplicate value" */
};

struct mapi_field_error {
	enum mapi_field_error_type type;
	char field[128];  /* "metadata.name" */
	char value[320];  /* Go %#v-ish rendering: "\"Foo\"" or 60; "" if none */
	char detail[512]; /* the validator's words */
};

#define MAPI_FIELD_ERRORS_MAX 8

struct mapi_field_errors {
	size_t n;
	struct mapi_field_error e[MAPI_FIELD_ERRORS_MAX];
};

/* Adds one error; a string value is quoted as Go's %q does. NULLs allowed. */
void mapi_field_errors_add(struct mapi_field_errors *errs,
                           enum mapi_field_error_type type, const char *field,
                           const char *str_value, const char *detail);

/* As _add, with a number rendered bare (60, not "60"). */
void mapi_field_errors_add_int(struct mapi_field_errors *errs,
                               enum mapi_field_error_type type,
                               const char *field, long long value,
                               const char *detail);

/* The reason string of a type: "FieldValueInvalid", … */
const char *mapi_field_error_reason(enum mapi_field_error_type type);

/*
 * One error as Go's field.Error.Error(): "metadata.name: Invalid value:
 * \"Foo\": <detail>" or "spec.containers: Required value" — into buf.
 */
void mapi_field_error_format(const struct mapi_field_error *e, char *buf,
                             size_t len);

/*
 * One cause's message as Go's ErrorBody(): the text after "<field>: ".
 */
void mapi_field_error_body(const struct mapi_field_error *e, char *buf,
                           size_t len);

/*
 * The StatusError message NewInvalid builds: `<qualified kind> "<name>" is
 * invalid: <one error>` or `… is invalid: [<e1>, <e2>]`. qualified kind is
 * "Pod" for the core group, "TokenRequest.authentication.k8s.io" else.
 */
void mapi_field_errors_message(const struct mapi_field_errors *errs,
                               const char *group, const char *kind,
                               const char *name, char *buf, size_t len);

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
