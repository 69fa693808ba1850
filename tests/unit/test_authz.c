/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "auth/authz.h"
#include "th.h"

/*
 * A fake store behind the seam: one array of objects (the bootstrap policy,
 * then the fixtures below), listed in insertion order.
 */
struct fake_store {
	cJSON *objects;
	enum mapi_err fail_list; /* returned by list when not MAPI_OK */
	enum mapi_err fail_get;  /* returned by get when not MAPI_OK */
	int lists;
	uint64_t version; /* for the decision cache test */
};

static uint64_t
fake_version(void *payload)
{
	struct fake_store *s = payload;

	return s->version;
}

static const char *
kind_of(const char *resource)
{
	if (strcmp(resource, "roles") == 0) {
		return "Role";
	}
	if (strcmp(resource, "clusterroles") == 0) {
		return "ClusterRole";
	}
	if (strcmp(resource, "rolebindings") == 0) {
		return "RoleBinding";
	}
	if (strcmp(resource, "clusterrolebindings") == 0) {
		return "ClusterRoleBinding";
	}
	fail_msg("unexpected resource %s", resource);
	return NULL;
}

static const char *
field(const cJSON *o, const char *k1, const char *k2)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k1);

	if (k2 != NULL) {
		v = cJSON_GetObjectItemCaseSensitive(v, k2);
	}
	return cJSON_IsString(v) ? v->valuestring : "";
}

static bool
object_in(const cJSON *o, const char *kind, const char *ns)
{
	return strcmp(field(o, "kind", NULL), kind) == 0 &&
	       strcmp(field(o, "metadata", "namespace"),
	              ns != NULL ? ns : "") == 0;
}

static enum mapi_err
fake_list(void *payload, const char *resource, const char *ns, cJSON **out)
{
	struct fake_store *s = payload;
	const char *kind = kind_of(resource);
	cJSON *arr, *o;

	s->lists++;
	if (s->fail_list != MAPI_OK) {
		return s->fail_list;
	}
	arr = cJSON_CreateArray();
	assert_non_null(arr);
	cJSON_ArrayForEach(o, s->objects) {
		if (object_in(o, kind, ns)) {
			cJSON_AddItemToArray(arr, cJSON_Duplicate(o, true));
		}
	}
	*out = arr;
	return MAPI_OK;
}

static enum mapi_err
fake_get(void *payload, const char *resource, const char *ns, const char *name,
         cJSON **out)
{
	struct fake_store *s = payload;
	const char *kind = kind_of(resource);
	cJSON *o;

	if (s->fail_get != MAPI_OK) {
		return s->fail_get;
	}
	cJSON_ArrayForEach(o, s->objects) {
		if (object_in(o, kind, ns) &&
		    strcmp(field(o, "metadata", "name"), name) == 0) {
			*out = cJSON_Duplicate(o, true);
			return MAPI_OK;
		}
	}
	return MAPI_ENOTFOUND;
}

/* Objects added after the bootstrap policy. */
static const char *const fixtures[] = {
	/* kubectl create rolebinding b --clusterrole=view
	 *   --serviceaccount=default:x -n default (reference §7.5) */
	"{\"kind\":\"RoleBinding\",\"metadata\":{\"name\":\"b\","
	"\"namespace\":\"default\"},\"subjects\":[{\"kind\":\"ServiceAccount\","
	"\"apiGroup\":\"\",\"name\":\"x\",\"namespace\":\"default\"}],"
	"\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\","
	"\"kind\":\"ClusterRole\",\"name\":\"view\"}}",
	/* a Role with resourceNames, bound to a user */
	"{\"kind\":\"Role\",\"metadata\":{\"name\":\"pod-reader\","
	"\"namespace\":\"team\"},\"rules\":[{\"verbs\":[\"get\",\"list\"],"
	"\"apiGroups\":[\"\"],\"resources\":[\"pods\"],"
	"\"resourceNames\":[\"web\"]}]}",
	"{\"kind\":\"RoleBinding\",\"metadata\":{\"name\":\"read-web\","
	"\"namespace\":\"team\"},\"subjects\":[{\"kind\":\"User\","
	"\"name\":\"alice\"}],\"roleRef\":{\"kind\":\"Role\","
	"\"name\":\"pod-reader\"}}",
	/* a ServiceAccount subject without a namespace: the binding's */
	"{\"kind\":\"RoleBinding\",\"metadata\":{\"name\":\"sa-local\","
	"\"namespace\":\"team\"},\"subjects\":[{\"kind\":\"ServiceAccount\","
	"\"name\":\"builder\"}],\"roleRef\":{\"kind\":\"ClusterRole\","
	"\"name\":\"edit\"}}",
	/* bindings to roles that do not exist */
	"{\"kind\":\"RoleBinding\",\"metadata\":{\"name\":\"ghost\","
	"\"namespace\":\"team\"},\"subjects\":[{\"kind\":\"User\","
	"\"name\":\"erin\"}],\"roleRef\":{\"kind\":\"ClusterRole\","
	"\"name\":\"nope\"}}",
	"{\"kind\":\"RoleBinding\",\"metadata\":{\"name\":\"ghost-role\","
	"\"namespace\":\"team2\"},\"subjects\":[{\"kind\":\"User\","
	"\"name\":\"erin\"}],\"roleRef\":{\"kind\":\"Role\","
	"\"name\":\"absent\"}}",
	"{\"kind\":\"RoleBinding\",\"metadata\":{\"name\":\"odd\","
	"\"namespace\":\"team3\"},\"subjects\":[{\"kind\":\"User\","
	"\"name\":\"erin\"}],\"roleRef\":{\"kind\":\"Policy\","
	"\"name\":\"p\"}}",
	"{\"kind\":\"ClusterRoleBinding\",\"metadata\":{\"name\":\"ghost2\"},"
	"\"subjects\":[{\"kind\":\"User\",\"name\":\"erin\"}],"
	"\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"missing2\"}}",
	"{\"kind\":\"ClusterRoleBinding\",\"metadata\":{\"name\":\"ghost3\"},"
	"\"subjects\":[{\"kind\":\"User\",\"name\":\"erin\"}],"
	"\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"missing2\"}}",
	/* wildcard verbs for a group */
	"{\"kind\":\"ClusterRole\",\"metadata\":{\"name\":\"wild-verbs\"},"
	"\"rules\":[{\"verbs\":[\"*\"],\"apiGroups\":[\"\"],"
	"\"resources\":[\"configmaps\"]}]}",
	"{\"kind\":\"ClusterRoleBinding\",\"metadata\":{\"name\":\"devs\"},"
	"\"subjects\":[{\"kind\":\"Group\",\"name\":\"devs\"}],"
	"\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"wild-verbs\"}}",
	/* wildcard groups */
	"{\"kind\":\"ClusterRole\",\"metadata\":{\"name\":\"wild-groups\"},"
	"\"rules\":[{\"verbs\":[\"get\"],\"apiGroups\":[\"*\"],"
	"\"resources\":[\"widgets\"]}]}",
	"{\"kind\":\"ClusterRoleBinding\",\"metadata\":{\"name\":\"bob\"},"
	"\"subjects\":[{\"kind\":\"User\",\"name\":\"bob\"}],"
	"\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"wild-groups\"}}",
	/* subresources */
	"{\"kind\":\"ClusterRole\",\"metadata\":{\"name\":\"subres\"},"
	"\"rules\":[{\"verbs\":[\"create\"],\"apiGroups\":[\"\"],"
	"\"resources\":[\"serviceaccounts/token\"]},"
	"{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"pods/*\"]},"
	"{\"verbs\":[\"update\"],\"apiGroups\":[\"*\"],"
	"\"resources\":[\"*/scale\"]}]}",
	"{\"kind\":\"ClusterRoleBinding\",\"metadata\":{\"name\":\"carol\"},"
	"\"subjects\":[{\"kind\":\"User\",\"name\":\"carol\"}],"
	"\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"subres\"}}",
	/* non-resource URLs */
	"{\"kind\":\"ClusterRole\",\"metadata\":{\"name\":\"urls\"},"
	"\"rules\":[{\"verbs\":[\"get\"],"
	"\"nonResourceURLs\":[\"/logs/*\",\"/metrics\"]}]}",
	"{\"kind\":\"ClusterRoleBinding\",\"metadata\":{\"name\":\"dave\"},"
	"\"subjects\":[{\"kind\":\"User\",\"name\":\"dave\"}],"
	"\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"urls\"}}",
	/* ServiceAccount subjects in cluster bindings */
	"{\"kind\":\"ClusterRoleBinding\",\"metadata\":{\"name\":\"sa-nons\"},"
	"\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"rogue\"}],"
	"\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"cluster-admin\"}}",
	"{\"kind\":\"ClusterRoleBinding\",\"metadata\":{\"name\":"
	"\"tokenreviewer\"},\"subjects\":[{\"kind\":\"Group\",\"name\":\"g0\"},"
	"{\"kind\":\"ServiceAccount\",\"name\":\"reviewer\","
	"\"namespace\":\"kube-system\"}],\"roleRef\":{\"kind\":\"ClusterRole\","
	"\"name\":\"system:auth-delegator\"}}",
};

