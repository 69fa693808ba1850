/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * fixtures: loads API objects from JSON into the store — the compiled-in
 * default cluster (fixtures/default-cluster.json) or --fixtures FILE|DIR.
 *
 * A fixture file holds one object or a "kind: List" with "items". A
 * directory is every *.json file in it (not recursive), in strcmp order of
 * the names. Each object's resource comes from its kind (see
 * mapi_kind_lookup); a missing apiVersion is filled in, a wrong one is an
 * error. A namespaced object without metadata.namespace goes to "default"
 * (as kubectl does). metadata.uid and .resourceVersion in a fixture are
 * ignored (the store assigns them); an explicit valid
 * metadata.creationTimestamp is kept, else it is the clock's now. Any
 * string value that is exactly "${now}" is replaced by the clock's now in
 * RFC 3339, so fixtures can carry realistic status times (startedAt,
 * lastTransitionTime) that agree with the mock clock.
 *
 * Ownership: nothing is retained; objects are copied into the store.
 * Thread safety: as the store (callers normally load before serving).
 * Errors: enum mapi_err; diag->msg names the file, the item index and what
 *   is wrong, e.g. "f.json: items[2]: unknown kind \"Foo\"" or
 *   "f.json: invalid JSON at offset 17". On error the store keeps the
 *   objects loaded before the failing one (startup aborts anyway).
 * Limits: files up to MAPI_FIXTURES_MAX_FILE_BYTES, directories up to
 *   MAPI_FIXTURES_MAX_FILES files; the store's own limits apply.
 */

#include <stdbool.h>
#include <stddef.h>

#include "errors.h"

#define MAPI_FIXTURES_MAX_FILE_BYTES ((size_t)64 * 1024 * 1024)
#define MAPI_FIXTURES_MAX_FILES      4096

struct mapi_clock;
struct mapi_store;

/* What the server knows about a kind. Strings are static. */
struct mapi_kind_info {
	const char *kind;        /* "Pod" */
	const char *group;       /* "" for core */
	const char *version;     /* "v1" */
	const char *api_version; /* "v1" or "rbac.authorization.k8s.io/v1" */
	const char *resource;    /* "pods" */
	bool namespaced;
};

/*
 * The entry for a kind: Namespace, Node, Pod, ServiceAccount, Secret,
 * ConfigMap, Service, Role, ClusterRole, RoleBinding, ClusterRoleBinding.
 * NULL if unknown. Static, never freed.
 */
const struct mapi_kind_info *mapi_kind_lookup(const char *kind);

/* The same table searched by (group, resource); NULL if unknown. */
const struct mapi_kind_info *mapi_kind_lookup_resource(const char *group,
                                                       const char *resource);

/*
 * Loads len bytes of JSON text (one object or a List); name is used in
 * messages only (e.g. the file name). clock gives "${now}".
 */
MAPI_NODISCARD enum mapi_err
mapi_fixtures_load_buffer(struct mapi_store *store,
                          const struct mapi_clock *clock, const char *name,
                          const char *text, size_t len,
                          struct mapi_diag *diag);

/*
 * Loads a file, or every *.json file of a directory in sorted order.
 * MAPI_ENOTFOUND / MAPI_EIO for paths that cannot be read (diag names
 * the path and strerror), MAPI_ETOOLARGE for a file over the bound, and
 * the errors of mapi_fixtures_load_buffer().
 */
MAPI_NODISCARD enum mapi_err
mapi_fixtures_load_path(struct mapi_store *store,
                        const struct mapi_clock *clock, const char *path,
                        struct mapi_diag *diag);

/* Loads the compiled-in default cluster (fixtures/default-cluster.json). */
MAPI_NODISCARD enum mapi_err
mapi_fixtures_load_default(struct mapi_store *store,
                           const struct mapi_clock *clock,
                           struct mapi_diag *diag);

/* The compiled-in default cluster JSON text and its length. Static. */
const char *mapi_fixtures_default_json(size_t *out_len);
