/* SPDX-License-Identifier: MIT */
#include "sim/events.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "sim/clock.h"

/*
 * One ring of fixed-size entries. The entry with sequence number s lives in
 * slot (s - 1) % cap; entries first_seq .. next_seq - 1 are present.
 */
struct ring {
	unsigned char *slots;
	size_t elem;
	size_t cap;
	uint64_t next_seq;  /* seq the next entry gets; starts at 1 */
	uint64_t first_seq; /* oldest seq present; == next_seq when empty */
	pthread_cond_t cond;
};

struct mapi_events {
	const struct mapi_clock *clock;
	pthread_mutex_t mu;     /* guards the rings, `shutdown` and sub_* */
	pthread_mutex_t set_mu; /* serialises mapi_events_set_subscriber */
	struct ring events;
	struct ring requests;
	bool shutdown;
	mapi_events_subscriber_fn *sub_fn;
	void *sub_payload;
	uint64_t sub_order; /* the last order handed to this subscriber */
	unsigned sub_gen;   /* bumped by every set_subscriber */
	/* Calls running, by generation parity (set_subscriber waits for
	 * the previous generation's to finish). */
	atomic_size_t sub_busy[2];
};

static const char *const type_names[MAPI_EVENT_TYPE_COUNT_] = {
	[MAPI_EVENT_ISSUED] = "issued",
	[MAPI_EVENT_ROTATED] = "rotatedByKubelet",
	[MAPI_EVENT_REVIEWED] = "reviewed",
	[MAPI_EVENT_REJECTED] = "rejected",
	[MAPI_EVENT_KEY_ROTATED] = "keyRotated",
	[MAPI_EVENT_EXPIRED_PRESENTED] = "expiredTokenPresented",
	[MAPI_EVENT_VOLUME_WRITTEN] = "volumeWritten",
};

const char *
mapi_event_type_name(enum mapi_event_type type)
{
	if ((unsigned)type >= MAPI_EVENT_TYPE_COUNT_) {
		return "unknown";
	}
	return type_names[type];
}

/* Copies at most size - 1 bytes of src (NULL = empty) and terminates. */
static void
copy_bounded(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	if (src != NULL) {
		while (n + 1 < size && src[n] != '\0') {
			n++;
		}
		memcpy(dst, src, n);
	}
	dst[n] = '\0';
}

static int
ring_init(struct ring *r, size_t elem, size_t cap)
{
	pthread_condattr_t attr;
	int rc;

	r->elem = elem;
	r->cap = cap;
	r->next_seq = 1;
	r->first_seq = 1;
	r->slots = calloc(cap, elem);
	if (r->slots == NULL) {
		return ENOMEM;
	}
	rc = pthread_condattr_init(&attr);
	if (rc == 0) {
		rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		if (rc == 0) {
			rc = pthread_cond_init(&r->cond, &attr);
		}
		(void)pthread_condattr_destroy(&attr);
	}
	if (rc != 0) {
		free(r->slots);
		r->slots = NULL;
	}
	return rc;
}

static void
ring_fini(struct ring *r)
{
	if (r->slots != NULL) {
		free(r->slots);
		(void)pthread_cond_destroy(&r->cond);
	}
}

/* Returns the slot for the next entry and assigns its seq. Lock held. */
static void *
ring_push(struct ring *r, uint64_t *out_seq)
{
	uint64_t seq = r->next_seq++;

	if (r->next_seq - r->first_seq > r->cap) {
		r->first_seq++; /* overwrite the oldest */
	}
	*out_seq = seq;
	return r->slots + ((seq - 1) % r->cap) * r->elem;
}

static const void *
ring_at(const struct ring *r, uint64_t seq)
{
	return r->slots + ((seq - 1) % r->cap) * r->elem;
}

