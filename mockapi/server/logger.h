/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * logger: the `--log-format` line sink. Request threads hand it finished
 * lines; one writer thread of its own writes them to a file descriptor
 * (stderr), many lines per write(2), so no request thread ever makes a
 * syscall for a log line or waits for one that does.
 *
 * Order: every line carries an `order` number; the lines come out in order
 * 1, 2, 3, ... whatever order the appends arrive in. A line that arrives
 * before its predecessors is parked (copied) until they are in, so an
 * append never waits for another thread's formatting. The numbers come
 * from the events subscriber (sim/events.h), which hands them out in seq
 * order; every number must be appended exactly once.
 *
 * Batching and latency: while lines keep coming the writer ticks: it
 * sleeps `linger_ns` of REAL time (CLOCK_MONOTONIC), then writes all that
 * was buffered with one write(2) (repeated only for short writes and
 * EINTR; a non-blocking descriptor is polled). After a tick that found
 * nothing it waits untimed, and the next line wakes it (the only time an
 * appender makes a syscall, after dropping the lock). So an idle server's
 * line is on the fd about linger_ns after it was appended, and a busy
 * server writes one batch per linger_ns. Half a buffer full, a waiting
 * appender or mapi_logger_stop() cut the linger short (noticed within
 * 10 ms).
 *
 * Back-pressure: at most `max_bytes` are buffered waiting for the writer
 * (plus as much again in the batch being written and at most max_bytes of
 * parked lines). An append that does not fit waits until the writer has
 * written; lines are never dropped because the fd is slow. They are
 * dropped only when write(2) fails for good (EPIPE, EBADF, ...), as
 * fprintf(stderr) would; the counters say how many bytes.
 *
 * Ownership: lines are copied; the fd is borrowed (never closed) and must
 *   stay open until mapi_logger_stop() returns.
 * Thread safety: mapi_logger_append() from any number of threads;
 *   mapi_logger_stop() once, after every append has returned.
 * Locking: appends hold the logger's mutex only to copy bytes. No syscall
 *   runs with it held, except on the full paths: waiting for space or a
 *   turn, and waking the appenders that wait so.
 * Errors: enum mapi_err from start; append cannot fail.
 */

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

struct mapi_logger;

/* Defaults for mapi_logger_start(). */
#define MAPI_LOGGER_DEFAULT_MAX_BYTES ((size_t)1024 * 1024)
#define MAPI_LOGGER_DEFAULT_LINGER_NS ((int64_t)1000 * 1000) /* 1 ms */
#define MAPI_LOGGER_MIN_MAX_BYTES     ((size_t)4096)

/*
 * Starts the writer thread for `fd`. max_bytes is the buffer bound (0 means
 * MAPI_LOGGER_DEFAULT_MAX_BYTES; at least MAPI_LOGGER_MIN_MAX_BYTES);
 * linger_ns how long the writer gathers lines before a write (< 0 means
 * MAPI_LOGGER_DEFAULT_LINGER_NS, 0 writes as soon as it wakes). The first
 * line appended must have order 1. MAPI_EINVAL for fd < 0 or a too small
 * max_bytes; MAPI_ENOMEM; MAPI_EINTERNAL if the thread or a lock cannot be
 * made. *out_lg is unchanged on failure.
 */
MAPI_NODISCARD enum mapi_err mapi_logger_start(int fd, size_t max_bytes,
                                               int64_t linger_ns,
                                               struct mapi_logger **out_lg);

/*
 * Queues `len` bytes (normally one line with its '\n') as number `order`.
 * Bytes beyond max_bytes are cut off. Returns once the bytes are copied;
 * it waits only when the buffer is full (back-pressure) or, when no memory
 * is left to park an early line, until its predecessors are in.
 */
void mapi_logger_append(struct mapi_logger *lg, uint64_t order,
                        const char *data, size_t len);

/* Counters since start (for tests and the curious). */
struct mapi_logger_stats {
	uint64_t lines;         /* lines that entered the write buffer */
	uint64_t writes;        /* batches handed to write(2) */
	uint64_t bytes;         /* bytes written */
	uint64_t dropped_bytes; /* bytes lost to write(2) errors */
	uint64_t parked;        /* lines that arrived before their turn */
	uint64_t full_waits;    /* times an append waited for space */
};

/* A consistent snapshot of the counters. */
void mapi_logger_get_stats(struct mapi_logger *lg,
                           struct mapi_logger_stats *out_stats);

/*
 * Writes everything still queued, joins the writer and frees the logger.
 * The final counters go to *out_stats when it is not NULL. Accepts NULL.
 */
void mapi_logger_stop(struct mapi_logger *lg,
                      struct mapi_logger_stats *out_stats);
