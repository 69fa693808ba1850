/* SPDX-License-Identifier: MIT */
/*
 * saclient: the command line over libsaclient. One table of commands;
 * every failure is one line on stderr and an exit code from enum sac_exit
 * (documented in --help). Never prints a whole token except as the output
 * of `token create`.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "saclient.h"
#include "scenario.h"

#define MAX_STDIN_TOKEN (64u << 10)

/* The client's clock: the system clock, shifted when --now is given. */
struct offset_clock {
	int64_t offset_ms;
};

static int64_t
offset_now(void *payload)
{
	const struct offset_clock *o = payload;

	return sac_clock_now_ms(NULL) + o->offset_ms;
}

static void
offset_sleep(int64_t ms, void *payload)
{
	(void)payload;
	sac_clock_sleep_ms(NULL, ms);
}

struct ctx {
	const struct sac_cli *a;
	struct sac_clock clock;
	struct offset_clock offset;
	struct sac_config *cfg;
	struct sac_client *client;
};

static void diag_set(struct sac_diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
diag_set(struct sac_diag *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
}

static int
fail(enum sac_err err, const struct sac_diag *d)
{
	if (strncmp(d->msg, "Error from server", 17) == 0) {
		fprintf(stderr, "%s\n", d->msg);
	} else {
		fprintf(stderr, "error: %s\n",
		        d->msg[0] != '\0' ? d->msg : sac_err_name(err));
	}
	return (int)sac_exit_code(err);
}

static void
on_warning(const char *text, void *payload)
{
	(void)payload;
	fprintf(stderr, "Warning: %s\n", text);
}

static int64_t
now_s(const struct ctx *c)
{
	return sac_clock_now_ms(&c->clock) / 1000;
}

static char *
dup_or_null(const char *s)
{
	char *d;

	if (s == NULL) {
		return NULL;
	}
	d = strdup(s);
	if (d == NULL) {
		fputs("error: out of memory\n", stderr);
		exit(1);
	}
	return d;
}

static void
replace(char **dst, const char *src)
{
	if (src == NULL) {
		return;
	}
	if (*dst != NULL) {
		memset(*dst, 0, strlen(*dst));
	}
	free(*dst);
	*dst = dup_or_null(src);
}

static void
clear(char **s)
{
	if (*s != NULL) {
		memset(*s, 0, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

/* --server: configuration from flags only, as `kubectl --server`. */
static enum sac_err
config_from_flags(const struct sac_cli *a, struct sac_config **out)
{
	struct sac_config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL) {
		return SAC_ENOMEM;
	}
	cfg->server = dup_or_null(a->server);
	cfg->namespace_ =
		dup_or_null(a->namespace_ ? a->namespace_ : "default");
	cfg->origin = dup_or_null("flags");
	*out = cfg;
	return SAC_OK;
}

/* Flags that override whatever configuration was loaded. */
static void
overlay_flags(struct sac_config *cfg, const struct sac_cli *a)
{
	if (a->ca_file != NULL) {
		/* As kubectl: the flag replaces certificate-authority-data. */
		free(cfg->ca_data);
		cfg->ca_data = NULL;
		cfg->ca_len = 0;
	}
	replace(&cfg->ca_file, a->ca_file);
	/* --token and --token-file replace the configured credential. */
	if (a->token != NULL || a->token_file != NULL) {
		clear(&cfg->token);
		clear(&cfg->token_file);
		replace(&cfg->token, a->token);
		replace(&cfg->token_file, a->token_file);
	}
	if (a->insecure) {
		cfg->insecure_skip_tls_verify = true;
	}
	if (cfg->namespace_ == NULL) {
		cfg->namespace_ = dup_or_null("default");
	}
}

static enum sac_err
load_config(struct ctx *c, struct sac_diag *diag)
{
	const struct sac_cli *a = c->a;
	struct sac_config *cfg = NULL;
	enum sac_err err;

	if (c->cfg != NULL) {
		return SAC_OK;
	}
	if (a->server != NULL) {
		err = config_from_flags(a, &cfg);
	} else if (a->in_cluster) {
		err = sac_config_in_cluster(&cfg, diag);
		if (err == SAC_OK && a->namespace_ != NULL) {
			replace(&cfg->namespace_, a->namespace_);
		}
	} else {
		err = sac_config_kubeconfig(a->kubeconfig, a->context,
		                            a->namespace_, &cfg, diag);
	}
	if (err != SAC_OK) {
		return err;
	}
	overlay_flags(cfg, a);
	c->cfg = cfg;
	return SAC_OK;
}

/* The ServiceAccount to request tokens for: --request-sa, else the sub. */
static enum sac_err
request_target(const struct ctx *c, struct sac_token_source *bootstrap,
               char **out_ns, char **out_name, struct sac_diag *diag)
{
	const char *spec = c->a->request_sa;
	const char *tok = NULL;
	struct sac_jwt *jwt = NULL;
	const char *sub;
	const char *p;
	enum sac_err err;

	if (spec != NULL) {
		p = strchr(spec, '/');
		*out_ns = p ? strndup(spec, (size_t)(p - spec))
		            : dup_or_null(c->cfg->namespace_);
		*out_name = dup_or_null(p ? p + 1 : spec);
		return SAC_OK;
	}
	err = sac_token_source_get(bootstrap, &tok, diag);
	if (err != SAC_OK) {
		return err;
	}
	if (sac_jwt_decode(tok, &jwt, NULL) != SAC_OK ||
	    (sub = sac_jwt_sub(jwt)) == NULL ||
	    strncmp(sub, "system:serviceaccount:", 22) != 0 ||
	    (p = strchr(sub + 22, ':')) == NULL) {
		sac_jwt_free(jwt);
		diag_set(diag, "--strategy request: cannot tell which "
		               "ServiceAccount to request a token for (the "
		               "token is not a ServiceAccount token); pass "
		               "--request-sa NS/NAME");
		return SAC_ECONFIG;
	}
	*out_ns = strndup(sub + 22, (size_t)(p - sub - 22));
	*out_name = dup_or_null(p + 1);
	sac_jwt_free(jwt);
	return SAC_OK;
}

static enum sac_err
make_source(struct ctx *c, struct sac_token_source **out, struct sac_diag *diag)
{
	const struct sac_cli *a = c->a;
	const struct sac_config *cfg = c->cfg;
	struct sac_token_source *boot = NULL;
	struct sac_request_source_config rc = { 0 };
	char *ns = NULL;
	char *name = NULL;
	enum sac_strategy st;
	enum sac_err err;

	*out = NULL;
	if (a->strategy_set) {
		st = a->strategy;
	} else if (cfg->token_file != NULL) {
		st = SAC_STRATEGY_REREAD; /* what client-go does */
	} else if (cfg->token != NULL) {
		st = SAC_STRATEGY_STATIC;
	} else {
		return SAC_OK; /* anonymous */
	}
	if ((st == SAC_STRATEGY_READ_ONCE || st == SAC_STRATEGY_REREAD) &&
	    cfg->token_file == NULL) {
		diag_set(diag,
		         "--strategy %s needs a token file (tokenFile in the "
		         "kubeconfig, --token-file, or --in-cluster)",
		         sac_strategy_name(st));
		return SAC_ECONFIG;
	}
	if (st == SAC_STRATEGY_STATIC || st == SAC_STRATEGY_REQUEST) {
		if (cfg->token != NULL) {
			err = sac_token_source_new_static(cfg->token, &boot,
			                                  diag);
		} else if (cfg->token_file != NULL) {
			err = sac_token_source_new_file(
				cfg->token_file,
				st == SAC_STRATEGY_STATIC
					? SAC_STRATEGY_READ_ONCE
					: SAC_STRATEGY_REREAD,
				a->reread_period_ms, &c->clock, &boot, diag);
		} else {
			diag_set(diag,
			         "--strategy %s needs a token (--token, "
			         "--token-file or the kubeconfig)",
			         sac_strategy_name(st));
			return SAC_ECONFIG;
		}
		if (err != SAC_OK || st == SAC_STRATEGY_STATIC) {
			*out = boot;
			return err;
		}
		err = request_target(c, boot, &ns, &name, diag);
		if (err != SAC_OK) {
			sac_token_source_free(boot);
			return err;
		}
		rc.namespace_ = ns;
		rc.name = name;
		rc.audiences = a->request_audiences;
		rc.n_audiences = a->n_request_audiences;
		rc.expiration_seconds = a->request_duration_s;
		rc.clock = &c->clock;
		err = sac_token_source_new_request(&rc, boot, sac_client_send,
		                                   c->client, out, diag);
		if (err != SAC_OK) {
			sac_token_source_free(boot);
		}
		free(ns);
		free(name);
		return err;
	}
	return sac_token_source_new_file(
		cfg->token_file, st, a->reread_period_ms, &c->clock, out, diag);
}

static enum sac_err
connect_client(struct ctx *c, struct sac_diag *diag)
{
	struct sac_client_options opts = SAC_CLIENT_OPTIONS_DEFAULT;
	struct sac_token_source *src = NULL;
	enum sac_err err;

	if (c->client != NULL) {
		return SAC_OK;
	}
	err = load_config(c, diag);
	if (err != SAC_OK) {
		return err;
	}
	opts.clock = &c->clock;
	opts.on_warning = on_warning;
	if (c->a->max_retries >= 0) {
		opts.max_retries = c->a->max_retries;
		opts.max_network_retries = c->a->max_retries;
	}
	if (c->a->max_retry_wait_ms >= 0) {
		opts.max_retry_wait_ms = c->a->max_retry_wait_ms;
	}
	if (c->a->timeout_ms > 0) {
		opts.timeout_ms = (long)c->a->timeout_ms;
	}
	err = sac_client_new(c->cfg, &opts, &c->client, diag);
	if (err != SAC_OK) {
		return err;
	}
	err = make_source(c, &src, diag);
	if (err != SAC_OK) {
		return err;
	}
	sac_client_adopt_token_source(c->client, src);
	return SAC_OK;
}

static void
print_json(const cJSON *j)
{
	char *text = cJSON_Print(j);

	if (text != NULL) {
		printf("%s\n", text);
		cJSON_free(text);
	}
}

static int
cmd_pods(struct ctx *c)
{
	struct sac_diag d = { 0 };
	const char *ns;
	cJSON *j = NULL;
	char *table = NULL;
	enum sac_err err;
	int rc = 0;

	err = connect_client(c, &d);
	if (err != SAC_OK) {
		return fail(err, &d);
	}
	ns = c->a->all_namespaces ? NULL : c->cfg->namespace_;
	err = sac_pods_get(c->client, ns, c->a->arg, &j, &d);
	if (err != SAC_OK) {
		return fail(err, &d);
	}
	if (c->a->output == SAC_OUTPUT_JSON) {
		print_json(j);
	} else if (sac_pods_format_table(j, ns == NULL, now_s(c), &table) !=
	           SAC_OK) {
		fputs("error: the server's answer is not a Pod or PodList\n",
		      stderr);
		rc = 1;
	} else if (table[0] == '\0') {
		if (ns != NULL) {
			fprintf(stderr, "No resources found in %s namespace.\n",
			        ns);
		} else {
			fputs("No resources found\n", stderr);
		}
	} else {
		fputs(table, stdout);
	}
	free(table);
	cJSON_Delete(j);
	return rc;
}

static int
cmd_token_create(struct ctx *c)
{
	struct sac_diag d = { 0 };
	struct sac_issued_token t = { 0 };
	enum sac_err err;

	err = connect_client(c, &d);
	if (err != SAC_OK) {
		return fail(err, &d);
	}
	err = sac_token_create(c->client, c->cfg->namespace_, c->a->arg,
	                       c->a->audiences, c->a->n_audiences,
	                       c->a->duration_s, c->a->bound_pod, &t, &d);
	if (err != SAC_OK) {
		return fail(err, &d);
	}
	/* The one place a whole token is printed: it is the output. */
	fputs(t.token, stdout);
	if (isatty(STDOUT_FILENO)) {
		fputc('\n', stdout); /* kubectl: newline only on a TTY */
	}
	sac_issued_token_fini(&t);
	return 0;
}

/* TOKEN, "-" (stdin), --file F, or NULL: the caller decides. */
static enum sac_err
read_token_arg(const struct sac_cli *a, char **out, struct sac_diag *diag)
{
	FILE *f = NULL;
	char *buf;
	size_t n;

	if (a->arg != NULL && strcmp(a->arg, "-") != 0) {
		*out = dup_or_null(a->arg);
		return SAC_OK;
	}
	if (a->arg == NULL && a->file == NULL) {
		*out = NULL;
		return SAC_OK;
	}
	if (a->file != NULL) {
		f = fopen(a->file, "rb");
		if (f == NULL) {
			diag_set(diag, "cannot read token file %s: %s", a->file,
			         strerror(errno));
			return SAC_ETOKEN;
		}
	}
	buf = calloc(1, MAX_STDIN_TOKEN + 1);
	if (buf == NULL) {
		if (f != NULL) {
			(void)fclose(f);
		}
		return SAC_ENOMEM;
	}
	n = fread(buf, 1, MAX_STDIN_TOKEN, f != NULL ? f : stdin);
	if (f != NULL) {
		(void)fclose(f);
	}
	buf[n] = '\0';
	if (strspn(buf, " \t\r\n") == n) {
		free(buf);
		diag_set(diag, "%s is empty",
		         a->file != NULL ? a->file : "standard input");
		return SAC_ETOKEN;
	}
	*out = buf;
	return SAC_OK;
}

/* The token this client would send (for review/inspect without TOKEN). */
static enum sac_err
own_token(struct ctx *c, char **out, struct sac_diag *diag)
{
	struct sac_token_source *src;
	const char *tok = NULL;
	enum sac_err err;

	err = connect_client(c, diag);
	if (err != SAC_OK) {
		return err;
	}
	src = sac_client_token_source_get(c->client);
	if (src == NULL) {
		diag_set(diag, "no token configured (give TOKEN, -, --file, "
		               "--token or --token-file)");
		return SAC_ETOKEN;
	}
	err = sac_token_source_get(src, &tok, diag);
	if (err != SAC_OK) {
		return err;
	}
	*out = dup_or_null(tok);
	return SAC_OK;
}

static void
wipe_free(char *s)
{
	if (s != NULL) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

static void
print_strings(int width, const char *label, const cJSON *arr)
{
	const cJSON *v;

	if (!cJSON_IsArray(arr)) {
		return;
	}
	printf("%-*s [", width, label);
	cJSON_ArrayForEach(v, arr) {
		if (cJSON_IsString(v)) {
			printf("%s%s", v->valuestring,
			       v->next != NULL ? " " : "");
		}
	}
	printf("]\n");
}

static void
print_user(const cJSON *user)
{
	const cJSON *extra = cJSON_GetObjectItemCaseSensitive(user, "extra");
	const cJSON *e;
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(user, "username");
	const cJSON *uid = cJSON_GetObjectItemCaseSensitive(user, "uid");

	if (cJSON_IsString(u)) {
		printf("%-15s %s\n", "user:", u->valuestring);
	}
	if (cJSON_IsString(uid)) {
		printf("%-15s %s\n", "uid:", uid->valuestring);
	}
	print_strings(15, "groups:",
	              cJSON_GetObjectItemCaseSensitive(user, "groups"));
	cJSON_ArrayForEach(e, extra) {
		char label[300];

		(void)snprintf(label, sizeof(label), "extra %s:", e->string);
		print_strings(15, label, e);
	}
}

static int
cmd_token_review(struct ctx *c)
{
	struct sac_diag d = { 0 };
	const cJSON *st;
	const cJSON *spec;
	const char *error;
	char *tok = NULL;
	cJSON *j = NULL;
	enum sac_err err;
	bool ok;

	err = read_token_arg(c->a, &tok, &d);
	if (err == SAC_OK && tok == NULL) {
		err = own_token(c, &tok, &d);
	}
	if (err == SAC_OK) {
		err = connect_client(c, &d);
	}
	if (err == SAC_OK) {
		/* Trim like the file source: a pasted newline is not part. */
		size_t lead = strspn(tok, " \t\r\n");

		memmove(tok, tok + lead, strlen(tok + lead) + 1);
		tok[strcspn(tok, " \t\r\n")] = '\0';
		err = sac_token_review(c->client, tok, c->a->audiences,
		                       c->a->n_audiences, &j, &d);
	}
	wipe_free(tok);
	if (err != SAC_OK) {
		return fail(err, &d);
	}
	/* The server echoes spec.token: never print it. */
	spec = cJSON_GetObjectItemCaseSensitive(j, "spec");
	if (cJSON_IsObject(spec)) {
		cJSON_DeleteItemFromObjectCaseSensitive((cJSON *)spec, "token");
	}
	st = cJSON_GetObjectItemCaseSensitive(j, "status");
	ok = cJSON_IsTrue(
		cJSON_GetObjectItemCaseSensitive(st, "authenticated"));
	if (c->a->output == SAC_OUTPUT_JSON) {
		print_json(j);
	} else {
		printf("%-15s %s\n", "authenticated:", ok ? "true" : "false");
		print_user(cJSON_GetObjectItemCaseSensitive(st, "user"));
		print_strings(
			15, "audiences:",
			cJSON_GetObjectItemCaseSensitive(st, "audiences"));
		error = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(st, "error"));
		if (error != NULL) {
			printf("%-15s %s\n", "error:", error);
		}
	}
	cJSON_Delete(j);
	return ok ? 0 : SAC_EXIT_AUTH;
}

/*
 * Fetches a JWKS through the transport (TLS verified against the
 * configured CA): a path on the configured server, or an absolute URL
 * (then the CA comes from the configuration if there is one, else
 * --certificate-authority).
 */
static enum sac_err
fetch_jwks(struct ctx *c, char **out, size_t *out_len, struct sac_diag *diag)
{
	const char *url = c->a->jwks;
	struct sac_client_options opts = SAC_CLIENT_OPTIONS_DEFAULT;
	struct sac_http_response resp = { 0 };
	struct sac_token_source *src = NULL;
	struct sac_client *cl = NULL;
	struct sac_config cfg;
	const char *path;
	char *origin = NULL;
	enum sac_err err;

	if (url[0] != '/' && strncmp(url, "https://", 8) != 0 &&
	    strncmp(url, "http://", 7) != 0) {
		diag_set(diag, "--jwks must be an https:// URL or a path on "
		               "the server (use --jwks-file for a file)");
		return SAC_EINVAL;
	}
	err = load_config(c, diag);
	if (err != SAC_OK && url[0] == '/') {
		return err;
	}
	if (err != SAC_OK) {
		memset(diag, 0, sizeof(*diag));
		err = config_from_flags(c->a, &c->cfg);
		if (err != SAC_OK) {
			return err;
		}
		overlay_flags(c->cfg, c->a);
	}
	if (url[0] == '/') {
		origin = dup_or_null(c->cfg->server);
		path = url;
	} else {
		const char *slash = strchr(strstr(url, "//") + 2, '/');

		origin = slash ? strndup(url, (size_t)(slash - url))
		               : dup_or_null(url);
		path = slash ? slash : "/";
	}
	cfg = *c->cfg;
	cfg.server = origin;
	opts.clock = &c->clock;
	opts.on_warning = on_warning;
	err = sac_client_new(&cfg, &opts, &cl, diag);
	if (err != SAC_OK) {
		goto out;
	}
	/* The JWKS endpoint requires authentication by default. */
	if (c->cfg->token != NULL) {
		err = sac_token_source_new_static(c->cfg->token, &src, diag);
	} else if (c->cfg->token_file != NULL) {
		err = sac_token_source_new_file(c->cfg->token_file,
		                                SAC_STRATEGY_READ_ONCE, 0,
		                                &c->clock, &src, diag);
	}
	if (err != SAC_OK) {
		goto out;
	}
	sac_client_adopt_token_source(cl, src);
	err = sac_client_request(cl, "GET", path, NULL, 0, &resp, diag);
	if (err == SAC_OK) {
		*out = resp.body;
		*out_len = resp.body_len;
		resp.body = NULL;
	}
out:
	sac_http_response_fini(&resp);
	sac_client_free(cl);
	free(origin);
	return err;
}

static enum sac_err
read_small_file(const char *path, char **out, size_t *out_len,
                struct sac_diag *diag)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL) {
		diag_set(diag, "%s: %s", path, strerror(errno));
		return SAC_EIO;
	}
	buf = malloc((4u << 20) + 1);
	if (buf == NULL) {
		(void)fclose(f);
		return SAC_ENOMEM;
	}
	n = fread(buf, 1, 4u << 20, f);
	(void)fclose(f);
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return SAC_OK;
}

static int
cmd_token_inspect(struct ctx *c)
{
	struct sac_diag d = { 0 };
	struct sac_jwt *jwt = NULL;
	char *tok = NULL;
	char *text = NULL;
	char *jwks = NULL;
	size_t jwks_len = 0;
	const char *jwks_from = c->a->jwks_file ? c->a->jwks_file : c->a->jwks;
	enum sac_err err;
	int rc = 0;

	err = read_token_arg(c->a, &tok, &d);
	if (err == SAC_OK && tok == NULL) {
		err = own_token(c, &tok, &d);
	}
	if (err == SAC_OK) {
		err = sac_jwt_decode(tok, &jwt, &d);
	}
	wipe_free(tok);
	if (err != SAC_OK) {
		return fail(err, &d);
	}
	if (c->a->output == SAC_OUTPUT_JSON) {
		cJSON *both = cJSON_CreateObject();

		(void)cJSON_AddItemToObject(
			both, "header",
			cJSON_Duplicate(sac_jwt_header_get(jwt), true));
		(void)cJSON_AddItemToObject(
			both, "claims",
			cJSON_Duplicate(sac_jwt_claims_get(jwt), true));
		print_json(both);
		cJSON_Delete(both);
	} else if (sac_jwt_format(jwt, now_s(c), &text) == SAC_OK) {
		fputs(text, stdout);
		free(text);
	}
	if (sac_jwt_is_expired(jwt, now_s(c))) {
		int64_t exp = 0;
		char ago[32];

		(void)sac_jwt_time_claim(jwt, "exp", &exp);
		fprintf(stderr, "error: the token expired %s ago\n",
		        sac_duration_human(now_s(c) - exp, ago, sizeof(ago)));
		rc = SAC_EXIT_TOKEN;
	}
	if (jwks_from == NULL) {
		printf("Signature: NOT verified (no --jwks given): the claims "
		       "above are untrusted\n");
		goto out;
	}
	err = c->a->jwks_file
	              ? read_small_file(c->a->jwks_file, &jwks, &jwks_len, &d)
	              : fetch_jwks(c, &jwks, &jwks_len, &d);
	if (err == SAC_OK) {
		err = sac_jwt_verify_jwks(jwt, jwks, jwks_len, &d);
	}
	if (err == SAC_OK) {
		printf("Signature: verified against %s\n", jwks_from);
	} else {
		printf("Signature: NOT verified: %s\n", d.msg);
		rc = fail(err, &d);
	}
out:
	free(jwks);
	sac_jwt_free(jwt);
	return rc;
}

static int
cmd_whoami(struct ctx *c)
{
	struct sac_diag d = { 0 };
	const cJSON *ui;
	const cJSON *e;
	cJSON *j = NULL;
	enum sac_err err;

	err = connect_client(c, &d);
	if (err == SAC_OK) {
		err = sac_whoami(c->client, &j, &d);
	}
	if (err != SAC_OK) {
		return fail(err, &d);
	}
	if (c->a->output == SAC_OUTPUT_JSON) {
		print_json(j);
		cJSON_Delete(j);
		return 0;
	}
	ui = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(j, "status"), "userInfo");
	/* kubectl auth whoami's ATTRIBUTE/VALUE table. */
	printf("%-50s %s\n", "ATTRIBUTE", "VALUE");
	if (cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(ui, "username"))) {
		printf("%-50s %s\n", "Username",
		       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			       ui, "username")));
	}
	if (cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ui, "uid"))) {
		printf("%-50s %s\n", "UID",
		       cJSON_GetStringValue(
			       cJSON_GetObjectItemCaseSensitive(ui, "uid")));
	}
	print_strings(50, "Groups",
	              cJSON_GetObjectItemCaseSensitive(ui, "groups"));
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(ui, "extra")) {
		char label[300];

		(void)snprintf(label, sizeof(label), "Extra: %s", e->string);
		print_strings(50, label, e);
	}
	cJSON_Delete(j);
	return 0;
}

