/* SPDX-License-Identifier: MIT */
/*
 * resources: the generic REST verbs over the store for every stored
 * resource in the discovery table (namespaces, pods, serviceaccounts,
 * secrets, configmaps, nodes, RBAC objects): get, list (with Table and
 * selectors and paging), watch (chunked JSON stream), create (JSON or
 * protobuf), update, patch (merge, strategic, JSON patch), delete (grace
 * periods, preconditions) and deletecollection — the way kube-apiserver's
 * generic registry answers them, down to the Status texts.
 *
 * Pods get what the admission chain and a cluster would give them: the
 * default ServiceAccount, its projected token volume, a node and a Running
 * status, so `kubectl get pods` shows them READY and Running.
 */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "api/discovery.h"
#include "api/patch.h"
#include "api/resources.h"
#include "api/table.h"
#include "api/tokens.h"
#include "api/validate.h"
#include "auth/authn.h"
#include "fileio.h"
#include "server/config.h"
#include "server/http.h"
#include "server/json.h"
#include "server/proto.h"
#include "server/router.h"
#include "server/server.h"
#include "server/status.h"
#include "sim/clock.h"
#include "state/store.h"

#define JSON_TYPE "application/json"
#define MAX_LIMIT 100000

/* Everything a verb needs about the request, resolved once. */
struct rctx {
	const struct mapi_call *call;
	const struct mapi_api_resource *row;
	const struct mapi_ref *ref;
	struct mapi_store *store;
	const char *api_version; /* "v1" or "<group>/v1" */
	char api_version_buf[160];
	char list_kind[96];
};

static void
respond_or_500(struct mapi_response *resp, enum mapi_err rc)
{
	if (rc != MAPI_OK && resp->code == 0) {
		resp->code = 500;
	}
}

/* Sends obj as JSON with a trailing newline (json.Encoder does). */
static void
respond_json(struct mapi_response *resp, int code, const cJSON *obj,
             const char *content_type)
{
	char *text = mapi_json_print(obj);
	size_t n;
	char *body;

	if (text == NULL) {
		respond_or_500(resp, mapi_status_internal(resp, "out of memory"));
		return;
	}
	n = strlen(text);
	body = realloc(text, n + 2);
	if (body == NULL) {
		free(text);
		respond_or_500(resp, mapi_status_internal(resp, "out of memory"));
		return;
	}
	body[n] = '\n';
	body[n + 1] = '\0';
	respond_or_500(resp, mapi_response_adopt_body(
	                             resp, code,
	                             content_type ? content_type : JSON_TYPE,
	                             body, n + 1));
}

/* Answers a store/diag error with the right Status. */
static void
respond_err(const struct rctx *c, struct mapi_response *resp,
            enum mapi_err err, const struct mapi_diag *diag)
{
	const char *name = c->ref->name[0] ? c->ref->name : NULL;

	switch (err) {
	case MAPI_ENOTFOUND:
		respond_or_500(resp, mapi_status_not_found(resp, c->row->group,
		                                           c->row->resource,
		                                           name ? name : ""));
		return;
	case MAPI_EEXIST: {
		struct mapi_status_details d = { .name = diag->field[0]
			                                         ? diag->field
			                                         : name,
			                         .group = c->row->group,
			                         .kind = c->row->resource };

		respond_or_500(resp, mapi_status_respond(resp, err, diag->msg,
		                                         &d));
		return;
	}
	case MAPI_ECONFLICT: {
		struct mapi_status_details d = { .name = name,
			                         .group = c->row->group,
			                         .kind = c->row->resource };

		respond_or_500(resp, mapi_status_respond(resp, err, diag->msg,
		                                         &d));
		return;
	}
	default:
		respond_or_500(resp, mapi_status_from_diag(resp, err, diag));
		return;
	}
}

/*
 * Rebuilds obj with "kind" and "apiVersion" as its first members, as the
 * Go structs serialize them. Consumes obj; returns the new object or NULL.
 */
static cJSON *
with_type_meta(cJSON *obj, const char *kind, const char *api_version)
{
	cJSON *out = cJSON_CreateObject();
	cJSON *item;

	if (out == NULL || cJSON_AddStringToObject(out, "kind", kind) == NULL ||
	    cJSON_AddStringToObject(out, "apiVersion", api_version) == NULL) {
		cJSON_Delete(out);
		cJSON_Delete(obj);
		return NULL;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "kind");
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "apiVersion");
	while ((item = obj->child) != NULL) {
		cJSON_DetachItemViaPointer(obj, item);
		cJSON_AddItemToObject(out, item->string, item);
		/* AddItemToObject copied the key; drop the detached one. */
	}
	cJSON_Delete(obj);
	return out;
}

static cJSON *
typed(const struct rctx *c, cJSON *obj)
{
	return with_type_meta(obj, c->row->kind, c->api_version);
}

static const char *
query(const struct rctx *c, const char *key)
{
	return mapi_request_query(c->call->req, key);
}

static bool
dry_run(const struct rctx *c)
{
	const char *d = query(c, "dryRun");

	return d != NULL && strcmp(d, "All") == 0;
}

static struct mapi_store_ref
store_ref(const struct rctx *c, const char *name)
{
	struct mapi_store_ref r = {
		.group = c->row->group,
		.resource = c->row->resource,
		.ns = c->row->namespaced ? c->ref->ns : NULL,
		.name = name,
	};

	return r;
}

/* ---- bodies ---- */

