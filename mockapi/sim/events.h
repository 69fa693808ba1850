/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * events: two bounded ring buffers, the token lifecycle events and the
 * request journal, behind GET /mock/v1/events and /mock/v1/requests, the
 * page's timeline and `--log-format text|json`.
 *
 * Sequence numbers: each ring numbers its entries 1, 2, 3, ... and never
 * reuses a number, not even after mapi_events_clear(). A reader pages with
 * "since": it asks for entries with seq > since and passes the "next" it got
 * back as the following "since". When the ring overwrote (or a clear
 * removed) entries the reader had not seen, "dropped" says how many.
 *
 * Tokens are never stored whole: an event takes the presented or issued
 * token as `token` and keeps only its first MAPI_EVENT_TOKEN_PREFIX_MAX
 * characters; no stored field is large enough to hold a JWT. Every other
 * string is copied and silently truncated to its field's bound.
 *
 * Ownership: inputs are copied; nothing returned aliases the rings. JSON
 *   results are fresh cJSON trees the caller frees with cJSON_Delete().
 * Thread safety: every function locks internally and is safe from any
 *   thread; adds are O(1). The subscriber (mapi_events_set_subscriber) is
 *   called after the entry is in the ring, by the adding thread, with NO
 *   lock held: calls from different threads run at the same time and may
 *   finish in any order. Each call carries an `order` number instead:
 *   1, 2, 3, ... with no gaps or repeats from the moment the subscriber was
 *   set, taken under the same lock as the entry's seq, so sorting the
 *   calls by order gives seq order in each ring and the real interleaving
 *   of the two (server/logger.h does that sorting for --log-format). It
 *   may call mapi_events_since*() but must not add entries or change the
 *   subscriber.
 * Errors: enum mapi_err; outputs are written only on MAPI_OK.
 * Limits: capacities are fixed at creation, 1..MAPI_EVENTS_MAX_CAPACITY.
 * Time: entries are stamped with the mock clock given at creation
 *   (mapi_clock_now_ns); mapi_events_wait() bounds its sleep in REAL time.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"

struct cJSON;
struct mapi_clock;
struct mapi_events;

#define MAPI_EVENTS_DEFAULT_CAPACITY 4096
#define MAPI_EVENTS_MAX_CAPACITY     ((size_t)1024 * 1024)

/* Field bounds, including the terminating NUL. */
#define MAPI_EVENT_TOKEN_PREFIX_MAX 8 /* characters kept of a token */
#define MAPI_EVENT_JTI_SIZE         64
#define MAPI_EVENT_SUB_SIZE         256
#define MAPI_EVENT_AUD_SIZE         128
#define MAPI_EVENT_MAX_AUDIENCES    4
#define MAPI_EVENT_POD_SIZE         256
#define MAPI_EVENT_KID_SIZE         64
#define MAPI_EVENT_REASON_SIZE      256
#define MAPI_EVENT_PATH_SIZE        256
#define MAPI_REQUEST_METHOD_SIZE    16
#define MAPI_REQUEST_PATH_SIZE      512
#define MAPI_REQUEST_USER_SIZE      256
#define MAPI_REQUEST_FAULT_SIZE     64

/* What happened to a token. JSON names in parentheses. */
enum mapi_event_type {
	MAPI_EVENT_ISSUED,      /* "issued": TokenRequest answered */
	MAPI_EVENT_ROTATED,     /* "rotatedByKubelet": volume refreshed */
	MAPI_EVENT_REVIEWED,    /* "reviewed": accepted (TokenReview/authn) */
	MAPI_EVENT_REJECTED,    /* "rejected": refused; reason says why */
	MAPI_EVENT_KEY_ROTATED, /* "keyRotated": new signing key, kid */
	MAPI_EVENT_EXPIRED_PRESENTED, /* "expiredTokenPresented" */
	MAPI_EVENT_VOLUME_WRITTEN, /* "volumeWritten": projected volume swap */
	MAPI_EVENT_TYPE_COUNT_     /* not a type: the number of types */
};

