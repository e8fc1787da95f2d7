/**
 * One training step of the Embedding-NeRF, entirely on the GPU: draw rays and samples, run the
 * field, render, take the losses, back-propagate, and let Adam update every parameter. Nothing is
 * read back per step; losses are read when asked (every N steps).
 */
import { createStorageBuffer, readBuffer } from '../gpu/buffer-io.ts';
import { ComputePasses } from '../gpu/compute-passes.ts';
import type { PassTimer } from '../gpu/pass-timer.ts';
import { psnrFromMse } from '../eval/image-quality.ts';
import type { PipelineCache } from '../gpu/pipeline-cache.ts';
import { Adam, type AdamSettings } from './adam.ts';
import { EmbeddingField, type DensityBatch, type FieldBatch, type FieldConfig } from './embedding-field.ts';
import { OccupancyGrid, type OccupancySettings } from './occupancy-grid.ts';
import { RaySampler, type SamplerSettings } from './ray-sampler.ts';
import type { TrainingFrames } from './training-frames.ts';
import { rayColourError, renderedStride, targetStride, VolumeRenderer, type RenderLossSettings } from './volume-renderer.ts';

export interface TrainerSettings {
  field: FieldConfig;
  sampler: SamplerSettings;
  /** The grid of empty space to skip, updated every `updateEvery` steps. */
  occupancy: Omit<OccupancySettings, 'step'> & { updateEvery: number };
  render: RenderLossSettings;
  adam: AdamSettings;
  /** L2 on network weights (instant-ngp: 1e-6). */
  networkWeightDecay: number;
}

/** Profile labels of the trainer's own stages (the field, sampler, occupancy grid and Adam have theirs). */
export const TRAINER_STAGES = { render: 'volume render', renderBackward: 'volume render backward' } as const;

export interface BatchLosses {
  colour: number;
  depth: number;
  kl: number;
  /** PSNR of the batch's rendered colours against their pixels. */
  psnr: number;
  /**
   * Parameters that were not finite after an optimiser step since the last read (summed over the
   * steps): anything above 0 is a diverged field, even while the clamped loss stays finite.
   */
  nonFiniteParameters: number;
}

export class FieldTrainer {
  readonly field: EmbeddingField;
  readonly sampler: RaySampler;
  readonly occupancy: OccupancyGrid;
  private readonly occupancyBatch: DensityBatch;
  private readonly renderer: VolumeRenderer;
  private readonly adam: Adam;
  private readonly batch: FieldBatch;
  private readonly renderParams: GPUBuffer;
  private readonly rendered: GPUBuffer;
  private readonly loss: { targets: GPUBuffer; dRendered: GPUBuffer; rayLosses: GPUBuffer };
  private readonly grads: { dRaw: GPUBuffer; dLogits: GPUBuffer };
  private readonly device: GPUDevice;
  private readonly totalReadback: GPUBuffer;
  /** Rays of the last step (the batch records hold that many). */
  private lastRays: number;
  steps = 0;
  /** Samples per ray the last rebalance() measured (what the rays wanted, before any cut). */
  meanSamplesPerRay: number | null = null;

