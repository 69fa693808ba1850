/* SPDX-License-Identifier: MIT */
#include "saclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "status.h"
#include "util.h"

/* A token file larger than this is not a token. */
#define MAX_TOKEN_FILE (1u << 20)

struct sac_token_source {
	enum sac_strategy strategy;
	char *token; /* the current token, or NULL */
	unsigned loads;
	bool stale; /* a 401 was reported since the last load */
	const struct sac_clock *clock;

	/* file strategies */
	char *path;
	int64_t period_ms;
	int64_t read_at_ms;

	/* request strategy */
	char *ns;
	char *name;
	char **audiences;
	size_t n_audiences;
	int64_t expiration_seconds;
	char *bound_pod;
	struct sac_token_source *bootstrap;
	sac_http_fn *http;
	void *payload;
	int64_t refresh_at_ms;
	int64_t expires_at_ms;
};

static const char *const strategy_names[] = {
	[SAC_STRATEGY_STATIC] = "static",
	[SAC_STRATEGY_READ_ONCE] = "read-once",
	[SAC_STRATEGY_REREAD] = "reread",
	[SAC_STRATEGY_REQUEST] = "request",
};

const char *
sac_strategy_name(enum sac_strategy s)
{
	if ((unsigned)s >= sizeof(strategy_names) / sizeof(strategy_names[0])) {
		return "?";
	}
	return strategy_names[s];
}

enum sac_err
sac_strategy_parse(const char *name, enum sac_strategy *out)
{
	for (size_t i = 0; i < sizeof(strategy_names) / sizeof(strategy_names[0]);
	     i++) {
		if (name != NULL && strcmp(name, strategy_names[i]) == 0) {
			*out = (enum sac_strategy)i;
			return SAC_OK;
		}
	}
	return SAC_EINVAL;
}

void
sac_token_source_free(struct sac_token_source *s)
{
	if (s == NULL) {
		return;
	}
	sac_free_secret(s->token);
	free(s->path);
	free(s->ns);
	free(s->name);
	for (size_t i = 0; i < s->n_audiences; i++) {
		free(s->audiences[i]);
	}
	free(s->audiences);
	free(s->bound_pod);
	sac_token_source_free(s->bootstrap);
	free(s);
}

enum sac_strategy
sac_token_source_strategy(const struct sac_token_source *s)
{
	return s->strategy;
}

const char *
sac_token_source_peek(const struct sac_token_source *s)
{
	return s->token;
}

unsigned
sac_token_source_loads(const struct sac_token_source *s)
{
	return s->loads;
}

void
sac_token_source_invalidate(struct sac_token_source *s)
{
	if (s->strategy == SAC_STRATEGY_REREAD ||
	    s->strategy == SAC_STRATEGY_REQUEST) {
		s->stale = true;
	}
}

enum sac_err
sac_token_source_new_static(const char *token,
                            struct sac_token_source **out_source,
                            struct sac_diag *diag)
{
	struct sac_token_source *s;

	if (token == NULL || *token == '\0') {
		sac_diag_set(diag, "no token given");
		return SAC_ETOKEN;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return SAC_ENOMEM;
	}
	s->strategy = SAC_STRATEGY_STATIC;
	s->token = sac_strdup(token);
	if (s->token == NULL) {
		free(s);
		return SAC_ENOMEM;
	}
	s->loads = 1;
	*out_source = s;
	return SAC_OK;
}

enum sac_err
sac_token_source_new_file(const char *path, enum sac_strategy strategy,
                          int64_t period_ms, const struct sac_clock *clock,
                          struct sac_token_source **out_source,
                          struct sac_diag *diag)
{
	struct sac_token_source *s;

	if (strategy != SAC_STRATEGY_READ_ONCE &&
	    strategy != SAC_STRATEGY_REREAD) {
		sac_diag_set(diag, "strategy %s does not read a token file",
		             sac_strategy_name(strategy));
		return SAC_EINVAL;
	}
	if (path == NULL || *path == '\0') {
		sac_diag_set(diag, "no token file given");
		return SAC_ETOKEN;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return SAC_ENOMEM;
	}
	s->strategy = strategy;
	s->clock = clock;
	s->period_ms = period_ms > 0 ? period_ms : SAC_REREAD_PERIOD_MS_DEFAULT;
	s->path = sac_strdup(path);
	if (s->path == NULL) {
		free(s);
		return SAC_ENOMEM;
	}
	*out_source = s;
	return SAC_OK;
}

