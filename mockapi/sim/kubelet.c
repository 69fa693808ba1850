/* SPDX-License-Identifier: MIT */
#include "sim/kubelet.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim/clock.h"
#include "sim/events.h"

#define DATA_DIR   "..data"
#define DATA_TMP   "..data_tmp"
#define TSDIR_SIZE 64

static const char *const file_names[3] = { "token", "ca.crt", "namespace" };

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Clears a buffer that held a token; volatile so it is not elided. */
static void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0) {
		*v++ = 0;
	}
}

static void
wipe_free(void *p, size_t n)
{
	if (p != NULL) {
		wipe(p, n);
		free(p);
	}
}

static enum mapi_err
fs_err(struct mapi_diag *diag, const char *what, const char *path, int e)
{
	mapi_diag_set(diag, "kubelet volume: %s %s: %s", what, path,
	              strerror(e));
	return MAPI_EIO;
}

bool
mapi_kubelet_tsdir_name(int64_t now_ns, uint64_t rand, char *buf, size_t len)
{
	int64_t sec = now_ns / MAPI_NS_PER_SEC;
	struct tm tm;
	time_t t;
	int n;

	if (now_ns % MAPI_NS_PER_SEC < 0) {
		sec--;
	}
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 0) {
		return false;
	}
	n = snprintf(buf, len, "..%04d_%02d_%02d_%02d_%02d_%02d.%" PRIu32,
	             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	             tm.tm_min, tm.tm_sec, (uint32_t)rand);
	return n > 0 && (size_t)n < len;
}

/* mkdir -p with mode 0755 for missing components. */
static enum mapi_err
make_dirs(const char *dir, struct mapi_diag *diag)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);
	size_t i;

	if (n >= sizeof(path)) {
		mapi_diag_set(diag, "kubelet volume: path too long");
		return MAPI_EINVAL;
	}
	memcpy(path, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0') {
			continue;
		}
		path[i] = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			return fs_err(diag, "cannot create", path, errno);
		}
		path[i] = i < n ? '/' : '\0';
	}
	return MAPI_OK;
}

/* Reads up to max bytes of dirfd/path; *out_len = -1 if it is missing. */
static enum mapi_err
read_at(int dirfd, const char *path, size_t max, char **out_buf,
        ssize_t *out_len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t r;
	int fd;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*out_buf = NULL;
		*out_len = -1;
		return errno == ENOENT ? MAPI_OK : MAPI_EIO;
	}
	if (fstat(fd, &st) != 0 || st.st_size < 0 || (size_t)st.st_size > max) {
		(void)close(fd);
		*out_buf = NULL;
		*out_len = -1; /* treat as different */
		return MAPI_OK;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		(void)close(fd);
		return MAPI_ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			break;
		}
		got += (size_t)r;
	}
	(void)close(fd);
	*out_buf = buf;
	*out_len = (ssize_t)got;
	return MAPI_OK;
}

/* True when dirfd/<old>/<file> holds exactly data[0..len). */
static enum mapi_err
same_content(int dirfd, const char *old, const char *file, const char *data,
             size_t len, bool *out_same)
{
	char path[TSDIR_SIZE + 32];
	enum mapi_err err;
	ssize_t n;
	char *buf;

	(void)snprintf(path, sizeof(path), "%s/%s", old, file);
	err = read_at(dirfd, path, len, &buf, &n);
	if (err != MAPI_OK) {
		return err;
	}
	*out_same = n >= 0 && (size_t)n == len &&
	            (len == 0 || memcmp(buf, data, len) == 0);
	wipe_free(buf, n > 0 ? (size_t)n : 0);
	return MAPI_OK;
}

static enum mapi_err
write_at(int dirfd, const char *name, const char *data, size_t len,
         unsigned mode, struct mapi_diag *diag)
{
	size_t done = 0;
	ssize_t w;
	int fd, e;

	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		return fs_err(diag, "cannot create", name, errno);
	}
	while (done < len) {
		w = write(fd, data + done, len - done);
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			e = w < 0 ? errno : EIO;
			(void)close(fd);
			return fs_err(diag, "cannot write", name, e);
		}
		done += (size_t)w;
	}
	/* fchmod so the mode does not depend on the umask (as upstream). */
	if (fchmod(fd, (mode_t)mode) != 0 || fsync(fd) != 0) {
		e = errno;
		(void)close(fd);
		return fs_err(diag, "cannot finish", name, e);
	}
	if (close(fd) != 0) {
		return fs_err(diag, "cannot close", name, errno);
	}
	return MAPI_OK;
}

