/**
 * The page's side of a worker that answers requests (serve-requests.ts): numbers each request,
 * routes its progress and its reply back to it, rebuilds errors as their own class, and rejects
 * everything pending when the worker fails to load or crashes.
 */
import type { Worker as NodeWorker } from 'node:worker_threads';
import type { ArgsOf, ErrorMessage, ProgressOf, ReplyMessage, RequestMessage, ResultOf, WorkerApi } from './worker-protocol.ts';

/** What a client talks to: a Web Worker, a MessagePort, or a Node worker thread (the CLI). */
export type WorkerLike = Worker | MessagePort | NodeWorker;

/** An error class a reply may carry; rebuilt without calling its constructor. */
export type ErrorClass = abstract new (...args: never[]) => Error;

export interface WorkerClientOptions {
  /** The worker as errors name it: `${name} failed: ...`, `${name} was disposed`. */
  name: string;
  /**
   * Error classes rebuilt from a reply by their `name` (the key: class names do not survive
   * minification), with their own fields: `{ ScanError }` keeps a ScanError's file. Any other
   * error arrives as a plain Error with its message.
   */
  errors?: Record<string, ErrorClass>;
  /**
   * Called when the worker failed to load or crashed, once what was pending has been rejected (a
   * Node worker reports its error, then its exit).
   */
  onFailure?: (error: Error) => void;
}

export interface CallOptions<Progress> {
  /** Buffers moved to the worker rather than copied (detached here). */
  transfer?: Transferable[];
  onProgress?: (progress: Progress) => void;
}

interface Pending {
  resolve: (result: never) => void;
  reject: (error: Error) => void;
  onProgress: ((progress: never) => void) | undefined;
}

export class WorkerClient<Api extends WorkerApi<Api>> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private disposed: Error | null = null;

  constructor(
    private readonly worker: WorkerLike,
    private readonly options: WorkerClientOptions,
  ) {
    const fail = (reason: string): void => this.fail(new Error(`${options.name} failed: ${reason}`));
    if ('onmessage' in worker) {
      worker.onmessage = (event: MessageEvent<ReplyMessage>) => this.receive(event.data);
      if ('onerror' in worker) worker.onerror = (event) => fail(event.message);
    } else {
      worker.on('message', (message: ReplyMessage) => this.receive(message));
      worker.on('error', (error: Error) => fail(error.message));
      worker.on('exit', (code: number) => {
        fail(`exited with code ${code}`);
        // A Node worker that exited is gone: later calls fail at once instead of waiting forever.
        this.disposed ??= new Error(`${options.name} exited with code ${code}`);
      });
    }
  }

  /** Sends a request; the promise settles with the worker's reply (or its error) to this request. */
  call<K extends keyof Api & string>(
    kind: K,
    args: ArgsOf<Api[K]>,
    options: CallOptions<ProgressOf<Api[K]>> = {},
  ): Promise<ResultOf<Api[K]>> {
    if (this.disposed) return Promise.reject(this.disposed);
    const id = this.nextId++;
    return new Promise<ResultOf<Api[K]>>((resolve, reject) => {
      const request: RequestMessage = { id, kind, args };
      this.pending.set(id, { resolve: resolve as (result: never) => void, reject, onProgress: options.onProgress });
      try {
        (this.worker.postMessage as (message: unknown, transfer: Transferable[]) => void)(request, options.transfer ?? []);
      } catch (e) {
        this.pending.delete(id);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /**
   * Stops the worker; what is pending, and every later call, is rejected with `reason`. Settles
   * once the worker has stopped (at once for a Web Worker).
   */
  async dispose(reason: Error = new Error(`${this.options.name} was disposed`)): Promise<void> {
    if (this.disposed) return;
    this.disposed = reason;
    this.rejectPending(reason);
    if ('terminate' in this.worker) await this.worker.terminate();
    else this.worker.close();
  }

  private receive(message: ReplyMessage): void {
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    if (message.type === 'progress') return waiting.onProgress?.(message.progress as never);
    this.pending.delete(message.id);
    if (message.type === 'error') waiting.reject(this.rebuild(message.error));
    else waiting.resolve(message.result as never);
  }

  private rebuild({ name, message, data }: ErrorMessage): Error {
    const error = new Error(message);
    const errorClass = this.options.errors?.[name];
    if (!errorClass) return error;
    Object.setPrototypeOf(error, errorClass.prototype);
    return Object.assign(error, data);
  }

  private fail(error: Error): void {
    // A worker that was stopped on purpose reports its exit too (Node): that is no failure.
    if (this.disposed) return;
    this.rejectPending(error);
    this.options.onFailure?.(error);
  }

  private rejectPending(error: Error): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.reject(error);
  }
}
