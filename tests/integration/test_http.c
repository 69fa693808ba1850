/* SPDX-License-Identifier: MIT */
/*
 * server/http on its own: plain HTTP on loopback port 0 (IPv4 and IPv6),
 * a test handler, libcurl. Checks the request struct the handler sees
 * (raw path, decoded query, case-insensitive headers, body, peer), that
 * the handler runs exactly once per request, streaming (chunked) bodies,
 * extra response headers, the log hook, and how connections are spread
 * over the serving threads.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "server/http.h"
#include "th.h"

struct seen {
	pthread_mutex_t mu;
	int calls;
	int logs;
	int last_log_code;
	char last_log_path[256];
	int stream_frees;
};

struct stream_state {
	int left;
	int *freed;
};

static ssize_t
stream_read(void *payload, char *buf, size_t max)
{
	struct stream_state *s = payload;

	if (s->left == 0) {
		return MAPI_STREAM_END;
	}
	s->left--;
	return snprintf(buf, max, "{\"chunk\":%d}\n", s->left);
}

static void
stream_free(void *payload)
{
	struct stream_state *s = payload;

	(*s->freed)++;
	free(s);
}

static void
handler(const struct mapi_request *req, struct mapi_response *resp,
        void *payload)
{
	struct seen *seen = payload;
	char buf[2048];
	const char *a = mapi_request_query(req, "a");
	const char *x = mapi_request_header(req, "x-test-header");

	pthread_mutex_lock(&seen->mu);
	seen->calls++;
	pthread_mutex_unlock(&seen->mu);
	if (strcmp(req->path, "/stream") == 0) {
		struct stream_state *s = calloc(1, sizeof(*s));

		assert_non_null(s);
		s->left = 3;
		s->freed = &seen->stream_frees;
		mapi_response_set_stream(resp, 200, "application/json",
		                         stream_read, stream_free, NULL, s);
		return;
	}
	(void)snprintf(buf, sizeof(buf),
	               "method=%s path=%s query=%s a=%s x=%s len=%zu tls=%d "
	               "peer=%s",
	               req->method, req->path, req->query, a ? a : "(null)",
	               x ? x : "(null)", req->body_len, req->tls ? 1 : 0,
	               req->peer);
	assert_int_equal(mapi_response_set_body(resp, 201, "text/plain", buf,
	                                        strlen(buf)),
	                 MAPI_OK);
	assert_int_equal(
		mapi_response_add_header(resp, "Warning", "299 - \"hi\""),
		MAPI_OK);
	assert_int_equal(mapi_response_add_header(resp, "Bad", "a\r\nb"),
	                 MAPI_EINVAL);
}

static void
on_log(const struct mapi_http_log_entry *e, void *payload)
{
	struct seen *seen = payload;

	pthread_mutex_lock(&seen->mu);
	seen->logs++;
	seen->last_log_code = e->code;
	(void)snprintf(seen->last_log_path, sizeof(seen->last_log_path), "%s",
	               e->path);
	pthread_mutex_unlock(&seen->mu);
	assert_true(e->duration_ns >= 0);
}

struct fixture {
	struct seen seen;
	struct mapi_http *http;
	CURL *curl;
	char *body;
	size_t len;
	char headers[4096];
};

static size_t
on_body(char *p, size_t size, size_t n, void *ud)
{
	struct fixture *f = ud;
	char *b = realloc(f->body, f->len + size * n + 1);

	assert_non_null(b);
	memcpy(b + f->len, p, size * n);
	f->body = b;
	f->len += size * n;
	f->body[f->len] = '\0';
	return size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *ud)
{
	struct fixture *f = ud;
	size_t have = strlen(f->headers);

	if (have + size * n < sizeof(f->headers)) {
		memcpy(f->headers + have, p, size * n);
		f->headers[have + size * n] = '\0';
	}
	return size * n;
}

static int
start(void **state, const char *addr)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mapi_http_config cfg = {
		.addr = addr,
		.port = 0,
		.threads = 2,
		.handler = handler,
		.log = on_log,
	};
	struct mapi_diag d = { 0 };

	assert_non_null(f);
	pthread_mutex_init(&f->seen.mu, NULL);
	cfg.handler_payload = &f->seen;
	cfg.log_payload = &f->seen;
	if (mapi_http_start(&cfg, &f->http, &d) != MAPI_OK) {
		fail_msg("start: %s", d.msg);
	}
	assert_true(mapi_http_port(f->http) > 0);
	f->curl = curl_easy_init();
	assert_non_null(f->curl);
	*state = f;
	return 0;
}

static int
setup4(void **state)
{
	return start(state, "127.0.0.1");
}

static int
setup6(void **state)
{
	return start(state, "::1");
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	curl_easy_cleanup(f->curl);
	mapi_http_stop(f->http);
	pthread_mutex_destroy(&f->seen.mu);
	free(f->body);
	free(f);
	return 0;
}

static long
get(struct fixture *f, const char *host, const char *target, const char *body)
{
	struct curl_slist *h = NULL;
	char url[512];
	long code = 0;

	free(f->body);
	f->body = NULL;
	f->len = 0;
	f->headers[0] = '\0';
	(void)snprintf(url, sizeof(url), "http://%s:%u%s", host,
	               mapi_http_port(f->http), target);
	curl_easy_reset(f->curl);
	curl_easy_setopt(f->curl, CURLOPT_URL, url);
	curl_easy_setopt(f->curl, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(f->curl, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(f->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(f->curl, CURLOPT_HEADERDATA, f);
	h = curl_slist_append(h, "X-Test-Header: Yes");
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, h);
	if (body != NULL) {
		curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS, body);
	}
	assert_int_equal(curl_easy_perform(f->curl), CURLE_OK);
	curl_slist_free_all(h);
	curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &code);
	if (f->body == NULL) {
		f->body = calloc(1, 1);
	}
	return code;
}

static void
test_http_request_fields_reach_the_handler(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(get(f, "127.0.0.1", "/a%2Fb/c?a=x%20y+z&b", "hello"),
	                 201);
	assert_non_null(strstr(f->body, "method=POST path=/a%2Fb/c "
	                                "query=a=x%20y+z&b a=x y z x=Yes len=5 "
	                                "tls=0 peer=127.0.0.1:"));
	assert_non_null(strstr(f->headers, "Warning: 299 - \"hi\""));
	assert_non_null(strstr(f->headers, "Cache-Control: no-cache, private"));
	assert_int_equal(f->seen.calls, 1);
	assert_int_equal(f->seen.logs, 1);
	assert_int_equal(f->seen.last_log_code, 201);
	assert_string_equal(f->seen.last_log_path, "/a%2Fb/c");
}

static void
test_http_handler_runs_once_per_request(void **state)
{
	struct fixture *f = *state;
	char big[100000];
	int i;

	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 5; i++) {
		assert_int_equal(get(f, "127.0.0.1", "/x", big), 201);
		assert_non_null(strstr(f->body, "len=99999"));
	}
	assert_int_equal(f->seen.calls, 5);
	assert_int_equal(f->seen.logs, 5);
}

static void
test_http_streams_a_chunked_body(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(get(f, "127.0.0.1", "/stream", NULL), 200);
	assert_string_equal(f->body,
	                    "{\"chunk\":2}\n{\"chunk\":1}\n{\"chunk\":0}\n");
	assert_non_null(strstr(f->headers, "Transfer-Encoding: chunked"));
	/* Freed once the response completes; stop joins the pool. */
	mapi_http_stop(f->http);
	f->http = NULL;
	assert_int_equal(f->seen.stream_frees, 1);
}

