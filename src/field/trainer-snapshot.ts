/**
 * A copy of a trainer's field kept on the GPU: its parameters and occupancy grid, copied buffer
 * to buffer (no read-back, so taking one costs the page nothing it would notice). Taken while
 * training is sound; when it diverges, restore() puts the field back and restarts Adam, whose
 * moments are what a divergence leaves wrong (they are not copied, which also keeps the copy to
 * a third of a checkpoint's size).
 */
import type { FieldTrainer } from './field-trainer.ts';
import { setTrainerCounters, stateBuffers, trainerCounters, type StateBuffer, type TrainerCounters } from './trainer-state.ts';

export class TrainerSnapshot {
  private readonly kept: StateBuffer[];
  private readonly moments: StateBuffer[];
  private readonly copies: GPUBuffer[];
  private taken: TrainerCounters | null = null;

  constructor(private readonly trainer: FieldTrainer) {
    const all = stateBuffers(trainer);
    this.kept = all.filter((b) => b.role !== 'moments');
    this.moments = all.filter((b) => b.role === 'moments');
    this.copies = this.kept.map((b) =>
      trainer.gpuDevice.createBuffer({
        label: `${b.name} (snapshot)`,
        size: b.count * 4,
        usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      }),
    );
  }

  /** Training step of the state held, or null before the first take(). */
  get steps(): number | null {
    return this.taken?.steps ?? null;
  }

  /** Bytes of GPU memory the copy holds. */
  get byteLength(): number {
    return this.copies.reduce((sum, b) => sum + b.size, 0);
  }

  /** Copies the trainer's state as it will be once the work submitted so far has run. */
  take(): void {
    const encoder = this.trainer.gpuDevice.createCommandEncoder({ label: 'take snapshot' });
    this.kept.forEach((b, i) => encoder.copyBufferToBuffer(b.buffer, 0, this.copies[i]!, 0, b.count * 4));
    this.trainer.gpuDevice.queue.submit([encoder.finish()]);
    this.taken = trainerCounters(this.trainer);
  }

  /** Puts the held state back (Adam starts afresh); returns its step. Throws before any take(). */
  restore(): number {
    if (!this.taken) throw new Error('no snapshot has been taken');
    const encoder = this.trainer.gpuDevice.createCommandEncoder({ label: 'restore snapshot' });
    this.kept.forEach((b, i) => encoder.copyBufferToBuffer(this.copies[i]!, 0, b.buffer, 0, b.count * 4));
    for (const m of this.moments) encoder.clearBuffer(m.buffer);
    this.trainer.gpuDevice.queue.submit([encoder.finish()]);
    setTrainerCounters(this.trainer, { ...this.taken, adamSteps: 0 });
    return this.taken.steps;
  }

  destroy(): void {
    for (const b of this.copies) b.destroy();
  }
}