static bool
content_type_is(const char *ct, const char *want)
{
	size_t n = strlen(want);

	return ct != NULL && strncasecmp(ct, want, n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/*
 * Decodes the request body (JSON, or the Kubernetes protobuf envelope)
 * into an object. On failure the response is already written.
 */
static bool
decode_body(const struct rctx *c, struct mapi_response *resp, bool patch,
            cJSON **out)
{
	const struct mapi_request *req = c->call->req;
	const char *ct = mapi_request_header(req, "Content-Type");
	struct mapi_diag diag = { 0 };
	cJSON *obj = NULL;
	enum mapi_err err;

	if (!patch && mapi_proto_is_content_type(ct)) {
		err = mapi_proto_decode(req->body, req->body_len, &obj, &diag);
		if (err == MAPI_EMEDIATYPE) {
			respond_or_500(resp,
			               mapi_status_unsupported_media_type(resp));
			return false;
		}
		if (err != MAPI_OK) {
			respond_or_500(resp,
			               mapi_status_bad_request(resp, diag.msg));
			return false;
		}
		*out = obj;
		return true;
	}
	if (!patch && !content_type_is(ct, "application/json")) {
		respond_or_500(resp, mapi_status_unsupported_media_type(resp));
		return false;
	}
	err = mapi_json_parse(req->body, req->body_len, &obj, &diag);
	if (err != MAPI_OK) {
		respond_or_500(resp, mapi_status_bad_json(resp, c->row->kind,
		                                          diag.offset, req->body,
		                                          req->body_len));
		return false;
	}
	if (!patch && !cJSON_IsObject(obj)) {
		cJSON_Delete(obj);
		respond_or_500(resp, mapi_status_bad_json(resp, c->row->kind, 0,
		                                          req->body,
		                                          req->body_len));
		return false;
	}
	*out = obj;
	return true;
}

/*
 * The checks the generic registry makes on a body before storing it:
 * kind/apiVersion (when given) match the endpoint, the namespace matches
 * the URL, the name matches the URL on update.
 */
static bool
check_body(const struct rctx *c, struct mapi_response *resp, cJSON *obj,
           bool update)
{
	const char *kind = mapi_json_get_string(obj, "kind");
	const char *av = mapi_json_get_string(obj, "apiVersion");
	const char *ns = mapi_json_get_path_string(obj, "metadata.namespace");
	const char *name = mapi_json_get_path_string(obj, "metadata.name");
	char msg[512];

	if (kind != NULL && *kind != '\0' && strcmp(kind, c->row->kind) != 0) {
		(void)snprintf(msg, sizeof(msg),
		               "the kind of the object (%s) does not match the "
		               "expected kind (%s)",
		               kind, c->row->kind);
		respond_or_500(resp, mapi_status_bad_request(resp, msg));
		return false;
	}
	if (av != NULL && *av != '\0' && strcmp(av, c->api_version) != 0) {
		(void)snprintf(msg, sizeof(msg),
		               "the API version in the data (%s) does not match "
		               "the expected API version (%s)",
		               av, c->api_version);
		respond_or_500(resp, mapi_status_bad_request(resp, msg));
		return false;
	}
	if (c->row->namespaced && ns != NULL && *ns != '\0' &&
	    strcmp(ns, c->ref->ns) != 0) {
		respond_or_500(resp, mapi_status_bad_request(
		                             resp, "the namespace of the provided "
		                                   "object does not match the "
		                                   "namespace sent on the request"));
		return false;
	}
	if (update && name != NULL && strcmp(name, c->ref->name) != 0) {
		(void)snprintf(msg, sizeof(msg),
		               "the name of the object (%s) does not match the "
		               "name on the URL (%s)",
		               name, c->ref->name);
		respond_or_500(resp, mapi_status_bad_request(resp, msg));
		return false;
	}
	return true;
}

/* Runs object validation; on errors writes the 422 and returns false. */
static bool
validate(const struct rctx *c, struct mapi_response *resp, const cJSON *obj,
         bool create)
{
	struct mapi_field_errors errs = { 0 };
	struct mapi_field_error se[MAPI_FIELD_ERRORS_MAX];
	const char *name = mapi_json_get_path_string(obj, "metadata.name");

	if (create) {
		(void)mapi_validate_object_meta(
			obj, mapi_name_rule_for(c->row->group, c->row->resource),
			c->row->namespaced, &errs);
	}
	(void)mapi_validate_kind(c->row->group, c->row->resource, obj, &errs);
	if (errs.n == 0) {
		return true;
	}
	(void)mapi_field_errors_view(&errs, se);
	respond_or_500(resp, mapi_status_invalid(resp, c->row->group,
	                                         c->row->kind,
	                                         name ? name : "", se, errs.n));
	return false;
}

/* ---- admission-like defaults ---- */

static bool
namespace_exists(const struct rctx *c, struct mapi_response *resp)
{
	struct mapi_store_ref r = { .group = "",
		                    .resource = "namespaces",
		                    .name = c->ref->ns };
	cJSON *ns = NULL;
	struct mapi_diag diag = { 0 };

	if (!c->row->namespaced) {
		return true;
	}
	if (mapi_store_get(c->store, &r, &ns, &diag) == MAPI_OK) {
		bool terminating = mapi_json_get_path_string(
					   ns, "metadata.deletionTimestamp") !=
		                   NULL;

		cJSON_Delete(ns);
		if (terminating) {
			char msg[512];
			struct mapi_status_details d = { .name = c->ref->name,
				                         .group = c->row->group,
				                         .kind = c->row->resource };

			(void)snprintf(msg, sizeof(msg),
			               "%s \"%s\" is forbidden: unable to create "
			               "new content in namespace %s because it is "
			               "being terminated",
			               c->row->resource, c->ref->name, c->ref->ns);
			respond_or_500(resp, mapi_status_respond(
			                             resp, MAPI_EFORBIDDEN, msg, &d));
			return false;
		}
		return true;
	}
	respond_or_500(resp, mapi_status_not_found(resp, "", "namespaces",
	                                           c->ref->ns));
	return false;
}

/* A lowercase suffix like the 5 characters Kubernetes generates. */
static void
random_suffix(const struct rctx *c, char *buf, size_t n)
{
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	uint64_t x = mapi_store_resource_version(c->store) * 0x9E3779B97F4A7C15u +
	             (uint64_t)mapi_clock_now_ns(
				     mapi_server_clock(c->call->server));
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		x ^= x >> 33;
		x *= 0xff51afd7ed558ccdu;
		buf[i] = alphabet[x % (sizeof(alphabet) - 1)];
	}
	buf[n - 1] = '\0';
}

static bool
ensure_str(cJSON *obj, const char *key, const char *value)
{
	if (mapi_json_get_string(obj, key) != NULL) {
		return true;
	}
	return mapi_json_set_string(obj, key, value) == MAPI_OK;
}

/*
 * What the ServiceAccount admission plugin adds: serviceAccountName
 * (default "default", which must exist) and the kube-api-access projected
 * volume mounted in every container (reference §8.2).
 */
static bool
admit_pod_service_account(const struct rctx *c, struct mapi_response *resp,
                          cJSON *pod)
{
	cJSON *spec = mapi_json_ensure_object(pod, "spec");
	const char *sa;
	struct mapi_store_ref r;
	cJSON *obj = NULL;
	struct mapi_diag diag = { 0 };
	cJSON *volumes;
	cJSON *v;
	cJSON *containers;
	cJSON *ctr;
	char vname[32];
	char suffix[6];
	char msg[512];

	if (spec == NULL || !ensure_str(spec, "serviceAccountName", "default")) {
		return false;
	}
	sa = mapi_json_get_string(spec, "serviceAccountName");
	r = (struct mapi_store_ref){ .group = "",
		                     .resource = "serviceaccounts",
		                     .ns = c->ref->ns,
		                     .name = sa };
	if (mapi_store_get(c->store, &r, &obj, &diag) != MAPI_OK) {
		struct mapi_status_details d = { .name = mapi_json_get_path_string(
			                                         pod, "metadata.name"),
			                         .kind = "pods" };

		(void)snprintf(msg, sizeof(msg),
		               "pods \"%s\" is forbidden: error looking up service "
		               "account %s/%s: serviceaccount \"%s\" not found",
		               d.name ? d.name : "", c->ref->ns, sa, sa);
		respond_or_500(resp,
		               mapi_status_respond(resp, MAPI_EFORBIDDEN, msg, &d));
		return false;
	}
	cJSON_Delete(obj);
	if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(
		    spec, "automountServiceAccountToken"))) {
		return true;
	}
	volumes = cJSON_GetObjectItemCaseSensitive(spec, "volumes");
	cJSON_ArrayForEach(v, volumes) {
		const char *n = mapi_json_get_string(v, "name");

		if (n != NULL && strncmp(n, "kube-api-access-", 16) == 0) {
			return true; /* already injected */
		}
	}
	random_suffix(c, suffix, sizeof(suffix));
	(void)snprintf(vname, sizeof(vname), "kube-api-access-%s", suffix);
	v = cJSON_Parse(
		"{\"name\":\"\",\"projected\":{\"defaultMode\":420,\"sources\":["
		"{\"serviceAccountToken\":{\"expirationSeconds\":3607,\"path\":"
		"\"token\"}},{\"configMap\":{\"name\":\"kube-root-ca.crt\","
		"\"items\":[{\"key\":\"ca.crt\",\"path\":\"ca.crt\"}]}},"
		"{\"downwardAPI\":{\"items\":[{\"path\":\"namespace\",\"fieldRef\":"
		"{\"apiVersion\":\"v1\",\"fieldPath\":\"metadata.namespace\"}}]}}"
		"]}}");
	if (v == NULL || mapi_json_set_string(v, "name", vname) != MAPI_OK) {
		cJSON_Delete(v);
		return false;
	}
	if (volumes == NULL) {
		volumes = cJSON_AddArrayToObject(spec, "volumes");
	}
	if (volumes == NULL || !cJSON_AddItemToArray(volumes, v)) {
		cJSON_Delete(v);
		return false;
	}
	containers = cJSON_GetObjectItemCaseSensitive(spec, "containers");
	cJSON_ArrayForEach(ctr, containers) {
		cJSON *mounts = cJSON_GetObjectItemCaseSensitive(ctr,
		                                                 "volumeMounts");
		cJSON *m = cJSON_CreateObject();

		if (mounts == NULL) {
			mounts = cJSON_AddArrayToObject(ctr, "volumeMounts");
		}
		if (m == NULL || mounts == NULL ||
		    cJSON_AddStringToObject(m, "name", vname) == NULL ||
		    cJSON_AddBoolToObject(m, "readOnly", true) == NULL ||
		    cJSON_AddStringToObject(
			    m, "mountPath",
			    "/var/run/secrets/kubernetes.io/serviceaccount") ==
		            NULL ||
		    !cJSON_AddItemToArray(mounts, m)) {
			cJSON_Delete(m);
			return false;
		}
	}
	return true;
}

