/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* getrandom */
#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "api/api.h"
#include "auth/authn.h"
#include "auth/authz.h"
#include "auth/jose.h"
#include "auth/keys.h"
#include "auth/pki.h"
#include "auth/tokens.h"
#include "fileio.h"
#include "server/config.h"
#include "server/harness.h"
#include "server/http.h"
#include "server/json.h"
#include "server/router.h"
#include "server/satokens.h"
#include "server/status.h"
#include "sim/clock.h"
#include "sim/events.h"
#include "sim/faults.h"
#include "state/fixtures.h"
#include "state/statefile.h"
#include "state/store.h"

/* State files are small; anything bigger is not ours. */
#define STATE_FILE_MAX ((size_t)1024 * 1024)

struct mapi_server {
	struct mapi_config cfg;
	char state_dir[PATH_MAX];
	char kubeconfig[PATH_MAX + 16];
	char host[48];
	char url[96];
	char admin_token[65];
	struct mapi_clock *clock;
	struct mapi_authn *authn;
	struct mapi_authz *authz;
	struct mapi_keyset *keyset;
	struct mapi_store *store;
	struct mapi_statefile *statefile;
	struct mapi_http *http;
	struct mapi_satokens *satokens; /* ServiceAccount tokens */
	char *ca_pem; /* ca.crt text, for reset and volumes; NULL if insecure */
	/* ---- harness controls (load_harness) ---- */
	struct mapi_harness *harness;
	char sa_dir[PATH_MAX + 32];
};

/*
 * The dispatch table: one row per endpoint (and, for resource requests,
 * per group + resource). NULL group/resource match anything. The first
 * matching row wins; no row → "404 page not found".
 */
static const struct {
	enum mapi_endpoint endpoint;
	const char *group;
	const char *resource;
	mapi_api_handler_fn *handler;
} dispatch_table[] = {
	{ MAPI_EP_ROOT, NULL, NULL, mapi_api_root },
	{ MAPI_EP_VERSION, NULL, NULL, mapi_api_version },
	{ MAPI_EP_HEALTHZ, NULL, NULL, mapi_api_health },
	{ MAPI_EP_LIVEZ, NULL, NULL, mapi_api_health },
	{ MAPI_EP_READYZ, NULL, NULL, mapi_api_health },
	{ MAPI_EP_API, NULL, NULL, mapi_api_discovery_core },
	{ MAPI_EP_APIS, NULL, NULL, mapi_api_discovery_groups },
	{ MAPI_EP_GROUP, NULL, NULL, mapi_api_discovery_group },
	{ MAPI_EP_GROUP_VERSION, NULL, NULL, mapi_api_discovery_group_version },
	{ MAPI_EP_OPENAPI_V2, NULL, NULL, mapi_api_openapi_v2 },
	{ MAPI_EP_OPENAPI_V3, NULL, NULL, mapi_api_openapi_v3 },
	{ MAPI_EP_OPENAPI_V3_PATH, NULL, NULL, mapi_api_openapi_v3 },
	/* ServiceAccount tokens and access reviews (api/tokens.c,
	 * api/reviews.c, api/openid.c). */
	{ MAPI_EP_OIDC_CONFIG, NULL, NULL, mapi_api_oidc_config },
	{ MAPI_EP_OIDC_JWKS, NULL, NULL, mapi_api_oidc_jwks },
	{ MAPI_EP_RESOURCE, "", "serviceaccounts", mapi_api_serviceaccounts },
	{ MAPI_EP_RESOURCE, "authentication.k8s.io", "tokenreviews",
	  mapi_api_tokenreviews },
	{ MAPI_EP_RESOURCE, "authentication.k8s.io", "selfsubjectreviews",
	  mapi_api_selfsubjectreviews },
	{ MAPI_EP_RESOURCE, "authorization.k8s.io", NULL,
	  mapi_api_access_reviews },

	{ MAPI_EP_MOCK_UI, NULL, NULL, mapi_api_ui },

	{ MAPI_EP_MOCK_API, NULL, NULL, mapi_api_admin },
	/* Last: every stored resource not claimed by a row above. */
	{ MAPI_EP_RESOURCE, NULL, NULL, mapi_api_resources },
};

static mapi_api_handler_fn *
find_handler(const struct mapi_route *r)
{
	size_t i;

	for (i = 0; i < sizeof(dispatch_table) / sizeof(dispatch_table[0]);
	     i++) {
		if (dispatch_table[i].endpoint != r->endpoint) {
			continue;
		}
		if (dispatch_table[i].group != NULL &&
		    strcmp(dispatch_table[i].group, r->ref.group) != 0) {
			continue;
		}
		if (dispatch_table[i].resource != NULL &&
		    strcmp(dispatch_table[i].resource, r->ref.resource) != 0) {
			continue;
		}
		return dispatch_table[i].handler;
	}
	return NULL;
}

/*
 * RBAC (or AlwaysAllow) for the request, through auth/authz. On a denial
 * *out_reason gets the authorizer's reason (malloc'd, may be "").
 */
