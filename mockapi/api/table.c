/* SPDX-License-Identifier: MIT */
#include "api/table.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sim/clock.h"

struct column {
	const char *name;
	const char *type; /* string | integer | date */
	const char *format;
	const char *description;
	int priority;
};

/* How a resource's row is computed: one cell per column. */
typedef bool cells_fn(cJSON *cells, const cJSON *obj, int64_t now);

struct printer {
	const char *group;
	const char *resource;
	const struct column *columns;
	size_t ncolumns;
	cells_fn *cells;
};

#define NAME_COL                                                          \
	{ "Name", "string", "name",                                       \
	  "Name must be unique within a namespace. Is required when "     \
	  "creating resources, although some resources may allow a "      \
	  "client to request the generation of an appropriate name "      \
	  "automatically. Name is primarily intended for creation "       \
	  "idempotence and configuration definition. Cannot be updated. " \
	  "More info: https://kubernetes.io/docs/concepts/overview/"      \
	  "working-with-objects/names#names",                             \
	  0 }
#define AGE_COL                                                           \
	{ "Age", "string", "",                                            \
	  "CreationTimestamp is a timestamp representing the server time " \
	  "when this object was created. It is not guaranteed to be set " \
	  "in happens-before order across separate operations. Clients "  \
	  "may not set this value. It is represented in RFC3339 form and " \
	  "is in UTC.\n\nPopulated by the system. Read-only. Null for "    \
	  "lists. More info: https://git.k8s.io/community/contributors/"  \
	  "devel/sig-architecture/api-conventions.md#metadata",           \
	  0 }

static const struct column pod_cols[] = {
	NAME_COL,
	{ "Ready", "string", "",
	  "The aggregate readiness state of this pod for accepting traffic.",
	  0 },
	{ "Status", "string", "",
	  "The aggregate status of the containers in this pod.", 0 },
	{ "Restarts", "string", "",
	  "The number of times the containers in this pod have been "
	  "restarted and when the last container in this pod has restarted.",
	  0 },
	AGE_COL,
	{ "IP", "string", "", "IP address of the pod.", 1 },
	{ "Node", "string", "", "Name of the node.", 1 },
	{ "Nominated Node", "string", "", "Name of the nominated node.", 1 },
	{ "Readiness Gates", "string", "", "Gate info.", 1 },
};

static const struct column ns_cols[] = {
	NAME_COL,
	{ "Status", "string", "",
	  "The status of the namespace", 0 },
	AGE_COL,
};

static const struct column node_cols[] = {
	NAME_COL,
	{ "Status", "string", "", "The status of the node", 0 },
	{ "Roles", "string", "", "The roles of the node", 0 },
	AGE_COL,
	{ "Version", "string", "", "Kubelet Version reported by the node.",
	  0 },
	{ "Internal-IP", "string", "", "List of internal IPs.", 1 },
	{ "External-IP", "string", "", "List of external IPs.", 1 },
	{ "OS-Image", "string", "", "OS Image reported by the node.", 1 },
	{ "Kernel-Version", "string", "",
	  "Kernel Version reported by the node.", 1 },
	{ "Container-Runtime", "string", "",
	  "ContainerRuntime Version reported by the node.", 1 },
};

static const struct column sa_cols[] = {
	NAME_COL,
	{ "Secrets", "integer", "",
	  "Secrets is a list of the secrets in the same namespace that pods "
	  "running using this ServiceAccount are allowed to use.",
	  0 },
	AGE_COL,
};

static const struct column secret_cols[] = {
	NAME_COL,
	{ "Type", "string", "",
	  "Used to facilitate programmatic handling of secret data.", 0 },
	{ "Data", "integer", "", "The number of entries in the secret data.",
	  0 },
	AGE_COL,
};

static const struct column cm_cols[] = {
	NAME_COL,
	{ "Data", "integer", "",
	  "The number of entries in the configmap data.", 0 },
	AGE_COL,
};

