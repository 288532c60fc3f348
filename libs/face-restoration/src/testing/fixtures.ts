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
