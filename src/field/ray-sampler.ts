/**
 * Draws a batch of training rays and their compacted samples on the GPU (ray-sampler.wgsl around
 * a prefix sum). The batch buffers are sized once: `rays` rays, at most `capacity` samples.
 */
import dispatch from '../../shaders/dispatch.wgsl?raw';
import march from '../../shaders/ray-march.wgsl?raw';
import random from '../../shaders/random.wgsl?raw';
import kernels from '../../shaders/ray-sampler.wgsl?raw';
import { createStorageBuffer, createUniformBuffer } from '../gpu/buffer-io.ts';
import { ComputeKernel } from '../gpu/compute-kernel.ts';
import type { PipelineCache } from '../gpu/pipeline-cache.ts';
import type { PassTimer } from '../gpu/pass-timer.ts';
import { PrefixSum } from '../gpu/prefix-sum.ts';
import { WgslStruct } from '../gpu/uniform-layout.ts';
import { composeWgsl } from '../gpu/wgsl-compose.ts';
import type { TrainingFrames } from './training-frames.ts';
import { DEFAULT_RENDER_LOSS, type RenderLossSettings } from './volume-renderer.ts';

export interface SamplerSettings {
  /** The most rays a batch draws (buffers are sized for it); see RaySampler.activeRays. */
  rays: number;
  /** Samples the batch holds; rays past it are cut. */
  capacity: number;
  maxSamplesPerRay: number;
  /** Marching step in the unit cube. */
  step: number;
}

export interface SampleBatch {
  rays: GPUBuffer;
  targets: GPUBuffer;
  count: GPUBuffer;
  firstSample: GPUBuffer;
  range: GPUBuffer;
  positions: GPUBuffer;
  geom: GPUBuffer;
  /** [16 geometry features (left for the field), 16 SH of the view direction] per sample. */
  colourInput: GPUBuffer;
}

const shader = composeWgsl('ray-sampler', {
  'dispatch.wgsl': dispatch,
  'random.wgsl': random,
  'ray-march.wgsl': march,
  'ray-sampler.wgsl': kernels,
});
/** Profile label of a whole batch draw (rays, prefix sum, samples). */
export const SAMPLER_STAGE = 'sample rays';
const WORKGROUP = 64;

/** A batch's uniforms (shaders/ray-sampler.wgsl). */
export const SAMPLER_PARAMS = new WgslStruct('ray-sampler.wgsl', 'Params', {
  rays: 'u32',
  frames: 'u32',
  seed: 'u32',
  k: 'u32',
  max_samples: 'u32',
  capacity: 'u32',
  grid_res: 'u32',
  step: 'f32',
  background: 'vec3f',
  random_background: 'u32',
});

/** What the targets' transparent pixels show: the colour they were composited on, or a random one per ray. */
export type TargetBackground = Pick<RenderLossSettings, 'background' | 'randomBackground'>;

export class RaySampler {
  readonly batch: SampleBatch;
  private rays: number;
  private readonly generate: ComputeKernel;
  private readonly write: ComputeKernel;
  private readonly scan: PrefixSum;
  private readonly params: GPUBuffer;

  constructor(
    private readonly cache: PipelineCache,
    readonly settings: SamplerSettings,
    private readonly frames: TrainingFrames,
    private readonly occupancy: GPUBuffer,
    private readonly gridRes: number,
    private readonly targetBackground: TargetBackground = DEFAULT_RENDER_LOSS,
  ) {
    const d = cache.device;
    const { rays, capacity } = settings;
    this.rays = rays;
    this.batch = {
      rays: createStorageBuffer(d, rays * 32, 'rays'),
      targets: createStorageBuffer(d, rays * (4 + frames.k) * 4, 'ray targets'),
      count: createStorageBuffer(d, rays * 4, 'samples per ray'),
      firstSample: createStorageBuffer(d, rays * 4, 'first sample per ray'),
      range: createStorageBuffer(d, rays * 8, 'sample ranges'),
      positions: createStorageBuffer(d, capacity * 12, 'sample positions'),
      geom: createStorageBuffer(d, capacity * 8, 'sample t, dt'),
      colourInput: createStorageBuffer(d, capacity * 32 * 4, 'colour network input'),
    };
    this.generate = new ComputeKernel(cache, 'ray-sampler', shader, 'generate_rays');
    this.write = new ComputeKernel(cache, 'ray-sampler', shader, 'write_samples');
    this.scan = new PrefixSum(cache, rays);
    this.params = createUniformBuffer(d, new ArrayBuffer(SAMPLER_PARAMS.size), 'ray sampler params');
  }

