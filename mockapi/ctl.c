/* SPDX-License-Identifier: MIT */
/*
 * ctl: `mockapi ctl` (see ctl.h). The ONLY file of mockapi/ that includes
 * <curl/curl.h>: ctl is a client of the admin API, and curl is the
 * project's client transport.
 */
#define _GNU_SOURCE /* realpath */
#include "ctl.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "auth/jose.h"
#include "errors.h"
#include "sim/clock.h"

static const char ctl_usage[] =
	"Usage: mockapi ctl [--kubeconfig F] COMMAND [ARGS]\n"
	"\n"
	"Drives a running mockapi through its admin API (/mock/v1), as the\n"
	"admin user of the kubeconfig (--kubeconfig, else $KUBECONFIG, else\n"
	"./.mockapi/kubeconfig).\n"
	"\n"
	"Commands:\n"
	"  clock [get]                  show {now, frozen, rate}\n"
	"  clock set RFC3339            set the mock time\n"
	"  clock advance D              move forward (1h, 90s, 1h30m or\n"
	"                               seconds); due refreshes run first\n"
	"  clock freeze | resume        stop / restart the mock clock\n"
	"  clock rate N                 run N times faster (0.5, 2, 120)\n"
	"  events [--since N] [--follow]    token lifecycle events\n"
	"  requests [--since N] [--follow]  the request journal\n"
	"  faults add [--method M] [--path P] [--user U] [--jti J]\n"
	"             [--expires-within D] (--status N [--reason R]\n"
	"             [--message M] [--retry-after S] | --too-many-requests\n"
	"             [--retry-after S] | --reset) [--delay D] [--times N]\n"
	"             [--probability P]      | faults add --json RULE\n"
	"  faults list | delete ID | clear\n"
	"  volume add --dir D --pod NS/NAME [--audience A] [--expiration D]\n"
	"  volume list | delete ID\n"
	"  keys [list] | keys rotate [--drop-old]\n"
	"  reset                        fixtures, clock, events and faults\n"
	"                               back to their start state\n"
	"\n"
	"Exit status: 0 on success, 1 if the server refused (the Status is\n"
	"printed on stderr), 2 for bad usage or no connection.\n";

const char *
mapi_ctl_usage(void)
{
	return ctl_usage;
}

struct target {
	char *server;
	char *ca_pem;
	size_t ca_len;
	char *token;
};

struct reply {
	long code;
	char *body;
	size_t len;
};

static void
target_clear(struct target *t)
{
	free(t->server);
	free(t->ca_pem);
	if (t->token != NULL) {
		memset(t->token, 0, strlen(t->token));
	}
	free(t->token);
	memset(t, 0, sizeof(*t));
}

/* "key: value" on a line, after indentation and an optional "- ". */
static char *
yaml_value(const char *line, const char *key)
{
	size_t n = strlen(key);
	const char *v;
	size_t len;

	while (*line == ' ' || *line == '\t') {
		line++;
	}
	if (line[0] == '-' && line[1] == ' ') {
		line += 2;
	}
	if (strncmp(line, key, n) != 0 || line[n] != ':') {
		return NULL;
	}
	v = line + n + 1;
	while (*v == ' ') {
		v++;
	}
	len = strcspn(v, "\r\n");
	while (len > 0 && v[len - 1] == ' ') {
		len--;
	}
	if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
		v++;
		len -= 2;
	}
	return strndup(v, len);
}

static enum mapi_err
b64_std_decode(const char *in, char **out, size_t *out_len)
{
	size_t n = strlen(in);
	char *t = malloc(n + 1);
	uint8_t *raw = NULL;
	size_t i;
	size_t w = 0;
	enum mapi_err err;

	if (t == NULL) {
		return MAPI_ENOMEM;
	}
	for (i = 0; i < n && in[i] != '='; i++) {
		char c = in[i];

		if (c == '+') {
			c = '-';
		} else if (c == '/') {
			c = '_';
		}
		t[w++] = c;
	}
	err = mapi_b64url_decode(t, w, &raw, out_len);
	free(t);
	if (err == MAPI_OK) {
		*out = (char *)raw;
	}
	return err;
}

