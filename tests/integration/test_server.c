/* SPDX-License-Identifier: MIT */
/*
 * The real server in process on 127.0.0.1 port 0 with a state dir made by
 * the openssl CLI, driven over verified TLS with libcurl.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "server/config.h"
#include "server/http.h"
#include "server/server.h"
#include "th.h"

#define STATUS_401                                                        \
	"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"     \
	"\"status\":\"Failure\",\"message\":\"Unauthorized\",\"reason\":" \
	"\"Unauthorized\",\"code\":401}\n"

struct fixture {
	char *dir;
	char state[512];
	char ca[600];
	char token[128];
	struct mapi_server *server;
	CURL *curl;
};

/* One request on f->curl (kept across calls: keep-alive). */
static void
request(struct fixture *f, const char *method, const char *path,
        const char *token, const char *body, size_t len, struct th_reply *out)
{
	struct curl_slist *h = NULL;
	char url[256];
	char auth[256];
	CURLcode rc;

	memset(out, 0, sizeof(*out));
	(void)snprintf(url, sizeof(url), "%s%s", mapi_server_url(f->server),
	               path);
	curl_easy_reset(f->curl);
	curl_easy_setopt(f->curl, CURLOPT_URL, url);
	curl_easy_setopt(f->curl, CURLOPT_CAINFO, f->ca);
	curl_easy_setopt(f->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(f->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(f->curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, th_reply_on_body);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(f->curl, CURLOPT_HEADERFUNCTION, th_reply_on_header);
	curl_easy_setopt(f->curl, CURLOPT_HEADERDATA, out);
	curl_easy_setopt(f->curl, CURLOPT_CUSTOMREQUEST, method);
	if (token != NULL) {
		(void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
		               token);
		h = curl_slist_append(h, auth);
	}
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, h);
	if (body != NULL) {
		curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(f->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		                 (curl_off_t)len);
	}
	rc = curl_easy_perform(f->curl);
	curl_slist_free_all(h);
	if (rc != CURLE_OK) {
		fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
	}
	curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &out->code);
	curl_easy_getinfo(f->curl, CURLINFO_NUM_CONNECTS, &out->num_connects);
	if (out->body == NULL) {
		out->body = calloc(1, 1);
		assert_non_null(out->body);
	}
}

static void
start(struct fixture *f, bool anonymous)
{
	struct mapi_config cfg;
	struct mapi_diag d = { 0 };
	char path[600];
	char *tok;

	mapi_config_init(&cfg);
	cfg.port = 0;
	cfg.threads = 2;
	cfg.state_dir = f->state;
	cfg.anonymous_auth = anonymous;
	if (mapi_server_start(&cfg, &f->server, &d) != MAPI_OK) {
		fail_msg("server start: %s", d.msg);
	}
	(void)snprintf(path, sizeof(path), "%s/admin-token", f->state);
	tok = th_read_file(path, NULL);
	(void)snprintf(f->token, sizeof(f->token), "%s", tok);
	free(tok);
}

static int
setup_common(void **state, bool anonymous)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = th_mkdtemp();
	(void)snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	(void)snprintf(f->ca, sizeof(f->ca), "%s/ca.crt", f->state);
	th_make_test_pki(f->state);
	start(f, anonymous);
	f->curl = curl_easy_init();
	assert_non_null(f->curl);
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_common(state, true);
}

