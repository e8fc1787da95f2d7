/**
 * A trainer small enough to step in milliseconds on a software adapter (4 grid levels of 2^12
 * entries, 16-wide networks, 128 rays, a 16^3 occupancy grid updated every 2 steps over a quarter
 * of its cells), for tests of the trainer's state: the kernels are the same at any size.
 */
import { INSTANT_NGP_ADAM } from '../../src/field/adam.ts';
import type { TrainerSettings } from '../../src/field/field-trainer.ts';
import { DEFAULT_RENDER_LOSS } from '../../src/field/volume-renderer.ts';

export function tinyTrainerSettings(k: number, overrides: { seed?: number; log2TableSize?: number } = {}): TrainerSettings {
  return {
    field: {
      hashGrid: { levels: 4, featuresPerLevel: 2, log2TableSize: overrides.log2TableSize ?? 12, baseResolution: 4, finestResolution: 32 },
      width: 16,
      colourHiddenLayers: 1,
      k,
      seed: overrides.seed ?? 1,
    },
    sampler: { rays: 128, capacity: 128 * 16, maxSamplesPerRay: 16, step: Math.sqrt(3) / 16 },
    occupancy: { res: 16, cellsPerUpdate: 16 ** 3 / 4, decay: 0.5, threshold: 0.01, updateEvery: 2 },
    render: DEFAULT_RENDER_LOSS,
    adam: INSTANT_NGP_ADAM,
    networkWeightDecay: 1e-6,
  };
}
