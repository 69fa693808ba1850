/* SPDX-License-Identifier: MIT */
#include "server/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/clock.h"

static const char usage_text[] =
	"Usage: mockapi [OPTIONS]\n"
	"\n"
	"A mock Kubernetes API server (HTTPS) for ServiceAccount token tests.\n"
	"It prints one ready line with the URL and the KUBECONFIG to use.\n"
	"\n"
	"Options that work now:\n"
	"      --listen ADDR:PORT     listen address (default 127.0.0.1:6443;\n"
	"                             IPv6 as [::1]:6443; port 0 = any free "
        "port)\n"
	"      --port-file F          write the bound port to F (atomically,\n"
	"                             after bind)\n"
	"      --state-dir D          state directory (default ./.mockapi);\n"
	"                             must hold ca.crt, tls.crt and tls.key\n"
	"      --threads N            HTTP worker threads (default: cores)\n"
	"      --kube-version vX.Y.Z  version /version reports (default\n"
	"                             v1.32.4; kubectl's dispatcher picks its\n"
	"                             binary by the minor)\n"
	"      --anonymous-auth=BOOL  serve requests without credentials as\n"
	"                             system:anonymous (default true)\n"
	"      --print-env            print shell exports (KUBECONFIG,\n"
	"                             KUBERNETES_SERVICE_HOST/PORT) INSTEAD "
        "of\n"
	"                             the ready line, close stdout and keep\n"
	"                             serving, so that\n"
	"                               eval \"$(mockapi --print-env &)\"\n"
	"                             starts it in the background and sets "
        "them\n"
	"  -h, --help                 show this help and exit\n"
	"      --version              print the version and exit\n"
	"\n"
	"Harness controls:\n"
	"      --clock SPEC           now | frozen:RFC3339 | offset:DURATION\n"
	"      --clock-rate N         mock clock speed (x N)\n"
	"      --seed N               seed for uids, jtis and volume names\n"
	"                             (reproducible with --threads 1 and a\n"
	"                             frozen clock)\n"
	"      --serviceaccount-dir D projected token volume the kubelet\n"
	"                             emulation keeps fresh (default\n"
	"                             <state-dir>/serviceaccount)\n"
	"      --serviceaccount-pod NS/NAME  its pod (default\n"
	"                             default/web-7d4b9c8f5-x2k8p)\n"
	"      --key-overlap D        retired signing keys verify for D of\n"
	"                             mock time (default: until dropped)\n"
	"      --log-format text|json token events and requests on stderr\n"
	"  Run time: the admin API /mock/v1 (clock, clock/advance, events,\n"
	"  requests, faults, volumes, keys, keys/rotate, reset); see\n"
	"  `mockapi ctl --help`.\n"
	"\n"
	"Token options:\n"
	"      --issuer URL           service account token issuer\n"
	"      --api-audiences A,B    accepted token audiences\n"
	"      --token-min-ttl D      (default 10m)\n"
	"      --token-default-ttl D  (default 1h)\n"
	"      --token-max-ttl D      (default none)\n"
	"      --no-extend-token-expiration\n"
	"      --signing-alg RS256|ES256\n"
	"\n"
	"Other options:\n"
	"      --fixtures FILE|DIR    objects to load instead of the default\n"
	"      --authorization-mode RBAC|AlwaysAllow\n"
	"\n"
	"  mockapi ctl ...            drive a running server (see\n"
	"                             mockapi ctl --help)\n"
	"\n"
	"Durations are written as kubectl writes them: 90s, 10m, 2h, 1h30m.\n"
	"Exit status: 0 after SIGINT/SIGTERM, 2 for bad flags or an unusable\n"
	"state dir or port.\n";

const char *
mapi_config_usage(void)
{
	return usage_text;
}

void
mapi_config_init(struct mapi_config *cfg)
{
	static const struct mapi_config def = MAPI_CONFIG_DEFAULT;

	*cfg = def;
}

static bool
parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9') {
		return false;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max) {
		return false;
	}
	*out = v;
	return true;
}

