#!/usr/bin/env bash
# Runs the README's Ruby program exactly as printed: the ```ruby block between
# <!-- ruby-flow:start --> and <!-- ruby-flow:end -->, with Debian's ruby and ruby-ffi over
# the C API library. Fails when the block is missing or any of its checks fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
lib=target/debug/libhermes_pki_c.so
[[ -f $lib ]] || cargo build -p hermes-pki-c --lib
prog=$(mktemp --suffix=.rb)
trap 'rm -f "$prog"' EXIT
awk '/<!-- ruby-flow:start -->/ {inside = 1; next}
     /<!-- ruby-flow:end -->/ {inside = 0}
     inside && !/^```/ {print}' README.md >"$prog"
lines=$(wc -l <"$prog")
((lines > 20)) || { echo "the README's ruby-flow block is missing or empty ($lines lines)" >&2; exit 1; }
echo "running the README's Ruby program ($lines lines) with $(ruby --version | cut -d' ' -f1-2)"
out=$(HERMES_PKI_LIB="$PWD/$lib" ruby "$prog")
echo "$out"
# The program's last line, printed only when every check before it held.
[[ $(tail -n 1 <<<"$out") == "ruby flow: every check passed" ]]
echo "ruby: $(grep -c '^ok: ' <<<"$out") checks passed"
