/**
 * One entry point of a WGSL file, ready to dispatch: binds buffers in binding order (group 0) and
 * records a dispatch into a pass. Knows nothing of what the kernel computes.
 */
import { PipelineCache, workgroupGrid } from './pipeline-cache.ts';

/** A stable number per buffer, for bind-group keys (buffers have no identity of their own to print). */
const bufferIds = new WeakMap<GPUBuffer, number>();
let nextBufferId = 1;
function bufferId(buffer: GPUBuffer): number {
  let id = bufferIds.get(buffer);
  if (id === undefined) bufferIds.set(buffer, (id = nextBufferId++));
  return id;
}

export class ComputeKernel {
  readonly pipeline: GPUComputePipeline;
  /** Bind groups made so far, by their first buffer (so they go when it goes), then by all buffers. */
  private readonly groups = new WeakMap<GPUBuffer, Map<string, GPUBindGroup>>();

  constructor(
    private readonly cache: PipelineCache,
    readonly label: string,
    code: string,
    entryPoint: string,
    constants?: Record<string, number>,
  ) {
    this.pipeline = cache.compute(label, code, entryPoint, constants);
  }

  /**
   * A bind group for group 0 from buffers keyed by their binding number. The same buffers give the
   * same bind group: kernels are dispatched every step with the same buffers, and creating ~40
   * bind groups per step costs real time on a fast GPU.
   */
  bind(buffers: Record<number, GPUBuffer>): GPUBindGroup {
    const entries = Object.entries(buffers);
    const key = entries.map(([binding, buffer]) => `${binding}:${bufferId(buffer)}`).join(',');
    const first = entries[0]?.[1];
    let groups = first ? this.groups.get(first) : undefined;
    const cached = groups?.get(key);
    if (cached) return cached;
    const group = this.cache.device.createBindGroup({
      label: this.label,
      layout: this.pipeline.getBindGroupLayout(0),
      entries: entries.map(([binding, buffer]) => ({ binding: Number(binding), resource: { buffer } })),
    });
    if (first) {
      if (!groups) this.groups.set(first, (groups = new Map()));
      groups.set(key, group);
    }
    return group;
  }

  /** Records the kernel over `workgroups` (x folded into y past the per-dimension limit) and `z` layers. */
  dispatch(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, workgroups: number, z = 1): void {
    const [x, y] = workgroupGrid(this.cache.device, workgroups);
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
  }
}
