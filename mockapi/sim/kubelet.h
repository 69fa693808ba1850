/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * kubelet: the kubelet's side of projected ServiceAccount token volumes —
 * when a token is refreshed, and how the volume directory is rewritten —
 * on the mock clock. Getting a token (TokenRequest) is NOT done here: the
 * volume manager calls a mapi_kubelet_issue_fn the server provides.
 *
 * Volume layout (kubelet AtomicWriter, reference §8.2):
 *
 *   <dir>/..2025_06_01_10_00_00.1234567890/{token,ca.crt,namespace}
 *   <dir>/..data      -> ..2025_06_01_10_00_00.1234567890
 *   <dir>/token       -> ..data/token
 *   <dir>/ca.crt      -> ..data/ca.crt
 *   <dir>/namespace   -> ..data/namespace
 *
 * An update writes and fsyncs a new timestamped directory, points a fresh
 * "..data_tmp" symlink at it and rename()s that over "..data" (atomic), then
 * deletes the previous timestamped directory. A reader opening <dir>/token
 * gets the old or the new complete file; like with the real kubelet, an
 * open racing the deletion of the old directory can fail with ENOENT (retry
 * it), but never yields an empty or partial token.
 *
 * Refresh rule (pkg/kubelet/token/token_manager.go, requiresRefresh): with
 * exp = status.expirationTimestamp, es = spec.expirationSeconds and
 * iat = exp - es, a token needs refresh when
 *
 *     now > iat + 24h - jitter   or   now > exp - (es * 20 / 100) s - jitter
 *
 * where es * 20 / 100 is Go integer (truncating) arithmetic on seconds and
 * jitter is whole seconds in [0, 10). Comparisons are strict, as Go's
 * time.After: a 3607 s token issued at iat needs refresh from
 * iat + 2886 s + 1 ns on (3607 * 20 / 100 = 721).
 *
 * Ownership: specs and file contents are copied; tokens returned by the
 *   issue callback are taken over, wiped and freed by the manager.
 * Thread safety: mapi_kubelet_write_volume() is reentrant but must not run
 *   twice at once on one directory; the manager serialises its own writes.
 *   All mapi_kubelet_* manager functions lock internally; the issue
 *   callback runs with that lock held and must not call back into them.
 * Errors: enum mapi_err; outputs are written only on MAPI_OK.
 * Limits: MAPI_KUBELET_MAX_VOLUMES volumes; files up to 1 MiB each.
 * Time: nothing here reads a clock; callers pass mock time (ns).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"

struct mapi_events;
struct mapi_kubelet;

#define MAPI_KUBELET_MAX_VOLUMES          64
#define MAPI_KUBELET_MAX_FILE             ((size_t)1024 * 1024)
#define MAPI_KUBELET_MAX_TTL_S            (24 * 3600) /* kubelet maxTTL */
#define MAPI_KUBELET_MAX_JITTER_S         10          /* kubelet maxJitter */
#define MAPI_KUBELET_DEFAULT_EXPIRATION_S 3607 /* admission plugin's value */

/* The contents of one projected volume. */
struct mapi_volume_files {
	const char *token; /* written as is: no newline is added */
	size_t token_len;
	const char *ca_crt; /* may be NULL when ca_len is 0 */
	size_t ca_len;
	const char *ns;      /* namespace file content (NUL-terminated) */
	unsigned token_mode; /* 0 = 0644 (defaultMode 420); e.g. 0600 */
};

/*
 * The timestamped directory name for mock time now_ns and random value
 * rand: "..YYYY_MM_DD_HH_MM_SS.<decimal of (uint32_t)rand>" in UTC (Go's
 * os.MkdirTemp with the kubelet's "..2006_01_02_15_04_05." pattern).
 * Returns false if buf (len bytes) is too small or the time out of range.
 */
bool mapi_kubelet_tsdir_name(int64_t now_ns, uint64_t rand, char *buf,
                             size_t len);

/*
 * Writes files into dir with the layout above, creating dir (and missing
 * parents, mode 0755) if needed. now_ns names the new timestamped
 * directory, rand its numeric suffix (a collision moves on to the next
 * splitmix64 value of rand). If ..data already holds exactly these three
 * contents nothing is rewritten (the user-visible symlinks are still made
 * if missing) and *out_written (may be NULL) is false; otherwise it is
 * true. Files are mode 0644 (token: files->token_mode), directories 0755.
 * MAPI_EINVAL for a NULL/empty dir, token or ns, or a file over
 * MAPI_KUBELET_MAX_FILE; MAPI_EIO with the failing step and errno text in
 * diag for file system errors (a partly written new directory is removed;
 * if only removing the OLD directory failed, the new content is already
 * live). MAPI_ENOMEM.
 */
MAPI_NODISCARD enum mapi_err mapi_kubelet_write_volume(
	const char *dir, const struct mapi_volume_files *files, int64_t now_ns,
	uint64_t rand, bool *out_written, struct mapi_diag *diag);

/*
 * The first instant (ns since the epoch) at which a token with
 * status.expirationTimestamp expiration_timestamp (s) and
 * spec.expirationSeconds expiration_seconds needs refresh, for a jitter of
 * jitter_s seconds (rule above). Saturates instead of overflowing.
 */
int64_t mapi_kubelet_refresh_at(int64_t expiration_timestamp,
                                int64_t expiration_seconds, int64_t jitter_s);

/* mapi_kubelet_refresh_at(...) <= now_ns: the kubelet rule at now_ns. */
bool mapi_kubelet_needs_refresh(int64_t now_ns, int64_t expiration_timestamp,
                                int64_t expiration_seconds, int64_t jitter_s);

