/**
 * Dispatches past the adapter's limit per dimension: ComputeKernel folds the workgroups into rows
 * and shaders/dispatch.wgsl numbers them back, so every item is visited exactly once.
 */
import { describe, expect, it } from 'vitest';
import dispatch from '../../shaders/dispatch.wgsl?raw';
import { createStorageBuffer, readBuffer } from '../../src/gpu/buffer-io.ts';
import { ComputeKernel } from '../../src/gpu/compute-kernel.ts';
import { PipelineCache, workgroupGrid } from '../../src/gpu/pipeline-cache.ts';
import { composeWgsl } from '../../src/gpu/wgsl-compose.ts';
import { expectNoGpuErrors, getTestGpu } from '../helpers/node-gpu.ts';

const counter = `
// requires: Invocation, invocation_index
@group(0) @binding(0) var<storage, read_write> hits: array<atomic<u32>>;
@group(0) @binding(1) var<storage, read_write> row_lengths: array<atomic<u32>>;
override ITEMS: u32;

@compute @workgroup_size(4)
fn count_items(invocation: Invocation) {
  let i = invocation_index(invocation, 4u);
  if (i >= ITEMS) {
    return;
  }
  atomicAdd(&hits[i], 1u);
  atomicMax(&row_lengths[0], invocation.workgroups.x);
}
`;

describe('folded dispatch', () => {
  it('visits every item once when the workgroups do not fit one row', async () => {
    const { device } = await getTestGpu();
    const maxX = device.limits.maxComputeWorkgroupsPerDimension;
    const workgroups = 2 * maxX + 3;
    const items = workgroups * 4 - 3;
    const [x, y] = workgroupGrid(device, workgroups);
    expect(y).toBe(3);
    expect(x * y).toBeGreaterThanOrEqual(workgroups);
    await expectNoGpuErrors(device, async () => {
      const code = composeWgsl('counter', { 'dispatch.wgsl': dispatch, 'counter.wgsl': counter });
      const kernel = new ComputeKernel(new PipelineCache(device), 'counter', code, 'count_items', { ITEMS: items });
      const hits = createStorageBuffer(device, (x * y * 4 + 1) * 4, 'hits');
      const rows = createStorageBuffer(device, 4, 'row length');
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      kernel.dispatch(pass, kernel.bind({ hits, row_lengths: rows }), workgroups);
      pass.end();
      device.queue.submit([encoder.finish()]);
      const counts = new Uint32Array(await readBuffer(device, hits));
      expect(counts.subarray(0, items).every((n) => n === 1)).toBe(true);
      // Surplus workgroups of the last row touch nothing.
      expect(counts.subarray(items).every((n) => n === 0)).toBe(true);
      expect(new Uint32Array(await readBuffer(device, rows))[0]).toBe(x);
    });
  });
});