/* "6a1bd4c4 exp=2023-11-14T23:13:20Z (in 43m)" for the current token. */
static void
token_label(const struct ctx *c, const char *tok, char *buf, size_t len)
{
	struct sac_jwt *jwt = NULL;
	char id[16];
	char when[32];
	char d[32];
	int64_t exp;
	int64_t now = now_s(c);

	if (tok == NULL || sac_jwt_decode(tok, &jwt, NULL) != SAC_OK) {
		(void)snprintf(buf, len, "token=%s", tok ? "(not a JWT)" : "-");
		return;
	}
	(void)sac_jwt_label(jwt, id, sizeof(id));
	if (sac_jwt_time_claim(jwt, "exp", &exp)) {
		(void)sac_time_format(exp, when, sizeof(when));
		(void)sac_duration_human(exp - now, d, sizeof(d));
		(void)snprintf(buf, len, "token=%s exp=%s (%s%s%s)", id, when,
		               exp > now ? "in " : "expired ", d,
		               exp > now ? "" : " ago");
	} else {
		(void)snprintf(buf, len, "token=%s exp=none", id);
	}
	sac_jwt_free(jwt);
}

/* "user=<name>" for a SelfSubjectReview, "pods=<n>" for a PodList. */
static void
call_summary(const cJSON *j, char *buf, size_t len)
{
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(j, "items");
	const char *user =
		cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(j, "status"),
				"userInfo"),
			"username"));

	if (cJSON_IsArray(items)) {
		(void)snprintf(buf, len, "pods=%d", cJSON_GetArraySize(items));
	} else {
		(void)snprintf(buf, len, "user=%s", user ? user : "?");
	}
}

