/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "sim/clock.h"
#include "sim/events.h"
#include "sim/kubelet.h"
#include "th.h"

/* 2025-06-01T10:00:00Z */
#define T0_S INT64_C(1748772000)
#define T0   (T0_S * MAPI_NS_PER_SEC)
#define S(x) ((int64_t)(x)*MAPI_NS_PER_SEC)

static const char ca_pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n"
			     "-----END CERTIFICATE-----\n";

struct fixture {
	char *tmp;
	char dir[4096];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		return -1;
	}
	f->tmp = th_mkdtemp();
	(void)snprintf(f->dir, sizeof(f->dir), "%s/a/serviceaccount", f->tmp);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	th_rmtree(f->tmp);
	free(f->tmp);
	free(f);
	return 0;
}

static void
write_token(const char *dir, const char *token, int64_t now, uint64_t rand,
            bool *written)
{
	struct mapi_volume_files files = {
		.token = token,
		.token_len = strlen(token),
		.ca_crt = ca_pem,
		.ca_len = strlen(ca_pem),
		.ns = "default",
	};
	struct mapi_diag diag = { .msg = "" };

	if (mapi_kubelet_write_volume(dir, &files, now, rand, written, &diag) !=
	    MAPI_OK) {
		fail_msg("write_volume: %s", diag.msg);
	}
}

static char *
link_of(const char *dir, const char *name)
{
	static char buf[256];
	char path[4200];
	ssize_t n;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	n = readlink(path, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	return buf;
}

static char *
read_in(const char *dir, const char *name)
{
	char path[4200];

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	return th_read_file(path, NULL);
}

/* Number of timestamped directories ("..2…") in dir. */
static int
count_tsdirs(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "..2", 3) == 0) {
			n++;
		}
	}
	(void)closedir(d);
	return n;
}

