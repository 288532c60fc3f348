// The small TOML subset kohya's --config_file needs: one table of keys with string, number,
// boolean or string-array values.

export type TomlValue = string | number | boolean | readonly string[];

function quote(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"') out += '\\"';
    else if (char === '\\') out += '\\\\';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

function value(key: string, item: TomlValue): string {
  if (typeof item === 'string') return quote(item);
  if (typeof item === 'boolean') return item ? 'true' : 'false';
  if (typeof item === 'number') {
    if (!Number.isFinite(item)) throw new Error(`${key}: TOML cannot hold ${item}`);
    // Floats keep a decimal point or exponent so Python reads them as floats.
    return Number.isInteger(item) ? String(item) : String(item).replace(/^(-?\d+)e/, '$1.0e');
  }
  return `[${item.map(quote).join(', ')}]`;
}

export function toToml(entries: Readonly<Record<string, TomlValue>>): string {
  const lines: string[] = [];
  for (const [key, item] of Object.entries(entries)) {
    if (!/^[A-Za-z0-9_-]+$/.test(key)) throw new Error(`invalid TOML key ${JSON.stringify(key)}`);
    lines.push(`${key} = ${value(key, item)}`);
  }
  return `${lines.join('\n')}\n`;
}
