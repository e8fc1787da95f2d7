/**
 * The page's entry to pre-segmentation and view overlaps: one long-lived worker
 * (presegment-worker.ts) answers requests in order. Where there are no workers (Node: tests, the
 * CLI) it runs them in place, with the same promise-based interface.
 */
import { WorkerClient } from '../worker/worker-client.ts';
import { presegment, type DepthView, type PreSegmentation, type PreSegmentationSettings } from './pre-segmentation.ts';
import type { PreSegmentApi } from './presegment-worker.ts';
import { backProject, overlapsOfPoints, type SegmentOverlap, type ViewOverlapSettings, type ViewPoints } from './view-overlaps.ts';

export class PreSegmenter {
  private worker: WorkerClient<PreSegmentApi> | null = null;

  /** Views segmented without workers with a camera, for overlaps(). */
  private placedHere: ViewPoints[] = [];

  /**
   * Pre-segments a depth map. With the view's camera-to-world (OpenCV axes, in the depth's
   * units) the view's back-projected depth is kept, in the worker, for overlaps().
   */
  segment(view: DepthView, settings?: Partial<PreSegmentationSettings>, c2w?: ArrayLike<number>): Promise<PreSegmentation> {
    if (typeof Worker === 'undefined') {
      return new Promise((resolve) => {
        const segmentation = presegment(view, settings);
        if (c2w) this.placedHere.push(backProject({ segmentation, depth: view, c2w }));
        resolve(segmentation);
      });
    }
    return this.client().call('segment', {
      view,
      ...(settings !== undefined ? { settings } : {}),
      ...(c2w ? { c2w: Array.from(c2w) } : {}),
    });
  }

  /**
   * viewOverlaps() of the views segmented with a camera since the last call, in that order, off
   * the main thread (a second or so for 60 frames of 320x240); they are forgotten afterwards.
   */
  overlaps(settings?: Partial<Omit<ViewOverlapSettings, 'stride'>>): Promise<SegmentOverlap[][][]> {
    if (typeof Worker === 'undefined') {
      return new Promise((resolve) => {
        const result = overlapsOfPoints(this.placedHere, settings);
        this.placedHere = [];
        resolve(result);
      });
    }
    return this.client().call('overlaps', settings !== undefined ? { settings } : {});
  }

  /** Stops the worker; requests still waiting are rejected. The next segment() starts a new one. */
  dispose(): void {
    void this.worker?.dispose(new Error('the pre-segmenter was disposed'));
    this.worker = null;
  }

  private client(): WorkerClient<PreSegmentApi> {
    if (this.worker) return this.worker;
    const worker = new WorkerClient<PreSegmentApi>(
      new Worker(new URL('./presegment-worker.ts', import.meta.url), { type: 'module', name: 'pre-segmenter' }),
      {
        name: 'the pre-segmentation worker',
        // A worker that failed to load or crashed answers nothing more (what waited is rejected): start afresh next time.
        onFailure: () => {
          void worker.dispose();
          if (this.worker === worker) this.worker = null;
        },
      },
    );
    this.worker = worker;
    return worker;
  }
}