/* The first node in the store, for "scheduling". */
static char *
first_node(const struct rctx *c)
{
	struct mapi_list_opts lo = { .limit = 1 };
	cJSON *items = NULL;
	char *rv = NULL;
	char *cont = NULL;
	char *name = NULL;
	struct mapi_diag diag = { 0 };

	if (mapi_store_list(c->store, "", "nodes", NULL, &lo, &items, &rv,
	                    &cont, &diag) == MAPI_OK) {
		const char *n = mapi_json_get_path_string(
			cJSON_GetArrayItem(items, 0), "metadata.name");

		if (n != NULL) {
			name = strdup(n);
		}
	}
	cJSON_Delete(items);
	free(rv);
	free(cont);
	return name;
}

/*
 * A mock cluster has no scheduler or kubelet: a new pod is placed on the
 * first node and reported Running and Ready at once, with a pod IP, as a
 * healthy cluster would show it a few seconds later.
 */
static bool
run_pod(const struct rctx *c, cJSON *pod)
{
	cJSON *spec = mapi_json_ensure_object(pod, "spec");
	cJSON *status;
	cJSON *conds;
	cJSON *statuses;
	cJSON *ctr;
	char now[32];
	char ip[32];
	char *node = NULL;
	const char *types[] = { "PodReadyToStartContainers", "Initialized",
		                "Ready", "ContainersReady", "PodScheduled" };
	size_t i;
	uint64_t n = mapi_store_resource_version(c->store);

	if (spec == NULL) {
		return false;
	}
	if (!mapi_time_format_rfc3339(
		    mapi_clock_now(mapi_server_clock(c->call->server)), now,
		    sizeof(now))) {
		return false;
	}
	if (mapi_json_get_string(spec, "nodeName") == NULL) {
		node = first_node(c);
		if (node != NULL &&
		    mapi_json_set_string(spec, "nodeName", node) != MAPI_OK) {
			free(node);
			return false;
		}
		free(node);
	}
	if (!ensure_str(spec, "restartPolicy", "Always") ||
	    !ensure_str(spec, "dnsPolicy", "ClusterFirst") ||
	    !ensure_str(spec, "schedulerName", "default-scheduler")) {
		return false;
	}
	status = cJSON_CreateObject();
	if (status == NULL) {
		return false;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(pod, "status");
	if (!cJSON_AddItemToObject(pod, "status", status)) {
		cJSON_Delete(status);
		return false;
	}
	(void)snprintf(ip, sizeof(ip), "10.244.%u.%u",
	               (unsigned)((n / 250) % 250), (unsigned)(n % 250 + 2));
	if (cJSON_AddStringToObject(status, "phase", "Running") == NULL ||
	    (conds = cJSON_AddArrayToObject(status, "conditions")) == NULL) {
		return false;
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		cJSON *cond = cJSON_CreateObject();

		if (cond == NULL || !cJSON_AddItemToArray(conds, cond) ||
		    cJSON_AddStringToObject(cond, "type", types[i]) == NULL ||
		    cJSON_AddStringToObject(cond, "status", "True") == NULL ||
		    cJSON_AddNullToObject(cond, "lastProbeTime") == NULL ||
		    cJSON_AddStringToObject(cond, "lastTransitionTime", now) ==
		            NULL) {
			return false;
		}
	}
	if (cJSON_AddStringToObject(status, "hostIP", "192.168.49.2") == NULL ||
	    cJSON_AddStringToObject(status, "podIP", ip) == NULL ||
	    cJSON_AddStringToObject(status, "startTime", now) == NULL ||
	    (statuses = cJSON_AddArrayToObject(status, "containerStatuses")) ==
	            NULL) {
		return false;
	}
	cJSON_ArrayForEach(ctr, cJSON_GetObjectItemCaseSensitive(spec,
	                                                         "containers")) {
		cJSON *cs = cJSON_CreateObject();
		cJSON *state;
		cJSON *running;
		const char *name = mapi_json_get_string(ctr, "name");
		const char *image = mapi_json_get_string(ctr, "image");

		if (cs == NULL || !cJSON_AddItemToArray(statuses, cs) ||
		    cJSON_AddStringToObject(cs, "name", name ? name : "") ==
		            NULL ||
		    (state = cJSON_AddObjectToObject(cs, "state")) == NULL ||
		    (running = cJSON_AddObjectToObject(state, "running")) ==
		            NULL ||
		    cJSON_AddStringToObject(running, "startedAt", now) == NULL ||
		    cJSON_AddObjectToObject(cs, "lastState") == NULL ||
		    cJSON_AddBoolToObject(cs, "ready", true) == NULL ||
		    cJSON_AddNumberToObject(cs, "restartCount", 0) == NULL ||
		    cJSON_AddStringToObject(cs, "image", image ? image : "") ==
		            NULL ||
		    cJSON_AddStringToObject(cs, "imageID", "") == NULL ||
		    cJSON_AddBoolToObject(cs, "started", true) == NULL) {
			return false;
		}
	}
	return cJSON_AddStringToObject(status, "qosClass", "BestEffort") != NULL;
}

/* Kind-specific defaults on create (what defaulting + admission add). */
static bool
defaults_on_create(const struct rctx *c, struct mapi_response *resp,
                   cJSON *obj)
{
	const char *group = c->row->group;
	const char *res = c->row->resource;

	if (*group != '\0') {
		return true;
	}
	if (strcmp(res, "pods") == 0) {
		if (!admit_pod_service_account(c, resp, obj)) {
			if (resp->code == 0) {
				respond_or_500(resp, mapi_status_internal(
				                             resp, "out of memory"));
			}
			return false;
		}
		if (!run_pod(c, obj)) {
			respond_or_500(resp,
			               mapi_status_internal(resp, "out of memory"));
			return false;
		}
	} else if (strcmp(res, "namespaces") == 0) {
		cJSON *spec = mapi_json_ensure_object(obj, "spec");
		cJSON *status = mapi_json_ensure_object(obj, "status");
		cJSON *fin = cJSON_CreateStringArray(
			(const char *const[]){ "kubernetes" }, 1);
		cJSON *labels = mapi_json_ensure_object(
			mapi_json_ensure_object(obj, "metadata"), "labels");
		const char *name = mapi_json_get_path_string(obj,
		                                             "metadata.name");

		if (spec == NULL || status == NULL || fin == NULL ||
		    labels == NULL ||
		    mapi_json_adopt(spec, "finalizers", fin) != MAPI_OK ||
		    mapi_json_set_string(status, "phase", "Active") != MAPI_OK ||
		    (name != NULL &&
		     mapi_json_set_string(labels, "kubernetes.io/metadata.name",
		                          name) != MAPI_OK)) {
			respond_or_500(resp,
			               mapi_status_internal(resp, "out of memory"));
			return false;
		}
	} else if (strcmp(res, "secrets") == 0) {
		cJSON *sd = cJSON_DetachItemFromObjectCaseSensitive(obj,
		                                                     "stringData");
		cJSON *data;
		cJSON *kv;

		if (!ensure_str(obj, "type", "Opaque")) {
			cJSON_Delete(sd);
			return false;
		}
		if (sd != NULL) {
			data = mapi_json_ensure_object(obj, "data");
			cJSON_ArrayForEach(kv, sd) {
				if (!cJSON_IsString(kv) || data == NULL ||
				    !mapi_resources_set_b64(data, kv->string,
				                            kv->valuestring)) {
					cJSON_Delete(sd);
					respond_or_500(resp,
					               mapi_status_bad_request(
						               resp,
						               "stringData values must "
						               "be strings"));
					return false;
				}
			}
			cJSON_Delete(sd);
		}
	}
	return true;
}

bool
mapi_resources_set_b64(cJSON *obj, const char *key, const char *value)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(value);
	char *out = malloc((n + 2) / 3 * 4 + 1);
	const unsigned char *in = (const unsigned char *)value;
	size_t i;
	size_t o = 0;
	bool ok;

	if (out == NULL) {
		return false;
	}
	for (i = 0; i + 2 < n; i += 3) {
		out[o++] = tbl[in[i] >> 2];
		out[o++] = tbl[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		out[o++] = tbl[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		out[o++] = tbl[in[i + 2] & 63];
	}
	if (n - i == 1) {
		out[o++] = tbl[in[i] >> 2];
		out[o++] = tbl[(in[i] & 3) << 4];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		out[o++] = tbl[in[i] >> 2];
		out[o++] = tbl[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		out[o++] = tbl[(in[i + 1] & 15) << 2];
		out[o++] = '=';
	}
	out[o] = '\0';
	ok = mapi_json_set_string(obj, key, out) == MAPI_OK;
	free(out);
	return ok;
}

/* ---- verbs ---- */

static void
do_get(const struct rctx *c, struct mapi_response *resp)
{
	struct mapi_store_ref r = store_ref(c, c->ref->name);
	struct mapi_diag diag = { 0 };
	cJSON *obj = NULL;
	const char *accept = mapi_request_header(c->call->req, "Accept");
	enum mapi_err err;

	err = mapi_store_get(c->store, &r, &obj, &diag);
	if (err != MAPI_OK) {
		respond_err(c, resp, err, &diag);
		return;
	}
	if (mapi_table_wanted(accept)) {
		cJSON *items = cJSON_CreateArray();
		cJSON *table = NULL;
		enum mapi_table_include inc = MAPI_TABLE_METADATA;

		(void)mapi_table_include_parse(query(c, "includeObject"), &inc);
		if (items == NULL || !cJSON_AddItemToArray(items, obj)) {
			cJSON_Delete(items);
			cJSON_Delete(obj);
			respond_or_500(resp, mapi_status_internal(resp, "oom"));
			return;
		}
		err = mapi_table_build(
			c->row->group, c->row->resource, items,
			mapi_json_get_path_string(obj, "metadata.resourceVersion"),
			NULL, mapi_clock_now(mapi_server_clock(c->call->server)),
			inc, &table);
		cJSON_Delete(items);
		if (err != MAPI_OK) {
			respond_or_500(resp, mapi_status_internal(resp, "oom"));
			return;
		}
		respond_json(resp, 200, table, MAPI_TABLE_CONTENT_TYPE);
		cJSON_Delete(table);
		return;
	}
	obj = typed(c, obj);
	if (obj == NULL) {
		respond_or_500(resp, mapi_status_internal(resp, "oom"));
		return;
	}
	respond_json(resp, 200, obj, NULL);
	cJSON_Delete(obj);
}

/* Parses ?limit=; false (and a 400) for garbage. */
static bool
parse_limit(const struct rctx *c, struct mapi_response *resp, size_t *out)
{
	const char *l = query(c, "limit");
	char *end;
	long long v;

	*out = 0;
	if (l == NULL || *l == '\0') {
		return true;
	}
	v = strtoll(l, &end, 10);
	if (*end != '\0') {
		char msg[256];

		(void)snprintf(msg, sizeof(msg),
		               "invalid value for limit: %.64s: strconv.ParseInt: "
		               "parsing \"%.64s\": invalid syntax",
		               l, l);
		respond_or_500(resp, mapi_status_bad_request(resp, msg));
		return false;
	}
	*out = v <= 0 ? 0 : (v > MAX_LIMIT ? MAX_LIMIT : (size_t)v);
	return true;
}

/* true if s can go between JSON quotes as it is */
static bool
json_plain(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20) {
			return false;
		}
	}
	return true;
}

/*
 * A plain JSON list, assembled from the store's printed objects without
 * parsing them: the same bytes as printing the cJSON list (perf: the read
 * path of GET lists; parse + print was most of its cost).
 */
static void
list_text(const struct rctx *c, const char *ns, const struct mapi_list_opts *lo,
          struct mapi_response *resp)
{
	struct mapi_diag diag = { 0 };
	char *items = NULL, *rv = NULL, *cont = NULL, *body = NULL;
	size_t items_len = 0, cap;
	enum mapi_err err;
	int n;

	err = mapi_store_list_text(c->store, c->row->group, c->row->resource,
	                           ns, lo, &items, &items_len, &rv, &cont,
	                           &diag);
	if (err != MAPI_OK) {
		respond_err(c, resp, err, &diag);
		return;
	}
	if (cont != NULL && *cont == '\0') {
		free(cont);
		cont = NULL;
	}
	if (!json_plain(c->list_kind) || !json_plain(c->api_version) ||
	    !json_plain(rv) || (cont != NULL && !json_plain(cont))) {
		respond_or_500(resp, mapi_status_internal(resp, "bad list"));
		goto out;
	}
	cap = items_len + strlen(c->list_kind) + strlen(c->api_version) +
	      strlen(rv) + (cont != NULL ? strlen(cont) : 0) + 96;
	body = malloc(cap);
	if (body == NULL) {
		respond_or_500(resp, mapi_status_internal(resp, "oom"));
		goto out;
	}
	n = snprintf(body, cap,
	             "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":"
	             "{\"resourceVersion\":\"%s\"%s%s%s},\"items\":",
	             c->list_kind, c->api_version, rv,
	             cont != NULL ? ",\"continue\":\"" : "",
	             cont != NULL ? cont : "", cont != NULL ? "\"" : "");
	if (n < 0 || (size_t)n + items_len + 3 > cap) {
		respond_or_500(resp, mapi_status_internal(resp, "bad list"));
		goto out;
	}
	memcpy(body + n, items, items_len);
	memcpy(body + n + items_len, "}\n", 3);
	respond_or_500(resp, mapi_response_adopt_body(resp, 200, JSON_TYPE,
	                                              body,
	                                              (size_t)n + items_len + 2));
	body = NULL;
out:
	free(body);
	free(items);
	free(rv);
	free(cont);
}

static void
do_list(const struct rctx *c, struct mapi_response *resp)
{
	struct mapi_list_opts lo = {
		.label_selector = query(c, "labelSelector"),
		.field_selector = query(c, "fieldSelector"),
		.continue_token = query(c, "continue"),
	};
	struct mapi_diag diag = { 0 };
	const char *accept = mapi_request_header(c->call->req, "Accept");
	const char *ns = c->row->namespaced && c->ref->ns[0] ? c->ref->ns : NULL;
	cJSON *items = NULL;
	cJSON *list = NULL;
	cJSON *meta;
	char *rv = NULL;
	char *cont = NULL;
	enum mapi_err err;

	if (!parse_limit(c, resp, &lo.limit)) {
		return;
	}
	if (!mapi_table_wanted(accept)) {
		list_text(c, ns, &lo, resp);
		return;
	}
	err = mapi_store_list(c->store, c->row->group, c->row->resource, ns,
	                      &lo, &items, &rv, &cont, &diag);
	if (err != MAPI_OK) {
		respond_err(c, resp, err, &diag);
		return;
	}
	if (mapi_table_wanted(accept)) {
		enum mapi_table_include inc = MAPI_TABLE_METADATA;

		(void)mapi_table_include_parse(query(c, "includeObject"), &inc);
		err = mapi_table_build(
			c->row->group, c->row->resource, items, rv, cont,
			mapi_clock_now(mapi_server_clock(c->call->server)), inc,
			&list);
		if (err == MAPI_OK) {
			respond_json(resp, 200, list, MAPI_TABLE_CONTENT_TYPE);
		} else {
			respond_or_500(resp, mapi_status_internal(resp, "oom"));
		}
		goto out;
	}
	list = cJSON_CreateObject();
	if (list == NULL ||
	    cJSON_AddStringToObject(list, "kind", c->list_kind) == NULL ||
	    cJSON_AddStringToObject(list, "apiVersion", c->api_version) ==
	            NULL ||
	    (meta = cJSON_AddObjectToObject(list, "metadata")) == NULL ||
	    cJSON_AddStringToObject(meta, "resourceVersion", rv) == NULL ||
	    (cont != NULL && *cont != '\0' &&
	     cJSON_AddStringToObject(meta, "continue", cont) == NULL) ||
	    !cJSON_AddItemToObject(list, "items", items)) {
		respond_or_500(resp, mapi_status_internal(resp, "oom"));
		goto out;
	}
	items = NULL; /* owned by list now */
	respond_json(resp, 200, list, NULL);
out:
	cJSON_Delete(items);
	cJSON_Delete(list);
	free(rv);
	free(cont);
}

/* ---- watch ---- */

struct watch_stream {
	struct mapi_store_watch *w;
	struct mapi_store *store;
	const struct mapi_api_resource *row;
	char api_version[160];
	bool table;
	struct mapi_clock *clock;
	int64_t deadline_ns; /* real time; 0 = none */
	char *pending;       /* bytes not yet handed to MHD */
	size_t pending_len;
	size_t pending_off;
	bool done;
};

/* The store's notify: an event is queued or the watch closed. */
static void
watch_notify(void *arg)
{
	mapi_stream_wake(arg);
}

static void
watch_attach(void *payload, struct mapi_stream_waker *waker)
{
	struct watch_stream *s = payload;

	mapi_store_watch_set_notify(s->w, watch_notify, waker);
}

static void
watch_free(void *payload)
{
	struct watch_stream *s = payload;

	mapi_store_watch_free(s->w);
	free(s->pending);
	free(s);
}

/* One event line: {"type":"ADDED","object":{...}}\n */
static char *
event_line(struct watch_stream *s, struct mapi_watch_event *ev)
{
	cJSON *line = cJSON_CreateObject();
	cJSON *obj = ev->object;
	char *text = NULL;

	ev->object = NULL;
	if (line == NULL ||
	    cJSON_AddStringToObject(line, "type",
	                            mapi_watch_type_name(ev->type)) == NULL) {
		cJSON_Delete(obj);
		goto out;
	}
	if (s->table) {
		cJSON *items = cJSON_CreateArray();
		cJSON *table = NULL;

		if (items == NULL || !cJSON_AddItemToArray(items, obj)) {
			cJSON_Delete(items);
			cJSON_Delete(obj);
			goto out;
		}
		if (mapi_table_build(s->row->group, s->row->resource, items,
		                     mapi_json_get_path_string(
					     obj, "metadata.resourceVersion"),
		                     NULL, mapi_clock_now(s->clock),
		                     MAPI_TABLE_METADATA, &table) != MAPI_OK) {
			cJSON_Delete(items);
			goto out;
		}
		cJSON_Delete(items);
		obj = table;
	} else {
		obj = with_type_meta(obj, s->row->kind, s->api_version);
		if (obj == NULL) {
			goto out;
		}
	}
	if (!cJSON_AddItemToObject(line, "object", obj)) {
		cJSON_Delete(obj);
		goto out;
	}
	text = mapi_json_print(line);
out:
	cJSON_Delete(line);
	return text;
}

static ssize_t
watch_read(void *payload, char *buf, size_t max)
{
	struct watch_stream *s = payload;
	struct mapi_watch_event *ev = NULL;
	enum mapi_err err;
	size_t n;

	if (s->pending != NULL) {
		n = s->pending_len - s->pending_off;
		if (n > max) {
			n = max;
		}
		memcpy(buf, s->pending + s->pending_off, n);
		s->pending_off += n;
		if (s->pending_off == s->pending_len) {
			free(s->pending);
			s->pending = NULL;
		}
		return (ssize_t)n;
	}
	if (s->done) {
		return MAPI_STREAM_END;
	}
	if (s->deadline_ns != 0) {
		int64_t left = s->deadline_ns - mapi_clock_real_ns(s->clock);

		if (left <= 0) {
			return MAPI_STREAM_END;
		}
	}
	/*
	 * Pods whose grace period ran out go now, so a watcher (kubectl
	 * delete --wait) sees DELETED without another request arriving.
	 */
	(void)mapi_store_run_due(s->store);
	err = mapi_store_watch_next(s->w, 0, &ev);
	if (err != MAPI_OK) {
		return MAPI_STREAM_END; /* closed: the client re-lists */
	}
	if (ev == NULL) {
		return 0; /* nothing yet: parked until the store's notify */
	}
	{
		char *text = event_line(s, ev);
		size_t len;

		mapi_watch_event_free(ev);
		if (text == NULL) {
			return MAPI_STREAM_ERROR;
		}
		len = strlen(text);
		s->pending = realloc(text, len + 2);
		if (s->pending == NULL) {
			free(text);
			return MAPI_STREAM_ERROR;
		}
		s->pending[len] = '\n';
		s->pending[len + 1] = '\0';
		s->pending_len = len + 1;
		s->pending_off = 0;
	}
	return watch_read(payload, buf, max);
}

static void
do_watch(const struct rctx *c, struct mapi_response *resp)
{
	struct mapi_watch_opts wo = {
		.group = c->row->group,
		.resource = c->row->resource,
		.ns = c->row->namespaced && c->ref->ns[0] ? c->ref->ns : NULL,
		.label_selector = query(c, "labelSelector"),
		.field_selector = query(c, "fieldSelector"),
		.since_rv = query(c, "resourceVersion"),
	};
	struct watch_stream *s;
	struct mapi_diag diag = { 0 };
	const char *ts = query(c, "timeoutSeconds");
	const char *accept = mapi_request_header(c->call->req, "Accept");
	enum mapi_err err;

	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		respond_or_500(resp, mapi_status_internal(resp, "oom"));
		return;
	}
	err = mapi_store_watch_new(c->store, &wo, &s->w, &diag);
	if (err != MAPI_OK) {
		free(s);
		respond_err(c, resp, err, &diag);
		return;
	}
	s->row = c->row;
	s->store = c->store;
	(void)snprintf(s->api_version, sizeof(s->api_version), "%s",
	               c->api_version);
	s->table = mapi_table_wanted(accept);
	s->clock = mapi_server_clock(c->call->server);
	if (ts != NULL && *ts != '\0') {
		long long secs = strtoll(ts, NULL, 10);

		if (secs > 0) {
			s->deadline_ns = mapi_clock_real_ns(s->clock) +
			                 secs * MAPI_NS_PER_SEC;
		}
	}
	mapi_response_set_stream(resp, 200,
	                         s->table ? MAPI_TABLE_CONTENT_TYPE : JSON_TYPE,
	                         watch_read, watch_free, watch_attach, s);
}

