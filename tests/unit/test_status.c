/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/http.h"
#include "server/status.h"
#include "th.h"

#define ENVELOPE                                                      \
	"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{}," \
	"\"status\":\"Failure\","

/* resp's body must be exactly json + "\n", as application/json, with code. */
static void
expect_status(struct mapi_response *resp, int code, const char *json)
{
	size_t n = strlen(json);

	assert_int_equal(resp->code, code);
	assert_string_equal(resp->content_type, "application/json");
	assert_int_equal(resp->body_len, n + 1);
	assert_memory_equal(resp->body, json, n);
	assert_int_equal(resp->body[n], '\n');
	mapi_response_fini(resp);
}

static void
test_status_table_maps_every_error(void **state)
{
	static const struct {
		enum mapi_err err;
		int code;
		const char *reason;
	} rows[] = {
		{ MAPI_OK, 200, "" },
		{ MAPI_ENOMEM, 500, "InternalError" },
		{ MAPI_EINVAL, 400, "BadRequest" },
		{ MAPI_EIO, 500, "InternalError" },
		{ MAPI_ENOTFOUND, 404, "NotFound" },
		{ MAPI_EEXIST, 409, "AlreadyExists" },
		{ MAPI_ECONFLICT, 409, "Conflict" },
		{ MAPI_EINVALID, 422, "Invalid" },
		{ MAPI_EUNAUTHORIZED, 401, "Unauthorized" },
		{ MAPI_EFORBIDDEN, 403, "Forbidden" },
		{ MAPI_EMETHOD, 405, "MethodNotAllowed" },
		{ MAPI_ETOOLARGE, 413, "RequestEntityTooLarge" },
		{ MAPI_EMEDIATYPE, 415, "UnsupportedMediaType" },
		{ MAPI_ETOOMANY, 429, "TooManyRequests" },
		{ MAPI_ECRYPTO, 500, "InternalError" },
		{ MAPI_EINTERNAL, 500, "InternalError" },
		{ MAPI_EUNAVAILABLE, 503, "ServiceUnavailable" },
		{ MAPI_EGONE, 410, "Expired" },
	};
	size_t i;

	(void)state;
	assert_int_equal(sizeof(rows) / sizeof(rows[0]), MAPI_ERR_COUNT_);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(mapi_status_code(rows[i].err), rows[i].code);
		assert_string_equal(mapi_status_reason(rows[i].err),
		                    rows[i].reason);
	}
	assert_int_equal(mapi_status_code((enum mapi_err)999), 500);
}

static void
test_status_unauthorized_is_exact(void **state)
{
	struct mapi_response r;

	(void)state;
	mapi_response_init(&r);
	assert_int_equal(mapi_status_unauthorized(&r), MAPI_OK);
	expect_status(&r, 401,
	              "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":"
	              "{},\"status\":\"Failure\",\"message\":\"Unauthorized\","
	              "\"reason\":\"Unauthorized\",\"code\":401}");
}

static void
test_status_not_found_and_already_exists(void **state)
{
	struct mapi_response r;

	(void)state;
	mapi_response_init(&r);
	assert_int_equal(mapi_status_not_found(&r, "", "pods", "p1"), MAPI_OK);
	expect_status(&r, 404,
	              ENVELOPE "\"message\":\"pods \\\"p1\\\" not found\","
	                       "\"reason\":\"NotFound\",\"details\":{\"name\":"
	                       "\"p1\",\"kind\":\"pods\"},\"code\":404}");
	assert_int_equal(
		mapi_status_already_exists(&r, "", "serviceaccounts", "x"),
		MAPI_OK);
	expect_status(&r, 409,
	              ENVELOPE
	              "\"message\":\"serviceaccounts \\\"x\\\" already "
	              "exists\",\"reason\":\"AlreadyExists\","
	              "\"details\":{\"name\":\"x\",\"kind\":"
	              "\"serviceaccounts\"},\"code\":409}");
	assert_int_equal(mapi_status_not_found(&r, "rbac.authorization.k8s.io",
	                                       "roles", "r"),
	                 MAPI_OK);
	expect_status(&r, 404,
	              ENVELOPE "\"message\":\"roles.rbac.authorization.k8s.io "
	                       "\\\"r\\\" not found\",\"reason\":\"NotFound\","
	                       "\"details\":{\"name\":\"r\",\"group\":"
	                       "\"rbac.authorization.k8s.io\",\"kind\":"
	                       "\"roles\"},\"code\":404}");
}