static bool
load_kubeconfig(const char *path, struct target *t)
{
	FILE *f = fopen(path, "r");
	char line[16384];
	char *ca_b64 = NULL;
	bool ok;

	if (f == NULL) {
		fprintf(stderr, "mockapi ctl: cannot read kubeconfig %s\n",
		        path);
		return false;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *v;

		if (t->server == NULL && (v = yaml_value(line, "server"))) {
			t->server = v;
		} else if (ca_b64 == NULL &&
		           (v = yaml_value(line,
		                           "certificate-authority-data"))) {
			ca_b64 = v;
		} else if (t->token == NULL &&
		           (v = yaml_value(line, "token"))) {
			t->token = v;
		}
	}
	(void)fclose(f);
	if (ca_b64 != NULL &&
	    b64_std_decode(ca_b64, &t->ca_pem, &t->ca_len) != MAPI_OK) {
		fprintf(stderr,
		        "mockapi ctl: %s: bad certificate-authority-data\n",
		        path);
		free(ca_b64);
		return false;
	}
	free(ca_b64);
	ok = t->server != NULL && t->token != NULL;
	if (!ok) {
		fprintf(stderr, "mockapi ctl: %s: no server or token\n", path);
	}
	return ok;
}

static size_t
on_body(char *p, size_t size, size_t n, void *ud)
{
	struct reply *r = ud;
	size_t len = size * n;
	char *b = realloc(r->body, r->len + len + 1);

	if (b == NULL) {
		return 0;
	}
	memcpy(b + r->len, p, len);
	r->body = b;
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

/* One request; false (message printed) when there was no answer. */
static bool
call(const struct target *t, const char *method, const char *path,
     const char *body, struct reply *out)
{
	struct curl_slist *h = NULL;
	struct curl_blob blob;
	char *url = malloc(strlen(t->server) + strlen(path) + 1);
	char *auth = malloc(strlen(t->token) + 32);
	CURL *c = curl_easy_init();
	CURLcode rc = CURLE_OUT_OF_MEMORY;

	memset(out, 0, sizeof(*out));
	if (url == NULL || auth == NULL || c == NULL) {
		goto out;
	}
	(void)sprintf(url, "%s%s", t->server, path);
	(void)sprintf(auth, "Authorization: Bearer %s", t->token);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Accept: application/json");
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 90L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (t->ca_pem != NULL) {
		blob.data = t->ca_pem;
		blob.len = t->ca_len;
		blob.flags = CURL_BLOB_COPY;
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		                 (curl_off_t)strlen(body));
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->code);
	}
out:
	if (rc != CURLE_OK) {
		fprintf(stderr, "mockapi ctl: %s %s: %s\n", method, path,
		        curl_easy_strerror(rc));
		free(out->body);
		out->body = NULL;
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (auth != NULL) {
		memset(auth, 0, strlen(auth));
	}
	free(auth);
	free(url);
	return rc == CURLE_OK;
}

/* Prints a reply; the exit status for it. */
static int
finish(struct reply *r)
{
	int rc = r->code >= 200 && r->code < 300 ? 0 : 1;

	if (r->body != NULL) {
		fputs(r->body, rc == 0 ? stdout : stderr);
		if (r->len > 0 && r->body[r->len - 1] != '\n') {
			fputc('\n', rc == 0 ? stdout : stderr);
		}
	}
	free(r->body);
	return rc;
}

static int
simple(const struct target *t, const char *method, const char *path,
       cJSON *body)
{
	char *text = body != NULL ? cJSON_PrintUnformatted(body) : NULL;
	struct reply r;
	bool ok;

	cJSON_Delete(body);
	ok = call(t, method, path, text, &r);
	cJSON_free(text);
	return ok ? finish(&r) : 2;
}

static int
usage_error(const char *msg)
{
	fprintf(stderr, "mockapi ctl: %s (see mockapi ctl --help)\n", msg);
	return 2;
}

/* "--flag V" / "--flag=V": the value, or NULL when arg is not the flag. */
static const char *
flag_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0) {
		return NULL;
	}
	if (argv[*i][n] == '=') {
		return argv[*i] + n + 1;
	}
	/* argv[0..argc-1] are never NULL; the test tells the analyzer. */
	if (argv[*i][n] == '\0' && *i + 1 < argc && argv[*i + 1] != NULL) {
		return argv[++*i];
	}
	return NULL;
}

static bool
is_number(const char *s)
{
	char *end = NULL;

	if (*s == '\0') {
		return false;
	}
	(void)strtod(s, &end);
	return *end == '\0';
}

/*
 * v as a decimal integer in *out: false (after usage_error's message) unless
 * all of v is one, within [0, INT_MAX].
 */
