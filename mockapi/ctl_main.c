/* SPDX-License-Identifier: MIT */
/*
 * mockapi-ctl: the admin API client on its own, so that libcurl (and the
 * ~20 libraries it pulls in, ~1.9 MB of RSS) is never mapped into the
 * server. `mockapi ctl ARGS` execs this binary as `mockapi-ctl ctl ARGS`.
 */
#include <string.h>

#include "ctl.h"

int
main(int argc, char **argv)
{
	/* Called as `mockapi-ctl ctl ARGS` (from mockapi) or directly. */
	if (argc > 1 && strcmp(argv[1], "ctl") == 0) {
		return mapi_ctl_main(argc - 1, argv + 1);
	}
	argv[0] = (char *)"ctl";
	return mapi_ctl_main(argc, argv);
}