struct fixture {
	struct fake_store store;
	struct mapi_authz *authz;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	cJSON *list = NULL, *items;
	size_t i;

	if (f == NULL || mapi_authz_bootstrap_policy(&list) != MAPI_OK) {
		free(f);
		return -1;
	}
	items = cJSON_DetachItemFromObjectCaseSensitive(list, "items");
	cJSON_Delete(list);
	f->store.objects = items;
	for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		cJSON *o = cJSON_Parse(fixtures[i]);

		if (o == NULL) {
			return -1;
		}
		cJSON_AddItemToArray(f->store.objects, o);
	}
	if (mapi_authz_new(MAPI_AUTHZ_RBAC, fake_list, fake_get, &f->store,
	                   &f->authz) != MAPI_OK) {
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	mapi_authz_free(f->authz);
	cJSON_Delete(f->store.objects);
	free(f);
	return 0;
}

#define ANON      "system:anonymous"
#define UNAUTH    "system:unauthenticated"
#define AUTHED    "system:authenticated"
#define SAS       "system:serviceaccounts"
#define SA(ns, n) "system:serviceaccount:" ns ":" n

enum {
	ALLOW = MAPI_AUTHZ_ALLOW,
	NOOP = MAPI_AUTHZ_NO_OPINION
};

struct row {
	const char *user;
	const char *groups[4];
	const char *verb;
	bool res;
	const char *ns, *group, *resource, *sub, *name, *path;
	int want;
	const char *reason;
};

/* Resource rows: R(user, groups, verb, ns, group, resource, sub, name). */
#define R(u, g, v, ns, grp, r, sub, n, want, why)                  \
	{                                                          \
		u, g, v, true, ns, grp, r, sub, n, NULL, want, why \
	}
#define U(u, g, v, path, want, why)                                           \
	{                                                                     \
		u, g, v, false, NULL, NULL, NULL, NULL, NULL, path, want, why \
	}
#define G(...)              \
	{                   \
		__VA_ARGS__ \
	}
#define NOG G(NULL)

#define CRB(b, r, s)                                                        \
	"RBAC: allowed by ClusterRoleBinding \"" b "\" of ClusterRole \"" r \
	"\" to " s
#define MASTERS \
	CRB("cluster-admin", "cluster-admin", "Group \"system:masters\"")
#define PUBLIC_UNAUTH                                                 \
	CRB("system:public-info-viewer", "system:public-info-viewer", \
	    "Group \"system:unauthenticated\"")
#define DISCO                                       \
	CRB("system:discovery", "system:discovery", \
	    "Group \"system:authenticated\"")
#define BASIC                                         \
	CRB("system:basic-user", "system:basic-user", \
	    "Group \"system:authenticated\"")
#define ISSUER                                         \
	CRB("system:service-account-issuer-discovery", \
	    "system:service-account-issuer-discovery", \
	    "Group \"system:serviceaccounts\"")
#define VIEW_X                                                       \
	"RBAC: allowed by RoleBinding \"b/default\" of ClusterRole " \
	"\"view\" to ServiceAccount \"x/default\""
#define EDIT_B                                               \
	"RBAC: allowed by RoleBinding \"sa-local/team\" of " \
	"ClusterRole \"edit\" to ServiceAccount \"builder/team\""
#define ALICE                                                     \
	"RBAC: allowed by RoleBinding \"read-web/team\" of Role " \
	"\"pod-reader\" to User \"alice\""
