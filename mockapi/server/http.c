/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* strcasecmp, strndup */
#include "server/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "server/status.h"

/* TLS 1.2 minimum, as kube-apiserver's default (--tls-min-version). */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* One serving thread: an MHD daemon with one internal polling thread. */
struct worker {
	struct MHD_Daemon *daemon;
	atomic_uint conns; /* handed over and not yet closed */
};

/*
 * A streaming response and its waker. Lock order: a producer's locks, then
 * mu, then MHD's own. parked/pending/ended are guarded by mu.
 */
struct mapi_stream_waker {
	pthread_mutex_t mu;
	struct mapi_http *http;
	struct MHD_Connection *conn;
	struct mapi_response r; /* the stream callbacks and payload */
	bool parked;            /* MHD_suspend_connection() in effect */
	bool pending;           /* woken while not parked */
	bool listed;            /* in http->streams */
	struct mapi_stream_waker *prev, *next;
};

struct mapi_http {
	/*
	 * The listen socket is ours, not MHD's: one acceptor thread accepts
	 * and hands each connection with MHD_add_connection() to the worker
	 * with the fewest open connections (round robin among equals). MHD's
	 * own thread pool lets every thread race for the listen socket, and
	 * a burst of connections can all land on one thread, leaving the
	 * other cores idle (perf-baseline F3).
	 */
	struct worker *workers;
	unsigned n_workers;
	unsigned next; /* acceptor only: where the round robin starts */
	unsigned port;
	int listen_fd;
	pthread_t acceptor;
	bool acceptor_started;
	atomic_bool stopping; /* set before the listen socket is shut */
	/* Streams that have a waker, for the heartbeat and for stop. */
	pthread_mutex_t streams_mu;
	struct mapi_stream_waker *streams;
	mapi_http_handler_fn *handler;
	void *handler_payload;
	mapi_http_log_fn *log;
	void *log_payload;
	char *cert_pem; /* MHD keeps pointers to these until stop */
	char *key_pem;
};

/* Per-request state: allocated at the request line, freed on completion. */
struct request_state {
	char *uri;    /* raw request target as sent */
	char *path;   /* points into a copy: raw path */
	char *query;  /* raw query, or "" */
	bool started; /* the first access callback has been seen */
	bool too_large;
	char *body;
	size_t body_len;
	size_t body_cap;
	struct timespec t0;
};

/* ---- pure parts: request accessors, response setters ---- */

const char *
mapi_request_header(const struct mapi_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->n_headers; i++) {
		if (strcasecmp(req->headers[i].name, name) == 0) {
			return req->headers[i].value;
		}
	}
	return NULL;
}

const char *
mapi_request_query(const struct mapi_request *req, const char *key)
{
	size_t i;

	for (i = 0; i < req->n_params; i++) {
		if (strcmp(req->params[i].name, key) == 0) {
			return req->params[i].value;
		}
	}
	return NULL;
}

void
mapi_response_init(struct mapi_response *resp)
{
	memset(resp, 0, sizeof(*resp));
}

void
mapi_response_fini(struct mapi_response *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
	if (resp->stream_free != NULL) {
		resp->stream_free(resp->stream_payload);
	}
	resp->stream_read = NULL;
	resp->stream_free = NULL;
	resp->stream_attach = NULL;
	resp->stream_payload = NULL;
}

enum mapi_err
mapi_response_adopt_body(struct mapi_response *resp, int code,
                         const char *content_type, char *body, size_t len)
{
	if (content_type == NULL ||
	    strlen(content_type) >= sizeof(resp->content_type)) {
		free(body);
		return MAPI_EINVAL;
	}
	mapi_response_fini(resp);
	resp->code = code;
	(void)snprintf(resp->content_type, sizeof(resp->content_type), "%s",
	               content_type);
	resp->body = body;
	resp->body_len = len;
	return MAPI_OK;
}

enum mapi_err
mapi_response_set_body(struct mapi_response *resp, int code,
                       const char *content_type, const void *body, size_t len)
{
	char *copy = malloc(len + 1);

	if (copy == NULL) {
		return MAPI_ENOMEM;
	}
	if (len > 0) {
		memcpy(copy, body, len);
	}
	copy[len] = '\0';
	return mapi_response_adopt_body(resp, code, content_type, copy, len);
}