  constructor(
    cache: PipelineCache,
    readonly settings: TrainerSettings,
    frames: TrainingFrames,
  ) {
    this.device = cache.device;
    const { rays, capacity } = settings.sampler;
    const k = settings.field.k;
    if (frames.k !== k) throw new RangeError(`the field has ${k} embedding channels but the targets have ${frames.k}`);
    this.field = new EmbeddingField(cache, settings.field);
    this.occupancy = new OccupancyGrid(cache, { ...settings.occupancy, step: settings.sampler.step });
    this.occupancyBatch = this.field.createDensityBatch(settings.occupancy.cellsPerUpdate);
    this.sampler = new RaySampler(cache, settings.sampler, frames, this.occupancy.bits, settings.occupancy.res, settings.render);
    this.renderer = new VolumeRenderer(cache);
    this.batch = this.field.createBatch(capacity);
    // Until the first rebalance, as many rays as fit if each takes every sample it may.
    this.sampler.activeRays = Math.max(1, Math.min(rays, Math.floor(capacity / settings.sampler.maxSamplesPerRay)));
    this.lastRays = this.sampler.activeRays;
    this.totalReadback = this.device.createBuffer({
      label: 'batch sample total',
      size: 8,
      usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
    });
    this.renderParams = this.renderer.paramsFor(this.sampler.activeRays, k, capacity, settings.render);
    this.rendered = createStorageBuffer(this.device, rays * renderedStride(k) * 4, 'rendered rays');
    this.loss = {
      targets: this.sampler.batch.targets,
      dRendered: createStorageBuffer(this.device, rays * targetStride(k) * 4, 'd rendered'),
      rayLosses: createStorageBuffer(this.device, rays * 12, 'ray losses'),
    };
    this.grads = {
      dRaw: createStorageBuffer(this.device, capacity * 16, 'd raw'),
      dLogits: createStorageBuffer(this.device, capacity * k * 4, 'd logits'),
    };
    this.adam = new Adam(cache, settings.adam);
    for (const p of this.field.parameters()) this.adam.add(p.weights, p.grad, p.count, p.isNetwork ? settings.networkWeightDecay : 0);
  }

  /** One step; with a timer, every stage runs in its own timed pass (for profiles, not for speed). */
  step(timer: PassTimer | null = null): void {
    if (this.steps % this.settings.occupancy.updateEvery === 0) this.updateOccupancy(timer);
    const rays = this.sampler.activeRays;
    const seed = (this.steps * 2654435761 + 1) >>> 0;
    // A random background is drawn from the batch's seed: the renderer needs it every step.
    if (rays !== this.lastRays || this.settings.render.randomBackground)
      this.renderer.writeParams(this.renderParams, rays, this.settings.field.k, this.settings.sampler.capacity, this.settings.render, seed);
    this.lastRays = rays;
    const s = this.sampler.batch;
    const samples = { range: s.range, geom: s.geom, raw: this.batch.raw, logits: this.batch.logits };
    const encoder = this.device.createCommandEncoder({ label: `training step ${this.steps}` });
    this.sampler.encode(encoder, seed, timer);
    // Samples past this batch's total keep last step's values: their gradients must be zero.
    encoder.clearBuffer(this.grads.dRaw);
    encoder.clearBuffer(this.grads.dLogits);
    const passes = new ComputePasses(encoder, timer);
    this.field.forward(passes, this.batch, s.positions, s.colourInput);
    this.renderer.encodeComposite(passes.stage(TRAINER_STAGES.render), this.renderParams, rays, samples, this.rendered);
    this.renderer.encodeLoss(passes.stage(TRAINER_STAGES.render), this.renderParams, rays, this.rendered, this.loss);
    this.renderer.encodeBackward(
      passes.stage(TRAINER_STAGES.renderBackward),
      this.renderParams,
      rays,
      samples,
      this.rendered,
      this.loss,
      this.grads,
    );
    this.field.backward(passes, this.batch, s.positions, s.colourInput, this.grads.dRaw, this.grads.dLogits);
    passes.end();
    this.device.queue.submit([encoder.finish()]);
    this.adam.update(timer);
    this.steps++;
  }

  /** Adam's learning rate from the next step on (the viewer's slider; moments are kept). */
  setLearningRate(learningRate: number): void {
    if (!(learningRate > 0 && Number.isFinite(learningRate)))
      throw new RangeError(`learning rate must be a positive number, got ${learningRate}`);
    this.adam.settings = { ...this.adam.settings, learningRate };
  }

  /** λ of the KL term on the embedding from the next step on. */
  setKlWeight(klWeight: number): void {
    if (!(klWeight >= 0 && Number.isFinite(klWeight))) throw new RangeError(`λ of the KL term must be a number ≥ 0, got ${klWeight}`);
    this.settings.render = { ...this.settings.render, klWeight };
    this.renderer.writeParams(
      this.renderParams,
      this.lastRays,
      this.settings.field.k,
      this.settings.sampler.capacity,
      this.settings.render,
    );
  }

