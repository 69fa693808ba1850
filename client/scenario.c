/* SPDX-License-Identifier: MIT */
#define _XOPEN_SOURCE 700 /* nftw */
#include "scenario.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "transport.h"
#include "util.h"

#define MAX_CLEANUPS 8
#define VIEW_BINDING "saclient-scenario-view"
#define TOKEN_ROLE   "saclient-scenario-token"
#define RBAC_PATH    "/apis/rbac.authorization.k8s.io/v1/namespaces/"

/* Truncating snprintf whose result is deliberately not checked. */
static void
truncated(int n)
{
	(void)n;
}

/* ---- the mock clock ---- */

struct sac_mock_clock {
	struct sac_clock clock;
	struct sac_client *admin;
	int64_t mock_ms; /* at the last sync */
	int64_t real_ms; /* system time of the last sync */
	bool frozen;
	double rate;
	enum sac_err error;
};

static enum sac_err
apply_clock(struct sac_mock_clock *m, const cJSON *j, struct sac_diag *diag)
{
	const char *now = sac_json_str(j, "now");
	const cJSON *rate = cJSON_GetObjectItemCaseSensitive(j, "rate");
	const char *frac;
	int64_t s;
	int64_t ms = 0;
	int digits = 0;

	if (now == NULL || sac_time_parse(now, &s) != SAC_OK ||
	    !cJSON_IsNumber(rate)) {
		sac_diag_set(diag, "GET /mock/v1/clock: not a mock clock "
		                   "(want {\"now\",\"frozen\",\"rate\"})");
		return SAC_EHTTP;
	}
	frac = strchr(now, '.');
	for (frac = frac ? frac + 1 : ""; digits < 3; digits++) {
		ms = ms * 10 +
		     (*frac >= '0' && *frac <= '9' ? *frac++ - '0' : 0);
	}
	m->mock_ms = s * 1000 + ms;
	m->real_ms = sac_clock_now_ms(NULL);
	m->frozen = sac_json_bool(j, "frozen", false);
	m->rate = rate->valuedouble;
	return SAC_OK;
}

static enum sac_err
clock_call(struct sac_mock_clock *m, const char *method, const char *path,
           const cJSON *body, struct sac_diag *diag)
{
	cJSON *j = NULL;
	enum sac_err err;

	err = sac_client_request_json(m->admin, method, path, body, &j, diag);
	if (err == SAC_OK) {
		err = apply_clock(m, j, diag);
	}
	cJSON_Delete(j);
	return err;
}

static int64_t
mock_now(void *payload)
{
	const struct sac_mock_clock *m = payload;
	int64_t real = sac_clock_now_ms(NULL) - m->real_ms;

	if (m->frozen) {
		return m->mock_ms;
	}
	return m->mock_ms + (int64_t)((double)real * m->rate + 0.5);
}

static void
mock_sleep(int64_t ms, void *payload)
{
	struct sac_mock_clock *m = payload;
	struct sac_diag d = { 0 };
	enum sac_err err;

	if (m->frozen) {
		err = sac_mock_clock_advance(m, ms, &d);
	} else {
		sac_clock_sleep_ms(NULL, (int64_t)((double)ms / m->rate) + 1);
		err = sac_mock_clock_sync(m, &d);
	}
	if (err != SAC_OK && m->error == SAC_OK) {
		m->error = err;
	}
}

enum sac_err
sac_mock_clock_new(struct sac_client *admin, struct sac_mock_clock **out,
                   struct sac_diag *diag)
{
	struct sac_mock_clock *m = calloc(1, sizeof(*m));
	enum sac_err err;

	if (m == NULL) {
		return SAC_ENOMEM;
	}
	m->admin = admin;
	m->clock.now_ms = mock_now;
	m->clock.sleep_ms = mock_sleep;
	m->clock.payload = m;
	err = sac_mock_clock_sync(m, diag);
	if (err != SAC_OK) {
		free(m);
		return err;
	}
	*out = m;
	return SAC_OK;
}

void
sac_mock_clock_free(struct sac_mock_clock *m)
{
	free(m);
}

const struct sac_clock *
sac_mock_clock_get(const struct sac_mock_clock *m)
{
	return &m->clock;
}

enum sac_err
sac_mock_clock_sync(struct sac_mock_clock *m, struct sac_diag *diag)
{
	return clock_call(m, "GET", "/mock/v1/clock", NULL, diag);
}

enum sac_err
sac_mock_clock_set(struct sac_mock_clock *m, bool frozen, double rate,
                   struct sac_diag *diag)
{
	cJSON *b = cJSON_CreateObject();
	enum sac_err err = SAC_ENOMEM;

	if (b != NULL && cJSON_AddBoolToObject(b, "frozen", frozen) != NULL &&
	    (rate <= 0 || cJSON_AddNumberToObject(b, "rate", rate) != NULL)) {
		err = clock_call(m, "PUT", "/mock/v1/clock", b, diag);
	}
	cJSON_Delete(b);
	return err;
}

enum sac_err
sac_mock_clock_advance(struct sac_mock_clock *m, int64_t ms,
                       struct sac_diag *diag)
{
	cJSON *b = cJSON_CreateObject();
	enum sac_err err = SAC_ENOMEM;

	if (ms < 0) {
		ms = 0;
	}
	if (b != NULL && cJSON_AddNumberToObject(b, "seconds",
	                                         (double)ms / 1000.0) != NULL) {
		err = clock_call(m, "POST", "/mock/v1/clock/advance", b, diag);
	}
	cJSON_Delete(b);
	return err;
}

