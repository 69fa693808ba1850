/* SPDX-License-Identifier: MIT */
#include "state/fixtures.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "server/json.h"
#include "sim/clock.h"
#include "state/store.h"

/* Generated at build time from fixtures/default-cluster.json. */
extern const char mapi_fixtures_default_json_data[];
extern const size_t mapi_fixtures_default_json_size;

#define RBAC "rbac.authorization.k8s.io"

static const struct mapi_kind_info kinds[] = {
	{ "Namespace", "", "v1", "v1", "namespaces", false },
	{ "Node", "", "v1", "v1", "nodes", false },
	{ "Pod", "", "v1", "v1", "pods", true },
	{ "ServiceAccount", "", "v1", "v1", "serviceaccounts", true },
	{ "Secret", "", "v1", "v1", "secrets", true },
	{ "ConfigMap", "", "v1", "v1", "configmaps", true },
	{ "Service", "", "v1", "v1", "services", true },
	{ "Role", RBAC, "v1", RBAC "/v1", "roles", true },
	{ "ClusterRole", RBAC, "v1", RBAC "/v1", "clusterroles", false },
	{ "RoleBinding", RBAC, "v1", RBAC "/v1", "rolebindings", true },
	{ "ClusterRoleBinding", RBAC, "v1", RBAC "/v1", "clusterrolebindings",
	  false },
};

const struct mapi_kind_info *
mapi_kind_lookup(const char *kind)
{
	size_t i;

	for (i = 0; kind != NULL && i < sizeof(kinds) / sizeof(kinds[0]);
	     i++) {
		if (strcmp(kinds[i].kind, kind) == 0) {
			return &kinds[i];
		}
	}
	return NULL;
}

const struct mapi_kind_info *
mapi_kind_lookup_resource(const char *group, const char *resource)
{
	size_t i;

	if (group == NULL) {
		group = "";
	}
	for (i = 0; resource != NULL && i < sizeof(kinds) / sizeof(kinds[0]);
	     i++) {
		if (strcmp(kinds[i].group, group) == 0 &&
		    strcmp(kinds[i].resource, resource) == 0) {
			return &kinds[i];
		}
	}
	return NULL;
}

const char *
mapi_fixtures_default_json(size_t *out_len)
{
	if (out_len != NULL) {
		*out_len = mapi_fixtures_default_json_size;
	}
	return mapi_fixtures_default_json_data;
}

/* Replaces every string "${now}" in the tree (bounded depth). */
static enum mapi_err
subst_now(cJSON *node, const char *now, int depth)
{
	cJSON *c;

	if (depth > 64) {
		return MAPI_EINVAL;
	}
	cJSON_ArrayForEach(c, node)
	{
		if (cJSON_IsString(c) && strcmp(c->valuestring, "${now}") == 0) {
			if (cJSON_SetValuestring(c, now) == NULL) {
				return MAPI_ENOMEM;
			}
		} else if (cJSON_IsObject(c) || cJSON_IsArray(c)) {
			enum mapi_err err = subst_now(c, now, depth + 1);

			if (err != MAPI_OK) {
				return err;
			}
		}
	}
	return MAPI_OK;
}

/* Prefix for messages: "file: items[3]: " or "file: ". */
static void
where(char *buf, size_t len, const char *name, long idx)
{
	if (idx >= 0) {
		(void)snprintf(buf, len, "%s: items[%ld]: ", name, idx);
	} else {
		(void)snprintf(buf, len, "%s: ", name);
	}
}

