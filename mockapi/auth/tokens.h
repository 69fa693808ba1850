/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * tokens: ServiceAccount token semantics exactly as kube-apiserver 1.32 —
 * the TokenRequest lifetime policy, the claims of bound and legacy tokens,
 * issuing (signing with the keyset's active key through auth/jwt) and
 * validating a bearer token into an identity or the exact reason string
 * kube-apiserver would give.
 *
 * Layering: tokens never touches the store. Live objects (the
 * ServiceAccount, the bound Pod/Secret/Node) are read through a lookup
 * callback (mapi_tokens_lookup_fn) the caller provides, so the module is
 * testable with a table and stays below state/. Randomness (the jti) comes
 * from a caller callback too, so `--seed` runs are reproducible. Time is
 * always an explicit argument (ns since the epoch, from sim/clock).
 *
 * Upstream sources followed (kubernetes/kubernetes, 1.30–1.32 shape):
 * pkg/serviceaccount/{claims,jwt,legacy}.go,
 * pkg/registry/core/serviceaccount/storage/token.go,
 * pkg/apis/authentication/validation; go-jose v2.6.0 jwt validation.
 *
 * Ownership: struct mapi_tokens copies every config string at
 *   mapi_tokens_new(); the keyset and the callback payloads are borrowed
 *   and must outlive it. Output structs own their heap members; release
 *   them with the matching _clear() function (NULL-safe, idempotent).
 *   Strings returned through char ** are malloc'd; free() them.
 * Thread safety: a struct mapi_tokens is immutable after creation; issue
 *   and validate may run on many threads at once provided the lookup and
 *   random callbacks are thread-safe. No locks are held while signing.
 * Errors: enum mapi_err; outputs written only on MAPI_OK. A token that is
 *   refused is NOT an error: mapi_tokens_validate() returns MAPI_OK with a
 *   verdict; errors are ENOMEM, EINVAL (bad arguments), ECRYPTO, or an
 *   error a lookup callback returned other than MAPI_ENOTFOUND.
 * Secrets: a token is never copied into a diag, a reason or a log.
 * Limits: at most MAPI_TOKENS_MAX_AUDIENCES audiences per list; tokens up
 *   to MAPI_JWT_DEFAULT_MAX_LEN (longer ones are "not ours").
 * Known deviations from kube-apiserver (all need a token signed by one of
 *   our keys with a payload we never produce, or are the caller's job):
 *   - auth/jwt's strict parser refuses some tokens go-jose would parse
 *     (duplicate JSON keys, non-canonical base64url, over 16 KiB, a missing
 *     alg): those are NOT_OURS here instead of a signature error.
 *   - A claim of the wrong type is reported from the first key that
 *     verifies (upstream aggregates it with the other keys' errors), with
 *     the go-jose json fork's "json: cannot unmarshal X into Go value of
 *     type T" text.
 *   - Legacy tokens: patching the kubernetes.io/legacy-token-last-used
 *     label and the "auto-generated secret-based token" warning are left to
 *     the caller (result.secret_name names the Secret).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/jwt.h"
#include "errors.h"

struct cJSON;
struct mapi_keyset;
struct mapi_tokens;

/* The issuer of Secret-based (legacy) tokens. */
#define MAPI_TOKENS_LEGACY_ISSUER "kubernetes/serviceaccount"
/* kubeadm's and kind's default --service-account-issuer. */
#define MAPI_TOKENS_DEFAULT_ISSUER \
	"https://kubernetes.default.svc.cluster.local"
/* Validation leeway for exp/nbf/iat and deletionTimestamps (go-jose). */
#define MAPI_TOKENS_LEEWAY 60
/* The kubelet's magic expirationSeconds and the extended lifetime. */
#define MAPI_TOKENS_WARN_ONLY_TTL 3607
#define MAPI_TOKENS_EXTENDED_TTL  INT64_C(31536000)
/* Largest expirationSeconds accepted: 2^32. */
#define MAPI_TOKENS_MAX_EXPIRATION (INT64_C(1) << 32)
/* Bound on every audience list (config, request, token). */
#define MAPI_TOKENS_MAX_AUDIENCES 64
/* A UUID v4 string plus NUL. */
#define MAPI_TOKENS_JTI_SIZE 37

/* Fills buf with n random bytes. Must be thread-safe if shared. */
typedef void mapi_tokens_random_fn(void *payload, uint8_t *buf, size_t n);

/*
 * A live object as validation and binding need it. The lookup callback
 * fills it; every char * is malloc'd (or NULL for absent) and is freed by
 * tokens with mapi_tokens_object_clear().
 */
struct mapi_tokens_object {
	char *uid;                  /* metadata.uid */
	int64_t deletion_timestamp; /* deletionTimestamp, s; 0 = none */
	char *service_account_name; /* pods: spec.serviceAccountName */
	char *node_name;            /* pods: spec.nodeName ("" = unscheduled) */
	char *data_token;           /* secrets: data.token, base64-DECODED */
	size_t data_token_len;
	char *invalid_since; /* secrets: label kubernetes.io/legacy-token-
	                        invalid-since, NULL when absent */
};

/* Frees the members and zeroes the struct. Accepts NULL. */
void mapi_tokens_object_clear(struct mapi_tokens_object *obj);

/*
 * Looks up one live object. resource is "serviceaccounts", "pods",
 * "secrets" or "nodes"; ns is NULL for nodes. On MAPI_OK *out is filled
 * (it arrives zeroed). MAPI_ENOTFOUND when the object does not exist; any
 * other error aborts the operation and is passed to the caller.
 */
typedef enum mapi_err mapi_tokens_lookup_fn(void *payload, const char *resource,
                                            const char *ns, const char *name,
                                            struct mapi_tokens_object *out);

struct mapi_tokens_config {
	const char *issuer; /* NULL → MAPI_TOKENS_DEFAULT_ISSUER */
	/* NULL-terminated lists; NULL → {issuer} / {issuer, legacy issuer} */
	const char *const *api_audiences;
	const char *const *accepted_issuers;
	int64_t min_ttl;            /* s; 0 → 600 */
	int64_t default_ttl;        /* s; 0 → 3600 */
	int64_t max_ttl;            /* s; 0 → no clamp */
	bool extend;                /* the 3607 s → one year rule */
	struct mapi_keyset *keyset; /* borrowed; required for issue/validate */
	mapi_tokens_lookup_fn *lookup; /* required for validate and bind */
	void *lookup_payload;
	mapi_tokens_random_fn *random_bytes; /* required for issue (jti) */
	void *random_payload;
};

/* kube-apiserver's defaults: issuer/audiences NULL, ttl 0, extend true. */
void mapi_tokens_config_init(struct mapi_tokens_config *cfg);

/*
 * Creates a token service from cfg (strings copied, defaults applied).
 * MAPI_EINVAL with a message in diag when min_ttl < 1, default_ttl is not
 * in [min_ttl, 2^32], max_ttl is set but below min_ttl or above 2^32, a
 * list is empty or longer than MAPI_TOKENS_MAX_AUDIENCES, or the issuer is
 * empty. (kube-apiserver itself requires max in [1h, 2^32]; the mock also
 * allows shorter caps for teaching.)
 */
MAPI_NODISCARD enum mapi_err
mapi_tokens_new(const struct mapi_tokens_config *cfg, struct mapi_tokens **out,
                struct mapi_diag *diag);

/* Accepts NULL. */
void mapi_tokens_free(struct mapi_tokens *t);

/* The issuer (borrowed). */
const char *mapi_tokens_issuer(const struct mapi_tokens *t);

/* The API audiences (borrowed array of *out_n strings). */
const char *const *mapi_tokens_api_audiences(const struct mapi_tokens *t,
                                             size_t *out_n);

/* ------------------------------------------------------------ policy */

enum mapi_tokens_bound {
	MAPI_TOKENS_BOUND_NONE = 0,
	MAPI_TOKENS_BOUND_POD,
	MAPI_TOKENS_BOUND_SECRET,
	MAPI_TOKENS_BOUND_NODE,
};

struct mapi_tokens_lifetime_in {
	bool has_expiration;        /* false: spec.expirationSeconds null */
	int64_t expiration_seconds; /* as requested, when has_expiration */
	enum mapi_tokens_bound bound;
	const char *const *audiences; /* spec.audiences; n = 0 → API auds */
	size_t n_audiences;
};

struct mapi_tokens_lifetime {
	int64_t expiration_seconds; /* spec.expirationSeconds after clamping */
	int64_t jwt_ttl;            /* exp - iat of the JWT */
	int64_t warnafter;          /* warnafter - iat; 0 = no warnafter */
	bool extended;              /* the one-year rule applied */
	char warning[128];          /* "" or the Warning: 299 text */
};

/*
 * The TokenRequest lifetime policy, in token.go's order: default the
 * expiration (default_ttl), validate it (>= min_ttl, <= 2^32), clamp to
 * max_ttl with the warning "requested expiration of N seconds shortened to
 * M seconds", then extend when extend is on, the token is pod-bound, the
 * (clamped) expiration is exactly 3607 and every requested audience is an
 * API audience: jwt_ttl 31536000, warnafter 3607.
 * On a validation failure returns MAPI_EINVALID with diag->msg set to the
 * full kube-apiserver message, e.g. `TokenRequest.authentication.k8s.io ""
 * is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a
 * duration less than 10 minutes`, and diag->field "spec.expirationSeconds".
 * (A non-default min_ttl is worded the same way: "less than 1 second".)
 */
MAPI_NODISCARD enum mapi_err
mapi_tokens_lifetime(const struct mapi_tokens *t,
                     const struct mapi_tokens_lifetime_in *in,
                     struct mapi_tokens_lifetime *out, struct mapi_diag *diag);

/* ------------------------------------------------------------ claims */

struct mapi_tokens_ref {
	const char *name;
	const char *uid; /* NULL or "" → omitted (omitempty) */
};

struct mapi_tokens_claims_in {
	const char *issuer;
	const char *ns;
	struct mapi_tokens_ref sa;
	enum mapi_tokens_bound bound;
	struct mapi_tokens_ref object; /* the bound pod / secret / node */
	struct mapi_tokens_ref node;   /* pod-bound only: the pod's node;
	                                  name NULL = unscheduled */
	const char *const *audiences;
	size_t n_audiences;
	int64_t iat;       /* nbf = iat */
	int64_t exp;       /* absolute */
	int64_t warnafter; /* absolute; 0 = none */
	const char *jti;   /* NULL or "" → omitted */
};

/*
 * Builds the claims object of a bound token (claims.go Claims()): iss, sub
 * "system:serviceaccount:<ns>:<name>", aud (array; omitted when empty),
 * exp, iat, nbf, jti, and "kubernetes.io" {namespace, serviceaccount
 * {name, uid}, pod / secret / node {name, uid}, warnafter}, keys in sorted
 * order, empty strings omitted as Go's omitempty does (serviceaccount is
 * a struct, so it is always present). A pod-bound token also gets node
 * when in->node.name is set. *out is a new cJSON object. MAPI_EINVAL when
 * ns / sa.name is NULL or a bound object has no name.
 */
MAPI_NODISCARD enum mapi_err
mapi_tokens_claims(const struct mapi_tokens_claims_in *in, struct cJSON **out);

/*
 * Builds legacy Secret-token claims (legacy.go LegacyClaims, §1.3): iss
 * "kubernetes/serviceaccount", sub, and the four flat
 * "kubernetes.io/serviceaccount/..." keys (always present, as upstream has
 * no omitempty there). No exp, iat, nbf, aud or jti.
 */
MAPI_NODISCARD enum mapi_err
mapi_tokens_legacy_claims(const char *ns, const struct mapi_tokens_ref *sa,
                          const char *secret_name, struct cJSON **out);

/*
 * A random UUID v4 ("xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx", lower-case)
 * from 16 bytes of random_bytes, into out (MAPI_TOKENS_JTI_SIZE bytes).
 */
void mapi_tokens_uuid4(mapi_tokens_random_fn *random_bytes, void *payload,
                       char out[MAPI_TOKENS_JTI_SIZE]);

/* ------------------------------------------------------------ issue */

struct mapi_tokens_request {
	const char *ns;
	struct mapi_tokens_ref sa; /* the ServiceAccount; uid as stored */
	enum mapi_tokens_bound bound;
	struct mapi_tokens_ref object; /* bound object, uid as stored */
	struct mapi_tokens_ref node;   /* pod-bound: see claims_in */
	bool has_expiration;
	int64_t expiration_seconds;
	const char *const *audiences; /* n = 0 → API audiences */
	size_t n_audiences;
};

struct mapi_tokens_issued {
	char *token;      /* the compact JWS */
	char **audiences; /* spec.audiences after defaulting */
	size_t n_audiences;
	int64_t expiration_seconds;   /* spec.expirationSeconds after clamp */
	int64_t creation_timestamp;   /* now, s */
	int64_t expiration_timestamp; /* now + expiration_seconds (NOT exp) */
	int64_t iat;
	int64_t exp;       /* the JWT exp (one year if extended) */
	int64_t warnafter; /* absolute; 0 = none */
	bool extended;
	char warning[128]; /* "" or the Warning: 299 text */
	char jti[MAPI_TOKENS_JTI_SIZE];
	char kid[64]; /* kid of the signing key */
};

/*
 * Issues a bound token for an already resolved request (see
 * mapi_tokens_bind for the §2.5 checks): runs mapi_tokens_lifetime (same
 * errors), draws a jti, builds the claims and signs them with the
 * keyset's active key. now_ns is the request time; iat = floor(now).
 * MAPI_EUNAVAILABLE when the keyset has no active key; MAPI_ECRYPTO when
 * signing fails (the caller reports `failed to generate token: ...`).
 */
MAPI_NODISCARD enum mapi_err
mapi_tokens_issue(const struct mapi_tokens *t,
                  const struct mapi_tokens_request *req, int64_t now_ns,
                  struct mapi_tokens_issued *out, struct mapi_diag *diag);

/* Frees the members and zeroes the struct. Accepts NULL. */
void mapi_tokens_issued_clear(struct mapi_tokens_issued *out);

/*
 * Issues a legacy Secret token (what kube-controller-manager's tokens
 * controller writes into data.token), signed with the active key.
 */
MAPI_NODISCARD enum mapi_err
mapi_tokens_issue_legacy(const struct mapi_tokens *t, const char *ns,
                         const struct mapi_tokens_ref *sa,
                         const char *secret_name, char **out_token);

/* A TokenRequest spec.boundObjectRef as sent (any field may be NULL). */
struct mapi_tokens_bound_ref {
	const char *api_version;
	const char *kind;
	const char *name;
	const char *uid;
};

/* What mapi_tokens_bind resolved; strings malloc'd, NULL when absent. */
struct mapi_tokens_binding {
	enum mapi_tokens_bound bound;
	char *uid;       /* the live object's uid */
	char *node_name; /* pod-bound and scheduled: spec.nodeName */
	char *node_uid;  /* ... and the Node's uid, NULL if the Node is missing
	                  */
};

/*
 * The bound-object checks of TokenRequest (token.go, §2.5), to run after
 * the ServiceAccount was found and mapi_tokens_lifetime passed: the group
 * of ref->api_version must be core and the kind Pod, Node or Secret; the
 * object must exist (lookup); a pod must run under sa_name; a non-empty
 * ref->uid must equal the live uid; a scheduled pod's Node is looked up
 * (missing → only its name is kept). On MAPI_OK *out is filled. On failure
 * diag->msg holds the exact kube-apiserver message and the code is
 * MAPI_EINVAL (400: `cannot bind token to object of type /v1,
 * Kind=ConfigMap`, `cannot bind token for serviceaccount "x" to pod running
 * with different serviceaccount name.`), MAPI_ENOTFOUND (`pods "p1" not
 * found`) or MAPI_ECONFLICT (`Operation cannot be fulfilled on Pod "p1":
 * ...`; diag->field holds the Kind for Status details.kind); a lookup's
 * other errors pass through.
 */
MAPI_NODISCARD enum mapi_err
mapi_tokens_bind(const struct mapi_tokens *t, const char *ns,
                 const char *sa_name, const struct mapi_tokens_bound_ref *ref,
                 struct mapi_tokens_binding *out, struct mapi_diag *diag);

/* Frees the members and zeroes the struct. Accepts NULL. */
void mapi_tokens_binding_clear(struct mapi_tokens_binding *b);

/* ------------------------------------------------------------ validate */

enum mapi_tokens_verdict {
	MAPI_TOKENS_NOT_OURS = 0,  /* silent: not a SA token of ours */
	MAPI_TOKENS_REJECTED,      /* ours, refused: see reason */
	MAPI_TOKENS_AUTHENTICATED, /* see identity */
};

/* One user.Info extra entry (each has exactly one value for SA tokens). */
struct mapi_tokens_extra {
	const char *key; /* static string, e.g.
	                    "authentication.kubernetes.io/pod-name" */
	char *value;
};

/*
 * The user.Info of a ServiceAccount token. groups are system:serviceaccounts
 * and system:serviceaccounts:<ns> only: "system:authenticated" is added by
 * auth/authn (as kube-apiserver's authenticated-group adder does).
 */
struct mapi_tokens_identity {
	char *username; /* system:serviceaccount:<ns>:<name> */
	char *uid;      /* the ServiceAccount's uid (from the claim) */
	char *groups[2];
	size_t n_groups;
	struct mapi_tokens_extra extra[5]; /* sorted by key */
	size_t n_extra;
};

struct mapi_tokens_result {
	enum mapi_tokens_verdict verdict;
	char *reason; /* REJECTED: the exact inner reason, else NULL */
	/* AUTHENTICATED only: */
	struct mapi_tokens_identity identity;
	char **audiences; /* token aud ∩ target audiences (status.audiences) */
	size_t n_audiences;
	char *ns; /* the SA's namespace and name */
	char *name;
	char *jti;                   /* NULL when the token has none */
	int64_t iat, exp, warnafter; /* 0 when absent */
	bool stale;                  /* now is after warnafter */
	bool legacy;                 /* a Secret-based token */
	char *secret_name; /* legacy: the Secret, for the last-used label */
};

/*
 * Validates token[0..len) as kube-apiserver's ServiceAccount
 * authenticators do (§1.4, §1.3), against the target audiences (n = 0 →
 * the API audiences) at now_ns:
 *   not '{', 3 parts, unverified iss accepted — else NOT_OURS;
 *   kid → key (`invalid signature, no keys found`), signature
 *   (`square/go-jose: error in cryptographic primitive`), claim types,
 *   issuer (`token issuer "x" is invalid`), audiences (`token audiences
 *   ["a"] is invalid for the target audiences ["b"]`), then for bound
 *   tokens time claims with 60 s leeway (nbf, exp, iat order) and the live
 *   lookups (SA, bound secret / pod / node) and for legacy tokens the
 *   claim presence, sub, Secret and SA checks.
 * Returns MAPI_OK with out filled for every verdict. The caller formats
 * TokenReview status.error with mapi_tokens_review_error().
 */
MAPI_NODISCARD enum mapi_err
mapi_tokens_validate(const struct mapi_tokens *t, const char *token, size_t len,
                     const char *const *audiences, size_t n_audiences,
                     int64_t now_ns, struct mapi_tokens_result *out);

/* Frees the members and zeroes the struct. Accepts NULL. */
void mapi_tokens_result_clear(struct mapi_tokens_result *r);

/*
 * The strict parse mapi_tokens_validate starts with (auth/jwt rules,
 * RS256/ES256, MAPI_JWT_DEFAULT_MAX_LEN), exposed so that a caller who
 * also reads the token's unverified header and claims (server/satokens,
 * for events) parses it once: mapi_tokens_parse() then
 * mapi_tokens_validate_parsed() is exactly mapi_tokens_validate().
 */
struct mapi_tokens_parsed {
	struct mapi_jwt *jwt;     /* owned; NULL when the parse refused it */
	enum mapi_jwt_reason why; /* the refusal, when jwt is NULL */
};

/* MAPI_OK whether or not the token parsed; MAPI_ENOMEM. */
MAPI_NODISCARD enum mapi_err mapi_tokens_parse(const char *token, size_t len,
                                               struct mapi_tokens_parsed *out);

/* Frees the token and zeroes the struct. Accepts NULL. */
void mapi_tokens_parsed_clear(struct mapi_tokens_parsed *p);

/*
 * mapi_tokens_validate for a token already through mapi_tokens_parse
 * (parsed must come from token[0..len)); parsed is only read.
 */
MAPI_NODISCARD enum mapi_err
mapi_tokens_validate_parsed(const struct mapi_tokens *t, const char *token,
                            size_t len,
                            const struct mapi_tokens_parsed *parsed,
                            const char *const *audiences, size_t n_audiences,
                            int64_t now_ns, struct mapi_tokens_result *out);

/*
 * The TokenReview status.error string (§3.4): `invalid bearer token` for
 * NOT_OURS (or a reason equal to that text, as the aggregate collapses
 * duplicates), `[invalid bearer token, <reason>]` for REJECTED. *out is
 * malloc'd. MAPI_EINVAL for an AUTHENTICATED result.
 */
MAPI_NODISCARD enum mapi_err
mapi_tokens_review_error(const struct mapi_tokens_result *r, char **out);

/*
 * Go's fmt %q of a []string: `["a" "b"]`, each element quoted as
 * strconv.Quote does (\" \\ \a \b \f \n \r \t \v, \xNN for invalid UTF-8,
 * \u00NN / \uNNNN for control and other non-printable runes). *out is
 * malloc'd. (Printability covers controls, C1, soft hyphen, U+2028/9,
 * BOM, surrogates, private use and non-characters; other unassigned
 * code points are printed as is.)
 */
MAPI_NODISCARD enum mapi_err mapi_tokens_go_quote_list(const char *const *v,
                                                       size_t n, char **out);

/* Go's %q of one string; *out is malloc'd. */
MAPI_NODISCARD enum mapi_err mapi_tokens_go_quote(const char *s, char **out);