static mode_t
mode_of(const char *dir, const char *name)
{
	char path[4200];
	struct stat st;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void
test_kubelet_tsdir_name_is_utc_from_mock_time(void **state)
{
	char buf[64];

	(void)state;
	assert_true(mapi_kubelet_tsdir_name(T0 + 999999999, 123456789, buf,
	                                    sizeof(buf)));
	assert_string_equal(buf, "..2025_06_01_10_00_00.123456789");
	/* Go's MkdirTemp suffix is a uint32 in decimal. */
	assert_true(mapi_kubelet_tsdir_name(T0, UINT64_C(0x100000007), buf,
	                                    sizeof(buf)));
	assert_string_equal(buf, "..2025_06_01_10_00_00.7");
	assert_false(mapi_kubelet_tsdir_name(T0, 1, buf, 10));
}

static void
test_kubelet_write_makes_the_atomic_writer_layout(void **state)
{
	struct fixture *f = *state;
	bool written = false;
	char *s, *data;

	write_token(f->dir, "header.payload.sig", T0, 4242, &written);
	assert_true(written);
	data = strdup(link_of(f->dir, "..data"));
	assert_string_equal(data, "..2025_06_01_10_00_00.4242");
	assert_string_equal(link_of(f->dir, "token"), "..data/token");
	assert_string_equal(link_of(f->dir, "ca.crt"), "..data/ca.crt");
	assert_string_equal(link_of(f->dir, "namespace"), "..data/namespace");
	s = read_in(f->dir, "token");
	assert_string_equal(s, "header.payload.sig"); /* no trailing newline */
	free(s);
	s = read_in(f->dir, "ca.crt");
	assert_string_equal(s, ca_pem);
	free(s);
	s = read_in(f->dir, "namespace");
	assert_string_equal(s, "default");
	free(s);
	assert_int_equal(mode_of(f->dir, data), 0755);
	assert_int_equal(mode_of(f->dir, "..2025_06_01_10_00_00.4242/token"),
	                 0644);
	assert_int_equal(mode_of(f->dir, "..2025_06_01_10_00_00.4242/ca.crt"),
	                 0644);
	assert_int_equal(count_tsdirs(f->dir), 1);
	/* No ..data_tmp left behind. */
	assert_int_equal(access(f->dir, F_OK), 0);
	{
		char p[4200];

		(void)snprintf(p, sizeof(p), "%s/..data_tmp", f->dir);
		assert_int_equal(access(p, F_OK), -1);
	}
	free(data);
}

static void
test_kubelet_token_mode_option(void **state)
{
	struct fixture *f = *state;
	struct mapi_volume_files files = {
		.token = "t",
		.token_len = 1,
		.ns = "ns",
		.token_mode = 0600,
	};

	assert_int_equal(
		mapi_kubelet_write_volume(f->dir, &files, T0, 1, NULL, NULL),
		MAPI_OK);
	assert_int_equal(mode_of(f->dir, "..2025_06_01_10_00_00.1/token"),
	                 0600);
	assert_int_equal(mode_of(f->dir, "..2025_06_01_10_00_00.1/namespace"),
	                 0644);
}

static void
test_kubelet_unchanged_content_writes_nothing(void **state)
{
	struct fixture *f = *state;
	bool written = true;
	char before[256];
	char p[4200];

	write_token(f->dir, "tok-A", T0, 1, &written);
	(void)snprintf(before, sizeof(before), "%s", link_of(f->dir, "..data"));
	write_token(f->dir, "tok-A", T0 + S(60), 2, &written);
	assert_false(written);
	assert_string_equal(link_of(f->dir, "..data"), before);
	assert_int_equal(count_tsdirs(f->dir), 1);
	/* A missing user-visible link is still recreated (upstream #121472). */
	(void)snprintf(p, sizeof(p), "%s/token", f->dir);
	assert_int_equal(unlink(p), 0);
	write_token(f->dir, "tok-A", T0 + S(120), 3, &written);
	assert_false(written);
	assert_string_equal(link_of(f->dir, "token"), "..data/token");
}

static void
test_kubelet_second_write_swaps_data_and_removes_old_dir(void **state)
{
	struct fixture *f = *state;
	bool written = false;
	char p[4200];
	char *s;

	write_token(f->dir, "tok-A", T0, 1, &written);
	write_token(f->dir, "tok-B", T0 + S(3600), 2, &written);
	assert_true(written);
	assert_string_equal(link_of(f->dir, "..data"),
	                    "..2025_06_01_11_00_00.2");
	(void)snprintf(p, sizeof(p), "%s/..2025_06_01_10_00_00.1", f->dir);
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(count_tsdirs(f->dir), 1);
	s = read_in(f->dir, "token");
	assert_string_equal(s, "tok-B");
	free(s);
	/* Same second and same rand: the suffix moves on, no clash. */
	write_token(f->dir, "tok-C", T0 + S(3600), 2, &written);
	assert_true(written);
	assert_string_not_equal(link_of(f->dir, "..data"),
	                        "..2025_06_01_11_00_00.2");
	assert_int_equal(count_tsdirs(f->dir), 1);
}

static void
test_kubelet_write_rejects_bad_arguments(void **state)
{
	struct fixture *f = *state;
	struct mapi_volume_files files = { .token = "", .ns = "x" };
	struct mapi_diag diag = { .msg = "" };

	assert_int_equal(
		mapi_kubelet_write_volume(f->dir, &files, T0, 1, NULL, &diag),
		MAPI_EINVAL);
	assert_int_equal(
		mapi_kubelet_write_volume(NULL, &files, T0, 1, NULL, &diag),
		MAPI_EINVAL);
	files.token = "t";
	files.token_len = 1;
	assert_int_equal(mapi_kubelet_write_volume("/proc/nope/x", &files, T0,
	                                           1, NULL, &diag),
	                 MAPI_EIO);
	assert_non_null(strstr(diag.msg, "kubelet volume: cannot create"));
}

#define TOKEN_LEN 2048
#define REWRITES  200

static void
make_token(int i, char *buf)
{
	int n = snprintf(buf, TOKEN_LEN + 1, "T%05d-", i);

	memset(buf + n, 'a' + i % 26, (size_t)(TOKEN_LEN - n));
	buf[TOKEN_LEN] = '\0';
}

struct reader {
	const char *path;
	atomic_int stop;
	long ok;
	long missing;
	long bad;
};

static void *
reader_thread(void *p)
{
	struct reader *r = p;
	char buf[TOKEN_LEN * 2];
	char want[TOKEN_LEN + 1];
	long iter;

	/* Bounded: stops on the flag or after many reads. */
	for (iter = 0; iter < 5000000 && !atomic_load(&r->stop); iter++) {
		size_t got = 0;
		ssize_t n;
		int fd = open(r->path, O_RDONLY);
		int idx;

		if (fd < 0) {
			r->missing++;
			continue;
		}
		while ((n = read(fd, buf + got, sizeof(buf) - got)) > 0) {
			got += (size_t)n;
		}
		(void)close(fd);
		buf[got < sizeof(buf) ? got : sizeof(buf) - 1] = '\0';
		if (got != TOKEN_LEN || sscanf(buf, "T%05d-", &idx) != 1) {
			r->bad++;
			continue;
		}
		make_token(idx, want);
		if (memcmp(buf, want, TOKEN_LEN) != 0) {
			r->bad++;
			continue;
		}
		r->ok++;
	}
	return NULL;
}

static void
test_kubelet_reader_never_sees_a_partial_token(void **state)
{
	struct fixture *f = *state;
	char token[TOKEN_LEN + 1];
	char path[4200];
	struct reader r = { .path = path };
	pthread_t t;
	bool written;
	int i;

	make_token(0, token);
	write_token(f->dir, token, T0, 0, &written);
	(void)snprintf(path, sizeof(path), "%s/token", f->dir);
	atomic_init(&r.stop, 0);
	assert_int_equal(pthread_create(&t, NULL, reader_thread, &r), 0);
	for (i = 1; i <= REWRITES; i++) {
		make_token(i, token);
		write_token(f->dir, token, T0 + S(i), (uint64_t)i, &written);
		assert_true(written);
	}
	atomic_store(&r.stop, 1);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(r.bad, 0);
	assert_true(r.ok > 0);
	assert_int_equal(count_tsdirs(f->dir), 1);
}

struct refresh_case {
	const char *name;
	int64_t expiration_seconds;
	int64_t jitter_s;
	int64_t after_iat_s; /* refresh from iat + this + 1 ns */
};

static const struct refresh_case refresh_cases[] = {
	/* 3607 * 20 / 100 = 721 (Go integer math): iat + 2886, not 2885.6 */
	{ "3607s", 3607, 0, 2886 },
	{ "3607s jitter 7", 3607, 7, 2879 },
	{ "3601s", 3601, 0, 2881 },
	{ "10m", 600, 0, 480 },
	{ "10m jitter 9", 600, 9, 471 },
	{ "1h", 3600, 0, 2880 },
	{ "48h: 24h cap", 172800, 0, 86400 },
	{ "48h jitter 10", 172800, 10, 86390 },
	{ "30h: 24h cap", 108000, 0, 86400 },
	{ "1y", 31536000, 0, 86400 },
};

static void
test_kubelet_refresh_rule_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refresh_cases) / sizeof(refresh_cases[0]); i++) {
		const struct refresh_case *c = &refresh_cases[i];
		int64_t iat = T0_S;
		int64_t exp = iat + c->expiration_seconds;
		int64_t at = S(iat + c->after_iat_s) + 1;

		if (mapi_kubelet_refresh_at(exp, c->expiration_seconds,
		                            c->jitter_s) != at) {
			fail_msg("%s: refresh_at off by %lld ns", c->name,
			         (long long)(mapi_kubelet_refresh_at(
						     exp, c->expiration_seconds,
						     c->jitter_s) -
			                     at));
		}
		/* Strict "after", as Go's time.After. */
		assert_false(mapi_kubelet_needs_refresh(
			S(iat + c->after_iat_s), exp, c->expiration_seconds,
			c->jitter_s));
		assert_true(mapi_kubelet_needs_refresh(
			at, exp, c->expiration_seconds, c->jitter_s));
		assert_false(mapi_kubelet_needs_refresh(
			S(iat), exp, c->expiration_seconds, c->jitter_s));
	}
	/* No overflow at the edges. */
	assert_int_equal(mapi_kubelet_refresh_at(INT64_MAX, 3600, 0),
	                 INT64_MAX - S(720) + 1);
	assert_int_equal(mapi_kubelet_refresh_at(INT64_MIN, 3600, 0),
	                 INT64_MIN + 1);
}