#define NF(kind, n) kind ".rbac.authorization.k8s.io \"" n "\" not found"

static const struct row rows[] = {
	/* system:masters through the bootstrap binding */
	R("kubernetes-admin", G("system:masters", AUTHED), "delete", NULL, "",
	  "nodes", NULL, "n1", ALLOW, MASTERS),
	R("kubernetes-admin", G("system:masters", AUTHED), "escalate",
	  "default", "rbac.authorization.k8s.io", "clusterroles", NULL, NULL,
	  ALLOW, MASTERS),
	U("kubernetes-admin", G("system:masters"), "get", "/metrics", ALLOW,
	  MASTERS),
	/* anonymous */
	U(ANON, G(UNAUTH), "get", "/version", ALLOW, PUBLIC_UNAUTH),
	U(ANON, G(UNAUTH), "get", "/version/", ALLOW, PUBLIC_UNAUTH),
	U(ANON, G(UNAUTH), "get", "/healthz", ALLOW, PUBLIC_UNAUTH),
	U(ANON, G(UNAUTH), "get", "/livez", ALLOW, PUBLIC_UNAUTH),
	U(ANON, G(UNAUTH), "get", "/api", NOOP, ""),
	U(ANON, G(UNAUTH), "get", "/openid/v1/jwks", NOOP, ""),
	U(ANON, G(UNAUTH), "post", "/version", NOOP, ""),
	R(ANON, G(UNAUTH), "list", "default", "", "pods", NULL, NULL, NOOP, ""),
	/* any authenticated user */
	U("jane", G(AUTHED), "get", "/api", ALLOW, DISCO),
	U("jane", G(AUTHED), "get", "/apis/apps/v1", ALLOW, DISCO),
	U("jane", G(AUTHED), "get", "/version", ALLOW, DISCO),
	U("jane", G(AUTHED), "get", "/openapi/v3", ALLOW, DISCO),
	U("jane", G(AUTHED), "get", "/metrics", NOOP, ""),
	R("jane", G(AUTHED), "create", NULL, "authorization.k8s.io",
	  "selfsubjectaccessreviews", NULL, NULL, ALLOW, BASIC),
	R("jane", G(AUTHED), "create", NULL, "authentication.k8s.io",
	  "selfsubjectreviews", NULL, NULL, ALLOW, BASIC),
	R("jane", G(AUTHED), "create", NULL, "authorization.k8s.io",
	  "selfsubjectrulesreviews", NULL, NULL, ALLOW, BASIC),
	R("jane", G(AUTHED), "create", NULL, "authentication.k8s.io",
	  "tokenreviews", NULL, NULL, NOOP, ""),
	/* a fresh ServiceAccount */
	R(SA("ns", "sa"), G(SAS, "system:serviceaccounts:ns", AUTHED), "list",
	  "ns", "", "pods", NULL, NULL, NOOP, ""),
	U(SA("ns", "sa"), G(SAS, "system:serviceaccounts:ns", AUTHED), "get",
	  "/openid/v1/jwks", ALLOW, ISSUER),
	U(SA("ns", "sa"), G(SAS, "system:serviceaccounts:ns", AUTHED), "get",
	  "/.well-known/openid-configuration/", ALLOW, ISSUER),
	/* RoleBinding to a ClusterRole: scoped to its namespace */
	R(SA("default", "x"), G(SAS, AUTHED), "list", "default", "", "pods",
	  NULL, NULL, ALLOW, VIEW_X),
	R(SA("default", "x"), G(SAS, AUTHED), "watch", "default", "",
	  "configmaps", NULL, "cm", ALLOW, VIEW_X),
	R(SA("default", "x"), G(SAS, AUTHED), "list", "other", "", "pods", NULL,
	  NULL, NOOP, ""),
	R(SA("default", "x"), G(SAS, AUTHED), "list", NULL, "", "pods", NULL,
	  NULL, NOOP, ""),
	R(SA("default", "x"), G(SAS, AUTHED), "get", "default", "", "secrets",
	  NULL, "s", NOOP, ""),
	R(SA("default", "x"), G(SAS, AUTHED), "delete", "default", "", "pods",
	  NULL, "p", NOOP, ""),
	R(SA("default", "y"), G(SAS, AUTHED), "list", "default", "", "pods",
	  NULL, NULL, NOOP, ""),
	/* ServiceAccount subject without a namespace; edit's rules */
	R(SA("team", "builder"), NOG, "create", "team", "", "pods", NULL, NULL,
	  ALLOW, EDIT_B),
	R(SA("team", "builder"), NOG, "create", "team", "", "serviceaccounts",
	  "token", "app-sa", ALLOW, EDIT_B),
	R(SA("team", "builder"), NOG, "get", "team", "", "secrets", NULL, "s",
	  ALLOW, EDIT_B),
	R(SA("team", "builder"), NOG, "create", "team",
	  "rbac.authorization.k8s.io", "rolebindings", NULL, NULL, NOOP, ""),
	R(SA("other", "builder"), NOG, "create", "team", "", "pods", NULL, NULL,
	  NOOP, ""),
	/* resourceNames */
	R("alice", NOG, "get", "team", "", "pods", NULL, "web", ALLOW, ALICE),
	R("alice", NOG, "list", "team", "", "pods", NULL, NULL, NOOP, ""),
	R("alice", NOG, "get", "team", "", "pods", NULL, "db", NOOP, ""),
	R("alice", NOG, "get", "default", "", "pods", NULL, "web", NOOP, ""),
	R("alice", NOG, "get", "team", "apps", "pods", NULL, "web", NOOP, ""),
	/* wildcard verbs and groups */
	R("u1", G("devs"), "deletecollection", "any", "", "configmaps", NULL,
	  NULL, ALLOW, CRB("devs", "wild-verbs", "Group \"devs\"")),
	R("u1", G("devs"), "get", NULL, "", "configmaps", NULL, "c", ALLOW,
	  CRB("devs", "wild-verbs", "Group \"devs\"")),
	R("u1", G("devs"), "get", "any", "apps", "configmaps", NULL, NULL, NOOP,
	  ""),
	R("u1", G("devs"), "get", "any", "", "configmaps", "status", NULL, NOOP,
	  ""),
	R("bob", NOG, "get", "ns", "example.com", "widgets", NULL, NULL, ALLOW,
	  CRB("bob", "wild-groups", "User \"bob\"")),
	R("bob", NOG, "get", "ns", "", "widgets", NULL, NULL, ALLOW,
	  CRB("bob", "wild-groups", "User \"bob\"")),
	R("bob", NOG, "list", "ns", "", "widgets", NULL, NULL, NOOP, ""),
	/* subresources */
	R("carol", NOG, "create", "ns", "", "serviceaccounts", "token", "sa",
	  ALLOW, CRB("carol", "subres", "User \"carol\"")),
	R("carol", NOG, "create", "ns", "", "serviceaccounts", NULL, NULL, NOOP,
	  ""),
	R("carol", NOG, "get", "ns", "", "pods", "log", "p", NOOP, ""),
	R("carol", NOG, "get", "ns", "", "pods", NULL, "p", NOOP, ""),
	R("carol", NOG, "get", "ns", "", "pods", "*", "p", ALLOW,
	  CRB("carol", "subres", "User \"carol\"")),
	R("carol", NOG, "update", "ns", "apps", "deployments", "scale", "d",
	  ALLOW, CRB("carol", "subres", "User \"carol\"")),
	R("carol", NOG, "update", "ns", "apps", "deployments", NULL, "d", NOOP,
	  ""),
	R("carol", NOG, "update", "ns", "apps", "deployments", "xscale", "d",
	  NOOP, ""),
	/* non-resource URLs with a trailing * */
	U("dave", NOG, "get", "/logs/a/b", ALLOW,
	  CRB("dave", "urls", "User \"dave\"")),
	U("dave", NOG, "get", "/logs/", ALLOW,
	  CRB("dave", "urls", "User \"dave\"")),
	U("dave", NOG, "get", "/logs", NOOP, ""),
	U("dave", NOG, "get", "/metrics", ALLOW,
	  CRB("dave", "urls", "User \"dave\"")),
	U("dave", NOG, "get", "/metrics/x", NOOP, ""),
	U("dave", NOG, "post", "/metrics", NOOP, ""),
	R("dave", NOG, "get", NULL, "", "metrics", NULL, NULL, NOOP, ""),
	/* ServiceAccount subjects of ClusterRoleBindings need a namespace */
	R(SA("default", "rogue"), NOG, "get", "default", "", "pods", NULL, NULL,
	  NOOP, ""),
	R(SA("kube-system", "reviewer"), NOG, "create", NULL,
	  "authentication.k8s.io", "tokenreviews", NULL, NULL, ALLOW,
	  CRB("tokenreviewer", "system:auth-delegator",
	      "ServiceAccount \"reviewer/kube-system\"")),
	R(SA("kube-system", "reviewer"), NOG, "create", NULL,
	  "authorization.k8s.io", "subjectaccessreviews", NULL, NULL, ALLOW,
	  CRB("tokenreviewer", "system:auth-delegator",
	      "ServiceAccount \"reviewer/kube-system\"")),
	R("kube-system:reviewer", NOG, "create", NULL, "authentication.k8s.io",
	  "tokenreviews", NULL, NULL, NOOP, ""),
	/* missing roles: errors, aggregated and de-duplicated */
	R("erin", NOG, "get", NULL, "", "pods", NULL, NULL, NOOP,
	  "RBAC: " NF("clusterrole", "missing2")),
	R("erin", NOG, "get", "team", "", "pods", NULL, NULL, NOOP,
	  "RBAC: [" NF("clusterrole", "missing2") ", " NF("clusterrole",
	                                                  "nope") "]"),
	R("erin", NOG, "get", "team2", "", "pods", NULL, NULL, NOOP,
	  "RBAC: [" NF("clusterrole", "missing2") ", " NF("role",
	                                                  "absent") "]"),
	R("erin", NOG, "get", "team3", "", "pods", NULL, NULL, NOOP,
	  "RBAC: [" NF(
		  "clusterrole",
		  "missing2") ", "
	                      "unsupported role reference kind: \"Policy\"]"),
	/* a binding whose role is missing does not stop another allowing */
	R("erin", G(AUTHED), "create", NULL, "authorization.k8s.io",
	  "selfsubjectaccessreviews", NULL, NULL, ALLOW, BASIC),
};

