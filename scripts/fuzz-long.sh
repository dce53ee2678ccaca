#!/usr/bin/env bash
# Long fuzzing run (not CI): every fuzz target for a given time, the corpus kept in the
# repository.
#
#   scripts/fuzz-long.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Default: 3600 s per target, every target of fuzz/Cargo.toml. Each target starts from the
# smoke run's seeds (scripts/fuzz-smoke.sh builds them: run it first, FUZZ_SECONDS=1 is
# enough) plus the kept corpus fuzz/seeds/TARGET; at the end, the inputs that add coverage
# are merged into fuzz/seeds/TARGET (libFuzzer -merge=1), to be committed. Same limits as the
# smoke run: a panic, an input over 10 s, RSS over 2 GiB or one allocation over 512 MiB fails
# the target (the input is saved under fuzz/artifacts/TARGET). JOBS (default 1) runs that
# many libFuzzer workers per target.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-3600}
shift || true
export RUSTC_BOOTSTRAP=1
jobs=${JOBS:-1}

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

if (($#)); then
    targets=("$@")
else
    mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^hermes-pki-fuzz$')
fi

echo "== building fuzz targets"
cargo fuzz build -O

failed=()
for target in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$target" "fuzz/seeds/$target"
    cp -n "fuzz/seeds/$target/"* "fuzz/corpus/$target/" 2>/dev/null || true
    echo "== fuzzing $target for ${seconds}s ($(date -u +%H:%M) UTC)"
    log="fuzz/long-$target.log"
    # One worker runs in the fuzzer's own process (libFuzzer's -jobs would fork a child and
    # log elsewhere); more run as -jobs/-workers.
    parallel=()
    if ((jobs > 1)); then parallel=(-jobs="$jobs" -workers="$jobs"); fi
    if ! cargo fuzz run -O "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
        "${parallel[@]}" -print_final_stats=1 >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "fuzz target $target failed (input under fuzz/artifacts/$target)" >&2
        failed+=("$target")
    fi
    grep -hE "^stat::number_of_executed_units|^#[0-9]+ *DONE" "$log" fuzz-*.log 2>/dev/null | tail -n 2 || true
    rm -f fuzz-*.log
    # Keep what adds coverage.
    cargo fuzz run -O "$target" "fuzz/seeds/$target" "fuzz/corpus/$target" -- -merge=1 \
        >/dev/null 2>&1 || echo "merging the corpus of $target failed" >&2
    echo "   kept corpus: $(find "fuzz/seeds/$target" -type f | wc -l) inputs in fuzz/seeds/$target"
done
if ((${#failed[@]})); then
    echo "failed: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz long run: ${#targets[@]} targets, ${seconds}s each, no crash"