static void
test_status_conflict_message(void **state)
{
	struct mapi_response r;

	(void)state;
	mapi_response_init(&r);
	assert_int_equal(mapi_status_conflict(&r, "", "pods", "p",
	                                      "the object has been modified; "
	                                      "please apply your changes to "
	                                      "the latest version and try "
	                                      "again"),
	                 MAPI_OK);
	expect_status(&r, 409,
	              ENVELOPE
	              "\"message\":\"Operation cannot be fulfilled on "
	              "pods \\\"p\\\": the object has been modified; "
	              "please apply your changes to the latest version "
	              "and try again\",\"reason\":\"Conflict\","
	              "\"details\":{\"name\":\"p\",\"kind\":\"pods\"},"
	              "\"code\":409}");
}

static void
test_status_invalid_matches_reference(void **state)
{
	struct mapi_field_error e = {
		.type = MAPI_FIELD_INVALID,
		.field = "spec.expirationSeconds",
		.bad_value = "60",
		.detail = "may not specify a duration less than 10 minutes",
	};
	struct mapi_response r;

	(void)state;
	mapi_response_init(&r);
	assert_int_equal(mapi_status_invalid(&r, "authentication.k8s.io",
	                                     "TokenRequest", "", &e, 1),
	                 MAPI_OK);
	/* Reference §6, 422 row, byte for byte. */
	expect_status(
		&r, 422,
		"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
		"\"status\":\"Failure\",\"message\":\"TokenRequest."
		"authentication"
		".k8s.io \\\"\\\" is invalid: spec.expirationSeconds: Invalid "
		"value: 60: may not specify a duration less than 10 minutes\","
		"\"reason\":\"Invalid\",\"details\":{\"group\":\"authentication"
		".k8s.io\",\"kind\":\"TokenRequest\",\"causes\":[{\"reason\":"
		"\"FieldValueInvalid\",\"message\":\"Invalid value: 60: may "
		"not "
		"specify a duration less than 10 minutes\",\"field\":\"spec."
		"expirationSeconds\"}]},\"code\":422}");
}

static void
test_status_invalid_joins_several_and_quotes_strings(void **state)
{
	struct mapi_field_error e[] = {
		{ .type = MAPI_FIELD_REQUIRED, .field = "metadata.name" },
		{ .type = MAPI_FIELD_INVALID,
		  .field = "spec.audiences[0]",
		  .bad_value = "a\"b",
		  .value_is_string = true,
		  .detail = "bad" },
		{ .type = MAPI_FIELD_REQUIRED, .field = "metadata.name" },
	};
	struct mapi_response r;

	(void)state;
	mapi_response_init(&r);
	assert_int_equal(mapi_status_invalid(&r, "", "Pod", "p", e, 3),
	                 MAPI_OK);
	expect_status(&r, 422,
	              ENVELOPE
	              "\"message\":\"Pod \\\"p\\\" is invalid: [metadata."
	              "name: Required value, spec.audiences[0]: Invalid value: "
	              "\\\"a\\\\\\\"b\\\": bad]\",\"reason\":\"Invalid\","
	              "\"details\":{\"name\":\"p\",\"kind\":\"Pod\",\"causes\":"
	              "[{\"reason\":\"FieldValueRequired\",\"message\":"
	              "\"Required value\",\"field\":\"metadata.name\"},"
	              "{\"reason\":\"FieldValueInvalid\",\"message\":\"Invalid "
	              "value: \\\"a\\\\\\\"b\\\": bad\",\"field\":\"spec."
	              "audiences[0]\"},{\"reason\":\"FieldValueRequired\","
	              "\"message\":\"Required value\",\"field\":\"metadata."
	              "name\"}]},\"code\":422}");
}

