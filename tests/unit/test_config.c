/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "server/config.h"
#include "th.h"

#define MAX_ARGS 8

static enum mapi_err
parse(const char *const *args, struct mapi_config *cfg, struct mapi_diag *d)
{
	char *argv[MAX_ARGS + 2] = { (char *)"mockapi" };
	int argc = 1;

	while (args[argc - 1] != NULL) {
		argv[argc] = (char *)args[argc - 1];
		argc++;
	}
	return mapi_config_parse(argc, argv, cfg, d);
}

static void
test_config_defaults(void **state)
{
	const char *none[] = { NULL };
	struct mapi_config c;
	struct mapi_diag d = { 0 };

	(void)state;
	assert_int_equal(parse(none, &c, &d), MAPI_OK);
	assert_string_equal(c.listen_addr, "127.0.0.1");
	assert_int_equal(c.port, 6443);
	assert_string_equal(c.state_dir, "./.mockapi");
	assert_null(c.port_file);
	assert_int_equal(c.threads, 0);
	assert_string_equal(c.kube_version, "v1.32.4");
	assert_int_equal(c.kube_major, 1);
	assert_int_equal(c.kube_minor, 32);
	assert_true(c.anonymous_auth);
	assert_false(c.print_env);
	assert_false(c.insecure_http);
	assert_string_equal(c.clock_spec, "now");
	assert_int_equal(c.clock_rate_milli, 1000);
	assert_int_equal(c.token_min_ttl_ns, INT64_C(600) * 1000000000);
	assert_int_equal(c.token_default_ttl_ns, INT64_C(3600) * 1000000000);
	assert_int_equal(c.token_max_ttl_ns, 0);
	assert_true(c.extend_token_expiration);
	assert_int_equal(c.signing_alg, MAPI_SIGNING_RS256);
	assert_int_equal(c.log_format, MAPI_LOG_TEXT);
}

/* Each row: args that parse, then a check of the one field they set. */
static void
test_config_good_values(void **state)
{
	struct mapi_config c;
	struct mapi_diag d = { 0 };

	(void)state;
	{
		const char *a[] = { "--listen", "0.0.0.0:0", NULL };
		assert_int_equal(parse(a, &c, &d), MAPI_OK);
		assert_string_equal(c.listen_addr, "0.0.0.0");
		assert_int_equal(c.port, 0);
	}
	{
		const char *a[] = { "--listen=[::1]:8443", NULL };
		assert_int_equal(parse(a, &c, &d), MAPI_OK);
		assert_string_equal(c.listen_addr, "::1");
		assert_int_equal(c.port, 8443);
	}
	{
		const char *a[] = { "--port-file", "/tmp/p", "--state-dir=/s",
			            "--threads",   "3",      NULL };
		assert_int_equal(parse(a, &c, &d), MAPI_OK);
		assert_string_equal(c.port_file, "/tmp/p");
		assert_string_equal(c.state_dir, "/s");
		assert_int_equal(c.threads, 3);
	}
	{
		const char *a[] = { "--kube-version=v1.30.13", NULL };
		assert_int_equal(parse(a, &c, &d), MAPI_OK);
		assert_string_equal(c.kube_version, "v1.30.13");
		assert_int_equal(c.kube_minor, 30);
	}
	{
		const char *a[] = { "--anonymous-auth=false", "--print-env",
			            "--no-extend-token-expiration", NULL };
		assert_int_equal(parse(a, &c, &d), MAPI_OK);
		assert_false(c.anonymous_auth);
		assert_true(c.print_env);
		assert_false(c.extend_token_expiration);
	}
	{
		const char *a[] = { "--anonymous-auth", NULL };
		assert_int_equal(parse(a, &c, &d), MAPI_OK);
		assert_true(c.anonymous_auth);
	}
	{
		const char *a[] = {
			"--token-min-ttl",     "1s",    "--token-max-ttl=2h",
			"--token-default-ttl", "1h30m", NULL
		};
		assert_int_equal(parse(a, &c, &d), MAPI_OK);
		assert_int_equal(c.token_min_ttl_ns, 1000000000);
		assert_int_equal(c.token_max_ttl_ns,
		                 INT64_C(7200) * 1000000000);
		assert_int_equal(c.token_default_ttl_ns,
		                 INT64_C(5400) * 1000000000);
	}
	{
		const char *a[] = { "--clock",
			            "frozen:2024-01-01T00:00:00Z",
			            "--clock-rate",
			            "0.5",
			            "--seed",
			            "42",
			            NULL };
		assert_int_equal(parse(a, &c, &d), MAPI_OK);
		assert_string_equal(c.clock_spec,
		                    "frozen:2024-01-01T00:00:00Z");
		assert_int_equal(c.clock_rate_milli, 500);
		assert_true(c.seed_set);
		assert_int_equal(c.seed, 42);
	}
	{
		const char *a[] = { "--signing-alg",
			            "ES256",
			            "--log-format=json",
			            "--issuer",
			            "https://kubernetes.default.svc",
			            NULL };
		assert_int_equal(parse(a, &c, &d), MAPI_OK);
		assert_int_equal(c.signing_alg, MAPI_SIGNING_ES256);
		assert_int_equal(c.log_format, MAPI_LOG_JSON);
		assert_string_equal(c.issuer, "https://kubernetes.default.svc");
	}
	{
		const char *a[] = { "--serviceaccount-pod",
			            "default/p1",
			            "--api-audiences=a,b",
			            "--fixtures",
			            "f.json",
			            NULL };
		assert_int_equal(parse(a, &c, &d), MAPI_OK);
		assert_string_equal(c.serviceaccount_pod, "default/p1");
		assert_string_equal(c.api_audiences, "a,b");
		assert_string_equal(c.fixtures, "f.json");
	}
	{
		const char *a[] = { "-h", "--version", "--insecure-http",
			            NULL };
		assert_int_equal(parse(a, &c, &d), MAPI_OK);
		assert_true(c.help);
		assert_true(c.version);
		assert_true(c.insecure_http);
	}
}

