"""Paste-back goldens: facexlib's FaceRestoreHelper.paste_faces_to_input_image steps, run with
OpenCV on float32 (upscale factor 1), for a 48x48 aligned face pasted into an 80x72 image.

Writes fixtures/paste/{meta.json, inv-mask.f32, soft-mask.f32, inv-face.f32} (little-endian float32,
row-major; inv-face is HWC RGB). Run: python3 scripts/make_paste_goldens.py
"""
import json
import os

import cv2
import numpy as np

from make_goldens import TEMPLATE, umeyama

SIZE, WIDTH, HEIGHT = 48, 80, 72
out_dir = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'paste')
os.makedirs(out_dir, exist_ok=True)

template = TEMPLATE * (SIZE / 512.0)
angle = np.deg2rad(-21)
rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
landmarks = (template - SIZE / 2) @ rot.T * 1.3 + np.array([41.3, 37.8])
affine = umeyama(landmarks, template)

inverse_affine = cv2.invertAffineTransform(affine)
yy, xx = np.mgrid[:SIZE, :SIZE].astype(np.float32)
face = np.stack([xx / SIZE * 255, yy / SIZE * 255, (xx + yy) / (2 * SIZE) * 255], axis=-1).astype(np.float32)
inv_face = cv2.warpAffine(face, inverse_affine, (WIDTH, HEIGHT))
mask = np.ones((SIZE, SIZE), dtype=np.float32)
inv_mask = cv2.warpAffine(mask, inverse_affine, (WIDTH, HEIGHT))
inv_mask_erosion = cv2.erode(inv_mask, np.ones((2, 2), np.uint8))
total_face_area = np.sum(inv_mask_erosion)
w_edge = int(total_face_area ** 0.5) // 20
erosion_radius = w_edge * 2
inv_mask_center = cv2.erode(inv_mask_erosion, np.ones((erosion_radius, erosion_radius), np.uint8))
blur_size = w_edge * 2
inv_soft_mask = cv2.GaussianBlur(inv_mask_center, (blur_size + 1, blur_size + 1), 0)

for name, array in [('inv-mask', inv_mask), ('soft-mask', inv_soft_mask), ('inv-face', inv_face)]:
    array.astype('<f4').tofile(os.path.join(out_dir, f'{name}.f32'))
with open(os.path.join(out_dir, 'meta.json'), 'w') as f:
    json.dump({'size': SIZE, 'width': WIDTH, 'height': HEIGHT, 'landmarks': landmarks.tolist(), 'affine': affine.tolist(),
               'wEdge': w_edge, 'opencv': cv2.__version__}, f, indent=1)
print('w_edge', w_edge, 'area', total_face_area)
