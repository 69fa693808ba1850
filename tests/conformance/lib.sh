# SPDX-License-Identifier: MIT
# Shared helpers for the conformance scripts (sourced, POSIX sh).
#
#   conf_init                 temp dir, trap that kills ONLY our mockapi PID
#   conf_start [ARGS...]      start $MOCKAPI on 127.0.0.1:0 with --port-file
#                             and a temp state dir; bounded wait (10 s) for
#                             the port file; sets PORT URL STATE KCFG TOKEN
#   conf_stop                 SIGTERM our mockapi and reap it
#   kc ARGS...                the real /usr/bin/kubectl with the kubeconfig
#                             mockapi wrote and a fresh --cache-dir; stdout in
#                             $OUT, stderr in $ERR (files), exit code in $RC
#   ok / not_ok DESC [DETAIL] one TAP line each; conf_done prints the plan
#   assert_eq DESC WANT GOT   assert_match DESC ERE FILE   assert_rc DESC N
#   assert_no_stderr DESC     (stderr of the last kc call is empty: no
#                             warnings, no discovery errors)
#   wait_until SECS CMD...    re-run CMD every 0.1 s until it succeeds
#   conf_incluster_require    print "SKIP-REASON: ..." and a TAP skip plan,
#                             exit 0, where incluster.sh cannot run here
#   incluster SA-DIR CMD...   CMD inside the pod-like mount namespace
#                             (incluster.sh) against our $PORT; stdout in
#                             $OUT, stderr in $ERR, exit code in $RC
#   assert_host_sa_unchanged  the host's /var/run/secrets/... is as it was
#                             at conf_init (absent on CI machines)
#   conf_grant_view NS SA     RoleBinding to ClusterRole view (admin kc)
#   jwt_payload TOKEN         the JWT payload as JSON on stdout
#
# The scripts print TAP (meson protocol: 'tap'); every failing assertion
# prints what was expected and what came instead as TAP diagnostics.
# Usage from a script: MOCKAPI=$1; . "$(dirname "$0")/lib.sh"
KUBECTL=${KUBECTL:-/usr/bin/kubectl}
PY=/usr/bin/python3
CONF_DIR=$(cd "$(dirname "$0")" && pwd)
INCLUSTER=$CONF_DIR/incluster.sh
HOST_SA=/var/run/secrets/kubernetes.io/serviceaccount
conf_n=0
conf_failed=0
conf_pid=""
conf_kc_n=0

conf_cleanup() {
	if [ -n "$conf_pid" ]; then
		kill "$conf_pid" 2>/dev/null
		wait "$conf_pid" 2>/dev/null
		conf_pid=""
	fi
	[ -n "${TMPD:-}" ] && rm -rf "$TMPD"
}

conf_init() {
	TMPD=$(mktemp -d "${TMPDIR:-/tmp}/mockapi-conf-XXXXXX")
	trap conf_cleanup EXIT
	trap 'exit 130' INT TERM
	conf_host_before=$(conf_host_sa_state)
	if [ ! -x "$KUBECTL" ]; then
		echo "Bail out! $KUBECTL is missing"
		exit 1
	fi
}

# Prints DETAIL lines as TAP diagnostics.
conf_diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

ok() {
	conf_n=$((conf_n + 1))
	echo "ok $conf_n - $1"
}

not_ok() {
	conf_n=$((conf_n + 1))
	conf_failed=$((conf_failed + 1))
	echo "not ok $conf_n - $1"
	shift
	[ $# -gt 0 ] && conf_diag "$@"
	return 0
}

conf_done() {
	echo "1..$conf_n"
	[ "$conf_failed" -eq 0 ]
	exit $?
}

assert_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "expected: $2" "actual:   $3"
	fi
}

# assert_match DESC ERE FILE: some line of FILE matches ERE.
assert_match() {
	if grep -Eq -- "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1" "expected a line matching: $2" "actual:" \
			"$(head -c 4000 "$3")"
	fi
}

assert_no_match() {
	if grep -Eq -- "$2" "$3"; then
		not_ok "$1" "expected no line matching: $2" "actual:" \
			"$(head -c 4000 "$3")"
	else
		ok "$1"
	fi
}

assert_rc() {
	if [ "$RC" = "$2" ]; then
		ok "$1"
	else
		not_ok "$1" "expected exit code $2, got $RC" "stdout:" \
			"$(head -c 2000 "$OUT")" "stderr:" "$(head -c 2000 "$ERR")"
	fi
}

