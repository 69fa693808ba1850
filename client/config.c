/* SPDX-License-Identifier: MIT */
/*
 * config: where the API server is and which credentials to use — the
 * in-cluster environment and files, or a kubeconfig. The ONLY user of
 * libyaml in the tree.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "saclient.h"
#include "util.h"

#define MAX_KUBECONFIG (4u << 20)
#define MAX_FILES      16
#define MAX_ENTRIES    256

void
sac_config_free(struct sac_config *c)
{
	if (c == NULL) {
		return;
	}
	free(c->server);
	free(c->ca_file);
	free(c->ca_data);
	sac_free_secret(c->token);
	free(c->token_file);
	free(c->namespace_);
	free(c->context);
	free(c->origin);
	free(c);
}

static bool
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static char *
join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p != NULL) {
		(void)snprintf(p, n, "%s/%s", dir, name);
	}
	return p;
}

static char *
trim_dup(const char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' ||
	                 s[n - 1] == ' ' || s[n - 1] == '\t')) {
		n--;
	}
	return sac_strndup(s, n);
}

enum sac_err
sac_config_in_cluster(struct sac_config **out, struct sac_diag *diag)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = getenv(SAC_SERVICEACCOUNT_DIR_ENV);
	struct sac_config *c = NULL;
	char *nsbuf = NULL;
	enum sac_err err = SAC_ENOMEM;
	size_t n;

	if (host == NULL || *host == '\0' || port == NULL || *port == '\0') {
		sac_diag_set(diag, "unable to load in-cluster configuration, "
		                   "KUBERNETES_SERVICE_HOST and "
		                   "KUBERNETES_SERVICE_PORT must be defined");
		return SAC_ECONFIG;
	}
	if (dir == NULL || *dir == '\0') {
		dir = SAC_SERVICEACCOUNT_DIR;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		goto out;
	}
	n = strlen(host) + strlen(port) + 16;
	c->server = malloc(n);
	if (c->server == NULL) {
		goto out;
	}
	/* net.JoinHostPort: IPv6 literals get brackets. */
	(void)snprintf(c->server, n,
	               strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s",
	               host, port);
	c->token_file = join(dir, "token");
	c->ca_file = join(dir, "ca.crt");
	c->origin = sac_strdup("in-cluster");
	if (c->token_file == NULL || c->ca_file == NULL || c->origin == NULL) {
		goto out;
	}
	if (!file_exists(c->token_file)) {
		sac_diag_set(diag, "in-cluster token file %s does not exist",
		             c->token_file);
		err = SAC_ECONFIG;
		goto out;
	}
	{
		char *nspath = join(dir, "namespace");

		if (nspath == NULL) {
			goto out;
		}
		if (sac_read_file(nspath, 4096, &nsbuf, NULL, NULL) == SAC_OK) {
			c->namespace_ = trim_dup(nsbuf);
		}
		free(nspath);
	}
	if (c->namespace_ == NULL || *c->namespace_ == '\0') {
		free(c->namespace_);
		c->namespace_ = sac_strdup("default");
	}
	if (c->namespace_ == NULL) {
		goto out;
	}
	*out = c;
	c = NULL;
	err = SAC_OK;
out:
	free(nsbuf);
	sac_config_free(c);
	return err;
}

/* One parsed kubeconfig file. */
struct kfile {
	char *path;
	char *dir;
	yaml_document_t doc;
	bool loaded;
};

struct kubeconfig {
	struct kfile files[MAX_FILES];
	size_t nfiles;
};

static void
kubeconfig_fini(struct kubeconfig *k)
{
	size_t i;

	for (i = 0; i < k->nfiles; i++) {
		if (k->files[i].loaded) {
			yaml_document_delete(&k->files[i].doc);
		}
		free(k->files[i].path);
		free(k->files[i].dir);
	}
}