/* ---- writes ---- */

/* Creates obj (consumed) at r unless something is there; best effort. */
static void
create_if_missing(const struct rctx *c, const struct mapi_store_ref *r,
                  cJSON *obj)
{
	cJSON *created = NULL;
	struct mapi_diag diag = { 0 };

	if (obj != NULL &&
	    mapi_store_create(c->store, r, obj, 0, &created, &diag) == MAPI_OK) {
		cJSON_Delete(created);
	}
	cJSON_Delete(obj);
}

/*
 * What the controllers add to a new namespace at once: the "default"
 * ServiceAccount (serviceaccounts-controller) and the kube-root-ca.crt
 * ConfigMap with the cluster CA from the state dir (root-ca-cert-publisher),
 * so pods can be created in it right away.
 */
static void
populate_namespace(const struct rctx *c, const char *ns)
{
	struct mapi_store_ref sa = { .group = "",
		                     .resource = "serviceaccounts",
		                     .ns = ns,
		                     .name = "default" };
	struct mapi_store_ref cm = { .group = "",
		                     .resource = "configmaps",
		                     .ns = ns,
		                     .name = "kube-root-ca.crt" };
	char path[4096];
	char *ca = NULL;
	size_t ca_len = 0;
	cJSON *obj;
	cJSON *data;

	if (ns == NULL) {
		return;
	}
	create_if_missing(c, &sa,
	                  cJSON_Parse("{\"metadata\":{\"name\":\"default\"}}"));
	if (mapi_server_config(c->call->server)->insecure_http ||
	    snprintf(path, sizeof(path), "%s/ca.crt",
	             mapi_server_state_dir(c->call->server)) >=
	            (int)sizeof(path) ||
	    mapi_file_read(path, (size_t)1024 * 1024, &ca, &ca_len, NULL) != MAPI_OK) {
		return;
	}
	obj = cJSON_Parse("{\"metadata\":{\"name\":\"kube-root-ca.crt\"},"
	                  "\"data\":{}}");
	data = cJSON_GetObjectItemCaseSensitive(obj, "data");
	if (data == NULL || cJSON_AddStringToObject(data, "ca.crt", ca) == NULL) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	create_if_missing(c, &cm, obj);
	free(ca);
}

