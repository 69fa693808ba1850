/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* flock */
#include "state/statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "server/json.h"
#include "state/store.h"

#define DEFAULT_COMPACT_BYTES  ((size_t)4 * 1024 * 1024)
#define DEFAULT_MAX_FILE_BYTES ((size_t)1024 * 1024 * 1024)

/* A growable byte buffer; ok is false once an allocation failed. */
struct buf {
	char *p;
	size_t len, cap;
};

struct mapi_statefile {
	struct mapi_statefile_opts opts;
	char *dir;
	char *snap_path;
	char *journal_path;
	int dir_fd; /* holds the flock */
	int jfd;    /* store.journal, O_APPEND; -1 until attached */
	struct mapi_store *store; /* attached (borrowed) */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* Everything below is under mu. */
	struct buf pending;   /* lines committed, not yet written */
	uint64_t pending_seq; /* seq of the last line committed */
	uint64_t pending_lines;
	uint64_t snapshot_seq; /* seq the last snapshot covers */
	bool busy;             /* one thread is writing or compacting */
	bool broken;           /* the journal may lack a change */
	bool need_compact;
	struct mapi_statefile_stats st;
};

/* ---- buffer ---- */

static bool
buf_put(struct buf *b, const void *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1) {
			cap *= 2;
		}
		p = realloc(b->p, cap);
		if (p == NULL) {
			return false;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return true;
}

static bool
buf_puts(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

/* s as a JSON string literal (group and resource names: short). */
static bool
buf_json_string(struct buf *b, const char *s)
{
	bool ok = buf_put(b, "\"", 1);

	for (; ok && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			ok = buf_put(b, esc, 2);
		} else if (c < 0x20) {
			(void)snprintf(esc, sizeof(esc), "\\u%04x", c);
			ok = buf_put(b, esc, 6);
		} else {
			ok = buf_put(b, s, 1);
		}
	}
	return ok && buf_put(b, "\"", 1);
}

static void
buf_fini(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static const char *const op_names[] = {
	[MAPI_STORE_CHANGE_ADDED] = "ADDED",
	[MAPI_STORE_CHANGE_MODIFIED] = "MODIFIED",
	[MAPI_STORE_CHANGE_DELETED] = "DELETED",
	[MAPI_STORE_CHANGE_RESET] = "RESET",
	[MAPI_STORE_CHANGE_LOADED] = "LOADED",
};

/* One journal line for c; on failure b is left as it was. */
static bool
append_line(struct buf *b, const struct mapi_store_change *c)
{
	size_t mark = b->len;
	char head[64];
	bool ok;

	(void)snprintf(head, sizeof(head), "{\"seq\":%" PRIu64 ",\"op\":\"%s\"",
	               c->seq, op_names[c->op]);
	ok = buf_puts(b, head);
	if (ok && c->object != NULL) {
		ok = buf_puts(b, ",\"group\":") &&
		     buf_json_string(b, c->group != NULL ? c->group : "") &&
		     buf_puts(b, ",\"resource\":") &&
		     buf_json_string(b,
		                     c->resource != NULL ? c->resource : "") &&
		     buf_puts(b, ",\"object\":") &&
		     buf_put(b, c->object, c->object_len);
	}
	ok = ok && buf_puts(b, "}\n");
	if (!ok) {
		b->len = mark;
		if (b->p != NULL) {
			b->p[mark] = '\0';
		}
	}
	return ok;
}

/* ---- I/O helpers ---- */

static char *
join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p != NULL) {
		(void)snprintf(p, n, "%s/%s", dir, name);
	}
	return p;
}

static bool
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static bool
parse_u64(const char *s, uint64_t *out)
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

/* ---- the write path ---- */

/*
 * Writes and fdatasyncs everything pending. Called with mu held and busy
 * set; drops mu for the I/O.
 */
