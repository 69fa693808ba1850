/* SPDX-License-Identifier: MIT */
/*
 * libsaclient against the real mockapi BINARY (started as a child process
 * on port 0 with a temp state dir, --token-min-ttl 1s and a frozen clock;
 * its path is argv[1], from meson). Links libsaclient only, never
 * libmockapi. Every token source and strategy (static, read-once, reread
 * with rotation and 401 -> re-read -> retry, request with its refresh at
 * 80 %), both configuration paths (kubeconfig; in-cluster through
 * SACLIENT_SERVICEACCOUNT_DIR + KUBERNETES_SERVICE_HOST/PORT), keep-alive
 * reuse, and the scenarios: each one's success, read-once's EXPECTED 401,
 * and faults (/mock/v1/faults) that break an expectation.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "saclient.h"
#include "scenario.h"
#include "th.h"
#include "transport.h"

static const char *mockapi_path;

struct live {
	char *tmp;
	char state[512];
	char sadir[600];
	char port[16];
	pid_t pid;
	struct sac_config *admin_cfg;
	struct sac_client *admin;
	struct sac_mock_clock *mc;
};

static int
live_start(void **state)
{
	struct live *l = calloc(1, sizeof(*l));
	struct sac_diag d = { 0 };
	struct sac_token_source *src = NULL;
	char portfile[600];
	char kc[600];
	char *text = NULL;

	assert_non_null(l);
	l->tmp = th_mkdtemp();
	(void)snprintf(l->state, sizeof(l->state), "%s/st", l->tmp);
	(void)snprintf(l->sadir, sizeof(l->sadir), "%s/serviceaccount",
	               l->state);
	(void)snprintf(portfile, sizeof(portfile), "%s/port", l->tmp);
	l->pid = fork();
	assert_true(l->pid >= 0);
	if (l->pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		/* Its ready line is not TAP; stderr stays for diagnosis. */
		if (null >= 0) {
			(void)dup2(null, STDOUT_FILENO);
		}
		execl(mockapi_path, mockapi_path, "--listen", "127.0.0.1:0",
		      "--port-file", portfile, "--state-dir", l->state,
		      "--threads", "2", "--token-min-ttl", "1s", "--clock",
		      "frozen:2025-06-01T10:00:00Z", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 400 && text == NULL; i++) {
		if (access(portfile, F_OK) == 0) {
			text = th_read_file(portfile, NULL);
		} else {
			struct timespec ts = { 0, 25000000 };

			(void)nanosleep(&ts, NULL);
		}
	}
	if (text == NULL) {
		fail_msg("mockapi did not write %s", portfile);
	}
	text[strcspn(text, "\n")] = '\0';
	(void)snprintf(l->port, sizeof(l->port), "%s", text);
	free(text);
	(void)snprintf(kc, sizeof(kc), "%s/kubeconfig", l->state);
	if (sac_config_kubeconfig(kc, NULL, NULL, &l->admin_cfg, &d) !=
	    SAC_OK) {
		fail_msg("kubeconfig: %s", d.msg);
	}
	assert_int_equal(sac_client_new(l->admin_cfg, NULL, &l->admin, &d),
	                 SAC_OK);
	assert_int_equal(
		sac_token_source_new_static(l->admin_cfg->token, &src, &d),
		SAC_OK);
	sac_client_adopt_token_source(l->admin, src);
	if (sac_mock_clock_new(l->admin, &l->mc, &d) != SAC_OK) {
		fail_msg("mock clock: %s", d.msg);
	}
	*state = l;
	return 0;
}

static int
live_stop(void **state)
{
	struct live *l = *state;
	int status;

	sac_mock_clock_free(l->mc);
	sac_client_free(l->admin);
	sac_config_free(l->admin_cfg);
	if (l->pid > 0) {
		(void)kill(l->pid, SIGTERM);
		(void)waitpid(l->pid, &status, 0);
	}
	th_rmtree(l->tmp);
	free(l->tmp);
	free(l);
	return 0;
}

