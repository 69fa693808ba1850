/* SPDX-License-Identifier: MIT */
/*
 * soak: a bounded mixed load against a running mockapi, over loopback
 * HTTPS verified against its ca.crt, with one libcurl multi handle and
 * HTTP/1.1 keep-alive on up to --conns connections:
 *
 *   - --watches slots hold a configmap watch open for the whole run;
 *   - every other slot loops: list pods, create a configmap, delete it,
 *     GET /version, TokenRequest for default/default, TokenReview of a
 *     token (must come back authenticated), and a short watch
 *     (timeoutSeconds=1) every 8th round.
 *
 * It checks that every answer had the expected status (no transport
 * errors either), that the server's open descriptors (/proc/PID/fd) are
 * back to the pre-run count after the client closed its connections, and
 * that the server's RSS grew by at most --max-rss-growth-kb between the
 * end of the warm-up and the end of the run. The warm-up lasts 6000
 * writes (or half the run): by then every connection, TLS session and
 * pool thread exists and the store's bounded watch history (4096 events)
 * is full, so later growth is a leak, not a cache filling.
 *
 * Usage: soak --url URL --cacert FILE --token-file FILE --pid PID
 *             --seconds N [--conns 256] [--watches 16]
 *             [--max-rss-growth-kb 5120]
 * Exit status 0 when every check holds; the figures go to stdout.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

enum op {
	OP_LIST_PODS,
	OP_CREATE_CM,
	OP_DELETE_CM,
	OP_VERSION,
	OP_SHORT_WATCH,
	OP_TOKEN_REQUEST,
	OP_TOKEN_REVIEW,
	OP_LONG_WATCH,
	OP_COUNT_,
};

static const char *const op_names[] = {
	"list pods",   "create cm",     "delete cm",    "version",
	"short watch", "token request", "token review", "long watch",
};

static const long op_expect[] = { 200, 201, 200, 200, 200, 201, 201, 200 };

struct ctx;

struct slot {
	CURL *h;
	struct ctx *c;
	int id;
	enum op op;
	unsigned round;
	char url[512];
	char body[256];
	char resp[4096]; /* the start of the answer (tokens, reviews) */
	size_t resp_len;
};

struct stats {
	unsigned long done[OP_COUNT_];
	unsigned long unexpected;
	unsigned long transport;
	unsigned long bytes;
	long first_bad_status;
	char first_bad[256];
};

struct ctx {
	const char *base;
	const char *cacert;
	struct curl_slist *hdrs;
	struct stats st;
	unsigned long seq;
	char *review_body; /* a TokenReview of a token from TokenRequest */
};

static double
now_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
count_fds(long pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	long n = 0;

	(void)snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	d = opendir(path);
	if (d == NULL) {
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.') {
			n++;
		}
	}
	(void)closedir(d);
	return n;
}

static long
rss_kb(long pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *fp;

	(void)snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	fp = fopen(path, "r");
	if (fp == NULL) {
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) {
			break;
		}
	}
	(void)fclose(fp);
	return kb;
}

static size_t
on_data(char *p, size_t size, size_t n, void *payload)
{
	struct slot *s = payload;
	size_t len = size * n;
	size_t room = sizeof(s->resp) - 1 - s->resp_len;

	s->c->st.bytes += len;
	if (room > 0) {
		memcpy(s->resp + s->resp_len, p, len < room ? len : room);
		s->resp_len += len < room ? len : room;
		s->resp[s->resp_len] = '\0';
	}
	return len;
}

