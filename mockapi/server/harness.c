/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* getrandom */
#include "server/harness.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "auth/keys.h"
#include "auth/tokens.h"
#include "server/json.h"
#include "sim/clock.h"
#include "sim/events.h"
#include "sim/faults.h"
#include "sim/kubelet.h"
#include "state/store.h"

#define RETIRED_PREFIX "sa-retired-"
#define RETIRED_SUFFIX ".key"

struct volume {
	uint64_t id;
	bool is_default;
	char dir[PATH_MAX];
	char ns[64];
	char pod[254];
	char sa[254];
	char audience[256]; /* "" = API audiences */
	int64_t es;
};

struct retired {
	char kid[64];
	int64_t retired_ns;
	int64_t drop_ns; /* 0 = until dropped */
};

struct mapi_harness {
	struct mapi_harness_config cfg;
	char state_dir[PATH_MAX];
	char active_key_file[64];
	char clock_spec[128];
	char default_dir[PATH_MAX];
	char default_pod[320];
	char *ca_pem;
	size_t ca_len;
	struct mapi_events *events;
	struct mapi_faults *faults;

	pthread_mutex_t mu; /* every timer, the kubelet, volumes, retired */
	struct mapi_kubelet *kubelet;
	struct volume vols[MAPI_KUBELET_MAX_VOLUMES];
	size_t n_vols;
	struct retired retired[MAPI_KEYSET_MAX];
	size_t n_retired;
	int64_t store_next_ns; /* 0 = none */

	pthread_mutex_t tick_mu;
	pthread_cond_t tick_cv;
	bool stop;
	bool thread_started;
	pthread_t thread;
};

/* Per-volume results are kept in the kubelet's volume info. */
static void
ignore_err(enum mapi_err err)
{
	(void)err;
}

static uint64_t
random_u64(void)
{
	uint64_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v)) {
		v = (uint64_t)(uintptr_t)&v ^ UINT64_C(0x9e3779b97f4a7c15);
	}
	return v;
}

bool
mapi_harness_format_time(int64_t t_ns, char *buf, size_t len)
{
	int64_t s = t_ns / MAPI_NS_PER_SEC;
	int64_t frac = t_ns % MAPI_NS_PER_SEC;
	char base[32];

	if (frac < 0) {
		frac += MAPI_NS_PER_SEC;
		s--;
	}
	if (!mapi_time_format_rfc3339(s, base, sizeof(base)) || len < 28) {
		return false;
	}
	/* base ends in 'Z': insert the fraction before it. */
	base[strlen(base) - 1] = '\0';
	(void)snprintf(buf, len, "%s.%06ldZ", base, (long)(frac / 1000));
	return true;
}

/* ---- kubelet token source ---- */

static enum mapi_err
sa_uid(struct mapi_harness *h, const char *ns, const char *name, char **out)
{
	struct mapi_store_ref r = { .group = "",
		                    .resource = "serviceaccounts",
		                    .ns = ns,
		                    .name = name };
	cJSON *obj = NULL;
	const char *uid;
	enum mapi_err err;

	err = mapi_store_get(h->cfg.store, &r, &obj, NULL);
	if (err != MAPI_OK) {
		return err;
	}
	uid = mapi_json_get_path_string(obj, "metadata.uid");
	*out = strdup(uid != NULL ? uid : "");
	cJSON_Delete(obj);
	return *out == NULL ? MAPI_ENOMEM : MAPI_OK;
}

/*
 * The kubelet's TokenRequest: serviceaccounts/<sa>/token in the pod's
 * namespace, bound to the pod, through auth/tokens as the endpoint does.
 */
static enum mapi_err
kubelet_issue(const struct mapi_kubelet_volume_spec *spec, int64_t now_ns,
              struct mapi_kubelet_issued *out, void *payload)
{
	struct mapi_harness *h = payload;
	struct mapi_tokens_bound_ref ref = {
		.api_version = "v1",
		.kind = "Pod",
		.name = spec->pod,
		.uid = spec->pod_uid,
	};
	struct mapi_tokens_binding b = { 0 };
	struct mapi_tokens_issued iss = { 0 };
	struct mapi_tokens_request req = { 0 };
	struct mapi_diag d = { 0 };
	const char *auds[1] = { spec->audience };
	char pod[320];
	char *uid = NULL;
	enum mapi_err err;

