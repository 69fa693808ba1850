/* SPDX-License-Identifier: MIT */
#include "api/patch.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#define MAX_DEPTH 64

/*
 * kube-apiserver's JSON patch bounds: at most 10000 operations
 * (maxJSONPatchOperations), and "copy" may grow the document by at most
 * 3 MiB in total (JSONPatchMaxCopyBytes, json-patch's
 * AccumulatedCopySizeLimit). Without the second, each copy of the root
 * into itself doubles the document.
 */
#define MAX_JSON_PATCH_OPS  10000
#define MAX_JSON_PATCH_COPY ((size_t)3 * 1024 * 1024)

/* patchMergeKey of the list fields upstream declares, by field name. */
static const struct {
	const char *field;
	const char *key;
} merge_keys[] = {
	{ "containers", "name" },
	{ "initContainers", "name" },
	{ "ephemeralContainers", "name" },
	{ "ports", "containerPort" },
	{ "env", "name" },
	{ "volumeMounts", "mountPath" },
	{ "volumeDevices", "devicePath" },
	{ "volumes", "name" },
	{ "imagePullSecrets", "name" },
	{ "hostAliases", "ip" },
	{ "conditions", "type" },
	{ "ownerReferences", "uid" },
	{ "secrets", "name" },
	{ "topologySpreadConstraints", "topologyKey" },
	{ "resourceClaims", "name" },
	{ "schedulingGates", "name" },
};

/* Primitive lists merged as sets (patchStrategy merge, no key). */
static const char *const merge_sets[] = { "finalizers" };

static const char *
merge_key_of(const char *field)
{
	size_t i;

	for (i = 0; field != NULL && i < sizeof(merge_keys) / sizeof(merge_keys[0]);
	     i++) {
		if (strcmp(merge_keys[i].field, field) == 0) {
			return merge_keys[i].key;
		}
	}
	return NULL;
}

static bool
is_merge_set(const char *field)
{
	size_t i;

	for (i = 0; field != NULL && i < sizeof(merge_sets) / sizeof(merge_sets[0]);
	     i++) {
		if (strcmp(merge_sets[i], field) == 0) {
			return true;
		}
	}
	return false;
}

enum mapi_err
mapi_patch_type_parse(const char *ct, enum mapi_patch_type *out_type)
{
	static const struct {
		const char *name;
		enum mapi_patch_type type;
	} types[] = {
		{ "application/merge-patch+json", MAPI_PATCH_MERGE },
		{ "application/strategic-merge-patch+json", MAPI_PATCH_STRATEGIC },
		{ "application/json-patch+json", MAPI_PATCH_JSON },
		{ "application/apply-patch+yaml", MAPI_PATCH_APPLY },
		{ "application/apply-patch+json", MAPI_PATCH_APPLY },
	};
	size_t n;
	size_t i;

	if (ct == NULL) {
		return MAPI_EMEDIATYPE;
	}
	n = strcspn(ct, "; \t");
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strlen(types[i].name) == n &&
		    strncasecmp(ct, types[i].name, n) == 0) {
			*out_type = types[i].type;
			return MAPI_OK;
		}
	}
	return MAPI_EMEDIATYPE;
}

/* RFC 7386 MergePatch(target, patch); consumes nothing, edits target. */
static enum mapi_err
merge(cJSON *target, const cJSON *patch, int depth)
{
	const cJSON *p;

	if (depth > MAX_DEPTH) {
		return MAPI_EINVAL;
	}
	cJSON_ArrayForEach(p, patch) {
		cJSON *t = cJSON_GetObjectItemCaseSensitive(target, p->string);

		if (cJSON_IsNull(p)) {
			cJSON_DeleteItemFromObjectCaseSensitive(target, p->string);
			continue;
		}
		if (cJSON_IsObject(p) && cJSON_IsObject(t)) {
			enum mapi_err err = merge(t, p, depth + 1);

			if (err != MAPI_OK) {
				return err;
			}
			continue;
		}
		{
			cJSON *copy = cJSON_Duplicate(p, true);

			if (copy == NULL) {
				return MAPI_ENOMEM;
			}
			if (cJSON_IsObject(copy)) {
				/* Nulls inside a new object are removed too. */
				cJSON *empty = cJSON_CreateObject();
				enum mapi_err err;

				if (empty == NULL) {
					cJSON_Delete(copy);
					return MAPI_ENOMEM;
				}
				err = merge(empty, p, depth + 1);
				cJSON_Delete(copy);
				if (err != MAPI_OK) {
					cJSON_Delete(empty);
					return err;
				}
				copy = empty;
			}
			if (t != NULL) {
				if (!cJSON_ReplaceItemInObjectCaseSensitive(
					    target, p->string, copy)) {
					cJSON_Delete(copy);
					return MAPI_ENOMEM;
				}
			} else if (!cJSON_AddItemToObject(target, p->string,
			                                  copy)) {
				cJSON_Delete(copy);
				return MAPI_ENOMEM;
			}
		}
	}
	return MAPI_OK;
}