  /** Rays the next batch draws, at most settings.rays (the trainer keeps the samples near capacity). */
  get activeRays(): number {
    return this.rays;
  }

  set activeRays(rays: number) {
    const max = this.settings.rays;
    if (!Number.isInteger(rays) || rays < 1 || rays > max) throw new RangeError(`active rays must be 1..${max}, got ${rays}`);
    this.rays = rays;
  }

  /** Records one batch drawn with `seed`; writes its uniforms through the queue first. */
  encode(encoder: GPUCommandEncoder, seed: number, timer: PassTimer | null = null): void {
    const s = this.settings;
    const rays = this.rays;
    const params = SAMPLER_PARAMS.pack({
      rays,
      frames: this.frames.frames,
      seed: seed >>> 0,
      k: this.frames.k,
      max_samples: s.maxSamplesPerRay,
      capacity: s.capacity,
      grid_res: this.gridRes,
      step: s.step,
      background: this.targetBackground.background,
      random_background: this.targetBackground.randomBackground ? 1 : 0,
    });
    this.cache.device.queue.writeBuffer(this.params, 0, params);
    const b = this.batch;
    const groups = Math.ceil(rays / WORKGROUP);
    let pass = encoder.beginComputePass({ label: 'generate rays', ...(timer && { timestampWrites: timer.begin(SAMPLER_STAGE) }) });
    this.generate.dispatch(
      pass,
      this.generate.bind({
        params: this.params,
        cameras: this.frames.cameras,
        occupancy: this.occupancy,
        rays: b.rays,
        pixels: this.frames.pixelWords,
        depths: this.frames.depths,
        targets: b.targets,
        sample_count: b.count,
        semantic_targets: this.frames.semanticTargets,
      }),
      groups,
    );
    pass.end();
    encoder.copyBufferToBuffer(b.count, 0, b.firstSample, 0, rays * 4);
    this.scan.encode(encoder, b.firstSample);
    pass = encoder.beginComputePass({ label: 'write samples', ...(timer && { timestampWrites: timer.end(SAMPLER_STAGE) }) });
    this.write.dispatch(
      pass,
      this.write.bind({
        params: this.params,
        occupancy: this.occupancy,
        first_sample: b.firstSample,
        sample_range: b.range,
        positions: b.positions,
        sample_geom: b.geom,
        colour_input: b.colourInput,
        rays_in: b.rays,
        sample_count_in: b.count,
      }),
      groups,
    );
    pass.end();
  }

  /**
   * Records a copy of the last batch's sample total (what its rays wanted, cut or not) as two u32
   * to add at `offset` of `target`: the first sample and the sample count of its last ray.
   */
  encodeTotal(encoder: GPUCommandEncoder, target: GPUBuffer, offset = 0): void {
    const last = (this.activeRays - 1) * 4;
    encoder.copyBufferToBuffer(this.batch.firstSample, last, target, offset, 4);
    encoder.copyBufferToBuffer(this.batch.count, last, target, offset + 4, 4);
  }

  destroy(): void {
    Object.values(this.batch).forEach((buf) => buf.destroy());
    this.scan.destroy();
    this.params.destroy();
  }
}

/** An occupancy bitfield of res^3 cells, all occupied (before the grid has been estimated). */
export function fullOccupancy(device: GPUDevice, res: number): GPUBuffer {
  const words = Math.ceil(res ** 3 / 32);
  const buffer = createStorageBuffer(device, words * 4, 'occupancy bits');
  device.queue.writeBuffer(buffer, 0, new Uint32Array(words).fill(0xffffffff));
  return buffer;
}
