/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * patch: the PATCH body formats kube-apiserver accepts, applied to a cJSON
 * object: JSON merge patch (RFC 7386, application/merge-patch+json),
 * Kubernetes strategic merge patch (application/strategic-merge-patch+json)
 * as far as `kubectl apply` needs for the kinds mockapi serves, and JSON
 * patch (RFC 6902, application/json-patch+json).
 *
 * Strategic merge: lists whose elements carry a merge key (containers and
 * volumes by name, ports by containerPort, volumeMounts by mountPath, …,
 * the keys upstream declares with patchMergeKey) are merged element by
 * element; "$patch": "delete" / "replace" and "$retainKeys" directives and
 * "$setElementOrder/<list>" are honoured; "$deleteFromPrimitiveList/<list>"
 * removes values; lists without a merge key are replaced, as upstream.
 *
 * Ownership: `target` is modified in place only on MAPI_OK (the functions
 *   work on a copy and swap it in); `patch` is borrowed.
 * Thread safety: pure; safe from any thread.
 * Errors: MAPI_EINVAL with diag for a malformed patch (not an object, bad
 *   JSON-patch op, failed "test"), MAPI_EMEDIATYPE for an unknown patch
 *   content type, MAPI_ETOOLARGE (kube-apiserver's texts in diag) for a
 *   JSON patch of more than 10000 operations or whose "copy" operations
 *   add more than 3 MiB in total, MAPI_ENOMEM.
 */

#include "errors.h"

struct cJSON;

enum mapi_patch_type {
	MAPI_PATCH_MERGE = 1,
	MAPI_PATCH_STRATEGIC,
	MAPI_PATCH_JSON,
	MAPI_PATCH_APPLY, /* server-side apply: treated as a merge of the full object */
};

/*
 * The patch type for a Content-Type (parameters ignored). MAPI_EMEDIATYPE
 * for anything else; *out_type unchanged then.
 */
MAPI_NODISCARD enum mapi_err
mapi_patch_type_parse(const char *content_type, enum mapi_patch_type *out_type);

/* Applies `patch` (already parsed JSON) of `type` to *target. */
MAPI_NODISCARD enum mapi_err mapi_patch_apply(enum mapi_patch_type type,
                                              struct cJSON **target,
                                              const struct cJSON *patch,
                                              struct mapi_diag *diag);