/* Reads and trims the token file (client-go: strings.TrimSpace). */
static enum sac_err
read_token_file(const char *path, char **out, struct sac_diag *diag)
{
	char *buf = NULL;
	size_t len = 0;
	size_t start = 0;
	enum sac_err err;
	char *tok;

	err = sac_read_file(path, MAX_TOKEN_FILE, &buf, &len, diag);
	if (err != SAC_OK) {
		if (err == SAC_EIO || err == SAC_EINVAL) {
			err = SAC_ETOKEN;
		}
		return err;
	}
	while (start < len && (buf[start] == ' ' || buf[start] == '\n' ||
	                       buf[start] == '\r' || buf[start] == '\t' ||
	                       buf[start] == '\v' || buf[start] == '\f')) {
		start++;
	}
	while (len > start && (buf[len - 1] == ' ' || buf[len - 1] == '\n' ||
	                       buf[len - 1] == '\r' || buf[len - 1] == '\t' ||
	                       buf[len - 1] == '\v' || buf[len - 1] == '\f')) {
		len--;
	}
	if (len == start) {
		sac_free_secret(buf);
		sac_diag_set(diag, "token file %s is empty", path);
		return SAC_ETOKEN;
	}
	tok = sac_strndup(buf + start, len - start);
	sac_free_secret(buf);
	if (tok == NULL) {
		return SAC_ENOMEM;
	}
	*out = tok;
	return SAC_OK;
}

static enum sac_err
get_file(struct sac_token_source *s, struct sac_diag *diag)
{
	int64_t now = sac_clock_now_ms(s->clock);
	char *tok = NULL;
	enum sac_err err;

	if (s->token != NULL &&
	    (s->strategy == SAC_STRATEGY_READ_ONCE ||
	     (!s->stale && now - s->read_at_ms < s->period_ms))) {
		return SAC_OK;
	}
	s->stale = false;
	err = read_token_file(s->path, &tok, diag);
	if (err != SAC_OK) {
		/*
		 * client-go keeps the old token when a re-read fails ("Unable
		 * to rotate token") and tries again on the next call.
		 */
		return s->token != NULL && err != SAC_ENOMEM ? SAC_OK : err;
	}
	sac_free_secret(s->token);
	s->token = tok;
	s->read_at_ms = now;
	s->loads++;
	return SAC_OK;
}

enum sac_err
sac_token_source_new_request(const struct sac_request_source_config *cfg,
                             struct sac_token_source *bootstrap,
                             sac_http_fn *http, void *payload,
                             struct sac_token_source **out_source,
                             struct sac_diag *diag)
{
	struct sac_token_source *s = NULL;

	if (cfg == NULL || cfg->namespace_ == NULL || cfg->name == NULL ||
	    *cfg->namespace_ == '\0' || *cfg->name == '\0' ||
	    bootstrap == NULL || http == NULL || cfg->expiration_seconds < 0) {
		sac_diag_set(diag, "a request token source needs a "
		                   "ServiceAccount, a bootstrap credential "
		                   "and a transport");
		return SAC_EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return SAC_ENOMEM;
	}
	s->strategy = SAC_STRATEGY_REQUEST;
	s->clock = cfg->clock;
	s->ns = sac_strdup(cfg->namespace_);
	s->name = sac_strdup(cfg->name);
	s->bound_pod = sac_strdup(cfg->bound_pod);
	s->expiration_seconds = cfg->expiration_seconds;
	s->http = http;
	s->payload = payload;
	if (cfg->n_audiences > 0) {
		s->audiences = calloc(cfg->n_audiences, sizeof(char *));
		if (s->audiences == NULL) {
			goto nomem;
		}
		for (size_t i = 0; i < cfg->n_audiences; i++) {
			s->audiences[i] = sac_strdup(cfg->audiences[i]);
			if (s->audiences[i] == NULL) {
				goto nomem;
			}
			s->n_audiences++;
		}
	}
	if (s->ns == NULL || s->name == NULL ||
	    (cfg->bound_pod != NULL && s->bound_pod == NULL)) {
		goto nomem;
	}
	s->bootstrap = bootstrap; /* adopted only on success */
	*out_source = s;
	return SAC_OK;
nomem:
	sac_token_source_free(s);
	return SAC_ENOMEM;
}