enum mapi_err
mapi_response_add_header(struct mapi_response *resp, const char *name,
                         const char *value)
{
	size_t i = resp->n_headers;

	if (i >= MAPI_RESPONSE_MAX_HEADERS) {
		return MAPI_ETOOMANY;
	}
	if (strlen(name) >= sizeof(resp->headers[i].name) ||
	    strlen(value) >= sizeof(resp->headers[i].value) ||
	    strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL ||
	    name[0] == '\0') {
		return MAPI_EINVAL;
	}
	(void)snprintf(resp->headers[i].name, sizeof(resp->headers[i].name),
	               "%s", name);
	(void)snprintf(resp->headers[i].value, sizeof(resp->headers[i].value),
	               "%s", value);
	resp->n_headers++;
	return MAPI_OK;
}

const char *
mapi_response_find_header(const struct mapi_response *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->n_headers; i++) {
		if (strcasecmp(resp->headers[i].name, name) == 0) {
			return resp->headers[i].value;
		}
	}
	return NULL;
}

void
mapi_response_set_stream(struct mapi_response *resp, int code,
                         const char *content_type, mapi_stream_read_fn *read_fn,
                         mapi_stream_free_fn *free_fn,
                         mapi_stream_attach_fn *attach_fn, void *payload)
{
	mapi_response_fini(resp);
	resp->code = code;
	(void)snprintf(resp->content_type, sizeof(resp->content_type), "%s",
	               content_type != NULL ? content_type : "");
	resp->stream_read = read_fn;
	resp->stream_free = free_fn;
	resp->stream_attach = attach_fn;
	resp->stream_payload = payload;
}

/* ---- query decoding ---- */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/*
 * Decodes application/x-www-form-urlencoded text in place (Go's
 * url.QueryUnescape: '+' is a space). Returns false on a bad escape.
 */
