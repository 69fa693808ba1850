/* SPDX-License-Identifier: MIT */
/*
 * state/statefile through its header, with a real store and real files in
 * a th_mkdtemp() dir. A "crash" is mapi_statefile_free() without _close():
 * nothing more is written, exactly what kill -9 leaves (every acknowledged
 * change was fdatasync'ed before the store call returned). fdatasync is
 * wrapped (-Wl,--wrap=fdatasync) so a test can make the disk fail.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "server/json.h"
#include "sim/clock.h"
#include "state/statefile.h"
#include "state/store.h"
#include "th.h"

/* ---- fdatasync failure injection ---- */

int __real_fdatasync(int fd); /* NOLINT(readability-identifier-naming) */
int __wrap_fdatasync(int fd); /* NOLINT(readability-identifier-naming) */

static _Atomic int fail_syncs; /* > 0: the next N fdatasync calls fail */

int
__wrap_fdatasync(int fd) /* NOLINT(readability-identifier-naming) */
{
	if (fail_syncs > 0) {
		fail_syncs--;
		return -1;
	}
	return __real_fdatasync(fd);
}

/* ---- fixture ---- */

struct fixture {
	char *dir;
	char path[600];
	struct mapi_clock *clock;
	struct mapi_store *store;
	struct mapi_statefile *sf;
};

static struct mapi_store *
new_store(struct fixture *f)
{
	struct mapi_store_opts so = { .seed = 7, .seeded = true };
	struct mapi_store *s = NULL;

	assert_int_equal(mapi_store_new(f->clock, &so, &s), MAPI_OK);
	return s;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = th_mkdtemp();
	assert_int_equal(mapi_clock_new_system(&f->clock), MAPI_OK);
	f->store = new_store(f);
	fail_syncs = 0;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	mapi_statefile_free(f->sf);
	mapi_store_free(f->store);
	mapi_clock_free(f->clock);
	th_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static const char *
file_in(struct fixture *f, const char *name)
{
	(void)snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, name);
	return f->path;
}

static void
open_attach(struct fixture *f, const struct mapi_statefile_opts *opts)
{
	struct mapi_diag d = { 0 };

	assert_int_equal(mapi_statefile_open(f->dir, opts, &f->sf, &d),
	                 MAPI_OK);
	if (mapi_statefile_attach(f->sf, f->store, &d) != MAPI_OK) {
		fail_msg("attach: %s", d.msg);
	}
}

/* Simulates kill -9 and a restart: a fresh store restored from the dir. */
static void
crash_and_restore(struct fixture *f, bool expect_restored)
{
	struct mapi_diag d = { 0 };
	bool restored = !expect_restored;

	mapi_statefile_free(f->sf);
	f->sf = NULL;
	mapi_store_free(f->store);
	f->store = new_store(f);
	assert_int_equal(mapi_statefile_open(f->dir, NULL, &f->sf, &d),
	                 MAPI_OK);
	if (mapi_statefile_restore(f->sf, f->store, &restored, &d) != MAPI_OK) {
		fail_msg("restore: %s", d.msg);
	}
	assert_int_equal(restored, expect_restored);
}

static cJSON *
configmap(const char *name, const char *value)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *m = cJSON_AddObjectToObject(o, "metadata");
	cJSON *d = cJSON_AddObjectToObject(o, "data");

	assert_non_null(cJSON_AddStringToObject(m, "name", name));
	assert_non_null(cJSON_AddStringToObject(d, "k", value));
	return o;
}

static enum mapi_err
create_cm(struct fixture *f, const char *name, char *uid_out)
{
	struct mapi_store_ref r = { "", "configmaps", "default", NULL };
	cJSON *o = configmap(name, "v1");
	cJSON *created = NULL;
	enum mapi_err err;

	err = mapi_store_create(f->store, &r, o, 0, &created, NULL);
	cJSON_Delete(o);
	if (err == MAPI_OK && uid_out != NULL) {
		(void)snprintf(
			uid_out, 40, "%s",
			mapi_json_get_path_string(created, "metadata.uid"));
	}
	cJSON_Delete(created);
	return err;
}

/* The stored object's field at path, or NULL if absent (caller frees). */
static char *
get_field(struct fixture *f, const char *name, const char *path)
{
	struct mapi_store_ref r = { "", "configmaps", "default", name };
	cJSON *o = NULL;
	char *v = NULL;
	const char *s;

	if (mapi_store_get(f->store, &r, &o, NULL) != MAPI_OK) {
		return NULL;
	}
	s = mapi_json_get_path_string(o, path);
	if (s != NULL) {
		v = strdup(s);
	}
	cJSON_Delete(o);
	return v;
}