static void
test_authz_rbac_table(void **state)
{
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct mapi_authz_attrs at = {
			.user = r->user,
			.groups = r->groups,
			.ngroups = 0,
			.verb = r->verb,
			.resource_request = r->res,
			.ns = r->ns,
			.api_group = r->group,
			.resource = r->resource,
			.subresource = r->sub,
			.name = r->name,
			.path = r->path,
		};
		enum mapi_authz_decision d = MAPI_AUTHZ_DENY;
		char *reason = NULL;

		while (at.ngroups < 4 && r->groups[at.ngroups] != NULL) {
			at.ngroups++;
		}
		assert_int_equal(mapi_authz_check(f->authz, &at, &d, &reason),
		                 MAPI_OK);
		if ((int)d != r->want || strcmp(reason, r->reason) != 0) {
			fail_msg("row %zu (%s %s %s/%s): got %d %s", i, r->user,
			         r->verb, r->res ? r->resource : r->path,
			         r->sub ? r->sub : "", (int)d, reason);
		}
		free(reason);
	}
}

static void
test_authz_reason_is_optional(void **state)
{
	struct fixture *f = *state;
	static const char *const groups[] = { AUTHED };
	struct mapi_authz_attrs at = { .user = "jane",
		                       .groups = groups,
		                       .ngroups = 1,
		                       .verb = "get",
		                       .path = "/api" };
	enum mapi_authz_decision d = MAPI_AUTHZ_DENY;

	assert_int_equal(mapi_authz_check(f->authz, &at, &d, NULL), MAPI_OK);
	assert_int_equal(d, MAPI_AUTHZ_ALLOW);
}

