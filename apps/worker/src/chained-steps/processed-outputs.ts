import type { ResolvedGeneration, StoredOutput } from '@atelier/contracts';
import { encodeOutput } from '@atelier/diffusion';
import type { PixelImage } from '@atelier/upscaling';

export interface ProcessedImage {
  readonly generationId: string;
  /** Its index among the generation's outputs. */
  readonly index: number;
  /** The base image it was made from. */
  readonly sourceIndex: number;
  readonly kind: 'upscaled' | 'restored';
  readonly image: PixelImage;
  readonly baseWidth: number;
  readonly seed: number;
  /** The base image's infotext; the chained steps are appended in A1111's extras wording. */
  readonly infotext: string;
  readonly request: Pick<ResolvedGeneration, 'face_restore' | 'upscale' | 'output_format' | 'output_quality'>;
}

/** A1111's infotext entries for the steps ("Face restoration: …", "Postprocess upscaler: …"). */
export function chainedStepsInfotext(request: ProcessedImage['request'], scale: number): string {
  const entries: string[] = [];
  if (request.face_restore) entries.push(`Face restoration: ${request.face_restore.model}`, `Face restoration fidelity: ${request.face_restore.fidelity}`);
  if (request.upscale) entries.push(`Postprocess upscale by: ${scale}`, `Postprocess upscaler: ${request.upscale.model}`);
  return entries.join(', ');
}

/** Encodes and stores an image after the chained steps as `generations/{id}/{kind}-{source}.{ext}`, labelled with its base image. */
export async function storeProcessedImage(processed: ProcessedImage, put: (key: string, bytes: Buffer, contentType: string) => Promise<void>): Promise<StoredOutput> {
  const { image, request } = processed;
  const rgb = image.channels === 3 ? image.data : dropAlpha(image);
  const base = processed.infotext;
  const scale = request.upscale?.scale ?? image.width / processed.baseWidth;
  const infotext = `${base}, ${chainedStepsInfotext(request, request.upscale ? scale : 1)}`;
  const encoded = await encodeOutput(rgb, image.width, image.height, request.output_format, request.output_quality, infotext);
  const key = `generations/${processed.generationId}/${processed.kind}-${processed.sourceIndex}.${encoded.extension}`;
  await put(key, encoded.bytes, encoded.contentType);
  return { index: processed.index, kind: processed.kind, source_index: processed.sourceIndex, key, seed: processed.seed, width: image.width, height: image.height, content_type: encoded.contentType };
}

function dropAlpha(image: PixelImage): Uint8Array {
  const out = new Uint8Array(image.width * image.height * 3);
  for (let i = 0, j = 0; i < image.data.length; i += 4, j += 3) {
    out[j] = image.data[i];
    out[j + 1] = image.data[i + 1];
    out[j + 2] = image.data[i + 2];
  }
  return out;
}

