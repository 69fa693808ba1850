/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * clock: the one source of "now" for mockapi.
 *
 * Every module that needs the time takes a struct mapi_clock and never calls
 * time() or clock_gettime() itself. A clock maps the real time (from a
 * source, by default CLOCK_REALTIME) to mock time:
 *
 *     mock(real) = anchor_mock + (real - anchor_real) * rate     (running)
 *     mock(real) = anchor_mock                                   (frozen)
 *
 * "system" is rate 1 with anchor_mock == anchor_real; "offset D" is rate 1
 * shifted by D; "rate N" runs N times faster from the moment it is set;
 * "frozen T" stands still at T until advanced or set. Advance and set move
 * the anchor, so they compose with any mode.
 *
 * Units: nanoseconds since the Unix epoch (int64_t; good until 2262) for the
 * _ns functions, whole seconds for mapi_clock_now(). Rates are given in
 * thousandths (rate_milli 1000 = real speed) so they stay exact integers.
 *
 * Ownership: mapi_clock_new*() returns a clock the caller frees with
 *   mapi_clock_free(). The source callback's payload is borrowed.
 * Thread safety: reads (now, info) are lock-free (a seqlock over atomics)
 *   and safe from any thread; writers (set, advance, freeze, resume,
 *   set_rate) serialise on an internal mutex and may be called from any
 *   thread.
 * Errors: enum mapi_err; outputs are written only on MAPI_OK.
 */

#include <stdbool.h>
#include <stdint.h>

#include "errors.h"

#define MAPI_NS_PER_SEC INT64_C(1000000000)

struct mapi_clock;

/* Returns the real time in ns since the epoch. Must be thread-safe. */
typedef int64_t mapi_clock_source_fn(void *payload);

/* A snapshot of a clock's state, for the admin API. */
struct mapi_clock_info {
	int64_t now_ns;     /* mock time at the moment of the snapshot */
	bool frozen;        /* true when mock time stands still */
	int64_t rate_milli; /* speed in thousandths of real time (1000 = x1) */
	int64_t offset_ns;  /* mock - real at the snapshot */
};

/* A clock following CLOCK_REALTIME: rate x1, no offset, running. */
MAPI_NODISCARD enum mapi_err mapi_clock_new_system(struct mapi_clock **out_clock);

/*
 * A clock over a caller-provided real-time source (tests use a fake one).
 * It starts at the source's time, rate x1, running.
 */
MAPI_NODISCARD enum mapi_err
mapi_clock_new_with_source(mapi_clock_source_fn *source, void *payload,
                           struct mapi_clock **out_clock);

/* Accepts NULL. */
void mapi_clock_free(struct mapi_clock *clock);

/* Mock time now, in ns since the epoch / in whole seconds (floor). */
int64_t mapi_clock_now_ns(const struct mapi_clock *clock);
int64_t mapi_clock_now(const struct mapi_clock *clock);

/* The real time from the clock's source (not the mock time). */
int64_t mapi_clock_real_ns(const struct mapi_clock *clock);

/* A consistent snapshot of the clock's state. */
void mapi_clock_info(const struct mapi_clock *clock,
                     struct mapi_clock_info *out_info);

/*
 * Sets mock time to t_ns, keeping the mode (frozen stays frozen at t_ns,
 * running continues from t_ns at the current rate).
 */
void mapi_clock_set_ns(struct mapi_clock *clock, int64_t t_ns);

/*
 * Moves mock time forward by d_ns (>= 0). MAPI_EINVAL for a negative
 * amount or one that would overflow; the clock is then unchanged.
 */
MAPI_NODISCARD enum mapi_err mapi_clock_advance_ns(struct mapi_clock *clock,
                                                   int64_t d_ns);

/* Stops mock time where it is now / lets it run again from there. */
void mapi_clock_freeze(struct mapi_clock *clock);
void mapi_clock_resume(struct mapi_clock *clock);

/*
 * Changes the speed, continuing from the current mock time. rate_milli must
 * be in [1, 1000000000] (x0.001 .. x1000000); else MAPI_EINVAL, unchanged.
 */
MAPI_NODISCARD enum mapi_err mapi_clock_set_rate(struct mapi_clock *clock,
                                                 int64_t rate_milli);

/*
 * Parses a --clock specification: "now", "frozen:RFC3339" or
 * "offset:DURATION" (DURATION as mapi_duration_parse, optionally signed),
 * and applies it to the clock. MAPI_EINVAL with a message in diag if the
 * text is not one of those; the clock is then unchanged.
 */
MAPI_NODISCARD enum mapi_err mapi_clock_apply_spec(struct mapi_clock *clock,
                                                   const char *spec,
                                                   struct mapi_diag *diag);

/*
 * Parses a kubectl-style duration ("90s", "10m", "2h", "1h30m", "1.5h",
 * "500ms", "0") into ns. Go's time.ParseDuration grammar: an optional sign,
 * then one or more <number><unit> with units ns us ms s m h (and "d" as an
 * extension: 24h). MAPI_EINVAL on anything else or on overflow; *out_ns is
 * then unchanged.
 */
MAPI_NODISCARD enum mapi_err mapi_duration_parse(const char *text,
                                                 int64_t *out_ns);

/*
 * Formats t (seconds since the epoch, UTC) as RFC 3339 with second
 * precision, "2006-01-02T15:04:05Z", into buf (at least 21 bytes).
 * Returns false if buf is too small or t is out of range.
 */
bool mapi_time_format_rfc3339(int64_t t, char *buf, size_t len);

/*
 * Parses RFC 3339 ("2006-01-02T15:04:05Z", optional fraction, "Z" or
 * "+hh:mm"/"-hh:mm") into ns since the epoch. MAPI_EINVAL on bad input
 * and on times int64 ns cannot hold (before 1677-09-21T00:12:44Z or after
 * 2262-04-11T23:47:16.854775807Z); *out_ns unchanged.
 */
MAPI_NODISCARD enum mapi_err mapi_time_parse_rfc3339(const char *text,
                                                     int64_t *out_ns);
