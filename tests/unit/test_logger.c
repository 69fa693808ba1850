/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/logger.h"
#include "th.h"

/* ---- helpers ---- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
		               .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

/* Reads a pipe to EOF on its own thread, optionally slowly. */
struct reader {
	int fd;
	size_t chunk;   /* bytes per read (0 = 64 KiB) */
	long pause_us;  /* between reads */
	atomic_bool go; /* reads only once set */
	pthread_mutex_t mu;
	char *data;
	size_t len;
	size_t cap;
	pthread_t thread;
};

static void *
reader_main(void *p)
{
	struct reader *r = p;
	char tmp[65536];
	size_t chunk =
		r->chunk > 0 && r->chunk < sizeof(tmp) ? r->chunk : sizeof(tmp);

	while (!atomic_load(&r->go)) {
		sleep_ms(1);
	}
	for (;;) {
		ssize_t n = read(r->fd, tmp, chunk);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		(void)pthread_mutex_lock(&r->mu);
		if (r->len + (size_t)n + 1 > r->cap) {
			size_t cap = (r->cap + (size_t)n + 1) * 2;
			char *d = realloc(r->data, cap);

			if (d == NULL) {
				(void)pthread_mutex_unlock(&r->mu);
				break;
			}
			r->data = d;
			r->cap = cap;
		}
		memcpy(r->data + r->len, tmp, (size_t)n);
		r->len += (size_t)n;
		r->data[r->len] = '\0';
		(void)pthread_mutex_unlock(&r->mu);
		if (r->pause_us > 0) {
			struct timespec ts = { 0, r->pause_us * 1000 };

			(void)nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

static void
reader_start(struct reader *r, int fd, size_t chunk, long pause_us, bool go)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->chunk = chunk;
	r->pause_us = pause_us;
	atomic_init(&r->go, go);
	assert_int_equal(pthread_mutex_init(&r->mu, NULL), 0);
	assert_int_equal(pthread_create(&r->thread, NULL, reader_main, r), 0);
}

static size_t
reader_len(struct reader *r)
{
	size_t n;

	(void)pthread_mutex_lock(&r->mu);
	n = r->len;
	(void)pthread_mutex_unlock(&r->mu);
	return n;
}

/* Joins (the write end must be closed first) and frees. */
static void
reader_finish(struct reader *r)
{
	atomic_store(&r->go, true);
	assert_int_equal(pthread_join(r->thread, NULL), 0);
	(void)close(r->fd);
	(void)pthread_mutex_destroy(&r->mu);
}

static size_t
format_line(char *buf, size_t len, uint64_t order)
{
	/* Varying lengths, so a lost or doubled byte shows. */
	int n = snprintf(buf, len, "line %" PRIu64 " %.*s\n", order,
	                 (int)(order % 23), "abcdefghijklmnopqrstuvwxyz");

	assert_true(n > 0 && (size_t)n < len);
	return (size_t)n;
}

/* Checks that data is exactly lines 1..n as format_line makes them. */
static void
assert_lines_1_to_n(const char *data, size_t len, uint64_t n)
{
	char want[128];
	size_t off = 0;
	uint64_t i;

	for (i = 1; i <= n; i++) {
		size_t k = format_line(want, sizeof(want), i);

		if (off + k > len || memcmp(data + off, want, k) != 0) {
			fail_msg("line %" PRIu64 " missing or wrong at %zu", i,
			         off);
		}
		off += k;
	}
	assert_int_equal(off, len);
}

static void
make_pipe(int fds[2], int pipe_size)
{
	assert_int_equal(pipe(fds), 0);
	if (pipe_size > 0) {
		assert_true(fcntl(fds[1], F_SETPIPE_SZ, pipe_size) >= 0);
	}
}

static void
append_n(struct mapi_logger *lg, uint64_t first, uint64_t last)
{
	char line[128];
	uint64_t i;

	for (i = first; i <= last; i++) {
		mapi_logger_append(lg, i, line,
		                   format_line(line, sizeof(line), i));
	}
}

/* ---- tests ---- */

static void
test_logger_start_rejects_bad_arguments(void **state)
{
	struct mapi_logger *lg = (struct mapi_logger *)&lg;

	(void)state;
	assert_int_equal(mapi_logger_start(-1, 0, -1, &lg), MAPI_EINVAL);
	assert_int_equal(
		mapi_logger_start(2, MAPI_LOGGER_MIN_MAX_BYTES - 1, -1, &lg),
		MAPI_EINVAL);
	assert_ptr_equal(lg, (struct mapi_logger *)&lg); /* unchanged */
	mapi_logger_stop(NULL, NULL);
}

/* Orders taken from one counter by 4 threads race to the logger. */
struct racer {
	struct mapi_logger *lg;
	atomic_uint_fast64_t *counter;
	uint64_t total;
};

static void *
racer_main(void *p)
{
	struct racer *r = p;
	char line[128];
	uint64_t o;

	while ((o = atomic_fetch_add(r->counter, 1) + 1) <= r->total) {
		mapi_logger_append(r->lg, o, line,
		                   format_line(line, sizeof(line), o));
	}
	return NULL;
}

static void
test_logger_keeps_order_across_threads_without_loss(void **state)
{
	enum {
		N = 200000,
		THREADS = 4
	};
	struct mapi_logger *lg = NULL;
	struct mapi_logger_stats st;
	struct reader rd;
	atomic_uint_fast64_t counter;
	struct racer r;
	pthread_t t[THREADS];
	int fds[2];
	int i;

	(void)state;
	atomic_init(&counter, 0);
	make_pipe(fds, 0);
	reader_start(&rd, fds[0], 0, 0, true);
	assert_int_equal(mapi_logger_start(fds[1], (size_t)64 * 1024, -1, &lg),
	                 MAPI_OK);
	r = (struct racer){ .lg = lg, .counter = &counter, .total = N };
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_create(&t[i], NULL, racer_main, &r),
		                 0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
	}
	mapi_logger_stop(lg, &st);
	(void)close(fds[1]);
	reader_finish(&rd);
	assert_lines_1_to_n(rd.data, rd.len, N);
	assert_int_equal(st.lines, N);
	assert_int_equal(st.bytes, rd.len);
	assert_int_equal(st.dropped_bytes, 0);
	assert_true(st.writes < N / 10); /* batched */
	free(rd.data);
}

static void
test_logger_puts_early_lines_back_in_order(void **state)
{
	struct mapi_logger *lg = NULL;
	struct mapi_logger_stats st;
	struct reader rd;
	char line[128];
	int fds[2];

	(void)state;
	make_pipe(fds, 0);
	reader_start(&rd, fds[0], 0, 0, true);
	assert_int_equal(mapi_logger_start(fds[1], 0, -1, &lg), MAPI_OK);
	mapi_logger_append(lg, 3, line, format_line(line, sizeof(line), 3));
	mapi_logger_append(lg, 2, line, format_line(line, sizeof(line), 2));
	sleep_ms(20);
	assert_int_equal(reader_len(&rd), 0); /* held back: 1 is missing */
	mapi_logger_append(lg, 1, line, format_line(line, sizeof(line), 1));
	append_n(lg, 4, 5);
	mapi_logger_stop(lg, &st);
	(void)close(fds[1]);
	reader_finish(&rd);
	assert_lines_1_to_n(rd.data, rd.len, 5);
	assert_int_equal(st.parked, 2);
	free(rd.data);
}

static void
test_logger_batches_many_lines_per_write(void **state)
{
	struct mapi_logger *lg = NULL;
	struct mapi_logger_stats st;
	struct reader rd;
	int fds[2];

	(void)state;
	make_pipe(fds, 0);
	reader_start(&rd, fds[0], 0, 0, true);
	/* 50 ms linger: 2000 quick appends fit in a few batches. */
	assert_int_equal(mapi_logger_start(fds[1], 0, INT64_C(50000000), &lg),
	                 MAPI_OK);
	append_n(lg, 1, 2000);
	mapi_logger_stop(lg, &st);
	(void)close(fds[1]);
	reader_finish(&rd);
	assert_lines_1_to_n(rd.data, rd.len, 2000);
	assert_int_equal(st.lines, 2000);
	assert_true(st.writes >= 1);
	assert_true(st.writes <= 20);
	free(rd.data);
}

static void
test_logger_idle_line_appears_promptly(void **state)
{
	struct mapi_logger *lg = NULL;
	struct pollfd pfd;
	char line[128];
	char got[128];
	size_t n;
	ssize_t k;
	int64_t t0;
	int fds[2];

	(void)state;
	make_pipe(fds, 0);
	assert_int_equal(mapi_logger_start(fds[1], 0, -1, &lg), MAPI_OK);
	sleep_ms(30); /* the writer is idle now */
	n = format_line(line, sizeof(line), 1);
	t0 = now_ms();
	mapi_logger_append(lg, 1, line, n);
	/* Default linger 1 ms; 500 ms leaves room for a busy machine. */
	pfd = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 500), 1);
	assert_true(now_ms() - t0 < 500);
	k = read(fds[0], got, sizeof(got));
	assert_int_equal(k, (ssize_t)n);
	assert_memory_equal(got, line, n);
	mapi_logger_stop(lg, NULL);
	(void)close(fds[0]);
	(void)close(fds[1]);
}

