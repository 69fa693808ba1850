/* SPDX-License-Identifier: MIT */
/*
 * fuzz_selector: label and field selectors (state/selector).
 *
 * Input: SELECTOR '\n' then "key=value" lines. The selector text is parsed
 * both as a label selector and as a field selector (supported fields:
 * metadata.name, metadata.namespace, spec.nodeName, status.phase); the
 * lines become the labels object and the field values matched against.
 * Properties: a failed parse returns no selector and a NUL-terminated
 * message; matching never fails; the empty selector matches everything.
 */
#include <cjson/cJSON.h>

#include "fuzz.h"
#include "state/selector.h"

#define MAX_PAIRS 32

struct fields {
	size_t n;
	const char *key[MAX_PAIRS];
	const char *value[MAX_PAIRS];
};

static const char *
get_field(const char *field, void *payload)
{
	const struct fields *f = payload;
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (strcmp(f->key[i], field) == 0) {
			return f->value[i];
		}
	}
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const supported[] = {
		"metadata.name",
		"metadata.namespace",
		"spec.nodeName",
		"status.phase",
		NULL,
	};
	char *text = fuzz_strndup(data, size);
	char *rest = strchr(text, '\n');
	struct mapi_label_selector *ls = NULL;
	struct mapi_field_selector *fs = NULL;
	struct mapi_diag diag = { 0 };
	struct fields f = { 0 };
	cJSON *labels = cJSON_CreateObject();
	char *save = NULL;
	char *line;

	FUZZ_CHECK(labels != NULL);
	if (rest != NULL) {
		*rest++ = '\0';
		for (line = strtok_r(rest, "\n", &save);
		     line != NULL && f.n < MAX_PAIRS;
		     line = strtok_r(NULL, "\n", &save)) {
			char *eq = strchr(line, '=');

			if (eq == NULL) {
				continue;
			}
			*eq = '\0';
			f.key[f.n] = line;
			f.value[f.n] = eq + 1;
			f.n++;
			if (cJSON_GetObjectItemCaseSensitive(labels, line) ==
			    NULL) {
				FUZZ_CHECK(cJSON_AddStringToObject(labels, line,
				                                   eq + 1) !=
				           NULL);
			}
		}
	}

	if (mapi_label_selector_parse(text, &ls, &diag) == MAPI_OK) {
		(void)mapi_label_selector_matches(ls, labels);
		(void)mapi_label_selector_matches(ls, NULL);
		mapi_label_selector_free(ls);
	} else {
		FUZZ_CHECK(ls == NULL);
		FUZZ_CHECK(memchr(diag.msg, '\0', sizeof(diag.msg)) != NULL);
		FUZZ_CHECK(diag.msg[0] != '\0');
	}

	memset(&diag, 0, sizeof(diag));
	if (mapi_field_selector_parse(text, supported, &fs, &diag) == MAPI_OK) {
		(void)mapi_field_selector_matches(fs, get_field, &f);
		mapi_field_selector_free(fs);
	} else {
		FUZZ_CHECK(fs == NULL);
		FUZZ_CHECK(memchr(diag.msg, '\0', sizeof(diag.msg)) != NULL);
		FUZZ_CHECK(diag.msg[0] != '\0');
	}

	/* The empty selector matches everything. */
	FUZZ_CHECK(mapi_label_selector_matches(NULL, labels));
	FUZZ_CHECK(mapi_field_selector_matches(NULL, get_field, &f));

	cJSON_Delete(labels);
	free(text);
	return 0;
}
