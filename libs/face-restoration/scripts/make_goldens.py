"""Goldens for @atelier/face-restoration, computed independently of the TypeScript code.

similarity: skimage's `_umeyama` (SVD, reflection-corrected), re-typed here so that only numpy is
needed, on landmark sets rotated, scaled, shifted and jittered onto the FFHQ 512 template.
scrfd: insightface's SCRFD.detect/forward/nms (python-package/insightface/model_zoo/scrfd.py)
on sparse raw heads for a 640x640 input, 9-output layout (strides 8/16/32, 2 anchors).

Run: python3 scripts/make_goldens.py > fixtures/goldens.json
"""
import json

import numpy as np

TEMPLATE = np.array([[192.98138, 239.94708], [318.90277, 240.1936], [256.63416, 314.01935],
                     [201.26117, 371.41043], [313.08905, 371.15118]])


def umeyama(src, dst, estimate_scale=True):
    num, dim = src.shape
    src_mean = src.mean(axis=0)
    dst_mean = dst.mean(axis=0)
    src_demean = src - src_mean
    dst_demean = dst - dst_mean
    A = dst_demean.T @ src_demean / num
    d = np.ones((dim,), dtype=np.float64)
    if np.linalg.det(A) < 0:
        d[dim - 1] = -1
    T = np.eye(dim + 1, dtype=np.float64)
    U, S, V = np.linalg.svd(A)
    rank = np.linalg.matrix_rank(A)
    if rank == dim - 1:
        if np.linalg.det(U) * np.linalg.det(V) > 0:
            T[:dim, :dim] = U @ V
        else:
            s = d[dim - 1]
            d[dim - 1] = -1
            T[:dim, :dim] = U @ np.diag(d) @ V
            d[dim - 1] = s
    else:
        T[:dim, :dim] = U @ np.diag(d) @ V
    scale = 1.0 / src_demean.var(axis=0).sum() * (S @ d) if estimate_scale else 1.0
    T[:dim, dim] = dst_mean - scale * (T[:dim, :dim] @ src_mean.T)
    T[:dim, :dim] *= scale
    return T[:2]


def similarity_cases():
    rng = np.random.default_rng(15)
    cases = []
    for angle, scale, shift, jitter in [(0, 1, (0, 0), 0), (12, 0.35, (400, 220), 1.5), (-33, 0.8, (-50, 90), 3.0),
                                        (170, 1.7, (900, 40), 0.5), (5, 0.12, (1500, 1100), 4.0)]:
        t = np.deg2rad(angle)
        rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
        landmarks = (TEMPLATE - 256) @ rot.T * scale + np.array(shift) + 256 * scale + rng.normal(0, jitter, TEMPLATE.shape)
        cases.append({'landmarks': landmarks.tolist(), 'matrix': umeyama(landmarks, TEMPLATE).tolist()})
    return cases


def distance2bbox(points, distance):
    return np.stack([points[:, 0] - distance[:, 0], points[:, 1] - distance[:, 1],
                     points[:, 0] + distance[:, 2], points[:, 1] + distance[:, 3]], axis=-1)


def distance2kps(points, distance):
    preds = []
    for i in range(0, distance.shape[1], 2):
        preds.append(points[:, i % 2] + distance[:, i])
        preds.append(points[:, i % 2 + 1] + distance[:, i + 1])
    return np.stack(preds, axis=-1)


def nms(dets, thresh):
    x1, y1, x2, y2, scores = dets[:, 0], dets[:, 1], dets[:, 2], dets[:, 3], dets[:, 4]
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = scores.argsort()[::-1]
    keep = []
    while order.size > 0:
        i = order[0]
        keep.append(i)
        xx1 = np.maximum(x1[i], x1[order[1:]])
        yy1 = np.maximum(y1[i], y1[order[1:]])
        xx2 = np.minimum(x2[i], x2[order[1:]])
        yy2 = np.minimum(y2[i], y2[order[1:]])
        w = np.maximum(0.0, xx2 - xx1 + 1)
        h = np.maximum(0.0, yy2 - yy1 + 1)
        inter = w * h
        ovr = inter / (areas[i] + areas[order[1:]] - inter)
        inds = np.where(ovr <= thresh)[0]
        order = order[inds + 1]
    return keep


