/// <reference lib="webworker" />
/**
 * Pre-segments depth maps, and finds which segments of different views overlap, off the main
 * thread, one request at a time in arrival order. A segmentation's arrays are transferred, not
 * copied; a request's depth arrives as a copy, so the page keeps its own.
 */
import { presegment, type DepthView, type PreSegmentation, type PreSegmentationSettings } from './pre-segmentation.ts';
import { viewOverlaps, type PlacedSegmentation, type SegmentOverlap, type ViewOverlapSettings } from './view-overlaps.ts';

export type PreSegmentRequest =
  | { id: number; kind: 'segment'; view: DepthView; settings?: Partial<PreSegmentationSettings> }
  | { id: number; kind: 'overlaps'; views: PlacedSegmentation[]; settings?: Partial<ViewOverlapSettings> };

export type PreSegmentReply = { id: number; result: PreSegmentation | SegmentOverlap[][][] } | { id: number; error: string };

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = (event: MessageEvent<PreSegmentRequest>) => {
  const request = event.data;
  const { id } = request;
  try {
    if (request.kind === 'overlaps') {
      scope.postMessage({ id, result: viewOverlaps(request.views, request.settings) } satisfies PreSegmentReply);
      return;
    }
    const result = presegment(request.view, request.settings);
    const transfer = [result.segments.buffer, result.pixels.buffer].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
    scope.postMessage({ id, result } satisfies PreSegmentReply, transfer);
  } catch (e) {
    scope.postMessage({ id, error: e instanceof Error ? e.message : String(e) } satisfies PreSegmentReply);
  }
};
