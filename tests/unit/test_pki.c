/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <microhttpd.h>

#include "auth/keys.h"
#include "auth/pki.h"
#include "sim/clock.h"
#include "th.h"

#define DAY 86400

struct fixture {
	char *tmp;
	char *dir; /* tmp/state, not created yet */
	int64_t now;
	struct mapi_pki_opts opts;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mapi_clock *clock = NULL;
	struct mapi_pki_opts opts = MAPI_PKI_OPTS_DEFAULT;
	size_t n;

	if (f == NULL || mapi_clock_new_system(&clock) != MAPI_OK) {
		return -1;
	}
	/* openssl verify and curl check against the real time. */
	f->now = mapi_clock_real_ns(clock) / MAPI_NS_PER_SEC;
	mapi_clock_free(clock);
	f->tmp = th_mkdtemp();
	n = strlen(f->tmp) + 16;
	f->dir = malloc(n);
	if (f->dir == NULL) {
		return -1;
	}
	(void)snprintf(f->dir, n, "%s/state", f->tmp);
	f->opts = opts;
	f->opts.not_before = f->now;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	th_rmtree(f->tmp);
	free(f->tmp);
	free(f->dir);
	free(f);
	return 0;
}

/* Runs a printf-formatted shell command; returns its exit status. */
__attribute__((format(printf, 2, 3))) static int
run(char **out, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return th_run(cmd, out);
}

/* As run(), failing the test on a non-zero exit; returns stdout. */
__attribute__((format(printf, 1, 2))) static char *
run_ok(const char *fmt, ...)
{
	char cmd[2048];
	char *out = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	(void)vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = th_run(cmd, &out);
	if (rc != 0) {
		fail_msg("command failed (%d): %s\n%s", rc, cmd, out);
	}
	return out;
}