static enum mapi_err
flush_unlocked(struct mapi_statefile *sf, struct mapi_diag *diag)
{
	struct buf b = sf->pending;
	uint64_t target = sf->pending_seq;
	uint64_t lines = sf->pending_lines;
	bool ok = true;
	int e = 0;

	memset(&sf->pending, 0, sizeof(sf->pending));
	sf->pending_lines = 0;
	pthread_mutex_unlock(&sf->mu);
	if (b.len > 0) {
		ok = write_all(sf->jfd, b.p, b.len) && fdatasync(sf->jfd) == 0;
		e = errno;
	}
	pthread_mutex_lock(&sf->mu);
	if (!ok) {
		/* Part of b may be in the file: only a snapshot repairs it. */
		sf->broken = true;
		mapi_diag_set(diag, "cannot write %s: %s", sf->journal_path,
		              strerror(e));
		buf_fini(&b);
		return MAPI_EIO;
	}
	if (target > sf->st.durable_seq) {
		sf->st.durable_seq = target;
	}
	sf->st.journal_bytes += b.len;
	sf->st.journal_lines += lines;
	if (b.len > 0) {
		sf->st.flushes++;
	}
	buf_fini(&b);
	return MAPI_OK;
}

/* The store as one JSON document, and the seq it covers. */
static enum mapi_err
snapshot_text(struct mapi_store *store, char **out_text, size_t *out_len,
              uint64_t *out_seq)
{
	cJSON *dump = NULL;
	char *text;
	uint64_t seq = 0;
	enum mapi_err err;

	err = mapi_store_dump(store, &dump);
	if (err != MAPI_OK) {
		return err;
	}
	if (!parse_u64(mapi_json_get_string(dump, "seq"), &seq)) {
		cJSON_Delete(dump);
		return MAPI_EINTERNAL;
	}
	text = cJSON_PrintUnformatted(dump);
	cJSON_Delete(dump);
	if (text == NULL) {
		return MAPI_ENOMEM;
	}
	*out_text = text;
	*out_len = strlen(text);
	*out_seq = seq;
	return MAPI_OK;
}

/*
 * Writes store.json and truncates the journal. Called with mu held and
 * busy set; drops mu for the I/O.
 */
static enum mapi_err
compact_unlocked(struct mapi_statefile *sf, struct mapi_diag *diag)
{
	char *text = NULL;
	size_t len = 0;
	uint64_t seq = 0;
	enum mapi_err err;
	bool truncated = false;
	int e = 0;

	pthread_mutex_unlock(&sf->mu);
	err = snapshot_text(sf->store, &text, &len, &seq);
	if (err == MAPI_OK) {
		err = mapi_file_write_atomic(sf->snap_path, text, len, 0600,
		                             diag);
	}
	if (err == MAPI_OK) {
		truncated =
			ftruncate(sf->jfd, 0) == 0 && fdatasync(sf->jfd) == 0;
		e = errno;
	}
	cJSON_free(text);
	pthread_mutex_lock(&sf->mu);
	if (err != MAPI_OK) {
		return err;
	}
	/* The snapshot is durable: it covers every change up to seq. */
	if (seq > sf->st.durable_seq) {
		sf->st.durable_seq = seq;
	}
	sf->snapshot_seq = seq;
	sf->st.snapshot_bytes = len;
	sf->st.compactions++;
	sf->need_compact = false;
	if (!truncated) {
		/* Old lines stay (replay skips them by seq), but a torn one
		 * among them would hide later lines: still broken. */
		sf->broken = true;
		mapi_diag_set(diag, "cannot truncate %s: %s", sf->journal_path,
		              strerror(e));
		return MAPI_EIO;
	}
	sf->broken = false;
	sf->st.journal_bytes = 0;
	sf->st.journal_lines = 0;
	if (sf->pending_seq <= seq) {
		/* Every pending line is in the snapshot already. */
		sf->pending.len = 0;
		sf->pending_lines = 0;
	}
	return MAPI_OK;
}

static bool
over_bound(const struct mapi_statefile *sf)
{
	size_t bound = sf->opts.compact_bytes;

	if (sf->st.snapshot_bytes > bound) {
		bound = sf->st.snapshot_bytes;
	}
	return sf->st.journal_bytes > bound;
}

/*
 * Makes every change up to seq durable (group commit); with snapshot, also
 * writes a snapshot that starts after this call. mu held on entry and
 * exit.
 */
