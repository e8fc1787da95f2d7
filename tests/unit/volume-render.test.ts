/**
 * Compositing, losses and their backward pass on the GPU, against a CPU forward written from the
 * formulas and its finite-difference gradients.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RENDER_LOSS,
  renderedStride,
  targetStride,
  VolumeRenderer,
  type RenderLossSettings,
} from '../../src/field/volume-renderer.ts';
import { createStorageBuffer, readBuffer, uploadBuffer } from '../../src/gpu/buffer-io.ts';
import { PipelineCache } from '../../src/gpu/pipeline-cache.ts';
import { expectNoGpuErrors, getTestGpu } from '../helpers/node-gpu.ts';
import { toFeatureMajor, toSampleMajor } from '../helpers/layout.ts';

const K = 5;
const settings: RenderLossSettings = {
  ...DEFAULT_RENDER_LOSS,
  background: [0.2, 0.5, 0.9],
  depthWeight: 0.3,
  klWeight: 0.5,
  earlyStop: 1e-6,
};

interface Batch {
  offsets: number[];
  counts: number[];
  t: number[];
  dt: number[];
  density: number[];
  rgb: number[];
  logits: number[];
  targetRgbd: number[];
  targetLogits: number[];
}

function makeBatch(rays: number): Batch {
  let s = 12345;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const b: Batch = { offsets: [], counts: [], t: [], dt: [], density: [], rgb: [], logits: [], targetRgbd: [], targetLogits: [] };
  for (let r = 0; r < rays; r++) {
    const n = r % 9 === 4 ? 0 : 1 + Math.floor(rnd() * 12);
    b.offsets.push(b.t.length);
    b.counts.push(n);
    let t = 0.1 + rnd() * 0.2;
    for (let i = 0; i < n; i++) {
      const dt = 0.02 + rnd() * 0.08;
      b.t.push(t);
      b.dt.push(dt);
      t += dt;
      b.density.push(-2 + rnd() * 5);
      b.rgb.push(-2 + 4 * rnd(), -2 + 4 * rnd(), -2 + 4 * rnd());
      for (let k = 0; k < K; k++) b.logits.push(-2 + 4 * rnd());
    }
    b.targetRgbd.push(rnd(), rnd(), rnd(), r % 3 === 0 ? 0 : 0.2 + rnd());
    for (let k = 0; k < K; k++) b.targetLogits.push(-3 + 6 * rnd());
  }
  return b;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Rendered values per ray and the batch's mean loss, in f64. */
function cpuForward(b: Batch, density = b.density, rgb = b.rgb, logits = b.logits): { rendered: number[][]; loss: number } {
  const rays = b.counts.length;
  let loss = 0;
  const rendered: number[][] = [];
  for (let r = 0; r < rays; r++) {
    let T = 1;
    const c = [0, 0, 0];
    let depth = 0;
    const e = new Array(K).fill(0);
    for (let i = 0; i < b.counts[r]!; i++) {
      const s = b.offsets[r]! + i;
      const alpha = 1 - Math.exp(-Math.exp(Math.min(15, Math.max(-15, density[s]!))) * b.dt[s]!);
      const w = T * alpha;
      for (let ch = 0; ch < 3; ch++) c[ch]! += w * sigmoid(rgb[s * 3 + ch]!);
      depth += w * b.t[s]!;
      for (let k = 0; k < K; k++) e[k] += w * logits[s * K + k]!;
      T *= 1 - alpha;
      if (T < settings.earlyStop) break;
    }
    for (let ch = 0; ch < 3; ch++) c[ch]! += T * settings.background[ch]!;
    rendered.push([...c, depth, 1 - T, ...e]);
    const d = settings.huberDelta;
    for (let ch = 0; ch < 3; ch++) {
      const x = Math.abs(c[ch]! - b.targetRgbd[r * 4 + ch]!);
      loss += x <= d ? (0.5 * x * x) / d : x - 0.5 * d;
    }
    const td = b.targetRgbd[r * 4 + 3]!;
    if (td > 0) loss += settings.depthWeight * Math.abs(depth - td);
    const lse = (v: number[]): number => {
      const m = Math.max(...v);
      return m + Math.log(v.reduce((a, x) => a + Math.exp(x - m), 0));
    };
    const tl = b.targetLogits.slice(r * K, r * K + K);
    const zt = lse(tl);
    const zr = lse(e);
    let kl = 0;
    for (let k = 0; k < K; k++) kl += Math.exp(tl[k]! - zt) * (tl[k]! - zt - (e[k]! - zr));
    loss += settings.klWeight * kl;
  }
  return { rendered, loss: loss / rays };
}