static enum sac_err
load_file(struct kfile *f, const char *path, struct sac_diag *diag)
{
	yaml_parser_t parser;
	char *text = NULL;
	size_t len = 0;
	enum sac_err err;
	char *slash;

	err = sac_read_file(path, MAX_KUBECONFIG, &text, &len, diag);
	if (err != SAC_OK) {
		return err;
	}
	f->path = sac_strdup(path);
	f->dir = sac_strdup(path);
	if (f->path == NULL || f->dir == NULL) {
		free(text);
		return SAC_ENOMEM;
	}
	slash = strrchr(f->dir, '/');
	if (slash != NULL) {
		*slash = '\0';
	} else {
		/* f->dir may be "" (path ""): no room for "." in it. */
		free(f->dir);
		f->dir = sac_strdup(".");
		if (f->dir == NULL) {
			free(text);
			return SAC_ENOMEM;
		}
	}
	if (!yaml_parser_initialize(&parser)) {
		free(text);
		return SAC_ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &f->doc)) {
		sac_diag_set(diag, "%s:%zu: invalid kubeconfig: %s%s%s", path,
		             parser.problem_mark.line + 1,
		             parser.problem ? parser.problem : "syntax error",
		             parser.context ? " " : "",
		             parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		free(text);
		return SAC_ECONFIG;
	}
	f->loaded = true;
	yaml_parser_delete(&parser);
	free(text);
	return SAC_OK;
}

static yaml_node_t *
root_of(struct kfile *f)
{
	return yaml_document_get_root_node(&f->doc);
}

/* mapping[key], or NULL. */
static yaml_node_t *
map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	if (map == NULL || map->type != YAML_MAPPING_NODE) {
		return NULL;
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);

		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0) {
			return yaml_document_get_node(doc, p->value);
		}
	}
	return NULL;
}

/* The scalar text of mapping[key]; NULL if absent or not a scalar. */
static const char *
map_str(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_t *v = map_get(doc, map, key);

	if (v == NULL || v->type != YAML_SCALAR_NODE) {
		return NULL;
	}
	return (const char *)v->data.scalar.value;
}

static size_t
line_of(yaml_node_t *n)
{
	return n ? n->start_mark.line + 1 : 0;
}

/*
 * Finds the named entry of a top-level list ("clusters", "users",
 * "contexts") across all files, first definition winning; returns its
 * inner mapping (entry[inner]) and the file it came from.
 */
static enum sac_err
find_entry(struct kubeconfig *k, const char *list, const char *inner,
           const char *name, yaml_node_t **out_node, struct kfile **out_file,
           struct sac_diag *diag)
{
	size_t i;

	for (i = 0; i < k->nfiles; i++) {
		struct kfile *f = &k->files[i];
		yaml_node_t *seq = map_get(&f->doc, root_of(f), list);
		yaml_node_item_t *it;

		if (seq == NULL) {
			continue;
		}
		if (seq->type != YAML_SEQUENCE_NODE) {
			if (seq->type == YAML_SCALAR_NODE &&
			    seq->data.scalar.length == 0) {
				continue; /* "clusters:" with nothing (null) */
			}
			sac_diag_set(diag, "%s:%zu: %s must be a list", f->path,
			             line_of(seq), list);
			return SAC_ECONFIG;
		}
		for (it = seq->data.sequence.items.start;
		     it < seq->data.sequence.items.top; it++) {
			yaml_node_t *e = yaml_document_get_node(&f->doc, *it);
			const char *n = map_str(&f->doc, e, "name");

			if (n != NULL && strcmp(n, name) == 0) {
				yaml_node_t *v = map_get(&f->doc, e, inner);

				if (v == NULL || v->type != YAML_MAPPING_NODE) {
					sac_diag_set(
						diag,
						"%s:%zu: %s \"%s\" has no %s "
						"mapping",
						f->path, line_of(e), list, name,
						inner);
					return SAC_ECONFIG;
				}
				*out_node = v;
				*out_file = f;
				return SAC_OK;
			}
		}
	}
	return SAC_ENOTFOUND;
}

static char *
resolve_path(const struct kfile *f, const char *p)
{
	if (p == NULL) {
		return NULL;
	}
	if (p[0] == '/') {
		return sac_strdup(p);
	}
	return join(f->dir, p);
}

