/**
 * The page's entry to pre-segmentation: one long-lived worker (presegment-worker.ts) answers
 * requests in order. Where there are no workers (Node: tests, the CLI) it runs presegment() in
 * place, with the same promise-based interface.
 */
import { presegment, type DepthView, type PreSegmentation, type PreSegmentationSettings } from './pre-segmentation.ts';
import type { PreSegmentReply, PreSegmentRequest } from './presegment-worker.ts';

export class PreSegmenter {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: PreSegmentation) => void; reject: (e: Error) => void }>();

  segment(view: DepthView, settings?: Partial<PreSegmentationSettings>): Promise<PreSegmentation> {
    if (typeof Worker === 'undefined') return new Promise((resolve) => resolve(presegment(view, settings)));
    const worker = this.worker ?? this.startWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, view, ...(settings !== undefined ? { settings } : {}) } satisfies PreSegmentRequest);
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
      else waiting.resolve(reply.result);
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
