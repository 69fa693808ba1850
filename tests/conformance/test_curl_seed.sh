#!/bin/sh
# SPDX-License-Identifier: MIT
# The seed's curl call: curl --cacert ca.crt -H "Authorization: Bearer
# $TOKEN" https://.../api/v1/namespaces/default/pods. The admin token gets
# the PodList; a bad token the exact 401 Status (reference §6, no
# WWW-Authenticate); no token the system:anonymous 403.
# Usage: test_curl_seed.sh MOCKAPI
set -u
MOCKAPI=$1
. "$(dirname "$0")/lib.sh"
conf_init
conf_start
pods=$URL/api/v1/namespaces/default/pods

# curl_to NAME [CURL-ARGS...]: body in $TMPD/NAME.b, headers in .h, code.
curl_to() {
	n=$1
	shift
	CODE=$(curl -sS --max-time 10 --cacert "$STATE/ca.crt" \
		-D "$TMPD/$n.h" -o "$TMPD/$n.b" -w '%{http_code}' "$@")
}

curl_to good -H "Authorization: Bearer $TOKEN" "$pods"
assert_eq "admin token: 200" 200 "$CODE"
got=$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["kind"], d["apiVersion"], type(d["metadata"]["resourceVersion"]).__name__,
      ",".join(i["metadata"]["name"] for i in d["items"]))
' "$TMPD/good.b" 2>&1)
assert_eq "admin token: PodList" "PodList v1 str web-7d4b9c8f5-x2k8p" "$got"
assert_match "admin token: JSON content type" \
	'^[Cc]ontent-[Tt]ype: application/json' "$TMPD/good.h"

curl_to bad -H "Authorization: Bearer not-a-token" "$pods"
assert_eq "bad token: 401" 401 "$CODE"
assert_eq "bad token: exact Status" \
	'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}' \
	"$(cat "$TMPD/bad.b")"
assert_no_match "bad token: no WWW-Authenticate" '^[Ww][Ww][Ww]-[Aa]uthenticate' \
	"$TMPD/bad.h"

# A bearer token that looks like a JWT but is not ours: still 401, never
# anonymous.
curl_to jwt -H "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln" "$pods"
assert_eq "foreign JWT: 401" 401 "$CODE"

curl_to anon "$pods"
assert_eq "no token: 403" 403 "$CODE"
got=$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["reason"], d["code"], d["details"], d["message"], sep="|")
' "$TMPD/anon.b" 2>&1)
assert_eq "no token: system:anonymous Forbidden" \
	"Forbidden|403|{'kind': 'pods'}|pods is forbidden: User \"system:anonymous\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"" \
	"$got"

curl_to anonv "$URL/version"
assert_eq "no token: /version is public" 200 "$CODE"

# 409 AlreadyExists names the object in details (the name is in the body).
curl_to exists -H "Authorization: Bearer $TOKEN" \
	-H 'Content-Type: application/json' \
	-d '{"metadata":{"name":"default"}}' \
	"$URL/api/v1/namespaces/default/serviceaccounts"
assert_eq "create default SA: 409" 409 "$CODE"
assert_eq "create default SA: exact AlreadyExists Status" \
	'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"serviceaccounts \"default\" already exists","reason":"AlreadyExists","details":{"name":"default","kind":"serviceaccounts"},"code":409}' \
	"$(cat "$TMPD/exists.b")"

conf_done
