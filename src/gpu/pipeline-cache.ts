/**
 * Compiles each compute pipeline once per device. Keyed by shader text and entry point, so two
 * kernels that share a WGSL file share its module.
 */
export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(readonly device: GPUDevice) {}

  compute(label: string, code: string, entryPoint: string, constants?: Record<string, number>): GPUComputePipeline {
    const key = `${entryPoint}|${JSON.stringify(constants ?? {})}|${code}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      let module = this.modules.get(code);
      if (!module) {
        module = this.device.createShaderModule({ label, code });
        this.modules.set(code, module);
      }
      pipeline = this.device.createComputePipeline({
        label: `${label}:${entryPoint}`,
        layout: 'auto',
        compute: constants ? { module, entryPoint, constants } : { module, entryPoint },
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }
}

/** Dispatch size for `count` workgroups, folded into y when x would pass the per-dimension limit. */
export function workgroupGrid(device: GPUDevice, count: number): [number, number] {
  const maxX = device.limits.maxComputeWorkgroupsPerDimension;
  if (count <= maxX) return [Math.max(count, 1), 1];
  const y = Math.ceil(count / maxX);
  if (y > maxX) throw new RangeError(`${count} workgroups exceed the adapter's dispatch limit`);
  return [Math.ceil(count / y), y];
}
