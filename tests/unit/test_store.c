/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <pthread.h>

#include "server/json.h"
#include "sim/clock.h"
#include "state/selector.h"
#include "state/store.h"
#include "th.h"

#define T0 (INT64_C(1700000000) * MAPI_NS_PER_SEC)

struct fake_real {
	int64_t now;
};

static int64_t
fake_source(void *payload)
{
	return ((struct fake_real *)payload)->now;
}

struct fixture {
	struct fake_real real;
	struct mapi_clock *clock;
	struct mapi_store *store;
};

static int
setup_opts(void **state, const struct mapi_store_opts *opts)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		return -1;
	}
	f->real.now = T0;
	if (mapi_clock_new_with_source(fake_source, &f->real, &f->clock) !=
	    MAPI_OK) {
		free(f);
		return -1;
	}
	mapi_clock_freeze(f->clock);
	if (mapi_store_new(f->clock, opts, &f->store) != MAPI_OK) {
		mapi_clock_free(f->clock);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	struct mapi_store_opts opts = { .seed = 42, .seeded = true };

	return setup_opts(state, &opts);
}

static int
setup_small(void **state)
{
	struct mapi_store_opts opts = { .max_objects = 3,
		                        .history = 4,
		                        .watch_queue = 2,
		                        .seed = 1,
		                        .seeded = true };

	return setup_opts(state, &opts);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	mapi_store_free(f->store);
	mapi_clock_free(f->clock);
	free(f);
	return 0;
}

static cJSON *
parse(const char *text)
{
	cJSON *o = cJSON_Parse(text);

	assert_non_null(o);
	return o;
}

static const char *
meta_str(const cJSON *o, const char *key)
{
	return mapi_json_get_string(mapi_json_get_object(o, "metadata"), key);
}

static int64_t
meta_int(const cJSON *o, const char *key)
{
	int64_t v = -1;

	(void)mapi_json_get_int(mapi_json_get_object(o, "metadata"), key, &v);
	return v;
}

/* Creates a pod from JSON text in ns; returns the stored copy. */
static cJSON *
make_pod(struct fixture *f, const char *ns, const char *text)
{
	struct mapi_store_ref ref = { "", "pods", ns, NULL };
	cJSON *in = parse(text), *out = NULL;
	struct mapi_diag d = { 0 };

	assert_int_equal(mapi_store_create(f->store, &ref, in, 0, &out, &d),
	                 MAPI_OK);
	cJSON_Delete(in);
	return out;
}

static void
pod_named(struct fixture *f, const char *ns, const char *name,
          const char *labels, const char *node, const char *phase)
{
	char buf[512];

	(void)snprintf(buf, sizeof(buf),
	               "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\","
	               "\"labels\":%s},\"spec\":{\"nodeName\":\"%s\"},"
	               "\"status\":{\"phase\":\"%s\"}}",
	               name, labels, node, phase);
	cJSON_Delete(make_pod(f, ns, buf));
}

static void
test_store_create_sets_server_fields(void **state)
{
	struct fixture *f = *state;
	cJSON *p = make_pod(f, "default",
	                    "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p1\","
	                    "\"uid\":\"client\",\"namespace\":\"default\"},"
	                    "\"spec\":{}}");

	assert_string_equal(meta_str(p, "name"), "p1");
	assert_string_equal(meta_str(p, "namespace"), "default");
	assert_string_equal(meta_str(p, "resourceVersion"), "1");
	assert_string_equal(meta_str(p, "creationTimestamp"),
	                    "2023-11-14T22:13:20Z");
	assert_int_equal(meta_int(p, "generation"), 1);
	assert_int_equal(strlen(meta_str(p, "uid")), 36);
	assert_int_equal(meta_str(p, "uid")[14], '4');
	assert_string_not_equal(meta_str(p, "uid"), "client");
	assert_int_equal(mapi_store_resource_version(f->store), 1);
	cJSON_Delete(p);
}

static void
test_store_get_returns_copy_and_not_found(void **state)
{
	struct fixture *f = *state;
	struct mapi_store_ref ref = { "", "pods", "default", "p1" };
	struct mapi_store_ref miss = { "", "pods", "default", "nope" };
	struct mapi_store_ref rb = { "rbac.authorization.k8s.io", "roles",
		                     "default", "r" };
	struct mapi_diag d = { 0 };
	cJSON *a = NULL, *b = NULL;

	cJSON_Delete(make_pod(f, "default", "{\"metadata\":{\"name\":\"p1\"}}"));
	assert_int_equal(mapi_store_get(f->store, &ref, &a, &d), MAPI_OK);
	cJSON_DeleteItemFromObject(a, "metadata");
	assert_int_equal(mapi_store_get(f->store, &ref, &b, &d), MAPI_OK);
	assert_string_equal(meta_str(b, "name"), "p1");
	assert_int_equal(mapi_store_get(f->store, &miss, &a, &d),
	                 MAPI_ENOTFOUND);
	assert_string_equal(d.msg, "pods \"nope\" not found");
	assert_int_equal(mapi_store_get(f->store, &rb, &a, &d),
	                 MAPI_ENOTFOUND);
	assert_string_equal(d.msg,
	                    "roles.rbac.authorization.k8s.io \"r\" not found");
	cJSON_Delete(a);
	cJSON_Delete(b);
}

