#!/bin/sh
# SPDX-License-Identifier: MIT
# ServiceAccount tokens through the real kubectl (protobuf bodies) and
# python3-jwt against the built mockapi binary: create token (durations,
# audiences, bound Pod/Secret/Node), the 10-minute minimum, TokenReview
# with create -f, auth whoami with an SA token, auth can-i, and a token
# checked by PyJWT with only the JWKS from /openid/v1/jwks.
# Tokens are never printed.
# Usage: test_tokens_kubectl.sh MOCKAPI MAKE-TEST-PKI.SH
set -u
mockapi=$1
mkpki=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mockapi-tok-XXXXXX")
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

state=$tmp/state
sh "$mkpki" "$state" || { echo "FAIL: make-test-pki"; exit 1; }
"$mockapi" --listen 127.0.0.1:0 --port-file "$tmp/port" --state-dir "$state" \
	>"$tmp/out" 2>"$tmp/err" &
pid=$!
i=0
while [ ! -s "$tmp/port" ]; do
	i=$((i + 1))
	if [ "$i" -gt 200 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "FAIL: no port file: $(cat "$tmp/err")"
		exit 1
	fi
	sleep 0.05
done
port=$(cat "$tmp/port")
kc=$state/kubeconfig
K="/usr/bin/kubectl --kubeconfig $kc --cache-dir $tmp/kcache"

# The JWT payload of a token, as JSON.
payload() {
	p=$(printf %s "$1" | cut -d. -f2 | tr '_-' '/+')
	case $(($(printf %s "$p" | wc -c) % 4)) in
	2) p="$p==" ;;
	3) p="$p=" ;;
	esac
	printf %s "$p" | base64 -d
}

# Runs kubectl; stdout into $tmp/o, stderr must be empty.
kube() {
	$K "$@" >"$tmp/o" 2>"$tmp/e"
	rc=$?
	[ "$rc" = 0 ] || fail "kubectl $* exit $rc: $(cat "$tmp/e")"
	[ ! -s "$tmp/e" ] || fail "kubectl $* stderr: $(cat "$tmp/e")"
}

# 1. create token, plain: 1 h, API audience, not bound.
kube create token app-service-account -n production
tok=$(cat "$tmp/o")
pl=$(payload "$tok")
case "$pl" in
'{"aud":["https://kubernetes.default.svc.cluster.local"],'*) ;;
*) fail "default token payload: $pl" ;;
esac
exp=$(printf %s "$pl" | sed 's/.*"exp":\([0-9]*\).*/\1/')
iat=$(printf %s "$pl" | sed 's/.*"iat":\([0-9]*\).*/\1/')
[ $((exp - iat)) = 3600 ] || fail "default lifetime $((exp - iat))"
case "$pl" in *'"pod"'*) fail "unbound token has a pod claim" ;; esac

# 2. --duration=2h and --audience.
kube create token app-service-account -n production --duration=2h
pl=$(payload "$(cat "$tmp/o")")
exp=$(printf %s "$pl" | sed 's/.*"exp":\([0-9]*\).*/\1/')
iat=$(printf %s "$pl" | sed 's/.*"iat":\([0-9]*\).*/\1/')
[ $((exp - iat)) = 7200 ] || fail "2h lifetime $((exp - iat))"
kube create token app-service-account -n production \
	--audience=https://example.com
case "$(payload "$(cat "$tmp/o")")" in
'{"aud":["https://example.com"],'*) ;;
*) fail "audience payload" ;;
esac

# 3. Bound to a Pod: pod and node claims.
pod=api-server-5f6d8b9c4-m7n2q
kube create token app-service-account -n production \
	--bound-object-kind Pod --bound-object-name "$pod"
pl=$(payload "$(cat "$tmp/o")")
puid=$($K get pod "$pod" -n production -o jsonpath='{.metadata.uid}')
nuid=$($K get node node-1 -o jsonpath='{.metadata.uid}')
case "$pl" in
*"\"node\":{\"name\":\"node-1\",\"uid\":\"$nuid\"},\"pod\":{\"name\":\"$pod\",\"uid\":\"$puid\"}"*) ;;
*) fail "pod-bound payload: $pl" ;;
esac

# 4. Bound to a Secret and to a Node.
kube create secret generic bind-me -n production --from-literal=a=b
suid=$($K get secret bind-me -n production -o jsonpath='{.metadata.uid}')
kube create token app-service-account -n production \
	--bound-object-kind Secret --bound-object-name bind-me
case "$(payload "$(cat "$tmp/o")")" in
*"\"secret\":{\"name\":\"bind-me\",\"uid\":\"$suid\"}"*) ;;
*) fail "secret-bound payload" ;;
esac
kube create token app-service-account -n production \
	--bound-object-kind Node --bound-object-name node-1
case "$(payload "$(cat "$tmp/o")")" in
*"\"node\":{\"name\":\"node-1\",\"uid\":\"$nuid\"}"*) ;;
*) fail "node-bound payload" ;;
esac

