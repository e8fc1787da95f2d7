/**
 * A tiny MLP on the GPU (no biases, ReLU hidden layers, linear output), one pipeline per layer and
 * kernel, with the buffers one batch needs: hidden activations and deltas are kept between forward
 * and backward. Per-sample arrays are feature-major, weights padded row-major (see shaders/mlp.wgsl).
 */
import dispatch from '../../shaders/dispatch.wgsl?raw';
import kernels from '../../shaders/mlp.wgsl?raw';
import { createStorageBuffer, createUniformBuffer } from '../gpu/buffer-io.ts';
import { ComputeKernel } from '../gpu/compute-kernel.ts';
import type { PipelineCache } from '../gpu/pipeline-cache.ts';
import { WgslStruct } from '../gpu/uniform-layout.ts';
import { composeWgsl } from '../gpu/wgsl-compose.ts';
import { uniformInit } from './hash-grid.ts';

export const MLP_MAX_LAYERS = 6;
export const MLP_MAX_WIDTH = 64;
/** Batch sizes must be a multiple of this (one thread's sample tile). */
export const MLP_SAMPLE_ALIGNMENT = 16;
const TILES_PER_GROUP = 64;
const CHUNK = 1024;
const shader = composeWgsl('mlp', { 'dispatch.wgsl': dispatch, 'mlp.wgsl': kernels });
/** Every layer's kernels read the batch's size and its chunks of CHUNK samples (weight gradients). */
export const MLP_PARAMS = new WgslStruct('mlp.wgsl', 'Params', { count: 'u32', chunks: 'u32' });

export interface MlpLayout {
  /** Units per layer boundary: [inputs, hidden..., outputs]. */
  dims: number[];
  /** Stored inputs of each layer (rounded up to 16). */
  inPad: number[];
  /** Stored outputs of each layer (rounded up to 16). */
  outPad: number[];
  /** First stored weight of each layer, in floats. */
  weightOffsets: number[];
  /** Stored floats, padding included. */
  weightCount: number;
  /** Weights that are real parameters (no padding). */
  parameterCount: number;
}

const roundUp16 = (n: number): number => Math.ceil(n / 16) * 16;

export function mlpLayout(dims: number[]): MlpLayout {
  if (dims.length < 2 || dims.length - 1 > MLP_MAX_LAYERS) throw new RangeError(`an MLP has 1..${MLP_MAX_LAYERS} layers`);
  for (const d of dims)
    if (!Number.isInteger(d) || d < 1 || d > MLP_MAX_WIDTH) throw new RangeError(`layer widths must be 1..${MLP_MAX_WIDTH}, got ${d}`);
  for (const d of dims.slice(0, -1))
    if (d % 4 !== 0) throw new RangeError(`input and hidden widths must be multiples of 4 (vec4 loads), got ${d}`);
  const weightOffsets: number[] = [];
  const inPad: number[] = [];
  const outPad: number[] = [];
  let w = 0;
  let parameters = 0;
  for (let l = 0; l + 1 < dims.length; l++) {
    weightOffsets.push(w);
    inPad.push(roundUp16(dims[l]!));
    outPad.push(roundUp16(dims[l + 1]!));
    w += inPad[l]! * outPad[l]!;
    parameters += dims[l]! * dims[l + 1]!;
  }
  return { dims, inPad, outPad, weightOffsets, weightCount: w, parameterCount: parameters };
}

/** Where W_l[o][k] is stored: 4 x 4 blocks (one mat4x4f each, column = 4 inputs of one output). */
function storedIndex(layout: MlpLayout, l: number, o: number, k: number): number {
  const blocksPerRow = layout.inPad[l]! / 4;
  return layout.weightOffsets[l]! + ((o >> 2) * blocksPerRow + (k >> 2)) * 16 + (o & 3) * 4 + (k & 3);
}

