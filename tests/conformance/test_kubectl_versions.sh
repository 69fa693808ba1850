#!/bin/sh
# SPDX-License-Identifier: MIT
# The kubectl version matrix: for every kubectl.1.NN binary beside the
# Google Cloud SDK dispatcher (/usr/bin/kubectl -> .../kubectl, with
# kubectl.1.27 ... kubectl.1.33 next to it), mockapi is started with
# --kube-version v1.NN.0 and that binary, called directly, runs
#   version -o json     client minor NN, server gitVersion v1.NN.0
#   get pods            the pod table, nothing on stderr
#   create token        a 10-minute token for default:default
#   auth whoami -o json mockapi-admin (1.27 asks authentication.k8s.io/
#                       v1beta1, 1.28+ v1: both are served)
# (called directly: the dispatcher answers `kubectl version` itself, so
# which binary it picked is not observable from here; reference §0.1).
# One TAP line per version, naming it, so the summary lists which
# versions ran; a failing line carries each failed step as diagnostics.
# Usage: test_kubectl_versions.sh MOCKAPI
set -u
MOCKAPI=$1
. "$(dirname "$0")/lib.sh"
conf_init
bindir=$(dirname "$(readlink -f "$KUBECTL")")
STATE=$TMPD/state

versions=$(ls "$bindir" | sed -n 's/^kubectl\.1\.\([0-9][0-9]*\)$/\1/p' |
	sort -n)
if [ -z "$versions" ]; then
	not_ok "kubectl.1.NN binaries beside $KUBECTL" "none in $bindir"
	conf_done
fi

for nn in $versions; do
	bin=$bindir/kubectl.1.$nn
	fails=""
	conf_start --kube-version "v1.$nn.0"

	KUBECTL=$bin kc version -o json
	got=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(d["clientVersion"]["minor"], d["serverVersion"]["gitVersion"])' \
		"$OUT" 2>&1)
	[ "$got" = "$nn v1.$nn.0" ] || fails="$fails|version: $got"
	client=$("$PY" -c 'import json,sys
print(json.load(open(sys.argv[1]))["clientVersion"]["gitVersion"])' "$OUT" \
		2>/dev/null)

	KUBECTL=$bin kc get pods
	grep -Eq '^web-7d4b9c8f5-x2k8p +1/1 +Running +0 ' "$OUT" ||
		fails="$fails|get pods: $(cat "$OUT" "$ERR")"
	[ -s "$ERR" ] && fails="$fails|get pods stderr: $(cat "$ERR")"

	KUBECTL=$bin kc create token default --duration 10m
	got=$(jwt_payload "$(cat "$OUT")" 2>&1 | "$PY" -c '
import json, sys
c = json.load(sys.stdin)
print(c["sub"], c["exp"] - c["iat"])' 2>&1)
	[ "$got" = "system:serviceaccount:default:default 600" ] ||
		fails="$fails|create token: $got $(cat "$ERR")"

	KUBECTL=$bin kc auth whoami -o json
	got=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(d["apiVersion"], d["status"]["userInfo"]["username"])' "$OUT" 2>&1)
	case $nn in
	27) want="authentication.k8s.io/v1beta1 mockapi-admin" ;;
	*) want="authentication.k8s.io/v1 mockapi-admin" ;;
	esac
	[ "$got" = "$want" ] || fails="$fails|auth whoami: $got $(cat "$ERR")"

	conf_stop
	desc="kubectl 1.$nn ($client): version, get pods, create token, auth whoami"
	if [ -z "$fails" ]; then
		ok "$desc"
	else
		# shellcheck disable=SC2086
		IFS='|'
		not_ok "$desc" $fails
		unset IFS
	fi
done
conf_done
