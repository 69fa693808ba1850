/* SPDX-License-Identifier: MIT */
#include "sim/faults.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sim/clock.h"

#define METHOD_MAX      15
#define PATH_MAX_LEN    512
#define USER_MAX        256
#define JTI_MAX         64
#define DELAY_MAX_MS    600000
#define RETRY_AFTER_MAX 86400
#define TIMES_MAX       1000000000

struct rule {
	uint64_t id;
	char method[METHOD_MAX + 1]; /* "" = any */
	char path[PATH_MAX_LEN + 1]; /* "" = any */
	char user[USER_MAX + 1];     /* "" = any */
	char jti[JTI_MAX + 1];       /* "" = any */
	bool has_expires;
	int64_t expires_ns;
	char expires_text[32];
	enum mapi_fault_kind kind;
	int64_t delay_ms;
	int code;
	bool default_message;
	char reason[64];
	char message[512];
	int64_t retry_after_s; /* -1 = none */
	uint64_t times;        /* 0 = unlimited */
	uint64_t remaining;
	double probability;
	uint64_t hits;
};

struct mapi_faults {
	pthread_mutex_t mu;
	uint64_t prng[4]; /* xoshiro256** state */
	uint64_t next_id;
	size_t n_rules;
	struct rule *rules[MAPI_FAULTS_MAX_RULES];
};

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** 1.0 (Blackman and Vigna). */
static uint64_t
prng_next(uint64_t s[4])
{
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* A double uniform in [0, 1) from the top 53 bits. */
static double
prng_unit(uint64_t s[4])
{
	return (double)(prng_next(s) >> 11) * 0x1.0p-53;
}

enum mapi_err
mapi_faults_new(uint64_t seed, struct mapi_faults **out_faults)
{
	struct mapi_faults *f = calloc(1, sizeof(*f));
	int i;

	if (f == NULL) {
		return MAPI_ENOMEM;
	}
	if (pthread_mutex_init(&f->mu, NULL) != 0) {
		free(f);
		return MAPI_EINTERNAL;
	}
	for (i = 0; i < 4; i++) {
		f->prng[i] = splitmix64(&seed);
	}
	f->next_id = 1;
	*out_faults = f;
	return MAPI_OK;
}

void
mapi_faults_free(struct mapi_faults *faults)
{
	size_t i;

	if (faults == NULL) {
		return;
	}
	for (i = 0; i < faults->n_rules; i++) {
		free(faults->rules[i]);
	}
	(void)pthread_mutex_destroy(&faults->mu);
	free(faults);
}

/* metav1.StatusReason for the codes kube-apiserver uses; "" otherwise. */
static const char *
default_reason(int code)
{
	switch (code) {
	case 400:
		return "BadRequest";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "NotFound";
	case 405:
		return "MethodNotAllowed";
	case 406:
		return "NotAcceptable";
	case 409:
		return "Conflict";
	case 410:
		return "Gone";
	case 413:
		return "RequestEntityTooLarge";
	case 415:
		return "UnsupportedMediaType";
	case 422:
		return "Invalid";
	case 429:
		return "TooManyRequests";
	case 500:
		return "InternalError";
	case 503:
		return "ServiceUnavailable";
	case 504:
		return "Timeout";
	default:
		return "";
	}
}

static enum mapi_err bad(struct mapi_diag *diag, const char *field,
                         const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fills diag (msg and field path) and returns MAPI_EINVAL. */
static enum mapi_err
bad(struct mapi_diag *diag, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (diag != NULL) {
		(void)snprintf(diag->field, sizeof(diag->field), "%s", field);
		va_start(ap, fmt);
		(void)vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
		va_end(ap);
	}
	return MAPI_EINVAL;
}

/* Rejects members of obj not in the NULL-terminated list `known`. */
static enum mapi_err
check_members(const cJSON *obj, const char *where, const char *const *known,
              struct mapi_diag *diag)
{
	const cJSON *it;
	char field[128];
	size_t i;

	cJSON_ArrayForEach(it, obj) {
		for (i = 0; known[i] != NULL; i++) {
			if (strcmp(it->string, known[i]) == 0) {
				break;
			}
		}
		if (known[i] == NULL) {
			(void)snprintf(field, sizeof(field), "%s%s%s", where,
			               where[0] != '\0' ? "." : "", it->string);
			return bad(diag, field,
			           "fault rule: unknown field \"%s\"", field);
		}
	}
	return MAPI_OK;
}

/* Copies a string member (absent = leave dst empty), max bytes. */
static enum mapi_err
get_string(const cJSON *obj, const char *key, const char *field, char *dst,
           size_t max, struct mapi_diag *diag)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (it == NULL) {
		return MAPI_OK;
	}
	if (!cJSON_IsString(it)) {
		return bad(diag, field, "fault rule: %s must be a string",
		           field);
	}
	if (strlen(it->valuestring) > max) {
		return bad(diag, field, "fault rule: %s is too long", field);
	}
	memcpy(dst, it->valuestring, strlen(it->valuestring) + 1);
	return MAPI_OK;
}

/* An integral number member in [lo, hi]; *present says if it was there. */
static enum mapi_err
get_int(const cJSON *obj, const char *key, const char *field, int64_t lo,
        int64_t hi, int64_t *out, bool *present, struct mapi_diag *diag)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	char what[200];

	*present = it != NULL;
	if (it == NULL) {
		return MAPI_OK;
	}
	(void)snprintf(what, sizeof(what),
	               "%s must be an integer in [%" PRId64 ", %" PRId64 "]",
	               field, lo, hi);
	if (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble) ||
	    it->valuedouble < (double)lo || it->valuedouble > (double)hi) {
		return bad(diag, field, "fault rule: %s", what);
	}
	*out = (int64_t)it->valuedouble;
	return MAPI_OK;
}

