import { TERMINAL_STATUSES, type GenerationRequestInput, type GenerationView, type WebhookTarget } from '@atelier/contracts';
import { batchPageSchema, type BatchPage } from './batch-schemas.js';
import { listSchema, modelInfoSchema, schedulerInfoSchema, styleInfoSchema, type ListResponse, type ModelInfo, type SchedulerInfo, type StyleInfo } from './catalog-schemas.js';
import { generationViewSchema } from './generation-schemas.js';
import {
  IMAGE_TASK_TERMINAL_STATUSES,
  imageTaskViewSchema,
  type FaceRestorationRequestInput,
  type ImageTaskView,
  type PreprocessRequestInput,
  type SegmentationRequestInput,
  type UpscaleRequestInput,
} from './image-task-schemas.js';
import { healthSchema, readinessSchema, webhookSecretSchema, type Health, type Readiness, type WebhookSecret } from './service-schemas.js';
import { sleep } from './sleep.js';
import { TRAINING_TERMINAL_STATUSES, trainingViewSchema, type TrainingRequestInput, type TrainingView } from './training-schemas.js';
import { Transport, type FetchFunction, type RetryNotice } from './transport.js';
import { uploadTicketSchema, type UploadRequestInput, type UploadTicket } from './upload-schemas.js';
import type { RetryPolicy } from './retry-policy.js';

