"""Goldens for the IP-Adapter image preprocessing (libs/diffusion/src/ip-adapter/clip-image.ts).

Runs transformers' CLIPImageProcessor (the processor diffusers' IP-Adapter pipelines use as
`feature_extractor`, with the CLIP ViT defaults: shortest side 224 bicubic, centre crop 224,
rescale 1/255, CLIP mean/std) on synthetic images that the test rebuilds from the same integer
formula, and stores sampled values plus per-channel sums. Run: python3 make_clip_image_fixtures.py
"""
import json
import os

import numpy as np
import transformers
from PIL import Image
from transformers import CLIPImageProcessorPil

# (width, height): landscape downscale, portrait upscale, exact size, tiny upscale with odd crop,
# large downscales (3-4x: the anti-aliased kernel is wider).
SIZES = [(300, 180), (90, 160), (224, 224), (61, 47), (225, 400), (1000, 700), (640, 1280)]
SAMPLES = 400


def pixel(x, y, c):
    # Integer-only formula, rebuilt bit for bit in the test: gradients, a checker and a hash.
    return (x * 7 + y * 13 + c * 50 + ((x * y) % 17) * 5 + (((x // 9) + (y // 7)) % 2) * 40) % 256


def image(width, height):
    ys, xs = np.mgrid[0:height, 0:width]
    data = np.stack([pixel(xs, ys, c) for c in range(3)], axis=-1).astype(np.uint8)
    return Image.fromarray(data, 'RGB')


def main():
    # The PIL backend: what CLIPImageProcessor is in transformers 4.x and without torchvision in 5.x.
    processor = CLIPImageProcessorPil()  # defaults = openai/clip-vit-large-patch14's preprocessor_config.json
    cases = []
    for width, height in SIZES:
        values = processor(image(width, height), return_tensors='np').pixel_values[0].astype(np.float32)
        assert values.shape == (3, 224, 224)
        rng = np.random.default_rng(width * 1000 + height)
        flat = values.reshape(-1)
        indices = sorted(set(int(i) for i in rng.integers(0, flat.size, SAMPLES)))
        cases.append({
            'width': width,
            'height': height,
            'indices': indices,
            'values': [float(flat[i]) for i in indices],
            'channelSums': [float(values[c].astype(np.float64).sum()) for c in range(3)],
        })
    out = {
        'generator': 'libs/diffusion/scripts/make_clip_image_fixtures.py',
        'transformers': transformers.__version__,
        'processor': {k: v for k, v in processor.to_dict().items() if k in ('size', 'crop_size', 'resample', 'image_mean', 'image_std', 'rescale_factor')},
        'cases': cases,
    }
    target = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'ip-adapter', 'clip-image-goldens.json')
    with open(target, 'w') as f:
        json.dump(out, f)


if __name__ == '__main__':
    main()
