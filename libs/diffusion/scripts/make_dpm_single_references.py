"""Makes libs/diffusion/fixtures/dpm-single-sd2-tiny/: what diffusers' own pipeline loop with its
DPMSolverSinglestepScheduler produces on the shared tiny SD 2.x ONNX export
(../shared/fixtures/sd2-tiny-onnx/model, v_prediction), from that fixture's initial latents,
prompt, negative prompt and guidance scale.

diffusers' OnnxStableDiffusionPipeline runs the loop (scale_model_input, UNet on both CFG halves,
guidance, scheduler.step in torch, VAE decode with 1/0.18215). Its text encoder call casts
input_ids to int32 while this export takes int64, and passes the UNet timestep with shape [1]
while this export's is a scalar, so those two sessions are wrapped to feed what their metadata
says; nothing else is changed. Before writing anything the script reruns the fixture's DDIM references and
refuses to go on unless they match, which proves this harness is the one those were made with.

Usage (from the repository root):
  pip install torch transformers onnxruntime numpy
  PYTHONPATH=<diffusers checkout>/src python3 libs/diffusion/scripts/make_dpm_single_references.py
"""
import json
import os
import sys

import numpy as np
import torch
import diffusers
from diffusers import DDIMScheduler, DPMSolverSinglestepScheduler, OnnxRuntimeModel, OnnxStableDiffusionPipeline
from transformers import CLIPTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
FIXTURE = os.path.join(ROOT, '..', 'shared', 'fixtures', 'sd2-tiny-onnx')
MODEL = os.path.join(FIXTURE, 'model')
REFERENCE = os.path.join(FIXTURE, 'reference')
OUT = os.path.join(ROOT, 'libs', 'diffusion', 'fixtures', 'dpm-single-sd2-tiny')

# Each run is either a sampler *name* given to the pipeline on the unchanged model (diffusers:
# DPMSolverSinglestepScheduler.from_config(model's DDIM config, **overrides), the class defaults
# for the rest: solver_order 2, midpoint, lower_order_final False), or a model whose
# scheduler_config.json names the class itself (written out in full in the manifest).
RUNS = [
    {'name': 'DPM Single', 'steps': 10, 'overrides': {}},
    {'name': 'DPM Single Karras', 'steps': 25, 'overrides': {'use_karras_sigmas': True}},
    {'name': None, 'steps': 10, 'overrides': {'solver_order': 3}},
    {'name': None, 'steps': 25, 'overrides': {'solver_order': 3, 'use_karras_sigmas': True}},
    {'name': None, 'steps': 25, 'overrides': {'solver_order': 3, 'solver_type': 'heun', 'lower_order_final': True}},
    {'name': None, 'steps': 10, 'overrides': {'solver_order': 2, 'solver_type': 'heun', 'lower_order_final': True, 'use_karras_sigmas': True}},
]


class Int64TextEncoder:
    """The pipeline feeds int32 ids; this export's text encoder takes int64 (what its metadata says)."""

    def __init__(self, model):
        self.session = model
        self.model = model.model

    def __call__(self, **inputs):
        return self.session(**{k: v.astype(np.int64) for k, v in inputs.items()})


class RecordingUnet:
    """Records the timesteps the loop feeds the UNet; `.model` is what the pipeline reads dtypes from."""

    def __init__(self, unet, fed):
        self.unet = unet
        self.model = unet.model
        self.fed = fed

    def __call__(self, **inputs):
        self.fed.append(float(inputs['timestep'][0]))
        # This export's timestep is a scalar (rank 0); the pipeline passes shape [1].
        return self.unet(**{**inputs, 'timestep': inputs['timestep'].reshape(())})


