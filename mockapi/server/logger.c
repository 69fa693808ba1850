/* SPDX-License-Identifier: MIT */
#include "server/logger.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A line that arrived before its predecessors (sorted list by order). */
struct parked {
	struct parked *next;
	uint64_t order;
	size_t len;
	char data[];
};

/*
 * What the writer thread is doing. Appenders signal it only in W_IDLE (the
 * first line after a quiet tick); otherwise it comes back by itself every
 * linger_ns, so a busy server's appenders make no syscall at all.
 */
enum writer_state {
	W_IDLE,   /* waiting on `wake` for a first line, untimed */
	W_WOKEN,  /* signalled, not yet running */
	W_ACTIVE, /* sleeping linger_ns or writing a batch */
};

/* Longest single sleep, so stop and a full buffer are noticed soon. */
#define LINGER_SLICE_NS ((int64_t)10 * 1000 * 1000)

struct mapi_logger {
	int fd;
	size_t cap; /* bytes in each of buf and batch */
	int64_t linger_ns;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake;  /* the writer waits here when idle */
	pthread_cond_t space; /* appenders wait for the writer to take buf */
	pthread_cond_t turn;  /* appenders wait for their order (rare) */
	/* Everything below is guarded by mu, except that `next` is also
	 * read without it as a hint. */
	char *buf; /* lines waiting for the writer, in order */
	size_t used;
	char *batch;           /* the writer's buffer, swapped with buf */
	_Atomic uint64_t next; /* order of the next line to enter buf */
	struct parked *parked; /* early lines, ascending order */
	size_t parked_bytes;
	enum writer_state wstate;
	bool kicked; /* half full or someone waits for space: cut the linger */
	bool closing;
	unsigned space_waiters;
	unsigned turn_waiters;
	struct mapi_logger_stats stats;
};

/* Copies one in-order line into buf; the caller made sure it fits. */
static void
put(struct mapi_logger *lg, const char *data, size_t len)
{
	memcpy(lg->buf + lg->used, data, len);
	lg->used += len;
	lg->stats.lines++;
	atomic_store_explicit(&lg->next, atomic_load(&lg->next) + 1,
	                      memory_order_relaxed);
}

/*
 * Moves parked lines whose turn has come into buf while they fit; the
 * nodes go to *to_free (freed by the caller after unlocking).
 */
static void
drain_parked(struct mapi_logger *lg, struct parked **to_free)
{
	struct parked *p;

	while ((p = lg->parked) != NULL && p->order == atomic_load(&lg->next) &&
	       lg->used + p->len <= lg->cap) {
		lg->parked = p->next;
		lg->parked_bytes -= p->len;
		put(lg, p->data, p->len);
		p->next = *to_free;
		*to_free = p;
	}
}

static void
park(struct mapi_logger *lg, struct parked *node)
{
	struct parked **pp = &lg->parked;

	while (*pp != NULL && (*pp)->order < node->order) {
		pp = &(*pp)->next;
	}
	node->next = *pp;
	*pp = node;
	lg->parked_bytes += node->len;
	lg->stats.parked++;
}

static void
free_list(struct parked *p)
{
	while (p != NULL) {
		struct parked *next = p->next;

		free(p);
		p = next;
	}
}

/*
 * Wakes whoever a change to next/used concerns. Returns true if the
 * writer must be signalled; the caller does that after unlocking, so no
 * appender makes a syscall with the lock held.
 */
static bool
after_put(struct mapi_logger *lg)
{
	if (lg->turn_waiters > 0) {
		(void)pthread_cond_broadcast(&lg->turn);
	}
	if (lg->used == 0) {
		return false;
	}
	if (lg->wstate == W_IDLE) {
		lg->wstate = W_WOKEN;
		return true;
	}
	if (lg->used >= lg->cap / 2) {
		lg->kicked = true; /* noticed at the end of the slice */
	}
	return false;
}

