/* SPDX-License-Identifier: MIT */
/*
 * admin: the harness controls under /mock/v1 (DESIGN.md §6), for the admin
 * identity (group system:masters) only; anyone else gets the
 * non-resource Forbidden kube-apiserver would give for the path. JSON in,
 * JSON out; errors as metav1.Status.
 *
 *   GET|PUT /mock/v1/clock            {"now","frozen","rate"}
 *   POST    /mock/v1/clock/advance    {"seconds":N} | {"by":"1h"}
 *   GET     /mock/v1/events?since=N[&wait=5s]
 *   GET     /mock/v1/requests?since=N[&wait=5s]
 *   GET|POST|DELETE /mock/v1/faults, DELETE /mock/v1/faults/<id>
 *   GET|POST /mock/v1/volumes, DELETE /mock/v1/volumes/<id>
 *   GET     /mock/v1/keys, POST /mock/v1/keys/rotate {"drop_old":true}
 *   POST    /mock/v1/reset
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/api.h"
#include "auth/authn.h"
#include "server/harness.h"
#include "server/http.h"
#include "server/json.h"
#include "server/router.h"
#include "server/server.h"
#include "server/status.h"
#include "sim/clock.h"
#include "sim/events.h"
#include "sim/faults.h"

#define JSON_TYPE "application/json"
/* Longest long poll, so a stuck client cannot hold a thread forever. */
#define MAX_WAIT_NS (INT64_C(60) * MAPI_NS_PER_SEC)

static void
fail(struct mapi_response *resp, enum mapi_err rc)
{
	if (rc != MAPI_OK && resp->code == 0) {
		resp->code = 500;
	}
}

/* Sends obj (taken over) as JSON plus a newline. */
static void
respond(struct mapi_response *resp, int code, cJSON *obj)
{
	char *text = obj != NULL ? mapi_json_print(obj) : NULL;
	char *body;
	size_t n;

	cJSON_Delete(obj);
	if (text == NULL) {
		fail(resp, mapi_status_internal(resp, "out of memory"));
		return;
	}
	n = strlen(text);
	body = malloc(n + 2);
	if (body == NULL) {
		cJSON_free(text);
		fail(resp, mapi_status_internal(resp, "out of memory"));
		return;
	}
	memcpy(body, text, n);
	body[n] = '\n';
	body[n + 1] = '\0';
	cJSON_free(text);
	fail(resp,
	     mapi_response_adopt_body(resp, code, JSON_TYPE, body, n + 1));
}

static void
bad_request(struct mapi_response *resp, const char *msg)
{
	fail(resp, mapi_status_bad_request(resp, msg));
}

static void
method_not_allowed(struct mapi_response *resp)
{
	fail(resp, mapi_status_method_not_allowed(resp));
}

/* The body as a JSON object; an empty body is {} when allow_empty. */
static cJSON *
body_object(const struct mapi_call *call, struct mapi_response *resp,
            bool allow_empty)
{
	struct mapi_diag d = { 0 };
	cJSON *obj = NULL;
	size_t i = 0;

	while (i < call->req->body_len &&
	       strchr(" \t\r\n", call->req->body[i]) != NULL) {
		i++;
	}
	if (i == call->req->body_len && allow_empty) {
		obj = cJSON_CreateObject();
		if (obj == NULL) {
			fail(resp, mapi_status_internal(resp, "out of memory"));
		}
		return obj;
	}
	if (mapi_json_parse(call->req->body, call->req->body_len, &obj, &d) !=
	    MAPI_OK) {
		char msg[sizeof(d.msg) + 16];

		(void)snprintf(msg, sizeof(msg), "request body: %s", d.msg);
		bad_request(resp, msg);
		return NULL;
	}
	if (!cJSON_IsObject(obj)) {
		cJSON_Delete(obj);
		bad_request(resp, "request body: must be a JSON object");
		return NULL;
	}
	return obj;
}

/* Rejects members not in the NULL-terminated list. */
static bool
only_members(const cJSON *obj, const char *const *allowed,
             struct mapi_response *resp)
{
	const cJSON *m;
	size_t i;