/* Points the slot's handle at its next request. */
static void
prepare(struct ctx *c, struct slot *s)
{
	CURL *h = s->h;

	curl_easy_reset(h);
	(void)curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	(void)curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	(void)curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	(void)curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
	                       (long)CURL_HTTP_VERSION_1_1);
	(void)curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdrs);
	(void)curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	(void)curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	s->c = c;
	s->resp_len = 0;
	s->resp[0] = '\0';
	(void)curl_easy_setopt(h, CURLOPT_PRIVATE, s);
	(void)curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(h, CURLOPT_TIMEOUT,
	                       s->op == OP_LONG_WATCH ? 0L : 30L);
	switch (s->op) {
	case OP_LIST_PODS:
		(void)snprintf(s->url, sizeof(s->url),
		               "%s/api/v1/namespaces/default/pods", c->base);
		break;
	case OP_CREATE_CM:
		c->seq++;
		(void)snprintf(s->url, sizeof(s->url),
		               "%s/api/v1/namespaces/default/configmaps",
		               c->base);
		(void)snprintf(s->body, sizeof(s->body),
		               "{\"metadata\":{\"name\":\"soak-%d\","
		               "\"labels\":{\"soak\":\"1\"}},"
		               "\"data\":{\"n\":\"%lu\"}}",
		               s->id, c->seq);
		(void)curl_easy_setopt(h, CURLOPT_POSTFIELDS, s->body);
		break;
	case OP_DELETE_CM:
		(void)snprintf(
			s->url, sizeof(s->url),
			"%s/api/v1/namespaces/default/configmaps/soak-%d",
			c->base, s->id);
		(void)curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
		break;
	case OP_VERSION:
		(void)snprintf(s->url, sizeof(s->url), "%s/version", c->base);
		break;
	case OP_SHORT_WATCH:
		(void)snprintf(s->url, sizeof(s->url),
		               "%s/api/v1/namespaces/default/configmaps?"
		               "watch=1&timeoutSeconds=1&labelSelector=soak",
		               c->base);
		break;
	case OP_TOKEN_REQUEST:
		(void)snprintf(s->url, sizeof(s->url),
		               "%s/api/v1/namespaces/default/serviceaccounts/"
		               "default/token",
		               c->base);
		(void)curl_easy_setopt(
			h, CURLOPT_POSTFIELDS,
			"{\"apiVersion\":\"authentication.k8s.io/"
			"v1\",\"kind\":\"TokenRequest\","
			"\"spec\":{}}");
		break;
	case OP_TOKEN_REVIEW:
		(void)snprintf(s->url, sizeof(s->url),
		               "%s/apis/authentication.k8s.io/v1/tokenreviews",
		               c->base);
		(void)curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->review_body);
		break;
	case OP_LONG_WATCH:
	case OP_COUNT_:
		(void)snprintf(s->url, sizeof(s->url),
		               "%s/api/v1/namespaces/default/configmaps?"
		               "watch=1&labelSelector=soak",
		               c->base);
		break;
	}
	(void)curl_easy_setopt(h, CURLOPT_URL, s->url);
}

static bool
c_has_tokens(const struct slot *s)
{
	return s->c->review_body != NULL;
}

static enum op
round_end(struct slot *s)
{
	s->round++;
	return (s->round + (unsigned)s->id) % 8 == 0 ? OP_SHORT_WATCH
	                                             : OP_LIST_PODS;
}

/* The op after s->op for a looping slot. */
static enum op
next_op(struct slot *s)
{
	switch (s->op) {
	case OP_LIST_PODS:
		return OP_CREATE_CM;
	case OP_CREATE_CM:
		return OP_DELETE_CM;
	case OP_DELETE_CM:
		return OP_VERSION;
	case OP_VERSION:
		return c_has_tokens(s) ? OP_TOKEN_REQUEST : round_end(s);
	case OP_TOKEN_REQUEST:
		return OP_TOKEN_REVIEW;
	case OP_TOKEN_REVIEW:
		return round_end(s);
	default:
		return OP_LIST_PODS;
	}
}

/* Records one finished transfer; true if it was as expected. */
static bool
record(struct ctx *c, struct slot *s, CURLcode rc)
{
	long code = 0;

	(void)curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK) {
		if (c->st.transport++ == 0 && c->st.unexpected == 0) {
			(void)snprintf(c->st.first_bad, sizeof(c->st.first_bad),
			               "%s: %s", op_names[s->op],
			               curl_easy_strerror(rc));
		}
		return false;
	}
	if (code == op_expect[s->op] && s->op == OP_TOKEN_REVIEW &&
	    strstr(s->resp, "\"authenticated\":true") == NULL) {
		code = -1; /* 201 but not authenticated */
	}
	if (code != op_expect[s->op]) {
		if (c->st.unexpected++ == 0 && c->st.transport == 0) {
			(void)snprintf(c->st.first_bad, sizeof(c->st.first_bad),
			               "%s: HTTP %ld (want %ld)",
			               op_names[s->op], code, op_expect[s->op]);
		}
		return false;
	}
	c->st.done[s->op]++;
	return true;
}

