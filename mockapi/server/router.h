/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * router: method + raw path (+ query) → endpoint, verb and struct mapi_ref.
 * Pure: no I/O, no allocation, no state.
 *
 * The parse follows kube-apiserver's RequestInfoFactory
 * (k8s.io/apiserver pkg/endpoints/request/requestinfo.go):
 *   /api/v1/<res>[/<name>[/<sub>]]                       cluster or all-ns
 *   /api/v1/namespaces/<ns>/<res>[/<name>[/<sub>]]       namespaced
 *   /api/v1/namespaces/<ns>[/status|/finalize]           the namespace itself
 *                                                        (ns and name = <ns>)
 *   /apis/<g>/<v>/... the same with a group.
 * Verbs: GET/HEAD → get (name given) | list (no name) | watch (no name and
 * watch=1|t|T|TRUE|true|True, Go's strconv.ParseBool); POST → create; PUT →
 * update; PATCH → patch; DELETE → delete | deletecollection (no name).
 * Non-resource paths get the lower-case method as verb ("get", "post").
 *
 * Path segments are percent-decoded strictly: a bad escape is MAPI_EINVAL
 * (the HTTP layer answers 400); an empty segment ("//", a trailing "/"),
 * "." or "..", a decoded '/' or NUL inside a segment, a segment too long for
 * its field, or any path not listed above is MAPI_ENOTFOUND (Go's plain
 * "404 page not found"). The deprecated /api/v1/watch/... form is not
 * supported. Which groups, versions and resources exist is not the
 * router's business: handlers answer those with NotFound Statuses.
 *
 * Threads: pure, thread-safe. Errors: outputs written only on MAPI_OK.
 */

#include <stdbool.h>

#include "errors.h"

/* Bounds: DNS-1123 subdomain 253, labels 63; segments longer fail. */
#define MAPI_REF_GROUP_MAX    254
#define MAPI_REF_VERSION_MAX  64
#define MAPI_REF_RESOURCE_MAX 64
#define MAPI_REF_NS_MAX       64
#define MAPI_REF_NAME_MAX     254
#define MAPI_REF_SUB_MAX      64
#define MAPI_ROUTE_REST_MAX   512

/* Which kind of thing a path names. */
enum mapi_endpoint {
	MAPI_EP_NONE = 0,        /* not a known URL: plain 404 */
	MAPI_EP_ROOT,            /* / */
	MAPI_EP_VERSION,         /* /version */
	MAPI_EP_HEALTHZ,         /* /healthz[/<check>...] (check in rest) */
	MAPI_EP_LIVEZ,           /* /livez[/<check>] */
	MAPI_EP_READYZ,          /* /readyz[/<check>] */
	MAPI_EP_API,             /* /api */
	MAPI_EP_APIS,            /* /apis */
	MAPI_EP_GROUP,           /* /apis/<g> */
	MAPI_EP_GROUP_VERSION,   /* /api/v1, /apis/<g>/<v> */
	MAPI_EP_RESOURCE,        /* a resource request (ref filled in) */
	MAPI_EP_OPENAPI_V2,      /* /openapi/v2 */
	MAPI_EP_OPENAPI_V3,      /* /openapi/v3 */
	MAPI_EP_OPENAPI_V3_PATH, /* /openapi/v3/<rest> (rest decoded) */
	MAPI_EP_OIDC_CONFIG,     /* /.well-known/openid-configuration */
	MAPI_EP_OIDC_JWKS,       /* /openid/v1/jwks */
	MAPI_EP_MOCK_API, /* /mock/v1/<a>[/<b>[/<c>]] → resource,name,sub */
	MAPI_EP_MOCK_UI,  /* /mock/ui[/<rest>] (rest decoded, may be "") */
	MAPI_EP_COUNT_    /* not an endpoint */
};

/* Resource verbs (authorizer.Attributes.GetVerb()). */
enum mapi_verb {
	MAPI_VERB_NONE = 0, /* non-resource request, or unknown method */
	MAPI_VERB_GET,
	MAPI_VERB_LIST,
	MAPI_VERB_WATCH,
	MAPI_VERB_CREATE,
	MAPI_VERB_UPDATE,
	MAPI_VERB_PATCH,
	MAPI_VERB_DELETE,
	MAPI_VERB_DELETECOLLECTION,
};

/* What a resource request names; decoded, NUL-terminated, "" if absent. */
struct mapi_ref {
	char group[MAPI_REF_GROUP_MAX];       /* "" for the core group */
	char version[MAPI_REF_VERSION_MAX];   /* "v1" */
	char resource[MAPI_REF_RESOURCE_MAX]; /* plural: "pods" */
	char ns[MAPI_REF_NS_MAX];             /* namespace */
	char name[MAPI_REF_NAME_MAX];
	char subresource[MAPI_REF_SUB_MAX]; /* "token", "status" */
};

struct mapi_route {
	enum mapi_endpoint endpoint;
	bool resource_request; /* endpoint == MAPI_EP_RESOURCE */
	enum mapi_verb verb;   /* MAPI_VERB_NONE unless resource_request */
	char verb_name[24];    /* authz verb: "list", or "get"/"post" */
	struct mapi_ref ref;   /* group/version also for GROUP_VERSION */
	/* Decoded remainder, segments joined by '/': OPENAPI_V3_PATH, MOCK_UI,
	 * and the check of HEALTHZ/LIVEZ/READYZ ("" for the bare path). */
	char rest[MAPI_ROUTE_REST_MAX];
};

/*
 * Matches method and raw path (no query; not decoded). query is the raw
 * query string (may be NULL or ""); only "watch" is read from it.
 * MAPI_ENOTFOUND / MAPI_EINVAL as described above; *out_route unchanged
 * then.
 */
MAPI_NODISCARD enum mapi_err mapi_router_match(const char *method,
                                               const char *raw_path,
                                               const char *query,
                                               struct mapi_route *out_route);

/* "get", "list", ... ; "" for MAPI_VERB_NONE. */
const char *mapi_verb_name(enum mapi_verb verb);

/* A stable name for an endpoint ("MAPI_EP_VERSION"), for logs and tests. */
const char *mapi_endpoint_name(enum mapi_endpoint ep);
