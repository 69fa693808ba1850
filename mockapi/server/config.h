/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * config: struct mapi_config, its defaults, and command-line parsing.
 *
 * Parsing has no side effects: it reads argv and writes the struct, nothing
 * else (no files, no clock, no environment). Flags are written
 * "--flag value" or "--flag=value"; boolean flags take no separate value
 * ("--anonymous-auth" or "--anonymous-auth=false"), as Go's flag package.
 *
 * Ownership: string fields point into argv (borrowed; valid as long as argv)
 *   or at string literals (defaults). Nothing is allocated.
 * Threads: pure; thread-safe.
 * Errors: MAPI_EINVAL with one line in diag->msg (no "mockapi:" prefix);
 *   *out_cfg is then unchanged. main exits 2 on it.
 */

#include <stdbool.h>
#include <stdint.h>

#include "errors.h"
#include "sim/events.h"

enum mapi_signing_alg {
	MAPI_SIGNING_RS256 = 0,
	MAPI_SIGNING_ES256,
};

/* enum mapi_log_format (MAPI_LOG_TEXT, MAPI_LOG_JSON) is sim/events.h's. */

struct mapi_config {
	/* --listen ADDR:PORT ("[::1]:6443" for IPv6). addr is the literal. */
	char listen_addr[48];
	unsigned port;
	const char *port_file; /* --port-file F; NULL = none */
	const char *state_dir; /* --state-dir D */
	unsigned threads;      /* --threads N; 0 = number of cores */
	/* --kube-version vX.Y.Z and its parts. */
	char kube_version[32];
	unsigned kube_major;
	unsigned kube_minor;
	bool anonymous_auth;  /* --anonymous-auth (default true) */
	bool print_env;       /* --print-env */
	bool help;            /* -h, --help */
	bool version;         /* --version */
	bool insecure_http;   /* hidden --insecure-http: plain HTTP */
	const char *fixtures; /* --fixtures FILE|DIR; NULL = built in */
	uint64_t seed;        /* --seed N */
	bool seed_set;
	const char *clock_spec;   /* --clock now|frozen:T|offset:D */
	int64_t clock_rate_milli; /* --clock-rate N, in thousandths */
	/* Accepted and stored for later modules (not yet in effect). */
	const char *issuer;           /* --issuer URL */
	const char *api_audiences;    /* --api-audiences A,B */
	int64_t token_min_ttl_ns;     /* --token-min-ttl (10m) */
	int64_t token_default_ttl_ns; /* --token-default-ttl (1h) */
	int64_t token_max_ttl_ns;     /* --token-max-ttl (0 = none) */
	bool extend_token_expiration; /* cleared by --no-extend-token-expiration
	                               */
	enum mapi_signing_alg signing_alg; /* --signing-alg RS256|ES256 */
	const char *serviceaccount_dir;    /* --serviceaccount-dir D */
	const char *serviceaccount_pod;    /* --serviceaccount-pod NS/NAME */
	enum mapi_log_format log_format;   /* --log-format text|json */
	const char *authorization_mode;    /* --authorization-mode MODE */
	int64_t key_overlap_ns; /* --key-overlap D: retired keys verify for D
	                           of mock time; 0 = until dropped */
};

/* The defaults, as a designated initialiser. */
#define MAPI_CONFIG_DEFAULT                                                \
	{                                                                  \
		.listen_addr = "127.0.0.1", .port = 6443,                  \
		.state_dir = "./.mockapi", .kube_version = "v1.32.4",      \
		.kube_major = 1, .kube_minor = 32, .anonymous_auth = true, \
		.clock_spec = "now", .clock_rate_milli = 1000,             \
		.token_min_ttl_ns = INT64_C(600000000000),                 \
		.token_default_ttl_ns = INT64_C(3600000000000),            \
		.extend_token_expiration = true,                           \
		.signing_alg = MAPI_SIGNING_RS256,                         \
		.log_format = MAPI_LOG_TEXT, .authorization_mode = "RBAC", \
	}

/* Sets *cfg to MAPI_CONFIG_DEFAULT. */
void mapi_config_init(struct mapi_config *cfg);

/*
 * Parses argv[1..argc-1] over the defaults. MAPI_EINVAL for an unknown
 * flag, a missing or bad value, or a positional argument, with one line
 * in diag ("unknown flag: --foo", "--threads: invalid value \"x\"").
 */
MAPI_NODISCARD enum mapi_err mapi_config_parse(int argc, char *const *argv,
                                               struct mapi_config *out_cfg,
                                               struct mapi_diag *diag);

/*
 * Parses "vX.Y.Z" (optionally followed by "-suffix" or "+suffix") into
 * major and minor. MAPI_EINVAL otherwise; outputs unchanged.
 */
MAPI_NODISCARD enum mapi_err
mapi_config_parse_kube_version(const char *text, unsigned *out_major,
                               unsigned *out_minor);

/* The --help text (a string literal). */
const char *mapi_config_usage(void);
