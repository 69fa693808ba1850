/* SPDX-License-Identifier: MIT */
#include "api/discovery.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#define V_ALL "create delete deletecollection get list patch update watch"
#define V_NS "create delete get list patch update watch"

/*
 * What mockapi serves. Verbs, short names and categories are those
 * kube-apiserver 1.32 lists for the same resources.
 */
static const struct mapi_api_resource table[] = {
	{ "", "v1", "configmaps", NULL, "configmap", "ConfigMap", true, V_ALL,
	  "cm", NULL, NULL, NULL },
	{ "", "v1", "namespaces", NULL, "namespace", "Namespace", false, V_NS,
	  "ns", NULL, NULL, NULL },
	{ "", "v1", "nodes", NULL, "node", "Node", false, V_ALL, "no", NULL,
	  NULL, NULL },
	{ "", "v1", "pods", NULL, "pod", "Pod", true, V_ALL, "po", "all", NULL,
	  NULL },
	{ "", "v1", "secrets", NULL, "secret", "Secret", true, V_ALL, NULL, NULL,
	  NULL, NULL },
	{ "", "v1", "serviceaccounts", NULL, "serviceaccount", "ServiceAccount",
	  true, V_ALL, "sa", NULL, NULL, NULL },
	{ "", "v1", "serviceaccounts", "token", "", "TokenRequest", true,
	  "create", NULL, NULL, "authentication.k8s.io", "v1" },
	{ "authentication.k8s.io", "v1", "selfsubjectreviews", NULL,
	  "selfsubjectreview", "SelfSubjectReview", false, "create", NULL, NULL,
	  NULL, NULL },
	{ "authentication.k8s.io", "v1", "tokenreviews", NULL, "tokenreview",
	  "TokenReview", false, "create", NULL, NULL, NULL, NULL },
	{ "authorization.k8s.io", "v1", "localsubjectaccessreviews", NULL,
	  "localsubjectaccessreview", "LocalSubjectAccessReview", true,
	  "create", NULL, NULL, NULL, NULL },
	{ "authorization.k8s.io", "v1", "selfsubjectaccessreviews", NULL,
	  "selfsubjectaccessreview", "SelfSubjectAccessReview", false, "create",
	  NULL, NULL, NULL, NULL },
	{ "authorization.k8s.io", "v1", "selfsubjectrulesreviews", NULL,
	  "selfsubjectrulesreview", "SelfSubjectRulesReview", false, "create",
	  NULL, NULL, NULL, NULL },
	{ "authorization.k8s.io", "v1", "subjectaccessreviews", NULL,
	  "subjectaccessreview", "SubjectAccessReview", false, "create", NULL,
	  NULL, NULL, NULL },
	{ "rbac.authorization.k8s.io", "v1", "clusterrolebindings", NULL,
	  "clusterrolebinding", "ClusterRoleBinding", false, V_ALL, NULL, NULL,
	  NULL, NULL },
	{ "rbac.authorization.k8s.io", "v1", "clusterroles", NULL,
	  "clusterrole", "ClusterRole", false, V_ALL, NULL, NULL, NULL, NULL },
	{ "rbac.authorization.k8s.io", "v1", "rolebindings", NULL,
	  "rolebinding", "RoleBinding", true, V_ALL, NULL, NULL, NULL, NULL },
	{ "rbac.authorization.k8s.io", "v1", "roles", NULL, "role", "Role",
	  true, V_ALL, NULL, NULL, NULL, NULL },
};

#define TABLE_N (sizeof(table) / sizeof(table[0]))

/* Groups in the order kube-apiserver lists them (by priority). */
static const char *const groups[] = {
	"authentication.k8s.io",
	"authorization.k8s.io",
	"rbac.authorization.k8s.io",
};

#define GROUPS_N (sizeof(groups) / sizeof(groups[0]))

const struct mapi_api_resource *
mapi_discovery_table(size_t *out_n)
{
	*out_n = TABLE_N;
	return table;
}

static bool
eq_opt(const char *a, const char *b)
{
	if (a == NULL || *a == '\0') {
		return b == NULL || *b == '\0';
	}
	return b != NULL && strcmp(a, b) == 0;
}

