/* SPDX-License-Identifier: MIT */
#include "state/store.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "auth/jose.h"
#include "server/json.h"
#include "sim/clock.h"
#include "state/selector.h"

#define DEFAULT_MAX_OBJECTS      100000
#define DEFAULT_MAX_OBJECT_BYTES (3u * 1024 * 1024)
#define DEFAULT_HISTORY          4096
#define DEFAULT_MAX_WATCHERS     1024
#define DEFAULT_WATCH_QUEUE      1000
#define MAX_NAME_LEN             253
#define POD_DEFAULT_GRACE        30
#define UID_LEN                  36

/* Fields cached per object version for field selectors (besides name and
 * namespace, which come from the key). */
static const char *const field_paths[] = {
	"spec.nodeName",     "spec.serviceAccountName", "spec.restartPolicy",
	"spec.schedulerName", "status.phase",           "status.podIP",
	"status.nominatedNodeName", "type",
};
#define NFIELDS (sizeof(field_paths) / sizeof(field_paths[0]))

static const char *const fields_common[] = { "metadata.name",
	                                     "metadata.namespace", NULL };
static const char *const fields_pods[] = {
	"metadata.name",      "metadata.namespace",  "spec.nodeName",
	"spec.serviceAccountName", "spec.restartPolicy", "spec.schedulerName",
	"status.phase",       "status.podIP",        "status.nominatedNodeName",
	NULL,
};
static const char *const fields_secrets[] = { "metadata.name",
	                                      "metadata.namespace", "type",
	                                      NULL };
static const char *const fields_namespaces[] = { "metadata.name",
	                                         "metadata.namespace",
	                                         "status.phase", NULL };

/* One immutable version of an object, shared by the entry, events and
 * in-flight lists through a reference count. */
struct ver {
	atomic_uint refs;
	uint64_t rv;
	char *json; /* compact; from cJSON_PrintUnformatted */
	size_t len; /* strlen(json) */
	cJSON *labels;
	char *fields[NFIELDS];
};

/* "group/resource/ns/name" plus the four parts split out. */
struct loc {
	char *key;
	char *parts;
	const char *group, *resource, *ns, *name;
};

struct entry {
	struct loc loc;
	struct ver *cur;
	char uid[UID_LEN + 1];
	int64_t delete_at_ns; /* 0 = not terminating */
};

struct event {
	atomic_uint refs;
	enum mapi_watch_type type;
	struct ver *ver;
	struct loc loc;
};

struct qnode {
	struct qnode *next;
	struct event *ev;
	enum mapi_watch_type type;
};

struct mapi_store_watch {
	struct mapi_store *store;
	struct mapi_store_watch *prev, *next;
	char *group, *resource, *ns; /* ns NULL = all */
	struct mapi_label_selector *lsel;
	struct mapi_field_selector *fsel;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct qnode *head, *tail;
	size_t qlen, limit;
	bool closed;
	mapi_store_watch_notify_fn *notify; /* guarded by mu */
	void *notify_arg;
};

struct rng {
	uint64_t s[4];
};

struct mapi_store {
	const struct mapi_clock *clock;
	struct mapi_store_opts opts;
	pthread_rwlock_t lock;
	struct entry **ents; /* sorted by loc.key */
	size_t n, cap;
	uint64_t rv;
	uint64_t seed;
	struct rng rng;
	struct event **hist; /* ring of opts.history */
	size_t hist_head, hist_n;
	uint64_t hist_floor; /* events with rv <= floor are gone */
	struct mapi_store_watch *watchers;
	size_t nwatchers;
	_Atomic int64_t next_due;
	uint64_t seq; /* commit sequence, under the lock */
	mapi_store_commit_fn *commit_fn;
	mapi_store_sync_fn *sync_fn;
	void *hook_payload;
};

/* ---- ids ---- */

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void
rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++) {
		r->s[i] = splitmix64(&seed);
	}
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