bool
sac_mock_clock_frozen(const struct sac_mock_clock *m)
{
	return m->frozen;
}

double
sac_mock_clock_rate(const struct sac_mock_clock *m)
{
	return m->rate;
}

enum sac_err
sac_mock_clock_error(const struct sac_mock_clock *m)
{
	return m->error;
}

/* ---- timeline ---- */

static const char *const kind_names[] = {
	[SAC_TL_STEP] = "STEP",     [SAC_TL_INFO] = "INFO",
	[SAC_TL_OK] = "OK",         [SAC_TL_EXPECTED] = "EXPECTED",
	[SAC_TL_FAIL] = "FAIL",     [SAC_TL_PASS] = "PASS",
	[SAC_TL_FAILED] = "FAILED",
};

const char *
sac_timeline_kind_name(enum sac_timeline_kind k)
{
	if ((unsigned)k >= sizeof(kind_names) / sizeof(kind_names[0])) {
		return "?";
	}
	return kind_names[k];
}

/* ---- one API caller: a client over a 401-counting transport ---- */

struct wire {
	struct sac_transport *transport;
	unsigned n401;
};

static enum sac_err
wire_http(const char *method, const char *path, const char *bearer,
          const char *content_type, const char *body, size_t body_len,
          struct sac_http_response *out, struct sac_diag *diag, void *payload)
{
	struct wire *w = payload;
	enum sac_err err;

	err = sac_transport_do(w->transport, method, path, bearer, content_type,
	                       body, body_len, out, diag);
	if (err == SAC_OK && out->status == 401) {
		w->n401++;
	}
	return err;
}

struct actor {
	const char *name;
	struct wire wire;
	struct sac_client *client;
	char *last; /* the token of the last call (wiped) */
	unsigned calls;
	unsigned failed;
	unsigned expected;
	unsigned rotations;
	bool expect_failure; /* read-once: a 401 after exp is expected */
};

struct cleanup {
	char *path;    /* admin DELETE path */
	char *tmp_dir; /* or a directory to remove */
};

struct run {
	const struct sac_scenario_options *o;
	const char *scenario;
	struct sac_client *admin;
	struct sac_mock_clock *mc;
	int64_t start_ms;
	struct sac_scenario_result res;
	struct cleanup cleanups[MAX_CLEANUPS];
	size_t n_cleanups;
	char ns[254];
	char sa[254];
	char pod[254];
};