static bool
int_value(const char *flag, const char *v, int *out)
{
	char *end = NULL;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (end == v || *end != '\0' || errno != 0 || n < 0 || n > INT_MAX) {
		fprintf(stderr, "mockapi ctl: %s: not an integer: %s\n", flag,
		        v);
		return false;
	}
	*out = (int)n;
	return true;
}

static int
cmd_clock(const struct target *t, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "get";
	cJSON *b = cJSON_CreateObject();

	if (b == NULL) {
		return 2;
	}
	if (strcmp(sub, "get") == 0) {
		cJSON_Delete(b);
		return simple(t, "GET", "/mock/v1/clock", NULL);
	}
	if (strcmp(sub, "freeze") == 0 || strcmp(sub, "resume") == 0) {
		cJSON_AddBoolToObject(b, "frozen", strcmp(sub, "freeze") == 0);
		return simple(t, "PUT", "/mock/v1/clock", b);
	}
	if (argc < 2) {
		cJSON_Delete(b);
		return usage_error("clock: missing value");
	}
	if (strcmp(sub, "set") == 0) {
		cJSON_AddStringToObject(b, "now", argv[1]);
		return simple(t, "PUT", "/mock/v1/clock", b);
	}
	if (strcmp(sub, "rate") == 0 && is_number(argv[1])) {
		cJSON_AddNumberToObject(b, "rate", strtod(argv[1], NULL));
		return simple(t, "PUT", "/mock/v1/clock", b);
	}
	if (strcmp(sub, "advance") == 0) {
		if (is_number(argv[1])) {
			cJSON_AddNumberToObject(b, "seconds",
			                        strtod(argv[1], NULL));
		} else {
			cJSON_AddStringToObject(b, "by", argv[1]);
		}
		return simple(t, "POST", "/mock/v1/clock/advance", b);
	}
	cJSON_Delete(b);
	return usage_error("clock: unknown subcommand");
}

static int
cmd_journal(const struct target *t, int argc, char **argv, bool requests)
{
	const char *what = requests ? "requests" : "events";
	unsigned long long since = 0;
	bool follow = false;
	int i;

	for (i = 0; i < argc; i++) {
		const char *v = flag_value(argc, argv, &i, "--since");

		if (v != NULL) {
			since = strtoull(v, NULL, 10);
		} else if (strcmp(argv[i], "--follow") == 0 ||
		           strcmp(argv[i], "-f") == 0) {
			follow = true;
		} else {
			return usage_error("events: unknown argument");
		}
	}
	for (;;) {
		char path[128];
		struct reply r;
		cJSON *doc;
		const cJSON *item;
		const cJSON *next;

		(void)snprintf(path, sizeof(path), "/mock/v1/%s?since=%llu%s",
		               what, since, follow ? "&wait=5s" : "");
		if (!call(t, "GET", path, NULL, &r)) {
			return 2;
		}
		if (r.code != 200) {
			return finish(&r);
		}
		doc = cJSON_Parse(r.body);
		free(r.body);
		cJSON_ArrayForEach(
			item, cJSON_GetObjectItemCaseSensitive(doc, what)) {
			char *line = cJSON_PrintUnformatted(item);

			if (line != NULL) {
				puts(line);
			}
			cJSON_free(line);
		}
		next = cJSON_GetObjectItemCaseSensitive(doc, "next");
		if (cJSON_IsNumber(next)) {
			since = (unsigned long long)next->valuedouble;
		}
		cJSON_Delete(doc);
		(void)fflush(stdout);
		if (!follow) {
			return 0;
		}
	}
}

