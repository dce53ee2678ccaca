#!/usr/bin/env bash
# Short smoke run of every fuzz target (cargo-fuzz / libFuzzer on the stable toolchain).
#
# Each target starts from a small seed corpus made here with the openssl CLI and runs for
# FUZZ_SECONDS (default 20). libFuzzer fails the run on a panic, on one input taking longer
# than 10 s, on RSS over 2 GiB, or on a single allocation over 512 MiB ("allocate without bound").
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-20}
export RUSTC_BOOTSTRAP=1

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
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

echo "== building fuzz targets"
cargo fuzz build -O

log=$(mktemp)
for target in pem_bundle der_certificate pkcs7 load_auto pkcs8 encrypted_pkcs8 pkcs12 ca_import chain_build; do
    echo "== fuzzing $target for ${seconds}s"
    if ! cargo fuzz run -O "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
        -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "fuzz target $target failed (input saved under fuzz/artifacts/$target)" >&2
        exit 1
    fi
    grep -E "^stat::number_of_executed_units" "$log" || true
done
rm -f "$log"
echo "fuzz smoke: all targets ran without a crash"
