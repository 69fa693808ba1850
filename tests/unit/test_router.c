/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "server/router.h"
#include "th.h"

/* Table rows leave trailing fields out on purpose: they mean "". */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* One row: input, expected result, and the expected route when MAPI_OK. */
struct row {
	const char *method;
	const char *path;
	const char *query;
	enum mapi_err err;
	enum mapi_endpoint ep;
	const char *verb; /* verb_name */
	const char *group;
	const char *version;
	const char *resource;
	const char *ns;
	const char *name;
	const char *sub;
	const char *rest;
};

#define OK  MAPI_OK
#define NF  MAPI_ENOTFOUND
#define BAD MAPI_EINVAL
#define R   MAPI_EP_RESOURCE

static const struct row rows[] = {
	/* Non-resource endpoints. */
	{ "GET", "/", NULL, OK, MAPI_EP_ROOT, "get" },
	{ "GET", "/version", "timeout=32s", OK, MAPI_EP_VERSION, "get" },
	{ "POST", "/version", NULL, OK, MAPI_EP_VERSION, "post" },
	{ "GET", "/version/", NULL, NF },
	{ "GET", "/healthz", NULL, OK, MAPI_EP_HEALTHZ, "get" },
	{ "GET", "/healthz/ping", NULL, OK, MAPI_EP_HEALTHZ, "get",
	  .rest = "ping" },
	{ "GET", "/healthz/poststarthook/x", NULL, OK, MAPI_EP_HEALTHZ, "get",
	  .rest = "poststarthook/x" },
	{ "GET", "/livez", "verbose", OK, MAPI_EP_LIVEZ, "get" },
	{ "GET", "/readyz/etcd", NULL, OK, MAPI_EP_READYZ, "get",
	  .rest = "etcd" },
	{ "GET", "/api", NULL, OK, MAPI_EP_API, "get" },
	{ "GET", "/api/v1", NULL, OK, MAPI_EP_GROUP_VERSION, "get", "", "v1" },
	{ "GET", "/api/v2", NULL, NF },
	{ "GET", "/apis", NULL, OK, MAPI_EP_APIS, "get" },
	{ "GET", "/apis/rbac.authorization.k8s.io", NULL, OK, MAPI_EP_GROUP,
	  "get", "rbac.authorization.k8s.io" },
	{ "GET", "/apis/authentication.k8s.io/v1", NULL, OK,
	  MAPI_EP_GROUP_VERSION, "get", "authentication.k8s.io", "v1" },
	{ "GET", "/openapi/v2", NULL, OK, MAPI_EP_OPENAPI_V2, "get" },
	{ "GET", "/openapi/v3", NULL, OK, MAPI_EP_OPENAPI_V3, "get" },
	{ "GET", "/openapi/v3/apis/authentication.k8s.io/v1", "hash=X", OK,
	  MAPI_EP_OPENAPI_V3_PATH, "get",
	  .rest = "apis/authentication.k8s.io/v1" },
	{ "GET", "/openapi/v1", NULL, NF },
	{ "GET", "/.well-known/openid-configuration", NULL, OK,
	  MAPI_EP_OIDC_CONFIG, "get" },
	{ "GET", "/openid/v1/jwks", NULL, OK, MAPI_EP_OIDC_JWKS, "get" },
	{ "GET", "/openid/v1/jwks/x", NULL, NF },
	{ "PUT", "/mock/v1/clock", NULL, OK, MAPI_EP_MOCK_API, "put",
	  .resource = "clock" },
	{ "POST", "/mock/v1/clock/advance", NULL, OK, MAPI_EP_MOCK_API, "post",
	  .resource = "clock", .name = "advance" },
	{ "GET", "/mock/v1", NULL, NF },
	{ "GET", "/mock/ui/", NULL, OK, MAPI_EP_MOCK_UI, "get", .rest = "" },
	{ "GET", "/mock/ui", NULL, OK, MAPI_EP_MOCK_UI, "get", .rest = "" },
	{ "GET", "/mock/ui/app.js", NULL, OK, MAPI_EP_MOCK_UI, "get",
	  .rest = "app.js" },
	/* Core resources. */
	{ "GET", "/api/v1/pods", "limit=500", OK, R, "list", "", "v1", "pods" },
	{ "GET", "/api/v1/namespaces/default/pods", NULL, OK, R, "list", "",
	  "v1", "pods", "default" },
	{ "GET", "/api/v1/namespaces/default/pods", "watch=true", OK, R,
	  "watch", "", "v1", "pods", "default" },
	{ "GET", "/api/v1/namespaces/default/pods", "a=b&watch=1", OK, R,
	  "watch", "", "v1", "pods", "default" },
	{ "GET", "/api/v1/namespaces/default/pods", "watch=false", OK, R,
	  "list", "", "v1", "pods", "default" },
	{ "GET", "/api/v1/namespaces/default/pods", "watch=yes", OK, R, "list",
	  "", "v1", "pods", "default" },
	{ "GET", "/api/v1/namespaces/default/pods/p1", "watch=true", OK, R,
	  "get", "", "v1", "pods", "default", "p1" },
	{ "HEAD", "/api/v1/namespaces/default/pods/p1", NULL, OK, R, "get", "",
	  "v1", "pods", "default", "p1" },
	{ "POST", "/api/v1/namespaces/default/serviceaccounts", NULL, OK, R,
	  "create", "", "v1", "serviceaccounts", "default" },
	{ "POST", "/api/v1/namespaces/production/serviceaccounts/app-sa/token",
	  NULL, OK, R, "create", "", "v1", "serviceaccounts", "production",
	  "app-sa", "token" },
	{ "PUT", "/api/v1/namespaces/ns/pods/p/status", NULL, OK, R, "update",
	  "", "v1", "pods", "ns", "p", "status" },
	{ "PATCH", "/api/v1/namespaces/ns/pods/p", NULL, OK, R, "patch", "",
	  "v1", "pods", "ns", "p" },
	{ "DELETE", "/api/v1/namespaces/ns/pods/p", NULL, OK, R, "delete", "",
	  "v1", "pods", "ns", "p" },
	{ "DELETE", "/api/v1/namespaces/ns/pods", NULL, OK, R,
	  "deletecollection", "", "v1", "pods", "ns" },
	{ "OPTIONS", "/api/v1/pods", NULL, OK, R, "", "", "v1", "pods" },
	/* The namespace object and its subresources (RequestInfo quirk). */
	{ "GET", "/api/v1/namespaces", NULL, OK, R, "list", "", "v1",
	  "namespaces" },
	{ "GET", "/api/v1/namespaces/kube-system", NULL, OK, R, "get", "", "v1",
	  "namespaces", "kube-system", "kube-system" },
	{ "PUT", "/api/v1/namespaces/x/finalize", NULL, OK, R, "update", "",
	  "v1", "namespaces", "x", "x", "finalize" },
	{ "GET", "/api/v1/namespaces/x/status", NULL, OK, R, "get", "", "v1",
	  "namespaces", "x", "x", "status" },
	/* Cluster-scoped. */
	{ "GET", "/api/v1/nodes/n1", NULL, OK, R, "get", "", "v1", "nodes", "",
	  "n1" },
	{ "GET", "/api/v1/nodes/n1/proxy", NULL, OK, R, "get", "", "v1",
	  "nodes", "", "n1", "proxy" },
	/* Groups. */
	{ "POST", "/apis/authentication.k8s.io/v1/tokenreviews", NULL, OK, R,
	  "create", "authentication.k8s.io", "v1", "tokenreviews" },
	{ "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
	  NULL, OK, R, "create", "authorization.k8s.io", "v1",
	  "selfsubjectaccessreviews" },
	{ "POST",
	  "/apis/rbac.authorization.k8s.io/v1/namespaces/default/"
	  "rolebindings",
	  "fieldManager=kubectl-create&fieldValidation=Strict", OK, R, "create",
	  "rbac.authorization.k8s.io", "v1", "rolebindings", "default" },
	{ "GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/view", NULL,
	  OK, R, "get", "rbac.authorization.k8s.io", "v1", "clusterroles", "",
	  "view" },
	/* Percent-decoding and what is refused. */
	{ "GET", "/api/v1/namespaces/default/pods/a%2Db", NULL, OK, R, "get",
	  "", "v1", "pods", "default", "a-b" },
	{ "GET", "/api/v1/namespaces/default/pods/a%2Fb", NULL, NF },
	{ "GET", "/api/v1/namespaces/default/pods/a%2fb", NULL, NF },
	{ "GET", "/api/v1/namespaces/default/pods/a%00b", NULL, NF },
	{ "GET", "/api/v1/namespaces/default/pods/a%zzb", NULL, BAD },
	{ "GET", "/api/v1/namespaces/default/pods/a%2", NULL, BAD },
	{ "GET", "/api/v1/namespaces/default/pods/%", NULL, BAD },
	{ "GET", "/api/v1//pods", NULL, NF },
	{ "GET", "/api/v1/pods/", NULL, NF },
	{ "GET", "/api/v1/namespaces/../pods", NULL, NF },
	{ "GET", "/api/v1/namespaces/./pods", NULL, NF },
	{ "GET", "/api/v1/namespaces/%2E%2E/pods", NULL, NF },
	{ "GET", "/api/v1/namespaces/ns/pods/p/log/extra", NULL, NF },
	{ "GET", "/unknown", NULL, NF },
	{ "GET", "", NULL, NF },
	{ "GET", "version", NULL, NF },
	{ "GET", "//version", NULL, NF },
};