static bool
usage_error(const char *what)
{
	fprintf(stderr, "soak: %s\n", what);
	return false;
}

struct args {
	const char *url, *cacert, *token_file;
	long pid, seconds, conns, watches, max_growth_kb;
};

static bool
parse_args(int argc, char **argv, struct args *a)
{
	int i;

	a->conns = 256;
	a->watches = 16;
	a->max_growth_kb = 5120;
	for (i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (strcmp(k, "--url") == 0) {
			a->url = v;
		} else if (strcmp(k, "--cacert") == 0) {
			a->cacert = v;
		} else if (strcmp(k, "--token-file") == 0) {
			a->token_file = v;
		} else if (strcmp(k, "--pid") == 0) {
			a->pid = strtol(v, NULL, 10);
		} else if (strcmp(k, "--seconds") == 0) {
			a->seconds = strtol(v, NULL, 10);
		} else if (strcmp(k, "--conns") == 0) {
			a->conns = strtol(v, NULL, 10);
		} else if (strcmp(k, "--watches") == 0) {
			a->watches = strtol(v, NULL, 10);
		} else if (strcmp(k, "--max-rss-growth-kb") == 0) {
			a->max_growth_kb = strtol(v, NULL, 10);
		} else {
			return usage_error("unknown argument");
		}
	}
	if (i != argc || a->url == NULL || a->cacert == NULL ||
	    a->token_file == NULL || a->pid <= 0 || a->seconds <= 0 ||
	    a->seconds > 3600 || a->conns < 2 || a->conns > 4096 ||
	    a->watches < 0 || a->watches >= a->conns) {
		return usage_error("usage: soak --url URL --cacert F "
		                   "--token-file F --pid PID --seconds N "
		                   "[--conns N] [--watches N] "
		                   "[--max-rss-growth-kb N]");
	}
	return true;
}

static struct curl_slist *
headers(const char *token_file)
{
	char tok[256], line[300];
	struct curl_slist *h = NULL;
	FILE *fp = fopen(token_file, "r");

	if (fp == NULL || fgets(tok, sizeof(tok), fp) == NULL) {
		if (fp != NULL) {
			(void)fclose(fp);
		}
		return NULL;
	}
	(void)fclose(fp);
	tok[strcspn(tok, "\r\n")] = '\0';
	(void)snprintf(line, sizeof(line), "Authorization: Bearer %s", tok);
	h = curl_slist_append(h, line);
	memset(line, 0, sizeof(line));
	memset(tok, 0, sizeof(tok));
	h = curl_slist_append(h, "Content-Type: application/json");
	return h;
}

struct timeline {
	/* The RSS base is sampled after warm_writes creates + deletes (so
	 * the store's bounded watch history, 4096 events, is full and
	 * every connection and pool thread exists), or at warm_at. */
	unsigned long warm_writes;
	double warm_at;
	double warmed_after; /* seconds into the run */
	double t0;
	double stop_at;    /* no new requests; long watches closed */
	double give_up_at; /* stragglers count as failures */
	long pid;
	long fd_peak;
	long rss_warm;
};