static enum mapi_err
parse_match(const cJSON *m, struct rule *r, struct mapi_diag *diag)
{
	static const char *const known[] = { "method", "path",          "user",
		                             "jti",    "expiresWithin", NULL };
	const cJSON *it;
	enum mapi_err err;
	size_t i;

	if (m == NULL) {
		return MAPI_OK;
	}
	if (!cJSON_IsObject(m)) {
		return bad(diag, "match", "fault rule: %s must be an object",
		           "match");
	}
	err = check_members(m, "match", known, diag);
	if (err == MAPI_OK) {
		err = get_string(m, "method", "match.method", r->method,
		                 METHOD_MAX, diag);
	}
	if (err == MAPI_OK) {
		err = get_string(m, "path", "match.path", r->path, PATH_MAX_LEN,
		                 diag);
	}
	if (err == MAPI_OK) {
		err = get_string(m, "user", "match.user", r->user, USER_MAX,
		                 diag);
	}
	if (err == MAPI_OK) {
		err = get_string(m, "jti", "match.jti", r->jti, JTI_MAX, diag);
	}
	if (err != MAPI_OK) {
		return err;
	}
	if (strcmp(r->method, "*") == 0) {
		r->method[0] = '\0';
	} else if (cJSON_GetObjectItemCaseSensitive(m, "method") != NULL) {
		for (i = 0; r->method[i] != '\0'; i++) {
			if (r->method[i] < 'A' || r->method[i] > 'Z') {
				break;
			}
		}
		if (i == 0 || r->method[i] != '\0') {
			return bad(diag, "match.method",
			           "fault rule: match.method must be an "
			           "upper-case "
			           "HTTP method or \"*\", not \"%s\"",
			           r->method);
		}
	}
	if (cJSON_GetObjectItemCaseSensitive(m, "path") != NULL &&
	    r->path[0] != '/') {
		return bad(diag, "match.path",
		           "fault rule: match.path must start with \"/\", not "
		           "\"%s\"",
		           r->path);
	}
	if (strchr(r->path, '?') != NULL) {
		return bad(
			diag, "match.path",
			"fault rule: match.path must not contain a query (%s)",
			r->path);
	}
	it = cJSON_GetObjectItemCaseSensitive(m, "expiresWithin");
	if (it != NULL) {
		if (!cJSON_IsString(it) ||
		    mapi_duration_parse(it->valuestring, &r->expires_ns) !=
		            MAPI_OK ||
		    r->expires_ns < 0 ||
		    strlen(it->valuestring) >= sizeof(r->expires_text)) {
			return bad(diag, "match.expiresWithin",
			           "fault rule: match.expiresWithin must be a "
			           "non-negative duration such as \"30s\" or "
			           "\"10m\"");
		}
		r->has_expires = true;
		memcpy(r->expires_text, it->valuestring,
		       strlen(it->valuestring) + 1);
	}
	return MAPI_OK;
}