/** Stored (blocked, padded) weights from plain row-major W_l[out][in], layer after layer. */
export function packWeights(layout: MlpLayout, plain: ArrayLike<number>): Float32Array {
  const out = new Float32Array(layout.weightCount);
  let at = 0;
  for (let l = 0; l + 1 < layout.dims.length; l++) {
    for (let o = 0; o < layout.dims[l + 1]!; o++) {
      for (let k = 0; k < layout.dims[l]!; k++) out[storedIndex(layout, l, o, k)] = plain[at++]!;
    }
  }
  return out;
}

/** Plain row-major W_l[out][in], layer after layer, from stored weights. */
export function unpackWeights(layout: MlpLayout, stored: ArrayLike<number>): Float32Array {
  const out = new Float32Array(layout.parameterCount);
  let at = 0;
  for (let l = 0; l + 1 < layout.dims.length; l++) {
    for (let o = 0; o < layout.dims[l + 1]!; o++) {
      for (let k = 0; k < layout.dims[l]!; k++) out[at++] = stored[storedIndex(layout, l, o, k)]!;
    }
  }
  return out;
}

/** He-uniform initialisation per layer (ReLU networks), deterministic per seed, stored layout. */
export function initialWeights(layout: MlpLayout, seed: number): Float32Array {
  const plain: number[] = [];
  for (let l = 0; l + 1 < layout.dims.length; l++) {
    const fanIn = layout.dims[l]!;
    plain.push(...uniformInit(fanIn * layout.dims[l + 1]!, seed * 31 + l + 1, Math.sqrt(6 / fanIn)));
  }
  return packWeights(layout, plain);
}

/** Buffers for batches of `count` samples. */
export interface MlpBatch {
  count: number;
  /** Uniforms of every layer. */
  params: GPUBuffer;
  /** Outputs of the hidden layers (after ReLU), one buffer each, feature-major. */
  activations: GPUBuffer[];
  /** d(loss)/d(pre-activation) of the hidden layers. */
  deltas: GPUBuffer[];
  /** Per-chunk weight-gradient partial sums of one layer at a time. */
  partials: GPUBuffer;
  /** False for forward-only batches (no deltas or partials: rendering, evaluation). */
  backward: boolean;
  /** Workgroups of the forward and backward_data dispatches (before folding). */
  tileWorkgroups: number;
  /** Workgroups of each layer's weight_grad dispatch. */
  gradWorkgroups: number[];
}

interface LayerKernels {
  forward: ComputeKernel;
  backwardData: ComputeKernel;
  weightGrad: ComputeKernel;
  reduceGrad: ComputeKernel;
}

export class Mlp {
  readonly layout: MlpLayout;
  readonly weights: GPUBuffer;
  readonly grad: GPUBuffer;
  private readonly device: GPUDevice;
  private readonly layers: LayerKernels[];

  constructor(
    cache: PipelineCache,
    readonly label: string,
    dims: number[],
    seed: number,
  ) {
    this.device = cache.device;
    this.layout = mlpLayout(dims);
    this.weights = createStorageBuffer(this.device, this.layout.weightCount * 4, `${label} weights`);
    this.grad = createStorageBuffer(this.device, this.layout.weightCount * 4, `${label} weight gradient`);
    this.device.queue.writeBuffer(this.weights, 0, initialWeights(this.layout, seed));
    const last = dims.length - 2;
    this.layers = this.layout.inPad.map((_, l) => {
      const constants = {
        IN: dims[l]!,
        OUT: dims[l + 1]!,
        W_OFFSET: this.layout.weightOffsets[l]! / 16,
        RELU_OUT: l < last ? 1 : 0,
        RELU_IN: l > 0 ? 1 : 0,
      };
      const kernel = (entry: string): ComputeKernel => new ComputeKernel(cache, `${label} layer ${l}`, shader, entry, constants);
      return {
        forward: kernel('forward'),
        backwardData: kernel('backward_data'),
        weightGrad: kernel('weight_grad'),
        reduceGrad: kernel('reduce_grad'),
      };
    });
  }

  /** Floating-point operations of one forward pass over `count` samples (2 per multiply-add). */
  forwardFlops(count: number): number {
    return 2 * count * this.layout.parameterCount;
  }

