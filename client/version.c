/* SPDX-License-Identifier: MIT */
#include "saclient.h"

const char *
sac_version(void)
{
	return "0.1.0";
}
