"""Offline generator of the scribble post-processing goldens (never run by `npm test`): a soft
edge map (a blurred cv2.Canny map of the landscape fixture, scaled like an edge probability),
then the annotators' scribble steps done with OpenCV: Gaussian blur σ 3 (float), kept where a
maximum along one of four 3-pixel lines (cv2.dilate), > 127 → 255, GaussianBlur σ 3 (uint8), > 4."""
import os
import cv2
import numpy as np

HERE = os.path.dirname(__file__)
OUT = os.path.join(HERE, '..', 'fixtures', 'scribble')
rgb = cv2.imread(os.path.join(HERE, '..', 'fixtures', 'canny', 'street.png'), cv2.IMREAD_COLOR)[:, :, ::-1].copy()
edges = cv2.Canny(rgb, 50, 150).astype(np.float32)
soft = np.clip(cv2.GaussianBlur(edges, (0, 0), 1.5) * 2.2, 0, 255).astype(np.uint8)
cv2.imwrite(os.path.join(OUT, 'soft.png'), soft)

x = cv2.GaussianBlur(soft.astype(np.float32), (0, 0), 3.0)
y = np.zeros_like(x)
for f in [np.array([[0, 0, 0], [1, 1, 1], [0, 0, 0]], np.uint8), np.array([[0, 1, 0], [0, 1, 0], [0, 1, 0]], np.uint8),
          np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], np.uint8), np.array([[0, 0, 1], [0, 1, 0], [1, 0, 0]], np.uint8)]:
    np.putmask(y, cv2.dilate(x, kernel=f) == x, x)
z = np.zeros_like(y, dtype=np.uint8)
z[y > 127] = 255
cv2.imwrite(os.path.join(OUT, 'thinned.png'), z)
s = cv2.GaussianBlur(z, (0, 0), 3.0)
s[s > 4] = 255
s[s < 255] = 0
cv2.imwrite(os.path.join(OUT, 'scribble.png'), s)
print((z > 0).mean(), (s > 0).mean())
