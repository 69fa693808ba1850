/* SPDX-License-Identifier: MIT */
#include "errors.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const names[MAPI_ERR_COUNT_] = {
	[MAPI_OK] = "MAPI_OK",
	[MAPI_ENOMEM] = "MAPI_ENOMEM",
	[MAPI_EINVAL] = "MAPI_EINVAL",
	[MAPI_EIO] = "MAPI_EIO",
	[MAPI_ENOTFOUND] = "MAPI_ENOTFOUND",
	[MAPI_EEXIST] = "MAPI_EEXIST",
	[MAPI_ECONFLICT] = "MAPI_ECONFLICT",
	[MAPI_EINVALID] = "MAPI_EINVALID",
	[MAPI_EUNAUTHORIZED] = "MAPI_EUNAUTHORIZED",
	[MAPI_EFORBIDDEN] = "MAPI_EFORBIDDEN",
	[MAPI_EMETHOD] = "MAPI_EMETHOD",
	[MAPI_ETOOLARGE] = "MAPI_ETOOLARGE",
	[MAPI_EMEDIATYPE] = "MAPI_EMEDIATYPE",
	[MAPI_ETOOMANY] = "MAPI_ETOOMANY",
	[MAPI_ECRYPTO] = "MAPI_ECRYPTO",
	[MAPI_EINTERNAL] = "MAPI_EINTERNAL",
	[MAPI_EUNAVAILABLE] = "MAPI_EUNAVAILABLE",
	[MAPI_EGONE] = "MAPI_EGONE",
};

const char *
mapi_err_name(enum mapi_err err)
{
	if ((unsigned)err >= MAPI_ERR_COUNT_ || names[err] == NULL) {
		return "MAPI_E?";
	}
	return names[err];
}

void
mapi_diag_set(struct mapi_diag *diag, const char *fmt, ...)
{
	va_list ap;

	if (diag == NULL) {
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
	va_end(ap);
}
