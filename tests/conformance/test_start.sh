#!/bin/sh
# SPDX-License-Identifier: MIT
# Cold start on a fresh state dir (pki, keys, token and kubeconfig made)
# and warm start on the same dir (all reused: same CA, same admin token)
# both reach the ready line; SIGTERM exits 0; kubectl works after the warm
# start with the kubeconfig it rewrote. Then the README's run command,
# scripts/run, starts it on the default cluster.
# Usage: test_start.sh MOCKAPI SCRIPTS-DIR BUILD-DIR
set -u
MOCKAPI=$1
scripts=$2
builddir=$3
. "$(dirname "$0")/lib.sh"
conf_init

ready_re='^mockapi: serving https://127\.0\.0\.1:[0-9]+ \(export KUBECONFIG=.*/kubeconfig\)$'

STATE=$TMPD/state
conf_start
assert_match "cold start: ready line" "$ready_re" "$TMPD/mockapi.out"
assert_match "cold start: ready line names the port" \
	"^mockapi: serving $URL \\(export KUBECONFIG=" "$TMPD/mockapi.out"
for f in ca.crt tls.crt tls.key sa.key admin-token kubeconfig; do
	if [ -s "$STATE/$f" ]; then ok "cold start: made $f"; else
		not_ok "cold start: made $f" "$(ls -l "$STATE")"; fi
done
ca1=$(cat "$STATE/ca.crt")
tok1=$TOKEN
kc get pods -o name
assert_eq "cold start: kubectl get pods" "pod/web-7d4b9c8f5-x2k8p" "$(cat "$OUT")"
conf_stop
assert_eq "cold start: SIGTERM exits 0" 0 "$CONF_EXIT"

conf_start
assert_match "warm start: ready line" "$ready_re" "$TMPD/mockapi.out"
assert_eq "warm start: same CA" "$ca1" "$(cat "$STATE/ca.crt")"
assert_eq "warm start: same admin token" "$tok1" "$TOKEN"
kc get pods -o name
assert_eq "warm start: kubectl get pods" "pod/web-7d4b9c8f5-x2k8p" "$(cat "$OUT")"
assert_no_stderr "warm start: kubectl no warnings"
conf_stop
assert_eq "warm start: SIGTERM exits 0" 0 "$CONF_EXIT"

# scripts/run: install-deps (a no-op when all is there), build, exec.
STATE=$TMPD/run-state
rm -f "$TMPD/port"
MOCKAPI_BUILDDIR=$builddir "$scripts/run" --listen 127.0.0.1:0 \
	--port-file "$TMPD/port" --state-dir "$STATE" \
	>"$TMPD/mockapi.out" 2>"$TMPD/mockapi.err" &
conf_pid=$!
if conf_wait_file "$TMPD/port" && conf_wait_file "$TMPD/mockapi.out"; then
	ok "scripts/run: started"
	KCFG=$STATE/kubeconfig
	assert_match "scripts/run: ready line" "$ready_re" "$TMPD/mockapi.out"
	kc get ns -o name
	assert_eq "scripts/run: default cluster" "namespace/default
namespace/kube-node-lease
namespace/kube-public
namespace/kube-system
namespace/production" "$(cat "$OUT")"
	conf_stop
	assert_eq "scripts/run: SIGTERM exits 0" 0 "$CONF_EXIT"
else
	not_ok "scripts/run: started" "$(cat "$TMPD/mockapi.err")"
fi

conf_done