void
mapi_logger_append(struct mapi_logger *lg, uint64_t order, const char *data,
                   size_t len)
{
	struct parked *node = NULL;
	struct parked *to_free = NULL;
	bool wake;

	if (len > lg->cap) {
		len = lg->cap;
	}
	/* Copy an early line before taking the lock (the hint may be stale;
	 * that only costs a malloc). */
	if (atomic_load_explicit(&lg->next, memory_order_relaxed) != order) {
		node = malloc(sizeof(*node) + len);
		if (node != NULL) {
			node->order = order;
			node->len = len;
			memcpy(node->data, data, len);
		}
	}
	(void)pthread_mutex_lock(&lg->mu);
	assert(order >= atomic_load(&lg->next)); /* each order once */
	if (order != atomic_load(&lg->next) && node != NULL &&
	    lg->parked_bytes + len <= lg->cap) {
		park(lg, node);
		(void)pthread_mutex_unlock(&lg->mu);
		return;
	}
	/* No memory (or room) to park: wait for the predecessors. */
	while (order != atomic_load(&lg->next)) {
		lg->turn_waiters++;
		(void)pthread_cond_wait(&lg->turn, &lg->mu);
		lg->turn_waiters--;
	}
	/* Back-pressure: wait for the writer to take buf. */
	while (lg->used + len > lg->cap) {
		lg->kicked = true;
		lg->stats.full_waits++;
		lg->space_waiters++;
		(void)pthread_cond_wait(&lg->space, &lg->mu);
		lg->space_waiters--;
	}
	put(lg, data, len);
	drain_parked(lg, &to_free);
	wake = after_put(lg);
	(void)pthread_mutex_unlock(&lg->mu);
	if (wake) {
		(void)pthread_cond_signal(&lg->wake);
	}
	free(node);
	free_list(to_free);
}

/*
 * write(2)s all of p, resuming after short writes and EINTR and polling a
 * non-blocking fd. Returns the number of bytes that could not be written.
 */
static size_t
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			(void)poll(&pfd, 1, -1);
			continue;
		}
		break; /* EPIPE, EBADF, ENOSPC, ...: give the batch up */
	}
	return n;
}

/*
 * Sleeps linger_ns (in slices) with the lock dropped, unless stop or a
 * full buffer cuts it short. Called and returns with mu held.
 */
static void
linger(struct mapi_logger *lg)
{
	int64_t left = lg->linger_ns;

	while (left > 0 && !lg->closing && !lg->kicked) {
		int64_t ns = left < LINGER_SLICE_NS ? left : LINGER_SLICE_NS;
		struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000),
			               .tv_nsec = (long)(ns % 1000000000) };

		(void)pthread_mutex_unlock(&lg->mu);
		/* EINTR only shortens this batch's linger. */
		(void)clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
		(void)pthread_mutex_lock(&lg->mu);
		left -= ns;
	}
}

/*
 * The writer: while lines keep coming it ticks every linger_ns, writing
 * what the tick gathered; after one empty tick it waits on `wake`.
 */
static void *
writer_main(void *arg)
{
	struct mapi_logger *lg = arg;
	struct parked *to_free = NULL;
	bool active = false; /* the last tick found lines */
	char *tmp;
	size_t n, lost;

	(void)pthread_mutex_lock(&lg->mu);
	for (;;) {
		if (lg->used == 0 && !lg->closing && !active) {
			lg->wstate = W_IDLE;
			while (lg->used == 0 && !lg->closing) {
				(void)pthread_cond_wait(&lg->wake, &lg->mu);
			}
		}
		lg->wstate = W_ACTIVE;
		if (lg->used == 0 && lg->closing) {
			if (lg->parked == NULL) {
				break;
			}
			/* A gap at close means an order was never appended
			 * (a caller bug): write the rest rather than lose
			 * it. */
			atomic_store(&lg->next, lg->parked->order);
			drain_parked(lg, &to_free);
			continue;
		}
		linger(lg);
		lg->kicked = false;
		if (lg->used == 0) {
			active = false; /* an empty tick: idle next time */
			continue;
		}
		active = true;
		tmp = lg->batch;
		lg->batch = lg->buf;
		lg->buf = tmp;
		n = lg->used;
		lg->used = 0;
		drain_parked(lg, &to_free);
		(void)after_put(lg); /* only turn waiters; we are the writer */
		if (lg->space_waiters > 0) {
			(void)pthread_cond_broadcast(&lg->space);
		}
		(void)pthread_mutex_unlock(&lg->mu);

		lost = write_all(lg->fd, lg->batch, n);
		free_list(to_free);
		to_free = NULL;

		(void)pthread_mutex_lock(&lg->mu);
		lg->stats.writes++;
		lg->stats.bytes += n - lost;
		lg->stats.dropped_bytes += lost;
	}
	(void)pthread_mutex_unlock(&lg->mu);
	return NULL;
}