static void
test_store_create_errors(void **state)
{
	static const struct {
		const char *ns;
		const char *body;
		enum mapi_err err;
		const char *msg;
	} cases[] = {
		{ "default", "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p1\"}}",
		  MAPI_EEXIST, "pods \"p1\" already exists" },
		{ "default", "{\"kind\":\"Pod\",\"metadata\":{}}", MAPI_EINVALID,
		  "Pod \"\" is invalid: metadata.name: Required value: name "
		  "or generateName is required" },
		{ "default",
		  "{\"metadata\":{\"name\":\"p2\",\"resourceVersion\":\"5\"}}",
		  MAPI_EINVAL,
		  "resourceVersion should not be set on objects to be created" },
		{ "default",
		  "{\"metadata\":{\"name\":\"p3\",\"namespace\":\"other\"}}",
		  MAPI_EINVAL,
		  "the namespace of the provided object does not match the "
		  "namespace sent on the request" },
		{ "default", "{\"metadata\":{\"name\":\"a/b\"}}", MAPI_EINVAL,
		  NULL },
		{ "default", "{\"metadata\":7}", MAPI_EINVAL, NULL },
	};
	struct fixture *f = *state;
	size_t i;

	cJSON_Delete(make_pod(f, "default", "{\"metadata\":{\"name\":\"p1\"}}"));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mapi_store_ref ref = { "", "pods", cases[i].ns, NULL };
		struct mapi_diag d = { 0 };
		cJSON *in = parse(cases[i].body), *out = NULL;

		assert_int_equal(mapi_store_create(f->store, &ref, in, 0, &out,
		                                   &d),
		                 cases[i].err);
		assert_null(out);
		if (cases[i].msg != NULL) {
			assert_string_equal(d.msg, cases[i].msg);
		}
		cJSON_Delete(in);
	}
	assert_int_equal(mapi_store_count(f->store), 1);
}

static void
test_store_generate_name_adds_suffix(void **state)
{
	struct fixture *f = *state;
	cJSON *a = make_pod(f, "default",
	                    "{\"metadata\":{\"generateName\":\"web-\"}}");
	cJSON *b = make_pod(f, "default",
	                    "{\"metadata\":{\"generateName\":\"web-\"}}");
	const char *n = meta_str(a, "name");

	assert_int_equal(strlen(n), 9);
	assert_memory_equal(n, "web-", 4);
	assert_int_equal(strspn(n + 4, "bcdfghjklmnpqrstvwxz2456789"), 5);
	assert_string_not_equal(n, meta_str(b, "name"));
	cJSON_Delete(a);
	cJSON_Delete(b);
}

static void
test_store_cluster_scoped_has_no_namespace(void **state)
{
	struct fixture *f = *state;
	struct mapi_store_ref ref = { "", "nodes", NULL, NULL };
	cJSON *in = parse("{\"metadata\":{\"name\":\"n1\",\"namespace\":"
	                  "\"x\"}}");
	cJSON *out = NULL;

	assert_int_equal(mapi_store_create(f->store, &ref, in, 0, &out, NULL),
	                 MAPI_OK);
	assert_null(meta_str(out, "namespace"));
	cJSON_Delete(in);
	cJSON_Delete(out);
}

static void
test_store_update_conflicts_on_stale_rv(void **state)
{
	struct fixture *f = *state;
	struct mapi_store_ref ref = { "", "pods", "default", "p1" };
	struct mapi_diag d = { 0 };
	cJSON *p = make_pod(f, "default",
	                    "{\"metadata\":{\"name\":\"p1\"},\"spec\":{\"a\":1}}");
	cJSON *u = NULL, *stale = cJSON_Duplicate(p, true);

	cJSON_AddStringToObject(p, "extra", "x");
	assert_int_equal(mapi_store_update(f->store, &ref, p, &u, &d), MAPI_OK);
	assert_string_equal(meta_str(u, "resourceVersion"), "2");
	assert_string_equal(meta_str(u, "uid"), meta_str(p, "uid"));
	cJSON_Delete(u);
	u = NULL;
	assert_int_equal(mapi_store_update(f->store, &ref, stale, &u, &d),
	                 MAPI_ECONFLICT);
	assert_null(u);
	assert_string_equal(d.msg,
	                    "Operation cannot be fulfilled on pods \"p1\": the "
	                    "object has been modified; please apply your "
	                    "changes to the latest version and try again");
	cJSON_Delete(p);
	cJSON_Delete(stale);
}

static void
test_store_update_generation_rules(void **state)
{
	static const struct {
		const char *body;
		int64_t generation;
		const char *rv;
	} steps[] = {
		/* metadata-only change: new rv, same generation */
		{ "{\"metadata\":{\"name\":\"p1\",\"labels\":{\"a\":\"b\"}},"
		  "\"spec\":{\"x\":1}}",
		  1, "2" },
		/* spec change: generation + 1 */
		{ "{\"metadata\":{\"name\":\"p1\",\"labels\":{\"a\":\"b\"}},"
		  "\"spec\":{\"x\":2}}",
		  2, "3" },
		/* identical: a no-op, rv unchanged */
		{ "{\"metadata\":{\"name\":\"p1\",\"labels\":{\"a\":\"b\"}},"
		  "\"spec\":{\"x\":2}}",
		  2, "3" },
		/* spec removed: a change */
		{ "{\"metadata\":{\"name\":\"p1\",\"labels\":{\"a\":\"b\"}}}", 3,
		  "4" },
	};
	struct fixture *f = *state;
	struct mapi_store_ref ref = { "", "pods", "default", "p1" };
	cJSON *created = make_pod(f, "default",
	                          "{\"metadata\":{\"name\":\"p1\"},"
	                          "\"spec\":{\"x\":1}}");
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		cJSON *in = parse(steps[i].body), *out = NULL;

		assert_int_equal(mapi_store_update(f->store, &ref, in, &out,
		                                   NULL),
		                 MAPI_OK);
		assert_int_equal(meta_int(out, "generation"),
		                 steps[i].generation);
		assert_string_equal(meta_str(out, "resourceVersion"),
		                    steps[i].rv);
		assert_string_equal(meta_str(out, "creationTimestamp"),
		                    meta_str(created, "creationTimestamp"));
		cJSON_Delete(in);
		cJSON_Delete(out);
	}
	cJSON_Delete(created);
}