static void
check_field(const char *what, const char *got, const char *want, size_t row)
{
	if (strcmp(got, want != NULL ? want : "") != 0) {
		fail_msg("row %zu: %s is \"%s\", want \"%s\"", row, what, got,
		         want != NULL ? want : "");
	}
}

static void
test_router_table(void **state)
{
	size_t i;

	(void)state;
	assert_true(sizeof(rows) / sizeof(rows[0]) >= 40);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		struct mapi_route r;
		enum mapi_err err;

		memset(&r, 0x5a, sizeof(r));
		err = mapi_router_match(w->method, w->path, w->query, &r);
		if (err != w->err) {
			fail_msg("row %zu (%s %s): got %s, want %s", i,
			         w->method, w->path, mapi_err_name(err),
			         mapi_err_name(w->err));
		}
		if (err != MAPI_OK) {
			/* Unchanged on failure. */
			assert_int_equal(((unsigned char *)&r)[0], 0x5a);
			continue;
		}
		if (r.endpoint != w->ep) {
			fail_msg("row %zu (%s): endpoint %s, want %s", i,
			         w->path, mapi_endpoint_name(r.endpoint),
			         mapi_endpoint_name(w->ep));
		}
		assert_int_equal(r.resource_request, w->ep == R);
		check_field("verb", r.verb_name, w->verb, i);
		check_field("group", r.ref.group, w->group, i);
		check_field("version", r.ref.version, w->version, i);
		check_field("resource", r.ref.resource, w->resource, i);
		check_field("namespace", r.ref.ns, w->ns, i);
		check_field("name", r.ref.name, w->name, i);
		check_field("subresource", r.ref.subresource, w->sub, i);
		check_field("rest", r.rest, w->rest, i);
		if (r.resource_request) {
			assert_string_equal(mapi_verb_name(r.verb),
			                    r.verb_name);
		} else {
			assert_int_equal(r.verb, MAPI_VERB_NONE);
		}
	}
}

