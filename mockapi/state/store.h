/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * store: the in-memory API objects, keyed by (group, resource, namespace,
 * name), with the bookkeeping kube-apiserver and etcd do for them:
 *
 *   - metadata.uid: UUID v4 from a seeded generator (opts.seeded/seed make
 *     uids and generateName suffixes reproducible; otherwise it is seeded
 *     from getrandom());
 *   - metadata.resourceVersion: one cluster-wide counter, bumped by every
 *     change, as a decimal string;
 *   - metadata.creationTimestamp: RFC 3339 from the mock clock;
 *   - metadata.generation: 1 on create, +1 when an update changes .spec;
 *   - graceful deletion of pods: deletionTimestamp = now + grace, and the
 *     object disappears once the mock clock passes it (mapi_store_run_due,
 *     also run lazily before every read);
 *   - watch events (ADDED / MODIFIED / DELETED) for every change, with a
 *     bounded history so a watch can resume from a resourceVersion.
 *
 * Keys sort like etcd's /registry/<resource>/<ns>/<name>, so lists come out
 * ordered by namespace, then name. The store knows nothing about scope or
 * kinds: a ref with ns NULL or "" is cluster-scoped, anything else
 * namespaced; callers (api/, fixtures) decide which resource is which.
 * Objects are stored compactly printed (a pod is ~3 KB instead of ~15 KB of
 * cJSON nodes) with their labels and selectable fields cached, so lists
 * filter without parsing and only matches are parsed.
 *
 * Ownership: objects passed in are copied; objects returned are fresh copies
 *   the caller frees with cJSON_Delete() (strings with free()). Nothing
 *   returned aliases the store.
 * Thread safety: every function locks internally (a rwlock; watchers have
 *   their own mutex) and may be called from any thread. No lock is held
 *   while the caller runs. All watchers must be freed before the store.
 * Errors: enum mapi_err; outputs are written only on MAPI_OK. Where a
 *   Kubernetes message exists, diag->msg gets it verbatim (it becomes
 *   Status.message): e.g. 'pods "x" already exists', 'pods "x" not found'.
 * Limits: opts.max_objects objects, opts.max_object_bytes per printed
 *   object, opts.history events kept for resume, opts.max_watchers watchers
 *   with opts.watch_queue pending events each (a watcher that falls further
 *   behind is closed, as kube-apiserver closes slow watchers).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"

struct cJSON;
struct mapi_clock;
struct mapi_store;
struct mapi_store_watch;

/* Where an object lives. Strings are borrowed for the call only. */
struct mapi_store_ref {
	const char *group;    /* API group; "" or NULL for core */
	const char *resource; /* plural lowercase, e.g. "pods" */
	const char *ns;       /* namespace; NULL or "" if cluster-scoped */
	const char *name;     /* object name; may be NULL for create */
};

/* Store limits and identity seed. Zero fields take the default shown. */
struct mapi_store_opts {
	size_t max_objects;      /* 100000; create beyond → MAPI_ETOOMANY */
	size_t max_object_bytes; /* 3 MiB printed; larger → MAPI_ETOOLARGE */
	size_t history;          /* 4096 events kept for watch resume */
	size_t max_watchers;     /* 1024; more → MAPI_ETOOMANY */
	size_t watch_queue;      /* 1000 undelivered events per watcher */
	uint64_t seed;           /* used when seeded is true */
	bool seeded;             /* false: seed from getrandom() */
};

/* Flags for mapi_store_create(). */
enum {
	/*
	 * Keep a valid metadata.creationTimestamp from the input instead of
	 * "now" (fixtures and scenarios that want old objects).
	 */
	MAPI_STORE_KEEP_CREATION_TIMESTAMP = 1u << 0,
};

/* List options (query parameters of a list request). */
struct mapi_list_opts {
	const char *label_selector; /* NULL or "" = everything */
	const char *field_selector; /* NULL or "" = everything */
	size_t limit;               /* 0 = no limit */
	const char *continue_token; /* from a previous page, or NULL */
};