static int
cmd_watch(struct ctx *c)
{
	struct sac_diag d = { 0 };
	struct sac_token_source *src;
	char *last = NULL;
	int64_t calls;
	char every[32];
	char dur[32];
	enum sac_err err;
	int rc = 0;

	err = connect_client(c, &d);
	if (err != SAC_OK) {
		return fail(err, &d);
	}
	src = sac_client_token_source_get(c->client);
	calls = c->a->for_ms / c->a->every_ms + 1;
	printf("watch: strategy=%s every=%s for=%s calls=%lld call=%s\n",
	       src ? sac_strategy_name(sac_token_source_strategy(src)) : "none",
	       sac_duration_human(c->a->every_ms / 1000, every, sizeof(every)),
	       sac_duration_human(c->a->for_ms / 1000, dur, sizeof(dur)),
	       (long long)calls, c->a->call);
	for (int64_t i = 1; i <= calls; i++) {
		const char *tok;
		cJSON *j = NULL;
		char when[32];
		char label[160];

		memset(&d, 0, sizeof(d));
		if (strcmp(c->a->call, "pods") == 0) {
			err = sac_pods_get(c->client, c->cfg->namespace_, NULL,
			                   &j, &d);
		} else {
			err = sac_whoami(c->client, &j, &d);
		}
		(void)sac_time_format(now_s(c), when, sizeof(when));
		tok = src ? sac_token_source_peek(src) : NULL;
		token_label(c, tok, label, sizeof(label));
		if (tok != NULL && (last == NULL || strcmp(last, tok) != 0)) {
			if (last != NULL) {
				printf("%s token changed: %s (loads=%u)\n",
				       when, label,
				       sac_token_source_loads(src));
			}
			wipe_free(last);
			last = dup_or_null(tok);
		}
		if (err == SAC_OK) {
			char what[300];

			call_summary(j, what, sizeof(what));
			printf("%s call %lld ok %s %s\n", when, (long long)i,
			       what, label);
			rc = 0;
		} else {
			printf("%s call %lld FAILED (%s): %s %s\n", when,
			       (long long)i, sac_err_name(err), d.msg, label);
			rc = (int)sac_exit_code(err);
		}
		fflush(stdout);
		cJSON_Delete(j);
		if (i < calls) {
			sac_clock_sleep_ms(&c->clock, c->a->every_ms);
		}
	}
	wipe_free(last);
	return rc;
}

