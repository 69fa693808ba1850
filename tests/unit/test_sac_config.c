/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "saclient.h"
#include "th.h"

struct fx {
	char *dir;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = th_mkdtemp();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	th_rmtree(f->dir);
	free(f->dir);
	free(f);
	(void)unsetenv("KUBERNETES_SERVICE_HOST");
	(void)unsetenv("KUBERNETES_SERVICE_PORT");
	(void)unsetenv(SAC_SERVICEACCOUNT_DIR_ENV);
	return 0;
}

static char *
write_in(const char *dir, const char *name, const char *text)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);

	(void)sprintf(p, "%s/%s", dir, name);
	th_write_file(p, text, strlen(text));
	return p;
}

static const char kubeconfig[] =
	"apiVersion: v1\n"
	"kind: Config\n"
	"clusters:\n"
	"- name: mock\n"
	"  cluster:\n"
	"    server: https://127.0.0.1:6443/\n"
	"    certificate-authority: ca.crt\n"
	"- name: other\n"
	"  cluster:\n"
	"    server: https://10.0.0.1\n"
	"    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n"
	"users:\n"
	"- name: admin\n"
	"  user:\n"
	"    token: abc.def.ghi\n"
	"- name: filer\n"
	"  user:\n"
	"    tokenFile: tok\n"
	"contexts:\n"
	"- name: mockapi\n"
	"  context:\n"
	"    cluster: mock\n"
	"    user: admin\n"
	"    namespace: production\n"
	"- name: o\n"
	"  context:\n"
	"    cluster: other\n"
	"    user: filer\n"
	"current-context: mockapi\n";

static void
test_sac_config_kubeconfig_current_and_named_context(void **state)
{
	struct fx *f = *state;
	char *path = write_in(f->dir, "config", kubeconfig);
	struct sac_config *c = NULL;
	struct sac_diag diag = { 0 };
	char want[512];

	assert_int_equal(sac_config_kubeconfig(path, NULL, NULL, &c, &diag),
	                 SAC_OK);
	assert_string_equal(c->server, "https://127.0.0.1:6443");
	(void)snprintf(want, sizeof(want), "%s/ca.crt", f->dir);
	assert_string_equal(c->ca_file, want);
	assert_string_equal(c->token, "abc.def.ghi");
	assert_null(c->token_file);
	assert_string_equal(c->namespace_, "production");
	assert_string_equal(c->context, "mockapi");
	sac_config_free(c);

	c = NULL;
	assert_int_equal(sac_config_kubeconfig(path, "o", "kube-system", &c,
	                                       &diag),
	                 SAC_OK);
	assert_string_equal(c->server, "https://10.0.0.1");
	assert_non_null(c->ca_data);
	assert_string_equal(c->ca_data, "-----BEGIN CERTIFICATE-----\n");
	(void)snprintf(want, sizeof(want), "%s/tok", f->dir);
	assert_string_equal(c->token_file, want);
	assert_string_equal(c->namespace_, "kube-system");
	sac_config_free(c);
	free(path);
}

static void
test_sac_config_kubeconfig_errors_name_file_and_line(void **state)
{
	static const struct {
		const char *text;
		const char *context;
		const char *want; /* substring of diag, after "<path>" */
	} rows[] = {
		{ "clusters:\n- name: a\n  cluster: [unclosed\n", NULL,
		  ":4: invalid kubeconfig" },
		{ kubeconfig, "nope", "context \"nope\" does not exist" },
		{ "contexts:\n- name: c\n  context:\n    cluster: x\n"
		  "current-context: c\n",
		  NULL, ":4: cluster \"x\" (of context \"c\") does not exist" },
		{ "clusters:\n- name: x\n  cluster:\n    insecure-skip-tls-verify: true\n"
		  "contexts:\n- name: c\n  context:\n    cluster: x\n"
		  "current-context: c\n",
		  NULL, ":4: cluster has no server" },
		{ "apiVersion: v1\n", NULL, "no current-context is set" },
		{ "- a\n- b\n", NULL, ":1: a kubeconfig must be a mapping" },
		{ "clusters:\n- name: x\n  cluster:\n    server: https://a\n"
		  "    certificate-authority-data: '!!notbase64'\n"
		  "contexts:\n- name: c\n  context:\n    cluster: x\n"
		  "current-context: c\n",
		  NULL, ":5: certificate-authority-data is not valid base64" },
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *path = write_in(f->dir, "bad", rows[i].text);
		struct sac_config *c = NULL;
		struct sac_diag diag = { 0 };

		assert_int_equal(sac_config_kubeconfig(path, rows[i].context,
		                                       NULL, &c, &diag),
		                 SAC_ECONFIG);
		assert_null(c);
		if (strstr(diag.msg, rows[i].want) == NULL) {
			fail_msg("row %zu: diag \"%s\" lacks \"%s\"", i, diag.msg,
			         rows[i].want);
		}
		free(path);
	}
}

static void
test_sac_config_kubeconfig_merges_files_first_wins(void **state)
{
	struct fx *f = *state;
	char *a = write_in(f->dir, "a",
	                   "current-context: second\n"
	                   "users:\n- name: admin\n  user:\n    token: from-a\n");
	char *b = write_in(f->dir, "b", kubeconfig);
	char list[1024];
	struct sac_config *c = NULL;
	struct sac_diag diag = { 0 };

	(void)snprintf(list, sizeof(list), "%s:%s/missing:%s", a, f->dir, b);
	assert_int_equal(sac_config_kubeconfig(list, "mockapi", NULL, &c, &diag),
	                 SAC_OK);
	assert_string_equal(c->token, "from-a");
	sac_config_free(c);
	c = NULL;
	/* current-context comes from the first file that sets it. */
	assert_int_equal(sac_config_kubeconfig(list, NULL, NULL, &c, &diag),
	                 SAC_ECONFIG);
	assert_non_null(strstr(diag.msg, "context \"second\" does not exist"));
	free(a);
	free(b);
}

static void
test_sac_config_in_cluster(void **state)
{
	struct fx *f = *state;
	struct sac_config *c = NULL;
	struct sac_diag diag = { 0 };
	char *p;

	assert_int_equal(sac_config_in_cluster(&c, &diag), SAC_ECONFIG);
	assert_non_null(strstr(diag.msg, "KUBERNETES_SERVICE_HOST and "
	                                 "KUBERNETES_SERVICE_PORT must be "
	                                 "defined"));
	(void)setenv("KUBERNETES_SERVICE_HOST", "::1", 1);
	(void)setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
	(void)setenv(SAC_SERVICEACCOUNT_DIR_ENV, f->dir, 1);
	assert_int_equal(sac_config_in_cluster(&c, &diag), SAC_ECONFIG);
	assert_non_null(strstr(diag.msg, "/token does not exist"));
	free(write_in(f->dir, "token", "eyJ.x.y"));
	p = write_in(f->dir, "namespace", "production\n");
	free(p);
	assert_int_equal(sac_config_in_cluster(&c, &diag), SAC_OK);
	assert_string_equal(c->server, "https://[::1]:6443");
	assert_string_equal(c->namespace_, "production");
	assert_non_null(strstr(c->token_file, "/token"));
	assert_non_null(strstr(c->ca_file, "/ca.crt"));
	assert_string_equal(c->origin, "in-cluster");
	sac_config_free(c);
	sac_config_free(NULL);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_sac_config_kubeconfig_current_and_named_context,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sac_config_kubeconfig_errors_name_file_and_line,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sac_config_kubeconfig_merges_files_first_wins, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_sac_config_in_cluster,
		                                setup, teardown),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("sac_config", tests, NULL, NULL);
}
