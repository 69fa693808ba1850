/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * util: small helpers private to libsaclient (not installed): file reading,
 * standard and URL-safe base64 decoding, string duplication, wiping.
 * Deliberately separate from mockapi's code (STYLE.md principle 2).
 *
 * Ownership: returned buffers are malloc'd; callers free them.
 * Thread safety: pure functions, thread-safe.
 */

#include <stddef.h>

#include "saclient.h"

/* strdup that accepts NULL (returns NULL). */
char *sac_strdup(const char *s);

/* As sac_strdup for n bytes, always NUL-terminated. */
char *sac_strndup(const char *s, size_t n);

/* Overwrites then frees; accepts NULL. */
void sac_free_secret(char *s);

/*
 * Reads a whole file of at most max bytes; NUL-terminates. SAC_EIO (with
 * "path: strerror" in diag) or SAC_EINVAL when larger than max.
 */
enum sac_err sac_read_file(const char *path, size_t max, char **out,
                           size_t *out_len, struct sac_diag *diag);

/*
 * Decodes standard (url == 0) or URL-safe (url == 1) base64, padding
 * optional, whitespace skipped for standard. SAC_EINVAL on bad input.
 */
enum sac_err sac_base64_decode(const char *in, size_t len, int url,
                               unsigned char **out, size_t *out_len);

/* Writes a printf-style message into diag (NULL-safe). */
void sac_diag_set(struct sac_diag *diag, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