static void
test_store_update_missing_and_name_mismatch(void **state)
{
	struct fixture *f = *state;
	struct mapi_store_ref miss = { "", "pods", "default", "zz" };
	struct mapi_store_ref ref = { "", "pods", "default", "p1" };
	struct mapi_diag d = { 0 };
	cJSON *in = parse("{\"metadata\":{\"name\":\"other\"}}"), *out = NULL;

	cJSON_Delete(make_pod(f, "default", "{\"metadata\":{\"name\":\"p1\"}}"));
	assert_int_equal(mapi_store_update(f->store, &miss, in, &out, &d),
	                 MAPI_ENOTFOUND);
	assert_int_equal(mapi_store_update(f->store, &ref, in, &out, &d),
	                 MAPI_EINVAL);
	assert_string_equal(d.msg, "the name of the object (other) does not "
	                           "match the name on the URL (p1)");
	assert_null(out);
	cJSON_Delete(in);
}

static void
test_store_delete_immediate_and_preconditions(void **state)
{
	struct fixture *f = *state;
	struct mapi_store_ref ref = { "", "serviceaccounts", "default", "sa" };
	struct mapi_diag d = { 0 };
	cJSON *in = parse("{\"metadata\":{\"name\":\"sa\"}}"), *out = NULL;
	cJSON *got = NULL;

	assert_int_equal(mapi_store_create(f->store, &ref, in, 0, NULL, NULL),
	                 MAPI_OK);
	assert_int_equal(mapi_store_delete(f->store, &ref, 30, "wrong-uid",
	                                   &out, &d),
	                 MAPI_ECONFLICT);
	assert_non_null(strstr(d.msg, "Precondition failed: UID in "
	                              "precondition: wrong-uid, UID in "
	                              "object meta: "));
	/* Not a pod: gone at once whatever the grace period. */
	assert_int_equal(mapi_store_delete(f->store, &ref, 30, NULL, &out, &d),
	                 MAPI_OK);
	assert_string_equal(meta_str(out, "name"), "sa");
	assert_int_equal(mapi_store_get(f->store, &ref, &got, &d),
	                 MAPI_ENOTFOUND);
	assert_int_equal(mapi_store_delete(f->store, &ref, 0, NULL, NULL, &d),
	                 MAPI_ENOTFOUND);
	cJSON_Delete(in);
	cJSON_Delete(out);
}

static void
test_store_graceful_pod_delete_on_mock_clock(void **state)
{
	struct fixture *f = *state;
	struct mapi_store_ref ref = { "", "pods", "default", "p1" };
	struct mapi_watch_opts wo = { .resource = "pods", .since_rv = "1" };
	struct mapi_store_watch *w = NULL;
	struct mapi_watch_event *ev = NULL;
	cJSON *out = NULL, *got = NULL;

	pod_named(f, "default", "p1", "{}", "node-1", "Running");
	assert_int_equal(mapi_store_watch_new(f->store, &wo, &w, NULL),
	                 MAPI_OK);
	assert_int_equal(mapi_store_delete(f->store, &ref, 5, NULL, &out,
	                                   NULL),
	                 MAPI_OK);
	assert_string_equal(meta_str(out, "deletionTimestamp"),
	                    "2023-11-14T22:13:25Z");
	assert_int_equal(meta_int(out, "deletionGracePeriodSeconds"), 5);
	assert_int_equal(mapi_store_run_due(f->store), T0 + 5 * MAPI_NS_PER_SEC);
	assert_int_equal(mapi_store_watch_next(w, 0, &ev), MAPI_OK);
	assert_non_null(ev);
	assert_int_equal(ev->type, MAPI_WATCH_MODIFIED);
	mapi_watch_event_free(ev);

	assert_int_equal(mapi_clock_advance_ns(f->clock, 4 * MAPI_NS_PER_SEC),
	                 MAPI_OK);
	assert_int_equal(mapi_store_get(f->store, &ref, &got, NULL), MAPI_OK);
	assert_non_null(meta_str(got, "deletionTimestamp"));
	cJSON_Delete(got);
	got = NULL;

	assert_int_equal(mapi_clock_advance_ns(f->clock, 2 * MAPI_NS_PER_SEC),
	                 MAPI_OK);
	/* Lazily run on read: no explicit run_due needed. */
	assert_int_equal(mapi_store_get(f->store, &ref, &got, NULL),
	                 MAPI_ENOTFOUND);
	assert_int_equal(mapi_store_watch_next(w, 0, &ev), MAPI_OK);
	assert_non_null(ev);
	assert_int_equal(ev->type, MAPI_WATCH_DELETED);
	assert_string_equal(meta_str(ev->object, "resourceVersion"), "3");
	assert_int_equal(mapi_store_run_due(f->store), 0);
	mapi_watch_event_free(ev);
	mapi_store_watch_free(w);
	cJSON_Delete(out);
}

