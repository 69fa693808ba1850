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

#include "api/patch.h"

struct row {
	enum mapi_patch_type type;
	const char *target;
	const char *patch;
	const char *want; /* NULL: must fail, target unchanged */
};

static const struct row rows[] = {
	/* RFC 7386 Appendix A. */
	{ MAPI_PATCH_MERGE, "{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}" },
	{ MAPI_PATCH_MERGE, "{\"a\":\"b\"}", "{\"b\":\"c\"}",
	  "{\"a\":\"b\",\"b\":\"c\"}" },
	{ MAPI_PATCH_MERGE, "{\"a\":\"b\"}", "{\"a\":null}", "{}" },
	{ MAPI_PATCH_MERGE, "{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}",
	  "{\"b\":\"c\"}" },
	{ MAPI_PATCH_MERGE, "{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}" },
	{ MAPI_PATCH_MERGE, "{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}" },
	{ MAPI_PATCH_MERGE, "{\"a\":{\"b\":\"c\"}}",
	  "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}" },
	{ MAPI_PATCH_MERGE, "{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}",
	  "{\"a\":[1]}" },
	{ MAPI_PATCH_MERGE, "{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}" },
	{ MAPI_PATCH_MERGE, "{}", "{\"a\":{\"bb\":{\"ccc\":null}}}",
	  "{\"a\":{\"bb\":{}}}" },
	{ MAPI_PATCH_MERGE, "{\"a\":1}", "[1]", NULL },
	/* Strategic merge: containers merge by name, others replace. */
	{ MAPI_PATCH_STRATEGIC,
	  "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x:1\"},"
	  "{\"name\":\"b\",\"image\":\"y:1\"}],\"tolerations\":[{\"key\":\"k\"}]}}",
	  "{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"y:2\"}],"
	  "\"tolerations\":[]}}",
	  "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x:1\"},"
	  "{\"name\":\"b\",\"image\":\"y:2\"}],\"tolerations\":[]}}" },
	{ MAPI_PATCH_STRATEGIC,
	  "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
	  "{\"spec\":{\"containers\":[{\"name\":\"a\",\"$patch\":\"delete\"},"
	  "{\"name\":\"c\",\"image\":\"z\"}]}}",
	  "{\"spec\":{\"containers\":[{\"name\":\"b\"},{\"name\":\"c\","
	  "\"image\":\"z\"}]}}" },
	{ MAPI_PATCH_STRATEGIC,
	  "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
	  "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"b\"},"
	  "{\"name\":\"a\"}],\"containers\":[{\"name\":\"a\",\"image\":\"i\"}]}}",
	  "{\"spec\":{\"containers\":[{\"name\":\"b\"},{\"name\":\"a\","
	  "\"image\":\"i\"}]}}" },
	{ MAPI_PATCH_STRATEGIC,
	  "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
	  "{\"spec\":{\"containers\":[{\"$patch\":\"replace\"},{\"name\":\"z\"}]}}",
	  "{\"spec\":{\"containers\":[{\"name\":\"z\"}]}}" },
	{ MAPI_PATCH_STRATEGIC, "{\"metadata\":{\"finalizers\":[\"a\"]}}",
	  "{\"metadata\":{\"finalizers\":[\"b\",\"a\"]}}",
	  "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}" },
	{ MAPI_PATCH_STRATEGIC, "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
	  "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"a\"]}}",
	  "{\"metadata\":{\"finalizers\":[\"b\"]}}" },
	{ MAPI_PATCH_STRATEGIC,
	  "{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"},"
	  "\"annotations\":{\"x\":\"y\"}}}",
	  "{\"metadata\":{\"labels\":{\"a\":null,\"c\":\"3\"},"
	  "\"annotations\":{\"$patch\":\"delete\"}}}",
	  "{\"metadata\":{\"labels\":{\"b\":\"2\",\"c\":\"3\"}}}" },
	{ MAPI_PATCH_STRATEGIC,
	  "{\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"x\":1}}}",
	  "{\"strategy\":{\"$retainKeys\":[\"type\"],\"type\":\"Recreate\"}}",
	  "{\"strategy\":{\"type\":\"Recreate\"}}" },
	{ MAPI_PATCH_STRATEGIC, "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
	  "{\"spec\":{\"containers\":[{\"image\":\"no-key\"}]}}", NULL },
	{ MAPI_PATCH_STRATEGIC, "{}",
	  "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"emptyDir\":{}}]}}",
	  "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"emptyDir\":{}}]}}" },
	/* RFC 6902. */
	{ MAPI_PATCH_JSON, "{\"a\":{\"b\":[1,2]}}",
	  "[{\"op\":\"add\",\"path\":\"/a/b/1\",\"value\":9},"
	  "{\"op\":\"replace\",\"path\":\"/a/c\",\"value\":1}]",
	  NULL },
	{ MAPI_PATCH_JSON, "{\"a\":{\"b\":[1,2]}}",
	  "[{\"op\":\"add\",\"path\":\"/a/b/1\",\"value\":9},"
	  "{\"op\":\"add\",\"path\":\"/a/b/-\",\"value\":3},"
	  "{\"op\":\"test\",\"path\":\"/a/b/0\",\"value\":1},"
	  "{\"op\":\"copy\",\"from\":\"/a/b\",\"path\":\"/c\"},"
	  "{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/d\"},"
	  "{\"op\":\"remove\",\"path\":\"/c/0\"},"
	  "{\"op\":\"add\",\"path\":\"/m~1n\",\"value\":true}]",
	  "{\"c\":[9,2,3],\"d\":{\"b\":[1,9,2,3]},\"m/n\":true}" },
	{ MAPI_PATCH_JSON, "{\"a\":1}",
	  "[{\"op\":\"test\",\"path\":\"/a\",\"value\":2}]", NULL },
	{ MAPI_PATCH_JSON, "{\"a\":1}", "[{\"op\":\"frob\",\"path\":\"/a\"}]",
	  NULL },
	{ MAPI_PATCH_JSON, "{\"a\":1}", "{\"op\":\"add\"}", NULL },
};

