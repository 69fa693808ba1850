/* SPDX-License-Identifier: MIT */
#include "server/json.h"

#include <string.h>

#include <cjson/cJSON.h>

#define MAX_EXACT_INT 9007199254740992.0 /* 2^53 */

enum mapi_err
mapi_json_parse(const char *text, size_t len, struct cJSON **out,
                struct mapi_diag *diag)
{
	const char *end = NULL;
	cJSON *root;

	if (text == NULL) {
		return MAPI_EINVAL;
	}
	/* Never cJSON_GetErrorPtr(): it is global state (STYLE.md 3.5). */
	root = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (root != NULL) {
		/* Only whitespace may follow the value. */
		while (end < text + len &&
		       (*end == ' ' || *end == '\t' || *end == '\r' ||
		        *end == '\n')) {
			end++;
		}
		if (end < text + len && *end != '\0') {
			cJSON_Delete(root);
			root = NULL;
		}
	}
	if (root == NULL) {
		size_t off = end != NULL && end >= text ? (size_t)(end - text)
		                                        : 0;
		if (off > len) {
			off = len;
		}
		if (diag != NULL) {
			diag->offset = off;
		}
		mapi_diag_set(diag, "invalid JSON at offset %zu", off);
		return MAPI_EINVAL;
	}
	*out = root;
	return MAPI_OK;
}

char *
mapi_json_print(const struct cJSON *obj)
{
	return obj != NULL ? cJSON_PrintUnformatted(obj) : NULL;
}

enum mapi_err
mapi_json_adopt(struct cJSON *obj, const char *key, struct cJSON *item)
{
	if (item == NULL) {
		return MAPI_EINVAL;
	}
	if (obj == NULL || !cJSON_IsObject(obj) || key == NULL) {
		cJSON_Delete(item);
		return MAPI_EINVAL;
	}
	if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL) {
		if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item)) {
			cJSON_Delete(item);
			return MAPI_ENOMEM;
		}
		return MAPI_OK;
	}
	if (!cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		return MAPI_ENOMEM;
	}
	return MAPI_OK;
}

enum mapi_err
mapi_json_set_string(struct cJSON *obj, const char *key, const char *value)
{
	cJSON *item;

	if (value == NULL) {
		return MAPI_EINVAL;
	}
	item = cJSON_CreateString(value);
	if (item == NULL) {
		return MAPI_ENOMEM;
	}
	return mapi_json_adopt(obj, key, item);
}

enum mapi_err
mapi_json_set_int(struct cJSON *obj, const char *key, int64_t n)
{
	cJSON *item = cJSON_CreateNumber((double)n);

	if (item == NULL) {
		return MAPI_ENOMEM;
	}
	return mapi_json_adopt(obj, key, item);
}

struct cJSON *
mapi_json_get_object(const struct cJSON *obj, const char *key)
{
	cJSON *item;

	if (obj == NULL || key == NULL) {
		return NULL;
	}
	item = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsObject(item) ? item : NULL;
}

const char *
mapi_json_get_string(const struct cJSON *obj, const char *key)
{
	cJSON *item;

	if (obj == NULL || key == NULL) {
		return NULL;
	}
	item = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(item) ? item->valuestring : NULL;
}

const char *
mapi_json_get_path_string(const struct cJSON *obj, const char *path)
{
	char part[128];
	const cJSON *cur = obj;
	const char *p = path;

	if (obj == NULL || path == NULL) {
		return NULL;
	}
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);

		if (n == 0 || n >= sizeof(part)) {
			return NULL;
		}
		memcpy(part, p, n);
		part[n] = '\0';
		if (dot == NULL) {
			return mapi_json_get_string(cur, part);
		}
		cur = mapi_json_get_object(cur, part);
		if (cur == NULL) {
			return NULL;
		}
		p = dot + 1;
	}
}

bool
mapi_json_get_int(const struct cJSON *obj, const char *key, int64_t *out)
{
	cJSON *item;
	double d;

	if (obj == NULL || key == NULL) {
		return false;
	}
	item = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsNumber(item)) {
		return false;
	}
	d = item->valuedouble;
	if (!(d >= -MAX_EXACT_INT && d <= MAX_EXACT_INT) || (double)(int64_t)d != d) {
		return false;
	}
	*out = (int64_t)d;
	return true;
}

struct cJSON *
mapi_json_ensure_object(struct cJSON *obj, const char *key)
{
	cJSON *item;

	if (obj == NULL || key == NULL || !cJSON_IsObject(obj)) {
		return NULL;
	}
	item = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (item != NULL) {
		return cJSON_IsObject(item) ? item : NULL;
	}
	return cJSON_AddObjectToObject(obj, key);
}