static void
test_logger_stop_flushes_without_waiting_for_linger(void **state)
{
	struct mapi_logger *lg = NULL;
	struct mapi_logger_stats st;
	char *dir = th_mkdtemp();
	char path[4096];
	char *data;
	size_t len;
	int64_t t0;
	int fd;

	(void)state;
	(void)snprintf(path, sizeof(path), "%s/log", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	/* A 60 s linger: only stop can have written these. */
	assert_int_equal(mapi_logger_start(fd, 0, INT64_C(60000000000), &lg),
	                 MAPI_OK);
	append_n(lg, 1, 500);
	t0 = now_ms();
	mapi_logger_stop(lg, &st);
	assert_true(now_ms() - t0 < 10000);
	(void)close(fd);
	data = th_read_file(path, &len);
	assert_lines_1_to_n(data, len, 500);
	assert_int_equal(st.bytes, len);
	free(data);
	th_rmtree(dir);
	free(dir);
}

static void
test_logger_resumes_short_writes_on_nonblocking_pipe(void **state)
{
	enum {
		N = 20000
	};
	struct mapi_logger *lg = NULL;
	struct mapi_logger_stats st;
	struct reader rd;
	int fds[2];

	(void)state;
	make_pipe(fds, 4096);
	/* Non-blocking: a big batch gets short writes, then EAGAIN. */
	assert_int_equal(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
	reader_start(&rd, fds[0], 997, 200, true); /* slow, odd chunks */
	assert_int_equal(mapi_logger_start(fds[1], 0, INT64_C(20000000), &lg),
	                 MAPI_OK);
	append_n(lg, 1, N);
	mapi_logger_stop(lg, &st);
	(void)close(fds[1]);
	reader_finish(&rd);
	assert_lines_1_to_n(rd.data, rd.len, N);
	assert_int_equal(st.dropped_bytes, 0);
	free(rd.data);
}

static atomic_int sigusr1_count;

static void
on_sigusr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&sigusr1_count, 1);
}