assert_no_stderr() {
	if [ -s "$ERR" ]; then
		not_ok "$1" "expected: empty stderr" "actual:" \
			"$(head -c 4000 "$ERR")"
	else
		ok "$1"
	fi
}

# wait_until SECS CMD...: bounded retry, 0.1 s apart.
wait_until() {
	wu_left=$(($1 * 10))
	shift
	while ! "$@" >/dev/null 2>&1; do
		wu_left=$((wu_left - 1))
		[ "$wu_left" -le 0 ] && return 1
		sleep 0.1
	done
	return 0
}

conf_wait_file() {
	wf_left=100
	while [ ! -s "$1" ]; do
		wf_left=$((wf_left - 1))
		if [ "$wf_left" -le 0 ]; then
			return 1
		fi
		if [ -n "$conf_pid" ] && ! kill -0 "$conf_pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
	return 0
}

# conf_start [MOCKAPI-ARGS...]: STATE may be preset to reuse a state dir.
conf_start() {
	STATE=${STATE:-$TMPD/state}
	rm -f "$TMPD/port"
	"$MOCKAPI" --listen 127.0.0.1:0 --port-file "$TMPD/port" \
		--state-dir "$STATE" "$@" >"$TMPD/mockapi.out" \
		2>"$TMPD/mockapi.err" &
	conf_pid=$!
	if ! conf_wait_file "$TMPD/port" || ! conf_wait_file "$TMPD/mockapi.out"
	then
		echo "Bail out! mockapi did not start: $(cat "$TMPD/mockapi.err")"
		exit 1
	fi
	PORT=$(cat "$TMPD/port")
	URL=https://127.0.0.1:$PORT
	KCFG=$STATE/kubeconfig
	TOKEN=$(cat "$STATE/admin-token")
}

conf_stop() {
	if [ -n "$conf_pid" ]; then
		kill -TERM "$conf_pid" 2>/dev/null
		wait "$conf_pid"
		CONF_EXIT=$?
		conf_pid=""
	fi
}

# kc ARGS...: kubectl with our kubeconfig and a fresh cache dir.
kc() {
	conf_kc_n=$((conf_kc_n + 1))
	OUT=$TMPD/kc$conf_kc_n.out
	ERR=$TMPD/kc$conf_kc_n.err
	"$KUBECTL" --kubeconfig "$KCFG" \
		--cache-dir "$TMPD/kcache$conf_kc_n" "$@" >"$OUT" 2>"$ERR"
	RC=$?
}

# conf_host_sa_state: what the host has at the in-cluster path.
conf_host_sa_state() {
	if [ -e "$HOST_SA" ] || [ -L "$HOST_SA" ]; then
		ls -la --full-time "$HOST_SA/" 2>&1
	elif [ -e /var/run/secrets ]; then
		stat -c '%n %i %Y' /var/run/secrets
	else
		echo absent
	fi
}

assert_host_sa_unchanged() {
	assert_eq "host $HOST_SA untouched" "$conf_host_before" \
		"$(conf_host_sa_state)"
}

# Before any TAP line: skip the whole script where it cannot run.
conf_incluster_require() {
	if ! reason=$(sh "$INCLUSTER" --check); then
		echo "$reason"
		echo "1..0 # SKIP ${reason#SKIP-REASON: }"
		exit 0
	fi
}

# incluster SA-DIR CMD...: like kc, for a command in the namespace.
incluster() {
	conf_kc_n=$((conf_kc_n + 1))
	OUT=$TMPD/in$conf_kc_n.out
	ERR=$TMPD/in$conf_kc_n.err
	ic_sa=$1
	shift
	sh "$INCLUSTER" "$ic_sa" "$PORT" "$@" >"$OUT" 2>"$ERR"
	RC=$?
}

conf_grant_view() {
	kc create rolebinding "conf-view-$2" --clusterrole=view \
		--serviceaccount="$1:$2" -n "$1"
	if [ "$RC" != 0 ]; then
		not_ok "grant view to $1:$2" "$(cat "$ERR")"
	fi
}

jwt_payload() {
	"$PY" -c '
import base64, sys
p = sys.argv[1].split(".")[1]
sys.stdout.write(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)).decode())
' "$1"
}
