/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * saclient: the paired client library for mockapi (and any Kubernetes API
 * server). It finds the API server and credentials the way real clients do
 * (in-cluster files and environment, or a kubeconfig), holds a
 * ServiceAccount token with one of three refresh strategies, and calls the
 * API over HTTPS, always verifying the server against the cluster CA.
 *
 * Ownership: every sac_*_new()/_load() result is freed by the matching
 *   _free(), which accepts NULL. Strings returned through out-parameters are
 *   malloc'd and freed by the caller with free() unless documented as
 *   borrowed. Tokens held by the library are wiped before being freed.
 * Thread safety: a struct sac_config is immutable after loading and may be
 *   shared. A struct sac_client (and its token source) is used by one thread
 *   at a time.
 * Errors: enum sac_err, SAC_OK == 0. Functions that can fail take an
 *   optional struct sac_diag * that receives one human-readable line (file
 *   and line for kubeconfig errors, the TLS error for certificate failures).
 *   Outputs are written only on SAC_OK.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sac_err {
	SAC_OK = 0,
	SAC_ENOMEM,     /* allocation failed */
	SAC_EINVAL,     /* bad argument or unparsable input */
	SAC_ECONFIG,    /* no usable configuration (kubeconfig or in-cluster) */
	SAC_EIO,        /* a file could not be read */
	SAC_ENETWORK,   /* could not connect / connection lost */
	SAC_ETLS,       /* TLS failure: unknown CA, bad certificate, handshake */
	SAC_EAUTH,      /* 401 Unauthorized (after any refresh and retry) */
	SAC_EFORBIDDEN, /* 403 Forbidden */
	SAC_ENOTFOUND,  /* 404 Not Found */
	SAC_EHTTP,      /* any other non-2xx HTTP status */
	SAC_ETOKEN,     /* no usable token (missing/empty file, not a JWT) */
	SAC_ETIMEOUT,   /* a bounded wait or retry budget ran out */
	SAC_ERR_COUNT_
};

/* A stable short name ("SAC_ETLS"); never NULL. */
const char *sac_err_name(enum sac_err err);

struct sac_diag {
	char msg[512];
};

/* The library version, e.g. "0.1.0". Never NULL. */
const char *sac_version(void);

/*
 * Where the API server is and how to authenticate to it. All strings are
 * owned by the config (NULL when absent).
 */
struct sac_config {
	char *server;       /* "https://127.0.0.1:6443" */
	char *ca_file;      /* path of the CA bundle, or NULL */
	char *ca_data;      /* PEM bytes of the CA bundle, or NULL */
	size_t ca_len;
	char *token;        /* a static bearer token, or NULL */
	char *token_file;   /* a token file to (re-)read, or NULL */
	char *namespace_;   /* the default namespace ("default" if unset) */
	char *context;      /* the kubeconfig context used, or NULL */
	char *origin;       /* "in-cluster" or the kubeconfig file's path */
	bool insecure_skip_tls_verify;
};

/* Default in-cluster directory and its test override variable. */
#define SAC_SERVICEACCOUNT_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define SAC_SERVICEACCOUNT_DIR_ENV "SACLIENT_SERVICEACCOUNT_DIR"

/*
 * In-cluster configuration, as client-go's rest.InClusterConfig():
 * KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set and
 * non-empty (IPv6 hosts are bracketed); token_file is <dir>/token (which
 * must exist), ca_file <dir>/ca.crt, the namespace from <dir>/namespace.
 * <dir> is $SACLIENT_SERVICEACCOUNT_DIR when set, else the standard path.
 * SAC_ECONFIG with a diag naming what is missing.
 */
enum sac_err sac_config_in_cluster(struct sac_config **out_config,
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
enum sac_err sac_config_kubeconfig(const char *paths, const char *context,
                                   const char *namespace_override,
                                   struct sac_config **out_config,
                                   struct sac_diag *diag);

/* Accepts NULL. Wipes the token. */
void sac_config_free(struct sac_config *config);
