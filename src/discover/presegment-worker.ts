/// <reference lib="webworker" />
/**
 * Pre-segments depth maps, and finds which segments of different views overlap, off the main
 * thread, one request at a time in arrival order. A segmentation's arrays are transferred, not
 * copied; a request's depth arrives as a copy, so the page keeps its own.
 */
import { presegment, type DepthView, type PreSegmentation, type PreSegmentationSettings } from './pre-segmentation.ts';
import { backProject, overlapsOfPoints, type SegmentOverlap, type ViewOverlapSettings, type ViewPoints } from './view-overlaps.ts';

/**
 * `segment` with a camera (`c2w`) also keeps the view's back-projected points; `overlaps` finds
 * the overlaps of the views kept since the last `overlaps`, in the order they were segmented.
 */
export type PreSegmentRequest =
  | { id: number; kind: 'segment'; view: DepthView; settings?: Partial<PreSegmentationSettings>; c2w?: number[] }
  | { id: number; kind: 'overlaps'; settings?: Partial<Omit<ViewOverlapSettings, 'stride'>> };

export type PreSegmentReply = { id: number; result: PreSegmentation | SegmentOverlap[][][] } | { id: number; error: string };

const scope = self as unknown as DedicatedWorkerGlobalScope;
let placed: ViewPoints[] = [];

scope.onmessage = (event: MessageEvent<PreSegmentRequest>) => {
  const request = event.data;
  const { id } = request;
  try {
    if (request.kind === 'overlaps') {
      const result = overlapsOfPoints(placed, request.settings);
      placed = [];
      scope.postMessage({ id, result } satisfies PreSegmentReply);
      return;
    }
    const result = presegment(request.view, request.settings);
    if (request.c2w) placed.push(backProject({ segmentation: result, depth: request.view, c2w: request.c2w }));
    const transfer = [result.segments.buffer, result.pixels.buffer].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
    scope.postMessage({ id, result } satisfies PreSegmentReply, transfer);
  } catch (e) {
    scope.postMessage({ id, error: e instanceof Error ? e.message : String(e) } satisfies PreSegmentReply);
  }
};
