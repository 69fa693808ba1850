/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * errors: the one result type of every fallible mockapi function.
 *
 * MAPI_OK is 0. server/status.c is the only place where a value is turned
 * into an HTTP status code and a Kubernetes Status.reason; handlers and
 * modules never choose codes themselves.
 *
 * When a caller needs more than a code (a parser's offset, a field path, the
 * exact Kubernetes message), functions take an optional struct mapi_diag *.
 * Its msg becomes Status.message verbatim.
 */

#include <stddef.h>

#define MAPI_NODISCARD __attribute__((warn_unused_result))

enum mapi_err {
	MAPI_OK = 0,
	MAPI_ENOMEM,         /* allocation failed                  → 500 */
	MAPI_EINVAL,         /* bad argument / unparsable input    → 400 */
	MAPI_EIO,            /* file or socket error               → 500 */
	MAPI_ENOTFOUND,      /* object or file missing             → 404 */
	MAPI_EEXIST,         /* name taken                         → 409 */
	MAPI_ECONFLICT,      /* stale resourceVersion, uid differs → 409 */
	MAPI_EINVALID,       /* semantic validation failed         → 422 */
	MAPI_EUNAUTHORIZED,  /* authentication failed              → 401 */
	MAPI_EFORBIDDEN,     /* authorization denied               → 403 */
	MAPI_EMETHOD,        /* method not allowed                 → 405 */
	MAPI_ETOOLARGE,      /* body or object over its bound      → 413 */
	MAPI_EMEDIATYPE,     /* unsupported Content-Type           → 415 */
	MAPI_ETOOMANY,       /* rate limited / a bound reached     → 429 */
	MAPI_ECRYPTO,        /* a crypto primitive failed          → 500 */
	MAPI_EINTERNAL,      /* anything else that is our fault    → 500 */
	MAPI_EUNAVAILABLE,   /* not ready, shutting down           → 503 */
	MAPI_EGONE,          /* resourceVersion too old (watch)    → 410 */
	MAPI_ERR_COUNT_      /* not an error: the number of values */
};

/*
 * Optional detail for a failure. Writers fill what they know and leave the
 * rest zero; msg is always NUL-terminated and truncated if too long.
 */
struct mapi_diag {
	char msg[512];   /* human text; becomes Status.message */
	char field[128]; /* field path for 422 causes, e.g. "spec.expirationSeconds" */
	size_t offset;   /* byte offset for parse errors, when meaningful */
};

/* A short, stable name for an error value ("MAPI_ENOTFOUND"); never NULL. */
const char *mapi_err_name(enum mapi_err err);

/*
 * printf-style write into diag->msg; accepts diag == NULL (no-op).
 */
void mapi_diag_set(struct mapi_diag *diag, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
