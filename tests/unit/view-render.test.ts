/**
 * Full views of the field, in tiles: a field whose outputs are known renders the analytic image;
 * a trained tiny scene renders its training views about as well as its training batches score;
 * tiles cover every pixel once; bad cameras and settings are refused with a message.
 */
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { INSTANT_NGP_ADAM } from '../../src/field/adam.ts';
import { EmbeddingField, type FieldConfig } from '../../src/field/embedding-field.ts';
import { FieldTrainer } from '../../src/field/field-trainer.ts';
import { fullOccupancy } from '../../src/field/ray-sampler.ts';
import { uploadTrainingFrames } from '../../src/field/training-frames.ts';
import {
  depthInSceneUnits,
  pixelStride,
  ViewRenderer,
  viewSettingsFor,
  type RenderedTile,
  type ViewCamera,
  type ViewSettings,
} from '../../src/field/view-renderer.ts';
import { DEFAULT_RENDER_LOSS } from '../../src/field/volume-renderer.ts';
import { PipelineCache } from '../../src/gpu/pipeline-cache.ts';
import { loadScan } from '../../src/scan/load-scan.ts';
import { MemorySource } from '../../src/scan/scan-source.ts';
import { expectNoGpuErrors, getTestGpu } from '../helpers/node-gpu.ts';
import { makeFixture } from '../helpers/scan-fixtures.ts';

const KNOWN = [1, 2, 4, 5, 6, 7, 9, 10, 12];
const RES = 32;
const STEP = Math.sqrt(3) / 32;
const FIELD: FieldConfig = {
  hashGrid: { levels: 8, featuresPerLevel: 2, log2TableSize: 14, baseResolution: 8, finestResolution: 128 },
  width: 32,
  colourHiddenLayers: 1,
  k: KNOWN.length,
  seed: 1,
};
// Few steps (a software adapter): the field is far from converged, so the view is compared with
// the training batches' own scores, not with fixed bounds.
const TRAIN_STEPS = 60;
const BACKGROUND: [number, number, number] = [0.2, 0.4, 1];
const settings = (tileRays: number): ViewSettings => ({
  tileRays,
  chunk: 2048,
  maxSamplesPerRay: 32,
  step: STEP,
  background: BACKGROUND,
  earlyStop: 1e-4,
});

// Outside the cube, looking into it along +z (OpenCV: z forward, y down); 37 x 23 is no multiple of any tile.
const CAMERA: ViewCamera = {
  c2w: [1, 0, 0, 0.5, 0, 1, 0, 0.5, 0, 0, 1, -0.6],
  intrinsics: { fx: 30, fy: 30, cx: 18.5, cy: 11.5 },
  width: 37,
  height: 23,
};

type Occupancy = (p: number[]) => boolean;

async function occupancyBits(device: GPUDevice, occ: Occupancy): Promise<GPUBuffer> {
  const buffer = fullOccupancy(device, RES);
  const bits = new Uint32Array(RES ** 3 / 32);
  for (let z = 0; z < RES; z++)
    for (let y = 0; y < RES; y++)
      for (let x = 0; x < RES; x++) {
        const cell = x + RES * (y + RES * z);
        if (occ([(x + 0.5) / RES, (y + 0.5) / RES, (z + 0.5) / RES])) bits[cell >> 5]! |= 1 << (cell & 31);
      }
  device.queue.writeBuffer(buffer, 0, bits);
  return buffer;
}

/**
 * The image of a field with raw density 0 (sigma = 1) and raw colour 0 (0.5 grey) wherever the
 * grid is occupied, samples in the middle of each step. `null` where a sample lies within 1e-4 of
 * the cube's far side or of an occupancy change (float32 on the GPU may round either way).
 */
