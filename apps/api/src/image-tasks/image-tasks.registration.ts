import { FaceRestorationsController, ImageTasksController, PreprocessController, SegmentationsController, UpscalesController } from './image-tasks.controller.js';
import { ImageSourceResolver } from './image-source-resolver.js';
import { ImageTaskWaiter } from './image-task-waiter.js';
import { ImageTasksService } from './image-tasks.service.js';
import { SubmitImageTask } from './submit-image-task.js';

/** What AppModule registers for image tasks (kept here so app.module.ts changes by one line each). */
export const IMAGE_TASK_CONTROLLERS = [ImageTasksController, PreprocessController, UpscalesController, FaceRestorationsController, SegmentationsController];
export const IMAGE_TASK_PROVIDERS = [SubmitImageTask, ImageTasksService, ImageSourceResolver, ImageTaskWaiter];
