import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { fullOccupancy, RaySampler, type SamplerSettings, type TargetBackground } from '../../src/field/ray-sampler.ts';
import { packLogitTargets, unpackTarget, type SemanticTargets } from '../../src/field/semantic-targets.ts';
import { uploadTrainingFrames } from '../../src/field/training-frames.ts';
import type { FeatureMap } from '../../src/segment/feature-query.ts';
import { DEFAULT_RENDER_LOSS, renderedStride, VolumeRenderer } from '../../src/field/volume-renderer.ts';
import { createStorageBuffer, readBuffer } from '../../src/gpu/buffer-io.ts';
import { PipelineCache } from '../../src/gpu/pipeline-cache.ts';
import { loadScan } from '../../src/scan/load-scan.ts';
import { MemorySource } from '../../src/scan/scan-source.ts';
import type { Scan } from '../../src/scan/scan.ts';
import { expectNoGpuErrors, getTestGpu } from '../helpers/node-gpu.ts';
import { makeFixture } from '../helpers/scan-fixtures.ts';

const scan = await loadScan(new MemorySource('tiny', makeFixture(4, 48, 36, 2).files), { decodeImage: decodeImageNode });
const KNOWN = [1, 2, 4, 5, 6, 7, 9, 10, 12];
const RES = 32;

const SEED = 42;

async function sample(
  settings: SamplerSettings,
  occupancyOf: (x: number, y: number, z: number) => boolean = () => true,
  targets: SemanticTargets = { from: 'labels', knownClasses: KNOWN },
  from: Scan = scan,
  background?: TargetBackground,
) {
  const { device } = await getTestGpu();
  return expectNoGpuErrors(device, async () => {
    const cache = new PipelineCache(device);
    const frames = uploadTrainingFrames(device, from, [0, 1, 2, 3], targets);
    const occupancy = fullOccupancy(device, RES);
    const bits = new Uint32Array(RES ** 3 / 32);
    for (let z = 0; z < RES; z++)
      for (let y = 0; y < RES; y++)
        for (let x = 0; x < RES; x++) {
          const cell = x + RES * (y + RES * z);
          if (occupancyOf((x + 0.5) / RES, (y + 0.5) / RES, (z + 0.5) / RES)) bits[cell >> 5]! |= 1 << (cell & 31);
        }
    device.queue.writeBuffer(occupancy, 0, bits);
    const sampler = new RaySampler(cache, settings, frames, occupancy, RES, background);
    const encoder = device.createCommandEncoder();
    sampler.encode(encoder, SEED);
    // The renderer's colour of each ray with the batch's seed (no field: what samples there are see nothing).
    const renderer = new VolumeRenderer(cache);
    const rendered = createStorageBuffer(device, settings.rays * renderedStride(frames.k) * 4, 'rendered');
    const params = renderer.paramsFor(settings.rays, frames.k, settings.capacity, { ...DEFAULT_RENDER_LOSS, ...background }, SEED);
    const b = sampler.batch;
    const raw = createStorageBuffer(device, settings.capacity * 16, 'raw');
    const logits = createStorageBuffer(device, settings.capacity * frames.k * 4, 'logits');
    const composite = encoder.beginComputePass();
    renderer.encodeComposite(composite, params, settings.rays, { range: b.range, geom: b.geom, raw, logits }, rendered);
    composite.end();
    device.queue.submit([encoder.finish()]);
    const f32 = async (b: GPUBuffer) => new Float32Array(await readBuffer(device, b));
    const u32 = async (b: GPUBuffer) => new Uint32Array(await readBuffer(device, b));
    return {
      rendered: await f32(rendered),
      rays: await f32(sampler.batch.rays),
      targets: await f32(sampler.batch.targets),
      count: await u32(sampler.batch.count),
      range: await u32(sampler.batch.range),
      positions: await f32(sampler.batch.positions),
      geom: await f32(sampler.batch.geom),
      colourInput: await f32(sampler.batch.colourInput),
    };
  });
}

const settings: SamplerSettings = { rays: 500, capacity: 500 * 64, maxSamplesPerRay: 64, step: Math.sqrt(3) / 64 };