struct issuer {
	int calls;
	int64_t last_now;
	enum mapi_err fail;
};

static enum mapi_err
issue_cb(const struct mapi_kubelet_volume_spec *spec, int64_t now_ns,
         struct mapi_kubelet_issued *out, void *payload)
{
	struct issuer *is = payload;
	char buf[64];

	is->calls++;
	is->last_now = now_ns;
	if (is->fail != MAPI_OK) {
		return is->fail;
	}
	(void)snprintf(buf, sizeof(buf), "eyJtoken%d.%s", is->calls,
	               spec->service_account);
	out->token = strdup(buf);
	assert_non_null(out->token);
	out->token_len = strlen(buf);
	out->expiration_seconds = spec->expiration_seconds;
	out->expiration_timestamp =
		now_ns / MAPI_NS_PER_SEC + spec->expiration_seconds;
	(void)snprintf(out->jti, sizeof(out->jti), "jti-%d", is->calls);
	return MAPI_OK;
}

static int64_t
fake_source(void *payload)
{
	return *(int64_t *)payload;
}

static void
test_kubelet_tick_issues_exactly_when_due(void **state)
{
	struct fixture *f = *state;
	struct issuer is = { .calls = 0 };
	struct mapi_kubelet_config cfg = { .seed = 9 };
	struct mapi_kubelet_volume_spec spec = {
		.dir = f->dir,
		.ns = "default",
		.pod = "p1",
		.service_account = "app",
		.ca_crt = ca_pem,
		.ca_len = sizeof(ca_pem) - 1,
	};
	struct mapi_kubelet_volume_info info;
	struct mapi_kubelet *k = NULL;
	struct mapi_events *ev = NULL;
	struct mapi_clock *clock = NULL;
	int64_t real = T0, due;
	uint64_t id = 0;
	size_t n = 99;
	cJSON *out = NULL, *items;
	char *s;

	assert_int_equal(mapi_clock_new_with_source(fake_source, &real, &clock),
	                 MAPI_OK);
	assert_int_equal(mapi_events_new(16, 16, clock, &ev), MAPI_OK);
	cfg.events = ev;
	assert_int_equal(mapi_kubelet_new(&cfg, issue_cb, &is, &k), MAPI_OK);
	assert_int_equal(mapi_kubelet_next_due(k), INT64_MAX);
	assert_int_equal(mapi_kubelet_add_volume(k, &spec, &id), MAPI_OK);
	assert_int_equal(mapi_kubelet_add_volume(k, &spec, NULL), MAPI_EEXIST);
	assert_int_equal(mapi_kubelet_next_due(k), INT64_MIN);

	assert_int_equal(mapi_kubelet_tick(k, T0, &n), MAPI_OK);
	assert_int_equal(n, 1);
	assert_int_equal(is.calls, 1);
	s = read_in(f->dir, "token");
	assert_string_equal(s, "eyJtoken1.app");
	free(s);
	assert_int_equal(mapi_kubelet_volume_info(k, id, &info), MAPI_OK);
	assert_int_equal(info.expiration_seconds, 3607); /* the default */
	assert_int_equal(info.iat, T0_S);
	due = mapi_kubelet_next_due(k);
	assert_int_equal(due, S(T0_S + 2886) + 1);

	assert_int_equal(mapi_kubelet_tick(k, due - 1, &n), MAPI_OK);
	assert_int_equal(n, 0);
	assert_int_equal(is.calls, 1);
	assert_int_equal(mapi_kubelet_tick(k, due, &n), MAPI_OK);
	assert_int_equal(n, 1);
	assert_int_equal(is.calls, 2);
	assert_int_equal(is.last_now, due);
	s = read_in(f->dir, "token");
	assert_string_equal(s, "eyJtoken2.app");
	free(s);
	/* Named from the mock time of the tick: T0 + 2886 s. */
	assert_int_equal(strncmp(link_of(f->dir, "..data"),
	                         "..2025_06_01_10_48_06.", 22),
	                 0);

	/* A failing TokenRequest keeps the old token and retries in 10 s. */
	is.fail = MAPI_EUNAVAILABLE;
	due = mapi_kubelet_next_due(k);
	assert_int_equal(mapi_kubelet_tick(k, due, &n), MAPI_EUNAVAILABLE);
	assert_int_equal(n, 0);
	assert_int_equal(mapi_kubelet_volume_info(k, id, &info), MAPI_OK);
	assert_int_equal(info.last_err, MAPI_EUNAVAILABLE);
	assert_int_equal(mapi_kubelet_next_due(k), due + S(10));
	s = read_in(f->dir, "token");
	assert_string_equal(s, "eyJtoken2.app");
	free(s);

	/* Events: first write, then a rotation; tokens kept as prefixes. */
	assert_int_equal(mapi_events_since(ev, 0, 0, &out), MAPI_OK);
	items = cJSON_GetObjectItem(out, "events");
	assert_int_equal(cJSON_GetArraySize(items), 2);
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "type")
			->valuestring,
		"volumeWritten");
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetArrayItem(items, 1), "type")
			->valuestring,
		"rotatedByKubelet");
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetArrayItem(items, 1), "tokenPrefix")
			->valuestring,
		"eyJtoken");
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetArrayItem(items, 1), "pod")
			->valuestring,
		"default/p1");
	cJSON_Delete(out);

	assert_int_equal(mapi_kubelet_remove_volume(k, id), MAPI_OK);
	assert_int_equal(mapi_kubelet_remove_volume(k, id), MAPI_ENOTFOUND);
	assert_int_equal(mapi_kubelet_next_due(k), INT64_MAX);
	mapi_kubelet_free(k);
	mapi_events_free(ev);
	mapi_clock_free(clock);
}