static void
test_http_serves_ipv6_loopback(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(get(f, "[::1]", "/v6", NULL), 201);
	assert_non_null(strstr(f->body, "peer=[::1]:"));
}

static void
test_http_rejects_bad_addresses(void **state)
{
	struct mapi_http_config cfg = {
		.addr = "localhost",
		.threads = 1,
		.handler = handler,
	};
	struct mapi_http *http = NULL;
	struct mapi_diag d = { 0 };

	(void)state;
	assert_int_equal(mapi_http_start(&cfg, &http, &d), MAPI_EINVAL);
	assert_null(http);
	assert_string_equal(d.msg,
	                    "listen localhost: not an IP address literal");
	cfg.addr = "127.0.0.1";
	cfg.cert_pem = "x";
	assert_int_equal(mapi_http_start(&cfg, &http, &d), MAPI_EINVAL);
	cfg.key_pem = "not a key";
	assert_int_equal(mapi_http_start(&cfg, &http, &d), MAPI_EIO);
	assert_null(http);
}

static void
test_http_request_accessors(void **state)
{
	const struct mapi_http_pair headers[] = {
		{ "Authorization", "Bearer t" },
		{ "content-type", "application/json" },
	};
	const struct mapi_http_pair params[] = {
		{ "watch", "true" },
		{ "Watch", "no" },
	};
	const struct mapi_request req = {
		.headers = headers,
		.n_headers = 2,
		.params = params,
		.n_params = 2,
	};
	struct mapi_response r;
	size_t i;

	(void)state;
	assert_string_equal(mapi_request_header(&req, "authorization"),
	                    "Bearer t");
	assert_string_equal(mapi_request_header(&req, "Content-Type"),
	                    "application/json");
	assert_null(mapi_request_header(&req, "Accept"));
	assert_string_equal(mapi_request_query(&req, "watch"), "true");
	assert_string_equal(mapi_request_query(&req, "Watch"), "no");
	assert_null(mapi_request_query(&req, "limit"));
	mapi_response_init(&r);
	for (i = 0; i < MAPI_RESPONSE_MAX_HEADERS; i++) {
		assert_int_equal(mapi_response_add_header(&r, "A", "b"),
		                 MAPI_OK);
	}
	assert_int_equal(mapi_response_add_header(&r, "A", "b"), MAPI_ETOOMANY);
	assert_int_equal(
		mapi_response_adopt_body(&r, 200, "text/plain", NULL, 0),
		MAPI_OK);
	mapi_response_fini(&r);
}

