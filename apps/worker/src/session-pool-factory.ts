import path from 'node:path';
import type { Logger } from 'pino';
import type { AppConfig } from '@atelier/config';
import { RemoteWeights, SessionPool } from '@atelier/diffusion';
import type { FarmMetrics } from '@atelier/metrics';
import type { ObjectStorage } from '@atelier/storage';

/**
 * The worker's ONNX Runtime sessions on its configured execution provider, reported to metrics
 * and logs; remote model weights are fetched into the disk cache on first use.
 */
export function createSessionPool(config: AppConfig, metrics: FarmMetrics, logger: Logger, storage: ObjectStorage, remoteDir: string): SessionPool {
  const pool = new SessionPool(
    config.env.EXECUTION_PROVIDER,
    config.env.SESSION_POOL_BYTES,
    {
      onHit: () => metrics.sessionPoolHits.inc(),
      onMiss: () => metrics.sessionPoolMisses.inc(),
      onEvict: () => metrics.sessionPoolEvictions.inc(),
      onLoad: (modelPath, seconds, bytes, detail) => {
        metrics.sessionLoad.observe(seconds);
        logger.info({ component: modelPath, seconds: Number(seconds.toFixed(3)), bytes, disk_bytes: detail.diskBytes, rss_delta: detail.rssDelta }, 'ONNX session loaded');
      },
      onChange: (stats) => {
        metrics.sessionPoolSessions.set(stats.sessions);
        metrics.sessionPoolBytes.set(stats.loadedBytes);
      },
    },
    { optimizedModelDir: path.join(config.modelCacheDir, 'ort-optimized') },
  );
  logger.info({ execution_provider: config.env.EXECUTION_PROVIDER, session_pool_bytes: config.env.SESSION_POOL_BYTES }, 'ONNX Runtime execution provider selected');
  const remoteWeights = new RemoteWeights(storage, remoteDir, config.env.MODEL_CACHE_BYTES, (dir) => pool.isLoadedFrom(dir));
  pool.setFilePreparer((modelPath) => remoteWeights.ensure(modelPath));
  return pool;
}