static enum mapi_err
advance_locked(struct mapi_statefile *sf, uint64_t seq, bool snapshot,
               struct mapi_diag *diag)
{
	enum mapi_err err = MAPI_OK;

	for (;;) {
		if (!snapshot && sf->st.durable_seq >= seq) {
			break;
		}
		if (sf->busy) {
			pthread_cond_wait(&sf->cv, &sf->mu);
			continue;
		}
		sf->busy = true;
		if (snapshot || sf->broken || sf->need_compact) {
			err = compact_unlocked(sf, diag);
			if (err == MAPI_OK) {
				snapshot = false;
			}
		} else {
			err = flush_unlocked(sf, diag);
			if (err == MAPI_OK && over_bound(sf)) {
				err = compact_unlocked(sf, diag);
			}
		}
		sf->busy = false;
		pthread_cond_broadcast(&sf->cv);
		if (err != MAPI_OK) {
			break;
		}
	}
	return err;
}

/* Store hook: under the store's write lock. Never blocks on I/O. */
static void
on_commit(const struct mapi_store_change *c, void *payload)
{
	struct mapi_statefile *sf = payload;

	pthread_mutex_lock(&sf->mu);
	if (append_line(&sf->pending, c)) {
		sf->pending_lines++;
	} else {
		sf->broken = true; /* out of memory: the next sync snapshots */
	}
	sf->pending_seq = c->seq;
	if (c->op == MAPI_STORE_CHANGE_LOADED) {
		sf->need_compact = true;
	}
	pthread_mutex_unlock(&sf->mu);
}

/* Store hook: no store lock held. */
static enum mapi_err
on_sync(uint64_t seq, void *payload)
{
	struct mapi_statefile *sf = payload;
	enum mapi_err err;

	pthread_mutex_lock(&sf->mu);
	err = advance_locked(sf, seq, false, NULL);
	pthread_mutex_unlock(&sf->mu);
	return err;
}

/* ---- open / close ---- */

enum mapi_err
mapi_statefile_open(const char *dir, const struct mapi_statefile_opts *opts,
                    struct mapi_statefile **out_sf, struct mapi_diag *diag)
{
	struct mapi_statefile *sf = NULL;
	enum mapi_err err = MAPI_ENOMEM;

	if (dir == NULL || *dir == '\0') {
		return MAPI_EINVAL;
	}
	sf = calloc(1, sizeof(*sf));
	if (sf == NULL) {
		return MAPI_ENOMEM;
	}
	sf->dir_fd = -1;
	sf->jfd = -1;
	if (opts != NULL) {
		sf->opts = *opts;
	}
	if (sf->opts.compact_bytes == 0) {
		sf->opts.compact_bytes = DEFAULT_COMPACT_BYTES;
	}
	if (sf->opts.max_file_bytes == 0) {
		sf->opts.max_file_bytes = DEFAULT_MAX_FILE_BYTES;
	}
	if (pthread_mutex_init(&sf->mu, NULL) != 0) {
		free(sf);
		return MAPI_ENOMEM;
	}
	if (pthread_cond_init(&sf->cv, NULL) != 0) {
		pthread_mutex_destroy(&sf->mu);
		free(sf);
		return MAPI_ENOMEM;
	}
	sf->dir = strdup(dir);
	sf->snap_path = join(dir, MAPI_STATEFILE_SNAPSHOT);
	sf->journal_path = join(dir, MAPI_STATEFILE_JOURNAL);
	if (sf->dir == NULL || sf->snap_path == NULL ||
	    sf->journal_path == NULL) {
		goto out;
	}
	sf->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sf->dir_fd < 0) {
		mapi_diag_set(diag, "cannot open state dir %s: %s", dir,
		              strerror(errno));
		err = MAPI_EIO;
		goto out;
	}
	if (flock(sf->dir_fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK) {
			mapi_diag_set(
				diag,
				"state dir %s is in use by another mockapi",
				dir);
			err = MAPI_EUNAVAILABLE;
		} else {
			mapi_diag_set(diag, "cannot lock state dir %s: %s", dir,
			              strerror(errno));
			err = MAPI_EIO;
		}
		goto out;
	}
	*out_sf = sf;
	sf = NULL;
	err = MAPI_OK;
