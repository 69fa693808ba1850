/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * cli: the saclient command line, parsed into a struct with no side
 * effects (not installed; main.c runs the command, tests check the
 * parse table).
 *
 * Ownership: every string in struct sac_cli is borrowed from argv.
 * Thread safety: pure.
 * Errors: SAC_EINVAL (exit code 2) with one line in diag.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "saclient.h"

enum sac_cmd {
	SAC_CMD_HELP,
	SAC_CMD_VERSION,
	SAC_CMD_PODS,
	SAC_CMD_TOKEN_CREATE,
	SAC_CMD_TOKEN_REVIEW,
	SAC_CMD_TOKEN_INSPECT,
	SAC_CMD_WHOAMI,
	SAC_CMD_WATCH,
	SAC_CMD_SCENARIO,
};

enum sac_output {
	SAC_OUTPUT_TABLE,
	SAC_OUTPUT_JSON,
};

#define SAC_CLI_MAX_AUDIENCES 16

struct sac_cli {
	enum sac_cmd cmd;

	/* where and who */
	const char *kubeconfig;
	const char *context;
	const char *namespace_; /* -n, or NULL */
	const char *server;     /* --server: configure from flags only */
	const char *ca_file;    /* --certificate-authority */
	const char *token;      /* --token */
	const char *token_file; /* --token-file */
	bool all_namespaces;
	bool in_cluster;
	bool insecure;
	enum sac_output output;

	/* token strategy */
	bool strategy_set;
	enum sac_strategy strategy;
	int64_t reread_period_ms; /* 0: default */
	const char *request_sa;   /* [NS/]NAME, or NULL: from the token's sub */
	int64_t request_duration_s;
	const char *request_audiences[SAC_CLI_MAX_AUDIENCES];
	size_t n_request_audiences;

	/* retry policy and time */
	int max_retries;           /* -1: default */
	int64_t max_retry_wait_ms; /* -1: default */
	int64_t timeout_ms;        /* 0: default */
	bool now_set;
	int64_t now_s; /* --now: the client's clock starts here */

	/* command arguments */
	const char *arg;  /* pods NAME, token create SA, TOKEN or "-" */
	const char *file; /* token inspect --file */
	const char *jwks;
	const char *jwks_file;
	int64_t duration_s; /* token create --duration (0: server default) */
	const char *bound_pod;
	const char *audiences[SAC_CLI_MAX_AUDIENCES];
	size_t n_audiences;
	int64_t every_ms; /* watch --every (default 10 s) */
	int64_t for_ms;   /* watch --for (default 5 min) */
	const char *call; /* watch --call whoami|pods */

	/* scenario NAME (arg): see scenario.h */
	const char *serviceaccount_dir; /* --serviceaccount-dir, or NULL */
	int64_t step_ms;                /* --step (0: 30 s) */
	int64_t expiration_s;           /* --expiration (0: 600 s) */
	int color; /* --color: -1 auto, 0 never, 1 always */
};

/*
 * Parses argv[1..argc-1]. Flags may appear anywhere (as kubectl), in the
 * forms --flag=value, --flag value, -n value, -nvalue. *out is written
 * only on SAC_OK. SAC_EINVAL: unknown flag or command, missing or bad
 * value (durations as sac_duration_parse, -o json|table), extra args.
 */
SAC_NODISCARD enum sac_err sac_cli_parse(int argc, char *const *argv,
                                         struct sac_cli *out,
                                         struct sac_diag *diag);

/* The --help text (static). */
const char *sac_cli_usage(void);
