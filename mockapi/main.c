/* SPDX-License-Identifier: MIT */
/*
 * mockapi: a mock Kubernetes API server for ServiceAccount token tests.
 * This file is the command line: flags → config → server; signals; the
 * ready line (or --print-env); exit status 0 on SIGINT/SIGTERM, 2 on a bad
 * flag or a server that cannot start.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mapi_version.h"
#include "server/config.h"
#include "server/logger.h"
#include "server/server.h"
#include "sim/events.h"

/*
 * `mockapi ctl ...`: execs mockapi-ctl from this binary's directory (the
 * client links libcurl; the server does not). Returns only on failure.
 */
static int
exec_ctl(char **argv)
{
	static const char name[] = "mockapi-ctl";
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	char *slash;

	if (n <= 0) {
		fprintf(stderr, "mockapi: cannot find mockapi-ctl: %s\n",
		        strerror(errno));
		return 2;
	}
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (slash == NULL ||
	    (size_t)(slash + 1 - path) + sizeof(name) > sizeof(path)) {
		fprintf(stderr, "mockapi: cannot find mockapi-ctl\n");
		return 2;
	}
	memcpy(slash + 1, name, sizeof(name));
	argv[0] = path;
	execv(path, argv);
	fprintf(stderr, "mockapi: cannot run %s: %s\n", path, strerror(errno));
	return 2;
}

/* Prints s as one shell word (single-quoted when it needs quoting). */
static void
shell_word(const char *s)
{
	if (s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                "0123456789/._-:+,=@")] == '\0') {
		fputs(s, stdout);
		return;
	}
	putchar('\'');
	for (; *s != '\0'; s++) {
		if (*s == '\'') {
			fputs("'\\''", stdout);
		} else {
			putchar(*s);
		}
	}
	putchar('\'');
}

static void
print_env(const struct mapi_server *server)
{
	int fd;

	fputs("export KUBECONFIG=", stdout);
	shell_word(mapi_server_kubeconfig_path(server));
	fputs("\nexport KUBERNETES_SERVICE_HOST=", stdout);
	shell_word(mapi_server_host(server));
	printf("\nexport KUBERNETES_SERVICE_PORT=%u\n",
	       mapi_server_port(server));
	(void)fflush(stdout);
	/* Close stdout so that eval "$(mockapi --print-env &)" returns. */
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)dup2(fd, STDOUT_FILENO);
		(void)close(fd);
	}
}

/* Where log_line() sends its lines. */
struct log_sink {
	enum mapi_log_format fmt;
	struct mapi_logger *logger; /* writes stderr, in order, batched */
};

/*
 * --log-format: one stderr line per token event and journal entry. Runs
 * in the adding (request) thread without locks; the logger puts the
 * lines back in order and its own thread writes them.
 */
static void
log_line(const struct mapi_event *ev, const struct mapi_request_entry *req,
         uint64_t order, void *payload)
{
	const struct log_sink *sink = payload;
	char line[2048 + 1]; /* at most 2047 characters, then '\n' */
	size_t n;

	if (ev != NULL) {
		n = mapi_events_format_line(ev, sink->fmt, line, 2048);
	} else {
		n = mapi_events_format_request_line(req, sink->fmt, line, 2048);
	}
	if (n > 2047) {
		n = 2047; /* truncated, as the formatter did */
	}
	line[n++] = '\n';
	mapi_logger_append(sink->logger, order, line, n);
}

int
main(int argc, char **argv)
{
	struct mapi_config cfg;
	struct mapi_diag diag = { 0 };
	struct mapi_server *server = NULL;
	struct log_sink sink = { .logger = NULL };
	sigset_t set;
	int sig = 0;

	if (argc > 1 && strcmp(argv[1], "ctl") == 0) {
		return exec_ctl(argv);
	}
	/*
	 * glibc raises its mmap threshold after the first big free (up to
	 * 32 MiB), after which multi-MB buffers (a 10 000-pod LIST, the
	 * snapshot text) stay in the heap for good. A fixed threshold keeps
	 * them mmap'ed, so they go back to the kernel when freed.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	if (mapi_config_parse(argc, argv, &cfg, &diag) != MAPI_OK) {
		fprintf(stderr, "mockapi: %s (see mockapi --help)\n", diag.msg);
		return 2;
	}
	if (cfg.help) {
		fputs(mapi_config_usage(), stdout);
		return 0;
	}
	if (cfg.version) {
		printf("mockapi %s (serving Kubernetes %s)\n", MAPI_VERSION,
		       cfg.kube_version);
		return 0;
	}

	/* Block the stop signals in every thread; this one waits for them. */
	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGINT);
	(void)sigaddset(&set, SIGTERM);
	(void)pthread_sigmask(SIG_BLOCK, &set, NULL);
	(void)signal(SIGPIPE, SIG_IGN);

	if (mapi_server_start(&cfg, &server, &diag) != MAPI_OK) {
		fprintf(stderr, "mockapi: %s\n", diag.msg);
		return 2;
	}
	/* After the sigmask: the writer thread must not take the signals. */
	if (mapi_logger_start(STDERR_FILENO, 0, -1, &sink.logger) != MAPI_OK) {
		fprintf(stderr, "mockapi: cannot start the stderr logger\n");
		mapi_server_stop(server);
		return 2;
	}
	sink.fmt = cfg.log_format;
	mapi_events_set_subscriber(mapi_server_events(server), log_line, &sink);
	/* Start-up parsed the fixtures or snapshot into many small blocks
	 * and freed the parse trees: hand those free pages back (29 MB of
	 * 65 MB with 10 000 pods). */
	(void)malloc_trim(0);
	if (cfg.print_env) {
		print_env(server);
	} else {
		printf("mockapi: serving %s (export KUBECONFIG=%s)\n",
		       mapi_server_url(server),
		       mapi_server_kubeconfig_path(server));
		/* The user's own local credential, in the fragment only. */
		printf("mockapi: UI %s/mock/ui/#token=%s\n",
		       mapi_server_url(server),
		       mapi_server_admin_token(server));
		(void)fflush(stdout);
	}
	while (sigwait(&set, &sig) != 0) {
		/* sigwait only fails for a bad set; retry is harmless. */
	}
	/* The subscriber stays set while the server stops, so the lines of
	 * requests finishing now are logged too; once it has stopped no add
	 * can run, and the logger writes what is left before we exit. */
	mapi_server_stop(server);
	mapi_logger_stop(sink.logger, /* out_stats= */ NULL);
	return 0;
}