static void
do_create(const struct rctx *c, struct mapi_response *resp)
{
	struct mapi_diag diag = { 0 };
	cJSON *obj = NULL;
	cJSON *created = NULL;
	struct mapi_store_ref r;
	enum mapi_err err;

	if (c->ref->name[0] != '\0') {
		respond_or_500(resp, mapi_status_method_not_allowed(resp));
		return;
	}
	if (!decode_body(c, resp, false, &obj)) {
		return;
	}
	if (!check_body(c, resp, obj, false) || !validate(c, resp, obj, true) ||
	    !namespace_exists(c, resp) || !defaults_on_create(c, resp, obj)) {
		goto out;
	}
	r = store_ref(c, NULL);
	if (dry_run(c)) {
		obj = typed(c, obj);
		respond_json(resp, 201, obj, NULL);
		goto out;
	}
	err = mapi_store_create(c->store, &r, obj, 0, &created, &diag);
	if (err == MAPI_EEXIST) {
		/* The name is in the body, not the URL. */
		struct mapi_status_details d = {
			.name = mapi_json_get_path_string(obj, "metadata.name"),
			.group = c->row->group,
			.kind = c->row->resource,
		};

		respond_or_500(resp, mapi_status_respond(resp, err, diag.msg,
		                                         &d));
		goto out;
	}
	if (err != MAPI_OK) {
		respond_err(c, resp, err, &diag);
		goto out;
	}
	if (*c->row->group == '\0' && strcmp(c->row->resource, "secrets") == 0) {
		/* The tokens controller fills ServiceAccount token Secrets. */
		(void)mapi_api_secret_fill_token(c->call, c->store, &created);
	}
	if (*c->row->group == '\0' &&
	    strcmp(c->row->resource, "namespaces") == 0) {
		populate_namespace(c, mapi_json_get_path_string(
		                              created, "metadata.name"));
	}
	created = typed(c, created);
	if (created == NULL) {
		respond_or_500(resp, mapi_status_internal(resp, "oom"));
		goto out;
	}
	respond_json(resp, 201, created, NULL);
out:
	cJSON_Delete(obj);
	cJSON_Delete(created);
}

