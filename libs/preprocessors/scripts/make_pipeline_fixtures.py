"""Offline generator of end-to-end control-map goldens (never run by `npm test`): the steps of
controlnet_aux's CannyDetector (HWC3, resize_image to detect_resolution with Lanczos-4/area,
cv2.Canny on the RGB array, HWC3, INTER_LINEAR to resize_image(image_resolution)'s size), written
here with cv2 from what that code does, then diffusers' control image processor resize (PIL
Lanczos) to the generation size. Also a float32 INTER_CUBIC resize (Depth Anything's input step)."""
import json, os
import cv2
import numpy as np
from PIL import Image

HERE = os.path.dirname(__file__)
OUT = os.path.join(HERE, '..', 'fixtures', 'pipeline')


def resize_image(img, resolution):
    H, W = img.shape[:2]
    k = float(resolution) / min(H, W)
    H = int(np.round(H * k / 64.0)) * 64
    W = int(np.round(W * k / 64.0)) * 64
    return cv2.resize(img, (W, H), interpolation=cv2.INTER_LANCZOS4 if k > 1 else cv2.INTER_AREA)


def canny_detector(rgb, low, high, detect_resolution, image_resolution):
    img = resize_image(rgb, detect_resolution)
    edges = cv2.Canny(img, low, high)
    edges = np.concatenate([edges[:, :, None]] * 3, axis=2)
    H, W = resize_image(img, image_resolution).shape[:2]
    return cv2.resize(edges, (W, H), interpolation=cv2.INTER_LINEAR)


def main():
    os.makedirs(OUT, exist_ok=True)
    rgb = cv2.imread(os.path.join(HERE, '..', 'fixtures', 'canny', 'street.png'), cv2.IMREAD_COLOR)[:, :, ::-1].copy()
    cases = []
    for name, detect, image_res, width, height in [('canny-704x512', 512, 512, 704, 512), ('canny-512x384', 512, 384, 512, 384),
                                                   ('canny-640x448', 512, 512, 640, 448), ('canny-detect256-512x384', 256, 384, 512, 384)]:
        detected = canny_detector(rgb, 100, 200, detect, image_res)
        final = np.array(Image.fromarray(detected).resize((width, height), Image.LANCZOS))
        assert (final[:, :, 0] == final[:, :, 1]).all() and (final[:, :, 0] == final[:, :, 2]).all()
        cv2.imwrite(os.path.join(OUT, f'{name}.png'), final[:, :, 0])  # grey: the three channels are equal
        cases.append({'name': name, 'detect_resolution': detect, 'image_resolution': image_res, 'width': width, 'height': height, 'file': f'{name}.png'})
    crop = rgb[40:70, 60:105].astype(np.float32) / 255.0  # 45x30
    cubic = cv2.resize(crop, (63, 42), interpolation=cv2.INTER_CUBIC)
    cubic.astype('<f4').tofile(os.path.join(OUT, 'cubic-63x42.f32'))
    json.dump({'opencv': cv2.__version__, 'source': 'canny/street.png', 'canny': cases,
               'cubic': {'crop': [60, 40, 45, 30], 'width': 63, 'height': 42, 'file': 'cubic-63x42.f32'}},
              open(os.path.join(OUT, 'manifest.json'), 'w'), indent=2)


main()