/* POST /mock/v1/volumes for the default pod in tmp/NAME; returns dir. */
static char *
add_volume(struct live *l, const char *name, int seconds)
{
	struct sac_diag d = { 0 };
	char body[1024];
	char dir[700];
	cJSON *b;
	cJSON *out = NULL;

	(void)snprintf(dir, sizeof(dir), "%s/%s", l->tmp, name);
	(void)snprintf(body, sizeof(body),
	               "{\"dir\":\"%s\",\"pod\":\"default/"
	               "web-7d4b9c8f5-x2k8p\",\"expirationSeconds\":%d}",
	               dir, seconds);
	b = cJSON_Parse(body);
	if (sac_client_request_json(l->admin, "POST", "/mock/v1/volumes", b,
	                            &out, &d) != SAC_OK) {
		fail_msg("volume: %s", d.msg);
	}
	cJSON_Delete(b);
	cJSON_Delete(out);
	return strdup(dir);
}

static void
advance(struct live *l, int64_t seconds)
{
	struct sac_diag d = { 0 };

	if (sac_mock_clock_advance(l->mc, seconds * 1000, &d) != SAC_OK) {
		fail_msg("advance: %s", d.msg);
	}
}

/* A 401-counting transport, so a retried-away 401 is visible. */
struct wire {
	struct sac_transport *t;
	int n401;
	long conns;
};

static enum sac_err
wire_http(const char *method, const char *path, const char *bearer,
          const char *ct, const char *body, size_t len,
          struct sac_http_response *out, struct sac_diag *diag, void *p)
{
	struct wire *w = p;
	enum sac_err err = sac_transport_do(w->t, method, path, bearer, ct,
	                                    body, len, out, diag);

	if (err == SAC_OK) {
		w->n401 += out->status == 401;
		w->conns += out->new_connections;
	}
	return err;
}

/* A ServiceAccount client: the admin's server, dir's CA, the mock clock. */
static struct sac_client *
sa_client(struct live *l, const char *dir, struct wire *w,
          struct sac_token_source *src)
{
	struct sac_client_options o = SAC_CLIENT_OPTIONS_DEFAULT;
	struct sac_config cfg = { 0 };
	struct sac_client *c = NULL;
	struct sac_diag d = { 0 };
	char ca[700];

	(void)snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	cfg.server = l->admin_cfg->server;
	cfg.ca_file = ca;
	cfg.namespace_ = (char *)"default";
	assert_int_equal(sac_transport_new(&cfg, 0, &w->t, &d), SAC_OK);
	o.clock = sac_mock_clock_get(l->mc);
	o.http = wire_http;
	o.http_payload = w;
	assert_int_equal(sac_client_new(&cfg, &o, &c, &d), SAC_OK);
	sac_client_adopt_token_source(c, src);
	return c;
}

static enum sac_err
whoami(struct sac_client *c, char *user, size_t len)
{
	struct sac_diag d = { 0 };
	cJSON *j = NULL;
	enum sac_err err = sac_whoami(c, &j, &d);
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(j, "status"),
			"userInfo"),
		"username");

	(void)snprintf(user, len, "%s",
	               cJSON_IsString(u) ? u->valuestring : "");
	cJSON_Delete(j);
	return err;
}

static struct sac_token_source *
file_source(struct live *l, const char *dir, enum sac_strategy st,
            int64_t period_ms)
{
	struct sac_token_source *s = NULL;
	struct sac_diag d = { 0 };
	char path[700];

	(void)snprintf(path, sizeof(path), "%s/token", dir);
	assert_int_equal(sac_token_source_new_file(path, st, period_ms,
	                                           sac_mock_clock_get(l->mc),
	                                           &s, &d),
	                 SAC_OK);
	return s;
}

#define SA_USER "system:serviceaccount:default:default"

static void
test_live_static_token_from_kubeconfig_lists_pods(void **state)
{
	struct live *l = *state;
	struct sac_diag d = { 0 };
	cJSON *pods = NULL;

	assert_non_null(strstr(l->admin_cfg->origin, "kubeconfig"));
	assert_int_equal(sac_pods_get(l->admin, NULL, NULL, &pods, &d), SAC_OK);
	assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
			    pods, "items")) >= 2);
	cJSON_Delete(pods);
}