out:
	mapi_statefile_free(sf);
	return err;
}

void
mapi_statefile_free(struct mapi_statefile *sf)
{
	if (sf == NULL) {
		return;
	}
	if (sf->store != NULL) {
		mapi_store_set_commit_hook(sf->store, NULL, NULL, NULL);
	}
	if (sf->jfd >= 0) {
		(void)close(sf->jfd);
	}
	if (sf->dir_fd >= 0) {
		(void)close(sf->dir_fd); /* releases the flock */
	}
	buf_fini(&sf->pending);
	pthread_cond_destroy(&sf->cv);
	pthread_mutex_destroy(&sf->mu);
	free(sf->journal_path);
	free(sf->snap_path);
	free(sf->dir);
	free(sf);
}

enum mapi_err
mapi_statefile_close(struct mapi_statefile *sf, struct mapi_diag *diag)
{
	enum mapi_err err = MAPI_OK;

	if (sf == NULL) {
		return MAPI_OK;
	}
	if (sf->store != NULL) {
		uint64_t seq = mapi_store_seq(sf->store);

		pthread_mutex_lock(&sf->mu);
		if (seq != sf->snapshot_seq || sf->st.journal_bytes > 0 ||
		    sf->broken || sf->pending.len > 0) {
			err = advance_locked(sf, seq, true, diag);
		}
		pthread_mutex_unlock(&sf->mu);
	}
	mapi_statefile_free(sf);
	return err;
}

enum mapi_err
mapi_statefile_attach(struct mapi_statefile *sf, struct mapi_store *store,
                      struct mapi_diag *diag)
{
	enum mapi_err err;

	if (sf->store != NULL || store == NULL) {
		return MAPI_EINVAL;
	}
	sf->jfd = open(sf->journal_path,
	               O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (sf->jfd < 0 || fchmod(sf->jfd, 0600) != 0) {
		mapi_diag_set(diag, "cannot open %s: %s", sf->journal_path,
		              strerror(errno));
		if (sf->jfd >= 0) {
			(void)close(sf->jfd);
			sf->jfd = -1;
		}
		return MAPI_EIO;
	}
	sf->store = store;
	mapi_store_set_commit_hook(store, on_commit, on_sync, sf);
	pthread_mutex_lock(&sf->mu);
	err = advance_locked(sf, 0, true, diag);
	pthread_mutex_unlock(&sf->mu);
	if (err != MAPI_OK) {
		mapi_store_set_commit_hook(store, NULL, NULL, NULL);
		sf->store = NULL;
		(void)close(sf->jfd);
		sf->jfd = -1;
	}
	return err;
}

enum mapi_err
mapi_statefile_compact(struct mapi_statefile *sf, struct mapi_diag *diag)
{
	enum mapi_err err;

	if (sf->store == NULL) {
		return MAPI_EINVAL;
	}
	pthread_mutex_lock(&sf->mu);
	err = advance_locked(sf, 0, true, diag);
	pthread_mutex_unlock(&sf->mu);
	return err;
}

void
mapi_statefile_stats(struct mapi_statefile *sf,
                     struct mapi_statefile_stats *out_stats)
{
	pthread_mutex_lock(&sf->mu);
	*out_stats = sf->st;
	pthread_mutex_unlock(&sf->mu);
}

/* ---- restore ---- */

/* Objects by "group/resource/ns/name"; a removed one keeps its slot with
 * item NULL (re-adding reuses it). Open addressing, linear probing. */
struct objmap {
	struct slot {
		char *key;
		cJSON *item; /* {"group","resource","object"} or NULL */
	} * slots;
	size_t cap, used;
};

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (; *s != '\0'; s++) {
		h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
	}
	return h;
}

