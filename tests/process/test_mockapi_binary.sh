#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the built mockapi binary the way a user does: port 0 + --port-file,
# a state dir made by the openssl CLI, curl and the real kubectl against it,
# SIGTERM → exit 0; a taken port and an unreadable state file → exit 2.
# Usage: test_mockapi_binary.sh MOCKAPI MAKE-TEST-PKI.SH
set -u
mockapi=$1
mkpki=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mockapi-proc-XXXXXX")
pid=""
fails=0

cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# Waits (bounded: 10 s) for a non-empty file.
wait_file() {
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		if [ "$i" -gt 200 ]; then
			return 1
		fi
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.05
	done
	return 0
}

state=$tmp/state
sh "$mkpki" "$state" || { echo "FAIL: make-test-pki"; exit 1; }

# 1. Start on port 0, wait for the port file.
"$mockapi" --listen 127.0.0.1:0 --port-file "$tmp/port" --state-dir "$state" \
	>"$tmp/out" 2>"$tmp/err" &
pid=$!
if ! wait_file "$tmp/port"; then
	fail "no port file; stderr: $(cat "$tmp/err")"
	exit 1
fi
port=$(cat "$tmp/port")
wait_file "$tmp/out" || fail "no ready line"
want="mockapi: serving https://127.0.0.1:$port (export KUBECONFIG=$state/kubeconfig)"
[ "$(sed -n 1p "$tmp/out")" = "$want" ] || fail "ready line: $(cat "$tmp/out") want $want"
want="mockapi: UI https://127.0.0.1:$port/mock/ui/#token=$(cat "$state/admin-token")"
[ "$(sed -n 2p "$tmp/out")" = "$want" ] || fail "UI line differs (token not shown)"
[ "$(wc -l <"$tmp/out")" = 2 ] || fail "ready lines: $(wc -l <"$tmp/out")"

# 2. /version over verified TLS.
body=$(curl -sS --max-time 10 --cacert "$state/ca.crt" "https://127.0.0.1:$port/version")
case "$body" in
*'"gitVersion": "v1.32.4"'*) ;;
*) fail "/version body: $body" ;;
esac

# 3. The kubeconfig is complete.
kc=$state/kubeconfig
grep -q "^    server: https://127.0.0.1:$port\$" "$kc" || fail "kubeconfig server"
grep -q "^    certificate-authority-data: " "$kc" || fail "kubeconfig CA"
grep -q "^    token: $(cat "$state/admin-token")\$" "$kc" || fail "kubeconfig token"
grep -q "^current-context: mockapi\$" "$kc" || fail "kubeconfig context"
[ "$(stat -c %a "$kc")" = 600 ] || fail "kubeconfig mode $(stat -c %a "$kc")"
[ "$(stat -c %a "$state")" = 700 ] || fail "state dir mode"

# 3b. The page under /mock/ui/ without credentials (anonymous), with its
#     headers; /mock/ui redirects; unknown names 404; no POST.
ui="https://127.0.0.1:$port/mock/ui"
curl -sS --max-time 10 --cacert "$state/ca.crt" -D "$tmp/uih" -o "$tmp/uib" "$ui/" ||
	fail "GET /mock/ui/"
grep -q '^HTTP/[0-9.]* 200' "$tmp/uih" || fail "/mock/ui/ status: $(head -1 "$tmp/uih")"
grep -qi '^content-type: text/html; charset=utf-8' "$tmp/uih" || fail "/mock/ui/ type"
grep -qi "^content-security-policy: default-src 'none'; script-src 'self';" "$tmp/uih" ||
	fail "/mock/ui/ CSP"
grep -qi '^cache-control: no-store' "$tmp/uih" || fail "/mock/ui/ cache-control"
grep -q '<script src="app.js"' "$tmp/uib" || fail "/mock/ui/ body"
grep -q '<script>' "$tmp/uib" && fail "/mock/ui/ has an inline script"
code=$(curl -sS --max-time 10 --cacert "$state/ca.crt" -o /dev/null \
	-w '%{http_code} %{redirect_url}' "$ui")
[ "$code" = "301 $ui/" ] || fail "/mock/ui redirect: $code"
for f in app.js:text/javascript app.css:text/css; do
	ct=$(curl -sS --max-time 10 --cacert "$state/ca.crt" -o /dev/null \
		-w '%{http_code} %{content_type}' "$ui/${f%%:*}")
	[ "$ct" = "200 ${f#*:}; charset=utf-8" ] || fail "$f: $ct"
done
code=$(curl -sS --max-time 10 --cacert "$state/ca.crt" -o /dev/null -w '%{http_code}' "$ui/nope")
[ "$code" = 404 ] || fail "/mock/ui/nope: $code"
code=$(curl -sS --max-time 10 --cacert "$state/ca.crt" -o /dev/null -w '%{http_code}' -X POST "$ui/")
[ "$code" = 403 ] || fail "anonymous POST /mock/ui/: $code"
code=$(curl -sS --max-time 10 --cacert "$state/ca.crt" -o /dev/null -w '%{http_code}' -X POST \
	-H "Authorization: Bearer $(cat "$state/admin-token")" "$ui/")
