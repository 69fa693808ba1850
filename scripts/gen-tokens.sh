#!/bin/sh
# SPDX-License-Identifier: MIT
# Writes the golden and broken tokens in fixtures/tokens/ from the test keys
# in fixtures/keys/, with the openssl CLI and base64/tr/sed/od only — never
# with mockapi's own signer, so a signer bug and a verifier bug cannot agree
# (STYLE.md 3.8). RS256 output is deterministic (PKCS#1 v1.5); ES256 is not
# (ECDSA nonces), so rerunning changes the ES256 files: commit the result.
#
# Usage: scripts/gen-tokens.sh [OUTDIR]     (default: fixtures/tokens)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
keys="$top/fixtures/keys"
out=${1:-"$top/fixtures/tokens"}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# base64url without padding, of stdin.
b64url() {
	base64 | tr -d '\n=' | tr '+/' '-_'
}

# Standard base64 with padding (for the "bad base64" token).
b64std() {
	base64 | tr -d '\n'
}

# kid: base64url(SHA-256(DER SubjectPublicKeyInfo)), as Kubernetes computes it.
kid_of() {
	openssl pkey -pubin -in "$1" -outform DER |
		openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=\n'
}

# Hex string (even length) on $1 to binary on stdout, POSIX sh only.
hex2bin() {
	h=$1
	while [ -n "$h" ]; do
		pair=${h%"${h#??}"}
		h=${h#??}
		# shellcheck disable=SC2059
		printf "\\$(printf %03o "$((0x$pair))")"
	done
}

# Left-pads hex $1 with zeros to $2 characters.
pad_hex() {
	h=$1
	while [ "${#h}" -lt "$2" ]; do
		h="0$h"
	done
	printf '%s' "$h"
}

# sign_rs256 KEY INPUT -> base64url signature
sign_rs256() {
	printf '%s' "$2" | openssl dgst -sha256 -sign "$1" -binary | b64url
}

# sign_es256_der KEY INPUT FILE: DER ECDSA-Sig-Value into FILE
sign_es256_der() {
	printf '%s' "$2" | openssl dgst -sha256 -sign "$1" -binary >"$3"
}

# es256_raw DERFILE -> base64url of R‖S (each left-padded to 32 bytes)
es256_raw() {
	ints=$(openssl asn1parse -inform DER -in "$1" |
		sed -n 's/.*prim: *INTEGER *:\([0-9A-Fa-f]*\).*/\1/p')
	r=$(pad_hex "$(echo "$ints" | sed -n 1p)" 64)
	s=$(pad_hex "$(echo "$ints" | sed -n 2p)" 64)
	[ "${#r}" -eq 64 ] && [ "${#s}" -eq 64 ] || {
		echo "gen-tokens: bad ECDSA signature" >&2; exit 1; }
	hex2bin "$r$s" | b64url
}

enc() {
	printf '%s' "$1" | b64url
}

write() {
	printf '%s' "$2" >"$out/$1"
}

rsa_priv="$keys/rsa-2048.pkcs8.pem"
rsa_pub="$keys/rsa-2048.pub.pem"
rsa_b_priv="$keys/rsa-2048-b.pkcs8.pem"
ec_priv="$keys/ec-p256.pkcs8.pem"
ec_pub="$keys/ec-p256.pub.pem"
kid_rsa=$(kid_of "$rsa_pub")
kid_ec=$(kid_of "$ec_pub")

# Claims in the layout go-jose writes (reference §1.2): keys sorted at every
# level, compact. Tests run a fake clock at 1700001000 (between iat and exp).
claims() { # iat exp
	printf '{"aud":["https://kubernetes.default.svc.cluster.local"],'
	printf '"exp":%s,"iat":%s,' "$2" "$1"
	printf '"iss":"https://kubernetes.default.svc.cluster.local",'
	printf '"jti":"6a1bd4c4-4a50-4d33-9bb2-3d3d1c6b7f10",'
	printf '"kubernetes.io":{"namespace":"default",'
	printf '"node":{"name":"node-1","uid":"1f8c3e55-2b7a-4f0e-8d0c-5a9b7e2c4d11"},'
	printf '"pod":{"name":"app-7d9f8","uid":"0b6f2d8e-8b4a-4c1e-9f7d-3e2a1c5b6d22"},'
	printf '"serviceaccount":{"name":"app-sa","uid":"c3a9e1f4-5d6b-4e7a-8c9d-0f1e2a3b4c33"}},'
	printf '"nbf":%s,"sub":"system:serviceaccount:default:app-sa"}' "$1"
}
good=$(claims 1700000000 1700003600)
hdr_rs=$(enc "{\"alg\":\"RS256\",\"kid\":\"$kid_rsa\"}")
hdr_es=$(enc "{\"alg\":\"ES256\",\"kid\":\"$kid_ec\"}")
pl_good=$(enc "$good")

# Good tokens.
in="$hdr_rs.$pl_good"
sig_rs_good=$(sign_rs256 "$rsa_priv" "$in")
write rs256-good.jwt "$in.$sig_rs_good"

in="$hdr_es.$pl_good"
sign_es256_der "$ec_priv" "$in" "$tmp/es.der"
write es256-good.jwt "$in.$(es256_raw "$tmp/es.der")"

# ES256 with the DER signature openssl produced (not R‖S): must be refused.
sign_es256_der "$ec_priv" "$in" "$tmp/es2.der"
write es256-der-sig.jwt "$in.$(b64url <"$tmp/es2.der")"

# alg none, unsigned.
write alg-none.jwt "$(enc "{\"alg\":\"none\",\"kid\":\"$kid_rsa\"}").$pl_good."

# HS256 whose HMAC secret is the RSA public key PEM file (the classic
# key-confusion attack): a verifier that "verifies" it with the public key
# as a secret would accept it.
in="$(enc "{\"alg\":\"HS256\",\"kid\":\"$kid_rsa\"}").$pl_good"
hexkey=$(od -An -v -tx1 "$rsa_pub" | tr -d ' \n')
sig=$(printf '%s' "$in" |
	openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hexkey" -binary | b64url)
write hs256-pubkey.jwt "$in.$sig"

# Properly signed, but with a kid that names no key in fixtures/keys.
in="$(enc '{"alg":"RS256","kid":"no-such-key-0000000000000000000000000000000"}').$pl_good"
write unknown-kid.jwt "$in.$(sign_rs256 "$rsa_priv" "$in")"

# Payload changed after signing (sub of another ServiceAccount).
tampered=$(printf '%s' "$good" | sed 's/default:app-sa/default:admin/')
write tampered-payload.jwt "$hdr_rs.$(enc "$tampered").$sig_rs_good"

# Signature cut to 255 bytes (340 base64url characters: still canonical).
write truncated-sig.jwt "$hdr_rs.$pl_good.$(printf '%s' "$sig_rs_good" | cut -c1-340)"

# Signature in standard base64 with padding.
std=$(printf '%s' "$hdr_rs.$pl_good" |
	openssl dgst -sha256 -sign "$rsa_priv" -binary | b64std)
write bad-base64.jwt "$hdr_rs.$pl_good.$std"

write two-parts.jwt "$hdr_rs.$pl_good"
write four-parts.jwt "$hdr_rs.$pl_good.$sig_rs_good.$sig_rs_good"

# Expired and not yet valid at the tests' fake clock (1700001000).
in="$hdr_rs.$(enc "$(claims 1699990000 1699993600)")"
write expired.jwt "$in.$(sign_rs256 "$rsa_priv" "$in")"
in="$hdr_rs.$(enc "$(claims 1700010000 1700013600)")"
write not-yet-valid.jwt "$in.$(sign_rs256 "$rsa_priv" "$in")"

# A crit header naming an extension nobody implements.
in="$(enc "{\"alg\":\"RS256\",\"crit\":[\"x-mockapi\"],\"kid\":\"$kid_rsa\",\"x-mockapi\":1}").$pl_good"
write crit-header.jwt "$in.$(sign_rs256 "$rsa_priv" "$in")"

# Signed by rsa-2048-b while claiming rsa-2048's kid.
in="$hdr_rs.$pl_good"
write other-key.jwt "$in.$(sign_rs256 "$rsa_b_priv" "$in")"

echo "gen-tokens: wrote $(ls "$out"/*.jwt | wc -l | tr -d ' ') tokens to $out"
