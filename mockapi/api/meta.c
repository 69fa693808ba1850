/* SPDX-License-Identifier: MIT */
/*
 * meta: the discovery and OpenAPI endpoints — GET /api, /apis, /apis/<g>,
 * /api/v1, /apis/<g>/<v> (legacy or aggregated, by the Accept header, as
 * client-go negotiates), /openapi/v2 and /openapi/v3[/<gv>], and the root
 * path list. The documents come from api/discovery.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/api.h"
#include "api/discovery.h"
#include "server/config.h"
#include "server/http.h"
#include "server/json.h"
#include "server/router.h"
#include "server/server.h"
#include "server/status.h"

static void
fail(struct mapi_response *resp, enum mapi_err rc)
{
	if (rc != MAPI_OK) {
		resp->code = 500;
	}
}

static bool
only_get(const struct mapi_call *call, struct mapi_response *resp)
{
	const char *m = call->req->method;

	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
		return true;
	}
	fail(resp, mapi_status_method_not_allowed(resp));
	return false;
}

/* Sends doc (consumed) as compact JSON with Go's trailing newline. */
static void
send_doc(struct mapi_response *resp, enum mapi_err err, cJSON *doc,
         const char *content_type)
{
	char *text;
	size_t n;
	char *body;

	if (err == MAPI_ENOTFOUND) {
		fail(resp, mapi_status_not_found_page(resp));
		return;
	}
	if (err != MAPI_OK) {
		fail(resp, mapi_status_internal(resp, "out of memory"));
		return;
	}
	text = mapi_json_print(doc);
	cJSON_Delete(doc);
	if (text == NULL) {
		fail(resp, mapi_status_internal(resp, "out of memory"));
		return;
	}
	n = strlen(text);
	body = realloc(text, n + 2);
	if (body == NULL) {
		free(text);
		fail(resp, mapi_status_internal(resp, "out of memory"));
		return;
	}
	body[n] = '\n';
	body[n + 1] = '\0';
	fail(resp, mapi_response_adopt_body(
	                   resp, 200,
	                   content_type ? content_type : "application/json",
	                   body, n + 1));
}

static const char *
accept_of(const struct mapi_call *call)
{
	return mapi_request_header(call->req, "Accept");
}

void
mapi_api_discovery_core(const struct mapi_call *call,
                        struct mapi_response *resp)
{
	const char *dv = mapi_discovery_negotiate(accept_of(call));
	cJSON *doc = NULL;
	enum mapi_err err;
	char addr[96];
	const char *url = mapi_server_url(call->server);
	const char *hostport = strstr(url, "://");

	if (!only_get(call, resp)) {
		return;
	}
	if (dv != NULL) {
		err = mapi_discovery_aggregated(true, dv, &doc);
		send_doc(resp, err, doc,
		         mapi_discovery_aggregated_content_type(dv));
		return;
	}
	(void)snprintf(addr, sizeof(addr), "%s",
	               hostport ? hostport + 3 : url);
	err = mapi_discovery_api_versions(addr, &doc);
	send_doc(resp, err, doc, NULL);
}

void
mapi_api_discovery_groups(const struct mapi_call *call,
                          struct mapi_response *resp)
{
	const char *dv = mapi_discovery_negotiate(accept_of(call));
	cJSON *doc = NULL;
	enum mapi_err err;

	if (!only_get(call, resp)) {
		return;
	}
	if (dv != NULL) {
		err = mapi_discovery_aggregated(false, dv, &doc);
		send_doc(resp, err, doc,
		         mapi_discovery_aggregated_content_type(dv));
		return;
	}
	err = mapi_discovery_group_list(&doc);
	send_doc(resp, err, doc, NULL);
}

void
mapi_api_discovery_group(const struct mapi_call *call,
                         struct mapi_response *resp)
{
	cJSON *doc = NULL;
	enum mapi_err err;

	if (!only_get(call, resp)) {
		return;
	}
	err = mapi_discovery_group(call->route->ref.group, &doc);
	send_doc(resp, err, doc, NULL);
}

void
mapi_api_discovery_group_version(const struct mapi_call *call,
                                 struct mapi_response *resp)
{
	cJSON *doc = NULL;
	enum mapi_err err;

	if (!only_get(call, resp)) {
		return;
	}
	err = mapi_discovery_resource_list(call->route->ref.group,
	                                   call->route->ref.version, &doc);
	send_doc(resp, err, doc, NULL);
}

void
mapi_api_openapi_v2(const struct mapi_call *call, struct mapi_response *resp)
{
	if (!only_get(call, resp)) {
		return;
	}
	/* No schemas: kubectl falls back to its compiled-in types. */
	fail(resp, mapi_response_set_body(resp, 200,
	                                  MAPI_OPENAPI_V2_CONTENT_TYPE, "", 0));
}

void
mapi_api_openapi_v3(const struct mapi_call *call, struct mapi_response *resp)
{
	const struct mapi_config *cfg = mapi_server_config(call->server);
	cJSON *doc = NULL;
	enum mapi_err err;

	if (!only_get(call, resp)) {
		return;
	}
	if (call->route->endpoint == MAPI_EP_OPENAPI_V3) {
		err = mapi_openapi_v3_index(cfg->kube_version, &doc);
	} else {
		err = mapi_openapi_v3_doc(call->route->rest, cfg->kube_version,
		                          &doc);
	}
	send_doc(resp, err, doc, NULL);
}

void
mapi_api_root(const struct mapi_call *call, struct mapi_response *resp)
{
	static const char *const extra[] = {
		"/.well-known/openid-configuration",
		"/api",
		"/api/v1",
		"/apis",
		"/apis/authentication.k8s.io",
		"/apis/authentication.k8s.io/v1",
		"/apis/authorization.k8s.io",
		"/apis/authorization.k8s.io/v1",
		"/apis/rbac.authorization.k8s.io",
		"/apis/rbac.authorization.k8s.io/v1",
		"/healthz",
		"/livez",
		"/mock/ui/",
		"/mock/v1",
		"/openapi/v2",
		"/openapi/v3",
		"/openid/v1/jwks",
		"/readyz",
		"/version",
	};
	cJSON *doc;
	cJSON *paths;
	size_t i;

	if (!only_get(call, resp)) {
		return;
	}
	doc = cJSON_CreateObject();
	paths = doc ? cJSON_AddArrayToObject(doc, "paths") : NULL;
	for (i = 0; paths != NULL && i < sizeof(extra) / sizeof(extra[0]);
	     i++) {
		cJSON *s = cJSON_CreateString(extra[i]);

		if (s == NULL || !cJSON_AddItemToArray(paths, s)) {
			cJSON_Delete(s);
			paths = NULL;
		}
	}
	send_doc(resp, paths ? MAPI_OK : MAPI_ENOMEM, doc, NULL);
	if (paths == NULL) {
		cJSON_Delete(doc);
	}
}
