#!/bin/sh
# SPDX-License-Identifier: MIT
# The real kubectl 1.32 reading the default cluster: version, discovery
# (aggregated, no warnings), api-resources, get pods / -A / -o json / -o
# yaml / one pod as a Table, get ns, get sa -A. Columns are the ones a real
# cluster prints (the server's Table).
# Usage: test_kubectl_get.sh MOCKAPI
set -u
MOCKAPI=$1
. "$(dirname "$0")/lib.sh"
conf_init
conf_start

kc version
assert_rc "version: exit 0" 0
assert_match "version: server v1.32.4" '^Server Version: v1\.32\.4$' "$OUT"
assert_match "version: client 1.32" '^Client Version: v1\.32\.' "$OUT"
assert_no_stderr "version: no stderr"

# Discovery as kubectl asks for it: aggregated v2 when asked.
curl -sS --max-time 10 --cacert "$STATE/ca.crt" \
	-H "Authorization: Bearer $TOKEN" -D "$TMPD/h" -o "$TMPD/b" \
	-H 'Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json' \
	"$URL/apis"
assert_match "aggregated /apis content type" \
	'^[Cc]ontent-[Tt]ype: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' \
	"$TMPD/h"

kc api-resources
assert_rc "api-resources: exit 0" 0
assert_match "api-resources: header" \
	'^NAME +SHORTNAMES +APIVERSION +NAMESPACED +KIND$' "$OUT"
assert_match "api-resources: pods" '^pods +po +v1 +true +Pod$' "$OUT"
assert_match "api-resources: serviceaccounts" \
	'^serviceaccounts +sa +v1 +true +ServiceAccount$' "$OUT"
assert_match "api-resources: namespaces" \
	'^namespaces +ns +v1 +false +Namespace$' "$OUT"
assert_match "api-resources: tokenreviews" \
	'^tokenreviews +authentication\.k8s\.io/v1 +false +TokenReview$' "$OUT"
assert_match "api-resources: rolebindings" \
	'^rolebindings +rbac\.authorization\.k8s\.io/v1 +true +RoleBinding$' "$OUT"
assert_no_stderr "api-resources: no warnings"

kc get pods
assert_rc "get pods: exit 0" 0
assert_eq "get pods: header" \
	"NAME                  READY   STATUS    RESTARTS   AGE" \
	"$(head -n 1 "$OUT")"
assert_match "get pods: web row" \
	'^web-7d4b9c8f5-x2k8p +1/1 +Running +0 +[0-9]+(s|m[0-9]*s?)$' "$OUT"
assert_eq "get pods: only default" 2 "$(wc -l <"$OUT" | tr -d ' ')"
assert_no_stderr "get pods: no warnings (cold discovery)"

kc get pods -A
assert_rc "get pods -A: exit 0" 0
assert_match "get pods -A: header" \
	'^NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE$' "$OUT"
assert_match "get pods -A: default/web" \
	'^default +web-7d4b9c8f5-x2k8p +1/1 +Running +0 +' "$OUT"
assert_match "get pods -A: production/api-server" \
	'^production +api-server-5f6d8b9c4-m7n2q +1/1 +Running +0 +' "$OUT"
assert_no_stderr "get pods -A: no warnings"

kc get pods -n production -o json
assert_rc "get pods -n production -o json: exit 0" 0
got=$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
names = [i["metadata"]["name"] for i in d["items"]]
nss = sorted({i["metadata"]["namespace"] for i in d["items"]})
print(d["kind"], d["apiVersion"], ",".join(names), ",".join(nss),
      d["items"][0]["kind"], d["items"][0]["status"]["phase"])
' "$OUT" 2>&1)
assert_eq "get pods -n production -o json: parsed" \
	"List v1 api-server-5f6d8b9c4-m7n2q production Pod Running" "$got"
assert_no_stderr "get pods -o json: no warnings"

kc get pod web-7d4b9c8f5-x2k8p -o yaml
assert_rc "get pod -o yaml: exit 0" 0
assert_match "get pod -o yaml: kind" '^kind: Pod$' "$OUT"
assert_match "get pod -o yaml: name" '^  name: web-7d4b9c8f5-x2k8p$' "$OUT"
assert_match "get pod -o yaml: namespace" '^  namespace: default$' "$OUT"
assert_match "get pod -o yaml: sa" '^  serviceAccountName: default$' "$OUT"
assert_match "get pod -o yaml: phase" '^  phase: Running$' "$OUT"
assert_no_stderr "get pod -o yaml: no warnings"

kc get pod web-7d4b9c8f5-x2k8p
assert_rc "get pod NAME: exit 0" 0
assert_eq "get pod NAME: Table header" \
	"NAME                  READY   STATUS    RESTARTS   AGE" \
	"$(head -n 1 "$OUT")"
assert_match "get pod NAME: one row" \
	'^web-7d4b9c8f5-x2k8p +1/1 +Running +0 +[0-9]' "$OUT"
assert_eq "get pod NAME: two lines" 2 "$(wc -l <"$OUT" | tr -d ' ')"
assert_no_stderr "get pod NAME: no warnings"

kc get pod nope
assert_rc "get pod nope: exit 1" 1
assert_eq "get pod nope: message" \
	'Error from server (NotFound): pods "nope" not found' "$(cat "$ERR")"

kc get ns
assert_rc "get ns: exit 0" 0
assert_match "get ns: header" '^NAME +STATUS +AGE$' "$OUT"
for ns in default kube-node-lease kube-public kube-system production; do
	assert_match "get ns: $ns Active" "^$ns +Active +[0-9]" "$OUT"
done
assert_no_stderr "get ns: no warnings"

kc get sa -A
assert_rc "get sa -A: exit 0" 0
assert_match "get sa -A: header" '^NAMESPACE +NAME +SECRETS +AGE$' "$OUT"
assert_match "get sa -A: production/app-service-account" \
	'^production +app-service-account +0 +[0-9]' "$OUT"
assert_match "get sa -A: kube-system/default" \
	'^kube-system +default +0 +[0-9]' "$OUT"
assert_no_stderr "get sa -A: no warnings"

conf_done