static void
test_router_rejects_overlong_segments(void **state)
{
	char path[600];
	struct mapi_route r;
	int n;

	(void)state;
	/* A 253-character name fits; 254 does not. */
	n = snprintf(path, sizeof(path), "/api/v1/namespaces/d/pods/%0253d", 0);
	assert_true(n > 0);
	assert_int_equal(mapi_router_match("GET", path, NULL, &r), MAPI_OK);
	assert_int_equal(strlen(r.ref.name), 253);
	(void)snprintf(path, sizeof(path), "/api/v1/namespaces/d/pods/%0254d",
	               0);
	assert_int_equal(mapi_router_match("GET", path, NULL, &r),
	                 MAPI_ENOTFOUND);
	/* Namespaces are DNS labels: 63 fits, 64 does not. */
	(void)snprintf(path, sizeof(path), "/api/v1/namespaces/%064d/pods", 0);
	assert_int_equal(mapi_router_match("GET", path, NULL, &r),
	                 MAPI_ENOTFOUND);
	(void)snprintf(path, sizeof(path), "/api/v1/namespaces/%063d/pods", 0);
	assert_int_equal(mapi_router_match("GET", path, NULL, &r), MAPI_OK);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_router_table),
		cmocka_unit_test(test_router_rejects_overlong_segments),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