	cJSON_ArrayForEach(m, obj) {
		bool ok = false;

		for (i = 0; allowed[i] != NULL; i++) {
			ok = ok || strcmp(m->string, allowed[i]) == 0;
		}
		if (!ok) {
			char msg[200];

			(void)snprintf(msg, sizeof(msg),
			               "unknown field \"%.100s\"", m->string);
			bad_request(resp, msg);
			return false;
		}
	}
	return true;
}

/* ---- clock ---- */

static cJSON *
clock_json(struct mapi_clock *clock)
{
	struct mapi_clock_info info;
	char now[40];
	cJSON *o = cJSON_CreateObject();

	mapi_clock_info(clock, &info);
	if (o == NULL ||
	    !mapi_harness_format_time(info.now_ns, now, sizeof(now)) ||
	    !cJSON_AddStringToObject(o, "now", now) ||
	    !cJSON_AddBoolToObject(o, "frozen", info.frozen) ||
	    !cJSON_AddNumberToObject(o, "rate",
	                             (double)info.rate_milli / 1000.0)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static void
clock_put(const struct mapi_call *call, struct mapi_response *resp)
{
	static const char *const allowed[] = { "now", "frozen", "rate", NULL };
	struct mapi_clock *clock = mapi_server_clock(call->server);
	cJSON *body = body_object(call, resp, false);
	const cJSON *now;
	const cJSON *frozen;
	const cJSON *rate;
	int64_t t_ns = 0;
	int64_t milli = 0;

	if (body == NULL || !only_members(body, allowed, resp)) {
		cJSON_Delete(body);
		return;
	}
	now = cJSON_GetObjectItemCaseSensitive(body, "now");
	frozen = cJSON_GetObjectItemCaseSensitive(body, "frozen");
	rate = cJSON_GetObjectItemCaseSensitive(body, "rate");
	if (now != NULL &&
	    (!cJSON_IsString(now) ||
	     mapi_time_parse_rfc3339(now->valuestring, &t_ns) != MAPI_OK)) {
		bad_request(resp, "now: must be an RFC 3339 time such as "
		                  "2025-06-01T10:00:00Z");
		goto out;
	}
	if (frozen != NULL && !cJSON_IsBool(frozen)) {
		bad_request(resp, "frozen: must be true or false");
		goto out;
	}
	if (rate != NULL) {
		double r = cJSON_IsNumber(rate) ? rate->valuedouble : -1;

		milli = (int64_t)llround(r * 1000.0);
		if (!(r > 0) || milli < 1 || milli > INT64_C(1000000000)) {
			bad_request(resp, "rate: must be a number in "
			                  "[0.001, 1000000]");
			goto out;
		}
	}
	if (rate != NULL && mapi_clock_set_rate(clock, milli) != MAPI_OK) {
		bad_request(resp, "rate: out of range");
		goto out;
	}
	if (now != NULL) {
		mapi_clock_set_ns(clock, t_ns);
	}
	if (frozen != NULL) {
		if (cJSON_IsTrue(frozen)) {
			mapi_clock_freeze(clock);
		} else {
			mapi_clock_resume(clock);
		}
	}
	mapi_harness_run_due(mapi_server_harness(call->server));
	respond(resp, 200, clock_json(clock));
out:
	cJSON_Delete(body);
}

static void
clock_advance(const struct mapi_call *call, struct mapi_response *resp)
{
	static const char *const allowed[] = { "seconds", "by", NULL };
	cJSON *body = body_object(call, resp, false);
	const cJSON *sec;
	const cJSON *by;
	int64_t d = -1;

	if (body == NULL || !only_members(body, allowed, resp)) {
		cJSON_Delete(body);
		return;
	}
	sec = cJSON_GetObjectItemCaseSensitive(body, "seconds");
	by = cJSON_GetObjectItemCaseSensitive(body, "by");
	if ((sec == NULL) == (by == NULL)) {
		bad_request(resp, "give exactly one of \"seconds\" (a number) "
		                  "or \"by\" (a duration such as \"1h\")");
	} else if (sec != NULL) {
		if (cJSON_IsNumber(sec) && sec->valuedouble >= 0 &&
		    sec->valuedouble < 9.2e9) {
			d = (int64_t)llround(sec->valuedouble * 1e9);
		} else {
			bad_request(resp, "seconds: must be a number >= 0");
		}
	} else if (!cJSON_IsString(by) ||
	           mapi_duration_parse(by->valuestring, &d) != MAPI_OK ||
	           d < 0) {
		d = -1;
		bad_request(resp, "by: must be a duration >= 0 such as "
		                  "\"90s\", \"10m\" or \"1h30m\"");
	}
	if (d >= 0) {
		if (mapi_harness_advance(mapi_server_harness(call->server),
		                         d) != MAPI_OK) {
			bad_request(resp, "advance: the clock would overflow");
		} else {
			respond(resp, 200,
			        clock_json(mapi_server_clock(call->server)));
		}
	}
	cJSON_Delete(body);
}

static void
do_clock(const struct mapi_call *call, struct mapi_response *resp)
{
	const char *m = call->req->method;
	const struct mapi_ref *ref = &call->route->ref;

	if (strcmp(ref->name, "advance") == 0 && ref->subresource[0] == '\0') {
		if (strcmp(m, "POST") != 0) {
			method_not_allowed(resp);
			return;
		}
		clock_advance(call, resp);
		return;
	}
	if (ref->name[0] != '\0') {
		fail(resp, mapi_status_not_found_page(resp));
	} else if (strcmp(m, "GET") == 0) {
		respond(resp, 200, clock_json(mapi_server_clock(call->server)));
	} else if (strcmp(m, "PUT") == 0) {
		clock_put(call, resp);
	} else {
		method_not_allowed(resp);
	}
}

/* ---- events and requests ---- */

static void
do_journal(const struct mapi_call *call, struct mapi_response *resp,
           bool requests)
{
	struct mapi_events *ev = mapi_server_events(call->server);
	const char *since_s = mapi_request_query(call->req, "since");
	const char *wait_s = mapi_request_query(call->req, "wait");
	uint64_t since = 0;
	int64_t wait = 0;
	cJSON *out = NULL;
	char *end = NULL;
	enum mapi_err err;

	if (strcmp(call->req->method, "GET") != 0) {
		method_not_allowed(resp);
		return;
	}
	if (call->route->ref.name[0] != '\0') {
		fail(resp, mapi_status_not_found_page(resp));
		return;
	}
	if (since_s != NULL && since_s[0] != '\0') {
		since = strtoull(since_s, &end, 10);
		if (*end != '\0' || since_s[0] == '-') {
			bad_request(resp, "since: must be a sequence number");
			return;
		}
	}
	if (wait_s != NULL && wait_s[0] != '\0' &&
	    (mapi_duration_parse(wait_s, &wait) != MAPI_OK || wait < 0)) {
		bad_request(resp, "wait: must be a duration such as 5s");
		return;
	}
	if (wait > MAX_WAIT_NS) {
		wait = MAX_WAIT_NS;
	}
	if (wait > 0) {
		if (requests) {
			(void)mapi_events_requests_wait(ev, since, wait);
		} else {
			(void)mapi_events_wait(ev, since, wait);
		}
	}
	err = requests ? mapi_events_requests_since(ev, since, 0, &out)
	               : mapi_events_since(ev, since, 0, &out);
	if (err != MAPI_OK) {
		fail(resp, mapi_status_internal(resp, "out of memory"));
		return;
	}
	respond(resp, 200, out);
}

/* ---- faults ---- */

static bool
parse_id(const char *s, uint64_t *out)
{
	char *end = NULL;

	if (s[0] < '0' || s[0] > '9') {
		return false;
	}
	*out = strtoull(s, &end, 10);
	return *end == '\0';
}

static void
do_faults(const struct mapi_call *call, struct mapi_response *resp)
{
	struct mapi_faults *f =
		mapi_harness_faults(mapi_server_harness(call->server));
	const char *m = call->req->method;
	const char *name = call->route->ref.name;
	struct mapi_diag d = { 0 };
	cJSON *out = NULL;
	cJSON *body;
	uint64_t id = 0;
	enum mapi_err err;

	if (call->route->ref.subresource[0] != '\0') {
		fail(resp, mapi_status_not_found_page(resp));
		return;
	}
	if (name[0] != '\0') {
		if (strcmp(m, "DELETE") != 0) {
			method_not_allowed(resp);
		} else if (!parse_id(name, &id) ||
		           mapi_faults_delete(f, id) != MAPI_OK) {
			char msg[320];

			(void)snprintf(msg, sizeof(msg),
			               "fault rule \"%s\" not found", name);
			fail(resp, mapi_status_respond(resp, MAPI_ENOTFOUND,
			                               msg, NULL));
		} else {
			out = cJSON_CreateObject();
			if (out != NULL &&
			    !cJSON_AddNumberToObject(out, "deleted", 1)) {
				cJSON_Delete(out);
				out = NULL;
			}
			respond(resp, 200, out);
		}
		return;
	}
	if (strcmp(m, "GET") == 0) {
		err = mapi_faults_list_json(f, &out);
		if (err != MAPI_OK) {
			fail(resp, mapi_status_internal(resp, "out of memory"));
			return;
		}
		respond(resp, 200, out);
	} else if (strcmp(m, "POST") == 0) {
		body = body_object(call, resp, false);
		if (body == NULL) {
			return;
		}
		err = mapi_faults_add_json(f, body, &id, &d);
		cJSON_Delete(body);
		if (err != MAPI_OK) {
			fail(resp, mapi_status_from_diag(resp, err, &d));
			return;
		}
		out = cJSON_CreateObject();
		if (out != NULL &&
		    !cJSON_AddNumberToObject(out, "id", (double)id)) {
			cJSON_Delete(out);
			out = NULL;
		}
		respond(resp, 201, out);
	} else if (strcmp(m, "DELETE") == 0) {
		size_t n = mapi_faults_count(f);

		mapi_faults_clear(f);
		out = cJSON_CreateObject();
		if (out != NULL &&
		    !cJSON_AddNumberToObject(out, "deleted", (double)n)) {
			cJSON_Delete(out);
			out = NULL;
		}
		respond(resp, 200, out);
	} else {
		method_not_allowed(resp);
	}
}

/* ---- volumes ---- */

static void
volume_add(const struct mapi_call *call, struct mapi_response *resp)
{
	static const char *const allowed[] = { "dir", "pod", "audience",
		                               "expirationSeconds", NULL };
	cJSON *body = body_object(call, resp, false);
	struct mapi_diag d = { 0 };
	const cJSON *es;
	const char *aud;
	int64_t seconds = 0;
	uint64_t id = 0;
	cJSON *out;
	enum mapi_err err;

	if (body == NULL || !only_members(body, allowed, resp)) {
		cJSON_Delete(body);
		return;
	}
	es = cJSON_GetObjectItemCaseSensitive(body, "expirationSeconds");
	if (es != NULL &&
	    !mapi_json_get_int(body, "expirationSeconds", &seconds)) {
		bad_request(resp, "expirationSeconds: must be an integer");
		cJSON_Delete(body);
		return;
	}
	aud = mapi_json_get_string(body, "audience");
	err = mapi_harness_add_volume(
		mapi_server_harness(call->server),
		mapi_json_get_string(body, "dir"),
		mapi_json_get_string(body, "pod"),
		aud != NULL && aud[0] != '\0' ? aud : NULL, seconds, &id, &d);
	cJSON_Delete(body);
	if (err != MAPI_OK) {
		fail(resp, mapi_status_from_diag(resp, err, &d));
		return;
	}
	out = cJSON_CreateObject();
	if (out != NULL && !cJSON_AddNumberToObject(out, "id", (double)id)) {
		cJSON_Delete(out);
		out = NULL;
	}
	respond(resp, 201, out);
}

static void
do_volumes(const struct mapi_call *call, struct mapi_response *resp)
{
	struct mapi_harness *h = mapi_server_harness(call->server);
	const char *m = call->req->method;
	const char *name = call->route->ref.name;
	cJSON *out = NULL;
	uint64_t id = 0;

	if (call->route->ref.subresource[0] != '\0') {
		fail(resp, mapi_status_not_found_page(resp));
	} else if (name[0] != '\0') {
		if (strcmp(m, "DELETE") != 0) {
			method_not_allowed(resp);
		} else if (!parse_id(name, &id) ||
		           mapi_harness_remove_volume(h, id) != MAPI_OK) {
			char msg[320];

			(void)snprintf(msg, sizeof(msg),
			               "volume \"%s\" not found", name);
			fail(resp, mapi_status_respond(resp, MAPI_ENOTFOUND,
			                               msg, NULL));
		} else {
			out = cJSON_CreateObject();
			if (out != NULL &&
			    !cJSON_AddNumberToObject(out, "deleted", 1)) {
				cJSON_Delete(out);
				out = NULL;
			}
			respond(resp, 200, out);
		}
	} else if (strcmp(m, "GET") == 0) {
		if (mapi_harness_volumes_json(h, &out) != MAPI_OK) {
			fail(resp, mapi_status_internal(resp, "out of memory"));
			return;
		}
		respond(resp, 200, out);
	} else if (strcmp(m, "POST") == 0) {
		volume_add(call, resp);
	} else {
		method_not_allowed(resp);
	}
}

/* ---- keys and reset ---- */

static void
do_keys(const struct mapi_call *call, struct mapi_response *resp)
{
	static const char *const allowed[] = { "drop_old", "dropOld", NULL };
	struct mapi_harness *h = mapi_server_harness(call->server);
	const char *m = call->req->method;
	const struct mapi_ref *ref = &call->route->ref;
	struct mapi_diag d = { 0 };
	cJSON *out = NULL;
	cJSON *body;
	bool drop;
	enum mapi_err err;

	if (ref->name[0] == '\0') {
		if (strcmp(m, "GET") != 0) {
			method_not_allowed(resp);
		} else if (mapi_harness_keys_json(h, &out) != MAPI_OK) {
			fail(resp, mapi_status_internal(resp, "out of memory"));
		} else {
			respond(resp, 200, out);
		}
		return;
	}
	if (strcmp(ref->name, "rotate") != 0 || ref->subresource[0] != '\0') {
		fail(resp, mapi_status_not_found_page(resp));
		return;
	}
	if (strcmp(m, "POST") != 0) {
		method_not_allowed(resp);
		return;
	}
	body = body_object(call, resp, true);
	if (body == NULL || !only_members(body, allowed, resp)) {
		cJSON_Delete(body);
		return;
	}
	drop = cJSON_IsTrue(
		       cJSON_GetObjectItemCaseSensitive(body, "drop_old")) ||
	       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "dropOld"));
	cJSON_Delete(body);
	err = mapi_harness_rotate_keys(h, drop, &out, &d);
	if (err != MAPI_OK) {
		fail(resp, mapi_status_from_diag(resp, err, &d));
		return;
	}
	respond(resp, 200, out);
}

