/** A named prompt template, as listed by GET /v1/styles. */
export interface StylePreset {
  /** Lower-case, hyphen-separated; what requests name. */
  readonly id: string;
  readonly label: string;
  /** Template; "{prompt}" is replaced by the user's prompt. */
  readonly prompt: string;
  /** Appended to the user's negative prompt. */
  readonly negative_prompt: string;
}

// Shared negatives keep each template short and the presets consistent with one another.
const NOT_PHOTO = 'photograph, photorealistic, realism';
const LOW_QUALITY = 'blurry, low resolution, jpeg artifacts, watermark, signature';

/** Kept in TypeScript rather than JSON so that the table is type-checked and needs no file at run time. */
export const STYLE_PRESETS: readonly StylePreset[] = [
  { id: 'base', label: 'Base (no style)', prompt: '{prompt}', negative_prompt: '' },
  {
    id: 'enhance',
    label: 'Enhance',
    prompt: '{prompt}, finely detailed, sharp focus, rich colour, polished, high quality',
    negative_prompt: `${LOW_QUALITY}, washed out, dull, amateur`,
  },
  {
    id: 'photographic',
    label: 'Photographic',
    prompt: 'photograph of {prompt}, 50mm lens, natural light, true-to-life detail, shallow depth of field',
    negative_prompt: `${LOW_QUALITY}, drawing, painting, illustration, cartoon, render`,
  },
  {
    id: 'cinematic',
    label: 'Cinematic',
    prompt: 'film still of {prompt}, anamorphic widescreen, dramatic lighting, colour graded, atmospheric haze',
    negative_prompt: `${LOW_QUALITY}, flat lighting, snapshot, cartoon, drawing`,
  },
  {
    id: 'analog-film',
    label: 'Analog film',
    prompt: '{prompt}, shot on 35mm film, visible grain, faded colours, light leaks, nostalgic mood',
    negative_prompt: `${LOW_QUALITY}, digital look, oversharpened, cartoon, 3d render`,
  },
  {
    id: 'anime',
    label: 'Anime',
    prompt: 'anime illustration of {prompt}, clean cel shading, expressive characters, vivid palette, key visual',
    negative_prompt: `${NOT_PHOTO}, ${LOW_QUALITY}, 3d render, western comic`,
  },
  {
    id: 'comic-book',
    label: 'Comic book',
    prompt: 'comic book panel of {prompt}, bold ink outlines, halftone shading, dynamic composition, saturated inks',
    negative_prompt: `${NOT_PHOTO}, ${LOW_QUALITY}, soft gradients, 3d render`,
  },
  {
    id: 'cartoon',
    label: 'Cartoon',
    prompt: 'cartoon of {prompt}, simple shapes, thick outlines, bright flat colours, playful and exaggerated',
    negative_prompt: `${NOT_PHOTO}, ${LOW_QUALITY}, gritty, detailed texture`,
  },
  {
    id: 'digital-art',
    label: 'Digital art',
    prompt: 'digital painting of {prompt}, concept art, painterly brushwork, luminous colour, highly detailed',
    negative_prompt: `${NOT_PHOTO}, ${LOW_QUALITY}, sketchy, unfinished`,
  },
  {
    id: 'fantasy-art',
    label: 'Fantasy art',
    prompt: 'epic fantasy artwork of {prompt}, magical atmosphere, glowing light, intricate detail, storybook grandeur',
    negative_prompt: `${NOT_PHOTO}, ${LOW_QUALITY}, modern city, mundane`,
  },
  {
    id: 'line-art',
    label: 'Line art',
    prompt: 'line drawing of {prompt}, clean black ink lines on white, minimal shading, precise contours',
    negative_prompt: `${NOT_PHOTO}, ${LOW_QUALITY}, colour, painted, shaded gradients`,
  },
  {
    id: 'neon-punk',
    label: 'Neon punk',
    prompt: '{prompt}, neon punk aesthetic, glowing magenta and cyan lights, rain-soaked night, cyberpunk energy',
    negative_prompt: `${LOW_QUALITY}, daylight, muted colours, pastel`,
  },
  {
    id: 'isometric',
    label: 'Isometric',
    prompt: 'isometric view of {prompt}, tidy diorama, orthographic projection, crisp edges, soft ambient light',
    negative_prompt: `${LOW_QUALITY}, perspective distortion, fisheye, cluttered`,
  },
  {
    id: 'low-poly',
    label: 'Low poly',
    prompt: 'low poly model of {prompt}, faceted geometry, flat shaded triangles, minimal palette, clean background',
    negative_prompt: `${NOT_PHOTO}, ${LOW_QUALITY}, smooth surfaces, high detail texture`,
  },
  {
    id: 'origami',
    label: 'Origami',
    prompt: 'origami sculpture of {prompt}, folded paper, crisp creases, paper texture, studio lighting',
    negative_prompt: `${LOW_QUALITY}, cloth, plastic, metal, painted`,
  },
  {
    id: 'pixel-art',
    label: 'Pixel art',
    prompt: 'pixel art of {prompt}, retro 16-bit game sprite, limited palette, crisp pixels',
    negative_prompt: `${NOT_PHOTO}, ${LOW_QUALITY}, anti-aliasing, smooth gradients, 3d render`,
  },
  {
    id: 'texture',
    label: 'Texture',
    prompt: 'seamless texture of {prompt}, tileable pattern, top-down flat view, even lighting, fine surface detail',
    negative_prompt: `${LOW_QUALITY}, perspective, shadows, visible seams, objects`,
  },
  {
    id: 'craft-clay',
    label: 'Craft clay',
    prompt: 'handmade clay figure of {prompt}, plasticine, visible fingerprints, stop-motion look, soft studio light',
    negative_prompt: `${LOW_QUALITY}, photorealistic skin, drawing, glossy plastic`,
  },
  {
    id: '3d-model',
    label: '3D model',
    prompt: '3d render of {prompt}, physically based materials, global illumination, octane-style studio lighting',
    negative_prompt: `${LOW_QUALITY}, drawing, painting, sketch, flat colours`,
  },
];
