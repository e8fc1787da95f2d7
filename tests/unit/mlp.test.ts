import { describe, expect, it } from 'vitest';
import { initialWeights, Mlp, mlpLayout, packWeights, unpackWeights } from '../../src/field/mlp.ts';
import { createStorageBuffer, readBuffer, uploadBuffer } from '../../src/gpu/buffer-io.ts';
import { PipelineCache } from '../../src/gpu/pipeline-cache.ts';
import { expectNoGpuErrors, getTestGpu } from '../helpers/node-gpu.ts';
import { backwardReference, forwardReference } from '../helpers/reference/mlp-reference.ts';
import { toFeatureMajor, toSampleMajor } from '../helpers/layout.ts';

function values(n: number, seed: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed * 78.233) * scale);
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-12;
  let worst = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst / scale;
}

async function runMlp(dims: number[], n: number) {
  const { device } = await getTestGpu();
  return expectNoGpuErrors(device, async () => {
    const mlp = new Mlp(new PipelineCache(device), 'test mlp', dims, 5);
    const inDim = dims[0]!;
    const outDim = dims[dims.length - 1]!;
    const inputs = values(n * inDim, 1);
    const dOut = values(n * outDim, 2);
    const batch = mlp.createBatch(n);
    const inBuf = uploadBuffer(device, toFeatureMajor(inputs, inDim), 'in');
    const outBuf = createStorageBuffer(device, n * outDim * 4, 'out');
    const dOutBuf = uploadBuffer(device, toFeatureMajor(dOut, outDim), 'dout');
    const dInBuf = createStorageBuffer(device, n * inDim * 4, 'din');
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    mlp.forward(pass, batch, inBuf, outBuf);
    mlp.backward(pass, batch, inBuf, dOutBuf, dInBuf);
    pass.end();
    device.queue.submit([encoder.finish()]);
    return {
      layout: mlp.layout,
      weights: unpackWeights(mlp.layout, initialWeights(mlp.layout, 5)),
      inputs,
      dOut,
      outputs: toSampleMajor(new Float32Array(await readBuffer(device, outBuf)), outDim),
      dInputs: toSampleMajor(new Float32Array(await readBuffer(device, dInBuf)), inDim),
      storedGrad: new Float32Array(await readBuffer(device, mlp.grad)),
    };
  });
}

describe('tiny MLP (WGSL) against the CPU reference', () => {
  // The field's three networks: density (1 hidden layer), colour (2), embedding head.
  it.each([
    [[32, 64, 16], 704],
    [[32, 64, 64, 3], 2080],
    [[16, 64, 13], 1008],
    [[8, 12, 5], 48],
  ])('dims %j, %i samples: outputs, input gradients and weight gradients', async (dims, n) => {
    const r = await runMlp(dims, n);
    const inDim = dims[0]!;
    const expectedOut: number[] = [];
    for (let s = 0; s < n; s++)
      expectedOut.push(...forwardReference(r.layout, r.weights, r.inputs.subarray(s * inDim, (s + 1) * inDim)).output);
    expect(relErr(r.outputs, expectedOut)).toBeLessThan(1e-5);
    const back = backwardReference(r.layout, r.weights, r.inputs, r.dOut);
    expect(relErr(r.dInputs, back.dInputs)).toBeLessThan(1e-4);
    expect(relErr(unpackWeights(r.layout, r.storedGrad), back.dWeights)).toBeLessThan(1e-4);
    // The padding of the stored weights gets no gradient, so Adam keeps it at zero.
    const padding = r.storedGrad.filter((_, i) => packWeights(r.layout, new Float32Array(r.layout.parameterCount).fill(1))[i] === 0);
    expect(padding.length).toBe(r.layout.weightCount - r.layout.parameterCount);
    expect(padding.every((v) => v === 0)).toBe(true);
  });

  it('the reference backward is the derivative of the reference forward (finite differences)', () => {
    const layout = mlpLayout([8, 12, 4]);
    const w = unpackWeights(layout, initialWeights(layout, 3));
    const x = values(8, 4);
    const dOut = values(4, 5);
    const loss = (weights: Float32Array, input: Float32Array): number =>
      forwardReference(layout, weights, input).output.reduce((s, v, i) => s + v * dOut[i]!, 0);
    const { dInputs, dWeights } = backwardReference(layout, w, x, dOut);
    const h = 1e-3;
    for (let i = 0; i < layout.parameterCount; i += 5) {
      const up = Float32Array.from(w);
      const down = Float32Array.from(w);
      up[i] = w[i]! + h;
      down[i] = w[i]! - h;
      expect((loss(up, x) - loss(down, x)) / (2 * h)).toBeCloseTo(dWeights[i]!, 2);
    }
    for (let k = 0; k < 8; k++) {
      const up = Float32Array.from(x);
      const down = Float32Array.from(x);
      up[k] = x[k]! + h;
      down[k] = x[k]! - h;
      expect((loss(w, up) - loss(w, down)) / (2 * h)).toBeCloseTo(dInputs[k]!, 2);
    }
  });

  it('refuses layers wider than the kernel holds, and inputs that are not whole vec4s', () => {
    expect(() => mlpLayout([32, 128, 3])).toThrow(/layer widths must be 1\.\.64/);
    expect(() => mlpLayout([6, 16, 3])).toThrow(/multiples of 4/);
  });

  it('a forward-only batch gives the same outputs, and refuses backward', async () => {
    const { device } = await getTestGpu();
    const mlp = new Mlp(new PipelineCache(device), 'forward only', [16, 64, 13], 3);
    const n = 64;
    const inBuf = uploadBuffer(device, values(n * 16, 7), 'in');
    const outputs = async (batch: ReturnType<Mlp['createBatch']>): Promise<Float32Array> => {
      const out = createStorageBuffer(device, n * 13 * 4, 'out');
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      mlp.forward(pass, batch, inBuf, out);
      pass.end();
      device.queue.submit([encoder.finish()]);
      return new Float32Array(await readBuffer(device, out));
    };
    const light = mlp.createBatch(n, { backward: false });
    expect(light.deltas).toEqual([]);
    expect(Array.from(await outputs(light))).toEqual(Array.from(await outputs(mlp.createBatch(n))));
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    expect(() => mlp.backward(pass, light, inBuf, inBuf, inBuf)).toThrow('forward only: backward() on a forward-only batch');
    pass.end();
  });

  it('refuses batch sizes that are not whole sample tiles', async () => {
    const { device } = await getTestGpu();
    const mlp = new Mlp(new PipelineCache(device), 'odd batch', [8, 8, 3], 1);
    expect(() => mlp.createBatch(100)).toThrow(/odd batch: batch size 100 is not a multiple of 16/);
  });
});