/* Removes dirfd/name and the files in it (one level, as we write it). */
static int
remove_tsdir(int dirfd, const char *name)
{
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(dirfd, name,
	            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		return errno == ENOENT ? 0 : errno;
	}
	d = fdopendir(fd);
	if (d == NULL) {
		int e = errno;

		(void)close(fd);
		return e;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0) {
			continue;
		}
		(void)unlinkat(fd, de->d_name, 0);
	}
	(void)closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
		return errno;
	}
	return 0;
}

/* Creates name -> ..data/name for each file, where missing (upstream). */
static enum mapi_err
visible_links(int dirfd, struct mapi_diag *diag)
{
	char target[32], buf[64];
	size_t i;

	for (i = 0; i < 3; i++) {
		if (readlinkat(dirfd, file_names[i], buf, sizeof(buf)) >= 0 ||
		    errno != ENOENT) {
			continue;
		}
		(void)snprintf(target, sizeof(target), DATA_DIR "/%s",
		               file_names[i]);
		if (symlinkat(target, dirfd, file_names[i]) != 0 &&
		    errno != EEXIST) {
			return fs_err(diag, "cannot link", file_names[i],
			              errno);
		}
	}
	return MAPI_OK;
}

/* Only a name we could have made: "..<something>", no '/', not ours. */
static bool
is_tsdir_name(const char *name)
{
	return strncmp(name, "..", 2) == 0 && name[2] != '\0' &&
	       strchr(name, '/') == NULL && strcmp(name, DATA_DIR) != 0 &&
	       strcmp(name, DATA_TMP) != 0;
}

enum mapi_err
mapi_kubelet_write_volume(const char *dir,
                          const struct mapi_volume_files *files, int64_t now_ns,
                          uint64_t rand, bool *out_written,
                          struct mapi_diag *diag)
{
	const char *data[3];
	size_t lens[3];
	unsigned modes[3];
	char old[TSDIR_SIZE] = "";
	char name[TSDIR_SIZE] = "";
	bool created = false, same = true;
	enum mapi_err err = MAPI_EINVAL;
	ssize_t n;
	size_t i;
	int dirfd = -1, tsfd = -1, tries, e;

	if (dir == NULL || dir[0] == '\0' || files == NULL ||
	    files->token == NULL || files->token_len == 0 ||
	    files->ns == NULL || (files->ca_crt == NULL && files->ca_len > 0) ||
	    files->token_len > MAPI_KUBELET_MAX_FILE ||
	    files->ca_len > MAPI_KUBELET_MAX_FILE ||
	    strlen(files->ns) > MAPI_KUBELET_MAX_FILE) {
		mapi_diag_set(diag, "kubelet volume: bad arguments");
		return MAPI_EINVAL;
	}
	data[0] = files->token;
	lens[0] = files->token_len;
	modes[0] = files->token_mode != 0 ? files->token_mode : 0644;
	data[1] = files->ca_crt != NULL ? files->ca_crt : "";
	lens[1] = files->ca_len;
	modes[1] = 0644;
	data[2] = files->ns;
	lens[2] = strlen(files->ns);
	modes[2] = 0644;

	err = make_dirs(dir, diag);
	if (err != MAPI_OK) {
		goto out;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		err = fs_err(diag, "cannot open", dir, errno);
		goto out;
	}
	n = readlinkat(dirfd, DATA_DIR, old, sizeof(old) - 1);
	if (n < 0 && errno != ENOENT) {
		err = fs_err(diag, "cannot read link", DATA_DIR, errno);
		goto out;
	}
	old[n > 0 ? n : 0] = '\0';
	if (n >= (ssize_t)sizeof(old) - 1 || (n > 0 && !is_tsdir_name(old))) {
		old[0] = '\0'; /* not ours: leave it alone, just replace */
		same = false;
	}
	if (old[0] == '\0') {
		same = false;
	}
	for (i = 0; same && i < 3; i++) {
		err = same_content(dirfd, old, file_names[i], data[i], lens[i],
		                   &same);
		if (err != MAPI_OK) {
			(void)fs_err(diag, "cannot read", old, errno);
			goto out;
		}
	}
	if (same) {
		/* Up to date; still make sure the links exist (#121472). */
		err = visible_links(dirfd, diag);
		if (err == MAPI_OK && out_written != NULL) {
			*out_written = false;
		}
		goto out;
	}