static void emit(struct run *r, enum sac_timeline_kind k, const char *actor,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
emit(struct run *r, enum sac_timeline_kind k, const char *actor,
     const char *fmt, ...)
{
	struct sac_timeline_entry e = { 0 };
	char text[768];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (k == SAC_TL_FAIL && r->res.passed) {
		r->res.passed = false;
		truncated(snprintf(r->res.why, sizeof(r->res.why),
		                   "%.40s: %.460s", actor, text));
	}
	if (r->o->on_entry == NULL) {
		return;
	}
	e.mock_ms = sac_clock_now_ms(sac_mock_clock_get(r->mc));
	e.elapsed_ms = e.mock_ms - r->start_ms;
	e.kind = k;
	e.scenario = r->scenario;
	e.actor = actor;
	e.text = text;
	r->o->on_entry(&e, r->o->payload);
}

static int64_t
now_s(const struct run *r)
{
	return sac_clock_now_ms(sac_mock_clock_get(r->mc)) / 1000;
}

/* "jti 1a2b3c4d, expires in 8m" (never the token). */
static void
token_label(const struct run *r, const char *tok, char *buf, size_t len)
{
	struct sac_jwt *jwt = NULL;
	char id[16];
	char d[32];
	int64_t exp;
	int64_t now = now_s(r);

	if (tok == NULL || sac_jwt_decode(tok, &jwt, NULL) != SAC_OK) {
		(void)snprintf(buf, len, "%s",
		               tok ? "(not a JWT)" : "no token");
		return;
	}
	(void)sac_jwt_label(jwt, id, sizeof(id));
	if (sac_jwt_time_claim(jwt, "exp", &exp)) {
		(void)sac_duration_human(exp - now, d, sizeof(d));
		(void)snprintf(buf, len, "jti %s, %s %s%s", id,
		               exp > now ? "expires in" : "EXPIRED", d,
		               exp > now ? "" : " ago");
	} else {
		(void)snprintf(buf, len, "jti %s, no exp", id);
	}
	sac_jwt_free(jwt);
}

static bool
token_expired(const struct run *r, const char *tok)
{
	struct sac_jwt *jwt = NULL;
	bool expired;

	if (tok == NULL || sac_jwt_decode(tok, &jwt, NULL) != SAC_OK) {
		return false;
	}
	expired = sac_jwt_is_expired(jwt, now_s(r));
	sac_jwt_free(jwt);
	return expired;
}

static void
actor_free(struct actor *a)
{
	sac_client_free(a->client);
	sac_transport_free(a->wire.transport);
	sac_free_secret(a->last);
	memset(a, 0, sizeof(*a));
}

/*
 * A client for the ServiceAccount: server from the admin configuration,
 * CA and namespace from dir, on the mock clock, one keep-alive transport
 * counting 401s. The token source is adopted afterwards.
 */
static enum sac_err
actor_init(struct run *r, struct actor *a, const char *name, const char *dir,
           struct sac_diag *diag)
{
	struct sac_client_options opts = SAC_CLIENT_OPTIONS_DEFAULT;
	struct sac_config cfg = { 0 };
	char ca[PATH_MAX];
	enum sac_err err;

	memset(a, 0, sizeof(*a));
	a->name = name;
	(void)snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	cfg.server = r->o->admin->server;
	cfg.ca_file = ca;
	cfg.namespace_ = r->ns;
	cfg.origin = (char *)"in-cluster";
	err = sac_transport_new(&cfg, 0, &a->wire.transport, diag);
	if (err != SAC_OK) {
		return err;
	}
	opts.clock = sac_mock_clock_get(r->mc);
	opts.http = wire_http;
	opts.http_payload = &a->wire;
	err = sac_client_new(&cfg, &opts, &a->client, diag);
	if (err != SAC_OK) {
		actor_free(a);
	}
	return err;
}

static enum sac_err
actor_file(struct run *r, struct actor *a, const char *name, const char *dir,
           enum sac_strategy st, int64_t period_ms, struct sac_diag *diag)
{
	struct sac_token_source *src = NULL;
	char path[PATH_MAX];
	enum sac_err err;

	err = actor_init(r, a, name, dir, diag);
	if (err != SAC_OK) {
		return err;
	}
	(void)snprintf(path, sizeof(path), "%s/token", dir);
	err = sac_token_source_new_file(path, st, period_ms,
	                                sac_mock_clock_get(r->mc), &src, diag);
	if (err != SAC_OK) {
		actor_free(a);
		return err;
	}
	sac_client_adopt_token_source(a->client, src);
	return SAC_OK;
}

/* TokenRequest for the ServiceAccount itself, bootstrapped by dir/token. */
static enum sac_err
actor_request(struct run *r, struct actor *a, const char *dir,
              struct sac_diag *diag)
{
	struct sac_request_source_config rc = { 0 };
	struct sac_token_source *boot = NULL;
	struct sac_token_source *src = NULL;
	char path[PATH_MAX];
	enum sac_err err;

	err = actor_init(r, a, "request", dir, diag);
	if (err != SAC_OK) {
		return err;
	}
	(void)snprintf(path, sizeof(path), "%s/token", dir);
	err = sac_token_source_new_file(path, SAC_STRATEGY_REREAD, 0,
	                                sac_mock_clock_get(r->mc), &boot, diag);
	if (err == SAC_OK) {
		rc.namespace_ = r->ns;
		rc.name = r->sa;
		rc.expiration_seconds = r->o->expiration_s;
		rc.clock = sac_mock_clock_get(r->mc);
		err = sac_token_source_new_request(&rc, boot, sac_client_send,
		                                   a->client, &src, diag);
	}
	if (err != SAC_OK) {
		sac_token_source_free(boot);
		actor_free(a);
		return err;
	}
	sac_client_adopt_token_source(a->client, src);
	return SAC_OK;
}

/*
 * One user-visible call (list pods in the namespace). Reports token
 * changes and 401s retried away; judges the outcome: a failure is
 * EXPECTED only for an actor that expects one and only as a 401 after
 * its token's exp.
 */
static void
actor_call(struct run *r, struct actor *a, bool report_ok)
{
	struct sac_diag d = { 0 };
	struct sac_token_source *src = sac_client_token_source_get(a->client);
	unsigned n401 = a->wire.n401;
	unsigned loads = sac_token_source_loads(src);
	const char *tok;
	char label[96];
	cJSON *j = NULL;
	enum sac_err err;

	err = sac_pods_get(a->client, r->ns, NULL, &j, &d);
	a->calls++;
	r->res.calls++;
	tok = sac_token_source_peek(src);
	token_label(r, tok, label, sizeof(label));
	if (tok != NULL && a->last != NULL && strcmp(tok, a->last) != 0) {
		a->rotations++;
		r->res.rotations++;
		emit(r, SAC_TL_INFO, a->name, "new token (%s): %s %u", label,
		     sac_token_source_strategy(src) == SAC_STRATEGY_REQUEST
		             ? "TokenRequests made:"
		             : "token file reads:",
		     sac_token_source_loads(src));
		report_ok = true;
	}
	if (tok != NULL && (a->last == NULL || strcmp(tok, a->last) != 0)) {
		sac_free_secret(a->last);
		a->last = sac_strdup(tok);
	}
	if (err == SAC_OK) {
		if (a->wire.n401 > n401) {
			r->res.recovered_401s++;
			emit(r, SAC_TL_OK, a->name,
			     "list pods: the server said 401 to the old token; "
			     "%s, retried: ok (%s)",
			     sac_token_source_loads(src) > loads
			             ? "refreshed it"
			             : "kept it",
			     label);
		} else if (report_ok) {
			emit(r, SAC_TL_OK, a->name, "list pods: %d pod(s) (%s)",
			     cJSON_GetArraySize(
				     cJSON_GetObjectItemCaseSensitive(j,
			                                              "items")),
			     label);
		}
		cJSON_Delete(j);
		return;
	}
	a->failed++;
	r->res.failed_calls++;
	if (a->expect_failure && err == SAC_EAUTH && token_expired(r, tok)) {
		a->expected++;
		r->res.expected_failures++;
		if (a->expected == 1) {
			emit(r, SAC_TL_EXPECTED, a->name,
			     "list pods: %s -- its token expired and %s never "
			     "reads the file again (%s)",
			     d.msg, a->name, label);
		}
		return;
	}
	emit(r, SAC_TL_FAIL, a->name, "list pods failed (%s): %s (%s)",
	     sac_err_name(err), d.msg, label);
}

/* ---- admin helpers ---- */

static enum sac_err
admin_json(struct run *r, const char *method, const char *path,
           const cJSON *body, cJSON **out, struct sac_diag *diag)
{
	cJSON *j = NULL;
	enum sac_err err;

	err = sac_client_request_json(r->admin, method, path, body, &j, diag);
	if (err == SAC_OK && out != NULL) {
		*out = j;
		j = NULL;
	}
	cJSON_Delete(j);
	return err;
}

static bool
add_cleanup(struct run *r, char *path, char *dir)
{
	if (r->n_cleanups == MAX_CLEANUPS || (path == NULL && dir == NULL)) {
		free(path);
		free(dir);
		return false;
	}
	r->cleanups[r->n_cleanups].path = path;
	r->cleanups[r->n_cleanups].tmp_dir = dir;
	r->n_cleanups++;
	return true;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	/* Best effort: what cannot be removed stays. */
	(void)(flag == FTW_DP ? rmdir(path) : unlink(path));
	return 0;
}

/* In reverse order: volumes and RBAC objects deleted, directories gone. */
static void
run_cleanups(struct run *r)
{
	while (r->n_cleanups > 0) {
		struct cleanup *c = &r->cleanups[--r->n_cleanups];
		struct sac_diag d = { 0 };

		if (c->path != NULL && admin_json(r, "DELETE", c->path, NULL,
		                                  NULL, &d) != SAC_OK) {
			emit(r, SAC_TL_INFO, "admin", "clean up %s: %s",
			     c->path, d.msg);
		}
		if (c->tmp_dir != NULL) {
			(void)nftw(c->tmp_dir, rm_entry, 16,
			           FTW_DEPTH | FTW_PHYS);
		}
		free(c->path);
		free(c->tmp_dir);
	}
}

static char *path_printf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static char *
path_printf(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return sac_strdup(buf);
}

/*
 * POSTs obj to path as the admin; registers its DELETE. An object that
 * exists already (409) is used as it is and left in place.
 */
static enum sac_err
admin_create(struct run *r, const char *coll, const char *name, cJSON *obj,
             const char *what, struct sac_diag *diag)
{
	enum sac_err err = admin_json(r, "POST", coll, obj, NULL, diag);

	if (err == SAC_EHTTP && diag->status.code == 409) {
		emit(r, SAC_TL_INFO, "admin", "%s exists already: using it",
		     what);
		memset(diag, 0, sizeof(*diag));
		return SAC_OK;
	}
	if (err != SAC_OK) {
		return err;
	}
	(void)add_cleanup(r, path_printf("%s/%s", coll, name), NULL);
	emit(r, SAC_TL_STEP, "admin", "created %s", what);
	return SAC_OK;
}

static cJSON *
binding_json(const struct run *r, const char *name, const char *kind,
             const char *role)
{
	char text[2048];

	(void)snprintf(text, sizeof(text),
	               "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\","
	               "\"kind\":\"RoleBinding\",\"metadata\":{\"name\":"
	               "\"%s\"},\"roleRef\":{\"apiGroup\":"
	               "\"rbac.authorization.k8s.io\",\"kind\":\"%s\","
	               "\"name\":\"%s\"},\"subjects\":[{\"kind\":"
	               "\"ServiceAccount\",\"name\":\"%s\",\"namespace\":"
	               "\"%s\"}]}",
	               name, kind, role, r->sa, r->ns);
	return cJSON_Parse(text);
}

static enum sac_err
grant_view(struct run *r, struct sac_diag *diag)
{
	char coll[512];
	char what[1280];
	cJSON *b = binding_json(r, VIEW_BINDING, "ClusterRole", "view");
	enum sac_err err;

	(void)snprintf(coll, sizeof(coll), RBAC_PATH "%s/rolebindings", r->ns);
	truncated(snprintf(
		what, sizeof(what),
		"RoleBinding %s/" VIEW_BINDING " -> ClusterRole view "
		"for system:serviceaccount:%s:%s (so it may list pods)",
		r->ns, r->ns, r->sa));
	err = b ? admin_create(r, coll, VIEW_BINDING, b, what, diag)
	        : SAC_ENOMEM;
	cJSON_Delete(b);
	return err;
}

static enum sac_err
grant_token_request(struct run *r, struct sac_diag *diag)
{
	char coll[512];
	char what[1280];
	char text[1024];
	cJSON *role = NULL;
	cJSON *b = NULL;
	enum sac_err err = SAC_ENOMEM;

	(void)snprintf(text, sizeof(text),
	               "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\","
	               "\"kind\":\"Role\",\"metadata\":{\"name\":\"" TOKEN_ROLE
	               "\"},\"rules\":[{\"apiGroups\":[\"\"],\"resources\":"
	               "[\"serviceaccounts/token\"],\"verbs\":[\"create\"],"
	               "\"resourceNames\":[\"%s\"]}]}",
	               r->sa);
	role = cJSON_Parse(text);
	b = binding_json(r, TOKEN_ROLE, "Role", TOKEN_ROLE);
	if (role == NULL || b == NULL) {
		goto out;
	}
	(void)snprintf(coll, sizeof(coll), RBAC_PATH "%s/roles", r->ns);
	(void)snprintf(what, sizeof(what),
	               "Role %s/" TOKEN_ROLE " (create serviceaccounts/token "
	               "for %s only)",
	               r->ns, r->sa);
	err = admin_create(r, coll, TOKEN_ROLE, role, what, diag);
	if (err != SAC_OK) {
		goto out;
	}
	(void)snprintf(coll, sizeof(coll), RBAC_PATH "%s/rolebindings", r->ns);
	truncated(
		snprintf(what, sizeof(what),
	                 "RoleBinding %s/" TOKEN_ROLE " -> Role " TOKEN_ROLE
	                 " for system:serviceaccount:%s:%s (so it may request "
	                 "its own tokens)",
	                 r->ns, r->ns, r->sa));
	err = admin_create(r, coll, TOKEN_ROLE, b, what, diag);
out:
	cJSON_Delete(role);
	cJSON_Delete(b);
	return err;
}

/*
 * A projected token volume of the scenario's own (in a fresh directory
 * under work_dir) for the pod of the in-cluster token. *out_dir is
 * malloc'd.
 */
static enum sac_err
add_volume(struct run *r, char **out_dir, struct sac_diag *diag)
{
	const char *base = r->o->work_dir;
	char tmpl[PATH_MAX];
	char real[PATH_MAX];
	char dir[PATH_MAX + 8];
	char pod[512];
	cJSON *b = cJSON_CreateObject();
	cJSON *resp = NULL;
	int64_t id = 0;
	enum sac_err err = SAC_ENOMEM;

	if (base == NULL) {
		base = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	}
	(void)snprintf(tmpl, sizeof(tmpl), "%s/saclient-scenario-XXXXXX", base);
	if (b == NULL) {
		return SAC_ENOMEM;
	}
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, real) == NULL) {
		sac_diag_set(diag, "%s: %s", tmpl, strerror(errno));
		cJSON_Delete(b);
		return SAC_EIO;
	}
	(void)add_cleanup(r, NULL, sac_strdup(real));
	(void)snprintf(dir, sizeof(dir), "%s/vol", real);
	(void)snprintf(pod, sizeof(pod), "%s/%s", r->ns, r->pod);
	if (cJSON_AddStringToObject(b, "dir", dir) == NULL ||
	    cJSON_AddStringToObject(b, "pod", pod) == NULL ||
	    cJSON_AddNumberToObject(b, "expirationSeconds",
	                            (double)r->o->expiration_s) == NULL) {
		goto out;
	}
	err = admin_json(r, "POST", "/mock/v1/volumes", b, &resp, diag);
	if (err != SAC_OK) {
		goto out;
	}
	if (!sac_json_int(resp, "id", &id)) {
		sac_diag_set(diag,
		             "POST /mock/v1/volumes: no id in the answer");
		err = SAC_EHTTP;
		goto out;
	}
	(void)add_cleanup(
		r, path_printf("/mock/v1/volumes/%lld", (long long)id), NULL);
	emit(r, SAC_TL_STEP, "admin",
	     "projected token volume %lld for pod %s in %s: "
	     "expirationSeconds %lld, the kubelet refreshes at 80 %%",
	     (long long)id, pod, dir, (long long)r->o->expiration_s);
	*out_dir = sac_strdup(dir);
	err = *out_dir != NULL ? SAC_OK : SAC_ENOMEM;
