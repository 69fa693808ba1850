/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * transport: HTTPS requests for libsaclient. The ONLY user of
 * <curl/curl.h>. One transport holds one curl easy handle, so the TLS
 * connection is kept alive and reused across calls (client-go does the
 * same). The server is always verified against the configured CA unless
 * insecure_skip_tls_verify is set, which prints a warning on stderr.
 *
 * Ownership: the transport copies what it needs from the config.
 *   Responses (struct sac_http_response, saclient.h) are owned by the
 *   caller: sac_http_response_fini().
 * Thread safety: one thread at a time per transport.
 * Errors: SAC_ENETWORK (connect/DNS/reset), SAC_ETLS (certificate or
 *   handshake; diag names curl's TLS error), SAC_ETIMEOUT, SAC_ENOMEM.
 *   Any HTTP status is SAC_OK at this level; callers map statuses.
 */

#include <stddef.h>

#include "saclient.h"

struct sac_transport;


/* Bounds every request (connect + transfer) to timeout_ms (0: 30 s). */
SAC_NODISCARD enum sac_err sac_transport_new(const struct sac_config *cfg, long timeout_ms,
                               struct sac_transport **out,
                               struct sac_diag *diag);

void sac_transport_free(struct sac_transport *t);

/* The server URL the transport talks to (borrowed). */
const char *sac_transport_server(const struct sac_transport *t);

/*
 * One request: method, path (with query) appended to the server URL, an
 * optional bearer token (never logged), an optional body with its
 * Content-Type. Accept is application/json.
 */
SAC_NODISCARD enum sac_err sac_transport_do(struct sac_transport *t, const char *method,
                              const char *path, const char *bearer,
                              const char *content_type, const char *body,
                              size_t body_len, struct sac_http_response *out,
                              struct sac_diag *diag);

