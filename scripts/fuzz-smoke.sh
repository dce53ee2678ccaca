#!/usr/bin/env bash
# Short smoke run of every fuzz target (cargo-fuzz / libFuzzer on the stable toolchain).
#
# Each target starts from a small seed corpus made here with the openssl CLI and runs for
# FUZZ_SECONDS (default 10). libFuzzer fails the run on a panic, on one input taking longer
# than 10 s, on RSS over 2 GiB, or on a single allocation over 512 MiB ("allocate without bound").
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-10}
export RUSTC_BOOTSTRAP=1

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
# The crl_import target trusts a fixed CA; its certificate and (test) key live in the target.
sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p;/END CERTIFICATE/q' fuzz/fuzz_targets/crl_import.rs \
    > "$seeds/crlca.pem"
sed -n '/BEGIN PRIVATE KEY/,/END PRIVATE KEY/p' fuzz/fuzz_targets/crl_import.rs > "$seeds/crlca.key"
(
    cd "$seeds"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.pem -days 30 \
        -subj "/CN=Seed RSA/emailAddress=seed@example.com" \
        -addext "subjectAltName=email:seed@example.com,email:x@bücher.example" \
        -addext "keyUsage=critical,digitalSignature,keyEncipherment" \
        -addext "extendedKeyUsage=emailProtection" \
        -addext "crlDistributionPoints=URI:http://crl.example.com/ca.crl" 2>/dev/null
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key \
        -out ec.pem -days 30 -subj "/CN=Seed EC" 2>/dev/null
    openssl genpkey -algorithm ed25519 -out ed.key 2>/dev/null
    openssl x509 -in rsa.pem -outform DER -out rsa.der
    openssl x509 -in ec.pem -outform DER -out ec.der
    openssl crl2pkcs7 -nocrl -certfile rsa.pem -certfile ec.pem -outform DER -out bundle.p7b
    openssl crl2pkcs7 -nocrl -certfile rsa.pem -out bundle.p7b.pem
    cat rsa.pem ec.key ec.pem > mixed.pem
    for k in rsa ec ed; do openssl pkcs8 -topk8 -nocrypt -in $k.key -outform DER -out $k.p8; done
    openssl rsa -in rsa.key -traditional -out rsa.pkcs1.pem 2>/dev/null
    openssl pkcs8 -topk8 -in ec.key -v2 aes-256-cbc -iter 1000 -passout pass:password \
        -outform DER -out ec.enc.p8
    openssl pkcs8 -topk8 -in ed.key -scrypt -scrypt_N 1024 -scrypt_r 8 -scrypt_p 1 \
        -passout pass:password -outform DER -out ed.scrypt.p8
    # PKCS#12 with the fuzz target's password and an iteration count within its limits.
    openssl pkcs12 -export -in ec.pem -inkey ec.key -certfile rsa.pem -name seed -iter 1000 \
        -passout pass:password -out default.p12
    openssl pkcs12 -export -in ec.pem -inkey ec.key -legacy -iter 1000 \
        -passout pass:password -out legacy.p12
    openssl pkcs12 -export -in rsa.pem -inkey rsa.key -nomac -iter 1000 \
        -passout pass:password -out nomac.p12
    openssl pkcs12 -export -in ec.pem -inkey ec.key -keypbe NONE -certpbe NONE -iter 1000 \
        -passout pass: -out plain.p12
    # CA import: two bytes (big-endian) giving the length of the certificate part, then the key.
    for pair in "ec.pem ec.key" "rsa.der rsa.pkcs1.pem" "rsa.pem ec.key"; do
        set -- $pair
        python3 -c 'import sys; c = open(sys.argv[1], "rb").read(); k = open(sys.argv[2], "rb").read(); sys.stdout.buffer.write(len(c).to_bytes(2, "big") + c + k)' \
            "$1" "$2" > "ca-${1%.*}-${2%.*}.bin"
    done
    # Chain building: length-prefixed DER certificates (anchor, end certificate, intermediates).
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key \
        -out root.pem -days 30 -subj "/CN=Seed Root" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout sub.key -out sub.csr \
        -subj "/CN=Seed Sub" 2>/dev/null
    printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > ca.ext
    openssl x509 -req -in sub.csr -CA root.pem -CAkey root.key -days 30 -extfile ca.ext \
        -out sub.pem 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ee.key -out ee.csr \
        -subj "/CN=Seed EE" 2>/dev/null
    printf 'subjectAltName=email:ee@example.com\nkeyUsage=critical,digitalSignature,keyAgreement\nextendedKeyUsage=emailProtection\nauthorityKeyIdentifier=keyid\n' > ee.ext
    openssl x509 -req -in ee.csr -CA sub.pem -CAkey sub.key -days 30 -extfile ee.ext \
        -out ee.pem 2>/dev/null
    for c in root sub ee; do openssl x509 -in $c.pem -outform DER -out $c.der; done
    python3 -c 'import sys
out = b""
for f in sys.argv[1:]:
    d = open(f, "rb").read()
    out += len(d).to_bytes(2, "big") + d
sys.stdout.buffer.write(out)' root.der ee.der sub.der > chain.bin
    # BER as streaming CMS writers emit it (indefinite lengths, segmented OCTET STRINGs).
    openssl cms -sign -in mixed.pem -signer rsa.pem -inkey rsa.key -outform DER -stream \
        -nodetach -binary -out signed-stream.cms
    openssl cms -encrypt -in mixed.pem -recip ec.pem -aes256 -outform DER -stream -binary \
        -out enveloped-stream.cms
    # CRLs of the crl_import target's CA (openssl ca -gencrl): a full CRL (serial 1001
    # keyCompromise, 1002, a 16-byte serial on certificateHold), an empty one, one scoped to
    # user certificates at a distribution point, and the full CRL followed by a delta CRL
    # (removeFromCRL for the held serial); DER and PEM.
    mkdir crlca && (
        cd crlca
        cat > ca.cnf <<'EOF'
[ca]
default_ca = fuzz
[fuzz]
database = index.txt
crlnumber = crlnumber
certificate = ../crlca.pem
private_key = ../crlca.key
default_md = sha256
default_crl_days = 30
crl_extensions = full
[full]
authorityKeyIdentifier = keyid:always
[scoped]
authorityKeyIdentifier = keyid:always
issuingDistributionPoint = critical, @idp
[idp]
fullname = URI:http://crl.example.com/users.crl
onlyuser = TRUE
[delta]
authorityKeyIdentifier = keyid:always
# deltaCRLIndicator: based on CRL number 5 (crl.pem)
2.5.29.27 = critical, DER:02:01:05
EOF
        echo 05 > crlnumber
        ee='R\t491231235959Z\t260101000000Z,keyCompromise\t1001\tunknown\t/CN=Fuzz EE\n'
        held='0123456789ABCDEF0123456789ABCDEF\tunknown\t/CN=Fuzz Held\n'
        printf "$ee"'R\t491231235959Z\t260102000000Z\t1002\tunknown\t/CN=Other\n' > index.txt
        printf 'R\t491231235959Z\t260103000000Z,certificateHold\t'"$held" >> index.txt
        openssl ca -config ca.cnf -gencrl -out ../crl.pem 2>/dev/null
        : > index.txt
        openssl ca -config ca.cnf -gencrl -out ../crl-empty.pem 2>/dev/null
        printf "$ee" > index.txt
        openssl ca -config ca.cnf -gencrl -crlexts scoped -out ../crl-scoped.pem 2>/dev/null
        printf 'R\t491231235959Z\t260105000000Z,removeFromCRL\t'"$held" > index.txt
        openssl ca -config ca.cnf -gencrl -crlexts delta -out ../crl-delta.pem 2>/dev/null
    )
    for c in crl crl-empty crl-scoped crl-delta; do
        openssl crl -in $c.pem -outform DER -out $c.der
    done
    cat crl.der crl-delta.der > crl-full-delta.der
    cat crl.pem crl-delta.pem > crl-full-delta.pem
)

