/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "util.h"

static const char usage[] =
	"Usage: saclient [flags] <command> [args]\n"
	"\n"
	"Commands:\n"
	"  pods [NAME]              list pods (or get one); -A for all "
	"namespaces\n"
	"  token create SA          TokenRequest; prints the token "
	"[--duration D]\n"
	"                           [--audience A]... [--bound-pod P]\n"
	"  token review [TOKEN|-]   TokenReview (default: this client's "
	"token)\n"
	"  token inspect [TOKEN|-]  decode a token locally [--file F] "
	"[--jwks URL]\n"
	"                           [--jwks-file F]; signature verified only "
	"with --jwks*\n"
	"  whoami                   SelfSubjectReview\n"
	"  watch                    call the API repeatedly, showing token "
	"refresh\n"
	"                           [--every 10s] [--for 5m] [--call "
	"whoami|pods]\n"
	"  scenario NAME            retrieval | refresh | expiry | all, "
        "against "
	"a running\n"
	"                           mockapi whose clock the scenario drives "
	"(admin API):\n"
	"                           --kubeconfig ADMIN --serviceaccount-dir "
	"DIR\n"
	"                           [--step 30s] [--expiration 10m] "
	"[--color auto|always|never]\n"
	"  version                  print the version\n"
	"\n"
	"Flags:\n"
	"  --kubeconfig FILE[:FILE]   kubeconfig files (default $KUBECONFIG, "
	"~/.kube/config)\n"
	"  --context NAME             kubeconfig context\n"
	"  -n, --namespace NS         namespace\n"
	"  -A, --all-namespaces       pods in every namespace\n"
	"  -o, --output json|table    output format (default table)\n"
	"  --in-cluster               in-cluster configuration "
	"(KUBERNETES_SERVICE_HOST/PORT,\n"
	"                             token, ca.crt, namespace under "
	"$SACLIENT_SERVICEACCOUNT_DIR)\n"
	"  -s, --server URL           configure from flags only (no "
	"kubeconfig)\n"
	"  --certificate-authority F  CA bundle\n"
	"  --token T, --token-file F  credentials (override the "
	"configuration)\n"
	"  --insecure-skip-tls-verify do not verify the server (warns)\n"
	"  --strategy S               read-once | reread | request | static\n"
	"                             (default: reread with a token file, "
	"else static)\n"
	"  --reread-period D          reread: re-read period (default 60s)\n"
	"  --request-sa [NS/]NAME     request: the ServiceAccount (default: "
	"the token's sub)\n"
	"  --request-duration D       request: expirationSeconds (default: "
	"server's)\n"
	"  --request-audience A       request: audience (repeatable)\n"
	"  --max-retries N            429/503 retries (default 3)\n"
	"  --max-retry-wait D         total retry waiting (default 10s)\n"
	"  --timeout D                per-request timeout (default 30s)\n"
	"  --now TIME                 start the client's clock at TIME "
	"(RFC 3339 or epoch s)\n"
	"  -h, --help                 this text\n"
	"Durations: 2h, 1h30m, 90s, 500ms.\n"
	"\n"
	"Exit codes:\n"
	"  0 ok\n"
	"  1 API error (4xx/5xx other than 401)\n"
	"  2 usage error\n"
	"  3 configuration error (kubeconfig, context, in-cluster)\n"
	"  4 network or TLS error\n"
	"  5 authentication error (401, or token review: not authenticated)\n"
	"  6 token error (missing/empty token file, not a JWT, expired or "
	"bad signature in inspect)\n"
	"  7 scenario: an expectation was not met (the last line says "
	"which)\n";

const char *
sac_cli_usage(void)
{
	return usage;
}

enum opt {
	O_KUBECONFIG,
	O_CONTEXT,
	O_NAMESPACE,
	O_ALL,
	O_OUTPUT,
	O_IN_CLUSTER,
	O_INSECURE,
	O_SERVER,
	O_CA,
	O_TOKEN,
	O_TOKEN_FILE,
	O_STRATEGY,
	O_REREAD_PERIOD,
	O_REQUEST_SA,
	O_REQUEST_DURATION,
	O_REQUEST_AUDIENCE,
	O_MAX_RETRIES,
	O_MAX_RETRY_WAIT,
	O_TIMEOUT,
	O_NOW,
	O_HELP,
	O_VERSION,
	O_FILE,
	O_JWKS,
	O_JWKS_FILE,
	O_DURATION,
	O_AUDIENCE,
	O_BOUND_POD,
	O_EVERY,
	O_FOR,
	O_CALL,
	O_SA_DIR,
	O_STEP,
	O_EXPIRATION,
	O_COLOR,
};