static struct slot *
map_slot(struct objmap *m, const char *key)
{
	size_t i = (size_t)fnv1a(key) & (m->cap - 1);

	while (m->slots[i].key != NULL && strcmp(m->slots[i].key, key) != 0) {
		i = (i + 1) & (m->cap - 1);
	}
	return &m->slots[i];
}

static bool
map_grow(struct objmap *m)
{
	struct objmap n = { .cap = m->cap != 0 ? m->cap * 2 : 1024 };
	size_t i;

	n.slots = calloc(n.cap, sizeof(*n.slots));
	if (n.slots == NULL) {
		return false;
	}
	for (i = 0; i < m->cap; i++) {
		if (m->slots[i].key != NULL) {
			*map_slot(&n, m->slots[i].key) = m->slots[i];
			n.used++;
		}
	}
	free(m->slots);
	*m = n;
	return true;
}

/* Sets key to item (taking it; NULL removes). false on ENOMEM. */
static bool
map_set(struct objmap *m, const char *key, cJSON *item)
{
	struct slot *s;

	if ((m->used + 1) * 2 > m->cap && !map_grow(m)) {
		cJSON_Delete(item);
		return false;
	}
	s = map_slot(m, key);
	if (s->key == NULL) {
		if (item == NULL) {
			return true;
		}
		s->key = strdup(key);
		if (s->key == NULL) {
			cJSON_Delete(item);
			return false;
		}
		m->used++;
	}
	cJSON_Delete(s->item);
	s->item = item;
	return true;
}

static void
map_clear(struct objmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		cJSON_Delete(m->slots[i].item);
		m->slots[i].item = NULL;
	}
}

static void
map_fini(struct objmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		free(m->slots[i].key);
		cJSON_Delete(m->slots[i].item);
	}
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* The map key of a dump item; NULL if it lacks the parts (or ENOMEM). */
static char *
item_key(const cJSON *item)
{
	const cJSON *meta = mapi_json_get_object(
		cJSON_GetObjectItemCaseSensitive(item, "object"), "metadata");
	const char *g = mapi_json_get_string(item, "group");
	const char *r = mapi_json_get_string(item, "resource");
	const char *ns = mapi_json_get_string(meta, "namespace");
	const char *name = mapi_json_get_string(meta, "name");
	size_t n;
	char *k;

	if (g == NULL || r == NULL || name == NULL) {
		return NULL;
	}
	ns = ns != NULL ? ns : "";
	n = strlen(g) + strlen(r) + strlen(ns) + strlen(name) + 4;
	k = malloc(n);
	if (k != NULL) {
		(void)snprintf(k, n, "%s/%s/%s/%s", g, r, ns, name);
	}
	return k;
}

static uint64_t
object_rv(const cJSON *obj)
{
	uint64_t rv = 0;

	(void)parse_u64(
		mapi_json_get_path_string(obj, "metadata.resourceVersion"),
		&rv);
	return rv;
}

/* Restore state: the objects and counters being rebuilt. */
struct replay {
	struct objmap map;
	uint64_t rv;
	uint64_t seq;
	uint64_t applied;
	bool stopped; /* at a torn line or a LOADED line */
};

/* Puts a dump or journal item into the map (takes item). */
static enum mapi_err
replay_put(struct replay *rp, cJSON *item, bool remove)
{
	char *key = item_key(item);
	bool ok;

	if (key == NULL) {
		cJSON_Delete(item);
		return MAPI_EINVAL;
	}
	if (remove) {
		cJSON_Delete(item);
		item = NULL;
	}
	ok = map_set(&rp->map, key, item);
	free(key);
	return ok ? MAPI_OK : MAPI_ENOMEM;
}

