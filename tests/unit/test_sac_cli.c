/* SPDX-License-Identifier: MIT */
/*
 * saclient's command line: a parse table (commands, flags in every form,
 * durations, -o, usage errors → exit 2), durations both ways, exit codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"
#include "saclient.h"

#define MAX_ARGS 20

struct parse_case {
	const char *argv[MAX_ARGS]; /* NULL-terminated, argv[0] implied */
	enum sac_err want;
	const char *msg; /* expected diag (usage errors) */
};

static enum sac_err
parse(const char *const *args, struct sac_cli *out, struct sac_diag *d)
{
	char *argv[MAX_ARGS + 1] = { "saclient" };
	int argc = 1;

	while (args[argc - 1] != NULL) {
		assert_true(argc < MAX_ARGS);
		argv[argc] = (char *)args[argc - 1];
		argc++;
	}
	return sac_cli_parse(argc, argv, out, d);
}

static void
test_sac_cli_usage_errors_are_einval(void **state)
{
	static const struct parse_case cases[] = {
		{ { NULL }, SAC_EINVAL, "no command given" },
		{ { "frobnicate", NULL },
		  SAC_EINVAL,
		  "unknown command \"frobnicate\" for \"saclient\"" },
		{ { "pods", "--bogus", NULL },
		  SAC_EINVAL,
		  "unknown flag: --bogus" },
		{ { "pods", "-x", NULL },
		  SAC_EINVAL,
		  "unknown shorthand flag: 'x' in -x" },
		{ { "pods", "-Ax", NULL },
		  SAC_EINVAL,
		  "unknown shorthand flag: 'x' in -Ax" },
		{ { "pods", "-o", "yaml", NULL },
		  SAC_EINVAL,
		  "unable to match a printer suitable for the output format "
		  "\"yaml\", allowed formats are: json,table" },
		{ { "pods", "-n", NULL },
		  SAC_EINVAL,
		  "flag needs an argument: --namespace" },
		{ { "pods", "--namespace=", NULL },
		  SAC_EINVAL,
		  "--namespace must not be empty" },
		{ { "pods", "a", "b", NULL },
		  SAC_EINVAL,
		  "unexpected argument \"b\"" },
		{ { "pods", "p1", "-A", NULL },
		  SAC_EINVAL,
		  "a resource cannot be retrieved by name across all "
		  "namespaces" },
		{ { "token", NULL },
		  SAC_EINVAL,
		  "token: expected create, review or inspect" },
		{ { "token", "create", NULL },
		  SAC_EINVAL,
		  "token create: expected a ServiceAccount name" },
		{ { "token", "mint", NULL },
		  SAC_EINVAL,
		  "unknown command \"token mint\"" },
		{ { "token", "create", "sa", "--duration", "1500ms", NULL },
		  SAC_EINVAL,
		  "--duration cannot be expressed in units less than seconds" },
		{ { "token", "create", "sa", "--duration", "2x", NULL },
		  SAC_EINVAL,
		  "invalid argument \"2x\" for \"--duration\" flag: expected a "
		  "duration such as 90s, 10m or 2h" },
		{ { "token", "create", "sa", "--audience=", NULL },
		  SAC_EINVAL,
		  "--audience must not be empty" },
		{ { "token", "inspect", "tok", "--file", "f", NULL },
		  SAC_EINVAL,
		  "token inspect: give a TOKEN or --file, not both" },
		{ { "watch", "--strategy", "sometimes", NULL },
		  SAC_EINVAL,
		  "invalid argument \"sometimes\" for \"--strategy\" flag: "
		  "must "
		  "be read-once, reread, request or static" },
		{ { "watch", "--every", "0", NULL },
		  SAC_EINVAL,
		  "--every must be greater than 0" },
		{ { "watch", "--call", "pets", NULL },
		  SAC_EINVAL,
		  "--call must be whoami or pods" },
		{ { "whoami", "--in-cluster", "--kubeconfig", "k", NULL },
		  SAC_EINVAL,
		  "--in-cluster cannot be combined with --kubeconfig, "
		  "--context "
		  "or --server" },
		{ { "whoami", "--max-retries", "-1", NULL },
		  SAC_EINVAL,
		  "invalid argument \"-1\" for \"--max-retries\" flag: "
		  "expected "
		  "0..100" },
		{ { "whoami", "--in-cluster=yes", NULL },
		  SAC_EINVAL,
		  "flag --in-cluster takes no value" },
		{ { "whoami", "--now", "yesterday", NULL },
		  SAC_EINVAL,
		  "invalid argument \"yesterday\" for \"--now\" flag: expected "
		  "RFC 3339 UTC or epoch seconds" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sac_cli c = { .cmd = SAC_CMD_WATCH, .arg = "untouched" };
		struct sac_diag d = { 0 };

		assert_int_equal(parse(cases[i].argv, &c, &d), cases[i].want);
		assert_string_equal(d.msg, cases[i].msg);
		/* Outputs are written only on success. */
		assert_int_equal(c.cmd, SAC_CMD_WATCH);
		assert_string_equal(c.arg, "untouched");
		assert_int_equal(sac_exit_code(cases[i].want), SAC_EXIT_USAGE);
	}
}

static struct sac_cli
ok(const char *const *args)
{
	struct sac_cli c;
	struct sac_diag d = { 0 };

	if (parse(args, &c, &d) != SAC_OK) {
		fail_msg("parse failed: %s", d.msg);
	}
	return c;
}

static void
test_sac_cli_commands_and_flags(void **state)
{
	struct sac_cli c;

	(void)state;
	c = ok((const char *[]){ "pods", NULL });
	assert_int_equal(c.cmd, SAC_CMD_PODS);
	assert_null(c.arg);
	assert_null(c.namespace_);
	assert_int_equal(c.output, SAC_OUTPUT_TABLE);
	assert_false(c.strategy_set);

	c = ok((const char *[]){ "-n", "kube-system", "pods", "p1", "-ojson",
	                         NULL });
	assert_int_equal(c.cmd, SAC_CMD_PODS);
	assert_string_equal(c.namespace_, "kube-system");
	assert_string_equal(c.arg, "p1");
	assert_int_equal(c.output, SAC_OUTPUT_JSON);

	c = ok((const char *[]){ "pods", "--namespace=prod", "-o=table", "-A",
	                         NULL });
	assert_string_equal(c.namespace_, "prod");
	assert_true(c.all_namespaces);
	assert_int_equal(c.output, SAC_OUTPUT_TABLE);

	c = ok((const char *[]){ "--kubeconfig", "/k1:/k2", "--context=mock",
	                         "--insecure-skip-tls-verify", "whoami",
	                         "--output", "json", NULL });
	assert_int_equal(c.cmd, SAC_CMD_WHOAMI);
	assert_string_equal(c.kubeconfig, "/k1:/k2");
	assert_string_equal(c.context, "mock");
	assert_true(c.insecure);
	assert_int_equal(c.output, SAC_OUTPUT_JSON);

	c = ok((const char *[]){ "token", "create", "app-sa", "--duration",
	                         "2h", "--audience", "a", "--audience=b",
	                         "--bound-pod", "p1", NULL });
	assert_int_equal(c.cmd, SAC_CMD_TOKEN_CREATE);
	assert_string_equal(c.arg, "app-sa");
	assert_int_equal(c.duration_s, 7200);
	assert_int_equal(c.n_audiences, 2);
	assert_string_equal(c.audiences[0], "a");
	assert_string_equal(c.audiences[1], "b");
	assert_string_equal(c.bound_pod, "p1");

	c = ok((const char *[]){ "token", "review", "-", NULL });
	assert_int_equal(c.cmd, SAC_CMD_TOKEN_REVIEW);
	assert_string_equal(c.arg, "-");

	c = ok((const char *[]){ "token", "inspect", "--file", "/t",
	                         "--jwks=https://h/openid/v1/jwks", NULL });
	assert_int_equal(c.cmd, SAC_CMD_TOKEN_INSPECT);
	assert_null(c.arg);
	assert_string_equal(c.file, "/t");
	assert_string_equal(c.jwks, "https://h/openid/v1/jwks");

	c = ok((const char *[]){ "token", "inspect", "--", "-abc", NULL });
	assert_string_equal(c.arg, "-abc");

	c = ok((const char *[]){ "watch", NULL });
	assert_int_equal(c.cmd, SAC_CMD_WATCH);
	assert_int_equal(c.every_ms, 10000);
	assert_int_equal(c.for_ms, 300000);
	assert_string_equal(c.call, "whoami");

	c = ok((const char *[]){ "watch", "--every", "1m30s", "--for", "2h",
	                         "--strategy", "request", "--request-sa",
	                         "ns/sa", "--request-duration", "10m",
	                         "--call=pods", NULL });
	assert_int_equal(c.every_ms, 90000);
	assert_int_equal(c.for_ms, 7200000);
	assert_true(c.strategy_set);
	assert_int_equal(c.strategy, SAC_STRATEGY_REQUEST);
	assert_string_equal(c.request_sa, "ns/sa");
	assert_int_equal(c.request_duration_s, 600);
	assert_string_equal(c.call, "pods");

	c = ok((const char *[]){ "whoami", "--strategy", "read-once",
	                         "--reread-period", "5s", "--max-retries", "0",
	                         "--max-retry-wait", "2s", "--timeout", "500ms",
	                         "--now", "2023-11-14T22:30:00Z", NULL });
	assert_int_equal(c.strategy, SAC_STRATEGY_READ_ONCE);
	assert_int_equal(c.reread_period_ms, 5000);
	assert_int_equal(c.max_retries, 0);
	assert_int_equal(c.max_retry_wait_ms, 2000);
	assert_int_equal(c.timeout_ms, 500);
	assert_true(c.now_set);
	assert_int_equal(c.now_s, 1700001000);

	c = ok((const char *[]){ "--in-cluster", "pods", "--help", NULL });
	assert_int_equal(c.cmd, SAC_CMD_HELP);
	assert_true(c.in_cluster);
	c = ok((const char *[]){ "-h", NULL });
	assert_int_equal(c.cmd, SAC_CMD_HELP);
	c = ok((const char *[]){ "--version", NULL });
	assert_int_equal(c.cmd, SAC_CMD_VERSION);
	c = ok((const char *[]){ "version", NULL });
	assert_int_equal(c.cmd, SAC_CMD_VERSION);
	c = ok((const char *[]){ "--server", "https://127.0.0.1:6443",
	                         "--certificate-authority", "ca.crt",
	                         "--token-file", "t", "pods", NULL });
	assert_string_equal(c.server, "https://127.0.0.1:6443");
	assert_string_equal(c.ca_file, "ca.crt");
	assert_string_equal(c.token_file, "t");
}

static void
test_sac_cli_durations_parse_like_go(void **state)
{
	static const struct {
		const char *text;
		enum sac_err want;
		int64_t ms;
	} cases[] = {
		{ "0", SAC_OK, 0 },
		{ "2h", SAC_OK, 7200000 },
		{ "1h30m", SAC_OK, 5400000 },
		{ "90s", SAC_OK, 90000 },
		{ "500ms", SAC_OK, 500 },
		{ "1m0s", SAC_OK, 60000 },
		{ "10", SAC_EINVAL, 0 },
		{ "", SAC_EINVAL, 0 },
		{ "-5s", SAC_EINVAL, 0 },
		{ "1d", SAC_EINVAL, 0 },
		{ "h", SAC_EINVAL, 0 },
		{ "1.5h", SAC_EINVAL, 0 },
		{ "99999999999999999999h", SAC_EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t ms = -42;

		assert_int_equal(sac_duration_parse(cases[i].text, &ms),
		                 cases[i].want);
		assert_int_equal(ms,
		                 cases[i].want == SAC_OK ? cases[i].ms : -42);
	}
}

static void
test_sac_cli_human_durations_like_kubectl(void **state)
{
	static const struct {
		int64_t s;
		const char *text;
	} cases[] = {
		{ 0, "0s" },           { 119, "119s" },      { 120, "2m" },
		{ 200, "3m20s" },      { 599, "9m59s" },     { 3420, "57m" },
		{ 10799, "179m" },     { 10800, "3h" },      { 11100, "3h5m" },
		{ 28800, "8h" },       { 172799, "47h" },    { 172800, "2d" },
		{ 190800, "2d5h" },    { 31536000, "365d" }, { 63072000, "2y" },
		{ 66528000, "2y40d" }, { 315360000, "10y" }, { -180, "3m" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(
			sac_duration_human(cases[i].s, buf, sizeof(buf)),
			cases[i].text);
	}
}

static void
test_sac_cli_exit_codes_are_documented(void **state)
{
	static const struct {
		enum sac_err err;
		enum sac_exit code;
	} cases[] = {
		{ SAC_OK, 0 },        { SAC_EFORBIDDEN, 1 },
		{ SAC_ENOTFOUND, 1 }, { SAC_EHTTP, 1 },
		{ SAC_EINVAL, 2 },    { SAC_ECONFIG, 3 },
		{ SAC_EIO, 3 },       { SAC_ENETWORK, 4 },
		{ SAC_ETLS, 4 },      { SAC_ETIMEOUT, 4 },
		{ SAC_EAUTH, 5 },     { SAC_ETOKEN, 6 },
	};
	const char *usage = sac_cli_usage();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(sac_exit_code(cases[i].err), cases[i].code);
	}
	for (int code = 0; code <= 6; code++) {
		char line[8];

		(void)snprintf(line, sizeof(line), "\n  %d ", code);
		assert_non_null(strstr(usage, line));
	}
}

static void
test_sac_cli_times_round_trip(void **state)
{
	int64_t t = 0;
	char buf[32];

	(void)state;
	assert_int_equal(sac_time_parse("2023-11-14T22:13:20Z", &t), SAC_OK);
	assert_int_equal(t, 1700000000);
	assert_int_equal(sac_time_parse("1970-01-01T00:00:00.123Z", &t),
	                 SAC_OK);
	assert_int_equal(t, 0);
	assert_int_equal(sac_time_parse("2024-02-29T12:00:00Z", &t), SAC_OK);
	assert_int_equal(t, 1709208000);
	assert_string_equal(sac_time_format(1709208000, buf, sizeof(buf)),
	                    "2024-02-29T12:00:00Z");
	assert_int_equal(sac_time_parse("2023-11-14 22:13:20", &t), SAC_EINVAL);
	/* Exactly two digits per field: no sign, no blank (sscanf's %2d took
	 * "-1" as an hour). */
	assert_int_equal(sac_time_parse("2023-11-14T-1:13:20Z", &t), SAC_EINVAL);
	assert_int_equal(sac_time_parse("2023-11-14T 1:13:20Z", &t), SAC_EINVAL);
	assert_int_equal(sac_time_parse("2023-11-1", &t), SAC_EINVAL);
	assert_int_equal(sac_time_parse("2023-11-14T22:13:20+01:00", &t),
	                 SAC_EINVAL);
	assert_int_equal(sac_time_parse("2023-13-14T22:13:20Z", &t),
	                 SAC_EINVAL);
	assert_int_equal(sac_time_parse(NULL, &t), SAC_EINVAL);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sac_cli_usage_errors_are_einval),
		cmocka_unit_test(test_sac_cli_commands_and_flags),
		cmocka_unit_test(test_sac_cli_durations_parse_like_go),
		cmocka_unit_test(test_sac_cli_human_durations_like_kubectl),
		cmocka_unit_test(test_sac_cli_exit_codes_are_documented),
		cmocka_unit_test(test_sac_cli_times_round_trip),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("sac_cli", tests, NULL, NULL);
}