/* The timeline printer: colour (ANSI SGR) only when asked or on a TTY. */
struct timeline {
	bool color;
};

static const char *
kind_color(enum sac_timeline_kind k)
{
	switch (k) {
	case SAC_TL_STEP:
		return "\033[1m"; /* bold */
	case SAC_TL_INFO:
		return "\033[2m"; /* dim */
	case SAC_TL_OK:
	case SAC_TL_PASS:
		return "\033[32m"; /* green */
	case SAC_TL_EXPECTED:
		return "\033[33m"; /* yellow */
	case SAC_TL_FAIL:
	case SAC_TL_FAILED:
		return "\033[1;31m"; /* bold red */
	}
	return "";
}

static void
on_entry(const struct sac_timeline_entry *e, void *payload)
{
	const struct timeline *t = payload;
	char when[32];
	char plus[32];

	(void)sac_time_format(e->mock_ms / 1000, when, sizeof(when));
	(void)sac_duration_human(e->elapsed_ms / 1000, plus, sizeof(plus));
	/* "2025-06-01T10:08:30Z +8m30s": the clock part and the offset. */
	printf("%s%s +%-6s %-9s %-9s %-8s %s%s\n", t->color ? "\033[36m" : "",
	       when + 11, plus, e->scenario, e->actor,
	       sac_timeline_kind_name(e->kind),
	       t->color ? kind_color(e->kind) : "", e->text);
	if (t->color) {
		fputs("\033[0m", stdout);
	}
	fflush(stdout);
}

