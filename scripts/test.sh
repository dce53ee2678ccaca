#!/usr/bin/env bash
# The full test run of hermes-pki (what CI runs through .ci/run):
#   format, clippy, cargo tests, the Python wheel in a fresh virtualenv (the README's Python
#   flow run verbatim, pytest, mypy --strict), the UniFFI bindings (Python, Swift, Kotlin
#   generated; the Python tests through them), the C API (header current, a C program under
#   valgrind), the README's Ruby program, and the fuzz smoke run.
# Every step runs even if an earlier one failed; the summary lists each step's result and time.
# Needs: rustup toolchain (with rustfmt, clippy), python3 with venv + pip, gcc. Installs the rest.
# Environment: SKIP_FUZZ=1 skips the fuzz smoke run; WHEEL_PROFILE=dev builds an unoptimised wheel.
# PostgreSQL: a throwaway cluster (scripts/pg-test-cluster.sh; installs Debian's postgresql when
# missing) runs for the whole run, its URL in HERMES_PKI_TEST_PG_URL; it is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
log=$(mktemp)
pg_dir=$(mktemp -d)
cleanup() {
    bash "$root/scripts/pg-test-cluster.sh" stop "$pg_dir" || true
    rm -rf "$pg_dir"
    rm -f "$log"
}
trap cleanup EXIT

echo "== setup: system packages"
missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
dpkg -s libssl-dev >/dev/null 2>&1 || missing+=(libssl-dev)
# Interop peers: NSS (Thunderbird's engine: certutil, pk12util, cmsutil) and gpgsm (KMail's).
{ command -v certutil && command -v cmsutil && command -v pk12util; } >/dev/null 2>&1 || missing+=(libnss3-tools)
{ command -v gpgsm && command -v gpgconf && command -v gpg-agent; } >/dev/null 2>&1 || missing+=(gpgsm)
# The C API: cbindgen (checks the committed header), valgrind (runs the C program); Ruby's ffi
# over the C API (the README's Ruby program).
command -v cbindgen >/dev/null 2>&1 || missing+=(cbindgen)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v ruby >/dev/null 2>&1 || missing+=(ruby)
dpkg -s ruby-ffi >/dev/null 2>&1 || missing+=(ruby-ffi)
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q "${missing[@]}"
fi

echo "== setup: a throwaway PostgreSQL cluster for the PostgreSQL store's tests"
pg_start=$(date +%s)
# A failure here leaves HERMES_PKI_TEST_PG_URL unset: the PostgreSQL tests then fail (never skip).
if HERMES_PKI_TEST_PG_URL=$(bash scripts/pg-test-cluster.sh start "$pg_dir"); then
    export HERMES_PKI_TEST_PG_URL
    echo "PostgreSQL test cluster up in $(($(date +%s) - pg_start))s (port $(cat "$pg_dir/port"))"
else
    echo "could not start the PostgreSQL test cluster: the PostgreSQL tests will fail" >&2
fi
unset HERMES_PKI_TEST_PG_SKIP

echo "== setup: .venv with maturin, pytest and cryptography (PKCS#12 interop tests)"
if [[ ! -x .venv/bin/python ]]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check "maturin>=1.9.4,<2" "pytest>=8" "cryptography>=42"

names=() results=() times=()
failed=0
step() { # step NAME FUNCTION
    local name=$1 fn=$2 start rc
    echo
    echo "=================== $name ==================="
    start=$(date +%s)
    set +e
    (set -euo pipefail; "$fn") 2>&1 | tee -a "$log"
    rc=${PIPESTATUS[0]}
    set -e
    names+=("$name"); times+=($(($(date +%s) - start)))
    if ((rc == 0)); then results+=(ok); else results+=("FAILED ($rc)"); failed=$((failed + 1)); fi
}