/* Stores obj as the new state of the named object (update/patch). */
static void
store_update(const struct rctx *c, struct mapi_response *resp, cJSON *obj,
             int code)
{
	struct mapi_store_ref r = store_ref(c, c->ref->name);
	struct mapi_diag diag = { 0 };
	cJSON *updated = NULL;
	enum mapi_err err;

	cJSON_DeleteItemFromObjectCaseSensitive(obj, "kind");
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "apiVersion");
	if (dry_run(c)) {
		updated = typed(c, cJSON_Duplicate(obj, true));
		if (updated != NULL) {
			respond_json(resp, code, updated, NULL);
		}
		cJSON_Delete(updated);
		return;
	}
	err = mapi_store_update(c->store, &r, obj, &updated, &diag);
	if (err != MAPI_OK) {
		respond_err(c, resp, err, &diag);
		return;
	}
	updated = typed(c, updated);
	if (updated == NULL) {
		respond_or_500(resp, mapi_status_internal(resp, "oom"));
		return;
	}
	respond_json(resp, code, updated, NULL);
	cJSON_Delete(updated);
}

static void
do_update(const struct rctx *c, struct mapi_response *resp)
{
	cJSON *obj = NULL;

	if (!decode_body(c, resp, false, &obj)) {
		return;
	}
	if (check_body(c, resp, obj, true) && validate(c, resp, obj, false)) {
		store_update(c, resp, obj, 200);
	}
	cJSON_Delete(obj);
}

