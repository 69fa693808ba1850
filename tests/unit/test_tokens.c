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

#include "auth/jose.h"
#include "auth/jwt.h"
#include "auth/keys.h"
#include "auth/tokens.h"
#include "th.h"

/*
 * auth/tokens: lifetime policy, claims layout, Go %q, and (with the
 * fixture keys) issue → validate through a fake lookup table, every
 * status.error row of reference §3.4 compared as a full string.
 */

#define ISS      "https://kubernetes.default.svc.cluster.local"
#define T0       INT64_C(1700000000) /* issue time, s */
#define NS       INT64_C(1000000000)
#define SA_UID   "c3a9e1f4-5d6b-4e7a-8c9d-0f1e2a3b4c33"
#define POD_UID  "0b6f2d8e-8b4a-4c1e-9f7d-3e2a1c5b6d22"
#define NODE_UID "1f8c3e55-2b7a-4f0e-8d0c-5a9b7e2c4d11"
#define SEC_UID  "5e1c0d3a-9f2b-4c8e-a7d6-112233445566"

/* ------------------------------------------------------------ fakes */

/* splitmix64: the seeded random source (what --seed would give). */
struct rng {
	uint64_t s;
};

static void
rng_bytes(void *payload, uint8_t *buf, size_t n)
{
	struct rng *r = payload;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));

		z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
		z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
		buf[i] = (uint8_t)(z ^ (z >> 31));
	}
}

/* One object of the fake store. */
struct fobj {
	const char *res;
	const char *ns;
	const char *name;
	const char *uid;
	int64_t del;
	const char *sa;   /* pods */
	const char *node; /* pods */
	char *data_token; /* secrets (owned) */
	const char *invalid_since;
	bool used;
};

#define MAX_OBJS 16

struct fx {
	struct fobj objs[MAX_OBJS];
	struct rng rng;
	struct mapi_keyset *ks;
	struct mapi_key *rsa;   /* active */
	struct mapi_key *ec;    /* verify-only */
	struct mapi_key *other; /* not in the keyset */
	struct mapi_tokens *t;
	int lookups;
	enum mapi_err fail_with; /* != OK: every lookup fails so */
};

static enum mapi_err
fake_lookup(void *payload, const char *res, const char *ns, const char *name,
            struct mapi_tokens_object *out)
{
	struct fx *f = payload;
	size_t i;

	f->lookups++;
	if (f->fail_with != MAPI_OK) {
		return f->fail_with;
	}
	for (i = 0; i < MAX_OBJS; i++) {
		struct fobj *o = &f->objs[i];

		if (!o->used || strcmp(o->res, res) != 0 ||
		    strcmp(o->name, name) != 0 ||
		    (ns != NULL && strcmp(o->ns, ns) != 0)) {
			continue;
		}
		out->uid = o->uid ? strdup(o->uid) : NULL;
		out->deletion_timestamp = o->del;
		out->service_account_name = o->sa ? strdup(o->sa) : NULL;
		out->node_name = o->node ? strdup(o->node) : NULL;
		if (o->data_token != NULL) {
			out->data_token = strdup(o->data_token);
			out->data_token_len = strlen(o->data_token);
		}
		out->invalid_since =
			o->invalid_since ? strdup(o->invalid_since) : NULL;
		return MAPI_OK;
	}
	return MAPI_ENOTFOUND;
}

static struct fobj *
put(struct fx *f, const char *res, const char *ns, const char *name,
    const char *uid)
{
	size_t i;

	for (i = 0; i < MAX_OBJS; i++) {
		if (!f->objs[i].used) {
			f->objs[i] = (struct fobj){ .res = res,
				                    .ns = ns,
				                    .name = name,
				                    .uid = uid,
				                    .used = true };
			return &f->objs[i];
		}
	}
	fail_msg("fake store full");
	return NULL;
}

static struct fobj *
get(struct fx *f, const char *res, const char *name)
{
	size_t i;

	for (i = 0; i < MAX_OBJS; i++) {
		if (f->objs[i].used && strcmp(f->objs[i].res, res) == 0 &&
		    strcmp(f->objs[i].name, name) == 0) {
			return &f->objs[i];
		}
	}
	fail_msg("no %s %s in the fake store", res, name);
	return NULL;
}

static void
drop(struct fx *f, const char *res, const char *name)
{
	struct fobj *o = get(f, res, name);

	free(o->data_token);
	memset(o, 0, sizeof(*o));
}

static struct mapi_key *
load_key(const char *rel)
{
	char *path = th_fixture_path(rel);
	struct mapi_key *k = NULL;
	struct mapi_diag diag = { 0 };

	assert_int_equal(mapi_key_load_file(path, &k, &diag), MAPI_OK);
	free(path);
	return k;
}

static struct mapi_tokens *
make_tokens(struct fx *f, const struct mapi_tokens_config *base)
{
	struct mapi_tokens_config cfg;
	struct mapi_tokens *t = NULL;
	struct mapi_diag diag = { 0 };

	if (base != NULL) {
		cfg = *base;
	} else {
		mapi_tokens_config_init(&cfg);
	}
	cfg.keyset = f->ks;
	cfg.lookup = fake_lookup;
	cfg.lookup_payload = f;
	cfg.random_bytes = rng_bytes;
	cfg.random_payload = &f->rng;
	assert_int_equal(mapi_tokens_new(&cfg, &t, &diag), MAPI_OK);
	return t;
}

/* The default cluster: SA default/app-sa, pod app-7d9f8 on node-1. */
static void
seed_objects(struct fx *f)
{
	struct fobj *pod;

	put(f, "serviceaccounts", "default", "app-sa", SA_UID);
	pod = put(f, "pods", "default", "app-7d9f8", POD_UID);
	pod->sa = "app-sa";
	pod->node = "node-1";
	put(f, "nodes", "", "node-1", NODE_UID);
	put(f, "secrets", "default", "bound-secret", SEC_UID);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		return -1;
	}
	f->rng.s = 42;
	f->rsa = load_key("keys/rsa-2048.pkcs8.pem");
	f->ec = load_key("keys/ec-p256.pkcs8.pem");
	f->other = load_key("keys/rsa-2048-b.pkcs8.pem");
	if (mapi_keyset_new(&f->ks) != MAPI_OK ||
	    mapi_keyset_set_active(f->ks, f->rsa) != MAPI_OK ||
	    mapi_keyset_add_verify(f->ks, f->ec) != MAPI_OK) {
		return -1;
	}
	f->t = make_tokens(f, NULL);
	seed_objects(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < MAX_OBJS; i++) {
		free(f->objs[i].data_token);
	}
	mapi_tokens_free(f->t);
	mapi_keyset_free(f->ks);
	mapi_key_unref(f->rsa);
	mapi_key_unref(f->ec);
	mapi_key_unref(f->other);
	free(f);
	return 0;
}

/* ------------------------------------------------------------ policy */

struct life_row {
	const char *name;
	int64_t min, max;
	bool no_extend;
	bool has;
	int64_t req;
	enum mapi_tokens_bound bound;
	const char *aud; /* one requested audience, or NULL */
	enum mapi_err err;
	int64_t exp, jwt_ttl, warnafter;
	const char *text; /* warning, or the full 422 message */
};

#define INV(v, what)                                           \
	"TokenRequest.authentication.k8s.io \"\" is invalid: " \
	"spec.expirationSeconds: Invalid value: " v            \
	": may not specify a duration " what

