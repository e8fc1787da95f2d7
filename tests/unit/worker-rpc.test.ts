/**
 * The worker request/reply helper (src/worker/) on Node's real message passing: the page's client
 * and the worker's serveRequests over a MessageChannel (the same structured clone and transfer as
 * between a page and its Web Worker), and over real worker threads where a worker has to crash.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ScanError } from '../../src/scan/scan-error.ts';
import { serveRequests, WithTransfer, type RequestHandlers } from '../../src/worker/serve-requests.ts';
import { WorkerClient, type WorkerClientOptions } from '../../src/worker/worker-client.ts';
import { buffersOf } from '../../src/worker/worker-protocol.ts';
import type { TestWorkerApi } from '../helpers/rpc-test-worker.ts';

interface ChannelApi {
  wait: { args: { ms: number; value: string }; result: string };
  count: { args: { to: number; label: string }; result: string; progress: string };
  scale: { args: { values: Float32Array; by: number; transferReply: boolean }; result: Float32Array };
  load: { args: string; result: never };
  hang: { args: null; result: never };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The last array `scale` replied with, as the worker still sees it. */
let lastScaled: Float32Array | null = null;

const handlers: RequestHandlers<ChannelApi> = {
  wait: async ({ ms, value }) => {
    await sleep(ms);
    return value;
  },
  count: async ({ to, label }, progress) => {
    for (let i = 1; i <= to; i++) {
      await sleep(1);
      progress(`${label} ${i}/${to}`);
    }
    return `${label} done`;
  },
  scale: ({ values, by, transferReply }) => {
    const scaled = values.map((v) => v * by);
    lastScaled = scaled;
    return transferReply ? new WithTransfer(scaled, buffersOf(scaled)) : scaled;
  },
  load: (file) => {
    throw new ScanError(file, 'is truncated (the PNG ends before its IEND chunk)');
  },
  hang: () => new Promise<never>(() => {}),
};

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

/** A client and a server at the two ends of a MessageChannel. */
function channel(options: Partial<WorkerClientOptions> = {}, serverOptions: { oneAtATime?: boolean } = {}): WorkerClient<ChannelApi> {
  const { port1, port2 } = new MessageChannel();
  serveRequests<ChannelApi>(port2, handlers, serverOptions);
  const client = new WorkerClient<ChannelApi>(port1, { name: 'the test worker', ...options });
  open.push({ close: () => client.dispose() }, port2);
  return client;
}

/** A Node worker thread running tests/helpers/rpc-test-worker.ts (or `module`), as the CLI runs its workers. */
function thread(
  options: Partial<WorkerClientOptions> = {},
  module = fileURLToPath(new URL('../helpers/rpc-test-worker.ts', import.meta.url)),
): WorkerClient<TestWorkerApi> {
  const worker = new Worker(new URL('../../tools/ts-worker.mjs', import.meta.url), { workerData: { module: pathToFileURL(module).href } });
  const client = new WorkerClient<TestWorkerApi>(worker, { name: 'the test worker', ...options });
  open.push({ close: () => client.dispose() });
  return client;
}

