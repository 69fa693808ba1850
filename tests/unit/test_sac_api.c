/* SPDX-License-Identifier: MIT */
/*
 * libsaclient API client through a stubbed HTTP seam and a fake clock:
 * the retry policy (429/503 with Retry-After, bounded; network backoff;
 * 401 refresh-and-retry once), Status errors in kubectl's wording,
 * request paths and bodies, and the pod table computed from Pod JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "saclient.h"
#include "th.h"

struct fake_clock {
	int64_t now_ms;
	int64_t slept_ms;
	int sleeps;
};

static int64_t
fake_now(void *payload)
{
	return ((struct fake_clock *)payload)->now_ms;
}

static void
fake_sleep(int64_t ms, void *payload)
{
	struct fake_clock *fc = payload;

	fc->now_ms += ms;
	fc->slept_ms += ms;
	fc->sleeps++;
}

struct reply {
	enum sac_err err; /* transport failure, or SAC_OK */
	long status;
	long retry_after;
	const char *body;
	const char *warning;
};

#define MAX_CALLS 16

/* A scripted server: replies[i] answers call i; the last one repeats. */
struct stub {
	const struct reply *replies;
	int n_replies;
	int calls;
	char path[MAX_CALLS][256];
	char bearer[MAX_CALLS][64];
	char body[MAX_CALLS][512];
};

static enum sac_err
stub_http(const char *method, const char *path, const char *bearer,
          const char *content_type, const char *body, size_t body_len,
          struct sac_http_response *out, struct sac_diag *diag,
          void *payload)
{
	struct stub *s = payload;
	const struct reply *r;
	int i = s->calls++;

	assert_true(i < MAX_CALLS);
	r = &s->replies[i < s->n_replies ? i : s->n_replies - 1];
	(void)snprintf(s->path[i], sizeof(s->path[i]), "%s", path);
	(void)snprintf(s->bearer[i], sizeof(s->bearer[i]), "%s",
	               bearer ? bearer : "");
	(void)snprintf(s->body[i], sizeof(s->body[i]), "%.*s", (int)body_len,
	               body ? body : "");
	(void)method;
	(void)content_type;
	if (r->err != SAC_OK) {
		(void)snprintf(diag->msg, sizeof(diag->msg), "stub failure");
		return r->err;
	}
	memset(out, 0, sizeof(*out));
	out->status = r->status;
	out->retry_after = r->retry_after;
	out->body = strdup(r->body ? r->body : "");
	out->body_len = strlen(out->body);
	(void)snprintf(out->warning, sizeof(out->warning), "%s",
	               r->warning ? r->warning : "");
	return SAC_OK;
}

struct fx {
	struct fake_clock fc;
	struct sac_clock clock;
	struct stub stub;
	struct sac_client *client;
	char *dir;
	char *path;
	char warnings[512];
};