static enum mapi_err
parse_action(const cJSON *a, struct rule *r, struct mapi_diag *diag)
{
	static const char *const known[] = { "status",          "reason",
		                             "message",         "retryAfter",
		                             "tooManyRequests", "reset",
		                             "delayMs",         NULL };
	static const char *const tmr_known[] = { "retryAfter", NULL };
	const cJSON *tmr, *reset;
	bool has_status, has_delay, has_retry, has, status_only;
	int64_t v = 0;
	enum mapi_err err;
	int kinds = 0;

	if (!cJSON_IsObject(a)) {
		return bad(diag, "action",
		           "fault rule: %s is required and must be an object",
		           "action");
	}
	err = check_members(a, "action", known, diag);
	if (err != MAPI_OK) {
		return err;
	}
	err = get_int(a, "status", "action.status", 400, 599, &v, &has_status,
	              diag);
	if (err != MAPI_OK) {
		return err;
	}
	r->code = (int)v;
	err = get_int(a, "delayMs", "action.delayMs", 0, DELAY_MAX_MS,
	              &r->delay_ms, &has_delay, diag);
	if (err != MAPI_OK) {
		return err;
	}
	r->retry_after_s = -1;
	err = get_int(a, "retryAfter", "action.retryAfter", 0, RETRY_AFTER_MAX,
	              &r->retry_after_s, &has_retry, diag);
	if (err != MAPI_OK) {
		return err;
	}
	err = get_string(a, "reason", "action.reason", r->reason,
	                 sizeof(r->reason) - 1, diag);
	if (err == MAPI_OK) {
		err = get_string(a, "message", "action.message", r->message,
		                 sizeof(r->message) - 1, diag);
	}
	if (err != MAPI_OK) {
		return err;
	}
	tmr = cJSON_GetObjectItemCaseSensitive(a, "tooManyRequests");
	reset = cJSON_GetObjectItemCaseSensitive(a, "reset");
	kinds = (has_status ? 1 : 0) + (tmr != NULL ? 1 : 0) +
	        (reset != NULL ? 1 : 0);
	if (kinds > 1) {
		return bad(diag, "action",
		           "fault rule: action may have only one of status, "
		           "tooManyRequests and reset");
	}
	if (kinds == 0 && !has_delay) {
		return bad(diag, "action",
		           "fault rule: action needs one of status, "
		           "tooManyRequests, reset or delayMs");
	}
	status_only = has_retry ||
	              cJSON_GetObjectItemCaseSensitive(a, "reason") != NULL ||
	              cJSON_GetObjectItemCaseSensitive(a, "message") != NULL;
	if (status_only && !has_status) {
		return bad(
			diag, "action",
			"fault rule: action.reason, .message and .retryAfter "
			"go with action.status");
	}
	r->kind = MAPI_FAULT_DELAY_ONLY;
	if (has_status) {
		r->kind = MAPI_FAULT_STATUS;
		if (cJSON_GetObjectItemCaseSensitive(a, "reason") == NULL) {
			(void)snprintf(r->reason, sizeof(r->reason), "%s",
			               default_reason(r->code));
		}
		r->default_message =
			cJSON_GetObjectItemCaseSensitive(a, "message") == NULL;
	} else if (tmr != NULL) {
		if (!cJSON_IsObject(tmr)) {
			return bad(diag, "action.tooManyRequests",
			           "fault rule: %s must be an object",
			           "action.tooManyRequests");
		}
		err = check_members(tmr, "action.tooManyRequests", tmr_known,
		                    diag);
		if (err != MAPI_OK) {
			return err;
		}
		r->kind = MAPI_FAULT_TOO_MANY;
		r->code = 429;
		r->retry_after_s = 1; /* what max-inflight sends */
		err = get_int(tmr, "retryAfter",
		              "action.tooManyRequests.retryAfter", 0,
		              RETRY_AFTER_MAX, &v, &has, diag);
		if (err != MAPI_OK) {
			return err;
		}
		if (has) {
			r->retry_after_s = v;
		}
	} else if (reset != NULL) {
		if (!cJSON_IsTrue(reset)) {
			return bad(diag, "action.reset",
			           "fault rule: %s must be true",
			           "action.reset");
		}
		r->kind = MAPI_FAULT_RESET;
	}
	return MAPI_OK;
}

