/**
 * A Node worker thread for tests/unit/worker-rpc.test.ts, served by the page's serveRequests:
 * `echo` answers, `hang` never does, `crash` throws outside any request (as a worker's
 * uncaught error does), which ends the thread.
 */
import { parentPort } from 'node:worker_threads';
import { serveRequests } from '../../src/worker/serve-requests.ts';

export interface TestWorkerApi {
  echo: { args: string; result: string };
  hang: { args: null; result: never };
  crash: { args: string; result: never };
}

serveRequests<TestWorkerApi>(parentPort!, {
  echo: (text) => text,
  hang: () => new Promise<never>(() => {}),
  crash: (message) => {
    setTimeout(() => {
      throw new Error(message);
    });
    return new Promise<never>(() => {});
  },
});
