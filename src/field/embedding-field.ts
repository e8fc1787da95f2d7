/**
 * The Embedding-NeRF: a hash grid and three tiny networks. Density and the semantic embedding
 * depend on position only; colour also on the view direction (NeurNCD §3, with instant-ngp's
 * encoding and network sizes). Runs forward and backward over a batch of samples on the GPU.
 * Per-sample arrays are feature-major (value j of sample s at j * count + s), as the MLPs want.
 */
import dispatch from '../../shaders/dispatch.wgsl?raw';
import kernels from '../../shaders/field-glue.wgsl?raw';
import { createStorageBuffer, createUniformBuffer } from '../gpu/buffer-io.ts';
import { ComputeKernel } from '../gpu/compute-kernel.ts';
import type { ComputePasses } from '../gpu/compute-passes.ts';
import type { PipelineCache } from '../gpu/pipeline-cache.ts';
import { WgslStruct } from '../gpu/uniform-layout.ts';
import { composeWgsl } from '../gpu/wgsl-compose.ts';
import { HashGrid, type HashGridConfig } from './hash-grid.ts';
import { Mlp, MLP_MAX_WIDTH, type MlpBatch } from './mlp.ts';

export interface FieldConfig {
  hashGrid: HashGridConfig;
  /** Hidden width of every network (instant-ngp: 64). */
  width: number;
  colourHiddenLayers: number;
  /** Embedding channels (the segmenter's classes). */
  k: number;
  seed: number;
}

const GEOMETRY = 16;

/** Profile labels of the field's kernels (see ComputePasses). */
/** The embedding head is one MLP layer with a channel per class: this many classes at most. */
export const EMBEDDING_MAX_CLASSES = MLP_MAX_WIDTH;

export const FIELD_STAGES = {
  hashForward: 'hash grid forward',
  mlpForward: 'mlp forward',
  glue: 'field glue',
  mlpBackward: 'mlp backward',
  hashBackward: 'hash grid backward',
} as const;
const WORKGROUP = 64;
const glue = composeWgsl('field-glue', { 'dispatch.wgsl': dispatch, 'field-glue.wgsl': kernels });
export const FIELD_GLUE_PARAMS = new WgslStruct('field-glue.wgsl', 'Params', { count: 'u32' });

export interface DensityBatch {
  count: number;
  hashParams: GPUBuffer;
  features: GPUBuffer;
  density: MlpBatch;
  densityOut: GPUBuffer;
}

/** Per-sample buffers of one batch size. */
interface Batch {
  count: number;
  hashParams: GPUBuffer;
  features: GPUBuffer;
  density: MlpBatch;
  densityOut: GPUBuffer;
  colour: MlpBatch;
  colourOut: GPUBuffer;
  embedding: MlpBatch;
  logits: GPUBuffer;
  raw: GPUBuffer;
  glueParams: GPUBuffer;
  /** Gradients between the networks; null for forward-only batches (rendering, evaluation). */
  grads: {
    dColourOut: GPUBuffer;
    dColourIn: GPUBuffer;
    dEmbeddingIn: GPUBuffer;
    dDensityOut: GPUBuffer;
    dFeatures: GPUBuffer;
  } | null;
}

export class EmbeddingField {
  readonly grid: HashGrid;
  readonly density: Mlp;
  readonly colour: Mlp;
  readonly embedding: Mlp;
  private readonly kernels: Record<'gather' | 'pack' | 'splitColour' | 'sumDensity', ComputeKernel>;
  private readonly device: GPUDevice;

  constructor(
    cache: PipelineCache,
    readonly config: FieldConfig,
  ) {
    this.device = cache.device;
    this.grid = new HashGrid(cache, config.hashGrid, { seed: config.seed, range: 1e-4 });
    const inputs = this.grid.layout.outputDims;
    this.density = new Mlp(cache, 'density net', [inputs, config.width, GEOMETRY], config.seed + 1);
    this.colour = new Mlp(
      cache,
      'colour net',
      [2 * GEOMETRY, ...Array<number>(config.colourHiddenLayers).fill(config.width), 3],
      config.seed + 2,
    );
    if (config.k > EMBEDDING_MAX_CLASSES)
      throw new RangeError(`the field learns at most ${EMBEDDING_MAX_CLASSES} classes, got ${config.k}`);
    this.embedding = new Mlp(cache, 'embedding net', [GEOMETRY, config.width, config.k], config.seed + 3);
    this.kernels = {
      gather: new ComputeKernel(cache, 'field-glue', glue, 'gather_geometry'),
      pack: new ComputeKernel(cache, 'field-glue', glue, 'pack_raw'),
      splitColour: new ComputeKernel(cache, 'field-glue', glue, 'split_colour_grad'),
      sumDensity: new ComputeKernel(cache, 'field-glue', glue, 'sum_density_grad'),
    };
  }

  /** Parameter and gradient buffers with their float counts, for the optimiser. */
  parameters(): { weights: GPUBuffer; grad: GPUBuffer; count: number; isNetwork: boolean }[] {
    return [
      { weights: this.grid.table, grad: this.grid.grad, count: this.grid.layout.parameterCount, isNetwork: false },
      ...[this.density, this.colour, this.embedding].map((m) => ({
        weights: m.weights,
        grad: m.grad,
        count: m.layout.weightCount,
        isNetwork: true,
      })),
    ];
  }