static bool
authorize(const struct mapi_server *s, const struct mapi_identity *id,
          const struct mapi_route *r, const char *path, char **out_reason)
{
	const char *groups[MAPI_IDENTITY_MAX_GROUPS];
	struct mapi_authz_attrs a = {
		.user = id->username,
		.groups = groups,
		.ngroups = id->n_groups,
		.verb = r->verb_name,
		.resource_request = r->resource_request,
		.ns = r->ref.ns,
		.api_group = r->ref.group,
		.api_version = r->ref.version,
		.resource = r->ref.resource,
		.subresource = r->ref.subresource,
		.name = r->ref.name,
		.path = path,
	};
	enum mapi_authz_decision d = MAPI_AUTHZ_DENY;
	size_t i;

	for (i = 0; i < id->n_groups; i++) {
		groups[i] = id->groups[i];
	}
	*out_reason = NULL;
	if (mapi_authz_check(s->authz, &a, &d, out_reason) != MAPI_OK) {
		return false;
	}
	return d == MAPI_AUTHZ_ALLOW;
}

static void
respond_or_500(struct mapi_response *resp, enum mapi_err rc)
{
	if (rc != MAPI_OK) {
		/* Out of memory while building an error: a bare 500. */
		resp->code = 500;
	}
}

/* ---- harness controls: faults and the request journal ---- */

/*
 * jti and exp of a ServiceAccount bearer token, for fault rules that match
 * on them ("expiresWithin"). The identity carries the jti but not the exp,
 * so the token is validated here a second time — only when a fault rule
 * exists. Rejected tokens give no jti/exp. jti gets "" when unknown.
 */
static void
bearer_facts(const struct mapi_server *s, const char *authorization,
             char jti[MAPI_TOKENS_JTI_SIZE + 27], int64_t *exp)
{
	const struct mapi_tokens *tokens = mapi_satokens_tokens(s->satokens);
	struct mapi_tokens_result r = { 0 };
	const char *tok;

	jti[0] = '\0';
	*exp = 0;
	if (tokens == NULL || authorization == NULL ||
	    strncasecmp(authorization, "Bearer ", 7) != 0) {
		return;
	}
	tok = authorization + 7;
	while (*tok == ' ') {
		tok++;
	}
	if (*tok == '\0' || strcmp(tok, s->admin_token) == 0) {
		return;
	}
	if (mapi_tokens_validate(tokens, tok, strlen(tok), NULL, 0,
	                         mapi_clock_now_ns(s->clock), &r) == MAPI_OK &&
	    r.verdict == MAPI_TOKENS_AUTHENTICATED) {
		(void)snprintf(jti, MAPI_TOKENS_JTI_SIZE + 27, "%s",
		               r.jti != NULL ? r.jti : "");
		*exp = r.exp;
	}
	mapi_tokens_result_clear(&r);
}

static bool
is_admin_path(const char *path)
{
	return strncmp(path, "/mock/", 6) == 0 || strcmp(path, "/mock") == 0;
}

/*
 * Applies the first fault rule that fires (never to /mock/...: the admin
 * API must stay usable to remove rules). true when the request is done.
 */
static bool
apply_fault(struct mapi_server *s, const struct mapi_request *req,
            struct mapi_response *resp, const char *user, const char *jti,
            int64_t exp)
{
	struct mapi_faults *faults = mapi_harness_faults(s->harness);
	struct mapi_fault_request fr = {
		.method = req->method,
		.path = req->path,
		.user = user,
		.jti = jti[0] != '\0' ? jti : NULL,
		.token_exp = exp,
		.now_ns = mapi_clock_now_ns(s->clock),
	};
	struct mapi_fault_action a;
	size_t i;

	if (is_admin_path(req->path) || !mapi_faults_match(faults, &fr, &a)) {
		return false;
	}
	mapi_fault_action_describe(&a, resp->log_fault,
	                           sizeof(resp->log_fault));
	if (a.delay_ms > 0) {
		struct timespec ts = {
			.tv_sec = (time_t)(a.delay_ms / 1000),
			.tv_nsec = (long)(a.delay_ms % 1000) * 1000000L,
		};

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
		}
	}
	switch (a.kind) {
	case MAPI_FAULT_DELAY_ONLY:
		return false;
	case MAPI_FAULT_RESET:
		resp->drop_connection = true;
		return true;
	case MAPI_FAULT_TOO_MANY:
		respond_or_500(resp,
		               mapi_status_too_many_requests_text(
				       resp, a.retry_after_s >= 0
		                                     ? (int)a.retry_after_s
		                                     : 1));
		return true;
	case MAPI_FAULT_STATUS:
	default:
		respond_or_500(resp,
		               mapi_status_respond_code(
				       resp, a.code, a.reason, a.message,
				       a.retry_after_s > 0 ? (int)a.retry_after_s
		                                           : 0));
		for (i = 0; i < a.n_headers; i++) {
			if (mapi_response_find_header(resp,
			                              a.headers[i].name) ==
			    NULL) {
				respond_or_500(resp,
				               mapi_response_add_header(
						       resp, a.headers[i].name,
						       a.headers[i].value));
			}
		}
		return true;
	}
}

