/**
 * One entry point of a WGSL file, ready to dispatch: binds buffers to its group-0 variables by
 * name and records a dispatch into a pass. Knows nothing of what the kernel computes.
 */
import { PipelineCache, workgroupGrid } from './pipeline-cache.ts';
import { bindingNumbers, namesUsedBy } from './wgsl-reflection.ts';

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
  /** Binding number of each group-0 variable the entry point uses, by name (read from the WGSL). */
  readonly bindings: ReadonlyMap<string, number>;
  /** Bind groups made so far, by their first buffer (so they go when it goes), then by all buffers. */
  private readonly groups = new WeakMap<GPUBuffer, Map<string, GPUBindGroup>>();
  private readonly declared: ReadonlyMap<string, number>;

  constructor(
    private readonly cache: PipelineCache,
    readonly label: string,
    code: string,
    readonly entryPoint: string,
    constants?: Record<string, number>,
  ) {
    this.pipeline = cache.compute(label, code, entryPoint, constants);
    this.declared = bindingNumbers(code);
    const used = namesUsedBy(code, entryPoint);
    this.bindings = new Map([...this.declared].filter(([name]) => used.has(name)));
  }

  /**
   * A bind group for group 0 from buffers keyed by the WGSL variables' names; every variable the
   * entry point uses, and no other (WebGPU would refuse it). The same buffers give the same bind
   * group: kernels are dispatched every step with the same buffers, and creating ~40 bind groups
   * per step costs real time on a fast GPU.
   */
  bind(buffers: Readonly<Record<string, GPUBuffer>>): GPUBindGroup {
    const entries = Object.entries(buffers).map(([name, buffer]) => [this.bindingOf(name), buffer] as const);
    for (const name of this.bindings.keys())
      if (!(name in buffers)) throw new Error(`${this.label} (${this.entryPoint}): no buffer for '${name}', which the entry point uses`);
    const key = entries.map(([binding, buffer]) => `${binding}:${bufferId(buffer)}`).join(',');
    const first = entries[0]?.[1];
    let groups = first ? this.groups.get(first) : undefined;
    const cached = groups?.get(key);
    if (cached) return cached;
    const group = this.cache.device.createBindGroup({
      label: this.label,
      layout: this.pipeline.getBindGroupLayout(0),
      entries: entries.map(([binding, buffer]) => ({ binding, resource: { buffer } })),
    });
    if (first) {
      if (!groups) this.groups.set(first, (groups = new Map()));
      groups.set(key, group);
    }
    return group;
  }

  private bindingOf(name: string): number {
    const binding = this.bindings.get(name);
    if (binding !== undefined) return binding;
    const where = `${this.label} (${this.entryPoint})`;
    if (this.declared.has(name))
      throw new Error(`${where}: the entry point does not use '${name}'; it uses ${[...this.bindings.keys()].join(', ')}`);
    throw new Error(`${where}: the shader has no binding '${name}'; it has ${[...this.declared.keys()].join(', ')}`);
  }

  /**
   * Records the kernel over `workgroups` and `z` layers; past the per-dimension limit the
   * workgroups fold into rows, which shaders/dispatch.wgsl numbers back.
   */
  dispatch(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, workgroups: number, z = 1): void {
    const [x, y] = workgroupGrid(this.cache.device, workgroups);
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
  }
}