static void
test_status_forbidden_forms(void **state)
{
	static const struct {
		struct mapi_forbidden f;
		const char *json;
	} rows[] = {
		{ { .user = "system:serviceaccount:ns:sa",
		    .verb = "list",
		    .resource_request = true,
		    .group = "",
		    .resource = "pods",
		    .ns = "default" },
		  "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
		  "\"status\":\"Failure\",\"message\":\"pods is forbidden: "
		  "User "
		  "\\\"system:serviceaccount:ns:sa\\\" cannot list resource "
		  "\\\"pods\\\" in API group \\\"\\\" in the namespace "
		  "\\\"default\\\"\",\"reason\":\"Forbidden\",\"details\":"
		  "{\"kind\":\"pods\"},\"code\":403}" },
		{ { .user = "u",
		    .verb = "list",
		    .resource_request = true,
		    .resource = "pods" },
		  ENVELOPE "\"message\":\"pods is forbidden: User \\\"u\\\" "
		           "cannot list resource \\\"pods\\\" in API group "
		           "\\\"\\\" at the cluster scope\",\"reason\":"
		           "\"Forbidden\",\"details\":{\"kind\":\"pods\"},"
		           "\"code\":403}" },
		{ { .user = "u",
		    .verb = "create",
		    .resource_request = true,
		    .group = "",
		    .resource = "serviceaccounts",
		    .subresource = "token",
		    .ns = "default",
		    .name = "app-sa" },
		  ENVELOPE
		  "\"message\":\"serviceaccounts \\\"app-sa\\\" is "
		  "forbidden: User \\\"u\\\" cannot create resource "
		  "\\\"serviceaccounts/token\\\" in API group \\\"\\\" "
		  "in the namespace \\\"default\\\"\",\"reason\":"
		  "\"Forbidden\",\"details\":{\"name\":\"app-sa\","
		  "\"kind\":\"serviceaccounts\"},\"code\":403}" },
		{ { .user = "u",
		    .verb = "create",
		    .resource_request = true,
		    .group = "authentication.k8s.io",
		    .resource = "tokenreviews" },
		  ENVELOPE
		  "\"message\":\"tokenreviews.authentication.k8s.io is "
		  "forbidden: User \\\"u\\\" cannot create resource "
		  "\\\"tokenreviews\\\" in API group \\\"authentication"
		  ".k8s.io\\\" at the cluster scope\",\"reason\":"
		  "\"Forbidden\",\"details\":{\"group\":"
		  "\"authentication.k8s.io\",\"kind\":\"tokenreviews\"},"
		  "\"code\":403}" },
		{ { .user = "system:anonymous", .verb = "get", .path = "/api" },
		  ENVELOPE "\"message\":\"forbidden: User \\\"system:anonymous"
		           "\\\" cannot get path \\\"/api\\\"\",\"reason\":"
		           "\"Forbidden\",\"details\":{},\"code\":403}" },
		{ { .user = "u",
		    .verb = "get",
		    .resource_request = true,
		    .resource = "nodes",
		    .name = "n1",
		    .reason = "RBAC: clusterrole.rbac.authorization.k8s.io "
		              "\"x\" not found" },
		  ENVELOPE
		  "\"message\":\"nodes \\\"n1\\\" is forbidden: User "
		  "\\\"u\\\" cannot get resource \\\"nodes\\\" in API "
		  "group \\\"\\\" at the cluster scope: RBAC: "
		  "clusterrole.rbac.authorization.k8s.io \\\"x\\\" not "
		  "found\",\"reason\":\"Forbidden\",\"details\":{\"name"
		  "\":\"n1\",\"kind\":\"nodes\"},\"code\":403}" },
	};
	struct mapi_response r;
	size_t i;

	(void)state;
	mapi_response_init(&r);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(mapi_status_forbidden(&r, &rows[i].f),
		                 MAPI_OK);
		expect_status(&r, 403, rows[i].json);
	}
}

