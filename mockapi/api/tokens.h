/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * tokens (api): the ServiceAccount token endpoints — TokenRequest (the
 * serviceaccounts/token subresource), TokenReview, SelfSubjectReview (their
 * handlers are declared in api/api.h) — and the tokens-controller
 * emulation the generic create path calls for Secrets.
 *
 * Threads: thread-safe (everything goes through the store and
 *   server/satokens).
 */

#include <stdbool.h>

struct cJSON;
struct mapi_call;
struct mapi_store;

/*
 * What kube-controller-manager's tokens controller does for a new Secret
 * of type kubernetes.io/service-account-token whose annotation
 * kubernetes.io/service-account.name names an existing ServiceAccount and
 * that has no data.token yet: fills data.token (a legacy token,
 * base64), data["ca.crt"] (the server CA), data.namespace and the
 * annotation kubernetes.io/service-account.uid, and stores the update.
 * *io_obj (the created Secret) is replaced by the updated one. Any other
 * Secret, a missing ServiceAccount or a failure leaves it as it is
 * (returns false).
 */
bool mapi_api_secret_fill_token(const struct mapi_call *call,
                                struct mapi_store *store,
                                struct cJSON **io_obj);
