import { PreprocessError } from './errors.js';
import { DepthEstimator } from './depth/depth-estimator.js';
import { DwposeEstimator } from './openpose/dwpose-estimator.js';
import type { OpenSession } from './onnx/model-session.js';
import { SoftedgeDetector } from './softedge/softedge-detector.js';

/** Model folders per ONNX preprocessor (scribble uses the softedge folder). */
export interface PreprocessorFolders {
  readonly depth?: string;
  readonly softedge?: string;
  readonly openpose?: string;
}

/**
 * Opens each folder's sessions once and keeps them for later calls. `openSession` lets a caller
 * take sessions from its own pool (the worker's memory-budgeted SessionPool) instead of creating
 * them here.
 */
export class PreprocessorModels {
  private readonly opened = new Map<string, Promise<unknown>>();

  constructor(
    readonly folders: PreprocessorFolders,
    private readonly openSession?: OpenSession,
  ) {}

  depth(): Promise<DepthEstimator> {
    return this.open('depth', (folder) => DepthEstimator.open(folder, 'models.depth', this.openSession));
  }

  softedge(): Promise<SoftedgeDetector> {
    return this.open('softedge', (folder) => SoftedgeDetector.open(folder, 'models.softedge', this.openSession));
  }

  openpose(): Promise<DwposeEstimator> {
    return this.open('openpose', (folder) => DwposeEstimator.open(folder, 'models.openpose', this.openSession));
  }

  private open<T>(kind: keyof PreprocessorFolders, create: (folder: string) => Promise<T>): Promise<T> {
    const folder = this.folders[kind];
    if (!folder) return Promise.reject(new PreprocessError('missing_preprocessor_model', `models.${kind}`, `no ${kind} preprocessor model is configured`));
    let pending = this.opened.get(kind) as Promise<T> | undefined;
    if (!pending) {
      pending = create(folder);
      // A failed open is not cached: the folder may be fixed and retried.
      pending.catch(() => this.opened.delete(kind));
      this.opened.set(kind, pending);
    }
    return pending;
  }
}