static const struct life_row life_rows[] = {
	{ "absent defaults to 3600", .exp = 3600, .jwt_ttl = 3600, .text = "" },
	{ "60 rejected (exact upstream text)", .has = true, .req = 60,
	  .err = MAPI_EINVALID, .text = INV("60", "less than 10 minutes") },
	{ "599 rejected", .has = true, .req = 599, .err = MAPI_EINVALID,
	  .text = INV("599", "less than 10 minutes") },
	{ "0 is a value, not absent", .has = true, .req = 0,
	  .err = MAPI_EINVALID, .text = INV("0", "less than 10 minutes") },
	{ "-5 rejected", .has = true, .req = -5, .err = MAPI_EINVALID,
	  .text = INV("-5", "less than 10 minutes") },
	{ "600 accepted", .has = true, .req = 600, .exp = 600, .jwt_ttl = 600,
	  .text = "" },
	{ "2^32 accepted", .has = true, .req = INT64_C(4294967296),
	  .exp = INT64_C(4294967296), .jwt_ttl = INT64_C(4294967296),
	  .text = "" },
	{ "2^32+1 rejected", .has = true, .req = INT64_C(4294967297),
	  .err = MAPI_EINVALID,
	  .text = INV("4294967297", "larger than 2^32 seconds") },
	{ "max clamps 7200 to 3600 with a warning", .max = 3600, .has = true,
	  .req = 7200, .exp = 3600, .jwt_ttl = 3600,
	  .text = "requested expiration of 7200 seconds shortened to 3600 "
	          "seconds" },
	{ "max equal to the request: no warning", .max = 3600, .exp = 3600,
	  .jwt_ttl = 3600, .text = "" },
	{ "validation runs before the clamp", .max = 3600, .has = true,
	  .req = INT64_C(5000000000), .err = MAPI_EINVALID,
	  .text = INV("5000000000", "larger than 2^32 seconds") },
	{ "3607 pod-bound is extended", .has = true, .req = 3607,
	  .bound = MAPI_TOKENS_BOUND_POD, .exp = 3607,
	  .jwt_ttl = INT64_C(31536000), .warnafter = 3607, .text = "" },
	{ "3607 pod-bound, explicit API audience", .has = true, .req = 3607,
	  .bound = MAPI_TOKENS_BOUND_POD, .aud = ISS, .exp = 3607,
	  .jwt_ttl = INT64_C(31536000), .warnafter = 3607, .text = "" },
	{ "3607 not bound: not extended", .has = true, .req = 3607, .exp = 3607,
	  .jwt_ttl = 3607, .text = "" },
	{ "3607 secret-bound: not extended", .has = true, .req = 3607,
	  .bound = MAPI_TOKENS_BOUND_SECRET, .exp = 3607, .jwt_ttl = 3607,
	  .text = "" },
	{ "3607 pod-bound, foreign audience: not extended", .has = true,
	  .req = 3607, .bound = MAPI_TOKENS_BOUND_POD,
	  .aud = "https://example.com", .exp = 3607, .jwt_ttl = 3607,
	  .text = "" },
	{ "3607 pod-bound, extension off", .no_extend = true, .has = true,
	  .req = 3607, .bound = MAPI_TOKENS_BOUND_POD, .exp = 3607,
	  .jwt_ttl = 3607, .text = "" },
	{ "3608 pod-bound: not extended", .has = true, .req = 3608,
	  .bound = MAPI_TOKENS_BOUND_POD, .exp = 3608, .jwt_ttl = 3608,
	  .text = "" },
	{ "clamped to 3600: not extended", .max = 3600, .has = true,
	  .req = 3607, .bound = MAPI_TOKENS_BOUND_POD, .exp = 3600,
	  .jwt_ttl = 3600,
	  .text = "requested expiration of 3607 seconds shortened to 3600 "
	          "seconds" },
	{ "clamped to 3607: extended", .max = 3607, .has = true, .req = 7200,
	  .bound = MAPI_TOKENS_BOUND_POD, .exp = 3607,
	  .jwt_ttl = INT64_C(31536000), .warnafter = 3607,
	  .text = "requested expiration of 7200 seconds shortened to 3607 "
	          "seconds" },
	{ "min 1s allows 5s", .min = 1, .has = true, .req = 5, .exp = 5,
	  .jwt_ttl = 5, .text = "" },
	{ "min 1s words", .min = 1, .has = true, .req = 0, .err = MAPI_EINVALID,
	  .text = INV("0", "less than 1 second") },
	{ "min 90s words", .min = 90, .has = true, .req = 30,
	  .err = MAPI_EINVALID, .text = INV("30", "less than 90 seconds") },
	{ "min 2h words", .min = 7200, .has = true, .req = 3600,
	  .err = MAPI_EINVALID, .text = INV("3600", "less than 2 hours") },
	{ "min 1m words", .min = 60, .has = true, .req = 59,
	  .err = MAPI_EINVALID, .text = INV("59", "less than 1 minute") },
};

static void
test_lifetime_table(void **state)
{
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(life_rows) / sizeof(life_rows[0]); i++) {
		const struct life_row *row = &life_rows[i];
		struct mapi_tokens_config cfg;
		struct mapi_tokens_lifetime_in in = { 0 };
		struct mapi_tokens_lifetime out;
		struct mapi_diag diag = { 0 };
		struct mapi_tokens *t;
		const char *auds[1] = { row->aud };

		print_message("# %s\n", row->name);
		mapi_tokens_config_init(&cfg);
		cfg.min_ttl = row->min;
		cfg.max_ttl = row->max;
		cfg.extend = !row->no_extend;
		if (row->min > 3600) {
			cfg.default_ttl = row->min;
		}
		t = make_tokens(f, &cfg);
		in.has_expiration = row->has;
		in.expiration_seconds = row->req;
		in.bound = row->bound;
		in.audiences = auds;
		in.n_audiences = row->aud != NULL ? 1 : 0;
		memset(&out, 0x5a, sizeof(out));
		assert_int_equal(mapi_tokens_lifetime(t, &in, &out, &diag),
		                 row->err);
		if (row->err != MAPI_OK) {
			assert_string_equal(diag.msg, row->text);
			assert_string_equal(diag.field,
			                    "spec.expirationSeconds");
			assert_int_equal(out.expiration_seconds,
			                 INT64_C(0x5a5a5a5a5a5a5a5a));
		} else {
			assert_int_equal(out.expiration_seconds, row->exp);
			assert_int_equal(out.jwt_ttl, row->jwt_ttl);
			assert_int_equal(out.warnafter, row->warnafter);
			assert_int_equal(out.extended, row->warnafter != 0);
			assert_string_equal(out.warning, row->text);
		}
		mapi_tokens_free(t);
	}
}

static void
test_config_rejects_bad_values(void **state)
{
	static const char *const none[] = { NULL };
	static const char *const blank[] = { "", NULL };
	struct {
		int64_t min, def, max;
		const char *issuer;
		const char *const *auds;
	} rows[] = {
		{ .min = -1 },
		{ .min = 600, .def = 599 },
		{ .def = INT64_C(4294967297) },
		{ .max = 599 },
		{ .max = -1 },
		{ .max = INT64_C(4294967297) },
		{ .issuer = "" },
		{ .auds = none },
		{ .auds = blank },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mapi_tokens_config cfg;
		struct mapi_tokens *t = NULL;
		struct mapi_diag diag = { 0 };

		mapi_tokens_config_init(&cfg);
		cfg.min_ttl = rows[i].min;
		cfg.default_ttl = rows[i].def;
		cfg.max_ttl = rows[i].max;
		cfg.issuer = rows[i].issuer;
		cfg.api_audiences = rows[i].auds;
		assert_int_equal(mapi_tokens_new(&cfg, &t, &diag), MAPI_EINVAL);
		assert_null(t);
		assert_true(diag.msg[0] != '\0');
	}
}

static void
test_config_defaults(void **state)
{
	struct fx *f = *state;
	const char *const *auds;
	size_t n = 0;

	assert_string_equal(mapi_tokens_issuer(f->t), ISS);
	auds = mapi_tokens_api_audiences(f->t, &n);
	assert_int_equal(n, 1);
	assert_string_equal(auds[0], ISS);
}

/* ------------------------------------------------------------ claims */

static char *
serialize(const cJSON *c)
{
	char *s = NULL;

	assert_int_equal(mapi_jwt_serialize_claims(c, &s), MAPI_OK);
	return s;
}

static void
test_claims_layout_pod_with_node(void **state)
{
	/* the §1.2 kind token, kubelet-issued and extended */
	static const char want[] =
		"{\"aud\":[\"" ISS "\"],\"exp\":1749207355,\"iat\":1717671355,"
		"\"iss\":\"" ISS "\","
		"\"jti\":\"e51f1fbc-4733-4b85-a59f-ba80c0523874\","
		"\"kubernetes.io\":{\"namespace\":\"default\","
		"\"node\":{\"name\":\"contour-worker\",\"uid\":\"" NODE_UID
		"\"},"
		"\"pod\":{\"name\":\"shell\",\"uid\":\"" POD_UID "\"},"
		"\"serviceaccount\":{\"name\":\"default\",\"uid\":\"" SA_UID
		"\"},"
		"\"warnafter\":1717674962},"
		"\"nbf\":1717671355,"
		"\"sub\":\"system:serviceaccount:default:default\"}";
	const char *auds[] = { ISS };
	struct mapi_tokens_claims_in in = {
		.issuer = ISS,
		.ns = "default",
		.sa = { "default", SA_UID },
		.bound = MAPI_TOKENS_BOUND_POD,
		.object = { "shell", POD_UID },
		.node = { "contour-worker", NODE_UID },
		.audiences = auds,
		.n_audiences = 1,
		.iat = 1717671355,
		.exp = 1717671355 + INT64_C(31536000),
		.warnafter = 1717671355 + 3607,
		.jti = "e51f1fbc-4733-4b85-a59f-ba80c0523874",
	};
	cJSON *c = NULL;
	char *s;

	(void)state;
	assert_int_equal(mapi_tokens_claims(&in, &c), MAPI_OK);
	s = serialize(c);
	assert_string_equal(s, want);
	free(s);
	cJSON_Delete(c);
}

struct claims_row {
	const char *name;
	enum mapi_tokens_bound bound;
	struct mapi_tokens_ref sa, object, node;
	const char *jti;
	size_t n_aud;
	const char *want_k8s;  /* the "kubernetes.io" member */
	const char *want_head; /* up to "kubernetes.io" */
};

