/**
 * Scores a trained field on frames it was not trained on: random rays through held-out pixels,
 * rendered with the trainer's field and occupancy grid (no backward pass), against the pixels'
 * colours and, where the pixel's class is known, its label. A random-pixel estimate of the
 * held-out views' PSNR, at a fraction of the cost of rendering them whole.
 */
import { createStorageBuffer, readBuffer } from '../gpu/buffer-io.ts';
import { ComputePasses } from '../gpu/compute-passes.ts';
import { psnrFromMse } from '../eval/image-quality.ts';
import type { PipelineCache } from '../gpu/pipeline-cache.ts';
import type { FieldBatch } from './embedding-field.ts';
import type { FieldTrainer } from './field-trainer.ts';
import { RaySampler } from './ray-sampler.ts';
import type { TrainingFrames } from './training-frames.ts';
import { rayColourError, renderedStride, targetStride, VolumeRenderer } from './volume-renderer.ts';

/** ln 0.5: a target with more than half its mass on one class names that class. */
const CONFIDENT_LOG_PROB = Math.log(0.5);

export interface HeldOutScore {
  /** PSNR (dB) of rendered against photographed colours over the scored pixels. */
  psnr: number;
  pixels: number;
  /** Share of scored known-class pixels whose rendered embedding's argmax is their label (null without labels). */
  labelAgreement: number | null;
  labelledPixels: number;
  /** Rays left out because the batch had no room for all their samples. */
  cutRays: number;
}

export class FieldEvaluator {
  private readonly sampler: RaySampler;
  private readonly batch: FieldBatch;
  private readonly renderer: VolumeRenderer;
  private readonly renderParams: GPUBuffer;
  private readonly rendered: GPUBuffer;
  private readonly device: GPUDevice;

  constructor(
    cache: PipelineCache,
    private readonly trainer: FieldTrainer,
    private readonly frames: TrainingFrames,
    private readonly rays = 2048,
  ) {
    this.device = cache.device;
    const s = trainer.settings;
    // More room per ray than training has, so that few rays are cut; cut rays are not scored.
    const perRay = Math.ceil((1.5 * s.sampler.capacity) / s.sampler.rays);
    const capacity = Math.ceil((rays * perRay) / 16) * 16;
    // Scored on the background the photos were composited on, never a random one.
    const render = { ...s.render, randomBackground: false };
    this.sampler = new RaySampler(cache, { ...s.sampler, rays, capacity }, frames, trainer.occupancy.bits, s.occupancy.res, render);
    this.batch = trainer.field.createBatch(capacity, { backward: false });
    this.renderer = new VolumeRenderer(cache);
    this.renderParams = this.renderer.paramsFor(rays, frames.k, capacity, render);
    this.rendered = createStorageBuffer(this.device, rays * renderedStride(frames.k) * 4, 'held-out rendered rays');
  }

  /** Scores `batches` x `rays` random held-out pixels; the same seed gives the same pixels. */
  async evaluate(batches = 1, seed = 12345): Promise<HeldOutScore> {
    const k = this.frames.k;
    let se = 0;
    let pixels = 0;
    let labelled = 0;
    let agree = 0;
    let cut = 0;
    for (let b = 0; b < batches; b++) {
      const encoder = this.device.createCommandEncoder({ label: 'held-out score' });
      this.sampler.encode(encoder, seed + b * 7919);
      const s = this.sampler.batch;
      const passes = new ComputePasses(encoder);
      this.trainer.field.forward(passes, this.batch, s.positions, s.colourInput);
      const samples = { range: s.range, geom: s.geom, raw: this.batch.raw, logits: this.batch.logits };
      this.renderer.encodeComposite(passes.stage('held-out render'), this.renderParams, this.rays, samples, this.rendered);
      passes.end();
      this.device.queue.submit([encoder.finish()]);
      const [rendered, targets] = (await Promise.all([readBuffer(this.device, this.rendered), readBuffer(this.device, s.targets)])).map(
        (x) => new Float32Array(x),
      );
      const [range, wanted] = (await Promise.all([readBuffer(this.device, s.range), readBuffer(this.device, s.count)])).map(
        (x) => new Uint32Array(x),
      );
      for (let r = 0; r < this.rays; r++) {
        if (range![r * 2 + 1]! < wanted![r]!) {
          cut++;
          continue;
        }
        const ro = r * renderedStride(k);
        const to = r * targetStride(k);
        se += rayColourError(rendered!, targets!, k, r);
        pixels++;
        // Target logits are ln p: a pixel counts as labelled where one class has most of the mass
        // (a known class's one-hot target, a confident segmenter), not where it is spread.
        let label = -1;
        let best = 0;
        for (let c = 0; c < k; c++) {
          if (targets![to + 4 + c]! > CONFIDENT_LOG_PROB) label = c;
          if (rendered![ro + 5 + c]! > rendered![ro + 5 + best]!) best = c;
        }
        if (label >= 0) {
          labelled++;
          if (best === label) agree++;
        }
      }
    }
    const mse = se / (pixels * 3);
    return {
      psnr: psnrFromMse(mse),
      pixels,
      labelAgreement: labelled > 0 ? agree / labelled : null,
      labelledPixels: labelled,
      cutRays: cut,
    };
  }

  destroy(): void {
    this.sampler.destroy();
    this.rendered.destroy();
    this.renderParams.destroy();
  }
}
