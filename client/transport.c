/* SPDX-License-Identifier: MIT */
#include "transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "util.h"

#define MAX_RESPONSE (64u << 20)

struct sac_transport {
	CURL *curl;
	char *server;
	char *ca_file;
	char *ca_data;
	size_t ca_len;
	bool insecure;
	long timeout_ms;
	char errbuf[CURL_ERROR_SIZE];
};

struct sink {
	char *buf;
	size_t len;
	size_t cap;
	bool too_big;
	struct sac_http_response *resp;
};

void
sac_http_response_fini(struct sac_http_response *r)
{
	if (r == NULL) {
		return;
	}
	free(r->body);
	memset(r, 0, sizeof(*r));
}

void
sac_transport_free(struct sac_transport *t)
{
	if (t == NULL) {
		return;
	}
	if (t->curl != NULL) {
		curl_easy_cleanup(t->curl);
	}
	free(t->server);
	free(t->ca_file);
	free(t->ca_data);
	free(t);
}

const char *
sac_transport_server(const struct sac_transport *t)
{
	return t->server;
}

enum sac_err
sac_transport_new(const struct sac_config *cfg, long timeout_ms,
                  struct sac_transport **out, struct sac_diag *diag)
{
	static bool global_done;
	struct sac_transport *t;

	if (cfg == NULL || cfg->server == NULL) {
		sac_diag_set(diag, "no API server URL configured");
		return SAC_ECONFIG;
	}
	if (!global_done) {
		/* Single-threaded start-up is the library's contract. */
		(void)curl_global_init(CURL_GLOBAL_DEFAULT);
		global_done = true;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return SAC_ENOMEM;
	}
	t->server = sac_strdup(cfg->server);
	t->ca_file = sac_strdup(cfg->ca_file);
	if (cfg->ca_data != NULL) {
		t->ca_data = sac_strndup(cfg->ca_data, cfg->ca_len);
		t->ca_len = cfg->ca_len;
	}
	t->insecure = cfg->insecure_skip_tls_verify;
	t->timeout_ms = timeout_ms > 0 ? timeout_ms : 30000;
	t->curl = curl_easy_init();
	if (t->server == NULL || t->curl == NULL ||
	    (cfg->ca_file != NULL && t->ca_file == NULL) ||
	    (cfg->ca_data != NULL && t->ca_data == NULL)) {
		sac_transport_free(t);
		return SAC_ENOMEM;
	}
	if (t->insecure) {
		fputs("saclient: WARNING: insecure-skip-tls-verify is on: the "
		      "server's certificate is NOT verified\n",
		      stderr);
	}
	*out = t;
	return SAC_OK;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct sink *s = userp;
	size_t n = size * nmemb;

	if (s->len + n + 1 > MAX_RESPONSE) {
		s->too_big = true;
		return 0;
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 16384;
		char *nb;

		while (cap < s->len + n + 1) {
			cap *= 2;
		}
		nb = realloc(s->buf, cap);
		if (nb == NULL) {
			return 0;
		}
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return n;
}

static void
header_value(const char *line, size_t n, char *dst, size_t dstlen)
{
	const char *colon = memchr(line, ':', n);
	const char *v;
	size_t vn;

	if (colon == NULL) {
		return;
	}
	v = colon + 1;
	while (v < line + n && (*v == ' ' || *v == '\t')) {
		v++;
	}
	vn = (size_t)(line + n - v);
	while (vn > 0 && (v[vn - 1] == '\r' || v[vn - 1] == '\n')) {
		vn--;
	}
	if (vn >= dstlen) {
		vn = dstlen - 1;
	}
	memcpy(dst, v, vn);
	dst[vn] = '\0';
}

static size_t
on_header(char *line, size_t size, size_t nmemb, void *userp)
{
	struct sink *s = userp;
	size_t n = size * nmemb;
	char v[512];

	if (n > 12 && strncasecmp(line, "Retry-After:", 12) == 0) {
		char *end;
		long secs;

		header_value(line, n, v, sizeof(v));
		secs = strtol(v, &end, 10);
		if (end != v && secs >= 0) {
			s->resp->retry_after = secs;
		}
	} else if (n > 13 && strncasecmp(line, "Content-Type:", 13) == 0) {
		header_value(line, n, s->resp->content_type,
		             sizeof(s->resp->content_type));
	} else if (n > 8 && strncasecmp(line, "Warning:", 8) == 0 &&
	           s->resp->warning[0] == '\0') {
		header_value(line, n, s->resp->warning,
		             sizeof(s->resp->warning));
	} else if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* A new response (redirect or 100-continue): reset. */
		s->resp->retry_after = -1;
		s->resp->content_type[0] = '\0';
		s->resp->warning[0] = '\0';
	}
	return n;
}