seed() { # seed TARGET FILE...
    local dir="fuzz/corpus/$1"; shift
    mkdir -p "$dir"
    for f in "$@"; do cp "$seeds/$f" "$dir/"; done
}
seed pem_bundle rsa.pem ec.pem mixed.pem bundle.p7b.pem
seed der_certificate rsa.der ec.der
seed pkcs7 bundle.p7b
seed load_auto rsa.pem rsa.der bundle.p7b bundle.p7b.pem mixed.pem
seed pkcs8 rsa.p8 ec.p8 ed.p8 rsa.key ec.key rsa.pkcs1.pem
seed encrypted_pkcs8 ec.enc.p8 ed.scrypt.p8
seed pkcs12 default.p12 legacy.p12 nomac.p12 plain.p12
seed ca_import ca-ec-ec.bin ca-rsa-rsa.pkcs1.bin ca-rsa-ec.bin
seed chain_build chain.bin
cp hermes-pki/src/ber_testdata/signed-stream.der "$seeds/fixture-signed-stream.der"
seed ber fixture-signed-stream.der signed-stream.cms enveloped-stream.cms rsa.der bundle.p7b \
    default.p12
seed crl_import crl.der crl.pem crl-empty.der crl-scoped.pem crl-full-delta.der crl-full-delta.pem
# cms_verify: SignedData as `openssl cms -sign` writes it: detached (EC), opaque (RSA), opaque
# without certificates and signed attributes, SHA-1, RSA-PSS, and streamed BER.
(
    cd "$seeds"
    printf 'Content-Type: text/plain\r\n\r\nseed\r\n' > content.txt
    sign() { openssl cms -sign -binary -in content.txt -outform DER "$@"; }
    sign -signer ec.pem -inkey ec.key -out signed-detached.cms
    sign -signer rsa.pem -inkey rsa.key -nodetach -out signed-opaque.cms
    sign -signer ec.pem -inkey ec.key -nodetach -nocerts -noattr -out signed-bare.cms
    sign -signer rsa.pem -inkey rsa.key -md sha1 -out signed-sha1.cms
    sign -signer rsa.pem -inkey rsa.key -keyopt rsa_padding_mode:pss -out signed-pss.cms
    sign -signer ec.pem -inkey ec.key -nodetach -stream -out signed-ec-stream.cms
)
seed cms_verify signed-detached.cms signed-opaque.cms signed-bare.cms signed-sha1.cms \
    signed-pss.cms signed-ec-stream.cms signed-stream.cms

