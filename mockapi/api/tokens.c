/* SPDX-License-Identifier: MIT */
/*
 * TokenRequest, TokenReview, SelfSubjectReview and legacy Secret tokens,
 * as kube-apiserver 1.32 serves them (pkg/registry/core/serviceaccount/
 * storage/token.go, pkg/registry/authentication/{tokenreview,
 * selfsubjectreview}; reference §2, §3, §4.1, §1.3).
 */
#include "api/tokens.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/api.h"
#include "api/reply.h"
#include "api/resources.h"
#include "auth/authn.h"
#include "auth/tokens.h"
#include "server/http.h"
#include "server/json.h"
#include "server/router.h"
#include "server/satokens.h"
#include "server/server.h"
#include "server/status.h"
#include "sim/clock.h"
#include "sim/events.h"
#include "state/store.h"

#define AUTHN_GROUP "authentication.k8s.io"
#define AUTHN_AV    "authentication.k8s.io/v1"

static void
or_500(struct mapi_response *resp, enum mapi_err rc)
{
	if (rc != MAPI_OK && resp->code == 0) {
		resp->code = 500;
	}
}

/*
 * Collects a JSON array of strings into v (borrowed pointers). False when
 * it is not an array of strings or holds more than max.
 */
static bool
string_list(const cJSON *arr, const char **v, size_t max, size_t *out_n)
{
	const cJSON *it;
	size_t n = 0;

	*out_n = 0;
	if (arr == NULL || cJSON_IsNull(arr)) {
		return true;
	}
	if (!cJSON_IsArray(arr)) {
		return false;
	}
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsString(it) || n >= max) {
			return false;
		}
		v[n++] = it->valuestring;
	}
	*out_n = n;
	return true;
}

