import { ImageTaskKind, type ResolvedImageSource, type ResolvedSegment, type SegmentRequest } from '@atelier/contracts';
import { ApiError } from '../common/api-error.js';
import { checkWebhook, chooseOnnxModel, routeImageTask, type ImageTaskContext } from './image-task-routing.js';

export interface ResolvedSegmentSubmission {
  readonly request: ResolvedSegment;
  readonly queue: string;
}

/**
 * A validated POST /v1/segmentations body and its checked source → the task and its queue: the
 * segmenter (named, else the only/first one), every point and box on the image when its size is
 * known now (the worker checks again after decoding a URL's image).
 */
export function resolveSegment(body: SegmentRequest, checked: { source: ResolvedImageSource; size: { width: number; height: number } | undefined }, context: ImageTaskContext): ResolvedSegmentSubmission {
  checkWebhook(body.webhook, context);
  if (checked.size) {
    const { width, height } = checked.size;
    const outside = (x: number, y: number): boolean => x > width || y > height;
    body.points.forEach((point, index) => {
      if (outside(point.x, point.y)) throw ApiError.field(`points.${index}`, `(${point.x}, ${point.y}) is outside the ${width}×${height} image`);
    });
    body.boxes.forEach((box, index) => {
      if (outside(box.x1, box.y1)) throw ApiError.field(`boxes.${index}`, `the box reaches outside the ${width}×${height} image`);
    });
  }
  const model = chooseOnnxModel(context, 'segmenter', body.model, 'model', { what: 'segmenter model' });
  return {
    request: { v: 1, kind: ImageTaskKind.Segment, source: checked.source, model: model.name, points: body.points, boxes: body.boxes, output: body.output, webhook: body.webhook },
    queue: routeImageTask(context, 'model', model.workerClasses),
  };
}