# cms_decrypt: EnvelopedData / AuthEnvelopedData as `openssl cms -encrypt` writes it, to
# certificates for the two fixed keys in the target's source (RSA with serial 1, P-256 with
# serial 2: the serial tells the target which key answers): AES-CBC and AES-GCM, PKCS#1 v1.5
# and OAEP, ECDH with OpenSSL's default and SHA-256 KDFs, two recipients, 3DES, subject key
# identifier, and streamed BER.
(
    root=$PWD
    cd "$seeds"
    pem_block() { awk -v n="$1" '/-----BEGIN PRIVATE KEY-----/ { i++ } i == n { print } /-----END PRIVATE KEY-----/ && i == n { exit }' \
        "$root/fuzz/fuzz_targets/cms_decrypt.rs"; }
    pem_block 1 > cms-rsa.key
    pem_block 2 > cms-ec.key
    openssl req -x509 -new -key cms-rsa.key -set_serial 1 -subj "/CN=Fuzz RSA" -days 30 \
        -out cms-rsa.pem 2>/dev/null
    openssl req -x509 -new -key cms-ec.key -set_serial 2 -subj "/CN=Fuzz EC" -days 30 \
        -out cms-ec.pem 2>/dev/null
    printf 'Content-Type: text/plain\r\n\r\nfuzz seed\r\n' > cms-plain.txt
    enc() { out=$1; shift; openssl cms -encrypt -binary -in cms-plain.txt -outform DER -out "$out" "$@"; }
    enc env-rsa-cbc.cms -aes-256-cbc -recip cms-rsa.pem
    enc env-rsa-oaep-gcm.cms -aes-128-gcm -recip cms-rsa.pem -keyopt rsa_padding_mode:oaep \
        -keyopt rsa_oaep_md:sha256
    enc env-ec-gcm.cms -aes-256-gcm -recip cms-ec.pem
    enc env-ec-sha256kdf.cms -aes-128-cbc -recip cms-ec.pem -keyopt ecdh_kdf_md:sha256
    enc env-two.cms -aes-256-cbc -recip cms-rsa.pem -recip cms-ec.pem
    enc env-des3.cms -des3 -recip cms-rsa.pem
    enc env-keyid.cms -keyid -aes-256-cbc -recip cms-ec.pem
    enc env-stream.cms -stream -aes-256-gcm -recip cms-ec.pem
)
seed cms_decrypt env-rsa-cbc.cms env-rsa-oaep-gcm.cms env-ec-gcm.cms env-ec-sha256kdf.cms \
    env-two.cms env-des3.cms env-keyid.cms env-stream.cms enveloped-stream.cms