# 5. Below the minimum: the exact error.
$K create token app-service-account -n production --duration=1m \
	>"$tmp/o" 2>"$tmp/e"
rc=$?
[ "$rc" = 1 ] || fail "duration=1m exit $rc"
[ "$(cat "$tmp/e")" = 'error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes' ] ||
	fail "duration=1m stderr: $(cat "$tmp/e")"

# 6. TokenReview with create -f.
kube create token app-service-account -n production
tok=$(cat "$tmp/o")
cat >"$tmp/tr.yaml" <<EOF
apiVersion: authentication.k8s.io/v1
kind: TokenReview
spec:
  token: $tok
EOF
kube create -f "$tmp/tr.yaml" -o json
/usr/bin/python3 - "$tmp/o" <<'EOF' || fail "TokenReview output"
import json, sys
r = json.load(open(sys.argv[1]))
s = r["status"]
assert s["authenticated"] is True, s
assert s["user"]["username"] == \
    "system:serviceaccount:production:app-service-account", s
assert s["user"]["groups"][-1] == "system:authenticated", s
EOF

# 7. auth whoami with the ServiceAccount token.
sed "s|^    token: .*|    token: $tok|" "$kc" >"$tmp/sa.kubeconfig"
chmod 600 "$tmp/sa.kubeconfig"
SK="/usr/bin/kubectl --kubeconfig $tmp/sa.kubeconfig --cache-dir $tmp/kcache2"
$SK auth whoami >"$tmp/o" 2>"$tmp/e" || fail "whoami exit: $(cat "$tmp/e")"
[ ! -s "$tmp/e" ] || fail "whoami stderr: $(cat "$tmp/e")"
grep -q '^Username *system:serviceaccount:production:app-service-account$' \
	"$tmp/o" || fail "whoami username: $(cat "$tmp/o")"
grep -q '^Groups *\[system:serviceaccounts system:serviceaccounts:production system:authenticated\]$' \
	"$tmp/o" || fail "whoami groups: $(cat "$tmp/o")"

# 8. auth can-i: yes as admin; no (exit 1) as a fresh SA.
kube auth can-i list pods
[ "$(cat "$tmp/o")" = yes ] || fail "can-i list pods: $(cat "$tmp/o")"
kube auth can-i create serviceaccounts --subresource=token -n production
[ "$(cat "$tmp/o")" = yes ] || fail "can-i --subresource=token"
kube create serviceaccount fresh
kube create token fresh
ftok=$(cat "$tmp/o")
sed "s|^    token: .*|    token: $ftok|" "$kc" >"$tmp/fresh.kubeconfig"
chmod 600 "$tmp/fresh.kubeconfig"
FK="/usr/bin/kubectl --kubeconfig $tmp/fresh.kubeconfig --cache-dir $tmp/kcache3"
$FK auth can-i delete pods >"$tmp/o" 2>"$tmp/e"
rc=$?
[ "$rc" = 1 ] || fail "fresh can-i delete pods exit $rc"
[ "$(cat "$tmp/o")" = no ] || fail "fresh can-i: $(cat "$tmp/o")"
$FK auth can-i --list >"$tmp/o" 2>"$tmp/e" || fail "can-i --list exit"
grep -q '^selfsubjectreviews.authentication.k8s.io  *\[\]  *\[\]  *\[create\]$' \
	"$tmp/o" || fail "can-i --list: $(cat "$tmp/o")"

# 9. PyJWT validates a token with only the anonymously fetched JWKS.
curl -sS --max-time 10 --cacert "$state/ca.crt" \
	"https://127.0.0.1:$port/openid/v1/jwks" >"$tmp/jwks.json" ||
	fail "jwks fetch"
kube create token app-service-account -n production --audience=https://vault
printf %s "$(cat "$tmp/o")" >"$tmp/tok"
/usr/bin/python3 - "$tmp/jwks.json" "$tmp/tok" <<'EOF' || fail "PyJWT"
import json, sys
import jwt
keys = jwt.PyJWKSet.from_json(open(sys.argv[1]).read())
token = open(sys.argv[2]).read()
kid = jwt.get_unverified_header(token)["kid"]
key = [k for k in keys.keys if k.key_id == kid][0]
claims = jwt.decode(token, key.key, algorithms=["RS256"],
                    audience="https://vault",
                    issuer="https://kubernetes.default.svc.cluster.local")
assert claims["sub"] == \
    "system:serviceaccount:production:app-service-account", claims
try:
    jwt.decode(token, key.key, algorithms=["RS256"], audience="other")
    sys.exit("wrong audience accepted")
except jwt.InvalidAudienceError:
    pass
EOF

kill -TERM "$pid"
wait "$pid"
pid=""
if [ "$fails" -ne 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "ok: tokens with kubectl and PyJWT"
exit 0