  /** Rays the next step draws. */
  get activeRays(): number {
    return this.sampler.activeRays;
  }

  set activeRays(rays: number) {
    this.sampler.activeRays = rays;
  }

  /**
   * instant-ngp's batch balancing: reads how many samples the last step's rays wanted and sets the
   * next steps' ray count so that they fill the sample capacity (empty space is skipped, so rays
   * get cheaper as the occupancy grid learns where the scene is). One small read-back: call it
   * every N steps, like lastLosses().
   */
  async rebalance(): Promise<void> {
    const encoder = this.device.createCommandEncoder({ label: 'batch total' });
    this.sampler.encodeTotal(encoder, this.totalReadback);
    this.device.queue.submit([encoder.finish()]);
    await this.totalReadback.mapAsync(GPUMapMode.READ);
    const [first, count] = new Uint32Array(this.totalReadback.getMappedRange().slice(0));
    this.totalReadback.unmap();
    const mean = Math.max(1, (first! + count!) / this.lastRays);
    this.meanSamplesPerRay = mean;
    const { capacity, rays } = this.settings.sampler;
    // A little headroom: rays differ in length, and rays past the capacity are cut.
    this.sampler.activeRays = Math.max(1, Math.min(rays, Math.floor((0.9 * capacity) / mean)));
  }

  /** Floating-point operations of the MLP kernels in one step (they run over the batch capacity). */
  mlpFlopsPerStep(): { forward: number; backward: number } {
    return this.field.mlpFlops(this.batch.count);
  }

  private updateOccupancy(timer: PassTimer | null): void {
    const encoder = this.device.createCommandEncoder({ label: 'occupancy update' });
    this.occupancy.beginUpdate(encoder, timer);
    const pass = encoder.beginComputePass({ label: 'occupancy density' });
    this.field.densityForward(pass, this.occupancyBatch, this.occupancy.points);
    pass.end();
    this.occupancy.finishUpdate(encoder, this.occupancyBatch.densityOut, timer);
    this.device.queue.submit([encoder.finish()]);
  }

  /**
   * The last batch's mean losses and PSNR, and the non-finite parameters counted since the last
   * call (which clears the count). One read-back: call every N steps, not every step.
   */
  async lastLosses(): Promise<BatchLosses> {
    const rays = this.lastRays;
    const k = this.settings.field.k;
    const [losses, rendered, targets, nonFinite] = await Promise.all([
      readBuffer(this.device, this.loss.rayLosses),
      readBuffer(this.device, this.rendered),
      readBuffer(this.device, this.loss.targets),
      readBuffer(this.device, this.adam.nonFinite),
    ]).then((b) => b.map((x) => new Float32Array(x)));
    const encoder = this.device.createCommandEncoder({ label: 'clear the non-finite count' });
    encoder.clearBuffer(this.adam.nonFinite);
    this.device.queue.submit([encoder.finish()]);
    let colour = 0;
    let depth = 0;
    let kl = 0;
    let se = 0;
    for (let r = 0; r < rays; r++) {
      colour += losses![r * 3]!;
      depth += losses![r * 3 + 1]!;
      kl += losses![r * 3 + 2]!;
      se += rayColourError(rendered!, targets!, k, r);
    }
    const mse = se / (rays * 3);
    return {
      colour: colour / rays,
      depth: depth / rays,
      kl: kl / rays,
      psnr: psnrFromMse(mse),
      nonFiniteParameters: new Uint32Array(nonFinite!.buffer)[0]!,
    };
  }

  /** The optimiser (moments and step count), for checkpoints. */
  get optimiser(): Adam {
    return this.adam;
  }

  /** The device every buffer lives on, for checkpoints. */
  get gpuDevice(): GPUDevice {
    return this.device;
  }
}
