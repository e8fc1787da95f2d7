/**
 * An object capture trains as well as a room: a generated box photographed on no background
 * (tests/helpers/object-capture.ts) is fitted into bounds around the box, and its field learns the
 * box alone. Each training ray ends on its own random background, so density where the photos are
 * transparent is wrong on most rays: held-out views are empty around the box, opaque on it (the
 * near-white top face too), at the box's depth, and as right on black as on the white the photos
 * were composited on (a field trained on white alone fills the air with white: 6 dB worse on
 * black). The trainer is narrowed to fit CI time on a software adapter; the kernels are the same.
 */
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { INSTANT_NGP_ADAM } from '../../src/field/adam.ts';
import { FieldTrainer, type TrainerSettings } from '../../src/field/field-trainer.ts';
import { uploadTrainingFrames } from '../../src/field/training-frames.ts';
import { fieldBackground } from '../../src/field/training-settings.ts';
import { ViewRenderer, viewSettingsFor } from '../../src/field/view-renderer.ts';
import { DEFAULT_RENDER_LOSS } from '../../src/field/volume-renderer.ts';
import { meanSquaredError, psnrFromMse } from '../../src/eval/image-quality.ts';
import { PipelineCache } from '../../src/gpu/pipeline-cache.ts';
import { holdOutEvery } from '../../src/run/held-out-frames.ts';
import { loadScan } from '../../src/scan/load-scan.ts';
import { unitRgb } from '../../src/scan/resample.ts';
import { getTestGpu, kernelTestTimeout } from '../helpers/node-gpu.ts';
import { BOX_CENTRE, BOX_HALF, boxCapture, TOP_FACE } from '../helpers/object-capture.ts';

const STEPS = Number(process.env.OBJECT_TEST_STEPS ?? 200);

describe('an object capture on no background (WGSL, whole training)', () => {
  it(`learns the object alone, inside bounds that fit it, in ${STEPS} steps`, { timeout: kernelTestTimeout(900_000) }, async () => {
    const { device, summary } = await getTestGpu();
    const capture = boxCapture(24);
    const scan = await loadScan(capture.source, { decodeImage: decodeImageNode });

    // Bounds: every corner of the box inside, and the box at least half as wide as them.
    for (let a = 0; a < 3; a++) {
      expect(scan.bounds.min[a]).toBeLessThan(BOX_CENTRE[a]! - BOX_HALF);
      expect(scan.bounds.max[a]).toBeGreaterThan(BOX_CENTRE[a]! + BOX_HALF);
      expect((2 * BOX_HALF) / (scan.bounds.max[a]! - scan.bounds.min[a]!)).toBeGreaterThan(0.5);
    }

    const split = holdOutEvery(scan.frames, 8);
    const cache = new PipelineCache(device);
    const background = fieldBackground(scan);
    expect(background).toEqual({ background: [1, 1, 1], randomBackground: true });
    const settings: TrainerSettings = {
      field: {
        hashGrid: { levels: 8, featuresPerLevel: 2, log2TableSize: 14, baseResolution: 8, finestResolution: 128 },
        width: 32,
        colourHiddenLayers: 1,
        k: 1,
        seed: 1,
      },
      sampler: { rays: 512, capacity: 512 * 32, maxSamplesPerRay: 64, step: Math.sqrt(3) / 64 },
      occupancy: { res: 32, cellsPerUpdate: 32 ** 3 / 4, decay: 0.5, threshold: 0.01, updateEvery: 4 },
      render: { ...DEFAULT_RENDER_LOSS, ...background },
      adam: INSTANT_NGP_ADAM,
      networkWeightDecay: 1e-6,
    };
    // No labels: one class, nothing to learn in the embedding.
    const trainer = new FieldTrainer(
      cache,
      settings,
      uploadTrainingFrames(device, scan, split.train, { from: 'labels', knownClasses: [1] }),
    );
    const started = performance.now();
    for (let i = 0; i < STEPS; i++) {
      trainer.step();
      if ((i + 1) % 20 === 0) await trainer.rebalance();
    }
    console.log(
      `[object-capture] ${STEPS} steps in ${((performance.now() - started) / 1000).toFixed(1)} s on ${summary.architecture || summary.vendor}`,
    );

    const viewSettings = viewSettingsFor(settings, device);
    const renderer = new ViewRenderer(cache, trainer.field, trainer.occupancy.bits, settings.occupancy.res, viewSettings);
    // The same field on black: an object learnt alone looks as right on any background.
    const onBlack = new ViewRenderer(cache, trainer.field, trainer.occupancy.bits, settings.occupancy.res, {
      ...viewSettings,
      background: [0, 0, 0],
    });
    const scale = scan.normalisation.scale;
    let se = 0;
    let seBlack = 0;
    let pixels = 0;
    const around: number[] = [];
    const top: number[] = [];
    const depthError: number[] = [];
    for (const index of split.test) {
      const frame = scan.frames[index]!;
      const truth = capture.frames[frame.sourceIndex]!;
      const camera = { c2w: frame.c2w, intrinsics: frame.intrinsics, width: frame.width, height: frame.height };
      const view = await renderer.renderView(camera);
      const photo = unitRgb(frame.rgba);
      const e = meanSquaredError(view, { width: frame.width, height: frame.height, rgb: photo });
      se += e.mse * e.pixels;
      pixels += e.pixels;
      // The photo on black: its white surround (1 - alpha of white) taken off.
      const photoOnBlack = photo.map((v, i) => v - (255 - truth.coverage[Math.floor(i / 3)]!) / 255);
      seBlack +=
        meanSquaredError(await onBlack.renderView(camera), { width: frame.width, height: frame.height, rgb: photoOnBlack }).mse * e.pixels;
      for (let p = 0; p < frame.width * frame.height; p++) {
        if (truth.coverage[p] === 0) around.push(view.opacity[p]!);
        if (truth.coverage[p] !== 255) continue;
        if (truth.face[p] === TOP_FACE) top.push(view.opacity[p]!);
        // Rendered depth is not divided by opacity: compare where the field is opaque.
        if (view.opacity[p]! > 0.9) depthError.push(Math.abs(view.depth[p]! / view.opacity[p]! - truth.depth[p]! * scale));
      }
    }
    renderer.destroy();
    onBlack.destroy();
    const mean = (v: number[]) => v.reduce((a, x) => a + x, 0) / v.length;
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
    const psnr = psnrFromMse(se / pixels);
    const psnrBlack = psnrFromMse(seBlack / pixels);
    console.log(
      `  held out (${split.test.length} frames): PSNR ${psnr.toFixed(2)} dB on white, ${psnrBlack.toFixed(2)} dB on black; opacity around the box ${mean(around).toFixed(3)}, ` +
        `on its top face ${mean(top).toFixed(3)}; depth error median ${(median(depthError) / scale).toFixed(3)} scene units over ${depthError.length} pixels`,
    );
    expect(around.length).toBeGreaterThan(1000);
    expect(top.length).toBeGreaterThan(50);
    // Measured on SwiftShader: 22.6 dB on white, 22.7 on black; trained on white alone, 23.6 and 17.1.
    expect(psnr).toBeGreaterThan(21);
    expect(psnrBlack).toBeGreaterThan(21);
    expect(mean(around)).toBeLessThan(0.05);
    expect(mean(top)).toBeGreaterThan(0.9);
    // The surface where the box is (0.08 scene units measured; the box is 2 across).
    expect(median(depthError) / scale).toBeLessThan(0.15);
  });
});
