import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** libs/face-restoration/fixtures, from src/testing or dist/testing alike. */
export const FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures');

export interface ScrfdGolden {
  readonly imageSize: [number, number];
  readonly resized: [number, number, number];
  readonly entries: { stride: number; index: number; score: number; box: number[]; landmarks: number[] }[];
  readonly faces: { box: [number, number, number, number]; score: number; landmarks: [number, number][] }[];
}

export interface Goldens {
  readonly similarity: { landmarks: [number, number][]; matrix: [[number, number, number], [number, number, number]] }[];
  readonly scrfd: ScrfdGolden[];
  readonly resize: { imageSize: [number, number]; resized: [number, number, number] }[];
}

/** The goldens made offline by scripts/make_goldens.py (numpy; insightface's decoding re-typed). */
export async function readGoldens(): Promise<Goldens> {
  return JSON.parse(await readFile(path.join(FIXTURES_DIR, 'goldens.json'), 'utf8')) as Goldens;
}

export interface PasteGolden {
  readonly size: number;
  readonly width: number;
  readonly height: number;
  readonly landmarks: [number, number][];
  readonly affine: [[number, number, number], [number, number, number]];
  readonly wEdge: number;
  /** cv2.warpAffine of a ones mask, the eroded + blurred soft mask, and the warped face (HWC RGB). */
  readonly invMask: Float32Array;
  readonly softMask: Float32Array;
  readonly invFace: Float32Array;
}

async function readF32(file: string): Promise<Float32Array> {
  const bytes = await readFile(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** facexlib's paste-back steps run with OpenCV on float32 by scripts/make_paste_goldens.py. */
export async function readPasteGolden(): Promise<PasteGolden> {
  const folder = path.join(FIXTURES_DIR, 'paste');
  const meta = JSON.parse(await readFile(path.join(folder, 'meta.json'), 'utf8')) as Omit<PasteGolden, 'invMask' | 'softMask' | 'invFace'>;
  return {
    ...meta,
    invMask: await readF32(path.join(folder, 'inv-mask.f32')),
    softMask: await readF32(path.join(folder, 'soft-mask.f32')),
    invFace: await readF32(path.join(folder, 'inv-face.f32')),
  };
}