static bool
form_decode(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++) {
		if (*s == '+') {
			*w++ = ' ';
		} else if (*s == '%') {
			int hi = hexval(s[1]);
			int lo = hi < 0 ? -1 : hexval(s[2]);

			if (lo < 0) {
				return false;
			}
			*w++ = (char)(hi * 16 + lo);
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
	return true;
}

/*
 * Splits a copy of the raw query into decoded pairs (at most max).
 * Pairs with a bad escape are dropped, as Go's url.ParseQuery does.
 */
static size_t
parse_query(char *q, struct mapi_http_pair *params, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	char *tok;

	for (tok = strtok_r(q, "&;", &save); tok != NULL && n < max;
	     tok = strtok_r(NULL, "&;", &save)) {
		char *eq = strchr(tok, '=');
		char *val = tok + strlen(tok); /* "" inside the writable copy */

		if (eq != NULL) {
			*eq = '\0';
			val = eq + 1;
		}
		if (!form_decode(tok) || !form_decode(val)) {
			continue;
		}
		params[n].name = tok;
		params[n].value = val;
		n++;
	}
	return n;
}

/* ---- MHD glue ---- */

static int64_t
mono_ns(void)
{
	struct timespec ts;

	/* A duration, not "now": the monotonic clock, not the mock clock. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct request_state *st = calloc(1, sizeof(*st));
	char *q;

	(void)cls;
	(void)conn;
	if (st == NULL) {
		return NULL;
	}
	st->uri = strdup(uri != NULL ? uri : "");
	if (st->uri == NULL) {
		free(st);
		return NULL;
	}
	st->path = st->uri;
	q = strchr(st->uri, '?');
	if (q != NULL) {
		*q = '\0';
		st->query = q + 1;
	} else {
		st->query = st->uri + strlen(st->uri);
	}
	st->t0.tv_sec = 0;
	(void)clock_gettime(CLOCK_MONOTONIC, &st->t0);
	return st;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
	struct request_state *st = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (st == NULL) {
		return;
	}
	free(st->body);
	free(st->uri);
	free(st);
	*con_cls = NULL;
}

struct header_walk {
	struct mapi_http_pair *pairs;
	size_t n;
	bool overflow;
};

static enum MHD_Result
collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
               const char *value)
{
	struct header_walk *w = cls;

	(void)kind;
	if (w->n >= MAPI_HTTP_MAX_HEADERS) {
		w->overflow = true;
		return MHD_NO;
	}
	w->pairs[w->n].name = key != NULL ? key : "";
	w->pairs[w->n].value = value != NULL ? value : "";
	w->n++;
	return MHD_YES;
}

#define PEER_LEN (INET6_ADDRSTRLEN + 16) /* "[addr]:port" */

static void
format_peer(struct MHD_Connection *conn, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	char host[INET6_ADDRSTRLEN] = "";

	buf[0] = '\0';
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL) {
		return;
	}
	if (ci->client_addr->sa_family == AF_INET) {
		const struct sockaddr_in *a =
			(const struct sockaddr_in *)(const void *)
				ci->client_addr;

		(void)inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		(void)snprintf(buf, len, "%s:%u", host, ntohs(a->sin_port));
	} else if (ci->client_addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a =
			(const struct sockaddr_in6 *)(const void *)
				ci->client_addr;

		(void)inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		(void)snprintf(buf, len, "[%s]:%u", host, ntohs(a->sin6_port));
	}
}

void
mapi_stream_wake(struct mapi_stream_waker *w)
{
	(void)pthread_mutex_lock(&w->mu);
	if (w->parked) {
		w->parked = false;
		MHD_resume_connection(w->conn);
	} else {
		w->pending = true;
	}
	(void)pthread_mutex_unlock(&w->mu);
}

static ssize_t
stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct mapi_stream_waker *w = cls;
	ssize_t n;

	(void)pos;
	(void)pthread_mutex_lock(&w->mu);
	w->pending = false;
	(void)pthread_mutex_unlock(&w->mu);
	n = w->r.stream_read(w->r.stream_payload, buf, max);
	if (n == 0 && w->listed) {
		/*
		 * Park unless a wake came in meanwhile. Once the server
		 * stops, end the stream instead: MHD must not be stopped
		 * with a connection suspended.
		 */
		(void)pthread_mutex_lock(&w->mu);
		if (atomic_load(&w->http->stopping)) {
			n = MAPI_STREAM_END;
		} else if (!w->pending) {
			w->parked = true;
			MHD_suspend_connection(w->conn);
		}
		(void)pthread_mutex_unlock(&w->mu);
	}
	if (n == MAPI_STREAM_END) {
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	if (n < 0) {
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	return n;
}

static void
stream_free(void *cls)
{
	struct mapi_stream_waker *w = cls;

	/* After this no producer calls mapi_stream_wake(w) any more. */
	if (w->r.stream_free != NULL) {
		w->r.stream_free(w->r.stream_payload);
	}
	if (w->listed) {
		struct mapi_http *http = w->http;

		(void)pthread_mutex_lock(&http->streams_mu);
		if (w->prev != NULL) {
			w->prev->next = w->next;
		} else {
			http->streams = w->next;
		}
		if (w->next != NULL) {
			w->next->prev = w->prev;
		}
		(void)pthread_mutex_unlock(&http->streams_mu);
	}
	(void)pthread_mutex_destroy(&w->mu);
	free(w);
}

/* Wakes every listed stream: the heartbeat, and stop (all resumed). */
static void
wake_all_streams(struct mapi_http *http)
{
	struct mapi_stream_waker *w;

	(void)pthread_mutex_lock(&http->streams_mu);
	for (w = http->streams; w != NULL; w = w->next) {
		mapi_stream_wake(w);
	}
	(void)pthread_mutex_unlock(&http->streams_mu);
}

/* Builds the MHD response from resp; takes the body/stream out of resp. */
static struct MHD_Response *
make_response(struct mapi_http *http, struct MHD_Connection *conn,
              struct mapi_response *resp)
{
	struct MHD_Response *r;
	size_t i;

	if (resp->stream_read != NULL) {
		struct mapi_stream_waker *w = calloc(1, sizeof(*w));

		if (w == NULL) {
			return NULL;
		}
		if (pthread_mutex_init(&w->mu, NULL) != 0) {
			free(w);
			return NULL;
		}
		w->http = http;
		w->conn = conn;
		w->r = *resp;
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384,
		                                      stream_reader, w,
		                                      stream_free);
		if (r == NULL) {
			(void)pthread_mutex_destroy(&w->mu);
			free(w);
			return NULL;
		}
		/* The stream now belongs to the MHD response. */
		resp->stream_read = NULL;
		resp->stream_free = NULL;
		resp->stream_attach = NULL;
		resp->stream_payload = NULL;
		if (w->r.stream_attach != NULL) {
			(void)pthread_mutex_lock(&http->streams_mu);
			w->listed = true;
			w->next = http->streams;
			if (w->next != NULL) {
				w->next->prev = w;
			}
			http->streams = w;
			(void)pthread_mutex_unlock(&http->streams_mu);
			w->r.stream_attach(w->r.stream_payload, w);
		}
	} else {
		r = MHD_create_response_from_buffer(
			resp->body_len,
			resp->body != NULL ? resp->body : (char *)"",
			resp->body != NULL ? MHD_RESPMEM_MUST_FREE
					   : MHD_RESPMEM_PERSISTENT);
		if (r == NULL) {
			return NULL;
		}
		resp->body = NULL;
		resp->body_len = 0;
	}
	if (resp->content_type[0] != '\0') {
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
		                              resp->content_type);
	}
	/* kube-apiserver's WithCacheControl default. */
	if (mapi_response_find_header(resp, "Cache-Control") == NULL) {
		(void)MHD_add_response_header(r, "Cache-Control",
		                              "no-cache, private");
	}
	for (i = 0; i < resp->n_headers; i++) {
		(void)MHD_add_response_header(r, resp->headers[i].name,
		                              resp->headers[i].value);
	}
	return r;
}

