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

#include "api/validate.h"
#include "server/http.h"
#include "server/status.h"

/* The Status message and first cause mapi_status_invalid() builds. */
static void
invalid_message(const struct mapi_field_errors *errs, const char *group,
                const char *kind, const char *name, char *buf, size_t len,
                char *cause, size_t cause_len)
{
	struct mapi_field_error v[MAPI_FIELD_ERRORS_MAX];
	struct mapi_response resp;
	cJSON *st;
	const cJSON *c0;

	mapi_response_init(&resp);
	assert_int_equal(mapi_status_invalid(&resp, group, kind, name, v,
	                                     mapi_field_errors_view(errs, v)),
	                 MAPI_OK);
	assert_int_equal(resp.code, 422);
	st = cJSON_ParseWithLength(resp.body, resp.body_len);
	assert_non_null(st);
	(void)snprintf(buf, len, "%s",
	               cJSON_GetStringValue(
			       cJSON_GetObjectItemCaseSensitive(st, "message")));
	c0 = cJSON_GetArrayItem(
		cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(st, "details"),
			"causes"),
		0);
	if (cause != NULL) {
		(void)snprintf(cause, cause_len, "%s|%s",
		               cJSON_GetStringValue(
				       cJSON_GetObjectItemCaseSensitive(c0,
		                                                        "reason")),
		               cJSON_GetStringValue(
				       cJSON_GetObjectItemCaseSensitive(c0,
		                                                        "message")));
	}
	cJSON_Delete(st);
	mapi_response_fini(&resp);
}

#define SUBDOMAIN_TAIL                                                     \
	"a lowercase RFC 1123 subdomain must consist of lower case "       \
	"alphanumeric characters, '-' or '.', and must start and end with " \
	"an alphanumeric character (e.g. 'example.com', regex used for "   \
	"validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*" \
	"[a-z0-9])?)*')"

