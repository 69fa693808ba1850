/* SPDX-License-Identifier: MIT */
#include "saclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "util.h"

#define NCOLS 6

struct row {
	char *cell[NCOLS];
};

static int64_t
timestamp(const cJSON *obj, const char *path)
{
	int64_t t = 0;

	if (sac_time_parse(sac_json_path_str(obj, path), &t) != SAC_OK) {
		return 0;
	}
	return t;
}

static void
age(int64_t created, int64_t now, char *buf, size_t len)
{
	if (created == 0) {
		(void)snprintf(buf, len, "<unknown>");
	} else {
		(void)sac_duration_human(now > created ? now - created : 0, buf,
		                         len);
	}
}

static void
terminated_reason(const cJSON *term, const char *prefix, char *reason,
                  size_t len)
{
	const char *r = sac_json_str(term, "reason");
	int64_t sig = 0;
	int64_t code = 0;

	if (r != NULL && *r != '\0') {
		(void)snprintf(reason, len, "%s%s", prefix, r);
	} else if (sac_json_int(term, "signal", &sig) && sig != 0) {
		(void)snprintf(reason, len, "%sSignal:%lld", prefix,
		               (long long)sig);
	} else {
		(void)sac_json_int(term, "exitCode", &code);
		(void)snprintf(reason, len, "%sExitCode:%lld", prefix,
		               (long long)code);
	}
}

static bool
has_condition(const cJSON *status, const char *type)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(status,
	                                                       "conditions"))
	{
		const char *t = sac_json_str(c, "type");
		const char *s = sac_json_str(c, "status");

		if (t != NULL && s != NULL && strcmp(t, type) == 0 &&
		    strcmp(s, "True") == 0) {
			return true;
		}
	}
	return false;
}

/* Returns true while init containers are still running (kubectl). */
static bool
init_status(const cJSON *status, int n_init, char *reason, size_t len)
{
	const cJSON *cs;
	int i = 0;

	cJSON_ArrayForEach(cs, cJSON_GetObjectItemCaseSensitive(
	                               status, "initContainerStatuses"))
	{
		const cJSON *state = sac_json_obj(cs, "state");
		const cJSON *term = sac_json_obj(state, "terminated");
		const cJSON *wait = sac_json_obj(state, "waiting");
		const char *wr = sac_json_str(wait, "reason");
		int64_t code = 0;

		if (term != NULL && sac_json_int(term, "exitCode", &code) &&
		    code == 0) {
			i++;
			continue;
		}
		if (term != NULL) {
			terminated_reason(term, "Init:", reason, len);
		} else if (wr != NULL && *wr != '\0' &&
		           strcmp(wr, "PodInitializing") != 0) {
			(void)snprintf(reason, len, "Init:%s", wr);
		} else {
			(void)snprintf(reason, len, "Init:%d/%d", i, n_init);
		}
		return true;
	}
	return false;
}

/* kubectl's printPod (pkg/printers/internalversion/printers.go). */
static enum sac_err
pod_row(const cJSON *pod, bool with_ns, int64_t now, struct row *out)
{
	const cJSON *spec = sac_json_obj(pod, "spec");
	const cJSON *status = sac_json_obj(pod, "status");
	const char *phase = sac_json_str(status, "phase");
	const char *sreason = sac_json_str(status, "reason");
	const char *ns = sac_json_path_str(pod, "metadata.namespace");
	const char *name = sac_json_path_str(pod, "metadata.name");
	char reason[128];
	char ready[32];
	char restarts_s[64];
	char age_s[32];
	char last[32];
	int total = cJSON_GetArraySize(
		cJSON_GetObjectItemCaseSensitive(spec, "containers"));
	int n_init = cJSON_GetArraySize(
		cJSON_GetObjectItemCaseSensitive(spec, "initContainers"));
	const cJSON *css =
		cJSON_GetObjectItemCaseSensitive(status, "containerStatuses");
	int n_ready = 0;
	int64_t restarts = 0;
	int64_t last_restart = 0;
	bool has_running = false;

	(void)snprintf(reason, sizeof(reason), "%s",
	               sreason != NULL && *sreason != '\0' ? sreason
	               : phase != NULL                     ? phase
	                                                   : "");
	if (!init_status(status, n_init, reason, sizeof(reason)) ||
	    has_condition(status, "Initialized")) {
		for (int i = cJSON_GetArraySize(css) - 1; i >= 0; i--) {
			const cJSON *cs = cJSON_GetArrayItem(css, i);
			const cJSON *state = sac_json_obj(cs, "state");
			const cJSON *term = sac_json_obj(state, "terminated");
			const char *wr = sac_json_path_str(state,
			                                   "waiting.reason");
			int64_t rc = 0;
			int64_t fin;

			if (sac_json_int(cs, "restartCount", &rc)) {
				restarts += rc;
			}
			fin = timestamp(cs, "lastState.terminated.finishedAt");
			if (fin > last_restart) {
				last_restart = fin;
			}
			if (wr != NULL && *wr != '\0') {
				(void)snprintf(reason, sizeof(reason), "%s", wr);
			} else if (term != NULL) {
				terminated_reason(term, "", reason,
				                  sizeof(reason));
			} else if (sac_json_bool(cs, "ready", false) &&
			           sac_json_obj(state, "running") != NULL) {
				has_running = true;
				n_ready++;
			}
		}
		if (strcmp(reason, "Completed") == 0 && has_running) {
			(void)snprintf(reason, sizeof(reason), "%s",
			               has_condition(status, "Ready")
			                       ? "Running"
			                       : "NotReady");
		}
	}
	if (sac_json_path_str(pod, "metadata.deletionTimestamp") != NULL) {
		if (sreason != NULL && strcmp(sreason, "NodeLost") == 0) {
			(void)snprintf(reason, sizeof(reason), "Unknown");
		} else if (phase == NULL || (strcmp(phase, "Succeeded") != 0 &&
		                             strcmp(phase, "Failed") != 0)) {
			(void)snprintf(reason, sizeof(reason), "Terminating");
		}
	}
	(void)snprintf(ready, sizeof(ready), "%d/%d", n_ready, total);
	if (restarts != 0 && last_restart != 0) {
		(void)snprintf(restarts_s, sizeof(restarts_s), "%lld (%s ago)",
		               (long long)restarts,
		               sac_duration_human(now - last_restart, last,
		                                  sizeof(last)));
	} else {
		(void)snprintf(restarts_s, sizeof(restarts_s), "%lld",
		               (long long)restarts);
	}
	age(timestamp(pod, "metadata.creationTimestamp"), now, age_s,
	    sizeof(age_s));
	out->cell[0] = sac_strdup(with_ns ? (ns != NULL ? ns : "") : NULL);
	out->cell[1] = sac_strdup(name != NULL ? name : "");
	out->cell[2] = sac_strdup(ready);
	out->cell[3] = sac_strdup(reason);
	out->cell[4] = sac_strdup(restarts_s);
	out->cell[5] = sac_strdup(age_s);
	for (int i = with_ns ? 0 : 1; i < NCOLS; i++) {
		if (out->cell[i] == NULL) {
			return SAC_ENOMEM;
		}
	}
	return SAC_OK;
}

