/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * saclient: the paired client library for mockapi (and any Kubernetes API
 * server). It finds the API server and credentials the way real clients do
 * (in-cluster files and environment, or a kubeconfig), holds a
 * ServiceAccount token with one of the refresh strategies real clients use
 * (static, read-once, reread, TokenRequest), and calls the API over HTTPS,
 * always verifying the server against the cluster CA. It also decodes and
 * verifies tokens locally (sac_jwt_*).
 *
 * Ownership: every sac_*_new()/_load() result is freed by the matching
 *   _free(), which accepts NULL. Strings returned through out-parameters are
 *   malloc'd and freed by the caller with free() unless documented as
 *   borrowed; cJSON results are freed with cJSON_Delete(). Tokens held by
 *   the library are wiped before being freed. The library never prints a
 *   token, and never prints anything at all except the one stderr warning
 *   when insecure_skip_tls_verify is on.
 * Thread safety: a struct sac_config is immutable after loading and may be
 *   shared. A struct sac_client (and its token source) is used by one thread
 *   at a time. The first sac_client_new() initialises libcurl globally, so
 *   create the first client before starting threads.
 * Errors: enum sac_err, SAC_OK == 0. Functions that can fail take an
 *   optional struct sac_diag * that receives one human-readable line (file
 *   and line for kubeconfig errors, the TLS error for certificate failures,
 *   kubectl's wording for API errors). Outputs are written only on SAC_OK.
 *   sac_exit_code() maps errors to the CLI's documented exit codes.
 * Seams for tests: all time reads and sleeps go through struct sac_clock;
 *   all HTTP goes through a sac_http_fn (struct sac_client_options.http),
 *   and the TokenRequest source posts through one too.
 * Limits: response bodies <= 64 MiB, token files <= 1 MiB, tokens given to
 *   sac_jwt_decode() <= 64 KiB, JWKS documents <= 4 MiB.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define SAC_NODISCARD __attribute__((warn_unused_result))
#else
#define SAC_NODISCARD
#endif

	struct cJSON;

enum sac_err {
	SAC_OK = 0,
	SAC_ENOMEM,   /* allocation failed */
	SAC_EINVAL,   /* bad argument or unparsable input */
	SAC_ECONFIG,  /* no usable configuration (kubeconfig or in-cluster) */
	SAC_EIO,      /* a file could not be read */
	SAC_ENETWORK, /* could not connect / connection lost */
	SAC_ETLS,     /* TLS failure: unknown CA, bad certificate, handshake */
	SAC_EAUTH,    /* 401 Unauthorized (after any refresh and retry) */
	SAC_EFORBIDDEN, /* 403 Forbidden */
	SAC_ENOTFOUND,  /* 404 Not Found */
	SAC_EHTTP,      /* any other non-2xx HTTP status */
	SAC_ETOKEN,     /* no usable token (missing/empty file, not a JWT) */
	SAC_ETIMEOUT,   /* a bounded wait or retry budget ran out */
	SAC_ERR_COUNT_
};

/* A stable short name ("SAC_ETLS"); never NULL. */
const char *sac_err_name(enum sac_err err);

/*
 * The body of a failed API call: metav1.Status (message, reason, code), or
 * made up from the HTTP status as client-go does when the body is not a
 * Status. code is 0 when the failure did not come from an HTTP response.
 */
struct sac_status {
	long code;         /* HTTP status, e.g. 403; 0 if none */
	char reason[64];   /* Status.reason, e.g. "Forbidden"; may be "" */
	char message[768]; /* Status.message, or client-go's generic text */
};

/*
 * One human-readable line about a failure. msg is what saclient prints;
 * for API errors it is kubectl's wording ("Error from server (Forbidden):
 * <message>", "You must be logged in to the server (Unauthorized)").
 * status is filled by API calls that failed on an HTTP status and zeroed
 * by every sac_client_* call on entry. Zero-initialise before use.
 */
struct sac_diag {
	char msg[1024];
	struct sac_status status;
};

/* The library version, e.g. "0.1.0". Never NULL. */
const char *sac_version(void);

/*
 * Where the API server is and how to authenticate to it. All strings are
 * owned by the config (NULL when absent).
 */
struct sac_config {
	char *server;  /* "https://127.0.0.1:6443" */
	char *ca_file; /* path of the CA bundle, or NULL */
	char *ca_data; /* PEM bytes of the CA bundle, or NULL */
	size_t ca_len;
	char *token;      /* a static bearer token, or NULL */
	char *token_file; /* a token file to (re-)read, or NULL */
	char *namespace_; /* the default namespace ("default" if unset) */
	char *context;    /* the kubeconfig context used, or NULL */
	char *origin;     /* "in-cluster" or the kubeconfig file's path */
	bool insecure_skip_tls_verify;
};

/* Default in-cluster directory and its test override variable. */
#define SAC_SERVICEACCOUNT_DIR     "/var/run/secrets/kubernetes.io/serviceaccount"
#define SAC_SERVICEACCOUNT_DIR_ENV "SACLIENT_SERVICEACCOUNT_DIR"

/*
 * In-cluster configuration, as client-go's rest.InClusterConfig():
 * KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set and
 * non-empty (IPv6 hosts are bracketed); token_file is <dir>/token (which
 * must exist), ca_file <dir>/ca.crt, the namespace from <dir>/namespace.
 * <dir> is $SACLIENT_SERVICEACCOUNT_DIR when set, else the standard path.
 * SAC_ECONFIG with a diag naming what is missing.
 */
SAC_NODISCARD enum sac_err sac_config_in_cluster(struct sac_config **out_config,
                                                 struct sac_diag *diag);

/*
 * Kubeconfig configuration. paths is a KUBECONFIG-style list separated by
 * ':' (NULL: $KUBECONFIG, else ~/.kube/config). As kubectl does, the first
 * file that sets a value wins for current-context, and clusters, users and
 * contexts are merged by name, first definition winning. context selects a
 * context (NULL: current-context); namespace_override replaces the
 * context's namespace when not NULL. Supports clusters with server,
 * certificate-authority (relative to the file), certificate-authority-data,
 * insecure-skip-tls-verify; users with token and tokenFile.
 * SAC_ECONFIG / SAC_EIO with "file:line: what" in diag.
 */
SAC_NODISCARD enum sac_err sac_config_kubeconfig(const char *paths,
                                                 const char *context,
                                                 const char *namespace_override,
                                                 struct sac_config **out_config,
                                                 struct sac_diag *diag);

/* Accepts NULL. Wipes the token. */
void sac_config_free(struct sac_config *config);

/*
 * Exit codes of the saclient CLI (also printed by `saclient --help`).
 */
enum sac_exit {
	SAC_EXIT_OK = 0,      /* success */
	SAC_EXIT_API = 1,     /* the API answered 4xx/5xx (not 401) */
	SAC_EXIT_USAGE = 2,   /* bad command line */
	SAC_EXIT_CONFIG = 3,  /* kubeconfig / in-cluster configuration */
	SAC_EXIT_NETWORK = 4, /* unreachable, TLS failure, timeout */
	SAC_EXIT_AUTH = 5,    /* 401 Unauthorized, or a review said "no" */
	SAC_EXIT_TOKEN = 6, /* no usable token: missing/empty file, not a JWT */
	SAC_EXIT_SCENARIO = 7, /* scenario: an expectation was not met */
};

/*
 * The exit code for an error: OK 0; EFORBIDDEN/ENOTFOUND/EHTTP/ENOMEM 1;
 * EINVAL 2; ECONFIG/EIO 3; ENETWORK/ETLS/ETIMEOUT 4; EAUTH 5; ETOKEN 6.
 * Cannot fail.
 */
enum sac_exit sac_exit_code(enum sac_err err);

/*
 * Parses a duration as kubectl/Go does for flags: a sequence of
 * <number><unit> with units h, m, s, ms ("2h", "1h30m", "90s", "500ms");
 * a bare "0" is allowed. Negative values and other units are SAC_EINVAL.
 * *out_ms is written only on SAC_OK.
 */
SAC_NODISCARD enum sac_err sac_duration_parse(const char *text,
                                              int64_t *out_ms);

/*
 * kubectl's duration.HumanDuration: "45s", "3m20s", "57m", "2h5m", "3d4h",
 * "400d", "2y30d". Negative durations are printed as their absolute value.
 * Writes at most len bytes (NUL-terminated) into buf and returns buf.
 */
char *sac_duration_human(int64_t seconds, char *buf, size_t len);

/* ---- Time and sleep seams ------------------------------------------ */

/* Milliseconds since the Unix epoch (CLOCK_REALTIME by default). */
typedef int64_t sac_clock_fn(void *payload);

/* Sleeps for ms milliseconds (a fake may just advance its clock). */
typedef void sac_sleep_fn(int64_t ms, void *payload);

/*
 * Every read of "now" and every sleep in libsaclient goes through one of
 * these. Tests pass a fake whose sleep advances its clock; NULL wherever a
 * const struct sac_clock * is accepted means sac_clock_system().
 */
struct sac_clock {
	sac_clock_fn *now_ms;
	sac_sleep_fn *sleep_ms;
	void *payload;
};

/* The system clock (CLOCK_REALTIME, nanosleep). Static; never NULL. */
const struct sac_clock *sac_clock_system(void);

/* clock->now_ms(), with NULL meaning the system clock. */
int64_t sac_clock_now_ms(const struct sac_clock *clock);

/* clock->sleep_ms(), with NULL meaning the system clock; ms <= 0: no-op. */
void sac_clock_sleep_ms(const struct sac_clock *clock, int64_t ms);

/* ---- HTTP seam ----------------------------------------------------- */

/* One HTTP response; owned by whoever it was handed to. */
struct sac_http_response {
	long status; /* HTTP status code */
	char *body;  /* NUL-terminated, malloc'd */
	size_t body_len;
	long retry_after; /* seconds from Retry-After, or -1 */
	char content_type[128];
	char warning[512];    /* the first Warning header's value, or "" */
	long new_connections; /* connections opened for this request */
};

/* Frees the body and zeroes the struct. Accepts NULL. */
void sac_http_response_fini(struct sac_http_response *r);

/*
 * Sends one request: method, path (with query) relative to the API server,
 * an optional bearer token, an optional body with its Content-Type. Any
 * HTTP status is SAC_OK at this level; *out is written only on SAC_OK and
 * then owned by the caller. Errors: SAC_ENETWORK, SAC_ETLS, SAC_ETIMEOUT,
 * SAC_ENOMEM, with diag. The libcurl transport is the default
 * implementation; tests substitute their own (struct sac_client_options).
 */
typedef enum sac_err sac_http_fn(const char *method, const char *path,
                                 const char *bearer, const char *content_type,
                                 const char *body, size_t body_len,
                                 struct sac_http_response *out,
                                 struct sac_diag *diag, void *payload);

/* Called with the text of each Warning: 299 response header. */
typedef void sac_warning_fn(const char *text, void *payload);

/*
 * Parses a metav1.Status body into *out (message, reason, code). When the
 * body is not a Status, fills client-go's generic text for http_status
 * (401 "the server has asked for the client to provide credentials", 404
 * "the server could not find the requested resource", 429 "the server has
 * received too many requests and has asked us to try again later", …).
 * Cannot fail; body may be NULL.
 */
void sac_status_parse(const char *body, size_t len, long http_status,
                      struct sac_status *out);

/* ---- Token sources ------------------------------------------------- */

/*
 * A token source hands out the bearer token for each request. Strategies:
 *   static     a fixed token;
 *   read-once  a token file read on first use and never again (the bug
 *              real clients have; kept so the harness can show it);
 *   reread     a token file re-read when the cached copy is older than a
 *              period (default 60 s) and after a 401; whitespace is
 *              trimmed as client-go does; a failed read or an empty file
 *              keeps the last good token;
 *   request    TokenRequest for a ServiceAccount, authenticated by a
 *              bootstrap token source, refreshed at 80 % of its lifetime
 *              (lifetime = spec.expirationSeconds, issue time =
 *              status.expirationTimestamp - lifetime, as the kubelet) and
 *              after a 401; a failed refresh keeps the old token while it
 *              has not expired.
 * Ownership: the source owns its token; sac_token_source_get() lends it.
 * Thread safety: one thread at a time.
 */
struct sac_token_source;

enum sac_strategy {
	SAC_STRATEGY_STATIC,
	SAC_STRATEGY_READ_ONCE,
	SAC_STRATEGY_REREAD,
	SAC_STRATEGY_REQUEST,
};

/* "static", "read-once", "reread", "request"; never NULL. */
const char *sac_strategy_name(enum sac_strategy s);

/* Inverse of sac_strategy_name(); SAC_EINVAL on an unknown name. */
SAC_NODISCARD enum sac_err sac_strategy_parse(const char *name,
                                              enum sac_strategy *out);

/* Default re-read period of the reread strategy (client-go: 1 min). */
#define SAC_REREAD_PERIOD_MS_DEFAULT 60000

/* A static token (copied). SAC_ETOKEN if token is NULL or empty. */
SAC_NODISCARD enum sac_err
sac_token_source_new_static(const char *token,
                            struct sac_token_source **out_source,
                            struct sac_diag *diag);

/*
 * A token file with strategy SAC_STRATEGY_READ_ONCE or _REREAD (others are
 * SAC_EINVAL). period_ms <= 0 means SAC_REREAD_PERIOD_MS_DEFAULT; clock
 * may be NULL (system). The path is copied; the file is not read until the
 * first sac_token_source_get().
 */
SAC_NODISCARD enum sac_err
sac_token_source_new_file(const char *path, enum sac_strategy strategy,
                          int64_t period_ms, const struct sac_clock *clock,
                          struct sac_token_source **out_source,
                          struct sac_diag *diag);

/* What a request source asks for. Strings are copied. */
struct sac_request_source_config {
	const char *namespace_;       /* the ServiceAccount's namespace */
	const char *name;             /* the ServiceAccount's name */
	const char *const *audiences; /* n_audiences strings, may be NULL */
	size_t n_audiences;
	int64_t expiration_seconds;    /* 0: omitted (server default 3600) */
	const char *bound_pod;         /* bind to this Pod, or NULL */
	const struct sac_clock *clock; /* NULL: system */
};

/*
 * A TokenRequest source. The POST goes through http/payload (for the CLI,
 * sac_client_send with the client as payload) authenticated with the
 * token of bootstrap, which the new source adopts on SAC_OK (on failure
 * the caller keeps it). No request is made until the first get.
 */
SAC_NODISCARD enum sac_err sac_token_source_new_request(
	const struct sac_request_source_config *cfg,
	struct sac_token_source *bootstrap, sac_http_fn *http, void *payload,
	struct sac_token_source **out_source, struct sac_diag *diag);

/* Accepts NULL. Wipes the token(s) and frees any bootstrap source. */
void sac_token_source_free(struct sac_token_source *source);

/* The source's strategy. */
enum sac_strategy sac_token_source_strategy(const struct sac_token_source *s);

/*
 * The token to send now, refreshing first if the strategy says so.
 * *out_token is borrowed: valid until the next get/invalidate/free.
 * SAC_ETOKEN (missing/empty file, no token yet) or the TokenRequest's
 * error (SAC_EAUTH, SAC_EHTTP, SAC_ENETWORK, …) with diag; on failure
 * *out_token is unchanged.
 */
SAC_NODISCARD enum sac_err sac_token_source_get(struct sac_token_source *s,
                                                const char **out_token,
                                                struct sac_diag *diag);

/*
 * Tells the source its token was refused with 401: reread and request
 * sources refresh on the next get (static and read-once ignore it).
 */
void sac_token_source_invalidate(struct sac_token_source *s);

/*
 * The token last handed out, without refreshing (borrowed, as for get),
 * or NULL if none yet. For display: callers print at most a jti prefix.
 */
const char *sac_token_source_peek(const struct sac_token_source *s);

/* How many times the source has (re-)read or requested its token. */
unsigned sac_token_source_loads(const struct sac_token_source *s);

/*
 * TokenRequest body:
 * {"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{
 *   "audiences":[…],"expirationSeconds":N,"boundObjectRef":{…}}}
 * (audiences/expirationSeconds/boundObjectRef omitted when empty/0/NULL).
 * *out_body is malloc'd, caller frees.
 */
SAC_NODISCARD enum sac_err
sac_token_request_format(const char *const *audiences, size_t n_audiences,
                         int64_t expiration_seconds, const char *bound_pod,
                         char **out_body);

/* A TokenRequest response's status. */
struct sac_issued_token {
	char *token;                /* status.token (secret; wipe it) */
	int64_t expiration_seconds; /* spec.expirationSeconds, or 0 */
	int64_t expires_at; /* status.expirationTimestamp, epoch s, or 0 */
};

/*
 * Parses a TokenRequest response. SAC_ETOKEN when status.token is missing
 * or empty. *out is written only on SAC_OK; sac_issued_token_fini() it.
 */
SAC_NODISCARD enum sac_err
sac_token_response_parse(const char *body, size_t len,
                         struct sac_issued_token *out, struct sac_diag *diag);

/* Wipes the token and zeroes *t. Accepts NULL. */
void sac_issued_token_fini(struct sac_issued_token *t);

/* Parses RFC 3339 UTC "2025-06-01T12:00:00Z" to epoch s; SAC_EINVAL. */
SAC_NODISCARD enum sac_err sac_time_parse(const char *text, int64_t *out);

/* Formats epoch seconds as RFC 3339 UTC into buf (>= 21 bytes). */
char *sac_time_format(int64_t epoch_s, char *buf, size_t len);

/* ---- The API client ------------------------------------------------ */

/*
 * A client: one keep-alive HTTPS transport to cfg->server, a token source,
 * and the retry policy:
 *   - 401: invalidate the token source and retry once if that changed the
 *     token;
 *   - 429/503 with a numeric Retry-After: wait and retry, at most
 *     max_retries times and max_retry_wait_ms in total (client-go retries
 *     only when Retry-After is present, and so do we);
 *   - SAC_ENETWORK: retry at most max_network_retries times with
 *     exponential backoff from backoff_ms (doubling), within the same
 *     max_retry_wait_ms budget. TLS errors are never retried.
 * Ownership: the client copies cfg; it adopts its token source.
 * Thread safety: one thread at a time per client.
 */
struct sac_client;

struct sac_client_options {
	const struct sac_clock *clock; /* NULL: system */
	sac_http_fn *http;             /* NULL: the libcurl transport */
	void *http_payload;
	sac_warning_fn *on_warning; /* NULL: warnings are dropped */
	void *warning_payload;
	int max_retries;           /* 429/503 retries (default 3) */
	int max_network_retries;   /* network retries (default 3) */
	int64_t max_retry_wait_ms; /* total waiting budget (default 10000) */
	int64_t backoff_ms;        /* first network backoff (default 250) */
	long timeout_ms;           /* per request (default 30000) */
};

#define SAC_CLIENT_OPTIONS_DEFAULT                                             \
	{                                                                      \
		.clock = NULL, .http = NULL, .http_payload = NULL,             \
		.on_warning = NULL, .warning_payload = NULL, .max_retries = 3, \
		.max_network_retries = 3, .max_retry_wait_ms = 10000,          \
		.backoff_ms = 250, .timeout_ms = 30000                         \
	}

/*
 * Creates a client for cfg (copied; cfg->server is required unless
 * opts->http is set). opts may be NULL (defaults). With the default
 * transport a warning goes to stderr when insecure_skip_tls_verify is on.
 * SAC_ECONFIG/SAC_ENOMEM with diag.
 */
SAC_NODISCARD enum sac_err sac_client_new(const struct sac_config *cfg,
                                          const struct sac_client_options *opts,
                                          struct sac_client **out_client,
                                          struct sac_diag *diag);

/* Accepts NULL. Frees the adopted token source. */
void sac_client_free(struct sac_client *client);

/*
 * Gives the client its token source (NULL: send no Authorization). The
 * client takes ownership and frees any previous source. Cannot fail.
 */
void sac_client_adopt_token_source(struct sac_client *client,
                                   struct sac_token_source *source);

/* The client's token source (borrowed), or NULL. */
struct sac_token_source *
sac_client_token_source_get(const struct sac_client *client);

/* The configuration the client was made from (borrowed). */
const struct sac_config *sac_client_config_get(const struct sac_client *c);

/*
 * Sends one request with the given bearer and the 429/503/network retry
 * policy, but no token source (a sac_http_fn: payload is the client).
 * Any HTTP status is SAC_OK.
 */
SAC_NODISCARD enum sac_err sac_client_send(const char *method, const char *path,
                                           const char *bearer,
                                           const char *content_type,
                                           const char *body, size_t body_len,
                                           struct sac_http_response *out,
                                           struct sac_diag *diag, void *client);

/*
 * One authenticated request with the full retry policy. On a 2xx status
 * *out is written (caller finis it) and SAC_OK returned. Otherwise
 * SAC_EAUTH (401), SAC_EFORBIDDEN (403), SAC_ENOTFOUND (404) or SAC_EHTTP,
 * with diag->status parsed from the body and diag->msg in kubectl's
 * wording; or a token/transport error. Warnings go to on_warning.
 */
SAC_NODISCARD enum sac_err
sac_client_request(struct sac_client *client, const char *method,
                   const char *path, const char *body, size_t body_len,
                   struct sac_http_response *out, struct sac_diag *diag);

/*
 * As sac_client_request with a JSON body (may be NULL) and a parsed JSON
 * response; *out_json is the caller's (cJSON_Delete). A 2xx body that is
 * not JSON is SAC_EHTTP.
 */
SAC_NODISCARD enum sac_err
sac_client_request_json(struct sac_client *client, const char *method,
                        const char *path, const struct cJSON *body,
                        struct cJSON **out_json, struct sac_diag *diag);

/*
 * GET pods: namespace_ NULL lists all namespaces (/api/v1/pods), name NULL
 * lists (limit=500), else gets one Pod. *out_json is the PodList or Pod.
 */
SAC_NODISCARD enum sac_err
sac_pods_get(struct sac_client *client, const char *namespace_,
             const char *name, struct cJSON **out_json, struct sac_diag *diag);

/*
 * POST …/serviceaccounts/{name}/token. *out is written on SAC_OK (fini
 * it). Errors as sac_client_request, SAC_ETOKEN if no token came back.
 */
SAC_NODISCARD enum sac_err
sac_token_create(struct sac_client *client, const char *namespace_,
                 const char *name, const char *const *audiences,
                 size_t n_audiences, int64_t expiration_seconds,
                 const char *bound_pod, struct sac_issued_token *out,
                 struct sac_diag *diag);

/*
 * POST /apis/authentication.k8s.io/v1/tokenreviews for token (audiences
 * optional). *out_json is the TokenReview returned.
 */
SAC_NODISCARD enum sac_err
sac_token_review(struct sac_client *client, const char *token,
                 const char *const *audiences, size_t n_audiences,
                 struct cJSON **out_json, struct sac_diag *diag);

/* POST selfsubjectreviews; *out_json is the SelfSubjectReview. */
SAC_NODISCARD enum sac_err sac_whoami(struct sac_client *client,
                                      struct cJSON **out_json,
                                      struct sac_diag *diag);

/*
 * Formats a Pod or PodList as kubectl's table (NAME READY STATUS RESTARTS
 * AGE, NAMESPACE first when with_namespace), computed from the Pod JSON
 * with now_s for AGE. *out_text is malloc'd ("" for an empty list).
 */
SAC_NODISCARD enum sac_err sac_pods_format_table(const struct cJSON *pods,
                                                 bool with_namespace,
                                                 int64_t now_s,
                                                 char **out_text);

/* ---- Token inspection (local, untrusted) --------------------------- */

/*
 * A decoded JWT. Decoding checks only the shape (three base64url parts,
 * JSON header and payload); nothing is trusted until sac_jwt_verify_jwks.
 */
struct sac_jwt;

/*
 * Decodes a compact JWS (surrounding whitespace ignored). SAC_ETOKEN with
 * a diag such as "not a JWT: expected 3 dot-separated parts, found 1".
 */
SAC_NODISCARD enum sac_err sac_jwt_decode(const char *token,
                                          struct sac_jwt **out_jwt,
                                          struct sac_diag *diag);

/* Accepts NULL. */
void sac_jwt_free(struct sac_jwt *jwt);

/* Borrowed header / claims objects (valid until sac_jwt_free). */
const struct cJSON *sac_jwt_header_get(const struct sac_jwt *jwt);
const struct cJSON *sac_jwt_claims_get(const struct sac_jwt *jwt);

/* Borrowed claim strings, or NULL when absent. */
const char *sac_jwt_jti(const struct sac_jwt *jwt);
const char *sac_jwt_sub(const struct sac_jwt *jwt);

/* Numeric time claims ("exp", "iat", "nbf"); false when absent. */
bool sac_jwt_time_claim(const struct sac_jwt *jwt, const char *name,
                        int64_t *out_s);

/* True when the token has an exp and now_s >= exp. */
bool sac_jwt_is_expired(const struct sac_jwt *jwt, int64_t now_s);

/*
 * A short label for logs: the jti's first 8 characters, else "-".
 * Writes into buf (>= 9 bytes); returns buf. Never the token itself.
 */
char *sac_jwt_label(const struct sac_jwt *jwt, char *buf, size_t len);

/*
 * Human report: header, claims (sub, iss, aud, jti, namespace,
 * serviceaccount, bound pod/node/secret), times in human form ("issued
 * 3m ago", "expires in 57m", warnafter) relative to now_s, "EXPIRED" when
 * expired. Never includes the signature. *out_text is malloc'd.
 */
SAC_NODISCARD enum sac_err sac_jwt_format(const struct sac_jwt *jwt,
                                          int64_t now_s, char **out_text);

/*
 * Verifies the signature (RS256 or ES256; ES256 raw R‖S converted to DER)
 * against a JWKS document, choosing the key by kid (every key of the
 * right type when the token has no kid). SAC_OK: the signature is valid;
 * SAC_ETOKEN with diag ("no key with kid …", "signature does not
 * verify", "unsupported alg …"); SAC_EINVAL when jwks is not a JWKS.
 * Only the signature is checked, not exp/aud/iss.
 */
SAC_NODISCARD enum sac_err sac_jwt_verify_jwks(const struct sac_jwt *jwt,
                                               const char *jwks,
                                               size_t jwks_len,
                                               struct sac_diag *diag);
