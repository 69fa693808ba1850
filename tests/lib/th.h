/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * th: helpers shared by the test binaries (prefix th_).
 *
 * Ownership: strings returned by th_* are malloc'd; the caller frees them.
 * Errors: helpers that cannot continue fail the current cmocka test.
 */

#include <stdbool.h>
#include <stddef.h>

/*
 * Absolute path of a fixture file: $MOCKAPI_FIXTURES/<rel>. Fails the test
 * if MOCKAPI_FIXTURES is not set.
 */
char *th_fixture_path(const char *rel);

/* Reads a whole file; *out_len gets its length (may be NULL). NUL-terminated. */
char *th_read_file(const char *path, size_t *out_len);

/* Writes len bytes to path (mode 0600), failing the test on error. */
void th_write_file(const char *path, const void *data, size_t len);

/* A fresh directory under $TMPDIR (or /tmp); remove with th_rmtree(). */
char *th_mkdtemp(void);

/* Removes a directory tree made by th_mkdtemp(). Accepts NULL. */
void th_rmtree(const char *path);

/*
 * Runs `sh -c cmd`, captures stdout (up to 1 MiB) into *out_stdout (may be
 * NULL) and returns the exit status (or -1 if it did not exit normally).
 */
int th_run(const char *cmd, char **out_stdout);

/*
 * Makes a throwaway test CA and P-256 serving certificate (SANs 127.0.0.1,
 * ::1, localhost) with the openssl CLI in dir: ca.crt, ca.key, tls.crt,
 * tls.key (tests/lib/make-test-pki.sh, found through $MOCKAPI_TEST_LIB).
 * Fails the test on error.
 */
void th_make_test_pki(const char *dir);

/*
 * One HTTP reply collected by libcurl through th_reply_on_body and
 * th_reply_on_header (CURLOPT_WRITEFUNCTION / CURLOPT_HEADERFUNCTION with
 * the reply as their data). Start zeroed; free with th_reply_fini().
 */
struct th_reply {
	long code;
	char *body; /* NUL-terminated, malloc'd */
	size_t len;
	char headers[8192]; /* raw header lines, truncated if longer */
	size_t hlen;
	long num_connects; /* CURLINFO_NUM_CONNECTS, when the test reads it */
};

size_t th_reply_on_body(char *p, size_t size, size_t n, void *reply);
size_t th_reply_on_header(char *p, size_t size, size_t n, void *reply);

/* True when the reply has a header line "<name>:" (case-insensitive). */
bool th_reply_has_header(const struct th_reply *r, const char *name);

/* Frees the body and zeroes the reply. Accepts NULL. */
void th_reply_fini(struct th_reply *r);

/* Runs a cmocka group, honouring argv[1] as a test-name filter. */
#define TH_MAIN(name, tests)                                                 \
	int main(int argc, char **argv)                                      \
	{                                                                    \
		if (argc > 1) {                                              \
			cmocka_set_test_filter(argv[1]);                     \
		}                                                            \
		return cmocka_run_group_tests_name(name, tests, NULL, NULL); \
	}