enum mapi_err
mapi_events_new(size_t capacity_events, size_t capacity_requests,
                const struct mapi_clock *clock, struct mapi_events **out_ev)
{
	struct mapi_events *ev = NULL;
	enum mapi_err err = MAPI_EINVAL;
	int rc;

	if (clock == NULL || capacity_events > MAPI_EVENTS_MAX_CAPACITY ||
	    capacity_requests > MAPI_EVENTS_MAX_CAPACITY) {
		goto out;
	}
	if (capacity_events == 0) {
		capacity_events = MAPI_EVENTS_DEFAULT_CAPACITY;
	}
	if (capacity_requests == 0) {
		capacity_requests = MAPI_EVENTS_DEFAULT_CAPACITY;
	}
	err = MAPI_ENOMEM;
	ev = calloc(1, sizeof(*ev));
	if (ev == NULL) {
		goto out;
	}
	ev->clock = clock;
	atomic_init(&ev->sub_busy[0], 0);
	atomic_init(&ev->sub_busy[1], 0);
	if (pthread_mutex_init(&ev->mu, NULL) != 0) {
		free(ev);
		ev = NULL;
		err = MAPI_EINTERNAL;
		goto out;
	}
	if (pthread_mutex_init(&ev->set_mu, NULL) != 0) {
		(void)pthread_mutex_destroy(&ev->mu);
		free(ev);
		ev = NULL;
		err = MAPI_EINTERNAL;
		goto out;
	}
	rc = ring_init(&ev->events, sizeof(struct mapi_event), capacity_events);
	if (rc == 0) {
		rc = ring_init(&ev->requests, sizeof(struct mapi_request_entry),
		               capacity_requests);
	}
	if (rc != 0) {
		err = rc == ENOMEM ? MAPI_ENOMEM : MAPI_EINTERNAL;
		goto out;
	}
	*out_ev = ev;
	ev = NULL;
	err = MAPI_OK;
out:
	mapi_events_free(ev);
	return err;
}

void
mapi_events_free(struct mapi_events *ev)
{
	if (ev == NULL) {
		return;
	}
	ring_fini(&ev->events);
	ring_fini(&ev->requests);
	(void)pthread_mutex_destroy(&ev->set_mu);
	(void)pthread_mutex_destroy(&ev->mu);
	free(ev);
}

/* What an add needs to call the subscriber after dropping mu. */
struct call {
	mapi_events_subscriber_fn *fn;
	void *payload;
	uint64_t order;
	unsigned gen;
};

/*
 * With mu held, right after the entry got its seq: takes the next order
 * number, so orders follow seq across both rings, and counts the call as
 * running.
 */
static void
call_begin(struct mapi_events *ev, struct call *c)
{
	c->fn = ev->sub_fn;
	if (c->fn == NULL) {
		return;
	}
	c->payload = ev->sub_payload;
	c->order = ++ev->sub_order;
	c->gen = ev->sub_gen & 1;
	atomic_fetch_add(&ev->sub_busy[c->gen], 1);
}

/* Without any lock: runs the subscriber on the caller's copy. */
static void
call_end(struct mapi_events *ev, const struct call *c,
         const struct mapi_event *e, const struct mapi_request_entry *r)
{
	if (c->fn == NULL) {
		return;
	}
	c->fn(e, r, c->order, c->payload);
	atomic_fetch_sub(&ev->sub_busy[c->gen], 1);
}

uint64_t
mapi_events_add(struct mapi_events *ev, const struct mapi_event_input *in)
{
	struct mapi_event e;
	struct mapi_event *slot;
	struct call c;
	size_t i;

	memset(&e, 0, sizeof(e));
	e.time_ns = mapi_clock_now_ns(ev->clock);
	e.type = in->type;
	copy_bounded(e.jti, sizeof(e.jti), in->jti);
	/* The one place a token is looked at: keep 8 characters, no more. */
	copy_bounded(e.token_prefix, sizeof(e.token_prefix), in->token);
	copy_bounded(e.sub, sizeof(e.sub), in->sub);
	for (i = 0; in->audiences != NULL && i < in->n_audiences &&
	            i < MAPI_EVENT_MAX_AUDIENCES;
	     i++) {
		copy_bounded(e.audiences[i], sizeof(e.audiences[i]),
		             in->audiences[i]);
	}
	e.n_audiences = i;
	e.iat = in->iat;
	e.exp = in->exp;
	e.warnafter = in->warnafter;
	copy_bounded(e.pod, sizeof(e.pod), in->pod);
	copy_bounded(e.kid, sizeof(e.kid), in->kid);
	copy_bounded(e.reason, sizeof(e.reason), in->reason);
	copy_bounded(e.volume, sizeof(e.volume), in->volume);

	(void)pthread_mutex_lock(&ev->mu);
	slot = ring_push(&ev->events, &e.seq);
	*slot = e;
	call_begin(ev, &c);
	(void)pthread_cond_broadcast(&ev->events.cond);
	(void)pthread_mutex_unlock(&ev->mu);
	call_end(ev, &c, &e, NULL);
	return e.seq;
}

