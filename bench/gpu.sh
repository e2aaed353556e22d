#!/usr/bin/env bash
# The benchmark suite on a machine with a real GPU, through Dawn's Vulkan backend:
#   bench/gpu.sh                 every workload
#   bench/gpu.sh matmul          one group (any `npm run bench` arguments pass through)
# Prints the adapter first and refuses a software adapter (lavapipe/SwiftShader), which would
# silently benchmark the CPU; ALLOW_SOFTWARE=1 runs anyway. Results land in
# bench/results/<adapter-slug>.json next to the other machines'.
set -euo pipefail
cd "$(dirname "$0")/.."
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xdg-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR"
export FINETORCH_WEBGPU_FLAGS="${FINETORCH_WEBGPU_FLAGS:-backend=vulkan}"
[ -d node_modules ] || npm ci

if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true; fi
set +e
npx tsx bench/adapter.ts
status=$?
set -e
if [ "$status" = 4 ]; then
  echo "gpu.sh: that is a software adapter; set ALLOW_SOFTWARE=1 to benchmark it anyway" >&2
  exit 4
fi
[ "$status" = 0 ] || exit "$status"

npx tsx bench/run.ts "$@"