/* Runs transfers until every handle is idle or give_up_at passes. */
static void
pump(CURLM *m, struct ctx *c, struct slot *slots, struct timeline *tl)
{
	int running = 1;
	unsigned long ticks = 0;
	bool watches_closed = false;

	while (running > 0 && now_s() < tl->give_up_at) {
		double now;

		CURLMsg *msg;
		int left;

		(void)curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct slot *s = NULL;

			if (msg->msg != CURLMSG_DONE) {
				continue;
			}
			(void)curl_easy_getinfo(msg->easy_handle,
			                        CURLINFO_PRIVATE, (char **)&s);
			(void)record(c, s, msg->data.result);
			(void)curl_multi_remove_handle(m, s->h);
			s->round = s->op == OP_LONG_WATCH ? 1 : s->round;
			if (now_s() < tl->stop_at && s->op != OP_LONG_WATCH) {
				s->op = next_op(s);
				prepare(c, s);
				(void)curl_multi_add_handle(m, s->h);
				running++;
			}
		}
		if (running > 0) {
			(void)curl_multi_poll(m, NULL, 0, 100, NULL);
		}
		if (++ticks % 64 == 0) {
			long n = count_fds(tl->pid);

			if (n > tl->fd_peak) {
				tl->fd_peak = n;
			}
		}
		now = now_s();
		if (tl->rss_warm < 0 &&
		    (now >= tl->warm_at ||
		     c->st.done[OP_CREATE_CM] + c->st.done[OP_DELETE_CM] >=
		             tl->warm_writes)) {
			tl->rss_warm = rss_kb(tl->pid);
			tl->warmed_after = now - tl->t0;
		}
		if (!watches_closed && now >= tl->stop_at) {
			/* Past the deadline: the long watches go too (one
			 * still streaming is a success). */
			int i;

			for (i = 0; slots[i].h != NULL; i++) {
				if (slots[i].op == OP_LONG_WATCH &&
				    slots[i].round == 0) {
					(void)curl_multi_remove_handle(
						m, slots[i].h);
					c->st.done[OP_LONG_WATCH]++;
					slots[i].round = 1;
				}
			}
			watches_closed = true;
		}
	}
}