const struct mapi_api_resource *
mapi_discovery_find(const char *group, const char *resource, const char *sub)
{
	size_t i;

	for (i = 0; i < TABLE_N; i++) {
		if (eq_opt(table[i].group, group) &&
		    strcmp(table[i].resource, resource) == 0 &&
		    eq_opt(table[i].sub, sub)) {
			return &table[i];
		}
	}
	return NULL;
}

const struct mapi_api_resource *
mapi_discovery_find_kind(const char *group, const char *kind)
{
	size_t i;

	for (i = 0; i < TABLE_N; i++) {
		if (table[i].sub == NULL && eq_opt(table[i].group, group) &&
		    strcmp(table[i].kind, kind) == 0) {
			return &table[i];
		}
	}
	return NULL;
}

bool
mapi_discovery_has_group_version(const char *group, const char *version)
{
	size_t i;

	for (i = 0; i < TABLE_N; i++) {
		if (eq_opt(table[i].group, group) &&
		    strcmp(table[i].version, version) == 0) {
			return true;
		}
	}
	return false;
}

const char *
mapi_discovery_negotiate(const char *accept)
{
	const char *p = accept;

	/*
	 * client-go lists its preferences in order; the first media range
	 * that names APIGroupDiscoveryList decides. Parameters may come in
	 * any order, so look for each one inside the range.
	 */
	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char range[256];

		if (n < sizeof(range)) {
			memcpy(range, p, n);
			range[n] = '\0';
			if (strstr(range, "as=APIGroupDiscoveryList") != NULL &&
			    strstr(range, "g=apidiscovery.k8s.io") != NULL) {
				if (strstr(range, "v=v2beta1") != NULL) {
					return "v2beta1";
				}
				if (strstr(range, "v=v2") != NULL) {
					return "v2";
				}
			}
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

const char *
mapi_discovery_aggregated_content_type(const char *dversion)
{
	if (dversion != NULL && strcmp(dversion, "v2beta1") == 0) {
		return "application/json;g=apidiscovery.k8s.io;v=v2beta1;"
		       "as=APIGroupDiscoveryList";
	}
	return "application/json;g=apidiscovery.k8s.io;v=v2;"
	       "as=APIGroupDiscoveryList";
}

/* Adds a JSON array of the space-separated words in `words`. */
static bool
add_words(cJSON *obj, const char *key, const char *words)
{
	cJSON *arr = cJSON_AddArrayToObject(obj, key);
	const char *p = words;

	if (arr == NULL) {
		return false;
	}
	while (p != NULL && *p != '\0') {
		const char *sp = strchr(p, ' ');
		size_t n = sp ? (size_t)(sp - p) : strlen(p);
		char w[64];
		cJSON *s;

		if (n >= sizeof(w)) {
			return false;
		}
		memcpy(w, p, n);
		w[n] = '\0';
		s = cJSON_CreateString(w);
		if (s == NULL || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			return false;
		}
		p = sp ? sp + 1 : NULL;
	}
	return true;
}

static bool
add_group_version(cJSON *arr, const char *group)
{
	cJSON *gv = cJSON_CreateObject();
	char buf[128];

	if (gv == NULL || !cJSON_AddItemToArray(arr, gv)) {
		cJSON_Delete(gv);
		return false;
	}
	(void)snprintf(buf, sizeof(buf), "%s/v1", group);
	return cJSON_AddStringToObject(gv, "groupVersion", buf) != NULL &&
	       cJSON_AddStringToObject(gv, "version", "v1") != NULL;
}

/* {"name":g,"versions":[…],"preferredVersion":{…}} into obj. */
static bool
fill_group(cJSON *obj, const char *group)
{
	cJSON *versions;
	cJSON *pref;
	char buf[128];

	if (cJSON_AddStringToObject(obj, "name", group) == NULL) {
		return false;
	}
	versions = cJSON_AddArrayToObject(obj, "versions");
	if (versions == NULL || !add_group_version(versions, group)) {
		return false;
	}
	pref = cJSON_AddObjectToObject(obj, "preferredVersion");
	(void)snprintf(buf, sizeof(buf), "%s/v1", group);
	return pref != NULL &&
	       cJSON_AddStringToObject(pref, "groupVersion", buf) != NULL &&
	       cJSON_AddStringToObject(pref, "version", "v1") != NULL;
}

enum mapi_err
mapi_discovery_api_versions(const char *server_address, cJSON **out)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *arr;
	cJSON *cidr;
	cJSON *v1;

	if (doc == NULL || cJSON_AddStringToObject(doc, "kind", "APIVersions") ==
	                           NULL) {
		goto fail;
	}
	arr = cJSON_AddArrayToObject(doc, "versions");
	v1 = cJSON_CreateString("v1");
	if (arr == NULL || v1 == NULL || !cJSON_AddItemToArray(arr, v1)) {
		cJSON_Delete(v1);
		goto fail;
	}
	arr = cJSON_AddArrayToObject(doc, "serverAddressByClientCIDRs");
	cidr = cJSON_CreateObject();
	if (arr == NULL || cidr == NULL || !cJSON_AddItemToArray(arr, cidr)) {
		cJSON_Delete(cidr);
		goto fail;
	}
	if (cJSON_AddStringToObject(cidr, "clientCIDR", "0.0.0.0/0") == NULL ||
	    cJSON_AddStringToObject(cidr, "serverAddress", server_address) ==
	            NULL) {
		goto fail;
	}
	*out = doc;
	return MAPI_OK;
fail:
	cJSON_Delete(doc);
	return MAPI_ENOMEM;
}

enum mapi_err
mapi_discovery_group_list(cJSON **out)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *arr;
	size_t i;

	if (doc == NULL ||
	    cJSON_AddStringToObject(doc, "kind", "APIGroupList") == NULL ||
	    cJSON_AddStringToObject(doc, "apiVersion", "v1") == NULL ||
	    (arr = cJSON_AddArrayToObject(doc, "groups")) == NULL) {
		goto fail;
	}
	for (i = 0; i < GROUPS_N; i++) {
		cJSON *g = cJSON_CreateObject();

		if (g == NULL || !cJSON_AddItemToArray(arr, g)) {
			cJSON_Delete(g);
			goto fail;
		}
		if (!fill_group(g, groups[i])) {
			goto fail;
		}
	}
	*out = doc;
	return MAPI_OK;
fail:
	cJSON_Delete(doc);
	return MAPI_ENOMEM;
}

