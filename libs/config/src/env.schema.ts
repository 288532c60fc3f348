import { z } from 'zod';
import { allowlistProblem } from '@atelier/outbound';
import { redisTopologyProblems } from './redis-topology-rules.js';
import { UnsupportedExecutionDeviceError, executionDeviceEntry, isExecutionDevice, type ExecutionDevice } from '@atelier/contracts';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** Comma-separated `host:port` (or `[v6]:port`) entries: Sentinel or Cluster seed nodes. */
const hostPortList = z
  .string()
  .regex(/^\s*(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):\d{1,5}\s*(?:,\s*(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):\d{1,5}\s*)*$/, 'comma-separated host:port entries');

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
/** Comma-separated `host` or `host:port` entries (see libs/outbound/src/allowlist.ts). */
const allowlist = z
  .string()
  .default('')
  .superRefine((value, context) => {
    const problem = allowlistProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });
/** A device of the execution-provider table that onnxruntime-node supports on this host. */
const executionDevice = z
  .string()
  .default('cpu')
  .superRefine((value, context) => {
    try {
      executionDeviceEntry(value);
    } catch (error) {
      if (!(error instanceof UnsupportedExecutionDeviceError)) throw error;
      context.addIssue({ code: 'custom', message: error.message });
    }
  })
  .transform((value): ExecutionDevice => (isExecutionDevice(value) ? value : 'cpu'));

/**
 * Every environment variable Atelier reads, with its default. One schema for all processes so the
 * README table, the validation and the defaults never drift apart.
 */
