/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * status: HTTP status + metav1.Status body -> enum sac_err and kubectl's
 * wording (not installed). The client's own Status handling; it shares
 * nothing with mockapi's status.c (STYLE.md principle 2).
 *
 * Thread safety: pure functions.
 */

#include "saclient.h"

/*
 * Maps a non-2xx response to SAC_EAUTH (401), SAC_EFORBIDDEN (403),
 * SAC_ENOTFOUND (404) or SAC_EHTTP, fills diag->status from the body and
 * diag->msg in kubectl's wording: "You must be logged in to the server
 * (<message>)" for 401, else "Error from server (<Reason>): <message>".
 * what, when not NULL, switches to kubectl's create wording: "failed to
 * <what>: <message>". Returns SAC_OK for a 2xx response.
 */
enum sac_err sac_status_to_err(const struct sac_http_response *resp,
                               const char *what, struct sac_diag *diag);