  /**
   * Buffers for batches of `count` samples (a multiple of 16, the MLPs' sample tile); without
   * `backward`, only what the forward pass needs.
   */
  createBatch(count: number, options: { backward?: boolean } = {}): Batch {
    const backward = options.backward ?? true;
    const d = this.device;
    const buf = (floats: number, label: string): GPUBuffer => createStorageBuffer(d, count * floats * 4, label);
    return {
      count,
      hashParams: this.grid.paramsFor(count),
      features: buf(this.grid.layout.outputDims, 'hash features'),
      density: this.density.createBatch(count, { backward }),
      densityOut: buf(GEOMETRY, 'density net output'),
      colour: this.colour.createBatch(count, { backward }),
      colourOut: buf(3, 'colour net output'),
      embedding: this.embedding.createBatch(count, { backward }),
      logits: buf(this.config.k, 'embedding logits'),
      raw: buf(4, 'raw density and colour'),
      glueParams: createUniformBuffer(d, FIELD_GLUE_PARAMS.pack({ count }), 'field glue params'),
      grads: backward
        ? {
            dColourOut: buf(3, 'd colour output'),
            dColourIn: buf(2 * GEOMETRY, 'd colour input'),
            dEmbeddingIn: buf(GEOMETRY, 'd embedding input'),
            dDensityOut: buf(GEOMETRY, 'd density output'),
            dFeatures: buf(this.grid.layout.outputDims, 'd hash features'),
          }
        : null,
    };
  }

  /** Buffers for evaluating density alone (the occupancy grid's updates). */
  createDensityBatch(count: number): DensityBatch {
    return {
      count,
      hashParams: this.grid.paramsFor(count),
      features: createStorageBuffer(this.device, count * this.grid.layout.outputDims * 4, 'density-only hash features'),
      density: this.density.createBatch(count, { backward: false }),
      densityOut: createStorageBuffer(this.device, count * GEOMETRY * 4, 'density-only output'),
    };
  }

  /** The density network's outputs (feature-major: raw density of point i at i) at `positions`. */
  densityForward(pass: GPUComputePassEncoder, b: DensityBatch, positions: GPUBuffer): void {
    this.grid.encode(pass, b.hashParams, b.count, positions, b.features);
    this.density.forward(pass, b.density, b.features, b.densityOut);
  }

  /** raw (density, rgb) and logits of every sample at `positions`; `colourInput` already holds the SH half. */
  forward(passes: ComputePasses, b: Batch, positions: GPUBuffer, colourInput: GPUBuffer): void {
    const n = b.count;
    const groups = Math.ceil(n / WORKGROUP);
    this.grid.encode(passes.stage(FIELD_STAGES.hashForward), b.hashParams, n, positions, b.features);
    this.density.forward(passes.stage(FIELD_STAGES.mlpForward), b.density, b.features, b.densityOut);
    const g = this.kernels;
    g.gather.dispatch(
      passes.stage(FIELD_STAGES.glue),
      g.gather.bind({ params: b.glueParams, density_out: b.densityOut, colour_input: colourInput }),
      groups,
    );
    this.colour.forward(passes.stage(FIELD_STAGES.mlpForward), b.colour, colourInput, b.colourOut);
    this.embedding.forward(passes.stage(FIELD_STAGES.mlpForward), b.embedding, b.densityOut, b.logits);
    g.pack.dispatch(
      passes.stage(FIELD_STAGES.glue),
      g.pack.bind({ params: b.glueParams, density_out: b.densityOut, colour_out: b.colourOut, raw: b.raw }),
      groups,
    );
  }

  /** Multiply-adds x 2 of the three networks over one batch, forward and backward. */
  mlpFlops(count: number): { forward: number; backward: number } {
    const nets = [this.density, this.colour, this.embedding];
    return {
      forward: nets.reduce((s, m) => s + m.forwardFlops(count), 0),
      backward: nets.reduce((s, m) => s + m.backwardFlops(count), 0),
    };
  }

  /** Accumulates every parameter's gradient from d(loss)/d(raw) and d(loss)/d(logits). */
  backward(passes: ComputePasses, b: Batch, positions: GPUBuffer, colourInput: GPUBuffer, dRaw: GPUBuffer, dLogits: GPUBuffer): void {
    const n = b.count;
    const groups = Math.ceil(n / WORKGROUP);
    const g = this.kernels;
    const d = b.grads;
    if (!d) throw new Error('EmbeddingField.backward() on a forward-only batch');
    g.splitColour.dispatch(
      passes.stage(FIELD_STAGES.glue),
      g.splitColour.bind({ params: b.glueParams, d_raw: dRaw, d_colour_out: d.dColourOut }),
      groups,
    );
    this.colour.backward(passes.stage(FIELD_STAGES.mlpBackward), b.colour, colourInput, d.dColourOut, d.dColourIn);
    this.embedding.backward(passes.stage(FIELD_STAGES.mlpBackward), b.embedding, b.densityOut, dLogits, d.dEmbeddingIn);
    g.sumDensity.dispatch(
      passes.stage(FIELD_STAGES.glue),
      g.sumDensity.bind({
        params: b.glueParams,
        d_raw: dRaw,
        d_colour_in: d.dColourIn,
        d_embedding_in: d.dEmbeddingIn,
        d_density_out: d.dDensityOut,
      }),
      groups,
    );
    this.density.backward(passes.stage(FIELD_STAGES.mlpBackward), b.density, b.features, d.dDensityOut, d.dFeatures);
    this.grid.backward(passes.stage(FIELD_STAGES.hashBackward), b.hashParams, n, positions, d.dFeatures);
  }
}

export type FieldBatch = Batch;
