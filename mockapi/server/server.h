/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * server: owns and wires every component (clock, authn, HTTP transport,
 * dispatch table) and the state directory; start and stop.
 *
 * The state directory (created 0700 if missing) holds the PEM files
 * ca.crt/ca.key and tls.crt/tls.key (made by auth/pki on first start and
 * reused; a serving cert that does not chain to ca.crt is refused), the
 * ServiceAccount signing keys sa.key (RS256) / sa-es256.key (ES256), and:
 *   admin-token  the static admin bearer token (0600), made on first start
 *                from the OS random source and reused afterwards;
 *   kubeconfig   (0600) cluster "mockapi" (server https://HOST:PORT,
 *                certificate-authority-data = ca.crt), user
 *                "mockapi-admin" (the admin token), context "mockapi"
 *                (namespace default), current-context mockapi.
 * --port-file is written after bind, atomically (temp file + rename).
 *
 * Request flow: router → authn (401) → authorization (403) → the
 * handler of the dispatch table row for the endpoint (api/api.h); unknown
 * URLs get Go's "404 page not found".
 *
 * Ownership: the config is copied (its strings must outlive the server,
 *   e.g. point into argv). Strings returned by accessors are borrowed
 *   until mapi_server_stop().
 * Threads: start/stop from one thread; accessors from any thread.
 * Errors: enum mapi_err with a one-line diag; MAPI_EIO for unreadable state
 *   files or a taken port, MAPI_EINVAL for a bad config. main exits 2.
 */

#include "errors.h"

struct mapi_authn;
struct mapi_authz;
struct mapi_events;
struct mapi_harness;
struct mapi_tokens;
struct mapi_clock;
struct mapi_keyset;
struct mapi_satokens;
struct mapi_store;
struct mapi_config;
struct mapi_server;

/* Starts serving; on MAPI_OK *out_server is running. */
MAPI_NODISCARD enum mapi_err mapi_server_start(const struct mapi_config *cfg,
                                               struct mapi_server **out_server,
                                               struct mapi_diag *diag);

/* The bound port. */
unsigned mapi_server_port(const struct mapi_server *server);

/* "https://127.0.0.1:6443" ("https://[::1]:6443"; http:// if insecure). */
const char *mapi_server_url(const struct mapi_server *server);

/* The host clients should use: "127.0.0.1", "::1" (unbracketed). */
const char *mapi_server_host(const struct mapi_server *server);

/* Absolute paths of the state dir and the kubeconfig written there. */
const char *mapi_server_state_dir(const struct mapi_server *server);
const char *mapi_server_kubeconfig_path(const struct mapi_server *server);

/* The running config, the clock and the authenticator (borrowed). */
const struct mapi_config *mapi_server_config(const struct mapi_server *server);
struct mapi_clock *mapi_server_clock(const struct mapi_server *server);
struct mapi_authn *mapi_server_authn(const struct mapi_server *server);

/* The object store, the signing keyset and the authorizer (borrowed). */
struct mapi_store *mapi_server_store(const struct mapi_server *server);
struct mapi_keyset *mapi_server_keyset(const struct mapi_server *server);
struct mapi_authz *mapi_server_authz(const struct mapi_server *server);

/*
 * The ServiceAccount token service and authenticator (borrowed), and the
 * CA certificate PEM (NULL when serving plain HTTP).
 */
struct mapi_satokens *mapi_server_satokens(const struct mapi_server *server);
const char *mapi_server_ca_pem(const struct mapi_server *server);

/* The ServiceAccount token service (auth/tokens; borrowed). */
const struct mapi_tokens *mapi_server_tokens(const struct mapi_server *server);

/*
 * Harness controls (server/harness.h): the event rings (token lifecycle
 * events and the request journal) and the harness itself (borrowed).
 */
struct mapi_events *mapi_server_events(const struct mapi_server *server);
struct mapi_harness *mapi_server_harness(const struct mapi_server *server);

/* The pod the default <state-dir>/serviceaccount volume is bound to. */
#define MAPI_SERVER_DEFAULT_POD "default/web-7d4b9c8f5-x2k8p"

/* Stops serving (in-flight requests finish), frees. Accepts NULL. */
void mapi_server_stop(struct mapi_server *server);
