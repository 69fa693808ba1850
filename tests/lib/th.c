/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* mkdtemp, nftw */
#include "th.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

char *
th_fixture_path(const char *rel)
{
	const char *base = getenv("MOCKAPI_FIXTURES");
	char *path;
	size_t n;

	if (base == NULL) {
		fail_msg("MOCKAPI_FIXTURES is not set (run through meson test)");
	}
	n = strlen(base) + strlen(rel) + 2;
	path = malloc(n);
	assert_non_null(path);
	(void)snprintf(path, n, "%s/%s", base, rel);
	return path;
}

char *
th_read_file(const char *path, size_t *out_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0;
	size_t len = 0;
	size_t n;

	if (f == NULL) {
		fail_msg("cannot open %s", path);
	}
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	(void)fclose(f);
	buf[len] = '\0';
	if (out_len != NULL) {
		*out_len = len;
	}
	return buf;
}

void
th_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL) {
		fail_msg("cannot create %s", path);
	}
	(void)chmod(path, 0600);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

char *
th_mkdtemp(void)
{
	const char *tmp = getenv("TMPDIR");
	char *path;
	size_t n;

	if (tmp == NULL || *tmp == '\0') {
		tmp = "/tmp";
	}
	n = strlen(tmp) + 32;
	path = malloc(n);
	assert_non_null(path);
	(void)snprintf(path, n, "%s/mockapi-test-XXXXXX", tmp);
	if (mkdtemp(path) == NULL) {
		fail_msg("mkdtemp failed");
	}
	return path;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
th_rmtree(const char *path)
{
	if (path == NULL) {
		return;
	}
	(void)nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
th_run(const char *cmd, char **out_stdout)
{
	FILE *p = popen(cmd, "r");
	char *buf;
	size_t len = 0;
	size_t cap = 1 << 20;
	size_t n;
	int status;

	if (p == NULL) {
		return -1;
	}
	buf = malloc(cap + 1);
	assert_non_null(buf);
	while (len < cap && (n = fread(buf + len, 1, cap - len, p)) > 0) {
		len += n;
	}
	buf[len] = '\0';
	status = pclose(p);
	if (out_stdout != NULL) {
		*out_stdout = buf;
	} else {
		free(buf);
	}
	if (status == -1 || !WIFEXITED(status)) {
		return -1;
	}
	return WEXITSTATUS(status);
}

void
th_make_test_pki(const char *dir)
{
	const char *lib = getenv("MOCKAPI_TEST_LIB");
	char cmd[4096];
	int rc;

	if (lib == NULL) {
		fail_msg("MOCKAPI_TEST_LIB is not set (run through meson test)");
	}
	(void)snprintf(cmd, sizeof(cmd), "sh '%s/make-test-pki.sh' '%s'", lib,
	               dir);
	rc = th_run(cmd, NULL);
	if (rc != 0) {
		fail_msg("make-test-pki.sh failed (%d)", rc);
	}
}

size_t
th_reply_on_body(char *p, size_t size, size_t n, void *reply)
{
	struct th_reply *r = reply;
	size_t len = size * n;
	char *b = realloc(r->body, r->len + len + 1);

	if (b == NULL) {
		return 0;
	}
	memcpy(b + r->len, p, len);
	r->body = b;
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

size_t
th_reply_on_header(char *p, size_t size, size_t n, void *reply)
{
	struct th_reply *r = reply;
	size_t len = size * n;

	if (r->hlen + len < sizeof(r->headers)) {
		memcpy(r->headers + r->hlen, p, len);
		r->hlen += len;
		r->headers[r->hlen] = '\0';
	}
	return len;
}

bool
th_reply_has_header(const struct th_reply *r, const char *name)
{
	const char *p = r->headers;
	size_t n = strlen(name);

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			return true;
		}
		p = strchr(p, '\n');
		if (p != NULL) {
			p++;
		}
	}
	return false;
}

void
th_reply_fini(struct th_reply *r)
{
	if (r == NULL) {
		return;
	}
	free(r->body);
	memset(r, 0, sizeof(*r));
}