static enum mapi_err smerge(cJSON *target, const cJSON *patch, int depth,
                            struct mapi_diag *diag);

static cJSON *
find_by_key(cJSON *list, const char *key, const cJSON *val)
{
	cJSON *e;

	cJSON_ArrayForEach(e, list) {
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, key);

		if (k != NULL && cJSON_Compare(k, val, true)) {
			return e;
		}
	}
	return NULL;
}

static bool
directive(const cJSON *obj, const char *value)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(obj, "$patch");

	return cJSON_IsString(d) && strcmp(d->valuestring, value) == 0;
}

/* Strategic merge of a keyed list: element-wise by `key`. */
static enum mapi_err
merge_keyed_list(cJSON *tlist, const cJSON *plist, const char *key, int depth,
                 struct mapi_diag *diag)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, plist) {
		const cJSON *kv = cJSON_GetObjectItemCaseSensitive(p, key);
		cJSON *t;

		if (!cJSON_IsObject(p)) {
			mapi_diag_set(diag, "unable to find api field in struct "
			                    "for the merge key %s",
			              key);
			return MAPI_EINVAL;
		}
		if (directive(p, "replace")) {
			continue; /* handled by the caller */
		}
		if (kv == NULL) {
			mapi_diag_set(diag, "map: %s does not contain declared "
			                    "merge key: %s",
			              "{…}", key);
			return MAPI_EINVAL;
		}
		t = find_by_key(tlist, key, kv);
		if (directive(p, "delete")) {
			if (t != NULL) {
				cJSON_Delete(cJSON_DetachItemViaPointer(tlist, t));
			}
			continue;
		}
		if (t == NULL) {
			cJSON *n = cJSON_CreateObject();
			enum mapi_err err;

			if (n == NULL) {
				return MAPI_ENOMEM;
			}
			err = smerge(n, p, depth + 1, diag);
			if (err != MAPI_OK || !cJSON_AddItemToArray(tlist, n)) {
				cJSON_Delete(n);
				return err != MAPI_OK ? err : MAPI_ENOMEM;
			}
			continue;
		}
		{
			enum mapi_err err = smerge(t, p, depth + 1, diag);

			if (err != MAPI_OK) {
				return err;
			}
		}
	}
	return MAPI_OK;
}

/* Reorders tlist after $setElementOrder: listed elements first, in order. */
static enum mapi_err
apply_order(cJSON *tlist, const cJSON *order, const char *key)
{
	cJSON *sorted = cJSON_CreateArray();
	const cJSON *o;
	cJSON *rest;

	if (sorted == NULL) {
		return MAPI_ENOMEM;
	}
	cJSON_ArrayForEach(o, order) {
		cJSON *t;

		if (key != NULL) {
			const cJSON *kv = cJSON_GetObjectItemCaseSensitive(o, key);

			t = kv ? find_by_key(tlist, key, kv) : NULL;
		} else {
			t = NULL;
			cJSON_ArrayForEach(rest, tlist) {
				if (cJSON_Compare(rest, o, true)) {
					t = rest;
					break;
				}
			}
		}
		if (t != NULL) {
			cJSON_AddItemToArray(sorted,
			                     cJSON_DetachItemViaPointer(tlist, t));
		}
	}
	while ((rest = cJSON_DetachItemFromArray(tlist, 0)) != NULL) {
		cJSON_AddItemToArray(sorted, rest);
	}
	while ((rest = cJSON_DetachItemFromArray(sorted, 0)) != NULL) {
		cJSON_AddItemToArray(tlist, rest);
	}
	cJSON_Delete(sorted);
	return MAPI_OK;
}