static void
do_reset(const struct mapi_call *call, struct mapi_response *resp)
{
	struct mapi_diag d = { 0 };
	cJSON *out;
	enum mapi_err err;

	if (call->route->ref.name[0] != '\0') {
		fail(resp, mapi_status_not_found_page(resp));
		return;
	}
	if (strcmp(call->req->method, "POST") != 0) {
		method_not_allowed(resp);
		return;
	}
	err = mapi_harness_reset(mapi_server_harness(call->server), &d);
	if (err != MAPI_OK) {
		fail(resp, mapi_status_from_diag(resp, err, &d));
		return;
	}
	out = cJSON_CreateObject();
	if (out != NULL && (!cJSON_AddBoolToObject(out, "reset", true) ||
	                    !cJSON_AddItemToObject(out, "clock",
	                                           clock_json(mapi_server_clock(
							   call->server))))) {
		cJSON_Delete(out);
		out = NULL;
	}
	respond(resp, 200, out);
}

void
mapi_api_admin(const struct mapi_call *call, struct mapi_response *resp)
{
	const char *what = call->route->ref.resource;

	if (!mapi_identity_has_group(call->id, "system:masters")) {
		struct mapi_forbidden f = {
			.user = call->id->username,
			.verb = call->route->verb_name,
			.resource_request = false,
			.path = call->req->path,
		};

		fail(resp, mapi_status_forbidden(resp, &f));
		return;
	}
	if (strcmp(what, "clock") == 0) {
		do_clock(call, resp);
	} else if (strcmp(what, "events") == 0) {
		do_journal(call, resp, false);
	} else if (strcmp(what, "requests") == 0) {
		do_journal(call, resp, true);
	} else if (strcmp(what, "faults") == 0) {
		do_faults(call, resp);
	} else if (strcmp(what, "volumes") == 0) {
		do_volumes(call, resp);
	} else if (strcmp(what, "keys") == 0) {
		do_keys(call, resp);
	} else if (strcmp(what, "reset") == 0) {
		do_reset(call, resp);
	} else {
		fail(resp, mapi_status_not_found_page(resp));
	}
}