out:
	cJSON_Delete(resp);
	cJSON_Delete(b);
	return err;
}

/*
 * Who the in-cluster token is: namespace, ServiceAccount and pod from its
 * claims (kubernetes.io.namespace / .serviceaccount.name / .pod.name).
 */
static enum sac_err
identify(struct run *r, struct sac_jwt **out_jwt, char **out_token,
         struct sac_diag *diag)
{
	char path[PATH_MAX];
	char *tok = NULL;
	size_t len = 0;
	struct sac_jwt *jwt = NULL;
	const cJSON *k8s;
	const char *ns;
	const char *sa;
	const char *pod;
	enum sac_err err;

	(void)snprintf(path, sizeof(path), "%s/token",
	               r->o->serviceaccount_dir);
	err = sac_read_file(path, 1u << 20, &tok, &len, diag);
	if (err != SAC_OK) {
		char why[sizeof(diag->msg)];

		(void)snprintf(why, sizeof(why), "%s", diag->msg);
		sac_diag_set(diag, "cannot read the in-cluster token: %s", why);
		return SAC_ETOKEN;
	}
	if (strspn(tok, " \t\r\n") == len) {
		sac_diag_set(diag, "the in-cluster token %s is empty", path);
		sac_free_secret(tok);
		return SAC_ETOKEN;
	}
	err = sac_jwt_decode(tok, &jwt, diag);
	if (err != SAC_OK) {
		sac_free_secret(tok);
		return err;
	}
	k8s = sac_json_obj(sac_jwt_claims_get(jwt), "kubernetes.io");
	ns = sac_json_str(k8s, "namespace");
	sa = sac_json_path_str(k8s, "serviceaccount.name");
	pod = sac_json_path_str(k8s, "pod.name");
	if (ns == NULL || sa == NULL || pod == NULL) {
		sac_diag_set(diag,
		             "%s is not a pod-bound ServiceAccount token (no "
		             "kubernetes.io namespace/serviceaccount/pod "
		             "claims)",
		             path);
		sac_jwt_free(jwt);
		sac_free_secret(tok);
		return SAC_ETOKEN;
	}
	(void)snprintf(r->ns, sizeof(r->ns), "%s", ns);
	(void)snprintf(r->sa, sizeof(r->sa), "%s", sa);
	(void)snprintf(r->pod, sizeof(r->pod), "%s", pod);
	if (out_jwt != NULL) {
		*out_jwt = jwt;
	} else {
		sac_jwt_free(jwt);
	}
	if (out_token != NULL) {
		*out_token = tok;
	} else {
		sac_free_secret(tok);
	}
	return SAC_OK;
}