pytest_run() { # pytest_run PYTHON ARGS...: fails on exit 5 (no tests collected) as on failures
    local py=$1; shift
    local rc=0
    "$py" -m pytest -p no:cacheprovider "$@" || rc=$?
    if ((rc == 5)); then echo "pytest collected no tests: failing" >&2; fi
    return "$rc"
}

s_fmt() { cargo fmt --all -- --check; }
s_layers() { python3 scripts/check-layers.py; } # exit 1 on an import against DESIGN.md's layers
s_clippy() { cargo clippy --workspace --all-targets -- -D warnings; }
s_test() {
    local rc=0
    cargo test --workspace --no-fail-fast || rc=$?
    # The cdylibs and binaries the binding steps use (libhermes_pki_ffi.so, uniffi-bindgen,
    # libhermes_pki_c.so): `cargo test` does not write them, and building them later crate by
    # crate would rebuild the dependencies with other feature sets (minutes on 2 cores).
    cargo build --workspace --lib --bins || rc=$?
    return "$rc"
}
s_demo() { # the README's first command: the hermes-pki demo on a fresh SQLite store
    # `cargo test --workspace` has built the binary already (its end-to-end tests run it);
    # building it again alone would rebuild dependencies with another feature set.
    local cli=("$root/target/debug/hermes-pki")
    [[ -x ${cli[0]} ]] || cli=(cargo run -q --manifest-path "$root/Cargo.toml" -p hermes-pki-cli --)
    local dir out
    dir=$(mktemp -d)
    out=$(cd "$dir" && "${cli[@]}" demo)
    echo "$out"
    grep -q "Bob decrypted it with his stored key" <<<"$out"
    grep -q "bob@example.com: NOT VALID" <<<"$out"
    grep -q "demo finished: every step did what it should" <<<"$out"
    # In a store of its own: it is kept, and a second demo refuses the non-empty store.
    "${cli[@]}" --store "$dir/store" demo >/dev/null
    test -f "$dir/store/hermes.db"
    if "${cli[@]}" --store "$dir/store" demo >/dev/null 2>&1; then
        echo "the demo ran again in a store that is not empty" >&2
        return 1
    fi
    "${cli[@]}" --store "$dir/store" cert list | grep -q "bob@example.com"
    rm -rf "$dir"
}
# The Python block of the README between its python-flow markers, exactly as printed.
readme_python_flow() {
    awk '/<!-- python-flow:start -->/ {f = 1; next} /<!-- python-flow:end -->/ {f = 0}
         f && !/^```/' "$root/README.md"
}
s_python() {
    rm -rf target/wheels
    local profile=(--release)
    [[ ${WHEEL_PROFILE:-release} == dev ]] && profile=(--profile dev)
    .venv/bin/maturin build "${profile[@]}" -m hermes-pki-py/Cargo.toml -o target/wheels
    local wheel
    wheel=$(ls target/wheels/hermes_pki-*.whl)
    rm -rf target/py-venv
    python3 -m venv target/py-venv
    # cryptography: the tests compare keys and PKCS#12 files with it; mypy: the next step.
    target/py-venv/bin/python -m pip install -q --disable-pip-version-check "$wheel" "pytest>=8" \
        "cryptography>=42" "mypy>=1.10"
    # Run from outside the source tree so that the installed wheel is what is imported.
    (cd /tmp && "$root/target/py-venv/bin/python" -c \
        'import hermes_pki; print("imported hermes_pki", hermes_pki.__version__, "from", hermes_pki.__file__)')
    local rc=0
    (cd /tmp && pytest_run "$root/target/py-venv/bin/python" --import-mode=importlib \
        -v "$root/hermes-pki-py/tests") || rc=$?
    # The README's gateway flow, verbatim, with the wheel in the fresh virtualenv.
    readme_python_flow >target/readme_python_flow.py
    if grep -q "pki.protect(" target/readme_python_flow.py &&
        (cd /tmp && "$root/target/py-venv/bin/python" "$root/target/readme_python_flow.py"); then
        echo "README python flow: ok"
    else
        echo "README python flow: FAILED" >&2
        rc=1
    fi
    return "$rc"
}
s_mypy() { # the type stubs against the tests and the README flow, with the installed wheel
    [[ -x target/py-venv/bin/python ]] || { echo "no target/py-venv: the wheel step failed" >&2; return 1; }
    readme_python_flow >target/readme_python_flow.py
    (cd hermes-pki-py/tests && "$root/target/py-venv/bin/python" -m mypy --strict \
        --cache-dir "$root/target/mypy-cache" . "$root/target/readme_python_flow.py")
}
s_ffi() {
    [[ -x target/py-venv/bin/python ]] || {
        python3 -m venv target/py-venv
        target/py-venv/bin/python -m pip install -q "pytest>=8"
    }
    bash hermes-pki-ffi/tests/generate_and_test.sh "$root/target/py-venv/bin/python"
}
s_capi() { bash hermes-pki-c/tests/run_c_test.sh; }
s_ruby() { bash hermes-pki-c/tests/run_ruby_readme.sh; }
s_fuzz() {
    if [[ ${SKIP_FUZZ:-0} == 1 ]]; then echo "fuzz smoke skipped (SKIP_FUZZ=1)"; return 0; fi
    if [[ -f scripts/fuzz-smoke.sh ]]; then
        bash scripts/fuzz-smoke.sh
    else
        echo "scripts/fuzz-smoke.sh not present: fuzz smoke skipped"
    fi
}

total_start=$(date +%s)
step "cargo fmt --check" s_fmt
step "layers" s_layers
step "cargo clippy -D warnings" s_clippy
step "cargo test --workspace" s_test
step "main job: hermes-pki demo on a fresh SQLite store" s_demo
step "python wheel + fresh venv + README flow + pytest" s_python
step "python mypy --strict (tests, README flow)" s_mypy
step "uniffi bindings (python, swift, kotlin) + tests" s_ffi
step "C API: header current, C program under valgrind" s_capi
step "ruby: the README's program over the C API" s_ruby
step "fuzz smoke" s_fuzz

# Test counts from the runners' own closing lines.
cargo_pass=$(awk '/^test result:/ {for (i = 1; i < NF; i++) if ($(i+1) ~ /^passed/) n += $i} END {print n + 0}' "$log")
cargo_fail=$(awk '/^test result:/ {for (i = 1; i < NF; i++) if ($(i+1) ~ /^failed/) n += $i} END {print n + 0}' "$log")
py_pass=$(awk '/^(=+ )?[0-9]+ (passed|failed).* in [0-9.]+s/ {for (i = 1; i < NF; i++) if ($(i+1) ~ /^passed/) n += $i} END {print n + 0}' "$log")
py_fail=$(awk '/^(=+ )?[0-9]+ (passed|failed).* in [0-9.]+s/ {for (i = 1; i < NF; i++) if ($(i+1) ~ /^(failed|error)/) n += $i} END {print n + 0}' "$log")

echo
echo "=================== summary ==================="
for i in "${!names[@]}"; do
    printf '%-52s %-12s %5ss\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"
done
echo "cargo tests: ${cargo_pass:-0} passed, ${cargo_fail:-0} failed; pytest: $py_pass passed, $py_fail failed"
c_checks=$(awk '/^C flow: [0-9]+ checks passed/ {n += $3} END {print n + 0}' "$log")
ruby_checks=$(awk '/^ruby: [0-9]+ checks passed/ {n += $2} END {print n + 0}' "$log")
echo "C API program: $c_checks checks passed; README Ruby program: $ruby_checks checks passed"
echo "total time: $(($(date +%s) - total_start))s; steps: $((${#names[@]} - failed)) ok, $failed failed"
echo "tests: $((${cargo_pass:-0} + py_pass)) passed, $((${cargo_fail:-0} + py_fail)) failed"
exit $((failed > 0))