static void
test_live_keepalive_second_call_opens_no_connection(void **state)
{
	struct live *l = *state;
	struct sac_http_response r1 = { 0 };
	struct sac_http_response r2 = { 0 };
	struct sac_diag d = { 0 };
	struct sac_client *c = NULL;
	struct sac_token_source *src = NULL;

	assert_int_equal(sac_client_new(l->admin_cfg, NULL, &c, &d), SAC_OK);
	assert_int_equal(
		sac_token_source_new_static(l->admin_cfg->token, &src, &d),
		SAC_OK);
	sac_client_adopt_token_source(c, src);
	assert_int_equal(sac_client_request(c, "GET", "/api/v1/namespaces",
	                                    NULL, 0, &r1, &d),
	                 SAC_OK);
	assert_int_equal(sac_client_request(c, "GET", "/api/v1/namespaces",
	                                    NULL, 0, &r2, &d),
	                 SAC_OK);
	assert_int_equal(r1.new_connections, 1);
	assert_int_equal(r2.new_connections, 0);
	sac_http_response_fini(&r1);
	sac_http_response_fini(&r2);
	sac_client_free(c);
}

static void
test_live_in_cluster_config_authenticates_as_the_pod(void **state)
{
	struct live *l = *state;
	struct sac_config *cfg = NULL;
	struct sac_client *c = NULL;
	struct sac_token_source *src = NULL;
	struct sac_diag d = { 0 };
	char user[256];

	assert_int_equal(setenv(SAC_SERVICEACCOUNT_DIR_ENV, l->sadir, 1), 0);
	assert_int_equal(setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1), 0);
	assert_int_equal(setenv("KUBERNETES_SERVICE_PORT", l->port, 1), 0);
	if (sac_config_in_cluster(&cfg, &d) != SAC_OK) {
		fail_msg("in-cluster: %s", d.msg);
	}
	(void)unsetenv(SAC_SERVICEACCOUNT_DIR_ENV);
	(void)unsetenv("KUBERNETES_SERVICE_HOST");
	(void)unsetenv("KUBERNETES_SERVICE_PORT");
	assert_string_equal(cfg->namespace_, "default");
	assert_int_equal(sac_client_new(cfg, NULL, &c, &d), SAC_OK);
	assert_int_equal(sac_token_source_new_file(cfg->token_file,
	                                           SAC_STRATEGY_REREAD, 0, NULL,
	                                           &src, &d),
	                 SAC_OK);
	sac_client_adopt_token_source(c, src);
	assert_int_equal(whoami(c, user, sizeof(user)), SAC_OK);
	assert_string_equal(user, SA_USER);
	sac_client_free(c);
	sac_config_free(cfg);
}

static void
test_live_read_once_gets_401_after_expiry(void **state)
{
	struct live *l = *state;
	struct wire w = { 0 };
	char *dir = add_volume(l, "v-readonce", 60);
	struct sac_client *c = sa_client(
		l, dir, &w, file_source(l, dir, SAC_STRATEGY_READ_ONCE, 0));
	char user[256];

	assert_int_equal(whoami(c, user, sizeof(user)), SAC_OK);
	assert_string_equal(user, SA_USER);
	/* Past exp (60 s) and the validator's leeway; rotated meanwhile. */
	advance(l, 150);
	assert_int_equal(whoami(c, user, sizeof(user)), SAC_EAUTH);
	assert_int_equal(sac_token_source_loads(sac_client_token_source_get(c)),
	                 1);
	sac_client_free(c);
	sac_transport_free(w.t);
	free(dir);
}

static void
test_live_reread_sees_kubelet_rotation(void **state)
{
	struct live *l = *state;
	struct wire w = { 0 };
	char *dir = add_volume(l, "v-reread", 60);
	struct sac_client *c = sa_client(
		l, dir, &w, file_source(l, dir, SAC_STRATEGY_REREAD, 10000));
	struct sac_token_source *src = sac_client_token_source_get(c);
	char user[256];
	char *first;

	assert_int_equal(whoami(c, user, sizeof(user)), SAC_OK);
	first = strdup(sac_token_source_peek(src));
	advance(l, 50); /* the kubelet refreshed at 48 s (80 %) */
	assert_int_equal(whoami(c, user, sizeof(user)), SAC_OK);
	assert_string_not_equal(sac_token_source_peek(src), first);
	assert_int_equal(sac_token_source_loads(src), 2);
	assert_int_equal(w.n401, 0);
	free(first);
	sac_client_free(c);
	sac_transport_free(w.t);
	free(dir);
}