enum mapi_watch_type {
	MAPI_WATCH_ADDED,
	MAPI_WATCH_MODIFIED,
	MAPI_WATCH_DELETED,
};

/* One watch event, owned by the caller: free with mapi_watch_event_free. */
struct mapi_watch_event {
	enum mapi_watch_type type;
	struct cJSON *object; /* the object at that resourceVersion */
};

/* What to watch. Strings are borrowed for the call only. */
struct mapi_watch_opts {
	const char *group;          /* "" or NULL for core */
	const char *resource;       /* required */
	const char *ns;             /* NULL or "" = all namespaces */
	const char *label_selector; /* NULL = everything */
	const char *field_selector; /* NULL = everything */
	/*
	 * NULL, "" or "0": first an ADDED event for every matching object,
	 * then changes (Kubernetes "get state and start at most recent").
	 * "N": every change after resourceVersion N, replayed from history;
	 * MAPI_EGONE if history no longer reaches back to N.
	 */
	const char *since_rv;
};

/* "ADDED", "MODIFIED", "DELETED". */
const char *mapi_watch_type_name(enum mapi_watch_type type);

/*
 * ---- commit hook (durability) ----
 *
 * The store itself keeps nothing on disk. A persistence layer (state/
 * statefile) observes every committed change through two callbacks:
 *
 *   commit: called with the write lock held, once per change, in commit
 *     order (seq 1, 2, 3, ...), after the change is applied in memory and
 *     before any reader or watcher can see it. It must be quick and must
 *     not call back into the store (e.g. copy the line into a buffer).
 *     It cannot fail: a hook that cannot record a change must make its
 *     next sync fail (or repair itself, e.g. by snapshotting).
 *   sync: called with no lock held, before mapi_store_create(), _update(),
 *     _delete(), _reset() and _load() return, with the seq of the last
 *     change that call made. It returns only when every change up to seq
 *     is durable (or fails). MAPI_OK from those functions therefore means
 *     "durable" once a hook is set: an API handler answers 201 only after
 *     the journal line is on disk.
 *
 * If sync fails, the change stays applied in memory (watchers may have
 * seen it) but the call returns sync's error (MAPI_EIO) and no output, so
 * the client does not take the write as acknowledged; as with etcd, an
 * unacknowledged write may or may not survive a crash. Changes made by
 * lazy removal of objects whose grace period ended (mapi_store_run_due(),
 * reads) are committed but not synced: they follow from a deletionTimestamp
 * that is already durable.
 */
enum mapi_store_change_op {
	MAPI_STORE_CHANGE_ADDED,    /* object created */
	MAPI_STORE_CHANGE_MODIFIED, /* object replaced (update, graceful mark) */
	MAPI_STORE_CHANGE_DELETED,  /* object removed; object = last state */
	MAPI_STORE_CHANGE_RESET,    /* mapi_store_reset(): everything removed */
	MAPI_STORE_CHANGE_LOADED,   /* mapi_store_load(): content replaced */
};

/* One committed change. Everything is borrowed for the callback only. */
struct mapi_store_change {
	uint64_t seq; /* commit sequence: +1 per change, never reset */
	enum mapi_store_change_op op;
	const char *group;    /* "" for core; NULL for RESET/LOADED */
	const char *resource; /* NULL for RESET/LOADED */
	/* The stored object, compactly printed (with its new
	 * resourceVersion), NUL-terminated at object_len; NULL for
	 * RESET/LOADED. */
	const char *object;
	size_t object_len;
};

typedef void mapi_store_commit_fn(const struct mapi_store_change *change,
                                  void *payload);
typedef enum mapi_err mapi_store_sync_fn(uint64_t seq, void *payload);

