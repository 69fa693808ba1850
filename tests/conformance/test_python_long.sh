#!/bin/sh
# SPDX-License-Identifier: MIT
# A long-running in-cluster Python program (tests/conformance/python_long.py,
# Debian's python3-kubernetes, unmodified) keeps working across kubelet
# rotations and past its first token's expiry, with zero failed calls.
#
# The timing, worked out (mock seconds = m, real seconds = r):
#   - the client re-reads the token file when 60 r have passed since its
#     last read (reference 8.4); nothing can make it sooner;
#   - the projected volume gets 60 m tokens (POST /mock/v1/volumes with
#     expirationSeconds 60, allowed by --token-min-ttl 1s; no one-year
#     extension: that is only for 3607 s); the kubelet emulation swaps in
#     a new token at 80 %, i.e. every 48 m;
#   - a token is accepted until exp + 60 m of leeway (reference 0.6);
#   - worst case, the client reads a token just before its 48 m rotation
#     point and keeps sending it for 60 r = 60 x RATE m: it must still be
#     accepted then: 48 + 60 x RATE < 60 + 60, so RATE < 1.2;
#   - RATE = 1.1 keeps 6 m (5.5 r) of margin: the clock IS sped up, and
#     rotations come every 48 / 1.1 = 43.6 r, the third at 131 r;
#   - the client sees a new token only once per 60 r, so >= 3 distinct
#     tokens need > 120 r anyway: the client runs 138 r (~152 m), listing
#     pods every 2 r (far more often than once per mock-minute): about 70
#     calls.
#   A faster clock would need longer tokens (window 0.2 L + 60 m must cover
#   60 x RATE m), and rotations would then come slower in real time, e.g.
#   600 s tokens at RATE 2.5 rotate every 192 r: 3 rotations take ~10 min.
# Asserted: the client's own count (every call ok, its pod names), and the
# server's side: the request journal (/mock/v1/requests) has exactly those
# calls for system:serviceaccount:default:default, all 200, with >= 3
# distinct jtis, each one issued for this volume (token events,
# /mock/v1/events), >= 3 rotatedByKubelet events for it, and calls made
# after the first token's exp.
# Usage: test_python_long.sh MOCKAPI
set -u
MOCKAPI=$1
RATE=1.1
SECONDS_REAL=${MOCKAPI_PYLONG_SECONDS:-138}
. "$(dirname "$0")/lib.sh"
conf_incluster_require
conf_init
conf_start --token-min-ttl 1s --clock-rate "$RATE"
SAUSER=system:serviceaccount:default:default
VOL=$TMPD/sa-long

conf_grant_view default default
code=$(curl -sS --max-time 10 --cacert "$STATE/ca.crt" \
	-H "Authorization: Bearer $TOKEN" -o "$TMPD/vol.json" -w '%{http_code}' \
	-d "{\"dir\":\"$VOL\",\"pod\":\"default/web-7d4b9c8f5-x2k8p\",\"expirationSeconds\":60}" \
	"$URL/mock/v1/volumes")
assert_eq "POST /mock/v1/volumes (60 s tokens): 201" 201 "$code"
if [ ! -s "$VOL/token" ]; then
	not_ok "volume written" "$(cat "$TMPD/vol.json")"
	conf_done
fi

incluster "$VOL" /usr/bin/python3 "$CONF_DIR/python_long.py" \
	"$SECONDS_REAL" 2
assert_rc "python_long.py: exit 0 (no failed call)" 0
summary=$(tail -n 1 "$OUT")
calls=$(echo "$summary" | sed -n 's/^calls \([0-9]*\) .*/\1/p')
assert_eq "python_long.py: zero failures, the pod of its namespace" \
	"calls $calls failed 0 pods web-7d4b9c8f5-x2k8p" "$summary"
assert_no_stderr "python_long.py: no stderr"

"$PY" "$CONF_DIR/journal.py" "$URL" "$STATE/ca.crt" "$STATE/admin-token" \
	requests >"$TMPD/requests.json" 2>&1
"$PY" "$CONF_DIR/journal.py" "$URL" "$STATE/ca.crt" "$STATE/admin-token" \
	events >"$TMPD/events.json" 2>&1
"$PY" - "$TMPD/requests.json" "$TMPD/events.json" "$SAUSER" "$VOL" \
	"${calls:-0}" >"$TMPD/check.out" 2>&1 <<'EOF'
import datetime, json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
evs = [json.loads(l) for l in open(sys.argv[2])]
user, vol, calls = sys.argv[3], sys.argv[4], int(sys.argv[5])
mine = [r for r in reqs if r["user"] == user and
        r["path"] == "/api/v1/namespaces/default/pods"]
issued = {e["jti"]: e for e in evs
          if e["type"] == "issued" and e.get("volume") == vol}
order = sorted(issued.values(), key=lambda e: e["iat"])
rot = [e for e in evs if e["type"] == "rotatedByKubelet" and
       e.get("volume") == vol]
jtis = []
for r in mine:
    if r["jti"] not in jtis:
        jtis.append(r["jti"])
def t(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
first_exp = order[0]["exp"] if order else 0
after = [r for r in mine if t(r["time"]) > first_exp]
print("calls in journal:", len(mine) == calls, len(mine))
print("all 200:", all(r["code"] == 200 for r in mine),
      sorted(set(r["code"] for r in mine)))
print("distinct tokens >= 3:", len(jtis) >= 3, len(jtis))
print("all from this volume:", all(j in issued for j in jtis))
print("rotations >= 3:", len(rot) >= 3, len(rot))
print("calls after first exp:", len(after) > 0, len(after))
print("first token 60 s:", bool(order) and order[0]["exp"] - order[0]["iat"] == 60)
EOF
while IFS= read -r line; do
	case $line in
	*": True "* | *": True") ok "server: ${line%%: *}: ${line#*: True}" ;;
	*) not_ok "server: ${line%%: *}" "$line" "$(head -c 2000 "$TMPD/check.out")" ;;
	esac
done <"$TMPD/check.out"
[ -s "$TMPD/check.out" ] || not_ok "server checks ran" "no output"
assert_eq "server: 7 checks" 7 "$(wc -l <"$TMPD/check.out")"

assert_host_sa_unchanged
conf_done