static enum mapi_err
load_object(struct mapi_store *store, const char *now, const char *name,
            long idx, const cJSON *item, struct mapi_diag *diag)
{
	const struct mapi_kind_info *ki;
	struct mapi_diag sub = { 0 };
	struct mapi_store_ref ref = { 0 };
	cJSON *obj = NULL, *meta;
	const char *kind, *apiv, *ns;
	char at[512];
	enum mapi_err err = MAPI_EINVAL;

	where(at, sizeof(at), name, idx);
	if (!cJSON_IsObject(item)) {
		mapi_diag_set(diag, "%snot a JSON object", at);
		return MAPI_EINVAL;
	}
	kind = mapi_json_get_string(item, "kind");
	ki = mapi_kind_lookup(kind);
	if (ki == NULL) {
		if (kind == NULL) {
			mapi_diag_set(diag, "%skind is missing", at);
		} else {
			mapi_diag_set(diag, "%sunknown kind \"%s\"", at, kind);
		}
		return MAPI_EINVAL;
	}
	apiv = mapi_json_get_string(item, "apiVersion");
	if (apiv != NULL && strcmp(apiv, ki->api_version) != 0) {
		mapi_diag_set(diag, "%s%s needs apiVersion \"%s\", not \"%s\"",
		              at, ki->kind, ki->api_version, apiv);
		return MAPI_EINVAL;
	}
	obj = cJSON_Duplicate(item, true);
	if (obj == NULL) {
		return MAPI_ENOMEM;
	}
	meta = mapi_json_get_object(obj, "metadata");
	ref.name = mapi_json_get_string(meta, "name");
	if (ref.name == NULL || *ref.name == '\0') {
		mapi_diag_set(diag, "%s%s: metadata.name is missing", at,
		              ki->kind);
		goto out;
	}
	err = mapi_json_set_string(obj, "apiVersion", ki->api_version);
	if (err == MAPI_OK) {
		err = subst_now(obj, now, 0);
	}
	/* subst_now may have replaced (freed) the name string itself. */
	ref.name = mapi_json_get_string(meta, "name");
	if (err != MAPI_OK) {
		mapi_diag_set(diag, "%s%s \"%s\": nested too deeply", at,
		              ki->kind, ref.name);
		goto out;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "uid");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "resourceVersion");
	ns = mapi_json_get_string(meta, "namespace");
	ref.group = ki->group;
	ref.resource = ki->resource;
	ref.ns = ki->namespaced ? (ns != NULL && *ns != '\0' ? ns : "default")
	                        : NULL;
	err = mapi_store_create(store, &ref, obj,
	                        MAPI_STORE_KEEP_CREATION_TIMESTAMP, NULL, &sub);
	if (err != MAPI_OK) {
		mapi_diag_set(diag, "%s%s", at,
		              sub.msg[0] != '\0' ? sub.msg : mapi_err_name(err));
	}
out:
	cJSON_Delete(obj);
	return err;
}

enum mapi_err
mapi_fixtures_load_buffer(struct mapi_store *store,
                          const struct mapi_clock *clock, const char *name,
                          const char *text, size_t len,
                          struct mapi_diag *diag)
{
	struct mapi_diag sub = { 0 };
	cJSON *root = NULL;
	const cJSON *items, *it;
	const char *kind;
	char now[32];
	enum mapi_err err;
	long i = 0;

	if (!mapi_time_format_rfc3339(mapi_clock_now(clock), now,
	                              sizeof(now))) {
		return MAPI_EINVAL;
	}
	err = mapi_json_parse(text, len, &root, &sub);
	if (err != MAPI_OK) {
		if (diag != NULL) {
			diag->offset = sub.offset;
		}
		mapi_diag_set(diag, "%s: %s", name, sub.msg);
		return err;
	}
	kind = mapi_json_get_string(root, "kind");
	if (kind != NULL && strcmp(kind, "List") == 0) {
		items = cJSON_GetObjectItemCaseSensitive(root, "items");
		if (!cJSON_IsArray(items)) {
			mapi_diag_set(diag, "%s: a List needs an items array",
			              name);
			err = MAPI_EINVAL;
			goto out;
		}
		cJSON_ArrayForEach(it, items)
		{
			err = load_object(store, now, name, i++, it, diag);
			if (err != MAPI_OK) {
				goto out;
			}
		}
	} else {
		err = load_object(store, now, name, -1, root, diag);
	}
out:
	cJSON_Delete(root);
	return err;
}

