#!/usr/bin/env bash
# Fuzzes every target of fuzz/ for a bounded time on the committed corpus.
# Usage: bash scripts/fuzz.sh [seconds per target, default 60] [target...]
#
# Each target runs on a temporary copy of fuzz/corpus/<target>/, so the
# committed corpus does not grow; a crash is written to
# $ODNOWA_FUZZ_ARTIFACTS/<target>/ (default: a temporary folder, printed)
# and fails the run. To keep a crash as a regression: minimise it
# (`cargo +nightly fuzz tmin <target> <file>`), commit it under
# fuzz/regressions/<target>/, fix the code, and add a test named after the
# bug to shared/tests/hostile_input.rs. Needs nightly and cargo-fuzz
# (.ci/install.sh installs both).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=.ci/env.sh
source .ci/env.sh

seconds="${1:-60}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  targets=(protocol_decode ingest ingest_edits)
fi
# Its own target dir: nightly with sanitizer flags would otherwise evict
# the stable builds that CARGO_TARGET_DIR shares.
fuzz_target_dir="${ODNOWA_FUZZ_TARGET_DIR:-$HOME/.cache/odnowa-fuzz-target}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts="${ODNOWA_FUZZ_ARTIFACTS:-$work/artifacts}"

step() { printf '\n== fuzz: %s\n' "$*"; }

cd fuzz
step "build (nightly, release without debug assertions, as deployed; no sanitizer: safe Rust)"
start=$SECONDS
for target in "${targets[@]}"; do
  cargo +nightly fuzz build -O --sanitizer none --target-dir "$fuzz_target_dir" "$target"
done
echo "built in $((SECONDS - start)) s"

failed=()
for target in "${targets[@]}"; do
  step "$target for $seconds s"
  corpus="$work/corpus/$target"
  mkdir -p "$corpus" "$artifacts/$target"
  cp -r "corpus/$target/." "$corpus/"
  if [ -d "regressions/$target" ]; then
    cp -r "regressions/$target/." "$corpus/"
  fi
  # -rss_limit_mb: a frame is at most 1 MiB, so a run that needs 1 GiB
  # allocates without bound. -timeout: one input must not take seconds.
  # Progress lines (NEW, REDUCE, pulse) are left out of the log.
  set +e
  cargo +nightly fuzz run -O --sanitizer none --target-dir "$fuzz_target_dir" "$target" "$corpus" -- \
    -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 \
    -artifact_prefix="$artifacts/$target/" -print_final_stats=1 2>&1 |
    grep --line-buffered -vE '^(#[0-9]+\s+(NEW|REDUCE|pulse)|\s+NEW_FUNC)'
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]}; inputs in $artifacts (kept)" >&2
  if [ -z "${ODNOWA_FUZZ_ARTIFACTS:-}" ]; then
    kept=$(mktemp -d /tmp/odnowa-fuzz-crashes.XXXXXX)
    cp -r "$artifacts/." "$kept/"
    echo "fuzz: copied to $kept" >&2
  fi
  exit 1
fi
step "no crash"
