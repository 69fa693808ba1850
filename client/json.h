/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * json: the client's own small cJSON helpers (not installed). Separate
 * from mockapi's server/json.c on purpose (STYLE.md principle 2).
 *
 * Ownership: getters return borrowed pointers into the object; parse
 *   results are the caller's (cJSON_Delete).
 * Thread safety: pure functions.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "saclient.h"

struct cJSON;

/*
 * Parses exactly len bytes of JSON (trailing garbage is an error).
 * SAC_EINVAL with "offset N" in diag.
 */
SAC_NODISCARD enum sac_err sac_json_parse(const char *text, size_t len,
                                          struct cJSON **out,
                                          struct sac_diag *diag);

/* obj[key] if it is an object, else NULL. */
const struct cJSON *sac_json_obj(const struct cJSON *obj, const char *key);

/* obj[key] if it is a string, else NULL (borrowed). */
const char *sac_json_str(const struct cJSON *obj, const char *key);

/* Follows a dotted path of object keys ("status.token"); NULL on a miss. */
const struct cJSON *sac_json_path(const struct cJSON *obj, const char *path);

/* As sac_json_path for a string leaf. */
const char *sac_json_path_str(const struct cJSON *obj, const char *path);

/* obj[key] as an integral number; false when absent or not integral. */
bool sac_json_int(const struct cJSON *obj, const char *key, int64_t *out);

/* obj[key] if it is a boolean; def otherwise. */
bool sac_json_bool(const struct cJSON *obj, const char *key, bool def);

/*
 * Attaches item under key; frees item when attaching fails (cJSON's own
 * AddItem does not). false on failure (item is then gone).
 */
bool sac_json_adopt(struct cJSON *obj, const char *key, struct cJSON *item);