static void
test_logger_resumes_writes_interrupted_by_signals(void **state)
{
	enum {
		N = 20000
	};
	struct mapi_logger *lg = NULL;
	struct mapi_logger_stats st;
	struct sigaction sa, old_sa;
	sigset_t usr1, old_mask;
	struct reader rd;
	int fds[2];
	int i;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1; /* no SA_RESTART: write gets EINTR */
	assert_int_equal(sigaction(SIGUSR1, &sa, &old_sa), 0);
	(void)sigemptyset(&usr1);
	(void)sigaddset(&usr1, SIGUSR1);
	make_pipe(fds, 4096);
	/* Only the writer thread (started unblocked) takes SIGUSR1. */
	assert_int_equal(mapi_logger_start(fds[1], 0, 0, &lg), MAPI_OK);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &usr1, &old_mask), 0);
	reader_start(&rd, fds[0], 1500, 300, false);
	append_n(lg, 1, 200); /* fills the pipe: the writer blocks */
	atomic_store(&rd.go, true);
	for (i = 0; i < 200 && reader_len(&rd) == 0; i++) {
		sleep_ms(1);
	}
	for (i = 0; i < 100; i++) {
		(void)kill(getpid(), SIGUSR1);
		append_n(lg, 200 + (uint64_t)i * 198 + 1,
		         200 + (uint64_t)(i + 1) * 198);
	}
	mapi_logger_stop(lg, &st);
	(void)close(fds[1]);
	reader_finish(&rd);
	assert_int_equal(pthread_sigmask(SIG_SETMASK, &old_mask, NULL), 0);
	assert_int_equal(sigaction(SIGUSR1, &old_sa, NULL), 0);
	assert_true(atomic_load(&sigusr1_count) > 0);
	assert_lines_1_to_n(rd.data, rd.len, 200 + 100 * 198);
	assert_int_equal(st.dropped_bytes, 0);
	free(rd.data);
}

struct bulk {
	struct mapi_logger *lg;
	uint64_t first, last;
	atomic_uint_fast64_t done; /* last order appended */
};

static void *
bulk_main(void *p)
{
	struct bulk *b = p;
	char line[128];
	uint64_t i;

	for (i = b->first; i <= b->last; i++) {
		mapi_logger_append(b->lg, i, line,
		                   format_line(line, sizeof(line), i));
		atomic_store(&b->done, i);
	}
	return NULL;
}