static void
make_uid(struct rng *r, char out[UID_LEN + 1])
{
	uint8_t b[16];
	uint64_t a = rng_next(r), c = rng_next(r);
	int i;

	for (i = 0; i < 8; i++) {
		b[i] = (uint8_t)(a >> (8 * i));
		b[8 + i] = (uint8_t)(c >> (8 * i));
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	(void)snprintf(out, UID_LEN + 1,
	               "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	               "%02x%02x%02x%02x%02x%02x",
	               b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8],
	               b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* ---- refcounted versions and events ---- */

static void
ver_unref(struct ver *v)
{
	size_t i;

	if (v == NULL || atomic_fetch_sub(&v->refs, 1) != 1) {
		return;
	}
	cJSON_free(v->json);
	cJSON_Delete(v->labels);
	for (i = 0; i < NFIELDS; i++) {
		free(v->fields[i]);
	}
	free(v);
}

static struct ver *
ver_ref(struct ver *v)
{
	atomic_fetch_add(&v->refs, 1);
	return v;
}

/* A version of obj (whose metadata.resourceVersion is already rv). */
static enum mapi_err
ver_new(const struct mapi_store *store, const cJSON *obj, uint64_t rv,
        struct ver **out, struct mapi_diag *diag)
{
	struct ver *v = calloc(1, sizeof(*v));
	const cJSON *labels;
	size_t i;

	if (v == NULL) {
		return MAPI_ENOMEM;
	}
	atomic_init(&v->refs, 1);
	v->rv = rv;
	v->json = mapi_json_print(obj);
	if (v->json == NULL) {
		goto nomem;
	}
	v->len = strlen(v->json);
	if (v->len > store->opts.max_object_bytes) {
		mapi_diag_set(diag, "Request entity too large: limit is %zu",
		              store->opts.max_object_bytes);
		ver_unref(v);
		return MAPI_ETOOLARGE;
	}
	labels = mapi_json_get_object(mapi_json_get_object(obj, "metadata"),
	                              "labels");
	if (labels != NULL) {
		v->labels = cJSON_Duplicate(labels, true);
		if (v->labels == NULL) {
			goto nomem;
		}
	}
	for (i = 0; i < NFIELDS; i++) {
		const char *s = mapi_json_get_path_string(obj, field_paths[i]);

		if (s != NULL && (v->fields[i] = strdup(s)) == NULL) {
			goto nomem;
		}
	}
	*out = v;
	return MAPI_OK;
nomem:
	ver_unref(v);
	return MAPI_ENOMEM;
}

static void
loc_fini(struct loc *l)
{
	free(l->key);
	free(l->parts);
	memset(l, 0, sizeof(*l));
}

static enum mapi_err
loc_from_key(const char *key, struct loc *out)
{
	struct loc l = { 0 };
	char *p;
	const char **dst[3] = { &l.resource, &l.ns, &l.name };
	int i;

	l.key = strdup(key);
	l.parts = strdup(key);
	if (l.key == NULL || l.parts == NULL) {
		loc_fini(&l);
		return MAPI_ENOMEM;
	}
	l.group = p = l.parts;
	for (i = 0; i < 3; i++) {
		p = strchr(p, '/');
		if (p == NULL) {
			loc_fini(&l);
			return MAPI_EINVAL;
		}
		*p++ = '\0';
		*dst[i] = p;
	}
	*out = l;
	return MAPI_OK;
}

static void
event_unref(struct event *e)
{
	if (e == NULL || atomic_fetch_sub(&e->refs, 1) != 1) {
		return;
	}
	ver_unref(e->ver);
	loc_fini(&e->loc);
	free(e);
}

static struct event *
event_new(enum mapi_watch_type type, const struct loc *loc, struct ver *v)
{
	struct event *e = calloc(1, sizeof(*e));

	if (e == NULL) {
		return NULL;
	}
	if (loc_from_key(loc->key, &e->loc) != MAPI_OK) {
		free(e);
		return NULL;
	}
	atomic_init(&e->refs, 1);
	e->type = type;
	e->ver = ver_ref(v);
	return e;
}

/* ---- keys ---- */

static bool
part_ok(const char *s, bool may_be_empty)
{
	if (s == NULL || *s == '\0') {
		return may_be_empty;
	}
	return strchr(s, '/') == NULL && strlen(s) <= MAX_NAME_LEN;
}

/* "group/resource/ns/name" for a ref with the given name. */
static enum mapi_err
make_key(const struct mapi_store_ref *ref, const char *name, char **out)
{
	const char *g = ref->group != NULL ? ref->group : "";
	const char *ns = ref->ns != NULL ? ref->ns : "";
	size_t n;
	char *k;

	if (!part_ok(g, true) || !part_ok(ref->resource, false) ||
	    !part_ok(ns, true) || !part_ok(name, false)) {
		return MAPI_EINVAL;
	}
	n = strlen(g) + strlen(ref->resource) + strlen(ns) + strlen(name) + 4;
	k = malloc(n);
	if (k == NULL) {
		return MAPI_ENOMEM;
	}
	(void)snprintf(k, n, "%s/%s/%s/%s", g, ref->resource, ns, name);
	*out = k;
	return MAPI_OK;
}

/* "pods" or "roles.rbac.authorization.k8s.io", as Kubernetes names them. */
static const char *
qualified(const char *group, const char *resource, char *buf, size_t len)
{
	if (group == NULL || *group == '\0') {
		return resource;
	}
	(void)snprintf(buf, len, "%s.%s", resource, group);
	return buf;
}

/* Binary search: true if found; *idx = position or insertion point. */
static bool
find(const struct mapi_store *store, const char *key, size_t *idx)
{
	size_t lo = 0, hi = store->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(store->ents[mid]->loc.key, key);

		if (c == 0) {
			*idx = mid;
			return true;
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	*idx = lo;
	return false;
}

static void
entry_free(struct entry *e)
{
	if (e == NULL) {
		return;
	}
	loc_fini(&e->loc);
	ver_unref(e->cur);
	free(e);
}

static void
remove_at(struct mapi_store *store, size_t i)
{
	entry_free(store->ents[i]);
	/* NOLINTBEGIN(bugprone-sizeof-expression): T *[] */
	memmove(&store->ents[i], &store->ents[i + 1],
	        (store->n - i - 1) * sizeof(*store->ents));
	/* NOLINTEND(bugprone-sizeof-expression) */
	store->n--;
}

static enum mapi_err
reserve(struct mapi_store *store, size_t want)
{
	struct entry **ne;
	size_t cap;

	if (want <= store->cap) {
		return MAPI_OK;
	}
	cap = store->cap ? store->cap * 2 : 64;
	while (cap < want) {
		cap *= 2;
	}
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): T *[] */
	ne = realloc(store->ents, cap * sizeof(*ne));
	if (ne == NULL) {
		return MAPI_ENOMEM;
	}
	store->ents = ne;
	store->cap = cap;
	return MAPI_OK;
}

/* ---- matching ---- */

static const char *const *
supported_fields(const char *group, const char *resource)
{
	if (group == NULL || *group == '\0') {
		if (strcmp(resource, "pods") == 0) {
			return fields_pods;
		}
		if (strcmp(resource, "secrets") == 0) {
			return fields_secrets;
		}
		if (strcmp(resource, "namespaces") == 0) {
			return fields_namespaces;
		}
	}
	return fields_common;
}

struct fview {
	const struct loc *loc;
	const struct ver *ver;
};

static const char *
field_get(const char *field, void *payload)
{
	const struct fview *fv = payload;
	size_t i;

	if (strcmp(field, "metadata.name") == 0) {
		return fv->loc->name;
	}
	if (strcmp(field, "metadata.namespace") == 0) {
		return fv->loc->ns;
	}
	for (i = 0; i < NFIELDS; i++) {
		if (strcmp(field, field_paths[i]) == 0) {
			return fv->ver->fields[i];
		}
	}
	return NULL;
}

static bool
sel_matches(const struct mapi_label_selector *lsel,
            const struct mapi_field_selector *fsel, const struct loc *loc,
            const struct ver *v)
{
	struct fview fv = { loc, v };

	return mapi_label_selector_matches(lsel, v->labels) &&
	       mapi_field_selector_matches(fsel, field_get, &fv);
}

static bool
watch_wants(const struct mapi_store_watch *w, const struct loc *loc)
{
	return strcmp(w->group, loc->group) == 0 &&
	       strcmp(w->resource, loc->resource) == 0 &&
	       (w->ns == NULL || strcmp(w->ns, loc->ns) == 0);
}

/* ---- watch queues ---- */

/* Called with w->mu held. */
static void
drain(struct mapi_store_watch *w)
{
	while (w->head != NULL) {
		struct qnode *q = w->head;

		w->head = q->next;
		event_unref(q->ev);
		free(q);
	}
	w->tail = NULL;
	w->qlen = 0;
}

static void
close_locked(struct mapi_store_watch *w)
{
	w->closed = true;
	drain(w);
	pthread_cond_broadcast(&w->cond);
	if (w->notify != NULL) {
		w->notify(w->notify_arg);
	}
}

/* Appends ev (taking a new reference) as type; closes w on overflow. */
static void
enqueue(struct mapi_store_watch *w, struct event *ev,
        enum mapi_watch_type type)
{
	struct qnode *q;

	pthread_mutex_lock(&w->mu);
	if (w->closed) {
		goto out;
	}
	if (w->qlen >= w->limit) {
		close_locked(w); /* too slow: the client relists */
		goto out;
	}
	q = calloc(1, sizeof(*q));
	if (q == NULL) {
		close_locked(w);
		goto out;
	}
	atomic_fetch_add(&ev->refs, 1);
	q->ev = ev;
	q->type = type;
	if (w->tail != NULL) {
		w->tail->next = q;
	} else {
		w->head = q;
	}
	w->tail = q;
	w->qlen++;
	pthread_cond_signal(&w->cond);
	if (w->notify != NULL) {
		w->notify(w->notify_arg);
	}
out:
	pthread_mutex_unlock(&w->mu);
}

/*
 * Hands one change to the commit hook (write lock held). Every change
 * gets a seq, hook or not, so dumps and journals agree on numbering.
 */
static void
commit(struct mapi_store *store, enum mapi_store_change_op op,
       const struct loc *loc, const struct ver *v)
{
	struct mapi_store_change c = {
		.seq = ++store->seq,
		.op = op,
		.group = loc != NULL ? loc->group : NULL,
		.resource = loc != NULL ? loc->resource : NULL,
		.object = v != NULL ? v->json : NULL,
		.object_len = v != NULL ? v->len : 0,
	};

	if (store->commit_fn != NULL) {
		store->commit_fn(&c, store->hook_payload);
	}
}

/* What a mutating call must wait for once it drops the lock. */
struct pending_sync {
	mapi_store_sync_fn *fn;
	void *payload;
	uint64_t seq; /* 0 = nothing to wait for */
};

/* Captures the hook and the last seq (write lock held). */
static void
note_sync(const struct mapi_store *store, struct pending_sync *ps)
{
	ps->fn = store->sync_fn;
	ps->payload = store->hook_payload;
	ps->seq = store->seq;
}

/*
 * Waits for the changes of one call to be durable (no lock held). A call
 * that changed nothing, or a store without hook, returns at once.
 */
static enum mapi_err
sync_wait(const struct pending_sync *ps)
{
	if (ps->fn == NULL || ps->seq == 0) {
		return MAPI_OK;
	}
	return ps->fn(ps->seq, ps->payload);
}

/*
 * Records a change (write lock held): into the history ring and to every
 * interested watcher, translating MODIFIED into ADDED/DELETED when the
 * change moves the object into or out of a watcher's selectors.
 */
static void
emit(struct mapi_store *store, enum mapi_watch_type type,
     const struct loc *loc, const struct ver *old, struct ver *v)
{
	struct event *ev;
	struct mapi_store_watch *w;
	size_t cap = store->opts.history;

	commit(store, type == MAPI_WATCH_ADDED      ? MAPI_STORE_CHANGE_ADDED
	              : type == MAPI_WATCH_MODIFIED ? MAPI_STORE_CHANGE_MODIFIED
	                                            : MAPI_STORE_CHANGE_DELETED,
	       loc, v);
	ev = event_new(type, loc, v);
	if (ev == NULL) {
		/* Cannot record it: resumes from before now are unsafe and
		 * every watcher would miss it, so close them all. */
		store->hist_floor = store->rv;
		for (w = store->watchers; w != NULL; w = w->next) {
			pthread_mutex_lock(&w->mu);
			close_locked(w);
			pthread_mutex_unlock(&w->mu);
		}
		return;
	}
	for (w = store->watchers; w != NULL; w = w->next) {
		bool nm, om;

		if (!watch_wants(w, loc)) {
			continue;
		}
		nm = sel_matches(w->lsel, w->fsel, loc, v);
		om = old != NULL && sel_matches(w->lsel, w->fsel, loc, old);
		if (type != MAPI_WATCH_MODIFIED) {
			if (nm) {
				enqueue(w, ev, type);
			}
		} else if (nm && om) {
			enqueue(w, ev, MAPI_WATCH_MODIFIED);
		} else if (nm) {
			enqueue(w, ev, MAPI_WATCH_ADDED);
		} else if (om) {
			enqueue(w, ev, MAPI_WATCH_DELETED);
		}
	}
	if (store->hist_n == cap) {
		struct event *old_ev = store->hist[store->hist_head];

		store->hist_floor = old_ev->ver->rv;
		event_unref(old_ev);
		store->hist_head = (store->hist_head + 1) % cap;
		store->hist_n--;
	}
	store->hist[(store->hist_head + store->hist_n) % cap] = ev;
	store->hist_n++;
}

static void
history_clear(struct mapi_store *store)
{
	size_t i;

	for (i = 0; i < store->hist_n; i++) {
		event_unref(store->hist[(store->hist_head + i) %
		                        store->opts.history]);
	}
	store->hist_head = 0;
	store->hist_n = 0;
}

static void
close_all_watchers(struct mapi_store *store)
{
	struct mapi_store_watch *w;

	for (w = store->watchers; w != NULL; w = w->next) {
		pthread_mutex_lock(&w->mu);
		close_locked(w);
		pthread_mutex_unlock(&w->mu);
	}
}

/* ---- object helpers ---- */

static void
rv_string(uint64_t rv, char buf[24])
{
	(void)snprintf(buf, 24, "%" PRIu64, rv);
}

static enum mapi_err
set_rv(cJSON *meta, uint64_t rv)
{
	char buf[24];

	rv_string(rv, buf);
	return mapi_json_set_string(meta, "resourceVersion", buf);
}

static enum mapi_err
set_time(cJSON *meta, const char *key, int64_t t_s)
{
	char buf[32];

	if (!mapi_time_format_rfc3339(t_s, buf, sizeof(buf))) {
		return MAPI_EINVAL;
	}
	return mapi_json_set_string(meta, key, buf);
}

static enum mapi_err
parse_ver(const struct ver *v, cJSON **out)
{
	cJSON *o = cJSON_Parse(v->json);

	if (o == NULL) {
		return MAPI_ENOMEM; /* it printed, so only memory can fail */
	}
	*out = o;
	return MAPI_OK;
}

static void
set_next_due(struct mapi_store *store)
{
	int64_t next = 0;
	size_t i;

	for (i = 0; i < store->n; i++) {
		int64_t t = store->ents[i]->delete_at_ns;

		if (t != 0 && (next == 0 || t < next)) {
			next = t;
		}
	}
	atomic_store(&store->next_due, next);
}

/*
 * Removes the entry at i now (write lock held): a DELETED event whose
 * object carries the deletion's resourceVersion, as etcd reports it.
 * *out_last (optional) gets the object's last state.
 */
static enum mapi_err
remove_now(struct mapi_store *store, size_t i, cJSON **out_last)
{
	struct entry *e = store->ents[i];
	cJSON *obj = NULL, *last = NULL;
	struct ver *dv = NULL;
	enum mapi_err err;

	err = parse_ver(e->cur, &obj);
	if (err != MAPI_OK) {
		goto out;
	}
	if (out_last != NULL) {
		last = cJSON_Duplicate(obj, true);
		if (last == NULL) {
			err = MAPI_ENOMEM;
			goto out;
		}
	}
	err = set_rv(mapi_json_get_object(obj, "metadata"), store->rv + 1);
	if (err != MAPI_OK) {
		goto out;
	}
	err = ver_new(store, obj, store->rv + 1, &dv, NULL);
	if (err == MAPI_ETOOLARGE) {
		/* One more digit of rv: deletion must not fail on it. */
		store->opts.max_object_bytes += 32;
		err = ver_new(store, obj, store->rv + 1, &dv, NULL);
		store->opts.max_object_bytes -= 32;
	}
	if (err != MAPI_OK) {
		goto out;
	}
	store->rv++;
	emit(store, MAPI_WATCH_DELETED, &e->loc, e->cur, dv);
	remove_at(store, i);
	if (out_last != NULL) {
		*out_last = last;
		last = NULL;
	}
out:
	ver_unref(dv);
	cJSON_Delete(obj);
	cJSON_Delete(last);
	return err;
}

static int64_t
run_due_locked(struct mapi_store *store)
{
	int64_t due = atomic_load(&store->next_due);
	int64_t now;
	size_t i = 0;

	if (due == 0) {
		return 0;
	}
	now = mapi_clock_now_ns(store->clock);
	if (now < due) {
		return due;
	}
	while (i < store->n) {
		int64_t t = store->ents[i]->delete_at_ns;

		if (t != 0 && t <= now && remove_now(store, i, NULL) == MAPI_OK) {
			continue; /* the next entry moved into i */
		}
		i++;
	}
	set_next_due(store);
	return atomic_load(&store->next_due);
}

int64_t
mapi_store_run_due(struct mapi_store *store)
{
	int64_t next = atomic_load(&store->next_due);

	/* Nothing due: no lock (watch streams call this on every poll). */
	if (next == 0 || mapi_clock_now_ns(store->clock) < next) {
		return next;
	}
	pthread_rwlock_wrlock(&store->lock);
	next = run_due_locked(store);
	pthread_rwlock_unlock(&store->lock);
	return next;
}

/* Before a read: removes due objects if any are due (cheap otherwise). */
static void
maybe_run_due(struct mapi_store *store)
{
	int64_t due = atomic_load(&store->next_due);

	if (due != 0 && mapi_clock_now_ns(store->clock) >= due) {
		(void)mapi_store_run_due(store);
	}
}

/* ---- lifecycle ---- */

const char *
mapi_watch_type_name(enum mapi_watch_type type)
{
	switch (type) {
	case MAPI_WATCH_ADDED:
		return "ADDED";
	case MAPI_WATCH_MODIFIED:
		return "MODIFIED";
	case MAPI_WATCH_DELETED:
		return "DELETED";
	}
	return "ERROR";
}

enum mapi_err
mapi_store_new(const struct mapi_clock *clock,
               const struct mapi_store_opts *opts,
               struct mapi_store **out_store)
{
	struct mapi_store *store = calloc(1, sizeof(*store));

	if (store == NULL) {
		return MAPI_ENOMEM;
	}
	if (opts != NULL) {
		store->opts = *opts;
	}
	if (store->opts.max_objects == 0) {
		store->opts.max_objects = DEFAULT_MAX_OBJECTS;
	}
	if (store->opts.max_object_bytes == 0) {
		store->opts.max_object_bytes = (size_t)DEFAULT_MAX_OBJECT_BYTES;
	}
	if (store->opts.history == 0) {
		store->opts.history = DEFAULT_HISTORY;
	}
	if (store->opts.max_watchers == 0) {
		store->opts.max_watchers = DEFAULT_MAX_WATCHERS;
	}
	if (store->opts.watch_queue == 0) {
		store->opts.watch_queue = DEFAULT_WATCH_QUEUE;
	}
	store->clock = clock;
	store->seed = store->opts.seed;
	if (!store->opts.seeded &&
	    getrandom(&store->seed, sizeof(store->seed), 0) !=
	            (ssize_t)sizeof(store->seed)) {
		free(store);
		return MAPI_EIO;
	}
	rng_seed(&store->rng, store->seed);
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): T *[] */
	store->hist = calloc(store->opts.history, sizeof(*store->hist));
	if (store->hist == NULL ||
	    pthread_rwlock_init(&store->lock, NULL) != 0) {
		free(store->hist);
		free(store);
		return MAPI_ENOMEM;
	}
	atomic_init(&store->next_due, 0);
	*out_store = store;
	return MAPI_OK;
}

static void
clear_entries(struct mapi_store *store)
{
	size_t i;

	for (i = 0; i < store->n; i++) {
		entry_free(store->ents[i]);
	}
	store->n = 0;
}

void
mapi_store_free(struct mapi_store *store)
{
	if (store == NULL) {
		return;
	}
	clear_entries(store);
	free(store->ents);
	history_clear(store);
	free(store->hist);
	pthread_rwlock_destroy(&store->lock);
	free(store);
}

void
mapi_store_reset(struct mapi_store *store)
{
	struct pending_sync ps = { 0 };

	pthread_rwlock_wrlock(&store->lock);
	clear_entries(store);
	history_clear(store);
	store->rv = 0;
	store->hist_floor = 0;
	rng_seed(&store->rng, store->seed);
	close_all_watchers(store);
	atomic_store(&store->next_due, 0);
	commit(store, MAPI_STORE_CHANGE_RESET, NULL, NULL);
	note_sync(store, &ps);
	pthread_rwlock_unlock(&store->lock);
	/* Nowhere to report it; the next write's sync fails the same way. */
	(void)sync_wait(&ps);
}

void
mapi_store_set_commit_hook(struct mapi_store *store,
                           mapi_store_commit_fn *commit_fn,
                           mapi_store_sync_fn *sync_fn, void *payload)
{
	pthread_rwlock_wrlock(&store->lock);
	store->commit_fn = commit_fn;
	store->sync_fn = sync_fn;
	store->hook_payload = commit_fn != NULL || sync_fn != NULL ? payload
	                                                            : NULL;
	pthread_rwlock_unlock(&store->lock);
}

uint64_t
mapi_store_seq(struct mapi_store *store)
{
	uint64_t seq;

	pthread_rwlock_rdlock(&store->lock);
	seq = store->seq;
	pthread_rwlock_unlock(&store->lock);
	return seq;
}

uint64_t
mapi_store_resource_version(struct mapi_store *store)
{
	uint64_t rv;

	pthread_rwlock_rdlock(&store->lock);
	rv = store->rv;
	pthread_rwlock_unlock(&store->lock);
	return rv;
}

size_t
mapi_store_count(struct mapi_store *store)
{
	size_t n;

	maybe_run_due(store);
	pthread_rwlock_rdlock(&store->lock);
	n = store->n;
	pthread_rwlock_unlock(&store->lock);
	return n;
}

/* ---- create ---- */

static bool
ref_ok(const struct mapi_store_ref *ref)
{
	return ref != NULL && ref->resource != NULL && *ref->resource != '\0';
}

static const char *
str_or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/*
 * Checks the name and namespace in meta against the ref and writes the
 * ref's values into meta (the namespace is removed for cluster scope).
 */
static enum mapi_err
bind_meta_to_ref(cJSON *meta, const struct mapi_store_ref *ref,
                 const char *name, struct mapi_diag *diag)
{
	const char *mname = mapi_json_get_string(meta, "name");
	const char *mns = mapi_json_get_string(meta, "namespace");
	const char *ns = str_or_empty(ref->ns);

	if (mname != NULL && *mname != '\0' && strcmp(mname, name) != 0) {
		mapi_diag_set(diag,
		              "the name of the object (%s) does not match the "
		              "name on the URL (%s)",
		              mname, name);
		return MAPI_EINVAL;
	}
	if (*ns != '\0' && mns != NULL && *mns != '\0' &&
	    strcmp(mns, ns) != 0) {
		mapi_diag_set(diag, "the namespace of the provided object does "
		                    "not match the namespace sent on the "
		                    "request");
		return MAPI_EINVAL;
	}
	if (mapi_json_set_string(meta, "name", name) != MAPI_OK) {
		return MAPI_ENOMEM;
	}
	if (*ns != '\0') {
		return mapi_json_set_string(meta, "namespace", ns);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");
	return MAPI_OK;
}

/* generateName + 5 characters (names.SimpleNameGenerator). */
static void
generate_name(struct rng *r, const char *base, char *buf, size_t len)
{
	static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
	size_t n = strlen(base);
	int i;

	if (n > 58) {
		n = 58; /* 63 - 5, as maxGeneratedNameLength */
	}
	(void)snprintf(buf, len, "%.*s", (int)n, base);
	for (i = 0; i < 5 && n + (size_t)i + 1 < len; i++) {
		buf[n + (size_t)i] =
		        alnum[rng_next(r) % (sizeof(alnum) - 1)];
		buf[n + (size_t)i + 1] = '\0';
	}
}

static enum mapi_err
insert_entry(struct mapi_store *store, size_t idx, const char *key,
             const char *uid, struct ver *v, struct entry **out)
{
	struct entry *e = calloc(1, sizeof(*e));
	enum mapi_err err;

	if (e == NULL) {
		return MAPI_ENOMEM;
	}
	err = reserve(store, store->n + 1);
	if (err == MAPI_OK) {
		err = loc_from_key(key, &e->loc);
	}
	if (err != MAPI_OK) {
		free(e);
		return err;
	}
	(void)snprintf(e->uid, sizeof(e->uid), "%s", uid);
	e->cur = ver_ref(v);
	/* NOLINTBEGIN(bugprone-sizeof-expression): T *[] */
	memmove(&store->ents[idx + 1], &store->ents[idx],
	        (store->n - idx) * sizeof(*store->ents));
	/* NOLINTEND(bugprone-sizeof-expression) */
	store->ents[idx] = e;
	store->n++;
	*out = e;
	return MAPI_OK;
}

/* Fills the server-set metadata of a new object (write lock held). */
static enum mapi_err
stamp_new(struct mapi_store *store, cJSON *meta, unsigned flags,
          char uid[UID_LEN + 1])
{
	const char *ct = mapi_json_get_string(meta, "creationTimestamp");
	int64_t t_ns;
	enum mapi_err err;

	make_uid(&store->rng, uid);
	err = mapi_json_set_string(meta, "uid", uid);
	if (err == MAPI_OK) {
		err = set_rv(meta, store->rv + 1);
	}
	if (err == MAPI_OK) {
		err = mapi_json_set_int(meta, "generation", 1);
	}
	if (err == MAPI_OK &&
	    !((flags & MAPI_STORE_KEEP_CREATION_TIMESTAMP) && ct != NULL &&
	      mapi_time_parse_rfc3339(ct, &t_ns) == MAPI_OK)) {
		err = set_time(meta, "creationTimestamp",
		               mapi_clock_now(store->clock));
	}
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "deletionTimestamp");
	cJSON_DeleteItemFromObjectCaseSensitive(meta,
	                                        "deletionGracePeriodSeconds");
	return err;
}

enum mapi_err
mapi_store_create(struct mapi_store *store, const struct mapi_store_ref *ref,
                  const struct cJSON *obj, unsigned flags,
                  struct cJSON **out_created, struct mapi_diag *diag)
{
	cJSON *dup = NULL, *meta;
	char *key = NULL;
	char name[MAX_NAME_LEN + 1], uid[UID_LEN + 1], qbuf[320];
	const char *gen, *mname, *rv;
	struct ver *v = NULL;
	struct entry *e;
	struct pending_sync ps = { 0 };
	size_t idx = 0;
	enum mapi_err err = MAPI_EINVAL;
	bool locked = false;
	int tries;

	if (!ref_ok(ref) || !cJSON_IsObject(obj)) {
		return MAPI_EINVAL;
	}
	dup = cJSON_Duplicate(obj, true);
	if (dup == NULL) {
		return MAPI_ENOMEM;
	}
	meta = mapi_json_ensure_object(dup, "metadata");
	if (meta == NULL) {
		mapi_diag_set(diag, "metadata must be an object");
		goto out;
	}
	rv = mapi_json_get_string(meta, "resourceVersion");
	if (rv != NULL && *rv != '\0') {
		mapi_diag_set(diag, "resourceVersion should not be set on "
		                    "objects to be created");
		goto out;
	}
	mname = mapi_json_get_string(meta, "name");
	gen = mapi_json_get_string(meta, "generateName");
	if (ref->name != NULL && *ref->name != '\0') {
		(void)snprintf(name, sizeof(name), "%s", ref->name);
	} else if (mname != NULL && *mname != '\0') {
		(void)snprintf(name, sizeof(name), "%s", mname);
	} else if (gen != NULL && *gen != '\0') {
		name[0] = '\0'; /* chosen under the lock */
	} else {
		const char *kind = mapi_json_get_string(dup, "kind");

		mapi_diag_set(diag,
		              "%s \"\" is invalid: metadata.name: Required "
		              "value: name or generateName is required",
		              kind != NULL ? kind : ref->resource);
		if (diag != NULL) {
			(void)snprintf(diag->field, sizeof(diag->field),
			               "metadata.name");
		}
		err = MAPI_EINVALID;
		goto out;
	}

	pthread_rwlock_wrlock(&store->lock);
	locked = true;
	(void)run_due_locked(store);
	/* Retry generated names a few times, as RetryGenerateName does. */
	for (tries = 0; tries < 8; tries++) {
		if (name[0] == '\0' || tries > 0) {
			if (gen == NULL || *gen == '\0') {
				break;
			}
			generate_name(&store->rng, gen, name, sizeof(name));
		}
		free(key);
		key = NULL;
		err = make_key(ref, name, &key);
		if (err != MAPI_OK || !find(store, key, &idx)) {
			break;
		}
		err = MAPI_EEXIST;
	}
	if (err == MAPI_EEXIST) {
		mapi_diag_set(diag, "%s \"%s\" already exists",
		              qualified(ref->group, ref->resource, qbuf,
		                        sizeof(qbuf)),
		              name);
		goto out;
	}
	if (err != MAPI_OK) {
		mapi_diag_set(diag, "invalid object reference");
		goto out;
	}
	if (store->n >= store->opts.max_objects) {
		mapi_diag_set(diag, "the store is full (%zu objects)",
		              store->opts.max_objects);
		err = MAPI_ETOOMANY;
		goto out;
	}
	err = bind_meta_to_ref(meta, ref, name, diag);
	if (err == MAPI_OK) {
		err = stamp_new(store, meta, flags, uid);
	}
	if (err == MAPI_OK) {
		err = ver_new(store, dup, store->rv + 1, &v, diag);
	}
	if (err == MAPI_OK) {
		err = insert_entry(store, idx, key, uid, v, &e);
	}
	if (err != MAPI_OK) {
		goto out;
	}
	store->rv++;
	emit(store, MAPI_WATCH_ADDED, &e->loc, NULL, v);
	note_sync(store, &ps);
out:
	if (locked) {
		pthread_rwlock_unlock(&store->lock);
	}
	if (err == MAPI_OK) {
		err = sync_wait(&ps);
	}
	if (err == MAPI_OK && out_created != NULL) {
		*out_created = dup;
		dup = NULL;
	}
	ver_unref(v);
	free(key);
	cJSON_Delete(dup);
	return err;
}

/* ---- get ---- */

static enum mapi_err
not_found(const struct mapi_store_ref *ref, struct mapi_diag *diag)
{
	char qbuf[320];

	mapi_diag_set(diag, "%s \"%s\" not found",
	              qualified(ref->group, ref->resource, qbuf, sizeof(qbuf)),
	              str_or_empty(ref->name));
	return MAPI_ENOTFOUND;
}

/* Looks ref up (lock held); *out_idx on MAPI_OK. */
static enum mapi_err
lookup(struct mapi_store *store, const struct mapi_store_ref *ref,
       size_t *out_idx, struct mapi_diag *diag)
{
	char *key = NULL;
	enum mapi_err err;
	bool found;

	if (!ref_ok(ref) || ref->name == NULL || *ref->name == '\0') {
		return MAPI_EINVAL;
	}
	err = make_key(ref, ref->name, &key);
	if (err == MAPI_EINVAL) {
		return not_found(ref, diag); /* no such key can exist */
	}
	if (err != MAPI_OK) {
		return err;
	}
	found = find(store, key, out_idx);
	free(key);
	return found ? MAPI_OK : not_found(ref, diag);
}

enum mapi_err
mapi_store_get(struct mapi_store *store, const struct mapi_store_ref *ref,
               struct cJSON **out_obj, struct mapi_diag *diag)
{
	struct ver *v = NULL;
	enum mapi_err err;
	size_t idx;

	maybe_run_due(store);
	pthread_rwlock_rdlock(&store->lock);
	err = lookup(store, ref, &idx, diag);
	if (err == MAPI_OK) {
		v = ver_ref(store->ents[idx]->cur);
	}
	pthread_rwlock_unlock(&store->lock);
	if (err == MAPI_OK) {
		err = parse_ver(v, out_obj);
	}
	ver_unref(v);
	return err;
}

/* ---- list ---- */

static char *
make_prefix(const char *group, const char *resource, const char *ns)
{
	size_t n = strlen(group) + strlen(resource) + strlen(ns) + 4;
	char *p = malloc(n);

	if (p == NULL) {
		return NULL;
	}
	if (*ns != '\0') {
		(void)snprintf(p, n, "%s/%s/%s/", group, resource, ns);
	} else {
		(void)snprintf(p, n, "%s/%s/", group, resource);
	}
	return p;
}

static char *
encode_continue(uint64_t rv, const char *key)
{
	cJSON *o = cJSON_CreateObject();
	char *text = NULL, *tok = NULL;

	if (o != NULL && cJSON_AddStringToObject(o, "v", "meta.k8s.io/v1") &&
	    cJSON_AddNumberToObject(o, "rv", (double)rv) &&
	    cJSON_AddStringToObject(o, "start", key)) {
		text = mapi_json_print(o);
	}
	if (text != NULL) {
		tok = mapi_b64url_encode_dup((const uint8_t *)text,
		                             strlen(text));
	}
	cJSON_free(text);
	cJSON_Delete(o);
	return tok;
}

static enum mapi_err
decode_continue(const char *tok, const char *prefix, uint64_t *out_rv,
                char **out_key, struct mapi_diag *diag)
{
	uint8_t *raw = NULL;
	size_t len = 0;
	cJSON *o = NULL;
	const char *v, *start;
	int64_t rv;
	enum mapi_err err;

	err = mapi_b64url_decode(tok, strlen(tok), &raw, &len);
	if (err == MAPI_EINVAL || (err == MAPI_OK &&
	                           mapi_json_parse((const char *)raw, len, &o,
	                                           NULL) != MAPI_OK)) {
		mapi_diag_set(diag, "continue key is not valid: illegal base64 "
		                    "data or JSON");
		err = MAPI_EINVAL;
		goto out;
	}
	if (err != MAPI_OK) {
		goto out;
	}
	v = mapi_json_get_string(o, "v");
	start = mapi_json_get_string(o, "start");
	if (v == NULL || strcmp(v, "meta.k8s.io/v1") != 0 ||
	    !mapi_json_get_int(o, "rv", &rv) || rv <= 0 || start == NULL ||
	    strncmp(start, prefix, strlen(prefix)) != 0) {
		mapi_diag_set(diag, "continue key is not valid: incorrect "
		                    "encoded start resourceVersion (version "
		                    "meta.k8s.io/v1)");
		err = MAPI_EINVAL;
		goto out;
	}
	*out_key = strdup(start);
	if (*out_key == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	*out_rv = (uint64_t)rv;
	err = MAPI_OK;
out:
	cJSON_Delete(o);
	free(raw);
	return err;
}

struct page {
	struct ver **vers;
	size_t n;
	char *last_key;
	bool more;
};

/* Collects up to limit matching versions after start (read lock held). */
static enum mapi_err
collect(struct mapi_store *store, const char *prefix, const char *start,
        size_t limit, const struct mapi_label_selector *lsel,
        const struct mapi_field_selector *fsel, struct page *pg)
{
	size_t i, plen = strlen(prefix);

	(void)find(store, start != NULL ? start : prefix, &i);
	if (start != NULL && i < store->n &&
	    strcmp(store->ents[i]->loc.key, start) == 0) {
		i++;
	}
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): T *[] */
	pg->vers = calloc(store->n - i + 1, sizeof(*pg->vers));
	if (pg->vers == NULL) {
		return MAPI_ENOMEM;
	}
	for (; i < store->n; i++) {
		const struct entry *e = store->ents[i];

		if (strncmp(e->loc.key, prefix, plen) != 0) {
			break;
		}
		if (limit != 0 && pg->n == limit) {
			pg->more = true;
			break;
		}
		if (!sel_matches(lsel, fsel, &e->loc, e->cur)) {
			continue;
		}
		pg->vers[pg->n++] = ver_ref(e->cur);
		free(pg->last_key);
		pg->last_key = strdup(e->loc.key);
		if (pg->last_key == NULL) {
			return MAPI_ENOMEM;
		}
	}
	return MAPI_OK;
}

static void
page_fini(struct page *pg)
{
	size_t i;

	for (i = 0; i < pg->n; i++) {
		ver_unref(pg->vers[i]);
	}
	free(pg->vers);
	free(pg->last_key);
}

/*
 * The matching versions of a list (referenced; page_fini drops them), the
 * list's resourceVersion and continue token. Shared by both list forms.
 */
static enum mapi_err
list_page(struct mapi_store *store, const char *group, const char *resource,
          const char *ns, const struct mapi_list_opts *opts, struct page *pg,
          uint64_t *out_rv, struct mapi_diag *diag)
{
	static const struct mapi_list_opts none = { 0 };
	struct mapi_label_selector *lsel = NULL;
	struct mapi_field_selector *fsel = NULL;
	char *prefix = NULL, *start = NULL;
	uint64_t rv = 0;
	enum mapi_err err;

	if (opts == NULL) {
		opts = &none;
	}
	group = str_or_empty(group);
	ns = str_or_empty(ns);
	if (resource == NULL || !part_ok(resource, false) ||
	    !part_ok(group, true) || !part_ok(ns, true)) {
		return MAPI_EINVAL;
	}
	err = mapi_label_selector_parse(opts->label_selector, &lsel, diag);
	if (err == MAPI_OK) {
		err = mapi_field_selector_parse(
		        opts->field_selector,
		        supported_fields(group, resource), &fsel, diag);
	}
	if (err != MAPI_OK) {
		goto out;
	}
	prefix = make_prefix(group, resource, ns);
	if (prefix == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	if (opts->continue_token != NULL && *opts->continue_token != '\0') {
		err = decode_continue(opts->continue_token, prefix, &rv,
		                      &start, diag);
		if (err != MAPI_OK) {
			goto out;
		}
	}
	maybe_run_due(store);
	pthread_rwlock_rdlock(&store->lock);
	if (rv == 0) {
		rv = store->rv; /* pages report the first page's version */
	}
	err = collect(store, prefix, start, opts->limit, lsel, fsel, pg);
	pthread_rwlock_unlock(&store->lock);
	*out_rv = rv;
out:
	free(start);
	free(prefix);
	mapi_label_selector_free(lsel);
	mapi_field_selector_free(fsel);
	return err;
}

/* The optional rv and continue outputs of a list, malloc'd. */
static enum mapi_err
list_tail(const struct page *pg, uint64_t rv, char **out_rvs,
          char **out_cont)
{
	char buf[24];

	*out_rvs = NULL;
	*out_cont = NULL;
	rv_string(rv, buf);
	if ((*out_rvs = strdup(buf)) == NULL) {
		return MAPI_ENOMEM;
	}
	if (pg->more && pg->last_key != NULL &&
	    (*out_cont = encode_continue(rv, pg->last_key)) == NULL) {
		free(*out_rvs);
		*out_rvs = NULL;
		return MAPI_ENOMEM;
	}
	return MAPI_OK;
}

enum mapi_err
mapi_store_list(struct mapi_store *store, const char *group,
                const char *resource, const char *ns,
                const struct mapi_list_opts *opts, struct cJSON **out_items,
                char **out_rv, char **out_continue, struct mapi_diag *diag)
{
	struct page pg = { 0 };
	char *rvs = NULL, *cont = NULL;
	cJSON *items = NULL;
	uint64_t rv = 0;
	enum mapi_err err;
	size_t i;

	err = list_page(store, group, resource, ns, opts, &pg, &rv, diag);
	if (err != MAPI_OK) {
		goto out;
	}
	items = cJSON_CreateArray();
	if (items == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	for (i = 0; i < pg.n; i++) {
		cJSON *o = NULL;

		err = parse_ver(pg.vers[i], &o);
		if (err != MAPI_OK) {
			goto out;
		}
		if (!cJSON_AddItemToArray(items, o)) {
			cJSON_Delete(o);
			err = MAPI_ENOMEM;
			goto out;
		}
	}
	err = list_tail(&pg, rv, &rvs, &cont);
	if (err != MAPI_OK) {
		goto out;
	}
	*out_items = items;
	items = NULL;
	if (out_rv != NULL) {
		*out_rv = rvs;
		rvs = NULL;
	}
	if (out_continue != NULL) {
		*out_continue = cont;
		cont = NULL;
	}
out:
	page_fini(&pg);
	cJSON_Delete(items);
	free(rvs);
	free(cont);
	return err;
}

enum mapi_err
mapi_store_list_text(struct mapi_store *store, const char *group,
                     const char *resource, const char *ns,
                     const struct mapi_list_opts *opts, char **out_items,
                     size_t *out_len, char **out_rv, char **out_continue,
                     struct mapi_diag *diag)
{
	struct page pg = { 0 };
	char *rvs = NULL, *cont = NULL, *text = NULL;
	size_t i, len = 2, off = 0;
	uint64_t rv = 0;
	enum mapi_err err;

	err = list_page(store, group, resource, ns, opts, &pg, &rv, diag);
	if (err != MAPI_OK) {
		goto out;
	}
	/* Versions are immutable, so their text is read without the lock. */
	for (i = 0; i < pg.n; i++) {
		len += strlen(pg.vers[i]->json) + 1;
	}
	text = malloc(len + 1);
	if (text == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	text[off++] = '[';
	for (i = 0; i < pg.n; i++) {
		size_t n = strlen(pg.vers[i]->json);

		if (i > 0) {
			text[off++] = ',';
		}
		memcpy(text + off, pg.vers[i]->json, n);
		off += n;
	}
	text[off++] = ']';
	text[off] = '\0';
	err = list_tail(&pg, rv, &rvs, &cont);
	if (err != MAPI_OK) {
		goto out;
	}
	*out_items = text;
	*out_len = off;
	text = NULL;
	if (out_rv != NULL) {
		*out_rv = rvs;
		rvs = NULL;
	}
	if (out_continue != NULL) {
		*out_continue = cont;
		cont = NULL;
	}
out:
	page_fini(&pg);
	free(text);
	free(rvs);
	free(cont);
	return err;
}

/* ---- update ---- */

static bool
json_equal(const cJSON *a, const cJSON *b)
{
	if (a == NULL || b == NULL) {
		return a == b;
	}
	return cJSON_Compare(a, b, true);
}

/* Copies old's member key into meta (or removes it if old has none). */
static enum mapi_err
carry(cJSON *meta, const cJSON *old, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(old, key);
	cJSON *copy;

	if (item == NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(meta, key);
		return MAPI_OK;
	}
	copy = cJSON_Duplicate(item, true);
	if (copy == NULL) {
		return MAPI_ENOMEM;
	}
	return mapi_json_adopt(meta, key, copy);
}

static enum mapi_err
conflict(const struct mapi_store_ref *ref, struct mapi_diag *diag)
{
	char qbuf[320];

	mapi_diag_set(diag,
	              "Operation cannot be fulfilled on %s \"%s\": the object "
	              "has been modified; please apply your changes to the "
	              "latest version and try again",
	              qualified(ref->group, ref->resource, qbuf, sizeof(qbuf)),
	              ref->name);
	return MAPI_ECONFLICT;
}

static enum mapi_err
uid_mismatch(const char *want, const char *have, struct mapi_diag *diag)
{
	mapi_diag_set(diag,
	              "Precondition failed: UID in precondition: %s, UID in "
	              "object meta: %s",
	              want, have);
	return MAPI_ECONFLICT;
}

/*
 * Builds the new stored form of an update in dup (whose metadata is meta)
 * from the old object: server-owned fields carried over, generation bumped
 * on a spec change.
 */
static enum mapi_err
merge_update(cJSON *dup, cJSON *meta, const cJSON *old,
             const struct mapi_store_ref *ref, struct mapi_diag *diag)
{
	const cJSON *ometa = mapi_json_get_object(old, "metadata");
	int64_t gen = 0;
	enum mapi_err err;

	err = bind_meta_to_ref(meta, ref, ref->name, diag);
	if (err == MAPI_OK) {
		err = carry(meta, ometa, "uid");
	}
	if (err == MAPI_OK) {
		err = carry(meta, ometa, "creationTimestamp");
	}
	if (err == MAPI_OK) {
		err = carry(meta, ometa, "deletionTimestamp");
	}
	if (err == MAPI_OK) {
		err = carry(meta, ometa, "deletionGracePeriodSeconds");
	}
	if (err != MAPI_OK) {
		return err;
	}
	(void)mapi_json_get_int(ometa, "generation", &gen);
	if (!json_equal(cJSON_GetObjectItemCaseSensitive(old, "spec"),
	                cJSON_GetObjectItemCaseSensitive(dup, "spec"))) {
		gen++;
	}
	return mapi_json_set_int(meta, "generation", gen > 0 ? gen : 1);
}

enum mapi_err
mapi_store_update(struct mapi_store *store, const struct mapi_store_ref *ref,
                  const struct cJSON *obj, struct cJSON **out_updated,
                  struct mapi_diag *diag)
{
	cJSON *dup = NULL, *meta, *old = NULL;
	struct ver *v = NULL, *oldv;
	struct entry *e;
	struct pending_sync ps = { 0 };
	const char *rv, *uid;
	char oldrv[24];
	enum mapi_err err = MAPI_EINVAL;
	bool locked = false;
	size_t idx;

	if (!ref_ok(ref) || ref->name == NULL || !cJSON_IsObject(obj)) {
		return MAPI_EINVAL;
	}
	dup = cJSON_Duplicate(obj, true);
	if (dup == NULL) {
		return MAPI_ENOMEM;
	}
	meta = mapi_json_ensure_object(dup, "metadata");
	if (meta == NULL) {
		mapi_diag_set(diag, "metadata must be an object");
		goto out;
	}
	pthread_rwlock_wrlock(&store->lock);
	locked = true;
	(void)run_due_locked(store);
	err = lookup(store, ref, &idx, diag);
	if (err != MAPI_OK) {
		goto out;
	}
	e = store->ents[idx];
	oldv = e->cur;
	rv_string(oldv->rv, oldrv);
	rv = mapi_json_get_string(meta, "resourceVersion");
	if (rv != NULL && *rv != '\0' && strcmp(rv, oldrv) != 0) {
		err = conflict(ref, diag);
		goto out;
	}
	uid = mapi_json_get_string(meta, "uid");
	if (uid != NULL && *uid != '\0' && strcmp(uid, e->uid) != 0) {
		err = uid_mismatch(uid, e->uid, diag);
		goto out;
	}
	err = parse_ver(oldv, &old);
	if (err == MAPI_OK) {
		err = merge_update(dup, meta, old, ref, diag);
	}
	if (err == MAPI_OK) {
		err = mapi_json_set_string(meta, "resourceVersion", oldrv);
	}
	if (err != MAPI_OK) {
		goto out;
	}
	/* An update that changes nothing is a no-op, as in etcd3's
	 * GuaranteedUpdate: same resourceVersion, no event. */
	if (cJSON_Compare(dup, old, true)) {
		goto publish;
	}
	err = set_rv(meta, store->rv + 1);
	if (err == MAPI_OK) {
		err = ver_new(store, dup, store->rv + 1, &v, diag);
	}
	if (err != MAPI_OK) {
		goto out;
	}
	store->rv++;
	e->cur = ver_ref(v);
	emit(store, MAPI_WATCH_MODIFIED, &e->loc, oldv, v);
	ver_unref(oldv);
	note_sync(store, &ps);
publish:
	err = MAPI_OK;
out:
	if (locked) {
		pthread_rwlock_unlock(&store->lock);
	}
	if (err == MAPI_OK) {
		err = sync_wait(&ps);
	}
	if (err == MAPI_OK && out_updated != NULL) {
		*out_updated = dup;
		dup = NULL;
	}
	ver_unref(v);
	cJSON_Delete(old);
	cJSON_Delete(dup);
	return err;
}

/* ---- delete ---- */

/* The grace period Kubernetes would apply (pods only; others 0). */
static int64_t
effective_grace(const struct mapi_store_ref *ref, const cJSON *obj,
                int64_t grace)
{
	const cJSON *spec = mapi_json_get_object(obj, "spec");
	const char *node = mapi_json_get_string(spec, "nodeName");
	const char *phase = mapi_json_get_path_string(obj, "status.phase");
	int64_t tg;

	if ((ref->group != NULL && *ref->group != '\0') ||
	    strcmp(ref->resource, "pods") != 0) {
		return 0;
	}
	if (node == NULL || *node == '\0' ||
	    (phase != NULL && (strcmp(phase, "Succeeded") == 0 ||
	                       strcmp(phase, "Failed") == 0))) {
		return 0;
	}
	if (grace < 0) {
		grace = mapi_json_get_int(spec, "terminationGracePeriodSeconds",
		                          &tg) && tg >= 0
		                ? tg
		                : POD_DEFAULT_GRACE;
	}
	return grace;
}

/* Marks entry e terminating at now + grace (write lock held). */
static enum mapi_err
mark_terminating(struct mapi_store *store, struct entry *e, cJSON *obj,
                 int64_t grace, int64_t now_ns)
{
	cJSON *meta = mapi_json_get_object(obj, "metadata");
	struct ver *v = NULL;
	int64_t gen = 0;
	enum mapi_err err;

	/* BeforeDelete: deletionTimestamp = now + grace, generation + 1. */
	err = set_time(meta, "deletionTimestamp",
	               now_ns / MAPI_NS_PER_SEC + grace);
	if (err == MAPI_OK) {
		err = mapi_json_set_int(meta, "deletionGracePeriodSeconds",
		                        grace);
	}
	if (err == MAPI_OK && mapi_json_get_int(meta, "generation", &gen)) {
		err = mapi_json_set_int(meta, "generation", gen + 1);
	}
	if (err == MAPI_OK) {
		err = set_rv(meta, store->rv + 1);
	}
	if (err == MAPI_OK) {
		err = ver_new(store, obj, store->rv + 1, &v, NULL);
	}
	if (err != MAPI_OK) {
		return err;
	}
	store->rv++;
	emit(store, MAPI_WATCH_MODIFIED, &e->loc, e->cur, v);
	ver_unref(e->cur);
	e->cur = v;
	e->delete_at_ns = now_ns + grace * MAPI_NS_PER_SEC;
	set_next_due(store);
	return MAPI_OK;
}

enum mapi_err
mapi_store_delete(struct mapi_store *store, const struct mapi_store_ref *ref,
                  int64_t grace_seconds, const char *precondition_uid,
                  struct cJSON **out_deleted, struct mapi_diag *diag)
{
	cJSON *obj = NULL, *result = NULL;
	struct entry *e;
	struct pending_sync ps = { 0 };
	enum mapi_err err;
	int64_t grace, now_ns;
	size_t idx;

	if (grace_seconds > INT64_C(1) << 32) {
		grace_seconds = INT64_C(1) << 32; /* keeps now + grace finite */
	}
	pthread_rwlock_wrlock(&store->lock);
	(void)run_due_locked(store);
	err = lookup(store, ref, &idx, diag);
	if (err != MAPI_OK) {
		goto out;
	}
	e = store->ents[idx];
	if (precondition_uid != NULL && *precondition_uid != '\0' &&
	    strcmp(precondition_uid, e->uid) != 0) {
		err = uid_mismatch(precondition_uid, e->uid, diag);
		goto out;
	}
	err = parse_ver(e->cur, &obj);
	if (err != MAPI_OK) {
		goto out;
	}
	grace = effective_grace(ref, obj, grace_seconds);
	now_ns = mapi_clock_now_ns(store->clock);
	if (grace == 0) {
		err = remove_now(store, idx, &result);
		if (err == MAPI_OK) {
			set_next_due(store);
		}
	} else if (e->delete_at_ns != 0 &&
	           e->delete_at_ns <= now_ns + grace * MAPI_NS_PER_SEC) {
		result = obj; /* already terminating sooner: unchanged */
		obj = NULL;
	} else {
		err = mark_terminating(store, e, obj, grace, now_ns);
		result = obj;
		obj = NULL;
	}
	if (err != MAPI_OK) {
		goto out;
	}
	note_sync(store, &ps);
out:
	pthread_rwlock_unlock(&store->lock);
	if (err == MAPI_OK) {
		err = sync_wait(&ps);
	}
	if (err == MAPI_OK && out_deleted != NULL) {
		*out_deleted = result;
		result = NULL;
	}
	cJSON_Delete(obj);
	cJSON_Delete(result);
	return err;
}

/* ---- dump / load ---- */

enum mapi_err
mapi_store_dump(struct mapi_store *store, struct cJSON **out_dump)
{
	cJSON *dump = NULL, *arr, *obj = NULL;
	char buf[24];
	enum mapi_err err = MAPI_ENOMEM;
	size_t i;

	maybe_run_due(store);
	pthread_rwlock_rdlock(&store->lock);
	dump = cJSON_CreateObject();
	rv_string(store->rv, buf);
	if (dump == NULL || !cJSON_AddStringToObject(dump, "resourceVersion",
	                                             buf)) {
		goto out;
	}
	rv_string(store->seq, buf);
	if (!cJSON_AddStringToObject(dump, "seq", buf)) {
		goto out;
	}
	arr = cJSON_AddArrayToObject(dump, "objects");
	if (arr == NULL) {
		goto out;
	}
	for (i = 0; i < store->n; i++) {
		const struct entry *e = store->ents[i];
		cJSON *item = cJSON_CreateObject();

		if (item == NULL || !cJSON_AddItemToArray(arr, item)) {
			cJSON_Delete(item);
			goto out;
		}
		if (!cJSON_AddStringToObject(item, "group", e->loc.group) ||
		    !cJSON_AddStringToObject(item, "resource",
		                             e->loc.resource) ||
		    parse_ver(e->cur, &obj) != MAPI_OK ||
		    !cJSON_AddItemToObject(item, "object", obj)) {
			goto out;
		}
		obj = NULL;
	}
	*out_dump = dump;
	dump = NULL;
	err = MAPI_OK;
out:
	pthread_rwlock_unlock(&store->lock);
	cJSON_Delete(obj);
	cJSON_Delete(dump);
	return err;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *const *x = a, *const *y = b;

	return strcmp((*x)->loc.key, (*y)->loc.key);
}

static bool
parse_rv(const char *s, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9') {
		return false;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0') {
		return false;
	}
	*out = v;
	return true;
}

/* One dump item → a new entry (not inserted). */
static enum mapi_err
load_item(struct mapi_store *store, const cJSON *item, size_t i,
          struct entry **out, uint64_t *max_rv, struct mapi_diag *diag)
{
	const cJSON *obj = cJSON_GetObjectItemCaseSensitive(item, "object");
	const cJSON *meta = mapi_json_get_object(obj, "metadata");
	const char *group = mapi_json_get_string(item, "group");
	const char *dt = mapi_json_get_string(meta, "deletionTimestamp");
	struct mapi_store_ref ref = {
		.group = group,
		.resource = mapi_json_get_string(item, "resource"),
		.ns = mapi_json_get_string(meta, "namespace"),
		.name = mapi_json_get_string(meta, "name"),
	};
	const char *uid = mapi_json_get_string(meta, "uid");
	struct entry *e = NULL;
	char *key = NULL;
	uint64_t rv;
	enum mapi_err err;

	if (group == NULL || !cJSON_IsObject(obj) || uid == NULL ||
	    strlen(uid) > UID_LEN ||
	    !parse_rv(mapi_json_get_string(meta, "resourceVersion"), &rv)) {
		mapi_diag_set(diag, "objects[%zu]: needs group, resource and an "
		                    "object with metadata.uid and "
		                    "resourceVersion",
		              i);
		return MAPI_EINVAL;
	}
	err = make_key(&ref, ref.name, &key);
	if (err == MAPI_EINVAL) {
		mapi_diag_set(diag, "objects[%zu]: bad resource, namespace or "
		                    "name",
		              i);
	}
	if (err != MAPI_OK) {
		return err;
	}
	e = calloc(1, sizeof(*e));
	err = e == NULL ? MAPI_ENOMEM : loc_from_key(key, &e->loc);
	if (err == MAPI_OK) {
		err = ver_new(store, obj, rv, &e->cur, diag);
	}
	free(key);
	if (err != MAPI_OK) {
		entry_free(e);
		return err;
	}
	(void)snprintf(e->uid, sizeof(e->uid), "%s", uid);
	if (dt != NULL) {
		int64_t t;

		if (mapi_time_parse_rfc3339(dt, &t) == MAPI_OK) {
			e->delete_at_ns = t != 0 ? t : 1;
		}
	}
	if (rv > *max_rv) {
		*max_rv = rv;
	}
	*out = e;
	return MAPI_OK;
}

enum mapi_err
mapi_store_load(struct mapi_store *store, const struct cJSON *dump,
                struct mapi_diag *diag)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(dump, "objects");
	const char *seq_text = mapi_json_get_string(dump, "seq");
	struct entry **ents = NULL;
	struct pending_sync ps = { 0 };
	uint64_t max_rv = 0, drv = 0, dseq = 0;
	size_t n = 0, count, i;
	enum mapi_err err = MAPI_OK;

	if (!cJSON_IsArray(arr) ||
	    !parse_rv(mapi_json_get_string(dump, "resourceVersion"), &drv) ||
	    (seq_text != NULL && !parse_rv(seq_text, &dseq))) {
		mapi_diag_set(diag, "a store dump needs resourceVersion and "
		                    "objects (and seq, if any, a number)");
		return MAPI_EINVAL;
	}
	count = (size_t)cJSON_GetArraySize(arr);
	if (count > store->opts.max_objects) {
		mapi_diag_set(diag, "the dump has %zu objects; the limit is %zu",
		              count, store->opts.max_objects);
		return MAPI_ETOOMANY;
	}
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): T *[] */
	ents = calloc(count + 1, sizeof(*ents));
	if (ents == NULL) {
		return MAPI_ENOMEM;
	}
	for (n = 0; n < count && err == MAPI_OK; n++) {
		err = load_item(store, cJSON_GetArrayItem(arr, (int)n), n,
		                &ents[n], &max_rv, diag);
	}
	if (err != MAPI_OK) {
		n--; /* ents[n] was not filled */
		goto out;
	}
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): T *[] */
	qsort(ents, n, sizeof(*ents), entry_cmp);
	for (i = 1; i < n; i++) {
		if (strcmp(ents[i - 1]->loc.key, ents[i]->loc.key) == 0) {
			mapi_diag_set(diag, "objects: %s appears twice",
			              ents[i]->loc.key);
			err = MAPI_EINVAL;
			goto out;
		}
	}
	pthread_rwlock_wrlock(&store->lock);
	clear_entries(store);
	free(store->ents);
	store->ents = ents;
	store->n = store->cap = n;
	ents = NULL;
	history_clear(store);
	store->rv = drv > max_rv ? drv : max_rv;
	store->hist_floor = store->rv;
	close_all_watchers(store);
	set_next_due(store);
	if (dseq > store->seq) {
		store->seq = dseq;
	}
	commit(store, MAPI_STORE_CHANGE_LOADED, NULL, NULL);
	note_sync(store, &ps);
	pthread_rwlock_unlock(&store->lock);
	err = sync_wait(&ps);
out:
	if (ents != NULL) {
		for (i = 0; i < n; i++) {
			entry_free(ents[i]);
		}
		free(ents);
	}
	return err;
}