static bool
group_served(const char *group)
{
	size_t i;

	for (i = 0; i < GROUPS_N; i++) {
		if (strcmp(groups[i], group) == 0) {
			return true;
		}
	}
	return false;
}

enum mapi_err
mapi_discovery_group(const char *group, cJSON **out)
{
	cJSON *doc;

	if (group == NULL || !group_served(group)) {
		return MAPI_ENOTFOUND;
	}
	doc = cJSON_CreateObject();
	if (doc == NULL || cJSON_AddStringToObject(doc, "kind", "APIGroup") ==
	                           NULL ||
	    cJSON_AddStringToObject(doc, "apiVersion", "v1") == NULL ||
	    !fill_group(doc, group)) {
		cJSON_Delete(doc);
		return MAPI_ENOMEM;
	}
	*out = doc;
	return MAPI_OK;
}

/* One APIResource entry of a legacy APIResourceList. */
static bool
add_legacy_resource(cJSON *arr, const struct mapi_api_resource *r)
{
	cJSON *o = cJSON_CreateObject();
	char name[128];

	if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return false;
	}
	(void)snprintf(name, sizeof(name), "%s%s%s", r->resource,
	               r->sub ? "/" : "", r->sub ? r->sub : "");
	if (cJSON_AddStringToObject(o, "name", name) == NULL ||
	    cJSON_AddStringToObject(o, "singularName", r->singular) == NULL ||
	    cJSON_AddBoolToObject(o, "namespaced", r->namespaced) == NULL) {
		return false;
	}
	if (r->resp_group != NULL &&
	    (cJSON_AddStringToObject(o, "group", r->resp_group) == NULL ||
	     cJSON_AddStringToObject(o, "version", r->resp_version) == NULL)) {
		return false;
	}
	if (cJSON_AddStringToObject(o, "kind", r->kind) == NULL ||
	    !add_words(o, "verbs", r->verbs)) {
		return false;
	}
	if (r->short_names != NULL && !add_words(o, "shortNames",
	                                         r->short_names)) {
		return false;
	}
	if (r->categories != NULL && !add_words(o, "categories",
	                                        r->categories)) {
		return false;
	}
	return true;
}

