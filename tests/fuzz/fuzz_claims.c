/* SPDX-License-Identifier: MIT */
/*
 * fuzz_claims: mapi_jwt_serialize_claims (go-jose / Go encoding/json byte
 * layout) over any JSON value cJSON parses from the input. Properties:
 *   - a value it accepts serializes to text that parses as JSON again,
 *     and serializes again unless two keys became equal (see reserialize);
 *   - from the second round on the output is a fixed point:
 *     serialize(parse(t2)) == t2 where t2 = serialize(parse(t1)) (sorted
 *     keys and Go's number and string forms are stable once invalid UTF-8
 *     has become \ufffd in round one).
 */
#include <cjson/cJSON.h>

#include "auth/jwt.h"
#include "fuzz.h"

static bool
has_duplicate_keys(const cJSON *v)
{
	const cJSON *a;
	const cJSON *b;

	for (a = v != NULL ? v->child : NULL; a != NULL; a = a->next) {
		if (has_duplicate_keys(a)) {
			return true;
		}
		for (b = a->next; cJSON_IsObject(v) && b != NULL; b = b->next) {
			if (strcmp(a->string, b->string) == 0) {
				return true;
			}
		}
	}
	return false;
}

/*
 * NULL only when the text has duplicate keys: two keys that differ only in
 * invalid UTF-8 both become \ufffd..., as with Go's encoding/json, and the
 * serializer refuses duplicates.
 */
static char *
reserialize(const char *json)
{
	cJSON *v = cJSON_Parse(json);
	char *out = NULL;

	FUZZ_CHECK(v != NULL);
	if (mapi_jwt_serialize_claims(v, &out) != MAPI_OK) {
		FUZZ_CHECK(has_duplicate_keys(v));
		out = NULL;
	}
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
	if (twice != NULL) {
		thrice = reserialize(twice);
		FUZZ_CHECK(thrice != NULL && strcmp(twice, thrice) == 0);
		free(thrice);
		free(twice);
	}
	free(once);
	return 0;
}