/* http's log hook: the request journal (long polls are not journaled). */
static void
on_log(const struct mapi_http_log_entry *e, void *payload)
{
	struct mapi_server *s = payload;
	struct mapi_request_input in = {
		.method = e->method,
		.path = e->path,
		.user = e->user,
		.code = e->code,
		.jti = e->jti,
		.duration_us = e->duration_ns / 1000,
		.fault = e->fault,
	};

	if (strcmp(e->method, "GET") == 0 &&
	    (strcmp(e->path, "/mock/v1/events") == 0 ||
	     strcmp(e->path, "/mock/v1/requests") == 0)) {
		return;
	}
	(void)mapi_events_add_request(mapi_harness_events(s->harness), &in);
}

/* ---- end of harness controls ---- */

static void
on_request(const struct mapi_request *req, struct mapi_response *resp,
           void *payload)
{
	struct mapi_server *server = payload;
	struct mapi_identity id;
	struct mapi_route route;
	struct mapi_call call;
	mapi_api_handler_fn *handler;
	const char *authorization = mapi_request_header(req, "Authorization");
	char jti[MAPI_TOKENS_JTI_SIZE + 27] = "";
	int64_t exp = 0;
	char *reason = NULL;
	enum mapi_err err;
	size_t i;

	err = mapi_authn_authenticate(server->authn, authorization, &id,
	                              /* diag= */ NULL);
	if (err == MAPI_OK) {
		(void)snprintf(resp->log_user, sizeof(resp->log_user), "%s",
		               id.username);
	}
	if (mapi_faults_count(mapi_harness_faults(server->harness)) > 0 &&
	    !is_admin_path(req->path)) {
		bearer_facts(server, authorization, jti, &exp);
	} else if (err == MAPI_OK) {
		/* The validator's credential-id extra is "JTI=<jti>". */
		for (i = 0; i < id.n_extra; i++) {
			if (strcmp(id.extra[i].key,
			           "authentication.kubernetes.io/"
			           "credential-id") == 0 &&
			    strncmp(id.extra[i].value, "JTI=", 4) == 0) {
				(void)snprintf(jti, sizeof(jti), "%s",
				               id.extra[i].value + 4);
			}
		}
	}
	(void)snprintf(resp->log_jti, sizeof(resp->log_jti), "%s", jti);
	if (apply_fault(server, req, resp, err == MAPI_OK ? id.username : NULL,
	                jti, exp)) {
		return;
	}
	if (err != MAPI_OK) {
		respond_or_500(resp, mapi_status_unauthorized(resp));
		return;
	}
	err = mapi_router_match(req->method, req->path, req->query, &route);
	if (err == MAPI_EINVAL) {
		/* Go's net/http answer to an unparsable request target. */
		respond_or_500(resp,
		               mapi_response_set_body(
				       resp, 400, "text/plain; charset=utf-8",
				       "400 Bad Request", 15));
		return;
	}
	if (err != MAPI_OK) {
		/* Unknown URL: authorized as a non-resource path, then 404. */
		memset(&route, 0, sizeof(route));
		for (i = 0;
		     req->method[i] != '\0' && i + 1 < sizeof(route.verb_name);
		     i++) {
			char c = req->method[i];

			route.verb_name[i] =
				(char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
		}
	}
	if (!authorize(server, &id, &route, req->path, &reason)) {
		struct mapi_forbidden f = {
			.user = id.username,
			.verb = route.verb_name,
			.resource_request = route.resource_request,
			.path = req->path,
			.group = route.ref.group,
			.resource = route.ref.resource,
			.subresource = route.ref.subresource,
			.ns = route.ref.ns,
			.name = route.ref.name,
			.reason = reason != NULL && *reason != '\0' ? reason
			                                           : NULL,
		};

		respond_or_500(resp, mapi_status_forbidden(resp, &f));
		free(reason);
		return;
	}
	free(reason);
	handler = err == MAPI_OK ? find_handler(&route) : NULL;
	if (handler == NULL) {
		respond_or_500(resp, mapi_status_not_found_page(resp));
		return;
	}
	call.req = req;
	call.route = &route;
	call.id = &id;
	call.server = server;
	handler(&call, resp);
}

/* ---- state directory ---- */

static enum mapi_err
read_state_file(const struct mapi_server *s, const char *name, char **out,
                struct mapi_diag *diag)
{
	char path[PATH_MAX + 32];
	size_t len = 0;
	enum mapi_err err;

	(void)snprintf(path, sizeof(path), "%s/%s", s->state_dir, name);
	err = mapi_file_read(path, STATE_FILE_MAX, out, &len, diag);
	/* Every unusable state file is an I/O error for the caller (exit 2). */
	return err == MAPI_OK || err == MAPI_ENOMEM ? err : MAPI_EIO;
}

/* Writes data to path via a temp file, fsync and rename (fileio). */
static enum mapi_err
write_atomic(const char *path, const char *data, size_t len, mode_t mode,
             struct mapi_diag *diag)
{
	return mapi_file_write_atomic(path, data, len, mode, diag);
}

static enum mapi_err
prepare_state_dir(struct mapi_server *s, struct mapi_diag *diag)
{
	const char *dir = s->cfg.state_dir;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		mapi_diag_set(diag, "cannot create state dir %s: %s", dir,
		              strerror(errno));
		return MAPI_EIO;
	}
	if (realpath(dir, s->state_dir) == NULL) {
		mapi_diag_set(diag, "state dir %s: %s", dir, strerror(errno));
		return MAPI_EIO;
	}
	return MAPI_OK;
}

