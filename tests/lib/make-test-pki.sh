#!/bin/sh
# SPDX-License-Identifier: MIT
# Makes a throwaway test CA and a serving certificate with the openssl CLI
# (not our code, so a bug in auth/pki cannot hide behind it), P-256 like the
# real server's default, in DIR: ca.crt, ca.key, tls.crt, tls.key.
# SANs: IP 127.0.0.1, IP ::1, DNS localhost. Valid for 2 days.
# Usage: make-test-pki.sh DIR
set -eu
dir=$1
umask 077
mkdir -p "$dir"
cd "$dir"
openssl ecparam -name prime256v1 -genkey -noout -out ca.ec 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in ca.ec -out ca.key
openssl req -x509 -new -key ca.key -sha256 -days 2 -subj "/CN=mockapi-test-ca" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out tls.ec 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in tls.ec -out tls.key
openssl req -new -key tls.key -subj "/CN=mockapi" -out tls.csr 2>/dev/null
printf '%s\n' "basicConstraints=CA:FALSE" \
	"keyUsage=critical,digitalSignature" \
	"extendedKeyUsage=serverAuth" \
	"subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost" >tls.ext
openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
	-days 2 -sha256 -extfile tls.ext -out tls.crt 2>/dev/null
rm -f ca.ec tls.ec tls.csr tls.ext ca.srl
