/* SPDX-License-Identifier: MIT */
/*
 * ServiceAccount token endpoints of the real server in process (port 0,
 * verified TLS, libcurl): TokenRequest (§2.3 shape, every §2.5 row),
 * TokenReview (§3.3 shapes, every §3.4 row, the 10 s success cache on the
 * mock clock), request authentication with SA tokens, SelfSubjectReview,
 * the access reviews, OIDC discovery and legacy Secret tokens. Tokens are
 * never printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "auth/jose.h"
#include "auth/jwt.h"
#include "auth/keys.h"
#include "server/config.h"
#include "server/server.h"
#include "sim/clock.h"
#include "th.h"

#define ISS  "https://kubernetes.default.svc.cluster.local"
#define PROD "/api/v1/namespaces/production/serviceaccounts/"
#define SA   "app-service-account"
#define POD  "api-server-5f6d8b9c4-m7n2q"
#define TR   "/apis/authentication.k8s.io/v1/tokenreviews"
#define ST                                                            \
	"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{}," \
	"\"status\":\"Failure\",\"message\":"

struct fixture {
	char *dir;
	char state[512];
	char ca[600];
	char admin[128];
	struct mapi_server *server;
	CURL *curl;
};

static void
request(struct fixture *f, const char *method, const char *path,
        const char *token, const char *body, struct th_reply *out)
{
	struct curl_slist *h = NULL;
	char url[512];
	char *auth = NULL;
	CURLcode rc;

	memset(out, 0, sizeof(*out));
	(void)snprintf(url, sizeof(url), "%s%s", mapi_server_url(f->server),
	               path);
	curl_easy_reset(f->curl);
	curl_easy_setopt(f->curl, CURLOPT_URL, url);
	curl_easy_setopt(f->curl, CURLOPT_CAINFO, f->ca);
	curl_easy_setopt(f->curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, th_reply_on_body);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(f->curl, CURLOPT_HEADERFUNCTION, th_reply_on_header);
	curl_easy_setopt(f->curl, CURLOPT_HEADERDATA, out);
	curl_easy_setopt(f->curl, CURLOPT_CUSTOMREQUEST, method);
	if (token != NULL) {
		size_t n = strlen(token) + 32;

		auth = malloc(n);
		assert_non_null(auth);
		(void)snprintf(auth, n, "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	h = curl_slist_append(h, "Expect:");
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, h);
	if (body != NULL) {
		curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS, body);
	}
	rc = curl_easy_perform(f->curl);
	curl_slist_free_all(h);
	free(auth);
	if (rc != CURLE_OK) {
		fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
	}
	curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &out->code);
	if (out->body == NULL) {
		out->body = calloc(1, 1);
		assert_non_null(out->body);
	}
}

/* POSTs and checks the code; returns the body (caller frees). */
static char *
post(struct fixture *f, const char *path, const char *token, const char *body,
     long want)
{
	struct th_reply r;

	request(f, "POST", path, token, body, &r);
	if (r.code != want) {
		fail_msg("POST %s: %ld, want %ld: %.300s", path, r.code, want,
		         r.body);
	}
	return r.body;
}

static void
del(struct fixture *f, const char *path)
{
	struct th_reply r;

	request(f, "DELETE", path, f->admin, NULL, &r);
	assert_int_equal(r.code, 200);
	free(r.body);
}

/* A string at a dotted path of a JSON text (malloc'd), or NULL. */
static char *
json_str(const char *text, const char *path)
{
	cJSON *o = cJSON_Parse(text);
	const cJSON *it = o;
	char buf[256];
	char *save = NULL;
	char *seg;
	char *out = NULL;

	(void)snprintf(buf, sizeof(buf), "%s", path);
	for (seg = strtok_r(buf, ".", &save); seg != NULL && it != NULL;
	     seg = strtok_r(NULL, ".", &save)) {
		it = cJSON_GetObjectItemCaseSensitive(it, seg);
	}
	if (cJSON_IsString(it)) {
		out = strdup(it->valuestring);
	}
	cJSON_Delete(o);
	return out;
}

/* Replaces the first occurrence of what in *s by with (reallocs). */
static void
replace(char **s, const char *what, const char *with)
{
	char *p = strstr(*s, what);
	size_t n;
	char *o;

	assert_non_null(p);
	n = strlen(*s) - strlen(what) + strlen(with) + 1;
	o = malloc(n);
	assert_non_null(o);
	(void)snprintf(o, n, "%.*s%s%s", (int)(p - *s), *s, with,
	               p + strlen(what));
	free(*s);
	*s = o;
}

/* A token for ns/sa with the given TokenRequest spec JSON. */
static char *
issue(struct fixture *f, const char *ns, const char *sa, const char *spec)
{
	char path[256];
	char body[1024];
	char *resp;
	char *tok;

	(void)snprintf(path, sizeof(path),
	               "/api/v1/namespaces/%s/serviceaccounts/%s/token", ns,
	               sa);
	(void)snprintf(body, sizeof(body), "{\"spec\":%s}", spec);
	resp = post(f, path, f->admin, body, 201);
	tok = json_str(resp, "status.token");
	free(resp);
	assert_non_null(tok);
	return tok;
}

/* TokenReview (by the admin) of token: its whole response. */
static char *
review(struct fixture *f, const char *token, const char *auds)
{
	size_t n = strlen(token) + 256;
	char *body = malloc(n);
	char *resp;

	assert_non_null(body);
	(void)snprintf(body, n, "{\"spec\":{\"token\":\"%s\"%s%s}}", token,
	               auds ? ",\"audiences\":" : "", auds ? auds : "");
	resp = post(f, TR, f->admin, body, 201);
	free(body);
	return resp;
}

