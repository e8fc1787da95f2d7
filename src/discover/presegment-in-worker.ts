/**
 * The page's entry to pre-segmentation and view overlaps: one long-lived worker
 * (presegment-worker.ts) answers requests in order. Where there are no workers (Node: tests, the
 * CLI) it runs them in place, with the same promise-based interface.
 */
import { presegment, type DepthView, type PreSegmentation, type PreSegmentationSettings } from './pre-segmentation.ts';
import type { PreSegmentReply, PreSegmentRequest } from './presegment-worker.ts';
import { backProject, overlapsOfPoints, type SegmentOverlap, type ViewOverlapSettings, type ViewPoints } from './view-overlaps.ts';

/** A request before it is numbered (Omit on each member of the union). */
type Request = PreSegmentRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

export class PreSegmenter {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: never) => void; reject: (e: Error) => void }>();

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
    return this.ask<PreSegmentation>({
      kind: 'segment',
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
    return this.ask<SegmentOverlap[][][]>({ kind: 'overlaps', ...(settings !== undefined ? { settings } : {}) });
  }

  private ask<T>(request: Request): Promise<T> {
    const worker = this.worker ?? this.startWorker();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: never) => void, reject });
      worker.postMessage({ id, ...request } as PreSegmentRequest);
    });
  }

  /** Stops the worker; requests still waiting are rejected. The next segment() starts a new one. */
  dispose(): void {
    this.stop(new Error('the pre-segmenter was disposed'));
  }

  private startWorker(): Worker {
    const worker = new Worker(new URL('./presegment-worker.ts', import.meta.url), { type: 'module', name: 'pre-segmenter' });
    worker.onmessage = (event: MessageEvent<PreSegmentReply>) => {
      const reply = event.data;
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if ('error' in reply) waiting.reject(new Error(reply.error));
      else waiting.resolve(reply.result as never);
    };
    // A worker that failed to load or crashed answers nothing more: fail what waits, start afresh next time.
    worker.onerror = (event) => this.stop(new Error(`the pre-segmentation worker failed: ${event.message}`));
    this.worker = worker;
    return worker;
  }

  private stop(error: Error): void {
    this.worker?.terminate();
    this.worker = null;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}
