/**
 * AUTOMATIC1111's attention syntax: "(text)" multiplies attention by 1.1, "[text]" divides it
 * by 1.1, "(text:1.3)" multiplies by 1.3, nesting multiplies, "\(" "\)" "\[" "\]" "\\" are
 * literal, and a bracket that is never closed applies to the rest of the prompt. A lone ")" or
 * "]" is kept as text. "BREAK" (upper case, as a word) ends the current 75-token chunk.
 */
export interface AttentionFragment {
  readonly text: string;
  readonly weight: number;
  /** Set on the marker left where the prompt said BREAK; such a fragment has empty text and weight 1. */
  readonly isBreak?: true;
}

const ROUND_MULTIPLIER = 1.1;
const SQUARE_MULTIPLIER = 1 / 1.1;
const ESCAPABLE = new Set(['(', ')', '[', ']', '\\']);
const PLAIN_TEXT = /[^\\()[\]:]+/y;
// Only valid right after a ":"; A1111 accepts this exact shape (digits and dots, optional sign).
const EXPLICIT_WEIGHT = /:\s*([+-]?[.\d]+)\s*\)/y;
const BREAK_KEYWORD = /\s*(?<![\p{L}\p{N}_])BREAK(?![\p{L}\p{N}_])\s*/u;

interface MutableFragment {
  text: string;
  weight: number;
  isBreak?: true;
}

/** Splits a prompt into runs of text with their attention weight; adjacent runs of equal weight are merged. */
export function parsePromptAttention(prompt: string): AttentionFragment[] {
  const fragments: MutableFragment[] = [];
  const openRound: number[] = [];
  const openSquare: number[] = [];
  // Brackets scale everything produced since they opened; BREAK markers are not text and stay at 1.
  const scaleFrom = (start: number, factor: number) => {
    for (let i = start; i < fragments.length; i++) if (!fragments[i].isBreak) fragments[i].weight *= factor;
  };
  const addText = (text: string) => {
    text.split(BREAK_KEYWORD).forEach((part, index) => {
      if (index > 0) fragments.push({ text: '', weight: 1, isBreak: true });
      fragments.push({ text: part, weight: 1 });
    });
  };

  let at = 0;
  while (at < prompt.length) {
    const char = prompt[at];
    if (char === '\\') {
      const next = prompt[at + 1];
      // A backslash before anything else is dropped, as in A1111.
      if (next !== undefined && ESCAPABLE.has(next)) {
        fragments.push({ text: next, weight: 1 });
        at += 2;
      } else {
        at += 1;
      }
    } else if (char === '(') {
      openRound.push(fragments.length);
      at += 1;
    } else if (char === '[') {
      openSquare.push(fragments.length);
      at += 1;
    } else if (char === ')' || char === ']') {
      const open = char === ')' ? openRound : openSquare;
      const start = open.pop();
      if (start === undefined) addText(char);
      else scaleFrom(start, char === ')' ? ROUND_MULTIPLIER : SQUARE_MULTIPLIER);
      at += 1;
    } else if (char === ':') {
      EXPLICIT_WEIGHT.lastIndex = at;
      const match = EXPLICIT_WEIGHT.exec(prompt);
      const weight = match === null ? Number.NaN : Number(match[1]);
      // A1111 raises on a weight such as "1.2.3"; here it stays text and the bracket stays open.
      const start = Number.isFinite(weight) ? openRound.pop() : undefined;
      if (match !== null && start !== undefined) {
        scaleFrom(start, weight);
        at += match[0].length;
      } else if (match !== null) {
        addText(match[0]);
        at += match[0].length;
      } else {
        addText(':');
        at += 1;
      }
    } else {
      PLAIN_TEXT.lastIndex = at;
      const match = PLAIN_TEXT.exec(prompt);
      const text = match === null ? char : match[0];
      addText(text);
      at += text.length;
    }
  }
  for (const start of openRound) scaleFrom(start, ROUND_MULTIPLIER);
  for (const start of openSquare) scaleFrom(start, SQUARE_MULTIPLIER);
  return mergeEqualWeights(fragments);
}

function mergeEqualWeights(fragments: readonly MutableFragment[]): AttentionFragment[] {
  const merged: MutableFragment[] = [];
  for (const fragment of fragments) {
    const last = merged[merged.length - 1];
    if (last !== undefined && !last.isBreak && !fragment.isBreak && last.weight === fragment.weight) last.text += fragment.text;
    else merged.push({ ...fragment });
  }
  return merged.length === 0 ? [{ text: '', weight: 1 }] : merged;
}
