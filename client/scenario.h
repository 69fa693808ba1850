/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * scenario: the `saclient scenario retrieval|refresh|expiry|all` runs
 * against a live mockapi (not installed; part of libsaclient so the
 * integration tests drive it in process). Each scenario sets up what it
 * needs through mockapi's admin API (/mock/v1, README "Harness controls")
 * with the admin identity of a kubeconfig, makes ordinary API calls as a
 * ServiceAccount with one of the refresh strategies, moves the MOCK clock
 * and reports every step as a timeline entry:
 *
 *   retrieval  read the in-cluster token the kubelet keeps in
 *              serviceaccount_dir, inspect it, list pods (403 until the
 *              scenario binds ClusterRole view to the ServiceAccount with
 *              the admin identity: the timeline says so), SelfSubjectReview
 *              and a TokenReview of the token (made by the admin identity,
 *              which may create tokenreviews).
 *   refresh    a projected volume of its own (POST /mock/v1/volumes,
 *              expirationSeconds = expiration_s, refreshed by the kubelet
 *              at 80 %) read with the reread strategy while the clock is
 *              advanced in steps: at least 3 rotations seen, no failed
 *              call.
 *   expiry     the same kind of volume read by read-once, reread and a
 *              TokenRequest source (request: the scenario grants the
 *              ServiceAccount create on its own serviceaccounts/token):
 *              read-once must fail with 401 after its token expired (the
 *              EXPECTED failure; a failure of any other kind or before the
 *              expiry is not), reread and request must have no failed
 *              call. reread's period is 2 x expiration_s, so it recovers
 *              through the 401 -> re-read -> retry path; request through
 *              its refresh at 80 %.
 *
 * Time: every time read by the scenario's clients and token sources is the
 *   mock clock (struct sac_mock_clock: GET /mock/v1/clock, extrapolated
 *   with its rate while it runs). A scenario freezes the mock clock for its
 *   run, moves it only with POST /mock/v1/clock/advance (a client's retry
 *   sleep advances it too), and restores frozen/rate at the end.
 * Clean up: the RoleBindings/Roles the scenario created, its volumes and
 *   their directories are removed at the end, on success or failure.
 * Ownership: options are borrowed for the call; timeline entries' strings
 *   are valid during the callback only.
 * Thread safety: one scenario at a time per mockapi (they share its clock).
 * Errors: enum sac_err for what stops a scenario from running at all (the
 *   admin API unreachable or refused, a bad serviceaccount_dir, ...), with
 *   diag. A scenario whose expectations are not met is SAC_OK with
 *   out->passed false and out->why saying the first broken expectation.
 * Secrets: tokens are never put in an entry: a jti prefix at most.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "saclient.h"

struct sac_client;

/* ---- The mock clock as a struct sac_clock -------------------------- */

/*
 * A clock following mockapi's clock through an admin client: now_ms is
 * the mock time of the last sync plus the real time since, times the
 * rate (0 while frozen); sleep_ms advances a frozen mock clock by ms
 * (POST /mock/v1/clock/advance) and sleeps ms / rate of real time on a
 * running one. The first error of a sleep is kept (sac_mock_clock_error).
 */
struct sac_mock_clock;

/*
 * Syncs once (GET /mock/v1/clock) through admin, which is borrowed and
 * must outlive the clock. Errors of the GET (SAC_EFORBIDDEN for a
 * non-admin identity, SAC_ENOTFOUND for a server without /mock/v1, ...).
 */
SAC_NODISCARD enum sac_err sac_mock_clock_new(struct sac_client *admin,
                                              struct sac_mock_clock **out,
                                              struct sac_diag *diag);

/* Accepts NULL. */
void sac_mock_clock_free(struct sac_mock_clock *m);

/* The struct sac_clock view (borrowed; valid until _free). */
const struct sac_clock *sac_mock_clock_get(const struct sac_mock_clock *m);