static const struct column role_cols[] = {
	NAME_COL,
	{ "Created At", "date", "",
	  "CreationTimestamp is a timestamp representing the server time "
	  "when this object was created.",
	  0 },
};

static const struct column binding_cols[] = {
	NAME_COL,
	{ "Role", "string", "", "Role of the binding.", 0 },
	AGE_COL,
	{ "Users", "string", "", "Users in the binding.", 1 },
	{ "Groups", "string", "", "Groups in the binding.", 1 },
	{ "ServiceAccounts", "string", "", "ServiceAccounts in the binding.",
	  1 },
};

static const struct column default_cols[] = {
	NAME_COL,
	{ "Created At", "date", "",
	  "CreationTimestamp is a timestamp representing the server time "
	  "when this object was created.",
	  0 },
};

static const cJSON *
path(const cJSON *obj, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, a);

	return b == NULL ? v : cJSON_GetObjectItemCaseSensitive(v, b);
}

static const char *
str_at(const cJSON *obj, const char *a, const char *b)
{
	const cJSON *v = path(obj, a, b);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool
add_str(cJSON *cells, const char *s)
{
	cJSON *v = cJSON_CreateString(s);

	if (v == NULL || !cJSON_AddItemToArray(cells, v)) {
		cJSON_Delete(v);
		return false;
	}
	return true;
}

static bool
add_int(cJSON *cells, double n)
{
	cJSON *v = cJSON_CreateNumber(n);

	if (v == NULL || !cJSON_AddItemToArray(cells, v)) {
		cJSON_Delete(v);
		return false;
	}
	return true;
}

static bool
add_name(cJSON *cells, const cJSON *obj)
{
	const char *name = str_at(obj, "metadata", "name");

	return add_str(cells, name ? name : "");
}

void
mapi_table_human_duration(int64_t d, char *buf, size_t len)
{
	int64_t m;
	int64_t h;

	if (d < -1) {
		(void)snprintf(buf, len, "<invalid>");
	} else if (d < 0) {
		(void)snprintf(buf, len, "0s");
	} else if (d < 120) {
		(void)snprintf(buf, len, "%llds", (long long)d);
	} else if ((m = d / 60) < 10) {
		if (d % 60 == 0) {
			(void)snprintf(buf, len, "%lldm", (long long)m);
		} else {
			(void)snprintf(buf, len, "%lldm%llds", (long long)m,
			               (long long)(d % 60));
		}
	} else if (m < 180) {
		(void)snprintf(buf, len, "%lldm", (long long)m);
	} else if ((h = d / 3600) < 8) {
		if (m % 60 == 0) {
			(void)snprintf(buf, len, "%lldh", (long long)h);
		} else {
			(void)snprintf(buf, len, "%lldh%lldm", (long long)h,
			               (long long)(m % 60));
		}
	} else if (h < 48) {
		(void)snprintf(buf, len, "%lldh", (long long)h);
	} else if (h < INT64_C(24) * 8) {
		if (h % 24 == 0) {
			(void)snprintf(buf, len, "%lldd", (long long)(h / 24));
		} else {
			(void)snprintf(buf, len, "%lldd%lldh",
			               (long long)(h / 24), (long long)(h % 24));
		}
	} else if (h < INT64_C(24) * 365 * 2) {
		(void)snprintf(buf, len, "%lldd", (long long)(h / 24));
	} else if (h < INT64_C(24) * 365 * 8) {
		int64_t dy = (h / 24) % 365;

		if (dy == 0) {
			(void)snprintf(buf, len, "%lldy",
			               (long long)(h / 24 / 365));
		} else {
			(void)snprintf(buf, len, "%lldy%lldd",
			               (long long)(h / 24 / 365), (long long)dy);
		}
	} else {
		(void)snprintf(buf, len, "%lldy", (long long)(h / 24 / 365));
	}
}

/* "Age": translateTimestampSince, "<unknown>" without a timestamp. */
static bool
add_age(cJSON *cells, const cJSON *obj, int64_t now)
{
	const char *ts = str_at(obj, "metadata", "creationTimestamp");
	int64_t t;
	char buf[32];

	if (ts == NULL || mapi_time_parse_rfc3339(ts, &t) != MAPI_OK) {
		return add_str(cells, "<unknown>");
	}
	mapi_table_human_duration(now - t / MAPI_NS_PER_SEC, buf, sizeof(buf));
	return add_str(cells, buf);
}

static bool
add_created_at(cJSON *cells, const cJSON *obj)
{
	const char *ts = str_at(obj, "metadata", "creationTimestamp");

	return add_str(cells, ts ? ts : "<unknown>");
}

static int
count_members(const cJSON *v)
{
	return cJSON_IsObject(v) || cJSON_IsArray(v) ? cJSON_GetArraySize(v)
	                                             : 0;
}

/* printPod: READY, STATUS and RESTARTS from the container statuses. */
static bool
pod_cells(cJSON *cells, const cJSON *pod, int64_t now)
{
	const cJSON *containers = path(pod, "spec", "containers");
	const cJSON *statuses = path(pod, "status", "containerStatuses");
	const char *reason = str_at(pod, "status", "phase");
	const char *sreason = str_at(pod, "status", "reason");
	const char *ip = str_at(pod, "status", "podIP");
	const char *node = str_at(pod, "spec", "nodeName");
	const char *nominated = str_at(pod, "status", "nominatedNodeName");
	char ready[32];
	char restarts_s[32];
	int total = count_members(containers);
	int nready = 0;
	int restarts = 0;
	int i;
	bool running = false;

	if (sreason != NULL && *sreason != '\0') {
		reason = sreason;
	}
	for (i = count_members(statuses) - 1; i >= 0; i--) {
		const cJSON *cs = cJSON_GetArrayItem(statuses, i);
		const cJSON *rc = cJSON_GetObjectItemCaseSensitive(cs,
		                                                   "restartCount");
		const char *wr = str_at(path(cs, "state", "waiting"), "reason",
		                        NULL);
		const cJSON *term = path(cs, "state", "terminated");
		const char *tr = str_at(term, "reason", NULL);

		if (cJSON_IsNumber(rc)) {
			restarts += rc->valueint;
		}
		if (wr != NULL && *wr != '\0') {
			reason = wr;
		} else if (term != NULL && tr != NULL && *tr != '\0') {
			reason = tr;
		} else if (term != NULL) {
			reason = "Error";
		} else if (path(cs, "state", "running") != NULL &&
		           cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cs,
		                                                         "ready"))) {
			running = true;
			nready++;
		}
	}
	/* "Completed" pods that still have running containers show Running. */
	if (reason != NULL && strcmp(reason, "Completed") == 0 && running) {
		reason = "Running";
	}
	if (path(pod, "metadata", "deletionTimestamp") != NULL) {
		reason = "Terminating";
	}
	(void)snprintf(ready, sizeof(ready), "%d/%d", nready, total);
	(void)snprintf(restarts_s, sizeof(restarts_s), "%d", restarts);
	return add_name(cells, pod) && add_str(cells, ready) &&
	       add_str(cells, reason ? reason : "Unknown") &&
	       add_str(cells, restarts_s) && add_age(cells, pod, now) &&
	       add_str(cells, ip && *ip ? ip : "<none>") &&
	       add_str(cells, node && *node ? node : "<none>") &&
	       add_str(cells, nominated && *nominated ? nominated : "<none>") &&
	       add_str(cells, "<none>");
}

