/**
 * What a worker and the page say to each other: numbered requests by kind, and per request any
 * number of progress messages followed by one result or one error. worker-client.ts is the page's
 * side, serve-requests.ts the worker's.
 */

/** One kind of request: what it takes, what it gives back, and what it reports on the way (if anything). */
export interface WorkerMethod {
  args: unknown;
  result: unknown;
  progress?: unknown;
}

/**
 * A worker's requests by kind, e.g. `{ segment: { args: SegmentRequest; result: SegmentOutput;
 * progress: SegmentProgressStage } }`; every call and handler is typed from it.
 */
export type WorkerApi<Api> = { [K in keyof Api]: WorkerMethod };

export type ArgsOf<M> = M extends { args: infer A } ? A : never;
export type ResultOf<M> = M extends { result: infer R } ? R : never;
export type ProgressOf<M> = M extends { progress: infer P } ? P : never;

export interface RequestMessage {
  id: number;
  kind: string;
  args: unknown;
}

/**
 * An error as it crosses: its class name, its message and its own fields (a ScanError's `file`),
 * so that the page can rebuild it as the same class.
 */
export interface ErrorMessage {
  name: string;
  message: string;
  data?: Record<string, unknown>;
}

export type ReplyMessage =
  | { id: number; type: 'progress'; progress: unknown }
  | { id: number; type: 'result'; result: unknown }
  | { id: number; type: 'error'; error: ErrorMessage };

/**
 * The buffers behind some arrays, once each (a buffer listed twice fails the whole message), for
 * a transfer list. Shared memory is left out: it is shared, not moved.
 */
export function buffersOf(...views: (ArrayBufferView | null | undefined)[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const view of views) if (view?.buffer instanceof ArrayBuffer) buffers.add(view.buffer);
  return [...buffers];
}
