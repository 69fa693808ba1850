/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* accept4 */
/*
 * ceiling: the bare libmicrohttpd HTTPS server that scripts/bench measures
 * mockapi against. It does what mockapi's transport does and nothing else:
 * the same threads (one MHD daemon with one internal polling thread per
 * worker, poll, TLS through GnuTLS, and an acceptor thread that gives each
 * new connection to the worker with the fewest open ones), the same TLS
 * priority string as mockapi/server/http.c, the same
 * serving certificate and key (read from mockapi's state dir), and the
 * two-call pattern (the response is queued on the second access callback,
 * so keep-alive works; perf-baseline F1). Every request, whatever its method
 * and path, is answered 200 with the bytes of --body as application/json;
 * request bodies (POST) are read and dropped.
 *
 * This is a benchmark tool, not part of mockapi: it is the one file outside
 * mockapi/server/http.c that includes <microhttpd.h>, on purpose, because
 * it is the transport's ceiling. Loopback only (127.0.0.1, port 0 allowed).
 *
 * Usage: ceiling --cert PEM --key PEM --body FILE --port-file F
 *                [--threads N] [--port P]
 * Runs until SIGINT/SIGTERM; exit 0 then, 2 on bad arguments or start error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

/* Keep in step with TLS_PRIORITIES in mockapi/server/http.c. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

#define MAX_WORKERS 64

struct worker {
	struct MHD_Daemon *daemon;
	atomic_uint conns;
};

struct ceiling {
	struct MHD_Response *resp; /* shared, built once */
	struct worker workers[MAX_WORKERS];
	unsigned n_workers;
	unsigned next;
	int listen_fd;
	atomic_bool stopping;
};

static int marker;

static char *
read_file(const char *path, size_t *out_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL) {
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		goto out;
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL) {
		goto out;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	*out_len = (size_t)n;
out:
	(void)fclose(f);
	return buf;
}

static enum MHD_Result
on_access(void *cls, struct MHD_Connection *conn, const char *url,
          const char *method, const char *version, const char *upload_data,
          size_t *upload_data_size, void **con_cls)
{
	struct ceiling *c = cls;

	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) {
		/* First call: headers only. Answer on a later call (F1). */
		*con_cls = &marker;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0; /* drop the body */
		return MHD_YES;
	}
	return MHD_queue_response(conn, MHD_HTTP_OK, c->resp);
}

/*
 * The same acceptor as mockapi/server/http.c (kept in step by hand: this
 * tool must not link mockapi): fewest open connections, round robin among
 * equals.
 */
static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
              enum MHD_ConnectionNotificationCode toe)
{
	struct worker *w = cls;

	(void)conn;
	(void)socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		atomic_fetch_sub(&w->conns, 1);
	}
}

static void *
acceptor_main(void *arg)
{
	struct ceiling *c = arg;
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned i, best, best_n;
	int fd;

	for (;;) {
		sl = sizeof(ss);
		fd = accept4(c->listen_fd, (struct sockaddr *)&ss, &sl,
		             SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (atomic_load(&c->stopping) || errno == EBADF ||
			    errno == EINVAL) {
				break;
			}
			continue;
		}
		best = c->next % c->n_workers;
		best_n = atomic_load(&c->workers[best].conns);
		for (i = 1; i < c->n_workers && best_n > 0; i++) {
			unsigned k = (c->next + i) % c->n_workers;
			unsigned n = atomic_load(&c->workers[k].conns);

			if (n < best_n) {
				best = k;
				best_n = n;
			}
		}
		c->next = best + 1;
		atomic_fetch_add(&c->workers[best].conns, 1);
		if (MHD_add_connection(c->workers[best].daemon, fd,
		                       (struct sockaddr *)&ss, sl) != MHD_YES) {
			atomic_fetch_sub(&c->workers[best].conns, 1);
		}
	}
	return NULL;
}

static int
listen_loopback(unsigned port)
{
	struct sockaddr_in sa;
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 4096) != 0) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

static int
write_port(const char *path, int fd)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char tmp[4096];
	FILE *f;

	if (getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		return -1;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		return -1;
	}
	f = fopen(tmp, "w");
	if (f == NULL) {
		return -1;
	}
	(void)fprintf(f, "%u\n", (unsigned)ntohs(sa.sin_port));
	if (fclose(f) != 0) {
		return -1;
	}
	return rename(tmp, path);
}

