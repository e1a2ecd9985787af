#!/usr/bin/env bash
# The whole test suite, as the README gives it and CI runs it. Installs lavapipe (Mesa's
# software Vulkan driver) when no Vulkan driver is present, so the GPU path is tested too.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! ls /usr/share/vulkan/icd.d/*.json >/dev/null 2>&1; then
  echo "== installing mesa-vulkan-drivers (lavapipe) for the GPU tests"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq mesa-vulkan-drivers libvulkan1 >/dev/null
fi

# Our adapter selection needs no display; silence the loader's complaint about it.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

echo "== adapters"
cargo run --release -q -- info || true

echo "== unit, integration and shader-validation tests"
cargo test --release --workspace -- --skip conformance

echo "== conformance against Keras numbers"
cargo test --release --test conformance -- --nocapture