static void
test_store_pod_grace_defaults(void **state)
{
	static const struct {
		const char *body;
		int64_t grace;
		bool gone_now;
		int64_t want_grace;
	} cases[] = {
		{ "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"nodeName\":\"n\","
		  "\"terminationGracePeriodSeconds\":7}}",
		  -1, false, 7 },
		{ "{\"metadata\":{\"name\":\"b\"},\"spec\":{\"nodeName\":\"n\"}}",
		  -1, false, 30 },
		{ "{\"metadata\":{\"name\":\"c\"},\"spec\":{}}", -1, true, 0 },
		{ "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"nodeName\":\"n\"},"
		  "\"status\":{\"phase\":\"Succeeded\"}}",
		  10, true, 0 },
		{ "{\"metadata\":{\"name\":\"e\"},\"spec\":{\"nodeName\":\"n\"}}", 0,
		  true, 0 },
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *p = make_pod(f, "default", cases[i].body), *out = NULL;
		struct mapi_store_ref ref = { "", "pods", "default",
			                      meta_str(p, "name") };
		cJSON *got = NULL;

		assert_int_equal(mapi_store_delete(f->store, &ref,
		                                   cases[i].grace, NULL, &out,
		                                   NULL),
		                 MAPI_OK);
		assert_int_equal(mapi_store_get(f->store, &ref, &got, NULL),
		                 cases[i].gone_now ? MAPI_ENOTFOUND : MAPI_OK);
		if (!cases[i].gone_now) {
			assert_int_equal(meta_int(got,
			                          "deletionGracePeriodSeconds"),
			                 cases[i].want_grace);
		}
		cJSON_Delete(got);
		cJSON_Delete(out);
		cJSON_Delete(p);
	}
}

static void
test_store_list_sorted_by_namespace_then_name(void **state)
{
	struct fixture *f = *state;
	cJSON *items = NULL;
	char *rv = NULL, *cont = NULL;
	const char *want[] = { "a", "b", "c", "a" };
	size_t i;

	pod_named(f, "ns2", "a", "{}", "n", "Running");
	pod_named(f, "ns1", "c", "{}", "n", "Running");
	pod_named(f, "ns1", "a", "{}", "n", "Running");
	pod_named(f, "ns1", "b", "{}", "n", "Running");
	assert_int_equal(mapi_store_list(f->store, "", "pods", NULL, NULL,
	                                 &items, &rv, &cont, NULL),
	                 MAPI_OK);
	assert_int_equal(cJSON_GetArraySize(items), 4);
	for (i = 0; i < 4; i++) {
		assert_string_equal(meta_str(cJSON_GetArrayItem(items, (int)i),
		                             "name"),
		                    want[i]);
	}
	assert_string_equal(rv, "4");
	assert_null(cont);
	cJSON_Delete(items);
	free(rv);
	assert_int_equal(mapi_store_list(f->store, "", "pods", "ns2", NULL,
	                                 &items, NULL, NULL, NULL),
	                 MAPI_OK);
	assert_int_equal(cJSON_GetArraySize(items), 1);
	cJSON_Delete(items);
	assert_int_equal(mapi_store_list(f->store, "", "secrets", NULL, NULL,
	                                 &items, NULL, NULL, NULL),
	                 MAPI_OK);
	assert_int_equal(cJSON_GetArraySize(items), 0);
	cJSON_Delete(items);
}

/* list_text gives the bytes of printing list's items, and the same rv,
 * continue token and errors, for every page and selector. */
static void
test_store_list_text_equals_printed_list(void **state)
{
	static const struct {
		const char *ns;
		const char *label;
		size_t limit;
	} cases[] = {
		{ NULL, NULL, 0 },  { "ns1", NULL, 0 }, { "none", NULL, 0 },
		{ NULL, "app=x", 0 }, { NULL, NULL, 2 }, { "ns1", NULL, 1 },
	};
	struct fixture *f = *state;
	size_t i;

	pod_named(f, "ns2", "a", "{\"app\":\"x\"}", "n", "Running");
	pod_named(f, "ns1", "c", "{}", "n", "Running");
	pod_named(f, "ns1", "a", "{\"app\":\"x\"}", "n", "Running");
	pod_named(f, "ns1", "b", "{}", "n", "Pending");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mapi_list_opts lo = { .label_selector = cases[i].label,
			                     .limit = cases[i].limit };
		cJSON *items = NULL;
		char *rv1 = NULL, *c1 = NULL, *rv2 = NULL, *c2 = NULL;
		char *text = NULL, *printed;
		size_t len = 0;

		assert_int_equal(mapi_store_list(f->store, "", "pods",
		                                 cases[i].ns, &lo, &items,
		                                 &rv1, &c1, NULL),
		                 MAPI_OK);
		assert_int_equal(mapi_store_list_text(f->store, "", "pods",
		                                      cases[i].ns, &lo, &text,
		                                      &len, &rv2, &c2, NULL),
		                 MAPI_OK);
		printed = cJSON_PrintUnformatted(items);
		assert_non_null(printed);
		assert_string_equal(text, printed);
		assert_int_equal(len, strlen(printed));
		assert_string_equal(rv1, rv2);
		if (c1 == NULL) {
			assert_null(c2);
		} else {
			assert_string_equal(c1, c2);
		}
		free(printed);
		free(text);
		free(rv1);
		free(rv2);
		free(c1);
		free(c2);
		cJSON_Delete(items);
	}
	{
		struct mapi_list_opts bad = { .label_selector = "a in (" };
		char *text = (char *)"untouched";
		size_t len = 7;

		assert_int_equal(mapi_store_list_text(f->store, "", "pods", NULL,
		                                      &bad, &text, &len, NULL,
		                                      NULL, NULL),
		                 MAPI_EINVAL);
		assert_string_equal(text, "untouched");
		assert_int_equal(len, 7);
	}
}

