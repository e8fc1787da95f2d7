/**
 * One entry point of a WGSL file, ready to dispatch: binds buffers in binding order (group 0) and
 * records a dispatch into a pass. Knows nothing of what the kernel computes.
 */
import { PipelineCache, workgroupGrid } from './pipeline-cache.ts';

export class ComputeKernel {
  readonly pipeline: GPUComputePipeline;

  constructor(
    private readonly cache: PipelineCache,
    readonly label: string,
    code: string,
    entryPoint: string,
    constants?: Record<string, number>,
  ) {
    this.pipeline = cache.compute(label, code, entryPoint, constants);
  }

  /** A bind group for group 0 from buffers keyed by their binding number. */
  bind(buffers: Record<number, GPUBuffer>): GPUBindGroup {
    return this.cache.device.createBindGroup({
      label: this.label,
      layout: this.pipeline.getBindGroupLayout(0),
      entries: Object.entries(buffers).map(([binding, buffer]) => ({ binding: Number(binding), resource: { buffer } })),
    });
  }

  /** Records the kernel over `workgroups` (x folded into y past the per-dimension limit) and `z` layers. */
  dispatch(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, workgroups: number, z = 1): void {
    const [x, y] = workgroupGrid(this.cache.device, workgroups);
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
  }
}