function analyticPixel(
  c: ViewCamera,
  px: number,
  py: number,
  occ: Occupancy,
  max: number,
): { rgb: number[]; depth: number; opacity: number } | null {
  const m = c.c2w;
  const dc = [(px + 0.5 - c.intrinsics.cx) / c.intrinsics.fx, (py + 0.5 - c.intrinsics.cy) / c.intrinsics.fy, 1];
  const dw = [0, 1, 2].map((r) => m[r * 4]! * dc[0]! + m[r * 4 + 1]! * dc[1]! + m[r * 4 + 2]! * dc[2]!);
  const len = Math.hypot(...dw);
  const d = dw.map((v) => v / len);
  const o = [m[3]!, m[7]!, m[11]!];
  let near = 0;
  let far = Infinity;
  for (let a = 0; a < 3; a++) {
    const t0 = (0 - o[a]!) / d[a]!;
    const t1 = (1 - o[a]!) / d[a]!;
    near = Math.max(near, Math.min(t0, t1));
    far = Math.min(far, Math.max(t0, t1));
  }
  const cellOf = (p: number[]): boolean => occ(p.map((v) => (Math.min(Math.floor(Math.max(v, 0) * RES), RES - 1) + 0.5) / RES));
  let transmittance = 1;
  let grey = 0;
  let depth = 0;
  let n = 0;
  for (let s = near + 0.5 * STEP; s < far && n < max; s += STEP) {
    if (Math.abs(s - far) < 1e-4) return null;
    const p = o.map((v, a) => v + s * d[a]!);
    const here = cellOf(p);
    if ([-1e-4, 1e-4].some((e) => [0, 1, 2].some((a) => cellOf(p.map((v, b) => (a === b ? v + e : v))) !== here))) return null;
    if (!here) continue;
    const alpha = 1 - Math.exp(-STEP);
    grey += transmittance * alpha * 0.5;
    depth += transmittance * alpha * s;
    transmittance *= 1 - alpha;
    n++;
  }
  return { rgb: BACKGROUND.map((b) => grey + transmittance * b), depth: depth / len, opacity: 1 - transmittance };
}

// One cache for the file: compiling the field's pipelines is most of a small test's time.
let shared: PipelineCache | undefined;
async function pipelineCache(): Promise<PipelineCache> {
  shared ??= new PipelineCache((await getTestGpu()).device);
  return shared;
}

async function zeroField(cache: PipelineCache): Promise<EmbeddingField> {
  const field = new EmbeddingField(cache, FIELD);
  for (const net of [field.density, field.colour, field.embedding])
    cache.device.queue.writeBuffer(net.weights, 0, new Float32Array(net.layout.weightCount));
  return field;
}

