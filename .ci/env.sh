# shellcheck shell=bash
# The environment every build and test step uses. Sourced (not run) by
# .ci/install.sh, .ci/run and scripts/test.sh.

# Builds live outside the clone, so CI runs and worktrees share them.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/odnowa-target}"
# Cargo tools (trunk, wasm-bindgen-cli) pinned by .ci/install.sh.
export ODNOWA_TOOLS="${ODNOWA_TOOLS:-$HOME/.cache/odnowa-tools}"
case ":$PATH:" in
  *":$ODNOWA_TOOLS/bin:"*) ;;
  *) export PATH="$ODNOWA_TOOLS/bin:$PATH" ;;
esac
if [ -d "$HOME/.cargo/bin" ]; then
  case ":$PATH:" in
    *":$HOME/.cargo/bin:"*) ;;
    *) export PATH="$PATH:$HOME/.cargo/bin" ;;
  esac
fi
# trunk 0.21 would otherwise ask GitHub for a newer version.
export TRUNK_SKIP_VERSION_CHECK=true
# The accessibility checker the browser tests inject (pinned by .ci/install.sh).
export ODNOWA_AXE="${ODNOWA_AXE:-$ODNOWA_TOOLS/axe-core-4.14.1/axe.min.js}"