/* One TokenRequest, blocking; its token becomes the reviews' body. */
static bool
fetch_review_body(struct ctx *c)
{
	static const char pre[] =
		"{\"apiVersion\":\"authentication.k8s.io/v1\","
		"\"kind\":\"TokenReview\",\"spec\":{"
		"\"token\":\"";
	struct slot s = { .op = OP_TOKEN_REQUEST, .id = -1 };
	const char *t, *e;
	long code = 0;
	bool ok = false;

	s.h = curl_easy_init();
	if (s.h == NULL) {
		return false;
	}
	prepare(c, &s);
	if (curl_easy_perform(s.h) == CURLE_OK &&
	    curl_easy_getinfo(s.h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
	    code == 201 && (t = strstr(s.resp, "\"token\":")) != NULL &&
	    (t = strchr(t + 8, '"')) != NULL &&
	    (e = strchr(t + 1, '"')) != NULL) {
		size_t n = (size_t)(e - (t + 1));

		c->review_body = malloc(sizeof(pre) + n + 4);
		if (c->review_body != NULL) {
			(void)snprintf(c->review_body, sizeof(pre) + n + 4,
			               "%s%.*s\"}}", pre, (int)n, t + 1);
			ok = true;
		}
	}
	curl_easy_cleanup(s.h);
	memset(s.resp, 0, sizeof(s.resp));
	return ok;
}

int
main(int argc, char **argv)
{
	struct args a = { 0 };
	struct ctx c = { 0 };
	struct slot *slots = NULL;
	CURLM *m = NULL;
	struct timeline tl = { .rss_warm = -1 };
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	double t0;
	long fd_base, fd_after = -1, rss_base, rss_end;
	unsigned long total = 0;
	bool ok = true;
	int i, k, rc = 2;

	if (!parse_args(argc, argv, &a)) {
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		return 2;
	}
	c.base = a.url;
	c.cacert = a.cacert;
	c.hdrs = headers(a.token_file);
	slots = calloc((size_t)a.conns + 1, sizeof(*slots));
	m = curl_multi_init();
	if (c.hdrs == NULL || slots == NULL || m == NULL) {
		fprintf(stderr, "soak: setup failed\n");
		goto out;
	}
	(void)curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, a.conns);
	(void)curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, a.conns);
	(void)curl_multi_setopt(m, CURLMOPT_PIPELINING, CURLPIPE_NOTHING);
	fd_base = count_fds(a.pid);
	rss_base = rss_kb(a.pid);
	tl.pid = a.pid;
	tl.fd_peak = fd_base;
	if (fd_base < 0 || rss_base < 0) {
		fprintf(stderr, "soak: cannot read /proc/%ld\n", a.pid);
		goto out;
	}
	/* After the baseline: its connection counts like the others. */
	if (!fetch_review_body(&c)) {
		fprintf(stderr, "soak: TokenRequest for default/default "
		                "failed\n");
		goto out;
	}
	for (i = 0; i < a.conns; i++) {
		slots[i].h = curl_easy_init();
		slots[i].id = i;
		slots[i].op = i < a.watches ? OP_LONG_WATCH
		                            : (enum op)(i % (int)OP_VERSION);
		if (slots[i].op == OP_DELETE_CM) {
			slots[i].op = OP_CREATE_CM; /* nothing to delete yet */
		}
		if (slots[i].h == NULL) {
			goto out;
		}
		prepare(&c, &slots[i]);
		(void)curl_multi_add_handle(m, slots[i].h);
	}
	t0 = now_s();
	tl.stop_at = t0 + (double)a.seconds;
	tl.t0 = t0;
	tl.warm_at = t0 + (double)a.seconds / 2.0;
	tl.warm_writes = 6000;
	tl.give_up_at = tl.stop_at + 20.0;
	pump(m, &c, slots, &tl);
	rss_end = rss_kb(a.pid);
	/* Close every connection, then wait (5 s at most) for the server to
	 * notice. */
	for (i = 0; i < a.conns; i++) {
		(void)curl_multi_remove_handle(m, slots[i].h);
		curl_easy_cleanup(slots[i].h);
		slots[i].h = NULL;
	}
	(void)curl_multi_cleanup(m);
	m = NULL;
	for (k = 0; k < 100; k++) {
		fd_after = count_fds(a.pid);
		if (fd_after <= fd_base) {
			break;
		}
		(void)nanosleep(&pause, NULL);
	}
	for (i = 0; i < OP_COUNT_; i++) {
		total += c.st.done[i];
		printf("soak: %-11s %lu\n", op_names[i], c.st.done[i]);
	}
	printf("soak: %lu requests in %ld s (%.0f/s) on %ld connections "
	       "(%ld long watches), %lu bytes received\n",
	       total, a.seconds, (double)total / (double)a.seconds, a.conns,
	       a.watches, c.st.bytes);
	printf("soak: unexpected statuses %lu, transport errors %lu%s%s\n",
	       c.st.unexpected, c.st.transport,
	       c.st.first_bad[0] != '\0' ? "; first: " : "", c.st.first_bad);
	printf("soak: fds before %ld, peak %ld, after %ld\n", fd_base,
	       tl.fd_peak, fd_after);
	printf("soak: RSS before %ld kB, after warm-up (%.1f s) %ld kB, at end "
	       "%ld kB (growth %+ld kB, bound %ld kB)\n",
	       rss_base, tl.warmed_after, tl.rss_warm, rss_end,
	       rss_end - tl.rss_warm, a.max_growth_kb);
	if (c.st.unexpected != 0 || c.st.transport != 0) {
		printf("soak: FAIL: unexpected answers\n");
		ok = false;
	}
	for (i = 0; i < OP_COUNT_; i++) {
		if (c.st.done[i] == 0 && (i != OP_LONG_WATCH || a.watches)) {
			printf("soak: FAIL: no %s succeeded\n", op_names[i]);
			ok = false;
		}
	}
	if (fd_after != fd_base) {
		printf("soak: FAIL: descriptors not back to the baseline\n");
		ok = false;
	}
	if (tl.rss_warm < 0 || rss_end < 0 ||
	    rss_end - tl.rss_warm > a.max_growth_kb) {
		printf("soak: FAIL: RSS grew too much\n");
		ok = false;
	}
	rc = ok ? 0 : 1;
out:
	for (i = 0; slots != NULL && slots[i].h != NULL; i++) {
		if (m != NULL) {
			(void)curl_multi_remove_handle(m, slots[i].h);
		}
		curl_easy_cleanup(slots[i].h);
	}
	if (m != NULL) {
		(void)curl_multi_cleanup(m);
	}
	curl_slist_free_all(c.hdrs);
	free(c.review_body);
	free(slots);
	curl_global_cleanup();
	return rc;
}