static const struct claims_row claims_rows[] = {
	{ "not bound (kubectl create token)",
	  MAPI_TOKENS_BOUND_NONE,
	  { "app-sa", SA_UID },
	  { 0 },
	  { 0 },
	  "j",
	  1,
	  "{\"namespace\":\"default\",\"serviceaccount\":{\"name\":\"app-sa\","
	  "\"uid\":\"" SA_UID "\"}}",
	  "{\"aud\":[\"" ISS "\"],\"exp\":1700003600,\"iat\":1700000000,"
	  "\"iss\":\"" ISS "\",\"jti\":\"j\"," },
	{ "unscheduled pod: no node",
	  MAPI_TOKENS_BOUND_POD,
	  { "app-sa", SA_UID },
	  { "p", "pu" },
	  { NULL, NULL },
	  "j",
	  1,
	  "{\"namespace\":\"default\",\"pod\":{\"name\":\"p\",\"uid\":\"pu\"},"
	  "\"serviceaccount\":{\"name\":\"app-sa\",\"uid\":\"" SA_UID "\"}}",
	  NULL },
	{ "node object missing: name only",
	  MAPI_TOKENS_BOUND_POD,
	  { "app-sa", SA_UID },
	  { "p", "pu" },
	  { "n1", NULL },
	  "j",
	  1,
	  "{\"namespace\":\"default\",\"node\":{\"name\":\"n1\"},"
	  "\"pod\":{\"name\":\"p\",\"uid\":\"pu\"},"
	  "\"serviceaccount\":{\"name\":\"app-sa\",\"uid\":\"" SA_UID "\"}}",
	  NULL },
	{ "secret-bound",
	  MAPI_TOKENS_BOUND_SECRET,
	  { "app-sa", SA_UID },
	  { "s", "su" },
	  { "ignored", "x" },
	  "j",
	  1,
	  "{\"namespace\":\"default\",\"secret\":{\"name\":\"s\",\"uid\":"
	  "\"su\"},"
	  "\"serviceaccount\":{\"name\":\"app-sa\",\"uid\":\"" SA_UID "\"}}",
	  NULL },
	{ "node-bound",
	  MAPI_TOKENS_BOUND_NODE,
	  { "app-sa", SA_UID },
	  { "n1", "nu" },
	  { 0 },
	  "j",
	  1,
	  "{\"namespace\":\"default\",\"node\":{\"name\":\"n1\",\"uid\":\"nu\"}"
	  ","
	  "\"serviceaccount\":{\"name\":\"app-sa\",\"uid\":\"" SA_UID "\"}}",
	  NULL },
	{ "empty uids and jti omitted, aud omitted when empty",
	  MAPI_TOKENS_BOUND_POD,
	  { "app-sa", "" },
	  { "p", NULL },
	  { 0 },
	  "",
	  0,
	  "{\"namespace\":\"default\",\"pod\":{\"name\":\"p\"},"
	  "\"serviceaccount\":{\"name\":\"app-sa\"}}",
	  "{\"exp\":1700003600,\"iat\":1700000000,\"iss\":\"" ISS "\"," },
};

static void
test_claims_table(void **state)
{
	const char *auds[] = { ISS };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(claims_rows) / sizeof(claims_rows[0]); i++) {
		const struct claims_row *row = &claims_rows[i];
		struct mapi_tokens_claims_in in = {
			.issuer = ISS,
			.ns = "default",
			.sa = row->sa,
			.bound = row->bound,
			.object = row->object,
			.node = row->node,
			.audiences = auds,
			.n_audiences = row->n_aud,
			.iat = T0,
			.exp = T0 + 3600,
			.jti = row->jti,
		};
		cJSON *c = NULL;
		char *s;
		char *k;

		print_message("# %s\n", row->name);
		assert_int_equal(mapi_tokens_claims(&in, &c), MAPI_OK);
		k = serialize(
			cJSON_GetObjectItemCaseSensitive(c, "kubernetes.io"));
		assert_string_equal(k, row->want_k8s);
		s = serialize(c);
		if (row->want_head != NULL) {
			assert_true(strncmp(s, row->want_head,
			                    strlen(row->want_head)) == 0);
		}
		assert_non_null(strstr(s, "\"nbf\":1700000000,\"sub\":\"system:"
		                          "serviceaccount:default:app-sa\"}"));
		assert_null(cJSON_GetObjectItemCaseSensitive(c, "warnafter"));
		free(k);
		free(s);
		cJSON_Delete(c);
	}
}

static void
test_claims_rejects_bad_input(void **state)
{
	struct mapi_tokens_claims_in in = {
		.ns = "default",
		.sa = { "app-sa", NULL },
		.bound = MAPI_TOKENS_BOUND_POD,
		.object = { NULL, NULL },
	};
	cJSON *c = (cJSON *)0x1;

	(void)state;
	assert_int_equal(mapi_tokens_claims(&in, &c), MAPI_EINVAL);
	in.bound = MAPI_TOKENS_BOUND_NONE;
	in.ns = NULL;
	assert_int_equal(mapi_tokens_claims(&in, &c), MAPI_EINVAL);
	assert_ptr_equal(c, (cJSON *)0x1);
}

static void
test_legacy_claims_layout(void **state)
{
	static const char want[] =
		"{\"iss\":\"kubernetes/serviceaccount\","
		"\"kubernetes.io/serviceaccount/namespace\":\"default\","
		"\"kubernetes.io/serviceaccount/secret.name\":\"app-sa-token\","
		"\"kubernetes.io/serviceaccount/"
	        "service-account.name\":\"app-sa\","
		"\"kubernetes.io/serviceaccount/service-account.uid\":\"" SA_UID
		"\",\"sub\":\"system:serviceaccount:default:app-sa\"}";
	struct mapi_tokens_ref sa = { "app-sa", SA_UID };
	cJSON *c = NULL;
	char *s;

	(void)state;
	assert_int_equal(
		mapi_tokens_legacy_claims("default", &sa, "app-sa-token", &c),
		MAPI_OK);
	s = serialize(c);
	assert_string_equal(s, want);
	free(s);
	cJSON_Delete(c);
}

/* ------------------------------------------------------------ Go %q */

static void
test_go_quote_table(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} rows[] = {
		{ "https://example.com", "\"https://example.com\"" },
		{ "", "\"\"" },
		{ "q\"uote", "\"q\\\"uote\"" },
		{ "back\\slash", "\"back\\\\slash\"" },
		{ "\a\b\f\n\r\t\v", "\"\\a\\b\\f\\n\\r\\t\\v\"" },
		{ "\x01\x1f\x7f", "\"\\x01\\x1f\\x7f\"" },
		{ "bad\xff", "\"bad\\xff\"" },
		{ "\xc0\x80", "\"\\xc0\\x80\"" },          /* overlong */
		{ "\xed\xa0\x80", "\"\\xed\\xa0\\x80\"" }, /* surrogate */
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
		{ "\xc2\xa0", "\"\\u00a0\"" },     /* NBSP */
		{ "\xc2\x85", "\"\\u0085\"" },     /* C1 */
		{ "\xc2\xad", "\"\\u00ad\"" },     /* soft hyphen */
		{ "\xe2\x80\xa8", "\"\\u2028\"" }, /* line separator */
		{ "\xef\xbb\xbf", "\"\\ufeff\"" }, /* BOM */
		{ "\xee\x80\x80", "\"\\ue000\"" }, /* private use */
		{ "\xef\xbf\xbd", "\"\xef\xbf\xbd\"" },
		{ "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },
		{ "\xf3\xb0\x80\x80", "\"\\U000f0000\"" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *q = NULL;

		assert_int_equal(mapi_tokens_go_quote(rows[i].in, &q), MAPI_OK);
		assert_string_equal(q, rows[i].want);
		free(q);
	}
}

static void
test_go_quote_list(void **state)
{
	const char *two[] = { "a", "b c" };
	char *q = NULL;

	(void)state;
	assert_int_equal(mapi_tokens_go_quote_list(two, 2, &q), MAPI_OK);
	assert_string_equal(q, "[\"a\" \"b c\"]");
	free(q);
	assert_int_equal(mapi_tokens_go_quote_list(two, 1, &q), MAPI_OK);
	assert_string_equal(q, "[\"a\"]");
	free(q);
	assert_int_equal(mapi_tokens_go_quote_list(NULL, 0, &q), MAPI_OK);
	assert_string_equal(q, "[]");
	free(q);
	assert_int_equal(mapi_tokens_go_quote_list(NULL, 1, &q), MAPI_EINVAL);
}

/* ------------------------------------------------------------ jti */

static void
test_uuid4_seeded(void **state)
{
	struct rng a = { 7 };
	struct rng b = { 7 };
	struct rng c = { 8 };
	char ja[MAPI_TOKENS_JTI_SIZE];
	char jb[MAPI_TOKENS_JTI_SIZE];
	char jc[MAPI_TOKENS_JTI_SIZE];
	size_t i;

	(void)state;
	mapi_tokens_uuid4(rng_bytes, &a, ja);
	mapi_tokens_uuid4(rng_bytes, &b, jb);
	mapi_tokens_uuid4(rng_bytes, &c, jc);
	assert_string_equal(ja, jb);
	assert_string_not_equal(ja, jc);
	assert_int_equal(strlen(ja), 36);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			assert_int_equal(ja[i], '-');
		} else {
			assert_non_null(strchr("0123456789abcdef", ja[i]));
		}
	}
	assert_int_equal(ja[14], '4');
	assert_non_null(strchr("89ab", ja[19]));
	mapi_tokens_uuid4(rng_bytes, &a, jb);
	assert_string_not_equal(ja, jb); /* the source moved on */
}

/* ------------------------------------------------------------ review */

static void
test_review_error_format(void **state)
{
	struct mapi_tokens_result r = { 0 };
	char *s = NULL;

	(void)state;
	r.verdict = MAPI_TOKENS_NOT_OURS;
	assert_int_equal(mapi_tokens_review_error(&r, &s), MAPI_OK);
	assert_string_equal(s, "invalid bearer token");
	free(s);
	r.verdict = MAPI_TOKENS_REJECTED;
	r.reason = (char *)"service account token has expired";
	assert_int_equal(mapi_tokens_review_error(&r, &s), MAPI_OK);
	assert_string_equal(s, "[invalid bearer token, service account token "
	                       "has expired]");
	free(s);
	r.reason = (char *)"invalid bearer token"; /* collapsed duplicate */
	assert_int_equal(mapi_tokens_review_error(&r, &s), MAPI_OK);
	assert_string_equal(s, "invalid bearer token");
	free(s);
	s = NULL;
	r.verdict = MAPI_TOKENS_AUTHENTICATED;
	assert_int_equal(mapi_tokens_review_error(&r, &s), MAPI_EINVAL);
	assert_null(s);
}

/* ------------------------------------------------------------ issue */