/* ---- connection spreading: which thread served /cN ---- */

#define SPREAD_CONNS 6

struct spread {
	pthread_mutex_t mu;
	pthread_t thread[SPREAD_CONNS];
	bool seen[SPREAD_CONNS];
};

static void
spread_handler(const struct mapi_request *req, struct mapi_response *resp,
               void *payload)
{
	struct spread *sp = payload;
	int i = atoi(req->path + 2); /* "/cN" */

	if (i >= 0 && i < SPREAD_CONNS) {
		pthread_mutex_lock(&sp->mu);
		sp->thread[i] = pthread_self();
		sp->seen[i] = true;
		pthread_mutex_unlock(&sp->mu);
	}
	assert_int_equal(mapi_response_set_body(resp, 200, "text/plain", "ok",
	                                        2),
	                 MAPI_OK);
}

static int
raw_connect(unsigned port)
{
	struct sockaddr_in a = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* One keep-alive request on fd; reads until the 2-byte body arrived. */
static void
raw_get(int fd, int i)
{
	char req[128];
	char buf[1024];
	size_t have = 0;
	int n = snprintf(req, sizeof(req),
	                 "GET /c%d HTTP/1.1\r\nHost: x\r\n\r\n", i);

	assert_int_equal(write(fd, req, (size_t)n), n);
	while (have < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + have, sizeof(buf) - 1 - have);

		assert_true(r > 0);
		have += (size_t)r;
		buf[have] = '\0';
		if (strstr(buf, "\r\n\r\nok") != NULL) {
			return;
		}
	}
	fail_msg("no response on connection %d", i);
}