static bool
has_prefix(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static enum mapi_err
set_copy(cJSON *target, const char *name, const cJSON *value)
{
	cJSON *copy = cJSON_Duplicate(value, true);

	if (copy == NULL) {
		return MAPI_ENOMEM;
	}
	if (cJSON_GetObjectItemCaseSensitive(target, name) != NULL) {
		if (!cJSON_ReplaceItemInObjectCaseSensitive(target, name, copy)) {
			cJSON_Delete(copy);
			return MAPI_ENOMEM;
		}
	} else if (!cJSON_AddItemToObject(target, name, copy)) {
		cJSON_Delete(copy);
		return MAPI_ENOMEM;
	}
	return MAPI_OK;
}

static enum mapi_err
merge_set(cJSON *tlist, const cJSON *plist)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, plist) {
		const cJSON *t;
		bool found = false;

		cJSON_ArrayForEach(t, tlist) {
			if (cJSON_Compare(t, p, true)) {
				found = true;
				break;
			}
		}
		if (!found) {
			cJSON *c = cJSON_Duplicate(p, true);

			if (c == NULL || !cJSON_AddItemToArray(tlist, c)) {
				cJSON_Delete(c);
				return MAPI_ENOMEM;
			}
		}
	}
	return MAPI_OK;
}

static void
delete_values(cJSON *tlist, const cJSON *values)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, values) {
		cJSON *t = tlist ? tlist->child : NULL;

		while (t != NULL) {
			cJSON *next = t->next;

			if (cJSON_Compare(t, v, true)) {
				cJSON_Delete(cJSON_DetachItemViaPointer(tlist, t));
			}
			t = next;
		}
	}
}

/* Strategic merge patch of one object level. */
static enum mapi_err
smerge(cJSON *target, const cJSON *patch, int depth, struct mapi_diag *diag)
{
	const cJSON *p;
	const cJSON *retain;
	enum mapi_err err;

	if (depth > MAX_DEPTH) {
		mapi_diag_set(diag, "patch nesting is too deep");
		return MAPI_EINVAL;
	}
	if (directive(patch, "replace")) {
		cJSON *child;

		while ((child = cJSON_DetachItemFromArray(target, 0)) != NULL) {
			cJSON_Delete(child);
		}
	}
	cJSON_ArrayForEach(p, patch) {
		cJSON *t;
		const char *key;

		if (strcmp(p->string, "$patch") == 0 ||
		    strcmp(p->string, "$retainKeys") == 0 ||
		    has_prefix(p->string, "$setElementOrder/")) {
			continue;
		}
		if (has_prefix(p->string, "$deleteFromPrimitiveList/")) {
			delete_values(cJSON_GetObjectItemCaseSensitive(
					      target, p->string + 25),
			              p);
			continue;
		}
		t = cJSON_GetObjectItemCaseSensitive(target, p->string);
		if (cJSON_IsNull(p)) {
			cJSON_DeleteItemFromObjectCaseSensitive(target, p->string);
			continue;
		}
		if (cJSON_IsObject(p)) {
			if (directive(p, "delete")) {
				cJSON_DeleteItemFromObjectCaseSensitive(target,
				                                        p->string);
				continue;
			}
			if (!cJSON_IsObject(t) || directive(p, "replace")) {
				cJSON *n = cJSON_CreateObject();

				if (n == NULL) {
					return MAPI_ENOMEM;
				}
				err = smerge(n, p, depth + 1, diag);
				if (err == MAPI_OK) {
					err = set_copy(target, p->string, n);
				}
				cJSON_Delete(n);
				if (err != MAPI_OK) {
					return err;
				}
				continue;
			}
			err = smerge(t, p, depth + 1, diag);
			if (err != MAPI_OK) {
				return err;
			}
			continue;
		}
		key = merge_key_of(p->string);
		if (cJSON_IsArray(p) && cJSON_IsArray(t) && key != NULL) {
			const cJSON *first = p->child;
			char order[160];

			if (first != NULL && directive(first, "replace")) {
				/* [{"$patch":"replace"}, …]: the list is replaced. */
				cJSON *n = cJSON_CreateArray();
				const cJSON *e;

				if (n == NULL) {
					return MAPI_ENOMEM;
				}
				cJSON_ArrayForEach(e, p) {
					cJSON *c;

					if (e == first) {
						continue;
					}
					c = cJSON_Duplicate(e, true);
					if (c == NULL || !cJSON_AddItemToArray(n, c)) {
						cJSON_Delete(c);
						cJSON_Delete(n);
						return MAPI_ENOMEM;
					}
				}
				err = set_copy(target, p->string, n);
				cJSON_Delete(n);
				if (err != MAPI_OK) {
					return err;
				}
				continue;
			}
			err = merge_keyed_list(t, p, key, depth, diag);
			if (err != MAPI_OK) {
				return err;
			}
			(void)snprintf(order, sizeof(order), "$setElementOrder/%s",
			               p->string);
			if (cJSON_GetObjectItemCaseSensitive(patch, order) != NULL) {
				err = apply_order(t, cJSON_GetObjectItemCaseSensitive(
							     patch, order),
				                  key);
				if (err != MAPI_OK) {
					return err;
				}
			}
			continue;
		}
		if (cJSON_IsArray(p) && cJSON_IsArray(t) && is_merge_set(p->string)) {
			err = merge_set(t, p);
			if (err != MAPI_OK) {
				return err;
			}
			continue;
		}
		if (cJSON_IsArray(p) && key != NULL) {
			/* New keyed list: drop directive-only elements. */
			cJSON *n = cJSON_CreateArray();

			if (n == NULL) {
				return MAPI_ENOMEM;
			}
			err = merge_keyed_list(n, p, key, depth, diag);
			if (err == MAPI_OK) {
				err = set_copy(target, p->string, n);
			}
			cJSON_Delete(n);
			if (err != MAPI_OK) {
				return err;
			}
			continue;
		}
		err = set_copy(target, p->string, p);
		if (err != MAPI_OK) {
			return err;
		}
	}
	/* $retainKeys: drop every key of target not listed (and not patched). */
	retain = cJSON_GetObjectItemCaseSensitive(patch, "$retainKeys");
	if (cJSON_IsArray(retain)) {
		cJSON *t = target->child;

		while (t != NULL) {
			cJSON *next = t->next;
			const cJSON *r;
			bool keep = false;

			cJSON_ArrayForEach(r, retain) {
				if (cJSON_IsString(r) &&
				    strcmp(r->valuestring, t->string) == 0) {
					keep = true;
				}
			}
			if (!keep) {
				cJSON_Delete(cJSON_DetachItemViaPointer(target, t));
			}
			t = next;
		}
	}
	return MAPI_OK;
}

