/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * fileio: bounded whole-file reads and crash-safe whole-file writes, for
 * the files mockapi keeps in its state dir (keys, certificates).
 *
 * An atomic write puts the bytes in a fresh temporary file in the same
 * directory (created with the final mode, never wider), fsyncs it, renames
 * it over the target and fsyncs the directory, so a reader or a crash sees
 * either the old file or the whole new one, never a torn one, and no
 * temporary file is left behind on any failure path.
 *
 * Ownership: mapi_file_read() returns a malloc'd buffer the caller frees
 *   (after clearing it, when it may hold a secret).
 * Thread safety: no shared state; safe from any thread.
 * Errors: MAPI_ENOTFOUND (no such file), MAPI_ETOOLARGE (over max_len),
 *   MAPI_EIO (anything else the OS refused), MAPI_ENOMEM, MAPI_EINVAL
 *   (bad arguments). Outputs are written only on MAPI_OK.
 */

#include <stddef.h>
#include <sys/types.h>

#include "errors.h"

/*
 * Reads all of `path` (at most max_len bytes) into a fresh buffer with a NUL
 * appended (not counted in *out_len). A file longer than max_len is
 * MAPI_ETOOLARGE; an error text naming the path goes to diag (may be NULL).
 */
MAPI_NODISCARD enum mapi_err mapi_file_read(const char *path, size_t max_len,
                                            char **out_buf, size_t *out_len,
                                            struct mapi_diag *diag);

/*
 * Atomically replaces `path` with `len` bytes of `data`, with permission
 * bits `mode` (e.g. 0600 for keys, 0644 for certificates). The directory
 * must exist. On failure the old file (if any) is untouched and no
 * temporary file remains. diag (may be NULL) names the failing step.
 */
MAPI_NODISCARD enum mapi_err mapi_file_write_atomic(const char *path,
                                                    const void *data,
                                                    size_t len, mode_t mode,
                                                    struct mapi_diag *diag);
