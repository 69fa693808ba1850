/* SPDX-License-Identifier: MIT */
/*
 * fuzz_claims: mapi_jwt_serialize_claims (go-jose / Go encoding/json byte
 * layout) over any JSON value cJSON parses from the input. Properties:
 *   - a value it accepts serializes to text that parses as JSON again;
 *   - from the second round on the output is a fixed point:
 *     serialize(parse(t2)) == t2 where t2 = serialize(parse(t1)) (sorted
 *     keys and Go's number and string forms are stable once invalid UTF-8
 *     has become \ufffd in round one).
 */
#include "fuzz.h"

#include <cjson/cJSON.h>

#include "auth/jwt.h"

static char *
reserialize(const char *json)
{
	cJSON *v = cJSON_Parse(json);
	char *out = NULL;

	FUZZ_CHECK(v != NULL);
	FUZZ_CHECK(mapi_jwt_serialize_claims(v, &out) == MAPI_OK);
	cJSON_Delete(v);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *v = cJSON_ParseWithLength((const char *)data, size);
	char *once = NULL;
	char *twice;
	char *thrice;

	if (v == NULL) {
		return 0;
	}
	if (mapi_jwt_serialize_claims(v, &once) != MAPI_OK) {
		cJSON_Delete(v);
		return 0;
	}
	cJSON_Delete(v);
	FUZZ_CHECK(once != NULL);
	twice = reserialize(once);
	thrice = reserialize(twice);
	FUZZ_CHECK(strcmp(twice, thrice) == 0);
	free(thrice);
	free(twice);
	free(once);
	return 0;
}