/* RFC 6901 pointer → parent container and last token (unescaped). */
static cJSON *
resolve_parent(cJSON *root, const char *ptr, char *last, size_t lastlen)
{
	cJSON *cur = root;
	const char *p = ptr;

	if (*p != '/') {
		return NULL;
	}
	for (;;) {
		const char *end = strchr(p + 1, '/');
		size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1);
		size_t i;
		size_t o = 0;
		char tok[256];

		if (n >= sizeof(tok)) {
			return NULL;
		}
		for (i = 0; i < n; i++) {
			char c = p[1 + i];

			if (c == '~' && i + 1 < n && (p[2 + i] == '0' ||
			                              p[2 + i] == '1')) {
				tok[o++] = p[2 + i] == '0' ? '~' : '/';
				i++;
			} else if (c == '~') {
				return NULL;
			} else {
				tok[o++] = c;
			}
		}
		tok[o] = '\0';
		if (end == NULL) {
			if (o >= lastlen) {
				return NULL;
			}
			memcpy(last, tok, o + 1);
			return cur;
		}
		if (cJSON_IsObject(cur)) {
			cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
		} else if (cJSON_IsArray(cur)) {
			char *e;
			long idx = strtol(tok, &e, 10);

			if (*tok == '\0' || *e != '\0' || idx < 0) {
				return NULL;
			}
			cur = cJSON_GetArrayItem(cur, (int)idx);
		} else {
			return NULL;
		}
		if (cur == NULL) {
			return NULL;
		}
		p = end;
	}
}

