/// <reference lib="webworker" />
/**
 * Pre-segments depth maps, and finds which segments of different views overlap, off the main
 * thread, one request at a time in arrival order. A segmentation's arrays are transferred, not
 * copied; a request's depth arrives as a copy, so the page keeps its own.
 */
import { serveRequests, WithTransfer } from '../worker/serve-requests.ts';
import { buffersOf } from '../worker/worker-protocol.ts';
import { presegment, type DepthView, type PreSegmentation, type PreSegmentationSettings } from './pre-segmentation.ts';
import { backProject, overlapsOfPoints, type SegmentOverlap, type ViewOverlapSettings, type ViewPoints } from './view-overlaps.ts';

/**
 * `segment` with a camera (`c2w`) also keeps the view's back-projected points; `overlaps` finds
 * the overlaps of the views kept since the last `overlaps`, in the order they were segmented.
 */
export interface PreSegmentApi {
  segment: { args: { view: DepthView; settings?: Partial<PreSegmentationSettings>; c2w?: number[] }; result: PreSegmentation };
  overlaps: { args: { settings?: Partial<Omit<ViewOverlapSettings, 'stride'>> }; result: SegmentOverlap[][][] };
}

let placed: ViewPoints[] = [];

serveRequests<PreSegmentApi>(self as unknown as DedicatedWorkerGlobalScope, {
  segment: ({ view, settings, c2w }) => {
    const result = presegment(view, settings);
    if (c2w) placed.push(backProject({ segmentation: result, depth: view, c2w }));
    return new WithTransfer(result, buffersOf(result.segments, result.pixels));
  },
  overlaps: ({ settings }) => {
    const result = overlapsOfPoints(placed, settings);
    placed = [];
    return result;
  },
});