static void
test_status_fixed_messages(void **state)
{
	struct mapi_response r;
	char body[64] = "[1,2";

	(void)state;
	mapi_response_init(&r);
	assert_int_equal(mapi_status_method_not_allowed(&r), MAPI_OK);
	expect_status(&r, 405,
	              ENVELOPE
	              "\"message\":\"the server does not allow this "
	              "method on the requested resource\",\"reason\":"
	              "\"MethodNotAllowed\",\"details\":{},\"code\":405}");
	assert_int_equal(mapi_status_unsupported_media_type(&r), MAPI_OK);
	expect_status(&r, 415,
	              ENVELOPE
	              "\"message\":\"the body of the request was in an "
	              "unknown format - accepted media types include: "
	              "application/json, application/yaml, application/"
	              "vnd.kubernetes.protobuf\",\"reason\":"
	              "\"UnsupportedMediaType\",\"code\":415}");
	assert_int_equal(mapi_status_too_large(&r, MAPI_HTTP_MAX_BODY),
	                 MAPI_OK);
	expect_status(&r, 413,
	              ENVELOPE "\"message\":\"Request entity too large: limit "
	                       "is 3145728\",\"reason\":\"RequestEntityTooLarge"
	                       "\",\"code\":413}");
	assert_int_equal(mapi_status_bad_request(
				 &r, "cannot bind token to object of type /v1, "
				     "Kind=ConfigMap"),
	                 MAPI_OK);
	expect_status(&r, 400,
	              ENVELOPE "\"message\":\"cannot bind token to object of "
	                       "type /v1, Kind=ConfigMap\",\"reason\":"
	                       "\"BadRequest\",\"code\":400}");
	assert_int_equal(mapi_status_internal(&r, "boom"), MAPI_OK);
	expect_status(&r, 500,
	              ENVELOPE "\"message\":\"Internal error occurred: boom\","
	                       "\"reason\":\"InternalError\",\"details\":"
	                       "{\"causes\":[{\"message\":\"boom\"}]},\"code\":"
	                       "500}");
	assert_int_equal(mapi_status_bad_json(&r, "Pod", 4, body, strlen(body)),
	                 MAPI_OK);
	expect_status(&r, 400,
	              ENVELOPE
	              "\"message\":\"the object provided is "
	              "unrecognized (must be of type Pod): couldn't get "
	              "version/kind; json parse error: syntax error at "
	              "byte offset 4 (5b312c32)\",\"reason\":"
	              "\"BadRequest\",\"code\":400}");
	assert_int_equal(mapi_status_bad_json(&r, "Pod", 0, "", 0), MAPI_OK);
	expect_status(&r, 400,
	              ENVELOPE
	              "\"message\":\"the object provided is "
	              "unrecognized (must be of type Pod): couldn't get "
	              "version/kind; json parse error: syntax error at "
	              "byte offset 0 (\\u003cempty\\u003e)\",\"reason\":"
	              "\"BadRequest\",\"code\":400}");
	memset(body, 'x', 40);
	body[0] = '{';
	body[40] = '\0';
	assert_int_equal(mapi_status_bad_json(&r, "Pod", 40, body, 40),
	                 MAPI_OK);
	expect_status(&r, 400,
	              ENVELOPE
	              "\"message\":\"the object provided is "
	              "unrecognized (must be of type Pod): couldn't get "
	              "version/kind; json parse error: syntax error at "
	              "byte offset 40 ({xxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
	              "...)\",\"reason\":\"BadRequest\",\"code\":400}");
}

static void
test_status_format_success_and_retry_after(void **state)
{
	struct mapi_status_details d = { .name = "p",
		                         .kind = "pods",
		                         .uid = "u-1",
		                         .retry_after_seconds = 3 };
	char *json = NULL;
	int code = 0;

	(void)state;
	assert_int_equal(mapi_status_format(MAPI_OK, NULL, &d, &json, &code),
	                 MAPI_OK);
	assert_int_equal(code, 200);
	assert_string_equal(
		json, "{\"kind\":\"Status\",\"apiVersion\":\"v1\","
		      "\"metadata\":{},\"status\":\"Success\",\"details\":"
		      "{\"name\":\"p\",\"kind\":\"pods\",\"uid\":\"u-1\","
		      "\"retryAfterSeconds\":3},\"code\":200}");
	free(json);
	json = NULL;
	assert_int_equal(mapi_status_format(MAPI_ETOOMANY, "slow down", NULL,
	                                    &json, NULL),
	                 MAPI_OK);
	assert_string_equal(json, ENVELOPE "\"message\":\"slow down\","
	                                   "\"reason\":\"TooManyRequests\","
	                                   "\"code\":429}");
	free(json);
}