uint64_t
mapi_events_add_request(struct mapi_events *ev,
                        const struct mapi_request_input *in)
{
	struct mapi_request_entry r;
	struct mapi_request_entry *slot;
	struct call c;
	char *q;

	memset(&r, 0, sizeof(r));
	r.time_ns = mapi_clock_now_ns(ev->clock);
	copy_bounded(r.method, sizeof(r.method), in->method);
	copy_bounded(r.path, sizeof(r.path), in->path);
	q = strchr(r.path, '?');
	if (q != NULL) {
		*q = '\0';
	}
	copy_bounded(r.user, sizeof(r.user), in->user);
	r.code = in->code;
	copy_bounded(r.jti, sizeof(r.jti), in->jti);
	r.duration_us = in->duration_us;
	copy_bounded(r.fault, sizeof(r.fault), in->fault);

	(void)pthread_mutex_lock(&ev->mu);
	slot = ring_push(&ev->requests, &r.seq);
	*slot = r;
	call_begin(ev, &c);
	(void)pthread_cond_broadcast(&ev->requests.cond);
	(void)pthread_mutex_unlock(&ev->mu);
	call_end(ev, &c, NULL, &r);
	return r.seq;
}

/* RFC 3339 with microseconds, "2025-06-01T10:00:00.123456Z". */
static void
format_time_us(int64_t t_ns, char *buf, size_t len)
{
	int64_t sec = t_ns / MAPI_NS_PER_SEC;
	int64_t rem = t_ns % MAPI_NS_PER_SEC;
	int64_t us;
	size_t n;
	int i;

	if (rem < 0) {
		rem += MAPI_NS_PER_SEC;
		sec--;
	}
	if (len < 28 || !mapi_time_format_rfc3339(sec, buf, len)) {
		(void)snprintf(buf, len, "@%" PRId64, t_ns);
		return;
	}
	n = strlen(buf) - 1; /* the "Z" */
	buf[n++] = '.';
	us = rem / 1000;
	for (i = 5; i >= 0; i--) {
		buf[n + (size_t)i] = (char)('0' + us % 10);
		us /= 10;
	}
	buf[n + 6] = 'Z';
	buf[n + 7] = '\0';
}

static bool
add_str(cJSON *obj, const char *key, const char *val)
{
	if (val[0] == '\0') {
		return true;
	}
	return cJSON_AddStringToObject(obj, key, val) != NULL;
}

static bool
add_num(cJSON *obj, const char *key, int64_t val)
{
	if (val == 0) {
		return true;
	}
	return cJSON_AddNumberToObject(obj, key, (double)val) != NULL;
}