static struct mapi_tokens_request
pod_request(void)
{
	return (struct mapi_tokens_request){
		.ns = "default",
		.sa = { "app-sa", SA_UID },
		.bound = MAPI_TOKENS_BOUND_POD,
		.object = { "app-7d9f8", POD_UID },
		.node = { "node-1", NODE_UID },
	};
}

static char *
issue(struct fx *f, const struct mapi_tokens_request *req, int64_t now_s,
      struct mapi_tokens_issued *out)
{
	struct mapi_diag diag = { 0 };

	assert_int_equal(mapi_tokens_issue(f->t, req, now_s * NS, out, &diag),
	                 MAPI_OK);
	return out->token;
}

static char *
payload_of(const char *token)
{
	const char *d1 = strchr(token, '.');
	const char *d2 = strchr(d1 + 1, '.');
	uint8_t *p = NULL;
	size_t n;

	assert_int_equal(
		mapi_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &p, &n),
		MAPI_OK);
	return (char *)p;
}

static void
test_issue_pod_bound_extended(void **state)
{
	struct fx *f = *state;
	struct mapi_tokens_request req = pod_request();
	struct mapi_tokens_issued out;
	char want[1024];
	char *p;

	req.has_expiration = true;
	req.expiration_seconds = 3607;
	issue(f, &req, T0, &out);
	assert_int_equal(out.iat, T0);
	assert_int_equal(out.creation_timestamp, T0);
	assert_int_equal(out.expiration_seconds, 3607);
	assert_int_equal(out.expiration_timestamp, T0 + 3607);
	assert_int_equal(out.exp, T0 + INT64_C(31536000));
	assert_int_equal(out.warnafter, T0 + 3607);
	assert_true(out.extended);
	assert_string_equal(out.warning, "");
	assert_int_equal(out.n_audiences, 1);
	assert_string_equal(out.audiences[0], ISS);
	assert_string_equal(out.kid, mapi_key_kid(f->rsa));
	(void)snprintf(
		want, sizeof(want),
		"{\"aud\":[\"" ISS "\"],\"exp\":1731536000,"
		"\"iat\":1700000000,\"iss\":\"" ISS "\",\"jti\":\"%s\","
		"\"kubernetes.io\":{\"namespace\":\"default\","
		"\"node\":{\"name\":\"node-1\",\"uid\":\"" NODE_UID "\"},"
		"\"pod\":{\"name\":\"app-7d9f8\",\"uid\":\"" POD_UID "\"},"
		"\"serviceaccount\":{\"name\":\"app-sa\",\"uid\":\"" SA_UID
		"\"},\"warnafter\":1700003607},\"nbf\":1700000000,"
		"\"sub\":\"system:serviceaccount:default:app-sa\"}",
		out.jti);
	p = payload_of(out.token);
	assert_string_equal(p, want);
	assert_true(strncmp(out.token, "eyJhbGciOiJSUzI1NiIsImtpZCI6", 28) ==
	            0); /* {"alg":"RS256","kid": */
	free(p);
	mapi_tokens_issued_clear(&out);
	mapi_tokens_issued_clear(&out); /* idempotent */
	mapi_tokens_issued_clear(NULL);
}

static void
test_issue_rejects_and_clamps(void **state)
{
	struct fx *f = *state;
	struct mapi_tokens_request req = pod_request();
	struct mapi_tokens_issued out;
	struct mapi_tokens_config cfg;
	struct mapi_diag diag = { 0 };
	struct mapi_tokens *t;
	const char *aud[] = { "https://example.com" };

	req.has_expiration = true;
	req.expiration_seconds = 60;
	memset(&out, 0, sizeof(out));
	assert_int_equal(mapi_tokens_issue(f->t, &req, T0 * NS, &out, &diag),
	                 MAPI_EINVALID);
	assert_string_equal(diag.msg, INV("60", "less than 10 minutes"));
	assert_null(out.token);

	mapi_tokens_config_init(&cfg);
	cfg.max_ttl = 3600;
	t = make_tokens(f, &cfg);
	req.expiration_seconds = 7200;
	req.audiences = aud;
	req.n_audiences = 1;
	assert_int_equal(
		mapi_tokens_issue(t, &req, T0 * NS + 999999999, &out, &diag),
		MAPI_OK);
	assert_string_equal(out.warning, "requested expiration of 7200 "
	                                 "seconds shortened to 3600 seconds");
	assert_int_equal(out.iat, T0); /* floor of the ns time */
	assert_int_equal(out.exp, T0 + 3600);
	assert_int_equal(out.expiration_timestamp, T0 + 3600);
	assert_int_equal(out.warnafter, 0);
	assert_string_equal(out.audiences[0], "https://example.com");
	mapi_tokens_issued_clear(&out);
	mapi_tokens_free(t);
}

static void
test_issue_needs_active_key(void **state)
{
	struct fx *f = *state;
	struct mapi_tokens_request req = pod_request();
	struct mapi_tokens_issued out = { 0 };
	struct mapi_keyset *empty_ks = NULL;
	struct mapi_tokens_config cfg;
	struct mapi_tokens *t = NULL;
	struct mapi_diag diag = { 0 };

	assert_int_equal(mapi_keyset_new(&empty_ks), MAPI_OK);
	mapi_tokens_config_init(&cfg);
	cfg.keyset = empty_ks;
	cfg.random_bytes = rng_bytes;
	cfg.random_payload = &f->rng;
	assert_int_equal(mapi_tokens_new(&cfg, &t, &diag), MAPI_OK);
	assert_int_equal(mapi_tokens_issue(t, &req, T0 * NS, &out, &diag),
	                 MAPI_EUNAVAILABLE);
	assert_null(out.token);
	mapi_tokens_free(t);
	mapi_keyset_free(empty_ks);
}

static void
test_jti_and_token_reproducible_with_seed(void **state)
{
	struct fx *f = *state;
	struct mapi_tokens_request req = pod_request();
	struct mapi_tokens_issued a;
	struct mapi_tokens_issued b;
	struct mapi_tokens_issued c;

	f->rng.s = 1234;
	issue(f, &req, T0, &a);
	f->rng.s = 1234;
	issue(f, &req, T0, &b);
	issue(f, &req, T0, &c);
	assert_string_equal(a.jti, b.jti);
	assert_string_equal(a.token, b.token); /* RS256 is deterministic */
	assert_string_not_equal(b.jti, c.jti);
	mapi_tokens_issued_clear(&a);
	mapi_tokens_issued_clear(&b);
	mapi_tokens_issued_clear(&c);
}

/* ------------------------------------------------------------ validate */

static void
validate(struct fx *f, const char *token, const char *aud, int64_t now_ns,
         struct mapi_tokens_result *r)
{
	const char *auds[1] = { aud };

	assert_int_equal(mapi_tokens_validate(f->t, token, strlen(token), auds,
	                                      aud != NULL ? 1 : 0, now_ns, r),
	                 MAPI_OK);
}

static const char *
extra(const struct mapi_tokens_result *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->identity.n_extra; i++) {
		if (strcmp(r->identity.extra[i].key, key) == 0) {
			return r->identity.extra[i].value;
		}
	}
	return NULL;
}

static void
test_round_trip_pod_bound(void **state)
{
	struct fx *f = *state;
	struct mapi_tokens_request req = pod_request();
	struct mapi_tokens_issued out;
	struct mapi_tokens_result r;
	char cred[64];
	size_t i;

	issue(f, &req, T0, &out);
	validate(f, out.token, NULL, (T0 + 1000) * NS, &r);
	assert_int_equal(r.verdict, MAPI_TOKENS_AUTHENTICATED);
	assert_null(r.reason);
	assert_string_equal(r.identity.username,
	                    "system:serviceaccount:default:app-sa");
	assert_string_equal(r.identity.uid, SA_UID);
	assert_int_equal(r.identity.n_groups, 2);
	assert_string_equal(r.identity.groups[0], "system:serviceaccounts");
	assert_string_equal(r.identity.groups[1],
	                    "system:serviceaccounts:default");
	assert_int_equal(r.identity.n_extra, 5);
	for (i = 1; i < r.identity.n_extra; i++) {
		assert_true(strcmp(r.identity.extra[i - 1].key,
		                   r.identity.extra[i].key) < 0);
	}
	(void)snprintf(cred, sizeof(cred), "JTI=%s", out.jti);
	assert_string_equal(extra(&r, "authentication.kubernetes.io/"
	                              "credential-id"),
	                    cred);
	assert_string_equal(extra(&r, "authentication.kubernetes.io/node-name"),
	                    "node-1");
	assert_string_equal(extra(&r, "authentication.kubernetes.io/node-uid"),
	                    NODE_UID);
	assert_string_equal(extra(&r, "authentication.kubernetes.io/pod-name"),
	                    "app-7d9f8");
	assert_string_equal(extra(&r, "authentication.kubernetes.io/pod-uid"),
	                    POD_UID);
	assert_int_equal(r.n_audiences, 1);
	assert_string_equal(r.audiences[0], ISS);
	assert_string_equal(r.jti, out.jti);
	assert_string_equal(r.ns, "default");
	assert_string_equal(r.name, "app-sa");
	assert_int_equal(r.iat, T0);
	assert_int_equal(r.exp, T0 + 3600);
	assert_false(r.stale);
	assert_false(r.legacy);
	mapi_tokens_result_clear(&r);
	mapi_tokens_result_clear(&r);
	mapi_tokens_issued_clear(&out);
}