static int
cmd_scenario(struct ctx *c)
{
	struct sac_scenario_options o = { 0 };
	struct sac_scenario_result res = { 0 };
	struct sac_diag d = { 0 };
	struct timeline t = { 0 };
	enum sac_err err;

	o.serviceaccount_dir = c->a->serviceaccount_dir;
	if (o.serviceaccount_dir == NULL) {
		o.serviceaccount_dir = getenv(SAC_SERVICEACCOUNT_DIR_ENV);
	}
	if (o.serviceaccount_dir == NULL || *o.serviceaccount_dir == '\0') {
		fputs("error: scenario needs --serviceaccount-dir DIR (or "
		      "$" SAC_SERVICEACCOUNT_DIR_ENV "): the in-cluster "
		      "directory mockapi's kubelet keeps, e.g. "
		      ".mockapi/serviceaccount\n",
		      stderr);
		return SAC_EXIT_USAGE;
	}
	err = load_config(c, &d);
	if (err != SAC_OK) {
		return fail(err, &d);
	}
	t.color = c->a->color == 1 ||
	          (c->a->color == -1 && isatty(STDOUT_FILENO));
	o.admin = c->cfg;
	o.step_ms = c->a->step_ms;
	o.expiration_s = c->a->expiration_s;
	o.on_entry = on_entry;
	o.payload = &t;
	err = sac_scenario_run(c->a->arg, &o, &res, &d);
	if (err != SAC_OK) {
		if (err == SAC_ENOTFOUND || err == SAC_EFORBIDDEN) {
			fprintf(stderr,
			        "error: scenario %s: the admin API (/mock/v1) "
			        "refused: %s (is this mockapi, and the "
			        "kubeconfig its admin one?)\n",
			        c->a->arg, d.msg);
			return (int)sac_exit_code(err);
		}
		fprintf(stderr, "error: scenario %s: %s\n", c->a->arg,
		        d.msg[0] != '\0' ? d.msg : sac_err_name(err));
		return (int)sac_exit_code(err);
	}
	if (!res.passed) {
		fprintf(stderr, "error: scenario %s FAILED: %s\n", c->a->arg,
		        res.why);
		return SAC_EXIT_SCENARIO;
	}
	printf("scenario %s: every expectation met (%u calls, %u expected "
	       "failures, %u new tokens)\n",
	       c->a->arg, res.calls, res.expected_failures, res.rotations);
	return 0;
}