enum sac_err
sac_token_request_format(const char *const *audiences, size_t n_audiences,
                         int64_t expiration_seconds, const char *bound_pod,
                         char **out_body)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *spec = NULL;
	enum sac_err err = SAC_ENOMEM;
	char *text;

	if (root == NULL ||
	    cJSON_AddStringToObject(root, "apiVersion",
	                            "authentication.k8s.io/v1") == NULL ||
	    cJSON_AddStringToObject(root, "kind", "TokenRequest") == NULL ||
	    (spec = cJSON_AddObjectToObject(root, "spec")) == NULL) {
		goto out;
	}
	if (n_audiences > 0) {
		cJSON *aud = cJSON_AddArrayToObject(spec, "audiences");

		if (aud == NULL) {
			goto out;
		}
		for (size_t i = 0; i < n_audiences; i++) {
			cJSON *a = cJSON_CreateString(audiences[i]);

			if (a == NULL || !cJSON_AddItemToArray(aud, a)) {
				cJSON_Delete(a);
				goto out;
			}
		}
	}
	if (expiration_seconds > 0 &&
	    cJSON_AddNumberToObject(spec, "expirationSeconds",
	                            (double)expiration_seconds) == NULL) {
		goto out;
	}
	if (bound_pod != NULL) {
		cJSON *ref = cJSON_AddObjectToObject(spec, "boundObjectRef");

		if (ref == NULL ||
		    cJSON_AddStringToObject(ref, "kind", "Pod") == NULL ||
		    cJSON_AddStringToObject(ref, "apiVersion", "v1") == NULL ||
		    cJSON_AddStringToObject(ref, "name", bound_pod) == NULL) {
			goto out;
		}
	}
	text = cJSON_PrintUnformatted(root);
	if (text == NULL) {
		goto out;
	}
	*out_body = sac_strdup(text);
	cJSON_free(text);
	if (*out_body != NULL) {
		err = SAC_OK;
	}
out:
	cJSON_Delete(root);
	return err;
}

void
sac_issued_token_fini(struct sac_issued_token *t)
{
	if (t == NULL) {
		return;
	}
	sac_free_secret(t->token);
	memset(t, 0, sizeof(*t));
}

enum sac_err
sac_token_response_parse(const char *body, size_t len,
                         struct sac_issued_token *out, struct sac_diag *diag)
{
	struct sac_issued_token t = { 0 };
	cJSON *j = NULL;
	const char *tok;
	const char *ts;
	const cJSON *spec;
	enum sac_err err;

	err = sac_json_parse(body, len, &j, diag);
	if (err != SAC_OK) {
		return err == SAC_EINVAL ? SAC_ETOKEN : err;
	}
	tok = sac_json_path_str(j, "status.token");
	if (tok == NULL || *tok == '\0') {
		sac_diag_set(diag, "TokenRequest response has no status.token");
		err = SAC_ETOKEN;
		goto out;
	}
	spec = sac_json_obj(j, "spec");
	if (spec != NULL) {
		(void)sac_json_int(spec, "expirationSeconds",
		                   &t.expiration_seconds);
	}
	ts = sac_json_path_str(j, "status.expirationTimestamp");
	if (ts != NULL && sac_time_parse(ts, &t.expires_at) != SAC_OK) {
		sac_diag_set(diag, "TokenRequest response has a bad "
		                   "status.expirationTimestamp");
		err = SAC_ETOKEN;
		goto out;
	}
	t.token = sac_strdup(tok);
	if (t.token == NULL) {
		err = SAC_ENOMEM;
		goto out;
	}
	*out = t;
	err = SAC_OK;
out:
	cJSON_Delete(j);
	return err;
}