static void
test_logger_full_buffer_makes_appenders_wait(void **state)
{
	enum {
		N = 5000
	}; /* about 110 KB, far above buffers + pipe */
	struct mapi_logger *lg = NULL;
	struct mapi_logger_stats st;
	struct reader rd;
	struct bulk b;
	pthread_t t;
	int fds[2];

	(void)state;
	make_pipe(fds, 4096);
	reader_start(&rd, fds[0], 0, 0, false); /* not reading yet */
	assert_int_equal(
		mapi_logger_start(fds[1], MAPI_LOGGER_MIN_MAX_BYTES, 0, &lg),
		MAPI_OK);
	b = (struct bulk){ .lg = lg, .first = 1, .last = N };
	atomic_init(&b.done, 0);
	assert_int_equal(pthread_create(&t, NULL, bulk_main, &b), 0);
	sleep_ms(200);
	/* Stuck: pipe (4 KiB) + batch + buffer hold far less than N. */
	assert_true(atomic_load(&b.done) < N / 2);
	mapi_logger_get_stats(lg, &st);
	assert_true(st.full_waits > 0);
	atomic_store(&rd.go, true);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(atomic_load(&b.done), N);
	mapi_logger_stop(lg, &st);
	(void)close(fds[1]);
	reader_finish(&rd);
	assert_lines_1_to_n(rd.data, rd.len, N);
	free(rd.data);
}

static void
test_logger_waits_for_turn_when_parking_is_full(void **state)
{
	enum {
		N = 2000
	}; /* orders 2..N: far more than 4 KiB parked */
	struct mapi_logger *lg = NULL;
	struct mapi_logger_stats st;
	struct reader rd;
	struct bulk b;
	char line[128];
	pthread_t t;
	int fds[2];

	(void)state;
	make_pipe(fds, 0);
	reader_start(&rd, fds[0], 0, 0, true);
	assert_int_equal(
		mapi_logger_start(fds[1], MAPI_LOGGER_MIN_MAX_BYTES, 0, &lg),
		MAPI_OK);
	b = (struct bulk){ .lg = lg, .first = 2, .last = N };
	atomic_init(&b.done, 0);
	assert_int_equal(pthread_create(&t, NULL, bulk_main, &b), 0);
	sleep_ms(100);
	/* Parking filled up; the thread waits for order 1. */
	assert_true(atomic_load(&b.done) < N);
	assert_int_equal(reader_len(&rd), 0);
	mapi_logger_append(lg, 1, line, format_line(line, sizeof(line), 1));
	assert_int_equal(pthread_join(t, NULL), 0);
	mapi_logger_stop(lg, &st);
	(void)close(fds[1]);
	reader_finish(&rd);
	assert_lines_1_to_n(rd.data, rd.len, N);
	assert_true(st.parked > 0);
	assert_true(st.parked < N - 1);
	free(rd.data);
}

static void
test_logger_counts_bytes_lost_to_write_errors(void **state)
{
	struct mapi_logger *lg = NULL;
	struct mapi_logger_stats st;
	struct sigaction sa, old_sa;
	char line[128];
	uint64_t i, total = 0;
	int fds[2];

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	assert_int_equal(sigaction(SIGPIPE, &sa, &old_sa), 0);
	make_pipe(fds, 0);
	(void)close(fds[0]); /* nobody reads: EPIPE */
	assert_int_equal(mapi_logger_start(fds[1], 0, 0, &lg), MAPI_OK);
	append_n(lg, 1, 100);
	mapi_logger_stop(lg, &st);
	(void)close(fds[1]);
	assert_int_equal(sigaction(SIGPIPE, &old_sa, NULL), 0);
	assert_int_equal(st.lines, 100);
	assert_int_equal(st.bytes, 0);
	for (i = 1; i <= 100; i++) {
		total += format_line(line, sizeof(line), i);
	}
	assert_int_equal(st.dropped_bytes, total);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_logger_start_rejects_bad_arguments),
	cmocka_unit_test(test_logger_keeps_order_across_threads_without_loss),
	cmocka_unit_test(test_logger_puts_early_lines_back_in_order),
	cmocka_unit_test(test_logger_batches_many_lines_per_write),
	cmocka_unit_test(test_logger_idle_line_appears_promptly),
	cmocka_unit_test(test_logger_stop_flushes_without_waiting_for_linger),
	cmocka_unit_test(test_logger_resumes_short_writes_on_nonblocking_pipe),
	cmocka_unit_test(test_logger_resumes_writes_interrupted_by_signals),
	cmocka_unit_test(test_logger_full_buffer_makes_appenders_wait),
	cmocka_unit_test(test_logger_waits_for_turn_when_parking_is_full),
	cmocka_unit_test(test_logger_counts_bytes_lost_to_write_errors),
};

TH_MAIN("logger", tests)