/* status.error of a review ("" when authenticated). */
static char *
review_error(struct fixture *f, const char *token)
{
	char *resp = review(f, token, NULL);
	char *e = json_str(resp, "status.error");

	if (e == NULL) {
		assert_non_null(strstr(resp, "\"authenticated\":true"));
		e = strdup("");
	}
	free(resp);
	return e;
}

static void
assert_review_error(struct fixture *f, const char *token, const char *want)
{
	char *e = review_error(f, token);

	assert_string_equal(e, want);
	free(e);
}

static char *
uid_of(struct fixture *f, const char *path)
{
	struct th_reply r;
	char *uid;

	request(f, "GET", path, f->admin, NULL, &r);
	assert_int_equal(r.code, 200);
	uid = json_str(r.body, "metadata.uid");
	free(r.body);
	assert_non_null(uid);
	return uid;
}

static void
start(struct fixture *f, int64_t max_ttl_ns)
{
	struct mapi_config cfg;
	struct mapi_diag d = { 0 };
	char path[600];
	char *tok;

	mapi_config_init(&cfg);
	cfg.port = 0;
	cfg.threads = 2;
	cfg.state_dir = f->state;
	cfg.clock_spec = "frozen:2025-06-01T10:00:00Z";
	cfg.token_max_ttl_ns = max_ttl_ns;
	if (mapi_server_start(&cfg, &f->server, &d) != MAPI_OK) {
		fail_msg("server start: %s", d.msg);
	}
	(void)snprintf(path, sizeof(path), "%s/admin-token", f->state);
	tok = th_read_file(path, NULL);
	(void)snprintf(f->admin, sizeof(f->admin), "%s", tok);
	free(tok);
}

static int
setup_with(void **state, int64_t max_ttl_ns)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = th_mkdtemp();
	(void)snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	(void)snprintf(f->ca, sizeof(f->ca), "%s/ca.crt", f->state);
	th_make_test_pki(f->state);
	start(f, max_ttl_ns);
	f->curl = curl_easy_init();
	assert_non_null(f->curl);
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_with(state, 0);
}