export const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Loopback unless told otherwise: the container images set HOST=0.0.0.0 explicitly.
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(8080),
  PUBLIC_URL: z.url().optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  /** Sentinel mode: the sentinels to ask for the current master (with REDIS_SENTINEL_MASTER). */
  REDIS_SENTINELS: hostPortList.optional(),
  REDIS_SENTINEL_MASTER: z.string().regex(/^[A-Za-z0-9._-]+$/, 'a Sentinel master name').optional(),
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  /** Cluster mode: a few nodes of the cluster; the rest of the topology is discovered from them. */
  REDIS_CLUSTER_NODES: hostPortList.optional(),
  /** Credentials of the data nodes in Sentinel and Cluster modes (a REDIS_URL carries its own). */
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  /** TLS for Sentinel and Cluster modes (a single Redis uses rediss://). */
  REDIS_TLS: booleanFlag.default(false),
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
  REDIS_TLS_SERVERNAME: z.string().regex(/^[A-Za-z0-9.-]+$/, 'a DNS name').optional(),
  QUEUE_PREFIX: z.string().regex(/^[a-z0-9_-]+$/i, 'letters, digits, _ and - only').default('atelier'),
  DATA_DIR: z.string().min(1).default('.data'),
  MODELS_DIR: z.string().min(1).default('models'),
  DEFAULT_MODEL: z.string().min(1).default('demo-sd15'),
  MODEL_REFRESH_MS: positiveInt.default(30_000),
  MODEL_CACHE_BYTES: positiveInt.default(200 * 1024 ** 3),
  MODELS_STORAGE_PREFIX: z.string().regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/?$/, 'an object-storage prefix like models/').optional(),

  STORAGE_DRIVER: z.enum(['local', 's3']).default('local'),
  STORAGE_LOCAL_DIR: z.string().optional(),
  STORAGE_SIGNING_SECRET: z.string().min(16).optional(),
  S3_ENDPOINT: z.url().optional(),
  S3_PUBLIC_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_BUCKET: z.string().optional(),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  S3_FORCE_PATH_STYLE: booleanFlag.default(true),
  STORAGE_RETRY_MAX_MS: z.coerce.number().int().min(0).default(120_000),
  PRESIGN_EXPIRES_SECONDS: positiveInt.max(7 * 24 * 3600).default(3600),

  ATELIER_BOOTSTRAP_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  AUTH_DISABLED: booleanFlag.default(false),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  WORKER_CONTROL_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  CORS_ORIGINS: z.string().default(''),
  RATE_LIMIT_PER_MINUTE: positiveInt.default(600),
  MAX_RUNNING_JOBS_PER_TENANT: positiveInt.default(1000),
  MAX_QUEUED_JOBS_PER_TENANT: positiveInt.default(50_000),
  IDEMPOTENCY_TTL_SECONDS: positiveInt.default(24 * 3600),
  WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'must be whsec_ followed by base64').optional(),
  /** How long a rotated-out webhook secret keeps signing beside the new one (0 = revoked at once). */
  WEBHOOK_SECRET_ROTATION_OVERLAP_SECONDS: z.coerce.number().int().min(0).max(7 * 24 * 3600).default(24 * 3600),
  WEBHOOK_TIMEOUT_MS: positiveInt.default(15_000),
  WEBHOOK_MAX_ATTEMPTS: positiveInt.max(20).default(8),
  WEBHOOK_CONCURRENCY: positiveInt.default(16),
  WEBHOOK_DISPATCHER: booleanFlag.default(true),
  WEBHOOK_ALLOWED_HOSTS: allowlist,
  /** host[:port] list every outbound fetch (images, datasets, model imports, webhooks) may reach despite the SSRF rules. */
  OUTBOUND_ALLOWED_HOSTS: allowlist,
  WEBHOOK_RETRY_SCHEDULE_MS: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'comma-separated delays in milliseconds')
    .default('5000,300000,1800000,7200000,18000000,36000000,36000000'),

  WORKER_ID: z.string().regex(/^[A-Za-z0-9_.-]+$/).optional(),
  WORKER_CLASS: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'lower-case letters, digits and -').default('default'),
  WORKER_TRAINS: booleanFlag.default(false),
  WORKER_CONCURRENCY: positiveInt.max(64).default(1),
  /** How long a job that starts looks for compatible queued jobs to share its UNet batch. */
  BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(10_000).default(5),
  /**
   * Images in one UNet batch across requests at most; 1 (the default) turns batching across
   * requests off: on CPU it measured no gain, and a job taken but not fitting a batch shows as
   * running while it waits behind it. GPU workers set e.g. 4.
   */
  MAX_CROSS_REQUEST_BATCH: positiveInt.max(64).default(1),
  WORKER_SHUTDOWN_DEADLINE_MS: z.coerce.number().int().min(0).default(30_000),
  METRICS_PORT: port.default(9464),
  PROGRESS_INTERVAL_MS: z.coerce.number().int().min(0).default(250),
  JOB_ATTEMPTS: positiveInt.max(20).default(3),
  JOB_DEADLINE_MS: positiveInt.default(15 * 60_000),
  WORKER_LOCK_MS: positiveInt.min(1000).default(30_000),
  UNSERVABLE_JOB_TIMEOUT_MS: positiveInt.default(60_000),
  EXECUTION_PROVIDER: executionDevice,
  SESSION_POOL_BYTES: positiveInt.default(8 * 1024 ** 3),

  MAX_BATCH_SIZE: positiveInt.max(10_000).default(10_000),
  MAX_SAMPLES: positiveInt.max(16).default(8),
  MAX_STEPS: positiveInt.max(500).default(150),
  MAX_PIXELS: positiveInt.default(2048 * 2048),
  /** Pixels of an upscaled image (chained upscale, hires second pass excluded: that counts against MAX_PIXELS). */
  MAX_UPSCALE_PIXELS: positiveInt.default(8192 * 8192),
  MAX_IMAGE_BYTES: positiveInt.default(20 * 1024 * 1024),
  MAX_IMAGE_DIMENSION: positiveInt.default(8192),
  MAX_PROMPT_CHARS: positiveInt.default(10_000),
  MAX_BODY_BYTES: positiveInt.default(64 * 1024 * 1024),
  MAX_DATASET_BYTES: positiveInt.default(512 * 1024 * 1024),
  /** A registry import's file (LoRA, embedding, ONNX model graph): uploads above it are a 413. */
  MAX_MODEL_BYTES: positiveInt.default(2 * 1024 ** 3),
  TRAINER_ENGINE: z.enum(['builtin', 'kohya']).default('builtin'),
}).superRefine((env, context) => {
  // Combinations that are each valid alone but contradict one another (e.g. two topologies).
  for (const problem of redisTopologyProblems(env)) context.addIssue({ code: 'custom', path: [problem.variable], message: problem.message });
});

export type Environment = z.infer<typeof environmentSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`Invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function parseEnvironment(source: NodeJS.ProcessEnv = process.env): Environment {
  const known = Object.fromEntries(
    Object.keys(environmentSchema.shape)
      .filter((key) => source[key] !== undefined && source[key] !== '')
      .map((key) => [key, source[key]]),
  );
  const result = environmentSchema.safeParse(known);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.');
        return `${name}=${JSON.stringify(known[name] ?? '')}: ${issue.message}`;
      }),
    );
  }
  return result.data;
}