static void
test_config_bad_values_leave_output_unchanged(void **state)
{
	static const struct {
		const char *args[4];
		const char *msg;
	} rows[] = {
		{ { "--nope" }, "unknown flag: --nope" },
		{ { "--nope=1" }, "unknown flag: --nope" },
		{ { "stray" }, "unexpected argument: stray" },
		{ { "--listen" }, "--listen: needs a value" },
		{ { "--listen", "localhost:80" },
		  "--listen: invalid value \"localhost:80\"" },
		{ { "--listen", "127.0.0.1" },
		  "--listen: invalid value \"127.0.0.1\"" },
		{ { "--listen", "127.0.0.1:65536" },
		  "--listen: invalid value \"127.0.0.1:65536\"" },
		{ { "--listen", "::1:80" },
		  "--listen: invalid value \"::1:80\"" },
		{ { "--threads", "0" }, "--threads: invalid value \"0\"" },
		{ { "--threads", "-1" }, "--threads: invalid value \"-1\"" },
		{ { "--threads=x" }, "--threads: invalid value \"x\"" },
		{ { "--kube-version", "1.32.4" },
		  "--kube-version: invalid value \"1.32.4\"" },
		{ { "--kube-version", "v1.32" },
		  "--kube-version: invalid value \"v1.32\"" },
		{ { "--anonymous-auth=maybe" },
		  "--anonymous-auth: invalid boolean value \"maybe\"" },
		{ { "--token-min-ttl", "10" },
		  "--token-min-ttl: invalid value \"10\"" },
		{ { "--token-min-ttl", "0s" },
		  "--token-min-ttl: invalid value \"0s\"" },
		{ { "--clock", "later" }, "--clock: invalid value \"later\"" },
		{ { "--clock-rate", "0" },
		  "--clock-rate: invalid value \"0\"" },
		{ { "--clock-rate", "1.0001" },
		  "--clock-rate: invalid value \"1.0001\"" },
		{ { "--signing-alg", "HS256" },
		  "--signing-alg: invalid value \"HS256\"" },
		{ { "--log-format", "xml" },
		  "--log-format: invalid value \"xml\"" },
		{ { "--seed", "abc" }, "--seed: invalid value \"abc\"" },
		{ { "--serviceaccount-pod", "p1" },
		  "--serviceaccount-pod: invalid value \"p1\"" },
		{ { "--state-dir=" }, "--state-dir: invalid value \"\"" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mapi_config c;
		struct mapi_diag d = { 0 };

		memset(&c, 0x77, sizeof(c));
		if (parse(rows[i].args, &c, &d) != MAPI_EINVAL) {
			fail_msg("row %zu (%s) parsed", i, rows[i].args[0]);
		}
		assert_string_equal(d.msg, rows[i].msg);
		assert_int_equal(((unsigned char *)&c)[0], 0x77);
	}
}

static void
test_config_kube_version_parts(void **state)
{
	unsigned major = 7;
	unsigned minor = 7;

	(void)state;
	assert_int_equal(
		mapi_config_parse_kube_version("v1.33.1-mock", &major, &minor),
		MAPI_OK);
	assert_int_equal(major, 1);
	assert_int_equal(minor, 33);
	assert_int_equal(
		mapi_config_parse_kube_version("v1.x.1", &major, &minor),
		MAPI_EINVAL);
	assert_int_equal(
		mapi_config_parse_kube_version("v1.2.3-", &major, &minor),
		MAPI_EINVAL);
	assert_int_equal(minor, 33);
	assert_non_null(strstr(mapi_config_usage(), "--print-env"));
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_good_values),
		cmocka_unit_test(test_config_bad_values_leave_output_unchanged),
		cmocka_unit_test(test_config_kube_version_parts),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