static void
test_live_reread_recovers_from_401_by_rereading(void **state)
{
	struct live *l = *state;
	struct wire w = { 0 };
	char *dir = add_volume(l, "v-reread401", 60);
	struct sac_client *c = sa_client(
		l, dir, &w, file_source(l, dir, SAC_STRATEGY_REREAD, 3600000));
	struct sac_token_source *src = sac_client_token_source_get(c);
	char user[256];

	assert_int_equal(whoami(c, user, sizeof(user)), SAC_OK);
	advance(l, 150); /* cached token expired; the period has not passed */
	assert_int_equal(whoami(c, user, sizeof(user)), SAC_OK);
	assert_string_equal(user, SA_USER);
	assert_int_equal(w.n401, 1); /* 401 -> re-read -> retried */
	assert_int_equal(sac_token_source_loads(src), 2);
	sac_client_free(c);
	sac_transport_free(w.t);
	free(dir);
}

static void
test_live_request_refreshes_at_80_percent(void **state)
{
	struct live *l = *state;
	struct sac_request_source_config rc = { 0 };
	struct sac_token_source *boot = NULL;
	struct sac_token_source *src = NULL;
	struct sac_client *poster = NULL;
	struct sac_client *c;
	struct sac_diag d = { 0 };
	struct wire w = { 0 };
	char user[256];
	char *first;

	/* The admin identity requests the tokens (it may create them). */
	assert_int_equal(sac_client_new(l->admin_cfg, NULL, &poster, &d),
	                 SAC_OK);
	assert_int_equal(
		sac_token_source_new_static(l->admin_cfg->token, &boot, &d),
		SAC_OK);
	rc.namespace_ = "default";
	rc.name = "default";
	rc.expiration_seconds = 100;
	rc.clock = sac_mock_clock_get(l->mc);
	assert_int_equal(sac_token_source_new_request(
				 &rc, boot, sac_client_send, poster, &src, &d),
	                 SAC_OK);
	c = sa_client(l, l->sadir, &w, src);
	assert_int_equal(whoami(c, user, sizeof(user)), SAC_OK);
	assert_string_equal(user, SA_USER);
	first = strdup(sac_token_source_peek(src));
	advance(l, 79);
	assert_int_equal(whoami(c, user, sizeof(user)), SAC_OK);
	assert_string_equal(sac_token_source_peek(src), first);
	assert_int_equal(sac_token_source_loads(src), 1);
	advance(l, 2); /* 81 s: past 80 % of 100 s */
	assert_int_equal(whoami(c, user, sizeof(user)), SAC_OK);
	assert_string_not_equal(sac_token_source_peek(src), first);
	assert_int_equal(sac_token_source_loads(src), 2);
	assert_int_equal(w.n401, 0);
	free(first);
	sac_client_free(c);
	sac_transport_free(w.t);
	sac_client_free(poster);
}

/* ---- scenarios ---- */

struct seen {
	int expected_read_once_401;
	int fails;
	int entries;
};

static void
collect(const struct sac_timeline_entry *e, void *payload)
{
	struct seen *s = payload;

	s->entries++;
	if (e->kind == SAC_TL_EXPECTED && strcmp(e->actor, "read-once") == 0 &&
	    strstr(e->text, "Unauthorized") != NULL) {
		s->expected_read_once_401++;
	}
	s->fails += e->kind == SAC_TL_FAIL;
}

static struct sac_scenario_result
scenario(struct live *l, const char *name, struct seen *seen)
{
	struct sac_scenario_options o = { 0 };
	struct sac_scenario_result res = { 0 };
	struct sac_diag d = { 0 };

	o.admin = l->admin_cfg;
	o.serviceaccount_dir = l->sadir;
	o.work_dir = l->tmp;
	o.on_entry = collect;
	o.payload = seen;
	if (sac_scenario_run(name, &o, &res, &d) != SAC_OK) {
		fail_msg("scenario %s: %s", name, d.msg);
	}
	return res;
}