struct optdef {
	const char *name;
	char shortname;
	bool takes_value;
	enum opt id;
};

static const struct optdef opts[] = {
	{ "kubeconfig", 0, true, O_KUBECONFIG },
	{ "context", 0, true, O_CONTEXT },
	{ "namespace", 'n', true, O_NAMESPACE },
	{ "all-namespaces", 'A', false, O_ALL },
	{ "output", 'o', true, O_OUTPUT },
	{ "in-cluster", 0, false, O_IN_CLUSTER },
	{ "insecure-skip-tls-verify", 0, false, O_INSECURE },
	{ "server", 's', true, O_SERVER },
	{ "certificate-authority", 0, true, O_CA },
	{ "token", 0, true, O_TOKEN },
	{ "token-file", 0, true, O_TOKEN_FILE },
	{ "strategy", 0, true, O_STRATEGY },
	{ "reread-period", 0, true, O_REREAD_PERIOD },
	{ "request-sa", 0, true, O_REQUEST_SA },
	{ "request-duration", 0, true, O_REQUEST_DURATION },
	{ "request-audience", 0, true, O_REQUEST_AUDIENCE },
	{ "max-retries", 0, true, O_MAX_RETRIES },
	{ "max-retry-wait", 0, true, O_MAX_RETRY_WAIT },
	{ "timeout", 0, true, O_TIMEOUT },
	{ "now", 0, true, O_NOW },
	{ "help", 'h', false, O_HELP },
	{ "version", 0, false, O_VERSION },
	{ "file", 'f', true, O_FILE },
	{ "jwks", 0, true, O_JWKS },
	{ "jwks-file", 0, true, O_JWKS_FILE },
	{ "duration", 0, true, O_DURATION },
	{ "audience", 0, true, O_AUDIENCE },
	{ "bound-pod", 0, true, O_BOUND_POD },
	{ "every", 0, true, O_EVERY },
	{ "for", 0, true, O_FOR },
	{ "call", 0, true, O_CALL },
	{ "serviceaccount-dir", 0, true, O_SA_DIR },
	{ "step", 0, true, O_STEP },
	{ "expiration", 0, true, O_EXPIRATION },
	{ "color", 0, true, O_COLOR },
};

#define MAX_POSITIONAL 8

static enum sac_err
duration_ms(const char *flag, const char *v, int64_t *out,
            struct sac_diag *diag)
{
	if (sac_duration_parse(v, out) != SAC_OK) {
		sac_diag_set(diag,
		             "invalid argument \"%s\" for \"--%s\" flag: "
		             "expected a duration such as 90s, 10m or 2h",
		             v, flag);
		return SAC_EINVAL;
	}
	return SAC_OK;
}

static enum sac_err
duration_s(const char *flag, const char *v, int64_t *out, struct sac_diag *diag)
{
	int64_t ms;

	if (duration_ms(flag, v, &ms, diag) != SAC_OK) {
		return SAC_EINVAL;
	}
	if (ms % 1000 != 0) {
		/* kubectl create token's wording. */
		sac_diag_set(diag,
		             "--%s cannot be expressed in units less "
		             "than seconds",
		             flag);
		return SAC_EINVAL;
	}
	*out = ms / 1000;
	return SAC_OK;
}

static enum sac_err
add_audience(const char **list, size_t *n, const char *flag, const char *v,
             struct sac_diag *diag)
{
	if (*v == '\0') {
		sac_diag_set(diag, "--%s must not be empty", flag);
		return SAC_EINVAL;
	}
	if (*n >= SAC_CLI_MAX_AUDIENCES) {
		sac_diag_set(diag, "at most %d --%s flags",
		             SAC_CLI_MAX_AUDIENCES, flag);
		return SAC_EINVAL;
	}
	list[(*n)++] = v;
	return SAC_OK;
}