def scrfd_case(image_size, entries, thresh=0.5, nms_thresh=0.4, input_size=(640, 640)):
    """entries: (stride, index, score, [4 box distances], [10 kps offsets]) in stride units."""
    strides, fmc, num_anchors = [8, 16, 32], 3, 2
    img_w, img_h = image_size
    im_ratio = float(img_h) / img_w
    model_ratio = float(input_size[1]) / input_size[0]
    if im_ratio > model_ratio:
        new_height = input_size[1]
        new_width = int(new_height / im_ratio)
    else:
        new_width = input_size[0]
        new_height = int(new_width * im_ratio)
    det_scale = float(new_height) / img_h
    net_outs = []
    for kind, width in (('score', 1), ('bbox', 4), ('kps', 10)):
        for stride in strides:
            n = (input_size[1] // stride) * (input_size[0] // stride) * num_anchors
            out = np.zeros((n, width), dtype=np.float32)
            for s, index, score, box, kps in entries:
                if s == stride:
                    out[index] = {'score': [score], 'bbox': box, 'kps': kps}[kind]
            net_outs.append(out)
    scores_list, bboxes_list, kpss_list = [], [], []
    for idx, stride in enumerate(strides):
        scores = net_outs[idx]
        bbox_preds = net_outs[idx + fmc] * stride
        kps_preds = net_outs[idx + fmc * 2] * stride
        height = input_size[1] // stride
        width = input_size[0] // stride
        anchor_centers = np.stack(np.mgrid[:height, :width][::-1], axis=-1).astype(np.float32)
        anchor_centers = (anchor_centers * stride).reshape((-1, 2))
        anchor_centers = np.stack([anchor_centers] * num_anchors, axis=1).reshape((-1, 2))
        pos_inds = np.where(scores >= thresh)[0]
        bboxes = distance2bbox(anchor_centers, bbox_preds)
        scores_list.append(scores[pos_inds])
        bboxes_list.append(bboxes[pos_inds])
        kpss = distance2kps(anchor_centers, kps_preds).reshape((-1, 5, 2))
        kpss_list.append(kpss[pos_inds])
    scores = np.vstack(scores_list)
    order = scores.ravel().argsort()[::-1]
    bboxes = np.vstack(bboxes_list) / det_scale
    kpss = np.vstack(kpss_list) / det_scale
    pre_det = np.hstack((bboxes, scores)).astype(np.float32, copy=False)[order, :]
    keep = nms(pre_det, nms_thresh)
    det = pre_det[keep, :]
    kpss = kpss[order, :, :][keep, :, :]
    return {
        'imageSize': [img_w, img_h],
        'resized': [new_width, new_height, det_scale],
        'entries': [{'stride': s, 'index': i, 'score': sc, 'box': b, 'landmarks': k} for s, i, sc, b, k in entries],
        'faces': [{'box': d[:4].tolist(), 'score': float(d[4]), 'landmarks': kp.tolist()} for d, kp in zip(det, kpss)],
    }


def kps_for(box):
    # Plausible landmark offsets inside a box given as distances (l, t, r, b) from the anchor.
    l, t, r, b = box
    return [-0.4 * l, -0.3 * t, 0.4 * r, -0.3 * t, 0.0, 0.1 * b, -0.3 * l, 0.5 * b, 0.3 * r, 0.5 * b]


def scrfd_cases():
    a = [2.0, 2.5, 2.2, 3.0]
    b = [1.5, 1.5, 1.5, 1.8]
    c = [2.1, 2.4, 2.3, 3.1]
    d = [1.0, 1.2, 1.1, 1.4]
    entries = [
        (8, 2 * (20 * 80 + 30), 0.91, a, kps_for(a)),           # a face at (240, 160)
        (8, 2 * (20 * 80 + 30) + 1, 0.85, c, kps_for(c)),       # same place, other anchor: suppressed
        (16, 2 * (25 * 40 + 10) + 1, 0.77, b, kps_for(b)),      # a second face
        (32, 2 * (5 * 20 + 15), 0.63, d, kps_for(d)),           # a third, coarse stride
        (32, 2 * (12 * 20 + 3), 0.42, d, kps_for(d)),           # below the threshold
    ]
    return [scrfd_case((1280, 960), entries), scrfd_case((480, 800), entries), scrfd_case((640, 640), entries)]


def resize_cases():
    out = []
    for w, h in [(1280, 960), (480, 800), (640, 640), (1000, 333), (333, 1000), (1921, 1081)]:
        c = scrfd_case((w, h), [])
        out.append({'imageSize': [w, h], 'resized': c['resized']})
    return out


if __name__ == '__main__':
    print(json.dumps({'similarity': similarity_cases(), 'scrfd': scrfd_cases(), 'resize': resize_cases()}, indent=1))