static enum mapi_err
parse_rule(const cJSON *j, struct rule *r, struct mapi_diag *diag)
{
	static const char *const known[] = { "match", "action", "times",
		                             "probability", NULL };
	const cJSON *p;
	enum mapi_err err;
	int64_t times = 0;
	bool has;

	if (!cJSON_IsObject(j)) {
		return bad(diag, "", "fault rule: %s must be a JSON object",
		           "a rule");
	}
	err = check_members(j, "", known, diag);
	if (err == MAPI_OK) {
		err = parse_match(cJSON_GetObjectItemCaseSensitive(j, "match"),
		                  r, diag);
	}
	if (err == MAPI_OK) {
		err = parse_action(
			cJSON_GetObjectItemCaseSensitive(j, "action"), r, diag);
	}
	if (err == MAPI_OK) {
		err = get_int(j, "times", "times", 0, TIMES_MAX, &times, &has,
		              diag);
	}
	if (err != MAPI_OK) {
		return err;
	}
	r->times = (uint64_t)times;
	r->remaining = r->times;
	r->probability = 1.0;
	p = cJSON_GetObjectItemCaseSensitive(j, "probability");
	if (p != NULL) {
		if (!cJSON_IsNumber(p) || !(p->valuedouble > 0.0) ||
		    p->valuedouble > 1.0) {
			return bad(diag, "probability",
			           "fault rule: %s must be a number in (0, 1]",
			           "probability");
		}
		r->probability = p->valuedouble;
	}
	return MAPI_OK;
}

enum mapi_err
mapi_faults_add_json(struct mapi_faults *faults, const cJSON *rule,
                     uint64_t *out_id, struct mapi_diag *diag)
{
	struct rule *r = calloc(1, sizeof(*r));
	enum mapi_err err;

	if (r == NULL) {
		return MAPI_ENOMEM;
	}
	err = parse_rule(rule, r, diag);
	if (err != MAPI_OK) {
		free(r);
		return err;
	}
	(void)pthread_mutex_lock(&faults->mu);
	if (faults->n_rules == MAPI_FAULTS_MAX_RULES) {
		(void)pthread_mutex_unlock(&faults->mu);
		free(r);
		mapi_diag_set(diag, "fault rule: at most %d rules may exist",
		              MAPI_FAULTS_MAX_RULES);
		return MAPI_ETOOMANY;
	}
	r->id = faults->next_id++;
	if (r->default_message) {
		(void)snprintf(r->message, sizeof(r->message),
		               "fault injected by mockapi (rule %" PRIu64 ")",
		               r->id);
	}
	faults->rules[faults->n_rules++] = r;
	(void)pthread_mutex_unlock(&faults->mu);
	if (out_id != NULL) {
		*out_id = r->id;
	}
	return MAPI_OK;
}