	err = sa_uid(h, spec->ns, spec->service_account, &uid);
	if (err == MAPI_OK) {
		err = mapi_tokens_bind(h->cfg.tokens, spec->ns,
		                       spec->service_account, &ref, &b, &d);
	}
	if (err != MAPI_OK) {
		goto out;
	}
	req.ns = spec->ns;
	req.sa.name = spec->service_account;
	req.sa.uid = uid;
	req.bound = MAPI_TOKENS_BOUND_POD;
	req.object.name = spec->pod;
	req.object.uid = b.uid;
	req.node.name = b.node_name;
	req.node.uid = b.node_uid;
	req.has_expiration = true;
	req.expiration_seconds = spec->expiration_seconds != 0
	                                 ? spec->expiration_seconds
	                                 : MAPI_KUBELET_DEFAULT_EXPIRATION_S;
	req.audiences = spec->audience != NULL ? auds : NULL;
	req.n_audiences = spec->audience != NULL ? 1 : 0;
	err = mapi_tokens_issue(h->cfg.tokens, &req, now_ns, &iss, &d);
	if (err != MAPI_OK) {
		goto out;
	}
	{
		char sub[320];
		struct mapi_event_input ev = {
			.type = MAPI_EVENT_ISSUED,
			.jti = iss.jti,
			.token = iss.token,
			.sub = sub,
			.audiences = (const char *const *)iss.audiences,
			.n_audiences = iss.n_audiences,
			.iat = iss.iat,
			.exp = iss.exp,
			.warnafter = iss.warnafter,
			.pod = pod,
			.kid = iss.kid,
			.reason = "kubelet TokenRequest",
			.volume = spec->dir,
		};

		(void)snprintf(sub, sizeof(sub), "system:serviceaccount:%s:%s",
		               spec->ns, spec->service_account);
		(void)snprintf(pod, sizeof(pod), "%s/%s", spec->ns, spec->pod);
		(void)mapi_events_add(h->events, &ev);
	}
	out->token = iss.token;
	out->token_len = strlen(iss.token);
	iss.token = NULL;
	out->expiration_timestamp = iss.expiration_timestamp;
	out->expiration_seconds = iss.expiration_seconds;
	(void)snprintf(out->jti, sizeof(out->jti), "%s", iss.jti);
	out->iat = iss.iat;
	out->exp = iss.exp;
	out->warnafter = iss.warnafter;
	(void)snprintf(out->kid, sizeof(out->kid), "%s", iss.kid);
out:
	mapi_tokens_issued_clear(&iss);
	mapi_tokens_binding_clear(&b);
	free(uid);
	return err;
}

/* ---- timers (h->mu held) ---- */

static void
drop_retired_at(struct mapi_harness *h, size_t i, const char *why)
{
	char path[PATH_MAX + 96];
	struct mapi_event_input ev = { .type = MAPI_EVENT_KEY_ROTATED,
		                       .kid = h->retired[i].kid,
		                       .reason = why };

	ignore_err(mapi_keyset_remove(h->cfg.keyset, h->retired[i].kid));
	(void)snprintf(path, sizeof(path),
	               "%s/" RETIRED_PREFIX "%s" RETIRED_SUFFIX, h->state_dir,
	               h->retired[i].kid);
	(void)unlink(path);
	(void)mapi_events_add(h->events, &ev);
	memmove(&h->retired[i], &h->retired[i + 1],
	        (h->n_retired - i - 1) * sizeof(h->retired[0]));
	h->n_retired--;
}

static void
run_due_locked(struct mapi_harness *h, int64_t now)
{
	size_t i = 0;

	ignore_err(mapi_kubelet_tick(h->kubelet, now, NULL));
	h->store_next_ns = mapi_store_run_due(h->cfg.store);
	while (i < h->n_retired) {
		if (h->retired[i].drop_ns != 0 &&
		    now >= h->retired[i].drop_ns) {
			drop_retired_at(h, i,
			                "retired key dropped: overlap over");
		} else {
			i++;
		}
	}
}

