/**
 * Where the field is not empty: a res^3 grid of decaying density estimates and its bitfield, which
 * the ray sampler reads. Each update evaluates the field's density at a random point in each of a
 * round-robin share of the cells.
 */
import dispatch from '../../shaders/dispatch.wgsl?raw';
import random from '../../shaders/random.wgsl?raw';
import kernels from '../../shaders/occupancy-grid.wgsl?raw';
import { createStorageBuffer, createUniformBuffer } from '../gpu/buffer-io.ts';
import type { PassTimer } from '../gpu/pass-timer.ts';
import { ComputeKernel } from '../gpu/compute-kernel.ts';
import type { PipelineCache } from '../gpu/pipeline-cache.ts';
import { WgslStruct } from '../gpu/uniform-layout.ts';
import { composeWgsl } from '../gpu/wgsl-compose.ts';

/** Profile label of the whole update (points, density, fold). */
export const OCCUPANCY_STAGE = 'occupancy update';

export interface OccupancySettings {
  /** Cells per axis (instant-ngp: 128). */
  res: number;
  /** Cells visited per update. */
  cellsPerUpdate: number;
  decay: number;
  /** Opacity of one marching step above which a cell counts as occupied. */
  threshold: number;
  /** The sampler's marching step. */
  step: number;
}

const shader = composeWgsl('occupancy-grid', { 'dispatch.wgsl': dispatch, 'random.wgsl': random, 'occupancy-grid.wgsl': kernels });
const WORKGROUP = 64;
/** Cells each thread of sum_density adds (shaders/occupancy-grid.wgsl). */
const SUM_CELLS = 64;

/** An update's uniforms (shaders/occupancy-grid.wgsl). */
export const OCCUPANCY_PARAMS = new WgslStruct('occupancy-grid.wgsl', 'Params', {
  count: 'u32',
  res: 'u32',
  first_cell: 'u32',
  seed: 'u32',
  decay: 'f32',
  threshold: 'f32',
  step: 'f32',
  words: 'u32',
});

export class OccupancyGrid {
  readonly density: GPUBuffer;
  readonly bits: GPUBuffer;
  /** Random points of the cells visited by the current update (cellsPerUpdate x 3). */
  readonly points: GPUBuffer;
  readonly cells: number;
  private readonly kernels: Record<'points' | 'update' | 'sum' | 'mean' | 'pack', ComputeKernel>;
  /** Per-block sums of density * step, and their mean (the cap on the threshold). */
  private readonly sums: { partials: GPUBuffer; mean: GPUBuffer };
  private readonly params: GPUBuffer;
  private nextCell = 0;
  private visited = 0;
  updates = 0;

  constructor(
    private readonly cache: PipelineCache,
    readonly settings: OccupancySettings,
  ) {
    const d = cache.device;
    const { res, cellsPerUpdate } = settings;
    if (!Number.isInteger(res) || res < 4 || res % 4 !== 0)
      throw new RangeError('the occupancy grid needs a resolution that is a multiple of 4');
    this.cells = res ** 3;
    this.density = createStorageBuffer(d, this.cells * 4, 'occupancy density');
    this.bits = createStorageBuffer(d, (this.cells / 32) * 4, 'occupancy bits');
    this.points = createStorageBuffer(d, cellsPerUpdate * 12, 'occupancy points');
    // Until every cell has been seen once, everything counts as occupied (bits stay set).
    d.queue.writeBuffer(this.bits, 0, new Uint32Array(this.cells / 32).fill(0xffffffff));
    this.sums = {
      partials: createStorageBuffer(d, Math.ceil(this.cells / (WORKGROUP * SUM_CELLS)) * 4, 'occupancy density partial sums'),
      mean: createStorageBuffer(d, 4, 'occupancy mean density'),
    };
    this.params = createUniformBuffer(d, new ArrayBuffer(OCCUPANCY_PARAMS.size), 'occupancy params');
    this.kernels = {
      points: new ComputeKernel(cache, 'occupancy-grid', shader, 'cell_points'),
      update: new ComputeKernel(cache, 'occupancy-grid', shader, 'update_cells'),
      sum: new ComputeKernel(cache, 'occupancy-grid', shader, 'sum_density'),
      mean: new ComputeKernel(cache, 'occupancy-grid', shader, 'mean_density'),
      pack: new ComputeKernel(cache, 'occupancy-grid', shader, 'pack_bits'),
    };
  }