static void
test_authz_sees_store_changes_on_the_next_check(void **state)
{
	struct fixture *f = *state;
	struct mapi_authz_attrs at = { .user = SA("default", "x"),
		                       .verb = "list",
		                       .resource_request = true,
		                       .ns = "default",
		                       .api_group = "",
		                       .resource = "pods" };
	enum mapi_authz_decision d = MAPI_AUTHZ_DENY;
	char *reason = NULL;
	cJSON *it;
	int i = 0;

	/* Delete the RoleBinding "b": the next check is refused. */
	cJSON_ArrayForEach(it, f->store.objects) {
		if (strcmp(field(it, "metadata", "name"), "b") == 0) {
			break;
		}
		i++;
	}
	assert_non_null(it);
	cJSON_DeleteItemFromArray(f->store.objects, i);
	assert_int_equal(mapi_authz_check(f->authz, &at, &d, &reason), MAPI_OK);
	assert_int_equal(d, MAPI_AUTHZ_NO_OPINION);
	assert_string_equal(reason, "");
	free(reason);
}

/*
 * With a version function, a repeated check is answered from the cache
 * (no list through the seam) with the same decision and reason; a new
 * version, a different attribute or a flush evaluates again; RBAC
 * changes are seen once the version moves.
 */
static void
test_authz_decision_cache(void **state)
{
	struct fixture *f = *state;
	struct mapi_authz_attrs at = { .user = SA("default", "x"),
		                       .verb = "list",
		                       .resource_request = true,
		                       .ns = "default",
		                       .api_group = "",
		                       .resource = "pods" };
	enum mapi_authz_decision d = MAPI_AUTHZ_DENY;
	char *r1 = NULL, *r2 = NULL;
	cJSON *it;
	int i = 0, lists;

	mapi_authz_set_version_fn(f->authz, fake_version);
	f->store.version = 7;
	assert_int_equal(mapi_authz_check(f->authz, &at, &d, &r1), MAPI_OK);
	assert_int_equal(d, MAPI_AUTHZ_ALLOW);
	lists = f->store.lists;
	assert_true(lists > 0);
	d = MAPI_AUTHZ_DENY;
	assert_int_equal(mapi_authz_check(f->authz, &at, &d, &r2), MAPI_OK);
	assert_int_equal(d, MAPI_AUTHZ_ALLOW);
	assert_int_equal(f->store.lists, lists); /* a hit: no seam call */
	assert_string_equal(r1, r2);
	assert_ptr_not_equal(r1, r2); /* a fresh copy */
	free(r2);
	r2 = NULL;
	assert_int_equal(mapi_authz_check(f->authz, &at, &d, NULL), MAPI_OK);
	assert_int_equal(f->store.lists, lists);

	/* Another verb is another key. */
	at.verb = "get";
	assert_int_equal(mapi_authz_check(f->authz, &at, &d, NULL), MAPI_OK);
	assert_true(f->store.lists > lists);
	at.verb = "list";

	/* Delete RoleBinding "b" without a new version: still cached. */
	cJSON_ArrayForEach(it, f->store.objects) {
		if (strcmp(field(it, "metadata", "name"), "b") == 0) {
			break;
		}
		i++;
	}
	assert_non_null(it);
	cJSON_DeleteItemFromArray(f->store.objects, i);
	assert_int_equal(mapi_authz_check(f->authz, &at, &d, NULL), MAPI_OK);
	assert_int_equal(d, MAPI_AUTHZ_ALLOW);
	/* A flush, or the version moving, sees the change. */
	mapi_authz_flush(f->authz);
	assert_int_equal(mapi_authz_check(f->authz, &at, &d, &r2), MAPI_OK);
	assert_int_equal(d, MAPI_AUTHZ_NO_OPINION);
	assert_string_equal(r2, "");
	free(r2);
	f->store.version = 8;
	d = MAPI_AUTHZ_ALLOW;
	lists = f->store.lists;
	assert_int_equal(mapi_authz_check(f->authz, &at, &d, NULL), MAPI_OK);
	assert_int_equal(d, MAPI_AUTHZ_NO_OPINION);
	assert_true(f->store.lists > lists);
	free(r1);
}

static void
test_authz_seam_errors_are_returned_and_outputs_untouched(void **state)
{
	struct fixture *f = *state;
	struct mapi_authz_attrs at = { .user = "erin",
		                       .verb = "get",
		                       .resource_request = true,
		                       .resource = "pods" };
	enum mapi_authz_decision d = (enum mapi_authz_decision)77;
	char *reason = (char *)"untouched";
	cJSON *status = (cJSON *)&d;

	f->store.fail_list = MAPI_EIO;
	assert_int_equal(mapi_authz_check(f->authz, &at, &d, &reason),
	                 MAPI_EIO);
	assert_int_equal(
		mapi_authz_rules(f->authz, "erin", NULL, 0, "team", &status),
		MAPI_EIO);
	f->store.fail_list = MAPI_OK;
	f->store.fail_get = MAPI_EINTERNAL;
	assert_int_equal(mapi_authz_check(f->authz, &at, &d, &reason),
	                 MAPI_EINTERNAL);
	assert_int_equal((int)d, 77);
	assert_string_equal(reason, "untouched");
	assert_ptr_equal(status, (cJSON *)&d);
}

static void
test_authz_new_validates_arguments(void **state)
{
	struct mapi_authz *a = NULL;

	(void)state;
	assert_int_equal(
		mapi_authz_new(MAPI_AUTHZ_RBAC, NULL, fake_get, NULL, &a),
		MAPI_EINVAL);
	assert_int_equal(
		mapi_authz_new(MAPI_AUTHZ_RBAC, fake_list, NULL, NULL, &a),
		MAPI_EINVAL);
	assert_int_equal(mapi_authz_new((enum mapi_authz_mode)9, fake_list,
	                                fake_get, NULL, &a),
	                 MAPI_EINVAL);
	assert_null(a);
	mapi_authz_free(NULL);
}

static void
test_authz_always_allow(void **state)
{
	struct mapi_authz *a = NULL;
	struct mapi_authz_attrs at = { .user = ANON,
		                       .verb = "delete",
		                       .resource_request = true,
		                       .resource = "nodes",
		                       .name = "n" };
	enum mapi_authz_decision d = MAPI_AUTHZ_DENY;
	char *reason = NULL, *text;
	cJSON *status = NULL;

	(void)state;
	assert_int_equal(
		mapi_authz_new(MAPI_AUTHZ_ALWAYS_ALLOW, NULL, NULL, NULL, &a),
		MAPI_OK);
	assert_int_equal(mapi_authz_check(a, &at, &d, &reason), MAPI_OK);
	assert_int_equal(d, MAPI_AUTHZ_ALLOW);
	assert_string_equal(reason, "");
	free(reason);
	assert_int_equal(mapi_authz_rules(a, ANON, NULL, 0, "default", &status),
	                 MAPI_OK);
	text = cJSON_PrintUnformatted(status);
	assert_string_equal(
		text, "{\"resourceRules\":[{\"verbs\":[\"*\"],\"apiGroups\":"
		      "[\"*\"],\"resources\":[\"*\"]}],\"nonResourceRules\":"
		      "[{\"verbs\":[\"*\"],\"nonResourceURLs\":[\"*\"]}],"
		      "\"incomplete\":false}");
	cJSON_free(text);
	cJSON_Delete(status);
	mapi_authz_free(a);
}

