import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { GenerationView } from '@atelier/contracts';
import { startLocalFarm, type LocalFarm } from '@atelier/local-services';
import { S3Storage } from '@atelier/storage';
import { generateWebhookSecret } from '@atelier/webhooks';
import { TestApiClient } from './api-client.js';
import { startRestartableS3rver, type RestartableS3rver } from './restartable-s3rver.js';
import { FaultReceiver } from './fault-receiver.js';
import { mergeFarmEnv, testFarmEnv } from './farm-env.js';

/** A tiny job: a few hundred milliseconds on the demo model. */
export const TINY = { model: 'demo-sd15', prompt: 'a red circle on a blue background', img_width: 64, img_height: 64, num_inference_steps: 3, scheduler: 'Euler' } as const;
/** A job that takes seconds, to be "mid-flight" when a fault is injected. */
export const SLOW = { model: 'demo-sd15', prompt: 'a purple diamond', img_width: 512, img_height: 512, scheduler: 'Euler' } as const;

const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);
const TERMINAL_EVENTS = new Set(['generation.succeeded', 'generation.failed', 'generation.canceled']);

export interface FaultFarm {
  readonly farm: LocalFarm;
  readonly s3: RestartableS3rver;
  readonly storage: S3Storage;
  readonly receiver: FaultReceiver;
  readonly api: TestApiClient;
  stop(): Promise<void>;
}

export interface FaultFarmOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly workers?: number;
  readonly persistentRedis?: boolean;
}

/**
 * Real parts only, each of which a test can take down: a private redis-server (optionally AOF),
 * s3rver on a fixed port and data directory, a webhook receiver that can stop and start on its
 * port, and API and workers as separate processes.
 */
