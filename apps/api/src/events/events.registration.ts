import { BatchEventsController } from './batch-events.controller.js';
import { EventStreams } from './event-streams.service.js';
import { GenerationEventsController } from './generation-events.controller.js';
import { GenerationWaiter } from './generation-waiter.js';
import { QueuePositions } from './queue-position.js';
import { TrainingEventsController } from './training-events.controller.js';

/** What AppModule registers for live progress (kept here so app.module.ts changes by one line). */
export const EVENTS_CONTROLLERS = [GenerationEventsController, BatchEventsController, TrainingEventsController];
export const EVENTS_PROVIDERS = [QueuePositions, GenerationWaiter, EventStreams];