static cJSON *
string_array(const char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; a != NULL && i < n; i++) {
		cJSON *s = cJSON_CreateString(v[i]);

		if (s == NULL || !cJSON_AddItemToArray(a, s)) {
			cJSON_Delete(s);
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

static bool
add_time(cJSON *obj, const char *key, int64_t t)
{
	char buf[40];

	return mapi_time_format_rfc3339(t, buf, sizeof(buf)) &&
	       cJSON_AddStringToObject(obj, key, buf) != NULL;
}

/* ------------------------------------------------------ TokenRequest */

/* The 422 of a lifetime error, its cause rebuilt from tokens' message. */
static void
invalid_lifetime(struct mapi_response *resp, const struct mapi_diag *diag)
{
	static const char marker[] = "Invalid value: ";
	const char *p = strstr(diag->msg, marker);
	const char *colon;
	char value[32];
	struct mapi_field_error fe = { .type = MAPI_FIELD_INVALID,
		                       .field = diag->field };

	if (p == NULL ||
	    (colon = strstr(p + sizeof(marker) - 1, ": ")) == NULL) {
		or_500(resp, mapi_status_respond(resp, MAPI_EINVALID, diag->msg,
		                                 NULL));
		return;
	}
	p += sizeof(marker) - 1;
	(void)snprintf(value, sizeof(value), "%.*s", (int)(colon - p), p);
	fe.bad_value = value;
	fe.detail = colon + 2;
	or_500(resp, mapi_status_invalid(resp, AUTHN_GROUP, "TokenRequest", "",
	                                 &fe, 1));
}

/* 422 when metadata.<what> of the body differs from the URL. */
static bool
check_meta(struct mapi_response *resp, const cJSON *body, const char *what,
           const char *want, const char *url_name)
{
	char field[32];
	char detail[64];
	const char *v = mapi_json_get_string(
		mapi_json_get_object(body, "metadata"), what);
	struct mapi_field_error fe = { .type = MAPI_FIELD_INVALID,
		                       .value_is_string = true };

	if (v == NULL || *v == '\0' || strcmp(v, want) == 0) {
		return true;
	}
	(void)snprintf(field, sizeof(field), "metadata.%s", what);
	(void)snprintf(detail, sizeof(detail),
	               "must match the service account %s if specified", what);
	fe.field = field;
	fe.bad_value = v;
	fe.detail = detail;
	or_500(resp, mapi_status_invalid(resp, AUTHN_GROUP, "TokenRequest",
	                                 url_name, &fe, 1));
	return false;
}

/* The bind errors of §2.5 with their Status shapes. */
static void
bind_error(struct mapi_response *resp, enum mapi_err err,
           const struct mapi_diag *diag, const char *kind, const char *name)
{
	struct mapi_status_details d = { .name = name };

	switch (err) {
	case MAPI_EINVAL:
		or_500(resp, mapi_status_bad_request(resp, diag->msg));
		return;
	case MAPI_ENOTFOUND:
		d.kind = strcmp(kind, "Pod") == 0    ? "pods"
		         : strcmp(kind, "Node") == 0 ? "nodes"
		                                     : "secrets";
		or_500(resp, mapi_status_respond(resp, err, diag->msg, &d));
		return;
	case MAPI_ECONFLICT:
		d.kind = diag->field;
		or_500(resp, mapi_status_respond(resp, err, diag->msg, &d));
		return;
	default:
		or_500(resp, mapi_status_internal(resp, mapi_err_name(err)));
		return;
	}
}

/* boundObjectRef as echoed: kind, apiVersion, name, uid (omitempty). */
static cJSON *
echo_ref(const struct mapi_tokens_bound_ref *r)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL ||
	    (r->kind != NULL &&
	     cJSON_AddStringToObject(o, "kind", r->kind) == NULL) ||
	    (r->api_version != NULL &&
	     cJSON_AddStringToObject(o, "apiVersion", r->api_version) ==
	             NULL) ||
	    (r->name != NULL &&
	     cJSON_AddStringToObject(o, "name", r->name) == NULL) ||
	    (r->uid != NULL && *r->uid != '\0' &&
	     cJSON_AddStringToObject(o, "uid", r->uid) == NULL)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
token_response(const char *ns, const char *name,
               const struct mapi_tokens_issued *is,
               const struct mapi_tokens_bound_ref *ref)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *meta;
	cJSON *spec;
	cJSON *status;
	cJSON *auds;
	cJSON *r;

	if (o == NULL ||
	    cJSON_AddStringToObject(o, "kind", "TokenRequest") == NULL ||
	    cJSON_AddStringToObject(o, "apiVersion", AUTHN_AV) == NULL ||
	    (meta = cJSON_AddObjectToObject(o, "metadata")) == NULL ||
	    cJSON_AddStringToObject(meta, "name", name) == NULL ||
	    cJSON_AddStringToObject(meta, "namespace", ns) == NULL ||
	    !add_time(meta, "creationTimestamp", is->creation_timestamp) ||
	    (spec = cJSON_AddObjectToObject(o, "spec")) == NULL) {
		goto fail;
	}
	auds = string_array((const char *const *)is->audiences,
	                    is->n_audiences);
	if (auds == NULL || !cJSON_AddItemToObject(spec, "audiences", auds)) {
		cJSON_Delete(auds);
		goto fail;
	}
	if (cJSON_AddNumberToObject(spec, "expirationSeconds",
	                            (double)is->expiration_seconds) == NULL) {
		goto fail;
	}
	if (ref == NULL) {
		if (cJSON_AddNullToObject(spec, "boundObjectRef") == NULL) {
			goto fail;
		}
	} else {
		r = echo_ref(ref);
		if (r == NULL ||
		    !cJSON_AddItemToObject(spec, "boundObjectRef", r)) {
			cJSON_Delete(r);
			goto fail;
		}
	}
	if ((status = cJSON_AddObjectToObject(o, "status")) == NULL ||
	    cJSON_AddStringToObject(status, "token", is->token) == NULL ||
	    !add_time(status, "expirationTimestamp",
	              is->expiration_timestamp)) {
		goto fail;
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

/*
 * The "issued" event of a TokenRequest: the JWT's claims (exp is the JWT
 * exp, a year for an extended token; warnafter separately), the bound
 * object (a pod in `pod`, a Secret or Node named in `reason`), the kid.
 */
static void
issued_event(const struct mapi_call *call, const char *ns, const char *sa,
             const struct mapi_tokens_issued *is,
             const struct mapi_tokens_bound_ref *bref, bool bound)
{
	/* Larger than the event fields (which truncate): no -Wformat-trunc. */
	char sub[600];
	char pod[600];
	char reason[600] = "TokenRequest";
	struct mapi_event_input ev = {
		.type = MAPI_EVENT_ISSUED,
		.jti = is->jti,
		.token = is->token,
		.sub = sub,
		.audiences = (const char *const *)is->audiences,
		.n_audiences = is->n_audiences,
		.iat = is->iat,
		.exp = is->exp,
		.warnafter = is->warnafter,
		.kid = is->kid,
		.reason = reason,
	};
	const char *kind = bound && bref->kind != NULL ? bref->kind : "";
	const char *name = bound && bref->name != NULL ? bref->name : "";

	(void)snprintf(sub, sizeof(sub), "system:serviceaccount:%s:%s", ns, sa);
	if (strcmp(kind, "Pod") == 0) {
		(void)snprintf(pod, sizeof(pod), "%s/%s", ns, name);
		ev.pod = pod;
	} else if (strcmp(kind, "Secret") == 0) {
		(void)snprintf(reason, sizeof(reason),
		               "TokenRequest bound to Secret %s/%s", ns, name);
	} else if (strcmp(kind, "Node") == 0) {
		(void)snprintf(reason, sizeof(reason),
		               "TokenRequest bound to Node %s", name);
	}
	(void)mapi_events_add(mapi_server_events(call->server), &ev);
}

/*
 * spec.expirationSeconds must decode into Go's *int64: null, or a JSON
 * integer in range. Anything else is the decoder's 400, worded as
 * sigs.k8s.io/json words it ("cannot unmarshal string ...", "number 1.5").
 */
static bool
expiration_type_ok(struct mapi_response *resp, const cJSON *spec)
{
	const cJSON *v =
		cJSON_GetObjectItemCaseSensitive(spec, "expirationSeconds");
	char what[64];
	char msg[256];
	int64_t i;
	int prec;

	if (v == NULL || cJSON_IsNull(v) ||
	    mapi_json_get_int(spec, "expirationSeconds", &i)) {
		return true;
	}
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		/* the shortest %g that reads back as the same double */
		for (prec = 1; prec <= 17; prec++) {
			(void)snprintf(what, sizeof(what), "number %.*g", prec,
			               d);
			if (strtod(what + 7, NULL) == d) {
				break;
			}
		}
		/* beyond 2^53 every double is integral: Go echoes the digits */
		if ((d >= 9007199254740992.0 && d < 1e21) ||
		    (d <= -9007199254740992.0 && d > -1e21)) {
			(void)snprintf(what, sizeof(what), "number %.0f", d);
		}
	} else {
		(void)snprintf(what, sizeof(what), "%s",
		               cJSON_IsString(v)  ? "string"
		               : cJSON_IsBool(v)  ? "bool"
		               : cJSON_IsArray(v) ? "array"
		                                  : "object");
	}
	(void)snprintf(msg, sizeof(msg),
	               "TokenRequest in version \"v1\" cannot be handled as a "
	               "TokenRequest: json: cannot unmarshal %s into Go struct "
	               "field TokenRequestSpec.spec.expirationSeconds of type "
	               "int64",
	               what);
	or_500(resp, mapi_status_bad_request(resp, msg));
	return false;
}

static enum mapi_tokens_bound
bound_kind(const char *kind)
{
	if (kind == NULL) {
		return MAPI_TOKENS_BOUND_NONE;
	}
	return strcmp(kind, "Pod") == 0      ? MAPI_TOKENS_BOUND_POD
	       : strcmp(kind, "Node") == 0   ? MAPI_TOKENS_BOUND_NODE
	       : strcmp(kind, "Secret") == 0 ? MAPI_TOKENS_BOUND_SECRET
	                                     : MAPI_TOKENS_BOUND_NONE;
}

static void
token_request(const struct mapi_call *call, struct mapi_response *resp)
{
	const struct mapi_ref *ref = &call->route->ref;
	const struct mapi_tokens *t =
		mapi_satokens_tokens(mapi_server_satokens(call->server));
	struct mapi_store *store = mapi_server_store(call->server);
	struct mapi_store_ref sr = { .group = "",
		                     .resource = "serviceaccounts",
		                     .ns = ref->ns,
		                     .name = ref->name };
	const char *auds[MAPI_TOKENS_MAX_AUDIENCES];
	struct mapi_tokens_bound_ref bref = { 0 };
	struct mapi_tokens_binding binding = { 0 };
	struct mapi_tokens_lifetime_in lin = { 0 };
	struct mapi_tokens_lifetime lt;
	struct mapi_tokens_request treq = { 0 };
	struct mapi_tokens_issued issued = { 0 };
	struct mapi_diag diag = { 0 };
	const cJSON *spec;
	const cJSON *bor;
	cJSON *body = NULL;
	cJSON *sa = NULL;
	cJSON *out = NULL;
	size_t n_auds = 0;
	int64_t exp;
	enum mapi_err err;

	if (!mapi_reply_decode(call, resp, "TokenRequest", &body)) {
		return;
	}
	if (!check_meta(resp, body, "name", ref->name, ref->name) ||
	    !check_meta(resp, body, "namespace", ref->ns, ref->name)) {
		goto out;
	}
	err = mapi_store_get(store, &sr, &sa, &diag);
	if (err != MAPI_OK) {
		or_500(resp, err == MAPI_ENOTFOUND
		                     ? mapi_status_not_found(resp, "",
		                                             "serviceaccounts",
		                                             ref->name)
		                     : mapi_status_from_diag(resp, err, &diag));
		goto out;
	}
	spec = mapi_json_get_object(body, "spec");
	if (!string_list(cJSON_GetObjectItemCaseSensitive(spec, "audiences"),
	                 auds, MAPI_TOKENS_MAX_AUDIENCES, &n_auds)) {
		or_500(resp,
		       mapi_status_bad_request(
			       resp, "spec.audiences: must be a list of at "
				     "most 64 strings"));
		goto out;
	}
	if (!expiration_type_ok(resp, spec)) {
		goto out;
	}
	lin.has_expiration = mapi_json_get_int(spec, "expirationSeconds", &exp);
	lin.expiration_seconds = lin.has_expiration ? exp : 0;
	lin.audiences = auds;
	lin.n_audiences = n_auds;
	bor = mapi_json_get_object(spec, "boundObjectRef");
	if (bor != NULL) {
		bref.kind = mapi_json_get_string(bor, "kind");
		bref.api_version = mapi_json_get_string(bor, "apiVersion");
		bref.name = mapi_json_get_string(bor, "name");
		bref.uid = mapi_json_get_string(bor, "uid");
		lin.bound = bound_kind(bref.kind);
	}
	err = mapi_tokens_lifetime(t, &lin, &lt, &diag);
	if (err == MAPI_EINVALID) {
		invalid_lifetime(resp, &diag);
		goto out;
	}
	if (err != MAPI_OK) {
		or_500(resp, mapi_status_internal(resp, mapi_err_name(err)));
		goto out;
	}
	if (bor != NULL) {
		err = mapi_tokens_bind(t, ref->ns, ref->name, &bref, &binding,
		                       &diag);
		if (err != MAPI_OK) {
			bind_error(resp, err, &diag,
			           bref.kind != NULL ? bref.kind : "",
			           bref.name != NULL ? bref.name : "");
			goto out;
		}
	}
	treq.ns = ref->ns;
	treq.sa.name = ref->name;
	treq.sa.uid = mapi_json_get_path_string(sa, "metadata.uid");
	treq.bound = binding.bound;
	treq.object.name = bref.name;
	treq.object.uid = binding.uid;
	treq.node.name = binding.node_name;
	treq.node.uid = binding.node_uid;
	treq.has_expiration = lin.has_expiration;
	treq.expiration_seconds = lin.expiration_seconds;
	treq.audiences = auds;
	treq.n_audiences = n_auds;
	err = mapi_tokens_issue(
		t, &treq, mapi_clock_now_ns(mapi_server_clock(call->server)),
		&issued, &diag);
	if (err != MAPI_OK) {
		or_500(resp, mapi_status_internal(
				     resp, diag.msg[0] ? diag.msg
						       : "failed to generate "
							 "token"));
		goto out;
	}
	out = token_response(ref->ns, ref->name, &issued,
	                     bor != NULL ? &bref : NULL);
	if (out == NULL) {
		mapi_reply_oom(resp);
		goto out;
	}
	mapi_reply_json(resp, 201, out);
	issued_event(call, ref->ns, ref->name, &issued, &bref, bor != NULL);
	if (issued.warning[0] != '\0') {
		char w[200];

		(void)snprintf(w, sizeof(w), "299 - \"%s\"", issued.warning);
		or_500(resp, mapi_response_add_header(resp, "Warning", w));
	}
out:
	mapi_tokens_issued_clear(&issued);
	mapi_tokens_binding_clear(&binding);
	cJSON_Delete(out);
	cJSON_Delete(sa);
	cJSON_Delete(body);
}

void
mapi_api_serviceaccounts(const struct mapi_call *call,
                         struct mapi_response *resp)
{
	const struct mapi_route *r = call->route;

	if (strcmp(r->ref.subresource, "token") != 0) {
		mapi_api_resources(call, resp);
		return;
	}
	if (strcmp(r->ref.version, "v1") != 0 || r->ref.ns[0] == '\0') {
		or_500(resp, mapi_status_not_found_page(resp));
		return;
	}
	if (r->verb != MAPI_VERB_CREATE) {
		or_500(resp, mapi_status_method_not_allowed(resp));
		return;
	}
	token_request(call, resp);
}

/* ------------------------------------------------------ TokenReview */

/* The static token authenticator, audience-agnostic (reference §3.3). */
static enum mapi_err
review_admin(const struct mapi_tokens *t, const char *const *auds,
             size_t n_auds, struct mapi_satokens_review *out)
{
	size_t n_api = 0;
	const char *const *api = mapi_tokens_api_audiences(t, &n_api);
	const char *const *target = n_auds > 0 ? auds : api;
	size_t n_target = n_auds > 0 ? n_auds : n_api;
	struct mapi_satokens_review r = { 0 };
	size_t i;
	size_t j;

	r.audiences = calloc(n_target + 1, sizeof(*r.audiences));
	if (r.audiences == NULL) {
		return MAPI_ENOMEM;
	}
	for (i = 0; i < n_target; i++) {
		for (j = 0; j < n_api; j++) {
			if (strcmp(target[i], api[j]) == 0) {
				break;
			}
		}
		if (j == n_api) {
			continue;
		}
		r.audiences[r.n_audiences] = strdup(target[i]);
		if (r.audiences[r.n_audiences++] == NULL) {
			mapi_satokens_review_clear(&r);
			return MAPI_ENOMEM;
		}
	}
	if (r.n_audiences == 0) {
		mapi_satokens_review_clear(&r);
		r.error = strdup("invalid bearer token");
		if (r.error == NULL) {
			return MAPI_ENOMEM;
		}
	} else {
		r.authenticated = true;
		(void)snprintf(r.id.username, sizeof(r.id.username), "%s",
		               MAPI_ADMIN_USER);
		(void)mapi_identity_add_group(&r.id, "system:masters");
		(void)mapi_identity_add_group(&r.id, "system:authenticated");
	}
	*out = r;
	return MAPI_OK;
}

/*
 * The "reviewed" event of a TokenReview: reason "authenticated" or the
 * status.error; sub the user; the token's jti (the credential-id of an
 * accepted token, else its unverified claim), else its prefix. For the
 * admin token (not a ServiceAccount token) neither. An expired token
 * also gives "expiredTokenPresented".
 */
static void
reviewed_event(const struct mapi_call *call, const char *token, bool admin,
               const struct mapi_satokens_review *r)
{
	struct mapi_events *events = mapi_server_events(call->server);
	char jti[MAPI_EVENT_JTI_SIZE] = "";
	char kid[MAPI_EVENT_KID_SIZE] = "";
	char inner[MAPI_EVENT_REASON_SIZE];
	struct mapi_event_input ev = {
		.type = MAPI_EVENT_REVIEWED,
		.jti = jti,
		.kid = kid,
		.audiences = (const char *const *)r->audiences,
		.n_audiences = r->n_audiences,
		.reason = r->authenticated ? "authenticated" : r->error,
	};

	if (r->authenticated) {
		ev.sub = r->id.username;
	}
	if (!admin) {
		/* the review parsed the token once: its jti / kid */
		(void)snprintf(jti, sizeof(jti), "%s", r->jti);
		(void)snprintf(kid, sizeof(kid), "%s", r->kid);
		ev.token = jti[0] == '\0' ? mapi_satokens_event_token(token)
		                          : NULL;
	}
	(void)mapi_events_add(events, &ev);
	mapi_satokens_inner_reason(r->authenticated ? NULL : r->error, inner,
	                           sizeof(inner));
	if (strcmp(inner, "service account token has expired") == 0) {
		ev.type = MAPI_EVENT_EXPIRED_PRESENTED;
		ev.reason = inner;
		ev.audiences = NULL;
		ev.n_audiences = 0;
		(void)mapi_events_add(events, &ev);
	}
}

static cJSON *
review_response(const cJSON *spec_in, const struct mapi_satokens_review *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *meta;
	cJSON *spec;
	cJSON *status;
	cJSON *user;
	cJSON *a;
	const cJSON *sa =
		cJSON_GetObjectItemCaseSensitive(spec_in, "audiences");

	if (o == NULL ||
	    cJSON_AddStringToObject(o, "kind", "TokenReview") == NULL ||
	    cJSON_AddStringToObject(o, "apiVersion", AUTHN_AV) == NULL ||
	    (meta = cJSON_AddObjectToObject(o, "metadata")) == NULL ||
	    cJSON_AddNullToObject(meta, "creationTimestamp") == NULL ||
	    (spec = cJSON_AddObjectToObject(o, "spec")) == NULL ||
	    cJSON_AddStringToObject(spec, "token",
	                            mapi_json_get_string(spec_in, "token")) ==
	            NULL) {
		goto fail;
	}
	if (cJSON_GetArraySize(sa) > 0) {
		a = cJSON_Duplicate(sa, true);
		if (a == NULL || !cJSON_AddItemToObject(spec, "audiences", a)) {
			cJSON_Delete(a);
			goto fail;
		}
	}
	if ((status = cJSON_AddObjectToObject(o, "status")) == NULL ||
	    (r->authenticated &&
	     cJSON_AddTrueToObject(status, "authenticated") == NULL)) {
		goto fail;
	}
	user = r->authenticated ? mapi_reply_user_info(&r->id)
	                        : cJSON_CreateObject();
	if (user == NULL || !cJSON_AddItemToObject(status, "user", user)) {
		cJSON_Delete(user);
		goto fail;
	}
	if (r->n_audiences > 0) {
		a = string_array((const char *const *)r->audiences,
		                 r->n_audiences);
		if (a == NULL ||
		    !cJSON_AddItemToObject(status, "audiences", a)) {
			cJSON_Delete(a);
			goto fail;
		}
	}
	if (r->error != NULL && *r->error != '\0' &&
	    cJSON_AddStringToObject(status, "error", r->error) == NULL) {
		goto fail;
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

void
mapi_api_tokenreviews(const struct mapi_call *call, struct mapi_response *resp)
{
	const struct mapi_route *route = call->route;
	struct mapi_satokens *sat = mapi_server_satokens(call->server);
	const char *auds[MAPI_TOKENS_MAX_AUDIENCES];
	struct mapi_satokens_review r = { 0 };
	const cJSON *spec;
	const char *token;
	cJSON *body = NULL;
	cJSON *out = NULL;
	size_t n_auds = 0;
	bool admin;
	enum mapi_err err;

	if (strcmp(route->ref.version, "v1") != 0 ||
	    route->ref.name[0] != '\0') {
		or_500(resp, mapi_status_not_found_page(resp));
		return;
	}
	if (route->verb != MAPI_VERB_CREATE) {
		or_500(resp, mapi_status_method_not_allowed(resp));
		return;
	}
	if (route->ref.ns[0] != '\0') {
		char msg[128];

		(void)snprintf(msg, sizeof(msg),
		               "namespace is not allowed on this type: %s",
		               route->ref.ns);
		or_500(resp, mapi_status_bad_request(resp, msg));
		return;
	}
	if (!mapi_reply_decode(call, resp, "TokenReview", &body)) {
		return;
	}
	spec = mapi_json_get_object(body, "spec");
	token = mapi_json_get_string(spec, "token");
	if (token == NULL || *token == '\0') {
		or_500(resp,
		       mapi_status_bad_request(
			       resp, "token is required for TokenReview in "
				     "authentication"));
		goto out;
	}
	if (!string_list(cJSON_GetObjectItemCaseSensitive(spec, "audiences"),
	                 auds, MAPI_TOKENS_MAX_AUDIENCES, &n_auds)) {
		or_500(resp,
		       mapi_status_bad_request(
			       resp, "spec.audiences: must be a list of at "
				     "most 64 strings"));
		goto out;
	}
	admin = mapi_authn_is_admin_token(mapi_server_authn(call->server),
	                                  token);
	if (admin) {
		err = review_admin(mapi_satokens_tokens(sat), auds, n_auds, &r);
	} else {
		err = mapi_satokens_review(sat, token, strlen(token), auds,
		                           n_auds, &r);
	}
	if (err != MAPI_OK) {
		or_500(resp, mapi_status_internal(resp, mapi_err_name(err)));
		goto out;
	}
	out = review_response(spec, &r);
	if (out == NULL) {
		mapi_reply_oom(resp);
		goto out;
	}
	mapi_reply_json(resp, 201, out);
	reviewed_event(call, token, admin, &r);
out:
	mapi_satokens_review_clear(&r);
	cJSON_Delete(out);
	cJSON_Delete(body);
}

/* ------------------------------------------------ SelfSubjectReview */

void
mapi_api_selfsubjectreviews(const struct mapi_call *call,
                            struct mapi_response *resp)
{
	const struct mapi_route *route = call->route;
	cJSON *o = NULL;
	cJSON *meta;
	cJSON *status;
	cJSON *user;
	/* v1beta1 is what kubectl 1.27 asks for (GA v1 came in 1.28; it
	 * falls back to v1alpha1 only on a 404, which it then reports). */
	bool beta = strcmp(route->ref.version, "v1beta1") == 0;

	if ((!beta && strcmp(route->ref.version, "v1") != 0) ||
	    route->ref.name[0] != '\0' || route->ref.ns[0] != '\0') {
		or_500(resp, mapi_status_not_found_page(resp));
		return;
	}
	if (route->verb != MAPI_VERB_CREATE) {
		or_500(resp, mapi_status_method_not_allowed(resp));
		return;
	}
	/* The body is irrelevant (reference §4.1): not even decoded. */
	o = cJSON_CreateObject();
	if (o == NULL ||
	    cJSON_AddStringToObject(o, "kind", "SelfSubjectReview") == NULL ||
	    cJSON_AddStringToObject(o, "apiVersion",
	                            beta ? AUTHN_AV "beta1" : AUTHN_AV) ==
	            NULL ||
	    (meta = cJSON_AddObjectToObject(o, "metadata")) == NULL ||
	    !add_time(meta, "creationTimestamp",
	              mapi_clock_now(mapi_server_clock(call->server))) ||
	    (status = cJSON_AddObjectToObject(o, "status")) == NULL ||
	    (user = mapi_reply_user_info(call->id)) == NULL) {
		cJSON_Delete(o);
		mapi_reply_oom(resp);
		return;
	}
	if (!cJSON_AddItemToObject(status, "userInfo", user)) {
		cJSON_Delete(user);
		cJSON_Delete(o);
		mapi_reply_oom(resp);
		return;
	}
	mapi_reply_json(resp, 201, o);
	cJSON_Delete(o);
}

/* --------------------------------------------- legacy Secret tokens */

static bool
set_b64(cJSON *data, const char *key, const char *value)
{
	return data != NULL && mapi_resources_set_b64(data, key, value);
}

/* The "issued" event of a legacy Secret token (no jti, iat or exp). */
static void
legacy_event(const struct mapi_call *call, const char *ns, const char *sa,
             const char *secret, const char *token)
{
	char sub[600];
	char jti[MAPI_EVENT_JTI_SIZE];
	char kid[MAPI_EVENT_KID_SIZE];
	char reason[600];
	struct mapi_event_input ev = {
		.type = MAPI_EVENT_ISSUED,
		.token = token,
		.sub = sub,
		.kid = kid,
		.reason = reason,
	};

	mapi_satokens_peek(token, strlen(token), jti, sizeof(jti), kid,
	                   sizeof(kid));
	(void)snprintf(sub, sizeof(sub), "system:serviceaccount:%s:%s", ns, sa);
	(void)snprintf(reason, sizeof(reason), "legacy token in Secret %s/%s",
	               ns, secret);
	(void)mapi_events_add(mapi_server_events(call->server), &ev);
}

bool
mapi_api_secret_fill_token(const struct mapi_call *call,
                           struct mapi_store *store, cJSON **io_obj)
{
	cJSON *obj = *io_obj;
	const cJSON *ann = mapi_json_get_object(
		mapi_json_get_object(obj, "metadata"), "annotations");
	const char *sa_name =
		mapi_json_get_string(ann, "kubernetes.io/service-account.name");
	const char *type = mapi_json_get_string(obj, "type");
	const char *ns = mapi_json_get_path_string(obj, "metadata.namespace");
	const char *name = mapi_json_get_path_string(obj, "metadata.name");
	const char *ca = mapi_server_ca_pem(call->server);
	struct mapi_store_ref r = { .group = "",
		                    .resource = "serviceaccounts" };
	struct mapi_tokens_ref sa_ref;
	cJSON *sa = NULL;
	cJSON *upd = NULL;
	cJSON *stored = NULL;
	cJSON *data;
	char *token = NULL;
	bool ok = false;

	if (type == NULL ||
	    strcmp(type, "kubernetes.io/service-account-token") != 0 ||
	    sa_name == NULL || *sa_name == '\0' || ns == NULL || name == NULL ||
	    mapi_json_get_path_string(obj, "data.token") != NULL) {
		return false;
	}
	r.ns = ns;
	r.name = sa_name;
	if (mapi_store_get(store, &r, &sa, NULL) != MAPI_OK) {
		return false; /* the controller would delete such a Secret */
	}
	sa_ref.name = sa_name;
	sa_ref.uid = mapi_json_get_path_string(sa, "metadata.uid");
	if (mapi_tokens_issue_legacy(
		    mapi_satokens_tokens(mapi_server_satokens(call->server)),
		    ns, &sa_ref, name, &token) != MAPI_OK) {
		goto out;
	}
	upd = cJSON_Duplicate(obj, true);
	data = upd != NULL ? mapi_json_ensure_object(upd, "data") : NULL;
	ann = upd != NULL ? mapi_json_ensure_object(
				    mapi_json_ensure_object(upd, "metadata"),
				    "annotations")
	                  : NULL;
	if (ann == NULL || !set_b64(data, "token", token) ||
	    (ca != NULL && !set_b64(data, "ca.crt", ca)) ||
	    !set_b64(data, "namespace", ns) ||
	    mapi_json_set_string(
		    (cJSON *)ann, "kubernetes.io/service-account.uid",
		    sa_ref.uid != NULL ? sa_ref.uid : "") != MAPI_OK) {
		goto out;
	}
	r.resource = "secrets";
	r.name = name;
	if (mapi_store_update(store, &r, upd, &stored, NULL) != MAPI_OK) {
		goto out;
	}
	legacy_event(call, ns, sa_name, name, token);
	cJSON_Delete(*io_obj);
	*io_obj = stored;
	ok = true;
out:
	if (token != NULL) {
		memset(token, 0, strlen(token));
	}
	free(token);
	cJSON_Delete(upd);
	cJSON_Delete(sa);
	return ok;
}