static void
test_validate_names_table(void **state)
{
	static const struct {
		const char *name;
		enum mapi_name_rule rule;
		size_t nerr;
	} rows[] = {
		{ "web-1", MAPI_NAME_SUBDOMAIN, 0 },
		{ "a.b.c", MAPI_NAME_SUBDOMAIN, 0 },
		{ "Foo", MAPI_NAME_SUBDOMAIN, 1 },
		{ "-a", MAPI_NAME_SUBDOMAIN, 1 },
		{ "a-", MAPI_NAME_SUBDOMAIN, 1 },
		{ "a..b", MAPI_NAME_SUBDOMAIN, 1 },
		{ "a_b", MAPI_NAME_SUBDOMAIN, 1 },
		{ "..", MAPI_NAME_SUBDOMAIN, 1 },
		{ "production", MAPI_NAME_LABEL, 0 },
		{ "a.b", MAPI_NAME_LABEL, 1 },
		{ "system:auth-delegator", MAPI_NAME_PATH_SEGMENT, 0 },
		{ "a/b", MAPI_NAME_PATH_SEGMENT, 1 },
		{ "..", MAPI_NAME_PATH_SEGMENT, 1 },
		{ "50%", MAPI_NAME_PATH_SEGMENT, 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mapi_field_errors errs = { 0 };
		size_t n = mapi_validate_name(rows[i].name, rows[i].rule,
		                              "metadata.name", &errs);

		if (n != rows[i].nerr || errs.n != n) {
			fail_msg("%s rule %d: %zu errors, want %zu", rows[i].name,
			         rows[i].rule, n, rows[i].nerr);
		}
	}
}

static void
test_validate_message_matches_kube_apiserver(void **state)
{
	struct mapi_field_errors errs = { 0 };
	char buf[4096];
	char big[300];

	(void)state;
	(void)mapi_validate_name("Foo", MAPI_NAME_SUBDOMAIN, "metadata.name",
	                         &errs);
	{
		char cause[2048];

		invalid_message(&errs, "", "Pod", "Foo", buf, sizeof(buf), cause,
		                sizeof(cause));
		assert_string_equal(buf, "Pod \"Foo\" is invalid: metadata.name: "
		                         "Invalid value: \"Foo\": " SUBDOMAIN_TAIL);
		assert_string_equal(cause, "FieldValueInvalid|Invalid value: "
		                           "\"Foo\": " SUBDOMAIN_TAIL);
	}

	memset(&errs, 0, sizeof(errs));
	mapi_field_errors_add_int(&errs, MAPI_FIELD_INVALID,
	                          "spec.expirationSeconds", 60,
	                          "may not specify a duration less than 10 "
	                          "minutes");
	invalid_message(&errs, "authentication.k8s.io", "TokenRequest", "", buf,
	                sizeof(buf), NULL, 0);
	assert_string_equal(buf, "TokenRequest.authentication.k8s.io \"\" is "
	                         "invalid: spec.expirationSeconds: Invalid "
	                         "value: 60: may not specify a duration less "
	                         "than 10 minutes");

	memset(big, 'A', 254);
	big[254] = '\0';
	memset(&errs, 0, sizeof(errs));
	assert_int_equal(mapi_validate_name(big, MAPI_NAME_SUBDOMAIN,
	                                    "metadata.name", &errs),
	                 2);
	invalid_message(&errs, "", "ServiceAccount", big, buf, sizeof(buf), NULL,
	                0);
	assert_non_null(strstr(buf, "is invalid: [metadata.name: Invalid value: "
	                            "\"AAAA"));
	assert_non_null(strstr(buf, ": must be no more than 253 characters, "
	                            "metadata.name: Invalid value: \""));
	assert_int_equal(buf[strlen(buf) - 1], ']');
}

static void
test_validate_object_meta_and_kinds(void **state)
{
	static const struct {
		const char *json;
		const char *group;
		const char *resource;
		const char *want; /* message for kind Pod, name "x"; NULL = ok */
	} rows[] = {
		{ "{\"metadata\":{\"name\":\"x\"},\"spec\":{\"containers\":[{"
		  "\"name\":\"c\",\"image\":\"busybox\"}]}}",
		  "", "pods", NULL },
		{ "{\"metadata\":{},\"spec\":{\"containers\":[{\"name\":\"c\","
		  "\"image\":\"i\"}]}}",
		  "", "pods",
		  "Pod \"x\" is invalid: metadata.name: Required value: name or "
		  "generateName is required" },
		{ "{\"metadata\":{\"generateName\":\"x-\"},\"spec\":{"
		  "\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}",
		  "", "pods", NULL },
		{ "{\"metadata\":{\"name\":\"x\"},\"spec\":{}}", "", "pods",
		  "Pod \"x\" is invalid: spec.containers: Required value" },
		{ "{\"metadata\":{\"name\":\"x\"},\"spec\":{\"containers\":[{}]}}",
		  "", "pods",
		  "Pod \"x\" is invalid: [spec.containers[0].name: Required value, "
		  "spec.containers[0].image: Required value]" },
		{ "{\"metadata\":{\"name\":\"x\",\"labels\":{\"app\":\"-bad\"}}}",
		  "", "serviceaccounts",
		  "Pod \"x\" is invalid: metadata.labels: Invalid value: \"-bad\": "
		  "a valid label must be an empty string or consist of "
		  "alphanumeric characters, '-', '_' or '.', and must start and "
		  "end with an alphanumeric character (e.g. 'MyValue',  or "
		  "'my_value',  or '12345', regex used for validation is "
		  "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')" },
		/* Found by fuzz_validate: array labels crashed (NULL key). */
		{ "{\"metadata\":{\"name\":\"x\",\"labels\":[{\"a\":\"b\"}]}}",
		  "", "serviceaccounts",
		  "Pod \"x\" is invalid: metadata.labels: Invalid value: must "
		  "be a map of string keys to string values" },
		{ "{\"metadata\":{\"name\":\"x\",\"labels\":null}}", "",
		  "serviceaccounts", NULL },
		{ "{\"metadata\":{\"name\":\"b\"},\"roleRef\":{\"kind\":"
		  "\"ClusterRole\",\"name\":\"view\"},\"subjects\":[{\"kind\":"
		  "\"User\",\"name\":\"u\"}]}",
		  "rbac.authorization.k8s.io", "rolebindings", NULL },
		{ "{\"metadata\":{\"name\":\"b\"},\"roleRef\":{\"kind\":"
		  "\"ClusterRole\"}}",
		  "rbac.authorization.k8s.io", "rolebindings",
		  "Pod \"x\" is invalid: roleRef.name: Required value" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cJSON *obj = cJSON_Parse(rows[i].json);
		struct mapi_field_errors errs = { 0 };
		char buf[2048];

		assert_non_null(obj);
		(void)mapi_validate_object_meta(
			obj, mapi_name_rule_for(rows[i].group, rows[i].resource),
			true, &errs);
		(void)mapi_validate_kind(rows[i].group, rows[i].resource, obj,
		                         &errs);
		if (rows[i].want == NULL) {
			if (errs.n != 0) {
				fail_msg("row %zu: unexpected error on %s", i,
				         errs.e[0].field);
			}
		} else {
			invalid_message(&errs, "", "Pod", "x", buf, sizeof(buf),
			                NULL, 0);
			if (strcmp(buf, rows[i].want) != 0) {
				fail_msg("row %zu:\n got %s\nwant %s", i, buf,
				         rows[i].want);
			}
		}
		cJSON_Delete(obj);
	}
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_names_table),
		cmocka_unit_test(test_validate_message_matches_kube_apiserver),
		cmocka_unit_test(test_validate_object_meta_and_kinds),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
