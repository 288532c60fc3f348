"""Golden values for @atelier/segmentation, computed offline with transformers' SAM processors
(SamImageProcessorPil: PIL bilinear resize, ImageNet mean/std, zero padding; post_process_masks:
torch bilinear up to 1024, crop, bilinear down to the original size; SamProcessor's coordinate
normalisation) and segment-anything's ResizeLongestSide formulas. Tests read the JSON; they never
run Python. Run: python3 libs/segmentation/scripts/make_sam_goldens.py
"""
import hashlib
import json
import math
import os

import numpy as np
import torch
from transformers import SamImageProcessorPil, SamProcessor

OUT = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'sam-goldens.json')


def source_image(width, height):
    # Integer formula mirrored by the tests (fixtures.ts: patternImage).
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([(x * 7 + y * 13 + c * 50 + (x * y) % 17) % 256 for c in range(3)], -1).astype(np.uint8)


def low_res_logits(index):
    # Float formula mirrored by the tests (fixtures.ts: lowResLogits): smooth with sign changes.
    y, x = np.mgrid[0:256, 0:256].astype(np.float64)
    values = np.sin(x / (9.0 + index)) * 4.0 + np.cos(y / (13.0 + index)) * 3.0 - 1.0 + (x - y) / 128.0
    return values.astype(np.float32)


def sample_points(count, width, height, seed):
    rng = np.random.default_rng(seed)
    return [[int(rng.integers(0, width)), int(rng.integers(0, height))] for _ in range(count)]


def preprocess_case(processor, width, height):
    image = source_image(width, height)
    out = processor(image, return_tensors='np')
    pixels = out['pixel_values'][0].astype(np.float32)
    new_h, new_w = (int(v) for v in out['reshaped_input_sizes'][0])
    # The resized uint8 image, recovered exactly from the normalised tensor.
    mean = np.array([0.485, 0.456, 0.406], dtype=np.float64)[:, None, None]
    std = np.array([0.229, 0.224, 0.225], dtype=np.float64)[:, None, None]
    resized = np.rint((pixels[:, :new_h, :new_w].astype(np.float64) * std + mean) * 255).astype(np.uint8)
    samples = []
    rng = np.random.default_rng(width * 10007 + height)
    for _ in range(48):
        c, yy, xx = int(rng.integers(0, 3)), int(rng.integers(0, 1024)), int(rng.integers(0, 1024))
        samples.append([c, yy, xx, float(pixels[c, yy, xx])])
    return {
        'width': width,
        'height': height,
        'resized': [new_w, new_h],
        'resized_rgb_sha256': hashlib.sha256(np.ascontiguousarray(resized.transpose(1, 2, 0)).tobytes()).hexdigest(),
        'channel_sums': [float(pixels[c].astype(np.float64).sum()) for c in range(3)],
        'samples': samples,
    }


def coords_case(processor, width, height):
    points = sample_points(6, width, height, width * 31 + height)
    normalised = processor._normalize_coordinates(1024, np.array(points, dtype=np.float64), (height, width))
    return {'width': width, 'height': height, 'points': points, 'transformed': normalised.tolist()}


def postprocess_case(image_processor, width, height, index):
    logits = low_res_logits(index)
    new_h, new_w = image_processor._get_preprocess_shape((height, width), 1024)
    masks = image_processor.post_process_masks(
        [torch.from_numpy(logits)[None, None]], [[height, width]], [[new_h, new_w]], binarize=False
    )[0][0, 0].numpy()
    rng = np.random.default_rng(index * 7 + width)
    samples = [[int(y), int(x), float(masks[y, x])] for y, x in ((rng.integers(0, height), rng.integers(0, width)) for _ in range(40))]
    return {
        'width': width,
        'height': height,
        'index': index,
        'positives': int((masks > 0).sum()),
        'sum': float(masks.astype(np.float64).sum()),
        'samples': samples,
    }


def main():
    image_processor = SamImageProcessorPil()
    processor = SamProcessor(image_processor=image_processor)
    sizes = [(37, 23), (1500, 900), (600, 1000), (1024, 1024), (2048, 300), (5, 7)]
    goldens = {
        'pixel_mean': [0.485 * 255, 0.456 * 255, 0.406 * 255],
        'preprocess': [preprocess_case(image_processor, w, h) for w, h in sizes],
        'coords': [coords_case(processor, w, h) for w, h in sizes],
        'postprocess': [postprocess_case(image_processor, w, h, i) for i, (w, h) in enumerate([(300, 200), (77, 1200), (1024, 1024), (2048, 300), (5, 7)])],
    }
    with open(OUT, 'w') as f:
        json.dump(goldens, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
