import { FaceDetector, FaceRestoreError, FaceRestorer, type FaceModels } from '@atelier/face-restoration';
import type { LocateOnnxModel } from './locate-onnx-model.js';
import { OpenedModels } from './opened-models.js';
import { PermanentTaskError, TaskAbortedError } from './image-task-runner.js';

/** A face detector and restorer located for a tenant and opened once per worker. */
export class FaceModelSessions {
  private readonly detectors = new OpenedModels<FaceDetector>();
  private readonly restorers = new OpenedModels<FaceRestorer>();

  constructor(private readonly locate: LocateOnnxModel) {}

  /** `fieldPrefix` names the request's fields (`face_restore.` for an upscale's step). */
  async open(step: { model: string; detector: string }, tenant: string, fieldPrefix = ''): Promise<FaceModels> {
    const detector = await this.locate('face_detector', step.detector, tenant);
    if (!detector?.files.model) throw new PermanentTaskError('unknown_model', `${fieldPrefix}detector: this worker has no face detector model "${step.detector}"`);
    const restorer = await this.locate('face_restorer', step.model, tenant);
    if (!restorer?.files.model) throw new PermanentTaskError('unknown_model', `${fieldPrefix}model: this worker has no face restorer model "${step.model}"`);
    return {
      detector: await this.detectors.get(detector, (found) => FaceDetector.open(found.files.model as string)),
      restorer: await this.restorers.get(restorer, (found) => FaceRestorer.open(found.files.model as string)),
    };
  }
}

/** A face-restoration failure as the task ends with it: canceled between faces, else permanent with its code. */
export function faceTaskError(error: unknown, signal: AbortSignal): unknown {
  if (!(error instanceof FaceRestoreError)) return error;
  if (error.code === 'face_restore_canceled') return new TaskAbortedError(signal.reason);
  return new PermanentTaskError(error.code, error.message);
}