static enum MHD_Result
queue(struct mapi_http *http, struct MHD_Connection *conn,
      struct mapi_response *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	int code = resp->code;

	r = make_response(http, conn, resp);
	if (r == NULL) {
		static const char oom[] = "out of memory\n";

		r = MHD_create_response_from_buffer(
			sizeof(oom) - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
		code = 500;
		if (r == NULL) {
			return MHD_NO;
		}
	}
	ret = MHD_queue_response(conn, (unsigned)code, r);
	MHD_destroy_response(r);
	return ret;
}

static bool
append_body(struct request_state *st, const char *data, size_t n)
{
	size_t cap;
	char *p;

	if (st->too_large) {
		return true;
	}
	if (n > MAPI_HTTP_MAX_BODY - st->body_len) {
		/* Keep reading (and dropping) so the connection survives. */
		st->too_large = true;
		free(st->body);
		st->body = NULL;
		st->body_len = 0;
		st->body_cap = 0;
		return true;
	}
	if (st->body_len + n + 1 > st->body_cap) {
		cap = st->body_cap != 0 ? st->body_cap : 4096;
		while (cap < st->body_len + n + 1) {
			cap *= 2;
		}
		p = realloc(st->body, cap);
		if (p == NULL) {
			return false;
		}
		st->body = p;
		st->body_cap = cap;
	}
	memcpy(st->body + st->body_len, data, n);
	st->body_len += n;
	st->body[st->body_len] = '\0';
	return true;
}

static void
dispatch(struct mapi_http *http, struct MHD_Connection *conn,
         struct request_state *st, const char *method,
         struct mapi_response *resp, struct mapi_request *req,
         char peer_buf[PEER_LEN])
{
	struct mapi_http_pair headers[MAPI_HTTP_MAX_HEADERS];
	struct mapi_http_pair params[MAPI_HTTP_MAX_QUERY];
	struct header_walk walk = { .pairs = headers };
	const union MHD_ConnectionInfo *ci;
	const char *peer = peer_buf;
	char *qcopy;

	(void)MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header,
	                                &walk);
	if (walk.overflow) {
		/* Go's net/http answer to oversized header blocks. */
		if (mapi_response_set_body(
			    resp, 431, "text/plain; charset=utf-8",
			    "431 Request Header Fields Too Large",
			    35) != MAPI_OK) {
			resp->code = 500;
		}
		return;
	}
	if (st->too_large) {
		if (mapi_status_too_large(resp, MAPI_HTTP_MAX_BODY) !=
		    MAPI_OK) {
			resp->code = 500;
		}
		return;
	}
	qcopy = strdup(st->query);
	if (qcopy == NULL) {
		resp->code = 500;
		return;
	}
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci != NULL && ci->socket_context != NULL) {
		peer = ci->socket_context;
	} else {
		format_peer(conn, peer_buf, PEER_LEN);
	}
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_PROTOCOL);
	req->method = method;
	req->path = st->path;
	req->query = st->query;
	req->body = st->body != NULL ? st->body : "";
	req->body_len = st->body_len;
	req->peer = peer;
	req->tls = ci != NULL;
	req->headers = headers;
	req->n_headers = walk.n;
	req->params = params;
	req->n_params = parse_query(qcopy, params, MAPI_HTTP_MAX_QUERY);
	http->handler(req, resp, http->handler_payload);
	free(qcopy);
	if (!resp->drop_connection &&
	    (resp->code < 100 || resp->code > 599)) {
		mapi_response_fini(resp);
		resp->code = 0;
		if (mapi_status_internal(resp, "handler set no response") !=
		    MAPI_OK) {
			resp->code = 500;
		}
	}
}