enum mapi_err
mapi_discovery_resource_list(const char *group, const char *version,
                             cJSON **out)
{
	cJSON *doc;
	cJSON *arr;
	char gv[128];
	size_t i;

	if (group == NULL || version == NULL ||
	    !mapi_discovery_has_group_version(group, version)) {
		return MAPI_ENOTFOUND;
	}
	if (*group == '\0') {
		(void)snprintf(gv, sizeof(gv), "%s", version);
	} else {
		(void)snprintf(gv, sizeof(gv), "%s/%s", group, version);
	}
	doc = cJSON_CreateObject();
	if (doc == NULL ||
	    cJSON_AddStringToObject(doc, "kind", "APIResourceList") == NULL ||
	    cJSON_AddStringToObject(doc, "apiVersion", "v1") == NULL ||
	    cJSON_AddStringToObject(doc, "groupVersion", gv) == NULL ||
	    (arr = cJSON_AddArrayToObject(doc, "resources")) == NULL) {
		goto fail;
	}
	for (i = 0; i < TABLE_N; i++) {
		if (eq_opt(table[i].group, group) &&
		    strcmp(table[i].version, version) == 0 &&
		    !add_legacy_resource(arr, &table[i])) {
			goto fail;
		}
	}
	*out = doc;
	return MAPI_OK;
fail:
	cJSON_Delete(doc);
	return MAPI_ENOMEM;
}

static bool
add_response_kind(cJSON *o, const char *group, const char *version,
                  const char *kind)
{
	cJSON *rk = cJSON_AddObjectToObject(o, "responseKind");

	return rk != NULL &&
	       cJSON_AddStringToObject(rk, "group", group ? group : "") !=
	               NULL &&
	       cJSON_AddStringToObject(rk, "version", version ? version : "") !=
	               NULL &&
	       cJSON_AddStringToObject(rk, "kind", kind) != NULL;
}

/* One APIResourceDiscovery, with its subresources from the table. */
static bool
add_aggregated_resource(cJSON *arr, const struct mapi_api_resource *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *subs = NULL;
	size_t i;

	if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return false;
	}
	/* Core resources say "" for their own group and version. */
	if (cJSON_AddStringToObject(o, "resource", r->resource) == NULL ||
	    !add_response_kind(o, *r->group ? r->group : "",
	                       *r->group ? r->version : "", r->kind) ||
	    cJSON_AddStringToObject(o, "scope", r->namespaced ? "Namespaced"
	                                                      : "Cluster") ==
	            NULL ||
	    cJSON_AddStringToObject(o, "singularResource", r->singular) ==
	            NULL ||
	    !add_words(o, "verbs", r->verbs)) {
		return false;
	}
	if (r->short_names != NULL && !add_words(o, "shortNames",
	                                         r->short_names)) {
		return false;
	}
	if (r->categories != NULL && !add_words(o, "categories",
	                                        r->categories)) {
		return false;
	}
	for (i = 0; i < TABLE_N; i++) {
		const struct mapi_api_resource *s = &table[i];
		cJSON *so;

		if (s->sub == NULL || strcmp(s->group, r->group) != 0 ||
		    strcmp(s->resource, r->resource) != 0) {
			continue;
		}
		if (subs == NULL &&
		    (subs = cJSON_AddArrayToObject(o, "subresources")) == NULL) {
			return false;
		}
		so = cJSON_CreateObject();
		if (so == NULL || !cJSON_AddItemToArray(subs, so)) {
			cJSON_Delete(so);
			return false;
		}
		if (cJSON_AddStringToObject(so, "subresource", s->sub) == NULL ||
		    !add_response_kind(so, s->resp_group, s->resp_version,
		                       s->kind) ||
		    !add_words(so, "verbs", s->verbs)) {
			return false;
		}
	}
	return true;
}

