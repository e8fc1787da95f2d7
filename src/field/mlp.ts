/**
 * A tiny MLP on the GPU (no biases, ReLU hidden layers, linear output), with the buffers one
 * training batch needs: hidden activations and deltas are kept between forward and backward.
 * Per-sample arrays are feature-major (see shaders/mlp.wgsl).
 */
import atomics from '../../shaders/float-atomics.wgsl?raw';
import shader from '../../shaders/mlp.wgsl?raw';
import { createStorageBuffer, createUniformBuffer } from '../gpu/buffer-io.ts';
import { ComputeKernel } from '../gpu/compute-kernel.ts';
import { workgroupGrid, type PipelineCache } from '../gpu/pipeline-cache.ts';
import { uniformInit } from './hash-grid.ts';

export const MLP_MAX_LAYERS = 6;
export const MLP_MAX_WIDTH = 64;
const SAMPLES_PER_GROUP = 64;
const CHUNK = 256;

export interface MlpLayout {
  /** Units per layer boundary: [inputs, hidden..., outputs]. */
  dims: number[];
  weightOffsets: number[];
  weightCount: number;
  /** Rows (floats per sample) of the kept hidden activations, and of their deltas. */
  hiddenRows: number;
}

export function mlpLayout(dims: number[]): MlpLayout {
  if (dims.length < 2 || dims.length - 1 > MLP_MAX_LAYERS) throw new RangeError(`an MLP has 1..${MLP_MAX_LAYERS} layers`);
  for (const d of dims) if (!Number.isInteger(d) || d < 1 || d > MLP_MAX_WIDTH) throw new RangeError(`layer widths must be 1..${MLP_MAX_WIDTH}, got ${d}`);
  const weightOffsets: number[] = [];
  let w = 0;
  for (let l = 0; l + 1 < dims.length; l++) {
    weightOffsets.push(w);
    w += dims[l]! * dims[l + 1]!;
  }
  return {
    dims,
    weightOffsets,
    weightCount: w,
    hiddenRows: dims.slice(1, -1).reduce((a, b) => a + b, 0),
  };
}

export class Mlp {
  readonly layout: MlpLayout;
  readonly weights: GPUBuffer;
  readonly grad: GPUBuffer;
  private readonly device: GPUDevice;
  private readonly kernels: { forward: ComputeKernel; backward: ComputeKernel; weightGrad: ComputeKernel };

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
    const code = `${atomics}\n${shader}`;
    this.kernels = {
      forward: new ComputeKernel(cache, 'mlp', code, 'forward'),
      backward: new ComputeKernel(cache, 'mlp', code, 'backward_data'),
      weightGrad: new ComputeKernel(cache, 'mlp', code, 'weight_grad_kernel'),
    };
  }

  /** Uniforms for batches of `count` samples. */
  paramsFor(count: number): GPUBuffer {
    const l = this.layout;
    const data = new Uint32Array(4 + MLP_MAX_LAYERS * 8);
    data.set([count, l.dims.length - 1, workgroupGrid(this.device, Math.ceil(count / SAMPLES_PER_GROUP))[0]]);
    // Hidden outputs are stored one after another; layer i reads the rows layer i - 1 wrote.
    let row = 0;
    for (let i = 0; i + 1 < l.dims.length; i++) {
      const inputs = l.dims[i]!;
      const outputs = l.dims[i + 1]!;
      const inRow = i === 0 ? 0 : row - inputs;
      data.set([inputs, outputs, l.weightOffsets[i]!, inRow, row, Math.ceil(inputs / 16)], 4 + i * 8);
      if (i + 2 < l.dims.length) row += outputs;
    }
    return createUniformBuffer(this.device, data, `${this.label} params (${count})`);
  }

  /** Scratch for one batch: kept hidden activations and their deltas (feature-major). */
  batchBuffers(count: number): { activations: GPUBuffer; deltas: GPUBuffer } {
    return {
      activations: createStorageBuffer(this.device, count * this.layout.hiddenRows * 4, `${this.label} activations`),
      deltas: createStorageBuffer(this.device, count * this.layout.hiddenRows * 4, `${this.label} deltas`),
    };
  }

  /** outputs from inputs, feature-major (value j of sample s at j * count + s). */
  forward(pass: GPUComputePassEncoder, params: GPUBuffer, count: number, inputs: GPUBuffer, outputs: GPUBuffer, activations: GPUBuffer): void {
    const k = this.kernels.forward;
    k.dispatch(pass, k.bind({ 0: params, 1: this.weights, 2: inputs, 3: outputs, 4: activations }), Math.ceil(count / SAMPLES_PER_GROUP));
  }

  /** d(loss)/d(inputs) from d(loss)/d(outputs); adds d(loss)/d(weights) to `grad`. All feature-major. */
  backward(
    pass: GPUComputePassEncoder,
    params: GPUBuffer,
    count: number,
    inputs: GPUBuffer,
    dOutputs: GPUBuffer,
    batch: { activations: GPUBuffer; deltas: GPUBuffer },
    dInputs: GPUBuffer,
  ): void {
    const data = this.kernels.backward;
    data.dispatch(
      pass,
      data.bind({ 0: params, 1: this.weights, 5: dOutputs, 6: batch.activations, 7: batch.deltas, 8: dInputs }),
      Math.ceil(count / SAMPLES_PER_GROUP),
    );
    const wg = this.kernels.weightGrad;
    const dims = this.layout.dims;
    let tiles = 0;
    for (let i = 0; i + 1 < dims.length; i++) tiles = Math.max(tiles, Math.ceil(dims[i]! / 16) * Math.ceil(dims[i + 1]! / 16));
    pass.setPipeline(wg.pipeline);
    pass.setBindGroup(0, wg.bind({ 0: params, 2: inputs, 5: dOutputs, 6: batch.activations, 9: batch.deltas, 10: this.grad }));
    pass.dispatchWorkgroups(tiles, Math.max(1, Math.ceil(count / CHUNK)), dims.length - 1);
  }

  destroy(): void {
    this.weights.destroy();
    this.grad.destroy();
  }
}

/** He-uniform initialisation per layer (ReLU networks), deterministic per seed. */
export function initialWeights(layout: MlpLayout, seed: number): Float32Array {
  const out = new Float32Array(layout.weightCount);
  for (let l = 0; l + 1 < layout.dims.length; l++) {
    const fanIn = layout.dims[l]!;
    const n = fanIn * layout.dims[l + 1]!;
    out.set(uniformInit(n, seed * 31 + l + 1, Math.sqrt(6 / fanIn)), layout.weightOffsets[l]!);
  }
  return out;
}
