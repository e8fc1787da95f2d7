/**
 * The worker's side of worker-client.ts: one handler per request kind; whatever a handler
 * returns, reports or throws goes back to the request it answers.
 */
import type { MessagePort as NodeMessagePort } from 'node:worker_threads';
import type { ArgsOf, ErrorMessage, ProgressOf, ReplyMessage, RequestMessage, ResultOf, WorkerApi } from './worker-protocol.ts';

/** Where requests arrive: a Web Worker's global scope, a MessagePort, or a Node worker's parentPort. */
export type RequestPort =
  { postMessage(message: unknown, transfer: Transferable[]): void; onmessage: ((event: MessageEvent) => unknown) | null } | NodeMessagePort;

/** A handler's result with the buffers to move (not copy) to the page with it. */
export class WithTransfer<T> {
  constructor(
    readonly value: T,
    readonly transfer: Transferable[],
  ) {}
}

export type RequestHandlers<Api extends WorkerApi<Api>> = {
  [K in keyof Api]: (
    args: ArgsOf<Api[K]>,
    progress: (progress: ProgressOf<Api[K]>, transfer?: Transferable[]) => void,
  ) => ResultOf<Api[K]> | WithTransfer<ResultOf<Api[K]>> | Promise<ResultOf<Api[K]> | WithTransfer<ResultOf<Api[K]>>>;
};

/** An error's own fields (a ScanError's `file` and `problem`) travel with it; its class is rebuilt by name on the page. */
function errorMessage(e: unknown): ErrorMessage {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const data = Object.fromEntries(Object.entries(e).filter(([, value]) => typeof value !== 'function'));
  return { name: e.name, message: e.message, ...(Object.keys(data).length ? { data } : {}) };
}

/**
 * Answers requests on `port` with `handlers`. With `oneAtATime`, each request waits until the one
 * before it is answered (a model session that runs one frame at a time); otherwise asynchronous
 * handlers overlap and replies go out as they are ready.
 */
export function serveRequests<Api extends WorkerApi<Api>>(
  port: RequestPort,
  handlers: RequestHandlers<Api>,
  options: { oneAtATime?: boolean } = {},
): void {
  const post = (message: ReplyMessage, transfer: Transferable[] = []): void =>
    (port.postMessage as (message: unknown, transfer: Transferable[]) => void)(message, transfer);
  const postError = (id: number, e: unknown): void => {
    const error = errorMessage(e);
    try {
      post({ id, type: 'error', error });
    } catch {
      // A field that cannot be cloned: the class and the message still go.
      post({ id, type: 'error', error: { name: error.name, message: error.message } });
    }
  };

  const answer = async ({ id, kind, args }: RequestMessage): Promise<void> => {
    try {
      const handler = (handlers as Record<string, RequestHandlers<Api>[keyof Api]>)[kind];
      if (!handler) throw new Error(`the worker has no request '${kind}'`);
      const progress = (value: unknown, transfer: Transferable[] = []): void => post({ id, type: 'progress', progress: value }, transfer);
      const reply = await handler(args as never, progress);
      // Posting can fail too (a value that cannot be cloned): that is this request's error.
      if (reply instanceof WithTransfer) post({ id, type: 'result', result: reply.value }, reply.transfer);
      else post({ id, type: 'result', result: reply });
    } catch (e) {
      postError(id, e);
    }
  };

  let queue = Promise.resolve();
  const receive = (request: RequestMessage): void => {
    if (options.oneAtATime) queue = queue.then(() => answer(request));
    else void answer(request);
  };
  if ('on' in port) port.on('message', receive);
  else port.onmessage = (event) => receive(event.data as RequestMessage);
}
