import os from 'node:os';
import path from 'node:path';
import { ConfigError, parseEnvironment, type Environment } from './env.schema.js';
import { loadRedisSettings, type RedisSettings } from './redis-settings.js';
import { loadOrCreateSecrets } from './secrets.js';

export type StorageSettings =
  | { driver: 'local'; root: string; signingSecret: string; publicBaseUrl: string }
  | {
      driver: 's3';
      endpoint?: string;
      publicEndpoint?: string;
      region: string;
      bucket: string;
      accessKeyId: string;
      secretAccessKey: string;
      forcePathStyle: boolean;
    };

/** Validated, resolved configuration handed to every module (paths absolute, secrets present). */
export interface AppConfig {
  readonly env: Environment;
  /** Single Redis, Sentinel or Cluster: hand it to `createRedisConnection` (libs/queue). */
  readonly redis: RedisSettings;
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly modelsDir: string;
  readonly modelCacheDir: string;
  readonly workerId: string;
  readonly webhookSecret: string;
  readonly webhookSecretGenerated: boolean;
  readonly storage: StorageSettings;
}

export async function loadAppConfig(source: NodeJS.ProcessEnv = process.env): Promise<AppConfig> {
  const env = parseEnvironment(source);
  const redis = await loadRedisSettings(env);
  const dataDir = path.resolve(env.DATA_DIR);
  const { secrets, created } = await loadOrCreateSecrets(dataDir);
  const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, '');
  return {
    env,
    redis,
    publicUrl,
    dataDir,
    modelsDir: path.resolve(env.MODELS_DIR),
    modelCacheDir: path.join(dataDir, 'models'),
    workerId: env.WORKER_ID ?? `${os.hostname()}-${process.pid}`,
    webhookSecret: env.WEBHOOK_SECRET ?? secrets.webhookSecret,
    webhookSecretGenerated: !env.WEBHOOK_SECRET && created,
    storage: resolveStorage(env, dataDir, publicUrl, secrets.storageSigningSecret),
  };
}

function resolveStorage(env: Environment, dataDir: string, publicUrl: string, generatedSecret: string): StorageSettings {
  if (env.STORAGE_DRIVER === 'local') {
    return {
      driver: 'local',
      root: path.resolve(env.STORAGE_LOCAL_DIR ?? path.join(dataDir, 'storage')),
      signingSecret: env.STORAGE_SIGNING_SECRET ?? generatedSecret,
      publicBaseUrl: publicUrl,
    };
  }
  const missing = (['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const).filter((key) => !env[key]);
  if (missing.length > 0) throw new ConfigError(missing.map((key) => `${key}="": required when STORAGE_DRIVER=s3`));
  return {
    driver: 's3',
    endpoint: env.S3_ENDPOINT,
    publicEndpoint: env.S3_PUBLIC_ENDPOINT,
    region: env.S3_REGION,
    bucket: env.S3_BUCKET as string,
    accessKeyId: env.S3_ACCESS_KEY_ID as string,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY as string,
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
  };
}