static int
count_on(const struct spread *sp, pthread_t t, int upto)
{
	int i;
	int n = 0;

	for (i = 0; i < upto; i++) {
		n += sp->seen[i] && pthread_equal(sp->thread[i], t);
	}
	return n;
}

/*
 * Connections go to the serving thread with the fewest open ones: four at
 * once split 2/2 over two threads, and after both of one thread's close,
 * the next two both go to that thread.
 */
static void
test_http_spreads_connections_over_threads(void **state)
{
	struct spread sp = { 0 };
	struct mapi_http_config cfg = {
		.addr = "127.0.0.1",
		.threads = 2,
		.handler = spread_handler,
		.handler_payload = &sp,
	};
	struct mapi_http *http = NULL;
	struct mapi_diag d = { 0 };
	struct timespec pause = { 0, 300 * 1000 * 1000 };
	int fd[SPREAD_CONNS];
	pthread_t a;
	pthread_t b = { 0 };
	int i;
	int j;

	(void)state;
	pthread_mutex_init(&sp.mu, NULL);
	assert_int_equal(mapi_http_start(&cfg, &http, &d), MAPI_OK);
	for (i = 0; i < 4; i++) {
		fd[i] = raw_connect(mapi_http_port(http));
	}
	for (i = 0; i < 4; i++) {
		raw_get(fd[i], i);
	}
	a = sp.thread[0];
	for (i = 1; i < 4; i++) {
		if (!pthread_equal(sp.thread[i], a)) {
			b = sp.thread[i];
		}
	}
	assert_int_equal(count_on(&sp, a, 4), 2);
	assert_int_equal(count_on(&sp, b, 4), 2);
	/* Close thread a's two connections; MHD notices the EOF. */
	for (i = 0; i < 4; i++) {
		if (pthread_equal(sp.thread[i], a)) {
			(void)close(fd[i]);
			fd[i] = -1;
		}
	}
	(void)nanosleep(&pause, NULL);
	for (i = 4; i < SPREAD_CONNS; i++) {
		fd[i] = raw_connect(mapi_http_port(http));
	}
	for (i = 4; i < SPREAD_CONNS; i++) {
		raw_get(fd[i], i);
		assert_true(pthread_equal(sp.thread[i], a));
	}
	for (j = 0; j < SPREAD_CONNS; j++) {
		if (fd[j] >= 0) {
			(void)close(fd[j]);
		}
	}
	mapi_http_stop(http);
	pthread_mutex_destroy(&sp.mu);
}

/* ---- parked streams ---- */

struct park {
	pthread_mutex_t mu;
	struct mapi_stream_waker *waker;
	int reads;    /* read calls so far */
	int ready;    /* chunks the test made available */
	int sent;     /* chunks written */
	bool freed;
};

static void
park_attach(void *payload, struct mapi_stream_waker *waker)
{
	struct park *p = payload;

	pthread_mutex_lock(&p->mu);
	p->waker = waker;
	pthread_mutex_unlock(&p->mu);
}

static ssize_t
park_read(void *payload, char *buf, size_t max)
{
	struct park *p = payload;
	ssize_t n = 0;

	pthread_mutex_lock(&p->mu);
	p->reads++;
	if (p->sent < p->ready) {
		p->sent++;
		n = snprintf(buf, max, "chunk%d\n", p->sent);
	}
	pthread_mutex_unlock(&p->mu);
	return n;
}

static void
park_free(void *payload)
{
	struct park *p = payload;

	pthread_mutex_lock(&p->mu);
	p->freed = true;
	p->waker = NULL;
	pthread_mutex_unlock(&p->mu);
}

