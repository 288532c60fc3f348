/** The side SAM's image encoder works at: the long side is resized to it, the short side padded. */
export const SAM_IMAGE_SIZE = 1024;

/** The low-resolution masks the decoders predict, over the whole padded 1024 frame. */
export const SAM_LOW_RES_SIZE = 256;

export interface Size {
  readonly width: number;
  readonly height: number;
}

/**
 * ResizeLongestSide.get_preprocess_shape (segment-anything) and SamImageProcessor's
 * `_get_preprocess_shape`: the long side becomes `target`, each side rounded half up.
 */
export function preprocessSize(size: Size, target = SAM_IMAGE_SIZE): Size {
  const scale = target / Math.max(size.width, size.height);
  return { width: Math.trunc(size.width * scale + 0.5), height: Math.trunc(size.height * scale + 0.5) };
}

/**
 * ResizeLongestSide.apply_coords: a point of the original image in the resized (unpadded) frame.
 * x and y scale separately, by the rounded resized size over the original size.
 */
export function toModelFrame(point: { readonly x: number; readonly y: number }, size: Size, target = SAM_IMAGE_SIZE): { x: number; y: number } {
  const resized = preprocessSize(size, target);
  return { x: point.x * (resized.width / size.width), y: point.y * (resized.height / size.height) };
}