static int
setup_no_anonymous(void **state)
{
	return setup_common(state, false);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	curl_easy_cleanup(f->curl);
	mapi_server_stop(f->server);
	th_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void
test_server_version_over_verified_tls(void **state)
{
	struct fixture *f = *state;
	struct th_reply r;

	request(f, "GET", "/version?timeout=32s", NULL, NULL, 0, &r);
	assert_int_equal(r.code, 200);
	assert_non_null(strstr(r.body, "\"major\": \"1\""));
	assert_non_null(strstr(r.body, "\"minor\": \"32\""));
	assert_non_null(strstr(r.body, "\"gitVersion\": \"v1.32.4\""));
	assert_non_null(strstr(r.headers, "Content-Type: application/json"));
	free(r.body);
}

static void
test_server_health_endpoints_say_ok(void **state)
{
	struct fixture *f = *state;
	static const char *const paths[] = { "/healthz", "/livez", "/readyz" };
	struct th_reply r;
	size_t i;

	for (i = 0; i < 3; i++) {
		request(f, "GET", paths[i], NULL, NULL, 0, &r);
		assert_int_equal(r.code, 200);
		assert_string_equal(r.body, "ok");
		free(r.body);
	}
	request(f, "GET", "/readyz?verbose", f->token, NULL, 0, &r);
	assert_int_equal(r.code, 200);
	assert_non_null(strstr(r.body, "[+]ping ok\n"));
	assert_non_null(strstr(r.body, "readyz check passed\n"));
	free(r.body);
	/* Anonymous may not read checks below the public paths. */
	request(f, "GET", "/healthz/ping", NULL, NULL, 0, &r);
	assert_int_equal(r.code, 403);
	free(r.body);
	request(f, "GET", "/healthz/ping", f->token, NULL, 0, &r);
	assert_int_equal(r.code, 200);
	free(r.body);
}

static void
test_server_admin_token_is_allowed(void **state)
{
	struct fixture *f = *state;
	struct th_reply r;

	/* system:masters through RBAC: the default cluster's pods. */
	request(f, "GET", "/api/v1/pods", f->token, NULL, 0, &r);
	assert_int_equal(r.code, 200);
	assert_non_null(strstr(r.body, "{\"kind\":\"PodList\",\"apiVersion\":"
	                               "\"v1\",\"metadata\":{"));
	assert_non_null(strstr(r.body, "\"name\":\"api-server-"));
	free(r.body);
	request(f, "GET", "/version", f->token, NULL, 0, &r);
	assert_int_equal(r.code, 200);
	free(r.body);
}

static void
test_server_bad_token_gets_exact_401(void **state)
{
	struct fixture *f = *state;
	struct th_reply r;

	request(f, "GET", "/version", "not-a-token", NULL, 0, &r);
	assert_int_equal(r.code, 401);
	assert_string_equal(r.body, STATUS_401);
	assert_false(th_reply_has_header(&r, "WWW-Authenticate"));
	assert_true(th_reply_has_header(&r, "Content-Type"));
	free(r.body);
}

static void
test_server_anonymous_reads_version_but_not_pods(void **state)
{
	struct fixture *f = *state;
	struct th_reply r;

	request(f, "GET", "/version", NULL, NULL, 0, &r);
	assert_int_equal(r.code, 200);
	free(r.body);
	request(f, "GET", "/api/v1/pods", NULL, NULL, 0, &r);
	assert_int_equal(r.code, 403);
	assert_string_equal(
		r.body,
		"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
		"\"status\":\"Failure\",\"message\":\"pods is forbidden: User "
		"\\\"system:anonymous\\\" cannot list resource \\\"pods\\\" in "
		"API group \\\"\\\" at the cluster scope\",\"reason\":"
		"\"Forbidden\",\"details\":{\"kind\":\"pods\"},\"code\":403}"
	        "\n");
	free(r.body);
	request(f, "GET", "/api", NULL, NULL, 0, &r);
	assert_int_equal(r.code, 403);
	assert_non_null(strstr(r.body, "forbidden: User \\\"system:anonymous"
	                               "\\\" cannot get path \\\"/api\\\""));
	free(r.body);
}

static void
test_server_keeps_the_connection_alive(void **state)
{
	struct fixture *f = *state;
	struct th_reply r;

	request(f, "GET", "/version", f->token, NULL, 0, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.num_connects, 1);
	free(r.body);
	request(f, "GET", "/healthz", f->token, NULL, 0, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.num_connects, 0); /* reused */
	assert_false(th_reply_has_header(&r, "Connection"));
	free(r.body);
	/* Error responses keep it too. */
	request(f, "GET", "/nope", f->token, NULL, 0, &r);
	assert_int_equal(r.code, 404);
	assert_int_equal(r.num_connects, 0);
	free(r.body);
}

static void
test_server_body_over_3mib_is_413(void **state)
{
	struct fixture *f = *state;
	size_t n = MAPI_HTTP_MAX_BODY + 1;
	char *big = malloc(n);
	struct th_reply r;

	assert_non_null(big);
	memset(big, 'a', n);
	/* Exactly the bound is read: /version then answers 405. */
	request(f, "POST", "/version", f->token, big, n - 1, &r);
	assert_int_equal(r.code, 405);
	assert_non_null(strstr(r.body, "\"reason\":\"MethodNotAllowed\""));
	free(r.body);
	request(f, "POST", "/version", f->token, big, n, &r);
	assert_int_equal(r.code, 413);
	assert_string_equal(
		r.body,
		"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
		"\"status\":\"Failure\",\"message\":\"Request entity too "
	        "large: "
		"limit is 3145728\",\"reason\":\"RequestEntityTooLarge\","
		"\"code\":413}\n");
	free(r.body);
	/* The whole body was read, so the connection survives the 413. */
	request(f, "GET", "/version", f->token, NULL, 0, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.num_connects, 0);
	free(r.body);
	free(big);
}

static void
test_server_unknown_path_is_plain_404(void **state)
{
	struct fixture *f = *state;
	struct th_reply r;

	request(f, "GET", "/no/such/thing", f->token, NULL, 0, &r);
	assert_int_equal(r.code, 404);
	assert_string_equal(r.body, "404 page not found\n");
	assert_non_null(
		strstr(r.headers, "Content-Type: text/plain; charset=utf-8"));
	free(r.body);
	request(f, "GET", "/api/v1/namespaces/a%2Fb/pods", f->token, NULL, 0,
	        &r);
	assert_int_equal(r.code, 404);
	free(r.body);
	request(f, "GET", "/api/v1/namespaces/a%zz/pods", f->token, NULL, 0,
	        &r);
	assert_int_equal(r.code, 400);
	free(r.body);
}

static void
test_server_writes_kubeconfig_and_reuses_admin_token(void **state)
{
	struct fixture *f = *state;
	char want[256];
	char *kc;
	struct stat st;
	char old[128];

	kc = th_read_file(mapi_server_kubeconfig_path(f->server), NULL);
	(void)snprintf(want, sizeof(want), "    server: https://127.0.0.1:%u\n",
	               mapi_server_port(f->server));
	assert_non_null(strstr(kc, want));
	assert_non_null(strstr(kc, "    certificate-authority-data: LS0t"));
	assert_non_null(strstr(kc, "current-context: mockapi\n"));
	assert_non_null(strstr(kc, "    namespace: default\n"));
	(void)snprintf(want, sizeof(want), "    token: %s\n", f->token);
	assert_non_null(strstr(kc, want));
	free(kc);
	assert_int_equal(stat(mapi_server_kubeconfig_path(f->server), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(strlen(f->token), 64);
	/* A restart keeps the token. */
	(void)snprintf(old, sizeof(old), "%s", f->token);
	mapi_server_stop(f->server);
	f->server = NULL;
	start(f, true);
	assert_string_equal(f->token, old);
}

static void
test_server_second_start_on_same_port_fails(void **state)
{
	struct fixture *f = *state;
	struct mapi_server *other = (struct mapi_server *)0x1;
	struct mapi_config cfg;
	struct mapi_diag d = { 0 };
	char want[96];
	char dir[600];

	/* Its own state dir: the first server holds f->state's lock. */
	(void)snprintf(dir, sizeof(dir), "%s/state-b", f->dir);
	mapi_config_init(&cfg);
	cfg.port = mapi_server_port(f->server);
	cfg.threads = 1;
	cfg.state_dir = dir;
	assert_int_equal(mapi_server_start(&cfg, &other, &d), MAPI_EIO);
	assert_ptr_equal(other, (struct mapi_server *)0x1);
	(void)snprintf(want, sizeof(want),
	               "listen 127.0.0.1:%u: Address already in use", cfg.port);
	assert_string_equal(d.msg, want);
}

static void
test_server_second_start_on_same_state_dir_fails(void **state)
{
	struct fixture *f = *state;
	struct mapi_server *other = (struct mapi_server *)0x1;
	struct mapi_config cfg;
	struct mapi_diag d = { 0 };
	char want[700];

	mapi_config_init(&cfg);
	cfg.port = 0;
	cfg.threads = 1;
	cfg.state_dir = f->state;
	assert_int_equal(mapi_server_start(&cfg, &other, &d),
	                 MAPI_EUNAVAILABLE);
	assert_ptr_equal(other, (struct mapi_server *)0x1);
	(void)snprintf(want, sizeof(want),
	               "state dir %s is in use by another mockapi",
	               mapi_server_state_dir(f->server));
	assert_string_equal(d.msg, want);
}

static void
test_server_without_anonymous_auth_is_401(void **state)
{
	struct fixture *f = *state;
	struct th_reply r;

	request(f, "GET", "/version", NULL, NULL, 0, &r);
	assert_int_equal(r.code, 401);
	assert_string_equal(r.body, STATUS_401);
	free(r.body);
	request(f, "GET", "/version", f->token, NULL, 0, &r);
	assert_int_equal(r.code, 200);
	free(r.body);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_server_version_over_verified_tls, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_server_health_endpoints_say_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_server_admin_token_is_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_server_bad_token_gets_exact_401, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_server_anonymous_reads_version_but_not_pods, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_server_keeps_the_connection_alive, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_server_body_over_3mib_is_413, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_server_unknown_path_is_plain_404, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_server_writes_kubeconfig_and_reuses_admin_token,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_server_second_start_on_same_port_fails, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_server_second_start_on_same_state_dir_fails, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_server_without_anonymous_auth_is_401,
			setup_no_anonymous, teardown),
	};
	int rc;

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests_name("integration_server", tests, NULL,
	                                 NULL);
	curl_global_cleanup();
	return rc;
}
