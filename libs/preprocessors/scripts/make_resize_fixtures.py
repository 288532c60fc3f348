"""Offline generator of the resize golden fixtures (never run by `npm test`): cv2.resize of a
canny fixture image with each interpolation the annotators use, and PIL's Lanczos resize that
diffusers' control image processor applies."""
import json, os
import cv2
import numpy as np
from PIL import Image

HERE = os.path.dirname(__file__)
SRC = os.path.join(HERE, '..', 'fixtures', 'canny', 'landscape.png')
OUT = os.path.join(HERE, '..', 'fixtures', 'resize')
INTERP = {'linear': cv2.INTER_LINEAR, 'area': cv2.INTER_AREA, 'lanczos4': cv2.INTER_LANCZOS4}
CASES = [('linear', 75, 56), ('linear', 192, 144), ('linear', 48, 36), ('linear', 120, 90),
         ('area', 75, 56), ('area', 48, 36), ('area', 24, 18),
         ('lanczos4', 192, 144), ('lanczos4', 113, 85)]

def main():
    os.makedirs(OUT, exist_ok=True)
    rgb = cv2.imread(SRC, cv2.IMREAD_COLOR)[60:132, 80:176, ::-1].copy()  # 96x72, across the ridge
    cv2.imwrite(os.path.join(OUT, 'source.png'), rgb[:, :, ::-1])
    manifest = {'opencv': cv2.__version__, 'source': 'resize/source.png', 'cases': []}
    for interp, w, h in CASES:
        out = cv2.resize(rgb, (w, h), interpolation=INTERP[interp])
        file = f'{interp}-{w}x{h}.png'
        cv2.imwrite(os.path.join(OUT, file), out[:, :, ::-1])
        manifest['cases'].append({'kind': 'cv2', 'interpolation': interp, 'width': w, 'height': h, 'file': file})
    for w, h in [(75, 56), (144, 108)]:
        out = np.array(Image.fromarray(rgb).resize((w, h), Image.LANCZOS))
        file = f'pil-lanczos-{w}x{h}.png'
        cv2.imwrite(os.path.join(OUT, file), out[:, :, ::-1])
        manifest['cases'].append({'kind': 'pil', 'interpolation': 'lanczos', 'width': w, 'height': h, 'file': file})
    json.dump(manifest, open(os.path.join(OUT, 'manifest.json'), 'w'), indent=2)

main()