/* ---- the scenarios ---- */

static enum sac_err
retrieval(struct run *r, struct sac_diag *diag)
{
	const char *dir = r->o->serviceaccount_dir;
	struct actor a = { 0 };
	struct sac_diag d = { 0 };
	struct sac_jwt *jwt = NULL;
	char *tok = NULL;
	char *text = NULL;
	char want[600];
	cJSON *j = NULL;
	const char *user;
	enum sac_err err;

	emit(r, SAC_TL_STEP, "pod",
	     "read the in-cluster files in %s (token, ca.crt, namespace)", dir);
	err = identify(r, &jwt, &tok, diag);
	if (err != SAC_OK) {
		goto out;
	}
	(void)snprintf(want, sizeof(want), "system:serviceaccount:%s:%s", r->ns,
	               r->sa);
	if (sac_jwt_format(jwt, now_s(r), &text) == SAC_OK) {
		char *save = NULL;

		emit(r, SAC_TL_STEP, "inspect",
		     "decode the token locally (untrusted until the server "
		     "says so):");
		for (char *l = strtok_r(text, "\n", &save); l != NULL;
		     l = strtok_r(NULL, "\n", &save)) {
			emit(r, SAC_TL_INFO, "inspect", "  %s", l);
		}
	}
	if (sac_jwt_is_expired(jwt, now_s(r))) {
		emit(r, SAC_TL_FAIL, "inspect",
		     "the kubelet's token is already expired");
	}
	if (sac_jwt_sub(jwt) == NULL || strcmp(sac_jwt_sub(jwt), want) != 0) {
		emit(r, SAC_TL_FAIL, "inspect", "sub is %s, not %s",
		     sac_jwt_sub(jwt) ? sac_jwt_sub(jwt) : "absent", want);
	}
	err = actor_file(r, &a, "pod", dir, SAC_STRATEGY_REREAD, 0, diag);
	if (err != SAC_OK) {
		goto out;
	}

	emit(r, SAC_TL_STEP, "pod", "list pods in %s before any grant", r->ns);
	err = sac_pods_get(a.client, r->ns, NULL, &j, &d);
	r->res.calls++;
	if (err == SAC_EFORBIDDEN) {
		r->res.failed_calls++;
		r->res.expected_failures++;
		emit(r, SAC_TL_EXPECTED, "pod", "%s", d.msg);
	} else if (err == SAC_OK) {
		emit(r, SAC_TL_INFO, "pod",
		     "already allowed (someone granted it before)");
	} else {
		r->res.failed_calls++;
		emit(r, SAC_TL_FAIL, "pod", "list pods: %s", d.msg);
	}
	cJSON_Delete(j);
	j = NULL;

	err = grant_view(r, diag);
	if (err != SAC_OK) {
		goto out;
	}
	memset(&d, 0, sizeof(d));
	emit(r, SAC_TL_STEP, "pod", "list pods in %s again", r->ns);
	a.last = sac_strdup(tok);
	actor_call(r, &a, true);

	memset(&d, 0, sizeof(d));
	emit(r, SAC_TL_STEP, "pod", "who am I? (SelfSubjectReview)");
	err = sac_whoami(a.client, &j, &d);
	r->res.calls++;
	user = sac_json_path_str(j, "status.userInfo.username");
	if (err != SAC_OK) {
		r->res.failed_calls++;
		emit(r, SAC_TL_FAIL, "pod", "whoami: %s", d.msg);
	} else if (user == NULL || strcmp(user, want) != 0) {
		emit(r, SAC_TL_FAIL, "pod", "whoami says %s, not %s",
		     user ? user : "nothing", want);
	} else {
		emit(r, SAC_TL_OK, "pod", "whoami: %s", user);
	}
	cJSON_Delete(j);
	j = NULL;

	memset(&d, 0, sizeof(d));
	emit(r, SAC_TL_STEP, "admin",
	     "TokenReview of the pod's token (as the admin identity: "
	     "reviewing needs system:auth-delegator or create tokenreviews)");
	err = sac_token_review(r->admin, tok, NULL, 0, &j, &d);
	r->res.calls++;
	user = sac_json_path_str(j, "status.user.username");
	if (err != SAC_OK) {
		r->res.failed_calls++;
		emit(r, SAC_TL_FAIL, "admin", "TokenReview: %s", d.msg);
	} else if (!cJSON_IsTrue(sac_json_path(j, "status.authenticated")) ||
	           user == NULL || strcmp(user, want) != 0) {
		const char *e = sac_json_path_str(j, "status.error");

		emit(r, SAC_TL_FAIL, "admin",
		     "TokenReview: not authenticated as %s%s%s", want,
		     e ? ": " : "", e ? e : "");
	} else {
		emit(r, SAC_TL_OK, "admin", "TokenReview: authenticated as %s",
		     user);
	}
	err = SAC_OK;
out:
	cJSON_Delete(j);
	free(text);
	sac_jwt_free(jwt);
	sac_free_secret(tok);
	actor_free(&a);
	return err;
}

