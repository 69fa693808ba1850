/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * harness: the simulation side of the server — timers on the mock clock
 * (kubelet token refreshes, grace-period deletions, the end of a signing
 * key's overlap), the kubelet emulation (sim/kubelet volumes whose tokens
 * come from auth/tokens through the TokenRequest semantics), signing-key
 * rotation, the fault rules and the event rings. The /mock/v1 handlers
 * (api/admin.c) drive it; server.c owns it.
 *
 * Timers: every timer that falls due runs, in time order, before
 * mapi_harness_advance() returns (the clock is stepped to each due
 * instant, so a token issued by a refresh has that instant as iat); a
 * background thread runs due timers every tick_ms of REAL time for
 * running (or sped-up) clocks. All timer work is serialised on one mutex.
 * An advance handles at most MAPI_HARNESS_MAX_STEPS due instants and then
 * jumps to its target (running what is due there once).
 *
 * Kubelet tokens: for each volume, a TokenRequest for the pod's
 * ServiceAccount bound to the pod (mapi_tokens_bind + mapi_tokens_issue;
 * default expirationSeconds 3607, so with extension on the JWT lives a
 * year and warnafter = iat + 3607), written with sim/kubelet's atomic
 * writer and refreshed by its 80 % / 24 h rule with NO jitter (so the
 * refresh instant is exact on the mock clock).
 *
 * Keys: rotation makes a new key of the configured type, saves it as the
 * active key file and keeps the previous one as
 * <state>/sa-retired-<kid>.key (verify only, listed in the JWKS) until
 * dropped (drop_old, or key_overlap_ns of mock time after the rotation;
 * retired files found at start count as retired at start).
 *
 * Ownership: borrowed pointers in the config must outlive the harness;
 *   strings are copied. JSON results are fresh (cJSON_Delete).
 * Threads: every function is safe from any thread.
 * Errors: enum mapi_err with a one-line diag; outputs only on MAPI_OK.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/keys.h"
#include "errors.h"

struct cJSON;
struct mapi_clock;
struct mapi_events;
struct mapi_faults;
struct mapi_harness;
struct mapi_store;
struct mapi_tokens;

#define MAPI_HARNESS_MAX_STEPS 10000

/* Reloads the cluster (fixtures, root CA) and re-seeds generators. */
typedef enum mapi_err mapi_harness_reload_fn(void *payload,
                                             struct mapi_diag *diag);

struct mapi_harness_config {
	struct mapi_clock *clock;         /* borrowed */
	struct mapi_store *store;         /* borrowed */
	struct mapi_keyset *keyset;       /* borrowed */
	const struct mapi_tokens *tokens; /* borrowed */
	const char *state_dir;            /* absolute */
	const char *active_key_file;      /* "sa.key" or "sa-es256.key" */
	enum mapi_key_type key_type;      /* of keys made by rotation */
	int64_t key_overlap_ns;           /* 0 = until dropped */
	uint64_t seed;                    /* kubelet suffixes, fault draws */
	bool seeded;                      /* false: from getrandom() */
	const char *clock_spec;           /* --clock, restored by reset */
	int64_t clock_rate_milli;         /* --clock-rate, restored by reset */
	const char *ca_pem;               /* ca.crt of volumes; may be NULL */
	/* The default volume (--serviceaccount-dir); dir NULL = none. */
	const char *default_dir;
	const char *default_pod; /* "ns/name" */
	bool default_required;   /* false: a missing pod is no error */
	int tick_ms;             /* ticker period; 0 = 200; < 0 = no thread */
	mapi_harness_reload_fn *reload; /* for reset; may be NULL */
	void *reload_payload;
};

/*
 * Makes the event rings, fault set and kubelet, loads retired keys from
 * the state dir, adds (and writes) the default volume and starts the
 * ticker. MAPI_ENOTFOUND when a required default pod does not exist.
 */
MAPI_NODISCARD enum mapi_err
mapi_harness_new(const struct mapi_harness_config *cfg,
                 struct mapi_harness **out, struct mapi_diag *diag);

/* Stops the ticker, wakes event waiters, frees. Accepts NULL. */
void mapi_harness_free(struct mapi_harness *h);

/* Wakes every long-poll waiter (server stop, before http stops). */
void mapi_harness_shutdown(struct mapi_harness *h);

/* The event rings and the fault rules (borrowed). */
struct mapi_events *mapi_harness_events(const struct mapi_harness *h);
struct mapi_faults *mapi_harness_faults(const struct mapi_harness *h);

/* Runs every timer due at the mock time now. */
void mapi_harness_run_due(struct mapi_harness *h);

/*
 * Moves the mock clock forward by d_ns (>= 0), running due timers in
 * order (module comment). MAPI_EINVAL for a negative or overflowing d.
 */
MAPI_NODISCARD enum mapi_err mapi_harness_advance(struct mapi_harness *h,
                                                  int64_t d_ns);

/*
 * Starts a projected token volume in dir for pod "ns/name" (its
 * ServiceAccount is read from the pod); audience NULL = the API
 * audiences; expiration_seconds 0 = 3607. The token is written before
 * this returns. MAPI_EINVAL (bad pod text, relative dir, es < 0),
 * MAPI_ENOTFOUND (`pods "x" not found`), MAPI_EEXIST (dir in use),
 * MAPI_ETOOMANY, or the first write's error (the volume is then removed).
 */
MAPI_NODISCARD enum mapi_err
mapi_harness_add_volume(struct mapi_harness *h, const char *dir,
                        const char *pod, const char *audience,
                        int64_t expiration_seconds, uint64_t *out_id,
                        struct mapi_diag *diag);

/* Stops managing volume id (files stay). MAPI_ENOTFOUND. */
MAPI_NODISCARD enum mapi_err mapi_harness_remove_volume(struct mapi_harness *h,
                                                        uint64_t id);

/*
 * {"items":[{"id","dir","pod","serviceAccount","audience",
 * "expirationSeconds","hasToken","iat","expirationTimestamp","refreshAt",
 * "issues","writes","lastError"}]} (times RFC 3339; absent when unknown).
 */
MAPI_NODISCARD enum mapi_err mapi_harness_volumes_json(struct mapi_harness *h,
                                                       struct cJSON **out);

/*
 * Makes a new active signing key (persisted), keeping the previous one
 * for verification; drop_old removes every retired key at once. *out gets
 * {"kid":new,"previous":old,"dropped":[kids]}.
 */
MAPI_NODISCARD enum mapi_err mapi_harness_rotate_keys(struct mapi_harness *h,
                                                      bool drop_old,
                                                      struct cJSON **out,
                                                      struct mapi_diag *diag);

/*
 * {"active":kid,"keys":[{"kid","alg","active","retiredAt","dropAt"}]}
 * (retiredAt/dropAt only for retired keys, dropAt only with an overlap).
 */
MAPI_NODISCARD enum mapi_err mapi_harness_keys_json(struct mapi_harness *h,
                                                    struct cJSON **out);

/*
 * Test isolation: the clock back to its start spec and rate, the cluster
 * reloaded (reload callback), faults cleared, run-time volumes removed
 * (the default one re-written with a fresh token), events cleared (the
 * default volume's new write is the first event afterwards).
 */
MAPI_NODISCARD enum mapi_err mapi_harness_reset(struct mapi_harness *h,
                                                struct mapi_diag *diag);

/* RFC 3339 with microseconds ("2025-06-01T10:00:00.000000Z"). */
bool mapi_harness_format_time(int64_t t_ns, char *buf, size_t len);