static bool
ns_cells(cJSON *cells, const cJSON *ns, int64_t now)
{
	const char *phase = str_at(ns, "status", "phase");

	if (path(ns, "metadata", "deletionTimestamp") != NULL) {
		phase = "Terminating";
	}
	return add_name(cells, ns) && add_str(cells, phase ? phase : "Active") &&
	       add_age(cells, ns, now);
}

static const char *
node_address(const cJSON *node, const char *type, char *buf, size_t len)
{
	const cJSON *a;
	size_t used = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(a, path(node, "status", "addresses")) {
		const char *t = str_at(a, "type", NULL);
		const char *v = str_at(a, "address", NULL);

		if (t != NULL && v != NULL && strcmp(t, type) == 0) {
			int n = snprintf(buf + used, len - used, "%s%s",
			                 used ? "," : "", v);

			if (n < 0 || (size_t)n >= len - used) {
				break;
			}
			used += (size_t)n;
		}
	}
	return used ? buf : "<none>";
}

static bool
node_cells(cJSON *cells, const cJSON *node, int64_t now)
{
	const cJSON *c;
	const cJSON *labels = path(node, "metadata", "labels");
	const cJSON *l;
	const char *status = "Unknown";
	const char *ver = str_at(path(node, "status", "nodeInfo"),
	                         "kubeletVersion", NULL);
	const cJSON *info = path(node, "status", "nodeInfo");
	char roles[256] = "";
	char st[64];
	char ib[256];
	char eb[256];
	size_t used = 0;
	const char *osi = str_at(info, "osImage", NULL);
	const char *kv = str_at(info, "kernelVersion", NULL);
	const char *cr = str_at(info, "containerRuntimeVersion", NULL);

	cJSON_ArrayForEach(c, path(node, "status", "conditions")) {
		const char *t = str_at(c, "type", NULL);
		const char *s = str_at(c, "status", NULL);

		if (t != NULL && s != NULL && strcmp(t, "Ready") == 0) {
			status = strcmp(s, "True") == 0 ? "Ready" : "NotReady";
		}
	}
	(void)snprintf(st, sizeof(st), "%s%s", status,
	               cJSON_IsTrue(path(node, "spec", "unschedulable"))
	                       ? ",SchedulingDisabled"
	                       : "");
	cJSON_ArrayForEach(l, labels) {
		static const char pfx[] = "node-role.kubernetes.io/";

		if (l->string != NULL &&
		    strncmp(l->string, pfx, sizeof(pfx) - 1) == 0) {
			int n = snprintf(roles + used, sizeof(roles) - used,
			                 "%s%s", used ? "," : "",
			                 l->string + sizeof(pfx) - 1);

			if (n < 0 || (size_t)n >= sizeof(roles) - used) {
				break;
			}
			used += (size_t)n;
		}
	}
	return add_name(cells, node) && add_str(cells, st) &&
	       add_str(cells, used ? roles : "<none>") &&
	       add_age(cells, node, now) && add_str(cells, ver ? ver : "") &&
	       add_str(cells, node_address(node, "InternalIP", ib, sizeof(ib))) &&
	       add_str(cells, node_address(node, "ExternalIP", eb, sizeof(eb))) &&
	       add_str(cells, osi ? osi : "<unknown>") &&
	       add_str(cells, kv ? kv : "<unknown>") &&
	       add_str(cells, cr ? cr : "<unknown>");
}