static int64_t
next_due_locked(struct mapi_harness *h, int64_t now)
{
	int64_t next = mapi_kubelet_next_due(h->kubelet);
	size_t i;

	if (next < now) {
		next = now;
	}
	if (h->store_next_ns != 0 && h->store_next_ns < next) {
		next = h->store_next_ns;
	}
	for (i = 0; i < h->n_retired; i++) {
		if (h->retired[i].drop_ns != 0 &&
		    h->retired[i].drop_ns < next) {
			next = h->retired[i].drop_ns;
		}
	}
	return next;
}

void
mapi_harness_run_due(struct mapi_harness *h)
{
	(void)pthread_mutex_lock(&h->mu);
	run_due_locked(h, mapi_clock_now_ns(h->cfg.clock));
	(void)pthread_mutex_unlock(&h->mu);
}

enum mapi_err
mapi_harness_advance(struct mapi_harness *h, int64_t d_ns)
{
	int64_t start;
	int64_t target;
	int64_t cur;
	int64_t next;
	size_t steps;
	enum mapi_err err = MAPI_OK;

	if (d_ns < 0) {
		return MAPI_EINVAL;
	}
	(void)pthread_mutex_lock(&h->mu);
	start = mapi_clock_now_ns(h->cfg.clock);
	if (start > INT64_MAX - d_ns) {
		(void)pthread_mutex_unlock(&h->mu);
		return MAPI_EINVAL;
	}
	target = start + d_ns;
	for (steps = 0; steps < MAPI_HARNESS_MAX_STEPS; steps++) {
		cur = mapi_clock_now_ns(h->cfg.clock);
		run_due_locked(h, cur);
		next = next_due_locked(h, cur);
		if (next <= cur || next > target) {
			break;
		}
		err = mapi_clock_advance_ns(h->cfg.clock, next - cur);
		if (err != MAPI_OK) {
			break;
		}
	}
	cur = mapi_clock_now_ns(h->cfg.clock);
	if (err == MAPI_OK && target > cur) {
		err = mapi_clock_advance_ns(h->cfg.clock, target - cur);
	}
	run_due_locked(h, mapi_clock_now_ns(h->cfg.clock));
	(void)pthread_mutex_unlock(&h->mu);
	return err;
}

static void *
ticker(void *arg)
{
	struct mapi_harness *h = arg;
	int64_t period = (int64_t)h->cfg.tick_ms * 1000000;
	struct timespec ts;

	(void)pthread_mutex_lock(&h->tick_mu);
	while (!h->stop) {
		(void)clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += (long)(period % MAPI_NS_PER_SEC);
		ts.tv_sec += (time_t)(period / MAPI_NS_PER_SEC);
		if (ts.tv_nsec >= MAPI_NS_PER_SEC) {
			ts.tv_nsec -= MAPI_NS_PER_SEC;
			ts.tv_sec++;
		}
		(void)pthread_cond_timedwait(&h->tick_cv, &h->tick_mu, &ts);
		if (h->stop) {
			break;
		}
		(void)pthread_mutex_unlock(&h->tick_mu);
		mapi_harness_run_due(h);
		(void)pthread_mutex_lock(&h->tick_mu);
	}
	(void)pthread_mutex_unlock(&h->tick_mu);
	return NULL;
}

/* ---- volumes (h->mu held) ---- */

static enum mapi_err
new_kubelet_locked(struct mapi_harness *h)
{
	struct mapi_kubelet_config kc = { 0 };

	kc.seed = h->cfg.seeded ? h->cfg.seed ^ UINT64_C(0x6b7562656c6574)
	                        : random_u64();
	kc.max_jitter_s = 0;
	kc.events = h->events;
	return mapi_kubelet_new(&kc, kubelet_issue, h, &h->kubelet);
}