/* The admin token: 32 random bytes as hex, made once and then reused. */
static enum mapi_err
load_admin_token(struct mapi_server *s, struct mapi_diag *diag)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[32];
	char path[PATH_MAX + 32];
	char *text = NULL;
	enum mapi_err err;
	size_t n;
	size_t i;

	(void)snprintf(path, sizeof(path), "%s/admin-token", s->state_dir);
	if (access(path, F_OK) == 0) {
		err = read_state_file(s, "admin-token", &text, diag);
		if (err != MAPI_OK) {
			return err;
		}
		n = strcspn(text, "\r\n");
		if (n == 0 || n >= sizeof(s->admin_token)) {
			mapi_diag_set(diag, "%s: not a token", path);
			free(text);
			return MAPI_EIO;
		}
		memcpy(s->admin_token, text, n);
		s->admin_token[n] = '\0';
		memset(text, 0, n);
		free(text);
		return MAPI_OK;
	}
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		mapi_diag_set(diag, "getrandom: %s", strerror(errno));
		return MAPI_EIO;
	}
	for (i = 0; i < sizeof(raw); i++) {
		s->admin_token[2 * i] = hex[raw[i] >> 4];
		s->admin_token[2 * i + 1] = hex[raw[i] & 0xf];
	}
	s->admin_token[64] = '\0';
	memset(raw, 0, sizeof(raw));
	return write_atomic(path, s->admin_token, 64, 0600, diag);
}