static void
test_kubelet_jitter_is_seeded_and_bounded(void **state)
{
	struct fixture *f = *state;
	struct issuer is = { .calls = 0 };
	struct mapi_kubelet_config cfg = { .seed = 5, .max_jitter_s = 10 };
	struct mapi_kubelet_volume_spec spec = {
		.dir = f->dir,
		.ns = "default",
		.service_account = "app",
		.expiration_seconds = 600,
	};
	struct mapi_kubelet_volume_info info;
	struct mapi_kubelet *k = NULL;
	int64_t jitters[2];
	uint64_t id;
	int run;

	for (run = 0; run < 2; run++) {
		th_rmtree(f->dir);
		assert_int_equal(mapi_kubelet_new(&cfg, issue_cb, &is, &k),
		                 MAPI_OK);
		assert_int_equal(mapi_kubelet_add_volume(k, &spec, &id),
		                 MAPI_OK);
		assert_int_equal(mapi_kubelet_tick(k, T0, NULL), MAPI_OK);
		assert_int_equal(mapi_kubelet_volume_info(k, id, &info),
		                 MAPI_OK);
		assert_in_range(info.jitter_s, 0, 9);
		assert_int_equal(info.due_ns,
		                 S(T0_S + 480 - info.jitter_s) + 1);
		jitters[run] = info.jitter_s;
		mapi_kubelet_free(k);
	}
	assert_int_equal(jitters[0], jitters[1]);
}

