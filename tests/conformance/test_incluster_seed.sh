#!/bin/sh
# SPDX-License-Identifier: MIT
# The seed's in-cluster examples, UNCHANGED, "in a pod": incluster.sh runs
# them in a private mount namespace where mockapi's kubelet-maintained
# projected directory is bind-mounted at
# /var/run/secrets/kubernetes.io/serviceaccount, with
# KUBERNETES_SERVICE_HOST/PORT set. The pod is default/web-7d4b9c8f5-x2k8p
# (ServiceAccount default:default).
#   - the namespace sees the kubelet's files and its ..data swaps;
#   - scripts/api-request.sh (curl): 403 for the ServiceAccount before a
#     RoleBinding to view exists, the PodList of its namespace after;
#   - scripts/app.py (Debian's python3-kubernetes): the pod names and
#     phases of its namespace, exactly;
#   - the host's own path is never touched.
# Usage: test_incluster_seed.sh MOCKAPI SCRIPTS-DIR
set -u
MOCKAPI=$1
SCRIPTS=$2
. "$(dirname "$0")/lib.sh"
conf_incluster_require
conf_init
conf_start
SA=$STATE/serviceaccount
SAUSER=system:serviceaccount:default:default

# A second pod in default (and one in production already) so that "the
# pods of its namespace" is a real assertion.
cat >"$TMPD/pod.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: conf-extra
  namespace: default
spec:
  containers:
  - name: app
    image: registry.k8s.io/pause:3.10
EOF
kc create -f "$TMPD/pod.yaml"
assert_rc "admin: create pod conf-extra" 0
kc get pods -n default -o \
	'jsonpath={range .items[*]}{.metadata.name}{"\t"}{.status.phase}{"\n"}{end}'
want_pods=$(cat "$OUT")
assert_eq "admin: default has two pods" 2 "$(echo "$want_pods" | wc -l)"

# The namespace: the three files through the bind-mounted directory.
incluster "$SA" sh -c 'd=/var/run/secrets/kubernetes.io/serviceaccount
cat $d/namespace; echo; readlink $d/..data; readlink $d/token
cmp $d/ca.crt "$1" && echo ca-same
echo "$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT ${KUBECONFIG-unset}"' \
	sh "$STATE/ca.crt"
assert_rc "namespace: runs" 0
assert_eq "namespace: the kubelet's files" "default
$(readlink "$SA/..data")
..data/token
ca-same
127.0.0.1:$PORT unset" "$(cat "$OUT")"

# ..data swaps stay visible: rotate while one process watches the token.
incluster "$SA" sh -c 'f=/var/run/secrets/kubernetes.io/serviceaccount/token
cat $f; echo
"$1" ctl --kubeconfig "$2" clock advance 50m >/dev/null || exit 1
cat $f' sh "$MOCKAPI" "$KCFG"
assert_rc "rotation: ctl clock advance 50m inside" 0
t_old=$(sed -n 1p "$OUT")
t_new=$(sed -n 2p "$OUT")
if [ -n "$t_old" ] && [ "$t_old" != "$t_new" ]; then
	ok "rotation: the namespace sees the new token"
else
	not_ok "rotation: the namespace sees the new token" \
		"old ${t_old%"${t_old#????????}"} new ${t_new%"${t_new#????????}"}"
fi
assert_eq "rotation: it is the kubelet's current token" "$(cat "$SA/token")" \
	"$t_new"

# curl, before the RoleBinding: the ServiceAccount's own 403.
incluster "$SA" sh "$SCRIPTS/api-request.sh"
assert_rc "api-request.sh (no RBAC): curl exits 0" 0
got=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(d["code"], d["message"])' "$OUT" 2>&1)
assert_eq "api-request.sh (no RBAC): 403 names the ServiceAccount" \
	"403 pods is forbidden: User \"$SAUSER\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"" \
	"$got"

conf_grant_view default default

incluster "$SA" sh "$SCRIPTS/api-request.sh"
assert_rc "api-request.sh: curl exits 0" 0
got=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(d["kind"]); [print(p["metadata"]["name"] + "\t" + p["status"]["phase"])
for p in d["items"]]' "$OUT" 2>&1)
assert_eq "api-request.sh: PodList of default (names, phases)" \
	"PodList
$want_pods" "$got"

incluster "$SA" /usr/bin/python3 "$SCRIPTS/app.py"
assert_rc "app.py: exits 0" 0
assert_eq "app.py: prints the pods of its namespace" "$want_pods" \
	"$(cat "$OUT")"
assert_no_stderr "app.py: no stderr"

# Who made those calls: the journal names the pod's ServiceAccount.
got=$("$PY" "$CONF_DIR/journal.py" "$URL" "$STATE/ca.crt" \
	"$STATE/admin-token" requests | "$PY" -c 'import json, sys
for l in sys.stdin:
    e = json.loads(l)
    if e["user"] == sys.argv[1] and \
            e["path"] == "/api/v1/namespaces/default/pods":
        print(e["code"])' "$SAUSER" | sort | uniq -c |
	awk '{print $2 "x" $1}' | tr '\n' ' ')
assert_eq "journal: the ServiceAccount's pod lists (403 once, then 200s)" \
	"200x2 403x1 " "$got"

assert_host_sa_unchanged
conf_done
