/* SPDX-License-Identifier: MIT */
/*
 * mockapi: a mock Kubernetes API server for ServiceAccount token tests.
 * This file is the command line: flags → config → server; signals; ready line.
 */
#include <stdio.h>
#include <string.h>

#include "mapi_version.h"

static void
usage(FILE *f)
{
	fputs("Usage: mockapi [OPTIONS]\n"
	      "\n"
	      "A mock Kubernetes API server (HTTPS) that issues and checks real\n"
	      "ServiceAccount tokens, with a clock you can steer.\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help       show this help and exit\n"
	      "      --version    print the version and exit\n"
	      "\n"
	      "The HTTPS server is not built yet; see README.md.\n",
	      f);
}

int
main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("mockapi %s\n", MAPI_VERSION);
			return 0;
		}
		fprintf(stderr, "mockapi: unknown option %s\n", argv[i]);
		usage(stderr);
		return 2;
	}
	fputs("mockapi: the HTTPS server is not built yet (see README.md)\n",
	      stderr);
	return 1;
}
