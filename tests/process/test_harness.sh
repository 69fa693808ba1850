#!/bin/sh
# SPDX-License-Identifier: MIT
# The harness controls through the built binary and `mockapi ctl`: clock
# advance on a frozen clock, kubelet rotation on a sped-up clock with a
# reader polling the volume, faults (N times, 429 + Retry-After), the 403
# for non-admins, reset, --seed reproducibility, and no whole token in
# stderr, /mock/v1/events or /mock/v1/requests. Every wait is bounded.
# Usage: test_harness.sh MOCKAPI
set -u
mockapi=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mockapi-harness-XXXXXX")
pid=""
rpid=""
fails=0
keyfix=$MOCKAPI_FIXTURES/keys/rsa-2048.pkcs8.pem

stop() {
	if [ -n "$rpid" ]; then
		kill "$rpid" 2>/dev/null
		wait "$rpid" 2>/dev/null
		rpid=""
	fi
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		pid=""
	fi
}
cleanup() {
	stop
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# start NAME ARGS...: a server with state dir $tmp/NAME; sets pid, port, st.
start() {
	name=$1
	shift
	st=$tmp/$name
	rm -f "$tmp/$name.port"
	"$mockapi" --listen 127.0.0.1:0 --port-file "$tmp/$name.port" \
		--state-dir "$st" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	i=0
	while [ ! -s "$tmp/$name.port" ]; do
		i=$((i + 1))
		if [ "$i" -gt 400 ] || ! kill -0 "$pid" 2>/dev/null; then
			echo "FAIL: $name did not start: $(cat "$tmp/$name.err")"
			exit 1
		fi
		sleep 0.05
	done
	port=$(cat "$tmp/$name.port")
	export KUBECONFIG="$st/kubeconfig"
}

ctl() {
	"$mockapi" ctl "$@"
}

# curl as the admin: adm METHOD PATH [BODY]
adm() {
	if [ $# -gt 2 ]; then
		curl -sS --cacert "$st/ca.crt" -X "$1" \
			-H "Authorization: Bearer $(cat "$st/admin-token")" \
			-H 'Content-Type: application/json' -d "$3" \
			"https://127.0.0.1:$port$2"
	else
		curl -sS --cacert "$st/ca.crt" -X "$1" \
			-H "Authorization: Bearer $(cat "$st/admin-token")" \
			"https://127.0.0.1:$port$2"
	fi
}

tokens_seen=$tmp/tokens-seen
: >"$tokens_seen"
remember() {
	[ -s "$1" ] && { cat "$1"; echo; } >>"$tokens_seen"
}

# ---- 1. frozen clock: ctl clock advance, GET /mock/v1/clock reflects it
start frozen --clock frozen:2025-06-01T10:00:00Z
out=$(ctl clock get)
[ "$out" = '{"now":"2025-06-01T10:00:00.000000Z","frozen":true,"rate":1}' ] ||
	fail "clock get: $out"
ctl clock advance 1h >/dev/null || fail "ctl clock advance"
out=$(adm GET /mock/v1/clock)
[ "$out" = '{"now":"2025-06-01T11:00:00.000000Z","frozen":true,"rate":1}' ] ||
	fail "after advance: $out"
ctl clock advance 90 >/dev/null || fail "ctl clock advance 90"
out=$(ctl clock get)
case $out in *'"now":"2025-06-01T11:01:30.000000Z"'*) ;;
*) fail "advance 90 s: $out" ;; esac
out=$(ctl clock set 2025-07-01T00:00:00Z)
case $out in *'"now":"2025-07-01T00:00:00.000000Z"'*) ;;
*) fail "clock set: $out" ;; esac
out=$(ctl clock rate 2)
case $out in *'"rate":2'*) ;; *) fail "clock rate: $out" ;; esac
# The default volume exists and its token is a JWT without a newline.
[ -L "$st/serviceaccount/..data" ] || fail "no default serviceaccount volume"
tok=$(cat "$st/serviceaccount/token")
case $tok in eyJ*.*.*) ;; *) fail "default volume token: ${tok%"${tok#????????}"}" ;; esac
[ "$(tail -c 1 "$st/serviceaccount/token" | od -An -c | tr -d ' ')" != '\n' ] ||
	fail "token ends in a newline"
[ "$(cat "$st/serviceaccount/namespace")" = default ] || fail "namespace file"
cmp -s "$st/serviceaccount/ca.crt" "$st/ca.crt" || fail "ca.crt differs"
remember "$st/serviceaccount/token"

# Non-admins get the non-resource Forbidden.
code=$(curl -s -o "$tmp/body" -w '%{http_code}' --cacert "$st/ca.crt" \
	"https://127.0.0.1:$port/mock/v1/clock")
[ "$code" = 403 ] || fail "anonymous /mock/v1/clock: $code"
grep -q 'forbidden: User \\"system:anonymous\\" cannot get path \\"/mock/v1/clock\\"' \
	"$tmp/body" || fail "403 body: $(cat "$tmp/body")"

# ---- 2. faults: N times, then never; 429 with Retry-After; reset
ctl faults add --status 503 --path /version --times 3 >/dev/null ||
	fail "faults add"
codes=""
for i in 1 2 3 4 5; do
	codes="$codes$(curl -s -o "$tmp/f$i" -w '%{http_code}' \
		--cacert "$st/ca.crt" "https://127.0.0.1:$port/version") "
done
[ "$codes" = "503 503 503 200 200 " ] || fail "fault codes: $codes"
grep -q '"code":503' "$tmp/f1" || fail "503 body: $(cat "$tmp/f1")"
grep -q '"kind":"Status"' "$tmp/f1" || fail "503 is not a Status"
ctl faults list | grep -q '"remaining":0' || fail "faults list remaining"
ctl faults clear >/dev/null || fail "faults clear"
ctl faults add --too-many-requests --retry-after 7 --path /api >/dev/null ||
	fail "faults add 429"
curl -s -D "$tmp/h429" -o "$tmp/b429" --cacert "$st/ca.crt" \
	"https://127.0.0.1:$port/api/v1/namespaces"
head -n 1 "$tmp/h429" | grep -q ' 429' || fail "429: $(head -n 1 "$tmp/h429")"
grep -qi '^retry-after: 7' "$tmp/h429" || fail "no Retry-After: 7"
[ "$(cat "$tmp/b429")" = "Too many requests, please try again later." ] ||
	fail "429 body: $(cat "$tmp/b429")"
# /apis is not under /api: no fault.
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$st/ca.crt" \
	"https://127.0.0.1:$port/apis")
[ "$code" = 403 ] || fail "/apis under a /api fault: $code (want RBAC's 403)"
ctl faults add --reset --path /healthz >/dev/null || fail "faults add reset"
if curl -s -o /dev/null --max-time 10 --cacert "$st/ca.crt" \
	"https://127.0.0.1:$port/healthz"; then
	fail "reset fault answered"
fi
ctl requests | grep -q '"path":"/version","user":"system:anonymous","code":503' ||
	fail "journal: $(ctl requests | head -3)"
ctl requests | grep -q '"fault":"rule 1: status 503"' || fail "journal fault"
ctl reset >/dev/null || fail "ctl reset"
out=$(ctl faults list)
[ "$out" = '{"items":[]}' ] || fail "faults after reset: $out"
out=$(ctl clock get)
[ "$out" = '{"now":"2025-06-01T10:00:00.000000Z","frozen":true,"rate":1}' ] ||
	fail "clock after reset: $out"
remember "$st/serviceaccount/token"
ctl requests | grep -q '"path":"/version"' && fail "journal kept after reset"
ctl events >"$tmp/ev-reset"
head -n 1 "$tmp/ev-reset" | grep -q '"type":"issued"' ||
	fail "first event after reset: $(head -n 1 "$tmp/ev-reset")"
ctl keys rotate >"$tmp/rot" || fail "keys rotate"
ctl keys | grep -q '"active":false' || fail "old key not listed"
ctl keys rotate --drop-old | grep -q '"dropped":\["' || fail "drop-old"
[ "$(ls "$st" | grep -c '^sa-retired-')" = 0 ] || fail "retired files left"
stop
cat "$tmp/frozen.err" >>"$tmp/all.err"

# ---- 3. rotation on a sped-up clock, a reader polling the volume
start rate --clock-rate 120 --token-min-ttl 1s --no-extend-token-expiration \
	--log-format json
vol=$tmp/vol
ctl volume add --dir "$vol" --pod default/web-7d4b9c8f5-x2k8p \
	--expiration 10m >/dev/null || fail "volume add"
first=$(cat "$vol/token")
remember "$vol/token"
# The reader: every read is a whole token (or ENOENT while the old
# directory goes); it records what it saw.
(
	while :; do
		if t=$(cat "$vol/token" 2>/dev/null); then
			if [ -z "$t" ]; then
				echo EMPTY
			else
				printf '%s\n' "$t"
			fi
		fi
	done
) >"$tmp/reads" 2>/dev/null &
rpid=$!
i=0
while [ "$(cat "$vol/token" 2>/dev/null)" = "$first" ]; do
	i=$((i + 1))
	if [ "$i" -gt 300 ]; then
		fail "token not replaced within 30 s at x120"
		break
	fi
	sleep 0.1
done
kill "$rpid" 2>/dev/null
wait "$rpid" 2>/dev/null
rpid=""
remember "$vol/token"
grep -q EMPTY "$tmp/reads" && fail "reader saw an empty token"
sort -u "$tmp/reads" >"$tmp/reads.u"
while read -r t; do
	sig=${t##*.}
	[ ${#sig} = 342 ] || fail "partial token read (${#t} chars)"
done <"$tmp/reads.u"
[ "$(wc -l <"$tmp/reads.u")" -ge 1 ] || fail "reader read nothing"
ctl volume list | grep -q '"writes":2' || fail "volume list: $(ctl volume list)"
ctl events >"$tmp/ev-rate"
grep -q '"type":"rotatedByKubelet"' "$tmp/ev-rate" || fail "no rotated event"
ctl requests >"$tmp/rq-rate"
grep -q '"path":"/mock/v1/volumes"' "$tmp/rq-rate" || fail "journal"
stop
grep -q '"type":"rotatedByKubelet"' "$tmp/rate.err" ||
	fail "no json log line for the rotation"
cat "$tmp/rate.err" "$tmp/ev-rate" "$tmp/rq-rate" "$tmp/ev-reset" \
	>>"$tmp/all.err"

# ---- 4. --seed, --threads 1, fixture key, frozen clock: same bytes
for run in s1 s2; do
	mkdir -p "$tmp/$run"
	cp "$keyfix" "$tmp/$run/sa.key"
	start "$run" --seed 42 --threads 1 --clock frozen:2025-06-01T10:00:00Z
	ctl volume add --dir "$tmp/$run-vol" --pod default/web-7d4b9c8f5-x2k8p \
		--audience vault >/dev/null || fail "$run volume add"
	ctl clock advance 1h >/dev/null
	remember "$tmp/$run/serviceaccount/token"
	remember "$tmp/$run-vol/token"
	ctl events >"$tmp/$run.ev"
	ctl requests >"$tmp/$run.rq"
	stop
	cat "$tmp/$run.err" "$tmp/$run.ev" "$tmp/$run.rq" >>"$tmp/all.err"
done
cmp -s "$tmp/s1/serviceaccount/token" "$tmp/s2/serviceaccount/token" ||
	fail "seeded default tokens differ"
cmp -s "$tmp/s1-vol/token" "$tmp/s2-vol/token" || fail "seeded tokens differ"
[ "$(ls "$tmp/s1-vol")" = "$(ls "$tmp/s2-vol")" ] || fail "seeded dirs differ"

# ---- 5. token lifecycle events: TokenRequest, TokenReview, refusals,
#         legacy Secrets; --log-format text prints them on stderr
start events --clock frozen:2025-06-01T10:00:00Z --log-format text
# jq-free JSON field reader: jget FILE EXPR (python over the JSON on FILE)
jget() {
	/usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}
# evfind TYPE JTI FIELD: FIELD of the last TYPE event of JTI ("" if none)
evfind() {
	ctl events >"$tmp/evs.json"
	/usr/bin/python3 - "$tmp/evs.json" "$1" "$2" "$3" <<'PY'
import json, sys
f, typ, jti, field = sys.argv[1:5]
hit = ""
for line in open(f):
    for e in json.loads(line).get("events", []) if line.startswith("{\"events") else [json.loads(line)]:
        if e.get("type") == typ and (jti == "-" or e.get("jti") == jti):
            hit = e.get(field, "")
print(hit)
PY
}
adm POST /api/v1/namespaces/default/pods '{"metadata":{"name":"p-ev"},"spec":{"serviceAccountName":"default","containers":[{"name":"c","image":"x"}]}}' >/dev/null
adm POST /api/v1/namespaces/default/serviceaccounts/default/token \
	'{"spec":{"expirationSeconds":600,"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"p-ev"}}}' >"$tmp/tr1.json"
tr1=$(jget "$tmp/tr1.json" 'd["status"]["token"]')
printf '%s\n' "$tr1" >>"$tokens_seen"
jti1=$(/usr/bin/python3 -c 'import base64,json,sys; p=sys.argv[1].split(".")[1]; print(json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))["jti"])' "$tr1")
[ -n "$jti1" ] || fail "TokenRequest token has no jti"
[ "$(evfind issued "$jti1" pod)" = default/p-ev ] || fail "issued event: pod"
[ "$(evfind issued "$jti1" reason)" = TokenRequest ] || fail "issued event: reason"
[ "$(evfind issued "$jti1" exp)" = "$(( $(evfind issued "$jti1" iat) + 600 ))" ] ||
	fail "issued event: exp is not iat + 600"
[ -n "$(evfind issued "$jti1" kid)" ] || fail "issued event: no kid"
[ "$(evfind issued "$jti1" tokenPrefix)" = "$(printf '%.8s' "$tr1")" ] ||
	fail "issued event: prefix"
# An extended token (3607 s, pod-bound: the kubelet's request): exp is
# the JWT exp (a year), warnafter iat + 3607.
adm POST /api/v1/namespaces/default/serviceaccounts/default/token \
	'{"spec":{"expirationSeconds":3607,"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"web-7d4b9c8f5-x2k8p"}}}' >"$tmp/tr2.json"
tr2=$(jget "$tmp/tr2.json" 'd["status"]["token"]')
printf '%s\n' "$tr2" >>"$tokens_seen"
jti2=$(/usr/bin/python3 -c 'import base64,json,sys; p=sys.argv[1].split(".")[1]; print(json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))["jti"])' "$tr2")
iat2=$(evfind issued "$jti2" iat)
[ "$(evfind issued "$jti2" exp)" = "$((iat2 + 31536000))" ] ||
	fail "extended TokenRequest: exp $(evfind issued "$jti2" exp), want iat + 1 y"
[ "$(evfind issued "$jti2" warnafter)" = "$((iat2 + 3607))" ] ||
	fail "extended TokenRequest: warnafter"
# The kubelet's volumeWritten carries the JWT exp too, not iat + 3607.
vw_exp=$(evfind volumeWritten - exp)
vw_iat=$(evfind volumeWritten - iat)
[ "$vw_exp" = "$((vw_iat + 31536000))" ] ||
	fail "volumeWritten exp $vw_exp is not the JWT exp (iat $vw_iat + 1 y)"
[ "$(evfind volumeWritten - warnafter)" = "$((vw_iat + 3607))" ] ||
	fail "volumeWritten warnafter"
# TokenReview: reviewed, authenticated, with the jti and the user.
adm POST /apis/authentication.k8s.io/v1/tokenreviews \
	"{\"spec\":{\"token\":\"$tr1\"}}" >/dev/null
[ "$(evfind reviewed "$jti1" reason)" = authenticated ] || fail "reviewed event"
[ "$(evfind reviewed "$jti1" sub)" = system:serviceaccount:default:default ] ||
	fail "reviewed event: user"
# The bound pod deleted: request authentication refuses, "rejected"
# (once the review's 10 s success-cache entry is gone).
adm DELETE '/api/v1/namespaces/default/pods/p-ev?gracePeriodSeconds=0' >/dev/null
ctl clock advance 11s >/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$st/ca.crt" \
	-H "Authorization: Bearer $tr1" "https://127.0.0.1:$port/api")
[ "$code" = 401 ] || fail "token of a deleted pod: $code"
[ "$(evfind rejected "$jti1" reason)" = "service account token has been invalidated" ] ||
	fail "rejected event: $(evfind rejected "$jti1" reason)"
# Expiry: rejected + expiredTokenPresented, also through TokenReview.
ctl clock advance 2h >/dev/null
curl -s -o /dev/null --cacert "$st/ca.crt" \
	-H "Authorization: Bearer $tr2" "https://127.0.0.1:$port/api"
adm POST /api/v1/namespaces/default/serviceaccounts/default/token \
	'{"spec":{"expirationSeconds":600}}' >"$tmp/tr3.json"
tr3=$(jget "$tmp/tr3.json" 'd["status"]["token"]')
printf '%s\n' "$tr3" >>"$tokens_seen"
jti3=$(/usr/bin/python3 -c 'import base64,json,sys; p=sys.argv[1].split(".")[1]; print(json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))["jti"])' "$tr3")
ctl clock advance 1h >/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$st/ca.crt" \
	-H "Authorization: Bearer $tr3" "https://127.0.0.1:$port/api")
[ "$code" = 401 ] || fail "expired token: $code"
[ "$(evfind rejected "$jti3" reason)" = "service account token has expired" ] ||
	fail "expired: rejected reason $(evfind rejected "$jti3" reason)"
[ "$(evfind expiredTokenPresented "$jti3" reason)" = "service account token has expired" ] ||
	fail "no expiredTokenPresented event"
adm POST /apis/authentication.k8s.io/v1/tokenreviews \
	"{\"spec\":{\"token\":\"$tr3\"}}" >/dev/null
[ "$(evfind reviewed "$jti3" reason)" = "[invalid bearer token, service account token has expired]" ] ||
	fail "reviewed (expired): $(evfind reviewed "$jti3" reason)"
# Not a JWT: rejected by prefix, never whole.
junk=junk-token-0123456789abcdef-0123456789
printf '%s\n' "$junk" >>"$tokens_seen"
curl -s -o /dev/null --cacert "$st/ca.crt" \
	-H "Authorization: Bearer $junk" "https://127.0.0.1:$port/api"
ctl events >"$tmp/evs.json"
grep -q '"type":"rejected","tokenPrefix":"junk-tok","reason":"invalid bearer token"' \
	"$tmp/evs.json" || fail "rejected junk token: $(grep junk "$tmp/evs.json")"
# A legacy Secret token: issued, no jti.
adm POST /api/v1/namespaces/default/secrets '{"metadata":{"name":"legacy-ev","annotations":{"kubernetes.io/service-account.name":"default"}},"type":"kubernetes.io/service-account-token"}' >/dev/null
adm GET /api/v1/namespaces/default/secrets/legacy-ev >"$tmp/legacy.json"
jget "$tmp/legacy.json" '__import__("base64").b64decode(d["data"]["token"]).decode()' >>"$tokens_seen"
ctl events >"$tmp/evs.json"
grep -q '"reason":"legacy token in Secret default/legacy-ev"' "$tmp/evs.json" ||
	fail "no legacy issued event"
stop
for t in issued reviewed rejected expiredTokenPresented; do
	grep -q " event=$t " "$tmp/events.err" || fail "no text log line for $t"
done
grep -q 'event=rejected .*reason="service account token has been invalidated"' \
	"$tmp/events.err" || fail "text log: rejected reason"
cat "$tmp/events.err" "$tmp/evs.json" >>"$tmp/all.err"

# ---- 6. no whole token anywhere in logs, events or the journal
sort -u "$tokens_seen" | while read -r t; do
	[ -n "$t" ] || continue
	if grep -qF "$t" "$tmp/all.err"; then
		echo "FAIL: a whole token was logged"
		exit 1
	fi
	# Not even the signature part.
	if grep -qF "${t##*.}" "$tmp/all.err"; then
		echo "FAIL: a token signature was logged"
		exit 1
	fi
done || fails=$((fails + 1))
[ "$(sort -u "$tokens_seen" | wc -l)" -ge 11 ] || fail "too few tokens checked"

if [ "$fails" -ne 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "ok"
