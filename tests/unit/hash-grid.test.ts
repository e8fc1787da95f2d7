import { describe, expect, it } from 'vitest';
import { HashGrid, hashGridLayout, INSTANT_NGP_HASH_GRID, type HashGridConfig } from '../../src/field/hash-grid.ts';
import { readBuffer, uploadBuffer, createStorageBuffer } from '../../src/gpu/buffer-io.ts';
import { PipelineCache } from '../../src/gpu/pipeline-cache.ts';
import { expectNoGpuErrors, getTestGpu } from '../helpers/node-gpu.ts';
import { backwardReference, encodeReference } from '../helpers/reference/hash-grid-reference.ts';
import { toFeatureMajor, toSampleMajor } from '../helpers/layout.ts';

// Small enough to check every parameter, large enough to have dense and hashed levels.
const SMALL: HashGridConfig = { levels: 6, featuresPerLevel: 2, log2TableSize: 10, baseResolution: 4, finestResolution: 64 };

function randomPoints(n: number, seed: number): Float32Array {
  const out = new Float32Array(n * 3);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296;
  }
  // The cube's corners and faces are valid inputs too.
  out.set([0, 0, 0, 1, 1, 1, 0, 1, 0.5].slice(0, out.length), 0);
  return out;
}

function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-12;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst / scale;
}

describe('hash grid layout', () => {
  it('follows instant-ngp: 16 levels from 16 to 2048, dense while a level fits its table', () => {
    const l = hashGridLayout(INSTANT_NGP_HASH_GRID);
    expect(l.level).toHaveLength(16);
    expect(l.level[0]!.scale + 1).toBeCloseTo(16, 9);
    expect(l.level[15]!.scale + 1).toBeCloseTo(2048, 6);
    expect(l.level.filter((v) => v.dense).length).toBe(l.denseLevels);
    // 2^19 entries hold a dense grid up to 80^3 vertices.
    expect(l.level.every((v) => v.dense === v.resolution ** 3 <= 2 ** 19)).toBe(true);
    expect(l.outputDims).toBe(32);
    expect(l.parameterCount).toBe(l.entries * 2);
  });

  it('refuses settings it cannot run', () => {
    expect(() => hashGridLayout({ ...SMALL, levels: 40 })).toThrow(/levels must be/);
    expect(() => hashGridLayout({ ...SMALL, finestResolution: 2 })).toThrow(/resolutions/);
  });
});

describe('hash grid kernels (WGSL) against the CPU reference', () => {
  async function run(config: HashGridConfig, n: number) {
    const { device } = await getTestGpu();
    return expectNoGpuErrors(device, async () => {
      const cache = new PipelineCache(device);
      const grid = new HashGrid(cache, config, { seed: 7, range: 1 });
      const points = randomPoints(n, 3);
      const dims = grid.layout.outputDims;
      const upstream = Float32Array.from({ length: n * dims }, (_, i) => Math.sin(i * 0.37));
      const positions = uploadBuffer(device, points, 'points');
      const features = createStorageBuffer(device, n * dims * 4, 'features');
      const dFeatures = uploadBuffer(device, toFeatureMajor(upstream, dims), 'd features');
      const params = grid.paramsFor(n);
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      grid.encode(pass, params, n, positions, features);
      grid.backward(pass, params, n, positions, dFeatures);
      pass.end();
      device.queue.submit([encoder.finish()]);
      const table = new Float32Array(await readBuffer(device, grid.table, grid.layout.parameterCount * 4));
      return {
        layout: grid.layout,
        table,
        points,
        upstream,
        features: toSampleMajor(new Float32Array(await readBuffer(device, features)), dims),
        grad: new Float32Array(await readBuffer(device, grid.grad, grid.layout.parameterCount * 4)),
      };
    });
  }

  it.each([1, 63, 64, 1000])('encodes %i points like the reference', async (n) => {
    const r = await run(SMALL, n);
    expect(maxRelativeError(r.features, encodeReference(r.layout, r.table, r.points))).toBeLessThan(1e-5);
  });

  it('accumulates the table gradient like the reference (many points share corners)', async () => {
    const r = await run(SMALL, 4000);
    const expected = backwardReference(r.layout, r.points, r.upstream);
    expect(maxRelativeError(r.grad, expected)).toBeLessThan(1e-4);
    // Coarse dense levels collect many contributions, hashed fine levels few: both occur.
    expect(r.layout.denseLevels).toBeGreaterThan(0);
    expect(r.layout.denseLevels).toBeLessThan(SMALL.levels);
  });

  it('the reference gradient is the derivative of the reference encoding (finite differences)', async () => {
    const r = await run(SMALL, 50);
    const analytic = backwardReference(r.layout, r.points, r.upstream);
    const loss = (t: Float32Array): number => encodeReference(r.layout, t, r.points).reduce((s, v, i) => s + v * r.upstream[i]!, 0);
    const touched = [...analytic.keys()].filter((i) => analytic[i] !== 0).slice(0, 40);
    expect(touched.length).toBe(40);
    for (const i of touched) {
      const t = Float32Array.from(r.table);
      const h = 1e-2;
      t[i] = r.table[i]! + h;
      const up = loss(t);
      t[i] = r.table[i]! - h;
      const down = loss(t);
      expect((up - down) / (2 * h)).toBeCloseTo(analytic[i]!, 3);
    }
  });

  it('runs with 4 features per level (the setting is honoured by the kernels)', async () => {
    const r = await run({ ...SMALL, featuresPerLevel: 4 }, 300);
    expect(maxRelativeError(r.features, encodeReference(r.layout, r.table, r.points))).toBeLessThan(1e-5);
    expect(maxRelativeError(r.grad, backwardReference(r.layout, r.points, r.upstream))).toBeLessThan(1e-4);
  });
});