describe('ray sampler (WGSL)', () => {
  it('draws rays from training cameras through pixels, with those pixels as targets', async () => {
    const r = await sample(settings);
    const k = KNOWN.length;
    let matched = 0;
    for (let i = 0; i < settings.rays; i++) {
      expect(Math.hypot(r.rays[i * 8 + 4]!, r.rays[i * 8 + 5]!, r.rays[i * 8 + 6]!)).toBeCloseTo(1, 5);
      const drawn = pixelOfRay(scan, r.rays, i);
      const frame = scan.frames[drawn.frame]!;
      expect(frame).toBeDefined();
      const p = drawn.py * frame.width + drawn.px;
      const t = i * (4 + k);
      expect(r.targets[t]).toBeCloseTo(frame.rgba[p * 4]! / 255, 5);
      expect(r.targets[t + 2]).toBeCloseTo(frame.rgba[p * 4 + 2]! / 255, 5);
      // Target distance along the ray = z-depth / cos(angle to the optical axis).
      expect(r.targets[t + 3]).toBeCloseTo((frame.depth![p]! * scan.normalisation.scale) / drawn.cameraZ, 4);
      const label = frame.labels![p]!;
      const logits = Array.from(r.targets.subarray(t + 4, t + 4 + k));
      // ln p: a known class's one-hot (ln 1 against the floor ln 1e-4), uniform ln(1/K) elsewhere.
      if (KNOWN.includes(label)) {
        logits.forEach((v, c) => expect(v).toBeCloseTo(c === KNOWN.indexOf(label) ? 0 : Math.log(1e-4), 4));
      } else logits.forEach((v) => expect(v).toBeCloseTo(Math.log(1 / k), 5));
      matched++;
    }
    expect(matched).toBe(settings.rays);
  });

  it("takes a segmenter's distribution as targets: ln p of its four most likely classes, the rest spread", async () => {
    // Logits that vary per pixel and frame, peaked or spread, K = 9.
    const k = KNOWN.length;
    const logitsOf = (fi: number): FeatureMap => {
      const f = scan.frames[fi]!;
      const n = f.width * f.height;
      const data = new Float32Array(k * n);
      for (let p = 0; p < n; p++)
        for (let c = 0; c < k; c++) data[c * n + p] = 3 * Math.sin(0.7 * c * (p % 13) + fi + 0.3 * c) + (c === p % k ? 2 : 0);
      return { channels: k, width: f.width, height: f.height, data };
    };
    // Packed frame after frame, as the pipeline does.
    const frameIds = [0, 1, 2, 3];
    const firstPixel = frameIds.map((fi) => frameIds.slice(0, fi).reduce((n, i) => n + scan.frames[i]!.width * scan.frames[i]!.height, 0));
    const words = new Uint32Array(frameIds.reduce((n, i) => n + scan.frames[i]!.width * scan.frames[i]!.height, 0) * 2);
    frameIds.forEach((fi) => packLogitTargets(logitsOf(fi), words, firstPixel[fi]!));
    const r = await sample(settings, () => true, { from: 'packed', classes: k, words });
    for (let i = 0; i < settings.rays; i++) {
      const { frame: fi, px, py } = pixelOfRay(scan, r.rays, i);
      const frame = scan.frames[fi]!;
      const packed = new Uint32Array(frame.width * frame.height * 2);
      packLogitTargets(logitsOf(fi), packed, 0);
      const want = unpackTarget(packed, py * frame.width + px, k);
      const got = Array.from(r.targets.subarray(i * (4 + k) + 4, i * (4 + k) + 4 + k));
      got.forEach((v, ch) => expect(v).toBeCloseTo(Math.log(Math.max(want[ch]!, 1e-4)), 4));
    }
  });

  it('writes compacted samples along each ray, in steps, inside the cube', async () => {
    const r = await sample(settings);
    let next = 0;
    for (let i = 0; i < settings.rays; i++) {
      const [first, count] = [r.range[i * 2]!, r.range[i * 2 + 1]!];
      expect(first).toBe(next);
      expect(count).toBe(r.count[i]);
      next += count;
      const o = r.rays.subarray(i * 8, i * 8 + 3);
      const d = r.rays.subarray(i * 8 + 4, i * 8 + 7);
      const span = r.rays[i * 8 + 7]! - r.rays[i * 8 + 3]!;
      // A jittered start, then one sample per step until the ray leaves the cube.
      if (span > 0) {
        expect(count).toBeGreaterThanOrEqual(Math.min(settings.maxSamplesPerRay, Math.floor(span / settings.step)));
        expect(count).toBeLessThanOrEqual(Math.min(settings.maxSamplesPerRay, Math.ceil(span / settings.step)));
      }
      for (let s = first; s < first + count; s++) {
        const t = r.geom[s * 2]!;
        if (s > first) expect(t - r.geom[(s - 1) * 2]!).toBeCloseTo(settings.step, 5);
        for (let a = 0; a < 3; a++) {
          expect(r.positions[s * 3 + a]).toBeCloseTo(o[a]! + t * d[a]!, 5);
          expect(r.positions[s * 3 + a]).toBeGreaterThanOrEqual(-1e-5);
          expect(r.positions[s * 3 + a]).toBeLessThanOrEqual(1 + 1e-5);
        }
        // SH rows 16.. of the feature-major colour input.
        expect(r.colourInput[16 * settings.capacity + s]).toBeCloseTo(0.28209479177387814, 6);
        expect(r.colourInput[18 * settings.capacity + s]).toBeCloseTo(0.48860251190291987 * d[2]!, 6);
      }
    }
    expect(next).toBeGreaterThan(settings.rays * 10);
  });

  it('skips empty cells of the occupancy grid', async () => {
    const r = await sample(settings, (x) => x < 0.5);
    const total = r.count.reduce((a, v) => a + v, 0);
    expect(total).toBeGreaterThan(0);
    for (let s = 0; s < total; s++) expect(r.positions[s * 3]).toBeLessThan(0.5 + 1e-5);
  });

  it('cuts rays at the batch capacity', async () => {
    const small = { ...settings, capacity: 2000 };
    const r = await sample(small);
    let written = 0;
    for (let i = 0; i < small.rays; i++) {
      const [first, count] = [r.range[i * 2]!, r.range[i * 2 + 1]!];
      expect(first + count <= small.capacity || count === 0).toBe(true);
      written += count;
    }
    expect(written).toBe(small.capacity);
  });
});