/* One TokenRequest POST with the bootstrap token, retried once on 401. */
static enum sac_err
post_token_request(struct sac_token_source *s, struct sac_issued_token *out,
                   struct sac_diag *diag)
{
	struct sac_http_response resp = { 0 };
	char *body = NULL;
	char *path = NULL;
	char *used = NULL;
	const char *bearer = NULL;
	enum sac_err err;
	size_t n;

	err = sac_token_request_format((const char *const *)s->audiences,
	                               s->n_audiences, s->expiration_seconds,
	                               s->bound_pod, &body);
	if (err != SAC_OK) {
		goto out;
	}
	n = strlen(s->ns) + strlen(s->name) + 64;
	path = malloc(n);
	if (path == NULL) {
		err = SAC_ENOMEM;
		goto out;
	}
	(void)snprintf(path, n, "/api/v1/namespaces/%s/serviceaccounts/%s/token",
	               s->ns, s->name);
	for (int attempt = 0; attempt < 2; attempt++) {
		err = sac_token_source_get(s->bootstrap, &bearer, diag);
		if (err != SAC_OK) {
			goto out;
		}
		if (attempt == 1 && strcmp(bearer, used) == 0) {
			break; /* the refresh gave the same token: 401 stands */
		}
		sac_free_secret(used);
		used = sac_strdup(bearer);
		if (used == NULL) {
			err = SAC_ENOMEM;
			goto out;
		}
		sac_http_response_fini(&resp);
		err = s->http("POST", path, bearer, "application/json", body,
		              strlen(body), &resp, diag, s->payload);
		if (err != SAC_OK) {
			goto out;
		}
		if (resp.status != 401) {
			break;
		}
		sac_token_source_invalidate(s->bootstrap);
	}
	err = sac_status_to_err(&resp, "create token", diag);
	if (err != SAC_OK) {
		goto out;
	}
	err = sac_token_response_parse(resp.body, resp.body_len, out, diag);
out:
	sac_http_response_fini(&resp);
	sac_free_secret(used);
	free(path);
	free(body);
	return err;
}

static enum sac_err
get_request(struct sac_token_source *s, struct sac_diag *diag)
{
	struct sac_issued_token t = { 0 };
	int64_t now = sac_clock_now_ms(s->clock);
	int64_t lifetime;
	int64_t expires_at;
	enum sac_err err;

	if (s->token != NULL && !s->stale && now < s->refresh_at_ms) {
		return SAC_OK;
	}
	s->stale = false;
	err = post_token_request(s, &t, diag);
	if (err != SAC_OK) {
		/* The kubelet keeps a token that has not expired yet. */
		if (s->token != NULL && now < s->expires_at_ms &&
		    err != SAC_ENOMEM) {
			return SAC_OK;
		}
		return err;
	}
	lifetime = t.expiration_seconds > 0 ? t.expiration_seconds
	           : s->expiration_seconds > 0 ? s->expiration_seconds
	                                       : 3600;
	expires_at = t.expires_at > 0 ? t.expires_at * 1000
	                              : now + lifetime * 1000;
	/*
	 * The kubelet's rule: issue time = expirationTimestamp -
	 * expirationSeconds; refresh once 80 % of the lifetime has passed.
	 */
	s->refresh_at_ms = expires_at - lifetime * 1000 + lifetime * 800;
	s->expires_at_ms = expires_at;
	sac_free_secret(s->token);
	s->token = t.token;
	t.token = NULL;
	s->loads++;
	return SAC_OK;
}

enum sac_err
sac_token_source_get(struct sac_token_source *s, const char **out_token,
                     struct sac_diag *diag)
{
	enum sac_err err = SAC_OK;

	switch (s->strategy) {
	case SAC_STRATEGY_STATIC:
		break;
	case SAC_STRATEGY_READ_ONCE:
	case SAC_STRATEGY_REREAD:
		err = get_file(s, diag);
		break;
	case SAC_STRATEGY_REQUEST:
		err = get_request(s, diag);
		break;
	}
	if (err != SAC_OK) {
		return err;
	}
	if (s->token == NULL) {
		sac_diag_set(diag, "no token");
		return SAC_ETOKEN;
	}
	*out_token = s->token;
	return SAC_OK;
}