static int
cmd_faults(const struct target *t, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "list";
	cJSON *rule;
	cJSON *match;
	cJSON *action;
	char path[96];
	int i;

	if (strcmp(sub, "list") == 0) {
		return simple(t, "GET", "/mock/v1/faults", NULL);
	}
	if (strcmp(sub, "clear") == 0) {
		return simple(t, "DELETE", "/mock/v1/faults", NULL);
	}
	if (strcmp(sub, "delete") == 0) {
		if (argc < 2) {
			return usage_error("faults delete: missing ID");
		}
		(void)snprintf(path, sizeof(path), "/mock/v1/faults/%.40s",
		               argv[1]);
		return simple(t, "DELETE", path, NULL);
	}
	if (strcmp(sub, "add") != 0) {
		return usage_error("faults: unknown subcommand");
	}
	rule = cJSON_CreateObject();
	match = cJSON_AddObjectToObject(rule, "match");
	action = cJSON_AddObjectToObject(rule, "action");
	if (action == NULL) {
		cJSON_Delete(rule);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		const char *v;
		bool tmr = false;

		if ((v = flag_value(argc, argv, &i, "--json")) != NULL) {
			cJSON_Delete(rule);
			rule = cJSON_Parse(v);
			if (rule == NULL) {
				return usage_error("--json: not JSON");
			}
			return simple(t, "POST", "/mock/v1/faults", rule);
		}
		if ((v = flag_value(argc, argv, &i, "--method")) != NULL) {
			cJSON_AddStringToObject(match, "method", v);
		} else if ((v = flag_value(argc, argv, &i, "--path")) != NULL) {
			cJSON_AddStringToObject(match, "path", v);
		} else if ((v = flag_value(argc, argv, &i, "--user")) != NULL) {
			cJSON_AddStringToObject(match, "user", v);
		} else if ((v = flag_value(argc, argv, &i, "--jti")) != NULL) {
			cJSON_AddStringToObject(match, "jti", v);
		} else if ((v = flag_value(argc, argv, &i,
		                           "--expires-within")) != NULL) {
			cJSON_AddStringToObject(match, "expiresWithin", v);
		} else if ((v = flag_value(argc, argv, &i, "--status")) !=
		           NULL) {
			int n;

			if (!int_value("--status", v, &n)) {
				cJSON_Delete(rule);
				return 2;
			}
			cJSON_AddNumberToObject(action, "status", n);
		} else if ((v = flag_value(argc, argv, &i, "--reason")) !=
		           NULL) {
			cJSON_AddStringToObject(action, "reason", v);
		} else if ((v = flag_value(argc, argv, &i, "--message")) !=
		           NULL) {
			cJSON_AddStringToObject(action, "message", v);
		} else if ((v = flag_value(argc, argv, &i, "--retry-after")) !=
		           NULL) {
			int n;

			if (!int_value("--retry-after", v, &n)) {
				cJSON_Delete(rule);
				return 2;
			}
			cJSON_AddNumberToObject(action, "retryAfter", n);
		} else if ((v = flag_value(argc, argv, &i, "--delay")) !=
		           NULL) {
			int n;

			if (!int_value("--delay", v, &n)) {
				cJSON_Delete(rule);
				return 2;
			}
			cJSON_AddNumberToObject(action, "delayMs", n);
		} else if ((v = flag_value(argc, argv, &i, "--times")) !=
		           NULL) {
			int n;

			if (!int_value("--times", v, &n)) {
				cJSON_Delete(rule);
				return 2;
			}
			cJSON_AddNumberToObject(rule, "times", n);
		} else if ((v = flag_value(argc, argv, &i, "--probability")) !=
		           NULL) {
			cJSON_AddNumberToObject(rule, "probability",
			                        strtod(v, NULL));
		} else if (strcmp(argv[i], "--too-many-requests") == 0) {
			tmr = true;
		} else if (strcmp(argv[i], "--reset") == 0) {
			cJSON_AddBoolToObject(action, "reset", true);
		} else {
			cJSON_Delete(rule);
			return usage_error("faults add: unknown argument");
		}
		if (tmr) {
			cJSON_AddObjectToObject(action, "tooManyRequests");
		}
	}
	/* --retry-after belongs inside tooManyRequests for a 429 rule. */
	{
		cJSON *tm = cJSON_GetObjectItemCaseSensitive(action,
		                                             "tooManyRequests");
		cJSON *ra =
			cJSON_GetObjectItemCaseSensitive(action, "retryAfter");

		if (tm != NULL && ra != NULL) {
			cJSON_AddItemToObject(
				tm, "retryAfter",
				cJSON_DetachItemViaPointer(action, ra));
		}
	}
	return simple(t, "POST", "/mock/v1/faults", rule);
}