/**
 * The frame and pixel ray `i` goes through (it starts at the camera centre, its direction projects
 * into the pixel), and its direction's z in the camera (the cosine to the optical axis).
 */
function pixelOfRay(from: Scan, rays: Float32Array, i: number): { frame: number; px: number; py: number; cameraZ: number } {
  const o = [rays[i * 8]!, rays[i * 8 + 1]!, rays[i * 8 + 2]!];
  const d = [rays[i * 8 + 4]!, rays[i * 8 + 5]!, rays[i * 8 + 6]!];
  const frame = from.frames.findIndex((f) => [0, 1, 2].every((a) => Math.abs(f.c2w[a * 4 + 3]! - o[a]!) < 1e-5));
  const { c2w: m, intrinsics: k } = from.frames[frame]!;
  // Into the camera: R^T d, then the pinhole projection.
  const c = [0, 1, 2].map((col) => m[col]! * d[0]! + m[4 + col]! * d[1]! + m[8 + col]! * d[2]!);
  return { frame, px: Math.floor((k.fx * c[0]!) / c[2]! + k.cx), py: Math.floor((k.fy * c[1]!) / c[2]! + k.cy), cameraZ: c[2]! };
}

describe('ray sampler with a sparse depth prior (a reconstruction, no depth maps)', () => {
  it("takes a frame's sparse depth as the target where a point lands, and no depth elsewhere", async () => {
    // The fixture's depth kept at every 7th pixel only, as COLMAP's points would give it.
    const sparse: Scan = {
      ...scan,
      hasDepth: false,
      frames: scan.frames.map(({ depth, ...f }) => ({ ...f, sparseDepth: depth!.map((z, p) => (p % 7 === 0 ? z : 0)) })),
    };
    const r = await sample(settings, () => true, { from: 'labels', knownClasses: KNOWN }, sparse);
    const k = KNOWN.length;
    let withDepth = 0;
    for (let i = 0; i < settings.rays; i++) {
      const drawn = pixelOfRay(sparse, r.rays, i);
      const f = sparse.frames[drawn.frame]!;
      const p = drawn.py * f.width + drawn.px;
      const want = (f.sparseDepth![p]! * scan.normalisation.scale) / drawn.cameraZ;
      expect(r.targets[i * (4 + k) + 3]).toBeCloseTo(want, 4);
      if (want > 0) withDepth++;
    }
    // About one ray in 7.
    expect(withDepth).toBeGreaterThan(settings.rays / 12);
    expect(withDepth).toBeLessThan(settings.rays / 4);
  });
});