static enum sac_err
parse_now(const char *v, int64_t *out, struct sac_diag *diag)
{
	char *end = NULL;
	long long n;

	if (sac_time_parse(v, out) == SAC_OK) {
		return SAC_OK;
	}
	n = strtoll(v, &end, 10);
	if (end == v || *end != '\0' || n < 0) {
		sac_diag_set(diag,
		             "invalid argument \"%s\" for \"--now\" "
		             "flag: expected RFC 3339 UTC or epoch "
		             "seconds",
		             v);
		return SAC_EINVAL;
	}
	*out = n;
	return SAC_OK;
}

static enum sac_err
apply(struct sac_cli *c, const struct optdef *o, const char *v,
      struct sac_diag *diag)
{
	char *end = NULL;
	long n;

	if (v == NULL) {
		/* parse() gives every flag that takes a value one. */
		if (o->takes_value) {
			sac_diag_set(diag, "flag needs an argument: --%s",
			             o->name);
			return SAC_EINVAL;
		}
		v = "";
	}
	switch (o->id) {
	case O_KUBECONFIG:
		c->kubeconfig = v;
		break;
	case O_CONTEXT:
		c->context = v;
		break;
	case O_NAMESPACE:
		if (*v == '\0') {
			sac_diag_set(diag, "--namespace must not be empty");
			return SAC_EINVAL;
		}
		c->namespace_ = v;
		break;
	case O_ALL:
		c->all_namespaces = true;
		break;
	case O_OUTPUT:
		if (strcmp(v, "json") == 0) {
			c->output = SAC_OUTPUT_JSON;
		} else if (strcmp(v, "table") == 0 || strcmp(v, "wide") == 0) {
			c->output = SAC_OUTPUT_TABLE;
		} else {
			sac_diag_set(
				diag,
				"unable to match a printer suitable for "
				"the output format \"%s\", allowed formats "
				"are: json,table",
				v);
			return SAC_EINVAL;
		}
		break;
	case O_IN_CLUSTER:
		c->in_cluster = true;
		break;
	case O_INSECURE:
		c->insecure = true;
		break;
	case O_SERVER:
		c->server = v;
		break;
	case O_CA:
		c->ca_file = v;
		break;
	case O_TOKEN:
		c->token = v;
		break;
	case O_TOKEN_FILE:
		c->token_file = v;
		break;
	case O_STRATEGY:
		if (sac_strategy_parse(v, &c->strategy) != SAC_OK) {
			sac_diag_set(
				diag,
				"invalid argument \"%s\" for \"--strategy\" "
				"flag: must be read-once, reread, request "
				"or static",
				v);
			return SAC_EINVAL;
		}
		c->strategy_set = true;
		break;
	case O_REREAD_PERIOD:
		return duration_ms(o->name, v, &c->reread_period_ms, diag);
	case O_REQUEST_SA:
		c->request_sa = v;
		break;
	case O_REQUEST_DURATION:
		return duration_s(o->name, v, &c->request_duration_s, diag);
	case O_REQUEST_AUDIENCE:
		return add_audience(c->request_audiences,
		                    &c->n_request_audiences, o->name, v, diag);
	case O_MAX_RETRIES:
		n = strtol(v, &end, 10);
		if (end == v || *end != '\0' || n < 0 || n > 100) {
			sac_diag_set(diag,
			             "invalid argument \"%s\" for "
			             "\"--max-retries\" flag: expected 0..100",
			             v);
			return SAC_EINVAL;
		}
		c->max_retries = (int)n;
		break;
	case O_MAX_RETRY_WAIT:
		return duration_ms(o->name, v, &c->max_retry_wait_ms, diag);
	case O_TIMEOUT:
		return duration_ms(o->name, v, &c->timeout_ms, diag);
	case O_NOW:
		c->now_set = true;
		return parse_now(v, &c->now_s, diag);
	case O_HELP:
		c->cmd = SAC_CMD_HELP;
		break;
	case O_VERSION:
		c->cmd = SAC_CMD_VERSION;
		break;
	case O_FILE:
		c->file = v;
		break;
	case O_JWKS:
		c->jwks = v;
		break;
	case O_JWKS_FILE:
		c->jwks_file = v;
		break;
	case O_DURATION:
		return duration_s(o->name, v, &c->duration_s, diag);
	case O_AUDIENCE:
		return add_audience(c->audiences, &c->n_audiences, o->name, v,
		                    diag);
	case O_BOUND_POD:
		c->bound_pod = v;
		break;
	case O_EVERY:
		return duration_ms(o->name, v, &c->every_ms, diag);
	case O_FOR:
		return duration_ms(o->name, v, &c->for_ms, diag);
	case O_CALL:
		if (strcmp(v, "whoami") != 0 && strcmp(v, "pods") != 0) {
			sac_diag_set(diag, "--call must be whoami or pods");
			return SAC_EINVAL;
		}
		c->call = v;
		break;
	case O_SA_DIR:
		if (*v == '\0') {
			sac_diag_set(diag, "--serviceaccount-dir must not be "
			                   "empty");
			return SAC_EINVAL;
		}
		c->serviceaccount_dir = v;
		break;
	case O_STEP:
		return duration_ms(o->name, v, &c->step_ms, diag);
	case O_EXPIRATION:
		return duration_s(o->name, v, &c->expiration_s, diag);
	case O_COLOR:
		if (strcmp(v, "auto") == 0) {
			c->color = -1;
		} else if (strcmp(v, "always") == 0) {
			c->color = 1;
		} else if (strcmp(v, "never") == 0) {
			c->color = 0;
		} else {
			sac_diag_set(diag, "--color must be auto, always or "
			                   "never");
			return SAC_EINVAL;
		}
		break;
	}
	return SAC_OK;
}

