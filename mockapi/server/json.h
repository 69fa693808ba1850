/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * json: the few cJSON helpers every mockapi module uses, written once so the
 * library's traps are handled in one place (STYLE.md 3.5).
 *
 * Ownership: getters return borrowed pointers into the object passed in,
 *   valid until that object is changed or freed. mapi_json_adopt() takes
 *   ownership of the item in every case (attached, or freed on failure).
 *   mapi_json_parse() and mapi_json_print() return memory the caller frees
 *   with cJSON_Delete() / cJSON_free() respectively.
 * Thread safety: pure functions over caller-owned data.
 * Errors: enum mapi_err; outputs are written only on MAPI_OK.
 * Limits: mapi_json_parse() refuses input longer than the len it is given
 *   and any trailing garbage after the value.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"

struct cJSON;

/*
 * Parses exactly len bytes (no NUL needed) as one JSON value, with nothing
 * but whitespace after it. On failure MAPI_EINVAL, diag->offset is the byte
 * offset where parsing stopped and diag->msg says "invalid JSON at offset N".
 * (cJSON does not tell an allocation failure from a syntax error; both are
 * reported as MAPI_EINVAL.)
 */
MAPI_NODISCARD enum mapi_err mapi_json_parse(const char *text, size_t len,
                                             struct cJSON **out,
                                             struct mapi_diag *diag);

/*
 * Prints obj compactly. Returns a string to free with cJSON_free(), or NULL
 * on allocation failure.
 */
char *mapi_json_print(const struct cJSON *obj);

/*
 * Sets obj[key] = item, replacing any existing member of that name. Takes
 * ownership of item: on failure (obj not an object, ENOMEM) item is freed.
 * Returns MAPI_OK, MAPI_EINVAL (obj NULL or not an object, item NULL) or
 * MAPI_ENOMEM.
 */
MAPI_NODISCARD enum mapi_err mapi_json_adopt(struct cJSON *obj,
                                             const char *key,
                                             struct cJSON *item);

/* obj[key] = a copy of value (replacing); MAPI_EINVAL / MAPI_ENOMEM. */
MAPI_NODISCARD enum mapi_err mapi_json_set_string(struct cJSON *obj,
                                                  const char *key,
                                                  const char *value);

/* obj[key] = number (replacing); exact for |n| < 2^53. */
MAPI_NODISCARD enum mapi_err mapi_json_set_int(struct cJSON *obj,
                                               const char *key, int64_t n);

/*
 * The member obj[key] if it exists and is an object / a string; NULL
 * otherwise (including obj == NULL). Borrowed. Keys are case-sensitive.
 */
struct cJSON *mapi_json_get_object(const struct cJSON *obj, const char *key);
const char *mapi_json_get_string(const struct cJSON *obj, const char *key);

/*
 * Follows a dotted path of object members ("metadata.name") and returns the
 * string there, or NULL if any step is missing or the leaf is not a string.
 */
const char *mapi_json_get_path_string(const struct cJSON *obj,
                                      const char *path);

/*
 * The member obj[key] as an int64 if it is a number holding an integer in
 * [-2^53, 2^53]; else false and *out is unchanged.
 */
bool mapi_json_get_int(const struct cJSON *obj, const char *key,
                       int64_t *out);

/*
 * Returns (and creates if missing) obj[key] as an object; NULL on ENOMEM or
 * when obj[key] exists but is not an object. Borrowed.
 */
struct cJSON *mapi_json_ensure_object(struct cJSON *obj, const char *key);