static int
cmd_volume(const struct target *t, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "list";
	char path[96];
	cJSON *b;
	int i;

	if (strcmp(sub, "list") == 0) {
		return simple(t, "GET", "/mock/v1/volumes", NULL);
	}
	if (strcmp(sub, "delete") == 0) {
		if (argc < 2) {
			return usage_error("volume delete: missing ID");
		}
		(void)snprintf(path, sizeof(path), "/mock/v1/volumes/%.40s",
		               argv[1]);
		return simple(t, "DELETE", path, NULL);
	}
	if (strcmp(sub, "add") != 0) {
		return usage_error("volume: unknown subcommand");
	}
	b = cJSON_CreateObject();
	if (b == NULL) {
		return 2;
	}
	for (i = 1; i < argc; i++) {
		const char *v;

		if ((v = flag_value(argc, argv, &i, "--dir")) != NULL) {
			char *abs = realpath(v, NULL);

			/* A directory that does not exist yet stays as given.
			 */
			cJSON_AddStringToObject(b, "dir",
			                        abs != NULL ? abs : v);
			free(abs);
		} else if ((v = flag_value(argc, argv, &i, "--pod")) != NULL) {
			cJSON_AddStringToObject(b, "pod", v);
		} else if ((v = flag_value(argc, argv, &i, "--audience")) !=
		           NULL) {
			cJSON_AddStringToObject(b, "audience", v);
		} else if ((v = flag_value(argc, argv, &i, "--expiration")) !=
		           NULL) {
			int64_t ns = 0;

			if (is_number(v)) {
				ns = (int64_t)(strtod(v, NULL) * 1e9);
			} else if (mapi_duration_parse(v, &ns) != MAPI_OK) {
				cJSON_Delete(b);
				return usage_error(
					"--expiration: bad duration");
			}
			int64_t secs = ns / 1000000000; /* whole seconds */

			cJSON_AddNumberToObject(b, "expirationSeconds",
			                        (double)secs);
		} else {
			cJSON_Delete(b);
			return usage_error("volume add: unknown argument");
		}
	}
	return simple(t, "POST", "/mock/v1/volumes", b);
}

static int
cmd_keys(const struct target *t, int argc, char **argv)
{
	cJSON *b;

	if (argc == 0 || strcmp(argv[0], "list") == 0) {
		return simple(t, "GET", "/mock/v1/keys", NULL);
	}
	if (strcmp(argv[0], "rotate") != 0) {
		return usage_error("keys: unknown subcommand");
	}
	b = cJSON_CreateObject();
	if (b == NULL) {
		return 2;
	}
	if (argc > 1 && strcmp(argv[1], "--drop-old") == 0) {
		cJSON_AddBoolToObject(b, "drop_old", true);
	} else if (argc > 1) {
		cJSON_Delete(b);
		return usage_error("keys rotate: unknown argument");
	}
	return simple(t, "POST", "/mock/v1/keys/rotate", b);
}

int
mapi_ctl_main(int argc, char **argv)
{
	struct target t = { 0 };
	char kc[4096];
	const char *kubeconfig = NULL;
	const char *env;
	const char *cmd;
	int i = 1;
	int rc;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *v = flag_value(argc, argv, &i, "--kubeconfig");

		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			fputs(ctl_usage, stdout);
			return 0;
		}
		if (v == NULL) {
			return usage_error("unknown flag");
		}
		kubeconfig = v;
	}
	if (i >= argc) {
		fputs(ctl_usage, stderr);
		return 2;
	}
	cmd = argv[i++];
	if (strcmp(cmd, "help") == 0) {
		fputs(ctl_usage, stdout);
		return 0;
	}
	env = getenv("KUBECONFIG");
	if (kubeconfig == NULL && env != NULL && env[0] != '\0') {
		(void)snprintf(kc, sizeof(kc), "%s", env);
		kc[strcspn(kc, ":")] = '\0';
		kubeconfig = kc;
	}
	if (kubeconfig == NULL) {
		kubeconfig = "./.mockapi/kubeconfig";
	}
	if (!load_kubeconfig(kubeconfig, &t)) {
		target_clear(&t);
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		target_clear(&t);
		return 2;
	}
	argc -= i;
	argv += i;
	if (strcmp(cmd, "clock") == 0) {
		rc = cmd_clock(&t, argc, argv);
	} else if (strcmp(cmd, "events") == 0) {
		rc = cmd_journal(&t, argc, argv, false);
	} else if (strcmp(cmd, "requests") == 0) {
		rc = cmd_journal(&t, argc, argv, true);
	} else if (strcmp(cmd, "faults") == 0) {
		rc = cmd_faults(&t, argc, argv);
	} else if (strcmp(cmd, "volume") == 0 || strcmp(cmd, "volumes") == 0) {
		rc = cmd_volume(&t, argc, argv);
	} else if (strcmp(cmd, "keys") == 0) {
		rc = cmd_keys(&t, argc, argv);
	} else if (strcmp(cmd, "reset") == 0) {
		rc = simple(&t, "POST", "/mock/v1/reset", NULL);
	} else {
		rc = usage_error("unknown command");
	}
	curl_global_cleanup();
	target_clear(&t);
	return rc;
}
