#!/bin/sh
# SPDX-License-Identifier: MIT
# The bad-input table (bad-input.tsv, one TAP line per row) against the
# binary, then /readyz.
# Usage: test_bad_input.sh MOCKAPI
set -u
MOCKAPI=$1
here=$(dirname "$0")
. "$here/lib.sh"
conf_init
conf_start
"$PY" "$here/bad_input.py" "$here/bad-input.tsv" 127.0.0.1 "$PORT" \
	"$STATE/ca.crt" "$STATE/admin-token" "$conf_pid"