static enum mapi_err
add_volume_locked(struct mapi_harness *h, const char *dir, const char *pod,
                  const char *audience, int64_t es, bool is_default,
                  uint64_t *out_id, struct mapi_diag *diag)
{
	struct mapi_kubelet_volume_spec spec = { 0 };
	struct mapi_kubelet_volume_info info;
	struct mapi_store_ref r = { .group = "", .resource = "pods" };
	struct volume *v;
	const char *slash = pod != NULL ? strchr(pod, '/') : NULL;
	const char *sa;
	cJSON *obj = NULL;
	uint64_t id = 0;
	enum mapi_err err;

	if (dir == NULL || dir[0] != '/' || strlen(dir) >= sizeof(v->dir)) {
		mapi_diag_set(diag, "dir: must be an absolute path");
		return MAPI_EINVAL;
	}
	if (slash == NULL || slash == pod || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL ||
	    (size_t)(slash - pod) >= sizeof(v->ns) ||
	    strlen(slash + 1) >= sizeof(v->pod)) {
		mapi_diag_set(diag, "pod: must be namespace/name");
		return MAPI_EINVAL;
	}
	if (es < 0 || (audience != NULL && strlen(audience) >= 256)) {
		mapi_diag_set(diag, es < 0 ? "expirationSeconds: must be >= 0"
		                           : "audience: too long");
		return MAPI_EINVAL;
	}
	if (h->n_vols >= MAPI_KUBELET_MAX_VOLUMES) {
		mapi_diag_set(diag, "at most %d volumes",
		              MAPI_KUBELET_MAX_VOLUMES);
		return MAPI_ETOOMANY;
	}
	v = &h->vols[h->n_vols];
	memset(v, 0, sizeof(*v));
	memcpy(v->ns, pod, (size_t)(slash - pod));
	(void)snprintf(v->pod, sizeof(v->pod), "%s", slash + 1);
	(void)snprintf(v->dir, sizeof(v->dir), "%s", dir);
	if (audience != NULL) {
		(void)snprintf(v->audience, sizeof(v->audience), "%s",
		               audience);
	}
	v->es = es;
	v->is_default = is_default;
	r.ns = v->ns;
	r.name = v->pod;
	err = mapi_store_get(h->cfg.store, &r, &obj, diag);
	if (err != MAPI_OK) {
		if (err == MAPI_ENOTFOUND) {
			mapi_diag_set(diag, "pods \"%s\" not found", v->pod);
		}
		return err;
	}
	sa = mapi_json_get_path_string(obj, "spec.serviceAccountName");
	(void)snprintf(v->sa, sizeof(v->sa), "%s",
	               sa != NULL && sa[0] != '\0' ? sa : "default");
	cJSON_Delete(obj);
	spec.dir = v->dir;
	spec.ns = v->ns;
	spec.pod = v->pod;
	spec.service_account = v->sa;
	spec.audience = v->audience[0] != '\0' ? v->audience : NULL;
	spec.expiration_seconds = es;
	spec.ca_crt = h->ca_pem;
	spec.ca_len = h->ca_len;
	err = mapi_kubelet_add_volume(h->kubelet, &spec, &id);
	if (err != MAPI_OK) {
		mapi_diag_set(diag,
		              err == MAPI_EEXIST ? "dir: %s is already a volume"
		                                 : "cannot add volume %s",
		              dir);
		return err;
	}
	ignore_err(mapi_kubelet_tick(h->kubelet,
	                             mapi_clock_now_ns(h->cfg.clock), NULL));
	if (mapi_kubelet_volume_info(h->kubelet, id, &info) == MAPI_OK &&
	    info.last_err != MAPI_OK) {
		err = info.last_err;
		if (info.last_diag[0] != '\0') {
			mapi_diag_set(diag, "%s", info.last_diag);
		} else {
			mapi_diag_set(diag,
			              "cannot issue a token for pod %s: %s",
			              pod, mapi_err_name(err));
		}
		ignore_err(mapi_kubelet_remove_volume(h->kubelet, id));
		return err;
	}
	v->id = id;
	h->n_vols++;
	if (out_id != NULL) {
		*out_id = id;
	}
	return MAPI_OK;
}

enum mapi_err
mapi_harness_add_volume(struct mapi_harness *h, const char *dir,
                        const char *pod, const char *audience,
                        int64_t expiration_seconds, uint64_t *out_id,
                        struct mapi_diag *diag)
{
	enum mapi_err err;

	(void)pthread_mutex_lock(&h->mu);
	err = add_volume_locked(h, dir, pod, audience, expiration_seconds,
	                        false, out_id, diag);
	(void)pthread_mutex_unlock(&h->mu);
	return err;
}