static void
test_round_trip_extended_goes_stale(void **state)
{
	struct fx *f = *state;
	struct mapi_tokens_request req = pod_request();
	struct mapi_tokens_issued out;
	struct {
		int64_t now_ns;
		bool stale;
	} rows[] = {
		{ (T0 + 3000) * NS, false },
		{ (T0 + 3607) * NS, false },    /* After() is strict */
		{ (T0 + 3607) * NS + 1, true }, /* ... to the nanosecond */
		{ (T0 + 86400) * NS, true },    /* day-old: still accepted */
	};
	size_t i;

	req.has_expiration = true;
	req.expiration_seconds = 3607;
	issue(f, &req, T0, &out);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mapi_tokens_result r;

		validate(f, out.token, NULL, rows[i].now_ns, &r);
		assert_int_equal(r.verdict, MAPI_TOKENS_AUTHENTICATED);
		assert_int_equal(r.stale, rows[i].stale);
		assert_int_equal(r.warnafter, T0 + 3607);
		mapi_tokens_result_clear(&r);
	}
	mapi_tokens_issued_clear(&out);
}

/* Signs claims with key (kid as given, NULL for none). */
static char *
sign(struct mapi_key *key, const char *kid, const cJSON *claims)
{
	char *tok = NULL;

	assert_int_equal(mapi_jwt_sign(mapi_key_alg(key), mapi_key_pkey(key),
	                               kid, claims, &tok),
	                 MAPI_OK);
	return tok;
}

/* Claims of a pod-bound default token issued at T0 (1 h). */
static cJSON *
pod_claims(void)
{
	const char *auds[] = { ISS };
	struct mapi_tokens_claims_in in = {
		.issuer = ISS,
		.ns = "default",
		.sa = { "app-sa", SA_UID },
		.bound = MAPI_TOKENS_BOUND_POD,
		.object = { "app-7d9f8", POD_UID },
		.node = { "node-1", NODE_UID },
		.audiences = auds,
		.n_audiences = 1,
		.iat = T0,
		.exp = T0 + 3600,
		.jti = "jti-1",
	};
	cJSON *c = NULL;

	assert_int_equal(mapi_tokens_claims(&in, &c), MAPI_OK);
	return c;
}

static cJSON *
k8s(cJSON *c)
{
	return cJSON_GetObjectItemCaseSensitive(c, "kubernetes.io");
}

/* ---- token makers for the table */

enum tok {
	TOK_POD,          /* issued pod-bound, 1 h, at T0 */
	TOK_UNBOUND,      /* issued, not bound */
	TOK_SECRET,       /* issued secret-bound */
	TOK_NODE,         /* issued node-bound */
	TOK_LEGACY,       /* legacy, stored in secret app-sa-token */
	TOK_AUD_EXAMPLE,  /* issued with aud https://example.com */
	TOK_OTHER_KEY,    /* signed by a key outside the keyset */
	TOK_WRONG_KEY,    /* rsa-b's signature under rsa's kid */
	TOK_NO_KID,       /* no kid, signed by the active key */
	TOK_NO_KID_OTHER, /* no kid, signed by a foreign key */
	TOK_TAMPERED,     /* payload changed after signing */
	TOK_EC,           /* signed by the verify-only EC key */
	TOK_IAT_FUTURE,   /* iat T0+1000, no nbf */
	TOK_NBF_FUTURE,   /* iat = nbf = T0+1000 */
	TOK_ISS_CASE,     /* "ISS": unverified match, verified iss "" */
	TOK_EXP_STRING,   /* exp is a string */
	TOK_AUD_NUMBER,   /* aud is a number */
	TOK_NS_NUMBER,    /* kubernetes.io.namespace is a number */
	TOK_LEGACY_SUB,   /* legacy token whose sub names another SA */
	TOK_LEGACY_NOUID, /* legacy token without the SA uid claim */
	TOK_FOREIGN_ISS,  /* signed, issuer nobody accepts */
	TOK_GARBAGE,
	TOK_JSON,
	TOK_FOUR_PARTS,
};

static char *
tampered(const char *good)
{
	char *p = payload_of(good);
	char *pos = strstr(p, "app-sa\"}");
	char *enc;
	char *out;
	const char *d1 = strchr(good, '.');
	const char *d2 = strchr(d1 + 1, '.');
	size_t n;

	assert_non_null(pos);
	pos[0] = 'b'; /* "bpp-sa": a different SA name, same length */
	enc = mapi_b64url_encode_dup((const uint8_t *)p, strlen(p));
	n = (size_t)(d1 - good) + 1 + strlen(enc) + strlen(d2) + 1;
	out = malloc(n);
	assert_non_null(out);
	(void)snprintf(out, n, "%.*s.%s%s", (int)(d1 - good), good, enc, d2);
	free(enc);
	free(p);
	return out;
}

static char *
issue_kind(struct fx *f, enum mapi_tokens_bound bound, const char *name,
           const char *uid, const char *aud)
{
	struct mapi_tokens_request req = pod_request();
	struct mapi_tokens_issued out;
	const char *auds[1] = { aud };
	char *tok;

	req.bound = bound;
	req.object.name = name;
	req.object.uid = uid;
	req.audiences = auds;
	req.n_audiences = aud != NULL ? 1 : 0;
	issue(f, &req, T0, &out);
	tok = out.token;
	out.token = NULL;
	mapi_tokens_issued_clear(&out);
	return tok;
}

static char *
make_legacy(struct fx *f, const char *sub, const char *uid)
{
	struct mapi_tokens_ref sa = { "app-sa", uid };
	cJSON *c = NULL;
	char *tok = NULL;

	assert_int_equal(
		mapi_tokens_legacy_claims("default", &sa, "app-sa-token", &c),
		MAPI_OK);
	if (sub != NULL) {
		cJSON_ReplaceItemInObjectCaseSensitive(c, "sub",
		                                       cJSON_CreateString(sub));
	}
	tok = sign(f->rsa, mapi_key_kid(f->rsa), c);
	cJSON_Delete(c);
	return tok;
}

static char *
make_token(struct fx *f, enum tok kind)
{
	cJSON *c;
	char *tok = NULL;
	char *good;

	switch (kind) {
	case TOK_POD:
		return issue_kind(f, MAPI_TOKENS_BOUND_POD, "app-7d9f8",
		                  POD_UID, NULL);
	case TOK_UNBOUND:
		return issue_kind(f, MAPI_TOKENS_BOUND_NONE, NULL, NULL, NULL);
	case TOK_SECRET:
		return issue_kind(f, MAPI_TOKENS_BOUND_SECRET, "bound-secret",
		                  SEC_UID, NULL);
	case TOK_NODE:
		return issue_kind(f, MAPI_TOKENS_BOUND_NODE, "node-1", NODE_UID,
		                  NULL);
	case TOK_AUD_EXAMPLE:
		return issue_kind(f, MAPI_TOKENS_BOUND_POD, "app-7d9f8",
		                  POD_UID, "https://example.com");
	case TOK_LEGACY:
		tok = make_legacy(f, NULL, SA_UID);
		put(f, "secrets", "default", "app-sa-token", "lsec")
			->data_token = strdup(tok);
		return tok;
	case TOK_LEGACY_SUB:
		tok = make_legacy(f, "system:serviceaccount:default:other",
		                  SA_UID);
		return tok;
	case TOK_LEGACY_NOUID:
		return make_legacy(f, NULL, "");
	case TOK_TAMPERED:
		good = make_token(f, TOK_POD);
		tok = tampered(good);
		free(good);
		return tok;
	case TOK_GARBAGE:
		return strdup("hello");
	case TOK_JSON:
		return strdup("{\"iss\":\"" ISS "\"}.a.b");
	case TOK_FOUR_PARTS:
		good = make_token(f, TOK_POD);
		tok = malloc(strlen(good) + 3);
		(void)sprintf(tok, "%s.x", good);
		free(good);
		return tok;
	default:
		break;
	}
	c = pod_claims();
	switch (kind) {
	case TOK_OTHER_KEY:
		tok = sign(f->other, mapi_key_kid(f->other), c);
		break;
	case TOK_WRONG_KEY:
		tok = sign(f->other, mapi_key_kid(f->rsa), c);
		break;
	case TOK_NO_KID:
		tok = sign(f->rsa, NULL, c);
		break;
	case TOK_NO_KID_OTHER:
		tok = sign(f->other, NULL, c);
		break;
	case TOK_EC:
		tok = sign(f->ec, mapi_key_kid(f->ec), c);
		break;
	case TOK_IAT_FUTURE:
		cJSON_DeleteItemFromObjectCaseSensitive(c, "nbf");
		cJSON_ReplaceItemInObjectCaseSensitive(
			c, "iat", cJSON_CreateNumber((double)(T0 + 1000)));
		tok = sign(f->rsa, mapi_key_kid(f->rsa), c);
		break;
	case TOK_NBF_FUTURE:
		cJSON_ReplaceItemInObjectCaseSensitive(
			c, "iat", cJSON_CreateNumber((double)(T0 + 1000)));
		cJSON_ReplaceItemInObjectCaseSensitive(
			c, "nbf", cJSON_CreateNumber((double)(T0 + 1000)));
		tok = sign(f->rsa, mapi_key_kid(f->rsa), c);
		break;
	case TOK_ISS_CASE:
		cJSON_DeleteItemFromObjectCaseSensitive(c, "iss");
		cJSON_AddStringToObject(c, "ISS", ISS);
		tok = sign(f->rsa, mapi_key_kid(f->rsa), c);
		break;
	case TOK_EXP_STRING:
		cJSON_ReplaceItemInObjectCaseSensitive(
			c, "exp", cJSON_CreateString("1700003600"));
		tok = sign(f->rsa, mapi_key_kid(f->rsa), c);
		break;
	case TOK_AUD_NUMBER:
		cJSON_ReplaceItemInObjectCaseSensitive(c, "aud",
		                                       cJSON_CreateNumber(1));
		tok = sign(f->rsa, mapi_key_kid(f->rsa), c);
		break;
	case TOK_NS_NUMBER:
		cJSON_ReplaceItemInObjectCaseSensitive(k8s(c), "namespace",
		                                       cJSON_CreateNumber(1));
		tok = sign(f->rsa, mapi_key_kid(f->rsa), c);
		break;
	case TOK_FOREIGN_ISS:
		cJSON_ReplaceItemInObjectCaseSensitive(
			c, "iss", cJSON_CreateString("https://evil.example"));
		tok = sign(f->rsa, mapi_key_kid(f->rsa), c);
		break;
	default:
		fail_msg("unknown token kind %d", (int)kind);
	}
	cJSON_Delete(c);
	return tok;
}

