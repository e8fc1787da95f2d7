import { describe, expect, it } from 'vitest';
import { Adam, INSTANT_NGP_ADAM } from '../../src/field/adam.ts';
import { readBuffer, uploadBuffer } from '../../src/gpu/buffer-io.ts';
import { PipelineCache } from '../../src/gpu/pipeline-cache.ts';
import { expectNoGpuErrors, getTestGpu } from '../helpers/node-gpu.ts';

/** Adam as the paper writes it (Algorithm 1), in f64. */
function adamReference(
  w: number[],
  grads: number[][],
  s: { learningRate: number; beta1: number; beta2: number; epsilon: number },
): number[] {
  const m = w.map(() => 0);
  const v = w.map(() => 0);
  const out = [...w];
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < out.length; i++) {
      m[i] = s.beta1 * m[i]! + (1 - s.beta1) * g[i]!;
      v[i] = s.beta2 * v[i]! + (1 - s.beta2) * g[i]! ** 2;
      const mHat = m[i]! / (1 - s.beta1 ** t);
      const vHat = v[i]! / (1 - s.beta2 ** t);
      out[i] = out[i]! - (s.learningRate * mHat) / (Math.sqrt(vHat) + s.epsilon);
    }
  });
  return out;
}

describe('Adam (WGSL)', () => {
  it('matches the paper over 6 steps, for two parameter groups, and clears the gradient', async () => {
    const { device } = await getTestGpu();
    await expectNoGpuErrors(device, async () => {
      const settings = { ...INSTANT_NGP_ADAM, learningRate: 0.05, epsilon: 1e-8 };
      const adam = new Adam(new PipelineCache(device), settings);
      const sizes = [1000, 300];
      const start = sizes.map((n, gi) => Array.from({ length: n }, (_, i) => Math.cos(i + gi)));
      const weights = start.map((w, gi) => uploadBuffer(device, Float32Array.from(w), `w${gi}`));
      const grads = sizes.map((n, gi) => uploadBuffer(device, new Float32Array(n), `g${gi}`));
      sizes.forEach((n, gi) => adam.add(weights[gi]!, grads[gi]!, n));
      const history = sizes.map(() => [] as number[][]);
      for (let step = 0; step < 6; step++) {
        sizes.forEach((n, gi) => {
          const g = Array.from({ length: n }, (_, i) => Math.sin(0.3 * i * (step + 1) + gi) * (i % 7 === 0 ? 100 : 1));
          history[gi]!.push(g);
          device.queue.writeBuffer(grads[gi]!, 0, Float32Array.from(g));
        });
        adam.update();
      }
      for (const [gi, n] of sizes.entries()) {
        const got = new Float32Array(await readBuffer(device, weights[gi]!));
        const want = adamReference(start[gi]!, history[gi]!, settings);
        let worst = 0;
        for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
        expect(worst).toBeLessThan(2e-5);
        expect(new Float32Array(await readBuffer(device, grads[gi]!)).every((g) => g === 0)).toBe(true);
      }
    });
  });

  it('skips NaN and infinite gradients instead of spreading them', async () => {
    const { device } = await getTestGpu();
    const adam = new Adam(new PipelineCache(device), INSTANT_NGP_ADAM);
    const w = uploadBuffer(device, Float32Array.from([1, 2, 3]), 'w');
    const g = uploadBuffer(device, Float32Array.from([NaN, Infinity, 1]), 'g');
    adam.add(w, g, 3);
    adam.update();
    const out = new Float32Array(await readBuffer(device, w));
    expect(Array.from(out.slice(0, 2))).toEqual([1, 2]);
    expect(out[2]).toBeCloseTo(3 - 0.01, 6);
  });
});