describe('ray sampler with masks (nerfstudio mask_path)', () => {
  const masked = (keep: (x: number, y: number, width: number) => boolean): Scan => ({
    ...scan,
    frames: scan.frames.map((f) => ({
      ...f,
      mask: Uint8Array.from({ length: f.width * f.height }, (_, p) => (keep(p % f.width, Math.floor(p / f.width), f.width) ? 1 : 0)),
    })),
  });

  it('never draws a masked-out pixel: with the left half of every frame masked, every ray is in the right half', async () => {
    const right = masked((x, _, width) => x >= width / 2);
    const count = async (from: Scan) => {
      const r = await sample(settings, () => true, { from: 'labels', knownClasses: KNOWN }, from);
      const frames = new Set<number>();
      let left = 0;
      for (let i = 0; i < settings.rays; i++) {
        const { frame, px } = pixelOfRay(from, r.rays, i);
        frames.add(frame);
        if (px < from.frames[frame]!.width / 2) left++;
      }
      return { left, frames: frames.size };
    };
    const without = await count(scan);
    const withMask = await count(right);
    // Without a mask about half the rays go through the left half; with it, none.
    expect(without.left).toBeGreaterThan(0.4 * settings.rays);
    expect(withMask.left).toBe(0);
    expect(withMask.frames).toBe(4);
  });

  it("falls back to a frame's kept pixel when random draws keep missing it", async () => {
    // One kept pixel of 48x36 in each frame: nearly every ray falls back, and finds it.
    const one = masked((x, y) => x === 5 && y === 7);
    const r = await sample(settings, () => true, { from: 'labels', knownClasses: KNOWN }, one);
    const k = KNOWN.length;
    for (let i = 0; i < settings.rays; i++) {
      const { frame, px, py } = pixelOfRay(one, r.rays, i);
      expect([px, py]).toEqual([5, 7]);
      expect(r.targets[i * (4 + k)]).toBeCloseTo(one.frames[frame]!.rgba[(7 * one.frames[frame]!.width + 5) * 4]! / 255, 5);
    }
  });
});

describe('ray sampler on an object capture (transparent photos)', () => {
  // Frames composited on white, as the loader does: left third transparent, middle third half, right opaque.
  const WHITE: [number, number, number] = [1, 1, 1];
  const alphaAt = (x: number, width: number): number => (x < width / 3 ? 0 : x < (2 * width) / 3 ? 128 : 255);
  const transparent: Scan = {
    ...scan,
    transparent: true,
    frames: scan.frames.map((f) => {
      const coverage = Uint8Array.from({ length: f.width * f.height }, (_, p) => alphaAt(p % f.width, f.width));
      const rgba = Uint8ClampedArray.from(f.rgba);
      coverage.forEach((a, p) => {
        for (let c = 0; c < 3; c++) rgba[p * 4 + c] = Math.round((f.rgba[p * 4 + c]! * a + 255 * (255 - a)) / 255);
      });
      return { ...f, rgba, coverage };
    }),
  };
  const k = KNOWN.length;
  const all = { from: 'labels', knownClasses: KNOWN } as const;

  it("composites each ray's target on the ray's own random background, the one the renderer ends that ray on", async () => {
    // An empty grid: no ray has samples, so each renders its background alone.
    const r = await sample(settings, () => false, all, transparent, { background: WHITE, randomBackground: true });
    const backgrounds: number[] = [];
    for (let i = 0; i < settings.rays; i++) {
      const { frame, px, py } = pixelOfRay(transparent, r.rays, i);
      const f = transparent.frames[frame]!;
      const p = py * f.width + px;
      const bg = Array.from(r.rendered.subarray(i * renderedStride(k), i * renderedStride(k) + 3));
      backgrounds.push(...bg);
      const alpha = f.coverage![p]!;
      // Stored transparency: 1 - alpha in 127ths.
      const t = Math.round(((255 - alpha) * 127) / 255) / 127;
      for (let c = 0; c < 3; c++) {
        const want = f.rgba[p * 4 + c]! / 255 + t * (bg[c]! - 1);
        expect(r.targets[i * (4 + k) + c]).toBeCloseTo(want, 5);
        // Fully transparent: the target is the ray's background itself, whatever the photo's colour.
        if (alpha === 0) expect(r.targets[i * (4 + k) + c]).toBeCloseTo(bg[c]!, 5);
      }
    }
    // The backgrounds are spread over the colour cube, ray by ray and channel by channel.
    const mean = backgrounds.reduce((a, v) => a + v, 0) / backgrounds.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(Math.min(...backgrounds)).toBeLessThan(0.01);
    expect(Math.max(...backgrounds)).toBeGreaterThan(0.99);
    expect(new Set(backgrounds.map((v) => v.toFixed(4))).size).toBeGreaterThan(0.9 * backgrounds.length);
  });

  it('keeps the photo as composited when backgrounds are not random (scoring, or a fixed background)', async () => {
    const r = await sample(settings, () => false, all, transparent, { background: WHITE, randomBackground: false });
    for (let i = 0; i < settings.rays; i++) {
      const { frame, px, py } = pixelOfRay(transparent, r.rays, i);
      const f = transparent.frames[frame]!;
      const p = py * f.width + px;
      for (let c = 0; c < 3; c++) {
        expect(r.targets[i * (4 + k) + c]).toBeCloseTo(f.rgba[p * 4 + c]! / 255, 5);
        expect(r.rendered[i * renderedStride(k) + c]).toBeCloseTo(1, 6);
      }
    }
  });
});
