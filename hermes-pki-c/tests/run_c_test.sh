#!/usr/bin/env bash
# The C API in CI: checks that the committed header is what cbindgen makes of the source (when
# cbindgen is installed; `--regenerate` rewrites it), compiles tests/flow.c against the header
# with -Wall -Wextra -Werror, and runs it under valgrind: any memory error or leak fails.
# Usage: run_c_test.sh [--regenerate]
set -euo pipefail
cd "$(dirname "$0")/../.."
header=hermes-pki-c/include/hermes_pki.h
gen=(cbindgen --quiet --config hermes-pki-c/cbindgen.toml --crate hermes-pki-c)

if [[ ${1:-} == --regenerate ]]; then
    "${gen[@]}" --output "$header"
    echo "regenerated $header"
elif command -v cbindgen >/dev/null 2>&1; then
    fresh=$(mktemp)
    "${gen[@]}" --output "$fresh"
    if ! diff -u "$header" "$fresh"; then
        rm -f "$fresh"
        echo "$header is out of date: run bash hermes-pki-c/tests/run_c_test.sh --regenerate" >&2
        exit 1
    fi
    rm -f "$fresh"
    echo "header: $header is what cbindgen $(cbindgen --version | cut -d' ' -f2) makes of the source"
else
    echo "cbindgen not installed: the committed header is used as it is"
fi

# `cargo test --workspace` (run before this in CI) builds the cdylib; building it alone would
# rebuild dependencies with another feature set.
lib=target/debug/libhermes_pki_c.so
[[ -f $lib ]] || cargo build -p hermes-pki-c --lib
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gcc -std=c11 -Wall -Wextra -Werror -pedantic -I hermes-pki-c/include hermes-pki-c/tests/flow.c \
    -L target/debug -lhermes_pki_c -Wl,-rpath,"$PWD/target/debug" -o "$out/flow"
echo "compiled hermes-pki-c/tests/flow.c with -Wall -Wextra -Werror -pedantic"
mkdir "$out/stores"
# Leaks: definite and indirect ones fail; memory still reachable at exit (Rust's thread-local
# and standard-library statics) is not a leak.
valgrind --quiet --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect "$out/flow" "$out/stores"
echo "valgrind: no memory error, no leak"