static void
logger_free(struct mapi_logger *lg)
{
	free_list(lg->parked);
	free(lg->buf);
	free(lg->batch);
	(void)pthread_cond_destroy(&lg->turn);
	(void)pthread_cond_destroy(&lg->space);
	(void)pthread_cond_destroy(&lg->wake);
	(void)pthread_mutex_destroy(&lg->mu);
	free(lg);
}

enum mapi_err
mapi_logger_start(int fd, size_t max_bytes, int64_t linger_ns,
                  struct mapi_logger **out_lg)
{
	struct mapi_logger *lg = NULL;
	enum mapi_err err = MAPI_EINVAL;
	int inited = 0; /* how many of mu, wake, space, turn exist */

	if (max_bytes == 0) {
		max_bytes = MAPI_LOGGER_DEFAULT_MAX_BYTES;
	}
	if (linger_ns < 0) {
		linger_ns = MAPI_LOGGER_DEFAULT_LINGER_NS;
	}
	if (fd < 0 || max_bytes < MAPI_LOGGER_MIN_MAX_BYTES) {
		goto out;
	}
	err = MAPI_ENOMEM;
	lg = calloc(1, sizeof(*lg));
	if (lg == NULL) {
		goto out;
	}
	lg->fd = fd;
	lg->cap = max_bytes;
	lg->linger_ns = linger_ns;
	atomic_init(&lg->next, 1);
	/* Above the mmap threshold these stay untouched (and out of RSS)
	 * except for the pages the largest batch has used. */
	lg->buf = malloc(max_bytes);
	lg->batch = malloc(max_bytes);
	if (lg->buf == NULL || lg->batch == NULL) {
		goto out;
	}
	err = MAPI_EINTERNAL;
	if (pthread_mutex_init(&lg->mu, NULL) != 0) {
		goto out;
	}
	inited++;
	if (pthread_cond_init(&lg->wake, NULL) != 0) {
		goto out;
	}
	inited++;
	if (pthread_cond_init(&lg->space, NULL) != 0) {
		goto out;
	}
	inited++;
	if (pthread_cond_init(&lg->turn, NULL) != 0) {
		goto out;
	}
	inited++;
	if (pthread_create(&lg->thread, NULL, writer_main, lg) != 0) {
		goto out;
	}
	*out_lg = lg;
	lg = NULL;
	err = MAPI_OK;
out:
	if (lg != NULL) {
		free(lg->buf);
		free(lg->batch);
		if (inited > 3) {
			(void)pthread_cond_destroy(&lg->turn);
		}
		if (inited > 2) {
			(void)pthread_cond_destroy(&lg->space);
		}
		if (inited > 1) {
			(void)pthread_cond_destroy(&lg->wake);
		}
		if (inited > 0) {
			(void)pthread_mutex_destroy(&lg->mu);
		}
		free(lg);
	}
	return err;
}

void
mapi_logger_get_stats(struct mapi_logger *lg,
                      struct mapi_logger_stats *out_stats)
{
	(void)pthread_mutex_lock(&lg->mu);
	*out_stats = lg->stats;
	(void)pthread_mutex_unlock(&lg->mu);
}

void
mapi_logger_stop(struct mapi_logger *lg, struct mapi_logger_stats *out_stats)
{
	if (lg == NULL) {
		return;
	}
	(void)pthread_mutex_lock(&lg->mu);
	lg->closing = true;
	(void)pthread_cond_signal(&lg->wake);
	(void)pthread_mutex_unlock(&lg->mu);
	(void)pthread_join(lg->thread, NULL);
	if (out_stats != NULL) {
		*out_stats = lg->stats;
	}
	logger_free(lg);
}