enum mapi_err
mapi_config_parse_kube_version(const char *text, unsigned *out_major,
                               unsigned *out_minor)
{
	unsigned long v[3];
	const char *p = text;
	char *end = NULL;
	int i;

	if (p == NULL || p[0] != 'v') {
		return MAPI_EINVAL;
	}
	p++;
	for (i = 0; i < 3; i++) {
		if (*p < '0' || *p > '9') {
			return MAPI_EINVAL;
		}
		errno = 0;
		v[i] = strtoul(p, &end, 10);
		if (errno != 0 || v[i] > 9999) {
			return MAPI_EINVAL;
		}
		p = end;
		if (i < 2) {
			if (*p != '.') {
				return MAPI_EINVAL;
			}
			p++;
		}
	}
	if (*p != '\0' && *p != '-' && *p != '+') {
		return MAPI_EINVAL;
	}
	if ((*p == '-' || *p == '+') && p[1] == '\0') {
		return MAPI_EINVAL;
	}
	*out_major = (unsigned)v[0];
	*out_minor = (unsigned)v[1];
	return MAPI_OK;
}

/* "ADDR:PORT" or "[V6]:PORT" with a literal address. */
static bool
parse_listen(const char *s, struct mapi_config *cfg)
{
	char addr[sizeof(cfg->listen_addr)];
	unsigned char buf[16];
	const char *colon;
	const char *host;
	size_t hlen;
	uint64_t port;
	bool v6 = false;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':') {
			return false;
		}
		host = s + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
		v6 = true;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL) {
			return false;
		}
		host = s;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(addr)) {
		return false;
	}
	memcpy(addr, host, hlen);
	addr[hlen] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, buf) != 1) {
		return false;
	}
	if (!parse_uint(colon + 1, 65535, &port)) {
		return false;
	}
	memcpy(cfg->listen_addr, addr, hlen + 1);
	cfg->port = (unsigned)port;
	return true;
}

/* "2", "0.5", "1.25": thousandths, in [1, 1000000000]. */
static bool
parse_rate(const char *s, int64_t *out)
{
	int64_t whole = 0;
	int64_t frac = 0;
	int digits = 0;
	const char *p = s;

	if (*p < '0' || *p > '9') {
		return false;
	}
	while (*p >= '0' && *p <= '9') {
		whole = whole * 10 + (*p - '0');
		if (whole > 1000000) {
			return false;
		}
		p++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (digits < 3) {
				frac = frac * 10 + (*p - '0');
				digits++;
			} else if (*p != '0') {
				return false; /* finer than 1/1000 */
			}
			p++;
		}
		if (digits == 0) {
			return false;
		}
		while (digits < 3) {
			frac *= 10;
			digits++;
		}
	}
	if (*p != '\0') {
		return false;
	}
	whole = whole * 1000 + frac;
	if (whole < 1 || whole > INT64_C(1000000000)) {
		return false;
	}
	*out = whole;
	return true;
}