[ "$code" = 405 ] || fail "admin POST /mock/ui/: $code"
# The rule is only for /mock/ui: other paths stay closed to anonymous.
code=$(curl -sS --max-time 10 --cacert "$state/ca.crt" -o /dev/null -w '%{http_code}' \
	"https://127.0.0.1:$port/api/v1/pods")
[ "$code" = 403 ] || fail "anonymous /api/v1/pods: $code"

# 4. The real kubectl (the dispatcher picks 1.32 from "minor":"32").
if [ -x /usr/bin/kubectl ]; then
	cache=$(mktemp -d "$tmp/kcache-XXXXXX")
	/usr/bin/kubectl --kubeconfig "$kc" --cache-dir "$cache" version \
		>"$tmp/kout" 2>"$tmp/kerr" || fail "kubectl version exit $?"
	grep -q "^Server Version: v1.32.4\$" "$tmp/kout" ||
		fail "kubectl stdout: $(cat "$tmp/kout")"
	[ ! -s "$tmp/kerr" ] || fail "kubectl stderr: $(cat "$tmp/kerr")"
else
	fail "/usr/bin/kubectl is missing"
fi

# 5. A second server on the same port: exit 2, one clear line. (Its own
#    state dir: a second server on the same one is refused first, 5b.)
"$mockapi" --listen "127.0.0.1:$port" --state-dir "$tmp/state-b" >/dev/null \
	2>"$tmp/err2"
rc=$?
[ "$rc" = 2 ] || fail "second start exit $rc"
grep -q "^mockapi: listen 127.0.0.1:$port: Address already in use\$" \
	"$tmp/err2" || fail "second start stderr: $(cat "$tmp/err2")"

# 5b. A second server on the same state dir: exit 2, one clear line.
"$mockapi" --listen 127.0.0.1:0 --state-dir "$state" >/dev/null 2>"$tmp/err2b"
rc=$?
[ "$rc" = 2 ] || fail "second start on the state dir: exit $rc"
[ "$(cat "$tmp/err2b")" = "mockapi: state dir $state is in use by another mockapi" ] ||
	fail "second start on the state dir: stderr: $(cat "$tmp/err2b")"

# 6. SIGTERM: clean exit 0.
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
[ "$rc" = 0 ] || fail "exit after SIGTERM: $rc"

# 7. An unreadable state file: exit 2 naming it. (root reads anything, so
#    make it a directory, which no one can read as a file.)
state2=$tmp/state2
sh "$mkpki" "$state2" >/dev/null || fail "make-test-pki 2"
rm -f "$state2/tls.key" && mkdir "$state2/tls.key"
"$mockapi" --listen 127.0.0.1:0 --state-dir "$state2" >/dev/null 2>"$tmp/err3"
rc=$?
[ "$rc" = 2 ] || fail "unreadable state exit $rc"
grep -q "tls.key" "$tmp/err3" || fail "unreadable state stderr: $(cat "$tmp/err3")"
[ "$(wc -l <"$tmp/err3")" = 1 ] || fail "more than one error line"

# 8. A bad flag: exit 2, one line.
"$mockapi" --bogus >/dev/null 2>"$tmp/err4"
rc=$?
[ "$rc" = 2 ] || fail "bad flag exit $rc"
[ "$(cat "$tmp/err4")" = "mockapi: unknown flag: --bogus (see mockapi --help)" ] ||
	fail "bad flag stderr: $(cat "$tmp/err4")"

# 9. --print-env prints exports instead of the ready line, closes stdout,
#    and keeps serving.
out=$( "$mockapi" --listen 127.0.0.1:0 --port-file "$tmp/port3" \
	--state-dir "$state" --print-env 2>"$tmp/err5" & echo "pid=$!" )
pid=$(printf '%s\n' "$out" | sed -n 's/^pid=//p')
wait_file "$tmp/port3" || fail "print-env: no port file"
port3=$(cat "$tmp/port3")
env_want="export KUBECONFIG=$state/kubeconfig
export KUBERNETES_SERVICE_HOST=127.0.0.1
export KUBERNETES_SERVICE_PORT=$port3"
[ "$(printf '%s\n' "$out" | grep -v '^pid=')" = "$env_want" ] ||
	fail "print-env output: $out"
curl -sS --max-time 10 --cacert "$state/ca.crt" \
	"https://127.0.0.1:$port3/healthz" >"$tmp/h" || fail "print-env: not serving"
[ "$(cat "$tmp/h")" = ok ] || fail "print-env healthz: $(cat "$tmp/h")"
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill -0 "$pid" 2>/dev/null && fail "print-env server did not stop"
pid=""

if [ "$fails" -ne 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "ok: mockapi binary"
exit 0
