/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "saclient.h"
#include "status.h"
#include "transport.h"
#include "util.h"

struct sac_client {
	struct sac_config cfg; /* deep copy (token fields left NULL) */
	struct sac_client_options opts;
	struct sac_transport *transport; /* NULL when opts.http is set */
	struct sac_token_source *source;
};

static enum sac_err
transport_http(const char *method, const char *path, const char *bearer,
               const char *content_type, const char *body, size_t body_len,
               struct sac_http_response *out, struct sac_diag *diag,
               void *payload)
{
	return sac_transport_do(payload, method, path, bearer, content_type,
	                        body, body_len, out, diag);
}

void
sac_client_free(struct sac_client *c)
{
	if (c == NULL) {
		return;
	}
	sac_transport_free(c->transport);
	sac_token_source_free(c->source);
	free(c->cfg.server);
	free(c->cfg.ca_file);
	free(c->cfg.ca_data);
	free(c->cfg.namespace_);
	free(c->cfg.context);
	free(c->cfg.origin);
	free(c);
}

static bool
copy_str(char **dst, const char *src)
{
	*dst = sac_strdup(src);
	return src == NULL || *dst != NULL;
}

enum sac_err
sac_client_new(const struct sac_config *cfg,
               const struct sac_client_options *opts,
               struct sac_client **out_client, struct sac_diag *diag)
{
	static const struct sac_client_options defaults =
		SAC_CLIENT_OPTIONS_DEFAULT;
	struct sac_client *c;
	enum sac_err err = SAC_ENOMEM;

	if (cfg == NULL) {
		sac_diag_set(diag, "no configuration");
		return SAC_ECONFIG;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return SAC_ENOMEM;
	}
	c->opts = opts != NULL ? *opts : defaults;
	if (c->opts.max_retries < 0) {
		c->opts.max_retries = 0;
	}
	if (c->opts.max_network_retries < 0) {
		c->opts.max_network_retries = 0;
	}
	if (c->opts.backoff_ms <= 0) {
		c->opts.backoff_ms = defaults.backoff_ms;
	}
	if (c->opts.timeout_ms <= 0) {
		c->opts.timeout_ms = defaults.timeout_ms;
	}
	if (!copy_str(&c->cfg.server, cfg->server) ||
	    !copy_str(&c->cfg.ca_file, cfg->ca_file) ||
	    !copy_str(&c->cfg.namespace_, cfg->namespace_) ||
	    !copy_str(&c->cfg.context, cfg->context) ||
	    !copy_str(&c->cfg.origin, cfg->origin)) {
		goto out;
	}
	if (cfg->ca_data != NULL) {
		c->cfg.ca_data = sac_strndup(cfg->ca_data, cfg->ca_len);
		if (c->cfg.ca_data == NULL) {
			goto out;
		}
		c->cfg.ca_len = cfg->ca_len;
	}
	c->cfg.insecure_skip_tls_verify = cfg->insecure_skip_tls_verify;
	if (c->opts.http == NULL) {
		err = sac_transport_new(cfg, c->opts.timeout_ms, &c->transport,
		                        diag);
		if (err != SAC_OK) {
			goto out;
		}
		c->opts.http = transport_http;
		c->opts.http_payload = c->transport;
	}
	*out_client = c;
	c = NULL;
	err = SAC_OK;
out:
	sac_client_free(c);
	return err;
}

void
sac_client_adopt_token_source(struct sac_client *c,
                              struct sac_token_source *source)
{
	if (c->source != source) {
		sac_token_source_free(c->source);
	}
	c->source = source;
}

struct sac_token_source *
sac_client_token_source_get(const struct sac_client *c)
{
	return c->source;
}

const struct sac_config *
sac_client_config_get(const struct sac_client *c)
{
	return &c->cfg;
}

static void
report_warning(const struct sac_client *c, const char *value)
{
	char text[512];
	const char *q;
	size_t n;

	if (c->opts.on_warning == NULL || value[0] == '\0') {
		return;
	}
	/* RFC 7234 5.5: 299 - "text"; print just the text like kubectl. */
	q = strchr(value, '"');
	if (q != NULL) {
		q++;
		n = strcspn(q, "\"");
	} else {
		q = value;
		n = strlen(q);
	}
	if (n >= sizeof(text)) {
		n = sizeof(text) - 1;
	}
	memcpy(text, q, n);
	text[n] = '\0';
	c->opts.on_warning(text, c->opts.warning_payload);
}