	for (tries = 0; tries < 100; tries++) {
		if (!mapi_kubelet_tsdir_name(now_ns, rand, name,
		                             sizeof(name))) {
			mapi_diag_set(diag,
			              "kubelet volume: time out of range");
			err = MAPI_EINVAL;
			goto out;
		}
		if (mkdirat(dirfd, name, 0700) == 0) {
			created = true;
			break;
		}
		if (errno != EEXIST) {
			err = fs_err(diag, "cannot create", name, errno);
			goto out;
		}
		rand = splitmix64(&rand);
	}
	if (!created) {
		err = fs_err(diag, "cannot create", name, EEXIST);
		goto out;
	}
	if (fchmodat(dirfd, name, 0755, 0) != 0) {
		err = fs_err(diag, "cannot chmod", name, errno);
		goto out;
	}
	tsfd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tsfd < 0) {
		err = fs_err(diag, "cannot open", name, errno);
		goto out;
	}
	for (i = 0; i < 3; i++) {
		err = write_at(tsfd, file_names[i], data[i], lens[i], modes[i],
		               diag);
		if (err != MAPI_OK) {
			goto out;
		}
	}
	if (fsync(tsfd) != 0) {
		err = fs_err(diag, "cannot fsync", name, errno);
		goto out;
	}
	if (unlinkat(dirfd, DATA_TMP, 0) != 0 && errno != ENOENT) {
		err = fs_err(diag, "cannot remove", DATA_TMP, errno);
		goto out;
	}
	if (symlinkat(name, dirfd, DATA_TMP) != 0) {
		err = fs_err(diag, "cannot link", DATA_TMP, errno);
		goto out;
	}
	if (renameat(dirfd, DATA_TMP, dirfd, DATA_DIR) != 0) {
		e = errno;
		(void)unlinkat(dirfd, DATA_TMP, 0);
		err = fs_err(diag, "cannot rename over", DATA_DIR, e);
		goto out;
	}
	created = false; /* live now: keep it whatever happens next */
	err = visible_links(dirfd, diag);
	if (err != MAPI_OK) {
		goto out;
	}
	if (fsync(dirfd) != 0) {
		err = fs_err(diag, "cannot fsync", dir, errno);
		goto out;
	}
	if (old[0] != '\0' && strcmp(old, name) != 0) {
		e = remove_tsdir(dirfd, old);
		if (e != 0) {
			err = fs_err(diag, "cannot remove", old, e);
			goto out;
		}
	}
	if (out_written != NULL) {
		*out_written = true;
	}
	err = MAPI_OK;
out:
	if (tsfd >= 0) {
		(void)close(tsfd);
	}
	if (created) {
		(void)remove_tsdir(dirfd, name);
	}
	if (dirfd >= 0) {
		(void)close(dirfd);
	}
	return err;
}

static int64_t
sat_mul_ns(int64_t s)
{
	if (s > INT64_MAX / MAPI_NS_PER_SEC) {
		return INT64_MAX;
	}
	if (s < INT64_MIN / MAPI_NS_PER_SEC) {
		return INT64_MIN;
	}
	return s * MAPI_NS_PER_SEC;
}

static int64_t
sat_sub(int64_t a, int64_t b)
{
	if (b > 0 && a < INT64_MIN + b) {
		return INT64_MIN;
	}
	if (b < 0 && a > INT64_MAX + b) {
		return INT64_MAX;
	}
	return a - b;
}

static int64_t
sat_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b) {
		return INT64_MAX;
	}
	if (b < 0 && a < INT64_MIN - b) {
		return INT64_MIN;
	}
	return a + b;
}

