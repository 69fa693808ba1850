/* SPDX-License-Identifier: MIT */
#include "json.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "util.h"

enum sac_err
sac_json_parse(const char *text, size_t len, struct cJSON **out,
               struct sac_diag *diag)
{
	const char *end = NULL;
	cJSON *j;

	if (text == NULL) {
		sac_diag_set(diag, "empty body");
		return SAC_EINVAL;
	}
	j = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (j == NULL) {
		sac_diag_set(diag, "invalid JSON at offset %zu",
		             end != NULL && end >= text ? (size_t)(end - text)
		                                        : (size_t)0);
		return SAC_EINVAL;
	}
	while (end != NULL && (size_t)(end - text) < len &&
	       (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t')) {
		end++;
	}
	if (end != NULL && (size_t)(end - text) < len && *end != '\0') {
		sac_diag_set(diag, "trailing data after JSON at offset %zu",
		             (size_t)(end - text));
		cJSON_Delete(j);
		return SAC_EINVAL;
	}
	*out = j;
	return SAC_OK;
}

const struct cJSON *
sac_json_obj(const struct cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsObject(v) ? v : NULL;
}

const char *
sac_json_str(const struct cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const struct cJSON *
sac_json_path(const struct cJSON *obj, const char *path)
{
	char key[128];
	const char *p = path;

	while (obj != NULL && *p != '\0') {
		const char *dot = strchr(p, '.');
		size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);

		if (n >= sizeof(key)) {
			return NULL;
		}
		memcpy(key, p, n);
		key[n] = '\0';
		obj = cJSON_GetObjectItemCaseSensitive(obj, key);
		p += n;
		if (*p == '.') {
			p++;
		}
	}
	return obj;
}

const char *
sac_json_path_str(const struct cJSON *obj, const char *path)
{
	const cJSON *v = sac_json_path(obj, path);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool
sac_json_int(const struct cJSON *obj, const char *key, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(v) || v->valuedouble > 9007199254740992.0 ||
	    v->valuedouble < -9007199254740992.0 ||
	    (double)(int64_t)v->valuedouble != v->valuedouble) {
		return false;
	}
	*out = (int64_t)v->valuedouble;
	return true;
}

bool
sac_json_bool(const struct cJSON *obj, const char *key, bool def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

bool
sac_json_adopt(struct cJSON *obj, const char *key, struct cJSON *item)
{
	if (item == NULL) {
		return false;
	}
	if (!cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		return false;
	}
	return true;
}
