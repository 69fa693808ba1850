/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * reply: what the token and review handlers (api/tokens.c, api/reviews.c,
 * api/openid.c) share — decoding a create body (JSON, or the Kubernetes
 * protobuf envelope through server/proto) and answering with a JSON
 * object, and the user.Info JSON of an identity.
 *
 * Ownership: objects returned are fresh (cJSON_Delete); objects passed to
 *   mapi_reply_json are borrowed.
 * Threads: pure; thread-safe.
 * Errors: failures are answered on resp (a Status); the functions return
 *   false then.
 */

#include <stdbool.h>

struct cJSON;
struct mapi_call;
struct mapi_identity;
struct mapi_response;

/*
 * Decodes the request body as the object `kind` (used in the 400 text):
 * protobuf by Content-Type, else JSON (any other type → 415), which must
 * be an object. False with the Status written on failure.
 */
bool mapi_reply_decode(const struct mapi_call *call, struct mapi_response *resp,
                       const char *kind, struct cJSON **out);

/* Answers obj as compact JSON plus "\n" (json.Encoder) with code. */
void mapi_reply_json(struct mapi_response *resp, int code,
                     const struct cJSON *obj);

/*
 * authentication/v1 UserInfo of id: {username, uid, groups, extra{k:[v]}},
 * each member omitted when empty (omitempty). NULL on ENOMEM.
 */
struct cJSON *mapi_reply_user_info(const struct mapi_identity *id);

/* 500 Internal error "out of memory" (or a bare 500). */
void mapi_reply_oom(struct mapi_response *resp);
