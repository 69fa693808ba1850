/* SPDX-License-Identifier: MIT */
#include "status.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "util.h"

/* apimachinery's NewGenericServerResponse texts and reasons. */
static void
generic(long code, struct sac_status *out)
{
	const char *reason = "";
	const char *msg = "an error on the server has prevented the request "
	                  "from succeeding";

	switch (code) {
	case 400:
		reason = "BadRequest";
		msg = "the server rejected our request for an unknown reason";
		break;
	case 401:
		reason = "Unauthorized";
		msg = "the server has asked for the client to provide "
		      "credentials";
		break;
	case 403:
		reason = "Forbidden";
		msg = "the server does not allow access to the requested "
		      "resource";
		break;
	case 404:
		reason = "NotFound";
		msg = "the server could not find the requested resource";
		break;
	case 405:
		reason = "MethodNotAllowed";
		msg = "the server does not allow this method on the requested "
		      "resource";
		break;
	case 409:
		reason = "Conflict";
		msg = "the server reported a conflict";
		break;
	case 415:
		reason = "UnsupportedMediaType";
		msg = "the server responded with the status code 415 but did "
		      "not return more information";
		break;
	case 422:
		reason = "Invalid";
		msg = "the server rejected our request due to an error in our "
		      "request";
		break;
	case 429:
		reason = "TooManyRequests";
		msg = "the server has received too many requests and has asked "
		      "us to try again later";
		break;
	case 500:
		reason = "InternalError";
		break;
	case 503:
		reason = "ServiceUnavailable";
		msg = "the server is currently unable to handle the request";
		break;
	case 504:
		reason = "Timeout";
		msg = "the server was unable to return a response in the time "
		      "allotted, but may still be processing the request";
		break;
	default:
		break;
	}
	(void)snprintf(out->reason, sizeof(out->reason), "%s", reason);
	(void)snprintf(out->message, sizeof(out->message), "%s", msg);
}

void
sac_status_parse(const char *body, size_t len, long http_status,
                 struct sac_status *out)
{
	cJSON *j = NULL;
	const char *kind;
	const char *msg;
	const char *reason;
	int64_t code;

	memset(out, 0, sizeof(*out));
	out->code = http_status;
	generic(http_status, out);
	if (body == NULL || len == 0 ||
	    sac_json_parse(body, len, &j, NULL) != SAC_OK) {
		return;
	}
	kind = sac_json_str(j, "kind");
	if (kind == NULL || strcmp(kind, "Status") != 0) {
		cJSON_Delete(j);
		return;
	}
	msg = sac_json_str(j, "message");
	reason = sac_json_str(j, "reason");
	if (msg != NULL && *msg != '\0') {
		(void)snprintf(out->message, sizeof(out->message), "%s", msg);
	}
	if (reason != NULL && *reason != '\0') {
		(void)snprintf(out->reason, sizeof(out->reason), "%s", reason);
	}
	if (sac_json_int(j, "code", &code) && code > 0) {
		out->code = (long)code;
	}
	cJSON_Delete(j);
}

enum sac_err
sac_status_to_err(const struct sac_http_response *resp, const char *what,
                  struct sac_diag *diag)
{
	struct sac_status st;
	enum sac_err err;

	if (resp->status >= 200 && resp->status < 300) {
		return SAC_OK;
	}
	sac_status_parse(resp->body, resp->body_len, resp->status, &st);
	switch (resp->status) {
	case 401:
		err = SAC_EAUTH;
		break;
	case 403:
		err = SAC_EFORBIDDEN;
		break;
	case 404:
		err = SAC_ENOTFOUND;
		break;
	default:
		err = SAC_EHTTP;
		break;
	}
	if (diag == NULL) {
		return err;
	}
	diag->status = st;
	if (what != NULL) {
		sac_diag_set(diag, "failed to %s: %s", what, st.message);
	} else if (err == SAC_EAUTH) {
		sac_diag_set(diag, "You must be logged in to the server (%s)",
		             st.message);
	} else if (st.reason[0] != '\0') {
		sac_diag_set(diag, "Error from server (%s): %s", st.reason,
		             st.message);
	} else {
		sac_diag_set(diag, "Error from server (%ld): %s", resp->status,
		             st.message);
	}
	return err;
}
