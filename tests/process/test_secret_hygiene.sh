#!/bin/sh
# SPDX-License-Identifier: MIT
# Secret hygiene of a real run: the state dir is 0700 and every file with
# a secret in it 0600; TLS 1.1 is refused (by the server: the same client
# command completes a TLS 1.1 handshake with `openssl s_server -tls1_1`)
# while TLS 1.2 and 1.3 work; and neither stdout nor stderr of a run (good
# and bad tokens, TokenRequest and legacy tokens presented and reviewed, a
# refused second start, SIGTERM), nor /mock/v1/events or /requests, holds
# the admin token, an issued token,
# a presented token, or any line of a private key's PEM body.
# Usage: test_secret_hygiene.sh MOCKAPI
set -u
mockapi=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mockapi-hyg-XXXXXX")
state=$tmp/state
pid=""
spid=""
fails=0

cleanup() {
	for p in $pid $spid; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# wait_for FILE PATTERN: bounded (10 s) wait for a line in a file.
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -gt 200 ] && return 1
		sleep 0.05
	done
	return 0
}

"$mockapi" --listen 127.0.0.1:0 --port-file "$tmp/port" --state-dir "$state" \
	--log-format json >"$tmp/out" 2>"$tmp/err" &
pid=$!
wait_for "$tmp/port" . || { echo "FAIL: no port file: $(cat "$tmp/err")"; exit 1; }
port=$(cat "$tmp/port")
token=$(cat "$state/admin-token")
base=https://127.0.0.1:$port

# 1. Modes.
[ "$(stat -c %a "$state")" = 700 ] || fail "state dir mode $(stat -c %a "$state")"
for f in sa.key ca.key tls.key admin-token kubeconfig store.json store.journal; do
	if [ ! -e "$state/$f" ]; then
		fail "$f missing"
	elif [ "$(stat -c %a "$state/$f")" != 600 ]; then
		fail "$f mode $(stat -c %a "$state/$f"), want 600"
	fi
