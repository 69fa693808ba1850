/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "api/table.h"

/* 2025-01-01T00:00:00Z */
#define T0 INT64_C(1735689600)

static void
test_table_human_duration_matches_apimachinery(void **state)
{
	static const struct {
		int64_t d;
		const char *want;
	} rows[] = {
		{ -5, "<invalid>" },  { -1, "0s" },      { 0, "0s" },
		{ 59, "59s" },        { 119, "119s" },   { 120, "2m" },
		{ 125, "2m5s" },      { 599, "9m59s" },  { 600, "10m" },
		{ 10799, "179m" },    { 10800, "3h" },   { 11400, "3h10m" },
		{ 28799, "7h59m" },   { 28800, "8h" },   { 172799, "47h" },
		{ 172800, "2d" },     { 421200, "4d21h" }, { 691200, "8d" },
		{ 63071999, "729d" }, { 63072000, "2y" }, { 65664000, "2y30d" },
		{ 252288000, "8y" },
	};
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		mapi_table_human_duration(rows[i].d, buf, sizeof(buf));
		if (strcmp(buf, rows[i].want) != 0) {
			fail_msg("%lld: got %s want %s", (long long)rows[i].d, buf,
			         rows[i].want);
		}
	}
}

static const char pods_json[] =
	"[{\"metadata\":{\"name\":\"p1\",\"namespace\":\"default\","
	"\"creationTimestamp\":\"2025-01-01T00:00:00Z\",\"labels\":{\"app\":"
	"\"p1\"}},\"spec\":{\"nodeName\":\"node-1\",\"containers\":[{\"name\":"
	"\"main\"},{\"name\":\"side\"}]},\"status\":{\"phase\":\"Running\","
	"\"podIP\":\"10.0.0.5\",\"containerStatuses\":[{\"name\":\"main\","
	"\"ready\":true,\"restartCount\":2,\"state\":{\"running\":{}}},"
	"{\"name\":\"side\",\"ready\":false,\"restartCount\":1,\"state\":"
	"{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}}}]}},"
	"{\"metadata\":{\"name\":\"p2\",\"namespace\":\"default\","
	"\"creationTimestamp\":\"2025-01-01T00:00:00Z\",\"deletionTimestamp\":"
	"\"2025-01-01T00:10:00Z\"},\"spec\":{\"containers\":[{\"name\":\"c\"}]},"
	"\"status\":{\"phase\":\"Pending\"}}]";

static void
test_table_pod_rows_like_kubectl_get_pods(void **state)
{
	cJSON *items = cJSON_Parse(pods_json);
	cJSON *table = NULL;
	char *s;

	(void)state;
	assert_non_null(items);
	assert_int_equal(mapi_table_build("", "pods", items, "1001", NULL,
	                                  T0 + 421200, MAPI_TABLE_METADATA,
	                                  &table),
	                 MAPI_OK);
	s = cJSON_PrintUnformatted(table);
	assert_non_null(strstr(s, "\"kind\":\"Table\",\"apiVersion\":"
	                          "\"meta.k8s.io/v1\",\"metadata\":{"
	                          "\"resourceVersion\":\"1001\"}"));
	assert_non_null(strstr(s, "\"cells\":[\"p1\",\"1/2\","
	                          "\"CrashLoopBackOff\",\"3\",\"4d21h\","
	                          "\"10.0.0.5\",\"node-1\",\"<none>\","
	                          "\"<none>\"]"));
	assert_non_null(strstr(s, "\"cells\":[\"p2\",\"0/1\",\"Terminating\","
	                          "\"0\",\"4d21h\",\"<none>\",\"<none>\","
	                          "\"<none>\",\"<none>\"]"));
	assert_non_null(strstr(s, "\"object\":{\"kind\":\"PartialObjectMetadata\","
	                          "\"apiVersion\":\"meta.k8s.io/v1\","
	                          "\"metadata\":{\"name\":\"p1\""));
	assert_non_null(strstr(s, "{\"name\":\"Nominated Node\",\"type\":"
	                          "\"string\",\"format\":\"\",\"description\":"
	                          "\"Name of the nominated node.\",\"priority\":1}"));
	free(s);
	cJSON_Delete(table);

	assert_int_equal(mapi_table_build("", "pods", items, NULL, "abc", T0,
	                                  MAPI_TABLE_NONE, &table),
	                 MAPI_OK);
	s = cJSON_PrintUnformatted(table);
	assert_null(strstr(s, "\"object\""));
	assert_non_null(strstr(s, "\"metadata\":{\"continue\":\"abc\"}"));
	free(s);
	cJSON_Delete(table);
	cJSON_Delete(items);
}