int
main(int argc, char **argv)
{
	const char *cert_path = NULL, *key_path = NULL, *body_path = NULL;
	const char *port_file = NULL;
	unsigned threads = 0, port = 0;
	char *cert = NULL, *key = NULL, *body = NULL;
	size_t cert_len = 0, key_len = 0, body_len = 0;
	struct ceiling c = { 0 };
	pthread_t acceptor;
	bool acceptor_started = false;
	unsigned w;
	sigset_t set;
	int sig = 0, fd = -1, i, rc = 2;
	long ncpu;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--cert") == 0) {
			cert_path = argv[i + 1];
		} else if (strcmp(argv[i], "--key") == 0) {
			key_path = argv[i + 1];
		} else if (strcmp(argv[i], "--body") == 0) {
			body_path = argv[i + 1];
		} else if (strcmp(argv[i], "--port-file") == 0) {
			port_file = argv[i + 1];
		} else if (strcmp(argv[i], "--threads") == 0) {
			threads = (unsigned)strtoul(argv[i + 1], NULL, 10);
		} else if (strcmp(argv[i], "--port") == 0) {
			port = (unsigned)strtoul(argv[i + 1], NULL, 10);
		} else {
			break;
		}
	}
	if (i != argc || cert_path == NULL || key_path == NULL ||
	    body_path == NULL || port_file == NULL) {
		fputs("usage: ceiling --cert PEM --key PEM --body FILE "
		      "--port-file F [--threads N] [--port P]\n",
		      stderr);
		return 2;
	}
	if (threads == 0) {
		/* mockapi's default: one worker per core. */
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		threads = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	if (threads > MAX_WORKERS) {
		threads = MAX_WORKERS;
	}
	cert = read_file(cert_path, &cert_len);
	key = read_file(key_path, &key_len);
	body = read_file(body_path, &body_len);
	if (cert == NULL || key == NULL || body == NULL) {
		fputs("ceiling: cannot read --cert, --key or --body\n", stderr);
		goto out;
	}
	c.resp = MHD_create_response_from_buffer(body_len, body,
	                                         MHD_RESPMEM_PERSISTENT);
	if (c.resp == NULL ||
	    MHD_add_response_header(c.resp, "Content-Type",
	                            "application/json") != MHD_YES) {
		goto out;
	}
	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGINT);
	(void)sigaddset(&set, SIGTERM);
	(void)pthread_sigmask(SIG_BLOCK, &set, NULL);
	(void)signal(SIGPIPE, SIG_IGN);
	fd = listen_loopback(port);
	if (fd < 0) {
		perror("ceiling: listen");
		goto out;
	}
	if (write_port(port_file, fd) != 0) {
		perror("ceiling: port file");
		goto out;
	}
	c.listen_fd = fd;
	for (; c.n_workers < threads; c.n_workers++) {
		struct worker *wk = &c.workers[c.n_workers];

		wk->daemon = MHD_start_daemon(
			MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
				MHD_USE_TLS | MHD_USE_NO_LISTEN_SOCKET |
				MHD_USE_ITC,
			0, NULL, NULL, on_access, &c,
			MHD_OPTION_NOTIFY_CONNECTION, on_connection, wk,
			MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY,
			key, MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
			MHD_OPTION_END);
		if (wk->daemon == NULL) {
			fputs("ceiling: cannot start MHD\n", stderr);
			goto out;
		}
	}
	if (pthread_create(&acceptor, NULL, acceptor_main, &c) != 0) {
		fputs("ceiling: cannot start the acceptor\n", stderr);
		goto out;
	}
	acceptor_started = true;
	printf("ceiling: serving https://127.0.0.1 (%zu-byte body)\n",
	       body_len);
	(void)fflush(stdout);
	while (sigwait(&set, &sig) != 0) {
		/* retry */
	}
	rc = 0;
out:
	if (acceptor_started) {
		atomic_store(&c.stopping, true);
		(void)shutdown(c.listen_fd, SHUT_RDWR);
		(void)pthread_join(acceptor, NULL);
	}
	if (fd >= 0) {
		(void)close(fd);
	}
	for (w = 0; w < c.n_workers; w++) {
		MHD_stop_daemon(c.workers[w].daemon);
	}
	if (c.resp != NULL) {
		MHD_destroy_response(c.resp);
	}
	free(body);
	free(key);
	free(cert);
	return rc;
}