static void
advance(struct run *r)
{
	struct sac_diag d = { 0 };

	if (sac_mock_clock_advance(r->mc, r->o->step_ms, &d) != SAC_OK) {
		emit(r, SAC_TL_FAIL, "admin", "advance the clock: %s", d.msg);
	}
}

static enum sac_err
refresh(struct run *r, struct sac_diag *diag)
{
	struct actor a = { 0 };
	char *dir = NULL;
	char step[32];
	int64_t limit_ms = r->o->expiration_s * 1000 * 5;
	enum sac_err err;

	err = identify(r, NULL, NULL, diag);
	if (err == SAC_OK) {
		err = add_volume(r, &dir, diag);
	}
	if (err == SAC_OK) {
		err = grant_view(r, diag);
	}
	if (err == SAC_OK) {
		err = actor_file(r, &a, "reread", dir, SAC_STRATEGY_REREAD, 0,
		                 diag);
	}
	if (err != SAC_OK) {
		goto out;
	}
	emit(r, SAC_TL_STEP, "reread",
	     "list pods every %s of mock time (the clock advanced in steps), "
	     "re-reading the token file every 1m as client-go does",
	     sac_duration_human(r->o->step_ms / 1000, step, sizeof(step)));
	actor_call(r, &a, true);
	while (r->res.passed && a.rotations < 3 &&
	       sac_clock_now_ms(sac_mock_clock_get(r->mc)) - r->start_ms <=
	               limit_ms) {
		advance(r);
		actor_call(r, &a, false);
	}
	emit(r, SAC_TL_INFO, "reread", "%u calls, %u failed, %u rotations seen",
	     a.calls, a.failed, a.rotations);
	if (a.rotations < 3) {
		emit(r, SAC_TL_FAIL, "reread",
		     "saw %u token rotation(s), expected at least 3",
		     a.rotations);
	}
	if (a.failed > 0) {
		emit(r, SAC_TL_FAIL, "reread", "%u failed call(s), expected 0",
		     a.failed);
	}
out:
	free(dir);
	actor_free(&a);
	return err;
}