static void
test_store_list_selectors(void **state)
{
	static const struct {
		const char *label;
		const char *field;
		const char *names; /* expected, comma-joined */
	} cases[] = {
		{ "app=web", NULL, "p1,p2" },
		{ "app==web", NULL, "p1,p2" },
		{ "app!=web", NULL, "p3,p4" },
		{ "app in (web,db)", NULL, "p1,p2,p3" },
		{ "app notin (web)", NULL, "p3,p4" },
		{ "tier", NULL, "p1,p3" },
		{ "!tier", NULL, "p2,p4" },
		{ "app=web,tier=front", NULL, "p1" },
		{ "", "metadata.name=p2", "p2" },
		{ "", "metadata.name!=p2", "p1,p3,p4" },
		{ "", "spec.nodeName=node-2", "p3" },
		{ "", "status.phase=Pending", "p4" },
		{ "", "status.phase!=Running,metadata.namespace=default", "p4" },
		{ "app=web", "spec.nodeName=node-1", "p1,p2" },
		{ "x in ()", NULL, "" },
	};
	struct fixture *f = *state;
	size_t i;

	pod_named(f, "default", "p1", "{\"app\":\"web\",\"tier\":\"front\"}",
	          "node-1", "Running");
	pod_named(f, "default", "p2", "{\"app\":\"web\"}", "node-1",
	          "Running");
	pod_named(f, "default", "p3", "{\"app\":\"db\",\"tier\":\"back\"}",
	          "node-2", "Running");
	pod_named(f, "default", "p4", "{}", "", "Pending");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mapi_list_opts lo = { .label_selector = cases[i].label,
			                     .field_selector = cases[i].field };
		cJSON *items = NULL, *it;
		char got[64] = "";

		assert_int_equal(mapi_store_list(f->store, "", "pods",
		                                 "default", &lo, &items, NULL,
		                                 NULL, NULL),
		                 MAPI_OK);
		cJSON_ArrayForEach(it, items)
		{
			if (got[0] != '\0') {
				strcat(got, ",");
			}
			strcat(got, meta_str(it, "name"));
		}
		assert_string_equal(got, cases[i].names);
		cJSON_Delete(items);
	}
}

static void
test_store_invalid_selectors(void **state)
{
	static const struct {
		const char *label;
		const char *field;
		const char *msg;
	} cases[] = {
		{ "a=b=c", NULL, "found '=', expected: ',' or 'end of string'" },
		{ "a in b", NULL,
		  "unable to parse requirement: found 'b' expected: '('" },
		{ "a,", NULL, "found '', expected: identifier after ','" },
		{ ",a", NULL,
		  "found ',', expected: !, identifier, or 'end of string'" },
		{ "a in (b c)", NULL,
		  "unable to parse requirement: found 'c', expected: ',' or ')'" },
		{ "-a=b", NULL, NULL },
		{ "a=b!", NULL, NULL },
		{ "a>x", NULL, NULL },
		{ NULL, "metadata.name", "invalid selector: 'metadata.name'; "
		                         "can't understand 'metadata.name'" },
		{ NULL, "spec.foo=bar", "field label not supported: spec.foo" },
		{ NULL, "a\\q=b", NULL },
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mapi_list_opts lo = { .label_selector = cases[i].label,
			                     .field_selector = cases[i].field };
		struct mapi_diag d = { 0 };
		cJSON *items = NULL;

		assert_int_equal(mapi_store_list(f->store, "", "pods", NULL,
		                                 &lo, &items, NULL, NULL, &d),
		                 MAPI_EINVAL);
		assert_null(items);
		assert_true(d.msg[0] != '\0');
		if (cases[i].msg != NULL) {
			assert_string_equal(d.msg, cases[i].msg);
		}
	}
}

static void
test_store_list_pages_with_limit_and_continue(void **state)
{
	struct fixture *f = *state;
	char name[16], *cont = NULL, *rv = NULL;
	int i, page = 0, seen = 0;

	for (i = 0; i < 25; i++) {
		(void)snprintf(name, sizeof(name), "p%02d", i);
		pod_named(f, "default", name, "{}", "n", "Running");
	}
	do {
		struct mapi_list_opts lo = { .limit = 10, .continue_token = cont };
		cJSON *items = NULL, *it;
		char *next = NULL, *prv = NULL;

		assert_int_equal(mapi_store_list(f->store, "", "pods",
		                                 "default", &lo, &items, &prv,
		                                 &next, NULL),
		                 MAPI_OK);
		cJSON_ArrayForEach(it, items)
		{
			(void)snprintf(name, sizeof(name), "p%02d", seen++);
			assert_string_equal(meta_str(it, "name"), name);
		}
		assert_int_equal(cJSON_GetArraySize(items),
		                 page < 2 ? 10 : 5);
		if (rv == NULL) {
			rv = prv;
		} else {
			assert_string_equal(prv, rv); /* same list version */
			free(prv);
		}
		if (page == 0) {
			/* A change between pages does not move the list rv. */
			pod_named(f, "other", "x", "{}", "n", "Running");
		}
		cJSON_Delete(items);
		free(cont);
		cont = next;
		page++;
	} while (cont != NULL && page < 10);
	assert_int_equal(page, 3);
	assert_int_equal(seen, 25);
	free(rv);
}

