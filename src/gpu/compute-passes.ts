/**
 * Compute passes for the stages of one piece of GPU work. Without a timer every stage shares one
 * pass (no cost); with a timer each stage gets its own pass with timestamps, so the profile can
 * say where the time goes.
 */
import type { PassTimer } from './pass-timer.ts';

export class ComputePasses {
  private current: GPUComputePassEncoder | null = null;
  private currentLabel = '';

  constructor(
    private readonly encoder: GPUCommandEncoder,
    private readonly timer: PassTimer | null = null,
  ) {}

  /** The pass to record the stage `label` into. */
  stage(label: string): GPUComputePassEncoder {
    if (this.current && (!this.timer || label === this.currentLabel)) return this.current;
    this.end();
    this.currentLabel = label;
    this.current = this.encoder.beginComputePass(this.timer ? { label, timestampWrites: this.timer.pass(label) } : { label });
    return this.current;
  }

  /** Ends the open pass (before copies or clears on the encoder, and at the end). */
  end(): void {
    this.current?.end();
    this.current = null;
    this.currentLabel = '';
  }
}
