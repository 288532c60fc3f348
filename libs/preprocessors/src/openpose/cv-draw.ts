/**
 * The OpenCV drawing primitives the pose renderers use, reproduced pixel for pixel (8-connected,
 * no anti-aliasing, shift 0): ellipse2Poly, fillConvexPoly (with its outline), line and a filled
 * circle.
 */
export interface Canvas {
  readonly width: number;
  readonly height: number;
  /** RGB, row-major */
  readonly data: Uint8Array;
}

export type Colour = readonly [number, number, number];
export type Point = readonly [number, number];

/** OpenCV's SinTable: sin of whole degrees 0..450, stored as 7-decimal float literals. */
const SIN_TABLE = Float32Array.from({ length: 451 }, (_, degrees) => Number(Math.sin((degrees * Math.PI) / 180).toFixed(7)));

/** cvRound: nearest, halves to even (lrint). */
function cvRound(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

export function ellipse2Poly(center: Point, axes: Point, angle: number, arcStart: number, arcEnd: number, delta: number): Point[] {
  let rotation = angle;
  while (rotation < 0) rotation += 360;
  while (rotation > 360) rotation -= 360;
  let start = Math.min(arcStart, arcEnd);
  let end = Math.max(arcStart, arcEnd);
  while (start < 0) {
    start += 360;
    end += 360;
  }
  while (end > 360) {
    end -= 360;
    start -= 360;
  }
  if (end - start > 360) {
    start = 0;
    end = 360;
  }
  const alpha = SIN_TABLE[450 - rotation]; // cos
  const beta = SIN_TABLE[rotation]; // sin
  const points: Point[] = [];
  for (let i = start; i < end + delta; i += delta) {
    let a = i > end ? end : i;
    if (a < 0) a += 360;
    const x = axes[0] * SIN_TABLE[450 - a];
    const y = axes[1] * SIN_TABLE[a];
    const point: Point = [cvRound(center[0] + x * alpha - y * beta), cvRound(center[1] + x * beta + y * alpha)];
    const previous = points[points.length - 1];
    if (!previous || previous[0] !== point[0] || previous[1] !== point[1]) points.push(point);
  }
  if (points.length === 1) return [center, center];
  return points;
}

function put(canvas: Canvas, x: number, y: number, colour: Colour): void {
  if (x < 0 || y < 0 || x >= canvas.width || y >= canvas.height) return;
  const at = (y * canvas.width + x) * 3;
  canvas.data[at] = colour[0];
  canvas.data[at + 1] = colour[1];
  canvas.data[at + 2] = colour[2];
}

function hline(canvas: Canvas, y: number, x1: number, x2: number, colour: Colour): void {
  for (let x = x1; x <= x2; x++) put(canvas, x, y, colour);
}

/** cv2.line, 8-connected Bresenham as LineIterator walks it (left to right). */
export function line(canvas: Canvas, from: Point, to: Point, colour: Colour): void {
  let [x0, y0] = from;
  let [x1, y1] = to;
  if (x1 < x0) [x0, y0, x1, y1] = [x1, y1, x0, y0];
  let dx = x1 - x0;
  let dy = Math.abs(y1 - y0);
  const stepY = y1 < y0 ? -1 : 1;
  const steep = dy > dx;
  if (steep) [dx, dy] = [dy, dx];
  let err = dx - 2 * dy;
  let x = x0;
  let y = y0;
  for (let i = 0; i <= dx; i++) {
    put(canvas, x, y, colour);
    const minor = err < 0;
    err += -2 * dy + (minor ? 2 * dx : 0);
    if (steep) {
      y += stepY;
      if (minor) x += 1;
    } else {
      x += 1;
      if (minor) y += stepY;
    }
  }
}

/** cv2.fillConvexPoly(img, points, colour) with the default 8-connected line type and shift 0. */
export function fillConvexPoly(canvas: Canvas, points: readonly Point[], colour: Colour): void {
  const n = points.length;
  const SHIFT = 16;
  const ONE = 1 << SHIFT;
  let imin = 0;
  let xmin = points[0][0];
  let xmax = xmin;
  let ymin = points[0][1];
  let ymax = ymin;
  let previous = points[n - 1];
  for (let i = 0; i < n; i++) {
    const p = points[i];
    if (p[1] < ymin) {
      ymin = p[1];
      imin = i;
    }
    ymax = Math.max(ymax, p[1]);
    xmax = Math.max(xmax, p[0]);
    xmin = Math.min(xmin, p[0]);
    line(canvas, previous, p, colour);
    previous = p;
  }
  if (n < 3 || xmax < 0 || ymax < 0 || xmin >= canvas.width || ymin >= canvas.height) return;
  ymax = Math.min(ymax, canvas.height - 1);
  const edges = [
    { idx: imin, di: 1, x: -ONE, dx: 0, ye: ymin },
    { idx: imin, di: n - 1, x: -ONE, dx: 0, ye: ymin },
  ];
  let remaining = n;
  let y = ymin;
  do {
    for (const edge of edges) {
      if (y < edge.ye) continue;
      let idx0 = edge.idx;
      let idx = idx0 + edge.di;
      if (idx >= n) idx -= n;
      for (; remaining-- > 0; ) {
        const ty = points[idx][1];
        if (ty > y) {
          const xs = points[idx0][0] * ONE;
          const xe = points[idx][0] * ONE;
          edge.ye = ty;
          // C integer division truncates toward zero
          edge.dx = Math.trunc(((xe - xs) * 2 + (ty - y)) / (2 * (ty - y)));
          edge.x = xs;
          edge.idx = idx;
          break;
        }
        idx0 = idx;
        idx += edge.di;
        if (idx >= n) idx -= n;
      }
    }
    if (remaining < 0) break;
    if (y >= 0) {
      const [left, right] = edges[0].x > edges[1].x ? [edges[1], edges[0]] : [edges[0], edges[1]];
      let x1 = Math.floor((left.x + ONE / 2) / ONE);
      let x2 = Math.floor((right.x + ONE / 2) / ONE);
      if (x2 >= 0 && x1 < canvas.width) {
        if (x1 < 0) x1 = 0;
        if (x2 >= canvas.width) x2 = canvas.width - 1;
        hline(canvas, y, x1, x2, colour);
      }
    }
    edges[0].x += edges[0].dx;
    edges[1].x += edges[1].dx;
  } while (++y <= ymax);
}

/** cv2.circle(img, centre, radius, colour, thickness=-1): OpenCV's integer midpoint circle, filled. */
export function fillCircle(canvas: Canvas, center: Point, radius: number, colour: Colour): void {
  const [cx, cy] = center;
  let err = 0;
  let dx = radius;
  let dy = 0;
  let plus = 1;
  let minus = (radius << 1) - 1;
  while (dx >= dy) {
    const y11 = cy - dy;
    const y12 = cy + dy;
    const y21 = cy - dx;
    const y22 = cy + dx;
    const x11 = Math.max(cx - dx, 0);
    const x12 = Math.min(cx + dx, canvas.width - 1);
    const x21 = Math.max(cx - dy, 0);
    const x22 = Math.min(cx + dy, canvas.width - 1);
    if (cx - dx < canvas.width && cx + dx >= 0 && y21 < canvas.height && y22 >= 0) {
      for (const yy of [y11, y12]) if (yy >= 0 && yy < canvas.height) hline(canvas, yy, x11, x12, colour);
      if (cx - dy < canvas.width && cx + dy >= 0) {
        for (const yy of [y21, y22]) if (yy >= 0 && yy < canvas.height) hline(canvas, yy, x21, x22, colour);
      }
    }
    dy++;
    err += plus;
    plus += 2;
    if (err > 0) {
      err -= minus;
      dx--;
      minus -= 2;
    }
  }
}