static int
setup_max_1h(void **state)
{
	return setup_with(state, INT64_C(3600) * MAPI_NS_PER_SEC);
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
advance(struct fixture *f, int64_t seconds)
{
	assert_int_equal(mapi_clock_advance_ns(mapi_server_clock(f->server),
	                                       seconds * MAPI_NS_PER_SEC),
	                 MAPI_OK);
}

/* A fresh ServiceAccount ns/name (made by the admin); returns its uid. */
static char *
make_sa(struct fixture *f, const char *ns, const char *name)
{
	char path[256];
	char body[256];
	char *resp;
	char *uid;

	(void)snprintf(path, sizeof(path),
	               "/api/v1/namespaces/%s/serviceaccounts", ns);
	(void)snprintf(body, sizeof(body),
	               "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\","
	               "\"metadata\":{\"name\":\"%s\"}}",
	               name);
	resp = post(f, path, f->admin, body, 201);
	uid = json_str(resp, "metadata.uid");
	free(resp);
	assert_non_null(uid);
	return uid;
}

static char *
make_pod(struct fixture *f, const char *name)
{
	char body[512];
	char *resp;
	char *uid;

	(void)snprintf(body, sizeof(body),
	               "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
	               "{\"name\":\"%s\"},\"spec\":{\"serviceAccountName\":"
	               "\"" SA "\",\"containers\":[{\"name\":\"c\","
	               "\"image\":\"busybox\"}]}}",
	               name);
	resp = post(f, "/api/v1/namespaces/production/pods", f->admin, body,
	            201);
	uid = json_str(resp, "metadata.uid");
	free(resp);
	assert_non_null(uid);
	return uid;
}

/* ------------------------------------------------------------ tests */

static void
test_tokens_request_has_the_exact_response_shape(void **state)
{
	struct fixture *f = *state;
	char *resp = post(f, PROD SA "/token", f->admin, "{\"spec\":{}}", 201);
	char *tok = json_str(resp, "status.token");

	assert_non_null(tok);
	assert_true(strncmp(tok, "eyJhbGciOiJSUzI1NiIsImtpZCI6", 28) == 0);
	replace(&resp, tok, "T");
	assert_string_equal(
		resp,
		"{\"kind\":\"TokenRequest\",\"apiVersion\":"
		"\"authentication.k8s.io/v1\",\"metadata\":{\"name\":\"" SA
		"\",\"namespace\":\"production\",\"creationTimestamp\":"
		"\"2025-06-01T10:00:00Z\"},\"spec\":{\"audiences\":[\"" ISS
		"\"],\"expirationSeconds\":3600,\"boundObjectRef\":null},"
		"\"status\":{\"token\":\"T\",\"expirationTimestamp\":"
		"\"2025-06-01T11:00:00Z\"}}\n");
	free(resp);
	free(tok);
	/* A bound ref is echoed as sent (no uid added). */
	resp = post(f, PROD SA "/token", f->admin,
	            "{\"spec\":{\"audiences\":[\"https://example.com\"],"
	            "\"expirationSeconds\":7200,\"boundObjectRef\":{\"kind\":"
	            "\"Pod\",\"apiVersion\":\"v1\",\"name\":\"" POD "\"}}}",
	            201);
	assert_non_null(strstr(
		resp, "\"spec\":{\"audiences\":[\"https://example.com\"],"
		      "\"expirationSeconds\":7200,\"boundObjectRef\":{\"kind\":"
		      "\"Pod\",\"apiVersion\":\"v1\",\"name\":\"" POD "\"}},"));
	assert_non_null(strstr(
		resp, "\"expirationTimestamp\":\"2025-06-01T12:00:00Z\""));
	free(resp);
}

struct row {
	const char *path;
	const char *body;
	long code;
	const char *want;
};

static void
test_tokens_request_errors_match_every_row(void **state)
{
	struct fixture *f = *state;
	static const struct row rows[] = {
		{ PROD SA "/token", "{\"metadata\":{\"name\":\"other\"}}", 422,
		  ST "\"TokenRequest.authentication.k8s.io \\\"" SA
		     "\\\" is invalid: metadata.name: Invalid value: "
		     "\\\"other\\\": must match the service account name if "
		     "specified\",\"reason\":\"Invalid\",\"details\":{\"name\":"
		     "\"" SA "\",\"group\":\"authentication.k8s.io\",\"kind\":"
		     "\"TokenRequest\",\"causes\":[{\"reason\":"
		     "\"FieldValueInvalid\",\"message\":\"Invalid value: "
		     "\\\"other\\\": must match the service account name if "
		     "specified\",\"field\":\"metadata.name\"}]},\"code\":422}"
		     "\n" },
		{ PROD SA "/token", "{\"metadata\":{\"namespace\":\"x\"}}", 422,
		  ST "\"TokenRequest.authentication.k8s.io \\\"" SA
		     "\\\" is invalid: metadata.namespace: Invalid value: "
		     "\\\"x\\\": must match the service account namespace if "
		     "specified\",\"reason\":\"Invalid\",\"details\":{\"name\":"
		     "\"" SA "\",\"group\":\"authentication.k8s.io\",\"kind\":"
		     "\"TokenRequest\",\"causes\":[{\"reason\":"
		     "\"FieldValueInvalid\",\"message\":\"Invalid value: "
		     "\\\"x\\\": must match the service account namespace if "
		     "specified\",\"field\":\"metadata.namespace\"}]},\"code\":"
		     "422}\n" },
		{ PROD "nope/token", "{\"spec\":{\"expirationSeconds\":60}}",
		  404,
		  ST "\"serviceaccounts \\\"nope\\\" not found\",\"reason\":"
		     "\"NotFound\",\"details\":{\"name\":\"nope\",\"kind\":"
		     "\"serviceaccounts\"},\"code\":404}\n" },
		{ PROD SA "/token", "{\"spec\":{\"expirationSeconds\":60}}",
		  422,
		  ST
		  "\"TokenRequest.authentication.k8s.io \\\"\\\" is invalid: "
		  "spec.expirationSeconds: Invalid value: 60: may not "
		  "specify a duration less than 10 minutes\",\"reason\":"
		  "\"Invalid\",\"details\":{\"group\":"
		  "\"authentication.k8s.io\",\"kind\":\"TokenRequest\","
		  "\"causes\":[{\"reason\":\"FieldValueInvalid\",\"message\":"
		  "\"Invalid value: 60: may not specify a duration less than "
		  "10 minutes\",\"field\":\"spec.expirationSeconds\"}]},"
		  "\"code\":422}\n" },
		{ PROD SA "/token",
		  "{\"spec\":{\"expirationSeconds\":4294967297}}", 422,
		  ST
		  "\"TokenRequest.authentication.k8s.io \\\"\\\" is invalid: "
		  "spec.expirationSeconds: Invalid value: 4294967297: may "
		  "not specify a duration larger than 2^32 seconds\","
		  "\"reason\":\"Invalid\",\"details\":{\"group\":"
		  "\"authentication.k8s.io\",\"kind\":\"TokenRequest\","
		  "\"causes\":[{\"reason\":\"FieldValueInvalid\",\"message\":"
		  "\"Invalid value: 4294967297: may not specify a duration "
		  "larger than 2^32 seconds\",\"field\":"
		  "\"spec.expirationSeconds\"}]},\"code\":422}\n" },
		{ PROD SA "/token",
		  "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Pod\","
		  "\"apiVersion\":\"v1\",\"name\":\"p1\"}}}",
		  404,
		  ST "\"pods \\\"p1\\\" not found\",\"reason\":\"NotFound\","
		     "\"details\":{\"name\":\"p1\",\"kind\":\"pods\"},\"code\":"
		     "404}\n" },
		{ PROD "default/token",
		  "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Pod\","
		  "\"apiVersion\":\"v1\",\"name\":\"" POD "\"}}}",
		  400,
		  ST
		  "\"cannot bind token for serviceaccount \\\"default\\\" to "
		  "pod running with different serviceaccount name.\","
		  "\"reason\":\"BadRequest\",\"code\":400}\n" },
		{ PROD SA "/token",
		  "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Node\","
		  "\"apiVersion\":\"v1\",\"name\":\"n\"}}}",
		  404,
		  ST "\"nodes \\\"n\\\" not found\",\"reason\":\"NotFound\","
		     "\"details\":{\"name\":\"n\",\"kind\":\"nodes\"},\"code\":"
		     "404}\n" },
		{ PROD SA "/token",
		  "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Secret\","
		  "\"apiVersion\":\"v1\",\"name\":\"s\"}}}",
		  404,
		  ST "\"secrets \\\"s\\\" not found\",\"reason\":\"NotFound\","
		     "\"details\":{\"name\":\"s\",\"kind\":\"secrets\"},"
		     "\"code\":404}\n" },
		{ PROD SA "/token",
		  "{\"spec\":{\"boundObjectRef\":{\"kind\":\"ConfigMap\","
		  "\"apiVersion\":\"v1\",\"name\":\"c\"}}}",
		  400,
		  ST "\"cannot bind token to object of type /v1, "
		     "Kind=ConfigMap\",\"reason\":\"BadRequest\",\"code\":400}"
		     "\n" },
		{ PROD SA "/token",
		  "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Deployment\","
		  "\"apiVersion\":\"apps/v1\",\"name\":\"d\"}}}",
		  400,
		  ST "\"cannot bind token to object of type apps/v1, "
		     "Kind=Deployment\",\"reason\":\"BadRequest\",\"code\":400}"
		     "\n" },
		{ PROD SA "/token",
		  "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Pod\","
		  "\"apiVersion\":\"v1\",\"name\":\"" POD "\",\"uid\":\"x\"}}}",
		  409,
		  ST "\"Operation cannot be fulfilled on Pod \\\"" POD
		     "\\\": the UID in the bound object reference (x) does not "
		     "match the UID in record. The object might have been "
		     "deleted and then recreated\",\"reason\":\"Conflict\","
		     "\"details\":{\"name\":\"" POD "\",\"kind\":\"Pod\"},"
		     "\"code\":409}\n" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *b = post(f, rows[i].path, f->admin, rows[i].body,
		               rows[i].code);

		if (strcmp(b, rows[i].want) != 0) {
			fail_msg("row %zu:\n got %s\nwant %s", i, b,
			         rows[i].want);
		}
		free(b);
	}
}

static void
test_tokens_request_is_forbidden_without_rbac(void **state)
{
	struct fixture *f = *state;
	char *uid = make_sa(f, "default", "fresh");
	char *tok = issue(f, "default", "fresh", "{}");
	char *b;

	b = post(f, "/api/v1/namespaces/default/serviceaccounts/fresh/token",
	         tok, "{\"spec\":{}}", 403);
	assert_string_equal(
		b,
		ST "\"serviceaccounts \\\"fresh\\\" is forbidden: User "
		   "\\\"system:serviceaccount:default:fresh\\\" cannot "
		   "create resource \\\"serviceaccounts/token\\\" in API "
		   "group \\\"\\\" in the namespace \\\"default\\\"\","
		   "\"reason\":\"Forbidden\",\"details\":{\"name\":\"fresh\","
		   "\"kind\":\"serviceaccounts\"},\"code\":403}\n");
	free(b);
	free(tok);
	free(uid);
}

static void
test_tokens_request_shortens_to_max_with_warning(void **state)
{
	struct fixture *f = *state;
	struct th_reply r;

	request(f, "POST", PROD SA "/token", f->admin,
	        "{\"spec\":{\"expirationSeconds\":7200}}", &r);
	assert_int_equal(r.code, 201);
	assert_non_null(strstr(r.headers,
	                       "Warning: 299 - \"requested expiration of "
	                       "7200 seconds shortened to 3600 seconds\"\r\n"));
	assert_non_null(strstr(r.body, "\"expirationSeconds\":3600,"));
	free(r.body);
	request(f, "POST", PROD SA "/token", f->admin,
	        "{\"spec\":{\"expirationSeconds\":3600}}", &r);
	assert_int_equal(r.code, 201);
	assert_null(strstr(r.headers, "Warning:"));
	free(r.body);
}

static void
test_tokens_sa_token_authenticates_requests(void **state)
{
	struct fixture *f = *state;
	char *uid = make_sa(f, "default", "fresh");
	char *tok = issue(f, "default", "fresh", "{}");
	struct th_reply r;

	/* Authenticated (403, not 401), with the exact message. */
	request(f, "GET", "/api/v1/namespaces/default/pods", tok, NULL, &r);
	assert_int_equal(r.code, 403);
	assert_string_equal(
		r.body, ST
		"\"pods is forbidden: User "
		"\\\"system:serviceaccount:default:fresh\\\" cannot list "
		"resource \\\"pods\\\" in API group \\\"\\\" in the namespace "
		"\\\"default\\\"\",\"reason\":\"Forbidden\",\"details\":{"
		"\"kind\":\"pods\"},\"code\":403}\n");
	free(r.body);
	/* system:basic-user lets it ask who it is. */
	request(f, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
	        tok, "{}", &r);
	assert_int_equal(r.code, 201);
	assert_non_null(strstr(
		r.body,
		"{\"kind\":\"SelfSubjectReview\",\"apiVersion\":"
		"\"authentication.k8s.io/v1\",\"metadata\":{"
		"\"creationTimestamp\":\"2025-06-01T10:00:00Z\"},\"status\":{"
		"\"userInfo\":{\"username\":"
		"\"system:serviceaccount:default:fresh\",\"uid\":\""));
	assert_non_null(strstr(r.body, uid));
	assert_non_null(strstr(
		r.body,
		"\",\"groups\":[\"system:serviceaccounts\","
		"\"system:serviceaccounts:default\","
		"\"system:authenticated\"],\"extra\":{"
		"\"authentication.kubernetes.io/credential-id\":[\"JTI="));
	free(r.body);
	/* kubectl 1.27 asks v1beta1 (then v1alpha1 on a 404). */
	request(f, "POST",
	        "/apis/authentication.k8s.io/v1beta1/selfsubjectreviews", tok,
	        "{}", &r);
	assert_int_equal(r.code, 201);
	assert_non_null(strstr(
		r.body, "{\"kind\":\"SelfSubjectReview\",\"apiVersion\":"
		        "\"authentication.k8s.io/v1beta1\",\"metadata\":{"));
	assert_non_null(strstr(r.body, "system:serviceaccount:default:fresh"));
	free(r.body);
	request(f, "POST",
	        "/apis/authentication.k8s.io/v1alpha1/selfsubjectreviews", tok,
	        "{}", &r);
	assert_int_equal(r.code, 404);
	free(r.body);
	/* Expired: 401 with the generic body. */
	advance(f, 3600 + 61);
	request(f, "GET", "/api/v1/namespaces/default/pods", tok, NULL, &r);
	assert_int_equal(r.code, 401);
	assert_string_equal(r.body,
	                    ST "\"Unauthorized\",\"reason\":\"Unauthorized\","
	                       "\"code\":401}\n");
	free(r.body);
	free(tok);
	free(uid);
}

static void
test_tokens_review_success_and_failure_shapes(void **state)
{
	struct fixture *f = *state;
	char *pod_uid = uid_of(f, "/api/v1/namespaces/production/pods/" POD);
	char *sa_uid = uid_of(f, PROD SA);
	char *node_uid = uid_of(f, "/api/v1/nodes/node-1");
	char *tok = issue(f, "production", SA,
	                  "{\"boundObjectRef\":{\"kind\":\"Pod\","
	                  "\"apiVersion\":\"v1\",\"name\":\"" POD "\"}}");
	char *resp = review(f, tok, "[\"" ISS "\"]");
	char want[4096];
	size_t n;
	uint8_t *payload = NULL;
	size_t plen = 0;
	const char *p1 = strchr(tok, '.') + 1;
	char *jti;

	assert_int_equal(mapi_b64url_decode(p1, (size_t)(strchr(p1, '.') - p1),
	                                    &payload, &plen),
	                 MAPI_OK);
	jti = json_str((const char *)payload, "jti");
	assert_non_null(jti);
	replace(&resp, tok, "T");
	n = (size_t)snprintf(
		want, sizeof(want),
		"{\"kind\":\"TokenReview\",\"apiVersion\":"
		"\"authentication.k8s.io/v1\",\"metadata\":{"
		"\"creationTimestamp\":null},\"spec\":{\"token\":\"T\","
		"\"audiences\":[\"" ISS
		"\"]},\"status\":{\"authenticated\":true,"
		"\"user\":{\"username\":"
		"\"system:serviceaccount:production:" SA "\",\"uid\":\"%s\","
		"\"groups\":[\"system:serviceaccounts\","
		"\"system:serviceaccounts:production\","
		"\"system:authenticated\"],\"extra\":{"
		"\"authentication.kubernetes.io/credential-id\":[\"JTI=%s\"],"
		"\"authentication.kubernetes.io/node-name\":[\"node-1\"],"
		"\"authentication.kubernetes.io/node-uid\":[\"%s\"],"
		"\"authentication.kubernetes.io/pod-name\":[\"" POD "\"],"
		"\"authentication.kubernetes.io/pod-uid\":[\"%s\"]}},"
		"\"audiences\":[\"" ISS "\"]}}\n",
		sa_uid, jti, node_uid, pod_uid);
	assert_true(n < sizeof(want));
	assert_string_equal(resp, want);
	free(resp);
	resp = review(f, "garbage", NULL);
	assert_string_equal(resp,
	                    "{\"kind\":\"TokenReview\",\"apiVersion\":"
	                    "\"authentication.k8s.io/v1\",\"metadata\":{"
	                    "\"creationTimestamp\":null},\"spec\":{\"token\":"
	                    "\"garbage\"},\"status\":{\"user\":{},\"error\":"
	                    "\"invalid bearer token\"}}\n");
	free(resp);
	/* The admin token, as the static token authenticator. */
	resp = review(f, f->admin, NULL);
	assert_non_null(strstr(resp,
	                       "\"status\":{\"authenticated\":true,\"user\":{"
	                       "\"username\":\"mockapi-admin\",\"groups\":["
	                       "\"system:masters\",\"system:authenticated\"]},"
	                       "\"audiences\":[\"" ISS "\"]}}\n"));
	free(resp);
	free(payload);
	free(jti);
	free(tok);
	free(sa_uid);
	free(pod_uid);
	free(node_uid);
}

static void
test_tokens_review_bad_requests(void **state)
{
	struct fixture *f = *state;
	char *b;

	b = post(f, TR, f->admin, "{\"spec\":{\"token\":\"\"}}", 400);
	assert_string_equal(b, ST "\"token is required for TokenReview in "
	                          "authentication\",\"reason\":\"BadRequest\","
	                          "\"code\":400}\n");
	free(b);
	b = post(f, "/apis/authentication.k8s.io/v1/namespaces/x/tokenreviews",
	         f->admin, "{\"spec\":{\"token\":\"a\"}}", 400);
	assert_string_equal(b, ST "\"namespace is not allowed on this type: "
	                          "x\",\"reason\":\"BadRequest\",\"code\":400}"
	                          "\n");
	free(b);
}

/* A token signed by a key outside the set, with our claims. */
static char *
foreign_token(const char *kid)
{
	char *path = th_fixture_path("keys/rsa-2048-b.pkcs8.pem");
	struct mapi_key *key = NULL;
	cJSON *claims = cJSON_Parse(
		"{\"aud\":[\"" ISS "\"],\"exp\":1748775600,\"iat\":1748772000,"
		"\"iss\":\"" ISS "\",\"kubernetes.io\":{\"namespace\":"
		"\"production\",\"serviceaccount\":{\"name\":\"" SA "\","
		"\"uid\":\"u\"}},\"nbf\":1748772000,\"sub\":"
		"\"system:serviceaccount:production:" SA "\"}");
	char *tok = NULL;

	assert_int_equal(mapi_key_load_file(path, &key, NULL), MAPI_OK);
	assert_int_equal(mapi_jwt_sign(MAPI_JWS_RS256, mapi_key_pkey(key), kid,
	                               claims, &tok),
	                 MAPI_OK);
	mapi_key_unref(key);
	cJSON_Delete(claims);
	free(path);
	return tok;
}

/* The token with its payload's jti changed (signature kept). */
static char *
tampered(const char *tok)
{
	const char *p1 = strchr(tok, '.') + 1;
	const char *p2 = strchr(p1, '.');
	uint8_t *payload = NULL;
	size_t plen = 0;
	cJSON *c;
	char *json = NULL;
	char *b64;
	char *out;
	size_t n;

	assert_int_equal(
		mapi_b64url_decode(p1, (size_t)(p2 - p1), &payload, &plen),
		MAPI_OK);
	c = cJSON_Parse((const char *)payload);
	assert_non_null(c);
	cJSON_ReplaceItemInObject(c, "jti",
	                          cJSON_CreateString("00000000-0000-4000-8000-"
	                                             "000000000000"));
	assert_int_equal(mapi_jwt_serialize_claims(c, &json), MAPI_OK);
	b64 = mapi_b64url_encode_dup((const uint8_t *)json, strlen(json));
	n = strlen(tok) + strlen(b64) + 1;
	out = malloc(n);
	assert_non_null(out);
	(void)snprintf(out, n, "%.*s%s%s", (int)(p1 - tok), tok, b64, p2);
	free(b64);
	free(json);
	cJSON_Delete(c);
	free(payload);
	return out;
}

static void
test_tokens_review_reports_every_reason(void **state)
{
	struct fixture *f = *state;
	char *t_exp = issue(f, "production", SA, "{\"expirationSeconds\":600}");
	char *t_aud = issue(f, "production", SA,
	                    "{\"audiences\":[\"https://example.com\"]}");
	char *t_ok = issue(f, "production", SA, "{}");
	char *t_kid = foreign_token("not-a-kid-of-ours");
	char *t_tamp = tampered(t_ok);
	char *old_pod = make_pod(f, "p-bound");
	char *t_pod = issue(f, "production", SA,
	                    "{\"boundObjectRef\":{\"kind\":\"Pod\","
	                    "\"apiVersion\":\"v1\",\"name\":\"p-bound\"}}");
	char *old_sa = make_sa(f, "production", "tmp-sa");
	char *t_sa = issue(f, "production", "tmp-sa", "{}");
	char *new_pod;
	char *new_sa;
	char want[512];

	assert_review_error(f, t_ok, "");
	assert_review_error(f, t_aud,
	                    "[invalid bearer token, token audiences "
	                    "[\"https://example.com\"] is invalid for the "
	                    "target audiences [\"" ISS "\"]]");
	assert_review_error(f, t_kid,
	                    "[invalid bearer token, invalid signature, no keys "
	                    "found]");
	assert_review_error(f, t_tamp,
	                    "[invalid bearer token, square/go-jose: error in "
	                    "cryptographic primitive]");
	assert_review_error(f, "garbage", "invalid bearer token");
	/* Pod deleted, then recreated under the same name. */
	del(f, "/api/v1/namespaces/production/pods/p-bound?"
	       "gracePeriodSeconds=0");
	assert_review_error(f, t_pod,
	                    "[invalid bearer token, service account token has "
	                    "been invalidated]");
	new_pod = make_pod(f, "p-bound");
	(void)snprintf(want, sizeof(want),
	               "[invalid bearer token, pod UID (%s) does not match "
	               "service account pod ref claim (%s)]",
	               new_pod, old_pod);
	assert_review_error(f, t_pod, want);
	/* SA deleted, then recreated. */
	del(f, PROD "tmp-sa");
	assert_review_error(f, t_sa,
	                    "[invalid bearer token, serviceaccounts \"tmp-sa\" "
	                    "not found]");
	new_sa = make_sa(f, "production", "tmp-sa");
	(void)snprintf(want, sizeof(want),
	               "[invalid bearer token, service account UID (%s) does "
	               "not match claim (%s)]",
	               new_sa, old_sa);
	assert_review_error(f, t_sa, want);
	/* Expired: 600 s + the 60 s leeway later. */
	advance(f, 600 + 60);
	assert_review_error(f, t_exp, "");
	advance(f, 11); /* past the leeway and the cached success */
	assert_review_error(f, t_exp,
	                    "[invalid bearer token, service account token has "
	                    "expired]");
	free(t_exp);
	free(t_aud);
	free(t_ok);
	free(t_kid);
	free(t_tamp);
	free(t_pod);
	free(t_sa);
	free(old_pod);
	free(new_pod);
	free(old_sa);
	free(new_sa);
}

static void
test_tokens_success_is_cached_ten_seconds_on_the_mock_clock(void **state)
{
	struct fixture *f = *state;
	char *pod = make_pod(f, "p-cache");
	char *tok = issue(f, "production", SA,
	                  "{\"boundObjectRef\":{\"kind\":\"Pod\","
	                  "\"apiVersion\":\"v1\",\"name\":\"p-cache\"}}");
	struct th_reply r;

	/* A request authenticates it and fills the cache... */
	request(f, "GET", "/api/v1/namespaces/default/pods", tok, NULL, &r);
	assert_int_equal(r.code, 403);
	free(r.body);
	del(f, "/api/v1/namespaces/production/pods/p-cache?"
	       "gracePeriodSeconds=0");
	/* ...so it still works for 10 s after the pod is gone. */
	advance(f, 9);
	request(f, "GET", "/api/v1/namespaces/default/pods", tok, NULL, &r);
	assert_int_equal(r.code, 403);
	free(r.body);
	/* TokenReview runs the same authenticator: a hit for the same
	 * (API) audiences, a miss for an explicit list. */
	assert_review_error(f, tok, "");
	{
		char *resp = review(f, tok, "[\"" ISS "\"]");

		assert_non_null(strstr(
			resp, "\"error\":\"[invalid bearer token, service "
			      "account token has been invalidated]\""));
		free(resp);
	}
	advance(f, 1);
	request(f, "GET", "/api/v1/namespaces/default/pods", tok, NULL, &r);
	assert_int_equal(r.code, 401);
	free(r.body);
	free(tok);
	free(pod);
}

static void
test_tokens_review_needs_auth_delegator(void **state)
{
	struct fixture *f = *state;
	char *uid = make_sa(f, "default", "reviewer");
	char *tok = issue(f, "default", "reviewer", "{}");
	size_t n = strlen(tok) + 64;
	char *body = malloc(n);
	char *b;

	assert_non_null(body);
	(void)snprintf(body, n, "{\"spec\":{\"token\":\"%s\"}}", tok);
	b = post(f, TR, tok, body, 403);
	assert_string_equal(
		b, ST "\"tokenreviews.authentication.k8s.io is forbidden: User "
		      "\\\"system:serviceaccount:default:reviewer\\\" cannot "
		      "create resource \\\"tokenreviews\\\" in API group "
		      "\\\"authentication.k8s.io\\\" at the cluster scope\","
		      "\"reason\":\"Forbidden\",\"details\":{\"group\":"
		      "\"authentication.k8s.io\",\"kind\":\"tokenreviews\"},"
		      "\"code\":403}\n");
	free(b);
	b = post(f, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
	         f->admin,
	         "{\"metadata\":{\"name\":\"reviewer\"},\"roleRef\":{"
	         "\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":"
	         "\"ClusterRole\",\"name\":\"system:auth-delegator\"},"
	         "\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":"
	         "\"reviewer\",\"namespace\":\"default\"}]}",
	         201);
	free(b);
	b = post(f, TR, tok, body, 201);
	assert_non_null(strstr(b, "\"status\":{\"authenticated\":true,"));
	free(b);
	free(body);
	free(tok);
	free(uid);
}

static void
test_tokens_access_reviews(void **state)
{
	struct fixture *f = *state;
	char *uid = make_sa(f, "default", "fresh");
	char *tok = issue(f, "default", "fresh", "{}");
	char *b;

	b = post(f, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
	         f->admin,
	         "{\"spec\":{\"resourceAttributes\":{\"namespace\":"
	         "\"default\",\"verb\":\"list\",\"resource\":\"pods\"}}}",
	         201);
	assert_string_equal(
		b,
		"{\"kind\":\"SelfSubjectAccessReview\",\"apiVersion\":"
		"\"authorization.k8s.io/v1\",\"metadata\":{"
		"\"creationTimestamp\":null},\"spec\":{\"resourceAttributes\":"
		"{\"namespace\":\"default\",\"verb\":\"list\",\"resource\":"
		"\"pods\"}},\"status\":{\"allowed\":true,\"reason\":\"RBAC: "
		"allowed by ClusterRoleBinding \\\"cluster-admin\\\" of "
		"ClusterRole \\\"cluster-admin\\\" to Group "
		"\\\"system:masters\\\"\"}}\n");
	free(b);
	b = post(f, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
	         tok,
	         "{\"spec\":{\"resourceAttributes\":{\"namespace\":"
	         "\"default\",\"verb\":\"delete\",\"resource\":\"pods\"}}}",
	         201);
	assert_non_null(strstr(b, "\"status\":{\"allowed\":false}}\n"));
	free(b);
	b = post(f, "/apis/authorization.k8s.io/v1/subjectaccessreviews",
	         f->admin,
	         "{\"spec\":{\"user\":\"system:serviceaccount:default:fresh\","
	         "\"groups\":[\"system:authenticated\"],"
	         "\"nonResourceAttributes\":{\"path\":\"/version\",\"verb\":"
	         "\"get\"}}}",
	         201);
	assert_non_null(strstr(b, "\"kind\":\"SubjectAccessReview\""));
	assert_non_null(strstr(b, "\"status\":{\"allowed\":true,\"reason\":"
	                          "\"RBAC: allowed by ClusterRoleBinding "
	                          "\\\"system:discovery\\\" of ClusterRole "
	                          "\\\"system:discovery\\\" to Group "
	                          "\\\"system:authenticated\\\"\"}}\n"));
	free(b);
	b = post(f, "/apis/authorization.k8s.io/v1/subjectaccessreviews",
	         f->admin, "{\"spec\":{\"resourceAttributes\":{}}}", 422);
	assert_non_null(strstr(b, "spec.user: Invalid value: \\\"\\\": at "
	                          "least one of user or group must be "
	                          "specified"));
	free(b);
	b = post(f,
	         "/apis/authorization.k8s.io/v1/namespaces/default/"
	         "localsubjectaccessreviews",
	         f->admin,
	         "{\"spec\":{\"user\":\"u\",\"resourceAttributes\":{"
	         "\"namespace\":\"other\",\"verb\":\"get\",\"resource\":"
	         "\"pods\"}}}",
	         400);
	assert_non_null(strstr(b, "spec.resourceAttributes.namespace must "
	                          "match namespace: default"));
	free(b);
	b = post(f, "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
	         tok, "{\"spec\":{\"namespace\":\"default\"}}", 201);
	assert_non_null(strstr(b, "{\"kind\":\"SelfSubjectRulesReview\","
	                          "\"apiVersion\":\"authorization.k8s.io/v1\","
	                          "\"metadata\":{\"creationTimestamp\":null},"
	                          "\"spec\":{\"namespace\":\"default\"},"
	                          "\"status\":{\"resourceRules\":["));
	assert_non_null(strstr(b, "\"selfsubjectaccessreviews\""));
	free(b);
	free(tok);
	free(uid);
}

static void
test_tokens_oidc_discovery_is_public(void **state)
{
	struct fixture *f = *state;
	char want[512];
	char *jwks = NULL;
	struct th_reply r;

	request(f, "GET", "/.well-known/openid-configuration", NULL, NULL, &r);
	assert_int_equal(r.code, 200);
	(void)snprintf(want, sizeof(want),
	               "{\"issuer\":\"" ISS "\",\"jwks_uri\":"
	               "\"https://127.0.0.1:%u/openid/v1/jwks\","
	               "\"response_types_supported\":[\"id_token\"],"
	               "\"subject_types_supported\":[\"public\"],"
	               "\"id_token_signing_alg_values_supported\":[\"RS256\"]}",
	               mapi_server_port(f->server));
	assert_string_equal(r.body, want);
	assert_non_null(
		strstr(r.headers, "Content-Type: application/json\r\n"));
	assert_non_null(strstr(r.headers, "Cache-Control: public, "
	                                  "max-age=3600\r\n"));
	free(r.body);
	request(f, "GET", "/openid/v1/jwks", NULL, NULL, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(mapi_keyset_jwks(mapi_server_keyset(f->server), &jwks),
	                 MAPI_OK);
	assert_string_equal(r.body, jwks);
	assert_true(strncmp(r.body,
	                    "{\"keys\":[{\"use\":\"sig\",\"kty\":"
	                    "\"RSA\",\"kid\":\"",
	                    40) == 0);
	assert_non_null(strstr(r.headers, "Content-Type: "
	                                  "application/jwk-set+json\r\n"));
	assert_non_null(strstr(r.headers, "Cache-Control: public, "
	                                  "max-age=3600\r\n"));
	free(jwks);
	free(r.body);
}

static void
test_tokens_legacy_secret_token(void **state)
{
	struct fixture *f = *state;
	char *sa_uid = uid_of(f, PROD SA);
	char *b = post(f, "/api/v1/namespaces/production/secrets", f->admin,
	               "{\"metadata\":{\"name\":\"legacy\",\"annotations\":{"
	               "\"kubernetes.io/service-account.name\":\"" SA "\"}},"
	               "\"type\":\"kubernetes.io/service-account-token\"}",
	               201);
	char *tok64 = json_str(b, "data.token");
	char *ns64 = json_str(b, "data.namespace");
	char cmd[8192];
	char *tok = NULL;
	char *resp;
	cJSON *o = cJSON_Parse(b);
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(o, "data");
	const char *uid_ann =
		cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(o, "metadata"),
				"annotations"),
			"kubernetes.io/service-account.uid"));

	assert_non_null(cJSON_GetObjectItemCaseSensitive(data, "ca.crt"));
	assert_non_null(uid_ann);
	assert_string_equal(uid_ann, sa_uid);
	assert_non_null(tok64);
	assert_string_equal(ns64, "cHJvZHVjdGlvbg==");
	(void)snprintf(cmd, sizeof(cmd), "printf %%s '%s' | base64 -d", tok64);
	assert_int_equal(th_run(cmd, &tok), 0);
	assert_true(strncmp(tok, "eyJ", 3) == 0);
	resp = review(f, tok, NULL);
	assert_non_null(strstr(
		resp, "\"status\":{\"authenticated\":true,\"user\":{"
		      "\"username\":\"system:serviceaccount:production:" SA
		      "\",\"uid\":\""));
	assert_null(strstr(resp, "\"extra\""));
	free(resp);
	del(f, "/api/v1/namespaces/production/secrets/legacy");
	advance(f, 10); /* past the cached success */
	assert_review_error(f, tok,
	                    "[invalid bearer token, Token has been "
	                    "invalidated]");
	cJSON_Delete(o);
	free(tok);
	free(tok64);
	free(ns64);
	free(sa_uid);
	free(b);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_tokens_request_has_the_exact_response_shape, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_tokens_request_errors_match_every_row, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_tokens_request_is_forbidden_without_rbac, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_tokens_request_shortens_to_max_with_warning,
			setup_max_1h, teardown),
		cmocka_unit_test_setup_teardown(
			test_tokens_sa_token_authenticates_requests, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_tokens_review_success_and_failure_shapes, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_tokens_review_bad_requests,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_tokens_review_reports_every_reason, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_tokens_success_is_cached_ten_seconds_on_the_mock_clock,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_tokens_review_needs_auth_delegator, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_tokens_access_reviews,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_tokens_oidc_discovery_is_public, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens_legacy_secret_token,
		                                setup, teardown),
	};
	int rc;

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests_name("integration_tokens", tests, NULL,
	                                 NULL);
	curl_global_cleanup();
	return rc;
}
