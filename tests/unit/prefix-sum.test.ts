import { describe, expect, it } from 'vitest';
import { readBuffer, uploadBuffer } from '../../src/gpu/buffer-io.ts';
import { PipelineCache } from '../../src/gpu/pipeline-cache.ts';
import { PrefixSum } from '../../src/gpu/prefix-sum.ts';
import { expectNoGpuErrors, getTestGpu } from '../helpers/node-gpu.ts';

function cpuExclusiveScan(values: Uint32Array): Uint32Array {
  const out = new Uint32Array(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    out[i] = sum;
    sum = (sum + values[i]!) >>> 0;
  }
  return out;
}

function randomValues(n: number, seed: number, max: number): Uint32Array {
  const values = new Uint32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    values[i] = s % max;
  }
  return values;
}

async function gpuScan(values: Uint32Array): Promise<Uint32Array> {
  const { device } = await getTestGpu();
  return expectNoGpuErrors(device, async () => {
    const cache = new PipelineCache(device);
    const buffer = uploadBuffer(device, values, 'scan input');
    const scan = new PrefixSum(cache, values.length);
    const encoder = device.createCommandEncoder();
    scan.encode(encoder, buffer);
    device.queue.submit([encoder.finish()]);
    const result = new Uint32Array(await readBuffer(device, buffer, values.length * 4));
    scan.destroy();
    buffer.destroy();
    return result;
  });
}

describe('prefix sum (WGSL, Dawn)', () => {
  // One block, a partial block, exactly two levels, a ragged two-level and a three-level size.
  it.each([1, 7, 1024, 1025, 4099, 100_003, 1_500_000])('matches the CPU on %i values', async (n) => {
    const values = randomValues(n, n, 1000);
    const result = await gpuScan(values);
    const expected = cpuExclusiveScan(values);
    const firstMismatch = result.findIndex((v, i) => v !== expected[i]);
    expect(firstMismatch, `first mismatch at ${firstMismatch}`).toBe(-1);
  });

  it('wraps around like u32 arithmetic', async () => {
    const values = new Uint32Array([0xffffffff, 2, 3]);
    expect([...(await gpuScan(values))]).toEqual([0, 0xffffffff, 1]);
  });

  it('refuses a buffer shorter than the scan', async () => {
    const { device } = await getTestGpu();
    const scan = new PrefixSum(new PipelineCache(device), 100);
    const small = uploadBuffer(device, new Uint32Array(10), 'too small');
    expect(() => scan.encode(device.createCommandEncoder(), small)).toThrow(/needs 400 bytes/);
  });
});