/* ---- watch ---- */

static enum mapi_err
watch_init(struct mapi_store_watch *w, const struct mapi_watch_opts *opts,
           struct mapi_diag *diag)
{
	const char *group = str_or_empty(opts->group);
	const char *ns = str_or_empty(opts->ns);
	enum mapi_err err;

	w->group = strdup(group);
	w->resource = strdup(opts->resource);
	if (*ns != '\0') {
		w->ns = strdup(ns);
	}
	if (w->group == NULL || w->resource == NULL ||
	    (*ns != '\0' && w->ns == NULL)) {
		return MAPI_ENOMEM;
	}
	err = mapi_label_selector_parse(opts->label_selector, &w->lsel, diag);
	if (err == MAPI_OK) {
		err = mapi_field_selector_parse(
		        opts->field_selector,
		        supported_fields(group, opts->resource), &w->fsel, diag);
	}
	return err;
}

static void
watch_destroy(struct mapi_store_watch *w)
{
	drain(w);
	free(w->group);
	free(w->resource);
	free(w->ns);
	mapi_label_selector_free(w->lsel);
	mapi_field_selector_free(w->fsel);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cond);
	free(w);
}

/* Queues the initial ADDED events or the replay (write lock held). */
static enum mapi_err
watch_prime(struct mapi_store *store, struct mapi_store_watch *w,
            bool initial, uint64_t since)
{
	size_t i;

	w->limit = (size_t)-1; /* the priming events are not bounded here */
	if (initial) {
		for (i = 0; i < store->n; i++) {
			struct entry *e = store->ents[i];
			struct event *ev;

			if (!watch_wants(w, &e->loc) ||
			    !sel_matches(w->lsel, w->fsel, &e->loc, e->cur)) {
				continue;
			}
			ev = event_new(MAPI_WATCH_ADDED, &e->loc, e->cur);
			if (ev == NULL) {
				return MAPI_ENOMEM;
			}
			enqueue(w, ev, MAPI_WATCH_ADDED);
			event_unref(ev);
		}
	} else {
		for (i = 0; i < store->hist_n; i++) {
			struct event *ev = store->hist[(store->hist_head + i) %
			                               store->opts.history];

			if (ev->ver->rv > since && watch_wants(w, &ev->loc) &&
			    sel_matches(w->lsel, w->fsel, &ev->loc, ev->ver)) {
				enqueue(w, ev, ev->type);
			}
		}
	}
	if (w->closed) {
		return MAPI_ENOMEM;
	}
	w->limit = w->qlen + store->opts.watch_queue;
	return MAPI_OK;
}

