#!/bin/sh
# SPDX-License-Identifier: MIT
# Process test for the saclient binary: --help, `token inspect` on the
# golden tokens (fixed clock via --now), on garbage and on missing input,
# JWKS verification from a file, and the documented exit codes for usage,
# configuration, network and token errors. No server is needed.
# Usage: saclient_cli.sh SACLIENT   (MOCKAPI_FIXTURES must be set)
set -u
sac=$1
fx=${MOCKAPI_FIXTURES:?MOCKAPI_FIXTURES is not set}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0
now=1700001000 # fixtures/tokens/README.md

# run EXPECTED-RC CMD...: runs CMD, keeps stdout/stderr in $out/$err.
run() {
	want=$1
	shift
	n=$((n + 1))
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
	if [ "$rc" != "$want" ]; then
		echo "not ok $n - exit $rc, wanted $want: $*"
		sed 's/^/#   stderr: /' "$tmp/err"
		fails=$((fails + 1))
		return 1
	fi
	echo "ok $n - exit $rc: $*"
}

# has TEXT WHERE PATTERN: fixed-string match in $out or $err.
has() {
	case $2 in out) hay=$out ;; *) hay=$err ;; esac
	n=$((n + 1))
	if printf '%s\n' "$hay" | grep -qF -- "$3"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1: $2 lacks '$3'"
		printf '%s\n' "$hay" | sed 's/^/#   /'
		fails=$((fails + 1))
	fi
}

lacks() {
	case $2 in out) hay=$out ;; *) hay=$err ;; esac
	n=$((n + 1))
	if printf '%s\n' "$hay" | grep -qF -- "$3"; then
		echo "not ok $n - $1: $2 contains '$3'"
		fails=$((fails + 1))
	else
		echo "ok $n - $1"
	fi
}

one_line() {
	n=$((n + 1))
	lines=$(printf '%s\n' "$err" | grep -c .)
	if [ "$lines" = 1 ]; then
		echo "ok $n - $1: one line on stderr"
	else
		echo "not ok $n - $1: $lines lines on stderr"
		fails=$((fails + 1))
	fi
}

run 0 "$sac" --help
has "help lists exit codes" out "Exit codes:"
has "help documents exit 6" out "  6 token error"
has "help lists token inspect" out "token inspect [TOKEN|-]"
has "help lists watch" out "watch"

good="$fx/tokens/rs256-good.jwt"
run 0 "$sac" token inspect --file "$good" --now "$now"
has "issued time is human" out "(issued 16m ago)"
has "expiry is human" out "(expires in 43m)"
has "bound pod" out "bound pod       app-7d9f8"
has "bound node" out "bound node      node-1"
has "jti" out "jti             6a1bd4c4-4a50-4d33-9bb2-3d3d1c6b7f10"
has "says it did not verify" out "Signature: NOT verified"
sig=$(cut -d. -f3 <"$good")
lacks "never prints the signature" out "$sig"

run 0 "$sac" token inspect - --now 2023-11-14T22:30:00Z <"$fx/tokens/es256-good.jwt"
has "ES256 header from stdin" out "alg             ES256"

run 0 "$sac" token inspect "$(cat "$good")" -o json --now "$now"
has "json output has claims" out '"sub":'

run 6 "$sac" token inspect --file "$fx/tokens/expired.jwt" --now "$now"
has "expired is flagged" out "Status: EXPIRED 123m ago"
has "expired on stderr" err "error: the token expired 123m ago"
one_line "expired"

printf 'garbage\n' >"$tmp/garbage"
run 6 "$sac" token inspect --file "$tmp/garbage"
has "garbage is not a JWT" err "error: not a JWT: expected 3 dot-separated parts, found 1"
one_line "garbage"
run 6 "$sac" token inspect "$(cat "$fx/tokens/two-parts.jwt")"
has "two parts" err "found 2"
: >"$tmp/empty"
run 6 "$sac" token inspect --file "$tmp/empty"
has "empty file" err "is empty"
run 6 "$sac" token inspect --file "$tmp/missing"
has "missing file" err "cannot read token file $tmp/missing"

# JWKS from the fixture public keys (python3-cryptography, a test dep).
/usr/bin/python3 - "$fx/keys" >"$tmp/jwks.json" <<'PY'
import base64, hashlib, json, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

keys = []
for name in ("rsa-2048.pub.pem", "ec-p256.pub.pem"):
    pub = serialization.load_pem_public_key(open(sys.argv[1] + "/" + name, "rb").read())
    der = pub.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    kid = b64(hashlib.sha256(der).digest())
    if isinstance(pub, rsa.RSAPublicKey):
        nums = pub.public_numbers()
        n = nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")
        keys.append({"use": "sig", "kty": "RSA", "kid": kid, "alg": "RS256",
                     "n": b64(n), "e": b64(nums.e.to_bytes(3, "big"))})
    else:
        nums = pub.public_numbers()
        keys.append({"use": "sig", "kty": "EC", "kid": kid, "crv": "P-256",
                     "alg": "ES256", "x": b64(nums.x.to_bytes(32, "big")),
                     "y": b64(nums.y.to_bytes(32, "big"))})
print(json.dumps({"keys": keys}))
PY
run 0 "$sac" token inspect --file "$good" --jwks-file "$tmp/jwks.json" --now "$now"
has "RS256 verified" out "Signature: verified against $tmp/jwks.json"
run 0 "$sac" token inspect --file "$fx/tokens/es256-good.jwt" --jwks-file "$tmp/jwks.json" --now "$now"
has "ES256 verified" out "Signature: verified"
run 6 "$sac" token inspect --file "$fx/tokens/tampered-payload.jwt" --jwks-file "$tmp/jwks.json" --now "$now"
has "tampered rejected" err "error: the signature does not verify (RS256)"

# Documented exit codes for bad input.
run 2 "$sac" pods --bogus
has "unknown flag" err "error: unknown flag: --bogus"
run 2 "$sac"
run 2 "$sac" token create sa --duration 1500ms
printf 'apiVersion: v1\nclusters:\n- name: x\n  cluster: [\n' >"$tmp/bad.kc"
run 3 "$sac" --kubeconfig "$tmp/bad.kc" pods
has "kubeconfig file and line" err "$tmp/bad.kc:5:"
one_line "bad kubeconfig"
printf 'apiVersion: v1\ncurrent-context: a\ncontexts: []\n' >"$tmp/ctx.kc"
run 3 "$sac" --kubeconfig "$tmp/ctx.kc" --context nope pods
has "unknown context" err 'context "nope" does not exist'
run 4 "$sac" -s https://127.0.0.1:1 --token abc --max-retries 0 whoami
has "unreachable" err "cannot reach https://127.0.0.1:1"
one_line "unreachable"
run 6 "$sac" -s https://127.0.0.1:1 --token-file "$tmp/missing" whoami
has "missing token file" err "cannot read token file"
run 6 "$sac" -s https://127.0.0.1:1 --token-file "$tmp/empty" whoami
has "empty token file" err "is empty"
run 3 "$sac" -s https://127.0.0.1:1 --token abc --strategy reread whoami
has "reread needs a file" err "--strategy reread needs a token file"

echo "1..$n"
[ "$fails" = 0 ]
