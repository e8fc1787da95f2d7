/**
 * Volume rendering of ray batches on the GPU (shaders/volume-render.wgsl): compositing, the
 * training losses, and their backward pass to the field's raw per-sample outputs.
 */
import dispatch from '../../shaders/dispatch.wgsl?raw';
import random from '../../shaders/random.wgsl?raw';
import kernels from '../../shaders/volume-render.wgsl?raw';
import { createUniformBuffer } from '../gpu/buffer-io.ts';
import { ComputeKernel } from '../gpu/compute-kernel.ts';
import type { PipelineCache } from '../gpu/pipeline-cache.ts';
import { WgslStruct } from '../gpu/uniform-layout.ts';
import { composeWgsl } from '../gpu/wgsl-compose.ts';

export interface RenderLossSettings {
  /** Colour transparent rays end on (sRGB 0..1); also the colour transparent photo pixels were composited on. */
  background: [number, number, number];
  /**
   * Training only: each ray ends on its own random colour, and its target is recomposited on the
   * same colour from the photo's transparency (instant-ngp's training of object captures: a field
   * that puts any density where the photo is transparent is then wrong on most rays).
   */
  randomBackground: boolean;
  /** Transmittance below which marching stops. */
  earlyStop: number;
  huberDelta: number;
  depthWeight: number;
  /** lambda of the KL term on the embedding. */
  klWeight: number;
}

export const DEFAULT_RENDER_LOSS: RenderLossSettings = {
  background: [0, 0, 0],
  randomBackground: false,
  earlyStop: 1e-4,
  huberDelta: 0.1,
  depthWeight: 0.1,
  klWeight: 0.04,
};

/** Per-ray sample ranges and per-sample geometry and field outputs. */
export interface SampleBuffers {
  /** (first sample, sample count) per ray, u32 pairs. */
  range: GPUBuffer;
  /** (t, dt) per sample. */
  geom: GPUBuffer;
  /** (raw density, raw r, g, b) per sample. */
  raw: GPUBuffer;
  /** K per sample, feature-major (logit k of sample s at k * samples + s). */
  logits: GPUBuffer;
}

export interface LossBuffers {
  /** [r, g, b, depth (0 = none), logits(K)] per ray. */
  targets: GPUBuffer;
  /** [d r, d g, d b, d depth, d logits(K)] per ray. */
  dRendered: GPUBuffer;
  /** colour, depth, KL loss per ray. */
  rayLosses: GPUBuffer;
}

export interface SampleGradBuffers {
  /** d(loss)/d(raw) per sample (4 floats). */
  dRaw: GPUBuffer;
  dLogits: GPUBuffer;
}

/** Floats per ray of the rendered record [r, g, b, depth, opacity, logits(K)]. */
export const renderedStride = (k: number): number => 5 + k;
/** Floats per ray of the target and gradient records. */
export const targetStride = (k: number): number => 4 + k;

/** Squared colour error of ray `r`, summed over r, g, b, from read-back rendered and target records. */
export function rayColourError(rendered: Float32Array, targets: Float32Array, k: number, r: number): number {
  const ro = r * renderedStride(k);
  const to = r * targetStride(k);
  let se = 0;
  for (let c = 0; c < 3; c++) se += (rendered[ro + c]! - targets[to + c]!) ** 2;
  return se;
}

const WORKGROUP = 64;
const shader = composeWgsl('volume-render', { 'dispatch.wgsl': dispatch, 'random.wgsl': random, 'volume-render.wgsl': kernels });

/** The renderer's uniforms (shaders/volume-render.wgsl). */
export const VOLUME_RENDER_PARAMS = new WgslStruct('volume-render.wgsl', 'Params', {
  rays: 'u32',
  k: 'u32',
  early_stop: 'f32',
  background: 'vec3f',
  huber_delta: 'f32',
  depth_weight: 'f32',
  kl_weight: 'f32',
  loss_scale: 'f32',
  samples: 'u32',
  random_background: 'u32',
  seed: 'u32',
});

export class VolumeRenderer {
  private readonly composite: ComputeKernel;
  private readonly loss: ComputeKernel;
  private readonly backward: ComputeKernel;

  constructor(private readonly cache: PipelineCache) {
    this.composite = new ComputeKernel(cache, 'volume-render', shader, 'composite');
    this.loss = new ComputeKernel(cache, 'volume-render', shader, 'ray_loss');
    this.backward = new ComputeKernel(cache, 'volume-render', shader, 'composite_backward');
  }

  /**
   * `samples`: the sample capacity, the stride of the feature-major logits; `seed`: the ray
   * sampler's seed of the batch (only random backgrounds draw from it).
   */
  paramsFor(rays: number, k: number, samples: number, s: RenderLossSettings, seed = 0): GPUBuffer {
    return createUniformBuffer(this.cache.device, this.paramsData(rays, k, samples, s, seed), `volume render params (${rays})`);
  }

  /** Rewrites uniforms from paramsFor (through the queue: takes effect for work submitted after). */
  writeParams(params: GPUBuffer, rays: number, k: number, samples: number, s: RenderLossSettings, seed = 0): void {
    this.cache.device.queue.writeBuffer(params, 0, this.paramsData(rays, k, samples, s, seed));
  }

  private paramsData(rays: number, k: number, samples: number, s: RenderLossSettings, seed: number): ArrayBuffer {
    return VOLUME_RENDER_PARAMS.pack({
      rays,
      k,
      early_stop: s.earlyStop,
      background: s.background,
      huber_delta: s.huberDelta,
      depth_weight: s.depthWeight,
      kl_weight: s.klWeight,
      loss_scale: 1 / Math.max(rays, 1),
      samples,
      random_background: s.randomBackground ? 1 : 0,
      seed: seed >>> 0,
    });
  }

  private sampleBindings(params: GPUBuffer, b: SampleBuffers): Record<string, GPUBuffer> {
    return { params, sample_range: b.range, sample_geom: b.geom, raw: b.raw, logits: b.logits };
  }

  /** Writes the rendered record of every ray. */
  encodeComposite(pass: GPUComputePassEncoder, params: GPUBuffer, rays: number, samples: SampleBuffers, rendered: GPUBuffer): void {
    const k = this.composite;
    k.dispatch(pass, k.bind({ ...this.sampleBindings(params, samples), rendered }), Math.ceil(rays / WORKGROUP));
  }

  encodeLoss(pass: GPUComputePassEncoder, params: GPUBuffer, rays: number, rendered: GPUBuffer, loss: LossBuffers): void {
    const k = this.loss;
    k.dispatch(
      pass,
      k.bind({ params, targets: loss.targets, rendered_in: rendered, d_rendered: loss.dRendered, ray_losses: loss.rayLosses }),
      Math.ceil(rays / WORKGROUP),
    );
  }

  encodeBackward(
    pass: GPUComputePassEncoder,
    params: GPUBuffer,
    rays: number,
    samples: SampleBuffers,
    rendered: GPUBuffer,
    loss: LossBuffers,
    grads: SampleGradBuffers,
  ): void {
    const k = this.backward;
    k.dispatch(
      pass,
      k.bind({
        ...this.sampleBindings(params, samples),
        rendered_in: rendered,
        d_rendered_in: loss.dRendered,
        d_raw: grads.dRaw,
        d_logits: grads.dLogits,
      }),
      Math.ceil(rays / WORKGROUP),
    );
  }
}