static enum sac_err
expiry(struct run *r, struct sac_diag *diag)
{
	struct actor a[3] = { 0 };
	char *dir = NULL;
	char step[32];
	char period[32];
	int64_t e = r->o->expiration_s;
	int64_t end_ms;
	enum sac_err err;

	err = identify(r, NULL, NULL, diag);
	if (err == SAC_OK) {
		err = add_volume(r, &dir, diag);
	}
	if (err == SAC_OK) {
		err = grant_view(r, diag);
	}
	if (err == SAC_OK) {
		err = grant_token_request(r, diag);
	}
	if (err == SAC_OK) {
		err = actor_file(r, &a[0], "read-once", dir,
		                 SAC_STRATEGY_READ_ONCE, 0, diag);
	}
	if (err == SAC_OK) {
		err = actor_file(r, &a[1], "reread", dir, SAC_STRATEGY_REREAD,
		                 2 * e * 1000, diag);
	}
	if (err == SAC_OK) {
		err = actor_request(r, &a[2], dir, diag);
	}
	if (err != SAC_OK) {
		goto out;
	}
	a[0].expect_failure = true;
	(void)sac_duration_human(2 * e, period, sizeof(period));
	emit(r, SAC_TL_STEP, "clients",
	     "read-once reads the file once; reread re-reads it every %s "
	     "(longer than the token lives) and after a 401; request asks "
	     "for its own %llds tokens and renews at 80 %%",
	     period, (long long)e);
	emit(r, SAC_TL_STEP, "clients",
	     "each lists pods every %s of mock time until %s have passed",
	     sac_duration_human(r->o->step_ms / 1000, step, sizeof(step)),
	     period);
	end_ms = r->start_ms + 2 * e * 1000;
	for (size_t i = 0; i < 3; i++) {
		actor_call(r, &a[i], true);
	}
	while (sac_clock_now_ms(sac_mock_clock_get(r->mc)) < end_ms &&
	       sac_mock_clock_error(r->mc) == SAC_OK) {
		advance(r);
		for (size_t i = 0; i < 3; i++) {
			actor_call(r, &a[i], false);
		}
	}
	for (size_t i = 0; i < 3; i++) {
		emit(r, SAC_TL_INFO, a[i].name,
		     "%u calls, %u failed (%u expected), %u new tokens",
		     a[i].calls, a[i].failed, a[i].expected, a[i].rotations);
	}
	if (a[0].expected == 0) {
		emit(r, SAC_TL_FAIL, "read-once",
		     "expected a 401 once its token expired, got none");
	}
	for (size_t i = 1; i < 3; i++) {
		if (a[i].failed > 0) {
			emit(r, SAC_TL_FAIL, a[i].name,
			     "%u failed call(s), expected 0", a[i].failed);
		}
		if (a[i].rotations == 0) {
			emit(r, SAC_TL_FAIL, a[i].name,
			     "never got a new token");
		}
	}
out:
	free(dir);
	for (size_t i = 0; i < 3; i++) {
		actor_free(&a[i]);
	}
	return err;
}

static const struct {
	const char *name;
	enum sac_err (*fn)(struct run *, struct sac_diag *);
} scenarios[] = {
	{ "retrieval", retrieval },
	{ "refresh", refresh },
	{ "expiry", expiry },
};

enum sac_err
sac_scenario_check_name(const char *name)
{
	if (name != NULL && strcmp(name, "all") == 0) {
		return SAC_OK;
	}
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (name != NULL && strcmp(name, scenarios[i].name) == 0) {
			return SAC_OK;
		}
	}
	return SAC_EINVAL;
}