describe('worker client and server', () => {
  it('matches each reply to its request when the replies come back out of order', async () => {
    const client = channel();
    const settled: string[] = [];
    const calls = [
      { ms: 60, value: 'slow' },
      { ms: 20, value: 'medium' },
      { ms: 0, value: 'fast' },
    ].map((args) => client.call('wait', args).then((value) => (settled.push(value), value)));
    expect(await Promise.all(calls)).toEqual(['slow', 'medium', 'fast']);
    expect(settled).toEqual(['fast', 'medium', 'slow']);
  });

  it('answers one request at a time, in arrival order, when the server says so', async () => {
    const client = channel({}, { oneAtATime: true });
    const settled: string[] = [];
    const calls = [
      { ms: 40, value: 'first' },
      { ms: 0, value: 'second' },
    ].map((args) => client.call('wait', args).then((value) => (settled.push(value), value)));
    expect(await Promise.all(calls)).toEqual(['first', 'second']);
    expect(settled).toEqual(['first', 'second']);
  });

  it('delivers each request its own progress, all of it before the reply', async () => {
    const client = channel();
    const events: string[][] = [[], []];
    const replies = ['a', 'b'].map((label, i) =>
      client.call('count', { to: 3, label }, { onProgress: (p) => events[i]!.push(p) }).then((r) => (events[i]!.push(r), r)),
    );
    expect(await Promise.all(replies)).toEqual(['a done', 'b done']);
    expect(events).toEqual([
      ['a 1/3', 'a 2/3', 'a 3/3', 'a done'],
      ['b 1/3', 'b 2/3', 'b 3/3', 'b done'],
    ]);
  });

  it('moves the buffers on a transfer list (the sender keeps a detached array) and copies the rest', async () => {
    const client = channel();
    const moved = new Float32Array([1, 2, 3]);
    const reply = client.call('scale', { values: moved, by: 2, transferReply: true }, { transfer: buffersOf(moved) });
    expect(moved.byteLength).toBe(0);
    expect([...(await reply)]).toEqual([2, 4, 6]);
    expect(lastScaled!.byteLength).toBe(0);

    const copied = new Float32Array([1, 2, 3]);
    expect([...(await client.call('scale', { values: copied, by: 3, transferReply: false }))]).toEqual([3, 6, 9]);
    expect([...copied]).toEqual([1, 2, 3]);
    expect([...lastScaled!]).toEqual([3, 6, 9]);
  });

  it('lists a buffer shared by several arrays once, and leaves shared memory out', () => {
    const buffer = new ArrayBuffer(16);
    const shared = new Float32Array(new SharedArrayBuffer(8));
    expect(buffersOf(new Uint8Array(buffer), new Float32Array(buffer, 4, 2), null, undefined, shared)).toEqual([buffer]);
  });

  it('carries an error back as its own class with its own fields, when the client knows the class', async () => {
    const known = channel({ errors: { ScanError } });
    const error = await known.call('load', 'rgb/rgb_3.png').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScanError);
    expect(error).toMatchObject({
      name: 'ScanError',
      file: 'rgb/rgb_3.png',
      problem: 'is truncated (the PNG ends before its IEND chunk)',
      message: 'rgb/rgb_3.png: is truncated (the PNG ends before its IEND chunk)',
    });

    const unknown = await channel()
      .call('load', 'rgb/rgb_3.png')
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(Error);
    expect(unknown).not.toBeInstanceOf(ScanError);
    expect((unknown as Error).message).toBe('rgb/rgb_3.png: is truncated (the PNG ends before its IEND chunk)');
  });

  it('rejects a request kind the worker does not have (which does not type-check either)', async () => {
    const client = channel();
    // @ts-expect-error: the API has no such request, so the call does not type-check either.
    await expect(client.call('unload', null)).rejects.toThrow("the worker has no request 'unload'");
    // @ts-expect-error: arguments of the wrong type do not type-check (nothing checks them at run time).
    await expect(client.call('wait', { ms: 'soon', value: 'late' })).resolves.toBe('late');
  });

  it('rejects everything pending when the worker crashes, and reports the failure', async () => {
    const failures: string[] = [];
    const client = thread({ onFailure: (e) => failures.push(e.message) });
    expect(await client.call('echo', 'ready')).toBe('ready');
    const pending = [client.call('hang', null), client.call('hang', null), client.call('crash', 'the model ran out of memory')];
    await Promise.all(pending.map((call) => expect(call).rejects.toThrow('the test worker failed: the model ran out of memory')));
    await expect
      .poll(() => failures)
      .toEqual(['the test worker failed: the model ran out of memory', 'the test worker failed: exited with code 1']);
    // The thread is gone: a later call fails at once instead of waiting forever.
    await expect(client.call('echo', 'anyone?')).rejects.toThrow('the test worker exited with code 1');
  });

  it('rejects what was sent to a worker that failed to load', async () => {
    const client = thread({}, fileURLToPath(new URL('../helpers/no-such-worker.ts', import.meta.url)));
    await expect(client.call('echo', 'hello')).rejects.toThrow(/^the test worker failed: .*no-such-worker\.ts/);
  });

  it('dispose rejects what is pending and every later call, stops the worker, and is no failure', async () => {
    const failures: Error[] = [];
    const client = thread({ onFailure: (e) => failures.push(e) });
    expect(await client.call('echo', 'ready')).toBe('ready');
    const pending = [client.call('hang', null), client.call('hang', null)].map((call) =>
      expect(call).rejects.toThrow('the test worker was disposed'),
    );
    await client.dispose();
    await Promise.all(pending);
    await expect(client.call('echo', 'again')).rejects.toThrow('the test worker was disposed');
    expect(failures).toEqual([]);

    const withReason = channel();
    const waiting = expect(withReason.call('hang', null)).rejects.toThrow('another segmenter was loaded before this frame was segmented');
    await withReason.dispose(new Error('another segmenter was loaded before this frame was segmented'));
    await waiting;
  });
});