static void
fault(struct live *l, const char *rule)
{
	struct sac_diag d = { 0 };
	cJSON *b = cJSON_Parse(rule);
	cJSON *out = NULL;

	assert_non_null(b);
	if (sac_client_request_json(l->admin, "POST", "/mock/v1/faults", b,
	                            &out, &d) != SAC_OK) {
		fail_msg("faults: %s", d.msg);
	}
	cJSON_Delete(b);
	cJSON_Delete(out);
}

static void
clear_faults(struct live *l)
{
	struct sac_diag d = { 0 };
	cJSON *out = NULL;

	assert_int_equal(sac_client_request_json(l->admin, "DELETE",
	                                         "/mock/v1/faults", NULL, &out,
	                                         &d),
	                 SAC_OK);
	cJSON_Delete(out);
}

static void
test_live_scenario_retrieval_passes(void **state)
{
	struct seen s = { 0 };
	struct sac_scenario_result r = scenario(*state, "retrieval", &s);

	assert_true(r.passed);
	assert_int_equal(s.fails, 0);
	/* The 403 before the grant is the one expected failure. */
	assert_int_equal(r.expected_failures, 1);
}

static void
test_live_scenario_refresh_sees_three_rotations(void **state)
{
	struct seen s = { 0 };
	struct sac_scenario_result r = scenario(*state, "refresh", &s);

	assert_true(r.passed);
	assert_true(r.rotations >= 3);
	assert_int_equal(r.failed_calls, 0);
}

static void
test_live_scenario_expiry_reports_read_once_401_as_expected(void **state)
{
	struct seen s = { 0 };
	struct sac_scenario_result r = scenario(*state, "expiry", &s);

	assert_true(r.passed);
	assert_int_equal(s.expected_read_once_401, 1);
	assert_true(r.expected_failures >= 1);
	assert_int_equal(r.failed_calls, r.expected_failures);
	assert_true(r.recovered_401s >= 1); /* reread's 401 -> re-read */
}

static void
test_live_scenario_refresh_fails_under_a_fault(void **state)
{
	struct live *l = *state;
	struct seen s = { 0 };
	struct sac_scenario_result r;

	fault(l, "{\"match\":{\"path\":\"/api/v1/namespaces/default/pods\"},"
	         "\"action\":{\"status\":500},\"times\":1}");
	r = scenario(l, "refresh", &s);
	clear_faults(l);
	assert_false(r.passed);
	assert_non_null(strstr(r.why, "InternalError"));
	assert_true(s.fails >= 1);
}

static void
test_live_scenario_expiry_fails_on_an_early_401(void **state)
{
	struct live *l = *state;
	struct seen s = { 0 };
	struct sac_scenario_result r;

	/* A 401 before read-once's token expired is not the expected one. */
	fault(l, "{\"match\":{\"path\":\"/api/v1/namespaces/default/pods\"},"
	         "\"action\":{\"status\":401},\"times\":1}");
	r = scenario(l, "expiry", &s);
	clear_faults(l);
	assert_false(r.passed);
	assert_non_null(strstr(r.why, "read-once"));
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_live_static_token_from_kubeconfig_lists_pods),
		cmocka_unit_test(
			test_live_keepalive_second_call_opens_no_connection),
		cmocka_unit_test(
			test_live_in_cluster_config_authenticates_as_the_pod),
		cmocka_unit_test(test_live_read_once_gets_401_after_expiry),
		cmocka_unit_test(test_live_reread_sees_kubelet_rotation),
		cmocka_unit_test(
			test_live_reread_recovers_from_401_by_rereading),
		cmocka_unit_test(test_live_request_refreshes_at_80_percent),
		cmocka_unit_test(test_live_scenario_retrieval_passes),
		cmocka_unit_test(
			test_live_scenario_refresh_sees_three_rotations),
		cmocka_unit_test(
			test_live_scenario_expiry_reports_read_once_401_as_expected),
		cmocka_unit_test(
			test_live_scenario_refresh_fails_under_a_fault),
		cmocka_unit_test(
			test_live_scenario_expiry_fails_on_an_early_401),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s MOCKAPI\n", argv[0]);
		return 2;
	}
	mockapi_path = argv[1];
	return cmocka_run_group_tests(tests, live_start, live_stop);
}