  /** Of one backward pass: input gradients and weight gradients, one multiply-add per weight each. */
  backwardFlops(count: number): number {
    return 4 * count * this.layout.parameterCount;
  }

  createBatch(count: number, options: { backward?: boolean } = {}): MlpBatch {
    const backward = options.backward ?? true;
    if (count % MLP_SAMPLE_ALIGNMENT !== 0)
      throw new RangeError(`${this.label}: batch size ${count} is not a multiple of ${MLP_SAMPLE_ALIGNMENT}`);
    const l = this.layout;
    const chunks = Math.max(1, Math.ceil(count / CHUNK));
    const tileWorkgroups = Math.ceil(count / MLP_SAMPLE_ALIGNMENT / TILES_PER_GROUP);
    const gradWorkgroups = l.inPad.map((inPad, i) => Math.ceil((chunks * (l.outPad[i]! / 16) * (inPad / 16)) / 64));
    const params = createUniformBuffer(this.device, MLP_PARAMS.pack({ count, chunks }), `${this.label} params (${count})`);
    const hidden = l.dims.slice(1, -1);
    let partialFloats = 0;
    for (let i = 0; i < l.inPad.length; i++) partialFloats = Math.max(partialFloats, l.inPad[i]! * l.outPad[i]!);
    return {
      count,
      params,
      activations: hidden.map((w, i) => createStorageBuffer(this.device, count * w * 4, `${this.label} activations ${i + 1}`)),
      deltas: backward ? hidden.map((w, i) => createStorageBuffer(this.device, count * w * 4, `${this.label} deltas ${i + 1}`)) : [],
      partials: createStorageBuffer(this.device, backward ? chunks * partialFloats * 4 : 4, `${this.label} weight-gradient partials`),
      backward,
      tileWorkgroups,
      gradWorkgroups,
    };
  }

  /** outputs from inputs, feature-major (value j of sample s at j * count + s). */
  forward(pass: GPUComputePassEncoder, batch: MlpBatch, inputs: GPUBuffer, outputs: GPUBuffer): void {
    this.layers.forEach((k, i) => {
      const x = i === 0 ? inputs : batch.activations[i - 1]!;
      const y = i === this.layers.length - 1 ? outputs : batch.activations[i]!;
      k.forward.dispatch(
        pass,
        k.forward.bind({ params: batch.params, weights: this.weights, x, y }),
        batch.tileWorkgroups,
        this.layout.outPad[i]! / 16,
      );
    });
  }

  /** d(loss)/d(inputs) from d(loss)/d(outputs); adds d(loss)/d(weights) to `grad`. All feature-major. */
  backward(pass: GPUComputePassEncoder, batch: MlpBatch, inputs: GPUBuffer, dOutputs: GPUBuffer, dInputs: GPUBuffer): void {
    if (!batch.backward) throw new Error(`${this.label}: backward() on a forward-only batch`);
    const l = this.layout;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const k = this.layers[i]!;
      const params = batch.params;
      const x = i === 0 ? inputs : batch.activations[i - 1]!;
      const dy = i === this.layers.length - 1 ? dOutputs : batch.deltas[i]!;
      const dx = i === 0 ? dInputs : batch.deltas[i - 1]!;
      k.backwardData.dispatch(
        pass,
        k.backwardData.bind({ params, weights: this.weights, x, dy, dx }),
        batch.tileWorkgroups,
        l.inPad[i]! / 16,
      );
      k.weightGrad.dispatch(pass, k.weightGrad.bind({ params, x, dy, partials: batch.partials }), batch.gradWorkgroups[i]!);
      k.reduceGrad.dispatch(
        pass,
        k.reduceGrad.bind({ params, partial_columns: batch.partials, grad: this.grad }),
        Math.ceil((l.outPad[i]! * l.inPad[i]!) / 4 / 64),
      );
    }
  }

  destroy(): void {
    this.weights.destroy();
    this.grad.destroy();
  }
}
