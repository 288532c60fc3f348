import { renameSync, writeFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

export const STATE_FILE_NAME = '.atelier-batch.json';

const lineStateSchema = z.object({
  hash: z.string(),
  /**
   * `submitting`: a POST /v1/batches under `idempotency_key` whose answer is not recorded yet;
   * `submitted`: in a batch whose generation id is not known yet; `downloaded`: files are in the folder.
   */
  status: z.enum(['submitting', 'submitted', 'queued', 'running', 'succeeded', 'downloaded', 'failed', 'canceled', 'rejected']),
  idempotency_key: z.string().optional(),
  generation_id: z.string().optional(),
  batch_id: z.string().optional(),
  batch_index: z.number().int().min(0).optional(),
  files: z.array(z.string()).optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  updated_at: z.string(),
});
export type LineState = z.infer<typeof lineStateSchema>;
export type LineStatus = LineState['status'];

const batchStateSchema = z.object({
  version: z.literal(1),
  api_url: z.string(),
  input: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  /** Keyed by 1-based line number of the input file. */
  lines: z.record(z.string().regex(/^\d+$/), lineStateSchema),
});
export type BatchState = z.infer<typeof batchStateSchema>;

export function newBatchState(apiUrl: string, input: string): BatchState {
  const now = new Date().toISOString();
  return { version: 1, api_url: apiUrl, input, created_at: now, updated_at: now, lines: {} };
}

/**
 * The resumable record of a batch run in its output folder. Writes go to a temporary file that
 * is then renamed over the old one, so the file on disk is always one complete state, whatever
 * moment the process is stopped at; writes are serialised so a slower one never lands last.
 */
export class StateFile {
  readonly path: string;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    dir: string,
    readonly state: BatchState,
  ) {
    this.path = path.join(dir, STATE_FILE_NAME);
  }

  static async load(dir: string): Promise<BatchState | undefined> {
    const file = path.join(dir, STATE_FILE_NAME);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new Error(`${file} is not valid JSON (${(error as Error).message}); move it away to start the batch over`, { cause: error });
    }
    const parsed = batchStateSchema.safeParse(json);
    if (!parsed.success) {
      throw new Error(`${file} is not an atelier batch state (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}); move it away to start over`);
    }
    return parsed.data;
  }

  /** Writes now (after any write in progress); for submissions, whose ids must never be lost. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.chain = this.chain.then(() => this.write());
    return this.chain;
  }

  /** Writes within a second; for status changes that a later poll would find again anyway. */
  markDirty(): void {
    this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), 1_000);
  }

  /** Last resort on a forced exit: synchronous, still atomic. */
  writeSync(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, this.serialize());
    renameSync(temporary, this.path);
  }

  private async write(): Promise<void> {
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, this.serialize());
    await rename(temporary, this.path);
  }

  private serialize(): string {
    this.state.updated_at = new Date().toISOString();
    return `${JSON.stringify(this.state, null, 1)}\n`;
  }
}
