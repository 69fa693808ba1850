/* SPDX-License-Identifier: MIT */
/*
 * fuzz_patch: a JSON request body applied as every PATCH type (api/patch).
 *
 * Input: TARGET '\0' PATCH, both JSON. Without a NUL the whole input is the
 * patch and the target is a small Pod. Each of merge, strategic merge,
 * JSON patch and apply runs on its own copy of the target. Properties
 * (patch.h): on error the target is untouched (same pointer, same
 * content); on MAPI_OK it is still a JSON value that prints and parses.
 */
#include <cjson/cJSON.h>

#include "api/patch.h"
#include "fuzz.h"

static const char default_target[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
	"\"namespace\":\"default\",\"labels\":{\"app\":\"web\"}},"
	"\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\","
	"\"ports\":[{\"containerPort\":80}],\"volumeMounts\":[{\"name\":\"v\","
	"\"mountPath\":\"/v\"}]}],\"volumes\":[{\"name\":\"v\",\"emptyDir\":{}}"
	"]}}";

static void
apply_one(enum mapi_patch_type type, const cJSON *target, const cJSON *patch)
{
	struct mapi_diag diag = { 0 };
	cJSON *work = cJSON_Duplicate(target, true);
	char *orig = cJSON_PrintUnformatted(target);
	cJSON *before;
	char *text;
	cJSON *reparsed;

	FUZZ_CHECK(work != NULL && orig != NULL);
	before = work;
	if (mapi_patch_apply(type, &work, patch, &diag) != MAPI_OK) {
		/*
		 * Compared as text: cJSON_Compare() calls two equal objects
		 * with a duplicate key different.
		 */
		FUZZ_CHECK(work == before);
		text = cJSON_PrintUnformatted(work);
		FUZZ_CHECK(text != NULL && strcmp(text, orig) == 0);
		FUZZ_CHECK(memchr(diag.msg, '\0', sizeof(diag.msg)) != NULL);
		cJSON_free(text);
		cJSON_free(orig);
		cJSON_Delete(work);
		return;
	}
	cJSON_free(orig);
	FUZZ_CHECK(work != NULL);
	text = cJSON_PrintUnformatted(work);
	FUZZ_CHECK(text != NULL);
	reparsed = cJSON_Parse(text);
	FUZZ_CHECK(reparsed != NULL);
	cJSON_Delete(reparsed);
	cJSON_free(text);
	cJSON_Delete(work);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum mapi_patch_type types[] = {
		MAPI_PATCH_MERGE,
		MAPI_PATCH_STRATEGIC,
		MAPI_PATCH_JSON,
		MAPI_PATCH_APPLY,
	};
	const uint8_t *nul = memchr(data, '\0', size);
	cJSON *target;
	cJSON *patch;
	size_t i;

	if (nul != NULL) {
		target = cJSON_ParseWithLength((const char *)data,
		                               (size_t)(nul - data));
		patch = cJSON_ParseWithLength((const char *)nul + 1,
		                              size - (size_t)(nul - data) - 1);
	} else {
		target = cJSON_Parse(default_target);
		patch = cJSON_ParseWithLength((const char *)data, size);
	}
	if (target != NULL && patch != NULL) {
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			apply_one(types[i], target, patch);
		}
	}
	cJSON_Delete(patch);
	cJSON_Delete(target);
	return 0;
}