static void
do_patch(const struct rctx *c, struct mapi_response *resp)
{
	const char *ct = mapi_request_header(c->call->req, "Content-Type");
	struct mapi_store_ref r = store_ref(c, c->ref->name);
	struct mapi_diag diag = { 0 };
	enum mapi_patch_type type;
	cJSON *patch = NULL;
	cJSON *cur = NULL;
	enum mapi_err err;

	if (mapi_patch_type_parse(ct, &type) != MAPI_OK) {
		respond_or_500(resp, mapi_status_unsupported_media_type(resp));
		return;
	}
	if (!decode_body(c, resp, true, &patch)) {
		return;
	}
	err = mapi_store_get(c->store, &r, &cur, &diag);
	if (err != MAPI_OK) {
		respond_err(c, resp, err, &diag);
		goto out;
	}
	err = mapi_patch_apply(type, &cur, patch, &diag);
	if (err != MAPI_OK) {
		if (err == MAPI_EINVAL) {
			respond_or_500(resp, mapi_status_respond(
			                             resp, MAPI_EINVALID, diag.msg,
			                             NULL));
		} else {
			respond_or_500(resp, mapi_status_from_diag(resp, err,
			                                           &diag));
		}
		goto out;
	}
	if (check_body(c, resp, cur, true) && validate(c, resp, cur, false)) {
		store_update(c, resp, cur, 200);
	}
out:
	cJSON_Delete(patch);
	cJSON_Delete(cur);
}

/*
 * gracePeriodSeconds and preconditions from ?gracePeriodSeconds= and/or a
 * DeleteOptions body (JSON or protobuf).
 */
static bool
delete_options(const struct rctx *c, struct mapi_response *resp,
               int64_t *out_grace, char *uid, size_t uidlen)
{
	const struct mapi_request *req = c->call->req;
	const char *g = query(c, "gracePeriodSeconds");
	cJSON *opts = NULL;
	int64_t v;

	*out_grace = -1;
	uid[0] = '\0';
	if (g != NULL && *g != '\0') {
		char *end;

		*out_grace = strtoll(g, &end, 10);
		if (*end != '\0') {
			respond_or_500(resp, mapi_status_bad_request(
			                             resp, "invalid gracePeriodSeconds"));
			return false;
		}
	}
	if (req->body_len == 0) {
		return true;
	}
	if (mapi_proto_is_content_type(
		    mapi_request_header(req, "Content-Type"))) {
		struct mapi_diag diag = { 0 };

		if (mapi_proto_decode(req->body, req->body_len, &opts, &diag) !=
		    MAPI_OK) {
			respond_or_500(resp, mapi_status_bad_request(resp, diag.msg));
			return false;
		}
	} else {
		struct mapi_diag diag = { 0 };

		if (mapi_json_parse(req->body, req->body_len, &opts, &diag) !=
		    MAPI_OK) {
			respond_or_500(resp, mapi_status_bad_json(
			                             resp, "DeleteOptions", diag.offset,
			                             req->body, req->body_len));
			return false;
		}
	}
	if (mapi_json_get_int(opts, "gracePeriodSeconds", &v)) {
		*out_grace = v;
	}
	{
		const char *pu = mapi_json_get_path_string(opts,
		                                           "preconditions.uid");

		if (pu != NULL) {
			(void)snprintf(uid, uidlen, "%s", pu);
		}
	}
	cJSON_Delete(opts);
	return true;
}

/* Deleting a namespace deletes everything in it (the namespace controller). */
static void
delete_namespace_contents(const struct rctx *c, const char *ns)
{
	size_t n = 0;
	const struct mapi_api_resource *t = mapi_discovery_table(&n);
	size_t i;

	for (i = 0; i < n; i++) {
		struct mapi_list_opts lo = { 0 };
		cJSON *items = NULL;
		cJSON *it;
		char *rv = NULL;
		char *cont = NULL;
		struct mapi_diag diag = { 0 };

		if (!t[i].namespaced || t[i].sub != NULL ||
		    strstr(t[i].verbs, "delete") == NULL) {
			continue;
		}
		if (mapi_store_list(c->store, t[i].group, t[i].resource, ns, &lo,
		                    &items, &rv, &cont, &diag) != MAPI_OK) {
			continue;
		}
		cJSON_ArrayForEach(it, items) {
			struct mapi_store_ref r = {
				.group = t[i].group,
				.resource = t[i].resource,
				.ns = ns,
				.name = mapi_json_get_path_string(it,
				                                  "metadata.name"),
			};
			cJSON *gone = NULL;

			if (mapi_store_delete(c->store, &r, 0, NULL, &gone,
			                      &diag) == MAPI_OK) {
				cJSON_Delete(gone);
			}
		}
		cJSON_Delete(items);
		free(rv);
		free(cont);
	}
}

