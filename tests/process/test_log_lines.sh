#!/bin/sh
# SPDX-License-Identifier: MIT
# The --log-format lines of a real run (server/logger.c writes them from
# its own thread, batched): a request's line shows up while the server is
# idle, and when SIGTERM stops a burst of keep-alive requests every
# request answered (and its event) is on stderr exactly once, in seq
# order, each event right before the request that caused it; in both
# text and json formats.
# Usage: test_log_lines.sh MOCKAPI
set -u
mockapi=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mockapi-log-XXXXXX")
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

# wait_for FILE PATTERN: bounded (10 s) wait for a line in a file.
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -gt 200 ] && return 1
		sleep 0.05
	done
	return 0
}

N=3000
for fmt in text json; do
	state=$tmp/state-$fmt
	err=$tmp/err-$fmt
	rm -f "$tmp/port"
	"$mockapi" --listen 127.0.0.1:0 --port-file "$tmp/port" \
		--state-dir "$state" --log-format "$fmt" >"$tmp/out" 2>"$err" &
	pid=$!
	wait_for "$tmp/port" . || { echo "FAIL: no port file: $(cat "$err")"; exit 1; }
	base=https://127.0.0.1:$(cat "$tmp/port")
	auth="Authorization: Bearer $(cat "$state/admin-token")"

	# 1. Idle: the one request's line appears while the server runs.
	curl -sk -o /dev/null -H "$auth" "$base/version"
	case $fmt in
	text) pat=' request seq=1 method=GET path=/version ' ;;
	json) pat='"seq":1,.*"method":"GET","path":"/version"' ;;
	esac
	wait_for "$err" "$pat" || fail "$fmt: no line for an idle request"

	# 2. A burst on one keep-alive connection (TokenRequests: each adds an
	# "issued" event before its journal entry), stopped by SIGTERM in the
	# middle: every response curl got must have its lines on stderr, also
	# those of the last milliseconds before exit.
	urls=""
	i=0
	while [ "$i" -lt "$N" ]; do
		urls="$urls -o /dev/null $base/api/v1/namespaces/default/serviceaccounts/default/token"
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	curl -sk -H "$auth" -H 'Content-Type: application/json' \
		-d '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{}}' \
		-w '%{http_code}\n' $urls >"$tmp/codes" 2>/dev/null &
	cpid=$!
	wait_for "$err" 'seq.\{1,2\}100[ ,]' || fail "$fmt: burst not logged"
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	pid=""
	wait "$cpid"
	[ "$rc" = 0 ] || fail "$fmt: exit status $rc after SIGTERM"
	got=$(grep -c '^201$' "$tmp/codes")
	[ "$got" -ge 50 ] || fail "$fmt: only $got TokenRequests answered"

	python3 - "$fmt" "$err" "$got" <<'PY' || fail "$fmt: lines lost or out of order"
import json, re, sys
fmt, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = []  # (kind, seq, type-or-path)
for line in open(path):
    if line.startswith("mockapi:"):
        continue
    if fmt == "json":
        o = json.loads(line)
        if "method" in o:
            rows.append(("req", o["seq"], o["path"]))
        else:
            rows.append(("ev", o["seq"], o["type"]))
    else:
        m = re.match(r"\S+Z request seq=(\d+) method=\S+ path=(\S+) ", line)
        if m:
            rows.append(("req", int(m.group(1)), m.group(2)))
            continue
        m = re.match(r"\S+Z event=(\S+) seq=(\d+)( |$)", line)
        if not m:
            sys.exit("unexpected line: " + line)
        rows.append(("ev", int(m.group(2)), m.group(1)))
reqs = [s for k, s, _ in rows if k == "req"]
evs = [s for k, s, _ in rows if k == "ev"]
if reqs != list(range(1, len(reqs) + 1)) or len(reqs) < n + 1:
    sys.exit("request seqs: %d lines, want 1..%d or more" % (len(reqs), n + 1))
if evs != list(range(evs[0], evs[0] + len(evs))) if evs else True:
    sys.exit("event seqs not consecutive")
issued = 0
for i, (k, s, what) in enumerate(rows):
    if k == "req" and what.endswith("/token"):
        # The "issued" event of this TokenRequest comes right before it.
        if i == 0 or rows[i - 1][0] != "ev" or rows[i - 1][2] != "issued":
            sys.exit("request %d not preceded by its issued event" % s)
        issued += 1
if issued < n:
    sys.exit("%d token requests logged, %d answered" % (issued, n))
PY
done

[ "$fails" -eq 0 ] || exit 1
echo "ok: log lines prompt when idle, complete and ordered after SIGTERM"
