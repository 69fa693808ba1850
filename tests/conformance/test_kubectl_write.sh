#!/bin/sh
# SPDX-License-Identifier: MIT
# The real kubectl 1.32 changing the cluster: create serviceaccount (a
# protobuf body), create -f, apply -f twice (created, then unchanged), delete
# pod (gone after its grace period, kubectl's own wait bounded), create ns
# (usable at once: default SA) and delete ns (its contents go too). No
# command may print a warning.
# Usage: test_kubectl_write.sh MOCKAPI
set -u
MOCKAPI=$1
data=$(dirname "$0")/data
. "$(dirname "$0")/lib.sh"
conf_init
conf_start

kc create serviceaccount x
assert_rc "create serviceaccount: exit 0" 0
assert_eq "create serviceaccount: output" "serviceaccount/x created" \
	"$(cat "$OUT")"
assert_no_stderr "create serviceaccount: no warnings"
kc get sa x -o jsonpath='{.metadata.name}/{.metadata.namespace}'
assert_eq "create serviceaccount: stored" "x/default" "$(cat "$OUT")"

kc create serviceaccount x
assert_rc "create serviceaccount again: exit 1" 1
assert_eq "create serviceaccount again: message" \
	'error: failed to create serviceaccount: serviceaccounts "x" already exists' \
	"$(cat "$ERR")"

kc create -f "$data/pod-created.yaml"
assert_rc "create -f: exit 0" 0
assert_eq "create -f: output" "pod/created created" "$(cat "$OUT")"
assert_no_stderr "create -f: no warnings"
kc get pod created
assert_match "create -f: Running" '^created +1/1 +Running +0 +[0-9]+s$' "$OUT"

kc apply -f "$data/pod-applied.yaml"
assert_rc "apply -f (1st): exit 0" 0
assert_eq "apply -f (1st): output" "pod/applied created" "$(cat "$OUT")"
assert_no_stderr "apply -f (1st): no warnings"
kc apply -f "$data/pod-applied.yaml"
assert_rc "apply -f (2nd): exit 0" 0
assert_eq "apply -f (2nd): output" "pod/applied unchanged" "$(cat "$OUT")"
assert_no_stderr "apply -f (2nd): no warnings"
kc get pod applied -o jsonpath='{.metadata.annotations.kubectl\.kubernetes\.io/last-applied-configuration}'
assert_match "apply -f: last-applied annotation" '"name":"applied"' "$OUT"

# kubectl waits for the pod to be gone (a watch); bound that wait.
kc delete pod created --grace-period=1 --timeout=15s
assert_rc "delete pod: exit 0" 0
assert_eq "delete pod: output" 'pod "created" deleted' "$(cat "$OUT")"
assert_no_stderr "delete pod: no warnings"
kc get pod created
assert_eq "delete pod: gone" \
	'Error from server (NotFound): pods "created" not found' "$(cat "$ERR")"

kc create namespace scratch
assert_rc "create ns: exit 0" 0
assert_eq "create ns: output" "namespace/scratch created" "$(cat "$OUT")"
kc -n scratch get sa,cm -o name
assert_eq "create ns: default SA and kube-root-ca.crt" \
	"serviceaccount/default
configmap/kube-root-ca.crt" "$(cat "$OUT")"
kc -n scratch create -f "$data/pod-applied.yaml"
assert_rc "create pod in new ns: exit 0" 0
assert_no_stderr "create pod in new ns: no warnings"
kc -n scratch create serviceaccount y
kc delete namespace scratch --timeout=15s
assert_rc "delete ns: exit 0" 0
assert_eq "delete ns: output" 'namespace "scratch" deleted' "$(cat "$OUT")"
assert_no_stderr "delete ns: no warnings"
kc get ns scratch
assert_eq "delete ns: gone" \
	'Error from server (NotFound): namespaces "scratch" not found' \
	"$(cat "$ERR")"
kc -n scratch get pods,sa,cm -o name
assert_eq "delete ns: contents gone" "" "$(cat "$OUT")"
kc get pods -A -o name
assert_eq "delete ns: other pods kept" "pod/applied
pod/web-7d4b9c8f5-x2k8p
pod/api-server-5f6d8b9c4-m7n2q" "$(cat "$OUT")"

conf_done