/* One projected token volume the manager keeps fresh. */
struct mapi_kubelet_volume_spec {
	const char *dir;             /* required; unique among volumes */
	const char *ns;              /* required: pod namespace */
	const char *pod;             /* bound pod name, or NULL */
	const char *pod_uid;         /* bound pod uid, or NULL */
	const char *service_account; /* required */
	const char *audience;        /* NULL = the API server's audience */
	int64_t expiration_seconds;  /* 0 = 3607 */
	unsigned token_mode;         /* 0 = 0644 */
	const char *ca_crt;          /* ca.crt content (copied) */
	size_t ca_len;
};

/* What the issue callback returns: a TokenRequest response. */
struct mapi_kubelet_issued {
	char *token; /* malloc'd; the manager takes it (wipes, frees) */
	size_t token_len;
	int64_t expiration_timestamp; /* status.expirationTimestamp, s */
	int64_t expiration_seconds;   /* spec.expirationSeconds answered */
	char jti[64];                 /* optional (events only) */
	/* Optional, events only (0 / "" = unknown): the JWT's own claims.
	 * Events report exp = the JWT exp (a year for an extended token),
	 * falling back to expiration_timestamp when exp is 0. */
	int64_t iat;
	int64_t exp;
	int64_t warnafter;
	char kid[64];
};

/*
 * Gets a token for spec at mock time now_ns (a TokenRequest for
 * spec->service_account in spec->ns bound to spec->pod). On MAPI_OK *out
 * must be filled (token non-NULL); on error *out is ignored and the old
 * token stays in the volume.
 */
typedef enum mapi_err
mapi_kubelet_issue_fn(const struct mapi_kubelet_volume_spec *spec,
                      int64_t now_ns, struct mapi_kubelet_issued *out,
                      void *payload);

struct mapi_kubelet_config {
	uint64_t seed;        /* jitter and directory suffixes */
	int64_t max_jitter_s; /* jitter in [0, max); 0 = none; kubelet: 10 */
	int64_t retry_s;      /* retry after a failure; 0 = 10 s */
	struct mapi_events *events; /* optional, borrowed: see tick */
};

/* Volume state, for the admin API and tests. */
struct mapi_kubelet_volume_info {
	bool has_token;
	int64_t iat;                  /* expiration_timestamp - es, s */
	int64_t expiration_timestamp; /* s */
	int64_t expiration_seconds;
	int64_t jitter_s;       /* drawn for the current token */
	int64_t due_ns;         /* next tick at or after this refreshes */
	uint64_t issues;        /* successful issue callbacks */
	uint64_t writes;        /* directory swaps */
	enum mapi_err last_err; /* of the last attempt; MAPI_OK if it worked */
	char last_diag[256];
};

/*
 * A manager with no volumes. issue (required) and payload are borrowed.
 * MAPI_EINVAL for a NULL issue or negative config values; MAPI_ENOMEM.
 */
MAPI_NODISCARD enum mapi_err
mapi_kubelet_new(const struct mapi_kubelet_config *cfg,
                 mapi_kubelet_issue_fn *issue, void *payload,
                 struct mapi_kubelet **out_kubelet);

/* Accepts NULL. Leaves the volume directories on disk. */
void mapi_kubelet_free(struct mapi_kubelet *k);

/*
 * Adds a volume (copied), due at once: the next tick issues and writes it.
 * *out_id (may be NULL) gets its id (1, 2, ...). MAPI_EINVAL for a missing
 * required field or expiration_seconds < 0; MAPI_EEXIST if dir is already
 * a volume; MAPI_ETOOMANY at MAPI_KUBELET_MAX_VOLUMES; MAPI_ENOMEM.
 */
MAPI_NODISCARD enum mapi_err
mapi_kubelet_add_volume(struct mapi_kubelet *k,
                        const struct mapi_kubelet_volume_spec *spec,
                        uint64_t *out_id);

/* Stops managing volume id (its files stay). MAPI_ENOTFOUND. */
MAPI_NODISCARD enum mapi_err mapi_kubelet_remove_volume(struct mapi_kubelet *k,
                                                        uint64_t id);

/*
 * For every volume due at now_ns (never issued, needing refresh by the rule
 * above, or retrying), calls the issue callback and writes the volume
 * (directory named from now_ns). A success sets the next due time to
 * mapi_kubelet_refresh_at() of the new token with a fresh jitter; a
 * failure keeps the old files and retries retry_s later. With events set,
 * the first write of a volume adds a volumeWritten event and later writes
 * a rotatedByKubelet event (token prefix, jti, iat, exp, pod, volume).
 * *out_refreshed (may be NULL) gets the number of volumes written, on
 * every return (the one output also set on error). Returns
 * MAPI_OK, or the first error met (the other volumes are still handled;
 * per-volume errors are in mapi_kubelet_volume_info).
 */
MAPI_NODISCARD enum mapi_err mapi_kubelet_tick(struct mapi_kubelet *k,
                                               int64_t now_ns,
                                               size_t *out_refreshed);

/*
 * The earliest due time of all volumes (ns): INT64_MIN when a volume was
 * never issued (due at once), INT64_MAX when there are no volumes.
 */
int64_t mapi_kubelet_next_due(struct mapi_kubelet *k);

/* State of volume id. MAPI_ENOTFOUND. */
MAPI_NODISCARD enum mapi_err
mapi_kubelet_volume_info(struct mapi_kubelet *k, uint64_t id,
                         struct mapi_kubelet_volume_info *out_info);