/* ---- mutations of the fake cluster */

enum mut {
	M_NONE,
	M_POD_GONE,
	M_POD_RECREATED,
	M_POD_DELETED_30S,
	M_POD_DELETED_60S,
	M_POD_DELETED_61S,
	M_POD_TERMINATING_FUTURE,
	M_SA_GONE,
	M_SA_RECREATED,
	M_SA_TERMINATING_61S,
	M_SA_TERMINATING_10S,
	M_SECRET_GONE,
	M_SECRET_RECREATED,
	M_SECRET_DELETED_61S,
	M_NODE_GONE,
	M_NODE_RECREATED,
	M_NODE_DELETED_61S,
	M_LEGACY_SECRET_GONE,
	M_LEGACY_SECRET_TERMINATING,
	M_LEGACY_TOKEN_CHANGED,
	M_LEGACY_INVALID_SINCE,
};

#define NOW (T0 + 1000) /* s; validation time unless a row says else */

static void
mutate(struct fx *f, enum mut m)
{
	switch (m) {
	case M_NONE:
		break;
	case M_POD_GONE:
		drop(f, "pods", "app-7d9f8");
		break;
	case M_POD_RECREATED:
		get(f, "pods", "app-7d9f8")->uid = "new-pod-uid";
		break;
	case M_POD_DELETED_30S:
		get(f, "pods", "app-7d9f8")->del = NOW - 30;
		break;
	case M_POD_DELETED_60S:
		get(f, "pods", "app-7d9f8")->del = NOW - 60;
		break;
	case M_POD_DELETED_61S:
		get(f, "pods", "app-7d9f8")->del = NOW - 61;
		break;
	case M_POD_TERMINATING_FUTURE:
		get(f, "pods", "app-7d9f8")->del = NOW + 30;
		break;
	case M_SA_GONE:
		drop(f, "serviceaccounts", "app-sa");
		break;
	case M_SA_RECREATED:
		get(f, "serviceaccounts", "app-sa")->uid = "new-sa-uid";
		break;
	case M_SA_TERMINATING_61S:
		get(f, "serviceaccounts", "app-sa")->del = NOW - 61;
		break;
	case M_SA_TERMINATING_10S:
		get(f, "serviceaccounts", "app-sa")->del = NOW - 10;
		break;
	case M_SECRET_GONE:
		drop(f, "secrets", "bound-secret");
		break;
	case M_SECRET_RECREATED:
		get(f, "secrets", "bound-secret")->uid = "new-secret-uid";
		break;
	case M_SECRET_DELETED_61S:
		get(f, "secrets", "bound-secret")->del = NOW - 61;
		break;
	case M_NODE_GONE:
		drop(f, "nodes", "node-1");
		break;
	case M_NODE_RECREATED:
		get(f, "nodes", "node-1")->uid = "new-node-uid";
		break;
	case M_NODE_DELETED_61S:
		get(f, "nodes", "node-1")->del = NOW - 61;
		break;
	case M_LEGACY_SECRET_GONE:
		drop(f, "secrets", "app-sa-token");
		break;
	case M_LEGACY_SECRET_TERMINATING:
		get(f, "secrets", "app-sa-token")->del = NOW + 3600;
		break;
	case M_LEGACY_TOKEN_CHANGED: {
		struct fobj *o = get(f, "secrets", "app-sa-token");

		o->data_token[strlen(o->data_token) - 2] ^= 1;
		break;
	}
	case M_LEGACY_INVALID_SINCE:
		get(f, "secrets", "app-sa-token")->invalid_since = "2024-01-01";
		break;
	}
}

struct vrow {
	const char *name;
	enum tok tok;
	enum mut mut;
	int64_t now_ns;   /* 0 → NOW */
	const char *aud;  /* TokenReview spec.audiences[0], or NULL */
	const char *want; /* status.error, or NULL for authenticated */
};

#define E(x)  "[invalid bearer token, " x "]"
#define AT(s) ((s)*NS)

static const struct vrow vrows[] = {
	{ "pod-bound ok", TOK_POD, M_NONE, 0, NULL, NULL },
	{ "unbound ok", TOK_UNBOUND, M_NONE, 0, NULL, NULL },
	{ "secret-bound ok", TOK_SECRET, M_NONE, 0, NULL, NULL },
	{ "node-bound ok", TOK_NODE, M_NONE, 0, NULL, NULL },
	{ "legacy ok", TOK_LEGACY, M_NONE, 0, NULL, NULL },
	{ "no kid: every key is tried", TOK_NO_KID, M_NONE, 0, NULL, NULL },
	{ "verify-only EC key", TOK_EC, M_NONE, 0, NULL, NULL },
	{ "review audience = API audience", TOK_POD, M_NONE, 0, ISS, NULL },
	{ "token's own audience requested", TOK_AUD_EXAMPLE, M_NONE, 0,
	  "https://example.com", NULL },
	{ "exp + 60 s still valid", TOK_POD, M_NONE, AT(T0 + 3660), NULL,
	  NULL },
	{ "exp + 60 s + 1 ns expired", TOK_POD, M_NONE, AT(T0 + 3660) + 1, NULL,
	  E("service account token has expired") },
	{ "expired (now > exp + 60 s)", TOK_POD, M_NONE, AT(T0 + 3690), NULL,
	  E("service account token has expired") },
	{ "nbf more than 60 s ahead", TOK_NBF_FUTURE, M_NONE, AT(T0), NULL,
	  E("service account token is not valid yet") },
	{ "nbf 60 s ahead is fine", TOK_NBF_FUTURE, M_NONE, AT(T0 + 940), NULL,
	  NULL },
	{ "iat more than 60 s ahead", TOK_IAT_FUTURE, M_NONE, AT(T0), NULL,
	  E("service account token is issued in the future") },
	{ "wrong audience", TOK_AUD_EXAMPLE, M_NONE, 0, NULL,
	  E("token audiences [\"https://example.com\"] is invalid for the "
	    "target audiences [\"" ISS "\"]") },
	{ "review asks for another audience", TOK_POD, M_NONE, 0,
	  "https://vault",
	  E("token audiences [\"" ISS "\"] is invalid for "
	    "the target audiences [\"https://vault\"]") },
	{ "audience checked before expiry", TOK_AUD_EXAMPLE, M_NONE,
	  AT(T0 + 9999), NULL,
	  E("token audiences [\"https://example.com\"] is invalid for the "
	    "target audiences [\"" ISS "\"]") },
	{ "unknown kid", TOK_OTHER_KEY, M_NONE, 0, NULL,
	  E("invalid signature, no keys found") },
	{ "known kid, another key's signature", TOK_WRONG_KEY, M_NONE, 0, NULL,
	  E("square/go-jose: error in cryptographic primitive") },
	{ "no kid, foreign key", TOK_NO_KID_OTHER, M_NONE, 0, NULL,
	  E("square/go-jose: error in cryptographic primitive") },
	{ "tampered payload", TOK_TAMPERED, M_NONE, 0, NULL,
	  E("square/go-jose: error in cryptographic primitive") },
	{ "issuer re-checked after verify", TOK_ISS_CASE, M_NONE, 0, NULL,
	  E("token issuer \"\" is invalid") },
	{ "exp of the wrong type", TOK_EXP_STRING, M_NONE, 0, NULL,
	  E("square/go-jose/jwt: expected number value to unmarshal "
	    "NumericDate") },
	{ "aud of the wrong type", TOK_AUD_NUMBER, M_NONE, 0, NULL,
	  E("square/go-jose/jwt: expected string or array value to "
	    "unmarshal to Audience") },
	{ "namespace of the wrong type", TOK_NS_NUMBER, M_NONE, 0, NULL,
	  E("json: cannot unmarshal number into Go value of type string") },
	{ "pod deleted", TOK_POD, M_POD_GONE, 0, NULL,
	  E("service account token has been invalidated") },
	{ "pod recreated", TOK_POD, M_POD_RECREATED, 0, NULL,
	  E("pod UID (new-pod-uid) does not match service account pod ref "
	    "claim (" POD_UID ")") },
	{ "pod deleted 30 s ago: still valid", TOK_POD, M_POD_DELETED_30S, 0,
	  NULL, NULL },
	{ "pod deleted 60 s ago: still valid", TOK_POD, M_POD_DELETED_60S, 0,
	  NULL, NULL },
	{ "pod deleted 61 s ago", TOK_POD, M_POD_DELETED_61S, 0, NULL,
	  E("service account token has been invalidated") },
	{ "pod deleted 60 s + 1 ns ago", TOK_POD, M_POD_DELETED_60S,
	  AT(NOW) + 1, NULL, E("service account token has been invalidated") },
	{ "pod terminating in its grace period", TOK_POD,
	  M_POD_TERMINATING_FUTURE, 0, NULL, NULL },
	{ "pod-bound: node not checked", TOK_POD, M_NODE_GONE, 0, NULL, NULL },
	{ "SA deleted", TOK_POD, M_SA_GONE, 0, NULL,
	  E("serviceaccounts \"app-sa\" not found") },
	{ "SA recreated", TOK_POD, M_SA_RECREATED, 0, NULL,
	  E("service account UID (new-sa-uid) does not match claim (" SA_UID
	    ")") },
	{ "SA terminating for 61 s", TOK_POD, M_SA_TERMINATING_61S, 0, NULL,
	  E("service account default/app-sa has been deleted") },
	{ "SA terminating for 10 s", TOK_POD, M_SA_TERMINATING_10S, 0, NULL,
	  NULL },
	{ "SA checked before the pod", TOK_POD, M_SA_GONE, 0, NULL,
	  E("serviceaccounts \"app-sa\" not found") },
	{ "secret-bound: secret deleted", TOK_SECRET, M_SECRET_GONE, 0, NULL,
	  E("service account token has been invalidated") },
	{ "secret-bound: secret recreated", TOK_SECRET, M_SECRET_RECREATED, 0,
	  NULL,
	  E("secret UID (new-secret-uid) does not match service account "
	    "secret ref claim (" SEC_UID ")") },
	{ "secret-bound: secret deleted 61 s ago", TOK_SECRET,
	  M_SECRET_DELETED_61S, 0, NULL,
	  E("service account token has been invalidated") },
	{ "node-bound: node deleted", TOK_NODE, M_NODE_GONE, 0, NULL,
	  E("service account token has been invalidated") },
	{ "node-bound: uid mismatch", TOK_NODE, M_NODE_RECREATED, 0, NULL,
	  E("node UID (new-node-uid) does not match service account node ref "
	    "claim (" NODE_UID ")") },
	{ "node-bound: node deleted 61 s ago", TOK_NODE, M_NODE_DELETED_61S, 0,
	  NULL, E("service account token has been invalidated") },
	{ "legacy: no time checks", TOK_LEGACY, M_NONE, AT(T0 + 99999999), NULL,
	  NULL },
	{ "legacy: secret deleted", TOK_LEGACY, M_LEGACY_SECRET_GONE, 0, NULL,
	  E("Token has been invalidated") },
	{ "legacy: secret terminating", TOK_LEGACY, M_LEGACY_SECRET_TERMINATING,
	  0, NULL, E("Token has been invalidated") },
	{ "legacy: token mismatch", TOK_LEGACY, M_LEGACY_TOKEN_CHANGED, 0, NULL,
	  E("Token does not match server's copy") },
	{ "legacy: SA recreated", TOK_LEGACY, M_SA_RECREATED, 0, NULL,
	  E("ServiceAccount UID (new-sa-uid) does not match claim (" SA_UID
	    ")") },
	{ "legacy: SA terminating", TOK_LEGACY, M_SA_TERMINATING_10S, 0, NULL,
	  E("ServiceAccount default/app-sa has been deleted") },
	{ "legacy: SA deleted", TOK_LEGACY, M_SA_GONE, 0, NULL,
	  E("serviceaccounts \"app-sa\" not found") },
	{ "legacy: invalid-since label", TOK_LEGACY, M_LEGACY_INVALID_SINCE, 0,
	  NULL,
	  E("the token in secret default/app-sa-token for service account "
	    "default/app-sa has been marked invalid. Use tokens from the "
	    "TokenRequest API or manually created secret-based tokens, or "
	    "remove the 'kubernetes.io/legacy-token-invalid-since' label "
	    "from the secret to temporarily allow use of this token") },
	{ "legacy: sub names another SA", TOK_LEGACY_SUB, M_NONE, 0, NULL,
	  E("sub claim is invalid") },
	{ "legacy: uid claim missing", TOK_LEGACY_NOUID, M_NONE, 0, NULL,
	  E("serviceAccountUID claim is missing") },
	{ "legacy: audience still checked", TOK_LEGACY, M_NONE, 0,
	  "https://vault",
	  E("token audiences [\"" ISS "\"] is invalid for "
	    "the target audiences [\"https://vault\"]") },
	{ "garbage", TOK_GARBAGE, M_NONE, 0, NULL, "invalid bearer token" },
	{ "JSON serialization", TOK_JSON, M_NONE, 0, NULL,
	  "invalid bearer token" },
	{ "four parts", TOK_FOUR_PARTS, M_NONE, 0, NULL,
	  "invalid bearer token" },
	{ "issuer nobody accepts", TOK_FOREIGN_ISS, M_NONE, 0, NULL,
	  "invalid bearer token" },
};