describe('view renderer (WGSL, tiled)', () => {
  const occupancyCases: [string, Occupancy][] = [
    ['every cell occupied', () => true],
    ['the half x >= 0.5 and a slab of z empty', (p) => p[0]! < 0.5 && (p[2]! < 0.3 || p[2]! > 0.6)],
  ];
  it.each(occupancyCases)('renders the analytic image of a field with zero networks (%s)', async (_, occ) => {
    const { device } = await getTestGpu();
    await expectNoGpuErrors(device, async () => {
      const cache = await pipelineCache();
      const field = await zeroField(cache);
      const renderer = new ViewRenderer(cache, field, await occupancyBits(device, occ), RES, settings(256));
      const view = await renderer.renderView(CAMERA);
      const k = FIELD.k;
      let checked = 0;
      let hit = 0;
      for (let py = 0; py < CAMERA.height; py++)
        for (let px = 0; px < CAMERA.width; px++) {
          const want = analyticPixel(CAMERA, px, py, occ, 32);
          if (!want) continue;
          const p = py * CAMERA.width + px;
          for (let c = 0; c < 3; c++) expect(view.rgb[p * 3 + c]).toBeCloseTo(want.rgb[c]!, 4);
          expect(view.opacity[p]).toBeCloseTo(want.opacity, 4);
          expect(view.depth[p]).toBeCloseTo(want.depth, 4);
          // Zero logits: uniform probabilities, the largest entropy.
          for (let c = 0; c < k; c++) expect(view.probs[p * k + c]).toBeCloseTo(1 / k, 5);
          expect(view.entropy[p]).toBeCloseTo(Math.log(k), 4);
          expect(view.entropyNormalised[p]).toBeCloseTo(1, 4);
          checked++;
          if (want.opacity > 0.3) hit++;
        }
      // Nearly every pixel has a clear answer, and the image is not just background.
      expect(checked).toBeGreaterThan(0.95 * CAMERA.width * CAMERA.height);
      expect(hit).toBeGreaterThan(0.3 * checked);
      renderer.destroy();
    });
  });

  it('covers every pixel exactly once, in tiles of a size that does not divide the view', async () => {
    const { device } = await getTestGpu();
    const cache = await pipelineCache();
    const field = await zeroField(cache);
    const occupancy = await occupancyBits(device, () => true);
    const pixels = CAMERA.width * CAMERA.height;
    const renderer = new ViewRenderer(cache, field, occupancy, RES, settings(100));
    expect(renderer.tileCount(CAMERA)).toBe(Math.ceil(pixels / 100));
    const tiles: RenderedTile[] = [];
    const view = await renderer.renderView(CAMERA, { onTile: (t) => tiles.push(t) });
    const seen = new Uint8Array(pixels);
    for (const t of tiles) for (let p = t.firstPixel; p < t.firstPixel + t.pixels; p++) seen[p]!++;
    expect(tiles.map((t) => t.index)).toEqual([...Array(9).keys()]);
    expect(tiles[8]!.pixels).toBe(pixels - 800);
    expect(seen.every((n) => n === 1)).toBe(true);
    // A pixel's value does not depend on which tile, or which chunk of samples, it fell in.
    const other = await new ViewRenderer(cache, field, occupancy, RES, { ...settings(512), chunk: 4096 }).renderView(CAMERA);
    expect(other.rgb).toEqual(view.rgb);
    expect(other.depth).toEqual(view.depth);
    expect(other.probs).toEqual(view.probs);
    // A view stops between tiles when its signal is aborted.
    const stop = new AbortController();
    let rendered = 0;
    const stopped = renderer.renderView(CAMERA, { signal: stop.signal, onTile: () => (rendered++, stop.abort(new Error('camera moved'))) });
    await expect(stopped).rejects.toThrow('camera moved');
    expect(rendered).toBe(1);
    // Tiles render one at a time even when asked for together.
    const [a, b] = await Promise.all([renderer.renderTile(CAMERA, 3), renderer.renderTile(CAMERA, 4)]);
    expect(a.data).toEqual(tiles[3]!.data);
    expect(b.data).toEqual(tiles[4]!.data);
    renderer.destroy();
  });

  it('refuses bad cameras, tiles and settings with a message', async () => {
    const { device } = await getTestGpu();
    const cache = await pipelineCache();
    const field = await zeroField(cache);
    const renderer = new ViewRenderer(cache, field, fullOccupancy(device, RES), RES, settings(256));
    const bad = (change: Partial<ViewCamera>): ViewCamera => ({ ...CAMERA, ...change });
    await expect(renderer.renderView(bad({ width: 0 }))).rejects.toThrow(
      'view camera: width and height must be positive integers, got 0 x 23',
    );
    await expect(renderer.renderView(bad({ height: 2.5 }))).rejects.toThrow(/positive integers/);
    await expect(renderer.renderView(bad({ c2w: [1, 0, 0, 0, 1, 0, 0, 0, 1] }))).rejects.toThrow(
      'c2w must be a row-major 3x4 or 4x4 matrix (12 or 16 numbers), got 9',
    );
    await expect(renderer.renderView(bad({ c2w: [1, 0, 0, 0.5, 0, 1, 0, NaN, 0, 0, 1, 0] }))).rejects.toThrow('c2w[7] is NaN');
    await expect(renderer.renderView(bad({ c2w: [1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0] }))).rejects.toThrow(/singular/);
    await expect(renderer.renderView(bad({ intrinsics: { fx: 0, fy: 30, cx: 1, cy: 1 } }))).rejects.toThrow(
      'focal lengths must be positive, got fx 0, fy 30',
    );
    await expect(renderer.renderView({ c2w: CAMERA.c2w, width: 4, height: 4 } as unknown as ViewCamera)).rejects.toThrow(
      /intrinsics .* missing/,
    );
    expect(() => renderer.renderTile(CAMERA, 4)).toThrow("tile 4 is not one of the view's 4 tiles");
    expect(() => new ViewRenderer(cache, field, fullOccupancy(device, RES), RES, { ...settings(256), chunk: 1000 })).toThrow(
      /multiple of 16/,
    );
    expect(() => new ViewRenderer(cache, field, fullOccupancy(device, RES), RES, { ...settings(0) })).toThrow(/tileRays/);
    expect(() => new ViewRenderer(cache, field, fullOccupancy(device, RES), RES, { ...settings(1 << 20), maxSamplesPerRay: 1024 })).toThrow(
      /use smaller tiles/,
    );
    renderer.destroy();
  });

  it('renders a training view of a trained tiny scene about as well as its training batches score', async () => {
    const { device } = await getTestGpu();
    const scan = await loadScan(new MemorySource('tiny', makeFixture(8, 64, 48, 5).files), { decodeImage: decodeImageNode });
    const cache = await pipelineCache();
    const frames = uploadTrainingFrames(
      device,
      scan,
      scan.frames.map((_, i) => i),
      { from: 'labels', knownClasses: KNOWN },
    );
    const trainer = new FieldTrainer(
      cache,
      {
        field: FIELD,
        sampler: { rays: 256, capacity: 256 * 32, maxSamplesPerRay: 32, step: STEP },
        occupancy: { res: RES, cellsPerUpdate: RES ** 3 / 4, decay: 0.5, threshold: 0.01, updateEvery: 4 },
        render: DEFAULT_RENDER_LOSS,
        adam: INSTANT_NGP_ADAM,
        networkWeightDecay: 1e-6,
      },
      frames,
    );
    const started = performance.now();
    const batchPsnr: number[] = [];
    const batchDepth: number[] = [];
    for (let i = 0; i < TRAIN_STEPS; i++) {
      trainer.step();
      if (i >= TRAIN_STEPS - 5) {
        const losses = await trainer.lastLosses();
        batchPsnr.push(losses.psnr);
        batchDepth.push(losses.depth);
      }
    }
    const trained = performance.now();
    const renderer = new ViewRenderer(
      cache,
      trainer.field,
      trainer.occupancy.bits,
      RES,
      viewSettingsFor(trainer.settings, device, 1024, 8192),
    );
    const frame = scan.frames[0]!;
    const view = await renderer.renderView(frame);
    const rendered = performance.now();

    const n = frame.width * frame.height;
    let se = 0;
    for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) se += (view.rgb[p * 3 + c]! - frame.rgba[p * 4 + c]! / 255) ** 2;
    const viewPsnr = -10 * Math.log10(se / (n * 3));
    const meanBatch = batchPsnr.reduce((a, b) => a + b) / batchPsnr.length;
    let known = 0;
    let agree = 0;
    let entropyError = 0;
    for (let p = 0; p < n; p++) {
      const probs = Array.from(view.probs.subarray(p * FIELD.k, (p + 1) * FIELD.k));
      expect(probs.reduce((a, b) => a + b)).toBeCloseTo(1, 5);
      entropyError = Math.max(entropyError, Math.abs(view.entropy[p]! + probs.reduce((h, q) => h + (q > 0 ? q * Math.log(q) : 0), 0)));
      entropyError = Math.max(entropyError, Math.abs(view.entropyNormalised[p]! - view.entropy[p]! / Math.log(FIELD.k)));
      const channel = KNOWN.indexOf(frame.labels![p]!);
      if (channel < 0) continue;
      known++;
      if (probs.indexOf(Math.max(...probs)) === channel) agree++;
    }
    // Depth in metres against the scan's depth maps, as good as on the training batches (whose
    // L1 is on distance along the ray, in normalised units: never smaller than the z error).
    const metres = depthInSceneUnits(view.depth, scan.normalisation);
    let depthError = 0;
    for (let p = 0; p < n; p++) depthError += Math.abs(metres[p]! - frame.depth![p]!);
    depthError /= n;
    const batchDepthError =
      batchDepth.reduce((a, b) => a + b) / batchDepth.length / DEFAULT_RENDER_LOSS.depthWeight / scan.normalisation.scale;
    console.log(
      `[view-render] ${TRAIN_STEPS} steps ${((trained - started) / 1000).toFixed(1)} s, ${frame.width}x${frame.height} view in ${renderer.tileCount(frame)} tiles ${((rendered - trained) / 1000).toFixed(2)} s; ` +
        `PSNR view ${viewPsnr.toFixed(2)} dB, batches ${meanBatch.toFixed(2)} dB; argmax = label on ${((100 * agree) / known).toFixed(1)}% of ${known} known-class pixels; ` +
        `mean depth error view ${depthError.toFixed(3)} m, batches ${batchDepthError.toFixed(3)} m`,
    );
    expect(Math.abs(viewPsnr - meanBatch)).toBeLessThan(2);
    expect(agree / known).toBeGreaterThan(0.8);
    expect(entropyError).toBeLessThan(1e-4);
    expect(depthError).toBeLessThan(1.1 * batchDepthError);

    // Listed pixels (out of order, repeated, more than a tile) render as in the whole view.
    const list = Uint32Array.from({ length: 1500 }, (_, i) => (i * 7919 + 13) % n);
    const listed = await renderer.renderPixels(frame, list);
    const stride = pixelStride(FIELD.k);
    expect(listed.count).toBe(list.length);
    list.forEach((p, i) => {
      const rec = listed.records.subarray(i * stride, (i + 1) * stride);
      expect(Array.from(rec.subarray(0, 3))).toEqual(Array.from(view.rgb.subarray(p * 3, p * 3 + 3)));
      expect([rec[3], rec[5]]).toEqual([view.depth[p], view.entropy[p]]);
      expect(Array.from(rec.subarray(7))).toEqual(Array.from(view.probs.subarray(p * FIELD.k, (p + 1) * FIELD.k)));
    });
    await expect(renderer.renderPixels(frame, Uint32Array.of(0, n))).rejects.toThrow(`pixel ${n} is outside the 64 x 48 view`);
    renderer.destroy();
    frames.destroy();
  });
});
