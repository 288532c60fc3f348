import { STYLE_PRESETS, type StylePreset } from './style-presets.js';

export type { StylePreset } from './style-presets.js';

/** The style id is not one of the presets. */
export class UnknownStyleError extends Error {
  override readonly name = 'UnknownStyleError';

  constructor(readonly style: string, readonly validIds: readonly string[]) {
    super(`Unknown style "${style}"; valid styles: ${validIds.join(', ')}`);
  }
}

export interface StyledPrompt {
  readonly prompt: string;
  readonly negative_prompt: string;
}

/** "Line Art", "line_art" and "LINE-ART" all name the preset "line-art". */
export function normalizeStyleId(style: string): string {
  return style.trim().toLowerCase().replace(/[\s_-]+/g, '-');
}

const PRESET_BY_ID: ReadonlyMap<string, StylePreset> = new Map(STYLE_PRESETS.map((preset) => [preset.id, preset]));

/** Every preset, in display order (copies: callers may not change the table). */
export function listStyles(): StylePreset[] {
  return STYLE_PRESETS.map((preset) => ({ ...preset }));
}

export function findStyle(style: string): StylePreset {
  const preset = PRESET_BY_ID.get(normalizeStyleId(style));
  if (preset === undefined) throw new UnknownStyleError(style, [...PRESET_BY_ID.keys()]);
  return preset;
}

/**
 * Puts the prompt into the style's template (at "{prompt}") and appends the style's negative
 * prompt to the user's, joined by ", " when both have text.
 */
export function applyStyle(style: string, prompt: string, negativePrompt: string): StyledPrompt {
  const preset = findStyle(style);
  const negative = [negativePrompt, preset.negative_prompt].filter((part) => part.trim() !== '').join(', ');
  return { prompt: preset.prompt.split('{prompt}').join(prompt), negative_prompt: negative };
}
