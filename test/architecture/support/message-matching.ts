/**
 * Control flow on an error's text breaks silently when a library rewords a message; errors carry
 * a code instead. These patterns find the usual shapes of branching on `.message`: comparing it,
 * searching it, or running a regular expression over it.
 */
const PATTERNS: readonly RegExp[] = [
  /\.message\s*(===|!==|==|!=)/,
  /(===|!==|==|!=)\s*[\w.?]*\.message\b(?!\s*\()/,
  /\.message\??\.(includes|startsWith|endsWith|match|matchAll|search|indexOf)\(/,
  /\.test\([^)]*\.message\b/,
];

/** `path:line: text` of every line of `text` that branches on an error message. */
export function messageMatches(path: string, text: string): string[] {
  return text.split('\n').flatMap((line, index) => (PATTERNS.some((pattern) => pattern.test(line)) ? [`${path}:${index + 1}: ${line.trim()}`] : []));
}
