/** Typed, validated reads of scheduler-specific keys (NoiseScheduleConfig.extra). */
import type { NoiseScheduleConfig } from './scheduler.js';
import { SchedulerConfigError } from './errors.js';

function invalid(key: string, expected: string, value: unknown): SchedulerConfigError {
  return new SchedulerConfigError(`scheduler option ${key} must be ${expected}, got ${JSON.stringify(value)}`);
}

function raw(config: NoiseScheduleConfig, key: string): unknown {
  const value = config.extra[key];
  return value === null ? undefined : value;
}

export function readBoolean(config: NoiseScheduleConfig, key: string, fallback: boolean): boolean {
  const value = raw(config, key);
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(key, 'a boolean', value);
  return value;
}

export function readNumber(config: NoiseScheduleConfig, key: string, fallback: number): number {
  return readOptionalNumber(config, key) ?? fallback;
}

export function readOptionalNumber(config: NoiseScheduleConfig, key: string): number | null {
  const value = raw(config, key);
  if (value === undefined) return null;
  if (typeof value !== 'number' || Number.isNaN(value)) throw invalid(key, 'a number', value);
  return value;
}

export function readInteger(config: NoiseScheduleConfig, key: string, fallback: number, min: number, max: number): number {
  const value = readNumber(config, key, fallback);
  if (!Number.isInteger(value) || value < min || value > max) throw invalid(key, `an integer in [${min}, ${max}]`, value);
  return value;
}

/** A string option restricted to the values this port implements (others would silently differ). */
export function readChoice<T extends string>(config: NoiseScheduleConfig, key: string, supported: readonly T[], fallback: T): T {
  const value = raw(config, key);
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(supported as readonly string[]).includes(value)) {
    throw invalid(key, `one of ${supported.join(', ')} (supported here)`, value);
  }
  return value as T;
}

export function readIntegerList(config: NoiseScheduleConfig, key: string): number[] {
  const value = raw(config, key);
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((x) => Number.isInteger(x))) throw invalid(key, 'a list of integers', value);
  return value as number[];
}

/** Options that would change the maths and that these samplers do not offer are refused rather than ignored. */
export function refuseEnabled(config: NoiseScheduleConfig, keys: readonly string[]): void {
  for (const key of keys) {
    const value = raw(config, key);
    if (value !== undefined && value !== false) throw new SchedulerConfigError(`scheduler option ${key}=${JSON.stringify(value)} is not supported`);
  }
}

/**
 * Karras σ when the request asks for it ("… Karras" names) or the model's file sets
 * use_karras_sigmas (as diffusers' from_config would carry it over); `karras: false` means
 * "not requested", not "forbidden".
 */
export function wantsKarras(config: NoiseScheduleConfig, requested: boolean | undefined): boolean {
  return requested === true || readBoolean(config, 'use_karras_sigmas', false);
}
