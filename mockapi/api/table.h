/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * table: server-side printing, as kube-apiserver does for
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` — the
 * meta.k8s.io/v1 Table with the columns `kubectl get` prints (reference
 * §7.2; upstream pkg/printers/internalversion/printers.go).
 *
 * Ownership: inputs are borrowed; the Table is a fresh cJSON the caller
 *   frees with cJSON_Delete().
 * Thread safety: pure; safe from any thread.
 * Errors: MAPI_ENOMEM; *out written only on MAPI_OK.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"

struct cJSON;

/* What rows[].object carries (the includeObject query parameter). */
enum mapi_table_include {
	MAPI_TABLE_METADATA = 0, /* PartialObjectMetadata (the default) */
	MAPI_TABLE_NONE,         /* no object */
	MAPI_TABLE_OBJECT,       /* the whole object */
};

/* Parses includeObject=None|Metadata|Object; NULL/"" means Metadata. */
bool mapi_table_include_parse(const char *text,
                              enum mapi_table_include *out_include);

/* True when an Accept header asks for a meta.k8s.io/v1 Table. */
bool mapi_table_wanted(const char *accept);

/* Content-Type of a Table reply. */
#define MAPI_TABLE_CONTENT_TYPE "application/json;as=Table;v=v1;g=meta.k8s.io"

/*
 * Builds the Table for `items` (a JSON array of objects of one resource)
 * of group/resource, as of mock time `now` (for the Age column). rv and
 * cont go to the Table's metadata (resourceVersion, continue) when not
 * NULL. Unknown resources get the generic Name / Created At columns.
 */
MAPI_NODISCARD enum mapi_err
mapi_table_build(const char *group, const char *resource,
                 const struct cJSON *items, const char *rv, const char *cont,
                 int64_t now, enum mapi_table_include include,
                 struct cJSON **out);

/*
 * Go's k8s.io/apimachinery duration.HumanDuration of d seconds
 * ("45s", "2m5s", "3h10m", "4d21h", "2y30d"), into buf (>= 16 bytes).
 */
void mapi_table_human_duration(int64_t d, char *buf, size_t len);