static void
test_validate_table(void **state)
{
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(vrows) / sizeof(vrows[0]); i++) {
		const struct vrow *row = &vrows[i];
		struct mapi_tokens_result r;
		char *tok;
		char *err = NULL;
		size_t j;

		print_message("# %s\n", row->name);
		for (j = 0; j < MAX_OBJS; j++) {
			free(f->objs[j].data_token);
		}
		memset(f->objs, 0, sizeof(f->objs));
		seed_objects(f);
		tok = make_token(f, row->tok);
		mutate(f, row->mut);
		validate(f, tok, row->aud, row->now_ns ? row->now_ns : AT(NOW),
		         &r);
		if (row->want == NULL) {
			if (r.verdict != MAPI_TOKENS_AUTHENTICATED) {
				fail_msg("%s: %s", row->name,
				         r.reason ? r.reason : "not ours");
			}
			assert_string_equal(r.identity.username,
			                    "system:serviceaccount:default:"
			                    "app-sa");
			assert_string_equal(r.identity.uid, SA_UID);
			assert_int_equal(r.legacy, row->tok == TOK_LEGACY);
		} else {
			assert_int_not_equal(r.verdict,
			                     MAPI_TOKENS_AUTHENTICATED);
			assert_int_equal(mapi_tokens_review_error(&r, &err),
			                 MAPI_OK);
			assert_string_equal(err, row->want);
			assert_null(r.identity.username);
			assert_null(r.audiences);
		}
		free(err);
		free(tok);
		mapi_tokens_result_clear(&r);
	}
}

static void
test_validate_identity_shapes(void **state)
{
	struct fx *f = *state;
	struct mapi_tokens_result r;
	char *tok;

	/* secret-bound: no secret keys in extra, just the credential id */
	tok = make_token(f, TOK_SECRET);
	validate(f, tok, NULL, AT(NOW), &r);
	assert_int_equal(r.verdict, MAPI_TOKENS_AUTHENTICATED);
	assert_int_equal(r.identity.n_extra, 1);
	assert_string_equal(r.identity.extra[0].key,
	                    "authentication.kubernetes.io/credential-id");
	mapi_tokens_result_clear(&r);
	free(tok);

	/* node-bound: node-name and node-uid */
	tok = make_token(f, TOK_NODE);
	validate(f, tok, NULL, AT(NOW), &r);
	assert_int_equal(r.identity.n_extra, 3);
	assert_string_equal(extra(&r, "authentication.kubernetes.io/node-uid"),
	                    NODE_UID);
	assert_null(extra(&r, "authentication.kubernetes.io/pod-name"));
	mapi_tokens_result_clear(&r);
	free(tok);

	/* legacy: no extra at all, no jti, no exp */
	tok = make_token(f, TOK_LEGACY);
	validate(f, tok, NULL, AT(NOW), &r);
	assert_int_equal(r.verdict, MAPI_TOKENS_AUTHENTICATED);
	assert_int_equal(r.identity.n_extra, 0);
	assert_null(r.jti);
	assert_int_equal(r.exp, 0);
	assert_true(r.legacy);
	assert_string_equal(r.secret_name, "app-sa-token");
	assert_int_equal(r.n_audiences, 1);
	assert_string_equal(r.audiences[0], ISS);
	mapi_tokens_result_clear(&r);
	free(tok);
}

static void
test_validate_lookup_errors_pass_through(void **state)
{
	struct fx *f = *state;
	struct mapi_tokens_result r = { 0 };
	char *tok = make_token(f, TOK_POD);

	f->fail_with = MAPI_EUNAVAILABLE;
	assert_int_equal(mapi_tokens_validate(f->t, tok, strlen(tok), NULL, 0,
	                                      AT(NOW), &r),
	                 MAPI_EUNAVAILABLE);
	assert_int_equal(r.verdict, MAPI_TOKENS_NOT_OURS);
	assert_null(r.reason);
	f->fail_with = MAPI_OK;
	free(tok);
}

static void
test_validate_not_ours_does_no_lookups(void **state)
{
	struct fx *f = *state;
	struct mapi_tokens_result r;
	char *tok = make_token(f, TOK_OTHER_KEY);

	f->lookups = 0;
	validate(f, "a.b.c", NULL, AT(NOW), &r);
	assert_int_equal(r.verdict, MAPI_TOKENS_NOT_OURS);
	mapi_tokens_result_clear(&r);
	validate(f, tok, NULL, AT(NOW), &r);
	assert_int_equal(r.verdict, MAPI_TOKENS_REJECTED);
	assert_int_equal(f->lookups, 0);
	mapi_tokens_result_clear(&r);
	free(tok);
}

