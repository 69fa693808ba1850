/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * saclient: the paired client library for mockapi (and any Kubernetes API
 * server). It finds the API server and credentials the way real clients do,
 * holds a ServiceAccount token with one of three refresh strategies, and
 * calls the API.
 *
 * This is the skeleton of the public contract; the library grows into it
 * (see issue "saclient").
 *
 * Ownership: every sac_*_new() result is freed by the matching _free().
 * Thread safety: none yet.
 * Errors: enum sac_err, SAC_OK == 0.
 */

enum sac_err {
	SAC_OK = 0,
	SAC_ENOMEM,
	SAC_EINVAL,
};

/* The library version, e.g. "0.1.0". Never NULL. */
const char *sac_version(void);