static char *
path_in(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	assert_non_null(p);
	(void)snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static void
ensure_ok(struct fixture *f)
{
	struct mapi_diag diag = { 0 };
	enum mapi_err err = mapi_pki_ensure(f->dir, &f->opts, &diag);

	if (err != MAPI_OK) {
		fail_msg("ensure: %s: %s", mapi_err_name(err), diag.msg);
	}
}

/* ensure must fail with err and a diag containing want. */
static void
ensure_fails(struct fixture *f, enum mapi_err want_err, const char *want)
{
	struct mapi_diag diag = { 0 };
	enum mapi_err err = mapi_pki_ensure(f->dir, &f->opts, &diag);

	if (err != want_err || strstr(diag.msg, want) == NULL) {
		fail_msg("ensure: %s \"%s\", want %s \"%s\"",
		         mapi_err_name(err), diag.msg, mapi_err_name(want_err),
		         want);
	}
}

static char *
read_in(const struct fixture *f, const char *name)
{
	char *p = path_in(f->dir, name);
	char *text = th_read_file(p, NULL);

	free(p);
	return text;
}

static mode_t
mode_of(const struct fixture *f, const char *name)
{
	char *p = path_in(f->dir, name);
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	free(p);
	return st.st_mode & 07777;
}

/* "2023-11-14 22:08:20Z", as `openssl x509 -dateopt iso_8601` prints. */
static void
iso_date(int64_t t, char *buf, size_t len)
{
	assert_true(mapi_time_format_rfc3339(t, buf, len));
	buf[10] = ' ';
}

static const char default_san_line[] =
	"IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost, "
	"DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, "
	"DNS:kubernetes.default.svc.cluster.local";

static void
test_pki_ensure_creates_four_files_that_verify(void **state)
{
	struct fixture *f = *state;
	char want[256];
	char d1[32];
	char d2[32];
	char *out;
	char *ca_serial;
	char *tls_serial;
	struct stat st;

	ensure_ok(f);
	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(mode_of(f, "ca.key"), 0600);
	assert_int_equal(mode_of(f, "tls.key"), 0600);
	assert_int_equal(mode_of(f, "ca.crt"), 0644);
	assert_int_equal(mode_of(f, "tls.crt"), 0644);
	out = run_ok("ls -A '%s' | tr '\\n' ' '", f->dir);
	assert_string_equal(out, "ca.crt ca.key tls.crt tls.key ");
	free(out);

	out = run_ok("cd '%s' && openssl verify -x509_strict -purpose "
	             "sslserver -CAfile ca.crt tls.crt",
	             f->dir);
	assert_string_equal(out, "tls.crt: OK\n");
	free(out);

	out = run_ok("openssl x509 -noout -ext subjectAltName -in '%s/tls.crt'",
	             f->dir);
	(void)snprintf(want, sizeof(want),
	               "X509v3 Subject Alternative Name: \n    %s\n",
	               default_san_line);
	assert_string_equal(out, want);
	free(out);

	out = run_ok("openssl x509 -noout -subject -issuer -in '%s/tls.crt'",
	             f->dir);
	assert_string_equal(out,
	                    "subject=CN = kube-apiserver\nissuer=CN = mockapi-ca\n");
	free(out);

	out = run_ok("openssl x509 -noout -ext basicConstraints,keyUsage,"
	             "extendedKeyUsage,subjectKeyIdentifier,"
	             "authorityKeyIdentifier -in '%s/tls.crt'",
	             f->dir);
	assert_non_null(strstr(out, "X509v3 Basic Constraints: critical\n"
	                            "    CA:FALSE\n"));
	assert_non_null(strstr(out, "X509v3 Key Usage: critical\n"
	                            "    Digital Signature\n"));
	assert_non_null(strstr(out, "X509v3 Extended Key Usage: \n"
	                            "    TLS Web Server Authentication\n"));
	assert_non_null(strstr(out, "X509v3 Subject Key Identifier: \n"));
	assert_non_null(strstr(out, "X509v3 Authority Key Identifier: \n"));
	free(out);

	out = run_ok("openssl x509 -noout -text -in '%s/tls.crt'", f->dir);
	assert_non_null(strstr(out, "Version: 3 (0x2)"));
	assert_non_null(strstr(out, "ecdsa-with-SHA256"));
	assert_non_null(strstr(out, "ASN1 OID: prime256v1"));
	free(out);

	out = run_ok("openssl x509 -noout -subject -ext basicConstraints,"
	             "keyUsage -in '%s/ca.crt'",
	             f->dir);
	assert_non_null(strstr(out, "subject=CN = mockapi-ca\n"));
	assert_non_null(strstr(out, "critical\n    CA:TRUE\n"));
	assert_non_null(strstr(out, "critical\n    Certificate Sign, CRL "
	                            "Sign\n"));
	free(out);

	/* Validity: backdated 5 minutes; 365 days serving, 3650 days CA. */
	iso_date(f->now - MAPI_PKI_BACKDATE_S, d1, sizeof(d1));
	iso_date(f->now + 365 * DAY, d2, sizeof(d2));
	(void)snprintf(want, sizeof(want), "notBefore=%s\nnotAfter=%s\n", d1,
	               d2);
	out = run_ok("openssl x509 -noout -dates -dateopt iso_8601 -in "
	             "'%s/tls.crt'",
	             f->dir);
	assert_string_equal(out, want);
	free(out);
	iso_date(f->now + 3650 * DAY, d2, sizeof(d2));
	(void)snprintf(want, sizeof(want), "notBefore=%s\nnotAfter=%s\n", d1,
	               d2);
	out = run_ok("openssl x509 -noout -dates -dateopt iso_8601 -in "
	             "'%s/ca.crt'",
	             f->dir);
	assert_string_equal(out, want);
	free(out);

	/* Serials: positive, at most 128 bits, distinct. */
	ca_serial = run_ok("openssl x509 -noout -serial -in '%s/ca.crt'",
	                   f->dir);
	tls_serial = run_ok("openssl x509 -noout -serial -in '%s/tls.crt'",
	                    f->dir);
	assert_true(strncmp(tls_serial, "serial=", 7) == 0);
	assert_true(strlen(tls_serial) <= 7 + 32 + 1);
	assert_true(strlen(tls_serial) >= 7 + 16 + 1);
	assert_non_null(strchr("01234567", tls_serial[7]));
	assert_string_not_equal(ca_serial, tls_serial);
	free(ca_serial);
	free(tls_serial);

	/* Keys are PKCS#8, which GnuTLS reads for EC and RSA alike. */
	out = read_in(f, "tls.key");
	assert_true(strncmp(out, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
	free(out);
	out = read_in(f, "ca.key");
	assert_true(strncmp(out, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
	free(out);
}

static void
test_pki_ensure_reuses_existing_files_unchanged(void **state)
{
	static const char *const names[] = { "ca.crt", "ca.key", "tls.crt",
		                             "tls.key" };
	struct fixture *f = *state;
	char *before[4];
	struct stat st_before[4];
	size_t i;

	ensure_ok(f);
	for (i = 0; i < 4; i++) {
		char *p = path_in(f->dir, names[i]);

		before[i] = th_read_file(p, NULL);
		assert_int_equal(stat(p, &st_before[i]), 0);
		free(p);
	}
	f->opts.not_before += 3600; /* a later restart */
	ensure_ok(f);
	for (i = 0; i < 4; i++) {
		char *p = path_in(f->dir, names[i]);
		char *after = th_read_file(p, NULL);
		struct stat st;

		assert_int_equal(stat(p, &st), 0);
		assert_string_equal(after, before[i]);
		assert_int_equal(st.st_ino, st_before[i].st_ino);
		assert_int_equal(st.st_mtim.tv_nsec, st_before[i].st_mtim.tv_nsec);
		free(after);
		free(before[i]);
		free(p);
	}
}

static void
test_pki_rsa2048_is_selectable(void **state)
{
	struct fixture *f = *state;
	char *out;

	f->opts.type = MAPI_PKI_RSA2048;
	ensure_ok(f);
	out = run_ok("cd '%s' && openssl verify -x509_strict -purpose "
	             "sslserver -CAfile ca.crt tls.crt",
	             f->dir);
	assert_string_equal(out, "tls.crt: OK\n");
	free(out);
	out = run_ok("openssl x509 -noout -text -in '%s/tls.crt'", f->dir);
	assert_non_null(strstr(out, "Public-Key: (2048 bit)"));
	assert_non_null(strstr(out, "sha256WithRSAEncryption"));
	assert_non_null(strstr(out, "Digital Signature, Key Encipherment"));
	free(out);
	out = run_ok("openssl x509 -noout -text -in '%s/ca.crt'", f->dir);
	assert_non_null(strstr(out, "Public-Key: (2048 bit)"));
	free(out);
	out = run_ok("openssl pkey -in '%s/tls.key' -noout -text | head -1",
	             f->dir);
	assert_non_null(strstr(out, "Private-Key: (2048 bit"));
	free(out);
}

static void
test_pki_extra_sans_appear_once_and_lowercased(void **state)
{
	static const char *const extras[] = { "IP:10.0.0.7",
		                              "DNS:Api.Example.TEST",
		                              "IP:fd00::5", "DNS:localhost",
		                              "DNS:*.apps.example.test", NULL };
	struct fixture *f = *state;
	char want[512];
	char *out;

	f->opts.extra_sans = extras;
	ensure_ok(f);
	out = run_ok("openssl x509 -noout -ext subjectAltName -in '%s/tls.crt'",
	             f->dir);
	(void)snprintf(want, sizeof(want),
	               "X509v3 Subject Alternative Name: \n    %s, IP "
	               "Address:10.0.0.7, DNS:api.example.test, IP "
	               "Address:FD00:0:0:0:0:0:0:5, DNS:*.apps.example.test\n",
	               default_san_line);
	assert_string_equal(out, want);
	free(out);
}

static void
test_pki_rejects_bad_options_before_touching_disk(void **state)
{
	static const char *const bad[] = {
		"FOO:bar",  "IP:999.1.1.1", "IP:", "DNS:",
		"DNS:a..b", "DNS:has space", "DNS:x,DNS:y", "dns:lower",
		"DNS:-.",   "DNS:a.*.b",
	};
	struct fixture *f = *state;
	struct mapi_diag diag = { 0 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *extras[] = { bad[i], NULL };

		f->opts.extra_sans = extras;
		memset(&diag, 0, sizeof(diag));
		assert_int_equal(mapi_pki_ensure(f->dir, &f->opts, &diag),
		                 MAPI_EINVAL);
		if (strstr(diag.msg, "invalid subjectAltName") == NULL) {
			fail_msg("%s: diag \"%s\"", bad[i], diag.msg);
		}
	}
	f->opts.extra_sans = NULL;
	f->opts.not_before = 0;
	ensure_fails(f, MAPI_EINVAL, "not_before");
	f->opts.not_before = f->now;
	f->opts.type = (enum mapi_pki_keytype)7;
	ensure_fails(f, MAPI_EINVAL, "unknown key type");
	/* Nothing was created. */
	assert_int_not_equal(access(f->dir, F_OK), 0);
}

/* Writes a serving pair issued by a brand-new, unrelated CA into dir. */
static void
plant_foreign_serving(const struct fixture *f, char **out_ca_pem,
                      char **out_cert_pem)
{
	struct mapi_key *ca_key = NULL;
	struct mapi_key *key = NULL;
	struct mapi_diag diag = { 0 };
	char *ca_pem = NULL;
	char *cert = NULL;
	char *p;

	assert_int_equal(mapi_pki_make_ca(&f->opts, &ca_key, &ca_pem, &diag),
	                 MAPI_OK);
	assert_int_equal(mapi_pki_make_serving(&f->opts, ca_pem,
	                                       strlen(ca_pem), ca_key, &key,
	                                       &cert, &diag),
	                 MAPI_OK);
	p = path_in(f->dir, "tls.crt");
	th_write_file(p, cert, strlen(cert));
	free(p);
	p = path_in(f->dir, "tls.key");
	assert_int_equal(mapi_key_save_private(key, p), MAPI_OK);
	free(p);
	mapi_key_unref(key);
	mapi_key_unref(ca_key);
	*out_ca_pem = ca_pem;
	*out_cert_pem = cert;
}

static void
test_pki_refuses_serving_cert_from_another_ca(void **state)
{
	struct fixture *f = *state;
	struct mapi_diag diag = { 0 };
	char *ca2 = NULL;
	char *cert2 = NULL;
	char *ca1;
	char *after;

	ensure_ok(f);
	ca1 = read_in(f, "ca.crt");
	plant_foreign_serving(f, &ca2, &cert2);
	/* Same issuer CN "mockapi-ca", but another key: must be caught. */
	ensure_fails(f, MAPI_EINVAL, "tls.crt does not chain to");
	ensure_fails(f, MAPI_EINVAL,
	             "authority and subject key identifier mismatch");
	after = read_in(f, "tls.crt");
	assert_string_equal(after, cert2); /* left alone */
	free(after);

	assert_int_equal(mapi_pki_check_chain(ca1, strlen(ca1), cert2,
	                                      strlen(cert2), &diag),
	                 MAPI_EINVAL);
	assert_non_null(strstr(diag.msg, "not issued by the CA"));
	assert_int_equal(mapi_pki_check_chain(ca2, strlen(ca2), cert2,
	                                      strlen(cert2), &diag),
	                 MAPI_OK);
	assert_int_equal(mapi_pki_check_chain(cert2, strlen(cert2), cert2,
	                                      strlen(cert2), &diag),
	                 MAPI_EINVAL);
	assert_non_null(strstr(diag.msg, "is not a CA"));
	assert_int_equal(mapi_pki_check_chain("junk", 4, cert2, strlen(cert2),
	                                      &diag),
	                 MAPI_EINVAL);
	assert_non_null(strstr(diag.msg, "cannot parse the CA"));
	free(ca1);
	free(ca2);
	free(cert2);
}

static void
test_pki_refuses_key_that_does_not_match(void **state)
{
	struct fixture *f = *state;
	struct mapi_key *other = NULL;
	char *p = path_in(f->dir, "tls.key");

	ensure_ok(f);
	assert_int_equal(mapi_key_generate(MAPI_KEY_P256, &other), MAPI_OK);
	assert_int_equal(mapi_key_save_private(other, p), MAPI_OK);
	ensure_fails(f, MAPI_EINVAL, "tls.key does not match");
	free(p);
	p = path_in(f->dir, "ca.key");
	assert_int_equal(mapi_key_save_private(other, p), MAPI_OK);
	ensure_fails(f, MAPI_EINVAL, "ca.key does not match");
	free(p);
	mapi_key_unref(other);
}

static void
test_pki_issues_missing_serving_pair_from_existing_ca(void **state)
{
	struct fixture *f = *state;
	char *crt = path_in(f->dir, "tls.crt");
	char *key = path_in(f->dir, "tls.key");
	char *ca_before;
	char *tls_before;
	char *ca_after;
	char *tls_after;
	char *out;

	ensure_ok(f);
	ca_before = read_in(f, "ca.crt");
	tls_before = read_in(f, "tls.crt");
	assert_int_equal(unlink(crt), 0);
	assert_int_equal(unlink(key), 0);
	ensure_ok(f);
	ca_after = read_in(f, "ca.crt");
	tls_after = read_in(f, "tls.crt");
	assert_string_equal(ca_after, ca_before);
	assert_string_not_equal(tls_after, tls_before);
	assert_int_equal(mode_of(f, "tls.key"), 0600);
	out = run_ok("cd '%s' && openssl verify -CAfile ca.crt tls.crt",
	             f->dir);
	assert_string_equal(out, "tls.crt: OK\n");
	free(out);

	/* Half a pair is refused. */
	assert_int_equal(unlink(key), 0);
	ensure_fails(f, MAPI_EINVAL, "tls.crt exists without tls.key");
	free(ca_before);
	free(tls_before);
	free(ca_after);
	free(tls_after);
	free(crt);
	free(key);
}

static void
test_pki_refuses_files_without_ca_crt(void **state)
{
	struct fixture *f = *state;
	char *ca = path_in(f->dir, "ca.crt");

	ensure_ok(f);
	assert_int_equal(unlink(ca), 0);
	ensure_fails(f, MAPI_EINVAL, "exists but ca.crt does not");
	assert_int_not_equal(access(ca, F_OK), 0);
	free(ca);
}

static void
test_pki_reissues_stale_serving_cert_keeping_the_ca(void **state)
{
	static const char *const extras[] = { "DNS:new.example.test", NULL };
	struct fixture *f = *state;
	struct mapi_diag diag = { 0 };
	char *ca_key = path_in(f->dir, "ca.key");
	char *ca_before;
	char *tls0;
	char *tls1;
	char *tls2;
	char *ca_after;
	char *out;

	ensure_ok(f);
	ca_before = read_in(f, "ca.crt");
	tls0 = read_in(f, "tls.crt");

	/* A requested SAN the cert lacks: reissued, CA kept. */
	f->opts.extra_sans = extras;
	ensure_ok(f);
	tls1 = read_in(f, "tls.crt");
	assert_string_not_equal(tls1, tls0);
	out = run_ok("openssl x509 -noout -ext subjectAltName -in "
	             "'%s/tls.crt'",
	             f->dir);
	assert_non_null(strstr(out, "DNS:new.example.test"));
	free(out);

	/* 400 days later the serving cert has expired: reissued. */
	f->opts.not_before = f->now + 400 * DAY;
	ensure_ok(f);
	tls2 = read_in(f, "tls.crt");
	assert_string_not_equal(tls2, tls1);
	ca_after = read_in(f, "ca.crt");
	assert_string_equal(ca_after, ca_before);
	assert_int_equal(mapi_pki_check_chain(ca_after, strlen(ca_after), tls2,
	                                      strlen(tls2), &diag),
	                 MAPI_OK);
	out = run_ok("cd '%s' && openssl verify -attime %lld -CAfile ca.crt "
	             "tls.crt",
	             f->dir, (long long)(f->now + 400 * DAY));
	assert_string_equal(out, "tls.crt: OK\n");
	free(out);

	/* Without ca.key a stale cert cannot be reissued: refused. */
	assert_int_equal(unlink(ca_key), 0);
	f->opts.not_before = f->now + 800 * DAY;
	ensure_fails(f, MAPI_EINVAL, "cannot be reissued");

	/* After the CA's ten years, refused with a way out. */
	f->opts.not_before = f->now + 3651 * DAY;
	ensure_fails(f, MAPI_EINVAL, "ca.crt is expired or not yet valid");
	free(ca_before);
	free(ca_after);
	free(tls0);
	free(tls1);
	free(tls2);
	free(ca_key);
}

static void
test_pki_serving_cert_never_outlives_its_ca(void **state)
{
	struct fixture *f = *state;
	char want[128];
	char d[32];
	char *out;

	f->opts.ca_valid_days = 30;
	f->opts.valid_days = 365;
	ensure_ok(f);
	iso_date(f->now + 30 * DAY, d, sizeof(d));
	(void)snprintf(want, sizeof(want), "notAfter=%s\n", d);
	out = run_ok("openssl x509 -noout -enddate -dateopt iso_8601 -in "
	             "'%s/tls.crt'",
	             f->dir);
	assert_string_equal(out, want);
	free(out);
}

/* ---- GnuTLS (through libmicrohttpd) serves the files; curl trusts them */

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
           const char *method, const char *version, const char *upload,
           size_t *upload_size, void **req_cls)
{
	static int marker;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (*req_cls == NULL) {
		*req_cls = &marker;
		return MHD_YES;
	}
	resp = MHD_create_response_from_buffer(2, (void *)"ok",
	                                       MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
serve_and_curl(struct fixture *f)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	char *key = read_in(f, "tls.key");
	char *crt = read_in(f, "tls.crt");
	char *out = NULL;
	unsigned port;
	int rc;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0,
	                     NULL, NULL, on_request, NULL,
	                     MHD_OPTION_SOCK_ADDR, &addr,
	                     MHD_OPTION_HTTPS_MEM_KEY, key,
	                     MHD_OPTION_HTTPS_MEM_CERT, crt, MHD_OPTION_END);
	assert_non_null(d); /* GnuTLS accepted tls.key and tls.crt */
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	port = info->port;
	out = run_ok("curl -sS --max-time 10 --cacert '%s/ca.crt' "
	             "https://localhost:%u/ && curl -sS --max-time 10 "
	             "--cacert '%s/ca.crt' --resolve "
	             "kubernetes.default.svc.cluster.local:%u:127.0.0.1 "
	             "https://kubernetes.default.svc.cluster.local:%u/ && "
	             "curl -sS --max-time 10 --cacert '%s/ca.crt' "
	             "https://127.0.0.1:%u/",
	             f->dir, port, f->dir, port, port, f->dir, port);
	assert_string_equal(out, "okokok");
	free(out);
	/* A name not in the SANs is refused by the client (exit 60). */
	rc = run(NULL,
	         "curl -sS --max-time 10 --cacert '%s/ca.crt' --resolve "
	         "elsewhere.test:%u:127.0.0.1 https://elsewhere.test:%u/ "
	         "2>/dev/null",
	         f->dir, port, port);
	assert_int_equal(rc, 60);
	MHD_stop_daemon(d);
	memset(key, 0, strlen(key));
	free(key);
	free(crt);
}

static void
test_pki_gnutls_serves_p256_files_that_curl_trusts(void **state)
{
	struct fixture *f = *state;

	ensure_ok(f);
	serve_and_curl(f);
}

static void
test_pki_gnutls_serves_rsa_files_that_curl_trusts(void **state)
{
	struct fixture *f = *state;

	f->opts.type = MAPI_PKI_RSA2048;
	ensure_ok(f);
	serve_and_curl(f);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(test_pki_ensure_creates_four_files_that_verify),
		T(test_pki_ensure_reuses_existing_files_unchanged),
		T(test_pki_rsa2048_is_selectable),
		T(test_pki_extra_sans_appear_once_and_lowercased),
		T(test_pki_rejects_bad_options_before_touching_disk),
		T(test_pki_refuses_serving_cert_from_another_ca),
		T(test_pki_refuses_key_that_does_not_match),
		T(test_pki_issues_missing_serving_pair_from_existing_ca),
		T(test_pki_refuses_files_without_ca_crt),
		T(test_pki_reissues_stale_serving_cert_keeping_the_ca),
		T(test_pki_serving_cert_never_outlives_its_ca),
		T(test_pki_gnutls_serves_p256_files_that_curl_trusts),
		T(test_pki_gnutls_serves_rsa_files_that_curl_trusts),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("pki", tests, NULL, NULL);
}
