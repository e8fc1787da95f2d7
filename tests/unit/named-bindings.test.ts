/**
 * Kernels bind buffers by the names of their WGSL variables: a name the shader lacks, a variable
 * the entry point uses without a buffer, or one it does not use, is refused at once with a message
 * naming the bindings, instead of a bind group that WebGPU rejects later.
 */
import { describe, expect, it } from 'vitest';
import dispatch from '../../shaders/dispatch.wgsl?raw';
import mlp from '../../shaders/mlp.wgsl?raw';
import { readBuffer, uploadBuffer } from '../../src/gpu/buffer-io.ts';
import { ComputeKernel } from '../../src/gpu/compute-kernel.ts';
import { PipelineCache } from '../../src/gpu/pipeline-cache.ts';
import { composeWgsl } from '../../src/gpu/wgsl-compose.ts';
import { expectNoGpuErrors, getTestGpu } from '../helpers/node-gpu.ts';

const shader = `
@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(3) var<storage, read_write> output: array<u32>;
@group(0) @binding(1) var<storage, read_write> other: array<u32>;

fn load(i: u32) -> u32 {
  return input[i];
}

@compute @workgroup_size(1)
fn increment() {
  let output_index = 0u;   // not the binding
  output[output_index] = load(0u) + 1u;
}

@compute @workgroup_size(1)
fn clear() {
  other[0] = 0u;
}
`;

describe('named bindings', () => {
  it('binds by name the variables an entry point uses, through the functions it calls, and runs', async () => {
    const { device } = await getTestGpu();
    await expectNoGpuErrors(device, async () => {
      const kernel = new ComputeKernel(new PipelineCache(device), 'increment', shader, 'increment');
      expect(Object.fromEntries(kernel.bindings)).toEqual({ input: 0, output: 3 });
      const input = uploadBuffer(device, new Uint32Array([41]), 'input');
      const output = uploadBuffer(device, new Uint32Array([0]), 'output');
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      kernel.dispatch(pass, kernel.bind({ output, input }), 1);
      pass.end();
      device.queue.submit([encoder.finish()]);
      expect(new Uint32Array(await readBuffer(device, output))[0]).toBe(42);
    });
  });

  it('refuses a wrong name, a missing buffer and a variable the entry point does not use', async () => {
    const { device } = await getTestGpu();
    const kernel = new ComputeKernel(new PipelineCache(device), 'increment', shader, 'increment');
    const buffer = uploadBuffer(device, new Uint32Array([0]), 'buffer');
    expect(() => kernel.bind({ input: buffer, outptu: buffer })).toThrow(
      "increment (increment): the shader has no binding 'outptu'; it has input, output, other",
    );
    expect(() => kernel.bind({ input: buffer })).toThrow("increment (increment): no buffer for 'output', which the entry point uses");
    expect(() => kernel.bind({ input: buffer, output: buffer, other: buffer })).toThrow(
      "increment (increment): the entry point does not use 'other'; it uses input, output",
    );
  });

  it("reads the mlp's bindings per entry point (two names share binding 6)", async () => {
    const { device } = await getTestGpu();
    const code = composeWgsl('mlp', { 'dispatch.wgsl': dispatch, 'mlp.wgsl': mlp });
    const constants = { IN: 16, OUT: 16, W_OFFSET: 0, RELU_OUT: 1, RELU_IN: 0 };
    const kernel = (entry: string) => new ComputeKernel(new PipelineCache(device), 'mlp', code, entry, constants);
    expect(Object.fromEntries(kernel('forward').bindings)).toEqual({ params: 0, weights: 1, x: 2, y: 3 });
    expect(Object.fromEntries(kernel('backward_data').bindings)).toEqual({ params: 0, weights: 1, x: 2, dy: 4, dx: 5 });
    expect(Object.fromEntries(kernel('weight_grad').bindings)).toEqual({ params: 0, x: 2, dy: 4, partials: 6 });
    expect(Object.fromEntries(kernel('reduce_grad').bindings)).toEqual({ params: 0, partial_columns: 6, grad: 7 });
  });
});