static void
test_kubelet_manager_rejects_bad_input(void **state)
{
	struct issuer is = { .calls = 0 };
	struct mapi_kubelet_config cfg = { .seed = 1 };
	struct mapi_kubelet_volume_spec spec = { .dir = "/tmp/x", .ns = "n" };
	struct mapi_kubelet *k = NULL;

	(void)state;
	assert_int_equal(mapi_kubelet_new(&cfg, NULL, NULL, &k), MAPI_EINVAL);
	cfg.max_jitter_s = -1;
	assert_int_equal(mapi_kubelet_new(&cfg, issue_cb, &is, &k),
	                 MAPI_EINVAL);
	cfg.max_jitter_s = 0;
	assert_int_equal(mapi_kubelet_new(&cfg, issue_cb, &is, &k), MAPI_OK);
	/* No service account. */
	assert_int_equal(mapi_kubelet_add_volume(k, &spec, NULL), MAPI_EINVAL);
	spec.service_account = "sa";
	spec.expiration_seconds = -5;
	assert_int_equal(mapi_kubelet_add_volume(k, &spec, NULL), MAPI_EINVAL);
	mapi_kubelet_free(k);
	mapi_kubelet_free(NULL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_kubelet_tsdir_name_is_utc_from_mock_time),
	T(test_kubelet_write_makes_the_atomic_writer_layout),
	T(test_kubelet_token_mode_option),
	T(test_kubelet_unchanged_content_writes_nothing),
	T(test_kubelet_second_write_swaps_data_and_removes_old_dir),
	T(test_kubelet_write_rejects_bad_arguments),
	T(test_kubelet_reader_never_sees_a_partial_token),
	T(test_kubelet_refresh_rule_table),
	T(test_kubelet_tick_issues_exactly_when_due),
	T(test_kubelet_jitter_is_seeded_and_bounded),
	T(test_kubelet_manager_rejects_bad_input),
};

TH_MAIN("kubelet", tests)
