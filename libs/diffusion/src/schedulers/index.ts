export type {
  BetaSchedule,
  NoiseScheduleConfig,
  NoiseSource,
  PredictionType,
  Scheduler,
  SchedulerDefinition,
  SchedulerOptions,
  TimestepSpacing,
} from './scheduler.js';
export { parseSchedulerConfig, parseSchedulerConfigText } from './config.js';
export { SchedulerConfigError, UnknownSchedulerError } from './errors.js';
export {
  SCHEDULERS,
  listSchedulers,
  resolveScheduler,
  samplerName,
  schedulerForModelDefault,
  type RegisteredScheduler,
  type ResolvedScheduler,
  type SchedulerListing,
} from './registry.js';
