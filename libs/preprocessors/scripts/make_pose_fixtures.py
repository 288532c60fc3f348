"""Offline generator of the pose-drawing goldens (never run by `npm test`): people as normalised
OpenPose-18 keypoints, drawn with OpenCV's own primitives using the parameters of ControlNet's
draw_bodypose (limb ellipses of half-width 4 from ellipse2Poly with 1-degree steps, filled with
fillConvexPoly, limbs dimmed to 60%, radius-4 filled circles), written as PNG + poses.json."""
import json, math, os
import cv2
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'openpose')
COLOURS = [[255, 0, 0], [255, 85, 0], [255, 170, 0], [255, 255, 0], [170, 255, 0], [85, 255, 0], [0, 255, 0],
           [0, 255, 85], [0, 255, 170], [0, 255, 255], [0, 170, 255], [0, 85, 255], [0, 0, 255], [85, 0, 255],
           [170, 0, 255], [255, 0, 255], [255, 0, 170], [255, 0, 85]]
LIMBS = [[2, 3], [2, 6], [3, 4], [4, 5], [6, 7], [7, 8], [2, 9], [9, 10], [10, 11], [2, 12], [12, 13], [13, 14],
         [2, 1], [1, 15], [15, 17], [1, 16], [16, 18]]


def draw(people, W, H, faces=()):
    canvas = np.zeros((H, W, 3), np.uint8)
    for i, (a, b) in enumerate(LIMBS):
        for person in people:
            p, q = person[a - 1], person[b - 1]
            if p is None or q is None:
                continue
            Y = np.array([p[0], q[0]]) * float(W)
            X = np.array([p[1], q[1]]) * float(H)
            length = ((X[0] - X[1]) ** 2 + (Y[0] - Y[1]) ** 2) ** 0.5
            angle = math.degrees(math.atan2(X[0] - X[1], Y[0] - Y[1]))
            poly = cv2.ellipse2Poly((int(np.mean(Y)), int(np.mean(X))), (int(length / 2), 4), int(angle), 0, 360, 1)
            cv2.fillConvexPoly(canvas, poly, COLOURS[i])
    canvas = (canvas * 0.6).astype(np.uint8)
    for k in range(18):
        for person in people:
            if person[k] is None:
                continue
            cv2.circle(canvas, (int(person[k][0] * W), int(person[k][1] * H)), 4, COLOURS[k], thickness=-1)
    for face in faces:  # draw_facepose: white radius-3 discs, skipped at x or y <= eps after int()
        for p in face:
            if p is None:
                continue
            x, y = int(p[0] * W), int(p[1] * H)
            if x > 0.01 and y > 0.01:
                cv2.circle(canvas, (x, y), 3, (255, 255, 255), thickness=-1)
    return canvas


def person(rng, cx, cy, s, missing=()):
    base = [(0, -0.42), (0, -0.3), (-0.12, -0.3), (-0.2, -0.1), (-0.24, 0.08), (0.12, -0.3), (0.2, -0.1), (0.25, 0.1),
            (-0.07, 0.05), (-0.09, 0.3), (-0.1, 0.52), (0.07, 0.05), (0.09, 0.3), (0.1, 0.52),
            (-0.03, -0.45), (0.03, -0.45), (-0.06, -0.43), (0.06, -0.43)]
    pts = []
    for k, (dx, dy) in enumerate(base):
        if k in missing:
            pts.append(None)
            continue
        pts.append([cx + s * dx + rng.normal(0, 0.01), cy + s * dy + rng.normal(0, 0.01)])
    return pts


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(3)
    cases = [
        ('one-person', 128, 160, [person(rng, 0.5, 0.5, 0.9)]),
        ('two-people-missing', 192, 128, [person(rng, 0.3, 0.5, 0.8, missing=(4, 16)), person(rng, 0.72, 0.55, 0.7, missing=(9, 10))]),
        ('near-border', 96, 96, [person(rng, 0.08, 0.5, 1.0)]),
    ]
    face = [[0.5 + 0.12 * math.cos(t) + rng.normal(0, 0.004), 0.16 + 0.1 * math.sin(t)] for t in np.linspace(0, 6.0, 68)]
    face[5] = None
    face[6] = [0.0, 0.2]  # column 0: skipped
    cases.append(('one-person-face', 128, 160, [person(rng, 0.5, 0.5, 0.9)], [face]))
    manifest = []
    for case in cases:
        name, W, H, people = case[:4]
        faces = case[4] if len(case) > 4 else []
        canvas = draw(people, W, H, faces)
        cv2.imwrite(os.path.join(OUT, f'{name}.png'), canvas[:, :, ::-1])
        manifest.append({'name': name, 'width': W, 'height': H, 'people': people, 'faces': faces, 'file': f'{name}.png'})
    json.dump({'opencv': cv2.__version__, 'cases': manifest}, open(os.path.join(OUT, 'poses.json'), 'w'), indent=1)


main()
