/**
 * The GPU-side snapshot the pipeline rolls back to when training diverges: a trainer whose field
 * was ruined afterwards (NaN written into its weights, more steps) and restored holds exactly the
 * parameters and occupancy grid it had when the snapshot was taken, Adam starts afresh, the step
 * count goes back, and training from there is finite again.
 */
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { INSTANT_NGP_ADAM } from '../../src/field/adam.ts';
import { loadCheckpoint, saveCheckpoint } from '../../src/field/checkpoint.ts';
import { FieldTrainer } from '../../src/field/field-trainer.ts';
import { TrainerSnapshot } from '../../src/field/trainer-snapshot.ts';
import { uploadTrainingFrames } from '../../src/field/training-frames.ts';
import { readBuffer } from '../../src/gpu/buffer-io.ts';
import { PipelineCache } from '../../src/gpu/pipeline-cache.ts';
import { loadScan } from '../../src/scan/load-scan.ts';
import { MemorySource } from '../../src/scan/scan-source.ts';
import { getTestGpu } from '../helpers/node-gpu.ts';
import { makeFixture } from '../helpers/scan-fixtures.ts';
import { tinyTrainerSettings } from '../helpers/tiny-trainer.ts';

const KNOWN = [1, 2, 4, 5, 6, 7, 9, 10, 12];

describe('trainer snapshot (roll-back after a divergence)', () => {
  it('restores the field exactly as it was, restarts Adam, and training is finite again', async () => {
    const { device } = await getTestGpu();
    const scan = await loadScan(new MemorySource('tiny', makeFixture(4, 32, 24, 5).files), { decodeImage: decodeImageNode });
    const frames = uploadTrainingFrames(
      device,
      scan,
      scan.frames.map((_, i) => i),
      { from: 'labels', knownClasses: KNOWN },
    );
    const trainer = new FieldTrainer(new PipelineCache(device), tinyTrainerSettings(KNOWN.length), frames);
    const snapshot = new TrainerSnapshot(trainer);
    expect(snapshot.steps).toBeNull();
    expect(() => snapshot.restore()).toThrow(/no snapshot/);

    for (let i = 0; i < 8; i++) trainer.step();
    expect(Number.isFinite((await trainer.lastLosses()).psnr)).toBe(true);
    snapshot.take();
    const sound = loadCheckpoint(await saveCheckpoint(trainer));
    expect(snapshot.steps).toBe(8);
    // A copy of every parameter and the occupancy grid, not of Adam's moments.
    const copied = [...sound.sections].filter(([name]) => !name.startsWith('adam/'));
    expect(copied.map(([name]) => name)).toEqual([
      'params/hashGrid',
      'params/densityNet',
      'params/colourNet',
      'params/embeddingNet',
      'occupancy/density',
      'occupancy/bits',
    ]);
    expect(snapshot.byteLength).toBe(copied.reduce((n, [, data]) => n + data.byteLength, 0));

    // A ruined field: NaN in the colour network's weights, then more steps (the kernels keep the
    // loss itself finite; the field's state is what must come back).
    trainer.step();
    trainer.step();
    const colourNet = trainer.field.parameters()[2]!;
    device.queue.writeBuffer(colourNet.weights, 0, new Float32Array(colourNet.count).fill(Number.NaN));
    trainer.step();
    const words = new Float32Array(await readBuffer(device, colourNet.weights, colourNet.count * 4));
    expect(
      words.every((v) => Number.isNaN(v)),
      'control: the weights are NaN before the roll-back',
    ).toBe(true);
    // What tells the pipeline: the optimiser counted every NaN weight of that step.
    expect((await trainer.lastLosses()).nonFiniteParameters).toBe(colourNet.count);

    expect(snapshot.restore()).toBe(8);
    const back = loadCheckpoint(await saveCheckpoint(trainer));
    expect(back.steps).toBe(8);
    expect(back.adamSteps).toBe(0);
    expect(back.occupancy).toEqual(sound.occupancy);
    for (const [name, data] of sound.sections) {
      const restored = back.sections.get(name)!;
      if (name.startsWith('adam/'))
        expect(
          restored.every((v) => v === 0),
          `${name} cleared`,
        ).toBe(true);
      else expect(Array.from(restored), name).toEqual(Array.from(data));
    }

    trainer.setLearningRate(INSTANT_NGP_ADAM.learningRate / 2);
    for (let i = 0; i < 8; i++) trainer.step();
    const after = await trainer.lastLosses();
    expect(Number.isFinite(after.psnr)).toBe(true);
    expect(after.nonFiniteParameters).toBe(0);
    expect(after.psnr).toBeGreaterThan(10);
    expect(trainer.steps).toBe(16);
    snapshot.destroy();
  });
});