export interface AtelierClientOptions {
  /** The API root, e.g. `http://localhost:8080`. */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer …` to the API's origin only. */
  readonly apiKey?: string;
  readonly fetch?: FetchFunction;
  readonly retry?: Partial<RetryPolicy>;
  readonly timeoutMs?: number;
  readonly userAgent?: string;
  readonly onRetry?: (retry: RetryNotice) => void;
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
  /** One key for one logical submission; a fresh UUID per call when omitted. */
  readonly idempotencyKey?: string;
}

export interface WaitOptions {
  readonly signal?: AbortSignal;
  /** Called with the first view and whenever status or step changes. */
  readonly onProgress?: (view: GenerationView) => void;
  readonly pollMs?: number;
}

export interface TrainingWaitOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (view: TrainingView) => void;
  readonly pollMs?: number;
}

export interface ImageTaskWaitOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (view: ImageTaskView) => void;
  readonly pollMs?: number;
}

export interface BatchCreateInput {
  readonly requests: readonly GenerationRequestInput[];
  readonly webhook?: WebhookTarget;
}

export interface PageOptions {
  readonly offset?: number;
  /** 1–1000 on the server; 100 when omitted. */
  readonly limit?: number;
  readonly signal?: AbortSignal;
}

const segment = (id: string): string => encodeURIComponent(id);

/** A typed client for the Atelier HTTP API (v1); every answer is checked against its schema. */
export class AtelierClient {
  private readonly transport: Transport;

  constructor(options: AtelierClientOptions) {
    this.transport = new Transport(options);
  }

  get baseUrl(): string {
    return this.transport.baseUrl.href.replace(/\/$/, '');
  }

  async createGeneration(body: GenerationRequestInput, options: RequestOptions = {}): Promise<GenerationView> {
    return (await this.transport.json({ method: 'POST', target: '/v1/generations', json: body, ...options }, generationViewSchema)).body;
  }

  async getGeneration(id: string, options: RequestOptions = {}): Promise<GenerationView> {
    return (await this.transport.json({ method: 'GET', target: `/v1/generations/${segment(id)}`, signal: options.signal }, generationViewSchema)).body;
  }

  /** A queued generation never runs; a running one stops at its next step (status `canceled` shortly after). */
  async cancelGeneration(id: string, options: RequestOptions = {}): Promise<GenerationView> {
    return (await this.transport.json({ method: 'POST', target: `/v1/generations/${segment(id)}/cancel`, ...options }, generationViewSchema)).body;
  }

  /** Polls until the generation is succeeded, failed or canceled, and returns that view. */
  async waitForGeneration(id: string, options: WaitOptions = {}): Promise<GenerationView> {
    let seen = '';
    for (;;) {
      const view = await this.getGeneration(id, { signal: options.signal });
      const key = `${view.status}:${view.progress.step}/${view.progress.total}`;
      if (key !== seen) {
        seen = key;
        options.onProgress?.(view);
      }
      if (TERMINAL_STATUSES.has(view.status)) return view;
      await sleep(options.pollMs ?? 500, options.signal);
    }
  }

  async createBatch(body: BatchCreateInput, options: RequestOptions = {}): Promise<BatchPage> {
    return (await this.transport.json({ method: 'POST', target: '/v1/batches', json: body, ...options }, batchPageSchema)).body;
  }

  async getBatch(id: string, options: PageOptions = {}): Promise<BatchPage> {
    const query = { offset: options.offset, limit: options.limit };
    return (await this.transport.json({ method: 'GET', target: `/v1/batches/${segment(id)}`, query, signal: options.signal }, batchPageSchema)).body;
  }

  async listModels(options: RequestOptions = {}): Promise<ListResponse<ModelInfo>> {
    return (await this.transport.json({ method: 'GET', target: '/v1/models', signal: options.signal }, listSchema(modelInfoSchema))).body;
  }

  async listSchedulers(options: RequestOptions = {}): Promise<ListResponse<SchedulerInfo>> {
    return (await this.transport.json({ method: 'GET', target: '/v1/schedulers', signal: options.signal }, listSchema(schedulerInfoSchema))).body;
  }

  async listStyles(options: RequestOptions = {}): Promise<ListResponse<StyleInfo>> {
    return (await this.transport.json({ method: 'GET', target: '/v1/styles', signal: options.signal }, listSchema(styleInfoSchema))).body;
  }

  async getWebhookSecret(options: RequestOptions = {}): Promise<WebhookSecret> {
    return (await this.transport.json({ method: 'GET', target: '/v1/webhooks/secret', signal: options.signal }, webhookSecretSchema)).body;
  }

  async health(options: RequestOptions = {}): Promise<Health> {
    return (await this.transport.json({ method: 'GET', target: '/healthz', signal: options.signal }, healthSchema)).body;
  }

  /** Readiness is an answer either way: `not_ready` (503) comes back as a value, not retried. */
  async ready(options: RequestOptions = {}): Promise<Readiness> {
    return (await this.transport.json({ method: 'GET', target: '/readyz', signal: options.signal, acceptStatuses: [503] }, readinessSchema)).body;
  }

  /** Fetches an output (presigned URL, absolute or relative to the API); the API key is not sent to other hosts. */
  async download(url: string, options: RequestOptions = {}): Promise<Buffer> {
    return this.transport.bytes({ method: 'GET', target: url, signal: options.signal, headers: { accept: '*/*' } });
  }

  /** POST /v1/uploads (planned): a presigned URL to send a file to; see `uploadBytes`. */
  async createUpload(body: UploadRequestInput = {}, options: RequestOptions = {}): Promise<UploadTicket> {
    return (await this.transport.json({ method: 'POST', target: '/v1/uploads', json: body, ...options }, uploadTicketSchema)).body;
  }

  /** Sends the bytes where `createUpload` said, with the headers it asked for. */
  async uploadBytes(ticket: UploadTicket, bytes: Uint8Array, options: RequestOptions = {}): Promise<void> {
    await this.transport.bytes({ method: ticket.method, target: ticket.upload_url, bytes, headers: { accept: '*/*', ...ticket.headers }, ...options });
  }

  /** POST /v1/trainings (planned). */
  async createTraining(body: TrainingRequestInput, options: RequestOptions = {}): Promise<TrainingView> {
    return (await this.transport.json({ method: 'POST', target: '/v1/trainings', json: body, ...options }, trainingViewSchema)).body;
  }

  /** GET /v1/trainings/{id} (planned). */
  async getTraining(id: string, options: RequestOptions = {}): Promise<TrainingView> {
    return (await this.transport.json({ method: 'GET', target: `/v1/trainings/${segment(id)}`, signal: options.signal }, trainingViewSchema)).body;
  }

  async waitForTraining(id: string, options: TrainingWaitOptions = {}): Promise<TrainingView> {
    let seen = '';
    for (;;) {
      const view = await this.getTraining(id, { signal: options.signal });
      const key = `${view.status}:${view.progress?.step}/${view.progress?.total}`;
      if (key !== seen) {
        seen = key;
        options.onProgress?.(view);
      }
      if (TRAINING_TERMINAL_STATUSES.has(view.status)) return view;
      await sleep(options.pollMs ?? 2_000, options.signal);
    }
  }

  /** POST /v1/preprocess: a ControlNet preprocessor on one image (an image task). */
  async createPreprocess(body: PreprocessRequestInput, options: RequestOptions = {}): Promise<ImageTaskView> {
    return (await this.transport.json({ method: 'POST', target: '/v1/preprocess', json: body, ...options }, imageTaskViewSchema)).body;
  }

  /** POST /v1/upscales: an upscaler (and optionally face restoration) on an image or a generation output. */
  async createUpscale(body: UpscaleRequestInput, options: RequestOptions = {}): Promise<ImageTaskView> {
    return (await this.transport.json({ method: 'POST', target: '/v1/upscales', json: body, ...options }, imageTaskViewSchema)).body;
  }

  /** POST /v1/face-restorations: detect, align, restore and paste back faces. */
  async createFaceRestoration(body: FaceRestorationRequestInput, options: RequestOptions = {}): Promise<ImageTaskView> {
    return (await this.transport.json({ method: 'POST', target: '/v1/face-restorations', json: body, ...options }, imageTaskViewSchema)).body;
  }

  /** POST /v1/segmentations: Segment Anything masks from clicks and a box. */
  async createSegmentation(body: SegmentationRequestInput, options: RequestOptions = {}): Promise<ImageTaskView> {
    return (await this.transport.json({ method: 'POST', target: '/v1/segmentations', json: body, ...options }, imageTaskViewSchema)).body;
  }

  /** GET /v1/tasks/{id}: any image task. */
  async getTask(id: string, options: RequestOptions = {}): Promise<ImageTaskView> {
    return (await this.transport.json({ method: 'GET', target: `/v1/tasks/${segment(id)}`, signal: options.signal }, imageTaskViewSchema)).body;
  }

  async cancelTask(id: string, options: RequestOptions = {}): Promise<ImageTaskView> {
    return (await this.transport.json({ method: 'POST', target: `/v1/tasks/${segment(id)}/cancel`, ...options }, imageTaskViewSchema)).body;
  }

  async waitForTask(id: string, options: ImageTaskWaitOptions = {}): Promise<ImageTaskView> {
    let seen = '';
    for (;;) {
      const view = await this.getTask(id, { signal: options.signal });
      const key = `${view.status}:${view.progress.step}/${view.progress.total}`;
      if (key !== seen) {
        seen = key;
        options.onProgress?.(view);
      }
      if (IMAGE_TASK_TERMINAL_STATUSES.has(view.status)) return view;
      await sleep(options.pollMs ?? 500, options.signal);
    }
  }
}