# The MIME layer and the gateway (issue 20): real S/MIME mail (a few PKITS messages, signed
# opaque and detached) and messages signed and encrypted by `openssl smime`; the PEM key
# scanner: the keys above. The kept corpus of scripts/fuzz-long.sh (fuzz/seeds/TARGET), when
# present, is added.
(
    root=$PWD
    cd "$seeds"
    for m in SignedValidkeyUsageNotCriticalTest3 SignedInvalidDNSnameConstraintsTest38 \
        SignedValidDSASignaturesTest4; do
        cp "$root/tests/data/pkits/smime/$m.eml" "pkits-$m.eml"
    done
    printf 'From: seed@example.com\r\nTo: x@example.com\r\nSubject: seed\r\nContent-Type: text/plain; charset=utf-8; format*0=flowed\r\n\r\nseed\r\n' > mail.txt
    openssl smime -sign -in mail.txt -signer rsa.pem -inkey rsa.key -out mail-detached.eml
    openssl smime -sign -nodetach -in mail.txt -signer ec.pem -inkey ec.key -out mail-opaque.eml
    openssl smime -encrypt -aes256 -in mail.txt -out mail-encrypted.eml rsa.pem
    openssl smime -encrypt -aes256 -in mail-detached.eml -out mail-signed-encrypted.eml rsa.pem
)
mail_seeds=(pkits-SignedValidkeyUsageNotCriticalTest3.eml pkits-SignedInvalidDNSnameConstraintsTest38.eml
    pkits-SignedValidDSASignaturesTest4.eml mail-detached.eml mail-opaque.eml mail-encrypted.eml
    mail-signed-encrypted.eml)
seed smime_verify_message "${mail_seeds[@]}"
seed smime_decrypt_message mail-encrypted.eml mail-signed-encrypted.eml
seed gateway_open "${mail_seeds[@]}"
seed pem_key rsa.key ec.key ed.key mixed.pem rsa.pkcs1.pem
# csr_check: requests as `openssl req` writes them (RSA with SAN and emailAddress, P-256 with
# organisation and names, DER and PEM, one with a DNS name the policy refuses).
(
    cd "$seeds"
    openssl req -new -key rsa.key -subj "/CN=Seed CSR/emailAddress=seed@example.com" \
        -addext "subjectAltName=email:seed@example.com" -out csr-rsa.pem 2>/dev/null
    openssl req -new -key ec.key -subj "/CN=Seed EC/O=Example/GN=Seed/SN=Request/emailAddress=ec@example.com" \
        -addext "subjectAltName=email:ec@example.com" -outform DER -out csr-ec.der 2>/dev/null
    openssl req -new -key ec.key -subj "/CN=Seed DNS" \
        -addext "subjectAltName=DNS:www.example.com,email:dns@example.com" -out csr-dns.pem 2>/dev/null
)
seed csr_check csr-rsa.pem csr-ec.der csr-dns.pem
for t in smime_verify_message smime_decrypt_message gateway_open pem_key csr_check; do
    if [[ -d fuzz/seeds/$t ]]; then cp -n fuzz/seeds/$t/* "fuzz/corpus/$t/" 2>/dev/null || true; fi
done

echo "== building fuzz targets"
cargo fuzz build -O

log=$(mktemp)
# The targets of issue 20 (MIME layer, gateway, PEM key scanner) run FUZZ_SECONDS_NEW each
# (default 3): scripts/fuzz-long.sh runs them for long.
new_seconds=${FUZZ_SECONDS_NEW:-3}
for target in pem_bundle der_certificate pkcs7 load_auto pkcs8 encrypted_pkcs8 pkcs12 ca_import chain_build crl_import ber cms_verify cms_decrypt \
    smime_verify_message smime_decrypt_message gateway_open pem_key csr_check; do
    case $target in
        smime_verify_message | smime_decrypt_message | gateway_open | pem_key | csr_check) t=$new_seconds ;;
        *) t=$seconds ;;
    esac
    echo "== fuzzing $target for ${t}s"
    if ! cargo fuzz run -O "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$t" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
        -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "fuzz target $target failed (input saved under fuzz/artifacts/$target)" >&2
        exit 1
    fi
    grep -E "^stat::number_of_executed_units" "$log" || true
done
rm -f "$log"
echo "fuzz smoke: all targets ran without a crash"