export async function startFaultFarm(options: FaultFarmOptions = {}): Promise<FaultFarm> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'atelier-fault-'));
  const webhookSecret = generateWebhookSecret();
  const s3 = await startRestartableS3rver({ bucket: 'atelier-fault' });
  const receiver = new FaultReceiver(webhookSecret);
  await receiver.start();
  const storage = new S3Storage({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket: s3.bucket,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: true,
  });
  let farm: LocalFarm;
  try {
    farm = await startLocalFarm({
      workers: options.workers ?? 1,
      persistentRedis: options.persistentRedis,
      output: process.env.E2E_VERBOSE ? process.stderr : undefined,
      env: mergeFarmEnv(
        {
          ...testFarmEnv({ dataDir, s3, webhookSecret, webhookReceiver: new URL(receiver.url).host }),
          // Fault scenarios need more delivery attempts and a generous rate limit for their load.
          WEBHOOK_MAX_ATTEMPTS: '8',
          PROGRESS_INTERVAL_MS: '100',
          RATE_LIMIT_PER_MINUTE: '100000',
        },
        options.env ?? {},
      ),
    });
  } catch (error) {
    storage.destroy();
    await receiver.stop();
    await s3.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  // The API caches the live-worker list for a second: wait that out so the first POST is routed.
  await sleep(1_500);
  return {
    farm,
    s3,
    storage,
    receiver,
    api: new TestApiClient(farm.apiUrl, farm.apiKey),
    stop: async () => {
      await farm.stop();
      storage.destroy();
      await receiver.stop();
      await s3.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Submissions: every request is bounded by a timeout, and its outcome is classified.

export type SubmitOutcome =
  | { readonly kind: 'accepted'; readonly id: string; readonly at: number; readonly ms: number }
  | { readonly kind: 'refused'; readonly status: number; readonly contentType: string; readonly body: string; readonly at: number; readonly ms: number }
  | { readonly kind: 'connection_error'; readonly reason: string; readonly at: number; readonly ms: number }
  | { readonly kind: 'timeout'; readonly at: number; readonly ms: number };

/** One POST /v1/generations that always settles within `timeoutMs` (+ a little) with an outcome. */
export async function submitGeneration(baseUrl: string, apiKey: string, body: unknown, timeoutMs: number): Promise<SubmitOutcome> {
  const at = Date.now();
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  try {
    const response = await fetch(`${baseUrl}/v1/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (response.status === 202) {
      const id = (JSON.parse(text) as { id: string }).id;
      return { kind: 'accepted', id, at, ms: elapsed() };
    }
    return { kind: 'refused', status: response.status, contentType: response.headers.get('content-type') ?? '', body: text, at, ms: elapsed() };
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return { kind: 'timeout', at, ms: elapsed() };
    const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
    const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
    return { kind: 'connection_error', reason, at, ms: elapsed() };
  }
}

export type PooledOutcome = { readonly status: number; readonly connection: string; readonly body: string } | { readonly error: string };

/**
 * A POST /v1/generations over `agent` (keep-alive: consecutive requests reuse one connection, as
 * pooled HTTP clients and load balancers do). With `bodyGate`, the headers and half the body go out
 * at once and the rest only when the gate opens, so the request is in flight on the server.
 */
export function pooledPost(agent: http.Agent, baseUrl: string, apiKey: string, body: unknown, bodyGate?: Promise<void>): Promise<PooledOutcome> {
  const text = JSON.stringify(body);
  return new Promise((resolve) => {
    const request = http.request(
      `${baseUrl}/v1/generations`,
      { method: 'POST', agent, timeout: 15_000, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, connection: String(response.headers.connection ?? ''), body: Buffer.concat(chunks).toString() }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    if (!bodyGate) return void request.end(text);
    const half = Math.floor(text.length / 2);
    request.flushHeaders();
    request.write(text.slice(0, half));
    void bodyGate.then(() => request.end(text.slice(half)));
  });
}

/** Submits continuously from `lanes` concurrent clients until `stop()`; every outcome is kept. */
export class SubmissionLoad {
  readonly outcomes: SubmitOutcome[] = [];
  private running = true;
  private readonly lanes: Promise<void>[] = [];

  constructor(
    private readonly target: () => { baseUrl: string; apiKey: string },
    private readonly body: () => unknown,
    options: { lanes: number; pauseMs: number; timeoutMs: number },
  ) {
    for (let lane = 0; lane < options.lanes; lane++) {
      this.lanes.push(
        (async () => {
          while (this.running) {
            const { baseUrl, apiKey } = this.target();
            this.outcomes.push(await submitGeneration(baseUrl, apiKey, this.body(), options.timeoutMs));
            await sleep(options.pauseMs);
          }
        })(),
      );
    }
  }

  accepted(): string[] {
    return this.outcomes.flatMap((outcome) => (outcome.kind === 'accepted' ? [outcome.id] : []));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.lanes);
  }
}

// ---------------------------------------------------------------------------------------------
// Settling and auditing: terminal states, storage objects and webhook deliveries per generation.

/** Polls every generation until it is terminal or the deadline passes; returns the last views. */
export async function settle(api: TestApiClient, ids: readonly string[], timeoutMs: number): Promise<Map<string, GenerationView | undefined>> {
  const views = new Map<string, GenerationView | undefined>();
  const pending = new Set(ids);
  const deadline = Date.now() + timeoutMs;
  while (pending.size > 0 && Date.now() < deadline) {
    for (const id of [...pending]) {
      const response = await api.request<GenerationView>('GET', `/v1/generations/${id}`).catch(() => undefined);
      if (!response) continue;
      views.set(id, response.status === 200 ? response.body : undefined);
      if (response.status === 200 && TERMINAL.has(response.body.status)) pending.delete(id);
    }
    if (pending.size > 0) await sleep(250);
  }
  return views;
}

export interface DeliveredEvent {
  readonly type: string;
  readonly messageId: string;
  readonly generationId: string | undefined;
  readonly answered: number;
  readonly verified: boolean;
}

/** Every request the receiver got, parsed. */
export function deliveredEvents(receiver: FaultReceiver): DeliveredEvent[] {
  return receiver.deliveries.map((delivery) => {
    const body = JSON.parse(delivery.body) as { type: string; data?: { id?: string } };
    return {
      type: body.type,
      messageId: String(delivery.headers['webhook-id'] ?? ''),
      generationId: body.data?.id,
      answered: delivery.answered,
      verified: delivery.verified,
    };
  });
}

export interface GenerationAudit {
  readonly id: string;
  readonly status: string;
  readonly attempts: number;
  readonly outputKeys: readonly string[];
  /** Deliveries of generation.succeeded/failed/canceled the receiver accepted (2xx). */
  readonly terminalDeliveries: number;
  /** Distinct webhook message ids among those: more than one means the event was published twice. */
  readonly terminalMessages: number;
  readonly startedDeliveries: number;
  readonly duplicated: boolean;
  readonly view: GenerationView | undefined;
}

export interface Figures {
  readonly submitted: number;
  readonly accepted: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly lost: number;
  readonly duplicated: number;
}

export interface Audit {
  readonly generations: GenerationAudit[];
  readonly figures: Figures;
  readonly unverifiedDeliveries: number;
}

/**
 * Settles `ids`, waits for their terminal webhooks, lets a grace period pass (a duplicate would
 * arrive in it) and counts. Lost: accepted but missing or not terminal by the deadline.
 * Duplicated: more than one terminal webhook, or more than one set of outputs in storage.
 */
export async function auditGenerations(
  fault: FaultFarm,
  submitted: number,
  ids: readonly string[],
  options: { settleMs?: number; webhookMs?: number; graceMs?: number; samples?: number } = {},
): Promise<Audit> {
  const views = await settle(fault.api, ids, options.settleMs ?? 120_000);
  const terminalIds = ids.filter((id) => TERMINAL.has(views.get(id)?.status ?? ''));
  const terminalOf = (id: string): DeliveredEvent[] =>
    deliveredEvents(fault.receiver).filter((event) => event.generationId === id && TERMINAL_EVENTS.has(event.type) && event.answered < 300);
  const webhookDeadline = Date.now() + (options.webhookMs ?? 30_000);
  while (Date.now() < webhookDeadline && terminalIds.some((id) => terminalOf(id).length === 0)) await sleep(200);
  await sleep(options.graceMs ?? 1_500);

  const samples = options.samples ?? 1;
  const generations: GenerationAudit[] = [];
  for (const id of ids) {
    const view = views.get(id);
    const outputKeys = await fault.storage.list(`generations/${id}/`);
    const terminal = terminalOf(id);
    const events = deliveredEvents(fault.receiver).filter((event) => event.generationId === id && event.answered < 300);
    const terminalMessages = new Set(terminal.map((event) => event.messageId)).size;
    generations.push({
      id,
      status: view?.status ?? 'missing',
      attempts: view?.attempts ?? 0,
      outputKeys,
      terminalDeliveries: terminal.length,
      terminalMessages,
      startedDeliveries: events.filter((event) => event.type === 'generation.started').length,
      duplicated: terminal.length > 1 || terminalMessages > 1 || outputKeys.length > samples,
      view,
    });
  }
  return {
    generations,
    unverifiedDeliveries: deliveredEvents(fault.receiver).filter((event) => !event.verified).length,
    figures: {
      submitted,
      accepted: ids.length,
      succeeded: generations.filter((entry) => entry.status === 'succeeded').length,
      failed: generations.filter((entry) => entry.status === 'failed').length,
      lost: generations.filter((entry) => !TERMINAL.has(entry.status)).length,
      duplicated: generations.filter((entry) => entry.duplicated).length,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Reporting.

/** `code: message ×n` for every distinct error among the audited generations (empty when none). */
export function errorSummary(audit: Audit): string {
  const counts = new Map<string, number>();
  for (const entry of audit.generations) {
    const error = entry.view?.error;
    if (!error) continue;
    const key = `${error.code}: ${error.message}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, count]) => `${key} ×${count}`).join('; ') || 'none';
}

/** What made each duplicated generation a duplicate (empty when none). */
export function duplicateSummary(audit: Audit): string {
  return (
    audit.generations
      .filter((entry) => entry.duplicated)
      .map((entry) => `${entry.id}: ${entry.terminalDeliveries} terminal deliveries (${entry.terminalMessages} message ids), ${entry.outputKeys.length} objects`)
      .join('; ') || 'none'
  );
}

/** Prints a scenario's figures as a Markdown table (figure | value). */
export function printFigures(title: string, rows: Record<string, string | number>): void {
  const lines = [`\n#### ${title}`, '', '| figure | value |', '| --- | --- |', ...Object.entries(rows).map(([name, value]) => `| ${name} | ${value} |`), ''];
  console.log(lines.join('\n'));
}

export function countOutcomes(outcomes: readonly SubmitOutcome[]): Record<SubmitOutcome['kind'], number> {
  const counts = { accepted: 0, refused: 0, connection_error: 0, timeout: 0 };
  for (const outcome of outcomes) counts[outcome.kind]++;
  return counts;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a rejection naming `what` after `ms` (the timer never outlives the promise). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Reads a Prometheus gauge/counter value from /metrics (the first series of that name). */
export async function metricValue(url: string, name: string): Promise<number | undefined> {
  const text = await fetch(url, { signal: AbortSignal.timeout(5_000) })
    .then((response) => response.text())
    .catch(() => '');
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}
