/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * authz: the RBAC authorizer, as kube-apiserver 1.32 runs it
 * (plugin/pkg/auth/authorizer/rbac/rbac.go, pkg/registry/rbac/validation/
 * rule.go, pkg/apis/rbac/v1/evaluation_helpers.go), the exact Forbidden
 * message (apiserver responsewriters.forbiddenMessage + apimachinery
 * errors.NewForbidden), the rules review behind SelfSubjectRulesReview, and
 * the bootstrap policy as data.
 *
 * The module does no I/O and knows no store: the RBAC objects come through
 * a seam (mapi_authz_list_fn / mapi_authz_get_fn), called on every check, so
 * a change in the store is seen by the next request, as upstream's informer
 * caches see it a moment later.
 *
 * Evaluation order is upstream's: ClusterRoleBindings (in the order the list
 * callback returns them), then the RoleBindings of the request's namespace.
 * The first rule that allows wins and names its binding in the reason. A
 * binding whose role is missing contributes nothing; the miss is reported in
 * the reason of a refusal (`RBAC: clusterrole.rbac.authorization.k8s.io "x"
 * not found`, several joined as utilerrors.NewAggregate does: `[a, b]`).
 *
 * Deliberate differences from kube-apiserver: system:masters is allowed
 * through the bootstrap ClusterRoleBinding `cluster-admin` only (upstream
 * also has a privileged-group authorizer in front of RBAC, which allows with
 * an empty reason); aggregated ClusterRoles are not re-aggregated (the
 * bootstrap admin/edit/view carry their aggregated rules already).
 *
 * Ownership: every input is borrowed for the call. Objects handed out by the
 *   seam are owned by this module and freed with cJSON_Delete(). Strings and
 *   objects returned are fresh; the caller frees them (free(), cJSON_Delete()).
 * Thread safety: a struct mapi_authz is immutable after _new except for the
 *   optional decision cache (its own mutex); checks may run from any thread
 *   at once, provided the seam callbacks are thread safe.
 * Errors: enum mapi_err; outputs are written only on MAPI_OK. A seam error
 *   other than MAPI_ENOTFOUND from get is returned as is.
 * Limits: work and reason length grow with the number of bindings and rules
 *   the seam returns (the store bounds those).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"

struct cJSON;
struct mapi_authz;

enum mapi_authz_mode {
	MAPI_AUTHZ_RBAC = 0,     /* --authorization-mode=RBAC */
	MAPI_AUTHZ_ALWAYS_ALLOW, /* --authorization-mode=AlwaysAllow */
};

enum mapi_authz_decision {
	MAPI_AUTHZ_DENY = 0,
	MAPI_AUTHZ_ALLOW,
	MAPI_AUTHZ_NO_OPINION, /* RBAC found no rule: the request is refused */
};

/*
 * authorizer.Attributes. Strings may be NULL, which means "". For a
 * non-resource request only user, groups, verb and path are read (and ns,
 * which selects RoleBindings, as upstream — normally NULL there).
 */
struct mapi_authz_attrs {
	const char *user;          /* user.Info name, e.g. system:anonymous */
	const char *const *groups; /* user.Info groups */
	size_t ngroups;
	const char *verb;      /* get list watch create update patch ... */
	bool resource_request; /* false: a non-resource path (/api, /healthz) */
	const char *ns;        /* namespace; NULL or "" = cluster scope */
	const char *api_group; /* "" for the core group */
	const char *api_version;
	const char *resource;    /* plural: pods */
	const char *subresource; /* token, status, ... */
	const char *name;        /* object name, when the request has one */
	const char *path;        /* non-resource URL path */
};

/*
 * The seam. list: every object of `resource` ("roles", "clusterroles",
 * "rolebindings", "clusterrolebindings") in namespace `ns` (NULL for the
 * cluster-scoped kinds) as a fresh cJSON array of objects as stored; an empty
 * array when there are none. get: one object, or MAPI_ENOTFOUND. On success
 * the module owns *out and frees it.
 */
typedef enum mapi_err mapi_authz_list_fn(void *payload, const char *resource,
                                         const char *ns,
                                         struct cJSON **out_items);
typedef enum mapi_err mapi_authz_get_fn(void *payload, const char *resource,
                                        const char *ns, const char *name,
                                        struct cJSON **out_obj);

/*
 * A new authorizer. In MAPI_AUTHZ_RBAC mode list_fn and get_fn are required
 * (MAPI_EINVAL otherwise); in MAPI_AUTHZ_ALWAYS_ALLOW they may be NULL.
 */
MAPI_NODISCARD enum mapi_err mapi_authz_new(enum mapi_authz_mode mode,
                                            mapi_authz_list_fn *list_fn,
                                            mapi_authz_get_fn *get_fn,
                                            void *payload,
                                            struct mapi_authz **out_authz);

/* Accepts NULL. */
void mapi_authz_free(struct mapi_authz *authz);

/*
 * A number that changes whenever any RBAC object may have changed (the
 * store's resourceVersion). Called once per check; must be thread safe.
 */
typedef uint64_t mapi_authz_version_fn(void *payload);