/* One APIGroupDiscovery item for `group` ("" = core). */
static bool
add_aggregated_group(cJSON *items, const char *group)
{
	cJSON *item = cJSON_CreateObject();
	cJSON *meta;
	cJSON *versions;
	cJSON *v;
	cJSON *res;
	size_t i;

	if (item == NULL || !cJSON_AddItemToArray(items, item)) {
		cJSON_Delete(item);
		return false;
	}
	meta = cJSON_AddObjectToObject(item, "metadata");
	if (meta == NULL) {
		return false;
	}
	if (*group != '\0' &&
	    cJSON_AddStringToObject(meta, "name", group) == NULL) {
		return false;
	}
	if (cJSON_AddNullToObject(meta, "creationTimestamp") == NULL ||
	    (versions = cJSON_AddArrayToObject(item, "versions")) == NULL) {
		return false;
	}
	v = cJSON_CreateObject();
	if (v == NULL || !cJSON_AddItemToArray(versions, v)) {
		cJSON_Delete(v);
		return false;
	}
	if (cJSON_AddStringToObject(v, "version", "v1") == NULL ||
	    (res = cJSON_AddArrayToObject(v, "resources")) == NULL) {
		return false;
	}
	for (i = 0; i < TABLE_N; i++) {
		if (table[i].sub == NULL && strcmp(table[i].group, group) == 0 &&
		    !add_aggregated_resource(res, &table[i])) {
			return false;
		}
	}
	return cJSON_AddStringToObject(v, "freshness", "Current") != NULL;
}

enum mapi_err
mapi_discovery_aggregated(bool core, const char *dversion, cJSON **out)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *items;
	char av[64];
	size_t i;

	(void)snprintf(av, sizeof(av), "apidiscovery.k8s.io/%s",
	               dversion ? dversion : "v2");
	if (doc == NULL ||
	    cJSON_AddStringToObject(doc, "kind", "APIGroupDiscoveryList") ==
	            NULL ||
	    cJSON_AddStringToObject(doc, "apiVersion", av) == NULL ||
	    cJSON_AddObjectToObject(doc, "metadata") == NULL ||
	    (items = cJSON_AddArrayToObject(doc, "items")) == NULL) {
		goto fail;
	}
	if (core) {
		if (!add_aggregated_group(items, "")) {
			goto fail;
		}
	} else {
		for (i = 0; i < GROUPS_N; i++) {
			if (!add_aggregated_group(items, groups[i])) {
				goto fail;
			}
		}
	}
	*out = doc;
	return MAPI_OK;
fail:
	cJSON_Delete(doc);
	return MAPI_ENOMEM;
}

/* FNV-1a, for a stable ?hash= that changes only with the version. */
static unsigned long long
fnv1a(const char *a, const char *b)
{
	unsigned long long h = 1469598103934665603ULL;
	const char *s;

	for (s = a; *s != '\0'; s++) {
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	}
	for (s = b; *s != '\0'; s++) {
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	}
	return h;
}

static bool
add_index_entry(cJSON *paths, const char *gvpath, const char *kube_version)
{
	cJSON *e = cJSON_AddObjectToObject(paths, gvpath);
	char url[256];

	(void)snprintf(url, sizeof(url), "/openapi/v3/%s?hash=%016llX", gvpath,
	               fnv1a(gvpath, kube_version));
	return e != NULL &&
	       cJSON_AddStringToObject(e, "serverRelativeURL", url) != NULL;
}

enum mapi_err
mapi_openapi_v3_index(const char *kube_version, cJSON **out)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *paths;
	char gvpath[128];
	size_t i;

	if (doc == NULL || (paths = cJSON_AddObjectToObject(doc, "paths")) ==
	                           NULL ||
	    !add_index_entry(paths, "api/v1", kube_version)) {
		goto fail;
	}
	for (i = 0; i < GROUPS_N; i++) {
		(void)snprintf(gvpath, sizeof(gvpath), "apis/%s/v1", groups[i]);
		if (!add_index_entry(paths, gvpath, kube_version)) {
			goto fail;
		}
	}
	*out = doc;
	return MAPI_OK;
fail:
	cJSON_Delete(doc);
	return MAPI_ENOMEM;
}

