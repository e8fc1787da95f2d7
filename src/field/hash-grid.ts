/**
 * The multi-resolution hash grid of the field: its layout (levels, resolutions, where each level's
 * table starts) and its two GPU passes, encode and backward. Parameters are f32; the gradient
 * buffer is accumulated with float atomics and cleared by the optimizer after each step.
 */
import dispatch from '../../shaders/dispatch.wgsl?raw';
import atomics from '../../shaders/float-atomics.wgsl?raw';
import shader from '../../shaders/hash-grid.wgsl?raw';
import { createStorageBuffer, createUniformBuffer } from '../gpu/buffer-io.ts';
import { ComputeKernel } from '../gpu/compute-kernel.ts';
import type { PipelineCache } from '../gpu/pipeline-cache.ts';
import { arrayOf, WgslStruct } from '../gpu/uniform-layout.ts';
import { composeWgsl } from '../gpu/wgsl-compose.ts';

export interface HashGridConfig {
  levels: number;
  featuresPerLevel: number;
  /** log2 of the entries of each hashed level's table. */
  log2TableSize: number;
  /** Vertices per axis of the coarsest level (before the +1 of the half-cell offset). */
  baseResolution: number;
  finestResolution: number;
}

/** instant-ngp's defaults (16 levels x 2 features, 2^19 entries, 16 to 2048). */
export const INSTANT_NGP_HASH_GRID: HashGridConfig = {
  levels: 16,
  featuresPerLevel: 2,
  log2TableSize: 19,
  baseResolution: 16,
  finestResolution: 2048,
};

export interface HashGridLevel {
  /** Positions in [0,1] map to p * scale + 0.5 vertex units. */
  scale: number;
  /** Vertices per axis that a dense level stores. */
  resolution: number;
  dense: boolean;
  /** First entry of this level in the table; each entry holds featuresPerLevel floats. */
  offset: number;
  entries: number;
}

export interface HashGridLayout {
  config: HashGridConfig;
  level: HashGridLevel[];
  /** Levels [0, denseLevels) are dense (they fit their table), the rest hashed. */
  denseLevels: number;
  entries: number;
  /** Floats in the parameter table. */
  parameterCount: number;
  /** Features per point: levels x featuresPerLevel. */
  outputDims: number;
}

export const MAX_LEVELS = 32;
const WORKGROUP = 64;

/** One level's record in the kernels' uniforms. */
export const HASH_GRID_LEVEL = new WgslStruct('hash-grid.wgsl', 'Level', { scale: 'f32', resolution: 'u32', offset: 'u32', size: 'u32' });
export const HASH_GRID_PARAMS = new WgslStruct('hash-grid.wgsl', 'Params', {
  count: 'u32',
  levels: 'u32',
  dense_levels: 'u32',
  _pad: 'u32',
  level: arrayOf(HASH_GRID_LEVEL, MAX_LEVELS),
});

export function hashGridLayout(config: HashGridConfig): HashGridLayout {
  const { levels, featuresPerLevel, log2TableSize, baseResolution, finestResolution } = config;
  if (!Number.isInteger(levels) || levels < 1 || levels > MAX_LEVELS) throw new RangeError(`levels must be 1..${MAX_LEVELS}`);
  if (!Number.isInteger(featuresPerLevel) || featuresPerLevel < 1 || featuresPerLevel > 8)
    throw new RangeError('featuresPerLevel must be 1..8');
  if (!Number.isInteger(log2TableSize) || log2TableSize < 4 || log2TableSize > 24) throw new RangeError('log2TableSize must be 4..24');
  if (!(baseResolution >= 2) || !(finestResolution >= baseResolution)) throw new RangeError('resolutions must satisfy 2 <= base <= finest');
  const tableSize = 2 ** log2TableSize;
  const growth = levels > 1 ? Math.exp((Math.log(finestResolution) - Math.log(baseResolution)) / (levels - 1)) : 1;
  const level: HashGridLevel[] = [];
  let offset = 0;
  let denseLevels = 0;
  for (let l = 0; l < levels; l++) {
    const scale = baseResolution * growth ** l - 1;
    // Cells span floor(p * scale + 0.5) .. +1, so a dense level needs ceil(scale) + 2 vertices.
    const resolution = Math.ceil(scale) + 2;
    const dense = resolution ** 3 <= tableSize && denseLevels === l;
    if (dense) denseLevels++;
    const entries = dense ? resolution ** 3 : tableSize;
    level.push({ scale, resolution, dense, offset, entries });
    offset += entries;
  }
  return { config, level, denseLevels, entries: offset, parameterCount: offset * featuresPerLevel, outputDims: levels * featuresPerLevel };
}