/*
 * Sets (or, with both NULL, removes) the commit hook. Takes the write
 * lock, so it is safe while other threads use the store; after it
 * returns, every later change goes to commit. payload is borrowed and must
 * stay valid until the hook is removed.
 */
void mapi_store_set_commit_hook(struct mapi_store *store,
                                mapi_store_commit_fn *commit_fn,
                                mapi_store_sync_fn *sync_fn, void *payload);

/* The commit sequence: the seq of the last change (0 for a new store). */
uint64_t mapi_store_seq(struct mapi_store *store);

/*
 * Creates an empty store reading time from clock (borrowed; must outlive
 * the store). opts may be NULL for all defaults.
 * MAPI_ENOMEM, or MAPI_EIO if getrandom() fails when unseeded.
 */
MAPI_NODISCARD enum mapi_err
mapi_store_new(const struct mapi_clock *clock,
               const struct mapi_store_opts *opts,
               struct mapi_store **out_store);

/* Accepts NULL. Every watcher must have been freed first. */
void mapi_store_free(struct mapi_store *store);

/*
 * Inserts a copy of obj (a JSON object) and returns the stored object.
 *
 * The name is ref->name, else metadata.name, else metadata.generateName
 * plus 5 random characters from "bcdfghjklmnpqrstvwxz2456789" (as
 * Kubernetes). Sets metadata.name, .namespace (removed for cluster-scoped
 * refs), .uid, .resourceVersion, .creationTimestamp (see flags) and
 * .generation = 1; drops deletionTimestamp and deletionGracePeriodSeconds.
 *
 * Errors: MAPI_EINVAL (ref or obj malformed; metadata.resourceVersion set:
 * "resourceVersion should not be set on objects to be created"; a name or
 * namespace in obj differing from ref), MAPI_EINVALID (no name and no
 * generateName: '<Kind> "" is invalid: metadata.name: Required value: name
 * or generateName is required'), MAPI_EEXIST ('<resource> "<name>" already
 * exists'), MAPI_ETOOMANY (max_objects reached), MAPI_ETOOLARGE,
 * MAPI_ENOMEM. Emits ADDED.
 */
MAPI_NODISCARD enum mapi_err
mapi_store_create(struct mapi_store *store, const struct mapi_store_ref *ref,
                  const struct cJSON *obj, unsigned flags,
                  struct cJSON **out_created, struct mapi_diag *diag);

/*
 * A fresh copy of the object at ref. MAPI_ENOTFOUND ('<resource> "<name>"
 * not found', with the group appended for non-core resources as
 * "<resource>.<group>"). Objects in their grace period are still found.
 */
MAPI_NODISCARD enum mapi_err
mapi_store_get(struct mapi_store *store, const struct mapi_store_ref *ref,
               struct cJSON **out_obj, struct mapi_diag *diag);

/*
 * Lists objects of (group, resource) in namespace ns (NULL or "" = all
 * namespaces and cluster-scoped ones), ordered by namespace then name.
 *
 * *out_items is a fresh JSON array of object copies; *out_rv (malloc'd)
 * the resourceVersion of the list; *out_continue (malloc'd) the token for
 * the next page, or NULL when this page is the last. opts may be NULL.
 * Each of out_rv and out_continue may be NULL if not wanted.
 *
 * Errors: MAPI_EINVAL for a bad selector (the Kubernetes message in diag)
 * or a continue token that is malformed or from another list ("continue
 * key is not valid: ..."); MAPI_ENOMEM.
 */
MAPI_NODISCARD enum mapi_err
mapi_store_list(struct mapi_store *store, const char *group,
                const char *resource, const char *ns,
                const struct mapi_list_opts *opts, struct cJSON **out_items,
                char **out_rv, char **out_continue, struct mapi_diag *diag);