static enum sac_err
fill_cluster(struct sac_config *c, struct kfile *f, yaml_node_t *cl,
             struct sac_diag *diag)
{
	const char *server = map_str(&f->doc, cl, "server");
	const char *ca = map_str(&f->doc, cl, "certificate-authority");
	const char *cad = map_str(&f->doc, cl, "certificate-authority-data");
	const char *insecure = map_str(&f->doc, cl, "insecure-skip-tls-verify");

	if (server == NULL || *server == '\0') {
		sac_diag_set(diag, "%s:%zu: cluster has no server", f->path,
		             line_of(cl));
		return SAC_ECONFIG;
	}
	c->server = sac_strdup(server);
	if (c->server == NULL) {
		return SAC_ENOMEM;
	}
	/* kubeconfig URLs may end with '/'; requests add their own. */
	while (strlen(c->server) > 8 &&
	       c->server[strlen(c->server) - 1] == '/') {
		c->server[strlen(c->server) - 1] = '\0';
	}
	if (cad != NULL) {
		unsigned char *pem = NULL;
		size_t n = 0;

		if (sac_base64_decode(cad, strlen(cad), 0, &pem, &n) !=
		    SAC_OK) {
			sac_diag_set(
				diag,
				"%s:%zu: certificate-authority-data is not "
				"valid base64",
				f->path,
				line_of(map_get(&f->doc, cl,
			                        "certificate-authority-data")));
			return SAC_ECONFIG;
		}
		c->ca_data = (char *)pem;
		c->ca_len = n;
	} else if (ca != NULL) {
		c->ca_file = resolve_path(f, ca);
		if (c->ca_file == NULL) {
			return SAC_ENOMEM;
		}
	}
	c->insecure_skip_tls_verify =
		insecure != NULL && strcmp(insecure, "true") == 0;
	return SAC_OK;
}

static enum sac_err
fill_user(struct sac_config *c, struct kfile *f, yaml_node_t *u,
          struct sac_diag *diag)
{
	const char *token = map_str(&f->doc, u, "token");
	const char *token_file = map_str(&f->doc, u, "tokenFile");

	if (token != NULL && *token != '\0') {
		c->token = sac_strdup(token);
		if (c->token == NULL) {
			return SAC_ENOMEM;
		}
	}
	if (token_file != NULL && *token_file != '\0') {
		c->token_file = resolve_path(f, token_file);
		if (c->token_file == NULL) {
			return SAC_ENOMEM;
		}
	}
	if (c->token == NULL && c->token_file == NULL) {
		sac_diag_set(diag,
		             "%s:%zu: user has neither token nor tokenFile "
		             "(saclient supports bearer tokens only)",
		             f->path, line_of(u));
		return SAC_ECONFIG;
	}
	return SAC_OK;
}

static enum sac_err
load_files(struct kubeconfig *k, const char *paths, struct sac_diag *diag)
{
	char *list = NULL;
	char *save = NULL;
	char *p;
	enum sac_err err = SAC_OK;

	if (paths == NULL || *paths == '\0') {
		paths = getenv("KUBECONFIG");
	}
	if (paths == NULL || *paths == '\0') {
		const char *home = getenv("HOME");

		if (home == NULL) {
			sac_diag_set(diag,
			             "no kubeconfig: KUBECONFIG and HOME are "
			             "unset");
			return SAC_ECONFIG;
		}
		list = join(home, ".kube/config");
	} else {
		list = sac_strdup(paths);
	}
	if (list == NULL) {
		return SAC_ENOMEM;
	}
	for (p = strtok_r(list, ":", &save); p != NULL;
	     p = strtok_r(NULL, ":", &save)) {
		if (k->nfiles >= MAX_FILES) {
			break;
		}
		/* kubectl skips list members that do not exist. */
		if (!file_exists(p) && paths != NULL &&
		    strchr(paths, ':') != NULL) {
			continue;
		}
		err = load_file(&k->files[k->nfiles], p, diag);
		if (k->files[k->nfiles].path != NULL) {
			k->nfiles++;
		}
		if (err != SAC_OK) {
			break;
		}
	}
	free(list);
	if (err == SAC_OK && k->nfiles == 0) {
		sac_diag_set(diag, "no kubeconfig file found in %s", paths);
		err = SAC_ECONFIG;
	}
	return err;
}

