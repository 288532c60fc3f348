#!/usr/bin/env bash
# GPU path benchmark (NOT YET RUN on a device: no figures exist yet). See bench/gpu/README.md.
# Usage, from the repository root on a machine with a GPU, Vulkan loader, PyTorch with CUDA:
#   DIFFUSERS_SRC=/path/to/diffusers/src bash bench/gpu/run.sh [steps]
set -euo pipefail
steps="${1:-20}"
out="${GPU_BENCH_DIR:-.data/gpu-bench}"
mkdir -p "$out"
test -f dist/bench/gpu/webgpu-loop.js || npm run build
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
# 1. PyTorch fp16 per-step time, and the same random-weight fp16 UNet exported to ONNX.
if [ ! -f "$out/unet/model.onnx" ] || [ ! -f "$out/torch.json" ]; then
  PYTHONPATH="${DIFFUSERS_SRC:?set DIFFUSERS_SRC to diffusers/src}" python3 bench/gpu/torch_unet_fp16.py --out "$out" --steps "$steps"
fi
# 2. ONNX Runtime WebGPU: gpu-resident loop, CPU round trip, and PyTorch's figure in one table.
node dist/bench/gpu/webgpu-loop.js --unet "$out/unet/model.onnx" --steps "$steps" --torch "$out/torch.json"
