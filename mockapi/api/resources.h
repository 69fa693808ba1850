/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * resources: helpers of the generic REST handler (api/resources.c) that
 * other api/ files share. The handler itself, mapi_api_resources, is
 * declared in api/api.h with the other handlers.
 *
 * Thread safety: pure; thread-safe.
 */

#include <stdbool.h>

struct cJSON;

/*
 * Sets obj[key] to the standard base64 (with padding) of the NUL-terminated
 * value, as Secret.data holds bytes. False on allocation failure (obj is
 * then unchanged).
 */
bool mapi_resources_set_b64(struct cJSON *obj, const char *key,
                            const char *value);
