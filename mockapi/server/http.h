/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * http: the HTTP(S) transport. The ONLY file that includes <microhttpd.h>.
 *
 * It runs cfg.threads libmicrohttpd daemons, each with one internal
 * polling thread over poll(2) (never epoll: DESIGN.md §3, perf-baseline
 * F2), and one acceptor thread that owns the listen socket and hands each
 * new connection to the daemon with the fewest open connections (round
 * robin among equals), so a burst of connections cannot all land on one
 * thread (perf-baseline F3). It accumulates each request body up
 * to a hard bound, and calls ONE handler exactly once per complete request,
 * on MHD's second or later access callback (queuing on the first makes MHD
 * send "Connection: close", perf-baseline F1). The handler sees a plain
 * struct mapi_request and fills a struct mapi_response; neither mentions MHD,
 * so handlers and their tests never link against it.
 *
 * Ownership: struct mapi_request and everything it points to are owned by
 *   http.c and valid only during the handler call. struct mapi_response is
 *   owned by http.c too; the handler fills it through the mapi_response_*
 *   setters, which copy or adopt (as named) the bodies given to them.
 *   Per-request state is allocated when the request line arrives and freed
 *   when MHD reports the request completed.
 * Threads: the handler runs on one of the cfg.threads serving threads,
 *   concurrently with itself; it must be thread-safe. A connection stays on
 *   the thread it was given for its whole life. The log hook runs on the
 *   same thread after the response is queued.
 * Errors: enum mapi_err; outputs written only on MAPI_OK.
 * Limits: body MAPI_HTTP_MAX_BODY (413 beyond), MAPI_HTTP_MAX_HEADERS header
 *   fields (431 beyond), MAPI_HTTP_MAX_QUERY query parameters (extra ones are
 *   ignored), MAPI_RESPONSE_MAX_HEADERS extra response headers.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "errors.h"

/* kube-apiserver's MaxRequestBodyBytes: 3 MiB. */
#define MAPI_HTTP_MAX_BODY        ((size_t)3 * 1024 * 1024)
#define MAPI_HTTP_MAX_HEADERS     100
#define MAPI_HTTP_MAX_QUERY       64
#define MAPI_RESPONSE_MAX_HEADERS 8

/* One name/value pair (a header or a decoded query parameter). */
struct mapi_http_pair {
	const char *name;
	const char *value;
};

/*
 * A complete request as the handler sees it. All strings are NUL-terminated
 * and borrowed from http.c for the duration of the handler call.
 */
struct mapi_request {
	const char *method; /* "GET", "POST", ... as sent */
	const char *path;   /* raw path, NOT percent-decoded, no query */
	const char *query;  /* raw query after '?', or "" */
	const char *body;   /* body bytes (NUL-terminated), never NULL */
	size_t body_len;    /* bytes in body (excluding the NUL) */
	const char *peer;   /* "127.0.0.1:54321", "[::1]:54321" or "" */
	bool tls;           /* true when the request came over TLS */
	/* Header fields in arrival order; names as sent. */
	const struct mapi_http_pair *headers;
	size_t n_headers;
	/* Query parameters, percent-decoded ('+' is a space), in order. */
	const struct mapi_http_pair *params;
	size_t n_params;
};

/*
 * Streaming body producer (watch). Writes at most max bytes into buf and
 * returns how many; MAPI_STREAM_END to finish the body cleanly, or
 * MAPI_STREAM_ERROR to abort the connection. It must not block. Returning
 * 0 means "no data ready yet": a stream that was given a waker (see
 * mapi_stream_attach_fn) is then parked, costing its serving thread
 * nothing, until mapi_stream_wake() is called or the transport's
 * heartbeat (every MAPI_STREAM_HEARTBEAT_MS, so deadlines are kept and a
 * vanished client is noticed) calls it again; a stream without a waker is
 * called again on the next turn of its thread's event loop. Runs on a
 * serving thread.
 */
#define MAPI_STREAM_END   ((ssize_t)-1)
#define MAPI_STREAM_ERROR ((ssize_t)-2)
#define MAPI_STREAM_HEARTBEAT_MS 100
typedef ssize_t mapi_stream_read_fn(void *payload, char *buf, size_t max);
/*
 * Resumes a parked stream (its read function is called again soon). Safe
 * from any thread and under the producer's own locks (it takes only the
 * waker's lock and never calls back into the producer); a wake that comes
 * while the stream is not parked is remembered, so none is lost. Valid from
 * the attach call until the stream's free function has returned.
 */
struct mapi_stream_waker;
void mapi_stream_wake(struct mapi_stream_waker *waker);
/* Called once, on the serving thread, when the response is queued. */
typedef void mapi_stream_attach_fn(void *payload,
                                   struct mapi_stream_waker *waker);
/*
 * Frees the stream payload; called exactly once when the response is done.
 * After it returns the producer must not call mapi_stream_wake() again.
 */
typedef void mapi_stream_free_fn(void *payload);

/*
 * A response being built. Initialise with mapi_response_init(); http.c does
 * this before calling the handler and releases it afterwards. A handler
 * that leaves code at 0 gets a 500.
 */