static void
test_store_bad_continue_token(void **state)
{
	struct fixture *f = *state;
	struct mapi_list_opts lo = { .limit = 1, .continue_token = "!!" };
	struct mapi_diag d = { 0 };
	cJSON *items = NULL;
	char *cont = NULL;

	pod_named(f, "default", "a", "{}", "n", "Running");
	pod_named(f, "default", "b", "{}", "n", "Running");
	assert_int_equal(mapi_store_list(f->store, "", "pods", NULL, &lo,
	                                 &items, NULL, NULL, &d),
	                 MAPI_EINVAL);
	assert_non_null(strstr(d.msg, "continue key is not valid"));
	/* A token from a pods list is not valid for secrets. */
	lo.continue_token = NULL;
	assert_int_equal(mapi_store_list(f->store, "", "pods", NULL, &lo,
	                                 &items, NULL, &cont, &d),
	                 MAPI_OK);
	assert_non_null(cont);
	cJSON_Delete(items);
	items = NULL;
	lo.continue_token = cont;
	assert_int_equal(mapi_store_list(f->store, "", "secrets", NULL, &lo,
	                                 &items, NULL, NULL, &d),
	                 MAPI_EINVAL);
	free(cont);
}

static void
test_store_watch_from_rv_replays_later_events(void **state)
{
	struct fixture *f = *state;
	struct mapi_watch_opts wo = { .resource = "pods", .ns = "default",
		                      .since_rv = "1" };
	struct mapi_store_watch *w = NULL;
	struct mapi_watch_event *ev = NULL;
	const char *names[] = { "b", "c" };
	int i;

	pod_named(f, "default", "a", "{}", "n", "Running"); /* rv 1 */
	pod_named(f, "default", "b", "{}", "n", "Running"); /* rv 2 */
	pod_named(f, "other", "x", "{}", "n", "Running");   /* rv 3 */
	pod_named(f, "default", "c", "{}", "n", "Running"); /* rv 4 */
	assert_int_equal(mapi_store_watch_new(f->store, &wo, &w, NULL),
	                 MAPI_OK);
	for (i = 0; i < 2; i++) {
		assert_int_equal(mapi_store_watch_next(w, 0, &ev), MAPI_OK);
		assert_non_null(ev);
		assert_int_equal(ev->type, MAPI_WATCH_ADDED);
		assert_string_equal(meta_str(ev->object, "name"), names[i]);
		mapi_watch_event_free(ev);
	}
	assert_int_equal(mapi_store_watch_next(w, 1000000, &ev), MAPI_OK);
	assert_null(ev);
	mapi_store_watch_free(w);

	/* No rv: the current state as ADDED events. */
	wo.since_rv = NULL;
	assert_int_equal(mapi_store_watch_new(f->store, &wo, &w, NULL),
	                 MAPI_OK);
	for (i = 0; i < 3; i++) {
		assert_int_equal(mapi_store_watch_next(w, 0, &ev), MAPI_OK);
		assert_non_null(ev);
		mapi_watch_event_free(ev);
	}
	assert_int_equal(mapi_store_watch_next(w, 0, &ev), MAPI_OK);
	assert_null(ev);
	mapi_store_watch_free(w);
}

static void
test_store_watch_selector_transitions(void **state)
{
	struct fixture *f = *state;
	struct mapi_store_ref ref = { "", "pods", "default", "p" };
	struct mapi_watch_opts wo = { .resource = "pods",
		                      .label_selector = "app=web" };
	struct mapi_store_watch *w = NULL;
	struct mapi_watch_event *ev = NULL;
	static const char *bodies[] = {
		"{\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"web\"}}}",
		("{\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"web\"},"
		 "\"annotations\":{\"x\":\"y\"}}}"),
		"{\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"db\"}}}",
	};
	static const enum mapi_watch_type want[] = {
		MAPI_WATCH_ADDED, MAPI_WATCH_MODIFIED, MAPI_WATCH_DELETED
	};
	size_t i;

	pod_named(f, "default", "p", "{\"app\":\"db\"}", "n", "Running");
	assert_int_equal(mapi_store_watch_new(f->store, &wo, &w, NULL),
	                 MAPI_OK);
	for (i = 0; i < 3; i++) {
		cJSON *in = parse(bodies[i]);

		assert_int_equal(mapi_store_update(f->store, &ref, in, NULL,
		                                   NULL),
		                 MAPI_OK);
		cJSON_Delete(in);
		assert_int_equal(mapi_store_watch_next(w, 0, &ev), MAPI_OK);
		assert_non_null(ev);
		assert_int_equal(ev->type, want[i]);
		mapi_watch_event_free(ev);
	}
	mapi_store_watch_free(w);
}