enum mapi_err
mapi_store_watch_new(struct mapi_store *store,
                     const struct mapi_watch_opts *opts,
                     struct mapi_store_watch **out_watch,
                     struct mapi_diag *diag)
{
	struct mapi_store_watch *w = NULL;
	pthread_condattr_t ca;
	uint64_t since = 0;
	bool initial;
	enum mapi_err err;

	if (opts == NULL || opts->resource == NULL ||
	    !part_ok(opts->resource, false)) {
		return MAPI_EINVAL;
	}
	initial = opts->since_rv == NULL || *opts->since_rv == '\0' ||
	          strcmp(opts->since_rv, "0") == 0;
	if (!initial && !parse_rv(opts->since_rv, &since)) {
		mapi_diag_set(diag, "invalid resource version \"%s\"",
		              opts->since_rv);
		return MAPI_EINVAL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		return MAPI_ENOMEM;
	}
	if (pthread_condattr_init(&ca) != 0) {
		free(w);
		return MAPI_ENOMEM;
	}
	(void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	(void)pthread_mutex_init(&w->mu, NULL);
	(void)pthread_cond_init(&w->cond, &ca);
	(void)pthread_condattr_destroy(&ca);
	w->store = store;
	err = watch_init(w, opts, diag);
	if (err != MAPI_OK) {
		watch_destroy(w);
		return err;
	}
	maybe_run_due(store);
	pthread_rwlock_wrlock(&store->lock);
	if (store->nwatchers >= store->opts.max_watchers) {
		mapi_diag_set(diag, "too many watchers (%zu)",
		              store->opts.max_watchers);
		err = MAPI_ETOOMANY;
	} else if (!initial && since < store->hist_floor) {
		mapi_diag_set(diag,
		              "too old resource version: %" PRIu64
		              " (%" PRIu64 ")",
		              since, store->hist_floor + 1);
		err = MAPI_EGONE;
	} else {
		err = watch_prime(store, w, initial, since);
	}
	if (err == MAPI_OK) {
		w->next = store->watchers;
		if (w->next != NULL) {
			w->next->prev = w;
		}
		store->watchers = w;
		store->nwatchers++;
	}
	pthread_rwlock_unlock(&store->lock);
	if (err != MAPI_OK) {
		watch_destroy(w);
		return err;
	}
	*out_watch = w;
	return MAPI_OK;
}

enum mapi_err
mapi_store_watch_next(struct mapi_store_watch *w, int64_t timeout_ns,
                      struct mapi_watch_event **out_event)
{
	struct timespec deadline;
	struct qnode *q = NULL;
	struct mapi_watch_event *ev;
	enum mapi_err err;