enum mapi_err
mapi_harness_remove_volume(struct mapi_harness *h, uint64_t id)
{
	enum mapi_err err = MAPI_ENOTFOUND;
	size_t i;

	(void)pthread_mutex_lock(&h->mu);
	for (i = 0; i < h->n_vols; i++) {
		if (h->vols[i].id == id) {
			err = mapi_kubelet_remove_volume(h->kubelet, id);
			memmove(&h->vols[i], &h->vols[i + 1],
			        (h->n_vols - i - 1) * sizeof(h->vols[0]));
			h->n_vols--;
			break;
		}
	}
	(void)pthread_mutex_unlock(&h->mu);
	return err;
}

static bool
add_time(cJSON *o, const char *key, int64_t t_ns)
{
	char buf[40];

	if (!mapi_harness_format_time(t_ns, buf, sizeof(buf))) {
		return true;
	}
	return cJSON_AddStringToObject(o, key, buf) != NULL;
}

enum mapi_err
mapi_harness_volumes_json(struct mapi_harness *h, cJSON **out)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *items = root ? cJSON_AddArrayToObject(root, "items") : NULL;
	enum mapi_err err = items != NULL ? MAPI_OK : MAPI_ENOMEM;
	size_t i;

	(void)pthread_mutex_lock(&h->mu);
	for (i = 0; err == MAPI_OK && i < h->n_vols; i++) {
		const struct volume *v = &h->vols[i];
		struct mapi_kubelet_volume_info info;
		cJSON *o = cJSON_CreateObject();
		char pod[320];
		bool ok;

		if (o == NULL || !cJSON_AddItemToArray(items, o)) {
			cJSON_Delete(o);
			err = MAPI_ENOMEM;
			break;
		}
		(void)snprintf(pod, sizeof(pod), "%s/%s", v->ns, v->pod);
		ok = cJSON_AddNumberToObject(o, "id", (double)v->id) &&
		     cJSON_AddStringToObject(o, "dir", v->dir) &&
		     cJSON_AddStringToObject(o, "pod", pod) &&
		     cJSON_AddStringToObject(o, "serviceAccount", v->sa) &&
		     (v->audience[0] == '\0' ||
		      cJSON_AddStringToObject(o, "audience", v->audience)) &&
		     cJSON_AddBoolToObject(o, "default", v->is_default);
		if (ok && mapi_kubelet_volume_info(h->kubelet, v->id, &info) ==
		                  MAPI_OK) {
			ok = cJSON_AddNumberToObject(
				     o, "expirationSeconds",
				     (double)(info.has_token
			                              ? info.expiration_seconds
			                              : v->es)) &&
			     cJSON_AddBoolToObject(o, "hasToken",
			                           info.has_token) &&
			     cJSON_AddNumberToObject(o, "issues",
			                             (double)info.issues) &&
			     cJSON_AddNumberToObject(o, "writes",
			                             (double)info.writes);
			if (ok && info.has_token) {
				ok = add_time(o, "iat",
				              info.iat * MAPI_NS_PER_SEC) &&
				     add_time(o, "expirationTimestamp",
				              info.expiration_timestamp *
				                      MAPI_NS_PER_SEC) &&
				     add_time(o, "refreshAt", info.due_ns);
			}
			if (ok && info.last_err != MAPI_OK) {
				ok = cJSON_AddStringToObject(
					     o, "lastError",
					     info.last_diag[0] != '\0'
						     ? info.last_diag
						     : mapi_err_name(
							       info.last_err)) !=
				     NULL;
			}
		}
		if (!ok) {
			err = MAPI_ENOMEM;
		}
	}
	(void)pthread_mutex_unlock(&h->mu);
	if (err != MAPI_OK) {
		cJSON_Delete(root);
		return err;
	}
	*out = root;
	return MAPI_OK;
}

/* ---- keys ---- */

static void
retire_locked(struct mapi_harness *h, const char *kid, int64_t now)
{
	struct retired *r;

	if (h->n_retired >= MAPI_KEYSET_MAX) {
		return;
	}
	r = &h->retired[h->n_retired++];
	(void)snprintf(r->kid, sizeof(r->kid), "%s", kid);
	r->retired_ns = now;
	r->drop_ns = h->cfg.key_overlap_ns > 0 &&
	                             now <= INT64_MAX - h->cfg.key_overlap_ns
	                     ? now + h->cfg.key_overlap_ns
	                     : 0;
}