/*
 * What a caller passes to mapi_events_add(). Every pointer may be NULL
 * (field left empty); numbers are 0 when unknown. iat/exp/warnafter are
 * JWT NumericDate seconds.
 */
struct mapi_event_input {
	enum mapi_event_type type;
	const char *jti;
	const char *token; /* only the first 8 characters are kept */
	const char *sub;
	const char *const *audiences; /* n_audiences strings */
	size_t n_audiences; /* at most MAPI_EVENT_MAX_AUDIENCES are kept */
	int64_t iat;
	int64_t exp;
	int64_t warnafter;
	const char *pod; /* bound pod, "namespace/name" */
	const char *kid;
	const char *reason; /* rejection reason or free detail text */
	const char *volume; /* projected volume directory */
};

/* A stored event (fixed-size copies). Empty string = not set. */
struct mapi_event {
	uint64_t seq;
	int64_t time_ns; /* mock time when added */
	enum mapi_event_type type;
	char jti[MAPI_EVENT_JTI_SIZE];
	char token_prefix[MAPI_EVENT_TOKEN_PREFIX_MAX + 1];
	char sub[MAPI_EVENT_SUB_SIZE];
	char audiences[MAPI_EVENT_MAX_AUDIENCES][MAPI_EVENT_AUD_SIZE];
	size_t n_audiences;
	int64_t iat;
	int64_t exp;
	int64_t warnafter;
	char pod[MAPI_EVENT_POD_SIZE];
	char kid[MAPI_EVENT_KID_SIZE];
	char reason[MAPI_EVENT_REASON_SIZE];
	char volume[MAPI_EVENT_PATH_SIZE];
};

/* What a caller passes to mapi_events_add_request(). NULL = empty. */
struct mapi_request_input {
	const char *method;
	const char *path; /* anything from the first '?' on is dropped */
	const char *user; /* authenticated user name, if any */
	int code;         /* HTTP status sent (0 = connection dropped) */
	const char *jti;  /* jti of the bearer token, if it was one */
	int64_t duration_us;
	const char *fault; /* short description of an applied fault rule */
};

/* A stored journal entry. */
struct mapi_request_entry {
	uint64_t seq;
	int64_t time_ns;
	char method[MAPI_REQUEST_METHOD_SIZE];
	char path[MAPI_REQUEST_PATH_SIZE];
	char user[MAPI_REQUEST_USER_SIZE];
	int code;
	char jti[MAPI_EVENT_JTI_SIZE];
	int64_t duration_us;
	char fault[MAPI_REQUEST_FAULT_SIZE];
};

enum mapi_log_format {
	MAPI_LOG_TEXT, /* key=value words, one line */
	MAPI_LOG_JSON, /* one JSON object, one line (the /mock/v1 item shape) */
};

/*
 * Called once per added entry; exactly one of ev / req is non-NULL (both
 * are the adder's copies, valid during the call). `order` is the call's
 * place in the combined seq order (see the module comment).
 */
typedef void mapi_events_subscriber_fn(const struct mapi_event *ev,
                                       const struct mapi_request_entry *req,
                                       uint64_t order, void *payload);

/*
 * Creates both rings, capacity_events and capacity_requests entries each
 * (0 means MAPI_EVENTS_DEFAULT_CAPACITY). The clock is borrowed and must
 * outlive the rings. MAPI_EINVAL for a capacity over the maximum or a NULL
 * clock; MAPI_ENOMEM; MAPI_EINTERNAL if a lock cannot be made.
 */
MAPI_NODISCARD enum mapi_err mapi_events_new(size_t capacity_events,
                                             size_t capacity_requests,
                                             const struct mapi_clock *clock,
                                             struct mapi_events **out_ev);

/* Accepts NULL. No thread may be waiting in mapi_events_wait*(). */
void mapi_events_free(struct mapi_events *ev);

