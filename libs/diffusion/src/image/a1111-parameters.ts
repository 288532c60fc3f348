export interface InfotextFields {
  readonly prompt: string;
  readonly negativePrompt: string;
  readonly steps: number;
  readonly sampler: string;
  readonly guidanceScale: number;
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  readonly model: string;
  readonly extra?: Readonly<Record<string, string | number>>;
}

/** AUTOMATIC1111's "infotext": what its PNG Info tab and every SD tool parse back. */
export function formatInfotext(fields: InfotextFields): string {
  const settings: Array<[string, string | number]> = [
    ['Steps', fields.steps],
    ['Sampler', fields.sampler],
    ['CFG scale', fields.guidanceScale],
    ['Seed', fields.seed],
    ['Size', `${fields.width}x${fields.height}`],
    ['Model', fields.model],
    ...Object.entries(fields.extra ?? {}),
  ];
  const line = settings.map(([key, value]) => `${key}: ${String(value).includes(',') ? JSON.stringify(String(value)) : value}`).join(', ');
  const negative = fields.negativePrompt ? `\nNegative prompt: ${fields.negativePrompt}` : '';
  return `${fields.prompt}${negative}\n${line}`;
}

/** A1111's own settings-line pattern (modules/infotext_utils.py `re_param`): `Key: value` or `Key: "quoted, value"`. */
const SETTING = /\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/g;

/** The settings of an infotext's last line, as A1111's PNG Info parses them (quoted values unquoted). */
export function parseInfotextSettings(infotext: string): Map<string, string> {
  const line = infotext.split('\n').at(-1) ?? '';
  const settings = new Map<string, string>();
  for (const match of line.matchAll(SETTING)) {
    const value = match[2].trim();
    settings.set(match[1].trim(), value.startsWith('"') ? (JSON.parse(value) as string) : value);
  }
  return settings;
}