enum sac_err
sac_config_kubeconfig(const char *paths, const char *context,
                      const char *namespace_override, struct sac_config **out,
                      struct sac_diag *diag)
{
	struct kubeconfig k = { 0 };
	struct sac_config *c = NULL;
	yaml_node_t *ctx = NULL;
	yaml_node_t *node = NULL;
	struct kfile *cf = NULL;
	struct kfile *f = NULL;
	const char *cluster_name;
	const char *user_name;
	const char *ns;
	enum sac_err err;
	size_t i;

	err = load_files(&k, paths, diag);
	if (err != SAC_OK) {
		goto out;
	}
	for (i = 0; context == NULL && i < k.nfiles; i++) {
		yaml_node_t *r = root_of(&k.files[i]);

		if (r != NULL && r->type != YAML_MAPPING_NODE &&
		    !(r->type == YAML_SCALAR_NODE &&
		      r->data.scalar.length == 0)) {
			sac_diag_set(diag,
			             "%s:%zu: a kubeconfig must be a mapping",
			             k.files[i].path, line_of(r));
			err = SAC_ECONFIG;
			goto out;
		}
		context = map_str(&k.files[i].doc, r, "current-context");
		if (context != NULL && *context == '\0') {
			context = NULL;
		}
	}
	if (context == NULL) {
		sac_diag_set(diag,
		             "%s: no current-context is set; pass --context",
		             k.files[0].path);
		err = SAC_ECONFIG;
		goto out;
	}
	err = find_entry(&k, "contexts", "context", context, &ctx, &cf, diag);
	if (err == SAC_ENOTFOUND) {
		sac_diag_set(diag, "context \"%s\" does not exist", context);
		err = SAC_ECONFIG;
	}
	if (err != SAC_OK) {
		goto out;
	}
	cluster_name = map_str(&cf->doc, ctx, "cluster");
	user_name = map_str(&cf->doc, ctx, "user");
	ns = map_str(&cf->doc, ctx, "namespace");
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		err = SAC_ENOMEM;
		goto out;
	}
	if (cluster_name == NULL) {
		sac_diag_set(diag, "%s:%zu: context \"%s\" names no cluster",
		             cf->path, line_of(ctx), context);
		err = SAC_ECONFIG;
		goto out;
	}
	err = find_entry(&k, "clusters", "cluster", cluster_name, &node, &f,
	                 diag);
	if (err == SAC_ENOTFOUND) {
		sac_diag_set(diag,
		             "%s:%zu: cluster \"%s\" (of context \"%s\") "
		             "does not exist",
		             cf->path, line_of(ctx), cluster_name, context);
		err = SAC_ECONFIG;
	}
	if (err != SAC_OK || (err = fill_cluster(c, f, node, diag)) != SAC_OK) {
		goto out;
	}
	if (user_name != NULL) {
		err = find_entry(&k, "users", "user", user_name, &node, &f,
		                 diag);
		if (err == SAC_ENOTFOUND) {
			sac_diag_set(
				diag,
				"%s:%zu: user \"%s\" (of context \"%s\") does "
				"not exist",
				cf->path, line_of(ctx), user_name, context);
			err = SAC_ECONFIG;
		}
		if (err != SAC_OK ||
		    (err = fill_user(c, f, node, diag)) != SAC_OK) {
			goto out;
		}
	}
	if (namespace_override != NULL && *namespace_override != '\0') {
		ns = namespace_override;
	}
	c->namespace_ = sac_strdup(ns != NULL && *ns != '\0' ? ns : "default");
	c->context = sac_strdup(context);
	c->origin = sac_strdup(cf->path);
	if (c->namespace_ == NULL || c->context == NULL || c->origin == NULL) {
		err = SAC_ENOMEM;
		goto out;
	}
	*out = c;
	c = NULL;
	err = SAC_OK;
out:
	sac_config_free(c);
	kubeconfig_fini(&k);
	return err;
}
