/**
 * Kinds of image task: work on an image that is not a generation, each with its own request
 * schema and worker runner, sharing one queue, one record layout and one lifecycle owner. A new
 * kind is added here; its webhook events (`upscale.succeeded`, …) follow.
 */
export const ImageTaskKind = Object.freeze({
  Preprocess: 'preprocess',
  Upscale: 'upscale',
  FaceRestore: 'face_restore',
  Segment: 'segment',
} as const);
export type ImageTaskKind = (typeof ImageTaskKind)[keyof typeof ImageTaskKind];
export const IMAGE_TASK_KINDS: readonly ImageTaskKind[] = Object.values(ImageTaskKind);

/** The states an image task's webhooks report, as generations name them. */
export const IMAGE_TASK_EVENT_STATES = ['started', 'succeeded', 'failed', 'canceled'] as const;
export type ImageTaskEventState = (typeof IMAGE_TASK_EVENT_STATES)[number];

/** `preprocess.succeeded`, `upscale.failed`, …: one event name per kind and state. */
export type ImageTaskEvent = `${ImageTaskKind}.${ImageTaskEventState}`;

export function imageTaskEvent(kind: ImageTaskKind, state: ImageTaskEventState): ImageTaskEvent {
  return `${kind}.${state}`;
}

export function imageTaskEvents(kind: ImageTaskKind): ImageTaskEvent[] {
  return IMAGE_TASK_EVENT_STATES.map((state) => imageTaskEvent(kind, state));
}