static cJSON *
rule_to_json(const struct rule *r)
{
	cJSON *obj = cJSON_CreateObject();
	cJSON *m, *a, *t;
	bool ok;

	if (obj == NULL) {
		return NULL;
	}
	ok = cJSON_AddNumberToObject(obj, "id", (double)r->id) != NULL;
	m = ok ? cJSON_AddObjectToObject(obj, "match") : NULL;
	ok = m != NULL;
	if (ok && r->method[0] != '\0') {
		ok = cJSON_AddStringToObject(m, "method", r->method) != NULL;
	}
	if (ok && r->path[0] != '\0') {
		ok = cJSON_AddStringToObject(m, "path", r->path) != NULL;
	}
	if (ok && r->user[0] != '\0') {
		ok = cJSON_AddStringToObject(m, "user", r->user) != NULL;
	}
	if (ok && r->jti[0] != '\0') {
		ok = cJSON_AddStringToObject(m, "jti", r->jti) != NULL;
	}
	if (ok && r->has_expires) {
		ok = cJSON_AddStringToObject(m, "expiresWithin",
		                             r->expires_text) != NULL;
	}
	a = ok ? cJSON_AddObjectToObject(obj, "action") : NULL;
	ok = a != NULL;
	if (ok && r->kind == MAPI_FAULT_STATUS) {
		ok = cJSON_AddNumberToObject(a, "status", r->code) != NULL &&
		     cJSON_AddStringToObject(a, "reason", r->reason) != NULL &&
		     cJSON_AddStringToObject(a, "message", r->message) != NULL;
		if (ok && r->retry_after_s >= 0) {
			ok = cJSON_AddNumberToObject(
				     a, "retryAfter",
				     (double)r->retry_after_s) != NULL;
		}
	} else if (ok && r->kind == MAPI_FAULT_TOO_MANY) {
		t = cJSON_AddObjectToObject(a, "tooManyRequests");
		ok = t != NULL &&
		     cJSON_AddNumberToObject(t, "retryAfter",
		                             (double)r->retry_after_s) != NULL;
	} else if (ok && r->kind == MAPI_FAULT_RESET) {
		ok = cJSON_AddTrueToObject(a, "reset") != NULL;
	}
	if (ok && r->delay_ms > 0) {
		ok = cJSON_AddNumberToObject(a, "delayMs",
		                             (double)r->delay_ms) != NULL;
	}
	if (ok && r->times > 0) {
		ok = cJSON_AddNumberToObject(obj, "times", (double)r->times) !=
		             NULL &&
		     cJSON_AddNumberToObject(obj, "remaining",
		                             (double)r->remaining) != NULL;
	}
	ok = ok &&
	     cJSON_AddNumberToObject(obj, "probability", r->probability) !=
	             NULL &&
	     cJSON_AddNumberToObject(obj, "hits", (double)r->hits) != NULL;
	if (!ok) {
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
}

enum mapi_err
mapi_faults_list_json(struct mapi_faults *faults, cJSON **out_json)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *items = NULL;
	enum mapi_err err = MAPI_ENOMEM;
	size_t i;

	if (root != NULL) {
		items = cJSON_AddArrayToObject(root, "items");
	}
	if (items == NULL) {
		goto out;
	}
	(void)pthread_mutex_lock(&faults->mu);
	for (i = 0; i < faults->n_rules; i++) {
		cJSON *item = rule_to_json(faults->rules[i]);

		if (item == NULL || !cJSON_AddItemToArray(items, item)) {
			cJSON_Delete(item);
			(void)pthread_mutex_unlock(&faults->mu);
			goto out;
		}
	}
	(void)pthread_mutex_unlock(&faults->mu);
	*out_json = root;
	root = NULL;
	err = MAPI_OK;
out:
	cJSON_Delete(root);
	return err;
}

enum mapi_err
mapi_faults_delete(struct mapi_faults *faults, uint64_t id)
{
	enum mapi_err err = MAPI_ENOTFOUND;
	size_t i;

	(void)pthread_mutex_lock(&faults->mu);
	for (i = 0; i < faults->n_rules; i++) {
		if (faults->rules[i]->id == id) {
			free(faults->rules[i]);
			/* NOLINTBEGIN(bugprone-sizeof-expression): T *[] */
			memmove(&faults->rules[i], &faults->rules[i + 1],
			        (faults->n_rules - i - 1) *
			                sizeof(faults->rules[0]));
			/* NOLINTEND(bugprone-sizeof-expression) */
			faults->n_rules--;
			err = MAPI_OK;
			break;
		}
	}
	(void)pthread_mutex_unlock(&faults->mu);
	return err;
}

void
mapi_faults_clear(struct mapi_faults *faults)
{
	size_t i;

	(void)pthread_mutex_lock(&faults->mu);
	for (i = 0; i < faults->n_rules; i++) {
		free(faults->rules[i]);
	}
	faults->n_rules = 0;
	(void)pthread_mutex_unlock(&faults->mu);
}

size_t
mapi_faults_count(struct mapi_faults *faults)
{
	size_t n;

	(void)pthread_mutex_lock(&faults->mu);
	n = faults->n_rules;
	(void)pthread_mutex_unlock(&faults->mu);
	return n;
}

/* "/api" matches "/api", "/api/…" but not "/apis"; "/" matches all. */
static bool
path_has_prefix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(path, prefix, n) != 0) {
		return false;
	}
	return prefix[n - 1] == '/' || path[n] == '\0' || path[n] == '/' ||
	       path[n] == '?';
}

static bool
str_eq(const char *want, const char *have)
{
	return want[0] == '\0' || (have != NULL && strcmp(want, have) == 0);
}

