"""Offline generator of the DWPose crop goldens (never run by `npm test`): RTMPose's top-down
affine (bbox → centre/scale with padding 1.25, aspect fixed to 288/384, a 3-point warp matrix
from cv2.getAffineTransform on float32 points, cv2.warpAffine INTER_LINEAR) of the street fixture
for a few boxes, written as PNG + boxes.json."""
import json, os
import cv2
import numpy as np

HERE = os.path.dirname(__file__)
OUT = os.path.join(HERE, '..', 'fixtures', 'warp')


def third(a, b):
    d = a - b
    return b + np.r_[-d[1], d[0]]


def crop(img, box, w=288, h=384):
    x1, y1, x2, y2 = box
    center = np.array([x1 + x2, y1 + y2]) * 0.5
    scale = np.array([x2 - x1, y2 - y1]) * 1.25
    sw, sh = scale
    scale = np.array([sw, sw / (w / h)]) if sw > sh * (w / h) else np.array([sh * (w / h), sh])
    src = np.zeros((3, 2), np.float32)
    src[0] = center
    src[1] = center + np.array([0., scale[0] * -0.5])
    src[2] = third(src[0], src[1])
    dst = np.zeros((3, 2), np.float32)
    dst[0] = [w * 0.5, h * 0.5]
    dst[1] = np.array([w * 0.5, h * 0.5]) + np.array([0., w * -0.5])
    dst[2] = third(dst[0], dst[1])
    m = cv2.getAffineTransform(np.float32(src), np.float32(dst))
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR), m


def main():
    os.makedirs(OUT, exist_ok=True)
    rgb = cv2.imread(os.path.join(HERE, '..', 'fixtures', 'canny', 'street.png'), cv2.IMREAD_COLOR)[:, :, ::-1].copy()
    cases = []
    for i, box in enumerate([[40.0, 20.0, 120.0, 180.0], [150.3, 60.7, 250.9, 191.2], [-10.0, -5.0, 60.0, 90.0]]):
        out, m = crop(rgb, box)
        cv2.imwrite(os.path.join(OUT, f'crop-{i}.png'), out[:, :, 0])  # the red channel: every channel is warped alike
        cases.append({'box': box, 'file': f'crop-{i}.png', 'matrix': m.tolist()})
    json.dump({'opencv': cv2.__version__, 'source': 'canny/street.png', 'cases': cases}, open(os.path.join(OUT, 'boxes.json'), 'w'), indent=1)


main()