static enum mapi_err
load_retired(struct mapi_harness *h, struct mapi_diag *diag)
{
	DIR *d = opendir(h->state_dir);
	struct dirent *e;
	enum mapi_err err = MAPI_OK;
	int64_t now = mapi_clock_now_ns(h->cfg.clock);

	if (d == NULL) {
		mapi_diag_set(diag, "cannot read %s: %s", h->state_dir,
		              strerror(errno));
		return MAPI_EIO;
	}
	while (err == MAPI_OK && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char path[PATH_MAX + 300];
		struct mapi_key *key = NULL;

		if (strncmp(e->d_name, RETIRED_PREFIX,
		            sizeof(RETIRED_PREFIX) - 1) != 0 ||
		    n < sizeof(RETIRED_SUFFIX) ||
		    strcmp(e->d_name + n - (sizeof(RETIRED_SUFFIX) - 1),
		           RETIRED_SUFFIX) != 0) {
			continue;
		}
		(void)snprintf(path, sizeof(path), "%s/%s", h->state_dir,
		               e->d_name);
		err = mapi_key_load_file(path, &key, diag);
		if (err == MAPI_OK) {
			err = mapi_keyset_add_verify(h->cfg.keyset, key);
		}
		if (err == MAPI_OK) {
			retire_locked(h, mapi_key_kid(key), now);
		}
		mapi_key_unref(key);
	}
	(void)closedir(d);
	return err;
}

enum mapi_err
mapi_harness_rotate_keys(struct mapi_harness *h, bool drop_old, cJSON **out,
                         struct mapi_diag *diag)
{
	struct mapi_key *old = NULL;
	struct mapi_key *key = NULL;
	char path[PATH_MAX + 128];
	char old_kid[64] = "";
	cJSON *res = NULL;
	cJSON *dropped = NULL;
	enum mapi_err err;
	int64_t now;