static void
test_store_watch_too_old_rv_and_overflow(void **state)
{
	struct fixture *f = *state; /* history 4, queue 2, max 3 objects */
	struct mapi_store_ref ref = { "", "pods", "default", "a" };
	struct mapi_watch_opts wo = { .resource = "pods", .since_rv = "0" };
	struct mapi_store_watch *w = NULL;
	struct mapi_watch_event *ev = NULL;
	struct mapi_diag d = { 0 };
	int i;

	pod_named(f, "default", "a", "{}", "n", "Running");
	for (i = 0; i < 5; i++) {
		char body[96];
		cJSON *in;

		(void)snprintf(body, sizeof(body),
		               "{\"metadata\":{\"name\":\"a\",\"labels\":"
		               "{\"i\":\"%d\"}}}",
		               i);
		in = parse(body);
		assert_int_equal(mapi_store_update(f->store, &ref, in, NULL,
		                                   NULL),
		                 MAPI_OK);
		cJSON_Delete(in);
	}
	/* rv is 6; the ring holds 3..6, so resuming after 1 is too old. */
	wo.since_rv = "1";
	assert_int_equal(mapi_store_watch_new(f->store, &wo, &w, &d),
	                 MAPI_EGONE);
	assert_string_equal(d.msg, "too old resource version: 1 (3)");
	wo.since_rv = "2";
	assert_int_equal(mapi_store_watch_new(f->store, &wo, &w, &d), MAPI_OK);
	mapi_store_watch_free(w);
	wo.since_rv = "abc";
	assert_int_equal(mapi_store_watch_new(f->store, &wo, &w, &d),
	                 MAPI_EINVAL);

	/* A watcher more than watch_queue events behind is closed. */
	wo.since_rv = "6";
	assert_int_equal(mapi_store_watch_new(f->store, &wo, &w, &d), MAPI_OK);
	for (i = 0; i < 3; i++) {
		char body[96];
		cJSON *in;

		(void)snprintf(body, sizeof(body),
		               "{\"metadata\":{\"name\":\"a\",\"labels\":"
		               "{\"j\":\"%d\"}}}",
		               i);
		in = parse(body);
		assert_int_equal(mapi_store_update(f->store, &ref, in, NULL,
		                                   NULL),
		                 MAPI_OK);
		cJSON_Delete(in);
	}
	assert_int_equal(mapi_store_watch_next(w, 0, &ev), MAPI_EUNAVAILABLE);
	mapi_store_watch_free(w);
}

static void
test_store_max_objects_bound(void **state)
{
	struct fixture *f = *state; /* max 3 */
	struct mapi_store_ref ref = { "", "pods", "default", NULL };
	cJSON *in = parse("{\"metadata\":{\"name\":\"d\"}}"), *out = NULL;
	struct mapi_diag d = { 0 };

	pod_named(f, "default", "a", "{}", "n", "Running");
	pod_named(f, "default", "b", "{}", "n", "Running");
	pod_named(f, "default", "c", "{}", "n", "Running");
	assert_int_equal(mapi_store_create(f->store, &ref, in, 0, &out, &d),
	                 MAPI_ETOOMANY);
	assert_null(out);
	assert_int_equal(mapi_store_count(f->store), 3);
	cJSON_Delete(in);
}

static void
collect_uids(uint64_t seed, char uids[3][40])
{
	struct fake_real real = { T0 };
	struct mapi_clock *clock = NULL;
	struct mapi_store *store = NULL;
	struct mapi_store_opts opts = { .seed = seed, .seeded = true };
	struct mapi_store_ref ref = { "", "pods", "default", NULL };
	int i;

	assert_int_equal(mapi_clock_new_with_source(fake_source, &real, &clock),
	                 MAPI_OK);
	assert_int_equal(mapi_store_new(clock, &opts, &store), MAPI_OK);
	for (i = 0; i < 3; i++) {
		cJSON *in = parse("{\"metadata\":{\"generateName\":\"p-\"}}");
		cJSON *out = NULL;

		assert_int_equal(mapi_store_create(store, &ref, in, 0, &out,
		                                   NULL),
		                 MAPI_OK);
		(void)snprintf(uids[i], 40, "%s", meta_str(out, "uid"));
		cJSON_Delete(in);
		cJSON_Delete(out);
	}
	mapi_store_free(store);
	mapi_clock_free(clock);
}

static void
test_store_seeded_uids_are_reproducible(void **state)
{
	char a[3][40], b[3][40], c[3][40];
	int i;

	(void)state;
	collect_uids(7, a);
	collect_uids(7, b);
	collect_uids(8, c);
	for (i = 0; i < 3; i++) {
		assert_string_equal(a[i], b[i]);
		assert_string_not_equal(a[i], c[i]);
	}
	assert_string_not_equal(a[0], a[1]);
}

struct thread_arg {
	struct mapi_store *store;
	int id;
	uint64_t rvs[50];
};

