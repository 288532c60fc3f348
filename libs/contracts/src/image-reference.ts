import { z } from 'zod';

/** A source image in a request: an http(s) URL, a data: URL or bare base64 bytes. */
export const imageReferenceSchema = z
  .string()
  .min(1)
  .refine((value) => /^https?:\/\//.test(value) || /^data:image\/[a-z+]+;base64,/.test(value) || /^[A-Za-z0-9+/=\s]+$/.test(value), {
    message: 'must be an http(s) URL, a data: URL or base64-encoded image bytes',
  });