enum sac_err
sac_pods_format_table(const struct cJSON *pods, bool with_ns, int64_t now_s,
                      char **out_text)
{
	static const char *const heads[NCOLS] = { "NAMESPACE", "NAME",
		                                  "READY",     "STATUS",
		                                  "RESTARTS",  "AGE" };
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(pods, "items");
	struct row *rows = NULL;
	size_t width[NCOLS] = { 0 };
	size_t n = 0;
	size_t cap = 1;
	char *text = NULL;
	char *p;
	enum sac_err err = SAC_ENOMEM;
	int first = with_ns ? 0 : 1;

	if (!cJSON_IsArray(items) && !cJSON_IsObject(pods)) {
		return SAC_EINVAL;
	}
	n = cJSON_IsArray(items) ? (size_t)cJSON_GetArraySize(items) : 1;
	rows = calloc(n + 1, sizeof(*rows));
	if (rows == NULL) {
		return SAC_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const cJSON *pod = cJSON_IsArray(items)
		                           ? cJSON_GetArrayItem(items, (int)i)
		                           : pods;

		err = pod_row(pod, with_ns, now_s, &rows[i + 1]);
		if (err != SAC_OK) {
			goto out;
		}
	}
	for (int c = first; c < NCOLS; c++) {
		rows[0].cell[c] = sac_strdup(heads[c]);
		if (rows[0].cell[c] == NULL) {
			err = SAC_ENOMEM;
			goto out;
		}
	}
	for (size_t r = 0; r <= n; r++) {
		for (int c = first; c < NCOLS; c++) {
			size_t l = strlen(rows[r].cell[c]);

			width[c] = l > width[c] ? l : width[c];
		}
	}
	for (int c = first; c < NCOLS; c++) {
		cap += (width[c] + 3) * (n + 1);
	}
	cap += n + 1;
	text = malloc(cap);
	if (text == NULL) {
		err = SAC_ENOMEM;
		goto out;
	}
	p = text;
	*p = '\0';
	if (n == 0) {
		*out_text = text;
		text = NULL;
		err = SAC_OK;
		goto out;
	}
	/* kubectl's tabwriter: columns padded with 3 spaces, last unpadded. */
	for (size_t r = 0; r <= n; r++) {
		for (int c = first; c < NCOLS; c++) {
			size_t l = strlen(rows[r].cell[c]);

			memcpy(p, rows[r].cell[c], l);
			p += l;
			if (c < NCOLS - 1) {
				memset(p, ' ', width[c] + 3 - l);
				p += width[c] + 3 - l;
			}
		}
		*p++ = '\n';
	}
	*p = '\0';
	*out_text = text;
	text = NULL;
	err = SAC_OK;
out:
	for (size_t r = 0; r <= n; r++) {
		for (int c = 0; c < NCOLS; c++) {
			free(rows[r].cell[c]);
		}
	}
	free(rows);
	free(text);
	return err;
}
