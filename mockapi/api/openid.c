/* SPDX-License-Identifier: MIT */
/*
 * OIDC discovery for ServiceAccount tokens (reference §5;
 * pkg/serviceaccount/openidmetadata.go, pkg/routes/openidmetadata.go):
 * compact JSON without a trailing newline, Cache-Control public, 1 h.
 * Served for any method, as upstream's plain mux handlers are (RBAC only
 * grants get). Not served (404 page) when the issuer is not an https URL
 * without query or fragment, as kube-apiserver then does not install them.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "auth/jose.h"
#include "auth/keys.h"
#include "auth/tokens.h"
#include "server/http.h"
#include "server/satokens.h"
#include "server/server.h"
#include "server/status.h"

#define CACHE_CONTROL "public, max-age=3600"

static void
or_500(struct mapi_response *resp, enum mapi_err rc)
{
	if (rc != MAPI_OK && resp->code == 0) {
		resp->code = 500;
	}
}

static bool
issuer_ok(const char *iss)
{
	return strncmp(iss, "https://", 8) == 0 && iss[8] != '\0' &&
	       strpbrk(iss, "?#") == NULL;
}

static void
send(struct mapi_response *resp, const char *type, char *body)
{
	enum mapi_err err;

	if (body == NULL) {
		or_500(resp, mapi_status_internal(resp, "out of memory"));
		return;
	}
	err = mapi_response_adopt_body(resp, 200, type, body, strlen(body));
	if (err == MAPI_OK) {
		err = mapi_response_add_header(resp, "Cache-Control",
		                               CACHE_CONTROL);
	}
	or_500(resp, err);
}

void
mapi_api_oidc_config(const struct mapi_call *call, struct mapi_response *resp)
{
	const char *iss = mapi_tokens_issuer(
		mapi_satokens_tokens(mapi_server_satokens(call->server)));
	struct mapi_strbuf sb = { 0 };
	unsigned mask = 0;
	bool first = true;

	if (!issuer_ok(iss)) {
		or_500(resp, mapi_status_not_found_page(resp));
		return;
	}
	if (mapi_keyset_algs(mapi_server_keyset(call->server), &mask) !=
	    MAPI_OK) {
		or_500(resp, mapi_status_internal(resp, "out of memory"));
		return;
	}
	mapi_strbuf_puts(&sb, "{\"issuer\":");
	mapi_strbuf_json_string(&sb, iss);
	mapi_strbuf_puts(&sb, ",\"jwks_uri\":");
	mapi_strbuf_printf(&sb, "\"%s/openid/v1/jwks\"",
	                   mapi_server_url(call->server));
	mapi_strbuf_puts(&sb, ",\"response_types_supported\":[\"id_token\"],"
	                      "\"subject_types_supported\":[\"public\"],"
	                      "\"id_token_signing_alg_values_supported\":[");
	/* Sorted: ES256 < RS256. */
	if ((mask & MAPI_JWS_ES256) != 0) {
		mapi_strbuf_puts(&sb, "\"ES256\"");
		first = false;
	}
	if ((mask & MAPI_JWS_RS256) != 0) {
		mapi_strbuf_puts(&sb, first ? "\"RS256\"" : ",\"RS256\"");
	}
	mapi_strbuf_puts(&sb, "]}");
	send(resp, "application/json", mapi_strbuf_take(&sb));
}

void
mapi_api_oidc_jwks(const struct mapi_call *call, struct mapi_response *resp)
{
	const char *iss = mapi_tokens_issuer(
		mapi_satokens_tokens(mapi_server_satokens(call->server)));
	char *jwks = NULL;

	if (!issuer_ok(iss)) {
		or_500(resp, mapi_status_not_found_page(resp));
		return;
	}
	if (mapi_keyset_jwks(mapi_server_keyset(call->server), &jwks) !=
	    MAPI_OK) {
		jwks = NULL;
	}
	send(resp, "application/jwk-set+json", jwks);
}