int
main(int argc, char **argv)
{
	struct sac_diag d = { 0 };
	struct sac_cli a;
	struct ctx c = { 0 };
	enum sac_err err;
	int rc = 0;

	err = sac_cli_parse(argc, argv, &a, &d);
	if (err != SAC_OK) {
		fprintf(stderr, "error: %s\nSee 'saclient --help' for usage.\n",
		        d.msg);
		return SAC_EXIT_USAGE;
	}
	c.a = &a;
	c.clock.now_ms = offset_now;
	c.clock.sleep_ms = offset_sleep;
	c.clock.payload = &c.offset;
	if (a.now_set) {
		c.offset.offset_ms = a.now_s * 1000 - sac_clock_now_ms(NULL);
	}
	switch (a.cmd) {
	case SAC_CMD_HELP:
		fputs(sac_cli_usage(), stdout);
		break;
	case SAC_CMD_VERSION:
		printf("saclient %s\n", sac_version());
		break;
	case SAC_CMD_PODS:
		rc = cmd_pods(&c);
		break;
	case SAC_CMD_TOKEN_CREATE:
		rc = cmd_token_create(&c);
		break;
	case SAC_CMD_TOKEN_REVIEW:
		rc = cmd_token_review(&c);
		break;
	case SAC_CMD_TOKEN_INSPECT:
		rc = cmd_token_inspect(&c);
		break;
	case SAC_CMD_WHOAMI:
		rc = cmd_whoami(&c);
		break;
	case SAC_CMD_WATCH:
		rc = cmd_watch(&c);
		break;
	case SAC_CMD_SCENARIO:
		rc = cmd_scenario(&c);
		break;
	}
	sac_client_free(c.client);
	sac_config_free(c.cfg);
	return rc;
}