static cJSON *
event_to_json(const struct mapi_event *e)
{
	cJSON *obj = cJSON_CreateObject();
	cJSON *aud;
	char when[48];
	size_t i;
	bool ok;

	if (obj == NULL) {
		return NULL;
	}
	format_time_us(e->time_ns, when, sizeof(when));
	ok = cJSON_AddNumberToObject(obj, "seq", (double)e->seq) != NULL &&
	     cJSON_AddStringToObject(obj, "time", when) != NULL &&
	     cJSON_AddStringToObject(obj, "type",
	                             mapi_event_type_name(e->type)) != NULL &&
	     add_str(obj, "jti", e->jti) &&
	     add_str(obj, "tokenPrefix", e->token_prefix) &&
	     add_str(obj, "sub", e->sub);
	if (ok && e->n_audiences > 0) {
		aud = cJSON_AddArrayToObject(obj, "audiences");
		ok = aud != NULL;
		for (i = 0; ok && i < e->n_audiences; i++) {
			cJSON *s = cJSON_CreateString(e->audiences[i]);

			ok = s != NULL && cJSON_AddItemToArray(aud, s);
			if (!ok) {
				cJSON_Delete(s);
			}
		}
	}
	ok = ok && add_num(obj, "iat", e->iat) && add_num(obj, "exp", e->exp) &&
	     add_num(obj, "warnafter", e->warnafter) &&
	     add_str(obj, "pod", e->pod) && add_str(obj, "kid", e->kid) &&
	     add_str(obj, "reason", e->reason) &&
	     add_str(obj, "volume", e->volume);
	if (!ok) {
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
}

static cJSON *
request_to_json(const struct mapi_request_entry *r)
{
	cJSON *obj = cJSON_CreateObject();
	char when[48];
	bool ok;

	if (obj == NULL) {
		return NULL;
	}
	format_time_us(r->time_ns, when, sizeof(when));
	ok = cJSON_AddNumberToObject(obj, "seq", (double)r->seq) != NULL &&
	     cJSON_AddStringToObject(obj, "time", when) != NULL &&
	     add_str(obj, "method", r->method) &&
	     add_str(obj, "path", r->path) && add_str(obj, "user", r->user) &&
	     cJSON_AddNumberToObject(obj, "code", r->code) != NULL &&
	     add_str(obj, "jti", r->jti) &&
	     cJSON_AddNumberToObject(obj, "durationUs",
	                             (double)r->duration_us) != NULL &&
	     add_str(obj, "fault", r->fault);
	if (!ok) {
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
}

static enum mapi_err
ring_since(struct mapi_events *ev, struct ring *r, const char *key,
           cJSON *(*to_json)(const void *), uint64_t since, size_t max,
           cJSON **out_json)
{
	cJSON *root = NULL;
	cJSON *items;
	enum mapi_err err = MAPI_ENOMEM;
	uint64_t start, end, seq, next = since, dropped = 0;

	root = cJSON_CreateObject();
	if (root == NULL) {
		goto out;
	}
	items = cJSON_AddArrayToObject(root, key);
	if (items == NULL) {
		goto out;
	}
	(void)pthread_mutex_lock(&ev->mu);
	start = since + 1;
	if (since == UINT64_MAX) {
		start = since;
	}
	if (start < r->first_seq) {
		dropped = r->first_seq - start;
		start = r->first_seq;
	}
	end = r->next_seq;
	if (max > 0 && start < end && end - start > max) {
		end = start + max;
	}
	for (seq = start; seq < end; seq++) {
		cJSON *item = to_json(ring_at(r, seq));

		if (item == NULL || !cJSON_AddItemToArray(items, item)) {
			cJSON_Delete(item);
			(void)pthread_mutex_unlock(&ev->mu);
			goto out;
		}
		next = seq;
	}
	(void)pthread_mutex_unlock(&ev->mu);
	if (cJSON_AddNumberToObject(root, "next", (double)next) == NULL ||
	    cJSON_AddNumberToObject(root, "dropped", (double)dropped) == NULL) {
		goto out;
	}
	*out_json = root;
	root = NULL;
	err = MAPI_OK;
out:
	cJSON_Delete(root);
	return err;
}

static cJSON *
event_item(const void *p)
{
	return event_to_json(p);
}

static cJSON *
request_item(const void *p)
{
	return request_to_json(p);
}

enum mapi_err
mapi_events_since(struct mapi_events *ev, uint64_t since, size_t max,
                  cJSON **out_json)
{
	return ring_since(ev, &ev->events, "events", event_item, since, max,
	                  out_json);
}

enum mapi_err
mapi_events_requests_since(struct mapi_events *ev, uint64_t since, size_t max,
                           cJSON **out_json)
{
	return ring_since(ev, &ev->requests, "requests", request_item, since,
	                  max, out_json);
}

static uint64_t
ring_last(struct mapi_events *ev, const struct ring *r)
{
	uint64_t last;

	(void)pthread_mutex_lock(&ev->mu);
	last = r->next_seq - 1;
	(void)pthread_mutex_unlock(&ev->mu);
	return last;
}

uint64_t
mapi_events_last_seq(struct mapi_events *ev)
{
	return ring_last(ev, &ev->events);
}

uint64_t
mapi_events_requests_last_seq(struct mapi_events *ev)
{
	return ring_last(ev, &ev->requests);
}

static bool
ring_wait(struct mapi_events *ev, struct ring *r, uint64_t since,
          int64_t timeout_ns)
{
	struct timespec deadline;
	bool ready;

	(void)clock_gettime(CLOCK_MONOTONIC, &deadline);
	if (timeout_ns > 0) {
		int64_t ns = deadline.tv_nsec + timeout_ns % MAPI_NS_PER_SEC;

		deadline.tv_sec += (time_t)(timeout_ns / MAPI_NS_PER_SEC) +
		                   (time_t)(ns / MAPI_NS_PER_SEC);
		deadline.tv_nsec = (long)(ns % MAPI_NS_PER_SEC);
	}
	(void)pthread_mutex_lock(&ev->mu);
	for (;;) {
		ready = r->next_seq - 1 > since;
		if (ready || ev->shutdown || timeout_ns <= 0) {
			break;
		}
		if (pthread_cond_timedwait(&r->cond, &ev->mu, &deadline) ==
		    ETIMEDOUT) {
			ready = r->next_seq - 1 > since;
			break;
		}
	}
	(void)pthread_mutex_unlock(&ev->mu);
	return ready;
}

bool
mapi_events_wait(struct mapi_events *ev, uint64_t since, int64_t timeout_ns)
{
	return ring_wait(ev, &ev->events, since, timeout_ns);
}

bool
mapi_events_requests_wait(struct mapi_events *ev, uint64_t since,
                          int64_t timeout_ns)
{
	return ring_wait(ev, &ev->requests, since, timeout_ns);
}

void
mapi_events_shutdown(struct mapi_events *ev)
{
	(void)pthread_mutex_lock(&ev->mu);
	ev->shutdown = true;
	(void)pthread_cond_broadcast(&ev->events.cond);
	(void)pthread_cond_broadcast(&ev->requests.cond);
	(void)pthread_mutex_unlock(&ev->mu);
}

void
mapi_events_clear(struct mapi_events *ev)
{
	(void)pthread_mutex_lock(&ev->mu);
	ev->events.first_seq = ev->events.next_seq;
	ev->requests.first_seq = ev->requests.next_seq;
	(void)pthread_mutex_unlock(&ev->mu);
}

void
mapi_events_set_subscriber(struct mapi_events *ev,
                           mapi_events_subscriber_fn *fn, void *payload)
{
	const struct timespec pause = { .tv_sec = 0, .tv_nsec = 100000 };
	unsigned old;

	(void)pthread_mutex_lock(&ev->set_mu);
	(void)pthread_mutex_lock(&ev->mu);
	old = ev->sub_gen & 1;
	ev->sub_gen++;
	ev->sub_fn = fn;
	ev->sub_payload = fn != NULL ? payload : NULL;
	ev->sub_order = 0;
	(void)pthread_mutex_unlock(&ev->mu);
	/* Rare (start-up, shutdown): poll rather than make every add
	 * signal. Calls of the new subscriber count in the other slot. */
	while (atomic_load(&ev->sub_busy[old]) != 0) {
		(void)nanosleep(&pause, NULL);
	}
	(void)pthread_mutex_unlock(&ev->set_mu);
}

/* An snprintf-like appender that keeps counting past the end of buf. */
struct line {
	char *buf;
	size_t len;
	size_t used; /* bytes the whole line needs so far */
};

static void
line_putc(struct line *l, char c)
{
	if (l->used + 1 < l->len) {
		l->buf[l->used] = c;
		l->buf[l->used + 1] = '\0';
	}
	l->used++;
}

static void
line_puts(struct line *l, const char *s)
{
	while (*s != '\0') {
		line_putc(l, *s++);
	}
}

static void line_printf(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
line_printf(struct line *l, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	line_puts(l, tmp);
}

/* " key=value", quoting values that have spaces, quotes or controls. */
static void
line_kv(struct line *l, const char *key, const char *val)
{
	const char *p;
	bool quote = false;

	if (val[0] == '\0') {
		return;
	}
	for (p = val; *p != '\0'; p++) {
		if (*p == ' ' || *p == '"' || *p == '\\' || *p == '=' ||
		    (unsigned char)*p < 0x20 || *p == 0x7f) {
			quote = true;
		}
	}
	line_putc(l, ' ');
	line_puts(l, key);
	line_putc(l, '=');
	if (!quote) {
		line_puts(l, val);
		return;
	}
	line_putc(l, '"');
	for (p = val; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			line_putc(l, '\\');
			line_putc(l, *p);
		} else if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			line_printf(l, "\\x%02x", (unsigned)(unsigned char)*p);
		} else {
			line_putc(l, *p);
		}
	}
	line_putc(l, '"');
}

/* prefix, then u in decimal (no printf: this runs for every request). */
static void
line_u64(struct line *l, const char *prefix, uint64_t u)
{
	char d[24];
	size_t n = 0;

	line_puts(l, prefix);
	do {
		d[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	while (n > 0) {
		line_putc(l, d[--n]);
	}
}

static void
line_i64(struct line *l, const char *prefix, int64_t v)
{
	if (v < 0) {
		line_puts(l, prefix);
		line_u64(l, "-", (uint64_t)0 - (uint64_t)v);
		return;
	}
	line_u64(l, prefix, (uint64_t)v);
}

static void
line_num(struct line *l, const char *key, int64_t val)
{
	if (val != 0) {
		line_putc(l, ' ');
		line_puts(l, key);
		line_i64(l, "=", val);
	}
}

static size_t
json_line(cJSON *obj, char *buf, size_t len)
{
	char *text;
	size_t n;

	if (obj == NULL) {
		return 0;
	}
	text = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	if (text == NULL) {
		return 0;
	}
	n = strlen(text);
	if (len > 0) {
		copy_bounded(buf, len, text);
	}
	cJSON_free(text);
	return n;
}

size_t
mapi_events_format_line(const struct mapi_event *ev, enum mapi_log_format fmt,
                        char *buf, size_t len)
{
	struct line l = { .buf = buf, .len = len, .used = 0 };
	char when[48];
	size_t i;

	if (fmt == MAPI_LOG_JSON) {
		return json_line(event_to_json(ev), buf, len);
	}
	if (len > 0) {
		buf[0] = '\0';
	}
	format_time_us(ev->time_ns, when, sizeof(when));
	line_puts(&l, when);
	line_kv(&l, "event", mapi_event_type_name(ev->type));
	line_u64(&l, " seq=", ev->seq);
	line_kv(&l, "jti", ev->jti);
	line_kv(&l, "tokenPrefix", ev->token_prefix);
	line_kv(&l, "sub", ev->sub);
	for (i = 0; i < ev->n_audiences; i++) {
		line_kv(&l, "aud", ev->audiences[i]);
	}
	line_num(&l, "iat", ev->iat);
	line_num(&l, "exp", ev->exp);
	line_num(&l, "warnafter", ev->warnafter);
	line_kv(&l, "pod", ev->pod);
	line_kv(&l, "kid", ev->kid);
	line_kv(&l, "reason", ev->reason);
	line_kv(&l, "volume", ev->volume);
	return l.used;
}

size_t
mapi_events_format_request_line(const struct mapi_request_entry *req,
                                enum mapi_log_format fmt, char *buf, size_t len)
{
	struct line l = { .buf = buf, .len = len, .used = 0 };
	char when[48];

	if (fmt == MAPI_LOG_JSON) {
		return json_line(request_to_json(req), buf, len);
	}
	if (len > 0) {
		buf[0] = '\0';
	}
	format_time_us(req->time_ns, when, sizeof(when));
	line_puts(&l, when);
	line_u64(&l, " request seq=", req->seq);
	line_kv(&l, "method", req->method);
	line_kv(&l, "path", req->path);
	line_kv(&l, "user", req->user);
	line_i64(&l, " code=", req->code);
	line_kv(&l, "jti", req->jti);
	line_i64(&l, " durationUs=", req->duration_us);
	line_kv(&l, "fault", req->fault);
	return l.used;
}