/*
 * Optional: with a version function, RBAC checks cache their decision and
 * reason per (every attribute, version) in a 256-slot table, so a repeated
 * request costs one hash and one copy instead of a walk over every binding
 * (perf: the walk lists and parses all ClusterRoleBindings). Without one
 * (the default) nothing is cached. Call before serving. If the version can
 * repeat with different RBAC content (a store reset), call
 * mapi_authz_flush() at that point.
 */
void mapi_authz_set_version_fn(struct mapi_authz *authz,
                               mapi_authz_version_fn *fn);

/* Drops every cached decision. Thread safe. */
void mapi_authz_flush(struct mapi_authz *authz);

/*
 * Authorizes one request. *out_decision is MAPI_AUTHZ_ALLOW or, when no rule
 * allows, MAPI_AUTHZ_NO_OPINION (which the caller refuses with 403).
 * out_reason may be NULL; otherwise it receives a malloc'd string, "" when
 * there is no reason:
 *   allowed: `RBAC: allowed by ClusterRoleBinding "n" of ClusterRole "r" to
 *            Group "g"`, `RBAC: allowed by RoleBinding "n/ns" of Role "r" to
 *            ServiceAccount "sa/ns"` (reference §4.2); AlwaysAllow: "".
 *   refused: "" when nothing went wrong, else `RBAC: ` + the aggregated
 *            resolution errors (missing roles, unsupported roleRef kinds).
 * MAPI_ENOMEM, or the seam's error; outputs untouched on failure.
 */
MAPI_NODISCARD enum mapi_err
mapi_authz_check(struct mapi_authz *authz, const struct mapi_authz_attrs *attrs,
                 enum mapi_authz_decision *out_decision, char **out_reason);

/*
 * The Status.message of the 403 kube-apiserver sends for attrs, byte for
 * byte (reference §6):
 *   `pods is forbidden: User "u" cannot list resource "pods" in API group ""
 *    in the namespace "default"`
 *   `serviceaccounts "app-sa" is forbidden: User "u" cannot create resource
 *    "serviceaccounts/token" in API group "" in the namespace "ns"`
 *   `tokenreviews.authentication.k8s.io is forbidden: User "u" cannot create
 *    resource "tokenreviews" in API group "authentication.k8s.io" at the
 *    cluster scope`
 *   `forbidden: User "system:anonymous" cannot get path "/api"`
 * plus `: ` + reason when reason is neither NULL nor "". Strings are quoted as
 * Go's %q does, and & < > in the User... part are HTML-escaped as upstream's
 * sanitizer does. (Upstream passes the text through fmt.Errorf as a format;
 * a '%' in it would come out mangled there and verbatim here.)
 * Writes at most len bytes including the NUL (truncating); returns the
 * length of the whole message, as snprintf does. buf may be NULL if len is 0.
 */
size_t mapi_authz_forbidden_message(const struct mapi_authz_attrs *attrs,
                                    const char *reason, char *buf, size_t len);

/*
 * Status.details of that 403 (errors.NewForbidden): name, group and
 * kind (= the resource, no subresource). Each is "" when absent, and all are
 * "" for a non-resource request (details is then `{}`). The pointers are
 * borrowed from attrs (or are a static ""), valid while attrs is.
 */
struct mapi_authz_forbidden_details {
	const char *name;
	const char *group;
	const char *kind;
};

void mapi_authz_forbidden_details(const struct mapi_authz_attrs *attrs,
                                  struct mapi_authz_forbidden_details *out);

/*
 * The SelfSubjectRulesReview status for a user in namespace ns (NULL or ""
 * = cluster bindings only), as RBACAuthorizer.RulesFor + the registry build
 * it: {"resourceRules":[{"verbs","apiGroups","resources","resourceNames"}],
 * "nonResourceRules":[{"verbs","nonResourceURLs"}],"incomplete":false}
 * plus "evaluationError" (the aggregated resolution errors, no `RBAC: `
 * prefix) when a role was missing. Rules appear in evaluation order, a rule
 * with both resources and URLs in both lists; empty lists are omitted inside
 * a rule (omitempty) but the two top lists are always arrays. AlwaysAllow
 * gives the `*` rules of alwaysAllowAuthorizer.
 */
MAPI_NODISCARD enum mapi_err mapi_authz_rules(struct mapi_authz *authz,
                                              const char *user,
                                              const char *const *groups,
                                              size_t ngroups, const char *ns,
                                              struct cJSON **out_status);

/*
 * The bootstrap policy (upstream bootstrappolicy, 1.32), limited to the
 * resources mockapi serves: a fresh {"kind":"List","apiVersion":"v1",
 * "items":[...]} of ClusterRoles (cluster-admin, admin, edit, view,
 * system:auth-delegator, system:basic-user, system:discovery,
 * system:public-info-viewer, system:service-account-issuer-discovery) then
 * ClusterRoleBindings (cluster-admin → Group system:masters;
 * system:basic-user, system:discovery → system:authenticated;
 * system:public-info-viewer → system:authenticated, system:unauthenticated;
 * system:service-account-issuer-discovery → system:serviceaccounts), each
 * labelled kubernetes.io/bootstrapping=rbac-defaults and annotated
 * rbac.authorization.kubernetes.io/autoupdate="true". No uid,
 * resourceVersion or creationTimestamp: the store sets those.
 * MAPI_ENOMEM; *out_list written only on MAPI_OK.
 */
MAPI_NODISCARD enum mapi_err
mapi_authz_bootstrap_policy(struct cJSON **out_list);
