#!/bin/sh
# SPDX-License-Identifier: MIT
# Independent verification of mockapi's tokens by python3-jwt
# (verify_token.py) using only OIDC discovery: anonymous
# /.well-known/openid-configuration -> jwks_uri -> JWKS -> kid; iss, aud
# and exp checked by PyJWT (against real time, so the mock clock runs at
# real time here). For RS256 and ES256 signing keys: a kubectl create token
# with --audience; the kubelet's projected token (API audience); a wrong
# audience, an expired token (issued with the mock clock set 2 h back) and
# a token signed by a key dropped from the JWKS are rejected.
# Usage: test_token_verify.sh MOCKAPI
set -u
MOCKAPI=$1
. "$(dirname "$0")/lib.sh"
conf_init
ISS=https://kubernetes.default.svc.cluster.local

verify() {
	printf %s "$2" | "$PY" "$CONF_DIR/verify_token.py" "$URL" \
		"$STATE/ca.crt" "$1" >"$TMPD/v.out" 2>&1
	RC=$?
	VOUT=$(cat "$TMPD/v.out")
}

for alg in RS256 ES256; do
	STATE=$TMPD/state-$alg
	conf_start --signing-alg "$alg"
	kc create token default -n default --duration 1h --audience vault
	tok=$(cat "$OUT")
	kid=$("$PY" -c 'import jwt,sys; print(jwt.get_unverified_header(sys.argv[1])["kid"])' "$tok")
	verify vault "$tok"
	assert_eq "$alg: create token --audience vault: valid via discovery" \
		"valid sub=system:serviceaccount:default:default aud=vault kid=$kid alg=$alg jwks_uri=$URL/openid/v1/jwks" \
		"$VOUT"
	verify "$ISS" "$(cat "$STATE/serviceaccount/token")"
	case $VOUT in
	"valid sub=system:serviceaccount:default:default aud=$ISS "*)
		ok "$alg: the kubelet's projected token: valid" ;;
	*) not_ok "$alg: the kubelet's projected token: valid" "$VOUT" ;;
	esac
	verify other "$tok"
	assert_eq "$alg: wrong audience: rejected" \
		"invalid InvalidAudienceError: Invalid audience" "$VOUT"

	# Issued "2 h ago" for 10 minutes: expired for PyJWT's clock.
	past=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)
	curl -sS --max-time 10 --cacert "$STATE/ca.crt" -X PUT \
		-H "Authorization: Bearer $TOKEN" -d "{\"now\":\"$past\"}" \
		"$URL/mock/v1/clock" >/dev/null
	kc create token default -n default --duration 10m --audience vault
	verify vault "$(cat "$OUT")"
	assert_eq "$alg: expired token: rejected" \
		"invalid ExpiredSignatureError: Signature has expired" "$VOUT"

	# The signing key rotated and the old one dropped from the JWKS.
	curl -sS --max-time 10 --cacert "$STATE/ca.crt" -X POST \
		-H "Authorization: Bearer $TOKEN" -d '{"drop_old":true}' \
		"$URL/mock/v1/keys/rotate" >/dev/null
	verify vault "$tok"
	assert_eq "$alg: key dropped from the JWKS: rejected" \
		"invalid KeyNotFound: the token's kid is not in the JWKS" "$VOUT"
	conf_stop
done
conf_done
