/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * discovery: the table of API resources mockapi serves, and the documents
 * kube-apiserver 1.32 answers discovery and OpenAPI requests with:
 * legacy (/api, /apis, /api/v1, /apis/<g>, /apis/<g>/<v>), aggregated
 * (apidiscovery.k8s.io v2 and v2beta1), and the minimal OpenAPI v2/v3
 * documents that make `kubectl create -f` / `apply -f` work without
 * --validate=false (reference §10.3, §10.4).
 *
 * Ownership: the resource table is static and const; every document
 *   builder returns a fresh cJSON the caller frees with cJSON_Delete().
 * Thread safety: all functions are pure and thread-safe.
 * Errors: builders return MAPI_ENOMEM or MAPI_ENOTFOUND (unknown group or
 *   version); *out is written only on MAPI_OK.
 */

#include <stdbool.h>
#include <stddef.h>

#include "errors.h"

struct cJSON;

/* One served resource (or subresource) of one group/version. */
struct mapi_api_resource {
	const char *group;      /* "" for the core group */
	const char *version;    /* "v1" */
	const char *resource;   /* plural, "pods" */
	const char *sub;        /* subresource ("token") or NULL */
	const char *singular;   /* "pod"; "" for subresources */
	const char *kind;       /* "Pod" */
	bool namespaced;        /* scope */
	const char *verbs;      /* space-separated, sorted: "create delete …" */
	const char *short_names; /* space-separated or NULL */
	const char *categories; /* space-separated or NULL */
	/* Response kind of a subresource when it differs from the parent. */
	const char *resp_group;
	const char *resp_version;
};

/* The whole table; *out_n gets the number of rows. */
const struct mapi_api_resource *mapi_discovery_table(size_t *out_n);

/*
 * The row for group/resource[/sub], or NULL when mockapi does not serve it.
 * sub may be NULL (the resource itself).
 */
const struct mapi_api_resource *mapi_discovery_find(const char *group,
                                                    const char *resource,
                                                    const char *sub);

/* The row whose kind is `kind` in `group` (not subresources), or NULL. */
const struct mapi_api_resource *mapi_discovery_find_kind(const char *group,
                                                         const char *kind);

/* True for a group/version mockapi serves ("" + "v1" is the core group). */
bool mapi_discovery_has_group_version(const char *group, const char *version);

/*
 * Which aggregated-discovery version an Accept header asks for: "v2",
 * "v2beta1" (the first one listed wins), or NULL for legacy discovery.
 */
const char *mapi_discovery_negotiate(const char *accept);

/* The Content-Type of an aggregated reply for that version. */
const char *mapi_discovery_aggregated_content_type(const char *dversion);

/* Legacy GET /api: APIVersions; server_address is "127.0.0.1:6443". */
MAPI_NODISCARD enum mapi_err
mapi_discovery_api_versions(const char *server_address, struct cJSON **out);

/* Legacy GET /apis: APIGroupList. */
MAPI_NODISCARD enum mapi_err mapi_discovery_group_list(struct cJSON **out);

/* Legacy GET /apis/<group>: APIGroup. MAPI_ENOTFOUND if not served. */
MAPI_NODISCARD enum mapi_err mapi_discovery_group(const char *group,
                                                  struct cJSON **out);

/*
 * Legacy GET /api/v1 or /apis/<g>/<v>: APIResourceList. MAPI_ENOTFOUND if
 * the group/version is not served.
 */
MAPI_NODISCARD enum mapi_err mapi_discovery_resource_list(const char *group,
                                                          const char *version,
                                                          struct cJSON **out);

/*
 * Aggregated GET /api (core == true) or /apis (core == false):
 * APIGroupDiscoveryList in apidiscovery.k8s.io/<dversion>.
 */
MAPI_NODISCARD enum mapi_err mapi_discovery_aggregated(bool core,
                                                       const char *dversion,
                                                       struct cJSON **out);

/*
 * GET /openapi/v3: the index of per-group-version documents, each with a
 * serverRelativeURL carrying a stable hash of kube_version.
 */
MAPI_NODISCARD enum mapi_err mapi_openapi_v3_index(const char *kube_version,
                                                   struct cJSON **out);

/*
 * GET /openapi/v3/<gvpath> ("api/v1", "apis/rbac.authorization.k8s.io/v1"):
 * a document listing, for every kind served there, a PATCH operation with
 * x-kubernetes-group-version-kind and the fieldValidation parameter, which
 * is what kubectl's field-validation probe looks for. MAPI_ENOTFOUND for
 * other paths.
 */
MAPI_NODISCARD enum mapi_err mapi_openapi_v3_doc(const char *gvpath,
                                                 const char *kube_version,
                                                 struct cJSON **out);

/*
 * GET /openapi/v2 answer: an empty protobuf document (0 bytes) with this
 * Content-Type, which kubectl accepts as "no schemas" (reference §10.4).
 */
#define MAPI_OPENAPI_V2_CONTENT_TYPE \
	"application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
