#!/bin/sh
# Regenerates the fixed store test certificates and keys (EC P-256, fixed validity dates) with the
# openssl CLI (`openssl ca` is used because it accepts explicit start and end dates).
set -eu
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
touch "$work/index.txt"
cat > "$work/ca.cnf" <<CNF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
organizationName = optional
emailAddress = optional
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_alice ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyAgreement
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = email:alice@Example.COM, email:Alice.Smith@MAIL.example.net
[ v3_bob ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyAgreement
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = email:bob@example.org
[ v3_carol ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyAgreement
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = email:carol@example.org
CNF
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }
csr() { openssl req -new -key "$1.key" -subj "$2" -config "$work/ca.cnf" -out "$work/$1.csr"; }
key ca
csr ca "/O=Hermes Test/CN=Hermes Store Test CA"
printf '1001' > "$work/serial"
openssl ca -batch -config "$work/ca.cnf" -notext -selfsign -keyfile ca.key -in "$work/ca.csr" \
  -out ca.pem -extensions v3_ca -startdate 20200101000000Z -enddate 20400101000000Z \
  -preserveDN -policy anything
printf '1002' > "$work/serial"
openssl ca -batch -config "$work/ca.cnf" -notext -selfsign -keyfile ca.key -in "$work/ca.csr" \
  -out ca-renewed.pem -extensions v3_ca -startdate 20240101000000Z -enddate 20490101000000Z \
  -preserveDN -policy anything
issue() { # name subject ext start end serial
  printf '%s' "$6" > "$work/serial"
  openssl ca -batch -config "$work/ca.cnf" -notext -cert ca.pem -keyfile ca.key \
    -in "$work/$1.csr" -out "$1.pem" -extensions "$3" -startdate "$4" -enddate "$5" \
    -preserveDN -policy anything
}
for n in alice alice-expired bob carol; do key "$n"; done
csr alice "/O=Example/CN=Alice Example/emailAddress=alice@example.COM"
csr alice-expired "/O=Example/CN=Alice Example/emailAddress=alice@example.COM"
csr bob "/O=Example/CN=Bob Example"
csr carol "/O=Example/CN=Carol Example"
issue alice "" v3_alice 20240101000000Z 20340101000000Z 2001
issue alice-expired "" v3_alice 20150101000000Z 20200101000000Z 2002
issue bob "" v3_bob 20240101000000Z 20340101000000Z 2003
issue carol "" v3_carol 20240101000000Z 20340101000000Z 2004
# PKCS#8 PEM for every key
for n in ca alice alice-expired bob carol; do
  openssl pkcs8 -topk8 -nocrypt -in "$n.key" -out "$n.key.tmp" && mv "$n.key.tmp" "$n.key"
done
for n in ca ca-renewed alice alice-expired bob carol; do
  openssl x509 -in "$n.pem" -out "$n.pem"
done
