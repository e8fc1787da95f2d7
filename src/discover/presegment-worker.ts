/// <reference lib="webworker" />
/**
 * Pre-segments depth maps off the main thread, one request at a time in arrival order. The result's
 * arrays are transferred, not copied; the request's depth arrives as a copy, so the page keeps its own.
 */
import { presegment, type DepthView, type PreSegmentation, type PreSegmentationSettings } from './pre-segmentation.ts';

export interface PreSegmentRequest {
  id: number;
  view: DepthView;
  settings?: Partial<PreSegmentationSettings>;
}

export type PreSegmentReply = { id: number; result: PreSegmentation } | { id: number; error: string };

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = (event: MessageEvent<PreSegmentRequest>) => {
  const { id, view, settings } = event.data;
  try {
    const result = presegment(view, settings);
    const transfer = [result.segments.buffer, result.pixels.buffer].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
    scope.postMessage({ id, result } satisfies PreSegmentReply, transfer);
  } catch (e) {
    scope.postMessage({ id, error: e instanceof Error ? e.message : String(e) } satisfies PreSegmentReply);
  }
};
