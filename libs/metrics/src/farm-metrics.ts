import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const SECONDS_FAST = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const SECONDS_JOB = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800];

/**
 * The metric catalog (README "Metrics"): every series either process can expose. Names follow
 * Prometheus conventions (base units in the name, `_total` counters) and labels are bounded
 * (no ids), so dashboards and alerts can rely on them.
 */
export function createFarmMetrics(role: 'api' | 'worker', version: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ role });
  collectDefaultMetrics({ register: registry, prefix: 'atelier_process_' });

  const buildInfo = new Gauge({ name: 'atelier_build_info', help: 'Build information; always 1.', labelNames: ['version', 'node_version'], registers: [registry] });
  buildInfo.set({ version, node_version: process.version }, 1);

  return {
    registry,
    httpRequests: new Counter({
      name: 'atelier_http_requests_total',
      help: 'HTTP requests answered by the API, by method, route template and status class.',
      labelNames: ['method', 'route', 'status_class'],
      registers: [registry],
    }),
    generationsSubmitted: new Counter({
      name: 'atelier_generations_submitted_total',
      help: 'Generations accepted by the API, by submission kind (single or batch).',
      labelNames: ['kind'],
      registers: [registry],
    }),
    queueJobs: new Gauge({
      name: 'atelier_queue_jobs',
      help: 'Jobs in each queue by state, read from Redis at scrape time.',
      labelNames: ['queue', 'state'],
      registers: [registry],
    }),
    jobsCompleted: new Counter({
      name: 'atelier_jobs_completed_total',
      help: 'Jobs that left a worker, by job type and outcome (succeeded, failed, canceled, retried).',
      labelNames: ['job_type', 'outcome'],
      registers: [registry],
    }),
    jobFailures: new Counter({
      name: 'atelier_job_failures_total',
      help: 'Failed job attempts by stable error code.',
      labelNames: ['job_type', 'code'],
      registers: [registry],
    }),
    imagesGenerated: new Counter({
      name: 'atelier_images_generated_total',
      help: 'Images produced, by model family.',
      labelNames: ['model_family'],
      registers: [registry],
    }),
    queueWait: new Histogram({
      name: 'atelier_job_queue_wait_seconds',
      help: 'Time from submission to a worker starting the job.',
      labelNames: ['job_type'],
      buckets: SECONDS_JOB,
      registers: [registry],
    }),
    inference: new Histogram({
      name: 'atelier_job_inference_seconds',
      help: 'Time spent running the diffusion pipeline for one job.',
      labelNames: ['job_type', 'model_family'],
      buckets: SECONDS_JOB,
      registers: [registry],
    }),
    postprocess: new Histogram({
      name: 'atelier_postprocess_seconds',
      help: 'Time a worker spent running one image task (preprocess, upscale, …), by kind.',
      labelNames: ['kind'],
      buckets: SECONDS_JOB,
      registers: [registry],
    }),
    upload: new Histogram({
      name: 'atelier_job_upload_seconds',
      help: 'Time spent encoding and uploading a job’s outputs.',
      labelNames: ['job_type'],
      buckets: SECONDS_FAST,
      registers: [registry],
    }),
    endToEnd: new Histogram({
      name: 'atelier_job_end_to_end_seconds',
      help: 'Time from submission to the result being recorded.',
      labelNames: ['job_type', 'model_family'],
      buckets: SECONDS_JOB,
      registers: [registry],
    }),
    denoisingStep: new Histogram({
      name: 'atelier_denoising_step_seconds',
      help: 'Wall time of one denoising step (all UNet passes of the step).',
      labelNames: ['model_family'],
      buckets: SECONDS_FAST,
      registers: [registry],
    }),
    unetBatchSize: new Histogram({
      name: 'atelier_unet_batch_size',
      help: 'Jobs that shared the UNet batch a generation ran in, observed once per generation (1: it ran alone).',
      buckets: [1, 2, 3, 4, 6, 8, 12, 16],
      registers: [registry],
    }),
    workerBusy: new Gauge({
      name: 'atelier_worker_busy_jobs',
      help: 'Jobs this worker is running right now.',
      registers: [registry],
    }),
    sessionPoolSessions: new Gauge({
      name: 'atelier_session_pool_sessions',
      help: 'ONNX Runtime sessions loaded in this worker’s pool.',
      registers: [registry],
    }),
    sessionPoolBytes: new Gauge({
      name: 'atelier_session_pool_bytes',
      help: 'Model bytes (graph + external weights) loaded in this worker’s pool.',
      registers: [registry],
    }),
    sessionPoolHits: new Counter({ name: 'atelier_session_pool_hits_total', help: 'Session requests served by a loaded session.', registers: [registry] }),
    sessionPoolMisses: new Counter({ name: 'atelier_session_pool_misses_total', help: 'Session requests that had to load a model component.', registers: [registry] }),
    sessionPoolEvictions: new Counter({
      name: 'atelier_session_pool_evictions_total',
      help: 'Sessions released to stay under SESSION_POOL_BYTES.',
      registers: [registry],
    }),
    sessionLoad: new Histogram({
      name: 'atelier_session_load_seconds',
      help: 'Time to create one ONNX Runtime session.',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
    gpuMemoryUsed: new Gauge({ name: 'atelier_gpu_memory_used_bytes', help: 'GPU memory in use on this worker’s GPU (nvidia-smi).', registers: [registry] }),
    gpuMemoryTotal: new Gauge({ name: 'atelier_gpu_memory_total_bytes', help: 'GPU memory of this worker’s GPU (nvidia-smi).', registers: [registry] }),
    gpuUtilization: new Gauge({ name: 'atelier_gpu_utilization_ratio', help: 'GPU utilization of this worker’s GPU, 0..1 (nvidia-smi).', registers: [registry] }),
    workerDraining: new Gauge({ name: 'atelier_worker_draining', help: '1 while this worker is draining (takes no new jobs).', registers: [registry] }),
    workersAlive: new Gauge({ name: 'atelier_workers_alive', help: 'Workers with a fresh heartbeat, by class (API, read at scrape).', labelNames: ['worker_class'], registers: [registry] }),
    webhookDeliveries: new Counter({
      name: 'atelier_webhook_deliveries_total',
      help: 'Webhook delivery attempts by event and outcome (delivered, failed, retrying).',
      labelNames: ['event', 'outcome'],
      registers: [registry],
    }),
    webhookLatency: new Histogram({
      name: 'atelier_webhook_delivery_seconds',
      help: 'Duration of one webhook delivery attempt.',
      labelNames: ['event'],
      buckets: SECONDS_FAST,
      registers: [registry],
    }),
  };
}

export type FarmMetrics = ReturnType<typeof createFarmMetrics>;