	(void)pthread_mutex_lock(&h->mu);
	now = mapi_clock_now_ns(h->cfg.clock);
	err = mapi_key_generate(h->cfg.key_type, &key);
	if (err != MAPI_OK) {
		mapi_diag_set(diag, "cannot generate a signing key");
		goto out;
	}
	old = mapi_keyset_active(h->cfg.keyset);
	if (old != NULL) {
		(void)snprintf(old_kid, sizeof(old_kid), "%s",
		               mapi_key_kid(old));
		(void)snprintf(path, sizeof(path),
		               "%s/" RETIRED_PREFIX "%s" RETIRED_SUFFIX,
		               h->state_dir, old_kid);
		err = mapi_key_save_private(old, path);
		if (err != MAPI_OK) {
			mapi_diag_set(diag, "cannot write %s", path);
			goto out;
		}
	}
	(void)snprintf(path, sizeof(path), "%s/%s", h->state_dir,
	               h->active_key_file);
	err = mapi_key_save_private(key, path);
	if (err != MAPI_OK) {
		mapi_diag_set(diag, "cannot write %s", path);
		goto out;
	}
	err = mapi_keyset_set_active(h->cfg.keyset, key);
	if (err != MAPI_OK) {
		mapi_diag_set(diag, "keyset full");
		goto out;
	}
	if (old != NULL) {
		retire_locked(h, old_kid, now);
	}
	res = cJSON_CreateObject();
	dropped = cJSON_CreateArray();
	if (res == NULL || dropped == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	{
		struct mapi_event_input ev = {
			.type = MAPI_EVENT_KEY_ROTATED,
			.kid = mapi_key_kid(key),
			.reason = drop_old ? "rotated; old keys dropped"
			                   : "rotated",
		};

		(void)mapi_events_add(h->events, &ev);
	}
	while (drop_old && h->n_retired > 0) {
		(void)cJSON_AddItemToArray(
			dropped, cJSON_CreateString(h->retired[0].kid));
		drop_retired_at(h, 0, "retired key dropped");
	}
	if (!cJSON_AddStringToObject(res, "kid", mapi_key_kid(key)) ||
	    (old_kid[0] != '\0' &&
	     !cJSON_AddStringToObject(res, "previous", old_kid)) ||
	    !cJSON_AddItemToObject(res, "dropped", dropped)) {
		err = MAPI_ENOMEM;
		goto out;
	}
	dropped = NULL;
	*out = res;
	res = NULL;
out:
	(void)pthread_mutex_unlock(&h->mu);
	cJSON_Delete(res);
	cJSON_Delete(dropped);
	mapi_key_unref(old);
	mapi_key_unref(key);
	return err;
}

enum mapi_err
mapi_harness_keys_json(struct mapi_harness *h, cJSON **out)
{
	struct mapi_key **keys = NULL;
	struct mapi_key *active;
	cJSON *root = cJSON_CreateObject();
	cJSON *arr = root ? cJSON_AddArrayToObject(root, "keys") : NULL;
	size_t n = 0;
	size_t i;
	size_t k;
	enum mapi_err err = arr != NULL ? MAPI_OK : MAPI_ENOMEM;

	(void)pthread_mutex_lock(&h->mu);
	active = mapi_keyset_active(h->cfg.keyset);
	if (err == MAPI_OK && active != NULL &&
	    !cJSON_AddStringToObject(root, "active", mapi_key_kid(active))) {
		err = MAPI_ENOMEM;
	}
	if (err == MAPI_OK) {
		err = mapi_keyset_snapshot(h->cfg.keyset, &keys, &n);
	}
	for (i = 0; err == MAPI_OK && i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		const char *kid = mapi_key_kid(keys[i]);
		bool ok;

		if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			err = MAPI_ENOMEM;
			break;
		}
		ok = cJSON_AddStringToObject(o, "kid", kid) &&
		     cJSON_AddStringToObject(o, "alg",
		                             mapi_key_alg(keys[i]) ==
		                                             MAPI_JWS_ES256
		                                     ? "ES256"
		                                     : "RS256") &&
		     cJSON_AddBoolToObject(o, "active", keys[i] == active);
		for (k = 0; ok && k < h->n_retired; k++) {
			if (strcmp(h->retired[k].kid, kid) != 0) {
				continue;
			}
			ok = add_time(o, "retiredAt",
			              h->retired[k].retired_ns) &&
			     (h->retired[k].drop_ns == 0 ||
			      add_time(o, "dropAt", h->retired[k].drop_ns));
		}
		if (!ok) {
			err = MAPI_ENOMEM;
		}
	}
	(void)pthread_mutex_unlock(&h->mu);
	mapi_keyset_snapshot_free(keys, n);
	mapi_key_unref(active);
	if (err != MAPI_OK) {
		cJSON_Delete(root);
		return err;
	}
	*out = root;
	return MAPI_OK;
}

/* ---- reset ---- */

static enum mapi_err
add_default_locked(struct mapi_harness *h, struct mapi_diag *diag)
{
	enum mapi_err err;
	struct mapi_diag d = { 0 };

	if (h->default_dir[0] == '\0') {
		return MAPI_OK;
	}
	err = add_volume_locked(h, h->default_dir, h->default_pod, NULL, 0,
	                        true, NULL, &d);
	if (err == MAPI_ENOTFOUND && !h->cfg.default_required) {
		return MAPI_OK; /* custom fixtures without the default pod */
	}
	if (err != MAPI_OK) {
		mapi_diag_set(diag, "--serviceaccount-dir %s: %s",
		              h->default_dir, d.msg);
	}
	return err;
}

enum mapi_err
mapi_harness_reset(struct mapi_harness *h, struct mapi_diag *diag)
{
	enum mapi_err err;

	(void)pthread_mutex_lock(&h->mu);
	err = mapi_clock_set_rate(h->cfg.clock, h->cfg.clock_rate_milli);
	mapi_clock_resume(h->cfg.clock);
	if (err == MAPI_OK) {
		err = mapi_clock_apply_spec(h->cfg.clock, h->clock_spec, diag);
	}
	if (err == MAPI_OK && h->cfg.reload != NULL) {
		err = h->cfg.reload(h->cfg.reload_payload, diag);
	}
	mapi_faults_clear(h->faults);
	mapi_kubelet_free(h->kubelet);
	h->kubelet = NULL;
	h->n_vols = 0;
	if (err == MAPI_OK) {
		err = new_kubelet_locked(h);
	}
	mapi_events_clear(h->events);
	if (err == MAPI_OK) {
		err = add_default_locked(h, diag);
	}
	if (h->kubelet != NULL) {
		run_due_locked(h, mapi_clock_now_ns(h->cfg.clock));
	}
	(void)pthread_mutex_unlock(&h->mu);
	return err;
}