/* Tokens made by the openssl CLI (fixtures/tokens, clock 1700001000). */
static void
test_validate_golden_tokens(void **state)
{
	static const struct {
		const char *file;
		const char *want;
	} rows[] = {
		{ "rs256-good.jwt", NULL },
		{ "es256-good.jwt", NULL },
		{ "alg-none.jwt",
		  E("square/go-jose: error in cryptographic primitive") },
		{ "hs256-pubkey.jwt",
		  E("square/go-jose: error in cryptographic primitive") },
		{ "crit-header.jwt",
		  E("square/go-jose: error in cryptographic primitive") },
		{ "tampered-payload.jwt",
		  E("square/go-jose: error in cryptographic primitive") },
		{ "truncated-sig.jwt",
		  E("square/go-jose: error in cryptographic primitive") },
		{ "es256-der-sig.jwt",
		  E("square/go-jose: error in cryptographic primitive") },
		{ "other-key.jwt",
		  E("square/go-jose: error in cryptographic primitive") },
		{ "unknown-kid.jwt", E("invalid signature, no keys found") },
		{ "expired.jwt", E("service account token has expired") },
		{ "not-yet-valid.jwt",
		  E("service account token is not valid yet") },
		{ "bad-base64.jwt", "invalid bearer token" },
		{ "two-parts.jwt", "invalid bearer token" },
		{ "four-parts.jwt", "invalid bearer token" },
	};
	struct fx *f = *state;
	struct fobj *pod;
	size_t i;

	memset(f->objs, 0, sizeof(f->objs));
	put(f, "serviceaccounts", "default", "app-sa", SA_UID);
	pod = put(f, "pods", "default", "app-7d9f8", POD_UID);
	pod->sa = "app-sa";
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char rel[128];
		char *path;
		char *tok;
		size_t len = 0;
		struct mapi_tokens_result r;
		char *err = NULL;

		print_message("# %s\n", rows[i].file);
		(void)snprintf(rel, sizeof(rel), "tokens/%s", rows[i].file);
		path = th_fixture_path(rel);
		tok = th_read_file(path, &len);
		assert_int_equal(mapi_tokens_validate(f->t, tok, len, NULL, 0,
		                                      AT(INT64_C(1700001000)),
		                                      &r),
		                 MAPI_OK);
		if (rows[i].want == NULL) {
			assert_int_equal(r.verdict, MAPI_TOKENS_AUTHENTICATED);
			assert_string_equal(r.jti, "6a1bd4c4-4a50-4d33-9bb2-"
			                           "3d3d1c6b7f10");
		} else {
			assert_int_equal(mapi_tokens_review_error(&r, &err),
			                 MAPI_OK);
			assert_string_equal(err, rows[i].want);
		}
		free(err);
		mapi_tokens_result_clear(&r);
		free(tok);
		free(path);
	}
}

static void
test_validate_bad_arguments(void **state)
{
	struct fx *f = *state;
	struct mapi_tokens_result r = { 0 };
	const char *auds[] = { NULL };

	assert_int_equal(mapi_tokens_validate(f->t, NULL, 3, NULL, 0, 0, &r),
	                 MAPI_EINVAL);
	assert_int_equal(mapi_tokens_validate(f->t, "x", 1, auds, 1, 0, &r),
	                 MAPI_EINVAL);
	assert_int_equal(mapi_tokens_validate(NULL, "x", 1, NULL, 0, 0, &r),
	                 MAPI_EINVAL);
}

/* ------------------------------------------------------------ bind */

struct bind_row {
	const char *name;
	const char *api_version, *kind, *obj, *uid;
	enum mapi_err err;
	const char *msg;
	enum mapi_tokens_bound bound;
	const char *want_uid, *node_name, *node_uid;
};

static const struct bind_row bind_rows[] = {
	{ "pod on a node", "v1", "Pod", "app-7d9f8", "", MAPI_OK, NULL,
	  MAPI_TOKENS_BOUND_POD, POD_UID, "node-1", NODE_UID },
	{ "pod with matching uid", "v1", "Pod", "app-7d9f8", POD_UID, MAPI_OK,
	  NULL, MAPI_TOKENS_BOUND_POD, POD_UID, "node-1", NODE_UID },
	{ "pod on a missing node", "v1", "Pod", "lost", NULL, MAPI_OK, NULL,
	  MAPI_TOKENS_BOUND_POD, "lost-uid", "gone-node", NULL },
	{ "unscheduled pod", "v1", "Pod", "pending", NULL, MAPI_OK, NULL,
	  MAPI_TOKENS_BOUND_POD, "pending-uid", NULL, NULL },
	{ "secret", "v1", "Secret", "bound-secret", NULL, MAPI_OK, NULL,
	  MAPI_TOKENS_BOUND_SECRET, SEC_UID, NULL, NULL },
	{ "node", "v1", "Node", "node-1", NULL, MAPI_OK, NULL,
	  MAPI_TOKENS_BOUND_NODE, NODE_UID, NULL, NULL },
	{ "version is ignored", "v2", "Pod", "app-7d9f8", NULL, MAPI_OK, NULL,
	  MAPI_TOKENS_BOUND_POD, POD_UID, "node-1", NODE_UID },
	{ "pod missing", "v1", "Pod", "p1", NULL, MAPI_ENOTFOUND,
	  "pods \"p1\" not found", 0, NULL, NULL, NULL },
	{ "secret missing", "v1", "Secret", "s", NULL, MAPI_ENOTFOUND,
	  "secrets \"s\" not found", 0, NULL, NULL, NULL },
	{ "node missing", "v1", "Node", "n", NULL, MAPI_ENOTFOUND,
	  "nodes \"n\" not found", 0, NULL, NULL, NULL },
	{ "pod of another SA", "v1", "Pod", "foreign", NULL, MAPI_EINVAL,
	  "cannot bind token for serviceaccount \"app-sa\" to pod running "
	  "with different serviceaccount name.",
	  0, NULL, NULL, NULL },
	{ "ConfigMap", "v1", "ConfigMap", "cm", NULL, MAPI_EINVAL,
	  "cannot bind token to object of type /v1, Kind=ConfigMap", 0, NULL,
	  NULL, NULL },
	{ "Deployment", "apps/v1", "Deployment", "d", NULL, MAPI_EINVAL,
	  "cannot bind token to object of type apps/v1, Kind=Deployment", 0,
	  NULL, NULL, NULL },
	{ "Pod in a group", "apps/v1", "Pod", "app-7d9f8", NULL, MAPI_EINVAL,
	  "cannot bind token to object of type apps/v1, Kind=Pod", 0, NULL,
	  NULL, NULL },
	{ "uid mismatch", "v1", "Pod", "app-7d9f8", "old-uid", MAPI_ECONFLICT,
	  "Operation cannot be fulfilled on Pod \"app-7d9f8\": the UID in the "
	  "bound object reference (old-uid) does not match the UID in "
	  "record. The object might have been deleted and then recreated",
	  0, NULL, NULL, NULL },
};

static void
test_bind_table(void **state)
{
	struct fx *f = *state;
	struct fobj *o;
	size_t i;

	o = put(f, "pods", "default", "lost", "lost-uid");
	o->sa = "app-sa";
	o->node = "gone-node";
	o = put(f, "pods", "default", "pending", "pending-uid");
	o->sa = "app-sa";
	o->node = "";
	o = put(f, "pods", "default", "foreign", "foreign-uid");
	o->sa = "other-sa";
	for (i = 0; i < sizeof(bind_rows) / sizeof(bind_rows[0]); i++) {
		const struct bind_row *row = &bind_rows[i];
		struct mapi_tokens_bound_ref ref = { row->api_version,
			                             row->kind, row->obj,
			                             row->uid };
		struct mapi_tokens_binding b = { 0 };
		struct mapi_diag diag = { 0 };

		print_message("# %s\n", row->name);
		assert_int_equal(mapi_tokens_bind(f->t, "default", "app-sa",
		                                  &ref, &b, &diag),
		                 row->err);
		if (row->err != MAPI_OK) {
			assert_string_equal(diag.msg, row->msg);
			assert_null(b.uid);
			if (row->err == MAPI_ECONFLICT) {
				assert_string_equal(diag.field, "Pod");
			}
			continue;
		}
		assert_int_equal(b.bound, row->bound);
		assert_string_equal(b.uid, row->want_uid);
		if (row->node_name == NULL) {
			assert_null(b.node_name);
		} else {
			assert_string_equal(b.node_name, row->node_name);
		}
		if (row->node_uid == NULL) {
			assert_null(b.node_uid);
		} else {
			assert_string_equal(b.node_uid, row->node_uid);
		}
		mapi_tokens_binding_clear(&b);
	}
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lifetime_table, setup,
		                                teardown),
		cmocka_unit_test(test_config_rejects_bad_values),
		cmocka_unit_test_setup_teardown(test_config_defaults, setup,
		                                teardown),
		cmocka_unit_test(test_claims_layout_pod_with_node),
		cmocka_unit_test(test_claims_table),
		cmocka_unit_test(test_claims_rejects_bad_input),
		cmocka_unit_test(test_legacy_claims_layout),
		cmocka_unit_test(test_go_quote_table),
		cmocka_unit_test(test_go_quote_list),
		cmocka_unit_test(test_uuid4_seeded),
		cmocka_unit_test(test_review_error_format),
		cmocka_unit_test_setup_teardown(test_issue_pod_bound_extended,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_issue_rejects_and_clamps,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_issue_needs_active_key,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_jti_and_token_reproducible_with_seed, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_round_trip_pod_bound,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_round_trip_extended_goes_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validate_table, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_validate_identity_shapes,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_validate_lookup_errors_pass_through, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_validate_not_ours_does_no_lookups, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_validate_golden_tokens,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_validate_bad_arguments,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_table, setup,
		                                teardown),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("tokens", tests, NULL, NULL);
}