static bool
sa_cells(cJSON *cells, const cJSON *sa, int64_t now)
{
	return add_name(cells, sa) &&
	       add_int(cells, count_members(path(sa, "secrets", NULL))) &&
	       add_age(cells, sa, now);
}

static bool
secret_cells(cJSON *cells, const cJSON *s, int64_t now)
{
	const char *type = str_at(s, "type", NULL);

	return add_name(cells, s) && add_str(cells, type ? type : "Opaque") &&
	       add_int(cells, count_members(path(s, "data", NULL))) &&
	       add_age(cells, s, now);
}

static bool
cm_cells(cJSON *cells, const cJSON *cm, int64_t now)
{
	return add_name(cells, cm) &&
	       add_int(cells, count_members(path(cm, "data", NULL)) +
	                              count_members(path(cm, "binaryData",
	                                                 NULL))) &&
	       add_age(cells, cm, now);
}

static bool
role_cells(cJSON *cells, const cJSON *r, int64_t now)
{
	(void)now;
	return add_name(cells, r) && add_created_at(cells, r);
}

/* Comma-joined subject names of one kind ("ns/name" for SAs). */
static const char *
subjects_of(const cJSON *b, const char *kind, char *buf, size_t len)
{
	const cJSON *s;
	size_t used = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(s, path(b, "subjects", NULL)) {
		const char *k = str_at(s, "kind", NULL);
		const char *name = str_at(s, "name", NULL);
		const char *ns = str_at(s, "namespace", NULL);
		int n;

		if (k == NULL || name == NULL || strcmp(k, kind) != 0) {
			continue;
		}
		if (strcmp(kind, "ServiceAccount") == 0) {
			n = snprintf(buf + used, len - used, "%s%s/%s",
			             used ? ", " : "", ns ? ns : "", name);
		} else {
			n = snprintf(buf + used, len - used, "%s%s",
			             used ? ", " : "", name);
		}
		if (n < 0 || (size_t)n >= len - used) {
			break;
		}
		used += (size_t)n;
	}
	return buf;
}

