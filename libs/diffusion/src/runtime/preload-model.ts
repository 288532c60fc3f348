import type { LoadedModel } from '../models/loaded-model.js';
import type { SessionPool } from './session-pool.js';

export interface PreloadReport {
  /** The component files loaded (or found already loaded), in load order. */
  readonly components: readonly string[];
  readonly seconds: number;
}

/**
 * Opens every session a plain text-to-image job of `model` needs (text encoders, UNet, VAE
 * decoder), so the first job does not pay for loading them. The VAE encoder is left for the first
 * image-to-image job. The sessions stay in the pool as idle entries: the byte budget still decides
 * what is kept.
 */
export async function preloadModel(pool: SessionPool, model: LoadedModel): Promise<PreloadReport> {
  const started = performance.now();
  const { textEncoder, textEncoder2, unet, vaeDecoder } = model.folder.components;
  const components = [textEncoder, textEncoder2, unet, vaeDecoder].filter((file): file is string => file !== undefined);
  const leases = [];
  try {
    for (const file of components) leases.push(await pool.acquire(file));
  } finally {
    for (const lease of leases) lease.release();
  }
  return { components, seconds: (performance.now() - started) / 1000 };
}