static void
test_table_other_kinds(void **state)
{
	cJSON *items = cJSON_Parse(
		"[{\"metadata\":{\"name\":\"view-b\",\"creationTimestamp\":"
		"\"2025-01-01T00:00:00Z\"},\"roleRef\":{\"kind\":\"ClusterRole\","
		"\"name\":\"view\"},\"subjects\":[{\"kind\":\"ServiceAccount\","
		"\"name\":\"x\",\"namespace\":\"default\"},{\"kind\":\"User\","
		"\"name\":\"alice\"}]}]");
	cJSON *table = NULL;
	char *s;

	(void)state;
	assert_int_equal(mapi_table_build("rbac.authorization.k8s.io",
	                                  "rolebindings", items, "5", NULL,
	                                  T0 + 30, MAPI_TABLE_NONE, &table),
	                 MAPI_OK);
	s = cJSON_PrintUnformatted(table);
	assert_non_null(strstr(s, "\"cells\":[\"view-b\",\"ClusterRole/view\","
	                          "\"30s\",\"alice\",\"\",\"default/x\"]"));
	free(s);
	cJSON_Delete(table);
	cJSON_Delete(items);

	items = cJSON_Parse("[{\"metadata\":{\"name\":\"default\"}}]");
	assert_int_equal(mapi_table_build("", "serviceaccounts", items, "5",
	                                  NULL, T0, MAPI_TABLE_NONE, &table),
	                 MAPI_OK);
	s = cJSON_PrintUnformatted(table);
	assert_non_null(strstr(s, "\"cells\":[\"default\",0,\"<unknown>\"]"));
	free(s);
	cJSON_Delete(table);
	assert_int_equal(mapi_table_build("example.com", "widgets", items, "5",
	                                  NULL, T0, MAPI_TABLE_NONE, &table),
	                 MAPI_OK);
	s = cJSON_PrintUnformatted(table);
	assert_non_null(strstr(s, "\"name\":\"Created At\""));
	free(s);
	cJSON_Delete(table);
	cJSON_Delete(items);
}

static void
test_table_accept_and_include_parsing(void **state)
{
	enum mapi_table_include inc = MAPI_TABLE_NONE;

	(void)state;
	assert_true(mapi_table_wanted(
		"application/json;as=Table;v=v1;g=meta.k8s.io,application/json;"
		"as=Table;v=v1beta1;g=meta.k8s.io,application/json"));
	assert_false(mapi_table_wanted("application/json"));
	assert_false(mapi_table_wanted(NULL));
	assert_true(mapi_table_include_parse(NULL, &inc));
	assert_int_equal(inc, MAPI_TABLE_METADATA);
	assert_true(mapi_table_include_parse("Object", &inc));
	assert_int_equal(inc, MAPI_TABLE_OBJECT);
	assert_true(mapi_table_include_parse("None", &inc));
	assert_int_equal(inc, MAPI_TABLE_NONE);
	assert_false(mapi_table_include_parse("All", &inc));
	assert_int_equal(inc, MAPI_TABLE_NONE);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_human_duration_matches_apimachinery),
		cmocka_unit_test(test_table_pod_rows_like_kubectl_get_pods),
		cmocka_unit_test(test_table_other_kinds),
		cmocka_unit_test(test_table_accept_and_include_parsing),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("table", tests, NULL, NULL);
}
