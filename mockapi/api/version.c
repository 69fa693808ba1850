/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "server/config.h"
#include "server/http.h"
#include "server/router.h"
#include "server/server.h"
#include "server/status.h"

static bool
is_get(const struct mapi_request *req)
{
	return strcmp(req->method, "GET") == 0 ||
	       strcmp(req->method, "HEAD") == 0;
}

void
mapi_api_version(const struct mapi_call *call, struct mapi_response *resp)
{
	const struct mapi_config *cfg = mapi_server_config(call->server);
	struct mapi_strbuf sb = { 0 };
	char num[16];
	char *body;

	if (!is_get(call->req)) {
		if (mapi_status_method_not_allowed(resp) != MAPI_OK) {
			resp->code = 500;
		}
		return;
	}
	/*
	 * version.Info, in its field order, indented as WriteRawJSON's
	 * json.MarshalIndent(obj, "", "  ") (no trailing newline). gitCommit
	 * and buildDate are placeholders: this is not a real build.
	 */
	mapi_strbuf_puts(&sb, "{\n  \"major\": ");
	(void)snprintf(num, sizeof(num), "%u", cfg->kube_major);
	mapi_strbuf_json_string(&sb, num);
	mapi_strbuf_puts(&sb, ",\n  \"minor\": ");
	(void)snprintf(num, sizeof(num), "%u", cfg->kube_minor);
	mapi_strbuf_json_string(&sb, num);
	mapi_strbuf_puts(&sb, ",\n  \"gitVersion\": ");
	mapi_strbuf_json_string(&sb, cfg->kube_version);
	mapi_strbuf_puts(&sb, ",\n"
	                      "  \"gitCommit\": "
	                      "\"0000000000000000000000000000000000000000\",\n"
	                      "  \"gitTreeState\": \"clean\",\n"
	                      "  \"buildDate\": \"1970-01-01T00:00:00Z\",\n"
	                      "  \"goVersion\": \"go1.23.8\",\n"
	                      "  \"compiler\": \"gc\",\n"
	                      "  \"platform\": \"linux/amd64\"\n"
	                      "}");
	body = mapi_strbuf_take(&sb);
	if (body == NULL ||
	    mapi_response_adopt_body(resp, 200, "application/json", body,
	                             strlen(body)) != MAPI_OK) {
		resp->code = 500;
	}
}

/* The checks each endpoint lists, in kube-apiserver's order (a subset). */
static const char *const healthz_checks[] = { "ping", "log", "etcd" };
static const char *const readyz_checks[] = { "ping",          "log",
	                                     "etcd",          "etcd-readiness",
	                                     "informer-sync", "shutdown" };

void
mapi_api_health(const struct mapi_call *call, struct mapi_response *resp)
{
	const struct mapi_route *r = call->route;
	const char *const *checks = healthz_checks;
	size_t n = sizeof(healthz_checks) / sizeof(healthz_checks[0]);
	const char *what = "healthz";
	struct mapi_strbuf sb = { 0 };
	char *body;
	size_t i;
	bool found = false;

	if (!is_get(call->req)) {
		if (mapi_status_method_not_allowed(resp) != MAPI_OK) {
			resp->code = 500;
		}
		return;
	}
	if (r->endpoint == MAPI_EP_READYZ) {
		checks = readyz_checks;
		n = sizeof(readyz_checks) / sizeof(readyz_checks[0]);
		what = "readyz";
	} else if (r->endpoint == MAPI_EP_LIVEZ) {
		what = "livez";
	}
	if (r->rest[0] != '\0') {
		for (i = 0; i < n; i++) {
			if (strcmp(r->rest, checks[i]) == 0) {
				found = true;
			}
		}
		if (!found) {
			if (mapi_status_not_found_page(resp) != MAPI_OK) {
				resp->code = 500;
			}
			return;
		}
		mapi_strbuf_puts(&sb, "ok");
	} else if (mapi_request_query(call->req, "verbose") != NULL) {
		for (i = 0; i < n; i++) {
			mapi_strbuf_printf(&sb, "[+]%s ok\n", checks[i]);
		}
		mapi_strbuf_printf(&sb, "%s check passed\n", what);
	} else {
		mapi_strbuf_puts(&sb, "ok");
	}
	body = mapi_strbuf_take(&sb);
	if (body == NULL ||
	    mapi_response_adopt_body(resp, 200, "text/plain; charset=utf-8",
	                             body, strlen(body)) != MAPI_OK ||
	    mapi_response_add_header(resp, "X-Content-Type-Options",
	                             "nosniff") != MAPI_OK) {
		resp->code = 500;
	}
}