static bool
array_index(const cJSON *arr, const char *tok, bool allow_end, int *out)
{
	char *e;
	long idx;
	int n = cJSON_GetArraySize(arr);

	if (allow_end && strcmp(tok, "-") == 0) {
		*out = n;
		return true;
	}
	idx = strtol(tok, &e, 10);
	if (*tok == '\0' || *e != '\0' || idx < 0 ||
	    idx > (allow_end ? n : n - 1)) {
		return false;
	}
	*out = (int)idx;
	return true;
}

static cJSON *
get_at(cJSON *parent, const char *tok)
{
	int i;

	if (cJSON_IsObject(parent)) {
		return cJSON_GetObjectItemCaseSensitive(parent, tok);
	}
	if (cJSON_IsArray(parent) && array_index(parent, tok, false, &i)) {
		return cJSON_GetArrayItem(parent, i);
	}
	return NULL;
}

static cJSON *
detach_at(cJSON *parent, const char *tok)
{
	int i;

	if (cJSON_IsObject(parent)) {
		return cJSON_DetachItemFromObjectCaseSensitive(parent, tok);
	}
	if (cJSON_IsArray(parent) && array_index(parent, tok, false, &i)) {
		return cJSON_DetachItemFromArray(parent, i);
	}
	return NULL;
}

/* Adds (consumes) value at parent/tok: objects replace, arrays insert. */
static bool
add_at(cJSON *parent, const char *tok, cJSON *value)
{
	int i;

	if (cJSON_IsObject(parent)) {
		if (cJSON_GetObjectItemCaseSensitive(parent, tok) != NULL) {
			return cJSON_ReplaceItemInObjectCaseSensitive(parent, tok,
			                                              value);
		}
		return cJSON_AddItemToObject(parent, tok, value);
	}
	if (cJSON_IsArray(parent) && array_index(parent, tok, true, &i)) {
		/*
		 * Debian's cJSON 1.7.15 cJSON_InsertItemInArray() refuses
		 * valid indexes, so insert by re-appending the tail.
		 */
		cJSON *tail = cJSON_CreateArray();
		cJSON *item;
		bool ok;

		if (tail == NULL) {
			return false;
		}
		while ((item = cJSON_DetachItemFromArray(parent, i)) != NULL) {
			(void)cJSON_AddItemToArray(tail, item);
		}
		ok = cJSON_AddItemToArray(parent, value);
		while ((item = cJSON_DetachItemFromArray(tail, 0)) != NULL) {
			(void)cJSON_AddItemToArray(parent, item);
		}
		cJSON_Delete(tail);
		return ok;
	}
	return false;
}