static bool
binding_cells(cJSON *cells, const cJSON *b, int64_t now)
{
	const char *rk = str_at(b, "roleRef", "kind");
	const char *rn = str_at(b, "roleRef", "name");
	char role[256];
	char u[512];
	char g[512];
	char s[512];

	(void)snprintf(role, sizeof(role), "%s/%s", rk ? rk : "",
	               rn ? rn : "");
	return add_name(cells, b) && add_str(cells, role) &&
	       add_age(cells, b, now) &&
	       add_str(cells, subjects_of(b, "User", u, sizeof(u))) &&
	       add_str(cells, subjects_of(b, "Group", g, sizeof(g))) &&
	       add_str(cells, subjects_of(b, "ServiceAccount", s, sizeof(s)));
}

static bool
default_cells(cJSON *cells, const cJSON *obj, int64_t now)
{
	(void)now;
	return add_name(cells, obj) && add_created_at(cells, obj);
}

#define P(g, r, cols, fn) \
	{ g, r, cols, sizeof(cols) / sizeof((cols)[0]), fn }

static const struct printer printers[] = {
	P("", "pods", pod_cols, pod_cells),
	P("", "namespaces", ns_cols, ns_cells),
	P("", "nodes", node_cols, node_cells),
	P("", "serviceaccounts", sa_cols, sa_cells),
	P("", "secrets", secret_cols, secret_cells),
	P("", "configmaps", cm_cols, cm_cells),
	P("rbac.authorization.k8s.io", "roles", role_cols, role_cells),
	P("rbac.authorization.k8s.io", "clusterroles", role_cols, role_cells),
	P("rbac.authorization.k8s.io", "rolebindings", binding_cols,
	  binding_cells),
	P("rbac.authorization.k8s.io", "clusterrolebindings", binding_cols,
	  binding_cells),
};

static const struct printer default_printer =
	P("", "", default_cols, default_cells);

static const struct printer *
find_printer(const char *group, const char *resource)
{
	size_t i;

	for (i = 0; i < sizeof(printers) / sizeof(printers[0]); i++) {
		if (strcmp(printers[i].group, group ? group : "") == 0 &&
		    strcmp(printers[i].resource, resource) == 0) {
			return &printers[i];
		}
	}
	return &default_printer;
}

bool
mapi_table_include_parse(const char *text, enum mapi_table_include *out)
{
	if (text == NULL || *text == '\0' || strcmp(text, "Metadata") == 0) {
		*out = MAPI_TABLE_METADATA;
	} else if (strcmp(text, "None") == 0) {
		*out = MAPI_TABLE_NONE;
	} else if (strcmp(text, "Object") == 0) {
		*out = MAPI_TABLE_OBJECT;
	} else {
		return false;
	}
	return true;
}

bool
mapi_table_wanted(const char *accept)
{
	return accept != NULL && strstr(accept, "as=Table") != NULL &&
	       strstr(accept, "g=meta.k8s.io") != NULL;
}

