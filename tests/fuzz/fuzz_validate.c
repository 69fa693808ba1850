/* SPDX-License-Identifier: MIT */
/*
 * fuzz_validate: api/validate — names under every rule, and (when the
 * input is a JSON object) ObjectMeta and kind-specific checks for a few
 * resources, then the 422 Status built from the errors. Properties: the
 * error count matches what was returned and never exceeds
 * MAPI_FIELD_ERRORS_MAX; every string is NUL-terminated within its buffer;
 * the Status is valid JSON.
 */
#include <cjson/cJSON.h>

#include "api/validate.h"
#include "server/http.h"
#include "server/status.h"
#include "fuzz.h"

static void
check_errors(const struct mapi_field_errors *errs)
{
	struct mapi_field_error views[MAPI_FIELD_ERRORS_MAX];
	struct mapi_response resp;
	size_t i;
	size_t n;

	FUZZ_CHECK(errs->n <= MAPI_FIELD_ERRORS_MAX);
	for (i = 0; i < errs->n; i++) {
		const struct mapi_verr *e = &errs->e[i];

		FUZZ_CHECK(memchr(e->field, '\0', sizeof(e->field)) != NULL);
		FUZZ_CHECK(memchr(e->value, '\0', sizeof(e->value)) != NULL);
		FUZZ_CHECK(memchr(e->detail, '\0', sizeof(e->detail)) != NULL);
	}
	n = mapi_field_errors_view(errs, views);
	FUZZ_CHECK(n == errs->n);
	/* The 422 Status built from them is valid JSON. */
	mapi_response_init(&resp);
	if (mapi_status_invalid(&resp, "", "Pod", "p", views, n) == MAPI_OK) {
		cJSON *st = cJSON_ParseWithLength(resp.body, resp.body_len);

		FUZZ_CHECK(st != NULL);
		FUZZ_CHECK(resp.code == 422);
		cJSON_Delete(st);
	}
	mapi_response_fini(&resp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum mapi_name_rule rules[] = {
		MAPI_NAME_SUBDOMAIN,
		MAPI_NAME_LABEL,
		MAPI_NAME_PATH_SEGMENT,
	};
	static const struct {
		const char *group;
		const char *resource;
		bool namespaced;
	} kinds[] = {
		{ "", "pods", true },
		{ "", "serviceaccounts", true },
		{ "", "secrets", true },
		{ "", "namespaces", false },
		{ "rbac.authorization.k8s.io", "rolebindings", true },
		{ "rbac.authorization.k8s.io", "clusterroles", false },
		{ "authentication.k8s.io", "tokenrequests", true },
	};
	char *text = fuzz_strndup(data, size);
	struct mapi_field_errors errs;
	cJSON *obj;
	size_t i;
	size_t n;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		memset(&errs, 0, sizeof(errs));
		n = mapi_validate_name(text, rules[i], "metadata.name", &errs);
		FUZZ_CHECK(n == errs.n);
		check_errors(&errs);
	}

	/* Filling past capacity must stop at MAPI_FIELD_ERRORS_MAX. */
	memset(&errs, 0, sizeof(errs));
	for (i = 0; i < MAPI_FIELD_ERRORS_MAX + 2; i++) {
		mapi_field_errors_add(&errs, MAPI_FIELD_INVALID, text, text,
		                      text);
		mapi_field_errors_add_int(&errs, MAPI_FIELD_REQUIRED, text,
		                          (long long)size, text);
	}
	check_errors(&errs);

	obj = cJSON_ParseWithLength((const char *)data, size);
	if (obj != NULL) {
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			enum mapi_name_rule rule = mapi_name_rule_for(
				kinds[i].group, kinds[i].resource);

			memset(&errs, 0, sizeof(errs));
			n = mapi_validate_object_meta(
				obj, rule, kinds[i].namespaced, &errs);
			n += mapi_validate_kind(kinds[i].group,
			                        kinds[i].resource, obj, &errs);
			FUZZ_CHECK(errs.n <= n);
			check_errors(&errs);
		}
		cJSON_Delete(obj);
	}
	free(text);
	return 0;
}