/*
 * The same list as mapi_store_list() (same arguments, order, errors,
 * resourceVersion and continue token), with the items as JSON text: one
 * malloc'd "[obj,obj,...]" of the objects as stored (compact, byte for
 * byte what cJSON_PrintUnformatted prints for mapi_store_list's items),
 * NUL-terminated, its length in *out_len. Nothing is parsed: a list
 * costs a copy of the bytes (the read path for GET lists).
 */
MAPI_NODISCARD enum mapi_err
mapi_store_list_text(struct mapi_store *store, const char *group,
                     const char *resource, const char *ns,
                     const struct mapi_list_opts *opts, char **out_items,
                     size_t *out_len, char **out_rv, char **out_continue,
                     struct mapi_diag *diag);

/*
 * Replaces the object at ref with a copy of obj and returns the stored
 * result. Keeps uid, creationTimestamp, deletionTimestamp,
 * deletionGracePeriodSeconds and name/namespace from the stored object;
 * sets a new resourceVersion; generation + 1 if .spec changed.
 *
 * If obj carries metadata.resourceVersion and it differs from the stored
 * one: MAPI_ECONFLICT, 'Operation cannot be fulfilled on <resource>
 * "<name>": the object has been modified; please apply your changes to the
 * latest version and try again'. A metadata.uid in obj that differs is
 * MAPI_ECONFLICT too ("Precondition failed: UID in precondition: ...").
 * MAPI_ENOTFOUND, MAPI_EINVAL (name/namespace mismatch), MAPI_ETOOLARGE,
 * MAPI_ENOMEM. Emits MODIFIED.
 */
MAPI_NODISCARD enum mapi_err
mapi_store_update(struct mapi_store *store, const struct mapi_store_ref *ref,
                  const struct cJSON *obj, struct cJSON **out_updated,
                  struct mapi_diag *diag);

/*
 * Deletes the object at ref, returning it (may be NULL if not wanted).
 *
 * Only core pods are deleted gracefully, as in Kubernetes (every other
 * resource goes at once whatever grace_seconds says). For a pod,
 * grace_seconds < 0 means the pod's spec.terminationGracePeriodSeconds or
 * 30; a pod that is not bound to a node or has phase Succeeded/Failed
 * always goes at once (the pod strategy's CheckGracefulDelete). With grace
 * 0 the object is removed now (DELETED; the returned copy is its last
 * state). With grace > 0 it gets deletionTimestamp = now + grace (RFC
 * 3339) and deletionGracePeriodSeconds (MODIFIED; returned as marked) and
 * is removed when the mock clock passes that time. Deleting an object
 * already terminating shortens its grace if the new one ends earlier and
 * otherwise returns it unchanged.
 *
 * precondition_uid (NULL = none) must equal metadata.uid, else
 * MAPI_ECONFLICT "Precondition failed: UID in precondition: <p>, UID in
 * object meta: <uid>". MAPI_ENOTFOUND, MAPI_ENOMEM.
 */
MAPI_NODISCARD enum mapi_err
mapi_store_delete(struct mapi_store *store, const struct mapi_store_ref *ref,
                  int64_t grace_seconds, const char *precondition_uid,
                  struct cJSON **out_deleted, struct mapi_diag *diag);

/*
 * Removes every object whose grace period has passed on the mock clock
 * (emitting DELETED for each). Returns the mock time (ns) of the next
 * pending removal, or 0 if none. Call it after advancing the clock; reads
 * also run it lazily.
 */
int64_t mapi_store_run_due(struct mapi_store *store);

/* The current resourceVersion counter (0 for an empty, fresh store). */
uint64_t mapi_store_resource_version(struct mapi_store *store);

/* The number of objects stored (terminating ones included). */
size_t mapi_store_count(struct mapi_store *store);

/*
 * Removes every object, empties the event history, resets the
 * resourceVersion counter and re-seeds the uid generator (so a seeded
 * store repeats its uids), and closes every watcher (their next call
 * returns MAPI_EUNAVAILABLE). Emits no watch events; commits one RESET
 * change and syncs it (a sync failure cannot be reported here; the next
 * write's sync reports it).
 */
