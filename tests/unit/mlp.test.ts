import { describe, expect, it } from 'vitest';
import { initialWeights, Mlp, mlpLayout } from '../../src/field/mlp.ts';
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
    const params = mlp.paramsFor(n);
    const batch = mlp.batchBuffers(n);
    const inBuf = uploadBuffer(device, toFeatureMajor(inputs, inDim), 'in');
    const outBuf = createStorageBuffer(device, n * outDim * 4, 'out');
    const dOutBuf = uploadBuffer(device, toFeatureMajor(dOut, outDim), 'dout');
    const dInBuf = createStorageBuffer(device, n * inDim * 4, 'din');
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    mlp.forward(pass, params, n, inBuf, outBuf, batch.activations);
    mlp.backward(pass, params, n, inBuf, dOutBuf, batch, dInBuf);
    pass.end();
    device.queue.submit([encoder.finish()]);
    return {
      layout: mlp.layout,
      weights: initialWeights(mlp.layout, 5),
      inputs,
      dOut,
      outputs: toSampleMajor(new Float32Array(await readBuffer(device, outBuf)), outDim),
      dInputs: toSampleMajor(new Float32Array(await readBuffer(device, dInBuf)), inDim),
      dWeights: new Float32Array(await readBuffer(device, mlp.grad)),
    };
  });
}

describe('tiny MLP (WGSL) against the CPU reference', () => {
  // The field's three networks: density (1 hidden layer), colour (2), embedding head.
  it.each([
    [[32, 64, 16], 700],
    [[32, 64, 64, 3], 300],
    [[16, 64, 13], 1000],
    [[5, 7, 3], 65],
  ])('dims %j, %i samples: outputs, input gradients and weight gradients', async (dims, n) => {
    const r = await runMlp(dims, n);
    const inDim = dims[0]!;
    const expectedOut: number[] = [];
    for (let s = 0; s < n; s++) expectedOut.push(...forwardReference(r.layout, r.weights, r.inputs.subarray(s * inDim, (s + 1) * inDim)).output);
    expect(relErr(r.outputs, expectedOut)).toBeLessThan(1e-5);
    const back = backwardReference(r.layout, r.weights, r.inputs, r.dOut);
    expect(relErr(r.dInputs, back.dInputs)).toBeLessThan(1e-4);
    expect(relErr(r.dWeights, back.dWeights)).toBeLessThan(1e-4);
  });

  it('the reference backward is the derivative of the reference forward (finite differences)', () => {
    const layout = mlpLayout([6, 9, 4]);
    const w = initialWeights(layout, 3);
    const x = values(6, 4);
    const dOut = values(4, 5);
    const loss = (weights: Float32Array, input: Float32Array): number =>
      forwardReference(layout, weights, input).output.reduce((s, v, i) => s + v * dOut[i]!, 0);
    const { dInputs, dWeights } = backwardReference(layout, w, x, dOut);
    const h = 1e-3;
    for (let i = 0; i < layout.weightCount; i += 5) {
      const up = Float32Array.from(w);
      const down = Float32Array.from(w);
      up[i] = w[i]! + h;
      down[i] = w[i]! - h;
      expect((loss(up, x) - loss(down, x)) / (2 * h)).toBeCloseTo(dWeights[i]!, 2);
    }
    for (let k = 0; k < 6; k++) {
      const up = Float32Array.from(x);
      const down = Float32Array.from(x);
      up[k] = x[k]! + h;
      down[k] = x[k]! - h;
      expect((loss(w, up) - loss(w, down)) / (2 * h)).toBeCloseTo(dInputs[k]!, 2);
    }
  });

  it('refuses layers wider than the kernel holds', () => {
    expect(() => mlpLayout([32, 128, 3])).toThrow(/layer widths must be 1\.\.64/);
  });
});