export class HashGrid {
  readonly layout: HashGridLayout;
  readonly table: GPUBuffer;
  /** Same shape as `table`; float bits accumulated atomically by backward(). */
  readonly grad: GPUBuffer;
  private readonly encodeKernel: ComputeKernel;
  private readonly backwardKernel: ComputeKernel;
  private readonly device: GPUDevice;

  constructor(cache: PipelineCache, config: HashGridConfig, init: { seed: number; range: number } = { seed: 1, range: 1e-4 }) {
    this.device = cache.device;
    this.layout = hashGridLayout(config);
    const bytes = this.layout.parameterCount * 4;
    const limit = Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
    if (bytes > limit) {
      throw new RangeError(
        `hash grid of ${(bytes / 2 ** 20).toFixed(0)} MiB exceeds this adapter's storage buffer limit of ${(limit / 2 ** 20).toFixed(0)} MiB: lower log2TableSize`,
      );
    }
    this.table = createStorageBuffer(this.device, bytes, 'hash grid table');
    this.grad = createStorageBuffer(this.device, bytes, 'hash grid gradient');
    this.device.queue.writeBuffer(this.table, 0, uniformInit(this.layout.parameterCount, init.seed, init.range));
    const code = composeWgsl('hash-grid', { 'dispatch.wgsl': dispatch, 'float-atomics.wgsl': atomics, 'hash-grid.wgsl': shader });
    const constants = { F: config.featuresPerLevel };
    this.encodeKernel = new ComputeKernel(cache, 'hash-grid', code, 'encode', constants);
    this.backwardKernel = new ComputeKernel(cache, 'hash-grid', code, 'backward', constants);
  }

  /** Uniforms for a pass over `count` points; build once per batch size and reuse. */
  paramsFor(count: number): GPUBuffer {
    const l = this.layout;
    const data = HASH_GRID_PARAMS.pack({
      count,
      levels: l.level.length,
      dense_levels: l.denseLevels,
      level: l.level.map((lv) => ({ scale: lv.scale, resolution: lv.resolution, offset: lv.offset, size: lv.entries })),
    });
    return createUniformBuffer(this.device, data, `hash grid params (${count})`);
  }

  /** features[count x outputDims] from positions[count x 3] in [0,1]. */
  encode(pass: GPUComputePassEncoder, params: GPUBuffer, count: number, positions: GPUBuffer, features: GPUBuffer): void {
    const group = this.encodeKernel.bind({ params, positions, table: this.table, table2: this.table, features });
    this.encodeKernel.dispatch(pass, group, Math.ceil(count / WORKGROUP), this.layout.level.length);
  }

  /** Adds d(loss)/d(table) to `grad`, given d(loss)/d(features). */
  backward(pass: GPUComputePassEncoder, params: GPUBuffer, count: number, positions: GPUBuffer, dFeatures: GPUBuffer): void {
    const group = this.backwardKernel.bind({ params, positions, d_features: dFeatures, grad: this.grad });
    this.backwardKernel.dispatch(pass, group, Math.ceil(count / WORKGROUP), this.layout.level.length);
  }

  destroy(): void {
    this.table.destroy();
    this.grad.destroy();
  }
}

/** Uniform values in [-range, range], deterministic per seed (xorshift). */
export function uniformInit(count: number, seed: number, range: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (((s >>> 0) / 4294967296) * 2 - 1) * range;
  }
  return out;
}