static bool
add_columns(cJSON *table, const struct printer *p)
{
	cJSON *defs = cJSON_AddArrayToObject(table, "columnDefinitions");
	size_t i;

	if (defs == NULL) {
		return false;
	}
	for (i = 0; i < p->ncolumns; i++) {
		const struct column *c = &p->columns[i];
		cJSON *d = cJSON_CreateObject();

		if (d == NULL || !cJSON_AddItemToArray(defs, d)) {
			cJSON_Delete(d);
			return false;
		}
		if (cJSON_AddStringToObject(d, "name", c->name) == NULL ||
		    cJSON_AddStringToObject(d, "type", c->type) == NULL ||
		    cJSON_AddStringToObject(d, "format", c->format) == NULL ||
		    cJSON_AddStringToObject(d, "description", c->description) ==
		            NULL ||
		    cJSON_AddNumberToObject(d, "priority", c->priority) == NULL) {
			return false;
		}
	}
	return true;
}

static bool
add_row_object(cJSON *row, const cJSON *obj, enum mapi_table_include include)
{
	cJSON *o;
	cJSON *meta;

	if (include == MAPI_TABLE_NONE) {
		return true;
	}
	if (include == MAPI_TABLE_OBJECT) {
		o = cJSON_Duplicate(obj, true);
		if (o == NULL || !cJSON_AddItemToObject(row, "object", o)) {
			cJSON_Delete(o);
			return false;
		}
		return true;
	}
	o = cJSON_AddObjectToObject(row, "object");
	if (o == NULL ||
	    cJSON_AddStringToObject(o, "kind", "PartialObjectMetadata") ==
	            NULL ||
	    cJSON_AddStringToObject(o, "apiVersion", "meta.k8s.io/v1") ==
	            NULL) {
		return false;
	}
	meta = cJSON_Duplicate(path(obj, "metadata", NULL), true);
	if (meta == NULL) {
		meta = cJSON_CreateObject();
	}
	if (meta == NULL || !cJSON_AddItemToObject(o, "metadata", meta)) {
		cJSON_Delete(meta);
		return false;
	}
	return true;
}

enum mapi_err
mapi_table_build(const char *group, const char *resource, const cJSON *items,
                 const char *rv, const char *cont, int64_t now,
                 enum mapi_table_include include, cJSON **out)
{
	const struct printer *p = find_printer(group, resource);
	cJSON *table = cJSON_CreateObject();
	cJSON *meta;
	cJSON *rows;
	const cJSON *item;

	if (table == NULL ||
	    cJSON_AddStringToObject(table, "kind", "Table") == NULL ||
	    cJSON_AddStringToObject(table, "apiVersion", "meta.k8s.io/v1") ==
	            NULL ||
	    (meta = cJSON_AddObjectToObject(table, "metadata")) == NULL) {
		goto fail;
	}
	if (rv != NULL && cJSON_AddStringToObject(meta, "resourceVersion", rv) ==
	                          NULL) {
		goto fail;
	}
	if (cont != NULL && *cont != '\0' &&
	    cJSON_AddStringToObject(meta, "continue", cont) == NULL) {
		goto fail;
	}
	if (!add_columns(table, p) ||
	    (rows = cJSON_AddArrayToObject(table, "rows")) == NULL) {
		goto fail;
	}
	cJSON_ArrayForEach(item, items) {
		cJSON *row = cJSON_CreateObject();
		cJSON *cells;

		if (row == NULL || !cJSON_AddItemToArray(rows, row)) {
			cJSON_Delete(row);
			goto fail;
		}
		cells = cJSON_AddArrayToObject(row, "cells");
		if (cells == NULL || !p->cells(cells, item, now) ||
		    !add_row_object(row, item, include)) {
			goto fail;
		}
	}
	*out = table;
	return MAPI_OK;
fail:
	cJSON_Delete(table);
	return MAPI_ENOMEM;
}
