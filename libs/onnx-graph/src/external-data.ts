import { literalByteLength, literalBytes, type TensorLiteral } from './tensor-literal.js';
import type { ExternalLocation } from './tensor-proto.js';

/**
 * How large initializers are moved to a side file, as torch.onnx / Optimum exports do for
 * models over the 2 GB protobuf limit (unet/model.onnx + unet/model.onnx_data).
 */
export interface ExternalDataOptions {
  /** File name written next to the model and stored in each tensor's `location` entry. */
  readonly location: string;
  /** Initializers of at least this many bytes go external (onnx's own default is 1024). */
  readonly thresholdBytes?: number;
  /** Offsets are padded to this multiple so the runtime can mmap tensors (onnx uses 4096). */
  readonly alignment?: number;
}

export interface ExternalDataPlan {
  readonly locations: ReadonlyMap<string, ExternalLocation>;
  readonly bytes: Uint8Array;
}

export function planExternalData(
  initializers: readonly { readonly name: string; readonly literal: TensorLiteral }[],
  options: ExternalDataOptions,
): ExternalDataPlan {
  const threshold = options.thresholdBytes ?? 1024;
  const alignment = options.alignment ?? 4096;
  if (!Number.isInteger(alignment) || alignment < 1) throw new Error(`invalid external data alignment ${alignment}`);

  const locations = new Map<string, ExternalLocation>();
  const chunks: { offset: number; bytes: Uint8Array }[] = [];
  let end = 0;
  for (const { name, literal } of initializers) {
    const length = literalByteLength(literal);
    if (length < threshold || length === 0) continue;
    const offset = Math.ceil(end / alignment) * alignment;
    locations.set(name, { location: options.location, offset, length });
    chunks.push({ offset, bytes: literalBytes(literal) });
    end = offset + length;
  }

  const bytes = new Uint8Array(end);
  for (const chunk of chunks) bytes.set(chunk.bytes, chunk.offset);
  return { locations, bytes };
}