	(void)clock_gettime(CLOCK_MONOTONIC, &deadline);
	if (timeout_ns > 0) {
		int64_t ns = deadline.tv_nsec + timeout_ns % MAPI_NS_PER_SEC;

		deadline.tv_sec += (time_t)(timeout_ns / MAPI_NS_PER_SEC +
		                            ns / MAPI_NS_PER_SEC);
		deadline.tv_nsec = (long)(ns % MAPI_NS_PER_SEC);
	}
	pthread_mutex_lock(&w->mu);
	while (w->head == NULL && !w->closed && timeout_ns > 0) {
		if (pthread_cond_timedwait(&w->cond, &w->mu, &deadline) ==
		    ETIMEDOUT) {
			break;
		}
	}
	if (w->head != NULL) {
		q = w->head;
		w->head = q->next;
		if (w->head == NULL) {
			w->tail = NULL;
		}
		w->qlen--;
	}
	err = q == NULL && w->closed ? MAPI_EUNAVAILABLE : MAPI_OK;
	pthread_mutex_unlock(&w->mu);
	if (q == NULL) {
		if (err == MAPI_OK) {
			*out_event = NULL;
		}
		return err;
	}
	ev = calloc(1, sizeof(*ev));
	err = ev == NULL ? MAPI_ENOMEM : parse_ver(q->ev->ver, &ev->object);
	if (err == MAPI_OK) {
		ev->type = q->type;
		*out_event = ev;
		ev = NULL;
	}
	free(ev);
	event_unref(q->ev);
	free(q);
	return err;
}

void
mapi_store_watch_set_notify(struct mapi_store_watch *w,
                            mapi_store_watch_notify_fn *fn, void *arg)
{
	pthread_mutex_lock(&w->mu);
	w->notify = fn;
	w->notify_arg = arg;
	if (fn != NULL && (w->head != NULL || w->closed)) {
		fn(arg);
	}
	pthread_mutex_unlock(&w->mu);
}

void
mapi_store_watch_close(struct mapi_store_watch *w)
{
	if (w == NULL) {
		return;
	}
	pthread_mutex_lock(&w->mu);
	close_locked(w);
	pthread_mutex_unlock(&w->mu);
}

void
mapi_store_watch_free(struct mapi_store_watch *w)
{
	struct mapi_store *store;

	if (w == NULL) {
		return;
	}
	store = w->store;
	pthread_rwlock_wrlock(&store->lock);
	if (w->prev != NULL) {
		w->prev->next = w->next;
	} else {
		store->watchers = w->next;
	}
	if (w->next != NULL) {
		w->next->prev = w->prev;
	}
	store->nwatchers--;
	pthread_rwlock_unlock(&store->lock);
	watch_destroy(w);
}

void
mapi_watch_event_free(struct mapi_watch_event *event)
{
	if (event == NULL) {
		return;
	}
	cJSON_Delete(event->object);
	free(event);
}