static char *
base64_std(const char *in, size_t len)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)in;
	char *out = malloc((len + 2) / 3 * 4 + 1);
	size_t i;
	size_t w = 0;

	if (out == NULL) {
		return NULL;
	}
	for (i = 0; i + 2 < len; i += 3) {
		out[w++] = tbl[p[i] >> 2];
		out[w++] = tbl[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		out[w++] = tbl[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		out[w++] = tbl[p[i + 2] & 63];
	}
	if (i < len) {
		out[w++] = tbl[p[i] >> 2];
		if (i + 1 < len) {
			out[w++] = tbl[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			out[w++] = tbl[(p[i + 1] & 15) << 2];
		} else {
			out[w++] = tbl[(p[i] & 3) << 4];
			out[w++] = '=';
		}
		out[w++] = '=';
	}
	out[w] = '\0';
	return out;
}

static enum mapi_err
write_kubeconfig(struct mapi_server *s, const char *ca_pem,
                 struct mapi_diag *diag)
{
	struct mapi_strbuf sb = { 0 };
	char *ca_b64 = NULL;
	char *text = NULL;
	enum mapi_err err = MAPI_ENOMEM;

	mapi_strbuf_puts(&sb, "apiVersion: v1\nkind: Config\nclusters:\n"
	                      "- cluster:\n");
	if (ca_pem != NULL) {
		ca_b64 = base64_std(ca_pem, strlen(ca_pem));
		if (ca_b64 == NULL) {
			goto out;
		}
		mapi_strbuf_printf(&sb, "    certificate-authority-data: %s\n",
		                   ca_b64);
	}
	mapi_strbuf_printf(&sb,
	                   "    server: %s\n"
	                   "  name: mockapi\n"
	                   "contexts:\n"
	                   "- context:\n"
	                   "    cluster: mockapi\n"
	                   "    namespace: default\n"
	                   "    user: %s\n"
	                   "  name: mockapi\n"
	                   "current-context: mockapi\n"
	                   "preferences: {}\n"
	                   "users:\n"
	                   "- name: %s\n"
	                   "  user:\n"
	                   "    token: %s\n",
	                   s->url, MAPI_ADMIN_USER, MAPI_ADMIN_USER,
	                   s->admin_token);
	text = mapi_strbuf_take(&sb);
	if (text == NULL) {
		goto out;
	}
	(void)snprintf(s->kubeconfig, sizeof(s->kubeconfig), "%s/kubeconfig",
	               s->state_dir);
	err = write_atomic(s->kubeconfig, text, strlen(text), 0600, diag);
out:
	if (text != NULL) {
		memset(text, 0, strlen(text));
	}
	free(text);
	free(ca_b64);
	return err;
}

static void
client_host(struct mapi_server *s)
{
	const char *a = s->cfg.listen_addr;

	/* A wildcard listener is reached through loopback. */
	if (strcmp(a, "0.0.0.0") == 0) {
		a = "127.0.0.1";
	} else if (strcmp(a, "::") == 0) {
		a = "::1";
	}
	(void)snprintf(s->host, sizeof(s->host), "%s", a);
}

static unsigned
default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

/*
 * The ServiceAccount signing keys live in the state dir so tokens survive
 * restarts: sa.key (RSA, RS256) and sa-es256.key (P-256, ES256). The one
 * --signing-alg names is made if missing and becomes the active key; the
 * other, if present, stays valid for verification.
 */
static enum mapi_err
load_signing_keys(struct mapi_server *s, struct mapi_diag *diag)
{
	static const struct {
		const char *file;
		enum mapi_key_type type;
		enum mapi_signing_alg alg;
	} files[] = {
		{ "sa.key", MAPI_KEY_RSA2048, MAPI_SIGNING_RS256 },
		{ "sa-es256.key", MAPI_KEY_P256, MAPI_SIGNING_ES256 },
	};
	enum mapi_err err = mapi_keyset_new(&s->keyset);
	size_t i;

	for (i = 0; err == MAPI_OK && i < sizeof(files) / sizeof(files[0]);
	     i++) {
		char path[PATH_MAX + 32];
		struct mapi_key *key = NULL;
		bool active = files[i].alg == s->cfg.signing_alg;

		(void)snprintf(path, sizeof(path), "%s/%s", s->state_dir,
		               files[i].file);
		if (access(path, F_OK) == 0) {
			err = mapi_key_load_file(path, &key, diag);
		} else if (active) {
			err = mapi_key_generate(files[i].type, &key);
			if (err == MAPI_OK) {
				err = mapi_key_save_private(key, path);
				if (err != MAPI_OK) {
					mapi_diag_set(diag, "cannot write %s",
					              path);
				}
			}
		} else {
			continue;
		}
		if (err == MAPI_OK) {
			err = active ? mapi_keyset_set_active(s->keyset, key)
			             : mapi_keyset_add_verify(s->keyset, key);
		}
		mapi_key_unref(key);
	}
	return err;
}

/* auth/authz reads RBAC objects from the store through these. */
static enum mapi_err
authz_list(void *payload, const char *resource, const char *ns,
           cJSON **out_items)
{
	struct mapi_server *s = payload;
	struct mapi_list_opts lo = { 0 };
	char *rv = NULL;
	char *cont = NULL;
	enum mapi_err err;

	err = mapi_store_list(s->store, "rbac.authorization.k8s.io", resource,
	                      ns, &lo, out_items, &rv, &cont, NULL);
	free(rv);
	free(cont);
	return err;
}

static enum mapi_err
authz_get(void *payload, const char *resource, const char *ns,
          const char *name, cJSON **out_obj)
{
	struct mapi_server *s = payload;
	struct mapi_store_ref r = { .group = "rbac.authorization.k8s.io",
		                    .resource = resource,
		                    .ns = ns,
		                    .name = name };

	return mapi_store_get(s->store, &r, out_obj, NULL);
}

/*
 * The authorizer's decision cache is keyed on this: every store change
 * bumps it, so a cached RBAC decision never outlives the objects it read.
 */
static uint64_t
authz_version(void *payload)
{
	struct mapi_server *s = payload;

	return mapi_store_resource_version(s->store);
}

/* kube-root-ca.crt in every namespace, as the root CA publisher does. */
static enum mapi_err
publish_root_ca(struct mapi_server *s, const char *ca_pem)
{
	struct mapi_list_opts lo = { 0 };
	cJSON *items = NULL;
	cJSON *ns;
	char *rv = NULL;
	char *cont = NULL;
	enum mapi_err err;

	if (ca_pem == NULL) {
		return MAPI_OK;
	}
	err = mapi_store_list(s->store, "", "namespaces", NULL, &lo, &items,
	                      &rv, &cont, NULL);
	cJSON_ArrayForEach(ns, items) {
		const cJSON *meta = cJSON_GetObjectItemCaseSensitive(ns,
		                                                     "metadata");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(meta,
		                                                     "name");
		struct mapi_store_ref r = { .group = "",
			                    .resource = "configmaps",
			                    .ns = cJSON_GetStringValue(name),
			                    .name = "kube-root-ca.crt" };
		cJSON *cm = cJSON_CreateObject();
		cJSON *data = cm ? cJSON_AddObjectToObject(cm, "data") : NULL;
		cJSON *m = cm ? cJSON_AddObjectToObject(cm, "metadata") : NULL;
		cJSON *created = NULL;

		if (data == NULL || m == NULL ||
		    cJSON_AddStringToObject(data, "ca.crt", ca_pem) == NULL ||
		    cJSON_AddStringToObject(m, "name", "kube-root-ca.crt") ==
		            NULL) {
			cJSON_Delete(cm);
			err = MAPI_ENOMEM;
			break;
		}
		/* Present already (a fixture, or a reload): keep it. */
		if (mapi_store_create(s->store, &r, cm, 0, &created, NULL) !=
		    MAPI_OK) {
			created = NULL;
		}
		cJSON_Delete(created);
		cJSON_Delete(cm);
	}
	cJSON_Delete(items);
	free(rv);
	free(cont);
	return err;
}

/*
 * ---- persistence (state/statefile) ----
 * The store saved in the state dir (store.json + store.journal) is
 * restored instead of loading fixtures, unless --fresh or --fixtures asks
 * for fixtures; every later change is journaled and fdatasync'ed before
 * the response (the store's sync hook). POST /mock/v1/reset reloads
 * fixtures through the store, so the journal records it too.
 */
static enum mapi_err
restore_store(struct mapi_server *s, bool *out_restored,
              struct mapi_diag *diag)
{
	enum mapi_err err;

	*out_restored = false;
	err = mapi_statefile_open(s->state_dir, NULL, &s->statefile, diag);
	if (err != MAPI_OK) {
		return err;
	}
	if (s->cfg.fresh || s->cfg.fixtures != NULL) {
		return MAPI_OK;
	}
	return mapi_statefile_restore(s->statefile, s->store, out_restored,
	                              diag);
}
/* ---- end persistence ---- */

/*
 * The ServiceAccount token service from the --issuer, --api-audiences,
 * --token-*-ttl, --no-extend-token-expiration and --seed flags, and its
 * authenticator as the token validator of every request.
 */
static enum mapi_err
load_tokens(struct mapi_server *s, struct mapi_diag *diag)
{
	const struct mapi_config *c = &s->cfg;
	struct mapi_satokens_config tc = {
		.issuer = c->issuer,
		.api_audiences = c->api_audiences,
		.min_ttl = c->token_min_ttl_ns / MAPI_NS_PER_SEC,
		.default_ttl = c->token_default_ttl_ns / MAPI_NS_PER_SEC,
		.max_ttl = c->token_max_ttl_ns / MAPI_NS_PER_SEC,
		.extend = c->extend_token_expiration,
		.seed = c->seed,
		.seeded = c->seed_set,
	};
	enum mapi_err err;

	err = mapi_satokens_new(&tc, s->keyset, s->store, s->clock,
	                        &s->satokens, diag);
	if (err == MAPI_OK) {
		mapi_authn_set_token_validator(s->authn, mapi_satokens_validate,
		                               s->satokens);
	}
	return err;
}

/*
 * The one non-Kubernetes rule: anyone may GET the static page under
 * /mock/ui (a browser cannot send a bearer token on navigation). The page
 * carries no data; everything it shows comes from /mock/v1, admin only.
 * Loaded with the bootstrap policy so that --fixtures cannot lose it.
 */
static const char ui_policy[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":["
	"{\"apiVersion\":\"rbac.authorization.k8s.io/v1\","
	"\"kind\":\"ClusterRole\",\"metadata\":{\"name\":"
	"\"mockapi:ui-viewer\"},\"rules\":[{\"nonResourceURLs\":"
	"[\"/mock/ui\",\"/mock/ui/*\"],\"verbs\":[\"get\",\"head\"]}]},"
	"{\"apiVersion\":\"rbac.authorization.k8s.io/v1\","
	"\"kind\":\"ClusterRoleBinding\",\"metadata\":{\"name\":"
	"\"mockapi:ui-viewer\"},\"roleRef\":{\"apiGroup\":"
	"\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\","
	"\"name\":\"mockapi:ui-viewer\"},\"subjects\":["
	"{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Group\","
	"\"name\":\"system:authenticated\"},"
	"{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Group\","
	"\"name\":\"system:unauthenticated\"}]}]}";

static enum mapi_err fill_cluster(struct mapi_server *s, const char *ca_pem,
                                  struct mapi_diag *diag);

/* The store, filled with the bootstrap RBAC policy and the fixtures. */
static enum mapi_err
load_cluster(struct mapi_server *s, const char *ca_pem, struct mapi_diag *diag)
{
	struct mapi_store_opts so = { .seed = s->cfg.seed,
		                      .seeded = s->cfg.seed_set };
	enum mapi_authz_mode mode = MAPI_AUTHZ_RBAC;
	enum mapi_err err;
	bool restored = false;

	if (strcmp(s->cfg.authorization_mode, "AlwaysAllow") == 0) {
		mode = MAPI_AUTHZ_ALWAYS_ALLOW;
	}
	err = mapi_store_new(s->clock, &so, &s->store);
	if (err == MAPI_OK) {
		err = mapi_authz_new(mode, authz_list, authz_get, s, &s->authz);
	}
	if (err == MAPI_OK) {
		mapi_authz_set_version_fn(s->authz, authz_version);
		err = restore_store(s, &restored, diag);
	}
	if (err == MAPI_OK && restored) {
		err = publish_root_ca(s, ca_pem);
		return err == MAPI_OK ? mapi_statefile_attach(s->statefile,
		                                              s->store, diag)
		                      : err;
	}
	if (err == MAPI_OK) {
		err = fill_cluster(s, ca_pem, diag);
	}
	if (err == MAPI_OK) {
		err = mapi_statefile_attach(s->statefile, s->store, diag);
	}
	return err;
}

/* Bootstrap RBAC, the fixtures and kube-root-ca.crt (start and reset). */
static enum mapi_err
fill_cluster(struct mapi_server *s, const char *ca_pem, struct mapi_diag *diag)
{
	cJSON *policy = NULL;
	char *text = NULL;
	enum mapi_err err;

	err = mapi_authz_bootstrap_policy(&policy);
	if (err == MAPI_OK) {
		text = cJSON_PrintUnformatted(policy);
		err = text == NULL ? MAPI_ENOMEM
		                   : mapi_fixtures_load_buffer(
					     s->store, s->clock,
					     "bootstrap-policy", text,
					     strlen(text), diag);
	}
	cJSON_Delete(policy);
	free(text);
	if (err == MAPI_OK) {
		err = mapi_fixtures_load_buffer(s->store, s->clock, "ui-policy",
		                                ui_policy, sizeof(ui_policy) - 1,
		                                diag);
	}
	if (err != MAPI_OK) {
		return err;
	}
	if (s->cfg.fixtures != NULL) {
		err = mapi_fixtures_load_path(s->store, s->clock, s->cfg.fixtures,
		                              diag);
	} else {
		err = mapi_fixtures_load_default(s->store, s->clock, diag);
	}
	if (err == MAPI_OK) {
		err = publish_root_ca(s, ca_pem);
	}
	return err;
}

/* ---- harness controls: kubelet, clock timers, keys, faults, events ---- */

/* POST /mock/v1/reset: the cluster as at start, generators re-seeded. */
static enum mapi_err
reload_cluster(void *payload, struct mapi_diag *diag)
{
	struct mapi_server *s = payload;

	mapi_store_reset(s->store);
	mapi_authz_flush(s->authz);
	mapi_satokens_reset(s->satokens);
	return fill_cluster(s, s->ca_pem, diag);
}

static enum mapi_err
load_harness(struct mapi_server *s, struct mapi_diag *diag)
{
	struct mapi_harness_config hc = { 0 };
	bool rs = s->cfg.signing_alg == MAPI_SIGNING_RS256;
	enum mapi_err err;

	hc.clock = s->clock;
	hc.store = s->store;
	hc.keyset = s->keyset;
	hc.tokens = mapi_satokens_tokens(s->satokens);
	hc.state_dir = s->state_dir;
	hc.active_key_file = rs ? "sa.key" : "sa-es256.key";
	hc.key_type = rs ? MAPI_KEY_RSA2048 : MAPI_KEY_P256;
	hc.key_overlap_ns = s->cfg.key_overlap_ns;
	hc.seed = s->cfg.seed;
	hc.seeded = s->cfg.seed_set;
	hc.clock_spec = s->cfg.clock_spec;
	hc.clock_rate_milli = s->cfg.clock_rate_milli;
	hc.ca_pem = s->ca_pem;
	if (s->cfg.serviceaccount_dir != NULL) {
		(void)snprintf(s->sa_dir, sizeof(s->sa_dir), "%s",
		               s->cfg.serviceaccount_dir);
	} else {
		(void)snprintf(s->sa_dir, sizeof(s->sa_dir), "%s/serviceaccount",
		               s->state_dir);
	}
	if (s->sa_dir[0] != '/') {
		char cwd[PATH_MAX];
		size_t n;

		if (getcwd(cwd, sizeof(cwd)) == NULL) {
			mapi_diag_set(diag, "getcwd: %s", strerror(errno));
			return MAPI_EIO;
		}
		n = strlen(cwd);
		if (n + 1 + strlen(s->sa_dir) + 1 > sizeof(s->sa_dir)) {
			mapi_diag_set(diag, "--serviceaccount-dir: too long");
			return MAPI_EINVAL;
		}
		memmove(s->sa_dir + n + 1, s->sa_dir, strlen(s->sa_dir) + 1);
		memcpy(s->sa_dir, cwd, n);
		s->sa_dir[n] = '/';
	}
	hc.default_dir = s->sa_dir;
	hc.default_pod = s->cfg.serviceaccount_pod != NULL
	                         ? s->cfg.serviceaccount_pod
	                         : MAPI_SERVER_DEFAULT_POD;
	hc.default_required = s->cfg.serviceaccount_pod != NULL ||
	                      s->cfg.serviceaccount_dir != NULL;
	hc.reload = reload_cluster;
	hc.reload_payload = s;
	err = mapi_harness_new(&hc, &s->harness, diag);
	if (err == MAPI_OK) { /* refusals of request authentication */
		mapi_satokens_set_events(s->satokens,
		                         mapi_harness_events(s->harness));
	}
	return err;
}

/* ---- end of harness controls ---- */

enum mapi_err
mapi_server_start(const struct mapi_config *cfg, struct mapi_server **out,
                  struct mapi_diag *diag)
{
	struct mapi_server *s = NULL;
	struct mapi_http_config hc = { 0 };
	char *cert = NULL;
	char *key = NULL;
	char *ca = NULL;
	enum mapi_err err = MAPI_ENOMEM;

	(void)mapi_crypto_init();
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		goto out;
	}
	s->cfg = *cfg;
	err = prepare_state_dir(s, diag);
	if (err != MAPI_OK) {
		goto out;
	}
	if (!cfg->insecure_http) {
		struct mapi_pki_opts po = MAPI_PKI_OPTS_DEFAULT;

		/* Certificates are checked against the REAL time by clients. */
		po.not_before = (int64_t)time(NULL);
		err = mapi_pki_ensure(s->state_dir, &po, diag);
		if (err != MAPI_OK) {
			goto out;
		}
		err = read_state_file(s, "tls.crt", &cert, diag);
		if (err == MAPI_OK) {
			err = read_state_file(s, "tls.key", &key, diag);
		}
		if (err == MAPI_OK) {
			err = read_state_file(s, "ca.crt", &ca, diag);
		}
		if (err != MAPI_OK) {
			goto out;
		}
	}
	err = load_admin_token(s, diag);
	if (err != MAPI_OK) {
		goto out;
	}
	err = mapi_clock_new_system(&s->clock);
	if (err == MAPI_OK) {
		err = mapi_clock_apply_spec(s->clock, cfg->clock_spec, diag);
	}
	if (err == MAPI_OK && cfg->clock_rate_milli != 1000) {
		err = mapi_clock_set_rate(s->clock, cfg->clock_rate_milli);
	}
	if (err != MAPI_OK) {
		goto out;
	}
	err = mapi_authn_new(s->admin_token, cfg->anonymous_auth, &s->authn);
	if (err == MAPI_OK) {
		err = load_signing_keys(s, diag);
	}
	if (err == MAPI_OK) {
		err = load_cluster(s, ca, diag);
	}
	if (err == MAPI_OK) {
		err = load_tokens(s, diag);
	}
	if (err == MAPI_OK && ca != NULL && (s->ca_pem = strdup(ca)) == NULL) {
		err = MAPI_ENOMEM;
	}
	if (err == MAPI_OK) {
		err = load_harness(s, diag);
	}
	if (err != MAPI_OK) {
		goto out;
	}
	hc.addr = cfg->listen_addr;
	hc.port = cfg->port;
	hc.threads = cfg->threads != 0 ? cfg->threads : default_threads();
	hc.cert_pem = cert;
	hc.key_pem = key;
	hc.handler = on_request;
	hc.handler_payload = s;
	hc.log = on_log;
	hc.log_payload = s;
	hc.error_log = true;
	err = mapi_http_start(&hc, &s->http, diag);
	if (err != MAPI_OK) {
		goto out;
	}
	client_host(s);
	(void)snprintf(s->url, sizeof(s->url),
	               strchr(s->host, ':') != NULL ? "%s://[%s]:%u"
	                                            : "%s://%s:%u",
	               cfg->insecure_http ? "http" : "https", s->host,
	               mapi_http_port(s->http));
	err = write_kubeconfig(s, ca, diag);
	if (err != MAPI_OK) {
		goto out;
	}
	if (cfg->port_file != NULL) {
		char port[16];
		int n = snprintf(port, sizeof(port), "%u\n",
		                 mapi_http_port(s->http));

		err = write_atomic(cfg->port_file, port, (size_t)n, 0644, diag);
		if (err != MAPI_OK) {
			goto out;
		}
	}
	*out = s;
	s = NULL;
	err = MAPI_OK;
out:
	if (key != NULL) {
		memset(key, 0, strlen(key));
	}
	free(key);
	free(cert);
	free(ca);
	mapi_server_stop(s);
	return err;
}

unsigned
mapi_server_port(const struct mapi_server *server)
{
	return mapi_http_port(server->http);
}

const char *
mapi_server_url(const struct mapi_server *server)
{
	return server->url;
}

const char *
mapi_server_host(const struct mapi_server *server)
{
	return server->host;
}

const char *
mapi_server_admin_token(const struct mapi_server *server)
{
	return server->admin_token;
}

const char *
mapi_server_state_dir(const struct mapi_server *server)
{
	return server->state_dir;
}

const char *
mapi_server_kubeconfig_path(const struct mapi_server *server)
{
	return server->kubeconfig;
}

const struct mapi_config *
mapi_server_config(const struct mapi_server *server)
{
	return &server->cfg;
}

struct mapi_clock *
mapi_server_clock(const struct mapi_server *server)
{
	return server->clock;
}

struct mapi_authn *
mapi_server_authn(const struct mapi_server *server)
{
	return server->authn;
}

struct mapi_store *
mapi_server_store(const struct mapi_server *server)
{
	return server->store;
}

struct mapi_keyset *
mapi_server_keyset(const struct mapi_server *server)
{
	return server->keyset;
}

struct mapi_authz *
mapi_server_authz(const struct mapi_server *server)
{
	return server->authz;
}

struct mapi_satokens *
mapi_server_satokens(const struct mapi_server *server)
{
	return server->satokens;
}

const char *
mapi_server_ca_pem(const struct mapi_server *server)
{
	return server->ca_pem;
}

const struct mapi_tokens *
mapi_server_tokens(const struct mapi_server *server)
{
	return mapi_satokens_tokens(server->satokens);
}

struct mapi_events *
mapi_server_events(const struct mapi_server *server)
{
	return mapi_harness_events(server->harness);
}

struct mapi_harness *
mapi_server_harness(const struct mapi_server *server)
{
	return server->harness;
}

void
mapi_server_stop(struct mapi_server *server)
{
	if (server == NULL) {
		return;
	}
	mapi_harness_shutdown(server->harness);
	mapi_http_stop(server->http);
	if (mapi_statefile_close(server->statefile, NULL) != MAPI_OK) {
		/* No final snapshot; the journal still has every
		 * acknowledged change, replayed on the next start. */
	}
	mapi_harness_free(server->harness);
	mapi_satokens_free(server->satokens);
	free(server->ca_pem);
	mapi_authz_free(server->authz);
	mapi_store_free(server->store);
	mapi_keyset_free(server->keyset);
	mapi_authn_free(server->authn);
	mapi_clock_free(server->clock);
	memset(server->admin_token, 0, sizeof(server->admin_token));
	free(server);
}
