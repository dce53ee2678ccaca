#!/usr/bin/env bash
# Fixtures for the pkcs12 unit tests and doc example (regenerate with: bash gen.sh).
set -euo pipefail
cd "$(dirname "$0")"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 36500 \
    -subj "/CN=PKCS12 Test CA" -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out alice.key
openssl req -new -key alice.key -subj "/CN=Alice/emailAddress=alice@example.com" -out alice.csr
printf 'subjectAltName=email:alice@example.com\nextendedKeyUsage=emailProtection\n' > ext.cnf
openssl x509 -req -in alice.csr -CA ca.pem -CAkey ca.key -days 36500 -extfile ext.cnf -out alice.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out bob.key
openssl req -new -key bob.key -subj "/CN=Bob" -out bob.csr
openssl x509 -req -in bob.csr -CA ca.pem -CAkey ca.key -days 36500 -out bob.pem 2>/dev/null
# PKCS#12 files as OpenSSL writes them (password "test" unless said otherwise).
p12() { openssl pkcs12 -export -in alice.pem -inkey alice.key -certfile ca.pem -name "Alice" "$@"; }
p12 -passout pass:test -out openssl-default.p12
p12 -passout pass:test -legacy -out openssl-legacy.p12
p12 -passout pass:test -nomac -out openssl-nomac.p12
p12 -passout pass: -out openssl-empty-password.p12
rm -f alice.csr bob.csr ext.cnf ca.srl
