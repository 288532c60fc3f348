"""Offline generator of the canny golden fixtures (never run by `npm test`).

pip install opencv-python-headless numpy; python3 scripts/make_canny_fixtures.py
Writes fixtures/canny/<image>.png (the RGB input, after a JPEG round trip so it carries real
compression artefacts) and fixtures/canny/<image>-<low>-<high>.png (cv2.Canny on that RGB array,
exactly as controlnet_aux's CannyDetector calls it), plus manifest.json.
No real photos can be downloaded here: the scenes are synthetic but photo-like (smooth lighting,
fractal texture, soft and hard edges, sensor noise, JPEG), plus the controlnet-tiny-onnx init image.
"""
import json, os
import cv2
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'canny')
SHARED = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'shared', 'fixtures', 'controlnet-tiny-onnx', 'reference')
PAIRS = [(100, 200), (50, 150), (20, 80), (150, 250)]


def fractal(rng, h, w, octaves=6):
    out = np.zeros((h, w), np.float32)
    for o in range(octaves):
        cells = 2 ** (o + 2)
        small = rng.random((cells + 1, cells + 1)).astype(np.float32)
        out += cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC) / (1.6 ** o)
    out -= out.min(); out /= out.max()
    return out


def finish(rng, img, noise=4.0, quality=82):
    img = img + rng.normal(0, noise, img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    ok, jpg = cv2.imencode('.jpg', img[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(jpg, cv2.IMREAD_COLOR)[:, :, ::-1].copy()


def landscape(rng, h=192, w=256):
    y = np.linspace(0, 1, h)[:, None, None]
    sky = (1 - y) * np.array([90, 140, 220]) + y * np.array([200, 220, 240])
    img = np.broadcast_to(sky, (h, w, 3)).astype(np.float32).copy()
    ridge = (0.45 + 0.25 * fractal(rng, 1, w, 5)[0]) * h
    tex = fractal(rng, h, w)
    yy = np.arange(h)[:, None]
    mountain = yy > ridge[None, :]
    rock = np.stack([70 + 90 * tex, 80 + 80 * tex, 70 + 60 * tex], 2)
    img[mountain] = rock[mountain]
    ground = yy > 0.75 * h + 6 * np.sin(np.arange(w) / 17.0)[None, :]
    grass = np.stack([40 + 60 * tex, 110 + 90 * tex, 30 + 40 * tex], 2)
    img[ground] = grass[ground]
    cv2.circle(img, (200, 40), 18, (255, 240, 200), -1, cv2.LINE_AA)
    img = cv2.GaussianBlur(img, (0, 0), 0.8)
    return finish(rng, img)


def still_life(rng, h=192, w=256):
    tex = fractal(rng, h, w)
    x = np.linspace(0, 1, w)[None, :]
    wall = np.stack([150 + 40 * x + 20 * tex, 130 + 30 * x + 20 * tex, 110 + 20 * x + 20 * tex], 2)
    img = np.broadcast_to(wall, (h, w, 3)).astype(np.float32).copy()
    img[130:] = np.stack([100 + 30 * tex[130:], 70 + 20 * tex[130:], 40 + 15 * tex[130:]], 2)
    yy, xx = np.mgrid[0:h, 0:w]
    for cx, cy, r, col in [(80, 110, 34, (200, 40, 30)), (160, 118, 26, (230, 190, 40)), (210, 100, 20, (60, 140, 60))]:
        d = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2)
        inside = d < r
        shade = np.clip(1.1 - ((xx - cx + r / 2) ** 2 + (yy - cy + r / 2) ** 2) / (2.2 * r * r), 0.3, 1.2)
        obj = np.stack([col[0] * shade, col[1] * shade, col[2] * shade], 2)
        img[inside] = obj[inside]
    cv2.rectangle(img, (20, 20), (60, 70), (240, 240, 230), -1)
    cv2.rectangle(img, (24, 24), (56, 66), (60, 90, 150), -1)
    img = cv2.GaussianBlur(img, (0, 0), 1.0)
    return finish(rng, img, noise=3.0)


def street(rng, h=192, w=256):
    tex = fractal(rng, h, w)
    img = np.zeros((h, w, 3), np.float32)
    img[:] = np.stack([120 + 60 * tex, 120 + 60 * tex, 125 + 60 * tex], 2)
    for i, x0 in enumerate(range(0, w, 48)):
        top = int(30 + 50 * rng.random())
        col = np.array([150 + 80 * rng.random(), 110 + 80 * rng.random(), 90 + 80 * rng.random()])
        img[top:150, x0:x0 + 44] = col * (0.85 + 0.3 * tex[top:150, x0:x0 + 44, None])
        for wy in range(top + 8, 140, 18):
            for wx in range(x0 + 6, x0 + 40, 14):
                img[wy:wy + 10, wx:wx + 8] = (40, 50, 70) if rng.random() < 0.7 else (240, 220, 150)
    img[150:] = np.stack([60 + 30 * tex[150:]] * 3, 2)
    for x0 in range(10, w, 40):
        img[168:171, x0:x0 + 20] = (230, 230, 230)
    img = cv2.GaussianBlur(img, (0, 0), 0.7)
    return finish(rng, img, noise=5.0, quality=75)


def portrait(rng, h=256, w=192):
    tex = fractal(rng, h, w)
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([60 + 50 * tex, 70 + 40 * tex, 90 + 60 * tex], 2).astype(np.float32)
    face = ((xx - 96) / 48.0) ** 2 + ((yy - 100) / 62.0) ** 2 < 1
    light = np.clip(1.15 - (xx - 70) / 160.0, 0.6, 1.2)[..., None]
    skin = np.stack([225 * np.ones_like(tex), 180 + 10 * tex, 150 + 10 * tex], 2) * light
    img[face] = skin[face]
    body = (yy > 170) & (np.abs(xx - 96) < 30 + (yy - 170) * 0.9)
    img[body] = np.stack([40 + 20 * tex, 60 + 30 * tex, 120 + 40 * tex], 2)[body]
    for ex in (78, 114):
        cv2.ellipse(img, (ex, 92), (9, 5), 0, 0, 360, (250, 250, 250), -1, cv2.LINE_AA)
        cv2.circle(img, (ex, 92), 4, (60, 40, 30), -1, cv2.LINE_AA)
    cv2.ellipse(img, (96, 132), (16, 6), 0, 10, 170, (150, 60, 60), 2, cv2.LINE_AA)
    hair = (((xx - 96) / 54.0) ** 2 + ((yy - 80) / 52.0) ** 2 < 1) & (yy < 62 + 0.2 * np.abs(xx - 96))
    img[hair] = np.stack([50 + 40 * tex, 35 + 25 * tex, 20 + 15 * tex], 2)[hair]
    img = cv2.GaussianBlur(img, (0, 0), 1.2)
    return finish(rng, img, noise=3.5, quality=88)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(14)
    images = {'landscape': landscape(rng), 'still-life': still_life(rng), 'street': street(rng), 'portrait': portrait(rng)}
    init = cv2.imread(os.path.join(SHARED, 'init_64x64.png'), cv2.IMREAD_COLOR)
    if init is not None:
        images['controlnet-tiny-init'] = init[:, :, ::-1].copy()
    manifest = {'opencv': cv2.__version__, 'pairs': PAIRS, 'images': []}
    for name, rgb in images.items():
        cv2.imwrite(os.path.join(OUT, f'{name}.png'), rgb[:, :, ::-1])
        entry = {'name': name, 'width': rgb.shape[1], 'height': rgb.shape[0], 'maps': []}
        for low, high in PAIRS:
            edges = cv2.Canny(rgb, low, high)  # the RGB array as given, as CannyDetector does
            file = f'{name}-{low}-{high}.png'
            cv2.imwrite(os.path.join(OUT, file), edges)
            entry['maps'].append({'low': low, 'high': high, 'file': file, 'edgeFraction': float((edges > 0).mean())})
        # the grey path too (a 1-channel input to cv2.Canny)
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        cv2.imwrite(os.path.join(OUT, f'{name}-grey.png'), grey)
        edges = cv2.Canny(grey, 100, 200)
        cv2.imwrite(os.path.join(OUT, f'{name}-grey-100-200.png'), edges)
        entry['grey'] = {'file': f'{name}-grey.png', 'map': f'{name}-grey-100-200.png', 'low': 100, 'high': 200}
        manifest['images'].append(entry)
    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)


if __name__ == '__main__':
    main()