static enum MHD_Result
on_access(void *cls, struct MHD_Connection *conn, const char *url,
          const char *method, const char *version, const char *upload_data,
          size_t *upload_data_size, void **con_cls)
{
	struct mapi_http *http = cls;
	struct request_state *st = *con_cls;
	struct mapi_request req = { 0 };
	struct mapi_response resp;
	char peer_buf[PEER_LEN]; /* outlives dispatch(): the log uses it */
	enum MHD_Result ret;

	(void)url;
	(void)version;
	if (st == NULL) {
		return MHD_NO; /* on_uri could not allocate: drop */
	}
	if (!st->started) {
		/* First call: never queue here (perf-baseline F1). */
		st->started = true;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (!append_body(st, upload_data, *upload_data_size)) {
			return MHD_NO;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	mapi_response_init(&resp);
	dispatch(http, conn, st, method, &resp, &req, peer_buf);
	if (resp.drop_connection) {
		/* MHD closes the connection when the handler says no. */
		resp.code = 0;
		ret = MHD_NO;
	} else {
		ret = queue(http, conn, &resp);
	}
	if (http->log != NULL) {
		struct mapi_http_log_entry e = {
			.method = method,
			.path = st->path,
			.peer = req.peer != NULL ? req.peer : "",
			.code = resp.code,
			.duration_ns = mono_ns() -
			               ((int64_t)st->t0.tv_sec * 1000000000 +
			                st->t0.tv_nsec),
			.body_len = st->body_len,
			.user = resp.log_user,
			.jti = resp.log_jti,
			.fault = resp.log_fault,
		};

		http->log(&e, http->log_payload);
	}
	mapi_response_fini(&resp);
	return ret;
}

static void
on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	/* http.c is the request-log adapter; MHD's own errors go to stderr. */
	fputs("mockapi: http: ", stderr);
	/* MHD's own format strings (MHD_OPTION_EXTERNAL_LOGGER). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	vfprintf(stderr, fmt, ap);
#pragma GCC diagnostic pop
}

/* Binds and listens; returns the fd or -1 with diag set. */
static int
listen_on(const char *addr, unsigned port, bool *out_v6, struct mapi_diag *diag)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int one = 1;
	int fd;
	int e;

	if (port > 65535) {
		mapi_diag_set(diag, "listen %s:%u: port out of range", addr,
		              port);
		return -1;
	}
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) ==
	    1) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		sl = sizeof(*a);
		*out_v6 = false;
	} else if (inet_pton(AF_INET6, addr,
	                     &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		sl = sizeof(*a);
		*out_v6 = true;
	} else {
		mapi_diag_set(diag, "listen %s: not an IP address literal",
		              addr);
		return -2;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		mapi_diag_set(diag, "listen: socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (*out_v6) {
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		                 sizeof(one));
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 512) != 0) {
		e = errno;
		(void)close(fd);
		if (*out_v6) {
			mapi_diag_set(diag, "listen [%s]:%u: %s", addr, port,
			              strerror(e));
		} else {
			mapi_diag_set(diag, "listen %s:%u: %s", addr, port,
			              strerror(e));
		}
		return -1;
	}
	return fd;
}