/*
 * Appends an event stamped with mock "now" and returns its seq (> 0). When
 * the ring is full the oldest event is overwritten. Cannot fail.
 */
uint64_t mapi_events_add(struct mapi_events *ev,
                         const struct mapi_event_input *in);

/* The same for the request journal. */
uint64_t mapi_events_add_request(struct mapi_events *ev,
                                 const struct mapi_request_input *in);

/*
 * Events with seq > since, oldest first, at most max (0 = no limit beyond
 * the ring), as {"events":[...],"next":N,"dropped":K}: next is the seq of
 * the last item returned (or `since` when none was), dropped the number of
 * events after `since` that are no longer in the ring. Item members:
 * seq, time (RFC 3339, µs), type, then the non-empty ones of jti,
 * tokenPrefix, sub, audiences[], iat, exp, warnafter, pod, kid, reason,
 * volume. MAPI_ENOMEM; *out_json unchanged on failure.
 */
MAPI_NODISCARD enum mapi_err mapi_events_since(struct mapi_events *ev,
                                               uint64_t since, size_t max,
                                               struct cJSON **out_json);

/*
 * The same for the journal: {"requests":[...],"next":N,"dropped":K}; item
 * members seq, time, method, path, user, code, jti, durationUs, fault
 * (empty strings omitted).
 */
MAPI_NODISCARD enum mapi_err
mapi_events_requests_since(struct mapi_events *ev, uint64_t since, size_t max,
                           struct cJSON **out_json);

/* The seq of the newest event / journal entry ever added (0 = none yet). */
uint64_t mapi_events_last_seq(struct mapi_events *ev);
uint64_t mapi_events_requests_last_seq(struct mapi_events *ev);

/*
 * Blocks until an event with seq > since exists, mapi_events_shutdown() is
 * called, or timeout_ns of REAL time (CLOCK_MONOTONIC) pass; timeout_ns <=
 * 0 does not block. Returns true if such an event exists on return.
 */
bool mapi_events_wait(struct mapi_events *ev, uint64_t since,
                      int64_t timeout_ns);

/* The same for the request journal. */
bool mapi_events_requests_wait(struct mapi_events *ev, uint64_t since,
                               int64_t timeout_ns);

/*
 * Wakes every waiter and makes later waits return at once (server stop).
 */
void mapi_events_shutdown(struct mapi_events *ev);

/*
 * Empties both rings. Sequence numbers continue; a reader that had not
 * seen the cleared entries gets them counted in "dropped".
 */
void mapi_events_clear(struct mapi_events *ev);

/*
 * Sets (fn != NULL) or removes (fn == NULL) the one subscriber, called for
 * every entry added afterwards (see the module comment for its rules);
 * order numbers start again at 1. Returns once no call of the previous
 * subscriber is running any more (it polls for that), so its payload may
 * then be freed. Must not be called from a subscriber.
 */
void mapi_events_set_subscriber(struct mapi_events *ev,
                                mapi_events_subscriber_fn *fn, void *payload);

/* "issued", "rotatedByKubelet", ...; "unknown" for an out-of-range value. */
const char *mapi_event_type_name(enum mapi_event_type type);

/*
 * Formats one event as a single line without a trailing newline into buf
 * (len bytes; always NUL-terminated when len > 0, truncated if too small).
 * TEXT: "<time> event=<type> seq=<n> jti=<..> token=<prefix>... sub=<..>
 * ..." with only the set fields, values containing spaces or quotes
 * quoted; JSON: the same object mapi_events_since() returns as an item.
 * Returns the length the full line needs (like snprintf), 0 if even that
 * could not be computed (allocation failure).
 */
size_t mapi_events_format_line(const struct mapi_event *ev,
                               enum mapi_log_format fmt, char *buf, size_t len);

/* The same for a journal entry. */
size_t mapi_events_format_request_line(const struct mapi_request_entry *req,
                                       enum mapi_log_format fmt, char *buf,
                                       size_t len);
