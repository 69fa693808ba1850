/* SPDX-License-Identifier: MIT */
#include "saclient.h"

static const char *const names[SAC_ERR_COUNT_] = {
	[SAC_OK] = "SAC_OK",
	[SAC_ENOMEM] = "SAC_ENOMEM",
	[SAC_EINVAL] = "SAC_EINVAL",
	[SAC_ECONFIG] = "SAC_ECONFIG",
	[SAC_EIO] = "SAC_EIO",
	[SAC_ENETWORK] = "SAC_ENETWORK",
	[SAC_ETLS] = "SAC_ETLS",
	[SAC_EAUTH] = "SAC_EAUTH",
	[SAC_EFORBIDDEN] = "SAC_EFORBIDDEN",
	[SAC_ENOTFOUND] = "SAC_ENOTFOUND",
	[SAC_EHTTP] = "SAC_EHTTP",
	[SAC_ETOKEN] = "SAC_ETOKEN",
	[SAC_ETIMEOUT] = "SAC_ETIMEOUT",
};

const char *
sac_err_name(enum sac_err err)
{
	if ((unsigned)err >= SAC_ERR_COUNT_ || names[err] == NULL) {
		return "SAC_E?";
	}
	return names[err];
}

const char *
sac_version(void)
{
	return "0.1.0";
}

enum sac_exit
sac_exit_code(enum sac_err err)
{
	switch (err) {
	case SAC_OK:
		return SAC_EXIT_OK;
	case SAC_EINVAL:
		return SAC_EXIT_USAGE;
	case SAC_ECONFIG:
	case SAC_EIO:
		return SAC_EXIT_CONFIG;
	case SAC_ENETWORK:
	case SAC_ETLS:
	case SAC_ETIMEOUT:
		return SAC_EXIT_NETWORK;
	case SAC_EAUTH:
		return SAC_EXIT_AUTH;
	case SAC_ETOKEN:
		return SAC_EXIT_TOKEN;
	case SAC_ENOMEM:
	case SAC_EFORBIDDEN:
	case SAC_ENOTFOUND:
	case SAC_EHTTP:
	case SAC_ERR_COUNT_:
		break;
	}
	return SAC_EXIT_API;
}
