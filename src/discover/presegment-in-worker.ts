/**
 * The page's entry to pre-segmentation and view overlaps: one long-lived worker
 * (presegment-worker.ts) answers requests in order. Where there are no workers (Node: tests, the
 * CLI) it runs them in place, with the same promise-based interface.
 */
import { presegment, type DepthView, type PreSegmentation, type PreSegmentationSettings } from './pre-segmentation.ts';
import type { PreSegmentReply, PreSegmentRequest } from './presegment-worker.ts';
import { viewOverlaps, type PlacedSegmentation, type SegmentOverlap, type ViewOverlapSettings } from './view-overlaps.ts';

/** A request before it is numbered (Omit on each member of the union). */
type Request = PreSegmentRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

export class PreSegmenter {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: never) => void; reject: (e: Error) => void }>();

  segment(view: DepthView, settings?: Partial<PreSegmentationSettings>): Promise<PreSegmentation> {
    if (typeof Worker === 'undefined') return new Promise((resolve) => resolve(presegment(view, settings)));
    return this.ask<PreSegmentation>({ kind: 'segment', view, ...(settings !== undefined ? { settings } : {}) });
  }

  /** viewOverlaps() off the main thread: a second or so for 60 frames of 320x240. */
  overlaps(views: PlacedSegmentation[], settings?: Partial<ViewOverlapSettings>): Promise<SegmentOverlap[][][]> {
    if (typeof Worker === 'undefined') return new Promise((resolve) => resolve(viewOverlaps(views, settings)));
    return this.ask<SegmentOverlap[][][]>({ kind: 'overlaps', views, ...(settings !== undefined ? { settings } : {}) });
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