static const struct optdef *
find_long(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (strlen(opts[i].name) == n &&
		    strncmp(opts[i].name, name, n) == 0) {
			return &opts[i];
		}
	}
	return NULL;
}

static const struct optdef *
find_short(char c)
{
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (opts[i].shortname == c) {
			return &opts[i];
		}
	}
	return NULL;
}

static enum sac_err
command(struct sac_cli *c, const char **pos, size_t npos, struct sac_diag *diag)
{
	size_t max_args = 0;
	size_t first = 1;

	c->cmd = SAC_CMD_HELP;

	if (strcmp(pos[0], "pods") == 0 || strcmp(pos[0], "pod") == 0) {
		c->cmd = SAC_CMD_PODS;
		max_args = 1;
	} else if (strcmp(pos[0], "whoami") == 0) {
		c->cmd = SAC_CMD_WHOAMI;
	} else if (strcmp(pos[0], "watch") == 0) {
		c->cmd = SAC_CMD_WATCH;
	} else if (strcmp(pos[0], "scenario") == 0) {
		c->cmd = SAC_CMD_SCENARIO;
		max_args = 1;
		if (npos < 2 || sac_scenario_check_name(pos[1]) != SAC_OK) {
			sac_diag_set(diag, "scenario: expected retrieval, "
			                   "refresh, expiry or all");
			return SAC_EINVAL;
		}
	} else if (strcmp(pos[0], "version") == 0) {
		c->cmd = SAC_CMD_VERSION;
	} else if (strcmp(pos[0], "help") == 0) {
		c->cmd = SAC_CMD_HELP;
		max_args = MAX_POSITIONAL;
	} else if (strcmp(pos[0], "token") == 0) {
		first = 2;
		max_args = 1;
		if (npos < 2) {
			sac_diag_set(diag, "token: expected create, review or "
			                   "inspect");
			return SAC_EINVAL;
		} else if (strcmp(pos[1], "create") == 0) {
			c->cmd = SAC_CMD_TOKEN_CREATE;
			if (npos < 3) {
				sac_diag_set(diag, "token create: expected a "
				                   "ServiceAccount name");
				return SAC_EINVAL;
			}
		} else if (strcmp(pos[1], "review") == 0) {
			c->cmd = SAC_CMD_TOKEN_REVIEW;
		} else if (strcmp(pos[1], "inspect") == 0) {
			c->cmd = SAC_CMD_TOKEN_INSPECT;
		} else {
			sac_diag_set(diag, "unknown command \"token %s\"",
			             pos[1]);
			return SAC_EINVAL;
		}
	} else {
		sac_diag_set(diag, "unknown command \"%s\" for \"saclient\"",
		             pos[0]);
		return SAC_EINVAL;
	}
	if (npos - first > max_args) {
		sac_diag_set(diag, "unexpected argument \"%s\"",
		             pos[first + max_args]);
		return SAC_EINVAL;
	}
	if (npos > first && c->cmd != SAC_CMD_HELP) {
		c->arg = pos[first];
	}
	return SAC_OK;
}

