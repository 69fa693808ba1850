/* SPDX-License-Identifier: MIT */
/*
 * fuzz_proto: mapi_proto_decode over arbitrary bodies (the 4-byte magic,
 * runtime.Unknown and every kind it decodes). Properties: on MAPI_OK the
 * result is an object whose apiVersion and kind are strings and which
 * prints; otherwise nothing is returned and the error is one the header
 * lists.
 */
#include <cjson/cJSON.h>

#include "fuzz.h"
#include "server/proto.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mapi_diag diag = { 0 };
	cJSON *obj = NULL;
	enum mapi_err err;
	char *text;

	err = mapi_proto_decode(size ? data : NULL, size, &obj, &diag);
	if (err != MAPI_OK) {
		FUZZ_CHECK(obj == NULL);
		FUZZ_CHECK(err == MAPI_EINVAL || err == MAPI_EMEDIATYPE ||
		           err == MAPI_ETOOLARGE || err == MAPI_ENOMEM);
		FUZZ_CHECK(memchr(diag.msg, '\0', sizeof(diag.msg)) != NULL);
		FUZZ_CHECK(memchr(diag.field, '\0', sizeof(diag.field)) !=
		           NULL);
		FUZZ_CHECK(diag.offset <= size);
		return 0;
	}
	FUZZ_CHECK(cJSON_IsObject(obj));
	FUZZ_CHECK(cJSON_IsString(
		cJSON_GetObjectItemCaseSensitive(obj, "apiVersion")));
	FUZZ_CHECK(
		cJSON_IsString(cJSON_GetObjectItemCaseSensitive(obj, "kind")));
	text = cJSON_PrintUnformatted(obj);
	FUZZ_CHECK(text != NULL);
	cJSON_free(text);
	cJSON_Delete(obj);
	return 0;
}