static enum mapi_err
json_patch(cJSON *doc, const cJSON *ops, struct mapi_diag *diag)
{
	const cJSON *op;
	size_t copied = 0;
	int nops;

	if (!cJSON_IsArray(ops)) {
		mapi_diag_set(diag, "json patch must be an array of operations");
		return MAPI_EINVAL;
	}
	nops = cJSON_GetArraySize(ops);
	if (nops > MAX_JSON_PATCH_OPS) {
		mapi_diag_set(
			diag,
			"The allowed maximum operations in a JSON patch is "
			"%d, got %d",
			MAX_JSON_PATCH_OPS, nops);
		return MAPI_ETOOLARGE;
	}
	cJSON_ArrayForEach(op, ops) {
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(op, "op");
		const cJSON *path = cJSON_GetObjectItemCaseSensitive(op, "path");
		const cJSON *from = cJSON_GetObjectItemCaseSensitive(op, "from");
		const cJSON *value = cJSON_GetObjectItemCaseSensitive(op, "value");
		char tok[256];
		char ftok[256];
		cJSON *parent;
		cJSON *v = NULL;

		if (!cJSON_IsString(o) || !cJSON_IsString(path)) {
			mapi_diag_set(diag, "json patch operation needs \"op\" "
			                    "and \"path\"");
			return MAPI_EINVAL;
		}
		parent = resolve_parent(doc, path->valuestring, tok, sizeof(tok));
		if (parent == NULL) {
			mapi_diag_set(diag, "doc is missing path: \"%s\"",
			              path->valuestring);
			return MAPI_EINVAL;
		}
		if (strcmp(o->valuestring, "test") == 0) {
			const cJSON *cur = get_at(parent, tok);

			if (cur == NULL || value == NULL ||
			    !cJSON_Compare(cur, value, true)) {
				mapi_diag_set(diag, "testing value %s failed",
				              path->valuestring);
				return MAPI_EINVAL;
			}
			continue;
		}
		if (strcmp(o->valuestring, "remove") == 0 ||
		    strcmp(o->valuestring, "replace") == 0) {
			if (get_at(parent, tok) == NULL) {
				mapi_diag_set(diag, "doc is missing path: \"%s\"",
				              path->valuestring);
				return MAPI_EINVAL;
			}
			cJSON_Delete(detach_at(parent, tok));
			if (strcmp(o->valuestring, "remove") == 0) {
				continue;
			}
		} else if (strcmp(o->valuestring, "move") == 0 ||
		           strcmp(o->valuestring, "copy") == 0) {
			cJSON *fparent;

			if (!cJSON_IsString(from) ||
			    (fparent = resolve_parent(doc, from->valuestring, ftok,
			                              sizeof(ftok))) == NULL ||
			    get_at(fparent, ftok) == NULL) {
				mapi_diag_set(diag, "doc is missing from path");
				return MAPI_EINVAL;
			}
			if (strcmp(o->valuestring, "copy") == 0) {
				char *text = cJSON_PrintUnformatted(
					get_at(fparent, ftok));

				if (text == NULL) {
					return MAPI_ENOMEM;
				}
				copied += strlen(text);
				cJSON_free(text);
				if (copied > MAX_JSON_PATCH_COPY) {
					mapi_diag_set(
						diag,
						"Unable to complete the copy, "
						"the accumulated size increase "
						"of copy is %zu, exceeding the "
						"limit %zu",
						copied, MAX_JSON_PATCH_COPY);
					return MAPI_ETOOLARGE;
				}
			}
			v = strcmp(o->valuestring, "move") == 0
			            ? detach_at(fparent, ftok)
			            : cJSON_Duplicate(get_at(fparent, ftok), true);
			/* Moving may have shifted the destination's parent. */
			parent = resolve_parent(doc, path->valuestring, tok,
			                        sizeof(tok));
			if (v == NULL || parent == NULL || !add_at(parent, tok, v)) {
				cJSON_Delete(v);
				mapi_diag_set(diag, "unable to %s to \"%s\"",
				              o->valuestring, path->valuestring);
				return MAPI_EINVAL;
			}
			continue;
		} else if (strcmp(o->valuestring, "add") != 0) {
			mapi_diag_set(diag, "Unexpected kind: %s", o->valuestring);
			return MAPI_EINVAL;
		}
		if (value == NULL) {
			mapi_diag_set(diag, "json patch %s needs a value",
			              o->valuestring);
			return MAPI_EINVAL;
		}
		v = cJSON_Duplicate(value, true);
		if (v == NULL) {
			return MAPI_ENOMEM;
		}
		if (!add_at(parent, tok, v)) {
			cJSON_Delete(v);
			mapi_diag_set(diag, "unable to add to \"%s\"",
			              path->valuestring);
			return MAPI_EINVAL;
		}
	}
	return MAPI_OK;
}

enum mapi_err
mapi_patch_apply(enum mapi_patch_type type, cJSON **target, const cJSON *patch,
                 struct mapi_diag *diag)
{
	cJSON *work;
	enum mapi_err err;

	if (target == NULL || *target == NULL || patch == NULL) {
		return MAPI_EINVAL;
	}
	if (type != MAPI_PATCH_JSON && !cJSON_IsObject(patch)) {
		mapi_diag_set(diag, "the patch must be a JSON object");
		return MAPI_EINVAL;
	}
	work = cJSON_Duplicate(*target, true);
	if (work == NULL) {
		return MAPI_ENOMEM;
	}
	switch (type) {
	case MAPI_PATCH_MERGE:
	case MAPI_PATCH_APPLY:
		err = merge(work, patch, 0);
		if (err == MAPI_EINVAL) {
			mapi_diag_set(diag, "patch nesting is too deep");
		}
		break;
	case MAPI_PATCH_STRATEGIC:
		err = smerge(work, patch, 0, diag);
		break;
	case MAPI_PATCH_JSON:
		err = json_patch(work, patch, diag);
		break;
	default:
		err = MAPI_EMEDIATYPE;
		break;
	}
	if (err != MAPI_OK) {
		cJSON_Delete(work);
		return err;
	}
	cJSON_Delete(*target);
	*target = work;
	return MAPI_OK;
}