/* ---- lifecycle ---- */

struct mapi_events *
mapi_harness_events(const struct mapi_harness *h)
{
	return h->events;
}

struct mapi_faults *
mapi_harness_faults(const struct mapi_harness *h)
{
	return h->faults;
}

enum mapi_err
mapi_harness_new(const struct mapi_harness_config *cfg,
                 struct mapi_harness **out, struct mapi_diag *diag)
{
	struct mapi_harness *h = calloc(1, sizeof(*h));
	pthread_condattr_t ca;
	enum mapi_err err = MAPI_ENOMEM;

	if (h == NULL) {
		return MAPI_ENOMEM;
	}
	h->cfg = *cfg;
	(void)pthread_mutex_init(&h->mu, NULL);
	(void)pthread_mutex_init(&h->tick_mu, NULL);
	(void)pthread_condattr_init(&ca);
	(void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	(void)pthread_cond_init(&h->tick_cv, &ca);
	(void)pthread_condattr_destroy(&ca);
	(void)snprintf(h->state_dir, sizeof(h->state_dir), "%s",
	               cfg->state_dir);
	(void)snprintf(h->active_key_file, sizeof(h->active_key_file), "%s",
	               cfg->active_key_file);
	(void)snprintf(h->clock_spec, sizeof(h->clock_spec), "%s",
	               cfg->clock_spec != NULL ? cfg->clock_spec : "now");
	if (cfg->default_dir != NULL) {
		(void)snprintf(h->default_dir, sizeof(h->default_dir), "%s",
		               cfg->default_dir);
		(void)snprintf(h->default_pod, sizeof(h->default_pod), "%s",
		               cfg->default_pod);
	}
	if (cfg->ca_pem != NULL) {
		h->ca_pem = strdup(cfg->ca_pem);
		if (h->ca_pem == NULL) {
			goto out;
		}
		h->ca_len = strlen(h->ca_pem);
	}
	err = mapi_events_new(0, 0, cfg->clock, &h->events);
	if (err == MAPI_OK) {
		err = mapi_faults_new(cfg->seeded ? cfg->seed : random_u64(),
		                      &h->faults);
	}
	if (err == MAPI_OK) {
		err = new_kubelet_locked(h);
	}
	if (err == MAPI_OK) {
		err = load_retired(h, diag);
	}
	if (err == MAPI_OK) {
		(void)pthread_mutex_lock(&h->mu);
		err = add_default_locked(h, diag);
		(void)pthread_mutex_unlock(&h->mu);
	}
	if (err != MAPI_OK) {
		goto out;
	}
	if (cfg->tick_ms >= 0) {
		if (h->cfg.tick_ms == 0) {
			h->cfg.tick_ms = 200;
		}
		if (pthread_create(&h->thread, NULL, ticker, h) != 0) {
			mapi_diag_set(diag, "cannot start the timer thread");
			err = MAPI_EINTERNAL;
			goto out;
		}
		h->thread_started = true;
	}
	*out = h;
	h = NULL;
out:
	mapi_harness_free(h);
	return err;
}

void
mapi_harness_shutdown(struct mapi_harness *h)
{
	if (h != NULL) {
		mapi_events_shutdown(h->events);
	}
}

void
mapi_harness_free(struct mapi_harness *h)
{
	if (h == NULL) {
		return;
	}
	if (h->thread_started) {
		(void)pthread_mutex_lock(&h->tick_mu);
		h->stop = true;
		(void)pthread_cond_signal(&h->tick_cv);
		(void)pthread_mutex_unlock(&h->tick_mu);
		(void)pthread_join(h->thread, NULL);
	}
	mapi_kubelet_free(h->kubelet);
	mapi_faults_free(h->faults);
	mapi_events_free(h->events);
	free(h->ca_pem);
	(void)pthread_cond_destroy(&h->tick_cv);
	(void)pthread_mutex_destroy(&h->tick_mu);
	(void)pthread_mutex_destroy(&h->mu);
	free(h);
}
