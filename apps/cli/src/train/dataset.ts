import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ZipEntry } from './zip-writer.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp']);
const CAPTION_EXTENSION = '.txt';

export interface Dataset {
  readonly entries: readonly ZipEntry[];
  readonly images: number;
  readonly captions: number;
  /** Images without a `<name>.txt` caption beside them (the trigger word alone describes them). */
  readonly uncaptioned: readonly string[];
}

async function walk(dir: string, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) found.push(...(await walk(path.join(dir, entry.name), relative)));
    else if (entry.isFile()) found.push(relative);
  }
  return found.sort();
}

/** The kohya/diffusers layout: `name.png` with an optional `name.txt` caption, in DIR or below. */
export async function readDataset(dir: string): Promise<Dataset> {
  const files = await walk(dir);
  const images = files.filter((file) => IMAGE_EXTENSIONS.has(path.extname(file).toLowerCase()));
  if (images.length === 0) throw new Error(`${dir} has no images (${[...IMAGE_EXTENSIONS].join(', ')})`);
  const stems = new Set(images.map((file) => file.slice(0, -path.extname(file).length)));
  const captions = files.filter((file) => path.extname(file).toLowerCase() === CAPTION_EXTENSION && stems.has(file.slice(0, -CAPTION_EXTENSION.length)));
  const captioned = new Set(captions.map((file) => file.slice(0, -CAPTION_EXTENSION.length)));
  const entries = await Promise.all(
    [...images, ...captions].sort().map(async (name): Promise<ZipEntry> => {
      const full = path.join(dir, ...name.split('/'));
      const [data, info] = await Promise.all([readFile(full), stat(full)]);
      return { name, data, modified: info.mtime };
    }),
  );
  return {
    entries,
    images: images.length,
    captions: captions.length,
    uncaptioned: images.filter((file) => !captioned.has(file.slice(0, -path.extname(file).length))),
  };
}