static enum mapi_err
read_file(const char *path, char **out, size_t *out_len,
          struct mapi_diag *diag)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	enum mapi_err err = MAPI_EIO;

	if (f == NULL) {
		mapi_diag_set(diag, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? MAPI_ENOTFOUND : MAPI_EIO;
	}
	for (;;) {
		size_t got;

		if (n == cap) {
			char *nb;

			if (cap >= MAPI_FIXTURES_MAX_FILE_BYTES) {
				mapi_diag_set(diag, "%s: larger than %zu bytes",
				              path, MAPI_FIXTURES_MAX_FILE_BYTES);
				err = MAPI_ETOOLARGE;
				goto out;
			}
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap + 1);
			if (nb == NULL) {
				err = MAPI_ENOMEM;
				goto out;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			break;
		}
	}
	if (ferror(f)) {
		mapi_diag_set(diag, "%s: read error", path);
		goto out;
	}
	if (buf == NULL) {
		buf = malloc(1);
		if (buf == NULL) {
			err = MAPI_ENOMEM;
			goto out;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	buf = NULL;
	err = MAPI_OK;
out:
	free(buf);
	(void)fclose(f);
	return err;
}

static enum mapi_err
load_file(struct mapi_store *store, const struct mapi_clock *clock,
          const char *path, struct mapi_diag *diag)
{
	char *text = NULL;
	size_t len = 0;
	enum mapi_err err = read_file(path, &text, &len, diag);

	if (err == MAPI_OK) {
		err = mapi_fixtures_load_buffer(store, clock, path, text, len,
		                                diag);
	}
	free(text);
	return err;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
is_json_name(const char *n)
{
	size_t len = strlen(n);

	return n[0] != '.' && len > 5 && strcmp(n + len - 5, ".json") == 0;
}

static enum mapi_err
load_dir(struct mapi_store *store, const struct mapi_clock *clock,
         const char *path, struct mapi_diag *diag)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	enum mapi_err err = MAPI_OK;

	if (d == NULL) {
		mapi_diag_set(diag, "%s: %s", path, strerror(errno));
		return MAPI_EIO;
	}
	names = calloc(MAPI_FIXTURES_MAX_FILES, sizeof(*names));
	if (names == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_json_name(de->d_name)) {
			continue;
		}
		if (n == MAPI_FIXTURES_MAX_FILES) {
			mapi_diag_set(diag, "%s: more than %d fixture files",
			              path, MAPI_FIXTURES_MAX_FILES);
			err = MAPI_ETOOMANY;
			goto out;
		}
		names[n] = strdup(de->d_name);
		if (names[n] == NULL) {
			err = MAPI_ENOMEM;
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n && err == MAPI_OK; i++) {
		size_t len = strlen(path) + strlen(names[i]) + 2;
		char *full = malloc(len);

		if (full == NULL) {
			err = MAPI_ENOMEM;
			break;
		}
		(void)snprintf(full, len, "%s/%s", path, names[i]);
		err = load_file(store, clock, full, diag);
		free(full);
	}
out:
	for (i = 0; names != NULL && i < n; i++) {
		free(names[i]);
	}
	free(names);
	(void)closedir(d);
	return err;
}

enum mapi_err
mapi_fixtures_load_path(struct mapi_store *store,
                        const struct mapi_clock *clock, const char *path,
                        struct mapi_diag *diag)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		mapi_diag_set(diag, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? MAPI_ENOTFOUND : MAPI_EIO;
	}
	if (S_ISDIR(st.st_mode)) {
		return load_dir(store, clock, path, diag);
	}
	return load_file(store, clock, path, diag);
}

enum mapi_err
mapi_fixtures_load_default(struct mapi_store *store,
                           const struct mapi_clock *clock,
                           struct mapi_diag *diag)
{
	return mapi_fixtures_load_buffer(store, clock,
	                                 "default-cluster.json",
	                                 mapi_fixtures_default_json_data,
	                                 mapi_fixtures_default_json_size, diag);
}