static unsigned
bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		return 0;
	}
	if (ss.ss_family == AF_INET6) {
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* The worker with the fewest open connections; ties go round robin. */
static struct worker *
pick_worker(struct mapi_http *http)
{
	unsigned best = http->next % http->n_workers;
	unsigned best_n = atomic_load(&http->workers[best].conns);
	unsigned i;

	for (i = 1; i < http->n_workers && best_n > 0; i++) {
		unsigned k = (http->next + i) % http->n_workers;
		unsigned n = atomic_load(&http->workers[k].conns);

		if (n < best_n) {
			best = k;
			best_n = n;
		}
	}
	http->next = best + 1;
	return &http->workers[best];
}

/* MHD_OPTION_NOTIFY_CONNECTION: keeps a worker's connection count. */
static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
              enum MHD_ConnectionNotificationCode toe)
{
	struct worker *w = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		/* The peer string, made once per connection, not per request. */
		char *peer = malloc(PEER_LEN);

		if (peer != NULL) {
			format_peer(conn, peer, PEER_LEN);
		}
		*socket_context = peer;
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		free(*socket_context);
		*socket_context = NULL;
		atomic_fetch_sub(&w->conns, 1);
	}
}

/*
 * The acceptor: polls the listen socket, accepts, and every
 * MAPI_STREAM_HEARTBEAT_MS wakes the parked streams. It ends when
 * mapi_http_stop() sets stopping and shuts the listen socket down. MHD owns
 * each accepted socket from MHD_add_connection() on, and closes it if that
 * fails.
 */
static void *
acceptor_main(void *arg)
{
	struct mapi_http *http = arg;
	struct sockaddr_storage ss;
	struct pollfd pfd = { .fd = http->listen_fd, .events = POLLIN };
	int64_t beat = mono_ns();
	socklen_t sl;
	int fd;

	while (!atomic_load(&http->stopping)) {
		int64_t now;

		if (poll(&pfd, 1, MAPI_STREAM_HEARTBEAT_MS) < 0 &&
		    errno != EINTR) {
			break;
		}
		now = mono_ns();
		if (now - beat >= (int64_t)MAPI_STREAM_HEARTBEAT_MS * 1000000) {
			beat = now;
			wake_all_streams(http);
		}
		if ((pfd.revents & POLLIN) == 0) {
			continue;
		}
		sl = sizeof(ss);
		fd = accept4(http->listen_fd, (struct sockaddr *)&ss, &sl,
		             SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			struct worker *w = pick_worker(http);

			atomic_fetch_add(&w->conns, 1);
			if (MHD_add_connection(w->daemon, fd,
			                       (struct sockaddr *)&ss,
			                       sl) != MHD_YES) {
				/* MHD has closed the socket. */
				atomic_fetch_sub(&w->conns, 1);
			}
		} else if (errno == EMFILE || errno == ENFILE ||
		           errno == ENOBUFS || errno == ENOMEM) {
			/* Out of descriptors or memory: let some close. */
			struct timespec ts = { 0, 10L * 1000 * 1000 };

			(void)nanosleep(&ts, NULL);
		} else if (errno == EBADF || errno == EINVAL ||
		           errno == ENOTSOCK) {
			break; /* the socket is gone */
		}
		/* EAGAIN, EINTR, ECONNABORTED, EPROTO, EPERM: go on. */
	}
	return NULL;
}

static struct MHD_Daemon *
start_worker(struct mapi_http *http, struct worker *w, unsigned flags)
{
	if (http->cert_pem != NULL) {
		return MHD_start_daemon(
			flags, 0, NULL, NULL, on_access, http,
			MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, http,
			MHD_OPTION_URI_LOG_CALLBACK, on_uri, http,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, http,
			MHD_OPTION_NOTIFY_CONNECTION, on_connection, w,
			MHD_OPTION_HTTPS_MEM_CERT, http->cert_pem,
			MHD_OPTION_HTTPS_MEM_KEY, http->key_pem,
			MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
			MHD_OPTION_END);
	}
	return MHD_start_daemon(flags, 0, NULL, NULL, on_access, http,
	                        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, http,
	                        MHD_OPTION_URI_LOG_CALLBACK, on_uri, http,
	                        MHD_OPTION_NOTIFY_COMPLETED, on_completed, http,
	                        MHD_OPTION_NOTIFY_CONNECTION, on_connection, w,
	                        MHD_OPTION_END);
}