static bool
rule_matches(const struct rule *r, const struct mapi_fault_request *req)
{
	int64_t exp_ns, limit;

	if (r->times > 0 && r->remaining == 0) {
		return false;
	}
	if (!str_eq(r->method, req->method) || !str_eq(r->user, req->user) ||
	    !str_eq(r->jti, req->jti)) {
		return false;
	}
	if (r->path[0] != '\0' &&
	    (req->path == NULL || !path_has_prefix(req->path, r->path))) {
		return false;
	}
	if (r->has_expires) {
		if (req->token_exp <= 0) {
			return false;
		}
		exp_ns = req->token_exp > INT64_MAX / MAPI_NS_PER_SEC
		                 ? INT64_MAX
		                 : req->token_exp * MAPI_NS_PER_SEC;
		limit = req->now_ns > INT64_MAX - r->expires_ns
		                ? INT64_MAX
		                : req->now_ns + r->expires_ns;
		if (exp_ns > limit) {
			return false;
		}
	}
	return true;
}

static void
set_header(struct mapi_fault_action *a, const char *name, const char *value)
{
	struct mapi_fault_header *h = &a->headers[a->n_headers++];

	h->name = name;
	(void)snprintf(h->value, sizeof(h->value), "%s", value);
}

static void
fill_action(const struct rule *r, struct mapi_fault_action *a)
{
	char num[24];

	memset(a, 0, sizeof(*a));
	a->rule_id = r->id;
	a->kind = r->kind;
	a->delay_ms = r->delay_ms;
	a->retry_after_s = -1;
	if (r->kind != MAPI_FAULT_STATUS && r->kind != MAPI_FAULT_TOO_MANY) {
		return;
	}
	a->code = r->code;
	a->retry_after_s = r->retry_after_s;
	if (r->retry_after_s >= 0) {
		(void)snprintf(num, sizeof(num), "%" PRId64, r->retry_after_s);
		set_header(a, "Retry-After", num);
	}
	if (r->kind == MAPI_FAULT_STATUS) {
		(void)snprintf(a->reason, sizeof(a->reason), "%s", r->reason);
		(void)snprintf(a->message, sizeof(a->message), "%s",
		               r->message);
		return;
	}
	/* API Priority & Fairness / max-inflight (reference §6). */
	a->body = MAPI_FAULT_TOO_MANY_BODY;
	set_header(a, "Content-Type", "text/plain; charset=utf-8");
	set_header(a, "X-Content-Type-Options", "nosniff");
}

bool
mapi_faults_match(struct mapi_faults *faults,
                  const struct mapi_fault_request *req,
                  struct mapi_fault_action *out)
{
	struct rule *r;
	bool fired = false;
	size_t i;

	(void)pthread_mutex_lock(&faults->mu);
	for (i = 0; i < faults->n_rules && !fired; i++) {
		r = faults->rules[i];
		if (!rule_matches(r, req)) {
			continue;
		}
		if (r->probability < 1.0 &&
		    !(prng_unit(faults->prng) < r->probability)) {
			continue;
		}
		if (r->times > 0) {
			r->remaining--;
		}
		r->hits++;
		fill_action(r, out);
		fired = true;
	}
	(void)pthread_mutex_unlock(&faults->mu);
	return fired;
}

void
mapi_fault_action_describe(const struct mapi_fault_action *action, char *buf,
                           size_t len)
{
	char delay[32] = "";

	if (len == 0) {
		return;
	}
	if (action->delay_ms > 0) {
		(void)snprintf(delay, sizeof(delay), "delay %" PRId64 "ms",
		               action->delay_ms);
	}
	switch (action->kind) {
	case MAPI_FAULT_STATUS:
		(void)snprintf(buf, len, "rule %" PRIu64 ": status %d%s%s",
		               action->rule_id, action->code,
		               delay[0] != '\0' ? ", " : "", delay);
		break;
	case MAPI_FAULT_TOO_MANY:
		(void)snprintf(buf, len, "rule %" PRIu64 ": 429%s%s",
		               action->rule_id, delay[0] != '\0' ? ", " : "",
		               delay);
		break;
	case MAPI_FAULT_RESET:
		(void)snprintf(buf, len, "rule %" PRIu64 ": reset%s%s",
		               action->rule_id, delay[0] != '\0' ? ", " : "",
		               delay);
		break;
	case MAPI_FAULT_DELAY_ONLY:
	default:
		(void)snprintf(buf, len, "rule %" PRIu64 ": %s",
		               action->rule_id, delay);
		break;
	}
}
