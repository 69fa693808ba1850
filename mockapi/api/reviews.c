/* SPDX-License-Identifier: MIT */
/*
 * authorization.k8s.io/v1 access reviews through auth/authz, as
 * pkg/registry/authorization/{selfsubjectaccessreview,subjectaccessreview,
 * localsubjectaccessreview,selfsubjectrulesreview} answer them: the
 * request echoed plus status {allowed (always), reason, evaluationError}
 * (denied is never set: RBAC has no deny). reference §4.2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/api.h"
#include "api/reply.h"
#include "auth/authn.h"
#include "auth/authz.h"
#include "server/http.h"
#include "server/json.h"
#include "server/router.h"
#include "server/server.h"
#include "server/status.h"

#define AUTHZ_GROUP "authorization.k8s.io"
#define AUTHZ_AV    "authorization.k8s.io/v1"
#define MAX_GROUPS  64

enum review_kind {
	SELF_SAR,
	SAR,
	LOCAL_SAR,
	SELF_RULES,
};

static const struct {
	const char *resource;
	const char *kind;
	enum review_kind rk;
	bool namespaced;
} kinds[] = {
	{ "selfsubjectaccessreviews", "SelfSubjectAccessReview", SELF_SAR,
	  false },
	{ "subjectaccessreviews", "SubjectAccessReview", SAR, false },
	{ "localsubjectaccessreviews", "LocalSubjectAccessReview", LOCAL_SAR,
	  true },
	{ "selfsubjectrulesreviews", "SelfSubjectRulesReview", SELF_RULES,
	  false },
};

static void
or_500(struct mapi_response *resp, enum mapi_err rc)
{
	if (rc != MAPI_OK && resp->code == 0) {
		resp->code = 500;
	}
}

/* Who is asked about: the caller (self reviews) or spec.user/groups. */
struct subject {
	const char *user;
	const char *groups[MAX_GROUPS];
	size_t ngroups;
};

static void
subject_of_caller(const struct mapi_identity *id, struct subject *s)
{
	size_t i;

	s->user = id->username;
	for (i = 0; i < id->n_groups && i < MAX_GROUPS; i++) {
		s->groups[i] = id->groups[i];
	}
	s->ngroups = i;
}

static bool
subject_of_spec(const cJSON *spec, struct subject *s)
{
	const cJSON *g;

	s->user = mapi_json_get_string(spec, "user");
	s->ngroups = 0;
	cJSON_ArrayForEach(g,
	                   cJSON_GetObjectItemCaseSensitive(spec, "groups")) {
		if (!cJSON_IsString(g) || s->ngroups >= MAX_GROUPS) {
			return false;
		}
		s->groups[s->ngroups++] = g->valuestring;
	}
	return true;
}

static void
invalid(struct mapi_response *resp, const char *kind, const char *field,
        const char *value, const char *detail)
{
	struct mapi_field_error fe = { .type = MAPI_FIELD_INVALID,
		                       .field = field,
		                       .bad_value = value,
		                       .value_is_string = true,
		                       .detail = detail };

	or_500(resp, mapi_status_invalid(resp, AUTHZ_GROUP, kind, "", &fe, 1));
}

