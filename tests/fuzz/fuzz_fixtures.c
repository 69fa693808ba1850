/* SPDX-License-Identifier: MIT */
/*
 * fuzz_fixtures: a JSON buffer loaded as a fixture file into a fresh store
 * (state/fixtures + state/store), on a clock frozen at FUZZ_NOW_NS and a
 * seeded store, so a run is reproducible. Properties: a failed load leaves
 * a NUL-terminated message; whatever was loaded survives a state-file round
 * trip (mapi_store_dump -> mapi_store_load into another store ->
 * mapi_store_dump prints the same document, resourceVersion included).
 */
#include <cjson/cJSON.h>

#include "fuzz.h"
#include "sim/clock.h"
#include "state/fixtures.h"
#include "state/store.h"

static const struct mapi_store_opts opts = {
	.max_objects = 512,
	.max_object_bytes = 256 * 1024,
	.history = 64,
	.max_watchers = 4,
	.watch_queue = 16,
	.seed = 42,
	.seeded = true,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mapi_diag diag = { 0 };
	struct mapi_clock *clock = NULL;
	struct mapi_store *store = NULL;
	struct mapi_store *copy = NULL;
	cJSON *dump1 = NULL;
	cJSON *dump2 = NULL;
	char *text1;
	char *text2;
	enum mapi_err err;

	FUZZ_CHECK(mapi_clock_new_with_source(fuzz_fixed_source, NULL,
	                                      &clock) == MAPI_OK);
	mapi_clock_freeze(clock);
	FUZZ_CHECK(mapi_store_new(clock, &opts, &store) == MAPI_OK);
	FUZZ_CHECK(mapi_store_new(clock, &opts, &copy) == MAPI_OK);

	err = mapi_fixtures_load_buffer(store, clock, "fuzz.json",
	                                (const char *)data, size, &diag);
	if (err != MAPI_OK) {
		FUZZ_CHECK(memchr(diag.msg, '\0', sizeof(diag.msg)) != NULL);
		FUZZ_CHECK(diag.msg[0] != '\0');
	}

	FUZZ_CHECK(mapi_store_dump(store, &dump1) == MAPI_OK);
	memset(&diag, 0, sizeof(diag));
	err = mapi_store_load(copy, dump1, &diag);
	if (err != MAPI_OK) {
		fprintf(stderr, "reload failed: %s: %s\n", mapi_err_name(err),
		        diag.msg);
	}
	FUZZ_CHECK(err == MAPI_OK);
	FUZZ_CHECK(mapi_store_count(copy) == mapi_store_count(store));
	FUZZ_CHECK(mapi_store_dump(copy, &dump2) == MAPI_OK);
	/*
	 * Compared as text: cJSON_Compare() looks members up by name, so it
	 * calls two identical objects with a duplicate key different.
	 */
	/* seq counts changes, and loading a dump is one more. */
	cJSON_DeleteItemFromObjectCaseSensitive(dump1, "seq");
	cJSON_DeleteItemFromObjectCaseSensitive(dump2, "seq");
	text1 = cJSON_PrintUnformatted(dump1);
	text2 = cJSON_PrintUnformatted(dump2);
	FUZZ_CHECK(text1 != NULL && text2 != NULL);
	FUZZ_CHECK(strcmp(text1, text2) == 0);
	cJSON_free(text2);
	cJSON_free(text1);

	cJSON_Delete(dump2);
	cJSON_Delete(dump1);
	mapi_store_free(copy);
	mapi_store_free(store);
	mapi_clock_free(clock);
	return 0;
}
