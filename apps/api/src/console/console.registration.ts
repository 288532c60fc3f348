import { ConsoleController } from './console.controller.js';
import { QueuesController } from './queues.controller.js';

/** What AppModule registers for the web console. */
export const CONSOLE_CONTROLLERS = [ConsoleController, QueuesController];