static void
do_delete(const struct rctx *c, struct mapi_response *resp)
{
	struct mapi_store_ref r = store_ref(c, c->ref->name);
	struct mapi_diag diag = { 0 };
	cJSON *gone = NULL;
	int64_t grace;
	char uid[128];
	enum mapi_err err;

	if (!delete_options(c, resp, &grace, uid, sizeof(uid))) {
		return;
	}
	if (dry_run(c)) {
		err = mapi_store_get(c->store, &r, &gone, &diag);
	} else {
		err = mapi_store_delete(c->store, &r, grace, uid[0] ? uid : NULL,
		                        &gone, &diag);
	}
	if (err != MAPI_OK) {
		respond_err(c, resp, err, &diag);
		return;
	}
	if (!dry_run(c) && *c->row->group == '\0' &&
	    strcmp(c->row->resource, "namespaces") == 0) {
		delete_namespace_contents(c, c->ref->name);
	}
	gone = typed(c, gone);
	if (gone == NULL) {
		respond_or_500(resp, mapi_status_internal(resp, "oom"));
		return;
	}
	respond_json(resp, 200, gone, NULL);
	cJSON_Delete(gone);
}

static void
do_delete_collection(const struct rctx *c, struct mapi_response *resp)
{
	struct mapi_list_opts lo = {
		.label_selector = query(c, "labelSelector"),
		.field_selector = query(c, "fieldSelector"),
	};
	const char *ns = c->row->namespaced && c->ref->ns[0] ? c->ref->ns : NULL;
	struct mapi_diag diag = { 0 };
	cJSON *items = NULL;
	cJSON *done = cJSON_CreateArray();
	cJSON *it;
	cJSON *list = NULL;
	cJSON *meta;
	char *rv = NULL;
	char *cont = NULL;
	int64_t grace;
	char uid[128];
	enum mapi_err err;

	if (done == NULL || !delete_options(c, resp, &grace, uid, sizeof(uid))) {
		cJSON_Delete(done);
		return;
	}
	err = mapi_store_list(c->store, c->row->group, c->row->resource, ns,
	                      &lo, &items, &rv, &cont, &diag);
	if (err != MAPI_OK) {
		cJSON_Delete(done);
		respond_err(c, resp, err, &diag);
		return;
	}
	cJSON_ArrayForEach(it, items) {
		struct mapi_store_ref r = {
			.group = c->row->group,
			.resource = c->row->resource,
			.ns = mapi_json_get_path_string(it, "metadata.namespace"),
			.name = mapi_json_get_path_string(it, "metadata.name"),
		};
		cJSON *gone = NULL;

		if (!dry_run(c) &&
		    mapi_store_delete(c->store, &r, grace, NULL, &gone, &diag) ==
		            MAPI_OK &&
		    !cJSON_AddItemToArray(done, gone)) {
			cJSON_Delete(gone);
		}
	}
	list = cJSON_CreateObject();
	if (list != NULL &&
	    cJSON_AddStringToObject(list, "kind", c->list_kind) != NULL &&
	    cJSON_AddStringToObject(list, "apiVersion", c->api_version) != NULL &&
	    (meta = cJSON_AddObjectToObject(list, "metadata")) != NULL &&
	    cJSON_AddStringToObject(meta, "resourceVersion", rv) != NULL &&
	    cJSON_AddItemToObject(list, "items", done)) {
		done = NULL;
		respond_json(resp, 200, list, NULL);
	} else {
		respond_or_500(resp, mapi_status_internal(resp, "oom"));
	}
	cJSON_Delete(done);
	cJSON_Delete(list);
	cJSON_Delete(items);
	free(rv);
	free(cont);
}

/* ---- entry point ---- */

void
mapi_api_resources(const struct mapi_call *call, struct mapi_response *resp)
{
	const struct mapi_route *route = call->route;
	const struct mapi_ref *ref = &route->ref;
	struct rctx c = { .call = call, .ref = ref };

	c.row = mapi_discovery_find(ref->group, ref->resource,
	                            ref->subresource[0] ? ref->subresource
	                                                : NULL);
	/* Unknown group/version/resource, or the wrong scope: Go's 404. */
	if (c.row == NULL || c.row->sub != NULL ||
	    strcmp(c.row->version, ref->version) != 0 ||
	    strstr(c.row->verbs, "list") == NULL ||
	    (!c.row->namespaced && ref->ns[0] != '\0' &&
	     !(strcmp(ref->resource, "namespaces") == 0)) ||
	    (c.row->namespaced && ref->ns[0] == '\0' && ref->name[0] != '\0')) {
		respond_or_500(resp, mapi_status_not_found_page(resp));
		return;
	}
	c.store = mapi_server_store(call->server);
	if (*c.row->group == '\0') {
		c.api_version = c.row->version;
	} else {
		(void)snprintf(c.api_version_buf, sizeof(c.api_version_buf),
		               "%s/%s", c.row->group, c.row->version);
		c.api_version = c.api_version_buf;
	}
	(void)snprintf(c.list_kind, sizeof(c.list_kind), "%sList", c.row->kind);
	if (route->verb != MAPI_VERB_WATCH &&
	    route->verb != MAPI_VERB_LIST) {
		(void)mapi_store_run_due(c.store);
	}
	switch (route->verb) {
	case MAPI_VERB_GET:
		do_get(&c, resp);
		break;
	case MAPI_VERB_LIST:
		do_list(&c, resp);
		break;
	case MAPI_VERB_WATCH:
		do_watch(&c, resp);
		break;
	case MAPI_VERB_CREATE:
		do_create(&c, resp);
		break;
	case MAPI_VERB_UPDATE:
	case MAPI_VERB_PATCH:
		/* PUT or PATCH on a collection: no such route. */
		if (ref->name[0] == '\0') {
			respond_or_500(resp,
			               mapi_status_method_not_allowed(resp));
		} else if (route->verb == MAPI_VERB_UPDATE) {
			do_update(&c, resp);
		} else {
			do_patch(&c, resp);
		}
		break;
	case MAPI_VERB_DELETE:
		do_delete(&c, resp);
		break;
	case MAPI_VERB_DELETECOLLECTION:
		if (strstr(c.row->verbs, "deletecollection") == NULL) {
			respond_or_500(resp,
			               mapi_status_method_not_allowed(resp));
		} else {
			do_delete_collection(&c, resp);
		}
		break;
	case MAPI_VERB_NONE:
	default:
		respond_or_500(resp, mapi_status_method_not_allowed(resp));
		break;
	}
}