/* ---- forbidden messages (reference §6) ---- */

static const struct {
	struct mapi_authz_attrs at;
	const char *reason;
	const char *want;
	const char *name, *group, *kind;
} forbidden[] = {
	{ { .user = SA("ns", "sa"),
	    .verb = "list",
	    .resource_request = true,
	    .ns = "default",
	    .api_group = "",
	    .resource = "pods" },
	  NULL,
	  "pods is forbidden: User \"system:serviceaccount:ns:sa\" cannot "
	  "list resource \"pods\" in API group \"\" in the namespace "
	  "\"default\"",
	  "",
	  "",
	  "pods" },
	{ { .user = "u",
	    .verb = "delete",
	    .resource_request = true,
	    .ns = "default",
	    .resource = "pods",
	    .name = "X" },
	  "",
	  "pods \"X\" is forbidden: User \"u\" cannot delete resource \"pods\""
	  " in API group \"\" in the namespace \"default\"",
	  "X",
	  "",
	  "pods" },
	{ { .user = "system:serviceaccount:team:ci",
	    .verb = "create",
	    .resource_request = true,
	    .ns = "team",
	    .api_group = "",
	    .api_version = "v1",
	    .resource = "serviceaccounts",
	    .subresource = "token",
	    .name = "app-sa" },
	  NULL,
	  "serviceaccounts \"app-sa\" is forbidden: User "
	  "\"system:serviceaccount:team:ci\" cannot create resource "
	  "\"serviceaccounts/token\" in API group \"\" in the namespace "
	  "\"team\"",
	  "app-sa",
	  "",
	  "serviceaccounts" },
	{ { .user = "u",
	    .verb = "list",
	    .resource_request = true,
	    .resource = "pods" },
	  NULL,
	  "pods is forbidden: User \"u\" cannot list resource \"pods\" in API "
	  "group \"\" at the cluster scope",
	  "",
	  "",
	  "pods" },
	{ { .user = SA("ns", "sa"),
	    .verb = "create",
	    .resource_request = true,
	    .api_group = "authentication.k8s.io",
	    .api_version = "v1",
	    .resource = "tokenreviews" },
	  NULL,
	  "tokenreviews.authentication.k8s.io is forbidden: User "
	  "\"system:serviceaccount:ns:sa\" cannot create resource "
	  "\"tokenreviews\" in API group \"authentication.k8s.io\" at the "
	  "cluster scope",
	  "",
	  "authentication.k8s.io",
	  "tokenreviews" },
	{ { .user = "u",
	    .verb = "get",
	    .resource_request = true,
	    .ns = "d",
	    .api_group = "rbac.authorization.k8s.io",
	    .resource = "roles",
	    .name = "r" },
	  NULL,
	  "roles.rbac.authorization.k8s.io \"r\" is forbidden: User \"u\" "
	  "cannot get resource \"roles\" in API group "
	  "\"rbac.authorization.k8s.io\" in the namespace \"d\"",
	  "r",
	  "rbac.authorization.k8s.io",
	  "roles" },
	{ { .user = ANON, .verb = "get", .path = "/api" },
	  NULL,
	  "forbidden: User \"system:anonymous\" cannot get path \"/api\"",
	  "",
	  "",
	  "" },
	{ { .user = "u",
	    .verb = "get",
	    .resource_request = true,
	    .ns = "d",
	    .resource = "pods" },
	  "RBAC: clusterrole.rbac.authorization.k8s.io \"x\" not found",
	  "pods is forbidden: User \"u\" cannot get resource \"pods\" in API "
	  "group \"\" in the namespace \"d\": RBAC: "
	  "clusterrole.rbac.authorization.k8s.io \"x\" not found",
	  "",
	  "",
	  "pods" },
	/* Go %q and the HTML sanitizer (which skips the reason) */
	{ { .user = "a\"b\\c\td\x01", .verb = "get", .path = "/x<y>&z" },
	  "<kept>",
	  "forbidden: User \"a\\\"b\\\\c\\td\\x01\" cannot get path "
	  "\"/x&lt;y&gt;&amp;z\": <kept>",
	  "",
	  "",
	  "" },
	{ { .user = "\xc3\xa9l\xc3\xa8ve\xff",
	    .verb = "get",
	    .path = "/\xc2\x85" },
	  NULL,
	  "forbidden: User \"\xc3\xa9l\xc3\xa8ve\\xff\" cannot get path "
	  "\"/\\u0085\"",
	  "",
	  "",
	  "" },
};

static void
test_authz_forbidden_messages_byte_for_byte(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		char buf[512];
		struct mapi_authz_forbidden_details det;
		size_t n = mapi_authz_forbidden_message(&forbidden[i].at,
		                                        forbidden[i].reason,
		                                        buf, sizeof(buf));

		assert_string_equal(buf, forbidden[i].want);
		assert_int_equal(n, strlen(forbidden[i].want));
		mapi_authz_forbidden_details(&forbidden[i].at, &det);
		assert_string_equal(det.name, forbidden[i].name);
		assert_string_equal(det.group, forbidden[i].group);
		assert_string_equal(det.kind, forbidden[i].kind);
	}
}

static void
test_authz_forbidden_message_truncates_like_snprintf(void **state)
{
	struct mapi_authz_attrs at = { .user = ANON,
		                       .verb = "get",
		                       .path = "/api" };
	char buf[12];
	size_t n;

	(void)state;
	memset(buf, 'Z', sizeof(buf));
	n = mapi_authz_forbidden_message(&at, NULL, buf, sizeof(buf));
	assert_int_equal(n, strlen("forbidden: User \"system:anonymous\" "
	                           "cannot get path \"/api\""));
	assert_string_equal(buf, "forbidden: ");
	assert_int_equal(mapi_authz_forbidden_message(&at, NULL, NULL, 0), n);
}