static enum mapi_err
replay_snapshot(struct replay *rp, const char *text, size_t len,
                const char *path, struct mapi_diag *diag)
{
	cJSON *dump = NULL, *arr, *item;
	struct mapi_diag pd = { 0 };
	enum mapi_err err;
	size_t i = 0;

	err = mapi_json_parse(text, len, &dump, &pd);
	if (err != MAPI_OK) {
		mapi_diag_set(diag, "%s: %s", path, pd.msg);
		return MAPI_EINVAL;
	}
	arr = cJSON_GetObjectItemCaseSensitive(dump, "objects");
	if (!cJSON_IsArray(arr) ||
	    !parse_u64(mapi_json_get_string(dump, "resourceVersion"),
	               &rp->rv) ||
	    !parse_u64(mapi_json_get_string(dump, "seq"), &rp->seq)) {
		mapi_diag_set(diag, "%s: not a store snapshot", path);
		cJSON_Delete(dump);
		return MAPI_EINVAL;
	}
	while (err == MAPI_OK && (item = cJSON_DetachItemFromArray(arr, 0))) {
		err = replay_put(rp, item, false);
		if (err == MAPI_EINVAL) {
			mapi_diag_set(diag,
			              "%s: objects[%zu]: needs group, "
			              "resource and object.metadata.name",
			              path, i);
		}
		i++;
	}
	cJSON_Delete(dump);
	return err;
}

/* Applies one parsed journal line (takes nothing; detaches the object). */
static enum mapi_err
replay_line(struct replay *rp, cJSON *line)
{
	const cJSON *seqv = cJSON_GetObjectItemCaseSensitive(line, "seq");
	const char *op = mapi_json_get_string(line, "op");
	const char *group, *resource;
	cJSON *item, *obj;
	uint64_t seq, rv;
	bool remove;

	if (!cJSON_IsNumber(seqv) || seqv->valuedouble < 1 || op == NULL) {
		return MAPI_EINVAL;
	}
	seq = (uint64_t)seqv->valuedouble;
	if (seq <= rp->seq) {
		return MAPI_OK; /* the snapshot has it */
	}
	if (strcmp(op, "LOADED") == 0) {
		rp->stopped = true;
		return MAPI_OK;
	}
	rp->seq = seq;
	rp->applied++;
	if (strcmp(op, "RESET") == 0) {
		map_clear(&rp->map);
		rp->rv = 0;
		return MAPI_OK;
	}
	if (strcmp(op, "ADDED") == 0 || strcmp(op, "MODIFIED") == 0) {
		remove = false;
	} else if (strcmp(op, "DELETED") == 0) {
		remove = true;
	} else {
		return MAPI_EINVAL;
	}
	group = mapi_json_get_string(line, "group");
	resource = mapi_json_get_string(line, "resource");
	obj = cJSON_DetachItemFromObjectCaseSensitive(line, "object");
	item = cJSON_CreateObject();
	if (!cJSON_IsObject(obj) || group == NULL || resource == NULL ||
	    item == NULL ||
	    mapi_json_set_string(item, "group", group) != MAPI_OK ||
	    mapi_json_set_string(item, "resource", resource) != MAPI_OK) {
		cJSON_Delete(obj);
		cJSON_Delete(item);
		return item == NULL ? MAPI_ENOMEM : MAPI_EINVAL;
	}
	rv = object_rv(obj);
	if (rv > rp->rv) {
		rp->rv = rv;
	}
	if (mapi_json_adopt(item, "object", obj) != MAPI_OK) {
		cJSON_Delete(item);
		return MAPI_ENOMEM;
	}
	return replay_put(rp, item, remove);
}

static enum mapi_err
replay_journal(struct replay *rp, const char *text, size_t len,
               const char *path, struct mapi_diag *diag)
{
	size_t pos = 0, lineno = 0;

	while (pos < len && !rp->stopped) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		cJSON *line;
		enum mapi_err err;

		lineno++;
		if (nl == NULL) {
			rp->stopped = true; /* torn: never newline-terminated */
			break;
		}
		line = cJSON_ParseWithLength(text + pos,
		                             (size_t)(nl - (text + pos)));
		if (!cJSON_IsObject(line)) {
			cJSON_Delete(line);
			rp->stopped = true; /* torn or never completed */
			break;
		}
		err = replay_line(rp, line);
		cJSON_Delete(line);
		if (err == MAPI_EINVAL) {
			mapi_diag_set(diag,
			              "%s: line %zu is not a journal "
			              "record",
			              path, lineno);
		}
		if (err != MAPI_OK) {
			return err;
		}
		pos = (size_t)(nl - text) + 1;
	}
	return MAPI_OK;
}

