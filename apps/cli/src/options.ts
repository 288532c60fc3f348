import { parseArgs } from 'node:util';
import { UsageError } from './usage-error.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** Placeholder shown in help, e.g. `N` or `DIR`. */
  readonly value?: string;
  readonly description: string;
  readonly multiple?: boolean;
  readonly short?: string;
}
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** Accepted by every command, before or after the command name. */
export const GLOBAL_OPTIONS: OptionSpecs = {
  'api-url': { type: 'string', value: 'URL', description: 'API root (env ATELIER_API_URL; default http://localhost:8080)' },
  'api-key': { type: 'string', value: 'KEY', description: 'API key (env ATELIER_API_KEY)' },
  json: { type: 'boolean', description: 'machine output: raw JSON on stdout' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
};

const TAKES_VALUE = new Set(Object.entries(GLOBAL_OPTIONS).filter(([, spec]) => spec.type === 'string').map(([name]) => `--${name}`));

/** Finds the command word among the arguments; global options may come before it. */
export function splitCommand(argv: readonly string[]): { readonly command?: string; readonly rest: readonly string[] } {
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === '--') break;
    if (TAKES_VALUE.has(arg)) {
      index++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return { command: arg, rest: [...argv.slice(0, index), ...argv.slice(index + 1)] };
  }
  return { rest: argv };
}

/** Typed access to parsed flags; conversions name the flag when a value is wrong. */
export class OptionValues {
  constructor(private readonly values: Readonly<Record<string, string | boolean | Array<string | boolean> | undefined>>) {}

  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === 'string' ? value : undefined;
  }

  requiredString(name: string, what: string): string {
    const value = this.string(name);
    if (value === undefined || value === '') throw new UsageError(`--${name} ${what} is required`);
    return value;
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  list(name: string): string[] {
    const value = this.values[name];
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  }

  integer(name: string, min = Number.MIN_SAFE_INTEGER): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value)) throw new UsageError(`--${name}: expected an integer, got "${text}"`);
    if (value < min) throw new UsageError(`--${name}: must be at least ${min}, got ${value}`);
    return value;
  }

  number(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${name}: expected a number, got "${text}"`);
    return value;
  }
}

export interface ParsedArgs {
  readonly options: OptionValues;
  readonly positionals: readonly string[];
}

export function parseCommandArgs(args: readonly string[], specs: OptionSpecs, command: string): ParsedArgs {
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [name, { type: spec.type, ...(spec.multiple ? { multiple: true } : {}), ...(spec.short ? { short: spec.short } : {}) }]),
  );
  try {
    const { values, positionals } = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
    return { options: new OptionValues(values), positionals };
  } catch (error) {
    // parseArgs' own message names the flag; the valid ones are a --help away.
    throw new UsageError((error as Error).message.split(/\n|\. To specify/)[0], command);
  }
}