/* paths["/…/{name}"].patch = {GVK, fieldValidation parameter}. */
static bool
add_patch_path(cJSON *paths, const struct mapi_api_resource *r)
{
	char path[256];
	char prefix[128];
	cJSON *item;
	cJSON *op;
	cJSON *gvk;
	cJSON *params;
	cJSON *p;
	cJSON *schema;

	if (*r->group == '\0') {
		(void)snprintf(prefix, sizeof(prefix), "/api/%s", r->version);
	} else {
		(void)snprintf(prefix, sizeof(prefix), "/apis/%s/%s", r->group,
		               r->version);
	}
	(void)snprintf(path, sizeof(path), "%s%s/%s/{name}", prefix,
	               r->namespaced ? "/namespaces/{namespace}" : "",
	               r->resource);
	item = cJSON_AddObjectToObject(paths, path);
	if (item == NULL || (op = cJSON_AddObjectToObject(item, "patch")) ==
	                            NULL) {
		return false;
	}
	if (cJSON_AddStringToObject(op, "x-kubernetes-action", "patch") ==
	            NULL ||
	    (gvk = cJSON_AddObjectToObject(op, "x-kubernetes-group-version-kind")) ==
	            NULL ||
	    cJSON_AddStringToObject(gvk, "group", r->group) == NULL ||
	    cJSON_AddStringToObject(gvk, "version", r->version) == NULL ||
	    cJSON_AddStringToObject(gvk, "kind", r->kind) == NULL ||
	    (params = cJSON_AddArrayToObject(op, "parameters")) == NULL) {
		return false;
	}
	p = cJSON_CreateObject();
	if (p == NULL || !cJSON_AddItemToArray(params, p)) {
		cJSON_Delete(p);
		return false;
	}
	return cJSON_AddStringToObject(p, "name", "fieldValidation") != NULL &&
	       cJSON_AddStringToObject(p, "in", "query") != NULL &&
	       (schema = cJSON_AddObjectToObject(p, "schema")) != NULL &&
	       cJSON_AddStringToObject(schema, "type", "string") != NULL &&
	       cJSON_AddBoolToObject(p, "uniqueItems", true) != NULL;
}

enum mapi_err
mapi_openapi_v3_doc(const char *gvpath, const char *kube_version, cJSON **out)
{
	const char *group = NULL;
	char gbuf[128];
	cJSON *doc;
	cJSON *info;
	cJSON *paths;
	size_t i;

	if (gvpath == NULL) {
		return MAPI_ENOTFOUND;
	}
	if (strcmp(gvpath, "api/v1") == 0) {
		group = "";
	} else if (strncmp(gvpath, "apis/", 5) == 0) {
		const char *slash = strchr(gvpath + 5, '/');
		size_t n = slash ? (size_t)(slash - (gvpath + 5)) : 0;

		if (slash == NULL || n >= sizeof(gbuf) ||
		    strcmp(slash, "/v1") != 0) {
			return MAPI_ENOTFOUND;
		}
		memcpy(gbuf, gvpath + 5, n);
		gbuf[n] = '\0';
		if (!group_served(gbuf)) {
			return MAPI_ENOTFOUND;
		}
		group = gbuf;
	} else {
		return MAPI_ENOTFOUND;
	}
	doc = cJSON_CreateObject();
	if (doc == NULL ||
	    cJSON_AddStringToObject(doc, "openapi", "3.0.0") == NULL ||
	    (info = cJSON_AddObjectToObject(doc, "info")) == NULL ||
	    cJSON_AddStringToObject(info, "title", "Kubernetes") == NULL ||
	    cJSON_AddStringToObject(info, "version", kube_version) == NULL ||
	    (paths = cJSON_AddObjectToObject(doc, "paths")) == NULL) {
		goto fail;
	}
	for (i = 0; i < TABLE_N; i++) {
		if (table[i].sub == NULL && strcmp(table[i].group, group) == 0 &&
		    !add_patch_path(paths, &table[i])) {
			goto fail;
		}
	}
	if (cJSON_AddObjectToObject(doc, "components") == NULL) {
		goto fail;
	}
	*out = doc;
	return MAPI_OK;
fail:
	cJSON_Delete(doc);
	return MAPI_ENOMEM;
}