enum sac_err
sac_client_send(const char *method, const char *path, const char *bearer,
                const char *content_type, const char *body, size_t body_len,
                struct sac_http_response *out, struct sac_diag *diag,
                void *client)
{
	struct sac_client *c = client;
	struct sac_http_response resp = { 0 };
	int64_t waited = 0;
	int64_t backoff = c->opts.backoff_ms;
	int retries = 0;
	int net_retries = 0;
	enum sac_err err;

	for (;;) {
		int64_t wait;

		sac_http_response_fini(&resp);
		err = c->opts.http(method, path, bearer, content_type, body,
		                   body_len, &resp, diag, c->opts.http_payload);
		if (err == SAC_ENETWORK &&
		    net_retries < c->opts.max_network_retries &&
		    waited + backoff <= c->opts.max_retry_wait_ms) {
			sac_clock_sleep_ms(c->opts.clock, backoff);
			waited += backoff;
			backoff *= 2;
			net_retries++;
			continue;
		}
		if (err != SAC_OK) {
			return err;
		}
		report_warning(c, resp.warning);
		if ((resp.status != 429 && resp.status != 503) ||
		    resp.retry_after < 0 || retries >= c->opts.max_retries) {
			break;
		}
		wait = (int64_t)resp.retry_after * 1000;
		if (waited + wait > c->opts.max_retry_wait_ms) {
			break;
		}
		sac_clock_sleep_ms(c->opts.clock, wait);
		waited += wait;
		retries++;
	}
	*out = resp;
	return SAC_OK;
}

enum sac_err
sac_client_request(struct sac_client *c, const char *method, const char *path,
                   const char *body, size_t body_len,
                   struct sac_http_response *out, struct sac_diag *diag)
{
	struct sac_http_response resp = { 0 };
	const char *bearer = NULL;
	char *used = NULL;
	enum sac_err err;

	if (diag != NULL) {
		memset(&diag->status, 0, sizeof(diag->status));
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (c->source != NULL) {
			err = sac_token_source_get(c->source, &bearer, diag);
			if (err != SAC_OK) {
				goto out;
			}
			if (attempt == 1 && used != NULL &&
			    strcmp(bearer, used) == 0) {
				break; /* the refresh changed nothing */
			}
			sac_free_secret(used);
			used = sac_strdup(bearer);
			if (used == NULL) {
				err = SAC_ENOMEM;
				goto out;
			}
		}
		sac_http_response_fini(&resp);
		err = sac_client_send(method, path, bearer,
		                      body != NULL ? "application/json" : NULL,
		                      body, body_len, &resp, diag, c);
		if (err != SAC_OK) {
			goto out;
		}
		if (resp.status != 401 || c->source == NULL) {
			break;
		}
		/* 401: let the source refresh, then retry exactly once. */
		sac_token_source_invalidate(c->source);
	}
	err = sac_status_to_err(&resp, NULL, diag);
	if (err != SAC_OK) {
		goto out;
	}
	*out = resp;
	memset(&resp, 0, sizeof(resp));
out:
	sac_http_response_fini(&resp);
	sac_free_secret(used);
	return err;
}

enum sac_err
sac_client_request_json(struct sac_client *c, const char *method,
                        const char *path, const struct cJSON *body,
                        struct cJSON **out_json, struct sac_diag *diag)
{
	struct sac_http_response resp = { 0 };
	char *text = NULL;
	cJSON *j = NULL;
	enum sac_err err;

	if (body != NULL) {
		text = cJSON_PrintUnformatted(body);
		if (text == NULL) {
			return SAC_ENOMEM;
		}
	}
	err = sac_client_request(c, method, path, text,
	                         text != NULL ? strlen(text) : 0, &resp, diag);
	if (text != NULL) {
		/* Bodies may carry tokens (TokenReview): wipe them. */
		memset(text, 0, strlen(text));
		cJSON_free(text);
	}
	if (err != SAC_OK) {
		return err;
	}
	err = sac_json_parse(resp.body, resp.body_len, &j, diag);
	if (err != SAC_OK) {
		char why[sizeof(diag->msg)];

		(void)snprintf(why, sizeof(why), "%s",
		               diag != NULL ? diag->msg : "");
		sac_diag_set(diag,
		             "%s %s: the server sent a response that is "
		             "not JSON (%s)",
		             method, path, why);
		err = err == SAC_EINVAL ? SAC_EHTTP : err;
	} else {
		*out_json = j;
	}
	sac_http_response_fini(&resp);
	return err;
}

/* Path segments must not smuggle '/', '?' or '%'. */
static enum sac_err
check_segment(const char *what, const char *s, struct sac_diag *diag)
{
	if (s == NULL || *s == '\0' || strpbrk(s, "/?#% ") != NULL ||
	    strlen(s) > 253) {
		sac_diag_set(diag, "invalid %s \"%s\"", what, s ? s : "");
		return SAC_EINVAL;
	}
	return SAC_OK;
}

