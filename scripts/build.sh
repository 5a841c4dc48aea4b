#!/usr/bin/env bash
# Builds the portal: the server binary (native, `ssr`), the browser bundle
# (wasm32, `hydrate`) run through wasm-bindgen, and the static site folder.
# Installs the wasm target and the pinned wasm-bindgen CLI when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate pin in Cargo.toml
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
SITE="${SITE_ROOT:-target/site}"

if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  echo "==> installing the wasm32 target"
  rustup target add wasm32-unknown-unknown
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  echo "==> installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes, once)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
. scripts/env.sh

echo "==> building the browser bundle (wasm32)"
# RUSTFLAGS is for the native linker only.
RUSTFLAGS= cargo build --locked -p hydrate --target wasm32-unknown-unknown --profile wasm
mkdir -p "$SITE/pkg"
wasm-bindgen "$TARGET_DIR/wasm32-unknown-unknown/wasm/hydrate.wasm" \
  --target web --no-typescript --out-dir "$SITE/pkg" --out-name app
cp style/main.css "$SITE/pkg/app.css"
cp -r public/. "$SITE/"

echo "==> building the server and the test crates"
# One build of the default members (server binary, libraries, test harness) so
# features unify once and `cargo test` reuses these artifacts instead of
# compiling the dependency tree a second time.
cargo build --locked