static void
test_patch_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cJSON *target = cJSON_Parse(rows[i].target);
		cJSON *patch = cJSON_Parse(rows[i].patch);
		struct mapi_diag diag = { 0 };
		enum mapi_err err;
		char *got;

		assert_non_null(target);
		assert_non_null(patch);
		err = mapi_patch_apply(rows[i].type, &target, patch, &diag);
		got = cJSON_PrintUnformatted(target);
		if (rows[i].want == NULL) {
			if (err == MAPI_OK) {
				fail_msg("row %zu: expected failure, got %s", i,
				         got);
			}
			if (strcmp(got, rows[i].target) != 0) {
				fail_msg("row %zu: target changed on failure: %s",
				         i, got);
			}
		} else if (err != MAPI_OK || strcmp(got, rows[i].want) != 0) {
			fail_msg("row %zu: err %d (%s) got %s want %s", i, err,
			         diag.msg, got, rows[i].want);
		}
		free(got);
		cJSON_Delete(target);
		cJSON_Delete(patch);
	}
}

static void
test_patch_content_types(void **state)
{
	enum mapi_patch_type t = 0;

	(void)state;
	assert_int_equal(mapi_patch_type_parse(
				 "application/strategic-merge-patch+json", &t),
	                 MAPI_OK);
	assert_int_equal(t, MAPI_PATCH_STRATEGIC);
	assert_int_equal(mapi_patch_type_parse(
				 "application/merge-patch+json; charset=utf-8",
				 &t),
	                 MAPI_OK);
	assert_int_equal(t, MAPI_PATCH_MERGE);
	assert_int_equal(mapi_patch_type_parse("application/json-patch+json", &t),
	                 MAPI_OK);
	assert_int_equal(t, MAPI_PATCH_JSON);
	assert_int_equal(mapi_patch_type_parse("application/json", &t),
	                 MAPI_EMEDIATYPE);
	assert_int_equal(t, MAPI_PATCH_JSON);
	assert_int_equal(mapi_patch_type_parse(NULL, &t), MAPI_EMEDIATYPE);
}