done
for f in "$state"/*.key; do
	[ "$(stat -c %a "$f")" = 600 ] || fail "$f mode $(stat -c %a "$f")"
done

# 2. TLS versions. SECLEVEL=0 lets this OpenSSL client offer TLS 1.1 at
#    all; the control below proves it does, so a failure against mockapi
#    is the server refusing.
# "New, TLSv1.x, Cipher is X" with X not (NONE): a completed handshake.
handshake_ok() {
	grep -q '^New, .*Cipher is ' "$tmp/sc.out" &&
		! grep -q 'Cipher is (NONE)' "$tmp/sc.out"
}
sclient() {
	timeout 10 openssl s_client -connect "127.0.0.1:$1" -servername localhost \
		-CAfile "$state/ca.crt" "$2" -cipher 'DEFAULT:@SECLEVEL=0' \
		</dev/null >"$tmp/sc.out" 2>&1
}
# (-www: s_server would otherwise quit at EOF on stdin.)
timeout 10 openssl s_server -www -accept 127.0.0.1:0 -cert "$state/tls.crt" \
	-key "$state/tls.key" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' -naccept 1 \
	</dev/null >"$tmp/ss.out" 2>&1 &
spid=$!
if wait_for "$tmp/ss.out" '^ACCEPT'; then
	sport=$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$tmp/ss.out")
	sclient "$sport" -tls1_1 ||
		fail "control: the client cannot do TLS 1.1 at all: $(tail -3 "$tmp/sc.out")"
	handshake_ok && grep -q 'Protocol *: TLSv1.1' "$tmp/sc.out" ||
		fail "control: no TLS 1.1 session: $(grep 'Cipher is' "$tmp/sc.out")"
else
	fail "control: openssl s_server -tls1_1 did not start: $(cat "$tmp/ss.out")"
fi
kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; spid=""
if sclient "$port" -tls1_1 || handshake_ok; then
	fail "mockapi accepted a TLS 1.1 handshake: $(grep 'Cipher is' "$tmp/sc.out")"
fi
sclient "$port" -tls1_2 && handshake_ok || fail "TLS 1.2 refused: $(tail -3 "$tmp/sc.out")"
grep -q 'Protocol *: TLSv1.2' "$tmp/sc.out" || fail "no TLS 1.2 session"
sclient "$port" -tls1_3 && handshake_ok || fail "TLS 1.3 refused"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$state/ca.crt" \
	--tls-max 1.1 --ciphers 'DEFAULT:@SECLEVEL=0' "$base/version")
[ "$code" = 000 ] || fail "curl --tls-max 1.1 got HTTP $code"

# 3. Traffic with good and bad credentials.
bad=$(echo "$token" | tr '0-9a-f' '1-9a-f0')
fake=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDp4In0.c2lnbmF0dXJlLW5vdC12YWxpZC1hdC1hbGwtMTIzNDU2Nzg5MA
for t in "$token" "$bad" "$fake"; do
	curl -s -o /dev/null --max-time 10 --cacert "$state/ca.crt" \
		-H "Authorization: Bearer $t" "$base/api/v1/namespaces/default/pods"
	curl -s -o /dev/null --max-time 10 --cacert "$state/ca.crt" \
		-H "Authorization: Bearer $t" -H 'Content-Type: application/json' \
		-X POST --data '{"metadata":{"name":"s1"},"stringData":{"k":"v"}}' \
		"$base/api/v1/namespaces/default/secrets"
done
# Issued tokens (TokenRequest, a legacy Secret), presented and reviewed;
# the events and the request journal are checked with stdout and stderr.
adm() {
	curl -s --max-time 10 --cacert "$state/ca.crt" \
		-H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		-X "$1" ${3:+--data "$3"} "$base$2"
}
issued=$(adm POST /api/v1/namespaces/default/serviceaccounts/default/token \
	'{"spec":{"expirationSeconds":600}}' |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["token"])')
[ -n "$issued" ] || fail "no TokenRequest token"
adm POST /api/v1/namespaces/default/secrets '{"metadata":{"name":"legacy","annotations":{"kubernetes.io/service-account.name":"default"}},"type":"kubernetes.io/service-account-token"}' >/dev/null
legacy=$(adm GET /api/v1/namespaces/default/secrets/legacy |
	/usr/bin/python3 -c 'import base64,json,sys; print(base64.b64decode(json.load(sys.stdin)["data"]["token"]).decode())')
[ -n "$legacy" ] || fail "no legacy token"
for t in "$issued" "$legacy"; do
	curl -s -o /dev/null --max-time 10 --cacert "$state/ca.crt" \
		-H "Authorization: Bearer $t" "$base/api/v1/namespaces/default/pods"
	adm POST /apis/authentication.k8s.io/v1/tokenreviews \
		"{\"spec\":{\"token\":\"$t\"}}" >/dev/null
done
adm POST /mock/v1/clock/advance '{"seconds":7200}' >/dev/null
curl -s -o /dev/null --max-time 10 --cacert "$state/ca.crt" \
	-H "Authorization: Bearer $issued" "$base/api/v1/namespaces/default/pods"
adm GET /mock/v1/events >"$tmp/events"
adm GET /mock/v1/requests >"$tmp/requests"
for ty in issued reviewed rejected expiredTokenPresented; do
	grep -q "\"type\":\"$ty\"" "$tmp/events" || fail "no $ty event"
	grep -q "\"type\":\"$ty\"" "$tmp/err" || fail "no $ty log line"
done
# A refused second start on the same dir writes its error to stderr too.
"$mockapi" --listen 127.0.0.1:0 --state-dir "$state" >>"$tmp/out" 2>>"$tmp/err"
kill -TERM "$pid"
wait "$pid"
pid=""

# 4. No secret in what the runs printed. The one deliberate exception is the
# UI link of the ready line on stdout, which carries the admin token in its
# fragment (the page's only way to get it; the user's own local credential):
# exactly that line, once, and nowhere else.
n=$(grep -c "^mockapi: UI https://.*/mock/ui/#token=$token\$" "$tmp/out")
[ "$n" = 1 ] || fail "expected the UI link once on stdout, got $n"
grep -v "^mockapi: UI https://.*/mock/ui/#token=" "$tmp/out" >"$tmp/printed"
cat "$tmp/err" "$tmp/events" "$tmp/requests" >>"$tmp/printed"
for secret in "$token" "$bad" "$fake" "$(echo "$fake" | cut -d. -f3)" \
	"$issued" "${issued##*.}" "$legacy" "${legacy##*.}"; do
	grep -qF -- "$secret" "$tmp/printed" && fail "a token was printed"
done
for key in "$state"/*.key; do
	sed '/^-----/d' "$key" >"$tmp/body"
	n=0
	while read -r line; do
		[ -n "$line" ] || continue
		n=$((n + 1))
		grep -qF -- "$line" "$tmp/printed" &&
			fail "line $n of $(basename "$key") was printed"
	done <"$tmp/body"
	[ "$n" -gt 0 ] || fail "$(basename "$key") has no PEM body"
done
[ -s "$tmp/err" ] || fail "stderr is empty: the grep checked nothing"

[ "$fails" -eq 0 ] || exit 1
echo "secret hygiene: ok"
exit 0