/* GET /mock/v1/clock again; on error the last sync stays. */
SAC_NODISCARD enum sac_err sac_mock_clock_sync(struct sac_mock_clock *m,
                                               struct sac_diag *diag);

/* PUT /mock/v1/clock {"frozen":frozen} (and "rate" when rate > 0). */
SAC_NODISCARD enum sac_err sac_mock_clock_set(struct sac_mock_clock *m,
                                              bool frozen, double rate,
                                              struct sac_diag *diag);

/* POST /mock/v1/clock/advance by ms (rounded to ms), then syncs. */
SAC_NODISCARD enum sac_err sac_mock_clock_advance(struct sac_mock_clock *m,
                                                  int64_t ms,
                                                  struct sac_diag *diag);

/* Whether the mock clock was frozen, and its rate, at the last sync. */
bool sac_mock_clock_frozen(const struct sac_mock_clock *m);
double sac_mock_clock_rate(const struct sac_mock_clock *m);

/* The first error a sleep met since _new (SAC_OK if none). */
enum sac_err sac_mock_clock_error(const struct sac_mock_clock *m);

/* ---- Scenarios ----------------------------------------------------- */

enum sac_timeline_kind {
	SAC_TL_STEP,     /* what the scenario does next */
	SAC_TL_INFO,     /* an observation */
	SAC_TL_OK,       /* a call that was expected to succeed did */
	SAC_TL_EXPECTED, /* a call that was expected to fail did */
	SAC_TL_FAIL,     /* an expectation was not met */
	SAC_TL_PASS,     /* the scenario's verdict: passed */
	SAC_TL_FAILED,   /* the scenario's verdict: failed */
};

/* One line of the timeline. */
struct sac_timeline_entry {
	int64_t mock_ms;    /* mock time of the entry */
	int64_t elapsed_ms; /* mock time since the scenario started */
	enum sac_timeline_kind kind;
	const char *scenario; /* "retrieval", "refresh", "expiry" */
	const char *actor;    /* "admin", "read-once", "reread", ... */
	const char *text;     /* one line, no newline */
};

typedef void sac_timeline_fn(const struct sac_timeline_entry *e, void *payload);

/* "STEP", "INFO", "OK", "EXPECTED", "FAIL", "PASS", "FAILED". */
const char *sac_timeline_kind_name(enum sac_timeline_kind k);

struct sac_scenario_options {
	/* The admin kubeconfig's configuration (server, CA, admin token). */
	const struct sac_config *admin;
	/* The in-cluster directory the kubelet emulation keeps fresh. */
	const char *serviceaccount_dir;
	/* Where scenario volumes are made (NULL: $TMPDIR, else /tmp). */
	const char *work_dir;
	int64_t step_ms;      /* mock time between calls (0: 30 s) */
	int64_t expiration_s; /* volumes / TokenRequests (0: 600; not 3607) */
	sac_timeline_fn *on_entry; /* NULL: entries are dropped */
	void *payload;
};

/* What a scenario (or "all": the sum) did. */
struct sac_scenario_result {
	bool passed;
	char why[512];              /* the first broken expectation, or "" */
	unsigned calls;             /* user-visible API calls made */
	unsigned failed_calls;      /* ... that failed, expected or not */
	unsigned expected_failures; /* ... of which were expected */
	unsigned rotations;         /* token changes a client saw */
	unsigned recovered_401s;    /* 401s retried away inside a call */
};

/* "retrieval", "refresh", "expiry", "all"; SAC_EINVAL otherwise. */
SAC_NODISCARD enum sac_err sac_scenario_check_name(const char *name);

/*
 * Runs scenario name (or all three in order; "all" stops at the first
 * that cannot run, not at one that fails). *out is written on SAC_OK.
 * SAC_EINVAL for a bad name or options (no admin, no directory,
 * expiration_s 3607, which the server would extend to a year).
 */
SAC_NODISCARD enum sac_err
sac_scenario_run(const char *name, const struct sac_scenario_options *opts,
                 struct sac_scenario_result *out, struct sac_diag *diag);