static void
assert_field(struct fixture *f, const char *name, const char *path,
             const char *want)
{
	char *v = get_field(f, name, path);

	if (want == NULL) {
		assert_null(v);
	} else {
		assert_non_null(v);
		assert_string_equal(v, want);
	}
	free(v);
}

static void
assert_present(struct fixture *f, const char *name)
{
	char *uid = get_field(f, name, "metadata.uid");

	assert_non_null(uid);
	free(uid);
}

static void
append_file(const char *path, const char *data)
{
	FILE *fp = fopen(path, "a");

	assert_non_null(fp);
	assert_int_equal(fputs(data, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* ---- tests ---- */

static void
test_statefile_empty_dir_restores_nothing(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mapi_statefile_open(f->dir, NULL, &f->sf, NULL),
	                 MAPI_OK);
	crash_and_restore(f, false);
	assert_int_equal(mapi_store_count(f->store), 0);
}

static void
test_statefile_acknowledged_write_is_in_journal_on_return(void **state)
{
	struct fixture *f = *state;
	char uid[40];
	char *j;

	open_attach(f, NULL);
	assert_int_equal(create_cm(f, "a", uid), MAPI_OK);
	/* No flush, no close: the line is in the file once create returns. */
	j = th_read_file(file_in(f, MAPI_STATEFILE_JOURNAL), NULL);
	assert_non_null(strstr(j, "\"op\":\"ADDED\""));
	assert_non_null(strstr(j, uid));
	assert_int_equal(j[strlen(j) - 1], '\n');
	free(j);
}

static void
test_statefile_crash_keeps_creates_updates_and_deletes(void **state)
{
	struct fixture *f = *state;
	struct mapi_store_ref r = { "", "configmaps", "default", "b" };
	char uid_a[40], uid_b[40], *rv_a;
	cJSON *o;
	uint64_t rv_before;

	open_attach(f, NULL);
	assert_int_equal(create_cm(f, "a", uid_a), MAPI_OK);
	assert_int_equal(create_cm(f, "b", uid_b), MAPI_OK);
	assert_int_equal(create_cm(f, "c", NULL), MAPI_OK);
	o = configmap("b", "v2");
	assert_int_equal(mapi_store_update(f->store, &r, o, NULL, NULL),
	                 MAPI_OK);
	cJSON_Delete(o);
	r.name = "c";
	assert_int_equal(mapi_store_delete(f->store, &r, 0, NULL, NULL, NULL),
	                 MAPI_OK);
	rv_a = get_field(f, "a", "metadata.resourceVersion");
	rv_before = mapi_store_resource_version(f->store);

	crash_and_restore(f, true);
	assert_int_equal(mapi_store_count(f->store), 2);
	assert_field(f, "a", "metadata.uid", uid_a);
	assert_field(f, "a", "metadata.resourceVersion", rv_a);
	assert_field(f, "a", "data.k", "v1");
	assert_field(f, "b", "metadata.uid", uid_b);
	assert_field(f, "b", "data.k", "v2");
	assert_field(f, "c", "metadata.uid", NULL);
	/* The counter continues past the deletion's resourceVersion. */
	assert_int_equal(mapi_store_resource_version(f->store), rv_before);
	free(rv_a);
}

static void
test_statefile_torn_last_line_is_ignored(void **state)
{
	struct fixture *f = *state;
	struct mapi_statefile_stats st;
	char uid[40];

	open_attach(f, NULL);
	assert_int_equal(create_cm(f, "a", uid), MAPI_OK);
	/* A crash in the middle of writing the next line. */
	append_file(file_in(f, MAPI_STATEFILE_JOURNAL),
	            "{\"seq\":99,\"op\":\"ADDED\",\"group\":\"\",\"resou");
	crash_and_restore(f, true);
	mapi_statefile_stats(f->sf, &st);
	assert_true(st.torn_tail);
	assert_int_equal(st.replayed, 1);
	assert_int_equal(mapi_store_count(f->store), 1);
	assert_field(f, "a", "metadata.uid", uid);
}

static void
test_statefile_complete_line_without_newline_is_torn(void **state)
{
	struct fixture *f = *state;
	struct mapi_statefile_stats st;

	open_attach(f, NULL);
	assert_int_equal(create_cm(f, "a", NULL), MAPI_OK);
	/* Parses, but the newline never made it: not a committed line. */
	append_file(file_in(f, MAPI_STATEFILE_JOURNAL),
	            "{\"seq\":3,\"op\":\"RESET\"}");
	crash_and_restore(f, true);
	mapi_statefile_stats(f->sf, &st);
	assert_true(st.torn_tail);
	assert_int_equal(mapi_store_count(f->store), 1);
}

static void
test_statefile_bad_record_is_an_error_naming_the_line(void **state)
{
	struct fixture *f = *state;
	struct mapi_diag d = { 0 };
	bool restored = false;

	open_attach(f, NULL);
	assert_int_equal(create_cm(f, "a", NULL), MAPI_OK);
	append_file(file_in(f, MAPI_STATEFILE_JOURNAL),
	            "{\"seq\":50,\"op\":\"EXPLODED\"}\n");
	mapi_statefile_free(f->sf);
	mapi_store_free(f->store);
	f->store = new_store(f);
	assert_int_equal(mapi_statefile_open(f->dir, NULL, &f->sf, &d),
	                 MAPI_OK);
	assert_int_equal(mapi_statefile_restore(f->sf, f->store, &restored, &d),
	                 MAPI_EINVAL);
	assert_non_null(strstr(d.msg, "store.journal: line 2 is not a "
	                              "journal record"));
	assert_false(restored);
	assert_int_equal(mapi_store_count(f->store), 0);
}

static void
test_statefile_lines_covered_by_the_snapshot_are_skipped(void **state)
{
	struct fixture *f = *state;
	char line[512];

	open_attach(f, NULL);
	assert_int_equal(create_cm(f, "a", NULL), MAPI_OK);
	assert_int_equal(mapi_statefile_compact(f->sf, NULL), MAPI_OK);
	/* As if the truncation after the rename had not happened: an old
	 * line (seq 1) that would resurrect a deleted object. */
	(void)snprintf(line, sizeof(line),
	               "{\"seq\":1,\"op\":\"ADDED\",\"group\":\"\","
	               "\"resource\":\"configmaps\",\"object\":{\"metadata\":"
	               "{\"name\":\"ghost\",\"namespace\":\"default\","
	               "\"uid\":\"u\",\"resourceVersion\":\"1\"}}}\n");
	append_file(file_in(f, MAPI_STATEFILE_JOURNAL), line);
	crash_and_restore(f, true);
	assert_int_equal(mapi_store_count(f->store), 1);
	assert_field(f, "ghost", "metadata.uid", NULL);
}

static void
test_statefile_reset_is_journaled(void **state)
{
	struct fixture *f = *state;

	open_attach(f, NULL);
	assert_int_equal(create_cm(f, "a", NULL), MAPI_OK);
	assert_int_equal(create_cm(f, "b", NULL), MAPI_OK);
	mapi_store_reset(f->store);
	assert_int_equal(create_cm(f, "after", NULL), MAPI_OK);
	crash_and_restore(f, true);
	assert_int_equal(mapi_store_count(f->store), 1);
	assert_field(f, "after", "metadata.resourceVersion", "1");
}

static void
test_statefile_compacts_past_the_bound(void **state)
{
	struct fixture *f = *state;
	struct mapi_statefile_opts o = { .compact_bytes = 2048 };
	struct mapi_statefile_stats st;
	struct stat sb;
	char name[32];
	int i;

	open_attach(f, &o);
	for (i = 0; i < 200; i++) {
		(void)snprintf(name, sizeof(name), "cm-%03d", i);
		assert_int_equal(create_cm(f, name, NULL), MAPI_OK);
	}
	mapi_statefile_stats(f->sf, &st);
	/* Bound: max(2 KiB, snapshot size), so a few compactions. */
	assert_true(st.compactions >= 3);
	assert_true(st.journal_bytes <= st.snapshot_bytes + 512);
	assert_int_equal(stat(file_in(f, MAPI_STATEFILE_JOURNAL), &sb), 0);
	assert_int_equal((size_t)sb.st_size, st.journal_bytes);
	assert_int_equal(st.durable_seq, mapi_store_seq(f->store));
	crash_and_restore(f, true);
	assert_int_equal(mapi_store_count(f->store), 200);
	assert_present(f, "cm-000");
	assert_field(f, "cm-199", "data.k", "v1");
}

static void
test_statefile_close_writes_final_snapshot(void **state)
{
	struct fixture *f = *state;
	struct stat sb;
	char *snap;

	open_attach(f, NULL);
	assert_int_equal(create_cm(f, "a", NULL), MAPI_OK);
	assert_int_equal(mapi_statefile_close(f->sf, NULL), MAPI_OK);
	f->sf = NULL;
	assert_int_equal(stat(file_in(f, MAPI_STATEFILE_JOURNAL), &sb), 0);
	assert_int_equal(sb.st_size, 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(file_in(f, MAPI_STATEFILE_SNAPSHOT), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snap = th_read_file(file_in(f, MAPI_STATEFILE_SNAPSHOT), NULL);
	assert_non_null(strstr(snap, "\"name\":\"a\""));
	free(snap);
	crash_and_restore(f, true);
	assert_int_equal(mapi_store_count(f->store), 1);
}

static void
test_statefile_second_open_is_refused(void **state)
{
	struct fixture *f = *state;
	struct mapi_statefile *other = (struct mapi_statefile *)0x1;
	struct mapi_diag d = { 0 };

	assert_int_equal(mapi_statefile_open(f->dir, NULL, &f->sf, NULL),
	                 MAPI_OK);
	assert_int_equal(mapi_statefile_open(f->dir, NULL, &other, &d),
	                 MAPI_EUNAVAILABLE);
	assert_ptr_equal(other, (struct mapi_statefile *)0x1);
	assert_non_null(strstr(d.msg, "is in use by another mockapi"));
	mapi_statefile_free(f->sf);
	f->sf = NULL;
	assert_int_equal(mapi_statefile_open(f->dir, NULL, &f->sf, NULL),
	                 MAPI_OK);
}

static void
test_statefile_failed_fdatasync_is_eio_then_repaired(void **state)
{
	struct fixture *f = *state;
	struct mapi_store_ref r = { "", "configmaps", "default", NULL };
	struct mapi_statefile_stats st;
	cJSON *o = configmap("x", "v1");
	cJSON *out = (cJSON *)0x1;
	uint64_t compactions;

	open_attach(f, NULL);
	mapi_statefile_stats(f->sf, &st);
	compactions = st.compactions;
	fail_syncs = 1;
	assert_int_equal(mapi_store_create(f->store, &r, o, 0, &out, NULL),
	                 MAPI_EIO);
	cJSON_Delete(o);
	assert_ptr_equal(out, (cJSON *)0x1); /* no output on failure */
	/* The next write repairs the journal with a snapshot. */
	assert_int_equal(create_cm(f, "y", NULL), MAPI_OK);
	mapi_statefile_stats(f->sf, &st);
	assert_int_equal(st.compactions, compactions + 1);
	crash_and_restore(f, true);
	assert_present(f, "y");
}

static void
test_statefile_load_forces_a_snapshot(void **state)
{
	struct fixture *f = *state;
	struct mapi_statefile_stats st;
	struct mapi_store *src = new_store(f);
	struct mapi_store *keep;
	cJSON *dump = NULL;
	uint64_t compactions;

	open_attach(f, NULL);
	keep = f->store;
	f->store = src;
	assert_int_equal(create_cm(f, "loaded", NULL), MAPI_OK);
	f->store = keep;
	assert_int_equal(mapi_store_dump(src, &dump), MAPI_OK);
	mapi_store_free(src);
	mapi_statefile_stats(f->sf, &st);
	compactions = st.compactions;
	assert_int_equal(mapi_store_load(f->store, dump, NULL), MAPI_OK);
	cJSON_Delete(dump);
	mapi_statefile_stats(f->sf, &st);
	assert_int_equal(st.compactions, compactions + 1);
	crash_and_restore(f, true);
	assert_present(f, "loaded");
}

struct writer {
	struct fixture *f;
	int id;
};

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	char name[32];
	int i;

	for (i = 0; i < 50; i++) {
		(void)snprintf(name, sizeof(name), "w%d-%02d", w->id, i);
		if (create_cm(w->f, name, NULL) != MAPI_OK) {
			return (void *)1;
		}
	}
	return NULL;
}

static void
test_statefile_concurrent_writers_share_fdatasyncs(void **state)
{
	struct fixture *f = *state;
	struct mapi_statefile_stats st;
	struct writer w[8];
	pthread_t t[8];
	void *rc;
	int i;

	open_attach(f, NULL);
	for (i = 0; i < 8; i++) {
		w[i].f = f;
		w[i].id = i;
		assert_int_equal(
			pthread_create(&t[i], NULL, writer_main, &w[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(t[i], &rc), 0);
		assert_null(rc);
	}
	mapi_statefile_stats(f->sf, &st);
	assert_int_equal(st.durable_seq, mapi_store_seq(f->store));
	assert_int_equal(st.journal_lines, 400);
	/* Never more than one flush per write; fewer when they overlap. */
	assert_true(st.flushes <= 400);
	crash_and_restore(f, true);
	assert_int_equal(mapi_store_count(f->store), 400);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(test_statefile_empty_dir_restores_nothing),
		T(test_statefile_acknowledged_write_is_in_journal_on_return),
		T(test_statefile_crash_keeps_creates_updates_and_deletes),
		T(test_statefile_torn_last_line_is_ignored),
		T(test_statefile_complete_line_without_newline_is_torn),
		T(test_statefile_bad_record_is_an_error_naming_the_line),
		T(test_statefile_lines_covered_by_the_snapshot_are_skipped),
		T(test_statefile_reset_is_journaled),
		T(test_statefile_compacts_past_the_bound),
		T(test_statefile_close_writes_final_snapshot),
		T(test_statefile_second_open_is_refused),
		T(test_statefile_failed_fdatasync_is_eio_then_repaired),
		T(test_statefile_load_forces_a_snapshot),
		T(test_statefile_concurrent_writers_share_fdatasyncs),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("statefile", tests, NULL, NULL);
}
