/* SPDX-License-Identifier: MIT */
/*
 * fuzz_kubeconfig: the client's kubeconfig parser (sac_config_kubeconfig,
 * libyaml) over arbitrary file contents. The input is written to one
 * memfd created in LLVMFuzzerInitialize and handed to the parser as
 * /proc/self/fd/N, so no file is created and the client needs no test
 * hook. The parser reads only that file (certificate-authority and
 * tokenFile are kept as paths). Each input is tried with the file's own
 * current-context and with an explicit context and namespace override.
 * Properties: on success the config has a server and a namespace; on
 * failure nothing is returned and diag is a NUL-terminated line.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "saclient.h"

static int memfd = -1;
static char memfd_path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memfd = memfd_create("fuzz-kubeconfig", MFD_CLOEXEC);
	FUZZ_CHECK(memfd >= 0);
	snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	return 0;
}

static void
load(const char *context, const char *ns)
{
	struct sac_config *c = NULL;
	struct sac_diag diag;

	memset(&diag, 0, sizeof(diag));
	enum sac_err err;

	err = sac_config_kubeconfig(memfd_path, context, ns, &c, &diag);
	if (err != SAC_OK) {
		FUZZ_CHECK(c == NULL);
		FUZZ_CHECK(err < SAC_ERR_COUNT_);
		FUZZ_CHECK(memchr(diag.msg, '\0', sizeof(diag.msg)) != NULL);
		return;
	}
	FUZZ_CHECK(c != NULL);
	FUZZ_CHECK(c->server != NULL);
	FUZZ_CHECK(c->namespace_ != NULL && c->namespace_[0] != '\0');
	FUZZ_CHECK(c->origin != NULL);
	sac_config_free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FUZZ_CHECK(ftruncate(memfd, 0) == 0);
	FUZZ_CHECK(size == 0 || pwrite(memfd, data, size, 0) == (ssize_t)size);
	load(NULL, NULL);
	load("ctx", "ns");
	return 0;
}
