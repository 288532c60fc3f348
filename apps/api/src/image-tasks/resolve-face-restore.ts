import { ImageTaskKind, type FaceRestoreRequest, type FaceRestoreStep, type ResolvedFaceRestore, type ResolvedFaceRestoreStep, type ResolvedImageSource } from '@atelier/contracts';
import { checkWebhook, chooseOnnxModel, routeImageTask, type ImageTaskContext } from './image-task-routing.js';

/**
 * A face restoration step's models: the named (or only/first) `face_restorer` and
 * `face_detector` the tenant can use, and the worker classes that have both.
 */
export function resolveFaceStep(step: FaceRestoreStep, context: ImageTaskContext, fieldPrefix = ''): { step: ResolvedFaceRestoreStep; workerClasses: string[] } {
  const restorer = chooseOnnxModel(context, 'face_restorer', step.model, `${fieldPrefix}model`, { what: 'face restorer model' });
  const detector = chooseOnnxModel(context, 'face_detector', step.detector, `${fieldPrefix}detector`, { what: 'face detector model' });
  return {
    step: { model: restorer.name, detector: detector.name, fidelity: step.fidelity, visibility: step.visibility },
    workerClasses: restorer.workerClasses.filter((name) => detector.workerClasses.includes(name)),
  };
}

export interface ResolvedFaceRestoreSubmission {
  readonly request: ResolvedFaceRestore;
  readonly queue: string;
}

/** A validated POST /v1/face-restorations body and its checked source → the task and its queue. */
export function resolveFaceRestore(body: FaceRestoreRequest, source: ResolvedImageSource, context: ImageTaskContext): ResolvedFaceRestoreSubmission {
  checkWebhook(body.webhook, context);
  const { step, workerClasses } = resolveFaceStep(body, context);
  return {
    request: { v: 1, kind: ImageTaskKind.FaceRestore, source, ...step, output_format: body.output_format, webhook: body.webhook },
    queue: routeImageTask(context, 'detector', workerClasses),
  };
}