static void
test_status_json_escapes_like_go(void **state)
{
	struct mapi_strbuf sb = { 0 };
	char *s;

	(void)state;
	mapi_strbuf_json_string(&sb, "a\"b\\c\n\t\x01<>&\xe2\x80\xa8"
	                             "\xc3\xa9\xff");
	s = mapi_strbuf_take(&sb);
	assert_non_null(s);
	assert_string_equal(s, "\"a\\\"b\\\\c\\n\\t\\u0001\\u003c\\u003e"
	                       "\\u0026\\u2028\xc3\xa9\\ufffd\"");
	free(s);
}

static void
test_status_from_diag_uses_message_or_reason(void **state)
{
	struct mapi_diag d = { 0 };
	struct mapi_response r;

	(void)state;
	mapi_response_init(&r);
	mapi_diag_set(&d, "too old resource version: %d (%d)", 1, 5);
	assert_int_equal(mapi_status_from_diag(&r, MAPI_EGONE, &d), MAPI_OK);
	expect_status(&r, 410,
	              ENVELOPE
	              "\"message\":\"too old resource version: 1 (5)\","
	              "\"reason\":\"Expired\",\"code\":410}");
	assert_int_equal(mapi_status_from_diag(&r, MAPI_EUNAVAILABLE, NULL),
	                 MAPI_OK);
	expect_status(&r, 503,
	              ENVELOPE "\"message\":\"ServiceUnavailable\",\"reason\":"
	                       "\"ServiceUnavailable\",\"code\":503}");
	mapi_diag_set(&d, "disk on fire");
	assert_int_equal(mapi_status_from_diag(&r, MAPI_EIO, &d), MAPI_OK);
	expect_status(&r, 500,
	              ENVELOPE
	              "\"message\":\"Internal error occurred: disk on "
	              "fire\",\"reason\":\"InternalError\",\"details\":"
	              "{\"causes\":[{\"message\":\"disk on fire\"}]},"
	              "\"code\":500}");
}

static void
test_status_plain_text_bodies(void **state)
{
	struct mapi_response r;

	(void)state;
	mapi_response_init(&r);
	assert_int_equal(mapi_status_not_found_page(&r), MAPI_OK);
	assert_int_equal(r.code, 404);
	assert_string_equal(r.content_type, "text/plain; charset=utf-8");
	assert_string_equal(r.body, "404 page not found\n");
	assert_string_equal(
		mapi_response_find_header(&r, "x-content-type-options"),
		"nosniff");
	mapi_response_fini(&r);
	mapi_response_init(&r);
	assert_int_equal(mapi_status_too_many_requests_text(&r, 1), MAPI_OK);
	assert_int_equal(r.code, 429);
	assert_string_equal(r.body,
	                    "Too many requests, please try again later.\n");
	assert_string_equal(mapi_response_find_header(&r, "Retry-After"), "1");
	mapi_response_fini(&r);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_table_maps_every_error),
		cmocka_unit_test(test_status_unauthorized_is_exact),
		cmocka_unit_test(test_status_not_found_and_already_exists),
		cmocka_unit_test(test_status_conflict_message),
		cmocka_unit_test(test_status_invalid_matches_reference),
		cmocka_unit_test(
			test_status_invalid_joins_several_and_quotes_strings),
		cmocka_unit_test(test_status_forbidden_forms),
		cmocka_unit_test(test_status_fixed_messages),
		cmocka_unit_test(test_status_format_success_and_retry_after),
		cmocka_unit_test(test_status_json_escapes_like_go),
		cmocka_unit_test(test_status_from_diag_uses_message_or_reason),
		cmocka_unit_test(test_status_plain_text_bodies),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