int64_t
mapi_kubelet_refresh_at(int64_t expiration_timestamp,
                        int64_t expiration_seconds, int64_t jitter_s)
{
	int64_t exp_ns = sat_mul_ns(expiration_timestamp);
	int64_t es_ns = sat_mul_ns(expiration_seconds);
	int64_t jitter_ns = sat_mul_ns(jitter_s);
	int64_t iat_ns = sat_sub(exp_ns, es_ns);
	int64_t fifth;
	int64_t by_age, by_ttl, t;

	/* Go: (*tr.Spec.ExpirationSeconds*20)/100, integer seconds. */
	fifth = expiration_seconds > INT64_MAX / 20
	                ? expiration_seconds / 5
	                : expiration_seconds * 20 / 100;
	by_age = sat_sub(sat_add(iat_ns, (int64_t)MAPI_KUBELET_MAX_TTL_S *
	                                         MAPI_NS_PER_SEC),
	                 jitter_ns);
	by_ttl = sat_sub(sat_sub(exp_ns, sat_mul_ns(fifth)), jitter_ns);
	t = by_age < by_ttl ? by_age : by_ttl;
	/* now.After(t) is strict: the first instant that qualifies. */
	return t == INT64_MAX ? INT64_MAX : t + 1;
}

bool
mapi_kubelet_needs_refresh(int64_t now_ns, int64_t expiration_timestamp,
                           int64_t expiration_seconds, int64_t jitter_s)
{
	return now_ns >= mapi_kubelet_refresh_at(expiration_timestamp,
	                                         expiration_seconds, jitter_s);
}

struct volume {
	uint64_t id;
	struct mapi_kubelet_volume_spec spec; /* strings point below */
	char *dir, *ns, *pod, *pod_uid, *sa, *audience, *ca;
	struct mapi_kubelet_volume_info info;
};

struct mapi_kubelet {
	pthread_mutex_t mu;
	mapi_kubelet_issue_fn *issue;
	void *payload;
	struct mapi_events *events;
	uint64_t rng;
	int64_t max_jitter_s;
	int64_t retry_s;
	uint64_t next_id;
	size_t n;
	struct volume *vols[MAPI_KUBELET_MAX_VOLUMES];
};

enum mapi_err
mapi_kubelet_new(const struct mapi_kubelet_config *cfg,
                 mapi_kubelet_issue_fn *issue, void *payload,
                 struct mapi_kubelet **out_kubelet)
{
	struct mapi_kubelet *k;

	if (cfg == NULL || issue == NULL || cfg->max_jitter_s < 0 ||
	    cfg->retry_s < 0) {
		return MAPI_EINVAL;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		return MAPI_ENOMEM;
	}
	if (pthread_mutex_init(&k->mu, NULL) != 0) {
		free(k);
		return MAPI_EINTERNAL;
	}
	k->issue = issue;
	k->payload = payload;
	k->events = cfg->events;
	k->rng = cfg->seed;
	k->max_jitter_s = cfg->max_jitter_s;
	k->retry_s = cfg->retry_s != 0 ? cfg->retry_s : 10;
	k->next_id = 1;
	*out_kubelet = k;
	return MAPI_OK;
}

static void
volume_free(struct volume *v)
{
	if (v == NULL) {
		return;
	}
	free(v->dir);
	free(v->ns);
	free(v->pod);
	free(v->pod_uid);
	free(v->sa);
	free(v->audience);
	free(v->ca);
	free(v);
}

void
mapi_kubelet_free(struct mapi_kubelet *k)
{
	size_t i;

	if (k == NULL) {
		return;
	}
	for (i = 0; i < k->n; i++) {
		volume_free(k->vols[i]);
	}
	(void)pthread_mutex_destroy(&k->mu);
	free(k);
}

/* strdup that keeps NULL; *ok goes false on allocation failure. */
static char *
dup_opt(const char *s, bool *ok)
{
	char *d;

	if (s == NULL) {
		return NULL;
	}
	d = strdup(s);
	if (d == NULL) {
		*ok = false;
	}
	return d;
}