enum mapi_err
mapi_http_start(const struct mapi_http_config *cfg, struct mapi_http **out_http,
                struct mapi_diag *diag)
{
	struct mapi_http *http = NULL;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
	                 MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC |
	                 MHD_ALLOW_SUSPEND_RESUME;
	enum mapi_err err = MAPI_ENOMEM;
	bool v6 = false;
	int fd = -1;

	if (cfg->handler == NULL || cfg->threads == 0 ||
	    (cfg->cert_pem == NULL) != (cfg->key_pem == NULL)) {
		mapi_diag_set(diag, "http: bad configuration");
		return MAPI_EINVAL;
	}
	http = calloc(1, sizeof(*http));
	if (http == NULL) {
		goto out;
	}
	http->listen_fd = -1;
	if (pthread_mutex_init(&http->streams_mu, NULL) != 0) {
		free(http);
		http = NULL;
		err = MAPI_EINTERNAL;
		goto out;
	}
	http->handler = cfg->handler;
	http->handler_payload = cfg->handler_payload;
	http->log = cfg->log;
	http->log_payload = cfg->log_payload;
	if (cfg->cert_pem != NULL) {
		http->cert_pem = strdup(cfg->cert_pem);
		http->key_pem = strdup(cfg->key_pem);
		if (http->cert_pem == NULL || http->key_pem == NULL) {
			goto out;
		}
		flags |= MHD_USE_TLS;
	}
	fd = listen_on(cfg->addr != NULL ? cfg->addr : "127.0.0.1", cfg->port,
	               &v6, diag);
	if (fd < 0) {
		err = fd == -2 ? MAPI_EINVAL : MAPI_EIO;
		goto out;
	}
	http->port = bound_port(fd);
	http->listen_fd = fd;
	fd = -1;
	/* Non-blocking: a connection reset between poll and accept. */
	(void)fcntl(http->listen_fd, F_SETFL,
	            fcntl(http->listen_fd, F_GETFL) | O_NONBLOCK);
	if (v6) {
		flags |= MHD_USE_IPv6;
	}
	if (cfg->error_log) {
		flags |= MHD_USE_ERROR_LOG;
	}
	http->workers = calloc(cfg->threads, sizeof(*http->workers));
	if (http->workers == NULL) {
		goto out;
	}
	for (; http->n_workers < cfg->threads; http->n_workers++) {
		struct worker *w = &http->workers[http->n_workers];

		atomic_init(&w->conns, 0);
		w->daemon = start_worker(http, w, flags);
		if (w->daemon == NULL) {
			mapi_diag_set(diag, "http: cannot start the server "
			                    "(bad TLS certificate or key?)");
			err = MAPI_EIO;
			goto out;
		}
	}
	if (pthread_create(&http->acceptor, NULL, acceptor_main, http) != 0) {
		mapi_diag_set(diag, "http: cannot start the acceptor thread");
		err = MAPI_EINTERNAL;
		goto out;
	}
	http->acceptor_started = true;
	*out_http = http;
	http = NULL;
	err = MAPI_OK;
out:
	if (fd >= 0) {
		(void)close(fd);
	}
	mapi_http_stop(http);
	return err;
}

unsigned
mapi_http_port(const struct mapi_http *http)
{
	return http->port;
}

void
mapi_http_stop(struct mapi_http *http)
{
	unsigned i;

	if (http == NULL) {
		return;
	}
	if (http->acceptor_started) {
		atomic_store(&http->stopping, true);
		/* Wakes the blocked accept4() (it fails with EINVAL). */
		(void)shutdown(http->listen_fd, SHUT_RDWR);
		(void)pthread_join(http->acceptor, NULL);
	}
	if (http->listen_fd >= 0) {
		(void)close(http->listen_fd);
	}
	/*
	 * MHD must not be stopped with a suspended connection: resume every
	 * parked stream; with stopping set their next read ends them.
	 */
	atomic_store(&http->stopping, true);
	wake_all_streams(http);
	for (i = 0; i < http->n_workers; i++) {
		MHD_stop_daemon(http->workers[i].daemon);
	}
	free(http->workers);
	if (http->key_pem != NULL) {
		/* Private key material: clear before free. */
		explicit_bzero(http->key_pem, strlen(http->key_pem));
	}
	free(http->key_pem);
	free(http->cert_pem);
	(void)pthread_mutex_destroy(&http->streams_mu);
	free(http);
}