static void
park_handler(const struct mapi_request *req, struct mapi_response *resp,
             void *payload)
{
	if (strcmp(req->path, "/park") == 0) {
		mapi_response_set_stream(resp, 200, "text/plain", park_read,
		                         park_free, park_attach, payload);
		return;
	}
	assert_int_equal(mapi_response_set_body(resp, 200, "text/plain", "ok",
	                                        2),
	                 MAPI_OK);
}

/* Reads from fd until needle shows up (bounded: 5 s). */
static void
read_until(int fd, const char *needle)
{
	char buf[4096];
	size_t have = 0;
	struct timespec t0, t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	buf[0] = '\0';
	while (strstr(buf, needle) == NULL) {
		ssize_t r;

		(void)clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 5 || have >= sizeof(buf) - 1) {
			fail_msg("no \"%s\" within 5 s (got \"%s\")", needle,
			         buf);
		}
		r = read(fd, buf + have, sizeof(buf) - 1 - have);
		assert_true(r > 0);
		have += (size_t)r;
		buf[have] = '\0';
	}
}

/*
 * A stream with a waker that has nothing to send is parked: its one
 * serving thread goes on serving other connections, its read function is
 * called only by the heartbeat (not in a loop), mapi_stream_wake() from
 * another thread resumes it, and stopping the server with it parked is
 * clean.
 */
static void
test_http_parks_idle_streams(void **state)
{
	struct park p = { 0 };
	struct mapi_http_config cfg = {
		.addr = "127.0.0.1",
		.threads = 1,
		.handler = park_handler,
		.handler_payload = &p,
	};
	struct mapi_http *http = NULL;
	struct mapi_diag d = { 0 };
	struct timespec pause = { 0, 500 * 1000 * 1000 };
	const char get[] = "GET /park HTTP/1.1\r\nHost: x\r\n\r\n";
	int reads;
	int fd;
	int other;
	int i;

	(void)state;
	pthread_mutex_init(&p.mu, NULL);
	assert_int_equal(mapi_http_start(&cfg, &http, &d), MAPI_OK);
	fd = raw_connect(mapi_http_port(http));
	assert_int_equal(write(fd, get, sizeof(get) - 1),
	                 (ssize_t)(sizeof(get) - 1));
	read_until(fd, "\r\n\r\n"); /* headers sent, body parked */
	pthread_mutex_lock(&p.mu);
	p.reads = 0;
	pthread_mutex_unlock(&p.mu);
	/* The only serving thread still answers other connections. */
	other = raw_connect(mapi_http_port(http));
	for (i = 0; i < 20; i++) {
		raw_get(other, 0);
	}
	(void)nanosleep(&pause, NULL);
	pthread_mutex_lock(&p.mu);
	reads = p.reads;
	pthread_mutex_unlock(&p.mu);
	/* ~5 heartbeats in 500 ms; an unparked stream is read ~nonstop. */
	assert_true(reads <= 500 / MAPI_STREAM_HEARTBEAT_MS + 5);
	/* A wake from this thread delivers the chunk. */
	pthread_mutex_lock(&p.mu);
	p.ready = 1;
	assert_non_null(p.waker);
	mapi_stream_wake(p.waker);
	pthread_mutex_unlock(&p.mu);
	read_until(fd, "chunk1");
	/* Stop while the stream is parked again. */
	mapi_http_stop(http);
	assert_true(p.freed);
	(void)close(other);
	(void)close(fd);
	pthread_mutex_destroy(&p.mu);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_http_request_fields_reach_the_handler, setup4,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_http_handler_runs_once_per_request, setup4,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_http_streams_a_chunked_body, setup4, teardown),
		cmocka_unit_test_setup_teardown(test_http_serves_ipv6_loopback,
		                                setup6, teardown),
		cmocka_unit_test(test_http_rejects_bad_addresses),
		cmocka_unit_test(test_http_request_accessors),
		cmocka_unit_test(test_http_spreads_connections_over_threads),
		cmocka_unit_test(test_http_parks_idle_streams),
	};
	int rc;

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests_name("integration_http", tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
