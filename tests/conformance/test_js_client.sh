#!/bin/sh
# SPDX-License-Identifier: MIT
# The official JavaScript client, @kubernetes/client-node 1.4.0 (1.x: 2.x
# needs Node >= 22, reference 0.11), and jose, pinned by js/package-lock.json
# and installed with `npm ci` into a cache dir under the build dir:
#   - loadFromCluster() + listNamespacedPod in the pod-like namespace
#     (incluster.sh: the real /var/run/secrets/... path, no pathPrefix);
#   - loadFromDefault() in the namespace with no kubeconfig (it falls back
#     to the in-cluster config);
#   - loadFromDefault() with KUBECONFIG = the kubeconfig mockapi wrote;
#   - jose: discovery -> jwks_uri -> jwtVerify (iss, aud, exp).
# Usage: test_js_client.sh MOCKAPI CACHE-DIR
set -u
MOCKAPI=$1
cache=$2
. "$(dirname "$0")/lib.sh"
conf_incluster_require
js=$CONF_DIR/js
if ! command -v node >/dev/null 2>&1; then
	"$(dirname "$0")/../../scripts/install-deps" --extra nodejs npm >&2
fi
mkdir -p "$cache"
if ! cmp -s "$js/package-lock.json" "$cache/package-lock.json" ||
	[ ! -f "$cache/node_modules/@kubernetes/client-node/package.json" ]; then
	cp "$js/package.json" "$js/package-lock.json" "$cache/"
	(cd "$cache" && npm_config_cache="$cache/npm-cache" npm ci \
		--ignore-scripts --no-audit --no-fund --loglevel=error) >&2 ||
		{ echo "Bail out! npm ci failed"; exit 1; }
fi
conf_init
conf_start
SA=$STATE/serviceaccount
M=$cache/node_modules
ver=$(node -p "require('$M/@kubernetes/client-node/package.json').version")
assert_eq "client-node version (pinned)" 1.4.0 "$ver"

conf_grant_view default default
# jsonfield FILE EXPR: a field of the one JSON line.
jf() {
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
r = eval(sys.argv[2])
print(*(r if isinstance(r, tuple) else (r,)))' "$1" "$2" 2>&1
}

incluster "$SA" node "$js/clients.mjs" "$M" incluster
assert_rc "loadFromCluster + listNamespacedPod: exit 0" 0
assert_eq "loadFromCluster: server, namespace file, pods" \
	"https://127.0.0.1:$PORT default inClusterUser ['web-7d4b9c8f5-x2k8p']" \
	"$(jf "$OUT" 'd["server"], d["namespace"], d["user"], d["pods"]')"

mkdir -p "$TMPD/home"
incluster "$SA" env HOME="$TMPD/home" node "$js/clients.mjs" "$M" default
assert_rc "loadFromDefault in the cluster (no kubeconfig): exit 0" 0
assert_eq "loadFromDefault in the cluster: in-cluster context, pods" \
	"https://127.0.0.1:$PORT inClusterContext ['web-7d4b9c8f5-x2k8p']" \
	"$(jf "$OUT" 'd["server"], d["context"], d["pods"]')"

KUBECONFIG=$KCFG node "$js/clients.mjs" "$M" default >"$TMPD/d.out" 2>&1
RC=$?
OUT=$TMPD/d.out
ERR=$TMPD/d.out
assert_rc "loadFromDefault with mockapi's kubeconfig: exit 0" 0
assert_eq "loadFromDefault with the kubeconfig: its context, pods" \
	"$URL mockapi ['web-7d4b9c8f5-x2k8p']" \
	"$(jf "$OUT" 'd["server"], d["context"], d["pods"]')"

kc create token default -n default --duration 1h --audience vault
NODE_EXTRA_CA_CERTS=$STATE/ca.crt node "$js/clients.mjs" "$M" verify "$URL" \
	"$(cat "$OUT")" vault >"$TMPD/v.out" 2>&1
RC=$?
OUT=$TMPD/v.out
ERR=$TMPD/v.out
assert_rc "jose jwtVerify via discovery: exit 0" 0
assert_eq "jose: iss, jwks_uri, alg, sub, aud, exp" \
	"https://kubernetes.default.svc.cluster.local $URL/openid/v1/jwks RS256 system:serviceaccount:default:default ['vault'] True" \
	"$(jf "$OUT" 'd["issuer"], d["jwks_uri"], d["alg"], d["sub"], d["aud"], d["exp_after_now"]')"
NODE_EXTRA_CA_CERTS=$STATE/ca.crt node "$js/clients.mjs" "$M" verify "$URL" \
	"$(cat "$STATE/serviceaccount/token")" vault >"$TMPD/v2.out" 2>&1
assert_eq "jose: wrong audience rejected" \
	"ERR_JWT_CLAIM_VALIDATION_FAILED" "$(jf "$TMPD/v2.out" 'd["error"]')"

assert_host_sa_unchanged
conf_done
