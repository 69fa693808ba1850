/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * api: the handler contract every endpoint implements, and the handlers.
 *
 * server.c routes a request (server/router), authenticates it
 * (auth/authn), authorizes it, and then calls the ONE handler its dispatch
 * table names for (endpoint, group, resource). Adding an endpoint is adding
 * a handler here, in an api/<family>.c file, plus one row in server.c's
 * table. A handler:
 *   - reads the request (struct mapi_request, server/http.h), the parsed
 *     route (struct mapi_route, server/router.h: verb, group, version,
 *     resource, namespace, name, subresource) and the caller
 *     (struct mapi_identity, auth/authn.h) from the call;
 *   - answers through the response setters (server/http.h) and, for every
 *     error, the Status builders (server/status.h) — never a hand-chosen
 *     code;
 *   - runs on an HTTP pool thread, concurrently with itself.
 * Everything in struct mapi_call is borrowed for the duration of the call.
 */

struct mapi_identity;
struct mapi_request;
struct mapi_response;
struct mapi_route;
struct mapi_server;

struct mapi_call {
	const struct mapi_request *req;
	const struct mapi_route *route;
	const struct mapi_identity *id;
	struct mapi_server *server; /* mapi_server_config(), _clock(), ... */
};

typedef void mapi_api_handler_fn(const struct mapi_call *call,
                                 struct mapi_response *resp);

/* api/version.c */

/*
 * GET /version: version.Info from --kube-version, indented as
 * kube-apiserver's WriteRawJSON does; other methods → 405 Status.
 */
mapi_api_handler_fn mapi_api_version;

/*
 * GET /healthz, /livez, /readyz and their /<check> forms: "ok"
 * (text/plain); ?verbose lists the checks as "[+]<check> ok" lines plus
 * "<endpoint> check passed"; an unknown check → "404 page not found".
 */
mapi_api_handler_fn mapi_api_health;

/* api/meta.c: discovery and OpenAPI (documents from api/discovery.h). */

/* GET /: {"paths":[…]} of the served roots. */
mapi_api_handler_fn mapi_api_root;

/* GET /api: APIVersions, or the aggregated APIGroupDiscoveryList. */
mapi_api_handler_fn mapi_api_discovery_core;

/* GET /apis: APIGroupList, or the aggregated APIGroupDiscoveryList. */
mapi_api_handler_fn mapi_api_discovery_groups;

/* GET /apis/<g>: APIGroup (plain 404 for groups not served). */
mapi_api_handler_fn mapi_api_discovery_group;

/* GET /api/v1, /apis/<g>/<v>: APIResourceList (plain 404 if not served). */
mapi_api_handler_fn mapi_api_discovery_group_version;

/* GET /openapi/v2: an empty protobuf document (reference §10.4). */
mapi_api_handler_fn mapi_api_openapi_v2;

/* GET /openapi/v3 and /openapi/v3/<gv>: index and per-group documents. */
mapi_api_handler_fn mapi_api_openapi_v3;

/* api/resources.c */

/*
 * Every verb on the stored resources of the discovery table (pods,
 * serviceaccounts, secrets, configmaps, namespaces, nodes, RBAC): get,
 * list (Table when asked), watch (chunked), create (JSON or protobuf),
 * update, patch, delete, deletecollection, with kube-apiserver's Statuses.
 */
mapi_api_handler_fn mapi_api_resources;

/* api/tokens.c */

/*
 * /api/v1/.../serviceaccounts[/<name>[/<sub>]]: the token subresource is
 * TokenRequest (create only: reference §2, every §2.5 error in order, the
 * Warning: 299 header when shortened); everything else is
 * mapi_api_resources.
 */
mapi_api_handler_fn mapi_api_serviceaccounts;

/*
 * POST /apis/authentication.k8s.io/v1/tokenreviews: always 201 with the
 * §3.3 shapes (status.error from §3.4), through the same authenticator and
 * cache as request authentication; the admin token is reviewed as the
 * static token authenticator would. 400 for a namespaced URL or an empty
 * token.
 */
mapi_api_handler_fn mapi_api_tokenreviews;

/* POST .../selfsubjectreviews: 201 with the caller's user info (§4.1). */
mapi_api_handler_fn mapi_api_selfsubjectreviews;

/* api/reviews.c */

/*
 * authorization.k8s.io/v1 selfsubjectaccessreviews, subjectaccessreviews,
 * localsubjectaccessreviews (namespaced) and selfsubjectrulesreviews
 * through auth/authz: the request echoed plus status (§4.2). Other
 * resources of the group: "404 page not found".
 */
mapi_api_handler_fn mapi_api_access_reviews;

/* api/openid.c: GET /.well-known/openid-configuration, /openid/v1/jwks. */
mapi_api_handler_fn mapi_api_oidc_config;
mapi_api_handler_fn mapi_api_oidc_jwks;

/* api/admin.c */

/*
 * /mock/v1/{clock,events,requests,faults,volumes,keys,reset}: the harness
 * controls (server/harness.h), for system:masters only (else the
 * non-resource 403). JSON in and out; errors as Status.
 */
mapi_api_handler_fn mapi_api_admin;