/* The start of every answer: kind, apiVersion, metadata, spec (echo). */
static cJSON *
echo(const char *kind, const char *ns, cJSON *spec)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *meta;

	if (o == NULL || cJSON_AddStringToObject(o, "kind", kind) == NULL ||
	    cJSON_AddStringToObject(o, "apiVersion", AUTHZ_AV) == NULL ||
	    (meta = cJSON_AddObjectToObject(o, "metadata")) == NULL ||
	    (ns != NULL &&
	     cJSON_AddStringToObject(meta, "namespace", ns) == NULL) ||
	    cJSON_AddNullToObject(meta, "creationTimestamp") == NULL ||
	    !cJSON_AddItemToObject(o, "spec", spec)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static void
access_review(const struct mapi_call *call, struct mapi_response *resp,
              enum review_kind rk, const char *kind, cJSON *body)
{
	const char *url_ns = call->route->ref.ns;
	cJSON *spec = cJSON_DetachItemFromObjectCaseSensitive(body, "spec");
	cJSON *ra;
	cJSON *nra;
	struct subject subj = { 0 };
	struct mapi_authz_attrs a = { 0 };
	enum mapi_authz_decision d = MAPI_AUTHZ_DENY;
	char *reason = NULL;
	cJSON *out = NULL;
	cJSON *status;
	enum mapi_err err;

	if (spec == NULL) {
		spec = cJSON_CreateObject();
	}
	if (spec == NULL) {
		mapi_reply_oom(resp);
		return;
	}
	ra = mapi_json_get_object(spec, "resourceAttributes");
	nra = mapi_json_get_object(spec, "nonResourceAttributes");
	if (ra != NULL && nra != NULL) {
		invalid(resp, kind, "spec.nonResourceAttributes", "null",
		        "cannot be specified in combination with "
		        "resourceAttributes");
		goto out;
	}
	if (ra == NULL && nra == NULL) {
		invalid(resp, kind, "spec.resourceAttributes", "null",
		        "exactly one of nonResourceAttributes or "
		        "resourceAttributes must be specified");
		goto out;
	}
	if (rk == SELF_SAR) {
		subject_of_caller(call->id, &subj);
	} else if (!subject_of_spec(spec, &subj)) {
		or_500(resp, mapi_status_bad_request(
				     resp, "spec.groups: must be a list of "
					   "strings"));
		goto out;
	} else if ((subj.user == NULL || *subj.user == '\0') &&
	           subj.ngroups == 0) {
		invalid(resp, kind, "spec.user", "",
		        "at least one of user or group must be specified");
		goto out;
	}
	if (rk == LOCAL_SAR) {
		const char *rns = mapi_json_get_string(ra, "namespace");

		if (ra == NULL) {
			invalid(resp, kind, "spec.nonResourceAttributes",
			        "null", "disallowed on this kind of request");
			goto out;
		}
		if (rns == NULL || *rns == '\0') {
			if (mapi_json_set_string(ra, "namespace", url_ns) !=
			    MAPI_OK) {
				mapi_reply_oom(resp);
				goto out;
			}
		} else if (strcmp(rns, url_ns) != 0) {
			char msg[160];

			(void)snprintf(msg, sizeof(msg),
			               "spec.resourceAttributes.namespace must "
			               "match namespace: %s",
			               url_ns);
			or_500(resp, mapi_status_bad_request(resp, msg));
			goto out;
		}
	}
	a.user = subj.user;
	a.groups = subj.groups;
	a.ngroups = subj.ngroups;
	if (ra != NULL) {
		a.resource_request = true;
		a.verb = mapi_json_get_string(ra, "verb");
		a.ns = mapi_json_get_string(ra, "namespace");
		a.api_group = mapi_json_get_string(ra, "group");
		a.api_version = mapi_json_get_string(ra, "version");
		a.resource = mapi_json_get_string(ra, "resource");
		a.subresource = mapi_json_get_string(ra, "subresource");
		a.name = mapi_json_get_string(ra, "name");
	} else {
		a.verb = mapi_json_get_string(nra, "verb");
		a.path = mapi_json_get_string(nra, "path");
	}
	err = mapi_authz_check(mapi_server_authz(call->server), &a, &d,
	                       &reason);
	if (err != MAPI_OK) {
		or_500(resp, mapi_status_internal(resp, mapi_err_name(err)));
		goto out;
	}
	out = echo(kind, rk == LOCAL_SAR ? url_ns : NULL, spec);
	spec = NULL;
	if (out == NULL ||
	    (status = cJSON_AddObjectToObject(out, "status")) == NULL ||
	    cJSON_AddBoolToObject(status, "allowed", d == MAPI_AUTHZ_ALLOW) ==
	            NULL ||
	    (reason != NULL && *reason != '\0' &&
	     cJSON_AddStringToObject(status, "reason", reason) == NULL)) {
		mapi_reply_oom(resp);
		goto out;
	}
	mapi_reply_json(resp, 201, out);
out:
	free(reason);
	cJSON_Delete(spec);
	cJSON_Delete(out);
}

static void
rules_review(const struct mapi_call *call, struct mapi_response *resp,
             cJSON *body)
{
	cJSON *spec = cJSON_DetachItemFromObjectCaseSensitive(body, "spec");
	struct subject subj = { 0 };
	cJSON *status = NULL;
	cJSON *out = NULL;
	const char *ns;
	enum mapi_err err;

	ns = mapi_json_get_string(spec, "namespace");
	if (ns == NULL || *ns == '\0') {
		or_500(resp, mapi_status_bad_request(
				     resp, "no namespace on request"));
		goto out;
	}
	subject_of_caller(call->id, &subj);
	err = mapi_authz_rules(mapi_server_authz(call->server), subj.user,
	                       subj.groups, subj.ngroups, ns, &status);
	if (err != MAPI_OK) {
		or_500(resp, mapi_status_internal(resp, mapi_err_name(err)));
		goto out;
	}
	out = echo("SelfSubjectRulesReview", NULL, spec);
	spec = NULL;
	if (out == NULL || !cJSON_AddItemToObject(out, "status", status)) {
		mapi_reply_oom(resp);
		goto out;
	}
	status = NULL;
	mapi_reply_json(resp, 201, out);
out:
	cJSON_Delete(status);
	cJSON_Delete(spec);
	cJSON_Delete(out);
}

void
mapi_api_access_reviews(const struct mapi_call *call,
                        struct mapi_response *resp)
{
	const struct mapi_route *route = call->route;
	cJSON *body = NULL;
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(kinds[i].resource, route->ref.resource) == 0) {
			break;
		}
	}
	if (i == sizeof(kinds) / sizeof(kinds[0]) ||
	    strcmp(route->ref.version, "v1") != 0 ||
	    route->ref.name[0] != '\0' ||
	    (route->ref.ns[0] != '\0') != kinds[i].namespaced) {
		or_500(resp, mapi_status_not_found_page(resp));
		return;
	}
	if (route->verb != MAPI_VERB_CREATE) {
		or_500(resp, mapi_status_method_not_allowed(resp));
		return;
	}
	if (!mapi_reply_decode(call, resp, kinds[i].kind, &body)) {
		return;
	}
	if (kinds[i].rk == SELF_RULES) {
		rules_review(call, resp, body);
	} else {
		access_review(call, resp, kinds[i].rk, kinds[i].kind, body);
	}
	cJSON_Delete(body);
}
