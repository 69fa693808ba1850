/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * faults: fault-injection rules, checked for every request before routing
 * (DESIGN.md §1), set through POST/DELETE /mock/v1/faults or a scenario.
 *
 * A rule is JSON (the one schema; unknown members are rejected):
 *
 *   {
 *     "match": {                       all optional; all given must hold
 *       "method": "GET",               exact, upper case; "*" = any
 *       "path": "/api/v1/namespaces/default/pods",
 *                                      path prefix on segment boundaries:
 *                                      "/api" matches "/api" and "/api/v1"
 *                                      but not "/apis"; "/" matches all
 *       "user": "system:serviceaccount:default:app",   exact
 *       "jti": "…",                    exact jti of the bearer token
 *       "expiresWithin": "30s"         the bearer token's exp is known and
 *                                      exp <= now + D (this includes
 *                                      tokens already past exp)
 *     },
 *     "action": {                      exactly one of status /
 *                                      tooManyRequests / reset, or none of
 *                                      them when delayMs is given
 *       "status": 503,                 400..599: a metav1.Status error
 *       "reason": "ServiceUnavailable",  optional; default from the code
 *       "message": "…",                optional; default names the rule
 *       "retryAfter": 5,               optional seconds (0..86400):
 *                                      Retry-After header and
 *                                      details.retryAfterSeconds
 *       "tooManyRequests": {"retryAfter": 2},
 *                                      API Priority & Fairness style 429:
 *                                      plain text body, not a Status;
 *                                      retryAfter defaults to 1
 *       "reset": true,                 drop the connection, no response
 *       "delayMs": 200                 0..600000; alone or before the
 *                                      other action
 *     },
 *     "times": 3,                      optional: fire for the next N
 *                                      matches, then never (0 / absent =
 *                                      unlimited); 1..1000000000
 *     "probability": 0.5               optional: fire on a match with
 *                                      probability p in (0, 1] (default 1),
 *                                      drawn from the seeded PRNG
 *   }
 *
 * Rules are tried in the order they were added; the first whose match holds
 * and whose probability draw succeeds fires (and uses one of its "times").
 * A rule whose times are used up stays listed (remaining 0) until deleted.
 *
 * Determinism: the PRNG is xoshiro256** seeded through splitmix64 from the
 * seed given to mapi_faults_new() (--seed); draws happen only for rules
 * with probability < 1 whose match held, so a run with --threads 1 replays
 * exactly.
 *
 * Ownership: rules are parsed into the set (the JSON is not kept); list
 *   results are fresh cJSON trees the caller frees with cJSON_Delete();
 *   actions are filled into caller storage.
 * Thread safety: all functions lock internally; matching and decrementing
 *   "times" happen under one lock, so N concurrent matches of a times=N
 *   rule fire exactly N times.
 * Errors: enum mapi_err; outputs are written only on MAPI_OK.
 * Limits: at most MAPI_FAULTS_MAX_RULES rules; strings as below.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"

struct cJSON;
struct mapi_faults;

#define MAPI_FAULTS_MAX_RULES 256

/* The body of an APF-style 429, byte for byte (reference §6). */
#define MAPI_FAULT_TOO_MANY_BODY "Too many requests, please try again later.\n"

/* What the caller knows about a request before routing. */
struct mapi_fault_request {
	const char *method; /* "GET", ... */
	const char *path;   /* without the query; a '?' ends it anyway */
	const char *user;   /* authenticated user name, or NULL */
	const char *jti;    /* bearer token's jti, or NULL */
	int64_t token_exp;  /* bearer token's exp (s since epoch), 0 unknown */
	int64_t now_ns;     /* mock time (mapi_clock_now_ns) */
};

enum mapi_fault_kind {
	MAPI_FAULT_DELAY_ONLY, /* sleep delay_ms, then handle normally */
	MAPI_FAULT_STATUS,     /* answer code with a metav1.Status body */
	MAPI_FAULT_TOO_MANY,   /* answer 429 with body/headers as given */
	MAPI_FAULT_RESET,      /* close the connection without answering */
};

struct mapi_fault_header {
	const char *name; /* static string */
	char value[48];
};

/*
 * A fired rule. For MAPI_FAULT_STATUS the caller builds the Status from
 * code/reason/message (and details.retryAfterSeconds when
 * retry_after_s >= 0) and adds `headers` (Retry-After). For
 * MAPI_FAULT_TOO_MANY the caller sends `body` verbatim with `headers`
 * (Retry-After, Content-Type, X-Content-Type-Options) and nothing else.
 */
struct mapi_fault_action {
	uint64_t rule_id;
	enum mapi_fault_kind kind;
	int64_t delay_ms;      /* >= 0; applied first, whatever the kind */
	int code;              /* STATUS / TOO_MANY: HTTP status */
	char reason[64];       /* STATUS: Status.reason */
	char message[512];     /* STATUS: Status.message */
	int64_t retry_after_s; /* seconds, or -1 when none */
	const char *body;      /* TOO_MANY: MAPI_FAULT_TOO_MANY_BODY */
	struct mapi_fault_header headers[3];
	size_t n_headers;
};

/* A new, empty rule set whose PRNG starts from seed. */
MAPI_NODISCARD enum mapi_err mapi_faults_new(uint64_t seed,
                                             struct mapi_faults **out_faults);

/* Accepts NULL. */
void mapi_faults_free(struct mapi_faults *faults);

/*
 * Parses one rule (schema above) and appends it, writing its id (1, 2, ...
 * never reused) to *out_id (may be NULL). MAPI_EINVAL with diag->msg naming
 * the member and diag->field its path (e.g. "action.status") for bad input;
 * MAPI_ETOOMANY when MAPI_FAULTS_MAX_RULES rules exist; MAPI_ENOMEM. The
 * set is unchanged on failure.
 */
MAPI_NODISCARD enum mapi_err mapi_faults_add_json(struct mapi_faults *faults,
                                                  const struct cJSON *rule,
                                                  uint64_t *out_id,
                                                  struct mapi_diag *diag);

/*
 * {"items":[{"id":N,"match":{...},"action":{...},"times":T,
 * "remaining":R,"probability":P,"hits":H}, ...]} in rule order; match and
 * action are normalised (defaults filled in); times/remaining are omitted
 * for unlimited rules. MAPI_ENOMEM.
 */
MAPI_NODISCARD enum mapi_err mapi_faults_list_json(struct mapi_faults *faults,
                                                   struct cJSON **out_json);

/* Removes rule id. MAPI_ENOTFOUND if there is none. */
MAPI_NODISCARD enum mapi_err mapi_faults_delete(struct mapi_faults *faults,
                                                uint64_t id);

/* Removes every rule (ids keep counting). */
void mapi_faults_clear(struct mapi_faults *faults);

/* Number of rules (used-up ones included). */
size_t mapi_faults_count(struct mapi_faults *faults);

/*
 * Checks req against the rules. Returns true and fills *out (consuming one
 * of the rule's times) when a rule fires; false, *out untouched, when none
 * does.
 */
bool mapi_faults_match(struct mapi_faults *faults,
                       const struct mapi_fault_request *req,
                       struct mapi_fault_action *out);

/*
 * A short description for the request journal, e.g. "rule 3: status 503",
 * "rule 1: 429", "rule 2: reset", "rule 4: delay 200ms". Always
 * NUL-terminates when len > 0.
 */
void mapi_fault_action_describe(const struct mapi_fault_action *action,
                                char *buf, size_t len);