/* ---- rules review ---- */

static char *
rules_text(struct fixture *f, const char *user, const char *const *groups,
           size_t ngroups, const char *ns)
{
	cJSON *status = NULL;
	char *text;

	assert_int_equal(
		mapi_authz_rules(f->authz, user, groups, ngroups, ns, &status),
		MAPI_OK);
	text = cJSON_PrintUnformatted(status);
	cJSON_Delete(status);
	assert_non_null(text);
	return text;
}

#define BASIC_RULES                                                         \
	"{\"verbs\":[\"create\"],\"apiGroups\":[\"authorization.k8s.io\"]," \
	"\"resources\":[\"selfsubjectaccessreviews\","                      \
	"\"selfsubjectrulesreviews\"]},{\"verbs\":[\"create\"],"            \
	"\"apiGroups\":[\"authentication.k8s.io\"],"                        \
	"\"resources\":[\"selfsubjectreviews\"]}"
#define DISCO_RULES                                                          \
	"{\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/api\",\"/api/*\","     \
	"\"/apis\",\"/apis/*\",\"/healthz\",\"/livez\",\"/openapi\","        \
	"\"/openapi/*\",\"/readyz\",\"/version\",\"/version/\"]},"           \
	"{\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/healthz\",\"/livez\"," \
	"\"/readyz\",\"/version\",\"/version/\"]}"

static void
test_authz_rules_review_for_a_service_account(void **state)
{
	static const char *const groups[] = { SAS,
		                              "system:serviceaccounts:default",
		                              AUTHED };
	struct fixture *f = *state;
	char *text = rules_text(f, SA("default", "x"), groups, 3, "default");

	assert_string_equal(
		text,
		"{\"resourceRules\":[" BASIC_RULES ","
		"{\"verbs\":[\"get\",\"list\",\"watch\"],\"apiGroups\":[\"\"],"
		"\"resources\":[\"configmaps\",\"pods\",\"serviceaccounts\"]},"
		"{\"verbs\":[\"get\",\"list\",\"watch\"],\"apiGroups\":[\"\"],"
		"\"resources\":[\"namespaces\"]}],"
		"\"nonResourceRules\":[" DISCO_RULES ","
		"{\"verbs\":[\"get\"],\"nonResourceURLs\":["
		"\"/.well-known/openid-configuration\","
		"\"/.well-known/openid-configuration/\",\"/openid/v1/jwks\","
		"\"/openid/v1/jwks/\"]}],\"incomplete\":false}");
	cJSON_free(text);
}

static void
test_authz_rules_review_reports_missing_roles(void **state)
{
	struct fixture *f = *state;
	char *text = rules_text(f, "alice", NULL, 0, "team");

	assert_string_equal(text,
	                    "{\"resourceRules\":[{\"verbs\":[\"get\",\"list\"],"
	                    "\"apiGroups\":[\"\"],\"resources\":[\"pods\"],"
	                    "\"resourceNames\":[\"web\"]}],"
	                    "\"nonResourceRules\":[],\"incomplete\":false}");
	cJSON_free(text);
	text = rules_text(f, "erin", NULL, 0, "team");
	assert_string_equal(
		text, "{\"resourceRules\":[],\"nonResourceRules\":[],"
		      "\"incomplete\":false,\"evaluationError\":\"["
		      "clusterrole.rbac.authorization.k8s.io \\\"missing2\\\" "
		      "not found, clusterrole.rbac.authorization.k8s.io "
		      "\\\"nope\\\" not found]\"}");
	cJSON_free(text);
	/* Without a namespace only cluster bindings count. */
	text = rules_text(f, "erin", NULL, 0, NULL);
	assert_string_equal(
		text, "{\"resourceRules\":[],\"nonResourceRules\":[],"
		      "\"incomplete\":false,\"evaluationError\":"
		      "\"clusterrole.rbac.authorization.k8s.io \\\"missing2\\\""
		      " not found\"}");
	cJSON_free(text);
}

static void
test_authz_rules_review_for_masters(void **state)
{
	static const char *const groups[] = { "system:masters" };
	struct fixture *f = *state;
	char *text = rules_text(f, "admin", groups, 1, NULL);

	assert_string_equal(text,
	                    "{\"resourceRules\":[{\"verbs\":[\"*\"],"
	                    "\"apiGroups\":[\"*\"],\"resources\":[\"*\"]}],"
	                    "\"nonResourceRules\":[{\"verbs\":[\"*\"],"
	                    "\"nonResourceURLs\":[\"*\"]}],"
	                    "\"incomplete\":false}");
	cJSON_free(text);
}

/* ---- bootstrap policy ---- */

static const cJSON *
find_item(const cJSON *items, const char *kind, const char *name)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, items) {
		if (strcmp(field(it, "kind", NULL), kind) == 0 &&
		    strcmp(field(it, "metadata", "name"), name) == 0) {
			return it;
		}
	}
	return NULL;
}

static char *
item_text(const cJSON *items, const char *kind, const char *name)
{
	const cJSON *it = find_item(items, kind, name);
	char *text;

	assert_non_null(it);
	text = cJSON_PrintUnformatted(it);
	assert_non_null(text);
	return text;
}

#define META(n, extra)                                                      \
	"\"metadata\":{\"name\":\"" n "\",\"labels\":{"                     \
	"\"kubernetes.io/bootstrapping\":\"rbac-defaults\"" extra "},"      \
	"\"annotations\":{\"rbac.authorization.kubernetes.io/autoupdate\":" \
	"\"true\"}}"
#define HEAD(kind)                               \
	"{\"kind\":\"" kind "\",\"apiVersion\":" \
	"\"rbac.authorization.k8s.io/v1\","
#define GROUP(g)                            \
	"{\"kind\":\"Group\",\"apiGroup\":" \
	"\"rbac.authorization.k8s.io\",\"name\":\"" g "\"}"
#define REF(r)                                                     \
	"\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\"," \
	"\"kind\":\"ClusterRole\",\"name\":\"" r "\"}}"