static bool
parse_bool(const char *s, bool *out)
{
	static const char *const t[] = {
		"1", "t", "T", "TRUE", "true", "True"
	};
	static const char *const f[] = { "0",     "f",     "F",
		                         "FALSE", "false", "False" };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(s, t[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcmp(s, f[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* The clock spec is checked on a scratch clock that is then discarded. */
static bool
check_clock_spec(const char *spec)
{
	struct mapi_clock *c = NULL;
	struct mapi_diag d = { 0 };
	bool ok;

	if (mapi_clock_new_system(&c) != MAPI_OK) {
		return false;
	}
	ok = mapi_clock_apply_spec(c, spec, &d) == MAPI_OK;
	mapi_clock_free(c);
	return ok;
}

static bool
parse_duration(const char *s, bool allow_none, int64_t *out)
{
	int64_t ns;

	if (allow_none && strcmp(s, "none") == 0) {
		*out = 0;
		return true;
	}
	if (mapi_duration_parse(s, &ns) != MAPI_OK || ns < 0 ||
	    (ns == 0 && !allow_none)) {
		return false;
	}
	*out = ns;
	return true;
}

enum opt_id {
	OPT_LISTEN,
	OPT_PORT_FILE,
	OPT_STATE_DIR,
	OPT_THREADS,
	OPT_KUBE_VERSION,
	OPT_ANONYMOUS_AUTH,
	OPT_PRINT_ENV,
	OPT_HELP,
	OPT_VERSION,
	OPT_INSECURE_HTTP,
	OPT_FIXTURES,
	OPT_SEED,
	OPT_CLOCK,
	OPT_CLOCK_RATE,
	OPT_ISSUER,
	OPT_API_AUDIENCES,
	OPT_TOKEN_MIN_TTL,
	OPT_TOKEN_DEFAULT_TTL,
	OPT_TOKEN_MAX_TTL,
	OPT_NO_EXTEND,
	OPT_SIGNING_ALG,
	OPT_SA_DIR,
	OPT_SA_POD,
	OPT_LOG_FORMAT,
	OPT_AUTHZ_MODE,
	OPT_KEY_OVERLAP,
};

static const struct {
	const char *name;
	enum opt_id id;
	bool is_bool;
} opts[] = {
	{ "--listen", OPT_LISTEN, false },
	{ "--port-file", OPT_PORT_FILE, false },
	{ "--state-dir", OPT_STATE_DIR, false },
	{ "--threads", OPT_THREADS, false },
	{ "--kube-version", OPT_KUBE_VERSION, false },
	{ "--anonymous-auth", OPT_ANONYMOUS_AUTH, true },
	{ "--print-env", OPT_PRINT_ENV, true },
	{ "--help", OPT_HELP, true },
	{ "-h", OPT_HELP, true },
	{ "--version", OPT_VERSION, true },
	{ "--insecure-http", OPT_INSECURE_HTTP, true },
	{ "--fixtures", OPT_FIXTURES, false },
	{ "--seed", OPT_SEED, false },
	{ "--clock", OPT_CLOCK, false },
	{ "--clock-rate", OPT_CLOCK_RATE, false },
	{ "--issuer", OPT_ISSUER, false },
	{ "--api-audiences", OPT_API_AUDIENCES, false },
	{ "--token-min-ttl", OPT_TOKEN_MIN_TTL, false },
	{ "--token-default-ttl", OPT_TOKEN_DEFAULT_TTL, false },
	{ "--token-max-ttl", OPT_TOKEN_MAX_TTL, false },
	{ "--no-extend-token-expiration", OPT_NO_EXTEND, true },
	{ "--signing-alg", OPT_SIGNING_ALG, false },
	{ "--serviceaccount-dir", OPT_SA_DIR, false },
	{ "--serviceaccount-pod", OPT_SA_POD, false },
	{ "--log-format", OPT_LOG_FORMAT, false },
	{ "--authorization-mode", OPT_AUTHZ_MODE, false },
	{ "--key-overlap", OPT_KEY_OVERLAP, false },
};

/* Applies one value-taking option; false on a bad value. */
static bool
apply_value(enum opt_id id, const char *v, struct mapi_config *c)
{
	uint64_t u;

	switch (id) {
	case OPT_LISTEN:
		return parse_listen(v, c);
	case OPT_PORT_FILE:
		c->port_file = v;
		return v[0] != '\0';
	case OPT_STATE_DIR:
		c->state_dir = v;
		return v[0] != '\0';
	case OPT_THREADS:
		if (!parse_uint(v, 256, &u) || u == 0) {
			return false;
		}
		c->threads = (unsigned)u;
		return true;
	case OPT_KUBE_VERSION:
		if (strlen(v) >= sizeof(c->kube_version) ||
		    mapi_config_parse_kube_version(v, &c->kube_major,
		                                   &c->kube_minor) != MAPI_OK) {
			return false;
		}
		(void)snprintf(c->kube_version, sizeof(c->kube_version), "%s",
		               v);
		return true;
	case OPT_FIXTURES:
		c->fixtures = v;
		return v[0] != '\0';
	case OPT_SEED:
		if (!parse_uint(v, UINT64_MAX, &c->seed)) {
			return false;
		}
		c->seed_set = true;
		return true;
	case OPT_CLOCK:
		c->clock_spec = v;
		return check_clock_spec(v);
	case OPT_CLOCK_RATE:
		return parse_rate(v, &c->clock_rate_milli);
	case OPT_ISSUER:
		c->issuer = v;
		return v[0] != '\0';
	case OPT_API_AUDIENCES:
		c->api_audiences = v;
		return v[0] != '\0';
	case OPT_TOKEN_MIN_TTL:
		return parse_duration(v, false, &c->token_min_ttl_ns);
	case OPT_TOKEN_DEFAULT_TTL:
		return parse_duration(v, false, &c->token_default_ttl_ns);
	case OPT_TOKEN_MAX_TTL:
		return parse_duration(v, true, &c->token_max_ttl_ns);
	case OPT_KEY_OVERLAP:
		return parse_duration(v, true, &c->key_overlap_ns);
	case OPT_SIGNING_ALG:
		if (strcmp(v, "RS256") == 0) {
			c->signing_alg = MAPI_SIGNING_RS256;
		} else if (strcmp(v, "ES256") == 0) {
			c->signing_alg = MAPI_SIGNING_ES256;
		} else {
			return false;
		}
		return true;
	case OPT_SA_DIR:
		c->serviceaccount_dir = v;
		return v[0] != '\0';
	case OPT_SA_POD:
		c->serviceaccount_pod = v;
		return strchr(v, '/') != NULL && v[0] != '/' &&
		       v[strlen(v) - 1] != '/';
	case OPT_LOG_FORMAT:
		if (strcmp(v, "text") == 0) {
			c->log_format = MAPI_LOG_TEXT;
		} else if (strcmp(v, "json") == 0) {
			c->log_format = MAPI_LOG_JSON;
		} else {
			return false;
		}
		return true;
	case OPT_AUTHZ_MODE:
		c->authorization_mode = v;
		return v[0] != '\0';
	default:
		return false;
	}
}

static void
apply_bool(enum opt_id id, bool b, struct mapi_config *c)
{
	switch (id) {
	case OPT_ANONYMOUS_AUTH:
		c->anonymous_auth = b;
		break;
	case OPT_PRINT_ENV:
		c->print_env = b;
		break;
	case OPT_HELP:
		c->help = b;
		break;
	case OPT_VERSION:
		c->version = b;
		break;
	case OPT_INSECURE_HTTP:
		c->insecure_http = b;
		break;
	case OPT_NO_EXTEND:
		c->extend_token_expiration = !b;
		break;
	default:
		break;
	}
}

enum mapi_err
mapi_config_parse(int argc, char *const *argv, struct mapi_config *out_cfg,
                  struct mapi_diag *diag)
{
	struct mapi_config c;
	int i;

	mapi_config_init(&c);
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *eq = strchr(arg, '=');
		size_t nlen = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
		const char *value = eq != NULL ? eq + 1 : NULL;
		size_t k;
		bool found = false;

		if (arg[0] != '-') {
			mapi_diag_set(diag, "unexpected argument: %s", arg);
			return MAPI_EINVAL;
		}
		for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
			if (strlen(opts[k].name) == nlen &&
			    strncmp(opts[k].name, arg, nlen) == 0) {
				found = true;
				break;
			}
		}
		if (!found) {
			mapi_diag_set(diag, "unknown flag: %.*s", (int)nlen,
			              arg);
			return MAPI_EINVAL;
		}
		if (opts[k].is_bool) {
			bool b = true;

			if (value != NULL && !parse_bool(value, &b)) {
				mapi_diag_set(
					diag,
					"%s: invalid boolean value \"%s\"",
					opts[k].name, value);
				return MAPI_EINVAL;
			}
			apply_bool(opts[k].id, b, &c);
			continue;
		}
		if (value == NULL) {
			if (i + 1 >= argc) {
				mapi_diag_set(diag, "%s: needs a value",
				              opts[k].name);
				return MAPI_EINVAL;
			}
			value = argv[++i];
		}
		if (!apply_value(opts[k].id, value, &c)) {
			mapi_diag_set(diag, "%s: invalid value \"%s\"",
			              opts[k].name, value);
			return MAPI_EINVAL;
		}
	}
	*out_cfg = c;
	return MAPI_OK;
}
