#!/bin/sh
# SPDX-License-Identifier: MIT
# The seed's scripts/setup-external-access.sh, run end to end against the
# built mockapi with the real kubectl: it creates the ServiceAccount, the
# rolebinding to view, a 24h token, the credentials and the context; then
# the view role lets it list pods but not delete them, with kube-apiserver's
# exact Forbidden text, and `kubectl auth can-i` agrees.
# Usage: test_external_access.sh MOCKAPI SETUP-EXTERNAL-ACCESS.SH
set -u
mockapi=$1
script=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mockapi-ext-XXXXXX")
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

"$mockapi" --listen 127.0.0.1:0 --port-file "$tmp/port" \
	--state-dir "$tmp/state" >"$tmp/out" 2>"$tmp/err" &
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

# The script edits the kubeconfig it is given: hand it a copy.
cp "$tmp/state/kubeconfig" "$tmp/kubeconfig"
export KUBECONFIG="$tmp/kubeconfig"
kubectl() {
	/usr/bin/kubectl --cache-dir "$tmp/kcache" "$@"
}

(cd "$tmp" && PATH="$tmp/bin:$PATH" && mkdir -p bin &&
	printf '#!/bin/sh\nexec /usr/bin/kubectl --cache-dir %s/kcache "$@"\n' \
		"$tmp" >bin/kubectl && chmod +x bin/kubectl &&
	sh "$script") >"$tmp/setup.out" 2>"$tmp/setup.err" ||
	fail "setup-external-access.sh: $(cat "$tmp/setup.err")"
grep -q 'serviceaccount/external-access created' "$tmp/setup.out" ||
	fail "no SA created: $(cat "$tmp/setup.out")"
grep -q 'rolebinding.rbac.authorization.k8s.io/external-access-view created' \
	"$tmp/setup.out" || fail "no rolebinding: $(cat "$tmp/setup.out")"
[ "$(kubectl config current-context)" = external-access ] ||
	fail "current context is $(kubectl config current-context)"

# The 24 h token the script stored: sub and lifetime.
tok=$(kubectl config view --raw -o jsonpath='{.users[?(@.name=="external-access")].user.token}')
p=$(printf %s "$tok" | cut -d. -f2 | tr '_-' '/+')
case $(($(printf %s "$p" | wc -c) % 4)) in 2) p="$p==" ;; 3) p="$p=" ;; esac
pl=$(printf %s "$p" | base64 -d 2>/dev/null)
case "$pl" in
*'"sub":"system:serviceaccount:default:external-access"'*) ;;
*) fail "token sub: $pl" ;;
esac
exp=$(printf %s "$pl" | sed 's/.*"exp":\([0-9]*\).*/\1/')
iat=$(printf %s "$pl" | sed 's/.*"iat":\([0-9]*\).*/\1/')
[ $((exp - iat)) = 86400 ] || fail "token lifetime $((exp - iat)), want 86400"

kubectl get pods >"$tmp/o" 2>"$tmp/e" || fail "get pods: $(cat "$tmp/e")"
grep -q '^web-7d4b9c8f5-x2k8p ' "$tmp/o" || fail "get pods: $(cat "$tmp/o")"
[ ! -s "$tmp/e" ] || fail "get pods stderr: $(cat "$tmp/e")"

want='Error from server (Forbidden): pods "web-7d4b9c8f5-x2k8p" is forbidden: User "system:serviceaccount:default:external-access" cannot delete resource "pods" in API group "" in the namespace "default"'
if kubectl delete pod web-7d4b9c8f5-x2k8p >"$tmp/o" 2>"$tmp/e"; then
	fail "delete pod succeeded"
fi
[ "$(cat "$tmp/e")" = "$want" ] || fail "delete pod said: $(cat "$tmp/e")"

out=$(kubectl auth can-i delete pods 2>&1)
rc=$?
[ "$out" = no ] && [ "$rc" = 1 ] || fail "can-i delete pods: $out (exit $rc)"
out=$(kubectl auth can-i list pods 2>&1)
rc=$?
[ "$out" = yes ] && [ "$rc" = 0 ] || fail "can-i list pods: $out (exit $rc)"

if [ "$fails" != 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "external access: all checks passed"