struct mapi_response {
	int code; /* HTTP status; 0 = not set */
	char content_type[128];
	char *body; /* malloc'd, owned by the response */
	size_t body_len;
	struct {
		char name[48];
		char value[208];
	} headers[MAPI_RESPONSE_MAX_HEADERS];
	size_t n_headers;
	/* Streaming mode (chunked body); body is then unused. */
	mapi_stream_read_fn *stream_read;
	mapi_stream_free_fn *stream_free;
	mapi_stream_attach_fn *stream_attach; /* may be NULL */
	void *stream_payload;
	/* Close the connection without sending anything (fault injection);
	 * code and body are then ignored and the log hook sees code 0. */
	bool drop_connection;
	/* Passed to the log hook as is ("" = unknown); never a token. */
	char log_user[256];
	char log_jti[64];
	char log_fault[64];
};

/* Handles one complete request; must set resp->code (see the setters). */
typedef void mapi_http_handler_fn(const struct mapi_request *req,
                                  struct mapi_response *resp, void *payload);

/* One finished request, for the journal. Strings are borrowed. */
struct mapi_http_log_entry {
	const char *method;
	const char *path; /* raw path */
	const char *peer;
	int code;
	int64_t duration_ns; /* from request line to response queued */
	size_t body_len;     /* request body bytes */
	/* The handler's resp->log_user / log_jti / log_fault. */
	const char *user;
	const char *jti;
	const char *fault;
};
typedef void mapi_http_log_fn(const struct mapi_http_log_entry *entry,
                              void *payload);

/* What mapi_http_start() needs. Pointers are borrowed only during start. */
struct mapi_http_config {
	const char *addr; /* IPv4 or IPv6 literal ("127.0.0.1", "::1") */
	unsigned port;    /* 0 = any free port */
	unsigned threads; /* serving threads, >= 1 */
	/* PEM chain and key; both NULL means plain HTTP (tests only). */
	const char *cert_pem;
	const char *key_pem;
	mapi_http_handler_fn *handler;
	void *handler_payload;
	mapi_http_log_fn *log; /* may be NULL */
	void *log_payload;
	/* Forward MHD's own error messages (TLS errors etc.) to stderr. */
	bool error_log;
};

struct mapi_http;

/*
 * Binds addr:port, starts the pool and serves. A taken port gives MAPI_EIO
 * with diag "listen 127.0.0.1:6443: Address already in use"; a bad address
 * gives MAPI_EINVAL. On success *out_http is running and
 * mapi_http_port() reports the bound port.
 */
MAPI_NODISCARD enum mapi_err mapi_http_start(const struct mapi_http_config *cfg,
                                             struct mapi_http **out_http,
                                             struct mapi_diag *diag);

/* The bound TCP port (useful with port 0). */
unsigned mapi_http_port(const struct mapi_http *http);

/* Stops accepting, stops serving, joins the threads and frees. NULL ok. */
void mapi_http_stop(struct mapi_http *http);

/*
 * Request accessors (pure; no MHD). Header names compare case-insensitively
 * (RFC 9110 §5.1); the first match wins. Query keys compare exactly.
 * Both return NULL when absent.
 */
const char *mapi_request_header(const struct mapi_request *req,
                                const char *name);
const char *mapi_request_query(const struct mapi_request *req, const char *key);

/* Zeroes resp (code 0, no body, no headers). */
void mapi_response_init(struct mapi_response *resp);

/* Frees the body and, if a stream was set and not handed over, the stream. */
void mapi_response_fini(struct mapi_response *resp);

/*
 * Sets code, content type and a copy of len bytes of body, replacing any
 * earlier body. MAPI_ENOMEM leaves resp unchanged.
 */
MAPI_NODISCARD enum mapi_err
mapi_response_set_body(struct mapi_response *resp, int code,
                       const char *content_type, const void *body, size_t len);

/*
 * Like mapi_response_set_body() but takes ownership of the malloc'd body
 * (always: on failure it is freed). Fails only for an over-long type.
 */
MAPI_NODISCARD enum mapi_err
mapi_response_adopt_body(struct mapi_response *resp, int code,
                         const char *content_type, char *body, size_t len);

/*
 * Adds a response header (copied). MAPI_ETOOMANY past
 * MAPI_RESPONSE_MAX_HEADERS, MAPI_EINVAL if name or value is too long or
 * contains CR/LF; resp unchanged on failure. Content-Type is set through the
 * body setters, not here.
 */
MAPI_NODISCARD enum mapi_err
mapi_response_add_header(struct mapi_response *resp, const char *name,
                         const char *value);

/* The value of a header already added (case-insensitive), or NULL. */
const char *mapi_response_find_header(const struct mapi_response *resp,
                                      const char *name);

/*
 * Switches resp to a chunked streaming body produced by read_fn. The
 * response takes ownership of payload: free_fn(payload) is called exactly
 * once, when the stream ends or the response is discarded. attach_fn (may
 * be NULL) hands the stream its waker before the first read.
 */
void mapi_response_set_stream(struct mapi_response *resp, int code,
                              const char *content_type,
                              mapi_stream_read_fn *read_fn,
                              mapi_stream_free_fn *free_fn,
                              mapi_stream_attach_fn *attach_fn, void *payload);
