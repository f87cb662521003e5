#!/usr/bin/env bash
# Builds the UI and runs every test of the workspace. Needs a machine
# prepared by .ci/install.sh. Usage: bash scripts/test.sh [cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=.ci/env.sh
source .ci/env.sh

for tool in trunk wasm-bindgen; do
  if ! command -v "$tool" >/dev/null; then
    echo "test.sh: $tool is missing: run 'bash .ci/install.sh' first" >&2
    exit 1
  fi
done
if [ ! -f "$ODNOWA_AXE" ]; then
  echo "test.sh: axe-core is missing ($ODNOWA_AXE): run 'bash .ci/install.sh' first" >&2
  exit 1
fi
bash .ci/postgres.sh

# The convergence property test, long: 2,000 cases (about 100 s).
export ODNOWA_CONVERGENCE_CASES="${ODNOWA_CONVERGENCE_CASES:-2000}"

# The Tauri crate embeds ui/dist at compile time: build the UI first.
(cd ui && trunk build --offline)

# The E2E tests drive the real app binary (tests/src/app.rs finds it here).
cargo build -p odnowa-app --bin odnowa

# Every member, the UI's host-side unit tests (i18n) included.
cargo test --workspace "$@"

# The shell's IPC tests on Tauri's mock runtime (feature shell-test).
cargo test -p odnowa-app --features shell-test "$@"
