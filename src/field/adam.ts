/**
 * Adam on the GPU for any number of parameter buffers (hash table, MLP weights), each with its
 * gradient buffer. The gradient is cleared by the same pass, ready for the next accumulation.
 */
import kernels from '../../shaders/adam.wgsl?raw';
import dispatch from '../../shaders/dispatch.wgsl?raw';
import { createStorageBuffer, createUniformBuffer } from '../gpu/buffer-io.ts';
import type { PassTimer } from '../gpu/pass-timer.ts';
import { ComputeKernel } from '../gpu/compute-kernel.ts';
import type { PipelineCache } from '../gpu/pipeline-cache.ts';
import { WgslStruct } from '../gpu/uniform-layout.ts';
import { composeWgsl } from '../gpu/wgsl-compose.ts';

export interface AdamSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** L2 penalty added to the gradient (instant-ngp uses a small one on MLP weights only). */
  weightDecay: number;
}

/** instant-ngp's optimiser settings. */
export const INSTANT_NGP_ADAM: AdamSettings = { learningRate: 1e-2, beta1: 0.9, beta2: 0.99, epsilon: 1e-15, weightDecay: 0 };

interface Group {
  weights: GPUBuffer;
  grad: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
  count: number;
  weightDecay: number;
  uniforms: GPUBuffer;
  bindGroup: GPUBindGroup;
}

const WORKGROUP = 256;
const shader = composeWgsl('adam', { 'dispatch.wgsl': dispatch, 'adam.wgsl': kernels });

/** The kernel's uniforms (bias corrections folded into lr_t and eps_t, see shaders/adam.wgsl). */
export const ADAM_PARAMS = new WgslStruct('adam.wgsl', 'Params', {
  count: 'u32',
  lr_t: 'f32',
  eps_t: 'f32',
  beta1: 'f32',
  beta2: 'f32',
  weight_decay: 'f32',
});

export class Adam {
  private readonly groups: Group[] = [];
  private readonly kernel: ComputeKernel;
  /** How many parameters were not finite after their step, summed since the last clear (one u32). */
  readonly nonFinite: GPUBuffer;
  /** Steps taken so far. */
  steps = 0;

  constructor(
    private readonly cache: PipelineCache,
    public settings: AdamSettings,
  ) {
    this.kernel = new ComputeKernel(cache, 'adam', shader, 'step');
    this.nonFinite = createStorageBuffer(cache.device, 4, 'adam non-finite parameters');
  }

  /** Optimises `count` floats of `weights` using `grad`; weight decay may differ per group. */
  add(weights: GPUBuffer, grad: GPUBuffer, count: number, weightDecay = this.settings.weightDecay): void {
    const device = this.cache.device;
    const m = createStorageBuffer(device, count * 4, `${weights.label} adam m`);
    const v = createStorageBuffer(device, count * 4, `${weights.label} adam v`);
    const uniforms = createUniformBuffer(device, new ArrayBuffer(ADAM_PARAMS.size), `${weights.label} adam params`);
    const bindGroup = this.kernel.bind({ params: uniforms, weights, grad, first_moment: m, second_moment: v, non_finite: this.nonFinite });
    this.groups.push({ weights, grad, m, v, count, weightDecay, uniforms, bindGroup });
  }

  /**
   * Submits one step for every group. It submits by itself because its uniforms are written
   * through the queue: a step recorded into a shared encoder would see a later step's values.
   */
  update(timer: PassTimer | null = null): void {
    this.steps++;
    const encoder = this.cache.device.createCommandEncoder({ label: 'adam' });
    const { learningRate, beta1, beta2, epsilon } = this.settings;
    const c2 = Math.sqrt(1 - beta2 ** this.steps);
    const lrT = (learningRate * c2) / (1 - beta1 ** this.steps);
    const pass = encoder.beginComputePass({ label: 'adam', ...(timer && { timestampWrites: timer.pass('adam') }) });
    for (const g of this.groups) {
      const groups = Math.ceil(g.count / WORKGROUP);
      const params = { count: g.count, lr_t: lrT, eps_t: epsilon * c2, beta1, beta2, weight_decay: g.weightDecay };
      this.cache.device.queue.writeBuffer(g.uniforms, 0, ADAM_PARAMS.pack(params));
      this.kernel.dispatch(pass, g.bindGroup, groups);
    }
    pass.end();
    this.cache.device.queue.submit([encoder.finish()]);
  }

  /** Moment buffers, for checkpoints. */
  state(): { m: GPUBuffer; v: GPUBuffer; count: number }[] {
    return this.groups.map(({ m, v, count }) => ({ m, v, count }));
  }

  destroy(): void {
    this.nonFinite.destroy();
    for (const g of this.groups) {
      g.m.destroy();
      g.v.destroy();
      g.uniforms.destroy();
    }
  }
}
