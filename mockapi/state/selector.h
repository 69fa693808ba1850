/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * selector: Kubernetes label selectors and field selectors, parsed once and
 * matched many times (apimachinery pkg/labels and pkg/fields).
 *
 * Label selector grammar (labels.Parse): comma-separated requirements
 *   key | !key | key=v | key==v | key!=v | key in (v1,v2) |
 *   key notin (v1,v2) | key > n | key < n
 * with keys checked as qualified names and values as label values. The
 * error messages are the ones kube-apiserver returns for a bad
 * ?labelSelector= (Status.message of the 400).
 *
 * Field selector grammar (fields.ParseSelector): comma-separated
 *   field=v | field==v | field!=v, with backslash escapes for '\', ',', '='
 *   and '!'. Which fields are allowed is the caller's (per resource) list;
 *   others fail with "field label not supported: <field>".
 *
 * Ownership: parse returns a selector the caller frees with the matching
 *   _free (NULL-safe). Nothing else is retained.
 * Thread safety: a parsed selector is immutable; matching is thread-safe.
 * Errors: enum mapi_err; *out written only on MAPI_OK; diag->msg gets the
 *   Kubernetes text.
 * Limits: text up to MAPI_SELECTOR_MAX_LEN bytes, at most
 *   MAPI_SELECTOR_MAX_TERMS requirements of at most MAPI_SELECTOR_MAX_TERMS
 *   values each; longer input is MAPI_EINVAL.
 */

#include <stdbool.h>

#include "errors.h"

#define MAPI_SELECTOR_MAX_LEN   4096
#define MAPI_SELECTOR_MAX_TERMS 64

struct cJSON;
struct mapi_label_selector;
struct mapi_field_selector;

/*
 * Parses a label selector; NULL or "" (or only blanks) selects everything.
 * MAPI_EINVAL with the Kubernetes message in diag on a syntax or validation
 * error, e.g. "found '=', expected: ',' or 'end of string'".
 */
MAPI_NODISCARD enum mapi_err
mapi_label_selector_parse(const char *text,
                          struct mapi_label_selector **out_sel,
                          struct mapi_diag *diag);

/* Accepts NULL. */
void mapi_label_selector_free(struct mapi_label_selector *sel);

/*
 * True if the labels (a JSON object of string values, or NULL for none)
 * satisfy every requirement. A NULL selector matches everything.
 */
bool mapi_label_selector_matches(const struct mapi_label_selector *sel,
                                 const struct cJSON *labels);

/*
 * Parses a field selector; NULL or "" selects everything. supported is a
 * NULL-terminated list of the field names the resource allows; a term on
 * any other field is MAPI_EINVAL "field label not supported: <field>". A
 * term without an operator is MAPI_EINVAL
 * "invalid selector: '<text>'; can't understand '<term>'".
 */
MAPI_NODISCARD enum mapi_err
mapi_field_selector_parse(const char *text, const char *const *supported,
                          struct mapi_field_selector **out_sel,
                          struct mapi_diag *diag);

/* Accepts NULL. */
void mapi_field_selector_free(struct mapi_field_selector *sel);

/*
 * Returns the value of a field of one object (a missing field is "" or
 * NULL, which compare equal to ""). Borrowed; valid during the call.
 */
typedef const char *mapi_field_get_fn(const char *field, void *payload);

/*
 * True if every term holds for the object whose fields get() returns.
 * A NULL selector matches everything.
 */
bool mapi_field_selector_matches(const struct mapi_field_selector *sel,
                                 mapi_field_get_fn *get, void *payload);