static void
add_result(struct sac_scenario_result *sum,
           const struct sac_scenario_result *one)
{
	if (sum->passed && !one->passed) {
		sum->passed = false;
		(void)snprintf(sum->why, sizeof(sum->why), "%s", one->why);
	}
	sum->calls += one->calls;
	sum->failed_calls += one->failed_calls;
	sum->expected_failures += one->expected_failures;
	sum->rotations += one->rotations;
	sum->recovered_401s += one->recovered_401s;
}

static enum sac_err
run_one(size_t idx, const struct sac_scenario_options *o,
        struct sac_client *admin, struct sac_mock_clock *mc,
        struct sac_scenario_result *out, struct sac_diag *diag)
{
	struct run r = { .o = o,
		         .scenario = scenarios[idx].name,
		         .admin = admin,
		         .mc = mc };
	bool was_frozen;
	double rate;
	enum sac_err err;

	r.res.passed = true;
	err = sac_mock_clock_sync(mc, diag);
	if (err != SAC_OK) {
		return err;
	}
	was_frozen = sac_mock_clock_frozen(mc);
	rate = sac_mock_clock_rate(mc);
	err = sac_mock_clock_set(mc, true, 0, diag);
	if (err != SAC_OK) {
		return err;
	}
	r.start_ms = sac_clock_now_ms(sac_mock_clock_get(mc));
	emit(&r, SAC_TL_STEP, "admin",
	     "mock clock frozen for the scenario (was %s, rate %g); it moves "
	     "only when the scenario advances it",
	     was_frozen ? "frozen" : "running", rate);
	err = scenarios[idx].fn(&r, diag);
	run_cleanups(&r);
	if (sac_mock_clock_error(mc) != SAC_OK) {
		emit(&r, SAC_TL_FAIL, "admin", "a clock advance failed");
	}
	if (err == SAC_OK) {
		emit(&r, r.res.passed ? SAC_TL_PASS : SAC_TL_FAILED, "result",
		     "%s: %u calls, %u failed (%u expected), %u new tokens, "
		     "%u 401s recovered%s%s",
		     r.scenario, r.res.calls, r.res.failed_calls,
		     r.res.expected_failures, r.res.rotations,
		     r.res.recovered_401s, r.res.passed ? "" : " -- ",
		     r.res.why);
	}
	{
		struct sac_diag d = { 0 };

		if (sac_mock_clock_set(mc, was_frozen, rate, &d) != SAC_OK &&
		    err == SAC_OK) {
			*diag = d;
			err = SAC_EHTTP;
		}
	}
	if (err == SAC_OK) {
		*out = r.res;
	}
	return err;
}

enum sac_err
sac_scenario_run(const char *name, const struct sac_scenario_options *opts,
                 struct sac_scenario_result *out, struct sac_diag *diag)
{
	struct sac_scenario_options o;
	struct sac_scenario_result sum = { .passed = true };
	struct sac_diag local = { 0 };
	struct sac_token_source *src = NULL;
	struct sac_client *admin = NULL;
	struct sac_mock_clock *mc = NULL;
	bool all = name != NULL && strcmp(name, "all") == 0;
	enum sac_err err;

	if (diag == NULL) {
		diag = &local;
	}
	if (sac_scenario_check_name(name) != SAC_OK) {
		sac_diag_set(
			diag,
			"unknown scenario \"%s\": want retrieval, refresh, "
			"expiry or all",
			name ? name : "");
		return SAC_EINVAL;
	}
	if (opts == NULL || opts->admin == NULL ||
	    opts->serviceaccount_dir == NULL ||
	    opts->serviceaccount_dir[0] == '\0') {
		sac_diag_set(diag, "a scenario needs the admin configuration "
		                   "and the in-cluster directory");
		return SAC_EINVAL;
	}
	o = *opts;
	if (o.step_ms <= 0) {
		o.step_ms = 30000;
	}
	if (o.expiration_s <= 0) {
		o.expiration_s = 600;
	}
	if (o.expiration_s == 3607) {
		sac_diag_set(diag, "expiration 3607s: mockapi would extend the "
		                   "token to a year (pick another)");
		return SAC_EINVAL;
	}
	if (o.admin->token == NULL) {
		sac_diag_set(diag,
		             "the kubeconfig (%s) has no token for the "
		             "admin identity",
		             o.admin->origin ? o.admin->origin : "?");
		return SAC_ECONFIG;
	}
	err = sac_client_new(o.admin, NULL, &admin, diag);
	if (err == SAC_OK) {
		err = sac_token_source_new_static(o.admin->token, &src, diag);
	}
	if (err == SAC_OK) {
		sac_client_adopt_token_source(admin, src);
		err = sac_mock_clock_new(admin, &mc, diag);
	}
	for (size_t i = 0;
	     err == SAC_OK && i < sizeof(scenarios) / sizeof(scenarios[0]);
	     i++) {
		struct sac_scenario_result one = { 0 };

		if (!all && strcmp(name, scenarios[i].name) != 0) {
			continue;
		}
		err = run_one(i, &o, admin, mc, &one, diag);
		if (err == SAC_OK) {
			add_result(&sum, &one);
		}
	}
	sac_mock_clock_free(mc);
	sac_client_free(admin);
	if (err == SAC_OK) {
		*out = sum;
	}
	return err;
}
