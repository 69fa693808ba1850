/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "server/json.h"
#include "sim/clock.h"
#include "state/fixtures.h"
#include "state/store.h"
#include "th.h"

#define T0 (INT64_C(1700000000) * MAPI_NS_PER_SEC)

struct fake_real {
	int64_t now;
};

static int64_t
fake_source(void *payload)
{
	return ((struct fake_real *)payload)->now;
}

struct fixture {
	struct fake_real real;
	struct mapi_clock *clock;
	struct mapi_store *store;
	char *dir;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mapi_store_opts opts = { .seed = 1, .seeded = true };

	if (f == NULL) {
		return -1;
	}
	f->real.now = T0;
	if (mapi_clock_new_with_source(fake_source, &f->real, &f->clock) !=
	            MAPI_OK ||
	    mapi_store_new(f->clock, &opts, &f->store) != MAPI_OK) {
		return -1;
	}
	f->dir = th_mkdtemp();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	th_rmtree(f->dir);
	free(f->dir);
	mapi_store_free(f->store);
	mapi_clock_free(f->clock);
	free(f);
	return 0;
}

static cJSON *
get(struct fixture *f, const char *group, const char *res, const char *ns,
    const char *name)
{
	struct mapi_store_ref ref = { group, res, ns, name };
	cJSON *o = NULL;

	assert_int_equal(mapi_store_get(f->store, &ref, &o, NULL), MAPI_OK);
	return o;
}

static void
write_in(struct fixture *f, const char *name, const char *text)
{
	char path[512];

	(void)snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	th_write_file(path, text, strlen(text));
}

static void
test_fixtures_default_cluster_has_required_objects(void **state)
{
	static const struct {
		const char *res, *ns, *name;
	} want[] = {
		{ "namespaces", NULL, "default" },
		{ "namespaces", NULL, "kube-system" },
		{ "namespaces", NULL, "kube-public" },
		{ "namespaces", NULL, "production" },
		{ "serviceaccounts", "default", "default" },
		{ "serviceaccounts", "kube-system", "default" },
		{ "serviceaccounts", "kube-public", "default" },
		{ "serviceaccounts", "production", "default" },
		{ "serviceaccounts", "production", "app-service-account" },
		{ "nodes", NULL, "node-1" },
		{ "pods", "default", "web-7d4b9c8f5-x2k8p" },
		{ "pods", "production", "api-server-5f6d8b9c4-m7n2q" },
	};
	struct fixture *f = *state;
	struct mapi_diag d = { 0 };
	cJSON *pod, *node, *cs;
	size_t i;

	assert_int_equal(mapi_fixtures_load_default(f->store, f->clock, &d),
	                 MAPI_OK);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		cJSON *o = get(f, "", want[i].res, want[i].ns, want[i].name);

		assert_non_null(mapi_json_get_path_string(o,
		                                          "metadata.uid"));
		assert_string_equal(mapi_json_get_path_string(
		                            o, "metadata.creationTimestamp"),
		                    "2023-11-14T22:13:20Z");
		cJSON_Delete(o);
	}
	pod = get(f, "", "pods", "production", "api-server-5f6d8b9c4-m7n2q");
	assert_string_equal(mapi_json_get_path_string(pod,
	                                              "spec.serviceAccountName"),
	                    "app-service-account");
	assert_string_equal(mapi_json_get_path_string(pod, "spec.nodeName"),
	                    "node-1");
	assert_string_equal(mapi_json_get_path_string(pod, "status.phase"),
	                    "Running");
	cs = cJSON_GetArrayItem(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "status"),
	                            "containerStatuses"),
	        0);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cs, "ready")));
	assert_string_equal(
	        mapi_json_get_path_string(cs, "state.running.startedAt"),
	        "2023-11-14T22:13:20Z");
	cJSON_Delete(pod);
	node = get(f, "", "nodes", NULL, "node-1");
	assert_string_equal(mapi_json_get_path_string(
	                            node, "status.nodeInfo.kubeletVersion"),
	                    "v1.32.4");
	cJSON_Delete(node);
}

static void
test_fixtures_list_file_and_kinds(void **state)
{
	struct fixture *f = *state;
	char path[512];
	cJSON *o;

	write_in(f, "c.json",
	         "{\"kind\":\"List\",\"items\":["
	         "{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"ns1\"}},"
	         "{\"kind\":\"Role\",\"apiVersion\":\"rbac.authorization.k8s."
	         "io/v1\",\"metadata\":{\"name\":\"r\",\"namespace\":\"ns1\"}},"
	         "{\"kind\":\"ClusterRole\",\"metadata\":{\"name\":\"view\"}},"
	         "{\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\","
	         "\"uid\":\"ignored\",\"creationTimestamp\":"
	         "\"2020-01-01T00:00:00Z\"}}]}");
	(void)snprintf(path, sizeof(path), "%s/c.json", f->dir);
	assert_int_equal(mapi_fixtures_load_path(f->store, f->clock, path,
	                                         NULL),
	                 MAPI_OK);
	o = get(f, "rbac.authorization.k8s.io", "roles", "ns1", "r");
	cJSON_Delete(o);
	o = get(f, "rbac.authorization.k8s.io", "clusterroles", NULL, "view");
	assert_string_equal(mapi_json_get_string(o, "apiVersion"),
	                    "rbac.authorization.k8s.io/v1");
	cJSON_Delete(o);
	o = get(f, "", "secrets", "default", "s"); /* default namespace */
	assert_string_equal(mapi_json_get_path_string(
	                            o, "metadata.creationTimestamp"),
	                    "2020-01-01T00:00:00Z");
	assert_string_not_equal(mapi_json_get_path_string(o, "metadata.uid"),
	                        "ignored");
	cJSON_Delete(o);
	assert_int_equal(mapi_store_count(f->store), 4);
}

