/* SPDX-License-Identifier: MIT */
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
sac_strdup(const char *s)
{
	return s == NULL ? NULL : sac_strndup(s, strlen(s));
}

char *
sac_strndup(const char *s, size_t n)
{
	char *d;

	if (s == NULL) {
		return NULL;
	}
	d = malloc(n + 1);
	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

void
sac_free_secret(char *s)
{
	if (s == NULL) {
		return;
	}
	/* volatile stops the compiler from dropping the wipe. */
	for (volatile char *p = s; *p != '\0'; p++) {
		*p = '\0';
	}
	free(s);
}

void
sac_diag_set(struct sac_diag *diag, const char *fmt, ...)
{
	va_list ap;

	if (diag == NULL) {
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
	va_end(ap);
}

enum sac_err
sac_read_file(const char *path, size_t max, char **out, size_t *out_len,
              struct sac_diag *diag)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;
	size_t cap = 0;
	enum sac_err err = SAC_EIO;

	if (f == NULL) {
		sac_diag_set(diag, "%s: %s", path, strerror(errno));
		return SAC_EIO;
	}
	for (;;) {
		size_t n;

		if (len + 1 >= cap) {
			char *nb;

			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				err = SAC_ENOMEM;
				goto out;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (len > max) {
			sac_diag_set(diag, "%s: larger than %zu bytes", path,
			             max);
			err = SAC_EINVAL;
			goto out;
		}
		if (n == 0) {
			break;
		}
	}
	if (ferror(f)) {
		sac_diag_set(diag, "%s: read error", path);
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	if (out_len != NULL) {
		*out_len = len;
	}
	buf = NULL;
	err = SAC_OK;
out:
	(void)fclose(f);
	free(buf);
	return err;
}

static int
b64_value(char c, int url)
{
	if (c >= 'A' && c <= 'Z') {
		return c - 'A';
	}
	if (c >= 'a' && c <= 'z') {
		return c - 'a' + 26;
	}
	if (c >= '0' && c <= '9') {
		return c - '0' + 52;
	}
	if (c == (url ? '-' : '+')) {
		return 62;
	}
	if (c == (url ? '_' : '/')) {
		return 63;
	}
	return -1;
}

enum sac_err
sac_base64_decode(const char *in, size_t len, int url, unsigned char **out,
                  size_t *out_len)
{
	unsigned char *buf = malloc(len / 4 * 3 + 4);
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;
	size_t i;
	int pad = 0;

	if (buf == NULL) {
		return SAC_ENOMEM;
	}
	for (i = 0; i < len; i++) {
		char c = in[i];
		int v;

		if (!url && (c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
			continue;
		}
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_value(c, url)) < 0) {
			free(buf);
			return SAC_EINVAL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (unsigned char)(acc >> bits);
			acc &= (1U << bits) - 1;
		}
	}
	if (bits >= 6 || pad > 2) {
		free(buf);
		return SAC_EINVAL;
	}
	buf[o] = '\0';
	*out = buf;
	*out_len = o;
	return SAC_OK;
}
