/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * ctl: `mockapi ctl ...`, a small client for the /mock/v1 admin API. It
 * is a CLIENT, so it uses the project's client transport, libcurl — only
 * in mockapi/ctl.c, linked into the mockapi binary and not into
 * libmockapi. It reads the URL, the CA data and the admin token from a
 * kubeconfig (--kubeconfig, else the first path of $KUBECONFIG, else
 * ./.mockapi/kubeconfig) with a line parser that understands the
 * kubeconfig mockapi writes (first server:, certificate-authority-data:
 * and token: entries).
 *
 * Output: the server's JSON on stdout (events and requests one item per
 * line). Exit status: 0 on a 2xx answer, 1 on another answer (the Status
 * goes to stderr), 2 for bad usage or no connection.
 */

/* Runs `ctl` with argv[0] == "ctl". Returns the exit status. */
int mapi_ctl_main(int argc, char **argv);

/* The `mockapi ctl --help` text. */
const char *mapi_ctl_usage(void);