static void
collect_warning(const char *text, void *payload)
{
	struct fx *f = payload;

	(void)strncat(f->warnings, text,
	              sizeof(f->warnings) - strlen(f->warnings) - 2);
	(void)strcat(f->warnings, "|");
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sac_client_options o = SAC_CLIENT_OPTIONS_DEFAULT;
	struct sac_config cfg = { .server = "https://stub.invalid" };
	struct sac_diag d = { 0 };

	f->fc.now_ms = 1700000000000LL;
	f->clock = (struct sac_clock){ .now_ms = fake_now,
		                       .sleep_ms = fake_sleep,
		                       .payload = &f->fc };
	o.clock = &f->clock;
	o.http = stub_http;
	o.http_payload = &f->stub;
	o.on_warning = collect_warning;
	o.warning_payload = f;
	assert_int_equal(sac_client_new(&cfg, &o, &f->client, &d), SAC_OK);
	f->dir = th_mkdtemp();
	f->path = malloc(strlen(f->dir) + 8);
	(void)sprintf(f->path, "%s/token", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	sac_client_free(f->client);
	th_rmtree(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

static void
script(struct fx *f, const struct reply *r, int n)
{
	f->stub.replies = r;
	f->stub.n_replies = n;
	f->stub.calls = 0;
}

static enum sac_err
get_path(struct fx *f, const char *path, struct sac_diag *d)
{
	struct sac_http_response resp = { 0 };
	enum sac_err err;

	err = sac_client_request(f->client, "GET", path, NULL, 0, &resp, d);
	sac_http_response_fini(&resp);
	return err;
}

#define OK_BODY "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"items\":[]}"

static void
test_sac_api_retries_429_after_retry_after(void **state)
{
	struct fx *f = *state;
	static const struct reply r[] = {
		{ .status = 429, .retry_after = 2, .body = "Too many requests" },
		{ .status = 200, .retry_after = -1, .body = OK_BODY },
	};
	struct sac_diag d = { 0 };

	script(f, r, 2);
	assert_int_equal(get_path(f, "/api/v1/pods", &d), SAC_OK);
	assert_int_equal(f->stub.calls, 2);
	assert_int_equal(f->fc.slept_ms, 2000);
}

static void
test_sac_api_retry_count_is_bounded(void **state)
{
	struct fx *f = *state;
	static const struct reply r[] = {
		{ .status = 429, .retry_after = 1, .body = "Too many requests" },
	};
	struct sac_diag d = { 0 };

	script(f, r, 1);
	assert_int_equal(get_path(f, "/x", &d), SAC_EHTTP);
	assert_int_equal(f->stub.calls, 4); /* 1 + max_retries (3) */
	assert_int_equal(f->fc.slept_ms, 3000);
	assert_int_equal(d.status.code, 429);
	assert_string_equal(d.msg, "Error from server (TooManyRequests): the "
	                           "server has received too many requests "
	                           "and has asked us to try again later");
}

static void
test_sac_api_retry_wait_is_bounded(void **state)
{
	struct fx *f = *state;
	static const struct reply r[] = {
		{ .status = 503, .retry_after = 4, .body = "" },
	};
	struct sac_diag d = { 0 };

	script(f, r, 1);
	/* 4 s + 4 s fit in 10 s; a third wait would not. */
	assert_int_equal(get_path(f, "/x", &d), SAC_EHTTP);
	assert_int_equal(f->stub.calls, 3);
	assert_int_equal(f->fc.slept_ms, 8000);
	assert_int_equal(d.status.code, 503);
	assert_string_equal(d.status.reason, "ServiceUnavailable");
}

static void
test_sac_api_no_retry_without_retry_after(void **state)
{
	struct fx *f = *state;
	static const struct reply r[] = {
		{ .status = 429, .retry_after = -1, .body = "" },
		{ .status = 200, .retry_after = -1, .body = OK_BODY },
	};
	struct sac_diag d = { 0 };

	script(f, r, 2);
	assert_int_equal(get_path(f, "/x", &d), SAC_EHTTP);
	assert_int_equal(f->stub.calls, 1);
	assert_int_equal(f->fc.sleeps, 0);
}

static void
test_sac_api_network_errors_back_off_exponentially(void **state)
{
	struct fx *f = *state;
	static const struct reply r[] = {
		{ .err = SAC_ENETWORK },
		{ .err = SAC_ENETWORK },
		{ .status = 200, .retry_after = -1, .body = OK_BODY },
	};
	static const struct reply down[] = { { .err = SAC_ENETWORK } };
	static const struct reply tls[] = { { .err = SAC_ETLS } };
	struct sac_diag d = { 0 };

	script(f, r, 3);
	assert_int_equal(get_path(f, "/x", &d), SAC_OK);
	assert_int_equal(f->stub.calls, 3);
	assert_int_equal(f->fc.slept_ms, 250 + 500);

	f->fc.slept_ms = 0;
	script(f, down, 1);
	assert_int_equal(get_path(f, "/x", &d), SAC_ENETWORK);
	assert_int_equal(f->stub.calls, 4);
	assert_int_equal(f->fc.slept_ms, 250 + 500 + 1000);

	script(f, tls, 1);
	assert_int_equal(get_path(f, "/x", &d), SAC_ETLS);
	assert_int_equal(f->stub.calls, 1); /* TLS errors are not retried */
}

#define UNAUTHORIZED                                                        \
	"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"       \
	"\"status\":\"Failure\",\"message\":\"Unauthorized\",\"reason\":"   \
	"\"Unauthorized\",\"code\":401}"

static void
test_sac_api_401_refreshes_and_retries_once(void **state)
{
	struct fx *f = *state;
	static const struct reply r[] = {
		{ .status = 401, .retry_after = -1, .body = UNAUTHORIZED },
		{ .status = 200, .retry_after = -1, .body = OK_BODY },
	};
	struct sac_diag d = { 0 };
	struct sac_token_source *src = NULL;

	th_write_file(f->path, "old-token", 9);
	assert_int_equal(sac_token_source_new_file(f->path,
	                                           SAC_STRATEGY_REREAD, 0,
	                                           &f->clock, &src, &d),
	                 SAC_OK);
	sac_client_adopt_token_source(f->client, src);
	script(f, &r[1], 1);
	assert_int_equal(get_path(f, "/warm", &d), SAC_OK);
	/* The kubelet rotates the file; the cached copy is still "old". */
	th_write_file(f->path, "new-token", 9);
	script(f, r, 2);
	assert_int_equal(get_path(f, "/x", &d), SAC_OK);
	assert_int_equal(f->stub.calls, 2);
	assert_string_equal(f->stub.bearer[0], "old-token");
	assert_string_equal(f->stub.bearer[1], "new-token");
}

static void
test_sac_api_401_is_final_when_the_token_cannot_change(void **state)
{
	struct fx *f = *state;
	static const struct reply r[] = {
		{ .status = 401, .retry_after = -1, .body = UNAUTHORIZED },
	};
	struct sac_diag d = { 0 };
	struct sac_token_source *src = NULL;

	assert_int_equal(sac_token_source_new_static("tok", &src, &d), SAC_OK);
	sac_client_adopt_token_source(f->client, src);
	script(f, r, 1);
	assert_int_equal(get_path(f, "/x", &d), SAC_EAUTH);
	assert_int_equal(f->stub.calls, 1);
	assert_string_equal(d.msg, "You must be logged in to the server "
	                           "(Unauthorized)");
	assert_int_equal(d.status.code, 401);
}

static void
test_sac_api_401_twice_is_an_auth_error(void **state)
{
	struct fx *f = *state;
	static const struct reply r[] = {
		{ .status = 401, .retry_after = -1, .body = UNAUTHORIZED },
	};
	struct sac_diag d = { 0 };
	struct sac_token_source *src = NULL;

	th_write_file(f->path, "a", 1);
	assert_int_equal(sac_token_source_new_file(f->path,
	                                           SAC_STRATEGY_REREAD, 0,
	                                           &f->clock, &src, &d),
	                 SAC_OK);
	sac_client_adopt_token_source(f->client, src);
	script(f, r, 1);
	assert_int_equal(get_path(f, "/warm", &d), SAC_EAUTH);
	th_write_file(f->path, "b", 1);
	script(f, r, 1);
	/* "a" is cached → 401 → re-read gives "b" → 401 → stop. */
	assert_int_equal(get_path(f, "/x", &d), SAC_EAUTH);
	assert_int_equal(f->stub.calls, 2);
}

static void
test_sac_api_status_errors_read_like_kubectl(void **state)
{
	struct fx *f = *state;
	static const struct reply r403[] = {
		{ .status = 403,
		  .retry_after = -1,
		  .body = "{\"kind\":\"Status\",\"apiVersion\":\"v1\","
		          "\"metadata\":{},\"status\":\"Failure\",\"message\":"
		          "\"pods is forbidden: User \\\"system:serviceaccount:"
		          "ns:sa\\\" cannot list resource \\\"pods\\\" in API "
		          "group \\\"\\\" in the namespace \\\"default\\\"\","
		          "\"reason\":\"Forbidden\",\"details\":{\"kind\":"
		          "\"pods\"},\"code\":403}" },
	};
	static const struct reply r404[] = {
		{ .status = 404, .retry_after = -1, .body = "404 page not found\n" },
	};
	static const struct reply r422[] = {
		{ .status = 422,
		  .retry_after = -1,
		  .body = "{\"kind\":\"Status\",\"message\":\"bad\",\"reason\":"
		          "\"Invalid\",\"code\":422}" },
	};
	struct sac_diag d = { 0 };
	struct sac_issued_token t = { 0 };

	script(f, r403, 1);
	assert_int_equal(get_path(f, "/api/v1/namespaces/default/pods", &d),
	                 SAC_EFORBIDDEN);
	assert_string_equal(d.msg,
	                    "Error from server (Forbidden): pods is forbidden: "
	                    "User \"system:serviceaccount:ns:sa\" cannot list "
	                    "resource \"pods\" in API group \"\" in the "
	                    "namespace \"default\"");
	assert_string_equal(d.status.reason, "Forbidden");
	script(f, r404, 1);
	assert_int_equal(get_path(f, "/nope", &d), SAC_ENOTFOUND);
	assert_string_equal(d.msg, "Error from server (NotFound): the server "
	                           "could not find the requested resource");
	script(f, r422, 1);
	assert_int_equal(sac_token_create(f->client, "default", "app-sa", NULL,
	                                  0, 60, NULL, &t, &d),
	                 SAC_EHTTP);
	assert_string_equal(d.msg, "failed to create token: bad");
	assert_int_equal(sac_exit_code(SAC_EHTTP), 1);
}

static void
test_sac_api_requests_go_to_the_right_paths(void **state)
{
	struct fx *f = *state;
	static const struct reply pods[] = {
		{ .status = 200, .retry_after = -1, .body = OK_BODY },
	};
	static const struct reply token[] = {
		{ .status = 201,
		  .retry_after = -1,
		  .warning = "299 - \"requested expiration of 7200 seconds "
		             "shortened to 3600 seconds\"",
		  .body = "{\"status\":{\"token\":\"abc\",\"expirationTimestamp\":"
		          "\"2023-11-14T23:13:20Z\"},\"spec\":{"
		          "\"expirationSeconds\":3600}}" },
	};
	static const struct reply review[] = {
		{ .status = 201,
		  .retry_after = -1,
		  .body = "{\"status\":{\"authenticated\":true}}" },
	};
	static const char *const aud[] = { "https://example.com" };
	struct sac_issued_token t = { 0 };
	struct sac_diag d = { 0 };
	cJSON *j = NULL;

	script(f, pods, 1);
	assert_int_equal(sac_pods_get(f->client, "prod", NULL, &j, &d), SAC_OK);
	cJSON_Delete(j);
	assert_int_equal(sac_pods_get(f->client, NULL, NULL, &j, &d), SAC_OK);
	cJSON_Delete(j);
	assert_int_equal(sac_pods_get(f->client, "prod", "p1", &j, &d), SAC_OK);
	cJSON_Delete(j);
	assert_string_equal(f->stub.path[0],
	                    "/api/v1/namespaces/prod/pods?limit=500");
	assert_string_equal(f->stub.path[1], "/api/v1/pods?limit=500");
	assert_string_equal(f->stub.path[2], "/api/v1/namespaces/prod/pods/p1");
	assert_int_equal(sac_pods_get(f->client, "a/b", NULL, &j, &d),
	                 SAC_EINVAL);
	assert_int_equal(f->stub.calls, 3);

	script(f, token, 1);
	assert_int_equal(sac_token_create(f->client, "prod", "app-sa", aud, 1,
	                                  7200, "p1", &t, &d),
	                 SAC_OK);
	assert_string_equal(t.token, "abc");
	assert_int_equal(t.expires_at, 1700003600);
	sac_issued_token_fini(&t);
	assert_string_equal(f->stub.path[0],
	                    "/api/v1/namespaces/prod/serviceaccounts/app-sa/"
	                    "token");
	assert_string_equal(f->stub.body[0],
	                    "{\"apiVersion\":\"authentication.k8s.io/v1\","
	                    "\"kind\":\"TokenRequest\",\"spec\":{\"audiences\":"
	                    "[\"https://example.com\"],\"expirationSeconds\":"
	                    "7200,\"boundObjectRef\":{\"kind\":\"Pod\","
	                    "\"apiVersion\":\"v1\",\"name\":\"p1\"}}}");
	assert_string_equal(f->warnings, "requested expiration of 7200 seconds "
	                                 "shortened to 3600 seconds|");

	script(f, review, 1);
	assert_int_equal(sac_token_review(f->client, "eyJ.x.y", aud, 1, &j, &d),
	                 SAC_OK);
	cJSON_Delete(j);
	assert_string_equal(f->stub.path[0],
	                    "/apis/authentication.k8s.io/v1/tokenreviews");
	assert_string_equal(f->stub.body[0],
	                    "{\"apiVersion\":\"authentication.k8s.io/v1\","
	                    "\"kind\":\"TokenReview\",\"spec\":{\"token\":"
	                    "\"eyJ.x.y\",\"audiences\":[\"https://example.com\"]"
	                    "}}");
	assert_int_equal(sac_whoami(f->client, &j, &d), SAC_OK);
	cJSON_Delete(j);
	assert_string_equal(f->stub.path[1],
	                    "/apis/authentication.k8s.io/v1/selfsubjectreviews");
	assert_string_equal(f->stub.body[1],
	                    "{\"apiVersion\":\"authentication.k8s.io/v1\","
	                    "\"kind\":\"SelfSubjectReview\"}");
	/* No token source: no Authorization. */
	assert_string_equal(f->stub.bearer[1], "");
}

static void
test_sac_api_non_json_2xx_is_an_error(void **state)
{
	struct fx *f = *state;
	static const struct reply r[] = {
		{ .status = 200, .retry_after = -1, .body = "<html>" },
	};
	struct sac_diag d = { 0 };
	cJSON *j = NULL;

	script(f, r, 1);
	assert_int_equal(sac_whoami(f->client, &j, &d), SAC_EHTTP);
	assert_null(j);
	assert_non_null(strstr(d.msg, "not JSON"));
}

/* ---- the pod table ---- */

static cJSON *
parse(const char *text)
{
	cJSON *j = cJSON_Parse(text);

	assert_non_null(j);
	return j;
}

static void
test_sac_api_pod_table_like_kubectl(void **state)
{
	cJSON *list = parse(
		"{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"items\":["
		/* reference §7.4 */
		"{\"metadata\":{\"name\":\"p1\",\"namespace\":\"default\","
		"\"creationTimestamp\":\"2025-01-01T00:00:00Z\"},"
		"\"spec\":{\"containers\":[{\"name\":\"main\"}]},"
		"\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{"
		"\"name\":\"main\",\"ready\":true,\"restartCount\":0,"
		"\"state\":{\"running\":{\"startedAt\":\"2025-01-01T00:00:05Z\"}}"
		"}]}},"
		/* crash looping, 2 of 2 containers, one ready */
		"{\"metadata\":{\"name\":\"crashy-with-a-long-name\","
		"\"namespace\":\"kube-system\","
		"\"creationTimestamp\":\"2025-01-10T22:00:00Z\"},"
		"\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]},"
		"\"status\":{\"phase\":\"Running\",\"containerStatuses\":["
		"{\"name\":\"a\",\"ready\":true,\"restartCount\":0,"
		"\"state\":{\"running\":{}}},"
		"{\"name\":\"b\",\"ready\":false,\"restartCount\":5,"
		"\"lastState\":{\"terminated\":{\"exitCode\":1,"
		"\"finishedAt\":\"2025-01-10T23:58:00Z\"}},"
		"\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}}}]}},"
		/* being deleted */
		"{\"metadata\":{\"name\":\"going\",\"namespace\":\"default\","
		"\"creationTimestamp\":\"2025-01-10T23:59:30Z\","
		"\"deletionTimestamp\":\"2025-01-11T00:00:00Z\"},"
		"\"spec\":{\"containers\":[{\"name\":\"c\"}]},"
		"\"status\":{\"phase\":\"Running\"}},"
		/* init container still running, no timestamp */
		"{\"metadata\":{\"name\":\"init\",\"namespace\":\"default\"},"
		"\"spec\":{\"initContainers\":[{\"name\":\"i1\"},{\"name\":\"i2\"}],"
		"\"containers\":[{\"name\":\"c\"}]},"
		"\"status\":{\"phase\":\"Pending\",\"initContainerStatuses\":["
		"{\"name\":\"i1\",\"state\":{\"terminated\":{\"exitCode\":0}}},"
		"{\"name\":\"i2\",\"state\":{\"running\":{}}}]}},"
		/* finished with an exit code and no reason */
		"{\"metadata\":{\"name\":\"job\",\"namespace\":\"default\","
		"\"creationTimestamp\":\"2025-01-09T00:00:00Z\"},"
		"\"spec\":{\"containers\":[{\"name\":\"c\"}]},"
		"\"status\":{\"phase\":\"Failed\",\"containerStatuses\":[{"
		"\"name\":\"c\",\"restartCount\":0,\"state\":{\"terminated\":{"
		"\"exitCode\":3}}}]}}"
		"]}");
	/* 2025-01-11T00:00:00Z */
	int64_t now = 1736553600;
	char *text = NULL;

	(void)state;
	assert_int_equal(sac_pods_format_table(list, false, now, &text), SAC_OK);
	assert_string_equal(
		text,
		"NAME                      READY   STATUS             RESTARTS     AGE\n"
		"p1                        1/1     Running            0            10d\n"
		"crashy-with-a-long-name   1/2     CrashLoopBackOff   5 (2m ago)   120m\n"
		"going                     0/1     Terminating        0            30s\n"
		"init                      0/1     Init:1/2           0            <unknown>\n"
		"job                       0/1     ExitCode:3         0            2d\n");
	free(text);
	assert_int_equal(sac_pods_format_table(cJSON_GetArrayItem(
						       cJSON_GetObjectItem(list,
	                                                                   "items"),
						       0),
	                                       true, now, &text),
	                 SAC_OK);
	assert_string_equal(text, "NAMESPACE   NAME   READY   STATUS    "
	                          "RESTARTS   AGE\n"
	                          "default     p1     1/1     Running   0  "
	                          "        10d\n");
	free(text);
	cJSON_Delete(list);
	list = parse("{\"kind\":\"PodList\",\"items\":[]}");
	assert_int_equal(sac_pods_format_table(list, false, now, &text), SAC_OK);
	assert_string_equal(text, "");
	free(text);
	cJSON_Delete(list);
}

static void
test_sac_api_status_parse_falls_back_to_generic_text(void **state)
{
	struct sac_status st;
	const char *body = "{\"kind\":\"Status\",\"message\":\"m\",\"reason\":"
	                   "\"AlreadyExists\",\"code\":409}";

	(void)state;
	sac_status_parse(body, strlen(body), 409, &st);
	assert_int_equal(st.code, 409);
	assert_string_equal(st.reason, "AlreadyExists");
	assert_string_equal(st.message, "m");
	sac_status_parse("Too many requests, please try again later.\n", 43,
	                 429, &st);
	assert_string_equal(st.reason, "TooManyRequests");
	sac_status_parse(NULL, 0, 401, &st);
	assert_string_equal(st.message, "the server has asked for the client "
	                                "to provide credentials");
	/* JSON that is not a Status is ignored too. */
	sac_status_parse("{\"kind\":\"Pod\",\"message\":\"x\"}", 29, 404, &st);
	assert_string_equal(st.message, "the server could not find the "
	                                "requested resource");
}

int
main(int argc, char **argv)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_sac_api_retries_429_after_retry_after),
		T(test_sac_api_retry_count_is_bounded),
		T(test_sac_api_retry_wait_is_bounded),
		T(test_sac_api_no_retry_without_retry_after),
		T(test_sac_api_network_errors_back_off_exponentially),
		T(test_sac_api_401_refreshes_and_retries_once),
		T(test_sac_api_401_is_final_when_the_token_cannot_change),
		T(test_sac_api_401_twice_is_an_auth_error),
		T(test_sac_api_status_errors_read_like_kubectl),
		T(test_sac_api_requests_go_to_the_right_paths),
		T(test_sac_api_non_json_2xx_is_an_error),
		cmocka_unit_test(test_sac_api_pod_table_like_kubectl),
		cmocka_unit_test(
			test_sac_api_status_parse_falls_back_to_generic_text),
	};
#undef T

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("sac_api", tests, NULL, NULL);
}
