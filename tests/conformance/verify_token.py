#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Verifies a ServiceAccount token independently of mockapi's code, with
python3-jwt (PyJWT) and only what a relying party (Vault, an OIDC
federation) has: the API server URL and its CA. Anonymous GET
URL/.well-known/openid-configuration -> its jwks_uri -> the JWKS -> the key
named by the token's kid -> jwt.decode checking the signature, iss (the
discovery document's issuer), aud and exp/iat.

Usage: verify_token.py URL CA-FILE AUDIENCE < token
Prints "valid sub=<sub> aud=<aud> kid=<kid> alg=<alg> jwks_uri=<uri>" and
exits 0, or "invalid <ExceptionName>: <message>" and exits 1.
"""
import json
import ssl
import sys
import urllib.request

import jwt


def get(url, ctx):
    with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
        return json.load(r)


def main(url, ca, audience):
    token = sys.stdin.read().strip()
    ctx = ssl.create_default_context(cafile=ca)
    disc = get(f"{url}/.well-known/openid-configuration", ctx)
    jwks = jwt.PyJWKSet.from_dict(get(disc["jwks_uri"], ctx))
    header = jwt.get_unverified_header(token)
    kid = header["kid"]
    keys = [k for k in jwks.keys if k.key_id == kid]
    if not keys:
        print("invalid KeyNotFound: the token's kid is not in the JWKS")
        return 1
    key = keys[0]
    try:
        claims = jwt.decode(
            token, key.key,
            algorithms=disc["id_token_signing_alg_values_supported"],
            audience=audience, issuer=disc["issuer"],
            options={"require": ["exp", "iat", "iss", "aud", "sub"]})
    except jwt.PyJWTError as e:
        print(f"invalid {type(e).__name__}: {e}")
        return 1
    print(f"valid sub={claims['sub']} aud={','.join(claims['aud'])} "
          f"kid={kid} alg={header['alg']} jwks_uri={disc['jwks_uri']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