  private writeParams(count: number, words: number): void {
    const s = this.settings;
    const params = OCCUPANCY_PARAMS.pack({
      count,
      res: s.res,
      first_cell: this.nextCell,
      seed: (this.updates * 2654435761 + 7) >>> 0,
      decay: s.decay,
      threshold: s.threshold,
      step: s.step,
      words,
    });
    this.cache.device.queue.writeBuffer(this.params, 0, params);
  }

  /**
   * Records the first half of an update: the points to evaluate. The caller runs the field's
   * density at `points` (feature-major output, raw density first) and then calls `finishUpdate`.
   */
  beginUpdate(encoder: GPUCommandEncoder, timer: PassTimer | null = null): void {
    const count = this.settings.cellsPerUpdate;
    this.writeParams(count, this.cells / 32);
    const pass = encoder.beginComputePass({ label: 'occupancy points', ...(timer && { timestampWrites: timer.begin(OCCUPANCY_STAGE) }) });
    this.kernels.points.dispatch(
      pass,
      this.kernels.points.bind({ params: this.params, points: this.points }),
      Math.ceil(count / WORKGROUP),
    );
    pass.end();
  }

  /** Folds the densities at `points` into the grid and rebuilds the bitfield. */
  finishUpdate(encoder: GPUCommandEncoder, rawDensity: GPUBuffer, timer: PassTimer | null = null): void {
    const count = this.settings.cellsPerUpdate;
    const pass = encoder.beginComputePass({ label: 'occupancy update', ...(timer && { timestampWrites: timer.end(OCCUPANCY_STAGE) }) });
    this.kernels.update.dispatch(
      pass,
      this.kernels.update.bind({ params: this.params, raw_density: rawDensity, density: this.density }),
      Math.ceil(count / WORKGROUP),
    );
    this.visited += count;
    if (this.visited >= this.cells) {
      const k = this.kernels;
      const sumGroups = Math.ceil(this.cells / (WORKGROUP * SUM_CELLS));
      k.sum.dispatch(pass, k.sum.bind({ params: this.params, density_in: this.density, partials: this.sums.partials }), sumGroups);
      k.mean.dispatch(pass, k.mean.bind({ params: this.params, partials: this.sums.partials, mean: this.sums.mean }), 1);
      k.pack.dispatch(
        pass,
        k.pack.bind({ params: this.params, density_in: this.density, bits: this.bits, mean: this.sums.mean }),
        Math.ceil(this.cells / 32 / WORKGROUP),
      );
    }
    pass.end();
    this.nextCell = (this.nextCell + count) % this.cells;
    this.updates++;
  }

  destroy(): void {
    this.density.destroy();
    this.bits.destroy();
    this.points.destroy();
    this.params.destroy();
    this.sums.partials.destroy();
    this.sums.mean.destroy();
  }

  /** Where the round-robin update stands (it seeds the points and decides when to pack), for checkpoints. */
  get cursor(): OccupancyCursor {
    return { nextCell: this.nextCell, visited: this.visited, updates: this.updates };
  }

  set cursor(c: OccupancyCursor) {
    for (const [key, value] of Object.entries(c)) {
      if (!Number.isSafeInteger(value) || value < 0)
        throw new RangeError(`occupancy cursor: ${key} must be a non-negative integer, got ${value}`);
    }
    if (c.nextCell >= this.cells) throw new RangeError(`occupancy cursor: nextCell ${c.nextCell} is past the grid's ${this.cells} cells`);
    this.nextCell = c.nextCell;
    this.visited = c.visited;
    this.updates = c.updates;
  }
}

export interface OccupancyCursor {
  nextCell: number;
  /** Cells visited so far (the bits are packed once this reaches every cell). */
  visited: number;
  updates: number;
}
