#!/bin/sh
# SPDX-License-Identifier: MIT
# Crash safety of the saved store (state/statefile): 4 parallel curl loops
# create 200 ServiceAccounts over verified HTTPS, recording which got 201;
# mockapi is killed with SIGKILL in the middle; a restart on the same state
# dir must have every acknowledged ServiceAccount (same uid), an object
# made before the burst unchanged, the signing key and the ServiceAccount
# uids (what token validity depends on) unchanged, and state files that
# parse (store.json whole; every journal line but a torn last one).
# Usage: test_crash_safety.sh MOCKAPI
set -u
mockapi=$1
py=/usr/bin/python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mockapi-crash-XXXXXX")
state=$tmp/state
pid=""
fails=0

cleanup() {
	if [ -n "$pid" ]; then
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

start() {
	rm -f "$tmp/port"
	"$mockapi" --listen 127.0.0.1:0 --port-file "$tmp/port" \
		--state-dir "$state" >"$tmp/out" 2>>"$tmp/err" &
	pid=$!
	i=0
	while [ ! -s "$tmp/port" ]; do
		i=$((i + 1))
		if [ "$i" -gt 200 ] || ! kill -0 "$pid" 2>/dev/null; then
			echo "FAIL: mockapi did not start: $(cat "$tmp/err")"
			exit 1
		fi
		sleep 0.05
	done
	port=$(cat "$tmp/port")
	base=https://127.0.0.1:$port
	token=$(cat "$state/admin-token")
}

# api METHOD PATH [BODY]: prints the body, then the status on its own line.
api() {
	curl -sS --max-time 10 --cacert "$state/ca.crt" \
		-H "Authorization: Bearer $token" \
		-H 'Content-Type: application/json' -X "$1" \
		${3:+--data "$3"} -w '\n%{http_code}' "$base$2"
}

sas=/api/v1/namespaces/default/serviceaccounts

start
# An object made before the burst, and what tokens depend on.
api POST "$sas" '{"metadata":{"name":"before","labels":{"a":"b"}}}' \
	>"$tmp/before.json" || fail "create before"
[ "$(tail -n 1 "$tmp/before.json")" = 201 ] || fail "before: $(cat "$tmp/before.json")"
api GET "$sas/before" | sed '$d' >"$tmp/before.get"
api GET "$sas" | sed '$d' >"$tmp/list.before"
keysum=$(sha256sum "$state/sa.key" | cut -d' ' -f1)
# A real token (TokenRequest) for the ServiceAccount made before the burst.
api POST "$sas/before/token" '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{}}' \
	>"$tmp/tr.json"
[ "$(tail -n 1 "$tmp/tr.json")" = 201 ] || fail "TokenRequest: $(tail -n 1 "$tmp/tr.json")"
satoken=$(sed '$d' "$tmp/tr.json" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["status"]["token"])')

# The burst: 4 writers x 50 creates, each line "name status".
for w in 1 2 3 4; do
	(
		n=1
		while [ "$n" -le 50 ]; do
			name=burst-$w-$n
			code=$(curl -s -o /dev/null --max-time 5 \
				--cacert "$state/ca.crt" \
				-H "Authorization: Bearer $token" \
				-H 'Content-Type: application/json' -X POST \
				--data "{\"metadata\":{\"name\":\"$name\"}}" \
				-w '%{http_code}' "$base$sas")
			echo "$name $code" >>"$tmp/acks.$w"
			n=$((n + 1))
		done
	) &
done
# Kill it once about 60 creates were answered (bounded wait: 20 s).
i=0
while :; do
	n=$(cat "$tmp"/acks.* 2>/dev/null | grep -c ' 201$')
	[ "$n" -ge 60 ] && break
	i=$((i + 1))
	if [ "$i" -gt 400 ]; then
		fail "the burst did not reach 60 creates ($n)"
		break
	fi
	sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=""
wait # the writers: the rest fail fast (connection refused)
cat "$tmp"/acks.* >"$tmp/acks"
acked=$(grep -c ' 201$' "$tmp/acks")
refused=$(grep -vc ' 201$' "$tmp/acks")
echo "# burst: $acked acknowledged (201), $refused not (after the kill)"
[ "$(wc -l <"$tmp/acks")" = 200 ] || fail "not 200 attempts"
[ "$refused" -gt 0 ] || fail "the kill was not in the middle of the burst"
grep -v ' 201$' "$tmp/acks" | grep -v ' 000$' | head -3 | while read -r l; do
	fail "unexpected status: $l"
done

# The files as the crash left them parse (a torn last line is allowed).
cp "$state/store.json" "$state/store.journal" "$tmp/" ||
	fail "state files missing"
"$py" - "$tmp/store.json" "$tmp/store.journal" <<'EOF' || fail "state files do not parse"
import json, sys
snap = json.load(open(sys.argv[1]))
assert isinstance(snap["objects"], list) and "seq" in snap, "snapshot shape"
data = open(sys.argv[2], "rb").read()
lines = data.split(b"\n")
torn = lines.pop()  # after the last newline: empty, or a torn line
for i, l in enumerate(lines):
    rec = json.loads(l)
    assert rec["op"] in ("ADDED", "MODIFIED", "DELETED", "RESET", "LOADED"), i
print("# journal: %d lines, torn tail %d bytes; snapshot %d objects" %
      (len(lines), len(torn), len(snap["objects"])))
EOF

# Restart on the same dir.
start
api GET "$sas" | sed '$d' >"$tmp/list.after"
missing=0
for name in $(grep ' 201$' "$tmp/acks" | cut -d' ' -f1); do
	grep -q "\"name\": *\"$name\"" "$tmp/list.after" || {
		missing=$((missing + 1))
		fail "acknowledged $name is missing after the restart"
	}
done
echo "# after restart: $missing of $acked acknowledged objects missing"
api GET "$sas/before" | sed '$d' >"$tmp/before.after"
cmp -s "$tmp/before.get" "$tmp/before.after" ||
	fail "before changed: $(cat "$tmp/before.get") -> $(cat "$tmp/before.after")"
[ "$(sha256sum "$state/sa.key" | cut -d' ' -f1)" = "$keysum" ] ||
	fail "sa.key changed"
# Every ServiceAccount that existed before keeps its uid.
"$py" - "$tmp/list.before" "$tmp/list.after" <<'EOF' || fail "ServiceAccount uids changed"
import json, sys
def uids(p):
    return {i["metadata"]["name"]: i["metadata"]["uid"]
            for i in json.load(open(p))["items"]}
b, a = uids(sys.argv[1]), uids(sys.argv[2])
for n, u in b.items():
    assert a.get(n) == u, n
EOF
# The token issued before the kill still validates (TokenReview) and
# authenticates a request.
review=$(printf '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"%s"}}' "$satoken")
api POST /apis/authentication.k8s.io/v1/tokenreviews "$review" >"$tmp/rev.json"
sed '$d' "$tmp/rev.json" | "$py" -c '
import json, sys
st = json.load(sys.stdin)["status"]
assert st.get("authenticated") is True, st
assert st["user"]["username"] == "system:serviceaccount:default:before", st
' || fail "TokenReview after restart: $(cat "$tmp/rev.json")"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$state/ca.crt" \
	-H "Authorization: Bearer $satoken" "$base/api")
[ "$code" != 401 ] || fail "the pre-kill token is 401 after the restart"

# Writes still work and a clean stop leaves an empty journal.
api POST "$sas" '{"metadata":{"name":"after-restart"}}' | tail -n 1 |
	grep -q '^201$' || fail "create after restart"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
[ "$rc" = 0 ] || fail "exit after SIGTERM: $rc"
[ ! -s "$state/store.journal" ] || fail "journal not compacted on clean stop"
grep -q '"name":"after-restart"' "$state/store.json" ||
	fail "store.json lacks the last create"
# --fresh ignores the saved store.
start
api GET "$sas/after-restart" | tail -n 1 | grep -q '^200$' ||
	fail "saved store not restored on a second restart"
kill -TERM "$pid"; wait "$pid"; pid=""
rm -f "$tmp/port"
"$mockapi" --listen 127.0.0.1:0 --port-file "$tmp/port" --state-dir "$state" \
	--fresh >"$tmp/out" 2>>"$tmp/err" &
pid=$!
i=0
while [ ! -s "$tmp/port" ] && [ "$i" -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
port=$(cat "$tmp/port"); base=https://127.0.0.1:$port
api GET "$sas/after-restart" | tail -n 1 | grep -q '^404$' ||
	fail "--fresh still has the saved objects"
kill -TERM "$pid"; wait "$pid"; pid=""

if [ "$fails" -gt 0 ]; then
	echo "stderr of mockapi:"; cat "$tmp/err"
	exit 1
fi
echo "crash safety: ok"
exit 0
