#!/usr/bin/env bash
# Makes a fresh Debian 12 machine (as root, with rustup's Rust 1.95 and only
# the package registries reachable) ready to build and test Odnowa.
# Idempotent: every step checks first and skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=.ci/env.sh
source .ci/env.sh

TRUNK_VERSION=0.21.14
APT_PACKAGES=(
  # Tauri 2 on Linux (WebKitGTK 4.1)
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev
  libssl-dev libxdo-dev pkg-config build-essential file
  # the app under a virtual display, driven by WebDriver
  xvfb xauth webkit2gtk-driver
  # the office screens in a browser, and screenshots
  chromium chromium-driver imagemagick
  # the sync server's second database backend
  postgresql
)

step() { printf '\n== install: %s\n' "$*"; }

# --- Debian packages ---------------------------------------------------------
missing=()
for package in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  step "apt packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Wait for another apt run instead of failing on its lock.
  apt-get -o DPkg::Lock::Timeout=900 update
  apt-get -o DPkg::Lock::Timeout=900 install -y "${missing[@]}"
fi

# --- Rust targets and components ---------------------------------------------
# rust-toolchain.toml selects the toolchain; these act on it.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    step "rustup component $component"
    rustup component add "$component"
  fi
done

# --- cargo tools, pinned, into $ODNOWA_TOOLS ---------------------------------
mkdir -p "$ODNOWA_TOOLS"
# Two installs into one root at once corrupt it: take turns.
exec 9>"$ODNOWA_TOOLS/.install.lock"
flock 9

installed_version() { # tool -> its version, or nothing
  "$ODNOWA_TOOLS/bin/$1" --version 2>/dev/null | awk '{print $2}' || true
}

if [ "$(installed_version trunk)" != "$TRUNK_VERSION" ]; then
  step "trunk $TRUNK_VERSION (about 5 min)"
  # trunk 0.22 needs a newer rustc than 1.95.
  cargo install --locked trunk --version "$TRUNK_VERSION" --root "$ODNOWA_TOOLS"
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly,
# or trunk tries to download one and fails offline.
if [ ! -f Cargo.lock ]; then
  cargo metadata --format-version 1 >/dev/null
fi
wasm_bindgen_version=$(awk '
  $0 == "name = \"wasm-bindgen\"" { found = 1; next }
  found && /^version = / { gsub(/version = |"/, ""); print; exit }
' Cargo.lock)
if [ -z "$wasm_bindgen_version" ]; then
  echo "install.sh: no wasm-bindgen package in Cargo.lock" >&2
  exit 1
fi
if [ "$(installed_version wasm-bindgen)" != "$wasm_bindgen_version" ]; then
  step "wasm-bindgen-cli $wasm_bindgen_version (about 3 min)"
  # Not --locked: its own lockfile pins a crate version crates.io no longer serves.
  cargo install wasm-bindgen-cli --version "$wasm_bindgen_version" --root "$ODNOWA_TOOLS" --force
fi
# The WebDriver bridge for the E2E tests of the Tauri app.
TAURI_DRIVER_VERSION=2.1.0
# tauri-driver has no --version: cargo's record of what it installed says.
if ! grep -qF "\"tauri-driver $TAURI_DRIVER_VERSION " "$ODNOWA_TOOLS/.crates.toml" 2>/dev/null; then
  step "tauri-driver $TAURI_DRIVER_VERSION (about 2 min)"
  cargo install --locked tauri-driver --version "$TAURI_DRIVER_VERSION" --root "$ODNOWA_TOOLS"
fi
# The fuzz targets (scripts/fuzz.sh) build with nightly and cargo-fuzz.
if ! rustup toolchain list | grep -q '^nightly'; then
  step "rustup toolchain nightly (for cargo fuzz)"
  rustup toolchain install nightly --profile minimal
fi
CARGO_FUZZ_VERSION=0.13.2
if [ "$(installed_version cargo-fuzz)" != "$CARGO_FUZZ_VERSION" ]; then
  step "cargo-fuzz $CARGO_FUZZ_VERSION (about 2 min)"
  # Its own target dir: no wait for the shared one's lock.
  CARGO_TARGET_DIR="$HOME/.cache/odnowa-fuzz-target/install" \
    cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION" --root "$ODNOWA_TOOLS"
fi
# axe-core, the accessibility checker the browser and E2E tests run in the
# rendered pages (WCAG 2.2 AA: contrast, names, target sizes). One file from
# the npm registry, checked against the registry's integrity hash.
AXE_VERSION=4.14.1
AXE_SHA512=FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==
if [ ! -f "$ODNOWA_TOOLS/axe-core-$AXE_VERSION/axe.min.js" ]; then
  step "axe-core $AXE_VERSION"
  axe_tgz=$(mktemp)
  curl -fsSL --retry 3 -o "$axe_tgz" "https://registry.npmjs.org/axe-core/-/axe-core-$AXE_VERSION.tgz"
  if [ "$(openssl dgst -sha512 -binary "$axe_tgz" | base64 -w0)" != "$AXE_SHA512" ]; then
    echo "install.sh: axe-core-$AXE_VERSION.tgz does not match its integrity hash" >&2
    exit 1
  fi
  mkdir -p "$ODNOWA_TOOLS/axe-core-$AXE_VERSION"
  tar -xzf "$axe_tgz" -C "$ODNOWA_TOOLS/axe-core-$AXE_VERSION" --strip-components=1 package/axe.min.js
  rm -f "$axe_tgz"
fi
flock -u 9

# --- PostgreSQL ----------------------------------------------------------------
bash .ci/postgres.sh

step "ready"
