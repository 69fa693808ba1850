/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "api/discovery.h"

static char *
print(cJSON *doc)
{
	char *s = cJSON_PrintUnformatted(doc);

	assert_non_null(s);
	cJSON_Delete(doc);
	return s;
}

static void
test_discovery_negotiates_like_client_go(void **state)
{
	static const struct {
		const char *accept;
		const char *want;
	} rows[] = {
		{ "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
		  "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
		  "application/json",
		  "v2" },
		{ "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
		  "application/json",
		  "v2beta1" },
		{ "application/json;as=APIGroupDiscoveryList;v=v2;g=apidiscovery.k8s.io",
		  "v2" },
		{ "application/json, */*", NULL },
		{ "", NULL },
		{ NULL, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *got = mapi_discovery_negotiate(rows[i].accept);

		if (rows[i].want == NULL) {
			assert_null(got);
		} else {
			assert_non_null(got);
			assert_string_equal(got, rows[i].want);
		}
	}
}

static void
test_discovery_legacy_core_lists_token_subresource(void **state)
{
	cJSON *doc = NULL;
	char *s;

	(void)state;
	assert_int_equal(mapi_discovery_resource_list("", "v1", &doc), MAPI_OK);
	s = print(doc);
	assert_non_null(strstr(s, "\"kind\":\"APIResourceList\""));
	assert_non_null(strstr(s, "\"groupVersion\":\"v1\""));
	assert_non_null(strstr(
		s, "{\"name\":\"pods\",\"singularName\":\"pod\",\"namespaced\":"
		   "true,\"kind\":\"Pod\",\"verbs\":[\"create\",\"delete\","
		   "\"deletecollection\",\"get\",\"list\",\"patch\",\"update\","
		   "\"watch\"],\"shortNames\":[\"po\"],\"categories\":[\"all\"]}"));
	assert_non_null(strstr(
		s, "{\"name\":\"serviceaccounts/token\",\"singularName\":\"\","
		   "\"namespaced\":true,\"group\":\"authentication.k8s.io\","
		   "\"version\":\"v1\",\"kind\":\"TokenRequest\",\"verbs\":"
		   "[\"create\"]}"));
	free(s);
	assert_int_equal(mapi_discovery_resource_list("apps", "v1", &doc),
	                 MAPI_ENOTFOUND);
	assert_int_equal(mapi_discovery_resource_list("", "v2", &doc),
	                 MAPI_ENOTFOUND);
}

static void
test_discovery_aggregated_matches_reference_shape(void **state)
{
	cJSON *doc = NULL;
	char *s;

	(void)state;
	assert_int_equal(mapi_discovery_aggregated(true, "v2", &doc), MAPI_OK);
	s = print(doc);
	assert_memory_equal(
		s,
		"{\"kind\":\"APIGroupDiscoveryList\",\"apiVersion\":"
		"\"apidiscovery.k8s.io/v2\",\"metadata\":{},\"items\":[{"
		"\"metadata\":{\"creationTimestamp\":null},\"versions\":[{"
		"\"version\":\"v1\",\"resources\":[",
		strlen("{\"kind\":\"APIGroupDiscoveryList\",\"apiVersion\":"
		       "\"apidiscovery.k8s.io/v2\",\"metadata\":{},\"items\":[{"
		       "\"metadata\":{\"creationTimestamp\":null},\"versions\":[{"
		       "\"version\":\"v1\",\"resources\":["));
	assert_non_null(strstr(
		s, "{\"resource\":\"serviceaccounts\",\"responseKind\":{\"group\":"
		   "\"\",\"version\":\"\",\"kind\":\"ServiceAccount\"},\"scope\":"
		   "\"Namespaced\",\"singularResource\":\"serviceaccount\","));
	assert_non_null(strstr(
		s, "\"subresources\":[{\"subresource\":\"token\",\"responseKind\":"
		   "{\"group\":\"authentication.k8s.io\",\"version\":\"v1\","
		   "\"kind\":\"TokenRequest\"},\"verbs\":[\"create\"]}]"));
	assert_non_null(strstr(s, "\"freshness\":\"Current\""));
	free(s);

	assert_int_equal(mapi_discovery_aggregated(false, "v2beta1", &doc),
	                 MAPI_OK);
	s = print(doc);
	assert_non_null(strstr(s, "\"apiVersion\":\"apidiscovery.k8s.io/v2beta1\""));
	assert_non_null(strstr(s, "\"metadata\":{\"name\":\"rbac.authorization.k8s.io\""));
	assert_non_null(strstr(
		s, "{\"resource\":\"tokenreviews\",\"responseKind\":{\"group\":"
		   "\"authentication.k8s.io\",\"version\":\"v1\",\"kind\":"
		   "\"TokenReview\"},\"scope\":\"Cluster\""));
	free(s);
}

static void
test_discovery_legacy_groups(void **state)
{
	cJSON *doc = NULL;
	char *s;

	(void)state;
	assert_int_equal(mapi_discovery_api_versions("127.0.0.1:6443", &doc),
	                 MAPI_OK);
	s = print(doc);
	assert_string_equal(
		s, "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],"
		   "\"serverAddressByClientCIDRs\":[{\"clientCIDR\":\"0.0.0.0/0\","
		   "\"serverAddress\":\"127.0.0.1:6443\"}]}");
	free(s);
	assert_int_equal(mapi_discovery_group_list(&doc), MAPI_OK);
	s = print(doc);
	assert_non_null(strstr(
		s, "{\"name\":\"authentication.k8s.io\",\"versions\":[{"
		   "\"groupVersion\":\"authentication.k8s.io/v1\",\"version\":"
		   "\"v1\"}],\"preferredVersion\":{\"groupVersion\":"
		   "\"authentication.k8s.io/v1\",\"version\":\"v1\"}}"));
	free(s);
	assert_int_equal(mapi_discovery_group("authorization.k8s.io", &doc),
	                 MAPI_OK);
	s = print(doc);
	assert_non_null(strstr(s, "\"kind\":\"APIGroup\""));
	free(s);
	assert_int_equal(mapi_discovery_group("apps", &doc), MAPI_ENOTFOUND);
}

static void
test_discovery_find_rows(void **state)
{
	const struct mapi_api_resource *r;

	(void)state;
	r = mapi_discovery_find("", "serviceaccounts", "token");
	assert_non_null(r);
	assert_string_equal(r->kind, "TokenRequest");
	r = mapi_discovery_find(NULL, "pods", NULL);
	assert_non_null(r);
	assert_true(r->namespaced);
	assert_null(mapi_discovery_find("", "deployments", NULL));
	assert_null(mapi_discovery_find("", "pods", "exec"));
	r = mapi_discovery_find_kind("rbac.authorization.k8s.io", "RoleBinding");
	assert_non_null(r);
	assert_string_equal(r->resource, "rolebindings");
	assert_null(mapi_discovery_find_kind("", "TokenRequest"));
	assert_true(mapi_discovery_has_group_version("", "v1"));
	assert_false(mapi_discovery_has_group_version("apps", "v1"));
}

static void
test_discovery_openapi_v3_has_patch_gvk_and_field_validation(void **state)
{
	cJSON *doc = NULL;
	cJSON *op;
	char *s;

	(void)state;
	assert_int_equal(mapi_openapi_v3_index("v1.32.4", &doc), MAPI_OK);
	s = print(doc);
	assert_non_null(strstr(s, "\"apis/authentication.k8s.io/v1\":{"
	                          "\"serverRelativeURL\":\"/openapi/v3/apis/"
	                          "authentication.k8s.io/v1?hash="));
	free(s);
	assert_int_equal(mapi_openapi_v3_doc("apis/authentication.k8s.io/v1",
	                                     "v1.32.4", &doc),
	                 MAPI_OK);
	op = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(doc, "paths"),
			"/apis/authentication.k8s.io/v1/tokenreviews/{name}"),
		"patch");
	assert_non_null(op);
	s = cJSON_PrintUnformatted(op);
	assert_non_null(strstr(s, "\"x-kubernetes-group-version-kind\":{"
	                          "\"group\":\"authentication.k8s.io\","
	                          "\"version\":\"v1\",\"kind\":\"TokenReview\"}"));
	assert_non_null(strstr(s, "\"name\":\"fieldValidation\",\"in\":\"query\""));
	free(s);
	cJSON_Delete(doc);
	assert_int_equal(mapi_openapi_v3_doc("api/v1", "v1.32.4", &doc), MAPI_OK);
	assert_non_null(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(doc, "paths"),
		"/api/v1/namespaces/{namespace}/pods/{name}"));
	cJSON_Delete(doc);
	assert_int_equal(mapi_openapi_v3_doc("apis/apps/v1", "v1.32.4", &doc),
	                 MAPI_ENOTFOUND);
	assert_int_equal(mapi_openapi_v3_doc("apis/rbac.authorization.k8s.io/v2",
	                                     "v1.32.4", &doc),
	                 MAPI_ENOTFOUND);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discovery_negotiates_like_client_go),
		cmocka_unit_test(test_discovery_legacy_core_lists_token_subresource),
		cmocka_unit_test(test_discovery_aggregated_matches_reference_shape),
		cmocka_unit_test(test_discovery_legacy_groups),
		cmocka_unit_test(test_discovery_find_rows),
		cmocka_unit_test(
			test_discovery_openapi_v3_has_patch_gvk_and_field_validation),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("discovery", tests, NULL, NULL);
}