enum sac_err
sac_pods_get(struct sac_client *c, const char *ns, const char *name,
             struct cJSON **out_json, struct sac_diag *diag)
{
	char path[600];
	enum sac_err err;

	if (ns != NULL &&
	    (err = check_segment("namespace", ns, diag)) != SAC_OK) {
		return err;
	}
	if (name != NULL &&
	    (err = check_segment("pod name", name, diag)) != SAC_OK) {
		return err;
	}
	if (ns == NULL && name != NULL) {
		sac_diag_set(diag, "a resource cannot be retrieved by name "
		                   "across all namespaces");
		return SAC_EINVAL;
	}
	if (ns == NULL) {
		(void)snprintf(path, sizeof(path), "/api/v1/pods?limit=500");
	} else if (name == NULL) {
		(void)snprintf(path, sizeof(path),
		               "/api/v1/namespaces/%s/pods?limit=500", ns);
	} else {
		(void)snprintf(path, sizeof(path),
		               "/api/v1/namespaces/%s/pods/%s", ns, name);
	}
	return sac_client_request_json(c, "GET", path, NULL, out_json, diag);
}

enum sac_err
sac_token_create(struct sac_client *c, const char *ns, const char *name,
                 const char *const *audiences, size_t n_audiences,
                 int64_t expiration_seconds, const char *bound_pod,
                 struct sac_issued_token *out, struct sac_diag *diag)
{
	struct sac_http_response resp = { 0 };
	char path[600];
	char *body = NULL;
	enum sac_err err;

	if ((err = check_segment("namespace", ns, diag)) != SAC_OK ||
	    (err = check_segment("serviceaccount name", name, diag)) !=
	            SAC_OK) {
		return err;
	}
	(void)snprintf(path, sizeof(path),
	               "/api/v1/namespaces/%s/serviceaccounts/%s/token", ns,
	               name);
	err = sac_token_request_format(audiences, n_audiences,
	                               expiration_seconds, bound_pod, &body);
	if (err != SAC_OK) {
		return err;
	}
	err = sac_client_request(c, "POST", path, body, strlen(body), &resp,
	                         diag);
	if (err == SAC_OK) {
		err = sac_token_response_parse(resp.body, resp.body_len, out,
		                               diag);
	} else if (diag != NULL && diag->status.code != 0) {
		/* kubectl: "error: failed to create token: <message>". */
		sac_diag_set(diag, "failed to create token: %s",
		             diag->status.message);
	}
	sac_http_response_fini(&resp);
	free(body);
	return err;
}

static cJSON *
string_array(const char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a != NULL && i < n; i++) {
		cJSON *s = cJSON_CreateString(v[i]);

		if (s == NULL || !cJSON_AddItemToArray(a, s)) {
			cJSON_Delete(s);
			cJSON_Delete(a);
			a = NULL;
		}
	}
	return a;
}

enum sac_err
sac_token_review(struct sac_client *c, const char *token,
                 const char *const *audiences, size_t n_audiences,
                 struct cJSON **out_json, struct sac_diag *diag)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *spec = NULL;
	enum sac_err err = SAC_ENOMEM;

	if (token == NULL || *token == '\0') {
		cJSON_Delete(root);
		sac_diag_set(diag, "no token to review");
		return SAC_ETOKEN;
	}
	if (root == NULL ||
	    cJSON_AddStringToObject(root, "apiVersion",
	                            "authentication.k8s.io/v1") == NULL ||
	    cJSON_AddStringToObject(root, "kind", "TokenReview") == NULL ||
	    (spec = cJSON_AddObjectToObject(root, "spec")) == NULL ||
	    cJSON_AddStringToObject(spec, "token", token) == NULL) {
		goto out;
	}
	if (n_audiences > 0 &&
	    !sac_json_adopt(spec, "audiences",
	                    string_array(audiences, n_audiences))) {
		goto out;
	}
	err = sac_client_request_json(
		c, "POST", "/apis/authentication.k8s.io/v1/tokenreviews", root,
		out_json, diag);
out:
	cJSON_Delete(root);
	return err;
}

enum sac_err
sac_whoami(struct sac_client *c, struct cJSON **out_json, struct sac_diag *diag)
{
	cJSON *root = cJSON_CreateObject();
	enum sac_err err = SAC_ENOMEM;

	if (root == NULL ||
	    cJSON_AddStringToObject(root, "apiVersion",
	                            "authentication.k8s.io/v1") == NULL ||
	    cJSON_AddStringToObject(root, "kind", "SelfSubjectReview") ==
	            NULL) {
		goto out;
	}
	err = sac_client_request_json(
		c, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
		root, out_json, diag);
out:
	cJSON_Delete(root);
	return err;
}