/* The rebuilt dump for mapi_store_load(). */
static enum mapi_err
replay_dump(struct replay *rp, cJSON **out)
{
	cJSON *dump = cJSON_CreateObject();
	cJSON *arr =
		dump != NULL ? cJSON_AddArrayToObject(dump, "objects") : NULL;
	char buf[24];
	size_t i;

	if (arr == NULL) {
		cJSON_Delete(dump);
		return MAPI_ENOMEM;
	}
	(void)snprintf(buf, sizeof(buf), "%" PRIu64, rp->rv);
	if (mapi_json_set_string(dump, "resourceVersion", buf) != MAPI_OK) {
		cJSON_Delete(dump);
		return MAPI_ENOMEM;
	}
	(void)snprintf(buf, sizeof(buf), "%" PRIu64, rp->seq);
	if (mapi_json_set_string(dump, "seq", buf) != MAPI_OK) {
		cJSON_Delete(dump);
		return MAPI_ENOMEM;
	}
	for (i = 0; i < rp->map.cap; i++) {
		struct slot *s = &rp->map.slots[i];

		if (s->item != NULL) {
			(void)cJSON_AddItemToArray(arr, s->item);
			s->item = NULL;
		}
	}
	*out = dump;
	return MAPI_OK;
}

/* Reads path whole (*out NULL if it does not exist). */
static enum mapi_err
read_optional(const char *path, size_t max, char **out, size_t *out_len,
              struct mapi_diag *diag)
{
	struct stat st;
	size_t want;

	if (stat(path, &st) != 0) {
		if (errno == ENOENT) {
			*out = NULL;
			*out_len = 0;
			return MAPI_OK;
		}
		mapi_diag_set(diag, "cannot stat %s: %s", path,
		              strerror(errno));
		return MAPI_EIO;
	}
	/* mapi_file_read allocates its bound: ask for the size we saw. The
	 * dir is locked, so the file does not grow under us. */
	want = (unsigned long long)st.st_size < max ? (size_t)st.st_size : max;
	return mapi_file_read(path, want, out, out_len, diag);
}

enum mapi_err
mapi_statefile_restore(struct mapi_statefile *sf, struct mapi_store *store,
                       bool *out_restored, struct mapi_diag *diag)
{
	struct replay rp = { 0 };
	char *snap = NULL, *journal = NULL;
	size_t snap_len = 0, journal_len = 0;
	cJSON *dump = NULL;
	enum mapi_err err;

	if (sf->store != NULL || store == NULL) {
		return MAPI_EINVAL;
	}
	err = read_optional(sf->snap_path, sf->opts.max_file_bytes, &snap,
	                    &snap_len, diag);
	if (err == MAPI_OK) {
		err = read_optional(sf->journal_path, sf->opts.max_file_bytes,
		                    &journal, &journal_len, diag);
	}
	if (err != MAPI_OK) {
		goto out;
	}
	if (snap == NULL && journal_len == 0) {
		*out_restored = false;
		goto out;
	}
	if (snap != NULL) {
		err = replay_snapshot(&rp, snap, snap_len, sf->snap_path, diag);
	}
	if (err == MAPI_OK && journal != NULL) {
		err = replay_journal(&rp, journal, journal_len,
		                     sf->journal_path, diag);
	}
	if (err == MAPI_OK) {
		err = replay_dump(&rp, &dump);
	}
	if (err == MAPI_OK) {
		struct mapi_diag ld = { 0 };

		err = mapi_store_load(store, dump, &ld);
		if (err != MAPI_OK) {
			mapi_diag_set(diag, "%s: %s", sf->snap_path, ld.msg);
		}
	}
	if (err != MAPI_OK) {
		goto out;
	}
	pthread_mutex_lock(&sf->mu);
	sf->st.replayed = rp.applied;
	sf->st.torn_tail = rp.stopped;
	pthread_mutex_unlock(&sf->mu);
	*out_restored = true;
out:
	cJSON_Delete(dump);
	map_fini(&rp.map);
	free(snap);
	free(journal);
	return err;
}