static enum sac_err
check(const struct sac_cli *c, struct sac_diag *diag)
{
	if (c->cmd == SAC_CMD_TOKEN_INSPECT && c->file != NULL &&
	    c->arg != NULL) {
		sac_diag_set(diag, "token inspect: give a TOKEN or --file, "
		                   "not both");
		return SAC_EINVAL;
	}
	if (c->cmd == SAC_CMD_PODS && c->all_namespaces && c->arg != NULL) {
		sac_diag_set(diag, "a resource cannot be retrieved by name "
		                   "across all namespaces");
		return SAC_EINVAL;
	}
	if (c->cmd == SAC_CMD_WATCH && c->every_ms <= 0) {
		sac_diag_set(diag, "--every must be greater than 0");
		return SAC_EINVAL;
	}
	if (c->cmd == SAC_CMD_SCENARIO && (c->in_cluster || c->server)) {
		sac_diag_set(diag,
		             "scenario: the admin identity comes from "
		             "--kubeconfig (not --in-cluster or --server)");
		return SAC_EINVAL;
	}
	if (c->cmd == SAC_CMD_SCENARIO && c->step_ms != 0 &&
	    c->step_ms < 1000) {
		sac_diag_set(diag, "--step must be at least 1s");
		return SAC_EINVAL;
	}
	if (c->in_cluster && (c->kubeconfig != NULL || c->context != NULL ||
	                      c->server != NULL)) {
		sac_diag_set(diag, "--in-cluster cannot be combined with "
		                   "--kubeconfig, --context or --server");
		return SAC_EINVAL;
	}
	return SAC_OK;
}

enum sac_err
sac_cli_parse(int argc, char *const *argv, struct sac_cli *out,
              struct sac_diag *diag)
{
	struct sac_cli c = {
		.cmd = SAC_CMD_HELP,
		.output = SAC_OUTPUT_TABLE,
		.max_retries = -1,
		.max_retry_wait_ms = -1,
		.every_ms = 10000,
		.for_ms = 300000,
		.call = "whoami",
		.color = -1,
	};
	const char *pos[MAX_POSITIONAL];
	size_t npos = 0;
	bool flags_done = false;
	bool help = false;
	enum sac_err err;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct optdef *o = NULL;
		const char *v = NULL;

		if (flags_done || a[0] != '-' || strcmp(a, "-") == 0) {
			if (npos == MAX_POSITIONAL) {
				sac_diag_set(diag, "too many arguments");
				return SAC_EINVAL;
			}
			pos[npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			flags_done = true;
			continue;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);

			o = find_long(a + 2, n);
			if (o == NULL) {
				sac_diag_set(diag, "unknown flag: --%.*s",
				             (int)n, a + 2);
				return SAC_EINVAL;
			}
			if (eq != NULL && !o->takes_value) {
				sac_diag_set(diag, "flag --%s takes no value",
				             o->name);
				return SAC_EINVAL;
			}
			v = eq != NULL ? eq + 1 : NULL;
		} else {
			o = find_short(a[1]);
			if (o == NULL) {
				sac_diag_set(
					diag,
					"unknown shorthand flag: '%c' in %s",
					a[1], a);
				return SAC_EINVAL;
			}
			if (a[2] != '\0') {
				if (!o->takes_value) {
					sac_diag_set(diag,
					             "unknown shorthand flag: "
					             "'%c' in %s",
					             a[2], a);
					return SAC_EINVAL;
				}
				v = a[2] == '=' ? a + 3 : a + 2;
			}
		}
		if (o->takes_value && v == NULL) {
			if (i + 1 >= argc) {
				sac_diag_set(diag,
				             "flag needs an argument: --%s",
				             o->name);
				return SAC_EINVAL;
			}
			v = argv[++i];
		}
		if (o->id == O_HELP) {
			help = true;
			continue;
		}
		err = apply(&c, o, v, diag);
		if (err != SAC_OK) {
			return err;
		}
	}
	if (help) {
		/* "saclient pods --help" shows the help, as kubectl. */
		c.cmd = SAC_CMD_HELP;
	} else if (npos == 0 && c.cmd == SAC_CMD_VERSION) {
		/* --version */
	} else if (npos == 0) {
		sac_diag_set(diag, "no command given");
		return SAC_EINVAL;
	} else {
		err = command(&c, pos, npos, diag);
		if (err != SAC_OK) {
			return err;
		}
	}
	err = check(&c, diag);
	if (err != SAC_OK) {
		return err;
	}
	*out = c;
	return SAC_OK;
}