void mapi_store_reset(struct mapi_store *store);

/*
 * A snapshot of the store as JSON for the state file:
 *   {"resourceVersion":"N","seq":"S","objects":[{"group":"",
 *    "resource":"pods","object":{...}}, ...]}
 * taken under one read lock, so it holds exactly the changes up to commit
 * seq S. Fresh; the caller frees it. MAPI_ENOMEM.
 */
MAPI_NODISCARD enum mapi_err mapi_store_dump(struct mapi_store *store,
                                             struct cJSON **out_dump);

/*
 * Replaces the whole content with a dump made by mapi_store_dump(),
 * keeping every object's uid, resourceVersion and timestamps (a pending
 * deletion resumes at its deletionTimestamp); the counter continues from
 * the largest resourceVersion seen, and the commit seq continues from the
 * dump's "seq" (optional) if that is larger. History is emptied and
 * watchers are closed. MAPI_EINVAL with "objects[i]: <what>" in diag for a
 * bad dump, MAPI_ETOOMANY beyond max_objects; the store is unchanged on
 * those errors. Commits one LOADED change; an error from the sync hook is
 * returned after the content was replaced (see the commit hook).
 */
MAPI_NODISCARD enum mapi_err mapi_store_load(struct mapi_store *store,
                                             const struct cJSON *dump,
                                             struct mapi_diag *diag);

/*
 * Starts a watch. The watcher receives the events of changes made after
 * this call returns (plus the initial or replayed ones described at
 * mapi_watch_opts.since_rv), filtered by namespace and selectors. An
 * object that stops matching the selectors is reported as DELETED and one
 * that starts matching as ADDED (replayed history is filtered on the new
 * state only).
 *
 * Errors: MAPI_EINVAL (bad selector or since_rv not a number), MAPI_EGONE
 * ("too old resource version: <since> (<oldest>)"), MAPI_ETOOMANY
 * (max_watchers), MAPI_ENOMEM.
 */
MAPI_NODISCARD enum mapi_err
mapi_store_watch_new(struct mapi_store *store,
                     const struct mapi_watch_opts *opts,
                     struct mapi_store_watch **out_watch,
                     struct mapi_diag *diag);

/*
 * Waits up to timeout_ns of real time (monotonic; 0 = do not wait) for the
 * next event. MAPI_OK with *out_event set to the event, or to NULL when
 * the time ran out. MAPI_EUNAVAILABLE once the watch is closed (it fell
 * more than watch_queue events behind, the store was reset or loaded, or
 * mapi_store_watch_close() was called): the client should list and watch
 * again. MAPI_ENOMEM.
 */
MAPI_NODISCARD enum mapi_err
mapi_store_watch_next(struct mapi_store_watch *watch, int64_t timeout_ns,
                      struct mapi_watch_event **out_event);

/*
 * Sets a function called whenever the watch gets an event or is closed
 * (fn NULL unsets it), so a reader need not wait in
 * mapi_store_watch_next(). It is called at once if an event is already
 * queued or the watch is closed. fn runs on the writer's thread with store
 * locks held: it must be quick and must not call into the store. No call
 * is made after mapi_store_watch_free() has returned.
 */
typedef void mapi_store_watch_notify_fn(void *arg);
void mapi_store_watch_set_notify(struct mapi_store_watch *watch,
                                 mapi_store_watch_notify_fn *fn, void *arg);

/*
 * Closes the watch from any thread, waking a waiting
 * mapi_store_watch_next(). The watch must still be freed.
 */
void mapi_store_watch_close(struct mapi_store_watch *watch);

/* Unregisters and frees a watch. Accepts NULL. */
void mapi_store_watch_free(struct mapi_store_watch *watch);

/* Accepts NULL. */
void mapi_watch_event_free(struct mapi_watch_event *event);
