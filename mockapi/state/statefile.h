/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * statefile: the store, persisted in the state dir, so that a restart on
 * the same dir (after a clean stop or a kill -9) keeps every object whose
 * write was acknowledged.
 *
 * Two files, both 0600 (Secrets are stored in them):
 *
 *   store.json     a snapshot: mapi_store_dump() as one JSON document,
 *                  {"resourceVersion":"N","seq":"S","objects":[...]},
 *                  replaced atomically (temp file, fsync, rename, fsync of
 *                  the dir; fileio.h).
 *   store.journal  an append-only log of the changes after the snapshot,
 *                  one JSON line per committed change:
 *                    {"seq":S,"op":"ADDED","group":"","resource":"pods",
 *                     "object":{...}}
 *                  (op ADDED | MODIFIED | DELETED | RESET | LOADED).
 *
 * Write path (group commit). The store calls the commit hook under its
 * write lock; it only copies the line into a memory buffer. Before the
 * store's create/update/delete returns (and so before the HTTP response is
 * queued), the sync hook makes the line durable: one waiting thread takes
 * the whole buffer, writes it and fdatasync()s the journal while the
 * others wait on a condition variable, so N concurrent writers cost about
 * one fdatasync, and readers are never blocked by the disk.
 *
 * Compaction writes a fresh store.json, then truncates the journal. It
 * runs when the journal outgrows max(opts.compact_bytes, the last
 * snapshot's size) (in the thread whose sync crossed the bound), on
 * mapi_statefile_attach(), mapi_statefile_compact() and
 * mapi_statefile_close(), after a LOADED change, and after any failed
 * journal write (the journal may then lack a change; the snapshot
 * repairs it). Journal lines whose seq the snapshot already covers are
 * skipped on replay, so a crash between the rename and the truncation
 * loses nothing.
 *
 * Restore: store.json (if any) and then every complete journal line with
 * a larger seq, in order. Replay stops at the first line that is not
 * newline-terminated or does not parse (a torn write from a crash), and at
 * a LOADED line (what followed it was never acknowledged before a
 * snapshot).
 *
 * The dir is locked (flock on the directory, exclusive, non-blocking)
 * from mapi_statefile_open() to _close()/_free(): a second mockapi on the
 * same state dir fails to start instead of truncating the first one's
 * journal.
 *
 * Ownership: the statefile borrows the store given to _restore()/_attach();
 *   the store must outlive it (close the statefile first).
 * Thread safety: after _attach(), the hooks and _compact()/_stats() may
 *   run on any thread. _open, _restore, _attach, _close and _free are for
 *   one thread (start-up and shutdown).
 * Errors: MAPI_EIO (with the path and errno text in diag), MAPI_EINVAL
 *   (a store.json that does not parse or load), MAPI_ETOOLARGE (a file
 *   over opts.max_file_bytes), MAPI_EUNAVAILABLE (the dir is locked by
 *   another process), MAPI_ENOMEM. Outputs are written only on MAPI_OK.
 * Limits: store.json and store.journal are read whole, each at most
 *   opts.max_file_bytes.
 * Not logged: the library never logs; nothing it returns holds object
 *   content (only paths, offsets and seq numbers).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"

struct mapi_statefile;
struct mapi_store;

/* Tuning. Zero fields take the default shown. */
struct mapi_statefile_opts {
	/* 4 MiB: compact once the journal is larger than this and than the
	 * last snapshot. */
	size_t compact_bytes;
	/* 1 GiB: a store.json or store.journal larger than this is refused. */
	size_t max_file_bytes;
};

/* Counters, for tests and the admin API. */
struct mapi_statefile_stats {
	uint64_t durable_seq;   /* every change up to this seq is on disk */
	uint64_t journal_lines; /* lines written since the last snapshot */
	size_t journal_bytes;   /* bytes in store.journal */
	size_t snapshot_bytes;  /* size of the last store.json written */
	uint64_t flushes;       /* journal write + fdatasync rounds */
	uint64_t compactions;   /* snapshots written */
	uint64_t replayed;      /* journal lines applied by _restore() */
	bool torn_tail;         /* _restore() ignored a torn last line */
};

/* "store.json" and "store.journal", for callers that check the files. */
#define MAPI_STATEFILE_SNAPSHOT "store.json"
#define MAPI_STATEFILE_JOURNAL  "store.journal"

/*
 * Opens the store files in dir (which must exist) and locks the dir.
 * Reads and writes nothing yet. opts may be NULL. MAPI_EUNAVAILABLE with
 * "state dir <dir> is in use by another mockapi" if the lock is held,
 * MAPI_EIO if dir cannot be opened, MAPI_ENOMEM.
 */
MAPI_NODISCARD enum mapi_err
mapi_statefile_open(const char *dir, const struct mapi_statefile_opts *opts,
                    struct mapi_statefile **out_sf, struct mapi_diag *diag);

/*
 * Loads the saved state into store (mapi_store_load(): every object keeps
 * its uid, resourceVersion and timestamps) if store.json or a non-empty
 * store.journal exists; *out_restored tells whether it did (false leaves
 * the store untouched: the caller loads fixtures). A torn journal tail is
 * ignored (see the module comment). MAPI_EINVAL for a store.json or a
 * journal line that parses but does not load, naming the file; the store
 * is then unchanged. Must be called before _attach().
 */
MAPI_NODISCARD enum mapi_err mapi_statefile_restore(struct mapi_statefile *sf,
                                                    struct mapi_store *store,
                                                    bool *out_restored,
                                                    struct mapi_diag *diag);

/*
 * Starts persisting store: sets its commit hook, writes a snapshot of its
 * current content (which also drops any torn journal tail) and opens the
 * journal for appending. On error the hook is removed again. Call once.
 */
MAPI_NODISCARD enum mapi_err mapi_statefile_attach(struct mapi_statefile *sf,
                                                   struct mapi_store *store,
                                                   struct mapi_diag *diag);

/*
 * Writes a snapshot now and truncates the journal (waits for a flush or
 * compaction in progress). MAPI_EINVAL if not attached; MAPI_EIO.
 */
MAPI_NODISCARD enum mapi_err mapi_statefile_compact(struct mapi_statefile *sf,
                                                    struct mapi_diag *diag);

/* A consistent copy of the counters. */
void mapi_statefile_stats(struct mapi_statefile *sf,
                          struct mapi_statefile_stats *out_stats);

/*
 * Clean shutdown: flushes, writes a final snapshot (if attached and
 * anything changed since the last one), removes the hook, unlocks the dir
 * and frees sf — always, even when the snapshot fails (then the journal
 * still holds every acknowledged change, and the error is returned).
 * No store call may run concurrently. Accepts NULL (MAPI_OK).
 */
MAPI_NODISCARD enum mapi_err mapi_statefile_close(struct mapi_statefile *sf,
                                                  struct mapi_diag *diag);

/*
 * Like _close() without the final snapshot (error paths; the files stay
 * as they are). Accepts NULL.
 */
void mapi_statefile_free(struct mapi_statefile *sf);
