/* SPDX-License-Identifier: MIT */
/*
 * GET /mock/ui/: the token timeline page. Three static files compiled in
 * from mockapi/ui/ (scripts/embed-file); the page fetches all its data
 * from /mock/v1 with the admin token the user put in the URL fragment, so
 * nothing served here is secret and authz lets anyone read it (see the
 * "mockapi:ui-viewer" policy in server.c).
 */
#include <stddef.h>
#include <string.h>

#include "api/api.h"
#include "server/http.h"
#include "server/router.h"
#include "server/status.h"

extern const char mapi_ui_index_html_data[];
extern const size_t mapi_ui_index_html_size;
extern const char mapi_ui_app_css_data[];
extern const size_t mapi_ui_app_css_size;
extern const char mapi_ui_app_js_data[];
extern const size_t mapi_ui_app_js_size;

/*
 * Only our own files, only scripts and styles from them, data from our
 * own origin, no framing, no forms, no <base>. No inline script or style.
 */
#define UI_CSP                                                        \
	"default-src 'none'; script-src 'self'; style-src 'self'; "   \
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; " \
	"form-action 'none'; frame-ancestors 'none'"

static const struct {
	const char *rest; /* route.rest: the path below /mock/ui/ */
	const char *content_type;
	const char *data;
	const size_t *size;
} ui_files[] = {
	{ "", "text/html; charset=utf-8", mapi_ui_index_html_data,
	  &mapi_ui_index_html_size },
	{ "index.html", "text/html; charset=utf-8", mapi_ui_index_html_data,
	  &mapi_ui_index_html_size },
	{ "app.css", "text/css; charset=utf-8", mapi_ui_app_css_data,
	  &mapi_ui_app_css_size },
	{ "app.js", "text/javascript; charset=utf-8", mapi_ui_app_js_data,
	  &mapi_ui_app_js_size },
};

static void
fail_500(struct mapi_response *resp)
{
	resp->code = 500;
}

static bool
ends_with_slash(const char *path)
{
	size_t n = strlen(path);

	return n > 0 && path[n - 1] == '/';
}

void
mapi_api_ui(const struct mapi_call *call, struct mapi_response *resp)
{
	const struct mapi_request *req = call->req;
	const char *rest = call->route->rest;
	size_t i;

	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0) {
		if (mapi_status_method_not_allowed(resp) != MAPI_OK) {
			fail_500(resp);
		}
		return;
	}
	if (rest[0] == '\0' && !ends_with_slash(req->path)) {
		/* /mock/ui → /mock/ui/ (the fragment survives a redirect). */
		static const char moved[] = "<a href=\"/mock/ui/\">Moved "
					    "Permanently</a>.\n";

		if (mapi_response_set_body(resp, 301,
		                           "text/html; charset=utf-8", moved,
		                           sizeof(moved) - 1) != MAPI_OK ||
		    mapi_response_add_header(resp, "Location", "/mock/ui/") !=
		            MAPI_OK) {
			fail_500(resp);
		}
		return;
	}
	for (i = 0; i < sizeof(ui_files) / sizeof(ui_files[0]); i++) {
		if (strcmp(ui_files[i].rest, rest) == 0) {
			break;
		}
	}
	if (i == sizeof(ui_files) / sizeof(ui_files[0])) {
		if (mapi_status_not_found_page(resp) != MAPI_OK) {
			fail_500(resp);
		}
		return;
	}
	if (mapi_response_set_body(resp, 200, ui_files[i].content_type,
	                           ui_files[i].data,
	                           *ui_files[i].size) != MAPI_OK ||
	    mapi_response_add_header(resp, "Content-Security-Policy", UI_CSP) !=
	            MAPI_OK ||
	    mapi_response_add_header(resp, "Cache-Control", "no-store") !=
	            MAPI_OK ||
	    mapi_response_add_header(resp, "X-Content-Type-Options",
	                             "nosniff") != MAPI_OK ||
	    mapi_response_add_header(resp, "Referrer-Policy", "no-referrer") !=
	            MAPI_OK) {
		fail_500(resp);
	}
}
