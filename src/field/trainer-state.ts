/**
 * What a FieldTrainer's training state is made of: the buffers that carry over from one step to
 * the next (parameters, Adam's moments, the occupancy grid) and the counters beside them. A
 * checkpoint writes all of it to a file; a TrainerSnapshot keeps a copy of it on the GPU.
 * Gradients are not state: Adam clears them after every step.
 */
import type { FieldTrainer } from './field-trainer.ts';
import type { OccupancyCursor } from './occupancy-grid.ts';

/** The field's parameter groups, in EmbeddingField.parameters() order. */
export const PARAMETER_GROUPS = ['hashGrid', 'densityNet', 'colourNet', 'embeddingNet'] as const;

export type StateRole = 'params' | 'moments' | 'occupancy';

export interface StateBuffer {
  /** Stable name: a checkpoint's section name. */
  name: string;
  role: StateRole;
  type: 'f32' | 'u32';
  buffer: GPUBuffer;
  /** Elements (4 bytes each) that are state (a buffer may be padded past them). */
  count: number;
}

export interface TrainerCounters {
  /** Training steps taken (seeds the next batch). */
  steps: number;
  /** Adam's step count (its bias correction). */
  adamSteps: number;
  occupancy: OccupancyCursor;
  /** Rays the next batch draws (the trainer's batch balancing). */
  activeRays: number;
}

export const paramSection = (group: string): string => `params/${group}`;
export const momentSection = (group: string, moment: 'm' | 'v'): string => `adam/${group}/${moment}`;
export const DENSITY_SECTION = 'occupancy/density';
export const BITS_SECTION = 'occupancy/bits';

/** Every state buffer of `trainer`: parameters, then Adam's moments, then the occupancy grid. */
export function stateBuffers(trainer: FieldTrainer): StateBuffer[] {
  const params = trainer.field.parameters();
  const moments = trainer.optimiser.state();
  if (params.length !== PARAMETER_GROUPS.length || moments.length !== params.length) {
    throw new Error(
      `the field has ${params.length} parameter groups and Adam ${moments.length}; the trainer's state knows ${PARAMETER_GROUPS.length} (${PARAMETER_GROUPS.join(', ')})`,
    );
  }
  const out: StateBuffer[] = [];
  PARAMETER_GROUPS.forEach((g, i) =>
    out.push({ name: paramSection(g), role: 'params', type: 'f32', buffer: params[i]!.weights, count: params[i]!.count }),
  );
  PARAMETER_GROUPS.forEach((g, i) => {
    out.push({ name: momentSection(g, 'm'), role: 'moments', type: 'f32', buffer: moments[i]!.m, count: moments[i]!.count });
    out.push({ name: momentSection(g, 'v'), role: 'moments', type: 'f32', buffer: moments[i]!.v, count: moments[i]!.count });
  });
  const occupancy = trainer.occupancy;
  out.push({ name: DENSITY_SECTION, role: 'occupancy', type: 'f32', buffer: occupancy.density, count: occupancy.cells });
  out.push({ name: BITS_SECTION, role: 'occupancy', type: 'u32', buffer: occupancy.bits, count: occupancy.cells / 32 });
  return out;
}

export function trainerCounters(trainer: FieldTrainer): TrainerCounters {
  return {
    steps: trainer.steps,
    adamSteps: trainer.optimiser.steps,
    occupancy: { ...trainer.occupancy.cursor },
    activeRays: trainer.activeRays,
  };
}

export function setTrainerCounters(trainer: FieldTrainer, c: TrainerCounters): void {
  trainer.occupancy.cursor = { ...c.occupancy };
  trainer.activeRays = c.activeRays;
  trainer.optimiser.steps = c.adamSteps;
  trainer.steps = c.steps;
}