static void *
create_many(void *p)
{
	struct thread_arg *a = p;
	struct mapi_store_ref ref = { "", "pods", "default", NULL };
	int i;

	for (i = 0; i < 50; i++) {
		char body[96];
		cJSON *in, *out = NULL;

		(void)snprintf(body, sizeof(body),
		               "{\"metadata\":{\"name\":\"t%d-%d\"}}", a->id, i);
		in = cJSON_Parse(body);
		if (mapi_store_create(a->store, &ref, in, 0, &out, NULL) ==
		    MAPI_OK) {
			a->rvs[i] = strtoull(meta_str(out, "resourceVersion"),
			                     NULL, 10);
		}
		cJSON_Delete(in);
		cJSON_Delete(out);
	}
	return NULL;
}

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static void
test_store_concurrent_creates_get_distinct_rvs(void **state)
{
	struct fixture *f = *state;
	struct thread_arg args[4];
	pthread_t th[4];
	uint64_t all[200];
	int i, j;

	for (i = 0; i < 4; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].store = f->store;
		args[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, create_many,
		                                &args[i]),
		                 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		for (j = 0; j < 50; j++) {
			all[i * 50 + j] = args[i].rvs[j];
		}
	}
	qsort(all, 200, sizeof(all[0]), cmp_u64);
	for (i = 0; i < 200; i++) {
		assert_int_equal(all[i], (uint64_t)i + 1);
	}
	assert_int_equal(mapi_store_count(f->store), 200);
}

static void
test_store_dump_load_round_trip_and_reset(void **state)
{
	struct fixture *f = *state;
	struct mapi_store *other = NULL;
	struct mapi_store_ref ref = { "", "pods", "default", "p1" };
	cJSON *dump = NULL, *a = NULL, *b = NULL, *bad;
	struct mapi_diag d = { 0 };

	pod_named(f, "default", "p1", "{\"x\":\"y\"}", "node-1", "Running");
	pod_named(f, "default", "p2", "{}", "node-1", "Running");
	assert_int_equal(mapi_store_delete(f->store, &ref, 60, NULL, NULL,
	                                   NULL),
	                 MAPI_OK);
	assert_int_equal(mapi_store_dump(f->store, &dump), MAPI_OK);
	assert_int_equal(mapi_store_new(f->clock, NULL, &other), MAPI_OK);
	assert_int_equal(mapi_store_load(other, dump, &d), MAPI_OK);
	assert_int_equal(mapi_store_resource_version(other), 3);
	assert_int_equal(mapi_store_get(f->store, &ref, &a, NULL), MAPI_OK);
	assert_int_equal(mapi_store_get(other, &ref, &b, NULL), MAPI_OK);
	assert_true(cJSON_Compare(a, b, true));
	/* The pending deletion resumes in the loaded store. */
	assert_int_equal(mapi_store_run_due(other), T0 + 60 * MAPI_NS_PER_SEC);

	bad = parse("{\"resourceVersion\":\"1\",\"objects\":[{\"group\":\"\","
	            "\"resource\":\"pods\",\"object\":{\"metadata\":"
	            "{\"name\":\"x\"}}}]}");
	assert_int_equal(mapi_store_load(other, bad, &d), MAPI_EINVAL);
	assert_non_null(strstr(d.msg, "objects[0]"));
	assert_int_equal(mapi_store_count(other), 2);

	mapi_store_reset(f->store);
	assert_int_equal(mapi_store_count(f->store), 0);
	assert_int_equal(mapi_store_resource_version(f->store), 0);
	cJSON_Delete(bad);
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(dump);
	mapi_store_free(other);
}

static void
test_store_reset_closes_watchers_and_repeats_uids(void **state)
{
	struct fixture *f = *state;
	struct mapi_watch_opts wo = { .resource = "pods" };
	struct mapi_store_watch *w = NULL;
	struct mapi_watch_event *ev = NULL;
	cJSON *a = make_pod(f, "default", "{\"metadata\":{\"name\":\"p\"}}");
	cJSON *b;

	assert_int_equal(mapi_store_watch_new(f->store, &wo, &w, NULL),
	                 MAPI_OK);
	mapi_store_reset(f->store);
	assert_int_equal(mapi_store_watch_next(w, 0, &ev), MAPI_EUNAVAILABLE);
	mapi_store_watch_free(w);
	b = make_pod(f, "default", "{\"metadata\":{\"name\":\"p\"}}");
	assert_string_equal(meta_str(a, "uid"), meta_str(b, "uid"));
	assert_string_equal(meta_str(b, "resourceVersion"), "1");
	cJSON_Delete(a);
	cJSON_Delete(b);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define S(fn) cmocka_unit_test_setup_teardown(fn, setup_small, teardown)
		T(test_store_create_sets_server_fields),
		T(test_store_get_returns_copy_and_not_found),
		T(test_store_create_errors),
		T(test_store_generate_name_adds_suffix),
		T(test_store_cluster_scoped_has_no_namespace),
		T(test_store_update_conflicts_on_stale_rv),
		T(test_store_update_generation_rules),
		T(test_store_update_missing_and_name_mismatch),
		T(test_store_delete_immediate_and_preconditions),
		T(test_store_graceful_pod_delete_on_mock_clock),
		T(test_store_pod_grace_defaults),
		T(test_store_list_sorted_by_namespace_then_name),
		T(test_store_list_text_equals_printed_list),
		T(test_store_list_selectors),
		T(test_store_invalid_selectors),
		T(test_store_list_pages_with_limit_and_continue),
		T(test_store_bad_continue_token),
		T(test_store_watch_from_rv_replays_later_events),
		T(test_store_watch_selector_transitions),
		S(test_store_watch_too_old_rv_and_overflow),
		S(test_store_max_objects_bound),
		T(test_store_seeded_uids_are_reproducible),
		T(test_store_concurrent_creates_get_distinct_rvs),
		T(test_store_dump_load_round_trip_and_reset),
		T(test_store_reset_closes_watchers_and_repeats_uids),
#undef T
#undef S
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