static void
test_fixtures_directory_in_sorted_order(void **state)
{
	struct fixture *f = *state;
	cJSON *a, *b;

	write_in(f, "20-b.json",
	         "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"b\"}}");
	write_in(f, "10-a.json",
	         "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}");
	write_in(f, "notes.txt", "not json");
	assert_int_equal(mapi_fixtures_load_path(f->store, f->clock, f->dir,
	                                         NULL),
	                 MAPI_OK);
	a = get(f, "", "configmaps", "default", "a");
	b = get(f, "", "configmaps", "default", "b");
	assert_string_equal(mapi_json_get_path_string(
	                            a, "metadata.resourceVersion"),
	                    "1");
	assert_string_equal(mapi_json_get_path_string(
	                            b, "metadata.resourceVersion"),
	                    "2");
	cJSON_Delete(a);
	cJSON_Delete(b);
}

/* Found by fuzz_fixtures: a "${now}" name was used after being replaced. */
static void
test_fixtures_now_substituted_in_name(void **state)
{
	static const char text[] =
		"{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"${now}\"}}";
	struct fixture *f = *state;
	cJSON *o;

	assert_int_equal(mapi_fixtures_load_buffer(f->store, f->clock, "n.json",
	                                           text, strlen(text), NULL),
	                 MAPI_OK);
	o = get(f, "", "configmaps", "default", "2023-11-14T22:13:20Z");
	assert_string_equal(mapi_json_get_path_string(o, "metadata.name"),
	                    "2023-11-14T22:13:20Z");
	cJSON_Delete(o);
}

static void
test_fixtures_bad_input_names_file_and_item(void **state)
{
	static const struct {
		const char *text;
		enum mapi_err err;
		const char *msg; /* after "<path>: " */
	} cases[] = {
		{ "{\"kind\":\"Pod\",\"metadata\":}", MAPI_EINVAL,
		  "invalid JSON at offset 25" },
		{ "{\"kind\":\"Pod\"} trailing", MAPI_EINVAL,
		  "invalid JSON at offset 15" },
		{ "{\"kind\":\"List\",\"items\":[{\"kind\":\"Namespace\","
		  "\"metadata\":{\"name\":\"x\"}},{\"kind\":\"Foo\"}]}",
		  MAPI_EINVAL, "items[1]: unknown kind \"Foo\"" },
		{ "{\"kind\":\"Pod\",\"metadata\":{}}", MAPI_EINVAL,
		  "Pod: metadata.name is missing" },
		{ "{\"kind\":\"Pod\",\"apiVersion\":\"apps/v1\",\"metadata\":"
		  "{\"name\":\"p\"}}",
		  MAPI_EINVAL, "Pod needs apiVersion \"v1\", not \"apps/v1\"" },
		{ "{\"kind\":\"List\",\"items\":[{\"kind\":\"Node\",\"metadata\":"
		  "{\"name\":\"n\"}},{\"kind\":\"Node\",\"metadata\":{\"name\":"
		  "\"n\"}}]}",
		  MAPI_EEXIST, "items[1]: nodes \"n\" already exists" },
		{ "{\"items\":3,\"kind\":\"List\"}", MAPI_EINVAL,
		  "a List needs an items array" },
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mapi_diag d = { 0 };
		char path[512], want[1024];

		mapi_store_reset(f->store);
		write_in(f, "bad.json", cases[i].text);
		(void)snprintf(path, sizeof(path), "%s/bad.json", f->dir);
		(void)snprintf(want, sizeof(want), "%s: %s", path,
		               cases[i].msg);
		assert_int_equal(mapi_fixtures_load_path(f->store, f->clock,
		                                         path, &d),
		                 cases[i].err);
		assert_string_equal(d.msg, want);
	}
}

static void
test_fixtures_missing_path(void **state)
{
	struct fixture *f = *state;
	struct mapi_diag d = { 0 };
	char path[512];

	(void)snprintf(path, sizeof(path), "%s/nope.json", f->dir);
	assert_int_equal(mapi_fixtures_load_path(f->store, f->clock, path, &d),
	                 MAPI_ENOTFOUND);
	assert_non_null(strstr(d.msg, "nope.json"));
}

static void
test_fixtures_shipped_file_matches_compiled_in(void **state)
{
	char *path = th_fixture_path("default-cluster.json");
	size_t len = 0, elen = 0;
	char *text = th_read_file(path, &len);
	const char *embedded = mapi_fixtures_default_json(&elen);

	(void)state;
	assert_int_equal(len, elen);
	assert_memory_equal(text, embedded, len);
	free(text);
	free(path);
}

static void
test_fixtures_kind_table(void **state)
{
	const struct mapi_kind_info *k;

	(void)state;
	k = mapi_kind_lookup("ClusterRoleBinding");
	assert_non_null(k);
	assert_string_equal(k->resource, "clusterrolebindings");
	assert_false(k->namespaced);
	k = mapi_kind_lookup_resource("", "serviceaccounts");
	assert_non_null(k);
	assert_string_equal(k->kind, "ServiceAccount");
	assert_null(mapi_kind_lookup("Deployment"));
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_fixtures_default_cluster_has_required_objects),
		T(test_fixtures_list_file_and_kinds),
		T(test_fixtures_directory_in_sorted_order),
		T(test_fixtures_now_substituted_in_name),
		T(test_fixtures_bad_input_names_file_and_item),
		T(test_fixtures_missing_path),
		T(test_fixtures_shipped_file_matches_compiled_in),
		T(test_fixtures_kind_table),
#undef T
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("fixtures", tests, NULL, NULL);
}