static void
test_patch_rejects_deep_nesting(void **state)
{
	char buf[4096];
	size_t i;
	size_t o = 0;
	cJSON *target = cJSON_CreateObject();
	cJSON *patch;
	struct mapi_diag diag = { 0 };

	(void)state;
	for (i = 0; i < 200; i++) {
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "{\"a\":");
	}
	o += (size_t)snprintf(buf + o, sizeof(buf) - o, "1");
	for (i = 0; i < 200; i++) {
		buf[o++] = '}';
	}
	buf[o] = '\0';
	patch = cJSON_Parse(buf);
	assert_non_null(patch);
	assert_int_equal(mapi_patch_apply(MAPI_PATCH_STRATEGIC, &target, patch,
	                                  &diag),
	                 MAPI_EINVAL);
	assert_int_equal(mapi_patch_apply(MAPI_PATCH_MERGE, &target, patch,
	                                  &diag),
	                 MAPI_EINVAL);
	cJSON_Delete(patch);
	cJSON_Delete(target);
}

/*
 * Found by fuzzing api/patch: "copy" of the document into itself doubles
 * it, so 40 operations (2 KB) asked for 2^40 times the target's memory.
 * Like kube-apiserver, copies may add at most 3 MiB and a patch may hold
 * at most 10000 operations; both fail with the target unchanged.
 */
static void
test_patch_json_patch_bounds_copy_and_ops(void **state)
{
	static const char big[] = "{\"spec\":{\"s\":\"0123456789abcdef\"}}";
	cJSON *target = cJSON_Parse(big);
	cJSON *ops = cJSON_CreateArray();
	struct mapi_diag diag = { 0 };
	char *got;
	int i;

	(void)state;
	assert_non_null(target);
	assert_non_null(ops);
	for (i = 0; i < 40; i++) {
		cJSON *op = cJSON_CreateObject();
		char path[32];

		assert_non_null(op);
		(void)snprintf(path, sizeof(path), "/spec/x%d", i);
		assert_non_null(cJSON_AddStringToObject(op, "op", "copy"));
		assert_non_null(cJSON_AddStringToObject(op, "from", "/spec"));
		assert_non_null(cJSON_AddStringToObject(op, "path", path));
		assert_true(cJSON_AddItemToArray(ops, op));
	}
	assert_int_equal(mapi_patch_apply(MAPI_PATCH_JSON, &target, ops, &diag),
	                 MAPI_ETOOLARGE);
	assert_non_null(strstr(diag.msg, "Unable to complete the copy, the "
	                                 "accumulated size increase of copy "
	                                 "is "));
	assert_non_null(strstr(diag.msg, ", exceeding the limit 3145728"));
	got = cJSON_PrintUnformatted(target);
	assert_string_equal(got, big);
	free(got);
	cJSON_Delete(ops);

	ops = cJSON_CreateArray();
	assert_non_null(ops);
	for (i = 0; i < 10001; i++) {
		cJSON *op = cJSON_CreateObject();

		assert_non_null(op);
		assert_non_null(cJSON_AddStringToObject(op, "op", "test"));
		assert_non_null(cJSON_AddStringToObject(op, "path", "/spec"));
		assert_true(cJSON_AddItemToArray(ops, op));
	}
	memset(&diag, 0, sizeof(diag));
	assert_int_equal(mapi_patch_apply(MAPI_PATCH_JSON, &target, ops, &diag),
	                 MAPI_ETOOLARGE);
	assert_string_equal(diag.msg, "The allowed maximum operations in a "
	                              "JSON patch is 10000, got 10001");
	cJSON_Delete(ops);
	cJSON_Delete(target);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patch_table),
		cmocka_unit_test(test_patch_content_types),
		cmocka_unit_test(test_patch_rejects_deep_nesting),
		cmocka_unit_test(test_patch_json_patch_bounds_copy_and_ops),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("patch", tests, NULL, NULL);
}
