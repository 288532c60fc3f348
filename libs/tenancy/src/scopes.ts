import { z } from 'zod';

/** What a key may do. Frozen values: they are stored with every key. */
export const Scope = Object.freeze({
  Generate: 'generate',
  Train: 'train',
  ManageModels: 'models:write',
  Admin: 'admin',
} as const);
export type Scope = (typeof Scope)[keyof typeof Scope];
export const ALL_SCOPES: readonly Scope[] = Object.values(Scope);
export const scopeSchema = z.enum(ALL_SCOPES as [Scope, ...Scope[]]);