enum mapi_err
mapi_kubelet_add_volume(struct mapi_kubelet *k,
                        const struct mapi_kubelet_volume_spec *spec,
                        uint64_t *out_id)
{
	struct volume *v = NULL;
	enum mapi_err err = MAPI_EINVAL;
	bool ok = true;
	size_t i;

	if (spec == NULL || spec->dir == NULL || spec->dir[0] == '\0' ||
	    spec->ns == NULL || spec->ns[0] == '\0' ||
	    spec->service_account == NULL || spec->service_account[0] == '\0' ||
	    spec->expiration_seconds < 0 ||
	    (spec->ca_crt == NULL && spec->ca_len > 0) ||
	    spec->ca_len > MAPI_KUBELET_MAX_FILE) {
		return MAPI_EINVAL;
	}
	v = calloc(1, sizeof(*v));
	if (v == NULL) {
		return MAPI_ENOMEM;
	}
	v->dir = dup_opt(spec->dir, &ok);
	v->ns = dup_opt(spec->ns, &ok);
	v->pod = dup_opt(spec->pod, &ok);
	v->pod_uid = dup_opt(spec->pod_uid, &ok);
	v->sa = dup_opt(spec->service_account, &ok);
	v->audience = dup_opt(spec->audience, &ok);
	v->ca = malloc(spec->ca_len + 1);
	if (!ok || v->ca == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	if (spec->ca_len > 0) {
		memcpy(v->ca, spec->ca_crt, spec->ca_len);
	}
	v->spec = *spec;
	v->spec.dir = v->dir;
	v->spec.ns = v->ns;
	v->spec.pod = v->pod;
	v->spec.pod_uid = v->pod_uid;
	v->spec.service_account = v->sa;
	v->spec.audience = v->audience;
	v->spec.ca_crt = v->ca;
	if (v->spec.expiration_seconds == 0) {
		v->spec.expiration_seconds = MAPI_KUBELET_DEFAULT_EXPIRATION_S;
	}
	v->info.due_ns = INT64_MIN;

	(void)pthread_mutex_lock(&k->mu);
	for (i = 0; i < k->n; i++) {
		if (strcmp(k->vols[i]->dir, v->dir) == 0) {
			err = MAPI_EEXIST;
			break;
		}
	}
	if (i == k->n && k->n == MAPI_KUBELET_MAX_VOLUMES) {
		err = MAPI_ETOOMANY;
	} else if (i == k->n) {
		v->id = k->next_id++;
		k->vols[k->n++] = v;
		if (out_id != NULL) {
			*out_id = v->id;
		}
		v = NULL;
		err = MAPI_OK;
	}
	(void)pthread_mutex_unlock(&k->mu);
out:
	volume_free(v);
	return err;
}

enum mapi_err
mapi_kubelet_remove_volume(struct mapi_kubelet *k, uint64_t id)
{
	enum mapi_err err = MAPI_ENOTFOUND;
	size_t i;

	(void)pthread_mutex_lock(&k->mu);
	for (i = 0; i < k->n; i++) {
		if (k->vols[i]->id == id) {
			volume_free(k->vols[i]);
			/* NOLINTBEGIN(bugprone-sizeof-expression): T *[] */
			memmove(&k->vols[i], &k->vols[i + 1],
			        (k->n - i - 1) * sizeof(k->vols[0]));
			/* NOLINTEND(bugprone-sizeof-expression) */
			k->n--;
			err = MAPI_OK;
			break;
		}
	}
	(void)pthread_mutex_unlock(&k->mu);
	return err;
}

static void
emit(struct mapi_kubelet *k, const struct volume *v,
     const struct mapi_kubelet_issued *iss, bool first)
{
	struct mapi_event_input in = { 0 };
	char pod[MAPI_EVENT_POD_SIZE];
	const char *aud[1];

	if (k->events == NULL) {
		return;
	}
	(void)snprintf(pod, sizeof(pod), "%s/%s", v->ns,
	               v->pod != NULL ? v->pod : "");
	in.type = first ? MAPI_EVENT_VOLUME_WRITTEN : MAPI_EVENT_ROTATED;
	in.jti = iss->jti;
	in.token = iss->token; /* events keep 8 characters of it */
	in.iat = iss->iat != 0 ? iss->iat : v->info.iat;
	in.exp = iss->exp != 0 ? iss->exp : v->info.expiration_timestamp;
	in.warnafter = iss->warnafter;
	in.kid = iss->kid;
	in.pod = v->pod != NULL ? pod : NULL;
	in.volume = v->dir;
	if (v->audience != NULL) {
		aud[0] = v->audience;
		in.audiences = aud;
		in.n_audiences = 1;
	}
	(void)mapi_events_add(k->events, &in);
}

static void
volume_failed(struct mapi_kubelet *k, struct volume *v, int64_t now_ns,
              enum mapi_err err, const char *why)
{
	v->info.last_err = err;
	(void)snprintf(v->info.last_diag, sizeof(v->info.last_diag), "%s", why);
	v->info.due_ns = sat_add(now_ns, sat_mul_ns(k->retry_s));
}

/* Issues and writes one due volume; lock held. */
static enum mapi_err
refresh_volume(struct mapi_kubelet *k, struct volume *v, int64_t now_ns,
               bool *out_written)
{
	struct mapi_kubelet_issued iss;
	struct mapi_volume_files files;
	struct mapi_diag diag = { .msg = "" };
	bool first = !v->info.has_token;
	bool written = false;
	enum mapi_err err;
	int64_t jitter = 0;

	memset(&iss, 0, sizeof(iss));
	err = k->issue(&v->spec, now_ns, &iss, k->payload);
	if (err == MAPI_OK && (iss.token == NULL || iss.token_len == 0)) {
		err = MAPI_EINTERNAL;
	}
	if (err != MAPI_OK) {
		volume_failed(k, v, now_ns, err, "issue failed");
		goto out;
	}
	files.token = iss.token;
	files.token_len = iss.token_len;
	files.ca_crt = v->ca;
	files.ca_len = v->spec.ca_len;
	files.ns = v->ns;
	files.token_mode = v->spec.token_mode;
	err = mapi_kubelet_write_volume(v->dir, &files, now_ns,
	                                splitmix64(&k->rng), &written, &diag);
	if (err != MAPI_OK) {
		volume_failed(k, v, now_ns, err, diag.msg);
		goto out;
	}
	if (k->max_jitter_s > 0) {
		jitter = (int64_t)(splitmix64(&k->rng) %
		                   (uint64_t)k->max_jitter_s);
	}
	v->info.has_token = true;
	v->info.expiration_timestamp = iss.expiration_timestamp;
	v->info.expiration_seconds = iss.expiration_seconds;
	v->info.iat = iss.expiration_timestamp - iss.expiration_seconds;
	v->info.jitter_s = jitter;
	v->info.due_ns = mapi_kubelet_refresh_at(
		iss.expiration_timestamp, iss.expiration_seconds, jitter);
	v->info.issues++;
	v->info.last_err = MAPI_OK;
	v->info.last_diag[0] = '\0';
	if (written) {
		v->info.writes++;
		emit(k, v, &iss, first);
	}
out:
	wipe_free(iss.token, iss.token_len);
	*out_written = written;
	return err;
}

enum mapi_err
mapi_kubelet_tick(struct mapi_kubelet *k, int64_t now_ns, size_t *out_refreshed)
{
	enum mapi_err first_err = MAPI_OK, err;
	size_t i, count = 0;
	bool written;

	(void)pthread_mutex_lock(&k->mu);
	for (i = 0; i < k->n; i++) {
		if (now_ns < k->vols[i]->info.due_ns) {
			continue;
		}
		err = refresh_volume(k, k->vols[i], now_ns, &written);
		if (err != MAPI_OK && first_err == MAPI_OK) {
			first_err = err;
		}
		if (written) {
			count++;
		}
	}
	(void)pthread_mutex_unlock(&k->mu);
	if (out_refreshed != NULL) {
		*out_refreshed = count;
	}
	return first_err;
}

int64_t
mapi_kubelet_next_due(struct mapi_kubelet *k)
{
	int64_t due = INT64_MAX;
	size_t i;

	(void)pthread_mutex_lock(&k->mu);
	for (i = 0; i < k->n; i++) {
		if (k->vols[i]->info.due_ns < due) {
			due = k->vols[i]->info.due_ns;
		}
	}
	(void)pthread_mutex_unlock(&k->mu);
	return due;
}

enum mapi_err
mapi_kubelet_volume_info(struct mapi_kubelet *k, uint64_t id,
                         struct mapi_kubelet_volume_info *out_info)
{
	enum mapi_err err = MAPI_ENOTFOUND;
	size_t i;

	(void)pthread_mutex_lock(&k->mu);
	for (i = 0; i < k->n; i++) {
		if (k->vols[i]->id == id) {
			*out_info = k->vols[i]->info;
			err = MAPI_OK;
			break;
		}
	}
	(void)pthread_mutex_unlock(&k->mu);
	return err;
}