def load_pipeline(scheduler):
    def session(name):
        return OnnxRuntimeModel(OnnxRuntimeModel.load_model(os.path.join(MODEL, name, 'model.onnx'), provider='CPUExecutionProvider', provider_options={}))

    pipe = OnnxStableDiffusionPipeline(
        vae_encoder=session('vae_encoder'),
        vae_decoder=session('vae_decoder'),
        text_encoder=session('text_encoder'),
        tokenizer=CLIPTokenizer.from_pretrained(os.path.join(MODEL, 'tokenizer')),
        unet=session('unet'),
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.text_encoder = Int64TextEncoder(pipe.text_encoder)
    return pipe


def generate(scheduler, run, latents):
    pipe = load_pipeline(scheduler)
    fed = []
    unet = pipe.unet

    pipe.unet = RecordingUnet(unet, fed)
    image = pipe(
        prompt=run['prompt'],
        negative_prompt=run['negative_prompt'],
        num_inference_steps=run['steps'],
        guidance_scale=run['guidance_scale'],
        height=run['height'],
        width=run['width'],
        latents=latents.copy(),
        output_type='np',
    ).images
    return np.ascontiguousarray(image, dtype=np.float32), fed


def json_safe(value):
    """JSON has no infinities (lambda_min_clipped defaults to -inf): written as strings."""
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return value


def main():
    torch.manual_seed(0)
    with open(os.path.join(REFERENCE, 'manifest.json')) as f:
        manifest = json.load(f)
    with open(os.path.join(MODEL, 'scheduler', 'scheduler_config.json')) as f:
        model_config = json.load(f)

    first = manifest['runs'][0]
    latents = np.fromfile(os.path.join(REFERENCE, first['latents']), dtype='<f4').reshape(first['latents_shape'])

    # The harness must reproduce the fixture's own references before its output means anything.
    harness_check = []
    for run in manifest['runs']:
        if run['scheduler'] != 'DDIMScheduler':
            continue
        image, fed = generate(DDIMScheduler.from_config(model_config), run, latents)
        expected = np.fromfile(os.path.join(REFERENCE, run['image']), dtype='<f4').reshape(image.shape)
        error = float(np.abs(image - expected).max())
        print(f"harness check {run['image']}: max abs error {error:.3g}, timesteps match: {fed == run['timesteps']}")
        if error > 1e-4 or fed != run['timesteps']:
            sys.exit('the harness does not reproduce the fixture; nothing written')
        harness_check.append({'image': run['image'], 'max_abs_error': error})

    os.makedirs(OUT, exist_ok=True)
    runs = []
    for index, spec in enumerate(RUNS):
        scheduler = DPMSolverSinglestepScheduler.from_config(model_config, **spec['overrides'])
        run = {key: first[key] for key in ('prompt', 'negative_prompt', 'guidance_scale', 'height', 'width')}
        run['steps'] = spec['steps']
        image, fed = generate(scheduler, run, latents)
        name = f'dpm-single-{index}.f32'
        image.astype('<f4').tofile(os.path.join(OUT, name))
        entry = {
            'scheduler_name': spec['name'],
            'diffusers_overrides': spec['overrides'],
            **run,
            'latents': 'latents_1x4x8x8.f32 (sd2-tiny-onnx/reference)',
            'image': name,
            'image_shape': list(image.shape),
            # The CFG batch holds both halves: one UNet call per step.
            'timesteps': fed,
            'effective_config': {k: json_safe(v) for k, v in dict(scheduler.config).items() if not k.startswith('_')},
        }
        if spec['name'] is None:
            entry['scheduler_config'] = {**model_config, '_class_name': 'DPMSolverSinglestepScheduler', **spec['overrides']}
        runs.append(entry)
        print(f'{name}: {spec}, {len(fed)} UNet calls, pixel range {image.min():.4f}..{image.max():.4f}')

    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(
            {
                'about': (
                    "diffusers' OnnxStableDiffusionPipeline with DPMSolverSinglestepScheduler on ../shared/fixtures/sd2-tiny-onnx/model, "
                    'from that fixture\'s reference latents (scaled by init_noise_sigma inside the pipeline). A run with scheduler_name '
                    'names the sampler on the unchanged model (DDIM scheduler_config: the class is built with from_config plus '
                    'diffusers_overrides); a run with scheduler_config replaces the model\'s scheduler/scheduler_config.json with it '
                    'and names no sampler. Images: raw little-endian float32, NHWC, in [0,1]. Made by '
                    'libs/diffusion/scripts/make_dpm_single_references.py.'
                ),
                'diffusers': diffusers.__version__,
                'torch': torch.__version__,
                'harness_check': harness_check,
                'runs': runs,
            },
            f,
            indent=1,
            allow_nan=False,
        )


if __name__ == '__main__':
    main()
