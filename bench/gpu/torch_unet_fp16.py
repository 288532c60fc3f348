#!/usr/bin/env python3
"""GPU path, PyTorch half (NOT YET RUN on a device: see README.md).

Builds Stable Diffusion 1.5's UNet (exact config, random weights, seed 1 as
../shared/tools/export_sd15_random.py does), in fp16 on the CUDA device, then:
  1. times --steps UNet calls at batch 2 (classifier-free guidance) on 64x64 latents (512x512),
     PyTorch eager, torch.no_grad, after --warmup calls, torch.cuda.synchronize() around each;
  2. exports the same fp16 module to ONNX (opset 17, torch.onnx.export dynamo=False, external data):
     sample f16 [2,4,64,64], timestep int64 [2], encoder_hidden_states f16 [2,77,768] -> out_sample f16;
  3. writes {"torch_ms": [...], "device": ..., "torch": ...} to --out/torch.json.

    PYTHONPATH=<diffusers>/src python3 bench/gpu/torch_unet_fp16.py --out .data/gpu-bench
"""
import argparse
import json
import os
import time

import torch

UNET_CONFIG = {
    "act_fn": "silu", "attention_head_dim": 8, "block_out_channels": [320, 640, 1280, 1280],
    "center_input_sample": False, "cross_attention_dim": 768,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "downsample_padding": 1, "flip_sin_to_cos": True, "freq_shift": 0, "in_channels": 4, "layers_per_block": 2,
    "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32, "out_channels": 4, "sample_size": 64,
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
}


class UnetWrapper(torch.nn.Module):
    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.unet(sample, timestep, encoder_hidden_states, return_dict=False)[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--latent", type=int, default=64, help="latent side (64 = 512x512 images)")
    parser.add_argument("--skip-export", action="store_true")
    opts = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("PyTorch sees no CUDA device")
    from diffusers import UNet2DConditionModel

    device = torch.device("cuda")
    torch.manual_seed(1)
    unet = UNet2DConditionModel(**UNET_CONFIG).eval().half().to(device)
    wrapper = UnetWrapper(unet).eval()
    sample = torch.randn(2, 4, opts.latent, opts.latent, dtype=torch.float16, device=device)
    timestep = torch.tensor([500, 500], dtype=torch.int64, device=device)
    text = torch.randn(2, 77, 768, dtype=torch.float16, device=device) * 0.1

    times = []
    with torch.no_grad():
        for i in range(opts.warmup + opts.steps):
            torch.cuda.synchronize()
            started = time.perf_counter()
            out = wrapper(sample, timestep, text)
            torch.cuda.synchronize()
            if i >= opts.warmup:
                times.append((time.perf_counter() - started) * 1000)
            sample = out  # fed back, as a sampler would
    finite = bool(torch.isfinite(sample).all().item())

    os.makedirs(opts.out, exist_ok=True)
    if not opts.skip_export:
        path = os.path.join(opts.out, "unet", "model.onnx")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        started = time.time()
        with torch.no_grad():
            torch.onnx.export(
                wrapper, (sample, timestep, text), path,
                input_names=["sample", "timestep", "encoder_hidden_states"], output_names=["out_sample"],
                dynamic_axes={"sample": {0: "batch", 2: "height", 3: "width"}, "timestep": {0: "batch"},
                              "encoder_hidden_states": {0: "batch"}},
                opset_version=17, do_constant_folding=True, dynamo=False,
            )
        import onnx
        model = onnx.load(path)
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location="model.onnx_data", size_threshold=1024)
        print(f"exported {path} in {time.time() - started:.0f} s", flush=True)

    with open(os.path.join(opts.out, "torch.json"), "w") as f:
        json.dump({"torch_ms": times, "finite": finite, "device": torch.cuda.get_device_name(0),
                   "torch": torch.__version__, "latent": opts.latent}, f, indent=2)
    print(json.dumps({"torch_median_ms": sorted(times)[len(times) // 2], "device": torch.cuda.get_device_name(0)}))


if __name__ == "__main__":
    main()
