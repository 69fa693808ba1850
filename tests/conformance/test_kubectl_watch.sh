#!/bin/sh
# SPDX-License-Identifier: MIT
# kubectl get pods -w (Table watch): the existing pods first, then a pod
# created meanwhile arrives as an ADDED event; with --output-watch-events
# its deletion arrives as MODIFIED (Terminating) then DELETED, without any
# other request. Every wait is bounded.
# Usage: test_kubectl_watch.sh MOCKAPI
set -u
MOCKAPI=$1
data=$(dirname "$0")/data
. "$(dirname "$0")/lib.sh"
conf_init
conf_start

wpid=""
stop_watch() {
	if [ -n "$wpid" ]; then
		kill "$wpid" 2>/dev/null
		wait "$wpid" 2>/dev/null
		wpid=""
	fi
}

"$KUBECTL" --kubeconfig "$KCFG" --cache-dir "$TMPD/wcache" \
	get pods -w --output-watch-events >"$TMPD/w.out" 2>"$TMPD/w.err" &
wpid=$!
if wait_until 10 grep -Eq "^ADDED +web-7d4b9c8f5-x2k8p" "$TMPD/w.out"; then
	ok "watch: initial ADDED for the existing pod"
else
	not_ok "watch: initial ADDED for the existing pod" "$(cat "$TMPD/w.out" "$TMPD/w.err")"
fi
assert_match "watch: header" \
	'^EVENT +NAME +READY +STATUS +RESTARTS +AGE$' "$TMPD/w.out"

kc create -f "$data/pod-created.yaml"
assert_rc "create while watching: exit 0" 0
if wait_until 10 grep -Eq '^ADDED +created +1/1 +Running' "$TMPD/w.out"; then
	ok "watch: ADDED event for the new pod"
else
	not_ok "watch: ADDED event for the new pod" "$(cat "$TMPD/w.out" "$TMPD/w.err")"
fi

kc delete pod created --grace-period=1 --wait=false
assert_rc "delete while watching: exit 0" 0
if wait_until 10 grep -Eq '^DELETED +created ' "$TMPD/w.out"; then
	ok "watch: DELETED after the grace period"
else
	not_ok "watch: DELETED after the grace period" "$(cat "$TMPD/w.out" "$TMPD/w.err")"
fi
assert_match "watch: MODIFIED Terminating first" \
	'^MODIFIED +created +[0-9]/1 +Terminating' "$TMPD/w.out"
stop_watch
if [ -s "$TMPD/w.err" ]; then
	not_ok "watch: no stderr" "$(cat "$TMPD/w.err")"
else
	ok "watch: no stderr"
fi

# Plain get -w (no event column): the new pod's row appears.
"$KUBECTL" --kubeconfig "$KCFG" --cache-dir "$TMPD/wcache2" \
	get pods -w >"$TMPD/w2.out" 2>"$TMPD/w2.err" &
wpid=$!
wait_until 10 grep -q '^web-7d4b9c8f5-x2k8p' "$TMPD/w2.out"
kc apply -f "$data/pod-applied.yaml"
if wait_until 10 grep -Eq '^applied +1/1 +Running +0 +[0-9]+s$' "$TMPD/w2.out"; then
	ok "get pods -w: row for the pod created meanwhile"
else
	not_ok "get pods -w: row for the pod created meanwhile" "$(cat "$TMPD/w2.out" "$TMPD/w2.err")"
fi
assert_match "get pods -w: header" \
	'^NAME +READY +STATUS +RESTARTS +AGE$' "$TMPD/w2.out"
stop_watch
if [ -s "$TMPD/w2.err" ]; then
	not_ok "get pods -w: no stderr" "$(cat "$TMPD/w2.err")"
else
	ok "get pods -w: no stderr"
fi

# Idle watches must not hold the server's threads: with two of them open
# (as many as the pool has threads on a 2-core machine), other requests
# are still answered. (With a 1 s blocking read each took ~4 s.)
for i in 1 2; do
	curl -sSN --max-time 20 --cacert "$STATE/ca.crt" \
		-H "Authorization: Bearer $TOKEN" \
		-D "$TMPD/cw$i.h" \
		"$URL/api/v1/namespaces/kube-system/pods?watch=1" \
		>/dev/null 2>&1 &
	eval "cw$i=\$!"
	wait_until 15 grep -q '^HTTP/1.1 200' "$TMPD/cw$i.h"
done
code=$(curl -sS --max-time 3 --cacert "$STATE/ca.crt" -o /dev/null \
	-w '%{http_code}' "$URL/healthz" 2>&1)
assert_eq "two idle watches: /healthz still answered" 200 "$code"
# shellcheck disable=SC2154
kill "$cw1" "$cw2" 2>/dev/null
wait "$cw1" "$cw2" 2>/dev/null

conf_done
