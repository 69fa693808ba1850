#!/bin/sh
# SPDX-License-Identifier: MIT
# Bad input to saclient against a live mockapi: one table, one row per
# case: the exit code (--help's list) and the one stderr line. Also the
# scenario command's exit codes: 0 when every expectation holds, 7 (with a
# clear line) when a fault injected through /mock/v1/faults breaks one.
# Usage: saclient_errors.sh SACLIENT MOCKAPI
set -u
sac=$1
mockapi=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/saclient-errors-XXXXXX")
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
n=0
fails=0

st=$tmp/st
"$mockapi" --listen 127.0.0.1:0 --port-file "$tmp/port" --state-dir "$st" \
	--token-min-ttl 1s --clock frozen:2025-06-01T10:00:00Z \
	>"$tmp/mockapi.out" 2>"$tmp/mockapi.err" &
pid=$!
i=0
while [ ! -s "$tmp/port" ]; do
	i=$((i + 1))
	if [ "$i" -gt 200 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "Bail out! mockapi did not start: $(cat "$tmp/mockapi.err")"
		exit 1
	fi
	sleep 0.05
done
port=$(cat "$tmp/port")
kc=$st/kubeconfig
url=https://127.0.0.1:$port

# Inputs the table needs.
: >"$tmp/empty-token"
printf 'apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: [oops\n' \
	>"$tmp/bad-kubeconfig"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$tmp/other.key" -out "$tmp/other-ca.crt" -days 1 \
	-subj /CN=other >/dev/null 2>&1
tok=$("$sac" --kubeconfig "$kc" token create default --duration 10m)
"$mockapi" ctl --kubeconfig "$kc" clock advance 20m >/dev/null
# A port nothing listens on: bind, note, close.
dead=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# row NAME RC PATTERN -- ARGS...: exactly one stderr line containing
# PATTERN (fixed string) and exit code RC.
row() {
	name=$1 want=$2 pat=$3
	shift 4
	n=$((n + 1))
	"$sac" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	# The usage hint under a usage error is not a second message.
	lines=$(grep -vc "^See 'saclient --help' for usage.$" "$tmp/err")
	if [ "$rc" = "$want" ] && [ "$lines" -eq 1 ] &&
		grep -qF -- "$pat" "$tmp/err"; then
		echo "ok $n - $name: exit $rc, $(cat "$tmp/err")"
	else
		echo "not ok $n - $name: exit $rc (want $want), $lines line(s), want '$pat'"
		sed 's/^/#   /' "$tmp/err"
		fails=$((fails + 1))
	fi
}

row "server unreachable" 4 "127.0.0.1:$dead" -- \
	--server "https://127.0.0.1:$dead" --certificate-authority "$st/ca.crt" \
	--token x --max-retries 0 pods
row "wrong CA (TLS error named)" 4 "certificate" -- \
	--kubeconfig "$kc" --certificate-authority "$tmp/other-ca.crt" pods
row "expired token" 5 "You must be logged in to the server (Unauthorized)" -- \
	--kubeconfig "$kc" --token "$tok" pods
row "missing token file" 6 "$tmp/no-such-token" -- \
	--kubeconfig "$kc" --token-file "$tmp/no-such-token" pods
row "empty token file" 6 "empty" -- \
	--kubeconfig "$kc" --token-file "$tmp/empty-token" pods
row "malformed kubeconfig (file and line)" 3 "$tmp/bad-kubeconfig:6: invalid kubeconfig" -- \
	--kubeconfig "$tmp/bad-kubeconfig" pods
row "unknown context" 3 "nope" -- \
	--kubeconfig "$kc" --context nope pods
row "token inspect of a non-JWT" 6 "not a JWT" -- \
	token inspect not-a-jwt
row "scenario without --serviceaccount-dir" 2 "--serviceaccount-dir" -- \
	--kubeconfig "$kc" scenario expiry
row "unknown scenario" 2 "retrieval, refresh, expiry or all" -- \
	--kubeconfig "$kc" scenario nosuch
row "scenario with a non-admin identity" 1 "admin API" -- \
	--kubeconfig "$kc" --token "$(cat "$st/serviceaccount/token")" \
	scenario refresh --serviceaccount-dir "$st/serviceaccount"

# Scenarios through the CLI: success, and a broken expectation.
n=$((n + 1))
"$sac" --kubeconfig "$kc" scenario all --serviceaccount-dir \
	"$st/serviceaccount" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 0 ] && grep -q 'read-once EXPECTED .*Unauthorized' "$tmp/out" &&
	grep -q 'expiry .*PASS' "$tmp/out" && ! grep -q "$(printf '\033')" "$tmp/out"; then
	echo "ok $n - scenario all: exit 0, read-once's 401 EXPECTED, plain text off a TTY"
else
	echo "not ok $n - scenario all: exit $rc"
	sed 's/^/#   /' "$tmp/out" "$tmp/err" | tail -20
	fails=$((fails + 1))
fi
"$mockapi" ctl --kubeconfig "$kc" faults add --status 503 \
	--path /api/v1/namespaces/default/pods --times 1 >/dev/null
row "scenario refresh under an injected 503" 7 \
	"scenario refresh FAILED: reread: list pods failed" -- \
	--kubeconfig "$kc" scenario refresh --serviceaccount-dir "$st/serviceaccount"
"$mockapi" ctl --kubeconfig "$kc" faults clear >/dev/null

echo "1..$n"
[ "$fails" -eq 0 ]
