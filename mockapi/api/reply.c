/* SPDX-License-Identifier: MIT */
#include "api/reply.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "api/api.h"
#include "auth/authn.h"
#include "server/http.h"
#include "server/json.h"
#include "server/proto.h"
#include "server/status.h"

void
mapi_reply_oom(struct mapi_response *resp)
{
	if (mapi_status_internal(resp, "out of memory") != MAPI_OK) {
		resp->code = 500;
	}
}

static void
or_500(struct mapi_response *resp, enum mapi_err rc)
{
	if (rc != MAPI_OK && resp->code == 0) {
		resp->code = 500;
	}
}

bool
mapi_reply_decode(const struct mapi_call *call, struct mapi_response *resp,
                  const char *kind, cJSON **out)
{
	const struct mapi_request *req = call->req;
	const char *ct = mapi_request_header(req, "Content-Type");
	struct mapi_diag diag = { 0 };
	cJSON *obj = NULL;
	enum mapi_err err;

	if (mapi_proto_is_content_type(ct)) {
		err = mapi_proto_decode(req->body, req->body_len, &obj, &diag);
		if (err == MAPI_EMEDIATYPE) {
			or_500(resp, mapi_status_unsupported_media_type(resp));
			return false;
		}
		if (err != MAPI_OK) {
			or_500(resp, mapi_status_bad_request(resp, diag.msg));
			return false;
		}
		*out = obj;
		return true;
	}
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' ')) {
		or_500(resp, mapi_status_unsupported_media_type(resp));
		return false;
	}
	err = mapi_json_parse(req->body, req->body_len, &obj, &diag);
	if (err != MAPI_OK || !cJSON_IsObject(obj)) {
		cJSON_Delete(obj);
		or_500(resp,
		       mapi_status_bad_json(resp, kind,
		                            err != MAPI_OK ? diag.offset : 0,
		                            req->body, req->body_len));
		return false;
	}
	*out = obj;
	return true;
}

void
mapi_reply_json(struct mapi_response *resp, int code, const cJSON *obj)
{
	char *text = mapi_json_print(obj);
	char *body;
	size_t n;

	if (text == NULL) {
		mapi_reply_oom(resp);
		return;
	}
	n = strlen(text);
	body = realloc(text, n + 2);
	if (body == NULL) {
		free(text);
		mapi_reply_oom(resp);
		return;
	}
	body[n] = '\n';
	body[n + 1] = '\0';
	or_500(resp, mapi_response_adopt_body(resp, code, "application/json",
	                                      body, n + 1));
}

cJSON *
mapi_reply_user_info(const struct mapi_identity *id)
{
	cJSON *u = cJSON_CreateObject();
	cJSON *groups;
	cJSON *extra;
	size_t i;

	if (u == NULL) {
		return NULL;
	}
	if (id->username[0] != '\0' &&
	    cJSON_AddStringToObject(u, "username", id->username) == NULL) {
		goto fail;
	}
	if (id->uid[0] != '\0' &&
	    cJSON_AddStringToObject(u, "uid", id->uid) == NULL) {
		goto fail;
	}
	if (id->n_groups > 0) {
		groups = cJSON_AddArrayToObject(u, "groups");
		if (groups == NULL) {
			goto fail;
		}
		for (i = 0; i < id->n_groups; i++) {
			cJSON *g = cJSON_CreateString(id->groups[i]);

			if (g == NULL || !cJSON_AddItemToArray(groups, g)) {
				cJSON_Delete(g);
				goto fail;
			}
		}
	}
	if (id->n_extra > 0) {
		extra = cJSON_AddObjectToObject(u, "extra");
		if (extra == NULL) {
			goto fail;
		}
		for (i = 0; i < id->n_extra; i++) {
			const char *v = id->extra[i].value;
			cJSON *a = cJSON_CreateStringArray(&v, 1);

			if (a == NULL || !cJSON_AddItemToObject(
						 extra, id->extra[i].key, a)) {
				cJSON_Delete(a);
				goto fail;
			}
		}
	}
	return u;
fail:
	cJSON_Delete(u);
	return NULL;
}
