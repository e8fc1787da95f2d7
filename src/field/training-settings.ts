/**
 * The trainer's settings for an adapter: instant-ngp's (16 levels x 2 features, 2^19 entries,
 * 64-wide networks, 4096 rays) on a hardware adapter; a smaller grid and batch on a software
 * adapter, where a step of instant-ngp's size takes seconds. Then shrunk to the device's limits.
 */
import { INSTANT_NGP_ADAM } from './adam.ts';
import type { TrainerSettings } from './field-trainer.ts';
import type { TargetBackground } from './ray-sampler.ts';
import { DEFAULT_RENDER_LOSS } from './volume-renderer.ts';

export interface AdapterFacts {
  software: boolean;
  maxStorageBufferBindingSize: number;
}

/** Bytes of the colour network's input per sample, the largest per-sample buffer. */
const COLOUR_INPUT_BYTES = 32 * 4;

/**
 * The colour a ray that leaves the field empty ends on. An object capture on a transparent
 * background: the scan's background (its photos were composited on it) for views and scores, and
 * a random colour per training ray (instant-ngp's way: any density where the photos are
 * transparent is then wrong on most rays, so the field learns the object alone). Black otherwise,
 * where no photo shows a background.
 */
export function fieldBackground(scan: { transparent: boolean; background: [number, number, number] }): TargetBackground {
  return scan.transparent
    ? { background: [...scan.background], randomBackground: true }
    : { background: [...DEFAULT_RENDER_LOSS.background], randomBackground: false };
}

export function defaultTrainerSettings(
  adapter: AdapterFacts,
  k: number,
  seed = 1,
  background: TargetBackground = DEFAULT_RENDER_LOSS,
): TrainerSettings {
  const soft = adapter.software;
  let log2TableSize = soft ? 17 : 19;
  const levels = 16;
  const featuresPerLevel = 2;
  // The table and each Adam moment are one binding each.
  while (levels * 2 ** log2TableSize * featuresPerLevel * 4 > adapter.maxStorageBufferBindingSize && log2TableSize > 12) log2TableSize--;
  let rays = soft ? 1024 : 4096;
  const samplesPerRay = soft ? 32 : 48;
  while (rays * samplesPerRay * COLOUR_INPUT_BYTES > adapter.maxStorageBufferBindingSize && rays > 256) rays /= 2;
  const occupancyRes = soft ? 64 : 128;
  return {
    field: {
      hashGrid: { levels, featuresPerLevel, log2TableSize, baseResolution: 16, finestResolution: soft ? 512 : 1024 },
      width: 64,
      colourHiddenLayers: 2,
      k,
      seed,
    },
    // capacity: the mean samples per ray the batch holds; rays past it are cut for this step.
    sampler: { rays, capacity: rays * samplesPerRay, maxSamplesPerRay: soft ? 96 : 192, step: Math.sqrt(3) / (soft ? 256 : 512) },
    // A quarter of the cells every 16 steps: the first full sweep (before which nothing is skipped)
    // ends at step 64.
    occupancy: { res: occupancyRes, cellsPerUpdate: occupancyRes ** 3 / 4, decay: 0.95, threshold: 0.01, updateEvery: 16 },
    render: { ...DEFAULT_RENDER_LOSS, background: [...background.background], randomBackground: background.randomBackground },
    adam: INSTANT_NGP_ADAM,
    networkWeightDecay: 1e-6,
  };
}