static enum sac_err
map_curl_error(CURLcode rc, const struct sac_transport *t,
               struct sac_diag *diag)
{
	const char *msg = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		sac_diag_set(diag, "TLS error talking to %s: %s", t->server,
		             msg);
		return SAC_ETLS;
	case CURLE_OPERATION_TIMEDOUT:
		sac_diag_set(diag, "timed out talking to %s: %s", t->server,
		             msg);
		return SAC_ETIMEOUT;
	case CURLE_OUT_OF_MEMORY:
		return SAC_ENOMEM;
	default:
		sac_diag_set(diag, "cannot reach %s: %s", t->server, msg);
		return SAC_ENETWORK;
	}
}

enum sac_err
sac_transport_do(struct sac_transport *t, const char *method, const char *path,
                 const char *bearer, const char *content_type, const char *body,
                 size_t body_len, struct sac_http_response *out,
                 struct sac_diag *diag)
{
	struct sac_http_response resp = { .retry_after = -1 };
	struct sink sink = { .resp = &resp };
	struct curl_slist *hdrs = NULL;
	char *url = NULL;
	char *auth = NULL;
	char ct[160];
	enum sac_err err = SAC_ENOMEM;
	CURLcode rc;
	CURL *c = t->curl;
	size_t n;

	n = strlen(t->server) + strlen(path) + 1;
	url = malloc(n);
	if (url == NULL) {
		goto out;
	}
	(void)snprintf(url, n, "%s%s", t->server, path);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "User-Agent: saclient/0.1.0");
	if (bearer != NULL) {
		n = strlen(bearer) + 32;
		auth = malloc(n);
		if (auth == NULL) {
			goto out;
		}
		(void)snprintf(auth, n, "Authorization: Bearer %s", bearer);
		hdrs = curl_slist_append(hdrs, auth);
	}
	if (content_type != NULL) {
		(void)snprintf(ct, sizeof(ct), "Content-Type: %s",
		               content_type);
		hdrs = curl_slist_append(hdrs, ct);
	}
	/* Without this curl waits a second for "100 Continue" on big POSTs. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (hdrs == NULL) {
		goto out;
	}
	/* Reset per-request options; the connection cache survives. */
	curl_easy_reset(c);
	t->errbuf[0] = '\0';
	(void)curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->errbuf);
	(void)curl_easy_setopt(c, CURLOPT_URL, url);
	(void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	(void)curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	(void)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, t->timeout_ms);
	(void)curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, t->timeout_ms);
	(void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	(void)curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	(void)curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	(void)curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);
	(void)curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	(void)curl_easy_setopt(c, CURLOPT_SSLVERSION,
	                       (long)CURL_SSLVERSION_TLSv1_2);
	if (strcmp(method, "HEAD") == 0) {
		(void)curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	}
	if (body != NULL) {
		(void)curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		(void)curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		                       (curl_off_t)body_len);
	}
	if (t->insecure) {
		(void)curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		(void)curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (t->ca_data != NULL) {
		struct curl_blob blob = { .data = t->ca_data,
			                  .len = t->ca_len,
			                  .flags = CURL_BLOB_NOCOPY };

		(void)curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
	} else if (t->ca_file != NULL) {
		(void)curl_easy_setopt(c, CURLOPT_CAINFO, t->ca_file);
	}
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		if (sink.too_big) {
			sac_diag_set(diag,
			             "response from %s is larger than %u bytes",
			             t->server, MAX_RESPONSE);
			err = SAC_EHTTP;
		} else {
			err = map_curl_error(rc, t, diag);
		}
		goto out;
	}
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
	(void)curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS,
	                        &resp.new_connections);
	if (sink.buf == NULL) {
		sink.buf = calloc(1, 1);
		if (sink.buf == NULL) {
			goto out;
		}
	}
	resp.body = sink.buf;
	resp.body_len = sink.len;
	sink.buf = NULL;
	*out = resp;
	err = SAC_OK;
out:
	curl_slist_free_all(hdrs);
	free(url);
	sac_free_secret(auth);
	free(sink.buf);
	return err;
}
