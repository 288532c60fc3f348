// Caption text: UTF-8 (a BOM is dropped), whitespace collapsed, {trigger} replaced.

export class CaptionProblem extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export function fillTemplate(template: string, triggerWord: string | undefined): string {
  if (template.includes('{trigger}') && triggerWord === undefined) throw new CaptionProblem('uses {trigger} but the job has no trigger word');
  return template.replaceAll('{trigger}', triggerWord ?? '').replace(/\s+/g, ' ').trim();
}

export function readCaption(bytes: Uint8Array, triggerWord: string | undefined, maxChars: number): string {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new CaptionProblem('is not valid UTF-8');
  }
  if (text.includes('\0')) throw new CaptionProblem('contains a NUL character');
  const caption = fillTemplate(text, triggerWord);
  if (caption === '') throw new CaptionProblem('is empty');
  if (caption.length > maxChars) throw new CaptionProblem(`is ${caption.length} characters long, over the limit of ${maxChars}`);
  return caption;
}

/** Whether the caption names the trigger word as a word of its own (case-insensitive). */
export function mentionsTrigger(caption: string, triggerWord: string): boolean {
  const escaped = triggerWord.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\p{L}\\p{N}_])${escaped}($|[^\\p{L}\\p{N}_])`, 'iu').test(caption);
}
