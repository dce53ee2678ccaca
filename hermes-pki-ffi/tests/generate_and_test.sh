#!/usr/bin/env bash
# Builds the cdylib, generates the Python, Swift (+ C header + modulemap) and Kotlin bindings
# with this crate's uniffi-bindgen, checks the generated files, runs the Python test against the
# generated Python module, and compiles a C call against the generated header. The Kotlin is
# checked, not compiled: Debian's kotlin (1.3) rejects what UniFFI 0.32 generates (README, Kotlin).
# Usage: generate_and_test.sh [PYTHON]  (a python with pytest)
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${1:-python3}
out=hermes-pki-ffi/generated
rm -rf "$out"
mkdir -p "$out/python" "$out/swift" "$out/kotlin"

# `cargo test --workspace` (run before this in CI) builds the cdylib and the bindgen binary;
# building them alone would rebuild dependencies with another feature set.
lib=target/debug/libhermes_pki_ffi.so
[[ -f $lib && -x target/debug/uniffi-bindgen ]] || cargo build -p hermes-pki-ffi --lib --bins
test -f "$lib"
bindgen=(target/debug/uniffi-bindgen generate --no-format --library "$lib")
"${bindgen[@]}" --language python --out-dir "$out/python"
"${bindgen[@]}" --language swift --out-dir "$out/swift"
"${bindgen[@]}" --language kotlin --out-dir "$out/kotlin"
cp "$lib" "$out/python/"

fail=0
check() { # check FILE SYMBOL...
    local file=$1; shift
    if [[ ! -s $file ]]; then echo "missing or empty: $file" >&2; fail=1; return; fi
    for sym in "$@"; do
        grep -q -- "$sym" "$file" || { echo "$file does not contain $sym" >&2; fail=1; }
    done
}
check "$out/python/hermes_pki_ffi.py" "def version" "class Certificate" "def load_certificates" "class HermesError" \
    "class Pki" "def protect" "def open_message" "def validate" "def ca_create" "class Validation" \
    "class ReasonKind" "class Opened" "class ProtectResult" "def import_pkcs12" "def request" \
    "def submit_csr" "def bulk_run" "def delete_certificate" "def export_key" "def open_with_key_file"
check "$out/swift/hermes_pki_ffi.swift" "func version" "class Certificate" "func loadCertificates" \
    "class Pki" "func protect(" "func openMessage(" "func validate(" "func caCreate(" \
    "struct Validation" "enum ReasonKind" "enum Opened" "struct ProtectResult" "enum HermesError"
kt=$(find "$out/kotlin" -name hermes_pki_ffi.kt)
check "$kt" 'fun `version`' "class Certificate" "class Pki" 'fun `protect`(' 'fun `openMessage`(' \
    'fun `validate`(' 'fun `caCreate`(' "data class Validation" "enum class ReasonKind" \
    "sealed class Opened" "class HermesException"
check "$out/swift/hermes_pki_ffiFFI.h" \
    "uniffi_hermes_pki_ffi_fn_func_version" \
    "uniffi_hermes_pki_ffi_fn_func_load_certificates" \
    "uniffi_hermes_pki_ffi_fn_constructor_certificate_from_pem" \
    "uniffi_hermes_pki_ffi_fn_constructor_certificate_from_der" \
    "uniffi_hermes_pki_ffi_fn_method_certificate_sha512" \
    "uniffi_hermes_pki_ffi_fn_constructor_pki_open" \
    "uniffi_hermes_pki_ffi_fn_method_pki_protect" \
    "uniffi_hermes_pki_ffi_fn_method_pki_open_message"
check "$out/swift/hermes_pki_ffiFFI.modulemap" "hermes_pki_ffiFFI.h"
[[ $fail == 0 ]] || exit 1
echo "generated bindings: python, swift (C header, modulemap), kotlin present with the expected symbols"

# The C header is usable from C: call version() through the C ABI and compare.
cat > "$out/c_version.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "hermes_pki_ffiFFI.h"
int main(void) {
    RustCallStatus status = {0};
    RustBuffer buf = uniffi_hermes_pki_ffi_fn_func_version(&status);
    if (status.code != 0) return 2;
    printf("%.*s\n", (int)buf.len, (const char *)buf.data);
    ffi_hermes_pki_ffi_rustbuffer_free(buf, &status);
    return status.code != 0 ? 3 : 0;
}
C
# The header uses clang nullability qualifiers; gcc takes them as empty.
gcc -std=c11 -Wall -Werror -D_Nonnull= -D_Nullable= -I "$out/swift" "$out/c_version.c" -L target/debug -lhermes_pki_ffi \
    -Wl,-rpath,"$PWD/target/debug" -o "$out/c_version"
c_ver=$("$out/c_version")
cargo_ver=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
[[ $c_ver == "$cargo_ver" ]] || { echo "C call returned '$c_ver', expected '$cargo_ver'" >&2; exit 1; }
echo "C header: version() via the C ABI returned $c_ver"

HERMES_FFI_GENERATED="$PWD/$out/python" "$python" -m pytest -q -p no:cacheprovider \
    hermes-pki-ffi/tests/test_ffi_python.py