async function gpuRun(b: Batch) {
  const { device } = await getTestGpu();
  return expectNoGpuErrors(device, async () => {
    const renderer = new VolumeRenderer(new PipelineCache(device));
    const rays = b.counts.length;
    const samples = b.t.length;
    const f = (v: number[], label: string) => uploadBuffer(device, Float32Array.from(v), label);
    const interleave = (...columns: number[][]) => columns[0]!.flatMap((_, i) => columns.map((c) => c[i]!));
    const sampleBuffers = {
      range: uploadBuffer(device, Uint32Array.from(interleave(b.offsets, b.counts)), 'range'),
      geom: f(interleave(b.t, b.dt), 'geom'),
      raw: f(
        b.density.flatMap((d, s) => [d, b.rgb[s * 3]!, b.rgb[s * 3 + 1]!, b.rgb[s * 3 + 2]!]),
        'raw',
      ),
      logits: uploadBuffer(device, toFeatureMajor(b.logits, K), 'logits'),
    };
    const rendered = createStorageBuffer(device, rays * renderedStride(K) * 4, 'rendered');
    const targets = Array.from({ length: rays }, (_, r) => [
      ...b.targetRgbd.slice(r * 4, r * 4 + 4),
      ...b.targetLogits.slice(r * K, r * K + K),
    ]).flat();
    const loss = {
      targets: f(targets, 'targets'),
      dRendered: createStorageBuffer(device, rays * targetStride(K) * 4, 'd rendered'),
      rayLosses: createStorageBuffer(device, rays * 12, 'losses'),
    };
    const grads = {
      dRaw: createStorageBuffer(device, samples * 16, 'd raw'),
      dLogits: createStorageBuffer(device, samples * K * 4, 'd logits'),
    };
    const params = renderer.paramsFor(rays, K, samples, settings);
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    renderer.encodeComposite(pass, params, rays, sampleBuffers, rendered);
    renderer.encodeLoss(pass, params, rays, rendered, loss);
    renderer.encodeBackward(pass, params, rays, sampleBuffers, rendered, loss, grads);
    pass.end();
    device.queue.submit([encoder.finish()]);
    const read = async (buf: GPUBuffer) => Array.from(new Float32Array(await readBuffer(device, buf)));
    const dRaw = await read(grads.dRaw);
    return {
      rendered: await read(rendered),
      rayLosses: await read(loss.rayLosses),
      dDensity: dRaw.filter((_, i) => i % 4 === 0),
      dRgb: dRaw.filter((_, i) => i % 4 !== 0),
      dLogits: Array.from(toSampleMajor(await read(grads.dLogits), K)),
    };
  });
}

describe('volume rendering (WGSL)', () => {
  const batch = makeBatch(45);
  const cpu = cpuForward(batch);

  it('composites colour, depth, opacity and logits like the formulas, with empty rays seeing the background', async () => {
    const gpu = await gpuRun(batch);
    const stride = renderedStride(K);
    cpu.rendered.forEach((want, r) => {
      for (let i = 0; i < stride; i++) expect(gpu.rendered[r * stride + i]).toBeCloseTo(want[i]!, 5);
    });
    expect(gpu.rendered.slice(4 * stride, 4 * stride + 5)).toEqual([0.2, 0.5, 0.9, 0, 0].map((v) => expect.closeTo(v, 6)));
    const meanLoss = gpu.rayLosses.reduce((a, v) => a + v, 0) / batch.counts.length;
    expect(meanLoss).toBeCloseTo(cpu.loss, 5);
  });

  it('backpropagates to raw density, colour and logits like finite differences of the loss', async () => {
    const gpu = await gpuRun(batch);
    const h = 1e-4;
    const fd = (which: 'density' | 'rgb' | 'logits', i: number): number => {
      const up = [...batch[which]];
      const down = [...batch[which]];
      up[i]! += h;
      down[i]! -= h;
      const args = (v: number[]) =>
        [which === 'density' ? v : batch.density, which === 'rgb' ? v : batch.rgb, which === 'logits' ? v : batch.logits] as const;
      return (cpuForward(batch, ...args(up)).loss - cpuForward(batch, ...args(down)).loss) / (2 * h);
    };
    let checked = 0;
    for (let s = 0; s < batch.t.length; s += 3) {
      expect(gpu.dDensity[s]).toBeCloseTo(fd('density', s), 4);
      expect(gpu.dRgb[s * 3 + 1]).toBeCloseTo(fd('rgb', s * 3 + 1), 4);
      expect(gpu.dLogits[s * K + 2]).toBeCloseTo(fd('logits', s * K + 2), 4);
      checked++;
    }
    expect(checked).toBeGreaterThan(40);
    // The gradients are not trivially zero.
    expect(Math.max(...gpu.dDensity.map(Math.abs))).toBeGreaterThan(1e-3);
  });
});