static void
test_authz_bootstrap_policy_objects(void **state)
{
	static const char *const roles[] = {
		"cluster-admin",
		"admin",
		"edit",
		"view",
		"system:auth-delegator",
		"system:basic-user",
		"system:discovery",
		"system:public-info-viewer",
		"system:service-account-issuer-discovery",
	};
	cJSON *list = NULL;
	const cJSON *items, *it;
	char *text;
	size_t i;

	(void)state;
	assert_int_equal(mapi_authz_bootstrap_policy(&list), MAPI_OK);
	assert_string_equal(field(list, "kind", NULL), "List");
	assert_string_equal(field(list, "apiVersion", NULL), "v1");
	items = cJSON_GetObjectItemCaseSensitive(list, "items");
	assert_int_equal(cJSON_GetArraySize(items), 14);
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		assert_non_null(find_item(items, "ClusterRole", roles[i]));
	}
	cJSON_ArrayForEach(it, items) {
		const cJSON *meta =
			cJSON_GetObjectItemCaseSensitive(it, "metadata");

		assert_string_equal(
			field(meta, "labels", "kubernetes.io/bootstrapping"),
			"rbac-defaults");
		assert_string_equal(
			field(meta, "annotations",
		              "rbac.authorization.kubernetes.io/autoupdate"),
			"true");
	}

	text = item_text(items, "ClusterRoleBinding", "cluster-admin");
	assert_string_equal(
		text,
		HEAD("ClusterRoleBinding")
			META("cluster-admin", "") ",\"subjects\":[" GROUP(
				"system:masters") "]," REF("cluster-admin"));
	cJSON_free(text);
	text = item_text(items, "ClusterRoleBinding",
	                 "system:public-info-viewer");
	assert_string_equal(
		text,
		HEAD("ClusterRoleBinding")
			META("system:public-info-viewer", "") ",\"subjects\":"
	                                                      "[" GROUP("system"
	                                                                ":authe"
	                                                                "nticat"
	                                                                "ed") "," GROUP(
								      "system:"
	                                                              "unauthen"
	                                                              "ticated") "]," REF("system:public-info-viewer"));
	cJSON_free(text);
	text = item_text(items, "ClusterRoleBinding",
	                 "system:service-account-issuer-discovery");
	assert_non_null(strstr(
		text, "\"subjects\":[" GROUP("system:serviceaccounts") "]"));
	cJSON_free(text);
	text = item_text(items, "ClusterRoleBinding", "system:discovery");
	assert_non_null(strstr(
		text, "\"subjects\":[" GROUP("system:authenticated") "]"));
	cJSON_free(text);
	text = item_text(items, "ClusterRoleBinding", "system:basic-user");
	assert_non_null(strstr(
		text, "\"subjects\":[" GROUP("system:authenticated") "]"));
	cJSON_free(text);

	text = item_text(items, "ClusterRole", "cluster-admin");
	assert_string_equal(
		text,
		HEAD("ClusterRole") META(
			"cluster-admin",
			"") ",\"rules\":[{\"verbs\":[\"*\"],\"apiGroups\":"
			    "[\"*\"],\"resources\":[\"*\"]},{\"verbs\":[\"*\"],"
			    "\"nonResourceURLs\":[\"*\"]}]}");
	cJSON_free(text);
	text = item_text(items, "ClusterRole", "view");
	assert_string_equal(
		text,
		HEAD("ClusterRole") META(
			"view",
			",\"rbac.authorization"
			".k8s.io/aggregate-to-"
			"edit\":\"true\"") ",\"rules\":[{\"verbs\":[\"get\","
	                                   "\"list\",\"watch\"],"
					   "\"apiGroups\":[\"\"],\"resources\":"
	                                   "[\"configmaps\",\"pods\","
					   "\"serviceaccounts\"]},{\"verbs\":["
	                                   "\"get\",\"list\",\"watch\"],"
					   "\"apiGroups\":[\"\"],\"resources\":"
	                                   "[\"namespaces\"]}],"
					   "\"aggregationRule\":{"
	                                   "\"clusterRoleSelectors\":[{"
	                                   "\"matchLabels"
					   "\":{\"rbac.authorization.k8s.io/"
	                                   "aggregate-to-view\":\"true\"}}"
					   "]}}");
	assert_null(strstr(text, "secrets"));
	cJSON_free(text);
	text = item_text(items, "ClusterRole", "edit");
	assert_non_null(strstr(text, "{\"verbs\":[\"create\"],\"apiGroups\":"
	                             "[\"\"],\"resources\":"
	                             "[\"serviceaccounts/token\"]}"));
	assert_non_null(strstr(text, "{\"verbs\":[\"impersonate\"]"));
	assert_null(strstr(text, "rolebindings"));
	cJSON_free(text);
	text = item_text(items, "ClusterRole", "admin");
	assert_non_null(strstr(text, "\"resources\":[\"rolebindings\","
	                             "\"roles\"]"));
	assert_non_null(strstr(text, "localsubjectaccessreviews"));
	cJSON_free(text);
	text = item_text(items, "ClusterRole", "system:auth-delegator");
	assert_non_null(strstr(text, "\"rules\":[{\"verbs\":[\"create\"],"
	                             "\"apiGroups\":[\"authentication.k8s.io\"]"
	                             ",\"resources\":[\"tokenreviews\"]},"
	                             "{\"verbs\":[\"create\"],\"apiGroups\":"
	                             "[\"authorization.k8s.io\"],\"resources\":"
	                             "[\"subjectaccessreviews\"]}]"));
	cJSON_free(text);
	cJSON_Delete(list);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_authz_rbac_table, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_authz_reason_is_optional,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_authz_sees_store_changes_on_the_next_check, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_authz_decision_cache,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_authz_seam_errors_are_returned_and_outputs_untouched,
			setup, teardown),
		cmocka_unit_test(test_authz_new_validates_arguments),
		cmocka_unit_test(test_authz_always_allow),
		cmocka_unit_test(test_authz_forbidden_messages_byte_for_byte),
		cmocka_unit_test(
			test_authz_forbidden_message_truncates_like_snprintf),
		cmocka_unit_test_setup_teardown(
			test_authz_rules_review_for_a_service_account, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_authz_rules_review_reports_missing_roles, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_authz_rules_review_for_masters, setup, teardown),
		cmocka_unit_test(test_authz_bootstrap_policy_objects),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("authz", tests, NULL, NULL);
}
