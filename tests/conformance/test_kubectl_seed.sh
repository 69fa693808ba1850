#!/bin/sh
# SPDX-License-Identifier: MIT
# Every kubectl command of the seed, with the real /usr/bin/kubectl:
#   - kubectl create token with --duration and --audience (claims checked);
#   - the TokenReview heredoc (kubectl create -f - <<EOF ... EOF) with
#     that token: plain output, then -o yaml with the reviewed user;
#   - scripts/setup-external-access.sh end to end (the process test
#     tests/process/test_external_access.sh, run again here);
#   - in the cluster (incluster.sh): kubectl get pods and auth whoami with
#     NO kubeconfig (KUBECONFIG unset, HOME an empty temp dir), i.e.
#     client-go's rest.InClusterConfig path.
# Usage: test_kubectl_seed.sh MOCKAPI SCRIPTS-DIR
set -u
MOCKAPI=$1
SCRIPTS=$2
. "$(dirname "$0")/lib.sh"
conf_incluster_require
conf_init
conf_start
SA=$STATE/serviceaccount

# kubectl create token SA --duration --audience
kc create token default -n default --duration 2h --audience https://example.com
assert_rc "create token --duration 2h --audience: exit 0" 0
assert_no_stderr "create token: no warnings"
tok=$(cat "$OUT")
got=$(jwt_payload "$tok" | "$PY" -c 'import json,sys; c=json.load(sys.stdin)
print(c["sub"], c["aud"], c["exp"] - c["iat"], c["iss"],
      sorted(c["kubernetes.io"]["serviceaccount"]))' 2>&1)
assert_eq "create token: sub, aud, lifetime, iss" \
	"system:serviceaccount:default:default ['https://example.com'] 7200 https://kubernetes.default.svc.cluster.local ['name', 'uid']" \
	"$got"

kc create token default -n default --duration 10m
assert_rc "create token --duration 10m (API audience): exit 0" 0
apitok=$(cat "$OUT")
got=$(jwt_payload "$apitok" | "$PY" -c 'import json,sys; c=json.load(sys.stdin)
print(c["aud"], c["exp"] - c["iat"])' 2>&1)
assert_eq "create token 10m: default audience, 600 s" \
	"['https://kubernetes.default.svc.cluster.local'] 600" "$got"

# The seed's TokenReview heredoc, as written, with the token.
TOKEN_TO_REVIEW=$apitok
conf_kc_n=$((conf_kc_n + 1))
OUT=$TMPD/hd$conf_kc_n.out
ERR=$TMPD/hd$conf_kc_n.err
"$KUBECTL" --kubeconfig "$KCFG" --cache-dir "$TMPD/kc-hd" create -f - \
	>"$OUT" 2>"$ERR" <<EOF
apiVersion: authentication.k8s.io/v1
kind: TokenReview
spec:
  token: $TOKEN_TO_REVIEW
EOF
RC=$?
assert_rc "TokenReview heredoc: exit 0" 0
assert_eq "TokenReview heredoc: kubectl's line" \
	"tokenreview.authentication.k8s.io/<unknown> created" "$(cat "$OUT")"
assert_no_stderr "TokenReview heredoc: no warnings"

"$KUBECTL" --kubeconfig "$KCFG" --cache-dir "$TMPD/kc-hd" create -f - \
	-o yaml >"$TMPD/tr.yaml" 2>"$TMPD/tr.err" <<EOF
apiVersion: authentication.k8s.io/v1
kind: TokenReview
spec:
  token: $TOKEN_TO_REVIEW
EOF
assert_match "TokenReview -o yaml: authenticated" '^  authenticated: true$' \
	"$TMPD/tr.yaml"
assert_match "TokenReview -o yaml: the ServiceAccount" \
	'^    username: system:serviceaccount:default:default$' "$TMPD/tr.yaml"

# The audience-bound token reviewed with its audience, then without.
"$KUBECTL" --kubeconfig "$KCFG" --cache-dir "$TMPD/kc-hd" create -f - \
	-o jsonpath='{.status.authenticated} {.status.audiences} {.status.error}' \
	>"$TMPD/tra.out" 2>&1 <<EOF
apiVersion: authentication.k8s.io/v1
kind: TokenReview
spec:
  token: $tok
  audiences: ["https://example.com"]
EOF
assert_eq "TokenReview with spec.audiences: authenticated" \
	'true ["https://example.com"] ' "$(cat "$TMPD/tra.out")"
"$KUBECTL" --kubeconfig "$KCFG" --cache-dir "$TMPD/kc-hd" create -f - \
	-o jsonpath='{.status.authenticated} {.status.error}' \
	>"$TMPD/trb.out" 2>&1 <<EOF
apiVersion: authentication.k8s.io/v1
kind: TokenReview
spec:
  token: $tok
EOF
assert_eq "TokenReview, wrong audience: kube-apiserver's error" \
	' [invalid bearer token, token audiences ["https://example.com"] is invalid for the target audiences ["https://kubernetes.default.svc.cluster.local"]]' \
	"$(cat "$TMPD/trb.out")"

# scripts/setup-external-access.sh: the process test, run again here.
sh "$CONF_DIR/../process/test_external_access.sh" "$MOCKAPI" \
	"$SCRIPTS/setup-external-access.sh" >"$TMPD/ext.out" 2>&1
RC=$?
OUT=$TMPD/ext.out
ERR=$TMPD/ext.out
assert_rc "setup-external-access.sh (test_external_access.sh): exit 0" 0
assert_match "setup-external-access.sh: every check passed" \
	'^external access: all checks passed$' "$TMPD/ext.out"

# In the cluster, no kubeconfig at all.
conf_grant_view default default
mkdir -p "$TMPD/home"
incluster "$SA" env HOME="$TMPD/home" "$KUBECTL" get pods
assert_rc "in-cluster kubectl get pods (no kubeconfig): exit 0" 0
assert_match "in-cluster kubectl get pods: header" \
	'^NAME +READY +STATUS +RESTARTS +AGE$' "$OUT"
assert_match "in-cluster kubectl get pods: the pod" \
	'^web-7d4b9c8f5-x2k8p +1/1 +Running +0 ' "$OUT"
assert_no_match "in-cluster kubectl get pods: only its namespace" \
	'api-server-5f6d8b9c4-m7n2q' "$OUT"
assert_no_stderr "in-cluster kubectl get pods: no warnings"
incluster "$SA" env HOME="$TMPD/home" "$KUBECTL" auth whoami -o \
	'jsonpath={.status.userInfo.username} {.status.userInfo.extra.authentication\.kubernetes\.io/pod-name}'
assert_rc "in-cluster kubectl auth whoami: exit 0" 0
assert_eq "in-cluster kubectl auth whoami: the pod's ServiceAccount" \
	'system:serviceaccount:default:default ["web-7d4b9c8f5-x2k8p"]' \
	"$(cat "$OUT")"
incluster "$SA" env HOME="$TMPD/home" "$KUBECTL" delete pod \
	web-7d4b9c8f5-x2k8p
assert_rc "in-cluster kubectl delete pod: refused" 1
assert_eq "in-cluster kubectl delete pod: the exact Forbidden" \
	'Error from server (Forbidden): pods "web-7d4b9c8f5-x2k8p" is forbidden: User "system:serviceaccount:default:default" cannot delete resource "pods" in API group "" in the namespace "default"' \
	"$(cat "$ERR")"
assert_eq "in-cluster kubectl: HOME stayed without a kubeconfig" "" \
	"$(ls -A "$TMPD/home" | grep -v '^\.kube$')$(ls -A "$TMPD/home/.kube" 2>/dev/null | grep -v '^cache$')"

assert_host_sa_unchanged
conf_done
